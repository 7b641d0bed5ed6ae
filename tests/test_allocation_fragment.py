"""The fragmentation stage's configuration LP and its Lagrangian bound (landuse.allocation._fragment).

Every bound is checked against an independent oracle: the stage-3 optimum found
by enumerating every assignment of tiny instances.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landuse.allocation import _fragment as frag
from landuse.allocation import _model as model
from landuse.allocation._problem import Subproblem


def subproblem(areas, E, dist, *, weight=None, plots=None, cap=None):
    """Households x parcels with distances *dist* [m] (inf: pair not allowed)."""
    areas = np.asarray(areas, dtype=float)
    E = np.asarray(E, dtype=float)
    dist = np.asarray(dist, dtype=float)
    nh = len(E)
    weight = np.ones(nh) if weight is None else np.asarray(weight, dtype=float)
    plots = np.full(nh, 2, dtype=np.int64) if plots is None else np.asarray(plots, dtype=np.int64)
    cap = E.copy() if cap is None else np.asarray(cap, dtype=float)
    hh, pp = np.nonzero(np.isfinite(dist) & (areas[None, :] <= cap[:, None] + 1e-9) & (plots[:, None] > 0))
    return Subproblem(village_id="V", land_type="paddy", household_ids=np.array([f"H{i}" for i in range(nh)]),
                      entitled=E, entitled_full=E, cap=cap, plots=plots, weight=weight,
                      parcel_ids=np.array([f"P{i}" for i in range(len(areas))]), area=areas,
                      pair_h=hh.astype(np.int64), pair_p=pp.astype(np.int64), pair_d=dist[hh, pp])


def brute_force(sp, z_max: float, shortfall_max: float) -> float:
    """Least stage-3 objective over every assignment meeting the stage-3 rows (inf if none)."""
    nh = len(sp.household_ids)
    cost = {(int(h), int(p)): 1.0 + d / 1000.0 for h, p, d in zip(sp.pair_h, sp.pair_p, sp.pair_d, strict=True)}
    best = np.inf
    for combo in itertools.product(range(-1, nh), repeat=len(sp.parcel_ids)):
        if any(h >= 0 and (h, p) not in cost for p, h in enumerate(combo)):
            continue
        got = np.zeros(nh)
        n = np.zeros(nh, dtype=int)
        c = 0.0
        for p, h in enumerate(combo):
            if h >= 0:
                got[h] += sp.area[p]
                n[h] += 1
                c += cost[(h, p)]
        if np.any(got > sp.cap + 1e-9) or np.any(n > sp.plots):
            continue
        s = np.maximum(sp.entitled - got, 0.0)
        if np.any(sp.weight * s / sp.entitled_full > z_max + 1e-12) or s.sum() > shortfall_max + 1e-12:
            continue
        best = min(best, c)
    return best


def test_one_household_bound_is_the_optimum_and_beats_the_lp():
    # one household needs 1.0 ha (cap 1.3 ha) from at most 2 parcels: two 0.6 ha parcels at 0 m and
    # 500 m cost 1 + 1.5 = 2.5; the 1.0 ha parcel at 2 km costs 3.0. The pair LP takes
    # 2/3 of the second 0.6 ha parcel (1 + 2/3 x 1.5 = 2.0); whole parcels cannot.
    sp = subproblem([0.6, 0.6, 1.0], [1.0], [[0.0, 500.0, 2000.0]], cap=[1.3])
    assert brute_force(sp, 0.0, 0.0) == pytest.approx(2.5)
    res = frag.configuration_bound(sp, 1e-7, 1e-7)
    assert res.converged
    assert res.bound == pytest.approx(2.5, abs=1e-7)
    lp, _work = model.fragmentation_lp_bound(sp, 1e-7, 1e-7)
    assert lp == pytest.approx(2.0, abs=1e-6)


def test_two_households_compete_for_the_near_parcel():
    # both households need 1.0 ha; the 1.0 ha parcel is at 0 m from both, the two
    # 0.5 ha parcels at 1 km (cost 2 each). One gets the near parcel (1), the other
    # both far ones (4): the optimum is 5 and the bound proves it.
    sp = subproblem([1.0, 0.5, 0.5], [1.0, 1.0], [[0.0, 1000.0, 1000.0], [0.0, 1000.0, 1000.0]])
    opt = brute_force(sp, 1e-7, 1e-7)
    assert opt == pytest.approx(5.0)
    res = frag.configuration_bound(sp, 1e-7, 1e-7)
    assert res.bound <= opt + 1e-9
    assert res.bound == pytest.approx(5.0, abs=1e-6)


def enumerate_pricing(k2, ar, mu, ent, lo, hi, nmax):
    best = np.inf
    for r in range(0, nmax + 1):
        for comb in itertools.combinations(range(len(k2)), r):
            a = float(sum(ar[j] for j in comb))
            if lo <= a <= hi:
                best = min(best, float(sum(k2[j] for j in comb)) + mu * max(ent - a, 0.0))
    return best


@settings(max_examples=80, deadline=None)
@given(data=st.lists(st.tuples(st.floats(-3, 5), st.floats(0.05, 2.0)), min_size=1, max_size=8),
       mu=st.floats(0, 4), ent=st.floats(0.1, 4), lo_frac=st.floats(-0.5, 1.0), cap_frac=st.floats(0.5, 1.5),
       nmax=st.integers(1, 4), node_limit=st.sampled_from([2, 10, 10_000]))
def test_pricing_matches_enumeration(data, mu, ent, lo_frac, cap_frac, nmax, node_limit):
    k2 = np.array([c for c, _ in data])
    ar = np.array([a for _, a in data])
    lo, hi = lo_frac * ent, cap_frac * ent
    expect = enumerate_pricing(k2, ar, mu, ent, lo, hi, nmax)
    k1 = k2 - mu * ar
    order = np.argsort(k1, kind="mergesort")
    out = np.empty(nmax, dtype=np.int64)
    best, low, _nodes, _steps = frag._price_one(k1[order], k2[order], ar[order], mu * ent, lo, hi, nmax,
                                                node_limit, out)
    if not np.isfinite(expect):
        assert best >= 1e299
        return
    assert low <= expect + 1e-9  # a proven lower bound, whatever the node budget
    assert best >= expect - 1e-9  # the set found is a real one
    if node_limit == 10_000:
        assert best == pytest.approx(expect, abs=1e-9)
        chosen = [order[j] for j in out if j >= 0]
        assert lo <= ar[chosen].sum() <= hi and len(chosen) <= nmax
    out2 = np.empty(nmax, dtype=np.int64)
    dlb, dval, _steps = frag._price_dp(k2, ar, mu, ent, lo, hi, nmax, 64, out2)
    assert dlb <= expect + 1e-9
    if dval < 1e299:
        assert dval >= expect - 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(areas=st.lists(st.floats(0.2, 1.5), min_size=1, max_size=5),
       ents=st.lists(st.floats(0.5, 2.5), min_size=1, max_size=3),
       seed=st.integers(0, 10_000), plots=st.integers(1, 3), weight2=st.booleans())
def test_bound_never_exceeds_the_enumerated_optimum(areas, ents, seed, plots, weight2):
    rng = np.random.default_rng(seed)
    nh, npar = len(ents), len(areas)
    dist = rng.uniform(0, 3000, (nh, npar))
    dist[rng.random((nh, npar)) < 0.15] = np.inf
    weight = np.where(np.arange(nh) == 0, 2.0 if weight2 else 1.0, 1.0)
    sp = subproblem(areas, ents, dist, weight=weight, plots=np.full(nh, plots))
    # the stage-1 and stage-2 optima by enumeration, then stage 3 at them
    zs = sorted({0.0, *np.round(rng.uniform(0, 1, 3), 3).tolist(), 1.0, 2.0})
    for z in zs:
        z_fix = z * (1 + model.FIX_REL_TOL) + model.FIX_ABS_TOL
        s_fix = float(np.sum(ents))
        opt = brute_force(sp, z_fix, s_fix)
        if not np.isfinite(opt):
            continue
        res = frag.configuration_bound(sp, z_fix, s_fix)
        assert res.bound <= opt + 1e-7, (z, res.bound, opt)
        break


def test_rounding_gives_a_disjoint_allocation_that_meets_the_rows():
    # the two-household case: the rounded master must give each household one of its
    # patterns, no parcel twice, and meet every stage-3 row; at the LP optimum (integral
    # here) it is the optimum 5
    sp = subproblem([1.0, 0.5, 0.5], [1.0, 1.0], [[0.0, 1000.0, 1000.0], [0.0, 1000.0, 1000.0]])
    seen = []

    def primal(a):
        seen.append(a.copy())
        return np.inf

    res = frag.configuration_bound(sp, 1e-7, 1e-7, primal=primal)
    a = frag.rounded_assignment(sp, res)
    assert a is not None and seen
    assert sorted(a.tolist()) in ([0, 1, 1], [0, 0, 1])
    assert model._meets_stage3(sp, a, 1e-7, 1e-7)
    cost = 1.0 + sp.pair_d / 1000.0
    assert float(cost @ model._columns_from_assign(sp, a)[:sp.n_pairs]) == pytest.approx(5.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(areas=st.lists(st.floats(0.2, 1.5), min_size=2, max_size=5),
       ents=st.lists(st.floats(0.3, 1.5), min_size=1, max_size=2), seed=st.integers(0, 10_000))
def test_rounded_allocations_are_never_below_the_optimum(areas, ents, seed):
    # every allocation handed to the caller that meets the stage-3 rows costs at least
    # the enumerated optimum (an independent oracle), and at least the proven bound
    rng = np.random.default_rng(seed)
    dist = rng.uniform(0, 3000, (len(ents), len(areas)))
    sp = subproblem(areas, ents, dist, cap=[e + 1.5 for e in ents])
    z, s = 1.0, float(sum(ents))
    opt = brute_force(sp, z, s)
    cost = 1.0 + sp.pair_d / 1000.0
    got = []

    def primal(a):
        if model._meets_stage3(sp, a, z, s):
            got.append(float(cost @ model._columns_from_assign(sp, a)[:sp.n_pairs]))
        return np.inf

    res = frag.configuration_bound(sp, z, s, primal=primal)
    assert res.bound <= opt + 1e-7
    for v in got:
        assert v >= opt - 1e-7
    a = frag.rounded_assignment(sp, res)
    if a is not None:  # each household gets exactly one of its generated patterns
        for hh in range(len(ents)):
            assert (hh, tuple(np.flatnonzero(a == hh).tolist())) in set(res.patterns)


def test_master_lp_effort_grows_with_columns_and_iterations():
    assert frag.master_lp_seconds(2000, 100) > frag.master_lp_seconds(1000, 100) > 0
    assert frag.master_lp_seconds(1000, 1000) > frag.master_lp_seconds(1000, 10)
    # the fixed part: a solve without iterations still costs its columns
    assert frag.master_lp_seconds(1000, 0) == pytest.approx(3e-3 + 2.6e-8 * 1000 ** 1.25, rel=1e-12)


class _FakeMaster:
    """The two calls rounded_assignment makes of a HiGHS master: its columns and their LP values."""

    def __init__(self, values):
        self.values = list(values)

    def getNumCol(self):
        return len(self.values)

    def getSolution(self):
        return type("Sol", (), {"col_value": self.values})()


def test_rounding_by_hand_takes_the_largest_y_first_and_never_shares_a_parcel():
    # patterns: H0 {P0} (y 0.6), H1 {P0} (y 0.4), H1 {P1, P2} (y 0.6), H0 {P1} (y 0.4).
    # Largest y first: H0 {P0} and H1 {P1, P2}; H1 {P0} and H0 {P1} would share a parcel.
    sp = subproblem([1.0, 0.5, 0.5], [1.0, 1.0], [[0.0, 900.0, 1000.0], [0.0, 1000.0, 1000.0]])
    patterns = [(0, (0,)), (1, (0,)), (1, (1, 2)), (0, (1,))]
    fb = frag.FragmentationBound(bound=0.0, lp_value=0.0, rounds=1, columns=4, work_s=0.0, converged=False,
                                 patterns=patterns, highs=_FakeMaster([0, 0, 0.6, 0.4, 0.6, 0.4]))
    assert frag.rounded_assignment(sp, fb).tolist() == [0, 1, 1]
    # y swapped on P0: H1 {P0} (0.6) first, H1 {P1, P2} skipped (H1 has one), H0 {P0} skipped
    # (P0 taken), then H0 {P1}; P2 stays free
    fb.highs = _FakeMaster([0, 0, 0.4, 0.6, 0.6, 0.4])
    assert frag.rounded_assignment(sp, fb).tolist() == [1, 0, -1]
    # only H1 {P0} in the LP support: H0 completes with its cheapest free pattern, {P1}
    fb.highs = _FakeMaster([0, 0, 0.0, 1.0, 0.0, 0.0])
    assert frag.rounded_assignment(sp, fb).tolist() == [1, 0, -1]
    # H0's only patterns use P0 (taken by H1): no allocation
    fb.patterns = [(0, (0,)), (1, (0,)), (1, (1, 2)), (0, (0,))]
    assert frag.rounded_assignment(sp, fb) is None
