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
