"""Checks of the tables (households, histories, climate) for :mod:`landuse.check` (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse import _validate, io
from landuse.allocation.quotas import load_rules
from landuse.check._base import (
    _CLIMATE_LIMITS,
    _check_ids,
    _check_safe_ids,
    _fid,
    _missing_columns,
    _ref_fix,
    _Report,
    _text_encoding,
    _to_numbers,
)
from landuse.errors import LanduseError
from landuse.io import REQUIRED
from landuse.irrigation import daylight_hours_h


def _check_households(rep: _Report, households: pd.DataFrame, vstate: dict | None) -> set | None:
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
                _ref_fix(
                    v, vids, "correct the village_id or add the village to the villages layer"
                ),
                column="village_id",
            )
    members = labour = None
    if "members" in households.columns:
        members = _to_numbers(rep, households, "members", layer, id_col)
        for pos in np.flatnonzero(((members >= 1) & (members % 1 != 0)).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                _fid(households, pos, id_col),
                f"members is {members.iloc[pos]:g}; members count persons, a whole number",
                "count the persons living in the household (labour_units takes fractions)",
                column="members",
            )
        for pos in np.flatnonzero((members < 1).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                _fid(households, pos, id_col),
                f"members is {members.iloc[pos]:g}; a household has at least 1 member",
                "count the persons living in the household",
                column="members",
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
                column="labour_units",
            )
    for col, values, top, what in (
        ("members", members, _MEMBERS_MAX, "persons"),
        ("labour_units", labour, _LABOUR_MAX, "labour units"),
    ):
        if values is None:
            continue
        for pos in np.flatnonzero((values > top).to_numpy()):
            rep.add(
                "warning",
                "VALUE_IMPLAUSIBLE",
                layer,
                _fid(households, pos, id_col),
                f"{col} is {values.iloc[pos]:g}; more than {top} {what} in one household is "
                "implausible",
                "check the value (a typing error such as 50 for 5?) or split the household",
                column=col,
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
    if id_col:
        _check_safe_ids(rep, histories["plot_id"], "plot_id", layer)
    if "year" in histories.columns:
        year = _to_numbers(rep, histories, "year", layer, id_col)
        lo, hi = _validate.YEAR_MIN, _validate.year_max()
        for pos in np.flatnonzero(((year < lo) | (year > hi) | (year % 1 != 0)).to_numpy()):
            rep.add(
                "error",
                "VALUE_RANGE",
                layer,
                _fid(histories, pos, id_col),
                f"year {histories['year'].iloc[pos]!r} is not a plausible calendar year "
                f"(histories run from {lo} to {hi}, next year)",
                "write the year with four digits as remembered, e.g. 2016 (a year typed in the "
                "future makes fallow periods of centuries)",
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
        unknown = io.per_distinct(histories["status"], lambda s: (
            ~s.astype("string").str.strip().str.lower()
            .replace({"cropped": "cultivated", "crop": "cultivated", "forest": "other"})
            .isin(_validate.HISTORY_STATUSES)).fillna(True))
        for pos in np.flatnonzero(unknown.to_numpy()):
            rep.add(
                "error",
                "STATUS_UNKNOWN",
                layer,
                _fid(histories, pos, id_col),
                f"status {histories['status'].iloc[pos]!r} is not in the vocabulary",
                f"use one of {', '.join(_validate.HISTORY_STATUSES)}, or map the value in a "
                "mapping file ([values.histories.status], docs/mapping.md)",
                column="status",
                value=histories["status"].iloc[pos],
            )


def _check_climate(rep: _Report, climate: pd.DataFrame) -> None:
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
    for col, (lo, hi) in _CLIMATE_PLAUSIBLE.items():
        v = values.get(col)
        if v is None:
            continue
        for pos in np.flatnonzero(((v < lo) | (v > hi)).to_numpy() & ~((v < _CLIMATE_LIMITS[col][0])
                                                                        | (v > _CLIMATE_LIMITS[col][1])).to_numpy()):
            rep.add(
                "warning",
                "VALUE_IMPLAUSIBLE",
                layer,
                label[pos],
                f"{col} is {v.iloc[pos]:g}, outside the plausible monthly range {lo}..{hi}",
                f"check the unit ({col.rsplit('_', 1)[-1]}), the month and the station",
            )
    if "sunshine_h" in values and month is not None:
        _check_sunshine(rep, df, values["sunshine_h"], month, label)
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


#: Plausible maxima of a household: members [persons] and labour units [-] (warnings).
_MEMBERS_MAX = 40
_LABOUR_MAX = 30
#: Plausible monthly means (warnings), inside the hard limits of ``_CLIMATE_LIMITS``: FAO-56
#: (Allen et al. 1998, ch. 3 and annex 6) expects monthly mean maxima and minima of
#: tropical stations well inside -10..45 °C, mean RH of at least 20 %, wind speed at 2 m
#: rarely above 10 m/s; monthly rain above 1,500 mm is unknown in Laos.
_CLIMATE_PLAUSIBLE = {
    "tmax_c": (-10, 45),
    "tmin_c": (-10, 35),
    "rh_mean_pct": (20, 100),
    "u2_m_s": (0, 10),
    "rain_mm": (0, 1500),
}
#: Latitudes of Laos used when the climate table has no ``lat_deg``. [degrees]
_LAOS_LAT_DEG = (13.9, 22.5)


def _check_sunshine(
    rep: _Report, df: pd.DataFrame, sunshine: pd.Series, month: pd.Series, label: list[str]
) -> None:
    """Sunshine hours cannot exceed the day length.

    The maximum possible duration of sunshine is ``N = 24/π · ω_s`` (FAO-56 eq. 34,
    Allen et al. 1998) with ``ω_s`` the sunset hour angle at the station's latitude
    on the 15th of the month. Without ``lat_deg``, the longest ``N`` over the
    latitudes of Laos (13.9-22.5 °N) is used. A month with ``n > N + 0.1 h`` is
    ``SUNSHINE_GT_DAYLENGTH``.
    """
    doy = np.array([pd.Timestamp(2001, int(m), 15).dayofyear if m == m and 1 <= m <= 12 else 15
                    for m in month], dtype=float)
    lat = pd.to_numeric(df["lat_deg"], errors="coerce") if "lat_deg" in df.columns else None
    if lat is not None and lat.notna().all() and ((lat.abs() <= 66)).all():
        n_max = np.asarray(daylight_hours_h(lat_deg=lat.to_numpy(float), doy=doy), float)
        where = "at the station's latitude"
    else:
        n_max = np.maximum(*(np.asarray(daylight_hours_h(lat_deg=np.full(len(doy), la), doy=doy), float)
                             for la in _LAOS_LAT_DEG))
        where = "anywhere in Laos"
    ok_month = month.isin(range(1, 13)).to_numpy()
    for pos in np.flatnonzero(ok_month & (sunshine.to_numpy() > n_max + 0.1)):
        rep.add(
            "error",
            "SUNSHINE_GT_DAYLENGTH",
            "climate",
            label[pos],
            f"sunshine_h is {sunshine.iloc[pos]:g} but the day lasts at most {n_max[pos]:.1f} h "
            f"{where} (FAO-56 eq. 34)",
            "give the mean daily hours of bright sunshine (not the month's total, not the day length)",
        )


def _check_rule_columns(rep: _Report, households: pd.DataFrame, rules: Any) -> None:
    """Columns the entitlement rules name (priority groups) must exist in the households.

    A missing column would silently drop the priority a village meeting decided, so it
    is ``RULE_COLUMN_MISSING``: an error, with the close column names found
    (:func:`difflib.get_close_matches`, case ignored) as a suggestion. With the bundled
    default rules (``rules="default"``) a missing column with no close match is not
    reported: the table simply records no such group (``entitlements`` warns when it
    allocates).
    """
    import difflib

    default = isinstance(rules, str) and rules == "default"
    try:
        r = load_rules(None if default else rules)
    except LanduseError as exc:
        rep.add("error", "FILE_UNREADABLE", "entitlements", None, str(exc), None)
        return
    columns = [str(c) for c in households.columns]
    lower = {c.lower(): c for c in columns}
    for g in r.priority_groups:
        if g.column in columns:
            continue
        near = difflib.get_close_matches(g.column.lower(), list(lower), n=3, cutoff=0.75)
        near = [lower[c] for c in near]
        source = "the bundled default rules" if default else "the entitlement rules"
        found = (f"{source} give priority group {g.name!r} by the column {g.column!r}, "
                 "which the households table does not have")
        if near:
            rep.add("error", "RULE_COLUMN_MISSING", "households", None,
                    f"{found}; did you mean {' or '.join(repr(c) for c in near)}?",
                    f"rename the column to {g.column!r} (names are case-sensitive) or change "
                    "'column' in the rule file")
        elif not default:
            rep.add("error", "RULE_COLUMN_MISSING", "households", None,
                    f"{found} (columns: {', '.join(columns)}); no household gets this priority",
                    f"add the column {g.column!r} (yes/no per household) or remove the "
                    "[[priority_group]] from the rule file")
