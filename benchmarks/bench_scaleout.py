"""Province scale-out: a plan of >= 40 villages on dask.distributed with 1 and 2 workers.

The synthetic province tiles the bundled 7-village demo 3 x 2 (42 villages; ids get a
tile suffix, geometries and the DEM are shifted), writes it with a plan file into a temp
folder, then runs ``landuse.plan.run_plan`` on a ``LocalCluster`` of 1 and of 2
single-threaded worker processes. It prints the wall time of each run, the speed-up
(goal >= 1.6 on 2 cores), the CPU seconds used by the workers, and the peak resident
memory per worker.

Allocation is bounded by ``--time-limit`` per village; a solve that stops on the time limit
takes the same wall time whatever the CPU share, which would flatter the speed-up, so the
script also reports the workers' CPU time: a CPU-bound run uses about the same CPU seconds
with 1 and 2 workers.

Usage: ``.venv/bin/python benchmarks/bench_scaleout.py [--tiles 3x2] [--time-limit 5]``
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine

from landuse import datasets, io
from landuse.plan import run_plan


def build_province(folder: Path, *, nx: int, ny: int) -> Path:
    demo = datasets.load_demo()
    dem = demo.dem
    rows, cols = dem.shape
    w, h = cols * dem.res[0], rows * dem.res[1]
    tiles = [(i, j) for j in range(ny) for i in range(nx)]

    def shift(gdf, i, j, id_cols, k):
        out = gdf.copy()
        out.geometry = out.geometry.translate(xoff=i * w, yoff=-j * h)
        for c in id_cols:
            out[c] = out[c].where(out[c].isna(), out[c].astype(str) + f"-{k}")
        return out

    villages = pd.concat([shift(demo.villages, i, j, ["village_id"], k) for k, (i, j) in enumerate(tiles)])
    for k, (i, j) in enumerate(tiles):
        sel = villages["village_id"].str.endswith(f"-{k}")
        villages.loc[sel, "centre_x"] = villages.loc[sel, "centre_x"] + i * w
        villages.loc[sel, "centre_y"] = villages.loc[sel, "centre_y"] - j * h
    parcels = pd.concat([shift(demo.parcels, i, j, ["parcel_id", "village_id", "household_id"], k)
                         for k, (i, j) in enumerate(tiles)])
    forest = pd.concat([shift(demo.forest, i, j, [], k) for k, (i, j) in enumerate(tiles)])
    hh = pd.concat([demo.households.assign(household_id=demo.households["household_id"] + f"-{k}",
                                           village_id=demo.households["village_id"] + f"-{k}")
                    for k in range(len(tiles))])
    hist = pd.concat([demo.histories.assign(plot_id=demo.histories["plot_id"] + f"-{k}")
                      for k in range(len(tiles))])
    io.write_vector(gpd.GeoDataFrame(villages, crs=demo.villages.crs), folder / "villages.gpkg", layer="villages")
    io.write_vector(gpd.GeoDataFrame(parcels, crs=demo.parcels.crs), folder / "parcels.gpkg", layer="parcels")
    io.write_vector(gpd.GeoDataFrame(forest, crs=demo.forest.crs), folder / "forest.gpkg", layer="forest")
    io.write_table(hh.drop(columns=[c for c in hh.columns if c == "month"]), folder / "households.csv")
    io.write_table(hist, folder / "histories.csv")
    data = np.tile(dem.data, (ny, nx))
    io.write_raster(data, folder / "dem.tif", transform=dem.transform, crs=dem.crs, nodata=dem.nodata)
    plan = folder / "plan.toml"
    plan.write_text(
        "[plan]\nname = \"Synthetic province (tiled demo)\"\n[inputs]\n"
        'villages = "villages.gpkg"\nparcels = "parcels.gpkg"\nhouseholds = "households.csv"\n'
        'dem = "dem.tif"\nhistories = "histories.csv"\nforest = "forest.gpkg"\n'
        "[options]\ncertificates = false\nmap = false\n"
        f"time_limit_s = {ARGS.time_limit}\nmip_gap = 0.01\n", encoding="utf-8")
    return plan


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(plan: Path, out: Path, workers: int) -> dict:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            Client(cl) as client:
        client.run(lambda: None)
        cpu0 = sum(client.run(_cpu_s).values())
        t0 = time.perf_counter()
        res = run_plan(plan, out_dir=out, overwrite=True, scheduler=cl.scheduler_address)
        wall = time.perf_counter() - t0
        cpu = sum(client.run(_cpu_s).values()) - cpu0
        peaks = sorted(client.run(_peak_rss_mb).values())
    for vid, msg in sorted(res.failed.items()):
        print(f"  village {vid} failed: {msg[:200]}")
    return {"workers": workers, "wall_s": wall, "worker_cpu_s": cpu, "peak_rss_mb": peaks,
            "villages": len(res.villages), "failed": len(res.failed)}


def main() -> None:
    nx, ny = (int(v) for v in ARGS.tiles.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="landuse-province-"))
    try:
        t0 = time.perf_counter()
        plan = build_province(tmp, nx=nx, ny=ny)
        print(f"province: {nx * ny} tiles of the demo, built in {time.perf_counter() - t0:.1f} s ({tmp})")
        one = run(plan, tmp / "out1", 1)
        two = run(plan, tmp / "out2", 2)
        for r in (one, two):
            print(f"{r['workers']} worker(s): {r['villages']} villages ({r['failed']} failed) in {r['wall_s']:.1f} s, "
                  f"worker CPU {r['worker_cpu_s']:.1f} s, peak RSS per worker {', '.join(f'{m:.0f}' for m in r['peak_rss_mb'])} MB")
        print(f"speed-up 2 vs 1 worker: {one['wall_s'] / two['wall_s']:.2f} (goal >= 1.6)")
        print(f"CPU seconds 2 / 1 worker: {two['worker_cpu_s'] / one['worker_cpu_s']:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiles", default="3x2", help="tiling of the demo, NXxNY (3x2 = 42 villages)")
    ap.add_argument("--time-limit", type=float, default=5.0, help="allocation time limit per village [s]")
    ARGS = ap.parse_args()
    main()
