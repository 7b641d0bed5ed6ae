"""A small in-memory raster value object shared by the terrain, zoning and fallow code.

:class:`Raster` bundles a 2-D array with its affine transform, CRS and nodata value; it
never opens files. The two readers here are the only doors through which a raster file
enters the library:

- :func:`read_raster` reads one band of a GeoTIFF (or any GDAL raster), optionally only
  the window around given bounds;
- :func:`read_dem` accepts what users have at hand for a DEM (a path, an open rasterio
  dataset, an ``(array, transform[, crs[, nodata]])`` tuple or a :class:`Raster`) and is
  used by every function and command that takes a DEM (slope, streams, parcel
  statistics, zoning, scheme catchments). The checks of a DEM's content live in
  ``landuse._validate.dem``.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from affine import Affine

from landuse import _validate
from landuse._validate.display import figures_html, thumbnail_uri
from landuse._validate.lazy import lazy_module
from landuse.errors import CRSError, DataReadError, RasterError

if TYPE_CHECKING:  # annotations only; rasterio is imported when a file is read
    from rasterio.io import DatasetReader

# imported on first use: `landuse slope` on a DEM in metres never needs pyproj
pyproj = lazy_module("pyproj")

__all__ = ["Raster", "RasterSource", "as_raster", "read_dem", "read_raster"]

#: ``(left, bottom, right, top)`` in the raster's CRS units.
Bounds = tuple[float, float, float, float]


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
        rows, cols = self.data.shape
        return (rows, cols)

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
        return self._valid_of(self.data)

    def _valid_of(self, arr: np.ndarray) -> np.ndarray:
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

    def window_as_float(self, rows: slice, cols: slice) -> np.ndarray:
        """:meth:`as_float` of the cells ``data[rows, cols]`` only (a new array, the same values).

        For a few cells of a large raster (a scheme's parcels, one intake) without
        converting and masking the whole grid.
        """
        sub = self.data[rows, cols]
        out = sub.astype("float64", copy=True)
        out[~self._valid_of(sub)] = np.nan
        return out

    def require_projected(self) -> None:
        """Raise :class:`CRSError` unless the raster's CRS is projected in metres."""
        if self.crs is None:
            raise CRSError(
                "the raster has no CRS",
                source=self.source or "raster",
                hint="assign one, e.g. with gdal_edit.py -a_srs EPSG:32647",
            )
        from landuse.crs import is_projected  # deferred: imports pyproj, which a DEM in metres never needs

        if not is_projected(self.crs):
            raise CRSError(
                f"the raster is in a geographic CRS ({self.crs.to_string()}); cell sizes in "
                "degrees cannot be used as metres",
                source=self.source or "raster",
                hint="reproject it first, e.g. gdalwarp -t_srs EPSG:32647 in.tif out.tif",
            )

    # -- display ----------------------------------------------------------------
    def _crs_text(self) -> str:
        if self.crs is None:
            return "none"
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else (self.crs.name or "custom")

    def __repr__(self) -> str:
        """One line: shape, dtype, CRS, cell size and source (never the array)."""
        rows, cols = self.shape
        xres, yres = self.res
        src = f", source={self.source!r}" if self.source else ""
        return (f"Raster({rows} x {cols} {self.data.dtype}, {self._crs_text()}, "
                f"res {xres:g} x {yres:g}, nodata={self.nodata!r}{src})")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: grid, CRS, bounds, value range and a small preview."""
        rows, cols = self.shape
        xres, yres = self.res
        left, bottom, right, top = self.bounds
        ok = self.valid
        n_ok = int(ok.sum())
        if n_ok and np.issubdtype(self.data.dtype, np.number):
            vals = self.data[ok]
            stats = f"{vals.min():.6g} / {vals.mean():.6g} / {vals.max():.6g}"
        else:
            stats = "no data"
        figures = [
            ("ຂະໜາດ (ແຖວ x ຖັນ)", "shape (rows x columns)", f"{rows} x {cols}"),
            ("ລະບົບພິກັດ", "CRS", self._crs_text()),
            ("ຄວາມລະອຽດ", "resolution", f"{xres:g} x {yres:g}"),
            ("ຂອບເຂດ", "bounds (left, bottom, right, top)",
             f"{left:.10g}, {bottom:.10g}, {right:.10g}, {top:.10g}"),
            ("ບໍ່ມີຂໍ້ມູນ", "nodata", self.nodata),
            ("ປະເພດຂໍ້ມູນ", "dtype", self.data.dtype),
            ("ຕໍ່າສຸດ / ສະເລ່ຍ / ສູງສຸດ", "min / mean / max", stats),
            ("ຕາລາງທີ່ມີຂໍ້ມູນ", "valid cells", f"{n_ok} of {rows * cols}"),
        ]
        if self.source:
            figures.append(("ແຫຼ່ງຂໍ້ມູນ", "source", self.source))
        uri = thumbnail_uri(self.data, valid=ok) if n_ok and np.issubdtype(self.data.dtype, np.number) else None
        return figures_html(figures, title="Raster", title_lo="ຮາສເຕີ", image_uri=uri)

    # -- construction ---------------------------------------------------------
    @classmethod
    def from_any(cls, obj: Any, *, band: int = 1) -> Raster:
        """Coerce a rasterio dataset, ``(array, transform[, crs[, nodata]])`` or Raster.

        Paths are not opened here: read files with :func:`read_dem` or
        :func:`read_raster`.
        """
        if isinstance(obj, Raster):
            return obj
        if isinstance(obj, (str, os.PathLike)):
            raise DataReadError(
                "a Raster is not built from a path",
                source=str(obj),
                hint="read the file with landuse.raster.read_dem or landuse.io.read_raster",
            )
        if hasattr(obj, "read") and hasattr(obj, "transform"):
            return cls(obj.read(band), obj.transform, obj.crs, obj.nodata, getattr(obj, "name", None))
        if isinstance(obj, tuple) and 2 <= len(obj) <= 4:
            return cls(*obj)
        raise DataReadError(
            f"cannot use an object of type {type(obj).__name__} as a raster",
            hint="pass a file path, a rasterio dataset, a landuse.raster.Raster or "
            "a tuple (array, transform, crs, nodata)",
        )


#: A raster source :func:`read_dem` accepts: a path, an open rasterio dataset, a
#: :class:`Raster` or an ``(array, transform[, crs[, nodata]])`` tuple.
RasterSource = Union[str, "os.PathLike[str]", Raster, "DatasetReader", tuple[Any, ...]]


def _window(ds: Any, bounds: Bounds, buffer_cells: int) -> Any:
    """The window of *ds* covering *bounds* plus *buffer_cells* on every side, or None.

    None means "read everything": the grid is rotated (windows are not defined) or the
    bounds do not overlap it at all.
    """
    from rasterio.windows import Window, WindowError, from_bounds

    t = ds.transform
    if abs(t.b) > 1e-12 or abs(t.d) > 1e-12:
        return None
    win = from_bounds(*bounds, transform=t)
    win = win.round_offsets(op="floor").round_lengths(op="ceil")
    win = Window(win.col_off - buffer_cells, win.row_off - buffer_cells,
                 win.width + 2 * buffer_cells + 1, win.height + 2 * buffer_cells + 1)
    try:
        win = win.intersection(Window(0, 0, ds.width, ds.height))
    except WindowError:
        return None
    return Window(int(win.col_off), int(win.row_off), int(win.width), int(win.height))


def _read_dataset(ds: Any, *, band: int, bounds: Bounds | None, buffer_cells: int,
                  name: str | None) -> Raster:
    """One band of an open rasterio dataset, windowed to *bounds* when given."""
    if band < 1 or band > ds.count:
        raise DataReadError(
            f"band {band} requested but the raster has {ds.count} band(s)",
            source=name or "raster", hint=f"use band 1..{ds.count}",
        )
    win = None if bounds is None else _window(ds, bounds, buffer_cells)
    if win is None:
        return Raster(ds.read(band), ds.transform, ds.crs, ds.nodata, name)
    t = ds.transform
    wt = Affine(t.a, 0.0, t.c + win.col_off * t.a, 0.0, t.e, t.f + win.row_off * t.e)
    return Raster(ds.read(band, window=win), wt, ds.crs, ds.nodata, name)


def read_raster(path: str | os.PathLike[str], *, band: int = 1, bounds: Bounds | None = None,
                buffer_cells: int = 0) -> Raster:
    """Read one band of a GeoTIFF (or any GDAL raster) into a :class:`Raster`.

    Parameters
    ----------
    path : path-like
        The raster file.
    band : int, default 1
        Band to read (1-based).
    bounds : (left, bottom, right, top), optional
        Read only the window covering these bounds [CRS units], plus *buffer_cells*
        cells on every side (and one more to the right and bottom, for partial cells).
        The whole raster when the bounds miss it or the grid is rotated.
    buffer_cells : int, default 0
        Margin around *bounds*. [cells]

    Returns
    -------
    Raster
        With ``source`` set to the file name.

    Raises
    ------
    DataReadError
        The file is missing, empty, unreadable or has no such band.
    """
    import rasterio  # deferred: GDAL bindings, only when a file is read

    path = Path(path)
    _validate.require_file(path, what="raster")
    try:
        with rasterio.open(path) as ds:
            return _read_dataset(ds, band=band, bounds=bounds, buffer_cells=buffer_cells,
                                 name=path.name)
    except DataReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; one uniform message
        raise DataReadError(
            f"cannot read the raster: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            source=str(path),
            hint="the file may be truncated, corrupt or not a raster; re-export it as GeoTIFF",
        ) from exc


def read_dem(dem: RasterSource, *, bounds: Bounds | None = None, buffer_cells: int = 0,
             band: int = 1) -> Raster:
    """Open a digital elevation model, whatever form it comes in.

    The one door for DEMs: every function and command that takes a DEM reads it here,
    then checks it with the DEM rules of ``landuse._validate.dem``.

    Parameters
    ----------
    dem : path, rasterio dataset, Raster or tuple
        A raster file, an open rasterio dataset, a :class:`Raster`, or
        ``(array, transform[, crs[, nodata]])``. Elevations in metres.
    bounds : (left, bottom, right, top), optional
        For a file or dataset, read only the window covering these bounds [CRS units]
        plus *buffer_cells* (a village on a province-wide DEM reads only its part).
        In-memory DEMs are returned whole.
    buffer_cells : int, default 0
        Margin around *bounds*. [cells]
    band : int, default 1
        Band holding the elevations (1-based).

    Returns
    -------
    Raster

    Raises
    ------
    DataReadError
        A missing or unreadable file, or an object that is not a raster.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> z = np.arange(16, dtype="float32").reshape(4, 4)
    >>> read_dem((z, Affine(20, 0, 500000, 0, -20, 2300000), "EPSG:32647")).shape
    (4, 4)
    """
    return as_raster(dem, band=band, bounds=bounds, buffer_cells=buffer_cells)


def as_raster(obj: RasterSource, *, band: int = 1, bounds: Bounds | None = None,
              buffer_cells: int = 0) -> Raster:
    """Any raster source as a :class:`Raster`: a file is read, a dataset read, a tuple wrapped.

    The same as :func:`read_dem` for rasters that are not elevations (a slope raster,
    a forest canopy map); see there for the parameters.
    """
    if isinstance(obj, (str, os.PathLike)):
        return read_raster(obj, band=band, bounds=bounds, buffer_cells=buffer_cells)
    if hasattr(obj, "read") and hasattr(obj, "transform") and hasattr(obj, "width"):
        return _read_dataset(obj, band=band, bounds=bounds, buffer_cells=buffer_cells,
                             name=getattr(obj, "name", None))
    return Raster.from_any(obj, band=band)
