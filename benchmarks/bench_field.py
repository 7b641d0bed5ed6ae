"""Benchmark of landuse.field: imports and public-display sheets (issue 19).

Run once (the machine is shared)::

    .venv/bin/python benchmarks/bench_field.py                 # both parts
    .venv/bin/python benchmarks/bench_field.py --import-only
    .venv/bin/python benchmarks/bench_field.py --villages 54   # a tenth of the sheets

Targets: import 100 boundary walks (GPX) and a 5,000-household KoboToolbox-style
export in <= 10 s; public-display sheets (A3) for the 540 villages of a province-sized
synthetic run in <= 10 minutes on 2 cores. The 540 villages are the demo's seven
villages (with their zones and parcels) tiled on a grid with offsets; zoning is run
once on the demo. The import is compared with the GDAL/OGR GPX driver (pyogrio)
only *reading* the same 100 files, the floor of any GPX import.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from field_samples import kobo_export, walk_points, write_gpx

from landuse.datasets import load_demo


def _tiles(n: int, demo) -> list[tuple[int, float, float]]:
    minx, miny, maxx, maxy = demo.villages.total_bounds
    w, h = maxx - minx + 2000, maxy - miny + 2000
    k = int(np.ceil(np.sqrt(n / len(demo.villages))))
    return [(t, (t % k) * w, (t // k) * h) for t in range(int(np.ceil(n / len(demo.villages))))]


def bench_import(tmp: Path, demo) -> None:
    import pyogrio

    from landuse.field import import_walks, read_survey

    paths = []
    for t, dx, dy in _tiles(100, demo):
        for k, r in enumerate(demo.villages.itertuples()):
            if len(paths) == 100:
                break
            g = shapely.affinity.translate(r.geometry, dx, dy)
            paths.append(write_gpx(walk_points(g, seed=t * 10 + k), demo.villages.crs,
                                   tmp / f"V{t:03d}{r.village_id}.gpx", name=f"{r.name_en} {t}"))
    export, _ = kobo_export(tmp / "export.xlsx", n_households=5000,
                            villages=tuple(p.stem for p in paths))
    n_pts = sum(p.read_text().count("<trkpt") for p in paths)
    t0 = time.perf_counter()
    for p in paths:
        pyogrio.read_dataframe(p, layer="track_points")
    t_ogr = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    res = import_walks(paths, crs=demo.villages.crs)
    t_walks, c_walks = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    hh = read_survey(export)
    t_survey, c_survey = time.perf_counter() - t0, time.process_time() - c0
    print(f"import: 100 walks ({n_pts:,} track points) {t_walks:.2f} s; pyogrio GPX read only {t_ogr:.2f} s "
          f"(ratio {t_walks / t_ogr:.1f}); 5,000-household export ({len(hh.households)} rows, "
          f"{int(hh.households.members.sum()):,} members) {t_survey:.2f} s; "
          f"total {t_walks + t_survey:.2f} s (target <= 10 s)")
    print(f"import CPU time: walks {c_walks:.2f} s, survey {c_survey:.2f} s, total {c_walks + c_survey:.2f} s "
          f"(load average {os.getloadavg()[0]:.1f})")
    assert len(res.villages) == 100


def _synthetic_province(n: int, demo, zones):
    vs, zs, ps, hs = [], [], [], []
    for t, dx, dy in _tiles(n, demo):
        suf = f"-{t:03d}"
        v = demo.villages.copy()
        v["geometry"] = v.geometry.translate(dx, dy)
        v["village_id"] = v["village_id"] + suf
        z = zones.copy()
        z["geometry"] = z.geometry.translate(dx, dy)
        z["village_id"] = z["village_id"] + suf
        p = demo.parcels.copy()
        p["geometry"] = p.geometry.translate(dx, dy)
        p["village_id"] = p["village_id"] + suf
        p["parcel_id"] = p["parcel_id"] + suf
        p["household_id"] = p["household_id"].where(p["household_id"].isna(), p["household_id"] + suf)
        h = demo.households.copy()
        h["household_id"] = h["household_id"] + suf
        h["village_id"] = h["village_id"] + suf
        vs.append(v), zs.append(z), ps.append(p), hs.append(h)
    cat = lambda xs: gpd.GeoDataFrame(pd.concat(xs, ignore_index=True), crs=demo.villages.crs)  # noqa: E731
    v = cat(vs).head(n)
    keep = set(v.village_id)
    z, p = cat(zs), cat(ps)
    return v, z[z.village_id.isin(keep)], p[p.village_id.isin(keep)], pd.concat(hs, ignore_index=True)


_STATE: dict = {}


def _init(v, z, p, h, out):
    _STATE.update(v=v, z=z, p=p, h=h, out=out)


def _render(ids):
    from landuse.field.sheets import public_display_sheet

    s = _STATE
    c0 = time.process_time()
    for vid in ids:
        public_display_sheet(vid, Path(s["out"]) / f"{vid}.pdf", villages=s["v"], zones=s["z"], parcels=s["p"],
                             households=s["h"], objection_from="2026-04-01")
    return len(ids), time.process_time() - c0


def bench_sheets(tmp: Path, demo, n: int, workers: int) -> None:
    from landuse.zoning import zone_villages

    t0 = time.perf_counter()
    zones = zone_villages(demo.villages, demo.dem).zones
    print(f"zoning of the demo (once, not counted): {time.perf_counter() - t0:.1f} s")
    v, z, p, h = _synthetic_province(n, demo, zones)
    out = tmp / "sheets"
    out.mkdir()
    ids = sorted(v.village_id)
    chunks = [ids[i::workers * 4] for i in range(workers * 4)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(v, z, p, h, str(out))) as ex:
        res = list(ex.map(_render, chunks))
    dt = time.perf_counter() - t0
    done, cpu = sum(r[0] for r in res), sum(r[1] for r in res)
    load = os.getloadavg()[0]
    size = sum(f.stat().st_size for f in out.glob("*.pdf"))
    print(f"sheets: {done} villages ({len(p):,} parcels, {len(h):,} households) on {workers} processes: "
          f"{dt:.1f} s = {dt / 60:.2f} min ({dt / done * workers:.2f} s per sheet per core), "
          f"{size / 1e6:.0f} MB; scaled to 540 villages: {dt * 540 / done / 60:.2f} min (target <= 10 min)")
    print(f"CPU time {cpu:.1f} s = {cpu / done:.2f} s per sheet; 540 sheets on 2 idle cores: "
          f"{cpu / done * 540 / 2 / 60:.2f} min (load average at the end {load:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--import-only", action="store_true")
    ap.add_argument("--sheets-only", action="store_true")
    ap.add_argument("--villages", type=int, default=540)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args()
    demo = load_demo()
    with tempfile.TemporaryDirectory() as d:
        if not a.sheets_only:
            (Path(d) / "imp").mkdir()
            bench_import(Path(d) / "imp", demo)
        if not a.import_only:
            bench_sheets(Path(d), demo, a.villages, a.workers)


if __name__ == "__main__":
    main()
