"""Benchmark of landuse.certificates: every certificate of the demo, and fpdf2 as the peer.

Target (issue 9): all certificates of the demo (about 720 households) in <= 60 s on
2 cores, each PDF <= 300 KB. Prints certificates per second and the size
distribution.

* Inputs: the bundled demo; the allocation is :func:`landuse.allocation.allocate`
  with its defaults (about 3,100 allocated parcels, one certificate each), or with
  ``--holdings`` the demo's current holdings of paddy, upland and permanent crops
  (no solver run).
* landuse: :func:`landuse.certificates.write_certificates` with 2 worker processes
  (and the register, neighbours, QR codes, embedded content) into a temporary
  folder; timed from the call to the written register.
* Peer: fpdf2 (``FPDF`` with ``set_text_shaping(True)`` and the same Noto Sans Lao
  regular and bold instances, given to it as ready static TTF files so that it does
  not instance the variable font per document) drawing the same texts at the same
  places, the same sketch polygons and QR modules, for a sample of certificates;
  per-certificate time compared.

Issue 14 adds signing and the district register: the same batch is issued and signed
(ECDSA P-256 signed QR record, district register GeoPackage created in a temporary
folder) and printed next to the unsigned baseline (target >= 200 certificates/s on 2
cores, signing and the register must not slow issuance down); then a sample of the
signed certificates is verified against the register (signature, embedded content vs
signed record, register state, the file's SHA-256 against the register's printed files;
no text extraction, no QR rendering: ``--verify-sample``, target >= 500 per second, one
process). The signed run follows the unsigned one in the same process, so the fonts
are prepared already (instancing the variable Noto Sans Lao takes about 4 s once per
process) and the CPU time includes the two worker processes' start.

Run: ``python benchmarks/bench_certificates.py [--holdings] [--workers 2] [--peer-sample 20]
[--verify-sample 500]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def demo_allocations(holdings: bool):
    from landuse.allocation import LAND_TYPE_CODES, allocate
    from landuse.datasets import load_demo

    demo = load_demo()
    if holdings:
        par = demo.parcels
        held = par[par["household_id"].notna() & par["land_type"].isin(["paddy", "upland", "permanent"])].copy()
        held = held.sort_values("parcel_id")
        rank = held.groupby(["village_id", "land_type"]).cumcount() + 1
        held["certificate_no"] = [f"{v}-{LAND_TYPE_CODES[t]}-{n:04d}"
                                  for v, t, n in zip(held["village_id"], held["land_type"], rank, strict=True)]
        return held, demo
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = allocate(demo.parcels, demo.households, villages=demo.villages, time_limit_s=60)
    return res.allocations, demo


def peer_fpdf2(recs, labels, fonts, n: int) -> float:
    """Seconds per certificate for fpdf2 drawing the same content."""
    import segno
    from fpdf import FPDF

    from landuse import certificates

    import landuse.certificates.issue

    import landuse.certificates._seal

    # record what landuse draws: texts (position, size, weight), paths and QR modules

    from landuse.certificates import _layout as _cert_layout

    from landuse.certificates import _digest

    from landuse.certificates import _pdf
    calls: list[tuple] = []

    class Recorder(_pdf.Page):
        def text(self, x, y, text, *, size, bold=False, align="left", width=None):
            calls.append(("text", x, y, text, size, bold, align, width))
            return super().text(x, y, text, size=size, bold=bold, align=align, width=width)

        def polygon(self, rings, *, style="S"):
            calls.append(("poly", rings))
            return super().polygon(rings, style=style)

    tmpdir = tempfile.TemporaryDirectory()
    tmp = Path(tmpdir.name)
    reg_ttf, bold_ttf = tmp / "lao-regular.ttf", tmp / "lao-bold.ttf"
    reg_ttf.write_bytes(fonts[0].data)
    bold_ttf.write_bytes(fonts[1].data)
    sample = recs[:n]
    scripts = []
    for rec in sample:
        calls.clear()
        doc = _pdf.Document(*fonts)
        doc.add_page = lambda doc=doc: doc.pages.append(Recorder(doc)) or doc.pages[-1]  # type: ignore[method-assign]
        payload = rec.get("qr") or _digest.qr_payload(rec["certificate_no"], rec["digest"])
        _cert_layout.draw(doc, rec, labels, certificates._seal._qr_matrix(payload))
        scripts.append((list(calls), payload))
    t0 = time.perf_counter()
    for script, payload in scripts:
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_creation_date(dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc))
        pdf.add_font("lao", "", str(reg_ttf))
        pdf.add_font("lao", "B", str(bold_ttf))
        pdf.set_text_shaping(True)
        pdf.set_auto_page_break(False)
        pdf.add_page()
        for c in script:
            if c[0] == "text":
                _, x, y, text, size, bold, align, width = c
                pdf.set_font("lao", "B" if bold else "", size)
                w = width if (align != "left" and width) else 0
                pdf.set_xy(x, y - size)
                pdf.cell(w, size * 1.2, text, align={"left": "L", "right": "R", "center": "C"}[align])
            else:
                for ring in c[1]:
                    if len(ring) > 2:
                        pdf.polygon(ring, style="D")
        qr = segno.make(payload, error="m", mask=certificates._seal.QR_MASK)
        for r, row in enumerate(qr.matrix):
            for col, v in enumerate(row):
                if v:
                    pdf.rect(400 + col * 3, 150 + r * 3, 3, 3, style="F")
        pdf.output()
    seconds = (time.perf_counter() - t0) / len(scripts)
    tmpdir.cleanup()
    return seconds


def render_only(alloc, demo, n: int, *, warm: int = 20, profile: bool = False, save: str | None = None) -> None:
    """CPU per signed certificate drawn in this process (no workers, no register, no files).

    Builds the signed records as ``write_certificates`` does (ECDSA key, no district
    register), draws *warm* certificates to fill the per-process caches, then times the
    next *n* (``time.process_time``); ``--profile`` prints cProfile's top functions,
    ``--save DIR`` writes each PDF's bytes (to compare two versions of the code byte for byte).
    """
    from cryptography.hazmat.primitives.asymmetric import ec

    from landuse import certificates

    signer = ec.derive_private_key(20_2026, ec.SECP256R1())  # a fixed key: the same bytes every run
    lab = certificates.load_labels()
    reg, ctx = certificates.issue._build(alloc, households=demo.households, villages=demo.villages,
                                         parcels=demo.parcels, issue_date="2026-01-15", validity_years=None,
                                         labels=lab, key=None, others=None)
    reg = certificates._seal._seal_register(reg, signer=signer, register=None, issue_date=dt.date(2026, 1, 15),
                                            key=None, actor="bench")
    recs = certificates.issue._records(reg, ctx)[: warm + n]
    fonts = certificates.issue._fonts()
    for rec in recs[:warm]:
        certificates.issue._render([rec], lab, fonts)
    timed = recs[warm:]
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.process_time()
    pdfs = [certificates.issue._render([rec], lab, fonts) for rec in timed]
    cpu = time.process_time() - t0
    if profile:
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    print(f"render only, one process: {len(timed)} signed certificates after {warm}: "
          f"{1000 * cpu / len(timed):.2f} ms CPU per certificate (load average {os.getloadavg()[0]:.1f})")
    if save:
        Path(save).mkdir(parents=True, exist_ok=True)
        for rec, data in zip(timed, pdfs, strict=True):
            (Path(save) / f"{rec['certificate_no']}.pdf").write_bytes(data)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--render-only", type=int, default=0, metavar="N",
                    help="only draw N signed certificates in this process (after 20) and print CPU per certificate")
    ap.add_argument("--profile", action="store_true", help="with --render-only: cProfile's top functions")
    ap.add_argument("--save", metavar="DIR", help="with --render-only: write the PDFs drawn into DIR")
    ap.add_argument("--holdings", action="store_true", help="use the demo holdings instead of running allocate")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--peer-sample", type=int, default=20)
    ap.add_argument("--verify-sample", type=int, default=500)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--no-streams", action="store_true",
                    help="sketches without streams (issue 18 draws the plan run's streams on them)")
    args = ap.parse_args()

    from landuse import certificates

    t0 = time.perf_counter()
    alloc, demo = demo_allocations(args.holdings)
    t_alloc = time.perf_counter() - t0
    print(f"allocation: {len(alloc)} certificates for {alloc['household_id'].nunique()} households "
          f"({'holdings' if args.holdings else 'allocate'}, {t_alloc:.1f} s, not counted)")
    if args.render_only:
        render_only(alloc, demo, args.render_only, profile=args.profile, save=args.save)
        return
    streams = None
    if not args.no_streams:  # what `landuse run` passes: the district's streams (DEM, 0.5 km2), not timed
        from landuse.datasets import get_path
        from landuse.terrain import hydrology

        streams = hydrology.streams(get_path("dem"), min_area_km2=0.5)
        print(f"streams: {len(streams)} lines drawn on the sketches with the village boundaries")
    workdir = tempfile.TemporaryDirectory()  # about 200 MB of PDFs, removed at the end
    out = Path(workdir.name) / "certificates"
    t0 = time.perf_counter()
    cpu0 = os.times()
    res = certificates.write_certificates(alloc, households=demo.households, villages=demo.villages,
                                          parcels=demo.parcels, out_dir=out, issue_date=dt.date(2026, 1, 15),
                                          overwrite=False, progress=False, workers=args.workers, streams=streams)
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.children_user - cpu0.children_user)
    sizes = np.array(res.sizes_bytes) / 1024
    n = len(res.files)
    print(f"landuse: {n} PDFs in {wall:.1f} s wall ({n / wall:.1f} certificates/s; goal <= 60 s: "
          f"{'met' if wall <= 60 else 'NOT met'}), {args.workers} workers, CPU {cpu:.1f} s "
          f"({1000 * cpu / n:.1f} ms per certificate)")
    q = np.percentile(sizes, [0, 50, 95, 100])
    print(f"sizes [KB]: min {q[0]:.0f}, median {q[1]:.0f}, p95 {q[2]:.0f}, max {q[3]:.0f} "
          f"(goal <= 300 KB: {'met' if q[3] <= 300 else 'NOT met'}); total {sizes.sum() / 1024:.1f} MB")
    hist, edges = np.histogram(sizes, bins=[0, 50, 60, 70, 80, 90, 100, 150, 300, 10_000])
    print("size histogram [KB]: " + ", ".join(f"{int(a)}-{int(b)}: {h}" for a, b, h in
                                             zip(edges[:-1], edges[1:], hist, strict=True) if h))

    # signed, into a district register
    from landuse.certificates import keys
    from landuse.certificates.register import open_register

    district = Path(workdir.name) / "district"
    key = keys.init_keys(district / "bench.pem")
    signed_out = Path(workdir.name) / "signed"
    t0 = time.perf_counter()
    cpu0 = os.times()
    sres = certificates.write_certificates(alloc, households=demo.households, villages=demo.villages,
                                           parcels=demo.parcels, out_dir=signed_out,
                                           issue_date=dt.date(2026, 1, 15), overwrite=False, progress=False,
                                           workers=args.workers, key_file=key.private_path,
                                           register=district / "register.gpkg", streams=streams)
    swall = time.perf_counter() - t0
    cpu1 = os.times()
    scpu = (cpu1.user - cpu0.user) + (cpu1.children_user - cpu0.children_user)
    ssizes = np.array(sres.sizes_bytes) / 1024
    print(f"signed + register: {len(sres.files)} PDFs in {swall:.1f} s wall ({len(sres.files) / swall:.1f} "
          f"certificates/s; goal >= 200/s: {'met' if len(sres.files) / swall >= 200 else 'NOT met'}), "
          f"CPU {scpu:.1f} s ({1000 * scpu / len(sres.files):.1f} ms per certificate); "
          f"signed/unsigned wall {swall / wall:.2f}, CPU {scpu / cpu:.2f}; max size {ssizes.max():.0f} KB "
          f"(goal <= 300 KB: {'met' if ssizes.max() <= 300 else 'NOT met'})")
    reg = open_register(district / "register.gpkg")
    sample = sres.files[: args.verify_sample]
    t0 = time.perf_counter()
    states = [certificates.verify_certificate(f, register=reg, check_qr=False, check_text=False).status
              for f in sample]
    vt = time.perf_counter() - t0
    print(f"verify PDFs (signature, embedded content vs signed record, register state; no text extraction, "
          f"no QR rendering): {len(sample)} in "
          f"{vt:.1f} s ({len(sample) / vt:.0f}/s; goal >= 500/s: {'met' if len(sample) / vt >= 500 else 'NOT met'}); "
          f"all VALID: {set(states) == {'VALID'}}")
    import json

    import pypdf

    qrs = [json.loads(pypdf.PdfReader(str(f)).attachments["certificate.json"][0])["certificates"][0]["qr"]
           for f in sres.files]
    t0 = time.perf_counter()
    qstates = [certificates.verify_qr(q, register=reg).status for q in qrs]
    qt = time.perf_counter() - t0
    print(f"verify QR records (signature + register state, what the office does with a scanned QR): "
          f"{len(qrs)} in {qt:.1f} s ({len(qrs) / qt:.0f}/s; goal >= 500/s: "
          f"{'met' if len(qrs) / qt >= 500 else 'NOT met'}); all VALID: {set(qstates) == {'VALID'}}")
    t0 = time.perf_counter()
    certificates.write_certificates(alloc, households=demo.households, villages=demo.villages,
                                    parcels=demo.parcels, out_dir=signed_out, issue_date=dt.date(2026, 1, 15),
                                    overwrite=False, progress=False, workers=args.workers,
                                    key_file=key.private_path, register=reg, streams=streams)
    print(f"signed re-run (register unchanged, all resumed): {time.perf_counter() - t0:.1f} s")
    if args.skip_peer:
        workdir.cleanup()
        return

    # resume: nothing to do
    t0 = time.perf_counter()
    again = certificates.write_certificates(alloc, households=demo.households, villages=demo.villages,
                                            parcels=demo.parcels, out_dir=out, issue_date=dt.date(2026, 1, 15),
                                            overwrite=False, progress=False, workers=args.workers,
                                            streams=streams)
    print(f"re-run (resume, all {again.skipped} unchanged): {time.perf_counter() - t0:.1f} s")

    # peer
    lab = certificates.load_labels()
    reg, ctx = certificates.issue._build(alloc, households=demo.households, villages=demo.villages, parcels=demo.parcels,
                                   issue_date="2026-01-15", validity_years=None, labels=lab, key=None, others=None)
    reg = certificates._seal._seal_register(reg, signer=None, register=None, issue_date=dt.date(2026, 1, 15), key=None,
                                      actor="bench")
    recs = certificates.issue._records(reg, ctx)
    fonts = certificates.issue._fonts()
    t0 = time.perf_counter()
    for rec in recs[: args.peer_sample]:
        certificates.issue._render([rec], lab, fonts)
    ours = (time.perf_counter() - t0) / args.peer_sample
    peer = peer_fpdf2(recs, lab, fonts, args.peer_sample)
    print(f"per certificate, one process, {args.peer_sample} certificates: landuse {1000 * ours:.1f} ms, "
          f"fpdf2 (same texts, shapes and QR) {1000 * peer:.1f} ms; ratio fpdf2/landuse {peer / ours:.1f}x")
    print(f"median size {statistics.median(res.sizes_bytes) / 1024:.0f} KB")
    workdir.cleanup()


if __name__ == "__main__":
    main()
