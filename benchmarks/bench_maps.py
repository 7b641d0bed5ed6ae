"""Benchmark: offline interactive map of 10,000 parcels vs geopandas ``explore()``.

The parcels are the demo parcels tiled side by side (shifted east by the demo's
width) until there are 10,000, so shapes and vertex counts are realistic. Measured
once each (the machine is shared): export time and file size of
``landuse.maps.interactive_map`` + ``save_html`` (offline, Leaflet embedded) against
``GeoDataFrame.explore()`` + ``Map.save`` (which loads 11 resources from CDNs), and the
time until the landuse map is drawn in headless Chromium with the network disabled.

Province map (issue 20), ``--province [N]``: the demo parcels tiled to N (default
200,000) and exported twice, side by side in one run: as today's map draws small layers
(one Leaflet polygon per feature) and as a bulk layer (``landuse.maps._bulk``: packed data
block, one canvas, grid index). For each: file size, export time, time until drawn in
headless Chromium with every request aborted, the same with the CPU throttled 4x
(``Emulation.setCPUThrottlingRate``), and the in-page time of a search for a parcel id
(median of 5 ids). Goals: <= 10 MB, <= 2 s, <= 4 s throttled, search <= 100 ms.

Run: ``.venv/bin/python benchmarks/bench_maps.py [--province [N]] [--runs 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def draw_province(html: Path, *, throttle: float = 1.0, ids: list[str] = ()) -> dict:
    """Open *html* with every request aborted; seconds until drawn, search milliseconds."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r):
                if r.request.url == html.as_uri():
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            if throttle > 1:
                cdp = context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
            t0 = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load", timeout=300_000)
            page.wait_for_selector("[data-landuse-ready]", timeout=300_000)
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            elapsed = time.perf_counter() - t0
            drawn = page.evaluate("landuse.maps[0].layers.reduce((n, e) => n + (e.bulk ? e.drawn "
                                  ": e.group.getLayers().length), 0)")
            search_ms = [page.evaluate(
                "(q) => { const t = performance.now(); const hits = landuse.search("
                "landuse.maps[0].map, q); return hits.length ? performance.now() - t : -1; }", q)
                for q in ids]
        finally:
            browser.close()
    return {"seconds": elapsed, "drawn": int(drawn), "external": len(external),
            "errors": errors, "search_ms": statistics.median(search_ms) if search_ms else None,
            "search_missed": sum(ms < 0 for ms in search_ms)}


def province(n: int, runs: int) -> None:
    """Today's per-feature layer against the bulk layer, N parcels, side by side."""
    from landuse.maps import _bulk as _map_bulk
    from landuse.maps import interactive_map, save_html

    parcels = tiled_parcels(n)
    print(f"parcels: {len(parcels):,}, vertices: {parcels.geometry.count_coordinates().sum():,}")
    ids = parcels["parcel_id"].iloc[[7, n // 3, n // 2, (2 * n) // 3, n - 5]].tolist()
    tmp = Path(tempfile.mkdtemp(prefix="bench_province_map_"))
    options = {"per-feature Leaflet layers (today)": 10**12, "bulk layer (chosen)": None}
    files = {}
    for name, threshold in options.items():
        old = _map_bulk.BULK_MIN_FEATURES
        if threshold is not None:
            _map_bulk.BULK_MIN_FEATURES = threshold
        try:
            t0 = time.perf_counter()
            out = save_html(interactive_map({"parcels": parcels}), tmp / f"{len(files)}.html")
            files[name] = (out, time.perf_counter() - t0)
        finally:
            _map_bulk.BULK_MIN_FEATURES = old
    rows = {name: {"draw": [], "slow": [], "search": []} for name in files}
    for _ in range(runs):  # alternate the options, run by run
        for name, (out, _t) in files.items():
            r = draw_province(out, ids=ids)
            assert r["external"] == 0 and not r["errors"] and r["drawn"] == len(parcels), r
            assert r["search_missed"] == 0, r
            rows[name]["draw"].append(r["seconds"])
            rows[name]["search"].append(r["search_ms"])
            rows[name]["slow"].append(draw_province(out, throttle=4.0)["seconds"])
    med = statistics.median
    print(f"{len(parcels):,} parcels, {runs} run(s) alternating, medians [min-max]; "
          "0 external requests, every parcel drawn, in every run")
    print(f"{'':38}{'size MB':>9}{'export s':>10}{'drawn s':>18}{'4x CPU s':>18}{'search ms':>11}")
    for name, (out, t_export) in files.items():
        r = rows[name]
        print(f"{name:38}{out.stat().st_size / 1e6:9.1f}{t_export:10.1f}"
              f"{med(r['draw']):8.2f} [{min(r['draw']):.2f}-{max(r['draw']):.2f}]"
              f"{med(r['slow']):8.2f} [{min(r['slow']):.2f}-{max(r['slow']):.2f}]"
              f"{med(r['search']):11.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--province", nargs="?", type=int, const=200_000, default=None,
                    help="province map: N tiled parcels (default 200,000)")
    ap.add_argument("--runs", type=int, default=3, help="browser runs per option (--province)")
    args = ap.parse_args()
    if args.province:
        province(args.province, args.runs)
        return
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
