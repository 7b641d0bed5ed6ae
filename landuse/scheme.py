"""Gravity paddy schemes: scheme files, command areas and sizing from climate, terrain and parcels.

A scheme file (TOML) holds one ``[[scheme]]`` table per intake::

    [[scheme]]
    scheme_id = "S1"
    name_en = "Houay Kham weir"
    name_lo = "ຝາຍຫ້ວຍຄຳ"
    village_id = "V1"
    crs = "EPSG:32647"
    intake_x_m = 500100.0
    intake_y_m = 2290950.0
    paddy_parcel_ids = ["P1", "P2"]
    families = 12
    area_ha = 7.5
    low_flow_l_s_km2 = 2.5
    diversion_fraction = 0.7
    canal_n = 0.025
    canal_bed_slope = 0.002
    canal_side_slope = 1.0

Required keys are those above; :data:`OPTIONAL_KEYS` lists the optional ones with
their defaults (cropping calendar, percolation, efficiencies, operating hours, soil
of the canal, a spot flow measurement for the area-ratio method, ...). Unknown keys,
wrong types and impossible values raise :class:`~landuse.errors.RuleError` naming
the file, the line and the key.

:func:`size_scheme` chains the whole design: latitude from the intake, elevation from
the DEM, ET0 and the paddy balance (:mod:`landuse.irrigation`), the design month and
flow, the catchment above the intake and its dependable low flow, the servable area
and families, the months with a deficit, the canal (:mod:`landuse.canal`) and the
command area with a map layer (:func:`command_area`, :func:`scheme_layer`).

Examples
--------
>>> specs = parse_schemes('''
... [[scheme]]
... scheme_id = "S1"
... name_en = "Test"
... name_lo = "ທົດລອງ"
... village_id = "V1"
... crs = "EPSG:32647"
... intake_x_m = 500000.0
... intake_y_m = 2290000.0
... paddy_parcel_ids = ["P0", "P1"]
... families = 3
... area_ha = 2.0
... low_flow_l_s_km2 = 2.5
... diversion_fraction = 0.7
... canal_n = 0.025
... canal_bed_slope = 0.001
... canal_side_slope = 1.0
... ''')
>>> specs[0].scheme_id, specs[0].efficiency
('S1', 0.512)
"""

from __future__ import annotations

import math
import os
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse import canal as _canal
from landuse import irrigation as _irr
from landuse.errors import DataReadError, IrrigationError, LanduseWarning, RuleError

__all__ = [
    "OPTIONAL_KEYS",
    "REQUIRED_KEYS",
    "SchemeResult",
    "SchemeSpec",
    "command_area",
    "parse_schemes",
    "read_schemes",
    "scheme_layer",
    "schemes_from_dict",
    "size_scheme",
    "size_schemes",
]

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
    "percolation_mm_day": 3.0,  # seepage and percolation [mm/day]
    "conveyance_efficiency": 0.8,  # Ec
    "distribution_efficiency": 0.8,  # Eb (field canals)
    "field_efficiency": 0.8,  # Ea (paddy, with percolation in the NIR)
    "operating_hours": 24.0,  # hours of flow per day
    "soil": "clay loam",  # canal soil, for velocity limits (landuse.canal.SOIL_CANAL_LIMITS)
    "rain_method": "usda-scs",  # effective rain (landuse.irrigation.EFFECTIVE_RAIN_METHODS)
    "measured_flow_l_s": None,  # spot dry-season flow ... [l/s]
    "measured_area_km2": None,  # ... and the catchment area where it was measured [km²]
    "catchment_km2": None,  # catchment above the intake, if not from the DEM [km²]
    "monthly_flow_factor": None,  # 12 multipliers of the low flow (default: low flow all year)
    "intake_elev_m": None,  # intake elevation if no DEM [m]
    "intake_head_m": 0.5,  # water level at the intake above the DEM (weir height) [m]
    "sinuosity": 1.3,  # canal length / straight distance
    "elevation_stat": "mean",  # parcel elevation compared with the canal level: mean, max or min
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
    """One irrigation scheme as described in a scheme file (see the module docstring)."""

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
    percolation_mm_day: float = 3.0
    conveyance_efficiency: float = 0.8
    distribution_efficiency: float = 0.8
    field_efficiency: float = 0.8
    operating_hours: float = 24.0
    soil: str = "clay loam"
    rain_method: str = "usda-scs"
    measured_flow_l_s: float | None = None
    measured_area_km2: float | None = None
    catchment_km2: float | None = None
    monthly_flow_factor: tuple[float, ...] | None = None
    intake_elev_m: float | None = None
    intake_head_m: float = 0.5
    sinuosity: float = 1.3
    elevation_stat: str = "mean"

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


# -- scheme files -------------------------------------------------------------------------------
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


# -- terrain and command area ----------------------------------------------------------------
def _sample_dem(dem: Any, x: float, y: float, *, what: str = "intake") -> float:
    from landuse.raster import Raster

    r = Raster.from_any(dem)
    col, row = ~r.transform @ (x, y)
    row_i, col_i = math.floor(row), math.floor(col)
    rows, cols = r.shape
    if not (0 <= row_i < rows and 0 <= col_i < cols):
        left, bottom, right, top = r.bounds
        raise IrrigationError(
            f"the {what} point ({x:.1f}, {y:.1f}) is off the DEM (extent {left:.0f}-{right:.0f} "
            "E, "
            f"{bottom:.0f}-{top:.0f} N)",
            source=r.source or "dem",
            column="intake_x_m",
            hint="check intake_x_m / intake_y_m and that the scheme and the DEM use the same CRS",
        )
    if not r.valid[row_i, col_i]:
        raise IrrigationError(
            f"the DEM has no data at the {what} point ({x:.1f}, {y:.1f})",
            source=r.source or "dem",
            column="intake_x_m",
            hint="move the intake onto the stream inside the DEM, or fill the DEM",
        )
    return float(r.data[row_i, col_i])


def _parcel_elevations(parcels: Any, dem: Any, stat: str) -> np.ndarray:
    """Mean, max or min DEM value of the cells centred in each parcel (else at its inner point)."""
    from affine import Affine
    from rasterio import features

    from landuse.raster import Raster

    r = Raster.from_any(dem)
    z = r.as_float()
    out = np.full(len(parcels), np.nan)
    if len(parcels) == 0:
        return out
    left, bottom, right, top = parcels.total_bounds
    inv = ~r.transform
    corners = ((left, top), (right, bottom), (left, bottom), (right, top))
    cols, rows = zip(*(inv @ (x, y) for x, y in corners), strict=True)
    c0, c1 = max(math.floor(min(cols)) - 1, 0), min(math.ceil(max(cols)) + 1, r.shape[1])
    r0, r1 = max(math.floor(min(rows)) - 1, 0), min(math.ceil(max(rows)) + 1, r.shape[0])
    if c1 > c0 and r1 > r0:
        sub = z[r0:r1, c0:c1]
        ids = features.rasterize(
            ((g, i + 1) for i, g in enumerate(parcels.geometry)),
            out_shape=sub.shape,
            transform=r.transform @ Affine.translation(c0, r0),
            fill=0,
            dtype="int32",
        )
    else:  # parcels entirely off the DEM
        ids, sub = np.zeros((0, 0), "int32"), np.zeros((0, 0))
    lab = ids.ravel()
    val = sub.ravel()
    ok = (lab > 0) & np.isfinite(val)
    lab, val = lab[ok] - 1, val[ok]
    n = len(parcels)
    cnt = np.bincount(lab, minlength=n)
    if stat == "mean":
        s = np.bincount(lab, weights=val, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
    else:
        out = np.full(n, -np.inf if stat == "max" else np.inf)
        (np.maximum if stat == "max" else np.minimum).at(out, lab, val)
        out = np.where(cnt > 0, out, np.nan)
    for i in np.flatnonzero(np.isnan(out)):  # parcels smaller than a cell: sample the inner point
        p = parcels.geometry.iloc[i].representative_point()
        col, row = ~r.transform @ (p.x, p.y)
        ri, ci = math.floor(row), math.floor(col)
        if 0 <= ri < r.shape[0] and 0 <= ci < r.shape[1] and r.valid[ri, ci]:
            out[i] = z[ri, ci]
    return out


def command_area(
    parcels: Any,
    dem: Any,
    *,
    intake_x_m: float,
    intake_y_m: float,
    bed_slope: float,
    parcel_ids: Sequence[str] | None = None,
    intake_head_m: float = 0.5,
    sinuosity: float = 1.3,
    elevation_stat: str = "mean",
    min_head_m: float = 0.0,
) -> Any:
    r"""Paddy parcels an intake can reach by gravity.

    A parcel is reachable when its elevation (the *elevation_stat* of the DEM cells
    whose centres fall in it) lies at least *min_head_m* below the water level the
    canal can have when it arrives there:

    .. math:: z_{canal} = z_{intake} + h_{intake} - S \cdot k \cdot d

    with :math:`z_{intake}` the DEM at the intake, :math:`h_{intake}` the water level
    raised by the weir, *S* the canal bed slope, *d* the straight distance from the
    intake to the parcel's inner point and *k* a sinuosity factor (canal length over
    straight distance; contour canals wind, 1.2-1.5 is usual — *default,
    configurable*). This is a screening rule: it ignores ridges between the intake
    and the parcel, which a surveyed canal alignment must check.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels with ``parcel_id`` and ``land_type`` (projected CRS, same as the DEM).
    dem : Raster, path or (array, transform[, crs])
        Elevation. [m]
    intake_x_m, intake_y_m : float
        Intake location in the parcels' CRS. [m]
    bed_slope : float
        Canal bed slope. [m m⁻¹]
    parcel_ids : sequence of str, optional
        Candidate parcels; by default all parcels with ``land_type == "paddy"``.
    intake_head_m : float, default 0.5
        Water level at the intake above the DEM surface (weir height). [m]
    sinuosity : float, default 1.3
        Canal length / straight distance. [-]
    elevation_stat : {'mean', 'max', 'min'}
        Parcel elevation used ('max' demands the whole parcel be commanded).
    min_head_m : float, default 0.0
        Head required above the parcel. [m]

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate parcels (new frame, same index) with ``area_ha``, ``elev_m``,
        ``distance_m``, ``canal_length_m``, ``canal_level_m``, ``head_m`` and
        ``reachable``.

    Raises
    ------
    IrrigationError
        Intake off the DEM or on nodata; a listed parcel id that does not exist.
    CRSError
        Parcels not in a projected CRS, or not in the DEM's CRS.
    """
    from landuse import _validate
    from landuse.raster import Raster

    _validate.require_geodataframe(parcels, layer="parcels")
    _validate.require_projected(parcels, layer="parcels")
    _validate.check_option(elevation_stat, ("mean", "max", "min"), name="elevation_stat")
    r = Raster.from_any(dem)
    if r.crs is not None:
        _validate.require_same_crs({"parcels": parcels, "dem": r})
    _validate.require_columns(parcels, ["parcel_id"], layer="parcels")
    _irr._check_range("bed_slope", bed_slope, 0.0, 0.5)
    _irr._check_range("sinuosity", sinuosity, 1.0, 10.0)
    if parcel_ids is not None:
        ids = [str(p) for p in parcel_ids]
        have = set(parcels["parcel_id"].astype(str))
        missing = [p for p in ids if p not in have]
        if missing:
            raise IrrigationError(
                f"{len(missing)} paddy parcel id(s) not in the parcels layer",
                source="parcels",
                feature_id=missing[0],
                column="parcel_id",
                hint="correct paddy_parcel_ids in the scheme file",
            )
        cand = parcels[parcels["parcel_id"].astype(str).isin(ids)].copy()
    else:
        _validate.require_columns(parcels, ["land_type"], layer="parcels")
        cand = parcels[parcels["land_type"] == "paddy"].copy()
    z_intake = _sample_dem(r, intake_x_m, intake_y_m)
    pts = cand.geometry.representative_point()
    dist = np.hypot(pts.x.to_numpy() - intake_x_m, pts.y.to_numpy() - intake_y_m)
    elev = _parcel_elevations(cand, r, elevation_stat)
    length = dist * sinuosity
    level = z_intake + intake_head_m - bed_slope * length
    cand["area_ha"] = cand.geometry.area / 10_000.0
    cand["elev_m"] = elev
    cand["distance_m"] = dist
    cand["canal_length_m"] = length
    cand["canal_level_m"] = level
    cand["head_m"] = level - elev
    cand["reachable"] = np.isfinite(elev) & (cand["head_m"].to_numpy() >= min_head_m)
    return cand


def scheme_layer(reach: Any, *, intake_x_m: float, intake_y_m: float, scheme_id: str = "") -> Any:
    """Map layer of a scheme: intake point, command-area polygon and a schematic canal line.

    The canal line runs from the intake through the inner points of the reachable
    parcels, each time to the nearest not yet visited (greedy chain). It is a sketch
    for maps, not a surveyed alignment.

    Parameters
    ----------
    reach : geopandas.GeoDataFrame
        Output of :func:`command_area`.
    intake_x_m, intake_y_m : float
        Intake location. [m]
    scheme_id : str
        Written to the ``scheme_id`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Three rows, ``feature`` in ``intake``, ``command_area``, ``canal``, with
        ``scheme_id``, ``area_ha`` (command area) and ``length_m`` (canal sketch).
        :func:`size_scheme` appends a ``catchment`` row when it delineates the
        catchment from the DEM.
    """
    import geopandas as gpd
    import shapely
    from shapely.geometry import LineString, Point

    ok = reach[reach["reachable"]]
    intake = Point(intake_x_m, intake_y_m)
    area_geom = shapely.union_all(ok.geometry.to_numpy()) if len(ok) else shapely.Polygon()
    pts = [(p.x, p.y) for p in ok.geometry.representative_point()]
    chain = [(intake_x_m, intake_y_m)]
    left = list(range(len(pts)))
    while left:
        cx, cy = chain[-1]
        j = min(left, key=lambda k: ((pts[k][0] - cx) ** 2 + (pts[k][1] - cy) ** 2, k))
        chain.append(pts[j])
        left.remove(j)
    line = LineString(chain) if len(chain) > 1 else LineString()
    return gpd.GeoDataFrame(
        {
            "scheme_id": [scheme_id] * 3,
            "feature": ["intake", "command_area", "canal"],
            "area_ha": [0.0, float(area_geom.area) / 10_000.0, 0.0],
            "length_m": [0.0, 0.0, float(line.length)],
        },
        geometry=[intake, area_geom, line],
        crs=reach.crs,
    )


# -- orchestration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemeResult:
    """Everything :func:`size_scheme` works out for one scheme.

    Attributes
    ----------
    spec : SchemeSpec
    monthly, decades : pandas.DataFrame
        Balance by month and by 10-day period (:func:`landuse.irrigation.aggregate_balance`)
        with the source flow (``source_l_s``) and deficit (``deficit_l_s``) columns.
    summary : dict
        Area, families, design duty and flow, source, servable area, canal.
    canal : landuse.canal.CanalDesign
    parcels : geopandas.GeoDataFrame or None
        Candidate parcels with their command check (:func:`command_area`).
    layer : geopandas.GeoDataFrame or None
        Map layer (:func:`scheme_layer`).
    notes : tuple of str
        Assumptions and warnings, for the report.
    """

    spec: SchemeSpec
    monthly: pd.DataFrame
    decades: pd.DataFrame
    summary: dict
    canal: _canal.CanalDesign
    parcels: Any = None
    layer: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def report(self) -> str:
        """Short Markdown report: assumptions, why the design month is what it is, the source."""
        return _report(self)


def _lat_lon(spec: SchemeSpec) -> tuple[float, float]:
    from pyproj import Transformer

    tr = Transformer.from_crs(spec.crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(spec.intake_x_m, spec.intake_y_m)
    if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90:
        raise IrrigationError(
            f"the intake ({spec.intake_x_m}, {spec.intake_y_m}) has no valid latitude in "
            f"{spec.crs}",
            feature_id=spec.scheme_id,
            column="intake_x_m",
            hint="check the coordinates and the crs key",
        )
    return float(lat), float(lon)


def _catchment(spec: SchemeSpec, dem: Any, notes: list[str]) -> tuple[float | None, str, Any]:
    """Catchment above the intake: from the DEM (landuse.hydrology) if possible, else the file.

    Returns the area [km²], where it came from, and the catchment polygon (GeoDataFrame) or None.
    """
    from landuse.errors import LanduseError

    if dem is not None:
        try:
            from landuse.hydrology import catchment
        except ImportError:
            catchment = None
        if catchment is not None:
            try:
                basin = catchment(
                    dem,
                    spec.intake_x_m,
                    spec.intake_y_m,
                    snap=True,
                    min_area_km2=0.05,
                    max_snap_m=100.0,
                )
            except LanduseError as exc:
                if spec.catchment_km2 is None:
                    raise
                notes.append(
                    f"The DEM catchment could not be delineated ({exc.message}); catchment_km2 of "
                    "the scheme file is used."
                )
            else:
                area = float(basin["area_km2"].iloc[0])
                if (
                    spec.catchment_km2 is not None
                    and abs(area - spec.catchment_km2) > 0.1 * spec.catchment_km2
                ):
                    notes.append(
                        f"The DEM catchment ({area:.2f} km²) differs from catchment_km2 in the "
                        "scheme "
                        f"file ({spec.catchment_km2:g} km²) by more than 10 %; check the intake "
                        "position."
                    )
                return (
                    area,
                    "from the DEM (D8 catchment above the intake snapped to the stream)",
                    basin,
                )
    if spec.catchment_km2 is not None:
        return float(spec.catchment_km2), "from the scheme file (catchment_km2)", None
    if dem is None:
        return None, "not assessed: no DEM and no catchment_km2", None
    return (
        None,
        "not assessed: landuse.hydrology is not available and no catchment_km2 is given",
        None,
    )


def _command(
    spec: SchemeSpec, dem: Any, parcels: Any, notes: list[str]
) -> tuple[Any, Any, float, str, int, str]:
    """Command area and families: reachable parcels (DEM), listed parcels, or the file."""
    reach = layer = None
    area_ha, area_src = spec.area_ha, "scheme file (area_ha)"
    families, fam_src = spec.families, "scheme file (families)"
    if dem is not None and parcels is not None:
        ids: Sequence[str] | None = spec.paddy_parcel_ids or None
        if ids is None and {"village_id", "land_type"} <= set(parcels.columns):
            # no list: every paddy parcel of the scheme's village is a candidate
            mine = (parcels["village_id"].astype(str) == spec.village_id) & (
                parcels["land_type"] == "paddy"
            )
            ids = list(parcels.loc[mine, "parcel_id"].astype(str))
            notes.append(
                f"No paddy_parcel_ids: the {len(ids)} paddy parcels of village "
                f"{spec.village_id} were checked."
            )
        reach = command_area(
            parcels,
            dem,
            intake_x_m=spec.intake_x_m,
            intake_y_m=spec.intake_y_m,
            bed_slope=spec.canal_bed_slope,
            parcel_ids=ids,
            intake_head_m=spec.intake_head_m,
            sinuosity=spec.sinuosity,
            elevation_stat=spec.elevation_stat,
        )
        layer = scheme_layer(
            reach, intake_x_m=spec.intake_x_m, intake_y_m=spec.intake_y_m, scheme_id=spec.scheme_id
        )
        ok = reach[reach["reachable"]]
        area_ha, area_src = float(ok["area_ha"].sum()), "reachable paddy parcels (DEM)"
        not_ok = reach[~reach["reachable"]]
        if len(not_ok):
            notes.append(
                f"{len(not_ok)} listed paddy parcel(s) lie above the canal level and cannot be "
                f"commanded by gravity: {', '.join(map(str, not_ok['parcel_id'].head(10)))}."
            )
        if len(ok) == 0:
            families, fam_src = 0, "no parcel reachable"
            notes.append("No listed paddy parcel can be commanded from this intake by gravity.")
        elif "household_id" in ok.columns and ok["household_id"].notna().any():
            families, fam_src = (
                int(ok["household_id"].dropna().astype(str).nunique()),
                "household_id of the parcels",
            )
    elif parcels is not None and spec.paddy_parcel_ids:
        sel = parcels[parcels["parcel_id"].astype(str).isin(spec.paddy_parcel_ids)]
        if len(sel):
            area_ha, area_src = (
                float(sel.geometry.area.sum() / 10_000.0),
                "listed paddy parcels (no DEM check)",
            )
            if "household_id" in sel.columns and sel["household_id"].notna().any():
                families, fam_src = (
                    int(sel["household_id"].dropna().astype(str).nunique()),
                    "household_id of the parcels",
                )

    return reach, layer, area_ha, area_src, families, fam_src


def _wet_only(
    spec: SchemeSpec,
    climate: pd.DataFrame,
    lat: float,
    elevation: float,
    area_ha: float,
    families: int,
    dependable: float | None,
    factor: np.ndarray,
) -> dict[str, Any]:
    """Design month, duty and servable area with the wet-season crop alone."""
    wet = {
        "design_month": None,
        "duty_l_s_ha": None,
        "servable_area_ha": None,
        "servable_families": None,
    }
    if len(spec.crops()) > 1:
        wet_daily = _irr.scheme_water_balance(
            climate,
            lat_deg=lat,
            elevation_m=elevation,
            crops=spec.crops()[:1],
            percolation_mm_day=spec.percolation_mm_day,
            efficiency=spec.efficiency,
            rain_method=spec.rain_method,
        )
        wet_monthly = _irr.aggregate_balance(
            wet_daily, area_ha=area_ha, operating_hours=spec.operating_hours
        )
        wm = int(_irr.design_period(wet_monthly))
        wet["design_month"], wet["duty_l_s_ha"] = wm, float(wet_monthly.loc[wm, "duty_l_s_ha"])
        if dependable is not None and wet["duty_l_s_ha"] > 0:
            wet["servable_area_ha"] = float(
                _irr.servable_area_ha(
                    source_flow_l_s=dependable * float(factor[wm - 1]),
                    duty_l_s_ha=wet["duty_l_s_ha"],
                    diversion_fraction=spec.diversion_fraction,
                )
            )
            wet["servable_families"] = (
                _irr.families_served(
                    min(wet["servable_area_ha"], area_ha), mean_holding_ha=area_ha / families
                )
                if families and area_ha > 0
                else 0
            )
    return wet


def size_scheme(
    spec: SchemeSpec,
    climate: pd.DataFrame,
    *,
    dem: Any = None,
    parcels: Any = None,
    catchment_area_km2: float | None = None,
) -> SchemeResult:
    """Size one gravity paddy scheme from climate, terrain and parcels.

    Steps: latitude from the intake (pyproj) and elevation from the DEM (or the
    ``intake_elev_m`` key); the daily paddy balance for the scheme's cropping calendar
    (:func:`landuse.irrigation.scheme_water_balance`) summed by month and by decade;
    the design month (largest gross requirement) and its duty and flow for the
    command area; the catchment above the intake (from the DEM with
    :func:`landuse.hydrology.catchment`, or given) and its dependable low flow, the
    share that may be diverted, the servable area and families and the months with a
    deficit; the canal for the design flow (:func:`landuse.canal.design_canal`); and,
    with a DEM and parcels, the command area and its map layer.

    Parameters
    ----------
    spec : SchemeSpec
        The scheme (from :func:`read_schemes`).
    climate : pandas.DataFrame
        Monthly normals (:func:`landuse.io.read_climate`).
    dem : Raster or path, optional
        Terrain in the scheme's CRS.
    parcels : geopandas.GeoDataFrame, optional
        Parcels with ``parcel_id`` (and ``household_id`` for families).
    catchment_area_km2 : float, optional
        Overrides the catchment from the file or the DEM. [km²]

    Returns
    -------
    SchemeResult

    Raises
    ------
    CRSError
        The DEM or the parcels are not in the scheme's CRS.
    IrrigationError
        The intake is off the DEM or on nodata; impossible climate values.
    """
    from types import SimpleNamespace

    from landuse import _validate
    from landuse.raster import Raster

    notes: list[str] = []
    if dem is not None:
        dem = Raster.from_any(dem)
    _validate.require_same_crs(
        {"scheme file": SimpleNamespace(crs=spec.crs), "dem": dem, "parcels": parcels}
    )
    lat, lon = _lat_lon(spec)
    if dem is not None:
        elevation = _sample_dem(dem, spec.intake_x_m, spec.intake_y_m)
        elev_src = "DEM at the intake"
    elif spec.intake_elev_m is not None:
        elevation, elev_src = float(spec.intake_elev_m), "scheme file (intake_elev_m)"
    else:
        elevation, elev_src = 600.0, "assumed 600 m (no DEM, no intake_elev_m)"
        warnings.warn(
            f"scheme {spec.scheme_id}: no DEM and no intake_elev_m; ET0 uses 600 m",
            LanduseWarning,
            stacklevel=2,
        )
        notes.append(
            "Elevation assumed 600 m (no DEM, no intake_elev_m); ET0 changes by about 1 % per 500 "
            "m."
        )

    # demand
    daily = _irr.scheme_water_balance(
        climate,
        lat_deg=lat,
        elevation_m=elevation,
        crops=spec.crops(),
        percolation_mm_day=spec.percolation_mm_day,
        efficiency=spec.efficiency,
        rain_method=spec.rain_method,
    )

    # command area, families
    reach, layer, area_ha, area_src, families, fam_src = _command(spec, dem, parcels, notes)

    monthly = _irr.aggregate_balance(
        daily, period="month", area_ha=area_ha, operating_hours=spec.operating_hours
    )
    decades = _irr.aggregate_balance(
        daily, period="decade", area_ha=area_ha, operating_hours=spec.operating_hours
    )
    dmonth = int(_irr.design_period(monthly))
    ddecade = int(_irr.design_period(decades))
    design_duty = float(monthly.loc[dmonth, "duty_l_s_ha"])
    design_flow = design_duty * area_ha

    # source
    basin = None
    if catchment_area_km2 is not None:
        cat_area, cat_src = float(catchment_area_km2), "given"
    else:
        cat_area, cat_src, basin = _catchment(spec, dem, notes)
    factor = np.array(spec.monthly_flow_factor if spec.monthly_flow_factor else [1.0] * 12)
    dependable = servable = fam_servable = None
    if cat_area is not None:
        dependable = float(
            _irr.dependable_flow_l_s(
                catchment_area_km2=cat_area,
                low_flow_l_s_km2=spec.low_flow_l_s_km2,
                measured_flow_l_s=spec.measured_flow_l_s,
                measured_area_km2=spec.measured_area_km2,
            )
        )
        available = spec.diversion_fraction * dependable * factor
        for tab in (monthly, decades):
            tab["source_l_s"] = (
                available[tab["month"].to_numpy() - 1]
                if "month" in tab.columns
                else available[tab.index.to_numpy() - 1]
            )
            tab["deficit_l_s"] = np.maximum(tab["flow_l_s"] - tab["source_l_s"], 0.0)
        if design_duty > 0:
            servable = float(
                _irr.servable_area_ha(
                    source_flow_l_s=dependable * float(factor[dmonth - 1]),
                    duty_l_s_ha=design_duty,
                    diversion_fraction=spec.diversion_fraction,
                )
            )
        else:  # effective rain meets the whole requirement all year
            servable = area_ha
            notes.append("Effective rain meets the paddy requirement in every month.")
        holding = area_ha / families if families else None
        fam_servable = (
            _irr.families_served(
                min(servable, area_ha) if holding else 0.0, mean_holding_ha=holding
            )
            if holding
            else 0
        )
    else:
        notes.append(f"Source {cat_src}; give catchment_km2 or a DEM to check it.")
        for tab in (monthly, decades):
            tab["source_l_s"] = np.nan
            tab["deficit_l_s"] = np.nan
    deficit_months = (
        [int(m) for m in monthly.index[monthly["deficit_l_s"] > 1e-9]]
        if cat_area is not None
        else []
    )
    if layer is not None and basin is not None:
        extra = basin[["geometry"]].assign(
            scheme_id=spec.scheme_id,
            feature="catchment",
            area_ha=float(basin["area_km2"].iloc[0]) * 100.0,
            length_m=0.0,
        )
        layer = pd.concat([layer, extra[layer.columns]], ignore_index=True)

    # the same scheme without the dry-season crop (supplementary wet-season irrigation)
    wet = _wet_only(spec, climate, lat, elevation, area_ha, families, dependable, factor)

    # canal
    design = _canal.design_canal(
        q_m3_s=max(design_flow, 1e-4) / 1000.0,
        n=spec.canal_n,
        bed_slope=spec.canal_bed_slope,
        side_slope=spec.canal_side_slope,
        soil=spec.soil,
    )

    summary = {
        "scheme_id": spec.scheme_id,
        "name_en": spec.name_en,
        "name_lo": spec.name_lo,
        "village_id": spec.village_id,
        "lat_deg": round(lat, 5),
        "lon_deg": round(lon, 5),
        "elevation_m": round(elevation, 1),
        "elevation_source": elev_src,
        "area_ha": round(area_ha, 4),
        "area_source": area_src,
        "families": int(families),
        "families_source": fam_src,
        "reference_area_ha": spec.area_ha,
        "reference_families": spec.families,
        "efficiency": spec.efficiency,
        "operating_hours": spec.operating_hours,
        "design_month": dmonth,
        "design_decade": ddecade,
        "design_gir_mm_day": round(float(monthly.loc[dmonth, "gir_mm_day"]), 4),
        "design_duty_l_s_ha": round(design_duty, 4),
        "design_flow_l_s": round(design_flow, 3),
        "peak_decade_duty_l_s_ha": round(float(decades.loc[ddecade, "duty_l_s_ha"]), 4),
        "catchment_area_km2": None if cat_area is None else round(cat_area, 4),
        "catchment_source": cat_src,
        "dependable_flow_l_s": None if dependable is None else round(dependable, 3),
        "diversion_fraction": spec.diversion_fraction,
        "divertible_flow_l_s": None
        if dependable is None
        else round(dependable * spec.diversion_fraction, 3),
        "servable_area_ha": None if servable is None else round(servable, 4),
        "servable_families": fam_servable,
        "source_sufficient": None if servable is None else bool(servable >= area_ha - 1e-9),
        "deficit_months": " ".join(map(str, deficit_months)),
        "canal_bed_width_m": round(design.bed_width_m, 3),
        "canal_depth_m": round(design.depth_m, 4),
        "canal_freeboard_m": round(design.freeboard_m, 3),
        "canal_total_depth_m": round(design.total_depth_m, 3),
        "canal_side_slope": design.side_slope,
        "canal_velocity_m_s": round(design.velocity_m_s, 4),
        "canal_froude": round(design.froude, 4),
        "canal_ok": design.ok,
        "canal_issues": "; ".join(design.issues),
        "wet_only_design_month": wet["design_month"],
        "wet_only_duty_l_s_ha": None
        if wet["duty_l_s_ha"] is None
        else round(wet["duty_l_s_ha"], 4),
        "wet_only_servable_area_ha": (
            None if wet["servable_area_ha"] is None else round(wet["servable_area_ha"], 4)
        ),
        "wet_only_servable_families": wet["servable_families"],
    }
    return SchemeResult(
        spec=spec,
        monthly=monthly,
        decades=decades,
        summary=summary,
        canal=design,
        parcels=reach,
        layer=layer,
        notes=tuple(notes),
    )


def size_schemes(
    specs: Sequence[SchemeSpec],
    climate: pd.DataFrame,
    *,
    dem: Any = None,
    parcels: Any = None,
) -> dict[str, Any]:
    """Size several schemes and gather their tables, layers and reports.

    Parameters
    ----------
    specs : sequence of SchemeSpec
        Schemes (from :func:`read_schemes`).
    climate, dem, parcels
        As in :func:`size_scheme`.

    Returns
    -------
    dict
        ``results`` (list of :class:`SchemeResult`), ``monthly`` and ``decades``
        (DataFrames with a leading ``scheme_id`` column), ``summary`` (one row per
        scheme), ``total`` (area, families, design flow), ``report`` (Markdown) and,
        with a DEM and parcels, ``layer`` (intake, command area, canal, catchment of
        every scheme) and ``command_parcels`` (GeoDataFrames), else None.
    """
    if not specs:
        raise RuleError("no scheme to size", hint="give at least one [[scheme]]")
    results = [size_scheme(s, climate, dem=dem, parcels=parcels) for s in specs]

    def stack(attr: str) -> pd.DataFrame:
        frames = [
            getattr(r, attr).reset_index().assign(scheme_id=r.spec.scheme_id) for r in results
        ]
        df = pd.concat(frames, ignore_index=True)
        df.insert(0, "scheme_id", df.pop("scheme_id"))
        return df

    summary = pd.DataFrame([r.summary for r in results])
    total = {
        "area_ha": float(summary["area_ha"].sum()),
        "families": int(summary["families"].sum()),
        "design_flow_l_s": float(summary["design_flow_l_s"].sum()),
    }
    report = (
        f"# Irrigation schemes: {len(results)} scheme(s), {total['area_ha']:.2f} ha, "
        f"{total['families']} families, design flow {total['design_flow_l_s']:.1f} l/s\n\n"
        + "\n".join(r.report() for r in results)
    )
    layer = command = None
    if all(r.layer is not None for r in results):
        import geopandas as gpd

        layer = gpd.GeoDataFrame(
            pd.concat([r.layer for r in results], ignore_index=True), geometry="geometry"
        )
        command = gpd.GeoDataFrame(
            pd.concat(
                [r.parcels.assign(scheme_id=r.spec.scheme_id) for r in results], ignore_index=True
            ),
            geometry="geometry",
        )
    return {
        "results": results,
        "monthly": stack("monthly"),
        "decades": stack("decades"),
        "summary": summary,
        "total": total,
        "report": report,
        "layer": layer,
        "command_parcels": command,
    }


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _report(res: SchemeResult) -> str:
    s, spec, m = res.summary, res.spec, res.monthly
    dm = s["design_month"]
    row = m.loc[dm]
    if (
        row["land_prep_mm_day"] > 0.5 * max(row["nir_mm_day"], 1e-9)
        and row["land_prep_mm_day"] > 0
    ):
        why = (
            "land preparation (saturating and puddling the fields and building the first water "
            "layer, "
            f"{spec.saturation_mm:g} mm in {spec.land_prep_days} days) falls in this month while "
            f"effective rain is only {row['eff_rain_mm']:.0f} mm"
        )
    else:
        why = (
            f"crop evapotranspiration ({row['etc_mm_day']:.1f} mm/day) plus percolation is "
            "highest "
            f"relative to effective rain ({row['eff_rain_mm']:.0f} mm)"
        )
    comps = [
        (n, row[c])
        for n, c in (
            ("ETc", "etc_mm_day"),
            ("percolation", "percolation_mm_day"),
            ("land preparation", "land_prep_mm_day"),
        )
        if row[c] > 0.05
    ]
    parts = " + ".join(f"{n} {v:.1f}" for n, v in comps) or "no crop"
    parts += f" − effective rain {row['eff_rain_mm'] / row['days']:.1f}"
    lines = [
        f"# Irrigation scheme {spec.scheme_id}: {spec.name_en} ({spec.name_lo})",
        "",
        f"Village {spec.village_id}; intake at {spec.intake_x_m:.0f} E, {spec.intake_y_m:.0f} N "
        f"({spec.crs}), "
        f"latitude {s['lat_deg']:.3f}°, elevation {s['elevation_m']:.0f} m.",
        "",
        "## Demand",
        f"- Command area {s['area_ha']:.2f} ha ({s['area_source']}), {s['families']} families "
        f"({s['families_source']}); reference {spec.area_ha:g} ha, {spec.families} families.",
        f"- Calendar: wet-season rice transplanted {spec.wet_transplant_day} "
        f"{_MONTHS[spec.wet_transplant_month - 1]}"
        + (
            f", dry-season rice on {spec.dry_area_fraction:.0%} of the area transplanted "
            f"{spec.dry_transplant_day} "
            f"{_MONTHS[spec.dry_transplant_month - 1]}"
            if spec.dry_season_crop
            else ", no dry-season crop"
        )
        + "; FAO-56 rice Kc 1.05/1.20/0.75 (30/30/60/30 days) adjusted to the local wind and "
        "humidity; "
        f"land preparation {spec.land_prep_days} days, S = {spec.saturation_mm:g} mm (Van de "
        "Goor-Zijlstra)"
        + (
            f"; water layer of {spec.water_layer_mm:g} mm replaced 30 and 60 days after "
            "transplanting."
            if spec.water_layer_mm > 0
            else "."
        ),
        f"- Seepage and percolation {spec.percolation_mm_day:g} mm/day; effective rain by "
        f"{spec.rain_method}; "
        f"overall efficiency {spec.efficiency:.2f} (conveyance {spec.conveyance_efficiency:g} x "
        "distribution "
        f"{spec.distribution_efficiency:g} x field {spec.field_efficiency:g}); water "
        f"{spec.operating_hours:g} h/day.",
        f"- **Design month: {_MONTHS[dm - 1]}**, because {why}. Gross requirement "
        f"{s['design_gir_mm_day']:.1f} mm/day = **{s['design_duty_l_s_ha']:.2f} l/s/ha**, design "
        "flow "
        f"**{s['design_flow_l_s']:.1f} l/s**. The peak 10-day period (decade "
        f"{s['design_decade']}) needs "
        f"{s['peak_decade_duty_l_s_ha']:.2f} l/s/ha; staggering land preparation keeps the "
        "month's mean.",
        f"- Why this duty: net requirement {row['nir_mm_day']:.1f} mm/day ({parts}, per ha of "
        "command area) "
        f"÷ efficiency {spec.efficiency:.2f} = {row['gir_mm_day']:.1f} mm/day; 1 mm/day = 0.1157 "
        "l/s/ha"
        + (f", × 24/{spec.operating_hours:g} h" if spec.operating_hours != 24 else "")
        + ".",
        f"- A duty of {s['design_duty_l_s_ha']:.2f} l/s/ha is "
        + (
            "within the 1-2.5 l/s/ha usual for paddy at the headworks (higher in land preparation "
            "and on light "
            "soils)."
            if 1.0 <= s["design_duty_l_s_ha"] <= 2.5
            else "outside the 1-2.5 l/s/ha usual for paddy at the headworks: check percolation, "
            "efficiency and the "
            "calendar."
        ),
        "",
        "## Source",
    ]
    if s["dependable_flow_l_s"] is None:
        lines.append(f"- Catchment {s['catchment_source']}.")
    else:
        method = (
            "a dry-season spot measurement scaled by catchment area"
            if spec.measured_flow_l_s is not None
            else f"a specific low flow of {spec.low_flow_l_s_km2:g} l/s/km² (a derived default "
            "for northern Lao "
            "headwaters in March-April; measure the flow at the weir to confirm)"
        )
        lines += [
            f"- Catchment above the intake {s['catchment_area_km2']:.2f} km² "
            f"({s['catchment_source']}); "
            f"dependable flow {s['dependable_flow_l_s']:.1f} l/s from {method}.",
            f"- Divertible share {spec.diversion_fraction:.0%} (the rest stays for downstream "
            "users): "
            f"{s['divertible_flow_l_s']:.1f} l/s, enough for **{s['servable_area_ha']:.1f} ha** "
            f"(**{s['servable_families']} families** at the mean holding).",
            "- The source "
            + (
                "**suffices** for the command area in the design month."
                if s["source_sufficient"]
                else "**does not suffice** for the whole command area in the design month."
            )
            + (
                " Months with a deficit: "
                f"{', '.join(_MONTHS[int(x) - 1] for x in s['deficit_months'].split())}."
                if s["deficit_months"]
                else " No month has a deficit."
            ),
        ]
    if s["wet_only_duty_l_s_ha"] is not None:
        txt = (
            f"- Without the dry-season crop (wet-season rice only) the design month is "
            f"{_MONTHS[s['wet_only_design_month'] - 1]} with {s['wet_only_duty_l_s_ha']:.2f} "
            "l/s/ha"
        )
        if s["wet_only_servable_area_ha"] is not None:
            txt += (
                f"; even at the dry-season low flow the source then serves "
                f"{min(s['wet_only_servable_area_ha'], s['area_ha']):.1f} of {s['area_ha']:.1f} "
                "ha "
                f"({s['wet_only_servable_families']} families); wet-season flows are usually "
                "higher"
            )
        lines.append(txt + ".")
    c = res.canal
    lines += [
        "",
        "## Canal",
        f"- Trapezoid, bed width {c.bed_width_m:.2f} m, side slope {c.side_slope:g}:1, flow depth "
        f"{c.depth_m:.2f} m "
        f"+ freeboard {c.freeboard_m:.2f} m = {c.total_depth_m:.2f} m; n = {c.n:g}, bed slope "
        f"{c.bed_slope:g}; "
        f"velocity {c.velocity_m_s:.2f} m/s (limits {c.min_velocity_m_s:g}-{c.max_velocity_m_s:g} "
        "m/s for "
        f"{c.soil}), Froude {c.froude:.2f}: "
        + ("**ok**." if c.ok else "**check**: " + "; ".join(c.issues) + "."),
    ]
    if res.notes:
        lines += ["", "## Notes"] + [f"- {n}" for n in res.notes]
    return "\n".join(lines) + "\n"
