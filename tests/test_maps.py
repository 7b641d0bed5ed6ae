"""Tests of landuse.maps: compact layers, offline HTML, safety, static maps, CLI.

Browser behaviour (no request leaves the file, popups, injected names) is tested in
tests/test_maps_browser.py with headless Chromium.
"""

from __future__ import annotations

import json
import re
import warnings

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

import landuse.maps._encoding
import landuse.maps.web
from landuse import maps
from landuse.maps._offline import inline_assets, script_json
from landuse.cli.main import cli
from landuse.errors import CRSError, GeometryError, LanduseError, OutputExistsError, SchemaError

from conftest import UTM47, X0, Y0, square

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>alert(1)</script>"


# -- an independent decoder of Google's encoded polyline format (from the published spec) --
def decode_polyline(text: str) -> list[tuple[int, int]]:
    values, i = [], 0
    while i < len(text):
        result, shift = 0, 0
        while True:
            b = ord(text[i]) - 63
            i += 1
            result |= (b & 0x1F) << shift
            shift += 5
            if b < 0x20:
                break
        values.append(~(result >> 1) if result & 1 else result >> 1)
    pts, lat, lon = [], 0, 0
    for k in range(0, len(values), 2):
        lat += values[k]
        lon += values[k + 1]
        pts.append((lat, lon))
    return pts


def decoded_layer(data: dict) -> list[list[list[list[tuple[int, int]]]]]:
    """Polygons of each feature as lists of rings of integer (lat, lon) * 1e6."""
    out = []
    for g in data["geoms"]:
        assert g[0] == 0
        out.append([[decode_polyline(r) for r in poly] for poly in g[1]])
    return out


def column(data: dict, name: str) -> list:
    k = [c[0] for c in data["cols"]].index(name)
    col = data["data"][k]
    if isinstance(col, dict):
        return [col["d"][c] if c >= 0 else None for c in col["c"]]
    return col


@pytest.fixture
def grid_parcels() -> gpd.GeoDataFrame:
    """4 x 3 one-hectare parcels with land types, households and areas."""
    types = ["paddy", "upland", "permanent", "grazing", "residential", "forest"]
    geoms = [square(i, j) for j in range(3) for i in range(4)]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:02d}" for k in range(12)],
            "village_id": "V1",
            "land_type": [types[k % 6] for k in range(12)],
            "household_id": [f"H{k // 2}" for k in range(12)],
            "area_ha": [1.0] * 12,
            "secret_note": ["do not publish"] * 12,
        },
        geometry=geoms,
        crs=UTM47,
    )


# -- polyline encoding --------------------------------------------------------------------------
def test_polyline_matches_googles_published_example():
    # Google's documentation example at precision 1e5: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453)
    values = np.array([3850000, -12020000, 220000, -75000, 255200, -550300])
    assert maps._encoding._polyline_encode(values)[0] == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-90_000_000, 90_000_000), st.integers(-180_000_000, 180_000_000)),
                min_size=1, max_size=40))
def test_polyline_roundtrip(points):
    pts = np.array(points, dtype=np.int64)
    deltas = np.diff(pts, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    text, nchar = maps._encoding._polyline_encode(deltas.reshape(-1))
    assert decode_polyline(text) == [tuple(p) for p in points]
    assert nchar.sum() == len(text)
    assert re.fullmatch(r"[?-~]*", text)  # printable ASCII 63..126, never < > &


def test_encode_rings_drops_closing_and_duplicate_vertices():
    latlon = np.array([[0, 0], [0, 10], [0, 10], [10, 10], [0, 0], [5, 5], [5, 6]], dtype=np.int64)
    rings = maps._encoding._encode_rings(latlon, np.array([0, 5, 7]), closed=True, min_vertices=3)
    assert decode_polyline(rings[0]) == [(0, 0), (0, 10), (10, 10)]
    assert rings[1] is None  # a 2-point "ring" left after dropping the closing vertex


# -- layer data ------------------------------------------------------------------------------------
def test_layer_coordinates_are_the_reprojected_corners_to_1e6_degree(one_ha_parcels):
    data = maps.map_layer_data(one_ha_parcels, name="parcels", simplify_m=0)
    polys = decoded_layer(data)
    to_ll = Transformer.from_crs(UTM47, "EPSG:4326", always_xy=True)
    for geom, feature in zip(one_ha_parcels.geometry, polys, strict=True):
        ring = feature[0][0]
        xs, ys = np.asarray(geom.exterior.coords)[:-1].T
        lon, lat = to_ll.transform(xs, ys)
        expected = set(zip(np.rint(np.asarray(lat) * 1e6).astype(int), np.rint(np.asarray(lon) * 1e6).astype(int),
                           strict=True))
        assert set(ring) == expected
        assert len(ring) == 4  # the closing vertex is not stored


def test_layer_classes_use_the_fixed_land_type_palette(grid_parcels):
    data = maps.map_layer_data(grid_parcels, name="parcels")
    classes = {label: colour for colour, label, _lo in data["classes"]}
    for value, style in maps.STYLES["land_type"].items():
        if value in set(grid_parcels["land_type"]):
            assert classes[style["en"]] == style["colour"]
    # every feature points at the class of its land type
    for lt, k in zip(grid_parcels["land_type"], data["cls"], strict=True):
        assert data["classes"][k][0] == maps.STYLES["land_type"][lt]["colour"]
    assert len(data["geoms"]) == 12


def test_popup_keeps_only_popup_columns(grid_parcels):
    data = maps.map_layer_data(grid_parcels, name="parcels")
    names = [c[0] for c in data["cols"]]
    assert "secret_note" not in names
    assert names == [c for c in maps.STYLES["columns"] if c in grid_parcels.columns]
    html = maps.render_html(maps.interactive_map({"parcels": grid_parcels}))
    assert "do not publish" not in html
    chosen = maps.map_layer_data(grid_parcels, popup_columns=["parcel_id"])
    assert [c[0] for c in chosen["cols"]] == ["parcel_id"]
    assert column(chosen, "parcel_id") == list(grid_parcels["parcel_id"])


def test_bilingual_labels_and_values(grid_parcels):
    data = maps.map_layer_data(grid_parcels, name="parcels")
    labels = {c[0]: (c[1], c[2]) for c in data["cols"]}
    assert labels["land_type"] == ("Land type", "ປະເພດທີ່ດິນ")
    assert column(data, "land_type")[0] == "ນາ · Paddy"
    assert column(data, "area_ha")[0] == "1.00"
    assert data["title"] == ["Parcels", "ຕອນດິນ"]


def test_automatic_colour_column_depends_on_the_layer(grid_parcels, one_village):
    conflicts = grid_parcels.assign(severity=["high", "medium"] * 6)
    data = maps.map_layer_data(conflicts, name="conflicts")
    assert [c[1] for c in data["classes"]] == ["High", "Medium"]  # severity beats land_type
    assert data["classes"][0][0] == maps.STYLES["severity"]["high"]["colour"]
    villages = one_village.assign(zone="PADDY")
    assert maps.map_layer_data(villages, name="villages")["classes"] == [["#222222", "Villages", "ບ້ານ"]]
    assert maps.map_layer_data(villages, name="villages", color_by="zone")["classes"][0][1] == "Paddy"


def test_numeric_colour_ramp_has_quantile_classes_and_missing_class(grid_parcels):
    gdf = grid_parcels.assign(yield_t=[float(k) for k in range(11)] + [np.nan])
    data = maps.map_layer_data(gdf, color_by="yield_t")
    labels = [c[1] for c in data["classes"]]
    assert labels[-1] == "no value"
    assert len(labels) == 6  # 5 quantile classes of 0..10 + missing
    assert labels[0].startswith("0 –") and labels[-2].endswith("– 10")
    assert data["cls"][-1] == 5 and data["cls"][0] == 0 and data["cls"][10] == 4
    assert data["legendCaption"].endswith("(quantiles)")


def test_many_categories_keep_distinct_colours_and_a_short_legend(grid_parcels):
    # 60 households on 5 copies of the same 12 parcels: the 5 on one parcel overlap, so
    # they differ in colour; colours are reused away from each other
    gdf = pd.concat([grid_parcels] * 5, ignore_index=True)
    gdf["household_id"] = [f"H{k:03d}" for k in range(len(gdf))]
    data = maps.map_layer_data(gpd.GeoDataFrame(gdf, crs=UTM47), color_by="household_id")
    colours = [c[0] for c in data["classes"]]
    assert len(colours) == 60 and len(set(colours)) < 60
    for k in range(12):
        assert len({colours[k + 12 * j] for j in range(5)}) == 5
    assert data["legendRows"] is False and "neighbours differ in colour" in data["legendCaption"]
    # few categories: the qualitative palette in order, a legend row each
    few = maps.map_layer_data(grid_parcels.assign(household_id=[f"H{k % 3}" for k in range(12)]),
                              color_by="household_id")
    assert [c[0] for c in few["classes"]] == list(maps.web._QUALITATIVE[:3]) and few["legendRows"] is True


def _grid(labels: list[int], ncol: int) -> gpd.GeoDataFrame:
    n = len(labels)
    geoms = [box(X0 + 100 * (k % ncol), Y0 + 100 * (k // ncol), X0 + 100 * (k % ncol + 1),
                 Y0 + 100 * (k // ncol + 1)) for k in range(n)]
    return gpd.GeoDataFrame({"household_id": [f"H{v:03d}" for v in labels]}, geometry=geoms, crs=UTM47)


@settings(max_examples=40, deadline=None)
@given(ncol=st.integers(2, 12), labels=st.lists(st.integers(0, 80), min_size=30, max_size=120),
       seed=st.integers(0, 2**16))
def test_neighbouring_households_get_different_colours(ncol, labels, seed):
    gdf = _grid(labels, ncol)
    data = maps.map_layer_data(gdf, name="allocations", color_by="household_id", simplify_m=0)
    colour = {c[1]: c[0] for c in data["classes"]}
    if len(colour) <= 20:  # a few households: the plain palette, all different
        assert len(set(colour.values())) == len(colour)
        return
    # independent oracle: the grid's rook/queen neighbours (corners touch too)
    deg: dict[str, set[str]] = {h: set() for h in colour}
    hh = gdf["household_id"].tolist()
    for i in range(len(gdf)):
        for j in range(i + 1, len(gdf)):
            ri, ci, rj, cj = i // ncol, i % ncol, j // ncol, j % ncol
            a, b = hh[i], hh[j]
            if abs(ri - rj) <= 1 and abs(ci - cj) <= 1 and a != b:
                assert colour[a] != colour[b], (a, b)
                deg[a].add(b)
                deg[b].add(a)
    # greedy uses at most max degree + 1 colours (a household of several plots has more
    # neighbours than a plot); the palette first
    used = set(colour.values())
    assert len(used) <= max(len(v) for v in deg.values()) + 1
    assert used >= set(maps.web._QUALITATIVE[:min(len(used), maps.web.NEIGHBOUR_PALETTE)])
    # deterministic: the same households in another row order get the same colours
    order = np.random.default_rng(seed).permutation(len(gdf))
    again = maps.map_layer_data(gdf.iloc[order], name="allocations", color_by="household_id", simplify_m=0)
    assert {c[1]: c[0] for c in again["classes"]} == colour


def test_neighbour_colouring_by_hand():
    # a ring of 5 households round a centre one: an odd cycle needs 3 colours, plus the centre
    ring = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(2, 1, 3, 2), box(0, 1, 2, 2)]
    c = maps.neighbour_colouring(["a", "b", "c", "d", "e"], ring)
    assert all(c[x] != c[y] for x, y in ("ab", "bc", "cd", "de", "ea", "eb"))
    assert c == maps.neighbour_colouring(["a", "b", "c", "d", "e"][::-1], ring[::-1])
    # slivers within 0.5 m count as touching; 1 m apart does not; missing labels are skipped
    assert maps.neighbour_colouring(["a", "b"], [box(0, 0, 1, 1), box(1.4, 0, 2, 1)]) == {"a": 0, "b": 1}
    assert maps.neighbour_colouring(["a", "b", None], [box(0, 0, 1, 1), box(2, 0, 3, 1), box(1, 0, 2, 1)]) == \
        {"a": 0, "b": 0}


def test_unknown_categories_get_a_deterministic_palette(grid_parcels):
    gdf = grid_parcels.assign(team=["b", "a", "c"] * 4)
    one = maps.map_layer_data(gdf, color_by="team")["classes"]
    two = maps.map_layer_data(gdf.iloc[::-1], color_by="team")["classes"]
    assert one == two
    assert [c[1] for c in one] == ["a", "b", "c"]
    assert len({c[0] for c in one}) == 3


def test_shared_borders_stay_shared_after_simplification():
    # Two parcels share a wiggly border with many almost-collinear vertices.
    xs = np.linspace(0, 200, 81)
    border = [(X0 + x, Y0 + 100 + 0.05 * np.sin(x)) for x in xs]
    north = Polygon([*border, (X0 + 200, Y0 + 200), (X0, Y0 + 200)])
    south = Polygon([(X0, Y0), (X0 + 200, Y0), *border[::-1]])
    gdf = gpd.GeoDataFrame({"parcel_id": ["N", "S"]}, geometry=[north, south], crs=UTM47)
    data = maps.map_layer_data(gdf, simplify_m=1.0)
    n_ring, s_ring = (f[0][0] for f in decoded_layer(data))
    assert len(n_ring) < 20 and len(s_ring) < 20  # the wiggles (5 cm) are gone
    lat_mid = np.mean([p[0] for p in n_ring + s_ring])
    # Border vertices (those not on the outer rectangle) are the same in both parcels.
    def inner(ring):
        return {p for p in ring if abs(p[0] - lat_mid) < 300}
    assert inner(n_ring) == inner(s_ring) and len(inner(n_ring)) >= 2


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 5), st.integers(0, 10_000), st.floats(0.0, 3.5))
def test_simplified_coverage_stays_close_and_shares_borders(n, seed, tol):
    """Random jittered grids with zigzag edges: vertices stay within the tolerance of
    the true boundary (plus rounding), and neighbours draw their common border alike."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(n + 1) * 60.0, np.arange(n + 1) * 60.0)
    gx += rng.uniform(-12, 12, gx.shape)
    gy += rng.uniform(-12, 12, gy.shape)
    zig = {}

    def edge(a, b):  # the same points for an edge whichever side asks for it
        key = tuple(sorted((a, b)))
        if key not in zig:
            t = np.linspace(0, 1, 9)[1:-1]
            off = rng.uniform(-0.08, 0.08, len(t))
            (x0, y0), (x1, y1) = key
            nx, ny = -(y1 - y0), x1 - x0
            norm = np.hypot(nx, ny)
            zig[key] = [(x0 + (x1 - x0) * s + o * nx / norm, y0 + (y1 - y0) * s + o * ny / norm)
                        for s, o in zip(t, off, strict=True)]
        pts = zig[key]
        return pts if key[0] == a else pts[::-1]

    geoms = []
    for j in range(n):
        for i in range(n):
            c = [(gx[j, i], gy[j, i]), (gx[j, i + 1], gy[j, i + 1]), (gx[j + 1, i + 1], gy[j + 1, i + 1]),
                 (gx[j + 1, i], gy[j + 1, i])]
            ring = []
            for k in range(4):
                ring += [c[k], *edge(c[k], c[(k + 1) % 4])]
            geoms.append(Polygon([(X0 + x, Y0 + y) for x, y in ring]))
    gdf = gpd.GeoDataFrame({"parcel_id": [f"P{k}" for k in range(n * n)]}, geometry=geoms, crs=UTM47)
    assert shapely.coverage_is_valid(gdf.geometry.to_numpy())
    polys = decoded_layer(maps.map_layer_data(gdf, simplify_m=tol))
    assert len(polys) == n * n
    to_utm = Transformer.from_crs("EPSG:4326", UTM47, always_xy=True)
    rings_xy = []
    for geom, feature in zip(geoms, polys, strict=True):
        lat, lon = np.array(feature[0][0], dtype=float).T / 1e6
        x, y = to_utm.transform(lon, lat)
        pts = shapely.points(x, y)
        # Kept vertices stay in place (Visvalingam-Whyatt): on the true boundary up to the
        # rounding to 1e-6 degree (< 0.1 m); dropping zigzags (+-0.08 m) moves the drawn
        # border by at most their size.
        assert shapely.distance(pts, geom.boundary).max() < 0.1
        drawn = shapely.linearrings(np.column_stack([x, y]))
        assert shapely.hausdorff_distance(drawn, geom.exterior) < 0.1 + 0.08 * 2
        if tol >= 3:
            # Every triangle a zigzag vertex can form, even after its neighbours went (base
            # < 85 m, height < 0.16 m: < 6.8 m^2), is below tol^2 = 9 m^2: only the corners remain.
            assert len(x) == 4
        rings_xy.append(np.round(np.column_stack([x, y]), 3))
    for a in range(len(geoms)):
        for b in range(a + 1, len(geoms)):
            shared = shapely.intersection(geoms[a].boundary, geoms[b].boundary)
            if shared.length == 0:
                continue
            # Simplification keeps vertices where they were, so the vertices drawn on the
            # common border (away from its end nodes) are the same points in both parcels.
            ends = shapely.get_parts(shapely.boundary(shapely.line_merge(shared)))

            def on_border(ring):
                pts = shapely.points(ring)
                keep = shapely.distance(pts, shared) < 0.1
                if len(ends):
                    keep &= np.min([shapely.distance(pts, e) for e in ends], axis=0) > 0.5
                return {tuple(p) for p in ring[keep]}

            assert on_border(rings_xy[a]) == on_border(rings_xy[b]), (a, b)


def test_lines_points_multipolygons_and_holes():
    hole = Polygon([(X0, Y0), (X0 + 300, Y0), (X0 + 300, Y0 + 300), (X0, Y0 + 300)],
                   [[(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 100, Y0 + 200)]])
    multi = MultiPolygon([square(5, 0), square(7, 0)])
    gdf = gpd.GeoDataFrame(
        {"name": ["holed", "multi", "stream", "intake"]},
        geometry=[hole, multi, LineString([(X0, Y0), (X0 + 500, Y0 + 50)]), Point(X0 + 10, Y0 + 10)],
        crs=UTM47,
    )
    data = maps.map_layer_data(gdf, name="mixed", simplify_m=0)
    kinds = [g[0] for g in data["geoms"]]
    assert kinds == [0, 0, 1, 2]
    assert len(data["geoms"][0][1][0]) == 2  # shell + hole
    assert len(data["geoms"][1][1]) == 2  # two polygons
    assert len(decode_polyline(data["geoms"][2][1][0])) == 2
    lat, lon = data["geoms"][3][1]
    to_ll = Transformer.from_crs(UTM47, "EPSG:4326", always_xy=True)
    elon, elat = to_ll.transform(X0 + 10, Y0 + 10)
    assert (lat, lon) == (round(elat * 1e6), round(elon * 1e6))
    assert data["kind"] == "mixed"


def test_empty_and_missing_geometries_are_skipped(one_ha_parcels):
    gdf = one_ha_parcels.copy()
    gdf.loc[1, "geometry"] = None
    gdf.loc[2, "geometry"] = Polygon()
    data = maps.map_layer_data(gdf)
    assert len(data["geoms"]) == 4


# -- offline HTML -------------------------------------------------------------------------------------
def test_saved_map_is_one_self_contained_file(tmp_path, grid_parcels, one_village, plane_dem):
    z, transform = plane_dem
    m = maps.interactive_map({"villages": one_village, "parcels": grid_parcels},
                             dem=(z, transform, UTM47), title="Pasak")
    out = maps.save_html(m, tmp_path / "map.html")
    html = out.read_text(encoding="utf-8")
    assert "<script src" not in html and "<link" not in html
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "Leaflet 1.9.4" in html
    assert "data:image/png;base64," in html  # hillshade and Leaflet's CSS images
    for cdn in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "cdn.jsdelivr"):
        assert cdn not in html.lower()
    with pytest.raises(OutputExistsError, match="exists already"):
        maps.save_html(m, out)
    again = maps.save_html(m, out, overwrite=True).read_bytes()
    assert again == html.encode("utf-8")  # stable element ids: same map, same bytes


def test_online_save_references_cdn_and_online_layers_are_optional(tmp_path, grid_parcels):
    m = maps.interactive_map({"parcels": grid_parcels}, online=True)
    cdn = maps.save_html(m, tmp_path / "cdn.html", offline=False).read_text(encoding="utf-8")
    assert 'src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"' in cdn
    offline = maps.render_html(m)
    assert "tile.openstreetmap.org" in offline  # offered as a base layer ...
    # ... but not shown first: no tile layer is added to the map at start.
    tile_vars = re.findall(r"var (tile_layer_\w+) = L\.tileLayer", offline)
    assert len(tile_vars) == 2
    for name in tile_vars:
        assert f"{name}.addTo(" not in offline


@pytest.mark.slow
def test_size_is_a_fraction_of_explore():
    pytest.importorskip("mapclassify", reason="geopandas explore() needs mapclassify")
    # 900 irregular parcels (a perturbed grid) with many vertices per edge.
    rng = np.random.default_rng(7)
    n = 30
    gx, gy = np.meshgrid(np.arange(n + 1) * 50.0, np.arange(n + 1) * 50.0)
    gx = gx + rng.uniform(-10, 10, gx.shape)
    gy = gy + rng.uniform(-10, 10, gy.shape)

    def edge(a, b):
        t = np.linspace(0, 1, 6)[:-1]
        return [(a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s) for s in t]

    geoms, ids = [], []
    for j in range(n):
        for i in range(n):
            c = [(gx[j, i], gy[j, i]), (gx[j, i + 1], gy[j, i + 1]), (gx[j + 1, i + 1], gy[j + 1, i + 1]),
                 (gx[j + 1, i], gy[j + 1, i])]
            ring = sum((edge(c[k], c[(k + 1) % 4]) for k in range(4)), [])
            geoms.append(Polygon([(X0 + x, Y0 + y) for x, y in ring]))
            ids.append(f"P{j:02d}-{i:02d}")
    gdf = gpd.GeoDataFrame({"parcel_id": ids, "village_id": "V1", "land_type": "upland",
                            "household_id": [f"H{k % 97}" for k in range(n * n)]},
                           geometry=geoms, crs=UTM47)
    ours = len(maps.render_html(maps.interactive_map({"parcels": gdf})).encode("utf-8"))
    theirs = len(gdf.explore().get_root().render().encode("utf-8"))
    assert ours <= theirs / 3, (ours, theirs)


def test_injected_names_are_escaped_in_the_page(grid_parcels, one_village):
    villages = one_village.assign(name_en=[XSS_SCRIPT], name_lo=[XSS_IMG])
    parcels = grid_parcels.assign(household_id=[XSS_IMG, XSS_SCRIPT] * 6)
    m = maps.interactive_map({"villages": villages, "parcels": parcels, XSS_IMG: parcels.iloc[:1]},
                             title=XSS_SCRIPT)
    html = maps.render_html(m)
    assert "<img src=x" not in html
    assert "<script>alert(1)" not in html
    # every </script> closes one of the page's own <script> blocks
    assert html.count("</script>") == html.count("<script>")
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the <title>


def test_jinja_syntax_in_data_and_layer_names_is_not_evaluated(grid_parcels):
    parcels = grid_parcels.assign(household_id="{{ 7*7 }} {# x #} {% if 1 %}")
    m = maps.interactive_map({"parcels": parcels, "{{ 6*7 }}": parcels.iloc[:1]})
    html = maps.render_html(m)
    assert "{{ 7*7 }} {# x #} {% if 1 %}" in html
    # the layer control's name: braces as character references (JSON-escaped by folium)
    assert '"\\u0026#123;\\u0026#123; 6*7 \\u0026#125;\\u0026#125;" : landuse_layer_' in html


def test_script_json_cannot_close_a_script_block():
    text = script_json({"a": XSS_SCRIPT, "b": "x & y", "c": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": XSS_SCRIPT, "b": "x & y", "c": "\u2028"}


def test_plain_folium_maps_are_inlined_or_refused():
    m = folium.Map(location=[20.7, 101.9], zoom_start=12, tiles=None)
    folium.CircleMarker([20.7, 101.9], radius=5).add_to(m)
    page = maps.render_html(m)
    assert "<script src" not in page and "Leaflet 1.9.4" in page
    with_icon = folium.Map(location=[20.7, 101.9], tiles=None)
    folium.Marker([20.7, 101.9], icon=folium.Icon(color="red")).add_to(with_icon)
    with pytest.raises(LanduseError, match="AwesomeMarkers"):
        maps.render_html(with_icon)
    from folium.plugins import MiniMap

    plugin = folium.Map(location=[20.7, 101.9], tiles=None)
    MiniMap().add_to(plugin)
    with pytest.raises(LanduseError, match="cannot be embedded for offline use"):
        maps.render_html(plugin)
    assert inline_assets("<p>no scripts</p>") == "<p>no scripts</p>"


def test_hillshade_overlay_is_placed_by_the_dems_corners(plane_dem):
    z, transform = plane_dem
    uri, bounds = maps.web._hillshade_overlay((z, transform, UTM47))
    rows, cols = z.shape
    to_ll = Transformer.from_crs(UTM47, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform([X0, X0 + cols * 20.0], [Y0, Y0 + rows * 20.0])
    # Warping to Web Mercator keeps the extent within about one cell (20 m ~ 2e-4 degree).
    assert bounds[0][0] == pytest.approx(lat[0], abs=2e-4) and bounds[1][0] == pytest.approx(lat[1], abs=2e-4)
    assert bounds[0][1] == pytest.approx(lon[0], abs=2e-4) and bounds[1][1] == pytest.approx(lon[1], abs=2e-4)
    import base64
    import io

    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    grey, alpha = img[..., 0], img[..., 1]
    inner = grey[alpha == 255]
    # A plane has one shade everywhere (Horn, as landuse.terrain.hillshade / gdaldem).
    from landuse.terrain import hillshade

    expected = hillshade((z, transform, UTM47)).data[rows // 2, cols // 2]
    assert abs(float(np.median(inner)) - float(expected)) <= 1
    assert np.percentile(inner, 95) - np.percentile(inner, 5) <= 2


def test_geographic_dem_is_refused(plane_dem):
    z, _ = plane_dem
    from affine import Affine

    with pytest.raises(CRSError, match="geographic"):
        maps.interactive_map({"p": gpd.GeoDataFrame(geometry=[square(0, 0)], crs=UTM47)},
                             dem=(z, Affine(0.001, 0, 101, 0, -0.001, 21), "EPSG:4326"))


def test_repr_html_embeds_the_offline_page(grid_parcels):
    m = maps.interactive_map({"parcels": grid_parcels})
    frame = m._repr_html_()
    assert frame.startswith("<div") and "<iframe srcdoc=" in frame
    assert "https://cdn" not in frame and "Leaflet 1.9.4" in frame


def test_show_chooses_the_layers_visible_at_opening(grid_parcels, one_village):
    m = maps.interactive_map({"villages": one_village, "parcels": grid_parcels, "allocations": grid_parcels},
                             show=["villages", "parcels"])
    html = maps.render_html(m)
    added = re.findall(r"(landuse_layer_\w+)\.addTo\(map_", html)
    declared = re.findall(r"var (landuse_layer_\w+) = landuse\.addLayer", html)
    assert len(declared) == 3 and added == declared[:2]
    with pytest.raises(SchemaError, match="no layer named 'zones'"):
        maps.interactive_map({"parcels": grid_parcels}, show=["zones"])


@pytest.mark.slow
def test_map_shows_inline_in_a_jupyter_kernel():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = (
        "import geopandas as gpd\nfrom shapely.geometry import box\nfrom landuse import maps\n"
        "gdf = gpd.GeoDataFrame({'parcel_id': ['P1']}, geometry=[box(500000, 2290000, 500100, 2290100)],"
        " crs='EPSG:32647')\nmaps.interactive_map({'parcels': gdf}, title='inline')"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    html = nb.cells[0].outputs[0]["data"]["text/html"]
    assert "<iframe srcdoc=" in html and "Leaflet 1.9.4" in html
    assert "cdn.jsdelivr" not in html and "&lt;title&gt;inline&lt;/title&gt;" in html


def test_map_structure(grid_parcels, one_village):
    m = maps.interactive_map({"villages": one_village, "parcels": grid_parcels}, title="T")
    html = maps.render_html(m)
    assert html.count("landuse.addLayer(") == 2
    assert "L.control.layers(" in html and "landuse.finish(" in html
    assert '"search":true' in html
    assert "<title>T</title>" in html


def test_geographic_layers_are_simplified_in_metres(one_ha_parcels):
    ll = one_ha_parcels.to_crs("EPSG:4326")
    a = maps.map_layer_data(ll, simplify_m=0.5)["geoms"]
    b = maps.map_layer_data(one_ha_parcels, simplify_m=0.5)["geoms"]
    assert len(a) == len(b) == 6


# -- errors --------------------------------------------------------------------------------------------
def test_interactive_map_errors(grid_parcels):
    with pytest.raises(SchemaError, match="non-empty mapping"):
        maps.interactive_map({})
    with pytest.raises(SchemaError, match="non-empty mapping"):
        maps.interactive_map([grid_parcels])
    with pytest.raises(SchemaError, match="expected a GeoDataFrame"):
        maps.interactive_map({"parcels": pd.DataFrame({"a": [1]})})
    with pytest.raises(CRSError, match="no coordinate reference system"):
        maps.interactive_map({"parcels": grid_parcels.set_crs(None, allow_override=True)})
    with pytest.raises(SchemaError, match="color_by column 'nope'"):
        maps.interactive_map({"parcels": grid_parcels}, color_by={"parcels": "nope"})
    with pytest.raises(SchemaError, match="popup column 'nope'"):
        maps.interactive_map({"parcels": grid_parcels}, popup_columns={"parcels": ["nope"]})
    with pytest.raises(SchemaError, match="no layer named 'zones'"):
        maps.interactive_map({"parcels": grid_parcels}, color_by={"zones": "zone"})
    with pytest.raises(SchemaError, match="layer names must be non-empty strings"):
        maps.interactive_map({"": grid_parcels})
    with pytest.raises(SchemaError, match="simplify_m"):
        maps.interactive_map({"parcels": grid_parcels}, simplify_m=-1)
    with pytest.raises(GeometryError, match="nothing to draw"):
        maps.interactive_map({"parcels": grid_parcels.iloc[:0]})
    coll = gpd.GeoDataFrame(geometry=[shapely.GeometryCollection([square(0, 0)])], crs=UTM47)
    with pytest.raises(GeometryError, match="geometry collections"):
        maps.interactive_map({"x": coll})
    with pytest.raises(SchemaError, match="expected a folium.Map"):
        maps.save_html("not a map", "x.html")


# -- static maps ----------------------------------------------------------------------------------------
@pytest.fixture
def plan_layers(grid_parcels):
    zones = gpd.GeoDataFrame({"zone": ["PADDY", "PROTECTION_FOREST"]},
                             geometry=[box(X0, Y0, X0 + 200, Y0 + 300), box(X0 + 200, Y0, X0 + 400, Y0 + 300)],
                             crs=UTM47)
    villages = gpd.GeoDataFrame({"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"]},
                                geometry=[box(X0, Y0, X0 + 400, Y0 + 300)], crs=UTM47)
    streams = gpd.GeoDataFrame({"stream_id": ["S1"]},
                               geometry=[LineString([(X0, Y0 + 150), (X0 + 400, Y0 + 160)])], crs=UTM47)
    return villages, zones, grid_parcels, streams


@pytest.mark.parametrize(("span", "expected"), [(730, 500), (100, 100), (99.9, 50), (0.3, 0.2), (2600, 2000),
                                                (19_999, 10_000)])
def test_nice_length(span, expected):
    from landuse.maps._static import nice_length

    assert nice_length(span) == pytest.approx(expected)


@pytest.mark.parametrize(("width", "labels"), [(1000, ["0", "0.5", "1 km"]), (500, ["0", "250", "500 m"]),
                                                (2000, ["0", "1", "2 km"])])
def test_scale_bar_labels_use_one_unit(width, labels):
    from landuse.maps._static import _new_figure, _scale_bar

    fig = _new_figure(50, 50)
    ax = fig.add_axes((0, 0, 1, 1))
    _scale_bar(ax, x0=0, y0=0, width_m=width, height=10)
    assert [t.get_text() for t in ax.texts] == labels
    from matplotlib.patches import Rectangle

    assert sum(p.get_width() for p in ax.patches if isinstance(p, Rectangle)) == pytest.approx(width)


def test_nice_length_error():
    from landuse.maps._static import nice_length

    with pytest.raises(SchemaError, match="scale-bar length"):
        nice_length(0)


def test_plan_map_furniture(plan_layers):
    villages, zones, parcels, streams = plan_layers
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Glyph ... missing from font(s)"
        fig = maps.plan_map(villages, zones=zones, parcels=parcels, streams=streams, title="Plan of Pasak",
                            notes="Draft 1")
        fig.canvas.draw()
    ax = fig.axes[0]
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    assert "N" in texts and "Plan of Pasak" in texts and "Draft 1" in texts
    assert "Pasak\nປ່າສັກ" in texts
    legend = fig.axes[2].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == ["Protection forest · ປ່າປ້ອງກັນ", "Paddy · ນາ"]  # STYLES order
    assert "Stream · ຫ້ວຍ" in labels and "Parcel · ຕອນດິນ" in labels
    # Scale bar: four segments adding up to a round length, labelled in metres.
    from matplotlib.patches import Rectangle

    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    total = sum(p.get_width() for p in bars)
    assert len(bars) == 4 and total in (50, 100, 200)
    assert f"{total:g} m" in texts
    # The stated scale matches the axes size on paper.
    x0, x1 = ax.get_xlim()
    width_mm = ax.get_position().width * fig.get_size_inches()[0] * 25.4
    scale = (x1 - x0) / (width_mm / 1000)
    stated = next(t for t in texts if t.startswith("Scale 1:"))
    denominator = int(re.match(r"Scale 1:([\d ]+) on", stated).group(1).replace(" ", ""))
    assert denominator == pytest.approx(scale, rel=0.05)
    # UTM grid labels in metres
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert any(t.replace(" ", "").isdigit() and int(t.replace(" ", "")) >= X0 for t in ticks)


def test_lao_font_has_every_glyph_of_the_labels():
    from matplotlib.ft2font import FT2Font

    from landuse.maps._static import _register_lao_font

    path = _register_lao_font()
    assert path is not None and "NotoSansLao" in path
    font = FT2Font(path)
    lao = {ch for table in ("land_type", "zone", "status_class") for v in maps.STYLES[table].values()
           for ch in v["lo"]}
    lao |= {ch for t in ("columns", "layers") for v in maps.STYLES[t].values() for ch in v[1]}
    lao = {ch for ch in lao if "\u0e80" <= ch <= "\u0eff"}
    assert len(lao) > 30
    assert [ch for ch in sorted(lao) if font.get_char_index(ord(ch)) == 0] == []


def test_plan_map_errors(plan_layers):
    villages, zones, parcels, _ = plan_layers
    with pytest.raises(CRSError, match="geographic"):
        maps.plan_map(villages.to_crs("EPSG:4326"))
    with pytest.raises(CRSError):
        maps.plan_map(villages, zones=zones.to_crs("EPSG:32648"))
    with pytest.raises(SchemaError, match="zone"):
        maps.plan_map(villages, zones=zones.rename(columns={"zone": "z"}))
    with pytest.raises(GeometryError, match="no geometry"):
        maps.plan_map(villages.assign(geometry=[Polygon()]))


def test_save_figure_is_deterministic(tmp_path, plan_layers):
    villages, zones, parcels, streams = plan_layers
    fig = maps.plan_map(villages, zones=zones, parcels=parcels, streams=streams)
    for suffix, magic in ((".pdf", b"%PDF"), (".png", b"\x89PNG"), (".svg", b"<?xml")):
        a = maps.save_figure(fig, tmp_path / f"a{suffix}").read_bytes()
        b = maps.save_figure(fig, tmp_path / f"b{suffix}").read_bytes()
        assert a[:5].startswith(magic) and a == b
    assert b"CreationDate" not in (tmp_path / "a.pdf").read_bytes()
    with pytest.raises(OutputExistsError):
        maps.save_figure(fig, tmp_path / "a.pdf")
    with pytest.raises(SchemaError, match="use .png, .pdf or .svg"):
        maps.save_figure(fig, tmp_path / "a.jpg")


def test_parcel_vertices_clockwise_from_north():
    tri = Polygon([(0, 0), (100, 0), (0, 100)])  # counter-clockwise input
    v = maps.parcel_vertices(tri)
    assert v[["x_m", "y_m"]].to_numpy().tolist() == [[0, 100], [100, 0], [0, 0]]
    assert v["side_m"].tolist() == pytest.approx([100 * 2**0.5, 100, 100])
    mp = maps.parcel_vertices(MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)]))
    assert mp["vertex"].tolist() == list(range(1, 9)) and mp["part"].tolist() == [1] * 4 + [2] * 4


def test_parcel_sketch_shows_neighbours_and_corners(grid_parcels):
    fig = maps.parcel_sketch("P05", grid_parcels)  # (1, 1) in the 4 x 3 grid
    texts = [t.get_text() for t in fig.axes[0].texts]
    neighbours = {t for t in texts if t.startswith("P") and "\n" not in t}
    # Parcels touching P05 (sides or corners): the 8 around it.
    assert neighbours == {"P00", "P01", "P02", "P04", "P06", "P08", "P09", "P10"}
    assert "P05\n1.00 ha" in texts
    assert {"1", "2", "3", "4"} <= set(texts)
    w, h = fig.get_size_inches() * 25.4
    assert w == pytest.approx(80) and h == pytest.approx(80)


def test_parcel_sketch_errors(grid_parcels):
    with pytest.raises(SchemaError, match="no parcel with parcel_id 'X'"):
        maps.parcel_sketch("X", grid_parcels)
    dup = pd.concat([grid_parcels, grid_parcels.iloc[:1]])
    with pytest.raises(SchemaError, match="2 parcels share"):
        maps.parcel_sketch("P00", dup)
    with pytest.raises(CRSError, match="geographic"):
        maps.parcel_sketch("P00", grid_parcels.to_crs("EPSG:4326"))
    broken = grid_parcels.copy()
    broken.loc[0, "geometry"] = None
    with pytest.raises(GeometryError, match="no polygon"):
        maps.parcel_sketch("P00", broken)


# -- CLI ---------------------------------------------------------------------------------------------------
@pytest.fixture
def plan_gpkg(tmp_path, plan_layers):
    villages, zones, parcels, streams = plan_layers
    path = tmp_path / "plan.gpkg"
    for name, gdf in (("villages", villages), ("zones", zones), ("parcels", parcels), ("streams", streams)):
        gdf.to_file(path, layer=name)
    return path


def test_cli_map(tmp_path, plan_gpkg):
    # a non-spatial table (as QGIS' layer_styles in a plan GeoPackage) is not a map layer
    gpd.GeoDataFrame(pd.DataFrame({"style": ["x"]})).to_file(plan_gpkg, layer="layer_styles")
    out = tmp_path / "map.html"
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--title", "Pasak"])
    assert res.exit_code == 0, res.output
    assert "villages, zones, parcels, streams" in res.output
    html = out.read_text(encoding="utf-8")
    assert html.count("landuse.addLayer(") == 4 and "<script src" not in html
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out)])
    assert res.exit_code == 1 and "exists already" in res.output
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--overwrite",
                                   "--layers", "parcels"])
    assert res.exit_code == 0 and out.read_text(encoding="utf-8").count("landuse.addLayer(") == 1
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--layers", "roads"])
    assert res.exit_code == 2 and "no layer 'roads'" in res.output
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--overwrite",
                                   "--layers", "parcels", "--color-by", "parcels=household_id"])
    assert res.exit_code == 0, res.output
    assert '"legendCaption":null' in out.read_text(encoding="utf-8") and '"H5"' in out.read_text(encoding="utf-8")
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--overwrite",
                                   "--show", "villages"])
    assert res.exit_code == 0, res.output
    assert len(re.findall(r"landuse_layer_\w+\.addTo\(map_", out.read_text(encoding="utf-8"))) == 1
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--overwrite", "--cdn"])
    assert res.exit_code == 0, res.output
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js">' in out.read_text(
        encoding="utf-8")
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--color-by", "parcels"])
    assert res.exit_code == 2 and "is not LAYER=COLUMN" in res.output
    res = CliRunner().invoke(cli, ["map", "--plan", str(plan_gpkg), "--out", str(out), "--overwrite",
                                   "--color-by", "parcels=nope"])
    assert res.exit_code == 1 and "color_by column 'nope'" in res.output


def test_cli_map_from_folder(tmp_path, plan_layers, plane_dem):
    villages, _, parcels, _ = plan_layers
    folder = tmp_path / "out"
    folder.mkdir()
    villages.to_file(folder / "villages.gpkg")
    parcels.to_file(folder / "parcels.gpkg")
    from landuse.io import write_raster

    z, transform = plane_dem
    write_raster(z.astype("float32"), folder / "dem.tif", transform=transform, crs=UTM47)
    out = tmp_path / "m.html"
    res = CliRunner().invoke(cli, ["map", "--plan", str(folder), "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "L.imageOverlay(" in html and html.count("landuse.addLayer(") == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(cli, ["map", "--plan", str(empty), "--out", str(out)])
    assert res.exit_code == 1 and "no map layers found" in res.output


def test_cli_static_map_and_sketch(tmp_path, plan_gpkg):
    pdf = tmp_path / "plan.pdf"
    res = CliRunner().invoke(cli, ["static-map", "--plan", str(plan_gpkg), "--out", str(pdf)])
    assert res.exit_code == 0, res.output
    assert pdf.read_bytes().startswith(b"%PDF")
    png = tmp_path / "sketch.png"
    res = CliRunner().invoke(cli, ["static-map", "--plan", str(plan_gpkg), "--out", str(png), "--sketch", "P05"])
    assert res.exit_code == 0, res.output
    assert png.read_bytes().startswith(b"\x89PNG")
    res = CliRunner().invoke(cli, ["static-map", "--plan", str(plan_gpkg), "--out", str(png), "--overwrite",
                                   "--sketch", "nope"])
    assert res.exit_code == 1 and "no parcel with parcel_id 'nope'" in res.output


# -- demo ----------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_parcels_map_is_at_most_a_third_of_explore():
    pytest.importorskip("mapclassify", reason="geopandas explore() needs mapclassify")
    from landuse.datasets import get_path, load_demo

    assert get_path("parcels").exists(), "bundled demo data missing"
    demo = load_demo()
    ours = len(maps.render_html(maps.interactive_map({"parcels": demo.parcels})).encode("utf-8"))
    theirs = len(demo.parcels.explore().get_root().render().encode("utf-8"))
    assert ours <= theirs / 3, (ours, theirs)
    fig = maps.plan_map(demo.villages, parcels=demo.parcels, dem=demo.dem, title="Demo")
    assert fig.axes[2].get_legend() is not None
    pid = demo.parcels["parcel_id"].iloc[0]
    assert any(t.get_text().startswith(f"{pid}\n") for t in maps.parcel_sketch(pid, demo.parcels).axes[0].texts)


def test_layer_control_names_are_stable_too():
    import re

    import geopandas as gpd
    from shapely.geometry import box

    from landuse import maps

    g = gpd.GeoDataFrame({"parcel_id": ["P1"]}, geometry=[box(500000, 2290000, 500100, 2290100)], crs=32647)
    pages = [maps.render_html(maps.interactive_map({"parcels": g, "villages": g.assign(village_id="V")}))
             for _ in range(2)]
    assert pages[0] == pages[1]
    assert re.findall(r"layer_control_[0-9a-f]{32}_layers", pages[0])


def test_plan_map_allocations_carry_names_and_sheet_links(tmp_path, grid_parcels):
    from landuse._validate.ids import id_filename
    from landuse.plan._products import _map_allocations, _write_map

    alloc = grid_parcels.assign(village_id="V1", household_id=["H1", "H2", None, "a/../b"] * 3)
    households = pd.DataFrame({"household_id": ["H1", "H2", "H2"], "head_name": ["Bounmy", "Kham", "dup"],
                               "head_name_lo": ["ບຸນມີ", "ຄຳ", "dup"], "members": [3, 4, 4]})
    out = _map_allocations(alloc, households)
    assert out["head_name"].iloc[:2].tolist() == ["Bounmy", "Kham"]  # the first of a repeated id
    assert out["head_name"].iloc[2:4].isna().all()
    assert out["head_name_lo"].iloc[0] == "ບຸນມີ" and "members" not in out.columns
    assert out["household_sheet"].iloc[0] == "households/V1/H1.html"
    assert out["household_sheet"].iloc[3] == "households/V1/" + id_filename("a/../b", ".html")
    assert "/" not in out["household_sheet"].iloc[3][len("households/V1/"):]
    assert out["household_sheet"].iloc[2] is None and len(out) == len(alloc)
    # the map: schemes (catchments) drawn below the allocations, the popup shows names and link
    schemes = gpd.GeoDataFrame({"scheme_id": ["S1"], "feature": ["catchment"]},
                               geometry=[grid_parcels.union_all().buffer(10)], crs=grid_parcels.crs)
    path = _write_map(tmp_path / "map.html", {"allocations": alloc, "schemes": schemes}, None, title="T",
                      households=households)
    html = path.read_text(encoding="utf-8")
    assert html.index('"name":"schemes"') < html.index('"name":"allocations"')
    assert "ບຸນມີ" in html and "households/V1/H1.html" in html and "ໃບຄົວເຮືອນ / Household sheet" in html


_FLOATS = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.0, 2.5])),
                   max_size=20)


@settings(max_examples=150, deadline=None)
@given(_FLOATS, st.lists(st.one_of(st.none(), st.sampled_from(["paddy", "upland", "x", "", "ບ້ານ"])), max_size=20),
       st.lists(st.integers(-3, 3), max_size=20), st.sampled_from(["area_ha", "land_type", "n"]))
def test_popup_texts_format_each_distinct_value_as_each_cell(floats, texts, ints, col):
    """Formatting each distinct value once gives the cell-by-cell texts (floats by their bits)."""
    from landuse.maps.web import _format_value, _texts

    for values in (pd.Series(floats, dtype=float), pd.Series(texts, dtype=object), pd.Series(ints, dtype="int64"),
                   pd.Series([i > 0 for i in ints], dtype=bool), pd.Series(ints, dtype="Int64"),
                   pd.Series([1, 1.0, True, "1", None][: len(ints)], dtype=object)):
        assert _texts(values, col) == [_format_value(v, col) for v in values.tolist()]
