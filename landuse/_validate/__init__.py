"""Input validation at the boundary of public functions (private).

All checks of user inputs live here so that every public function reports bad
input the same way: a :class:`~landuse.errors.LanduseError` subclass naming the
layer, the feature, the column, what was found and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from landuse._validate.lazy import lazy_module
from landuse.errors import CRSError, DataReadError, GeometryError, IrrigationError, SchemaError

# imported on first use: `landuse slope` goes through here without needing pandas
if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

#: Land-type vocabulary of parcels (``docs/data-contracts.md``).
LAND_TYPES = ("paddy", "upland", "permanent", "grazing", "residential", "forest", "other")
#: Status vocabulary of plot cultivation histories.
HISTORY_STATUSES = ("cultivated", "fallow", "other")
#: Earliest plausible year of a cultivation history (remembered in village meetings).
YEAR_MIN = 1950


def year_max() -> int:
    """Latest plausible year of a history: next year (a season may be planned ahead)."""
    import datetime

    return datetime.date.today().year + 1


def layer_name(obj: Any, default: str) -> str:
    """Return the name used in messages: the source file if known, else *default*."""
    attrs = getattr(obj, "attrs", None) or {}
    src = attrs.get("source")
    return f"{default} ({src})" if src else default


def require_file(path: Path, *, what: str) -> None:
    """Raise ``DataReadError`` unless *path* exists and, if a file, is not empty."""
    if not path.exists():
        raise DataReadError(
            f"{what} file not found",
            source=str(path),
            hint="check the path (relative paths start from the current folder)",
        )
    if path.is_file() and path.stat().st_size == 0:
        raise DataReadError(f"the {what} file is empty", source=str(path), hint="re-export the file")


def check_option(value: Any, allowed: Iterable[Any], *, name: str) -> Any:
    """Return *value* if it is one of *allowed*, else raise ``ValueError`` listing them."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise SchemaError(
            f"{name}={value!r} is not a valid option",
            hint=f"use one of {', '.join(repr(a) for a in allowed)}",
        )
    return value


def require_geodataframe(obj: Any, *, layer: str) -> None:
    """Raise ``SchemaError`` unless *obj* is a GeoDataFrame with an active geometry."""
    import geopandas as gpd

    if not isinstance(obj, gpd.GeoDataFrame):
        raise SchemaError(
            f"expected a GeoDataFrame, got {type(obj).__name__}",
            source=layer,
            hint="read the layer with landuse.io or geopandas.read_file",
        )
    try:
        obj.geometry  # noqa: B018 - raises when there is no active geometry column
    except AttributeError as exc:
        raise SchemaError(
            "the GeoDataFrame has no active geometry column",
            source=layer,
            hint="call .set_geometry('<column>') first",
        ) from exc


def require_crs(gdf: Any, *, layer: str) -> None:
    """Raise ``CRSError`` if *gdf* has no CRS."""
    if getattr(gdf, "crs", None) is None:
        raise CRSError(
            "the layer has no coordinate reference system",
            source=layer,
            hint="set it with gdf.set_crs('EPSG:32647') if the coordinates are UTM 47N, "
            "or fix the file's .prj / metadata",
        )


def require_projected(gdf: Any, *, layer: str) -> None:
    """Raise ``CRSError`` unless *gdf* has a projected CRS (metres)."""
    require_crs(gdf, layer=layer)
    crs = gdf.crs
    if not crs.is_projected:
        raise CRSError(
            f"the layer is in a geographic CRS ({crs.to_string()}); areas, lengths and "
            "slopes need a projected CRS in metres",
            source=layer,
            hint="reproject with landuse.crs.to_projected(gdf) (UTM 47N, EPSG:32647, "
            "for Oudomxay)",
        )
    unit = (crs.axis_info[0].unit_name or "").lower() if crs.axis_info else "metre"
    if unit not in ("metre", "meter", "m"):
        raise CRSError(
            f"the layer's CRS uses {unit!r} units; landuse measures in metres",
            source=layer,
            hint="reproject to a metric CRS such as UTM (landuse.crs.to_projected)",
        )


def require_same_crs(layers: Mapping[str, Any]) -> None:
    """Raise ``CRSError`` if the named layers (GeoDataFrames or rasters) differ in CRS."""
    from pyproj import CRS

    items = [(name, getattr(obj, "crs", None)) for name, obj in layers.items() if obj is not None]
    if len(items) < 2:
        return
    name0, crs0 = items[0]
    for name, crs in items[1:]:
        if crs0 is None or crs is None:
            continue
        if not CRS.from_user_input(crs0).equals(CRS.from_user_input(crs), ignore_axis_order=True):
            raise CRSError(
                f"layer {name!r} is in {CRS.from_user_input(crs).to_string()} but layer "
                f"{name0!r} is in {CRS.from_user_input(crs0).to_string()}; layers with "
                "different CRSs are never combined silently",
                source=name,
                hint=f"reproject {name!r} with .to_crs({CRS.from_user_input(crs0).to_string()!r})",
            )


def require_columns(df: pd.DataFrame, required: Sequence[str], *, layer: str) -> None:
    """Raise ``SchemaError`` naming the first missing column and the columns found."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = ", ".join(map(str, [c for c in df.columns if c != "geometry"])) or "none"
        raise SchemaError(
            f"required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} missing (found: {found})",
            source=layer,
            column=missing[0],
            hint="add the column, or rename the source column to it "
            "(docs/data-contracts.md lists the accepted aliases)",
        )


def require_unique(df: pd.DataFrame, column: str, *, layer: str) -> None:
    """Raise ``SchemaError`` if *column* has duplicate values."""
    dup = df[column][df[column].duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise SchemaError(
            f"id {first!r} occurs {int((df[column] == first).sum())} times "
            f"({dup.nunique()} duplicated ids in all)",
            source=layer,
            feature_id=first,
            column=column,
            hint="give every feature a unique id",
        )


def require_no_nulls(df: pd.DataFrame, column: str, *, layer: str, id_column: str | None = None) -> None:
    """Raise ``SchemaError`` naming the first row whose *column* is empty."""
    null = df[column].isna()
    if null.any():
        pos = int(np.flatnonzero(null.to_numpy())[0])
        fid = df[id_column].iloc[pos] if id_column and id_column in df else f"row {pos + 1}"
        raise SchemaError(
            f"{int(null.sum())} empty value(s)",
            source=layer,
            feature_id=fid,
            column=column,
            hint="fill in the value",
        )


def require_vocabulary(
    df: pd.DataFrame, column: str, allowed: Iterable[str], *, layer: str, id_column: str | None = None
) -> None:
    """Raise ``SchemaError`` naming the first value of *column* not in *allowed*."""
    allowed = tuple(allowed)
    values = df[column]
    bad = ~values.isin(allowed)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        fid = df[id_column].iloc[pos] if id_column and id_column in df else f"row {pos + 1}"
        raise SchemaError(
            f"value {values.iloc[pos]!r} is not allowed ({int(bad.sum())} such rows)",
            source=layer,
            feature_id=fid,
            column=column,
            hint=f"use one of {', '.join(allowed)}",
        )


def require_numeric(
    df: pd.DataFrame,
    column: str,
    *,
    layer: str,
    id_column: str | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    allow_null: bool = False,
) -> pd.Series:
    """Return *column* as float, raising ``SchemaError`` for text or out-of-range values."""
    raw = df[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & (raw.notna() | (not allow_null))
    if min_value is not None:
        bad |= values < min_value
    if max_value is not None:
        bad |= values > max_value
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        fid = df[id_column].iloc[pos] if id_column and id_column in df else f"row {pos + 1}"
        rng = []
        if min_value is not None:
            rng.append(f">= {min_value}")
        if max_value is not None:
            rng.append(f"<= {max_value}")
        raise SchemaError(
            f"value {raw.iloc[pos]!r} is not a number{' ' + ' and '.join(rng) if rng else ''}",
            source=layer,
            feature_id=fid,
            column=column,
            hint="correct the value",
        )
    return values.astype(float)


def require_geom_types(gdf: Any, allowed: Iterable[str], *, layer: str, id_column: str | None = None) -> None:
    """Raise ``GeometryError`` for null, empty or wrongly typed geometries."""
    allowed = tuple(allowed)
    geoms = gdf.geometry
    null = geoms.isna().to_numpy() | geoms.is_empty.to_numpy()
    types = geoms.geom_type.to_numpy()
    wrong = ~null & ~np.isin(types, allowed)
    for mask, what in ((null, "empty or missing geometry"), (wrong, "wrong geometry type")):
        if mask.any():
            pos = int(np.flatnonzero(mask)[0])
            fid = gdf[id_column].iloc[pos] if id_column and id_column in gdf else f"row {pos + 1}"
            found = "" if what.startswith("empty") else f" {types[pos]}"
            raise GeometryError(
                f"{what}{found} ({int(mask.sum())} features); expected {' or '.join(allowed)}",
                source=layer,
                feature_id=fid,
                column=gdf.geometry.name,
                hint="remove the feature or redraw its geometry",
            )


def require_valid_geometries(gdf: Any, *, layer: str, id_column: str | None = None) -> None:
    """Raise ``GeometryError`` naming the first invalid geometry and GEOS's reason."""
    import shapely

    geoms = gdf.geometry.to_numpy()
    valid = shapely.is_valid(geoms)
    if not valid.all():
        pos = int(np.flatnonzero(~valid)[0])
        fid = gdf[id_column].iloc[pos] if id_column and id_column in gdf else f"row {pos + 1}"
        raise GeometryError(
            f"invalid geometry: {shapely.is_valid_reason(geoms[pos])} "
            f"({int((~valid).sum())} invalid features)",
            source=layer,
            feature_id=fid,
            hint="repair with gdf.make_valid() or in QGIS (Fix geometries)",
        )


# -- physical quantities (irrigation, canal) -------------------------------------------
def check_physical_range(
    name: str, value: Any, lo: float | None, hi: float | None, *, hint: str | None = None
) -> None:
    """Raise ``IrrigationError`` for NaN or out-of-range physical values (scalar, array or Series).

    The message names the quantity, the first bad value and, for a Series, its index
    label (for an array, its position).
    """

    if value is None:
        return
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= arr < lo
    if hi is not None:
        bad |= arr > hi
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        where = None
        if isinstance(value, pd.Series):
            where = value.index[pos]
        elif arr.size > 1:
            where = f"position {pos}"
        rng = " and ".join(
            s
            for s in (f">= {lo}" if lo is not None else "", f"<= {hi}" if hi is not None else "")
            if s
        )
        raise IrrigationError(
            f"{name} = {float(arr[pos])!r} is not a finite number {rng}".rstrip(),
            feature_id=where,
            column=name,
            hint=hint or f"correct {name}; it is physically impossible",
        )


def check_tmin_tmax(tmax_c: Any, tmin_c: Any) -> None:
    """Raise ``IrrigationError`` for temperatures outside -60..60 °C or tmin above tmax."""

    check_physical_range("tmax_c", tmax_c, -60.0, 60.0)
    check_physical_range("tmin_c", tmin_c, -60.0, 60.0)
    tmax, tmin = np.broadcast_arrays(np.atleast_1d(np.asarray(tmax_c, dtype=float)), np.atleast_1d(np.asarray(tmin_c, dtype=float)))
    bad = tmin > tmax
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        idx = (
            tmin_c.index[pos]
            if isinstance(tmin_c, pd.Series)
            else (
                tmax_c.index[pos]
                if isinstance(tmax_c, pd.Series)
                else (f"position {pos}" if bad.size > 1 else None)
            )
        )
        raise IrrigationError(
            f"tmin_c {tmin[pos]:g} is above tmax_c {tmax[pos]:g}",
            feature_id=idx,
            column="tmin_c",
            hint="swap the columns or correct the values",
        )


def check_latitude(lat_deg: Any) -> None:
    """Raise ``IrrigationError`` for a latitude outside ±90° (or NaN)."""
    check_physical_range(
        "lat_deg",
        lat_deg,
        -90.0,
        90.0,
        hint="give the latitude in degrees, -90 to 90, positive north",
    )


def check_day_of_year(doy: Any) -> None:
    """Raise ``IrrigationError`` for a day of the year outside 1..366 (or NaN)."""
    check_physical_range("doy", doy, 1, 366, hint="give the day of the year, 1 to 366")


def check_lower_bound(
    name: str, value: Any, lo: float, *, strict: bool = True, hint: str | None = None
) -> None:
    """Raise ``IrrigationError`` unless every value is finite and above (or, not *strict*, at least) *lo*."""

    arr = np.atleast_1d(np.asarray(value, dtype=float))
    bad = ~np.isfinite(arr) | ((arr <= lo) if strict else (arr < lo))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        op = ">" if strict else ">="
        raise IrrigationError(
            f"{name} = {float(arr[pos])!r} must be a finite number {op} {lo:g}",
            column=name,
            feature_id=f"position {pos}" if arr.size > 1 else None,
            hint=hint or f"correct {name}",
        )
