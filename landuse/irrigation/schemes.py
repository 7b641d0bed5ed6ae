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
the DEM, ET0 and the paddy balance (:mod:`landuse.irrigation`), the peak design duty
and flow (:func:`landuse.irrigation.design_requirement`) with a sensitivity table
(:func:`design_sensitivity`), the catchment above the intake and its dependable low flow, the servable area
and families, the months with a deficit, the canal (:mod:`landuse.irrigation.canal`) and the
command area with a map layer (:func:`command_area`, :func:`scheme_layer`).

This module holds the sizing (:func:`size_scheme`, :func:`size_schemes`, the report);
the scheme files live in the private :mod:`landuse.irrigation._scheme_files` and the terrain and
command area in :mod:`landuse.irrigation._command`, and are imported from here.

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

import warnings
from collections.abc import Sequence
from types import SimpleNamespace
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landuse.irrigation import canal as _canal
from landuse.irrigation import requirement as _irr
from landuse.irrigation._scheme_summary import SchemeSummary
from landuse.irrigation._command import (
    _parcel_elevations,  # noqa: F401  (re-exported)
    _sample_dem,
    command_area,
    scheme_layer,
)
from landuse.irrigation._scheme_files import (
    _NUMERIC_LIMITS,  # noqa: F401  (re-exported)
    OPTIONAL_KEYS,
    REQUIRED_KEYS,
    SchemeSpec,
    _spec_from_table,  # noqa: F401  (re-exported)
    _specs_from_data,  # noqa: F401  (re-exported)
    parse_schemes,
    read_schemes,
    schemes_from_dict,
)
from landuse import _validate
from landuse._validate.dem import check_dem
from landuse._validate.display import figures_html
from landuse.errors import IrrigationError, LanduseError, LanduseWarning, RuleError
from landuse.raster import RasterSource, read_dem

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd

__all__ = [
    "OPTIONAL_KEYS",
    "REQUIRED_KEYS",
    "SchemeResult",
    "SchemeSpec",
    "SchemeSummary",
    "command_area",
    "parse_schemes",
    "read_schemes",
    "scheme_layer",
    "schemes_from_dict",
    "design_sensitivity",
    "size_scheme",
    "size_schemes",
]


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
    summary : SchemeSummary
        Area, families, design duty and flow, source, servable area, canal (a typed
        record that is also a dict).
    canal : landuse.irrigation.canal.CanalDesign
    parcels : geopandas.GeoDataFrame or None
        Candidate parcels with their command check (:func:`command_area`).
    layer : geopandas.GeoDataFrame or None
        Map layer (:func:`scheme_layer`).
    notes : tuple of str
        Assumptions and warnings, for the report.
    daily : pandas.DataFrame or None
        The daily balance (:func:`landuse.irrigation.scheme_water_balance`).
    sensitivity : pandas.DataFrame or None
        Design duty and flow under changed assumptions (:func:`design_sensitivity`).
    """

    spec: SchemeSpec
    monthly: pd.DataFrame
    decades: pd.DataFrame
    summary: SchemeSummary
    canal: _canal.CanalDesign
    parcels: Any = None
    layer: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    daily: Any = None
    sensitivity: Any = None

    def report(self) -> str:
        """Short Markdown report: assumptions, why the design period is what it is, the source,
        the sensitivity table."""
        return _report(self)

    def __repr__(self) -> str:
        """One line (never the tables): the scheme, its area, families and design flow."""
        s = self.summary
        return (f"SchemeResult({s.get('scheme_id')!r}: {s.get('area_ha', 0):.2f} ha, {s.get('families')} families, "
                f"design flow {s.get('design_flow_l_s', 0):.1f} l/s)")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the scheme's key figures (area, families, duty, flow, source, canal)."""
        s = self.summary

        def num(key: str, fmt: str = "{:.2f}") -> str:
            v = s.get(key)
            return "-" if v is None else fmt.format(v)

        sufficient = {True: "yes · ພຽງພໍ", False: "no · ບໍ່ພຽງພໍ", None: "-"}[s.get("source_sufficient")]
        figures = [
            ("ຊື່", "name", f"{s.get('name_lo')} · {s.get('name_en')} ({s.get('scheme_id')})"),
            ("ບ້ານ", "village", s.get("village_id")),
            ("ເນື້ອທີ່ [ເຮັກຕາ]", "area [ha]", num("area_ha")),
            ("ຄອບຄົວ", "families", s.get("families")),
            ("ອັດຕານ້ຳຕໍ່ເຮັກຕາ [l/s/ha]", "design duty [l/s/ha]", num("design_duty_l_s_ha")),
            ("ອັດຕາການໄຫຼອອກແບບ [l/s]", "design flow [l/s]", num("design_flow_l_s", "{:.1f}")),
            ("ການໄຫຼທີ່ເຊື່ອຖືໄດ້ [l/s]", "dependable flow [l/s]", num("dependable_flow_l_s", "{:.1f}")),
            ("ເນື້ອທີ່ທີ່ນ້ຳພໍ [ເຮັກຕາ]", "servable area [ha]", num("servable_area_ha")),
            ("ແຫຼ່ງນ້ຳພຽງພໍ", "source sufficient", sufficient),
            ("ຄອງເໝືອງ (ກວ້າງ x ເລິກ) [m]", "canal (bed width x depth) [m]",
             f"{num('canal_bed_width_m')} x {num('canal_total_depth_m')}"),
        ]
        note = f"{len(self.notes)} notes: see .report()" if self.notes else None
        return figures_html(figures, title="Irrigation scheme", title_lo="ໂຄງການຊົນລະປະທານ", note=note)


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
    """Catchment above the intake: from the DEM (landuse.terrain.hydrology) if possible, else the file.

    Returns the area [km²], where it came from, and the catchment polygon (GeoDataFrame) or None.
    """
    if dem is not None:
        try:
            from landuse.terrain.hydrology import catchment  # deferred: imports numba (flow routing)
        except ImportError:
            catchment = None  # type: ignore[assignment]
        if catchment is not None:
            try:
                basin = catchment(
                    dem,
                    spec.intake_x_m,
                    spec.intake_y_m,
                    snap=True,
                    min_area_km2=0.05,
                    max_snap_m=100.0,
                    snap_rule="largest",
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
                    "from the DEM (D8 catchment above the intake, snapped to the cell of largest "
                    "upstream area within 100 m)",
                    basin,
                )
    if spec.catchment_km2 is not None:
        return float(spec.catchment_km2), "from the scheme file (catchment_km2)", None
    if dem is None:
        return None, "not assessed: no DEM and no catchment_km2", None
    return (
        None,
        "not assessed: landuse.terrain.hydrology is not available and no catchment_km2 is given",
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


class _SiteBalances:
    """Daily balances and design peaks of one intake, sharing what does not change between them.

    The design, the wet-season-only case and the sensitivity cases of a scheme differ in
    crops, percolation, efficiency or effective-rain method only: the site's monthly ET0
    (:func:`landuse.irrigation.et0_monthly`) and checked climate are computed once, and a
    case asked twice (the sensitivity table's first row is the design) is computed once.
    The figures are those of :func:`landuse.irrigation.scheme_water_balance` (same code).
    """

    def __init__(self, climate: pd.DataFrame, *, lat_deg: float, elevation_m: float) -> None:
        self.climate, self.lat_deg, self.elevation_m = climate, lat_deg, elevation_m
        self._site: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._memo: dict[tuple[Any, ...], tuple[pd.DataFrame, dict[str, Any]]] = {}

    def balance(self, sp: SchemeSpec, *, crops: Sequence[Any] | None = None) -> pd.DataFrame:
        """The daily balance of *sp* (its calendar, or *crops*) at this site (a shared, read-only frame)."""
        return self._get(sp, crops)[0]

    def peak(self, sp: SchemeSpec, *, crops: Sequence[Any] | None = None) -> dict[str, Any]:
        """:func:`landuse.irrigation.design_requirement` of :meth:`balance` (a copy)."""
        return dict(self._get(sp, crops)[1])

    def _get(self, sp: SchemeSpec, crops: Sequence[Any] | None) -> tuple[pd.DataFrame, dict[str, Any]]:
        crops = tuple(sp.crops() if crops is None else crops)
        key = (crops, sp.percolation_mm_day, sp.efficiency, sp.rain_method, sp.operating_hours)
        if key not in self._memo:
            _irr._check_balance_args(crops, sp.percolation_mm_day, sp.efficiency, sp.rain_method)
            if self._site is None:
                et0_tab = _irr.et0_monthly(self.climate, lat_deg=self.lat_deg, elevation_m=self.elevation_m)
                self._site = (et0_tab, _irr._check_climate(self.climate))
            daily = _irr._balance_on_et0(*self._site, crops=crops, percolation_mm_day=sp.percolation_mm_day,
                                         efficiency=sp.efficiency, rain_method=sp.rain_method, adjust_kc=True)
            self._memo[key] = (daily, _irr.design_requirement(daily, operating_hours=sp.operating_hours))
        return self._memo[key]


def _wet_only(
    spec: SchemeSpec,
    site: _SiteBalances,
    area_ha: float,
    families: int,
    dependable: float | None,
    factor: np.ndarray,
) -> dict[str, Any]:
    """Design month, duty and servable area with the wet-season crop alone."""
    wet: dict[str, Any] = {
        "design_month": None,
        "duty_l_s_ha": None,
        "servable_area_ha": None,
        "servable_families": None,
    }
    if len(spec.crops()) > 1:
        wpeak = site.peak(spec, crops=spec.crops()[:1])
        wm = int(wpeak["month"])
        wet["design_month"], wet["duty_l_s_ha"] = wm, float(wpeak["duty_l_s_ha"])
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


#: Cases of :func:`design_sensitivity`: (case label, SchemeSpec field, how to change it).
SENSITIVITY_PERCOLATION_MM_DAY = (3.0, 6.0, 10.0)
#: Change of each efficiency in the sensitivity table (absolute, e.g. 0.8 -> 0.7 / 0.9). [-]
SENSITIVITY_EFFICIENCY_STEP = 0.1
#: Shift of both transplanting dates in the sensitivity table. [days]
SENSITIVITY_TRANSPLANT_DAYS = 15


def _shift_date(month: int, day: int, days: int) -> tuple[int, int]:
    import datetime as dt

    d = dt.date(2001, month, day) + dt.timedelta(days=days)
    d = d.replace(year=2001)
    return d.month, d.day


def design_sensitivity(
    spec: SchemeSpec,
    climate: pd.DataFrame,
    *,
    lat_deg: float,
    elevation_m: float,
    area_ha: float,
) -> pd.DataFrame:
    """Design duty and flow of a scheme under changed assumptions, so the margin shows.

    Each row re-runs the daily balance and the peak design
    (:func:`landuse.irrigation.design_requirement`) with one assumption changed:
    seepage and percolation 3, 6 and 10 mm/day (puddled lowland, montane terraces,
    light soils); conveyance and field (application) efficiency 0.1 lower and higher;
    both transplanting dates 15 days earlier and later; each effective-rain method.

    Parameters
    ----------
    spec : SchemeSpec
        The scheme as designed.
    climate : pandas.DataFrame
        Monthly normals.
    lat_deg, elevation_m : float
        Location of the intake. [degrees], [m]
    area_ha : float
        Command area. [ha]

    Returns
    -------
    pandas.DataFrame
        ``case``, ``parameter``, ``value`` (as text), ``design_duty_l_s_ha``,
        ``design_flow_l_s``, ``change_pct`` (against the design), ``design_window``;
        the first row is the design itself.
    """
    site = _SiteBalances(climate, lat_deg=lat_deg, elevation_m=elevation_m)
    return _sensitivity(spec, site, area_ha=area_ha)


def _sensitivity(spec: SchemeSpec, site: _SiteBalances, *, area_ha: float) -> pd.DataFrame:
    """:func:`design_sensitivity` on the balances of the scheme's site."""
    import dataclasses

    cases: list[tuple[str, str, str, SchemeSpec]] = [("design", "-", "as designed", spec)]
    for p in SENSITIVITY_PERCOLATION_MM_DAY:
        cases.append(
            (
                f"percolation {p:g} mm/day",
                "percolation_mm_day",
                f"{p:g}",
                dataclasses.replace(spec, percolation_mm_day=p),
            )
        )
    step = SENSITIVITY_EFFICIENCY_STEP
    for name, key in (("conveyance", "conveyance_efficiency"), ("field", "field_efficiency")):
        for sign in (-1, 1):
            v = min(max(getattr(spec, key) + sign * step, 0.05), 1.0)
            cases.append(
                (
                    f"{name} efficiency {v:.2f}",
                    key,
                    f"{v:.2f}",
                    dataclasses.replace(spec, **{key: v}),
                )
            )
    for sign in (-1, 1):
        d = sign * SENSITIVITY_TRANSPLANT_DAYS
        wm, wd = _shift_date(spec.wet_transplant_month, spec.wet_transplant_day, d)
        dm, dd = _shift_date(spec.dry_transplant_month, spec.dry_transplant_day, d)
        cases.append(
            (
                f"transplanting {d:+d} days",
                "transplant dates",
                f"{wd} {_MONTHS[wm - 1][:3]} / {dd} {_MONTHS[dm - 1][:3]}",
                dataclasses.replace(
                    spec,
                    wet_transplant_month=wm,
                    wet_transplant_day=wd,
                    dry_transplant_month=dm,
                    dry_transplant_day=dd,
                ),
            )
        )
    for m in _irr.EFFECTIVE_RAIN_METHODS:
        if m != "fixed":
            cases.append(
                (f"effective rain {m}", "rain_method", m, dataclasses.replace(spec, rain_method=m))
            )
    rows = []
    base = None
    for label, param, value, sp in cases:
        pk = site.peak(sp)
        duty = float(pk["duty_l_s_ha"])
        base = duty if base is None else base
        rows.append(
            {
                "case": label,
                "parameter": param,
                "value": value,
                "design_duty_l_s_ha": round(duty, 4),
                "design_flow_l_s": round(duty * area_ha, 3),
                "change_pct": round(100.0 * (duty / base - 1.0), 1) if base > 0 else 0.0,
                "design_window": f"{pk['start']:%d %b}-{pk['end']:%d %b}",
            }
        )
    return pd.DataFrame(rows)


def _intake_elevation(spec: SchemeSpec, dem: Any, notes: list[str]) -> tuple[float, str]:
    """The intake elevation [m] and where it comes from (DEM, scheme file, or the 600 m default)."""
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
            stacklevel=3,
        )
        notes.append(
            "Elevation assumed 600 m (no DEM, no intake_elev_m); ET0 changes by about 1 % per 500 "
            "m."
        )
    return elevation, elev_src


@dataclass(frozen=True)
class _Source:
    """What the stream at the intake gives: catchment, dependable flow, servable area."""

    basin: Any
    catchment_area_km2: float | None
    catchment_source: str
    factor: np.ndarray
    dependable_l_s: float | None
    servable_ha: float | None
    servable_families: int | None
    deficit_months: list[int]


def _source(spec: SchemeSpec, dem: Any, catchment_area_km2: float | None, monthly: pd.DataFrame,
            decades: pd.DataFrame, *, design_duty: float, dmonth: int, area_ha: float, families: int,
            notes: list[str]) -> _Source:
    """Check the source against the demand; add ``source_l_s``/``deficit_l_s`` to *monthly*/*decades*."""
    basin = None
    cat_area: float | None
    if catchment_area_km2 is not None:
        cat_area, cat_src = float(catchment_area_km2), "given"
    else:
        cat_area, cat_src, basin = _catchment(spec, dem, notes)
    factor = np.array(spec.monthly_flow_factor if spec.monthly_flow_factor else [1.0] * 12)
    dependable = servable = fam_servable = None
    if cat_area is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LanduseWarning)
            dependable = float(
                _irr.dependable_flow_l_s(
                    catchment_area_km2=cat_area,
                    low_flow_l_s_km2=spec.low_flow_l_s_km2,
                    measured_flow_l_s=spec.measured_flow_l_s,
                    measured_area_km2=spec.measured_area_km2,
                )
            )
        for w in caught:  # the area-ratio warning: into the report, and passed on
            notes.append(f"Source: {w.message}.")
            warnings.warn(f"scheme {spec.scheme_id}: {w.message}", LanduseWarning, stacklevel=3)
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
    return _Source(basin, cat_area, cat_src, factor, dependable, servable, fam_servable, deficit_months)


def _summary(spec: SchemeSpec, *, lat: float, lon: float, elevation: float, elev_src: str, area_ha: float,
             area_src: str, families: int, fam_src: str, peak: Any, window: pd.DataFrame,
             monthly: pd.DataFrame, decades: pd.DataFrame, dmonth: int, ddecade: int, mmonth: int,
             design_duty: float, design_flow: float, src: _Source,
             design: Any, wet: dict[str, Any]) -> SchemeSummary:
    """The one-row summary of a sized scheme."""
    cat_area, dependable, servable = src.catchment_area_km2, src.dependable_l_s, src.servable_ha
    fam_servable = src.servable_families
    return SchemeSummary(
        scheme_id=spec.scheme_id,
        name_en=spec.name_en,
        name_lo=spec.name_lo,
        village_id=spec.village_id,
        lat_deg=round(lat, 5),
        lon_deg=round(lon, 5),
        elevation_m=round(elevation, 1),
        elevation_source=elev_src,
        area_ha=round(area_ha, 4),
        area_source=area_src,
        families=int(families),
        families_source=fam_src,
        reference_area_ha=spec.area_ha,
        reference_families=spec.families,
        efficiency=spec.efficiency,
        operating_hours=spec.operating_hours,
        design_month=dmonth,
        design_window=f"{peak['start']:%d %b}-{peak['end']:%d %b}",
        design_window_days=peak["window_days"],
        design_decade=ddecade,
        design_nir_mm_day=round(float(window["nir_mm_day"].mean()), 4),
        design_gir_mm_day=round(peak["gir_mm_day"], 4),
        design_duty_l_s_ha=round(design_duty, 4),
        design_flow_l_s=round(design_flow, 3),
        peak_decade_duty_l_s_ha=round(float(decades.loc[ddecade, "duty_l_s_ha"]), 4),
        monthly_max_month=mmonth,
        monthly_max_duty_l_s_ha=round(float(monthly.loc[mmonth, "duty_l_s_ha"]), 4),
        catchment_area_km2=None if cat_area is None else round(cat_area, 4),
        catchment_source=src.catchment_source,
        dependable_flow_l_s=None if dependable is None else round(dependable, 3),
        diversion_fraction=spec.diversion_fraction,
        divertible_flow_l_s=None
        if dependable is None
        else round(dependable * spec.diversion_fraction, 3),
        servable_area_ha=None if servable is None else round(servable, 4),
        servable_families=fam_servable,
        source_sufficient=None if servable is None else bool(servable >= area_ha - 1e-9),
        deficit_months=" ".join(map(str, src.deficit_months)),
        canal_bed_width_m=round(design.bed_width_m, 3),
        canal_depth_m=round(design.depth_m, 4),
        canal_freeboard_m=round(design.freeboard_m, 3),
        canal_total_depth_m=round(design.total_depth_m, 3),
        canal_side_slope=design.side_slope,
        canal_velocity_m_s=round(design.velocity_m_s, 4),
        canal_froude=round(design.froude, 4),
        canal_ok=design.ok,
        canal_issues="; ".join(design.issues),
        wet_only_design_month=wet["design_month"],
        wet_only_duty_l_s_ha=None
        if wet["duty_l_s_ha"] is None
        else round(wet["duty_l_s_ha"], 4),
        wet_only_servable_area_ha=(
            None if wet["servable_area_ha"] is None else round(wet["servable_area_ha"], 4)
        ),
        wet_only_servable_families=wet["servable_families"],
    )


def size_scheme(
    spec: SchemeSpec,
    climate: pd.DataFrame,
    *,
    dem: RasterSource | None = None,
    parcels: gpd.GeoDataFrame | None = None,
    catchment_area_km2: float | None = None,
) -> SchemeResult:
    """Size one gravity paddy scheme from climate, terrain and parcels.

    Steps: latitude from the intake (pyproj) and elevation from the DEM (or the
    ``intake_elev_m`` key); the daily paddy balance for the scheme's cropping calendar
    (:func:`landuse.irrigation.scheme_water_balance`) summed by month and by decade;
    the design duty and flow from the peak 10-day gross requirement
    (:func:`landuse.irrigation.design_requirement`, never the monthly mean, which
    averages land preparation away) for the command area, and their sensitivity
    (:func:`design_sensitivity`); the catchment above the intake (from the DEM with
    :func:`landuse.terrain.hydrology.catchment`, or given) and its dependable low flow, the
    share that may be diverted, the servable area and families and the months with a
    deficit; the canal for the design flow (:func:`landuse.irrigation.canal.design_canal`); and,
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
    notes: list[str] = []
    if dem is not None:
        dem = check_dem(read_dem(dem))
    _validate.require_same_crs(
        {"scheme file": SimpleNamespace(crs=spec.crs), "dem": dem, "parcels": parcels}
    )
    lat, lon = _lat_lon(spec)
    elevation, elev_src = _intake_elevation(spec, dem, notes)

    # demand (the design, its wet-season-only case and its sensitivity share the site's ET0)
    site = _SiteBalances(climate, lat_deg=lat, elevation_m=elevation)
    daily = site.balance(spec)

    # command area, families
    reach, layer, area_ha, area_src, families, fam_src = _command(spec, dem, parcels, notes)

    monthly = _irr.aggregate_balance(
        daily, period="month", area_ha=area_ha, operating_hours=spec.operating_hours
    )
    decades = _irr.aggregate_balance(
        daily, period="decade", area_ha=area_ha, operating_hours=spec.operating_hours
    )
    # design on the peak 10-day running mean of the daily gross requirement, not on the
    # largest monthly mean (which averages land preparation straddling two months away)
    peak = site.peak(spec)
    dmonth = int(peak["month"])
    ddecade = int(_irr.design_period(decades))
    mmonth = int(_irr.design_period(monthly))
    design_duty = float(peak["duty_l_s_ha"])
    design_flow = design_duty * area_ha
    window = daily.loc[peak["start"] : peak["end"]] if peak["start"] <= peak["end"] else (
        pd.concat([daily.loc[peak["start"] :], daily.loc[: peak["end"]]])
    )

    # source
    src = _source(spec, dem, catchment_area_km2, monthly, decades, design_duty=design_duty, dmonth=dmonth,
                  area_ha=area_ha, families=families, notes=notes)
    basin, factor, dependable = src.basin, src.factor, src.dependable_l_s
    if layer is not None and basin is not None:
        extra = basin[["geometry"]].assign(
            scheme_id=spec.scheme_id,
            feature="catchment",
            area_ha=float(basin["area_km2"].iloc[0]) * 100.0,
            length_m=0.0,
        )
        layer = pd.concat([layer, extra[layer.columns]], ignore_index=True)

    # the same scheme without the dry-season crop (supplementary wet-season irrigation)
    wet = _wet_only(spec, site, area_ha, families, dependable, factor)

    # canal
    design = _canal.design_canal(
        q_m3_s=max(design_flow, 1e-4) / 1000.0,
        n=spec.canal_n,
        bed_slope=spec.canal_bed_slope,
        side_slope=spec.canal_side_slope,
        soil=spec.soil,
    )

    summary = _summary(spec, lat=lat, lon=lon, elevation=elevation, elev_src=elev_src, area_ha=area_ha,
                       area_src=area_src, families=families, fam_src=fam_src, peak=peak, window=window,
                       monthly=monthly, decades=decades, dmonth=dmonth, ddecade=ddecade, mmonth=mmonth,
                       design_duty=design_duty, design_flow=design_flow, src=src,
                       design=design, wet=wet)
    sens = _sensitivity(spec, site, area_ha=area_ha)
    return SchemeResult(
        spec=spec,
        monthly=monthly,
        decades=decades,
        summary=summary,
        canal=design,
        parcels=reach,
        layer=layer,
        notes=tuple(notes),
        daily=daily,
        sensitivity=sens,
    )


def size_schemes(
    specs: Sequence[SchemeSpec],
    climate: pd.DataFrame,
    *,
    dem: RasterSource | None = None,
    parcels: gpd.GeoDataFrame | None = None,
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
        ``results`` (list of :class:`SchemeResult`), ``monthly``, ``decades`` and
        ``sensitivity`` (DataFrames with a leading ``scheme_id`` column), ``summary`` (one row per
        scheme), ``total`` (area, families, design flow), ``report`` (Markdown) and,
        with a DEM and parcels, ``layer`` (intake, command area, canal, catchment of
        every scheme) and ``command_parcels`` (GeoDataFrames), else None.
    """
    if not specs:
        raise RuleError("no scheme to size", hint="give at least one [[scheme]]")
    results = [size_scheme(s, climate, dem=dem, parcels=parcels) for s in specs]

    def stack(attr: str) -> pd.DataFrame:
        frames = [
            getattr(r, attr)
            .reset_index(drop=attr == "sensitivity")
            .assign(scheme_id=r.spec.scheme_id)
            for r in results
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
        "sensitivity": stack("sensitivity"),
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


def _design_window_means(res: SchemeResult) -> pd.Series:
    """Mean daily rates over the design window (or the design month without a daily table)."""
    s = res.summary
    if res.daily is None:
        return res.monthly.loc[s["design_month"]]
    d = res.daily
    start, end = s["design_window"].split("-")
    t0 = pd.Timestamp(f"{start} 2001")
    t1 = pd.Timestamp(f"{end} 2001")
    w = d.loc[t0:t1] if t0 <= t1 else pd.concat([d.loc[t0:], d.loc[:t1]])
    out = w.mean(numeric_only=True)
    out["eff_rain_mm"] = float(w["eff_rain_mm_day"].sum())
    out["days"] = len(w)
    return out


def _demand_lines(res: SchemeResult) -> list[str]:
    """The title and the demand section of the scheme report (the design period and why)."""
    s, spec = res.summary, res.spec
    dm = s["design_month"]
    row = _design_window_means(res)
    if (
        row["land_prep_mm_day"] > 0.5 * max(row["nir_mm_day"], 1e-9)
        and row["land_prep_mm_day"] > 0
    ):
        why = (
            "land preparation (saturating and puddling the fields and building the first water "
            "layer, "
            f"{spec.saturation_mm:g} mm in {spec.land_prep_days} days) falls in it while "
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
        f"- **Design period: {s['design_window']}** (the {s['design_window_days']} days of "
        f"highest gross requirement, in {_MONTHS[dm - 1]}), because {why}. Gross requirement "
        f"{s['design_gir_mm_day']:.1f} mm/day = **{s['design_duty_l_s_ha']:.2f} l/s/ha**, design "
        "flow "
        f"**{s['design_flow_l_s']:.1f} l/s**; the canal is sized on it. The largest monthly "
        f"mean ({_MONTHS[s['monthly_max_month'] - 1]}) is "
        f"{s['monthly_max_duty_l_s_ha']:.2f} l/s/ha and would miss the peak; the largest "
        f"calendar dekad (decade {s['design_decade']}) needs "
        f"{s['peak_decade_duty_l_s_ha']:.2f} l/s/ha.",
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
    ]
    return lines


def _source_lines(res: SchemeResult) -> list[str]:
    """The source section of the scheme report (catchment, dependable flow, wet-season-only case)."""
    s, spec = res.summary, res.spec
    lines: list[str] = []
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
    return lines


def _report(res: SchemeResult) -> str:
    lines = [*_demand_lines(res), "", "## Source", *_source_lines(res)]
    if res.sensitivity is not None and len(res.sensitivity):
        lines += [
            "",
            "## Sensitivity of the design",
            "",
            "| case | design duty (l/s/ha) | design flow (l/s) | change | peak window |",
            "|---|---:|---:|---:|---|",
        ]
        for r in res.sensitivity.itertuples(index=False):
            lines.append(
                f"| {r.case} | {r.design_duty_l_s_ha:.2f} | {r.design_flow_l_s:.1f} | "
                f"{r.change_pct:+.0f} % | {r.design_window} |"
            )
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
