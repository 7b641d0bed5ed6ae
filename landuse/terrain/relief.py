"""Slope, aspect and hillshade of a DEM with Horn's method, as ``gdaldem`` computes them.

All three derivatives come from the same 3 x 3 finite-difference estimate of the
surface gradient (Horn 1981), the default algorithm of ``gdaldem``:

.. math::

    \\frac{\\partial z}{\\partial x} = \\frac{(c + 2f + i) - (a + 2d + g)}{8\\,\\Delta x},
    \\qquad
    \\frac{\\partial z}{\\partial y} = \\frac{(a + 2b + c) - (g + 2h + i)}{8\\,\\Delta y}

where ``a b c / d e f / g h i`` is the 3 x 3 window read row by row from the north-west
corner, :math:`\\Delta x` the east-west and :math:`\\Delta y` the north-south cell size
[m]. Slope is :math:`\\arctan\\sqrt{p^2 + q^2}` [degrees] or :math:`100\\sqrt{p^2+q^2}`
[percent], with :math:`p = \\partial z / \\partial x`, :math:`q = \\partial z / \\partial y`.

Conventions (identical to ``gdaldem`` 3.x unless stated):

* **Output grid**: the same rows, columns, transform and CRS as the DEM. Slope and aspect
  are ``float32`` with ``NaN`` as nodata; hillshade is ``uint8`` with 0 as nodata and
  1..255 as shade (``gdaldem`` writes the same bytes).
* **Edges and nodata**: by default (``compute_edges=False``) the outermost rows and
  columns, and every cell with a nodata cell among its 8 neighbours, are nodata, exactly
  as ``gdaldem`` without ``-compute_edges``. With ``compute_edges=True`` (like
  ``gdaldem -compute_edges``) a valid cell is always computed: a missing neighbour
  outside the grid is extrapolated linearly (``2 * edge - next``; on the first and last
  row the column is clamped, as ``gdaldem`` does at the corners) and a nodata neighbour
  is replaced by the centre value. A nodata centre is always nodata.
* **Input values** are read as ``float32`` (as ``gdaldem`` does); the gradient is computed
  in ``float64``. Integer DEMs with a nodata value (e.g. ``uint16`` with 0 or 65535)
  are fine.
* **Geographic DEMs** (EPSG:4326 and the like) are handled exactly rather than with
  ``gdaldem``'s single ``-s 111120`` scale: each row's east-west and north-south cell
  sizes in metres are computed on the CRS's ellipsoid at the row's latitude,
  :math:`\\Delta x = N(\\varphi)\\cos\\varphi\\,\\Delta\\lambda` and
  :math:`\\Delta y = M(\\varphi)\\,\\Delta\\varphi` with the prime-vertical radius
  :math:`N` and meridian radius :math:`M` (Snyder 1987, eq. 4-18, 4-20). The result for
  a 30 m slope is within a fraction of a percent of the slope of the same DEM
  reprojected to UTM; there is no "87 degrees everywhere" from mixing degrees with
  metres. A DEM without a CRS is assumed to be in metres only when its cell size is
  larger than 0.5 (degrees are never that coarse for a DEM); otherwise a ``CRSError``
  asks for the CRS.
* **Memory**: :func:`slope_file` (and :func:`aspect_file`, :func:`hillshade_file`) read
  and write the DEM in windows of ``window_rows`` rows with a one-row overlap, so DEMs
  larger than memory are processed with bounded memory.

Slope without ``compute_edges`` is computed in plain numpy (:mod:`landuse.terrain._horn`,
the same float64 operations in the same order, row blocks on a thread pool), so
``landuse slope`` never imports numba; aspect, hillshade and ``compute_edges`` use a
numba kernel (cached on disk, parallel over rows) compiled on its first call
(:mod:`landuse.terrain._jit`). File to file, and as a whole process from a cold start,
``landuse slope`` is faster than ``gdaldem slope`` (``benchmarks/bench_terrain.py``).

References
----------
.. [1] Horn, B. K. P. (1981). Hill shading and the reflectance map. Proceedings of the
   IEEE, 69(1), 14-47. :doi:`10.1109/PROC.1981.11918`
.. [2] Burrough, P. A., McDonnell, R. A. (1998). Principles of Geographical Information
   Systems. Oxford University Press, pp. 190-193.
.. [3] GDAL ``gdaldem`` documentation, https://gdal.org/programs/gdaldem.html
.. [4] Snyder, J. P. (1987). Map Projections - A Working Manual. USGS Professional
   Paper 1395. :doi:`10.3133/pp1395`

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> x = np.arange(5) * 10.0
>>> dem = np.tile(0.1 * x, (4, 1))           # rises 0.1 m per m to the east
>>> t = Affine(10, 0, 500000, 0, -10, 2300000)
>>> s = slope((dem, t, "EPSG:32647"), units="percent")
>>> s.data[1:-1, 1:-1]
array([[10., 10., 10.],
       [10., 10., 10.]], dtype=float32)
>>> bool(np.isnan(s.data[0, 0]))               # edges are nodata, as gdaldem
True
>>> float(aspect((dem, t, "EPSG:32647")).data[1, 1])   # facing west (downhill)
270.0
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from landuse import _validate
from landuse.terrain._jit import numba
from landuse.errors import CRSError, DataReadError, RasterError
from landuse.io import atomic_output
from landuse._validate.dem import check_dem
from landuse.raster import Raster, RasterSource, read_dem

__all__ = [
    "aspect",
    "aspect_file",
    "hillshade",
    "hillshade_file",
    "slope",
    "slope_file",
    "slope_pct_at",
]

_MODE_SLOPE_DEG, _MODE_SLOPE_PCT, _MODE_ASPECT, _MODE_HILLSHADE = 0, 1, 2, 3
_UNITS = {"degrees": _MODE_SLOPE_DEG, "percent": _MODE_SLOPE_PCT}


# --------------------------------------------------------------------------------------
# numba kernel
# --------------------------------------------------------------------------------------
@numba.njit(cache=True, inline="always")
def _get(z, r, c, nr, nc, centre, compute_edges, edge_row):
    # value of neighbour (r, c) of a cell; out of the grid -> gdaldem -compute_edges:
    # on the first/last row the column is clamped and the row extrapolated
    # linearly (2 * edge - next); elsewhere the column is extrapolated linearly
    if r < 0 or r >= nr or c < 0 or c >= nc:
        if not compute_edges:
            return np.nan
        c_in = min(max(c, 0), nc - 1)
        if edge_row:
            c = c_in
            if 0 <= r < nr:
                v = np.float64(z[r, c])
            else:
                r_in = min(max(r, 0), nr - 1)
                r_in2 = r_in + (r_in - r) if nr > 1 else r_in
                v = 2.0 * np.float64(z[r_in, c]) - np.float64(z[r_in2, c])
        else:
            c_in2 = c_in + (c_in - c) if nc > 1 else c_in
            v = 2.0 * np.float64(z[r, c_in]) - np.float64(z[r, c_in2])
    else:
        v = np.float64(z[r, c])
    if compute_edges and v != v:
        return centre
    return v


@numba.njit(cache=True, inline="always")
def _finish_cell(sx, sy, ew, ns, mode, flat_value, p0, p1, p2):
    # slope/aspect/hillshade from the Horn sums sx (east) and sy (north)
    p = sx / (8.0 * ew)  # dz/dx, east
    q = sy / (8.0 * ns)  # dz/dy, north
    if mode == 0:
        return math.atan(math.sqrt(p * p + q * q)) * (180.0 / math.pi)
    if mode == 1:
        return 100.0 * math.sqrt(p * p + q * q)
    if mode == 2:
        if sx == 0.0 and sy == 0.0:
            return flat_value
        # azimuth of steepest descent, clockwise from north
        az = math.atan2(-p, -q) * (180.0 / math.pi)
        if az < 0.0:
            az += 360.0
        if az >= 360.0:
            az -= 360.0
        return az
    # hillshade: flat_value = zf (z factor), p0 = sin(alt), p1 = zf sin(az) cos(alt),
    # p2 = zf cos(az) cos(alt); cosine of the sun's incidence on the surface normal
    den = math.sqrt(1.0 + flat_value * flat_value * (p * p + q * q))
    cang = (p0 - p * p1 - q * p2) / den
    if cang <= 0.0:
        return 1.0
    return 1.0 + 254.0 * cang


@numba.njit(cache=True, inline="always")
def _horn_cell(z, r, c, nr, nc, ew, ns, mode, compute_edges, flat_value, p0, p1, p2):
    # the value of one cell (see the module notes); NaN when it cannot be computed
    e = np.float64(z[r, c])
    if e != e:
        return np.nan
    if 0 < r < nr - 1 and 0 < c < nc - 1:
        # interior fast path: nodata neighbours propagate NaN through the sums
        a = np.float64(z[r - 1, c - 1])
        b = np.float64(z[r - 1, c])
        cc = np.float64(z[r - 1, c + 1])
        d = np.float64(z[r, c - 1])
        f = np.float64(z[r, c + 1])
        g = np.float64(z[r + 1, c - 1])
        h = np.float64(z[r + 1, c])
        i = np.float64(z[r + 1, c + 1])
        sx = (cc + 2.0 * f + i) - (a + 2.0 * d + g)
        sy = (a + 2.0 * b + cc) - (g + 2.0 * h + i)
        if sx == sx and sy == sy:
            return _finish_cell(sx, sy, ew, ns, mode, flat_value, p0, p1, p2)
        if not compute_edges:
            return np.nan
    er = r == 0 or r == nr - 1
    a = _get(z, r - 1, c - 1, nr, nc, e, compute_edges, er)
    b = _get(z, r - 1, c, nr, nc, e, compute_edges, er)
    cc = _get(z, r - 1, c + 1, nr, nc, e, compute_edges, er)
    d = _get(z, r, c - 1, nr, nc, e, compute_edges, er)
    f = _get(z, r, c + 1, nr, nc, e, compute_edges, er)
    g = _get(z, r + 1, c - 1, nr, nc, e, compute_edges, er)
    h = _get(z, r + 1, c, nr, nc, e, compute_edges, er)
    i = _get(z, r + 1, c + 1, nr, nc, e, compute_edges, er)
    sx = (cc + 2.0 * f + i) - (a + 2.0 * d + g)
    sy = (a + 2.0 * b + cc) - (g + 2.0 * h + i)
    if sx != sx or sy != sy:
        return np.nan
    return _finish_cell(sx, sy, ew, ns, mode, flat_value, p0, p1, p2)


@numba.njit(parallel=True, cache=True)
def _horn_kernel(z, out, row0, row1, ewres, nsres, mode, compute_edges, flat_value, p0, p1, p2):
    # z: float32 rows with halo; out rows correspond to z rows row0..row1-1
    nr, nc = z.shape
    for r in numba.prange(row0, row1):
        ew = ewres[r]
        ns = nsres[r]
        for c in range(nc):
            out[r - row0, c] = _horn_cell(z, r, c, nr, nc, ew, ns, mode, compute_edges,
                                          flat_value, p0, p1, p2)
    return out


@numba.njit(parallel=True, cache=True)
def _horn_at(z, flat_idx, ewres, nsres, mode, compute_edges):
    # the value of the listed cells (flat indices) only, float64
    nr, nc = z.shape
    out = np.empty(flat_idx.size, dtype=np.float64)
    for k in numba.prange(flat_idx.size):
        r = flat_idx[k] // nc
        c = flat_idx[k] - r * nc
        v = _horn_cell(z, r, c, nr, nc, ewres[r], nsres[r], mode, compute_edges, np.nan,
                       0.0, 0.0, 0.0)
        if not compute_edges and (r == 0 or r == nr - 1 or c == 0 or c == nc - 1):
            v = np.nan
        out[k] = v
    return out


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _as_float32_nan(data: np.ndarray, nodata: Any) -> np.ndarray:
    """The DEM as float32 with NaN for nodata (a fresh array)."""
    out = np.asarray(data, dtype=np.float32).copy() if data.dtype != np.float32 else data.copy()
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        out[np.asarray(data) == nodata] = np.nan
    if np.issubdtype(data.dtype, np.floating):
        out[~np.isfinite(out)] = np.nan
    return out


def _cell_sizes_m(transform: Any, crs: Any, rows: np.ndarray, *,
                  source: str) -> tuple[np.ndarray, np.ndarray]:
    """East-west and north-south cell sizes [m] of the given (global) rows."""
    if abs(transform.b) > 1e-12 or abs(transform.d) > 1e-12:
        raise RasterError(
            "the DEM grid is rotated or sheared",
            source=source,
            hint="warp it to a north-up grid first (gdalwarp)",
        )
    rx, ry = abs(transform.a), abs(transform.e)
    n = len(rows)
    if crs is None:
        if rx < 0.5 or ry < 0.5:
            raise CRSError(
                f"the DEM has no CRS and a cell size of {rx:g} x {ry:g}, which looks like "
                "degrees; slope needs cell sizes in metres",
                source=source,
                hint="assign its CRS (e.g. gdal_edit.py -a_srs EPSG:4326 dem.tif) or reproject it",
            )
        return np.full(n, rx, dtype=np.float64), np.full(n, ry, dtype=np.float64)
    if getattr(crs, "linear_units", None) in ("metre", "meter", "m") and crs.is_projected:
        # a rasterio CRS in metres (the usual DEM): no pyproj needed (0.1 s of start-up)
        return np.full(n, rx, dtype=np.float64), np.full(n, ry, dtype=np.float64)
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        ell = crs.ellipsoid
        a = ell.semi_major_metre
        inv_f = ell.inverse_flattening
        f = 1.0 / inv_f if inv_f else 0.0
        e2 = f * (2.0 - f)
        lat = np.radians(transform.f + transform.e * (rows + 0.5))
        w = np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
        n_rad = a / w  # prime vertical radius of curvature
        m_rad = a * (1.0 - e2) / w**3  # meridian radius of curvature
        ew = n_rad * np.cos(lat) * math.radians(rx)
        ns = m_rad * math.radians(ry)
        if np.any(ew <= 1e-6):
            raise CRSError(
                "the DEM reaches a pole, where east-west cell sizes vanish",
                source=source,
                hint="reproject it to a projected CRS (e.g. polar stereographic)",
            )
        return ew, ns
    unit = (crs.axis_info[0].unit_name or "").lower() if crs.axis_info else "metre"
    factor = 1.0
    if unit not in ("metre", "meter", "m"):
        factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return np.full(n, rx * factor, dtype=np.float64), np.full(n, ry * factor, dtype=np.float64)


def _run(z: np.ndarray, row0: int, row1: int, ew: np.ndarray, ns: np.ndarray, mode: int,
         compute_edges: bool, params: tuple[float, float, float, float]) -> np.ndarray:
    out = np.empty((row1 - row0, z.shape[1]), dtype=np.float32)
    if not compute_edges and mode in (_MODE_SLOPE_DEG, _MODE_SLOPE_PCT):
        # the same numbers without numba (and without its start-up), see terrain._horn
        from landuse.terrain._horn import horn_slope_rows

        return horn_slope_rows(z, out, row0, row1, ew, ns, percent=mode == _MODE_SLOPE_PCT)
    flat, p0, p1, p2 = params
    _horn_kernel(z, out, row0, row1, ew, ns, mode, compute_edges, flat, p0, p1, p2)
    return out


def _finish_block(out: np.ndarray, mode: int, compute_edges: bool, first: bool,
                  last: bool) -> np.ndarray:
    """Apply gdaldem's edge rule (no edges) and the output dtype."""
    if not compute_edges:
        out[:, 0] = np.nan
        out[:, -1] = np.nan
        if first:
            out[0, :] = np.nan
        if last:
            out[-1, :] = np.nan
    if mode == _MODE_HILLSHADE:
        res = np.zeros(out.shape, dtype=np.uint8)
        ok = np.isfinite(out)
        res[ok] = np.clip(np.floor(out[ok] + 0.5), 1, 255).astype(np.uint8)
        return res
    return out


def _params(mode: int, *, flat_value: float = np.nan, azimuth_deg: float = 315.0,
            altitude_deg: float = 45.0,
            z_factor: float = 1.0) -> tuple[float, float, float, float]:
    if mode == _MODE_HILLSHADE:
        az, alt = math.radians(azimuth_deg), math.radians(altitude_deg)
        return (
            float(z_factor),
            math.sin(alt),
            math.sin(az) * math.cos(alt) * z_factor,
            math.cos(az) * math.cos(alt) * z_factor,
        )
    return (float(flat_value), 0.0, 0.0, 0.0)


def _compute(dem: Any, mode: int, *, compute_edges: bool, params) -> Raster:
    r = check_dem(read_dem(dem), projected=False, need_data=False)
    src = r.source or "DEM"
    z = _as_float32_nan(r.data, r.nodata)
    nr = z.shape[0]
    ew, ns = _cell_sizes_m(r.transform, r.crs, np.arange(nr, dtype=np.float64), source=src)
    out = _run(z, 0, nr, ew, ns, mode, compute_edges, params)
    out = _finish_block(out, mode, compute_edges, True, True)
    nodata = 0 if mode == _MODE_HILLSHADE else np.nan
    return Raster(out, r.transform, r.crs, nodata, r.source)


def slope_pct_at(dem: RasterSource, flat_idx: np.ndarray, *, compute_edges: bool = True) -> np.ndarray:
    """Slope of the DEM at some cells only. [%]

    Same numbers as :func:`slope` with ``units="percent"`` at those cells (Horn's
    method, see :func:`slope`), computed without building the whole slope raster;
    :func:`landuse.parcels.parcel_metrics` uses it for the cells its parcels cover.

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m]; read with :func:`landuse.raster.read_dem`.
    flat_idx : numpy.ndarray of int
        Cells as indices into the flattened grid (``row * columns + column``).
    compute_edges : bool, default True
        Slopes on the DEM's edge and next to nodata too (as :func:`slope`).

    Returns
    -------
    numpy.ndarray of float64
        Slope at each index of *flat_idx*; NaN where it is undefined. [%]

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> z = np.tile(np.arange(4.0) * 2.0, (4, 1)) + 300  # rises 2 m per 20 m cell eastward
    >>> slope_pct_at((z, Affine(20, 0, 500000, 0, -20, 2300000), "EPSG:32647"), np.array([5]))
    array([10.])
    """
    r = check_dem(read_dem(dem), projected=False, need_data=False)
    src = r.source or "DEM"
    z = _as_float32_nan(r.data, r.nodata)
    ew, ns = _cell_sizes_m(r.transform, r.crs, np.arange(z.shape[0], dtype=np.float64), source=src)
    idx = np.ascontiguousarray(flat_idx, dtype=np.int64)
    return _horn_at(z, idx, ew, ns, _MODE_SLOPE_PCT, compute_edges)


# --------------------------------------------------------------------------------------
# public in-memory API
# --------------------------------------------------------------------------------------
def slope(dem: RasterSource, *, units: str = "degrees", compute_edges: bool = False) -> Raster:
    """Slope of a DEM by Horn's method, as ``gdaldem slope``.

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m]: a GeoTIFF path, an open rasterio dataset, a
        :class:`~landuse.raster.Raster` or ``(array, transform, crs[, nodata])``.
        Projected CRS in metres, or geographic (handled per latitude, see module notes).
    units : {"degrees", "percent"}, default "degrees"
        ``degrees`` gives :math:`\\arctan\\sqrt{p^2+q^2}` [degrees]; ``percent`` gives
        :math:`100\\sqrt{p^2+q^2}` [%] (rise over run, 100 % = 45 degrees).
    compute_edges : bool, default False
        Compute the outer cells and cells next to nodata too (``gdaldem -compute_edges``).

    Returns
    -------
    Raster
        ``float32`` slope on the DEM's grid; nodata is ``NaN`` (edges, nodata cells and,
        unless *compute_edges*, cells next to nodata).

    Raises
    ------
    CRSError
        A DEM without CRS whose cell size looks like degrees.
    RasterError
        A rotated grid, an empty or non-numeric DEM.
    DataReadError
        An unreadable file.

    Notes
    -----
    See the module docstring for the equation, the edge/nodata rule and geographic DEMs.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> dem = np.add.outer(np.arange(4) * -20.0, np.zeros(4))  # falls 20 m per 20 m row southwards
    >>> s = slope((dem, Affine(20, 0, 0, 0, -20, 0), "EPSG:32647"))
    >>> round(float(s.data[1, 1]), 6)
    45.0
    """
    _validate.check_option(units, tuple(_UNITS), name="units")
    mode = _UNITS[units]
    return _compute(dem, mode, compute_edges=compute_edges, params=_params(mode))


def aspect(dem: RasterSource, *, compute_edges: bool = False, flat_value: float = np.nan) -> Raster:
    """Aspect (direction of steepest descent) by Horn's method, as ``gdaldem aspect``.

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m] (see :func:`slope`).
    compute_edges : bool, default False
        As in :func:`slope`.
    flat_value : float, default NaN
        Value of flat cells (zero gradient). ``NaN`` matches ``gdaldem`` (which writes
        nodata); ``0`` matches ``gdaldem -zero_for_flat``.

    Returns
    -------
    Raster
        ``float32`` azimuth in [0, 360) [degrees], clockwise from north: 0 faces north,
        90 east, 180 south, 270 west. Nodata ``NaN``.

    Notes
    -----
    :math:`A = \\operatorname{atan2}(-p, -q)` expressed as an azimuth, with
    :math:`p, q` the east and north components of the Horn gradient.
    """
    return _compute(dem, _MODE_ASPECT, compute_edges=compute_edges,
                    params=_params(_MODE_ASPECT, flat_value=flat_value))


def hillshade(dem: RasterSource, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0,
              z_factor: float = 1.0, compute_edges: bool = False) -> Raster:
    """Shaded relief by Horn's method, as ``gdaldem hillshade`` (same bytes).

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        Elevations [m] (see :func:`slope`).
    azimuth_deg : float, default 315
        Direction of the light source, clockwise from north. [degrees]
    altitude_deg : float, default 45
        Elevation of the light source above the horizon. [degrees]
    z_factor : float, default 1
        Vertical exaggeration. [-]
    compute_edges : bool, default False
        As in :func:`slope`.

    Returns
    -------
    Raster
        ``uint8``: 0 is nodata, 1 is full shadow, 255 full light.

    Notes
    -----
    .. math::

        H = 1 + 254\\,\\max\\left(0, \\frac{\\sin\\theta - \\zeta\\cos\\theta\\,(p\\sin\\phi
            + q\\cos\\phi)}{\\sqrt{1 + \\zeta^2 (p^2 + q^2)}}\\right)

    with altitude :math:`\\theta`, azimuth :math:`\\phi`, z factor :math:`\\zeta`,
    rounded to the nearest integer (Horn 1981; ``gdaldem``).
    """
    if not 0 <= altitude_deg <= 90:
        raise RasterError(f"altitude_deg={altitude_deg} is outside 0..90",
                          hint="give the sun's elevation above the horizon in degrees")
    return _compute(dem, _MODE_HILLSHADE, compute_edges=compute_edges,
                    params=_params(_MODE_HILLSHADE, azimuth_deg=azimuth_deg,
                                   altitude_deg=altitude_deg, z_factor=z_factor))


# --------------------------------------------------------------------------------------
# file to file, windowed
# --------------------------------------------------------------------------------------
def _process_file(src: str | os.PathLike, dst: str | os.PathLike, mode: int, *, params,
                  compute_edges: bool, overwrite: bool, window_rows: int) -> Path:
    import rasterio
    from rasterio.windows import Window

    src_p = Path(src)
    if not src_p.exists():
        raise DataReadError("DEM file not found", source=str(src_p), hint="check the path")
    if window_rows < 1:
        raise RasterError(f"window_rows={window_rows} must be at least 1", hint="use e.g. 512")
    try:
        ds = rasterio.open(src_p)
    except Exception as exc:
        raise DataReadError(f"cannot read the DEM: {exc}", source=str(src_p),
                            hint="the file may be truncated or not a raster") from exc
    with ds:
        nr, nc = ds.height, ds.width
        name = src_p.name
        nodata = ds.nodata
        if nr == 0 or nc == 0:
            raise RasterError("the DEM has no cells", source=name, hint="check the file")
        ew_all, ns_all = _cell_sizes_m(ds.transform, ds.crs, np.arange(nr, dtype=np.float64),
                                       source=name)
        out_nodata: float
        if mode == _MODE_HILLSHADE:
            dtype, out_nodata = "uint8", 0
        else:
            dtype, out_nodata = "float32", float("nan")
        profile = {
            "driver": "GTiff", "height": nr, "width": nc, "count": 1, "dtype": dtype,
            "transform": ds.transform, "crs": ds.crs, "nodata": out_nodata,
            "compress": "none", "interleave": "band",
        }
        if nr >= 256 and nc >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
            window_rows = max(256, (window_rows // 256) * 256)
        windows = [(r0, min(nr, r0 + window_rows)) for r0 in range(0, nr, window_rows)]

        def read(k: int) -> np.ndarray:
            r0, r1 = windows[k]
            h0, h1 = max(0, r0 - 1), min(nr, r1 + 1)
            return _as_float32_nan(ds.read(1, window=Window(0, h0, nc, h1 - h0)), nodata)

        # GDAL I/O releases the GIL: read the next window and write the previous one in
        # background threads while the kernel computes (at most 3 windows in memory)
        with atomic_output(Path(dst), overwrite=overwrite) as tmp, \
                rasterio.open(tmp, "w", **profile) as out, \
                ThreadPoolExecutor(max_workers=1) as reader, \
                ThreadPoolExecutor(max_workers=1) as writer:
            pending_read = reader.submit(read, 0)
            pending_write = None
            for k, (r0, r1) in enumerate(windows):
                z = pending_read.result()
                if k + 1 < len(windows):
                    pending_read = reader.submit(read, k + 1)
                h0 = max(0, r0 - 1)
                h1 = min(nr, r1 + 1)
                block = _run(z, r0 - h0, r0 - h0 + (r1 - r0), ew_all[h0:h1], ns_all[h0:h1], mode,
                             compute_edges, params)
                block = _finish_block(block, mode, compute_edges, r0 == 0, r1 == nr)
                if pending_write is not None:
                    pending_write.result()
                pending_write = writer.submit(out.write, block, 1,
                                              window=Window(0, r0, nc, r1 - r0))
            if pending_write is not None:
                pending_write.result()
    return Path(dst)


def slope_file(src: str | os.PathLike, dst: str | os.PathLike, *, units: str = "degrees",
               compute_edges: bool = False, overwrite: bool = False,
               window_rows: int = 512) -> Path:
    """Compute the slope of a DEM file and write it as a GeoTIFF on the same grid.

    The DEM is read and the result written in windows of *window_rows* rows (plus one
    row of overlap above and below), so memory stays bounded (about
    ``12 * window_rows * width`` bytes) whatever the DEM's size. The output is an
    uncompressed ``float32`` GeoTIFF (tiled 256 x 256 when the grid is at least that
    large) with nodata ``NaN``, written atomically.

    Parameters
    ----------
    src : path-like
        DEM file (any GDAL raster, band 1). [m]
    dst : path-like
        Output GeoTIFF.
    units : {"degrees", "percent"}, default "degrees"
        See :func:`slope`.
    compute_edges : bool, default False
        See :func:`slope`.
    overwrite : bool, default False
        Replace an existing *dst*; otherwise :class:`~landuse.errors.OutputExistsError`.
    window_rows : int, default 512
        Rows per window (rounded to a multiple of 256 for tiled output).

    Returns
    -------
    pathlib.Path
        *dst*.
    """
    _validate.check_option(units, tuple(_UNITS), name="units")
    mode = _UNITS[units]
    return _process_file(src, dst, mode, params=_params(mode), compute_edges=compute_edges,
                         overwrite=overwrite, window_rows=window_rows)


def aspect_file(src: str | os.PathLike, dst: str | os.PathLike, *, compute_edges: bool = False,
                flat_value: float = np.nan, overwrite: bool = False,
                window_rows: int = 512) -> Path:
    """Aspect of a DEM file to a ``float32`` GeoTIFF, windowed like :func:`slope_file`."""
    return _process_file(src, dst, _MODE_ASPECT,
                         params=_params(_MODE_ASPECT, flat_value=flat_value),
                         compute_edges=compute_edges, overwrite=overwrite, window_rows=window_rows)


def hillshade_file(src: str | os.PathLike, dst: str | os.PathLike, *, azimuth_deg: float = 315.0,
                   altitude_deg: float = 45.0, z_factor: float = 1.0, compute_edges: bool = False,
                   overwrite: bool = False, window_rows: int = 512) -> Path:
    """Hillshade of a DEM file to a ``uint8`` GeoTIFF, windowed like :func:`slope_file`."""
    if not 0 <= altitude_deg <= 90:
        raise RasterError(f"altitude_deg={altitude_deg} is outside 0..90",
                          hint="give the sun's elevation above the horizon in degrees")
    return _process_file(src, dst, _MODE_HILLSHADE,
                         params=_params(_MODE_HILLSHADE, azimuth_deg=azimuth_deg,
                                        altitude_deg=altitude_deg, z_factor=z_factor),
                         compute_edges=compute_edges, overwrite=overwrite, window_rows=window_rows)
