"""Scheme files: keys, :class:`SchemeSpec` and parsing (private; API in :mod:`landuse.schemes`).

The file format is described in the :mod:`landuse.schemes` module docstring.
:func:`parse_schemes`, :func:`schemes_from_dict` and :func:`read_schemes` turn a scheme
file into frozen :class:`SchemeSpec` objects and raise :class:`~landuse.errors.RuleError`
naming the file, the line and the key of the first fault.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from landuse.schemes import canal as _canal
from landuse.irrigation import requirement as _irr
from landuse.errors import DataReadError, IrrigationError, RuleError

#: Required keys of a ``[[scheme]]`` table and their types.
REQUIRED_KEYS: dict[str, type | tuple[type, ...]] = {
    "scheme_id": str,
    "name_en": str,
    "name_lo": str,
    "village_id": str,
    "crs": str,
    "intake_x_m": (int, float),
    "intake_y_m": (int, float),
    "paddy_parcel_ids": list,
    "families": int,
    "area_ha": (int, float),
    "low_flow_l_s_km2": (int, float),
    "diversion_fraction": (int, float),
    "canal_n": (int, float),
    "canal_bed_slope": (int, float),
    "canal_side_slope": (int, float),
}

#: Optional keys with their defaults (*defaults, configurable*; see docs/irrigation.md).
OPTIONAL_KEYS: dict[str, Any] = {
    "wet_transplant_month": 7,  # wet-season transplanting (July)
    "wet_transplant_day": 1,
    "dry_season_crop": True,  # a dry-season crop is grown
    "dry_transplant_month": 1,  # dry-season transplanting (1 January)
    "dry_transplant_day": 1,
    "dry_area_fraction": 1.0,  # share of the area under the dry-season crop
    "land_prep_days": 30,  # Van de Goor-Zijlstra T [days]
    "saturation_mm": 250.0,  # saturation + first water layer S [mm]
    "water_layer_mm": 0.0,  # each water-layer replacement, 30 and 60 days in (KP-01: 50) [mm]
    # seepage and percolation of montane terraces [mm/day] (irrigation.TERRACE_PERCOLATION_MM_DAY)
    "percolation_mm_day": _irr.TERRACE_PERCOLATION_MM_DAY,
    "conveyance_efficiency": 0.8,  # Ec
    "distribution_efficiency": 0.8,  # Eb (field canals)
    "field_efficiency": 0.8,  # Ea (paddy, with percolation in the NIR)
    "operating_hours": 24.0,  # hours of flow per day
    "soil": "clay loam",  # canal soil, for velocity limits (landuse.schemes.canal.SOIL_CANAL_LIMITS)
    # effective rain: dependable rain (irrigation.DESIGN_RAIN_METHOD; EFFECTIVE_RAIN_METHODS)
    "rain_method": _irr.DESIGN_RAIN_METHOD,
    "measured_flow_l_s": None,  # spot dry-season flow ... [l/s]
    "measured_area_km2": None,  # ... and the catchment area where it was measured [km²]
    "catchment_km2": None,  # catchment above the intake, if not from the DEM [km²]
    "monthly_flow_factor": None,  # 12 multipliers of the low flow (default: low flow all year)
    "intake_elev_m": None,  # intake elevation if no DEM [m]
    "intake_head_m": 0.5,  # water level at the intake above the DEM (weir height) [m]
    "sinuosity": 1.3,  # canal length / straight distance
    # parcel elevation compared with the canal level: max (the whole parcel commanded), mean, min
    "elevation_stat": "max",
}

_NUMERIC_LIMITS: dict[str, tuple[float | None, float | None]] = {
    "area_ha": (0.0, None),
    "low_flow_l_s_km2": (0.0, None),
    "diversion_fraction": (0.0, 1.0),
    "canal_n": (0.005, 0.2),
    "canal_bed_slope": (1e-6, 0.5),
    "canal_side_slope": (0.0, 10.0),
    "families": (0, None),
    "wet_transplant_month": (1, 12),
    "wet_transplant_day": (1, 31),
    "dry_transplant_month": (1, 12),
    "dry_transplant_day": (1, 31),
    "dry_area_fraction": (0.0, 1.0),
    "land_prep_days": (1, 120),
    "saturation_mm": (1.0, 2000.0),
    "water_layer_mm": (0.0, 500.0),
    "percolation_mm_day": (0.0, 100.0),
    "conveyance_efficiency": (0.05, 1.0),
    "distribution_efficiency": (0.05, 1.0),
    "field_efficiency": (0.05, 1.0),
    "operating_hours": (0.5, 24.0),
    "measured_flow_l_s": (0.0, None),
    "measured_area_km2": (1e-9, None),
    "catchment_km2": (1e-9, None),
    "intake_elev_m": (-500.0, 9000.0),
    "intake_head_m": (0.0, 20.0),
    "sinuosity": (1.0, 5.0),
}


@dataclass(frozen=True)
class SchemeSpec:
    """One irrigation scheme as described in a scheme file (see :mod:`landuse.schemes`)."""

    scheme_id: str
    name_en: str
    name_lo: str
    village_id: str
    crs: str
    intake_x_m: float
    intake_y_m: float
    paddy_parcel_ids: tuple[str, ...]
    families: int
    area_ha: float
    low_flow_l_s_km2: float
    diversion_fraction: float
    canal_n: float
    canal_bed_slope: float
    canal_side_slope: float
    wet_transplant_month: int = 7
    wet_transplant_day: int = 1
    dry_season_crop: bool = True
    dry_transplant_month: int = 1
    dry_transplant_day: int = 1
    dry_area_fraction: float = 1.0
    land_prep_days: int = 30
    saturation_mm: float = 250.0
    water_layer_mm: float = 0.0
    percolation_mm_day: float = _irr.TERRACE_PERCOLATION_MM_DAY
    conveyance_efficiency: float = 0.8
    distribution_efficiency: float = 0.8
    field_efficiency: float = 0.8
    operating_hours: float = 24.0
    soil: str = "clay loam"
    rain_method: str = _irr.DESIGN_RAIN_METHOD
    measured_flow_l_s: float | None = None
    measured_area_km2: float | None = None
    catchment_km2: float | None = None
    monthly_flow_factor: tuple[float, ...] | None = None
    intake_elev_m: float | None = None
    intake_head_m: float = 0.5
    sinuosity: float = 1.3
    elevation_stat: str = "max"

    @property
    def efficiency(self) -> float:
        """Overall efficiency E = Ec × Eb × Ea. [-]"""
        return round(
            self.conveyance_efficiency * self.distribution_efficiency * self.field_efficiency, 12
        )

    def crops(self) -> list[_irr.CropSeason]:
        """The cropping calendar: the wet-season crop and, if grown, the dry-season crop."""
        common = {
            "land_prep_days": self.land_prep_days,
            "saturation_mm": self.saturation_mm,
            "water_layer_mm": self.water_layer_mm,
        }
        out = [
            _irr.CropSeason("wet", self.wet_transplant_month, self.wet_transplant_day, **common)
        ]
        if self.dry_season_crop and self.dry_area_fraction > 0:
            out.append(
                _irr.CropSeason(
                    "dry",
                    self.dry_transplant_month,
                    self.dry_transplant_day,
                    area_fraction=self.dry_area_fraction,
                    **common,
                )
            )
        return out


def _line_of(text: str | None, index: int, key: str | None) -> int | None:
    """Line number (1-based) of *key* in the *index*-th ``[[scheme]]`` table of *text*."""
    if not text:
        return None
    lines = text.splitlines()
    headers = [i for i, ln in enumerate(lines) if ln.strip().replace(" ", "") == "[[scheme]]"]
    if index >= len(headers):
        return None
    start = headers[index]
    end = headers[index + 1] if index + 1 < len(headers) else len(lines)
    if key is None:
        return start + 1
    for i in range(start, end):
        stripped = lines[i].strip()
        if stripped.startswith(key) and stripped[len(key) :].lstrip().startswith("="):
            return i + 1
    return start + 1


def _rule_error(
    msg: str,
    *,
    source: str,
    text: str | None,
    index: int,
    key: str | None,
    sid: Any = None,
    hint: str | None = None,
    column: str | None = None,
) -> RuleError:
    line = _line_of(text, index, key)
    where = f"{source}, line {line}" if line else source
    return RuleError(
        msg,
        source=where,
        feature_id=sid if sid is not None else f"scheme #{index + 1}",
        column=column or key,
        hint=hint,
    )


def _spec_from_table(
    table: Mapping[str, Any], *, index: int, source: str, text: str | None
) -> SchemeSpec:
    sid = table.get("scheme_id")
    known = set(REQUIRED_KEYS) | set(OPTIONAL_KEYS)
    for key in table:
        if key not in known:
            raise _rule_error(
                f"unknown key {key!r}",
                source=source,
                text=text,
                index=index,
                key=key,
                sid=sid,
                hint="check the spelling; docs/irrigation.md lists the keys",
            )
    for key, typ in REQUIRED_KEYS.items():
        if key not in table:
            raise _rule_error(
                f"required key {key!r} missing",
                source=source,
                text=text,
                index=index,
                key=None,
                sid=sid,
                column=key,
                hint=f"add {key} = ... to this [[scheme]] table",
            )
        val = table[key]
        if isinstance(val, bool) or not isinstance(val, typ):
            names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            raise _rule_error(
                f"value {val!r} should be {names}",
                source=source,
                text=text,
                index=index,
                key=key,
                sid=sid,
                hint="correct the value",
            )
    from landuse._validate.ids import ID_FIX as _FIX, unsafe_reason

    why = unsafe_reason(table["scheme_id"])
    if why is not None:
        raise _rule_error(
            f"scheme_id {str(table['scheme_id'])[:80]!r} is not a safe id: it {why}",
            source=source,
            text=text,
            index=index,
            key="scheme_id",
            sid=None,
            hint=_FIX,
        )
    values: dict[str, Any] = {}
    for f in fields(SchemeSpec):
        key = f.name
        val = table.get(key, OPTIONAL_KEYS.get(key))
        default = OPTIONAL_KEYS.get(key)
        if key in OPTIONAL_KEYS and key in table:
            if isinstance(default, bool) and not isinstance(val, bool):
                raise _rule_error(
                    f"value {val!r} should be true or false",
                    source=source,
                    text=text,
                    index=index,
                    key=key,
                    sid=sid,
                )
            if isinstance(default, str) and not isinstance(val, str):
                raise _rule_error(
                    f"value {val!r} should be text",
                    source=source,
                    text=text,
                    index=index,
                    key=key,
                    sid=sid,
                )
            if (
                (default is None or isinstance(default, (int, float)))
                and not isinstance(default, bool)
                and key != "monthly_flow_factor"
                and (isinstance(val, bool) or not isinstance(val, (int, float)))
            ):
                raise _rule_error(
                    f"value {val!r} should be a number",
                    source=source,
                    text=text,
                    index=index,
                    key=key,
                    sid=sid,
                )
            if (
                isinstance(default, int)
                and not isinstance(default, bool)
                and isinstance(val, float)
                and not val.is_integer()
            ):
                raise _rule_error(
                    f"value {val!r} should be a whole number",
                    source=source,
                    text=text,
                    index=index,
                    key=key,
                    sid=sid,
                )
            if isinstance(default, int) and not isinstance(default, bool):
                val = int(val)
        if key in _NUMERIC_LIMITS and val is not None:
            lo, hi = _NUMERIC_LIMITS[key]
            if (
                not math.isfinite(float(val))
                or (lo is not None and val < lo)
                or (hi is not None and val > hi)
            ):
                rng = " to ".join(str(x) for x in (lo, hi) if x is not None)
                raise _rule_error(
                    f"value {val!r} is out of range ({rng})",
                    source=source,
                    text=text,
                    index=index,
                    key=key,
                    sid=sid,
                    hint="correct the value",
                )
        values[key] = val
    values["paddy_parcel_ids"] = tuple(str(p) for p in table["paddy_parcel_ids"])
    for key in (
        "intake_x_m",
        "intake_y_m",
        "area_ha",
        "low_flow_l_s_km2",
        "diversion_fraction",
        "canal_n",
        "canal_bed_slope",
        "canal_side_slope",
    ):
        values[key] = float(values[key])
    mff = values.get("monthly_flow_factor")
    if mff is not None:
        if (
            not isinstance(mff, list)
            or len(mff) != 12
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in mff
            )
        ):
            raise _rule_error(
                "monthly_flow_factor must be a list of 12 non-negative numbers (January first)",
                source=source,
                text=text,
                index=index,
                key="monthly_flow_factor",
                sid=sid,
            )
        values["monthly_flow_factor"] = tuple(float(v) for v in mff)
    checks = (
        ("soil", tuple(_canal.SOIL_CANAL_LIMITS)),
        ("rain_method", _irr.EFFECTIVE_RAIN_METHODS),
        ("elevation_stat", ("mean", "max", "min")),
    )
    for key, allowed in checks:
        if values[key] not in allowed:
            raise _rule_error(
                f"value {values[key]!r} is not allowed",
                source=source,
                text=text,
                index=index,
                key=key,
                sid=sid,
                hint=f"use one of {', '.join(allowed)}",
            )
    if (values["measured_flow_l_s"] is None) != (values["measured_area_km2"] is None):
        key = "measured_area_km2" if values["measured_area_km2"] is None else "measured_flow_l_s"
        raise _rule_error(
            "measured_flow_l_s and measured_area_km2 go together",
            source=source,
            text=text,
            index=index,
            key=key,
            sid=sid,
            hint="give both or neither",
        )
    try:
        from pyproj import CRS

        crs = CRS.from_user_input(values["crs"])
    except Exception as exc:  # pyproj raises CRSError
        raise _rule_error(
            f"crs {values['crs']!r} is not a valid CRS",
            source=source,
            text=text,
            index=index,
            key="crs",
            sid=sid,
            hint='use an EPSG code such as "EPSG:32647"',
        ) from exc
    if not crs.is_projected:
        raise _rule_error(
            f"crs {values['crs']!r} is not projected; intake_x_m/intake_y_m must be metres",
            source=source,
            text=text,
            index=index,
            key="crs",
            sid=sid,
            hint='use the UTM zone, "EPSG:32647" for Oudomxay',
        )
    spec = SchemeSpec(**values)
    try:
        _irr.check_calendar(spec.crops())
    except IrrigationError as exc:
        calendar_keys = (
            "dry_transplant_month",
            "dry_transplant_day",
            "wet_transplant_month",
            "wet_transplant_day",
            "land_prep_days",
            "dry_area_fraction",
            "dry_season_crop",
        )
        key = next((k for k in calendar_keys if k in table), "wet_transplant_month")
        raise _rule_error(
            f"invalid cropping calendar: {exc.message}",
            source=source,
            text=text,
            index=index,
            key=key,
            sid=sid,
        ) from exc
    return spec


def parse_schemes(text: str, *, source: str = "schemes.toml") -> list[SchemeSpec]:
    """Parse the text of a scheme file into :class:`SchemeSpec` objects.

    Parameters
    ----------
    text : str
        TOML with one or more ``[[scheme]]`` tables.
    source : str
        Name used in error messages.

    Returns
    -------
    list of SchemeSpec
        In file order.

    Raises
    ------
    RuleError
        Invalid TOML (with its line), no ``[[scheme]]`` table, duplicate ``scheme_id``,
        a missing or unknown key, a wrong type or an impossible value (naming the line
        and the key).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(
            f"not valid TOML: {exc}",
            source=source,
            hint="check quotes, brackets and '=' on the line named",
        ) from exc
    return _specs_from_data(data, source=source, text=text)


def schemes_from_dict(data: Mapping[str, Any], *, source: str = "schemes") -> list[SchemeSpec]:
    """Scheme specs from an already loaded scheme file (e.g. ``load_demo().schemes``).

    Same checks as :func:`parse_schemes`; messages cannot give line numbers.

    Examples
    --------
    >>> import tomllib
    >>> from landuse.datasets import get_path
    >>> with open(get_path("schemes"), "rb") as fh:
    ...     specs = schemes_from_dict(tomllib.load(fh))
    >>> [s.scheme_id for s in specs]
    ['S1', 'S2', 'S3']
    """
    return _specs_from_data(data, source=source, text=None)


def _specs_from_data(
    data: Mapping[str, Any], *, source: str, text: str | None
) -> list[SchemeSpec]:
    if not isinstance(data, Mapping):
        raise RuleError(
            f"expected the parsed scheme file (a mapping), got {type(data).__name__}",
            source=source,
            hint="pass tomllib.load(...) of the scheme file, or use read_schemes(path)",
        )
    tables = data.get("scheme")
    if not isinstance(tables, list) or not tables:
        raise RuleError(
            "no [[scheme]] table found",
            source=source,
            hint="describe each scheme in a [[scheme]] table (docs/irrigation.md)",
        )
    extra = [k for k in data if k != "scheme"]
    if extra:
        raise RuleError(
            f"unknown top-level key(s) {extra}",
            source=source,
            column=extra[0],
            hint="put every key inside a [[scheme]] table",
        )
    specs = [_spec_from_table(t, index=i, source=source, text=text) for i, t in enumerate(tables)]
    seen: dict[str, int] = {}
    for i, s in enumerate(specs):
        if s.scheme_id in seen:
            raise _rule_error(
                f"scheme_id {s.scheme_id!r} is used twice",
                source=source,
                text=text,
                index=i,
                key="scheme_id",
                sid=s.scheme_id,
                hint="give every scheme a unique id",
            )
        seen[s.scheme_id] = i
    return specs


def read_schemes(path: str | os.PathLike) -> list[SchemeSpec]:
    """Read a scheme file (TOML, UTF-8). See :func:`parse_schemes`."""
    path = Path(path)
    if not path.exists():
        raise DataReadError("scheme file not found", source=str(path), hint="check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataReadError(
            "the scheme file is not UTF-8 text",
            source=str(path),
            hint="save it as UTF-8 so that Lao names survive",
        ) from exc
    return parse_schemes(text, source=path.name)
