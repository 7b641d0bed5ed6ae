"""tools/make_province.py: a deterministic synthetic province over several DEM tiles."""

from __future__ import annotations

import filecmp
import importlib.util
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from landuse import io

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gen():
    sys.path.insert(0, str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location(
        "make_province", ROOT / "tools" / "make_province.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tiny_province_is_deterministic_tiled_and_consistent(gen, shared_data, tmp_path):
    # 9 villages = 2 tiles; --distinct 1: the second tile repeats the first, 12 km east
    stats = [
        gen.generate(tmp_path / n, villages=9, distinct=1, shared=shared_data, quiet=True)
        for n in "ab"
    ]
    assert stats[0] == stats[1]
    a, b = tmp_path / "a", tmp_path / "b"
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert {
        "plan.toml",
        "dem.vrt",
        "dem/dem_r00c00.tif",
        "dem/dem_r00c01.tif",
        "NOTICE.md",
    } <= set(files)
    _, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors

    reg = pd.read_csv(shared_data / "lao_village_register" / "oudomxay_villages.csv", dtype=str)
    v = io.read_villages(a / "villages.gpkg")
    assert v["village_id"].tolist() == reg["village_code"].tolist()[:9]
    assert v["name_lo"].tolist() == reg["village_lo"].tolist()[:9]
    assert v["source"].str.contains("synthetic").all()
    # the repeated tile: village 8 is village 1 moved by one tile width (12 km) east
    g1, g8 = v.geometry.iloc[0], v.geometry.iloc[7]
    assert g8.equals_exact(gpd.GeoSeries([g1]).translate(12_000.0, 0.0).iloc[0], 1e-6)

    parcels = io.read_parcels(a / "parcels.gpkg")
    hh = io.read_households(a / "households.csv")
    assert parcels["parcel_id"].is_unique and hh["household_id"].is_unique
    assert set(parcels["village_id"]) == set(v["village_id"]) == set(hh["village_id"])
    held = set(parcels["household_id"].dropna())
    assert held <= set(hh["household_id"])
    assert (parcels["parcel_id"].str.slice(0, 7) == parcels["village_id"]).all()
    with open(a / "schemes.toml", "rb") as fh:
        schemes = tomllib.load(fh)["scheme"]
    assert schemes and all(
        set(s["paddy_parcel_ids"]) <= set(parcels["parcel_id"]) for s in schemes
    )
    assert len({s["scheme_id"] for s in schemes}) == len(schemes)

    # the VRT mosaic is one raster of 1 x 2 tiles; the second tile repeats the first
    dem = io.read_raster(a / "dem.vrt")
    assert dem.shape == (600, 1200)
    assert np.array_equal(dem.data[:, :600], dem.data[:, 600:])
    assert dem.transform.c == gen.GRID_X0 and dem.transform.f == gen.GRID_Y1

    from landuse import check

    rep = check.check_files(
        villages=a / "villages.gpkg",
        parcels=a / "parcels.gpkg",
        households=a / "households.csv",
        dem=a / "dem.vrt",
        histories=a / "histories.csv",
        climate=a / "climate.csv",
    )
    assert not len(rep[rep["severity"] == "error"]), (
        rep[rep["severity"] == "error"].head().to_dict("records")
    )


def test_villages_out_of_range_and_non_empty_folder_are_refused(gen, shared_data, tmp_path):
    with pytest.raises(SystemExit, match=r"--villages must be 1\.\.540"):
        gen.generate(tmp_path / "x", villages=541, shared=shared_data, quiet=True)
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not empty"):
        gen.generate(tmp_path / "y", villages=1, shared=shared_data, quiet=True)
    assert (tmp_path / "y" / "keep.txt").read_text() == "mine"
