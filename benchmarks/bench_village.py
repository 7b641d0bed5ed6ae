"""What one village costs its worker, step by step (issue 20): CPU seconds per village.

The province plan runs :func:`landuse.plan._run.run_village` once per village on a dask
worker. This script builds the villages' bundles of a SYNTHETIC province tile exactly as
``execute`` does (inputs read and checked, district streams and parcel statistics, one
bundle per village), then runs ``run_village`` on every bundle in this one process and
prints the CPU seconds (``time.process_time``, so a busy shared machine changes them
little) of each step per village:

- ``zoning``: :func:`landuse.zoning.zone_villages` and :func:`landuse.zoning.parcel_zones`;
- ``quotas``: the household entitlements (:func:`landuse.allocation.quotas.entitlements`);
- ``allocation, not solver``: input checks, subproblems and result assembly of
  :func:`landuse.allocation.allocate`, less the quotas and the solver;
- ``solver``: the solver calls (``presolve``, ``solve_mip``, ``solve_heuristic``; another
  part of issue 20, listed for scale only);
- ``fallow``: cycles, survival curves, trend and land demand from the histories;
- ``products``: the report charts made in the worker and pickling the result back;
- ``subdivision`` is not part of ``run_village`` (parcels are allocated whole).

The worker's start (imports of the deferred modules: HiGHS, matplotlib; then
a first run of the smallest village, which loads the numba kernels from their cache) is
paid once per worker and printed apart; the villages are then timed warm. Goal (issue 20): everything but
the solver <= 0.8 CPU-s per village.

Usage::

    .venv/bin/python tools/make_province.py --out /tmp/p6 --villages 6
    .venv/bin/python benchmarks/bench_village.py --data /tmp/p6 [--time-limit 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import importlib
import json
import pickle
import time
import warnings
from collections import defaultdict
from pathlib import Path

#: (module, attribute, step) wrapped with a CPU timer; the solver calls are timed per thread
STEPS = [
    ("landuse.plan._run", "_zoning", "zoning"),
    ("landuse.plan._run", "_allocation", "allocation"),
    ("landuse.allocation._inputs", "entitlements", "quotas"),
    ("landuse.allocation.optimise", "presolve", "solver"),
    ("landuse.allocation.optimise", "solve_mip", "solver"),
    ("landuse.allocation.optimise", "solve_heuristic", "solver"),
    ("landuse.plan._run", "_fallow", "fallow"),
    ("landuse.plan._run", "village_charts", "charts"),
]
#: what the worker imports once (deferred imports of the steps above)
WORKER_IMPORTS = ["landuse.plan._run", "landuse.allocation.optimise", "landuse.fallow.rotation",
                  "landuse.zoning.zones", "matplotlib.pyplot"]


def bundles(data: Path, cache: Path | None) -> list:
    """The per-village bundles of the plan in *data*, as ``execute`` makes them (pickled in *cache*)."""
    if cache is not None and cache.is_file():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    from landuse import parcels as lparcels
    from landuse.plan import load_plan
    from landuse.plan import _run
    from landuse.terrain import hydrology

    plan = load_plan(data / "plan.toml")
    inputs = _run.load_inputs(plan)
    streams = hydrology.streams(inputs.dem, min_area_km2=plan.options.stream_min_area_km2)
    ok = inputs.villages[~inputs.villages["village_id"].isin(set(inputs.failures))]
    metrics = lparcels.parcel_metrics(inputs.parcels, inputs.dem, streams=streams, villages=ok)
    out = _run.village_inputs(inputs, plan, streams=streams, metrics=metrics)
    if cache is not None:
        with cache.open("wb") as fh:
            pickle.dump(out, fh)
    return out


def _timed(table: dict, name: str, fn, clock):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        t0 = clock()
        try:
            return fn(*a, **k)
        finally:
            table[name] += clock() - t0
    return wrapper


@contextlib.contextmanager
def timers():
    """Wrap the steps of :data:`STEPS` with CPU timers; yield the table of seconds per step."""
    table: dict[str, float] = defaultdict(float)
    saved = []
    for mod, attr, name in STEPS:
        m = importlib.import_module(mod)
        orig = getattr(m, attr)
        saved.append((m, attr, orig))
        clock = time.thread_time if name == "solver" else time.process_time
        setattr(m, attr, _timed(table, name, orig, clock))
    try:
        yield table
    finally:
        for m, attr, orig in reversed(saved):
            setattr(m, attr, orig)


def main() -> None:
    """Build (or load) the bundles, warm the worker, time every village, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="a province made by tools/make_province.py")
    ap.add_argument("--cache", type=Path, help="pickle of the bundles (made if missing, reused if present)")
    ap.add_argument("--time-limit", type=float, help="allocation effort budget [s] (default: the plan's)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    c0 = time.process_time()
    for mod in WORKER_IMPORTS:
        importlib.import_module(mod)
    start_s = time.process_time() - c0
    bs = bundles(args.data, args.cache)
    if args.time_limit:
        for b in bs:
            b.options = dataclasses.replace(b.options, time_limit_s=args.time_limit)
    run_village = importlib.import_module("landuse.plan._run").run_village
    # the first task also loads the compiled kernels from numba's cache: paid once per worker
    c0 = time.process_time()
    run_village(min(bs, key=lambda b: len(b.parcels)))
    warm_s = time.process_time() - c0

    rows = []
    for b in bs:
        with timers() as t:
            c0 = time.process_time()
            res = run_village(b)
            c1 = time.process_time()
            pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL)
            t["pickle"] = time.process_time() - c1
            t["total"] = c1 - c0
        if not res.ok:
            raise SystemExit(f"village {b.village_id} failed: {res.error}")
        row = {"village_id": b.village_id, "parcels": len(b.parcels), "households": len(b.households)}
        row["zoning"] = t["zoning"]
        row["quotas"] = t["quotas"]
        row["allocation, not solver"] = t["allocation"] - t["solver"] - t["quotas"]
        row["solver"] = t["solver"]
        row["fallow"] = t["fallow"]
        row["products"] = t["charts"] + t["pickle"]
        row["rest of run_village"] = t["total"] - t["zoning"] - t["allocation"] - t["fallow"] - t["charts"]
        row["all but solver"] = t["total"] - t["solver"] + t["pickle"]
        rows.append(row)

    cols = ["zoning", "quotas", "allocation, not solver", "solver", "fallow", "products",
            "rest of run_village", "all but solver"]
    print(f"worker start, once: imports {start_s:.2f} CPU-s; first (smallest) village, "
          f"kernels loaded, solver included: {warm_s:.2f} CPU-s")
    print(f"{'village':<10} {'parcels':>7} {'hh':>4} " + " ".join(f"{c[:12]:>12}" for c in cols))
    for r in rows:
        print(f"{r['village_id']:<10} {r['parcels']:>7} {r['households']:>4} "
              + " ".join(f"{r[c]:>12.3f}" for c in cols))
    mean = {c: sum(r[c] for r in rows) / len(rows) for c in cols}
    print(f"{'mean':<10} {'':>7} {'':>4} " + " ".join(f"{mean[c]:>12.3f}" for c in cols))
    print(f"everything but the solver: {mean['all but solver']:.2f} CPU-s per village (goal <= 0.8)")
    if args.json:
        args.json.write_text(json.dumps({"worker_start_s": start_s, "warm_up_s": warm_s, "villages": rows, "mean": mean},
                                        indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
