"""Degenerate inputs give clear errors, not crashes (issue 15): a 1x1 DEM in streams,
3D (PolygonZ) survey layers, coordinates that cannot be placed on a map."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from click.testing import CliRunner
from shapely.geometry import Polygon, box

from landuse import io

from landuse.terrain import hydrology
from landuse.cli.main import cli
from landuse.errors import LanduseWarning, RasterError
from landuse.raster import Raster

UTM47 = "EPSG:32647"
X0, Y0 = 800_000.0, 2_290_000.0


@pytest.mark.parametrize("shape", [(1, 1), (1, 50), (2, 2)])
def test_a_dem_too_small_for_flow_routing_is_a_raster_error(shape):
    dem = Raster(np.full(shape, 500.0, "float32"), Affine(20, 0, X0, 0, -20, Y0), UTM47, -9999.0)
    with pytest.raises(RasterError, match=rf"only {shape[0]} x {shape[1]} cells; flow routing "
                                          r"needs at least 3 x 3"):
        hydrology.streams(dem, min_area_km2=0.5)


def test_three_by_three_dem_still_routes():
    z = np.array([[3, 3, 3], [3, 2, 3], [3, 1, 3]], "float32") + 500
    dem = Raster(z, Affine(20, 0, X0, 0, -20, Y0), UTM47, -9999.0)
    acc = hydrology.flow_accumulation(dem)
    assert np.nanmax(acc.data) > 0


def _z_parcels(path):
    gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "village_id": "V1", "land_type": "paddy"},
        geometry=[Polygon([(X0, Y0, 512.0), (X0 + 100, Y0, 515.0), (X0 + 100, Y0 + 100, 520.0),
                           (X0, Y0 + 100, 511.0)]), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs=UTM47,
    ).to_file(path, layer="parcels")


def test_z_coordinates_are_dropped_on_read_with_a_warning_naming_the_file(tmp_path):
    path = tmp_path / "survey.gpkg"
    _z_parcels(path)
    with pytest.warns(LanduseWarning, match=r"survey.gpkg: 1 features have Z \(3D\) coordinates"):
        gdf = io.read_parcels(path)
    assert not gdf.geometry.has_z.any()
    assert gdf.geometry.iloc[0].equals(box(X0, Y0, X0 + 100, Y0 + 100))
    assert gdf.crs.to_epsg() == 32647 and gdf.geometry.name == "geometry"
    assert gdf.attrs["z_dropped"] == 1


def test_a_polygonz_layer_makes_a_map(tmp_path):
    path = tmp_path / "plan.gpkg"
    _z_parcels(path)
    out = tmp_path / "map.html"
    with pytest.warns(LanduseWarning, match=r"Z \(3D\) coordinates; they were dropped"):
        result = CliRunner().invoke(cli, ["map", "--plan", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("far", [1e9, 1e20])
def test_coordinates_off_the_earth_give_one_line_in_landuse_map(tmp_path, far):
    path = tmp_path / "plan.gpkg"
    gpd.GeoDataFrame({"parcel_id": ["A", "B"]},
                     geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(far, far, far + 100, far + 100)],
                     crs=UTM47).to_file(path, layer="parcels")
    out = tmp_path / "map.html"
    result = CliRunner().invoke(cli, ["map", "--plan", str(path), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "feature 'B': 1 feature(s) cannot be placed on a map" in result.output
    assert "Fix: check the layer's CRS" in result.output
    assert not out.exists()
