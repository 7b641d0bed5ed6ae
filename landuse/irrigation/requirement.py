"""Irrigation water for small gravity paddy schemes: FAO-56 ET0, paddy water balance, duty, source.

The chain a design engineer follows before a weir and canal are built:

1. reference evapotranspiration ET0 from climate normals, FAO Penman-Monteith
   (:func:`et0_penman_monteith`, FAO-56 Eq. 6) or Hargreaves (:func:`et0_hargreaves`,
   Eq. 52); :func:`et0_monthly` does a whole table of monthly normals with the
   monthly soil heat flux of Eq. 43;
2. paddy rice water: the Kc curve of FAO-56 Tables 11/12 (:func:`kc_daily`) with the
   climate adjustment of Eq. 62 (:func:`kc_adjusted`), land preparation by Van de
   Goor and Zijlstra (:func:`land_preparation_mm_day`), seepage and percolation,
   effective rainfall (:func:`effective_rainfall_mm`);
3. the scheme balance day by day for a cropping calendar, summed by month or by
   10-day period like CROPWAT's scheme-supply table (:func:`scheme_water_balance`,
   :func:`aggregate_balance`), the continuous duty (:func:`duty_l_s_ha`) and the
   design period (:func:`design_period`);
4. the water source: dependable low flow from a specific discharge or a spot
   measurement (:func:`dependable_flow_l_s`), the area and families it can serve
   (:func:`servable_area_ha`, :func:`families_served`).

Canal sizing lives in :mod:`landuse.irrigation.canal`; scheme files, command areas and the
orchestration in :mod:`landuse.irrigation`. The FAO-56 building blocks (pressure,
vapour pressure, radiation, ...) live in :mod:`landuse.irrigation._fao56` and are re-exported
here. Functions take scalars, :class:`numpy.ndarray` or :class:`pandas.Series` and
return the same kind. Physically impossible inputs raise
:class:`~landuse.errors.IrrigationError`; nothing returns a silent NaN.

References
----------
.. [1] R. G. Allen, L. S. Pereira, D. Raes and M. Smith, "Crop evapotranspiration",
   FAO Irrigation and Drainage Paper 56, FAO, Rome, 1998.
.. [2] C. Brouwer and M. Heibloem, "Irrigation water needs", FAO Irrigation Water
   Management Training Manual 3, FAO, Rome, 1986, §4.4 (paddy rice).
.. [3] G. A. W. van de Goor and G. Zijlstra, "Irrigation requirements for double
   cropping of lowland rice in Malaya", ILRI Publication 14, Wageningen, 1968.
.. [4] M. Smith, "CROPWAT: a computer program for irrigation planning and
   management", FAO Irrigation and Drainage Paper 46, FAO, Rome, 1992.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landuse.irrigation._fao56 import (  # re-exported building blocks
    RS_RSO_BOUNDS,
    _a,
    _like,
    actual_vapour_pressure_kpa,
    atmospheric_pressure_kpa,
    clear_sky_radiation_mj_m2_day,
    daylight_hours_h,
    et0_hargreaves,
    et0_penman_monteith,
    et0_penman_monteith_hourly,
    extraterrestrial_radiation_mj_m2_day,
    inverse_relative_distance,
    mean_saturation_vapour_pressure_kpa,
    net_longwave_radiation_mj_m2_day,
    net_radiation_mj_m2_day,
    net_shortwave_radiation_mj_m2_day,
    psychrometric_constant_kpa_c,
    saturation_vapour_pressure_kpa,
    slope_vapour_pressure_curve_kpa_c,
    soil_heat_flux_monthly_mj_m2_day,
    solar_declination_rad,
    solar_radiation_angstrom_mj_m2_day,
    solar_radiation_hargreaves_mj_m2_day,
    sunset_hour_angle_rad,
    vapour_pressure_psychrometer_kpa,
    wind_speed_2m_m_s,
)
from landuse._validate import check_latitude as _check_lat
from landuse._validate import check_option
from landuse._validate import check_physical_range as _check_range
from landuse._validate import check_tmin_tmax as _check_temperatures
from landuse.errors import IrrigationError, LanduseWarning

__all__ = [
    "AREA_RATIO_RANGE",
    "DESIGN_RAIN_METHOD",
    "DESIGN_WINDOW_DAYS",
    "EFFECTIVE_RAIN_METHODS",
    "KC_RICE_FAO56",
    "MM_DAY_TO_L_S_HA",
    "RICE_STAGE_DAYS_FAO56",
    "RS_RSO_BOUNDS",
    "SEEPAGE_PERCOLATION_MM_DAY",
    "TERRACE_PERCOLATION_MM_DAY",
    "CropSeason",
    "actual_vapour_pressure_kpa",
    "aggregate_balance",
    "atmospheric_pressure_kpa",
    "check_calendar",
    "clear_sky_radiation_mj_m2_day",
    "daylight_hours_h",
    "dependable_flow_l_s",
    "dependable_rainfall_mm",
    "design_period",
    "design_requirement",
    "duty_l_s_ha",
    "effective_rainfall_mm",
    "et0_hargreaves",
    "et0_monthly",
    "et0_penman_monteith",
    "et0_penman_monteith_hourly",
    "extraterrestrial_radiation_mj_m2_day",
    "families_served",
    "inverse_relative_distance",
    "kc_adjusted",
    "kc_daily",
    "land_preparation_mm_day",
    "mean_saturation_vapour_pressure_kpa",
    "mid_month_doy",
    "net_longwave_radiation_mj_m2_day",
    "net_radiation_mj_m2_day",
    "net_shortwave_radiation_mj_m2_day",
    "psychrometric_constant_kpa_c",
    "rh_min_from_rh_mean_pct",
    "saturation_vapour_pressure_kpa",
    "scheme_water_balance",
    "servable_area_ha",
    "slope_vapour_pressure_curve_kpa_c",
    "soil_heat_flux_monthly_mj_m2_day",
    "solar_declination_rad",
    "solar_radiation_angstrom_mj_m2_day",
    "solar_radiation_hargreaves_mj_m2_day",
    "sunset_hour_angle_rad",
    "vapour_pressure_psychrometer_kpa",
    "wind_speed_2m_m_s",
]

#: 1 mm day⁻¹ over 1 ha as a continuous flow: 10 m³ / 86 400 s. [l s⁻¹ ha⁻¹ per mm day⁻¹]
MM_DAY_TO_L_S_HA = 10_000.0 / 86_400.0

#: Single crop coefficients of paddy rice, FAO-56 Table 12 (Kc end 0.90-0.60; the middle
#: 0.75 is used, as in the pyfao56 transcription). [-]
KC_RICE_FAO56: dict[str, float] = {"ini": 1.05, "mid": 1.20, "end": 0.75}
#: Maximum crop height of rice, FAO-56 Table 12. [m]
RICE_HEIGHT_M = 1.0
#: Lengths of the initial, development, mid-season and late stages of rice, FAO-56
#: Table 11 ("Tropics; Mediterranean", 150 days). [days]
RICE_STAGE_DAYS_FAO56: tuple[int, int, int, int] = (30, 30, 60, 30)

#: Typical seepage and percolation of puddled paddy by drainage class. [mm day⁻¹]
#: *Default, configurable*: ≈3 poorly drained, ≈6 well drained (RRDI Sri Lanka);
#: 1-5 heavy clay to 25-30 sandy loam (Bouman et al. 2007, IRRI).
SEEPAGE_PERCOLATION_MM_DAY: dict[str, float] = {
    "clay": 2.0,
    "clay loam": 3.0,
    "loam": 4.0,
    "sandy loam": 6.0,
    "sand": 10.0,
}

#: Seepage and percolation of montane paddy terraces, the design default of
#: :func:`scheme_water_balance` and of scheme files. [mm day⁻¹]
#: 6 mm/day is the *well-drained* value of the Rice Research and Development Institute,
#: Sri Lanka (seepage-loss guidance: ≈3 poorly drained, ≈6 well drained). That terraces
#: on slopes drain like well-drained paddy (bund seepage to the terrace below, no
#: groundwater mound) is a judgement, supported by the bund-seepage losses measured by
#: Wopereis et al. (1994), Agric. Water Manage. 26:277-289 (4 mm/day puddled without
#: seepage to 36 mm/day with bund seepage). 3 mm/day suits puddled, poorly drained
#: lowland paddy (``percolation_mm_day = 3``).
TERRACE_PERCOLATION_MM_DAY = 6.0

#: Effective-rainfall methods of :func:`effective_rainfall_mm`.
EFFECTIVE_RAIN_METHODS = ("usda-scs", "fao-dependable", "fao-tm3", "fixed")

#: Design default of the effective rain: FAO/AGLW dependable rain, the CROPWAT option
#: "dependable rain (FAO/AGLW formula)" for rain of 80 % probability of exceedance
#: (Smith 1992 [4]_). USDA-SCS on mean monthly rain (``"usda-scs"``) counts rain that
#: falls in only half the years and remains an option.
DESIGN_RAIN_METHOD = "fao-dependable"

#: Length of the running window over which the design (peak) gross requirement is
#: averaged: 10 days, the dekad of CROPWAT's scheme-supply table. [days]
DESIGN_WINDOW_DAYS = 10

#: Accepted range of the catchment-area ratio A_site / A_measured for transferring a
#: low flow (USGS SIR 2008-5126, "Estimating flow-duration and low-flow-frequency
#: statistics at ungaged stream sites": commonly 0.5-1.5; Ries and Friesz (2000), USGS
#: WRIR 00-4135, found 0.3-1.5 appropriate for low-flow statistics). [-]
AREA_RATIO_RANGE: tuple[float, float] = (0.3, 1.5)


def mid_month_doy(month: Any) -> Any:
    """Day of the year of the 15th of *month* in a non-leap year (FAO-56 Annex 2, Table 2.5).

    Parameters
    ----------
    month : numeric
        Month 1-12. [-]

    Returns
    -------
    numeric
        Day of the year. [-]

    Examples
    --------
    >>> mid_month_doy(1), mid_month_doy(7)
    (15.0, 196.0)
    """
    _check_range("month", month, 1, 12)
    m = np.atleast_1d(_a(month)).astype(int)
    cum = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
    return _like((cum[m - 1] + 15).reshape(np.shape(_a(month))), month)


# -- reference evapotranspiration ------------------------------------------------------------
_CLIMATE_COLUMNS = ("tmax_c", "tmin_c", "rh_mean_pct", "u2_m_s", "sunshine_h", "rain_mm")


def _check_climate(climate: pd.DataFrame) -> pd.DataFrame:
    """Validate a table of monthly normals (index or column ``month`` 1-12, all 12 months)."""
    if not isinstance(climate, pd.DataFrame):
        raise IrrigationError(
            f"expected a DataFrame of monthly climate, got {type(climate).__name__}",
            hint="read it with landuse.io.read_climate",
        )
    missing = [c for c in (*_CLIMATE_COLUMNS[:2], "u2_m_s", "rain_mm") if c not in climate.columns]
    if missing:
        raise IrrigationError(
            f"climate columns {missing} missing (found {list(climate.columns)})",
            source="climate",
            column=missing[0],
            hint="read it with landuse.io.read_climate",
        )
    df = climate.copy()
    if "month" in df.columns:
        df = df.set_index(pd.Index(df["month"].astype(int), name="month"))
    months = sorted(int(m) for m in df.index)
    if months != list(range(1, 13)):
        raise IrrigationError(
            f"the climate table must hold the 12 months once each, found {months}",
            source="climate",
            column="month",
            hint="give one row per month 1-12",
        )
    df = df.sort_index()
    for col, lo, hi in (
        ("rain_mm", 0.0, 5000.0),
        ("rh_mean_pct", 0.0, 100.0),
        ("sunshine_h", 0.0, 24.0),
    ):
        if col in df.columns:
            _check_range(col, df[col].astype(float), lo, hi)
    _check_temperatures(df["tmax_c"].astype(float), df["tmin_c"].astype(float))
    _check_range(
        "u2_m_s", df["u2_m_s"].astype(float), 0.0, 60.0, hint="wind speed cannot be negative"
    )
    return df


def et0_monthly(
    climate: pd.DataFrame,
    *,
    lat_deg: float,
    elevation_m: float,
    method: str = "penman-monteith",
    soil_heat_flux: bool = True,
) -> pd.DataFrame:
    """ET0 of each month from a table of monthly normals (FAO-56 Eqs. 6 and 43).

    Parameters
    ----------
    climate : pandas.DataFrame
        Monthly normals as read by :func:`landuse.io.read_climate`: ``tmax_c``,
        ``tmin_c``, ``u2_m_s``, ``rain_mm`` and, for Penman-Monteith, ``rh_mean_pct``
        (ea from Eq. 19) and ``sunshine_h`` (Rs from Eq. 35; from Eq. 50 if absent);
        12 rows indexed (or with a column ``month``) 1-12.
    lat_deg : float
        Latitude. [degrees]
    elevation_m : float
        Elevation. [m]
    method : {'penman-monteith', 'hargreaves'}
        ET0 equation.
    soil_heat_flux : bool, default True
        Use the monthly G of Eq. 43 with the previous and next month (the year wraps).

    Returns
    -------
    pandas.DataFrame
        Indexed by month: ``doy``, ``ra_mj_m2_day``, ``daylight_h``, ``g_mj_m2_day``,
        ``rh_min_pct`` (Eq. 63 estimate used by the Kc adjustment), ``et0_mm_day``.

    Examples
    --------
    >>> clim = pd.DataFrame({"month": range(1, 13), "tmax_c": 30.0, "tmin_c": 18.0,
    ...                      "rh_mean_pct": 75.0, "u2_m_s": 1.0, "sunshine_h": 6.0,
    ...                      "rain_mm": 50.0})
    >>> t = et0_monthly(clim, lat_deg=20.69, elevation_m=600.0)
    >>> bool(t["et0_mm_day"].between(2.5, 5.5).all())
    True
    """
    check_option(method, ("penman-monteith", "hargreaves"), name="method")
    df = _check_climate(climate)
    _check_lat(lat_deg)
    months = df.index.to_numpy()
    doy = _a(mid_month_doy(months))
    tmax, tmin = df["tmax_c"].to_numpy(float), df["tmin_c"].to_numpy(float)
    tmean = (tmax + tmin) / 2.0
    g = 0.07 * (np.roll(tmean, -1) - np.roll(tmean, 1)) if soil_heat_flux else np.zeros(12)
    rh_mean = df["rh_mean_pct"].to_numpy(float) if "rh_mean_pct" in df else None
    sun = df["sunshine_h"].to_numpy(float) if "sunshine_h" in df else None
    if method == "hargreaves":
        et0 = _a(et0_hargreaves(tmax_c=tmax, tmin_c=tmin, lat_deg=np.full(12, lat_deg), doy=doy))
    else:
        et0 = _a(
            et0_penman_monteith(
                tmax_c=tmax,
                tmin_c=tmin,
                lat_deg=np.full(12, lat_deg),
                elevation_m=np.full(12, elevation_m),
                doy=doy,
                u2_m_s=df["u2_m_s"].to_numpy(float),
                rh_mean_pct=rh_mean,
                sunshine_h=sun,
                g_mj_m2_day=g,
            )
        )
    rh_min = (
        _a(rh_min_from_rh_mean_pct(rh_mean_pct=rh_mean, tmax_c=tmax, tmin_c=tmin))
        if rh_mean is not None
        else np.full(12, 45.0)
    )
    return pd.DataFrame(
        {
            "doy": doy,
            "ra_mj_m2_day": _a(
                extraterrestrial_radiation_mj_m2_day(lat_deg=np.full(12, lat_deg), doy=doy)
            ),
            "daylight_h": _a(daylight_hours_h(lat_deg=np.full(12, lat_deg), doy=doy)),
            "g_mj_m2_day": g,
            "rh_min_pct": rh_min,
            "et0_mm_day": et0,
        },
        index=pd.Index(months, name="month"),
    )


# -- crop coefficients -----------------------------------------------------------------------
def rh_min_from_rh_mean_pct(*, rh_mean_pct: Any, tmax_c: Any, tmin_c: Any) -> Any:
    r"""Estimate the mean daily minimum relative humidity from RHmean (FAO-56 Eqs. 19 and 63).

    .. math:: RH_{min} = 100\, \frac{e_a}{e^\circ(T_{max})}, \quad e_a = \frac{RH_{mean}}{100} e_s

    Parameters
    ----------
    rh_mean_pct : numeric
        Mean relative humidity. [%]
    tmax_c, tmin_c : numeric
        Maximum and minimum air temperature. [°C]

    Returns
    -------
    numeric
        RHmin, limited to 0-100. [%]

    Examples
    --------
    >>> round(rh_min_from_rh_mean_pct(rh_mean_pct=68.0, tmax_c=25.0, tmin_c=18.0), 1)
    56.2
    """
    ea = _a(
        actual_vapour_pressure_kpa(
            tmax_c=_a(tmax_c), tmin_c=_a(tmin_c), rh_mean_pct=_a(rh_mean_pct)
        )
    )
    rh = np.clip(100.0 * ea / _a(saturation_vapour_pressure_kpa(_a(tmax_c))), 0.0, 100.0)
    return _like(rh, rh_mean_pct, tmax_c, tmin_c)


def kc_adjusted(kc_table: Any, *, u2_m_s: Any, rh_min_pct: Any, crop_height_m: Any) -> Any:
    r"""Adjust a tabulated Kc mid or Kc end to the local climate (FAO-56 Eqs. 62 and 65).

    .. math::

        K_c = K_{c(Tab)} + [0.04 (u_2 - 2) - 0.004 (RH_{min} - 45)] \left(\frac{h}{3}\right)^{0.3}

    Table values hold for RHmin 45 % and u2 2 m s⁻¹. The equation is valid for
    1 ≤ u2 ≤ 6 m s⁻¹, 20 ≤ RHmin ≤ 80 % and 0.1 ≤ h ≤ 10 m; inputs outside are
    clipped to these limits rather than extrapolated. Kc end values below 0.45 are
    not adjusted (Eq. 65).

    Parameters
    ----------
    kc_table : numeric
        Kc mid or Kc end from FAO-56 Table 12. [-]
    u2_m_s : numeric
        Mean wind speed at 2 m during the stage. [m s⁻¹]
    rh_min_pct : numeric
        Mean daily minimum relative humidity during the stage. [%]
    crop_height_m : numeric
        Mean plant height during the stage (rice: 1 m). [m]

    Returns
    -------
    numeric
        Adjusted Kc. [-]

    Examples
    --------
    >>> round(kc_adjusted(1.20, u2_m_s=1.5, rh_min_pct=65.0, crop_height_m=1.0), 4)
    1.1281
    """
    _check_range("kc_table", kc_table, 0.0, 2.0)
    _check_range("u2_m_s", u2_m_s, 0.0, 60.0, hint="wind speed cannot be negative")
    _check_range("rh_min_pct", rh_min_pct, 0.0, 100.0)
    _check_range("crop_height_m", crop_height_m, 0.0, 100.0)
    u2 = np.clip(_a(u2_m_s), 1.0, 6.0)
    rh = np.clip(_a(rh_min_pct), 20.0, 80.0)
    h = np.clip(_a(crop_height_m), 0.1, 10.0)
    kc = _a(kc_table)
    adj = kc + (0.04 * (u2 - 2.0) - 0.004 * (rh - 45.0)) * (h / 3.0) ** 0.3
    return _like(np.where(kc < 0.45, kc, adj), kc_table, u2_m_s, rh_min_pct, crop_height_m)


def kc_daily(
    days_after_planting: Any,
    *,
    stage_days: Sequence[int] = RICE_STAGE_DAYS_FAO56,
    kc_ini: float = KC_RICE_FAO56["ini"],
    kc_mid: float = KC_RICE_FAO56["mid"],
    kc_end: float = KC_RICE_FAO56["end"],
) -> Any:
    r"""Crop coefficient on a given day of the season (FAO-56 Eq. 66, Fig. 25).

    Constant *kc_ini* in the initial stage, linear to *kc_mid* in the development
    stage, constant in mid-season, linear to *kc_end* in the late stage:

    .. math:: K_{c,i} = K_{c,prev} + \frac{i - \sum L_{prev}}{L_{stage}} (K_{c,next} - K_{c,prev})

    Parameters
    ----------
    days_after_planting : numeric
        Day of the season, 0 on transplanting day. [days]
    stage_days : sequence of 4 int
        Lengths of the initial, development, mid-season and late stages (FAO-56
        Table 11; rice in the tropics 30/30/60/30). [days]
    kc_ini, kc_mid, kc_end : float
        Stage coefficients (FAO-56 Table 12; adjust mid and end with
        :func:`kc_adjusted`). [-]

    Returns
    -------
    numeric
        Kc; 0 outside the season. [-]

    Examples
    --------
    >>> kc_daily(np.array([0, 30, 45, 60, 100, 135, 150]))
    array([1.05 , 1.05 , 1.125, 1.2  , 1.2  , 0.975, 0.   ])
    """
    lini, ldev, lmid, llate = (float(x) for x in stage_days)
    t = _a(days_after_planting)
    e1, e2, e3, e4 = lini, lini + ldev, lini + ldev + lmid, lini + ldev + lmid + llate
    kc = np.select(
        [t < 0, t < e1, t < e2, t < e3, t < e4],
        [
            0.0,
            kc_ini,
            kc_ini + (t - e1) / max(ldev, 1e-9) * (kc_mid - kc_ini),
            kc_mid,
            kc_mid + (t - e3) / max(llate, 1e-9) * (kc_end - kc_mid),
        ],
        default=0.0,
    )
    return _like(kc, days_after_planting)


# -- paddy water ----------------------------------------------------------------------------
def land_preparation_mm_day(
    *, et0_mm_day: Any, percolation_mm_day: Any, days: Any, saturation_mm: Any = 250.0
) -> Any:
    r"""Water needed during land preparation of a paddy, Van de Goor and Zijlstra (1968).

    .. math::

        IR = \frac{M e^k}{e^k - 1}, \quad M = E_o + P, \quad E_o = 1.1 ET_0,
        \quad k = \frac{M T}{S}

    Parameters
    ----------
    et0_mm_day : numeric
        Reference evapotranspiration during land preparation. [mm day⁻¹]
    percolation_mm_day : numeric
        Seepage and percolation P of the saturated field. [mm day⁻¹]
    days : numeric
        Duration T of land preparation. [days]
    saturation_mm : numeric, default 250
        Water S to saturate the puddled layer and build the first water layer
        (≈200 mm saturation + 50 mm layer; more on heavy soils). [mm]

    Returns
    -------
    numeric
        Constant supply rate IR over the *days*. [mm day⁻¹]

    References
    ----------
    Van de Goor and Zijlstra (1968) [3]_; used in South-East Asian design standards
    (e.g. Indonesian KP-01).

    Examples
    --------
    >>> round(land_preparation_mm_day(et0_mm_day=5.0, percolation_mm_day=2.0, days=30), 3)
    12.638
    """
    _check_range("et0_mm_day", et0_mm_day, 0.0, 30.0)
    _check_range("percolation_mm_day", percolation_mm_day, 0.0, 500.0)
    _check_range("days", days, 1e-9, 365.0, hint="land preparation lasts at least one day")
    _check_range("saturation_mm", saturation_mm, 1e-9, 5000.0)
    m = 1.1 * _a(et0_mm_day) + _a(percolation_mm_day)
    s = _a(saturation_mm)
    t = _a(days)
    k = m * t / s
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ir = np.where(k > 1e-12, m / -np.expm1(-np.maximum(k, 1e-12)), s / t)
    return _like(ir, et0_mm_day, percolation_mm_day, days, saturation_mm)


def effective_rainfall_mm(
    p_mm: Any, *, method: str = DESIGN_RAIN_METHOD, fraction: float = 0.8, period: str = "month"
) -> Any:
    r"""Effective rainfall of a month (or a 10-day period) by a CROPWAT method.

    * ``"usda-scs"`` (CROPWAT; Smith 1992 [4]_): :math:`P_e = P(125 - 0.2P)/125` for
      P ≤ 250 mm, :math:`125 + 0.1P` above. For 10-day totals (``period="decade"``):
      :math:`P_e = P(125 - 0.6P)/125` for P ≤ 250/3, else :math:`125/3 + 0.1P`.
    * ``"fao-dependable"`` (FAO/AGLW, CROPWAT): :math:`P_e = 0.6P - 10` for P ≤ 70 mm,
      :math:`0.8P - 24` above, at least 0 (for decades the limits are divided by 3).
    * ``"fao-tm3"`` (Brouwer and Heibloem 1986 [2]_ §4.2): :math:`0.6P - 10` below
      75 mm, :math:`0.8P - 25` above, at least 0.
    * ``"fixed"``: :math:`P_e = a P` with *fraction* a (0.7-0.9 usual).

    Parameters
    ----------
    p_mm : numeric
        Rainfall of the period. [mm]
    method : str, default 'fao-dependable'
        One of :data:`EFFECTIVE_RAIN_METHODS`; the design default is dependable rain
        (:data:`DESIGN_RAIN_METHOD`).
    fraction : float, default 0.8
        *a* of the ``"fixed"`` method. [-]
    period : {'month', 'decade'}
        Length of the period *p_mm* covers.

    Returns
    -------
    numeric
        Effective rainfall. [mm]

    Raises
    ------
    IrrigationError
        Negative or NaN rainfall.

    Notes
    -----
    These are monthly planning formulas. In a paddy, rain above the bund storage runs
    off, so a daily bucket would give less in very wet months.

    Examples
    --------
    >>> [effective_rainfall_mm(100.0, method=m) for m in ("usda-scs", "fao-dependable", "fao-tm3")]
    [84.0, 56.0, 55.0]
    """
    check_option(method, EFFECTIVE_RAIN_METHODS, name="method")
    check_option(period, ("month", "decade"), name="period")
    _check_range("p_mm", p_mm, 0.0, None, hint="rainfall cannot be negative")
    p = _a(p_mm)
    div = 1.0 if period == "month" else 3.0
    if method == "usda-scs":
        c = 0.2 * div
        lim = 250.0 / div
        pe = np.where(p <= lim, p * (125.0 - c * p) / 125.0, 125.0 / div + 0.1 * p)
    elif method == "fao-dependable":
        pe = np.where(p <= 70.0 / div, 0.6 * p - 10.0 / div, 0.8 * p - 24.0 / div)
    elif method == "fao-tm3":
        pe = np.where(p < 75.0 / div, 0.6 * p - 10.0 / div, 0.8 * p - 25.0 / div)
    else:
        _check_range("fraction", fraction, 0.0, 1.0)
        pe = fraction * p
    return _like(np.maximum(pe, 0.0), p_mm)


def dependable_rainfall_mm(rain_mm: Any, *, probability: float = 0.8) -> pd.Series:
    r"""Monthly rainfall exceeded with a given probability, from a series of years.

    For each month the rainfall of the *n* years is ranked in decreasing order and
    the value of exceedance probability *p* is interpolated linearly between the
    Weibull plotting positions :math:`p_m = m/(n + 1)` (rank *m*, 1 = wettest; a
    standard empirical choice, values beyond the extreme positions take the extreme
    year). 80 % is the probability of FAO's dependable rain (Smith 1992 [4]_). Give the result to
    :func:`scheme_water_balance` as the ``rain_mm`` column and use
    ``rain_method="fixed"`` with ``fraction`` (or ``"usda-scs"``) to design on rain
    of that probability instead of the FAO/AGLW formula on mean rain.

    Parameters
    ----------
    rain_mm : pandas.DataFrame
        One row per year, columns the months 1-12 (or a subset); NaN years are left
        out of that month. [mm]
    probability : float, default 0.8
        Probability of exceedance (0.8 = rain reached or exceeded 4 years in 5). [-]

    Returns
    -------
    pandas.Series
        Dependable rainfall per month (index = the columns of *rain_mm*). [mm]

    Raises
    ------
    IrrigationError
        Negative rain, a probability outside (0, 1), or a month with fewer than 3 years.

    Examples
    --------
    >>> rain = pd.DataFrame({1: [10.0, 20.0, 30.0, 40.0]})  # p_m = 0.2, 0.4, 0.6, 0.8
    >>> float(dependable_rainfall_mm(rain).iloc[0])
    10.0
    >>> float(dependable_rainfall_mm(rain, probability=0.5).iloc[0])
    25.0
    """
    if not isinstance(rain_mm, pd.DataFrame):
        raise IrrigationError(
            f"expected a DataFrame of monthly rain by year, got {type(rain_mm).__name__}",
            column="rain_mm",
            hint="one row per year, one column per month",
        )
    _check_range("probability", probability, 1e-9, 1.0 - 1e-9)
    out = {}
    for col in rain_mm.columns:
        v = rain_mm[col].dropna().to_numpy(float)
        if len(v) < 3:
            raise IrrigationError(
                f"month {col} has {len(v)} years of rain; at least 3 are needed",
                column=str(col),
                hint="give a longer series or use the FAO/AGLW formula on mean rain",
            )
        _check_range(f"rain of month {col}", v, 0.0, None, hint="rainfall cannot be negative")
        desc = np.sort(v)[::-1]
        p = np.arange(1, len(desc) + 1) / (len(desc) + 1.0)
        out[col] = float(np.interp(probability, p, desc))
    return pd.Series(out, name="dependable_rain_mm", dtype=float)


# -- duty ------------------------------------------------------------------------------------
def duty_l_s_ha(gross_mm_day: Any, *, operating_hours: float = 24.0) -> Any:
    r"""Continuous irrigation duty from a gross requirement.

    .. math::

        q = \frac{GIR \cdot 10^4}{86\,400} \cdot \frac{24}{h} = \frac{GIR}{8.64} \cdot \frac{24}{h}

    1 mm day⁻¹ = 0.115741 l s⁻¹ ha⁻¹. With water delivered only *h* hours a day the
    canal must carry 24/*h* times the continuous flow.

    Parameters
    ----------
    gross_mm_day : numeric
        Gross irrigation requirement at the headworks. [mm day⁻¹]
    operating_hours : float, default 24
        Hours of flow per day. [h]

    Returns
    -------
    numeric
        Duty. [l s⁻¹ ha⁻¹]

    Examples
    --------
    >>> round(duty_l_s_ha(10.0), 4)
    1.1574
    >>> round(duty_l_s_ha(18.0, operating_hours=12), 4)
    4.1667
    """
    _check_range(
        "gross_mm_day", gross_mm_day, 0.0, None, hint="a water requirement cannot be negative"
    )
    _check_range(
        "operating_hours", operating_hours, 1e-9, 24.0, hint="operating hours are in (0, 24]"
    )
    return _like(_a(gross_mm_day) * MM_DAY_TO_L_S_HA * 24.0 / float(operating_hours), gross_mm_day)


# -- scheme water balance ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CropSeason:
    """One paddy crop of the cropping calendar.

    Parameters
    ----------
    name : str
        Label, e.g. ``"wet"`` or ``"dry"``.
    transplant_month, transplant_day : int
        Transplanting date (land preparation ends the day before).
    stage_days : tuple of 4 int, default (30, 30, 60, 30)
        FAO-56 Table 11 stage lengths. [days]
    kc_ini, kc_mid, kc_end : float, default 1.05, 1.20, 0.75
        FAO-56 Table 12; mid and end are adjusted to the climate (Eq. 62). [-]
    land_prep_days : int, default 30
        Duration of land preparation (Van de Goor and Zijlstra). [days]
    saturation_mm : float, default 250
        Water for saturation and the first water layer. [mm]
    area_fraction : float, default 1.0
        Share of the command area under this crop. [-]
    crop_height_m : float, default 1.0
        Maximum crop height for Eq. 62. [m]
    water_layer_mm : float, default 0.0
        Depth of each standing-water-layer replacement, spread evenly over
        *water_layer_days* days from each day in *water_layer_after_days* (days after
        transplanting). South-East Asian design practice (e.g. Indonesian KP-01)
        replaces 50 mm one and two months after transplanting over half a month
        (3.3 mm/day); FAO TM3 §4.4 counts the first layer (≈100 mm) with land
        preparation, which *saturation_mm* includes. 0 turns replacements off. [mm]
    water_layer_after_days : tuple of int, default (30, 60)
        Start of each replacement, in days after transplanting. [days]
    water_layer_days : int, default 15
        Duration of each replacement. [days]
    """

    name: str
    transplant_month: int
    transplant_day: int = 1
    stage_days: tuple[int, int, int, int] = RICE_STAGE_DAYS_FAO56
    kc_ini: float = KC_RICE_FAO56["ini"]
    kc_mid: float = KC_RICE_FAO56["mid"]
    kc_end: float = KC_RICE_FAO56["end"]
    land_prep_days: int = 30
    saturation_mm: float = 250.0
    area_fraction: float = 1.0
    crop_height_m: float = RICE_HEIGHT_M
    water_layer_mm: float = 0.0
    water_layer_after_days: tuple[int, ...] = (30, 60)
    water_layer_days: int = 15

    def __post_init__(self) -> None:
        try:
            _dt.date(2001, int(self.transplant_month), int(self.transplant_day))
        except (TypeError, ValueError) as exc:
            raise IrrigationError(
                f"transplanting date month {self.transplant_month}, day {self.transplant_day} is "
                "not a date",
                feature_id=self.name,
                column="transplant_month",
                hint="give a month 1-12 and a valid day",
            ) from exc
        if len(self.stage_days) != 4 or min(self.stage_days) < 1:
            raise IrrigationError(
                f"stage_days {self.stage_days} must be four lengths of at least 1 day",
                feature_id=self.name,
                column="stage_days",
            )
        if not 0 < self.area_fraction <= 1:
            raise IrrigationError(
                f"area_fraction {self.area_fraction} must be in (0, 1]",
                feature_id=self.name,
                column="area_fraction",
            )
        if self.land_prep_days < 1 or sum(self.stage_days) + self.land_prep_days > 365:
            raise IrrigationError(
                f"land preparation ({self.land_prep_days} days) plus the season "
                f"({sum(self.stage_days)} days) "
                "must be 1-365 days",
                feature_id=self.name,
                column="land_prep_days",
            )
        if not self.water_layer_mm >= 0 or self.water_layer_days < 1:
            raise IrrigationError(
                f"water_layer_mm {self.water_layer_mm} must be >= 0 and water_layer_days "
                f"{self.water_layer_days} >= 1",
                feature_id=self.name,
                column="water_layer_mm",
            )
        if self.saturation_mm <= 0:
            raise IrrigationError(
                f"saturation_mm {self.saturation_mm} must be positive",
                feature_id=self.name,
                column="saturation_mm",
            )

    @property
    def transplant_doy(self) -> int:
        """Day of the year of transplanting (non-leap year)."""
        return (
            _dt.date(2001, int(self.transplant_month), int(self.transplant_day))
            .timetuple()
            .tm_yday
        )


_DAYS = pd.date_range("2001-01-01", "2001-12-31", freq="D")


def check_calendar(crops: Sequence[CropSeason]) -> None:
    """Raise :class:`IrrigationError` if crops (with land preparation) overlap on the same land.

    Examples
    --------
    >>> check_calendar([CropSeason("wet", 7), CropSeason("dry", 1)])  # Jul-Nov and Jan-May: fine
    >>> check_calendar([CropSeason("a", 1), CropSeason("b", 3)])
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    landuse.errors.IrrigationError: ... seasons overlap on the same land ...
    """
    doy = np.arange(1, 366)
    frac = np.zeros(365)
    for crop in crops:
        t = (doy - crop.transplant_doy) % 365
        before = (crop.transplant_doy - doy) % 365
        active = (t < sum(crop.stage_days)) | ((before >= 1) & (before <= crop.land_prep_days))
        frac += np.where(active, crop.area_fraction, 0.0)
    if (frac > 1.0 + 1e-9).any():
        day = _DAYS[int(np.flatnonzero(frac > 1.0 + 1e-9)[0])]
        names = ", ".join(c.name for c in crops)
        raise IrrigationError(
            f"the crops ({names}) cover {frac.max():.0%} of the area on {day:%d %B}: seasons "
            "overlap on the "
            "same land",
            column="crops",
            hint="shift the transplanting dates or lower the area fractions",
        )


def _decade_of(dates: pd.DatetimeIndex) -> np.ndarray:
    return (dates.month.to_numpy() - 1) * 3 + np.minimum((dates.day.to_numpy() - 1) // 10, 2) + 1


def _climate_adjusted_kc(crop: CropSeason, t: np.ndarray, in_season: np.ndarray, u2: np.ndarray,
                         rhmin: np.ndarray) -> tuple[float, float]:
    """Kc mid and Kc end of *crop* adjusted to the mean wind and RHmin of its mid and late stages."""
    kc_mid, kc_end = crop.kc_mid, crop.kc_end
    e2 = crop.stage_days[0] + crop.stage_days[1]
    e3 = e2 + crop.stage_days[2]
    mid = in_season & (t >= e2) & (t < e3)
    late = in_season & (t >= e3)
    kc_mid = float(
        kc_adjusted(
            kc_mid,
            u2_m_s=u2[mid].mean(),
            rh_min_pct=rhmin[mid].mean(),
            crop_height_m=crop.crop_height_m,
        )
    )
    kc_end = float(
        kc_adjusted(
            kc_end,
            u2_m_s=u2[late].mean(),
            rh_min_pct=rhmin[late].mean(),
            crop_height_m=crop.crop_height_m,
        )
    )
    return kc_mid, kc_end


def scheme_water_balance(
    climate: pd.DataFrame,
    *,
    lat_deg: float,
    elevation_m: float,
    crops: Sequence[CropSeason],
    percolation_mm_day: float = TERRACE_PERCOLATION_MM_DAY,
    efficiency: float = 0.5,
    rain_method: str = DESIGN_RAIN_METHOD,
    adjust_kc: bool = True,
    et0_method: str = "penman-monteith",
) -> pd.DataFrame:
    r"""Daily paddy water balance of a scheme for a cropping calendar (365 days).

    For each crop and day (FAO TM3 §4.4 [2]_, CROPWAT rice mode [4]_):

    * during the *land_prep_days* before transplanting, the Van de Goor-Zijlstra rate
      (:func:`land_preparation_mm_day`), which already includes evaporation and
      percolation;
    * during the season, :math:`ET_c = K_c ET_0` (Eq. 58, Kc from :func:`kc_daily`
      with Kc mid and Kc end adjusted by Eq. 62 to the mean u2 and RHmin of their
      stages) plus seepage and percolation and, if the crop asks for it, the
      replacement of the standing water layer (*water_layer_mm* of
      :class:`CropSeason`);
    * minus the effective rain of the month (:func:`effective_rainfall_mm`) spread
      evenly over its days, never below zero:
      :math:`NIR = \max(0, ET_c + SP + WLR + LP - P_e)`.

    Crops are weighted by their *area_fraction*; the scheme NIR is per hectare of
    command area and :math:`GIR = NIR / E`. Monthly ET0 and rain are used as daily
    steps (no interpolation between months).

    Parameters
    ----------
    climate : pandas.DataFrame
        Monthly normals (see :func:`et0_monthly`).
    lat_deg, elevation_m : float
        Location of the scheme. [degrees], [m]
    crops : sequence of CropSeason
        The cropping calendar; at most 100 % of the area may be cropped on any day.
    percolation_mm_day : float, default 6.0
        Seepage and percolation of the puddled paddy; the default is that of montane
        terraces (:data:`TERRACE_PERCOLATION_MM_DAY`; 3 for poorly drained lowland paddy,
        see :data:`SEEPAGE_PERCOLATION_MM_DAY`). [mm day⁻¹]
    efficiency : float, default 0.5
        Overall efficiency E = conveyance × distribution × field (≈0.5 for small
        farmer-managed earth-canal schemes, on an NIR that includes percolation). [-]
    rain_method : str, default 'fao-dependable'
        Effective-rain method (:data:`DESIGN_RAIN_METHOD`; ``'usda-scs'`` on mean rain
        is the less cautious option).
    adjust_kc : bool, default True
        Apply the climate adjustment of Eq. 62.
    et0_method : str, default 'penman-monteith'
        Passed to :func:`et0_monthly`.

    Returns
    -------
    pandas.DataFrame
        One row per day (DatetimeIndex of the non-leap year 2001) with ``month``,
        ``decade`` (1-36), ``et0_mm_day``, ``rain_mm_day``, ``eff_rain_mm_day``,
        ``crop_area_fraction``, ``kc`` (area-weighted over cropped land),
        ``etc_mm_day``, ``percolation_mm_day``, ``water_layer_mm_day``,
        ``land_prep_mm_day``, ``nir_mm_day``,
        ``gir_mm_day`` (all per hectare of command area).

    Raises
    ------
    IrrigationError
        Impossible climate values, an efficiency outside (0, 1], or crops covering
        more than the whole area on the same day.

    Examples
    --------
    >>> clim = pd.DataFrame({"month": range(1, 13), "tmax_c": 30.0, "tmin_c": 18.0,
    ...                      "rh_mean_pct": 75.0, "u2_m_s": 1.0, "sunshine_h": 6.0,
    ...                      "rain_mm": 0.0})
    >>> daily = scheme_water_balance(clim, lat_deg=20.7, elevation_m=600.0,
    ...                              crops=[CropSeason("dry", transplant_month=1,
    ...                                                transplant_day=15)])
    >>> bool((daily["gir_mm_day"] >= 0).all()), len(daily)
    (True, 365)
    """
    _check_balance_args(crops, percolation_mm_day, efficiency, rain_method)
    et0_tab = et0_monthly(climate, lat_deg=lat_deg, elevation_m=elevation_m, method=et0_method)
    return _balance_on_et0(et0_tab, _check_climate(climate), crops=crops,
                           percolation_mm_day=percolation_mm_day, efficiency=efficiency,
                           rain_method=rain_method, adjust_kc=adjust_kc)


def _check_balance_args(crops: Sequence[CropSeason], percolation_mm_day: float, efficiency: float,
                        rain_method: str) -> None:
    """The checks of :func:`scheme_water_balance` on its options and calendar."""
    check_option(rain_method, EFFECTIVE_RAIN_METHODS, name="rain_method")
    _check_range("percolation_mm_day", percolation_mm_day, 0.0, 500.0)
    _check_range(
        "efficiency", efficiency, 1e-6, 1.0, hint="the overall efficiency is a fraction in (0, 1]"
    )
    if not crops:
        raise IrrigationError(
            "no crop in the cropping calendar",
            column="crops",
            hint="give at least one CropSeason (e.g. the wet-season crop)",
        )
    check_calendar(crops)


def _balance_on_et0(
    et0_tab: pd.DataFrame,
    clim: pd.DataFrame,
    *,
    crops: Sequence[CropSeason],
    percolation_mm_day: float,
    efficiency: float,
    rain_method: str,
    adjust_kc: bool,
) -> pd.DataFrame:
    """:func:`scheme_water_balance` on a site's monthly ET0 (:func:`et0_monthly`) and checked
    climate (``_check_climate``), so the cases of one site share them (same figures).

    The arguments must have passed :func:`_check_balance_args`.
    """
    month = _DAYS.month.to_numpy()
    ndays = _DAYS.days_in_month.to_numpy()
    doy = np.arange(1, 366)
    et0 = et0_tab["et0_mm_day"].to_numpy()[month - 1]
    rain_month = clim["rain_mm"].to_numpy(float)
    rain = rain_month[month - 1] / ndays
    pe = _a(effective_rainfall_mm(rain_month, method=rain_method))[month - 1] / ndays
    u2 = clim["u2_m_s"].to_numpy(float)[month - 1]
    rhmin = et0_tab["rh_min_pct"].to_numpy()[month - 1]

    frac = np.zeros(365)
    kc_w = np.zeros(365)
    etc = np.zeros(365)
    perc = np.zeros(365)
    wl = np.zeros(365)
    lp = np.zeros(365)
    nir = np.zeros(365)
    for crop in crops:
        t = (doy - crop.transplant_doy) % 365
        season_len = sum(crop.stage_days)
        in_season = t < season_len
        before = (crop.transplant_doy - doy) % 365
        in_prep = (before >= 1) & (before <= crop.land_prep_days)
        kc_mid, kc_end = crop.kc_mid, crop.kc_end
        if adjust_kc:
            kc_mid, kc_end = _climate_adjusted_kc(crop, t, in_season, u2, rhmin)
        kc = np.where(
            in_season,
            _a(
                kc_daily(
                    t, stage_days=crop.stage_days, kc_ini=crop.kc_ini, kc_mid=kc_mid, kc_end=kc_end
                )
            ),
            0.0,
        )
        c_etc = kc * et0
        c_perc = np.where(in_season, percolation_mm_day, 0.0)
        c_wl = np.zeros(365)
        if crop.water_layer_mm > 0:
            for start in crop.water_layer_after_days:
                on = in_season & (t >= start) & (t < start + crop.water_layer_days)
                c_wl += np.where(on, crop.water_layer_mm / crop.water_layer_days, 0.0)
        c_lp = np.where(
            in_prep,
            _a(
                land_preparation_mm_day(
                    et0_mm_day=et0,
                    percolation_mm_day=np.full(365, percolation_mm_day),
                    days=float(crop.land_prep_days),
                    saturation_mm=crop.saturation_mm,
                )
            ),
            0.0,
        )
        active = in_season | in_prep
        c_nir = np.where(active, np.maximum(c_etc + c_perc + c_wl + c_lp - pe, 0.0), 0.0)
        f = crop.area_fraction
        frac += np.where(active, f, 0.0)
        kc_w += f * kc
        etc += f * c_etc
        perc += f * c_perc
        wl += f * c_wl
        lp += f * c_lp
        nir += f * c_nir
    cropped = np.where(frac > 0, frac, 1.0)
    return pd.DataFrame(
        {
            "month": month,
            "decade": _decade_of(_DAYS),
            "et0_mm_day": et0,
            "rain_mm_day": rain,
            "eff_rain_mm_day": pe,
            "crop_area_fraction": frac,
            "kc": np.where(frac > 0, kc_w / cropped, 0.0),
            "etc_mm_day": etc,
            "percolation_mm_day": perc,
            "water_layer_mm_day": wl,
            "land_prep_mm_day": lp,
            "nir_mm_day": nir,
            "gir_mm_day": nir / efficiency,
        },
        index=pd.DatetimeIndex(_DAYS, name="date"),
    )


def aggregate_balance(
    daily: pd.DataFrame,
    *,
    period: str = "month",
    area_ha: float = 1.0,
    operating_hours: float = 24.0,
) -> pd.DataFrame:
    """Sum a daily balance by month or by 10-day period, like CROPWAT's scheme-supply table.

    Parameters
    ----------
    daily : pandas.DataFrame
        Output of :func:`scheme_water_balance`.
    period : {'month', 'decade'}
        Aggregation period (decades: days 1-10, 11-20 and 21-end of each month).
    area_ha : float, default 1.0
        Command area. [ha]
    operating_hours : float, default 24
        Hours of flow per day for the duty. [h]

    Returns
    -------
    pandas.DataFrame
        One row per period: ``month`` (and ``decade``), ``days``, period means of the
        daily rates [mm day⁻¹], ``rain_mm`` and ``eff_rain_mm`` (period totals),
        ``nir_mm`` and ``gir_mm`` (totals), ``duty_l_s_ha`` (from the mean GIR) and
        ``flow_l_s`` (duty × area).

    Examples
    --------
    >>> clim = pd.DataFrame({"month": range(1, 13), "tmax_c": 30.0, "tmin_c": 18.0,
    ...                      "rh_mean_pct": 75.0, "u2_m_s": 1.0, "sunshine_h": 6.0,
    ...                      "rain_mm": 0.0})
    >>> d = scheme_water_balance(clim, lat_deg=20.7, elevation_m=600.0,
    ...                          crops=[CropSeason("dry", 1)])
    >>> len(aggregate_balance(d)), len(aggregate_balance(d, period="decade"))
    (12, 36)
    """
    check_option(period, ("month", "decade"), name="period")
    _check_range("area_ha", area_ha, 0.0, None)
    key = "month" if period == "month" else "decade"
    g = daily.groupby(key)
    rates = [
        "et0_mm_day",
        "crop_area_fraction",
        "kc",
        "etc_mm_day",
        "percolation_mm_day",
        "water_layer_mm_day",
        "land_prep_mm_day",
        "eff_rain_mm_day",
        "nir_mm_day",
        "gir_mm_day",
    ]
    out = g[rates].mean()
    # Kc averaged over the cropped hectare-days only (0 when nothing is cropped)
    weighted = (daily["kc"] * daily["crop_area_fraction"]).groupby(daily[key]).sum()
    cropped = g["crop_area_fraction"].sum()
    out["kc"] = (weighted / cropped.where(cropped > 0)).fillna(0.0)
    out.insert(0, "days", g.size())
    if period == "decade":
        out.insert(0, "month", g["month"].first())
    out["rain_mm"] = g["rain_mm_day"].sum()
    out["eff_rain_mm"] = g["eff_rain_mm_day"].sum()
    out["nir_mm"] = g["nir_mm_day"].sum()
    out["gir_mm"] = g["gir_mm_day"].sum()
    out = out.drop(columns=["eff_rain_mm_day"])
    out["duty_l_s_ha"] = _a(
        duty_l_s_ha(out["gir_mm_day"].to_numpy(), operating_hours=operating_hours)
    )
    out["flow_l_s"] = out["duty_l_s_ha"] * float(area_ha)
    return out


def design_period(table: pd.DataFrame) -> Any:
    """Return the label (month or decade) with the largest gross requirement.

    For paddy this is usually the land-preparation period of the dry-season crop,
    or the peak ETc month without rain. Ties go to the earliest period.

    Examples
    --------
    >>> design_period(pd.DataFrame({"gir_mm_day": [1.0, 5.0, 5.0, 2.0]}, index=[1, 2, 3, 4]))
    2
    """
    label = table["gir_mm_day"].idxmax()
    return label.item() if hasattr(label, "item") else label


def design_requirement(
    daily: pd.DataFrame,
    *,
    window_days: int = DESIGN_WINDOW_DAYS,
    operating_hours: float = 24.0,
) -> dict[str, Any]:
    r"""Design (peak) gross requirement: the largest 10-day mean of the daily GIR.

    .. math::

        GIR_{design} = \max\Big(\max_d \frac{1}{w} \sum_{i=d}^{d+w-1} GIR_i,\;
                       \max_{k} \overline{GIR}_{dekad\ k}\Big), \qquad
        q_{design} = \frac{GIR_{design}}{8.64} \cdot \frac{24}{h}

    the larger of the peak running mean over every *w* consecutive days of the year
    (the year wraps round, so land preparation in late December and early January is
    one peak) and the peak calendar dekad (CROPWAT's 10-day periods: days 1-10, 11-20
    and 21-end, 8-11 days long). Unlike the largest *monthly* mean, which averages a
    land-preparation period straddling two months with the days around it
    (transplanting on the 15th instead of the 1st then lowers the duty by about a
    third), this keeps the peak of land preparation whenever it falls. It is never
    below the mean of any calendar dekad or month and never above the daily peak.
    Canals are sized on it.

    Parameters
    ----------
    daily : pandas.DataFrame
        Output of :func:`scheme_water_balance` (365 days, ``gir_mm_day``, a
        DatetimeIndex).
    window_days : int, default 10
        Running window *w* (:data:`DESIGN_WINDOW_DAYS`; 1 = the daily peak). [days]
    operating_hours : float, default 24
        Hours of flow per day. [h]

    Returns
    -------
    dict
        ``gir_mm_day`` (design GIR) [mm day⁻¹], ``duty_l_s_ha`` [l s⁻¹ ha⁻¹],
        ``start`` and ``end`` (first and last day of the peak window or dekad,
        Timestamps), ``month`` (month of its middle day) and ``window_days`` (its
        length). [days]

    Examples
    --------
    >>> d = pd.DataFrame({"gir_mm_day": np.r_[np.zeros(100), np.full(20, 25.92),
    ...                                      np.zeros(245)]},
    ...                  index=pd.date_range("2001-01-01", periods=365))
    >>> r = design_requirement(d)
    >>> round(r["gir_mm_day"], 2), round(r["duty_l_s_ha"], 2), r["start"].strftime("%d %b")
    (25.92, 3.0, '11 Apr')
    """
    _check_range("window_days", window_days, 1, 365, hint="a window of 1-365 days")
    g = daily["gir_mm_day"].to_numpy(float)
    n = len(g)
    w = int(window_days)
    if n == 0 or w > n:
        raise IrrigationError(
            f"a daily balance of {n} days cannot be averaged over {w} days",
            column="gir_mm_day",
            hint="pass the output of scheme_water_balance",
        )
    ext = np.concatenate([g, g[: w - 1]])
    csum = np.concatenate([[0.0], np.cumsum(ext)])
    run = (csum[w:] - csum[:-w])[:n] / w
    # ties go to the earliest window; tolerance against cumsum round-off
    start = int(np.flatnonzero(run >= run.max() - 1e-9 * max(1.0, abs(run.max())))[0])
    days = [(start + k) % n for k in range(w)]
    peak = float(g[days].mean())
    idx = daily.index
    if isinstance(idx, pd.DatetimeIndex):
        dek = _decade_of(idx)
        dek_mean = pd.Series(g).groupby(dek).mean()
        best = int(dek_mean.idxmax())
        if dek_mean[best] > peak + 1e-9:
            days = list(np.flatnonzero(dek == best))
            peak = float(dek_mean[best])
    mid = idx[days[(len(days) - 1) // 2]]
    return {
        "gir_mm_day": peak,
        "duty_l_s_ha": float(duty_l_s_ha(peak, operating_hours=operating_hours)),
        "start": idx[days[0]],
        "end": idx[days[-1]],
        "month": int(mid.month) if hasattr(mid, "month") else None,
        "window_days": len(days),
    }


# -- water source ----------------------------------------------------------------------------
def dependable_flow_l_s(
    *,
    catchment_area_km2: Any,
    low_flow_l_s_km2: Any = None,
    measured_flow_l_s: Any = None,
    measured_area_km2: Any = None,
    exponent: float = 1.0,
    ratio_range: tuple[float, float] = AREA_RATIO_RANGE,
) -> Any:
    r"""Dependable dry-season flow at an ungauged intake.

    From a spot measurement transferred by the area ratio (preferred; USGS practice):

    .. math:: Q = Q_{meas} \left(\frac{A}{A_{meas}}\right)^{b}, \quad b = 1

    or from a specific low-flow discharge: :math:`Q = q_{spec} A`.

    Parameters
    ----------
    catchment_area_km2 : numeric
        Catchment area above the intake. [km²]
    low_flow_l_s_km2 : numeric, optional
        Specific dry-season discharge; ≈2-3 l s⁻¹ km⁻² in northern Lao headwaters in
        March-April (*derived default, configurable — not confirmed by a primary
        text*). [l s⁻¹ km⁻²]
    measured_flow_l_s, measured_area_km2 : numeric, optional
        A dry-season flow measured at a point with that catchment area. [l s⁻¹], [km²]
    exponent : float, default 1.0
        Area-ratio exponent b. [-]
    ratio_range : (float, float), default (0.3, 1.5)
        Accepted range of :math:`A/A_{meas}` (:data:`AREA_RATIO_RANGE`); outside it
        the transfer is unreliable and a :class:`~landuse.errors.LanduseWarning` says
        so (measure nearer the intake). [-]

    Returns
    -------
    numeric
        Dependable flow. [l s⁻¹]

    Warns
    -----
    LanduseWarning
        The area ratio lies outside *ratio_range*.

    Examples
    --------
    >>> dependable_flow_l_s(catchment_area_km2=4.0, low_flow_l_s_km2=2.5)
    10.0
    >>> dependable_flow_l_s(catchment_area_km2=4.0, measured_flow_l_s=6.0, measured_area_km2=3.0)
    8.0
    """
    _check_range("catchment_area_km2", catchment_area_km2, 0.0, None)
    if measured_flow_l_s is not None or measured_area_km2 is not None:
        if measured_flow_l_s is None or measured_area_km2 is None:
            raise IrrigationError(
                "the area-ratio method needs both measured_flow_l_s and measured_area_km2",
                column="measured_area_km2" if measured_area_km2 is None else "measured_flow_l_s",
                hint="give both, or use low_flow_l_s_km2",
            )
        _check_range(
            "measured_flow_l_s", measured_flow_l_s, 0.0, None, hint="a flow cannot be negative"
        )
        _check_range("measured_area_km2", measured_area_km2, 1e-12, None)
        ratio = _a(catchment_area_km2) / _a(measured_area_km2)
        lo, hi = ratio_range
        outside = (ratio < lo) | (ratio > hi)
        if np.any(outside):
            import warnings

            bad = float(np.atleast_1d(ratio)[np.flatnonzero(np.atleast_1d(outside))[0]])
            warnings.warn(
                f"catchment-area ratio {bad:.2f} (intake / measuring point) is outside the "
                f"accepted {lo:g}-{hi:g} for transferring a low flow (USGS SIR 2008-5126; "
                "Ries and Friesz 2000): the transferred flow is unreliable; measure the flow "
                "nearer the intake",
                LanduseWarning,
                stacklevel=2,
            )
        q = _a(measured_flow_l_s) * ratio**exponent
        return _like(q, catchment_area_km2, measured_flow_l_s, measured_area_km2)
    if low_flow_l_s_km2 is None:
        raise IrrigationError(
            "no source flow given",
            column="low_flow_l_s_km2",
            hint="give low_flow_l_s_km2, or measured_flow_l_s with measured_area_km2",
        )
    _check_range(
        "low_flow_l_s_km2",
        low_flow_l_s_km2,
        0.0,
        None,
        hint="a specific discharge cannot be negative",
    )
    return _like(
        _a(low_flow_l_s_km2) * _a(catchment_area_km2), catchment_area_km2, low_flow_l_s_km2
    )


def servable_area_ha(
    *, source_flow_l_s: Any, duty_l_s_ha: Any, diversion_fraction: Any = 1.0
) -> Any:
    r"""Area a source can irrigate at a design duty.

    .. math:: A = \frac{f_{div}\, Q_{source}}{q_{design}}

    Parameters
    ----------
    source_flow_l_s : numeric
        Dependable flow at the intake. [l s⁻¹]
    duty_l_s_ha : numeric
        Design duty at the headworks. [l s⁻¹ ha⁻¹]
    diversion_fraction : numeric, default 1.0
        Share of the flow that may be diverted (the rest stays for downstream users). [-]

    Returns
    -------
    numeric
        Servable area. [ha]

    Examples
    --------
    >>> servable_area_ha(source_flow_l_s=30.0, duty_l_s_ha=1.5)
    20.0
    """
    _check_range("source_flow_l_s", source_flow_l_s, 0.0, None, hint="a flow cannot be negative")
    _check_range("duty_l_s_ha", duty_l_s_ha, 1e-12, None, hint="the design duty must be positive")
    _check_range("diversion_fraction", diversion_fraction, 0.0, 1.0)
    return _like(
        _a(diversion_fraction) * _a(source_flow_l_s) / _a(duty_l_s_ha),
        source_flow_l_s,
        duty_l_s_ha,
        diversion_fraction,
    )


def families_served(area_ha: Any, *, mean_holding_ha: Any) -> Any:
    """Number of whole families whose mean paddy holding fits in *area_ha*.

    Parameters
    ----------
    area_ha : numeric
        Servable area. [ha]
    mean_holding_ha : numeric
        Mean paddy holding per family. [ha]

    Returns
    -------
    numeric
        ``floor(area / holding)`` (int for scalars). [-]

    Examples
    --------
    >>> families_served(20.0, mean_holding_ha=21.52 / 32)
    29
    """
    _check_range("area_ha", area_ha, 0.0, None)
    _check_range(
        "mean_holding_ha", mean_holding_ha, 1e-12, None, hint="the mean holding must be positive"
    )
    n = np.floor(_a(area_ha) / _a(mean_holding_ha) + 1e-9)
    out = _like(n, area_ha, mean_holding_ha)
    return int(out) if isinstance(out, float) else out
