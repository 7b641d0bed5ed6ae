"""Tests of landuse.check.topology on hand-made 100 m (1 ha) squares in UTM 47N."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from landuse.errors import CRSError, GeometryError, SchemaError
from landuse.check.topology import SIDES, adjacency, gaps, neighbours, outside_village, overlaps

UTM47 = "EPSG:32647"
X0, Y0 = 500_000.0, 2_290_000.0


def sq(ix, iy, size=100.0, dx=0.0, dy=0.0):
    return box(
        X0 + ix * size + dx,
        Y0 + iy * size + dy,
        X0 + (ix + 1) * size + dx,
        Y0 + (iy + 1) * size + dy,
    )


def layer(geoms, ids=None, crs=UTM47, **cols):
    ids = ids or [f"P{k}" for k in range(len(geoms))]
    return gpd.GeoDataFrame({"parcel_id": ids, **cols}, geometry=list(geoms), crs=crs)


def village(geom, vid="V1"):
    return gpd.GeoDataFrame({"village_id": [vid]}, geometry=[geom], crs=UTM47)


def grid(nx, ny, size=100.0):
    geoms, ids = [], []
    for iy in range(ny):
        for ix in range(nx):
            geoms.append(sq(ix, iy, size))
            ids.append(f"r{iy}c{ix}")
    return layer(geoms, ids)


# -- overlaps --------------------------------------------------------------------------
def test_two_squares_overlapping_by_10_by_100_m_give_exactly_1000_m2():
    p = layer([sq(0, 0), sq(0, 0, dx=90.0)], ["A", "B"])
    out = overlaps(p)
    assert list(out.columns) == [
        "parcel_id_a",
        "parcel_id_b",
        "overlap_m2",
        "share_a",
        "share_b",
        "geometry",
    ]
    assert len(out) == 1
    row = out.iloc[0]
    assert (row.parcel_id_a, row.parcel_id_b) == ("A", "B")
    assert row.overlap_m2 == pytest.approx(1000.0, abs=1e-6)
    assert row.share_a == pytest.approx(0.1) and row.share_b == pytest.approx(0.1)
    assert out.geometry.iloc[0].equals(box(X0 + 90, Y0, X0 + 100, Y0 + 100))
    assert out.crs == p.crs


def test_touching_and_corner_parcels_do_not_overlap():
    assert overlaps(grid(3, 3)).empty


def test_duplicate_and_contained_parcels():
    small = box(X0 + 10, Y0 + 10, X0 + 30, Y0 + 30)
    p = layer([sq(0, 0), sq(0, 0), small], ["A", "A2", "S"])
    out = overlaps(p).set_index(["parcel_id_a", "parcel_id_b"])
    assert out.loc[("A", "A2"), "overlap_m2"] == pytest.approx(10_000)
    assert out.loc[("A", "A2"), ["share_a", "share_b"]].tolist() == pytest.approx([1.0, 1.0])
    assert out.loc[("A", "S"), "overlap_m2"] == pytest.approx(400)
    assert out.loc[("A", "S"), "share_b"] == pytest.approx(1.0)
    assert len(out) == 3


def test_overlaps_min_area_filters_noise():
    p = layer([sq(0, 0), sq(0, 0, dx=99.999)], ["A", "B"])  # 0.001 m x 100 m = 0.1 m2
    assert overlaps(p, min_area_m2=1.0).empty
    assert overlaps(p, min_area_m2=0.01).overlap_m2.iloc[0] == pytest.approx(0.1, rel=1e-3)


def test_overlap_of_multipolygon_parcels():
    mp = sq(0, 0).union(sq(2, 0))
    p = layer([mp, box(X0 + 50, Y0, X0 + 250, Y0 + 100)], ["M", "B"])
    assert overlaps(p).overlap_m2.iloc[0] == pytest.approx(5000 + 5000)


def test_overlaps_rejects_geographic_missing_crs_and_bad_input():
    p = layer([sq(0, 0), sq(1, 0)], ["A", "B"])
    with pytest.raises(CRSError, match=r"geographic CRS.*to_projected"):
        overlaps(p.to_crs("EPSG:4326"))
    with pytest.raises(CRSError, match="no coordinate reference system"):
        overlaps(p.set_crs(None, allow_override=True))
    with pytest.raises(SchemaError, match="id 'A' occurs 2 times"):
        overlaps(layer([sq(0, 0), sq(1, 0)], ["A", "A"]))
    with pytest.raises(SchemaError, match="'parcel_id' missing"):
        overlaps(p.drop(columns="parcel_id"))
    bow = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    with pytest.raises(GeometryError, match=r"Self-intersection.*make_valid"):
        overlaps(layer([sq(0, 0), bow], ["A", "B"]))
    with pytest.raises(GeometryError, match="wrong geometry type LineString"):
        overlaps(layer([sq(0, 0), LineString([(X0, Y0), (X0 + 1, Y0)])], ["A", "B"]))
    with pytest.raises(SchemaError, match=r"min_area_m2=-1.0 must be"):
        overlaps(p, min_area_m2=-1)
    with pytest.raises(SchemaError, match="expected a GeoDataFrame"):
        overlaps(pd.DataFrame({"parcel_id": ["A"]}))


# -- gaps and slivers ------------------------------------------------------------------
def test_half_metre_sliver_between_parcels_is_a_sliver_with_its_area():
    p = layer([sq(0, 0), sq(0, 0, dx=100.5)], ["A", "B"])
    v = village(box(X0, Y0, X0 + 200.5, Y0 + 100))
    out = gaps(p, v)
    assert len(out) == 1
    row = out.iloc[0]
    assert row.kind == "sliver"
    assert row.gap_m2 == pytest.approx(50.0)
    assert row.width_m == pytest.approx(0.5, rel=0.01)
    assert row.parcel_ids == "A, B"
    assert row.village_id == "V1"


def test_sliver_opening_into_open_land_is_still_found():
    # village extends 300 m north of the two parcels (forest): the sliver joins the forest
    p = layer([sq(0, 0), sq(0, 0, dx=100.5)], ["A", "B"])
    v = village(box(X0, Y0, X0 + 200.5, Y0 + 400))
    out = gaps(p, v)
    assert out.kind.tolist() == ["sliver"]
    assert out.gap_m2.iloc[0] == pytest.approx(50.0, rel=1e-6)


def test_enclosed_hole_is_a_gap_and_open_land_is_not_reported():
    p = grid(3, 3)
    hole = box(X0 + 140, Y0 + 140, X0 + 160, Y0 + 160)
    p.loc[4, "geometry"] = p.geometry.iloc[4].difference(hole)
    v = village(box(X0 - 500, Y0 - 500, X0 + 800, Y0 + 800))  # lots of forest around
    out = gaps(p, v)
    assert out.kind.tolist() == ["gap"]
    assert out.gap_m2.iloc[0] == pytest.approx(400.0)
    assert out.parcel_ids.iloc[0] == "r1c1"
    assert out.geometry.iloc[0].equals(hole)


def test_large_enclosed_hole_is_open_land_unless_max_gap_allows_it():
    p = grid(3, 3, size=100.0)
    p.loc[4, "geometry"] = p.geometry.iloc[4].difference(
        box(X0 + 110, Y0 + 110, X0 + 190, Y0 + 190)
    )  # 0.64 ha
    v = village(box(X0, Y0, X0 + 300, Y0 + 300))
    assert gaps(p, v).empty  # above the default max_gap_m2 of 2,500 m2: a forest patch, say
    big = gaps(p, v, max_gap_m2=float("inf"))
    assert big.kind.tolist() == ["gap"] and big.gap_m2.iloc[0] == pytest.approx(6400.0)
    with pytest.raises(SchemaError, match="max_gap_m2"):
        gaps(p, v, max_gap_m2=-1)


def test_clean_partition_and_thin_corridor_without_parcels_give_nothing():
    p = grid(3, 2)
    assert gaps(p, village(box(X0, Y0, X0 + 300, Y0 + 200))).empty
    # a 1 m wide corridor of village land along the east, away from the parcels
    corridor = box(X0 + 400, Y0, X0 + 401, Y0 + 200)
    v = village(box(X0, Y0, X0 + 300, Y0 + 200).union(corridor))
    assert gaps(p, v).empty


def test_strip_between_parcel_and_village_boundary_is_a_sliver():
    p = grid(3, 2)
    v = village(box(X0, Y0, X0 + 300, Y0 + 201))  # boundary 1 m north of the parcels
    out = gaps(p, v)
    assert out.kind.tolist() == ["sliver"]
    assert out.gap_m2.iloc[0] == pytest.approx(300.0)
    assert out.parcel_ids.iloc[0] == "r1c0, r1c1, r1c2"


def test_gaps_are_found_per_village_and_options_are_validated():
    p = layer([sq(0, 0), sq(0, 0, dx=100.5), sq(5, 0), sq(5, 0, dx=101.0)], ["A", "B", "C", "D"])
    v = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2"]},
        geometry=[box(X0, Y0, X0 + 200.5, Y0 + 100), box(X0 + 500, Y0, X0 + 701, Y0 + 100)],
        crs=UTM47,
    )
    out = gaps(p, v)
    assert out.village_id.tolist() == ["V1", "V2"]
    assert out.gap_m2.tolist() == pytest.approx([50.0, 100.0])
    assert gaps(p, v, sliver_max_width_m=0.8).village_id.tolist() == ["V1"]
    with pytest.raises(CRSError, match="layers with different CRSs"):
        gaps(p, v.to_crs("EPSG:32648"))
    with pytest.raises(SchemaError, match="sliver_max_width_m"):
        gaps(p, v, sliver_max_width_m=float("nan"))


# -- outside the village ---------------------------------------------------------------
def test_outside_and_crossing_parcels():
    p = layer(
        [sq(0, 0), sq(1, 0, dx=50), sq(5, 0), sq(6, 0)],
        ["IN", "CROSS", "OUT", "NOVILL"],
        village_id=["V1", "V1", "V1", "V9"],
    )
    v = village(box(X0, Y0, X0 + 200, Y0 + 100))
    out = outside_village(p, v)
    assert out.parcel_id.tolist() == ["CROSS", "OUT"]
    assert out.index.tolist() == [1, 2]
    assert out.area_outside_m2.tolist() == pytest.approx([5000.0, 10_000.0])
    assert out.share_outside.tolist() == pytest.approx([0.5, 1.0])
    assert out.kind.tolist() == ["crossing", "outside"]
    assert out.geometry.iloc[0].equals(box(X0 + 200, Y0, X0 + 250, Y0 + 100))


def test_outside_village_uses_the_parcels_own_village():
    # P sits inside V2's territory but claims V1
    p = layer([sq(3, 0)], ["P"], village_id=["V1"])
    v = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2"]},
        geometry=[box(X0, Y0, X0 + 300, Y0 + 100), box(X0 + 300, Y0, X0 + 600, Y0 + 100)],
        crs=UTM47,
    )
    assert outside_village(p, v).kind.tolist() == ["outside"]
    with pytest.raises(SchemaError, match="'village_id' missing"):
        outside_village(p.drop(columns="village_id"), v)


# -- adjacency -------------------------------------------------------------------------
def test_adjacency_of_3_by_2_grid_has_seven_pairs_of_100_m():
    out = adjacency(grid(3, 2))
    pairs = set(zip(out.parcel_id_a, out.parcel_id_b, strict=True))
    assert pairs == {
        ("r0c0", "r0c1"),
        ("r0c1", "r0c2"),
        ("r1c0", "r1c1"),
        ("r1c1", "r1c2"),
        ("r0c0", "r1c0"),
        ("r0c1", "r1c1"),
        ("r0c2", "r1c2"),
    }
    assert out.shared_m.tolist() == pytest.approx([100.0] * 7)
    both = adjacency(grid(3, 2), symmetric=True)
    assert len(both) == 14
    assert set(zip(both.parcel_id_b, both.parcel_id_a, strict=True)) == set(
        zip(both.parcel_id_a, both.parcel_id_b, strict=True)
    )


def test_adjacency_partial_edge_min_length_and_tolerance():
    p = layer(
        [
            sq(0, 0),
            box(X0 + 100, Y0 + 60, X0 + 200, Y0 + 160),
            box(X0 + 100.3, Y0 - 100, X0 + 200, Y0),
        ],
        ["A", "B", "C"],
    )
    out = adjacency(p)
    assert out[["parcel_id_a", "parcel_id_b"]].values.tolist() == [["A", "B"]]
    assert out.shared_m.iloc[0] == pytest.approx(40.0)
    assert adjacency(p, min_shared_m=50).empty
    # C is 0.3 m away from A's corner only; B and C share nothing. With a 0.5 m tolerance:
    snap = layer([sq(0, 0), sq(0, 0, dx=100.3)], ["A", "B"])
    assert adjacency(snap).empty
    near = adjacency(snap, tolerance_m=0.5)
    assert near.shared_m.iloc[0] == pytest.approx(100.0, abs=1.0)


# -- neighbours ------------------------------------------------------------------------
def test_neighbours_of_middle_square_of_3_by_3_grid():
    p = grid(3, 3)
    out = neighbours(p)
    assert list(out.columns) == list(SIDES) == ["north", "east", "south", "west"]
    assert out.index.equals(p.index)
    middle = out.loc[4]
    assert middle.to_dict() == {"north": "r2c1", "east": "r1c2", "south": "r0c1", "west": "r1c0"}
    corner = out.loc[0]  # r0c0: only north and east neighbours, no diagonal
    assert corner.to_dict() == {"north": "r1c0", "east": "r0c1", "south": None, "west": None}


def test_neighbours_labels_others_and_several_per_side():
    # A (200 m wide) has two parcels along its north side and a stream along its south
    a = box(X0, Y0, X0 + 200, Y0 + 100)
    p = layer(
        [a, sq(0, 1), sq(1, 1), sq(2, 0, dx=0)],
        ["A", "N1", "N2", "E"],
        holder=["ບຸນມີ", "Khamla", None, "Noy"],
    )
    others = gpd.GeoDataFrame(
        {"label": ["stream", "forest"]},
        geometry=[
            LineString([(X0 - 10, Y0 - 1), (X0 + 300, Y0 - 1)]),
            box(X0 - 100, Y0, X0, Y0 + 100),
        ],
        crs=UTM47,
    )
    out = neighbours(p, others=others, label_column="holder", tolerance_m=2.0)
    assert out.loc[0, "north"] in ("Khamla, N2", "N2, Khamla")
    assert out.loc[0, "east"] == "Noy"
    assert out.loc[0, "south"] == "stream"
    assert out.loc[0, "west"] == "forest"
    assert out.loc[3, "west"] == "ບຸນມີ"  # Lao label kept
    with pytest.raises(SchemaError, match="'name' missing"):
        neighbours(p, others=others, others_label_column="name")
    with pytest.raises(SchemaError, match="'owner' missing"):
        neighbours(p, label_column="owner")
    with pytest.raises(CRSError, match="different CRSs"):
        neighbours(p, others=others.to_crs("EPSG:4326"))


def test_neighbour_side_follows_bearing_sectors():
    # a neighbour whose shared edge midpoint is at bearing 60 degrees is east, at 30 north
    c = sq(0, 0)
    ne = box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)  # corner only
    p = layer([c, ne], ["C", "NE"])
    assert neighbours(p, tolerance_m=0).loc[0].isna().all()


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(5, 120), min_size=1, max_size=5),
    heights=st.lists(st.integers(5, 120), min_size=1, max_size=4),
    seed=st.integers(0, 1000),
)
def test_random_grids_have_no_overlaps_and_symmetric_adjacency(widths, heights, seed):
    xs = X0 + np.concatenate([[0], np.cumsum(widths)])
    ys = Y0 + np.concatenate([[0], np.cumsum(heights)])
    geoms, ids = [], []
    for j in range(len(heights)):
        for i in range(len(widths)):
            geoms.append(box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            ids.append(f"{i}-{j}")
    p = layer(geoms, ids)
    shuffled = p.sample(frac=1.0, random_state=seed)
    assert overlaps(p).empty
    a1 = adjacency(p)
    a2 = adjacency(shuffled)
    key = lambda df: {frozenset(r[:2]): round(r[2], 6) for r in df.itertuples(index=False)}  # noqa: E731
    assert key(a1) == key(a2)
    nx, ny = len(widths), len(heights)
    assert len(a1) == (nx - 1) * ny + nx * (ny - 1)
    # total shared length = internal grid lines
    assert a1.shared_m.sum() == pytest.approx((nx - 1) * sum(heights) + (ny - 1) * sum(widths))
    v = village(box(xs[0], ys[0], xs[-1], ys[-1]))
    assert gaps(p, v).empty
    p2 = p.assign(village_id="V1")
    assert outside_village(p2, v).empty


@settings(max_examples=20, deadline=None)
@given(
    widths=st.lists(st.integers(3, 300), min_size=1, max_size=5),
    heights=st.lists(st.integers(3, 300), min_size=1, max_size=4),
)
def test_neighbours_of_random_rectangle_grids_follow_the_grid(widths, heights):
    # long thin and wide flat rectangles alike: the cell across each edge is on that side
    xs = X0 + np.concatenate([[0], np.cumsum(widths)])
    ys = Y0 + np.concatenate([[0], np.cumsum(heights)])
    geoms, ids, pos = [], [], []
    for j in range(len(heights)):
        for i in range(len(widths)):
            geoms.append(box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            ids.append(f"{i}-{j}")
            pos.append((i, j))
    out = neighbours(layer(geoms, ids), tolerance_m=0.5, min_shared_m=1.0)
    nx, ny = len(widths), len(heights)
    for k, (i, j) in enumerate(pos):
        expect = {
            "north": f"{i}-{j + 1}" if j + 1 < ny else None,
            "east": f"{i + 1}-{j}" if i + 1 < nx else None,
            "south": f"{i}-{j - 1}" if j > 0 else None,
            "west": f"{i - 1}-{j}" if i > 0 else None,
        }
        assert out.iloc[k].to_dict() == expect


DEMO_PARCELS = (
    Path(__file__).resolve().parents[1] / "landuse" / "datasets" / "data" / "parcels.gpkg"
)


def test_topology_on_the_demo_parcels():
    from landuse import io

    p = io.read_parcels(DEMO_PARCELS)
    assert len(p) > 1000
    nb = neighbours(p)
    adj = adjacency(p, tolerance_m=0.5)
    ids = p["parcel_id"].to_numpy()
    listed: dict[tuple[str, str], set[str]] = {}
    for k, row in enumerate(nb.itertuples(index=False)):
        for side_name, value in zip(nb.columns, row, strict=True):
            for q in value.split(", ") if value else []:
                listed.setdefault((ids[k], q), set()).add(side_name)
    both = set(zip(adj.parcel_id_a, adj.parcel_id_b, strict=True)) | set(
        zip(adj.parcel_id_b, adj.parcel_id_a, strict=True)
    )
    # the two functions agree on who touches whom (they differ only where the two
    # directions of an unsnapped boundary straddle min_shared_m)
    assert len(set(listed) ^ both) <= 0.001 * len(both)
    opposite = {"north": "south", "south": "north", "east": "west", "west": "east"}
    reciprocal = np.mean(
        [
            any(opposite[s] in listed.get((b, a), ()) for s in sides)
            for (a, b), sides in listed.items()
        ]
    )
    assert reciprocal > 0.8  # irregular parcels: mostly, B north of A means A south of B


def test_neighbours_village_polygon_as_other_marks_the_boundary_sides():
    p = grid(3, 3)
    v = gpd.GeoDataFrame(
        {"label": ["village boundary"]}, geometry=[box(X0, Y0, X0 + 300, Y0 + 300)], crs=UTM47
    )
    out = neighbours(p, others=v)
    assert out.loc[4].to_dict() == {
        "north": "r2c1",
        "east": "r1c2",
        "south": "r0c1",
        "west": "r1c0",
    }
    assert out.loc[0].to_dict() == {
        "north": "r1c0",
        "east": "r0c1",
        "south": "village boundary",
        "west": "village boundary",
    }
    assert out.loc[7, "north"] == "village boundary"
    with pytest.raises(GeometryError, match=r"Point cannot border a parcel.*drop point features"):
        neighbours(
            p, others=gpd.GeoDataFrame({"label": ["well"]}, geometry=[Point(X0, Y0)], crs=UTM47)
        )


@settings(max_examples=20, deadline=None)
@given(
    nx=st.integers(2, 4),
    ny=st.integers(1, 3),
    size=st.integers(20, 150),
    cut=st.floats(0.1, 1.9),  # areas from 2 m2, above min_area_m2
    data=st.data(),
)
def test_shrinking_one_edge_leaves_exactly_one_sliver_of_that_area(nx, ny, size, cut, data):
    i = data.draw(st.integers(0, nx - 2))  # a cell with an eastern neighbour
    j = data.draw(st.integers(0, ny - 1))
    p = grid(nx, ny, size=float(size))
    k = j * nx + i
    x0, y0, x1, y1 = p.geometry.iloc[k].bounds
    p.loc[k, "geometry"] = box(x0, y0, x1 - cut, y1)
    v = village(box(X0, Y0, X0 + nx * size, Y0 + ny * size))
    out = gaps(p, v)
    assert out.kind.tolist() == ["sliver"]
    assert out.gap_m2.iloc[0] == pytest.approx(cut * size, rel=1e-6)
    assert out.width_m.iloc[0] == pytest.approx(2 * cut * size / (2 * size + 2 * cut), rel=1e-6)
    assert f"r{j}c{i}" in out.parcel_ids.iloc[0] and f"r{j}c{i + 1}" in out.parcel_ids.iloc[0]
    assert overlaps(p).empty


def test_overlaps_and_adjacency_agree_with_plain_geopandas_on_random_parcels():
    # independent oracle: geopandas.overlay for overlaps, a row-by-row boundary
    # intersection for shared lengths
    rng = np.random.default_rng(7)
    geoms = []
    for _ in range(120):
        x, y = rng.uniform(0, 1000, 2)
        w, h = rng.uniform(20, 120, 2)
        geoms.append(box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h))
    geoms += [sq(20 + i, j, size=37.5) for j in range(2) for i in range(3)]  # a touching block
    p = layer(geoms, [f"P{k:03d}" for k in range(len(geoms))])
    ours = overlaps(p)
    a = p.rename(columns={"parcel_id": "a"})
    b = p.rename(columns={"parcel_id": "b"})
    peer = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    peer = peer[(peer["a"] < peer["b"]) & (peer.area >= 0.01)]
    got = dict(
        zip(zip(ours.parcel_id_a, ours.parcel_id_b, strict=True), ours.overlap_m2, strict=True)
    )
    want = dict(zip(zip(peer["a"], peer["b"], strict=True), peer.area, strict=True))
    assert got.keys() == want.keys() and len(got) > 10
    assert [got[k] for k in sorted(got)] == pytest.approx([want[k] for k in sorted(want)])

    adj = adjacency(p, min_shared_m=0.5)
    assert len(adj) >= 7
    g = dict(zip(p.parcel_id, p.geometry, strict=True))
    for r in adj.itertuples():
        assert r.shared_m == pytest.approx(
            g[r.parcel_id_a].boundary.intersection(g[r.parcel_id_b].boundary).length
        )


def test_neighbours_on_one_side_are_listed_by_decreasing_shared_length():
    # A's north side is shared with B over 30 m and with C over 70 m: C comes first
    p = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]},
                         geometry=[box(0, 0, 100, 100), box(0, 100, 30, 200), box(30, 100, 100, 200)],
                         crs="EPSG:32647")
    assert neighbours(p).loc[0, "north"] == "C, B"


# A 105-vertex piece of a village of the 54-village synthetic province (tools/make_province.py):
# GEOS 3.14's mitred opening of its uncovered land returns a self-touching polygon, and
# the overlay with it raised a TopologyException that stopped the whole check.
_SELF_TOUCHING_OPENING = (
    "01030000000700000023000000D81181DF311B2741E684FC5427B64141578926E67412274116B3C97603B541411D682D"
    "D8A10C274189463E4885B5414143BD603EC10C274152AB3A6288B541413C54503CE90C2741BE4DE8DBAEB54141335C1B"
    "95EB0C27415064E4EFAEB54141858159222C0D27411B63813DB6B541416602C6F4440D2741C07C455FC8B541418AF265"
    "D3770C27419048628ED4B5414153D70A667D0C27413F0E48CEDCB54141B906B8BF6B0C27410934ADAEE8B54141BBAA8C"
    "25110D274164698CC00FB64141007C09D5D80C27415F7606F524B6414191F91865A90C27413C56170F28B64141F61DA0"
    "91650C274149F0BD2C26B64141F61DA091650C27411D2306C254B6414104E077A58E0C2741D74B0AA058B641411B603E"
    "03AC0C2741DF8E737151B641414656BABAFB0C2741A6F6619557B64141911C8E923A0D2741CFCA603447B64141A04A52"
    "CBCA0D274142B0C6EE5CB64141D2B6F785D30D27415469AB0B5FB6414169370B12100E2741CEBC7B4B62B641414C2290"
    "E9A60D27413FA04D0F93B64141C651B9BDA60D2741F06F08C193B6414171077A1D960D27417E5472719AB64141A316C2"
    "D9090D2741FC915B7BA1B641418C0FC70F060D2741E763F656A0B6414155CE48BFDB0C27419B77A5B19AB6414154394D"
    "FECE0C274154D4F72B90B64141F61DA091650C2741D63C70D47CB64141F61DA091650C274110D7030132B74141F61DA0"
    "91051C274110D7030132B74141F61DA091051C274156B2ED31C7B64141D81181DF311B2741E684FC5427B64141130000"
    "004C77494D541227415CA904D57CB541419886430D55122741C23AE24F6AB54141F772D4EB56122741F91E007F69B541"
    "41E127EE8D2F1227417F8A063A44B54141759C92FA8F12274116DA5BF127B5414152717646E41227415281DC752DB541"
    "41C387E75636132741A8C52DC54EB5414107CCF3254D1327414773017B50B54141A193E1D1A5132741F33EB79840B541"
    "41A0812FE4341427416C9F68D63EB54141A6F3BE356E1427416201EF5571B54141DFC062C76F142741C24CD4C771B541"
    "417B3BB9456314274147E9B1057FB54141837C9F4926142741AB9BA4AB96B54141C9198F6765132741D0E7258D8EB541"
    "41DF79311244132741944278DC96B54141057D5987EB1227416669A799A2B54141964141C07D122741D52DC42C93B541"
    "414C77494D541227415CA904D57CB541410B000000F48CBECC800F2741EBAD6D3334B641415E9478D77F0F2741DA5DA2"
    "6F18B641415537CF8CCD0F2741E9BE36FD06B641418C6890DF3A102741DA52FF970AB6414111778A5B7210274141FF57"
    "96FFB5414149671499D6102741A788FA6308B64141F8D441A2D2102741C8AF917E18B64141C04F0A9571102741CB98B9"
    "2224B64141A876095B6B102741BF2E30BB32B641412EAA1977A30F27419370239738B64141F48CBECC800F2741EBAD6D"
    "3334B641410A000000CBD11037A5122741479BF6EA35B641417766CB030F1327415FCB8FF438B64141C1902066181327"
    "41AE6C495B3AB64141230BB41B2A13274195903D8C52B641412152FDEE031327414E8757306EB6414134B0A9C9781227"
    "41CEBCCD6A7AB64141622690165C1227416662783077B64141B282EE1A33122741EDB20A405DB64141B197A8A1571227"
    "41397F42CF3EB64141CBD11037A5122741479BF6EA35B641410700000067936DE97E0E2741E6EC079179B64141A804DE"
    "CB290E27410BDD51A361B64141912E5A715B0E2741A5C953DA46B641411818A3B3AF0E27416268F9453EB64141E218CE"
    "F9520F2741505AC82F3DB64141CBCAAA8E8C0E2741A4D161CF7AB6414167936DE97E0E2741E6EC079179B641410F0000"
    "0058DE0968F210274144BA768D85B64141721F57A90611274195E4B5C684B641411CBBA915191127415722EFC97AB641"
    "41C4C0EE0B5C112741F52739E56DB641417096A214EC112741C985113289B6414103D4908AAA1127419C72793EA6B641"
    "41EF7CDB94E6112741CA9CF557B5B641418DE1E221E4112741E68BC0D3B8B64141468D4D767611274185A4B224E0B641"
    "418D69199323112741D4C16030D5B641415207B65DAA102741CF6ED8A8DDB6414134EEFCE89910274134EA4D65C3B641"
    "41B53E5E769F1027417B380247B2B64141B8C8C26A7A10274163D2F3D4A2B6414158DE0968F210274144BA768D85B641"
    "4108000000733379278E0F2741EA50FC5CFFB6414151D8C1658F0F27411BB0591CF5B6414108D488B620102741874660"
    "F3DEB641416EC639709610274149D90674E4B641415A26408E9F102741A3E701D2F5B641412BDAB66A6A102741B6AB4F"
    "B10AB74141B44BADAED30F2741A9AB51E208B74141733379278E0F2741EA50FC5CFFB64141"
)


def test_gaps_survive_an_invalid_mitred_opening():
    import shapely

    territory = shapely.from_wkb(bytes.fromhex("".join(_SELF_TOUCHING_OPENING)))
    inside = territory.representative_point()
    parcel = box(inside.x - 5, inside.y - 5, inside.x + 5, inside.y + 5)
    out = gaps(layer([parcel]), village(territory))  # raised GEOSException before
    assert out.empty  # the land around the parcel reaches the boundary: open land, no sliver


def test_invalid_geometries_are_repaired_and_valid_ones_left_as_they_are():
    import shapely

    from landuse.check.topology import _valid

    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    square = box(0, 0, 1, 1)
    out = _valid(np.array([square, bowtie], dtype=object))
    assert out[0] is square
    assert shapely.is_valid(out[1]) and out[1].area == pytest.approx(2.0)
