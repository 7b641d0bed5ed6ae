"""Shared plumbing of :mod:`landuse.check` (private): codes, the report, small checks."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from landuse._validate.ids import ID_FIX, unsafe_reason
from landuse.check._fixes import UNKNOWN_TARGET, qgis_fix
from landuse.errors import SchemaError
from landuse.io import ALIASES

__all__ = ["near_id"]

#: Severities in order of importance.
SEVERITIES = ("error", "warning", "info")

#: Every code ``landuse check`` can report, with what it means.
CODES: dict[str, str] = {
    "FILE_NOT_FOUND": "an input file does not exist",
    "FILE_UNREADABLE": "an input file is empty, truncated, corrupt or of the wrong type",
    "LAYER_EMPTY": "an input layer or table has no features or rows",
    "COLUMN_MISSING": "a required column is missing (after mapping aliases)",
    "CRS_MISSING": "a layer or raster has no coordinate reference system",
    "CRS_GEOGRAPHIC": "a layer or raster is in a geographic CRS (degrees); measuring needs metres",
    "CRS_NOT_METRIC": "a projected CRS whose unit is not the metre",
    "CRS_MISMATCH": "layers are in different CRSs",
    "GEOM_EMPTY": "a feature has an empty or missing geometry",
    "GEOM_TYPE": "a feature has the wrong geometry type (e.g. a point where a polygon is needed)",
    "GEOM_INVALID": "a geometry is invalid (self-intersection, bad ring...)",
    "GEOM_SLIVER": "a degenerate feature: area below 1 m² or mean width (2·area/perimeter) below 0.5 m",
    "GEOM_Z": "features with Z (3D) coordinates; they are read in 2D",
    "COORD_RANGE": "coordinates outside the UTM zone's valid range or far (> 200 km) from the district",
    "ID_MISSING": "a feature has no id",
    "ID_DUPLICATE": "an id occurs more than once",
    "ID_UNSAFE": "an id that cannot safely become a file name or link (see 'Ids')",
    "LAND_TYPE_UNKNOWN": "a parcel's land_type is empty or not in the vocabulary",
    "STATUS_UNKNOWN": "a history row's status is not cultivated, fallow or other",
    "HISTORY_UNKNOWN_PLOT": "a history row's plot_id is not a parcel_id of the parcels layer",
    "PARCEL_OVERLAP": "two parcels overlap",
    "PARCEL_OUTSIDE_VILLAGE": "a parcel lies outside its village's territory",
    "PARCEL_CROSSES_VILLAGE": "a parcel crosses its village's boundary",
    "GAP": "a hole enclosed by parcels, claimed by none",
    "SLIVER": "a thin unclaimed strip between parcels or along the village boundary",
    "VILLAGE_OVERLAP": "two village territories overlap",
    "PARCEL_UNKNOWN_VILLAGE": "a parcel's village_id is empty or not in the villages layer",
    "PARCEL_UNKNOWN_HOUSEHOLD": "a parcel's household_id is not in the households table",
    "HOUSEHOLD_UNKNOWN_VILLAGE": "a household's village_id is empty or not in the villages layer",
    "VALUE_MISSING": "a required value is empty",
    "VALUE_NOT_NUMBER": "a value that must be a number is text",
    "VALUE_NEGATIVE": "a value that cannot be negative is (areas, labour units, slopes)",
    "VALUE_RANGE": "a value outside its possible range (members < 1, month 13, RH > 100 %...)",
    "LABOUR_GT_MEMBERS": "a household has more labour units than members",
    "TMIN_GT_TMAX": "a month's minimum temperature is above its maximum",
    "CLIMATE_MONTHS": "the climate table does not have each month 1-12 exactly once",
    "AREA_MISMATCH": "a declared area_ha differs from the area of the geometry",
    "TEXT_ENCODING": "Lao text that looks garbled (read with the wrong encoding) or is not Lao",
    "RASTER_EMPTY": "a raster holds nodata only",
    "RASTER_TOO_SMALL": "a DEM with fewer than 3 rows or columns (flow routing needs 3 x 3)",
    "RASTER_NOT_COVERING": "a raster does not cover a village",
    "RASTER_NODATA_HOLES": "nodata cells inside the villages (or parcels) covered by a DEM",
    "NODATA_UNDECLARED": "a DEM holds fill values (-9999, -32768, 0-filled borders) not declared as nodata",
    "DEM_RANGE": "DEM elevations outside the plausible range for Laos (-10..3,000 m)",
    "VALUE_IMPLAUSIBLE": "a possible but implausible value (members > 40, monthly wind > 10 m/s...)",
    "SUNSHINE_GT_DAYLENGTH": "monthly mean sunshine hours above the day length (FAO-56 eq. 34)",
    "SLOPE_LOOKS_PERCENT": "a slope raster declared in degrees holds percent values",
    "SLOPE_LOOKS_DEGREES": "a slope raster declared in percent matches the DEM's slope in degrees",
    "RULE_COLUMN_MISSING": "a column named by the entitlement rules (priority group) is not in the households",
    "LAYER_CHOSEN": "a GeoPackage holds several layers; which one was read",
    "CHECK_SKIPPED": "checks that could not run because of an earlier problem",
    "CHECK_FAILED": "a check failed unexpectedly on these data (the rest still ran)",
    "MAPPING_APPLIED": "what the mapping file renamed or mapped in a layer (and entries it did not use)",
    "MAPPING_CONFLICT": "a mapping file renames a header to a column the layer already has",
}

#: Columns of a findings table, in order.
FINDING_COLUMNS = ["severity", "code", "layer", "feature_id", "column", "value", "message", "fix",
                   "fix_qgis"]
_COLUMNS = FINDING_COLUMNS
_POLYGONAL = ("Polygon", "MultiPolygon")
_CLIMATE_LIMITS = {
    "tmax_c": (-40, 60),
    "tmin_c": (-40, 60),
    "rh_mean_pct": (0, 100),
    "u2_m_s": (0, 40),
    "sunshine_h": (0, 24),
    "rain_mm": (0, 3000),
}
#: Lao block of Unicode (U+0E80-U+0EFF).
_LAO = (0x0E80, 0x0EFF)


class _Report:
    """Collects rows; every message ends with the fix.

    ``target`` is the CRS every CRS fix advises (``"EPSG:32648"``; see :func:`_target_crs`),
    None while unknown.
    """

    def __init__(self, target: str | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.target = target

    def add(
        self, severity: str, code: str, layer: str, feature_id: Any, found: str, fix: str | None,
        *, column: str | None = None, value: Any = None, qgis: str | None = None,
    ) -> None:
        """Add one finding: *found* (what is wrong) and *fix* (Python / command line); the
        QGIS fix is *qgis* or the text of :data:`landuse.check._fixes.QGIS_FIXES`."""
        assert severity in SEVERITIES and code in CODES, (severity, code)
        msg = found.rstrip(".") + "."
        if fix:
            msg += f" Fix: {fix}"
        fid = None if feature_id is None else str(feature_id)
        shown = None if value is None or (isinstance(value, float) and value != value) else str(value)
        if qgis is None:
            qgis = qgis_fix(code, crs=self.target, layer=layer, column=column, value=shown)
        self.rows.append(
            {"severity": severity, "code": code, "layer": layer, "feature_id": fid,
             "column": column, "value": shown, "message": msg, "fix": fix or None, "fix_qgis": qgis}
        )

    @contextlib.contextmanager
    def guard(self, layer: str, what: str) -> Iterator[None]:
        """Turn an unexpected failure of one check into a ``CHECK_FAILED`` row."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - one failing check must not crash the audit
            first = str(exc).splitlines()[0] if str(exc) else ""
            self.add(
                "error",
                "CHECK_FAILED",
                layer,
                None,
                f"the {what} check could not run on these data ({type(exc).__name__}: {first})",
                "repair the geometries (gdf.make_valid(), QGIS 'Fix geometries') and run the "
                "check again; if it persists, report it to the landuse developers with the file",
            )

    def skipped(self, layer: str, what: str, why: str) -> None:
        self.add("info", "CHECK_SKIPPED", layer, None, f"{what} not checked: {why}", None)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=_COLUMNS)
        rank = df["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
        order = np.argsort(rank.to_numpy(), kind="stable")
        df = df.iloc[order].reset_index(drop=True).astype(object)
        for col in ("feature_id", "column", "value", "fix", "fix_qgis"):
            df[col] = pd.Series(
                [None if v is None or v != v else str(v) for v in df[col]],
                index=df.index,
                dtype=object,
            )
        return df


# -- small helpers ---------------------------------------------------------------------
def _fid(df: pd.DataFrame, pos: int | np.integer, id_column: str | None) -> str:
    if id_column and id_column in df.columns:
        v = df[id_column].iloc[pos]
        if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v).strip():
            return str(v)
    return f"row {pos + 1}"


def _fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _fmt_m2(x: float) -> str:
    """Areas in messages: 2 decimals below 10 m², 1 above. [m²]"""
    return f"{x:,.2f} m²" if x < 10 else f"{x:,.1f} m²"


def _fmt_pct(share: float) -> str:
    """A share as a percentage, '< 0.1 %' for tiny ones."""
    return "< 0.1 %" if 0 < share < 0.001 else f"{100 * share:.1f} %"


def _crs_name(crs: Any) -> str:
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _target_text(rep: _Report) -> str:
    return rep.target or UNKNOWN_TARGET


def _check_crs(rep: _Report, crs: Any, layer: str, *, raster: bool = False) -> bool:
    """Report a missing, geographic or non-metric CRS; return True when it is usable.

    Every fix names the same target, ``rep.target`` (:func:`_target_crs`): a projected
    CRS in metres, never a geographic one.
    """
    from pyproj import CRS

    target = _target_text(rep)
    to = f"'{rep.target}'" if rep.target else "'EPSG:326NN'"
    reproject = (
        f"gdalwarp -t_srs {rep.target or 'EPSG:326NN'} -r bilinear in.tif out.tif"
        if raster
        else f"landuse.crs.to_projected(gdf, crs={to})"
    ) + ("" if rep.target else f", with {target}")
    if crs is None:
        fix = (
            f"assign the CRS the raster was made in (gdal_edit.py -a_srs <its CRS> {layer}.tif); "
            f"if that is not projected, reproject: {reproject}"
            if raster
            else "set the CRS the coordinates were recorded in (gdf.set_crs(<its CRS>); a "
            f"Shapefile has lost its .prj file); if that is not projected, reproject: {reproject}"
        )
        rep.add("error", "CRS_MISSING", layer, None, "the layer has no coordinate reference system",
                fix)
        return False
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        rep.add(
            "error",
            "CRS_GEOGRAPHIC",
            layer,
            None,
            f"the layer is in the geographic CRS {_crs_name(crs)}; areas, lengths and slopes need "
            "a projected CRS in metres",
            f"reproject it to {target}: {reproject}" if rep.target else f"reproject it: {reproject}",
        )
        return False
    unit = (crs.axis_info[0].unit_name or "").lower() if crs.axis_info else "metre"
    if unit not in ("metre", "meter", "m"):
        rep.add(
            "error",
            "CRS_NOT_METRIC",
            layer,
            None,
            f"the CRS {_crs_name(crs)} measures in {unit!r}; landuse measures in metres",
            f"reproject it: {reproject}",
        )
        return False
    return True


def _crs_code(crs: Any) -> str:
    """``"EPSG:n"`` of *crs*, else its name."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.name)


def _metric(crs: Any) -> bool:
    from landuse.crs import is_projected  # deferred: landuse.crs imports pyproj at its top

    return crs is not None and is_projected(crs)


def _target_crs(vectors: list[Any], rasters: list[Any]) -> str | None:
    """The one CRS every CRS fix of a check advises.

    The DEM's (or slope raster's) CRS when it is projected in metres (reprojecting a
    raster resamples it, reprojecting vectors does not), else the first vector layer's
    (villages, then parcels) when it is; else the WGS 84 UTM zone containing the centre
    of the data (EPSG:32647 west of 102°E in Laos, EPSG:32648 east of it), from the
    first layer whose position is known. None when no layer has a CRS.
    """
    from pyproj import CRS, Transformer

    from landuse.crs import utm_crs_for  # deferred: landuse.crs imports pyproj at its top

    for obj in [*rasters, *vectors]:
        crs = getattr(obj, "crs", None)
        if _metric(crs):
            return _crs_code(CRS.from_user_input(crs))
    for obj in [*vectors, *rasters]:
        crs = getattr(obj, "crs", None)
        if crs is None:
            continue
        try:
            bounds = obj.total_bounds if hasattr(obj, "total_bounds") else obj.bounds
            x, y = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
            to_ll = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
            lon, lat = to_ll.transform(x, y)
            return _crs_code(utm_crs_for(float(lon), float(lat)))
        except Exception:  # noqa: BLE001 - empty layer, nan bounds, bad coordinates: next layer
            continue
    return None


def _same_crs(a: Any, b: Any) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(a).equals(CRS.from_user_input(b), ignore_axis_order=True)


def _require_frame(obj: Any, layer: str, *, geo: bool) -> None:
    """Wrong Python types are programming errors, not bad data: raise."""
    import geopandas as gpd

    ok = isinstance(obj, gpd.GeoDataFrame) if geo else isinstance(obj, pd.DataFrame)
    if not ok:
        raise SchemaError(
            f"expected a {'GeoDataFrame' if geo else 'DataFrame'}, got {type(obj).__name__}",
            source=layer,
            hint="read the layer with landuse.io, or pass file paths to check_files",
        )


def _missing_columns(
    rep: _Report, df: pd.DataFrame, required: tuple[str, ...], layer: str
) -> list[str]:
    missing = [c for c in required if c not in df.columns]
    found = ", ".join(str(c) for c in df.columns if c != "geometry") or "none"
    for col in missing:
        alts = ALIASES.get(layer, {}).get(col, ())
        also = f" or one of its aliases ({', '.join(alts)})" if alts else ""
        rep.add(
            "error",
            "COLUMN_MISSING",
            layer,
            None,
            f"required column {col!r} is missing (found: {found})",
            f"add the column {col!r}{also}, or map a header to it in a mapping file "
            f"([columns.{layer}], docs/mapping.md)",
            column=col,
            value=json.dumps([str(c) for c in df.columns if c != "geometry"], ensure_ascii=False),
        )
    return missing


def _check_ids(rep: _Report, df: pd.DataFrame, id_column: str, layer: str) -> np.ndarray:
    """Report empty and duplicated ids; return a mask of rows usable as unique features."""
    ids = df[id_column]
    empty = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy()
    for pos in np.flatnonzero(empty):
        rep.add(
            "error",
            "ID_MISSING",
            layer,
            f"row {pos + 1}",
            f"row {pos + 1} has no {id_column}",
            f"give every feature a unique {id_column}",
            column=id_column,
        )
    dup = ids.duplicated(keep=False).to_numpy() & ~empty
    if dup.any():
        counts = ids[dup].value_counts(sort=False)
        for value, n in counts.items():
            rows = np.flatnonzero((ids == value).to_numpy()) + 1
            rep.add(
                "error",
                "ID_DUPLICATE",
                layer,
                value,
                f"{id_column} {value!r} occurs {n} times (rows {', '.join(map(str, rows[:10]))}"
                f"{'...' if len(rows) > 10 else ''})",
                f"give every feature a unique {id_column}",
                column=id_column,
            )
    _check_safe_ids(rep, ids, id_column, layer, skip=empty)
    return ~empty & ~ids.duplicated(keep="first").to_numpy()


_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _plainly_safe(text: str) -> bool:
    """A quick test that *text* is a safe id (True only where ``unsafe_reason`` gives None).

    ASCII letters, digits and ``._-``, starting with a letter or digit, at most 64
    characters, no ``..``, no trailing ``.``, and a first part (before any ``.``) that is
    not 3 or 4 characters long, so never a Windows device name; ids it does not pass go
    to :func:`landuse._validate.ids.unsafe_reason`.
    """
    return (_PLAIN_ID.fullmatch(text) is not None and ".." not in text and not text.endswith(".")
            and len(text.split(".", 1)[0]) not in (3, 4))


def _check_safe_ids(
    rep: _Report, ids: pd.Series, id_column: str, layer: str, *, skip: np.ndarray | None = None
) -> None:
    """Report ids that are not safe (``ID_UNSAFE``, see :mod:`landuse._validate.ids`), each once;
    for ids that name files (villages, households), also ids differing only in case."""
    values = ids.to_numpy(dtype=object)
    present = ~pd.isna(ids).to_numpy()
    if skip is not None:
        present &= ~skip
    # each distinct text once, in order of first appearance (a history repeats its plot ids)
    for text in pd.unique(np.array([str(v) for v in values[present]], dtype=object)):
        why = None if _plainly_safe(text) else unsafe_reason(text)
        if why is not None:
            shown = text if len(text) <= 80 else text[:77] + "..."
            rep.add("error", "ID_UNSAFE", layer, shown, f"{id_column} {shown!r} {why}",
                    f"{ID_FIX}; ids become file names and links", column=id_column)
    if id_column in ("village_id", "household_id"):
        folded: dict[str, str] = {}
        for value in pd.unique(ids.dropna().astype(str)):
            other = folded.setdefault(value.lower(), value)
            if other != value:
                rep.add("error", "ID_UNSAFE", layer, value,
                        f"{id_column} {value!r} differs from {other!r} only in case; on Windows "
                        "and macOS both would name the same file",
                        "give the two features ids that differ in more than case", column=id_column)


def _check_geometries(rep: _Report, gdf: Any, layer: str, id_column: str | None) -> np.ndarray:
    """Report empty, wrongly typed and invalid geometries; return a mask of good polygons."""
    import shapely

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = gdf.geometry.geom_type.to_numpy(dtype=object)
    wrong = ~empty & ~np.isin(types.astype(str), _POLYGONAL)
    valid = np.zeros(len(geoms), bool)
    ok = ~empty & ~wrong
    valid[ok] = shapely.is_valid(geoms[ok])
    for pos in np.flatnonzero(empty):
        rep.add(
            "error",
            "GEOM_EMPTY",
            layer,
            _fid(gdf, pos, id_column),
            "the feature has an empty or missing geometry",
            "draw its boundary or delete the feature",
        )
    for pos in np.flatnonzero(wrong):
        rep.add(
            "error",
            "GEOM_TYPE",
            layer,
            _fid(gdf, pos, id_column),
            f"the geometry is a {types[pos]}; expected a Polygon or MultiPolygon",
            "export the layer as polygons (not points or lines), or redraw the feature",
        )
    for pos in np.flatnonzero(ok & ~valid):
        reason = shapely.is_valid_reason(geoms[pos])
        rep.add(
            "error",
            "GEOM_INVALID",
            layer,
            _fid(gdf, pos, id_column),
            f"invalid geometry: {reason}",
            "repair it with gdf.make_valid() or QGIS 'Fix geometries', then check the result",
        )
    return ok & valid


def _to_numbers(
    rep: _Report,
    df: pd.DataFrame,
    column: str,
    layer: str,
    id_column: str | None,
    *,
    required: bool = True,
) -> pd.Series:
    """Numbers of *column*; text is reported (VALUE_NOT_NUMBER), empties if *required*."""
    raw = df[column]
    values = pd.to_numeric(raw, errors="coerce")
    empty = raw.isna() | (raw.astype(str).str.strip() == "")
    text = values.isna() & ~empty
    for pos in np.flatnonzero(text.to_numpy()):
        value = str(raw.iloc[pos])
        lao_digits = any(0x0ED0 <= ord(ch) <= 0x0ED9 for ch in value)
        rep.add(
            "error",
            "VALUE_NOT_NUMBER",
            layer,
            _fid(df, pos, id_column),
            f"{column} is {raw.iloc[pos]!r}, not a number",
            f"write {column} with the digits 0-9 (Lao digits such as ໕ are not read as numbers)"
            if lao_digits
            else f"write {column} as a plain number",
            column=column,
        )
    if required:
        for pos in np.flatnonzero(empty.to_numpy()):
            rep.add(
                "error",
                "VALUE_MISSING",
                layer,
                _fid(df, pos, id_column),
                f"{column} is empty",
                f"fill in {column}",
                column=column,
            )
    return values.astype(float)


def near_id(value: Any, known: set[str]) -> str | None:
    """Return a known id that *value* probably meant, with the reason, or None.

    Catches the two commonest key faults of spreadsheets: leading zeros dropped by
    Excel (``401015`` for ``0401015``) and differences of case or spaces.

    Parameters
    ----------
    value : object
        An id that is not among *known* (a cell of a spreadsheet).
    known : set of str
        The ids it should be one of.

    Returns
    -------
    str or None
        ``"'<id>' differs only in ..."``: the quoted known id, then the reason; None when
        no known id is that close.

    >>> near_id(401015, {"0401015", "0401016"})
    "'0401015' differs only in leading zeros (a spreadsheet dropped them? store ids as text)"
    """
    text = str(value).strip()
    folded = text.lower().replace(" ", "")
    stripped = text.lstrip("0")
    for k in sorted(known):
        if k.lower().replace(" ", "") == folded and k != text:
            return f"{k!r} differs only in case or spaces"
        if stripped and k.lstrip("0") == stripped and k != text:
            return f"{k!r} differs only in leading zeros (a spreadsheet dropped them? store ids as text)"
    return None


def _ref_fix(value: Any, known: set[str], default: str) -> str:
    """The fix for an unknown reference, naming the probable intended id when there is one."""
    near = (
        None
        if value is None or (isinstance(value, float) and np.isnan(value))
        else near_id(value, known)
    )
    return (
        f"did you mean {near.split(' ', 1)[0]}? ({near.split(' ', 1)[1]}); otherwise {default}"
        if near
        else default
    )


def _text_encoding(
    rep: _Report, df: pd.DataFrame, column: str, layer: str, id_column: str
) -> None:
    """Warn about Lao text (columns ending in ``_lo``) that was decoded with the wrong
    encoding (UTF-8 bytes read as Latin-1 or cp1252 start with 'àº' or 'à»') or has no
    character of the Lao Unicode block at all."""
    if column not in df.columns:
        return
    for pos, value in enumerate(df[column].to_numpy(dtype=object)):
        if (
            value is None
            or (isinstance(value, float) and np.isnan(value))
            or not str(value).strip()
        ):
            continue
        text = str(value)
        has_lao = any(_LAO[0] <= ord(ch) <= _LAO[1] for ch in text)
        garbled = "\ufffd" in text or "àº" in text or "à»" in text
        if garbled or not has_lao:
            what = (
                "looks garbled (UTF-8 read as another encoding)"
                if garbled
                else "has no Lao characters"
            )
            rep.add(
                "warning",
                "TEXT_ENCODING",
                layer,
                _fid(df, pos, id_column),
                f"{column} {text!r} {what}",
                "save the file as UTF-8 (CSV UTF-8 / GeoPackage) and type the name in Lao script",
                column=column,
            )


#: Smallest area of a parcel or village; smaller ones are digitising debris. [m²]
MIN_FEATURE_AREA_M2 = 1.0
#: Smallest mean width ``2·A/P`` of a parcel or village (a 0.5 m strip cannot be farmed
#: or surveyed: a tape or GPS reading is that coarse). [m]
MIN_FEATURE_WIDTH_M = 0.5
#: UTM coordinates a feature must stay within: eastings 100-900 km (the zone and a wide
#: margin, as UTM grids are used beyond their 6° zone), northings 0-10,000 km. [m]
UTM_EASTING_M = (100_000.0, 900_000.0)
UTM_NORTHING_M = (0.0, 10_000_000.0)
#: Largest distance of a feature's centre from the median centre of the villages (of its
#: own layer without villages): a Lao district is less than 100 km across. [m]
MAX_DISTANCE_M = 200_000.0


def _check_shapes(
    rep: _Report, gdf: Any, layer: str, id_column: str | None, good: np.ndarray,
    centre: tuple[float, float] | None = None,
) -> np.ndarray:
    """Report degenerate and misplaced features of a layer in a projected metric CRS.

    ``GEOM_SLIVER`` (error): area below :data:`MIN_FEATURE_AREA_M2` or mean width
    ``w = 2·A/P`` below :data:`MIN_FEATURE_WIDTH_M` (for a long strip of width ``W``,
    ``P ≈ 2L`` and ``A = L·W``, so ``w ≈ W``). ``COORD_RANGE`` (error): a UTM feature
    outside :data:`UTM_EASTING_M` / :data:`UTM_NORTHING_M`, or any feature whose centre
    lies more than :data:`MAX_DISTANCE_M` from *centre* (default: the median centre of
    the layer). Returns the mask of features that passed both.
    """
    import shapely
    from pyproj import CRS

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ok = good.copy()
    idx = np.flatnonzero(good)
    if not len(idx):
        return ok
    area = shapely.area(geoms[idx])
    perim = shapely.length(geoms[idx])
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(perim > 0, 2 * area / perim, 0.0)
    for k in np.flatnonzero((area < MIN_FEATURE_AREA_M2) | (width < MIN_FEATURE_WIDTH_M)):
        pos = idx[k]
        ok[pos] = False
        rep.add(
            "error", "GEOM_SLIVER", layer, _fid(gdf, pos, id_column),
            f"the feature is degenerate: {_fmt_m2(area[k])}, about {width[k]:.3g} m wide on "
            f"average (2·area/perimeter; at least {MIN_FEATURE_AREA_M2:g} m² and "
            f"{MIN_FEATURE_WIDTH_M:g} m are needed)",
            "delete it or merge it into its neighbour (QGIS 'Eliminate selected polygons'); "
            "it is digitising debris, not land",
        )
    bounds = shapely.bounds(geoms[idx])
    cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    far = np.zeros(len(idx), bool)
    why = [""] * len(idx)
    crs = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    if crs is not None and crs.utm_zone:
        out = ((bounds[:, 0] < UTM_EASTING_M[0]) | (bounds[:, 2] > UTM_EASTING_M[1])
               | (bounds[:, 1] < UTM_NORTHING_M[0]) | (bounds[:, 3] > UTM_NORTHING_M[1]))
        for k in np.flatnonzero(out):
            far[k] = True
            why[k] = (f"its coordinates (x {bounds[k, 0]:,.0f}..{bounds[k, 2]:,.0f}, y "
                      f"{bounds[k, 1]:,.0f}..{bounds[k, 3]:,.0f}) leave the valid range of "
                      f"{_crs_name(crs)}")
    ref = centre if centre is not None else (float(np.median(cx)), float(np.median(cy)))
    dist = np.hypot(cx - ref[0], cy - ref[1])
    for k in np.flatnonzero((dist > MAX_DISTANCE_M) & ~far):
        far[k] = True
        why[k] = (f"it lies {dist[k] / 1000:,.0f} km from the centre of the district's villages "
                  f"(x {ref[0]:,.0f}, y {ref[1]:,.0f})")
    for k in np.flatnonzero(far):
        pos = idx[k]
        ok[pos] = False
        rep.add(
            "error", "COORD_RANGE", layer, _fid(gdf, pos, id_column), why[k],
            "check the CRS of the file (easting and northing swapped? degrees stored as metres? "
            "another UTM zone?) and reproject or correct the coordinates",
        )
    return ok


def _check_z(rep: _Report, gdf: Any, layer: str, id_column: str | None, dropped: int = 0) -> None:
    """``GEOM_Z`` (warning): 3D coordinates; landuse plans in 2D and drops Z values."""
    import shapely

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    has = np.zeros(len(geoms), bool)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    has[present] = shapely.has_z(geoms[present])
    n = int(has.sum()) or int(dropped)
    if n:
        first = [_fid(gdf, p, id_column) for p in np.flatnonzero(has)[:3]]
        example = f" (e.g. {', '.join(repr(f) for f in first)})" if first else ""
        rep.add(
            "warning", "GEOM_Z", layer, None,
            f"{n} features have Z (3D) coordinates{example}; landuse reads them in 2D and drops "
            "the Z values",
            "nothing needed; to silence this, export the layer in 2D (QGIS 'Drop M/Z values')",
        )
