"""The one DEM contract: landuse.raster.read_dem and the checks of landuse._validate.dem."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from landuse._validate.dem import MIN_DEM_CELLS, PLAUSIBLE_ELEVATION_M, check_dem
from landuse.errors import CRSError, DataReadError, RasterError
from landuse.raster import Raster, read_dem

UTM = "EPSG:32647"
T = Affine(20, 0, 500000, 0, -20, 2300000)


def _dem(z=None, transform=T, crs=UTM, nodata=None):
    z = np.arange(100, dtype="float32").reshape(10, 10) + 300 if z is None else z
    return Raster(z, transform, crs, nodata, "dem")


def _write(path, r):
    with rasterio.open(path, "w", driver="GTiff", height=r.shape[0], width=r.shape[1], count=1,
                       dtype=r.data.dtype, crs=r.crs, transform=r.transform, nodata=r.nodata) as ds:
        ds.write(r.data, 1)
    return path


def test_read_dem_forms_agree(tmp_path):
    r = _dem()
    path = _write(tmp_path / "dem.tif", r)
    from_path = read_dem(path)
    with rasterio.open(path) as ds:
        from_ds = read_dem(ds)
    from_tuple = read_dem((r.data, r.transform, r.crs))
    for got in (from_path, from_ds, from_tuple, read_dem(r)):
        np.testing.assert_array_equal(got.data, r.data)
        assert got.transform == r.transform
    assert from_path.source == "dem.tif"


def test_read_dem_window_is_bounds_plus_buffer(tmp_path):
    r = _dem()
    path = _write(tmp_path / "dem.tif", r)
    # cell (row 4, col 3) spans x 500060..500080, y 2299900..2299920; a point inside it
    x, y = 500070.0, 2299910.0
    w = read_dem(path, bounds=(x, y, x, y), buffer_cells=2)
    # by hand: a point has a 0-cell window; it starts 2 cells up-left of the cell and is
    # 0 + 2*2 + 1 cells wide (the 1 for a partial cell at the right and bottom)
    assert w.shape == (5, 5)
    assert w.transform == Affine(20, 0, 500000 + 20, 0, -20, 2300000 - 40)
    np.testing.assert_array_equal(w.data, r.data[2:7, 1:6])
    # a box over cells (rows 4..5, cols 3..4) reads rows 2..8, cols 1..7
    b = read_dem(path, bounds=(500060.0, 2299880.0, 500100.0, 2299920.0), buffer_cells=2)
    np.testing.assert_array_equal(b.data, r.data[2:9, 1:8])
    # bounds off the raster: everything
    assert read_dem(path, bounds=(0, 0, 1, 1)).shape == (10, 10)


def test_missing_file_and_wrong_object():
    with pytest.raises(DataReadError, match="not found"):
        read_dem("/nonexistent/dem.tif")
    with pytest.raises(DataReadError, match="cannot use an object of type int"):
        read_dem(3)


@pytest.mark.parametrize(("raster", "exc", "match"), [
    (_dem(np.zeros((0, 0), "float32")), RasterError, "no cells"),
    (_dem(np.full((5, 5), "a")), RasterError, "non-numeric"),
    (_dem(transform=Affine(20, 1, 0, 0, -20, 0)), RasterError, "rotated"),
    (_dem(transform=Affine(100, 0, 0, 0, -20, 0)), RasterError, "far from square"),
    (_dem(crs=None), CRSError, "the DEM has no CRS"),
    (_dem(crs="EPSG:4326", transform=Affine(0.001, 0, 101, 0, -0.001, 21)), CRSError, "geographic"),
    (_dem(np.full((5, 5), -9999.0)), RasterError, "all nodata|-9999, a usual fill value"),
    (_dem(np.full((5, 5), -9999.0), nodata=-9999.0), RasterError, "no valid cells"),
    (_dem(np.full((5, 5), 12000.0)), RasterError, "outside the plausible"),
])
def test_each_rule_raises(raster, exc, match):
    with pytest.raises(exc, match=match):
        check_dem(raster)


def test_rules_relaxed_for_relief_only_where_documented():
    geo = _dem(crs="EPSG:4326", transform=Affine(0.001, 0, 101, 0, -0.001, 21))
    assert check_dem(geo, projected=False) is geo
    empty = _dem(np.full((5, 5), -9999.0), nodata=-9999.0)
    assert check_dem(empty, need_data=False) is empty
    with pytest.raises(RasterError, match="rotated"):  # grid rules are never relaxed
        check_dem(_dem(transform=Affine(20, 1, 0, 0, -20, 0)), projected=False)


def test_size_rule_only_for_flow_routing():
    small = _dem(np.full((2, 5), 300.0))
    assert check_dem(small) is small  # slopes and statistics work on any grid
    with pytest.raises(RasterError, match=f"flow routing needs at least {MIN_DEM_CELLS} x {MIN_DEM_CELLS}"):
        check_dem(small, flow_routing=True)
    check_dem(_dem(np.full((3, 3), 300.0)), flow_routing=True)


def test_plausible_range_edges_pass():
    lo, hi = PLAUSIBLE_ELEVATION_M
    z = np.full((3, 3), lo)
    z[0, 0] = hi
    check_dem(_dem(z))
