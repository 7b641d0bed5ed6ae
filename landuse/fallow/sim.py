"""Simulated plot histories with a known fallow process, to test fallow estimators.

A village of ``n_plots`` rotational plots is simulated year by year: a plot is cleared,
cropped ``C`` years (1, or 2 with probability ``p_two_cropping_years``), left fallow
``F`` years drawn from the process at the clearing year, then cleared again. The
simulation starts ``burn_in_years`` before the record, so most plots were in
rotation before the record starts (their first fallow is left-censored) and the last
fallow of each plot is open at the end of the record (right-censored), exactly as in a
real survey or an annual image series. Deterministic for a given seed.

Processes (:class:`FallowProcess`) are discrete distributions over whole years whose
mean, median and restricted mean are known exactly, so an estimator's bias can be
measured: :func:`stationary_uniform`, :func:`stationary_gamma`,
:func:`stationary_bimodal`, :func:`gradual_change`, :func:`abrupt_change`.

Examples
--------
>>> h = simulate_histories(stationary_uniform(5, 12), n_plots=3, record_years=15, seed=1)
>>> sorted(h.columns), len(h), sorted(h["status"].unique())
(['plot_id', 'status', 'village_id', 'year'], 45, ['cultivated', 'fallow'])
>>> round(stationary_uniform(5, 12).mean(0), 2)
8.5
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from landuse.errors import SchemaError

__all__ = [
    "FallowProcess",
    "abrupt_change",
    "gradual_change",
    "simulate_histories",
    "stationary_bimodal",
    "stationary_gamma",
    "stationary_uniform",
]

#: Longest fallow the processes can draw. [years]
MAX_FALLOW_YEARS = 80


@dataclass(frozen=True)
class FallowProcess:
    """A fallow-length distribution that may change with the clearing year.

    Parameters
    ----------
    name : str
        Label (used in benchmark tables).
    pmf_at : callable
        ``pmf_at(t)`` -> probabilities of ``F = 0 .. MAX_FALLOW_YEARS`` for a clearing in
        year ``t`` of the record (``t = 0`` the first record year; negative before it).
    stationary : bool
        True when ``pmf_at`` does not depend on ``t``.
    """

    name: str
    pmf_at: Callable[[float], np.ndarray] = field(repr=False)
    stationary: bool = True

    def pmf(self, t: float = 0.0) -> np.ndarray:
        """Probability of each fallow length 0, 1, 2, ... years for a clearing in record year *t*."""
        p = np.asarray(self.pmf_at(float(t)), float)
        return p / p.sum()

    def mean(self, t: float = 0.0) -> float:
        """Mean fallow length ``E[F]`` for a clearing in record year *t*. [years]"""
        p = self.pmf(t)
        return float(np.dot(np.arange(p.size), p))

    def restricted_mean(self, tau: float, t: float = 0.0) -> float:
        """Restricted mean ``E[min(F, tau)]``. [years]"""
        p = self.pmf(t)
        return float(np.dot(np.minimum(np.arange(p.size), tau), p))

    def median(self, t: float = 0.0) -> float:
        """Smallest ``m`` with ``P(F <= m) >= 0.5`` (the Kaplan-Meier median's definition,
        ``S(m) <= 0.5``). [years]"""
        return float(np.searchsorted(np.cumsum(self.pmf(t)), 0.5 - 1e-12))


def _support() -> np.ndarray:
    return np.arange(MAX_FALLOW_YEARS + 1, dtype=float)


def _uniform_pmf(lo: int, hi: int) -> np.ndarray:
    k = _support()
    return ((k >= lo) & (k <= hi)).astype(float)


def _gamma_pmf(mean: float, shape: float) -> np.ndarray:
    """Gamma(shape, mean/shape) discretised to whole years >= 1 (rounded)."""
    from scipy.stats import gamma

    k = _support()
    cdf = gamma.cdf(np.r_[k - 0.5, k[-1] + 0.5].clip(0), shape, scale=mean / shape)
    p = np.diff(cdf)
    p[0] = 0.0
    p[1] += cdf[1]  # lengths below 1.5 years -> 1 year
    return p


def stationary_uniform(lo: int = 5, hi: int = 12) -> FallowProcess:
    """Fallow uniform on the whole years ``lo .. hi`` (the issue's 5-12 years)."""
    if not 1 <= lo <= hi <= MAX_FALLOW_YEARS:
        raise SchemaError(f"need 1 <= lo <= hi <= {MAX_FALLOW_YEARS}", source="stationary_uniform",
                          hint="e.g. stationary_uniform(5, 12)")
    pmf = _uniform_pmf(lo, hi)
    return FallowProcess(f"uniform {lo}-{hi}", lambda t: pmf)


def stationary_gamma(mean: float = 8.0, shape: float = 4.0) -> FallowProcess:
    """Right-skewed fallow: gamma with the given mean and shape, in whole years >= 1."""
    pmf = _gamma_pmf(mean, shape)
    return FallowProcess(f"gamma mean {mean:g} shape {shape:g}", lambda t: pmf)


def stationary_bimodal(short: tuple[int, int] = (2, 4), long: tuple[int, int] = (10, 15),
                       p_long: float = 0.5) -> FallowProcess:
    """A mixture of short and long fallows (e.g. households with few and many plots)."""
    a = _uniform_pmf(*short)
    b = _uniform_pmf(*long)
    pmf = (1 - p_long) * a / a.sum() + p_long * b / b.sum()
    return FallowProcess(f"bimodal {short[0]}-{short[1]} / {long[0]}-{long[1]}", lambda t: pmf)


def gradual_change(start_mean: float = 12.0, end_mean: float = 4.0, over_years: float = 30.0,
                   shape: float = 8.0) -> FallowProcess:
    """Mean fallow changing linearly from *start_mean* (record start and before) to
    *end_mean* after *over_years*; gamma-distributed around it (CV ``1/sqrt(shape)``)."""
    cache: dict[float, np.ndarray] = {}

    def pmf_at(t: float) -> np.ndarray:
        f = min(max(t / over_years, 0.0), 1.0)
        m = start_mean + (end_mean - start_mean) * f
        key = round(m, 6)
        if key not in cache:
            cache[key] = _gamma_pmf(m, shape)
        return cache[key]

    return FallowProcess(f"gradual {start_mean:g} -> {end_mean:g} over {over_years:g} y",
                         pmf_at, stationary=start_mean == end_mean)


def abrupt_change(before_mean: float = 12.0, after_mean: float = 5.0, at_year: float = 15.0,
                  shape: float = 8.0) -> FallowProcess:
    """Mean fallow *before_mean* for clearings before record year *at_year*, *after_mean*
    from then on (e.g. a land allocation); gamma-distributed around it."""
    a, b = _gamma_pmf(before_mean, shape), _gamma_pmf(after_mean, shape)
    return FallowProcess(f"abrupt {before_mean:g} -> {after_mean:g} at year {at_year:g}",
                         lambda t: a if t < at_year else b, stationary=before_mean == after_mean)


def simulate_histories(process: FallowProcess, *, n_plots: int = 150, record_years: int = 30,
                       first_year: int = 1990, p_two_cropping_years: float = 0.3,
                       burn_in_years: int = 60, village_id: str = "SIM",
                       seed: int | np.random.Generator = 0) -> pd.DataFrame:
    """Simulate the plot histories of one village.

    Parameters
    ----------
    process : FallowProcess
        Fallow-length distribution by clearing year.
    n_plots : int, default 150
        Number of plots.
    record_years : int, default 30
        Years recorded, ``first_year .. first_year + record_years - 1``. [years]
    first_year : int, default 1990
    p_two_cropping_years : float, default 0.3
        Probability of cropping two years instead of one.
    burn_in_years : int, default 60
        Years simulated before the record; each plot's first clearing falls in the first
        20 of them at random. [years]
    village_id : str, default "SIM"
    seed : int or numpy.random.Generator
        Random seed; the same seed gives the same table.

    Returns
    -------
    pandas.DataFrame
        ``plot_id`` (``P0001`` ...), ``year``, ``status`` (``cultivated`` or ``fallow``),
        ``village_id``: one row per plot and record year, sorted by plot and year.
    """
    if n_plots < 1 or record_years < 2 or not 0 <= p_two_cropping_years <= 1 or burn_in_years < 0:
        raise SchemaError("need n_plots >= 1, record_years >= 2, 0 <= p_two_cropping_years <= 1, "
                          "burn_in_years >= 0", source="simulate_histories",
                          hint="e.g. simulate_histories(stationary_uniform(), n_plots=150)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    t0 = -int(burn_in_years)
    ts = np.arange(t0, record_years)
    cdf = np.cumsum(np.stack([process.pmf(float(t)) for t in ts]), axis=1)
    cdf[:, -1] = 1.0
    status = np.zeros((n_plots, record_years), bool)  # True = cultivated
    clear = t0 + rng.integers(0, min(20, burn_in_years) + 1, n_plots)
    active = clear < record_years
    while active.any():
        idx = np.flatnonzero(active)
        c = 1 + (rng.random(idx.size) < p_two_cropping_years)
        for k in range(2):
            yr = clear[idx] + k
            ok = (k < c) & (yr >= 0) & (yr < record_years)
            status[idx[ok], yr[ok]] = True
        row = np.clip(clear[idx] - t0, 0, ts.size - 1)
        u = rng.random(idx.size)
        f = (cdf[row] < u[:, None]).sum(axis=1)
        clear[idx] = clear[idx] + c + f
        active[idx] = clear[idx] < record_years
    ids = np.array([f"P{i + 1:04d}" for i in range(n_plots)])
    return pd.DataFrame({
        "plot_id": np.repeat(ids, record_years),
        "year": np.tile(np.arange(first_year, first_year + record_years), n_plots),
        "status": np.where(status.ravel(), "cultivated", "fallow"),
        "village_id": village_id,
    })
