"""Household sheets: time per sheet (HTML + PDF, both written), against a 50 ms budget.

Run::

    python benchmarks/bench_household_sheets.py [--run-out OUT] [--n N]

With ``--run-out`` (the output folder of ``landuse demo``/``landuse run``) the sheets
are made from that run's allocations, household table and certificate register;
without it from the bundled demo data, the current holdings standing in for the
allocation. The font is prepared once per process (about 2 s, reported apart, as in
:mod:`bench_certificates`). The peer is the same map drawn by matplotlib into an SVG
(one figure reused, only the polygons replaced), the way the other products draw
theirs: its time per sheet is printed beside ours.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from landuse import datasets
from landuse.plan import _households as H

BUDGET_MS = 50.0


def _inputs(run_out: Path | None):
    hh = pd.read_csv(datasets.get_path("households"), dtype={"household_id": str, "village_id": str})
    if run_out is None:
        parcels = gpd.read_file(datasets.get_path("parcels"))
        villages = gpd.read_file(datasets.get_path("villages"))
        alloc = parcels[parcels["household_id"].notna()].assign(certificate_no=lambda d: d["parcel_id"])
        return hh, alloc, parcels, villages, None, None
    gpkg = run_out / "plan.gpkg"
    table = pd.read_csv(run_out / "tables" / "households.csv", dtype={"household_id": str, "village_id": str})
    extra = ["household_id", *[c for c in table.columns if c not in hh.columns]]
    hh = hh.merge(table[extra], on="household_id", how="left")
    reg_csv = run_out / "certificates" / "register.csv"
    reg = pd.read_csv(reg_csv, dtype=str, keep_default_na=False) if reg_csv.is_file() else None
    return (hh, gpd.read_file(gpkg, layer="allocations"), gpd.read_file(gpkg, layer="parcels"),
            gpd.read_file(gpkg, layer="villages"), reg, run_out / "certificates")


def _matplotlib_peer(sheets, drawings, n: int) -> float:
    """Seconds per sheet to draw the same map (own + grey parcels, boundary) into an SVG with matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    plt.rcParams["svg.hashsalt"] = "landuse"
    fig = plt.figure(figsize=(3.2, 3.2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    grey = PolyCollection([], facecolor="#e3e3e3", edgecolor="#9a9a9a", linewidths=0.5)
    own = PolyCollection([], facecolor="#f28e2b", edgecolor="#7a3b00", linewidths=1.0)
    ax.add_collection(grey)
    ax.add_collection(own)
    done = [s for s in sheets if s.plots][:n]
    t = time.perf_counter()
    for s in done:
        d = drawings[s.village_id]
        grey.set_verts([r for i in s.others for r in d._rings(d.geoms[i])])
        own.set_verts([r for i in s.own for r in d._rings(d.geoms[i])])
        x0, y0, side = s.frame
        ax.set_xlim(x0 - d.origin[0], x0 - d.origin[0] + side)
        ax.set_ylim(y0 - d.origin[1], y0 - d.origin[1] + side)
        fig.savefig(io.BytesIO(), format="svg", metadata={"Date": None})
    dt = (time.perf_counter() - t) / max(len(done), 1)
    plt.close(fig)
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-out", type=Path, default=None)
    ap.add_argument("--n", type=int, default=0, help="only the first N households (0: all)")
    args = ap.parse_args()
    hh, alloc, parcels, villages, reg, certs = _inputs(args.run_out)
    if args.n:
        hh = hh.head(args.n)
        alloc = alloc[alloc["household_id"].isin(hh["household_id"])]
    t = time.perf_counter()
    from landuse.certificates import pdf_document

    pdf_document()  # fonts prepared once per process
    t_font = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "households"
        t = time.perf_counter()
        c0 = os.times()
        H.write_household_sheets(out, hh, alloc, parcels=parcels, villages=villages, register=reg,
                                 certificates_dir=certs, date="20260115")
        c1 = os.times()
        total = time.perf_counter() - t
        cpu_user, cpu_sys = c1.user - c0.user, c1.system - c0.system
        files = [f for f in out.rglob("*") if f.is_file() and f.suffix in (".html", ".pdf")]
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        pdf_kb = [f.stat().st_size / 1024 for f in files if f.suffix == ".pdf"]
        html_kb = [f.stat().st_size / 1024 for f in files if f.suffix == ".html"]
    t = time.perf_counter()
    sheets, drawings = H.household_records(hh, alloc, parcels=parcels, villages=villages, register=reg,
                                           certificates_dir=certs)
    t_rec = time.perf_counter() - t
    t = time.process_time()
    for s in sheets:
        H.sheet_html(s, drawings.get(s.village_id))
    t_html = time.process_time() - t
    t = time.process_time()
    for s in sheets:
        H.sheet_pdf(s, drawings.get(s.village_id))
    t_pdf = time.process_time() - t
    n = len(sheets)
    per = 1000 * total / n
    peer = 1000 * _matplotlib_peer(sheets, drawings, min(n, 200))
    print(f"households: {n}  (files: {len(files)}, {size_mb:.1f} MB)")
    print(f"font preparation (once per process): {t_font:.2f} s")
    print(f"all sheets written (records + HTML + PDF + files): {total:.2f} s = {per:.1f} ms per sheet (wall)")
    print(f"  CPU: {1000 * (cpu_user + cpu_sys) / n:.1f} ms per sheet (user {1000 * cpu_user / n:.1f}, "
          f"system {1000 * cpu_sys / n:.1f}: the files' creation and renaming)")
    print(f"  records {1000 * t_rec / n:.1f} ms wall, HTML {1000 * t_html / n:.1f} ms CPU, PDF {1000 * t_pdf / n:.1f} ms "
          "CPU per sheet (in memory)")
    print(f"  sizes: PDF mean {statistics.mean(pdf_kb):.1f} KB (max {max(pdf_kb):.1f}), "
          f"HTML mean {statistics.mean(html_kb):.1f} KB (max {max(html_kb):.1f})")
    print(f"budget {BUDGET_MS:.0f} ms per sheet: ratio {per / BUDGET_MS:.2f} (target <= 1)")
    print(f"peer: the map alone with matplotlib (SVG, figure reused) {peer:.1f} ms per sheet; "
          f"our whole sheet / matplotlib's map = {per / peer:.2f}")
    print(f"57,000 households (the province) at this rate: {57000 * per / 1000 / 60:.1f} min on one core")


if __name__ == "__main__":
    main()
