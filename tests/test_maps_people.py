"""The offline map as a district officer uses it (issue 18), in headless Chromium.

A plan-like map of the demo (villages, irrigation catchment drawn ABOVE the allocations,
old parcels whose holders differ from the new allocation, household names) with every
non-file request aborted and recorded. Checks: a click on an allocated parcel inside a
catchment opens the allocation; a village label opens the village; popups show names,
the certificate and the household-sheet link; a partial Lao or accent-free Latin name
finds the household and outlines its CURRENT allocation without switching layers on;
the print view hides the controls; a phone viewport leaves the map and search box
free; the UTM readout and the measure tool agree with PROJ. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely

from landuse import maps

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
HOSTILE_HH = 'javascript:alert(1)/../<b>"x'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def plan_map(tmp_path_factory):
    import geopandas as gpd
    import pandas as pd

    from landuse._validate.ids import id_filename
    from landuse.datasets import load_demo

    demo = load_demo()
    vid = sorted(demo.villages["village_id"])[0]
    parcels = demo.parcels[demo.parcels["village_id"] == vid].reset_index(drop=True)
    alloc = parcels[parcels["household_id"].notna()].copy().reset_index(drop=True)
    alloc["certificate_no"] = [f"{vid}-C{k:04d}" for k in range(len(alloc))]
    hh = demo.households.drop_duplicates("household_id").set_index("household_id")
    hh = hh.copy()
    first = alloc["household_id"].iloc[0]
    hh.loc[first, "head_name"] = "Phônsavanh Sàyavong"  # accents, to be found without them
    alloc = alloc.join(hh[["head_name", "head_name_lo"]], on="household_id")
    alloc.loc[len(alloc) - 1, "household_id"] = HOSTILE_HH
    alloc["household_sheet"] = ["households/" + v + "/" + id_filename(h, ".html")
                                for h, v in zip(alloc["household_id"], alloc["village_id"], strict=True)]
    # the old parcel layer: each parcel held by another household than its allocation
    old = parcels.copy()
    old["household_id"] = np.roll(old["household_id"].to_numpy(dtype=object), 7)
    inside = shapely.convex_hull(shapely.union_all(alloc.geometry.to_numpy()))
    catchment = gpd.GeoDataFrame(
        {"scheme_id": ["S1", "S1"], "feature": ["catchment", "intake"]},
        geometry=[inside.buffer(50), inside.centroid], crs=parcels.crs)
    villages = demo.villages[demo.villages["village_id"].isin(sorted(demo.villages["village_id"])[:2])]
    m = maps.interactive_map({"villages": villages, "parcels": old, "allocations": gpd.GeoDataFrame(alloc),
                              "schemes": catchment},
                             title="Plan", show=["villages", "allocations", "schemes"])
    path = maps.save_html(m, tmp_path_factory.mktemp("people") / "map.html")
    return path, villages, alloc, old, catchment, pd


def _browser(sync_api, p):
    return p.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])


def _open(browser, path, requests, errors, viewport):
    context = browser.new_context(viewport=viewport, offline=True)
    pg = context.new_page()

    def route(r):
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri(), wait_until="load")
    pg.wait_for_selector("[data-landuse-ready]", timeout=30_000)
    _frames(pg)
    return context, pg


def _frames(pg):
    pg.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.fixture(scope="module")
def session(plan_map):
    sync_api = pytest.importorskip("playwright.sync_api")
    path = plan_map[0]
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = _browser(sync_api, p)
        context, pg = _open(browser, path, requests, errors, {"width": 1280, "height": 860})
        ARTIFACTS.mkdir(exist_ok=True)
        yield browser, pg, requests, errors
        context.close()
        browser.close()
    assert requests == [] and errors == []


def _screen(pg, lat, lon):
    return pg.evaluate(f"(() => {{ const m = landuse.maps[0].map, p = m.latLngToContainerPoint([{lat}, {lon}]);"
                       " const r = m.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; })()")


def _close(pg):
    pg.evaluate("void landuse.maps[0].map.closePopup()")
    pg.wait_for_selector(".leaflet-popup", state="detached", timeout=5_000)


def test_click_on_allocation_inside_catchment_opens_the_allocation(session, plan_map):
    _, pg, requests, errors = session
    _, _, alloc, _, catchment, _ = plan_map
    a4326 = alloc.to_crs("EPSG:4326")
    c4326 = catchment.to_crs("EPSG:4326").geometry.iloc[0]
    k = int(np.argmax(alloc.area.to_numpy()))
    pt = shapely.point_on_surface(a4326.geometry.iloc[k])
    assert c4326.contains(pt)  # the catchment, drawn above the allocations, covers the parcel
    x0, y0, x1, y1 = a4326.geometry.iloc[k].bounds
    _close(pg)
    pg.evaluate(f"void landuse.maps[0].map.fitBounds([[{y0}, {x0}], [{y1}, {x1}]], {{animate: false, maxZoom: 18}})")
    _frames(pg)
    pg.mouse.click(*_screen(pg, pt.y, pt.x))
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    text = pg.inner_text(".leaflet-popup-content")
    row = alloc.iloc[k]
    assert "ການມອບດິນ · Allocations" in text and row["parcel_id"] in text
    # names (Lao first), certificate number and the household sheet's link
    assert row["head_name_lo"] in text and row["head_name"] in text and row["certificate_no"] in text
    assert text.index("ຫົວໜ້າຄອບຄົວ (ລາວ)") < text.index("Head of household (Lao)")
    link = pg.locator(".leaflet-popup-content a.lu-link")
    assert link.inner_text() == "ໃບຄົວເຮືອນ / Household sheet"
    assert link.get_attribute("href") == row["household_sheet"]
    assert requests == [] and errors == []


def test_hostile_household_sheet_link_stays_a_relative_file_link(session, plan_map):
    _, pg, _, _ = session
    _, _, alloc, _, _, _ = plan_map
    k = len(alloc) - 1
    html = pg.evaluate(f"""(() => {{ const e = landuse.maps[0].layers[2];
        return landuse.popupNode(e.spec, {k}).querySelector('a').href; }})()""")
    assert html.startswith("file:///") and html.endswith(".html") and "/households/" in html
    assert "<" not in html and '"' not in html and "javascript:" not in html


def test_village_label_opens_the_village_popup(session, plan_map):
    _, pg, _, _ = session
    villages = plan_map[1]
    _close(pg)
    pg.evaluate("void landuse.maps[0].map.fitBounds(landuse.maps[0].layers[0].group.getBounds(), {animate: false})")
    _frames(pg)
    labels = pg.locator(".lu-label-text")
    assert labels.count() == len(villages)
    first = villages.sort_index().iloc[0]
    label = pg.locator(".lu-label-text", has_text=first["name_lo"])
    assert label.inner_text().split("\n")[:2] == [first["name_lo"], first["name_en"]]  # Lao first
    label.click()
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    text = pg.inner_text(".leaflet-popup-content")
    assert "ບ້ານ · Villages" in text and first["village_id"] in text


def _search(pg, query):
    _close(pg)
    pg.fill(".lu-search input", query)
    pg.wait_for_function("document.querySelector('.lu-search-msg').textContent !== ''", timeout=5_000)
    pg.wait_for_timeout(400)  # the list follows typing after 250 ms
    return pg.locator(".lu-search-list li")


def test_partial_lao_name_finds_and_outlines_the_current_allocation(session, plan_map):
    _, pg, _, _ = session
    _, _, alloc, old, _, _ = plan_map
    target = alloc["household_id"].iloc[3]
    name = alloc["head_name_lo"].iloc[3]
    rows = sorted(np.flatnonzero((alloc["household_id"] == target).to_numpy()).tolist())
    part = re.sub("[\u0ec8-\u0ecb]", "", name.split(" ")[0])[1:]  # a part, typed without tone marks
    assert part not in name or part == name.split(" ")[0][1:]
    visible = pg.evaluate("landuse.maps[0].layers.map(e => landuse.maps[0].map.hasLayer(e.group))")
    items = _search(pg, part)
    texts = items.all_inner_texts()
    hits = [k for k, t in enumerate(texts) if target in t]
    assert len(hits) == 1, texts
    assert "ການມອບດິນ · Allocations" in texts[hits[0]] and name in texts[hits[0]]
    items.nth(hits[0]).click()
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    hl = pg.evaluate("landuse.maps[0].highlighted")
    # the allocation, not the old parcel layer (where another household held these parcels)
    assert hl == {"layer": "allocations", "key": "h:" + target, "indices": rows}
    assert set(old.loc[old["household_id"] == target, "parcel_id"]) != set(alloc["parcel_id"].iloc[rows])
    assert pg.evaluate("landuse.maps[0].highlight.getLayers().length") == len(rows)
    assert target in pg.inner_text(".leaflet-popup-content")
    # no layer was switched on
    assert pg.evaluate("landuse.maps[0].layers.map(e => landuse.maps[0].map.hasLayer(e.group))") == visible
    # every outlined feature is in view
    assert pg.evaluate("""(() => { const st = landuse.maps[0];
        return st.highlight.getLayers().every(l => st.map.getBounds().contains(l.getBounds())); })()""")
    pg.screenshot(path=str(ARTIFACTS / "people_search.png"))
    # the household id is in both layers: still its allocation, one result
    items = _search(pg, target.lower())
    assert items.count() == 1
    pg.press(".lu-search input", "Enter")
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    assert pg.evaluate("landuse.maps[0].highlighted") == hl


def test_latin_search_ignores_case_and_accents_and_finds_ids_and_codes(session, plan_map):
    _, pg, _, _ = session
    _, villages, alloc, _, _, _ = plan_map
    first = alloc["household_id"].iloc[0]
    texts = _search(pg, "PHONSAVANH sayav").all_inner_texts()
    assert any(first in t and "Phônsavanh Sàyavong" in t for t in texts), texts
    n_plain = int((alloc.drop_duplicates("household_id")["head_name"] == "Phonsavanh Sayavong").sum())
    assert len(texts) == n_plain + 1
    # a village code (part of it) finds the village, not its hundreds of parcels
    vid = villages["village_id"].iloc[1]
    texts = _search(pg, vid[-3:]).all_inner_texts()
    assert any(vid in t and villages["name_en"].iloc[1] in t for t in texts)
    assert not any("Allocations" in t and vid in t and "ຕອນ" not in t for t in texts)
    # a parcel id held in both layers: the allocation is chosen
    pid = alloc["parcel_id"].iloc[5]
    _search(pg, pid)
    pg.press(".lu-search input", "Enter")
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    assert pg.evaluate("landuse.maps[0].highlighted.layer") == "allocations"
    assert pg.evaluate("landuse.maps[0].highlighted.key") == "p:" + pid
    # the outline lets clicks through: the parcel's own popup still opens on a click
    _close(pg)
    pt = shapely.point_on_surface(alloc.to_crs("EPSG:4326").geometry.iloc[5])
    pg.mouse.click(*_screen(pg, pt.y, pt.x))
    pg.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=5_000)
    assert pid in pg.inner_text(".leaflet-popup-content")


def test_print_view_hides_the_controls(session):
    _, pg, requests, _ = session
    controls = (".lu-search", ".leaflet-control-layers", ".leaflet-control-zoom", ".lu-tools", ".lu-utm")
    furniture = (".lu-legend", ".lu-north", ".leaflet-control-scale", ".lu-title")
    shown = "(s) => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; }"
    assert all(pg.evaluate(shown, s) for s in controls + furniture)
    pg.evaluate("landuse.printView(landuse.maps[0].map, 'A3', 'portrait')")
    pg.emulate_media(media="print")
    try:
        assert [s for s in controls if pg.evaluate(shown, s)] == []
        assert all(pg.evaluate(shown, s) for s in furniture)
        assert pg.evaluate("getComputedStyle(document.querySelector('.lu-legend .lu-body')).display") == "block"
        assert "size: A3 portrait" in pg.evaluate("document.getElementById('lu-page-style').textContent")
        w, h = pg.evaluate("(() => { const r = landuse.maps[0].map.getContainer().getBoundingClientRect();"
                           " return [r.width, r.height]; })()")
        assert w == pytest.approx(277 / 25.4 * 96, abs=2) and h == pytest.approx(388 / 25.4 * 96, abs=2)
        pdf = pg.pdf(format="A3", print_background=True)
        assert pdf[:5] == b"%PDF-"
    finally:
        pg.emulate_media(media="screen")
        pg.evaluate("landuse.endPrintView(landuse.maps[0].map)")
    assert pg.evaluate("landuse.maps[0].map.getContainer().style.width") == ""
    assert requests == []


def test_phone_layout_leaves_the_map_and_search_visible(session, plan_map):
    browser, _, requests, errors = session
    path = plan_map[0]
    context, pg = _open(browser, path, requests, errors, {"width": 390, "height": 844})
    try:
        pg.screenshot(path=str(ARTIFACTS / "people_phone.png"))
        vw, vh = 390, 844
        box = pg.locator(".leaflet-container").bounding_box()
        assert box["width"] * box["height"] >= 0.95 * vw * vh
        assert pg.locator(".lu-search input").is_visible()
        sb = pg.locator(".lu-search input").bounding_box()
        assert sb["x"] >= 0 and sb["x"] + sb["width"] <= vw and sb["y"] + sb["height"] <= vh
        assert not pg.locator(".leaflet-control-layers-list").is_visible()
        assert not pg.locator(".lu-legend .lu-body").is_visible()
        # the controls together cover under a fifth of the screen
        covered = pg.evaluate("""(() => { let a = 0;
            document.querySelectorAll('.leaflet-control').forEach(e => {
              const r = e.getBoundingClientRect(); a += r.width * r.height; });
            return a; })()""")
        assert covered < 0.2 * vw * vh, covered
        pg.locator(".leaflet-control-layers .lu-toggle").click()
        assert pg.locator(".leaflet-control-layers-list").is_visible()
        pg.locator(".lu-legend .lu-toggle").click()
        assert pg.locator(".lu-legend .lu-body").is_visible()
    finally:
        context.close()


def test_utm_readout_matches_proj(session):
    from pyproj import Proj, Transformer

    _, pg, _, _ = session
    rng = np.random.default_rng(18)
    lat = rng.uniform(13.9, 22.5, 40)
    lon = rng.uniform(100.1, 107.7, 40)
    zone = np.where(lon < 102, 47, 48)
    zone[:4] = 47  # also points far east of their zone's central meridian
    got = np.array(pg.evaluate(f"{json.dumps(np.c_[lat, lon, zone].tolist())}"
                               ".map(p => landuse.utm(p[0], p[1], p[2], false))"))
    for z in (47, 48):
        sel = zone == z
        e, n = Transformer.from_crs(4326, 32600 + z, always_xy=True).transform(lon[sel], lat[sel])
        assert np.abs(got[sel, 0] - e).max() < 1e-3 and np.abs(got[sel, 1] - n).max() < 1e-3
        k = Proj(32600 + z).get_factors(lon[sel], lat[sel]).meridional_scale
        assert np.abs(got[sel, 2] - k).max() < 1e-9
    # southern hemisphere false northing
    e, n, _ = pg.evaluate("landuse.utm(-10, 105, 48, true)")
    E, N = Transformer.from_crs(4326, 32748, always_xy=True).transform(105, -10)
    assert abs(e - E) < 1e-3 and abs(n - N) < 1e-3
    # the readout uses the plan's zone (the layers are in EPSG:32647)
    text = pg.inner_text(".lu-utm")
    assert text.startswith("UTM 47N")
    c = pg.evaluate("(() => { const c = landuse.maps[0].map.getCenter(); return [c.lat, c.lng]; })()")
    E, N = Transformer.from_crs(4326, 32647, always_xy=True).transform(c[1], c[0])
    digits = [int(re.sub(r"\D", "", t)) for t in re.findall(r"[EN] ([\d\u202f]+)", text)]
    assert abs(digits[0] - E) <= 1 and abs(digits[1] - N) <= 1


def test_measure_tool_agrees_with_geodesics(session):
    from pyproj import Geod

    _, pg, _, _ = session
    pts = [[20.70, 101.90], [20.71, 101.93], [20.69, 101.95], [20.68, 101.91]]
    got = pg.evaluate(f"landuse.measure({json.dumps(pts)}, 47, false)")
    geod = Geod(ellps="WGS84")
    lats, lons = [p[0] for p in pts], [p[1] for p in pts]
    length = geod.line_length(lons, lats)
    area, _ = geod.polygon_area_perimeter(lons, lats)
    assert got["length_m"] == pytest.approx(length, rel=2e-5)
    assert got["area_m2"] == pytest.approx(abs(area), rel=2e-5)
    # the tool in use: three clicks give a length and an area
    _close(pg)
    pg.locator(".lu-measure-btn").click()
    try:
        ctr = pg.evaluate("(() => { const r = landuse.maps[0].map.getContainer().getBoundingClientRect();"
                          " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        for dx, dy in ((0, 0), (120, 0), (120, 90)):
            pg.mouse.click(ctr[0] + dx, ctr[1] + dy)
        out = pg.inner_text(".lu-measure-out")
        assert "Length" in out and "Area" in out and " ha " in out
        assert pg.locator(".leaflet-popup").count() == 0  # clicks measure, they open nothing
    finally:
        pg.locator(".lu-measure-btn").click()
