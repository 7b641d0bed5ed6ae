"""Proven gaps of the allocation's three stages per subproblem, before and after the stage-3 configuration LP.

Run once (the machine is shared)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_allocation_gap.py               # the demo
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_allocation_gap.py --tile DIR    # + a province tile

``DIR`` is the output of ``tools/make_province.py --out DIR --villages 6``. Each
village is solved as the plan runs it (one :func:`landuse.allocation.allocate`
call per village, ``time_limit_s`` an effort budget in reference-machine
seconds, one job), twice: "before" with the HiGHS-only fragmentation stage
(``_model.CONFIGURATION_LP = False``) and "after" with the configuration LP of
stage 3 (:mod:`landuse.allocation._fragment`). The script prints, per
subproblem (village and land type), the proven gap of each stage and which bound
proves it, and the CPU seconds per village (``time.process_time``, so other load
on the machine does not count). Target (issue 20): every gap <= 0.5 %, about
2 CPU-s per village.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from landuse.allocation import _model
from landuse.allocation import optimise
from landuse.errors import LanduseWarning


def _villages(parcels, households, villages):
    for v in sorted(parcels["village_id"].astype(str).unique()):
        yield (v, parcels[parcels["village_id"].astype(str) == v],
               households[households["village_id"].astype(str) == v],
               villages[villages["village_id"].astype(str) == v])


def run(name: str, parcels, households, villages, *, time_limit_s: float, configuration: bool) -> pd.DataFrame:
    _model.CONFIGURATION_LP = configuration
    rows = []
    for v, pv, hv, vv in _villages(parcels, households, villages):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LanduseWarning)
            t0 = time.process_time()
            res = optimise.allocate(pv, hv, villages=vv, time_limit_s=time_limit_s, keep_existing=False)
            cpu = time.process_time() - t0
        s = res.solver
        for lt, g in s.groupby("land_type", sort=True):
            gap = {r.stage: r.gap for r in g.itertuples()}
            proof = {r.stage: r.proof for r in g.itertuples()}
            rows.append({"set": name, "village": v, "land_type": lt, "pairs": int(g["n_pairs"].iloc[0]),
                         "gap1_pct": 100 * gap.get("max_relative_shortfall", 0.0),
                         "gap2_pct": 100 * gap.get("total_shortfall_ha", 0.0),
                         "gap3_pct": 100 * gap.get("fragmentation", 0.0),
                         "proof3": proof.get("fragmentation", ""),
                         "frag": float(g.loc[g["stage"] == "fragmentation", "objective"].iloc[0])
                         if (g["stage"] == "fragmentation").any() else np.nan,
                         "village_cpu_s": cpu})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tile", help="a tools/make_province.py output directory")
    ap.add_argument("--time-limit", type=float, default=5.0, help="allocate(time_limit_s=...) per village")
    ap.add_argument("--after-only", action="store_true")
    args = ap.parse_args()

    from landuse.datasets import load_demo

    sets = []
    demo = load_demo()
    sets.append(("demo", demo.parcels, demo.households, demo.villages))
    if args.tile:
        import geopandas as gpd

        par = gpd.read_file(f"{args.tile}/parcels.gpkg")
        hh = pd.read_csv(f"{args.tile}/households.csv", dtype={"village_id": str, "household_id": str})
        vil = gpd.read_file(f"{args.tile}/villages.gpkg")
        sets.append(("tile", par, hh, vil))
    modes = [True] if args.after_only else [False, True]
    tables = []
    for configuration in modes:
        label = "after" if configuration else "before"
        for name, p, h, v in sets:
            t = run(name, p, h, v, time_limit_s=args.time_limit, configuration=configuration)
            t.insert(0, "run", label)
            tables.append(t)
            cpu = t.groupby("village")["village_cpu_s"].first()
            print(f"\n== {label}: {name}, time_limit_s={args.time_limit:g} per village ==")
            print(t.drop(columns=["run", "set"]).round(3).to_string(index=False))
            print(f"{label} {name}: CPU per village mean {cpu.mean():.2f} s, max {cpu.max():.2f} s; "
                  f"largest gap per stage {t['gap1_pct'].max():.2f} / {t['gap2_pct'].max():.2f} / "
                  f"{t['gap3_pct'].max():.2f} %; stage-3 gaps <= 0.5 %: {(t['gap3_pct'] <= 0.5).sum()} of {len(t)}")
    _model.CONFIGURATION_LP = True


if __name__ == "__main__":
    main()
