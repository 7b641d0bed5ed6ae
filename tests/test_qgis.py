"""plan.gpkg opens styled in QGIS: layer styles, one geometry type a layer, the stored project.

The QGIS tests run real PyQGIS (Debian ``python3-qgis``) headless in a subprocess of the
system Python it belongs to (``tests/qgis/read_plan_gpkg.py``), on the GeoPackage of a
one-village plan run. The expected colours and labels are read from colours.toml here,
not from the package.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from landuse import datasets, plan
from landuse.errors import IrrigationError
from landuse.plan import _products, _qgis

SYSTEM_PYTHON = "/usr/bin/python3"
READER = Path(__file__).parent / "qgis" / "read_plan_gpkg.py"
COLOURS = tomllib.loads(resources.files("landuse.maps").joinpath("data/colours.toml").read_text(encoding="utf-8"))
UTM47 = "EPSG:32647"
SCHEME_VILLAGE = "0401020"  # the smallest demo village with an irrigation scheme (S3)

POINTS_AND_LINES = {"scheme_intakes", "scheme_canals", "streams"}
CATEGORISED = {"zones": ("zone", "zone"), "parcels": ("land_type", "land_type"),
               "allocations": ("land_type", "land_type"), "fallow": ("status_class", "status_class"),
               "conflicts": ("severity", "severity")}
GEOMETRY = {"villages": "Polygon", "zones": "Polygon", "parcels": "Polygon", "allocations": "Polygon",
            "fallow": "Polygon", "conflicts": "Polygon", "streams": "Line", "scheme_intakes": "Point",
            "scheme_canals": "Line", "scheme_command_areas": "Polygon", "scheme_catchments": "Polygon"}


def _qgis_python() -> str | None:
    """Why PyQGIS cannot run here, or None."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing (install python3-qgis)"
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, timeout=120,
                       env=_qgis_env(Path("/tmp")))
    return None if r.returncode == 0 else f"python3-qgis is not importable: {r.stderr.strip()[-200:]}"


def _qgis_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_RUNTIME_DIR": str(home)})
    return env


def _read_in_qgis(gpkg: Path, home: Path) -> dict:
    home.mkdir(exist_ok=True, mode=0o700)
    r = subprocess.run([SYSTEM_PYTHON, str(READER), str(gpkg)], capture_output=True, text=True, timeout=300,
                       env=_qgis_env(home), cwd=home)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _plan_file(folder: Path, village: str) -> Path:
    data = datasets.get_path("plan").parent
    for f in ("villages.gpkg", "parcels.gpkg", "households.csv", "dem.tif", "histories.csv", "climate.csv",
              "schemes.toml", "forest.gpkg"):
        (folder / f).symlink_to(data / f)
    inputs = "".join(f'{k} = "{k}.{ext}"\n' for k, ext in (
        ("villages", "gpkg"), ("parcels", "gpkg"), ("households", "csv"), ("dem", "tif"), ("histories", "csv"),
        ("climate", "csv"), ("schemes", "toml"), ("forest", "gpkg")))
    path = folder / "plan.toml"
    path.write_text('[plan]\nname = "qgis test"\nissue_date = "2026-01-15"\n[inputs]\n' + inputs
                    + f'[options]\nvillages = ["{village}"]\ntime_limit_s = 10\ncertificates = false\n'
                      "map = false\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def plan_gpkg(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("qgis_plan")
    (folder / "in").mkdir()
    run = plan.run_plan(_plan_file(folder / "in", SCHEME_VILLAGE), out_dir=folder / "out")
    assert run.villages == {SCHEME_VILLAGE: "ok"}
    return run.outputs["geopackage"]


@pytest.fixture(scope="module")
def in_qgis(plan_gpkg, tmp_path_factory) -> dict:
    why = _qgis_python()
    if why is not None:
        pytest.skip(why)
    return _read_in_qgis(plan_gpkg, tmp_path_factory.mktemp("qgis_home"))


def _bilingual(spec: dict) -> str:
    return f"{spec['lo']} / {spec['en']}"


# -- real QGIS (a one-village plan run, ~15 s) ------------------------------------------
@pytest.mark.slow
def test_every_layer_opens_with_its_default_style_and_one_geometry_type(in_qgis, plan_gpkg):
    layers = in_qgis["layers"]
    assert set(GEOMETRY) <= set(layers), "the plan run writes every layer, schemes split in four"
    assert "schemes" not in layers
    for name, info in layers.items():
        assert info["valid"] and info["feature_count"] > 0, name
        assert info["default_style_loaded"], (name, info["default_style_message"])
        assert info["geometry"] == GEOMETRY[name], name
        if name in CATEGORISED:
            column, vocabulary = CATEGORISED[name]
            assert info["renderer"] == "categorizedSymbol" and info["attribute"] == column, name
            expect = {v: [_bilingual(s), s["colour"]] for v, s in COLOURS[vocabulary].items()}
            expect[""] = ["ຄ່າອື່ນໆ / Other values", "#ffffff"]  # QGIS' "all other values": none hidden
            assert info["categories"] == expect, name
            assert info["value_maps"][column] == {v: _bilingual(s) for v, s in COLOURS[vocabulary].items()}
        else:
            assert info["renderer"] == "singleSymbol", name
            symbol_type = {"Point": 0, "Line": 1, "Polygon": 2}[GEOMETRY[name]]  # Qgis.SymbolType
            assert info["symbol"][0] == symbol_type, name
    assert layers["streams"]["symbol"][1] == "#2171b5" and '"order"' in layers["streams"]["width_expression"]
    assert layers["scheme_canals"]["symbol"][1] == COLOURS["feature"]["canal"]["colour"]
    assert layers["scheme_intakes"]["symbol"][1] == COLOURS["feature"]["intake"]["colour"]
    # labels: village names Lao above English; parcel ids only at large scales
    assert layers["villages"]["labels"] and "name_lo" in layers["villages"]["label_expression"]
    assert layers["villages"]["label_expression"].index("name_lo") < layers["villages"]["label_expression"].index(
        "name_en")
    assert layers["parcels"]["label_expression"] == '"parcel_id"' and layers["parcels"]["label_min_scale"] == 5000
    # field aliases: Lao first, English beside it
    assert layers["allocations"]["aliases"]["land_type"] == "ປະເພດທີ່ດິນ / Land type"
    assert layers["scheme_intakes"]["aliases"]["name_lo"] == "ຊື່ (ລາວ) / Name (Lao)"


@pytest.mark.slow
def test_the_project_in_the_geopackage_has_groups_order_aliases_and_the_utm_crs(in_qgis, plan_gpkg):
    project = in_qgis["project"]
    assert project is not None, "QGIS found no project 'plan' in the GeoPackage"
    assert project["crs"] == f"EPSG:{gpd.read_file(plan_gpkg, layer='villages').crs.to_epsg()}" == UTM47
    groups = {name.split(" / ")[-1]: [lyr[1] for lyr in layers] for name, layers in project["groups"]}
    assert list(groups) == ["Plan", "Allocation", "Fallow", "Irrigation", "Terrain"]
    assert groups["Allocation"] == ["allocations"] and groups["Terrain"] == ["streams"]
    assert set(groups["Irrigation"]) == {"scheme_intakes", "scheme_canals", "scheme_command_areas",
                                         "scheme_catchments"}
    assert sorted(sum(groups.values(), [])) == sorted(in_qgis["layers"])
    assert [n for n, _ in project["groups"]][0] == "ແຜນ / Plan"
    visible = {src: shown for _, layers in project["groups"] for _, src, shown in layers}
    assert visible["allocations"] and visible["zones"] and not visible["parcels"]
    order = project["order"]
    assert project["has_custom_order"] and sorted(order) == sorted(in_qgis["layers"])
    polygons = [order.index(n) for n in order if n not in POINTS_AND_LINES]
    assert max(order.index(n) for n in POINTS_AND_LINES) < min(polygons)
    assert order.index("allocations") < order.index("zones")
    assert order.index("allocations") < order.index("scheme_catchments")
    for name, info in project["layers"].items():
        assert info["valid"] and info["feature_count"] == in_qgis["layers"][name]["feature_count"], name
        assert info["renderer"] == in_qgis["layers"][name]["renderer"], name
    assert project["layers"]["zones"]["categories"]["PADDY"] == ["ນາ / Paddy", COLOURS["zone"]["PADDY"]["colour"]]
    assert project["layers"]["allocations"]["value_maps"]["land_type"]["paddy"] == "ນາ / Paddy"
    assert project["layers"]["allocations"]["aliases"]["certificate_no"] == "ເລກທີໃບຢັ້ງຢືນ / Certificate no."


# -- without QGIS -------------------------------------------------------------------------
def _scheme_layer() -> gpd.GeoDataFrame:
    x, y = 800_000.0, 2_280_000.0
    return gpd.GeoDataFrame(
        {"scheme_id": ["S9", "S9", "S9", "S9"], "feature": ["intake", "command_area", "canal", "catchment"],
         "area_ha": [0.0, 4.0, 0.0, 30.0], "length_m": [0.0, 0.0, 250.0, 0.0]},
        geometry=[Point(x, y), box(x, y - 300, x + 200, y - 100), LineString([(x, y), (x + 100, y - 150)]),
                  box(x - 400, y, x + 300, y + 500)], crs=UTM47)


def test_split_schemes_gives_one_geometry_type_a_layer_with_the_scheme_figures():
    summary = {"S9": {"village_id": "V1", "name_lo": "ຝາຍ <x>", "name_en": "Weir 'x'", "families": 3,
                      "design_flow_l_s": 12.5, "dependable_flow_l_s": 7.0, "source_sufficient": False}}
    parts = _qgis.split_schemes(_scheme_layer(), summary)
    assert {k: set(v.geom_type) for k, v in parts.items()} == {
        "scheme_intakes": {"Point"}, "scheme_canals": {"LineString"}, "scheme_command_areas": {"Polygon"},
        "scheme_catchments": {"Polygon"}}
    assert parts["scheme_canals"]["length_m"].tolist() == [250.0] and "area_ha" not in parts["scheme_canals"]
    assert parts["scheme_command_areas"]["area_ha"].tolist() == [4.0]
    assert "area_ha" not in parts["scheme_intakes"] and "length_m" not in parts["scheme_intakes"]
    intake = parts["scheme_intakes"].iloc[0]
    assert (intake["name_lo"], intake["families"], intake["design_flow_l_s"]) == ("ຝາຍ <x>", 3, 12.5)
    assert all(p.geometry.name == p.columns[-1] and "feature" not in p for p in parts.values())
    bad = _scheme_layer()
    bad.loc[0, "feature"] = "weir"
    with pytest.raises(IrrigationError, match="feature 'S9', column 'feature': feature 'weir' has no GeoPackage layer. Fix: use one of canal"):
        _qgis.split_schemes(bad, summary)


def _small_layers() -> dict[str, gpd.GeoDataFrame]:
    x, y = 800_000.0, 2_280_000.0
    villages = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Pa<sak>"], "name_lo": ["ປ່າສັກ"]},
                                geometry=[box(x - 500, y - 500, x + 500, y + 600)], crs=UTM47)
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], "village_id": ["V1", "V1"],
                                "land_type": ["paddy", "upland"]},
                               geometry=[box(x, y, x + 100, y + 100), box(x + 100, y, x + 200, y + 100)], crs=UTM47)
    streams = gpd.GeoDataFrame({"stream_id": [1], "order": [2]}, geometry=[LineString([(x, y), (x, y + 400)])],
                               crs=UTM47)
    return {"villages": villages, "parcels": parcels, "streams": streams, "schemes": _scheme_layer()}


def test_geopackage_styles_name_the_real_geometry_column_and_the_project_is_byte_stable(tmp_path):
    class Scheme:  # what _write_geopackage reads of a sized scheme
        spec = type("Spec", (), {"scheme_id": "S9"})
        summary = {"village_id": "V1", "name_lo": "ຝາຍ", "name_en": "Weir", "families": 3}

    paths = []
    for run in ("a", "b"):
        gpkg = tmp_path / run / "plan.gpkg"
        gpkg.parent.mkdir()
        _products._write_geopackage(gpkg, _small_layers(), schemes=[Scheme()])
        paths.append(gpkg)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    con = sqlite3.connect(paths[0])
    try:
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        styles = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles")
        rows = {t: (g, d, q) for t, g, d, q in styles.fetchall()}
        (name, metadata, content), = con.execute("SELECT name, metadata, content FROM qgis_projects").fetchall()
    finally:
        con.close()
    assert set(geom) == {"villages", "parcels", "streams", "scheme_intakes", "scheme_canals",
                         "scheme_command_areas", "scheme_catchments"}
    assert {t: r[0] for t, r in rows.items()} == geom and all(r[1] == 1 for r in rows.values())
    assert 'type="categorizedSymbol" attr="land_type"' in rows["parcels"][2]
    ET.fromstring(rows["villages"][2].split("'SYSTEM'>", 1)[1])  # well-formed QML
    assert name == "plan" and "2000-01-01" in json.loads(metadata)["last_modified_time"]
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as zf:
        (entry,) = zf.infolist()
        qgs = ET.fromstring(zf.read(entry).split(b"'SYSTEM'>", 1)[1])
    assert entry.filename == "plan.qgs" and entry.date_time == (1980, 1, 1, 0, 0, 0)
    sources = [e.text for e in qgs.iter("datasource")]
    assert sorted(sources) == sorted(f"./plan.gpkg|layername={t}" for t in geom)  # the final name, not the temp
    assert qgs.find("projectCrs/spatialrefsys/authid").text == UTM47


def test_landuse_map_joins_the_scheme_layers_of_a_plan_geopackage_again(tmp_path):
    from landuse.cli.map import read_plan_layers

    gpkg = tmp_path / "plan.gpkg"
    _products._write_geopackage(gpkg, _small_layers(), schemes=[])
    layers = read_plan_layers(gpkg)
    assert list(layers) == ["villages", "schemes", "parcels", "streams"]  # the map's drawing order: irrigation areas under the parcels
    assert sorted(layers["schemes"]["feature"]) == ["canal", "catchment", "command_area", "intake"]
    assert set(read_plan_layers(gpkg, ["scheme_canals"])) == {"scheme_canals"}  # asked for by name: as stored
