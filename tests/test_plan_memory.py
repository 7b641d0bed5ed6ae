"""Memory over a long run (issue 20): what the command's process and the workers let go of.

- :func:`landuse.plan._results.slim` drops what no district step reads: the reports
  written from slimmed results have the same bytes as from the full ones.
- :func:`landuse.plan._run.map_villages` on dask lets go of each village's future as its
  result arrives, so the worker frees that result while the others still run (a weak
  reference to a village's result made on the worker dies during the run).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
import weakref
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from landuse.plan import _run
from landuse.plan._report import write_reports
from landuse.plan._results import VillageProducts, VillageResult, slim


def _full(vid: str, n_parcels: int) -> VillageResult:
    hh = pd.DataFrame({"household_id": ["H1", "H2"], "village_id": vid, "labour_units": 2.0,
                       "entitled_ha": [4.0, 2.0], "allocated_ha": [1.0, 2.0], "head_name": ["A", "B"]})
    pz = gpd.GeoDataFrame({"parcel_id": [f"{vid}-{i}" for i in range(n_parcels)], "village_id": vid,
                           "conflict": [i % 3 == 0 for i in range(n_parcels)]},
                          geometry=[box(i, 0, i + 1, 1) for i in range(n_parcels)], crs="EPSG:32647")
    conflicts = pd.DataFrame(pz[pz["conflict"]].drop(columns="geometry")).assign(severity="high",
                                                                                land_type="paddy")
    products = VillageProducts(
        zone_table=pd.DataFrame({"zone": ["PADDY"], "area_ha": [12.5]}), parcel_zones=pz, conflicts=conflicts,
        allocation_households=hh, lorenz=pd.DataFrame({"household_share": [0, 1.0], "area_share": [0, 1.0]}),
        fallow_survival=pd.DataFrame({"decade": [1990], "time_years": [1.0], "survival": [0.5]}),
        fallow_decades=pd.DataFrame({"decade": [1990]}),
        charts={"lorenz": "<img alt='L' src='data:,'/>", "fallow": "", "fallow_survival": "<img alt='S'/>"})
    return VillageResult(vid, products=products, figures={"allocation": {"status": "optimal", "gini": 0.2}})


def test_slim_keeps_what_the_reports_read_and_drops_the_rest(tmp_path):
    full = [_full("V1", 7), _full("V2", 30)]
    small = [slim(r) for r in full]
    # the originals are not changed; the slim records hold no parcel geometry nor curves
    assert all(len(r.products.parcel_zones.columns) == 4 for r in full)
    assert [len(r.products.parcel_zones) for r in small] == [7, 30]
    assert all(len(r.products.parcel_zones.columns) == 0 for r in small)
    assert all(r.products.lorenz is None and r.products.fallow_survival is None for r in small)
    assert small[0].products.conflicts is full[0].products.conflicts
    # without charts made in the worker, the curves stay for the report to draw them
    bare = _full("V3", 2)
    bare.products.charts = None
    assert slim(bare).products.lorenz is bare.products.lorenz

    villages = gpd.GeoDataFrame({"village_id": ["V1", "V2"], "name_en": ["Nalao", "Nami"],
                                 "name_lo": ["ນາເລົາ", "ນາໜີ"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                                crs="EPSG:32647")
    plan = SimpleNamespace(name="Test plan", issue_date=dt.date(2026, 1, 15))
    pages = {}
    for name, results in (("full", full), ("slim", small)):
        write_reports(tmp_path / name, plan=plan, results=results, schemes=[], status={"V1": "ok", "V2": "ok"},
                      villages=villages, summary={"n_failed": 0})
        pages[name] = {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}
    assert sorted(pages["full"]) == ["V1.html", "V2.html", "index.html"]
    assert pages["slim"] == pages["full"]


def _dead_soon(ref: weakref.ref, wait_s: float = 10.0) -> bool:
    """True once *ref* is dead (the release of a future reaches the worker asynchronously)."""
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        gc.collect()
        if ref() is None:
            return True
        time.sleep(0.05)
    return False


_MADE: dict[str, weakref.ref] = {}  # module level: the task is pickled by reference to it


def _fake_run_village(vi: SimpleNamespace) -> VillageResult:
    """On the (in-process) worker: a village's result, and a weak reference to it."""
    res = _full(vi.village_id, 50)
    _MADE[vi.village_id] = weakref.ref(res)
    return res


def test_map_villages_lets_go_of_each_result_as_it_arrives(monkeypatch):
    distributed = pytest.importorskip("distributed")
    made = _MADE
    made.clear()
    monkeypatch.setattr(_run, "run_village", _fake_run_village)
    bundles = [SimpleNamespace(village_id=f"V{i}", parcels=[0] * (10 - i), households=[0]) for i in range(4)]
    freed_before_the_end: list[bool] = []

    def on_result(r: VillageResult) -> None:
        assert len(r.products.parcel_zones.columns) == 0  # the command's process keeps the slim record
        if r.village_id == "V3":  # the last one (largest first): the others' results are gone already
            freed_before_the_end.extend(_dead_soon(made[v]) for v in ("V0", "V1", "V2"))

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                                  scheduler_port=0) as cl, distributed.Client(cl) as client:
        out = _run.map_villages(bundles, workers=None, scheduler=None, progress=False, client=client,
                                on_result=on_result)
    assert [r.village_id for r in out] == ["V0", "V1", "V2", "V3"]
    assert freed_before_the_end == [True, True, True]
