"""Household land entitlements from transparent rules, and the exceedance report.

A household's entitlement to each allocatable land type is computed from its labour
units and a rule file (TOML, units in every key) that a village meeting can read and
change. Every figure comes with the sentence that produced it (the ``rule`` column),
so that it can be read out and checked in the meeting.

The bundled rules (``landuse/allocation/data/entitlements_lao.toml``) follow
``domain.md`` §5: 0.7 ha of upland rice per labour unit and year (Lao-IRRI 1992)
times 3 fields in the rotation, at most 3 rotational plots per household
(Ducourtieux et al. 2005), about 1 ha of paddy and 3 ha of permanent crops per
labour unit (Land Law as reported; default, configurable, not confirmed by a
primary text).

Examples
--------
>>> import pandas as pd
>>> hh = pd.DataFrame({"household_id": ["H1", "H2"], "village_id": "V1",
...                    "labour_units": [2.0, 3.0]})
>>> ent = entitlements(hh)
>>> ent.loc[ent.land_type == "upland", ["household_id", "entitled_ha"]]
  household_id  entitled_ha
1           H1          4.2
4           H2          6.3
>>> print(ent.loc[1, "rule"])
upland: 0.7 ha/LU x 2 LU x 3 rotation plots = 4.2 ha
"""

from __future__ import annotations

import difflib
import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landuse import _validate
from landuse._validate.toml import (
    Table,
    TomlDoc,
    anything,
    integer,
    number,
    read_toml_text,
    table,
    tables,
    text,
)
from landuse.errors import LanduseWarning, RuleError, SchemaError
from landuse.fallow import FallowClasses, sustainable_fallow_years

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd

__all__ = [
    "DEFAULT_RULES_PATH",
    "EntitlementRules",
    "PriorityGroup",
    "entitlements",
    "exceedance",
    "implied_fallow_years",
    "labour_units_from_ages",
    "load_entitlement_rules",
]

#: The bundled Lao defaults.
DEFAULT_RULES_PATH = Path(__file__).parent / "data" / "entitlements_lao.toml"

_LABOUR_KEYS = {
    "adult_min_age_years": 15.0,
    "adult_max_age_years": 60.0,
    "youth_min_age_years": 12.0,
    "adult_labour_units": 1.0,
    "youth_labour_units": 0.5,
    "elder_labour_units": 0.5,
    "minimum_labour_units": 0.0,
}
#: Settings given per land type in ``[entitlement]`` (``max_plots`` is ``max_<type>_plots``).
_PER_TYPE = ("ha_per_labour_unit", "rotation_plots", "max_plots", "min_ha", "max_ha")


def _key_of(land_type: str, what: str) -> str:
    return f"max_{land_type}_plots" if what == "max_plots" else f"{land_type}_{what}"


#: Key of ``[entitlement]`` -> (land type, setting).
_ENTITLEMENT_KEYS = {_key_of(t, w): (t, w) for t in _validate.LAND_TYPES for w in _PER_TYPE}
_PER_TYPE_SPEC = {"ha_per_labour_unit": number(minimum=0.0), "rotation_plots": integer(minimum=1),
                  "max_plots": integer(minimum=1), "min_ha": number(minimum=0.0),
                  "max_ha": number(minimum=0.0, allow_inf=True)}
_SCHEMA = Table({
    "rules": table(Table(other=anything())),
    "labour": table(Table({k: number(minimum=0.0, default=v) for k, v in _LABOUR_KEYS.items()}),
                    default={}),
    "entitlement": table(Table(
        {"cap_factor": number(minimum=1.0),
         **{k: _PER_TYPE_SPEC[w] for k, (t, w) in _ENTITLEMENT_KEYS.items()}},
        keys_hint="keys are <type>_ha_per_labour_unit, <type>_rotation_plots, max_<type>_plots, "
        "<type>_min_ha, <type>_max_ha or cap_factor, with <type> one of "
        f"{', '.join(_validate.LAND_TYPES)}"), default={}),
    "priority_group": tables(Table({"name": text(), "column": text(required=True),
                                    "shortfall_weight": number(minimum=1.0, default=1.0)}),
                             default=[]),
})


@dataclass(frozen=True)
class PriorityGroup:
    """Households flagged in ``column`` whose relative shortfall weighs ``shortfall_weight``."""

    name: str
    column: str
    shortfall_weight: float = 1.0


@dataclass(frozen=True)
class EntitlementRules:
    """Validated entitlement rules (see :func:`load_rules`).

    Attributes
    ----------
    land_types : tuple of str
        Allocatable land types, in file order.
    ha_per_labour_unit : dict
        Area per labour unit and land type. [ha LU⁻¹]
    rotation_plots : dict
        Fields in the rotation per land type (1 for non-rotational types). [-]
    max_plots : dict
        Maximum number of plots per household and land type. [-]
    min_ha, max_ha : dict
        Minimum and maximum entitlement per household and land type. [ha]
    cap_factor : float
        A household never receives more than ``cap_factor`` x its entitlement; 1.0
        (the default) keeps every allocation within the legal quota that
        :func:`exceedance` checks. [-]
    labour : dict
        Age limits [years] and weights [LU] used by :func:`labour_units_from_ages`,
        and ``minimum_labour_units``.
    priority_groups : tuple of PriorityGroup
    source : str
        Where the rules came from (file name or ``"dict"``).
    """

    land_types: tuple[str, ...]
    ha_per_labour_unit: dict[str, float]
    rotation_plots: dict[str, int]
    max_plots: dict[str, int]
    min_ha: dict[str, float]
    max_ha: dict[str, float]
    cap_factor: float = 1.0
    labour: dict[str, float] = field(default_factory=lambda: dict(_LABOUR_KEYS))
    priority_groups: tuple[PriorityGroup, ...] = ()
    source: str = "dict"

    @property
    def default_max_plots(self) -> int:
        """Plot limit used for a land type without a ``max_<type>_plots`` key."""
        return 3


def load_rules(rules: str | os.PathLike | Mapping[str, Any] | EntitlementRules | None = None) -> EntitlementRules:
    """Load and validate entitlement rules.

    Parameters
    ----------
    rules : path-like, mapping, EntitlementRules or None
        A TOML file, an already parsed mapping with the same layout, a ready
        :class:`EntitlementRules`, or None for the bundled Lao defaults
        (:data:`DEFAULT_RULES_PATH`).

    Returns
    -------
    EntitlementRules

    Raises
    ------
    RuleError
        Unreadable TOML (with its line), unknown keys, negative or non-numeric
        values, a land type outside the parcel vocabulary, or no land type at all.
        The message names the file, the line and the key.

    Notes
    -----
    Layout (see the bundled file for every key and its source)::

        [labour]        age limits and weights for labour units from ages
        [entitlement]   <type>_ha_per_labour_unit, <type>_rotation_plots,
                        max_<type>_plots, <type>_min_ha, <type>_max_ha, cap_factor
        [[priority_group]]  name, column, shortfall_weight

    Examples
    --------
    >>> r = load_rules()
    >>> r.land_types, r.max_plots["upland"], r.ha_per_labour_unit["upland"]
    (('paddy', 'upland', 'permanent'), 3, 0.7)
    >>> load_rules({"entitlement": {"upland_ha_per_labour_unit": -1}})
    Traceback (most recent call last):
    landuse.errors.RuleError: dict: key 'upland_ha_per_labour_unit' in [entitlement]: value -1 is negative. Fix: use a value >= 0
    """
    if isinstance(rules, EntitlementRules):
        return rules
    doc = _rules_doc(rules)
    data = doc.check(doc.data, _SCHEMA)
    labour = {k: data["labour"][k] for k in _LABOUR_KEYS}
    if not labour["youth_min_age_years"] <= labour["adult_min_age_years"] <= labour["adult_max_age_years"]:
        raise doc.error(("labour", "adult_min_age_years"), "age limits must satisfy youth_min_age_years "
                        "<= adult_min_age_years <= adult_max_age_years",
                        hint="correct the [labour] age limits")
    per_type, cap_factor = _entitlement_table(doc, data["entitlement"])
    rate, rot, plots, mins, maxs = (per_type[w] for w in _PER_TYPE)
    types = tuple(rate)
    groups = [PriorityGroup(g.get("name", g["column"]), g["column"], g["shortfall_weight"])
              for g in data["priority_group"]]
    _warn_critical_fallow({t: rot.get(t, 1) for t in types}, doc.source)
    return EntitlementRules(
        land_types=types,
        ha_per_labour_unit=rate,
        rotation_plots={t: rot.get(t, 1) for t in types},
        max_plots={t: plots.get(t, 3) for t in types},
        min_ha={t: mins.get(t, 0.0) for t in types},
        max_ha={t: maxs.get(t, math.inf) for t in types},
        cap_factor=cap_factor,
        labour=labour,
        priority_groups=tuple(groups),
        source=doc.source,
    )


def _rules_doc(rules: str | os.PathLike | Mapping[str, Any] | None) -> TomlDoc:
    """The rule file (or mapping) as a parsed :class:`TomlDoc` named by the file name."""
    if rules is None or isinstance(rules, (str, os.PathLike)):
        path = Path(DEFAULT_RULES_PATH if rules is None else rules)
        if not path.exists():
            raise RuleError("rule file not found", source=str(path),
                            hint="check the path, or omit --rules to use the bundled Lao defaults")
        return TomlDoc.parse(read_toml_text(path, what="rule file"), source=path.name)
    if isinstance(rules, Mapping):
        return TomlDoc(dict(rules), source="dict")
    raise RuleError(f"rules must be a path, a mapping or EntitlementRules, not {type(rules).__name__}")


def _entitlement_table(doc: TomlDoc, ent: dict[str, Any]) -> tuple[dict[str, dict], float]:
    """The checked ``[entitlement]`` table per setting and land type, and the cap factor."""
    per_type: dict[str, dict] = {w: {} for w in _PER_TYPE}
    for key, value in ent.items():
        if key != "cap_factor":
            t, what = _ENTITLEMENT_KEYS[key]
            per_type[what][t] = value
    rate = per_type["ha_per_labour_unit"]
    if not rate:
        raise doc.error(("entitlement",), "no land type has an area per labour unit",
                        missing="upland_ha_per_labour_unit",
                        hint="add e.g. upland_ha_per_labour_unit = 0.7 under [entitlement]")
    for what, values in per_type.items():
        for t in values:
            if t not in rate:
                raise doc.error(("entitlement", _key_of(t, what)),
                                f"land type {t!r} has limits but no {t}_ha_per_labour_unit",
                                hint=f"add {t}_ha_per_labour_unit under [entitlement]")
    mins, maxs = per_type["min_ha"], per_type["max_ha"]
    for t in rate:
        if mins.get(t, 0.0) > maxs.get(t, math.inf):
            raise doc.error(("entitlement", f"{t}_min_ha"), f"{t}_min_ha {mins[t]:g} is above "
                            f"{t}_max_ha {maxs[t]:g}", hint="make the minimum no larger than the maximum")
    # never above the legal quota unless the rules say so
    return per_type, ent.get("cap_factor", 1.0)


def implied_fallow_years(rotation_plots: int, *, cropping_years: float = 1.0) -> float:
    """Fallow implied by a rotation of *rotation_plots* equal fields, one cleared a year.

    ``F = c (n - 1)`` (:func:`landuse.fallow.sustainable_fallow_years` with the
    rotational area *n* times the cropped area). [years]

    Examples
    --------
    >>> implied_fallow_years(3)
    2.0
    """
    return float(sustainable_fallow_years(float(rotation_plots), 1.0,
                                          cropping_years=cropping_years))


def _warn_critical_fallow(rotation_plots: dict[str, int], source: str) -> None:
    """Warn when a rotation quota implies a fallow that landuse.fallow classes as critical."""
    limit = FallowClasses().critical_max
    for t, n in rotation_plots.items():
        if n > 1 and implied_fallow_years(n) <= limit:
            warnings.warn(
                f"{source}: {t}_rotation_plots = {n} implies a {implied_fallow_years(n):g}-year "
                f"fallow, which landuse.fallow classes as critical (fallow <= "
                f"{limit:g} years, FallowClasses.critical_max); the entitlements follow the "
                f"rule, but the land they give cannot sustain a longer fallow. Set "
                f"{t}_rotation_plots = {int(limit) + 2} or more for a "
                f"{int(limit) + 1}-year fallow where the village has the land",
                LanduseWarning,
                stacklevel=4,
            )


#: Public name of :func:`load_rules` at the package level (``landuse.load_rules`` is
#: the zoning rule loader).
load_entitlement_rules = load_rules


def _parse_ages(value: Any) -> list[float] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
    else:
        items = [v for v in re.split(r"[;,\s|]+", str(value).strip()) if v]
    return [float(v) for v in items]


def labour_units_from_ages(ages: Any, *, rules: Any = None) -> float:
    """Labour units of one household from its members' ages.

    Parameters
    ----------
    ages : sequence of float or str
        Members' ages [years], as a list or a string such as ``"45;41;16;9"``.
    rules : optional
        Entitlement rules (see :func:`load_rules`); their ``[labour]`` section gives
        the age limits and weights.

    Returns
    -------
    float
        Labour units. [LU]

    Notes
    -----
    .. math:: LU = \\sum_i w(a_i),\\quad w(a) = \\begin{cases}
              1.0 & 15 \\le a \\le 60 \\\\ 0.5 & 12 \\le a < 15 \\text{ or } a > 60 \\\\
              0 & a < 12 \\end{cases}

    The weights and limits are the derived defaults of ``domain.md`` §5.3
    (default, configurable).

    Examples
    --------
    Three adults (45, 41, 16), a youth (13), a child (9) and an elder (70):

    >>> labour_units_from_ages("45;41;16;13;9;70")
    4.0
    """
    r = load_rules(rules)
    lab = r.labour
    parsed = _parse_ages(ages)
    if parsed is None:
        raise SchemaError("no ages given", column="ages", hint="list members' ages like 45;41;16")
    total = 0.0
    for a in parsed:
        if a < 0 or a > 130 or np.isnan(a):
            raise SchemaError(f"age {a:g} is not plausible", column="ages", hint="ages are in years, 0-130")
        if lab["adult_min_age_years"] <= a <= lab["adult_max_age_years"]:
            total += lab["adult_labour_units"]
        elif a > lab["adult_max_age_years"]:
            total += lab["elder_labour_units"]
        elif a >= lab["youth_min_age_years"]:
            total += lab["youth_labour_units"]
    return total


def _truthy(values: pd.Series) -> pd.Series:
    def one(v: Any) -> bool:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return False
        if isinstance(v, str):
            return v.strip().lower() in ("1", "true", "yes", "y", "t", "x")
        return bool(v)

    return values.map(one).astype(bool)


def _household_labour(households: pd.DataFrame, rules: EntitlementRules, layer: str) -> tuple[pd.Series, pd.Series]:
    """Labour units per household (index-aligned) and how they were obtained."""
    has_lu = "labour_units" in households.columns
    has_ages = "ages" in households.columns
    if not has_lu and not has_ages:
        _validate.require_columns(households, ["labour_units"], layer=layer)
    lu = pd.Series(np.nan, index=households.index, dtype=float)
    how = pd.Series("", index=households.index, dtype=object)
    if has_lu:
        lu = _validate.require_numeric(households, "labour_units", layer=layer, id_column="household_id",
                                       min_value=0, allow_null=has_ages)
        how[:] = "given"
    if has_ages:
        for idx, ages in households["ages"].items():
            try:
                parsed = _parse_ages(ages)
            except ValueError as exc:
                raise SchemaError(f"ages {ages!r} cannot be read", source=layer,
                                  feature_id=households.at[idx, "household_id"], column="ages",
                                  hint="list members' ages in years separated by ';'") from exc
            if parsed is None:
                continue
            try:
                lu[idx] = labour_units_from_ages(parsed, rules=rules)
            except SchemaError as exc:
                raise SchemaError(exc.message, source=layer, feature_id=households.at[idx, "household_id"],
                                  column="ages", hint=exc.hint) from exc
            how[idx] = "from ages " + ",".join(f"{a:g}" for a in parsed)
    missing = lu.isna()
    if missing.any():
        fid = households.loc[missing.idxmax(), "household_id"]
        raise SchemaError("household has neither labour_units nor ages", source=layer, feature_id=fid,
                          column="labour_units", hint="fill in labour_units or the members' ages")
    floor = rules.labour["minimum_labour_units"]
    raised = lu < floor
    if raised.any():
        how[raised] = how[raised] + f", raised to the minimum {floor:g} LU"
        lu = lu.clip(lower=floor)
    return lu.astype(float), how


def _check_households(households: Any) -> str:
    if not isinstance(households, pd.DataFrame):
        raise SchemaError(f"households must be a DataFrame, not {type(households).__name__}",
                          source="households", hint="read the table with landuse.io.read_households")
    layer = _validate.layer_name(households, "households")
    _validate.require_columns(households, ["household_id", "village_id"], layer=layer)
    _validate.require_no_nulls(households, "household_id", layer=layer)
    _validate.require_unique(households, "household_id", layer=layer)
    _validate.require_no_nulls(households, "village_id", layer=layer, id_column="household_id")
    return layer


def _fmt(v: float) -> str:
    return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def entitlements(households: pd.DataFrame, *, rules: Any = None) -> pd.DataFrame:
    """Entitlement of every household to every allocatable land type.

    Parameters
    ----------
    households : DataFrame
        ``household_id``, ``village_id`` and ``labour_units`` [LU] or ``ages``
        (members' ages [years], e.g. ``"45;41;16"``; used where given). Columns named
        by the rules' priority groups (e.g. ``landless``) mark priority households.
    rules : path-like, mapping or EntitlementRules, optional
        See :func:`load_rules`; default the bundled Lao rules.

    Returns
    -------
    DataFrame
        One row per household and land type, sorted by household and in the rules'
        land-type order: ``household_id``, ``village_id``, ``land_type``,
        ``labour_units`` [LU], ``entitled_ha`` [ha], ``cap_ha`` [ha] (the most the
        household may receive), ``max_plots`` [-], ``priority`` (group names),
        ``shortfall_weight`` [-] and ``rule`` (the sentence that produced the figure).

    Raises
    ------
    SchemaError
        Missing columns, duplicate ids, non-numeric or negative labour units,
        unreadable ages, and households whose entitlement would be zero because
        they have no labour units (set ``minimum_labour_units`` or a ``<type>_min_ha``
        to give them land).

    Notes
    -----
    For household *h* with labour units :math:`LU_h` and land type *t*:

    .. math:: E_{h,t} = \\min\\big(\\max(r_t \\cdot LU_h \\cdot n_t,\\ E^{min}_t),\\ E^{max}_t\\big),
              \\qquad C_{h,t} = c \\cdot E_{h,t}

    with :math:`r_t` the area per labour unit [ha LU⁻¹], :math:`n_t` the fields in the
    rotation (3 for upland, 1 otherwise), :math:`E^{min}_t`, :math:`E^{max}_t` the
    minimum and maximum [ha] and :math:`c` the cap factor. Sources: ``domain.md`` §5
    (Lao-IRRI 1992 for 0.7 ha LU⁻¹ upland; Ducourtieux, Laffort & Sacklokham 2005,
    *Development and Change* 36(3), for the 3-plot rule; other values default,
    configurable).

    Examples
    --------
    >>> import pandas as pd
    >>> hh = pd.DataFrame({"household_id": ["A"], "village_id": "V", "ages": ["40;38;14;6"]})
    >>> row = entitlements(hh, rules={"entitlement": {"paddy_ha_per_labour_unit": 0.5}}).iloc[0]
    >>> print(row.labour_units, row.entitled_ha, row.rule)
    2.5 1.25 paddy: 0.5 ha/LU x 2.5 LU (from ages 40,38,14,6) = 1.25 ha
    """
    r = load_rules(rules)
    layer = _check_households(households)
    lu, how = _household_labour(households, r, layer)
    if not any(v > 0 for v in r.min_ha.values()):
        zero = lu <= 0
        if zero.any():
            pos = int(np.flatnonzero(zero.to_numpy())[0])
            raise SchemaError(
                f"household has 0 labour units, so its entitlement would be 0 ha "
                f"({int(zero.sum())} such households)",
                source=layer, feature_id=households["household_id"].iloc[pos], column="labour_units",
                hint="correct labour_units (adults count 1.0, youths and elders 0.5), or set "
                "minimum_labour_units under [labour] or a <type>_min_ha in the rules",
            )
    weight = pd.Series(1.0, index=households.index)
    prio = pd.Series("", index=households.index, dtype=object)
    for g in r.priority_groups:
        if g.column not in households.columns:
            lower = {str(c).lower(): str(c) for c in households.columns}
            near = difflib.get_close_matches(g.column.lower(), list(lower), n=1, cutoff=0.75)
            also = f"; did you mean {lower[near[0]]!r}?" if near else ""
            warnings.warn(f"priority group {g.name!r}: the households have no column {g.column!r}{also} "
                          "No household gets this priority (landuse check reports RULE_COLUMN_MISSING)",
                          LanduseWarning, stacklevel=2)
            continue
        flag = _truthy(households[g.column])
        weight[flag] = np.maximum(weight[flag], g.shortfall_weight)
        prio[flag] = prio[flag].map(lambda s, n=g.name: f"{s},{n}" if s else n)

    rows = []
    order = np.argsort(households["household_id"].astype(str).to_numpy(), kind="stable")
    for pos in order:
        idx = households.index[pos]
        hid, vid, n_lu = households.at[idx, "household_id"], households.at[idx, "village_id"], float(lu[idx])
        src = "" if how[idx] == "given" else f" ({how[idx]})"
        for t in r.land_types:
            rate, n = r.ha_per_labour_unit[t], r.rotation_plots[t]
            base = rate * n_lu * n
            text = f"{t}: {_fmt(rate)} ha/LU x {_fmt(n_lu)} LU{src}"
            if n > 1:
                text += f" x {n} rotation plots"
            ent = base
            if ent < r.min_ha[t]:
                ent = r.min_ha[t]
                text += f" = {_fmt(base)} ha, raised to the minimum {_fmt(ent)} ha"
            elif ent > r.max_ha[t]:
                ent = r.max_ha[t]
                text += f" = {_fmt(base)} ha, capped at the maximum {_fmt(ent)} ha"
            else:
                text += f" = {_fmt(ent)} ha"
            rows.append((hid, vid, t, n_lu, round(ent, 6), round(ent * r.cap_factor, 6),
                         r.max_plots[t], prio[idx], float(weight[idx]), text))
    return pd.DataFrame(rows, columns=["household_id", "village_id", "land_type", "labour_units",
                                       "entitled_ha", "cap_ha", "max_plots", "priority",
                                       "shortfall_weight", "rule"])


def exceedance(parcels: gpd.GeoDataFrame, households: pd.DataFrame, *, rules: Any = None) -> pd.DataFrame:
    """Households whose current holdings exceed their entitlement. Nothing is deleted.

    Parameters
    ----------
    parcels : GeoDataFrame
        ``parcel_id``, ``land_type``, ``household_id`` (current holder; empty = none)
        and Polygon geometries in a projected CRS (areas are measured from them).
    households : DataFrame
        As for :func:`entitlements`.
    rules : optional
        See :func:`load_rules`.

    Returns
    -------
    DataFrame
        One row per household and land type (and ``"total"``) where the holding is
        above the entitlement in area or in number of plots: ``household_id``,
        ``village_id``, ``land_type``, ``held_ha``, ``entitled_ha``, ``excess_ha``
        [ha], ``excess_pct`` [%], ``held_plots``, ``max_plots``, ``excess_plots`` [-]
        and ``parcel_ids`` (the parcels held, ``;``-separated). The total row compares
        the holdings of all allocatable types with the summed entitlement.

    Raises
    ------
    SchemaError, CRSError
        Missing columns, a geographic CRS, or a holder that is not in the
        households table.

    Notes
    -----
    Land beyond a household's labour capacity may revert to the village for
    reallocation (``domain.md`` §5.2); this report lists it for the village meeting
    and never changes the parcels.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], "land_type": "paddy",
    ...     "household_id": "H1"}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    ...     crs="EPSG:32647")
    >>> hh = pd.DataFrame({"household_id": ["H1"], "village_id": "V", "labour_units": [1.5]})
    >>> exceedance(parcels, hh)[["land_type", "held_ha", "entitled_ha", "excess_ha"]]
      land_type  held_ha  entitled_ha  excess_ha
    0     paddy      2.0          1.5        0.5
    """
    r = load_rules(rules)
    player = _validate.layer_name(parcels, "parcels")
    _validate.require_geodataframe(parcels, layer=player)
    _validate.require_projected(parcels, layer=player)
    _validate.require_columns(parcels, ["parcel_id", "land_type", "household_id"], layer=player)
    ent = entitlements(households, rules=r)
    holder = parcels["household_id"]
    held_mask = holder.notna() & (holder.astype(str).str.strip() != "")
    held = pd.DataFrame({
        "parcel_id": parcels["parcel_id"].astype(str),
        "household_id": holder.astype(object),
        "land_type": parcels["land_type"],
        "area_ha": parcels.geometry.area.to_numpy() / 10_000.0,
    })[held_mask.to_numpy()]
    held["household_id"] = held["household_id"].astype(str)
    known = set(ent["household_id"].astype(str))
    unknown = ~held["household_id"].isin(known)
    if unknown.any():
        first = held[unknown].iloc[0]
        raise SchemaError(f"parcel is held by household {first.household_id!r}, which is not in the "
                          f"households table ({int(unknown.sum())} such parcels)", source=player,
                          feature_id=first.parcel_id, column="household_id",
                          hint="add the household to the table or correct the holder id")
    held = held[held["land_type"].isin(r.land_types)].sort_values(["household_id", "parcel_id"])
    agg = held.groupby(["household_id", "land_type"]).agg(
        held_ha=("area_ha", "sum"), held_plots=("parcel_id", "size"),
        parcel_ids=("parcel_id", lambda s: ";".join(s)))
    e = ent.assign(household_id=ent["household_id"].astype(str)).set_index(["household_id", "land_type"])
    table = e[["village_id", "entitled_ha", "max_plots"]].join(agg, how="inner")
    tot_e = e.groupby(level=0).agg(village_id=("village_id", "first"), entitled_ha=("entitled_ha", "sum"))
    tot_h = held.groupby("household_id").agg(held_ha=("area_ha", "sum"), held_plots=("parcel_id", "size"),
                                            parcel_ids=("parcel_id", lambda s: ";".join(s)))
    tot = tot_e.join(tot_h, how="inner")
    tot["max_plots"] = sum(r.max_plots.values())
    tot.index = pd.MultiIndex.from_arrays([tot.index, ["total"] * len(tot)], names=["household_id", "land_type"])
    out = pd.concat([table, tot]).reset_index()
    out["excess_ha"] = (out["held_ha"] - out["entitled_ha"]).round(6)
    out["excess_plots"] = (out["held_plots"] - out["max_plots"]).clip(lower=0).astype(int)
    over = (out["excess_ha"] > 1e-9) | (out["excess_plots"] > 0)
    out = out[over].copy()
    out["excess_ha"] = out["excess_ha"].clip(lower=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(out["entitled_ha"] > 0, 100 * out["excess_ha"] / out["entitled_ha"], np.inf)
    out["excess_pct"] = np.round(pct, 2)
    out["held_ha"] = out["held_ha"].round(6)
    order = {t: i for i, t in enumerate((*r.land_types, "total"))}
    out = out.assign(_o=out["land_type"].map(order)).sort_values(["household_id", "_o"]).drop(columns="_o")
    cols = ["household_id", "village_id", "land_type", "held_ha", "entitled_ha", "excess_ha", "excess_pct",
            "held_plots", "max_plots", "excess_plots", "parcel_ids"]
    return out[cols].reset_index(drop=True)
