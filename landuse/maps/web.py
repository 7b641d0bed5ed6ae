"""Maps for village plans: offline interactive HTML and print-quality static maps.

District officers review village plans on laptops that are often offline, so an
interactive map is one HTML file that makes no network request at all:
:func:`interactive_map` builds a :class:`folium.Map` (which also shows inline in
Jupyter) and :func:`save_html` writes it with Leaflet inlined from the installed
``django-js-lib-leaflet`` wheel, a hillshade of the DEM as an embedded background
image, and every layer stored compactly (coordinates rounded to 1e-6 degree, about
0.1 m, display-only coverage simplification that keeps shared borders shared, only
the attributes the popup shows). Every attribute value is put into the page as text,
never as markup, so names such as ``<img src=x onerror=alert(1)>`` cannot run script.

Static maps (matplotlib) for reports and certificates are :func:`plan_map` (zones,
parcels, streams, legend, north arrow, scale bar, UTM grid labels, title block) and
:func:`parcel_sketch` (one parcel, its numbered corners and its neighbours), written
with :func:`save_figure`.

folium and matplotlib are imported only when a map is made.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> parcels = gpd.GeoDataFrame(
...     {"parcel_id": ["P1", "P2"], "village_id": "V1", "land_type": ["paddy", "upland"]},
...     geometry=[box(500000, 2290000, 500100, 2290100), box(500100, 2290000, 500200, 2290100)],
...     crs="EPSG:32647")
>>> m = interactive_map({"parcels": parcels}, title="Ban Pasak")
>>> type(m).__mro__[1].__module__
'folium.folium'
>>> html = render_html(m)
>>> "Leaflet 1.9.4" in html, "<script src=" in html
(True, False)
"""

from __future__ import annotations

import base64
import functools
import html as _html
import io as _io
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import landuse.maps._offline as _offline_html  # not "from landuse import": see landuse.__getattr__
import landuse._validate as _validate
from landuse.maps._encoding import (
    COORD_DECIMALS,
    _encode_geometries,
    _encode_rings,  # noqa: F401 - re-exported for tests
    _polyline_encode,  # noqa: F401
)
from landuse.crs import is_projected, to_projected
from landuse.errors import GeometryError, LanduseError, LanduseWarning, SchemaError
from landuse.io import atomic_output
from landuse.maps._base import _QUALITATIVE, STYLES, hillshade_raster
from landuse.maps._bulk import bulk_js, pack_layer, payload_block, without_payload
from landuse.maps._static import (
    parcel_sketch,
    parcel_vertices,
    plan_map,
    save_figure,
)

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

__all__ = [
    "STYLES",
    "interactive_map",
    "map_columns",
    "map_layer_data",
    "neighbour_colouring",
    "parcel_sketch",
    "parcel_vertices",
    "plan_map",
    "render_html",
    "save_figure",
    "save_html",
]

#: Display-only simplification tolerance in metres (projected CRS). [m]
#: GEOS' coverage simplification (Visvalingam-Whyatt) drops a vertex when the triangle
#: it forms with its neighbours has an area below the tolerance squared (1 m²): the
#: 5-10 cm zigzags of digitised borders go, parcel corners stay.
SIMPLIFY_M = 1.0
#: Search columns: part of an id, a village code or a name typed in the search box. A match
#: in a household column finds the household (its current allocation first), in a parcel
#: column the parcel, in a village column (villages layer only) the village.
SEARCH_COLUMNS = ("parcel_id", "household_id", "certificate_no", "plot_id", "village_id",
                  "name_lo", "name_en", "head_name_lo", "head_name", "holder_name_lo", "holder_name")
_HOUSEHOLD_SEARCH = ("household_id", "head_name_lo", "head_name", "holder_name_lo", "holder_name")
_PARCEL_SEARCH = ("parcel_id", "certificate_no", "plot_id")
#: Columns holding a relative link (shown as a link in popups) and the link's text.
LINK_COLUMNS = {"household_sheet": "ໃບຄົວເຮືອນ / Household sheet"}
#: Search ranks: of several layers holding the same household or parcel, the search shows
#: the features of the best-ranked one (the current allocation before the old parcel).
_SEARCH_RANK = {"allocations": 0, "allocation": 0, "villages": 0, "parcels": 2, "fallow": 3}
#: Palette for colouring many categories (households) so that neighbours differ: the 10
#: first of the qualitative palette (ColorBrewer/Tableau 10), then golden-angle hues.
NEIGHBOUR_PALETTE = 10
_NEIGHBOUR_NOTE = "ສີຕ່າງກັນລະຫວ່າງເພື່ອນບ້ານ · neighbours differ in colour"
#: Layers whose polygons of these classes are drawn as outlines that take no click.
_OUTLINE_CLASSES = {"catchment", "Catchment"}
#: Columns tried in order as the tooltip of a feature.
TOOLTIP_COLUMNS = ("parcel_id", "certificate_no", "name_en", "name", "zone", "scheme_id",
                   "canal_id", "stream_id", "conflict", "household_id", "village_id")
#: Legend rows shown per layer; further classes are summarised as "and N more".
LEGEND_MAX = 24
#: Columns coloured with a fixed palette, tried in order when ``color_by`` is not given.
AUTO_COLOR_COLUMNS = ("severity", "status_class", "zone", "land_type", "feature")
# Layers drawn in their own colour unless color_by says otherwise.
_FIXED_COLOUR_LAYERS = ("villages", "unallocated", "streams", "canals", "commands")

# Default look of the usual planning layers: (colour, fill opacity, line weight [px]).
_LAYER_LOOK: dict[str, tuple[str, float, float]] = {
    "villages": ("#222222", 0.0, 2.5),
    "zones": ("#555555", 0.55, 0.6),
    "parcels": ("#333333", 0.7, 0.6),
    "allocation": ("#333333", 0.7, 0.6),
    "allocations": ("#333333", 0.7, 0.6),
    "unallocated": ("#7f7f7f", 0.35, 0.8),
    "fallow": ("#333333", 0.7, 0.6),
    "schemes": ("#1f78b4", 0.35, 1.2),
    "commands": ("#6baed6", 0.35, 1.5),
    "canals": ("#08519c", 1.0, 2.5),
    "streams": ("#2c7fb8", 1.0, 1.8),
    "conflicts": ("#e7298a", 0.45, 2.0),
}
_DEFAULT_LOOK = ("#3f3f9f", 0.5, 1.2)

# Viridis at 7 stops (perceptually uniform, colour-blind safe) for numeric columns.
_RAMP = ("#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")
_MISSING_COLOUR = "#d9d9d9"


def _column_label(col: str) -> tuple[str, str]:
    known = STYLES["columns"].get(col)
    return (known[0], known[1]) if known else (col, "")


def _layer_title(name: str) -> tuple[str, str]:
    known = STYLES["layers"].get(name)
    return (known[0], known[1]) if known else (name, "")


def _hue_colour(k: int) -> str:
    """Deterministic distinct colour number *k* (golden-angle hue steps)."""
    import colorsys

    h = (k * 0.381966) % 1.0
    r, g, b = colorsys.hls_to_rgb(h, 0.5, 0.6)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _format_value(v: Any, col: str) -> str | None:
    """The text shown in a popup for one attribute value (None: not shown)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            return None
        return f"{float(v):.2f}" if not float(v).is_integer() or col.endswith("_ha") else str(int(v))
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, np.integer):
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    vocab = STYLES[col] if col in AUTO_COLOR_COLUMNS else None
    text = str(v)
    if vocab and text in vocab:
        entry = vocab[text]
        return f"{entry['lo']} · {entry['en']}"
    return text


# -- classification --------------------------------------------------------------------
def neighbour_colouring(labels: Sequence[Any], geoms: Any, *, gap_m: float = 0.5) -> dict[str, int]:
    """Colour numbers for labels (households) so that labels whose features touch differ.

    Greedy graph colouring (Welsh and Powell 1967): labels are nodes, an edge joins two
    labels when a feature of one lies within *gap_m* of a feature of the other; nodes
    are taken by decreasing degree (ties: label text), each gets the smallest colour
    number none of its coloured neighbours has. At most (maximum degree + 1) colours
    are used, so on parcel maps (a parcel has a few neighbours) about 4-8.

    Parameters
    ----------
    labels : sequence
        Label per feature (None or NaN: not coloured, no node).
    geoms : array-like of shapely geometries
        Geometry per feature, in a projected CRS (metres).
    gap_m : float, default 0.5
        Features closer than this are neighbours (digitising slivers). [m]

    Returns
    -------
    dict
        Label (as text) to colour number 0, 1, 2, ...; deterministic.

    References
    ----------
    D. J. A. Welsh and M. B. Powell, "An upper bound for the chromatic number of a graph
    and its application to timetabling problems", The Computer Journal 10(1), 85-86, 1967.

    >>> from shapely.geometry import box
    >>> neighbour_colouring(["a", "b", "c"], [box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    {'a': 0, 'b': 1, 'c': 0}
    """
    import shapely

    texts: list[str | None] = [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA
                               else str(v) for v in labels]
    g = np.asarray(geoms, dtype=object)
    ok = np.array([t is not None for t in texts], dtype=bool) & ~shapely.is_missing(g)
    idx = np.flatnonzero(ok)
    name = [str(texts[i]) for i in idx]
    tree = shapely.STRtree(g[idx])
    left, right = tree.query(g[idx], predicate="dwithin", distance=gap_m)
    nodes = sorted(set(name))
    adj: dict[str, set[str]] = {t: set() for t in nodes}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if name[a] != name[b]:
            adj[name[a]].add(name[b])
            adj[name[b]].add(name[a])
    colour: dict[str, int] = {}
    for node in sorted(nodes, key=lambda t: (-len(adj[t]), t)):
        used = {colour[m] for m in adj[node] if m in colour}
        colour[node] = next(k for k in range(len(used) + 1) if k not in used)
    return {t: colour[t] for t in nodes}


def _palette_colour(k: int) -> str:
    return _QUALITATIVE[k] if k < NEIGHBOUR_PALETTE else _hue_colour(k)


def _classify(values: pd.Series, col: str | None, layer: str, default_colour: str, *,
              geoms: Any = None) -> tuple[list[list[str]], np.ndarray, str | None]:
    """Colour classes ``[[colour, label_en, label_lo], ...]``, class per feature, caption.

    Many categories (more than the qualitative palette) with *geoms* (a callable giving
    the projected geometries) get
    :func:`neighbour_colouring`: each category keeps its class, neighbours differ in colour.
    """
    n = len(values)
    if col is None:
        title = _layer_title(layer)
        return [[default_colour, title[0], title[1]]], np.zeros(n, dtype=np.int64), None
    missing = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        vocab = STYLES[col] if col in AUTO_COLOR_COLUMNS else {}
        texts = values.astype(object).where(~missing, None)
        present = sorted({str(v) for v in texts if v is not None})
        order = [v for v in vocab if v in present] + [v for v in present if v not in vocab]
        classes: list[list[str]] = []
        extra = 0
        for v in order:
            if v in vocab:
                classes.append([vocab[v]["colour"], vocab[v]["en"], vocab[v]["lo"]])
            else:
                colour = _QUALITATIVE[extra] if extra < len(_QUALITATIVE) else _hue_colour(extra)
                classes.append([colour, v, ""])
                extra += 1
        index = {v: k for k, v in enumerate(order)}
        cls = np.array([index[str(v)] if v is not None else len(order) for v in texts], dtype=np.int64)
        caption = None
        if geoms is not None and extra > len(_QUALITATIVE):
            numbers = neighbour_colouring(texts.tolist(), geoms())
            for c in classes:
                if c[1] in numbers:
                    c[0] = _palette_colour(numbers[c[1]])
            label = _column_label(col)
            caption = (f"{len(order)} · {label[1] + ' · ' if label[1] else ''}{label[0]}: "
                       + _NEIGHBOUR_NOTE)
    else:
        x = values.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(x)
        missing = ~finite
        if not finite.any():
            classes, cls, caption = [], np.zeros(n, dtype=np.int64), None
        else:
            edges = np.unique(np.quantile(x[finite], np.linspace(0, 1, 6)))
            if len(edges) == 1:
                edges = np.array([edges[0], edges[0]])
            k = len(edges) - 1
            stops = [_RAMP[round(i * (len(_RAMP) - 1) / max(k - 1, 1))] for i in range(k)]
            classes = [[stops[i], f"{edges[i]:.4g} – {edges[i + 1]:.4g}", ""] for i in range(k)]
            cls = np.clip(np.searchsorted(edges, np.where(finite, x, edges[0]), side="right") - 1, 0, k - 1)
            cls = cls.astype(np.int64)
            cls[missing] = k
        label = _column_label(col)
        caption = label[0] + (f" · {label[1]}" if label[1] else "") + " (quantiles)"
    if missing.any():
        classes.append([_MISSING_COLOUR, "no value", "ບໍ່ມີຂໍ້ມູນ"])
    return classes, cls, caption


def _display_geometries(gdf: Any, *, simplify_m: float, layer: str) -> np.ndarray:
    """Simplify for display in metres, keeping shared borders shared, then to EPSG:4326."""
    import geopandas as gpd
    import shapely

    geoms = gdf.geometry.to_numpy()
    tid = shapely.get_type_id(geoms)
    if (tid == 7).any():
        pos = int(np.flatnonzero(tid == 7)[0])
        raise GeometryError(
            "geometry collections cannot be drawn",
            source=layer, feature_id=gdf.index[pos],
            hint="explode the layer (gdf.explode()) or keep one geometry type per layer",
        )
    has_z = shapely.has_z(geoms)
    if has_z.any():
        # a safety net: the readers drop Z already; a map shows plan positions only
        warnings.warn(f"{layer}: {int(has_z.sum())} geometries have Z values; the map draws them "
                      "without (2D)", LanduseWarning, stacklevel=3)
        geoms = shapely.force_2d(geoms)
    series = gpd.GeoSeries(geoms, crs=gdf.crs)
    if simplify_m > 0:
        proj = series if is_projected(series.crs) else to_projected(series)
        g = proj.to_numpy()
        invalid = ~shapely.is_valid(g)
        if invalid.any():
            g = g.copy()
            g[invalid] = shapely.make_valid(g[invalid])
        poly = np.isin(shapely.get_type_id(g), (3, 6))
        if poly.all() and len(g) and shapely.coverage_is_valid(g):
            g = shapely.coverage_simplify(g, simplify_m)
        else:
            g = shapely.simplify(g, simplify_m, preserve_topology=True)
        series = gpd.GeoSeries(g, crs=proj.crs)
    return series.to_crs("EPSG:4326").to_numpy()


def _off_earth(geoms4326: np.ndarray) -> np.ndarray:
    """True where a geometry in EPSG:4326 has a non-finite or out-of-range coordinate."""
    import shapely

    xy, idx = shapely.get_coordinates(geoms4326, return_index=True)
    bad = ~(np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90))
    return np.bincount(idx[bad], minlength=len(geoms4326)) > 0


def _shown_columns(gdf: Any, *, name: str, color_by: str | None, popup_columns: Sequence[str] | None,
                   layer: str) -> tuple[str | None, list[str]]:
    """The column that colours a layer (given, else the first of :data:`AUTO_COLOR_COLUMNS`)
    and the columns of its popups (given, else the labelled ones, else the first ten)."""
    geom_col = gdf.geometry.name
    attrs = [c for c in gdf.columns if c != geom_col]
    if color_by is None:
        auto = () if name in _FIXED_COLOUR_LAYERS else AUTO_COLOR_COLUMNS
        color_by = next((c for c in auto if c in attrs), None)
    elif color_by not in attrs:
        raise SchemaError(f"color_by column {color_by!r} is not in the layer", source=layer,
                          column=color_by, hint=f"use one of {', '.join(map(str, attrs)) or '(none)'}")
    if popup_columns is None:
        known = [c for c in STYLES["columns"] if c in attrs]
        cols = known or list(attrs[:10])
        if color_by is not None and color_by not in cols:
            cols.append(color_by)
    else:
        cols = list(popup_columns)
        for c in cols:
            if c not in attrs:
                raise SchemaError(f"popup column {c!r} is not in the layer", source=layer, column=c,
                                  hint=f"use some of {', '.join(map(str, attrs)) or '(none)'}")
    return color_by, cols


#: Columns a layer's map reads besides the shown ones: the id named when features are left
#: off the map (:func:`map_layer_data`), the names of the village labels.
_ID_COLUMNS = ("parcel_id", "village_id", "scheme_id")
_LABEL_COLUMNS = ("name_lo", "name_en", "village_id")


def map_columns(gdf: GeoDataFrame, *, name: str = "layer", color_by: str | None = None,
                popup_columns: Sequence[str] | None = None) -> list[str]:
    """The columns of *gdf* that :func:`map_layer_data` reads, in the layer's order.

    The geometry, the column that colours the layer, the popup columns (the only
    attributes stored in the page), the id named in warnings and, for villages, the
    label names. ``gdf[map_columns(gdf, name=...)]`` draws the same map as *gdf*, so a
    caller that sends a layer to another process (a dask worker drawing a province's map)
    can leave the other columns behind: at province scale the parcels, fallow and
    conflict layers carry 20-37 columns of which the map shows 5-10.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer.
    name, color_by, popup_columns
        As for :func:`map_layer_data`.

    Returns
    -------
    list of str
        Column names of *gdf*, the geometry column included, in *gdf*'s order.

    Raises
    ------
    SchemaError
        If *gdf* is not a GeoDataFrame or a named column is missing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"parcel_id": ["A"], "slope_p90_deg": [12.5], "land_type": ["paddy"]},
    ...                        geometry=[box(500000, 2290000, 500100, 2290100)], crs="EPSG:32647")
    >>> map_columns(gdf, name="parcels")
    ['parcel_id', 'land_type', 'geometry']
    """
    layer = _validate.layer_name(gdf, f"layer {name!r}")
    _validate.require_geodataframe(gdf, layer=layer)
    color_by, cols = _shown_columns(gdf, name=name, color_by=color_by, popup_columns=popup_columns,
                                    layer=layer)
    wanted = {gdf.geometry.name, *cols, *_ID_COLUMNS, *(_LABEL_COLUMNS if name == "villages" else ())}
    if color_by is not None:
        wanted.add(color_by)
    return [c for c in gdf.columns if c in wanted]


def _texts(values: pd.Series, col: str) -> list[str | None]:
    """``[_format_value(v, col) for v in values]``, formatting each distinct value once.

    Only for columns whose distinct values are told apart exactly: numbers and booleans
    (floats by their bits, so ``-0.0`` and ``0.0`` stay apart) and text; other object
    columns (where ``1``, ``1.0`` and ``True`` would count as one value) are formatted
    cell by cell.
    """
    kind = values.dtype.kind
    if kind == "f":
        bits = np.ascontiguousarray(values.to_numpy(dtype=np.float64)).view(np.int64)
        first, inverse = np.unique(bits, return_index=True, return_inverse=True)[1:]
        uniques = values.iloc[first].tolist()
    elif kind in "iub" or (kind == "O" and pd.api.types.infer_dtype(values, skipna=True) == "string"):
        inverse, found = pd.factorize(values, use_na_sentinel=True)
        uniques = list(found.tolist()) + [None]  # code -1 (a missing text) -> None
    else:
        return [_format_value(v, col) for v in values.tolist()]
    shown = [_format_value(v, col) for v in uniques]
    return [shown[k] for k in np.asarray(inverse).ravel().tolist()]


def _column_data(sub: pd.DataFrame, cols: list[str]) -> list[Any]:
    """Popup texts per column; a column with few distinct texts as a dictionary and codes."""
    data: list[Any] = []
    for c in cols:
        texts = _texts(sub[c], c)
        uniques = {t for t in texts if t is not None}
        if len(texts) > 8 and 2 * len(uniques) < len(texts):
            order = sorted(uniques)
            code = {t: k for k, t in enumerate(order)}
            data.append({"d": order, "c": [code[t] if t is not None else -1 for t in texts]})
        else:
            data.append(texts)
    return data


def map_layer_data(gdf: GeoDataFrame, *, name: str = "layer", color_by: str | None = None,
                   popup_columns: Sequence[str] | None = None, simplify_m: float = SIMPLIFY_M
                   ) -> dict[str, Any]:
    """The compact description of one layer that the offline map runtime draws.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a CRS (any; projected input is simplified in metres).
    name : str, default "layer"
        Layer name; the usual planning names (``"parcels"``, ``"zones"``, ...) get
        bilingual titles and default colours.
    color_by : str, optional
        Column that colours the features: ``land_type``, ``zone``, ``status_class``,
        ``severity`` (conflicts) and ``feature`` (irrigation schemes) use the fixed
        palettes of :data:`STYLES`; other text columns get a
        deterministic palette (more than 20 values, such as household ids: each value
        its class, coloured by :func:`neighbour_colouring` so that touching features of
        different values differ); numeric columns five quantile classes on a viridis ramp.
        By default the first of ``severity``, ``status_class``, ``zone``, ``land_type``,
        ``feature`` present (none for villages, streams, canals, command areas and
        unallocated land, drawn in their own colour).
    popup_columns : sequence of str, optional
        Attributes shown in the popup (and the only ones stored in the file). By
        default the known planning columns present (ids, names, land type, area ...).
    simplify_m : float, default 1.0
        Display-only simplification tolerance (see :data:`SIMPLIFY_M`). [m]

    Returns
    -------
    dict
        JSON-ready dict: ``geoms`` (per feature ``[kind, parts]``, polyline-encoded at
        1e-6 degree), ``cols``/``data`` (column labels and values as text), ``classes``
        (``[colour, label_en, label_lo]``), ``cls`` (class per feature), ``bounds``.

    Raises
    ------
    SchemaError
        If *gdf* is not a GeoDataFrame or a named column is missing.
    CRSError
        If *gdf* has no CRS.
    GeometryError
        For geometry collections.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"parcel_id": ["A"], "land_type": ["paddy"]},
    ...                        geometry=[box(500000, 2290000, 500100, 2290100)], crs="EPSG:32647")
    >>> d = map_layer_data(gdf, name="parcels")
    >>> d["classes"], d["cls"], d["data"]
    ([['#f2d64b', 'Paddy', 'ນາ']], [0], [['A'], ['ນາ · Paddy']])
    """
    import shapely

    layer = _validate.layer_name(gdf, f"layer {name!r}")
    _validate.require_geodataframe(gdf, layer=layer)
    _validate.require_crs(gdf, layer=layer)
    if simplify_m < 0 or not np.isfinite(simplify_m):
        raise SchemaError(f"simplify_m={simplify_m!r} must be a finite tolerance >= 0",
                          source=layer, hint="use e.g. 0.5 (metres), or 0 to keep every vertex")
    color_by, cols = _shown_columns(gdf, name=name, color_by=color_by, popup_columns=popup_columns,
                                    layer=layer)
    present = ~(gdf.geometry.isna().to_numpy() | gdf.geometry.is_empty.to_numpy())
    sub = gdf if present.all() else gdf.loc[present]  # no copy of a whole province's layer
    geoms4326 = _display_geometries(sub, simplify_m=simplify_m, layer=layer)
    off = _off_earth(geoms4326)
    if off.any():
        idcol = next((c for c in _ID_COLUMNS if c in sub.columns), None)
        first = sub[idcol].iloc[int(np.flatnonzero(off)[0])] if idcol else sub.index[int(np.flatnonzero(off)[0])]
        warnings.warn(f"{layer}: {int(off.sum())} feature(s) (first: {first!r}) lie outside longitude "
                      "-180..180 / latitude -90..90 once reprojected and are left off the map; check their "
                      "coordinates and CRS (landuse check)", LanduseWarning, stacklevel=2)
        sub, geoms4326 = sub.loc[~off], geoms4326[~off]
    look = _LAYER_LOOK.get(name, _DEFAULT_LOOK)

    def projected() -> Any:
        return (sub.geometry if is_projected(sub.crs) else to_projected(sub.geometry)).to_numpy()

    classes, cls, caption = _classify(sub[color_by] if color_by else pd.Series(index=sub.index),
                                      color_by, name, look[0], geoms=projected)
    encoded = _encode_geometries(geoms4326)
    data = _column_data(sub, cols)
    kinds = {g[0] for g in encoded if g is not None}
    kind = "polygon" if kinds <= {0} else ("line" if kinds <= {1} else ("point" if kinds <= {2} else "mixed"))
    tip = next((cols.index(c) for c in TOOLTIP_COLUMNS if c in cols), 0 if cols else -1)
    if len(sub):
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms4326))
        bounds = [[round(y0, COORD_DECIMALS), round(x0, COORD_DECIMALS)],
                  [round(y1, COORD_DECIMALS), round(x1, COORD_DECIMALS)]]
    else:
        bounds = None
    return {
        "name": name,
        "title": list(_layer_title(name)),
        "kind": kind,
        "cols": [[c, *_column_label(c)] for c in cols],
        "data": data,
        "geoms": encoded,
        "classes": classes,
        "cls": cls.tolist(),
        "legendCaption": caption,
        "legendInTip": color_by is not None,
        "tip": tip,
        "search": _search_spec(cols, name),
        "rank": _SEARCH_RANK.get(name, 5),
        "links": [[cols.index(c), text] for c, text in LINK_COLUMNS.items() if c in cols],
        "outline": [k for k, c in enumerate(classes) if c[1] in _OUTLINE_CLASSES],
        "labels": _labels(sub, geoms4326) if name == "villages" else None,
        "legendRows": not (caption or "").endswith(_NEIGHBOUR_NOTE),
        "stroke": look[0] if name in ("villages", "parcels", "allocation", "allocations", "fallow",
                                      "zones") else None,
        "legendMax": LEGEND_MAX,
        "fillOpacity": look[1],
        "weight": look[2],
        "radius": 6,
        "bounds": bounds,
    }


def _search_spec(cols: list[str], name: str) -> list[list[Any]]:
    """Searched columns as ``[column, kind, key column]``: a match in a household column
    stands for the household (``"h"``, keyed by its household id), in a parcel column for
    the parcel (``"p"``), in a village column of the villages layer for the village
    (``"v"``), anything else for the feature itself (``"f"``, key -1)."""
    out: list[list[Any]] = []
    for c in SEARCH_COLUMNS:
        if c not in cols:
            continue
        if name == "villages" and "village_id" in cols:
            out.append([cols.index(c), "v", cols.index("village_id")])
        elif c in _HOUSEHOLD_SEARCH and "household_id" in cols:
            out.append([cols.index(c), "h", cols.index("household_id")])
        elif c in _PARCEL_SEARCH and "parcel_id" in cols:
            out.append([cols.index(c), "p", cols.index("parcel_id")])
        elif c != "village_id":
            out.append([cols.index(c), "f", -1])
    return out


def _labels(sub: Any, geoms4326: np.ndarray) -> list[list[Any]] | None:
    """Village labels ``[feature, lat, lon, Lao name, English name]`` at a point inside."""
    import shapely

    if not len(sub) or not ({"name_lo", "name_en", "village_id"} & set(sub.columns)):
        return None
    pts = shapely.point_on_surface(geoms4326)
    out = []
    for k, (pt, (_, row)) in enumerate(zip(pts, sub.iterrows(), strict=True)):
        texts = [row.get(c) for c in ("name_lo", "name_en")]
        texts = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in texts]
        if not any(texts):
            texts[1] = str(row.get("village_id", ""))
        out.append([k, round(pt.y, COORD_DECIMALS), round(pt.x, COORD_DECIMALS), *texts])
    return out


# -- hillshade background -----------------------------------------------------------------
def _hillshade_overlay(dem: Any, *, max_px: int = 1600) -> tuple[str, list[list[float]]]:
    """PNG data URI of the hillshade warped to Web Mercator, and its lat/lon bounds.

    Leaflet places an ImageOverlay by its corner latitudes/longitudes but stretches it
    linearly in Web Mercator pixels, so the image is warped to EPSG:3857 first.
    """
    from PIL import Image
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    shade = hillshade_raster(dem)
    # the 0-255 levels as float32, nodata (0) as NaN: the values of as_float() (float64) cast
    # to float32, without the float64 copy (a province's 5,400 x 5,400 DEM: 233 MB)
    src = shade.data.astype("float32")
    src[~shade.valid] = np.nan
    rows, cols = src.shape
    left, bottom, right, top = shade.bounds
    with warnings.catch_warnings():  # rasterio < 1.5 multiplies Affines with "*"
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        dst_transform, width, height = calculate_default_transform(
            shade.crs, "EPSG:3857", cols, rows, left=left, bottom=bottom, right=right, top=top)
        scale = max(width, height) / max_px
        if scale > 1:
            width, height = max(1, round(width / scale)), max(1, round(height / scale))
            dst_transform, width, height = calculate_default_transform(
                shade.crs, "EPSG:3857", cols, rows, left=left, bottom=bottom, right=right, top=top,
                dst_width=width, dst_height=height)
    dst = np.full((height, width), np.nan, dtype="float32")
    with warnings.catch_warnings():  # rasterio < 1.5 multiplies Affines with "*"
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        reproject(src, dst, src_transform=shade.transform, src_crs=shade.crs, src_nodata=np.nan,
                  dst_transform=dst_transform, dst_crs="EPSG:3857", dst_nodata=np.nan,
                  resampling=Resampling.bilinear)
    ok = np.isfinite(dst)
    grey = np.where(ok, np.clip(np.rint(dst), 0, 255), 0).astype(np.uint8)
    alpha = np.where(ok, 255, 0).astype(np.uint8)
    buf = _io.BytesIO()
    Image.fromarray(np.dstack([grey, alpha]), "LA").save(buf, format="PNG", optimize=True)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    x0, y1 = dst_transform.c, dst_transform.f
    x1, y0 = x0 + dst_transform.a * width, y1 + dst_transform.e * height
    to_ll = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_ll.transform([x0, x1], [y0, y1])
    return uri, [[round(lat0, 7), round(lon0, 7)], [round(lat1, 7), round(lon1, 7)]]


# -- folium elements ----------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _folium() -> Any:
    """Import folium lazily and define the landuse elements on top of it."""
    try:
        import folium
        from branca.element import Element, MacroElement
        from folium.elements import ElementAddToElement
        from folium.map import Layer
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise LanduseError("folium is needed for interactive maps",
                           hint="pip install folium") from exc

    class LanduseMap(folium.Map):
        """A folium Map that loads only Leaflet, and shows offline inline in Jupyter."""

        default_js = [("leaflet", _offline_html.LEAFLET_JS_CDN)]
        default_css = [("leaflet_css", _offline_html.LEAFLET_CSS_CDN)]

        def _repr_html_(self, **kwargs: Any) -> str:
            page = render_html(self, offline=True)
            return ('<div style="width:100%;"><div style="position:relative;width:100%;height:0;'
                    'padding-bottom:60%;"><iframe srcdoc="' + _html.escape(page, quote=True)
                    + '" style="position:absolute;width:100%;height:100%;left:0;top:0;border:none;"'
                    ' allowfullscreen></iframe></div></div>')

    class Raw(Element):
        """Text inserted as is: branca would parse an Element's text as a Jinja template,
        so data containing ``{{`` or ``{#`` would be evaluated or break the page."""

        def __init__(self, text: str) -> None:
            super().__init__("")
            self.text = text

        def render(self, **kwargs: Any) -> str:
            return self.text

    class RawMixin:
        """Render ``raw_header()`` / ``raw_script()`` into the page without templating."""

        def raw_header(self) -> str | None:
            return None

        def raw_script(self) -> str | None:
            return None

        def render(self, **kwargs: Any) -> None:
            el: Any = self  # mixed into folium elements: their attributes, not the mixin's
            figure = el.get_root()
            add_name = el.get_name() + "_add"
            if getattr(self, "show", False) and isinstance(self, Layer) and add_name not in el._children:
                el.add_child(ElementAddToElement(element_name=el.get_name(),
                                                 element_parent_name=el._parent.get_name()),
                             name=add_name)
            header, script = self.raw_header(), self.raw_script()
            if header is not None:
                figure.header.add_child(Raw(header), name=el.get_name())
            if script is not None:
                figure.script.add_child(Raw(script), name=el.get_name())
            for child in el._children.values():
                child.render(**kwargs)

    class Runtime(RawMixin, MacroElement):  # type: ignore[misc]  # render: the mixin's
        def __init__(self) -> None:
            super().__init__()
            self._name = "LanduseRuntime"

        def raw_header(self) -> str:
            return ("<style>" + _offline_html.runtime_css() + "</style><script>"
                    + _offline_html.runtime_js() + "</script><script>" + bulk_js() + "</script>")

    class CompactLayer(RawMixin, Layer):  # type: ignore[misc]
        def __init__(self, data: dict[str, Any], *, name: str, show: bool = True) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "LanduseLayer"
            self.spec = pack_layer(data)

        def raw_header(self) -> str | None:
            return payload_block(self.spec, self.get_name())

        def raw_script(self) -> str:
            data_json = _offline_html.script_json(without_payload(self.spec, self.get_name()))
            return (f"var {self.get_name()} = landuse.addLayer({self._parent.get_name()}, "  # type: ignore[union-attr]
                    f"L.featureGroup(), {data_json});\n")

    class ImageLayer(RawMixin, Layer):  # type: ignore[misc]
        def __init__(self, url: str, bounds: list[list[float]], *, name: str,
                     overlay: bool, show: bool) -> None:
            super().__init__(name=name, overlay=overlay, control=True, show=show)
            self._name = "LanduseImage"
            self.url_json = _offline_html.script_json(url)
            self.bounds_json = _offline_html.script_json(bounds)

        def raw_script(self) -> str:
            return (f"var {self.get_name()} = L.imageOverlay({self.url_json}, {self.bounds_json}, "
                    "{opacity: 1, interactive: false});\n")

    class Finish(RawMixin, MacroElement):  # type: ignore[misc]
        def __init__(self, opts: dict[str, Any], *, step: str = "finish") -> None:
            super().__init__()
            self._name = "LanduseFinish" if step == "finish" else "LanduseStart"
            self.step = step
            self.opts_json = _offline_html.script_json(opts)

        def raw_script(self) -> str:
            return f"landuse.{self.step}({self._parent.get_name()}, {self.opts_json});\n"  # type: ignore[union-attr]

    return folium, LanduseMap, Runtime, CompactLayer, ImageLayer, Finish


def _utm_zone(gdfs: Any, centre: list[float]) -> list[Any]:
    """``[zone number, south]`` of the first layer in a UTM CRS, else of the map's centre."""
    from pyproj import CRS

    for gdf in gdfs:
        crs = getattr(gdf, "crs", None)
        zone = CRS.from_user_input(crs).utm_zone if crs is not None else None
        if zone:
            return [int(zone[:-1]), zone[-1].upper() == "S"]
    lat, lon = centre
    return [int((lon + 180) // 6) % 60 + 1, lat < 0]


def _control_name(title: tuple[str, str]) -> str:
    """A layer name for folium's LayerControl, safe twice over.

    Leaflet's layer control writes names with ``innerHTML`` (so markup is escaped), and
    branca re-parses the control's script as a Jinja template (so braces become
    character references, which the browser shows as braces).
    """
    text = _html.escape((f"{title[1]} · " if title[1] else "") + title[0], quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


def interactive_map(layers: Mapping[str, Any], *, dem: Any = None, title: str | None = None,
                    color_by: Mapping[str, str] | None = None,
                    popup_columns: Mapping[str, Sequence[str]] | None = None,
                    show: Sequence[str] | None = None, online: bool = False,
                    search: bool = True, simplify_m: float = SIMPLIFY_M) -> Any:
    """An interactive map of planning layers that works offline once saved.

    Each layer becomes a toggleable overlay with its own legend, tooltips (the
    feature's id) and popups listing its attributes with Lao and English labels (Lao
    first); a ``household_sheet`` column becomes a link. Villages get labels (Lao over
    English) that open the village's popup. Catchment polygons are dashed outlines that
    take no click; lines and points are drawn over every area.

    The map has a metric scale bar, a north arrow, the cursor's UTM coordinates (the
    zone of the layers' CRS), a measure tool (length and area), a print view (A4/A3,
    portrait or landscape: controls hidden, title, legend, scale bar and north arrow
    kept) and a search box: part of a name (Lao or English; case, accents and Lao tone
    marks ignored), a household, parcel or certificate number or a village code lists
    every household, parcel or village found; choosing one zooms to it, outlines it
    (a household: its current allocation rather than parcels it held before) and opens
    its popup, without switching layers on. On a phone (narrow screen) the layer list
    and the legend start collapsed. With *dem*, a hillshade background is embedded.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name to features, drawn in this order (first at the bottom, the last
        takes the click: put areas such as irrigation schemes under the parcels). The usual
        names ``villages``, ``zones``, ``parcels``, ``allocation``, ``fallow``,
        ``schemes``, ``commands``, ``canals``, ``streams``, ``conflicts`` get bilingual
        titles and default colours. Any CRS; EPSG:32647 input is typical.
    dem : Raster, path or (array, transform, crs[, nodata]), optional
        Elevation model (projected CRS) for the offline hillshade background.
    title : str, optional
        Title shown on the map and in the page's ``<title>``.
    color_by : mapping of str to str, optional
        Layer name to the column colouring it (see :func:`map_layer_data`); a column
        of many values (household ids) is coloured so that neighbours differ
        (:func:`neighbour_colouring`).
    popup_columns : mapping of str to sequence of str, optional
        Layer name to the columns its popups show (the only attributes stored).
    show : sequence of str, optional
        Layers shown when the map opens (default: all); the others are ticked off in
        the layer control. Useful when several layers repeat the parcels (parcels,
        allocations, fallow classes).
    online : bool, default False
        Also offer OpenStreetMap and Esri imagery tiles as base layers. They are never
        shown first (nothing is requested until the user picks one) and simply stay
        blank offline.
    search : bool, default True
        Add the search box.
    simplify_m : float, default 1.0
        Display-only simplification tolerance (see :data:`SIMPLIFY_M`). [m]

    Returns
    -------
    folium.Map
        Shows inline in Jupyter (offline too); save it with :func:`save_html`.

    Raises
    ------
    SchemaError
        If *layers* is empty or not a mapping of names to GeoDataFrames, or a named
        column is missing.
    CRSError
        If a layer has no CRS or the DEM is not projected.
    GeometryError
        If there is nothing to draw (no feature and no DEM).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> villages = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"]},
    ...     geometry=[box(500000, 2290000, 500300, 2290200)], crs="EPSG:32647")
    >>> m = interactive_map({"villages": villages}, title="Pasak")
    >>> sorted(layer.layer_name for layer in m._children.values() if hasattr(layer, "layer_name"))
    ['ບ້ານ · Villages']
    """
    if not isinstance(layers, Mapping) or not layers:
        raise SchemaError("layers must be a non-empty mapping of layer name to GeoDataFrame",
                          source="interactive_map",
                          hint="pass e.g. {'parcels': parcels, 'zones': zones}")
    color_by = dict(color_by or {})
    popup_columns = dict(popup_columns or {})
    for key in (*color_by, *popup_columns, *(show or ())):
        if key not in layers:
            raise SchemaError(f"no layer named {key!r}", source="interactive_map",
                              hint=f"layers are {', '.join(map(repr, layers))}")
    specs = []
    for name, gdf in layers.items():
        if not isinstance(name, str) or not name:
            raise SchemaError(f"layer names must be non-empty strings, got {name!r}",
                              source="interactive_map", hint="use names such as 'parcels'")
        # packed at once: a province's layer (300,000 parcels) is about 10x smaller packed, so
        # only one layer is ever held unpacked (issue 20: the map's peak memory on a worker)
        specs.append(pack_layer(map_layer_data(gdf, name=name, color_by=color_by.get(name),
                                               popup_columns=popup_columns.get(name), simplify_m=simplify_m)))
    overlay = _hillshade_overlay(dem) if dem is not None else None
    boxes = [s["bounds"] for s in specs if s["bounds"]] + ([overlay[1]] if overlay and not any(
        s["bounds"] for s in specs) else [])
    if not boxes:
        raise GeometryError("there is nothing to draw: every layer is empty and there is no DEM",
                            source="interactive_map", hint="check the layers' geometries")
    bounds = [[min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
              [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)]]
    folium, LanduseMap, Runtime, CompactLayer, ImageLayer, Finish = _folium()
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = LanduseMap(location=centre, zoom_start=14, tiles=None, control_scale=False,
                   prefer_canvas=True, max_zoom=20)
    if title:
        m.get_root().title = _html.escape(str(title), quote=True)
    Runtime().add_to(m)
    Finish({"bounds": bounds}, step="start").add_to(m)
    if overlay is not None:
        ImageLayer(overlay[0], overlay[1], name=_control_name(_layer_title("hillshade")),
                   overlay=False, show=True).add_to(m)
    if online:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", overlay=False,
                         show=False, max_zoom=20, max_native_zoom=19).add_to(m)
        folium.TileLayer(
            tiles="https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
            attr="Esri, Maxar, Earthstar Geographics", name="Esri imagery (online)",
            overlay=False, show=False, max_zoom=20, max_native_zoom=18).add_to(m)
    for spec in specs:
        CompactLayer(spec, name=_control_name(tuple(spec["title"])),
                     show=show is None or spec["name"] in show).add_to(m)
    Finish({"title": str(title) if title else None, "search": bool(search),
            "searchLabels": ["Name, household, parcel or village code",
                             "ຊື່, ລະຫັດຄອບຄົວ, ຕອນດິນ ຫຼື ບ້ານ"],
            "utm": _utm_zone(layers.values(), centre)}).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def render_html(m: Any, *, offline: bool = True) -> str:
    """The HTML page of a folium map as a string.

    Parameters
    ----------
    m : folium.Map
        Typically from :func:`interactive_map`.
    offline : bool, default True
        Inline Leaflet from the installed ``django-js-lib-leaflet`` wheel and drop
        folium's jQuery/Bootstrap/Font Awesome references; with False the page loads
        Leaflet from a CDN.

    Returns
    -------
    str
        The page. Element ids are sequential, so the same map renders to the same text.

    Raises
    ------
    SchemaError
        If *m* is not a :class:`folium.Map`.
    LanduseError
        With ``offline=True``, if the map needs an external resource that cannot be
        embedded (a folium plugin loading its own JavaScript, awesome-markers icons).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"parcel_id": ["P1"]}, geometry=[box(500000, 2290000, 500100, 2290100)],
    ...                        crs="EPSG:32647")
    >>> m = interactive_map({"parcels": gdf})
    >>> render_html(m) == render_html(m)
    True
    """
    try:
        import folium
    except ImportError as exc:  # pragma: no cover
        raise LanduseError("folium is needed for interactive maps", hint="pip install folium") from exc
    if not isinstance(m, folium.Map):
        raise SchemaError(f"expected a folium.Map, got {type(m).__name__}", source="save_html",
                          hint="build it with landuse.maps.interactive_map")
    root = m.get_root()
    page = root.render()
    page = _offline_html.stable_ids(page, _offline_html.element_ids(root))
    if offline:
        page = _offline_html.inline_assets(page)
    return page


def save_html(m: Any, path: str | os.PathLike, *, offline: bool = True,
              overwrite: bool = False) -> Path:
    """Write a folium map as one HTML file; offline, it makes no network request at all.

    Parameters
    ----------
    m : folium.Map
        Typically from :func:`interactive_map`; plain folium maps work when they use
        no plugin that needs files from the internet.
    path : path-like
        Output ``.html`` file, written atomically.
    offline : bool, default True
        Inline Leaflet (JavaScript, CSS and its images) from ``django-js-lib-leaflet``;
        with False the page loads Leaflet from a CDN (smaller, needs internet).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        *path*.

    Raises
    ------
    OutputExistsError
        If *path* exists and *overwrite* is False.
    LanduseError
        If the map needs an external resource that cannot be embedded.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"parcel_id": ["P1"]}, geometry=[box(500000, 2290000, 500100, 2290100)],
    ...                        crs="EPSG:32647")
    >>> out = save_html(interactive_map({"parcels": gdf}), pathlib.Path(tempfile.mkdtemp()) / "m.html")
    >>> text = out.read_text(encoding="utf-8")
    >>> "<script src=" in text, "<link " in text
    (False, False)
    """
    page = render_html(m, offline=offline)
    with atomic_output(Path(path), overwrite=overwrite) as tmp:
        tmp.write_text(page, encoding="utf-8", newline="\n")
    return Path(path)

