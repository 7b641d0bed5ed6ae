"""Provably fair household land allocation (integer programming on HiGHS).

:func:`allocate` assigns candidate parcels to households so that, in each village
and land type, the largest shortfall relative to entitlement is as small as
possible (min-max fairness), then the total shortfall, then fragmentation (number
of plots and their distance from the household). It is solved with the open
solver HiGHS [1]_ and reports the solver status, objective and the proven
optimality gap; the result can be explained household by household.
:func:`greedy_baseline` gives the simple rule "largest household first, nearest
parcel" for comparison.

Entitlements come from :func:`landuse.allocation.quotas.entitlements`.

Model
-----
Each (village, land type) is an independent subproblem: a parcel has one land
type and is given only within its village, and every constraint is per household
and type. For household *h* with entitlement :math:`E_h` [ha], cap
:math:`C_h = c\\,E_h` (cap factor *c*, default 1.0: never above the legal quota),
plot limit :math:`N_h`, priority weight :math:`w_h` and binary :math:`x_{hp}` for the pairs
of the same village and type:

.. math::

    A_h = \\sum_p a_p x_{hp} \\le C_h, \\quad \\sum_p x_{hp} \\le N_h, \\quad
    \\sum_h x_{hp} \\le 1, \\quad s_h \\ge E_h - A_h, \\quad
    z \\ge w_h\\, s_h / E_h

Lexicographic objective, solved in three stages, each fixing the optimum of the
previous stage (relative tolerance 10⁻⁶) and starting from its solution:

1. :math:`\\min z` — largest weighted relative shortfall;
2. :math:`\\min \\sum_h s_h` — total shortfall [ha];
3. :math:`\\min \\sum_{hp} x_{hp}(1 + d_{hp}/1000\\,\\mathrm{m})` — number of
   plots plus one plot's worth per km between the parcel and the household's
   anchor.

The anchor of a household is its home (``home_x``/``home_y`` columns), else the
centre of the parcels it holds now (any land type), else the village centre
(``centre_x``/``centre_y`` of the villages layer, else its representative point,
else the mean centroid of the village's parcels). Distances to the anchor
penalise plots far from the village or from the household's other plots with a
linear term (a pairwise term between a household's plots would be quadratic).

Minimising the largest relative shortfall in each land type of each village
separately is at least as fair as one min-max over the whole village: the worst
household of every type is made as well off as possible.

With ``keep_existing=True``, parcels of an allocatable type that a household of
the same village holds now (``household_id`` of the parcels; a ``lawful``
column, if present, must be true) are kept by it: they count towards its
allocation and are never taken away, and if they exceed its cap or plot limit the
limit is raised to what it holds (the exceedance report names these cases).

How the stages are solved, and what the gap means: stage 1 starts from a
heuristic solution (longest-first and best-fit greedy assignments, improved by
moves, swaps and pairwise re-partition of two households' parcels) and a proven
lower bound of *z*: a combinatorial bound from subset sums of the parcel areas
(:func:`landuse.allocation._heuristic.combinatorial_bound`), raised if needed by the
configuration LP over whole-parcel patterns, solved by column generation
(``landuse/allocation/_patterns.py``; Gilmore & Gomory [4]_). HiGHS then works on
the pair model only if their gap exceeds ``mip_gap``. ``metrics['mip_gap']`` is the largest
proven relative gap of stage 1 over all subproblems, ``(z - bound) / z``; the
gaps of stages 2 and 3 are reported separately (``mip_gap_total_shortfall``,
``mip_gap_fragmentation``; inf when HiGHS could not prove a bound within the
effort budget, e.g. when a stage's budget does not pay for its root node and the
stage keeps the previous solution). Stage 2 is bounded by the land available (total
shortfall >= entitlements − land) and stage 3 by a fractional knapsack cover or
its LP relaxation; when HiGHS did not prove stage 3, pairs of households re-split
their parcels to the shortest total distance and similar-sized parcels are
swapped, without leaving the optima of stages 1 and 2.
``result.solver`` lists every stage of every subproblem and the ``proof`` of its
bound (``combinatorial``, ``pattern LP``, ``HiGHS``, ``land available``,
``knapsack cover``, ``LP relaxation``). See ``docs/allocation.md``.

Subproblems with more than ``exact_max_pairs`` household-parcel pairs skip HiGHS
on the pair model: they report the gap of the heuristic (with re-partition) to
the best of the combinatorial, configuration-LP and LP-relaxation bounds, and
shorten distances by re-partition and swaps that keep the fairness optimum and the
total shortfall (stages 2 and 3 reported against their simple bounds).

Certificate numbers are ``{village_id}-{code}-{nnnn}``: the land-type code
(``PD`` paddy, ``UP`` upland, ``PC`` permanent crops, ``GR`` grazing, ``RS``
residential, ``FO`` forest, ``OT`` other) and the rank of the parcel id among
the village's allocatable parcels of that type (sorted as text). They depend
only on the parcel list, so the same inputs always give the same numbers, and
each parcel's number is unique.

References
----------
.. [1] Q. Huangfu, J. A. J. Hall, "Parallelizing the dual revised simplex
   method", Mathematical Programming Computation 10, 119-142, 2018 (HiGHS).
.. [2] C. Gini, "Variabilità e mutabilità", Bologna, 1912; formula as in
   P. M. Dixon et al., "Bootstrapping the Gini coefficient of inequality",
   Ecology 68(5), 1548-1551, 1987.
.. [3] R. L. Graham, "Bounds on multiprocessing timing anomalies", SIAM Journal on
   Applied Mathematics 17(2), 416-429, 1969 (longest-first rule of the heuristic).
.. [4] P. C. Gilmore, R. E. Gomory, "A linear programming approach to the
   cutting-stock problem", Operations Research 9(6), 849-859, 1961.

Examples
--------
>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import box
>>> parcels = gpd.GeoDataFrame(
...     {"parcel_id": ["P1", "P2", "P3"], "village_id": "V1", "land_type": "paddy"},
...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 250, 100)],
...     crs="EPSG:32647")
>>> households = pd.DataFrame({"household_id": ["H1", "H2"], "village_id": "V1",
...                            "labour_units": [1.0, 1.5]})
>>> rules = {"entitlement": {"paddy_ha_per_labour_unit": 1.0}}
>>> res = allocate(parcels, households, rules=rules)
>>> res.allocations[["parcel_id", "household_id", "area_ha", "certificate_no"]]
  parcel_id household_id  area_ha certificate_no
0        P1           H1      1.0     V1-PD-0001
1        P2           H2      1.0     V1-PD-0002
2        P3           H2      0.5     V1-PD-0003
>>> res.metrics["status"], res.metrics["max_shortfall_ha"], res.metrics["mip_gap"]
('optimal', 0.0, 0.0)
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landuse.allocation._inputs import ZONE_LAND_TYPES, _Inputs, _prepare, _subproblems, zone_compatible
from landuse.allocation._results import AllocationMetrics
from landuse.allocation._model import (USEFUL_ROOTS, Solution, Subproblem, presolve, root_seconds,
                                       solve_heuristic, solve_mip)
from landuse import report_progress
from landuse._validate.display import figures_html, records_html
from landuse.errors import AllocationError, LanduseWarning, SchemaError

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd

__all__ = ["LAND_TYPE_CODES", "ZONE_LAND_TYPES", "AllocationMetrics", "AllocationResult", "allocate", "equity", "gini",
           "greedy_baseline", "zone_compatible"]

#: Land-type codes used in certificate numbers.
LAND_TYPE_CODES = {"paddy": "PD", "upland": "UP", "permanent": "PC", "grazing": "GR",
                   "residential": "RS", "forest": "FO", "other": "OT"}

@dataclass
class AllocationResult:
    """What :func:`allocate` and :func:`greedy_baseline` return.

    Attributes
    ----------
    allocations : GeoDataFrame
        One row per allocated parcel: ``parcel_id``, ``household_id``,
        ``village_id``, ``land_type``, ``area_ha`` [ha], ``distance_m`` (to the
        household's anchor) [m], ``kept`` (an existing holding kept),
        ``certificate_no`` and the geometry; sorted by village, household, parcel.
    households : DataFrame
        One row per household: ``entitled_ha_<type>``, ``allocated_ha_<type>``,
        ``shortfall_ha_<type>``, ``n_plots_<type>`` for each land type, the totals
        ``entitled_ha``, ``allocated_ha``, ``shortfall_ha``, ``n_plots``,
        ``relative_shortfall`` (largest over types) [-], ``mean_distance_m`` [m],
        ``labour_units`` and ``allocated_ha_per_labour_unit``.
    equity : dict
        ``gini`` (of allocated area per labour unit), ``min_max_ratio``,
        ``gini_fulfilment`` (of allocated / entitled) and ``lorenz`` (DataFrame of
        ``share_households``, ``share_area``).
    unallocated : GeoDataFrame
        Allocatable parcels given to nobody, with ``reason``.
    shortfall : DataFrame
        Per village and land type: entitled, available and allocated area, the
        shortfall and whether the land is short (more entitlement than land).
    solver : DataFrame
        Per subproblem and stage: method, status, objective, proven bound, gap,
        runtime and nodes.
    entitlements : DataFrame
        As returned by :func:`landuse.allocation.quotas.entitlements`.
    metrics : AllocationMetrics
        Typed figures, also readable as a mapping: ``status``, ``mip_gap``, ``max_shortfall_ha``, ``max_relative_shortfall``,
        ``total_shortfall_ha``, ``gini``, ``min_max_ratio``, ``runtime_s``,
        ``n_households``, ``n_parcels``, ``n_allocated``, ``allocated_ha``,
        ``n_subproblems``, ``method``, ``deterministic`` (False when the
        wall-clock safety net stopped a step, so the result may vary between
        runs).
    """

    allocations: Any
    households: pd.DataFrame
    equity: dict
    unallocated: Any
    shortfall: pd.DataFrame
    solver: pd.DataFrame
    entitlements: pd.DataFrame
    metrics: AllocationMetrics | None = None

    def __repr__(self) -> str:
        m: Mapping[str, Any] = self.metrics if self.metrics is not None else {}
        return (f"AllocationResult({m.get('method')}: {m.get('n_allocated')} of {m.get('n_parcels')} parcels "
                f"to {m.get('n_households')} households, status={m.get('status')!r}, "
                f"gap={m.get('mip_gap', float('nan')):.4g}, max shortfall {m.get('max_shortfall_ha', 0):.3f} ha, "
                f"Gini {m.get('gini', float('nan')):.3f})")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the key figures and the shortfall per village and land type."""
        m: Mapping[str, Any] = self.metrics if self.metrics is not None else {}

        def num(key: str, fmt: str = "{:.2f}") -> str:
            v = m.get(key)
            return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else fmt.format(v)

        figures = [
            ("ວິທີ / ສະຖານະ", "method / status", f"{m.get('method')} / {m.get('status')}"),
            ("ຄົວເຮືອນ", "households", m.get("n_households")),
            ("ຕອນດິນທີ່ຈັດສັນ", "parcels allocated", f"{m.get('n_allocated')} of {m.get('n_parcels')}"),
            ("ເນື້ອທີ່ຈັດສັນ [ເຮັກຕາ]", "area allocated [ha]", num("allocated_ha")),
            ("ຂາດຫຼາຍສຸດ [ເຮັກຕາ]", "largest shortfall [ha]", num("max_shortfall_ha")),
            ("ຂາດທັງໝົດ [ເຮັກຕາ]", "total shortfall [ha]", num("total_shortfall_ha")),
            ("ສ່ວນຂາດຫຼາຍສຸດ", "largest relative shortfall", num("max_relative_shortfall", "{:.3f}")),
            ("ດັດຊະນີ Gini", "Gini (ha per labour unit)", num("gini", "{:.3f}")),
            ("ໄລຍະຫ່າງທີ່ພິສູດ", "proven gap", num("mip_gap", "{:.2%}")),
        ]
        cols = [("village_id", "ບ້ານ", "village"), ("land_type", "ປະເພດດິນ", "land type"),
                ("entitled_ha", "ສິດໄດ້ຮັບ [ຮຕ]", "entitled [ha]"),
                ("available_ha", "ມີຢູ່ [ຮຕ]", "available [ha]"),
                ("allocated_ha", "ຈັດສັນ [ຮຕ]", "allocated [ha]"),
                ("shortfall_ha", "ຂາດ [ຮຕ]", "shortfall [ha]"),
                ("n_households_short", "ຄົວເຮືອນທີ່ຂາດ", "households short")]
        rows = self.shortfall.to_dict("records") if self.shortfall is not None else []
        return (figures_html(figures, title="Allocation", title_lo="ການຈັດສັນທີ່ດິນ")
                + records_html(rows, cols))


# -- equity --------------------------------------------------------------------------
def gini(values: Any) -> float:
    """Gini coefficient of non-negative values.

    Parameters
    ----------
    values : array-like of float
        E.g. allocated area per labour unit [ha LU⁻¹].

    Returns
    -------
    float
        0 for perfect equality, up to (n−1)/n when one holds everything; NaN for
        no values or an all-zero set.

    Notes
    -----
    With the values sorted ascending, :math:`x_{(1)} \\le \\dots \\le x_{(n)}`:

    .. math:: G = \\frac{2\\sum_{i=1}^{n} i\\,x_{(i)}}{n \\sum_i x_i} - \\frac{n+1}{n}

    which equals the mean absolute difference over twice the mean (Gini 1912;
    Dixon et al. 1987).

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])
    0.75
    """
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or np.any(x < 0) or not np.isfinite(x).all():
        if x.size and (np.any(x < 0) or not np.isfinite(x).all()):
            raise SchemaError("Gini needs finite, non-negative values", column="values",
                              hint="pass areas or ratios >= 0")
        return float("nan")
    total = x.sum()
    if total <= 0:
        return float("nan")
    n = x.size
    i = np.arange(1, n + 1)
    return float(round(2 * np.sum(i * x) / (n * total) - (n + 1) / n, 12))


def equity(allocated_ha: Any, labour_units: Any, *, entitled_ha: Any = None) -> dict:
    """Equity figures of an allocation.

    Parameters
    ----------
    allocated_ha : array-like
        Area allocated per household. [ha]
    labour_units : array-like
        Labour units per household (households with 0 are left out). [LU]
    entitled_ha : array-like, optional
        Entitlement per household [ha], for the Gini of fulfilment.

    Returns
    -------
    dict
        ``gini`` and ``min_max_ratio`` of allocated area per labour unit,
        ``gini_fulfilment`` (allocated / entitled), ``n``, and ``lorenz``: a
        DataFrame with ``share_households`` and ``share_area`` from (0, 0) to (1, 1).

    Examples
    --------
    >>> e = equity([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    >>> round(e["gini"], 4), round(e["min_max_ratio"], 4)
    (0.2222, 0.3333)
    >>> e["lorenz"].round(3).values.tolist()
    [[0.0, 0.0], [0.333, 0.167], [0.667, 0.5], [1.0, 1.0]]
    """
    a = np.asarray(allocated_ha, dtype=float)
    lu = np.asarray(labour_units, dtype=float)
    ok = lu > 0
    per = a[ok] / lu[ok]
    srt = np.sort(per)
    n = srt.size
    cum = np.concatenate([[0.0], np.cumsum(srt)])
    lorenz = pd.DataFrame({
        "share_households": np.arange(n + 1) / max(n, 1),
        "share_area": cum / cum[-1] if n and cum[-1] > 0 else np.linspace(0, 1, n + 1),
    })
    out = {
        "gini": gini(per) if n else float("nan"),
        "min_max_ratio": float(srt[0] / srt[-1]) if n and srt[-1] > 0 else float("nan"),
        "n": int(n),
        "lorenz": lorenz,
    }
    if entitled_ha is not None:
        e = np.asarray(entitled_ha, dtype=float)
        has = e > 0
        out["gini_fulfilment"] = gini(np.minimum(a[has] / e[has], 10.0)) if has.any() else float("nan")
    return out


def _lanes(sps: list[Subproblem], n_jobs: int) -> list[list[int]]:
    """Split the subproblems among *n_jobs* workers (largest first to the lightest lane).

    Each lane is then solved smallest first, so what a small subproblem leaves of
    its budget passes on to the larger ones in the same lane. The split depends
    on the model sizes only, never on which worker finishes first.
    """
    lanes: list[list[int]] = [[] for _ in range(max(n_jobs, 1))]
    load = [0] * len(lanes)
    for i in sorted(range(len(sps)), key=lambda i: (-sps[i].n_pairs, i)):
        k = min(range(len(lanes)), key=lambda j: (load[j], j))
        lanes[k].append(i)
        load[k] += sps[i].n_pairs
    return [lane[::-1] for lane in lanes if lane]


def _solve_all(sps: list[Subproblem], *, time_limit_s: float, mip_gap: float, n_jobs: int,
               exact_max_pairs: int) -> list[Solution]:
    """Solve every subproblem; the effort budget is shared in proportion to model size.

    Each of the *n_jobs* workers has *time_limit_s* seconds of reference-machine
    effort for its lane (:func:`_lanes`), solved smallest first in two passes.
    Pass 1 runs the fairness stage's heuristic, re-partition and bounds
    (:func:`landuse.allocation._model.presolve`) on every subproblem, with half
    the budget shared by model size, so that no subproblem is left without a
    proof because others spent the budget on later stages. In pass 2 the effort
    left in the lane is shared the same way: a subproblem gets its share by model
    size of what is left (at least 0.2 s), at most what it can use: ``USEFUL_ROOTS`` root
    nodes (:func:`landuse.allocation._model.root_seconds`), enough for three
    stages and their branch and bound. (Until issue 20's fourth round it got all
    that was left, so the first small subproblem of a lane took the budget and the
    largest, solved last, kept 0.2 s.) The effort it is charged (root and node
    estimates) is a deterministic count, so what it leaves passes on to the next
    subproblem of the lane in the same way on any machine. Cheap subproblems are
    thus solved first, and the largest (solved last) gets what is left; a subproblem whose root nodes the rest of the
    budget cannot pay for keeps the heuristic (and the swaps) and reports its gap.
    """
    def run(i: int, budget: float, start) -> Solution:
        sp = sps[i]
        if sp.n_pairs == 0:
            return Solution(assign=np.full(len(sp.parcel_ids), -1, dtype=np.int64), method="trivial",
                            status="optimal", stages=[])
        if sp.n_pairs > exact_max_pairs:
            return solve_heuristic(sp, time_limit_s=budget, mip_gap=mip_gap, start=start)
        return solve_mip(sp, time_limit_s=budget, mip_gap=mip_gap, start=start)

    def run_lane(lane: list[int]) -> dict[int, Solution]:
        # pass 1, the fairness stage first: heuristic, re-partition and bounds, with
        # half the budget shared by model size (what one leaves passes on)
        left1 = 0.5 * float(time_limit_s)
        pairs_left = sum(sps[i].n_pairs for i in lane)
        starts = {}
        spent = 0.0
        for i in lane:
            sp = sps[i]
            if sp.n_pairs == 0:
                continue
            report_progress("allocation: first pass", next(seen1), n_work,
                            f"village {sp.village_id}, {sp.land_type}")
            starts[i] = presolve(sp, budget_s=left1 * sp.n_pairs / max(pairs_left, 1), mip_gap=mip_gap)
            pairs_left -= sp.n_pairs
            left1 = max(left1 - starts[i].work_s, 0.0)
            spent += starts[i].work_s
        # pass 2: HiGHS on the three stages with the rest
        left = max(float(time_limit_s) - spent, 0.0)
        pairs_left2 = sum(sps[i].n_pairs for i in lane)
        out = {}
        for i in lane:
            sp = sps[i]
            if sp.n_pairs:
                report_progress("allocation: solving", next(seen2), n_work, f"village {sp.village_id}, {sp.land_type}")
            useful = USEFUL_ROOTS * root_seconds(sp.n_pairs + len(sp.household_ids) + 1)
            share = left * sp.n_pairs / max(pairs_left2, 1)  # its share by size; what it leaves passes on
            pairs_left2 -= sp.n_pairs
            out[i] = run(i, max(0.2, min(share, useful)), starts.get(i))
            left = max(left - out[i].work_s, 0.0)
        return out

    # progress steps are counted across the lanes (one line per subproblem and pass)
    seen1, seen2 = itertools.count(1), itertools.count(1)
    n_work = sum(sp.n_pairs > 0 for sp in sps)
    lanes = _lanes(sps, n_jobs)
    done: dict[int, Solution] = {}
    if len(lanes) > 1:
        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            for part in pool.map(run_lane, lanes):
                done.update(part)
    else:
        for lane in lanes:
            done.update(run_lane(lane))
    return [done[i] for i in range(len(sps))]


# -- result assembly -----------------------------------------------------------------
def _certificates(par: pd.DataFrame) -> pd.Series:
    rank = par.groupby(["village_id", "land_type"])["parcel_id"].rank(method="first").astype(int)
    codes = par["land_type"].map(LAND_TYPE_CODES).fillna("XX")
    return par["village_id"] + "-" + codes + "-" + rank.map(lambda n: f"{n:04d}")


def _unallocated(parcels: Any, inp: _Inputs, par: pd.DataFrame, has: pd.Series, geoms: np.ndarray,
                 crs: Any) -> Any:
    """The parcels that went to no household, each with the reason (and those outside their zone)."""
    import geopandas as gpd

    ent = inp.ent
    e_pos = ent[ent["entitled_ha"] > 0]
    demand = set(zip(e_pos["village_id"], e_pos["land_type"], strict=True))
    cap_max = e_pos.groupby(["village_id", "land_type"])["cap_ha"].max()
    un = par[~has].copy()

    def reason(row: pd.Series) -> str:
        key = (row["village_id"], row["land_type"])
        if key not in demand:
            return "no household of the village is entitled to this land type"
        if row["area_ha"] > cap_max.get(key, 0) + 1e-9:
            return (f"larger ({row['area_ha']:.2f} ha) than any household's cap "
                    f"({cap_max.get(key, 0):.2f} ha); subdivide it")
        return "not needed: entitlements met, or caps / plot limits reached"

    un["reason"] = [reason(r) for _, r in un.iterrows()] if len(un) else []
    ucols = ["parcel_id", "village_id", "land_type", "area_ha", "certificate_no", "reason"]
    un_geoms = list(geoms[un.index.to_numpy()])
    if len(inp.excluded):
        ex = inp.excluded.assign(certificate_no=None, reason="outside an agricultural zone of its land type")
        un = pd.concat([un[ucols], ex[ucols]], ignore_index=True)
        un_geoms += list(parcels.geometry.iloc[inp.excluded["_row"].to_numpy()].to_numpy())
    unallocated = gpd.GeoDataFrame(un[ucols].reset_index(drop=True), geometry=un_geoms, crs=crs)
    unallocated = unallocated.sort_values(["village_id", "land_type", "parcel_id"]).reset_index(drop=True)

    return unallocated


def _household_summary(inp: _Inputs, alloc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per household (entitled, allocated, shortfall per land type) and the long table behind it."""
    ent = inp.ent
    anc = inp.anchors
    got = alloc.groupby(["household_id", "land_type"]).agg(allocated_ha=("area_ha", "sum"),
                                                           n_plots=("parcel_id", "size"),
                                                           dist=("distance_m", "sum"))
    e = ent.set_index(["household_id", "land_type"])
    e = e.join(got, how="left").fillna({"allocated_ha": 0.0, "n_plots": 0, "dist": 0.0})
    e["shortfall_ha"] = (e["entitled_ha"] - e["allocated_ha"]).clip(lower=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e["rel"] = np.where(e["entitled_ha"] > 0, e["shortfall_ha"] / e["entitled_ha"], 0.0)
    wide = e[["entitled_ha", "allocated_ha", "shortfall_ha", "n_plots"]].unstack("land_type")
    types = list(inp.rules.land_types)
    wide = wide.reindex(columns=pd.MultiIndex.from_product(
        [["entitled_ha", "allocated_ha", "shortfall_ha", "n_plots"], types]))
    wide.columns = [f"{a}_{t}" for a, t in wide.columns]
    first = ent.groupby("household_id").agg(village_id=("village_id", "first"),
                                            labour_units=("labour_units", "first"),
                                            priority=("priority", "first"))
    tot = e.groupby(level=0).agg(entitled_ha=("entitled_ha", "sum"), allocated_ha=("allocated_ha", "sum"),
                                 shortfall_ha=("shortfall_ha", "sum"), n_plots=("n_plots", "sum"),
                                 relative_shortfall=("rel", "max"), dist=("dist", "sum"))
    summary = first.join(inp.names).join(wide).join(tot)
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["mean_distance_m"] = np.where(summary["n_plots"] > 0, summary["dist"] / summary["n_plots"],
                                              np.nan).round(1)
        summary["allocated_ha_per_labour_unit"] = np.where(summary["labour_units"] > 0,
                                                           summary["allocated_ha"] / summary["labour_units"],
                                                           np.nan)
    summary = summary.drop(columns="dist")
    for c in summary.columns:
        if c.startswith("n_plots"):
            summary[c] = summary[c].fillna(0).astype(int)
        elif summary[c].dtype.kind == "f":
            summary[c] = summary[c].round(6)
    summary["anchor"] = anc["anchor"].reindex(summary.index)
    summary = summary.reset_index().sort_values(["village_id", "household_id"]).reset_index(drop=True)

    return summary, e


def _shortfall_table(par: pd.DataFrame, alloc: pd.DataFrame, e: pd.DataFrame) -> pd.DataFrame:
    """Entitled, available, allocated and short land per village and land type."""
    avail = par.groupby(["village_id", "land_type"])["area_ha"].sum()
    allocd = alloc.groupby(["village_id", "land_type"])["area_ha"].sum()
    grp = e.reset_index().groupby(["village_id", "land_type"])
    sf = pd.DataFrame({"entitled_ha": grp["entitled_ha"].sum(), "shortfall_ha": grp["shortfall_ha"].sum(),
                       "max_relative_shortfall": grp["rel"].max(),
                       "n_households_short": grp["shortfall_ha"].apply(lambda s: int((s > 1e-6).sum()))})
    sf = sf.join(avail.rename("available_ha"), how="outer").join(allocd.rename("allocated_ha"), how="left")
    sf = sf.fillna({"entitled_ha": 0.0, "shortfall_ha": 0.0, "max_relative_shortfall": 0.0,
                    "available_ha": 0.0, "allocated_ha": 0.0, "n_households_short": 0})
    sf["land_short"] = sf["entitled_ha"] > sf["available_ha"] + 1e-9
    sf = sf.reset_index()[["village_id", "land_type", "entitled_ha", "available_ha", "allocated_ha",
                           "shortfall_ha", "max_relative_shortfall", "n_households_short", "land_short"]]
    sf["n_households_short"] = sf["n_households_short"].astype(int)
    for c in ("entitled_ha", "available_ha", "allocated_ha", "shortfall_ha", "max_relative_shortfall"):
        sf[c] = sf[c].round(6)

    return sf


def _solver_table(sols: list[tuple[Subproblem, Solution]]) -> pd.DataFrame:
    """One row per solver stage of each subproblem."""
    rows = []
    for sp, sol in sols:
        if not sol.stages:
            rows.append({"village_id": sp.village_id, "land_type": sp.land_type, "method": sol.method,
                         "stage": "-", "status": sol.status, "objective": np.nan, "bound": np.nan, "gap": 0.0,
                         "runtime_s": 0.0, "nodes": 0, "proof": "", "n_households": len(sp.household_ids),
                         "n_parcels": len(sp.parcel_ids), "n_pairs": sp.n_pairs})
        for st in sol.stages:
            rows.append({"village_id": sp.village_id, "land_type": sp.land_type, "method": sol.method, **st,
                         "n_households": len(sp.household_ids), "n_parcels": len(sp.parcel_ids),
                         "n_pairs": sp.n_pairs})
    solver = pd.DataFrame(rows, columns=["village_id", "land_type", "method", "stage", "status", "objective",
                                         "bound", "gap", "proof", "runtime_s", "nodes", "n_households",
                                         "n_parcels",
                                         "n_pairs"])

    return solver


def _result(parcels: Any, inp: _Inputs, owner: dict[str, str], sols: list[tuple[Subproblem, Solution]],
            *, method: str, runtime_s: float, kept_ids: set[str]) -> AllocationResult:
    import geopandas as gpd

    par = inp.parcels.copy()
    par["certificate_no"] = _certificates(par)
    par["household_id"] = par["parcel_id"].map(owner)
    anc = inp.anchors
    has = par["household_id"].notna()
    ax = par["household_id"].map(anc["ax"]).to_numpy(dtype=float)
    ay = par["household_id"].map(anc["ay"]).to_numpy(dtype=float)
    par["distance_m"] = np.where(has, np.hypot(par["cx"] - ax, par["cy"] - ay), np.nan).round(1)
    par["kept"] = par["parcel_id"].isin(kept_ids)
    geoms = parcels.geometry.iloc[par["_row"].to_numpy()].to_numpy()
    crs = parcels.crs
    alloc = par[has].sort_values(["village_id", "household_id", "parcel_id"])
    cols = ["parcel_id", "household_id", "village_id", "land_type", "area_ha", "distance_m", "kept",
            "certificate_no"]
    allocations = gpd.GeoDataFrame(alloc[cols].reset_index(drop=True),
                                   geometry=list(geoms[alloc.index.to_numpy()]), crs=crs)
    allocations["area_ha"] = allocations["area_ha"].round(6)

    unallocated = _unallocated(parcels, inp, par, has, geoms, crs)
    summary, e = _household_summary(inp, alloc)
    sf = _shortfall_table(par, alloc, e)
    solver = _solver_table(sols)
    ent = inp.ent

    eq = equity(summary["allocated_ha"], summary["labour_units"], entitled_ha=summary["entitled_ha"])
    if sols and method != "greedy":
        statuses = {sol.status for _, sol in sols}
        status = ("optimal" if statuses <= {"optimal"} else
                  "heuristic" if "heuristic" in statuses else
                  "time_limit" if "time_limit" in statuses else "/".join(sorted(statuses)))
        gap = max((sol.gap for _, sol in sols), default=0.0)
    else:
        status, gap = ("greedy", float("nan")) if method == "greedy" else ("optimal", 0.0)
    stage_gap = {}
    for stage in ("total_shortfall_ha", "fragmentation"):
        g = solver.loc[solver["stage"] == stage, "gap"]
        stage_gap[stage] = float(g.max()) if len(g) else (float("nan") if method == "greedy" else 0.0)
    short_rows = e["shortfall_ha"]
    metrics = AllocationMetrics(
        method=method,
        status=status,
        mip_gap=float(gap),
        mip_gap_total_shortfall=stage_gap["total_shortfall_ha"],
        mip_gap_fragmentation=stage_gap["fragmentation"],
        max_shortfall_ha=round(float(short_rows.max()) if len(short_rows) else 0.0, 6),
        max_relative_shortfall=round(float(e["rel"].max()) if len(e) else 0.0, 6),
        total_shortfall_ha=round(float(short_rows.sum()), 6),
        gini=eq["gini"],
        min_max_ratio=eq["min_max_ratio"],
        gini_fulfilment=eq.get("gini_fulfilment", float("nan")),
        runtime_s=round(runtime_s, 3),
        n_households=inp.n_households,
        n_parcels=int(len(par)),
        n_allocated=int(has.sum()),
        allocated_ha=round(float(alloc["area_ha"].sum()), 6),
        n_subproblems=len(sols),
        deterministic=bool(all(sol.deterministic for _, sol in sols)),
    )
    return AllocationResult(allocations=allocations, households=summary, equity=eq, unallocated=unallocated,
                            shortfall=sf, solver=solver, entitlements=ent, metrics=metrics)


def _warn_short(res: AllocationResult) -> None:
    short = res.shortfall[res.shortfall["land_short"]]
    if len(short):
        first = short.iloc[0]
        warnings.warn(
            f"entitlements exceed the land available in {len(short)} village/land-type group(s), e.g. "
            f"village {first.village_id!r} {first.land_type}: {first.entitled_ha:.2f} ha entitled, "
            f"{first.available_ha:.2f} ha available; the allocation shares the shortfall (see "
            "result.shortfall and result.households)",
            LanduseWarning, stacklevel=3,
        )


# -- public functions ----------------------------------------------------------------
def allocate(
    parcels: gpd.GeoDataFrame,
    households: pd.DataFrame,
    *,
    rules: Any = None,
    time_limit_s: float = 60,
    mip_gap: float = 0.005,
    keep_existing: bool = False,
    villages: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    n_jobs: int = 1,
    exact_max_pairs: int = 250_000,
) -> AllocationResult:
    """Allocate parcels to households: min-max fair, then least shortfall, then compact.

    Parameters
    ----------
    parcels : GeoDataFrame
        ``parcel_id``, ``village_id``, ``land_type`` and Polygon geometries in a
        projected CRS [m]; optional ``household_id`` (current holder) and
        ``lawful`` (bool). Parcels of types without an entitlement rule (grazing,
        forest, ...) are ignored.
    households : DataFrame
        ``household_id``, ``village_id``, ``labour_units`` or ``ages``; optional
        priority columns named by the rules (``landless``) and ``home_x``/``home_y``
        [m] (same CRS as the parcels).
    rules : path-like, mapping or EntitlementRules, optional
        Entitlement rules (:func:`landuse.allocation.quotas.load_rules`); default the
        bundled Lao rules.
    time_limit_s : float, default 60
        Effort budget of the whole call in seconds *of the reference machine*
        (2 cores, 24 GiB), not a wall-clock deadline. [s] Each of the *n_jobs*
        workers has ``0.95 x time_limit_s`` for its share of the subproblems
        (smallest first, each up to what it can use; what a subproblem does not
        use passes on to the next of the same worker), spent by counts: heuristic moves and steps, and
        HiGHS stages under a node limit derived from
        :func:`landuse.allocation._model.root_seconds`. A stage that cannot finish
        keeps its best solution and reports its gap. The wall clock is a safety
        net only (10 x the budget + 5 s); ``metrics['deterministic']`` is False
        if it fired.
    mip_gap : float, default 0.005
        Relative optimality gap at which HiGHS may stop each stage. [-]
    keep_existing : bool, default False
        Keep current lawful holdings (see the module notes).
    villages : GeoDataFrame or DataFrame, optional
        ``village_id`` and ``centre_x``/``centre_y`` [m] or polygons, for village
        centres (distances) and to check the village ids.
    zones : GeoDataFrame, optional
        Agricultural zones (``zone`` codes, see :func:`zone_compatible`); parcels
        outside a zone of their land type are not allocated (listed in
        ``unallocated`` with the reason).
    n_jobs : int, default 1
        Subproblems solved at the same time (threads; HiGHS itself runs
        single-threaded and seeded in each). Each worker has its own effort
        budget, so the result depends on *n_jobs* (but not on the machine).
    exact_max_pairs : int, default 250000
        Subproblems with more household-parcel pairs skip HiGHS (heuristic,
        re-partition and pattern-LP bounds only).

    Returns
    -------
    AllocationResult

    Raises
    ------
    SchemaError, CRSError, GeometryError, RuleError
        Bad inputs: missing columns, duplicate ids, parcels without land type,
        households with zero labour or in unknown villages, invalid rules.
    AllocationError
        Invalid options (time limit, gap, n_jobs).

    Warns
    -----
    LanduseWarning
        When entitlements exceed the land available in a village and land type
        (the shortfall is shared fairly and reported in ``result.shortfall``).

    Notes
    -----
    Deterministic whatever the machine load: inputs are sorted, HiGHS runs
    single-threaded with a fixed seed, every subproblem is solved independently
    with a budget fixed in advance, and every budget is an effort count (nodes,
    moves, steps), never a clock reading. So the same inputs and options
    (``time_limit_s``, ``mip_gap``, ``n_jobs``) give the same allocation byte for
    byte, unless the machine is more than ten times slower than the budget
    assumes: then the wall-clock safety net stops a step and
    ``result.metrics['deterministic']`` is False. ``result.metrics['status']`` is
    ``"optimal"`` when every stage is proven within *mip_gap*, else
    ``"time_limit"`` (the effort budget bound a stage; see ``result.solver``).
    """
    if not (isinstance(time_limit_s, (int, float)) and time_limit_s > 0):
        raise AllocationError(f"time_limit_s={time_limit_s!r} must be a positive number of seconds",
                              hint="e.g. time_limit_s=60")
    if not (isinstance(mip_gap, (int, float)) and 0 <= mip_gap < 1):
        raise AllocationError(f"mip_gap={mip_gap!r} must be between 0 and 1", hint="e.g. mip_gap=0.005 (0.5 %)")
    if not (isinstance(n_jobs, int) and n_jobs >= 1):
        raise AllocationError(f"n_jobs={n_jobs!r} must be a positive integer", hint="e.g. n_jobs=2")
    t0 = time.perf_counter()
    inp = _prepare(parcels, households, rules=rules, villages=villages, keep_existing=keep_existing,
                   zones=zones)
    sps = _subproblems(inp)
    # the effort budget of the solvers: the limit less 5 % (at most 2 s) for preparing
    # inputs and assembling the result; a function of time_limit_s only, never of the clock
    solve_limit = max(0.5, float(time_limit_s) - min(2.0, 0.05 * float(time_limit_s)))
    sols = _solve_all(sps, time_limit_s=solve_limit, mip_gap=float(mip_gap), n_jobs=n_jobs,
                      exact_max_pairs=exact_max_pairs)
    owner: dict[str, str] = {p: h for p, h in inp.kept.items()}
    for sp, sol in zip(sps, sols, strict=True):
        for p, hidx in zip(sp.parcel_ids, sol.assign, strict=True):
            if hidx >= 0:
                owner[p] = sp.household_ids[hidx]
    res = _result(parcels, inp, owner, list(zip(sps, sols, strict=True)), method="milp",
                  runtime_s=time.perf_counter() - t0, kept_ids=set(inp.kept.index))
    _warn_short(res)
    return res


def greedy_baseline(parcels: gpd.GeoDataFrame, households: pd.DataFrame, *, rules: Any = None, villages: gpd.GeoDataFrame | None = None,
                    keep_existing: bool = False, zones: gpd.GeoDataFrame | None = None) -> AllocationResult:
    """The simple rule for comparison: largest household first, nearest parcel.

    Households are taken in order of priority weight, then labour units
    (largest first), then id; each takes, land type by land type, the nearest free
    parcel of its village that still fits its cap and plot limit, until its
    entitlement is met or nothing fits. Same inputs, constraints and outputs as
    :func:`allocate` (``metrics['status']`` is ``"greedy"``).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B"], "village_id": "V",
    ...     "land_type": "paddy"}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    ...     crs="EPSG:32647")
    >>> hh = pd.DataFrame({"household_id": ["small", "big"], "village_id": "V",
    ...                    "labour_units": [1.0, 2.0]})
    >>> greedy_baseline(parcels, hh, rules={"entitlement": {"paddy_ha_per_labour_unit": 1.0}}
    ...                 ).households[["household_id", "allocated_ha"]]
      household_id  allocated_ha
    0          big           2.0
    1        small           0.0
    """
    t0 = time.perf_counter()
    inp = _prepare(parcels, households, rules=rules, villages=villages, keep_existing=keep_existing,
                   zones=zones)
    owner: dict[str, str] = {p: h for p, h in inp.kept.items()}
    ent = inp.ent[inp.ent["entitled_ha"] > 0]
    par = inp.parcels
    free = par[~par["parcel_id"].isin(owner)]
    pools = {}
    for key, g in free.groupby(["village_id", "land_type"]):
        pools[key] = (g["parcel_id"].to_numpy(dtype=object), g["area_ha"].to_numpy(dtype=float),
                      g["cx"].to_numpy(dtype=float), g["cy"].to_numpy(dtype=float),
                      np.zeros(len(g), dtype=bool))
    hh_order = (ent.groupby("household_id").agg(w=("shortfall_weight", "first"), lu=("labour_units", "first"))
                .reset_index().sort_values(["w", "lu", "household_id"], ascending=[False, False, True]))
    kept_area = par.assign(h=par["parcel_id"].map(owner)).groupby(["h", "land_type"])["area_ha"]
    kept_sum, kept_n = kept_area.sum().to_dict(), kept_area.size().to_dict()
    rows_by_h = {h: g for h, g in ent.groupby("household_id")}
    for hid in hh_order["household_id"]:
        ax, ay = inp.anchors.loc[hid, ["ax", "ay"]]
        for row in rows_by_h[hid].itertuples(index=False):
            pool = pools.get((row.village_id, row.land_type))
            if pool is None:
                continue
            pid, area, cx, cy, taken = pool
            got = float(kept_sum.get((hid, row.land_type), 0.0))
            n = int(kept_n.get((hid, row.land_type), 0))
            cap, nmax = max(row.cap_ha, got), max(int(row.max_plots), n)
            d = np.hypot(cx - ax, cy - ay)
            for i in np.lexsort((pid.astype(str), d)):
                if got >= row.entitled_ha - 1e-9 or n >= nmax:
                    break
                if taken[i] or got + area[i] > cap + 1e-9:
                    continue
                owner[pid[i]] = hid
                taken[i] = True
                got += area[i]
                n += 1
    res = _result(parcels, inp, owner, [], method="greedy", runtime_s=time.perf_counter() - t0,
                  kept_ids=set(inp.kept.index))
    return res

