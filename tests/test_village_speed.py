"""The faster paths of a village's run (issue 20) give what the plain paths gave.

Each fast path is checked against an independent oracle: the pandas string pipeline,
``np.unique``, :func:`scipy.stats.theilslopes`, shapely's ``__geo_interface__`` with
rasterio, exactextract fed a GeoDataFrame, and a rule file parsed afresh.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landuse.fallow import rotation
from landuse.fallow._plots import _theil_sen_line
from landuse.zoning import _grid

STATUSES = ["fallow", " Fallow", "CULTIVATED", "crop", "cropped", "forest", "other ", "", "burnt", None,
            np.nan, 3, "3"]


def _old_normalise(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip().str.lower()
    return s.replace(rotation._STATUS_ALIASES).astype(object)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(STATUSES), max_size=30))
def test_normalise_status_equals_the_string_pipeline(values):
    s = pd.Series(values, dtype=object, index=np.arange(len(values)) * 3, name="status")
    new, old = rotation._normalise_status(s), _old_normalise(s)
    assert new.index.equals(old.index) and new.dtype == old.dtype and new.name == old.name
    assert [None if v is pd.NA else v for v in new] == [None if v is pd.NA else v for v in old]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "B", "b", "10", "9", " ", "", "é", "a "]), min_size=1, max_size=40))
def test_sorted_ids_equals_np_unique(ids):
    arr = np.asarray(ids, dtype=object)
    u, inv = np.unique(arr, return_inverse=True)
    u2, inv2 = rotation._sorted_ids(arr)
    assert list(u2) == list(u) and np.array_equal(inv2, inv)


def test_blank_ids():
    s = pd.Series(["a", None, " ", np.nan, "", " b"])
    assert rotation._blank_ids(s).tolist() == [False, True, True, True, True, False]


def test_history_stack_reused_only_while_the_table_is_unchanged():
    h = pd.DataFrame({"plot_id": "P", "year": [1990, 1991, 1992, 1993, 1994],
                      "status": ["cultivated", "fallow", "fallow", "cultivated", "fallow"]})
    first = rotation.cycles(h)
    assert rotation._history_stack(h) is rotation._history_stack(h)  # built once
    assert first["fallow_years"].tolist() == [2, 1]
    h.loc[2, "status"] = "cultivated"  # in place: same object, other rows
    again = rotation.cycles(h)
    assert again["fallow_years"].tolist() == [1, 1]  # C F C C F: the stack was rebuilt
    other = h.copy()
    assert rotation._history_stack(other) is not rotation._history_stack(h)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(1960, 1975), st.integers(0, 8)), min_size=2, max_size=60),
       st.booleans())
def test_theil_sen_line_equals_scipy(points, jitter):
    from scipy.stats import theilslopes

    x = np.array([p[0] for p in points], float)
    y = np.array([p[1] for p in points], float)
    if jitter:  # no ties at all
        y = y + np.arange(len(y)) * 0.013
    line = _theil_sen_line(y, x)
    if not (x[:, None] - x > 0).any():
        assert line is None
        return
    with warnings.catch_warnings():  # scipy's confidence interval may warn on few points
        warnings.simplefilter("ignore", RuntimeWarning)
        res = theilslopes(y, x)
    assert line == (res.slope, res.intercept)  # bit for bit


def test_theil_sen_line_hand_case():
    # slopes of the pairs: (1,0)-(2,2): 2, (1,0)-(3,2): 1, (2,2)-(3,2): 0 -> median 1
    assert _theil_sen_line([0, 2, 2], [1, 2, 3]) == (1.0, 2.0 - 1.0 * 2.0)
    assert _theil_sen_line([1, np.nan], [1, 2]) is None


def _polygons():
    import shapely
    from shapely.geometry import Polygon, box

    ring = Polygon([(0, 0), (0, 95), (83, 95), (83, 0)], [[(10, 10), (30, 10), (30, 40), (10, 40)]])
    return [ring, box(100.5, 3.2, 187.1, 77.7), shapely.Polygon([(5, 120), (60, 190), (150, 130), (5, 120)])]


def test_geojson_polygons_equal_the_geo_interface_and_burn_the_same_cells():
    from affine import Affine
    from rasterio import features
    from shapely.geometry import LineString

    geoms = _polygons()
    mapped = _grid._geojson_polygons(geoms)
    for m, g in zip(mapped, geoms, strict=True):
        gi = g.__geo_interface__
        assert m["type"] == gi["type"]
        assert [[tuple(c) for c in r] for r in m["coordinates"]] == [list(r) for r in gi["coordinates"]]
    t = Affine(7.0, 0, -3.0, 0, -7.0, 200.0)
    for at in (False, True):
        old = features.rasterize(list(zip(geoms, [1, 2, 3])), out_shape=(32, 30), transform=t, fill=0,
                                 all_touched=at, dtype="uint8")
        new = _grid._rasterize(geoms, [1, 2, 3], (32, 30), t, all_touched=at)
        assert np.array_equal(old, new) and old.any()
    line = LineString([(0, 0), (5, 5)])
    assert _grid._geojson_polygons([line, geoms[0]])[0] is line  # other types: unchanged


def test_wkb_features_give_exactextract_the_same_figures():
    import geopandas as gpd
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    from landuse.raster import Raster
    from affine import Affine

    parcels = gpd.GeoDataFrame({"parcel_id": ["a", "b", "c"]}, geometry=_polygons(), crs=32647)
    rng = np.random.default_rng(4)
    values = rng.uniform(0, 60, (32, 30))
    values[3, 4] = np.nan
    r = Raster(values, Affine(7.0, 0, -3.0, 0, -7.0, 200.0), parcels.crs, None, "slope")
    mean = _grid._parcel_mean(parcels, values, r)
    left, bottom, right, top = r.bounds
    src = NumPyRasterSource(np.where(np.isfinite(values), values, -9999.0), left, bottom, right, top,
                            nodata=-9999.0, srs_wkt=r.crs.to_wkt())
    old = exact_extract(src, parcels[["geometry"]], ["mean"], output="pandas")["mean"].to_numpy()
    assert np.array_equal(mean, old) and np.isfinite(mean).all()
    codes = Raster((np.arange(32 * 30).reshape(32, 30) % 4 + 1).astype(np.uint8), r.transform, r.crs, 0, "c")
    fr = _grid._parcel_fractions(parcels, {"c": codes}, 4)["c"]
    assert fr.shape == (3, 4) and np.allclose(fr.sum(axis=1), 1.0)
    with_empty = pd.concat([parcels, gpd.GeoDataFrame({"parcel_id": ["e"]}, geometry=[None], crs=32647)])
    assert isinstance(_grid._features(with_empty), gpd.GeoDataFrame)  # the plain path keeps its handling


def test_zoning_rules_parsed_once_per_file_state(tmp_path):
    import os

    from landuse.plan import _run
    from landuse.zoning import zones

    default = _run._zoning_rules(None)
    assert _run._zoning_rules(None) is default
    assert default == zones.load_rules()
    f = tmp_path / "rules.toml"
    text = zones.DEFAULT_RULES_PATH.read_text(encoding="utf-8") if hasattr(zones.DEFAULT_RULES_PATH, "read_text") \
        else open(zones.DEFAULT_RULES_PATH, encoding="utf-8").read()
    f.write_text(text, encoding="utf-8")
    one = _run._zoning_rules(str(f))
    assert _run._zoning_rules(str(f)) is one and one.min_patch_ha == default.min_patch_ha
    f.write_text(text.replace("min_patch_ha = 0.5", "min_patch_ha = 0.75", 1), encoding="utf-8")
    st_ = f.stat()
    os.utime(f, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10_000_000))
    two = _run._zoning_rules(str(f))
    assert two.min_patch_ha == 0.75
    with pytest.raises(Exception, match="not found"):
        _run._zoning_rules(str(tmp_path / "missing.toml"))
