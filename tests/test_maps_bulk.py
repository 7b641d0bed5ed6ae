"""Large map layers: packed in the file and drawn in bulk (landuse.maps._bulk).

The packing is checked in Python (round trip, same bytes, threshold); the drawing in
headless Chromium with the network disabled, on the demo parcels with the bulk threshold
lowered so that they take the bulk path: every parcel drawn, clicking one opens its
popup, hovering shows its tooltip, the search box finds a household, hostile names stay
text, the layer control hides the layer, and nothing is requested.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from landuse import maps
from landuse.maps import _bulk as _map_bulk

CHROMIUM = Path("/usr/bin/chromium")
PAYLOAD_IMG = '<img src=x onerror="window.__xss=1">'
PAYLOAD_SCRIPT = "</script><script>window.__xss=2</script>"


def _layer(n: int) -> dict:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"parcel_id": [f"P{k}" for k in range(n)], "land_type": ["paddy", "upland"] * (n // 2)},
        geometry=[box(500000 + 30 * k, 2290000, 500020 + 30 * k, 2290020) for k in range(n)],
        crs="EPSG:32647")
    return maps.map_layer_data(gdf, name="parcels")


def test_small_layers_are_written_as_before(monkeypatch):
    spec = _layer(10)
    assert _map_bulk.pack_layer(spec) is spec
    monkeypatch.setattr(_map_bulk, "BULK_MIN_FEATURES", 10)
    packed = _map_bulk.pack_layer(spec)
    assert set(packed) == set(spec) - {"geoms", "data", "cls"} | {"packed", "packedGeoms"}
    assert packed["classes"] == spec["classes"] and packed["title"] == spec["title"]
    assert _map_bulk.unpack_layer(packed) == spec
    assert _map_bulk.pack_layer(spec) == packed  # same map, same bytes
    # points are never packed (few, and drawn as markers)
    assert _map_bulk.pack_layer({**spec, "kind": "point"})["geoms"] == spec["geoms"]


def test_packed_layer_is_smaller_and_safe_in_a_script(monkeypatch):
    spec = _layer(400)
    spec["data"][0][0] = PAYLOAD_SCRIPT
    monkeypatch.setattr(_map_bulk, "BULK_MIN_FEATURES", 100)
    packed = _map_bulk.pack_layer(spec)
    plain = len(json.dumps(spec, separators=(",", ":")))
    assert len(json.dumps(packed, separators=(",", ":"))) < plain / 2
    assert "<" not in packed["packed"] and "script" not in packed["packed"]
    assert _map_bulk.unpack_layer(packed)["data"][0][0] == PAYLOAD_SCRIPT


# -- in the browser --------------------------------------------------------------------
browser = pytest.mark.skipif(not CHROMIUM.exists(),
                             reason="headless Chromium (/usr/bin/chromium) is not installed")


@pytest.fixture(scope="module")
def bulk_map(tmp_path_factory):
    from landuse.datasets import load_demo

    demo = load_demo()
    parcels = demo.parcels.copy()
    parcels["household_id"] = parcels["household_id"].astype(object)
    parcels.loc[parcels.index[0], "household_id"] = PAYLOAD_IMG
    parcels.loc[parcels.index[1], "household_id"] = PAYLOAD_SCRIPT
    mp = pytest.MonkeyPatch()
    mp.setattr(_map_bulk, "BULK_MIN_FEATURES", 1000)  # the 3,867 parcels, not the 7 villages
    try:
        m = maps.interactive_map({"villages": demo.villages, "parcels": parcels},
                                 title="Bulk " + PAYLOAD_IMG)
        path = maps.save_html(m, tmp_path_factory.mktemp("bulk") / "bulk.html")
    finally:
        mp.undo()
    assert '"packed":' in path.read_text(encoding="utf-8")
    return path, parcels


@pytest.fixture(scope="module")
def page(bulk_map):
    sync_api = pytest.importorskip("playwright.sync_api")
    path, _ = bulk_map
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--headless", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 860}, offline=True)
        pg = context.new_page()

        def route(r):
            if r.request.url == path.as_uri():
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()

        pg.route("**/*", route)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.add_init_script("window.__xss = 0;")
        pg.goto(path.as_uri(), wait_until="load")
        pg.wait_for_selector("[data-landuse-ready]", timeout=30_000)
        pg.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        yield pg, requests, errors
        context.close()
        browser.close()


def _frame(pg) -> None:
    pg.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _to_screen(pg, lat: float, lng: float) -> tuple[float, float]:
    return tuple(pg.evaluate(
        f"(() => {{ const p = landuse.maps[0].map.latLngToContainerPoint([{lat}, {lng}]);"
        " const r = landuse.maps[0].map.getContainer().getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; })()"))


def _close_popups(pg) -> None:
    pg.evaluate("void landuse.maps[0].map.closePopup()")
    pg.wait_for_selector(".leaflet-popup", state="detached", timeout=5_000)


def _click_parcel(pg, parcels, k: int) -> str:
    _close_popups(pg)
    geom = parcels.to_crs("EPSG:4326").geometry.iloc[k]
    x0, y0, x1, y1 = geom.bounds
    pt = shapely.point_on_surface(geom)
    pg.evaluate(f"void landuse.maps[0].map.fitBounds([[{y0}, {x0}], [{y1}, {x1}]],"
                " {animate: false, maxZoom: 18})")
    _frame(pg)
    pg.mouse.click(*_to_screen(pg, pt.y, pt.x))
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    return pg.inner_text(".leaflet-popup-content")


@pytest.mark.browser
@browser
def test_every_parcel_is_drawn_and_nothing_requested(page, bulk_map):
    pg, requests, errors = page
    _, parcels = bulk_map
    assert requests == [] and errors == []
    layers = pg.evaluate("landuse.maps[0].layers.map(e => [e.spec.name, !!e.bulk, e.n || 0])")
    assert layers == [["villages", False, 0], ["parcels", True, len(parcels)]]
    # the whole demo in view: every parcel is drawn (as a shape or a pixel)
    b = parcels.to_crs("EPSG:4326").total_bounds
    pg.evaluate(f"void landuse.maps[0].map.fitBounds([[{b[1]}, {b[0]}], [{b[3]}, {b[2]}]],"
                " {animate: false})")
    _frame(pg)
    assert pg.evaluate("landuse.maps[0].layers[1].drawn") == len(parcels)
    painted = pg.evaluate("""(() => {
        const c = document.querySelector('.leaflet-luBulk-pane canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < d.length; i += 4) { if (d[i]) { n++; } }
        return [n, c.width * c.height]; })()""")
    assert 0.01 * painted[1] < painted[0] < painted[1]  # the parcels cover part of the view
    legend = pg.inner_text(".lu-legend")
    assert "ຕອນດິນ · Parcels" in legend and "Upland" in legend


@pytest.mark.browser
@browser
def test_click_opens_the_popup_and_hover_the_tooltip(page, bulk_map):
    pg, _, errors = page
    _, parcels = bulk_map
    k = int(np.argmax(parcels.area.to_numpy()))
    text = _click_parcel(pg, parcels, k)
    row = parcels.iloc[k]
    label = maps.STYLES["land_type"][row["land_type"]]
    assert row["parcel_id"] in text and f"{label['lo']} · {label['en']}" in text
    assert "Parcel" in text and "ລະຫັດຕອນດິນ" in text
    # the pointer rests on the parcel: a move shows its tooltip (id and land type)
    pt = shapely.point_on_surface(parcels.to_crs("EPSG:4326").geometry.iloc[k])
    x, y = _to_screen(pg, pt.y, pt.x)
    pg.mouse.move(x + 1, y + 1)
    # (a village tooltip opened by the same move fades out: the parcel is drawn above it)
    tip = pg.locator(".leaflet-tooltip", has_text=row["parcel_id"])
    tip.wait_for(timeout=5_000)
    assert label["en"] in tip.inner_text()
    # a point outside every parcel opens nothing
    _close_popups(pg)
    pg.evaluate(f"void landuse.maps[0].map.setView([{pt.y + 1.0}, {pt.x + 1.0}], 17,"
                " {animate: false})")
    _frame(pg)
    far = _to_screen(pg, pt.y + 1.0, pt.x + 1.0)
    pg.mouse.click(*far)
    pg.wait_for_timeout(200)
    assert pg.query_selector(".leaflet-popup") is None
    assert errors == []


@pytest.mark.browser
@browser
def test_hostile_names_are_text(page, bulk_map):
    pg, _, errors = page
    _, parcels = bulk_map
    for k, payload in enumerate((PAYLOAD_IMG, PAYLOAD_SCRIPT)):
        assert payload in _click_parcel(pg, parcels, k)
    assert pg.evaluate("window.__xss") == 0
    assert pg.evaluate("document.querySelectorAll('.leaflet-popup-content img').length") == 0
    assert errors == []


@pytest.mark.browser
@browser
def test_search_finds_every_parcel_of_a_household(page, bulk_map):
    pg, *_ = page
    _, parcels = bulk_map
    hh = parcels["household_id"].dropna()
    hh = hh[hh.str.match(r"^[\w-]+$")]
    target = hh.value_counts().index[0]
    n = int((parcels["household_id"] == target).sum())
    _close_popups(pg)
    pg.fill(".lu-search input", target.lower())
    pg.press(".lu-search input", "Enter")
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    assert "found" in pg.inner_text(".lu-search-msg")
    assert target in pg.inner_text(".leaflet-popup-content")
    # the exact match is chosen: all n parcels of the household outlined, and in view
    hl = pg.evaluate("landuse.maps[0].highlighted")
    assert hl["key"] == "h:" + target and len(hl["indices"]) == n
    inside = pg.evaluate("""(() => { const st = landuse.maps[0], m = st.map;
        return st.highlight.getLayers().every(l => m.getBounds().contains(l.getBounds())); })()""")
    assert inside
    pg.fill(".lu-search input", "no-such-id")
    pg.press(".lu-search input", "Enter")
    assert pg.inner_text(".lu-search-msg") == "ບໍ່ພົບ · Not found"


@pytest.mark.browser
@browser
def test_layer_control_hides_the_bulk_layer(page):
    pg, *_ = page
    box = pg.locator(".leaflet-control-layers-overlays label", has_text="Parcels").locator("input")
    box.click()
    assert "Parcels" not in pg.inner_text(".lu-legend")
    assert pg.evaluate("landuse.maps[0].map.hasLayer(landuse.maps[0].layers[1].group)") is False
    assert pg.evaluate("document.querySelectorAll('.leaflet-luBulk-pane canvas').length") == 0
    box.click()
    assert "Parcels" in pg.inner_text(".lu-legend")
    assert pg.evaluate("document.querySelectorAll('.leaflet-luBulk-pane canvas').length") == 1
