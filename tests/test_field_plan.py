"""Plan files starting from field imports ([imports] of landuse run)."""

from __future__ import annotations

import shutil

import pytest
from field_samples import kobo_export, walk_points, write_gpx

from landuse.errors import DataReadError, RuleError
from landuse.field.plan_imports import materialise_imports
from landuse.plan import load_plan


@pytest.fixture(scope="module")
def field_plan(tmp_path_factory):
    from landuse.datasets import get_path, load_demo

    tmp_path = tmp_path_factory.mktemp("field_plan")
    demo = load_demo()
    for name in ("parcels", "dem"):
        shutil.copy(get_path(name), tmp_path / get_path(name).name)
    (tmp_path / "walks").mkdir()
    for k, r in enumerate(demo.villages.itertuples()):
        write_gpx(walk_points(r.geometry, seed=k, missing_fraction=0.0), demo.villages.crs,
                  tmp_path / "walks" / f"{r.village_id}.gpx", name=r.name_en)
    demo.villages[["village_id", "name_en", "name_lo"]].assign(source=lambda d: d.village_id + ".gpx").to_csv(
        tmp_path / "villages.csv", index=False)
    kobo_export(tmp_path / "export.xlsx", n_households=20, villages=tuple(demo.villages.village_id))
    text = ('[plan]\nname = "field"\n[inputs]\nparcels = "parcels.gpkg"\ndem = "dem.tif"\n'
            '[imports]\nwalks = "walks"\nwalk_attributes = "villages.csv"\nsurvey = "export.xlsx"\nsnap_m = 15\n')
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_plan_from_imports(field_plan, tmp_path):
    plan = load_plan(field_plan / "plan.toml")
    assert len(plan.imports["walks"]) == 7 and plan.imports["options"] == {"snap_m": 15.0}
    assert "villages" not in plan.inputs
    stage = tmp_path / "stage"
    stage.mkdir()
    p2 = materialise_imports(plan, stage)
    assert p2.inputs["villages"] == stage / "imports" / "villages.gpkg"
    assert (stage / "imports" / "walks_report.csv").is_file()
    from landuse.io import read_households, read_villages

    v = read_villages(p2.inputs["villages"])
    from landuse.datasets import load_demo

    assert sorted(v.name_lo) == sorted(load_demo().villages.name_lo)  # Lao names from the attributes table
    assert len(read_households(p2.inputs["households"])) == 20
    from landuse.check import check_files

    rep = check_files(villages=p2.inputs["villages"], households=p2.inputs["households"])
    assert not (rep.severity == "error").any(), rep[rep.severity == "error"]


def test_plan_import_errors(field_plan):
    base = (field_plan / "plan.toml").read_text(encoding="utf-8")
    (field_plan / "p.toml").write_text(base.replace('walks = "walks"', 'walks = "nowhere/*.gpx"'), encoding="utf-8")
    with pytest.raises(DataReadError, match="names no .gpx"):
        load_plan(field_plan / "p.toml")
    (field_plan / "p.toml").write_text(base + "colour = 3\n", encoding="utf-8")
    with pytest.raises(RuleError, match="unknown key 'colour'"):
        load_plan(field_plan / "p.toml")
    (field_plan / "p.toml").write_text(base.replace("[imports]", 'villages = "x.gpkg"\n[imports]'), encoding="utf-8")
    with pytest.raises((RuleError, DataReadError)):
        load_plan(field_plan / "p.toml")
    (field_plan / "p.toml").write_text(base.replace('survey = "export.xlsx"\n', ""), encoding="utf-8")
    with pytest.raises(RuleError, match="required input 'households'"):
        load_plan(field_plan / "p.toml")


@pytest.mark.slow
def test_run_plan_from_walks_and_household_list(field_plan, tmp_path):
    """``landuse run`` from boundary walks and an Excel household list (one village)."""
    import pandas as pd

    from landuse.datasets import get_path, load_demo
    from landuse.plan import run_plan

    demo = load_demo()
    hh = demo.households
    # the village farthest from the DEM's edge (a walked line may stray a few metres outside)
    x0, y0, x1, y1 = demo.villages.total_bounds
    margin = demo.villages.geometry.bounds.apply(lambda b: min(b.minx - x0, b.miny - y0, x1 - b.maxx, y1 - b.maxy),
                                                 axis=1)
    vid = demo.villages.village_id[margin.idxmax()]
    lst = pd.DataFrame({"Household No.": hh.household_id, "ລະຫັດບ້ານ": hh.village_id, "Head": hh.head_name,
                        "ຊື່ຫົວໜ້າຄົວເຮືອນ": hh.head_name_lo, "hh size": hh.members,
                        "Labour": hh.labour_units.map(lambda x: f"{x:g}".replace(".", ","))})
    lst.to_excel(field_plan / "households.xlsx", index=False)
    for name in ("histories", "climate"):
        shutil.copy(get_path(name), field_plan / get_path(name).name)
    # a walk with a survey-grade receiver (0.3 m noise, 5 m spacing; stops and spikes as in the field):
    # with 3 m noise, edge parcels cross the walked line by > 1 % and the check rightly fails the village
    (field_plan / "walks_rtk").mkdir(exist_ok=True)
    for k, r in enumerate(demo.villages.itertuples()):
        write_gpx(walk_points(r.geometry, step_m=5, noise_m=0.3, seed=k, missing_fraction=0.0), demo.villages.crs,
                  field_plan / "walks_rtk" / f"{r.village_id}.gpx", name=r.name_en)
    text = ('[plan]\nname = "field run"\nissue_date = "2026-01-15"\n[inputs]\nparcels = "parcels.gpkg"\n'
            'dem = "dem.tif"\nhistories = "histories.csv"\n[imports]\nwalks = "walks_rtk"\nsimplify_m = 0.5\n'
            'walk_attributes = "villages.csv"\nsurvey = "households.xlsx"\n'
            f'[options]\nvillages = ["{vid}"]\ntime_limit_s = 10\ncertificates = false\nmap = false\n')
    (field_plan / "run.toml").write_text(text, encoding="utf-8")
    run = run_plan(field_plan / "run.toml", out_dir=tmp_path / "out")
    assert run.villages == {vid: "ok"}
    assert (tmp_path / "out" / "imports" / "villages.gpkg").is_file()
    manifest = (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8")
    assert "imports.walks.0000" in manifest and "imports.survey" in manifest
