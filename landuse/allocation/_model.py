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
Stage 1 starts from :func:`presolve`: the heuristics and the combinatorial bound
of :mod:`landuse.allocation._heuristic`, tightened by the pairwise re-partition
and the configuration LP of :mod:`landuse.allocation._patterns`. Stage 3, when
HiGHS leaves its gap open, is bounded by its own configuration LP and improved by
the restricted master IP of :mod:`landuse.allocation._fragment`
(``CONFIGURATION_LP``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from landuse.allocation._fragment import DISTANCE_PER_PLOT_M, configuration_bound, master_assignment
from landuse.allocation._heuristic import _distance_improve, combinatorial_bound, heuristic_assign
from landuse.allocation._patterns import Tightened, distance_repartition, tighten
from landuse.allocation._problem import Guard, Subproblem, new_highs

#: Absolute tolerance when a stage's optimum is fixed for the next one.
FIX_ABS_TOL = 1e-7
#: Relative tolerance when a stage's optimum is fixed for the next one.
FIX_REL_TOL = 1e-6

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
#: Whether stage 3 is closed by the configuration LP and its patterns
#: (:mod:`landuse.allocation._fragment`) when HiGHS leaves a gap [-]. False gives the
#: HiGHS-only stage 3 of before (kept for the benchmark).
CONFIGURATION_LP = True
#: Effort the configuration LP of stage 3 may use even when the budget is spent
#: [reference s]. 0: like every other step it only spends what the budget has left
#: (the budget is the one knob of the solver's effort; 2.0 cost about 3x the
#: CPU of a 5 s budget on the province tile, see ``benchmarks/README.md``).
FRAGMENT_MIN_WORK_S = 0.0
#: Node limit of the restricted master IP that assembles patterns into an allocation [-].
MASTER_NODES = 50


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


def master_root_seconds(n_cols: int, n_households: int) -> float:
    """Effort of the root node of the restricted master IP of stage 3 on the reference machine [s].

    .. math:: t_{root} = 2 \\times 3.2 \\cdot 10^{-7} \\, n^{0.91} \\, (n / n_h)^{2.56}

    with *n* the columns (patterns and one artificial column per household) and
    :math:`n_h` the households. The set-partitioning master grows much harder with
    the patterns per household than the pair model does with its pairs
    (:func:`root_seconds` underestimated it up to 12x). Fitted by least squares on
    the logarithms to 40 root nodes of the demo's and the province tile's stage-3
    masters (550-5,700 columns, 70-175 households, 0.01-6.4 CPU-s; HiGHS 1.16,
    median ratio of CPU to the fit 0.89, 90th percentile 1.9); the factor 2 covers
    that percentile, so the master IP runs only where its root is paid for.
    """
    n = float(max(int(n_cols), 1))
    per_household = n / max(int(n_households), 1)
    return 2.0 * 3.2e-7 * n ** 0.91 * per_household ** 2.56


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


def _add_whole_parcel_rows(h, sp: Subproblem, z_max: float) -> None:
    """Add the valid inequalities of whole parcels at z <= *z_max* to the HiGHS model *h*.

    Household h needs :math:`L_h = E_h - K_h - z E_h / w_h` ha, so at least
    :math:`k_h` parcels (its :math:`k_h` largest eligible parcels reach
    :math:`L_h`) and :math:`\\sum_p \\min(a_p, L_h) x_{hp} \\ge L_h`.
    """
    import highspy

    nh = len(sp.household_ids)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(sp.weight > 0, sp.entitled - z_max * sp.entitled_full / sp.weight, -np.inf)
    order = np.argsort(sp.pair_h, kind="stable")
    bounds = np.searchsorted(sp.pair_h[order], np.arange(nh + 1))
    for hh in np.flatnonzero(need > 1e-9):
        cols = order[bounds[hh]:bounds[hh + 1]].astype(np.int32)
        if cols.size == 0:
            continue
        areas = sp.area[sp.pair_p[cols]]
        k = int(np.searchsorted(np.cumsum(np.sort(areas)[::-1]), need[hh] - 1e-9)) + 1
        h.addRow(float(min(k, sp.plots[hh], cols.size)), highspy.kHighsInf, cols.size, cols, np.ones(cols.size))
        h.addRow(float(need[hh]), highspy.kHighsInf, cols.size, cols, np.minimum(areas, need[hh]))


def fragmentation_lp_bound(sp: Subproblem, z_max: float, shortfall_max: float, *,
                           guard: Guard | None = None, duals: dict | None = None) -> tuple[float, float]:
    """Lower bound of the fragmentation stage from its LP relaxation; returns (bound, effort [s]).

    The stage-3 model (largest relative shortfall <= *z_max*, total shortfall
    <= *shortfall_max*, the same tolerances as the MIP) with :math:`0 \\le x \\le 1`,
    plus two valid inequalities per household that needs :math:`L_h > 0` ha:
    at least :math:`k_h` parcels (the fewest of its largest eligible parcels
    that reach :math:`L_h`), and :math:`\\sum_p \\min(a_p, L_h) x_{hp} \\ge L_h`
    (a whole parcel covers at most the need; this stops one large parcel from
    serving several households fractionally). A pure LP, without the cuts and
    heuristics of a MIP root node, so it is cheap even where HiGHS cannot pay
    for that root (under 1 s for 66,000 pairs on the demo). Effort is charged by simplex iterations (deterministic). 0 if not
    solved. With *duals* (a dict), its ``lam`` [-/parcel] and ``mu`` [-/ha] receive the
    multipliers of the parcel rows and the total-shortfall row (both >= 0), a
    good start for the configuration LP of :mod:`landuse.allocation._fragment`.
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
    _add_whole_parcel_rows(h, sp, z_max)
    h.run()
    work = SECONDS_PER_SIMPLEX_COLUMN * float(h.getInfo().simplex_iteration_count) * lp.num_col_
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        if guard is not None and h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            guard.fired = True
        return 0.0, work
    if duals is not None:
        row = np.asarray(h.getSolution().row_dual)
        npar = len(sp.parcel_ids)
        duals["lam"] = np.maximum(-row[:npar], 0.0)
        duals["mu"] = max(-float(row[npar + 4 * nh]), 0.0)
    return max(float(h.getInfo().objective_function_value), 0.0), work


def _apply_bound(stage: dict, bound: float, proof: str) -> None:
    """Raise a stage's proven bound to *bound* (also proven, by *proof*) and recompute its gap."""
    if not np.isfinite(stage["objective"]):
        return
    b = stage["bound"]
    if not np.isfinite(b) or bound > b:
        stage["proof"] = proof
    stage["bound"] = max(b, bound) if np.isfinite(b) else bound
    stage["gap"] = _gap(stage["objective"], stage["bound"])


def _skipped(name: str, objective: float, x: np.ndarray) -> dict[str, Any]:
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
    (:func:`landuse.allocation._patterns.tighten`) within *budget_s* [reference
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
    solution; if stage 3's gap is still open, :func:`_configuration_stage`
    (at least ``FRAGMENT_MIN_WORK_S``) bounds it by the configuration LP and may
    replace the allocation by a cheaper one made of its patterns. A stage whose
    share cannot pay for its root node is not run: its
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
    x_start = _columns_from_assign(sp, tight.assign)
    zlb = tight.bound
    lp.col_lower_ = np.concatenate([np.zeros(lp.num_col_ - 1), [max(zlb - 1e-9, 0.0)]])
    h = new_highs(time_limit_s=guard.left_s(), mip_gap=mip_gap)
    h.passModel(lp)
    stages = []
    # stage 1: min z (skipped when the heuristic already meets the bound within the gap)
    z_start = float(x_start[zc])
    b1 = 0.5 * (budget - used)
    if _gap(z_start, zlb) <= mip_gap or b1 < root:
        r1: dict[str, Any] = {"stage": "max_relative_shortfall", "status": "Optimal" if _gap(z_start, zlb) <= mip_gap
              else "Not run (budget)", "objective": z_start, "bound": zlb, "gap": _gap(z_start, zlb),
              "runtime_s": 0.0, "nodes": 0, "proof": tight.proof, "x": x_start}
    else:
        r1 = _run_stage(h, "max_relative_shortfall", ncol, x_start, budget_s=b1, guard=guard)
        used += _stage_work(r1, ncol)
        if r1["x"] is None or not np.isfinite(r1["objective"]) or r1["objective"] > z_start:
            r1["x"], r1["objective"] = x_start, z_start
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
        lp_duals: dict[str, Any] = {}
        lpb, w = fragmentation_lp_bound(sp, z_fix, s_fix, guard=guard, duals=lp_duals)
        used += w
        _apply_bound(r3, lpb, "LP relaxation")
    if r3["gap"] > mip_gap and CONFIGURATION_LP:
        work3 = max(budget - used, FRAGMENT_MIN_WORK_S)
        guard3 = Guard(work3)  # its own safety net: this step may use more than the budget left
        assign, w = _configuration_stage(sp, r3, assign, z_fix, s_fix, mip_gap=mip_gap, work_s=work3, guard=guard3,
                                         start=lp_duals)
        used += w
        guard.fired |= guard3.fired
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


def _meets_stage3(sp: Subproblem, assign: np.ndarray, z_max: float, shortfall_max: float) -> bool:
    """Whether *assign* uses allowed pairs only and meets caps, plot limits and the fixed optima of stages 1-2."""
    m, nh = sp.n_pairs, len(sp.household_ids)
    taken = assign >= 0
    col = _columns_from_assign(sp, assign)
    if int(np.sum(col[:m] > 0.5)) != int(taken.sum()):
        return False  # a parcel went to a household that may not take it
    got = np.zeros(nh)
    n = np.zeros(nh, dtype=np.int64)
    np.add.at(got, assign[taken], sp.area[taken])
    np.add.at(n, assign[taken], 1)
    return bool(np.all(got <= sp.cap + 1e-9) and np.all(n <= sp.plots) and col[-1] <= z_max + 1e-9
                and col[m:m + nh].sum() <= shortfall_max + 1e-9)


def _configuration_stage(sp: Subproblem, r3: dict, assign: np.ndarray, z_max: float, shortfall_max: float, *,
                         mip_gap: float, work_s: float, guard: Guard,
                         start: dict | None = None) -> tuple[np.ndarray, float]:
    """Close stage 3's gap with the configuration LP; returns (assignment, effort [reference s]).

    1. :func:`landuse.allocation._fragment.configuration_bound` (column
       generation from the pair LP's multipliers *start*, so its Lagrangian
       bound is at least that LP's; the bound is proven) until it proves
       *mip_gap* or the effort *work_s* is spent; it raises ``r3``'s bound.
       Every few rounds its master LP is rounded into an allocation
       (:func:`landuse.allocation._fragment.rounded_assignment`), kept if cheaper
       and meeting every stage-3 row; the better incumbent lowers the target.
    2. If the gap is still open, the generated patterns are assembled into an
       allocation by the restricted master IP
       (:func:`landuse.allocation._fragment.master_assignment`, ``MASTER_NODES``
       nodes, fewer if the effort left cannot pay for them; not run if it cannot pay
       for its root); it replaces *assign* if it is cheaper and meets every stage-3 row.
    """
    cost = 1.0 + sp.pair_d / DISTANCE_PER_PLOT_M
    best = {"assign": assign, "frag": r3["objective"]}

    def primal(a: np.ndarray) -> float:
        # keep a rounded master solution if it is cheaper and meets every stage-3 row
        frag = float(cost @ _columns_from_assign(sp, a)[:sp.n_pairs])
        if frag < best["frag"] - 1e-9 and _meets_stage3(sp, a, z_max, shortfall_max):
            best["assign"], best["frag"] = a, frag
        return best["frag"] * (1.0 - mip_gap)

    fb = configuration_bound(sp, z_max, shortfall_max, assign=assign, target=r3["objective"] * (1.0 - mip_gap),
                             work_limit_s=work_s, guard=guard, multipliers=start, primal=primal)
    used = fb.work_s
    if best["frag"] < r3["objective"] - 1e-9:
        assign, r3["objective"] = best["assign"], best["frag"]
        r3["status"] = r3["status"] + " + rounding"
    _apply_bound(r3, fb.bound, "configuration LP")
    root = master_root_seconds(len(fb.patterns) + len(sp.household_ids), len(sp.household_ids))
    if r3["gap"] > mip_gap and work_s - used >= root:  # the master IP only if what is left pays for its root
        nodes_paid = 1 + int((work_s - used - root) / (NODE_FRACTION * root))
        better, nodes = master_assignment(sp, fb, node_limit=min(MASTER_NODES, nodes_paid), guard=guard)
        used += root * (1.0 + NODE_FRACTION * max(nodes - 1, 0))
        if better is not None and _meets_stage3(sp, better, z_max, shortfall_max):
            frag = float(cost @ _columns_from_assign(sp, better)[:sp.n_pairs])
            if frag < r3["objective"] - 1e-9:
                assign, r3["objective"] = better, frag
                r3["status"] = r3["status"] + " + patterns"
        r3["gap"] = _gap(r3["objective"], r3["bound"])
    return assign, used


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
       configuration LP (:func:`landuse.allocation._patterns.tighten`) and, if
       still above *mip_gap*, the LP relaxation of stage 1: all proven lower
       bounds.
    4. Stages 2 and 3 without HiGHS: distances are shortened by pairwise
       re-partition and parcel swaps that keep the largest relative shortfall and
       the total shortfall; their gaps are reported against the land available and
       the fractional knapsack cover.
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
    # stages 2 and 3 without HiGHS: keep the total shortfall, shorten distances
    nh = len(sp.household_ids)

    def total_shortfall(a: np.ndarray) -> float:
        return float(np.sum(_columns_from_assign(sp, a)[sp.n_pairs:sp.n_pairs + nh]))

    s_total = total_shortfall(assign)
    stage2 = {"stage": "total_shortfall_ha", "status": "heuristic", "objective": s_total, "bound": float("nan"),
              "gap": float("inf"), "runtime_s": 0.0, "nodes": 0, "proof": ""}
    _apply_bound(stage2, shortfall_bound(sp), "land available")
    t3 = time.perf_counter()
    z_fix = z * (1 + FIX_REL_TOL) + FIX_ABS_TOL
    s_fix = s_total * (1 + FIX_REL_TOL) + FIX_ABS_TOL * max(1, nh)
    cost = 1.0 + sp.pair_d / DISTANCE_PER_PLOT_M

    def frag(a: np.ndarray) -> float:
        return float(cost @ _columns_from_assign(sp, a)[:sp.n_pairs])

    better, _w = distance_repartition(sp, assign, z_max=z_fix)
    better = _distance_improve(sp, better, z_max=z_fix, shortfall_max=s_fix, guard=guard)
    if frag(better) < frag(assign) - 1e-9:
        assign = better
    stage3 = {"stage": "fragmentation", "status": "heuristic", "objective": frag(assign), "bound": float("nan"),
              "gap": float("inf"), "runtime_s": time.perf_counter() - t3, "nodes": 0, "proof": ""}
    _apply_bound(stage3, fragmentation_bound(sp, s_total), "knapsack cover")
    return Solution(assign=assign, method="heuristic", status="heuristic", stages=[stage, stage2, stage3],
                    gap=gap, bound=bound, runtime_s=time.perf_counter() - t0,
                    deterministic=not (guard.fired or tight.timed_out), work_s=float(time_limit_s))
