"""`landuse check` on messy real data (issue 18, part 6): grouped findings, mapping files,
one CRS advice, fixes for QGIS users.

The messy sample is built here: villages as an EPSG:4326 GeoJSON, parcels as an
EPSG:4326 Shapefile with 820 "Rice field" and 15 "Orchad" land types, a households
CSV with an Excel-style "Household ID" header, and a DEM in UTM 48N (the villages lie
at 102.30 °E, so in zone 48: floor((102.30 + 180) / 6) + 1 = 48).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import box

from landuse import datasets, io, plan
from landuse.check import (
    CODES,
    check_files,
    check_inputs,
    draft_mapping,
    group_findings,
    read_mapping,
)
from landuse.check._fixes import QGIS_FIXES
from landuse.cli.main import cli
from landuse.errors import LanduseError, RuleError, SchemaError
from landuse.plan import _products as _plan_products
from landuse.plan import _run as _plan_run

LON0, LAT0 = 102.30, 20.60  # UTM zone 48N
STEP = 0.0009  # parcel side [degrees], about 94 m x 100 m
N_RICE, N_TYPO, N_OK = 820, 15, 5
N_PARCELS = N_RICE + N_TYPO + N_OK

MAPPING = """\
[columns.households]
"Household ID" = "household_id"

[values.parcels.land_type]
"Rice field" = "paddy"
"orchad" = "permanent"   # values match case-insensitively
"""


def messy(folder: Path, *, lon0: float = LON0, dem_crs: str | None = "EPSG:32648") -> dict[str, Path]:
    """Write the messy sample into *folder*; return the paths by input."""
    folder.mkdir(parents=True, exist_ok=True)
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2"], "name_en": ["Pasak", "Nam Ngeun"], "name_lo": ["ປ່າສັກ", "ນ້ຳເງິນ"]},
        geometry=[box(lon0, LAT0, lon0 + 21 * STEP, LAT0 + 20 * STEP),
                  box(lon0 + 21 * STEP, LAT0, lon0 + 42 * STEP, LAT0 + 20 * STEP)],
        crs="EPSG:4326")
    villages.to_file(folder / "villages.geojson", engine="pyogrio")
    cells = [(k % 42, k // 42) for k in range(N_PARCELS)]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{k:04d}" for k in range(N_PARCELS)],
         "village_id": ["V1" if i < 21 else "V2" for i, _ in cells],
         "land_type": ["Rice field"] * N_RICE + ["Orchad"] * N_TYPO + ["paddy"] * N_OK,
         "household_": [f"H{k % 40:03d}" for k in range(N_PARCELS)]},  # a Shapefile's 10 characters
        geometry=[box(lon0 + i * STEP, LAT0 + j * STEP, lon0 + (i + 1) * STEP, LAT0 + (j + 1) * STEP)
                  for i, j in cells],
        crs="EPSG:4326")
    parcels.to_file(folder / "parcels.shp", engine="pyogrio")
    pd.DataFrame({"Household ID": [f"H{k:03d}" for k in range(40)],
                  "village_id": ["V1" if k % 2 == 0 else "V2" for k in range(40)],
                  "head_name": [f"Head {k}" for k in range(40)], "members": 5, "labour_units": 3},
                 ).to_csv(folder / "households.csv", index=False)
    paths = {"villages": folder / "villages.geojson", "parcels": folder / "parcels.shp",
             "households": folder / "households.csv"}
    if dem_crs is not None:
        to = Transformer.from_crs("EPSG:4326", dem_crs, always_xy=True)
        x0, y0 = to.transform(lon0 - 0.01, LAT0 + 20 * STEP + 0.01)
        x1, y1 = to.transform(lon0 + 42 * STEP + 0.01, LAT0 - 0.01)
        cols, rows = 60, 40
        cx, cy = (x1 - x0) / cols, (y0 - y1) / rows
        dem = (600 + np.add.outer(np.arange(rows), np.arange(cols))).astype("float32")
        paths["dem"] = io.write_raster(dem, folder / "dem.tif", transform=Affine(cx, 0, x0, 0, -cy, y0),
                                       crs=dem_crs, nodata=-9999.0)
    return paths


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Path]:
    return messy(tmp_path_factory.mktemp("messy"))


@pytest.fixture(scope="module")
def findings(sample) -> pd.DataFrame:
    return check_files(**sample)


def _args(paths: dict[str, Path]) -> list[str]:
    return ["check", *[a for k, p in paths.items() for a in (f"--{k}", str(p))]]


# -- grouping -------------------------------------------------------------------------------
def test_grouped_findings_one_row_per_problem_with_counts_and_examples(sample, findings):
    summary = check_files(**sample, grouped=True)
    pd.testing.assert_frame_equal(summary, group_findings(findings))
    got = {(r.code, r.layer, r.column, r.count) for r in summary.itertuples()}
    assert got == {
        ("CRS_GEOGRAPHIC", "villages, parcels", None, 2),
        ("COLUMN_MISSING", "households", "household_id", 1),
        ("LAND_TYPE_UNKNOWN", "parcels", "land_type", N_RICE),
        ("LAND_TYPE_UNKNOWN", "parcels", "land_type", N_TYPO),
        ("CRS_MISMATCH", "dem", None, 1),
        ("CHECK_SKIPPED", "households", None, 1),  # household references need household_id
        ("CHECK_SKIPPED", "parcels", None, 1),  # topology needs a projected CRS
    }, summary.to_string()
    # nothing lost: the counts add up to every finding
    assert summary["count"].sum() == len(findings) == 2 + 1 + N_RICE + N_TYPO + 1 + 2
    rice = summary[summary["value"] == "Rice field"].iloc[0]
    assert rice["examples"] == "P0000, P0001, P0002, …"
    assert rice["message"] == "land_type 'Rice field' is not in the vocabulary."
    assert "'paddy'" in rice["fix"] and "THEN 'paddy'" in rice["fix_qgis"]
    typo = summary[summary["value"] == "Orchad"].iloc[0]
    assert typo["examples"] == f"P{N_RICE:04d}, P{N_RICE + 1:04d}, P{N_RICE + 2:04d}, …"
    assert "'permanent'" in typo["fix"]  # difflib: 'orchad' is close to the spelling 'orchard'


def test_group_slots_keep_common_values_and_mark_varying_ones():
    msgs = [f"parcels {a!r} and {b!r} overlap by {m:,.1f} m²." for a, b, m in
            (("A", "B", 12.5), ("C", "D", 1234.0), ("A", "E", 12.5))]
    df = pd.DataFrame({"severity": "error", "code": "PARCEL_OVERLAP", "layer": "parcels",
                       "feature_id": ["A", "C", "A"], "message": msgs})
    out = group_findings(df, examples=1)
    assert out[["count", "examples"]].values.tolist() == [[3, "A, …"]]
    assert out["message"][0] == "parcels … and … overlap by … m²."
    same = group_findings(df.iloc[[0, 2]])
    assert same["message"][0] == "parcels 'A' and … overlap by 12.5 m²." and same["examples"][0] == "A"


_ROW = st.tuples(st.sampled_from(["error", "warning", "info"]),
                 st.sampled_from(["GAP", "SLIVER", "LAND_TYPE_UNKNOWN", "VALUE_RANGE"]),
                 st.sampled_from(["villages", "parcels"]), st.sampled_from([None, "land_type"]),
                 st.integers(-3, 3000), st.sampled_from(["a", "b'c", "P 1"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=40))
def test_grouping_loses_nothing(rows):
    df = pd.DataFrame([{"severity": s, "code": c, "layer": lay, "feature_id": f"F{n}", "column": col,
                        "value": v, "message": f"{col} {v!r} is {n:,} wide.", "fix": f"fix {n}",
                        "fix_qgis": "QGIS"} for s, c, lay, col, n, v in rows],
                      columns=["severity", "code", "layer", "feature_id", "column", "value", "message",
                               "fix", "fix_qgis"])
    out = group_findings(df)
    assert out["count"].sum() == len(df)
    # one group per distinct (severity, code, column, template): quoted values and numbers are
    # slots of the template; unknown land types group per value
    distinct = {(s, c, col, v if c == "LAND_TYPE_UNKNOWN" else None) for s, c, _, col, _, v in rows}
    assert len(out) == len(distinct)
    for r in out.itertuples():  # each group's layers are exactly its findings' layers
        members = df[(df.severity == r.severity) & (df.code == r.code)
                     & (df.column.fillna("-") == (r.column or "-"))]
        assert set(r.layer.split(", ")) <= set(members.layer)


# -- the mapping file -----------------------------------------------------------------------
def test_mapping_file_makes_the_mapped_issues_clean(sample, tmp_path):
    (tmp_path / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    report = check_files(**sample, mapping=tmp_path / "mapping.toml")
    codes = set(report.loc[report.severity != "info", "code"])
    assert codes == {"CRS_GEOGRAPHIC", "CRS_MISMATCH"}  # what a mapping cannot fix stays
    notes = report.loc[report.code == "MAPPING_APPLIED", "message"].tolist()
    assert any(f"land_type 'Rice field' to 'paddy' ({N_RICE} rows)" in n for n in notes), notes
    assert any(f"land_type 'Orchad' to 'permanent' ({N_TYPO} rows)" in n for n in notes), notes
    assert any("renamed 'Household ID' to household_id" in n for n in notes), notes
    # in memory too, and the households' ids are now checked against the parcels' references
    hh = pd.read_csv(sample["households"], dtype=str)
    hh.loc[0, "Household ID"] = "H999"
    mem = check_inputs(households=hh, parcels=gpd.read_file(sample["parcels"]),
                       mapping=read_mapping(tmp_path / "mapping.toml"))
    assert set(mem.loc[mem.severity == "error", "code"]) == {"CRS_GEOGRAPHIC", "PARCEL_UNKNOWN_HOUSEHOLD"}


BAD_MAPPINGS = {
    "unknown table": ('[colums.households]\n"Household ID" = "household_id"\n',
                      r"table \[colums\]: unknown table.*did you mean 'columns'"),
    "unknown input": ('[columns.housholds]\n"Household ID" = "household_id"\n',
                      r"line 1: key 'housholds' in \[columns\].*did you mean 'households'"),
    "unknown column": ('[columns.households]\n"Household ID" = "household"\n',
                       r"line 2: key 'Household ID' in \[columns.households\]: maps to 'household', "
                       r"which is not a column of households.*did you mean 'household_id'"),
    "unknown value": ('[values.parcels.land_type]\n"Rice field" = "rice"\n',
                      r"line 2: key 'Rice field' in \[values.parcels.land_type\]: maps to 'rice', which "
                      r"is not a land_type value.*paddy, upland"),
    "no vocabulary": ('[values.households.members]\n"five" = "5"\n',
                      r"line 1: .*households.members has no vocabulary"),
    "one column twice": ('[columns.households]\n"HH" = "household_id"\n"ID" = "household_id"\n',
                         r"line 3: key 'ID' in \[columns.households\]: maps to 'household_id', as 'HH'"),
    "not text": ('[columns.households]\n"HH" = 3\n', r"line 2: key 'HH' in \[columns.households\]"),
}


@pytest.mark.parametrize("case", list(BAD_MAPPINGS))
def test_mapping_file_errors_name_the_file_and_the_key(tmp_path, case):
    text, pattern = BAD_MAPPINGS[case]
    path = tmp_path / "my mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as err:
        read_mapping(path)
    assert str(err.value).startswith(str(path)), str(err.value)
    assert re.search(pattern, str(err.value), re.S), str(err.value)
    # the CLI says it in one line, exit 1
    res = CliRunner().invoke(cli, ["check", "--households", str(path), "--mapping", str(path)])
    assert res.exit_code == 1 and str(path) in res.output and "Traceback" not in res.output


def test_mapping_conflict_is_a_finding_and_a_reader_error(tmp_path):
    (tmp_path / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    hh = tmp_path / "households.csv"
    pd.DataFrame({"Household ID": ["H1"], "household_id": ["H2"], "village_id": ["V1"],
                  "head_name": ["A"], "members": [3], "labour_units": [2]}).to_csv(hh, index=False)
    report = check_files(households=hh, mapping=tmp_path / "mapping.toml")
    rows = report[report.code == "MAPPING_CONFLICT"]
    assert len(rows) == 1 and "'Household ID' to 'household_id'" in rows.message.iloc[0]
    with pytest.raises(SchemaError, match="has a column 'household_id' already"):
        io.read_households(hh, mapping=read_mapping(tmp_path / "mapping.toml"))


# -- CRS advice -------------------------------------------------------------------------------
def _crs_advice(report: pd.DataFrame) -> list[str]:
    rows = report[report.code.str.startswith("CRS_")]
    assert len(rows)
    return [*rows.fix, *rows.fix_qgis, *(m.split(" Fix: ", 1)[1] for m in rows.message)]


@pytest.mark.parametrize(("lon0", "dem_crs", "target"), [
    (LON0, "EPSG:32648", "EPSG:32648"),  # the DEM's projected CRS (no resampling)
    (LON0, "EPSG:4326", "EPSG:32648"),  # nothing projected: the UTM zone of the villages' centre
    (LON0, None, "EPSG:32648"),
    (101.50, "EPSG:4326", "EPSG:32647"),  # floor((101.5 + 180) / 6) + 1 = 47
])
def test_crs_advice_is_one_projected_target_never_4326(tmp_path, lon0, dem_crs, target):
    report = check_files(**messy(tmp_path, lon0=lon0, dem_crs=dem_crs))
    advice = _crs_advice(report)
    assert not [a for a in advice if "4326" in a], advice
    assert {m for a in advice for m in re.findall(r"EPSG:\d+", a)} == {target}, advice
    if dem_crs == "EPSG:4326":  # the DEM itself is told to be warped to the UTM zone
        dem = report[(report.layer == "dem") & (report.code == "CRS_GEOGRAPHIC")].iloc[0]
        assert f"gdalwarp -t_srs {target}" in dem.fix and "Raster ▸ Projections ▸ Warp" in dem.fix_qgis


def test_every_code_has_a_qgis_fix_and_findings_carry_one(findings):
    assert set(QGIS_FIXES) == set(CODES)
    assert findings["fix_qgis"].str.len().gt(20).all()


# -- CLI ----------------------------------------------------------------------------------------
def test_cli_prints_grouped_findings_in_few_lines(sample):
    res = CliRunner().invoke(cli, _args(sample), env={"COLUMNS": "100"})
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert len(lines) < 40, res.output
    assert lines[0] == "Errors (839) in 5 problems"
    assert any(ln.startswith(f"  {N_RICE} × LAND_TYPE_UNKNOWN (parcels, land_type; e.g. P0000")
               for ln in lines), res.output
    assert sum(ln.lstrip().startswith("QGIS:") for ln in lines) == 5
    assert sum(ln.lstrip().startswith("Fix:") for ln in lines) == 5
    assert "--all lists all 841 findings" in res.output
    everything = CliRunner().invoke(cli, [*_args(sample), "--all"])
    assert len(everything.output.splitlines()) > N_RICE
    records = json.loads(CliRunner().invoke(cli, [*_args(sample), "--format", "json"]).output)
    assert len(records) == 841 and all(r["fix_qgis"] for r in records)


def test_cli_write_mapping_drafts_a_mapping_that_works(sample, tmp_path):
    draft = tmp_path / "draft.toml"
    res = CliRunner().invoke(cli, [*_args(sample), "--write-mapping", str(draft)])
    assert res.exit_code == 1 and "mapping drafted" in res.output
    text = draft.read_text(encoding="utf-8")
    assert '"Household ID" = "household_id"' in text
    assert '"Rice field" = "paddy"' in text and '"Orchad" = "permanent"' in text
    after = check_files(**sample, mapping=draft)
    assert not {"COLUMN_MISSING", "LAND_TYPE_UNKNOWN"} & set(after.code)
    again = CliRunner().invoke(cli, [*_args(sample), "--write-mapping", str(draft)])
    assert again.exit_code == 1 and "exists" in again.output and draft.read_text(encoding="utf-8") == text
    # a value without a close match is left for the planner, as a comment
    odd = pd.DataFrame({"code": ["LAND_TYPE_UNKNOWN"], "value": ["Xyzzy"], "layer": ["parcels"],
                        "column": ["land_type"]})
    assert '# "Xyzzy" = ""  # choose one of paddy' in draft_mapping(odd)


# -- run ----------------------------------------------------------------------------------------
DATA = datasets.get_path("plan").parent
FILES = ("villages.gpkg", "parcels.gpkg", "households.csv", "dem.tif")


def _demo_folder(tmp_path: Path, mapping: str | None) -> Path:
    """The demo inputs with Excel-style headers and 'Rice field' land types, and a plan file."""
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    for f in FILES:
        shutil.copy(DATA / f, folder / f)
    hh = pd.read_csv(folder / "households.csv", dtype=str, keep_default_na=False)
    hh.rename(columns={"household_id": "Household ID"}).to_csv(folder / "households.csv", index=False)
    parcels = gpd.read_file(folder / "parcels.gpkg")
    parcels["land_type"] = parcels["land_type"].replace({"paddy": "Rice field"})
    (folder / "parcels.gpkg").unlink()
    parcels.to_file(folder / "parcels.gpkg", layer="parcels", engine="pyogrio")
    inputs = "".join(f'{f.split(".")[0]} = "{f}"\n' for f in FILES)
    if mapping is not None:
        (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
        inputs += 'mapping = "mapping.toml"\n'
    (folder / "plan.toml").write_text(f'[plan]\nname = "t"\n[inputs]\n{inputs}', encoding="utf-8")
    return folder


def test_run_reads_the_inputs_through_the_plans_mapping(tmp_path):
    folder = _demo_folder(tmp_path, MAPPING)
    p = plan.load_plan(folder / "plan.toml")
    assert p.inputs["mapping"] == (folder / "mapping.toml").resolve()
    inputs = _plan_run.load_inputs(p)
    assert inputs.failures == {}
    assert "household_id" in inputs.households.columns
    assert "Rice field" not in set(inputs.parcels["land_type"]) and "paddy" in set(inputs.parcels["land_type"])
    applied = inputs.check[inputs.check.code == "MAPPING_APPLIED"]
    assert set(applied.layer) == {"households", "parcels"}
    # tables/check.csv keeps every finding for machines, check_summary.csv groups them for people
    out = _plan_products._write_tables(tmp_path / "tables", p, inputs, [], set(), inputs.parcels, [])
    full = pd.read_csv(out["table:check"], dtype=str)
    summary = pd.read_csv(out["table:check_summary"], dtype=str)
    assert len(full) == len(inputs.check) and "fix_qgis" in full.columns
    assert summary["count"].astype(int).sum() == len(full)


def test_run_without_the_mapping_stops_and_a_bad_mapping_fails_the_plan(tmp_path):
    with pytest.raises(LanduseError, match="COLUMN_MISSING: required column 'household_id'"):
        _plan_run.load_inputs(plan.load_plan(_demo_folder(tmp_path / "a", None) / "plan.toml"))
    folder = _demo_folder(tmp_path / "b", '[columns.households]\n"Household ID" = "hh"\n')
    with pytest.raises(RuleError, match=r"mapping.toml, line 2: key 'Household ID'.*not a column"):
        plan.load_plan(folder / "plan.toml")


def test_history_statuses_are_drafted_and_mapped(tmp_path):
    hist = pd.DataFrame({"plot_id": ["A", "A", "B"], "year": [2020, 2021, 2021],
                         "status": ["Cropped 2023", "fallw", "Swamp"]})
    report = check_inputs(histories=hist)
    assert report[report.code == "STATUS_UNKNOWN"]["value"].tolist() == ["Cropped 2023", "fallw", "Swamp"]
    text = draft_mapping(report)
    assert '"Cropped 2023" = "cultivated"' in text and '"fallw" = "fallow"' in text
    assert '# "Swamp" = ""  # choose one of cultivated, fallow, other' in text
    (tmp_path / "m.toml").write_text(text.replace('# "Swamp" = ""', '"Swamp" = "other"'), encoding="utf-8")
    assert check_inputs(histories=hist, mapping=tmp_path / "m.toml").code.tolist() == ["MAPPING_APPLIED"]
