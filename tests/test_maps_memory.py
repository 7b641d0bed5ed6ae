"""The web map's memory at province scale (issue 20): what it reads, what it keeps.

- :func:`landuse.maps.web.map_columns` names every column the map reads: a layer cut to
  those columns gives the same compact data as the whole layer (so a worker drawing a
  province's map can be sent only those), and the others are left out.
- :func:`landuse.maps.web.interactive_map` packs each large layer as soon as it is built,
  so only one layer is ever held unpacked.
- :func:`landuse.plan._products.map_inputs` sends the map its layers cut to those columns,
  with the households' names already joined (no households table).
"""

from __future__ import annotations

import gc
import weakref

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import LineString, box

from landuse.maps import _bulk, web
from landuse.raster import Raster

CRS = "EPSG:32647"


def _parcels(n: int = 12) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    return gpd.GeoDataFrame({
        "parcel_id": [f"P{i:03d}" for i in range(n)], "village_id": ["V1", "V2"] * (n // 2),
        "land_type": rng.choice(["paddy", "upland", "garden"], n), "household_id": [f"H{i % 5}" for i in range(n)],
        "area_ha": rng.uniform(0.1, 2.0, n), "source": "survey.gpkg",
        "slope_p90_deg": rng.uniform(0, 40, n), "elev_mean_m": rng.uniform(400, 1200, n),
        "status_class": rng.choice(["critical", "short", "sustainable"], n),
        "mk_p_value": rng.uniform(0, 1, n),
    }, geometry=[box(500000 + 100 * i, 2290000, 500100 + 100 * i, 2290100) for i in range(n)], crs=CRS)


def _layers() -> dict[str, gpd.GeoDataFrame]:
    p = _parcels()
    villages = gpd.GeoDataFrame({"village_id": ["V1", "V2"], "name_en": ["Nalao", "Nami"],
                                 "name_lo": ["ນາເລົາ", "ນາໜີ"], "district_en": ["Xay", "Xay"],
                                 "centre_x": [500300.0, 500900.0], "households": [40, 52]},
                                geometry=[box(500000, 2289900, 500600, 2290200), box(500600, 2289900, 501200, 2290200)],
                                crs=CRS)
    streams = gpd.GeoDataFrame({"stream_id": [1, 2], "order": [1, 2], "upstream_area_km2": [0.6, 2.5],
                                "length_m": [300.0, 500.0]},
                               geometry=[LineString([(500000, 2290050), (500300, 2290060)]),
                                         LineString([(500300, 2290060), (501200, 2290080)])], crs=CRS)
    # no column of the map's own vocabulary: the map shows the first ten
    other = gpd.GeoDataFrame({f"c{k:02d}": np.arange(12) * k for k in range(14)},
                             geometry=list(p.geometry), crs=CRS)
    return {"villages": villages, "parcels": p, "fallow": p, "streams": streams, "other": other}


@pytest.mark.parametrize("name", ["villages", "parcels", "fallow", "streams", "other"])
def test_a_layer_cut_to_map_columns_gives_the_same_map_data(name):
    gdf = _layers()[name]
    cols = web.map_columns(gdf, name=name)
    assert cols[-1] == "geometry" and cols == [c for c in gdf.columns if c in cols]  # the layer's order
    cut = gdf[cols]
    assert web.map_layer_data(cut, name=name) == web.map_layer_data(gdf, name=name)


def test_map_columns_leaves_out_what_the_map_does_not_show():
    layers = _layers()
    assert web.map_columns(layers["parcels"], name="parcels") == [
        "parcel_id", "village_id", "land_type", "household_id", "area_ha", "status_class", "geometry"]
    # the village labels' names stay (the district's name does not)
    assert web.map_columns(layers["villages"], name="villages") == ["village_id", "name_en", "name_lo", "geometry"]
    assert web.map_columns(layers["other"], name="other") == [f"c{k:02d}" for k in range(10)] + ["geometry"]
    # given popup columns and colour: those (and the ids named in warnings)
    assert web.map_columns(layers["parcels"], name="parcels", color_by="slope_p90_deg",
                           popup_columns=["area_ha"]) == ["parcel_id", "village_id", "area_ha", "slope_p90_deg",
                                                          "geometry"]


class _Spec(dict):
    """A dict that can be weakly referenced (to see when the map lets go of it)."""


def test_interactive_map_holds_one_unpacked_layer_at_a_time(monkeypatch):
    monkeypatch.setattr(_bulk, "BULK_MIN_FEATURES", 1)  # every polygon layer packed, as a province's are
    made: list[weakref.ref] = []
    alive_when_next_built: list[int] = []
    real = web.map_layer_data

    def spy(gdf, **kwargs):
        gc.collect()
        alive_when_next_built.append(sum(r() is not None for r in made))
        spec = _Spec(real(gdf, **kwargs))
        made.append(weakref.ref(spec))
        return spec

    monkeypatch.setattr(web, "map_layer_data", spy)
    layers = _layers()
    m = web.interactive_map({k: layers[k] for k in ("villages", "parcels", "fallow")}, title="T")
    assert alive_when_next_built == [0, 0, 0]
    html = web.render_html(m)
    assert html.count('type="application/octet-stream"') == 3  # all three packed into the page


def test_the_hillshade_overlay_is_the_float64_route_cast_to_float32(monkeypatch):
    """The overlay converts the 0-255 hillshade to float32 directly; the page is the one the
    float64 route (``as_float().astype("float32")``) gave."""
    rng = np.random.default_rng(1)
    z = (800 + np.cumsum(rng.normal(0, 3, (60, 80)), axis=0)).astype("float32")
    z[5:9, 10:14] = -9999.0  # nodata: transparent in the image
    dem = Raster(z, Affine(10, 0, 500000, 0, -10, 2291000), CRS, -9999.0, None)
    got = web._hillshade_overlay(dem, max_px=50)
    shade_of = web.hillshade_raster

    class Old:
        def __init__(self, shade):
            self.shade = shade
            self.bounds, self.crs, self.transform = shade.bounds, shade.crs, shade.transform
            self.data = shade.as_float().astype("float32")  # what the overlay warped before
            self.valid = np.isfinite(self.data)

    monkeypatch.setattr(web, "hillshade_raster", lambda d: Old(shade_of(d)))
    assert web._hillshade_overlay(dem, max_px=50) == got
    assert np.isnan(Old(shade_of(dem)).data).sum() > 0


def test_map_inputs_sends_only_the_drawn_columns_and_no_households():
    from landuse.plan._products import _map_allocations, map_inputs

    layers = _layers()
    p = layers["parcels"]
    alloc = p[["parcel_id", "household_id", "village_id", "land_type", "area_ha", "geometry"]].assign(
        certificate_no=[f"C{i}" for i in range(len(p))], kept=False)
    households = pd.DataFrame({"household_id": [f"H{i}" for i in range(5)], "village_id": "V1",
                               "head_name": list("ABCDE"), "head_name_lo": list("ກຂຄງຈ"), "members": 4,
                               "ethnicity": "Khmu"})
    dem = object()
    show, sent_dem = map_inputs({"parcels": p, "allocations": alloc, "villages": layers["villages"],
                                 "unallocated": p}, dem, households=households)
    assert sent_dem is dem
    assert list(show) == ["villages", "parcels", "allocations"]  # drawing order; unallocated is not drawn
    assert "slope_p90_deg" not in show["parcels"].columns and "district_en" not in show["villages"].columns
    a = show["allocations"]
    assert "kept" not in a.columns and {"head_name", "head_name_lo", "household_sheet"} <= set(a.columns)
    assert a["head_name"].tolist() == [households["head_name"][int(h[1])] for h in alloc["household_id"]]
    assert a["household_sheet"].iloc[0] == "households/V1/H0.html"
    whole = {"villages": layers["villages"], "parcels": p, "allocations": _map_allocations(alloc, households)}
    for name, gdf in show.items():  # what is sent draws what the whole layers draw
        assert web.map_layer_data(gdf, name=name) == web.map_layer_data(whole[name], name=name)


def test_polyline_encoding_in_chunks_gives_the_same_text(monkeypatch):
    from landuse.maps import _encoding

    rng = np.random.default_rng(7)
    # up to 2**33 (the 7 chunks of 5 bits hold the zig-zag of |v| < 2**34; degrees * 1e6 < 2**28)
    values = np.concatenate([rng.integers(-2**33, 2**33, 500), rng.integers(-40, 40, 501), [0, -1, 2**33 - 1]])
    whole_text, whole_n = _encoding._polyline_encode(values)
    monkeypatch.setattr(_encoding, "ENCODE_CHUNK", 7)  # 143 chunks, the last one short
    text, n = _encoding._polyline_encode(values)
    assert text == whole_text and n.tolist() == whole_n.tolist() and len(n) == len(values)
    # and the text decodes back (Google's algorithm, written out independently here)
    out, acc, shift = [], 0, 0
    for ch in text.encode("ascii"):
        b = ch - 63
        acc |= (b & 31) << shift
        shift += 5
        if b < 32:
            out.append(~(acc >> 1) if acc & 1 else acc >> 1)
            acc, shift = 0, 0
    assert out == values.tolist()
