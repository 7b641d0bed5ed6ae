"""Plan files, the village pipeline and its failure isolation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from landuse import datasets, plan
from landuse.errors import DataReadError, OutputExistsError, RuleError

DATA = datasets.get_path("plan").parent


def _plan_text(**options: object) -> str:
    inputs = "".join(f'{k} = "{v}"\n' for k, v in (("villages", "villages.gpkg"), ("parcels", "parcels.gpkg"),
                                                   ("households", "households.csv"), ("dem", "dem.tif")))
    opts = "".join(f"{k} = {json.dumps(v)}\n" for k, v in options.items())
    return f"[inputs]\n{inputs}[options]\n{opts}"


def test_load_plan_resolves_paths_and_defaults():
    p = plan.load_plan(datasets.get_path("plan"))
    assert p.inputs["dem"] == datasets.get_path("dem").resolve()
    assert p.options.mip_gap == 0.005 and p.options.certificates is True
    assert p.issue_date.isoformat() == "2026-01-15"
    assert p.rules == {}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[inputs]\nvillages = 'villages.gpkg'\n",
         r"line 1: key 'parcels' in \[inputs\]: required key 'parcels' is missing"),
        ("[plan]\nname = 'x'\ncolour = 'red'\n", r"line 3: key 'colour' in \[plan\]: unknown key"),
        ("[inputs\n", "line 1: .*not valid TOML"),
        ("[banana]\n", r"line 1: table \[banana\]: unknown table"),
        ("[plan]\nissue_date = 'soon'\n",
         r"line 2: key 'issue_date' in \[plan\]: expected a date, found 'soon'"),
    ],
)
def test_load_plan_errors_name_line_and_key(text, match):
    with pytest.raises(RuleError, match=match):
        plan.load_plan(text=text, base_dir=DATA)


def test_load_plan_bad_option_and_missing_file(tmp_path):
    with pytest.raises(RuleError,
                       match=r"line \d+: key 'mip_gap' in \[options\]: expected a number, found 'tight'"):
        plan.load_plan(text=_plan_text(mip_gap="tight"), base_dir=DATA)
    with pytest.raises(RuleError, match=r"line \d+: key 'speed' in \[options\]: unknown key"):
        plan.load_plan(text=_plan_text(speed=3), base_dir=DATA)
    bad = tmp_path / "plan.toml"
    bad.write_text(DATA.joinpath("plan.toml").read_text().replace("dem.tif", "nodem.tif"))
    for f in ("villages.gpkg", "parcels.gpkg", "households.csv", "histories.csv", "climate.csv",
              "schemes.toml", "forest.gpkg"):
        shutil.copy(DATA / f, tmp_path / f)
    with pytest.raises(DataReadError, match="input 'dem' not found"):
        plan.load_plan(bad)


def _small_plan(tmp_path: Path, village: str, **opts: object) -> Path:
    text = _plan_text(**{"villages": [village], "time_limit_s": 10, **opts})
    text = text.replace("[inputs]\n", "[inputs]\n" + "".join(
        f'{k} = "{v}"\n' for k, v in (("histories", "histories.csv"), ("climate", "climate.csv"),
                                      ("schemes", "schemes.toml"), ("forest", "forest.gpkg"))), 1)
    text = "[plan]\nname = \"test plan\"\nissue_date = \"2026-01-15\"\n" + text
    for f in ("villages.gpkg", "parcels.gpkg", "households.csv", "dem.tif", "histories.csv", "climate.csv",
              "schemes.toml", "forest.gpkg"):
        (tmp_path / f).symlink_to(DATA / f)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _smallest_village() -> str:
    import pandas as pd

    hh = pd.read_csv(datasets.get_path("households"), dtype=str)
    return hh["village_id"].value_counts().sort_values(kind="mergesort").index[0]


@pytest.mark.slow
def test_run_plan_one_village_is_complete_and_reproducible(tmp_path):
    import pyogrio

    vid = _smallest_village()
    (tmp_path / "in").mkdir()
    p = _small_plan(tmp_path / "in", vid, certificates=False)
    run1 = plan.run_plan(p, out_dir=tmp_path / "a")
    assert run1.villages == {vid: "ok"}
    layers = set(pyogrio.list_layers(run1.outputs["geopackage"])[:, 0])
    assert {"villages", "parcels", "zones", "allocations", "streams", "layer_styles"} <= layers
    alloc = pyogrio.read_dataframe(run1.outputs["geopackage"], layer="allocations")
    assert len(alloc) > 0 and alloc["parcel_id"].is_unique and set(alloc["village_id"]) == {vid}
    report = (tmp_path / "a" / "reports" / f"{vid}.html").read_text(encoding="utf-8")
    assert "Zoning" in report and "Lorenz" in report
    summary = json.loads(run1.outputs["summary"].read_text())
    assert summary["villages"][vid]["status"] == "ok"
    assert summary["villages"][vid]["allocation"]["n_households"] > 0
    # censoring-aware fallow figures and the survival curves by decade (issue 16)
    from landuse.fallow import TREND_STATUSES

    assert summary["villages"][vid]["fallow_trend"]["status"] in TREND_STATUSES
    assert "Fallow survival curves by decade of clearing" in report and "id='fallow'" in report
    assert (tmp_path / "a" / "maps" / f"{vid}.png").is_file() and "data:image/png;base64," in report
    # one household sheet (HTML + PDF) per household, each allocated parcel on its holder's sheet (issue 18)
    import pandas as pd

    hh = pd.read_csv(datasets.get_path("households"), dtype=str)
    hh = hh[hh["village_id"] == vid]
    sheets = tmp_path / "a" / "households" / vid
    assert sorted(f.name for f in sheets.glob("*.html")) == sorted(f"{h}.html" for h in hh["household_id"])
    assert len(list(sheets.glob("*.pdf"))) == len(hh)
    for row in alloc[["parcel_id", "household_id"]].itertuples():
        assert f"<td>{row.parcel_id}</td>" in (sheets / f"{row.household_id}.html").read_text(encoding="utf-8")
    header = (tmp_path / "a" / "tables" / "households.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "members" in header.split(",")
    with pytest.raises(OutputExistsError, match="previous run"):
        plan.run_plan(p, out_dir=tmp_path / "a")
    # same inputs, same bytes (every product)
    plan.run_plan(p, out_dir=tmp_path / "b")
    files_a = sorted(f.relative_to(tmp_path / "a") for f in (tmp_path / "a").rglob("*") if f.is_file())
    files_b = sorted(f.relative_to(tmp_path / "b") for f in (tmp_path / "b").rglob("*") if f.is_file())
    assert files_a == files_b
    differ = [str(f) for f in files_a if (tmp_path / "a" / f).read_bytes() != (tmp_path / "b" / f).read_bytes()]
    assert differ == []


@pytest.mark.slow
def test_one_failing_village_does_not_lose_the_others(tmp_path, monkeypatch, caplog):
    import logging

    import landuse
    from landuse.plan import _run as _plan_run

    landuse.show_progress(False)  # a CLI test may have turned the lines on (they then stop at their logger)
    caplog.set_level(logging.INFO, logger=landuse.PROGRESS_LOGGER)

    hh = __import__("pandas").read_csv(datasets.get_path("households"), dtype=str)
    two = sorted(hh["village_id"].value_counts().sort_values(kind="mergesort").index[:2])
    (tmp_path / "in").mkdir()
    text = _small_plan(tmp_path / "in", two[0], certificates=False, map=False).read_text()
    text = text.replace(json.dumps([two[0]]), json.dumps(two))
    (tmp_path / "in" / "plan.toml").write_text(text)
    real = _plan_run._zoning

    def broken(vi, res):
        if vi.village_id == two[0]:
            raise ValueError("simulated failure in zoning")
        return real(vi, res)

    monkeypatch.setattr(_plan_run, "_zoning", broken)
    run = plan.run_plan(tmp_path / "in" / "plan.toml", out_dir=tmp_path / "out")
    assert run.failed == {two[0]: "ValueError: simulated failure in zoning"}
    assert run.villages[two[1]] == "ok"
    import pyogrio

    alloc = pyogrio.read_dataframe(run.outputs["geopackage"], layer="allocations")
    assert set(alloc["village_id"]) == {two[1]}
    log = (tmp_path / "out" / "run.log").read_text()
    assert f"village {two[0]} failed" in log
    # progress: every stage and every village, at INFO, none of it in run.log
    lines = [r.getMessage() for r in caplog.records if r.name == landuse.PROGRESS_LOGGER]
    assert [m for m in lines if m.startswith("plan: step")] == [
        "plan: step 1/5: reading and checking the inputs", "plan: step 2/5: district terrain: streams and "
        "parcel statistics", "plan: step 3/5: 2 villages: zoning, allocation, fallow", "plan: step 4/5: "
        "irrigation schemes", "plan: step 5/5: map, certificates, GeoPackage, tables and reports"]
    assert [m.split(" (")[0] for m in lines if m.startswith("plan: village")] == [
        f"plan: village 1/2: {two[0]}", f"plan: village 2/2: {two[1]}"]
    assert any(m.startswith("allocation: solving") for m in lines) and "landuse.progress" not in log


def test_village_products_are_typed_and_empty_by_default():
    from landuse.plan._results import VillageProducts, VillageResult

    r = VillageResult("V1")
    assert isinstance(r.products, VillageProducts) and r.ok and r.figures == {}
    assert r.products.zones is None and r.products.charts is None
    assert VillageResult("V2").products is not r.products  # no shared default
