"""Tests of landuse.parcels.parcel_metrics: hand-computable cases, exactextract equality,
bad input, distances and the demo."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from conftest import UTM47, X0, Y0, square
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter
from shapely.geometry import LineString, Point, Polygon, box

from landuse import terrain
from landuse.errors import CRSError, GeometryError, LanduseWarning, RasterError, SchemaError
from landuse.parcels import parcel_metrics, threshold_column
from landuse.raster import Raster


def _gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols or {"parcel_id": [f"P{i}" for i in range(len(geoms))]},
                            geometry=list(geoms), crs=UTM47)


# -- hand-computable ---------------------------------------------------------------------
def test_one_ha_square_geometry(one_ha_parcels):
    dem = Raster(np.full((10, 10), 300.0), Affine(50, 0, X0 - 100, 0, -50, Y0 + 400), UTM47)
    m = parcel_metrics(one_ha_parcels, dem)
    assert (m["area_ha"] == 1.0).all()
    assert (m["perimeter_m"] == 400.0).all()
    np.testing.assert_allclose(m["compactness"], math.pi / 4, rtol=1e-12)
    assert m["parcel_id"].tolist() == one_ha_parcels["parcel_id"].tolist()
    assert (m["elev_mean_m"] == 300.0).all() and (m["slope_max_deg"] == 0.0).all()
    assert (m["dem_cover_share"] == 1.0).all()
    assert m.crs == one_ha_parcels.crs and m.geometry.geom_equals(one_ha_parcels.geometry).all()


def test_half_over_10_half_over_20_gives_15():
    # 50 m cells: a column of 10 m elevations, then a column of 20 m
    z = np.tile(np.array([10.0, 20.0]), (2, 1))
    dem = Raster(z, Affine(50, 0, X0, 0, -50, Y0 + 100), UTM47)
    m = parcel_metrics(_gdf([square(0, 0)]), dem)
    assert m["elev_mean_m"].iloc[0] == pytest.approx(15.0, rel=1e-12)


def test_small_parcel_on_coarse_raster_is_coverage_weighted():
    # 100 m cells; a 30 m x 30 m parcel over four cells covering 400, 200, 200, 100 m2
    z = np.array([[30.0, 50.0], [10.0, 20.0]])  # row 0 is north
    dem = Raster(z, Affine(100, 0, X0, 0, -100, Y0 + 200), UTM47)
    parcel = box(X0 + 80, Y0 + 80, X0 + 110, Y0 + 110)
    m = parcel_metrics(_gdf([parcel]), dem)
    expected = (400 * 10 + 200 * 20 + 200 * 30 + 100 * 50) / 900
    assert m["elev_mean_m"].iloc[0] == pytest.approx(expected, rel=1e-6)
    assert m["area_ha"].iloc[0] == pytest.approx(0.09)


def test_tilted_plane_slope_and_shares():
    cell = 10.0
    n = 40
    x = (np.arange(n) + 0.5) * cell
    dem = Raster(np.tile(0.2 * x, (n, 1)), Affine(cell, 0, X0, 0, -cell, Y0 + n * cell), UTM47)
    m = parcel_metrics(_gdf([square(1, 1)]), dem, slope_thresholds_pct=(8, 19.99, 20.01, 30))
    deg = math.degrees(math.atan(0.2))
    for col in ("slope_mean_deg", "slope_median_deg", "slope_p90_deg", "slope_max_deg"):
        assert m[col].iloc[0] == pytest.approx(deg, abs=1e-4)
    assert [m[threshold_column(t)].iloc[0] for t in (8, 19.99, 20.01, 30)] == [1.0, 1.0, 0.0, 0.0]


# -- equality with exactextract ------------------------------------------------------------
@pytest.fixture
def random_case(tmp_path):
    rng = np.random.default_rng(7)
    n = 120
    z = (gaussian_filter(rng.normal(size=(n, n)), 3) * 500 + 900).astype("float32")
    t = Affine(30, 0, X0, 0, -30, Y0 + n * 30)
    dem = Raster(z, t, UTM47)
    polys = []
    for _ in range(60):
        cx, cy = X0 + rng.uniform(100, n * 30 - 100), Y0 + rng.uniform(100, n * 30 - 100)
        w, h, a = rng.uniform(15, 160), rng.uniform(15, 160), rng.uniform(0, math.pi)
        pts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        polys.append(Polygon([(cx + px * math.cos(a) - py * math.sin(a),
                               cy + px * math.sin(a) + py * math.cos(a)) for px, py in pts]))
    polys.append(box(X0 - 50, Y0 + 500, X0 + 40, Y0 + 620))  # over the DEM's west edge
    return dem, _gdf(polys), tmp_path


def _write(path, arr, r):
    with rasterio.open(path, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1,
                       dtype=arr.dtype, crs=UTM47, transform=r.transform, nodata=np.nan) as dst:
        dst.write(arr, 1)
    return str(path)


def test_equals_exactextract(random_case):
    from exactextract import exact_extract

    dem, parcels, tmp = random_case
    thresholds = (8, 30, 60)
    slope_deg = terrain.slope(dem, compute_edges=True).data
    slope_pct = terrain.slope(dem, units="percent", compute_edges=True).data
    files = {"slope": _write(tmp / "slope.tif", slope_deg, dem),
             "elev": _write(tmp / "elev.tif", dem.data, dem)}
    for th in thresholds:
        ind = np.where(np.isnan(slope_pct), np.nan, (slope_pct > th).astype("float32"))
        files[th] = _write(tmp / f"gt{th}.tif", ind.astype("float32"), dem)
    ee = exact_extract(files["slope"], parcels,
                       ["mean", "median", "quantile(q=0.9)", "max"], output="pandas")
    ee_elev = exact_extract(files["elev"], parcels, ["mean"], output="pandas")
    m = parcel_metrics(parcels, dem, slope_thresholds_pct=thresholds)
    np.testing.assert_allclose(m["slope_mean_deg"], ee["mean"], rtol=1e-6)
    np.testing.assert_allclose(m["slope_median_deg"], ee["median"], rtol=1e-6)
    np.testing.assert_allclose(m["slope_p90_deg"], ee["quantile_90"], rtol=1e-6)
    np.testing.assert_allclose(m["slope_max_deg"], ee["max"], rtol=1e-6)
    np.testing.assert_allclose(m["elev_mean_m"], ee_elev["mean"], rtol=1e-6)
    for th in thresholds:
        share = exact_extract(files[th], parcels, ["mean"], output="pandas")["mean"]
        np.testing.assert_allclose(m[threshold_column(th)], share, rtol=1e-6, atol=1e-12)
    assert m[threshold_column(8)].between(0, 1).all() and m[threshold_column(8)].std() > 0.05
    # a precomputed slope raster gives the same numbers
    m2 = parcel_metrics(parcels, dem, slope=Raster(slope_deg, dem.transform, UTM47, np.nan))
    np.testing.assert_allclose(m2["slope_median_deg"], ee["median"], rtol=1e-6)
    # the parcel over the edge: statistics of its covered part, cover share about 40/90
    assert m["dem_cover_share"].iloc[-1] == pytest.approx(40 / 90, rel=1e-6)


def test_index_alignment_and_no_mutation(random_case):
    dem, parcels, _ = random_case
    shuffled = parcels.iloc[::-1].copy()
    shuffled.index = [f"k{i}" for i in range(len(shuffled))]
    before = shuffled.copy()
    m = parcel_metrics(shuffled, dem)
    ref = parcel_metrics(parcels, dem)
    assert list(m.index) == list(shuffled.index)
    np.testing.assert_allclose(m["slope_mean_deg"].to_numpy(),
                               ref["slope_mean_deg"].to_numpy()[::-1])
    assert shuffled.equals(before)


# -- bad input -------------------------------------------------------------------------------
def _dem_1km():
    return Raster(np.full((50, 50), 100.0), Affine(20, 0, X0, 0, -20, Y0 + 1000), UTM47)


def test_crs_mismatch_and_geographic_raise():
    p = _gdf([square(0, 0)])
    with pytest.raises(CRSError, match="layer 'DEM' is in EPSG:32648"):
        other = Raster(np.zeros((5, 5)), Affine(20, 0, X0, 0, -20, Y0 + 100), "EPSG:32648")
        parcel_metrics(p, other)
    with pytest.raises(CRSError, match="geographic CRS"):
        parcel_metrics(p.to_crs("EPSG:4326"), _dem_1km())
    with pytest.raises(CRSError, match="the DEM has no CRS"):
        parcel_metrics(p, (np.zeros((5, 5)), Affine(20, 0, X0, 0, -20, Y0 + 100)))
    with pytest.raises(CRSError, match="no coordinate reference system"):
        parcel_metrics(p.set_crs(None, allow_override=True), _dem_1km())


def test_dem_not_covering_parcels_gives_nan_and_warning():
    p = _gdf([square(0, 0), square(100, 100)])  # the second is 10 km away
    msg = r"1 parcel\(s\) have no DEM cell with data \(e.g. P1\)"
    with pytest.warns(LanduseWarning, match=msg):
        m = parcel_metrics(p, _dem_1km())
    assert m["elev_mean_m"].iloc[0] == 100.0
    assert np.isnan(m.loc[1, ["slope_mean_deg", "slope_max_deg", "elev_mean_m",
                              "share_slope_gt_8pct"]].astype(float)).all()
    assert m["dem_cover_share"].iloc[1] == 0.0 and m["area_ha"].iloc[1] == 1.0


def test_nodata_only_window_gives_nan_and_warning():
    z = np.full((50, 50), 100, dtype="uint16")
    z[:, :10] = 0  # nodata under the first parcel
    dem = Raster(z, Affine(20, 0, X0, 0, -20, Y0 + 1000), UTM47, nodata=0)
    p = _gdf([box(X0 + 20, Y0 + 20, X0 + 180, Y0 + 180), square(5, 5)])
    with pytest.warns(LanduseWarning, match="no DEM cell with data"):
        m = parcel_metrics(p, dem)
    assert np.isnan(m["elev_mean_m"].iloc[0]) and m["dem_cover_share"].iloc[0] == 0.0
    assert m["elev_mean_m"].iloc[1] == 100.0 and m["slope_mean_deg"].iloc[1] == 0.0


def test_integer_dem_with_nodata_partly_covered():
    z = np.full((50, 50), 250, dtype="int16")
    z[:, :5] = -32768
    dem = Raster(z, Affine(20, 0, X0, 0, -20, Y0 + 1000), UTM47, nodata=-32768)
    p = _gdf([box(X0 + 50, Y0 + 100, X0 + 150, Y0 + 200)])  # half over nodata (x < 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = parcel_metrics(p, dem)
    assert m["elev_mean_m"].iloc[0] == 250.0
    assert m["dem_cover_share"].iloc[0] == pytest.approx(0.5)


def test_empty_and_invalid_geometries_raise():
    dem = _dem_1km()
    with pytest.raises(GeometryError, match="feature 'P1'.*empty or missing geometry"):
        parcel_metrics(_gdf([square(0, 0), Polygon()]), dem)
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    with pytest.raises(GeometryError, match="feature 'P0'.*invalid geometry: Self-intersection"):
        parcel_metrics(_gdf([bowtie]), dem)
    with pytest.raises(GeometryError, match="wrong geometry type Point"):
        parcel_metrics(_gdf([Point(X0, Y0)]), dem)


def test_bad_options_raise():
    p = _gdf([square(0, 0)])
    dem = _dem_1km()
    with pytest.raises(SchemaError, match="slope threshold -8.0"):
        parcel_metrics(p, dem, slope_thresholds_pct=(-8,))
    with pytest.raises(SchemaError, match="has duplicates"):
        parcel_metrics(p, dem, slope_thresholds_pct=(8, 8))
    with pytest.raises(RasterError, match="not on the DEM's grid"):
        parcel_metrics(p, dem, slope=(np.zeros((3, 3)), Affine(20, 0, X0, 0, -20, Y0 + 60), UTM47))
    with pytest.raises(SchemaError, match="expected a GeoDataFrame"):
        parcel_metrics(p.drop(columns="geometry"), dem)


def test_empty_parcels_layer():
    m = parcel_metrics(_gdf([]), _dem_1km())
    assert len(m) == 0 and "slope_mean_deg" in m.columns


# -- distances --------------------------------------------------------------------------------
def test_distances_to_stream_and_village_centre(one_ha_parcels, one_village):
    dem = Raster(np.full((20, 20), 300.0), Affine(50, 0, X0 - 200, 0, -50, Y0 + 600), UTM47)
    stream = gpd.GeoDataFrame({"stream_id": [1]},
                              geometry=[LineString([(X0 + 350, Y0 - 100), (X0 + 350, Y0 + 300)])],
                              crs=UTM47)
    village = one_village.assign(centre_x=[X0], centre_y=[Y0])
    m = parcel_metrics(one_ha_parcels, dem, streams=stream, villages=village)
    # parcels are the 3 x 2 block of squares 0..300 m east; the stream runs at x = 350 m
    np.testing.assert_allclose(m["distance_to_stream_m"], [250, 150, 50, 250, 150, 50])
    centroids = one_ha_parcels.geometry.centroid
    np.testing.assert_allclose(m["distance_to_village_centre_m"],
                               np.hypot(centroids.x - X0, centroids.y - Y0))
    # without centre columns: a representative point of the village polygon
    m2 = parcel_metrics(one_ha_parcels, dem, villages=one_village)
    rp = one_village.geometry.representative_point().iloc[0]
    np.testing.assert_allclose(m2["distance_to_village_centre_m"], centroids.distance(rp))
    crossing = stream.assign(geometry=[LineString([(X0 + 50, Y0 - 10), (X0 + 50, Y0 + 50)])])
    m3 = parcel_metrics(one_ha_parcels, dem, streams=crossing)
    assert m3["distance_to_stream_m"].iloc[0] == 0


def test_village_matching_errors(one_ha_parcels, one_village):
    dem = Raster(np.full((20, 20), 300.0), Affine(50, 0, X0 - 200, 0, -50, Y0 + 600), UTM47)
    two = gpd.GeoDataFrame({"village_id": ["V1", "V2"], "name_en": ["a", "b"],
                            "name_lo": ["a", "b"]},
                           geometry=[box(X0, Y0, X0 + 300, Y0 + 200),
                                     box(X0 + 300, Y0, X0 + 600, Y0 + 200)],
                           crs=UTM47)
    p = one_ha_parcels.copy()
    p.loc[3, "village_id"] = "V9"
    msg = "feature 'P3', column 'village_id': village_id 'V9' is not"
    with pytest.raises(SchemaError, match=msg):
        parcel_metrics(p, dem, villages=two)
    with pytest.raises(CRSError, match="layer 'villages'"):
        parcel_metrics(one_ha_parcels, dem, villages=one_village.to_crs("EPSG:32648"))
    with pytest.raises(CRSError, match="layer 'streams'"):
        parcel_metrics(one_ha_parcels, dem, streams=gpd.GeoDataFrame(
            geometry=[LineString([(0, 0), (1, 1)])], crs="EPSG:32648"))


# -- the demo -------------------------------------------------------------------------------
def test_demo_paddy_is_flatter_than_upland():
    from landuse import datasets, io

    assert datasets.get_path("parcels").exists() and datasets.get_path("dem").exists()
    parcels = io.read_parcels(datasets.get_path("parcels"))
    m = parcel_metrics(parcels, datasets.get_path("dem"))
    assert len(m) == len(parcels) and m["slope_mean_deg"].notna().all()
    by_type = m.groupby(parcels["land_type"])["slope_mean_deg"].mean()
    assert by_type["paddy"] < by_type["upland"]
    assert (m.loc[parcels["land_type"] == "paddy", "share_slope_gt_30pct"].mean()
            < m.loc[parcels["land_type"] == "upland", "share_slope_gt_30pct"].mean())


# -- CLI --------------------------------------------------------------------------------------
def test_cli_parcel_stats(tmp_path, one_ha_parcels, one_village):
    import pandas as pd
    from click.testing import CliRunner

    from landuse.cli.main import cli

    p_path = tmp_path / "parcels.gpkg"
    one_ha_parcels.to_file(p_path)
    v_path = tmp_path / "villages.gpkg"
    one_village.to_file(v_path)
    dem_path = tmp_path / "dem.tif"
    x = (np.arange(20) + 0.5) * 20
    z = np.tile(500 + 0.2 * x, (20, 1)).astype("float32")
    with rasterio.open(dem_path, "w", driver="GTiff", height=20, width=20, count=1,
                       dtype="float32",
                       crs=UTM47, transform=Affine(20, 0, X0 - 50, 0, -20, Y0 + 300)) as dst:
        dst.write(z, 1)
    runner = CliRunner()
    out = tmp_path / "m.csv"
    res = runner.invoke(cli, ["parcel-stats", "--parcels", str(p_path), "--dem", str(dem_path),
                              "--out", str(out), "--thresholds", "8,25",
                              "--villages", str(v_path)])
    assert res.exit_code == 0, res.output
    assert "6 parcels" in res.output
    table = pd.read_csv(out)
    assert table["area_ha"].tolist() == [1.0] * 6
    assert table["share_slope_gt_8pct"].tolist() == [1.0] * 6
    assert table["share_slope_gt_25pct"].tolist() == [0.0] * 6
    assert "distance_to_village_centre_m" in table.columns
    gpkg = tmp_path / "m.gpkg"
    res = runner.invoke(cli, ["parcel-stats", "--parcels", str(p_path), "--dem", str(dem_path),
                              "--out", str(gpkg)])
    assert res.exit_code == 0, res.output
    assert len(gpd.read_file(gpkg, layer="parcel_metrics")) == 6
    res = runner.invoke(cli, ["parcel-stats", "--parcels", str(p_path), "--dem", str(dem_path),
                              "--out", str(out)])
    assert res.exit_code == 1 and "exists already" in res.output
    res = runner.invoke(cli, ["parcel-stats", "--parcels", str(p_path), "--dem", str(dem_path),
                              "--out", str(out), "--thresholds", "a,b"])
    assert res.exit_code == 2


def test_dem_file_is_read_only_around_the_parcels(random_case):
    dem, parcels, tmp = random_case
    path = _write(tmp / "dem.tif", dem.data, dem)
    from_file = parcel_metrics(parcels, path)
    in_memory = parcel_metrics(parcels, dem)
    cols = ["slope_mean_deg", "slope_median_deg", "slope_p90_deg", "slope_max_deg",
            "share_slope_gt_8pct", "elev_mean_m", "dem_cover_share"]
    np.testing.assert_allclose(from_file[cols].to_numpy(float), in_memory[cols].to_numpy(float),
                               rtol=1e-12)
    # a single small parcel reads a small window, with the same numbers
    one = parcels.iloc[[3]]
    np.testing.assert_allclose(parcel_metrics(one, path)[cols].to_numpy(float),
                               in_memory.iloc[[3]][cols].to_numpy(float), rtol=1e-12)
    with rasterio.open(path) as ds:
        np.testing.assert_allclose(parcel_metrics(one, ds)[cols].to_numpy(float),
                                   in_memory.iloc[[3]][cols].to_numpy(float), rtol=1e-12)
    from landuse.parcels import _read_dem

    assert _read_dem(path, one).data.size < dem.data.size / 20
    from landuse.errors import DataReadError

    with pytest.raises(DataReadError, match="not found"):
        parcel_metrics(one, tmp / "missing.tif")


@settings(max_examples=20, deadline=None)
@given(split=st.floats(0.05, 0.95), dx=st.floats(0, 29), dy=st.floats(0, 29))
def test_statistics_are_additive_over_a_split_parcel(split, dx, dy):
    # covered fractions are exact areas, so splitting a parcel in two and recombining the
    # coverage-weighted means of the halves gives the whole parcel's mean
    rng = np.random.default_rng(3)
    z = gaussian_filter(rng.normal(size=(30, 30)), 2) * 300 + 500
    dem = Raster(z, Affine(30, 0, X0, 0, -30, Y0 + 900), UTM47)
    x0, y0 = X0 + 100 + dx, Y0 + 100 + dy
    w, h = 500.0, 400.0
    xs = x0 + split * w
    parts = _gdf([box(x0, y0, x0 + w, y0 + h), box(x0, y0, xs, y0 + h),
                  box(xs, y0, x0 + w, y0 + h)])
    m = parcel_metrics(parts, dem)
    cover = m["dem_cover_share"] * m["area_ha"]  # covered hectares with data
    for col in ("elev_mean_m", "slope_mean_deg", "share_slope_gt_8pct", "share_slope_gt_30pct"):
        recombined = (m[col].iloc[1] * cover.iloc[1] + m[col].iloc[2] * cover.iloc[2]) / (
            cover.iloc[1] + cover.iloc[2])
        assert recombined == pytest.approx(m[col].iloc[0], rel=1e-6, abs=1e-9)
    smax = m["slope_max_deg"]
    assert smax.iloc[0] == max(smax.iloc[1], smax.iloc[2])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_distance_to_stream_segments_equals_distance_to_whole_lines(seed):
    """Distances to the lines cut into segments are exactly GEOS's distances to the lines."""
    import shapely

    from landuse.parcels import _distance_to_lines

    rng = np.random.default_rng(seed)
    polys = shapely.buffer(shapely.points(rng.uniform(0, 1000, (15, 2))), rng.uniform(1, 60, 15), quad_segs=3)
    walks = [rng.uniform(0, 1000, (int(rng.integers(2, 6)), 2)) for _ in range(4)]
    lines = np.array([shapely.LineString(walks[0]), shapely.MultiLineString([walks[1], walks[2]]),
                      shapely.LineString(walks[3])], dtype=object)
    expected = shapely.distance(polys[:, None], lines[None, :]).min(axis=1)
    assert np.array_equal(_distance_to_lines(polys, lines), expected)
