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
  ``censored`` and kept out of every mean, the last fallow, the trend and the cycle
  count ``n_cycles`` (``n_clearings`` counts every observed clearing).
* Trends need at least ``min_trend_cycles`` (3) complete cycles: the Theil-Sen slope
  [3]_ [4]_ of ``F`` against the clearing year, in years per decade, and the two-sided
  Mann-Kendall p-value [5]_ [6]_ with tie correction and continuity correction, no
  autocorrelation correction.
* ``shortening`` is true when the mean rotation length of the cycles cleared in the
  last ``window_years`` (10) of the record is at least ``min_drop_years`` (2) shorter
  than in the ``window_years`` before, or when the Mann-Kendall trend of fallow length
  is negative and significant at ``alpha`` (0.05).

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
from landuse._fallow_kernel import (
    CULTIVATED,
    FALLOW,
    MISSING,
    OTHER,
    IDENTITY_LUT,
    OUTPUTS,
    cycles_of_sequences,
    reduce_sequences,
)
from landuse._fallow_demand import (
    cropped_area_from_households,
    rotation_land_demand,
    rotational_area_from_parcels,
    sustainable_fallow_years,
    village_land_demand,
    year_fallow_becomes_critical,
)
from landuse._fallow_plots import plot_fallow_by_clearing_year, plot_fallow_histogram
from landuse.errors import SchemaError

__all__ = [
    "FallowClasses",
    "RASTER_OUTPUTS",
    "cropped_area_from_histories",
    "cropped_area_from_households",
    "cycles",
    "decade_summary",
    "fallow_metrics_array",
    "fallow_raster",
    "history_problems",
    "mann_kendall_pvalue",
    "parcel_fallow",
    "plot_fallow_by_clearing_year",
    "plot_fallow_histogram",
    "plot_summary",
    "rotation_land_demand",
    "rotational_area_from_parcels",
    "sustainable_fallow_years",
    "village_land_demand",
    "village_summary",
    "year_fallow_becomes_critical",
]

#: Per-pixel outputs of :func:`fallow_raster` and :func:`fallow_metrics_array`.
RASTER_OUTPUTS = OUTPUTS

_STATUS_CODES = {"cultivated": CULTIVATED, "fallow": FALLOW, "other": OTHER}
_STATUS_ALIASES = {"cropped": "cultivated", "crop": "cultivated", "forest": "other"}
_LAYER = "histories"


# -- status classes ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FallowClasses:
    """Upper bounds of the fallow status classes. [years]

    A fallow of ``F`` years is ``critical`` when ``F <= critical_max``, ``short`` when
    ``F <= short_max``, ``adequate`` when ``F <= adequate_max`` and ``long`` above.
    The defaults (3, 7, 11) are the project's derived defaults (domain reference
    §7.3): three years is the three-plot regime, forest-like regrowth needs more than
    8 years and useful-plant richness peaks at 11-12 years.

    Examples
    --------
    >>> FallowClasses().classify([2, 3, 4, 7.5, 11, 12, float("nan")]).tolist()
    ['critical', 'critical', 'short', 'adequate', 'adequate', 'long', 'unknown']
    >>> FallowClasses(critical_max=2, short_max=5, adequate_max=9).classify([3]).tolist()
    ['short']
    """

    critical_max: float = 3.0
    short_max: float = 7.0
    adequate_max: float = 11.0

    def __post_init__(self) -> None:
        bounds = (self.critical_max, self.short_max, self.adequate_max)
        if not all(np.isfinite(b) and b >= 0 for b in bounds) or not (
            bounds[0] < bounds[1] < bounds[2]
        ):
            raise SchemaError(
                f"fallow class bounds {bounds} must be finite, >= 0 and increasing",
                source="FallowClasses",
                hint="e.g. FallowClasses(critical_max=3, short_max=7, adequate_max=11)",
            )

    def classify(self, fallow_years: Any) -> np.ndarray:
        """Return the class name of each fallow length (``'unknown'`` for NaN)."""
        f = np.asarray(fallow_years, dtype=float)
        return np.select(
            [np.isnan(f), f <= self.critical_max, f <= self.short_max, f <= self.adequate_max],
            ["unknown", "critical", "short", "adequate"],
            default="long",
        ).astype(object)


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
    from landuse._fallow_kernel import _mk_pvalue

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
    for pos in np.flatnonzero(ids.isna().to_numpy() | (ids.astype(str).str.strip() == "")):
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


def _normalise_status(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip().str.lower()
    return s.replace(_STATUS_ALIASES).astype(object)


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


def _history_stack(histories: pd.DataFrame) -> _Stack:
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
    plot_ids, inv = np.unique(ids, return_inverse=True)
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


def _kernel_options(other_as: str, alpha: float, window_years: int, min_drop_years: float,
                    min_trend_cycles: int) -> tuple[bool, float, int, float, int]:
    _check_option(other_as, ("fallow", "break"), "other_as")
    if not 0 < alpha < 1:
        raise SchemaError(f"alpha={alpha!r} must be between 0 and 1", hint="e.g. alpha=0.05")
    if int(window_years) < 1:
        raise SchemaError(f"window_years={window_years!r} must be >= 1", hint="e.g. 10")
    if int(min_trend_cycles) < 2:
        raise SchemaError(f"min_trend_cycles={min_trend_cycles!r} must be >= 2",
                          hint="a trend needs at least two cycles; the default is 3")
    return (other_as == "fallow", float(alpha), int(window_years), float(min_drop_years),
            int(min_trend_cycles))


def plot_summary(histories: pd.DataFrame, *, classes: FallowClasses | None = None,
                 other_as: str = "fallow", alpha: float = 0.05, window_years: int = 10,
                 min_drop_years: float = 2.0, min_trend_cycles: int = 3) -> pd.DataFrame:
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
        Significance level of the Mann-Kendall test for ``shortening``.
    window_years : int, default 10
        Length of the two windows compared for ``shortening``. [years]
    min_drop_years : float, default 2.0
        Drop of the mean rotation length that counts as shortening. [years]
    min_trend_cycles : int, default 3
        Complete cycles needed for the trend and its p-value.

    Returns
    -------
    pandas.DataFrame
        One row per plot (sorted): ``plot_id``, ``first_year``, ``last_year``,
        ``n_years_observed``, ``n_clearings``, ``n_cycles`` (complete cycles),
        ``mean_fallow_years``, ``last_fallow_years``, ``mean_cropping_years``,
        ``mean_rotation_years`` (complete cycles) [years], ``current_fallow_age_years``
        (last record year minus last cultivated year; NaN if never cultivated)
        [years], ``r_value_pct`` (100 x cultivated / known years, a filled missing
        year counting as fallow) [%],
        ``fallow_trend_years_per_decade`` (Theil-Sen) [years decade⁻¹],
        ``mk_p_value``, ``shortening`` (bool) and ``status_class`` of the last complete
        fallow (``critical``, ``short``, ``adequate``, ``long``; ``permanent`` for a
        plot cultivated every observed year; ``unknown`` otherwise).

    Raises
    ------
    SchemaError
        Bad histories (see :func:`history_problems`) or options.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "P", "year": range(1990, 2000), "status": "cultivated"})
    >>> plot_summary(h)[["n_cycles", "r_value_pct", "status_class"]]
       n_cycles  r_value_pct status_class
    0         0        100.0    permanent
    """
    opts = _kernel_options(other_as, alpha, window_years, min_drop_years, min_trend_cycles)
    classes = classes or FallowClasses()
    st = _history_stack(histories)
    res = reduce_sequences(st.codes, IDENTITY_LUT, *opts)[0]
    out = pd.DataFrame({"plot_id": st.plot_ids, "first_year": st.first_year,
                        "last_year": st.last_year, "n_years_observed": st.n_observed})
    for k, name in enumerate(OUTPUTS):
        out[name] = res[k]
    for name in ("n_clearings", "n_cycles"):
        out[name] = out[name].astype(np.int64)
    out["shortening"] = out["shortening"].astype(bool)
    cls = classes.classify(out["last_fallow_years"])
    cls[(cls == "unknown") & (out["r_value_pct"].to_numpy() == 100.0)] = "permanent"
    out["status_class"] = cls
    return out.reset_index(drop=True)


# -- roll-ups ---------------------------------------------------------------------------
def _village_map(plot_ids: Any, histories: pd.DataFrame, villages: Any) -> pd.Series:
    """Return village_id per plot id from *villages* or a ``village_id`` column."""
    if villages is None:
        if "village_id" not in histories.columns:
            raise SchemaError(
                "no village for the plots: the histories have no village_id column and no "
                "villages mapping was given",
                source=_LAYER, column="village_id",
                hint="pass villages=parcels (parcel_id, village_id) or a Series plot_id -> "
                "village_id, or add a village_id column to the histories",
            )
        m = histories.assign(plot_id=histories["plot_id"].astype(str)).drop_duplicates(
            ["plot_id", "village_id"])
        dup = m["plot_id"].duplicated(keep=False)
        if dup.any():
            pid = m.loc[dup, "plot_id"].iloc[0]
            raise SchemaError("the plot is listed in more than one village", source=_LAYER,
                              feature_id=pid, column="village_id",
                              hint="give each plot one village_id")
        mapping = m.set_index("plot_id")["village_id"]
    elif isinstance(villages, pd.DataFrame):
        key = "plot_id" if "plot_id" in villages.columns else "parcel_id"
        _validate.require_columns(villages, (key, "village_id"), layer="villages mapping")
        mapping = pd.Series(villages["village_id"].to_numpy(),
                            index=villages[key].astype(str).to_numpy())
    else:
        mapping = pd.Series(villages)
        mapping.index = mapping.index.astype(str)
    mapping = mapping[~mapping.index.duplicated()]
    ids = pd.Index(np.asarray(plot_ids).astype(str))
    out = mapping.reindex(ids)
    if out.isna().any():
        pid = ids[np.flatnonzero(out.isna().to_numpy())[0]]
        raise SchemaError(
            f"{int(out.isna().sum())} plot(s) have no village in the mapping",
            source="villages mapping", feature_id=pid, column="village_id",
            hint="add the plots to the parcels layer or the plot -> village mapping",
        )
    return pd.Series(out.to_numpy(), index=ids, name="village_id")


def _trend(years: np.ndarray, values: np.ndarray, min_n: int) -> tuple[float, float]:
    if len(values) < min_n:
        return float("nan"), float("nan")
    from scipy.stats import theilslopes

    slope = theilslopes(values, years).slope
    return 10.0 * float(slope), mann_kendall_pvalue(values)


def village_summary(histories: pd.DataFrame, *, villages: Any = None,
                    classes: FallowClasses | None = None, other_as: str = "fallow",
                    alpha: float = 0.05, window_years: int = 10, min_drop_years: float = 2.0,
                    min_trend_cycles: int = 3) -> pd.DataFrame:
    """Aggregate the fallow figures of the plots of each village.

    Parameters
    ----------
    histories : pandas.DataFrame
        ``plot_id``, ``year``, ``status`` (and ``village_id`` if *villages* is not given).
    villages : pandas.DataFrame or Series, optional
        Plot to village mapping: a table with ``parcel_id`` (or ``plot_id``) and
        ``village_id`` (e.g. the parcels layer), or a Series indexed by plot id.
    classes, other_as, alpha, window_years, min_drop_years, min_trend_cycles
        As in :func:`plot_summary`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``village_id`` (sorted): ``n_plots``, ``n_cycles``,
        ``mean_fallow_years`` and ``median_fallow_years`` over the complete cycles
        [years], ``mean_r_value_pct`` (plot mean) [%], ``n_critical``, ``n_short``,
        ``n_adequate``, ``n_long`` (plots by class of their last fallow),
        ``fallow_trend_years_per_decade`` (Theil-Sen of the yearly mean fallow against
        clearing year) [years decade⁻¹], ``mk_p_value`` (of that yearly series),
        ``shortening`` (the plot rule applied to the pooled cycles).

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": ["A"] * 6 + ["B"] * 6, "year": list(range(6)) * 2,
    ...                   "status": ["fallow", "cultivated", "fallow", "fallow", "cultivated",
    ...                              "fallow"] * 2, "village_id": "V1"})
    >>> h["year"] += 2000
    >>> village_summary(h)[["n_plots", "n_cycles", "mean_fallow_years"]]
                n_plots  n_cycles  mean_fallow_years
    village_id
    V1                2         2                2.0
    """
    summ = plot_summary(histories, classes=classes, other_as=other_as, alpha=alpha,
                        window_years=window_years, min_drop_years=min_drop_years,
                        min_trend_cycles=min_trend_cycles)
    cyc = cycles(histories, other_as=other_as, include_censored=False)
    vmap = _village_map(summ["plot_id"], histories, villages)
    summ["village_id"] = vmap.reindex(summ["plot_id"].astype(str)).to_numpy()
    cyc["village_id"] = vmap.reindex(cyc["plot_id"].astype(str)).to_numpy()
    rec_end = summ.groupby("village_id")["last_year"].max()
    rows = []
    for vid, grp in summ.groupby("village_id", sort=True):
        vc = cyc[cyc["village_id"] == vid]
        yearly = vc.groupby("clearing_year")["fallow_years"].mean()
        slope, p = _trend(yearly.index.to_numpy(float), yearly.to_numpy(float),
                          min_trend_cycles)
        age = rec_end[vid] - vc["clearing_year"]
        new = vc.loc[age < window_years, "rotation_years"]
        old = vc.loc[(age >= window_years) & (age < 2 * window_years), "rotation_years"]
        short = bool(len(new) and len(old) and old.mean() - new.mean() >= min_drop_years)
        short |= bool(np.isfinite(p) and p < alpha and slope < 0)
        counts = grp["status_class"].value_counts()
        rows.append({
            "village_id": vid, "n_plots": len(grp), "n_cycles": len(vc),
            "mean_fallow_years": vc["fallow_years"].mean() if len(vc) else np.nan,
            "median_fallow_years": vc["fallow_years"].median() if len(vc) else np.nan,
            "mean_r_value_pct": grp["r_value_pct"].mean(),
            **{f"n_{k}": int(counts.get(k, 0)) for k in ("critical", "short", "adequate", "long")},
            "fallow_trend_years_per_decade": slope, "mk_p_value": p, "shortening": short,
        })
    return pd.DataFrame(rows).set_index("village_id")


def decade_summary(histories: pd.DataFrame, *, villages: Any = None,
                   other_as: str = "fallow") -> pd.DataFrame:
    """Mean fallow length per village and decade of clearing (complete cycles only).

    Returns
    -------
    pandas.DataFrame
        Columns ``village_id``, ``decade`` (e.g. 1990), ``n_cycles``,
        ``mean_fallow_years``, ``median_fallow_years``, ``mean_rotation_years``
        [years]; sorted by village and decade. Without any village information
        (no *villages*, no ``village_id`` column) all plots form the village ``"all"``.

    Examples
    --------
    >>> h = pd.DataFrame({"plot_id": "A", "year": range(1988, 2014),
    ...                   "status": ["fallow", "cultivated"] + ["fallow"] * 11 + ["cultivated"]
    ...                   + ["fallow"] * 5 + ["cultivated"] + ["fallow"] * 2 + ["cultivated"]
    ...                   + ["fallow"] * 3})
    >>> decade_summary(h)[["decade", "n_cycles", "mean_fallow_years"]]
       decade  n_cycles  mean_fallow_years
    0    1980         1               11.0
    1    2000         2                3.5
    """
    cyc = cycles(histories, other_as=other_as, include_censored=False)
    if villages is None and "village_id" not in histories.columns:
        cyc["village_id"] = "all"
    else:
        vmap = _village_map(cyc["plot_id"].unique(), histories, villages)
        cyc["village_id"] = vmap.reindex(cyc["plot_id"].astype(str)).to_numpy()
    cyc["decade"] = (cyc["clearing_year"] // 10) * 10
    g = cyc.groupby(["village_id", "decade"], sort=True)
    out = pd.DataFrame({
        "n_cycles": g.size(),
        "mean_fallow_years": g["fallow_years"].mean(),
        "median_fallow_years": g["fallow_years"].median(),
        "mean_rotation_years": g["rotation_years"].mean(),
    })
    return out.reset_index()


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
                         window_years: int = 10, min_drop_years: float = 2.0,
                         min_trend_cycles: int = 3) -> Any:
    """Per-pixel fallow metrics of an in-memory stack of status codes.

    Parameters
    ----------
    codes : numpy.ndarray or dask.array.Array
        ``(years, rows, cols)`` unsigned integers: 0 missing, 1 cultivated, 2 fallow,
        3 other (one band per contiguous year, oldest first).
    other_as, alpha, window_years, min_drop_years, min_trend_cycles
        As in :func:`plot_summary`.

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
    opts = _kernel_options(other_as, alpha, window_years, min_drop_years, min_trend_cycles)
    if getattr(codes, "ndim", None) != 3:
        raise SchemaError("codes must be a 3-D (years, rows, cols) array",
                          source="fallow_metrics_array", hint="stack one band per year")
    if type(codes).__module__.startswith("dask"):
        codes = codes.rechunk({0: -1})
        return codes.map_blocks(_block_kernel, IDENTITY_LUT, *opts, dtype=np.float32,
                                chunks=((len(OUTPUTS),), *codes.chunks[1:]))
    return _block_kernel(np.asarray(codes), IDENTITY_LUT, *opts)


def _block_kernel(codes: np.ndarray, lut: np.ndarray, *opts: Any,
                  sources: Any = None, row0: int = 0, threads: int = 1) -> np.ndarray:
    """Run the kernel on a ``(T, rows, cols)`` block; raise for values *lut* does not know."""
    T, rows, cols = codes.shape
    if codes.dtype not in (np.uint8, np.uint16) or (codes.dtype == np.uint16 and lut.size < 65536):
        if codes.size and (np.nanmin(codes) < 0 or np.nanmax(codes) > 3):
            raise SchemaError("status codes must be 0 (missing), 1 (cultivated), 2 (fallow) or "
                              "3 (other)", source="codes", hint="map class values first")
        codes = codes.astype(np.uint8)
    flat = np.ascontiguousarray(codes).reshape(T, rows * cols)
    out, n_bad, p, t = reduce_sequences(flat, lut, *opts, threads=threads)
    if n_bad:
        value = flat[t, p].item()
        where = f"row {row0 + p // cols}, column {p % cols}"
        if sources is None:
            raise SchemaError(f"status code {value!r} at year index {t}, {where} is not 0-3 "
                              f"({n_bad} such cells)", source="codes",
                              hint="use 0 missing, 1 cultivated, 2 fallow, 3 other")
        from landuse.errors import RasterError

        raise RasterError(
            f"class value {value!r} at {where} is not in the class mapping "
            f"({n_bad} cells in this window)",
            source=sources[t],
            hint="add the value to the classes (cultivated, fallow or other) or set it as the "
            "raster's nodata",
        )
    return out.reshape(len(OUTPUTS), rows, cols)


def fallow_raster(stack: Any, *, classes: Mapping[Any, Any], out_dir: Any,
                  years: Any = None, use_dask: bool = False, overwrite: bool = False,
                  block_rows: int | None = None, threads: int | None = None,
                  other_as: str = "fallow", alpha: float = 0.05,
                  window_years: int = 10, min_drop_years: float = 2.0,
                  min_trend_cycles: int = 3) -> dict[str, Any]:
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
    other_as, alpha, window_years, min_drop_years, min_trend_cycles
        As in :func:`plot_summary`.

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
    ``fallow_trend_years_per_decade`` (Theil-Sen) [years decade⁻¹]; ``mk_p_value``;
    ``shortening`` (0 or 1). Each cell equals, bit for bit, the :func:`plot_summary`
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
    import landuse._fallow_raster as _fallow_raster

    opts = _kernel_options(other_as, alpha, window_years, min_drop_years, min_trend_cycles)
    return _fallow_raster.run(stack, classes=classes, out_dir=out_dir, years=years,
                              use_dask=use_dask, overwrite=overwrite, block_rows=block_rows,
                              opts=opts, threads=threads)
