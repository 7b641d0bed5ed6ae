"""The plan reports a district officer reads: sentences, review status, A4 print in Chromium.

Hand-made villages (no plan run): households whose entitlements and allocations are
chosen so the below-share list and the "needs attention" status can be worked out by
hand; hostile ids and names; a long id that must wrap at the printable width.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from landuse.plan import _report_text as txt
from landuse.plan._report import write_reports
from landuse.plan._results import VillageProducts, VillageResult

CHROMIUM = Path("/usr/bin/chromium")
LAO = re.compile("[\u0e80-\u0eff]")
HOSTILE_NAME = "<script>window.__xss=1</script>"


def _households(vid: str, rows: list[tuple[str, float, float, float, float]]) -> pd.DataFrame:
    """rows: (id, entitled paddy, allocated paddy, entitled upland, allocated upland) [ha]."""
    df = pd.DataFrame(rows, columns=["household_id", "entitled_ha_paddy", "allocated_ha_paddy",
                                     "entitled_ha_upland", "allocated_ha_upland"])
    df.insert(1, "village_id", vid)
    df.insert(2, "labour_units", 2.0)
    df["head_name"] = [f"Head {h}" for h in df["household_id"]]
    df["head_name_lo"] = [f"ຫົວໜ້າ {h}" for h in df["household_id"]]
    df["entitled_ha"] = df["entitled_ha_paddy"] + df["entitled_ha_upland"]
    df["allocated_ha"] = df["allocated_ha_paddy"] + df["allocated_ha_upland"]
    return df


# H1: 4 of 10 ha (40 %) -> listed; H2: 5 of 10 (50 %) -> not listed (strictly below);
# H3: 0 of 4 -> listed, and got nothing of paddy and upland; H4: entitled to nothing -> not listed;
# H5: 9 of 10 but no upland although entitled to 1 ha -> got nothing of upland, not below 50 %.
CASE = [("H1", 5, 2, 5, 2), ("H2", 5, 4, 5, 1), ("H3", 2, 0, 2, 0), ("H4", 0, 0, 0, 0),
        ("H5", 9, 9, 1, 0)]


def _result(vid: str, hh: pd.DataFrame | None, *, n_parcels: int = 100, n_high: int = 0) -> VillageResult:
    zt = pd.DataFrame({"zone": ["PADDY", "ROTATIONAL_UPLAND"], "area_ha": [1234.5, 56.78]})
    conflicts = pd.DataFrame({"parcel_id": [f"{vid}-P{i}" for i in range(n_high)], "land_type": ["paddy"] * n_high,
                              "dominant_zone": ["ROTATIONAL_UPLAND"] * n_high, "severity": ["high"] * n_high,
                              "conflict_reason": ["40 % of this paddy parcel lies in ROTATIONAL_UPLAND (40 %), "
                                                  "where paddy is not allowed"] * n_high})
    products = VillageProducts(zone_table=zt, allocation_households=hh, conflicts=conflicts,
                               parcel_zones=pd.DataFrame({"parcel_id": range(n_parcels)}), charts={})
    figures = {"allocation": {"method": "milp", "status": "optimal", "mip_gap": 0.004, "n_subproblems": 3,
                              "gini": 0.13, "n_allocated": 12},
               "land_demand": {"land_needed_ha": 1317.43, "rotational_area_ha": 684.74, "year_critical": 2033.0},
               "fallow_km_by_decade": {"1990": {"median_fallow_years": 8.0, "n_spells": 3, "n_events": 3,
                                                "status": "ok"}},
               "fallow_trend": {"status": "shortening", "trend_yr_per_decade": -1.77}}
    return VillageResult(vid, products=products, figures=figures)


def _scheme(vid: str) -> SimpleNamespace:
    summary = {f"figure_{k}": k * 1.5 for k in range(44)}
    summary.update({"scheme_id": "S1", "area_ha": 7.247, "families": 11, "design_flow_l_s": 21.5,
                    "dependable_flow_l_s": 10.1, "source_sufficient": False, "deficit_months": "1 2 3",
                    "servable_area_ha": 3.4, "canal_ok": True})
    return SimpleNamespace(spec=SimpleNamespace(scheme_id="S1", name_en="Houay Kang weir", name_lo="ຝາຍຫ້ວຍກາງ",
                                                village_id=vid), summary=summary)


LONG_ID = "V" + "x" * 119


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    villages = gpd.GeoDataFrame({"village_id": ["V1", "V2", LONG_ID], "name_en": ["Nalao", "Nami", HOSTILE_NAME],
                                 "name_lo": ["ນາເລົາ", "ນາໜີ", "ບ້ານ"]},
                                geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:32647")
    hh1 = _households("V1", CASE)
    hh1.loc[0, "head_name"] = HOSTILE_NAME
    hh2 = _households("V2", [("A1", 3, 3, 2, 2), ("A2", 1, 1, 0, 0)])
    results = [_result("V1", hh1), _result("V2", hh2, n_high=4), _result(LONG_ID, hh2.assign(village_id=LONG_ID))]
    plan = SimpleNamespace(name="Test plan " + HOSTILE_NAME, issue_date=dt.date(2026, 1, 15))
    status = {"V1": "ok", "V2": "ok", LONG_ID: "ok"}
    write_reports(out / "reports", plan=plan, results=results, schemes=[_scheme("V1")], status=status,
                  villages=villages, summary={"n_failed": 0})
    return out / "reports"


# -- sentences and rules ---------------------------------------------------------------------
def test_numbers_are_written_for_people():
    assert txt.fmt_year(2033.0) == "2033" and txt.fmt_year("1990") == "1990"
    assert txt.fmt_ha(0.3387) == "0.34" and txt.fmt_ha(17.478) == "17.5" and txt.fmt_ha(1317.43) == "1\u202f317"
    assert txt.fmt_ha(-0.001) == "0" and txt.fmt_ha(None) == "—" and txt.fmt_ha(float("nan")) == "—"
    assert txt.fmt_pct(0.4) == "40 %" and txt.fmt_pct(0.004) == "0.4 %"
    assert txt.fmt_int(1234567) == "1\u202f234\u202f567"


def test_below_share_and_got_nothing_on_a_hand_computed_case():
    hh = _households("V1", CASE)
    low = txt.below_share(hh)
    assert list(low["household_id"]) == ["H3", "H1"]  # 0 %, then 40 %; H2 at exactly 50 % is not below
    assert low["share"].round(6).tolist() == [0.0, 0.4]
    nothing = txt.got_nothing(hh)
    assert dict(zip(nothing["household_id"], nothing["land_types"], strict=True)) == {"H3": ["paddy", "upland"],
                                                                           "H5": ["upland"]}
    assert list(txt.below_share(hh, share=0.55)["household_id"]) == ["H3", "H1", "H2"]


def _got_nothing_per_row(households: pd.DataFrame, nothing_ha: float = txt.NOTHING_HA) -> pd.DataFrame:
    """The former per-household path of ``got_nothing`` (each column parsed again for every row)."""
    rows = []
    types = txt.land_types(households)
    for i in households.index:
        missing = [t for t in types
                   if pd.to_numeric(households[f"entitled_ha_{t}"], errors="coerce").fillna(0.0)[i] > 0
                   and pd.to_numeric(households[f"allocated_ha_{t}"], errors="coerce").fillna(0.0)[i] < nothing_ha]
        if missing:
            rows.append({"household_id": households.at[i, "household_id"], "land_types": missing})
    return pd.DataFrame(rows, columns=["household_id", "land_types"])


_AREA = st.one_of(st.sampled_from([0.0, -0.0, 1e-9, 0.01, 0.5, float("nan"), None, "", "x", "0.2"]),
                  st.floats(-1, 5, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=4), _AREA, _AREA, _AREA, _AREA), max_size=12),
       st.sampled_from([txt.NOTHING_HA, 0.0, 0.3]), st.booleans())
def test_got_nothing_equals_the_per_row_path(rows, nothing_ha, shuffled_index):
    """Column-wise ``got_nothing`` gives the same frame as the old per-household loop
    (text, blank, NaN and negative areas; a non-default, non-sorted index)."""
    hh = pd.DataFrame(rows, columns=["household_id", "entitled_ha_paddy", "allocated_ha_paddy",
                                     "entitled_ha_upland", "allocated_ha_upland"])
    if shuffled_index:
        hh.index = [7 * k + 3 for k in range(len(hh))][::-1]
    pd.testing.assert_frame_equal(txt.got_nothing(hh, nothing_ha=nothing_ha),
                                  _got_nothing_per_row(hh, nothing_ha), check_exact=True)


def _household_tables_per_row(vid: str, hh: pd.DataFrame) -> str:
    """The former ``_household_tables`` (iterrows, and a label lookup per household that got nothing)."""
    from html import escape

    from landuse.plan import _report_village as rv

    low = txt.below_share(hh)
    limit = txt.fmt_pct(txt.BELOW_SHARE)
    parts = [rv.bi_heading(3, (f"ຄອບຄົວທີ່ໄດ້ຮັບໜ້ອຍກວ່າ {limit} ຂອງສິດ",
                               f"Households that received less than {limit} of their entitlement")),
             rv.bi_lines([(f"ລາຍຊື່ນີ້ ລວມທຸກຄອບຄົວທີ່ໄດ້ຮັບທີ່ດິນ (ທຸກປະເພດລວມກັນ) ໜ້ອຍກວ່າ {limit} ຂອງເນື້ອທີ່ທີ່ມີສິດ: "
                            f"{txt.fmt_int(len(low))} ຄອບຄົວ.",
                            f"This list holds every household whose allocated area (all land types together) is "
                            f"below {limit} of its entitled area: {txt.fmt_int(len(low))} households.")])]
    rows = []
    for k, (_, r) in enumerate(low.iterrows(), start=1):
        lo, en = rv._names(r)
        rows.append([str(k), rv._hh_cell(vid, r["household_id"]), escape(lo), escape(en),
                     txt.fmt_ha(r["entitled_ha"]), txt.fmt_ha(r["allocated_ha"]), txt.fmt_pct(r["share"])])
    parts.append(rv.table(["#", ("ລະຫັດຄອບຄົວ", "Household"), ("ຫົວໜ້າຄອບຄົວ", "Head (Lao)"),
                           ("ຫົວໜ້າຄອບຄົວ (ອັງກິດ)", "Head (English)"), ("ມີສິດ [ເຮັກຕາ]", "Entitled [ha]"),
                           ("ໄດ້ຮັບ [ເຮັກຕາ]", "Allocated [ha]"), ("ສ່ວນ", "Share")],
                          rows, numeric=(0, 4, 5, 6), cells_html=True))
    nothing = txt.got_nothing(hh)
    parts.append(rv.bi_heading(3, ("ຄອບຄົວທີ່ບໍ່ໄດ້ຮັບທີ່ດິນປະເພດທີ່ຕົນມີສິດ",
                                   "Households that got nothing of a land type they are entitled to")))
    by_id = hh.set_index("household_id", drop=False)
    rows = []
    for k, (_, r) in enumerate(nothing.iterrows(), start=1):
        full = by_id.loc[r["household_id"]]
        full = full.iloc[0] if isinstance(full, pd.DataFrame) else full
        lo, en = rv._names(full)
        rows.append([str(k), rv._hh_cell(vid, r["household_id"]), escape(lo), escape(en),
                     rv._types_cell(list(r["land_types"]))])
    parts.append(rv.table(["#", ("ລະຫັດຄອບຄົວ", "Household"), ("ຫົວໜ້າຄອບຄົວ", "Head (Lao)"),
                           ("ຫົວໜ້າຄອບຄົວ (ອັງກິດ)", "Head (English)"), ("ບໍ່ໄດ້ຮັບ", "Got nothing of")],
                          rows, numeric=(0,), cells_html=True))
    return "".join(parts)


def _household_cases() -> list[pd.DataFrame]:
    plain = _households("V1", CASE)
    hostile = _households("V<2>", [*CASE, ("H<x>&'", 2, 0, 0, 0)])
    hostile.loc[0, "head_name"] = HOSTILE_NAME
    hostile.loc[1, "head_name_lo"] = None
    hostile.loc[2, "head_name"] = float("nan")
    hostile.loc[3, "head_name_lo"] = pd.NA
    dup = pd.concat([plain, plain.assign(head_name="second")], ignore_index=True)  # duplicate ids: first row named
    numeric = plain.drop(columns=["village_id", "head_name", "head_name_lo"]).assign(
        household_id=range(101, 101 + len(plain)))  # every column a number: rows as float64 Series
    no_names = plain.drop(columns=["head_name", "head_name_lo"])
    return [plain, hostile, dup, numeric, no_names, _households("V1", [("A", 1, 1, 1, 1)])]  # last: nobody listed


@pytest.mark.parametrize("case", range(6))
def test_household_tables_equal_the_per_row_path(case):
    from landuse.plan import _report_village as rv

    hh = _household_cases()[case]
    assert rv._household_tables("V1", hh) == _household_tables_per_row("V1", hh)


def test_review_needs_attention_for_nothing_or_many_high_conflicts():
    ok = _households("V", [("A", 1, 1, 1, 1)])
    assert not txt.review(ok, None, 100).needs_attention
    assert txt.review(ok, None, 100).label == ("ປົກກະຕິ", "ok")
    bad = _households("V", [("A", 1, 1, 1, 0)])
    r = txt.review(bad, None, 100)
    assert r.needs_attention and r.label == ("ຕ້ອງເອົາໃຈໃສ່", "needs attention")
    assert "1 households got nothing" in r.reasons[0][1]
    conflicts = pd.DataFrame({"severity": ["high"] * 5 + ["medium"] * 10})
    assert not txt.review(ok, conflicts, 100).needs_attention  # 5 % is not above 5 %
    conflicts = pd.DataFrame({"severity": ["high"] * 6})
    r = txt.review(ok, conflicts, 100)
    assert r.needs_attention and "6 parcels (6 %)" in r.reasons[0][1]
    assert "5 %" in r.rules[0][1]  # the threshold is stated


def test_household_sentences_add_up():
    hh = _households("V1", CASE)
    pairs = txt.household_sentences(hh)
    en = " | ".join(e for _, e in pairs)
    # entitled 10+10+4+0+10 = 34 ha, allocated 4+5+0+0+9 = 18 ha -> 53 %
    assert "5 households" in en and "entitled to 34.0 ha and were allocated 18.0 ha (53 %)" in en
    assert "Paddy: entitled 21.0 ha, allocated 15.0 ha (71 %)" in en
    assert "2 households received less than 50 %" in en
    assert all(LAO.search(lo) for lo, _ in pairs)


def test_conflict_fallow_irrigation_sentences():
    c = pd.DataFrame({"land_type": ["paddy", "paddy", "permanent"], "severity": ["high", "medium", "high"],
                      "dominant_zone": ["ROTATIONAL_UPLAND"] * 3,
                      "conflict_reason": ["40 % of this paddy parcel lies in X, where paddy is not allowed",
                                          "30 % of this paddy parcel lies in X, where paddy is not allowed",
                                          "mean slope 31.0 % exceeds the permanent limit of 30 %"]})
    en = [e for _, e in txt.conflict_sentences(c, 30)]
    assert en[0].startswith("3 of 30 parcels (10 %) conflict") and "2 of them at high severity" in en[0]
    assert "2 paddy parcels lie partly in zones where paddy is not allowed (mostly rotational upland)." in en
    assert "1 permanent crops parcels are steeper than the limit for permanent crops." in en
    f = [e for _, e in txt.fallow_sentences(_result("V", None).figures)]
    assert any("around 2033." in s for s in f) and any("in the 1990s rested a median of 8 years" in s for s in f)
    assert any("1\u202f317 ha" in s and "633 ha short" in s for s in f)
    i = [e for _, e in txt.irrigation_sentences(_scheme("V").summary)]
    assert "short of water in months 1, 2, 3" in i[2] and "3.40 ha" in i[2]


def test_household_columns_keep_members_and_read_back(tmp_path):
    from landuse import io
    from landuse.plan._products import _with_members

    hh = _households("V1", CASE[:2])
    given = pd.DataFrame({"household_id": ["H2", "H1"], "members": [7, 4]})
    out = _with_members(hh, given)
    assert list(out.columns[:4]) == ["household_id", "village_id", "labour_units", "members"]
    assert out["members"].tolist() == [4, 7]
    path = io.write_table(txt.bilingual_header(out), tmp_path / "h.xlsx")
    people = pd.read_excel(path, header=0)
    assert people.columns[3] == "ຈຳນວນສະມາຊິກ / Members"
    assert "ໄດ້ຮັບ [ເຮັກຕາ]: ນາ / Allocated [ha]: Paddy" in people.columns
    machine = pd.read_excel(path, header=1)
    pd.testing.assert_frame_equal(machine, out, check_dtype=False)


# -- the written pages -------------------------------------------------------------------------
def test_pages_escape_hostile_values_and_state_the_rules(reports):
    v1 = (reports / "V1.html").read_text(encoding="utf-8")
    index = (reports / "index.html").read_text(encoding="utf-8")
    for html in (v1, index):
        assert HOSTILE_NAME not in html and "&lt;script&gt;" in html
    assert "data-status='needs attention'" in v1
    assert "data-status='ok'" in (reports / "V2.html").read_text(encoding="utf-8")
    assert "more than 5 % of its parcels conflict" in v1
    assert "mip_gap" not in v1.split("id='appendix'")[0] and "MIP gap" in v1.split("id='appendix'")[1]
    assert "../households/V1/H1.html" in v1 and "../households/V1/H3.html" in v1


def test_years_have_no_thousands_separator(reports):
    text = re.sub(r"<[^>]+>", " ", (reports / "V1.html").read_text(encoding="utf-8"))
    assert "2033" in text and "1990s" in text
    assert not re.search(r"\b[12],\d{3}\b|\b(19|20)\d\d\.0\b", text)


def _headings_lao_first(html: str) -> list[str]:
    bad = []
    for m in re.finditer(r"<h([1-3])[^>]*>(.*?)</h\1>", html, flags=re.S):
        langs = re.findall(r"lang='(lo|en)'", m.group(2))
        if not langs or langs[0] != "lo":
            bad.append(m.group(2))
    return bad


def test_headings_put_lao_first(reports):
    for name in ("V1.html", "index.html"):
        html = (reports / name).read_text(encoding="utf-8")
        assert len(re.findall(r"<h[1-3]", html)) >= 3
        assert _headings_lao_first(html) == []


# -- Chromium: A4 print, nothing cut ---------------------------------------------------------------
def _browser():
    from playwright import sync_api

    pw = sync_api.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-gpu"])
    return pw, browser


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) is not installed")
def test_reports_print_on_a4_and_nothing_is_cut(reports, tmp_path):
    from pypdf import PdfReader

    from landuse.plan._report_css import PRINT_WIDTH_MM

    width_px = PRINT_WIDTH_MM / 25.4 * 96
    pw, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": round(width_px), "height": 1000})
        page.emulate_media(media="print")
        from landuse._validate.ids import id_filename

        for name in ("V1.html", "index.html", id_filename(LONG_ID, ".html")):
            page.goto((reports / name).as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("window.__xss") is None
            wider = page.evaluate("""(limit) => [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > limit + 0.5 || e.scrollWidth > e.clientWidth + 1
                             && getComputedStyle(e).overflowX !== 'visible')
                .map(e => e.tagName + ':' + e.textContent.slice(0, 40))""", width_px)
            assert wider == [], (name, wider[:5])
            assert page.evaluate("document.documentElement.scrollWidth") <= round(width_px) + 1, name
            # in every heading the Lao text comes before its English, in the same font size
            order = page.evaluate("""() => [...document.querySelectorAll('h1,h2,h3')].map(h => {
                const lo = h.querySelector('[lang=lo]'), en = h.querySelector('[lang=en]');
                if (!lo || !en) return 'missing: ' + h.innerText;
                const t = h.innerText;
                if (t.indexOf(lo.innerText) >= t.indexOf(en.innerText)) return 'order: ' + t;
                if (getComputedStyle(lo).fontSize !== getComputedStyle(en).fontSize) return 'size: ' + t;
                return 'ok'; })""")
            assert order and set(order) == {"ok"}, (name, [o for o in order if o != "ok"])
            # Lao text is drawn with a Lao font (the embedded one when the system has none)
            page.evaluate("document.fonts.ready")
            assert page.evaluate("""() => [...document.fonts].some(f => f.family.includes('landuse Lao')
                                                                 && f.status === 'loaded')""")
            pdf = tmp_path / f"{name}.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True)
            reader = PdfReader(pdf)
            for p in reader.pages:
                w, h = float(p.mediabox.width), float(p.mediabox.height)
                assert abs(w - 595.28) < 1 and abs(h - 841.89) < 1, (name, w, h)
            if name == "V1.html":
                assert len(reader.pages) >= 2  # sections break onto new pages
                text = "".join(p.extract_text() for p in reader.pages)
                assert "needs attention" in text and "2033" in text and "2,033" not in text
    finally:
        browser.close()
        pw.stop()


def test_print_maps_are_a4_png_with_the_same_bytes_each_time(tmp_path, one_village, one_ha_parcels):
    from PIL import Image

    from landuse.plan._products import _write_print_maps
    from landuse.plan._report import product_links

    two = pd.concat([one_village, one_village.assign(village_id="../V2", geometry=one_village.translate(400))])
    parcels = pd.concat([one_ha_parcels, one_ha_parcels.assign(village_id="../V2",
                                                               geometry=one_ha_parcels.translate(400))])
    layers = {"villages": gpd.GeoDataFrame(two, crs=one_village.crs),
              "parcels": gpd.GeoDataFrame(parcels, crs=one_village.crs)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _write_print_maps(tmp_path / "a" / "maps", layers, None, title="t", notes="2026-01-15")
    again = _write_print_maps(tmp_path / "b" / "maps", layers, None, title="t", notes="2026-01-15")
    assert sorted(first) == ["print_map:../V2", "print_map:V1"]
    for key, path in first.items():
        assert path.parent == tmp_path / "a" / "maps"  # a hostile id stays inside the folder
        assert path.read_bytes() == again[key].read_bytes()
        with Image.open(path) as im:
            assert abs(im.width / im.height - 297 / 210) < 0.01
    links = product_links(tmp_path / "a", ["V1", "../V2", "V3"])
    assert links["print_maps"]["V1"] == "../maps/V1.png" and "V3" not in links["print_maps"]
    assert links["maps"] == "../maps/" and "map" not in links  # no map.html was written
    assert all(h.startswith("../maps/") and ".." not in h[3:] for h in links["print_maps"].values())
