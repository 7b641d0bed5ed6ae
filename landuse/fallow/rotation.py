"""Fallow cycles of rotational upland plots: from plot histories and annual land-cover rasters.

The shortening of fallow periods in upland rotational farming lowers soil fertility,
yields and food security: in northern Laos mean fallows fell from about 38 years
(1950s) to 20 (1970s) to about 5 (1992) [1]_, and land allocation that limited
households to three rotational plots pushed them to 2-3 years. This module measures,
per plot, per pixel and per village, how long fallows are, how fast they shorten,
and how much rotational land a sustainable cycle needs.

Definitions (``docs``: domain reference §7.1, §7.3, §7.4)
------------------------------------------------------------
clearing
    A cultivated year whose previous year is observed and not cultivated.
cropping years ``C``
    The consecutive cultivated years that start at a clearing.
fallow years ``F``
    Years from the last harvest to the next clearing.
rotation length ``L``
    ``L = C + F``, the interval between two clearings.
Ruthenberg's ``R``
    ``R = 100 C / (C + F)`` [2]_; for a plot or pixel, ``r_value_pct`` is the share of
    known years that were cultivated (the same ratio over the whole record; missing
    years filled as fallow count as fallow, other missing years are left out).

How gaps are treated
--------------------
* ``other`` (forest or any other cover) counts as fallow by default
  (``other_as="fallow"``): old fallow regrows to forest and is often mapped as forest.
  With ``other_as="break"`` it ends the rotation: a fallow run followed by ``other``
  is censored, and cultivation after ``other`` still counts as a clearing.
* A run of missing years (an absent plot-year, or raster nodata in that year) is
  assumed fallow only when the nearest observed years on both sides are fallow;
  otherwise it stays unknown and censors the cycles that touch it.
* Cycles cut by the start or end of the record or by an unknown gap are flagged
  ``censored`` and kept out of the complete-cycle means (``mean_fallow_years`` of a
  plot, ``last_fallow_years``, ``n_cycles``; ``n_clearings`` counts every observed
  clearing). Those means are descriptive only: a long fallow is less likely to end
  within the record, so they are biased short, most of all for recent clearings.

Censoring-aware estimates and trends (issue 16)
-----------------------------------------------
* :func:`fallow_spells` lists every fallow spell with its length, whether it ended
  (``observed``) or is right-censored, and whether its start is known; spells that
  began before the record are left out of the estimates (documented there).
* Village and period figures (:func:`village_summary`, :func:`decade_summary`,
  :func:`survival_curves`) are Kaplan-Meier estimates [7]_ [8]_ with confidence
  intervals: median and restricted mean fallow.
* Trends compare clearing periods over equal follow-up: every spell is followed for
  the same ``followup_years`` (10) after its start and capped there, so the end of
  the record cannot shorten recent fallows. Villages: Weibull accelerated-failure-time
  regression on clearing year [9]_, giving years per decade with a confidence interval
  and p-value; plots and pixels (:func:`plot_summary`, :func:`fallow_raster`, one
  compiled kernel): Theil-Sen slope [3]_ [4]_ and Mann-Kendall p-value [5]_ [6]_ (tie
  and continuity corrections) of the capped spells, needing ``min_trend_cycles`` (5)
  of them.
* ``shortening`` only when the drop is significant at ``alpha`` (0.05) and at least
  ``min_effect_years_per_decade`` (1 year per decade); ``insufficient data`` or
  ``insufficient follow-up`` instead of a guess (:data:`TREND_STATUSES`). The rule is
  validated on simulated villages (:mod:`landuse.fallow.sim`,
  ``benchmarks/bench_fallow_validity.py``); ``docs/fallow.md`` explains the method.

Bad histories are reported, not guessed: :func:`history_problems` lists unknown
statuses, empty ids or years, non-integer years and duplicate plot-years (identical or
contradictory) in a table; :func:`cycles` and :func:`plot_summary` raise
:class:`~landuse.errors.SchemaError` for the first of them.

The table path and the raster path share one compiled kernel, so a pixel and a plot
with the same annual sequence give exactly the same figures.

References
----------
.. [1] Roder, W., Phengchanh, S., Keobulapha, B. Weeds in slash-and-burn rice fields in
   northern Laos. Weed Research (project domain reference §5.1, §7.2).
.. [2] Ruthenberg, H. (1980). Farming Systems in the Tropics, 3rd ed. Clarendon Press
   (R after Joosten 1962).
.. [3] Theil, H. (1950). A rank-invariant method of linear and polynomial regression
   analysis. Proc. KNAW 53.
.. [4] Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's
   tau. J. Am. Stat. Assoc. 63(324), 1379-1389. :doi:`10.1080/01621459.1968.10480934`
.. [5] Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13, 245-259.
.. [6] Kendall, M. G. (1975). Rank Correlation Methods, 4th ed. Charles Griffin.
.. [7] Kaplan, E. L., Meier, P. (1958). Nonparametric estimation from incomplete
   observations. J. Am. Stat. Assoc. 53(282), 457-481.
.. [8] Klein, J. P., Moeschberger, M. L. (2003). Survival Analysis: Techniques for
   Censored and Truncated Data, 2nd ed. Springer.
.. [9] Collett, D. (2015). Modelling Survival Data in Medical Research, 3rd ed.
   Chapman & Hall/CRC.

Examples
--------
>>> import pandas as pd
>>> h = pd.DataFrame({"plot_id": "A", "year": range(2000, 2010),
...                   "status": list("CFFCCFFFCF")})
>>> h["status"] = h["status"].map({"C": "cultivated", "F": "fallow"})
>>> cycles(h)[["clearing_year", "cropping_years", "fallow_years", "censored"]]
   clearing_year  cropping_years  fallow_years  censored
0           2000               1             2      True
1           2003               2             3     False
2           2008               1             1      True
>>> s = plot_summary(h)
>>> cols = ["mean_fallow_years", "r_value_pct", "current_fallow_age_years"]
>>> s.loc[0, cols].astype(float).tolist()
[3.0, 40.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import landuse._validate as _validate
from landuse.fallow._kernel import (
    CULTIVATED,
    FALLOW,
    MISSING,
    OTHER,
    IDENTITY_LUT,
    OUTPUTS,
    _block_kernel,
    _mk_pvalue,
    reduce_sequences,
    cycles_of_sequences,
    spells_of_sequences,
)
import landuse.fallow._raster as _fallow_raster
from landuse.fallow._base import (
    _LAYER,
    ADEQUATE_FALLOW_YEARS,
    CRITICAL_FALLOW_YEARS,
    SHORT_FALLOW_YEARS,
    FallowClasses,
    _village_map,
)
import landuse.fallow._survival as _surv
from landuse.fallow._demand import (
    cropped_area_from_households,
    rotation_land_demand,
    rotational_area_from_parcels,
    sustainable_fallow_years,
    village_land_demand,
    year_fallow_becomes_critical,
)
from landuse.fallow._plots import plot_fallow_by_clearing_year, plot_fallow_histogram
from landuse.errors import SchemaError

__all__ = [
    "ADEQUATE_FALLOW_YEARS",
    "CRITICAL_FALLOW_YEARS",
    "FallowClasses",
    "RASTER_OUTPUTS",
    "SHORT_FALLOW_YEARS",
    "SUSTAINABLE_FALLOW_YEARS",
    "TREND_STATUSES",
    "cropped_area_from_histories",
    "cropped_area_from_households",
    "cycles",
    "decade_summary",
    "fallow_metrics_array",
    "fallow_raster",
    "fallow_spells",
    "history_problems",
    "mann_kendall_pvalue",
    "parcel_fallow",
    "plot_fallow_by_clearing_year",
    "plot_fallow_histogram",
    "plot_summary",
    "rotation_land_demand",
    "rotational_area_from_parcels",
    "survival_curves",
    "sustainable_fallow_years",
    "village_land_demand",
    "village_summary",
    "year_fallow_becomes_critical",
]

#: Per-pixel outputs of :func:`fallow_raster` and :func:`fallow_metrics_array`.
RASTER_OUTPUTS = OUTPUTS

#: Default target fallow ``F*`` of a sustainable rotation [years]: vegetation indices reach
#: the forest level after more than 8 years of fallow (Yamamoto, Oberthür & Lefroy 2009,
#: Environment, Development and Sustainability 11, 639-654).
SUSTAINABLE_FALLOW_YEARS = 8.0
#: Values of the ``trend_status`` / ``status`` columns.
TREND_STATUSES = (_surv.SHORTENING, _surv.LENGTHENING, _surv.NO_CLEAR_TREND,
                  _surv.INSUFFICIENT_DATA, _surv.INSUFFICIENT_FOLLOW_UP)

_STATUS_CODES = {"cultivated": CULTIVATED, "fallow": FALLOW, "other": OTHER}
_STATUS_ALIASES = {"cropped": "cultivated", "crop": "cultivated", "forest": "other"}


# -- statistics -------------------------------------------------------------------------
def mann_kendall_pvalue(values: Any) -> float:
    """Two-sided Mann-Kendall trend test p-value of a series in time order.

    Parameters
    ----------
    values : array-like
        Observations in time order (NaN not allowed).

    Returns
    -------
    float
        p-value; NaN for fewer than 2 values.

    Notes
    -----
    .. math::
        S = \\sum_{i<j} \\operatorname{sgn}(x_j - x_i), \\qquad
        \\operatorname{Var}(S) = \\frac{n(n-1)(2n+5) - \\sum_t t(t-1)(2t+5)}{18}

    with ``t`` the sizes of tied groups;
    :math:`Z = (S - \\operatorname{sgn} S)/\\sqrt{\\operatorname{Var} S}` and
    :math:`p = 2(1 - \\Phi(|Z|))`. No correction for serial correlation [1]_ [2]_.

    References
    ----------
    .. [1] Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13, 245-259.
    .. [2] Kendall, M. G. (1975). Rank Correlation Methods, 4th ed. Charles Griffin.

    Examples
    --------
    >>> round(mann_kendall_pvalue([20, 15, 9, 5]), 4)
    0.0894
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or np.isnan(x).any():
        raise SchemaError("mann_kendall_pvalue needs a 1-D series without NaN",
                          hint="drop missing values first")
    if x.size < 2:
        return float("nan")
    return float(_mk_pvalue(x, x.size))


# -- histories --------------------------------------------------------------------------
def history_problems(histories: pd.DataFrame) -> pd.DataFrame:
    """List every fault of a plot-history table instead of stopping at the first.

    Parameters
    ----------
    histories : pandas.DataFrame
        Columns ``plot_id``, ``year``, ``status`` (``cultivated``, ``fallow``,
        ``other``; ``cropped``/``crop`` and ``forest`` accepted, any case).

    Returns
    -------
    pandas.DataFrame
        Columns ``plot_id``, ``year``, ``problem`` (``empty_plot_id``, ``bad_year``,
        ``unknown_status``, ``duplicate``, ``contradictory``) and ``detail``; empty
        when the table is clean. Sorted by plot, year and problem.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": ["A", "A", "A", "B"], "year": [2000, 2000, 2001, 2000],
    ...                   "status": ["fallow", "cultivated", "burnt", "fallow"]})
    >>> history_problems(h)[["plot_id", "year", "problem"]]
      plot_id  year        problem
    0       A  2000  contradictory
    1       A  2001 unknown_status
    """
    _validate.require_columns(histories, ("plot_id", "year", "status"), layer=_LAYER)
    rows: list[dict[str, Any]] = []
    df = histories[["plot_id", "year", "status"]].copy()
    ids = df["plot_id"]
    years = pd.to_numeric(df["year"], errors="coerce")
    status = _normalise_status(df["status"])
    for pos in np.flatnonzero(_blank_ids(ids)):
        rows.append(dict(plot_id=None, year=years.iloc[pos], problem="empty_plot_id",
                         detail=f"row {pos + 1} has no plot_id"))
    bad_year = years.isna() | (years != np.round(years)) | (years < 1800) | (years > 2200)
    for pos in np.flatnonzero(bad_year.to_numpy()):
        rows.append(dict(plot_id=ids.iloc[pos], year=None, problem="bad_year",
                         detail=f"row {pos + 1}: year {df['year'].iloc[pos]!r} is not a whole "
                         "year between 1800 and 2200"))
    unknown = ~status.isin(list(_STATUS_CODES))
    for pos in np.flatnonzero(unknown.to_numpy()):
        rows.append(dict(plot_id=ids.iloc[pos], year=years.iloc[pos], problem="unknown_status",
                         detail=f"status {df['status'].iloc[pos]!r} is not cultivated, fallow "
                         "or other"))
    ok = ~bad_year & ids.notna() & ~unknown
    sub = pd.DataFrame({"plot_id": ids[ok].astype(str), "year": years[ok], "status": status[ok]})
    dup = sub[sub.duplicated(["plot_id", "year"], keep=False)]
    for (pid, yr), grp in dup.groupby(["plot_id", "year"], sort=True):
        kinds = sorted(set(grp["status"]))
        if len(kinds) > 1:
            rows.append(dict(plot_id=pid, year=yr, problem="contradictory",
                             detail=f"{len(grp)} rows with statuses {', '.join(kinds)}"))
        else:
            rows.append(dict(plot_id=pid, year=yr, problem="duplicate",
                             detail=f"{len(grp)} identical rows ({kinds[0]})"))
    out = pd.DataFrame(rows, columns=["plot_id", "year", "problem", "detail"])
    if len(out):
        out["year"] = out["year"].astype("Int64")
        out = out.sort_values(["plot_id", "year", "problem"], na_position="first", kind="stable")
    return out.reset_index(drop=True)


def _blank_ids(ids: pd.Series) -> np.ndarray:
    """Whether each id is missing or blank (each distinct id is looked at once)."""
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    blank_u = np.fromiter((str(u).strip() == "" for u in uniques), dtype=bool, count=len(uniques))
    return (codes < 0) | np.append(blank_u, False)[codes]


def _sorted_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` for an object array of str, by hashing first."""
    codes, uniques = pd.factorize(ids)
    uniques = np.asarray(uniques, dtype=object)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return uniques[order], rank[codes]


def _normalise_status(values: pd.Series) -> pd.Series:
    """Statuses stripped, lower case, aliases resolved (missing: ``pd.NA``); object dtype.

    Each distinct value is normalised once and mapped back (a history table holds a
    handful of distinct statuses over thousands of rows).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    norm = (pd.Series(uniques, dtype=object).astype("string").str.strip().str.lower()
            .replace(_STATUS_ALIASES).astype(object).to_numpy())
    out = np.empty(len(codes), dtype=object)
    hit = codes >= 0
    out[hit] = norm[codes[hit]]
    out[~hit] = pd.NA
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def _check_option(value: str, allowed: tuple[str, ...], name: str) -> str:
    return _validate.check_option(value, allowed, name=name)


@dataclass(frozen=True)
class _Stack:
    """Histories as a contiguous (year, plot) code array."""

    plot_ids: np.ndarray
    years: np.ndarray
    codes: np.ndarray  # (T, N) uint8
    first_year: np.ndarray
    last_year: np.ndarray
    n_observed: np.ndarray


#: the last stack built, with the table it came from and the table's row hashes: a
#: village's fallow figures read the same histories many times (plot summary, cycles,
#: spells, survival, trend, cropped area), and the stack is built once for them
_LAST_STACK: list[tuple[pd.DataFrame, np.ndarray, _Stack]] = []


def _row_hashes(histories: pd.DataFrame) -> np.ndarray | None:
    """A hash of each row's plot, year and status (None when a column is missing or unhashable)."""
    try:
        cols = histories[["plot_id", "year", "status"]]
        return pd.util.hash_pandas_object(cols, index=False).to_numpy()
    except (KeyError, TypeError, ValueError):
        return None


def _history_stack(histories: pd.DataFrame) -> _Stack:
    """The stack of *histories*, reused while the same table holds the same rows."""
    hashes = _row_hashes(histories)
    if hashes is not None and _LAST_STACK:
        table, seen, st = _LAST_STACK[0]
        if table is histories and np.array_equal(seen, hashes):
            return st
    st = _build_stack(histories)
    _LAST_STACK[:] = [(histories, hashes, st)] if hashes is not None else []
    return st


def _build_stack(histories: pd.DataFrame) -> _Stack:
    problems = history_problems(histories)
    if len(problems):
        p = problems.iloc[0]
        more = f" ({len(problems)} problems in all)" if len(problems) > 1 else ""
        year = "" if pd.isna(p["year"]) else f", year {int(p['year'])}"
        raise SchemaError(
            f"{p['problem'].replace('_', ' ')}{year}: {p['detail']}{more}",
            source=_validate.layer_name(histories, _LAYER),
            feature_id=p["plot_id"],
            column="status" if p["problem"] in ("unknown_status", "contradictory") else
            ("year" if p["problem"] == "bad_year" else "plot_id"),
            hint="landuse.fallow.history_problems(histories) lists every problem; keep one "
            "row per plot and year with status cultivated, fallow or other",
        )
    if len(histories) == 0:
        raise SchemaError("the history table has no rows", source=_LAYER,
                          hint="give at least one plot-year")
    ids = histories["plot_id"].astype(str).to_numpy()
    years = pd.to_numeric(histories["year"]).to_numpy().astype(np.int64)
    status = _normalise_status(histories["status"])
    codes_1d = status.map(_STATUS_CODES).to_numpy().astype(np.uint8)
    plot_ids, inv = _sorted_ids(ids)
    y0, y1 = int(years.min()), int(years.max())
    T, N = y1 - y0 + 1, plot_ids.size
    codes = np.full((T, N), MISSING, np.uint8)
    codes[years - y0, inv] = codes_1d
    first = np.full(N, np.iinfo(np.int64).max)
    last = np.full(N, np.iinfo(np.int64).min)
    np.minimum.at(first, inv, years)
    np.maximum.at(last, inv, years)
    n_obs = np.bincount(inv, minlength=N)
    return _Stack(plot_ids, np.arange(y0, y1 + 1), codes, first, last, n_obs)


def cycles(histories: pd.DataFrame, *, other_as: str = "fallow",
           include_censored: bool = True) -> pd.DataFrame:
    """Cut each plot's history into fallow cycles.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status`` (see :func:`history_problems`); years may be
        missing.
    other_as : {'fallow', 'break'}, default 'fallow'
        How ``other`` years count (module notes).
    include_censored : bool, default True
        Keep the cycles cut by the record edges or unknown gaps (flagged ``censored``).

    Returns
    -------
    pandas.DataFrame
        One row per cycle, sorted by plot and clearing year: ``plot_id``,
        ``clearing_year`` (first cultivated year; for a left-censored cycle the first
        cultivated year observed), ``cropping_years`` C [years], ``fallow_years`` F
        [years], ``rotation_years`` L = C + F [years], ``r_value_pct`` = 100 C / L [%],
        ``left_censored``, ``right_censored``, ``censored`` (either).

    Raises
    ------
    SchemaError
        Missing columns, unknown statuses, bad years or duplicate plot-years.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "P", "year": [1990, 1991, 1992, 1994, 1995],
    ...                   "status": ["fallow", "cultivated", "fallow", "fallow", "cultivated"]})
    >>> cycles(h)[["clearing_year", "cropping_years", "fallow_years", "censored"]]
       clearing_year  cropping_years  fallow_years  censored
    0           1991               1             3     False
    1           1995               1             0      True
    """
    _check_option(other_as, ("fallow", "break"), "other_as")
    st = _history_stack(histories)
    seq, start, c, f, lc, rc = cycles_of_sequences(st.codes, other_as == "fallow")
    out = pd.DataFrame({
        "plot_id": st.plot_ids[seq],
        "clearing_year": st.years[start].astype(np.int64),
        "cropping_years": c.astype(np.int64),
        "fallow_years": f.astype(np.int64),
        "rotation_years": (c + f).astype(np.int64),
        "r_value_pct": 100.0 * c / (c + f),
        "left_censored": lc,
        "right_censored": rc,
        "censored": lc | rc,
    })
    if not include_censored:
        out = out[~out["censored"]]
    return out.sort_values(["plot_id", "clearing_year"], kind="stable").reset_index(drop=True)


def fallow_spells(histories: pd.DataFrame, *, other_as: str = "fallow") -> pd.DataFrame:
    """Cut each plot's history into fallow spells for survival analysis.

    A spell is a run of fallow years (after the ``other`` and gap rules of the module
    notes). Its length is *observed* when the next year is a clearing; otherwise it is
    right-censored (open at the end of the plot's record, cut by an unknown gap, or by
    ``other`` in break mode): the fallow lasts at least ``duration_years``. A spell whose
    first year follows an observed cultivated year has a known start; one that starts
    the record (or follows a gap) is left-censored: it began before what was seen, so
    neither its length nor its age at the start of the record is known.

    The estimators (:func:`village_summary`, :func:`decade_summary`,
    :func:`survival_curves`) use the spells with a known start only. Selecting spells by
    where they start, not by how long they last, does not bias the fallow-length
    distribution of the spells that start within the record, whereas left truncation
    would need each spell's age at entry, which is unknown here. The left-censored
    spells are listed so that nothing is dropped silently.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status`` (see :func:`history_problems`).
    other_as : {'fallow', 'break'}, default 'fallow'
        How ``other`` years count.

    Returns
    -------
    pandas.DataFrame
        One row per spell, sorted by plot and start: ``plot_id``, ``start_year`` (first
        fallow year seen), ``duration_years`` (fallow years seen) [years], ``observed``
        (bool, ended by a clearing), ``start_known`` (bool; False = left-censored),
        ``clearing_year`` (first year of the cultivated run before the spell; NaN when
        the start is unknown), ``cropping_years`` (that run's length; 0 when unknown)
        [years], ``record_end_year`` (the plot's last observed year),
        ``followup_years`` = ``record_end_year - start_year + 1`` [years].

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "A", "year": range(2000, 2010),
    ...                   "status": list("FFCFFFCCFF")})
    >>> h["status"] = h["status"].map({"C": "cultivated", "F": "fallow"})
    >>> fallow_spells(h)[["start_year", "duration_years", "observed", "start_known"]]
       start_year  duration_years  observed  start_known
    0        2000               2      True        False
    1        2003               3      True         True
    2        2008               2     False         True
    """
    _check_option(other_as, ("fallow", "break"), "other_as")
    st = _history_stack(histories)
    seq, start, length, ev, known, c, clear = spells_of_sequences(st.codes, other_as == "fallow")
    start_year = st.years[start].astype(np.int64)
    end = st.last_year[seq].astype(np.int64)
    out = pd.DataFrame({
        "plot_id": st.plot_ids[seq],
        "start_year": start_year,
        "duration_years": length.astype(np.int64),
        "observed": ev.astype(bool),
        "start_known": known.astype(bool),
        "clearing_year": np.where(known, st.years[np.maximum(clear, 0)], np.nan),
        "cropping_years": c.astype(np.int64),
        "record_end_year": end,
        "followup_years": end - start_year + 1,
    })
    return out.sort_values(["plot_id", "start_year"], kind="stable").reset_index(drop=True)


def _trend_options(alpha: float, followup_years: int, min_effect_years_per_decade: float,
                   min_events: int = 20, min_span_years: int = 5,
                   restrict_years: float = 15.0) -> _surv.TrendOptions:
    if not 0 < alpha < 1:
        raise SchemaError(f"alpha={alpha!r} must be between 0 and 1", hint="e.g. alpha=0.05")
    if int(followup_years) < 2:
        raise SchemaError(f"followup_years={followup_years!r} must be >= 2",
                          hint="the default, 10 years, follows every clearing period 10 years")
    if not min_effect_years_per_decade >= 0:
        raise SchemaError(f"min_effect_years_per_decade={min_effect_years_per_decade!r} must "
                          "be >= 0", hint="e.g. 1.0 (one year of fallow lost per decade)")
    if not restrict_years > 0:
        raise SchemaError(f"restrict_years={restrict_years!r} must be > 0", hint="e.g. 15")
    return _surv.TrendOptions(alpha=float(alpha), followup_years=int(followup_years),
                              min_effect_years_per_decade=float(min_effect_years_per_decade),
                              min_events=int(min_events), min_span_years=int(min_span_years),
                              restrict_years=float(restrict_years))


def _retired(window_years: Any, min_drop_years: Any, where: str) -> None:
    if window_years is not None or min_drop_years is not None:
        import warnings

        warnings.warn(f"{where}: window_years and min_drop_years are no longer used (the "
                      "window rule was biased by right-censoring); use followup_years and "
                      "min_effect_years_per_decade", FutureWarning, stacklevel=3)


def _kernel_options(other_as: str, alpha: float, followup_years: int,
                    min_effect_years_per_decade: float,
                    min_trend_cycles: int) -> tuple[bool, float, int, float, int]:
    _check_option(other_as, ("fallow", "break"), "other_as")
    o = _trend_options(alpha, followup_years, min_effect_years_per_decade)
    if int(min_trend_cycles) < 2:
        raise SchemaError(f"min_trend_cycles={min_trend_cycles!r} must be >= 2",
                          hint="a trend needs at least two spells; the default is 4")
    return (other_as == "fallow", o.alpha, o.followup_years, o.min_effect_years_per_decade,
            int(min_trend_cycles))


def _plot_status(short: np.ndarray, slope: np.ndarray, p: np.ndarray, alpha: float,
                 min_effect: float) -> np.ndarray:
    out = np.full(short.shape, _surv.NO_CLEAR_TREND, dtype=object)
    out[np.isnan(short)] = _surv.INSUFFICIENT_DATA
    out[short == 1.0] = _surv.SHORTENING
    out[(p < alpha) & (slope >= min_effect)] = _surv.LENGTHENING
    return out


def plot_summary(histories: pd.DataFrame, *, classes: FallowClasses | None = None,
                 other_as: str = "fallow", alpha: float = 0.05, window_years: Any = None,
                 min_drop_years: Any = None, min_trend_cycles: int = 5,
                 followup_years: int = 10,
                 min_effect_years_per_decade: float = 1.0) -> pd.DataFrame:
    """Summarise the fallow cycles of each plot.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status``.
    classes : FallowClasses, optional
        Class bounds for ``status_class`` (default 3 / 7 / 11 years).
    other_as : {'fallow', 'break'}, default 'fallow'
        How ``other`` years count.
    alpha : float, default 0.05
        Significance level of the trend test.
    window_years, min_drop_years
        No longer used (the old window rule was biased by right-censoring); passing
        them warns.
    min_trend_cycles : int, default 5
        Equal-follow-up spells needed for a trend (with fewer than 5 the two-sided
        Mann-Kendall test cannot reach p < 0.05); below it ``trend_status`` is
        ``insufficient data``.
    followup_years : int, default 10
        Horizon ``H`` of the equal-follow-up rule. [years]
    min_effect_years_per_decade : float, default 1.0
        Smallest drop that counts as ``shortening``. [years decade⁻¹]

    Returns
    -------
    pandas.DataFrame
        One row per plot (sorted): ``plot_id``, ``first_year``, ``last_year``,
        ``n_years_observed``, ``n_clearings``, ``n_cycles`` (complete cycles),
        ``mean_fallow_years``, ``last_fallow_years``, ``mean_cropping_years``,
        ``mean_rotation_years`` (complete cycles: descriptive only, these are biased
        short because a long fallow is less likely to end within the record) [years],
        ``current_fallow_age_years`` (last record year minus last cultivated year; NaN
        if never cultivated) [years], ``r_value_pct`` (100 x cultivated / known years,
        a filled missing year counting as fallow) [%],
        ``fallow_trend_years_per_decade`` (Theil-Sen slope of the equal-follow-up
        values) [years decade⁻¹], ``mk_p_value``, ``n_trend_spells``, ``shortening``
        (bool), ``trend_status`` (one of :data:`TREND_STATUSES`) and ``status_class`` of
        the last complete fallow (``critical``, ``short``, ``adequate``, ``long``;
        ``permanent`` for a plot cultivated every observed year; ``unknown`` otherwise).

    Notes
    -----
    Equal follow-up: every fallow spell with a known start year ``s`` and
    ``s + H - 1 <= last_year`` is valued ``y = min(F, H)`` (a spell still open after
    ``H`` years counts as ``H``; spells cut earlier by a gap are left out). All spells
    are then seen over the same ``H`` years, so right-censoring at the end of the record
    cannot make recent fallows look shorter. The Theil-Sen slope [3]_ [4]_ of ``y``
    against the spell's start year and the two-sided Mann-Kendall p-value [5]_ [6]_ give
    the trend; ``shortening`` when ``p < alpha`` and the slope is at most
    ``-min_effect_years_per_decade``. The same rule runs per pixel in
    :func:`fallow_raster`.

    Raises
    ------
    SchemaError
        Bad histories (see :func:`history_problems`) or options.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "P", "year": range(1990, 2000), "status": "cultivated"})
    >>> plot_summary(h)[["n_cycles", "r_value_pct", "status_class", "trend_status"]]
       n_cycles  r_value_pct status_class       trend_status
    0         0        100.0    permanent  insufficient data
    """
    _retired(window_years, min_drop_years, "plot_summary")
    opts = _kernel_options(other_as, alpha, followup_years, min_effect_years_per_decade,
                           min_trend_cycles)
    classes = classes or FallowClasses()
    st = _history_stack(histories)
    res = reduce_sequences(st.codes, IDENTITY_LUT, *opts)[0]
    out = pd.DataFrame({"plot_id": st.plot_ids, "first_year": st.first_year,
                        "last_year": st.last_year, "n_years_observed": st.n_observed})
    for k, name in enumerate(OUTPUTS):
        out[name] = res[k]
    for name in ("n_clearings", "n_cycles", "n_trend_spells"):
        out[name] = out[name].astype(np.int64)
    short = res[OUTPUTS.index("shortening")].astype(float)
    out["shortening"] = short == 1.0
    out["trend_status"] = _plot_status(short, out["fallow_trend_years_per_decade"].to_numpy(float),
                                       out["mk_p_value"].to_numpy(float), opts[1], opts[3])
    cls = classes.classify(out["last_fallow_years"])
    cls[(cls == "unknown") & (out["r_value_pct"].to_numpy() == 100.0)] = "permanent"
    out["status_class"] = cls
    return out.reset_index(drop=True)


# -- roll-ups ---------------------------------------------------------------------------
def _trend(years: np.ndarray, values: np.ndarray, min_n: int) -> tuple[float, float]:
    if len(values) < min_n:
        return float("nan"), float("nan")
    from scipy.stats import theilslopes

    slope = theilslopes(values, years).slope
    return 10.0 * float(slope), mann_kendall_pvalue(values)


def _spells_with_villages(histories: pd.DataFrame, villages: Any, other_as: str,
                          *, default_all: bool) -> pd.DataFrame:
    sp = fallow_spells(histories, other_as=other_as)
    if default_all and villages is None and "village_id" not in histories.columns:
        sp["village_id"] = "all"
    else:
        vmap = _village_map(sp["plot_id"].unique(), histories, villages)
        sp["village_id"] = vmap.reindex(sp["plot_id"].astype(str)).to_numpy()
    return sp


def _village_row(vid: Any, grp: pd.DataFrame, vc: pd.DataFrame, vs: pd.DataFrame, opts: Any) -> dict[str, Any]:
    """One row of :func:`village_summary`: a village's plots *grp*, complete cycles *vc*, spells *vs*."""
    known = vs[vs["start_known"]]
    km = _surv.km_figures(known["duration_years"].to_numpy(), known["observed"].to_numpy(),
                          restrict_years=opts.restrict_years, alpha=opts.alpha)
    ref = km["mean_fallow_years"]
    if not np.isfinite(ref):
        ref = km["median_fallow_years"]
    if not np.isfinite(ref):
        eq = _surv.equal_followup_spells(known, opts.followup_years)
        ref = float(eq["duration_years"].mean()) if len(eq) else np.nan
    tr = _surv.aft_trend(known, opts, reference_years=ref)
    counts = grp["status_class"].value_counts()
    return {
        "village_id": vid, "n_plots": len(grp), "n_cycles": len(vc),
        "n_spells": km["n_spells"], "n_events": km["n_events"],
        "n_left_censored": int((~vs["start_known"]).sum()),
        **{k: km[k] for k in ("median_fallow_years", "median_fallow_years_lo",
                              "median_fallow_years_hi", "mean_fallow_years",
                              "mean_fallow_years_lo", "mean_fallow_years_hi")},
        "mean_fallow_complete_cycles_years":
            vc["fallow_years"].mean() if len(vc) else np.nan,
        "mean_r_value_pct": grp["r_value_pct"].mean(),
        **{f"n_{k}": int(counts.get(k, 0)) for k in ("critical", "short", "adequate", "long")},
        **tr,
        "shortening": tr["status"] == _surv.SHORTENING,
        "fallow_trend_years_per_decade": tr["trend_yr_per_decade"],
    }


def village_summary(histories: pd.DataFrame, *, villages: Any = None,
                    classes: FallowClasses | None = None, other_as: str = "fallow",
                    alpha: float = 0.05, window_years: Any = None, min_drop_years: Any = None,
                    min_trend_cycles: int = 5, followup_years: int = 10,
                    min_effect_years_per_decade: float = 1.0, restrict_years: float = 15.0,
                    min_events: int = 20) -> pd.DataFrame:
    r"""Censoring-aware fallow length and trend of each village.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status`` (and ``village_id`` if *villages* is not given).
    villages : pandas.DataFrame or Series, optional
        Plot to village mapping: a table with ``parcel_id`` (or ``plot_id``) and
        ``village_id`` (e.g. the parcels layer), or a Series indexed by plot id.
    classes, other_as, min_trend_cycles
        As in :func:`plot_summary` (for the plot counts by class).
    alpha : float, default 0.05
        Significance level of the trend test; confidence intervals are ``1 - alpha``.
    window_years, min_drop_years
        No longer used; passing them warns.
    followup_years : int, default 10
        Horizon ``H`` of the equal-follow-up trend test. [years]
    min_effect_years_per_decade : float, default 1.0
        Smallest change that counts as ``shortening`` or ``lengthening``: one year of
        fallow per decade, about 12 % of an 8-year fallow. [years decade⁻¹]
    restrict_years : float, default 15
        Restriction time ``tau`` of the restricted mean. [years]
    min_events : int, default 20
        Ended spells needed in the equal-follow-up set for a trend.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``village_id`` (sorted): ``n_plots``, ``n_cycles`` (complete
        cycles), ``n_spells`` and ``n_events`` (fallow spells with a known start, and
        those ended by a clearing), ``n_left_censored`` (spells left out: start before
        the record or after a gap), ``median_fallow_years`` with ``_lo``/``_hi``
        (Kaplan-Meier median and its confidence interval) [years],
        ``mean_fallow_years`` with ``_lo``/``_hi`` (restricted mean
        ``integral_0^tau S(t) dt``, NaN when the follow-up is shorter than ``tau`` and
        the curve does not reach 0) [years], ``mean_fallow_complete_cycles_years``
        (the biased old figure, for comparison) [years], ``mean_r_value_pct`` [%],
        ``n_critical`` … ``n_long`` (plots by class of their last fallow),
        ``n_trend_spells``, ``n_trend_events``, ``trend_yr_per_decade`` with ``_lo``/``_hi``
        [years decade⁻¹], ``trend_pct_per_decade`` with ``_lo``/``_hi`` [% decade⁻¹],
        ``p_value``, ``status`` (one of :data:`TREND_STATUSES`), ``shortening`` (bool)
        and ``fallow_trend_years_per_decade`` (= ``trend_yr_per_decade``).

    Notes
    -----
    Spells (:func:`fallow_spells`) with a known start enter the Kaplan-Meier
    product-limit estimator [7]_ [8]_ :math:`\hat S(t) = \prod_{t_i \le t}(1 - d_i/n_i)`
    (lifelines' estimator, computed in closed form), an ended spell as an event at ``F`` and an open one with ``k``
    years seen as censored at ``k - 1`` (``F >= k``); Greenwood's variance gives the
    intervals [8]_ [9]_.

    Trend: the spells with equal follow-up ``H`` (see :func:`plot_summary`), each
    censored at ``H``, are fitted with a Weibull accelerated-failure-time model
    [9]_ :math:`\log F = \beta_0 + \beta_1 (x - \bar x)/10 + \sigma W` on the
    clearing year ``x`` (lifelines' ``WeibullAFTFitter`` model, fitted by Newton's method;
    Huber-White sandwich variance
    clustered by plot, as the spells of one plot are not independent).
    Because every clearing period is followed for the same ``H`` years, the spells of
    a village whose fallow never changes are identically distributed whatever their
    clearing year, so the test keeps its level even when the Weibull shape is wrong.
    ``trend_pct_per_decade = 100 (e^{\beta_1} - 1)``;
    ``trend_yr_per_decade = (e^{\beta_1} - 1) × mean_fallow_years`` (the median, or the
    mean of the capped spells, when the mean is undefined). ``status`` is
    ``shortening`` when ``p_value < alpha`` and ``trend_yr_per_decade <=
    -min_effect_years_per_decade`` (``lengthening`` symmetrically), ``no clear trend``
    otherwise, ``insufficient follow-up`` when the clearings followed ``H`` years span
    fewer than 5 years (record shorter than about ``H + 5`` years) and ``insufficient
    data`` with fewer than *min_events* ended spells. ``benchmarks/bench_fallow_validity.py``
    measures the false-alarm rate, bias and power on simulated villages
    (:mod:`landuse.fallow.sim`).

    References
    ----------
    .. [7] Kaplan, E. L., Meier, P. (1958). Nonparametric estimation from incomplete
       observations. J. Am. Stat. Assoc. 53(282), 457-481.
    .. [8] Klein, J. P., Moeschberger, M. L. (2003). Survival Analysis: Techniques for
       Censored and Truncated Data, 2nd ed. Springer.
    .. [9] Collett, D. (2015). Modelling Survival Data in Medical Research, 3rd ed.
       Chapman & Hall/CRC.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": ["A"] * 6 + ["B"] * 6, "year": list(range(6)) * 2,
    ...                   "status": ["fallow", "cultivated", "fallow", "fallow", "cultivated",
    ...                              "fallow"] * 2, "village_id": "V1"})
    >>> h["year"] += 2000
    >>> v = village_summary(h)
    >>> [float(v.loc["V1", k]) for k in ("n_plots", "n_spells", "n_events", "median_fallow_years")]
    [2.0, 4.0, 2.0, 2.0]
    >>> v.loc["V1", "status"]
    'insufficient follow-up'
    """
    _retired(window_years, min_drop_years, "village_summary")
    opts = _trend_options(alpha, followup_years, min_effect_years_per_decade, min_events,
                          restrict_years=restrict_years)
    summ = plot_summary(histories, classes=classes, other_as=other_as, alpha=alpha,
                        min_trend_cycles=min_trend_cycles, followup_years=followup_years,
                        min_effect_years_per_decade=min_effect_years_per_decade)
    cyc = cycles(histories, other_as=other_as, include_censored=False)
    vmap = _village_map(summ["plot_id"], histories, villages)
    summ["village_id"] = vmap.reindex(summ["plot_id"].astype(str)).to_numpy()
    cyc["village_id"] = vmap.reindex(cyc["plot_id"].astype(str)).to_numpy()
    sp = fallow_spells(histories, other_as=other_as)
    sp["village_id"] = vmap.reindex(sp["plot_id"].astype(str)).to_numpy()
    rows = []
    for vid, grp in summ.groupby("village_id", sort=True):
        rows.append(_village_row(vid, grp, cyc[cyc["village_id"] == vid], sp[sp["village_id"] == vid], opts))
    return pd.DataFrame(rows).set_index("village_id")


def decade_summary(histories: pd.DataFrame, *, villages: Any = None,
                   other_as: str = "fallow", period_years: int = 10,
                   restrict_years: float = 15.0, alpha: float = 0.05) -> pd.DataFrame:
    """Fallow length per village and period of clearing, censoring-aware.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status`` (and optionally ``village_id``).
    villages : optional
        Plot to village mapping (as in :func:`village_summary`).
    other_as : {'fallow', 'break'}, default 'fallow'
    period_years : int, default 10
        Length of a clearing period (10: decades 1990, 2000, ...). [years]
    restrict_years : float, default 15
        Restriction time of the restricted mean. [years]
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        Columns ``village_id``, ``decade`` (first year of the period, e.g. 1990),
        ``n_spells``, ``n_events``, ``median_fallow_years`` with ``_lo``/``_hi``,
        ``mean_fallow_years`` with ``_lo``/``_hi`` (Kaplan-Meier median and restricted
        mean of the spells that started after a clearing in the period, as in
        :func:`village_summary`) [years], ``status`` (``ok``, ``insufficient
        follow-up`` when the period's spells are not followed ``restrict_years`` and
        the curve does not reach 0, so its mean is not known yet, ``insufficient
        data``), and the complete-cycle figures ``n_cycles``,
        ``mean_fallow_complete_cycles_years``, ``mean_rotation_years`` (biased short
        for recent periods, kept for comparison). Sorted by village and period.
        Without any village information all plots form the village ``"all"``.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "A", "year": range(1988, 2014),
    ...                   "status": ["fallow", "cultivated"] + ["fallow"] * 11 + ["cultivated"]
    ...                   + ["fallow"] * 5 + ["cultivated"] + ["fallow"] * 2 + ["cultivated"]
    ...                   + ["fallow"] * 3})
    >>> d = decade_summary(h)
    >>> d[["decade", "n_spells", "n_events"]].values.tolist()
    [[1980, 1, 1], [2000, 2, 2], [2010, 1, 0]]
    >>> d["median_fallow_years"].tolist(), d["status"].tolist()
    ([11.0, 2.0, nan], ['ok', 'ok', 'insufficient data'])
    """
    if int(period_years) < 1:
        raise SchemaError(f"period_years={period_years!r} must be >= 1", hint="e.g. 10")
    opts = _trend_options(alpha, 10, 1.0, restrict_years=restrict_years)
    sp = _spells_with_villages(histories, villages, other_as, default_all=True)
    sp = sp[sp["start_known"]].copy()
    sp["decade"] = (sp["clearing_year"].astype(np.int64) // period_years) * period_years
    cyc = cycles(histories, other_as=other_as, include_censored=False)
    if villages is None and "village_id" not in histories.columns:
        cyc["village_id"] = "all"
    else:
        vmap = _village_map(cyc["plot_id"].unique(), histories, villages)
        cyc["village_id"] = vmap.reindex(cyc["plot_id"].astype(str)).to_numpy()
    cyc["decade"] = (cyc["clearing_year"] // period_years) * period_years
    rows = []
    for (vid, dec), g in sp.groupby(["village_id", "decade"], sort=True):
        km = _surv.km_figures(g["duration_years"].to_numpy(), g["observed"].to_numpy(),
                              restrict_years=opts.restrict_years, alpha=opts.alpha)
        c = cyc[(cyc["village_id"] == vid) & (cyc["decade"] == dec)]
        status = km.pop("km_status")
        rows.append({"village_id": vid, "decade": int(dec), **km, "status": status,
                     "n_cycles": len(c),
                     "mean_fallow_complete_cycles_years":
                         c["fallow_years"].mean() if len(c) else np.nan,
                     "mean_rotation_years": c["rotation_years"].mean() if len(c) else np.nan})
    cols = ["village_id", "decade", "n_spells", "n_events", "median_fallow_years",
            "median_fallow_years_lo", "median_fallow_years_hi", "mean_fallow_years",
            "mean_fallow_years_lo", "mean_fallow_years_hi", "status", "n_cycles",
            "mean_fallow_complete_cycles_years", "mean_rotation_years"]
    return pd.DataFrame(rows, columns=cols)


def survival_curves(histories: pd.DataFrame, *, villages: Any = None, other_as: str = "fallow",
                    period_years: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier fallow survival curves per village and period of clearing.

    ``S(t)`` is the share of fallows that last longer than ``t`` years (spells with a
    known start; censoring as in :func:`village_summary`).

    Returns
    -------
    pandas.DataFrame
        Long table: ``village_id``, ``decade`` (first year of the period),
        ``time_years`` [years], ``survival``, ``survival_lo``, ``survival_hi``
        (``1 - alpha`` pointwise interval), ``at_risk``; one row per step, starting
        at ``time_years = 0`` with ``survival = 1``.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "A", "year": range(2000, 2010),
    ...                   "status": list("CFFCFFFFCF")})
    >>> h["status"] = h["status"].map({"C": "cultivated", "F": "fallow"})
    >>> survival_curves(h)[["decade", "time_years", "survival"]]
       decade  time_years  survival
    0    2000         0.0       1.0
    1    2000         2.0       0.5
    2    2000         4.0       0.0
    """
    if int(period_years) < 1:
        raise SchemaError(f"period_years={period_years!r} must be >= 1", hint="e.g. 10")
    _trend_options(alpha, 10, 1.0)
    sp = _spells_with_villages(histories, villages, other_as, default_all=True)
    sp = sp[sp["start_known"]].copy()
    sp["decade"] = (sp["clearing_year"].astype(np.int64) // period_years) * period_years
    parts = []
    for (vid, dec), g in sp.groupby(["village_id", "decade"], sort=True):
        t, e = _surv.survival_times(g["duration_years"].to_numpy(), g["observed"].to_numpy())
        if not len(t):
            continue
        km = _surv.kaplan_meier(t, e, alpha=alpha)
        parts.append(pd.DataFrame({
            "village_id": vid, "decade": int(dec), "time_years": km.time,
            "survival": km.survival, "survival_lo": km.lo, "survival_hi": km.hi,
            "at_risk": km.at_risk}))
    cols = ["village_id", "decade", "time_years", "survival", "survival_lo", "survival_hi",
            "at_risk"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def parcel_fallow(parcels: Any, summary: pd.DataFrame) -> Any:
    """Join per-plot fallow figures to parcel geometries (for maps).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels with ``parcel_id`` (matching the histories' ``plot_id``).
    summary : pandas.DataFrame
        Output of :func:`plot_summary`.

    Returns
    -------
    geopandas.GeoDataFrame
        A new GeoDataFrame: the parcels (same index and order) with the summary
        columns; parcels without a history get NaN figures and ``status_class``
        ``'no_history'``.
    """
    _validate.require_geodataframe(parcels, layer="parcels")
    _validate.require_columns(parcels, ("parcel_id",), layer="parcels")
    _validate.require_columns(summary, ("plot_id", "status_class"), layer="plot summary")
    s = summary.assign(plot_id=summary["plot_id"].astype(str)).set_index("plot_id")
    s = s.drop(columns=[c for c in s.columns if c in parcels.columns])
    joined = s.reindex(parcels["parcel_id"].astype(str).to_numpy())
    joined.index = parcels.index
    out = parcels.copy()
    for col in joined.columns:
        out[col] = joined[col].to_numpy()
    out["status_class"] = out["status_class"].fillna("no_history")
    return out


# -- land demand ---------------------------------------------------------------------
def cropped_area_from_histories(histories: pd.DataFrame, parcels: Any, *,
                                last_years: int = 5) -> pd.Series:
    """Mean yearly cropped area per village over the last years of the record.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status``.
    parcels : geopandas.GeoDataFrame
        ``parcel_id`` (= plot id), ``village_id``, polygons in a projected CRS.
    last_years : int, default 5
        Number of final record years averaged. [years]

    Returns
    -------
    pandas.Series
        ``cropped_area_ha`` indexed by ``village_id``. [ha]
    """
    _validate.require_geodataframe(parcels, layer="parcels")
    _validate.require_projected(parcels, layer="parcels")
    _validate.require_columns(parcels, ("parcel_id", "village_id"), layer="parcels")
    st = _history_stack(histories)
    area = pd.Series(parcels.geometry.area.to_numpy() / 1e4,
                     index=parcels["parcel_id"].astype(str).to_numpy())
    area = area[~area.index.duplicated()]
    vmap = _village_map(st.plot_ids, histories, parcels)
    plot_area = area.reindex(st.plot_ids).fillna(0.0).to_numpy()
    sel = st.codes[-int(last_years):] == CULTIVATED
    per_year = pd.DataFrame(sel * plot_area[None, :]).T.groupby(vmap.to_numpy()).sum()
    out = per_year.mean(axis=1)
    out.index.name = "village_id"
    return out.rename("cropped_area_ha").sort_index()


# -- rasters ----------------------------------------------------------------------------
def fallow_metrics_array(codes: Any, *, other_as: str = "fallow", alpha: float = 0.05,
                         window_years: Any = None, min_drop_years: Any = None,
                         min_trend_cycles: int = 5, followup_years: int = 10,
                         min_effect_years_per_decade: float = 1.0) -> Any:
    """Per-pixel fallow metrics of an in-memory stack of status codes.

    Parameters
    ----------
    codes : numpy.ndarray or dask.array.Array
        ``(years, rows, cols)`` unsigned integers: 0 missing, 1 cultivated, 2 fallow,
        3 other (one band per contiguous year, oldest first).
    other_as, alpha, min_trend_cycles, followup_years, min_effect_years_per_decade
        As in :func:`plot_summary` (the same equal-follow-up trend rule).
    window_years, min_drop_years
        No longer used; passing them warns.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        ``float32`` array ``(len(RASTER_OUTPUTS), rows, cols)`` in the order of
        :data:`RASTER_OUTPUTS`; NaN where undefined or where every year is missing.
        A dask input gives a lazy dask result (the time axis is rechunked to one chunk
        and the kernel mapped over the blocks with ``map_blocks``).

    Examples
    --------
    >>> import numpy as np
    >>> seq = np.array([1, 2, 2, 1, 2, 2, 2, 1, 2], np.uint8)
    >>> out = fallow_metrics_array(seq[:, None, None])
    >>> dict(zip(RASTER_OUTPUTS[:4], out[:4, 0, 0].tolist()))
    {'n_clearings': 2.0, 'n_cycles': 1.0, 'mean_fallow_years': 3.0, 'last_fallow_years': 3.0}
    """
    _retired(window_years, min_drop_years, "fallow_metrics_array")
    opts = _kernel_options(other_as, alpha, followup_years, min_effect_years_per_decade,
                           min_trend_cycles)
    if getattr(codes, "ndim", None) != 3:
        raise SchemaError("codes must be a 3-D (years, rows, cols) array",
                          source="fallow_metrics_array", hint="stack one band per year")
    if type(codes).__module__.startswith("dask"):
        codes = codes.rechunk({0: -1})
        return codes.map_blocks(_block_kernel, IDENTITY_LUT, *opts, dtype=np.float32,
                                chunks=((len(OUTPUTS),), *codes.chunks[1:]))
    return _block_kernel(np.asarray(codes), IDENTITY_LUT, *opts)


def fallow_raster(stack: Any, *, classes: Mapping[Any, Any], out_dir: Any,
                  years: Any = None, use_dask: bool = False, overwrite: bool = False,
                  block_rows: int | None = None, threads: int | None = None,
                  other_as: str = "fallow", alpha: float = 0.05,
                  window_years: Any = None, min_drop_years: Any = None,
                  min_trend_cycles: int = 5, followup_years: int = 10,
                  min_effect_years_per_decade: float = 1.0) -> dict[str, Any]:
    """Per-pixel fallow metrics of an annual land-cover stack, streamed in windows.

    The stack is read in row windows (block-aligned) with every year of a window in
    memory at once, reduced with the same kernel as :func:`plot_summary` and written
    window by window, so memory stays bounded whatever the stack size. With
    ``use_dask=True`` the windows are dask tasks run by the current scheduler (a
    ``dask.distributed`` client if one is active), and results are written as they
    arrive.

    Parameters
    ----------
    stack : path, or sequence of paths
        One single-band GeoTIFF per year (year taken from the last 4-digit number in
        the file name unless *years* is given), or one multi-band GeoTIFF whose band
        descriptions are years. All on the same grid. Years missing from the stack
        count as missing years.
    classes : mapping
        Raster value -> ``'cultivated'``, ``'fallow'`` or ``'other'`` (or the reverse:
        status -> list of values). Unlisted values other than nodata raise.
    out_dir : path
        Folder for one GeoTIFF per output (``<name>.tif``, see :data:`RASTER_OUTPUTS`),
        float32 with NaN nodata on the input grid; cells that are nodata in every year,
        and cells where a figure is undefined, are NaN.
    years : sequence of int, optional
        Year of each file or band.
    use_dask : bool, default False
        Run the windows as dask tasks.
    overwrite : bool, default False
        Replace existing outputs.
    block_rows : int, optional
        Rows per window (default: a multiple of 256 keeping a window near 64 MB).
    threads : int, optional
        Threads the kernel uses per window without dask (default: the CPU count).
        Reading and writing run in two more threads, overlapped with the kernel.
    other_as, alpha, min_trend_cycles, followup_years, min_effect_years_per_decade
        As in :func:`plot_summary`: the same equal-follow-up trend rule per pixel.
    window_years, min_drop_years
        No longer used; passing them warns.

    Returns
    -------
    dict
        Output name -> path of the written GeoTIFF.

    Raises
    ------
    RasterError
        Grids that differ, unknown class values, bad years.
    OutputExistsError
        An output exists and *overwrite* is false.

    Notes
    -----
    Outputs (float32): ``n_clearings``, ``n_cycles`` [count]; ``mean_fallow_years``,
    ``last_fallow_years``, ``mean_cropping_years``, ``mean_rotation_years``,
    ``current_fallow_age_years`` [years]; ``r_value_pct`` [%];
    ``fallow_trend_years_per_decade`` (Theil-Sen of the equal-follow-up spells)
    [years decade⁻¹]; ``mk_p_value``; ``shortening`` (0 or 1; NaN = insufficient data,
    fewer than *min_trend_cycles* spells followed ``followup_years``);
    ``n_trend_spells`` [count]. Each cell equals, bit for bit, the :func:`plot_summary`
    column of a plot with the same annual sequence (years absent from the stack and
    nodata are missing years). Outputs are tiled GeoTIFFs, ZSTD-compressed (deflate if
    GDAL lacks ZSTD), written atomically.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> seq = [1, 2, 1, 1, 1, 2, 1, 1, 2, 1]  # fallow 1, cultivated 2: F C F F F C F F C F
    >>> files = []
    >>> for k, value in enumerate(seq):
    ...     path = tmp / f"landcover_{2000 + k}.tif"
    ...     with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1,
    ...                        dtype="uint8", crs="EPSG:32647", nodata=255,
    ...                        transform=Affine(30, 0, 500000, 0, -30, 2300000)) as ds:
    ...         ds.write(np.array([[value, 255]], np.uint8), 1)
    ...     files.append(path)
    >>> out = fallow_raster(files, classes={1: "fallow", 2: "cultivated"}, out_dir=tmp / "out")
    >>> with rasterio.open(out["mean_fallow_years"]) as ds:
    ...     ds.read(1).tolist()
    [[2.5, nan]]
    """
    _retired(window_years, min_drop_years, "fallow_raster")
    opts = _kernel_options(other_as, alpha, followup_years, min_effect_years_per_decade,
                           min_trend_cycles)
    return _fallow_raster.run(stack, classes=classes, out_dir=out_dir, years=years,
                              use_dask=use_dask, overwrite=overwrite, block_rows=block_rows,
                              opts=opts, threads=threads)
