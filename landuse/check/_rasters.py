"""Checks of rasters (DEM, slope) for :mod:`landuse.check` (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
from affine import Affine

from landuse.check._base import _check_crs, _fmt, _Report, _same_crs
from landuse.errors import DataReadError, LanduseError
from landuse._validate.dem import MIN_DEM_CELLS
from landuse.raster import as_raster


# -- rasters ---------------------------------------------------------------------------
def _as_raster(rep: _Report, obj: Any, layer: str) -> Any:
    try:
        return as_raster(obj)
    except DataReadError as exc:
        code = "FILE_NOT_FOUND" if "not found" in exc.message else "FILE_UNREADABLE"
        rep.add(
            "error",
            code,
            layer,
            None,
            exc.message if not exc.source else f"{exc.source}: {exc.message}",
            exc.hint,
        )
    except LanduseError as exc:
        rep.add("error", "FILE_UNREADABLE", layer, None, str(exc), None)
    return None


def _footprint(
    vstate: dict | None, pstate: dict | None, raster_crs: Any
) -> tuple[Any, str] | None:
    """Villages (or parcels) usable for coverage checks, in the raster's CRS, with their id column.

    A layer in another CRS is reprojected for this check only (the mismatch itself is
    reported as ``CRS_MISMATCH``); nothing is combined into an output.
    """
    if raster_crs is None:
        return None
    for state, id_col in ((vstate, "village_id"), (pstate, "parcel_id")):
        if state and state.get("usable") is not None and len(state["usable"]) and state["crs_ok"]:
            gdf = state["usable"]
            if not _same_crs(gdf.crs, raster_crs):
                try:
                    gdf = gdf.to_crs(raster_crs)
                except Exception:  # noqa: BLE001 - no transformation: skip the coverage check
                    return None
            return gdf, id_col
    return None


def _check_raster(
    rep: _Report, raster: Any, layer: str, vstate: dict | None, pstate: dict | None
) -> Any:
    import shapely
    from rasterio.features import geometry_mask
    from scipy import ndimage
    from shapely.geometry import box

    crs_ok = _check_crs(rep, raster.crs, layer, raster=True)
    valid = raster.valid
    if not valid.any():
        rep.add(
            "error",
            "RASTER_EMPTY",
            layer,
            None,
            "the raster holds nodata only",
            "re-export it; check the nodata value",
        )
        return None
    if not crs_ok:
        rep.skipped(layer, "coverage and nodata holes", "the raster has no projected CRS")
        return raster
    foot = _footprint(vstate, pstate, raster.crs)
    cell_ha = raster.res[0] * raster.res[1] / 1e4
    if foot is None:
        labels, n = ndimage.label(~valid)
        if n:
            edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
            holes = np.isin(labels, np.setdiff1d(np.arange(1, n + 1), edge))
            if holes.any():
                rep.add(
                    "error",
                    "RASTER_NODATA_HOLES",
                    layer,
                    None,
                    f"{int(holes.sum())} nodata cells ({_fmt(holes.sum() * cell_ha, 2)} ha) form holes inside "
                    "the raster",
                    "fill them (gdal_fillnodata.py) or re-export the DEM",
                )
        return raster
    gdf, id_col = foot
    extent = box(*raster.bounds)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ids = gdf[id_col].astype(str).to_numpy()
    for geom, fid in zip(geoms, ids, strict=True):
        outside = shapely.area(shapely.difference(geom, extent))
        area = shapely.area(geom)
        if outside > 1e-6 * area:
            rep.add(
                "error",
                "RASTER_NOT_COVERING",
                layer,
                fid,
                f"the raster does not cover {_fmt(100 * outside / area)} % ({_fmt(outside / 1e4, 2)} ha) of "
                f"{id_col.split('_')[0]} {fid!r}",
                "use a raster whose extent covers every village (with a margin of a few cells)",
            )
        inner = shapely.intersection(geom, extent)
        if shapely.is_empty(inner):
            continue
        # rasterise over the village's window only (cells whose centre is inside; all
        # touched cells for a village smaller than a cell)
        col0, row0 = ~raster.transform @ (inner.bounds[0], inner.bounds[3])
        col1, row1 = ~raster.transform @ (inner.bounds[2], inner.bounds[1])
        r0, r1 = (
            max(int(np.floor(min(row0, row1))), 0),
            min(int(np.ceil(max(row0, row1))), raster.shape[0]),
        )
        c0, c1 = (
            max(int(np.floor(min(col0, col1))), 0),
            min(int(np.ceil(max(col0, col1))), raster.shape[1]),
        )
        if r1 <= r0 or c1 <= c0:
            continue
        win_transform = raster.transform @ Affine.translation(c0, r0)
        shape = (r1 - r0, c1 - c0)
        inside = geometry_mask([inner], out_shape=shape, transform=win_transform, invert=True)
        if not inside.any():
            inside = geometry_mask(
                [inner], out_shape=shape, transform=win_transform, invert=True, all_touched=True
            )
        valid_win = valid[r0:r1, c0:c1]
        n_holes = int((inside & ~valid_win).sum())
        if n_holes and n_holes == int(inside.sum()):
            rep.add(
                "error",
                "RASTER_NOT_COVERING",
                layer,
                fid,
                f"the raster holds only nodata over {id_col.split('_')[0]} {fid!r}",
                "use a raster with data over every village",
            )
        elif n_holes:
            rep.add(
                "error",
                "RASTER_NODATA_HOLES",
                layer,
                fid,
                f"{n_holes} nodata cells ({_fmt(n_holes * cell_ha, 2)} ha, {_fmt(100 * n_holes / inside.sum())} %) "
                f"inside {id_col.split('_')[0]} {fid!r}",
                "fill the holes (gdal_fillnodata.py) or use a complete DEM",
            )
    return raster


def _check_slope_values(rep: _Report, raster: Any, units: str) -> None:
    values = raster.as_float()[raster.valid]
    if values.size == 0:
        return
    neg = int((values < 0).sum())
    if neg:
        rep.add(
            "error",
            "VALUE_NEGATIVE",
            "slope",
            None,
            f"{neg} slope cells are negative (min {values.min():g})",
            "slopes are >= 0; recompute the slope raster (landuse.terrain or gdaldem slope)",
        )
    if units != "degrees":
        return
    over = int((values > 90).sum())
    share = over / values.size
    p99 = float(np.percentile(values, 99))
    if over and (share >= 0.001 or p99 > 60):
        rep.add(
            "error",
            "SLOPE_LOOKS_PERCENT",
            "slope",
            None,
            f"the slope raster is declared in degrees but {over} cells ({_fmt(100 * share, 2)} %) exceed 90 "
            f"(max {values.max():.1f}, 99th percentile {p99:.1f}); it looks like percent",
            "declare --slope-units percent (slope_units='percent'), or recompute in degrees "
            "(gdaldem slope without -p)",
        )
    elif over:
        rep.add(
            "error",
            "VALUE_RANGE",
            "slope",
            None,
            f"{over} cells exceed 90° (max {values.max():.1f}), impossible for a slope in degrees",
            "recompute the slope raster; check the DEM for spikes",
        )
    elif p99 > 60:
        rep.add(
            "warning",
            "SLOPE_LOOKS_PERCENT",
            "slope",
            None,
            f"1 % of the cells are steeper than {p99:.1f}° (99th percentile), implausible for farmland in "
            "degrees but common for percent",
            "check the units; declare --slope-units percent if so",
        )


def _check_slope_against_dem(rep: _Report, slope: Any, dem: Any, units: str) -> None:
    """Compare a slope raster with the slope of the DEM on the same grid, in both units.

    The DEM's slope is ``θ = atan(|∇z|)`` with ``∇z`` from central differences
    (``numpy.gradient``). Over cells steeper than 2°, the median relative deviation of
    the raster from ``θ`` [degrees] and from ``100·tan θ`` [percent] is computed; the
    raster is taken to be in the other unit when that deviation is below 25 % and less
    than half the deviation in the declared unit. Different slope algorithms (Horn,
    Zevenbergen-Thorne) differ by a few per cent, far less than the factor
    ``100·tan θ / θ`` (1.75 at 10°, 1.92 at 30°) between the units.
    """
    if slope.shape != dem.shape or not slope.transform.almost_equals(dem.transform):
        return
    if any(r["code"] == "SLOPE_LOOKS_PERCENT" for r in rep.rows):
        return
    z = dem.as_float()
    with np.errstate(invalid="ignore"):
        gy, gx = np.gradient(z, dem.res[1], dem.res[0])
        deg = np.degrees(np.arctan(np.hypot(gx, gy)))
    pct = 100 * np.tan(np.radians(deg))
    given = slope.as_float()
    ok = np.isfinite(given) & np.isfinite(deg) & (deg > 2)
    if ok.sum() < 50:
        return
    dev_deg = float(np.median(np.abs(given[ok] - deg[ok]) / deg[ok]))
    dev_pct = float(np.median(np.abs(given[ok] - pct[ok]) / pct[ok]))
    if units == "degrees" and dev_pct < 0.25 and dev_pct < dev_deg / 2:
        rep.add(
            "error",
            "SLOPE_LOOKS_PERCENT",
            "slope",
            None,
            f"the slope raster is declared in degrees but matches the DEM's slope in percent (median "
            f"deviation {_fmt(100 * dev_pct)} %, against {_fmt(100 * dev_deg)} % from degrees)",
            "declare --slope-units percent (slope_units='percent'), or recompute in degrees "
            "(gdaldem slope without -p)",
        )
    elif units == "percent" and dev_deg < 0.25 and dev_deg < dev_pct / 2:
        rep.add(
            "error",
            "SLOPE_LOOKS_DEGREES",
            "slope",
            None,
            f"the slope raster is declared in percent but matches the DEM's slope in degrees (median "
            f"deviation {_fmt(100 * dev_deg)} %, against {_fmt(100 * dev_pct)} % from percent)",
            "declare --slope-units degrees (slope_units='degrees'), or recompute in percent "
            "(gdaldem slope -p)",
        )


#: Plausible elevations of a DEM of Laos: the Mekong leaves the country at about 70 m, the
#: highest summit (Phou Bia) is 2,819 m; a margin for datum differences and other
#: countries' border areas. [m]
DEM_RANGE_M = (-10.0, 3000.0)
#: Fill values GIS software writes for "no data" (GDAL/ArcGIS -9999, SRTM -32768 and
#: -32767, the lowest float32 -3.4028235e38 and its positive twin).
NODATA_CANDIDATES = (-9999.0, -32768.0, -32767.0, -3.4028234663852886e38, 3.4028234663852886e38)
#: Share of the raster's cells that zeros connected to its edge must reach to be read as
#: a 0-filled border (with the rest of the DEM at least 10 m high). [-]
ZERO_BORDER_MIN_SHARE = 0.01


def _check_dem_values(rep: _Report, dem: Any) -> None:
    """Elevations must be plausible for Laos and nodata must be declared.

    ``NODATA_UNDECLARED`` (error): cells that are not declared nodata hold a usual fill
    value (:data:`NODATA_CANDIDATES`, compared with a relative tolerance of 1e-6), or
    zeros connected to the raster's edge cover at least :data:`ZERO_BORDER_MIN_SHARE` of
    it while the other cells' median is 10 m or more (no land of Laos is at sea level).
    ``DEM_RANGE`` (error): the other elevations leave :data:`DEM_RANGE_M`.
    """
    from scipy import ndimage


    if min(dem.shape) < MIN_DEM_CELLS:
        rep.add(
            "error", "RASTER_TOO_SMALL", "dem", None,
            f"the DEM has only {dem.shape[0]} x {dem.shape[1]} cells; slopes and streams need at "
            f"least {MIN_DEM_CELLS} x {MIN_DEM_CELLS}",
            "use a DEM covering the villages with a margin of a few cells",
        )
    z = dem.as_float()
    valid = dem.valid & np.isfinite(z)
    if not valid.any():
        return
    fill = np.zeros(z.shape, bool)
    found = []
    for c in NODATA_CANDIDATES:
        hit = valid & np.isclose(z, c, rtol=1e-6, atol=0.0)
        if hit.any():
            fill |= hit
            found.append(f"{c:g} ({int(hit.sum())} cells)")
    zeros = valid & (z == 0)
    if zeros.any():
        labels, n = ndimage.label(zeros)
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        border = np.isin(labels, edge[edge > 0])
        rest = valid & ~border & ~fill
        if (border.sum() >= ZERO_BORDER_MIN_SHARE * z.size and rest.any()
                and float(np.median(z[rest])) >= 10.0):
            fill |= border
            found.append(f"0 along the raster's edge ({int(border.sum())} cells)")
    declared = "no nodata value" if dem.nodata is None else f"nodata {dem.nodata:g}"
    if found:
        value = "0" if found[0].startswith("0 along") else found[0].split(" ")[0]
        rep.add(
            "error",
            "NODATA_UNDECLARED",
            "dem",
            None,
            f"the DEM declares {declared} but holds the fill value(s) {', '.join(found)}; "
            "they would be read as elevations (a paddy at -9,999 m, slopes of 90°)",
            f"declare the nodata value: gdal_edit.py -a_nodata {value} dem.tif, or in QGIS "
            "Layer Properties > Transparency > No data value, then export the DEM again",
        )
    rest = valid & ~fill
    if not rest.any():
        return
    lo, hi = DEM_RANGE_M
    out = rest & ((z < lo) | (z > hi))
    if out.any():
        zr = z[rest]
        rep.add(
            "error",
            "DEM_RANGE",
            "dem",
            None,
            f"{int(out.sum())} cells lie outside {lo:g}..{hi:,.0f} m (elevations range from "
            f"{zr.min():,.1f} to {zr.max():,.1f} m)",
            "the DEM must hold metres above sea level of Laos (not feet or centimetres); check "
            "its nodata value and units, or crop it to the district",
        )
