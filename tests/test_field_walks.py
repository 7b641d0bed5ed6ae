"""Boundary walks -> village polygons (landuse.field.walks)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from field_samples import walk_points, write_gpx
from shapely.geometry import Polygon

from landuse.errors import DataReadError, GeometryError
from landuse.field import import_walks, read_walk, walk_to_polygon

DISTRICTS = "/work/shared/data/lao_admin_codab_hdx/oudomxay-final.json"


def test_square_walk_hand_computed():
    # 100 m square: a stop of three points at (0, 0), a 400 m spike, the last side not walked
    pts = [(0, 0), (1, 1), (0, 1), (50, 0), (100, 0), (100, 50), (500, 60), (100, 100), (50, 100), (0, 100)]
    poly, steps = walk_to_polygon(pts)
    st = {s["step"]: s for s in steps}
    assert poly.area == pytest.approx(10_000)
    assert st["stops"]["count"] == 2
    assert st["spikes"]["count"] == 1
    assert st["closure"]["value"] == pytest.approx(100)  # (0, 100) -> (0, 0)
    assert st["length"]["value"] == pytest.approx(300)


def test_self_intersection_reported_and_loop_dropped():
    # a figure eight: a 100 m square and a 10 m loop crossing it
    pts = [(0, 0), (100, 0), (100, 100), (50, 100), (45, 110), (55, 110), (50, 100), (0, 100)]
    pts = [(0, 0), (100, 0), (100, 100), (60, 100), (50, 110), (40, 100), (0, 100)]
    poly, steps = walk_to_polygon(pts, spike_m=1e9, simplify_m=0)
    assert poly.is_valid
    bow = [(0, 0), (100, 100), (100, 0), (0, 100)]  # bow-tie: two triangles of 2,500 m²
    poly, steps = walk_to_polygon(bow, spike_m=1e9, simplify_m=0)
    st = {s["step"]: s for s in steps}
    assert poly.is_valid and poly.area == pytest.approx(2500)
    assert st["self_intersections"]["value"] == pytest.approx(2500)  # the dropped loop


@pytest.fixture(scope="module")
def demo_villages():
    from landuse.datasets import load_demo

    return load_demo().villages


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_demo_walks_recover_the_villages(tmp_path, demo_villages, seed):
    paths = []
    for k, row in enumerate(demo_villages.itertuples()):
        pts = walk_points(row.geometry, seed=seed * 100 + k)
        paths.append(write_gpx(pts, demo_villages.crs, tmp_path / f"{row.village_id}.gpx", name=row.name_en))
    res = import_walks(paths, crs=demo_villages.crs)
    got = res.villages.set_index("village_id")
    assert got.crs == demo_villages.crs
    for row in demo_villages.itertuples():
        g = got.loc[row.village_id, "geometry"]
        assert g.is_valid and g.geom_type == "Polygon"
        # stated tolerance: area within 3 % (5 % of the outline not walked, straight closing),
        # and the symmetric difference within 4 % of the true area
        assert g.area == pytest.approx(row.geometry.area, rel=0.03)
        assert g.symmetric_difference(row.geometry).area < 0.04 * row.geometry.area
    rep = res.report
    assert (rep.loc[rep.step == "spikes", "count"] == 3).all()
    assert (rep.loc[rep.step == "stops", "count"] > 3 * 10).all()
    assert (rep.loc[rep.step == "closure", "value"] > 100).all()
    # neighbours share one line after snapping: no overlap wider than noise
    g = res.villages.geometry.to_numpy()
    inter = shapely.intersection(g[:, None], g[None, :])
    area = shapely.area(inter)
    np.fill_diagonal(area, 0)
    assert area.max() < 2_000  # m², the order of noise x a few km of shared boundary
    from landuse.check import check_inputs

    rep_chk = check_inputs(villages=res.villages)
    assert not (rep_chk["severity"] == "error").any(), rep_chk


def test_xay_and_la_district_walks_share_one_line(tmp_path):
    d = gpd.read_file(DISTRICTS).to_crs(32647)
    d = d[d.ADM2_EN.isin(["Xay", "La"])].reset_index(drop=True)
    paths = []
    for k, row in enumerate(d.itertuples()):
        poly = row.geometry if row.geometry.geom_type == "Polygon" else max(row.geometry.geoms, key=lambda p: p.area)
        pts = walk_points(poly, step_m=60, noise_m=5, missing_fraction=0.01, seed=k)
        paths.append(write_gpx(pts, d.crs, tmp_path / f"{row.ADM2_PCODE}.gpx", name=row.ADM2_EN))
    res = import_walks(paths, crs=d.crs, simplify_m=5, snap_m=20)
    a, b = res.villages.geometry
    assert a.intersection(b).area < 0.0005 * min(a.area, b.area)
    shared = a.boundary.intersection(b.buffer(0.5)).length
    true_shared = d.geometry[0].intersection(d.geometry[1]).length
    assert shared == pytest.approx(true_shared, rel=0.05)
    for k in range(2):
        assert res.villages.geometry[k].area == pytest.approx(d.geometry[k].area, rel=0.01)


def test_kml_and_geojson_walks(tmp_path):
    sq = [(102.0, 20.0), (102.01, 20.0), (102.01, 20.01), (102.0, 20.01)]
    kml = tmp_path / "V1.kml"
    coords = " ".join(f"{x},{y},0" for x, y in sq)
    kml.write_text('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
                   f'<name>Ban &lt;One&gt;</name><LineString><coordinates>{coords}</coordinates></LineString>'
                   '</Placemark></Document></kml>', encoding="utf-8")
    gj = tmp_path / "V2.geojson"
    gj.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Two"},'
                  '"geometry":{"type":"LineString","coordinates":' + str([list(p) for p in sq]) + "}}]}",
                  encoding="utf-8")
    assert read_walk(kml).attrs["name"] == "Ban <One>"
    res = import_walks([kml, gj], snap_m=0)
    assert res.villages.crs.to_epsg() == 32648  # 102 E is UTM 48N
    a = res.villages.geometry
    assert a[0].area == pytest.approx(a[1].area)
    ref = gpd.GeoSeries([Polygon(sq)], crs=4326).to_crs(32648).area[0]
    assert a[0].area == pytest.approx(ref, rel=1e-3)


def test_bad_walks(tmp_path):
    with pytest.raises(DataReadError, match="does not exist"):
        read_walk(tmp_path / "nope.gpx")
    p = tmp_path / "x.shp"
    p.write_text("x")
    with pytest.raises(DataReadError, match="unsupported"):
        read_walk(p)
    g = tmp_path / "broken.gpx"
    g.write_text("<gpx><trk>", encoding="utf-8")
    with pytest.raises(DataReadError, match="GPX"):
        read_walk(g)
    one = tmp_path / "one.geojson"
    one.write_text('{"type":"Point","coordinates":[102,20]}')
    with pytest.raises(DataReadError, match="at least 3"):
        read_walk(one)
    with pytest.raises(GeometryError):
        walk_to_polygon([(0, 0), (1, 0), (0, 1)])
