"""The inter-village boundary register and the printed sheets (landuse.field)."""

from __future__ import annotations

import json
import subprocess

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from field_samples import walk_points, write_gpx

from landuse.errors import SchemaError
from landuse.field import (
    find_conflicts,
    import_walks,
    set_status,
    shared_boundaries,
    update_register,
)

A, B, C = "0401015", "0401016", "0401035"


@pytest.fixture(scope="module")
def demo():
    from landuse.datasets import load_demo

    return load_demo()


@pytest.fixture(scope="module")
def claims(demo):
    v = demo.villages.set_index("village_id")
    a, b, c = (v.loc[k, "geometry"] for k in (A, B, C))
    b_claim = shapely.union_all([b, a.intersection(b.buffer(150))])  # B claims a 150 m strip of A
    c_claim = c.difference(a.buffer(120))  # C leaves a 120 m strip along A unclaimed
    return {A: a, B: b_claim, C: c_claim}, demo.villages.crs


def _walk(tmp_path, claims, crs, seed=0):
    paths = [write_gpx(walk_points(g, seed=seed + k, missing_fraction=0.0), crs, tmp_path / f"{vid}.gpx", name=vid)
             for k, (vid, g) in enumerate(sorted(claims.items()))]
    return import_walks(paths, crs=crs).villages


def test_register_areas_against_independent_geometry(tmp_path, claims, demo):
    geoms, crs = claims
    c_true = demo.villages.set_index("village_id").loc[C, "geometry"]
    villages = _walk(tmp_path, geoms, crs)
    conf = find_conflicts(villages)
    ov = conf[(conf.kind == "overlap") & (conf.village_a == A) & (conf.village_b == B)]
    gap = conf[(conf.kind == "gap") & (conf.village_a == A) & (conf.village_b == C)]
    assert len(ov) == 1 and len(gap) == 1, conf[["kind", "village_a", "village_b", "area_m2"]]
    true_ov = geoms[A].intersection(geoms[B]).area
    true_gap = c_true.intersection(geoms[A].buffer(120)).difference(geoms[A]).area
    # exactly the overlap of the imported polygons (computed here with shapely alone)
    got = villages.set_index("village_id").geometry
    assert ov.area_m2.iloc[0] == pytest.approx(got[A].intersection(got[B]).area, rel=1e-6)
    # against the claims walked: GPS noise of 3 m along ~10 km of strip outline, within 8 %
    assert ov.area_m2.iloc[0] == pytest.approx(true_ov, rel=0.08)
    assert gap.area_m2.iloc[0] == pytest.approx(true_gap, rel=0.12)
    assert ov.length_m.iloc[0] == pytest.approx(geoms[A].intersection(geoms[B]).length / 2, rel=0.1)
    # every other conflict is noise (< 1,000 m²) or the part of C's unclaimed strip that B borders
    rest = conf.drop(index=[ov.index[0], gap.index[0]])
    big = rest[rest.area_m2 >= 1000]
    assert set(zip(big.kind, big.village_a, big.village_b)) <= {("gap", B, C)}, rest
    strip_by_b = c_true.intersection(geoms[A].buffer(120)).difference(geoms[A]).intersection(geoms[B].buffer(120)).area
    assert big.area_m2.sum() <= strip_by_b + 2000


def test_register_history_across_runs(tmp_path, claims, demo):
    geoms, crs = claims
    villages = _walk(tmp_path, geoms, crs)
    reg = update_register(None, find_conflicts(villages), date="2026-03-01")
    assert (reg.status == "open").all() and (reg.present == "yes").all()
    again = update_register(reg, find_conflicts(villages), date="2026-03-02")
    assert again.conflict_id.tolist() == reg.conflict_id.tolist()  # stable ids
    cid = reg.loc[(reg.kind == "overlap") & (reg.village_b == B), "conflict_id"].iloc[0]
    reg2 = set_status(again, cid, "agreed", resolution="line follows the stream", date="2026-03-03")
    # the boundary is re-walked after the agreement: B gives up the strip
    fixed = dict(geoms)
    fixed[B] = demo.villages.set_index("village_id").loc[B, "geometry"]
    v2 = _walk(tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path, fixed, crs, seed=7)
    reg3 = update_register(reg2, find_conflicts(v2), date="2026-03-10")
    row = reg3.set_index("conflict_id").loc[cid]
    assert row.status == "agreed" and row.present == "no" and row.resolution == "line follows the stream"
    events = [e["event"] for e in json.loads(row.history)]
    assert events[0].startswith("found") and "agreed" in events[-2] and events[-1].startswith("not found")
    # the register survives a GeoPackage round trip
    from landuse.io import read_vector, write_vector

    write_vector(reg3, tmp_path / "reg.gpkg", layer="boundary_conflicts")
    back = read_vector(tmp_path / "reg.gpkg", layer="boundary_conflicts")
    assert update_register(back, find_conflicts(v2), date="2026-03-11").conflict_id.tolist() == reg3.conflict_id.tolist()
    with pytest.raises(SchemaError, match="unknown status"):
        set_status(reg3, cid, "done")
    with pytest.raises(SchemaError, match="no conflict"):
        set_status(reg3, "BC-NOPE", "agreed")


def test_hand_computed_squares():
    sq = gpd.GeoDataFrame({"village_id": ["a", "b", "c"]},
                          geometry=[shapely.box(0, 0, 100, 100), shapely.box(90, 0, 200, 100),
                                    shapely.box(0, 150, 200, 250)], crs=32647)
    conf = find_conflicts(sq, min_area_m2=1)
    got = {(r.kind, r.village_a, r.village_b): r.area_m2 for r in conf.itertuples()}
    assert got[("overlap", "a", "b")] == pytest.approx(1000)  # 10 m x 100 m
    assert got[("gap", "a", "c")] + got[("gap", "b", "c")] == pytest.approx(200 * 50)
    sb = shared_boundaries(gpd.GeoDataFrame({"village_id": ["a", "b"]},
                                            geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 50)],
                                            crs=32647))
    assert sb.length_m.tolist() == [50.0]


def _pdf_size_and_text(path, tmp_path):
    subprocess.run(["pdftoppm", "-r", "10", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "pg")], check=True)
    from PIL import Image

    png = sorted(tmp_path.glob("pg*.png"))[0]
    with Image.open(png) as im:
        size = im.size
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    png.unlink()
    return size, text, fonts


def test_sheets_are_a4_and_a3_with_text(tmp_path, demo):
    from landuse.field.sheets import boundary_agreement_sheet, public_display_sheet

    v = demo.villages
    reg = update_register(None, find_conflicts(v, min_area_m2=1), date="2026-03-01")
    out = boundary_agreement_sheet(v, B, A, tmp_path / "ba.pdf", conflicts=reg, district="Xay", date="2026-03-04")
    (w, h), text, fonts = _pdf_size_and_text(out, tmp_path)
    assert abs(w - 210 / 2.54) <= 1 and abs(h - 297 / 2.54) <= 1  # A4 portrait at 10 dpi: 83 x 117 px
    assert "ສັນຍາຕົກລົງເຂດແດນລະຫວ່າງບ້ານ" in text and "Village boundary agreement" in text and "ນາເລົາ" in text
    true_len = v.set_index("village_id").loc[A, "geometry"].intersection(v.set_index("village_id").loc[B, "geometry"]).length
    assert f"{true_len:,.0f} m" in text
    assert " yes yes yes" in fonts  # embedded, subset, ToUnicode
    # public display: synthetic zones (west/east halves) and the demo parcels
    vil = v.set_index("village_id").loc[A, "geometry"]
    minx, miny, maxx, maxy = vil.bounds
    mid = (minx + maxx) / 2
    zones = gpd.GeoDataFrame({"village_id": [A, A], "zone": ["PADDY", "PROTECTION_FOREST"]},
                             geometry=[vil.intersection(shapely.box(minx, miny, mid, maxy)),
                                       vil.intersection(shapely.box(mid, miny, maxx, maxy))], crs=v.crs)
    hh = demo.households.copy()
    hh.loc[hh.index[0], "head_name"] = "=cmd|' /C calc'!A0 <b>"  # hostile text is just text
    for paper, size_mm in (("A3", (420, 297)), ("A1", (841, 594))):
        out = public_display_sheet(A, tmp_path / f"pd_{paper}.pdf", villages=v, zones=zones, parcels=demo.parcels,
                                   households=hh, objection_from="2026-04-01", objection_days=30, paper=paper)
        (w, h), text, _ = _pdf_size_and_text(out, tmp_path)
        assert abs(w - size_mm[0] / 2.54) <= 1 and abs(h - size_mm[1] / 2.54) <= 1
    assert "2026-04-01 – 2026-04-30" in text
    west = zones.geometry[0].area / 1e4
    assert f"{west:,.1f}" in text
    p = demo.parcels[demo.parcels.village_id == A]
    held = p.merge(hh, on="household_id")
    for name in held["head_name_lo"].head(20):
        assert name in text
    assert "=cmd|" in text
    # deterministic bytes
    again = public_display_sheet(A, tmp_path / "again.pdf", villages=v, zones=zones, parcels=demo.parcels,
                                 households=hh, objection_from="2026-04-01", paper="A1")
    assert again.read_bytes() == (tmp_path / "pd_A1.pdf").read_bytes()
    with pytest.raises(FileExistsError):
        public_display_sheet(A, again, villages=v, zones=zones, parcels=demo.parcels, households=hh,
                             objection_from="2026-04-01", paper="A1")
    with pytest.raises(SchemaError, match="not a date"):
        public_display_sheet(A, tmp_path / "x.pdf", villages=v, zones=zones, parcels=demo.parcels, households=hh,
                             objection_from="April")
    assert isinstance(pd.Timestamp("2026-04-01"), pd.Timestamp)


def test_cli_boundaries(tmp_path, demo):
    from click.testing import CliRunner

    from landuse.cli.main import cli
    from landuse.io import write_table, write_vector

    v = tmp_path / "v.gpkg"
    claims = demo.villages.copy()
    a = claims.geometry[0]
    claims.loc[1, "geometry"] = shapely.union_all([claims.geometry[1], a.intersection(claims.geometry[1].buffer(100))])
    write_vector(claims, v, layer="villages")
    reg = tmp_path / "reg.gpkg"
    run = CliRunner().invoke
    res = run(cli, ["boundaries", "update", "--villages", str(v), "--register", str(reg), "--date", "2026-03-01"])
    assert res.exit_code == 0, res.output
    from landuse.io import read_vector

    r = read_vector(reg, layer="boundary_conflicts")
    cid = r.loc[r.kind == "overlap", "conflict_id"].iloc[0]
    res = run(cli, ["boundaries", "set", "--register", str(reg), cid, "referred", "--resolution", "district decides"])
    assert res.exit_code == 0 and "referred" in res.output
    res = run(cli, ["boundaries", "list", "--register", str(reg)])
    assert cid in res.output and "referred" in res.output
    res = run(cli, ["boundaries", "sheet", "--villages", str(v), A, B, "--register", str(reg),
                    "--out", str(tmp_path / "ab.pdf")])
    assert res.exit_code == 0, res.output
    text = subprocess.run(["pdftotext", str(tmp_path / "ab.pdf"), "-"], capture_output=True, text=True).stdout
    assert cid in text and "referred" in text
    res = run(cli, ["boundaries", "set", "--register", str(reg), "BC-0", "agreed"])
    assert res.exit_code == 1 and "no conflict 'BC-0'" in res.output
    # public display for one village through the CLI
    vil = demo.villages.set_index("village_id").loc[A, "geometry"]
    zones = gpd.GeoDataFrame({"village_id": [A], "zone": ["PADDY"], "area_ha": [vil.area / 1e4]},
                             geometry=[vil], crs=demo.villages.crs)
    write_vector(zones, tmp_path / "z.gpkg", layer="zones")
    write_vector(demo.parcels, tmp_path / "p.gpkg", layer="parcels")
    write_table(demo.households.drop(columns=["source"]), tmp_path / "hh.csv")
    res = run(cli, ["boundaries", "display", "--villages", str(v), "--zones", str(tmp_path / "z.gpkg"),
                    "--parcels", str(tmp_path / "p.gpkg"), "--households", str(tmp_path / "hh.csv"),
                    "--objection-from", "2026-04-01", "--village", A, "--out", str(tmp_path / "sheets")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "sheets" / f"display_{A}.pdf").is_file()


def test_font_selectable(tmp_path, demo):
    """Another Lao font (as Phetsarath OT would be) is embedded instead of Noto Sans Lao."""
    from landuse.errors import LanduseError
    from landuse.field.sheets import boundary_agreement_sheet

    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # has Lao glyphs (fonts-dejavu-core)
    out = boundary_agreement_sheet(demo.villages, A, B, tmp_path / "f.pdf", font_path=dejavu)
    _, text, fonts = _pdf_size_and_text(out, tmp_path)
    assert "DejaVuSans" in fonts and "NotoSansLao" not in fonts
    assert "ສັນຍາຕົກລົງເຂດແດນລະຫວ່າງບ້ານ" in text
    with pytest.raises(LanduseError, match="no Lao or no Latin glyphs"):
        boundary_agreement_sheet(demo.villages, A, B, tmp_path / "g.pdf",
                                 font_path="/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(2, 12), st.integers(2, 12)),
                min_size=2, max_size=5))
def test_overlap_areas_add_up(rects):
    """Every overlap is reported once: their sum is the sum of pairwise intersections (shapely alone)."""
    geoms = [shapely.box(x * 10, y * 10, (x + w) * 10, (y + h) * 10) for x, y, w, h in rects]
    v = gpd.GeoDataFrame({"village_id": [f"v{i}" for i in range(len(geoms))]}, geometry=geoms, crs=32647)
    conf = find_conflicts(v, min_area_m2=0.0, max_gap_width_m=0.0)
    expected = sum(geoms[i].intersection(geoms[j]).area for i in range(len(geoms)) for j in range(i + 1, len(geoms)))
    assert conf.loc[conf.kind == "overlap", "area_m2"].sum() == pytest.approx(expected, abs=0.05)
    # the register never loses a conflict, and a second run changes nothing
    reg = update_register(None, conf, date="2026-01-01")
    assert len(update_register(reg, conf.iloc[:0], date="2026-01-02")) == len(reg)
    again = update_register(reg, conf, date="2026-01-01")
    assert again.drop(columns="geometry").equals(reg.drop(columns="geometry"))
