"""Rich displays in Jupyter (``_repr_html_``, ``_validate/display.py``) and progress lines (``report_progress``)."""

from __future__ import annotations

import base64
import io as _io
import logging
import re

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from PIL import Image

from landuse import PROGRESS_LOGGER, report_progress, show_progress
from landuse._validate.display import figures_html, records_html, thumbnail_uri
from landuse.raster import Raster

HOSTILE = "<script>alert('x')</script>&\"'"


def _png(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    with Image.open(_io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
        im.load()
        return im.copy()


# -- Raster --------------------------------------------------------------------------------
def test_raster_repr_and_html_hold_the_key_figures():
    # 2 x 3 grid of 20 m cells at (500000, 2300000); the 0 cell is nodata: valid 1..5
    r = Raster(np.arange(6, dtype="float32").reshape(2, 3), Affine(20, 0, 500000, 0, -20, 2300000),
               crs="EPSG:32647", nodata=0.0, source="dem.tif")
    text = repr(r)
    assert text == "Raster(2 x 3 float32, EPSG:32647, res 20 x 20, nodata=0.0, source='dem.tif')"
    html = r._repr_html_()
    assert "2 x 3" in html and "EPSG:32647" in html and "20 x 20" in html and "float32" in html
    assert "500000, 2299960, 500060, 2300000" in html  # bounds (left, bottom, right, top)
    assert "1 / 3 / 5" in html  # min / mean / max of the valid cells (1+2+3+4+5)/5 = 3
    assert "5 of 6" in html  # valid cells
    assert "ລະບົບພິກັດ" in html  # Lao labels
    im = _png(re.search(r'src="(data:image/png;base64,[^"]+)"', html).group(1))
    assert im.size == (3, 2) and im.mode == "L"
    px = np.asarray(im)
    assert px[0, 0] == 255  # nodata is white
    assert px[0, 1] < px[0, 2] < px[1, 0] < px[1, 1] < 255 and px[1, 2] <= 235  # values stretched in order


def test_raster_display_of_a_big_raster_is_small():
    big = np.add.outer(np.arange(4000.0), np.arange(4000.0)).astype("float32")
    r = Raster(big, Affine(10, 0, 500000, 0, -10, 2300000), crs="EPSG:32647", nodata=-9999.0)
    assert len(repr(r)) < 120
    html = r._repr_html_()
    assert len(html) < 40_000, len(html)
    im = _png(re.search(r'src="(data:image/png;base64,[^"]+)"', html).group(1))
    assert max(im.size) <= 128
    assert "0 / 3999 / 7998" in html  # exact min / mean / max over the 16 million cells


def test_raster_display_escapes_a_hostile_source():
    r = Raster(np.ones((3, 3)), Affine(1, 0, 0, 0, -1, 3), crs=None, source=HOSTILE)
    html = r._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "none" in html  # no CRS said plainly


def test_thumbnail_never_exceeds_its_size_and_is_deterministic():
    a = np.random.default_rng(1).random((1000, 37))
    uri = thumbnail_uri(a, max_px=64)
    assert max(_png(uri).size) <= 64
    assert uri == thumbnail_uri(a.copy(), max_px=64)
    assert _png(thumbnail_uri(np.full((4, 4), np.nan))).getextrema() == (255, 255)  # all missing: white


def test_tables_escape_every_cell_and_cut_long_lists():
    html = figures_html([(HOSTILE, HOSTILE, HOSTILE)], title=HOSTILE, title_lo=HOSTILE,
                        image_uri="javascript:alert(1)", note=HOSTILE)
    assert "<script>" not in html and "javascript:" not in html
    rows = [{"a": f"<b>{i}</b>", "y": 2030} for i in range(25)]
    t = records_html(rows, [("a", "ກ", "A"), ("y", "ປີ", "year")], max_rows=20)
    assert "<b>" not in t and t.count("<tr>") == 1 + 20 + 1 and "5 more" in t
    assert "2030" in t and "2,030" not in t


# -- result objects ------------------------------------------------------------------------
def _metrics():
    from landuse.allocation import AllocationMetrics

    return AllocationMetrics(method="optimal", status="optimal", mip_gap=0.0, mip_gap_total_shortfall=0.0,
                             mip_gap_fragmentation=0.0, max_shortfall_ha=1.25, max_relative_shortfall=0.5,
                             total_shortfall_ha=2.5, gini=0.125, min_max_ratio=0.8, gini_fulfilment=0.1,
                             runtime_s=1.0, n_households=7, n_parcels=11, n_allocated=9, allocated_ha=12.75,
                             n_subproblems=2, deterministic=True)


def test_allocation_result_html_has_the_figures_and_escapes_ids():
    from landuse.allocation import AllocationResult

    shortfall = pd.DataFrame({"village_id": [HOSTILE], "land_type": ["paddy"], "entitled_ha": [10.0],
                              "available_ha": [8.0], "allocated_ha": [7.5], "shortfall_ha": [2.5],
                              "max_relative_shortfall": [0.5], "n_households_short": [3], "land_short": [True]})
    res = AllocationResult(allocations=None, households=pd.DataFrame(), equity={}, unallocated=None,
                           shortfall=shortfall, solver=pd.DataFrame(), entitlements=pd.DataFrame(),
                           metrics=_metrics())
    html = res._repr_html_()
    for figure in ("9 of 11", "12.75", "1.25", "2.50", "0.500", "0.125", "0.00%", "ຄົວເຮືອນ", "households"):
        assert figure in html, figure
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert ">7.50<" in html and ">3<" in html  # the shortfall row


def test_plan_run_display(tmp_path):
    from landuse.plan import PlanRun

    run = PlanRun(out_dir=tmp_path, outputs={"map": tmp_path / "map.html", "report:V1": tmp_path / "r.html",
                                             "report:district": tmp_path / "d.html"},
                  villages={"V1": "ok", HOSTILE: "allocation: <b>no parcels</b>"}, summary={})
    assert repr(run).endswith("2 villages, 1 failed, 3 products)")
    html = run._repr_html_()
    assert "1 / 2" in html and "report 2" in html and "map 1" in html
    assert "<script>" not in html and "<b>" not in html and "&lt;b&gt;no parcels" in html


def test_village_result_repr_is_short():
    from landuse.plan._results import VillageProducts, VillageResult

    big = pd.DataFrame({"a": range(10_000)})
    r = VillageResult(HOSTILE, products=VillageProducts(zone_table=big),
                      figures={"allocation": {"gini": 0.25, "n": 3}, "label": HOSTILE})
    assert len(repr(r)) < 200 and "zone_table" in repr(r)
    html = r._repr_html_()
    assert "allocation.gini" in html and "0.25" in html and "<script>" not in html


# -- progress ------------------------------------------------------------------------------
@pytest.fixture
def progress_records(caplog):
    show_progress(False)  # a CLI test earlier in this process may have turned the lines on
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    return caplog


def test_report_progress_logs_info_without_control_characters(progress_records):
    report_progress("allocation: solving", 2, 5, "village V1\n\rINFO forged line")
    (rec,) = [r for r in progress_records.records if r.name == PROGRESS_LOGGER]
    assert rec.levelno == logging.INFO and rec.progress == (2, 5)
    assert rec.getMessage() == "allocation: solving 2/5: village V1 INFO forged line"


def test_allocate_reports_progress_per_subproblem(progress_records):
    from test_allocation import households_from, parcels_from, quiet_allocate

    parcels = pd.concat([parcels_from([1.0, 2.0]), parcels_from([1.0], land_type="upland", prefix="U")])
    quiet_allocate(parcels, households_from([1.0, 2.0]), time_limit_s=5)
    msgs = [r.getMessage() for r in progress_records.records if r.name == PROGRESS_LOGGER]
    solving = [m for m in msgs if m.startswith("allocation: solving")]
    assert len(solving) == 2 and solving[-1].startswith("allocation: solving 2/2: village V1")
    assert not any(re.search(r"\d+\.\d+ ?s\b", m) for m in msgs)  # no timings


def test_cli_shows_progress_on_stderr_unless_quiet(tmp_path):
    from click.testing import CliRunner
    from test_allocation import households_from, parcels_from

    from landuse import io
    from landuse.cli.main import cli

    ppath, hpath = tmp_path / "parcels.gpkg", tmp_path / "hh.csv"
    io.write_vector(parcels_from([1.0, 2.0, 0.5]), ppath, layer="parcels")
    households_from([1.0, 2.0], head_name=["Somchai", "Kham"], members=[3, 4]).to_csv(hpath, index=False)
    args = ["allocate", "--parcels", str(ppath), "--households", str(hpath), "--time-limit", "5"]
    try:
        res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")])
        assert res.exit_code == 0, res.output
        assert "allocation: solving 1/1: village V1, paddy" in res.stderr
        assert "allocation: solving" not in res.stdout
        quiet = CliRunner().invoke(cli, ["--quiet", *args, "--out", str(tmp_path / "b")])
        assert quiet.exit_code == 0 and "allocation:" not in quiet.stderr
    finally:
        show_progress(False)


def test_run_log_keeps_no_progress_lines(tmp_path):
    from landuse.plan._products import log_handler

    handler = log_handler(tmp_path)
    logger = logging.getLogger("landuse")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    show_progress(False)
    try:
        logging.getLogger("landuse.plan").info("village V1: zoning")
        report_progress("plan: village", 1, 1, "V1")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
        handler.close()
    assert (tmp_path / "run.log").read_text(encoding="utf-8") == "INFO landuse.plan: village V1: zoning\n"


def test_flow_direction_reports_its_stages_on_big_rasters_only(progress_records, monkeypatch, plane_dem):
    from landuse.terrain import hydrology

    dem = Raster(*plane_dem, crs="EPSG:32647")
    hydrology.flow_direction(dem)
    assert not [r for r in progress_records.records if r.name == PROGRESS_LOGGER]  # small: silent
    monkeypatch.setattr(hydrology, "PROGRESS_MIN_CELLS", 100)
    hydrology.flow_direction(dem)
    msgs = [r.getMessage() for r in progress_records.records if r.name == PROGRESS_LOGGER]
    assert [m.split(":")[1].strip() for m in msgs] == ["flow directions, step 1/3", "flow directions, step 2/3",
                                                      "flow directions, step 3/3"]


def test_scheme_result_display():
    from types import SimpleNamespace

    from landuse.irrigation import SchemeResult

    fake = SimpleNamespace(summary={"scheme_id": "S1", "name_en": HOSTILE, "name_lo": "ຝາຍ", "village_id": "V1",
                                    "area_ha": 7.247, "families": 11, "design_duty_l_s_ha": 2.969,
                                    "design_flow_l_s": 21.52, "dependable_flow_l_s": None,
                                    "servable_area_ha": 5.0, "source_sufficient": False, "canal_bed_width_m": 0.3,
                                    "canal_total_depth_m": 0.35},
                           notes=("a", "b"))
    assert SchemeResult.__repr__(fake) == "SchemeResult('S1': 7.25 ha, 11 families, design flow 21.5 l/s)"
    html = SchemeResult._repr_html_(fake)
    for figure in ("7.25", "2.97", "21.5", "no · ບໍ່ພຽງພໍ", "0.30 x 0.35", "2 notes", "ຝາຍ"):
        assert figure in html, figure
    assert "<script>" not in html


def test_zoning_and_certificate_results_display(tmp_path):
    from landuse.certificates import CertificateResult
    from landuse.zoning import ZoningResult

    table = pd.DataFrame({"village_id": ["V1", "V1"], "zone": ["A", "B"], "label_lo": ["ປ່າ", HOSTILE],
                          "label_en": ["forest", "paddy"], "area_ha": [4.0, 2.0], "share_pct": [66.67, 33.33]})
    z = ZoningResult(zones=pd.DataFrame({"zone": ["A", "B", "B"]}), table=table, zone_raster=None,
                     rule_raster=None, rules=None)
    html = z._repr_html_()
    assert ">3<" in html and "6.00" in html and "66.67" in html and "<script>" not in html
    c = CertificateResult(out_dir=tmp_path, register_csv=tmp_path / "r.csv", register_gpkg=tmp_path / "r.gpkg",
                          register=pd.DataFrame({"a": range(3)}), files=[tmp_path / "a.pdf", tmp_path / "b.pdf"],
                          written=1, skipped=1, sizes_bytes=[1_500_000, 500_000], failed={"X-1": HOSTILE})
    assert repr(c).endswith("2 files, 1 written, 1 kept, 1 failed)")
    html = c._repr_html_()
    assert "1 / 1" in html and "3 rows" in html and "2.00" in html and "X-1" in html and "<script>" not in html


def test_shown_progress_lines_are_printed_once(caplog, capsys):
    caplog.set_level(logging.INFO)
    show_progress()
    show_progress()  # twice: still one handler
    try:
        report_progress("certificates: files", 50, 120)
    finally:
        show_progress(False)
    assert capsys.readouterr().err == "certificates: files 50/120\n"
    assert not [r for r in caplog.records if r.name == PROGRESS_LOGGER]  # not passed on to the root's handlers
