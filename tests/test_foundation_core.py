"""Errors, the CRS contract, the Raster object and atomic writes."""

from __future__ import annotations

import pickle

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

import landuse
from landuse import crs as lcrs
from landuse import errors, io
from landuse.raster import Raster


def test_error_hierarchy_and_message():
    err = errors.SchemaError("bad", source="x.csv", feature_id="H1", column="members", hint="fix it")
    assert isinstance(err, errors.LanduseError) and isinstance(err, ValueError)
    assert str(err) == "x.csv, feature 'H1', column 'members': bad. Fix: fix it"
    assert isinstance(errors.DataReadError("x"), OSError)
    assert isinstance(errors.OutputExistsError("x"), FileExistsError)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and type(again) is errors.SchemaError


def test_to_projected_picks_utm47_for_oudomxay():
    gdf = gpd.GeoDataFrame(geometry=[Point(101.98368, 20.69229)], crs="EPSG:4326")
    out = lcrs.to_projected(gdf)
    assert out.crs.to_epsg() == 32647
    assert gdf.crs.to_epsg() == 4326  # input untouched


def test_require_projected_rejects_geographic_and_missing(one_ha_parcels):
    with pytest.raises(errors.CRSError, match="geographic CRS.*to_projected"):
        lcrs.require_projected(one_ha_parcels.to_crs(4326), layer="parcels")
    with pytest.raises(errors.CRSError, match="no coordinate reference system"):
        lcrs.require_projected(one_ha_parcels.set_crs(None, allow_override=True), layer="parcels")
    lcrs.require_projected(one_ha_parcels)


def test_utm_crs_for_bad_input():
    with pytest.raises(errors.CRSError, match="outside the valid range"):
        lcrs.utm_crs_for(20.0, 101.0 + 90)


def test_same_crs_is_enforced(one_ha_parcels, one_village):
    from landuse import _validate

    _validate.require_same_crs({"parcels": one_ha_parcels, "villages": one_village})
    with pytest.raises(errors.CRSError, match="never combined silently"):
        _validate.require_same_crs({"parcels": one_ha_parcels, "villages": one_village.to_crs(4326)})


def test_raster_valid_mask_and_bounds(plane_dem):
    z, t = plane_dem
    z = z.copy()
    z[0, 0] = -9999
    r = Raster(z, t, "EPSG:32647", -9999.0)
    assert r.valid.sum() == z.size - 1
    assert np.isnan(r.as_float()[0, 0])
    assert r.bounds == (500000.0, 2290000.0, 501200.0, 2291000.0)
    with pytest.raises(errors.RasterError, match="2-D"):
        Raster(np.zeros(3), t)
    with pytest.raises(errors.CRSError, match="geographic"):
        Raster(z, t, "EPSG:4326").require_projected()


def test_atomic_output_never_overwrites_and_cleans_up(tmp_path):
    out = tmp_path / "x.txt"
    with io.atomic_output(out) as tmp:
        tmp.write_text("one")
    with pytest.raises(errors.OutputExistsError, match="overwrite=True"):
        with io.atomic_output(out) as tmp:
            tmp.write_text("two")
    with pytest.raises(RuntimeError):
        with io.atomic_output(out, overwrite=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert out.read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_vector_roundtrip_keeps_lao_text_and_is_deterministic(tmp_path, one_village):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    io.write_vector(one_village, a, layer="villages")
    io.write_vector(one_village, b, layer="villages")
    assert a.read_bytes() == b.read_bytes()
    back = io.read_villages(a)
    assert back.loc[0, "name_lo"] == "ປ່າສັກ"
    with pytest.raises(errors.OutputExistsError, match="layer 'villages' exists"):
        io.write_vector(one_village, a, layer="villages")
    io.write_vector(one_village.assign(name_en="X"), a, layer="other")
    import pyogrio

    assert sorted(pyogrio.list_layers(a)[:, 0]) == ["other", "villages"]


def test_top_level_lazy_exports():
    assert landuse.LanduseError is errors.LanduseError
    with pytest.raises(AttributeError):
        landuse.no_such_name  # noqa: B018


def test_xlsx_and_csv_outputs_are_byte_reproducible_and_keep_lao(tmp_path):
    import time

    import pandas as pd

    df = pd.DataFrame({"household_id": ["H1", "H2"], "head_name_lo": ["ສົມພອນ", "ບຸນມີ"], "area_ha": [1.25, 0.5]})
    io.write_table(df, tmp_path / "a.xlsx")
    time.sleep(1.1)
    io.write_table(df, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    back = pd.read_excel(tmp_path / "a.xlsx")
    assert back["head_name_lo"].tolist() == ["ສົມພອນ", "ບຸນມີ"]
    io.write_table(df, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()[1] == "H1,ສົມພອນ,1.25"
