"""The serial district steps of a plan run at province size (issue 20): each faster path
gives what the plain per-scheme / per-village computation gives, on the demo's data."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from landuse.datasets import get_path
from landuse.irrigation.schemes import size_scheme
from landuse.plan import _run
from landuse.plan.planfile import load_plan


@pytest.fixture(scope="module")
def demo_inputs():
    plan = load_plan(get_path("plan"))
    return plan, _run.load_inputs(plan)


def test_scheme_candidates_are_the_listed_and_the_village_parcels_in_layer_order():
    parcels = gpd.GeoDataFrame({"parcel_id": ["a", "b", "c", "d", "e"], "village_id": ["V1", "V2", "V1", "V2", "V3"],
                                "land_type": ["paddy"] * 5}, geometry=[box(i, 0, i + 1, 1) for i in range(5)],
                               crs="EPSG:32647", index=[10, 11, 12, 13, 14])
    candidates = _run._scheme_parcels(parcels)
    got = candidates(SimpleNamespace(village_id="V1", paddy_parcel_ids=("e", "b", "zz")))
    assert got["parcel_id"].tolist() == ["a", "b", "c", "e"] and got.index.tolist() == [10, 11, 12, 14]
    assert candidates(SimpleNamespace(village_id="V9", paddy_parcel_ids=()))["parcel_id"].tolist() == []
    assert _run._scheme_parcels(parcels.drop(columns="land_type"))(None) is not None  # the whole layer


def test_schemes_sized_on_their_candidates_equal_schemes_sized_on_the_whole_layer(demo_inputs):
    _, inputs = demo_inputs
    fast, failed = _run.irrigation(inputs, parcels=inputs.parcels, wanted=set())
    assert not failed and len(fast) == len(inputs.schemes) >= 3
    for res in fast:
        whole = size_scheme(res.spec, inputs.climate, dem=inputs.dem, parcels=inputs.parcels)
        assert res.summary == whole.summary
        pd.testing.assert_frame_equal(res.parcels, whole.parcels)
        pd.testing.assert_frame_equal(res.layer, whole.layer)
        pd.testing.assert_frame_equal(res.monthly, whole.monthly)


def test_village_bundles_equal_the_per_village_scans(demo_inputs):
    """Each bundle holds exactly the rows a scan of the whole layer for its village gives."""
    plan, inputs = demo_inputs
    bundles = _run.village_inputs(inputs, plan, streams=None, metrics=None)
    assert [b.village_id for b in bundles] == sorted(inputs.villages["village_id"])
    for b in bundles:
        vid = b.village_id
        parcels = inputs.parcels[inputs.parcels["village_id"] == vid]
        pd.testing.assert_frame_equal(b.parcels, parcels)
        pd.testing.assert_frame_equal(b.households, inputs.households[inputs.households["village_id"] == vid])
        hist = inputs.histories[inputs.histories["plot_id"].isin(set(parcels["parcel_id"]))]
        pd.testing.assert_frame_equal(b.histories, hist)
        assert len(b.parcels) and len(b.households) and len(b.histories)
