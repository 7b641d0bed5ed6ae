"""Tests of landuse.allocation.quotas: rules, labour units, entitlements, exceedance."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from landuse.allocation.quotas import (
    DEFAULT_RULES_PATH,
    entitlements,
    exceedance,
    labour_units_from_ages,
    load_rules,
)
from landuse.errors import CRSError, RuleError, SchemaError

UTM = "EPSG:32647"


def hh(**cols):
    base = {"household_id": ["H1", "H2", "H3"], "village_id": ["V1", "V1", "V2"],
            "labour_units": [1.0, 2.5, 4.0]}
    base.update(cols)
    return pd.DataFrame(base)


def test_default_rules_values_and_sources():
    r = load_rules()
    assert r.source == DEFAULT_RULES_PATH.name
    assert r.land_types == ("paddy", "upland", "permanent")
    assert r.ha_per_labour_unit == {"paddy": 1.0, "upland": 0.7, "permanent": 3.0}
    assert r.rotation_plots["upland"] == 3 and r.rotation_plots["paddy"] == 1
    assert r.max_plots["upland"] == 3
    assert r.cap_factor == 1.0  # issue 16: the allocation never exceeds the legal quota
    assert math.isinf(r.max_ha["paddy"])
    assert [g.name for g in r.priority_groups] == ["landless"]
    text = DEFAULT_RULES_PATH.read_text()
    assert "default, configurable" in text and "Lao-IRRI 1992" in text


def test_entitlement_hand_computed():
    ent = entitlements(hh()).set_index(["household_id", "land_type"])
    # upland: 0.7 ha/LU x 2.5 LU x 3 plots = 5.25 ha; cap 1.0 x (issue 16: was 1.2 x, 6.3)
    assert ent.loc[("H2", "upland"), "entitled_ha"] == pytest.approx(5.25)
    assert ent.loc[("H2", "upland"), "cap_ha"] == pytest.approx(5.25)
    assert ent.loc[("H3", "paddy"), "entitled_ha"] == pytest.approx(4.0)
    assert ent.loc[("H1", "permanent"), "entitled_ha"] == pytest.approx(3.0)
    assert ent.loc[("H2", "upland"), "rule"] == "upland: 0.7 ha/LU x 2.5 LU x 3 rotation plots = 5.25 ha"
    assert len(ent) == 9


def test_min_max_and_priority():
    rules = {
        "entitlement": {"paddy_ha_per_labour_unit": 0.4, "paddy_min_ha": 0.5, "paddy_max_ha": 1.0,
                        "max_paddy_plots": 2, "cap_factor": 1.0},
        "priority_group": [{"name": "landless", "column": "landless", "shortfall_weight": 3}],
    }
    ent = entitlements(hh(landless=["yes", None, False]), rules=rules).set_index("household_id")
    assert list(ent["entitled_ha"]) == pytest.approx([0.5, 1.0, 1.0])
    assert "raised to the minimum 0.5 ha" in ent.loc["H1", "rule"]
    assert "capped at the maximum 1 ha" in ent.loc["H3", "rule"]
    assert list(ent["shortfall_weight"]) == [3.0, 1.0, 1.0]
    assert ent.loc["H1", "priority"] == "landless"
    assert list(ent["max_plots"]) == [2, 2, 2]


@pytest.mark.parametrize(
    ("ages", "expected"),
    [("40;38", 2.0), ("14;12;11", 1.0), ("61", 0.5), ("60", 1.0), ([15, 5, 3], 1.0), ("", None)],
)
def test_labour_units_from_ages(ages, expected):
    if expected is None:
        assert labour_units_from_ages(ages) == 0.0
    else:
        assert labour_units_from_ages(ages) == expected


def test_ages_column_overrides_and_is_cited():
    df = hh(ages=["30;28;13", None, "70;65"])
    ent = entitlements(df).set_index(["household_id", "land_type"])
    assert ent.loc[("H1", "paddy"), "labour_units"] == 2.5
    assert ent.loc[("H2", "paddy"), "labour_units"] == 2.5  # no ages: given value
    assert ent.loc[("H3", "paddy"), "labour_units"] == 1.0
    assert "from ages 30,28,13" in ent.loc[("H1", "paddy"), "rule"]


def test_zero_labour_is_an_error_unless_minimum():
    df = hh(labour_units=[0.0, 2.0, 3.0])
    with pytest.raises(SchemaError, match="'H1'.*0 labour units.*minimum_labour_units"):
        entitlements(df)
    ent = entitlements(df, rules={"labour": {"minimum_labour_units": 0.5},
                                  "entitlement": {"upland_ha_per_labour_unit": 0.7}})
    assert ent.iloc[0]["entitled_ha"] == pytest.approx(0.5 * 0.7)
    assert "raised to the minimum 0.5 LU" in ent.iloc[0]["rule"]


@pytest.mark.parametrize(
    ("df", "match"),
    [
        (pd.DataFrame({"household_id": ["A"], "village_id": ["V"]}), "'labour_units' missing"),
        (hh(labour_units=[1, "x", 2]), "'x' is not a number"),
        (hh(labour_units=[1, -1, 2]), "is not a number >= 0"),
        (hh(household_id=["A", "A", "B"]), "id 'A' occurs 2 times"),
        (hh(village_id=["V", None, "V"]), "column 'village_id': 1 empty"),
        (hh(ages=["40;abc", None, None]), "ages '40;abc' cannot be read"),
        (hh(ages=["40;200", None, None]), "age 200 is not plausible"),
    ],
)
def test_bad_households(df, match):
    with pytest.raises(SchemaError, match=match):
        entitlements(df)


def test_households_must_be_a_dataframe():
    with pytest.raises(SchemaError, match="households must be a DataFrame"):
        entitlements([1, 2])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[entitlement]\nupland_ha_per_labour_unit = 'a lot'\n", "line 2.*expected a number"),
        ("[entitlement]\nupland_ha_per_labor_unit = 0.7\n",
         r"line 2: key 'upland_ha_per_labor_unit' in \[entitlement\]: unknown key.*"
         "did you mean 'upland_ha_per_labour_unit'"),
        ("[entitlement]\nupland_ha_per_labour_unit = 0.7\nmax_upland_plots = 2.5\n", "whole number"),
        ("[entitlement]\nupland_ha_per_labour_unit = 0.7\ncap_factor = 0.9\n", "cap_factor.*>= 1"),
        ("[entitlement]\nmax_upland_plots = 3\n", "no land type has an area per labour unit"),
        ("[entitlement]\npaddy_ha_per_labour_unit = 1\nmax_upland_plots = 3\n", "'upland' has limits"),
        ("[entitlements]\n", r"line 1: table \[entitlements\]: unknown table.*did you mean 'entitlement'"),
        ("[entitlement\n", "not valid TOML"),
        ("[labour]\nadult_min_age_years = 70\n[entitlement]\npaddy_ha_per_labour_unit = 1\n", "age limits"),
        ("[entitlement]\npaddy_ha_per_labour_unit = 1\npaddy_min_ha = 2\npaddy_max_ha = 1\n", "above paddy_max_ha"),
        ("[entitlement]\ngrazin_ha_per_labour_unit = 1\n", "unknown key"),
        ("[entitlement]\npaddy_ha_per_labour_unit = 1\n[[priority_group]]\nname = 'x'\n",
         r"line 3: key 'column' in \[\[priority_group\]\] number 1: required key 'column' is missing"),
        ("[entitlement]\npaddy_ha_per_labour_unit = 1\n[[priority_group]]\ncolumn = 'x'\nweight = 2\n",
         r"line 5: key 'weight' in \[\[priority_group\]\] number 1: unknown key"),
    ],
)
def test_bad_rule_files(tmp_path, text, match):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(RuleError, match=match):
        load_rules(path)


def test_rule_file_missing_and_wrong_type(tmp_path):
    with pytest.raises(RuleError, match="rule file not found"):
        load_rules(tmp_path / "nope.toml")
    with pytest.raises(RuleError, match="must be a path"):
        load_rules(42)


def test_grazing_can_be_added():
    r = load_rules({"entitlement": {"grazing_ha_per_labour_unit": 15.0}})
    assert r.land_types == ("grazing",)
    ent = entitlements(hh(), rules=r)
    assert list(ent["entitled_ha"]) == pytest.approx([15.0, 37.5, 60.0])


@pytest.fixture
def holdings():
    # H1 (1 LU): 2 ha paddy (entitled 1) + 3 ha permanent (entitled 3); H2 holds 1 ha paddy
    geoms = [box(i * 100, 0, (i + 1) * 100, 100) for i in range(7)]
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(7)],
         "land_type": ["paddy", "paddy", "permanent", "permanent", "permanent", "paddy", "forest"],
         "household_id": ["H1", "H1", "H1", "H1", "H1", "H2", "H1"]},
        geometry=geoms, crs=UTM,
    )


def test_exceedance_by_type_and_total(holdings):
    rep = exceedance(holdings, hh())
    assert list(rep["household_id"]) == ["H1", "H1"]
    assert list(rep["land_type"]) == ["paddy", "permanent"]
    paddy = rep.iloc[0]
    assert paddy.held_ha == pytest.approx(2.0) and paddy.entitled_ha == pytest.approx(1.0)
    assert paddy.excess_ha == pytest.approx(1.0) and paddy.excess_pct == pytest.approx(100.0)
    assert paddy.parcel_ids == "P0;P1"
    perm = rep.iloc[1]  # 3 ha held = 3 ha entitled, but 3 plots > max 2
    assert perm.excess_ha == 0 and perm.excess_plots == 1
    # total: 5 ha held (the forest parcel does not count) <= 1 + 2.1 + 3 ha: no total row
    # nothing deleted or changed
    assert len(holdings) == 7 and holdings["household_id"].tolist()[0] == "H1"


def test_exceedance_total_row(holdings):
    rules = {"entitlement": {"paddy_ha_per_labour_unit": 1.5, "permanent_ha_per_labour_unit": 1.0,
                             "max_permanent_plots": 3}}
    rep = exceedance(holdings, hh(), rules=rules).set_index("land_type")
    assert list(rep.index) == ["paddy", "permanent", "total"]
    assert rep.loc["total", "held_ha"] == pytest.approx(5.0)
    assert rep.loc["total", "entitled_ha"] == pytest.approx(2.5)
    assert rep.loc["total", "excess_ha"] == pytest.approx(2.5)
    assert rep.loc["total", "parcel_ids"] == "P0;P1;P2;P3;P4"


def test_exceedance_errors(holdings):
    bad = holdings.assign(household_id=["H9"] + ["H1"] * 6)
    with pytest.raises(SchemaError, match="'P0'.*'H9', which is not in the households"):
        exceedance(bad, hh())
    with pytest.raises(CRSError, match="geographic"):
        exceedance(holdings.to_crs(4326), hh())
    with pytest.raises(SchemaError, match="'household_id' missing"):
        exceedance(holdings.drop(columns="household_id"), hh())


def test_exceedance_empty_when_within(holdings):
    none_held = holdings.assign(household_id=None)
    rep = exceedance(none_held, hh())
    assert rep.empty and "excess_ha" in rep.columns
