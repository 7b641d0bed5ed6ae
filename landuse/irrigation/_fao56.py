"""FAO-56 building blocks of the Penman-Monteith reference evapotranspiration (private).

Every building block implements one numbered equation of FAO Irrigation and
Drainage Paper 56 [1]_ (chapters 3 and 4) and takes scalars, :class:`numpy.ndarray`
or :class:`pandas.Series`, returning the same kind. The entry points
:func:`et0_penman_monteith` (Eq. 6), :func:`et0_penman_monteith_hourly` (Eq. 53) and
:func:`et0_hargreaves` (Eq. 52) validate their inputs and chain the blocks. Everything
public here is re-exported from, and documented as part of, :mod:`landuse.irrigation`.

Constants follow the paper: 273 K in Eq. 6, 273.16 K in Eq. 39, the
Stefan-Boltzmann constant 4.903e-9 MJ K⁻⁴ m⁻² day⁻¹, the solar constant
0.0820 MJ m⁻² min⁻¹, albedo 0.23, and 1 MJ m⁻² day⁻¹ = 0.408 mm day⁻¹.

References
----------
.. [1] R. G. Allen, L. S. Pereira, D. Raes and M. Smith, "Crop evapotranspiration:
   guidelines for computing crop water requirements", FAO Irrigation and Drainage
   Paper 56, FAO, Rome, 1998. http://www.fao.org/3/x0490e/x0490e00.htm
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse._validate import check_day_of_year as _check_doy
from landuse._validate import check_latitude as _check_lat
from landuse._validate import check_option
from landuse._validate import check_physical_range as _check_range
from landuse._validate import check_tmin_tmax as _check_temperatures
from landuse._validate.numeric import as_float_array as _a
from landuse._validate.numeric import like_inputs as _like
from landuse.errors import IrrigationError

__all__ = [
    "RS_RSO_BOUNDS",
    "ALBEDO_GRASS",
    "GSC_MJ_M2_MIN",
    "MJ_TO_MM",
    "SIGMA_MJ_K4_M2_DAY",
    "actual_vapour_pressure_kpa",
    "atmospheric_pressure_kpa",
    "clear_sky_radiation_mj_m2_day",
    "daylight_hours_h",
    "et0_hargreaves",
    "et0_penman_monteith",
    "et0_penman_monteith_hourly",
    "extraterrestrial_radiation_mj_m2_day",
    "inverse_relative_distance",
    "mean_saturation_vapour_pressure_kpa",
    "net_longwave_radiation_mj_m2_day",
    "net_radiation_mj_m2_day",
    "net_shortwave_radiation_mj_m2_day",
    "psychrometric_constant_kpa_c",
    "saturation_vapour_pressure_kpa",
    "slope_vapour_pressure_curve_kpa_c",
    "soil_heat_flux_monthly_mj_m2_day",
    "solar_declination_rad",
    "solar_radiation_angstrom_mj_m2_day",
    "solar_radiation_hargreaves_mj_m2_day",
    "sunset_hour_angle_rad",
    "vapour_pressure_psychrometer_kpa",
    "wind_speed_2m_m_s",
]

#: Solar constant. [MJ m⁻² min⁻¹] (FAO-56 Eq. 21)
GSC_MJ_M2_MIN = 0.0820
#: Stefan-Boltzmann constant per day. [MJ K⁻⁴ m⁻² day⁻¹] (FAO-56 Eq. 39)
SIGMA_MJ_K4_M2_DAY = 4.903e-9
#: Albedo of the hypothetical grass reference crop. [-] (FAO-56 Eq. 38)
ALBEDO_GRASS = 0.23
#: Energy flux as an equivalent evaporation, 1/λ (FAO-56 Eq. 20).
#: [mm day⁻¹ per MJ m⁻² day⁻¹]
MJ_TO_MM = 0.408

#: Bounds of the cloudiness ratio Rs/Rso in the net long-wave radiation, by reading:
#: ``"asce"`` 0.3-1.0 (ASCE-EWRI 2005, Eqs. 18 and 45: "limited to 0.3 < Rs/Rso <= 1.0"),
#: ``"fao56"`` only the upper bound of FAO-56 Eq. 39 ("Rs/Rso <= 1.0").
RS_RSO_BOUNDS: dict[str, tuple[float, float]] = {"asce": (0.3, 1.0), "fao56": (0.0, 1.0)}


# -- atmosphere ---------------------------------------------------------------------------
def atmospheric_pressure_kpa(elevation_m: Any) -> Any:
    r"""Atmospheric pressure from elevation (FAO-56 Eq. 7).

    .. math:: P = 101.3 \left(\frac{293 - 0.0065 z}{293}\right)^{5.26}

    Parameters
    ----------
    elevation_m : numeric
        Elevation above sea level. [m]

    Returns
    -------
    numeric
        Atmospheric pressure. [kPa]

    Examples
    --------
    >>> round(atmospheric_pressure_kpa(1800.0), 1)  # FAO-56 Example 2
    81.8
    """
    z = _a(elevation_m)
    return _like(101.3 * ((293.0 - 0.0065 * z) / 293.0) ** 5.26, elevation_m)


def psychrometric_constant_kpa_c(pressure_kpa: Any) -> Any:
    r"""Psychrometric constant (FAO-56 Eq. 8).

    .. math:: \gamma = \frac{c_p P}{\varepsilon \lambda} = 0.665 \times 10^{-3} P

    Parameters
    ----------
    pressure_kpa : numeric
        Atmospheric pressure. [kPa]

    Returns
    -------
    numeric
        Psychrometric constant γ. [kPa °C⁻¹]

    Examples
    --------
    >>> round(psychrometric_constant_kpa_c(81.8), 3)  # FAO-56 Example 2
    0.054
    """
    return _like(0.665e-3 * _a(pressure_kpa), pressure_kpa)


# -- humidity -----------------------------------------------------------------------------
def saturation_vapour_pressure_kpa(t_c: Any) -> Any:
    r"""Saturation vapour pressure at air temperature *T* (FAO-56 Eq. 11).

    .. math:: e^\circ(T) = 0.6108 \exp\left(\frac{17.27 T}{T + 237.3}\right)

    Parameters
    ----------
    t_c : numeric
        Air temperature. [°C]

    Returns
    -------
    numeric
        Saturation vapour pressure. [kPa]

    Examples
    --------
    >>> round(saturation_vapour_pressure_kpa(24.5), 3)  # FAO-56 Example 3
    3.075
    """
    t = _a(t_c)
    return _like(0.6108 * np.exp(17.27 * t / (t + 237.3)), t_c)


def mean_saturation_vapour_pressure_kpa(tmax_c: Any, tmin_c: Any) -> Any:
    r"""Mean saturation vapour pressure of a day or month (FAO-56 Eq. 12).

    .. math:: e_s = \frac{e^\circ(T_{max}) + e^\circ(T_{min})}{2}

    Using :math:`e^\circ(T_{mean})` instead underestimates *es* (Example 3: 2.30 instead
    of 2.39 kPa) and is not done here.

    Parameters
    ----------
    tmax_c, tmin_c : numeric
        Daily (or mean daily, for a month) maximum and minimum air temperature. [°C]

    Returns
    -------
    numeric
        Mean saturation vapour pressure es. [kPa]

    Examples
    --------
    >>> round(mean_saturation_vapour_pressure_kpa(24.5, 15.0), 2)  # FAO-56 Example 3
    2.39
    """
    es = (
        _a(saturation_vapour_pressure_kpa(_a(tmax_c)))
        + _a(saturation_vapour_pressure_kpa(_a(tmin_c)))
    ) / 2.0
    return _like(es, tmax_c, tmin_c)


def slope_vapour_pressure_curve_kpa_c(t_c: Any) -> Any:
    r"""Slope of the saturation vapour pressure curve (FAO-56 Eq. 13).

    .. math:: \Delta = \frac{4098\, e^\circ(T)}{(T + 237.3)^2}

    Parameters
    ----------
    t_c : numeric
        Air temperature; FAO-56 uses the mean of Tmax and Tmin. [°C]

    Returns
    -------
    numeric
        Δ. [kPa °C⁻¹]

    Examples
    --------
    >>> round(slope_vapour_pressure_curve_kpa_c(25.0), 3)  # FAO-56 Annex 2, Table 2.4
    0.189
    """
    t = _a(t_c)
    return _like(4098.0 * _a(saturation_vapour_pressure_kpa(t)) / (t + 237.3) ** 2, t_c)


def vapour_pressure_psychrometer_kpa(
    *, t_dry_c: Any, t_wet_c: Any, pressure_kpa: Any, a_psy: float = 0.000662
) -> Any:
    r"""Actual vapour pressure from psychrometer readings (FAO-56 Eqs. 15 and 16).

    .. math::

        e_a = e^\circ(T_{wet}) - \gamma_{psy} (T_{dry} - T_{wet}), \quad \gamma_{psy} = a_{psy} P

    Parameters
    ----------
    t_dry_c, t_wet_c : numeric
        Dry- and wet-bulb temperature. [°C]
    pressure_kpa : numeric
        Atmospheric pressure. [kPa]
    a_psy : float, default 0.000662
        Psychrometer coefficient: 0.000662 ventilated (Asmann, ~5 m s⁻¹), 0.000800
        naturally ventilated (~1 m s⁻¹), 0.001200 non-ventilated indoors. [°C⁻¹]

    Returns
    -------
    numeric
        Actual vapour pressure ea. [kPa]

    Examples
    --------
    >>> p = atmospheric_pressure_kpa(1200.0)  # FAO-56 Example 4
    >>> round(vapour_pressure_psychrometer_kpa(t_dry_c=25.6, t_wet_c=19.5, pressure_kpa=p), 2)
    1.91
    """
    ea = _a(saturation_vapour_pressure_kpa(_a(t_wet_c))) - a_psy * _a(pressure_kpa) * (
        _a(t_dry_c) - _a(t_wet_c)
    )
    return _like(ea, t_dry_c, t_wet_c, pressure_kpa)


def actual_vapour_pressure_kpa(
    *,
    tmax_c: Any,
    tmin_c: Any,
    tdew_c: Any = None,
    rh_max_pct: Any = None,
    rh_min_pct: Any = None,
    rh_mean_pct: Any = None,
) -> Any:
    r"""Actual vapour pressure from the best humidity data available (FAO-56 Eqs. 14, 17-19, 48).

    In FAO-56's order of preference:

    1. dew point: :math:`e_a = e^\circ(T_{dew})` (Eq. 14);
    2. RHmax and RHmin:
       :math:`e_a = [e^\circ(T_{min}) RH_{max} + e^\circ(T_{max}) RH_{min}]/200` (Eq. 17);
    3. RHmax only: :math:`e_a = e^\circ(T_{min}) RH_{max}/100` (Eq. 18);
    4. RHmean only: :math:`e_a = RH_{mean}/100 \cdot e_s` (Eq. 19; less reliable);
    5. none: :math:`T_{dew} \approx T_{min}`, :math:`e_a = e^\circ(T_{min})`
       (ch. 3, "missing humidity data").

    Parameters
    ----------
    tmax_c, tmin_c : numeric
        Maximum and minimum air temperature. [°C]
    tdew_c : numeric, optional
        Dew-point temperature. [°C]
    rh_max_pct, rh_min_pct, rh_mean_pct : numeric, optional
        Maximum, minimum and mean relative humidity. [%]

    Returns
    -------
    numeric
        Actual vapour pressure ea. [kPa]

    Examples
    --------
    >>> round(actual_vapour_pressure_kpa(tmax_c=25.0, tmin_c=18.0, rh_max_pct=82.0,
    ...                                  rh_min_pct=54.0), 2)
    1.7
    >>> round(actual_vapour_pressure_kpa(tmax_c=25.0, tmin_c=18.0, rh_mean_pct=68.0), 2)  # Ex. 5
    1.78
    """
    e_tmin = _a(saturation_vapour_pressure_kpa(_a(tmin_c)))
    e_tmax = _a(saturation_vapour_pressure_kpa(_a(tmax_c)))
    inputs = (tmax_c, tmin_c, tdew_c, rh_max_pct, rh_min_pct, rh_mean_pct)
    if tdew_c is not None:
        ea = _a(saturation_vapour_pressure_kpa(_a(tdew_c)))
    elif rh_max_pct is not None and rh_min_pct is not None:
        ea = (e_tmin * _a(rh_max_pct) + e_tmax * _a(rh_min_pct)) / 200.0
    elif rh_max_pct is not None:
        ea = e_tmin * _a(rh_max_pct) / 100.0
    elif rh_mean_pct is not None:
        ea = _a(rh_mean_pct) / 100.0 * (e_tmin + e_tmax) / 2.0
    else:
        ea = e_tmin
    return _like(ea, *inputs)


# -- radiation ----------------------------------------------------------------------------
def inverse_relative_distance(doy: Any) -> Any:
    r"""Inverse relative distance Earth-Sun (FAO-56 Eq. 23).

    .. math:: d_r = 1 + 0.033 \cos\left(\frac{2\pi}{365} J\right)

    Parameters
    ----------
    doy : numeric
        Day of the year J, 1 (1 January) to 365 or 366. [-]

    Returns
    -------
    numeric
        dr. [-]

    Examples
    --------
    >>> round(inverse_relative_distance(246), 3)  # FAO-56 Example 8
    0.985
    """
    return _like(1.0 + 0.033 * np.cos(2.0 * np.pi / 365.0 * _a(doy)), doy)


def solar_declination_rad(doy: Any) -> Any:
    r"""Solar declination (FAO-56 Eq. 24).

    .. math:: \delta = 0.409 \sin\left(\frac{2\pi}{365} J - 1.39\right)

    Parameters
    ----------
    doy : numeric
        Day of the year J. [-]

    Returns
    -------
    numeric
        δ. [rad]

    Examples
    --------
    >>> round(solar_declination_rad(246), 3)  # FAO-56 Example 8
    0.12
    """
    return _like(0.409 * np.sin(2.0 * np.pi / 365.0 * _a(doy) - 1.39), doy)


def sunset_hour_angle_rad(lat_rad: Any, decl_rad: Any) -> Any:
    r"""Sunset hour angle (FAO-56 Eq. 25).

    .. math:: \omega_s = \arccos(-\tan\varphi \tan\delta)

    The argument is clipped to [-1, 1] so that polar day (ωs = π) and polar night
    (ωs = 0) are returned instead of NaN.

    Parameters
    ----------
    lat_rad : numeric
        Latitude φ, positive north (FAO-56 Eq. 22 converts degrees). [rad]
    decl_rad : numeric
        Solar declination δ. [rad]

    Returns
    -------
    numeric
        ωs. [rad]

    Examples
    --------
    >>> round(sunset_hour_angle_rad(-0.35, 0.120), 3)  # FAO-56 Example 8 (20° S)
    1.527
    """
    x = np.clip(-np.tan(_a(lat_rad)) * np.tan(_a(decl_rad)), -1.0, 1.0)
    return _like(np.arccos(x), lat_rad, decl_rad)


def extraterrestrial_radiation_mj_m2_day(*, lat_deg: Any, doy: Any) -> Any:
    r"""Daily extraterrestrial radiation (FAO-56 Eqs. 21-25).

    .. math::

        R_a = \frac{24 \cdot 60}{\pi} G_{sc} d_r
              [\omega_s \sin\varphi \sin\delta + \cos\varphi \cos\delta \sin\omega_s]

    For monthly values FAO-56 uses the day of the year of the 15th of the month
    (Annex 2, Table 2.5); :func:`landuse.irrigation.mid_month_doy` gives it.

    Parameters
    ----------
    lat_deg : numeric
        Latitude, positive north. [degrees]
    doy : numeric
        Day of the year. [-]

    Returns
    -------
    numeric
        Ra. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> round(extraterrestrial_radiation_mj_m2_day(lat_deg=-20.0, doy=246), 1)  # FAO-56 Ex. 8
    32.2
    """
    phi = np.deg2rad(_a(lat_deg))
    dr = _a(inverse_relative_distance(_a(doy)))
    delta = _a(solar_declination_rad(_a(doy)))
    ws = _a(sunset_hour_angle_rad(phi, delta))
    ra = (
        24.0
        * 60.0
        / np.pi
        * GSC_MJ_M2_MIN
        * dr
        * (ws * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(ws))
    )
    return _like(np.maximum(ra, 0.0), lat_deg, doy)


def daylight_hours_h(*, lat_deg: Any, doy: Any) -> Any:
    r"""Maximum possible duration of sunshine, the day length N (FAO-56 Eq. 34).

    .. math:: N = \frac{24}{\pi} \omega_s

    Parameters
    ----------
    lat_deg : numeric
        Latitude, positive north. [degrees]
    doy : numeric
        Day of the year. [-]

    Returns
    -------
    numeric
        N. [h]

    Examples
    --------
    >>> round(daylight_hours_h(lat_deg=-20.0, doy=246), 1)  # FAO-56 Example 9
    11.7
    """
    ws = _a(sunset_hour_angle_rad(np.deg2rad(_a(lat_deg)), _a(solar_declination_rad(_a(doy)))))
    return _like(24.0 / np.pi * ws, lat_deg, doy)


def solar_radiation_angstrom_mj_m2_day(
    *, sunshine_h: Any, daylight_h: Any, ra_mj_m2_day: Any, a_s: float = 0.25, b_s: float = 0.50
) -> Any:
    r"""Solar radiation from sunshine hours, Angström's formula (FAO-56 Eq. 35).

    .. math:: R_s = \left(a_s + b_s \frac{n}{N}\right) R_a

    Parameters
    ----------
    sunshine_h : numeric
        Actual duration of sunshine n. [h]
    daylight_h : numeric
        Maximum possible duration of sunshine N (Eq. 34). [h]
    ra_mj_m2_day : numeric
        Extraterrestrial radiation. [MJ m⁻² day⁻¹]
    a_s, b_s : float, default 0.25, 0.50
        Angström coefficients recommended by FAO-56 without local calibration. [-]

    Returns
    -------
    numeric
        Rs. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> rs = solar_radiation_angstrom_mj_m2_day(sunshine_h=7.1, daylight_h=10.9, ra_mj_m2_day=25.1)
    >>> round(rs, 1)
    14.5
    """
    n_over_n = np.divide(
        _a(sunshine_h),
        _a(daylight_h),
        out=np.zeros(np.broadcast(_a(sunshine_h), _a(daylight_h)).shape),
        where=_a(daylight_h) > 0,
    )
    return _like((a_s + b_s * n_over_n) * _a(ra_mj_m2_day), sunshine_h, daylight_h, ra_mj_m2_day)


def solar_radiation_hargreaves_mj_m2_day(
    *, tmax_c: Any, tmin_c: Any, ra_mj_m2_day: Any, k_rs: float = 0.16
) -> Any:
    r"""Solar radiation from the temperature range, Hargreaves' formula (FAO-56 Eq. 50).

    .. math:: R_s = k_{Rs} \sqrt{T_{max} - T_{min}}\, R_a

    Parameters
    ----------
    tmax_c, tmin_c : numeric
        Maximum and minimum air temperature. [°C]
    ra_mj_m2_day : numeric
        Extraterrestrial radiation. [MJ m⁻² day⁻¹]
    k_rs : float, default 0.16
        Adjustment coefficient: 0.16 for interior locations, 0.19 for coastal ones. [°C⁻⁰·⁵]

    Returns
    -------
    numeric
        Rs. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> round(solar_radiation_hargreaves_mj_m2_day(tmax_c=26.6, tmin_c=14.8, ra_mj_m2_day=40.6), 1)
    22.3
    """
    dt = np.maximum(_a(tmax_c) - _a(tmin_c), 0.0)
    return _like(k_rs * np.sqrt(dt) * _a(ra_mj_m2_day), tmax_c, tmin_c, ra_mj_m2_day)


def clear_sky_radiation_mj_m2_day(*, ra_mj_m2_day: Any, elevation_m: Any) -> Any:
    r"""Clear-sky solar radiation (FAO-56 Eq. 37).

    .. math:: R_{so} = (0.75 + 2 \times 10^{-5} z) R_a

    Parameters
    ----------
    ra_mj_m2_day : numeric
        Extraterrestrial radiation. [MJ m⁻² day⁻¹]
    elevation_m : numeric
        Station elevation. [m]

    Returns
    -------
    numeric
        Rso. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> round(clear_sky_radiation_mj_m2_day(ra_mj_m2_day=41.09, elevation_m=100.0), 1)  # Ex. 18
    30.9
    """
    return _like((0.75 + 2e-5 * _a(elevation_m)) * _a(ra_mj_m2_day), ra_mj_m2_day, elevation_m)


def net_shortwave_radiation_mj_m2_day(rs_mj_m2_day: Any, *, albedo: float = ALBEDO_GRASS) -> Any:
    r"""Net solar (shortwave) radiation (FAO-56 Eq. 38).

    .. math:: R_{ns} = (1 - \alpha) R_s

    Parameters
    ----------
    rs_mj_m2_day : numeric
        Incoming solar radiation. [MJ m⁻² day⁻¹]
    albedo : float, default 0.23
        Albedo α of the grass reference crop. [-]

    Returns
    -------
    numeric
        Rns. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> round(net_shortwave_radiation_mj_m2_day(22.07), 2)  # FAO-56 Example 18
    16.99
    """
    return _like((1.0 - albedo) * _a(rs_mj_m2_day), rs_mj_m2_day)


def net_longwave_radiation_mj_m2_day(
    *,
    tmax_c: Any,
    tmin_c: Any,
    ea_kpa: Any,
    rs_mj_m2_day: Any,
    rso_mj_m2_day: Any,
    rs_rso_bound: str = "asce",
) -> Any:
    r"""Net outgoing longwave radiation (FAO-56 Eq. 39; ASCE-EWRI 2005 Eq. 17).

    .. math::

        R_{nl} = \sigma \frac{T_{max,K}^4 + T_{min,K}^4}{2} (0.34 - 0.14\sqrt{e_a})
                 \left(1.35 \frac{R_s}{R_{so}} - 0.35\right)

    with :math:`T_K = T + 273.16` as in the paper. The cloudiness ratio Rs/Rso is
    bounded to 0.3-1.0 as ASCE-EWRI (2005) and its reference implementations do
    (``rs_rso_bound="asce"``, the default); FAO-56 states only the upper bound
    (``"fao56"``), under which a ratio below 0.26 makes the cloudiness factor
    :math:`1.35 R_s/R_{so} - 0.35` negative and net long-wave a *gain* on dark,
    overcast days. Where Rso is 0 the ratio is taken as 1.0.

    Parameters
    ----------
    tmax_c, tmin_c : numeric
        Maximum and minimum air temperature. [°C]
    ea_kpa : numeric
        Actual vapour pressure. [kPa]
    rs_mj_m2_day, rso_mj_m2_day : numeric
        Measured or calculated solar radiation and clear-sky radiation. [MJ m⁻² day⁻¹]
    rs_rso_bound : {'asce', 'fao56'}, default 'asce'
        Bounds of Rs/Rso (:data:`RS_RSO_BOUNDS`).

    Returns
    -------
    numeric
        Rnl; never negative with the ASCE bound. [MJ m⁻² day⁻¹]

    References
    ----------
    Allen et al. (1998), FAO-56, Eq. 39; ASCE-EWRI (2005) *The ASCE standardized
    reference evapotranspiration equation*, Eqs. 17-18.

    Examples
    --------
    >>> round(net_longwave_radiation_mj_m2_day(tmax_c=25.1, tmin_c=19.1, ea_kpa=2.1,
    ...                                        rs_mj_m2_day=14.5, rso_mj_m2_day=18.8), 1)  # Ex. 11
    3.5
    >>> kw = dict(tmax_c=22.0, tmin_c=19.0, ea_kpa=2.2, rs_mj_m2_day=3.0, rso_mj_m2_day=20.0)
    >>> net_longwave_radiation_mj_m2_day(**kw, rs_rso_bound="fao56") < 0  # a long-wave gain
    True
    >>> round(net_longwave_radiation_mj_m2_day(**kw), 3)  # Rs/Rso 0.15 bounded to 0.3
    0.265
    """
    lo, hi = _rs_rso_limits(rs_rso_bound)
    rs, rso = np.broadcast_arrays(_a(rs_mj_m2_day), _a(rso_mj_m2_day))
    ratio = np.divide(rs, rso, out=np.ones(rs.shape), where=rso > 0)
    ratio = np.clip(ratio, lo, hi)
    tk4 = ((_a(tmax_c) + 273.16) ** 4 + (_a(tmin_c) + 273.16) ** 4) / 2.0
    rnl = (
        SIGMA_MJ_K4_M2_DAY
        * tk4
        * (0.34 - 0.14 * np.sqrt(np.maximum(_a(ea_kpa), 0.0)))
        * (1.35 * ratio - 0.35)
    )
    return _like(rnl, tmax_c, tmin_c, ea_kpa, rs_mj_m2_day, rso_mj_m2_day)


def _rs_rso_limits(rs_rso_bound: str) -> tuple[float, float]:
    check_option(rs_rso_bound, tuple(RS_RSO_BOUNDS), name="rs_rso_bound")
    return RS_RSO_BOUNDS[rs_rso_bound]


def net_radiation_mj_m2_day(rns_mj_m2_day: Any, rnl_mj_m2_day: Any) -> Any:
    r"""Net radiation (FAO-56 Eq. 40).

    .. math:: R_n = R_{ns} - R_{nl}

    Parameters
    ----------
    rns_mj_m2_day, rnl_mj_m2_day : numeric
        Net shortwave and net outgoing longwave radiation. [MJ m⁻² day⁻¹]

    Returns
    -------
    numeric
        Rn. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> round(net_radiation_mj_m2_day(11.1, 3.5), 1)  # FAO-56 Example 12
    7.6
    """
    return _like(_a(rns_mj_m2_day) - _a(rnl_mj_m2_day), rns_mj_m2_day, rnl_mj_m2_day)


def soil_heat_flux_monthly_mj_m2_day(
    *, t_prev_c: Any, t_next_c: Any = None, t_this_c: Any = None
) -> Any:
    r"""Soil heat flux of a month from mean monthly temperatures (FAO-56 Eqs. 43 and 44).

    .. math::

        G_i = 0.07 (T_{i+1} - T_{i-1}) \quad \text{or, without } T_{i+1}, \quad
        G_i = 0.14 (T_i - T_{i-1})

    Parameters
    ----------
    t_prev_c : numeric
        Mean air temperature of the previous month. [°C]
    t_next_c : numeric, optional
        Mean air temperature of the next month (Eq. 43). [°C]
    t_this_c : numeric, optional
        Mean air temperature of the month itself, used when *t_next_c* is not given
        (Eq. 44). [°C]

    Returns
    -------
    numeric
        G. [MJ m⁻² day⁻¹]

    Examples
    --------
    >>> round(soil_heat_flux_monthly_mj_m2_day(t_prev_c=14.1, t_next_c=18.8), 2)  # FAO-56 Ex. 13
    0.33
    >>> round(soil_heat_flux_monthly_mj_m2_day(t_prev_c=14.1, t_this_c=16.1), 2)
    0.28
    """
    if t_next_c is not None:
        return _like(0.07 * (_a(t_next_c) - _a(t_prev_c)), t_prev_c, t_next_c)
    if t_this_c is None:
        raise TypeError("give t_next_c (FAO-56 Eq. 43) or t_this_c (Eq. 44)")
    return _like(0.14 * (_a(t_this_c) - _a(t_prev_c)), t_prev_c, t_this_c)


def wind_speed_2m_m_s(uz_m_s: Any, *, height_m: Any) -> Any:
    r"""Wind speed at 2 m from a measurement at height *z* (FAO-56 Eq. 47).

    .. math:: u_2 = u_z \frac{4.87}{\ln(67.8 z - 5.42)}

    Parameters
    ----------
    uz_m_s : numeric
        Wind speed measured at *height_m* above the ground. [m s⁻¹]
    height_m : numeric
        Measurement height (> 0.08 m). [m]

    Returns
    -------
    numeric
        u2. [m s⁻¹]

    Examples
    --------
    >>> round(wind_speed_2m_m_s(3.2, height_m=10.0), 1)  # FAO-56 Example 14
    2.4
    """
    return _like(_a(uz_m_s) * 4.87 / np.log(67.8 * _a(height_m) - 5.42), uz_m_s, height_m)


def penman_monteith_eq6_mm_day(
    *,
    delta_kpa_c: Any,
    rn_mj_m2_day: Any,
    g_mj_m2_day: Any,
    gamma_kpa_c: Any,
    tmean_c: Any,
    u2_m_s: Any,
    es_kpa: Any,
    ea_kpa: Any,
) -> Any:
    r"""FAO Penman-Monteith reference evapotranspiration from its terms (FAO-56 Eq. 6).

    .. math::

        ET_0 = \frac{0.408 \Delta (R_n - G) + \gamma \frac{900}{T + 273} u_2 (e_s - e_a)}
                    {\Delta + \gamma (1 + 0.34 u_2)}

    Returns
    -------
    numeric
        ET0. [mm day⁻¹]
    """
    num = MJ_TO_MM * _a(delta_kpa_c) * (_a(rn_mj_m2_day) - _a(g_mj_m2_day)) + _a(
        gamma_kpa_c
    ) * 900.0 / (_a(tmean_c) + 273.0) * _a(u2_m_s) * (_a(es_kpa) - _a(ea_kpa))
    den = _a(delta_kpa_c) + _a(gamma_kpa_c) * (1.0 + 0.34 * _a(u2_m_s))
    return num / den


# -- hourly -------------------------------------------------------------------------------------
#: Stefan-Boltzmann constant per hour. [MJ K⁻⁴ m⁻² h⁻¹] (FAO-56 Eq. 39 for hourly steps)
SIGMA_MJ_K4_M2_H = 2.043e-10


def seasonal_correction_h(doy: Any) -> Any:
    r"""Seasonal correction for solar time (FAO-56 Eqs. 32 and 33).

    .. math::

        S_c = 0.1645 \sin 2b - 0.1255 \cos b - 0.025 \sin b, \quad b = \frac{2\pi (J - 81)}{364}

    Parameters
    ----------
    doy : numeric
        Day of the year. [-]

    Returns
    -------
    numeric
        Sc. [h]

    Examples
    --------
    >>> round(seasonal_correction_h(274), 4)  # FAO-56 Example 19 (1 October)
    0.1889
    """
    b = 2.0 * np.pi * (_a(doy) - 81.0) / 364.0
    return _like(0.1645 * np.sin(2 * b) - 0.1255 * np.cos(b) - 0.025 * np.sin(b), doy)


def extraterrestrial_radiation_hourly_mj_m2_h(
    *,
    lat_deg: Any,
    doy: Any,
    hour_mid: Any,
    lon_west_deg: Any,
    lz_west_deg: Any,
    period_h: float = 1.0,
) -> Any:
    r"""Extraterrestrial radiation of an hourly (or shorter) period (FAO-56 Eqs. 28-33).

    .. math::

        R_a = \frac{12 \cdot 60}{\pi} G_{sc} d_r [(\omega_2 - \omega_1) \sin\varphi \sin\delta
              + \cos\varphi \cos\delta (\sin\omega_2 - \sin\omega_1)]

    with :math:`\omega = \frac{\pi}{12}[(t + 0.06667 (L_z - L_m) + S_c) - 12]`,
    :math:`\omega_{1,2} = \omega \mp \pi t_1 / 24`; the angles are limited to
    :math:`[-\omega_s, \omega_s]`, so the result is 0 when the sun is below the horizon.

    Parameters
    ----------
    lat_deg : numeric
        Latitude, positive north. [degrees]
    doy : numeric
        Day of the year. [-]
    hour_mid : numeric
        Standard clock time at the midpoint of the period, e.g. 14.5 for 14-15 h. [h]
    lon_west_deg, lz_west_deg : numeric
        Longitude of the site Lm and of the centre of the local time zone Lz, both in
        degrees *west* of Greenwich as in FAO-56 (Lz = 75, 90, 105, 120 for US time zones,
        0 for Greenwich, 330 for Cairo). [degrees]
    period_h : float, default 1
        Length t1 of the period. [h]

    Returns
    -------
    numeric
        Ra. [MJ m⁻² per period]

    Examples
    --------
    >>> round(extraterrestrial_radiation_hourly_mj_m2_h(lat_deg=16 + 13 / 60, doy=274,
    ...                                                 hour_mid=14.5,
    ...                                                 lon_west_deg=16.25, lz_west_deg=15.0), 3)
    3.543
    """
    phi = np.deg2rad(_a(lat_deg))
    delta = _a(solar_declination_rad(_a(doy)))
    dr = _a(inverse_relative_distance(_a(doy)))
    ws = _a(sunset_hour_angle_rad(phi, delta))
    sc = _a(seasonal_correction_h(_a(doy)))
    w = (
        np.pi
        / 12.0
        * ((_a(hour_mid) + 0.06667 * (_a(lz_west_deg) - _a(lon_west_deg)) + sc) - 12.0)
    )
    w1 = np.clip(w - np.pi * period_h / 24.0, -ws, ws)
    w2 = np.clip(w + np.pi * period_h / 24.0, -ws, ws)
    ra = (
        12.0
        * 60.0
        / np.pi
        * GSC_MJ_M2_MIN
        * dr
        * (
            (w2 - w1) * np.sin(phi) * np.sin(delta)
            + np.cos(phi) * np.cos(delta) * (np.sin(w2) - np.sin(w1))
        )
    )
    return _like(np.maximum(ra, 0.0), lat_deg, doy, hour_mid, lon_west_deg, lz_west_deg)


# -- reference evapotranspiration (public through landuse.irrigation) ----------------------
def et0_penman_monteith(
    *,
    tmax_c: Any,
    tmin_c: Any,
    lat_deg: Any,
    elevation_m: Any,
    doy: Any,
    u2_m_s: Any,
    ea_kpa: Any = None,
    rh_max_pct: Any = None,
    rh_min_pct: Any = None,
    rh_mean_pct: Any = None,
    sunshine_h: Any = None,
    rs_mj_m2_day: Any = None,
    g_mj_m2_day: Any = 0.0,
    rs_rso_bound: str = "asce",
) -> Any:
    r"""FAO Penman-Monteith reference evapotranspiration of grass (FAO-56 Eq. 6).

    .. math::

        ET_0 = \frac{0.408 \Delta (R_n - G) + \gamma \frac{900}{T + 273} u_2 (e_s - e_a)}
                    {\Delta + \gamma (1 + 0.34 u_2)}

    with :math:`T = (T_{max} + T_{min})/2`, Δ at T (Eq. 13), γ from the elevation
    (Eqs. 7, 8), es from Tmax and Tmin (Eq. 12), ea from the best humidity data given
    (:func:`actual_vapour_pressure_kpa`: *ea_kpa*, else RHmax and RHmin, RHmax, RHmean,
    else Tdew ≈ Tmin), Rn from Eqs. 21-40 with Rs from *rs_mj_m2_day*, else from
    *sunshine_h* (Angström, Eq. 35), else from the temperature range (Eq. 50,
    kRs 0.16). Works for daily data and for monthly means (then pass the 15th of the
    month as *doy* and G from Eq. 43, as :func:`et0_monthly` does).

    Parameters
    ----------
    tmax_c, tmin_c : numeric
        Daily maximum and minimum air temperature at 2 m. [°C]
    lat_deg : numeric
        Latitude, positive north. [degrees]
    elevation_m : numeric
        Elevation above sea level. [m]
    doy : numeric
        Day of the year. [-]
    u2_m_s : numeric
        Wind speed at 2 m (:func:`wind_speed_2m_m_s` converts other heights). [m s⁻¹]
    ea_kpa : numeric, optional
        Actual vapour pressure. [kPa]
    rh_max_pct, rh_min_pct, rh_mean_pct : numeric, optional
        Relative humidity. [%]
    sunshine_h : numeric, optional
        Actual sunshine duration n. [h]
    rs_mj_m2_day : numeric, optional
        Measured incoming solar radiation. [MJ m⁻² day⁻¹]
    g_mj_m2_day : numeric, default 0.0
        Soil heat flux; 0 for daily steps (Eq. 42). [MJ m⁻² day⁻¹]
    rs_rso_bound : {'asce', 'fao56'}, default 'asce'
        Bounds of the cloudiness ratio Rs/Rso in Rnl: 0.3-1.0 as ASCE-EWRI (2005), or
        the upper bound only as FAO-56 Eq. 39 states it
        (:func:`net_longwave_radiation_mj_m2_day`).

    Returns
    -------
    numeric
        ET0, never negative (a negative value, possible only at night or in polar
        winter, is set to 0). [mm day⁻¹]

    Raises
    ------
    IrrigationError
        tmin above tmax, relative humidity outside 0-100 %, negative wind, sunshine
        longer than the day, latitude outside ±90°, or any NaN.

    References
    ----------
    Allen et al. (1998), FAO-56, chapter 3 and Example 18 (Uccle, 6 July: 3.9 mm day⁻¹).

    Examples
    --------
    >>> u2 = wind_speed_2m_m_s(10 / 3.6, height_m=10.0)
    >>> et0 = et0_penman_monteith(tmax_c=21.5, tmin_c=12.3, lat_deg=50.8, elevation_m=100.0,
    ...                           doy=187, u2_m_s=u2, rh_max_pct=84.0, rh_min_pct=63.0,
    ...                           sunshine_h=9.25)
    >>> round(et0, 2)  # FAO-56 Example 18: 3.9
    3.88
    """
    _check_temperatures(tmax_c, tmin_c)
    _check_lat(lat_deg)
    _check_doy(doy)
    _check_range("elevation_m", elevation_m, -500.0, 9000.0)
    _check_range("u2_m_s", u2_m_s, 0.0, 60.0, hint="wind speed cannot be negative")
    for name, v in (
        ("rh_max_pct", rh_max_pct),
        ("rh_min_pct", rh_min_pct),
        ("rh_mean_pct", rh_mean_pct),
    ):
        _check_range(name, v, 0.0, 100.0, hint="relative humidity is between 0 and 100 %")
    _check_range("ea_kpa", ea_kpa, 0.0, 20.0)
    _check_range("rs_mj_m2_day", rs_mj_m2_day, 0.0, 60.0)
    _check_range("g_mj_m2_day", g_mj_m2_day, -20.0, 20.0)
    inputs = (
        tmax_c,
        tmin_c,
        lat_deg,
        elevation_m,
        doy,
        u2_m_s,
        ea_kpa,
        rh_max_pct,
        rh_min_pct,
        rh_mean_pct,
        sunshine_h,
        rs_mj_m2_day,
        g_mj_m2_day,
    )
    tmax, tmin = _a(tmax_c), _a(tmin_c)
    tmean = (tmax + tmin) / 2.0
    pressure = _a(atmospheric_pressure_kpa(_a(elevation_m)))
    gamma = _a(psychrometric_constant_kpa_c(pressure))
    delta = _a(slope_vapour_pressure_curve_kpa_c(tmean))
    es = _a(mean_saturation_vapour_pressure_kpa(tmax, tmin))
    if ea_kpa is not None:
        ea = _a(ea_kpa)
    else:
        ea = _a(
            actual_vapour_pressure_kpa(
                tmax_c=tmax,
                tmin_c=tmin,
                rh_max_pct=None if rh_max_pct is None else _a(rh_max_pct),
                rh_min_pct=None if rh_min_pct is None else _a(rh_min_pct),
                rh_mean_pct=None if rh_mean_pct is None else _a(rh_mean_pct),
            )
        )
    ra = _a(extraterrestrial_radiation_mj_m2_day(lat_deg=_a(lat_deg), doy=_a(doy)))
    if rs_mj_m2_day is not None:
        rs = _a(rs_mj_m2_day)
    elif sunshine_h is not None:
        n_day = _a(daylight_hours_h(lat_deg=_a(lat_deg), doy=_a(doy)))
        _check_range("sunshine_h", sunshine_h, 0.0, 24.0)
        sun, day_h = np.broadcast_arrays(np.atleast_1d(_a(sunshine_h)), np.atleast_1d(n_day))
        too_long = sun - day_h > 0.05
        if too_long.any():
            pos = int(np.flatnonzero(too_long)[0])
            raise IrrigationError(
                f"sunshine_h {sun[pos]:g} is longer than the day length N = {day_h[pos]:.2f} h",
                column="sunshine_h",
                feature_id=sunshine_h.index[pos] if isinstance(sunshine_h, pd.Series) else None,
                hint="check the sunshine column (hours per day, not per month) and the "
                "latitude and day of the year",
            )
        rs = _a(
            solar_radiation_angstrom_mj_m2_day(
                sunshine_h=np.minimum(_a(sunshine_h), n_day), daylight_h=n_day, ra_mj_m2_day=ra
            )
        )
    else:
        rs = _a(solar_radiation_hargreaves_mj_m2_day(tmax_c=tmax, tmin_c=tmin, ra_mj_m2_day=ra))
    rso = _a(clear_sky_radiation_mj_m2_day(ra_mj_m2_day=ra, elevation_m=_a(elevation_m)))
    rns = _a(net_shortwave_radiation_mj_m2_day(rs))
    rnl = _a(
        net_longwave_radiation_mj_m2_day(
            tmax_c=tmax,
            tmin_c=tmin,
            ea_kpa=ea,
            rs_mj_m2_day=rs,
            rso_mj_m2_day=rso,
            rs_rso_bound=rs_rso_bound,
        )
    )
    et0 = penman_monteith_eq6_mm_day(
        delta_kpa_c=delta,
        rn_mj_m2_day=rns - rnl,
        g_mj_m2_day=_a(g_mj_m2_day),
        gamma_kpa_c=gamma,
        tmean_c=tmean,
        u2_m_s=_a(u2_m_s),
        es_kpa=es,
        ea_kpa=ea,
    )
    return _like(np.maximum(et0, 0.0), *inputs)


def et0_hargreaves(*, tmax_c: Any, tmin_c: Any, lat_deg: Any, doy: Any) -> Any:
    r"""Hargreaves reference evapotranspiration from temperature only (FAO-56 Eq. 52).

    .. math:: ET_0 = 0.0023 (T_{mean} + 17.8) (T_{max} - T_{min})^{0.5} \cdot 0.408 R_a

    Parameters
    ----------
    tmax_c, tmin_c : numeric
        Daily (or mean monthly) maximum and minimum air temperature. [°C]
    lat_deg : numeric
        Latitude, positive north. [degrees]
    doy : numeric
        Day of the year (the 15th of the month for monthly means). [-]

    Returns
    -------
    numeric
        ET0. [mm day⁻¹]

    Raises
    ------
    IrrigationError
        tmin above tmax, latitude outside ±90° or NaN.

    Notes
    -----
    FAO-56 recommends it only where radiation, humidity and wind are missing and
    over periods of 5 days or more. pyet's ``hargreaves`` divides Ra by a
    temperature-dependent λ instead of multiplying by 0.408 (0.05 % apart).

    Examples
    --------
    >>> round(et0_hargreaves(tmax_c=26.6, tmin_c=14.8, lat_deg=45 + 43 / 60, doy=196), 1)  # Lyon
    5.0
    """
    _check_temperatures(tmax_c, tmin_c)
    _check_lat(lat_deg)
    _check_doy(doy)
    tmax, tmin = _a(tmax_c), _a(tmin_c)
    ra = _a(extraterrestrial_radiation_mj_m2_day(lat_deg=_a(lat_deg), doy=_a(doy)))
    et0 = 0.0023 * ((tmax + tmin) / 2.0 + 17.8) * np.sqrt(tmax - tmin) * MJ_TO_MM * ra
    return _like(et0, tmax_c, tmin_c, lat_deg, doy)


def et0_penman_monteith_hourly(
    *,
    t_c: Any,
    rh_pct: Any,
    u2_m_s: Any,
    rs_mj_m2_h: Any,
    lat_deg: Any,
    elevation_m: Any,
    doy: Any,
    hour_mid: Any,
    lon_west_deg: Any,
    lz_west_deg: Any,
    night_rs_rso: float = 0.8,
    rs_rso_bound: str = "asce",
) -> Any:
    r"""FAO Penman-Monteith reference evapotranspiration for an hourly step (FAO-56 Eq. 53).

    .. math::

        ET_0 = \frac{0.408 \Delta (R_n - G)
               + \gamma \frac{37}{T_{hr} + 273} u_2 (e^\circ(T_{hr}) - e_a)}
                    {\Delta + \gamma (1 + 0.34 u_2)}

    with :math:`e_a = e^\circ(T_{hr}) RH_{hr}/100` (Eq. 54), Ra of the hour (Eqs. 28-33,
    :func:`landuse.extraterrestrial_radiation_hourly_mj_m2_h`), Rso (Eq. 37), Rnl
    with σ = 2.043e-10 MJ K⁻⁴ m⁻² h⁻¹ and the hour's temperature (Eq. 39), and
    :math:`G = 0.1 R_n` in daylight, :math:`0.5 R_n` at night (Eqs. 45, 46). At night
    (Ra = 0) the cloudiness ratio Rs/Rso is *night_rs_rso*, the value of the hours
    before sunset (FAO-56 uses 0.8 in Example 19; 0.4-0.6 in humid and sub-humid
    climates, 0.7-0.8 in arid ones).

    Parameters
    ----------
    t_c : numeric
        Mean air temperature of the hour. [°C]
    rh_pct : numeric
        Mean relative humidity of the hour. [%]
    u2_m_s : numeric
        Mean wind speed at 2 m. [m s⁻¹]
    rs_mj_m2_h : numeric
        Solar radiation of the hour. [MJ m⁻² h⁻¹]
    lat_deg, elevation_m, doy : numeric
        Latitude [degrees], elevation [m], day of the year [-].
    hour_mid : numeric
        Standard clock time at the midpoint of the hour (14.5 for 14-15 h). [h]
    lon_west_deg, lz_west_deg : numeric
        Longitude of the site and of the time-zone centre, degrees west of Greenwich. [degrees]
    night_rs_rso : float, default 0.8
        Rs/Rso used when the sun is down. [-]
    rs_rso_bound : {'asce', 'fao56'}, default 'asce'
        Bounds of Rs/Rso in daylight: 0.3-1.0 (ASCE-EWRI 2005 Eq. 45) or the upper bound
        only (FAO-56).

    Returns
    -------
    numeric
        ET0 of the hour, never negative. [mm h⁻¹]

    Raises
    ------
    IrrigationError
        RH outside 0-100 %, negative wind or radiation, latitude outside ±90° or NaN.

    Examples
    --------
    >>> kw = dict(lat_deg=16 + 13 / 60, elevation_m=8.0, doy=274, lon_west_deg=16.25,
    ...           lz_west_deg=15.0)
    >>> round(et0_penman_monteith_hourly(t_c=38.0, rh_pct=52.0, u2_m_s=3.3, rs_mj_m2_h=2.450,
    ...                                  hour_mid=14.5, **kw), 2)  # FAO-56 Example 19, 14-15 h
    0.63
    >>> round(et0_penman_monteith_hourly(t_c=28.0, rh_pct=90.0, u2_m_s=1.9, rs_mj_m2_h=0.0,
    ...                                  hour_mid=2.5, **kw), 2)  # 02-03 h
    0.0
    """
    _check_range("t_c", t_c, -60.0, 60.0)
    _check_range("rh_pct", rh_pct, 0.0, 100.0, hint="relative humidity is between 0 and 100 %")
    _check_range("u2_m_s", u2_m_s, 0.0, 60.0, hint="wind speed cannot be negative")
    _check_range("rs_mj_m2_h", rs_mj_m2_h, 0.0, 6.0)
    _check_lat(lat_deg)
    _check_doy(doy)
    _check_range("hour_mid", hour_mid, 0.0, 24.0)
    _check_range("elevation_m", elevation_m, -500.0, 9000.0)
    _check_range("night_rs_rso", night_rs_rso, 0.0, 1.0)
    lo, hi = _rs_rso_limits(rs_rso_bound)
    inputs = (
        t_c,
        rh_pct,
        u2_m_s,
        rs_mj_m2_h,
        lat_deg,
        elevation_m,
        doy,
        hour_mid,
        lon_west_deg,
        lz_west_deg,
    )
    t = _a(t_c)
    e0 = _a(saturation_vapour_pressure_kpa(t))
    ea = e0 * _a(rh_pct) / 100.0
    delta = _a(slope_vapour_pressure_curve_kpa_c(t))
    gamma = _a(psychrometric_constant_kpa_c(_a(atmospheric_pressure_kpa(_a(elevation_m)))))
    ra = _a(
        extraterrestrial_radiation_hourly_mj_m2_h(
            lat_deg=_a(lat_deg),
            doy=_a(doy),
            hour_mid=_a(hour_mid),
            lon_west_deg=_a(lon_west_deg),
            lz_west_deg=_a(lz_west_deg),
        )
    )
    rso = _a(clear_sky_radiation_mj_m2_day(ra_mj_m2_day=ra, elevation_m=_a(elevation_m)))
    rs = _a(rs_mj_m2_h)
    day = ra > 0
    rs_b, rso_b = np.broadcast_arrays(rs, rso)
    ratio = np.where(
        day & (rso_b > 0),
        np.clip(np.divide(rs_b, np.where(rso_b > 0, rso_b, 1.0)), lo, hi),
        night_rs_rso,
    )
    rnl = (
        SIGMA_MJ_K4_M2_H * (t + 273.16) ** 4 * (0.34 - 0.14 * np.sqrt(ea)) * (1.35 * ratio - 0.35)
    )
    rn = (1.0 - ALBEDO_GRASS) * rs - rnl
    g = np.where(day, 0.1, 0.5) * rn
    num = MJ_TO_MM * delta * (rn - g) + gamma * 37.0 / (t + 273.0) * _a(u2_m_s) * (e0 - ea)
    et0 = num / (delta + gamma * (1.0 + 0.34 * _a(u2_m_s)))
    return _like(np.maximum(et0, 0.0), *inputs)
