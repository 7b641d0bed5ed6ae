#!/usr/bin/env python
"""Memory of the province's web map task on a worker (issue 20).

At the end of the villages stage ``landuse run --workers`` sends the web map's inputs to
a dask worker and draws ``map.html`` there (:func:`landuse.plan._products._map_files`)
while the command's process writes the GeoPackage and the tables. This script measures,
in a process of its own (as a worker is), how much memory that task needs at province
scale: the resident set size (RSS) once its inputs are unpickled (what the worker holds
while the task waits or runs), the peak while the page is drawn (a thread samples RSS
every 10 ms; also ``ru_maxrss``), and the RSS once the page's bytes are handed over and
the inputs let go (what the worker keeps for the certificates that follow). Peer: none
(the goal is issue 20's 2 GB a worker).

Two steps::

    # once (~8 min on the 540-village province): read the inputs, the district terrain,
    # zoning and fallow of every village (the workers' real code), a stand-in allocation
    # (every held parcel to its holder, as bench_province_serial.py), irrigation schemes;
    # the map's layers as the plan builds them, pickled with the DEM and the households
    python benchmarks/bench_map_memory.py --data /work/prov/p540 --prepare /tmp/p540-map.pkl

    # the task, as the plan sends it (the landuse on PYTHONPATH decides what is sent)
    python benchmarks/bench_map_memory.py --inputs /tmp/p540-map.pkl [--breakdown] [--html OUT]

``--breakdown`` also prints the peak and the kept RSS of each part of the page (each
layer's compact data, the hillshade, the rendering); ``--html`` writes the page (to
compare bytes between two versions of landuse).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import os
import pickle
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another landuse (e.g. an older commit) may be measured


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _trim() -> None:
    """Give freed heap pages back to the system (as dask's nanny sets glibc to do)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


@contextlib.contextmanager
def peak(label: str, rows: list):
    """Sample this process's RSS every 10 ms while the block runs; add (label, before, peak, after)."""
    import psutil

    proc, top, stop = psutil.Process(), [0.0], threading.Event()

    def loop() -> None:
        while not stop.is_set():
            top[0] = max(top[0], proc.memory_info().rss / 2**20)
            stop.wait(0.01)

    before = _rss_mb()
    top[0] = before
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        stop.set()
        t.join()
        wall = time.perf_counter() - t0
        top[0] = max(top[0], _rss_mb())
        rows.append((label, before, top[0], _rss_mb(), wall))
        print(f"{label:44s} RSS before {before:7.0f} MB  peak {top[0]:7.0f} MB  after {rows[-1][3]:7.0f} MB"
              f"  ({wall:5.1f} s)", flush=True)


# -- preparing the inputs -------------------------------------------------------------------------
def prepare(data: Path, cache: Path) -> None:
    """Everything ``write_all`` builds the web map from, at the end of a province's villages stage."""
    import geopandas as gpd

    from landuse import parcels as lparcels
    from landuse.plan import load_plan
    from landuse.plan._products import _concat, _joined_parcels
    from landuse.plan._results import VillageProducts, VillageResult, slim
    from landuse.plan._run import _fallow, _zoning, irrigation, load_inputs, village_inputs
    from landuse.terrain import hydrology

    t0 = time.perf_counter()
    plan = load_plan(data / "plan.toml")
    inputs = load_inputs(plan)
    streams = hydrology.streams(inputs.dem, min_area_km2=plan.options.stream_min_area_km2)
    metrics = lparcels.parcel_metrics(inputs.parcels, inputs.dem, streams=streams, villages=inputs.villages)
    bundles = village_inputs(inputs, plan, streams=streams, metrics=metrics)
    print(f"inputs, terrain, {len(bundles)} bundles: {time.perf_counter() - t0:.0f} s", flush=True)
    results = []
    for k, vi in enumerate(bundles):
        res = VillageResult(vi.village_id, products=VillageProducts())
        _zoning(vi, res)  # the workers' own zoning and fallow
        _fallow(vi, res)
        p = vi.parcels  # a stand-in allocation: every held parcel to its holder
        held = p[p["household_id"].notna()]
        res.products.allocations = gpd.GeoDataFrame({
            "parcel_id": held["parcel_id"].to_numpy(), "village_id": vi.village_id,
            "household_id": held["household_id"].to_numpy(), "land_type": held["land_type"].to_numpy(),
            "area_ha": held.geometry.area.to_numpy() / 10_000.0,
            "certificate_no": [f"{vi.village_id}-{i + 1:05d}" for i in range(len(held))],
        }, geometry=held.geometry.to_numpy(), crs=p.crs)
        free = p[p["household_id"].isna()]
        res.products.unallocated = gpd.GeoDataFrame(
            {"parcel_id": free["parcel_id"].to_numpy(), "village_id": vi.village_id,
             "land_type": free["land_type"].to_numpy(), "area_ha": free.geometry.area.to_numpy() / 10_000.0},
            geometry=free.geometry.to_numpy(), crs=p.crs)
        results.append(slim(res))
        if (k + 1) % 50 == 0:
            print(f"  {k + 1} villages: {time.perf_counter() - t0:.0f} s", flush=True)
    del bundles
    schemes, _ = irrigation(inputs, parcels=inputs.parcels, wanted=set())
    villages = inputs.villages.sort_values("village_id").reset_index(drop=True)
    layers = {"villages": villages, "parcels": _joined_parcels(inputs.parcels, metrics, set(villages["village_id"]))}
    if streams is not None and len(streams):
        layers["streams"] = streams
    for key, name in (("zones", "zones"), ("allocations", "allocations"), ("unallocated", "unallocated"),
                      ("conflicts", "conflicts"), ("fallow_parcels", "fallow")):
        g = _concat([getattr(r.products, key) for r in results])
        if g is not None and hasattr(g, "geometry"):
            layers[name] = g
    scheme_layers = [s.layer for s in schemes if getattr(s, "layer", None) is not None]
    if scheme_layers:
        layers["schemes"] = _concat(scheme_layers)
    with open(cache, "wb") as f:
        pickle.dump({"layers": layers, "dem": inputs.dem, "households": inputs.households, "title": plan.name},
                    f, protocol=5)
    print(f"prepared in {time.perf_counter() - t0:.0f} s: " + ", ".join(f"{k} {len(v)}" for k, v in layers.items())
          + f"; {cache.stat().st_size / 2**20:.0f} MB pickled", flush=True)


# -- measuring the task ---------------------------------------------------------------------------
def sent(cache: Path) -> list[bytes]:
    """The map task's arguments as the command sends them (pickled as dask sends them)."""
    from landuse.plan import _products

    with open(cache, "rb") as f:
        d = pickle.load(f)
    if hasattr(_products, "map_inputs"):  # issue 20: only what the map draws
        args = _products.map_inputs(d["layers"], d["dem"], households=d["households"])
        kwargs = {"title": d["title"]}
    else:
        args = (d["layers"], d["dem"])
        kwargs = {"title": d["title"], "households": d["households"]}
    return [pickle.dumps(a, protocol=5) for a in args] + [pickle.dumps(kwargs, protocol=5)]


def measure(parts: list[Path], *, breakdown: bool, html: Path | None) -> None:
    """In this process (a stand-in worker): unpickle the arguments, run the task, let go."""
    from landuse.plan._products import _map_files

    rows: list = []
    _trim()
    base = _rss_mb()
    with peak("unpickle the task's arguments (held)", rows):
        args = [pickle.loads(p.read_bytes()) for p in parts]
    kwargs = args.pop()
    if breakdown:
        _breakdown(args, kwargs, rows)
    with peak("the map task (_map_files)", rows):
        files = _map_files(*args, **kwargs)
    page = files["map.html"]
    print(f"map.html {len(page) / 2**20:.1f} MB, sha256 {hashlib.sha256(page).hexdigest()}")
    if html is not None:
        html.write_bytes(page)
    del files, page, args, kwargs
    _trim()
    print(f"base RSS {base:.0f} MB; held with the inputs {rows[0][3]:.0f} MB; task peak {rows[-1][2]:.0f} MB; "
          f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"after letting go {_rss_mb():.0f} MB", flush=True)


def _breakdown(args: list, kwargs: dict, rows: list) -> None:
    """Peak and kept RSS of each part of the page, one after the other (what is big)."""
    from landuse.maps import web

    layers, dem = args[0], args[1]
    for name, gdf in layers.items():
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        size = gdf.memory_usage(deep=True).sum() / 2**20
        print(f"  layer {name}: {len(gdf)} features, {len(cols)} columns, {size:.0f} MB in pandas "
              "(geometries counted as pointers)", flush=True)
        if name == "allocations":
            continue  # drawn after the households' names are joined on
        with peak(f"  compact data of {name}", rows):
            spec = web.map_layer_data(gdf, name=name)
        del spec
        _trim()
    if dem is not None:
        print(f"  DEM {dem.shape[0]} x {dem.shape[1]} {dem.data.dtype}, {dem.data.nbytes / 2**20:.0f} MB", flush=True)
        with peak("  hillshade overlay", rows):
            web._hillshade_overlay(dem)
        _trim()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a province folder (tools/make_province.py), with --prepare")
    ap.add_argument("--prepare", type=Path, help="write the map's inputs here (pickle)")
    ap.add_argument("--inputs", type=Path, help="the pickle --prepare wrote")
    ap.add_argument("--breakdown", action="store_true", help="also measure each part of the page")
    ap.add_argument("--html", type=Path, default=None, help="write map.html here")
    ap.add_argument("--task", nargs="+", type=Path, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()}", flush=True)
    if args.prepare:
        return prepare(args.data, args.prepare)
    if args.task:
        return measure(args.task, breakdown=args.breakdown, html=args.html)
    import tempfile

    t0 = time.perf_counter()
    packed = sent(args.inputs)
    print(f"sent to the worker: {' + '.join(f'{len(p) / 2**20:.0f}' for p in packed[:-1])} MB pickled "
          f"({time.perf_counter() - t0:.0f} s to prepare here)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-map-memory-") as tmp:
        parts = []
        for k, p in enumerate(packed):
            parts.append(Path(tmp) / f"arg{k}.pkl")
            parts[-1].write_bytes(p)
        del packed
        cmd = [sys.executable, __file__, "--task", *map(str, parts)]
        cmd += ["--breakdown"] if args.breakdown else []
        cmd += ["--html", str(args.html)] if args.html else []
        subprocess.run(cmd, check=True, env={**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"})


if __name__ == "__main__":
    main()
