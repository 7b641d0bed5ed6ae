"""Tests of landuse.terrain.hydrology: hand-computable catchments, pits, streams, snapping, errors."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import binary_dilation

from landuse.terrain import hydrology
from landuse.errors import CRSError, RasterError, SchemaError
from landuse.raster import Raster

UTM47 = "EPSG:32647"
CELL = 30.0
X0, Y0 = 500_000.0, 2_290_000.0


def _grid(z, cell=CELL):
    rows = z.shape[0]
    t = Affine(cell, 0, X0, 0, -cell, Y0 + rows * cell)
    return Raster(np.asarray(z, dtype="float64"), t, UTM47)


def _centre(r: Raster, row, col):
    t = r.transform
    return t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e


def v_valley(rows=12, cols=9, sx=1.0, sy=0.1):
    """Flanks fall 1 m per cell towards the middle column, which falls 0.1 m per row south."""
    rr, cc = np.mgrid[0:rows, 0:cols]
    mid = cols // 2
    return 200.0 + sx * np.abs(cc - mid) + sy * (rows - rr), mid


# -- hand-computable catchments ---------------------------------------------------------
def test_v_valley_catchment_of_each_valley_cell():
    z, mid = v_valley()
    dem = _grid(z)
    rows, cols = z.shape
    cell_km2 = CELL * CELL / 1e6
    # flank cells drain sideways (drop 1 m over 30 m beats 1.1 m over 42.4 m diagonally),
    # so the valley cell of row k collects rows 0..k entirely
    for k in (0, 3, rows - 1):
        x, y = _centre(dem, k, mid)
        c = hydrology.catchment(dem, x, y, snap=False)
        assert c["area_km2"].iloc[0] == pytest.approx((k + 1) * cols * cell_km2, rel=1e-12)
        assert c.geometry.iloc[0].area == pytest.approx((k + 1) * cols * CELL * CELL)
        assert c["outlet_elev_m"].iloc[0] == pytest.approx(z[k, mid])
        assert (c["outlet_x_m"].iloc[0], c["outlet_y_m"].iloc[0]) == (x, y)
    acc = hydrology.flow_accumulation(dem).data
    np.testing.assert_allclose(acc[:, mid], (np.arange(rows) + 1) * cols * cell_km2, rtol=1e-12)
    assert acc[0, 0] == pytest.approx(cell_km2)  # the cell itself is included


def test_half_funnel_drains_everything_to_its_lowest_edge_cell():
    # a cone-shaped funnel whose lowest point is the middle of the top edge
    rows, cols = 15, 21
    rr, cc = np.mgrid[0:rows, 0:cols]
    z = 100 + np.hypot(rr, cc - cols // 2)
    dem = _grid(z)
    fg = hydrology.flow_direction(dem)
    assert (fg.d8.data == 0).sum() == 1 and fg.d8.data[0, cols // 2] == 0
    x, y = _centre(dem, 0, cols // 2)
    c = hydrology.catchment(fg, x, y, snap=False)
    assert c["area_km2"].iloc[0] == pytest.approx(rows * cols * CELL**2 / 1e6, rel=1e-12)


def test_closed_funnel_with_single_outlet_after_fill():
    # a funnel (pit in the middle) with outlets="min": the pit fills and all water
    # leaves through the lowest edge cell
    n = 11
    rr, cc = np.mgrid[0:n, 0:n]
    z = 100 + np.hypot(rr - 5, cc - 5)
    z[10, 5] = 100.5  # the lowest edge cell
    dem = _grid(z)
    fg = hydrology.flow_direction(dem, outlets="min")
    assert (fg.d8.data == 0).sum() == 1
    filled = hydrology.fill_depressions(dem, outlets="min").data
    # the pit fills up to its pour point on the lowest path to the outlet: z[9, 5] = 104
    assert (filled >= z - 1e-4).all() and filled[5, 5] == pytest.approx(104.0)
    acc = hydrology.flow_accumulation(fg).data
    assert acc[10, 5] == pytest.approx(n * n * CELL**2 / 1e6, rel=1e-12)


def test_pit_in_valley_does_not_break_the_network():
    z, mid = v_valley(rows=14)
    z[5, mid] -= 8.0  # a deep pit (e.g. a DEM artefact) in the valley bottom
    z[9, mid + 2] -= 3.0  # and one on a flank
    dem = _grid(z)
    fg = hydrology.flow_direction(dem)
    assert (fg.d8.data == 0).sum() == 1  # only the outlet at the bottom of the valley
    x, y = _centre(dem, 13, mid)
    c = hydrology.catchment(fg, x, y, snap=False)
    assert c["area_km2"].iloc[0] == pytest.approx(z.size * CELL**2 / 1e6, rel=1e-12)
    assert hydrology.fill_depressions(dem).data[5, mid] >= z[6, mid]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), holes=st.booleans())
def test_every_valid_cell_drains_to_an_outlet(seed, holes):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(25, 30)).cumsum(axis=0) + rng.normal(size=(25, 30)) * 3
    nodata = np.zeros(z.shape, bool)
    if holes:
        nodata[8:11, 10:14] = True
        z[nodata] = np.nan
    fg = hydrology.flow_direction(_grid(z))
    valid = ~nodata
    # outlets only on the edge or next to nodata
    edge = np.zeros(z.shape, bool)
    edge[0], edge[-1], edge[:, 0], edge[:, -1] = True, True, True, True
    edge |= binary_dilation(nodata, structure=np.ones((3, 3))) & valid
    outlets = (fg.d8.data == 0) & valid
    assert not (outlets & ~edge).any()
    # no loops, no lost water: outlet areas sum to the whole valid area
    ncells = fg.upstream_cells()
    assert ncells[outlets].sum() == valid.sum()
    assert (fg.d8.data[nodata] == hydrology.D8_NODATA).all()


# -- streams --------------------------------------------------------------------------------
def test_streams_of_v_valley():
    z, mid = v_valley(rows=12, cols=9)
    dem = _grid(z)
    cell_km2 = CELL * CELL / 1e6
    # threshold of 3 rows: the valley is a stream from row 2 down
    s = hydrology.streams(dem, min_area_km2=3 * 9 * cell_km2)
    assert list(s.columns) == ["stream_id", "order", "upstream_area_km2", "length_m", "geometry"]
    assert len(s) == 1 and s["order"].iloc[0] == 1 and s.crs.to_epsg() == 32647
    assert s["length_m"].iloc[0] == pytest.approx(9 * CELL)
    assert s["upstream_area_km2"].iloc[0] == pytest.approx(12 * 9 * cell_km2)
    x0, y0 = s.geometry.iloc[0].coords[0]
    assert (x0, y0) == _centre(dem, 2, mid)  # starts upstream
    mask = hydrology.stream_mask(dem, min_area_km2=3 * 9 * cell_km2).data
    assert mask.sum() == 10 and mask[2:, mid].all()
    # a threshold of 2 cells makes flank streams join the valley: Strahler order 2
    s2 = hydrology.streams(dem, min_area_km2=2 * cell_km2)
    assert s2["order"].max() == 2 and (s2["order"] >= 1).all()
    assert s2["stream_id"].tolist() == list(range(1, len(s2) + 1))
    main = s2[s2["order"] == 2]
    assert main["upstream_area_km2"].max() == pytest.approx(12 * 9 * cell_km2)


def test_streams_empty_when_threshold_too_high():
    z, _ = v_valley()
    s = hydrology.streams(_grid(z), min_area_km2=1000)
    assert len(s) == 0 and "order" in s.columns


# -- snapping ---------------------------------------------------------------------------------
def test_snap_to_stream_moves_point_to_valley_cell():
    z, mid = v_valley()
    dem = _grid(z)
    thr = 3 * 9 * CELL * CELL / 1e6
    vx, vy = _centre(dem, 6, mid)
    x, y, area = hydrology.snap_to_stream(vx + 2.2 * CELL, vy + 0.1, dem, min_area_km2=thr,
                                          max_distance_m=100)
    assert (x, y) == (vx, vy)
    assert area == pytest.approx(7 * 9 * CELL * CELL / 1e6)
    acc = hydrology.flow_accumulation(dem)
    assert hydrology.snap_to_stream(vx + 40, vy, acc, min_area_km2=thr)[:2] == (vx, vy)
    c = hydrology.catchment(acc, vx + 40, vy, min_area_km2=thr, max_snap_m=100)
    assert c["area_km2"].iloc[0] == pytest.approx(7 * 9 * CELL * CELL / 1e6)


def test_snap_errors():
    z, mid = v_valley()
    dem = _grid(z)
    vx, vy = _centre(dem, 6, mid)
    with pytest.raises(RasterError, match="no stream cell .* within 50 m"):
        hydrology.snap_to_stream(vx + 3 * CELL, vy, dem, min_area_km2=0.02, max_distance_m=50)
    with pytest.raises(RasterError, match="outside the DEM"):
        hydrology.snap_to_stream(X0 - 10, Y0 + 10, dem)
    with pytest.raises(RasterError, match="outside the DEM"):
        hydrology.catchment(dem, X0 + 1e5, Y0, snap=False)
    with pytest.raises(RasterError, match="min_area_km2=-1 must be a positive number"):
        hydrology.snap_to_stream(vx, vy, dem, min_area_km2=-1)
    with pytest.raises(RasterError, match="max_distance_m=-5"):
        hydrology.snap_to_stream(vx, vy, dem, max_distance_m=-5)


def test_outlet_on_nodata_raises():
    z, mid = v_valley()
    z[6, mid] = np.nan
    dem = _grid(z)
    with pytest.raises(RasterError, match="nodata cell"):
        hydrology.catchment(dem, *_centre(dem, 6, mid), snap=False)


# -- bad input, caching -------------------------------------------------------------------------
def test_geographic_or_missing_crs_and_empty_dem_raise():
    z, _ = v_valley()
    with pytest.raises(CRSError, match="geographic CRS"):
        hydrology.flow_direction((z, Affine(0.001, 0, 101, 0, -0.001, 21), "EPSG:4326"))
    with pytest.raises(CRSError, match="no CRS"):
        hydrology.flow_direction((z, Affine(30, 0, 0, 0, -30, 0)))
    with pytest.raises(RasterError, match="no valid cells"):
        hydrology.flow_direction(Raster(np.full((5, 5), -9999, "int16"),
                                        Affine(30, 0, 0, 0, -30, 0),
                                        UTM47, nodata=-9999))
    with pytest.raises(SchemaError, match="outlets='sea'"):
        hydrology.flow_direction(_grid(z), outlets="sea")


def test_integer_dem_with_nodata_value():
    z, mid = v_valley()
    zi = np.round(z * 10).astype("uint16")
    zi[0, 0] = 0
    r = Raster(zi, Affine(CELL, 0, X0, 0, -CELL, Y0 + z.shape[0] * CELL), UTM47, nodata=0)
    fg = hydrology.flow_direction(r)
    assert fg.d8.data[0, 0] == hydrology.D8_NODATA
    assert np.isnan(hydrology.flow_accumulation(fg).data[0, 0])
    assert fg.upstream_cells()[-1, mid] == z.size - 1


def test_flow_network_is_cached(tmp_path):
    import rasterio

    z, mid = v_valley()
    dem = _grid(z)
    assert hydrology._flow(dem) is hydrology._flow(dem)
    hydrology.streams(dem, min_area_km2=0.01)
    fg = hydrology._flow(dem)
    hydrology.catchment(dem, *_centre(dem, 5, mid), snap=False)
    assert hydrology._flow(dem) is fg
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=1,
                       dtype="float64", crs=UTM47, transform=dem.transform) as dst:
        dst.write(z, 1)
    assert hydrology._flow(path) is hydrology._flow(str(path))


def test_real_dem_network(shared_data):
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src_path = shared_data / "test_dem_aw3d30_vietnam_12N107E" / "DEM.tif"
    with rasterio.open(src_path) as src:
        t, w, h = calculate_default_transform(src.crs, "EPSG:32648", src.width, src.height,
                                              *src.bounds, resolution=500)
        out = np.full((h, w), np.nan, dtype="float32")
        reproject(rasterio.band(src, 1), out, dst_transform=t, dst_crs="EPSG:32648",
                  resampling=Resampling.bilinear, dst_nodata=np.nan)
    dem = Raster(out, t, "EPSG:32648", np.nan)
    fg = hydrology.flow_direction(dem)
    valid = np.isfinite(out)
    outlets = (fg.d8.data == 0) & valid
    assert fg.upstream_cells()[outlets].sum() == valid.sum()
    s = hydrology.streams(fg, min_area_km2=50)
    assert len(s) > 5 and s["order"].max() >= 2
    # the largest catchment of a stream outlet is about the whole DEM area drained there
    top = s.sort_values("upstream_area_km2").iloc[-1]
    x, y = top.geometry.coords[-2]
    c = hydrology.catchment(fg, x, y, snap=False)
    assert 50 < c["area_km2"].iloc[0] <= valid.sum() * 0.25
    assert c.geometry.iloc[0].area / 1e6 == pytest.approx(c["area_km2"].iloc[0], rel=1e-9)
    assert c.geometry.iloc[0].is_valid


def test_cli_streams(tmp_path):
    import geopandas as gpd
    import rasterio
    from click.testing import CliRunner

    from landuse.cli.main import cli

    z, _ = v_valley()
    dem = _grid(z)
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=1,
                       dtype="float64", crs=UTM47, transform=dem.transform) as dst:
        dst.write(z, 1)
    out = tmp_path / "streams.gpkg"
    thr = 3 * 9 * CELL * CELL / 1e6
    runner = CliRunner()
    res = runner.invoke(cli, ["streams", "--dem", str(path), "--out", str(out),
                              "--min-area-km2", str(thr)])
    assert res.exit_code == 0, res.output
    assert "1 stream segments" in res.output
    got = gpd.read_file(out, layer="streams")
    expected = hydrology.streams(dem, min_area_km2=thr)
    assert got["length_m"].tolist() == pytest.approx(expected["length_m"].tolist())
    res = runner.invoke(cli, ["streams", "--dem", str(path), "--out", str(out)])
    assert res.exit_code == 1 and "exists already" in res.output
    res = runner.invoke(cli, ["streams", "--dem", str(path), "--out", str(out), "--overwrite",
                              "--min-area-km2", "-1"])
    assert res.exit_code == 1 and "must be a positive number" in res.output


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(4, 30), st.integers(4, 30))
def test_upstream_walk_finds_pyflwdir_basin(seed, rows, cols):
    """The walk upstream from an outlet gives exactly pyflwdir's basin of that outlet
    (an independent oracle: ``FlwdirRaster.basins`` passes over the whole grid)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 3.0, (rows, cols)).cumsum(axis=0) + rng.uniform(100, 110, (rows, cols))
    z[rng.random((rows, cols)) < 0.05] = np.nan  # some nodata holes
    fg = hydrology.flow_direction(Raster(z, Affine(20.0, 0, 0, 0, -20.0, 0), "EPSG:32647", np.nan))
    for outlet in rng.choice(np.flatnonzero(np.isfinite(z.ravel())), 5):
        expected = np.flatnonzero(fg.flwdir.basins(idxs=np.array([outlet])).ravel() == 1)
        walked = hydrology._upstream_of(fg.flwdir.idxs_ds, rows, cols, int(outlet))
        assert walked[0] == outlet and len(set(walked.tolist())) == len(walked)
        assert np.array_equal(np.sort(walked), expected)


def test_flow_cache_lets_go_of_dems():
    """The network cache of DEMs given as rasters is bounded: a DEM no longer used is freed
    (a FlowGrid holds its DEM, so a weak-key cache kept every DEM of a long run alive)."""
    import gc
    import weakref

    refs = []
    for k in range(6):
        dem = _grid(v_valley()[0] + k)
        hydrology.flow_accumulation(dem)
        hydrology.flow_accumulation(dem)  # the second call finds the cached network
        refs.append(weakref.ref(dem))
        del dem
    gc.collect()
    alive = [r() is not None for r in refs]
    assert alive[:-hydrology._RASTER_CACHE_SIZE] == [False] * (6 - hydrology._RASTER_CACHE_SIZE)
    assert len(hydrology._RASTER_CACHE) <= hydrology._RASTER_CACHE_SIZE
