"""A small in-memory raster value object shared by the terrain, zoning and fallow code.

:class:`Raster` bundles a 2-D array with its affine transform, CRS and nodata value.
:meth:`Raster.from_any` accepts what users have at hand: a path, an open rasterio
dataset, an ``(array, transform[, crs])`` tuple or another :class:`Raster`.

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> r = Raster(np.arange(6, dtype="float32").reshape(2, 3), Affine(20, 0, 500000, 0, -20, 2300000),
...            crs="EPSG:32647", nodata=0.0)
>>> r.shape, r.res, r.valid.sum()
((2, 3), (20.0, 20.0), np.int64(5))
>>> r.bounds
(500000.0, 2299960.0, 500060.0, 2300000.0)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine

from landuse._validate.lazy import lazy_module
from landuse.errors import CRSError, DataReadError, RasterError

# imported on first use: `landuse slope` on a DEM in metres never needs pyproj
pyproj = lazy_module("pyproj")

__all__ = ["Raster"]


@dataclass(frozen=True, eq=False)
class Raster:
    """A single-band raster grid held in memory.

    Parameters
    ----------
    data : numpy.ndarray
        2-D array of values, row 0 at the top.
    transform : affine.Affine
        Pixel-to-map transform (north-up expected).
    crs : pyproj.CRS, str or None
        Coordinate reference system.
    nodata : float, optional
        Value marking missing cells; NaN cells are always missing.
    source : str, optional
        Where the data came from, used in messages.
    """

    data: np.ndarray
    transform: Affine
    crs: Any = None
    nodata: float | None = None
    source: str | None = field(default=None)

    def __post_init__(self) -> None:
        arr = np.asarray(self.data)
        if arr.ndim != 2:
            raise RasterError(
                f"expected a 2-D array, got {arr.ndim} dimensions",
                source=self.source or "raster",
                hint="pass one band, e.g. dataset.read(1)",
            )
        object.__setattr__(self, "data", arr)
        if not isinstance(self.transform, Affine):
            object.__setattr__(self, "transform", Affine(*list(self.transform)[:6]))
        if self.crs is not None and not isinstance(self.crs, pyproj.CRS):
            object.__setattr__(self, "crs", pyproj.CRS.from_user_input(self.crs))

    # -- geometry of the grid -------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.data.shape  # type: ignore[return-value]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y), positive. [CRS units]"""
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        t = self.transform
        rows, cols = self.shape
        xs = (t.c, t.c + t.a * cols)
        ys = (t.f, t.f + t.e * rows)
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def valid(self) -> np.ndarray:
        """Boolean array, True where the cell holds data."""
        arr = self.data
        ok = np.ones(arr.shape, bool)
        if np.issubdtype(arr.dtype, np.floating):
            ok &= np.isfinite(arr)
        if self.nodata is not None and not (isinstance(self.nodata, float) and np.isnan(self.nodata)):
            ok &= arr != self.nodata
        return ok

    def as_float(self) -> np.ndarray:
        """Return the values as float64 with NaN for nodata."""
        out = self.data.astype("float64", copy=True)
        out[~self.valid] = np.nan
        return out

    def require_projected(self) -> None:
        """Raise :class:`CRSError` unless the raster's CRS is projected in metres."""
        from landuse.crs import is_projected

        if self.crs is None:
            raise CRSError(
                "the raster has no CRS",
                source=self.source or "raster",
                hint="assign one, e.g. with gdal_edit.py -a_srs EPSG:32647",
            )
        if not is_projected(self.crs):
            raise CRSError(
                f"the raster is in a geographic CRS ({self.crs.to_string()}); cell sizes in "
                "degrees cannot be used as metres",
                source=self.source or "raster",
                hint="reproject it first, e.g. gdalwarp -t_srs EPSG:32647 in.tif out.tif",
            )

    # -- construction ---------------------------------------------------------
    @classmethod
    def from_any(cls, obj: Any, *, band: int = 1) -> Raster:
        """Coerce a path, rasterio dataset, ``(array, transform[, crs[, nodata]])`` or Raster."""
        if isinstance(obj, Raster):
            return obj
        if isinstance(obj, (str, os.PathLike)):
            from landuse.io import read_raster

            return read_raster(obj, band=band)
        if hasattr(obj, "read") and hasattr(obj, "transform"):
            return cls(obj.read(band), obj.transform, obj.crs, obj.nodata, getattr(obj, "name", None))
        if isinstance(obj, tuple) and 2 <= len(obj) <= 4:
            return cls(*obj)
        raise DataReadError(
            f"cannot use an object of type {type(obj).__name__} as a raster",
            hint="pass a file path, a rasterio dataset, a landuse.raster.Raster or "
            "a tuple (array, transform, crs, nodata)",
        )
