"""The DEM contract: one set of checks for every digital elevation model (private).

Every function and command that takes a DEM opens it with :func:`landuse.raster.read_dem`
and checks it here with :func:`check_dem`. The rules, in the order they are checked:

1. the grid holds numbers (not empty, not complex);
2. it is north-up (no rotation or shear) with positive cell sizes;
3. the cells are square-ish: the longer side at most :data:`MAX_CELL_ASPECT` times the
   shorter;
4. for flow routing (``flow_routing=True``: streams, catchments, flow accumulation) it
   has at least :data:`MIN_DEM_CELLS` rows and columns (a cell and its 8 neighbours);
   slopes and statistics work on any grid;
5. the CRS is projected in metres (``projected=True``; slope, aspect and hillshade also
   accept a geographic or missing CRS because they convert cell sizes to metres
   themselves);
6. it holds at least one valid cell (``need_data=True``; slope of an all-nodata DEM is
   all nodata);
7. nodata is declared: no valid cell holds a usual fill value (:data:`NODATA_CANDIDATES`);
8. the elevations are plausible on Earth: within :data:`PLAUSIBLE_ELEVATION_M`.

``landuse check`` reports the stricter, Laos-specific range of its own ``DEM_RANGE``
rule as a finding instead of raising.
"""

from __future__ import annotations

import weakref

import numpy as np

from landuse.errors import CRSError, RasterError
from landuse.raster import Raster

__all__ = [
    "MAX_CELL_ASPECT",
    "MIN_DEM_CELLS",
    "NODATA_CANDIDATES",
    "PLAUSIBLE_ELEVATION_M",
    "check_dem",
]

#: Fewest rows and columns of a DEM for flow routing (a cell and its 8 neighbours).
MIN_DEM_CELLS = 3
#: Largest ratio of a cell's long side to its short side (in CRS units). [-]
MAX_CELL_ASPECT = 4.0
#: Fill values GDAL and DEM providers use for missing cells; found among cells not
#: declared nodata they mean the nodata value was lost.
NODATA_CANDIDATES = (-9999.0, -32768.0, -32767.0, -3.4028234663852886e38, 3.4028234663852886e38)
#: Lowest and highest elevation on land (Dead Sea shore about -430 m, Everest 8849 m),
#: with a margin. [m]
PLAUSIBLE_ELEVATION_M = (-500.0, 9000.0)


def _check_grid(r: Raster, src: str, *, flow_routing: bool) -> None:
    if r.data.size == 0:
        raise RasterError("the DEM has no cells", source=src, hint="check the file")
    dtype = r.data.dtype
    if not (np.issubdtype(dtype, np.number) and not np.issubdtype(dtype, np.complexfloating)):
        raise RasterError(f"the DEM has non-numeric dtype {r.data.dtype}", source=src,
                          hint="pass elevations in metres")
    t = r.transform
    if abs(t.b) > 1e-12 or abs(t.d) > 1e-12:
        raise RasterError("the DEM grid is rotated or sheared", source=src,
                          hint="warp it to a north-up grid first (gdalwarp)")
    rx, ry = r.res
    if not (rx > 0 and ry > 0 and np.isfinite(rx) and np.isfinite(ry)):
        raise RasterError(f"the DEM has a zero or undefined cell size ({rx:g} x {ry:g})",
                          source=src, hint="warp it to a north-up grid (gdalwarp)")
    if max(rx, ry) > MAX_CELL_ASPECT * min(rx, ry):
        raise RasterError(f"the DEM cells are {rx:g} x {ry:g}, far from square",
                          source=src, hint="resample it to square cells, e.g. gdalwarp -tr 20 20")
    if flow_routing and min(r.shape) < MIN_DEM_CELLS:
        raise RasterError(f"the DEM has only {r.shape[0]} x {r.shape[1]} cells; flow routing "
                          f"needs at least {MIN_DEM_CELLS} x {MIN_DEM_CELLS}", source=src,
                          hint="use a DEM covering the villages with a margin (e.g. 20 m cells)")


#: Lowest and highest valid value of each Raster seen, kept while the Raster lives (a plan
#: run checks the one district DEM again for every irrigation scheme).
_RANGES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _value_range(r: Raster) -> tuple[float, float] | None:
    """(lowest, highest) valid value of *r*, or None when no cell is valid."""
    seen = _RANGES.get(r)
    if seen is not None and seen[0] is r.data:
        return seen[1]
    valid = r.valid
    found = (float(r.data[valid].min()), float(r.data[valid].max())) if valid.any() else None
    _RANGES[r] = (r.data, found)
    return found


def _check_values(r: Raster, src: str, *, need_data: bool) -> None:
    found = _value_range(r)
    if found is None:
        if need_data:
            raise RasterError("the DEM has no valid cells (all cells are nodata)", source=src,
                              hint="check the nodata value and the file")
        return
    lo, hi = found
    for c in NODATA_CANDIDATES:
        if not (c - 2e-6 * abs(c) <= hi and c + 2e-6 * abs(c) >= lo):
            continue  # no valid cell lies within isclose's reach of c (|z - c| <= 1e-6 |c|)
        z = r.data[r.valid].astype(np.float64)
        hit = np.isclose(z, c, rtol=1e-6, atol=0.0)
        if hit.any():
            raise RasterError(f"{int(hit.sum())} cells hold {c:g}, a usual fill value, but the "
                              "DEM declares no such nodata", source=src,
                              hint=f"declare it, e.g. gdal_edit.py -a_nodata {c:g} dem.tif")
    if lo < PLAUSIBLE_ELEVATION_M[0] or hi > PLAUSIBLE_ELEVATION_M[1]:
        raise RasterError(f"elevations {lo:g} .. {hi:g} m are outside the plausible "
                          f"{PLAUSIBLE_ELEVATION_M[0]:g} .. {PLAUSIBLE_ELEVATION_M[1]:g} m",
                          source=src, hint="give elevations in metres, with nodata declared")


def check_dem(r: Raster, *, projected: bool = True, need_data: bool = True,
              flow_routing: bool = False) -> Raster:
    """Apply the DEM contract (see the module notes) and return *r* unchanged.

    Parameters
    ----------
    r : Raster
        The DEM, from :func:`landuse.raster.read_dem`.
    projected : bool, default True
        Require a projected CRS in metres. False only for slope, aspect and hillshade,
        which convert geographic cell sizes to metres themselves.
    need_data : bool, default True
        Require at least one valid cell.
    flow_routing : bool, default False
        Require :data:`MIN_DEM_CELLS` rows and columns (for flow directions).

    Returns
    -------
    Raster
        *r*, so that calls chain: ``check_dem(read_dem(dem))``.

    Raises
    ------
    RasterError
        A rule is broken; the message names the DEM and the fix.
    CRSError
        ``projected=True`` and the CRS is missing or geographic.
    """
    src = r.source or "DEM"
    _check_grid(r, src, flow_routing=flow_routing)
    if projected:
        if r.crs is None:
            raise CRSError("the DEM has no CRS", source=src,
                           hint="assign the CRS of the other layers to it, e.g. "
                           "gdal_edit.py -a_srs EPSG:32647 dem.tif")
        r.require_projected()
    _check_values(r, src, need_data=need_data)
    return r
