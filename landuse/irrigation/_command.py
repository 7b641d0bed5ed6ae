"""Terrain and command area of a scheme: DEM sampling, gravity command check, map layer.

Private; the public API is in :mod:`landuse.irrigation` (:func:`~landuse.irrigation.command_area`,
:func:`~landuse.irrigation.scheme_layer`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from landuse import _validate
from landuse.irrigation import requirement as _irr
from landuse._validate.dem import check_dem
from landuse.errors import IrrigationError
from landuse.raster import RasterSource, read_dem

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd


def _sample_dem(dem: Any, x: float, y: float, *, what: str = "intake") -> float:
    r = read_dem(dem)
    col, row = ~r.transform @ (x, y)
    row_i, col_i = math.floor(row), math.floor(col)
    rows, cols = r.shape
    if not (0 <= row_i < rows and 0 <= col_i < cols):
        left, bottom, right, top = r.bounds
        raise IrrigationError(
            f"the {what} point ({x:.1f}, {y:.1f}) is off the DEM (extent {left:.0f}-{right:.0f} "
            "E, "
            f"{bottom:.0f}-{top:.0f} N)",
            source=r.source or "dem",
            column="intake_x_m",
            hint="check intake_x_m / intake_y_m and that the scheme and the DEM use the same CRS",
        )
    if not np.isfinite(r.window_as_float(slice(row_i, row_i + 1), slice(col_i, col_i + 1))[0, 0]):
        raise IrrigationError(
            f"the DEM has no data at the {what} point ({x:.1f}, {y:.1f})",
            source=r.source or "dem",
            column="intake_x_m",
            hint="move the intake onto the stream inside the DEM, or fill the DEM",
        )
    return float(r.data[row_i, col_i])


def _parcel_elevations(parcels: Any, dem: Any, stat: str) -> np.ndarray:
    """Mean, max or min DEM value of the cells centred in each parcel (else at its inner point)."""
    from affine import Affine
    from rasterio import features

    r = read_dem(dem)
    out = np.full(len(parcels), np.nan)
    if len(parcels) == 0:
        return out
    left, bottom, right, top = parcels.total_bounds
    inv = ~r.transform
    corners = ((left, top), (right, bottom), (left, bottom), (right, top))
    cols, rows = zip(*(inv @ (x, y) for x, y in corners), strict=True)
    c0, c1 = max(math.floor(min(cols)) - 1, 0), min(math.ceil(max(cols)) + 1, r.shape[1])
    r0, r1 = max(math.floor(min(rows)) - 1, 0), min(math.ceil(max(rows)) + 1, r.shape[0])
    if c1 > c0 and r1 > r0:
        sub = r.window_as_float(slice(r0, r1), slice(c0, c1))  # not the whole DEM per scheme
        ids = features.rasterize(
            ((g, i + 1) for i, g in enumerate(parcels.geometry)),
            out_shape=sub.shape,
            transform=r.transform @ Affine.translation(c0, r0),
            fill=0,
            dtype="int32",
        )
    else:  # parcels entirely off the DEM
        ids, sub = np.zeros((0, 0), "int32"), np.zeros((0, 0))
    lab = ids.ravel()
    val = sub.ravel()
    ok = (lab > 0) & np.isfinite(val)
    lab, val = lab[ok] - 1, val[ok]
    n = len(parcels)
    cnt = np.bincount(lab, minlength=n)
    if stat == "mean":
        s = np.bincount(lab, weights=val, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
    else:
        out = np.full(n, -np.inf if stat == "max" else np.inf)
        (np.maximum if stat == "max" else np.minimum).at(out, lab, val)
        out = np.where(cnt > 0, out, np.nan)
    for i in np.flatnonzero(np.isnan(out)):  # parcels smaller than a cell: sample the inner point
        p = parcels.geometry.iloc[i].representative_point()
        col, row = ~r.transform @ (p.x, p.y)
        ri, ci = math.floor(row), math.floor(col)
        if 0 <= ri < r.shape[0] and 0 <= ci < r.shape[1]:
            cell = r.window_as_float(slice(ri, ri + 1), slice(ci, ci + 1))[0, 0]
            if np.isfinite(cell):
                out[i] = cell
    return out


def command_area(
    parcels: gpd.GeoDataFrame,
    dem: RasterSource,
    *,
    intake_x_m: float,
    intake_y_m: float,
    bed_slope: float,
    parcel_ids: Sequence[str] | None = None,
    intake_head_m: float = 0.5,
    sinuosity: float = 1.3,
    elevation_stat: str = "max",
    min_head_m: float = 0.0,
) -> Any:
    r"""Paddy parcels an intake can reach by gravity.

    A parcel is reachable when its elevation (the *elevation_stat* of the DEM cells
    whose centres fall in it) lies at least *min_head_m* below the water level the
    canal can have when it arrives there:

    .. math:: z_{canal} = z_{intake} + h_{intake} - S \cdot k \cdot d

    with :math:`z_{intake}` the DEM at the intake, :math:`h_{intake}` the water level
    raised by the weir, *S* the canal bed slope, *d* the straight distance from the
    intake to the parcel's inner point and *k* a sinuosity factor (canal length over
    straight distance; contour canals wind, 1.2-1.5 is usual — *default,
    configurable*). This is a screening rule: it ignores ridges between the intake
    and the parcel, which a surveyed canal alignment must check.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels with ``parcel_id`` and ``land_type`` (projected CRS, same as the DEM).
    dem : Raster, path or (array, transform[, crs])
        Elevation. [m]
    intake_x_m, intake_y_m : float
        Intake location in the parcels' CRS. [m]
    bed_slope : float
        Canal bed slope. [m m⁻¹]
    parcel_ids : sequence of str, optional
        Candidate parcels; by default all parcels with ``land_type == "paddy"``.
    intake_head_m : float, default 0.5
        Water level at the intake above the DEM surface (weir height). [m]
    sinuosity : float, default 1.3
        Canal length / straight distance. [-]
    elevation_stat : {'max', 'mean', 'min'}, default 'max'
        Parcel elevation used: 'max', the parcel's highest DEM cell, demands that no
        part of a reachable parcel lie above the canal water level; 'mean' lets up to
        half a parcel lie above it.
    min_head_m : float, default 0.0
        Head required above the parcel. [m]

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate parcels (new frame, same index) with ``area_ha``, ``elev_m``,
        ``distance_m``, ``canal_length_m``, ``canal_level_m``, ``head_m`` and
        ``reachable``.

    Raises
    ------
    IrrigationError
        Intake off the DEM or on nodata; a listed parcel id that does not exist.
    CRSError
        Parcels not in a projected CRS, or not in the DEM's CRS.
    """
    _validate.require_geodataframe(parcels, layer="parcels")
    _validate.require_projected(parcels, layer="parcels")
    _validate.check_option(elevation_stat, ("mean", "max", "min"), name="elevation_stat")
    r = check_dem(read_dem(dem))
    if r.crs is not None:
        _validate.require_same_crs({"parcels": parcels, "dem": r})
    _validate.require_columns(parcels, ["parcel_id"], layer="parcels")
    _irr._check_range("bed_slope", bed_slope, 0.0, 0.5)
    _irr._check_range("sinuosity", sinuosity, 1.0, 10.0)
    if parcel_ids is not None:
        ids = [str(p) for p in parcel_ids]
        have = set(parcels["parcel_id"].astype(str))
        missing = [p for p in ids if p not in have]
        if missing:
            raise IrrigationError(
                f"{len(missing)} paddy parcel id(s) not in the parcels layer",
                source="parcels",
                feature_id=missing[0],
                column="parcel_id",
                hint="correct paddy_parcel_ids in the scheme file",
            )
        cand = parcels[parcels["parcel_id"].astype(str).isin(ids)].copy()
    else:
        _validate.require_columns(parcels, ["land_type"], layer="parcels")
        cand = parcels[parcels["land_type"] == "paddy"].copy()
    z_intake = _sample_dem(r, intake_x_m, intake_y_m)
    pts = cand.geometry.representative_point()
    dist = np.hypot(pts.x.to_numpy() - intake_x_m, pts.y.to_numpy() - intake_y_m)
    elev = _parcel_elevations(cand, r, elevation_stat)
    length = dist * sinuosity
    level = z_intake + intake_head_m - bed_slope * length
    cand["area_ha"] = cand.geometry.area / 10_000.0
    cand["elev_m"] = elev
    cand["distance_m"] = dist
    cand["canal_length_m"] = length
    cand["canal_level_m"] = level
    cand["head_m"] = level - elev
    cand["reachable"] = np.isfinite(elev) & (cand["head_m"].to_numpy() >= min_head_m)
    return cand


def scheme_layer(reach: Any, *, intake_x_m: float, intake_y_m: float, scheme_id: str = "") -> Any:
    """Map layer of a scheme: intake point, command-area polygon and a schematic canal line.

    The canal line runs from the intake through the inner points of the reachable
    parcels, each time to the nearest not yet visited (greedy chain). It is a sketch
    for maps, not a surveyed alignment.

    Parameters
    ----------
    reach : geopandas.GeoDataFrame
        Output of :func:`command_area`.
    intake_x_m, intake_y_m : float
        Intake location. [m]
    scheme_id : str
        Written to the ``scheme_id`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Three rows, ``feature`` in ``intake``, ``command_area``, ``canal``, with
        ``scheme_id``, ``area_ha`` (command area) and ``length_m`` (canal sketch).
        :func:`landuse.irrigation.size_scheme` appends a ``catchment`` row when it delineates the
        catchment from the DEM.
    """
    import geopandas as gpd
    import shapely
    from shapely.geometry import LineString, Point

    ok = reach[reach["reachable"]]
    intake = Point(intake_x_m, intake_y_m)
    area_geom = shapely.union_all(ok.geometry.to_numpy()) if len(ok) else shapely.Polygon()
    pts = [(p.x, p.y) for p in ok.geometry.representative_point()]
    chain = [(intake_x_m, intake_y_m)]
    left = list(range(len(pts)))
    while left:
        cx, cy = chain[-1]
        j = min(left, key=lambda k: ((pts[k][0] - cx) ** 2 + (pts[k][1] - cy) ** 2, k))
        chain.append(pts[j])
        left.remove(j)
    line = LineString(chain) if len(chain) > 1 else LineString()
    return gpd.GeoDataFrame(
        {
            "scheme_id": [scheme_id] * 3,
            "feature": ["intake", "command_area", "canal"],
            "area_ha": [0.0, float(area_geom.area) / 10_000.0, 0.0],
            "length_m": [0.0, 0.0, float(line.length)],
        },
        geometry=[intake, area_geom, line],
        crs=reach.crs,
    )
