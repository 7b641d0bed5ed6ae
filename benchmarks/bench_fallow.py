"""Benchmark: per-pixel fallow metrics of a 30-year stack of 4000 x 4000 land-cover rasters.

Peer: one plain pass that reads every year of the stack and sums it (numpy + rasterio),
measured in the same run. Target: landuse time / plain pass time <= 6 with peak memory
(resident set of the process) under 1.5 GB. The same code is then run on a
``dask.distributed.LocalCluster`` with 2 single-threaded workers.

Each step runs in its own Python process so that its peak memory (``ru_maxrss``) is its
own. Run once::

    .venv/bin/python benchmarks/bench_fallow.py [--size 4000] [--years 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = {"cultivated": [1], "fallow": [2], "other": [3]}
NODATA = 255


def generate(folder: Path, size: int, years: int, seed: int = 42) -> list[Path]:
    """Synthetic annual land-cover GeoTIFFs (uint8, deflate, tiled) with shortening fallows.

    Plots are 8 x 8 cell blocks; each has a phase and a rotation length that shortens over
    time (about 12 -> 4 years); 10 % of the plots are forest ('other'), and a corner is
    nodata. Like a real annual classification (about 85 % overall accuracy for shifting
    cultivation in Laos, Chen et al. 2023), 1 % of plot-years and 5 % of pixel-years are
    misclassified at random, which also keeps the files from compressing unrealistically
    well. Years are 1991 + k.
    """
    import rasterio
    from affine import Affine

    rng = np.random.default_rng(seed)
    nb = -(-size // 8)
    rot0 = rng.integers(8, 14, (nb, nb))
    phase = rng.integers(0, 14, (nb, nb))
    forest = rng.random((nb, nb)) < 0.10
    transform = Affine(30, 0, 500000, 0, -30, 2300000)
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8",
               "crs": "EPSG:32647", "transform": transform, "nodata": NODATA,
               "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256}
    paths = []
    # state per plot: years since last clearing
    since = phase.copy()
    rot = rot0.copy()
    for k in range(years):
        rot = np.maximum(3, rot0 - (k * 8) // max(1, years - 1))
        clear = since >= rot
        status = np.where(clear, 1, 2).astype(np.uint8)
        since = np.where(clear, 0, since + 1)
        status[forest] = 3
        noise = rng.random((nb, nb)) < 0.01  # a few classification errors
        status[noise] = rng.integers(1, 4, int(noise.sum()))
        band = np.kron(status, np.ones((8, 8), np.uint8))[:size, :size]
        flip = rng.random((size, size), dtype=np.float32) < 0.05
        band[flip] = rng.integers(1, 4, int(flip.sum()), dtype=np.uint8)
        band[: size // 10, : size // 10] = NODATA
        p = folder / f"landcover_{1991 + k}.tif"
        with rasterio.open(p, "w", **profile) as ds:
            ds.write(band, 1)
        paths.append(p)
    return paths


def step_plain(folder: Path) -> dict:
    import rasterio

    paths = sorted(folder.glob("landcover_*.tif"))
    t0, c0 = time.perf_counter(), time.process_time()
    total = None
    for p in paths:
        with rasterio.open(p) as ds:
            a = ds.read(1)
        total = a.astype(np.uint32) if total is None else total + a
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": secs, "cpu_seconds": cpu, "checksum": int(total.sum())}


def step_landuse(folder: Path, out: Path, use_dask: bool) -> dict:
    from landuse.fallow import fallow_raster

    paths = sorted(folder.glob("landcover_*.tif"))
    # compile / load the numba cache outside the timed section (a one-off per process)
    from landuse.fallow import fallow_metrics_array

    fallow_metrics_array(np.ones((len(paths), 2, 2), np.uint8))
    client = cluster = None
    if use_dask:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, memory_limit="4GiB")
        client = Client(cluster)
        client.run(lambda: fallow_metrics_array(np.ones((len(paths), 2, 2), np.uint8)) is None)
    t0, c0 = time.perf_counter(), time.process_time()
    fallow_raster(paths, classes=CLASSES, out_dir=out, use_dask=use_dask, overwrite=True)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"seconds": secs, "cpu_seconds": cpu}
    if client is not None:
        rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        out["worker_peak_rss_mb"] = max(rss.values())
        client.close()
        cluster.close()
    return out


def _child(argv: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", *argv]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"step {argv} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--keep", type=Path, default=None, help="reuse/keep the stack in DIR")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, folder = args.child[0], Path(args.child[1])
        if kind == "plain":
            out = step_plain(folder)
        else:
            out = step_landuse(folder, Path(args.child[2]), use_dask=kind == "dask")
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench_fallow_"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        stack = tmp / "stack"
        stack.mkdir(exist_ok=True)
        if len(list(stack.glob("landcover_*.tif"))) != args.years:
            t0 = time.perf_counter()
            generate(stack, args.size, args.years)
            print(f"generated {args.years} x {args.size}^2 rasters in "
                  f"{time.perf_counter() - t0:.1f} s")
        mb = sum(p.stat().st_size for p in stack.glob("*.tif")) / 2**20
        pixel_years = args.size * args.size * args.years
        plain = _child(["plain", str(stack)])
        lu = _child(["numpy", str(stack), str(tmp / "out_numpy")])
        ratio = lu["seconds"] / plain["seconds"]
        print(f"stack: {args.years} years x {args.size} x {args.size} cells, {mb:.0f} MB on disk")
        print(f"plain read + sum       {plain['seconds']:7.2f} s wall {plain['cpu_seconds']:7.2f} s "
              f"CPU  peak {plain['peak_rss_mb']:6.0f} MB")
        print(f"landuse fallow_raster  {lu['seconds']:7.2f} s wall {lu['cpu_seconds']:7.2f} s CPU  "
              f"peak {lu['peak_rss_mb']:6.0f} MB  {pixel_years / lu['seconds'] / 1e6:6.1f} "
              "M pixel-years/s")
        print(f"ratio landuse / plain pass = {ratio:.2f} wall (target <= 6), "
              f"{lu['cpu_seconds'] / plain['cpu_seconds']:.2f} CPU; peak memory "
              f"{'OK' if lu['peak_rss_mb'] < 1536 else 'OVER'} (< 1.5 GB)")
        if not args.no_dask:
            dk = _child(["dask", str(stack), str(tmp / "out_dask")])
            print(f"dask LocalCluster(2x1) {dk['seconds']:7.2f} s wall  client peak "
                  f"{dk['peak_rss_mb']:6.0f} MB  worker peak {dk['worker_peak_rss_mb']:6.0f} MB  "
                  f"{pixel_years / dk['seconds'] / 1e6:6.1f} M pixel-years/s  "
                  f"ratio {dk['seconds'] / plain['seconds']:.2f}")
            import rasterio

            for name in ("mean_fallow_years", "n_cycles", "fallow_trend_years_per_decade"):
                with rasterio.open(tmp / "out_numpy" / f"{name}.tif") as a, \
                        rasterio.open(tmp / "out_dask" / f"{name}.tif") as b:
                    same = np.array_equal(a.read(1), b.read(1), equal_nan=True)
                print(f"  dask == numpy for {name}: {same}")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
