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
        ("[inputs]\nvillages = 'villages.gpkg'\n", "required input 'parcels' missing"),
        ("[plan]\nname = 'x'\ncolour = 'red'\n", r"line 3.*unknown key 'colour'"),
        ("[inputs\n", "invalid TOML"),
        ("[banana]\n", r"unknown table \[banana\]"),
        ("[plan]\nissue_date = 'soon'\n", r"line 2.*issue_date 'soon' is not a date"),
    ],
)
def test_load_plan_errors_name_line_and_key(text, match):
    with pytest.raises(RuleError, match=match):
        plan.load_plan(text=text, base_dir=DATA)


def test_load_plan_bad_option_and_missing_file(tmp_path):
    with pytest.raises(RuleError, match=r"option 'mip_gap' must be a non-negative number"):
        plan.load_plan(text=_plan_text(mip_gap="tight"), base_dir=DATA)
    with pytest.raises(RuleError, match="unknown option 'speed'"):
        plan.load_plan(text=_plan_text(speed=3), base_dir=DATA)
    bad = tmp_path / "plan.toml"
    bad.write_text(DATA.joinpath("plan.toml").read_text().replace("dem.tif", "nodem.tif"))
    for f in ("villages.gpkg", "parcels.gpkg", "households.csv", "histories.csv", "climate.csv",
              "schemes.toml", "forest.gpkg"):
        shutil.copy(DATA / f, tmp_path / f)
    with pytest.raises(DataReadError, match="input 'dem' not found"):
        plan.load_plan(bad)
