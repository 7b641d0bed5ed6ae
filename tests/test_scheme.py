"""Tests of landuse.irrigation and ``landuse irrigation``: scheme files, command area, sizing, CLI.

The synthetic terrain is the tilted plane of conftest (z = 500 + 0.1 (x - X0) + 0.05 (y - Y0),
20 m cells) with 100 m square parcels aligned on the grid, so each parcel's mean elevation is
the plane at its centre and its maximum the plane at its north-east cell centre.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from landuse import irrigation as scheme

from landuse.irrigation import canal
from landuse.errors import CRSError, IrrigationError, RuleError
from landuse.raster import Raster
from tests.conftest import UTM47, X0, Y0, square, tilted_plane

INTAKE = (X0 + 1110.0, Y0 + 910.0)  # a cell centre; z = 500 + 111 + 45.5


def plane(x, y):
    return 500.0 + 0.1 * (x - X0) + 0.05 * (y - Y0)


@pytest.fixture
def dem():
    z, transform = tilted_plane()
    return Raster(z, transform, UTM47, None, "plane.tif")


@pytest.fixture
def parcels():
    cells = {"P0": (0, 0), "P1": (1, 0), "P2": (2, 0), "P3": (11, 9), "P4": (5, 5)}
    return gpd.GeoDataFrame(
        {
            "parcel_id": list(cells),
            "village_id": "V1",
            "land_type": ["paddy", "paddy", "paddy", "paddy", "upland"],
            "household_id": ["H1", "H1", "H2", "H3", "H4"],
        },
        geometry=[square(*c) for c in cells.values()],
        crs=UTM47,
    )


def climate():
    return pd.DataFrame(
        {
            "month": range(1, 13),
            "tmax_c": [24.5, 27.5, 30.5, 32.0, 31.5, 30.5, 29.5, 29.5, 29.5, 28.0, 26.0, 24.0],
            "tmin_c": [10.5, 11.5, 14.5, 18.5, 21.0, 22.5, 22.5, 22.0, 21.0, 18.5, 14.5, 11.0],
            "rh_mean_pct": [80, 74, 68, 70, 79, 85, 87, 88, 86, 84, 83, 82],
            "u2_m_s": [1.0, 1.2, 1.4, 1.5, 1.3, 1.2, 1.1, 1.0, 0.9, 0.9, 0.9, 0.9],
            "sunshine_h": [5.6, 6.5, 6.8, 6.5, 5.5, 4.2, 3.6, 3.8, 4.8, 5.2, 5.3, 5.4],
            "rain_mm": [15, 18, 45, 110, 200, 245, 305, 300, 185, 95, 40, 17],
        }
    )


BASE = f"""
[[scheme]]
scheme_id = "S1"
name_en = "Plane weir"
name_lo = "ຝາຍທົດລອງ"
village_id = "V1"
crs = "EPSG:32647"
intake_x_m = {INTAKE[0]}
intake_y_m = {INTAKE[1]}
paddy_parcel_ids = ["P0", "P1", "P2", "P3"]
families = 3
area_ha = 4.0
low_flow_l_s_km2 = 2.5
diversion_fraction = 0.7
canal_n = 0.025
canal_bed_slope = 0.01
canal_side_slope = 1.0
sinuosity = 1.0
catchment_km2 = 4.0
"""


# -- scheme files ---------------------------------------------------------------------------------
def test_parse_defaults_and_optional_keys():
    (spec,) = scheme.parse_schemes(BASE)
    assert spec.scheme_id == "S1" and spec.paddy_parcel_ids == ("P0", "P1", "P2", "P3")
    assert spec.efficiency == pytest.approx(0.8**3)
    assert spec.catchment_km2 == 4.0 and spec.sinuosity == 1.0
    crops = spec.crops()
    assert [c.name for c in crops] == ["wet", "dry"]
    (wl,) = scheme.parse_schemes(BASE + "water_layer_mm = 50\n")
    assert [c.water_layer_mm for c in wl.crops()] == [50.0, 50.0]
    (one,) = scheme.parse_schemes(BASE + "dry_season_crop = false\npercolation_mm_day = 5\n")
    assert len(one.crops()) == 1 and one.percolation_mm_day == 5.0


def test_read_demo_scheme_file():
    from landuse.datasets import get_path

    path = get_path("schemes")
    assert path.exists(), "the bundled demo schemes.toml is missing"
    specs = scheme.read_schemes(path)
    assert [s.scheme_id for s in specs] == ["S1", "S2", "S3"]
    assert sum(s.area_ha for s in specs) == pytest.approx(21.5, abs=0.5)
    assert sum(s.families for s in specs) == 32


def _line(text: str, key: str) -> int:
    return next(i + 1 for i, ln in enumerate(text.splitlines()) if ln.startswith(key))


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            ("canal_n = 0.025", "canal_nn = 0.025"),
            r"line {line}, feature 'S1': key 'canal_nn' in \[\[scheme\]\] number 1: unknown key"
            r".*did you mean 'canal_n'",
        ),
        (
            ("diversion_fraction = 0.7", "diversion_fraction = 1.7"),
            r"line {line}.*key 'diversion_fraction'.*value 1.7 is above 1\b.*from 0 to 1",
        ),
        (
            ("families = 3", 'families = "three"'),
            r"line {line}.*key 'families'.*expected a whole number, found 'three'",
        ),
        (("canal_bed_slope = 0.01", "canal_bed_slope = -0.01"), r"line {line}.*canal_bed_slope"),
        (('crs = "EPSG:32647"', 'crs = "EPSG:4326"'), r"line {line}.*not projected"),
        (('crs = "EPSG:32647"', 'crs = "nonsense"'), r"line {line}.*not a valid CRS"),
    ],
)
def test_rule_errors_name_line_and_key(edit, match):
    old, new = edit
    text = BASE.replace(old, new)
    key = new.split("=")[0].strip()
    with pytest.raises(RuleError, match=match.format(line=_line(text, key))):
        scheme.parse_schemes(text, source="schemes.toml")


def test_rule_errors_other():
    with pytest.raises(
        RuleError, match=r"key 'canal_n' in \[\[scheme\]\] number 1: required key 'canal_n' is missing"
    ):
        scheme.parse_schemes(BASE.replace("canal_n = 0.025\n", ""))
    with pytest.raises(RuleError, match="scheme_id 'S1' is used twice"):
        scheme.parse_schemes(BASE + BASE)
    with pytest.raises(RuleError, match="not valid TOML"):
        scheme.parse_schemes(BASE + "broken = [\n")
    with pytest.raises(RuleError, match=r"no \[\[scheme\]\] table"):
        scheme.parse_schemes("title = 'x'\n")
    text = BASE + "wet_transplant_month = 7.5\n"
    with pytest.raises(
        RuleError, match=rf"line {_line(text, 'wet_transplant_month')}.*whole number"
    ):
        scheme.parse_schemes(text)
    assert scheme.parse_schemes(BASE + "land_prep_days = 20.0\n")[0].land_prep_days == 20
    with pytest.raises(RuleError, match="key 'monthly_flow_factor'.*expected a list of 12 numbers"):
        scheme.parse_schemes(BASE + "monthly_flow_factor = [1, 2]\n")
    with pytest.raises(RuleError, match="measured_flow_l_s and measured_area_km2 go together"):
        scheme.parse_schemes(BASE + "measured_flow_l_s = 12.0\n")
    with pytest.raises(RuleError, match=r"key 'soil'.*unknown value 'peat'"):
        scheme.parse_schemes(BASE + 'soil = "peat"\n')
    text = BASE + "dry_transplant_month = 3\n"
    line = _line(text, "dry_transplant_month")
    with pytest.raises(
        RuleError, match=f"line {line}.*invalid cropping calendar.*seasons overlap"
    ):
        scheme.parse_schemes(text)
    with pytest.raises(RuleError, match=r"invalid cropping calendar.*not a date"):
        scheme.parse_schemes(BASE + "wet_transplant_month = 2\nwet_transplant_day = 30\n")


def test_read_schemes_missing_file(tmp_path):
    from landuse.errors import DataReadError

    with pytest.raises(DataReadError, match="scheme file not found"):
        scheme.read_schemes(tmp_path / "nope.toml")


# -- command area ---------------------------------------------------------------------------------
def test_command_area_hand_computed(parcels, dem):
    reach = scheme.command_area(
        parcels,
        dem,
        intake_x_m=INTAKE[0],
        intake_y_m=INTAKE[1],
        bed_slope=0.01,
        sinuosity=1.0,
        intake_head_m=0.5,
        elevation_stat="mean",  # the default is now "max" (issue 16)
    )
    assert list(reach["parcel_id"]) == ["P0", "P1", "P2", "P3"]  # paddy only
    z_intake = plane(*INTAKE)
    for _, row in reach.iterrows():
        c = row.geometry.centroid
        assert row["elev_m"] == pytest.approx(plane(c.x, c.y), abs=1e-9)
        d = math.hypot(c.x - INTAKE[0], c.y - INTAKE[1])
        assert row["distance_m"] == pytest.approx(d)
        assert row["canal_level_m"] == pytest.approx(z_intake + 0.5 - 0.01 * d)
        assert row["area_ha"] == pytest.approx(1.0)
    assert list(reach["reachable"]) == [True, True, True, False]
    # 'max' uses the highest cell centre: +0.1*40 + 0.05*40 = +6 m above the mean
    high = scheme.command_area(
        parcels,
        dem,
        intake_x_m=INTAKE[0],
        intake_y_m=INTAKE[1],
        bed_slope=0.01,
        sinuosity=1.0,
        elevation_stat="max",
    )
    np.testing.assert_allclose(high["elev_m"] - reach["elev_m"], 6.0)
    # a steep canal loses the far parcels; sinuosity lengthens the canal
    steep = scheme.command_area(
        parcels, dem, intake_x_m=INTAKE[0], intake_y_m=INTAKE[1], bed_slope=0.11, sinuosity=1.0
    )
    assert not steep["reachable"].any()
    wind = scheme.command_area(
        parcels, dem, intake_x_m=INTAKE[0], intake_y_m=INTAKE[1], bed_slope=0.01, sinuosity=1.5
    )
    np.testing.assert_allclose(wind["canal_length_m"], 1.5 * reach["distance_m"])


def test_command_area_listed_ids_and_layer(parcels, dem):
    reach = scheme.command_area(
        parcels,
        dem,
        intake_x_m=INTAKE[0],
        intake_y_m=INTAKE[1],
        bed_slope=0.01,
        parcel_ids=["P1", "P0"],
        sinuosity=1.0,
    )
    assert sorted(reach["parcel_id"]) == ["P0", "P1"]
    layer = scheme.scheme_layer(reach, intake_x_m=INTAKE[0], intake_y_m=INTAKE[1], scheme_id="S1")
    assert list(layer["feature"]) == ["intake", "command_area", "canal"]
    assert layer.crs == parcels.crs
    assert layer.loc[1, "area_ha"] == pytest.approx(2.0)  # union of two 1-ha squares
    canal_line = layer.geometry.iloc[2]
    # intake -> nearest parcel (P1, centre X0+150) -> P0 (centre X0+50)
    assert list(canal_line.coords) == [INTAKE, (X0 + 150, Y0 + 50), (X0 + 50, Y0 + 50)]
    assert layer.loc[2, "length_m"] == pytest.approx(math.hypot(960, 860) + 100)


def test_command_area_errors(parcels, dem):
    with pytest.raises(IrrigationError, match="off the DEM"):
        scheme.command_area(parcels, dem, intake_x_m=X0 - 500, intake_y_m=Y0, bed_slope=0.01)
    z, transform = tilted_plane()
    z[4, 55] = np.nan
    holed = Raster(z, transform, UTM47)
    with pytest.raises(IrrigationError, match="no data at the intake"):
        scheme.command_area(
            parcels, holed, intake_x_m=INTAKE[0], intake_y_m=INTAKE[1], bed_slope=0.01
        )
    with pytest.raises(IrrigationError, match="not in the parcels layer"):
        scheme.command_area(
            parcels,
            dem,
            intake_x_m=INTAKE[0],
            intake_y_m=INTAKE[1],
            bed_slope=0.01,
            parcel_ids=["P0", "P99"],
        )
    with pytest.raises(CRSError, match="different CRSs"):
        scheme.command_area(
            parcels.to_crs("EPSG:32648"),
            dem,
            intake_x_m=INTAKE[0],
            intake_y_m=INTAKE[1],
            bed_slope=0.01,
        )
    with pytest.raises(CRSError, match="geographic"):
        scheme.command_area(
            parcels.to_crs("EPSG:4326"),
            dem,
            intake_x_m=INTAKE[0],
            intake_y_m=INTAKE[1],
            bed_slope=0.01,
        )


# -- sizing ---------------------------------------------------------------------------------------
def test_size_scheme_synthetic(parcels, dem):
    (spec,) = scheme.parse_schemes(BASE)
    res = scheme.size_scheme(spec, climate(), dem=dem, parcels=parcels)
    s = res.summary
    assert s["area_ha"] == pytest.approx(3.0)  # P0-P2 reachable, P3 above the canal
    assert s["families"] == 2  # H1 (two parcels) and H2
    assert s["elevation_m"] == pytest.approx(plane(*INTAKE))
    assert "P3" in " ".join(res.notes)
    m = res.monthly
    assert m["gir_mm_day"].idxmax() == s["monthly_max_month"]
    # design on the peak 10-day running mean of the daily GIR (issue 16), brute force
    g = res.daily["gir_mm_day"].to_numpy()
    peak = max(np.mean([g[(i + k) % 365] for k in range(10)]) for i in range(365))
    assert s["design_duty_l_s_ha"] == pytest.approx(peak / 8.64, rel=1e-4)
    assert s["design_duty_l_s_ha"] >= m["duty_l_s_ha"].max() - 1e-4
    assert s["design_flow_l_s"] == pytest.approx(s["design_duty_l_s_ha"] * 3.0, rel=1e-4)
    np.testing.assert_allclose(m["flow_l_s"], m["duty_l_s_ha"] * 3.0)
    # source: 2.5 l/s/km2 x 4 km2 = 10 l/s, 70 % divertible
    assert s["dependable_flow_l_s"] == pytest.approx(10.0)
    assert s["servable_area_ha"] == pytest.approx(0.7 * 10.0 / s["design_duty_l_s_ha"], rel=1e-3)
    assert s["servable_families"] == min(2, math.floor(s["servable_area_ha"] / 1.5 + 1e-9))
    deficit = [int(x) for x in s["deficit_months"].split()]
    assert deficit == [int(k) for k in m.index[m["flow_l_s"] > 7.0 + 1e-9]]
    # canal sized for the design flow
    assert res.canal.q_m3_s == pytest.approx(s["design_flow_l_s"] / 1000, rel=1e-3)
    assert res.canal.depth_m == pytest.approx(
        canal.manning_normal_depth_m(
            q_m3_s=res.canal.q_m3_s,
            bed_width_m=res.canal.bed_width_m,
            side_slope=1.0,
            n=0.025,
            bed_slope=0.01,
        )
    )
    assert len(res.decades) == 36 and res.decades["nir_mm"].sum() == pytest.approx(
        m["nir_mm"].sum()
    )
    report = res.report()
    assert "Design period" in report and "l/s/ha" in report and "Plane weir" in report


def test_size_scheme_without_list_uses_the_village_paddy(parcels, dem):
    other = parcels.copy()
    other.loc[other["parcel_id"] == "P1", "village_id"] = "V2"
    (spec,) = scheme.parse_schemes(BASE.replace('["P0", "P1", "P2", "P3"]', "[]"))
    res = scheme.size_scheme(spec, climate(), dem=dem, parcels=other)
    assert sorted(res.parcels["parcel_id"]) == ["P0", "P2", "P3"]  # paddy of V1 only
    assert res.summary["area_ha"] == pytest.approx(2.0)  # P0 and P2 reachable
    assert "No paddy_parcel_ids" in res.report()


def test_size_scheme_nothing_reachable(parcels, dem):
    (spec,) = scheme.parse_schemes(BASE.replace('["P0", "P1", "P2", "P3"]', '["P3"]'))
    res = scheme.size_scheme(spec, climate(), dem=dem, parcels=parcels)
    assert res.summary["area_ha"] == 0.0 and res.summary["families"] == 0
    assert res.summary["design_flow_l_s"] == 0.0 and res.summary["servable_families"] == 0
    assert "cannot be commanded by gravity: P3" in res.report()


def test_size_scheme_without_terrain_uses_file_values():
    (spec,) = scheme.parse_schemes(BASE + "intake_elev_m = 650.0\n")
    res = scheme.size_scheme(spec, climate())
    assert res.summary["area_ha"] == 4.0 and res.summary["families"] == 3
    assert res.summary["elevation_m"] == 650.0
    assert res.layer is None and res.parcels is None


def test_size_scheme_area_ratio_and_flow_factor():
    text = BASE + "measured_flow_l_s = 6.0\nmeasured_area_km2 = 2.0\nintake_elev_m = 650.0\n"
    text += "monthly_flow_factor = [1, 1, 1, 1, 2, 4, 6, 6, 4, 3, 2, 1]\n"
    (spec,) = scheme.parse_schemes(text)
    from landuse.errors import LanduseWarning

    with pytest.warns(LanduseWarning, match="catchment-area ratio 2.00"):  # outside 0.3-1.5: said
        res = scheme.size_scheme(spec, climate())
    assert res.summary["dependable_flow_l_s"] == pytest.approx(12.0)  # 6 l/s x 4/2
    np.testing.assert_allclose(
        res.monthly["source_l_s"], 0.7 * 12.0 * np.array([1, 1, 1, 1, 2, 4, 6, 6, 4, 3, 2, 1])
    )


def test_size_scheme_no_source_information_is_flagged():
    (spec,) = scheme.parse_schemes(
        BASE.replace("catchment_km2 = 4.0\n", "") + "intake_elev_m = 650.0\n"
    )
    res = scheme.size_scheme(spec, climate())
    assert res.summary["dependable_flow_l_s"] is None and res.summary["source_sufficient"] is None
    assert "not assessed" in res.report()


def test_size_scheme_without_elevation_warns():
    from landuse.errors import LanduseWarning

    (spec,) = scheme.parse_schemes(BASE)
    with pytest.warns(LanduseWarning, match="600 m"):
        res = scheme.size_scheme(spec, climate())
    assert "600 m" in res.report()


def test_size_scheme_intake_off_dem(parcels, dem):
    (spec,) = scheme.parse_schemes(
        BASE.replace(f"intake_x_m = {INTAKE[0]}", "intake_x_m = 400000.0")
    )
    with pytest.raises(IrrigationError, match="off the DEM"):
        scheme.size_scheme(spec, climate(), dem=dem, parcels=parcels)


def valley_dem():
    """A V-shaped valley draining south along the centre of column 30 (x = X0 + 610).

    z = 500 + 0.05 (y - Y0) + 0.2 |x - xc|: every cell flows sideways to the valley column
    (drop 4 m per cell against 1 m southwards), then south; so the catchment of the valley
    cell in row r is rows 0..r of the whole grid: (r + 1) x 60 cells of 400 m².
    """
    z, transform = tilted_plane()
    rows, cols = z.shape
    xs = X0 + (np.arange(cols) + 0.5) * 20.0
    ys = Y0 + rows * 20.0 - (np.arange(rows) + 0.5) * 20.0
    xx, yy = np.meshgrid(xs, ys)
    return Raster(
        500.0 + 0.05 * (yy - Y0) + 0.2 * np.abs(xx - (X0 + 610.0)),
        transform,
        UTM47,
        None,
        "valley.tif",
    )


def test_size_scheme_crs_mismatch(parcels, dem):
    (spec,) = scheme.parse_schemes(BASE.replace('crs = "EPSG:32647"', 'crs = "EPSG:32648"'))
    with pytest.raises(
        CRSError, match="'dem' is in EPSG:32647 but layer 'scheme file' is in EPSG:32648"
    ):
        scheme.size_scheme(spec, climate(), dem=dem, parcels=parcels)


def test_dem_catchment_when_hydrology_is_available(parcels):
    import landuse.terrain.hydrology  # noqa: F401  (the DEM path needs it)
    dem = valley_dem()
    row = 39
    x, y = X0 + 610.0, Y0 + 1000.0 - (row + 0.5) * 20.0
    text = BASE.replace("catchment_km2 = 4.0\n", "").replace(
        f"intake_x_m = {INTAKE[0]}", f"intake_x_m = {x}"
    )
    text = text.replace(f"intake_y_m = {INTAKE[1]}", f"intake_y_m = {y}")
    (spec,) = scheme.parse_schemes(text)
    res = scheme.size_scheme(spec, climate(), dem=dem, parcels=parcels)
    # the intake snaps to the cell of largest upstream area within 100 m (issue 16): 5 cells
    # of 20 m down the valley, row 44
    expected = (row + 5 + 1) * 60 * 400.0 / 1e6
    assert res.summary["catchment_area_km2"] == pytest.approx(expected, abs=1e-9)
    assert res.summary["dependable_flow_l_s"] == pytest.approx(2.5 * expected)
    assert "from the DEM" in res.summary["catchment_source"]
    assert list(res.layer["feature"]) == ["intake", "command_area", "canal", "catchment"]
    assert res.layer.loc[3, "area_ha"] == pytest.approx(expected * 100)
    # a file value far from the DEM's is reported
    (spec2,) = scheme.parse_schemes(text + "catchment_km2 = 3.0\n")
    res2 = scheme.size_scheme(spec2, climate(), dem=dem, parcels=parcels)
    assert res2.summary["catchment_area_km2"] == pytest.approx(expected)
    assert "differs from catchment_km2" in " ".join(res2.notes)


def test_dem_catchment_failure_falls_back_to_file_value(parcels, dem):
    import landuse.terrain.hydrology  # noqa: F401  (the DEM path needs it)
    (spec,) = scheme.parse_schemes(BASE)  # the plane has no stream near the intake
    res = scheme.size_scheme(spec, climate(), dem=dem, parcels=parcels)
    assert res.summary["catchment_area_km2"] == 4.0
    assert "could not be delineated" in " ".join(res.notes)
    from landuse.errors import LanduseError

    (nofile,) = scheme.parse_schemes(BASE.replace("catchment_km2 = 4.0\n", ""))
    with pytest.raises(LanduseError, match="no stream cell"):
        scheme.size_scheme(nofile, climate(), dem=dem, parcels=parcels)


# -- demo -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_paths():
    from landuse.datasets import get_path

    paths = {k: get_path(k) for k in ("schemes", "climate", "dem", "parcels")}
    assert all(p.exists() for p in paths.values()), "bundled demo data missing"
    return paths


def test_demo_schemes_match_reference_project(demo_paths):
    from landuse import io

    specs = scheme.read_schemes(demo_paths["schemes"])
    clim = io.read_climate(demo_paths["climate"])
    dem = io.read_raster(demo_paths["dem"])
    parcels = io.read_parcels(demo_paths["parcels"])
    results = [scheme.size_scheme(s, clim, dem=dem, parcels=parcels) for s in specs]
    area = sum(r.summary["area_ha"] for r in results)
    families = sum(r.summary["families"] for r in results)
    assert area == pytest.approx(21.52, abs=1.0)  # reference project: 21.52 ha
    assert abs(families - 32) <= 2  # ... and 32 families
    for r in results:
        # peak design (issue 16): at least the largest monthly mean, below 4 l/s/ha
        s = r.summary
        assert s["monthly_max_duty_l_s_ha"] <= s["design_duty_l_s_ha"] <= 4.0
        assert np.isfinite(r.monthly.drop(columns=[]).to_numpy(float)).all()
        assert "## Sensitivity of the design" in r.report()


def test_cli_demo(demo_paths, tmp_path):
    from landuse.cli.main import cli

    args = [
        "irrigation",
        "--scheme",
        str(demo_paths["schemes"]),
        "--climate",
        str(demo_paths["climate"]),
        "--dem",
        str(demo_paths["dem"]),
        "--parcels",
        str(demo_paths["parcels"]),
        "--out",
        str(tmp_path),
    ]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "total:" in res.output
    summary = json.loads((tmp_path / "irrigation_summary.json").read_text(encoding="utf-8"))
    assert [s["scheme_id"] for s in summary["schemes"]] == ["S1", "S2", "S3"]
    assert summary["total"]["area_ha"] == pytest.approx(21.52, abs=1.0)
    monthly = pd.read_csv(tmp_path / "irrigation_monthly.csv")
    assert len(monthly) == 36 and set(monthly["scheme_id"]) == {"S1", "S2", "S3"}
    assert len(pd.read_csv(tmp_path / "irrigation_decades.csv")) == 108
    sens = pd.read_csv(tmp_path / "irrigation_sensitivity.csv")
    assert sens.groupby("scheme_id").size().tolist() == [13, 13, 13]
    assert (sens.loc[sens["case"] == "design", "change_pct"] == 0).all()
    assert "# Irrigation scheme S1" in (tmp_path / "irrigation_report.md").read_text(
        encoding="utf-8"
    )
    layer = gpd.read_file(tmp_path / "irrigation_schemes.gpkg", layer="schemes")
    assert list(layer["feature"][:3]) == ["intake", "command_area", "canal"]
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    # refuses to overwrite, then overwrites with the same bytes
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "exists already" in again.output
    third = CliRunner().invoke(cli, [*args, "--overwrite"])
    assert third.exit_code == 0, third.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first


def test_cli_library_agreement_and_scheme_filter(demo_paths, tmp_path):
    from landuse import io
    from landuse.cli.main import cli

    res = CliRunner().invoke(
        cli,
        [
            "irrigation",
            "--scheme",
            str(demo_paths["schemes"]),
            "--climate",
            str(demo_paths["climate"]),
            "--scheme-id",
            "S2",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "irrigation_summary.csv")
    assert list(summary["scheme_id"]) == ["S2"]
    spec = next(s for s in scheme.read_schemes(demo_paths["schemes"]) if s.scheme_id == "S2")
    lib = scheme.size_scheme(spec, io.read_climate(demo_paths["climate"]))
    assert summary.loc[0, "design_flow_l_s"] == pytest.approx(lib.summary["design_flow_l_s"])
    assert not (tmp_path / "irrigation_schemes.gpkg").exists()


def test_cli_errors(demo_paths, tmp_path):
    from landuse.cli.main import cli

    base = [
        "irrigation",
        "--scheme",
        str(demo_paths["schemes"]),
        "--climate",
        str(demo_paths["climate"]),
        "--out",
        str(tmp_path),
    ]
    res = CliRunner().invoke(cli, [*base, "--scheme-id", "S9"])
    assert res.exit_code == 1 and "scheme_id 'S9' is not in the scheme file" in res.output
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace("canal_n", "canal_m"), encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        [
            "irrigation",
            "--scheme",
            str(bad),
            "--climate",
            str(demo_paths["climate"]),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 1 and "line" in res.output
    assert "key 'canal_m' in [[scheme]] number 1: unknown key" in res.output
    assert "did you mean 'canal_n'" in res.output
    clim = pd.read_csv(demo_paths["climate"])
    clim.loc[0, "tmin_c"] = 40.0
    clim.to_csv(tmp_path / "clim.csv", index=False)
    res = CliRunner().invoke(
        cli,
        [
            "irrigation",
            "--scheme",
            str(demo_paths["schemes"]),
            "--climate",
            str(tmp_path / "clim.csv"),
            "--out",
            str(tmp_path / "o2"),
        ],
    )
    assert res.exit_code == 1 and "tmin_c" in res.output
    assert not Path(tmp_path / "o2" / "irrigation_summary.csv").exists()


def test_schemes_from_dict_matches_parse():
    import tomllib

    data = tomllib.loads(BASE)
    assert scheme.schemes_from_dict(data) == scheme.parse_schemes(BASE)
    with pytest.raises(RuleError, match=r"key 'canal_nn' in \[\[scheme\]\] number 1: unknown key"):
        scheme.schemes_from_dict(tomllib.loads(BASE.replace("canal_n =", "canal_nn =")))
    with pytest.raises(RuleError, match="expected the parsed scheme file"):
        scheme.schemes_from_dict([1, 2])


def test_size_schemes_gathers_tables(parcels, dem):
    specs = scheme.parse_schemes(BASE + BASE.replace('scheme_id = "S1"', 'scheme_id = "S2"'))
    out = scheme.size_schemes(specs, climate(), dem=dem, parcels=parcels)
    assert list(out["summary"]["scheme_id"]) == ["S1", "S2"]
    assert list(out["monthly"].columns[:2]) == ["scheme_id", "month"] and len(out["monthly"]) == 24
    assert out["total"]["area_ha"] == pytest.approx(6.0)
    assert out["total"]["families"] == 4
    assert len(out["layer"]) == 6 and len(out["command_parcels"]) == 8
    assert out["report"].startswith("# Irrigation schemes: 2 scheme(s), 6.00 ha, 4 families")
    with pytest.raises(RuleError, match="no scheme to size"):
        scheme.size_schemes([], climate())


@settings(max_examples=30, deadline=None)
@given(s1=st.floats(0.0, 0.2), s2=st.floats(0.0, 0.2), head=st.floats(0.0, 5.0))
def test_command_area_shrinks_with_steeper_canals(s1, s2, head):
    z, transform = tilted_plane()
    dem = Raster(z, transform, UTM47)
    cells = [(i, j) for i in range(0, 12, 2) for j in range(0, 10, 2)]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{k}" for k in range(len(cells))], "land_type": "paddy"},
        geometry=[square(*c) for c in cells],
        crs=UTM47,
    )
    lo, hi = sorted((s1, s2))
    kw = dict(intake_x_m=INTAKE[0], intake_y_m=INTAKE[1], intake_head_m=head, sinuosity=1.2)
    gentle = scheme.command_area(parcels, dem, bed_slope=lo, **kw)
    steep = scheme.command_area(parcels, dem, bed_slope=hi, **kw)
    assert (steep["reachable"] <= gentle["reachable"]).all()
    # reachable exactly when the parcel lies below the canal level
    expected = gentle["elev_m"] <= plane(*INTAKE) + head - lo * 1.2 * gentle["distance_m"]
    assert (gentle["reachable"] == expected).all()


def test_operating_hours_scale_the_duty():
    base = BASE + "intake_elev_m = 650.0\n"
    (day,) = scheme.parse_schemes(base)
    (half,) = scheme.parse_schemes(base + "operating_hours = 12\n")
    a = scheme.size_scheme(day, climate()).summary
    b = scheme.size_scheme(half, climate()).summary
    assert b["design_duty_l_s_ha"] == pytest.approx(2 * a["design_duty_l_s_ha"], rel=1e-3)
    assert b["design_month"] == a["design_month"]
    assert b["servable_area_ha"] == pytest.approx(a["servable_area_ha"] / 2, rel=1e-3)


def test_cli_parcels_without_dem(demo_paths, tmp_path):
    from landuse.cli.main import cli

    args = [
        "irrigation", "--scheme", str(demo_paths["schemes"]), "--climate",
        str(demo_paths["climate"]), "--parcels", str(demo_paths["parcels"]),
        "--out", str(tmp_path),
    ]  # fmt: skip
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "irrigation_summary.csv")
    assert set(summary["area_source"]) == {"listed paddy parcels (no DEM check)"}
    assert summary["area_ha"].sum() == pytest.approx(21.5, abs=1.0)
    assert not (tmp_path / "irrigation_schemes.gpkg").exists()


def test_report_mentions_water_layer():
    (spec,) = scheme.parse_schemes(BASE + "intake_elev_m = 650.0\nwater_layer_mm = 50\n")
    res = scheme.size_scheme(spec, climate())
    assert "water layer of 50 mm replaced 30 and 60 days after transplanting" in res.report()
    assert res.monthly["water_layer_mm_day"].sum() > 0
