"""Horn (1981) slope in plain numpy, the same numbers as the numba kernel (private).

:func:`landuse.terrain.slope` and :func:`~landuse.terrain.slope_file` without
``compute_edges`` use this path, so ``landuse slope`` never imports numba (about 0.7 s of
start-up with the cached kernels, more than the computation itself).

For each interior cell with neighbours

.. code-block:: text

    a b c
    d e f
    g h i

Horn's sums are

.. math::

    s_x = (c + 2f + i) - (a + 2d + g), \\qquad s_y = (a + 2b + c) - (g + 2h + i)

with :math:`p = s_x / (8\\,\\Delta x)`, :math:`q = s_y / (8\\,\\Delta y)` and the slope
:math:`\\arctan\\sqrt{p^2 + q^2}` [degrees] or :math:`100\\sqrt{p^2 + q^2}` [%]
(Horn, B. K. P. (1981), Hill shading and the reflectance map, Proc. IEEE 69(1), 14-47;
the method of ``gdaldem slope``).

The weighted sums are shared between cells: the column sum
:math:`V_j = (z_{r-1,j} + 2 z_{r,j}) + z_{r+1,j}` gives :math:`s_x = V_{c+1} - V_{c-1}`
and the row sum :math:`H_r = (z_{r,c-1} + 2 z_{r,c}) + z_{r,c+1}` gives
:math:`s_y = H_{r-1} - H_{r+1}`; both are evaluated in float64 in exactly the order of
the numba kernel, so every sum, every quotient and the square root are bit for bit the
same, and the float32 results agree except where numpy's ``arctan`` and the C library's
``atan`` differ in the last float64 bit and that bit decides the float32 rounding
(never seen on the test DEMs). A NaN elevation among the eight neighbours propagates
through the sums; a NaN centre cell (not in the sums) is masked afterwards, as the
kernel does. Rows are processed in blocks of a few rows (cache-sized) on a thread pool:
numpy releases the GIL inside each operation.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: rows per block: a block's float64 temporaries (about 10 arrays of this many rows)
#: stay in a core's cache for DEMs some thousands of cells wide
_BLOCK_ROWS = 8
_DEGREES = 180.0 / math.pi


def _threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


_local = threading.local()


def _buffers(rows: int, nc: int) -> dict[str, np.ndarray]:
    """This thread's float64 work arrays for blocks of up to *rows* rows, *nc* columns.

    Reused from block to block: fresh arrays of this size would each be a new memory
    mapping, and the page faults cost as much system time as the arithmetic.
    """
    bufs = getattr(_local, "bufs", None)
    if bufs is None or bufs["z"].shape != (rows + 2, nc):
        bufs = {"z": np.empty((rows + 2, nc)), "two": np.empty((rows + 2, nc)),
                "v": np.empty((rows, nc)), "h": np.empty((rows + 2, nc - 2)),
                "sx": np.empty((rows, nc - 2)), "sy": np.empty((rows, nc - 2))}
        _local.bufs = bufs
    return bufs


def _block(z: np.ndarray, out: np.ndarray, ew: np.ndarray, ns: np.ndarray,
           percent: bool) -> None:
    # z: float32 rows r-1..r+k (k = len(out)); out: float32 (k, nc), columns 1..nc-2 set
    k, nc = out.shape
    b = _buffers(_BLOCK_ROWS, nc)
    z64 = b["z"][:k + 2]
    np.copyto(z64, z)
    two = np.multiply(z64, 2.0, out=b["two"][:k + 2])
    v = np.add(z64[:-2], two[1:-1], out=b["v"][:k])
    v += z64[2:]
    h = np.add(z64[:, :-2], two[:, 1:-1], out=b["h"][:k + 2])
    h += z64[:, 2:]
    sx = np.subtract(v[:, 2:], v[:, :-2], out=b["sx"][:k])
    sy = np.subtract(h[:-2], h[2:], out=b["sy"][:k])
    sx /= (8.0 * ew)[:, None]
    sy /= (8.0 * ns)[:, None]
    np.multiply(sx, sx, out=sx)
    np.multiply(sy, sy, out=sy)
    sx += sy
    np.sqrt(sx, out=sx)
    if percent:
        np.multiply(100.0, sx, out=sx)
    else:
        np.arctan(sx, out=sx)
        sx *= _DEGREES
    inner = out[:, 1:-1]
    inner[...] = sx
    centre_nan = np.isnan(z[1:-1, 1:-1])
    if centre_nan.any():
        inner[centre_nan] = np.nan


def horn_slope_rows(z: np.ndarray, out: np.ndarray, row0: int, row1: int, ew: np.ndarray,
                    ns: np.ndarray, *, percent: bool) -> np.ndarray:
    """Slope of rows ``row0 .. row1 - 1`` of *z* into *out* (NaN on the outer cells).

    Parameters
    ----------
    z : numpy.ndarray
        float32 elevations [m], NaN for nodata, with the rows above and below the
        wanted ones where they exist.
    out : numpy.ndarray
        float32, shape ``(row1 - row0, z.shape[1])``; filled.
    row0, row1 : int
        Rows of *z* to compute.
    ew, ns : numpy.ndarray
        East-west and north-south cell sizes [m] of every row of *z*.
    percent : bool
        Slope in percent instead of degrees.

    Returns
    -------
    numpy.ndarray
        *out*. Rows 0 and ``len(z) - 1`` of *z* and the first and last columns are NaN
        (the neighbours are missing); the caller applies gdaldem's edge rule.
    """
    nr, nc = z.shape
    lo, hi = max(row0, 1), min(row1, nr - 1)
    if nc < 3 or hi <= lo:
        out[...] = np.nan
        return out
    out[:lo - row0] = np.nan
    out[hi - row0:] = np.nan
    out[:, 0] = np.nan
    out[:, -1] = np.nan
    starts = range(lo, hi, _BLOCK_ROWS)

    def run(r: int) -> None:
        e = min(hi, r + _BLOCK_ROWS)
        _block(z[r - 1:e + 1], out[r - row0:e - row0], ew[r:e], ns[r:e], percent)

    workers = min(_threads(), len(starts))
    if workers <= 1:
        for r in starts:
            run(r)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(run, starts):
                pass
    return out
