"""Matplotlib charts of fallow cycles (private; re-exported by :mod:`landuse.fallow`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from landuse.fallow._base import _village_map

def _theil_sen_line(y: Any, x: Any) -> tuple[float, float] | None:
    """Slope and intercept of :func:`scipy.stats.theilslopes` (``method='separate'``), faster on ties.

    The Theil-Sen slope [1]_ is the median of the slopes ``(y_j - y_i) / (x_j - x_i)``
    over all pairs with ``x_j > x_i``; the intercept is ``median(y) - slope median(x)``.
    Cycles have whole-year clearing years and fallow lengths, so many points coincide:
    the slopes are taken once per pair of *distinct* points, weighted by the product of
    their counts, and the two middle slopes of the weighted order give the median. The
    slopes are the same floats as scipy's (the same two differences divided), so the
    result is equal bit for bit. None when scipy's rules apply instead (NaN values, or
    no pair with ``x_j > x_i``).

    References
    ----------
    .. [1] P. K. Sen, "Estimates of the regression coefficient based on Kendall's tau",
       J. Am. Stat. Assoc. 63(324), 1379-1389, 1968.
    """
    y = np.asarray(y, dtype=float).ravel()
    x = np.asarray(x, dtype=float).ravel()
    if len(x) != len(y) or not len(x) or np.isnan(x).any() or np.isnan(y).any():
        return None
    pts, counts = np.unique(np.column_stack([x, y]), axis=0, return_counts=True)
    i, j = np.triu_indices(len(pts), k=1)
    dx = pts[j, 0] - pts[i, 0]  # pts are sorted by x, so dx >= 0
    keep = dx > 0
    if not keep.any():
        return None
    slopes = (pts[j, 1] - pts[i, 1])[keep] / dx[keep]
    weights = (counts[i] * counts[j])[keep]
    order = np.argsort(slopes, kind="stable")
    cum = np.cumsum(weights[order])
    n = int(cum[-1])
    lo = slopes[order][np.searchsorted(cum, (n - 1) // 2, side="right")]
    hi = slopes[order][np.searchsorted(cum, n // 2, side="right")]
    slope = float(np.median(np.array([lo, hi]) if n % 2 == 0 else np.array([lo])))
    return slope, float(np.median(y) - slope * np.median(x))


def plot_fallow_by_clearing_year(cycles_df: pd.DataFrame, *, villages: Any = None,
                                 ax: Any = None) -> Any:
    """Scatter of fallow length by clearing year with each village's Theil-Sen line.

    Descriptive only: complete cycles near the end of the record can only be short
    (right-censoring), so these lines lean down even when nothing changes; the
    censoring-aware trend is :func:`village_summary`'s and the curves are
    :func:`survival_curves`'.

    Parameters
    ----------
    cycles_df : pandas.DataFrame
        Output of :func:`cycles` (censored cycles are left out) with ``village_id``
        or a *villages* mapping (as in :func:`village_summary`).
    villages : optional
        Plot to village mapping.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from scipy.stats import theilslopes

    cyc = cycles_df[~cycles_df["censored"]].copy()
    if "village_id" not in cyc.columns:
        if villages is None:
            cyc["village_id"] = "all"
        else:
            cyc["village_id"] = _village_map(cyc["plot_id"].unique(), cyc, villages).reindex(
                cyc["plot_id"].astype(str)).to_numpy()
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    else:
        fig = ax.figure
    colours = plt.get_cmap("tab10")
    for k, (vid, grp) in enumerate(cyc.groupby("village_id", sort=True)):
        col = colours(k % 10)
        ax.scatter(grp["clearing_year"], grp["fallow_years"], s=12, alpha=0.5, color=col,
                   label=f"{vid}")
        if grp["clearing_year"].nunique() >= 2:
            line = _theil_sen_line(grp["fallow_years"], grp["clearing_year"])
            if line is None:
                res = theilslopes(grp["fallow_years"], grp["clearing_year"])
                line = (float(res.slope), float(res.intercept))
            slope, intercept = line
            xs = np.array([grp["clearing_year"].min(), grp["clearing_year"].max()], float)
            ax.plot(xs, intercept + slope * xs, color=col, lw=2,
                    label=f"{vid}: {10 * slope:+.1f} years/decade")
    ax.set_xlabel("Clearing year")
    ax.set_ylabel("Fallow length [years]")
    ax.set_title("Complete cycles by clearing year (Theil-Sen; recent years biased short)",
                 fontsize="medium")
    if len(cyc):
        ax.legend(fontsize="small", ncol=2)
    ax.grid(alpha=0.3)
    return fig


def plot_fallow_histogram(cycles_df: pd.DataFrame, *, ax: Any = None) -> Any:
    """Histogram of complete-cycle fallow lengths, one series per decade of clearing.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cyc = cycles_df[~cycles_df["censored"]]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    else:
        fig = ax.figure
    decades = (cyc["clearing_year"] // 10) * 10
    top = int(cyc["fallow_years"].max()) if len(cyc) else 1
    bins = np.arange(0, top + 2) - 0.5
    groups = [(d, cyc.loc[decades == d, "fallow_years"]) for d in sorted(decades.unique())]
    if groups:
        ax.hist([g for _, g in groups], bins=bins, label=[f"{d}s" for d, _ in groups])
        ax.legend(title="Cleared in", fontsize="small")
    ax.set_xlabel("Fallow length [years]")
    ax.set_ylabel("Number of cycles")
    ax.set_title("Fallow lengths per decade")
    return fig
