"""Audit a planner's inputs before any planning, like a linter for cadastral data.

:func:`check_inputs` takes layers already in memory, :func:`check_files` reads files
with the :mod:`landuse.io` readers (``validate=False``). Both return every problem
found as one table and never raise for bad data: an unreadable file or a missing
column becomes one error row, and the checks that cannot run without it are
skipped with an ``info`` row saying so.

Each row has a ``severity`` (``error``: the data cannot be planned with as it is;
``warning``: probably wrong, look at it; ``info``: what was not checked), a stable
``code`` (see :data:`CODES`), the ``layer``, the ``feature_id`` (the id of the
feature, ``"row N"`` when it has none, the village for ``GAP`` and ``SLIVER``, or
None for the whole layer), the ``column`` and offending ``value`` where there is
one, a ``message`` naming what was found and how to fix it, and the fix on its own
for Python and the command line (``fix``) and for QGIS (``fix_qgis``). Every CRS
fix names one projected target CRS (the DEM's, else a vector layer's, else the UTM
zone of the data's centre). ``landuse check`` prints one row per distinct problem
(:func:`landuse.check.group_findings`) and exits with 1 when there is any error.
Headers and values of one's own are mapped by a mapping file
(:mod:`landuse.check.mapping`).

Rules that need a threshold
---------------------------
* Parcel overlaps of at least ``overlap_min_m2`` are reported: an error from 1 m²,
  a warning below (digitising noise, fix by snapping).
* A parcel reaching outside its village is ``PARCEL_OUTSIDE_VILLAGE`` when at least
  99.9 % of it lies outside, else ``PARCEL_CROSSES_VILLAGE``: an error when 1 % or
  more of the parcel is outside, a warning below.
* Gaps and slivers follow :func:`landuse.check.topology.gaps` (``GAP``: a hole enclosed
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
>>> x, y = 800_000, 2_290_000  # UTM 47N, in Oudomxay
>>> villages = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Pasak"],
...     "name_lo": ["ປ່າສັກ"]}, geometry=[box(x, y, x + 300, y + 100)], crs="EPSG:32647")
>>> parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"], "village_id": "V1",
...     "land_type": ["paddy", "upland", "rice field"]},
...     geometry=[box(x + a, y, x + a + 100, y + 100) for a in (0, 90, 190)],
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
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landuse import _validate, io
from landuse.check._base import (
    CODES,
    SEVERITIES,
    _check_crs,
    _check_geometries,
    _check_ids,
    _check_shapes,
    _check_z,
    _crs_name,
    _fid,
    _fmt,
    _fmt_m2,
    _fmt_pct,
    _missing_columns,
    _ref_fix,
    _Report,
    _require_frame,
    _same_crs,
    _target_crs,
    _text_encoding,
    _to_numbers,
)
from landuse.check._fixes import REPROJECT_RASTER, REPROJECT_VECTOR, UNKNOWN_TARGET
from landuse.check._rasters import (
    _as_raster,
    _check_dem_values,
    _check_raster,
    _check_slope_against_dem,
    _check_slope_values,
)
from landuse.check._tables import (
    _check_climate,
    _check_histories,
    _check_households,
    _check_rule_columns,
)
from landuse.check import topology
from landuse.check.mapping import InputMapping, guess_value, read_mapping
from landuse.check.summary import group_findings
from landuse.errors import DataReadError, LanduseError, LanduseWarning, SchemaError
from landuse.io import REQUIRED, normalise_land_types

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

__all__ = ["CODES", "SEVERITIES", "check_files", "check_inputs"]


# -- layer checks ----------------------------------------------------------------------
def _check_villages(rep: _Report, villages: Any, opts: dict) -> dict[str, Any]:
    layer = "villages"
    state: dict[str, Any] = {"gdf": villages, "ids": None, "usable": None, "crs_ok": False}
    missing = _missing_columns(rep, villages, REQUIRED["villages"], layer)
    state["crs_ok"] = _check_crs(rep, villages.crs, layer)
    id_col = "village_id" if "village_id" not in missing else None
    good = _check_geometries(rep, villages, layer, id_col)
    _check_z(rep, villages, layer, id_col, villages.attrs.get("z_dropped", 0))
    if state["crs_ok"]:
        good = _check_shapes(rep, villages, layer, id_col, good)
        if good.any():
            c = villages.geometry[good].centroid
            state["centre"] = (float(np.median(c.x)), float(np.median(c.y)))
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
        with rep.guard(layer, "village overlap"):
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
    layer = "parcels"
    state: dict[str, Any] = {"gdf": parcels, "usable": None, "crs_ok": False}
    missing = _missing_columns(rep, parcels, REQUIRED["parcels"], layer)
    state["crs_ok"] = _check_crs(rep, parcels.crs, layer)
    id_col = "parcel_id" if "parcel_id" not in missing else None
    good = _check_geometries(rep, parcels, layer, id_col)
    _check_z(rep, parcels, layer, id_col, parcels.attrs.get("z_dropped", 0))
    if state["crs_ok"]:
        centre = None
        if vstate and vstate.get("centre") and _same_crs(parcels.crs, vstate["gdf"].crs):
            centre = vstate["centre"]
        good = _check_shapes(rep, parcels, layer, id_col, good, centre)
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

    _check_land_types(rep, parcels, layer, id_col)
    _check_area_columns(rep, parcels, layer, id_col, state["crs_ok"], good)
    _check_parcel_references(rep, parcels, layer, id_col, vstate["ids"] if vstate else None, hh_ids)

    # topology
    if not state["crs_ok"]:
        rep.skipped(
            layer, "overlaps, gaps and village boundaries", "the parcels have no projected CRS"
        )
        return state
    sub = parcels[usable]
    state["usable"] = sub
    if len(sub) > 1:
        _check_parcel_overlaps(rep, sub, layer, opts)
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
        _check_parcel_villages(rep, sub, villages, layer)
    if len(sub):
        _check_parcel_gaps(rep, sub, villages, layer, opts)
    return state


def _check_land_types(rep: _Report, parcels: Any, layer: str, id_col: str | None) -> None:
    """``LAND_TYPE_UNKNOWN``: land types outside the vocabulary (after the accepted spellings);
    the fix names the closest vocabulary value or accepted spelling (difflib), if any."""
    if "land_type" in parcels.columns:
        lt = normalise_land_types(parcels["land_type"])
        bad = ~lt.isin(_validate.LAND_TYPES).to_numpy()
        vocab = ", ".join(_validate.LAND_TYPES)
        guesses: dict[str, str | None] = {}
        for pos in np.flatnonzero(bad):
            raw = parcels["land_type"].iloc[pos]
            if lt.iloc[pos] is None:
                found, guess = "land_type is empty", None
            else:
                found = f"land_type {raw!r} is not in the vocabulary"
                if str(raw) not in guesses:
                    guesses[str(raw)] = guess_value(str(raw), tuple(_validate.LAND_TYPES))
                guess = guesses[str(raw)]
            use = f"write {guess!r} (the closest land type)" if guess else f"use one of {vocab}"
            rep.add(
                "error",
                "LAND_TYPE_UNKNOWN",
                layer,
                _fid(parcels, pos, id_col),
                found,
                f"{use}, or map the value in a mapping file ([values.parcels.land_type], "
                "docs/mapping.md)",
                column="land_type",
                value=raw,
                qgis=_land_type_qgis(raw, guess),
            )


def _land_type_qgis(raw: Any, guess: str | None) -> str:
    """The QGIS fix of one unknown land type: the mapping file, or the Field Calculator."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ("attribute table ▸ Select features using an expression: \"land_type\" IS NULL; "
                "type the land type of each selected parcel")
    quoted = "'" + str(raw).replace("'", "''") + "'"
    new = guess or "<land type>"
    return (f"Field Calculator ▸ Update existing field land_type: CASE WHEN \"land_type\" = "
            f"{quoted} THEN '{new}' ELSE \"land_type\" END; or the mapping file")


def _check_parcel_references(rep: _Report, parcels: Any, layer: str, id_col: str | None, vids: set | None,
                             hh_ids: set | None) -> None:
    """``PARCEL_UNKNOWN_VILLAGE`` and ``PARCEL_UNKNOWN_HOUSEHOLD``: references to other layers."""
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
                    _ref_fix(
                        v, vids, "correct the village_id or add the village to the villages layer"
                    ),
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
                _ref_fix(
                    col.iloc[pos],
                    hh_ids,
                    "correct the household_id, add the household, or leave it empty for "
                    "unallocated land",
                ),
            )


def _check_parcel_overlaps(rep: _Report, sub: Any, layer: str, opts: dict) -> None:
    """``PARCEL_OVERLAP``: parcels whose interiors overlap (an error from 1 m²)."""
    with rep.guard(layer, "parcel overlap"):
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


def _check_parcel_villages(rep: _Report, sub: Any, villages: Any, layer: str) -> None:
    """``PARCEL_OUTSIDE_VILLAGE`` and ``PARCEL_CROSSES_VILLAGE``: parcels outside their village."""
    with rep.guard(layer, "village boundary"):
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


def _check_parcel_gaps(rep: _Report, sub: Any, villages: Any, layer: str, opts: dict) -> None:
    """``GAP`` and ``SLIVER``: land of a village that no parcel covers."""
    with rep.guard(layer, "gap and sliver"):
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


# -- public ----------------------------------------------------------------------------
def _given(**layers: Any) -> dict[str, Any]:
    """The layers that were passed (not None), in argument order."""
    return {k: v for k, v in layers.items() if v is not None}


def check_inputs(
    *,
    villages: GeoDataFrame | None = None,
    parcels: GeoDataFrame | None = None,
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
    entitlements: Any = None,
    mapping: Any = None,
    grouped: bool = False,
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
    entitlements : path-like, mapping, EntitlementRules or "default", optional
        Entitlement rules whose priority-group columns must exist in *households*
        (``RULE_COLUMN_MISSING``); ``"default"`` for the bundled rules. Not checked
        when None.
    mapping : path-like or InputMapping, optional
        A mapping file (:func:`landuse.check.mapping.read_mapping`, docs/mapping.md):
        headers renamed and values mapped before anything is checked; what it changed
        is reported as ``MAPPING_APPLIED`` (info).
    grouped : bool, default False
        Return one row per distinct problem (:func:`landuse.check.group_findings`)
        instead of every finding.

    Returns
    -------
    pandas.DataFrame
        The findings, columns ``severity``, ``code``, ``layer``, ``feature_id``,
        ``column`` (the column concerned, or None), ``value`` (the offending value, or
        None), ``message`` (what was found, then ``Fix:`` and the fix), ``fix`` (for
        Python and the command line) and ``fix_qgis`` (the same in QGIS); errors
        first, then warnings, then info, each in the order found. Empty when
        everything passed. With ``grouped=True``, the summary of
        :func:`~landuse.check.group_findings`.

    Raises
    ------
    SchemaError
        Only for misuse: nothing to check, an unknown ``slope_units``, a layer of
        the wrong Python type, a negative threshold. Bad *data* never raises.

    Notes
    -----
    Column aliases and land-type spellings are mapped as the readers do. Layers in
    different CRSs are reported as ``CRS_MISMATCH``; the checks between parcels and
    villages then are skipped (an ``info`` row), while the raster coverage checks
    reproject the villages (or parcels) to the raster's CRS for the test only.
    Thresholds are described in the module documentation.
    """
    _validate.check_option(slope_units, ("degrees", "percent"), name="slope_units")
    opts = _threshold_options(overlap_min_m2=overlap_min_m2, gap_min_m2=gap_min_m2, gap_max_m2=gap_max_m2,
                              sliver_max_width_m=sliver_max_width_m)
    given = _given(villages=villages, parcels=parcels, households=households, histories=histories,
                   climate=climate, dem=dem, slope=slope)
    if not given:
        raise SchemaError(
            "nothing to check", hint="pass at least one layer (villages=..., parcels=..., ...)"
        )
    rep = _Report()
    if mapping is not None and not isinstance(mapping, InputMapping):
        mapping = read_mapping(mapping)

    _normalise_layers(rep, given, mapping)
    # rasters are read first so that every CRS fix can name one target (_target_crs)
    early = _Report()
    rasters: dict[str, Any] = {}
    for key in ("dem", "slope"):
        if key in given:
            r = _as_raster(early, given[key], key)
            if r is not None:
                rasters[key] = r
    rep.target = _target_crs([given[k] for k in ("villages", "parcels") if k in given],
                             list(rasters.values()))

    vstate = _check_villages(rep, given["villages"], opts) if "villages" in given else None
    hh_ids = _check_households(rep, given["households"], vstate) if "households" in given else None
    pstate = (
        _check_parcels(rep, given["parcels"], vstate, hh_ids, opts) if "parcels" in given else None
    )
    if "households" in given and entitlements is not None:
        _check_rule_columns(rep, given["households"], entitlements)
    if "histories" in given:
        pids = None
        if pstate is not None and "parcel_id" in pstate["gdf"].columns:
            pids = set(pstate["gdf"]["parcel_id"].dropna().astype(str))
        _check_histories(rep, given["histories"], pids)
    if "climate" in given:
        _check_climate(rep, given["climate"])
    rep.rows.extend(early.rows)

    _check_crs_mismatch(rep, vstate, pstate, rasters)

    _check_rasters(rep, rasters, vstate, pstate, slope_units)
    findings = rep.frame()
    return group_findings(findings) if grouped else findings


def _threshold_options(**thresholds: float) -> dict[str, float]:
    """The area [m²] and width [m] thresholds of :func:`check_inputs` as floats, checked >= 0."""
    opts = {}
    for name, value in thresholds.items():
        value = float(value)
        if np.isnan(value) or value < 0 or (np.isinf(value) and name != "gap_max_m2"):
            raise SchemaError(
                f"{name}={value!r} must be a finite number >= 0", hint=f"pass {name}=0 or more"
            )
        opts[name] = value
    return opts


def _normalise_layers(rep: _Report, given: dict[str, Any], mapping: InputMapping | None) -> None:
    """Check the Python type of each layer, apply the mapping file and map column aliases
    (in *given*), report what the mapping changed and empty layers."""
    for key in ("villages", "parcels", "households", "histories", "climate"):
        if key in given:
            _require_frame(given[key], key, geo=key in ("villages", "parcels"))
            if mapping is not None:
                given[key] = mapping.apply(given[key], key, strict=False)
            _mapping_rows(rep, given[key], key)
            given[key] = io._normalise_columns(given[key], key)
    for key in ("villages", "parcels", "households", "histories", "climate"):
        if key in given and len(given[key]) == 0:
            rep.add(
                "error",
                "LAYER_EMPTY",
                key,
                None,
                f"the {key} layer has no {'features' if key in ('villages', 'parcels') else 'rows'}",
                "check the file (for a GeoPackage with several layers, the right layer)",
            )


def _mapping_rows(rep: _Report, df: Any, key: str) -> None:
    """``MAPPING_APPLIED`` and ``MAPPING_CONFLICT`` rows from what a mapping left in ``df.attrs``."""
    source = df.attrs.get("mapping_source")
    if source is None:
        return
    for why in df.attrs.get("mapping_conflicts", []):
        rep.add("error", "MAPPING_CONFLICT", key, None, why,
                "keep one of the two columns, or remove the line from the mapping file")
    notes = df.attrs.get("mapping_notes", [])
    if notes:
        rep.add("info", "MAPPING_APPLIED", key, None, f"{source}: {'; '.join(notes)}", None)


def _check_crs_mismatch(rep: _Report, vstate: dict | None, pstate: dict | None, rasters: dict[str, Any]) -> None:
    """``CRS_MISMATCH``: each layer against the first one with a CRS; the fix names the one
    target CRS of the check (``rep.target``) and the layers not yet in it."""
    crs_of = {}
    for key, state in (("villages", vstate), ("parcels", pstate)):
        if state is not None and state["gdf"].crs is not None:
            crs_of[key] = state["gdf"].crs
    for key, r in rasters.items():
        if r.crs is not None:
            crs_of[key] = r.crs
    if not crs_of:
        return
    ref_key, ref = next(iter(crs_of.items()))
    target = rep.target
    away = [k for k, crs in crs_of.items() if target is None or not _same_crs(crs, target)]
    for key, crs in list(crs_of.items())[1:]:
        if _same_crs(ref, crs):
            continue
        how = " and ".join(
            f"{k} (gdalwarp -t_srs {target} -r bilinear)" if k in ("dem", "slope")
            else f"{k} (gdf.to_crs('{target}'))" for k in away
        )
        fix = (f"reproject {how} so that every layer is in {target}" if target and away
               else f"reproject every layer to {UNKNOWN_TARGET}")
        rep.add(
            "error",
            "CRS_MISMATCH",
            key,
            None,
            f"{key} is in {_crs_name(crs)} but {ref_key} is in {_crs_name(ref)}; layers in different "
            "CRSs are never combined silently",
            fix,
            qgis=_mismatch_qgis(away, target),
        )


def _mismatch_qgis(away: list[str], target: str | None) -> str:
    """The QGIS fix of ``CRS_MISMATCH``: one tool for the vector layers not in *target*,
    one for the rasters."""
    crs = target or UNKNOWN_TARGET
    vectors = " and ".join(k for k in away if k not in ("dem", "slope"))
    rasters = " and ".join(k for k in away if k in ("dem", "slope"))
    parts = [template.format(crs=crs, layer=names) for template, names in
             ((REPROJECT_VECTOR, vectors), (REPROJECT_RASTER, rasters)) if names]
    return "; ".join(parts) or REPROJECT_VECTOR.format(crs=crs, layer="each")


def _check_rasters(rep: _Report, rasters: dict[str, Any], vstate: dict | None, pstate: dict | None,
                   slope_units: str) -> None:
    """Raster coverage, DEM values, slope values and slope against the DEM."""
    usable_rasters = {}
    for key, r in rasters.items():
        checked = None
        with rep.guard(key, "raster coverage"):
            checked = _check_raster(rep, r, key, vstate, pstate)
        if checked is not None:
            usable_rasters[key] = checked
        if checked is not None and key == "slope":
            _check_slope_values(rep, checked, slope_units)
        if checked is not None and key == "dem":
            with rep.guard("dem", "DEM values"):
                _check_dem_values(rep, checked)
    if {"dem", "slope"} <= set(usable_rasters):
        dem_r, slope_r = usable_rasters["dem"], usable_rasters["slope"]
        if dem_r.crs is not None and slope_r.crs is not None and _same_crs(dem_r.crs, slope_r.crs):
            with rep.guard("slope", "slope against DEM"):
                _check_slope_against_dem(rep, slope_r, dem_r, slope_units)


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


def _split_layer(raw: str | os.PathLike) -> tuple[Path, str | None]:
    """Split ``"inputs.gpkg:parcels"`` into the file and the layer name."""
    path = Path(raw)
    text = str(raw)
    if not path.exists() and ":" in text:
        head, _, tail = text.rpartition(":")
        if tail and Path(head).suffix.lower() == ".gpkg" and Path(head).exists():
            return Path(head), tail
    return path, None


def _choose_layer(rep: _Report, key: str, path: Path) -> str | None:
    """In a GeoPackage with several layers, take the one named like *key* (else the first)."""
    if path.suffix.lower() != ".gpkg" or not path.is_file() or path.stat().st_size == 0:
        return None
    import pyogrio

    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - unreadable: the reader reports it
        return None
    if len(layers) < 2:
        return None
    for name in layers:
        if name.lower() == key:
            return name
    rep.add(
        "info",
        "LAYER_CHOSEN",
        key,
        None,
        f"{path.name} holds {len(layers)} layers ({', '.join(layers)}); the first, {layers[0]!r}, "
        f"was read as {key}",
        f"name the layer: {path.name}:<layer>, or call the layer {key!r}",
    )
    return layers[0]


def check_files(
    *,
    villages: str | os.PathLike | None = None,
    parcels: str | os.PathLike | None = None,
    households: str | os.PathLike | None = None,
    histories: str | os.PathLike | None = None,
    climate: str | os.PathLike | None = None,
    dem: str | os.PathLike | None = None,
    slope: str | os.PathLike | None = None,
    mapping: Any = None,
    grouped: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Read input files with the :mod:`landuse.io` readers and audit them.

    Parameters
    ----------
    villages, parcels : path-like, optional
        GeoPackage, Shapefile, GeoJSON or FlatGeobuf files. In a GeoPackage with
        several layers the layer named ``villages`` (``parcels``) is read; name
        another one as ``"inputs.gpkg:layer"``.
    households, histories, climate : path-like, optional
        CSV (UTF-8) or XLSX files.
    dem, slope : path-like, optional
        GeoTIFF rasters.
    mapping : path-like or InputMapping, optional
        A mapping file (docs/mapping.md), applied to every layer as it is read.
    grouped : bool, default False
        Return one row per distinct problem (:func:`landuse.check.group_findings`).
    **options
        Passed to :func:`check_inputs` (``slope_units``, ``overlap_min_m2``,
        ``gap_min_m2``, ``sliver_max_width_m``, ``entitlements``).

    Returns
    -------
    pandas.DataFrame
        As :func:`check_inputs`, with ``FILE_NOT_FOUND`` / ``FILE_UNREADABLE`` rows for
        files that could not be read (and ``CHECK_SKIPPED`` rows for what they prevent).

    Raises
    ------
    SchemaError
        Nothing to check, or a bad option (as :func:`check_inputs`).
    RuleError, DataReadError
        A faulty or missing mapping file (naming the file, the line and the key).

    Examples
    --------
    >>> report = check_files(households="no/such/households.csv")
    >>> report.loc[0, ["severity", "code", "layer"]].tolist()
    ['error', 'FILE_NOT_FOUND', 'households']
    """
    paths = _given(villages=villages, parcels=parcels, households=households, histories=histories,
                   climate=climate, dem=dem, slope=slope)
    if not paths:
        raise SchemaError(
            "nothing to check", hint="pass at least one file (villages=..., parcels=..., ...)"
        )
    rep = _Report()
    if mapping is not None and not isinstance(mapping, InputMapping):
        mapping = read_mapping(mapping)
    loaded: dict[str, Any] = {}
    for key, raw in paths.items():
        path, layer = _split_layer(raw)
        if key in ("villages", "parcels") and layer is None:
            layer = _choose_layer(rep, key, path)
        try:
            if key in ("dem", "slope"):
                loaded[key] = io.read_raster(path)
            elif key in ("villages", "parcels"):
                # read raw (land types as written, no column required): check_inputs maps
                # aliases and spellings itself and reports every fault
                with warnings.catch_warnings():  # dropped Z values are reported as GEOM_Z rows
                    warnings.filterwarnings("ignore", message=".*Z \\(3D\\) coordinates",
                                            category=LanduseWarning)
                    loaded[key] = io.read_vector(path, layer=layer, what=key)
            else:
                # the table readers coerce text in numeric columns to NaN when not validating;
                # read the raw table so that such values are reported, not lost
                loaded[key] = io.read_table(path, what=key)
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
        found = check_inputs(**loaded, mapping=mapping, **options)
        rep.rows.extend(found.to_dict("records"))
    findings = rep.frame()
    return group_findings(findings) if grouped else findings
