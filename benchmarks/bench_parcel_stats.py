"""Benchmark: exact parcel statistics of landuse vs exactextract and rasterstats.

20,000 parcels (rotated rectangles of 0.25-2.3 ha, seeded) over a 4000 x 4000 DEM
(16 million cells, 10 m, EPSG:32647). Measured in one run:

* ``landuse.parcels.parcel_metrics(parcels, dem)``: slope from the DEM (Horn), mean /
  median / p90 / max slope, shares above 8, 30 and 60 %, mean elevation, area,
  perimeter, compactness.
* ``exactextract.exact_extract`` computing the same statistics from rasters that are
  *already prepared* in memory (slope in degrees, the three 0/1 threshold rasters, the
  elevation): the same work minus slope and geometry metrics, so the ratio is strict.
* ``rasterstats.zonal_stats`` (whole-cell, centre-in-polygon statistics: mean, median,
  percentile_90, max of slope; mean of elevation and of each threshold raster) on a
  2,000-parcel subset, scaled by 10.

Targets (issue 3): landuse / exactextract <= 1.2; rasterstats / landuse >= 5.

Run: ``.venv/bin/python benchmarks/bench_parcel_stats.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import platform
import time

import numpy as np


def make_dem(n: int = 4000, cell: float = 10.0):
    from affine import Affine

    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    z = (600 + 250 * np.sin(x / 350.0) * np.cos(y / 420.0) + 0.02 * x
         + 40 * np.sin(x / 37.0 + y / 53.0))
    t = Affine(cell, 0, 500_000.0, 0, -cell, 2_300_000.0 + n * cell)
    return z.astype(np.float32), t


def make_parcels(n_parcels: int, t, n: int, seed: int = 0):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    extent = n * t.a
    cx = t.c + rng.uniform(200, extent - 200, n_parcels)
    cy = t.f - rng.uniform(200, extent - 200, n_parcels)
    w = rng.uniform(50, 150, n_parcels)
    h = rng.uniform(50, 150, n_parcels)
    ang = rng.uniform(0, np.pi, n_parcels)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    xs = corners[None, :, 0] * w[:, None]
    ys = corners[None, :, 1] * h[:, None]
    rx = cx[:, None] + xs * np.cos(ang)[:, None] - ys * np.sin(ang)[:, None]
    ry = cy[:, None] + xs * np.sin(ang)[:, None] + ys * np.cos(ang)[:, None]
    rings = shapely.linearrings(np.stack([rx, ry], axis=-1))
    geoms = shapely.polygons(rings)
    return gpd.GeoDataFrame({"parcel_id": [f"P{i:05d}" for i in range(n_parcels)]},
                            geometry=geoms, crs="EPSG:32647")


def main() -> None:
    from exactextract import exact_extract
    from exactextract.operation import Operation
    from exactextract.raster import NumPyRasterSource

    from landuse import terrain
    from landuse.parcels import parcel_metrics
    from landuse.raster import Raster

    n = 4000
    z, t = make_dem(n)
    crs = "EPSG:32647"
    dem = Raster(z, t, crs)
    parcels = make_parcels(20_000, t, n)
    print(f"machine: {platform.machine()}, {platform.system()}, "
          f"python {platform.python_version()}")
    print(f"DEM {n} x {n} = {n * n / 1e6:.0f} M cells; {len(parcels)} parcels")

    # warm-up (numba compile is cached on disk; exactextract import)
    parcel_metrics(parcels.iloc[:10], dem)

    t0 = time.perf_counter()
    m = parcel_metrics(parcels, dem)
    t_lu = time.perf_counter() - t0

    # exactextract on prepared rasters (slope etc. computed outside the timing)
    slope_deg = terrain.slope(dem, compute_edges=True).data
    slope_pct = terrain.slope(dem, units="percent", compute_edges=True).data
    inds = [(slope_pct > np.float32(th)).astype(np.float32) for th in (8, 30, 60)]
    left, bottom, right, top = dem.bounds
    wkt = parcels.crs.to_wkt()

    def src(a, name):
        return NumPyRasterSource(a, left, bottom, right, top, name=name, srs_wkt=wkt)

    s_slope, s_elev = src(slope_deg, "slope"), src(z, "elev")
    s_inds = [src(a, f"i{k}") for k, a in enumerate(inds)]
    ops = [Operation("mean", "slope_mean", s_slope), Operation("median", "slope_median", s_slope),
           Operation("quantile", "p", s_slope, options={"q": 0.9}),
           Operation("max", "slope_max", s_slope), Operation("count", "c", s_slope),
           Operation("mean", "elev_mean", s_elev), Operation("count", "ce", s_elev)]
    ops += [Operation("mean", f"share{k}", s) for k, s in enumerate(s_inds)]
    vec = parcels[["geometry"]].copy()
    t0 = time.perf_counter()
    ee = exact_extract(None, vec, ops, output="pandas")
    t_ee = time.perf_counter() - t0
    assert np.allclose(ee["slope_mean"].to_numpy(), m["slope_mean_deg"].to_numpy(), rtol=1e-6)
    assert np.allclose(ee["share0"].to_numpy(), m["share_slope_gt_8pct"].to_numpy(), rtol=1e-6)

    # rasterstats on a 2,000-parcel subset, scaled by 10
    from rasterstats import zonal_stats

    sub = parcels.iloc[:2000]
    t0 = time.perf_counter()
    zonal_stats(sub, slope_deg, affine=t,
                stats=["mean", "median", "percentile_90", "max", "count"],
                nodata=np.nan)
    zonal_stats(sub, z, affine=t, stats=["mean"], nodata=np.nan)
    for a in inds:
        zonal_stats(sub, a, affine=t, stats=["mean"], nodata=np.nan)
    t_rs = (time.perf_counter() - t0) * (len(parcels) / len(sub))

    print(f"landuse parcel_metrics (incl. slope) : {t_lu:7.2f} s")
    print(f"exactextract (prepared rasters)      : {t_ee:7.2f} s")
    print(f"rasterstats (2,000 parcels x 10)     : {t_rs:7.2f} s")
    print(f"ratio landuse / exactextract = {t_lu / t_ee:.2f}  (target <= 1.2)")
    print(f"ratio rasterstats / landuse  = {t_rs / t_lu:.1f}  (target >= 5)")


if __name__ == "__main__":
    main()
