"""The exported offline map in a real browser: headless Chromium, network disabled.

Opens the demo map (villages, parcels, DEM hillshade) saved by ``save_html`` with every
non-file request recorded and aborted, and checks: nothing left the file, Leaflet
loaded, every feature is drawn, clicking a parcel opens its popup, the search box finds
a household, and names carrying script ran nothing. Screenshots go to
``test-artifacts/`` (gitignored).

Skipped only when ``/usr/bin/chromium`` is missing (``.ci/run`` installs Debian's
``chromium``; Playwright's own browser download is not used).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from landuse import maps

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) is not installed"),
]

PAYLOAD_IMG = '<img src=x onerror="window.__xss=1">'
PAYLOAD_SCRIPT = "</script><script>window.__xss=2</script>"
PAYLOAD_SVG = "<svg onload=\"window.__xss=3\"></svg>{{ 7*7 }}"


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory):
    from landuse.datasets import get_path, load_demo

    assert get_path("parcels").exists(), "bundled demo data missing"
    demo = load_demo()
    parcels = demo.parcels.copy()
    parcels["household_id"] = parcels["household_id"].astype(object)
    parcels.loc[parcels.index[0], "household_id"] = PAYLOAD_IMG
    parcels.loc[parcels.index[1], "household_id"] = PAYLOAD_SCRIPT
    parcels.loc[parcels.index[2], "household_id"] = PAYLOAD_SVG
    villages = demo.villages.copy()
    villages.loc[villages.index[0], "name_en"] = PAYLOAD_SCRIPT
    villages.loc[villages.index[1], "name_lo"] = PAYLOAD_IMG
    import geopandas as gpd
    from shapely.geometry import LineString, MultiPoint

    c = parcels.geometry.iloc[:6].centroid.to_list()
    streams = gpd.GeoDataFrame({"stream_id": ["S1", "S2"], "order": [1, 2]},
                               geometry=[LineString([c[0], c[1]]), LineString([c[2], c[3], c[4]])],
                               crs=parcels.crs)
    schemes = gpd.GeoDataFrame({"scheme_id": ["W1", "W2"], "name": ["Intake", PAYLOAD_IMG]},
                               geometry=[c[5], MultiPoint([c[0], c[3]])], crs=parcels.crs)
    m = maps.interactive_map({"villages": villages, "parcels": parcels, "streams": streams,
                              "schemes": schemes}, dem=demo.dem, title="Demo " + PAYLOAD_IMG)
    path = maps.save_html(m, tmp_path_factory.mktemp("map") / "demo.html")
    return path, villages, parcels


@pytest.fixture(scope="module")
def page(demo_map):
    sync_api = pytest.importorskip("playwright.sync_api")
    path, _, _ = demo_map
    requests: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1280, "height": 860}, offline=True)
        pg = context.new_page()

        def route(r):
            url = r.request.url
            if url == path.as_uri():
                r.continue_()
            else:
                requests.append(url)
                r.abort()

        pg.route("**/*", route)
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.add_init_script("window.__xss = 0;")
        pg.goto(path.as_uri(), wait_until="load")
        pg.wait_for_selector("[data-landuse-ready]", timeout=30_000)
        pg.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "demo_map.png"))  # artefact, not compared
        yield pg, requests, dialogs, errors
        context.close()
        browser.close()


def test_nothing_left_the_file_and_leaflet_loaded(page):
    pg, requests, _, errors = page
    assert requests == []
    assert errors == []
    assert pg.evaluate("window.L && L.version") == "1.9.4"


def test_every_feature_is_drawn(page, demo_map):
    pg, *_ = page
    _, villages, parcels = demo_map
    counts = pg.evaluate("""() => {
        const map = landuse.maps[0].map; let drawn = 0;
        map.eachLayer(l => { if (l._luIndex !== undefined && (l._parts || l._rings || l._point)) drawn++; });
        return [drawn, landuse.maps[0].layers.map(e => e.group.getLayers().length)];
    }""")
    assert counts[1] == [len(villages), len(parcels), 2, 2]
    # each village, parcel and stream, and 3 intake points (one scheme has two)
    assert counts[0] == len(villages) + len(parcels) + 2 + 3
    # the hillshade image is an embedded data URI and is displayed
    assert pg.evaluate("document.querySelector('.leaflet-image-layer').src.startsWith('data:image/png')")
    # legend: one section per visible layer, bilingual land types
    legend = pg.inner_text(".lu-legend")
    assert "ຕອນດິນ · Parcels" in legend and "Upland" in legend and "ໄຮ່" in legend


def _close_popups(pg) -> None:
    pg.evaluate("void landuse.maps[0].map.closePopup()")
    pg.wait_for_selector(".leaflet-popup", state="detached", timeout=5_000)


def _click_parcel(pg, parcels, k: int) -> str:
    _close_popups(pg)
    geom = parcels.to_crs("EPSG:4326").geometry.iloc[k]
    x0, y0, x1, y1 = geom.bounds
    pt = shapely.point_on_surface(geom)
    pg.evaluate(f"void landuse.maps[0].map.fitBounds([[{y0}, {x0}], [{y1}, {x1}]], {{animate: false, maxZoom: 18}})")
    pg.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    xy = pg.evaluate(f"(() => {{ const p = landuse.maps[0].map.latLngToContainerPoint([{pt.y}, {pt.x}]);"
                     " const r = landuse.maps[0].map.getContainer().getBoundingClientRect();"
                     " return [p.x + r.left, p.y + r.top]; })()")
    pg.mouse.click(*xy)
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    return pg.inner_text(".leaflet-popup-content")


def test_clicking_a_parcel_opens_its_popup(page, demo_map):
    pg, *_ = page
    _, _, parcels = demo_map
    k = int(np.argmax(parcels.area.to_numpy()))  # the largest parcel: easy to hit
    text = _click_parcel(pg, parcels, k)
    row = parcels.iloc[k]
    assert row["parcel_id"] in text
    label = maps.STYLES["land_type"][row["land_type"]]
    assert f"{label['lo']} · {label['en']}" in text
    assert "Parcel" in text and "ລະຫັດຕອນດິນ" in text
    # the pointer rests on the parcel: its sticky tooltip shows the id and the land type
    pg.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    tip = pg.inner_text(".leaflet-tooltip")
    assert row["parcel_id"] in tip and label["en"] in tip
    pg.wait_for_timeout(300)  # let the popup fade in for the screenshot (no timing assertion)
    pg.screenshot(path=str(ARTIFACTS / "demo_map_popup.png"))


def test_injected_names_show_as_text_and_run_nothing(page, demo_map):
    pg, _, dialogs, _ = page
    _, _, parcels = demo_map
    for k, payload in enumerate((PAYLOAD_IMG, PAYLOAD_SCRIPT, PAYLOAD_SVG)):
        text = _click_parcel(pg, parcels, k)
        assert payload in text
    assert pg.evaluate("window.__xss") == 0
    assert pg.evaluate("document.querySelectorAll('.leaflet-popup-content img, .leaflet-popup-content svg').length") == 0
    assert dialogs == []
    assert "Demo " + PAYLOAD_IMG in pg.inner_text(".lu-title")
    assert pg.title() == "Demo " + PAYLOAD_IMG
    pg.wait_for_timeout(300)  # let the popup fade in for the screenshot (no timing assertion)
    pg.screenshot(path=str(ARTIFACTS / "demo_map_injected.png"))


def test_search_box_finds_a_household(page, demo_map):
    pg, *_ = page
    _, _, parcels = demo_map
    hh = parcels["household_id"].dropna()
    hh = hh[hh.str.match(r"^[\w-]+$")]
    target = hh.value_counts().index[0]
    n = int((parcels["household_id"] == target).sum())
    _close_popups(pg)
    pg.fill(".lu-search input", target.lower())
    pg.press(".lu-search input", "Enter")
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    # one household found; all its n parcels outlined
    assert pg.inner_text(".lu-search-msg") == "ພົບ 1 · 1 found"
    assert target in pg.inner_text(".leaflet-popup-content")
    hl = pg.evaluate("landuse.maps[0].highlighted")
    assert hl["key"] == "h:" + target and len(hl["indices"]) == n
    assert pg.evaluate("landuse.maps[0].highlight.getLayers().length") == n
    pg.fill(".lu-search input", "no-such-id")
    pg.press(".lu-search input", "Enter")
    assert pg.inner_text(".lu-search-msg") == "ບໍ່ພົບ · Not found"
    pg.wait_for_timeout(300)  # let the popup fade in for the screenshot (no timing assertion)
    pg.screenshot(path=str(ARTIFACTS / "demo_map_search.png"))


def test_clicking_an_intake_point_opens_its_popup(page):
    pg, _, _, _ = page
    # the second point of the multi-point scheme W2, whose name carries script
    _close_popups(pg)
    latlng = pg.evaluate("(() => { const e = landuse.maps[0].layers[3]; const g = e.features[1];"
                         " const m = g.getLayers()[1]; const ll = m.getLatLng(); return [ll.lat, ll.lng]; })()")
    pg.evaluate(f"void landuse.maps[0].map.setView([{latlng[0]}, {latlng[1]}], 17, {{animate: false}})")
    pg.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    xy = pg.evaluate(f"(() => {{ const p = landuse.maps[0].map.latLngToContainerPoint([{latlng[0]}, {latlng[1]}]);"
                     " const r = landuse.maps[0].map.getContainer().getBoundingClientRect();"
                     " return [p.x + r.left, p.y + r.top]; })()")
    pg.mouse.click(*xy)
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    text = pg.inner_text(".leaflet-popup-content")
    assert "W2" in text and PAYLOAD_IMG in text and "Irrigation schemes" in text
    assert pg.evaluate("window.__xss") == 0


def test_layer_control_toggles_layers_and_legend(page):
    pg, *_ = page
    pg.locator(".leaflet-control-layers-overlays label", has_text="Parcels").locator("input").click()
    assert "Parcels" not in pg.inner_text(".lu-legend")
    assert pg.evaluate("landuse.maps[0].map.hasLayer(landuse.maps[0].layers[1].group)") is False
    pg.locator(".leaflet-control-layers-overlays label", has_text="Parcels").locator("input").click()
    assert "Parcels" in pg.inner_text(".lu-legend")
