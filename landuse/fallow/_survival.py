"""Censoring-aware fallow estimates: Kaplan-Meier and a Weibull AFT trend (private).

Used by :func:`landuse.fallow.village_summary`, :func:`landuse.fallow.decade_summary` and
:func:`landuse.fallow.survival_curves`. The estimators are those of ``lifelines``
(Davidson-Pilon 2019), computed here in closed form (Kaplan-Meier) and by Newton's
method with analytic derivatives (Weibull AFT): the same estimates in a few
milliseconds instead of lifelines' generic autograd fit (about 0.2 CPU-s a village).
``lifelines`` is the oracle of the tests (``tests/test_fallow_sim.py``).

Time convention (whole years): a fallow spell ended by a clearing after ``F`` fallow
years is an event at ``F``; an open spell with ``k`` fallow years seen is only known to
last ``F >= k``, i.e. longer than ``k - 1``, so it enters as censored at ``k - 1`` (the
exact product-limit rule for discrete times; an open spell of one year carries no
information and drops out).
"""

from __future__ import annotations

import math
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


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve: at time 0 and at every distinct time of the sample.

    ``survival`` is ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` (Kaplan & Meier 1958);
    ``lo``/``hi`` the pointwise ``1 - alpha`` exponential-Greenwood interval
    ``exp(-exp(log(-log S) -/+ z sqrt(V) / log S))``, ``V = sum d_j / (n_j (n_j - d_j))``
    (Kalbfleisch & Prentice 2002, as in lifelines); ``at_risk`` ``n_j``, ``observed`` ``d_j``.
    """

    time: np.ndarray
    survival: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    at_risk: np.ndarray
    observed: np.ndarray


def kaplan_meier(t: np.ndarray, e: np.ndarray, *, alpha: float) -> KaplanMeier:
    """The Kaplan-Meier curve of times *t* [years] (> 0) with event flags *e*.

    Equal, to floating-point round-off, to ``lifelines.KaplanMeierFitter(alpha=alpha)``
    (its ``survival_function_``, ``confidence_interval_`` and ``event_table``; checked
    in the tests).
    """
    t = np.asarray(t, float)
    e = np.asarray(e, bool)
    times, inv = np.unique(t, return_inverse=True)
    removed = np.bincount(inv, minlength=times.size)
    deaths = np.bincount(inv, weights=e.astype(float), minlength=times.size)
    n = t.size - np.r_[0, np.cumsum(removed)[:-1]]
    if times.size == 0 or times[0] != 0.0:
        times = np.r_[0.0, times]
        n = np.r_[t.size, n]
        deaths = np.r_[0.0, deaths]
    n_f = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.exp(np.cumsum(np.log(n_f - deaths) - np.log(n_f)))
        step = deaths / (n_f * (n_f - deaths))
        var = np.cumsum(np.where(np.isinf(step), 0.0, step))
        z = _z(alpha)
        v = np.log(surv)
        lo = np.exp(-np.exp(np.log(-v) - z * np.sqrt(var) / v))
        hi = np.exp(-np.exp(np.log(-v) + z * np.sqrt(var) / v))
    return KaplanMeier(time=times, survival=surv, lo=np.where(np.isnan(lo), 1.0, lo),
                       hi=np.where(np.isnan(hi), 1.0, hi), at_risk=n.astype(np.int64),
                       observed=deaths.astype(np.int64))


def first_below(time: np.ndarray, curve: np.ndarray, q: float = 0.5) -> float:
    """First time the curve is ``<= q`` (inf if never): lifelines' ``qth_survival_time``."""
    hit = np.flatnonzero(curve <= q)
    return float(time[hit[0]]) if hit.size else math.inf


def km_figures(duration: Any, observed: Any, *, restrict_years: float,
               alpha: float) -> dict[str, Any]:
    """Kaplan-Meier median and restricted mean (with ``1 - alpha`` CIs) of fallow spells."""
    t, e = survival_times(np.asarray(duration), np.asarray(observed))
    out: dict[str, Any] = {"n_spells": int(np.size(duration)), "n_events": int(np.sum(observed)),
                           "median_fallow_years": np.nan, "median_fallow_years_lo": np.nan,
                           "median_fallow_years_hi": np.nan, "mean_fallow_years": np.nan,
                           "mean_fallow_years_lo": np.nan, "mean_fallow_years_hi": np.nan,
                           "km_status": INSUFFICIENT_DATA}
    if e.sum() == 0:
        return out
    km = kaplan_meier(t, e, alpha=alpha)
    med = first_below(km.time, km.survival)
    lo = first_below(km.time, km.lo)
    hi = first_below(km.time, km.hi)
    out.update(median_fallow_years=med if np.isfinite(med) else np.nan,
               median_fallow_years_lo=lo if np.isfinite(lo) else np.nan,
               median_fallow_years_hi=hi if np.isfinite(hi) else np.nan)
    s_end = float(km.survival[-1])
    t_max = float(t.max())
    if t_max >= restrict_years or s_end == 0.0:
        m, var = rmst(km, restrict_years)
        z = _z(alpha)
        se = math.sqrt(max(float(var), 0.0))
        out.update(mean_fallow_years=float(m), mean_fallow_years_lo=float(m) - z * se,
                   mean_fallow_years_hi=float(m) + z * se, km_status="ok")
    else:
        out["km_status"] = INSUFFICIENT_FOLLOW_UP
    return out


def rmst(km: KaplanMeier, tau: float) -> tuple[float, float]:
    """Restricted mean ``mu = integral_0^tau S(t) dt`` of a Kaplan-Meier curve and
    its Greenwood-type variance (Klein & Moeschberger 2003, §4.5):

    .. math:: \\hat{V}(\\hat\\mu) = \\sum_{t_j \\le \\tau}
              \\frac{A_j^2\\, d_j}{n_j (n_j - d_j)}, \\quad
              A_j = \\int_{t_j}^{\\tau} \\hat S(u)\\,du

    ``mu`` equals ``lifelines.utils.restricted_mean_survival_time(kmf, tau)`` (checked in
    the tests, without its numerical integration); the variance returned by lifelines is
    that of ``min(F, tau)`` itself, which divided by ``n`` equals this estimator variance
    when nothing is censored (also checked).
    """
    times = km.time
    grid = np.r_[times[times < tau], tau]
    widths = np.diff(grid)
    area = km.survival[: widths.size] * widths  # S is constant from each time to the next
    mu = float(area.sum())
    tail = np.cumsum(area[::-1])[::-1]  # A at each grid time: integral from there to tau
    var = 0.0
    for k in range(1, widths.size):
        d = float(km.observed[k])
        n = float(km.at_risk[k])
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
    by :func:`weibull_aft` (lifelines' model) on the equal-follow-up spells, with a plot-clustered
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
    fit = weibull_aft(t, e, (year - year.mean()) / 10.0)
    if fit is None:  # a fit that does not converge is reported, not guessed
        out["status"] = INSUFFICIENT_DATA
        return out
    k = 1
    b = float(fit.params[k])
    cov = weibull_aft_sandwich(fit, clusters=plots)
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


@dataclass(frozen=True)
class WeibullAFT:
    """A fitted Weibull accelerated-failure-time model with one covariate.

    ``params`` = ``(b0, b1, a)``: ``log lambda = b0 + b1 x``, shape ``rho = exp(a)``
    (lifelines' ``lambda_ Intercept``, ``lambda_ x`` and ``rho_ Intercept``);
    ``cov`` the model-based covariance (inverse observed information); the data kept
    for the sandwich variance.
    """

    params: np.ndarray
    cov: np.ndarray
    t: np.ndarray
    e: np.ndarray
    x: np.ndarray


def _weibull_terms(theta: np.ndarray, logt: np.ndarray, e: np.ndarray,
                   x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Log-likelihood, per-spell scores ``(n, 3)`` and Hessian of the Weibull AFT at *theta*."""
    rho = float(np.exp(theta[2]))  # inf, not OverflowError, when a Newton step overshoots: the step is halved
    z = rho * (logt - theta[0] - theta[1] * x)
    u = np.exp(z)
    ll = float(np.sum(e * (theta[2] - logt + z) - u))
    g = rho * (u - e)
    scores = np.column_stack([g, g * x, e * (1.0 + z) - u * z])
    w = -rho * rho * u  # d2l / d eta2
    c = g + rho * u * z  # d2l / d eta da
    h = np.empty((3, 3))
    h[0, 0], h[0, 1], h[1, 1] = w.sum(), (w * x).sum(), (w * x * x).sum()
    h[0, 2], h[1, 2] = c.sum(), (c * x).sum()
    h[2, 2] = float(np.sum(e * z - u * z * z - u * z))
    h[1, 0], h[2, 0], h[2, 1] = h[0, 1], h[0, 2], h[1, 2]
    return ll, scores, scores.sum(axis=0), h


def weibull_aft(t: np.ndarray, e: np.ndarray, x: np.ndarray, *,
                max_iter: int = 100) -> WeibullAFT | None:
    """Maximum-likelihood Weibull AFT fit of times *t* [years] with events *e* on *x*.

    Model (lifelines' ``WeibullAFTFitter``): ``S(t | x) = exp(-(t / lambda)^rho)``,
    ``log lambda = b0 + b1 x``, ``rho = exp(a)``; with ``z = rho (log t - log lambda)``
    the log-likelihood is ``l = sum E (a - log t + z) - e^z`` (Kalbfleisch & Prentice
    2002, §3.2). Maximised by Newton's method with the analytic gradient and Hessian,
    step halving and a gradient step where the Hessian is not negative definite,
    started from the exponential fit (``rho = 1``, ``b1 = 0``). Deterministic; equal to
    lifelines' estimates within its optimiser's tolerance (checked in the tests).
    Returns ``None`` when the likelihood has no finite maximum within *max_iter* steps
    (e.g. all times equal: ``rho`` grows without bound).
    """
    t = np.asarray(t, float)
    e = np.asarray(e, float)
    x = np.asarray(x, float)
    logt = np.log(t)
    theta = np.array([math.log(t.sum() / max(e.sum(), 1.0)), 0.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        ll, _, grad, hess = _weibull_terms(theta, logt, e, x)
        for _ in range(max_iter):
            try:
                chol = np.linalg.cholesky(-hess)
                step = np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
            except np.linalg.LinAlgError:
                step = grad / max(1.0, float(np.abs(grad).max()))
            for _half in range(40):
                cand = theta + step
                ll_c, _, grad_c, hess_c = _weibull_terms(cand, logt, e, x)
                if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * abs(ll):
                    break
                step = step / 2.0
            else:
                return None
            theta, ll, grad, hess = cand, ll_c, grad_c, hess_c
            if float(np.abs(step).max()) < 1e-10:
                break
        else:
            return None
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return None
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0)):
        return None
    return WeibullAFT(params=theta, cov=cov, t=t, e=e, x=x)


def weibull_aft_sandwich(fit: WeibullAFT, clusters: Any = None) -> np.ndarray:
    """Cluster-robust (sandwich) covariance of a :func:`weibull_aft` fit.

    With ``z = rho (log t - log lambda)`` and ``u = e^z``, the per-spell scores of
    ``l = E (log rho + (rho - 1) log t - rho log lambda) - u`` are
    ``dl/db = rho (u - E) [1, x]`` and ``dl/da = E (1 + z) - u z``.
    ``V = H^-1 (sum_g s_g s_g^T) H^-1`` with ``H^-1`` the model-based covariance and
    ``s_g`` the scores summed over a cluster (a plot: its spells are not independent);
    the Huber-White sandwich, clustered as Lin & Wei (1989) do for the Cox model. With
    one spell per cluster it equals lifelines' ``robust=True`` (checked in the tests),
    and it stays valid when the Weibull shape is wrong.

    Returns the covariance in the order of ``fit.params``.
    """
    _, sc, _, _ = _weibull_terms(fit.params, np.log(fit.t), fit.e, fit.x)
    if clusters is not None:
        sc = pd.DataFrame(sc).groupby(np.asarray(clusters), sort=False).sum().to_numpy()
    v = fit.cov
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
