"""Audit a planner's inputs before any planning, like a linter for cadastral data.

:func:`check_inputs` takes layers already in memory, :func:`check_files` reads files
with the :mod:`landuse.io` readers (``validate=False``). Both return every problem
found as one table and never raise for bad data: an unreadable file or a missing
column becomes one error row, and the checks that cannot run without it are
skipped with an ``info`` row saying so.

Each row has a ``severity`` (``error``: the data cannot be planned with as it is;
``warning``: probably wrong, look at it; ``info``: what was not checked), a stable
``code`` (see :data:`CODES`), the ``layer``, the ``feature_id`` (the id of the
feature, ``"row N"`` when it has none, or None for the whole layer) and a
``message`` naming what was found and how to fix it. ``landuse check`` prints the
table and exits with 1 when there is any error.

Rules that need a threshold
---------------------------
* Parcel overlaps of at least ``overlap_min_m2`` are reported: an error from 1 m²,
  a warning below (digitising noise, fix by snapping).
* A parcel reaching outside its village is ``PARCEL_OUTSIDE_VILLAGE`` when at least
  99.9 % of it lies outside, else ``PARCEL_CROSSES_VILLAGE``: an error when 1 % or
  more of the parcel is outside, a warning below.
* Gaps and slivers follow :func:`landuse.topology.gaps` (``GAP``: a hole enclosed
  by parcels, up to ``gap_max_m2``, 0.25 ha by default; ``SLIVER``: an uncovered strip narrower than ``sliver_max_width_m``
  running along parcels); both are warnings.
* A slope raster declared in degrees *looks like percent* when at least 0.1 % of
  its cells exceed 90 (impossible in degrees; a percent raster of hilly land has
  many) — an error — or when nothing exceeds 90 but the 99th percentile is above
  60° (1 % of the land steeper than 60° is implausible for farmland, while percent
  values of 60-90 are common) — a warning. Fewer than 0.1 % of cells above 90 is
  reported as ``VALUE_RANGE``. With a DEM on the same grid, the slope raster is
  also compared with the DEM's own slope in both units (``SLOPE_LOOKS_PERCENT``,
  ``SLOPE_LOOKS_DEGREES``), which catches percent rasters of gentle land too.
* DEM nodata holes are nodata cells inside the villages' footprint (inside the
  parcels when no villages are given; inside the raster, not touching its edge,
  when neither is given).
* A declared ``area_ha`` differing from the geometry's area by more than 5 % (and
  0.01 ha) is ``AREA_MISMATCH`` (warning).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> villages = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Pasak"],
...     "name_lo": ["ປ່າສັກ"]}, geometry=[box(0, 0, 300, 100)], crs="EPSG:32647")
>>> parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"], "village_id": "V1",
...     "land_type": ["paddy", "upland", "rice field"]},
...     geometry=[box(0, 0, 100, 100), box(90, 0, 190, 100), box(190, 0, 290, 100)],
...     crs="EPSG:32647")
>>> report = check_inputs(villages=villages, parcels=parcels)
>>> report[["severity", "code", "feature_id"]]
  severity               code feature_id
0    error  LAND_TYPE_UNKNOWN          C
1    error     PARCEL_OVERLAP          A
>>> print(report.message[1])
parcels 'A' and 'B' overlap by 1,000.0 m² (10.0 % of 'A', 10.0 % of 'B'). Fix: redraw the shared boundary so that each piece of land belongs to one parcel (snap the vertices in QGIS)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse import _validate
from landuse.errors import DataReadError, LanduseError, SchemaError

__all__ = ["CODES", "SEVERITIES", "check_files", "check_inputs"]

#: Severities in order of importance.
SEVERITIES = ("error", "warning", "info")

#: Every code ``landuse check`` can report, with what it means.
CODES: dict[str, str] = {
    "FILE_NOT_FOUND": "an input file does not exist",
    "FILE_UNREADABLE": "an input file is empty, truncated, corrupt or of the wrong type",
    "COLUMN_MISSING": "a required column is missing (after mapping aliases)",
    "CRS_MISSING": "a layer or raster has no coordinate reference system",
    "CRS_GEOGRAPHIC": "a layer or raster is in a geographic CRS (degrees); measuring needs metres",
    "CRS_NOT_METRIC": "a projected CRS whose unit is not the metre",
    "CRS_MISMATCH": "layers are in different CRSs",
    "GEOM_EMPTY": "a feature has an empty or missing geometry",
    "GEOM_TYPE": "a feature has the wrong geometry type (e.g. a point where a polygon is needed)",
    "GEOM_INVALID": "a geometry is invalid (self-intersection, bad ring...)",
    "ID_MISSING": "a feature has no id",
    "ID_DUPLICATE": "an id occurs more than once",
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
    "RASTER_NOT_COVERING": "a raster does not cover a village",
    "RASTER_NODATA_HOLES": "nodata cells inside the villages (or parcels) covered by a DEM",
    "SLOPE_LOOKS_PERCENT": "a slope raster declared in degrees holds percent values",
    "SLOPE_LOOKS_DEGREES": "a slope raster declared in percent matches the DEM's slope in degrees",
    "CHECK_SKIPPED": "checks that could not run because of an earlier problem",
}

_COLUMNS = ["severity", "code", "layer", "feature_id", "message"]
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
    """Collects rows; every message ends with the fix."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self, severity: str, code: str, layer: str, feature_id: Any, found: str, fix: str | None
    ) -> None:
        assert severity in SEVERITIES and code in CODES, (severity, code)
        msg = found.rstrip(".") + "."
        if fix:
            msg += f" Fix: {fix}"
        fid = None if feature_id is None else str(feature_id)
        self.rows.append(
            {"severity": severity, "code": code, "layer": layer, "feature_id": fid, "message": msg}
        )

    def skipped(self, layer: str, what: str, why: str) -> None:
        self.add("info", "CHECK_SKIPPED", layer, None, f"{what} not checked: {why}", None)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=_COLUMNS)
        rank = df["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
        order = np.argsort(rank.to_numpy(), kind="stable")
        df = df.iloc[order].reset_index(drop=True).astype(object)
        df["feature_id"] = pd.Series(
            [None if v is None or v != v else str(v) for v in df["feature_id"]],
            index=df.index,
            dtype=object,
        )
        return df


# -- small helpers ---------------------------------------------------------------------
def _fid(df: pd.DataFrame, pos: int, id_column: str | None) -> str:
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


def _check_crs(rep: _Report, crs: Any, layer: str, *, raster: bool = False) -> bool:
    """Report a missing, geographic or non-metric CRS; return True when it is usable."""
    from pyproj import CRS

    if crs is None:
        fix = (
            "assign the CRS, e.g. gdal_edit.py -a_srs EPSG:32647 dem.tif"
            if raster
            else "set the CRS, e.g. gdf.set_crs('EPSG:32647') for UTM 47N, or fix the .prj/metadata"
        )
        rep.add(
            "error",
            "CRS_MISSING",
            layer,
            None,
            "the layer has no coordinate reference system",
            fix,
        )
        return False
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        fix = (
            "reproject it, e.g. gdalwarp -t_srs EPSG:32647 in.tif out.tif"
            if raster
            else "reproject with landuse.crs.to_projected(gdf) (UTM 47N, EPSG:32647, for Oudomxay)"
        )
        rep.add(
            "error",
            "CRS_GEOGRAPHIC",
            layer,
            None,
            f"the layer is in the geographic CRS {_crs_name(crs)}; areas, lengths and slopes need "
            "a projected CRS in metres",
            fix,
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
            "reproject to a metric CRS such as UTM 47N (EPSG:32647)",
        )
        return False
    return True


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
    from landuse.io import ALIASES

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
            f"add the column {col!r}{also}; see docs/data-contracts.md",
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
            )
    return ~empty & ~ids.duplicated(keep="first").to_numpy()


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
        rep.add(
            "error",
            "VALUE_NOT_NUMBER",
            layer,
            _fid(df, pos, id_column),
            f"{column} is {raw.iloc[pos]!r}, not a number",
            f"write {column} as a plain number",
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
            )
    return values.astype(float)


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
            )


# -- layer checks ----------------------------------------------------------------------
def _check_villages(rep: _Report, villages: Any, opts: dict) -> dict[str, Any]:
    from landuse import topology
    from landuse.io import REQUIRED

    layer = "villages"
    state: dict[str, Any] = {"gdf": villages, "ids": None, "usable": None, "crs_ok": False}
    missing = _missing_columns(rep, villages, REQUIRED["villages"], layer)
    state["crs_ok"] = _check_crs(rep, villages.crs, layer)
    id_col = "village_id" if "village_id" not in missing else None
    good = _check_geometries(rep, villages, layer, id_col)
    if id_col is None:
        rep.skipped(
            layer,
            "village ids, parcels' and households' villages",
            "the column 'village_id' is missing",
        )
        return state
    usable = _check_ids(rep, villages, "village_id", layer) & good
    state["ids"] = set(villages["village_id"].dropna().astype(str))
    state["usable"] = villages[usable]
    for col in [c for c in villages.columns if isinstance(c, str) and c.endswith("_lo")]:
        _text_encoding(rep, villages, col, layer, "village_id")
    if state["crs_ok"] and usable.sum() > 1:
        for r in topology.overlaps(
            villages[usable], min_area_m2=opts["overlap_min_m2"], id_column="village_id"
        ).itertuples():
            rep.add(
                "warning",
                "VILLAGE_OVERLAP",
                layer,
                r.parcel_id_a,
                f"villages {r.parcel_id_a!r} and {r.parcel_id_b!r} overlap by "
                f"{_fmt(r.overlap_m2 / 1e4, 2)} ha",
                "agree the common boundary with both villages and redraw it once",
            )
    return state


def _check_parcels(
    rep: _Report, parcels: Any, vstate: dict | None, hh_ids: set | None, opts: dict
) -> dict:
    from landuse import topology
    from landuse.io import REQUIRED, normalise_land_types

    layer = "parcels"
    state: dict[str, Any] = {"gdf": parcels, "usable": None, "crs_ok": False}
    missing = _missing_columns(rep, parcels, REQUIRED["parcels"], layer)
    state["crs_ok"] = _check_crs(rep, parcels.crs, layer)
    id_col = "parcel_id" if "parcel_id" not in missing else None
    good = _check_geometries(rep, parcels, layer, id_col)
    usable = good.copy()
    if id_col is None:
        rep.skipped(
            layer,
            "parcel ids, overlaps, gaps and village boundaries",
            "the column 'parcel_id' is missing",
        )
        usable[:] = False
    else:
        usable &= _check_ids(rep, parcels, "parcel_id", layer)

    if "land_type" in parcels.columns:
        lt = normalise_land_types(parcels["land_type"])
        bad = ~lt.isin(_validate.LAND_TYPES).to_numpy()
        for pos in np.flatnonzero(bad):
            raw = parcels["land_type"].iloc[pos]
            found = (
                "land_type is empty"
                if lt.iloc[pos] is None
                else f"land_type {raw!r} is not in the vocabulary"
            )
            rep.add(
                "error",
                "LAND_TYPE_UNKNOWN",
                layer,
                _fid(parcels, pos, id_col),
                found,
                f"use one of {', '.join(_validate.LAND_TYPES)} (docs/data-contracts.md lists accepted spellings)",
            )

    _check_area_columns(rep, parcels, layer, id_col, state["crs_ok"], good)

    # references to other layers
    vids = vstate["ids"] if vstate else None
    if "village_id" in parcels.columns:
        if vids is not None:
            col = parcels["village_id"]
            for pos in np.flatnonzero((col.isna() | ~col.astype(str).isin(vids)).to_numpy()):
                v = col.iloc[pos]
                found = (
                    "has no village_id"
                    if pd.isna(v)
                    else f"village_id {v!r} is not in the villages layer"
                )
                rep.add(
                    "error",
                    "PARCEL_UNKNOWN_VILLAGE",
                    layer,
                    _fid(parcels, pos, id_col),
                    found,
                    "correct the village_id or add the village to the villages layer",
                )
    if hh_ids is not None and "household_id" in parcels.columns:
        col = parcels["household_id"]
        for pos in np.flatnonzero((col.notna() & ~col.astype(str).isin(hh_ids)).to_numpy()):
            rep.add(
                "error",
                "PARCEL_UNKNOWN_HOUSEHOLD",
                layer,
                _fid(parcels, pos, id_col),
                f"household_id {col.iloc[pos]!r} is not in the households table",
                "correct the household_id, add the household, or leave it empty for unallocated land",
            )

    # topology
    if not state["crs_ok"]:
        rep.skipped(
            layer, "overlaps, gaps and village boundaries", "the parcels have no projected CRS"
        )
        return state
    sub = parcels[usable]
    state["usable"] = sub
    if len(sub) > 1:
        for r in topology.overlaps(sub, min_area_m2=opts["overlap_min_m2"]).itertuples():
            severity = "error" if r.overlap_m2 >= 1.0 else "warning"
            rep.add(
                severity,
                "PARCEL_OVERLAP",
                layer,
                r.parcel_id_a,
                f"parcels {r.parcel_id_a!r} and {r.parcel_id_b!r} overlap by {_fmt_m2(r.overlap_m2)} "
                f"({_fmt_pct(r.share_a)} of {r.parcel_id_a!r}, {_fmt_pct(r.share_b)} of "
                f"{r.parcel_id_b!r})",
                "redraw the shared boundary so that each piece of land belongs to one parcel "
                "(snap the vertices in QGIS)",
            )
    if vstate is None or vstate.get("usable") is None or not vstate["crs_ok"]:
        if vstate is not None:
            rep.skipped(
                layer, "village boundaries, gaps and slivers", "the villages layer is not usable"
            )
        return state
    villages = vstate["usable"]
    if not _same_crs(parcels.crs, villages.crs):
        rep.skipped(
            layer,
            "village boundaries, gaps and slivers",
            "parcels and villages are in different CRSs",
        )
        return state
    if "village_id" in sub.columns and len(sub):
        for r in topology.outside_village(sub, villages).itertuples():
            out = r.kind == "outside"
            severity = "error" if out or r.share_outside >= 0.01 else "warning"
            code = "PARCEL_OUTSIDE_VILLAGE" if out else "PARCEL_CROSSES_VILLAGE"
            found = (
                f"the parcel lies outside village {r.village_id!r} ({_fmt(r.area_m2 / 1e4, 2)} ha)"
                if out
                else f"{_fmt_m2(r.area_outside_m2)} ({_fmt_pct(r.share_outside)}) of the parcel lie "
                f"outside village {r.village_id!r}"
            )
            fix = (
                "correct its village_id or move the parcel into the village territory"
                if out
                else "clip the parcel to the village boundary or agree a boundary change"
            )
            rep.add(severity, code, layer, r.parcel_id, found, fix)
    if len(sub):
        found = topology.gaps(
            sub,
            villages,
            min_area_m2=opts["gap_min_m2"],
            max_gap_m2=opts["gap_max_m2"],
            sliver_max_width_m=opts["sliver_max_width_m"],
        )
        for r in found.itertuples():
            c = r.geometry.representative_point()
            where = f"at x={c.x:.0f} y={c.y:.0f}"
            between = f" between parcels {r.parcel_ids}" if r.parcel_ids else ""
            if r.kind == "gap":
                rep.add(
                    "warning",
                    "GAP",
                    layer,
                    r.village_id,
                    f"a hole of {_fmt_m2(r.gap_m2)} enclosed by parcels{between} {where} belongs to no parcel",
                    "extend a neighbouring parcel over it, or record it as its own parcel "
                    "(e.g. land_type 'other')",
                )
            else:
                rep.add(
                    "warning",
                    "SLIVER",
                    layer,
                    r.village_id,
                    f"an unclaimed sliver of {_fmt_m2(r.gap_m2)}, about {_fmt(r.width_m, 2)} m wide,"
                    f"{between} {where}",
                    "snap the neighbouring boundaries together (QGIS snapping / 'Snap geometries to layer')",
                )
    return state


def _check_area_columns(
    rep: _Report, df: Any, layer: str, id_col: str | None, crs_ok: bool, good: np.ndarray
) -> None:
    cols = [
        c for c in df.columns if isinstance(c, str) and (c.endswith("_ha") or c.endswith("_m2"))
    ]
    for col in cols:
        values = _to_numbers(rep, df, col, layer, id_col, required=False)
        for pos in np.flatnonzero((values < 0).to_numpy()):
            rep.add(
                "error",
                "VALUE_NEGATIVE",
                layer,
                _fid(df, pos, id_col),
                f"{col} is {values.iloc[pos]:g}; an area cannot be negative",
                f"correct {col} or drop the column (landuse computes areas from the geometry)",
            )
        if col == "area_ha" and crs_ok:
            import shapely

            geom_ha = shapely.area(np.asarray(df.geometry.array, dtype=object)) / 1e4
            diff = np.abs(values.to_numpy() - geom_ha)
            bad = good & (values >= 0).to_numpy() & (diff > np.maximum(0.05 * geom_ha, 0.01))
            for pos in np.flatnonzero(bad):
                rep.add(
                    "warning",
                    "AREA_MISMATCH",
                    layer,
                    _fid(df, pos, id_col),
                    f"area_ha is {values.iloc[pos]:g} but the geometry measures {geom_ha[pos]:.3f} ha",
                    "check the boundary or the recorded area; certificates use the geometry's area",
                )


def _check_households(rep: _Report, households: pd.DataFrame, vstate: dict | None) -> set | None:
    from landuse.io import REQUIRED

    layer = "households"
    missing = _missing_columns(rep, households, REQUIRED["households"], layer)
    ids = None
    id_col = None
    if "household_id" not in missing:
        id_col = "household_id"
        _check_ids(rep, households, "household_id", layer)
        ids = set(households["household_id"].dropna().astype(str))
    else:
        rep.skipped(
            layer, "household ids and parcels' households", "the column 'household_id' is missing"
        )
    for col in [c for c in households.columns if isinstance(c, str) and c.endswith("_lo")]:
        _text_encoding(rep, households, col, layer, id_col or "household_id")
    vids = vstate["ids"] if vstate else None
    if "village_id" in households.columns and vids is not None:
        col = households["village_id"]
        for pos in np.flatnonzero((col.isna() | ~col.astype(str).isin(vids)).to_numpy()):
            v = col.iloc[pos]
            found = (
                "has no village_id"
                if pd.isna(v)
                else f"village_id {v!r} is not in the villages layer"
            )
            rep.add(
                "error",
                "HOUSEHOLD_UNKNOWN_VILLAGE",
                layer,
                _fid(households, pos, id_col),
                found,
                "correct the village_id or add the village to the villages layer",
            )
    members = labour = None
    if "members" in households.columns:
        members = _to_numbers(rep, households, "members", layer, id_col)
        for pos in np.flatnonzero((members < 1).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                _fid(households, pos, id_col),
                f"members is {members.iloc[pos]:g}; a household has at least 1 member",
                "count the persons living in the household",
            )
    if "labour_units" in households.columns:
        labour = _to_numbers(rep, households, "labour_units", layer, id_col)
        for pos in np.flatnonzero((labour < 0).to_numpy()):
            rep.add(
                "error",
                "VALUE_NEGATIVE",
                layer,
                _fid(households, pos, id_col),
                f"labour_units is {labour.iloc[pos]:g}; labour units cannot be negative",
                "count working members (adults 1.0, youths and elders 0.5)",
            )
    if members is not None and labour is not None:
        for pos in np.flatnonzero(((labour > members) & (members >= 1)).to_numpy()):
            rep.add(
                "error",
                "LABOUR_GT_MEMBERS",
                layer,
                _fid(households, pos, id_col),
                f"labour_units {labour.iloc[pos]:g} exceed members {members.iloc[pos]:g}",
                "labour units count working members (adults 1.0, youths and elders 0.5), "
                "so they cannot exceed members",
            )
    return ids


def _check_histories(rep: _Report, histories: pd.DataFrame, parcel_ids: set | None) -> None:
    from landuse.io import REQUIRED

    layer = "histories"
    missing = _missing_columns(rep, histories, REQUIRED["histories"], layer)
    id_col = "plot_id" if "plot_id" not in missing else None
    if id_col:
        for pos in np.flatnonzero(histories["plot_id"].isna().to_numpy()):
            rep.add(
                "error",
                "ID_MISSING",
                layer,
                f"row {pos + 1}",
                f"row {pos + 1} has no plot_id",
                "fill in the plot_id",
            )
    if "year" in histories.columns:
        year = _to_numbers(rep, histories, "year", layer, id_col)
        for pos in np.flatnonzero(((year < 1800) | (year > 2200) | (year % 1 != 0)).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                _fid(histories, pos, id_col),
                f"year {histories['year'].iloc[pos]!r} is not a calendar year",
                "write the year as e.g. 2016",
            )
        if id_col:
            dup = (
                pd.DataFrame({"p": histories["plot_id"], "y": year})
                .duplicated(keep="first")
                .to_numpy()
            )
            for pos in np.flatnonzero(dup & year.notna().to_numpy()):
                rep.add(
                    "error",
                    "ID_DUPLICATE",
                    layer,
                    _fid(histories, pos, id_col),
                    f"plot {histories['plot_id'].iloc[pos]!r} has more than one row for year "
                    f"{year.iloc[pos]:g}",
                    "keep one status per plot and year",
                )
    if id_col and parcel_ids is not None:
        col = histories["plot_id"]
        unknown = col.notna() & ~col.astype(str).isin(parcel_ids)
        for value in pd.unique(col[unknown]):
            n = int((col == value).sum())
            rep.add(
                "warning",
                "HISTORY_UNKNOWN_PLOT",
                layer,
                value,
                f"plot_id {value!r} ({n} rows) is not a parcel_id of the parcels layer",
                "use the parcel_id of the plot so that its fallow cycles can be mapped",
            )
    if "status" in histories.columns:
        status = histories["status"].astype("string").str.strip().str.lower()
        status = status.replace({"cropped": "cultivated", "crop": "cultivated", "forest": "other"})
        for pos in np.flatnonzero(
            (~status.isin(_validate.HISTORY_STATUSES)).fillna(True).to_numpy()
        ):
            rep.add(
                "error",
                "STATUS_UNKNOWN",
                layer,
                _fid(histories, pos, id_col),
                f"status {histories['status'].iloc[pos]!r} is not in the vocabulary",
                f"use one of {', '.join(_validate.HISTORY_STATUSES)}",
            )


def _check_climate(rep: _Report, climate: pd.DataFrame) -> None:
    from landuse.io import REQUIRED

    layer = "climate"
    missing = _missing_columns(rep, climate, REQUIRED["climate"], layer)
    df = climate.reset_index(drop=True)
    month = None
    if "month" not in missing:
        month = _to_numbers(rep, df, "month", layer, None)
        ok = month.isin(range(1, 13))
        for pos in np.flatnonzero((~ok & month.notna()).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                f"row {pos + 1}",
                f"month {df['month'].iloc[pos]!r} is not 1-12",
                "number the months 1 (January) to 12",
            )
        present = month[ok].astype(int)
        if sorted(present) != list(range(1, 13)):
            absent = sorted(set(range(1, 13)) - set(present))
            twice = sorted(present[present.duplicated()].unique())
            found = "; ".join(
                x
                for x in (
                    f"months missing: {absent}" if absent else "",
                    f"months repeated: {twice}" if twice else "",
                )
                if x
            )
            rep.add(
                "error",
                "CLIMATE_MONTHS",
                layer,
                None,
                f"the table must hold months 1-12 once each ({found})",
                "give one row per calendar month",
            )
    label = [
        f"month {int(m)}" if m == m else f"row {i + 1}"
        for i, m in enumerate(month if month is not None else [np.nan] * len(df))
    ]
    values = {}
    for col, (lo, hi) in _CLIMATE_LIMITS.items():
        if col not in df.columns:
            continue
        v = _to_numbers(rep, df.assign(_label=label), col, layer, "_label")
        values[col] = v
        for pos in np.flatnonzero(((v < lo) | (v > hi)).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                label[pos],
                f"{col} is {v.iloc[pos]:g}, outside {lo}..{hi}",
                f"check the unit ({col.rsplit('_', 1)[-1]}) and the value",
            )
    if "tmin_c" in values and "tmax_c" in values:
        for pos in np.flatnonzero((values["tmin_c"] > values["tmax_c"]).to_numpy()):
            rep.add(
                "error",
                "TMIN_GT_TMAX",
                layer,
                label[pos],
                f"tmin_c {values['tmin_c'].iloc[pos]:g} is above tmax_c {values['tmax_c'].iloc[pos]:g}",
                "swap the columns or correct the values",
            )


# -- rasters ---------------------------------------------------------------------------
def _as_raster(rep: _Report, obj: Any, layer: str) -> Any:
    from landuse.raster import Raster

    try:
        return Raster.from_any(obj)
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
    """Villages (or parcels) usable for coverage checks in the raster's CRS, with their id column."""
    for state, id_col in ((vstate, "village_id"), (pstate, "parcel_id")):
        if state and state.get("usable") is not None and len(state["usable"]) and state["crs_ok"]:
            if raster_crs is not None and _same_crs(state["gdf"].crs, raster_crs):
                return state["usable"], id_col
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
        inside = geometry_mask(
            [inner], out_shape=raster.shape, transform=raster.transform, invert=True
        )
        if not inside.any():
            inside = geometry_mask(
                [inner],
                out_shape=raster.shape,
                transform=raster.transform,
                invert=True,
                all_touched=True,
            )
        holes = int((inside & ~valid).sum())
        if holes and holes == int(inside.sum()):
            rep.add(
                "error",
                "RASTER_NOT_COVERING",
                layer,
                fid,
                f"the raster holds only nodata over {id_col.split('_')[0]} {fid!r}",
                "use a raster with data over every village",
            )
        elif holes:
            rep.add(
                "error",
                "RASTER_NODATA_HOLES",
                layer,
                fid,
                f"{holes} nodata cells ({_fmt(holes * cell_ha, 2)} ha, {_fmt(100 * holes / inside.sum())} %) "
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


# -- public ----------------------------------------------------------------------------
def check_inputs(
    *,
    villages: Any = None,
    parcels: Any = None,
    households: pd.DataFrame | None = None,
    histories: pd.DataFrame | None = None,
    climate: pd.DataFrame | None = None,
    dem: Any = None,
    slope: Any = None,
    slope_units: str = "degrees",
    overlap_min_m2: float = 0.01,
    gap_min_m2: float = 1.0,
    gap_max_m2: float = 2500.0,
    sliver_max_width_m: float = 2.0,
) -> pd.DataFrame:
    """Audit input layers and return every problem found.

    Parameters
    ----------
    villages, parcels : geopandas.GeoDataFrame, optional
        Village territories and land parcels (``docs/data-contracts.md``).
    households, histories, climate : pandas.DataFrame, optional
        Household table, plot cultivation histories, monthly climate.
    dem, slope : Raster, path or (array, transform, crs, nodata), optional
        Elevation [m] and slope rasters.
    slope_units : {"degrees", "percent"}, default "degrees"
        Units the slope raster is declared in.
    overlap_min_m2 : float, default 0.01
        Smallest parcel overlap reported. [m²]
    gap_min_m2 : float, default 1.0
        Smallest gap or sliver reported. [m²]
    gap_max_m2 : float, default 2500
        Largest hole enclosed by parcels reported as a gap; larger ones are taken
        as land left unparcelled on purpose (forest patch, commons). [m²]
    sliver_max_width_m : float, default 2.0
        Uncovered strips narrower than this are slivers. [m]

    Returns
    -------
    pandas.DataFrame
        Columns ``severity``, ``code``, ``layer``, ``feature_id``, ``message``;
        errors first, then warnings, then info, each in the order found. Empty
        when everything passed.

    Raises
    ------
    SchemaError
        Only for misuse: nothing to check, an unknown ``slope_units``, a layer of
        the wrong Python type, a negative threshold. Bad *data* never raises.

    Notes
    -----
    Column aliases and land-type spellings are mapped as the readers do. Checks
    that combine layers (parcels inside villages, DEM coverage) run only between
    layers in the same projected CRS; otherwise ``CRS_MISMATCH`` is reported and
    they are skipped (an ``info`` row). Thresholds are described in the module
    documentation.
    """
    from landuse import io

    _validate.check_option(slope_units, ("degrees", "percent"), name="slope_units")
    opts = {}
    for name, value in (
        ("overlap_min_m2", overlap_min_m2),
        ("gap_min_m2", gap_min_m2),
        ("gap_max_m2", gap_max_m2),
        ("sliver_max_width_m", sliver_max_width_m),
    ):
        value = float(value)
        if np.isnan(value) or value < 0 or (np.isinf(value) and name != "gap_max_m2"):
            raise SchemaError(
                f"{name}={value!r} must be a finite number >= 0", hint=f"pass {name}=0 or more"
            )
        opts[name] = value
    given = {
        k: v
        for k, v in dict(
            villages=villages,
            parcels=parcels,
            households=households,
            histories=histories,
            climate=climate,
            dem=dem,
            slope=slope,
        ).items()
        if v is not None
    }
    if not given:
        raise SchemaError(
            "nothing to check", hint="pass at least one layer (villages=..., parcels=..., ...)"
        )
    rep = _Report()

    for key in ("villages", "parcels"):
        if key in given:
            _require_frame(given[key], key, geo=True)
            given[key] = io._normalise_columns(given[key], key)
    for key in ("households", "histories", "climate"):
        if key in given:
            _require_frame(given[key], key, geo=False)
            given[key] = io._normalise_columns(given[key], key)

    vstate = _check_villages(rep, given["villages"], opts) if "villages" in given else None
    hh_ids = _check_households(rep, given["households"], vstate) if "households" in given else None
    pstate = (
        _check_parcels(rep, given["parcels"], vstate, hh_ids, opts) if "parcels" in given else None
    )
    if "histories" in given:
        pids = None
        if pstate is not None and "parcel_id" in pstate["gdf"].columns:
            pids = set(pstate["gdf"]["parcel_id"].dropna().astype(str))
        _check_histories(rep, given["histories"], pids)
    if "climate" in given:
        _check_climate(rep, given["climate"])

    rasters = {}
    for key in ("dem", "slope"):
        if key in given:
            r = _as_raster(rep, given[key], key)
            if r is not None:
                rasters[key] = r

    # CRS mismatches between layers (each layer against the first one with a CRS)
    crs_of = {}
    for key, state in (("villages", vstate), ("parcels", pstate)):
        if state is not None and state["gdf"].crs is not None:
            crs_of[key] = state["gdf"].crs
    for key, r in rasters.items():
        if r.crs is not None:
            crs_of[key] = r.crs
    if crs_of:
        ref_key, ref = next(iter(crs_of.items()))
        for key, crs in list(crs_of.items())[1:]:
            if not _same_crs(ref, crs):
                rep.add(
                    "error",
                    "CRS_MISMATCH",
                    key,
                    None,
                    f"{key} is in {_crs_name(crs)} but {ref_key} is in {_crs_name(ref)}; layers in different "
                    "CRSs are never combined silently",
                    f"reproject {key} to {_crs_name(ref)} (gdf.to_crs / gdalwarp -t_srs)",
                )

    usable_rasters = {}
    for key, r in rasters.items():
        checked = _check_raster(rep, r, key, vstate, pstate)
        if checked is not None:
            usable_rasters[key] = checked
        if checked is not None and key == "slope":
            _check_slope_values(rep, checked, slope_units)
        if checked is not None and key == "dem":
            z = checked.as_float()[checked.valid]
            if z.min() < -450 or z.max() > 9000:
                rep.add(
                    "warning",
                    "VALUE_RANGE",
                    "dem",
                    None,
                    f"elevations range from {z.min():g} to {z.max():g}, outside -450..9,000 m",
                    "the DEM must be in metres (not feet or centimetres); check its nodata value",
                )
    if {"dem", "slope"} <= set(usable_rasters):
        dem_r, slope_r = usable_rasters["dem"], usable_rasters["slope"]
        if dem_r.crs is not None and slope_r.crs is not None and _same_crs(dem_r.crs, slope_r.crs):
            _check_slope_against_dem(rep, slope_r, dem_r, slope_units)
    return rep.frame()


#: Readers used by :func:`check_files`, by layer.
def _readers() -> dict[str, Callable[..., Any]]:
    from landuse import io

    return {
        "villages": io.read_villages,
        "parcels": io.read_parcels,
        "households": io.read_households,
        "histories": io.read_histories,
        "climate": io.read_climate,
    }


def _read_rows(rep: _Report, key: str, path: Path, exc: Exception) -> None:
    if isinstance(exc, DataReadError):
        code = "FILE_NOT_FOUND" if not path.exists() else "FILE_UNREADABLE"
        rep.add("error", code, key, None, f"{exc.source or path}: {exc.message}", exc.hint)
    elif isinstance(exc, LanduseError):
        rep.add("error", "FILE_UNREADABLE", key, None, str(exc), None)
    else:
        first = str(exc).splitlines()[0] if str(exc) else ""
        rep.add(
            "error",
            "FILE_UNREADABLE",
            key,
            None,
            f"{path}: cannot read the file ({type(exc).__name__}: {first})",
            "check that it is a valid file of the documented format (docs/data-contracts.md)",
        )


def check_files(
    *,
    villages: str | os.PathLike | None = None,
    parcels: str | os.PathLike | None = None,
    households: str | os.PathLike | None = None,
    histories: str | os.PathLike | None = None,
    climate: str | os.PathLike | None = None,
    dem: str | os.PathLike | None = None,
    slope: str | os.PathLike | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Read input files with the :mod:`landuse.io` readers and audit them.

    Parameters
    ----------
    villages, parcels : path-like, optional
        GeoPackage, Shapefile, GeoJSON or FlatGeobuf files.
    households, histories, climate : path-like, optional
        CSV (UTF-8) or XLSX files.
    dem, slope : path-like, optional
        GeoTIFF rasters.
    **options
        Passed to :func:`check_inputs` (``slope_units``, ``overlap_min_m2``,
        ``gap_min_m2``, ``sliver_max_width_m``).

    Returns
    -------
    pandas.DataFrame
        As :func:`check_inputs`, with ``FILE_NOT_FOUND`` / ``FILE_UNREADABLE`` rows for
        files that could not be read (and ``CHECK_SKIPPED`` rows for what they prevent).

    Examples
    --------
    >>> report = check_files(households="no/such/households.csv")
    >>> report.loc[0, ["severity", "code", "layer"]].tolist()
    ['error', 'FILE_NOT_FOUND', 'households']
    """
    from landuse import io

    paths = {
        k: v
        for k, v in dict(
            villages=villages,
            parcels=parcels,
            households=households,
            histories=histories,
            climate=climate,
            dem=dem,
            slope=slope,
        ).items()
        if v is not None
    }
    if not paths:
        raise SchemaError(
            "nothing to check", hint="pass at least one file (villages=..., parcels=..., ...)"
        )
    rep = _Report()
    loaded: dict[str, Any] = {}
    readers = _readers()
    for key, raw in paths.items():
        path = Path(raw)
        if key in ("dem", "slope"):
            try:
                loaded[key] = io.read_raster(path)
            except Exception as exc:
                _read_rows(rep, key, path, exc)
            continue
        try:
            if key in ("villages", "parcels"):
                loaded[key] = readers[key](path, validate=False)
            else:
                # the table readers coerce text in numeric columns to NaN when not validating;
                # read the raw table so that such values are reported, not lost
                loaded[key] = io._normalise_columns(io.read_table(path, what=key), key)
        except SchemaError:
            # a required column is missing: read the raw layer so that the other checks still run
            try:
                raw_df = (
                    io.read_vector(path, what=key)
                    if key in ("villages", "parcels")
                    else io.read_table(path, what=key)
                )
                loaded[key] = io._normalise_columns(raw_df, key)
            except Exception as exc:
                _read_rows(rep, key, path, exc)
        except Exception as exc:
            _read_rows(rep, key, path, exc)
    for key in paths:
        if key not in loaded:
            rep.skipped(
                key,
                f"the content of {key}",
                "the file could not be read; checks against it were skipped",
            )
    if loaded:
        found = check_inputs(**loaded, **options)
        rep.rows.extend(found.to_dict("records"))
    return rep.frame()
