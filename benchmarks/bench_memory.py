#!/usr/bin/env python
"""Memory over a long run: RSS of one process after each of N villages (issue 20).

A dask worker of ``landuse run --workers`` runs, village after village, the village's
plan (:func:`landuse.plan._run.run_village`: zoning, allocation, fallow, charts) and
its print map. This script does the same in ONE process, over the villages of a
province folder (``tools/make_province.py``) taken in turn again and again, each
time from a fresh pickled copy of the village's bundle (as a worker receives it), and
prints the resident set size after each village, with the growth per village [MB]
over the second half (the first villages load libraries and compile kernels), and
how much a worker would hold if it kept every village's result and print map until
the end of the run (as before issue 20: the futures were kept).

Usage::

    python tools/make_province.py --out /tmp/p6 --villages 6
    python benchmarks/bench_memory.py --data /tmp/p6 -n 60 --time-limit 0.5
    python benchmarks/bench_memory.py --data /tmp/p6 -n 30 --top 10     # + tracemalloc growth

``--workers W`` runs the N villages as the command does (:func:`map_villages` on a
local cluster of W worker processes) and prints, as each result arrives, the RSS of
the command's process (where the scheduler of a local cluster lives) and of each
worker, and how many task results the workers still hold.

``--top K`` also prints the K source lines whose allocations grew most between the
middle and the end of the run (tracemalloc; slower), and the object types whose
counts grew (``gc.get_objects``).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import gc
import pickle
import sys
import time
import tracemalloc
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another landuse (e.g. an older commit) may be measured


def _types() -> collections.Counter:
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


def bundles(data: Path, time_limit_s: float) -> list:
    """The villages' bundles of the plan in *data*, as the command's process makes them."""
    from landuse import parcels as lparcels
    from landuse.plan import load_plan
    from landuse.plan._run import load_inputs, village_inputs
    from landuse.terrain import hydrology

    plan = load_plan(data / "plan.toml")
    inputs = load_inputs(plan)
    streams = hydrology.streams(inputs.dem, min_area_km2=plan.options.stream_min_area_km2)
    metrics = lparcels.parcel_metrics(inputs.parcels, inputs.dem, streams=streams, villages=inputs.villages)
    out = []
    for b in village_inputs(inputs, plan, streams=streams, metrics=metrics):
        b.options = dataclasses.replace(b.options, time_limit_s=time_limit_s)
        out.append(pickle.dumps(b))
    return out, plan


def on_dask(packed: list, n: int, workers: int) -> None:
    """The villages through ``map_villages`` on a local cluster; memory as each result arrives."""
    import os

    from dask.distributed import Client, LocalCluster

    from landuse.plan._run import map_villages

    proc = psutil.Process()
    todo = []
    for i in range(n):
        vi = pickle.loads(packed[i % len(packed)])
        vi.village_id = f"{vi.village_id}-{i:03d}"  # a task key of its own (the data are the village's)
        todo.append(vi)
    del packed

    def state(dask_worker: object) -> tuple[float, int]:
        return psutil.Process(os.getpid()).memory_info().rss / 2**20, len(dask_worker.data)  # type: ignore[attr-defined]

    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cl, Client(cl) as client:
        seen = [0]

        def on_result(r: object) -> None:
            seen[0] += 1
            w = client.run(state)
            gc.collect()
            print(f"village {seen[0]:3d}: command RSS {proc.memory_info().rss / 2**20:7.1f} MB; workers RSS "
                  + ", ".join(f"{v[0]:.0f}" for v in w.values()) + " MB; results held on the workers "
                  + str(sum(v[1] for v in w.values())), flush=True)

        t0 = time.perf_counter()
        map_villages(todo, workers=None, scheduler=None, progress=False, client=client, on_result=on_result)
        print(f"{n} villages on {workers} workers in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a province folder (tools/make_province.py)")
    ap.add_argument("-n", type=int, default=40, help="villages to run [count]")
    ap.add_argument("--time-limit", type=float, default=0.5, help="allocation time limit [s]")
    ap.add_argument("--no-map", action="store_true", help="leave out the print map of each village")
    ap.add_argument("--workers", type=int, default=0, help="run on a local dask cluster of W workers")
    ap.add_argument("--top", type=int, default=0, help="print the K lines that grew most (tracemalloc)")
    args = ap.parse_args()

    import shapely

    from landuse.plan._products import _print_map_files

    try:
        from landuse.plan._results import slim
    except ImportError:  # a landuse from before issue 20's memory work
        slim = lambda r: r  # noqa: E731
    from landuse.plan._run import dem_window, run_village

    proc = psutil.Process()
    packed, plan = bundles(args.data, args.time_limit)
    if args.workers:
        return on_dask(packed, args.n, args.workers)
    gc.collect()
    print(f"{len(packed)} distinct villages, a task's input {sum(map(len, packed)) / len(packed) / 2**20:.1f} MB "
          f"pickled (mean); RSS after reading the inputs {proc.memory_info().rss / 2**20:.0f} MB")
    rss: list[float] = []
    held = {"result": 0.0, "map": 0.0, "slim": 0.0}  # [MB] pickled results and PNG bytes made so far
    snap = types = None
    t0 = time.perf_counter()
    for i in range(args.n):
        vi = pickle.loads(packed[i % len(packed)])
        res = run_village(vi)
        if not args.no_map and res.ok and res.products.zones is not None:
            b = vi.village.total_bounds
            dem = dem_window(vi.dem, shapely.box(*b), buffer_m=max(b[2] - b[0], b[3] - b[1]) + 500.0)
            png = _print_map_files(vi.village, zones=res.products.zones, parcels=vi.parcels, streams=vi.streams,
                                   dem=dem, title=plan.name, notes="")
            held["map"] += sum(len(b) for b in png.values()) / 2**20
        held["result"] += len(pickle.dumps(res)) / 2**20  # as the worker sends it back
        held["slim"] += len(pickle.dumps(slim(res))) / 2**20  # as the command's process keeps it
        del vi, res
        gc.collect()
        rss.append(proc.memory_info().rss / 2**20)
        print(f"village {i + 1:3d}: RSS {rss[-1]:7.1f} MB; a worker that kept every future would hold "
              f"{held['result']:.1f} MB of results and {held['map']:.1f} MB of print maps; the command's "
              f"process keeps {held['slim']:.1f} MB of slim results", flush=True)
        if args.top and i + 1 == args.n // 2:
            tracemalloc.start(8)
            snap, types = tracemalloc.take_snapshot(), _types()
    half = rss[len(rss) // 2:]
    per = (half[-1] - half[0]) / max(len(half) - 1, 1)
    print(f"{args.n} villages in {time.perf_counter() - t0:.0f} s; RSS {rss[0]:.0f} -> {rss[-1]:.0f} MB, "
          f"peak {max(rss):.0f} MB; growth over the second half {per:+.2f} MB/village")
    if snap is not None:
        diff = tracemalloc.take_snapshot().compare_to(snap, "traceback")
        for st in diff[:args.top]:
            print(f"{st.size_diff / 2**20:+8.2f} MB {st.count_diff:+7d} blocks")
            for line in st.traceback.format()[-6:]:
                print("    " + line)
        grown = _types() - types
        print("object types grown:", grown.most_common(15))


if __name__ == "__main__":
    main()
