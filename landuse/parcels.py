"""Parcel metrics: geometry, exact slope and elevation statistics, distances.

:func:`parcel_metrics` returns one row per parcel, index-aligned with the input, with
what the allocation and zoning steps need to know about each parcel: its area,
perimeter and compactness, its slope (mean, median, 90th percentile, maximum and the
share of its area steeper than each threshold), its mean elevation, and its distances to
the nearest stream and to its village centre.

Exact raster statistics
-----------------------
Raster statistics weight each cell by the fraction of it that the parcel covers, as
``exactextract`` (Baston 2023) does: a 0.3-ha parcel on a 30 m DEM overlaps only a
handful of cells, mostly partially, and counting whole cells (as ``rasterstats`` does)
would shift its mean slope by several degrees. exactextract computes the covered cells
and fractions (one pass per call, fed WKB); slope is then computed at those cells only
(:mod:`landuse.terrain`'s Horn kernel, ``compute_edges=True``) and the statistics are
summed in numpy/numba with exactextract's own definitions, which is faster than running
exactextract's operations on several rasters and gives the same numbers. With cell
values :math:`v_i` and covered fractions :math:`c_i \\in (0, 1]` of the cells with data,

.. math::

    \\bar v = \\frac{\\sum_i c_i v_i}{\\sum_i c_i}, \\qquad
    \\text{share}_{>t} = \\frac{\\sum_i c_i\\,[s_i > t]}{\\sum_i c_i}

and the median and 90th percentile are exactextract's coverage-weighted quantiles.
Cells without data (DEM nodata, or slope nodata) are left out of both sums, so the
statistics describe the part of the parcel that has data; ``dem_cover_share`` reports
that part, :math:`a \\sum_i c_i / A` with the cell area :math:`a` and the parcel area
:math:`A`.

Compactness is the Polsby-Popper score :math:`4\\pi A / P^2` (1 for a circle,
:math:`\\pi/4 \\approx 0.785` for a square, near 0 for long thin strips;
Polsby & Popper 1991).

References
----------
.. [1] Baston, D. (2023). exactextract: fast and accurate raster zonal statistics.
   https://github.com/isciences/exactextract
.. [2] Polsby, D. D., Popper, R. D. (1991). The third criterion: compactness as a
   procedural safeguard against partisan gerrymandering. Yale Law & Policy Review,
   9(2), 301-353.
.. [3] Horn, B. K. P. (1981). Hill shading and the reflectance map. Proc. IEEE 69(1),
   14-47 (slope, see :mod:`landuse.terrain`).

Examples
--------
>>> import geopandas as gpd, numpy as np
>>> from affine import Affine
>>> from shapely.geometry import box
>>> x = (np.arange(20) + 0.5) * 10.0
>>> dem = np.tile(500 + 0.2 * x, (20, 1))                  # a 20 % slope rising east
>>> t = Affine(10, 0, 500000, 0, -10, 2290200)
>>> parcels = gpd.GeoDataFrame({"parcel_id": ["P1"]},
...     geometry=[box(500050, 2290050, 500150, 2290150)], crs="EPSG:32647")
>>> m = parcel_metrics(parcels, (dem, t, "EPSG:32647"))
>>> m[["area_ha", "perimeter_m", "share_slope_gt_8pct", "share_slope_gt_30pct"]].values.tolist()
[[1.0, 400.0, 1.0, 0.0]]
>>> round(float(m["elev_mean_m"].iloc[0]), 6), round(float(m["slope_mean_deg"].iloc[0]), 4)
(520.0, 11.3099)

:func:`subdivide` (splitting a parcel into plots of given areas) lives in
:mod:`landuse.allocation.subdivision` and is re-exported here:

>>> import landuse.allocation.subdivision
>>> subdivide is landuse.allocation.subdivision.subdivide
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import pandas as pd

from landuse import _validate
from landuse.errors import LanduseWarning, RasterError, SchemaError
from landuse._validate.dem import check_dem
from landuse._validate.parcels import check_parcels
from landuse.raster import Raster, RasterSource, as_raster, read_dem
from landuse.allocation.subdivision import subdivide
from landuse.terrain.relief import slope_pct_at

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd

__all__ = ["parcel_metrics", "subdivide", "threshold_column"]


def threshold_column(threshold_pct: float) -> str:
    """Name of the share column for a slope threshold.

    >>> threshold_column(8), threshold_column(12.5)
    ('share_slope_gt_8pct', 'share_slope_gt_12.5pct')
    """
    return f"share_slope_gt_{threshold_pct:g}pct"


def _check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    try:
        out = tuple(float(t) for t in thresholds)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"slope_thresholds_pct={thresholds!r} is not a list of numbers",
                          hint="pass e.g. (8, 30, 60)") from exc
    for t in out:
        if not math.isfinite(t) or t < 0:
            raise SchemaError(f"slope threshold {t!r} % is not a non-negative number",
                              hint="give slope thresholds in percent, e.g. (8, 30, 60)")
    if len(set(out)) != len(out):
        raise SchemaError(f"slope_thresholds_pct={thresholds!r} has duplicates",
                          hint="list each once")
    return out


def exactextract_features(geoms: Any, *, srs_wkt: str | None = None) -> Any:
    """Shapely polygons as an exactextract feature source, passed as WKB.

    WKB costs about a third of GeoJSON and carries the same doubles, so exactextract's
    statistics are equal either way. Shared by :func:`parcel_metrics` and the zoning
    grid; *geoms* must hold no missing geometry (the caller checks).

    Parameters
    ----------
    geoms : array-like of shapely geometries
    srs_wkt : str, optional
        The geometries' CRS as WKT, for exactextract's CRS check.

    Returns
    -------
    exactextract.feature.FeatureSource
    """
    import shapely  # deferred: keeps `import landuse.parcels` light
    from exactextract.feature import Feature, FeatureSource  # deferred: heavy, C++ extension

    class _Feature(Feature):
        def __init__(self, wkb: bytes) -> None:
            Feature.__init__(self)
            self._wkb = wkb

        def geometry(self) -> bytes:
            return self._wkb

        def set_geometry_format(self) -> str:
            return "wkb"

        def fields(self) -> list:
            return []

    class _Source(FeatureSource):
        def __init__(self) -> None:
            super().__init__()
            self._wkbs = shapely.to_wkb(np.asarray(geoms, dtype=object), output_dimension=2)

        def count(self) -> int:
            return len(self._wkbs)

        def __iter__(self) -> Any:
            for w in self._wkbs:
                yield _Feature(w)

        def srs_wkt(self) -> str | None:
            return srs_wkt

    return _Source()


def _coverage(geoms: Any, r: Raster) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells covered by each polygon and their covered fractions, from exactextract.

    Returns ``(group, cell, cover)``: the polygon's position, the flat cell index and the
    covered fraction (0, 1] for every (polygon, cell) pair, grouped by polygon in order.
    """
    from exactextract import exact_extract
    from exactextract.operation import Operation
    from exactextract.raster import NumPyRasterSource

    left, bottom, right, top = r.bounds
    wkt = r.crs.to_wkt() if r.crs is not None else None
    # a constant valid grid: coverage must not depend on the DEM's nodata
    grid = np.broadcast_to(np.uint8(1), r.shape)
    src = NumPyRasterSource(grid, left, bottom, right, top, nodata=None, name="grid", srs_wkt=wkt)
    ops = [Operation("cell_id", "cell", src), Operation("coverage", "cover", src)]
    df = exact_extract(None, exactextract_features(geoms, srs_wkt=wkt), ops, output="pandas")
    cells = df["cell"].to_list()
    lengths = np.fromiter((len(a) for a in cells), dtype=np.int64, count=len(cells))
    if lengths.sum() == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64)
    group = np.repeat(np.arange(len(cells), dtype=np.int64), lengths)
    cell = np.concatenate(cells).astype(np.int64)
    cover = np.concatenate(df["cover"].to_list()).astype(np.float64)
    return group, cell, cover


@numba.njit(cache=True)
def _group_stats(starts, ends, values, weights, qs):
    """Per group: sum of weights, weighted mean, max and exactextract's weighted quantiles.

    Cells with NaN values are skipped. Quantiles follow exactextract's
    ``WeightedQuantiles``: equal values are merged (weights summed), values sorted,
    :math:`s_0 = 0`, :math:`s_i = i w_i + (n - 1) S_{i-1}` with the cumulative weight
    :math:`S`, and the q-quantile interpolates linearly at :math:`q (n - 1) S_n`.
    """
    ng = starts.size
    sumw = np.zeros(ng)
    mean = np.full(ng, np.nan)
    vmax = np.full(ng, np.nan)
    quant = np.full((ng, qs.size), np.nan)
    for g in range(ng):
        v = values[starts[g]:ends[g]]
        w = weights[starts[g]:ends[g]]
        ok = ~np.isnan(v)
        v = v[ok]
        w = w[ok]
        n = v.size
        if n == 0:
            continue
        sw = 0.0
        swv = 0.0
        for k in range(n):
            sw += w[k]
            swv += w[k] * v[k]
        sumw[g] = sw
        if sw > 0:
            mean[g] = swv / sw
        vmax[g] = v.max()
        order = np.argsort(v)
        xs = np.empty(n)
        ws = np.empty(n)
        m = 0
        for k in range(n):
            x = v[order[k]]
            if m > 0 and xs[m - 1] == x:
                ws[m - 1] += w[order[k]]
            else:
                xs[m] = x
                ws[m] = w[order[k]]
                m += 1
        s = np.empty(m)
        cum = 0.0
        for k in range(m):
            s[k] = 0.0 if k == 0 else k * ws[k] + (m - 1) * cum
            cum += ws[k]
        sn = cum * (m - 1)
        for j in range(qs.size):
            target = qs[j] * sn
            right = 0
            while right < m and s[right] <= target:
                right += 1
            if right >= m:
                quant[g, j] = xs[m - 1]
            else:
                left = right - 1
                frac = (target - s[left]) / (s[right] - s[left])
                quant[g, j] = xs[left] + frac * (xs[right] - xs[left])
    return sumw, mean, vmax, quant


def _raster_stats(parcels: Any, dem: Raster, slope: Raster | None,
                  thresholds: tuple[float, ...]) -> pd.DataFrame:
    """Coverage-weighted statistics, one row per parcel in order (see the module notes)."""
    n = len(parcels)
    group, cell, cover = _coverage(parcels.geometry.to_numpy(), dem)
    counts = np.bincount(group, minlength=n)
    ends = np.cumsum(counts)
    starts = ends - counts
    # elevation
    elev = dem.data.ravel()[cell].astype(np.float64)
    if dem.nodata is not None and not (isinstance(dem.nodata, float) and math.isnan(dem.nodata)):
        elev[dem.data.ravel()[cell] == dem.nodata] = np.nan
    elev[~np.isfinite(elev)] = np.nan
    ok_e = ~np.isnan(elev)
    w_e = np.bincount(group, weights=np.where(ok_e, cover, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        elev_mean = np.bincount(group, weights=np.where(ok_e, cover * np.nan_to_num(elev), 0.0),
                                minlength=n) / w_e
    # slope, only at the covered cells
    if slope is None:
        pct = slope_pct_at(dem, cell, compute_edges=True)
        deg = np.degrees(np.arctan(pct / 100.0))
    else:
        deg = slope.data.ravel()[cell].astype(np.float64)
        deg[~slope.valid.ravel()[cell]] = np.nan
        pct = 100.0 * np.tan(np.radians(deg))
    sumw, mean, vmax, quant = _group_stats(starts, ends, deg, cover, np.array([0.5, 0.9]))
    out = {
        "elev_mean_m": elev_mean, "elev_count": w_e,
        "slope_mean_deg": mean, "slope_median_deg": quant[:, 0], "slope_p90_deg": quant[:, 1],
        "slope_max_deg": vmax, "slope_count": sumw,
    }
    ok = ~np.isnan(pct)
    for t in thresholds:
        above = np.bincount(group, weights=np.where(ok & (pct > t), cover, 0.0), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[threshold_column(t)] = above / sumw
    return pd.DataFrame(out)


def _read_dem(dem: Any, parcels: Any) -> Raster:
    """The DEM, for a file / rasterio dataset only the window around the parcels.

    The window is the parcels' bounding box plus two cells on every side, so slopes of all
    covered cells see their true neighbours; a village's parcels on a province-wide DEM
    read only the village's part of it.
    """
    bounds = tuple(parcels.total_bounds) if len(parcels) else None
    return check_dem(read_dem(dem, bounds=bounds, buffer_cells=2), need_data=False)


def _village_centres(villages: Any, parcels: Any, layer: str) -> Any:
    """One centre point per parcel (GeoSeries aligned with *parcels*)."""
    import geopandas as gpd

    _validate.require_geodataframe(villages, layer="villages")
    _validate.require_projected(villages, layer="villages")
    if {"centre_x", "centre_y"} <= set(villages.columns):
        vid = "village_id" if "village_id" in villages else None
        cx = _validate.require_numeric(villages, "centre_x", layer="villages", id_column=vid)
        cy = _validate.require_numeric(villages, "centre_y", layer="villages", id_column=vid)
        pts = gpd.GeoSeries(gpd.points_from_xy(cx, cy), index=villages.index, crs=villages.crs)
    else:
        _validate.require_geom_types(villages, ("Polygon", "MultiPolygon", "Point"),
                                     layer="villages",
                                     id_column="village_id" if "village_id" in villages else None)
        pts = villages.geometry.representative_point()
    if len(villages) == 1:
        return gpd.GeoSeries([pts.iloc[0]] * len(parcels), index=parcels.index, crs=villages.crs)
    for name, df in (("villages", villages), (layer, parcels)):
        if "village_id" not in df.columns:
            raise SchemaError(
                "column 'village_id' is needed to match parcels to their village centre",
                source=name, column="village_id",
                hint="add village_id to both layers, or pass a single village",
            )
    _validate.require_unique(villages, "village_id", layer="villages")
    lookup = pd.Series(pts.to_numpy(), index=villages["village_id"].astype(str).to_numpy())
    keys = parcels["village_id"].astype(str)
    missing = ~keys.isin(lookup.index)
    if missing.any():
        pos = int(np.flatnonzero(missing.to_numpy())[0])
        fid = parcels["parcel_id"].iloc[pos] if "parcel_id" in parcels else f"row {pos + 1}"
        raise SchemaError(
            f"village_id {keys.iloc[pos]!r} is not in the villages layer "
            f"({int(missing.sum())} parcels)",
            source=layer, feature_id=fid, column="village_id",
            hint="check the village ids or pass the missing villages",
        )
    return gpd.GeoSeries(lookup.loc[keys.to_numpy()].to_numpy(), index=parcels.index,
                         crs=villages.crs)


def _terrain_columns(parcels: Any, dem_r: Raster, slope_r: Raster | None, thresholds: tuple[float, ...],
                     area: np.ndarray, layer: str) -> dict[str, np.ndarray]:
    """Slope, elevation and DEM-cover columns of :func:`parcel_metrics`; warns for parcels without data."""
    cols_out: dict[str, np.ndarray] = {}
    if len(parcels):
        stats = _raster_stats(parcels, dem_r, slope_r, thresholds)
    else:
        cols = ["elev_mean_m", "elev_count", "slope_mean_deg", "slope_median_deg", "slope_p90_deg",
                "slope_max_deg", "slope_count", *(threshold_column(t) for t in thresholds)]
        stats = pd.DataFrame({c: np.array([], dtype=float) for c in cols})
    for col in ("slope_mean_deg", "slope_median_deg", "slope_p90_deg", "slope_max_deg"):
        v = stats[col].to_numpy(dtype=float, copy=True)
        v[stats["slope_count"].to_numpy() <= 0] = np.nan
        cols_out[col] = v
    for t in thresholds:
        v = stats[threshold_column(t)].to_numpy(dtype=float, copy=True)
        v[stats["slope_count"].to_numpy() <= 0] = np.nan
        cols_out[threshold_column(t)] = v
    elev = stats["elev_mean_m"].to_numpy(dtype=float, copy=True)
    elev[stats["elev_count"].to_numpy() <= 0] = np.nan
    cols_out["elev_mean_m"] = elev
    cell_area = abs(dem_r.transform.a * dem_r.transform.e)
    with np.errstate(divide="ignore", invalid="ignore"):
        covered_m2 = stats["elev_count"].to_numpy(dtype=float) * cell_area
        cols_out["dem_cover_share"] = np.clip(covered_m2 / area, 0, 1)

    no_data = stats["slope_count"].to_numpy() <= 0
    if no_data.any():
        ids = (parcels["parcel_id"] if "parcel_id" in parcels else pd.Series(parcels.index))
        first = ", ".join(map(str, ids.to_numpy()[no_data][:5]))
        warnings.warn(
            f"{layer}: {int(no_data.sum())} parcel(s) have no DEM cell with data (e.g. {first}); "
            "their slope and elevation statistics are NaN. Fix: use a DEM covering the parcels",
            LanduseWarning, stacklevel=3,
        )
    return cols_out


def _distance_to_lines(polygons: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Distance [m] from each polygon to the nearest of *lines* (0 where they meet).

    The lines are cut into their straight segments first: the distance to a line is the
    least distance to its segments, the same segment-to-segment computation gives the
    same number, and a tree of short segments finds the nearest far faster than a tree of
    long stream lines, whose boxes overlap everywhere.
    """
    import shapely

    parts = shapely.get_parts(lines)
    coords, which = shapely.get_coordinates(parts, return_index=True)
    same = which[1:] == which[:-1]
    segments = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    d = np.full(len(polygons), np.nan)
    if len(segments):
        idx, dist = shapely.STRtree(segments).query_nearest(polygons, return_distance=True, all_matches=False)
        d[idx[0]] = dist
    return d


def parcel_metrics(
    parcels: gpd.GeoDataFrame,
    dem: RasterSource,
    *,
    slope_thresholds_pct: Sequence[float] = (8, 30, 60),
    streams: gpd.GeoDataFrame | None = None,
    villages: gpd.GeoDataFrame | None = None,
    slope: Any = None,
) -> Any:
    """Geometry, exact slope/elevation statistics and distances of each parcel.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Polygons in a projected CRS in metres (``parcel_id`` is copied if present).
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m] in the same CRS as *parcels* (see :class:`~landuse.raster.Raster`).
    slope_thresholds_pct : sequence of float, default (8, 30, 60)
        Slope thresholds [%]; one ``share_slope_gt_<t>pct`` column per threshold.
    streams : geopandas.GeoDataFrame, optional
        Stream lines (e.g. from :func:`landuse.terrain.hydrology.streams`), same CRS. Adds
        ``distance_to_stream_m``.
    villages : geopandas.GeoDataFrame, optional
        Village polygons (or points) with ``village_id``, same CRS. Adds
        ``distance_to_village_centre_m``. The centre is the ``centre_x``/``centre_y``
        columns when present, else a representative point of the village polygon;
        parcels are matched on ``village_id`` (a single village needs no ids).
    slope : Raster-like, optional
        A precomputed slope raster [degrees] on the DEM's grid; by default the slope
        is computed from *dem* with :func:`landuse.terrain.slope`
        (``compute_edges=True``, so parcels on the DEM's edge get values).

    Returns
    -------
    geopandas.GeoDataFrame
        Index-aligned with *parcels*, same geometry and CRS, with columns
        ``parcel_id`` (if present), ``area_ha`` [ha], ``perimeter_m`` [m],
        ``compactness`` [-] (Polsby-Popper), ``slope_mean_deg``, ``slope_median_deg``,
        ``slope_p90_deg``, ``slope_max_deg`` [degrees], ``share_slope_gt_<t>pct``
        [0-1, share of the parcel's area with data], ``elev_mean_m`` [m],
        ``dem_cover_share`` [0-1], and ``distance_to_stream_m`` /
        ``distance_to_village_centre_m`` [m] when *streams* / *villages* are given
        (distance from the parcel polygon to the nearest stream line, 0 when crossed;
        from the parcel centroid to the village centre).

    Raises
    ------
    CRSError
        Parcels, DEM, streams or villages without CRS, geographic or in different CRSs.
    GeometryError
        Empty, missing, invalid or non-polygon parcel geometries (names the first).
    SchemaError
        Bad thresholds, parcels whose ``village_id`` is not among the villages.
    RasterError
        A slope raster on another grid than the DEM.

    Warns
    -----
    LanduseWarning
        When some parcels have no DEM cell with data (outside the DEM, or over
        nodata): their raster statistics are NaN and ``dem_cover_share`` is 0.

    Notes
    -----
    See the module docstring for the weighting; results equal ``exactextract``'s
    ``mean``, ``median``, ``quantile(q=0.9)`` and ``max`` on the same rasters.
    """
    # parcel_id is optional here; when present it names the parcels and must be unique
    layer = check_parcels(parcels, id_column="parcel_id" if "parcel_id" in getattr(parcels, "columns", ())
                          else None)
    thresholds = _check_thresholds(slope_thresholds_pct)
    if slope is None:
        dem_r = _read_dem(dem, parcels)
    else:
        dem_r = check_dem(read_dem(dem), need_data=False)
    _validate.require_same_crs({layer: parcels, "DEM": dem_r})
    slope_r = None
    if slope is not None:
        slope_r = as_raster(slope)
        if slope_r.shape != dem_r.shape or not slope_r.transform.almost_equals(dem_r.transform):
            raise RasterError("the slope raster is not on the DEM's grid", source="slope",
                              hint="compute it with landuse.terrain.slope(dem) "
                              "or leave slope=None")

    geoms = parcels.geometry
    area = geoms.area.to_numpy()
    perim = geoms.length.to_numpy()
    out = {}
    if "parcel_id" in parcels.columns:
        out["parcel_id"] = parcels["parcel_id"].to_numpy()
    out["area_ha"] = area / 10_000.0
    out["perimeter_m"] = perim
    with np.errstate(divide="ignore", invalid="ignore"):
        out["compactness"] = np.where(perim > 0, 4.0 * np.pi * area / perim**2, np.nan)

    out.update(_terrain_columns(parcels, dem_r, slope_r, thresholds, area, layer))

    if streams is not None:
        _validate.require_geodataframe(streams, layer="streams")
        _validate.require_same_crs({layer: parcels, "streams": streams})
        lines = streams.geometry[~(streams.geometry.isna() | streams.geometry.is_empty)]
        if len(lines) == 0:
            out["distance_to_stream_m"] = np.full(len(parcels), np.nan)
        else:
            out["distance_to_stream_m"] = _distance_to_lines(geoms.to_numpy(), lines.to_numpy())
    if villages is not None:
        _validate.require_same_crs({layer: parcels, "villages": villages})
        centres = _village_centres(villages, parcels, layer)
        out["distance_to_village_centre_m"] = geoms.centroid.distance(centres).to_numpy()

    import geopandas as gpd

    return gpd.GeoDataFrame(pd.DataFrame(out, index=parcels.index), geometry=geoms.copy(),
                            crs=parcels.crs)
