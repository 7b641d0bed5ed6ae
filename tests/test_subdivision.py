"""Tests of landuse.allocation.subdivision.subdivide."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from landuse.errors import CRSError, GeometryError, SchemaError
from landuse.allocation.subdivision import subdivide

UTM = "EPSG:32647"


def assert_tiles(plots, block, rel=1e-7):
    """Plots cover the block exactly, without overlaps."""
    geoms = list(plots.geometry)
    total = sum(g.area for g in geoms)
    assert total == pytest.approx(block.area, rel=rel)
    union = shapely.union_all(geoms)
    assert union.symmetric_difference(block).area <= rel * block.area
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    overlap = sum(geoms[i].intersection(geoms[j]).area for i, j in zip(left[pairs], right[pairs], strict=True))
    assert overlap <= rel * block.area


def test_equal_squares_hand_computed():
    plots = subdivide(box(0, 0, 400, 100), [1, 1, 1, 1], crs=UTM)
    # a 400 m x 100 m strip cut across its long axis: four 100 m squares
    assert list(plots.area_ha.round(9)) == [1, 1, 1, 1]
    for g in plots.geometry:
        minx, miny, maxx, maxy = g.bounds
        assert maxx - minx == pytest.approx(100) and maxy - miny == pytest.approx(100)
    assert plots.compactness.to_numpy() == pytest.approx(math.pi / 4)
    assert plots.crs.to_epsg() == 32647
    assert_tiles(plots, box(0, 0, 400, 100))


def test_keyed_targets_and_remainder():
    blk = box(0, 0, 300, 300)  # 9 ha
    plots = subdivide(blk, {"H1": 2.0, "H2": 3.0, "H3": 1.5}, crs=UTM)
    assert list(plots["target_id"].iloc[:3]) == ["H1", "H2", "H3"]
    assert plots["target_id"].isna().iloc[3]
    assert list(plots["remainder"]) == [False, False, False, True]
    assert plots.area_ha.iloc[:3].to_numpy() == pytest.approx([2.0, 3.0, 1.5], rel=1e-8)
    assert plots.area_ha.iloc[3] == pytest.approx(2.5, rel=1e-7)
    assert np.isnan(plots.target_ha.iloc[3])
    assert_tiles(plots, blk)


def test_spread_small_rest_and_option():
    blk = box(0, 0, 100, 100)
    # 0.998 ha of targets on a 1 ha block: the 0.2 % rest is spread, no sliver plot
    plots = subdivide(blk, [0.499, 0.499], crs=UTM)
    assert len(plots) == 2 and not plots["remainder"].any()
    assert plots.area_ha.sum() == pytest.approx(1.0)
    assert (plots.error_pct.abs() <= 2).all()
    plots = subdivide(blk, [0.495, 0.495], crs=UTM, remainder="spread")
    assert len(plots) == 2 and plots.error_pct.to_numpy() == pytest.approx([1.0101, 1.0101], rel=1e-3)
    with pytest.raises(SchemaError, match="spreading the rest would put plots 25.0 % off"):
        subdivide(blk, [0.4, 0.4], crs=UTM, remainder="spread")


def test_targets_slightly_above_block_are_scaled_within_tolerance():
    plots = subdivide(box(0, 0, 100, 100), [0.505, 0.505], crs=UTM)
    assert plots.area_ha.sum() == pytest.approx(1.0)
    assert (plots.error_pct.abs() <= 2).all()


def test_geodataframe_block_and_nonconvex():
    # an L-shaped block of 3 ha
    ell = Polygon([(0, 0), (200, 0), (200, 100), (100, 100), (100, 200), (0, 200)])
    gdf = gpd.GeoDataFrame({"zone": ["PADDY"]}, geometry=[ell], crs=UTM)
    plots = subdivide(gdf, [1.0, 1.0, 1.0])
    assert plots.area_ha.to_numpy() == pytest.approx([1, 1, 1], rel=1e-8)
    assert (plots.geom_type == "Polygon").all()
    assert_tiles(plots, ell)


def test_long_thin_block_forces_strips_but_cuts_across():
    blk = box(0, 0, 2000, 50)  # 10 ha strip
    plots = subdivide(blk, [2.0] * 5, crs=UTM)
    # cut across the long axis: each plot is a 400 m x 50 m piece, never a 2,000 m sliver
    for g in plots.geometry:
        minx, _, maxx, _ = g.bounds
        assert maxx - minx == pytest.approx(400)


def test_deterministic():
    blk = Polygon([(0, 0), (500, 40), (620, 380), (90, 420)])
    a = subdivide(blk, [2, 3, 1, 4, 2.5], crs=UTM)
    b = subdivide(blk, [2, 3, 1, 4, 2.5], crs=UTM)
    assert all(x.equals_exact(y, 0) for x, y in zip(a.geometry, b.geometry, strict=True))


@pytest.mark.parametrize(
    ("targets", "match"),
    [
        ([0.6, 0.6], "add up to 1.2000 ha but the block has only 1.0000 ha"),
        ([], "no target areas given"),
        ([1, -0.1], "target area -0.1 is not a positive number"),
        ({"H1": "a lot"}, "feature 'H1'.*'a lot' is not a positive number"),
        ([0, 0.5], "target area 0 is not"),
    ],
)
def test_bad_targets(targets, match):
    with pytest.raises(SchemaError, match=match):
        subdivide(box(0, 0, 100, 100), targets, crs=UTM)


def test_bad_blocks_and_options():
    with pytest.raises(CRSError, match="no coordinate reference system"):
        subdivide(box(0, 0, 100, 100), [0.5])
    with pytest.raises(CRSError, match="geographic CRS"):
        subdivide(box(0, 0, 1, 1), [0.5], crs=4326)
    with pytest.raises(GeometryError, match="non-empty Polygon"):
        subdivide(Polygon(), [0.5], crs=UTM)
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    with pytest.raises(GeometryError, match="invalid block geometry: Self-intersection"):
        subdivide(bowtie, [0.1], crs=UTM)
    two = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=UTM)
    with pytest.raises(GeometryError, match="expected one block polygon, got 2"):
        subdivide(two, [0.5])
    with pytest.raises(GeometryError, match="must be a Polygon"):
        subdivide("POLYGON", [0.5], crs=UTM)
    with pytest.raises(SchemaError, match="remainder='x' is not a valid option"):
        subdivide(box(0, 0, 100, 100), [0.5], crs=UTM, remainder="x")
    with pytest.raises(SchemaError, match="tolerance=2 must be between 0 and 1"):
        subdivide(box(0, 0, 100, 100), [0.5], crs=UTM, tolerance=2)


@st.composite
def convex_blocks(draw):
    n = draw(st.integers(3, 9))
    cx, cy = 500_000.0, 2_290_000.0
    angles = sorted(draw(st.lists(st.floats(0, 2 * math.pi, exclude_max=True), min_size=n, max_size=n,
                                  unique=True)))
    sx = draw(st.floats(100, 1500))
    sy = draw(st.floats(100, 1500))
    pts = [(cx + sx * math.cos(a), cy + sy * math.sin(a)) for a in angles]
    hull = shapely.convex_hull(shapely.MultiPoint(pts))
    return hull


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=convex_blocks(), weights=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=12),
       fill=st.floats(0.3, 1.0))
def test_property_areas_and_tiling(block, weights, fill):
    if not isinstance(block, Polygon) or block.area < 1000:
        return
    w = np.array(weights)
    targets = w / w.sum() * fill * block.area / 1e4
    plots = subdivide(block, targets.tolist(), crs=UTM)
    main = plots[~plots["remainder"]]
    assert len(main) == len(targets)
    # each plot within ±2 % of its target, areas sum to the block, no gaps or overlaps
    assert (main["error_pct"].abs() <= 2.0 + 1e-9).all()
    assert plots.area_ha.sum() == pytest.approx(block.area / 1e4, rel=1e-7)
    assert_tiles(plots, block, rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(w=st.floats(50, 3000), h=st.floats(50, 3000), n=st.integers(1, 10))
def test_property_rectangles_equal_targets(w, h, n):
    blk = box(0, 0, w, h)
    plots = subdivide(blk, [blk.area / 1e4 / n] * n, crs=UTM)
    assert len(plots) == n
    assert plots.error_pct.abs().max() <= 1e-4
    assert_tiles(plots, blk, rel=1e-7)
    # straight cuts of a rectangle give rectangles
    assert (plots.geom_type == "Polygon").all()
