"""Benchmark of landuse.check.topology against the plain geopandas way of doing the same.

Peers, measured in the same run on the same parcels:

* overlaps  vs ``geopandas.overlay(parcels, parcels, how="intersection")`` keeping
  pairs of different parcels with a positive area (the usual notebook recipe);
* adjacency vs ``geopandas.sjoin(parcels, parcels, predicate="intersects")`` and a
  row-by-row ``boundary.intersection(...).length`` (the usual notebook recipe).

Inputs: the bundled demo parcels (about 3,900) and a jittered grid of 10,000 parcels of
50 m x 50 m with small overlaps. Each function runs once (the machine is shared).
Run: ``python benchmarks/bench_topology.py``.
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from landuse import io

from landuse.check import topology
from landuse.datasets import get_path


def jittered_grid(n: int = 100, size: float = 50.0, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    geoms, ids = [], []
    for j in range(n):
        for i in range(n):
            x0, y0 = 500_000 + i * size, 2_290_000 + j * size
            geoms.append(box(x0, y0, x0 + size + rng.uniform(-0.3, 0.3), y0 + size))
            ids.append(f"P{j:03d}-{i:03d}")
    return gpd.GeoDataFrame({"parcel_id": ids}, geometry=geoms, crs="EPSG:32647")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def peer_overlaps(p: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    a = p[["parcel_id", "geometry"]].rename(columns={"parcel_id": "a"})
    b = p[["parcel_id", "geometry"]].rename(columns={"parcel_id": "b"})
    out = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    out = out[(out["a"] < out["b"]) & (out.area >= 0.01)]
    return out


def peer_adjacency(p: gpd.GeoDataFrame):
    j = gpd.sjoin(
        p[["parcel_id", "geometry"]], p[["parcel_id", "geometry"]], predicate="intersects"
    )
    j = j[j["parcel_id_left"] < j["parcel_id_right"]]
    right = p.geometry.to_numpy()[j["index_right"].to_numpy()]
    shared = [
        a.boundary.intersection(b.boundary).length for a, b in zip(j.geometry, right, strict=True)
    ]
    j = j.assign(shared_m=shared)
    return j[j["shared_m"] >= 1.0]


def main() -> None:
    cases = {
        "demo parcels": io.read_parcels(get_path("parcels")),
        "jittered 100x100 grid": jittered_grid(),
    }
    print("landuse.check.topology benchmark (one run each; seconds)")
    for name, p in cases.items():
        print(f"\n{name}: {len(p)} parcels")
        ours, t_ours = timed(lambda p=p: topology.overlaps(p))
        peer, t_peer = timed(lambda p=p: peer_overlaps(p))
        print(
            f"  overlaps   landuse {t_ours:7.2f}  geopandas.overlay {t_peer:7.2f}  "
            f"ratio {t_peer / t_ours:6.1f}x  (pairs {len(ours)} vs {len(peer)})"
        )
        ours, t_ours = timed(lambda p=p: topology.adjacency(p))
        peer, t_peer = timed(lambda p=p: peer_adjacency(p))
        print(
            f"  adjacency  landuse {t_ours:7.2f}  sjoin + row loop  {t_peer:7.2f}  "
            f"ratio {t_peer / t_ours:6.1f}x  (pairs {len(ours)} vs {len(peer)})"
        )
        _, t = timed(lambda p=p: topology.neighbours(p))
        print(f"  neighbours landuse {t:7.2f}")
        if "village_id" in p.columns:
            v = io.read_villages(get_path("villages"))
            _, t = timed(lambda p=p, v=v: topology.gaps(p, v))
            print(f"  gaps       landuse {t:7.2f}")
            _, t = timed(lambda p=p, v=v: topology.outside_village(p, v))
            print(f"  outside    landuse {t:7.2f}")


if __name__ == "__main__":
    main()
