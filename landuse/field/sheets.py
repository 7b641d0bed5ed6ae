"""Printed sheets for the village meeting: boundary agreements and public display.

* :func:`boundary_agreement_sheet`: A4 portrait, bilingual Lao/English, for one pair
  of neighbouring villages: a map of the two territories with the shared line and
  every disputed strip of the boundary register, the length of the line, its vertex
  table (UTM), and signature boxes for both village heads, the district and two
  witnesses.
* :func:`public_display_sheet`: A3 landscape (or A1) per village, one PDF: the
  zoning map with legend and zone-area table, the allocation map with parcel
  numbers, the list of holders per parcel in Lao and English, and the objection
  period.

Both are written with fpdf2: the font (Noto Sans Lao by default,
:func:`landuse.certificates.find_lao_font`; Phetsarath OT or any TrueType font with
Lao and Latin glyphs via ``font_path``) is embedded as a subset, Lao text is shaped
by HarfBuzz, and the files are deterministic (fixed creation date). Maps are drawn as
vector paths; zones and disputed strips are told apart by hatching patterns and
labels, never by colour alone, so that a black-and-white photocopy stays readable.

References
----------
.. [1] ISO 216:2007, *Writing paper and certain classes of printed matter — Trimmed
   sizes — A and B series* (A4 210 x 297 mm, A3 297 x 420 mm, A1 594 x 841 mm).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from landuse.crs import require_projected
from landuse.errors import LanduseError, SchemaError
from landuse.field.boundaries import shared_boundaries
from landuse.io import atomic_output

__all__ = ["PAPER_MM", "boundary_agreement_sheet", "public_display_sheet"]

#: Paper sizes (portrait width, height) [mm], ISO 216.
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "A1": (594.0, 841.0)}
#: Hatch patterns for zones, in order: (angles [degrees], spacing [mm], grey fill 0-1).
#: Hatching only (no grey fills), so that holes and overlapping zones stay correct.
PATTERNS = (
    ((45,), 2.0, 1.0), ((-45,), 2.0, 1.0), ((0,), 2.5, 1.0), ((90,), 2.5, 1.0),
    ((45, -45), 3.0, 1.0), ((0, 90), 3.0, 1.0), ((30,), 4.0, 1.0), ((-60,), 4.0, 1.0),
    ((15, 75), 5.0, 1.0), ((60, -30), 5.0, 1.0),
)
_FIXED_DATE = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)
_FONT_CACHE: dict[str, str] = {}
_WIDTHS: dict[str, tuple[dict[int, float], float]] = {}


# -- fonts and document ------------------------------------------------------------------
def _static_font(path: Path, weight: float) -> str:
    """Path of a static instance of *path* at *weight* (variable fonts), cached per process."""
    key = f"{path}:{weight}"
    if key in _FONT_CACHE:
        return _FONT_CACHE[key]
    from fontTools.ttLib import TTFont

    with TTFont(str(path), recalcTimestamp=False) as tt:
        if "fvar" not in tt:
            _FONT_CACHE[key] = str(path)
            return str(path)
        from fontTools.varLib import instancer

        axes = {a.axisTag: a.defaultValue for a in tt["fvar"].axes}
        if "wght" in axes:
            axes["wght"] = weight
        inst = instancer.instantiateVariableFont(tt, axes)
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        out = Path(tempfile.gettempdir()) / f"landuse-font-{os.getpid()}-{digest}.ttf"
        inst.save(str(out))
    _FONT_CACHE[key] = str(out)
    return str(out)


def _document(font_path: str | os.PathLike | None, *, orientation: str, paper: str) -> Any:
    from fpdf import FPDF

    from landuse.certificates.issue import find_lao_font  # deferred: the certificates room loads the PDF stack

    path = Path(font_path) if font_path else find_lao_font()
    if not path.is_file():
        raise LanduseError("the font file does not exist", source=str(path),
                           hint="give the path of a TrueType font with Lao glyphs (e.g. phetsarath_ot.ttf)")
    pdf: Any = FPDF(orientation=orientation, unit="mm", format=PAPER_MM[paper.upper()])
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    try:
        pdf._landuse_font = _static_font(path, 700)  # widths for layout (bold is the wider)
        pdf.add_font("lao", "", _static_font(path, 400))
        pdf.add_font("lao", "B", _static_font(path, 700))
    except Exception as exc:
        raise LanduseError(f"cannot use the font ({type(exc).__name__}: {exc})", source=str(path),
                           hint="give a TrueType (.ttf) font with Lao and Latin glyphs") from exc
    cmap = pdf.fonts["lao"].cmap if hasattr(pdf.fonts.get("lao", None), "cmap") else None
    if cmap is not None and not ({ord("ກ"), ord("A")} <= set(cmap)):
        raise LanduseError("the font has no Lao or no Latin glyphs", source=str(path),
                           hint="use Noto Sans Lao (default) or Phetsarath OT")
    pdf.set_font("lao", size=10)
    pdf.set_text_shaping(True)
    pdf.set_title("landuse")
    pdf.set_creator("landuse")
    pdf.set_producer("landuse")
    return pdf


def _advances(font_file: str) -> tuple[dict[int, float], float]:
    """Advance widths [em] by code point (marks 0), cached per font file."""
    if font_file not in _WIDTHS:
        from fontTools.ttLib import TTFont

        with TTFont(font_file, lazy=True) as tt:
            upm = float(tt["head"].unitsPerEm)
            hmtx = tt["hmtx"].metrics
            marks = set()
            if "GDEF" in tt and tt["GDEF"].table.GlyphClassDef is not None:
                marks = {g for g, c in tt["GDEF"].table.GlyphClassDef.classDefs.items() if c == 3}
            adv = {cp: (0.0 if g in marks else hmtx[g][0] / upm) for cp, g in tt.getBestCmap().items()}
        _WIDTHS[font_file] = (adv, 0.6)
    return _WIDTHS[font_file]


def _width(pdf: Any, s: str, size: float) -> float:
    """Width of *s* at *size* [pt] in mm, from advance widths (no shaping: fast, a close upper bound)."""
    adv, default = _advances(pdf._landuse_font)
    return sum(adv.get(ord(c), default) for c in s) * size * 25.4 / 72.0


def _text(pdf: Any, x: float, y: float, s: str, *, size: float, bold: bool = False, align: str = "L") -> None:
    """Text with its baseline at *y* [mm]; *align* L, C or R around *x*."""
    s = str(s)
    pdf.set_font("lao", "B" if bold else "", size)
    ascii_only = s.isascii()
    if ascii_only:
        pdf.set_text_shaping(False)
    dx = 0.0 if align == "L" else -_width(pdf, s, size) * (0.5 if align == "C" else 1.0)
    pdf.text(x + dx, y, s)
    if ascii_only:
        pdf.set_text_shaping(True)


def _fit(pdf: Any, s: str, width: float, *, size: float) -> str:
    """*s*, cut with an ellipsis to fit *width* [mm]."""
    if _width(pdf, s, size) <= width:
        return s
    while s and _width(pdf, s + "…", size) > width:
        s = s[:-1]
    return s + "…"


def _write(pdf: Any, path: str | os.PathLike, overwrite: bool) -> Path:
    data = bytes(pdf.output())
    with atomic_output(path, overwrite=overwrite) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


# -- map drawing -------------------------------------------------------------------------
class _Frame:
    """World (projected metres) to page (mm, y down) for a map box."""

    def __init__(self, bounds: tuple[float, float, float, float], x: float, y: float, w: float, h: float) -> None:
        minx, miny, maxx, maxy = bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.k = min(w / span_x, h / span_y) * 0.94  # mm per metre
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        self.ox, self.oy = x + w / 2 - cx * self.k, y + h / 2 + cy * self.k
        self.box = (x, y, w, h)

    def pt(self, xy: Any) -> list[tuple[float, float]]:
        a = np.asarray(xy)[:, :2]
        return list(zip((self.ox + a[:, 0] * self.k).tolist(), (self.oy - a[:, 1] * self.k).tolist()))

    def world_box(self) -> Any:
        from shapely.geometry import box

        x, y, w, h = self.box
        return box((x - self.ox) / self.k, (self.oy - y - h) / self.k, (x + w - self.ox) / self.k,
                   (self.oy - y) / self.k)


def _outline(pdf: Any, fr: _Frame, geom: Any, *, width: float, dash: float = 0.0) -> None:
    import shapely

    pdf.set_line_width(width)
    pdf.set_dash_pattern(dash=dash, gap=dash) if dash else pdf.set_dash_pattern()
    geom = geom.intersection(fr.world_box())
    for line in shapely.get_parts(shapely.get_parts(shapely.boundary(geom) if geom.geom_type.endswith("Polygon")
                                                    else geom)):
        if line.is_empty or line.geom_type not in ("LineString", "LinearRing"):
            continue
        pts = fr.pt(line.coords)
        pdf.polyline(pts)
    pdf.set_dash_pattern()


def _fill(pdf: Any, fr: _Frame, geom: Any, grey: float) -> None:
    import shapely

    if grey >= 1.0:
        return
    g = int(round(grey * 255))
    pdf.set_fill_color(g, g, g)
    for poly in shapely.get_parts(geom.intersection(fr.world_box())):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        # fpdf2 polygons have no holes: fill the exterior, then paint holes white
        pdf.polygon(fr.pt(poly.exterior.coords), style="F")
        pdf.set_fill_color(255, 255, 255)
        for ring in poly.interiors:
            pdf.polygon(fr.pt(ring.coords), style="F")
        pdf.set_fill_color(g, g, g)


def _hatch(pdf: Any, fr: _Frame, geom: Any, angles: tuple[float, ...], spacing_mm: float, *, width: float = 0.15) -> None:
    import shapely

    if not angles or spacing_mm <= 0 or geom.is_empty:
        return
    geom = geom.intersection(fr.world_box())
    if geom.is_empty:
        return
    minx, miny, maxx, maxy = geom.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    r = np.hypot(maxx - minx, maxy - miny) / 2 + 1
    step = spacing_mm / fr.k
    pdf.set_line_width(width)
    for ang in angles:
        t = np.radians(ang)
        d = np.array([np.cos(t), np.sin(t)])
        n = np.array([-d[1], d[0]])
        offs = np.arange(-r, r + step, step)
        # lines anchored on a global grid so neighbouring polygons' hatching lines up
        offs = offs - ((cx * n[0] + cy * n[1]) % step)
        starts = np.column_stack([cx + offs * n[0] - r * d[0], cy + offs * n[1] - r * d[1]])
        ends = starts + 2 * r * d
        lines = shapely.linestrings(np.stack([starts, ends], axis=1))
        cut = shapely.intersection(lines, geom)
        for seg in shapely.get_parts(shapely.get_parts(cut[~shapely.is_empty(cut)])):
            if seg.geom_type == "LineString" and not seg.is_empty:
                (x1, y1), (x2, y2) = fr.pt(np.asarray(seg.coords)[[0, -1]])
                pdf.line(x1, y1, x2, y2)


def _scale_bar(pdf: Any, fr: _Frame, x: float, y: float, *, size: float) -> None:
    x0, y0, w, h = fr.box
    target = w * 0.25 / fr.k
    mag = 10 ** np.floor(np.log10(target))
    length = max(m * mag for m in (1, 2, 5) if m * mag <= target)
    mm = length * fr.k
    pdf.set_line_width(0.3)
    pdf.set_fill_color(0, 0, 0)
    pdf.rect(x, y, mm / 2, 1.2, style="F")
    pdf.rect(x + mm / 2, y, mm / 2, 1.2, style="D")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    _text(pdf, x, y - 1, "0", size=size)
    _text(pdf, x + mm, y - 1, label, size=size, align="C")
    _text(pdf, x + mm + 2 + _width(pdf, label, size) / 2, y + 1.2, f"1:{_round_scale(1000 / fr.k):,}",
          size=size)
    # north arrow: grid north of the UTM projection
    nx, ny = x0 + w - 8, y0 + 6
    pdf.polygon([(nx, ny), (nx - 2.5, ny + 7), (nx, ny + 5.5), (nx + 2.5, ny + 7)], style="DF")
    _text(pdf, nx, ny - 1, "N", size=size, bold=True, align="C")


def _round_scale(s: float) -> int:
    mag = 10 ** max(int(np.floor(np.log10(max(s, 1)))) - 1, 0)
    return int(round(s / mag) * mag)


def _box(pdf: Any, x: float, y: float, w: float, h: float, width: float = 0.3) -> None:
    pdf.set_line_width(width)
    pdf.rect(x, y, w, h, style="D")


# -- boundary agreement sheet ----------------------------------------------------------------
def _row(villages: Any, vid: str, id_column: str) -> Any:
    hit = villages.loc[villages[id_column].astype(str) == str(vid)]
    if hit.empty:
        raise SchemaError(f"no village {vid!r}", source="villages", column=id_column,
                          hint="give a village_id of the villages layer")
    return hit.iloc[0]


def _name(row: Any, col: str) -> str:
    v = row.get(col, "") if hasattr(row, "get") else ""
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _vertex_table(pdf: Any, coords: list[Any], strips: Any, y: float, *, crs_name: str) -> None:
    """The numbered vertices of the shared line (continued on new pages) and the disputed strips."""
    _text(pdf, 15, y, f"ຈຸດຫຼັກເຂດແດນ / Vertices (UTM, {crs_name})", size=8, bold=True)
    y += 4
    rows_per_col, cols = 18, 3
    pages = [coords[i:i + rows_per_col * cols] for i in range(0, max(len(coords), 1), rows_per_col * cols)]
    first = True
    start = 0
    for chunk in pages:
        if not first:
            pdf.add_page()
            _text(pdf, 15, 15, "ຈຸດຫຼັກເຂດແດນ / Vertices (continued)", size=10, bold=True)
            y = 20
            rows_per_col = 60
        for k, (x_, y_) in enumerate(chunk[:rows_per_col * cols]):
            c, r = divmod(k, rows_per_col)
            _text(pdf, 15 + c * 62, y + 3.2 * (r + 1), f"{start + k + 1:>4}  E {x_:,.1f}  N {y_:,.1f}", size=6.5)
        start += len(chunk)
        first = False
    if strips is not None and not strips.empty:
        _text(pdf, 15, 250 if len(pages) == 1 else 280, "ເຂດຂັດແຍ່ງ / Disputed strips: " + "; ".join(
            f"{s.conflict_id} {s.kind} {s.area_m2:,.0f} m2 ({s.status})" for s in strips.itertuples())[:300], size=7)


def _signatures(pdf: Any, ra: Any, rb: Any) -> None:
    """The five signature boxes at the foot of the first page."""
    pdf.page = 1
    labels = [("ນາຍບ້ານ A / Head of village A", _name(ra, "name_lo")), ("ນາຍບ້ານ B / Head of village B", _name(rb, "name_lo")),
              ("ເມືອງ / District officer", ""), ("ພະຍານ 1 / Witness 1", ""), ("ພະຍານ 2 / Witness 2", "")]
    bw = 180 / len(labels)
    for k, (lab, sub) in enumerate(labels):
        x = 15 + k * bw
        _box(pdf, x, 254, bw, 32)
        _text(pdf, x + 1.5, 258, lab, size=6)
        if sub:
            _text(pdf, x + 1.5, 262, sub, size=6)
        _text(pdf, x + 1.5, 283, "ລາຍເຊັນ / Signature, ວັນທີ / Date", size=5)


def boundary_agreement_sheet(villages: Any, village_a: str, village_b: str, path: str | os.PathLike, *,
                             conflicts: Any = None, district: str = "", date: str = "",
                             font_path: str | os.PathLike | None = None, id_column: str = "village_id",
                             overwrite: bool = False) -> Path:
    """Write the bilingual A4 boundary agreement sheet for two neighbouring villages.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village polygons in a projected CRS (``village_id``, ``name_en``, ``name_lo``).
    village_a, village_b : str
        The two villages.
    path : path-like
        The PDF to write (not overwritten unless ``overwrite``).
    conflicts : geopandas.GeoDataFrame, optional
        The boundary register (:func:`landuse.field.update_register`); the pair's
        strips are drawn hatched and listed with their id, area and status.
    district, date : str
        Printed in the header (date of the meeting, ISO).
    font_path : path-like, optional
        A TrueType font with Lao and Latin glyphs (e.g. Phetsarath OT); default Noto
        Sans Lao.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SchemaError
        An unknown village, or two villages that share no boundary and no conflict.
    """
    import shapely

    require_projected(villages, layer="villages")
    a, b = sorted([str(village_a), str(village_b)])
    ra, rb = _row(villages, a, id_column), _row(villages, b, id_column)
    pair = villages.loc[villages[id_column].astype(str).isin([a, b])]
    sb = shared_boundaries(pair, id_column=id_column)
    line = sb.geometry.iloc[0] if len(sb) else shapely.LineString()
    strips = None
    if conflicts is not None and len(conflicts):
        strips = conflicts.loc[(conflicts["village_a"].astype(str) == a) & (conflicts["village_b"].astype(str) == b)]
        if "present" in strips:
            strips = strips.loc[strips["present"] == "yes"]
    if line.is_empty and (strips is None or strips.empty):
        raise SchemaError(f"villages {a!r} and {b!r} share no boundary and have no conflict", source="villages",
                          hint="pick two neighbouring villages (landuse boundaries list shows the pairs)")
    pdf = _document(font_path, orientation="P", paper="A4")
    pdf.add_page()
    _text(pdf, 105, 14, "ສັນຍາຕົກລົງເຂດແດນລະຫວ່າງບ້ານ", size=15, bold=True, align="C")
    _text(pdf, 105, 21, "Village boundary agreement", size=13, bold=True, align="C")
    _text(pdf, 15, 30, f"ບ້ານ / Village A: {_name(ra, 'name_lo')}  {_name(ra, 'name_en')}  ({a})", size=10)
    _text(pdf, 15, 36, f"ບ້ານ / Village B: {_name(rb, 'name_lo')}  {_name(rb, 'name_en')}  ({b})", size=10)
    _text(pdf, 15, 42, f"ເມືອງ / District: {district}    ວັນທີ / Date: {date}", size=10)
    # map
    focus = shapely.union_all([g for g in [line, *(strips.geometry if strips is not None else [])] if not g.is_empty])
    minx, miny, maxx, maxy = focus.buffer(max(focus.length, 1) * 0.08 + 100).bounds
    fr = _Frame((minx, miny, maxx, maxy), 15, 47, 180, 120)
    _box(pdf, 15, 47, 180, 120)
    _hatch(pdf, fr, ra.geometry, (45,), 4.0, width=0.1)
    _hatch(pdf, fr, rb.geometry, (-45,), 4.0, width=0.1)
    for r in (ra, rb):
        _outline(pdf, fr, r.geometry, width=0.3, dash=1.0)
    if strips is not None:
        for s in strips.itertuples():
            _fill(pdf, fr, s.geometry, 0.75)
            _hatch(pdf, fr, s.geometry, (0, 90), 1.2, width=0.15)
            _outline(pdf, fr, s.geometry, width=0.3)
            (px, py), = fr.pt([s.geometry.representative_point().coords[0]])
            _text(pdf, px, py, str(s.conflict_id), size=6, bold=True, align="C")
    coords = [c for g in shapely.get_parts(line) for c in g.coords] if not line.is_empty else []
    if not line.is_empty:
        _outline(pdf, fr, line, width=1.0)
        # vertex numbers of the table below (every k-th when there are many, and the last)
        k = max(1, len(coords) // 40)
        pdf.set_fill_color(255, 255, 255)
        for n, (px, py) in enumerate(fr.pt(coords)):
            if (n % k == 0 or n == len(coords) - 1) and fr.box[0] < px < fr.box[0] + fr.box[2] \
                    and fr.box[1] < py < fr.box[1] + fr.box[3]:
                pdf.circle(x=px, y=py, radius=0.6, style="DF")
                _text(pdf, px + 1.0, py - 0.8, str(n + 1), size=5.5, bold=True)
    for r, lab in ((ra, "A"), (rb, "B")):
        vis = r.geometry.intersection(fr.world_box())
        if not vis.is_empty:
            (px, py), = fr.pt([vis.representative_point().coords[0]])
            _text(pdf, px, py, f"{lab}: {_name(r, 'name_lo')} / {_name(r, 'name_en')}", size=8, bold=True, align="C")
    _scale_bar(pdf, fr, 20, 162, size=7)
    # legend
    y = 172
    pdf.set_line_width(1.0)
    pdf.line(15, y, 25, y)
    _text(pdf, 27, y + 1, "ເສັ້ນເຂດແດນຮ່ວມ / Shared boundary line", size=8)
    _fill(pdf, _Frame((0, 0, 10, 4), 105, y - 2, 10, 4), shapely.box(0, 0, 10, 4), 0.75)
    _hatch(pdf, _Frame((0, 0, 10, 4), 105, y - 2, 10, 4), shapely.box(0, 0, 10, 4), (0, 90), 1.2)
    _text(pdf, 117, y + 1, "ເຂດຂັດແຍ່ງ / Disputed strip (overlap or gap)", size=8)
    length = line.length
    _text(pdf, 15, y + 8, f"ຄວາມຍາວ / Length of the shared line: {length:,.0f} m", size=10, bold=True)
    _vertex_table(pdf, coords, strips, y + 14, crs_name=villages.crs.name)
    _signatures(pdf, ra, rb)
    pdf.page = pdf.pages_count if hasattr(pdf, "pages_count") else pdf.page
    return _write(pdf, path, overwrite)


# -- public display sheet ---------------------------------------------------------------------
def _parse_date(v: Any, name: str) -> _dt.date:
    if isinstance(v, _dt.date):
        return v
    try:
        return _dt.date.fromisoformat(str(v))
    except ValueError as exc:
        raise SchemaError(f"{name} {v!r} is not a date", column=name, hint="give it as YYYY-MM-DD") from exc


def _zone_legend(pdf: Any, z: Any, v: Any, names: list[str], pat: dict[str, Any], code: dict[str, str], *,
                 lx: float, page: tuple[float, float], f: float) -> None:
    """Legend of the zoning map: pattern, code and name of each zone, its area [ha] and share [%]."""
    import shapely

    W, H = page
    _text(pdf, lx, 30 * f, "ຄຳອະທິບາຍ / Legend and zone areas", size=11 * f, bold=True)
    area = {n: float(shapely.union_all(z.loc[z["zone"].astype(str) == n].geometry.to_numpy())
                     .intersection(v.geometry).area) / 1e4 for n in names}
    total = sum(area.values()) or 1.0
    y = 36 * f
    _text(pdf, lx + 22 * f, y, "ເຂດ / Zone", size=8 * f, bold=True)
    _text(pdf, W - 30 * f, y, "ha", size=8 * f, bold=True, align="R")
    _text(pdf, W - 12 * f, y, "%", size=8 * f, bold=True, align="R")
    row_h = min(9 * f, (H - 60 * f) / max(len(names) + 1, 1))
    for n in names:
        y += row_h
        sw = _Frame((0, 0, 12, 6), lx, y - 5 * f, 12 * f, 6 * f)
        sq = shapely.box(0, 0, 12, 6)
        angles, spacing, grey = pat[n]
        _fill(pdf, sw, sq, grey)
        _hatch(pdf, sw, sq, angles, spacing * f, width=0.12 * f)
        _outline(pdf, sw, sq, width=0.2 * f)
        _text(pdf, lx + 14 * f, y - 1 * f, code[n], size=8 * f, bold=True)
        _text(pdf, lx + 22 * f, y - 1 * f, _fit(pdf, n, W - lx - 60 * f, size=8 * f), size=8 * f)
        _text(pdf, W - 30 * f, y - 1 * f, f"{area[n]:,.1f}", size=8 * f, align="R")
        _text(pdf, W - 12 * f, y - 1 * f, f"{100 * area[n] / total:.1f}", size=8 * f, align="R")
    y += row_h
    _text(pdf, lx + 22 * f, y - 1 * f, "ລວມ / Total", size=8 * f, bold=True)
    _text(pdf, W - 30 * f, y - 1 * f, f"{sum(area.values()):,.1f}", size=8 * f, bold=True, align="R")


def _holder_rows(p: Any, hh: Any, number: dict[str, int]) -> list[tuple[str, ...]]:
    """One row per parcel: number, parcel id, land type, area [ha], holder in Lao and in English."""
    rows: list[tuple[str, ...]] = []
    for pid, hid, lt, g in zip(p["parcel_id"].astype(str), p["household_id"], p.get("land_type", [""] * len(p)),
                               p.geometry):
        h = str(hid) if hid is not None and str(hid).strip() and str(hid) != "nan" else ""
        en = lo = ""
        if h and h in hh.index:
            en = _name(hh.loc[h], "head_name")
            lo = _name(hh.loc[h], "head_name_lo")
        elif h:
            en = f"({h})"
        rows.append((str(number[pid]), pid, "" if lt is None else str(lt), f"{g.area / 1e4:,.2f}", lo, en))
    return rows


def public_display_sheet(village_id: str, path: str | os.PathLike, *, villages: Any, zones: Any, parcels: Any,
                         households: Any, objection_from: Any, objection_days: int = 30, paper: str = "A3",
                         font_path: str | os.PathLike | None = None, overwrite: bool = False) -> Path:
    """Write the public-display sheet of one village (one PDF, landscape A3 or A1).

    Parameters
    ----------
    village_id : str
    path : path-like
        The PDF to write (not overwritten unless ``overwrite``).
    villages, zones, parcels : geopandas.GeoDataFrame
        Village territory; zoning result (``village_id``, ``zone``, ``area_ha``);
        parcels (``parcel_id``, ``village_id``, ``household_id``, ``land_type``), all in
        one projected CRS.
    households : pandas.DataFrame
        ``household_id``, ``head_name`` and optionally ``head_name_lo``.
    objection_from : str or datetime.date
        First day of the objection period.
    objection_days : int, default 30
        Length of the objection period [days] (*default, configurable — not confirmed
        by a primary text*).
    paper : {"A3", "A1"}
    font_path : path-like, optional
        TrueType font with Lao and Latin glyphs (Phetsarath OT); default Noto Sans Lao.

    Returns
    -------
    pathlib.Path

    Notes
    -----
    Page 1: zoning map, legend (pattern + code + zone name) and zone-area table;
    page 2: allocation map with parcel numbers (``1..n`` in ``parcel_id`` order);
    pages 3+: the holder list (number, parcel id, land type, area [ha], holder in Lao
    and English). The zone-area table sums :math:`A_z = \\sum \\text{area}(g)/10^4`
    [ha] over the zone's polygons clipped to the village.
    """
    import shapely

    paper = paper.upper()
    if paper not in ("A3", "A1"):
        raise SchemaError(f"paper {paper!r} is not A3 or A1", column="paper", hint="use A3 (default) or A1")
    start = _parse_date(objection_from, "objection_from")
    if int(objection_days) < 1:
        raise SchemaError("objection_days must be 1 or more", column="objection_days", hint="e.g. 30")
    end = start + _dt.timedelta(days=int(objection_days) - 1)
    for lay, name in ((villages, "villages"), (zones, "zones"), (parcels, "parcels")):
        require_projected(lay, layer=name)
    v = _row(villages, village_id, "village_id")
    vid = str(village_id)
    z = zones.loc[zones["village_id"].astype(str) == vid]
    p = parcels.loc[parcels["village_id"].astype(str) == vid].sort_values("parcel_id", kind="stable")
    hh = households.set_index(households["household_id"].astype(str))
    H, W = PAPER_MM[paper]
    f = W / 420.0  # scale of text and margins relative to A3
    pdf = _document(font_path, orientation="L", paper=paper)
    title = f"{_name(v, 'name_lo')} / {_name(v, 'name_en')} ({vid})"
    period = (f"ໄລຍະຄັດຄ້ານ / Objection period: {start.isoformat()} – {end.isoformat()} "
              f"({int(objection_days)} ມື້ / days)")

    def header(subtitle_lo: str, subtitle_en: str) -> None:
        pdf.add_page()
        _text(pdf, 10 * f, 12 * f, f"{subtitle_lo} / {subtitle_en}", size=16 * f, bold=True)
        _text(pdf, 10 * f, 19 * f, f"ບ້ານ / Village: {title}", size=12 * f)
        _text(pdf, W - 10 * f, 12 * f, period, size=10 * f, bold=True, align="R")
        _text(pdf, W - 10 * f, 19 * f, "ຮ່າງແຜນ ເພື່ອປະກາດ / Draft for public display", size=9 * f, align="R")

    map_box = (10 * f, 24 * f, W * 0.66, H - 34 * f)
    b = [v.geometry.bounds] + ([tuple(p.total_bounds)] if len(p) else []) + ([tuple(z.total_bounds)] if len(z) else [])
    fr = _Frame((min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b), max(x[3] for x in b)), *map_box)
    # page 1: zoning
    header("ແຜນທີ່ການແບ່ງເຂດ", "Zoning map")
    _box(pdf, *map_box)
    names = sorted(z["zone"].astype(str).unique())
    pat = {n: PATTERNS[k % len(PATTERNS)] for k, n in enumerate(names)}
    code = {n: f"Z{k + 1}" for k, n in enumerate(names)}
    for n in names:
        geom = shapely.union_all(z.loc[z["zone"].astype(str) == n].geometry.to_numpy()).intersection(v.geometry)
        angles, spacing, grey = pat[n]
        _fill(pdf, fr, geom, grey)
        _hatch(pdf, fr, geom, angles, spacing * f, width=0.12 * f)
    for g, n in zip(z.geometry, z["zone"].astype(str)):
        _outline(pdf, fr, g, width=0.15 * f)
        if g.area * fr.k ** 2 > 150 * f * f:
            (px, py), = fr.pt([g.representative_point().coords[0]])
            pdf.set_fill_color(255, 255, 255)
            _text(pdf, px, py, code[n], size=7 * f, bold=True, align="C")
    _outline(pdf, fr, v.geometry, width=0.8 * f)
    _scale_bar(pdf, fr, map_box[0] + 5 * f, map_box[1] + map_box[3] - 6 * f, size=7 * f)
    lx = map_box[0] + map_box[2] + 8 * f
    _zone_legend(pdf, z, v, names, pat, code, lx=lx, page=(W, H), f=f)
    # page 2: allocation
    header("ແຜນທີ່ການຈັດສັນທີ່ດິນ", "Land allocation map")
    _box(pdf, *map_box)
    number = {str(pid): k + 1 for k, pid in enumerate(p["parcel_id"])}
    allocated = p["household_id"].notna() & (p["household_id"].astype(str).str.strip() != "")
    for g, pid, alloc in zip(p.geometry, p["parcel_id"].astype(str), allocated):
        if not alloc:
            _hatch(pdf, fr, g, (45,), 1.5 * f, width=0.08 * f)
        _outline(pdf, fr, g, width=0.12 * f)
        (px, py), = fr.pt([g.representative_point().coords[0]])
        _text(pdf, px, py + 1, str(number[pid]), size=4.5 * f, align="C")
    _outline(pdf, fr, v.geometry, width=0.8 * f)
    _scale_bar(pdf, fr, map_box[0] + 5 * f, map_box[1] + map_box[3] - 6 * f, size=7 * f)
    _text(pdf, lx, 30 * f, "ຄຳອະທິບາຍ / Legend", size=11 * f, bold=True)
    _text(pdf, lx, 37 * f, "12 = ເລກທີດິນ / parcel number (see the holder list)", size=8 * f)
    sw = _Frame((0, 0, 12, 6), lx, 40 * f, 12 * f, 6 * f)
    _hatch(pdf, sw, shapely.box(0, 0, 12, 6), (45,), 1.5 * f, width=0.08 * f)
    _outline(pdf, sw, shapely.box(0, 0, 12, 6), width=0.2 * f)
    _text(pdf, lx + 14 * f, 45 * f, "ບໍ່ທັນຈັດສັນ / not allocated", size=8 * f)
    _text(pdf, lx, 53 * f, f"ດິນທັງໝົດ / Parcels: {len(p)}; ຈັດສັນແລ້ວ / allocated: {int(allocated.sum())}",
          size=8 * f)
    # pages 3+: holder list
    rows = _holder_rows(p, hh, number)
    line_h = 4.2 * f
    per_col = int((H - 36 * f) / line_h)
    n_cols = 2
    col_w = (W - 20 * f) / n_cols
    widths = [0.07, 0.2, 0.16, 0.09, 0.24, 0.24]
    heads = ("ເລກ/No.", "ລະຫັດ/Parcel", "ປະເພດ/Type", "ha", "ຜູ້ຖື (ລາວ)/Holder", "Holder (English)")
    for start_i in range(0, max(len(rows), 1), per_col * n_cols):
        header("ລາຍຊື່ຜູ້ຖືສິດນຳໃຊ້ທີ່ດິນ", "List of holders per parcel")
        for c in range(n_cols):
            chunk = rows[start_i + c * per_col: start_i + (c + 1) * per_col]
            x0 = 10 * f + c * col_w
            xs = x0 + np.cumsum([0, *widths[:-1]]) * col_w
            for x, head in zip(xs, heads):
                _text(pdf, x, 30 * f, head, size=7 * f, bold=True)
            for r_i, row in enumerate(chunk):
                y = 30 * f + line_h * (r_i + 1)
                for x, w_, cell in zip(xs, widths, row):
                    _text(pdf, x, y, _fit(pdf, cell, w_ * col_w - 1.5 * f, size=6.5 * f), size=6.5 * f)
    return _write(pdf, path, overwrite)
