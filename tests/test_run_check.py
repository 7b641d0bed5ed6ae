"""`landuse run` honours `landuse check`: a village whose inputs have errors fails before
planning with the reason, the others run, nothing is dropped silently (issue 15).

The fast tests stop after reading and checking (``_plan_run.load_inputs``); one slow
test runs two villages end to end through the CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner

from landuse import datasets, plan

from landuse.plan import _run as _plan_run
from landuse.errors import LanduseError

DATA = datasets.get_path("plan").parent
FILES = ("villages.gpkg", "parcels.gpkg", "households.csv", "dem.tif", "histories.csv",
         "climate.csv")


def _two_villages() -> list[str]:
    hh = pd.read_csv(datasets.get_path("households"), dtype=str)
    return sorted(hh["village_id"].value_counts().sort_values(kind="mergesort").index[:2])


def _folder(tmp_path: Path, *, rules: str = "", **opts) -> Path:
    """Copies of the demo inputs (so that a test may change one) and a plan file."""
    folder = tmp_path / "in"
    folder.mkdir()
    for f in FILES:
        shutil.copy(DATA / f, folder / f)
    inputs = "".join(f'{f.split(".")[0]} = "{f}"\n' for f in FILES)
    options = "".join(f"{k} = {json.dumps(v)}\n" for k, v in opts.items())
    (folder / "plan.toml").write_text(
        f'[plan]\nname = "t"\n[inputs]\n{inputs}[rules]\n{rules}[options]\n{options}',
        encoding="utf-8")
    return folder


def _households(folder: Path, change) -> None:
    hh = pd.read_csv(folder / "households.csv", dtype=str, keep_default_na=False)
    new = change(hh)
    hh = new if isinstance(new, pd.DataFrame) else hh
    hh.to_csv(folder / "households.csv", index=False)


def _first_of(hh: pd.DataFrame, vid: str) -> int:
    return int(np.flatnonzero((hh["village_id"] == vid).to_numpy())[0])


def _load(folder: Path) -> _plan_run.Inputs:
    return _plan_run.load_inputs(plan.load_plan(folder / "plan.toml"))


def test_honest_demo_inputs_fail_no_village(tmp_path):
    inputs = _load(_folder(tmp_path))
    assert inputs.failures == {}


def test_fractional_members_fail_their_village_only(tmp_path):
    a, b = _two_villages()
    folder = _folder(tmp_path)
    _households(folder, lambda hh: hh.__setitem__("members", hh["members"].where(
        hh.index != _first_of(hh, a), "4.5")))
    inputs = _load(folder)
    assert set(inputs.failures) == {a}
    assert inputs.failures[a].startswith("failed: VALUE_RANGE: members is 4.5")


@pytest.mark.parametrize("holds_land", [True, False])
def test_household_with_a_mistyped_village_fails_the_village_it_meant(tmp_path, holds_land):
    # '0401028' typed as '401028' (a spreadsheet dropped the zero): the household would
    # vanish from allocation, tables and certificates; now its village fails, named (by
    # the village of the land it holds, or else by the id it probably meant)
    a, _ = _two_villages()
    folder = _folder(tmp_path)
    if holds_land:
        _households(folder, lambda hh: hh.__setitem__("village_id", hh["village_id"].where(
            hh.index != _first_of(hh, a), a.lstrip("0"))))
    else:
        _households(folder, lambda hh: pd.concat(
            [hh, hh.iloc[:1].assign(household_id=f"{a}-H900", village_id=a.lstrip("0"))],
            ignore_index=True))
    inputs = _load(folder)
    assert set(inputs.failures) == {a}
    assert "HOUSEHOLD_UNKNOWN_VILLAGE" in inputs.failures[a]
    assert f"did you mean '{a}'" in inputs.failures[a]


def test_household_with_an_unknown_village_and_no_land_stops_the_run(tmp_path):
    folder = _folder(tmp_path)
    _households(folder, lambda hh: pd.concat(
        [hh, hh.iloc[:1].assign(household_id="X-1", village_id="ZZZ")], ignore_index=True))
    with pytest.raises(LanduseError, match=r"HOUSEHOLD_UNKNOWN_VILLAGE: village_id 'ZZZ'"):
        _load(folder)


def test_parcel_held_by_an_unknown_household_fails_its_village(tmp_path):
    # with keep_existing the parcel would otherwise be given to someone else silently
    import pyogrio

    a, _ = _two_villages()
    folder = _folder(tmp_path, keep_existing=True)
    parcels = pyogrio.read_dataframe(folder / "parcels.gpkg")
    pos = int(np.flatnonzero(((parcels["village_id"] == a) & parcels["household_id"].notna())
                             .to_numpy())[0])
    parcels.loc[pos, "household_id"] = f"{a}-H999"
    (folder / "parcels.gpkg").unlink()
    pyogrio.write_dataframe(parcels, folder / "parcels.gpkg")
    inputs = _load(folder)
    assert set(inputs.failures) == {a}
    assert f"PARCEL_UNKNOWN_HOUSEHOLD: household_id '{a}-H999'" in inputs.failures[a]


def test_dem_hole_under_a_village_fails_that_village(tmp_path):
    import geopandas as gpd

    a, _ = _two_villages()
    folder = _folder(tmp_path)
    village = gpd.read_file(folder / "villages.gpkg").set_index("village_id").loc[a, "geometry"]
    p = village.representative_point()
    with rasterio.open(folder / "dem.tif", "r+") as ds:
        row, col = ds.index(p.x, p.y)
        data = ds.read(1)
        data[row - 1:row + 2, col - 1:col + 2] = ds.nodata
        ds.write(data, 1)
    inputs = _load(folder)
    assert set(inputs.failures) == {a}
    assert "RASTER_NODATA_HOLES: 9 nodata cells" in inputs.failures[a]


def test_history_typed_in_the_future_fails_its_village(tmp_path):
    folder = _folder(tmp_path)
    hist = pd.read_csv(folder / "histories.csv", dtype=str, keep_default_na=False)
    hist.loc[len(hist) - 1, "year"] = "2150"
    hist.to_csv(folder / "histories.csv", index=False)
    vid = hist.loc[len(hist) - 1, "plot_id"].split("-")[0]
    inputs = _load(folder)
    assert set(inputs.failures) == {vid}
    assert "VALUE_RANGE: year '2150' is not a plausible calendar year" in inputs.failures[vid]


def test_priority_column_with_the_wrong_case_stops_the_run_with_a_suggestion(tmp_path):
    folder = _folder(tmp_path)
    _households(folder, lambda hh: hh.rename(columns={"landless": "Landless"}, inplace=True))
    with pytest.raises(LanduseError, match=r"RULE_COLUMN_MISSING: .*'landless'.*did you mean 'Landless'"):
        _load(folder)
    # a rule file naming a column the table does not have, without a close match
    (folder / "rules.toml").write_text(
        "[entitlement]\npaddy_ha_per_labour_unit = 0.3\n[[priority_group]]\n"
        "name = 'widows'\ncolumn = 'widow'\nshortfall_weight = 2\n", encoding="utf-8")
    text = (folder / "plan.toml").read_text().replace("[rules]\n", '[rules]\nentitlements = "rules.toml"\n')
    (folder / "plan.toml").write_text(text)
    with pytest.raises(LanduseError, match=r"RULE_COLUMN_MISSING: .*'widow'"):
        _load(folder)


def test_unsafe_village_id_fails_that_village(tmp_path):
    import pyogrio

    a, _ = _two_villages()
    folder = _folder(tmp_path)
    bad = "javascript:alert(1)"
    for name in ("villages", "parcels"):
        gdf = pyogrio.read_dataframe(folder / f"{name}.gpkg")
        gdf["village_id"] = gdf["village_id"].where(gdf["village_id"] != a, bad)
        (folder / f"{name}.gpkg").unlink()
        pyogrio.write_dataframe(gdf, folder / f"{name}.gpkg")
    _households(folder, lambda hh: hh.__setitem__("village_id", hh["village_id"].where(
        hh["village_id"] != a, bad)))
    inputs = _load(folder)
    assert set(inputs.failures) == {bad}
    assert inputs.failures[bad].startswith("failed: ID_UNSAFE: village_id 'javascript:alert(1)'")


@pytest.mark.slow
def test_run_fails_the_bad_village_runs_the_other_and_exits_1(tmp_path):
    from landuse.cli.main import cli

    a, b = _two_villages()
    folder = _folder(tmp_path, villages=[a, b], time_limit_s=5, certificates=False, map=False)
    _households(folder, lambda hh: hh.__setitem__("members", hh["members"].where(
        hh.index != _first_of(hh, a), "4.5")))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(folder / "plan.toml"), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert f"village {a} FAILED: failed: VALUE_RANGE: members is 4.5" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["villages"][a]["status"].startswith("failed: VALUE_RANGE: members is 4.5")
    assert summary["villages"][b]["status"] == "ok"
    assert summary["n_failed"] == 1
    import pyogrio

    alloc = pyogrio.read_dataframe(out / "plan.gpkg", layer="allocations")
    assert set(alloc["village_id"]) == {b}
