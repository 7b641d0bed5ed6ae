"""Household sheets (private): one A4 page per household, HTML and PDF.

Each sheet tells one household, Lao first with English beside it in the same size:
the head's and the spouse's names, the village, members and labour units, what the
household is entitled to and what it was allocated per land type (in plain words,
with the shortfall), every allocated plot with its parcel id, area, land type and
certificate number (linked to the certificate PDF when it was issued), and a small
map of its plots in the village: the household's plots numbered and highlighted,
the neighbouring parcels grey, the village boundary, a scale bar and a north arrow
(grid north of the projected CRS). A household with no plot still gets a sheet that
says so.

Files: ``<out>/households/<village_id>/<id_filename(household_id)>.html`` and
``.pdf`` (the convention the village reports and the web map link to), the Lao font
once at ``<out>/households/NotoSansLao.ttf`` for the HTML pages. The map is one
drawing model (parcel rings in metres, cut to the household's frame) written twice:
as inline SVG in the HTML (the rings in metres under one flip transform, each
parcel's path made once per village) and as vector paths in the PDF, which is made
with the certificates' PDF writer (:func:`landuse.certificates.pdf_document`: Noto
Sans Lao embedded, shaped by HarfBuzz). Both files are byte-identical on a rerun:
no clock, fixed PDF metadata, content-derived PDF ids.
"""

from __future__ import annotations

import html
import logging
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from landuse import io
from landuse._validate.ids import id_filename

log = logging.getLogger("landuse.plan")

__all__ = ["FONT_FILE", "LABELS", "household_records", "land_sentences", "land_type_name", "sheet_html", "sheet_pdf",
           "write_household_sheets"]

#: Labels of the sheet (Lao, English); land-type names come from the certificate labels.
LABELS = {
    "title": ("ເອກະສານຄົວເຮືອນ", "Household sheet"),
    "household": ("ເລກຄົວເຮືອນ", "Household no."),
    "village": ("ບ້ານ", "Village"),
    "head": ("ຫົວໜ້າຄອບຄົວ", "Head of household"),
    "spouse": ("ຄູ່ສົມລົດ", "Spouse"),
    "members": ("ຈຳນວນສະມາຊິກ", "Members"),
    "labour": ("ແຮງງານ", "Labour units"),
    "land": ("ສິດໄດ້ຮັບ ແລະ ທີ່ດິນທີ່ໄດ້ຮັບ", "Entitlement and allocation"),
    "plots": ("ຕອນດິນທີ່ໄດ້ຮັບ", "Allocated plots"),
    "no": ("ລຳດັບ", "No."),
    "parcel": ("ເລກຕອນດິນ", "Parcel"),
    "land_type": ("ປະເພດທີ່ດິນ", "Land type"),
    "area": ("ເນື້ອທີ່ (ha)", "Area (ha)"),
    "certificate": ("ເລກທີໃບຢັ້ງຢືນ", "Certificate no."),
    "map": ("ແຜນທີ່ຕອນດິນ", "Map of the plots"),
    "north": ("ເໜືອ", "N"),
    "none": ("ຄົວເຮືອນນີ້ບໍ່ໄດ້ຮັບການຈັດສັນທີ່ດິນ", "This household was allocated no land."),
    "unknown": ("ບໍ່ຮູ້", "unknown"),
    "not_issued": ("ຍັງບໍ່ທັນອອກ", "not issued"),
    "legend_own": ("ຕອນດິນຂອງຄົວເຮືອນ", "household's plots"),
    "legend_other": ("ຕອນດິນອື່ນ", "other parcels"),
    "boundary": ("ເຂດແດນບ້ານ", "village boundary"),
    "continued": ("ຕໍ່", "continued"),
}
_ORDER = ("paddy", "upland", "permanent")  # land types in this order on a sheet, others after them
_LAND_TYPE_NAMES: dict[str, tuple[str, str]] = {}
FONT_FILE = "NotoSansLao.ttf"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SCALES_M = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)
_MAP_PX = 320  # side of the square SVG map [CSS px]


@dataclass
class Plot:
    """One allocated plot on a sheet."""

    parcel_id: str
    land_type: str
    area_ha: float
    certificate_no: str
    certificate_href: str | None  # relative to the sheet, or None when no PDF was issued
    label: tuple[float, float]  # where its number goes on the map [m]


@dataclass
class Sheet:
    """Everything one household sheet shows (text still raw: each writer escapes it)."""

    household_id: str
    village_id: str
    village_lo: str
    village_en: str
    head_lo: str
    head_en: str
    spouse_lo: str
    spouse_en: str
    members: str
    labour_units: str
    land: list[tuple[str, float, float, int]]  # (land type, entitled ha, allocated ha, plots)
    plots: list[Plot]
    frame: tuple[float, float, float] = (0.0, 0.0, 1.0)  # map frame: min x, min y, side [m]
    own: list[int] = field(default_factory=list)  # parcel indices (of the village's drawing) highlighted
    others: list[int] = field(default_factory=list)


def _text(v: Any) -> str:
    """A cell as display text: missing → "", control and direction characters removed."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    return _CONTROL.sub("", str(v)).strip()


def _number(v: Any, fmt: str) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _text(v)
    return "" if math.isnan(f) else (fmt.format(f).rstrip("0").rstrip(".") if "." in fmt.format(f) else fmt.format(f))


def land_type_name(lt: str) -> tuple[str, str]:
    """Lao and English name of a land type, as the certificates name it (the code itself for one not known)."""
    if not _LAND_TYPE_NAMES:
        from landuse.certificates import load_labels  # deferred: the certificates room is heavy to import

        _LAND_TYPE_NAMES.update({k: (v["lo"], v["en"]) for k, v in load_labels()["land_types"].items()})
    return _LAND_TYPE_NAMES.get(lt, (lt, lt))


class _Drawing:
    """One village's parcels as path strings made once: SVG and PDF, in metres from the village's origin.

    Coordinates are relative to :attr:`origin` (the south-west corner of the village's
    parcels, whole metres) so that they stay short and exact in single precision; each
    writer places them with one transform (SVG ``matrix``, PDF ``cm``).
    """

    def __init__(self, geoms: Any, boundary: Any) -> None:
        import shapely

        self.geoms = np.asarray(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        b = shapely.bounds(self.geoms) if len(self.geoms) else np.zeros((0, 4))
        b = b[~np.isnan(b).any(axis=1)]
        self.origin = (math.floor(b[:, 0].min()), math.floor(b[:, 1].min())) if len(b) else (0, 0)
        self._svg: dict[int, str] = {}
        self._pdf: dict[int, str] = {}
        self.boundary_svg = self.boundary_pdf = ""
        if boundary is not None:
            rings = self._rings(boundary)
            self.boundary_svg, self.boundary_pdf = _svg_path(rings), _pdf_path(rings)

    def _rings(self, geom: Any) -> list[np.ndarray]:
        return [r - self.origin for r in _rings(geom)]

    def svg(self, i: int) -> str:
        """Parcel *i* as an SVG path (y up) [m from the origin]."""
        p = self._svg.get(i)
        if p is None:
            p = self._svg[i] = _svg_path(self._rings(self.geoms[i]))
        return p

    def pdf(self, i: int) -> str:
        """Parcel *i* as PDF path operators (closed subpaths, not painted) [m from the origin]."""
        p = self._pdf.get(i)
        if p is None:
            p = self._pdf[i] = _pdf_path(self._rings(self.geoms[i]))
        return p


def _rings(geom: Any) -> list[np.ndarray]:
    """Exterior and interior rings of a (multi)polygon as ``(n, 2)`` arrays [m]."""
    if geom is None or geom.is_empty:
        return []
    parts = getattr(geom, "geoms", [geom])
    out: list[np.ndarray] = []
    for p in parts:
        if p.geom_type != "Polygon":
            continue
        out.append(np.asarray(p.exterior.coords)[:, :2])
        out.extend(np.asarray(r.coords)[:, :2] for r in p.interiors)
    return out


def _svg_path(rings: list[np.ndarray]) -> str:
    """An SVG path to the metre (a map pixel is several metres; y up: the map flips it)."""
    return "".join("M" + "L".join(f"{x:.0f} {y:.0f}" for x, y in r[:-1]) + "Z" for r in rings if len(r) > 2)


def _pdf_path(rings: list[np.ndarray]) -> str:
    """PDF path construction operators to the metre, one closed subpath per ring."""
    parts = []
    for r in rings:
        if len(r) > 2:
            parts.append(f"{r[0, 0]:.0f} {r[0, 1]:.0f} m " + " ".join(f"{x:.0f} {y:.0f} l" for x, y in r[1:-1])
                         + " h")
    return " ".join(parts)


def household_records(households: pd.DataFrame, allocations: Any, *, parcels: Any, villages: Any,
                      register: pd.DataFrame | None = None, certificates_dir: Path | None = None
                      ) -> tuple[list[Sheet], dict[str, _Drawing]]:
    """The sheets of *households* (every row: those with no plot say so) and the villages' drawings.

    *households* has ``household_id``, ``village_id`` and any of the names, ``members``,
    ``labour_units`` and the allocation table's ``entitled_ha_<type>`` /
    ``allocated_ha_<type>`` / ``n_plots_<type>``; *allocations* one row per allocated
    plot (``parcel_id``, ``household_id``, ``land_type``, ``area_ha``,
    ``certificate_no``, geometry). The certificate number is the register's (issued)
    one when *register* has the parcel, with a link when its PDF exists in
    *certificates_dir*.
    """
    hh = households.drop_duplicates("household_id")
    issued: dict[str, tuple[str, str | None]] = {}
    if register is not None and len(register):
        files = register["file"] if "file" in register.columns else pd.Series([""] * len(register))
        for pid, no, f in zip(register["parcel_id"].astype(str), register["certificate_no"].astype(str),
                              files.fillna("").astype(str), strict=True):
            issued[pid] = (no, _certificate_href(f, certificates_dir))
    vil = {str(r["village_id"]): r for r in villages.to_dict("records")}
    geom_col = villages.geometry.name
    drawings: dict[str, _Drawing] = {}
    index_of: dict[str, dict[str, int]] = {}
    for vid, part in parcels.groupby(parcels["village_id"].astype(str), sort=True):
        drawings[vid] = _Drawing(list(part.geometry), vil.get(vid, {}).get(geom_col))
        index_of[vid] = {str(p): i for i, p in enumerate(part["parcel_id"])}
    plots_of = _plots_by_household(allocations, issued)
    rows = {str(r["household_id"]): r for r in hh.to_dict("records")}
    for hid, plots in plots_of.items():  # a holder missing from the household table still gets a sheet
        rows.setdefault(hid, {"household_id": hid, "village_id": plots[0][1]})
    sheets = []
    for hid, row in sorted(rows.items(), key=lambda kv: (str(kv[1]["village_id"]), kv[0])):
        vid = str(row["village_id"])
        v = vil.get(vid, {})
        own = plots_of.get(hid, [])
        sheet = Sheet(hid, vid, _text(v.get("name_lo")), _text(v.get("name_en")),
                      _text(row.get("head_name_lo")), _text(row.get("head_name")),
                      _text(row.get("spouse_name_lo")), _text(row.get("spouse_name")),
                      _number(row.get("members"), "{:.0f}"), _number(row.get("labour_units"), "{:.2f}"),
                      _land_lines(row, [p for p, _v, _b in own]), [p for p, _v, _b in own])
        if own:
            _frame(sheet, np.array([b for _p, _v, b in own]), drawings.get(vid), index_of.get(vid, {}))
        sheets.append(sheet)
    return sheets, drawings


def _plots_by_household(allocations: Any, issued: dict[str, tuple[str, str | None]]
                        ) -> dict[str, list[tuple[Plot, str, np.ndarray]]]:
    """Each household's plots (sorted by land type and parcel), with their village and bounds."""
    import shapely

    alloc = allocations.sort_values(["household_id", "land_type", "parcel_id"], kind="stable")
    geoms = np.asarray(alloc.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pts = np.full((len(geoms), 2), np.nan)
    if ok.any():
        pts[ok] = shapely.get_coordinates(shapely.point_on_surface(geoms[ok]))
    bounds = shapely.bounds(geoms)
    drafts = alloc["certificate_no"] if "certificate_no" in alloc.columns else pd.Series([""] * len(alloc))
    out: dict[str, list[tuple[Plot, str, np.ndarray]]] = {}
    for i, (hid, vid, pid, lt, area, draft) in enumerate(zip(
            alloc["household_id"].astype(str), alloc["village_id"].astype(str), alloc["parcel_id"].astype(str),
            alloc["land_type"].astype(str), alloc["area_ha"].astype(float), drafts, strict=True)):
        no, href = issued.get(pid, (_text(draft), None))
        out.setdefault(hid, []).append((Plot(pid, _text(lt), float(area), no, href, (pts[i, 0], pts[i, 1])),
                                        vid, bounds[i]))
    return out


def _certificate_href(file: str, certificates_dir: Path | None) -> str | None:
    """The link from a sheet to a certificate PDF the register names, if it is there and stays inside."""
    if certificates_dir is None or not file:
        return None
    parts = file.replace("\\", "/").split("/")
    if any(p in ("", ".", "..") for p in parts) or _CONTROL.search(file) or not file.lower().endswith(".pdf"):
        return None
    if not (certificates_dir / Path(*parts)).is_file():
        return None
    return "../../certificates/" + "/".join(quote(p, safe="~._-") for p in parts)


def _land_lines(row: dict[str, Any], own: list[Plot]) -> list[tuple[str, float, float, int]]:
    """Per land type: entitled and allocated area [ha] and the number of plots."""
    order = list(_ORDER)
    types = sorted({k[len("entitled_ha_"):] for k in row if k.startswith("entitled_ha_")} | {p.land_type for p in own},
                   key=lambda t: (order.index(t) if t in order else 99, t))
    out = []
    for lt in types:
        mine = [p.area_ha for p in own if p.land_type == lt]
        ent = row.get(f"entitled_ha_{lt}")
        try:
            ent_f = float(ent)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            ent_f = math.nan
        out.append((lt, ent_f, float(sum(mine)), len(mine)))
    return out


def _frame(sheet: Sheet, bounds: np.ndarray, drawing: _Drawing | None, index: dict[str, int]) -> None:
    """The square map frame around the household's plots (their *bounds*) and the parcels inside it."""
    import shapely

    b = bounds[~np.isnan(bounds).any(axis=1)]
    if not len(b):
        return
    minx, miny, maxx, maxy = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    side = max(maxx - minx, maxy - miny) * 1.3 + 200.0  # 15 % and 100 m around the plots
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    sheet.frame = (cx - side / 2, cy - side / 2, side)
    if drawing is None:
        return
    mine = {index[p.parcel_id] for p in sheet.plots if p.parcel_id in index}
    near = drawing.tree.query(shapely.box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
    sheet.own = sorted(mine)
    sheet.others = sorted(int(i) for i in near if int(i) not in mine)


def _scale_bar(side_m: float) -> int:
    """A round scale-bar length near a quarter of the map's side. [m]"""
    target = side_m / 4
    return min(_SCALES_M, key=lambda s: abs(math.log(s / target)))


def _ha(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.2f}"


def land_sentences(lt: str, ent: float, got: float, n: int) -> tuple[str, str]:
    """One land type's entitlement and allocation in plain words, Lao and English."""
    lo_name, en_name = land_type_name(lt)
    plots_en = f"{n} plot" + ("" if n == 1 else "s")
    if n == 0:
        lo = f"{lo_name}: ສິດໄດ້ຮັບ {_ha(ent)} ha, ບໍ່ໄດ້ຮັບ"
        en = f"{en_name.capitalize()}: entitled to {_ha(ent)} ha, received nothing"
    else:
        lo = f"{lo_name}: ສິດໄດ້ຮັບ {_ha(ent)} ha, ໄດ້ຮັບ {got:.2f} ha ({n} ຕອນ)"
        en = f"{en_name.capitalize()}: entitled to {_ha(ent)} ha, received {got:.2f} ha in {plots_en}"
    if n and not math.isnan(ent) and ent > 0:  # with nothing received, the whole entitlement is short
        short = ent - got
        if short > 0.005:
            share = 100.0 * got / ent
            lo += f", ຍັງຂາດ {short:.2f} ha (ໄດ້ {share:.0f} %)"
            en += f", {short:.2f} ha short ({share:.0f} % of the entitlement)"
    return lo, en


# -- HTML ------------------------------------------------------------------------------------
_CSS = """@font-face{font-family:"Noto Sans Lao";
src:local("Noto Sans Lao"),url("../NotoSansLao.ttf") format("truetype")}
@page{size:A4;margin:12mm}
body{font-family:"Noto Sans Lao","Noto Sans","DejaVu Sans",Arial,sans-serif;font-size:11pt;color:#111;
margin:0 auto;max-width:186mm;padding:8px;line-height:1.55}
h1{font-size:16pt;margin:0 0 4px 0}h2{font-size:12pt;margin:14px 0 4px 0;border-bottom:1px solid #999}
.lo,.en{font-size:inherit;color:inherit}.lo+.en::before{content:" · "}
.top{display:flex;gap:16px;align-items:flex-start}.who{flex:1}
dl{margin:0}dt{font-weight:bold;font-size:9pt;margin-top:5px}dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:10.5pt}th,td{border:1px solid #999;padding:2px 5px;
text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
ul{margin:4px 0;padding-left:18px}li{margin-bottom:3px}li.nothing{font-weight:bold}
.none{font-weight:bold;font-size:13pt;border:2px solid #b00020;padding:8px;margin:10px 0}
figure{margin:0}figcaption{font-size:9.5pt}
svg{border:1px solid #666;background:#fff}.key{display:inline-block;width:14px;height:9px;margin-right:5px;
background:#e3e3e3;border:1px solid #9a9a9a}.key.line{background:none;border:none;border-top:2px dashed #333}
@media print{body{max-width:none;padding:0}a{color:inherit;text-decoration:none}}
"""


def _bi(key: str) -> str:
    lo, en = LABELS[key]
    return f'<span class="lo" lang="lo">{html.escape(lo)}</span><span class="en" lang="en">{html.escape(en)}</span>'


def _bi_text(lo: str, en: str) -> str:
    parts = []
    if lo:
        parts.append(f'<span class="lo" lang="lo">{html.escape(lo)}</span>')
    if en:
        parts.append(f'<span class="en" lang="en">{html.escape(en)}</span>' if lo else
                     f'<span lang="en">{html.escape(en)}</span>')
    return "".join(parts) or html.escape(LABELS["unknown"][0] + " / " + LABELS["unknown"][1])


def sheet_html(sheet: Sheet, drawing: _Drawing | None) -> str:
    """The sheet as one self-contained A4 HTML page (every value escaped)."""
    e = html.escape
    spouse = _bi_text(sheet.spouse_lo, sheet.spouse_en) if sheet.spouse_lo or sheet.spouse_en else "-"
    head = [f'<!DOCTYPE html><html lang="lo"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{e(LABELS["title"][1])} {e(sheet.household_id)}</title><style>{_CSS}</style></head><body>',
            f'<h1>{_bi("title")}</h1>',
            '<div class="top"><div class="who"><dl>',
            f'<dt>{_bi("household")}</dt><dd>{e(sheet.household_id)}</dd>',
            f'<dt>{_bi("village")}</dt><dd>{_bi_text(sheet.village_lo, sheet.village_en)} ({e(sheet.village_id)})</dd>',
            f'<dt>{_bi("head")}</dt><dd>{_bi_text(sheet.head_lo, sheet.head_en)}</dd>',
            f'<dt>{_bi("spouse")}</dt><dd>{spouse}</dd>',
            f'<dt>{_bi("members")}</dt><dd>{e(sheet.members or "-")}</dd>',
            f'<dt>{_bi("labour")}</dt><dd>{e(sheet.labour_units or "-")}</dd></dl></div>']
    if sheet.plots:
        head.append(f'<figure>{_svg(sheet, drawing)}<figcaption>{_bi("map")}<br>'
                    f'<span class="key" style="background:#f28e2b;border-color:#7a3b00"></span>{_bi("legend_own")}'
                    f'<br><span class="key"></span>{_bi("legend_other")}<br>'
                    f'<span class="key line"></span>{_bi("boundary")}</figcaption></figure>')
    head.append(f'</div><h2>{_bi("land")}</h2><ul>')
    for lt, ent, got, n in sheet.land:
        lo, en = land_sentences(lt, ent, got, n)
        cls = ' class="nothing"' if n == 0 and not (ent == 0) else ""
        head.append(f'<li{cls}><span class="lo" lang="lo">{e(lo)}</span><br><span lang="en">{e(en)}</span></li>')
    head.append("</ul>")
    if not sheet.plots:
        lo, en = LABELS["none"]
        head.append(f'<p class="none"><span lang="lo">{e(lo)}</span><br><span lang="en">{e(en)}</span></p>')
    else:
        head.append(f'<h2>{_bi("plots")}</h2><table><thead><tr><th>{_bi("no")}</th><th>{_bi("parcel")}</th>'
                    f'<th>{_bi("land_type")}</th><th>{_bi("area")}</th><th>{_bi("certificate")}</th></tr></thead><tbody>')
        for i, p in enumerate(sheet.plots, start=1):
            lo, en = land_type_name(p.land_type)
            no = e(p.certificate_no) if p.certificate_no else _bi("not_issued")
            if p.certificate_href and p.certificate_no:
                no = f'<a href="{e(p.certificate_href)}">{no}</a>'
            head.append(f'<tr><td class="n">{i}</td><td>{e(p.parcel_id)}</td><td>{_bi_text(lo, en)}</td>'
                        f'<td class="n">{p.area_ha:.2f}</td><td>{no}</td></tr>')
        total = sum(p.area_ha for p in sheet.plots)
        head.append(f'</tbody><tfoot><tr><td></td><td colspan="2">ລວມ · Total</td><td class="n">{total:.2f}</td>'
                    '<td></td></tr></tfoot></table>')
    head.append("</body></html>\n")
    return "".join(head)


def _svg(sheet: Sheet, drawing: _Drawing | None) -> str:
    """The map as inline SVG: parcels in metres under one flip transform, labels and furniture in pixels."""
    x0, y0, side = sheet.frame
    k = _MAP_PX / side  # px per metre
    ox, oy = drawing.origin if drawing is not None else (0, 0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_MAP_PX}" height="{_MAP_PX}" '
           f'viewBox="0 0 {_MAP_PX} {_MAP_PX}" role="img" aria-label="{html.escape(LABELS["map"][1])}">',
           f'<g transform="matrix({k:.6f} 0 0 {-k:.6f} {(ox - x0) * k:.3f} {(y0 + side - oy) * k:.3f})" '
           'stroke-linejoin="round">']
    if drawing is not None:
        if sheet.others:
            out.append('<g fill="#e3e3e3" stroke="#9a9a9a" stroke-width="0.6">'
                       + "".join(f'<path d="{drawing.svg(i)}" vector-effect="non-scaling-stroke"/>'
                                 for i in sheet.others) + "</g>")
        if sheet.own:
            out.append('<g fill="#f28e2b" stroke="#7a3b00" stroke-width="1.4">'
                       + "".join(f'<path d="{drawing.svg(i)}" vector-effect="non-scaling-stroke"/>'
                                 for i in sheet.own) + "</g>")
        if drawing.boundary_svg:
            out.append(f'<path d="{drawing.boundary_svg}" fill="none" stroke="#333" stroke-width="1.5" '
                       'stroke-dasharray="6 3" vector-effect="non-scaling-stroke"/>')
    out.append("</g>")
    for i, p in enumerate(sheet.plots, start=1):
        lx, ly = (p.label[0] - x0) * k, (y0 + side - p.label[1]) * k
        if 0 <= lx <= _MAP_PX and 0 <= ly <= _MAP_PX:
            out.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="12" font-weight="bold" text-anchor="middle" '
                       f'stroke="#fff" stroke-width="3" paint-order="stroke">{i}</text>')
    bar = _scale_bar(side)
    w = bar * k
    out.append(f'<rect x="8" y="{_MAP_PX - 30}" width="{w + 8:.1f}" height="24" fill="#fff" fill-opacity="0.8"/>'
               f'<path d="M12 {_MAP_PX - 12}h{w:.1f}" stroke="#000" stroke-width="3"/>'
               f'<text x="12" y="{_MAP_PX - 17}" font-size="11">{bar:,} m</text>'.replace(",", " "))
    n = _MAP_PX - 22
    out.append(f'<path d="M{n} 34L{n + 8} 12L{n + 16} 34L{n + 8} 28Z" fill="#000"/>'
               f'<text x="{n + 8}" y="48" font-size="11" text-anchor="middle">N</text>'
               f'<text x="{n + 8}" y="62" font-size="11" text-anchor="middle">{html.escape(LABELS["north"][0])}</text>')
    out.append("</svg>")
    return "".join(out)


# -- PDF -------------------------------------------------------------------------------------
_PAGE_W, _PAGE_H = 595.276, 841.89
_MARGIN = 42.0
_MAP = (330.0, 78.0, 223.0)  # x, y (top), side of the map [pt]
_COLS = ((42.0, 28.0, "right"), (76.0, 100.0, "left"), (180.0, 150.0, "left"), (334.0, 56.0, "right"),
         (398.0, 155.0, "left"))  # table columns: x, width, alignment [pt]
_ROW = 15.0


def _fit(page: Any, text: str, width: float, size: float, *, bold: bool = False) -> float:
    """The largest size up to *size* (down to 60 %) at which *text* fits *width*. [pt]"""
    font = page.doc.bold if bold else page.doc.regular
    w = font.width(text, size)
    return size if w <= width or w == 0 else max(size * 0.6, size * width / w)


def _pdf_bilingual(page: Any, x: float, y: float, lo: str, en: str, *, size: float, width: float,
                   bold: bool = False) -> float:
    """Lao then English on one line (``·`` between) if it fits, else on two; returns the next baseline. [pt]"""
    lo, en = _text(lo), _text(en)
    if not lo or not en:
        page.text(x, y, lo or en, size=_fit(page, lo or en, width, size, bold=bold), bold=bold)
        return y + size * 1.6
    font = page.doc.bold if bold else page.doc.regular
    if font.width(f"{lo} · {en}", size) <= width:
        w = page.text(x, y, lo, size=size, bold=bold)
        page.text(x + w, y, f" · {en}", size=size, bold=bold)
        return y + size * 1.6
    page.text(x, y, lo, size=_fit(page, lo, width, size, bold=bold), bold=bold)
    page.text(x, y + size * 1.5, en, size=_fit(page, en, width, size, bold=bold), bold=bold)
    return y + size * 3.1


def _pdf_map(page: Any, sheet: Sheet, drawing: _Drawing | None) -> None:
    """The map: clipped to its square, the village's cached parcel paths under one ``cm``, numbers,
    scale bar, north arrow."""
    mx, my, ms = _MAP
    x0, y0, side = sheet.frame
    k = ms / side  # pt per metre
    bottom = page.height - my - ms
    page.ops.append(f"q {mx:.2f} {bottom:.2f} {ms:.2f} {ms:.2f} re W n")
    if drawing is not None:
        ox, oy = drawing.origin
        ops = [f"q {k:.6f} 0 0 {k:.6f} {mx + (ox - x0) * k:.4f} {bottom + (oy - y0) * k:.4f} cm 1 j"]
        if sheet.others:
            ops.append(f"{0.4 / k:.4f} w 0.6 0.6 0.6 RG 0.89 0.89 0.89 rg")
            ops.append(" ".join(drawing.pdf(i) for i in sheet.others) + " B*")
        if sheet.own:
            ops.append(f"{1.0 / k:.4f} w 0.48 0.23 0 RG 0.95 0.56 0.17 rg")
            ops.append(" ".join(drawing.pdf(i) for i in sheet.own) + " B*")
        if drawing.boundary_pdf:
            ops.append(f"{1.0 / k:.4f} w [{4 / k:.4f} {2 / k:.4f}] 0 d 0.2 0.2 0.2 RG {drawing.boundary_pdf} S")
        ops.append("Q")
        page.ops.extend(ops)
    page.colour(fill=(0, 0, 0))
    for i, p in enumerate(sheet.plots, start=1):
        lx, ly = mx + (p.label[0] - x0) * k, my + (y0 + side - p.label[1]) * k
        if mx <= lx <= mx + ms and my <= ly <= my + ms:
            page.text(lx - 10, ly + 3.5, str(i), size=10, bold=True, align="center", width=20)
    page.ops.append("Q")
    page.line_width(0.8)
    page.colour(stroke=(0.3, 0.3, 0.3))
    page.rect(mx, my, ms, ms)
    bar = _scale_bar(side)
    page.colour(fill=(1, 1, 1))
    page.rect(mx + 4, my + ms - 24, bar * k + 10, 20, style="f")
    page.line_width(2.5)
    page.colour(stroke=(0, 0, 0), fill=(0, 0, 0))
    page.line(mx + 8, my + ms - 8, mx + 8 + bar * k, my + ms - 8)
    page.text(mx + 8, my + ms - 12, f"{bar:,} m".replace(",", " "), size=8)
    nx, ny = mx + ms - 16, my + 8
    page.polygon([[(nx, ny), (nx + 6, ny + 16), (nx, ny + 12), (nx - 6, ny + 16)]], style="f")
    page.text(nx - 15, ny + 26, "N", size=8, bold=True, align="center", width=30)
    page.text(nx - 15, ny + 37, LABELS["north"][0], size=8, align="center", width=30)


def _pdf_legend(page: Any, x: float, y: float) -> None:
    """Caption and key of the map, one line each, from baseline *y*. [pt]"""
    page.colour(fill=(0, 0, 0))
    page.text(x, y, f"{LABELS['map'][0]} · {LABELS['map'][1]}", size=8.5, bold=True)
    keys = (("legend_own", (0.95, 0.56, 0.17), (0.48, 0.23, 0.0)),
            ("legend_other", (0.89, 0.89, 0.89), (0.6, 0.6, 0.6)), ("boundary", None, (0.2, 0.2, 0.2)))
    for i, (key, fill, stroke) in enumerate(keys, start=1):
        yy = y + 11 * i
        page.line_width(0.8)
        if fill is None:
            page.dash(3, 1.5)
            page.colour(stroke=stroke)
            page.line(x, yy - 3, x + 14, yy - 3)
            page.dash()
        else:
            page.colour(stroke=stroke, fill=fill)
            page.rect(x, yy - 7, 14, 8, style="B")
        page.colour(fill=(0, 0, 0))
        page.text(x + 19, yy, f"{LABELS[key][0]} · {LABELS[key][1]}", size=8.5)


def _pdf_header(page: Any, sheet: Sheet, *, continued: bool) -> float:
    """Title and the household's people; returns the y below them. [pt]"""
    lo, en = LABELS["title"]
    if continued:
        lo, en = f"{lo} ({LABELS['continued'][0]})", f"{en} ({LABELS['continued'][1]})"
    y = _pdf_bilingual(page, _MARGIN, 52, lo, en, size=16, width=_PAGE_W - 2 * _MARGIN, bold=True)
    rows = [("household", "", sheet.household_id),
            ("village", sheet.village_lo, f"{sheet.village_en} ({sheet.village_id})".strip()),
            ("head", sheet.head_lo, sheet.head_en), ("spouse", sheet.spouse_lo, sheet.spouse_en or "-"),
            ("members", "", sheet.members or "-"), ("labour", "", sheet.labour_units or "-")]
    if continued:
        rows = rows[:3]
    width = _MAP[0] - _MARGIN - 10
    for key, lo_v, en_v in rows:
        y = _pdf_bilingual(page, _MARGIN, y + 4, *LABELS[key], size=8.5, width=width, bold=True) - 4
        y = _pdf_bilingual(page, _MARGIN, y + 8, lo_v, en_v, size=11, width=width)
    return y


def _pdf_table_head(page: Any, y: float) -> float:
    """The plots table's column titles from baseline *y* (drawn once per process, moved to *y*); the first row's y."""
    page.shared(("household table head", tuple(LABELS.items())), 0.0, y, lambda q: _table_head(q, 0.0))
    page.line_width(0.6)
    page.colour(stroke=(0.4, 0.4, 0.4), fill=(0, 0, 0))
    return y + 17 + _ROW


def _table_head(page: Any, y: float) -> None:
    page.line_width(0.6)
    page.colour(stroke=(0.4, 0.4, 0.4), fill=(0, 0, 0))
    for (x, w, align), key in zip(_COLS, ("no", "parcel", "land_type", "area", "certificate"), strict=True):
        lo, en = LABELS[key]
        page.text(x, y, lo, size=_fit(page, lo, w, 8.5, bold=True), bold=True, align=align, width=w)
        page.text(x, y + 12, en, size=_fit(page, en, w, 8.5, bold=True), bold=True, align=align, width=w)
    page.line(_MARGIN, y + 17, _PAGE_W - _MARGIN, y + 17)


def sheet_pdf(sheet: Sheet, drawing: _Drawing | None, *, date: str = "20000101",
              missing: set[str] | None = None) -> bytes:
    """The sheet as an A4 PDF (a second page only when the plots do not fit on the first).

    Characters the font has no glyph for are added to *missing* (when given).
    """
    from landuse.certificates import pdf_document  # deferred: the PDF stack and fonts load on first use

    doc = pdf_document(info={"Title": f"{LABELS['title'][1]} {sheet.household_id}",
                             "Subject": f"{sheet.village_id} {sheet.household_id}", "Creator": "landuse plan",
                             "Producer": "landuse", "CreationDate": f"D:{date}000000Z",
                             "ModDate": f"D:{date}000000Z"})
    page = doc.add_page()
    y = _pdf_header(page, sheet, continued=False)
    if sheet.plots:
        _pdf_map(page, sheet, drawing)
        page.colour(fill=(0, 0, 0))
        page.shared(("household legend", tuple(LABELS.items())), 0.0, 0.0,
                    lambda q: _pdf_legend(q, _MAP[0], _MAP[1] + _MAP[2] + 12))  # the same on every sheet: drawn once
    y = max(y, _MAP[1] + _MAP[2] + 50) + 16
    y = _pdf_bilingual(page, _MARGIN, y, *LABELS["land"], size=12, width=_PAGE_W - 2 * _MARGIN, bold=True)
    for lt, ent, got, n in sheet.land:
        lo, en = land_sentences(lt, ent, got, n)
        bold = n == 0 and not (ent == 0)
        page.text(_MARGIN, y, lo, size=_fit(page, lo, _PAGE_W - 2 * _MARGIN, 10, bold=bold), bold=bold)
        page.text(_MARGIN, y + 14, en, size=_fit(page, en, _PAGE_W - 2 * _MARGIN, 10, bold=bold), bold=bold)
        y += 32
    if not sheet.plots:
        page.line_width(2)
        page.colour(stroke=(0.69, 0, 0.13))
        page.rect(_MARGIN, y, _PAGE_W - 2 * _MARGIN, 48)
        page.colour(fill=(0, 0, 0))
        page.text(_MARGIN + 10, y + 20, LABELS["none"][0], size=13, bold=True)
        page.text(_MARGIN + 10, y + 39, LABELS["none"][1], size=13, bold=True)
        return _finish(doc, missing)
    y = _pdf_bilingual(page, _MARGIN, y + 8, *LABELS["plots"], size=12, width=_PAGE_W - 2 * _MARGIN, bold=True)
    y = _pdf_table_head(page, y)
    for i, p in enumerate(sheet.plots, start=1):
        if y > _PAGE_H - _MARGIN:
            page = doc.add_page()
            y = _pdf_table_head(page, _pdf_header(page, sheet, continued=True) + 10)
        lo, en = land_type_name(p.land_type)
        cells = (str(i), p.parcel_id, f"{lo} · {en}" if lo != en else lo, f"{p.area_ha:.2f}",
                 p.certificate_no or f"{LABELS['not_issued'][0]} · {LABELS['not_issued'][1]}")
        for (x, w, align), cell in zip(_COLS, cells, strict=True):
            page.text(x, y, _text(cell), size=_fit(page, _text(cell), w, 10), align=align, width=w)
        y += _ROW
    page.line_width(0.6)
    page.line(_MARGIN, y - _ROW + 5, _PAGE_W - _MARGIN, y - _ROW + 5)
    total = sum(p.area_ha for p in sheet.plots)
    page.text(_COLS[1][0], y + 2, "ລວມ · Total", size=10, bold=True)
    page.text(_COLS[3][0], y + 2, f"{total:.2f}", size=10, bold=True, align="right", width=_COLS[3][1])
    return _finish(doc, missing)


def _finish(doc: Any, missing: set[str] | None) -> bytes:
    if missing is not None:
        missing.update(doc.missing)
    return bytes(doc.to_bytes())


# -- files -----------------------------------------------------------------------------------
def write_household_sheets(out_dir: Path, households: pd.DataFrame, allocations: Any, *, parcels: Any,
                           villages: Any, register: pd.DataFrame | None = None,
                           certificates_dir: Path | None = None, date: str = "20000101") -> dict[str, Path]:
    """Write every household's sheet (HTML and PDF) under *out_dir*; return ``{"households": out_dir}``.

    *out_dir* is emptied first (a sheet of a household no longer in the inputs must not
    stay). *date* (``YYYYMMDD``, the plan's issue date) is the PDFs' creation date.
    """
    sheets, drawings = household_records(households, allocations, parcels=parcels, villages=villages,
                                         register=register, certificates_dir=certificates_dir)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    _copy_font(out_dir)
    for sheet in sheets:
        folder = out_dir / id_filename(sheet.village_id)
        folder.mkdir(exist_ok=True)
        drawing = drawings.get(sheet.village_id)
        name = id_filename(sheet.household_id)
        io.atomic_write_bytes(folder / f"{name}.html", sheet_html(sheet, drawing).encode("utf-8"), overwrite=True)
        missing: set[str] = set()
        io.atomic_write_bytes(folder / f"{name}.pdf", sheet_pdf(sheet, drawing, date=date, missing=missing),
                              overwrite=True)
        if missing:  # the HTML shows them (the browser finds a font); the PDF prints empty boxes
            log.warning("household sheet %s: the Lao font has no glyph for %s; the PDF prints them as empty boxes",
                        sheet.household_id, ", ".join(f"U+{ord(c):04X}" for c in sorted(missing)))
    return {"households": out_dir}


def _copy_font(out_dir: Path) -> None:
    """The Lao font (and its licence) beside the HTML sheets, which load it relatively."""
    from landuse.certificates import find_lao_font  # deferred: the certificates room is heavy to import

    src = find_lao_font()
    shutil.copyfile(src, out_dir / FONT_FILE)
    licence = src.with_name("OFL.txt")
    if licence.is_file():
        shutil.copyfile(licence, out_dir / "NotoSansLao-OFL.txt")

