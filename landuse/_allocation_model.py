"""The integer programme behind :func:`landuse.allocation.allocate` (private).

One :class:`Subproblem` is one village and one land type: households of the village
with an entitlement to that type, and the village's free parcels of that type.
Subproblems share no parcel, no household budget and no constraint, so they are
solved independently (and in parallel).

Model (areas in ha, distances in m)::

    x[k]  in {0,1}  pair k = (household h, parcel p) gets the parcel
    s[h]  >= 0      shortfall of household h
    z     >= 0      largest weighted relative shortfall

    sum_{k: p(k)=p} x[k] <= 1                      each parcel to at most one household
    sum_{k: h(k)=h} a_p x[k] <= C_h - K_h          cap (entitlement x cap factor)
    sum_{k: h(k)=h} x[k] <= N_h - k_h              plot limit
    s[h] + sum_{k: h(k)=h} a_p x[k] >= E_h - K_h   shortfall
    (E_h / w_h) z - s[h] >= 0                      z >= w_h s_h / E_h

with K_h, k_h the area and number of kept (existing, lawful) parcels. Objectives,
solved lexicographically in three stages, each fixing the previous optimum:

1. min z                                (min-max relative shortfall)
2. min sum_h s[h]   s.t. z <= z1         (total shortfall)
3. min sum_k x[k] (1 + d_k / 1000 m)   s.t. z <= z1, sum s <= S2 (plots, distance)

Every stage starts from the previous stage's solution, which stays feasible.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from landuse._allocation_patterns import Tightened, distance_repartition, tighten

#: Distance [m] that costs as much as one extra plot in the fragmentation stage.
DISTANCE_PER_PLOT_M = 1000.0
#: Absolute tolerance when a stage's optimum is fixed for the next one.
FIX_ABS_TOL = 1e-7
#: Relative tolerance when a stage's optimum is fixed for the next one.
FIX_REL_TOL = 1e-6

_banner_lock = threading.Lock()
_banner_done = False


@contextlib.contextmanager
def _quiet_fd():
    """Silence HiGHS's one-time banner, which it prints to the C-level stdout."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            yield
            return
        try:
            fd = os.dup(1)
        except OSError:  # pragma: no cover - no fd 1 (embedded interpreters)
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(fd, 1)
            os.close(fd)
            os.close(devnull)
            _banner_done = True


#: Safety net: the wall-clock limit of any step is this many times its effort budget
#: (converted to seconds on the reference machine). Only a machine this much
#: slower than the reference (or this busy) hits it; the result is then flagged
#: ``deterministic=False``.
SAFETY_FACTOR = 10.0
#: Extra seconds of safety-net wall time on top of ``SAFETY_FACTOR x budget``.
SAFETY_MIN_S = 5.0
#: Reference-machine time of a HiGHS root node (presolve, LP, cuts; primal
#: heuristics off) per household-parcel pair [s], see :func:`root_seconds`.
ROOT_SECONDS_PER_PAIR = 2e-5
#: Pairs at which the root time per pair has doubled (the root LP and its cut
#: rounds grow about quadratically with the model) [-].
ROOT_PAIRS_SCALE = 470
#: One branch-and-bound node costs this fraction of the root node [-].
NODE_FRACTION = 0.1
#: Most effort a subproblem can use, in root nodes: two for stage 1 (half the
#: budget must pay for its root), one each for stages 2 and 3, and room for
#: about 120 branch-and-bound nodes [-].
USEFUL_ROOTS = 16.0


def root_seconds(n_cols: int) -> float:
    """Effort of a HiGHS root node on the reference machine [s] (2 cores, 24 GiB).

    .. math:: t_{root} = c \\, n (1 + n / n_0)

    with *n* the columns (about the household-parcel pairs), c =
    ``ROOT_SECONDS_PER_PAIR`` and n0 = ``ROOT_PAIRS_SCALE``, fitted to the slowest
    stage (fragmentation) on the demo with HiGHS 1.16: 5.3 s for 11,046 upland
    pairs (estimate 5.4 s), 0.1-0.2 s for 2,000-5,000 (estimate 0.2-1.2 s); stage
    1 of 6,579 paddy pairs took 1.3 s (estimate 2.0 s). A stage runs only if its budget pays for its root; its node limit
    is ``(budget - root) / (NODE_FRACTION x root)``. The estimate decides, the
    clock does not, so the decision is the same on any machine.
    """
    n = max(int(n_cols), 1)
    return ROOT_SECONDS_PER_PAIR * n * (1.0 + n / ROOT_PAIRS_SCALE)


class Guard:
    """Wall-clock safety net of one subproblem; records whether it fired.

    Every loop is bounded by counts (moves, bisection steps, passes) and every
    HiGHS stage by a node limit, so the result does not depend on the machine's
    speed or load. The guard only stops a step that runs *SAFETY_FACTOR* times
    longer than its budget assumes; then ``fired`` is True and the result may
    differ between runs.
    """

    def __init__(self, budget_s: float):
        self.budget_s = float(budget_s)
        self.deadline = time.perf_counter() + SAFETY_FACTOR * self.budget_s + SAFETY_MIN_S
        self.fired = False

    def expired(self) -> bool:
        if not self.fired and time.perf_counter() > self.deadline:
            self.fired = True
        return self.fired

    def left_s(self) -> float:
        return max(self.deadline - time.perf_counter(), 0.05)


def new_highs(*, time_limit_s: float, mip_gap: float):
    """A silent, single-threaded, seeded HiGHS instance.

    *time_limit_s* is the safety net only; stages stop at their node limit. The
    primal heuristics of HiGHS are off (the model is started from our heuristic
    solution): they made the root node six times slower on the demo without a
    better incumbent, and the root is the part no node limit bounds.
    """
    import highspy

    with _quiet_fd():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.05)))
    h.setOptionValue("mip_heuristic_effort", 0.0)
    for name in ("mip_heuristic_run_feasibility_jump", "mip_heuristic_run_rins", "mip_heuristic_run_rens",
                 "mip_heuristic_run_root_reduced_cost"):
        h.setOptionValue(name, False)
    return h


@dataclass
class Subproblem:
    """One village and land type (arrays indexed by household / parcel / pair)."""

    village_id: str
    land_type: str
    household_ids: np.ndarray  # (nh,)
    entitled: np.ndarray  # E_h - K_h, remaining entitlement [ha] (may be <= 0)
    entitled_full: np.ndarray  # E_h [ha]
    cap: np.ndarray  # C_h - K_h [ha]
    plots: np.ndarray  # N_h - k_h [-]
    weight: np.ndarray  # w_h [-]
    parcel_ids: np.ndarray  # (np,)
    area: np.ndarray  # a_p [ha]
    pair_h: np.ndarray  # (m,) household index of pair
    pair_p: np.ndarray  # (m,) parcel index of pair
    pair_d: np.ndarray  # (m,) distance [m]

    @property
    def n_pairs(self) -> int:
        return len(self.pair_h)


@dataclass
class Solution:
    """Assignment and solver report of one subproblem."""

    assign: np.ndarray  # (np,) household index or -1
    method: str  # "mip", "heuristic", "trivial"
    status: str
    stages: list[dict] = field(default_factory=list)
    gap: float = 0.0  # proven relative gap of the primary (min-max) stage
    bound: float = 0.0  # proven lower bound of z (stage 1)
    runtime_s: float = 0.0
    deterministic: bool = True  # False when the wall-clock safety net stopped a step
    work_s: float = 0.0  # effort charged [reference s]; the rest of the budget passes on


def _relative_shortfall(sp: Subproblem, assign: np.ndarray) -> np.ndarray:
    got = np.zeros(len(sp.household_ids))
    mask = assign >= 0
    np.add.at(got, assign[mask], sp.area[mask])
    short = np.maximum(sp.entitled - got, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(sp.entitled_full > 0, sp.weight * short / sp.entitled_full, 0.0)
    return rel


def _gap(primal: float, dual: float) -> float:
    """Relative gap |primal - dual| / |primal| (0 when both are ~0)."""
    if not np.isfinite(dual):
        return float("inf")
    diff = max(primal - dual, 0.0)
    if diff <= 1e-8:
        return 0.0
    return diff / max(abs(primal), 1e-12)


def build_lp(sp: Subproblem):
    """The HighsLp of stage 1 and the column layout (x, s, z)."""
    import highspy
    import scipy.sparse as sps

    nh, npar, m = len(sp.household_ids), len(sp.parcel_ids), sp.n_pairs
    ncol = m + nh + 1
    zc = m + nh
    a = sp.area[sp.pair_p]
    k = np.arange(m)
    hcol = m + np.arange(nh)
    r_parcel = sp.pair_p
    r_cap = npar + sp.pair_h
    r_plot = npar + nh + sp.pair_h
    r_short = npar + 2 * nh + sp.pair_h
    rows = np.concatenate([r_parcel, r_cap, r_plot, r_short,
                           npar + 2 * nh + np.arange(nh),  # s in shortfall rows
                           npar + 3 * nh + np.arange(nh),  # -s in fairness rows
                           npar + 3 * nh + np.arange(nh)])  # z in fairness rows
    cols = np.concatenate([k, k, k, k, hcol, hcol, np.full(nh, zc)])
    with np.errstate(divide="ignore", invalid="ignore"):
        zcoef = np.where(sp.weight > 0, sp.entitled_full / sp.weight, 0.0)
    vals = np.concatenate([np.ones(m), a, np.ones(m), a, np.ones(nh), -np.ones(nh), zcoef])
    nrow = npar + 4 * nh
    mat = sps.csc_matrix((vals, (rows, cols)), shape=(nrow, ncol))
    mat.sort_indices()
    inf = highspy.kHighsInf
    row_lo = np.concatenate([np.full(npar, -inf), np.full(nh, -inf), np.full(nh, -inf),
                             sp.entitled, np.zeros(nh)])
    row_hi = np.concatenate([np.ones(npar), sp.cap + 1e-9, sp.plots.astype(float),
                             np.full(nh, inf), np.full(nh, inf)])
    col_lo = np.zeros(ncol)
    col_hi = np.concatenate([np.ones(m), np.maximum(sp.entitled, 0.0), [max(float(sp.weight.max()), 1.0)]])
    cost = np.zeros(ncol)
    cost[zc] = 1.0
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = nrow
    lp.col_cost_ = cost
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
    lp.a_matrix_.index_ = mat.indices.astype(np.int32)
    lp.a_matrix_.value_ = mat.data
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = nrow
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * (nh + 1)
    return lp, m, nh, zc


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


def _columns_from_assign(sp: Subproblem, assign: np.ndarray) -> np.ndarray:
    """Full column vector (x, s, z) of an assignment."""
    m, nh = sp.n_pairs, len(sp.household_ids)
    x = np.zeros(m)
    chosen = assign[sp.pair_p] == sp.pair_h
    x[chosen] = 1.0
    got = np.zeros(nh)
    np.add.at(got, sp.pair_h[chosen], sp.area[sp.pair_p[chosen]])
    s = np.clip(sp.entitled - got, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(sp.entitled_full > 0, sp.weight * s / sp.entitled_full, 0.0)
    z = float(rel.max()) if nh else 0.0
    return np.concatenate([x, s, [z]])


def _assign_from_x(sp: Subproblem, x: np.ndarray) -> np.ndarray:
    assign = np.full(len(sp.parcel_ids), -1, dtype=np.int64)
    chosen = np.flatnonzero(x > 0.5)
    # sorted by pair so a (numerically impossible) double use resolves deterministically
    for k in chosen:
        if assign[sp.pair_p[k]] < 0:
            assign[sp.pair_p[k]] = sp.pair_h[k]
    return assign


def _run_stage(h, name: str, ncol: int, start: np.ndarray | None, *, budget_s: float | None = None,
               guard: Guard | None = None) -> dict:
    """Run one HiGHS stage from *start*; with *budget_s*, under a node limit derived from it."""
    import highspy

    if budget_s is not None:
        root = root_seconds(ncol)
        nodes = int(max(budget_s - root, 0.0) / (NODE_FRACTION * root))
        h.setOptionValue("mip_max_nodes", max(nodes, 1))
    if guard is not None:
        h.setOptionValue("time_limit", guard.left_s())

    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    elapsed = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    primal = float(info.objective_function_value) if has_sol else float("nan")
    dual = float(info.mip_dual_bound)
    if status == highspy.HighsModelStatus.kTimeLimit and guard is not None:
        guard.fired = True
    return {
        "stage": name,
        "status": h.modelStatusToString(status),
        "objective": primal,
        "bound": dual,
        "gap": _gap(primal, dual) if has_sol else float("inf"),
        "runtime_s": elapsed,
        "nodes": int(info.mip_node_count),
        "proof": "HiGHS",
        "x": np.array(h.getSolution().col_value) if has_sol else None,
    }


def shortfall_bound(sp: Subproblem) -> float:
    """Lower bound of the total shortfall (stage 2): no more land can be given than exists.

    .. math:: \\sum_h s_h \\ge \\sum_h \\max(E_h - K_h, 0) - \\sum_p a_p
    """
    return max(float(np.clip(sp.entitled, 0, None).sum() - sp.area.sum()), 0.0)


def fragmentation_bound(sp: Subproblem, total_shortfall: float) -> float:
    """Lower bound of the fragmentation objective (stage 3) given the total shortfall.

    The allocation must hand out at least :math:`X = \\sum_h \\max(E_h - K_h, 0) - S`
    ha; each parcel costs at least :math:`c_p = 1 + \\min_h d_{hp} / 1000`. The
    fractional knapsack cover (parcels by increasing :math:`c_p / a_p`) is a lower
    bound of the cheapest set of parcels of area >= X.
    """
    need = float(np.clip(sp.entitled, 0, None).sum() - total_shortfall)
    if need <= 1e-9 or sp.n_pairs == 0:
        return 0.0
    cmin = np.full(len(sp.parcel_ids), np.inf)
    np.minimum.at(cmin, sp.pair_p, 1.0 + sp.pair_d / DISTANCE_PER_PLOT_M)
    ok = np.isfinite(cmin) & (sp.area > 0)
    ratio = cmin[ok] / sp.area[ok]
    order = np.argsort(ratio, kind="stable")
    area, cost = sp.area[ok][order], cmin[ok][order]
    cum = np.cumsum(area)
    k = int(np.searchsorted(cum, need - 1e-12))
    if k >= area.size:
        return float(cost.sum())
    before = float(cost[:k].sum())
    rest = need - (float(cum[k - 1]) if k else 0.0)
    return before + rest * float(ratio[order][k])


#: Reference-machine seconds per simplex iteration and column of an LP [s].
SECONDS_PER_SIMPLEX_COLUMN = 3e-9


def fragmentation_lp_bound(sp: Subproblem, z_max: float, shortfall_max: float, *,
                           guard: Guard | None = None) -> tuple[float, float]:
    """Lower bound of the fragmentation stage from its LP relaxation; returns (bound, effort [s]).

    The stage-3 model (largest relative shortfall <= *z_max*, total shortfall
    <= *shortfall_max*, the same tolerances as the MIP) with :math:`0 \\le x \\le 1`.
    A pure LP, without the cuts and heuristics of a MIP root node, so it is
    cheap even where HiGHS cannot pay for that root (0.5 s for 66,000 pairs on
    the demo). Effort is charged by simplex iterations (deterministic). 0 if not
    solved.
    """
    import highspy

    lp, m, nh, zc = build_lp(sp)
    lp.integrality_ = []
    cost = np.zeros(lp.num_col_)
    cost[:m] = 1.0 + sp.pair_d / DISTANCE_PER_PLOT_M
    lp.col_cost_ = cost
    hi = np.array(lp.col_upper_)
    hi[zc] = z_max
    lp.col_upper_ = hi
    h = new_highs(time_limit_s=guard.left_s() if guard is not None else float("inf"), mip_gap=0.0)
    h.passModel(lp)
    h.addRow(-highspy.kHighsInf, shortfall_max, nh, np.arange(m, m + nh, dtype=np.int32), np.ones(nh))
    h.run()
    work = SECONDS_PER_SIMPLEX_COLUMN * float(h.getInfo().simplex_iteration_count) * lp.num_col_
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        if guard is not None and h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            guard.fired = True
        return 0.0, work
    return max(float(h.getInfo().objective_function_value), 0.0), work


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


def _apply_bound(stage: dict, bound: float, proof: str) -> None:
    """Raise a stage's proven bound to *bound* (also proven, by *proof*) and recompute its gap."""
    if not np.isfinite(stage["objective"]):
        return
    b = stage["bound"]
    if not np.isfinite(b) or bound > b:
        stage["proof"] = proof
    stage["bound"] = max(b, bound) if np.isfinite(b) else bound
    stage["gap"] = _gap(stage["objective"], stage["bound"])


def _skipped(name: str, objective: float, x: np.ndarray) -> dict:
    return {"stage": name, "status": "Not run (budget)", "objective": objective, "bound": float("nan"),
            "gap": float("inf"), "runtime_s": 0.0, "nodes": 0, "proof": "", "x": x}


def _stage_work(stage: dict, ncol: int) -> float:
    """Effort a HiGHS stage is charged [reference s]: root plus nodes (deterministic counts)."""
    if stage["runtime_s"] == 0.0 and stage["nodes"] == 0:
        return 0.0  # not run
    return root_seconds(ncol) * (1.0 + NODE_FRACTION * max(stage["nodes"] - 1, 0))


def presolve(sp: Subproblem, *, budget_s: float, mip_gap: float) -> Tightened:
    """Stage 1 before HiGHS: a good assignment and a proven lower bound of z.

    The heuristic (:func:`heuristic_assign`) and :func:`combinatorial_bound`,
    tightened by pairwise re-partition and the configuration LP
    (:func:`landuse._allocation_patterns.tighten`) within *budget_s* [reference
    s]. ``deterministic`` of the result is False if the wall-clock safety net fired.
    """
    guard = Guard(budget_s)
    tight = tighten(sp, heuristic_assign(sp, guard=guard), combinatorial_bound(sp), mip_gap=mip_gap,
                    budget_s=budget_s, guard=guard)
    tight.timed_out |= guard.fired
    return tight


def solve_mip(sp: Subproblem, *, time_limit_s: float, mip_gap: float, start: Tightened | None = None) -> Solution:
    """Solve the three lexicographic stages within an effort budget of *time_limit_s*.

    The budget is in seconds *of the reference machine* and is spent by counts,
    not by the clock, so the result is the same on a busy or a fast machine:
    a HiGHS stage costs :func:`root_seconds` plus ``NODE_FRACTION`` of it per
    further node, and gets a node limit from its share (stage 1 half the budget,
    stage 2 half the rest, stage 3 the rest; what a stage does not use passes on).
    Stage 1 starts from *start* (:func:`presolve`, computed here with half the
    budget if not given): the heuristic improved by re-partition, and the proven
    combinatorial and pattern-LP bounds; HiGHS runs only if their gap exceeds
    *mip_gap*. Stages 2 and 3 run HiGHS from the previous
    solution. A stage whose share cannot pay for its root node is not run: its
    solution is the previous stage's and its gap is reported as not proven (inf)
    unless a bound closes it. The wall clock is only a safety net (:class:`Guard`,
    ``SAFETY_FACTOR`` x the budget); if it fires, ``deterministic`` is False.
    """
    t_start = time.perf_counter()
    budget = max(float(time_limit_s), 0.0)
    guard = Guard(budget)
    lp, m, nh, zc = build_lp(sp)
    ncol = lp.num_col_
    root = root_seconds(ncol)
    used = 0.0
    # a good incumbent (heuristic, re-partition) and a proven lower bound of z
    # (combinatorial, configuration LP) before HiGHS starts
    tight = start
    if tight is None:
        tight = presolve(sp, budget_s=0.5 * budget, mip_gap=mip_gap)
        used += tight.work_s
    start = _columns_from_assign(sp, tight.assign)
    zlb = tight.bound
    lp.col_lower_ = np.concatenate([np.zeros(lp.num_col_ - 1), [max(zlb - 1e-9, 0.0)]])
    h = new_highs(time_limit_s=guard.left_s(), mip_gap=mip_gap)
    h.passModel(lp)
    stages = []
    # stage 1: min z (skipped when the heuristic already meets the bound within the gap)
    z_start = float(start[zc])
    b1 = 0.5 * (budget - used)
    if _gap(z_start, zlb) <= mip_gap or b1 < root:
        r1 = {"stage": "max_relative_shortfall", "status": "Optimal" if _gap(z_start, zlb) <= mip_gap
              else "Not run (budget)", "objective": z_start, "bound": zlb, "gap": _gap(z_start, zlb),
              "runtime_s": 0.0, "nodes": 0, "proof": tight.proof, "x": start}
    else:
        r1 = _run_stage(h, "max_relative_shortfall", ncol, start, budget_s=b1, guard=guard)
        used += _stage_work(r1, ncol)
        if r1["x"] is None or not np.isfinite(r1["objective"]) or r1["objective"] > z_start:
            r1["x"], r1["objective"] = start, z_start
        r1["proof"] = "HiGHS" if np.isfinite(r1["bound"]) and r1["bound"] > zlb else tight.proof
        r1["bound"] = max(r1["bound"], zlb) if np.isfinite(r1["bound"]) else zlb
        r1["gap"] = _gap(r1["objective"], r1["bound"])
    stages.append(r1)
    x = r1["x"]
    z1 = float(x[zc])
    # stage 2: min total shortfall with z fixed
    h.changeColBounds(zc, max(zlb - 1e-9, 0.0), max(z1 * (1 + FIX_REL_TOL) + FIX_ABS_TOL, zlb))
    h.changeColCost(zc, 0.0)
    h.changeColsCost(nh, np.arange(m, m + nh, dtype=np.int32), np.ones(nh))
    b2 = 0.5 * (budget - used)
    s_start = float(np.sum(x[m:m + nh]))
    if _gap(s_start, shortfall_bound(sp)) > mip_gap and b2 >= root:
        r2 = _run_stage(h, "total_shortfall_ha", ncol, x, budget_s=b2, guard=guard)
        used += _stage_work(r2, ncol)
    else:
        r2 = _skipped("total_shortfall_ha", s_start, x)
    _apply_bound(r2, shortfall_bound(sp), "land available")
    stages.append(r2)
    if r2["x"] is not None:
        x = r2["x"]
    s2 = float(np.sum(x[m:m + nh]))
    # stage 3: min plots and distance with the total shortfall fixed
    cost = 1.0 + sp.pair_d / DISTANCE_PER_PLOT_M
    b3 = budget - used
    if b3 >= root:
        h.changeColsCost(nh, np.arange(m, m + nh, dtype=np.int32), np.zeros(nh))
        h.addRow(-np.inf, s2 * (1 + FIX_REL_TOL) + FIX_ABS_TOL * max(1, nh), nh,
                 np.arange(m, m + nh, dtype=np.int32), np.ones(nh))
        h.changeColsCost(m, np.arange(m, dtype=np.int32), cost)
        r3 = _run_stage(h, "fragmentation", ncol, x, budget_s=b3, guard=guard)
        used += _stage_work(r3, ncol)
    else:
        r3 = _skipped("fragmentation", float(cost @ x[:m]), x)
    if r3["x"] is not None:
        x = r3["x"]
    if not np.isfinite(r3["objective"]):
        r3["objective"] = float(cost @ x[:m])
    assign = _assign_from_x(sp, x[:m])
    z_fix = z1 * (1 + FIX_REL_TOL) + FIX_ABS_TOL
    s_fix = s2 * (1 + FIX_REL_TOL) + FIX_ABS_TOL * max(1, nh)
    _apply_bound(r3, fragmentation_bound(sp, s2), "knapsack cover")
    if r3["status"] != "Optimal" or r3["gap"] > mip_gap:
        better, w = distance_repartition(sp, assign, z_max=z_fix)
        used += w
        better = _distance_improve(sp, better, z_max=z_fix, shortfall_max=s_fix, guard=guard)
        frag = float(cost @ _columns_from_assign(sp, better)[:m])
        if frag < r3["objective"] - 1e-9:
            assign, r3["objective"] = better, frag
            r3["status"] = r3["status"] + " + swaps"
        r3["gap"] = _gap(r3["objective"], r3["bound"])
    if r3["gap"] > mip_gap:
        lpb, w = fragmentation_lp_bound(sp, z_fix, s_fix, guard=guard)
        used += w
        _apply_bound(r3, lpb, "LP relaxation")
    stages.append(r3)
    for r in stages:
        if r["status"] != "Optimal" and r["gap"] <= mip_gap:
            r["status"] = "Optimal"  # proven within the requested gap
    statuses = [r["status"] for r in stages]
    status = "optimal" if all(s == "Optimal" for s in statuses) else "time_limit"
    for r in stages:
        r.pop("x")
    return Solution(assign=assign, method="mip", status=status, stages=stages,
                    gap=r1["gap"], bound=max(r1["bound"], 0.0),
                    runtime_s=time.perf_counter() - t_start, deterministic=not (guard.fired or tight.timed_out),
                    work_s=min(used, budget))


def lp_bound(sp: Subproblem, *, guard: Guard | None = None) -> float:
    """Lower bound of z from the LP relaxation of stage 1 (solved to optimality; *guard* is the safety net)."""
    import highspy

    lp, m, nh, zc = build_lp(sp)
    lp.integrality_ = []
    h = new_highs(time_limit_s=guard.left_s() if guard is not None else float("inf"), mip_gap=0.0)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        if guard is not None and h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            guard.fired = True
        return 0.0
    return max(float(h.getInfo().objective_function_value), 0.0)


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
    """The heuristic assignment of :func:`solve_heuristic`, without its bound."""
    return _heuristic(sp, guard=guard)[0]


def _heuristic(sp: Subproblem, *, guard: Guard | None = None) -> tuple[np.ndarray, float, float]:
    """Assignment, its z and runtime (see :func:`solve_heuristic`).

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
    # fill: free parcels to the households still short (largest shortfall first);
    # this only lowers shortfalls, so z does not rise
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
    z = float(_relative_shortfall(sp, assign).max()) if nh else 0.0
    return assign, z, time.perf_counter() - t0


def solve_heuristic(sp: Subproblem, *, time_limit_s: float, mip_gap: float = 0.005,
                    start: Tightened | None = None) -> Solution:
    """Greedy min-max assignments with local improvement, and the gap to the best bound.

    1. Longest first (Graham 1969, adapted to caps): parcels in decreasing area go
       to the candidate household with the largest weighted relative shortfall
       that can still take them (cap, plot limit), ties to the nearer household.
       Then, while the worst household can take a free parcel, or a parcel whose
       owner then stays below the current maximum, the parcel moves.
    2. Best fit at a target: for a target z every household needs
       :math:`L_h(z) = E_h(1 - z/w_h)`; in decreasing need, each takes the smallest
       free parcel covering its remaining need (else the largest that fits). The
       smallest z at which this succeeds is found by bisection.
    3. The better of the two is kept and improved by pairwise re-partition;
       its gap is measured against the best of :func:`combinatorial_bound`, the
       configuration LP (:func:`landuse._allocation_patterns.tighten`) and, if
       still above *mip_gap*, the LP relaxation of stage 1: all proven lower
       bounds.
    """
    t0 = time.perf_counter()
    guard = Guard(time_limit_s)
    tight = start if start is not None else presolve(sp, budget_s=0.5 * time_limit_s, mip_gap=mip_gap)
    assign, z, bound, proof = tight.assign, tight.z, tight.bound, tight.proof
    if _gap(z, bound) > mip_gap:
        lpb = lp_bound(sp, guard=guard)
        if lpb > bound:
            bound, proof = lpb, "LP relaxation"
    gap = _gap(z, bound)
    stage = {"stage": "max_relative_shortfall", "status": "heuristic", "objective": z, "bound": bound,
             "gap": gap, "runtime_s": time.perf_counter() - t0, "nodes": 0, "proof": proof}
    return Solution(assign=assign, method="heuristic", status="heuristic", stages=[stage], gap=gap,
                    bound=bound, runtime_s=time.perf_counter() - t0,
                    deterministic=not (guard.fired or tight.timed_out), work_s=float(time_limit_s))
