"""Benchmark: slope of a 4000 x 4000 DEM, file to file, landuse vs gdaldem.

A synthetic float32 DEM (16 million cells, 20 m, EPSG:32647, uncompressed GeoTIFF) is
written to a temporary folder; then, in one run:

* ``gdaldem slope in.tif out.tif`` (GDAL's default output: uncompressed, striped
  float32 GeoTIFF, nodata -9999);
* ``gdaldem slope -co TILED=YES`` (uncompressed, tiled 256 x 256: the format landuse
  writes);
* ``landuse.terrain.slope_file(in, out)`` (uncompressed, tiled 256 x 256 float32,
  nodata NaN, windows of 512 rows with a one-row overlap);
* naive float64 numpy Horn slope (read the whole file, ``np.pad``-free slicing,
  ``arctan(hypot(...))``, write with rasterio) for reference.

Each is run once after a warm-up on a small DEM. Target (issue 3): landuse / gdaldem <= 1.0.

Then, cold start (issue 20): the whole ``landuse slope DEM OUT`` process against the
whole ``gdaldem slope DEM OUT`` process, alternating A B A B ... (``--runs`` pairs after
one warm-up pair), each timed from outside (wall clock and the children's CPU time from
``getrusage``): imports and any kernel loading count. The ratio is taken pair by pair and
its median printed. Target: landuse / gdaldem <= 1.0. The package's bytecode is compiled
first (as ``pip install`` does), so a run measures what an installed user gets.

Run: ``.venv/bin/python benchmarks/bench_terrain.py [--runs 7] [--cold-only]``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_dem(path: Path, n: int) -> None:
    import rasterio
    from affine import Affine

    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    z = (600 + 250 * np.sin(x / 350.0) * np.cos(y / 420.0) + 0.02 * x
         + 40 * np.sin(x / 37.0 + y / 53.0))
    t = Affine(20, 0, 500_000.0, 0, -20, 2_300_000.0 + n * 20)
    with rasterio.open(path, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32",
                       crs="EPSG:32647", transform=t, nodata=-9999.0, tiled=True, blockxsize=256,
                       blockysize=256) as dst:
        dst.write(z.astype(np.float32), 1)


def naive_numpy(src: Path, dst: Path) -> None:
    import rasterio

    with rasterio.open(src) as ds:
        z = ds.read(1).astype(np.float64)
        prof = ds.profile
        res_x, res_y = ds.res
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    p = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * res_x)
    q = ((a + 2 * b + c) - (g + 2 * h + i)) / (8 * res_y)
    out = np.full(z.shape, np.nan, dtype=np.float64)
    out[1:-1, 1:-1] = np.degrees(np.arctan(np.hypot(p, q)))
    prof.update(dtype="float32", nodata=np.nan, compress=None)
    with rasterio.open(dst, "w", **prof) as o:
        o.write(out.astype(np.float32), 1)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _whole_process(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys, children) seconds of one run of *cmd*."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cold_start(dem: Path, tmp: Path, runs: int) -> None:
    """``landuse slope`` vs ``gdaldem slope``, whole processes, alternating."""
    import landuse

    gdaldem = shutil.which("gdaldem")
    if not gdaldem:
        print("gdaldem not installed: no cold-start ratio (install gdal-bin)")
        return
    compileall.compile_dir(Path(landuse.__file__).parent, quiet=1)
    script = Path(sys.executable).with_name("landuse")
    lu_cmd = [str(script)] if script.exists() else [sys.executable, "-m", "landuse.cli.main"]
    out_l, out_g = tmp / "cold_l.tif", tmp / "cold_g.tif"
    rows = []
    for k in range(runs + 1):  # the first pair warms the page cache, not counted
        for f in (out_l, out_g):
            f.unlink(missing_ok=True)
        a = _whole_process([*lu_cmd, "slope", str(dem), str(out_l)])
        b = _whole_process([gdaldem, "slope", "-q", str(dem), str(out_g)])
        if k:
            rows.append((a, b))
    med = statistics.median
    print(f"cold start, whole process, {runs} alternating pairs (median [min-max]):")
    for name, i in (("landuse slope", 0), ("gdaldem slope", 1)):
        walls = [r[i][0] for r in rows]
        cpus = [r[i][1] for r in rows]
        print(f"  {name:<14}: wall {med(walls):5.2f} s [{min(walls):.2f}-{max(walls):.2f}], "
              f"cpu {med(cpus):5.2f} s")
    wall_ratio = [a[0] / b[0] for a, b in rows]
    cpu_ratio = [a[1] / b[1] for a, b in rows]
    print(f"  ratio landuse / gdaldem, pair by pair: wall {med(wall_ratio):.2f} "
          f"[{min(wall_ratio):.2f}-{max(wall_ratio):.2f}], cpu {med(cpu_ratio):.2f}"
          "  (target <= 1.0)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="counted cold-start pairs")
    ap.add_argument("--cold-only", action="store_true", help="only the whole-process pairing")
    args = ap.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    n = 4000
    if args.cold_only:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            write_dem(tmp / "dem.tif", n)
            print(f"DEM {n} x {n}, float32, uncompressed tiled GeoTIFF")
            cold_start(tmp / "dem.tif", tmp, args.runs)
        return
    from landuse import terrain

    print(f"machine: {platform.machine()}, {platform.system()}, "
          f"python {platform.python_version()}")
    gdaldem = shutil.which("gdaldem")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, big = tmp / "small.tif", tmp / "dem.tif"
        write_dem(small, 300)
        write_dem(big, n)
        print(f"DEM {n} x {n} = {n * n / 1e6:.0f} M cells, float32, uncompressed tiled GeoTIFF")
        # warm-up: GDAL drivers, page cache
        terrain.slope_file(small, tmp / "w1.tif")
        if gdaldem:
            subprocess.run([gdaldem, "slope", "-q", str(small), str(tmp / "w2.tif")], check=True)

        results = {}
        if gdaldem:
            results["gdaldem (striped, default)"] = timed(lambda: subprocess.run(
                [gdaldem, "slope", "-q", str(big), str(tmp / "g1.tif")], check=True))
            results["gdaldem -co TILED=YES"] = timed(lambda: subprocess.run(
                [gdaldem, "slope", "-q", "-co", "TILED=YES", str(big), str(tmp / "g2.tif")],
                check=True))
        results["landuse slope_file (tiled)"] = timed(
            lambda: terrain.slope_file(big, tmp / "l.tif"))
        results["naive float64 numpy"] = timed(lambda: naive_numpy(big, tmp / "n.tif"))

        for name, sec in results.items():
            print(f"{name:<30}: {sec:6.2f} s")
        if gdaldem:
            import rasterio

            with rasterio.open(tmp / "g1.tif") as a, rasterio.open(tmp / "l.tif") as b:
                ga = a.read(1, masked=True).filled(np.nan)
                lb = b.read(1)
            print(f"max |landuse - gdaldem| = {np.nanmax(np.abs(ga - lb)):.2e} degrees")
            lu = results["landuse slope_file (tiled)"]
            g_default = results["gdaldem (striped, default)"]
            print(f"ratio landuse / gdaldem (default)     = {lu / g_default:.2f}"
                  "  (target <= 1.0)")
            g_tiled = results["gdaldem -co TILED=YES"]
            print(f"ratio landuse / gdaldem (tiled, same) = {lu / g_tiled:.2f}")
        else:
            print("gdaldem not installed: no ratio (install gdal-bin)")
        ratio = results["naive float64 numpy"] / results["landuse slope_file (tiled)"]
        print(f"ratio naive numpy / landuse = {ratio:.1f}")
        cold_start(big, tmp, args.runs)


if __name__ == "__main__":
    main()
