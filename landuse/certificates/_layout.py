"""Page layout of a land-use certificate (private; drawn with :mod:`landuse.certificates._pdf`).

One A4 page per certificate, top to bottom: state motto, title, certificate number
and dates; holder, household, village, district, province, parcel, land type and
area beside the QR code; neighbours to the north, east, south and west; the sketch
map (parcel, neighbouring parcels, numbered vertices, north arrow, scale bar) beside
the table of boundary vertices in UTM; conditions of use; signature boxes for the
holder, the village head and the district officer; the digest. Vertices that do not
fit on the page continue on extra pages.
"""

from __future__ import annotations

import math
from typing import Any

from landuse.certificates._pdf import A4_PT, Document, Page

W, H = A4_PT
M = 34.0  # margin [pt]
GREY = (0.45, 0.45, 0.45)
LIGHT = (0.93, 0.93, 0.93)
BLACK = (0.0, 0.0, 0.0)
PARCEL_FILL = (1.0, 0.93, 0.70)

_SKETCH = (M, 0.0, 300.0, 236.0)  # x, y (set at draw time), width, height
_ROWS_PER_COLUMN = 24
_ROWS_EXTRA_PAGE = 70


def pages_needed(n_vertices: int) -> int:
    """Pages a certificate takes: one, plus one per 140 vertices beyond the first 48."""
    rest = max(0, n_vertices - 2 * _ROWS_PER_COLUMN)
    return 1 + math.ceil(rest / (2 * _ROWS_EXTRA_PAGE))


def _bi(lab: dict, key: str) -> str:
    t = lab["labels"][key]
    return f"{t['lo']} / {t['en']}"


def _value(text: str) -> str:
    return text if text else "-"


def draw(doc: Document, rec: dict[str, Any], lab: dict[str, Any], qr_matrix: Any) -> None:
    """Draw the certificate *rec* (a register row with drawing data) on new page(s) of *doc*."""
    p = doc.add_page()
    x0, x1 = M, W - M
    draft = not str(rec.get("qr", "")).startswith("LUC1.")

    # frame
    p.colour(stroke=BLACK)
    p.line_width(1.2)
    p.rect(M - 10, M - 14, W - 2 * M + 20, H - 2 * M + 24)
    p.line_width(0.4)
    # header
    L = lab["labels"]
    y = M
    p.text(x0, y + 11, L["motto1"]["lo"], size=11, bold=True, align="center", width=x1 - x0)
    p.text(x0, y + 22, L["motto1"]["en"], size=7.5, align="center", width=x1 - x0)
    p.text(x0, y + 34, L["motto2"]["lo"], size=9, align="center", width=x1 - x0)
    p.text(x0, y + 44, L["motto2"]["en"], size=7, align="center", width=x1 - x0)
    cert = lab["certificate"]
    p.text(x0, y + 14, cert["issuer_lo"] + " " + _value(rec.get("district_lo", "")), size=7.5)
    p.text(x0, y + 24, cert["issuer_en"], size=6.5)
    p.text(x0, y + 33, _value(rec.get("district_en", "")) + ", " + _value(rec.get("province_en", "")), size=6.5)
    y += 68
    p.text(x0, y, L["title"]["lo"], size=16, bold=True, align="center", width=x1 - x0)
    p.text(x0, y + 16, L["title"]["en"].upper(), size=11, bold=True, align="center", width=x1 - x0)
    y += 36
    p.text(x0, y, f"{_bi(lab, 'certificate_no')}: ", size=9)
    w = doc.regular.width(f"{_bi(lab, 'certificate_no')}: ", 9)
    p.text(x0 + w, y, rec["certificate_no"], size=11, bold=True)
    dates = (f"{_bi(lab, 'issue_date')}: {rec['issue_date']}    "
             f"{_bi(lab, 'valid_until')}: {rec['valid_until']}")
    p.text(x0, y, dates, size=8.5, align="right", width=x1 - x0)
    y += 8
    p.line(x0, y, x1, y)

    # fields, with the QR code on the right
    qr_size = 112.0
    qx = x1 - qr_size
    fy = y + 6
    lt = lab["land_types"].get(rec["land_type"], {"lo": rec["land_type"], "en": rec["land_type"]})
    fields = [
        ("holder", [rec.get("holder_lo", ""), rec["holder"]]),
        ("household", [rec["household_id"]]),
        ("village", [f"{_value(rec.get('village_lo', ''))} / {_value(rec.get('village_en', ''))}"
                     f"  ({rec['village_id']})"]),
        ("district", [f"{_value(rec.get('district_lo', ''))} / {_value(rec.get('district_en', ''))}"]),
        ("province", [f"{_value(rec.get('province_lo', ''))} / {_value(rec.get('province_en', ''))}"]),
        ("parcel", [rec["parcel_id"]]),
        ("land_type", [f"{lt['lo']} / {lt['en']}"]),
        ("area", [f"{rec['area_ha']:.4f} ha  ({rec['area_m2']:,} m²)".replace(",", " ")]),
    ]
    label_w = 150.0
    val_w = qx - 10 - (x0 + label_w)
    for key, values in fields:
        values = [v for v in values if v] or ["-"]
        p.text(x0, fy + 11, L[key]["lo"], size=8.5)
        p.text(x0 + 62, fy + 11, L[key]["en"], size=7.5)
        vy = fy
        for v in values:
            bold = key in ("holder", "area", "parcel")
            vy = p.paragraph(x0 + label_w, vy, v, width=val_w, size=10 if bold else 9, bold=bold,
                             leading=13, max_lines=2)
        fy = max(fy + 15, vy + 2)
        p.colour(stroke=LIGHT)
        p.line(x0, fy, qx - 10, fy)
        p.colour(stroke=BLACK)
    n = len(qr_matrix)
    p.modules(qx, y + 8, qr_matrix, qr_size / n)
    if draft:
        u = L["unsigned"]
        p.colour(fill=(0.8, 0.0, 0.0))
        p.text(qx - 20, y + 8 + qr_size + 8, f"{u['lo']} / {u['en']}", size=5.5, bold=True, align="center",
               width=qr_size + 20)
        p.colour(fill=BLACK)
    else:
        kid = _key_id(rec["qr"])
        p.text(qx - 20, y + 8 + qr_size + 8, f"{L['key_id']['lo']} / {L['key_id']['en']} {kid}", size=5.5,
               bold=True, align="center", width=qr_size + 20)
    dig = rec["digest"]
    p.text(qx, y + 8 + qr_size + 15, "SHA-256 " + dig[:24], size=5, align="center", width=qr_size)
    p.text(qx, y + 8 + qr_size + 21, dig[24:], size=5, align="center", width=qr_size)
    y = max(fy, y + qr_size + 40) + 6

    y = _draw_neighbours(p, rec, lab, x0, x1, y)

    # sketch and vertices
    sx, sw, sh = _SKETCH[0], _SKETCH[2], _SKETCH[3]
    p.text(sx, y + 8, _bi(lab, "sketch"), size=8, bold=True)
    sy = y + 12
    _sketch(p, rec, sx, sy, sw, sh, lab)
    tx = sx + sw + 12
    p.text(tx, y + 8, _bi(lab, "vertices"), size=8, bold=True)
    verts = rec["vertices"]
    first = verts[: 2 * _ROWS_PER_COLUMN]
    _vertex_table(p, first, tx, sy, x1 - tx, lab)
    y = sy + sh + 8

    y = _draw_conditions(p, lab, x0, x1, y)

    _draw_signatures(p, rec, lab, x0, x1, y)

    if draft:  # diagonal outlined watermark over the page (outlines keep the text below readable)
        L0 = L["unsigned"]
        p.ops.append("q 0.8 0 0 RG 1 Tr 0.7 w 0.8192 0.5736 -0.5736 0.8192 297.6 421 cm")  # 35 degrees
        p.text(-260, p.height - 8, L0["lo"], size=40, bold=True, align="center", width=520)
        p.text(-260, p.height + 36, L0["en"].upper(), size=30, bold=True, align="center", width=520)
        p.ops.append("Q")

    _draw_more_vertices(doc, rec, lab, verts[2 * _ROWS_PER_COLUMN:], x0, x1)


def _draw_neighbours(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, y: float) -> float:
    """The neighbours on the four sides, in two columns from *y*; return the y below them."""
    L = lab["labels"]
    p.text(x0, y + 9, _bi(lab, "neighbours"), size=9, bold=True)
    y += 13
    col_w = (x1 - x0) / 2
    for k, side in enumerate(("north", "east", "south", "west")):
        cx = x0 + (k % 2) * col_w
        cy = y + (k // 2) * 22
        p.text(cx, cy + 8, f"{L[side]['lo']} / {L[side]['en']}:", size=7.5)
        val = rec.get(side) or f"{L['nothing']['lo']} / {L['nothing']['en']}"
        p.paragraph(cx + 78, cy, val, width=col_w - 84, size=7, leading=8.5, max_lines=2)
    y += 46
    return y


def _draw_conditions(p: Page, lab: dict[str, Any], x0: float, x1: float, y: float) -> float:
    """The numbered conditions, Lao then English, from *y*; return the y below them."""
    p.text(x0, y + 8, _bi(lab, "conditions"), size=8, bold=True)
    y += 11
    for i, c in enumerate(lab["conditions"], start=1):
        p.text(x0, y + 7, f"{i}.", size=7)
        y = p.paragraph(x0 + 10, y, c["lo"], width=x1 - x0 - 10, size=7, leading=8.6)
        y = p.paragraph(x0 + 10, y - 1, c["en"], width=x1 - x0 - 10, size=6.5, leading=8)
    y += 4
    return y


def _draw_signatures(p: Page, rec: dict[str, Any], lab: dict[str, Any], x0: float, x1: float, y: float) -> None:
    """The three signature boxes from *y* to the foot of the page, and the footer lines."""
    L = lab["labels"]
    bw = (x1 - x0 - 20) / 3
    bh = max(48.0, H - M - 16 - y)
    for k, key in enumerate(("sign_holder", "sign_village", "sign_district")):
        bx = x0 + k * (bw + 10)
        p.rect(bx, y, bw, bh)
        p.text(bx + 4, y + 10, f"{L[key]['lo']} / {L[key]['en']}", size=7.5, bold=True)
        p.text(bx + 4, y + 19, f"{L['stamp']['lo']} / {L['stamp']['en']}", size=6)
    p.text(x0, H - M - 4, L["verify"]["lo"], size=6)  # Lao first, then English
    p.text(x0, H - M + 4, L["verify"]["en"], size=5.5)
    p.text(x0, H - M + 4, f"{rec['certificate_no']}", size=5.5, align="right", width=x1 - x0)


def _draw_more_vertices(doc: Document, rec: dict[str, Any], lab: dict[str, Any], rest: list[Any], x0: float,
                        x1: float) -> None:
    """The vertices that did not fit on the first page, on continuation pages."""
    L = lab["labels"]
    per_page = 2 * _ROWS_EXTRA_PAGE
    page_no = 1
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
    row_h = 9.0
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


def _sketch(p: Page, rec: dict, x: float, y: float, w: float, h: float, lab: dict) -> None:
    """Parcel, neighbours, numbered vertices, north arrow and scale bar in a w x h frame."""
    minx, miny, maxx, maxy = rec["bounds"]
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    span = max(maxx - minx, (maxy - miny) * w / h, 1.0) * 1.6
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
    # north arrow (grid north, up)
    ax, ay = x + w - 16, y + 10
    p.polygon([[(ax, ay), (ax + 5, ay + 16), (ax, ay + 12), (ax - 5, ay + 16)]], style="B")
    p.text(ax - 5, ay + 26, "N", size=8, bold=True, align="center", width=10)
    # scale bar
    bar_m = _nice(w / scale / 4)
    bar = bar_m * scale
    bx, by = x + 8, y + h - 12
    p.colour(fill=(1, 1, 1))
    p.rect(bx - 3, by - 12, bar + 60, 18, style="F")
    p.colour(fill=BLACK)
    p.rect(bx, by, bar / 2, 3, style="B")
    p.rect(bx + bar / 2, by, bar / 2, 3, style="S")
    p.text(bx, by - 2, "0", size=5.5)
    txt = f"{bar_m:g} m"
    p.text(bx + bar - 4, by - 2, txt, size=5.5)
    ratio = 1 / (scale / 72 * 0.0254)  # ground metres per metre of paper
    rounded = round(ratio, -int(math.floor(math.log10(ratio))) + 1) if ratio >= 1 else ratio
    p.text(bx + bar + 18, by + 4, f"1:{rounded:,.0f}".replace(",", " "), size=5.5)
