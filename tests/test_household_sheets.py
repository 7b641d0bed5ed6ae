"""Household sheets: one HTML and one PDF page per household (issue 18, part 3).

The hand-made case: village V1 is the 3 x 2 block of 1-ha squares of ``conftest``;
household H1 holds P0 (paddy) and P2 (upland), household H2 holds nothing. Every
number on the sheets is worked out by hand below.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from landuse._validate.ids import id_filename
from landuse.plan import _households as H
from tests.conftest import have

needs_poppler = pytest.mark.skipif(not (have("pdftotext") and have("pdffonts")), reason="poppler-utils missing")


def _households() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["H1", "H2"], "village_id": ["V1", "V1"],
        "head_name": ["Phonsavanh Sayavong", "Chanthone Manivong"],
        "head_name_lo": ["ພອນສະຫວັນ ໄຊຍະວົງ", "ຈັນທອນ ມະນີວົງ"],
        "spouse_name": ["Bouakham Inthavong", None], "spouse_name_lo": ["ບົວຄຳ ອິນທະວົງ", None],
        "members": [5, 2], "labour_units": [2.5, 1.0],
        "entitled_ha_paddy": [2.5, 1.0], "entitled_ha_upland": [1.0, 0.5],
    })


def _allocations(parcels):
    a = parcels[parcels["parcel_id"].isin(["P0", "P2"])].copy()
    a["household_id"] = "H1"
    a["area_ha"] = 1.0  # 100 m x 100 m
    a["certificate_no"] = ["V1-PD-0000", "V1-UP-0002"]  # draft numbers: the register's replace them
    return a[["parcel_id", "household_id", "village_id", "land_type", "area_ha", "certificate_no", "geometry"]]


def _register(tmp_path: Path) -> tuple[pd.DataFrame, Path]:
    certs = tmp_path / "certificates"
    (certs / "V1").mkdir(parents=True, exist_ok=True)
    (certs / "V1" / "V1-2026-000001.pdf").write_bytes(b"%PDF-1.7\n")  # issued; the second one's file is absent
    reg = pd.DataFrame({"certificate_no": ["V1-2026-000001", "V1-2026-000002"], "parcel_id": ["P0", "P2"],
                        "file": ["V1/V1-2026-000001.pdf", "V1/V1-2026-000002.pdf"]})
    return reg, certs


def _write(tmp_path, parcels, village, name="households", households=None):
    reg, certs = _register(tmp_path)
    out = tmp_path / name
    H.write_household_sheets(out, _households() if households is None else households, _allocations(parcels),
                             parcels=parcels, villages=village, register=reg, certificates_dir=certs,
                             date="20260115")
    return out


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_every_household_gets_both_files(tmp_path, one_ha_parcels, one_village):
    out = _write(tmp_path, one_ha_parcels, one_village)
    assert sorted(p.name for p in (out / "V1").iterdir()) == ["H1.html", "H1.pdf", "H2.html", "H2.pdf"]
    assert (out / H.FONT_FILE).read_bytes()[:4] in (b"\x00\x01\x00\x00", b"true")  # the Lao font for the pages


def test_html_lists_plots_areas_and_issued_certificates(tmp_path, one_ha_parcels, one_village):
    page = (_write(tmp_path, one_ha_parcels, one_village) / "V1" / "H1.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"n\">(\d)</td><td>(\w+)</td><td>.*?</td><td class=\"n\">([\d.]+)</td>"
                      r"<td>(.*?)</td></tr>", page)
    assert [(n, p, a) for n, p, a, _ in rows] == [("1", "P0", "1.00"), ("2", "P2", "1.00")]
    # the register's numbers, not the allocation's drafts; a link only where the PDF exists
    assert rows[0][3] == '<a href="../../certificates/V1/V1-2026-000001.pdf">V1-2026-000001</a>'
    assert rows[1][3] == "V1-2026-000002"
    assert "V1-PD-0000" not in page
    assert "ລວມ · Total</td><td class=\"n\">2.00" in page
    # names and village, Lao first
    assert page.index("ພອນສະຫວັນ ໄຊຍະວົງ") < page.index("Phonsavanh Sayavong")
    assert page.index("ປ່າສັກ") < page.index("Pasak")
    # entitlement against allocation in plain words: paddy 2.5 ha entitled, 1 ha received
    assert "Paddy: entitled to 2.50 ha, received 1.00 ha in 1 plot, 1.50 ha short (40 % of the entitlement)" in page
    assert "Rotational upland: entitled to 1.00 ha, received 1.00 ha in 1 plot<" in page
    # the map: both plots highlighted, the other four parcels grey; plots span 300 m, so the
    # frame is 300 x 1.3 + 200 = 590 m and the scale bar the round length nearest 147.5 m
    svg = page[page.index("<svg"):page.index("</svg>")]
    own = svg[svg.index('fill="#f28e2b"'):]
    assert own[:own.index("</g>")].count("<path") == 2
    grey = svg[svg.index('fill="#e3e3e3"'):]
    assert grey[:grey.index("</g>")].count("<path") == 4
    assert ">200 m<" in svg and ">N<" in svg


def test_household_without_land_says_so(tmp_path, one_ha_parcels, one_village):
    out = _write(tmp_path, one_ha_parcels, one_village)
    page = (out / "V1" / "H2.html").read_text(encoding="utf-8")
    assert "This household was allocated no land." in page and "<svg" not in page
    assert "Paddy: entitled to 1.00 ha, received nothing</span>" in page


@needs_poppler
def test_pdf_text_matches_the_html(tmp_path, one_ha_parcels, one_village):
    out = _write(tmp_path, one_ha_parcels, one_village)
    text = _pdftotext(out / "V1" / "H1.pdf")
    lines = [ln.split() for ln in text.splitlines()]
    plots = [ln for ln in lines if ln[:1] in (["1"], ["2"]) and len(ln) >= 4 and ln[1] in ("P0", "P2")]
    assert [(ln[1], ln[-2], ln[-1]) for ln in plots] == [("P0", "1.00", "V1-2026-000001"),
                                                         ("P2", "1.00", "V1-2026-000002")]
    assert "ພອນສະຫວັນ ໄຊຍະວົງ · Phonsavanh Sayavong" in text
    assert "ປ່າສັກ · Pasak (V1)" in text
    assert "1.50 ha short (40 % of the entitlement)" in text
    assert "200 m" in text
    empty = _pdftotext(out / "V1" / "H2.pdf")
    assert "ຄົວເຮືອນນີ້ບໍ່ໄດ້ຮັບການຈັດສັນທີ່ດິນ" in empty and "This household was allocated no land." in empty
    info = subprocess.run(["pdfinfo", str(out / "V1" / "H1.pdf")], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M) and "(A4)" in info.stdout


@needs_poppler
def test_pdf_embeds_a_lao_font(tmp_path, one_ha_parcels, one_village):
    out = _write(tmp_path, one_ha_parcels, one_village)
    fonts = subprocess.run(["pdffonts", str(out / "V1" / "H1.pdf")], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f for f in fonts)  # embedded
    assert any("NotoSansLao" in f for f in fonts)
    from fontTools.ttLib import TTFont

    from landuse.certificates import find_lao_font

    with TTFont(str(find_lao_font()), lazy=True) as tt:  # the embedded face has Lao glyphs
        assert ord("ກ") in tt.getBestCmap()


def test_rerun_gives_identical_bytes(tmp_path, one_ha_parcels, one_village):
    a = _write(tmp_path, one_ha_parcels, one_village, "a")
    b = _write(tmp_path, one_ha_parcels, one_village, "b")
    files = sorted(f.relative_to(a) for f in a.rglob("*") if f.is_file())
    assert files == sorted(f.relative_to(b) for f in b.rglob("*") if f.is_file())
    assert [str(f) for f in files if (a / f).read_bytes() != (b / f).read_bytes()] == []


def test_hostile_ids_and_names_stay_inside_and_are_escaped(tmp_path, one_ha_parcels, one_village):
    hh = _households()
    hh.loc[0, "household_id"] = "../x<script>"
    hh.loc[0, "head_name"] = "<script>alert(1)</script>"
    hh.loc[1, "spouse_name"] = 'A "quote" & \x07 bell'
    hh.loc[0, "head_name_lo"] = "<img src=x onerror=alert(1)>ລາວ"
    parcels = one_ha_parcels.copy()
    village = one_village.assign(name_en='Pa"sak</title>')
    alloc = _allocations(parcels).assign(household_id="../x<script>")
    out = tmp_path / "out"
    H.write_household_sheets(out, hh, alloc, parcels=parcels, villages=village, date="20260115")
    name = id_filename("../x<script>")
    assert "/" not in name and ".." not in name and "<" not in name
    assert sorted(p.name for p in (out / "V1").iterdir()) == sorted([f"{name}.html", f"{name}.pdf", "H2.html",
                                                                     "H2.pdf"])
    assert not (tmp_path / "x<script>.html").exists()
    page = (out / "V1" / f"{name}.html").read_text(encoding="utf-8")
    assert "<script" not in page and "</title>\"" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "../x&lt;script&gt;" in page
    assert "Pa&quot;sak&lt;/title&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;ລາວ" in page
    other = (out / "V1" / "H2.html").read_text(encoding="utf-8")
    assert "A &quot;quote&quot; &amp;  bell" in other and "\x07" not in other
    if have("pdftotext"):
        text = _pdftotext(out / "V1" / f"{name}.pdf")
        assert "<script>alert(1)</script>" in text and "../x<script>" in text


def test_plain_sentences_hand_cases():
    assert H.land_sentences("paddy", 2.5, 1.0, 1) == (
        "ນາ: ສິດໄດ້ຮັບ 2.50 ha, ໄດ້ຮັບ 1.00 ha (1 ຕອນ), ຍັງຂາດ 1.50 ha (ໄດ້ 40 %)",
        "Paddy: entitled to 2.50 ha, received 1.00 ha in 1 plot, 1.50 ha short (40 % of the entitlement)")
    assert H.land_sentences("upland", 0.0, 0.0, 0)[1] == "Rotational upland: entitled to 0.00 ha, received nothing"
    assert H.land_sentences("grazing", float("nan"), 3.0, 2)[1] == (
        "Grazing land: entitled to - ha, received 3.00 ha in 2 plots")  # the certificates' name
    assert H.land_type_name("swidden_x") == ("swidden_x", "swidden_x")  # unknown: the code, never dropped


@pytest.mark.parametrize(("side_m", "bar_m"), [(590.0, 200), (400.0, 100), (4000.0, 1000), (50.0, 10)])
def test_scale_bar_is_a_round_length_near_a_quarter(side_m, bar_m):
    assert H._scale_bar(side_m) == bar_m


def test_many_plots_continue_on_a_second_page(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    n = 40
    parcels = gpd.GeoDataFrame({"parcel_id": [f"P{i:02d}" for i in range(n)], "village_id": "V1",
                                "land_type": "upland"},
                               geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(n)], crs="EPSG:32647")
    alloc = parcels.assign(household_id="H1", area_ha=1.0, certificate_no=[f"C{i:02d}" for i in range(n)])
    vil = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["V"], "name_lo": ["ບ"]},
                           geometry=[box(0, 0, n * 100, 100)], crs="EPSG:32647")
    out = tmp_path / "o"
    H.write_household_sheets(out, _households().iloc[:1], alloc, parcels=parcels, villages=vil)
    if have("pdftotext"):
        text = _pdftotext(out / "V1" / "H1.pdf")
        assert all(f"C{i:02d}" in text for i in range(n)) and "(continued)" in text
        assert "\f" in text.rstrip("\f")  # two pages
    page = (out / "V1" / "H1.html").read_text(encoding="utf-8")
    assert page.count("<tr><td class=\"n\">") == n



def test_a_character_without_glyph_is_logged(tmp_path, one_ha_parcels, one_village, caplog):
    hh = _households()
    hh.loc[0, "head_name"] = "Wang 王"  # Noto Sans Lao has no Han glyphs
    with caplog.at_level("WARNING", logger="landuse.plan"):
        _write(tmp_path, one_ha_parcels, one_village, households=hh)
    assert [r.getMessage() for r in caplog.records] == [
        "household sheet H1: the Lao font has no glyph for U+738B; the PDF prints them as empty boxes"]
