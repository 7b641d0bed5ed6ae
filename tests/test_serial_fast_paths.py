"""Fast paths of the serial province steps (issue 20) against their reference computations.

The shared-site path of scheme sizing against the one-call-per-case reference.

``size_scheme`` computes the design balance, the wet-season-only case and the 15
sensitivity cases of a scheme on the site's ET0 computed once, and each distinct case
once (``_SiteBalances``). These tests recompute every case from scratch with the public
:func:`landuse.irrigation.scheme_water_balance` and
:func:`landuse.irrigation.design_requirement`, as the code did before, on random
climates, calendars and options, and require the same figures bit for bit. The window
read of a scheme's DEM cells (`Raster.window_as_float`) is compared with the whole grid sliced.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from landuse import irrigation as scheme
from landuse.irrigation import requirement as irr
from landuse.irrigation.schemes import _SiteBalances, _sensitivity
from landuse.raster import Raster
from tests.test_scheme import BASE


def _climate(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tmin = rng.uniform(5.0, 22.0, 12)
    return pd.DataFrame({
        "month": range(1, 13),
        "tmax_c": tmin + rng.uniform(4.0, 14.0, 12),
        "tmin_c": tmin,
        "rh_mean_pct": rng.uniform(40.0, 95.0, 12),
        "u2_m_s": rng.uniform(0.3, 4.0, 12),
        "sunshine_h": rng.uniform(2.0, 10.0, 12),
        "rain_mm": rng.uniform(0.0, 450.0, 12),
    })


specs = st.fixed_dictionaries({
    "wet_transplant_month": st.just(7), "wet_transplant_day": st.just(1),
    "dry_season_crop": st.booleans(), "dry_transplant_month": st.just(1),
    "dry_transplant_day": st.just(1), "dry_area_fraction": st.just(1.0),
    "percolation_mm_day": st.floats(0.0, 12.0), "field_efficiency": st.floats(0.3, 1.0),
    "operating_hours": st.sampled_from([12.0, 24.0]), "water_layer_mm": st.sampled_from([0.0, 50.0]),
    "rain_method": st.sampled_from(sorted(irr.EFFECTIVE_RAIN_METHODS)),
})


def _reference(sp, clim, lat, elev):
    daily = irr.scheme_water_balance(clim, lat_deg=lat, elevation_m=elev, crops=sp.crops(),
                                     percolation_mm_day=sp.percolation_mm_day, efficiency=sp.efficiency,
                                     rain_method=sp.rain_method)
    return daily, irr.design_requirement(daily, operating_hours=sp.operating_hours)


@settings(max_examples=8, deadline=None)
@given(opts=specs, seed=st.integers(0, 2**31), lat=st.floats(-30.0, 30.0), elev=st.floats(0.0, 2500.0))
def test_shared_site_equals_one_call_per_case(opts, seed, lat, elev):
    (base,) = scheme.parse_schemes(BASE)
    sp = dataclasses.replace(base, **opts)
    clim = _climate(seed)
    site = _SiteBalances(clim, lat_deg=lat, elevation_m=elev)
    daily, peak = _reference(sp, clim, lat, elev)
    pd.testing.assert_frame_equal(site.balance(sp), daily, check_exact=True)
    assert site.peak(sp) == peak
    wet = dataclasses.replace(sp, dry_season_crop=False)
    assert site.peak(sp, crops=sp.crops()[:1]) == _reference(wet, clim, lat, elev)[1]
    # every sensitivity row against the public function run case by case
    table = _sensitivity(sp, site, area_ha=7.5)
    ref = scheme.design_sensitivity(sp, clim, lat_deg=lat, elevation_m=elev, area_ha=7.5)
    pd.testing.assert_frame_equal(table, ref, check_exact=True)
    # each row against the case recomputed from scratch (independent of the shared path)
    wm, dm = sp.wet_transplant_month, sp.dry_transplant_month
    changes = [{}] + [{"percolation_mm_day": p} for p in (3.0, 6.0, 10.0)]
    for key in ("conveyance_efficiency", "field_efficiency"):
        changes += [{key: min(max(getattr(sp, key) + d, 0.05), 1.0)} for d in (-0.1, 0.1)]
    changes += [{"wet_transplant_month": wm - 1, "wet_transplant_day": 16, "dry_transplant_month": 12,
                 "dry_transplant_day": 17},  # 1 Jul and 1 Jan minus 15 days
                {"wet_transplant_month": wm, "wet_transplant_day": 16, "dry_transplant_month": dm,
                 "dry_transplant_day": 16}]
    changes += [{"rain_method": m} for m in irr.EFFECTIVE_RAIN_METHODS if m != "fixed"]
    assert len(changes) == len(table)
    for change, duty in zip(changes, table["design_duty_l_s_ha"], strict=True):
        case = dataclasses.replace(sp, **change)
        assert duty == round(float(_reference(case, clim, lat, elev)[1]["duty_l_s_ha"]), 4), change


def test_site_checks_options_like_the_public_function():
    (sp,) = scheme.parse_schemes(BASE)
    site = _SiteBalances(_climate(1), lat_deg=20.7, elevation_m=600.0)
    bad = dataclasses.replace(sp, rain_method="guess")
    with pytest.raises(Exception) as got:
        site.balance(bad)
    with pytest.raises(Exception) as want:
        _reference(bad, _climate(1), 20.7, 600.0)
    assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), integer=st.booleans(), r0=st.integers(0, 6), c0=st.integers(0, 6),
       h=st.integers(0, 6), w=st.integers(0, 6))
def test_window_as_float_equals_the_whole_grid_sliced(seed, integer, r0, c0, h, w):
    rng = np.random.default_rng(seed)
    data = rng.integers(-3, 4, (8, 9)).astype("int16" if integer else "float32")
    if not integer:
        data[rng.random(data.shape) < 0.2] = np.nan
        data[rng.random(data.shape) < 0.1] = np.inf
    r = Raster(data, Affine(30.0, 0.0, 0.0, 0.0, -30.0, 0.0), None, -3, "t.tif")
    want = r.as_float()[r0:r0 + h, c0:c0 + w]
    got = r.window_as_float(slice(r0, r0 + h), slice(c0, c0 + w))
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float64

