"""Benchmark: village zoning time per km² on the demo and on a 50 km² synthetic territory.

Target (issue 4): zoning the whole demo (7 villages) takes well under 10 s. The script
prints, for each case, the time of stream derivation (``landuse.terrain.hydrology.streams``),
of the zoning itself (``landuse.zoning.zone_villages`` with the given streams) and of the
whole chain, in seconds and seconds per km² of village territory.

Peer, measured in the same run: GDAL's sieve filter (``rasterio.features.sieve``, the
usual way to impose a minimum mapping unit on a classified raster) on the same zone
grid, against ``landuse``'s minimum-mapping-unit merge (longest shared border, rule
priority on ties). The ratio is printed.

Run once::

    .venv/bin/python benchmarks/bench_zoning.py
"""

from __future__ import annotations

import time

import numpy as np


_CPU: dict[str, float] = {}


def _timed(fn, *args, **kwargs):
    """Run *fn*; return (result, wall seconds); the process CPU seconds go to _CPU['last']."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    _CPU["last"] = time.process_time() - c0
    return out, time.perf_counter() - t0


def synthetic_territory(area_km2: float = 50.0, cell_m: float = 20.0, seed: int = 7):
    """A hilly 50 km² village territory: boundary, DEM (multi-scale noise) and canopy cover."""
    import geopandas as gpd
    from affine import Affine
    from scipy import ndimage
    from shapely.geometry import Point

    from landuse.raster import Raster

    rng = np.random.default_rng(seed)
    radius = np.sqrt(area_km2 * 1e6 / np.pi)
    n = int(np.ceil(2 * radius / cell_m)) + 20
    z = np.zeros((n, n))
    for scale, amp in ((48, 1.0), (16, 0.5), (6, 0.2)):
        layer = ndimage.gaussian_filter(rng.normal(size=(n, n)), scale)
        z += layer / layer.std() * amp
    z = 1000 + (z - z.mean()) / z.std() * 160  # Oudomxay-like: median slope ~ 30 %
    x0, y0 = 700_000.0, 2_300_000.0
    t = Affine(cell_m, 0, x0, 0, -cell_m, y0 + n * cell_m)
    centre = Point(x0 + n * cell_m / 2, y0 + n * cell_m / 2)
    village = gpd.GeoDataFrame({"village_id": ["SYN"]},
                               geometry=[centre.buffer(radius, quad_segs=64)], crs="EPSG:32647")
    cover = ndimage.gaussian_filter(rng.normal(size=(n, n)), 10)
    cover = np.clip(50 + cover / cover.std() * 40, 0, 100)  # canopy cover [%], about half forest
    return village, Raster(z.astype("float32"), t, "EPSG:32647"), Raster(cover, t, "EPSG:32647")


def run_case(name: str, villages, dem, forest=None) -> dict:
    from rasterio import features

    from landuse import zoning

    import landuse.zoning._grid


    from landuse.terrain import hydrology
    km2 = float(villages.area.sum()) / 1e6
    streams, t_streams = _timed(hydrology.streams, dem)
    res, t_zone = _timed(zoning.zone_villages, villages, dem, streams=streams, forest=forest)
    c_zone = _CPU["last"]
    _, t_total = _timed(zoning.zone_villages, villages, dem, forest=forest)  # streams derived
    c_total = _CPU["last"]

    # peer: GDAL sieve vs landuse MMU merge, on the same zone grid
    grid = res.zone_raster.data.astype(np.int32)
    region = grid > 0
    cells = 0.5e4 / (dem.res[0] * dem.res[1])
    priority = {c: i for i, c in enumerate(sorted(np.unique(grid[region])))}
    _, t_sieve = _timed(features.sieve, grid, size=int(np.ceil(cells)), mask=region,
                        connectivity=4)
    _, t_merge = _timed(zoning._grid._merge_small_patches, grid, region, cells, priority)
    out = {"case": name, "km2": km2, "villages": len(villages), "zones": len(res.zones),
           "streams_s": t_streams, "zoning_s": t_zone, "total_s": t_total,
           "zoning_s_per_km2": t_zone / km2, "total_s_per_km2": t_total / km2,
           "zoning_cpu_s": c_zone, "total_cpu_s": c_total,
           "mmu_merge_s": t_merge, "gdal_sieve_s": t_sieve}
    print(f"{name}: {len(villages)} villages, {km2:.1f} km², "
          f"{dem.shape[0]}x{dem.shape[1]} cells, "
          f"{len(res.zones)} zone polygons")
    print(f"  streams (hydrology)  {t_streams:7.2f} s")
    print(f"  zoning (given streams){t_zone:7.2f} s  = {1000 * t_zone / km2:6.1f} ms/km²"
          f"   (CPU {c_zone:.2f} s)")
    print(f"  whole chain          {t_total:7.2f} s  = {1000 * t_total / km2:6.1f} ms/km²"
          f"   (CPU {c_total:.2f} s)")
    print(f"  MMU merge {t_merge * 1000:.0f} ms vs GDAL sieve {t_sieve * 1000:.0f} ms "
          f"(ratio {t_merge / max(t_sieve, 1e-9):.2f})")
    return out


def main() -> None:
    from landuse import datasets, io, terrain

    # warm up numba kernels (cached on disk after the first run) so they are not timed
    _, dem_small, _ = synthetic_territory(area_km2=1.0)
    terrain.slope(dem_small, units="percent")

    if datasets.get_path("villages").exists():
        villages = io.read_villages(datasets.get_path("villages"))
        dem = io.read_raster(datasets.get_path("dem"))
        fpath = datasets.get_path("dem").with_name("forest.gpkg")
        forest = io.read_vector(fpath, what="forest") if fpath.exists() else None
        demo = run_case("demo (Oudomxay)", villages, dem, forest)
        verdict = "OK" if demo["total_s"] < 10 else "SLOW"
        print(f"  target: whole demo well under 10 s -> {demo['total_s']:.2f} s [{verdict}]")
    else:
        print("demo data not built; skipping the demo case")
    villages, dem, cover = synthetic_territory(area_km2=50.0)
    run_case("synthetic 50 km²", villages, dem, cover)


if __name__ == "__main__":
    main()
