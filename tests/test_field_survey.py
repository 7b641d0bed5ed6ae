"""Survey exports and household lists -> households table (landuse.field.survey)."""

from __future__ import annotations

import pandas as pd
import pytest
from field_samples import kobo_export

from landuse.errors import RuleError, SchemaError
from landuse.field import load_mapping, read_survey


def _lu(ages):
    # the derived defaults of domain.md §5.3, written out independently of entitlements.py
    return sum(1.0 if 15 <= a <= 60 else 0.5 if (12 <= a < 15 or a > 60) else 0.0 for a in ages)


def test_kobo_export_with_repeat_group(tmp_path):
    path, ages_of = kobo_export(tmp_path / "export.xlsx", n_households=40)
    res = read_survey(path)
    hh = res.households.set_index("household_id")
    assert len(hh) == 40
    for h, ages in ages_of.items():
        assert hh.loc[h, "members"] == len(ages)
        assert hh.loc[h, "labour_units"] == pytest.approx(_lu(ages))
    assert set(hh["ethnicity"]) <= {"Khmu", "Hmong", "Lue"}
    assert hh.loc["HH-0001", "landless"] == "yes" and hh.loc["HH-0002", "landless"] == "no"
    assert hh.loc["HH-0001", "head_name_lo"] == "ທ້າວ ບຸນມີ"
    assert res.columns["head_name"] == "hh/head/head_name"
    from landuse.check import check_inputs

    rep = check_inputs(households=res.households)
    assert not (rep["severity"] == "error").any(), rep


def test_excel_list_with_lao_headers_and_decimal_commas(tmp_path):
    df = pd.DataFrame({"Household ID": ["1", "2", "3"], "ລະຫັດບ້ານ": ["V1", "V1", "V2"],
                       "Head": ["A", "B", "C"], "ຊື່ຫົວໜ້າຄົວເຮືອນ": ["ກ", "ຂ", "ຄ"],
                       "No. members": ["5", "໓", "4"], "Labour": ["2,5", "1,5", "3"], "Ethnicity": ["2", "9", "1"]})
    df = df.rename(columns={"No. members": "hh size"})
    p = tmp_path / "list.xlsx"
    df.to_excel(p, index=False)
    res = read_survey(p)
    hh = res.households
    assert hh["labour_units"].tolist() == [2.5, 1.5, 3.0]
    assert hh["members"].tolist() == [5, 3, 4]
    assert hh["head_name_lo"].tolist() == ["ກ", "ຂ", "ຄ"]
    # unknown select code kept and reported, nothing dropped
    assert hh["ethnicity"].tolist() == ["Hmong", "9", "Khmu"]
    assert res.report["message"].str.contains("'9'").any()


def test_ages_in_one_cell_csv(tmp_path):
    p = tmp_path / "hh.csv"
    p.write_text("hh_id,village,head_name,ages\nH1,V1,A,45;41;16;13;9;70\n", encoding="utf-8")
    hh = read_survey(p).households
    assert hh.loc[0, "members"] == 6 and hh.loc[0, "labour_units"] == 4.0


def test_clear_errors(tmp_path):
    p = tmp_path / "hh.csv"
    p.write_text("id_x,village,head_name,members,labour_units\nH1,V1,A,3,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"hh\.csv.*household_id.*headers are 'id_x'.*Fix: add the header"):
        read_survey(p)
    p.write_text("hh_id,village,head_name,members\nH1,V1,A,3\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no member ages and no labour_units"):
        read_survey(p)
    p.write_text("hh_id,village,head_name,members,labour_units\nH1,V1,A,3,two\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="row 2: 'two' is not a number"):
        read_survey(p)
    p.write_text("hh_id,village,head_name,members,labour_units\nH1,V1,A,3,2\nH1,V1,B,2,1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="more than once"):
        read_survey(p)
    m = tmp_path / "m.toml"
    m.write_text("[columns]\nhousehold = ['x']\n", encoding="utf-8")
    with pytest.raises(RuleError, match="unknown households column"):
        load_mapping(m)
    m.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(RuleError, match="TOML"):
        load_mapping(m)


def test_custom_mapping(tmp_path):
    p = tmp_path / "hh.csv"
    p.write_text("No,Ban,Chief,Size,Workers\n7,V9,Z,4,2\n", encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text('[columns]\nhousehold_id = "No"\nvillage_id = "Ban"\nhead_name = "Chief"\n'
                 'members = "Size"\nlabour_units = "Workers"\n', encoding="utf-8")
    hh = read_survey(p, mapping=m).households
    assert hh.to_dict("records")[0] == {"household_id": "7", "village_id": "V9", "head_name": "Z",
                                        "members": 4, "labour_units": 2.0}


def test_example_xlsform_is_valid_and_fits_the_default_mapping():
    from importlib import resources

    pyxform = pytest.importorskip("pyxform.xls2xform")  # test extra; declared in pyproject
    path = resources.files("landuse.field").joinpath("data", "household_survey.xlsx")
    xform = pyxform.convert(xlsform=str(path)).xform
    m = load_mapping()
    for q in ("hh_id", "village", "head_name", "head_name_lo", "ethnicity", "landless", "n_members", "age"):
        assert f"/{q}" in xform
    assert "members" in xform and "ຄົວເຮືອນ" in xform
    # every ethnicity code of the form is in the mapping's choices
    import openpyxl

    ws = openpyxl.load_workbook(str(path))["choices"]
    codes = {str(r[1]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "ethnicity"}
    assert codes == set(m["choices"]["ethnicity"])


def test_cli_import_survey_and_walks(tmp_path):
    from click.testing import CliRunner
    from field_samples import walk_points, write_gpx

    from landuse.cli.main import cli
    from landuse.datasets import load_demo

    v = load_demo().villages
    path, _ = kobo_export(tmp_path / "export.xlsx", n_households=5, villages=tuple(v.village_id[:2]))
    for k, r in enumerate(v.head(2).itertuples()):
        write_gpx(walk_points(r.geometry, seed=k), v.crs, tmp_path / f"{r.village_id}.gpx", name=r.name_en)
    run = CliRunner().invoke
    res = run(cli, ["import", "walks", str(tmp_path / "0401015.gpx"), str(tmp_path / "0401016.gpx"),
                    "--out", str(tmp_path / "v.gpkg")])
    assert res.exit_code == 0, res.output
    assert "closure gap" in res.output and "check: 0 error(s)" in res.output
    res = run(cli, ["import", "survey", str(path), "--out", str(tmp_path / "hh.csv"),
                    "--villages", str(tmp_path / "v.gpkg")])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "hh.csv").shape[0] == 5
    res = run(cli, ["import", "survey", str(path), "--out", str(tmp_path / "hh.csv")])  # exists: refused
    assert res.exit_code == 1 and "Traceback" not in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n", encoding="utf-8")
    res = run(cli, ["import", "survey", str(bad), "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "household_id" in res.output
