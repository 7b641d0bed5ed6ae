"""Scheme files: keys, :class:`SchemeSpec` and parsing (private; API in :mod:`landuse.irrigation`).

The file format is described in the :mod:`landuse.irrigation` module docstring.
:func:`parse_schemes`, :func:`schemes_from_dict` and :func:`read_schemes` turn a scheme
file into frozen :class:`SchemeSpec` objects and raise :class:`~landuse.errors.RuleError`
naming the file, the line and the key of the first fault.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landuse._validate.ids import ID_FIX, unsafe_reason
from landuse._validate.toml import (
    Key,
    Table,
    TomlDoc,
    anything,
    array,
    flag,
    integer,
    number,
    read_toml_text,
    tables,
    text,
)
from landuse.irrigation import canal as _canal
from landuse.irrigation import requirement as _irr
from landuse.errors import IrrigationError, RuleError

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
    "soil": "clay loam",  # canal soil, for velocity limits (landuse.irrigation.canal.SOIL_CANAL_LIMITS)
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
    """One irrigation scheme as described in a scheme file (see :mod:`landuse.irrigation`)."""

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
        common: dict[str, Any] = {
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


def _key_spec(key: str) -> Key:
    """The schema of one ``[[scheme]]`` key, from REQUIRED_KEYS / OPTIONAL_KEYS and the limits."""
    lo, hi = _NUMERIC_LIMITS.get(key, (None, None))
    if key in REQUIRED_KEYS:
        typ = REQUIRED_KEYS[key]
        if typ is str:
            return text(required=True)
        if typ is list:
            return array(anything(), required=True)
        if typ is int:
            return integer(required=True, minimum=lo, maximum=hi)
        return number(required=True, minimum=lo, maximum=hi)
    default = OPTIONAL_KEYS[key]
    if key == "monthly_flow_factor":
        return array(number(minimum=0.0), length=12, default=None,
                     hint="give 12 non-negative multipliers of the low flow, January first")
    if isinstance(default, bool):
        return flag(default=default)
    if isinstance(default, str):
        return text(default=default, choices=_CHOICES[key])
    if isinstance(default, int):
        return integer(default=default, minimum=lo, maximum=hi)
    return number(default=default, minimum=lo, maximum=hi)


#: Allowed values of the text keys.
_CHOICES: dict[str, tuple[str, ...]] = {
    "soil": tuple(_canal.SOIL_CANAL_LIMITS),
    "rain_method": tuple(_irr.EFFECTIVE_RAIN_METHODS),
    "elevation_stat": ("mean", "max", "min"),
}
_SCHEME = Table({k: _key_spec(k) for k in (*REQUIRED_KEYS, *OPTIONAL_KEYS)}, id_key="scheme_id")
_SCHEMA = Table({"scheme": tables(_SCHEME)})
_CALENDAR_KEYS = ("dry_transplant_month", "dry_transplant_day", "wet_transplant_month",
                  "wet_transplant_day", "land_prep_days", "dry_area_fraction", "dry_season_crop")


def _spec_from_table(doc: TomlDoc, values: dict[str, Any], index: int) -> SchemeSpec:
    """The :class:`SchemeSpec` of one checked ``[[scheme]]`` table, with its domain checks."""
    path = ("scheme", index)
    sid = values["scheme_id"]
    why = unsafe_reason(sid)
    if why is not None:
        raise doc.error((*path, "scheme_id"),
                        f"scheme_id {str(sid)[:80]!r} is not a safe id: it {why}", hint=ID_FIX)
    values = dict(values)
    values["paddy_parcel_ids"] = tuple(str(p) for p in values["paddy_parcel_ids"])
    if values["monthly_flow_factor"] is not None:
        values["monthly_flow_factor"] = tuple(values["monthly_flow_factor"])
    if (values["measured_flow_l_s"] is None) != (values["measured_area_km2"] is None):
        key = "measured_area_km2" if values["measured_area_km2"] is None else "measured_flow_l_s"
        raise doc.error((*path, key), "measured_flow_l_s and measured_area_km2 go together",
                        feature_id=sid, hint="give both or neither")
    try:
        from pyproj import CRS

        crs = CRS.from_user_input(values["crs"])
    except Exception as exc:  # pyproj raises CRSError
        raise doc.error((*path, "crs"), f"crs {values['crs']!r} is not a valid CRS",
                        feature_id=sid, hint='use an EPSG code such as "EPSG:32647"') from exc
    if not crs.is_projected:
        raise doc.error((*path, "crs"), f"crs {values['crs']!r} is not projected; "
                        "intake_x_m/intake_y_m must be metres",
                        feature_id=sid, hint='use the UTM zone, "EPSG:32647" for Oudomxay')
    spec = SchemeSpec(**values)
    try:
        _irr.check_calendar(spec.crops())
    except IrrigationError as exc:
        given = doc.data["scheme"][index]
        key = next((k for k in _CALENDAR_KEYS if k in given), "wet_transplant_month")
        raise doc.error((*path, key), f"invalid cropping calendar: {exc.message}",
                        feature_id=sid) from exc
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
    return _specs_from_doc(TomlDoc.parse(text, source=source))


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
    return _specs_from_doc(TomlDoc(data, source=source))


def _specs_from_data(
    data: Mapping[str, Any], *, source: str, text: str | None
) -> list[SchemeSpec]:
    return _specs_from_doc(TomlDoc(data, text=text, source=source))


def _specs_from_doc(doc: TomlDoc) -> list[SchemeSpec]:
    """The checked :class:`SchemeSpec` of every ``[[scheme]]`` table of *doc*, ids unique."""
    data = doc.data
    if not isinstance(data, Mapping):
        raise RuleError(
            f"expected the parsed scheme file (a mapping), got {type(data).__name__}",
            source=doc.source,
            hint="pass tomllib.load(...) of the scheme file, or use read_schemes(path)",
        )
    tables = data.get("scheme")
    if not isinstance(tables, list) or not tables:
        raise RuleError(
            "no [[scheme]] table found",
            source=doc.source,
            hint="describe each scheme in a [[scheme]] table (docs/irrigation.md)",
        )
    checked = doc.check(data, _SCHEMA)["scheme"]
    specs = [_spec_from_table(doc, t, i) for i, t in enumerate(checked)]
    seen: dict[str, int] = {}
    for i, s in enumerate(specs):
        if s.scheme_id in seen:
            raise doc.error(("scheme", i, "scheme_id"), f"scheme_id {s.scheme_id!r} is used twice",
                            feature_id=s.scheme_id, hint="give every scheme a unique id")
        seen[s.scheme_id] = i
    return specs


def read_schemes(path: str | os.PathLike) -> list[SchemeSpec]:
    """Read a scheme file (TOML, UTF-8). See :func:`parse_schemes`."""
    path = Path(path)
    return parse_schemes(read_toml_text(path, what="scheme file"), source=path.name)
