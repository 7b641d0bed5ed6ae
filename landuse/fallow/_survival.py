"""Censoring-aware fallow estimates: Kaplan-Meier and a Weibull AFT trend (private).

Used by :func:`landuse.fallow.village_summary`, :func:`landuse.fallow.decade_summary` and
:func:`landuse.fallow.survival_curves`; the estimators are those of ``lifelines``
(Davidson-Pilon 2019), not hand-written ones.

Time convention (whole years): a fallow spell ended by a clearing after ``F`` fallow
years is an event at ``F``; an open spell with ``k`` fallow years seen is only known to
last ``F >= k``, i.e. longer than ``k - 1``, so it enters as censored at ``k - 1`` (the
exact product-limit rule for discrete times; an open spell of one year carries no
information and drops out).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Statuses of a trend verdict (plots, pixels, villages).
SHORTENING = "shortening"
LENGTHENING = "lengthening"
NO_CLEAR_TREND = "no clear trend"
INSUFFICIENT_DATA = "insufficient data"
INSUFFICIENT_FOLLOW_UP = "insufficient follow-up"


@dataclass(frozen=True, slots=True)
class TrendOptions:
    """Options of the censoring-aware trend rule (see :func:`landuse.fallow.village_summary`)."""

    alpha: float = 0.05
    followup_years: int = 10
    min_effect_years_per_decade: float = 1.0
    min_events: int = 20
    min_span_years: int = 5
    restrict_years: float = 15.0


def survival_times(duration: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times and event flags for the estimators (censored at ``k - 1``); drop zero times."""
    d = np.asarray(duration, float)
    e = np.asarray(observed, bool)
    t = np.where(e, d, d - 1.0)
    keep = t > 0
    return t[keep], e[keep]


def km_figures(duration: Any, observed: Any, *, restrict_years: float,
               alpha: float) -> dict[str, Any]:
    """Kaplan-Meier median and restricted mean (with ``1 - alpha`` CIs) of fallow spells."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    t, e = survival_times(np.asarray(duration), np.asarray(observed))
    out: dict[str, Any] = {"n_spells": int(np.size(duration)), "n_events": int(np.sum(observed)),
                           "median_fallow_years": np.nan, "median_fallow_years_lo": np.nan,
                           "median_fallow_years_hi": np.nan, "mean_fallow_years": np.nan,
                           "mean_fallow_years_lo": np.nan, "mean_fallow_years_hi": np.nan,
                           "km_status": INSUFFICIENT_DATA}
    if e.sum() == 0:
        return out
    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e)
    med = float(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    lo, hi = (float(v) for v in np.asarray(ci, float).ravel()[:2])
    out.update(median_fallow_years=med if np.isfinite(med) else np.nan,
               median_fallow_years_lo=lo if np.isfinite(lo) else np.nan,
               median_fallow_years_hi=hi if np.isfinite(hi) else np.nan)
    s_end = float(kmf.survival_function_.iloc[-1, 0])
    t_max = float(t.max())
    if t_max >= restrict_years or s_end == 0.0:
        m, var = rmst(kmf, restrict_years)
        z = _z(alpha)
        se = math.sqrt(max(float(var), 0.0))
        out.update(mean_fallow_years=float(m), mean_fallow_years_lo=float(m) - z * se,
                   mean_fallow_years_hi=float(m) + z * se, km_status="ok")
    else:
        out["km_status"] = INSUFFICIENT_FOLLOW_UP
    return out


def rmst(kmf: Any, tau: float) -> tuple[float, float]:
    """Restricted mean ``mu = integral_0^tau S(t) dt`` of a fitted Kaplan-Meier curve and
    its Greenwood-type variance (Klein & Moeschberger 2003, §4.5):

    .. math:: \\hat{V}(\\hat\\mu) = \\sum_{t_j \\le \\tau}
              \\frac{A_j^2\\, d_j}{n_j (n_j - d_j)}, \\quad
              A_j = \\int_{t_j}^{\\tau} \\hat S(u)\\,du

    ``mu`` equals ``lifelines.utils.restricted_mean_survival_time(kmf, tau)`` (checked in
    the tests, without its numerical integration); the variance returned by lifelines is
    that of ``min(F, tau)`` itself, which divided by ``n`` equals this estimator variance
    when nothing is censored (also checked).
    """
    sf = kmf.survival_function_.iloc[:, 0]
    times = sf.index.to_numpy(float)
    surv = sf.to_numpy(float)
    grid = np.r_[times[times < tau], tau]
    widths = np.diff(grid)
    area = surv[: widths.size] * widths  # S is constant from each time to the next
    mu = float(area.sum())
    tail = np.cumsum(area[::-1])[::-1]  # A at each grid time: integral from there to tau
    tab = kmf.event_table
    var = 0.0
    for k in range(1, widths.size):
        tj = grid[k]
        d = float(tab["observed"].get(tj, 0.0))
        n = float(tab["at_risk"].get(tj, 0.0))
        if d > 0 and n > d:
            var += tail[k] ** 2 * d / (n * (n - d))
    return mu, var


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1.0 - alpha / 2.0))


def equal_followup_spells(spells: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Spells followed for *horizon* years, valued ``min(F, horizon)`` (same rule as the kernel).

    A spell with a known start year ``s`` is kept when ``s + horizon - 1`` is within its
    plot's record and its length is known up to the horizon (ended by a clearing, or at
    least *horizon* years long). ``observed`` becomes ``F < horizon``; the others are
    censored at the horizon. Every clearing period is thus followed equally long.
    """
    s = spells[spells["start_known"].astype(bool)]
    ok = (s["start_year"] + horizon - 1 <= s["record_end_year"]) & (
        s["observed"].astype(bool) | (s["duration_years"] >= horizon))
    s = s[ok].copy()
    s["observed"] = s["observed"].astype(bool) & (s["duration_years"] < horizon)
    s["duration_years"] = np.minimum(s["duration_years"], horizon)
    return s


def aft_trend(spells: pd.DataFrame, opts: TrendOptions, *,
              reference_years: float) -> dict[str, Any]:
    """Weibull accelerated-failure-time trend of fallow length on clearing year.

    ``log T = b0 + b1 (year - mean year) / 10 + sigma W`` with a Weibull baseline, fitted
    by ``lifelines.WeibullAFTFitter`` on the equal-follow-up spells, with a plot-clustered
    sandwich variance (:func:`weibull_aft_sandwich`); the time ratio per decade is ``exp(b1)``, converted into years per decade as
    ``(exp(b1) - 1) * reference_years`` (the village's restricted mean fallow).
    """
    out: dict[str, Any] = {
        "n_trend_spells": 0, "n_trend_events": 0,
        "trend_pct_per_decade": np.nan, "trend_pct_per_decade_lo": np.nan,
        "trend_pct_per_decade_hi": np.nan,
        "trend_yr_per_decade": np.nan, "trend_yr_per_decade_lo": np.nan,
        "trend_yr_per_decade_hi": np.nan, "p_value": np.nan, "status": INSUFFICIENT_FOLLOW_UP,
    }
    s = equal_followup_spells(spells, opts.followup_years)
    d = s["duration_years"].to_numpy(float)
    ev = s["observed"].to_numpy(bool)
    tt = np.where(ev, d, d - 1.0)
    keep = tt > 0
    t, e = tt[keep], ev[keep]
    year = s["clearing_year"].to_numpy(float)[keep]
    plots = s["plot_id"].astype(str).to_numpy()[keep]
    out["n_trend_spells"], out["n_trend_events"] = int(len(t)), int(e.sum())
    if len(t) == 0 or np.ptp(year) + 1 < opts.min_span_years:
        return out
    if e.sum() < opts.min_events:
        out["status"] = INSUFFICIENT_DATA
        return out
    from lifelines import WeibullAFTFitter

    df = pd.DataFrame({"T": t, "E": e.astype(int), "decade": (year - year.mean()) / 10.0})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = WeibullAFTFitter(alpha=opts.alpha).fit(df, "T", "E")
    except Exception:  # noqa: BLE001 - a failed fit is reported, not guessed
        out["status"] = INSUFFICIENT_DATA
        return out
    k = list(fit.params_.index).index(("lambda_", "decade"))
    b = float(fit.params_.iloc[k])
    cov = weibull_aft_sandwich(fit, df, clusters=plots)
    se = math.sqrt(max(float(cov[k, k]), 0.0))
    z = _z(opts.alpha)
    p = float(math.erfc(abs(b / se) / math.sqrt(2.0))) if se > 0 else float("nan")
    ratios = np.exp([b, b - z * se, b + z * se]) - 1.0
    out.update(trend_pct_per_decade=100 * ratios[0], trend_pct_per_decade_lo=100 * ratios[1],
               trend_pct_per_decade_hi=100 * ratios[2],
               trend_yr_per_decade=ratios[0] * reference_years,
               trend_yr_per_decade_lo=ratios[1] * reference_years,
               trend_yr_per_decade_hi=ratios[2] * reference_years, p_value=p)
    out["status"] = verdict(p, out["trend_yr_per_decade"], opts.alpha,
                            opts.min_effect_years_per_decade)
    return out


def weibull_aft_sandwich(fit: Any, df: pd.DataFrame, clusters: Any = None) -> np.ndarray:
    """Cluster-robust (sandwich) covariance of a fitted ``lifelines.WeibullAFTFitter``.

    Model (lifelines' parametrisation): ``S(t) = exp(-(t/lambda)^rho)``,
    ``log lambda = b0 + b1 x``, ``rho = exp(a)``. With ``z = rho (log t - log lambda)``
    and ``u = e^z``, the per-spell scores of ``l = E (log rho + (rho - 1) log t - rho
    log lambda) - u`` are ``dl/db = rho (u - E) [x, 1]`` and ``dl/da = E (1 + z) - u z``.
    ``V = H^-1 (sum_g s_g s_g^T) H^-1`` with ``H^-1`` the model-based covariance and
    ``s_g`` the scores summed over a cluster (a plot: its spells are not independent);
    the Huber-White sandwich, clustered as Lin & Wei (1989) do for the Cox model. With
    one spell per cluster it equals lifelines' ``robust=True`` (checked in the tests) at
    a fraction of its cost, and it stays valid when the Weibull shape is wrong.

    Returns the covariance in the order of ``fit.params_``.
    """
    params = fit.params_
    b1 = float(params[("lambda_", "decade")])
    b0 = float(params[("lambda_", "Intercept")])
    rho = math.exp(float(params[("rho_", "Intercept")]))
    t = df["T"].to_numpy(float)
    e = df["E"].to_numpy(float)
    x = df["decade"].to_numpy(float)
    z = rho * (np.log(t) - (b0 + b1 * x))
    u = np.exp(z)
    g = rho * (u - e)
    scores = {("lambda_", "decade"): g * x, ("lambda_", "Intercept"): g,
              ("rho_", "Intercept"): e * (1.0 + z) - u * z}
    sc = np.column_stack([scores[k] for k in params.index])
    if clusters is not None:
        sc = pd.DataFrame(sc).groupby(np.asarray(clusters), sort=False).sum().to_numpy()
    v = fit.variance_matrix_.to_numpy(float)
    return v @ (sc.T @ sc) @ v


def verdict(p: float, trend_yr_per_decade: float, alpha: float, min_effect: float) -> str:
    """``shortening`` / ``lengthening`` when significant at *alpha* and at least *min_effect*
    years per decade; otherwise ``no clear trend``."""
    if not (np.isfinite(p) and np.isfinite(trend_yr_per_decade)):
        return INSUFFICIENT_DATA
    if p < alpha and trend_yr_per_decade <= -min_effect:
        return SHORTENING
    if p < alpha and trend_yr_per_decade >= min_effect:
        return LENGTHENING
    return NO_CLEAR_TREND
