"""Static maps with matplotlib: village plan maps and parcel sketches (private).

Public names are re-exported by :mod:`landuse.maps`. Figures are built with the
object-oriented API (:class:`matplotlib.figure.Figure` on the Agg canvas), never
``pyplot``, so no global state is touched and figures are garbage-collected.

Lao text is drawn with Noto Sans Lao (shipped by ``justmytype-intl-sea``) as a
per-glyph fallback of DejaVu Sans. matplotlib >= 3.11 lays text out with libraqm
(HarfBuzz), so vowels and tone marks stack as they should; with older matplotlib
every glyph is present (no missing-glyph boxes) but a tone mark over an upper vowel
may collide with it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import landuse._validate as _validate  # not "from landuse import": see landuse.__getattr__
from landuse.errors import GeometryError, SchemaError
from landuse.io import atomic_output
from landuse.maps._base import _QUALITATIVE, STYLES, hillshade_raster

if TYPE_CHECKING:
    from geopandas import GeoDataFrame
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__: list[str] = []

_MM = 1 / 25.4  # inches per millimetre
_FONT_FAMILY = ["DejaVu Sans", "Noto Sans Lao"]


@functools.lru_cache(maxsize=1)
def _register_lao_font() -> str | None:
    """Register Noto Sans Lao with matplotlib; return its path (None if not installed)."""
    from matplotlib import font_manager

    try:
        import justmytype_intl_sea
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    root = Path(justmytype_intl_sea.__file__).parent / "fonts"
    for path in sorted(root.rglob("NotoSansLao*.ttf")):
        if "Looped" in path.name:
            continue
        fm = font_manager.fontManager
        fm.addfont(str(path))
        # The variable font registers only its regular instance; map bold requests to it
        # too, instead of matplotlib logging a fallback warning for every bold text.
        import dataclasses

        regular = [e for e in fm.ttflist if e.fname == str(path)]
        for entry in regular[:1]:
            if not any(e.fname == str(path) and e.weight == 700 for e in fm.ttflist):
                fm.ttflist.append(dataclasses.replace(entry, weight=700))
                fm._findfont_cached.cache_clear()  # type: ignore[attr-defined]
        return str(path)
    return None  # pragma: no cover


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """Fonts with Lao fallback and reproducible output settings."""
    import matplotlib

    _register_lao_font()
    with matplotlib.rc_context({
        "font.family": _FONT_FAMILY,
        "font.size": 8,
        "svg.hashsalt": "landuse",
        "svg.fonttype": "path",
        "pdf.compression": 6,
        "path.simplify": False,
        "text.parse_math": False,
        "axes.unicode_minus": False,
    }):
        yield


def _new_figure(width_mm: float, height_mm: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_mm * _MM, height_mm * _MM), dpi=100)
    FigureCanvasAgg(fig)
    return fig


# -- geometry to matplotlib ----------------------------------------------------------------
def _polygon_path(geom: Any) -> Any:
    """A matplotlib Path of a (Multi)Polygon with holes (even-odd via ring orientation)."""
    import shapely
    from matplotlib.path import Path as MplPath

    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in shapely.get_parts(geom):
        rings = [poly.exterior, *poly.interiors]
        for k, ring in enumerate(rings):
            xy = np.asarray(ring.coords)
            if len(xy) < 4:
                continue
            ccw = ring.is_ccw
            if (k == 0) != ccw:  # exterior counter-clockwise, holes clockwise
                xy = xy[::-1]
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _add_polygons(ax: Any, geoms: Sequence[Any], *, facecolors: Any, edgecolor: Any,
                  linewidth: float, alpha: float | None = None, zorder: float = 1) -> Any:
    from matplotlib.collections import PathCollection

    paths = [_polygon_path(g) for g in geoms]
    coll = PathCollection(paths, facecolors=facecolors, edgecolors=edgecolor,
                          linewidths=linewidth, alpha=alpha, zorder=zorder)
    coll.set_transform(ax.transData)
    ax.add_collection(coll, autolim=False)
    return coll


def _add_lines(ax: Any, geoms: Sequence[Any], *, color: str, linewidth: float, zorder: float) -> Any:
    import shapely
    from matplotlib.collections import LineCollection

    segs = []
    for g in geoms:
        for part in shapely.get_parts(g):
            if part.geom_type in ("Polygon",):
                part = part.exterior
            segs.append(np.asarray(part.coords)[:, :2])
    coll = LineCollection(segs, colors=color, linewidths=linewidth, zorder=zorder,
                          capstyle="round", joinstyle="round")
    ax.add_collection(coll, autolim=False)
    return coll


# -- map furniture ---------------------------------------------------------------------------
def nice_length(span_m: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above *span_m*. [m]

    >>> nice_length(730.0), nice_length(0.3), nice_length(2600)
    (500.0, 0.2, 2000.0)
    """
    if not span_m > 0 or not math.isfinite(span_m):
        raise SchemaError(f"cannot choose a scale-bar length for a span of {span_m!r} m",
                          hint="the map extent must have a positive width")
    k = math.floor(math.log10(span_m))
    for m in (5, 2, 1):
        if m * 10.0**k <= span_m * (1 + 1e-12):
            return float(m * 10.0**k)
    return float(10.0 ** (k - 1) * 5)  # pragma: no cover


def _length_label(length_m: float) -> str:
    if length_m >= 1000:
        km = length_m / 1000
        return f"{km:g} km"
    return f"{length_m:g} m"


def _scale_bar(ax: Any, *, x0: float, y0: float, width_m: float, height: float,
               fontsize: float = 6.5, mid_label: bool = True) -> None:
    """Alternating black/white scale bar of total length *width_m* at (x0, y0), data units."""
    from matplotlib.patches import Rectangle

    from matplotlib.patches import FancyBboxPatch

    n = 4
    step = width_m / n
    pad = width_m * 0.08
    ax.add_patch(FancyBboxPatch((x0 - pad, y0 - height * 1.5), width_m + 2 * pad, height * 6.5,
                                boxstyle="round,pad=0", facecolor="white", edgecolor="none",
                                alpha=0.8, zorder=19))
    for k in range(n):
        ax.add_patch(Rectangle((x0 + k * step, y0), step, height, facecolor="black" if k % 2 == 0
                               else "white", edgecolor="black", linewidth=0.6, zorder=20))
    for value in (0.0, width_m / 2, width_m) if mid_label else (0.0, width_m):
        in_km = width_m >= 1000  # one unit along the bar: "0  0.5  1 km", "0  250  500 m"
        label = _length_label(value) if value == width_m else f"{value / 1000 if in_km else value:g}"
        ax.text(x0 + value, y0 + height * 1.6, label, ha="center", va="bottom",
                fontsize=fontsize, zorder=21)


def _north_arrow(ax: Any, *, x: float, y: float, size: float) -> None:
    """Grid-north arrow at axes fraction (x, y); *size* in axes fraction of the height."""
    from matplotlib.patches import Polygon

    h = size
    w = size * 0.45
    trans = ax.transAxes
    ax.add_patch(Polygon([(x, y + h), (x - w / 2, y), (x, y + h * 0.28)], closed=True,
                         facecolor="black", edgecolor="black", linewidth=0.6, transform=trans, zorder=22))
    ax.add_patch(Polygon([(x, y + h), (x + w / 2, y), (x, y + h * 0.28)], closed=True,
                         facecolor="white", edgecolor="black", linewidth=0.6, transform=trans, zorder=22))
    ax.text(x, y + h * 1.05, "N", ha="center", va="bottom", fontsize=9, fontweight="bold",
            transform=trans, zorder=22)


def _fit_extent(bounds: Sequence[float], box_w: float, box_h: float, margin: float
                ) -> tuple[float, float, float, float]:
    """Extent (x0, x1, y0, y1) around *bounds* with the aspect ratio of the axes box."""
    x0, y0, x1, y1 = bounds
    w = max(x1 - x0, 1.0) * (1 + 2 * margin)
    h = max(y1 - y0, 1.0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if w / h > box_w / box_h:
        h = w * box_h / box_w
    else:
        w = h * box_w / box_h
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def _check_layer(gdf: Any, name: str, required: Sequence[str] = ()) -> str:
    layer = _validate.layer_name(gdf, name)
    _validate.require_geodataframe(gdf, layer=layer)
    _validate.require_projected(gdf, layer=layer)
    if required:
        _validate.require_columns(gdf, required, layer=layer)
    return layer


def _vocab_colours(values: pd.Series, column: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Colour per feature and legend entries (colour, English, Lao) for a vocabulary column."""
    vocab = STYLES[column] if column in STYLES else {}
    present = [str(v) for v in values.dropna().unique()]
    order = [v for v in vocab if v in present] + sorted(v for v in present if v not in vocab)
    colours: dict[str, str] = {}
    entries = []
    extra = 0
    for v in order:
        if v in vocab:
            colours[v] = vocab[v]["colour"]
            entries.append((vocab[v]["colour"], vocab[v]["en"], vocab[v]["lo"]))
        else:
            colours[v] = _QUALITATIVE[extra % len(_QUALITATIVE)]
            entries.append((colours[v], v, ""))
            extra += 1
    per_feature = [colours.get(str(v), "#d9d9d9") if pd.notna(v) else "#d9d9d9" for v in values]
    return per_feature, entries


# -- plan map ---------------------------------------------------------------------------------
def _thematic_layers(ax: Any, *, dem: Any, zones: Any, parcels: Any, streams: Any) -> list[Any]:
    """Draw the hillshade, zones, parcels and streams of a plan map; return their legend handles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    if dem is not None:
        shade = hillshade_raster(dem)
        l, b, r, t = shade.bounds
        ax.imshow(shade.as_float(), extent=(l, r, b, t), cmap="Greys_r", vmin=0, vmax=255,
                  alpha=0.35, interpolation="bilinear", zorder=0)
    if zones is not None and len(zones):
        zg = zones[~(zones.geometry.isna() | zones.geometry.is_empty)]
        colours, entries = _vocab_colours(zg["zone"], "zone")
        _add_polygons(ax, zg.geometry.to_numpy(), facecolors=colours, edgecolor="#ffffff",
                      linewidth=0.3, alpha=0.75, zorder=2)
        handles += [Patch(facecolor=c, edgecolor="#555555", linewidth=0.4, alpha=0.75,
                          label=f"{en} · {lo}" if lo else en) for c, en, lo in entries]
    if parcels is not None and len(parcels):
        pg = parcels[~(parcels.geometry.isna() | parcels.geometry.is_empty)]
        if zones is None:
            colours, entries = _vocab_colours(pg["land_type"], "land_type")
            _add_polygons(ax, pg.geometry.to_numpy(), facecolors=colours, edgecolor="#333333",
                          linewidth=0.25, alpha=0.85, zorder=3)
            handles += [Patch(facecolor=c, edgecolor="#333333", linewidth=0.4,
                              label=f"{en} · {lo}" if lo else en) for c, en, lo in entries]
        else:
            _add_polygons(ax, pg.geometry.to_numpy(), facecolors="none", edgecolor="#333333",
                          linewidth=0.25, zorder=3)
            handles.append(Patch(facecolor="none", edgecolor="#333333", linewidth=0.5,
                                 label="Parcel · ຕອນດິນ"))
    if streams is not None and len(streams):
        sg = streams[~(streams.geometry.isna() | streams.geometry.is_empty)]
        _add_lines(ax, sg.geometry.to_numpy(), color="#2c7fb8", linewidth=0.9, zorder=4)
        handles.append(Line2D([], [], color="#2c7fb8", linewidth=1.2, label="Stream · ຫ້ວຍ"))
    return handles


def _grid_labels(ax: Any) -> None:
    """UTM grid lines and labels in metres (spaces as thousands separators)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}".replace(",", " "))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        axis.set_major_formatter(fmt)
    ax.tick_params(labelsize=6, direction="in", top=True, right=True, labeltop=True,
                   labelright=False, length=3)
    for lab in ax.get_yticklabels():
        lab.set_rotation(90)
        lab.set_verticalalignment("center")
    ax.grid(True, color="#9e9e9e", linewidth=0.3, linestyle=(0, (4, 3)), zorder=7)
    ax.set_axisbelow(False)


def _side_panel(fig: Any, villages: Any, ok: Any, *, title: str | None, notes: str | None, scale: float,
                paper_mm: tuple[float, float], left: float, map_w: float, handles: list[Any]) -> None:
    """Title block (names, CRS, scale, north) and legend on the right of a plan map."""
    paper_w, paper_h = paper_mm
    crs = villages.crs
    side_x = (left + map_w + 8) / paper_w
    side_w = 1 - side_x - 8 / paper_w
    tb = fig.add_axes((side_x, 0.62, side_w, 0.30))
    tb.set_xticks([])
    tb.set_yticks([])
    for spine in tb.spines.values():
        spine.set_linewidth(0.8)
    names = villages.loc[ok].sort_values("village_id")
    lines_en = ", ".join(str(s) for s in names["name_en"] if pd.notna(s))
    lines_lo = ", ".join(str(s) for s in names["name_lo"] if pd.notna(s))
    crs_name = crs.name if crs is not None else "unknown CRS"
    epsg = crs.to_epsg() if crs is not None else None
    conv = _convergence_deg(villages.geometry[ok])
    rows = [
        (title or "Village land-use plan", 11, "bold"),
        ("ແຜນການນຳໃຊ້ທີ່ດິນຂັ້ນບ້ານ", 9, "normal"),
        (lines_en, 8, "normal"),
        (lines_lo, 8, "normal"),
        (f"{crs_name}" + (f" (EPSG:{epsg})" if epsg else ""), 6.5, "normal"),
        (f"Scale 1:{_round_scale(scale):,} on {paper_w:g} x {paper_h:g} mm".replace(",", " "), 6.5,
         "normal"),
        (f"Grid north; true north {abs(conv):.1f}° {'west' if conv > 0 else 'east'} of grid north"
         if conv is not None else "Grid north", 6.5, "normal"),
    ]
    if notes:
        rows.append((str(notes), 6.5, "normal"))
    _text_block(tb, rows, width_mm=side_w * paper_w, height_mm=0.30 * paper_h)
    lg = fig.add_axes((side_x, 0.08, side_w, 0.50))
    lg.set_axis_off()
    if handles:
        lg.legend(handles=handles, loc="upper left", fontsize=6.5, frameon=True,
                  title="Legend · ຄຳອະທິບາຍ", title_fontsize=7.5, borderaxespad=0)


def plan_map(villages: GeoDataFrame, *, zones: GeoDataFrame | None = None,
             parcels: GeoDataFrame | None = None, streams: GeoDataFrame | None = None,
             title: str | None = None, dem: Any = None, notes: str | None = None,
             paper_mm: tuple[float, float] = (297.0, 210.0)) -> Figure:
    """A print-quality village plan map (A4 landscape by default).

    Zones are filled by zone code, parcels outlined (or filled by land type when
    there are no zones), streams drawn in blue over an optional hillshade. The map
    has a legend with English and Lao labels, a grid-north arrow, a scale bar of a
    round length, UTM grid coordinates in metres on the frame and a title block
    (title, village names in English and Lao, CRS, scale at the chosen paper size).

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village boundaries with ``village_id``, ``name_en``, ``name_lo``; projected
        CRS (EPSG:32647 in Oudomxay). The map covers their extent.
    zones : geopandas.GeoDataFrame, optional
        Zones with a ``zone`` column (codes of ``STYLES['zone']``).
    parcels : geopandas.GeoDataFrame, optional
        Parcels with a ``land_type`` column.
    streams : geopandas.GeoDataFrame, optional
        Stream lines.
    title : str, optional
        Map title; default "Village land-use plan".
    dem : Raster, path or tuple, optional
        Elevations for a faint hillshade background.
    notes : str, optional
        One more line for the title block (e.g. the plan date or approval number).
    paper_mm : (float, float), default (297, 210)
        Paper width and height. [mm]

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`save_figure` (PNG or PDF).

    Raises
    ------
    SchemaError
        Missing columns or not a GeoDataFrame.
    CRSError
        Layers without a projected CRS, or with different CRSs.
    GeometryError
        If *villages* has no non-empty geometry.

    Notes
    -----
    The arrow shows grid north. In UTM zone 47N the angle to true north (meridian
    convergence, :math:`\\gamma \\approx \\Delta\\lambda \\sin\\varphi`) is below 1°
    around Oudomxay (20.7° N, 101.9-102.3° E; central meridian 99° E gives about
    1.1°): it is stated in the title block.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> v = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"]},
    ...                      geometry=[box(500000, 2290000, 500300, 2290200)], crs="EPSG:32647")
    >>> fig = plan_map(v, title="Pasak plan")
    >>> [round(s) for s in fig.get_size_inches() * 25.4]
    [297, 210]
    """
    import shapely
    from matplotlib.lines import Line2D

    layers = {"villages": villages}
    _check_layer(villages, "villages", ("village_id", "name_en", "name_lo"))
    if zones is not None:
        _check_layer(zones, "zones", ("zone",))
        layers["zones"] = zones
    if parcels is not None:
        _check_layer(parcels, "parcels", ("land_type",))
        layers["parcels"] = parcels
    if streams is not None:
        _check_layer(streams, "streams")
        layers["streams"] = streams
    _validate.require_same_crs(layers)
    vg = villages.geometry
    ok = ~(vg.isna() | vg.is_empty)
    if not ok.any():
        raise GeometryError("the village layer has no geometry to map",
                            source=_validate.layer_name(villages, "villages"),
                            hint="check that the village boundaries were read correctly")
    paper_w, paper_h = paper_mm
    with _style():
        fig = _new_figure(paper_w, paper_h)
        left, bottom, map_w, map_h = 14.0, 12.0, paper_w * 0.70, paper_h - 22.0
        ax = fig.add_axes((left / paper_w, bottom / paper_h, map_w / paper_w, map_h / paper_h))
        x0, x1, y0, y1 = _fit_extent(vg[ok].total_bounds, map_w, map_h, 0.04)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        ax.set_facecolor("#ffffff")
        scale = (x1 - x0) / (map_w / 1000.0)
        handles = _thematic_layers(ax, dem=dem, zones=zones, parcels=parcels, streams=streams)
        vgeoms = vg[ok].to_numpy()
        _add_polygons(ax, vgeoms, facecolors="none", edgecolor="#111111", linewidth=1.4, zorder=5)
        handles.append(Line2D([], [], color="#111111", linewidth=1.6, label="Village boundary · ເຂດບ້ານ"))
        for geom, en, lo in zip(vgeoms, villages.loc[ok, "name_en"], villages.loc[ok, "name_lo"],
                                strict=True):
            p = shapely.point_on_surface(geom)
            ax.text(p.x, p.y, "\n".join(str(s) for s in (en, lo) if pd.notna(s) and str(s)),
                    ha="center", va="center", fontsize=8, fontweight="bold", zorder=6,
                    color="#111111", bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                           "edgecolor": "none", "alpha": 0.7})
        _grid_labels(ax)

        # Scale bar (about a fifth of the width) and north arrow.
        bar = nice_length((x1 - x0) / 5)
        _scale_bar(ax, x0=x0 + (x1 - x0) * 0.04, y0=y0 + (y1 - y0) * 0.04, width_m=bar,
                   height=(y1 - y0) * 0.008)
        _north_arrow(ax, x=0.95, y=0.86, size=0.08)

        _side_panel(fig, villages, ok, title=title, notes=notes, scale=scale, paper_mm=paper_mm,
                    left=left, map_w=map_w, handles=handles)
    return fig


def _text_block(ax: Any, rows: Sequence[tuple[str, float, str]], *, width_mm: float,
                height_mm: float) -> None:
    """Write *rows* (text, size [pt], weight) top-down in *ax*, wrapped to its width."""
    import textwrap

    pad_mm = 3.0
    y_mm = height_mm - pad_mm
    for text, size, weight in rows:
        if not text:
            continue
        # DejaVu Sans averages about 0.55 em per character.
        chars = max(8, int((width_mm - 2 * pad_mm) / (size * 0.3528 * 0.55)))
        for line in textwrap.wrap(text, chars) or [""]:
            if y_mm < size * 0.3528:
                return
            ax.text(pad_mm / width_mm, y_mm / height_mm, line, fontsize=size, fontweight=weight,
                    va="top", ha="left", transform=ax.transAxes)
            y_mm -= size * 0.3528 * 1.45
        y_mm -= 1.0


def _round_scale(scale: float) -> int:
    """Scale denominator rounded to 2 significant digits (1:12 345 -> 1:12 000)."""
    if not scale > 0:
        return 0
    k = max(0, int(math.floor(math.log10(scale))) - 1)
    return int(round(scale / 10**k) * 10**k)


def _convergence_deg(geoms: Any) -> float | None:
    """Meridian convergence at the centre of *geoms* (grid to true north). [degrees]

    :math:`\\gamma = \\arctan(\\tan(\\lambda - \\lambda_0) \\sin\\varphi)` on the sphere,
    enough for a map note (Snyder 1987, *Map Projections: A Working Manual*, USGS PP
    1395, eq. 8-20 simplified). Positive when true north lies west of grid north.
    """
    crs = geoms.crs
    try:
        lon0 = next(p.value for p in crs.coordinate_operation.params
                    if "longitude of natural origin" in p.name.lower())
    except (AttributeError, StopIteration):
        return None
    c = geoms.to_crs("EPSG:4326").union_all().centroid
    return math.degrees(math.atan(math.tan(math.radians(c.x - lon0)) * math.sin(math.radians(c.y))))


# -- parcel sketch -------------------------------------------------------------------------------
def parcel_vertices(geometry: Any) -> pd.DataFrame:
    """Corner points of a parcel, numbered clockwise from the northernmost corner.

    Parameters
    ----------
    geometry : shapely Polygon or MultiPolygon
        In a projected CRS.

    Returns
    -------
    pandas.DataFrame
        ``vertex`` (1, 2, ...), ``part`` (polygon number, 1-based), ``x_m``, ``y_m``
        and ``side_m``, the length of the side to the next corner. [m]

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parcel_vertices(box(0, 0, 100, 50))[["vertex", "x_m", "y_m", "side_m"]].to_numpy().tolist()
    [[1.0, 0.0, 50.0, 100.0], [2.0, 100.0, 50.0, 50.0], [3.0, 100.0, 0.0, 100.0], [4.0, 0.0, 0.0, 50.0]]
    """
    import shapely

    rows = []
    n = 0
    for k, poly in enumerate(shapely.get_parts(geometry), start=1):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        xy = np.asarray(poly.exterior.coords)[:-1, :2]
        if poly.exterior.is_ccw:
            xy = xy[::-1]
        keep = np.ones(len(xy), bool)
        keep[1:] = np.any(np.diff(xy, axis=0) != 0, axis=1)
        xy = xy[keep]
        start = int(np.lexsort((xy[:, 0], -xy[:, 1]))[0])
        xy = np.roll(xy, -start, axis=0)
        side = np.hypot(*(np.roll(xy, -1, axis=0) - xy).T)
        for (x, y), s in zip(xy, side, strict=True):
            n += 1
            rows.append((n, k, float(x), float(y), float(s)))
    return pd.DataFrame(rows, columns=["vertex", "part", "x_m", "y_m", "side_m"])


def _sketched_parcel(parcel_id: Any, parcels: Any, *, others: Mapping[str, Any] | None,
                     id_column: str) -> tuple[np.ndarray, int, Any]:
    """Check the layers of a parcel sketch; return the ids as text, the parcel's position and polygon."""
    layer = _check_layer(parcels, "parcels", (id_column,))
    context = {"parcels": parcels, **dict(others or {})}
    for name, gdf in (others or {}).items():
        _check_layer(gdf, name)
    _validate.require_same_crs(context)
    ids = parcels[id_column].astype(str).to_numpy()
    hits = np.flatnonzero(ids == str(parcel_id))
    if len(hits) == 0:
        raise SchemaError(f"no parcel with {id_column} {parcel_id!r}", source=layer, column=id_column,
                          hint="check the id (ids are compared as text)")
    if len(hits) > 1:
        raise SchemaError(f"{len(hits)} parcels share {id_column} {parcel_id!r}", source=layer,
                          column=id_column, feature_id=parcel_id, hint="make the ids unique first")
    geom = parcels.geometry.iloc[hits[0]]
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError("the parcel has no polygon geometry", source=layer,
                            feature_id=parcel_id, hint="fix or redraw the parcel")
    return ids, int(hits[0]), geom


def parcel_sketch(parcel_id: Any, parcels: GeoDataFrame, *, others: Mapping[str, Any] | None = None,
                  ax: Axes | None = None, size_mm: float = 80.0, id_column: str = "parcel_id",
                  vertex_numbers: bool = True) -> Figure:
    """A small sketch of one parcel with its neighbours, for land-use certificates.

    The parcel is filled and outlined, its corners numbered clockwise from the
    northernmost (as in :func:`parcel_vertices`), its neighbours (parcels that touch
    it or lie within 1 m) outlined with their ids, with a grid-north arrow, a scale
    bar of a round length and the parcel's id and area.

    Parameters
    ----------
    parcel_id : str
        Id of the parcel to draw.
    parcels : geopandas.GeoDataFrame
        All parcels (projected CRS), with *id_column*.
    others : mapping of str to geopandas.GeoDataFrame, optional
        Extra context layers drawn in grey (streams, roads, the village boundary);
        same CRS as *parcels*.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its figure is returned); by default a new square figure
        of *size_mm*.
    size_mm : float, default 80
        Width and height of the new figure. [mm]
    id_column : str, default "parcel_id"
        Column holding the parcel ids.
    vertex_numbers : bool, default True
        Number the corners.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        Unknown or duplicated *parcel_id*, or a missing id column.
    CRSError
        If the layers are not projected or not in the same CRS.
    GeometryError
        If the parcel has no polygon geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B"]}, geometry=[box(0, 0, 100, 100),
    ...                      box(100, 0, 200, 100)], crs="EPSG:32647")
    >>> fig = parcel_sketch("A", p)
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text() in ("A", "B"))
    ['B']
    """
    import shapely

    ids, pos, geom = _sketched_parcel(parcel_id, parcels, others=others, id_column=id_column)
    x0, y0, x1, y1 = geom.bounds
    side = max(x1 - x0, y1 - y0, 1.0) * 1.9
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    view = shapely.box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    near = parcels.sindex.query(geom.buffer(1.0), predicate="intersects")
    near = np.array(sorted(set(near.tolist()) - {pos}), dtype=np.int64)
    with _style():
        if ax is None:
            fig = _new_figure(size_mm, size_mm)
            ax = fig.add_axes((0, 0, 1, 1))
        else:
            fig = ax.figure
        ax.set_xlim(cx - side / 2, cx + side / 2)
        ax.set_ylim(cy - side / 2, cy + side / 2)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        for name, gdf in (others or {}).items():
            sub = gdf.iloc[gdf.sindex.query(view, predicate="intersects")]
            geoms = sub.geometry.to_numpy()
            poly = np.isin(shapely.get_type_id(geoms), (3, 6))
            if poly.any():
                _add_polygons(ax, geoms[poly], facecolors="none", edgecolor="#9e9e9e", linewidth=0.8,
                              zorder=1)
            if (~poly).any():
                _add_lines(ax, geoms[~poly], color="#6baed6", linewidth=1.0, zorder=1)
        if len(near):
            ngeoms = parcels.geometry.iloc[near].to_numpy()
            _add_polygons(ax, ngeoms, facecolors="#f0f0f0", edgecolor="#555555", linewidth=0.6,
                          zorder=2)
            inner = shapely.box(cx - side * 0.36, cy - side * 0.40, cx + side * 0.36, cy + side * 0.40)
            for g, nid in zip(ngeoms, ids[near], strict=True):
                # label inside the inner part of the view, so that ids are not cut at the edge
                # and away from the parcel, so that the parcel does not cover it
                visible = shapely.difference(shapely.intersection(g, inner), geom.buffer(side * 0.12))
                if visible.is_empty:
                    visible = shapely.intersection(g, inner)
                if visible.is_empty:
                    visible = shapely.intersection(g, view)
                if visible.is_empty:
                    continue
                p = shapely.point_on_surface(visible)
                ax.text(p.x, p.y, nid, ha="center", va="center", fontsize=6, color="#333333",
                        zorder=7)
        _add_polygons(ax, [geom], facecolors="#fff2a8", edgecolor="#000000", linewidth=1.4, zorder=4)
        p = shapely.point_on_surface(geom)
        ax.text(p.x, p.y, f"{parcel_id}\n{geom.area / 10_000:.2f} ha", ha="center", va="center",
                fontsize=7.5, fontweight="bold", zorder=6)
        if vertex_numbers:
            corners = parcel_vertices(geom)
            off = side * 0.025
            for v, x, y in corners[["vertex", "x_m", "y_m"]].itertuples(index=False):
                dx, dy = x - p.x, y - p.y
                d = math.hypot(dx, dy) or 1.0
                ax.plot([x], [y], marker="o", markersize=2.2, color="#000000", zorder=5)
                ax.text(x + off * dx / d, y + off * dy / d, str(int(v)), fontsize=5.5, ha="center",
                        va="center", color="#b2182b", zorder=6)
        bar = nice_length(side / 4)
        _scale_bar(ax, x0=cx - side / 2 + side * 0.05, y0=cy - side / 2 + side * 0.05, width_m=bar,
                   height=side * 0.012, fontsize=5.5, mid_label=False)
        _north_arrow(ax, x=0.92, y=0.82, size=0.1)
    return fig


# -- saving --------------------------------------------------------------------------------------
_FORMATS = {
    ".png": ("png", {"Software": None}),
    ".pdf": ("pdf", {"CreationDate": None, "ModDate": None, "Producer": "landuse", "Creator": "landuse"}),
    ".svg": ("svg", {"Date": None, "Creator": "landuse"}),
}


def save_figure(fig: Figure, path: str | os.PathLike, *, overwrite: bool = False, dpi: float = 200
                ) -> Path:
    """Save a figure atomically as PNG, PDF or SVG, with fixed metadata (same bytes each time).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        From :func:`plan_map` or :func:`parcel_sketch`.
    path : path-like
        ``.png``, ``.pdf`` or ``.svg``.
    overwrite : bool, default False
        Replace an existing file.
    dpi : float, default 200
        Resolution of PNG output (and of images inside PDF/SVG). [dots per inch]

    Raises
    ------
    SchemaError
        For another file type.
    OutputExistsError
        If *path* exists and *overwrite* is False.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:32647")
    >>> out = save_figure(parcel_sketch("A", p), pathlib.Path(tempfile.mkdtemp()) / "a.png")
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SchemaError(f"cannot save a map as {path.suffix or 'a file without suffix'!r}",
                          source=str(path), hint="use .png, .pdf or .svg")
    with _style(), atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format=fmt[0], dpi=dpi, metadata=dict(fmt[1]))  # type: ignore[call-overload]
    return path
