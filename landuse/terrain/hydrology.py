"""D8 flow routing on a DEM: depressions, flow accumulation, streams, snapping, catchments.

Irrigation intakes need the catchment area above them and the zoning rules need stream
lines; both come from one D8 flow network, built once per DEM by
:func:`flow_direction` and reused by every other function here.

Method
------
1. **Depressions** are filled with the priority-flood algorithm of Wang & Liu (2006)
   (``pyflwdir.dem.fill_depressions``, MIT licence): every cell is raised to the lowest
   level at which water can leave the DEM, so pits in real DEMs never cut the network.
   The filled levels are recomputed in float64 along the priority-flood tree
   (:math:`\\hat z_i = \\max(z_i, \\hat z_{\\text{down}(i)})`), because pyflwdir's queue
   holds float32 values whose rounding could otherwise create two-cell loops on flats.
   Water leaves the DEM at its edge and next to nodata cells (``outlets="edge"``), or only
   at the lowest edge cell (``outlets="min"``: the whole DEM drains to one outlet, useful
   for closed basins and synthetic tests).
2. **D8 flow direction** (O'Callaghan & Mark 1984): each cell drains to the neighbour of
   steepest descent on the filled DEM, the drop divided by the distance between cell
   centres (:math:`\\sqrt{2}` times the cell size on diagonals). On flats (including
   filled depressions), where no neighbour is lower, the cell drains along the
   priority-flood tree towards the pour point, so flats always drain and never loop.
3. **Flow accumulation** is the upstream area of every cell, the cell itself included,
   :math:`A_i = a\\,(1 + \\#\\{\\text{cells upstream of } i\\})` [km²] with the cell area
   :math:`a`.
4. **Streams** are the cells whose upstream area reaches ``min_area_km2``; they are
   vectorised into segments between confluences with their Strahler order
   (Strahler 1957).

D8 codes (ESRI/ArcGIS convention, as pyflwdir): 1 east, 2 south-east, 4 south,
8 south-west, 16 west, 32 north-west, 64 north, 128 north-east; 0 an outlet (water
leaves the DEM there, at the edge or next to nodata); 247 nodata.

Caching: :func:`flow_direction` returns a :class:`FlowGrid` value object. Pass it instead
of the DEM to :func:`flow_accumulation`, :func:`streams`, :func:`stream_mask`,
:func:`snap_to_stream` and :func:`catchment` to reuse it explicitly. Functions that are
given the DEM itself look it up in a small cache keyed on the identity of the
:class:`~landuse.raster.Raster` object (held weakly) or on a file's path, size and
modification time (the last four files), so ``streams(dem)`` followed by several
``catchment(dem, ...)`` calls compute the flow network only once. Tuples and open
rasterio datasets are converted anew on every call: pass a Raster or a FlowGrid instead.

All functions need a DEM in a projected CRS in metres (``CRSError`` otherwise).

References
----------
.. [1] Wang, L., Liu, H. (2006). An efficient method for identifying and filling surface
   depressions in digital elevation models for hydrologic analysis and modelling.
   International Journal of Geographical Information Science, 20(2), 193-213.
   :doi:`10.1080/13658810500433453`
.. [2] O'Callaghan, J. F., Mark, D. M. (1984). The extraction of drainage networks from
   digital elevation data. Computer Vision, Graphics, and Image Processing, 28(3),
   323-344. :doi:`10.1016/S0734-189X(84)80011-0`
.. [3] Strahler, A. N. (1957). Quantitative analysis of watershed geomorphology.
   Transactions, American Geophysical Union, 38(6), 913-920.
   :doi:`10.1029/TR038i006p00913`
.. [4] Eilander, D. et al. (2021). A hydrography upscaling method for scale-invariant
   parametrization of distributed hydrological models. HESS 25, 5287-5313 (pyflwdir).
   :doi:`10.5194/hess-25-5287-2021`

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> rows, cols = np.mgrid[0:5, 0:5]
>>> dem = 100.0 + np.abs(cols - 2) + 0.5 * (5 - rows)     # a V valley draining south
>>> fg = flow_direction((dem, Affine(100, 0, 500000, 0, -100, 2300500), "EPSG:32647"))
>>> fg.d8.data[:, 2].tolist()                     # the valley bottom flows south
[4, 4, 4, 4, 0]
>>> acc = flow_accumulation(fg)
>>> round(float(acc.data[4, 2]), 6)               # all 25 cells of 1 ha drain to the outlet
0.25
>>> c = catchment(fg, 500250.0, 2300050.0, snap=False)
>>> c[["area_km2", "outlet_x_m", "outlet_y_m"]].round(6).values.tolist()
[[0.25, 500250.0, 2300050.0]]
"""

from __future__ import annotations

import math
import os
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np

from landuse import _validate
from landuse import report_progress
from landuse.errors import RasterError
from landuse._validate.dem import check_dem
from landuse.raster import Raster, RasterSource, read_dem

__all__ = [
    "FlowGrid",
    "catchment",
    "fill_depressions",
    "flow_accumulation",
    "flow_direction",
    "snap_to_stream",
    "stream_mask",
    "streams",
]

#: D8 code of each neighbour offset (row, col), ESRI convention.
D8_CODES = {(0, 1): 1, (1, 1): 2, (1, 0): 4, (1, -1): 8, (0, -1): 16, (-1, -1): 32, (-1, 0): 64,
            (-1, 1): 128}
D8_OUTLET = 0
#: Rasters of at least this many cells report each stage of :func:`flow_direction` as a
#: progress line (:func:`landuse.report_progress`); smaller ones take under a second.
PROGRESS_MIN_CELLS = 4_000_000
D8_NODATA = 247


# --------------------------------------------------------------------------------------
# value object
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FlowGrid:
    """The D8 flow network of a DEM, computed once by :func:`flow_direction`.

    Attributes
    ----------
    dem : Raster
        The DEM as given (elevations [m]).
    filled : Raster
        The depression-filled DEM [m] (``float64``, NaN nodata).
    d8 : Raster
        ``uint8`` D8 codes (see the module notes).
    flwdir : pyflwdir.FlwdirRaster
        The pyflwdir network, for advanced use.
    """

    dem: Raster
    filled: Raster
    d8: Raster
    flwdir: Any
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def transform(self):
        """Affine transform of the grid."""
        return self.dem.transform

    @property
    def crs(self):
        """CRS of the grid (projected, metres)."""
        return self.dem.crs

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.dem.shape

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell. [m²]"""
        return abs(self.dem.transform.a * self.dem.transform.e)

    @property
    def valid(self) -> np.ndarray:
        """True where the DEM has data."""
        return self.d8.data != D8_NODATA

    def upstream_cells(self) -> np.ndarray:
        """Number of cells draining through each cell, itself included (-1 on nodata)."""
        if "ncells" not in self._cache:
            up = self.flwdir.upstream_area(unit="cell").astype(np.int64)
            up[~self.valid] = -1
            self._cache["ncells"] = up
        return self._cache["ncells"]

    def upstream_area_km2(self) -> np.ndarray:
        """Upstream area of each cell, itself included (NaN on nodata). [km²]"""
        if "uparea" not in self._cache:
            n = self.upstream_cells()
            area = n * (self.cell_area_m2 / 1e6)
            area[n < 0] = np.nan
            self._cache["uparea"] = area
        return self._cache["uparea"]


# --------------------------------------------------------------------------------------
# kernels and coercion
# --------------------------------------------------------------------------------------
@numba.njit(cache=True)
def _steepest_d8(z, d8_fill, dx, dy):
    nr, nc = z.shape
    out = d8_fill.copy()
    diag = math.sqrt(dx * dx + dy * dy)
    drs = (0, 1, 1, 1, 0, -1, -1, -1)
    dcs = (1, 1, 0, -1, -1, -1, 0, 1)
    codes = (1, 2, 4, 8, 16, 32, 64, 128)
    for r in range(nr):
        for c in range(nc):
            z0 = z[r, c]
            if z0 != z0:
                continue
            best = 0.0
            code = 0
            for k in range(8):
                rr = r + drs[k]
                cc = c + dcs[k]
                if rr < 0 or rr >= nr or cc < 0 or cc >= nc:
                    continue
                z1 = z[rr, cc]
                if z1 != z1:
                    continue
                if drs[k] != 0 and dcs[k] != 0:
                    dist = diag
                elif drs[k] != 0:
                    dist = dy
                else:
                    dist = dx
                s = (z0 - z1) / dist
                if s > best:
                    best = s
                    code = codes[k]
            if code != 0:
                out[r, c] = code
    return out


@numba.njit(cache=True)
def _fill_along_tree(z, idxs_ds, seq):
    out = z.copy()
    for idx in seq:  # from the outlets upstream
        ds = idxs_ds[idx]
        if ds != idx and out[ds] > out[idx]:
            out[idx] = out[ds]
    return out


@numba.njit(cache=True)
def _upstream_of(idxs_ds, nrows, ncols, outlet):
    """Flat indices of the cells draining through *outlet* (itself first), walking upstream.

    A cell's downstream cell in a D8 network is one of its 8 neighbours, so the cells
    draining into a cell are found among its neighbours: the walk visits the basin only,
    not the whole grid (``FlwdirRaster.basins`` passes over every cell).
    """
    out = np.empty(16, np.int64)
    out[0] = outlet
    n = 1
    head = 0
    while head < n:
        cur = out[head]
        head += 1
        r = cur // ncols
        c = cur - r * ncols
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr = r + dr
                cc = c + dc
                if (dr == 0 and dc == 0) or rr < 0 or rr >= nrows or cc < 0 or cc >= ncols:
                    continue
                nb = rr * ncols + cc
                if idxs_ds[nb] == cur:
                    if n == out.size:
                        grown = np.empty(out.size * 2, np.int64)
                        grown[:n] = out[:n]
                        out = grown
                    out[n] = nb
                    n += 1
    return out[:n]


def _coerce_dem(dem: Any) -> Raster:
    return check_dem(read_dem(dem), flow_routing=True)


#: id(DEM) -> (DEM, {outlets: FlowGrid}), the last few DEMs given as rasters. Bounded, not
#: weak-keyed: a FlowGrid holds its DEM, so a weak-key entry would never be let go.
_RASTER_CACHE: OrderedDict = OrderedDict()
_RASTER_CACHE_SIZE = 2
_PATH_CACHE: OrderedDict = OrderedDict()
_ACC_OWNER: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PATH_CACHE_SIZE = 4


def _flow(dem_or_flow: Any, *, outlets: str = "edge") -> FlowGrid:
    """Return the FlowGrid of a DEM, from the caches when possible."""
    if isinstance(dem_or_flow, FlowGrid):
        return dem_or_flow
    if isinstance(dem_or_flow, Raster) and dem_or_flow in _ACC_OWNER:
        return _ACC_OWNER[dem_or_flow]
    if isinstance(dem_or_flow, (str, os.PathLike)):
        p = Path(dem_or_flow)
        try:
            st = p.stat()
            key = (str(p.resolve()), st.st_size, st.st_mtime_ns, outlets)
        except OSError:
            key = None
        if key is not None and key in _PATH_CACHE:
            _PATH_CACHE.move_to_end(key)
            return _PATH_CACHE[key]
        fg = flow_direction(dem_or_flow, outlets=outlets)
        if key is not None:
            _PATH_CACHE[key] = fg
            while len(_PATH_CACHE) > _PATH_CACHE_SIZE:
                _PATH_CACHE.popitem(last=False)
        return fg
    if isinstance(dem_or_flow, Raster):
        hit = _RASTER_CACHE.get(id(dem_or_flow))
        if hit is None or hit[0] is not dem_or_flow:
            hit = _RASTER_CACHE[id(dem_or_flow)] = (dem_or_flow, {})
        _RASTER_CACHE.move_to_end(id(dem_or_flow))
        while len(_RASTER_CACHE) > _RASTER_CACHE_SIZE:
            _RASTER_CACHE.popitem(last=False)
        per: dict[str, FlowGrid] = hit[1]
        if outlets not in per:
            per[outlets] = flow_direction(dem_or_flow, outlets=outlets)
        return per[outlets]
    return flow_direction(dem_or_flow, outlets=outlets)


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------
def fill_depressions(dem: RasterSource, *, outlets: str = "edge") -> Raster:
    """Fill the depressions of a DEM so that every cell drains to an outlet.

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m] in a projected CRS.
    outlets : {"edge", "min"}, default "edge"
        Where water may leave: any cell on the DEM's edge or next to nodata, or only the
        lowest edge cell.

    Returns
    -------
    Raster
        ``float64`` filled elevations [m], never below the input; NaN nodata.

    Notes
    -----
    Priority flood (Wang & Liu 2006): cells are visited from the outlets upwards in order
    of elevation and each is raised to the level of the cell it was reached from if it is
    lower.
    """
    filled = _flow(dem, outlets=outlets).filled
    return Raster(filled.data.copy(), filled.transform, filled.crs, filled.nodata, filled.source)


def flow_direction(dem: RasterSource, *, outlets: str = "edge") -> FlowGrid:
    """D8 flow directions of a DEM after filling its depressions.

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m] in a projected CRS (see :class:`~landuse.raster.Raster`).
    outlets : {"edge", "min"}, default "edge"
        See :func:`fill_depressions`.

    Returns
    -------
    FlowGrid
        The network; ``.d8`` holds the codes (1 E, 2 SE, 4 S, 8 SW, 16 W, 32 NW, 64 N,
        128 NE, 0 outlet, 247 nodata).

    Raises
    ------
    CRSError
        A DEM without CRS or in a geographic CRS.
    RasterError
        A rotated grid or a DEM without valid cells.
    """
    import pyflwdir

    _validate.check_option(outlets, ("edge", "min"), name="outlets")
    r = _coerce_dem(dem)
    invalid = ~r.valid
    z = r.as_float()
    nodata = -9999.0 if not np.any(z[~invalid] == -9999.0) else float(np.nanmin(z) - 1e6)
    z[invalid] = nodata
    # priority flood gives the drainage tree (each cell -> the cell it was reached from);
    # pyflwdir's filled values carry float32 rounding, so the filled levels are recomputed
    # exactly along the tree: filled = max(z, filled of the downstream cell)
    big = z.size >= PROGRESS_MIN_CELLS  # a progress line per stage on big rasters only
    where = f"{z.shape[0]} x {z.shape[1]} cells"
    if big:
        report_progress("terrain: flow directions, step", 1, 3, f"filling depressions ({where})")
    _, d8_fill = pyflwdir.dem.fill_depressions(z, outlets=outlets, nodata=nodata)
    d8_fill[invalid] = D8_NODATA
    if big:
        report_progress("terrain: flow directions, step", 2, 3, f"drainage tree ({where})")
    tree = pyflwdir.from_array(d8_fill, ftype="d8", transform=r.transform, latlon=False)
    filled = _fill_along_tree(z.ravel(), tree.idxs_ds, tree.idxs_seq).reshape(z.shape)
    filled[invalid] = np.nan
    if big:
        report_progress("terrain: flow directions, step", 3, 3, f"steepest descent ({where})")
    d8 = _steepest_d8(filled, d8_fill, float(abs(r.transform.a)), float(abs(r.transform.e)))
    d8[invalid] = D8_NODATA
    flw = pyflwdir.from_array(d8, ftype="d8", transform=r.transform, latlon=False, cache=True)
    return FlowGrid(
        dem=r,
        filled=Raster(filled, r.transform, r.crs, np.nan, r.source),
        d8=Raster(d8, r.transform, r.crs, D8_NODATA, r.source),
        flwdir=flw,
    )


def flow_accumulation(dem_or_flowdir: Any) -> Raster:
    """Upstream area of every cell, the cell itself included.

    Parameters
    ----------
    dem_or_flowdir : FlowGrid or DEM
        A :class:`FlowGrid` from :func:`flow_direction`, or a DEM (any input of
        :func:`flow_direction`; its network is cached).

    Returns
    -------
    Raster
        ``float64`` upstream area [km²], NaN on nodata. The result remembers its network,
        so it can be passed to :func:`snap_to_stream` and :func:`catchment`.
    """
    fg = _flow(dem_or_flowdir)
    acc = Raster(fg.upstream_area_km2(), fg.transform, fg.crs, np.nan, fg.dem.source)
    _ACC_OWNER[acc] = fg
    return acc


def _check_threshold(min_area_km2: float) -> float:
    ok = isinstance(min_area_km2, (int, float)) and math.isfinite(min_area_km2)
    if not (ok and min_area_km2 > 0):
        raise RasterError(f"min_area_km2={min_area_km2!r} must be a positive number",
                          hint="a typical stream threshold is 0.1-1 km²")
    return float(min_area_km2)


def stream_mask(dem_or_flowdir: Any, *, min_area_km2: float = 0.5) -> Raster:
    """Cells whose upstream area is at least *min_area_km2*.

    Parameters
    ----------
    dem_or_flowdir : FlowGrid, accumulation Raster or DEM
        See :func:`flow_accumulation`.
    min_area_km2 : float, default 0.5
        Upstream area at which a stream starts. [km²]

    Returns
    -------
    Raster
        ``uint8``: 1 on streams, 0 elsewhere (also on nodata).
    """
    thr = _check_threshold(min_area_km2)
    fg = _flow(dem_or_flowdir)
    up = fg.upstream_area_km2()
    mask = np.zeros(fg.shape, dtype=np.uint8)
    mask[np.nan_to_num(up, nan=-1.0) >= thr * (1 - 1e-12)] = 1
    return Raster(mask, fg.transform, fg.crs, None, fg.dem.source)


def streams(dem: RasterSource, *, min_area_km2: float = 0.5) -> Any:
    """Stream lines of a DEM: segments between confluences with Strahler order.

    Parameters
    ----------
    dem : FlowGrid or DEM
        See :func:`flow_accumulation`.
    min_area_km2 : float, default 0.5
        Upstream area at which a stream starts. [km²]

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString per segment through the cell centres, from upstream to
        downstream and ending on the first cell of the next segment (so lines connect),
        in the DEM's CRS, with ``stream_id`` (1..n, ordered from the outlets upstream),
        ``order`` (Strahler), ``upstream_area_km2`` (at the segment's last cell, [km²]),
        ``length_m`` [m]. Empty (with these columns) when no cell reaches the threshold.
    """
    import geopandas as gpd
    import pyflwdir
    from shapely import LineString

    thr = _check_threshold(min_area_km2)
    fg = _flow(dem)
    flw = fg.flwdir
    mask = stream_mask(fg, min_area_km2=thr).data.astype(bool)
    cols = ["stream_id", "order", "upstream_area_km2", "length_m"]
    if not mask.any():
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=fg.crs)
    order = pyflwdir.streams.strahler_order(flw.idxs_ds, flw.idxs_seq, mask=mask.ravel())
    segs = pyflwdir.streams.streams(flw.idxs_ds, flw.idxs_seq, mask=mask.ravel(), mv=flw._mv)
    up = fg.upstream_area_km2().ravel()
    t = fg.transform
    nc = fg.shape[1]
    rows_out = []
    for idxs in segs:
        idxs = np.asarray(idxs, dtype=np.int64)
        last = int(idxs[-1])
        ds = int(flw.idxs_ds[last])
        path = idxs if ds == last else np.append(idxs, ds)
        if np.all(path == path[0]):
            continue  # the outlet cell alone: it already ends the segment above it
        if int(flw.idxs_ds[ds]) == ds:
            last = ds  # the segment ends at an outlet: report the outlet's values
        rr, cc = np.divmod(path, nc)
        xs = t.c + (cc + 0.5) * t.a
        ys = t.f + (rr + 0.5) * t.e
        geom = LineString(np.column_stack([xs, ys]))
        rows_out.append((last, int(order[last]), float(up[last]), geom))
    # deterministic ids: by Strahler order descending, then upstream area, then cell index
    rows_out.sort(key=lambda x: (-x[1], -x[2], x[0]))
    gdf = gpd.GeoDataFrame(
        {
            "stream_id": np.arange(1, len(rows_out) + 1, dtype=np.int64),
            "order": np.array([r[1] for r in rows_out], dtype=np.int64),
            "upstream_area_km2": np.array([r[2] for r in rows_out], dtype=float),
        },
        geometry=[r[3] for r in rows_out],
        crs=fg.crs,
    )
    gdf["length_m"] = gdf.geometry.length
    return gdf[[*cols, "geometry"]]


def _cell_of(fg: FlowGrid, x_m: float, y_m: float, what: str) -> tuple[int, int]:
    t = fg.transform
    col = math.floor((x_m - t.c) / t.a)
    row = math.floor((y_m - t.f) / t.e)
    nr, nc = fg.shape
    if not (0 <= row < nr and 0 <= col < nc):
        left, bottom, right, top = fg.dem.bounds
        raise RasterError(
            f"the {what} ({x_m:.1f}, {y_m:.1f}) is outside the DEM "
            f"({left:.1f}, {bottom:.1f}, {right:.1f}, {top:.1f})",
            source=fg.dem.source or "DEM",
            hint="check the coordinates (metres in the DEM's CRS) or use a larger DEM",
        )
    if not fg.valid[row, col]:
        raise RasterError(f"the {what} ({x_m:.1f}, {y_m:.1f}) falls on a nodata cell of the DEM",
                          source=fg.dem.source or "DEM", hint="move the point onto valid terrain")
    return row, col


def _centre(fg: FlowGrid, row: int, col: int) -> tuple[float, float]:
    t = fg.transform
    return t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e


def snap_to_stream(x_m: float, y_m: float, dem_or_acc: Any, *, min_area_km2: float = 0.5,
                   max_distance_m: float = 500.0,
                   rule: str = "nearest") -> tuple[float, float, float]:
    """Move a point to the centre of the nearest stream cell, or of the largest one nearby.

    Parameters
    ----------
    x_m, y_m : float
        Point in the DEM's CRS (e.g. an irrigation intake). [m]
    dem_or_acc : FlowGrid, accumulation Raster (from :func:`flow_accumulation`) or DEM
        The flow network.
    min_area_km2 : float, default 0.5
        Upstream area that makes a cell a stream cell. [km²]
    max_distance_m : float, default 500
        Search radius. [m]
    rule : {'nearest', 'largest'}, default 'nearest'
        ``'nearest'``: the stream cell nearest the point (ties: larger upstream area).
        ``'largest'``: the cell with the largest upstream area within the radius (ties:
        the nearer), the usual pour-point snapping of hydrological toolkits; it keeps a
        point placed beside the channel from landing on a small side gully.

    Returns
    -------
    tuple of float
        ``(x_m, y_m, upstream_area_km2)`` of the snapped cell centre; distances are
        straight-line between the point and cell centres.

    Raises
    ------
    RasterError
        The point is off the DEM, or no stream cell lies within *max_distance_m*.
    """
    thr = _check_threshold(min_area_km2)
    if rule not in ("nearest", "largest"):
        raise RasterError(f"rule={rule!r} is not a snapping rule",
                          hint="use rule='nearest' or rule='largest'")
    if not (math.isfinite(max_distance_m) and max_distance_m >= 0):
        raise RasterError(f"max_distance_m={max_distance_m!r} must be a non-negative number",
                          hint="give a search radius in metres")
    fg = _flow(dem_or_acc)
    _cell_of(fg, x_m, y_m, "point")
    up = fg.upstream_area_km2()
    t = fg.transform
    # search only the window of cells within the radius
    r_lo = max(0, math.floor((y_m + max_distance_m - t.f) / t.e))
    r_hi = min(fg.shape[0], math.floor((y_m - max_distance_m - t.f) / t.e) + 1)
    c_lo = max(0, math.floor((x_m - max_distance_m - t.c) / t.a))
    c_hi = min(fg.shape[1], math.floor((x_m + max_distance_m - t.c) / t.a) + 1)
    sub = up[r_lo:r_hi, c_lo:c_hi]
    rr, cc = np.nonzero(np.nan_to_num(sub, nan=-1.0) >= thr * (1 - 1e-12))
    if len(rr):
        xs = t.c + (cc + c_lo + 0.5) * t.a
        ys = t.f + (rr + r_lo + 0.5) * t.e
        d = np.hypot(xs - x_m, ys - y_m)
        ok = d <= max_distance_m
        if ok.any():
            cand = np.flatnonzero(ok)
            areas = sub[rr[cand], cc[cand]]
            keys = (-areas, d[cand]) if rule == "nearest" else (d[cand], -areas)
            best = cand[np.lexsort(keys)[0]]
            return float(xs[best]), float(ys[best]), float(sub[rr[best], cc[best]])
    raise RasterError(
        f"no stream cell (upstream area >= {thr:g} km²) within {max_distance_m:g} m of "
        f"({x_m:.1f}, {y_m:.1f})",
        source=fg.dem.source or "DEM",
        hint="increase max_distance_m, lower min_area_km2, or check the point's position",
    )


def catchment(dem: RasterSource, x_m: float, y_m: float, *, snap: bool = True, min_area_km2: float = 0.5,
              max_snap_m: float = 500.0, snap_rule: str = "nearest") -> Any:
    """The catchment (watershed) upstream of a point, e.g. an irrigation intake.

    Parameters
    ----------
    dem : FlowGrid, accumulation Raster or DEM
        The flow network (see :func:`flow_accumulation`).
    x_m, y_m : float
        The outlet point in the DEM's CRS. [m]
    snap : bool, default True
        First move the point to the nearest stream cell (:func:`snap_to_stream`), as
        intakes sit on streams; with ``False`` the outlet is the cell containing the point.
    min_area_km2 : float, default 0.5
        Stream threshold used for snapping. [km²]
    max_snap_m : float, default 500
        Snapping search radius. [m]
    snap_rule : {'nearest', 'largest'}, default 'nearest'
        Snapping rule of :func:`snap_to_stream`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: the catchment polygon (cell outlines merged; a MultiPolygon when parts
        touch only at corners), ``area_km2`` (number of cells times cell area, [km²]),
        ``outlet_x_m``, ``outlet_y_m`` (outlet cell centre, [m]) and ``outlet_elev_m``
        (the DEM's elevation there, [m]).

    Raises
    ------
    RasterError
        The point is off the DEM or on nodata, or (with *snap*) no stream is near.
    """
    import geopandas as gpd
    import rasterio.features
    import shapely
    from affine import Affine

    fg = _flow(dem)
    if snap:
        x_o, y_o, _ = snap_to_stream(x_m, y_m, fg, min_area_km2=min_area_km2,
                                     max_distance_m=max_snap_m, rule=snap_rule)
    else:
        x_o, y_o = x_m, y_m
    row, col = _cell_of(fg, x_o, y_o, "outlet")
    idx = row * fg.shape[1] + col
    cells = _upstream_of(fg.flwdir.idxs_ds, fg.shape[0], fg.shape[1], idx)
    n = len(cells)
    # polygonise only the basin's bounding box
    rows, cols = np.divmod(cells, fg.shape[1])
    r0, r1, c0, c1 = int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1
    sub = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    sub[rows - r0, cols - c0] = True
    t = fg.transform
    sub_t = Affine(t.a, 0.0, t.c + c0 * t.a, 0.0, t.e, t.f + r0 * t.e)
    polys = [shapely.geometry.shape(g) for g, v in
             rasterio.features.shapes(sub.astype(np.uint8), mask=sub, transform=sub_t,
                                      connectivity=4) if v == 1]
    geom = shapely.union_all(polys)
    cx, cy = _centre(fg, row, col)
    return gpd.GeoDataFrame(
        {
            "area_km2": [n * fg.cell_area_m2 / 1e6],
            "outlet_x_m": [cx],
            "outlet_y_m": [cy],
            "outlet_elev_m": [float(fg.dem.data[row, col])],
        },
        geometry=[geom],
        crs=fg.crs,
    )
