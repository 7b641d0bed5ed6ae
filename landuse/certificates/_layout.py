"""Page layout of a land-use certificate (private; drawn with :mod:`landuse.certificates._pdf`).

One A4 page per certificate, top to bottom: the state name and motto; the province,
district and village (each prefix printed once: :func:`admin_name`) and the issuing
office, with the certificate number and dates on the right; the title; holder,
household, village, district, province, parcel, land type and area beside the QR
code; the neighbours to the north, east, south and west, wrapped in full (the font
shrinks, then the sketch shortens; beyond a bound of characters they continue on
pages of their own); the sketch map (parcel, neighbouring parcels, streams, roads,
village boundary, numbered vertices, key, north arrow, scale bar) beside the table of
boundary vertices in UTM; the conditions of use; signature boxes for the holder, the
village head and the district officer; the footer telling a villager how to check
the certificate (Lao, then English). Vertices that do not fit continue on extra pages.

Every block of text is placed with :meth:`~landuse.certificates._pdf.Page.flow`: lines
follow each other by the measured ink of their glyphs, so that no Lao mark comes
nearer than :func:`~landuse.certificates._pdf.clearance` to another line.
"""

from __future__ import annotations

import math
from typing import Any

from landuse.certificates._pdf import A4_PT, Document, Page, clearance, wrap

W, H = A4_PT
M = 34.0  # margin [pt]
GREY = (0.45, 0.45, 0.45)
LIGHT = (0.93, 0.93, 0.93)
BLACK = (0.0, 0.0, 0.0)
PARCEL_FILL = (1.0, 0.93, 0.70)

_SKETCH = (M, 0.0, 300.0, 220.0)  # x, y (set at draw time), width, height
_ROWS_PER_COLUMN = 24
_ROW_H = 8.6  # vertex table row [pt]: 25 rows beside the full sketch
_ROWS_EXTRA_PAGE = 70


#: Neighbour text (all four sides, characters) up to which the boundaries always fit on
#: the first page (at 5 pt at worst, the sketch shortened); beyond it they continue in
#: full on an extra page. A bound on characters, not a measurement, so that the page
#: count is known before the fonts are (the register numbers pages first).
NEIGHBOUR_CHARS_ON_PAGE = 2000
#: The same beside a vertex table of more than :data:`_SHORT_TABLE` vertices (the sketch cannot shorten).
NEIGHBOUR_CHARS_BESIDE_FULL_TABLE = 1000
_SHORT_TABLE = 30
#: Neighbour characters on each page of their own (they always fit, at 5 pt at worst).
NEIGHBOUR_CHARS_PER_PAGE = 4000
_NB_SIZES = (7.5, 7.0, 6.5, 6.0, 5.5, 5.0)
_SKETCH_MIN_H = 150.0
_SIGN_MIN_H = 62.0  # the titles and, below them, the PAdES stamp (_pades.DEFAULT_STAMP_BOX)
#: Height kept for the footer (how to check the certificate) at the foot of the page [pt];
#: the signature boxes end 6 pt above it, at a fixed place, so that the PAdES stamp fits in.
FOOTER_H = 56.0
_SKETCH_PAD = 28.0  # space above the sketch (its title) and below it [pt]
_NB_LABEL_W = 96.0


class _Scratch(Page):
    """A page that only measures: blocks flow as on a real page, nothing is drawn (heights before drawing)."""

    draws = False

    def text(self, x: float, y: float, text: str, *, size: float, bold: bool = False, align: str = "left",
             width: float | None = None) -> float:
        """Draw nothing (the real page draws); 0."""
        return 0.0


def pages_needed(n_vertices: int, chars: int = 0) -> int:
    """Pages a certificate takes: one, plus one per 140 vertices beyond the first 48, plus one for long boundaries.

    *chars* is the length of the four neighbour lists together (:func:`neighbour_chars`);
    beyond :data:`NEIGHBOUR_CHARS_ON_PAGE` they continue on a page of their own.
    """
    rest = max(0, n_vertices - 2 * _ROWS_PER_COLUMN)
    return 1 + math.ceil(rest / (2 * _ROWS_EXTRA_PAGE)) + _neighbour_pages(chars, n_vertices)


def _neighbour_pages(chars: int, n_vertices: int) -> int:
    """Pages of their own the neighbours take: none up to :func:`_chars_on_page`, else one per 4,000 characters."""
    return 0 if chars <= _chars_on_page(n_vertices) else math.ceil(chars / NEIGHBOUR_CHARS_PER_PAGE)


def _chars_on_page(n_vertices: int) -> int:
    """Neighbour characters that always fit on the first page beside a vertex table of *n_vertices*."""
    return NEIGHBOUR_CHARS_ON_PAGE if n_vertices <= _SHORT_TABLE else NEIGHBOUR_CHARS_BESIDE_FULL_TABLE


def _long_list(rec: dict[str, Any]) -> bool:
    """Whether the neighbours of *rec* continue on a page of their own (:func:`pages_needed`)."""
    return neighbour_chars(rec) > _chars_on_page(len(rec["vertices"]))


def _sketch_min_h(n_vertices: int) -> float:
    """Least height of the sketch: the vertex table beside it must fit. [pt]"""
    rows = min(math.ceil(n_vertices / 2), _ROWS_PER_COLUMN)
    return max(_SKETCH_MIN_H, (rows + 1) * _ROW_H + 4)


def neighbour_chars(rec: dict[str, Any]) -> int:
    """Length of the four neighbour lists of *rec* together (:func:`pages_needed`)."""
    return sum(len(str(rec.get(side) or "")) for side in ("north", "east", "south", "west"))


def _bi(lab: dict, key: str) -> str:
    t = lab["labels"][key]
    return f"{t['lo']} / {t['en']}"


def _value(text: str) -> str:
    return text if text else "-"


_SUFFIX_EN = {"province": "Province", "district": "District", "village": "Village"}


def admin_name(name_lo: str, name_en: str, level: str, lab: dict[str, Any]) -> tuple[str, str]:
    """The bare Lao and English name of a province, district or village, without its prefix.

    Registers write a district ``ມ. ໄຊ`` or ``ເມືອງ ໄຊ``, a province ``ແຂວງ ...`` or
    ``ຂ. ...``, a village ``ບ້ານ ...`` or ``ບ. ...``, in English ``Xay District`` or
    ``Ban Nalao``. The prefix (the label of *level*, e.g. ``ເມືອງ``) and its written
    abbreviation (its first consonant and a full stop, ``ມ.``) are removed, so that the
    page adds the prefix exactly once.
    """
    prefix = lab["labels"][level]["lo"].strip()
    abbrev = next((c + "." for c in prefix if "\u0e81" <= c <= "\u0eae" or c in "ໜໝ"), prefix)
    lo = (name_lo or "").strip()
    for p in (prefix, abbrev):
        if p and lo.startswith(p):
            lo = lo[len(p):].strip()
            break
    en = (name_en or "").strip()
    for word in (lab["labels"][level]["en"], _SUFFIX_EN[level]):
        if en.lower().endswith(" " + word.lower()):
            en = en[: -len(word) - 1].strip()
        if level == "village" and en.lower().startswith("ban "):
            en = en[4:].strip()
    return lo, en


def _admin_lines(rec: dict[str, Any], lab: dict[str, Any]) -> tuple[str, str]:
    """The administrative header: province, district, village, each with its prefix once (Lao, English)."""
    lo_parts, en_parts = [], []
    for level in ("province", "district", "village"):
        lo, en = admin_name(rec.get(f"{level}_lo", ""), rec.get(f"{level}_en", ""), level, lab)
        if lo or en:
            lo_parts.append(f"{lab['labels'][level]['lo']} {lo or en}")
            en_parts.append(f"{en or lo} {_SUFFIX_EN[level]}")
    return "   ".join(lo_parts), ", ".join(en_parts)


def _issuer(rec: dict[str, Any], lab: dict[str, Any]) -> tuple[str, str]:
    """The issuing office: its Lao name ends with the district (added once), its English name then the district."""
    cert = lab["certificate"]
    d_lo, d_en = admin_name(rec.get("district_lo", ""), rec.get("district_en", ""), "district", lab)
    prefix = lab["labels"]["district"]["lo"]
    lo = cert["issuer_lo"].strip()
    if d_lo or d_en:
        lo = f"{lo} {d_lo or d_en}" if lo.endswith(prefix) else f"{lo}, {prefix} {d_lo or d_en}"
    en = cert["issuer_en"].strip() + (f", {d_en or d_lo} {_SUFFIX_EN['district']}" if d_lo or d_en else "")
    return lo, en


def _stack(p: Page, x: float, y: float, items: list[tuple[str, float, bool]], width: float, *,
           align: str = "left", first_above: float | None = None) -> float:
    """Texts ``(text, size, bold)`` wrapped to *width*, one under the other from *y*; returns the y below them.

    *first_above* [1/1000 em]: the least ink height of the first line (to align blocks side by side).
    """
    font = p.doc.regular
    first = True
    for text, size, bold in items:
        if not text:
            continue
        if not first:
            y += clearance(size)
        first = False
        lines = wrap(p.doc.bold if bold else font, text, width=width, size=size)
        y = p.flow(x, y, lines, size=size, bold=bold, align=align, width=width, first_above=first_above)
        first_above = None
    return y


def _shared_stack(p: Page, x: float, y: float, items: list[tuple[str, float, bool]], width: float, *,
                  align: str = "left", first_above: float | None = None) -> float:
    """:func:`_stack` of texts that many certificates repeat (labels, the village's names), drawn once per process.

    The block is placed by :meth:`~landuse.certificates._pdf.Page.shared`: the same
    operators, moved to *y*; returns the y below it.
    """
    key = ("stack", x, tuple(items), width, align, first_above)
    return y + p.shared(key, 0.0, y, lambda q: _stack(q, x, 0.0, items, width, align=align, first_above=first_above))


def draw(doc: Document, rec: dict[str, Any], lab: dict[str, Any], qr_matrix: Any) -> None:
    """Draw the certificate *rec* (a register row with drawing data) on new page(s) of *doc*."""
    p = doc.add_page()
    x0, x1 = M, W - M
    draft = not str(rec.get("qr", "")).startswith("LUC1.")

    p.colour(stroke=BLACK)
    p.line_width(1.2)
    p.rect(M - 10, M - 14, W - 2 * M + 20, H - 2 * M + 24)
    p.line_width(0.4)
    y = _draw_header(p, rec, lab, x0, x1, M - 6)
    y = _draw_fields(p, rec, lab, x0, x1, y, qr_matrix, draft=draft)

    # from the foot up: footer, signature boxes, conditions; the boundaries and the sketch share the rest
    foot_top = H - M + 3 - FOOTER_H
    cond_h = _shared_conditions(_Scratch(doc), lab, x0, x1, 0.0)  # measured only
    room = foot_top - 6 - _SIGN_MIN_H - 6 - cond_h - (y + 6)
    long_list = _long_list(rec)
    size, sketch_h = _fit_neighbours(p, rec, lab, x0, x1, room, short=long_list)
    y = _draw_neighbours(p, rec, lab, x0, x1, y + 6, size=size, short=long_list) + 6

    # sketch and vertices
    sx, sw = _SKETCH[0], _SKETCH[2]
    p.text(sx, y + 8, _bi(lab, "sketch"), size=8, bold=True)
    sy = y + 14
    _sketch(p, rec, sx, sy, sw, sketch_h, lab)
    tx = sx + sw + 12
    p.text(tx, y + 8, _bi(lab, "vertices"), size=8, bold=True)
    verts = rec["vertices"]
    _vertex_table(p, verts[: 2 * _ROWS_PER_COLUMN], tx, sy, x1 - tx, lab)
    y = sy + sketch_h + 8

    y += _shared_conditions(p, lab, x0, x1, y)
    _draw_signatures(p, lab, x0, x1, y + 6, foot_top - 6)
    _draw_footer(p, rec, lab, x0, x1, foot_top, height=FOOTER_H)

    if draft:  # diagonal outlined watermark over the page (outlines keep the text below readable)
        L0 = lab["labels"]["unsigned"]
        p.ops.append("q 0.8 0 0 RG 1 Tr 0.7 w 0.8192 0.5736 -0.5736 0.8192 297.6 421 cm")  # 35 degrees
        p.text(-260, p.height - 8, L0["lo"], size=40, bold=True, align="center", width=520)
        p.text(-260, p.height + 36, L0["en"].upper(), size=30, bold=True, align="center", width=520)
        p.ops.append("Q")

    n_nb = _neighbour_pages(neighbour_chars(rec), len(verts))
    if n_nb:
        _draw_neighbour_pages(doc, rec, lab, x0, x1, n_nb)
    _draw_more_vertices(doc, rec, lab, verts[2 * _ROWS_PER_COLUMN:], x0, x1, first_page=2 + n_nb)


def _draw_header(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, y: float) -> float:
    """State motto (centre), the province, district, village and issuing office (left), the number and
    dates (right), the title; return the y below the rule under them."""
    L = lab["labels"]
    y = _shared_stack(p, x0, y, [(L["motto1"]["lo"], 11, True), (L["motto1"]["en"], 7.5, False),
                                 (L["motto2"]["lo"], 9, False), (L["motto2"]["en"], 7, False)], x1 - x0,
                      align="center")
    y += 8
    admin_lo, admin_en = _admin_lines(rec, lab)
    issuer_lo, issuer_en = _issuer(rec, lab)
    left_w = (x1 - x0) * 0.58
    yl = _shared_stack(p, x0, y, [(admin_lo, 8.5, True), (admin_en, 7.5, False), (issuer_lo, 8, False),
                                  (issuer_en, 7, False)], left_w)  # the same for a village
    rx, rw = x0 + left_w + 10, x1 - x0 - left_w - 10
    yr = _stack(p, rx, y, [(f"{_bi(lab, 'certificate_no')}:", 8, False), (rec["certificate_no"], 12, True),
                           (f"{_bi(lab, 'issue_date')}: {rec['issue_date']}", 8, False),
                           (f"{_bi(lab, 'valid_until')}: {rec['valid_until']}", 8, False)], rw, align="right")
    y = max(yl, yr) + 8
    y = _shared_stack(p, x0, y, [(L["title"]["lo"], 16, True), (L["title"]["en"].upper(), 11, True)], x1 - x0,
                      align="center")
    y += 5
    p.line(x0, y, x1, y)
    return y


def _draw_fields(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, y: float,
                 qr_matrix: Any, *, draft: bool) -> float:
    """The holder, household, place, parcel, land type and area beside the QR code; return the y below both."""
    L = lab["labels"]
    qr_size = 112.0
    qx = x1 - qr_size
    fy = y + 3
    lt = lab["land_types"].get(rec["land_type"], {"lo": rec["land_type"], "en": rec["land_type"]})
    names = {level: admin_name(rec.get(f"{level}_lo", ""), rec.get(f"{level}_en", ""), level, lab)
             for level in ("village", "district", "province")}
    vil = names["village"]
    fields = [
        ("holder", [rec.get("holder_lo", ""), rec["holder"]]),
        ("household", [rec["household_id"]]),
        ("village", [f"{_value(vil[0])} / {_value(vil[1])}  ({rec['village_id']})"]),
        ("district", [f"{_value(names['district'][0])} / {_value(names['district'][1])}"]),
        ("province", [f"{_value(names['province'][0])} / {_value(names['province'][1])}"]),
        ("parcel", [rec["parcel_id"]]),
        ("land_type", [f"{lt['lo']} / {lt['en']}"]),
        ("area", [f"{rec['area_ha']:.4f} ha  ({rec['area_m2']:,} m²)".replace(",", " ")]),
    ]
    label_w = 150.0
    val_w = qx - 10 - (x0 + label_w)
    for key, values in fields:
        values = [v for v in values if v] or ["-"]
        bold = key in ("holder", "area", "parcel")
        size = 10 if bold else 9
        font = p.doc.bold if bold else p.doc.regular
        first = wrap(font, values[0], width=val_w, size=size)[0]
        top = fy + 2
        reg = p.doc.regular
        above = max(font.extent(first)[0] * size, reg.extent(L[key]["lo"])[0] * 8.5, reg.extent(L[key]["en"])[0] * 8)
        base = top + above / 1000  # the labels and the value's first line on one baseline, none above *top*
        p.text(x0, base, L[key]["lo"], size=8.5)
        p.text(x0 + 62, base, L[key]["en"], size=8)
        vy = top
        for i, v in enumerate(values):
            vy = p.paragraph(x0 + label_w, vy + (clearance(size) if i else 0.0), v, width=val_w, size=size,
                             bold=bold, first_above=None if i else above / size)
        lab_bottom = base + max(reg.extent(L[key]["lo"])[1] * 8.5, reg.extent(L[key]["en"])[1] * 8) / 1000
        fy = max(vy, lab_bottom) + 2
        p.colour(stroke=LIGHT)
        p.line(x0, fy, qx - 10, fy)
        p.colour(stroke=BLACK)
    n = len(qr_matrix)
    p.modules(qx, y + 8, qr_matrix, qr_size / n)
    qy = y + 8 + qr_size + 3
    if draft:
        u = L["unsigned"]
        p.colour(fill=(0.8, 0.0, 0.0))
        qy = _stack(p, qx - 20, qy, [(f"{u['lo']} / {u['en']}", 5.5, True)], qr_size + 20, align="center")
        p.colour(fill=BLACK)
    else:
        kid = _key_id(rec["qr"])
        qy = _stack(p, qx - 20, qy, [(f"{L['key_id']['lo']} / {L['key_id']['en']} {kid}", 5.5, True)],
                    qr_size + 20, align="center")
    dig = rec["digest"]
    qy = _stack(p, qx, qy + 1, [("SHA-256 " + dig[:24], 5, False), (dig[24:], 5, False)], qr_size,
                align="center")
    return max(fy, qy)


def _fit_neighbours(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, room: float, *,
                    short: bool) -> tuple[float, float]:
    """Font size of the neighbours and height of the sketch that fit *room* [pt] together.

    The neighbours keep every name: their font shrinks from 7.5 to 6.5 pt beside the
    full sketch, then the sketch shortens down to what its vertex table needs
    (:func:`_sketch_min_h`), then the font shrinks on to 5 pt.
    """
    full = _SKETCH[3]
    least = _sketch_min_h(len(rec["vertices"]))
    scratch = _Scratch(p.doc)
    size = _NB_SIZES[-1]
    for size in _NB_SIZES:
        need = full if size > _NB_SIZES[2] else least
        if room - _neighbours_floor(scratch, lab, x0, x1, size) - _SKETCH_PAD < need:
            continue  # too high even with one line a side: not measured
        free = room - _draw_neighbours(scratch, rec, lab, x0, x1, 0.0, size=size, short=short) - _SKETCH_PAD
        if free >= need:
            return size, min(full, free)
    return size, least


def _neighbours_floor(p: Page, lab: dict[str, Any], x0: float, x1: float, size: float) -> float:
    """Least height of :func:`_draw_neighbours` at *size* [pt]: the heading and, per side, its label's ink.

    Each side takes at least its label's ink height below the gap above it, whatever its
    list, summed in the same order as the drawing does (floating-point sums of larger
    terms are not smaller): a size whose floor leaves no room is skipped unmeasured.
    """
    L = lab["labels"]
    reg = p.doc.regular
    y = _shared_stack(p, x0, 0.0, [(_bi(lab, "neighbours"), 9, True)], x1 - x0)
    for side in ("north", "east", "south", "west"):
        y += clearance(size) + 1
        above, below = reg.extent(f"{L[side]['lo']} / {L[side]['en']}:")
        y += (above + below) * size / 1000
    return y


def _draw_neighbours(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, y: float, *,
                     size: float = 7.5, short: bool = False) -> float:
    """The neighbours to the north, east, south and west, each wrapped in full; return the y below them.

    With *short*, each side keeps its first two lines and a note that the full list
    follows on the boundaries page.
    """
    L = lab["labels"]
    y = _shared_stack(p, x0, y, [(_bi(lab, "neighbours"), 9, True)], x1 - x0)
    vx = x0 + _NB_LABEL_W
    for side in ("north", "east", "south", "west"):
        y += clearance(size) + 1
        val = rec.get(side) or f"{L['nothing']['lo']} / {L['nothing']['en']}"
        lines = wrap(p.doc.regular, val, width=x1 - vx, size=size)
        if short and len(lines) > 2:
            c = L["continued"]
            lines = [*lines[:2], f"... ({c['lo']} / {c['en']}: {_bi(lab, 'neighbours')}, "
                                 f"{L['page']['lo']} / {L['page']['en']} 2)"]
        label = f"{L[side]['lo']} / {L[side]['en']}:"
        above = max(p.doc.regular.extent(lines[0])[0], p.doc.regular.extent(label)[0])
        p.text(x0, y + above * size / 1000, label, size=size)  # on the first line's baseline
        y = max(p.flow(vx, y, lines, size=size, first_above=above),
                y + (above + p.doc.regular.extent(label)[1]) * size / 1000)
    return y


def _draw_neighbour_pages(doc: Document, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float,
                          n_pages: int) -> None:
    """The full neighbour lists on *n_pages* pages of their own (:func:`pages_needed`), lines shared evenly.

    The font shrinks from 7.5 to 5 pt until every page holds its share; the bound of
    :data:`NEIGHBOUR_CHARS_PER_PAGE` characters per page makes 5 pt always enough.
    """
    L = lab["labels"]
    scratch = _Scratch(doc)
    head = (f"{rec['certificate_no']} - {_bi(lab, 'neighbours')} ({L['continued']['lo']} / {L['continued']['en']})",
            9.0, True)
    chunks: list[list[tuple[str, float, bool]]] = []
    for size in _NB_SIZES:
        items: list[tuple[str, float, bool]] = []
        for side in ("north", "east", "south", "west"):
            val = rec.get(side) or f"{L['nothing']['lo']} / {L['nothing']['en']}"
            items.append((f"{L[side]['lo']} / {L[side]['en']}:", size + 0.5, True))
            items.extend((ln, size, False) for ln in wrap(doc.regular, val, width=x1 - x0, size=size))
        per = math.ceil(len(items) / n_pages)
        chunks = [items[k * per:(k + 1) * per] for k in range(n_pages)]
        if all(_stack(scratch, x0, M + 30, ch, x1 - x0) <= H - M for ch in chunks):
            break
    for k, chunk in enumerate(chunks):
        q = doc.add_page()
        q.line_width(0.4)
        y = _stack(q, x0, M, [(f"{head[0]}, {L['page']['lo']} / {L['page']['en']} {k + 2}", 9.0, True)], x1 - x0)
        _stack(q, x0, y + 8, chunk, x1 - x0)


def _draw_conditions(p: Page, lab: dict[str, Any], x0: float, x1: float, y: float) -> float:
    """The numbered conditions, Lao then English (same size class), from *y*; return the y below them."""
    top = y
    y = _stack(p, x0, y, [(_bi(lab, "conditions"), 8.5, True)], x1 - x0)
    for i, c in enumerate(lab["conditions"], start=1):
        y += clearance(7.5) + 0.8
        first = wrap(p.doc.regular, c["lo"], width=x1 - x0 - 12, size=7.5)[0]
        p.text(x0, y + p.doc.regular.extent(first)[0] * 7.5 / 1000, f"{i}.", size=7.5)
        y = _stack(p, x0 + 12, y, [(c["lo"], 7.5, False), (c["en"], 7.0, False)], x1 - x0 - 12)
    return y - top


def _shared_conditions(p: Page, lab: dict[str, Any], x0: float, x1: float, y: float) -> float:
    """:func:`_draw_conditions` as a shared block (the same on every certificate); return its height."""
    key = ("conditions", x0, x1, _bi(lab, "conditions"), tuple((c["lo"], c["en"]) for c in lab["conditions"]))
    return p.shared(key, 0.0, y, lambda q: _draw_conditions(q, lab, x0, x1, 0.0))


def _draw_signatures(p: Page, lab: dict[str, Any], x0: float, x1: float, y: float, bottom: float) -> None:
    """The three signature boxes from *y* down to *bottom* (a shared block: the same for the same height)."""
    L = lab["labels"]
    bh = max(_SIGN_MIN_H, bottom - y)
    titles = tuple(f"{L[key]['lo']} / {L[key]['en']}" for key in ("sign_holder", "sign_village", "sign_district"))
    stamp = f"{L['stamp']['lo']} / {L['stamp']['en']}"
    key = ("signatures", x0, x1, round(bh, 2), titles, stamp)
    p.shared(key, 0.0, y, lambda q: _signature_boxes(q, titles, stamp, x0, x1, bh))


def _signature_boxes(p: Page, titles: tuple[str, ...], stamp: str, x0: float, x1: float, bh: float) -> None:
    """The signature boxes, *bh* [pt] high, from the page's top (:func:`_draw_signatures` moves them)."""
    bw = (x1 - x0 - 20) / 3
    top = max(p.doc.bold.extent(t)[0] for t in titles)  # the three titles on one baseline
    for k, title in enumerate(titles):
        bx = x0 + k * (bw + 10)
        p.rect(bx, 0.0, bw, bh)
        _stack(p, bx + 4, 3.0, [(title, 7.5, True), (stamp, 6.5, False)], bw - 8, first_above=top)


def _draw_footer(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, y: float, *,
                 height: float = FOOTER_H) -> float:
    """How a villager checks the certificate, Lao first then English, from *y*; return its height.

    The text shrinks from 6.5 to 4.5 pt until it fits *height* [pt] (custom labels may be
    longer). The wording is a shared block (the same on every certificate unless a label
    writes ``{no}``); the certificate number at the right is drawn per certificate.
    """
    L = lab["labels"]
    no = rec["certificate_no"]
    num_w = p.doc.bold.width(no, 8) + 10  # the number, at the right of the title line
    texts = tuple(L[key][lang].replace("{no}", no) for key in ("verify_qr", "verify_office") for lang in ("lo", "en"))
    title = f"{L['verify']['lo']} / {L['verify']['en']}"
    p.text(x0, y + p.doc.bold.extent(no)[0] * 8 / 1000, no, size=8, bold=True, align="right", width=x1 - x0)
    key = ("footer", x0, x1, round(num_w, 2), texts, title, height)
    return p.shared(key, 0.0, y, lambda q: _footer_text(q, texts, title, x0, x1, num_w=num_w, height=height))


def _footer_text(p: Page, texts: tuple[str, ...], title: str, x0: float, x1: float, *, num_w: float,
                 height: float) -> float:
    """The footer's title and wording from the page's top, at the largest size that fits *height*; its height."""
    scratch = _Scratch(p.doc)
    items: list[tuple[str, float, bool]] = []
    head = (title, 7.0, True)
    size = 6.5
    for size in (6.5, 6.0, 5.5, 5.0, 4.5):
        items = [(t, size, False) for t in texts]
        head = (title, size + 0.5, True)
        top = _stack(scratch, x0, 0.0, [head], x1 - x0 - num_w)
        if _stack(scratch, x0, top + clearance(size), items, x1 - x0) <= height:
            break
    top = _stack(p, x0, 0.0, [head], x1 - x0 - num_w)
    return _stack(p, x0, top + clearance(size), items, x1 - x0)


def _draw_more_vertices(doc: Document, rec: dict[str, Any], lab: dict[str, Any], rest: list[Any], x0: float,
                        x1: float, *, first_page: int = 2) -> None:
    """The vertices that did not fit on the first page, on continuation pages from *first_page*."""
    L = lab["labels"]
    per_page = 2 * _ROWS_EXTRA_PAGE
    page_no = first_page - 1
    while rest:
        page_no += 1
        q = doc.add_page()
        q.line_width(0.4)
        q.text(x0, M + 10, f"{rec['certificate_no']} - {_bi(lab, 'vertices')} ({L['continued']['lo']} / "
                           f"{L['continued']['en']}, {L['page']['lo']} / {L['page']['en']} {page_no})",
               size=9, bold=True)
        _vertex_table(q, rest[:per_page], x0, M + 20, (x1 - x0) / 2, lab, rows=_ROWS_EXTRA_PAGE)
        rest = rest[per_page:]


def _key_id(qr_text: str) -> str:
    """The key id ``k`` of a signed QR text (for the line under the QR code)."""
    import base64
    import json

    try:
        part = qr_text.split(".")[1]
        return str(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))["k"])
    except (IndexError, ValueError, KeyError):
        return ""


def _vertex_table(p: Page, verts: list, x: float, y: float, width: float, lab: dict, *, rows: int = _ROWS_PER_COLUMN
                  ) -> None:
    L = lab["labels"]
    cw = width / 2
    row_h = _ROW_H
    for col in range(2):
        part = verts[col * rows:(col + 1) * rows]
        if not part and col:
            break
        cx = x + col * cw
        p.colour(fill=LIGHT)
        p.rect(cx, y, cw - 4, row_h + 1, style="F")
        p.colour(fill=BLACK)
        p.text(cx + 2, y + 7.5, L["vertex"]["en"], size=6, bold=True)
        p.text(cx + 14, y + 7.5, "E [m]", size=6, bold=True, align="right", width=cw * 0.5 - 10)
        p.text(cx + cw * 0.5 + 4, y + 7.5, "N [m]", size=6, bold=True, align="right", width=cw * 0.5 - 10)
        for i, (label, vx, vy) in enumerate(part):
            ry = y + (i + 1) * row_h + 1
            p.text(cx + 2, ry + 7, str(label), size=6.5)
            p.text(cx + 14, ry + 7, f"{vx:.2f}", size=6.5, align="right", width=cw * 0.5 - 10)
            p.text(cx + cw * 0.5 + 4, ry + 7, f"{vy:.2f}", size=6.5, align="right", width=cw * 0.5 - 10)
        p.colour(stroke=LIGHT)
        p.line(cx, y + (len(part) + 1) * row_h + 2, cx + cw - 4, y + (len(part) + 1) * row_h + 2)
        p.colour(stroke=BLACK)


def _nice(length: float) -> float:
    """Largest 1, 2 or 5 x 10^k not above *length*."""
    if length <= 0:
        return 1.0
    k = math.floor(math.log10(length))
    for m in (5, 2, 1):
        if m * 10 ** k <= length:
            return m * 10 ** k
    return 10 ** k


def sketch_window(bounds: tuple[float, float, float, float], w: float = _SKETCH[2], h: float = _SKETCH[3]
                  ) -> tuple[float, float, float, float]:
    """The ground drawn in a *w* x *h* [pt] sketch of a parcel with *bounds*: ``(minx, miny, maxx, maxy)`` [m].

    The parcel is centred with 30 % of its larger side around it: the span across is
    :math:`1.6 \\max(\\Delta x, \\Delta y\\, w/h, 1\\,\\text{m})`. Streams, roads and village
    boundaries are clipped to the window of the full-height sketch (a shorter sketch
    draws a part of it).
    """
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    span = max(maxx - minx, (maxy - miny) * w / h, 1.0) * 1.6
    half_w, half_h = span / 2, span * h / w / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


#: How the sketch draws lines by kind: stroke colour, width [pt], dash (on, off [pt]).
LINE_STYLES = {
    "boundary": ((0.0, 0.0, 0.0), 1.3, (5.0, 2.0)),
    "road": ((0.55, 0.27, 0.07), 1.6, (0.0, 0.0)),
    "stream": ((0.13, 0.44, 0.71), 1.0, (0.0, 0.0)),
}


def _sketch(p: Page, rec: dict, x: float, y: float, w: float, h: float, lab: dict) -> None:
    """Parcel, neighbours, streams, roads, village boundary, numbered vertices, north arrow and scale bar."""
    minx, miny, maxx, maxy = rec["bounds"]
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    span = max(maxx - minx, (maxy - miny) * _SKETCH[2] / _SKETCH[3], 1.0) * 1.6  # the scale of sketch_window
    scale = w / span  # pt per metre
    ox, oy = cx - (w / 2) / scale, cy + (h / 2) / scale

    def tr(ring: list) -> list[tuple[float, float]]:
        return [(x + (px - ox) * scale, y + (oy - py) * scale) for px, py in ring]

    p.ops.append("q")
    p.rect(x, y, w, h)
    p.ops.append(f"{x:.2f} {p.height - y - h:.2f} {w:.2f} {h:.2f} re W n")
    p.line_width(0.5)
    p.colour(stroke=GREY)
    labels = []
    for rings, label, lx, ly in rec["context"]:
        p.polygon([tr(r) for r in rings], style="S")
        px, py = tr([(lx, ly)])[0]
        if x + 8 < px < x + w - 8 and y + 6 < py < y + h - 4:
            labels.append((px, py, label))
    p.colour(stroke=BLACK, fill=PARCEL_FILL)
    p.line_width(1.4)
    p.polygon([tr(r) for r in rec["rings"]], style="B*")
    kinds = _sketch_lines(p, rec.get("lines", ()), tr)
    p.colour(fill=GREY)
    for px, py, label in labels:
        p.text(px - 20, py + 2, label, size=5, align="center", width=40)
    # numbered vertices
    p.colour(fill=BLACK)
    p.line_width(0.4)
    verts = rec["vertices"]
    step = max(1, math.ceil(len(verts) / 30))  # label at most about 30 vertices; mark them all
    for k, (label, vx, vy) in enumerate(verts):
        px, py = tr([(vx, vy)])[0]
        p.rect(px - 1.2, py - 1.2, 2.4, 2.4, style="F")
        if k % step == 0:
            p.text(px + 2, py - 2, str(label), size=5.5, bold=True)
    p.ops.append("Q")
    p.colour(stroke=BLACK, fill=BLACK)
    p.line_width(0.6)
    p.rect(x, y, w, h)
    _north_arrow(p, x + w - 16, y + 8)
    _scale_bar(p, x + 8, y + h - 12, scale, w)
    _sketch_legend(p, lab, kinds, x + w - 4, y + h - 4)


def _sketch_lines(p: Page, lines: Any, tr: Any) -> list[str]:
    """Draw the streams, roads and village boundaries (``(kind, parts)``) in their styles; return the kinds drawn."""
    kinds: list[str] = []
    for kind in ("stream", "road", "boundary"):  # boundaries on top
        parts = [tr(part) for k, ps in lines if k == kind for part in ps]
        if not parts:
            continue
        colour, width, (on, off) = LINE_STYLES[kind]
        p.colour(stroke=colour)
        p.line_width(width)
        p.dash(on, off)
        p.polyline(parts)
        p.dash()
        kinds.append(kind)
    p.colour(stroke=BLACK)
    return kinds


def _sketch_legend(p: Page, lab: dict, kinds: list[str], right: float, bottom: float) -> None:
    """A key to the line kinds drawn, in the sketch's lower right corner (Lao first)."""
    if not kinds:
        return
    L = lab["labels"]
    size = 5.5
    texts = [f"{L[k]['lo']} / {L[k]['en']}" for k in kinds]
    tw = max(p.doc.regular.width(t, size) for t in texts)
    row = 9.5
    bw, bh = tw + 26, row * len(kinds) + 3
    bx, by = right - bw, bottom - bh
    p.colour(fill=(1, 1, 1))
    p.rect(bx, by, bw, bh, style="F")
    p.colour(fill=BLACK)
    for i, (kind, text) in enumerate(zip(kinds, texts, strict=True)):
        ly = by + 2 + i * row + row / 2
        colour, width, (on, off) = LINE_STYLES[kind]
        p.colour(stroke=colour)
        p.line_width(width)
        p.dash(on, off)
        p.line(bx + 3, ly, bx + 19, ly)
        p.dash()
        p.text(bx + 22, ly + 2, text, size=size)
    p.colour(stroke=BLACK)
    p.line_width(0.4)


def _north_arrow(p: Page, ax: float, ay: float) -> None:
    """Grid north (up): a filled arrow head and N."""
    p.polygon([[(ax, ay), (ax + 5, ay + 16), (ax, ay + 12), (ax - 5, ay + 16)]], style="B")
    p.colour(fill=(1, 1, 1))
    p.rect(ax - 5, ay + 18, 10, 9, style="F")
    p.colour(fill=BLACK)
    p.text(ax - 5, ay + 26, "N", size=8, bold=True, align="center", width=10)


def _scale_bar(p: Page, bx: float, by: float, scale: float, w: float) -> None:
    """A two-part scale bar of a round length near a quarter of the sketch, and the scale ratio."""
    bar_m = _nice(w / scale / 4)
    bar = bar_m * scale
    p.colour(fill=(1, 1, 1))
    p.rect(bx - 3, by - 12, bar + 60, 18, style="F")
    p.colour(fill=BLACK)
    p.line_width(0.6)
    p.rect(bx, by, bar / 2, 3, style="B")
    p.rect(bx + bar / 2, by, bar / 2, 3, style="S")
    p.text(bx, by - 2, "0", size=5.5)
    p.text(bx + bar - 4, by - 2, f"{bar_m:g} m", size=5.5)
    ratio = 1 / (scale / 72 * 0.0254)  # ground metres per metre of paper
    rounded = round(ratio, -int(math.floor(math.log10(ratio))) + 1) if ratio >= 1 else ratio
    p.text(bx + bar + 18, by + 4, f"1:{rounded:,.0f}".replace(",", " "), size=5.5)
