"""Zoning rule files: parsing and validation (private; public API in :mod:`landuse.zoning`).

A rule file is TOML with units in the keys (see ``landuse/zoning/data/zoning_lao_plup.toml``,
which documents every table and key). :func:`parse_rules` turns its text into a frozen
:class:`RuleSet` and raises :class:`~landuse.errors.RuleError` naming the line and the
key of the first fault: TOML syntax errors (line from :mod:`tomllib`), unknown tables or
keys, wrong types, negative or inconsistent thresholds, unknown zones, missing keys.
"""

from __future__ import annotations

import dataclasses

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landuse._validate import LAND_TYPES
from landuse._validate.toml import (
    Table,
    TomlDoc,
    anything,
    array,
    closest,
    flag,
    integer,
    number,
    table,
    tables,
    text,
)

#: Default rule file shipped with the package: Lao PLUP village zoning.
DEFAULT_RULES_PATH = Path(__file__).parent / "data" / "zoning_lao_plup.toml"

#: FAO (1976) land suitability classes, best first.
SUITABILITY_CLASSES = ("S1", "S2", "S3", "N")
#: Factors of the suitability tables and the unit suffix of their keys.
SUITABILITY_FACTORS = ("slope_pct", "stream_distance_m", "elev_m")

_NUMERIC_CONDITIONS = (
    "min_slope_pct", "max_slope_pct", "min_elev_m", "max_elev_m",
    "stream_buffer_m", "max_stream_distance_m", "min_stream_distance_m",
)
_STATUSES = ("sourced", "default", "derived default")
_CATEGORIES = ("forest", "agricultural", "construction", "communication", "water", "other")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Zone:
    """One zone of the vocabulary: code, category, labels, colour, compatible land types."""

    code: str
    category: str
    label_en: str
    label_lo: str
    color: str
    allowed_land_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One zoning rule: the zone it assigns when all its conditions hold, and why.

    Numeric conditions are ``None`` when absent. ``min_*`` bounds are exclusive and
    ``max_*`` bounds inclusive, so that ``(min, max]`` intervals chain without overlap.
    """

    id: str
    zone: str
    reason: str
    status: str = "derived default"
    source: str = ""
    min_slope_pct: float | None = None
    max_slope_pct: float | None = None
    min_elev_m: float | None = None
    max_elev_m: float | None = None
    max_stream_distance_m: float | None = None
    min_stream_distance_m: float | None = None
    max_stream_order: int | None = None
    forest: bool | None = None
    existing_land_type: tuple[str, ...] | None = None
    designated: bool | None = None
    line: int | None = None

    @property
    def is_catch_all(self) -> bool:
        """True when the rule has no condition (it matches every cell)."""
        return not self.uses_streams and all(
            getattr(self, k) is None
            for k in ("min_slope_pct", "max_slope_pct", "min_elev_m", "max_elev_m",
                      "forest", "existing_land_type", "designated")
        )

    @property
    def uses_streams(self) -> bool:
        """True when the rule needs the distance to streams."""
        return self.max_stream_distance_m is not None or self.min_stream_distance_m is not None


@dataclass(frozen=True, slots=True)
class SuitabilityLimits:
    """Upper limits of S1, S2 and S3 for one factor; beyond ``s3_max`` the class is N."""

    factor: str
    s1_max: float
    s2_max: float
    s3_max: float


@dataclass(frozen=True)
class RuleSet:
    """A validated zoning rule set (see :func:`landuse.zoning.load_rules`)."""

    name: str
    zones: dict[str, Zone]
    rules: tuple[Rule, ...]
    min_patch_ha: float = 0.5
    smoothing_window_cells: int = 3
    forest_min_canopy_pct: float = 20.0
    forest_min_patch_ha: float = 0.5
    slope_breaks_pct: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
    slope_codes: tuple[str, ...] = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10")
    slope_names: tuple[str, ...] = ()
    suitability: dict[str, tuple[SuitabilityLimits, ...]] = field(default_factory=dict)
    conflict_medium_share_pct: float = 20.0
    conflict_high_share_pct: float = 50.0
    source: str = "<rules>"

    @property
    def zone_codes(self) -> dict[str, int]:
        """Zone name -> integer code (1-based, in file order) used on the grid."""
        return {z: i + 1 for i, z in enumerate(self.zones)}

    def slope_limit_pct(self, land_type: str) -> float | None:
        """The maximum slope of *land_type* (upper limit of S3), or None."""
        for lim in self.suitability.get(land_type, ()):
            if lim.factor == "slope_pct":
                return lim.s3_max
        return None


def _inherit_slope_limit(rule: Rule, suitability: dict) -> Rule:
    """Give an ``existing_land_type`` rule without ``max_slope_pct`` its types' slope limit."""
    if rule.existing_land_type is None or rule.max_slope_pct is not None:
        return rule
    limits = [lim.s3_max for t in rule.existing_land_type for lim in suitability.get(t, ())
              if lim.factor == "slope_pct"]
    if not limits:
        return rule
    return dataclasses.replace(rule, max_slope_pct=min(limits))


# -- the schema ----------------------------------------------------------------------------
_CHECKED_BELOW = anything()  # by _slope_classes: increasing numbers, one more code
_META = Table(other=anything())
_ZONING = Table({"min_patch_ha": number(minimum=0.0, default=0.5),
                 "smoothing_window_cells": integer(minimum=1, default=3)})
_FOREST = Table({"min_canopy_pct": number(minimum=0.0, maximum=100.0, default=20.0),
                 "min_patch_ha": number(minimum=0.0, default=0.5)})
_SLOPE_CLASSES = Table({"breaks_pct": _CHECKED_BELOW, "codes": _CHECKED_BELOW,
                        "names": _CHECKED_BELOW, "source": anything()})
_ZONE = Table({
    "category": text(required=True, choices=_CATEGORIES),
    "label_en": text(),
    "label_lo": text(default=""),
    "color": text(default="#999999"),
    "allowed_land_types": array(text(choices=LAND_TYPES), required=True, min_length=1),
})
_RULE = Table({
    "id": text(required=True),
    "zone": text(required=True),
    "reason": text(required=True),
    "status": text(default="derived default", choices=_STATUSES),
    "source": text(default=""),
    "forest": flag(),
    "existing_land_type": array(text(choices=LAND_TYPES), min_length=1),
    "designated": flag(),
    **{k: number(minimum=0.0, hint="thresholds are distances, slopes or areas and cannot "
                 "be negative") for k in _NUMERIC_CONDITIONS},
    "max_stream_order": integer(minimum=1),
})
_SUITABILITY = Table({f"{p}{f}": number(minimum=0.0) for f in SUITABILITY_FACTORS
                      for p in ("s1_max_", "s2_max_", "max_")})
_CONFLICTS = Table({"medium_share_pct": number(minimum=0.0, maximum=100.0, default=20.0),
                    "high_share_pct": number(minimum=0.0, maximum=100.0, default=50.0)})
_SCHEMA = Table({
    "meta": table(_META, default={}),
    "zoning": table(_ZONING, default={}),
    "forest": table(_FOREST, default={}),
    "slope_classes": table(_SLOPE_CLASSES, default={}),
    "zones": table(Table(other=table(_ZONE)), default={}),
    "rule": tables(_RULE, default=[]),
    "suitability": table(Table(other=table(_SUITABILITY)), default={}),
    "conflicts": table(_CONFLICTS, default={}),
})


# -- the parser ----------------------------------------------------------------------------
def parse_rules(text: str, *, source: str = "<rules>") -> RuleSet:
    """Parse and validate the text of a zoning rule file (:func:`landuse.zoning.load_rules`)."""
    doc = TomlDoc.parse(text, source=source)
    data = doc.check(doc.data, _SCHEMA)
    name = data["meta"].get("name", source)
    name = name if isinstance(name, str) else source
    window = data["zoning"]["smoothing_window_cells"]
    if window % 2 == 0:
        raise doc.error(("zoning", "smoothing_window_cells"), f"value {window} is even",
                        hint="use an odd window (1 = no smoothing, 3, 5, ...)")
    breaks, codes, names = _slope_classes(doc, data["slope_classes"])
    zones = _zones(doc, data["zones"])
    rules = _rules(doc, data["rule"], zones)
    suitability = _suitability(doc, data["suitability"])
    conf = data["conflicts"]
    medium, high = conf["medium_share_pct"], conf["high_share_pct"]
    if medium > high:
        raise doc.error(("conflicts", "medium_share_pct"),
                        f"medium_share_pct {medium} is above high_share_pct {high}")

    # An existing-land rule without its own max_slope_pct keeps existing land of its types
    # up to their parcel slope limit ([suitability.<type>] max_slope_pct, the smallest if
    # several), so the zone and the parcel-zone conflict check use one number.
    rules = [_inherit_slope_limit(r, suitability) for r in rules]

    return RuleSet(
        name=name, zones=zones, rules=tuple(rules), min_patch_ha=data["zoning"]["min_patch_ha"],
        smoothing_window_cells=window, forest_min_canopy_pct=data["forest"]["min_canopy_pct"],
        forest_min_patch_ha=data["forest"]["min_patch_ha"],
        slope_breaks_pct=tuple(float(b) for b in breaks),
        slope_codes=tuple(str(c) for c in codes), slope_names=tuple(str(n) for n in names),
        suitability=suitability, conflict_medium_share_pct=medium,
        conflict_high_share_pct=high, source=source,
    )


def _slope_classes(doc: TomlDoc, sc: dict) -> tuple[list, list, list]:
    """The slope class breaks, codes and names of ``[slope_classes]``, checked."""
    breaks = sc.get("breaks_pct", list(RuleSet.slope_breaks_pct))
    if (not isinstance(breaks, list) or not breaks
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in breaks)
            or any(b < 0 for b in breaks) or any(b2 <= b1 for b1, b2 in zip(breaks, breaks[1:]))):
        raise doc.error(("slope_classes", "breaks_pct"),
                        f"expected increasing non-negative numbers, found {breaks!r}")
    default_codes = [f"{i + 1:02d}" for i in range(len(breaks) + 1)]
    codes = sc.get("codes", default_codes)
    names = sc.get("names", codes)
    for key, vals in (("codes", codes), ("names", names)):
        if not isinstance(vals, list) or len(vals) != len(breaks) + 1:
            raise doc.error(("slope_classes", key),
                            f"expected {len(breaks) + 1} values (one more than breaks_pct)")
    return breaks, codes, names


def _zones(doc: TomlDoc, zones_raw: dict) -> dict[str, Zone]:
    """The zone vocabulary of the ``[zones.<CODE>]`` tables (checked by the schema)."""
    if not zones_raw:
        raise doc.error(("zones",), "no zone defined",
                        hint="add at least one [zones.<CODE>] table")
    zones: dict[str, Zone] = {}
    for code, z in zones_raw.items():
        path = ("zones", code)
        if not _ID_RE.match(code):
            raise doc.error(path, f"zone code {code!r} is not an identifier",
                            hint="use letters, digits and underscores, e.g. PROTECTION_FOREST")
        if not re.match(r"^#[0-9A-Fa-f]{6}$", z["color"]):
            raise doc.error((*path, "color"),
                            f"expected a colour like '#1b5e20', found {z['color']!r}")
        zones[code] = Zone(code, z["category"], z.get("label_en", code), z["label_lo"],
                           z["color"], tuple(z["allowed_land_types"]))
    if len(zones) > 250:
        raise doc.error(("zones",), f"{len(zones)} zones; at most 250 are supported")
    return zones


def _rules(doc: TomlDoc, rules_raw: list[dict], zones: dict[str, Zone]) -> list[Rule]:
    """The ``[[rule]]`` list (checked by the schema) with its consistency checks."""
    if not rules_raw:
        raise doc.error(("rule",), "no [[rule]] defined",
                        hint="add [[rule]] tables; the last one without conditions")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(rules_raw):
        path = ("rule", i)
        rid = r["id"]
        if not _ID_RE.match(rid):
            raise doc.error((*path, "id"), f"rule id {rid!r} is not an identifier",
                            hint="use letters, digits and underscores")
        if rid in seen:
            raise doc.error((*path, "id"), f"duplicate rule id {rid!r}",
                            hint="give each rule a unique id")
        seen.add(rid)
        rules.append(_rule(doc, r, path, zones))
    if not rules[-1].is_catch_all:
        raise doc.error(("rule", len(rules) - 1),
                        f"the last rule ({rules[-1].id!r}) has conditions, "
                        "so some cells could get no zone",
                        hint="end the list with a [[rule]] that has only id, zone and reason")
    if len(rules) > 250:
        raise doc.error(("rule",), f"{len(rules)} rules; at most 250 are supported")
    return rules


def _rule(doc: TomlDoc, r: dict, path: tuple, zones: dict[str, Zone]) -> Rule:
    """One checked ``[[rule]]`` table as a :class:`Rule`."""
    zone = r["zone"]
    if zone not in zones:
        close = closest(zone, zones)
        raise doc.error((*path, "zone"), f"unknown zone {zone!r}",
                        hint=(f"did you mean {close!r}? " if close else "")
                        + "zones must be defined in a [zones.<CODE>] table")
    nums: dict[str, Any] = {k: r.get(k) for k in _NUMERIC_CONDITIONS}
    if nums["stream_buffer_m"] is not None:
        if nums["max_stream_distance_m"] is not None:
            raise doc.error((*path, "stream_buffer_m"),
                            "both stream_buffer_m and max_stream_distance_m are given",
                            hint="they mean the same; keep one")
        nums["max_stream_distance_m"] = nums["stream_buffer_m"]
    for lo, hi in (("min_slope_pct", "max_slope_pct"), ("min_elev_m", "max_elev_m"),
                   ("min_stream_distance_m", "max_stream_distance_m")):
        if nums[lo] is not None and nums[hi] is not None and nums[lo] >= nums[hi]:
            raise doc.error((*path, lo if lo in r else hi),
                            f"{lo} = {nums[lo]} is not below {hi} = {nums[hi]}",
                            hint="no cell can match this rule; fix the interval")
    if r.get("designated") is False:
        raise doc.error((*path, "designated"), "expected true, found False",
                        hint="write `designated = true` or leave the key out")
    lts = r.get("existing_land_type")
    rule = Rule(
        id=r["id"], zone=zone, reason=r["reason"], status=r["status"], source=r["source"],
        min_slope_pct=nums["min_slope_pct"], max_slope_pct=nums["max_slope_pct"],
        min_elev_m=nums["min_elev_m"], max_elev_m=nums["max_elev_m"],
        max_stream_distance_m=nums["max_stream_distance_m"],
        min_stream_distance_m=nums["min_stream_distance_m"],
        max_stream_order=r.get("max_stream_order"), forest=r.get("forest"),
        existing_land_type=None if lts is None else tuple(lts),
        designated=r.get("designated"), line=doc.lines.get(path),
    )
    if rule.max_stream_order is not None and not rule.uses_streams:
        raise doc.error((*path, "max_stream_order"),
                        "max_stream_order needs a stream distance condition in the same rule")
    return rule


def _suitability(doc: TomlDoc, suit_raw: dict) -> dict[str, tuple[SuitabilityLimits, ...]]:
    """The ``[suitability.<land type>]`` limits (checked by the schema), S1 <= S2 <= S3."""
    suitability: dict[str, tuple[SuitabilityLimits, ...]] = {}
    for lt, t in suit_raw.items():
        path = ("suitability", lt)
        if lt not in LAND_TYPES:
            raise doc.error(path, f"unknown land use {lt!r}",
                            hint=f"use parcel land types: {', '.join(LAND_TYPES)}")
        limits = []
        for f in SUITABILITY_FACTORS:
            keys = (f"s1_max_{f}", f"s2_max_{f}", f"max_{f}")
            if not any(k in t for k in keys):
                continue
            for k in keys:
                if k not in t:
                    raise doc.error(path, f"required key {k!r} is missing (the factor {f} "
                                    f"needs {', '.join(keys)})", hint=f"add `{k} = <number>`",
                                    missing=k)
            vals = [t[k] for k in keys]
            if not vals[0] <= vals[1] <= vals[2]:
                raise doc.error((*path, keys[1]), f"limits {vals} of {f} are not increasing "
                                "(S1 <= S2 <= S3)")
            limits.append(SuitabilityLimits(f, *vals))
        if not limits:
            raise doc.error(path, "no factor given",
                            hint="add s1_max_slope_pct, s2_max_slope_pct and max_slope_pct")
        suitability[lt] = tuple(limits)
    return suitability
