"""Tests of landuse.zoning on hand-computable terrain (tilted planes, steps, straight streams)."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon, box

import landuse.zoning._grid
from landuse import zoning
from landuse.zoning._rules import DEFAULT_RULES_PATH, parse_rules
from landuse.errors import CRSError, DataReadError, RasterError, RuleError, SchemaError
from landuse.raster import Raster

from conftest import UTM47, X0, Y0, tilted_plane

CELL = 20.0
NO_STREAMS = gpd.GeoDataFrame(geometry=[], crs=UTM47)
DEFAULT_TEXT = DEFAULT_RULES_PATH.read_text(encoding="utf-8")


def plane(slope_pct: float, *, rows: int = 60, cols: int = 60, cell: float = CELL):
    """DEM rising to the east with the given slope [%]."""
    z, t = tilted_plane(rows=rows, cols=cols, cell=cell, gx=slope_pct / 100.0, gy=0.0)
    return Raster(z, t, UTM47)


def village(x0: float, y0: float, x1: float, y1: float, vid: str = "V1") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"village_id": [vid]}, geometry=[box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)],
                            crs=UTM47)


def area_by_zone(zones: gpd.GeoDataFrame) -> dict[str, float]:
    return zones.assign(a=zones.area).groupby("zone")["a"].sum().to_dict()


def rules_text(rules: str, extra: str = "") -> str:
    """A minimal rule file with two zones of the default vocabulary."""
    return (
        "[zones.PADDY]\ncategory = \"agricultural\"\nallowed_land_types = [\"paddy\"]\n\n"
        "[zones.GRAZING]\ncategory = \"agricultural\"\nallowed_land_types = [\"grazing\"]\n\n"
        "[zones.PROTECTION_FOREST]\ncategory = \"forest\"\nallowed_land_types = [\"forest\"]\n\n"
        + rules + extra
    )


# -- rule files ----------------------------------------------------------------------------
def test_default_rules_load_and_mark_defaults():
    rs = zoning.load_rules()
    assert rs.rules[-1].is_catch_all
    assert {"PROTECTION_FOREST", "PADDY", "ROTATIONAL_UPLAND", "PERMANENT_CROPS", "GRAZING",
            "RESIDENTIAL", "VILLAGE_USE_FOREST", "REGENERATION_FOREST"} <= set(rs.zones)
    very_steep = next(r for r in rs.rules if r.id == "very_steep")
    assert very_steep.min_slope_pct == 60.0 and very_steep.status == "default"
    assert rs.slope_limit_pct("paddy") == 15.0  # issue 16: one limit, terraces included
    assert rs.slope_limit_pct("upland") == 60.0
    assert rs.slope_breaks_pct == (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
    # every threshold line not sourced carries a default mark in the file
    for line in DEFAULT_TEXT.splitlines():
        if re.match(r"^\s*(min|max)_\w+_(pct|m)\s*=|^\s*stream_buffer_m\s*=", line) and "[" not in line:
            assert "default" in line or "sourced" in line, line


def test_load_rules_copy_roundtrip(tmp_path):
    p = tmp_path / "my.toml"
    p.write_text(DEFAULT_TEXT.replace("stream_buffer_m = 30.0", "stream_buffer_m = 50.0"),
                 encoding="utf-8")
    rs = zoning.load_rules(p)
    assert next(r for r in rs.rules if r.id == "stream_buffer").max_stream_distance_m == 50.0
    assert zoning.load_rules(rs) is rs


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "key", "what"),
    [
        ('zone = "PADDY"\nmax_slope_pct = 8.0', 'zone = "PADY"\nmax_slope_pct = 8.0', "zone",
         "unknown zone 'PADY'"),
        ("min_slope_pct = 60.0", "min_slope_pct = -60.0", "min_slope_pct", "negative"),
        ("max_stream_distance_m = 300.0", "max_stream_distnce_m = 300.0", "max_stream_distnce_m",
         "unknown key"),
        ("max_slope_pct = 8.0  # derived default: FAO 2006", 'max_slope_pct = "8"  # derived default: FAO 2006',
         "max_slope_pct", "expected a number"),
    ],
)
def test_invalid_rule_names_line_and_key(old, new, key, what):
    assert old in DEFAULT_TEXT
    text = DEFAULT_TEXT.replace(old, new, 1)
    line = _line_of(text, new.split("\n")[0])
    with pytest.raises(RuleError, match=rf"line {line}\b.*key '{key}'.*{re.escape(what)}") as exc:
        parse_rules(text, source="mine.toml")
    assert exc.value.line == line and exc.value.key == key
    assert "mine.toml" in str(exc.value)


def test_invalid_rule_syntax_error_names_line():
    text = DEFAULT_TEXT.replace('id = "very_steep"', 'id = very_steep', 1)
    line = _line_of(text, "id = very_steep")
    with pytest.raises(RuleError, match=rf"line {line}\b.*syntax"):
        parse_rules(text, source="x.toml")


def test_invalid_rule_missing_key_names_table_line():
    text = DEFAULT_TEXT.replace('zone = "PROTECTION_FOREST"\nmin_slope_pct = 60.0',
                                "min_slope_pct = 60.0", 1)
    lines = text.splitlines()
    rule_lines = [i for i, line in enumerate(lines, 1) if line.strip() == "[[rule]]"]
    steep = _line_of(text, 'id = "very_steep"')
    number = sum(1 for i in rule_lines if i < steep)
    with pytest.raises(RuleError, match=rf"line {rule_lines[number - 1]}\b.*key 'zone' in "
                       rf"\[\[rule\]\] number {number}\b.*missing"):
        parse_rules(text)
    text = DEFAULT_TEXT.replace("s2_max_slope_pct = 5.0\n", "", 1)
    with pytest.raises(RuleError, match=r"key 's2_max_slope_pct' in \[suitability.paddy\].*missing"):
        parse_rules(text)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nmax_slope_pct = 5\nreason = "x"\n', "last rule .* has conditions"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nreason = "x"\n[[rule]]\nid = "a"\nzone = "PADDY"\nreason = "y"\n',
         "duplicate rule id"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nmin_slope_pct = 9\nmax_slope_pct = 5\nreason = "x"\n'
         '[[rule]]\nid = "b"\nzone = "PADDY"\nreason = "y"\n', "is not below"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nforest = "yes"\nreason = "x"\n', "true or false"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nexisting_land_type = ["rice"]\nreason = "x"\n', "unknown value 'rice'"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nreason = "x"\n[zoning]\nsmoothing_window_cells = 4\n', "even"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nreason = "x"\n[suitability.paddy]\ns1_max_slope_pct = 5\n'
         "s2_max_slope_pct = 2\nmax_slope_pct = 8\n", "not increasing"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nreason = "x"\n[suitability.rice]\nmax_slope_pct = 8\n',
         "unknown land use 'rice'"),
        ('[[rule]]\nid = "a"\nzone = "PADDY"\nreason = "x"\n[conflicts]\nmedium_share_pct = 80\n', "above high_share_pct"),
        ('[rulez]\n', r"line \d+: table \[rulez\]: unknown table.*did you mean 'rule'"),
    ],
)
def test_invalid_rule_files(body, match):
    with pytest.raises(RuleError, match=match):
        parse_rules(rules_text(body))


def test_load_rules_missing_file(tmp_path):
    with pytest.raises(DataReadError, match="rule file not found"):
        zoning.load_rules(tmp_path / "nope.toml")


def test_slope_classes_fao2006():
    got = zoning.slope_classes([0.0, 0.2, 0.21, 1.5, 5.0, 29.9, 30.0, 60.0, 60.1, np.nan])
    assert got.tolist() == ["01", "01", "02", "04", "05", "08", "08", "09", "10", ""]


# -- zoning on hand-computable terrain -----------------------------------------------------
@pytest.mark.parametrize(("slope_pct", "zone"), [(20.0, "ROTATIONAL_UPLAND"), (12.0, "PERMANENT_CROPS"),
                                                 (75.0, "PROTECTION_FOREST")])
def test_tilted_plane_gives_one_zone_covering_the_village(slope_pct, zone):
    v = village(105, 95, 1003, 977)  # edges off the grid lines on purpose
    res = zoning.zone_villages(v, plane(slope_pct), streams=NO_STREAMS)
    assert set(res.zones["zone"]) == {zone}
    assert res.zones.area.sum() == pytest.approx(v.area.iloc[0], rel=1e-9)
    assert shapely.equals(shapely.union_all(res.zones.geometry.to_numpy()), v.geometry.iloc[0])
    assert res.table["share_pct"].tolist() == [100.0]
    assert res.table["area_ha"].iloc[0] == pytest.approx(v.area.iloc[0] / 1e4, abs=1e-4)


def test_step_plane_splits_at_the_line():
    # 20 % west of x_break, 80 % east of it (continuous surface, break at a cell centre)
    rows, cols = 60, 60
    t = Affine(CELL, 0, X0, 0, -CELL, Y0 + rows * CELL)
    x = (np.arange(cols) + 0.5) * CELL
    x_break = 30.5 * CELL
    z = np.where(x < x_break, 0.2 * x, 0.2 * x_break + 0.8 * (x - x_break))
    dem = Raster(np.tile(500 + z, (rows, 1)), t, UTM47)
    v = village(100, 100, 1100, 1100)
    res = zoning.zone_villages(v, dem, streams=NO_STREAMS)
    areas = area_by_zone(res.zones)
    assert set(areas) == {"ROTATIONAL_UPLAND", "PROTECTION_FOREST"}
    length = 1000.0
    assert areas["PROTECTION_FOREST"] == pytest.approx((1100 - x_break) * length, abs=CELL * length)
    assert areas["ROTATIONAL_UPLAND"] == pytest.approx((x_break - 100) * length, abs=CELL * length)
    west_edge = res.zones.loc[res.zones.zone == "PROTECTION_FOREST"].total_bounds[0] - X0
    assert abs(west_edge - x_break) <= CELL
    assert sum(areas.values()) == pytest.approx(v.area.iloc[0], rel=1e-9)
    assert set(res.zones["rule"]) == {"rotational_upland", "very_steep"}


@pytest.mark.parametrize("offset", [5.0, 13.0])
def test_stream_buffer_gives_the_protection_strip(offset):
    v = village(100, 100, 1100, 1100)
    y = Y0 + 600 + offset
    length = 700.0
    streams = gpd.GeoDataFrame(geometry=[LineString([(X0 + 250, y), (X0 + 250 + length, y)])], crs=UTM47)
    res = zoning.zone_villages(v, plane(20.0), streams=streams)
    prot = res.zones[res.zones.zone == "PROTECTION_FOREST"]
    assert set(prot["rule"]) == {"stream_buffer"}
    width = 30.0
    expected = 2 * width * length + math.pi * width**2
    assert prot.area.sum() == pytest.approx(expected, abs=0.25 * CELL * length)
    # the strip is centred on the stream
    b = prot.total_bounds
    assert b[1] < y - width + CELL and b[3] > y + width - CELL


@pytest.mark.parametrize("angle_deg", [5.0, 36.6, 50.5, 81.6, 149.0])
def test_oblique_stream_buffer_area(angle_deg):
    v = village(100, 100, 1100, 1100)
    a = math.radians(angle_deg)
    length = 600.0
    dx, dy = math.cos(a) * length / 2, math.sin(a) * length / 2
    cx, cy = X0 + 607.0, Y0 + 593.0
    line = LineString([(cx - dx, cy - dy), (cx + dx, cy + dy)])
    res = zoning.zone_villages(v, plane(20.0), streams=gpd.GeoDataFrame(geometry=[line], crs=UTM47))
    prot = res.zones[res.zones.zone == "PROTECTION_FOREST"]
    expected = 2 * 30.0 * length + math.pi * 30.0**2
    # cell-centre classification of a 3-cell-wide strip: within a quarter cell per metre of stream
    assert prot.area.sum() == pytest.approx(expected, abs=0.25 * CELL * length)
    assert prot.union_all().buffer(1e-6).covers(line)


def test_stream_distance_is_exact_near_the_stream():
    dem = plane(10.0, rows=40, cols=40)
    line = LineString([(X0 + 33, Y0 + 17), (X0 + 777, Y0 + 701)])
    streams = gpd.GeoDataFrame(geometry=[line], crs=UTM47)
    cells = np.ones(dem.shape, bool)
    thresholds = (30.0, 100.0, 247.5)
    d = zoning._grid._stream_distance(streams, dem, cells=cells, thresholds_m=thresholds)
    rows, cols = np.indices(dem.shape)
    xs = X0 + (cols + 0.5) * CELL
    ys = Y0 + 40 * CELL - (rows + 0.5) * CELL
    exact = shapely.distance(shapely.points(xs, ys), line)
    for thr in thresholds:  # every comparison with a threshold is exact
        assert ((d <= thr) == (exact <= thr)).all()
        band = np.abs(exact - thr) < CELL / 2
        np.testing.assert_allclose(d[band], exact[band], atol=1e-6)
    assert np.all(np.abs(d - exact) <= CELL * math.sqrt(2) / 2 + 1e-9)


def _irregular_villages():
    a = Polygon([(X0 + 110, Y0 + 90), (X0 + 640, Y0 + 130), (X0 + 700, Y0 + 560),
                 (X0 + 420, Y0 + 820), (X0 + 95, Y0 + 600)],
                holes=[[(X0 + 300, Y0 + 300), (X0 + 380, Y0 + 300), (X0 + 380, Y0 + 390), (X0 + 300, Y0 + 390)]])
    b = Polygon([(X0 + 700, Y0 + 560), (X0 + 640, Y0 + 130), (X0 + 1150, Y0 + 200), (X0 + 1120, Y0 + 900)])
    return gpd.GeoDataFrame({"village_id": ["A", "B"]}, geometry=[a, b], crs=UTM47)


def _rough_dem(seed: int):
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.normal(size=(70, 70)), 4) * 2500
    x = np.arange(70) * CELL
    z = 800 + noise + 0.25 * x[None, :]
    return Raster(z, Affine(CELL, 0, X0 - 100, 0, -CELL, Y0 + 1250), UTM47)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), mmu=st.sampled_from([0.0, 0.5, 2.0]))
def test_zone_areas_sum_to_village_area_without_overlaps(seed, mmu):
    v = _irregular_villages()
    streams = gpd.GeoDataFrame(geometry=[LineString([(X0, Y0 + 400), (X0 + 1200, Y0 + 470)])], crs=UTM47)
    res = zoning.zone_villages(v, _rough_dem(seed), streams=streams, min_mapping_unit_ha=mmu)
    for vid, geom in zip(v["village_id"], v.geometry):
        z = res.zones[res.zones.village_id == vid]
        total = z.area.sum()
        assert abs(total - geom.area) / geom.area < 1e-4  # 0.01 %
        assert shapely.union_all(z.geometry.to_numpy()).area == pytest.approx(total, rel=1e-6)
        assert z.geometry.is_valid.all()
        assert res.table.loc[res.table.village_id == vid, "share_pct"].sum() == pytest.approx(100, abs=0.01)
    # every rule named exists and explains its zone
    rule_zone = {r.id: r.zone for r in res.rules.rules}
    assert all(rule_zone[r] == z for r, z in zip(res.zones["rule"], res.zones["zone"]))


def test_min_mapping_unit_removes_a_small_patch():
    cell = 10.0
    dem = plane(20.0, rows=80, cols=80, cell=cell)
    v = village(50, 50, 750, 750)
    # existing residential land: 40 m x 50 m = 0.2 ha, and a 0.64 ha one (80 m x 80 m)
    lu = gpd.GeoDataFrame({"land_type": ["residential", "residential"]},
                          geometry=[box(X0 + 200, Y0 + 200, X0 + 240, Y0 + 250),
                                    box(X0 + 500, Y0 + 500, X0 + 580, Y0 + 580)], crs=UTM47)
    res = zoning.zone_villages(v, dem, streams=NO_STREAMS, landuse=lu)
    res_zones = res.zones[res.zones.zone == "RESIDENTIAL"]
    assert len(res_zones) == 1
    assert res_zones.geometry.iloc[0].intersects(lu.geometry.iloc[1])
    assert not res_zones.geometry.iloc[0].intersects(lu.geometry.iloc[0])
    assert res_zones.area.sum() == pytest.approx(6400, abs=4 * 80 * cell)
    # without a minimum mapping unit (and no smoothing) the small patch is there exactly
    rs = parse_rules(DEFAULT_TEXT.replace("smoothing_window_cells = 3",
                                                               "smoothing_window_cells = 1"))
    res0 = zoning.zone_villages(v, dem, streams=NO_STREAMS, landuse=lu, rules=rs,
                                min_mapping_unit_ha=0)
    small = res0.zones[(res0.zones.zone == "RESIDENTIAL")
                       & res0.zones.intersects(lu.geometry.iloc[0])]
    assert small.area.sum() == pytest.approx(2000.0, rel=1e-9)
    # the merged cells took the surrounding zone and its rule
    merged = res.zones[res.zones.intersects(lu.geometry.iloc[0].centroid)]
    assert merged["zone"].tolist() == ["ROTATIONAL_UPLAND"]
    assert merged["rule"].tolist() == ["rotational_upland"]


def test_merge_goes_to_longest_shared_border():
    zone = np.array([
        [1, 1, 1, 1, 1],
        [1, 1, 3, 2, 2],
        [1, 1, 3, 2, 2],
        [1, 1, 1, 2, 2],
    ])
    region = np.ones_like(zone, bool)
    out = zoning._grid._merge_small_patches(zone, region, 3, {1: 0, 2: 1, 3: 2})
    # patch 3 (2 cells) shares 4 edges with zone 1 and 2 with zone 2
    assert (out[1:3, 2] == 1).all()
    assert (out == np.where(zone == 3, 1, zone)).all()


def test_rule_priority_is_honoured():
    steep_first = rules_text(
        '[[rule]]\nid = "gentle"\nzone = "PADDY"\nmax_slope_pct = 30\nreason = "a"\n'
        '[[rule]]\nid = "moderate"\nzone = "GRAZING"\nmax_slope_pct = 50\nreason = "b"\n'
        '[[rule]]\nid = "rest"\nzone = "PROTECTION_FOREST"\nreason = "c"\n')
    swapped = rules_text(
        '[[rule]]\nid = "moderate"\nzone = "GRAZING"\nmax_slope_pct = 50\nreason = "b"\n'
        '[[rule]]\nid = "gentle"\nzone = "PADDY"\nmax_slope_pct = 30\nreason = "a"\n'
        '[[rule]]\nid = "rest"\nzone = "PROTECTION_FOREST"\nreason = "c"\n')
    v = village(100, 100, 900, 900)
    parse = parse_rules
    a = zoning.zone_villages(v, plane(20.0), rules=parse(steep_first), streams=NO_STREAMS)
    b = zoning.zone_villages(v, plane(20.0), rules=parse(swapped), streams=NO_STREAMS)
    assert a.zones[["zone", "rule"]].values.tolist() == [["PADDY", "gentle"]]
    assert b.zones[["zone", "rule"]].values.tolist() == [["GRAZING", "moderate"]]


def test_forest_polygons_and_raster():
    v = village(100, 100, 1100, 1100)
    dem = plane(20.0)
    forest = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 600, Y0 + 1200),
                                        box(X0 + 900, Y0 + 900, X0 + 940, Y0 + 940)], crs=UTM47)
    res = zoning.zone_villages(v, dem, streams=NO_STREAMS, forest=forest)
    areas = area_by_zone(res.zones)
    assert areas["VILLAGE_USE_FOREST"] == pytest.approx(500 * 1000, abs=CELL * 1000)
    assert set(areas) == {"VILLAGE_USE_FOREST", "ROTATIONAL_UPLAND"}  # the 0.16 ha patch is no forest
    # forest on a steep slope becomes protection forest (rule forest_steep)
    steep = zoning.zone_villages(v, plane(40.0), streams=NO_STREAMS, forest=forest)
    assert set(steep.zones.loc[steep.zones.zone == "PROTECTION_FOREST", "rule"]) == {"forest_steep"}
    # the same as a canopy cover raster [%]
    cover = np.where(np.arange(60)[None, :] * CELL < 600, 65.0, 5.0) * np.ones((60, 1))
    fr = Raster(cover, dem.transform, UTM47)
    res_r = zoning.zone_villages(v, dem, streams=NO_STREAMS, forest=fr)
    assert area_by_zone(res_r.zones)["VILLAGE_USE_FOREST"] == pytest.approx(areas["VILLAGE_USE_FOREST"],
                                                                            rel=1e-6)
    with pytest.raises(RasterError, match="canopy cover in percent"):
        zoning.zone_villages(v, dem, streams=NO_STREAMS, forest=Raster(cover * 10, dem.transform, UTM47))


def test_paddy_on_gentle_land_near_streams_and_max_stream_order():
    v = village(100, 100, 1100, 1100)
    y = Y0 + 605
    streams = gpd.GeoDataFrame({"order": [1]}, geometry=[LineString([(X0, y), (X0 + 1200, y)])], crs=UTM47)
    res = zoning.zone_villages(v, plane(5.0), streams=streams)
    paddy = res.zones[res.zones.zone == "PADDY"]
    b = paddy.total_bounds
    assert b[1] == pytest.approx(y - 300, abs=CELL) and b[3] == pytest.approx(y + 300, abs=CELL)
    # gentle valley floors along the stream are paddy, not riparian protection forest
    assert "PROTECTION_FOREST" not in set(res.zones.zone)
    # a buffer restricted to streams of order <= 2 ignores an order-3 river
    text = DEFAULT_TEXT.replace("stream_buffer_m = 30.0", "stream_buffer_m = 30.0\nmax_stream_order = 0", 1)
    with pytest.raises(RuleError, match="max_stream_order.*below 1"):
        parse_rules(text)
    text = DEFAULT_TEXT.replace("stream_buffer_m = 30.0", "stream_buffer_m = 30.0\nmax_stream_order = 2", 1)
    rs = parse_rules(text)
    res1 = zoning.zone_villages(v, plane(20.0), streams=streams, rules=rs)
    assert set(res1.zones.loc[res1.zones.zone == "PROTECTION_FOREST", "rule"]) == {"stream_buffer"}
    res3 = zoning.zone_villages(v, plane(20.0), streams=streams.assign(order=[3]), rules=rs)
    assert "PROTECTION_FOREST" not in set(res3.zones.zone)
    with pytest.raises(SchemaError, match="'order'"):
        zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, rules=rs)


def test_zoning_is_deterministic_and_sorted():
    v = _irregular_villages()
    streams = gpd.GeoDataFrame(geometry=[LineString([(X0, Y0 + 400), (X0 + 1200, Y0 + 470)])], crs=UTM47)
    a = zoning.zone_villages(v, _rough_dem(3), streams=streams)
    b = zoning.zone_villages(v.iloc[::-1], _rough_dem(3), streams=streams)
    a_z = a.zones.sort_values("zone_id").reset_index(drop=True)
    b_z = b.zones.sort_values("zone_id").reset_index(drop=True)
    assert a_z["zone_id"].tolist() == b_z["zone_id"].tolist()
    assert shapely.equals_exact(a_z.geometry.to_numpy(), b_z.geometry.to_numpy(), tolerance=1e-6).all()
    assert a.zones["zone_id"].is_unique
    assert (a.zone_raster.data > 0).any() and a.zone_raster.shape == (70, 70)


def test_dem_partly_missing_warns_and_fills():
    dem = plane(20.0)
    data = dem.data.copy()
    data[:, :10] = np.nan
    v = village(100, 100, 1100, 1100)
    with pytest.warns(UserWarning, match="no DEM data"):
        res = zoning.zone_villages(v, Raster(data, dem.transform, UTM47), streams=NO_STREAMS)
    assert res.zones.area.sum() == pytest.approx(v.area.iloc[0], rel=1e-9)


def test_village_beyond_the_dem_edge_is_still_covered():
    v = village(-100, 100, 600, 600)
    with pytest.warns(UserWarning, match="no DEM data"):
        res = zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS)
    assert res.zones.area.sum() == pytest.approx(v.area.iloc[0], rel=1e-9)


def test_zoning_errors():
    v = village(100, 100, 900, 900)
    with pytest.raises(RasterError, match="no data inside this village"):
        zoning.zone_villages(village(5000, 5000, 6000, 6000), plane(20.0), streams=NO_STREAMS)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        zoning.zone_villages(v.set_crs(None, allow_override=True), plane(20.0), streams=NO_STREAMS)
    with pytest.raises(CRSError, match="geographic CRS"):
        zoning.zone_villages(v.to_crs(4326), plane(20.0), streams=NO_STREAMS)
    with pytest.raises(CRSError, match="different CRSs"):
        zoning.zone_villages(v.to_crs(32648), plane(20.0), streams=NO_STREAMS)
    with pytest.raises(SchemaError, match="'village_id'"):
        zoning.zone_villages(v.drop(columns="village_id"), plane(20.0), streams=NO_STREAMS)
    with pytest.raises(SchemaError, match="occurs 2 times"):
        zoning.zone_villages(gpd.GeoDataFrame(pd_concat(v, v), crs=UTM47), plane(20.0), streams=NO_STREAMS)
    with pytest.raises(SchemaError, match="min_mapping_unit_ha"):
        zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, min_mapping_unit_ha=-1)
    with pytest.raises(RasterError, match="all cells are nodata"):
        zoning.zone_villages(v, Raster(np.full((5, 5), np.nan), plane(1).transform, UTM47),
                             streams=NO_STREAMS)
    lines = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=UTM47)
    with pytest.raises(Exception, match="wrong geometry type"):
        zoning.zone_villages(v, plane(20.0), streams=lines)
    lu = gpd.GeoDataFrame({"land_type": ["rice"]}, geometry=[box(X0, Y0, X0 + 50, Y0 + 50)], crs=UTM47)
    with pytest.raises(SchemaError, match="'rice' is not allowed"):
        zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, landuse=lu)


def pd_concat(a, b):
    import pandas as pd

    return pd.concat([a, b], ignore_index=True)


def test_zone_table_shares():
    z = gpd.GeoDataFrame({"village_id": ["V1", "V1", "V1", "V2"],
                          "zone": ["PADDY", "PROTECTION_FOREST", "PADDY", "GRAZING"]},
                         geometry=[box(0, 0, 100, 100), box(100, 0, 400, 100), box(0, 100, 100, 200),
                                   box(0, 0, 100, 100)], crs=UTM47)
    t = zoning.zone_table(z)[["village_id", "zone", "category", "area_ha", "share_pct"]]
    assert t.values.tolist() == [
        ["V1", "PROTECTION_FOREST", "forest", 3.0, 60.0],
        ["V1", "PADDY", "agricultural", 2.0, 40.0],
        ["V2", "GRAZING", "agricultural", 1.0, 100.0],
    ]


# -- parcels against zones -----------------------------------------------------------------
def _zones_two():
    return gpd.GeoDataFrame({"village_id": "V1", "zone": ["PROTECTION_FOREST", "ROTATIONAL_UPLAND"]},
                            geometry=[box(X0, Y0, X0 + 80, Y0 + 400), box(X0 + 80, Y0, X0 + 400, Y0 + 400)],
                            crs=UTM47)


def test_parcel_in_protection_forest_is_a_conflict():
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["U80", "U10", "F1"], "village_id": "V1", "land_type": ["upland", "upland", "forest"],
         "household_id": ["H1", "H2", None]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 70, Y0 + 100, X0 + 170, Y0 + 200),
                  box(X0, Y0 + 200, X0 + 50, Y0 + 300)], crs=UTM47)
    pz = zoning.parcel_zones(parcels, _zones_two())
    assert pz.index.equals(parcels.index)
    r = pz.set_index("parcel_id")
    assert r.loc["U80", "dominant_zone"] == "PROTECTION_FOREST"
    assert r.loc["U80", "pct_protection_forest"] == pytest.approx(80.0)
    assert r.loc["U80", "pct_rotational_upland"] == pytest.approx(20.0)
    assert r.loc["U80", "incompatible_pct"] == pytest.approx(80.0)
    assert r.loc["U80", "severity"] == "high" and r.loc["U80", "conflict"]
    assert "PROTECTION_FOREST" in r.loc["U80", "conflict_reason"]
    assert not r.loc["U10", "conflict"] and pd.isna(r.loc["U10", "severity"])  # 10 % < 20 %
    assert not r.loc["F1", "conflict"]  # forest in protection forest is fine
    rep = zoning.conflict_report(pz)
    assert rep["parcel_id"].tolist() == ["U80"]
    assert rep["action"].iloc[0]


def test_paddy_on_steep_slope_is_a_conflict():
    dem = plane(20.0)
    zones = gpd.GeoDataFrame({"village_id": "V1", "zone": ["PADDY"]},
                             geometry=[box(X0, Y0, X0 + 1200, Y0 + 1200)], crs=UTM47)
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], "village_id": "V1",
                                "land_type": ["paddy", "upland"]},
                               geometry=[box(X0 + 300, Y0 + 300, X0 + 400, Y0 + 400),
                                         box(X0 + 500, Y0 + 300, X0 + 600, Y0 + 400)], crs=UTM47)
    pz = zoning.parcel_zones(parcels, zones, dem=dem).set_index("parcel_id")
    assert pz.loc["P1", "mean_slope_pct"] == pytest.approx(20.0, abs=1e-3)
    assert pz.loc["P1", "severity"] == "high"
    assert "exceeds the paddy limit of 15 %" in pz.loc["P1", "conflict_reason"]
    # the upland parcel in a paddy zone: upland is not allowed there
    assert pz.loc["P2", "severity"] == "high" and "PADDY" in pz.loc["P2", "conflict_reason"]
    # on a gentle slope the paddy parcel is fine
    ok = zoning.parcel_zones(parcels.iloc[:1], zones, dem=plane(4.0))
    assert not ok["conflict"].iloc[0]


def test_parcel_outside_zones_and_errors():
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1"], "land_type": ["upland"]},
                               geometry=[box(X0 + 350, Y0, X0 + 450, Y0 + 100)], crs=UTM47)
    pz = zoning.parcel_zones(parcels, _zones_two())
    assert pz["unzoned_pct"].iloc[0] == pytest.approx(50.0)
    assert pz["severity"].iloc[0] == "medium"
    with pytest.raises(SchemaError, match="not in the rule set's zone vocabulary"):
        zoning.parcel_zones(parcels, _zones_two().assign(zone="FOO"))
    with pytest.raises(CRSError, match="different CRSs"):
        zoning.parcel_zones(parcels, _zones_two().to_crs(32648))
    with pytest.raises(SchemaError, match="'land_type'"):
        zoning.parcel_zones(parcels.drop(columns="land_type"), _zones_two())


# -- suitability ---------------------------------------------------------------------------
@pytest.mark.parametrize(("slope_pct", "expected"), [
    (1.0, {"upland": "S1", "permanent": "S1", "grazing": "S1"}),
    (12.0, {"upland": "S1", "permanent": "S2", "grazing": "S1", "paddy": "N"}),
    (25.0, {"upland": "S2", "permanent": "S3", "grazing": "S2", "paddy": "N"}),
    (50.0, {"upland": "S3", "permanent": "N", "grazing": "N", "paddy": "N"}),
])
def test_suitability_on_a_plane_of_known_slope(slope_pct, expected):
    dem = plane(slope_pct, rows=20, cols=20)
    for use, cls in expected.items():
        r = zoning.suitability(dem, land_use=use, streams=NO_STREAMS)
        codes = np.unique(r.data[1:-1, 1:-1])  # corner cells: gdaldem-style edge estimate
        assert codes.tolist() == [zoning.SUITABILITY_CLASSES.index(cls) + 1], (use, codes)


def test_paddy_suitability_uses_stream_distance():
    dem = plane(1.0, rows=60, cols=60)
    y = Y0 + 605
    streams = gpd.GeoDataFrame(geometry=[LineString([(X0, y), (X0 + 1200, y)])], crs=UTM47)
    r = zoning.suitability(dem, land_use="paddy", streams=streams)
    ys = Y0 + 1200 - (np.arange(60) + 0.5) * CELL
    d = np.abs(ys - y)
    col = r.data[:, 30]
    expected = np.select([d <= 150, d <= 300, d <= 1000], [1, 2, 3], 4)
    assert col.tolist() == expected.tolist()
    with pytest.raises(SchemaError, match="no \\[suitability.residential\\]"):
        zoning.suitability(dem, land_use="residential")


def test_parcel_suitability():
    dem = plane(12.0)
    parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B"], "land_type": ["permanent", "residential"]},
                               geometry=[box(X0 + 200, Y0 + 200, X0 + 300, Y0 + 300),
                                         box(X0 + 400, Y0 + 400, X0 + 500, Y0 + 500)], crs=UTM47)
    out = zoning.parcel_suitability(parcels, dem, land_uses=["upland", "permanent"])
    assert out["suitability_upland"].tolist() == ["S1", "S1"]
    assert out["suitability_permanent"].tolist() == ["S2", "S2"]
    assert out["permanent_s2_pct"].tolist() == [100.0, 100.0]
    assert out["suitability"].iloc[0] == "S2" and pd.isna(out["suitability"].iloc[1])
    with pytest.raises(SchemaError, match="'forest' has no"):
        zoning.parcel_suitability(parcels, dem, land_uses=["forest"])


# -- CLI -----------------------------------------------------------------------------------
def test_cli_zone(tmp_path):
    import pyogrio

    from landuse.cli.main import cli
    from landuse.io import write_raster

    v = village(100, 100, 1100, 1100).assign(name_en="Pasak", name_lo="ປ່າສັກ")
    v.to_file(tmp_path / "v.gpkg")
    dem = plane(20.0)
    write_raster(dem, tmp_path / "dem.tif")
    y = Y0 + 605
    gpd.GeoDataFrame({"order": [1]}, geometry=[LineString([(X0, y), (X0 + 1200, y)])],
                     crs=UTM47).to_file(tmp_path / "s.gpkg")
    gpd.GeoDataFrame({"parcel_id": ["P1"], "village_id": ["V1"], "land_type": ["paddy"]},
                     geometry=[box(X0 + 300, Y0 + 300, X0 + 400, Y0 + 400)],
                     crs=UTM47).to_file(tmp_path / "p.gpkg")
    out = tmp_path / "zones.gpkg"
    args = ["zone", "--villages", str(tmp_path / "v.gpkg"), "--dem", str(tmp_path / "dem.tif"),
            "--streams", str(tmp_path / "s.gpkg"), "--parcels", str(tmp_path / "p.gpkg"),
            "--out", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "ROTATIONAL_UPLAND" in res.output and "parcel conflicts: 1 (1 high)" in res.output
    layers = [str(n) for n in pyogrio.list_layers(out)[:, 0]]
    assert sorted(layers) == ["parcel_zones", "streams", "zone_table", "zones"]
    lib = zoning.zone_villages(v, dem, streams=gpd.read_file(tmp_path / "s.gpkg"))
    written = gpd.read_file(out, layer="zones")
    assert written["zone_id"].tolist() == lib.zones["zone_id"].tolist()
    assert written.area.sum() == pytest.approx(lib.zones.area.sum())
    table = pyogrio.read_dataframe(out, layer="zone_table")
    assert table["share_pct"].sum() == pytest.approx(100.0, abs=0.01)
    assert (tmp_path / "zones_conflicts.csv").read_text(encoding="utf-8").count("\n") == 2
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "exists already" in again.output
    twin = tmp_path / "twin.gpkg"
    assert CliRunner().invoke(cli, [*args[:-1], str(twin)]).exit_code == 0
    assert twin.read_bytes() == out.read_bytes()  # same inputs, same bytes
    assert CliRunner().invoke(cli, [*args, "--overwrite"]).exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_TEXT.replace("min_slope_pct = 60.0", "min_slope_pct = -1", 1), encoding="utf-8")
    res = CliRunner().invoke(cli, [*args, "--overwrite", "--rules", str(bad)])
    assert res.exit_code == 1 and "bad.toml, line" in res.output and "min_slope_pct" in res.output
    # forest as a canopy raster, existing land use, another minimum mapping unit
    cover = np.where(np.arange(60)[None, :] * CELL < 600, 65.0, 5.0) * np.ones((60, 1))
    write_raster(Raster(cover, dem.transform, UTM47), tmp_path / "cover.tif")
    gpd.GeoDataFrame({"land_type": ["Settlement"]}, geometry=[box(X0 + 800, Y0 + 800, X0 + 1000, Y0 + 1000)],
                     crs=UTM47).to_file(tmp_path / "lu.gpkg")
    gpd.GeoDataFrame({"zone": ["SPIRIT_CEMETERY_FOREST"]}, geometry=[box(X0 + 800, Y0 + 200, X0 + 860, Y0 + 260)],
                     crs=UTM47).to_file(tmp_path / "des.gpkg")
    out2 = tmp_path / "z2.gpkg"
    res = CliRunner().invoke(cli, ["zone", "--villages", str(tmp_path / "v.gpkg"), "--dem",
                                   str(tmp_path / "dem.tif"), "--streams", str(tmp_path / "s.gpkg"),
                                   "--forest", str(tmp_path / "cover.tif"), "--landuse",
                                   str(tmp_path / "lu.gpkg"), "--designated", str(tmp_path / "des.gpkg"),
                                   "--mmu-ha", "1", "--out", str(out2)])
    assert res.exit_code == 0, res.output
    zones2 = set(gpd.read_file(out2, layer="zones")["zone"])
    assert {"VILLAGE_USE_FOREST", "RESIDENTIAL", "SPIRIT_CEMETERY_FOREST"} <= zones2
    res = CliRunner().invoke(cli, ["zone", "--villages", str(tmp_path / "v.gpkg"), "--dem",
                                   str(tmp_path / "dem.tif"), "--out", str(tmp_path / "z.shp")])
    assert res.exit_code == 2 and "GeoPackage" in res.output


# -- demo ----------------------------------------------------------------------------------
def _demo():
    from landuse import datasets

    needed = ("villages", "dem", "parcels")
    assert all(datasets.get_path(n).exists() for n in needed), "bundled demo data missing"
    from landuse import io

    forest_path = datasets.get_path("dem").with_name("forest.gpkg")
    forest = io.read_vector(forest_path, what="forest") if forest_path.exists() else None
    return (io.read_villages(datasets.get_path("villages")), io.read_raster(datasets.get_path("dem")),
            forest)


@pytest.mark.slow
def test_demo_zoning_is_plausible():
    villages, dem, forest = _demo()
    from landuse.terrain.hydrology import streams as derive

    streams = derive(dem)
    res = zoning.zone_villages(villages, dem, forest=forest, streams=streams)
    assert sorted(res.zones["village_id"].unique()) == sorted(villages["village_id"])
    for vid, geom in zip(villages["village_id"], villages.geometry):
        z = res.zones[res.zones.village_id == vid]
        assert abs(z.area.sum() - geom.area) / geom.area < 1e-4
        t = res.table[res.table.village_id == vid]
        assert t.loc[t.category == "forest", "share_pct"].sum() > 25.0  # even the lowland village
    # a large forest share over the demo as a whole (Oudomxay: forest >= 40 %)
    forest_ha = res.table.loc[res.table.category == "forest", "area_ha"].sum()
    assert forest_ha / res.table["area_ha"].sum() > 0.40
    # paddy only on gentle slopes near streams
    paddy_cells = res.zone_raster.data == res.rules.zone_codes["PADDY"]
    slope = zoning._grid._slope_pct(dem)
    limit = res.rules.slope_limit_pct("paddy")
    assert paddy_cells.sum() > 0
    # all but smoothing / merging artefacts lie on slopes within the paddy limit
    assert np.mean(slope[paddy_cells] <= limit) > 0.9
    assert np.nanmean(slope[paddy_cells]) < np.nanmean(slope[res.zone_raster.data > 0]) / 3
    dist = zoning._grid._stream_distance(streams, dem, cells=paddy_cells, thresholds_m=[300.0])
    assert np.mean(dist[paddy_cells] <= 300 + 2 * 20) > 0.9
    # the demo's paddy parcels (valley floors) lie in paddy land, not in riparian protection
    from landuse import datasets, io

    parcels = io.read_parcels(datasets.get_path("parcels"))
    pz = zoning.parcel_zones(parcels, res.zones, dem=dem)
    paddy = pz[pz.land_type == "paddy"]
    assert paddy["pct_protection_forest"].mean() < 10.0
    assert (paddy["dominant_zone"] == "PADDY").mean() > 0.5
    assert (paddy["severity"] == "high").mean() < 0.25


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), min_cells=st.integers(2, 12))
def test_merge_small_patches_invariants(seed, min_cells):
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    zone = rng.integers(1, 4, (12, 14))
    region = np.ones(zone.shape, bool)
    region[:, :2] = rng.random() < 0.5  # sometimes a ragged region
    zone = np.where(region, zone, 0)
    out = zoning._grid._merge_small_patches(zone, region, min_cells, {1: 0, 2: 1, 3: 2})
    assert (out[~region] == 0).all()
    assert set(np.unique(out[region])) <= set(np.unique(zone[region]))
    n_patches = 0
    for z in np.unique(out[region]):
        lab, n = ndimage.label((out == z) & region)
        n_patches += n
        sizes = np.bincount(lab.ravel())[1:]
        if len(np.unique(out[region])) > 1:
            assert (sizes >= min_cells).all()
    # cells of patches already large enough keep their zone
    for z in np.unique(zone[region]):
        lab, n = ndimage.label((zone == z) & region)
        sizes = np.bincount(lab.ravel())
        big = (sizes[lab] >= min_cells) & (lab > 0)
        assert (out[big] == zone[big]).all()


def test_multipolygon_village_and_empty_layer():
    from shapely.geometry import MultiPolygon

    mp = MultiPolygon([box(X0 + 105, Y0 + 95, X0 + 505, Y0 + 497), box(X0 + 700, Y0 + 650, X0 + 1003, Y0 + 977)])
    v = gpd.GeoDataFrame({"village_id": ["M"]}, geometry=[mp], crs=UTM47)
    res = zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS)
    assert res.zones.area.sum() == pytest.approx(mp.area, rel=1e-9)
    assert shapely.equals(shapely.union_all(res.zones.geometry.to_numpy()), mp)
    with pytest.raises(SchemaError, match="no features"):
        zoning.zone_villages(v.iloc[:0], plane(20.0), streams=NO_STREAMS)


def test_forest_layers_checked_and_resampled():
    v = village(100, 100, 1100, 1100)
    dem = plane(20.0)
    forest = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 600, Y0 + 1200)], crs=UTM47)
    with pytest.raises(CRSError, match="different CRSs"):
        zoning.zone_villages(v, dem, streams=NO_STREAMS, forest=forest.to_crs(32648))
    # a coarser 0/1 forest mask on another grid is resampled to the DEM grid
    mask = np.zeros((30, 30))
    mask[:, :15] = 1.0
    coarse = Raster(mask, Affine(40, 0, X0, 0, -40, Y0 + 1200), UTM47)
    res = zoning.zone_villages(v, dem, streams=NO_STREAMS, forest=coarse)
    assert area_by_zone(res.zones)["VILLAGE_USE_FOREST"] == pytest.approx(500 * 1000, abs=CELL * 1000)


def test_elevation_rule_splits_at_the_contour():
    # 5 % plane rising east from 1570 m: the 1600 m contour lies at x = 600 m
    z, t = tilted_plane(rows=60, cols=60, cell=CELL, gx=0.05, gy=0.0)
    dem = Raster(z - 500 + 1570, t, UTM47)
    v = village(100, 100, 1100, 1100)
    res = zoning.zone_villages(v, dem, streams=NO_STREAMS)
    areas = area_by_zone(res.zones)
    assert set(areas) == {"PROTECTION_FOREST", "PERMANENT_CROPS"}
    assert areas["PROTECTION_FOREST"] == pytest.approx((1100 - 600) * 1000, abs=CELL * 1000)
    assert set(res.zones.loc[res.zones.zone == "PROTECTION_FOREST", "rule"]) == {"headwater_ridge"}


def test_streams_derived_from_the_dem_when_not_given():
    # a V-shaped valley along x = 610 m draining south: the derived stream follows it
    rows, cols = 80, 61
    t = Affine(CELL, 0, X0, 0, -CELL, Y0 + rows * CELL)
    x = (np.arange(cols) + 0.5) * CELL
    y = (rows - np.arange(rows) - 0.5) * CELL
    z = 600 + 0.25 * np.abs(x[None, :] - 610.0) + 0.05 * y[:, None]
    dem = Raster(z, t, UTM47)
    v = village(100, 100, 1120, 1500)
    res = zoning.zone_villages(v, dem)
    prot = res.zones[res.zones.rule == "stream_buffer"]
    assert len(prot) > 0
    b = prot.total_bounds - np.array([X0, Y0, X0, Y0])
    assert b[0] > 610 - 30 - 2 * CELL and b[2] < 610 + 30 + 2 * CELL  # a strip around x = 610
    assert res.zones.area.sum() == pytest.approx(v.area.iloc[0], rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(lo=st.floats(0, 100, allow_nan=False), width=st.floats(0.1, 100, allow_nan=False),
       buffer_m=st.floats(0, 500, allow_nan=False), mmu=st.floats(0, 10, allow_nan=False))
def test_rule_values_roundtrip(lo, width, buffer_m, mmu):
    body = (f'[zoning]\nmin_patch_ha = {mmu!r}\n'
            f'[[rule]]\nid = "a"\nzone = "PADDY"\nmin_slope_pct = {lo!r}\nmax_slope_pct = {lo + width!r}\n'
            f'stream_buffer_m = {buffer_m!r}\nreason = "x"\n'
            '[[rule]]\nid = "b"\nzone = "GRAZING"\nreason = "y"\n')
    rs = parse_rules(rules_text(body))
    r = rs.rules[0]
    assert (r.min_slope_pct, r.max_slope_pct, r.max_stream_distance_m) == (lo, lo + width, buffer_m)
    assert rs.min_patch_ha == mmu and rs.rules[1].is_catch_all and not r.is_catch_all


def test_min_mapping_unit_counts_only_the_area_inside_the_village():
    # a residential block of 60 m x 60 m = 0.36 ha inside the village, continuing outside
    rs = parse_rules(DEFAULT_TEXT.replace("smoothing_window_cells = 3", "smoothing_window_cells = 1"))
    v = village(100, 100, 1100, 1100)
    lu = gpd.GeoDataFrame({"land_type": ["residential"]}, geometry=[box(X0 + 1040, Y0 + 500, X0 + 1200, Y0 + 560)],
                          crs=UTM47)
    res = zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, landuse=lu, rules=rs)
    assert "RESIDENTIAL" not in set(res.zones.zone)
    res = zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, landuse=lu, rules=rs,
                               min_mapping_unit_ha=0.3)
    assert area_by_zone(res.zones)["RESIDENTIAL"] == pytest.approx(3600.0, rel=1e-9)


def test_region_weights_are_exact_cell_fractions():
    dem = plane(20.0, rows=20, cols=20)
    geom = Polygon([(X0 + 33, Y0 + 41), (X0 + 301, Y0 + 17), (X0 + 250, Y0 + 333)])
    win, touch, region, weight = zoning._grid._region(geom, dem, weights=True)
    assert weight.sum() * CELL * CELL == pytest.approx(geom.area, rel=1e-9)
    assert ((weight > 0) <= touch).all() and (touch <= region).all()


def test_designated_areas_keep_their_zone_below_the_mapping_unit():
    v = village(100, 100, 1100, 1100)
    spirit = box(X0 + 400, Y0 + 400, X0 + 460, Y0 + 460)  # 0.36 ha < 0.5 ha
    des = gpd.GeoDataFrame({"zone": ["SPIRIT_CEMETERY_FOREST", "CONSERVATION_FOREST"]},
                           geometry=[spirit, box(X0 + 700, Y0 + 700, X0 + 900, Y0 + 900)], crs=UTM47)
    res = zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, designated=des)
    areas = area_by_zone(res.zones)
    assert areas["SPIRIT_CEMETERY_FOREST"] == pytest.approx(3600.0, rel=1e-9)
    assert areas["CONSERVATION_FOREST"] == pytest.approx(40000.0, rel=1e-9)
    z = res.zones.set_index("zone")
    assert z.loc["SPIRIT_CEMETERY_FOREST", "rule"] == "designated_spirit_cemetery"
    assert sum(areas.values()) == pytest.approx(v.area.iloc[0], rel=1e-9)
    with pytest.raises(SchemaError, match="'SACRED' is not allowed"):
        zoning.zone_villages(v, plane(20.0), streams=NO_STREAMS, designated=des.assign(zone="SACRED"))
    with pytest.raises(RuleError, match="key 'designated'.*expected true"):
        parse_rules(rules_text('[[rule]]\nid = "a"\nzone = "PADDY"\ndesignated = false\nreason = "x"\n'))


def test_locked_patches_are_never_merged():
    zone = np.array([[1, 1, 1, 1], [1, 2, 1, 1], [1, 1, 1, 1]])
    region = np.ones_like(zone, bool)
    locked = zone == 2
    assert (zoning._grid._merge_small_patches(zone, region, 3, {1: 0, 2: 1}, None, locked) == zone).all()
    assert (zoning._grid._merge_small_patches(zone, region, 3, {1: 0, 2: 1}) == 1).all()
