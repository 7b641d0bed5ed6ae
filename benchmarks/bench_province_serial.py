"""The serial district steps of a province plan, step by step (issue 20).

``landuse run`` does these steps in the command's own process, one after the other,
before and after the villages run on the workers: read and check the inputs
(``load_inputs``), streams on the whole DEM, per-parcel terrain statistics
(``parcel_metrics``), the split into per-village bundles (``village_inputs``),
irrigation scheme sizing, then the GeoPackage, the tables (CSV and ``households.xlsx``),
the province's interactive map and the reports (village pages and the district page).
This script calls the same library functions on a province made by
``tools/make_province.py`` and prints, per step, the CPU seconds of this process, the
wall seconds and the peak resident memory so far. On a shared machine the CPU seconds
are the stable figure.

The villages are not run (zoning, allocation and fallow are the workers' part, see
``bench_province.py``): the output steps get a **stand-in** result per village, made
from its inputs, with the layers and tables a real run gives their sizes from (the
village polygon as its zone, every parcel allocated to its present holder, the
village's households as the allocation table, with entitled and allocated area per land
type, so the reports list the households that got nothing as real villages do). Peer: none (the goal is the issue's
15-minute budget for the whole province on 2 cores; these steps were estimated at about
12 minutes for 540 villages before this script measured them).

Usage::

    .venv/bin/python benchmarks/bench_province_serial.py --data /work/prov/p540
    .venv/bin/python benchmarks/bench_province_serial.py --data /tmp/p6 --json serial.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Steps:
    """Per-step CPU seconds (this process, all threads), wall seconds and peak RSS so far."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @contextlib.contextmanager
    def step(self, name: str):
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            row = {"step": name, "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - t0,
                   "peak_rss_mb": _rss_mb()}
            self.rows.append(row)
            print(f"{name:38s} cpu {row['cpu_s']:8.1f} s  wall {row['wall_s']:8.1f} s  "
                  f"peak RSS {row['peak_rss_mb']:7.0f} MB", flush=True)


def stand_in_results(inputs, bundles):
    """One ``VillageResult`` per bundle, made from its inputs (no zoning, allocation or fallow run)."""
    import geopandas as gpd
    import pandas as pd

    from landuse.plan._results import VillageProducts, VillageResult

    out = []
    for vi in bundles:
        v = vi.village
        area_ha = float(v.geometry.area.sum()) / 10_000.0
        zones = gpd.GeoDataFrame({"village_id": [vi.village_id], "zone": ["ROTATIONAL_UPLAND"],
                                  "area_ha": [area_ha]}, geometry=list(v.geometry), crs=v.crs)
        zone_table = pd.DataFrame({"village_id": [vi.village_id], "zone": ["ROTATIONAL_UPLAND"],
                                   "area_ha": [area_ha]})
        p = vi.parcels
        held = p[p["household_id"].notna()] if "household_id" in p.columns else p.iloc[0:0]
        alloc = gpd.GeoDataFrame({
            "parcel_id": held["parcel_id"].to_numpy(), "village_id": vi.village_id,
            "household_id": held["household_id"].to_numpy(), "land_type": held["land_type"].to_numpy(),
            "area_ha": held.geometry.area.to_numpy() / 10_000.0,
            "certificate_no": [f"{vi.village_id}-{i + 1:05d}" for i in range(len(held))],
        }, geometry=held.geometry.to_numpy(), crs=p.crs)
        hh = vi.households
        per_hh = alloc.groupby("household_id")["area_ha"].agg(["sum", "size"])
        table = pd.DataFrame({"household_id": hh["household_id"].to_numpy(), "village_id": vi.village_id})
        # entitled and allocated area per land type, as the allocation's table has them: each
        # household is entitled to what it holds, and to 0.5 ha of each type it holds none of
        # (so the reports list households that got nothing, as real villages have)
        by_type = alloc.groupby(["household_id", "land_type"])["area_ha"].sum()
        for t in sorted(alloc["land_type"].dropna().unique()):
            got = table["household_id"].map(by_type.xs(t, level="land_type")).fillna(0.0).round(4)
            table[f"entitled_ha_{t}"] = got.where(got > 0, 0.5)
            table[f"allocated_ha_{t}"] = got
        table["entitled_ha"] = table.filter(like="entitled_ha_").sum(axis=1)
        table["allocated_ha"] = table["household_id"].map(per_hh["sum"]).fillna(0.0).round(4)
        table["n_plots"] = table["household_id"].map(per_hh["size"]).fillna(0).astype(int)
        res = VillageResult(vi.village_id, products=VillageProducts(
            zones=zones, zone_table=zone_table, allocations=alloc, allocation_households=table,
            charts={"lorenz": "", "fallow": "", "fallow_survival": ""}))
        res.figures["zones_ha"] = {"ROTATIONAL_UPLAND": round(area_ha, 2)}
        out.append(res)
    return out


def run(data: Path, out: Path, *, only: str | None) -> list[dict]:
    from landuse import parcels as lparcels
    from landuse.plan import _folder, _products, _report, _run
    from landuse.plan.planfile import load_plan
    from landuse.terrain import hydrology

    s = Steps()
    plan = load_plan(data / "plan.toml")
    wanted: set[str] = set(plan.options.villages)
    with s.step("check + read inputs (load_inputs)"):
        inputs = _run.load_inputs(plan)
        pre_failed = _run._drop_failed_villages(inputs, wanted)
    print(f"  {len(inputs.villages)} villages, {len(inputs.parcels)} parcels, {len(inputs.households)} households, "
          f"DEM {inputs.dem.shape[0]} x {inputs.dem.shape[1]}, {len(pre_failed)} failed before planning", flush=True)
    with s.step("terrain: streams"):
        streams = hydrology.streams(inputs.dem, min_area_km2=plan.options.stream_min_area_km2)
    with s.step("terrain: parcel statistics"):
        ok_villages = inputs.villages[~inputs.villages["village_id"].isin(set(inputs.failures))]
        metrics = lparcels.parcel_metrics(inputs.parcels, inputs.dem, streams=streams, villages=ok_villages)
    with s.step("split into villages (village_inputs)"):
        bundles = _run.village_inputs(inputs, plan, streams=streams, metrics=metrics)
    with s.step("irrigation (size every scheme)"):
        schemes, irr_failed = _run.irrigation(inputs, parcels=inputs.parcels, wanted=wanted)
    print(f"  {len(bundles)} bundles, {len(schemes)} schemes sized, {len(irr_failed)} failed", flush=True)
    results = sorted(stand_in_results(inputs, bundles) + pre_failed, key=lambda r: str(r.village_id))
    status = {r.village_id: "ok" if r.ok else str(r.error) for r in results}
    status.update(irr_failed)
    ok = [r for r in results if r.ok]
    with s.step("layers (the villages' layers joined, once)"):
        layers, parcels, villages = _layers(inputs, streams, metrics, ok, schemes)
    keep = set(villages["village_id"])
    out.mkdir(parents=True, exist_ok=True)
    with s.step("GeoPackage"):
        _products._write_geopackage(out / "plan.gpkg", layers, schemes=schemes)
    with s.step("tables (CSV + households.xlsx)"):
        _products._write_tables(out / "tables", plan, inputs, ok, keep, parcels, schemes)
    with s.step("map (map.html)"):
        _products._write_map(out / "map.html", layers, inputs.dem, title=plan.name, households=inputs.households)
    with s.step("reports (villages + district)"):
        summary = _products._summary(plan, results, schemes, status)
        _report.write_reports(out / "reports", plan=plan, results=results, schemes=schemes, status=status,
                              villages=villages, summary=summary)
    with s.step("manifest (this folder's files)"):
        files = _folder.manifest(out, inputs={}, plan={})["files"]
    size_mb = sum(f["size"] for f in files) / 2**20
    print(f"  manifest: {len(files)} files, {size_mb:.0f} MB (a real run adds the certificates and household "
          f"sheets: 357,166 files at 540 villages)", flush=True)
    total = {"step": "total", **{k: sum(r[k] for r in s.rows) for k in ("cpu_s", "wall_s")},
             "peak_rss_mb": max(r["peak_rss_mb"] for r in s.rows)}
    print(f"{'total':38s} cpu {total['cpu_s']:8.1f} s  wall {total['wall_s']:8.1f} s  "
          f"peak RSS {total['peak_rss_mb']:7.0f} MB", flush=True)
    return [*s.rows, total]


def _layers(inputs, streams, metrics, ok, schemes):
    """The GeoPackage's and map's layers as ``write_all`` builds them for every village."""
    from landuse.plan._products import _concat

    villages = inputs.villages.sort_values("village_id").reset_index(drop=True)
    vids = set(villages["village_id"])
    parcels = inputs.parcels[inputs.parcels["village_id"].isin(vids)]
    extra = [c for c in metrics.columns if c not in parcels.columns and c != "geometry"]
    parcels = parcels.join(metrics[extra]).sort_values("parcel_id").reset_index(drop=True)
    layers = {"villages": villages, "parcels": parcels}
    if streams is not None and len(streams):
        layers["streams"] = streams
    for key, name in (("zones", "zones"), ("allocations", "allocations")):
        g = _concat([getattr(r.products, key) for r in ok])
        if g is not None:
            layers[name] = g
    scheme_layers = [s.layer for s in schemes if getattr(s, "layer", None) is not None]
    if scheme_layers:
        layers["schemes"] = _concat(scheme_layers)
    return layers, parcels, villages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="a province made by tools/make_province.py")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one)")
    ap.add_argument("--json", type=Path, default=None, help="write the step table here")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-serial-") as tmp:
        rows = run(args.data, args.out or Path(tmp), only=None)
    print(f"load average at end: {os.getloadavg()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
