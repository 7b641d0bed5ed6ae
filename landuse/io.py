"""Reading planners' inputs and writing outputs safely.

Readers accept GeoPackage, Shapefile, GeoJSON and FlatGeobuf for vector layers,
CSV and XLSX for tables and GeoTIFF for rasters. They map common aliases of column
names to the names of ``docs/data-contracts.md``, give ids a string type, and raise
a :class:`~landuse.errors.LanduseError` that names the file for anything they
cannot read. With ``validate=True`` (the default) they also check the content and
raise at the first fault; ``landuse check`` reads with ``validate=False`` and
reports every fault instead.

Writers are atomic (a temporary file in the same folder, then a rename) and never
overwrite an existing output unless ``overwrite=True``.

Examples
--------
>>> from landuse.datasets import get_path
>>> villages = read_villages(get_path("villages"))
>>> len(villages), villages.crs.to_epsg(), villages["village_id"].iloc[0]
(7, 32647, '0401015')
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from landuse import _validate
from landuse._validate.lazy import lazy_module
from landuse.errors import DataReadError, LanduseWarning, OutputExistsError, SchemaError
from landuse.raster import Raster, read_raster

# imported on first use: `landuse slope` goes through here without needing pandas
if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "ALIASES",
    "Record",
    "atomic_output",
    "atomic_write_bytes",
    "escape_cell",
    "read_climate",
    "read_histories",
    "read_households",
    "read_parcels",
    "read_raster",
    "read_table",
    "read_vector",
    "read_villages",
    "unescape_cell",
    "write_raster",
    "write_table",
    "write_vector",
]

#: Fixed timestamp GDAL writes into GeoPackages so that outputs are byte-for-byte reproducible.
FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"

#: Accepted aliases (lower case) of each contract column, per layer.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "villages": {
        "village_id": ("village_code", "vill_id", "villageid", "vid", "code", "id"),
        "name_en": ("village_en", "name_english", "villageengname", "name", "nameen"),
        "name_lo": ("village_lo", "name_lao", "villagelaoname", "namelo", "ຊື່ບ້ານ"),
        "district_en": ("district", "district_name"),
        "district_lo": ("district_name_lo",),
    },
    "parcels": {
        "parcel_id": ("plot_id", "parcel", "parcel_no", "parcelid", "id", "fid_parcel"),
        "village_id": ("village_code", "vill_id", "villageid", "vid"),
        "land_type": ("landtype", "land_use", "landuse", "type", "lu_type"),
        "household_id": ("holder_id", "hh_id", "householdid", "hhid", "owner_id", "household_"),
    },
    "households": {
        "household_id": ("hh_id", "householdid", "hhid", "id"),
        "village_id": ("village_code", "vill_id", "villageid", "vid"),
        "head_name": ("head", "holder", "head_of_household", "name"),
        "members": ("persons", "hh_size", "household_size", "size", "n_members"),
        "labour_units": ("labour", "labor_units", "labor", "workers", "lu", "labour_uni"),
    },
    "histories": {
        "plot_id": ("parcel_id", "plot", "id"),
        "year": ("yr", "season"),
        "status": ("state", "use", "landuse", "class"),
    },
    "climate": {
        "month": ("mon", "m"),
        "tmax_c": ("tmax", "t_max", "tx"),
        "tmin_c": ("tmin", "t_min", "tn"),
        "rh_mean_pct": ("rh", "rh_mean", "rhmean", "humidity", "rh_mean_pc"),
        "u2_m_s": ("u2", "wind", "wind_m_s", "u2_ms"),
        "sunshine_h": ("sunshine", "n_h", "sun_h", "sunshine_hours"),
        "rain_mm": ("rain", "precip_mm", "p_mm", "rainfall_mm", "precipitation"),
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "villages": ("village_id", "name_en", "name_lo"),
    "parcels": ("parcel_id", "village_id", "land_type"),
    "households": ("household_id", "village_id", "head_name", "members", "labour_units"),
    "histories": ("plot_id", "year", "status"),
    "climate": ("month", "tmax_c", "tmin_c", "rh_mean_pct", "u2_m_s", "sunshine_h", "rain_mm"),
}

#: Common spellings of parcel land types mapped to the contract vocabulary.
LAND_TYPE_ALIASES: dict[str, str] = {
    "rice": "paddy", "lowland": "paddy", "lowland_rice": "paddy", "paddy_field": "paddy",
    "rotational": "upland", "rotational_upland": "upland", "swidden": "upland",
    "shifting": "upland", "upland_rice": "upland",
    "orchard": "permanent", "garden": "permanent", "permanent_crops": "permanent",
    "plantation": "permanent", "agroforestry": "permanent",
    "pasture": "grazing", "grassland": "grazing", "livestock": "grazing",
    "settlement": "residential", "housing": "residential", "house": "residential",
}

_VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".fgb", ".zip"}
_ID_COLUMNS = ("village_id", "parcel_id", "household_id", "plot_id")


# -- helpers ---------------------------------------------------------------------------
def _normalise_columns(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rename alias columns to contract names (case-insensitive); never overwrite a column."""
    aliases = ALIASES.get(kind, {})
    lower = {str(c).lower().strip(): c for c in df.columns}
    rename: dict[Any, str] = {}
    for target, alts in aliases.items():
        if target in df.columns:
            continue
        if target in lower and lower[target] != target:
            rename[lower[target]] = target
            continue
        for alt in alts:
            if alt in lower and lower[alt] not in rename and lower[alt] not in aliases:
                rename[lower[alt]] = target
                break
    out = df.rename(columns=rename)
    for col in _ID_COLUMNS:
        if col in out.columns:
            out[col] = _as_id(out[col])
    return out


def _as_id(values: pd.Series) -> pd.Series:
    """Ids as strings; integral floats lose their '.0' (a common CSV/XLSX artefact)."""

    def fmt(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        # text and missing cells only (a CSV read as text): the same values, without a Python call per cell
        text = [str(v).strip() if isinstance(v, str) else None for v in values.tolist()]
        return pd.Series(text, index=values.index, dtype=object, name=values.name)
    return pd.Series([fmt(v) for v in values], index=values.index, dtype=object, name=values.name)


def _check_exists(path: Path, what: str) -> None:
    _validate.require_file(path, what=what)


def read_vector(path: str | os.PathLike, *, layer: str | int | None = None, what: str = "vector") -> Any:
    """Read any vector layer with pyogrio, turning GDAL failures into ``DataReadError``."""
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    _check_exists(path, what)
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        raise DataReadError(
            f"unsupported {what} file type {path.suffix!r}",
            source=str(path),
            hint="use GeoPackage (.gpkg), Shapefile (.shp), GeoJSON (.geojson) or FlatGeobuf (.fgb)",
        )
    try:
        gdf = _remembered(path, ("vector", layer), lambda: gpd.read_file(path, layer=layer, engine="pyogrio"))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataReadError(
            f"cannot read the {what} file: {str(exc).splitlines()[0]}",
            source=str(path),
            hint="the file may be truncated, corrupt or not a vector file; re-export it "
            "(and name the layer with layer=... for multi-layer GeoPackages)",
        ) from exc
    except Exception as exc:  # GDAL raises many types for corrupt files
        raise DataReadError(
            f"cannot read the {what} file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
            source=str(path),
            hint="the file may be truncated or corrupt; re-export it",
        ) from exc
    gdf.attrs["source"] = path.name if layer is None else f"{path.name}:{layer}"
    return _drop_z(gdf, path)


def _drop_z(gdf: Any, path: Path) -> Any:
    """Drop Z (3D) coordinates with a ``LanduseWarning`` naming the file; landuse plans in
    2D. The number of features changed is kept in ``gdf.attrs["z_dropped"]``."""
    import warnings

    import shapely

    if gdf.geometry.name not in gdf.columns or not len(gdf):
        return gdf
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    has_z = np.zeros(len(geoms), bool)
    has_z[present] = shapely.has_z(geoms[present])
    if not has_z.any():
        return gdf
    flat = geoms.copy()
    flat[has_z] = shapely.force_2d(geoms[has_z])
    out = gdf.set_geometry(type(gdf.geometry)(flat, index=gdf.index, crs=gdf.crs), crs=gdf.crs)
    out = out.rename_geometry(gdf.geometry.name) if out.geometry.name != gdf.geometry.name else out
    out.attrs = {**gdf.attrs, "z_dropped": int(has_z.sum())}
    warnings.warn(f"{path}: {int(has_z.sum())} features have Z (3D) coordinates; they were "
                  "dropped (landuse plans in 2D)", LanduseWarning, stacklevel=3)
    return out


_READ_ONCE: dict[tuple, Any] | None = None


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Within the block, :func:`read_table` and :func:`read_vector` parse each file once.

    A plan run reads every input twice (the check reads the raw files, then the readers
    map them): inside this block the second read gets a copy of what the first parsed.
    A file is known by its resolved path, size and modification time, so a file changed
    in between is read again; the copies are the caller's to change.
    """
    global _READ_ONCE
    outer = _READ_ONCE
    _READ_ONCE = {} if outer is None else outer
    try:
        yield
    finally:
        _READ_ONCE = outer


def _remembered(path: Path, what: tuple, read: Any) -> Any:
    """``read()``, or a copy of what it gave for the same file inside :func:`read_once`."""
    if _READ_ONCE is None:
        return read()
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns, *what)
    except OSError:
        return read()
    if key not in _READ_ONCE:
        _READ_ONCE[key] = read()
    return _READ_ONCE[key].copy()


def read_table(path: str | os.PathLike, *, what: str = "table", sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM) or an XLSX sheet.

    The ``'`` that :func:`write_table` puts before text starting with a formula
    character is removed (:func:`unescape_cell`), so a written table reads back equal.
    """
    path = Path(path)
    _check_exists(path, what)
    return _remembered(path, ("table", sheet), lambda: _read_table(path, what, sheet))


def _read_table(path: Path, what: str, sheet: str | int = 0) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=True)
        elif suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
        else:
            raise DataReadError(
                f"unsupported {what} file type {path.suffix!r}",
                source=str(path),
                hint="save the table as CSV (UTF-8) or XLSX",
            )
    except DataReadError:
        raise
    except UnicodeDecodeError as exc:
        raise DataReadError(
            f"the {what} file is not UTF-8 text",
            source=str(path),
            hint="save it as 'CSV UTF-8' so that Lao text survives",
        ) from exc
    except Exception as exc:
        raise DataReadError(
            f"cannot read the {what} file ({type(exc).__name__}: {exc})",
            source=str(path),
            hint="check that it is a valid CSV or XLSX file",
        ) from exc
    # a CSV without any ' has no escaped cell: its text columns need no look
    df = _unescape_frame(df, quotes=suffix not in (".csv", ".txt") or _holds_byte(path, b"'"))
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs["source"] = path.name
    return df


def _holds_byte(path: Path, byte: bytes) -> bool:
    """True when the file holds *byte* (an ASCII byte never occurs inside a UTF-8 sequence)."""
    import mmap

    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(byte) >= 0


def _finish(df: Any, kind: str, *, validate: bool, mapping: Any = None) -> Any:
    if mapping is not None:  # a landuse.check.InputMapping (a mapping file, docs/mapping.md)
        df = mapping.apply(df, kind)
    df = _normalise_columns(df, kind)
    src = df.attrs.get("source", kind)
    layer = f"{kind} ({src})" if src != kind else kind
    _validate.require_columns(df, REQUIRED[kind], layer=layer)
    df.attrs["layer"] = kind
    return df, layer


# -- readers ---------------------------------------------------------------------------
def read_villages(path: str | os.PathLike, *, layer: str | None = None, validate: bool = True,
                  mapping: Any = None) -> Any:
    """Read village boundaries: ``village_id``, ``name_en``, ``name_lo`` and Polygon geometries.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile, GeoJSON or FlatGeobuf.
    layer : str, optional
        Layer name inside a multi-layer file.
    validate : bool, default True
        Check CRS, geometries and ids and raise at the first fault.
    mapping : landuse.check.InputMapping, optional
        A mapping file's headers and values (docs/mapping.md), applied before anything
        else; every reader takes it.
    """
    gdf = read_vector(path, layer=layer, what="villages")
    gdf, name = _finish(gdf, "villages", validate=validate, mapping=mapping)
    if validate:
        _validate.require_crs(gdf, layer=name)
        _validate.require_unique(gdf, "village_id", layer=name)
        _validate.require_geom_types(gdf, ("Polygon", "MultiPolygon"), layer=name, id_column="village_id")
        _validate.require_valid_geometries(gdf, layer=name, id_column="village_id")
    return gdf


def normalise_land_types(values: pd.Series) -> pd.Series:
    """Lower-case land types and map common spellings to the contract vocabulary.

    >>> normalise_land_types(pd.Series(["Rice", "orchard", "upland", None])).tolist()
    ['paddy', 'permanent', 'upland', None]
    """

    def norm(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        key = str(v).strip().lower().replace(" ", "_").replace("-", "_")
        return LAND_TYPE_ALIASES.get(key, key)

    return pd.Series([norm(v) for v in values], index=values.index, dtype=object, name=values.name)


def read_parcels(path: str | os.PathLike, *, layer: str | None = None, validate: bool = True,
                 mapping: Any = None) -> Any:
    """Read land parcels: ``parcel_id``, ``village_id``, ``land_type`` (+ optional ``household_id``).

    ``land_type`` is lower-cased and common spellings (``rice``, ``orchard``,
    ``swidden``...) are mapped to the vocabulary ``paddy``, ``upland``, ``permanent``,
    ``grazing``, ``residential``, ``forest``, ``other``.
    """
    gdf = read_vector(path, layer=layer, what="parcels")
    gdf, name = _finish(gdf, "parcels", validate=validate, mapping=mapping)
    gdf["land_type"] = normalise_land_types(gdf["land_type"])
    if "household_id" not in gdf.columns:
        gdf["household_id"] = None
    if validate:
        _validate.require_crs(gdf, layer=name)
        _validate.require_unique(gdf, "parcel_id", layer=name)
        _validate.require_no_nulls(gdf, "land_type", layer=name, id_column="parcel_id")
        _validate.require_vocabulary(gdf, "land_type", _validate.LAND_TYPES, layer=name, id_column="parcel_id")
        _validate.require_geom_types(gdf, ("Polygon", "MultiPolygon"), layer=name, id_column="parcel_id")
        _validate.require_valid_geometries(gdf, layer=name, id_column="parcel_id")
    return gdf


def read_households(path: str | os.PathLike, *, sheet: str | int = 0, validate: bool = True,
                    mapping: Any = None) -> pd.DataFrame:
    """Read the household table (CSV or XLSX).

    Required: ``household_id``, ``village_id``, ``head_name``, ``members``, ``labour_units``.
    Lao names (UTF-8) are kept as they are.
    """
    df = read_table(path, what="households", sheet=sheet)
    df, name = _finish(df, "households", validate=validate, mapping=mapping)
    for col in ("members", "labour_units"):
        df[col] = pd.to_numeric(df[col], errors="coerce") if not validate else df[col]
    if validate:
        _validate.require_unique(df, "household_id", layer=name)
        _validate.require_no_nulls(df, "village_id", layer=name, id_column="household_id")
        df["members"] = _validate.require_numeric(df, "members", layer=name, id_column="household_id", min_value=1)
        df["labour_units"] = _validate.require_numeric(
            df, "labour_units", layer=name, id_column="household_id", min_value=0
        )
        over = df["labour_units"] > df["members"]
        if over.any():
            pos = int(np.flatnonzero(over.to_numpy())[0])
            raise SchemaError(
                f"labour_units {df['labour_units'].iloc[pos]:g} exceed members {df['members'].iloc[pos]:g}",
                source=name,
                feature_id=df["household_id"].iloc[pos],
                column="labour_units",
                hint="labour units count working members (adults 1.0, youths and elders 0.5)",
            )
    return df


def read_histories(path: str | os.PathLike, *, validate: bool = True, mapping: Any = None) -> pd.DataFrame:
    """Read plot cultivation histories: ``plot_id``, ``year``, ``status``.

    ``status`` is lower-cased; ``cultivated``, ``fallow`` and ``other`` are the
    vocabulary (``cropped`` and ``forest`` are accepted as aliases).
    """
    df = read_table(path, what="histories")
    df, name = _finish(df, "histories", validate=validate, mapping=mapping)
    df["status"] = per_distinct(df["status"], lambda s: (
        s.astype("string").str.strip().str.lower()
        .replace({"cropped": "cultivated", "crop": "cultivated", "forest": "other"})
        .astype(object)
    ))
    df["year"] = pd.to_numeric(df["year"], errors="coerce") if not validate else df["year"]
    if validate:
        df["year"] = _validate.require_numeric(df, "year", layer=name, id_column="plot_id",
                                               min_value=_validate.YEAR_MIN,
                                               max_value=_validate.year_max()).astype(int)
        _validate.require_vocabulary(df, "status", _validate.HISTORY_STATUSES, layer=name, id_column="plot_id")
    return df


def per_distinct(values: pd.Series, fn: Any) -> pd.Series:
    """``fn(values)`` for a text column, computed on its distinct values only.

    *fn* maps a Series to a Series of the same length, value by value (as ``.str``
    methods do). A text column (text and missing cells) is factorised, *fn* runs on the
    distinct texts and on one missing cell, and the results are spread back; any other
    column goes to *fn* whole (``1``, ``1.0`` and ``True`` would count as one value).
    A column of 5.4 million history rows holds three statuses.
    """
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return fn(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = values[values.isna()].iloc[:1]
    done = fn(pd.Series([*uniques.tolist(), *missing.tolist()], dtype=object))
    out = done.iloc[np.where(codes < 0, len(uniques), codes)] if len(missing) else done.iloc[codes]
    return pd.Series(out.to_numpy(), index=values.index, dtype=done.dtype, name=values.name)


def read_climate(path: str | os.PathLike, *, validate: bool = True, mapping: Any = None) -> pd.DataFrame:
    """Read monthly climate: ``month`` (1-12), ``tmax_c``, ``tmin_c``, ``rh_mean_pct``,
    ``u2_m_s``, ``sunshine_h``, ``rain_mm``; indexed by month."""
    df = read_table(path, what="climate")
    df, name = _finish(df, "climate", validate=validate, mapping=mapping)
    limits = {
        "month": (1, 12), "tmax_c": (-40, 60), "tmin_c": (-40, 60), "rh_mean_pct": (0, 100),
        "u2_m_s": (0, 40), "sunshine_h": (0, 24), "rain_mm": (0, 3000),
    }
    if validate:
        df["_month_label"] = [f"month {m}" for m in df["month"].astype(str).str.strip()]
    for col, (lo, hi) in limits.items():
        if validate:
            df[col] = _validate.require_numeric(df, col, layer=name, id_column="_month_label",
                                                min_value=lo, max_value=hi)
        else:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    if validate:
        bad = df["tmin_c"] > df["tmax_c"]
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(
                f"tmin_c {df['tmin_c'].iloc[pos]} is above tmax_c {df['tmax_c'].iloc[pos]}",
                source=name, feature_id=f"month {int(df['month'].iloc[pos])}", column="tmin_c",
                hint="swap the columns or correct the values",
            )
        _validate.require_unique(df, "month", layer=name)
        df = df.drop(columns="_month_label")
    df["month"] = df["month"].astype(int)
    return df.set_index("month", drop=False).sort_index()


# -- typed records ---------------------------------------------------------------------
class Record(dict):
    """Base of typed results that writers serialise: a dataclass that is also its own dict.

    Subclasses are frozen dataclasses (``@dataclass(frozen=True, eq=False)``); their
    fields are read as attributes (``summary.area_ha``) and, in field order, as dict
    items (``summary["area_ha"]``). Because a record *is* a dict, writers that turn it
    into JSON, CSV or report rows produce the same bytes as for the plain dict it
    replaces; ``dataclasses.asdict(record)`` gives the same items. Do not mutate the
    items: the attributes would no longer agree.
    """

    def __post_init__(self) -> None:
        dict.__init__(self, ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self)))  # type: ignore[arg-type]


# -- writers ---------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, overwrite: bool = False, copy_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to *path*; on success rename it over *path*.

    Nothing half-written is ever left at *path*: on error the temporary file is removed.

    Parameters
    ----------
    path : path-like
        Final output file.
    overwrite : bool, default False
        Replace an existing *path*; otherwise raise :class:`OutputExistsError`.
    copy_existing : bool, default False
        Start from a copy of the existing file (to add a layer to a GeoPackage).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_output(out) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> out.read_text()
    'hello'
    >>> with atomic_output(out) as tmp:  # doctest: +IGNORE_EXCEPTION_DETAIL
    ...     pass
    Traceback (most recent call last):
    landuse.errors.OutputExistsError: ...
    """
    path = Path(path)
    if path.exists() and not overwrite and not copy_existing:
        raise OutputExistsError(
            "the output exists already",
            source=str(path),
            hint="choose another path, delete it, or pass overwrite=True (--overwrite)",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    if copy_existing and path.exists():
        shutil.copy2(path, tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            if leftover.exists():
                leftover.unlink()


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = False) -> Path:
    """Write *data* to *path* atomically: what :func:`atomic_output` does, in about four
    system calls instead of twelve, for the many small files of a province run
    (certificates, household sheets, print maps).

    A temporary ``.<stem>.<pid>.tmp<suffix>`` beside *path* is created exclusively (mode
    0600, as ``mkstemp``'s), written in one call and renamed over *path*: nothing
    half-written is ever at *path*, and on any error the temporary file is removed. If
    that name is taken (or the folder is missing), :func:`atomic_output` writes the file.

    Parameters
    ----------
    path : path-like
        Final output file.
    data : bytes
        The whole content.
    overwrite : bool, default False
        Replace an existing *path*; otherwise raise :class:`OutputExistsError`.

    Returns
    -------
    pathlib.Path
        *path*.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.pdf"
    >>> atomic_write_bytes(out, b"%PDF") == out, out.read_bytes()
    (True, b'%PDF')
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise OutputExistsError(
            "the output exists already",
            source=str(path),
            hint="choose another path, delete it, or pass overwrite=True (--overwrite)",
        )
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        with atomic_output(path, overwrite=overwrite) as other:
            other.write_bytes(data)
        return path
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _gpkg_layers(path: Path) -> list[str]:
    import pyogrio

    try:
        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - unreadable file: treat as no layers
        return []


def write_vector(gdf: Any, path: str | os.PathLike, *, layer: str | None = None, overwrite: bool = False) -> Path:
    """Write a GeoDataFrame atomically (GeoPackage, GeoJSON, FlatGeobuf, Shapefile).

    For a GeoPackage, *layer* (default: the file name's stem) is added to an existing
    file; an existing layer of the same name is replaced only with ``overwrite=True``.
    A Shapefile is written with all its side files (``.shx``, ``.dbf``, ``.prj``,
    ``.cpg``) into a temporary folder and moved into place together. Timestamps are fixed
    and FlatGeobuf keeps the feature order (no spatial index), so the same data give the
    same bytes.
    """
    import pyogrio

    path = Path(path)
    suffix = path.suffix.lower()
    is_gpkg = suffix == ".gpkg"
    if is_gpkg and layer is None:
        layer = path.stem
    add_layer = is_gpkg and path.exists()
    if add_layer and overwrite and set(_gpkg_layers(path)) <= {layer}:
        add_layer = False  # replacing the only layer: write afresh, so a rerun gives the same bytes
    if add_layer and layer in _gpkg_layers(path) and not overwrite:
        raise OutputExistsError(
            f"layer {layer!r} exists already",
            source=str(path),
            hint="pass overwrite=True (--overwrite) to replace it",
        )
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    kwargs: dict[str, Any] = {"engine": "pyogrio"}
    if is_gpkg:
        kwargs["layer"] = layer
        kwargs["layer_options"] = {"OVERWRITE": "YES"} if add_layer else {}
    elif suffix == ".fgb":
        kwargs["layer_options"] = {"SPATIAL_INDEX": "NO"}
    if suffix == ".shp":
        return _write_shapefile(gdf, path, overwrite=overwrite, **kwargs)
    with atomic_output(path, overwrite=overwrite or add_layer, copy_existing=add_layer) as tmp:
        gdf.to_file(tmp, **kwargs)
    return path


_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


def _write_shapefile(gdf: Any, path: Path, *, overwrite: bool, **kwargs: Any) -> Path:
    """Write a Shapefile into a temporary folder, then move every part into place."""
    existing = [path.with_suffix(s) for s in _SHP_PARTS if path.with_suffix(s).exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            "the output exists already",
            source=str(path),
            hint="choose another path, delete it, or pass overwrite=True (--overwrite)",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    try:
        gdf.to_file(tmpdir / path.name, encoding="utf-8", **kwargs)
        for old in existing:
            old.unlink()
        for part in sorted(tmpdir.iterdir()):
            os.replace(part, path.parent / part.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return path


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Make a text cell inert in a spreadsheet: prefix ``'`` to text that could start a formula.

    A string whose first character, after any run of ``'``, is one of
    :data:`FORMULA_TRIGGERS` gets one more leading ``'``, as the OWASP guidance on
    CSV injection recommends; numbers and every other value pass unchanged, so a
    negative number stays a number. Counting the run of ``'`` makes the escape
    exactly reversible by :func:`unescape_cell`, also for text that already began
    with ``'=``.

    References
    ----------
    .. [1] OWASP Foundation, "CSV Injection".
       https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> escape_cell("=HYPERLINK(1)"), escape_cell("-5"), escape_cell(-5), escape_cell("ບຸນມີ")
    ("'=HYPERLINK(1)", "'-5", -5, 'ບຸນມີ')
    >>> unescape_cell(escape_cell("'@x")) == "'@x"
    True
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell`: drop the one ``'`` it added, leave everything else."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _text_starting(s: pd.Series, prefixes: tuple[str, ...]) -> np.ndarray | None:
    """Mask of the cells of *s* that start with one of *prefixes*, when *s* holds text and
    missing cells only; None for any other column (mapped cell by cell as before, which
    also lets pandas infer its dtype)."""
    if pd.api.types.infer_dtype(s, skipna=True) != "string":
        return None
    # the first character of every cell, cast in C (missing cells give 'n', 'N' or '<',
    # none of them a prefix here; every prefix is one character): far faster than a
    # Python call per cell
    if not prefixes:
        return np.zeros(len(s), dtype=bool)
    return np.isin(s.to_numpy(dtype=object).astype("U1"), list(prefixes))


def _escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of *df* whose text cells, column names and index labels are escaped."""
    out = df.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            s = s.astype(object)
            risky = _text_starting(s, ("'", *FORMULA_TRIGGERS))  # the only cells escape_cell may change
            if risky is None:
                s = s.map(escape_cell, na_action="ignore")
            elif risky.any():
                s = s.copy()
                s[risky] = s[risky].map(escape_cell)
            out.isetitem(i, s)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out.isetitem(i, s.cat.rename_categories([escape_cell(c) for c in s.cat.categories]))
    out.columns = [escape_cell(c) for c in out.columns]
    if isinstance(out.index, pd.MultiIndex):
        out.index = out.index.set_levels([lev.map(escape_cell) for lev in out.index.levels])
    else:
        out.index = out.index.map(escape_cell)
        out.index.name = escape_cell(df.index.name)
    return out


def _unescape_frame(df: pd.DataFrame, *, quotes: bool = True) -> pd.DataFrame:
    """Undo :func:`_escape_frame` on a table just read (text cells and column names).

    ``quotes=False`` says that no cell holds a ``'`` (so no text cell changes).
    """
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if s.dtype == object:
            quoted = _text_starting(s, ("'",) if quotes else ())  # the only cells unescape_cell may change
            if quoted is None:
                df.isetitem(i, s.map(unescape_cell, na_action="ignore"))
            elif quoted.any():
                s = s.copy()
                s[quoted] = s[quoted].map(unescape_cell)
                df.isetitem(i, s)
    df.columns = [unescape_cell(c) for c in df.columns]
    return df


def write_table(df: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = False,
                sheet_name: str = "table", index: bool = False) -> Path:
    """Write a table atomically as CSV (UTF-8, ``\\n`` line ends) or XLSX.

    No cell can become a formula: text that starts with ``=``, ``+``, ``-``, ``@``,
    tab or CR gets a leading ``'`` (:func:`escape_cell`; :func:`read_table` removes
    it again), numbers stay numbers, and XLSX text cells are stored as strings.
    """
    path = Path(path)
    safe = _escape_frame(df)
    with atomic_output(path, overwrite=overwrite) as tmp:
        if path.suffix.lower() == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                safe.to_excel(writer, sheet_name=sheet_name[:31], index=index)
                writer.book.properties.creator = "landuse"
                for ws in writer.book.worksheets:
                    _cells_as_text(ws)
            _freeze_xlsx(tmp)
        else:
            # Python < 3.12 leaves a bare CR unquoted, which splits the row in every
            # reader: quote all text fields when any cell holds one
            has_cr = any(isinstance(v, str) and "\r" in v
                         for v in [*safe.columns, *safe.index.names, *safe.to_numpy(dtype=object).ravel(),
                                   *(safe.index.to_flat_index() if index else [])])
            safe.to_csv(tmp, index=index, encoding="utf-8", lineterminator="\n",
                        quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL)
    return path


def _cells_as_text(ws: Any) -> None:
    """Store every text cell of an openpyxl worksheet with data type string, never formula."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def _freeze_xlsx(path: Path) -> None:
    """Make an XLSX file reproducible: fixed document dates and fixed zip entry times."""
    import re
    import zipfile

    stamp = "2000-01-01T00:00:00Z"
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              lambda m: m.group(1) + stamp.encode() + m.group(2), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def write_raster(data: np.ndarray | Raster, path: str | os.PathLike, *, transform: Any = None, crs: Any = None,
                 nodata: float | None = None, overwrite: bool = False,
                 creation_options: Mapping[str, Any] | None = None) -> Path:
    """Write a 2-D array (or a :class:`Raster`) atomically as a tiled, compressed GeoTIFF."""
    import rasterio

    if isinstance(data, Raster):
        transform = data.transform if transform is None else transform
        crs = data.crs if crs is None else crs
        nodata = data.nodata if nodata is None else nodata
        data = data.data
    arr = np.asarray(data)
    rows, cols = arr.shape
    profile: dict[str, Any] = {
        "driver": "GTiff", "height": rows, "width": cols, "count": 1, "dtype": arr.dtype,
        "transform": transform, "crs": crs, "nodata": nodata, "compress": "deflate",
    }
    if rows >= 256 and cols >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    profile.update(creation_options or {})
    with atomic_output(Path(path), overwrite=overwrite) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(arr, 1)
    return Path(path)
