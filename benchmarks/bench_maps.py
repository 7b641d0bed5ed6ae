"""Benchmark: offline interactive map of 10,000 parcels vs geopandas ``explore()``.

The parcels are the demo parcels tiled side by side (shifted east by the demo's
width) until there are 10,000, so shapes and vertex counts are realistic. Measured
once each (the machine is shared): export time and file size of
``landuse.maps.interactive_map`` + ``save_html`` (offline, Leaflet embedded) against
``GeoDataFrame.explore()`` + ``Map.save`` (which loads 11 resources from CDNs), and the
time until the landuse map is drawn in headless Chromium with the network disabled.

Run: ``.venv/bin/python benchmarks/bench_maps.py``
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import affinity

N_PARCELS = 10_000
CHROMIUM = "/usr/bin/chromium"


def tiled_parcels(n: int = N_PARCELS) -> gpd.GeoDataFrame:
    """The demo parcels repeated eastwards until there are *n*, with unique ids."""
    from landuse.datasets import load_demo

    base = load_demo().parcels
    x0, _, x1, _ = base.total_bounds
    width = x1 - x0 + 500.0
    copies = []
    k = 0
    while sum(len(c) for c in copies) < n:
        c = base.copy()
        c["geometry"] = [affinity.translate(g, xoff=k * width) for g in c.geometry]
        c["parcel_id"] = [f"{p}-{k}" for p in c["parcel_id"]]
        copies.append(c)
        k += 1
    out = gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=base.crs)
    return out.iloc[:n].reset_index(drop=True)


def time_to_draw(html: Path) -> tuple[float, float, int, list[str]]:
    """Seconds from navigation to the map being drawn (measured by the test driver, and by
    the page's own clock up to the end of the map script), features drawn, external requests."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})

            def route(r):
                if r.request.url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            t0 = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_selector("[data-landuse-ready]", timeout=60_000)
            # Wait for the next two animation frames: the canvas has been painted.
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            elapsed = time.perf_counter() - t0
            in_page = page.evaluate("landuse.readyAt") / 1000.0
            drawn = page.evaluate(
                "landuse.maps[0].layers.reduce((n, l) => n + l.group.getLayers().length, 0)")
        finally:
            browser.close()
    return elapsed, in_page, int(drawn), external


def main() -> None:
    from landuse.maps import interactive_map, save_html

    parcels = tiled_parcels()
    print(f"parcels: {len(parcels):,}, vertices: {parcels.geometry.count_coordinates().sum():,}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_maps_"))

    t0 = time.perf_counter()
    m = interactive_map({"parcels": parcels})
    ours = save_html(m, tmp / "landuse.html")
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    e = parcels.explore()
    e.save(str(tmp / "explore.html"))
    t_explore = time.perf_counter() - t0

    s_ours = ours.stat().st_size
    s_explore = os.path.getsize(tmp / "explore.html")
    print(f"{'':24}{'landuse (offline)':>20}{'explore()':>14}{'ratio':>9}")
    print(f"{'export time [s]':24}{t_ours:20.2f}{t_explore:14.2f}{t_ours / t_explore:9.2f}")
    print(f"{'file size [MB]':24}{s_ours / 1e6:20.2f}{s_explore / 1e6:14.2f}{s_ours / s_explore:9.2f}")
    if Path(CHROMIUM).exists():
        elapsed, in_page, drawn, external = time_to_draw(ours)
        print(f"headless Chromium, network disabled: {drawn:,} features drawn {elapsed:.2f} s after "
              f"navigation started (page clock at end of map script: {in_page:.2f} s; goal <= 2 s); "
              f"external requests: {len(external)}")
    else:
        print(f"{CHROMIUM} not found: time-to-draw not measured")


if __name__ == "__main__":
    main()
