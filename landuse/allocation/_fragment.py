"""The configuration LP of the fragmentation stage and its Lagrangian bound (private).

Stage 3 of the allocation (:mod:`landuse.allocation._model`) minimises

.. math:: F = \\sum_{(h,p)} x_{hp} \\, c_{hp}, \\qquad c_{hp} = 1 + d_{hp} / 1000 \\; [-]

(one per plot, plus the distance in km) with the largest weighted relative
shortfall fixed at :math:`z \\le z^*` and the total shortfall at
:math:`\\sum_h s_h \\le S^*` [ha]. Household *h*'s share is a *pattern*: a set
*S* of its eligible parcels with

.. math:: |S| \\le N_h, \\qquad a(S) \\le C_h, \\qquad a(S) \\ge L_h = E_h - z^* E_h / w_h

(plot limit, cap and the fairness row; areas in ha, :math:`E_h` the remaining
entitlement, :math:`w_h` the shortfall weight) and the least shortfall it leaves
is :math:`s_h(S) = \\max(E_h - a(S), 0)`. Stage 3 is then exactly

.. math::

    \\min \\sum_h \\sum_{S} c_h(S) y_{hS} \\quad \\text{s.t.} \\quad
    \\sum_S y_{hS} = 1 \\; (h), \\quad
    \\sum_{h, S \\ni p} y_{hS} \\le 1 \\; (p), \\quad
    \\sum_{h, S} s_h(S) y_{hS} \\le S^*, \\quad y \\in \\{0, 1\\}

(Dantzig-Wolfe reformulation over households [1]). Its LP relaxation, the
*configuration LP*, keeps whole parcels inside each household's share, so it is
much stronger than the LP of the pair model (which lets a household take
fractions of parcels to meet its need exactly) [1, 2].

**Bound.** For any multipliers :math:`\\lambda_p \\ge 0` of the parcel rows and
:math:`\\mu \\ge 0` of the shortfall row, the Lagrangian

.. math::

    LB(\\lambda, \\mu) = \\sum_h \\min_S \\Big[ c_h(S) + \\sum_{p \\in S} \\lambda_p
    + \\mu \\, s_h(S) \\Big] - \\sum_p \\lambda_p - \\mu S^*

is a lower bound of stage 3's optimum (relaxing the coupling rows can only
lower the optimum; for :math:`\\lambda, \\mu \\ge 0` every feasible allocation
costs at least its Lagrangian value) [3]. The multipliers are the duals of the
restricted master LP, improved round by round by column generation; at the
end, the best :math:`LB` equals the configuration LP's value. Each inner
minimum (the *pricing problem*) is solved exactly by depth-first enumeration of
the household's sets of at most :math:`N_h` parcels, in increasing order of
cost, pruned by the bound below; if its node budget runs out the smallest
bound of the subtrees not explored is used instead, so the bound stays valid.

The inner objective is the larger of two linear functions of the set,
:math:`\\sum_{p \\in S} (c_{hp} + \\lambda_p - \\mu a_p) + \\mu E_h` and
:math:`\\sum_{p \\in S} (c_{hp} + \\lambda_p)`; a subtree whose prefix and
cheapest remaining items already cost at least the best set found, or whose
largest remaining parcels cannot reach :math:`L_h`, is not entered.

Everything is bounded by counts (pricing rounds, enumeration nodes, LP
columns), never by the clock, so the result is the same on any machine.

References
----------
.. [1] F. Vanderbeck, L. A. Wolsey, "Reformulation and decomposition of integer
   programs", in 50 Years of Integer Programming 1958-2008, Springer, 2010,
   pp. 431-502 (Dantzig-Wolfe reformulation, the Lagrangian dual).
.. [2] M. Savelsbergh, "A branch-and-price algorithm for the generalized
   assignment problem", Operations Research 45(6), 831-841, 1997.
.. [3] M. E. Lübbecke, J. Desrosiers, "Selected topics in column generation",
   Operations Research 53(6), 1007-1023, 2005 (Lagrangian bound, section 2.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from landuse.allocation._problem import Guard, Subproblem, new_highs

#: Distance [m] that costs as much as one extra plot (the stage-3 objective).
DISTANCE_PER_PLOT_M = 1000.0
#: Most enumeration nodes of one household's pricing problem in one round [-].
PRICING_NODES = 5_000
#: Area cells of the grid DP that bounds a pricing problem the enumeration did not finish [-].
PRICING_CELLS = 2048
#: Most pricing rounds of one column generation [-].
MAX_ROUNDS = 200
#: Weight of the best-bound duals in the pricing point (Wentges smoothing) [-].
SMOOTHING = 0.7
#: Reference-machine seconds per elementary step of the pricing problem (an item
#: scanned by the enumeration's bounds, its set-up and sort, a cell of the grid DP) [s],
#: measured: 3-4e-9 s a DP cell, 2-6e-9 s an item scanned.
SECONDS_PER_STEP = 4e-9
#: Reference-machine seconds per LP column per simplex solve of the master, fixed part [s].
SECONDS_PER_LP_COLUMN = 3e-6
#: Pricing rounds between two roundings of the master LP into an allocation [-].
ROUND_EVERY = 3
#: Tolerance on the area rows [ha] (the bound is for rows relaxed by this much).
AREA_TOL_HA = 1e-9


@njit(cache=True)
def _lb_from(d, i, n, nmax, s1, s2, sa, c1, k1, k2min, amax, lo, hi, ar):  # pragma: no cover - compiled
    """Lower bound of the pricing value over sets extending the depth-*d* prefix with items >= *i*.

    Items are sorted by *k1* ascending; ``amax[r, i]`` is the sum of the *r*
    largest areas from item *i* on. At least ``need`` more items are needed to
    reach *lo*, and only items that fit the room left under *hi* can be added:
    the completion costs at least the ``need`` cheapest of them plus the
    negative parts of the next ones (at most *nmax* - *d* items in all).
    Returns (bound, steps): the items scanned, the effort counted.
    """
    r = nmax - d
    if i >= n or r <= 0 or sa[d] + amax[r, i] < lo:
        return 1e300, 1
    need = 1  # fewest further items that can reach lo
    while sa[d] + amax[need, i] < lo:
        need += 1
    room = hi - sa[d]
    b1 = 0.0
    used = 0
    steps = need
    for j in range(i, n):
        steps += 1
        if ar[j] > room:
            continue
        if used >= need and k1[j] >= 0.0:
            break
        b1 += k1[j]
        used += 1
        if used >= r:
            break
    if used < need:
        return 1e300, steps
    b1 += c1 + s1[d]
    m2 = k2min[i]
    b2 = s2[d] + need * m2 + (r - need) * (m2 if m2 < 0.0 else 0.0)
    return (b1 if b1 > b2 else b2), steps


@njit(cache=True)
def _price_one(k1, k2, ar, c1, lo, hi, nmax, node_limit, out):  # pragma: no cover - compiled
    """Least max(c1 + sum k1, sum k2) over sets of at most *nmax* items with area in [lo, hi].

    Items are sorted by *k1* ascending. *out* receives the best set (item
    indices, padded with -1). Returns (best value, proven lower bound, nodes,
    steps): the bound equals the value unless the node budget ran out; *steps*
    counts the elementary operations (set-up and the items the bounds scan), the
    effort charged.
    """
    n = k1.shape[0]
    inf = 1e300
    best = inf
    for j in range(out.shape[0]):
        out[j] = -1
    if lo <= 0.0 <= hi:
        best = c1 if c1 > 0.0 else 0.0
    if nmax <= 0 or n == 0:
        return best, best, 0, 1
    k2min = np.empty(n)
    k2min[n - 1] = k2[n - 1]
    for i in range(n - 2, -1, -1):
        k2min[i] = min(k2[i], k2min[i + 1])
    # amax[r, i]: the sum of the r largest areas among items >= i
    amax = np.zeros((nmax + 1, n))
    top = np.zeros(nmax)
    for i in range(n - 1, -1, -1):
        v = ar[i]
        for j in range(nmax):
            if v > top[j]:
                v, top[j] = top[j], v
        acc = 0.0
        for r in range(1, nmax + 1):
            acc += top[r - 1]
            amax[r, i] = acc
    s1 = np.zeros(nmax + 1)
    s2 = np.zeros(nmax + 1)
    sa = np.zeros(nmax + 1)
    pos = np.empty(nmax, dtype=np.int64)
    cur = np.zeros(nmax + 1, dtype=np.int64)
    nodes = 0
    steps = n * (nmax + 2)  # the set-up above
    open_lb = inf
    d = 0
    cur[0] = 0
    while d >= 0:
        i = cur[d]
        bnd, k = _lb_from(d, i, n, nmax, s1, s2, sa, c1, k1, k2min, amax, lo, hi, ar)
        steps += k
        if bnd >= best:
            d -= 1
            if d >= 0:
                cur[d] += 1
            continue
        if nodes >= node_limit:
            for lev in range(d + 1):
                v, k = _lb_from(lev, cur[lev], n, nmax, s1, s2, sa, c1, k1, k2min, amax, lo, hi, ar)
                steps += k
                if v < open_lb:
                    open_lb = v
            break
        nodes += 1
        pos[d] = i
        s1[d + 1] = s1[d] + k1[i]
        s2[d + 1] = s2[d] + k2[i]
        sa[d + 1] = sa[d] + ar[i]
        if sa[d + 1] <= hi:
            if sa[d + 1] >= lo:
                v1 = c1 + s1[d + 1]
                v = v1 if v1 > s2[d + 1] else s2[d + 1]
                if v < best:
                    best = v
                    for j in range(out.shape[0]):
                        out[j] = pos[j] if j <= d else -1
            if d + 1 < nmax:
                d += 1
                cur[d] = i + 1
                continue
        cur[d] += 1
    lb = best if best < open_lb else open_lb
    return best, lb, nodes, steps


@njit(cache=True)
def _price_dp(k2, ar, mu, ent, lo, hi, nmax, cells, out):  # pragma: no cover - compiled
    """Lower bound of the pricing problem by dynamic programming on an area grid.

    Areas are floored to cells of :math:`\\delta = hi / cells`, so a set of *k*
    items in cell *g* has a true area in :math:`[g \\delta, (g + k) \\delta)`:
    it is admitted if :math:`g \\delta \\le hi` and :math:`(g + k) \\delta \\ge lo`,
    and its shortfall term is taken as :math:`\\mu \\max(E - (g + k)\\delta, 0)`;
    both only lower the value, so the result is a lower bound. Returns (bound,
    exact value of the best grid set or 1e300 if that set is not feasible, steps);
    *out* receives that set (item indices, padded with -1).
    """
    n = k2.shape[0]
    inf = 1e300
    for j in range(out.shape[0]):
        out[j] = -1
    delta = hi / cells
    w = np.empty(n, dtype=np.int64)
    for j in range(n):
        w[j] = int(np.floor(ar[j] / delta))
    f = np.full((nmax + 1, cells + 1), inf)
    f[0, 0] = 0.0
    take = np.zeros((n, nmax + 1, cells + 1), dtype=np.bool_)
    steps = 0
    for j in range(n):
        wj = w[j]
        if wj > cells:
            continue
        cj = k2[j]
        for k in range(nmax, 0, -1):
            fk = f[k]
            fk1 = f[k - 1]
            for g in range(cells, wj - 1, -1):
                v = fk1[g - wj] + cj
                if v < fk[g]:
                    fk[g] = v
                    take[j, k, g] = True
            steps += cells - wj + 1
    best = inf
    bk = -1
    bg = -1
    for k in range(nmax + 1):
        for g in range(cells + 1):
            if f[k, g] >= inf or (g + k) * delta < lo:
                continue
            short = ent - (g + k) * delta
            v = f[k, g] + (mu * short if short > 0.0 else 0.0)
            if v < best:
                best = v
                bk = k
                bg = g
    if bk < 0:
        return inf, inf, steps
    k, g, m = bk, bg, 0
    for j in range(n - 1, -1, -1):
        if k == 0:
            break
        if take[j, k, g]:
            out[m] = j
            m += 1
            g -= w[j]
            k -= 1
    a = 0.0
    c = 0.0
    for j in range(m):
        a += ar[out[j]]
        c += k2[out[j]]
    if a < lo or a > hi:
        return best, inf, steps
    short = ent - a
    return best, c + (mu * short if short > 0.0 else 0.0), steps


@njit(cache=True)
def _price_all(start, pair_p, pair_c, area, lam, mu, ent, lo, hi, nmax, node_limit, cells):  # pragma: no cover
    """Pricing of every household (pairs grouped by household, *start* the offsets).

    Returns (value, lower bound, best set as parcel indices padded with -1,
    steps): *steps* counts the elementary operations of the enumeration (its
    set-up, the sort and the items its bounds scan) and of the grid DP, the effort charged.
    """
    nh = start.shape[0] - 1
    width = 1
    for h in range(nh):
        if nmax[h] > width:
            width = nmax[h]
    best = np.empty(nh)
    low = np.empty(nh)
    sets = np.full((nh, width), -1, dtype=np.int64)
    nodes = 0
    out = np.empty(width, dtype=np.int64)
    out2 = np.empty(width, dtype=np.int64)
    for h in range(nh):
        a, b = start[h], start[h + 1]
        n = b - a
        k1 = np.empty(n)
        k2 = np.empty(n)
        ar = np.empty(n)
        for j in range(n):
            p = pair_p[a + j]
            k2[j] = pair_c[a + j] + lam[p]
            k1[j] = k2[j] - mu * area[p]
            ar[j] = area[p]
        order = np.argsort(k1, kind="mergesort")
        nodes += 4 * n + n * int(np.log2(n + 1))  # the costs and the sort
        v, lb, _, k = _price_one(k1[order], k2[order], ar[order], mu * ent[h], lo[h], hi[h], nmax[h], node_limit,
                                 out)
        nodes += k
        if lb < v and hi[h] > 0.0:
            # the enumeration ran out of nodes: bound (and maybe a set) by the grid DP
            k2s = k2[order]
            ars = ar[order]
            dlb, dv, k = _price_dp(k2s, ars, mu, ent[h], lo[h], hi[h], nmax[h], cells, out2)
            nodes += k
            if dlb > lb:
                lb = dlb if dlb < v else v
            if dv < v:
                v = dv
                for j in range(width):
                    out[j] = out2[j]
        best[h] = v
        low[h] = lb
        for j in range(width):
            if j < out.shape[0] and out[j] >= 0:
                sets[h, j] = pair_p[a + order[out[j]]]
    return best, low, sets, nodes


@dataclass
class FragmentationBound:
    """Result of :func:`configuration_bound`."""

    bound: float  # proven lower bound of stage 3 (0 if none)
    lp_value: float  # value of the restricted master LP at the end (an upper bound of the configuration LP)
    rounds: int
    columns: int
    work_s: float  # effort charged [reference s]
    converged: bool  # no improving pattern is left: bound == configuration LP value
    patterns: list = field(default_factory=list)  # (household, parcels tuple) columns generated
    highs: Any = None  # the master LP (columns: nh artificial, then the patterns in order)
    start_columns: int = 0  # patterns of the start assignment (the first patterns)


def master_lp_seconds(n_cols: int, iterations: int) -> float:
    """Effort of one simplex solve of the restricted master LP [reference s].

    .. math:: t = a \\, n + b \\, n^{1.25} \\, \\max(k, 1)^{0.8}

    with *n* the columns, *k* the simplex iterations, a = 3e-6 s and b = 2.6e-8 s,
    fitted to 75 solves of the tile's stage-3 masters (200-2,000 columns, 0-1,400
    iterations; HiGHS 1.16, median ratio of CPU to estimate 0.95, 5-95 % 0.5-1.2).
    """
    n = float(max(n_cols, 1))
    return SECONDS_PER_LP_COLUMN * n + 2.6e-8 * n ** 1.25 * max(int(iterations), 1) ** 0.8


def _pair_costs(sp: Subproblem) -> Callable[[int, tuple[int, ...]], np.ndarray]:
    """Lookup of the stage-3 costs of household *h*'s pairs with parcels *ps*, by a sorted key h * n_parcels + p.

    (A dict of every pair cost 0.25 s at 80,000 pairs, more than the pricing of a round.)
    """
    npar = max(len(sp.parcel_ids), 1)
    key = sp.pair_h.astype(np.int64) * npar + sp.pair_p.astype(np.int64)
    key_order = np.argsort(key, kind="stable")
    keys = key[key_order]
    key_cost = (1.0 + sp.pair_d[key_order] / DISTANCE_PER_PLOT_M).astype(float)

    def costs(hh: int, ps: tuple[int, ...]) -> np.ndarray:
        return key_cost[np.searchsorted(keys, hh * npar + np.asarray(ps, dtype=np.int64))]

    return costs


def pattern_rows(sp: Subproblem, z_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Least and largest area of each household's pattern [ha]: (L_h, C_h), relaxed by ``AREA_TOL_HA``.

    .. math:: L_h = E_h - z^* E_h / w_h \\quad (w_h > 0), \\qquad -\\infty \\text{ otherwise}
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(sp.weight > 0, sp.entitled - z_max * sp.entitled_full / sp.weight, -np.inf)
    return lo - AREA_TOL_HA, sp.cap + AREA_TOL_HA


def configuration_bound(sp: Subproblem, z_max: float, shortfall_max: float, *, assign: np.ndarray | None = None,
                        target: float = np.inf, max_rounds: int = MAX_ROUNDS, work_limit_s: float = np.inf,
                        node_limit: int = PRICING_NODES, guard: Guard | None = None,
                        multipliers: dict | None = None,
                        primal: Callable[[np.ndarray], float] | None = None) -> FragmentationBound:
    """Lower bound of the fragmentation stage from its configuration LP (see the module notes).

    Column generation over the households' patterns, started from the sets of
    *assign* (an allocation meeting the stage-3 rows); stops when the proven
    bound reaches *target*, when no improving pattern is left, after
    *max_rounds* rounds, or once the effort charged exceeds *work_limit_s*
    [reference s]. *guard* is the wall-clock safety net only. The first round
    prices at the *multipliers* (``lam`` per parcel, ``mu``, e.g. the
    duals of the pair LP: then the bound is at least that LP's value, since each
    household's patterns satisfy its rows of that LP), else at zero. With
    *primal*, every ``ROUND_EVERY`` rounds and at the end the master LP is rounded
    into an allocation (:func:`rounded_assignment`) and passed to *primal*, which
    returns the new *target* (the caller keeps the best allocation that meets
    every stage-3 row), so a better allocation can stop the column generation early.
    """
    import highspy  # deferred: HiGHS, only when the stage-3 bound runs

    nh, npar = len(sp.household_ids), len(sp.parcel_ids)
    order = np.argsort(sp.pair_h, kind="stable")
    pair_p = sp.pair_p[order].astype(np.int64)
    pair_c = (1.0 + sp.pair_d[order] / DISTANCE_PER_PLOT_M).astype(float)
    start = np.searchsorted(sp.pair_h[order], np.arange(nh + 1)).astype(np.int64)
    costs = _pair_costs(sp)
    lo, hi = pattern_rows(sp, z_max)
    ent = sp.entitled.astype(float)
    nmax = sp.plots.astype(np.int64)
    area = sp.area.astype(float)
    out = FragmentationBound(bound=0.0, lp_value=np.inf, rounds=0, columns=0, work_s=0.0, converged=False)
    if nh == 0:
        out.bound, out.lp_value, out.converged = 0.0, 0.0, True
        return out
    h = new_highs(time_limit_s=guard.left_s() if guard is not None else 600.0, mip_gap=0.0)
    inf = highspy.kHighsInf
    h.addRows(nh + npar + 1, np.concatenate([np.ones(nh), np.full(npar + 1, -inf)]),
              np.concatenate([np.ones(nh), np.ones(npar), [shortfall_max]]), 0, np.array([], dtype=np.int32),
              np.array([], dtype=np.int32), np.array([], dtype=float))
    # artificial columns keep the master feasible whatever the start; their cost
    # exceeds any pattern's, so they leave the basis once real patterns exist
    big = 10.0 * (float(pair_c.max(initial=1.0)) * float(nmax.max(initial=1)) + 1.0)
    for r in range(nh):
        h.addCol(big, 0.0, inf, 1, np.array([r], dtype=np.int32), np.array([1.0]))
    seen: set[tuple[int, tuple[int, ...]]] = set()
    patterns: list[tuple[int, tuple[int, ...]]] = []

    def add(hh: int, ps: tuple[int, ...]) -> None:
        key = (hh, ps)
        if key in seen:
            return
        seen.add(key)
        patterns.append(key)
        a = float(area[list(ps)].sum()) if ps else 0.0
        s = max(float(ent[hh]) - a, 0.0)
        c = float(costs(hh, ps).sum()) if ps else 0.0
        idx = [hh] + [nh + p for p in ps] + ([nh + npar] if s > 0 else [])
        val = [1.0] * (1 + len(ps)) + ([s] if s > 0 else [])
        h.addCol(c, 0.0, inf, len(idx), np.array(idx, dtype=np.int32), np.array(val))

    if assign is not None:
        sets: dict[int, list[int]] = {hh: [] for hh in range(nh)}
        for p, hh in enumerate(np.asarray(assign).tolist()):
            if hh >= 0:
                sets[hh].append(p)
        for hh in range(nh):
            add(hh, tuple(sorted(sets[hh])))
        out.start_columns = len(patterns)
    best_lb = -np.inf
    # Wentges smoothing [3]: price at a point between the duals of the best bound
    # so far and the master's; the bound is valid at any point with lam, mu >= 0
    best_lam, best_mu = np.zeros(npar), 0.0
    if multipliers and "lam" in multipliers and len(multipliers["lam"]) == npar:
        best_lam = np.maximum(np.asarray(multipliers["lam"], dtype=float), 0.0)
        best_mu = max(float(multipliers["mu"]), 0.0)
    alpha = SMOOTHING
    for _ in range(max_rounds):
        if guard is not None and guard.expired():
            break
        h.run()
        out.work_s += master_lp_seconds(nh + len(patterns), h.getInfo().simplex_iteration_count)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        out.lp_value = float(h.getInfo().objective_function_value)
        duals = np.asarray(h.getSolution().row_dual)
        sigma = duals[:nh]
        lam_m = np.maximum(-duals[nh:nh + npar], 0.0)
        mu_m = max(-float(duals[nh + npar]), 0.0)
        first = out.rounds == 0
        a_s = 1.0 if first else alpha  # round 1: the bound at the start multipliers
        lam = a_s * best_lam + (1.0 - a_s) * lam_m
        mu = a_s * best_mu + (1.0 - a_s) * mu_m
        val, low, sets_arr, nodes = _price_all(start, pair_p, pair_c, area, lam, mu, ent, lo, hi, nmax, node_limit,
                                                 PRICING_CELLS)
        out.rounds += 1
        out.work_s += SECONDS_PER_STEP * nodes
        if primal is not None and out.rounds % ROUND_EVERY == 0:
            target = _round_into(sp, out, patterns, h, primal, target)
        lb = float(low.sum() - lam.sum() - mu * shortfall_max)
        if lb > best_lb:
            best_lb, best_lam, best_mu = lb, lam, mu
        added = 0
        for hh in range(nh):
            if val[hh] >= 1e299:
                continue
            ps = tuple(sorted(int(p) for p in sets_arr[hh] if p >= 0))
            # reduced cost at the master's duals
            a_ps = float(area[list(ps)].sum()) if ps else 0.0
            rc = ((float(costs(hh, ps).sum() + lam_m[list(ps)].sum()) if ps else 0.0)
                  + mu_m * max(float(ent[hh]) - a_ps, 0.0) - float(sigma[hh]))
            if rc < -1e-9 and (hh, ps) not in seen:
                add(hh, ps)
                added += 1
        if best_lb >= target or out.work_s > work_limit_s:
            break
        if added == 0:
            if a_s == 0.0:
                out.converged = bool(np.all(low >= val - 1e-12))
                break
            alpha = 0.0  # mis-priced: price at the master's duals next
        elif not first:
            alpha = SMOOTHING
    out.bound = max(best_lb, 0.0) if np.isfinite(best_lb) else 0.0
    out.columns = len(patterns)
    out.patterns = patterns
    out.highs = h
    if primal is not None and out.rounds % ROUND_EVERY != 0:
        _round_into(sp, out, patterns, h, primal, target)
    return out


def _round_into(sp: Subproblem, out: FragmentationBound, patterns: list, h: Any,
                primal: Callable[[np.ndarray], float], target: float) -> float:
    """Round the master LP's last solution (:func:`rounded_assignment`) into *primal*; returns the new target."""
    out.patterns, out.highs = patterns, h
    nh = len(sp.household_ids)
    if h.getNumCol() != nh + len(patterns):
        h.run()  # columns were added since the last solve
        out.work_s += master_lp_seconds(h.getNumCol(), h.getInfo().simplex_iteration_count)
    out.work_s += SECONDS_PER_STEP * (h.getNumCol() + sum(len(ps) for _, ps in patterns))
    assign = rounded_assignment(sp, out)
    return target if assign is None else min(target, primal(assign))


def master_assignment(sp: Subproblem, fb: FragmentationBound, *, node_limit: int,
                      guard: Guard | None = None) -> tuple[np.ndarray | None, int]:
    """The best allocation made of the generated patterns (the restricted master as an IP).

    A primal heuristic ("price and branch", [1] section 4): the patterns of
    :func:`configuration_bound` with :math:`y \\in \\{0, 1\\}`, solved by HiGHS from
    the start assignment within *node_limit* nodes. Returns (assignment or None,
    nodes). The assignment meets every row of the master, so every row of stage 3.
    """
    import highspy  # deferred: HiGHS, only when the stage-3 bound runs

    h = fb.highs
    nh = len(sp.household_ids)
    if h is None or fb.start_columns != nh or not fb.patterns:
        return None, 0
    ncol = h.getNumCol()
    h.changeColsBounds(nh, np.arange(nh, dtype=np.int32), np.zeros(nh), np.zeros(nh))  # no artificial column
    idx = np.arange(nh, ncol, dtype=np.int32)
    h.changeColsIntegrality(idx.size, idx, np.array([highspy.HighsVarType.kInteger] * idx.size))
    h.setOptionValue("mip_max_nodes", max(int(node_limit), 1))
    h.setOptionValue("mip_rel_gap", 1e-6)
    if guard is not None:
        h.setOptionValue("time_limit", guard.left_s())
    x0 = np.zeros(ncol)
    x0[nh:2 * nh] = 1.0
    sol = highspy.HighsSolution()
    sol.col_value = list(x0)
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    info = h.getInfo()
    if guard is not None and h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
        guard.fired = True
    if info.primal_solution_status != 2:
        return None, int(info.mip_node_count)
    y = np.asarray(h.getSolution().col_value)[nh:]
    assign = np.full(len(sp.parcel_ids), -1, dtype=np.int64)
    for j in np.flatnonzero(y > 0.5):
        hh, ps = fb.patterns[j]
        for p in ps:
            if assign[p] >= 0:
                return None, int(info.mip_node_count)
            assign[p] = hh
    return assign, int(info.mip_node_count)


def rounded_assignment(sp: Subproblem, fb: FragmentationBound) -> np.ndarray | None:
    """An allocation made of the generated patterns by rounding the master LP (a cheap primal heuristic).

    Patterns are taken in decreasing order of their master-LP value :math:`y_{hS}`
    (then in order of generation), each if its household has none yet and its
    parcels are free; a household left without one takes its cheapest generated
    pattern whose parcels are still free ("price and round", [1] section 4). Returns
    None if some household gets none; the caller checks the stage-3 rows. Costs one
    pass over the patterns (deterministic).
    """
    h = fb.highs
    nh = len(sp.household_ids)
    if h is None or not fb.patterns or h.getNumCol() != nh + len(fb.patterns):
        return None
    y = np.asarray(h.getSolution().col_value)[nh:]
    if y.size != len(fb.patterns):
        return None
    assign = np.full(len(sp.parcel_ids), -1, dtype=np.int64)
    done = np.zeros(nh, dtype=bool)

    def take(j: int) -> None:
        hh, ps = fb.patterns[j]
        if done[hh] or any(assign[p] >= 0 for p in ps):
            return
        done[hh] = True
        for p in ps:
            assign[p] = hh

    for j in np.argsort(-y, kind="stable").tolist():
        if y[j] <= 1e-9:
            break
        take(j)
    if not done.all():
        cost = 1.0 + sp.pair_d / DISTANCE_PER_PLOT_M
        pair_cost = dict(zip(zip(sp.pair_h.tolist(), sp.pair_p.tolist(), strict=True), cost.tolist(), strict=True))
        pat_cost = [sum(pair_cost[(hh, p)] for p in ps) for hh, ps in fb.patterns]
        for j in sorted(range(len(fb.patterns)), key=lambda j: (pat_cost[j], j)):
            if not done[fb.patterns[j][0]]:
                take(j)
    return assign if done.all() else None
