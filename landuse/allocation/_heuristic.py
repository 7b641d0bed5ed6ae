"""Heuristics and the combinatorial bound of the allocation's min-max stage (private).

Greedy starts (longest first, best fit at bisected targets), moves and swaps that
lower the largest relative shortfall, distance swaps for the fragmentation stage,
and :func:`combinatorial_bound`, a proven lower bound of the min-max stage from
subset sums of the parcel areas. The model and the stages are in
:mod:`landuse.allocation._model`; pairwise re-partition and the configuration LP
in :mod:`landuse.allocation._patterns`. Every loop is bounded by counts, never
by the clock (a :class:`~landuse.allocation._model.Guard` is the safety net only).
"""

from __future__ import annotations

import time
import numpy as np

from landuse.allocation._problem import Guard, Subproblem, _relative_shortfall


def combinatorial_bound(sp: Subproblem, *, max_cells: int = 40_000) -> float:
    """A lower bound of z from subset sums of the parcel areas (stronger than the LP when plots are lumpy).

    For a target z, household h needs :math:`A_h \\ge L_h(z) = E_h (1 - z / w_h)`
    made of whole parcels: at least :math:`m_h(z)`, the smallest sum of at most
    :math:`N_h` distinct parcel areas that reaches :math:`L_h(z)` (and is within the
    cap), using at least :math:`k_h(z)` parcels. No allocation can give more land
    or more parcels than exist, so any feasible z satisfies

    .. math:: \\sum_h m_h(z) \\le \\sum_p a_p, \\qquad \\sum_h k_h(z) \\le n_p .

    Two more necessary conditions capture the competition for the few large
    parcels: the *k* neediest households together hold at most
    :math:`\\sum N_h` plots, so their needs cannot exceed the area of that many
    largest parcels (for every *k*); and since at most :math:`n_p - n_h` households
    can hold two or more parcels, the others must each get one parcel at least as
    large as their need — feasible only if, with the neediest ones set aside, the
    sorted needs are dominated by the sorted parcel areas (Hall's condition for this
    nested bipartite graph).

    The smallest z meeting all conditions (found by bisection; every condition
    gets easier as z grows) is a valid lower bound of the optimum. Subset sums are computed by a 0/1 knapsack over
    areas floored to a grid of δ, which only loosens the bound (targets are
    lowered by :math:`N_h δ`), so it stays valid.
    """
    nh = len(sp.household_ids)
    need = sp.entitled > 1e-9
    if nh == 0 or not need.any():
        return 0.0
    if len(sp.parcel_ids) == 0 or sp.n_pairs == 0:
        return float(np.max(np.where(need, sp.weight * sp.entitled / np.maximum(sp.entitled_full, 1e-12), 0)))
    nmax = int(sp.plots.max())
    top = float(min(sp.cap.max(), sp.area.sum()))
    delta = max(top / max_cells, 1e-4)
    grid = int(np.floor(top / delta)) + 1
    big = nmax + 1
    cnt = np.full(grid, big, dtype=np.int64)  # fewest parcels reaching floored sum exactly
    cnt[0] = 0
    for a in np.sort(np.floor(sp.area / delta).astype(np.int64))[::-1]:
        if a <= 0:
            cnt = np.minimum(cnt, cnt)  # zero-area parcels add nothing
            continue
        if a >= grid:
            continue
        cnt[a:] = np.minimum(cnt[a:], cnt[:-a] + 1)
    sums = np.flatnonzero(cnt <= nmax)
    counts = cnt[sums]
    # suffix minimum of counts, to answer "fewest parcels for any sum >= L" quickly
    suffix_min = np.minimum.accumulate(counts[::-1])[::-1]
    total_area = float(sp.area.sum())
    n_parcels = len(sp.parcel_ids)
    areas_desc = np.sort(sp.area)[::-1]
    area_prefix = np.cumsum(areas_desc)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_w = np.where(sp.weight > 0, 1.0 / sp.weight, 0.0)

    def feasible(z: float) -> bool:
        target = sp.entitled_full * (1.0 - z * inv_w) - (sp.entitled_full - sp.entitled)
        h = np.flatnonzero(target > 1e-9)
        if h.size == 0:
            return True
        lo_cells = np.ceil((target[h] - sp.plots[h] * delta) / delta - 1e-9).astype(np.int64)
        lo_cells = np.maximum(lo_cells, 1)
        pos = np.searchsorted(sums, lo_cells)
        if np.any(pos >= sums.size):
            return False
        m = sums[pos] * delta
        if np.any(m > sp.cap[h] + 1e-9):
            return False
        k = suffix_min[pos]
        if np.any(k > sp.plots[h]):
            return False
        if not (m.sum() <= total_area + 1e-9 and k.sum() <= n_parcels):
            return False
        # (c) sharing among the neediest: the k neediest households hold at most
        #     sum N_h plots, so at most the area of that many largest parcels
        rank = np.argsort(-target[h], kind="stable")
        need = target[h][rank]
        slots = np.minimum(np.cumsum(sp.plots[h[rank]]), n_parcels)
        # each household holds at least m_h (a whole-parcel sum), not just its need
        if np.any(np.cumsum(np.maximum(m[rank], need)) > area_prefix[slots - 1] + 1e-9):
            return False
        # (d) one parcel each: households with one parcel need one of area >= need
        #     each; at most n_p - n_needy households can hold two or more, and it
        #     is easiest if those are the neediest, so the rest must be matched to
        #     distinct parcels, largest need to largest parcel (sorted dominance)
        q = n_parcels - need.size
        if q < 0:
            return False
        single = need[q:]
        if single.size and np.any(areas_desc[:single.size] < single - 1e-9):
            return False
        return True

    hi = float(np.max(sp.weight[need])) if need.any() else 1.0
    if not feasible(hi):
        return hi
    lo = 0.0
    if feasible(lo):
        return 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if feasible(mid):
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-10:
            break
    return lo


def _distance_improve(sp: Subproblem, assign: np.ndarray, *, z_max: float, shortfall_max: float,
                      guard: Guard | None = None, window: int = 25, max_passes: int = 20) -> np.ndarray:
    """Swap parcels of similar size between households when that shortens distances.

    A swap of parcel p (household g) and q (household h) is made when
    :math:`d_{gq} + d_{hp} < d_{gp} + d_{hq}`, both households stay within their cap
    and the fixed largest relative shortfall *z_max*, and the total shortfall stays
    within *shortfall_max* (the optima of stages 1 and 2). Candidates are the
    *window* parcels nearest in area. Plot counts do not change. This improves the
    fragmentation stage when HiGHS could not finish it. At most *max_passes* passes
    (deterministic); *guard* is the wall-clock safety net.
    """
    nh, npar = len(sp.household_ids), len(sp.parcel_ids)
    if nh < 2 or npar < 2:
        return assign
    assign = assign.copy()
    dist = np.full((nh, npar), np.inf)
    dist[sp.pair_h, sp.pair_p] = sp.pair_d
    got = np.zeros(nh)
    m = assign >= 0
    np.add.at(got, assign[m], sp.area[m])
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(sp.entitled_full > 0, sp.weight / sp.entitled_full, 0.0)
    short = np.maximum(sp.entitled - got, 0.0)
    total = float(short.sum())
    order = np.flatnonzero(m)
    order = order[np.argsort(sp.area[order], kind="stable")]
    tol = 1e-9
    for _ in range(max_passes):
        changed = False
        for i in range(order.size):
            if guard is not None and guard.expired():
                return assign
            p = order[i]
            g = assign[p]
            for j in range(i + 1, min(i + 1 + window, order.size)):
                q = order[j]
                h = assign[q]
                if h == g:
                    continue
                gain = dist[g, p] + dist[h, q] - dist[g, q] - dist[h, p]
                if not gain > 1e-6:  # also rejects non-pairs (inf - inf = nan)
                    continue
                ng, nh_ = got[g] - sp.area[p] + sp.area[q], got[h] - sp.area[q] + sp.area[p]
                if ng > sp.cap[g] + tol or nh_ > sp.cap[h] + tol:
                    continue
                sg, sh = max(sp.entitled[g] - ng, 0.0), max(sp.entitled[h] - nh_, 0.0)
                if sg * inv[g] > z_max + 1e-9 or sh * inv[h] > z_max + 1e-9:
                    continue
                new_total = total - short[g] - short[h] + sg + sh
                if new_total > shortfall_max + 1e-7:
                    continue
                assign[p], assign[q] = h, g
                got[g], got[h] = ng, nh_
                short[g], short[h] = sg, sh
                total = new_total
                changed = True
                break
        if not changed:
            break
    return assign


def _best_fit_at(sp: Subproblem, z: float, *, pairs: bool = True, order: str = "need") -> np.ndarray | None:
    """Give every household at least L_h(z) by best fit, or None if this greedy fails.

    Households (in decreasing need, or decreasing need relative to entitlement with
    ``order="relative"``, or in decreasing need per allowed plot with
    ``order="per_plot"``, or with ``order="multi_last"`` the neediest -- as many
    as there are spare parcels -- last) take, while short, the free parcel(s) wasting least:
    the smallest parcel covering the rest of their need, or (``pairs=True``, when a
    second plot is allowed) the largest parcel below the need plus the smallest
    covering what is then left, if that wastes less; when no parcel covers the
    need, the largest that fits the cap.
    """
    import bisect

    with np.errstate(divide="ignore", invalid="ignore"):
        need = sp.entitled_full * (1.0 - z * np.where(sp.weight > 0, 1.0 / sp.weight, 0.0)) - \
            (sp.entitled_full - sp.entitled)
        rel = np.where(sp.entitled_full > 0, need / sp.entitled_full, 0.0)
    assign = np.full(len(sp.parcel_ids), -1, dtype=np.int64)
    free = sorted((float(sp.area[p]), str(sp.parcel_ids[p]), int(p)) for p in range(len(sp.parcel_ids)))
    keys = [f[0] for f in free]

    def take(i: int, h: int) -> float:
        a, _, p = free.pop(i)
        keys.pop(i)
        assign[p] = h
        return a

    if order == "per_plot":
        first = -need / np.maximum(sp.plots, 1)
    else:
        first = -need if order in ("need", "multi_last") else -rel
    seq = np.lexsort((sp.household_ids.astype(str), -need, first))
    if order == "multi_last":
        # the neediest households (as many as there are spare parcels) go last and
        # collect several parcels from what the single-parcel households leave
        needy = seq[need[seq] > 1e-9]
        q = max(len(sp.parcel_ids) - needy.size, 0)
        seq = np.concatenate([needy[q:], needy[:q], seq[need[seq] <= 1e-9]])
    for h in seq:
        rest, n, got = float(need[h]), 0, 0.0
        while rest > 1e-9:
            if n >= sp.plots[h] or not free:
                return None
            room = float(sp.cap[h] - got)
            i = bisect.bisect_left(keys, rest - 1e-12)
            single = i if i < len(free) and free[i][0] <= room + 1e-9 else -1
            if pairs and n + 2 <= sp.plots[h] and i > 0:
                j = i - 1  # largest parcel below the need
                left = rest - keys[j]
                k = bisect.bisect_left(keys, left - 1e-12)
                if k == j:
                    k += 1
                if k < len(free) and keys[j] + keys[k] <= room + 1e-9:
                    waste_pair = keys[j] + keys[k] - rest
                    if single < 0 or waste_pair < keys[single] - rest - 1e-12:
                        hi_i, lo_i = max(j, k), min(j, k)
                        got += take(hi_i, h) + take(lo_i, h)
                        rest = float(need[h]) - got
                        n += 2
                        continue
            if single >= 0:
                pick = single
            else:
                pick = bisect.bisect_right(keys, room + 1e-9) - 1
                if pick < 0:
                    return None
            got += take(pick, h)
            rest = float(need[h]) - got
            n += 1
    return assign


def _swap_improve(sp: Subproblem, assign: np.ndarray, *, guard: Guard | None = None,
                  max_rounds: int = 2000) -> np.ndarray:
    """Lower the largest relative shortfall by moves and pairwise swaps.

    While possible, the worst household gets a free parcel, or exchanges one of its
    parcels for a larger one of another household, when both end strictly below
    the current maximum (caps and plot limits respected). Each step lowers the
    maximum or the number of households at it, so the loop ends.
    """
    nh = len(sp.household_ids)
    if nh == 0:
        return assign
    assign = assign.copy()
    ok_pair = set(zip(sp.pair_h.tolist(), sp.pair_p.tolist(), strict=True))
    got = np.zeros(nh)
    nplots = np.zeros(nh, dtype=np.int64)
    m = assign >= 0
    np.add.at(got, assign[m], sp.area[m])
    np.add.at(nplots, assign[m], 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(sp.entitled_full > 0, sp.weight / sp.entitled_full, 0.0)

    def rel_of(hh: int, amount: float) -> float:
        return float(max(sp.entitled[hh] - amount, 0.0) * inv[hh])

    by_area = np.argsort(-sp.area, kind="stable")
    for _ in range(max_rounds):
        if guard is not None and guard.expired():
            break
        rels = np.maximum(sp.entitled - got, 0.0) * inv
        worst = int(np.argmax(rels))
        zmax = float(rels[worst])
        if zmax <= 1e-12:
            break
        improved = False
        mine = np.flatnonzero(assign == worst)
        for q in by_area:  # largest parcels first
            g = int(assign[q])
            if g == worst or (worst, int(q)) not in ok_pair:
                continue
            aq = sp.area[q]
            if g < 0:  # a free parcel
                if nplots[worst] < sp.plots[worst] and got[worst] + aq <= sp.cap[worst] + 1e-9:
                    assign[q] = worst
                    got[worst] += aq
                    nplots[worst] += 1
                    improved = True
                    break
                continue
            if nplots[worst] < sp.plots[worst] and got[worst] + aq <= sp.cap[worst] + 1e-9 \
                    and rel_of(g, got[g] - aq) < zmax - 1e-12:
                assign[q] = worst  # a move
                got[worst] += aq
                got[g] -= aq
                nplots[worst] += 1
                nplots[g] -= 1
                improved = True
                break
            for p in mine:  # a swap: worst gives p, takes the larger q
                ap = sp.area[p]
                if ap >= aq - 1e-12 or (g, int(p)) not in ok_pair:
                    continue
                nw, ng = got[worst] - ap + aq, got[g] - aq + ap
                if nw > sp.cap[worst] + 1e-9 or ng > sp.cap[g] + 1e-9:
                    continue
                if rel_of(worst, nw) < zmax - 1e-12 and rel_of(g, ng) < zmax - 1e-12:
                    assign[q], assign[p] = worst, g
                    got[worst], got[g] = nw, ng
                    improved = True
                    break
            if improved:
                break
        if not improved:
            break
    return assign


def heuristic_assign(sp: Subproblem, *, guard: Guard | None = None) -> np.ndarray:
    """The heuristic start of the min-max stage (see :func:`_heuristic`)."""
    return _heuristic(sp, guard=guard)[0]


def _heuristic(sp: Subproblem, *, guard: Guard | None = None) -> tuple[np.ndarray, float, float]:
    """Assignment, its z and runtime (longest first, then best fit at bisected targets, moves and swaps).

    Every loop has a fixed count (20 moves per household, 40 bisection steps per
    variant, 7 scan targets, 2000 swap rounds), so the result does not depend on
    the clock; *guard* is only the safety net.
    """
    if guard is None:
        guard = Guard(float("inf"))
    t0 = time.perf_counter()
    nh, npar = len(sp.household_ids), len(sp.parcel_ids)
    cand: list[list[tuple[int, float]]] = [[] for _ in range(npar)]
    for k in np.lexsort((sp.pair_h, sp.pair_p)):
        cand[sp.pair_p[k]].append((int(sp.pair_h[k]), float(sp.pair_d[k])))
    got = np.zeros(nh)
    nplots = np.zeros(nh, dtype=np.int64)
    assign = np.full(npar, -1, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(sp.entitled_full > 0, sp.weight / sp.entitled_full, 0.0)

    def rel(hh: int, extra: float = 0.0) -> float:
        return float(max(sp.entitled[hh] - got[hh] - extra, 0.0) * inv[hh])

    order = np.lexsort((sp.parcel_ids.astype(str), -sp.area))
    for p in order:
        best, key = -1, None
        for hh, d in cand[p]:
            if got[hh] + sp.area[p] > sp.cap[hh] + 1e-9 or nplots[hh] >= sp.plots[hh]:
                continue
            r = rel(hh)
            if r <= 0:
                continue
            kk = (-r, d, hh)
            if key is None or kk < key:
                best, key = hh, kk
        if best >= 0:
            assign[p] = best
            got[best] += sp.area[p]
            nplots[best] += 1
    # local improvement on the worst household
    by_h: list[list[int]] = [[] for _ in range(nh)]
    for hh, d in zip(sp.pair_h, sp.pair_p, strict=True):
        by_h[hh].append(int(d))
    moves = 0
    limit = 20 * max(nh, 1)
    while moves < limit and not guard.expired():
        rels = np.maximum(sp.entitled - got, 0.0) * inv
        worst = int(np.argmax(rels)) if nh else 0
        zmax = rels[worst] if nh else 0.0
        if zmax <= 0:
            break
        improved = False
        for p in sorted(by_h[worst], key=lambda q: (-sp.area[q], q)):
            owner = int(assign[p])
            if owner == worst or nplots[worst] >= sp.plots[worst]:
                continue
            if got[worst] + sp.area[p] > sp.cap[worst] + 1e-9:
                continue
            if owner >= 0 and rel(owner, -sp.area[p]) >= zmax - 1e-12:
                continue  # the previous owner would become (one of) the worst
            if owner >= 0:
                got[owner] -= sp.area[p]
                nplots[owner] -= 1
            assign[p] = worst
            got[worst] += sp.area[p]
            nplots[worst] += 1
            moves += 1
            improved = True
            break
        if not improved:
            break
    z = float(_relative_shortfall(sp, assign).max()) if nh else 0.0
    # best fit at the smallest z it can reach (bisection), in several variants; keep the best
    zlb = combinatorial_bound(sp)
    for pairs, ordering in ((True, "need"), (False, "need"), (True, "relative"), (False, "relative"),
                            (False, "multi_last"), (True, "multi_last"), (True, "per_plot"),
                            (False, "per_plot")):
        lo_z, hi_z = zlb, z
        best_bf = None
        for _ in range(40):
            if hi_z - lo_z <= 1e-7 or guard.expired():
                break
            mid = 0.5 * (lo_z + hi_z)
            trial = _best_fit_at(sp, mid, pairs=pairs, order=ordering)
            if trial is None:
                lo_z = mid
            else:
                hi_z, best_bf = mid, trial
        if best_bf is not None:
            zb = float(_relative_shortfall(sp, best_bf).max())
            if zb < z - 1e-12:
                assign, z = best_bf, zb
    # success of best fit is not monotone in z: also scan targets between the bound
    # and the best z so far, lowest first, and keep the first that succeeds
    variants = ((True, "need"), (False, "need"), (True, "relative"), (False, "relative"),
                (False, "multi_last"), (True, "multi_last"), (True, "per_plot"), (False, "per_plot"))
    for k in range(1, 8):
        target = zlb + (z - zlb) * k / 8.0
        if z - zlb <= 1e-6 or guard.expired():
            break
        hit = None
        for pairs, ordering in variants:
            hit = _best_fit_at(sp, target, pairs=pairs, order=ordering)
            if hit is not None:
                break
        if hit is not None:
            zh = float(_relative_shortfall(sp, hit).max())
            if zh < z - 1e-12:
                assign, z = hit, zh
            break
    assign = _swap_improve(sp, assign, guard=guard)
    assign = _fill_free(sp, assign, order)
    z = float(_relative_shortfall(sp, assign).max()) if nh else 0.0
    return assign, z, time.perf_counter() - t0


def _fill_free(sp: Subproblem, assign: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Give free parcels (in *order*) to the households still short, largest shortfall first.

    This only lowers shortfalls, so z does not rise. *assign* is updated in place and returned.
    """
    nh, npar = len(sp.household_ids), len(sp.parcel_ids)
    got = np.zeros(nh)
    nplots = np.zeros(nh, dtype=np.int64)
    taken = assign >= 0
    np.add.at(got, assign[taken], sp.area[taken])
    np.add.at(nplots, assign[taken], 1)
    cand_sets: list[list[int]] = [[] for _ in range(npar)]
    for hh, pp in zip(sp.pair_h, sp.pair_p, strict=True):
        cand_sets[pp].append(int(hh))
    for p in order:
        if assign[p] >= 0:
            continue
        best, key = -1, None
        for hh in cand_sets[p]:
            short = sp.entitled[hh] - got[hh]
            if short <= 1e-9 or nplots[hh] >= sp.plots[hh] or got[hh] + sp.area[p] > sp.cap[hh] + 1e-9:
                continue
            kk = (-min(short, sp.area[p]), hh)
            if key is None or kk < key:
                best, key = hh, kk
        if best >= 0:
            assign[p] = best
            got[best] += sp.area[p]
            nplots[best] += 1
    return assign
