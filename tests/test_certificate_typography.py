"""Typography of the printed pages: no two lines of text touch, at 300 and 600 dpi (issue 18).

The oracle reads the PDF with poppler, independently of the layout code: ``pdftotext
-bbox-layout`` gives the boxes of the text lines, ``pdftoppm`` renders the page. The
ink of the render is cut into connected components; components larger than any glyph
(frames, rules, QR codes, map lines) are graphics and set aside. For two lines one
above the other (their boxes overlap across, their centres less than 2.5 line heights
apart) the rows from the centre of the upper line to the centre of the lower one must
hold at least one row with no ink over the columns both lines share: the lowest ink of
the upper line is above the highest ink of the lower line. A Lao tone mark touching
the line above, or an English descender reaching into the Lao marks of the next line,
leaves no such row.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from conftest import UTM47, X0, Y0, have
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from landuse import certificates
from landuse.certificates import _pdf, keys

pytestmark = pytest.mark.skipif(not (have("pdftoppm") and have("pdftotext")), reason="needs poppler-utils")

_LINE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S)
_WORD = re.compile(r"<word[^>]*>(.*?)</word>", re.S)


def text_lines(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """Boxes ``(x0, y0, x1, y1)`` [pt, from the top] and texts of the lines of *page* (pdftotext)."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(c), float(d), html.unescape(" ".join(_WORD.findall(body))))
            for a, b, c, d, body in _LINE.findall(out)]


_ASC, _DESC = 1.183, 0.462  # Noto Sans Lao's ascender and descender [em]: pdftotext's line box around the baseline


def _components(pdf: Path, page: int, dpi: int) -> list[tuple[int, int, int, int]]:
    """Connected components of ink of *page* at *dpi* no larger than 40 pt: ``(row0, row1, col0, col1)`` [px]."""
    import io

    from PIL import Image
    from scipy import ndimage

    png = subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                          "-singlefile", str(pdf)], capture_output=True, check=True).stdout
    with Image.open(io.BytesIO(png)) as im:
        ink = np.asarray(im.convert("L")) < 170
    lab, _n = ndimage.label(ink, structure=np.ones((3, 3)))
    big = 40 * dpi / 72
    return [(sl[0].start, sl[0].stop, sl[1].start, sl[1].stop) for sl in ndimage.find_objects(lab)
            if sl[0].stop - sl[0].start <= big and sl[1].stop - sl[1].start <= big]


def touching_lines(pdf: Path, page: int, dpi: int, *, skip: tuple[float, float, float, float] | None = None
                   ) -> list[tuple[str, str]]:
    """Pairs of neighbouring lines of *page* whose ink rows meet (see the module doc).

    A component of ink that crosses the strip just above one line's baseline is a letter
    of that line (one that crosses two lines' strips joins them: they touch); any other
    (a mark, a dot) goes with the nearest letter above, below or within 0.3 em beside
    it among the lines whose zone (1.25 em above the baseline to 0.55 em below) holds
    it. The lowest ink of the upper line must lie above the highest ink of the lower
    line, over the columns both share. *skip*: a box [pt] (a map) whose lines
    are labels, not lines of text.
    """
    lines = [ln for ln in text_lines(pdf, page) if ln[4].strip()]
    if skip is not None:
        lines = [ln for ln in lines if not (skip[0] <= ln[0] and ln[2] <= skip[2] and skip[1] <= ln[1]
                                            and ln[3] <= skip[3])]
    k = dpi / 72
    geo = []  # per line: baseline, size, x0, x1 [px]
    for x0, y0, x1, y1, _t in lines:
        size = (y1 - y0) / (_ASC + _DESC)
        geo.append(((y1 - _DESC * size) * k, size * k, x0 * k, x1 * k))
    owned: list[list[tuple[int, int, int, int]]] = [[] for _ in lines]
    loose, merged = [], []
    for comp in _components(pdf, page, dpi):  # letters cross the strip just above their baseline
        r0, r1, c0, c1 = comp
        hit = [n for n, (b, s, x0, x1) in enumerate(geo)
               if r0 < b - 0.05 * s and r1 > b - 0.3 * s and c0 < x1 and c1 > x0]
        if len(hit) == 1:
            owned[hit[0]].append(comp)
        elif len(hit) > 1:
            merged.append(hit)  # one piece of ink through the letters of two lines: they touch
        else:
            loose.append(comp)
    # marks, dots, commas: with the nearest ink of a line whose zone holds them. Marks stack (a
    # tone mark over a vowel over a letter), so a mark's nearest ink may itself be a mark: the
    # pieces are given out again, each time with what the lines hold so far, until none moves
    # (a tone mark 2 px over its vowel and 6 px under the descender of the line above is found
    # to be the vowel's, not the descender's, on the second round).
    home: dict[int, int] = {}
    for _round in range(4):
        moved = False
        for m, comp in enumerate(loose):
            r0, r1, c0, c1 = comp
            mid = (r0 + r1) / 2
            cands = [n for n, (b, s, x0, x1) in enumerate(geo)
                     if b - 1.25 * s <= mid <= b + 0.55 * s and c0 < x1 and c1 > x0]

            def gap(n: int, r0: int = r0, r1: int = r1, c0: int = c0, c1: int = c1, m: int = m) -> float:
                b, s = geo[n][0], geo[n][1]
                w = 0.3 * s  # letters beside it count too (an apostrophe, a mark between two letters)
                held = owned[n] + [loose[q] for q, n2 in home.items() if n2 == n and q != m]
                near = [max(o[0] - r1, r0 - o[1]) for o in held if o[2] < c1 + w and o[3] > c0 - w]
                return min(near) if near else max(r0 - b, (b - 0.3 * s) - r1) + 1000

            if cands:
                n = min(cands, key=gap)
                moved |= home.get(m) != n
                home[m] = n
        if not moved:
            break
    for m, n in home.items():
        owned[n].append(loose[m])
    bad = [(lines[h[0]][4], lines[h[1]][4]) for h in merged]
    for i, a in enumerate(lines):
        ca = (a[1] + a[3]) / 2
        below = [j for j, b in enumerate(lines) if (b[1] + b[3]) / 2 > ca + 0.5
                 and min(a[2], b[2]) - max(a[0], b[0]) >= 1.0]
        if not below:
            continue
        j = min(below, key=lambda n: (lines[n][1] + lines[n][3]) / 2)
        b = lines[j]
        if (b[1] + b[3]) / 2 - ca > 2.5 * max(a[3] - a[1], b[3] - b[1]):
            continue
        lo, hi = max(a[0], b[0]) * k, min(a[2], b[2]) * k
        low_i = [c[1] for c in owned[i] if c[2] < hi and c[3] > lo]
        high_j = [c[0] for c in owned[j] if c[2] < hi and c[3] > lo]
        if low_i and high_j and max(low_i) >= min(high_j):  # rows are [start, stop): no blank row between
            bad.append((a[4], b[4]))
    return list(dict.fromkeys(bad))  # a pair both joined by one piece of ink and overlapping: once


# -- the oracle can fail ---------------------------------------------------------------------------
def _fonts():
    from landuse.certificates.issue import _fonts as fonts

    return fonts()


def test_oracle_finds_lines_that_touch(tmp_path):
    """Two lines drawn too close (Lao marks into the English line above) are found; well spaced, not."""
    doc = _pdf.Document(*_fonts())
    p = doc.add_page()
    lo, en = "ຜູ້ຖືສິດ ຕ້ອງນຳໃຊ້ທີ່ດິນ ຕາມປະເພດ ແລະ ແຜນການນຳໃຊ້ທີ່ດິນຂອງບ້ານ.", "The holder pays the land tax (gjpqy)."
    p.text(40, 100, en, size=9)
    p.text(40, 108, lo, size=9)  # 8 pt: tone marks at about 1.1 em reach the descenders above
    y = p.flow(40, 200, [en, lo, en], size=9)
    assert y > 200
    path = tmp_path / "t.pdf"
    path.write_bytes(doc.to_bytes())
    assert touching_lines(path, 1, 300) == [(en, lo)]


# -- certificates ----------------------------------------------------------------------------------
#: A long condition whose every line holds both the tallest stacks (``ຟື້`` ``ຝີ້``: about 1.16 em above
#: the baseline) and the deepest (``ຫຼຸ`` ``ຟູ``: about 0.47 em below), so that lines set closer than
#: their ink would touch.
LONG_LAO = ("ຜູ້ຖືສິດ ຕ້ອງຟື້ນຟູ ແລະ ຫຼຸດຜ່ອນ ການຖາງປ່າ ຕາມແຜນການນຳໃຊ້ທີ່ດິນຂອງບ້ານ, ຝີ້ນຟູ ຫຼຸດຜ່ອນ ຕ້ອງເສຍອາກອນທີ່ດິນ "
            "ຕາມກົດໝາຍ, ຟື້ນຟູ ຫຼຸດຜ່ອນ ຫ້າມຂາຍ, ໂອນ ຫຼື ເຊົ່າ ທີ່ດິນນີ້ ກ່ອນໄດ້ຮັບໃບຕາດິນ; ຟື້ນຟູ ຫຼຸດຜ່ອນ ຖ້ານຳໃຊ້ຖືກຕ້ອງ "
            "ຕາມເງື່ອນໄຂ ພາຍໃນກຳນົດເວລາ, ຟື້ນຟູ ຫຼຸດຜ່ອນ ຜູ້ຖືສິດ ສາມາດຂໍໃບຕາດິນໄດ້ ແລະ ຕ້ອງປົກປັກຮັກສາ ປ່າໄມ້, ຟື້ນຟູ "
            "ຫຼຸດຜ່ອນ ແຫຼ່ງນ້ຳ ແລະ ເຂດແດນຂອງບ້ານ ຕະຫຼອດໄປ, ຟື້ນຟູ ຫຼຸດຜ່ອນ ແລະ ຮັກສາ ທີ່ດິນ ໃຫ້ອຸດົມສົມບູນ ຟື້ນຟູ ຫຼຸດຜ່ອນ.")
LONG_EN = ("The holder uses the land for its land type and according to the village land-use plan, pays the "
           "land tax, may not sell, transfer or lease it before a land title, and keeps forests, springs (jjj) "
           "and the village boundary as agreed; if used as agreed, the holder may apply for a land title.")


def _households():
    import pandas as pd

    return pd.DataFrame({"household_id": ["H1", "H2"], "head_name": ["Bouasone Luangrath", "Khammany Keomany"],
                         "head_name_lo": ["ບົວສອນ ຫຼວງລາດ", "ຄຳມະນີ ແກ້ວມະນີ"],
                         "spouse_name": ["Vanmany Keomany", ""], "spouse_name_lo": ["ວັນມະນີ ແກ້ວມະນີ", ""]})


def _layers():
    from conftest import square
    from shapely.geometry import box

    v = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Nalao"], "name_lo": ["ນາເລົາ"], "district_en": ["Xay"],
                          "district_lo": ["ມ. ໄຊ"], "province_en": ["Oudomxai"], "province_lo": ["ແຂວງ ອຸດົມໄຊ"]},
                         geometry=[box(X0, Y0, X0 + 300, Y0 + 200)], crs=UTM47)
    p = gpd.GeoDataFrame({"parcel_id": [f"V1-P{k}" for k in range(6)], "village_id": "V1",
                          "land_type": ["paddy", "paddy", "upland", "upland", "permanent", "forest"]},
                         geometry=[square(i, j) for j in range(2) for i in range(3)], crs=UTM47)
    a = p.iloc[:4].copy()
    a["household_id"] = ["H1", "H2", "H1", "H2"]
    a["certificate_no"] = ["V1-PD-0001", "V1-PD-0002", "V1-UP-0001", "V1-UP-0002"]
    streams = gpd.GeoDataFrame(geometry=[LineString([(X0 - 80, Y0 + 130), (X0 + 120, Y0 + 95), (X0 + 420, Y0 + 160)])],
                               crs=UTM47)
    return v, p, a, streams


def _labels_with_long_conditions() -> dict:
    lab = certificates.load_labels()
    lab["conditions"] = [*lab["conditions"], {"lo": LONG_LAO, "en": LONG_EN}]
    return lab


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("typo")
    key = keys.init_keys(tmp / "keys" / "xay.pem")
    v, p, a, streams = _layers()
    res = certificates.write_certificates(a, households=_households(), villages=v, parcels=p, out_dir=tmp / "out",
                                          issue_date="2026-01-15", key_file=key.private_path,
                                          labels=_labels_with_long_conditions(), streams=streams)
    return res


def sketch_box(pdf: Path) -> tuple[float, float, float, float]:
    """The sketch frame of a certificate's first page [pt]: its labels are map labels, not lines of text."""
    words = text_lines(pdf, 1)
    title = next(ln for ln in words if ln[4].startswith("ແຜນຜັງຕອນດິນ"))
    below = next(ln for ln in words if ln[4].startswith("ເງື່ອນໄຂການນຳໃຊ້"))
    return (title[0] - 1, title[3], title[0] + 301, below[1])


def cert_touching(pdf: Path, dpi: int = 300) -> list[tuple[str, str]]:
    """:func:`touching_lines` of a certificate's first page, the sketch's map labels left out."""
    return touching_lines(pdf, 1, dpi, skip=sketch_box(pdf))


@pytest.mark.parametrize("dpi", [300, 600])
def test_certificate_lines_never_touch(signed, dpi):
    for path in signed.files[:2]:
        assert cert_touching(path, dpi) == []


def test_certificate_header_names_each_level_once(signed):
    text = subprocess.run(["pdftotext", str(signed.files[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "ມ. ໄຊ" not in text and "ແຂວງ ແຂວງ" not in text
    assert "ແຂວງ ອຸດົມໄຊ" in text and "ເມືອງ ໄຊ" in text and "ບ້ານ ນາເລົາ" in text
    assert "Oudomxai Province, Xay District, Nalao Village" in text
    assert "ຫ້ອງການກະສິກຳ ແລະ ປ່າໄມ້ ເມືອງ ໄຊ" in text
    assert "ສາທາລະນະລັດ ປະຊາທິປະໄຕ ປະຊາຊົນລາວ" in text and "Lao People's Democratic Republic" in text
    # the footer: how to check, Lao first, with this certificate's number
    assert text.index("ວິທີກວດສອບໃບຢັ້ງຢືນນີ້") < text.index("How to check this certificate")
    flat = text.replace("\n", " ")
    assert "ສະແກນລະຫັດ QR" in flat and "Scan the QR code" in flat
    assert "ຫ້ອງການຊັບພະຍາກອນທຳມະຊາດ ແລະ ສິ່ງແວດລ້ອມເມືອງ" in flat and "district land office" in flat
    no = signed.register["certificate_no"].iloc[0]
    foot = next(ln for ln in text_lines(signed.files[0], 1) if ln[4].startswith("ວິທີກວດສອບ"))
    assert any(ln[4] == no and ln[1] < foot[3] and ln[3] > foot[1] for ln in text_lines(signed.files[0], 1))


def test_admin_name_strips_prefix_and_abbreviation():
    from landuse.certificates._layout import admin_name

    lab = certificates.load_labels()
    assert admin_name("ມ. ໄຊ", "Xay District", "district", lab) == ("ໄຊ", "Xay")
    assert admin_name("ເມືອງ ໄຊ", "Xay", "district", lab) == ("ໄຊ", "Xay")
    assert admin_name("ແຂວງ ອຸດົມໄຊ", "Oudomxai province", "province", lab) == ("ອຸດົມໄຊ", "Oudomxai")
    assert admin_name("ບ. ນາເລົາ", "Ban Nalao", "village", lab) == ("ນາເລົາ", "Nalao")
    assert admin_name("ມົງ", "Mong", "district", lab) == ("ມົງ", "Mong")  # a name starting with ມ is kept


def test_sketch_draws_streams_and_village_boundary(signed, tmp_path):
    """The stream (blue) and the dashed village boundary are drawn inside the sketch frame, clipped to it."""
    from PIL import Image

    path = signed.files[0]
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / "p")], check=True)
    with Image.open(tmp_path / "p.png") as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    blue = (rgb[..., 2] > 140) & (rgb[..., 0] < 90) & (rgb[..., 2] - rgb[..., 0] > 80)
    ys, xs = np.nonzero(blue)
    assert len(ys) > 50  # the stream across the sketch (and its legend sample)
    words = text_lines(path, 1)
    frame = next(ln for ln in words if ln[4].startswith("ແຜນຜັງຕອນດິນ"))
    conditions = next(ln for ln in words if ln[4].startswith("ເງື່ອນໄຂການນຳໃຊ້"))
    assert ys.min() > frame[3] and ys.max() < conditions[1]  # clipped to the sketch frame
    assert xs.min() >= 34 - 1 and xs.max() <= 34 + 300 + 1
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "ສາຍນ້ຳ / stream" in text and "ເຂດແດນບ້ານ / village boundary" in text
    assert "ເສັ້ນທາງ / road" not in text  # no roads given: none in the key


# -- long neighbour lists --------------------------------------------------------------------------
_SYLLABLES = ["ບົວ", "ສອນ", "ຫຼວງ", "ລາດ", "ແກ້ວ", "ມະ", "ນີ", "ສຸກ", "ສະ", "ຫວັນ", "ພັນ", "ທະ", "ວົງ", "ເງື່ອນ", "ໄຂ",
              "ຄວາມ", "ຜູ້", "ຖື", "ສິດ", "ນ້ຳ", "ຫ້ວຍ"]
_WORDS = ["Bouasone", "Luangrath", "Souksavanh", "Phanthavong", "(paddy)", "V1-P12", "garden", "stream", "jigsaw"]


@st.composite
def neighbour_lists(draw):
    parts = []
    while len(", ".join(parts)) < 300:
        lao = "".join(draw(st.lists(st.sampled_from(_SYLLABLES), min_size=2, max_size=5)))
        en = draw(st.sampled_from(_WORDS))
        parts.append(f"{lao} ({en})")
    return ", ".join(parts)


def _register_with(sides: dict[str, str]):
    v, p, a, _streams = _layers()
    reg = certificates.certificate_register(a.iloc[:1], households=_households(), villages=v, parcels=p,
                                            issue_date="2026-01-15")
    for side, text in sides.items():
        reg[side] = text
    reg["qr"] = "LUC1.e30.sig"  # drawn as signed: no draft watermark across the text (the layout is the same)
    return reg, v, p


# A random search once found (CI dry run, 2026-12-04 22:55 UTC), and again on 2026-12-05
# (about 50 random lists, one hit), a pair of wrapped lines said to touch: the lower line's tone
# mark over its vowel (ເງື່ອນ) sat 2 px above the vowel and 6 px (1.4 pt at 300 dpi) below
# the descender of "Phanthavong" above. The page was right, the oracle was not: it gave each
# mark to the nearest *letter*, so a mark stacked on a mark went to the line above. Marks now
# go to the nearest ink of either kind, given out until none moves; the example is kept.
_STACKED_MARK_EXAMPLE = ('ເງື່ອນຖື (Phanthavong), ຖືນ້ຳ (Luangrath), ຫ້ວຍພັນ (Luangrath), ເງື່ອນວົງຫຼວງເງື່ອນ (stream), ໄຂວົງນ້ຳຖືນ້ຳ (Souksavanh), ວົງລາດພັນສະຫ້ວຍ (Souksavanh), ລາດມະ (Bouasone), ພັນສອນມະເງື່ອນ (stream), ເງື່ອນຖື (garden), ສອນບົວແກ້ວສຸກຜູ້ (stream), ພັນແກ້ວຫວັນນ້ຳແກ້ວ (Souksavanh), ແກ້ວສິດສຸກ (Phanthavong), ຄວາມຖືໄຂ (V1-P12), ຜູ້ບົວເງື່ອນສຸກວົງ ((paddy)), ຜູ້ພັນ (Luangrath), ເງື່ອນສະແກ້ວ (jigsaw), ສະລາດຫຼວງທະ (garden), ເງື່ອນຜູ້ໄຂຄວາມ (garden), ສອນຄວາມ (V1-P12), ລາດບົວທະ (Luangrath), ຄວາມລາດສຸກ (Souksavanh), ມະຫ້ວຍ ((paddy)), ທະມະສຸກສອນຫວັນ (stream), ນ້ຳຫວັນສຸກບົວຫວັນ (stream)')


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(text=_STACKED_MARK_EXAMPLE, side="east")
@given(text=neighbour_lists(), side=st.sampled_from(["north", "east", "south", "west"]))
def test_long_neighbour_list_wrapped_whole_and_clear(tmp_path, text, side):
    assert len(text) >= 300
    reg, v, p = _register_with({side: text, "south" if side != "south" else "north": text[:120]})
    path = tmp_path / "long.pdf"
    path.write_bytes(certificates.render_certificates(reg, context=p, villages=v))
    # -raw: the order the page draws its lines (the layout order may interleave the sides)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", out)
    assert re.sub(r"\s+", "", text) in flat  # every name, none cut with "..."
    assert "..." not in out
    assert subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout.count("Pages:") == 1
    assert cert_touching(path) == []


def test_very_long_neighbour_lists_continue_in_full_on_a_page_of_their_own(tmp_path):
    """Beyond what the page holds, the first page says where the rest is and page 2 has every name."""
    from landuse.certificates._layout import NEIGHBOUR_CHARS_ON_PAGE, pages_needed

    names = ", ".join(f"ສົມພອນ ພົມມະຈັນ {k} (Somphone Phommachanh {k})" for k in range(80))
    assert len(names) * 4 > NEIGHBOUR_CHARS_ON_PAGE
    reg, v, p = _register_with(dict.fromkeys(("north", "east", "south", "west"), names))
    path = tmp_path / "very.pdf"
    path.write_bytes(certificates.render_certificates(reg, context=p, villages=v))
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout
    rest = subprocess.run(["pdftotext", "-raw", "-f", "2", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "continued" in first and "ຕໍ່" in first
    n_pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True,
                                                               text=True).stdout).group(1))
    assert n_pages == pages_needed(1, len(names) * 4) == 1 + 4  # 13,600 characters: 4 pages of their own
    assert touching_lines(path, 2, 300) == []  # the others are laid out alike
    flat = re.sub(r"\s+|\x0c", "", rest)
    flat = re.sub(r"V1-PD-0001-ຊາຍແດນຕິດກັບ/Boundaries\(ຕໍ່/continued,ໜ້າ/page\d\)", "", flat)
    assert flat.count(re.sub(r"\s+", "", names)) == 4
    assert cert_touching(path) == []


def test_neighbours_at_the_bound_fit_on_one_page(tmp_path):
    """Up to the bound of characters the boundaries fit on the first page, even in the widest letters."""
    from landuse.certificates._layout import NEIGHBOUR_CHARS_ON_PAGE

    wide = ("ໝໝໝ WWW ", "ຝັ່ງ MMM ", "ຫຼູ້ ງງງ ")
    per_side = NEIGHBOUR_CHARS_ON_PAGE // 4
    sides = {s: ("".join(wide) * 100)[:per_side] for s in ("north", "east", "south", "west")}
    reg, v, p = _register_with(sides)
    path = tmp_path / "bound.pdf"
    path.write_bytes(certificates.render_certificates(reg, context=p, villages=v))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    assert cert_touching(path) == []


# -- the public display sheet ----------------------------------------------------------------------
def test_public_display_sheet_lines_never_touch(tmp_path):
    from landuse.field.sheets import PAPER_MM, public_display_sheet

    v, p, a, _streams = _layers()
    parcels = p.merge(a[["parcel_id", "household_id"]], on="parcel_id", how="left")
    zones = gpd.GeoDataFrame({"village_id": ["V1"], "zone": ["PADDY"]}, geometry=[v.geometry[0]], crs=UTM47)
    out = public_display_sheet("V1", tmp_path / "pd.pdf", villages=v, zones=zones, parcels=parcels,
                               households=_households(), objection_from="2026-04-01")
    h_mm, w_mm = PAPER_MM["A3"]
    f = w_mm / 420
    mm = 72 / 25.4
    map_box = (10 * f * mm, 24 * f * mm, (10 * f + w_mm * 0.66) * mm, (24 * f + h_mm - 34 * f) * mm)
    for page in (1, 2, 3):
        for dpi in (300, 600) if page == 3 else (300,):
            assert touching_lines(out, page, dpi, skip=map_box) == [], (page, dpi)


def test_pades_stamp_box_lies_blank_inside_the_district_officers_box(signed, tmp_path):
    """The default PAdES stamp rectangle covers no text or line, and the district officer's box frames it."""
    from PIL import Image

    from landuse.certificates._pades import DEFAULT_STAMP_BOX

    subprocess.run(["pdftoppm", "-gray", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile",
                    str(signed.files[0]), str(tmp_path / "s")], check=True)
    with Image.open(tmp_path / "s.png") as im:
        ink = np.asarray(im.convert("L")) < 170
    height = ink.shape[0]
    x1, y1, x2, y2 = DEFAULT_STAMP_BOX
    top, bottom = height - y2, height - y1  # rows from the top
    assert not ink[int(top):int(bottom), int(x1):int(x2)].any()
    words = text_lines(signed.files[0], 1)
    title = next(ln for ln in words if "District officer" in ln[4])
    assert title[3] < top and title[0] < x1 and title[0] > x1 - 20  # its title above it, in the same box
    below = ink[int(bottom):int(bottom) + 8, int(x1):int(x2)]
    assert below.any(axis=1).any()  # the box's lower edge just under the stamp


# -- Lao line breaks -------------------------------------------------------------------------------
def _syllables(text: str) -> list[str]:
    cuts = _pdf.lao_breaks(text)
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def test_lao_breaks_fall_between_syllables():
    assert _syllables("ການນຳໃຊ້ທີ່ດິນ") == ["ການ", "ນຳ", "ໃຊ້", "ທີ່", "ດິນ"]
    assert _syllables("ສາທາລະນະລັດ") == ["ສາ", "ທາ", "ລະ", "ນະ", "ລັດ"]
    assert _syllables("ແກ້ວມະນີ") == ["ແກ້ວ", "ມະ", "ນີ"]
    assert _syllables("ເງື່ອນໄຂ") == ["ເງື່ອນ", "ໄຂ"]
    assert _syllables("ຄວາມ") == ["ຄວາມ"]  # the cluster ຄວ stays whole
    assert _syllables("ຫຼວງລາດ") == ["ຫຼວງ", "ລາດ"]
    assert _syllables("ຫວັນ") == ["ຫວັນ"]  # silent ຫ with a sonorant: one initial


_MARKS = set("ັິີຶືຸູົຼ່້໊໋໌ໍຳ")
_LAO_TEXT = st.text(alphabet=st.sampled_from(list("ກຂຄງຈສຊຍດຕຖທນບປຜຝພຟມຢຣລວຫອຮໜໝ"
                                                 "ະັາຳິີຶືຸູົຼຽເແໂໃໄ່້໊໋ໍ ") + list("ab (),-")),
                    min_size=1, max_size=120)


@settings(max_examples=200, deadline=None)
@given(text=_LAO_TEXT, width=st.floats(min_value=8, max_value=200))
def test_wrap_keeps_every_letter_and_never_splits_a_cluster(text, width):
    regular, _ = _fonts()
    for i in _pdf.lao_breaks(text):
        assert 0 < i < len(text) and text[i] not in _MARKS and text[i - 1] not in "ເແໂໃໄ"
    lines = _pdf.wrap(regular, text, width=width, size=8)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # only spaces at breaks go
    for ln in lines:
        if regular.width(ln, 8) > width:  # only a single cluster may be wider than the line
            assert len({g[1] for g in regular.shape(ln)}) == 1, ln
