"""Zoning rule files: parsing and validation (private; public API in :mod:`landuse.zoning`).

A rule file is TOML with units in the keys (see ``landuse/zoning/data/zoning_lao_plup.toml``,
which documents every table and key). :func:`parse_rules` turns its text into a frozen
:class:`RuleSet` and raises :class:`~landuse.errors.RuleError` naming the line and the
key of the first fault: TOML syntax errors (line from :mod:`tomllib`), unknown tables or
keys, wrong types, negative or inconsistent thresholds, unknown zones, missing keys.
"""

from __future__ import annotations

import dataclasses

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landuse._validate import LAND_TYPES
from landuse.errors import RuleError

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
_RULE_KEYS = {"id", "zone", "reason", "status", "source", "forest", "existing_land_type",
              "designated",
              "max_stream_order", *_NUMERIC_CONDITIONS}
_STATUSES = ("sourced", "default", "derived default")
_ZONE_KEYS = {"category", "label_en", "label_lo", "color", "allowed_land_types"}
_CATEGORIES = ("forest", "agricultural", "construction", "communication", "water", "other")
_TOP = {"meta", "zoning", "forest", "slope_classes", "zones", "rule", "suitability", "conflicts"}
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


# -- line numbers of keys ------------------------------------------------------------------
def _key_lines(text: str) -> dict[tuple, int]:
    """Map (table path..., key) and (table path...) to 1-based line numbers.

    Handles the usual layout of rule files (one key per line, ``[table]`` and
    ``[[array]]`` headers); multi-line strings and arrays are skipped.
    """
    out: dict[tuple, int] = {}
    path: tuple = ()
    counts: dict[tuple, int] = {}
    in_string = False
    depth = 0
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_string:
            if line.count('"""') % 2 == 1:
                in_string = False
            continue
        if depth > 0:
            depth += line.count("[") - line.count("]")
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
        if m:
            base = tuple(p.strip().strip('"') for p in m.group(1).split("."))
            idx = counts.get(base, 0)
            counts[base] = idx + 1
            path = (*base, idx)
            out.setdefault(path, no)
            continue
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if m:
            path = tuple(p.strip().strip('"') for p in m.group(1).split("."))
            out.setdefault(path, no)
            continue
        m = re.match(r'^("?)([A-Za-z0-9_\-]+)\1\s*=\s*(.*)$', line)
        if m:
            out.setdefault((*path, m.group(2)), no)
            value = m.group(3)
            if value.count('"""') % 2 == 1:
                in_string = True
            depth = value.count("[") - value.count("]") if value.startswith("[") else 0
    return out


class _Ctx:
    """Builds RuleErrors naming the file, line and key."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = _key_lines(text)
        self.source = source

    def error(self, path: tuple, message: str, *, hint: str | None = None,
              missing: str | None = None) -> RuleError:
        """Error at the key *path*; with *missing*, a missing key of the table *path*."""
        line = self.lines.get(path)
        probe = path
        while line is None and probe:
            probe = probe[:-1]
            line = self.lines.get(probe)
        if missing is not None:
            key, table = missing, _table_name(path)
        else:
            key = path[-1] if path and isinstance(path[-1], str) else None
            table = _table_name(path[:-1] if key else path)
        where = f"{self.source}, line {line}" if line else self.source
        what = f"key {key!r}" if key else "table"
        if table:
            what += f" in {table}"
        err = RuleError(f"{what}: {message}", source=where, hint=hint)
        err.line = line  # type: ignore[attr-defined]
        err.key = key  # type: ignore[attr-defined]
        return err


def _table_name(path: tuple) -> str:
    if not path:
        return ""
    if path[0] == "rule" and len(path) >= 2 and isinstance(path[1], int):
        return f"[[rule]] number {path[1] + 1}"
    return "[" + ".".join(str(p) for p in path) + "]"


# -- typed getters -------------------------------------------------------------------------
def _number(ctx: _Ctx, table: dict, path: tuple, key: str, *, required: bool = False,
            default: float | None = None, minimum: float | None = 0.0,
            maximum: float | None = None, integer: bool = False) -> Any:
    if key not in table:
        if required:
            raise ctx.error(path, f"required key {key!r} is missing", missing=key,
                            hint=f"add `{key} = <number>` to this table")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error((*path, key), f"expected a number, found {value!r}",
                        hint="write a plain number such as 30 or 8.5 (no unit, no quotes)")
    if integer and not float(value).is_integer():
        raise ctx.error((*path, key), f"expected a whole number, found {value!r}")
    if not math.isfinite(value):
        raise ctx.error((*path, key), f"expected a finite number, found {value!r}")
    if minimum is not None and value < minimum:
        raise ctx.error((*path, key), f"value {value!r} is negative" if minimum == 0
                        else f"value {value!r} is below {minimum}",
                        hint="thresholds are distances, slopes or areas and cannot be negative"
                        if minimum == 0 else None)
    if maximum is not None and value > maximum:
        raise ctx.error((*path, key), f"value {value!r} is above {maximum}")
    return int(value) if integer else float(value)


def _string(ctx: _Ctx, table: dict, path: tuple, key: str, *, required: bool = False,
            default: str = "") -> str:
    if key not in table:
        if required:
            raise ctx.error(path, f"required key {key!r} is missing", missing=key,
                            hint=f'add `{key} = "..."` to this table')
        return default
    value = table[key]
    if not isinstance(value, str):
        raise ctx.error((*path, key), f"expected text, found {value!r}",
                        hint='quote the value: "..."')
    return value


def _string_list(ctx: _Ctx, table: dict, path: tuple, key: str, allowed: tuple[str, ...] | None,
                 *, required: bool = False) -> tuple[str, ...] | None:
    if key not in table:
        if required:
            raise ctx.error(path, f"required key {key!r} is missing", missing=key)
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise ctx.error((*path, key), f"expected a non-empty list of text values, found {value!r}")
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise ctx.error((*path, key), f"unknown value {bad[0]!r}",
                            hint=f"use values from {', '.join(allowed)}")
    return tuple(value)


def _unknown_keys(ctx: _Ctx, table: dict, path: tuple, allowed: set[str] | tuple) -> None:
    for key in table:
        if key not in allowed:
            close = _closest(key, allowed)
            raise ctx.error((*path, key), "unknown key",
                            hint=(f"did you mean {close!r}? " if close else "")
                            + f"valid keys: {', '.join(sorted(allowed))}")


def _closest(key: str, allowed: Any) -> str | None:
    import difflib

    hits = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return hits[0] if hits else None


def _table(ctx: _Ctx, data: dict, path: tuple, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ctx.error((*path, key), f"expected a table [{key}], found {type(value).__name__}")
    return value


# -- the parser ----------------------------------------------------------------------------
def parse_rules(text: str, *, source: str = "<rules>") -> RuleSet:
    """Parse and validate the text of a zoning rule file (:func:`landuse.zoning.load_rules`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        err = RuleError(f"TOML syntax error: {exc}",
                        source=f"{source}, line {line}" if line else source,
                        hint="check quotes, brackets and '=' on that line "
                        "(https://toml.io/en/v1.0.0)")
        err.line = line  # type: ignore[attr-defined]
        err.key = None  # type: ignore[attr-defined]
        raise err from exc
    ctx = _Ctx(text, source)
    _unknown_keys(ctx, data, (), _TOP)

    meta = _table(ctx, data, (), "meta")
    name = meta.get("name", source) if isinstance(meta.get("name", ""), str) else source

    zoning = _table(ctx, data, (), "zoning")
    _unknown_keys(ctx, zoning, ("zoning",), {"min_patch_ha", "smoothing_window_cells"})
    min_patch_ha = _number(ctx, zoning, ("zoning",), "min_patch_ha", default=0.5)
    window = _number(ctx, zoning, ("zoning",), "smoothing_window_cells", default=3, minimum=1,
                     integer=True)
    if window % 2 == 0:
        raise ctx.error(("zoning", "smoothing_window_cells"), f"value {window} is even",
                        hint="use an odd window (1 = no smoothing, 3, 5, ...)")

    forest = _table(ctx, data, (), "forest")
    _unknown_keys(ctx, forest, ("forest",), {"min_canopy_pct", "min_patch_ha"})
    canopy = _number(ctx, forest, ("forest",), "min_canopy_pct", default=20.0, maximum=100.0)
    forest_patch = _number(ctx, forest, ("forest",), "min_patch_ha", default=0.5)

    sc = _table(ctx, data, (), "slope_classes")
    _unknown_keys(ctx, sc, ("slope_classes",), {"breaks_pct", "codes", "names", "source"})
    breaks = sc.get("breaks_pct", list(RuleSet.__dataclass_fields__["slope_breaks_pct"].default))
    if (not isinstance(breaks, list) or not breaks
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in breaks)
            or any(b < 0 for b in breaks) or any(b2 <= b1 for b1, b2 in zip(breaks, breaks[1:]))):
        raise ctx.error(("slope_classes", "breaks_pct"),
                        f"expected increasing non-negative numbers, found {breaks!r}")
    default_codes = [f"{i + 1:02d}" for i in range(len(breaks) + 1)]
    codes = sc.get("codes", default_codes)
    names = sc.get("names", codes)
    for key, vals in (("codes", codes), ("names", names)):
        if not isinstance(vals, list) or len(vals) != len(breaks) + 1:
            raise ctx.error(("slope_classes", key),
                            f"expected {len(breaks) + 1} values (one more than breaks_pct)")

    zones_raw = _table(ctx, data, (), "zones")
    if not zones_raw:
        raise ctx.error(("zones",), "no zone defined",
                        hint="add at least one [zones.<CODE>] table")
    zones: dict[str, Zone] = {}
    for code, z in zones_raw.items():
        path = ("zones", code)
        if not isinstance(z, dict):
            raise ctx.error(path, "expected a table [zones.<CODE>]")
        if not _ID_RE.match(code):
            raise ctx.error(path, f"zone code {code!r} is not an identifier",
                            hint="use letters, digits and underscores, e.g. PROTECTION_FOREST")
        _unknown_keys(ctx, z, path, _ZONE_KEYS)
        category = _string(ctx, z, path, "category", required=True)
        if category not in _CATEGORIES:
            raise ctx.error((*path, "category"), f"unknown category {category!r}",
                            hint=f"use one of {', '.join(_CATEGORIES)}")
        color = _string(ctx, z, path, "color", default="#999999")
        if not re.match(r"^#[0-9A-Fa-f]{6}$", color):
            raise ctx.error((*path, "color"), f"expected a colour like '#1b5e20', found {color!r}")
        allowed = _string_list(ctx, z, path, "allowed_land_types", LAND_TYPES, required=True)
        zones[code] = Zone(code, category, _string(ctx, z, path, "label_en", default=code),
                           _string(ctx, z, path, "label_lo", default=""), color, allowed or ())
    if len(zones) > 250:
        raise ctx.error(("zones",), f"{len(zones)} zones; at most 250 are supported")

    rules_raw = data.get("rule")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise ctx.error(("rule",), "no [[rule]] defined",
                        hint="add [[rule]] tables; the last one without conditions")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(rules_raw):
        path = ("rule", i)
        _unknown_keys(ctx, r, path, _RULE_KEYS)
        rid = _string(ctx, r, path, "id", required=True)
        if not _ID_RE.match(rid):
            raise ctx.error((*path, "id"), f"rule id {rid!r} is not an identifier",
                            hint="use letters, digits and underscores")
        if rid in seen:
            raise ctx.error((*path, "id"), f"duplicate rule id {rid!r}",
                            hint="give each rule a unique id")
        seen.add(rid)
        zone = _string(ctx, r, path, "zone", required=True)
        if zone not in zones:
            close = _closest(zone, zones)
            raise ctx.error((*path, "zone"), f"unknown zone {zone!r}",
                            hint=(f"did you mean {close!r}? " if close else "")
                            + "zones must be defined in a [zones.<CODE>] table")
        reason = _string(ctx, r, path, "reason", required=True)
        status = _string(ctx, r, path, "status", default="derived default")
        if status not in _STATUSES:
            raise ctx.error((*path, "status"), f"unknown status {status!r}",
                            hint=f"use one of {', '.join(_STATUSES)}")
        nums = {k: _number(ctx, r, path, k) for k in _NUMERIC_CONDITIONS}
        if nums["stream_buffer_m"] is not None:
            if nums["max_stream_distance_m"] is not None:
                raise ctx.error((*path, "stream_buffer_m"),
                                "both stream_buffer_m and max_stream_distance_m are given",
                                hint="they mean the same; keep one")
            nums["max_stream_distance_m"] = nums["stream_buffer_m"]
        for lo, hi in (("min_slope_pct", "max_slope_pct"), ("min_elev_m", "max_elev_m"),
                       ("min_stream_distance_m", "max_stream_distance_m")):
            if nums[lo] is not None and nums[hi] is not None and nums[lo] >= nums[hi]:
                raise ctx.error((*path, lo if lo in r else hi),
                                f"{lo} = {nums[lo]} is not below {hi} = {nums[hi]}",
                                hint="no cell can match this rule; fix the interval")
        order = _number(ctx, r, path, "max_stream_order", minimum=1, integer=True)
        dval = r.get("designated")
        if dval is not None and dval is not True:
            raise ctx.error((*path, "designated"), f"expected true, found {dval!r}",
                            hint="write `designated = true` or leave the key out")
        fval = r.get("forest")
        if fval is not None and not isinstance(fval, bool):
            raise ctx.error((*path, "forest"), f"expected true or false, found {fval!r}")
        lts = _string_list(ctx, r, path, "existing_land_type", LAND_TYPES)
        rule = Rule(
            id=rid, zone=zone, reason=reason, status=status,
            source=_string(ctx, r, path, "source"),
            min_slope_pct=nums["min_slope_pct"], max_slope_pct=nums["max_slope_pct"],
            min_elev_m=nums["min_elev_m"], max_elev_m=nums["max_elev_m"],
            max_stream_distance_m=nums["max_stream_distance_m"],
            min_stream_distance_m=nums["min_stream_distance_m"], max_stream_order=order,
            forest=fval, existing_land_type=lts, designated=dval, line=ctx.lines.get(path),
        )
        if order is not None and not rule.uses_streams:
            raise ctx.error((*path, "max_stream_order"),
                            "max_stream_order needs a stream distance condition in the same rule")
        rules.append(rule)
    if not rules[-1].is_catch_all:
        raise ctx.error(("rule", len(rules) - 1),
                        f"the last rule ({rules[-1].id!r}) has conditions, "
                        "so some cells could get no zone",
                        hint="end the list with a [[rule]] that has only id, zone and reason")
    if len(rules) > 250:
        raise ctx.error(("rule",), f"{len(rules)} rules; at most 250 are supported")

    suit_raw = _table(ctx, data, (), "suitability")
    suitability: dict[str, tuple[SuitabilityLimits, ...]] = {}
    valid_keys = {f"{p}{f}" for f in SUITABILITY_FACTORS for p in ("s1_max_", "s2_max_", "max_")}
    for lt, t in suit_raw.items():
        path = ("suitability", lt)
        if lt not in LAND_TYPES:
            raise ctx.error(path, f"unknown land use {lt!r}",
                            hint=f"use parcel land types: {', '.join(LAND_TYPES)}")
        if not isinstance(t, dict):
            raise ctx.error(path, "expected a table")
        _unknown_keys(ctx, t, path, valid_keys)
        limits = []
        for f in SUITABILITY_FACTORS:
            keys = (f"s1_max_{f}", f"s2_max_{f}", f"max_{f}")
            present = [k for k in keys if k in t]
            if not present:
                continue
            for k in keys:
                if k not in t:
                    raise ctx.error(path, f"required key {k!r} is missing (the factor {f} "
                                    f"needs {', '.join(keys)})", hint=f"add `{k} = <number>`",
                                    missing=k)
            vals = [_number(ctx, t, path, k) for k in keys]
            if not vals[0] <= vals[1] <= vals[2]:
                raise ctx.error((*path, keys[1]), f"limits {vals} of {f} are not increasing "
                                "(S1 <= S2 <= S3)")
            limits.append(SuitabilityLimits(f, *vals))
        if not limits:
            raise ctx.error(path, "no factor given",
                            hint="add s1_max_slope_pct, s2_max_slope_pct and max_slope_pct")
        suitability[lt] = tuple(limits)

    conf = _table(ctx, data, (), "conflicts")
    _unknown_keys(ctx, conf, ("conflicts",), {"medium_share_pct", "high_share_pct"})
    medium = _number(ctx, conf, ("conflicts",), "medium_share_pct", default=20.0, maximum=100.0)
    high = _number(ctx, conf, ("conflicts",), "high_share_pct", default=50.0, maximum=100.0)
    if medium > high:
        raise ctx.error(("conflicts", "medium_share_pct"),
                        f"medium_share_pct {medium} is above high_share_pct {high}")

    # An existing-land rule without its own max_slope_pct keeps existing land of its types
    # up to their parcel slope limit ([suitability.<type>] max_slope_pct, the smallest if
    # several), so the zone and the parcel-zone conflict check use one number.
    rules = [_inherit_slope_limit(r, suitability) for r in rules]

    return RuleSet(
        name=name, zones=zones, rules=tuple(rules), min_patch_ha=min_patch_ha,
        smoothing_window_cells=window, forest_min_canopy_pct=canopy,
        forest_min_patch_ha=forest_patch, slope_breaks_pct=tuple(float(b) for b in breaks),
        slope_codes=tuple(str(c) for c in codes), slope_names=tuple(str(n) for n in names),
        suitability=suitability, conflict_medium_share_pct=medium,
        conflict_high_share_pct=high, source=source,
    )
