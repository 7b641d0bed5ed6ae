"""The bundled zoning, entitlement, fallow and irrigation defaults agree with each other.

Issue 16 found them contradicting each other: the paddy zone kept terraces up to 15 %
while the parcel-zone conflict check limited paddy to 8 %; the allocation cap
(1.2 x entitlement) let households exceed the quota the exceedance report flags; the
3-plot upland quota implies a fallow that landuse.fallow calls critical, silently;
scheme files and the irrigation functions had their own percolation and rain defaults;
rule files cited a reference file users do not have. Each test below failed on those
defaults.
"""

from __future__ import annotations

import inspect
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import landuse.zoning._rules
from landuse import fallow, irrigation, zoning
from landuse import irrigation as scheme

from landuse.allocation import quotas as entitlements
from landuse.errors import LanduseWarning


@pytest.fixture(scope="module")
def zrules():
    return zoning.load_rules()


# -- zoning: one paddy slope limit ----------------------------------------------------------------
def test_existing_land_rules_and_conflict_check_share_the_slope_limit(zrules):
    existing = [r for r in zrules.rules if r.existing_land_type]
    assert {t for r in existing for t in r.existing_land_type} >= {"paddy"}
    for r in existing:
        for t in r.existing_land_type:
            # land a rule keeps in its zone is never a slope conflict of that zone's check
            assert r.max_slope_pct == zrules.slope_limit_pct(t), (r.id, t)


def test_terrace_inside_its_own_paddy_zone_is_no_conflict(zrules):
    from rasterio.transform import from_origin

    from landuse.raster import Raster

    x0, y0, cell, n = 500000.0, 2290000.0, 10.0, 30
    xx = x0 + (np.arange(n)[None, :] + 0.5) * cell
    z = np.repeat(500.0 + 0.12 * (xx - x0), n, axis=0)  # a 12 % slope
    dem = Raster(z, from_origin(x0, y0 + n * cell, cell, cell), "EPSG:32647", None, "t.tif")
    zones = gpd.GeoDataFrame({"zone": ["PADDY"]}, geometry=[box(x0, y0, x0 + 300, y0 + 300)],
                             crs="EPSG:32647")
    terrace = gpd.GeoDataFrame({"parcel_id": ["T"], "land_type": ["paddy"]},
                               geometry=[box(x0 + 100, y0 + 100, x0 + 200, y0 + 200)],
                               crs="EPSG:32647")
    pz = zoning.parcel_zones(terrace, zones, rules=zrules, dem=dem).iloc[0]
    assert pz["mean_slope_pct"] == pytest.approx(12.0, abs=1e-6)
    assert not pz["conflict"], pz["conflict_reason"]


# -- entitlements and allocation: the cap is the quota ---------------------------------------------
def test_allocation_cap_does_not_exceed_the_legal_quota():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LanduseWarning)
        rules = entitlements.load_rules()
        hh = pd.DataFrame({"household_id": ["H1", "H2"], "village_id": "V",
                           "labour_units": [2.0, 3.5]})
        ent = entitlements.entitlements(hh, rules=rules)
    assert rules.cap_factor == 1.0
    # what the allocation may give (cap_ha) is what the exceedance report allows
    assert (ent["cap_ha"] <= ent["entitled_ha"] + 1e-9).all()


# -- entitlements and fallow: the rotation quota's fallow is said -----------------------------------
def test_rotation_quota_fallow_is_not_critical_or_the_user_is_told():
    limit = fallow.FallowClasses().critical_max
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rules = entitlements.load_rules()
    for t, n in rules.rotation_plots.items():
        if n <= 1:
            continue
        implied = entitlements.implied_fallow_years(n)
        assert implied == n - 1
        if implied <= limit:
            msgs = [str(w.message) for w in caught if issubclass(w.category, LanduseWarning)]
            assert any(f"{t}_rotation_plots = {n}" in m and f"{implied:g}-year fallow" in m
                       and f"<= {limit:g} years" in m for m in msgs), msgs


def test_no_warning_for_a_rotation_with_an_adequate_fallow(tmp_path):
    text = entitlements.DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    p = tmp_path / "r.toml"
    p.write_text(text.replace("upland_rotation_plots = 3", "upland_rotation_plots = 9"),
                 encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LanduseWarning)
        rules = entitlements.load_rules(p)
    assert entitlements.implied_fallow_years(rules.rotation_plots["upland"]) == 8.0


# -- irrigation: one set of design defaults -------------------------------------------------------
def test_scheme_files_and_irrigation_functions_share_the_design_defaults():
    opt = scheme.OPTIONAL_KEYS
    assert opt["percolation_mm_day"] == irrigation.TERRACE_PERCOLATION_MM_DAY
    assert opt["rain_method"] == irrigation.DESIGN_RAIN_METHOD
    assert opt["elevation_stat"] == "max"
    fields = {f.name: f.default for f in scheme.SchemeSpec.__dataclass_fields__.values()}
    for key in ("percolation_mm_day", "rain_method", "elevation_stat"):
        assert fields[key] == opt[key], key
    bal = inspect.signature(irrigation.scheme_water_balance).parameters
    assert bal["percolation_mm_day"].default == irrigation.TERRACE_PERCOLATION_MM_DAY
    assert bal["rain_method"].default == irrigation.DESIGN_RAIN_METHOD
    eff = inspect.signature(irrigation.effective_rainfall_mm).parameters
    assert eff["method"].default == irrigation.DESIGN_RAIN_METHOD
    cmd = inspect.signature(scheme.command_area).parameters
    assert cmd["elevation_stat"].default == opt["elevation_stat"]


# -- sources are citations ------------------------------------------------------------------------
def test_rule_files_cite_sources_not_reference_files():
    for path in (zoning._rules.DEFAULT_RULES_PATH if hasattr(zoning, "DEFAULT_RULES_PATH") else None,
                 entitlements.DEFAULT_RULES_PATH):
        if path is None:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"/work/|\.md\b|domain reference", text), path.name


def test_bundled_zoning_file_cites_no_reference_file():
    from importlib.resources import files

    text = (files("landuse.zoning") / "data" / "zoning_lao_plup.toml").read_text("utf-8")
    assert not re.search(r"/work/|\.md\b|domain reference", text)
