"""Tests of landuse.check and `landuse check`: one small file per fault.

Each fault starts from a clean set of inputs (a 300 m x 200 m village tiled by six
1-ha parcels, three households, histories, climate, a DEM and a slope raster),
introduces exactly one problem, writes the files to ``tmp_path`` and asserts that
``check_files`` reports that code (and nothing else as error or warning) with a
message that names what was found and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from landuse import io
from landuse.check import CODES, check_files, check_inputs
from landuse.cli.main import cli
from landuse.errors import SchemaError

UTM47 = "EPSG:32647"
X0, Y0 = 500_000.0, 2_290_000.0
CELL = 20.0


def sq(ix, iy, size=100.0):
    return box(X0 + ix * size, Y0 + iy * size, X0 + (ix + 1) * size, Y0 + (iy + 1) * size)


def clean() -> dict:
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"]},
        geometry=[box(X0, Y0, X0 + 300, Y0 + 200)],
        crs=UTM47,
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k}" for k in range(6)],
            "village_id": "V1",
            "land_type": ["paddy", "paddy", "upland", "upland", "permanent", "residential"],
            "household_id": ["H1", "H2", "H3", "H1", None, "H2"],
        },
        geometry=[sq(i, j) for j in range(2) for i in range(3)],
        crs=UTM47,
    )
    households = pd.DataFrame(
        {
            "household_id": ["H1", "H2", "H3"],
            "village_id": "V1",
            "head_name": ["ທ້າວ ບຸນມີ", "ນາງ ຄຳລາ", "Noy"],
            "head_name_lo": ["ທ້າວ ບຸນມີ", "ນາງ ຄຳລາ", "ນ້ອຍ"],
            "members": [5, 6, 4],
            "labour_units": [3, 3.5, 2],
        }
    )
    histories = pd.DataFrame(
        {
            "plot_id": ["P2", "P2", "P3", "P3"],
            "year": [2020, 2021, 2020, 2021],
            "status": ["cultivated", "fallow", "fallow", "cultivated"],
        }
    )
    climate = pd.DataFrame(
        {
            "month": range(1, 13),
            "tmax_c": [25, 28, 31, 33, 32, 31, 30, 30, 30, 29, 27, 24],
            "tmin_c": [10, 11, 14, 18, 21, 22, 22, 22, 21, 18, 14, 11],
            "rh_mean_pct": [75, 70, 65, 68, 78, 84, 86, 87, 85, 82, 80, 78],
            "u2_m_s": [1.0] * 12,
            "sunshine_h": [6.5, 7, 7, 7, 6, 4, 3.5, 3.5, 5, 6, 6.5, 6.5],
            "rain_mm": [15, 18, 45, 110, 200, 230, 300, 320, 210, 90, 35, 15],
        }
    )
    # DEM: a tilted plane with a 100 m margin around the village
    rows, cols = int(400 / CELL), int(500 / CELL)
    transform = Affine(CELL, 0, X0 - 100, 0, -CELL, Y0 + 300)
    yy, xx = np.mgrid[0:rows, 0:cols]
    dem = (600.0 + 2.0 * xx + 1.0 * yy).astype("float32")
    # the plane's slope: atan(hypot(2/20, 1/20)) = 6.38 degrees (11.18 %), with a little noise
    slope = (np.degrees(np.arctan(np.hypot(0.1, 0.05))) + 0.1 * (xx % 3)).astype("float32")
    return {
        "villages": villages,
        "parcels": parcels,
        "households": households,
        "histories": histories,
        "climate": climate,
        "dem": (dem, transform, -9999.0),
        "slope": (slope, transform, -9999.0),
    }


def write(d: dict, folder: Path) -> dict:
    """Write the inputs of *d* into *folder* and return their paths by layer."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, value in d.items():
        if value is None or key.startswith("_"):
            continue
        if isinstance(value, (str, Path)):
            paths[key] = Path(value)
        elif key in ("villages", "parcels"):
            suffix = value.attrs.pop("suffix", ".gpkg")
            paths[key] = folder / f"{key}{suffix}"
            value.to_file(paths[key], engine="pyogrio")
        elif key in ("households", "histories", "climate"):
            paths[key] = folder / f"{key}.csv"
            value.to_csv(paths[key], index=False, encoding="utf-8")
        else:
            arr, transform, nodata = value[:3]
            crs = UTM47 if len(value) < 4 else value[3]
            paths[key] = io.write_raster(
                arr, folder / f"{key}.tif", transform=transform, crs=crs, nodata=nodata
            )
    return paths


def problems(report: pd.DataFrame) -> set[str]:
    return set(report.loc[report.severity.isin(["error", "warning"]), "code"])


# -- the faults ------------------------------------------------------------------------
def _geographic(d):
    d["villages"] = d["villages"].to_crs("EPSG:4326")
    d["parcels"] = d["parcels"].to_crs("EPSG:4326")
    d["dem"] = d["slope"] = None


def _feet(d):
    d["villages"] = d["villages"].to_crs("EPSG:2263")  # NAD83 / New York Long Island (ftUS)
    d["parcels"] = d["parcels"].to_crs("EPSG:2263")
    d["dem"] = d["slope"] = None


def _set(layer, column, pos, value):
    def f(d):
        d[layer][column] = d[layer][column].astype(object)
        d[layer].loc[pos, column] = value

    return f


def _geom(pos, geom, suffix=None):
    def f(d):
        geoms = list(d["parcels"].geometry)
        geoms[pos] = geom
        d["parcels"] = d["parcels"].set_geometry(gpd.GeoSeries(geoms, crs=UTM47))
        if suffix:
            d["parcels"].attrs["suffix"] = suffix

    return f


def _add_parcel(pid, geom):
    def f(d):
        extra = gpd.GeoDataFrame(
            {
                "parcel_id": [pid],
                "village_id": ["V1"],
                "land_type": ["upland"],
                "household_id": [None],
            },
            geometry=[geom],
            crs=UTM47,
        )
        d["parcels"] = pd.concat([d["parcels"], extra], ignore_index=True)

    return f


def _area(pos, value):
    def f(d):
        d["parcels"]["area_ha"] = 1.0
        d["parcels"].loc[pos, "area_ha"] = value

    return f


def _dem(fn, key="dem"):
    def f(d):
        arr, transform, nodata = d[key]
        d[key] = fn(arr.copy(), transform, nodata)
        if key == "dem":
            d["slope"] = None

    return f


def _holes(arr, transform, nodata):
    arr[8:11, 9:12] = nodata  # 9 cells inside the village
    return arr, transform, nodata


def _crop(arr, transform, nodata):
    return arr[:, :12].copy(), transform, nodata  # covers x < X0 + 140 only


def _empty(arr, transform, nodata):
    return np.full_like(arr, nodata), transform, nodata


def _percent(arr, transform, nodata):
    rng = np.random.default_rng(1)
    return rng.uniform(20, 150, arr.shape).astype("float32"), transform, nodata


def _steep(arr, transform, nodata):
    rng = np.random.default_rng(2)
    return rng.uniform(40, 88, arr.shape).astype("float32"), transform, nodata


def _unreadable(kind):
    def f(d, folder=None):
        return kind

    return f


BOWTIE = Polygon(
    [(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 200, Y0 + 100), (X0 + 100, Y0 + 200)]
)
HOLED = Polygon(
    sq(1, 1).exterior.coords,
    [[(X0 + 140, Y0 + 140), (X0 + 160, Y0 + 140), (X0 + 160, Y0 + 160), (X0 + 140, Y0 + 160)]],
)

#: code -> (mutation of the clean inputs, severity, regex the message must match)
FAULTS = {
    "CRS_MISSING": (
        lambda d: d.update(parcels=d["parcels"].set_crs(None, allow_override=True)),
        "error",
        r"no coordinate reference system.*Fix: set the CRS.*EPSG:32647",
    ),
    "CRS_GEOGRAPHIC": (
        _geographic,
        "error",
        r"geographic CRS EPSG:4326.*Fix: reproject.*to_projected",
    ),
    "CRS_NOT_METRIC": (_feet, "error", r"measures in 'us survey foot'.*Fix: reproject"),
    "CRS_MISMATCH": (
        # (not UTM 48N: this village lies 6° west of that zone, at eastings below 0, which
        # is COORD_RANGE as well)
        lambda d: d.update(parcels=d["parcels"].to_crs("EPSG:3857")),
        "error",
        r"parcels is in EPSG:3857.*villages is in EPSG:32647.*Fix: reproject parcels",
    ),
    "GEOM_EMPTY": (_geom(5, None), "error", r"empty or missing geometry.*Fix: draw"),
    "GEOM_TYPE": (
        _geom(5, Point(X0 + 250, Y0 + 150), suffix=".geojson"),
        "error",
        r"geometry is a Point; expected a Polygon.*Fix:",
    ),
    "GEOM_INVALID": (
        _geom(4, BOWTIE),
        "error",
        r"invalid geometry: Self-intersection.*Fix: repair.*make_valid",
    ),
    "ID_DUPLICATE": (
        _set("parcels", "parcel_id", 5, "P4"),
        "error",
        r"parcel_id 'P4' occurs 2 times \(rows 5, 6\)",
    ),
    "ID_MISSING": (
        _set("parcels", "parcel_id", 5, None),
        "error",
        r"row 6 has no parcel_id.*Fix: give every",
    ),
    "PARCEL_OVERLAP": (
        _geom(1, box(X0 + 90, Y0, X0 + 200, Y0 + 100)),
        "error",
        r"parcels 'P0' and 'P1' overlap by 1,000.0 m² \(10.0 % of 'P0'.*Fix: redraw",
    ),
    "PARCEL_OUTSIDE_VILLAGE": (
        _add_parcel("P6", sq(5, 0)),
        "error",
        r"lies outside village 'V1' \(1.00 ha\).*Fix: correct its village_id",
    ),
    "PARCEL_CROSSES_VILLAGE": (
        _geom(5, box(X0 + 200, Y0 + 100, X0 + 350, Y0 + 200)),
        "error",
        r"5,000.0 m² \(33.3 %\) of the parcel lie outside village 'V1'.*Fix: clip",
    ),
    "GAP": (
        _geom(4, HOLED),
        "warning",
        r"hole of 400.0 m² enclosed by parcels between parcels P4 at x=500150",
    ),
    "SLIVER": (
        _geom(1, box(X0 + 100, Y0, X0 + 199.5, Y0 + 100)),
        "warning",
        r"sliver of 50.0 m², about 0.50 m wide, between parcels P1, P2.*Fix: snap",
    ),
    "VILLAGE_OVERLAP": (
        lambda d: d.update(
            villages=pd.concat(
                [
                    d["villages"],
                    gpd.GeoDataFrame(
                        {"village_id": ["V2"], "name_en": ["Houay"], "name_lo": ["ຫ້ວຍ"]},
                        geometry=[box(X0 + 250, Y0, X0 + 390, Y0 + 200)],
                        crs=UTM47,
                    ),
                ],
                ignore_index=True,
            )
        ),
        "warning",
        r"villages 'V1' and 'V2' overlap by 1.00 ha.*Fix: agree",
    ),
    "PARCEL_UNKNOWN_VILLAGE": (
        _set("parcels", "village_id", 3, "V9"),
        "error",
        r"village_id 'V9' is not in the villages layer.*Fix: correct",
    ),
    "HOUSEHOLD_UNKNOWN_VILLAGE-zeros": (
        lambda d: (
            d["villages"].__setitem__("village_id", ["0401015"]),
            d["parcels"].__setitem__("village_id", "0401015"),
            d["households"].__setitem__("village_id", ["0401015", "0401015", "401015"]),
        ),
        "error",
        r"village_id '401015' is not in the villages layer.*did you mean '0401015'\? "
        r"\(.*leading zeros",
    ),
    "PARCEL_UNKNOWN_HOUSEHOLD-case": (
        _set("parcels", "household_id", 0, "h1"),
        "error",
        r"household_id 'h1' is not.*did you mean 'H1'\? \(.*case or spaces\)",
    ),
    "PARCEL_UNKNOWN_HOUSEHOLD": (
        _set("parcels", "household_id", 0, "H99"),
        "error",
        r"household_id 'H99' is not in the households table",
    ),
    "HOUSEHOLD_UNKNOWN_VILLAGE": (
        _set("households", "village_id", 2, "V7"),
        "error",
        r"village_id 'V7' is not in the villages layer",
    ),
    "LAND_TYPE_UNKNOWN": (
        _set("parcels", "land_type", 2, "swamp"),
        "error",
        r"land_type 'swamp' is not in the vocabulary.*Fix: use one of paddy, upland",
    ),
    "VALUE_NEGATIVE": (_area(0, -1.0), "error", r"area_ha is -1; an area cannot be negative"),
    "VALUE_NEGATIVE-labour": (
        _set("households", "labour_units", 0, -1),
        "error",
        r"labour_units is -1; labour units cannot be negative",
    ),
    "VALUE_RANGE": (
        lambda d: (
            _set("households", "members", 0, 0)(d),
            _set("households", "labour_units", 0, 0)(d),
        ),
        "error",
        r"members is 0; a household has at least 1 member",
    ),
    "VALUE_RANGE-fraction": (
        _set("households", "members", 2, 4.5),
        "error",
        r"members is 4.5; members count persons, a whole number",
    ),
    "VALUE_NOT_NUMBER-lao": (
        _set("households", "members", 0, "໕"),
        "error",
        r"members is '໕', not a number.*Fix: write members with the digits 0-9",
    ),
    "VALUE_NOT_NUMBER": (
        _set("households", "members", 0, "five"),
        "error",
        r"members is 'five', not a number",
    ),
    "VALUE_MISSING": (
        _set("households", "labour_units", 1, None),
        "error",
        r"labour_units is empty.*Fix: fill",
    ),
    "LABOUR_GT_MEMBERS": (
        _set("households", "labour_units", 1, 8),
        "error",
        r"labour_units 8 exceed members 6",
    ),
    "AREA_MISMATCH": (
        _area(0, 1.5),
        "warning",
        r"area_ha is 1.5 but the geometry measures 1.000 ha",
    ),
    "TEXT_ENCODING": (
        _set("villages", "name_lo", 0, "ປ່າສັກ".encode().decode("latin-1")),
        "warning",
        r"name_lo .* looks garbled.*Fix: save the file as UTF-8",
    ),
    "STATUS_UNKNOWN": (
        _set("histories", "status", 1, "burnt"),
        "error",
        r"status 'burnt' is not in the vocabulary",
    ),
    "HISTORY_UNKNOWN_PLOT": (
        _set("histories", "plot_id", 0, "U77"),
        "warning",
        r"plot_id 'U77' \(1 rows\) is not a parcel_id.*Fix: use the parcel_id",
    ),
    "TEXT_ENCODING-households": (
        _set("households", "head_name_lo", 0, "Bounmy"),
        "warning",
        r"head_name_lo 'Bounmy' has no Lao characters",
    ),
    "TMIN_GT_TMAX": (
        lambda d: _set("climate", "tmin_c", 2, 35)(d),
        "error",
        r"tmin_c 35 is above tmax_c 31",
    ),
    "CLIMATE_MONTHS": (
        lambda d: d.update(climate=d["climate"].iloc[:11]),
        "error",
        r"months missing: \[12\]",
    ),
    "LAYER_EMPTY": (
        lambda d: d.update(
            households=d["households"].iloc[:0], parcels=d["parcels"].assign(household_id=None)
        ),
        "error",
        r"the households layer has no rows.*Fix: check the file",
    ),
    "COLUMN_MISSING": (
        lambda d: d.update(households=d["households"].drop(columns="labour_units")),
        "error",
        r"required column 'labour_units' is missing.*Fix: add the column.*aliases \(labour,",
    ),
    "RASTER_NODATA_HOLES": (
        _dem(_holes),
        "error",
        r"9 nodata cells \(0.36 ha, .*inside village 'V1'.*fillnodata",
    ),
    "RASTER_NOT_COVERING": (
        _dem(_crop),
        "error",
        r"does not cover 53.3 % \(3.20 ha\) of village 'V1'",
    ),
    "RASTER_EMPTY": (_dem(_empty), "error", r"holds nodata only"),
    "SLOPE_LOOKS_PERCENT": (
        _dem(_percent, "slope"),
        "error",
        r"declared in degrees but \d+ cells .* exceed 90.*looks like percent.*--slope-units",
    ),
    "SLOPE_LOOKS_PERCENT-p99": (
        _dem(_steep, "slope"),
        "warning",
        r"99th percentile.*common for percent",
    ),
    "SLOPE_LOOKS_PERCENT-dem": (
        _dem(lambda a, t, n: (100 * np.tan(np.radians(a)), t, n), "slope"),
        "error",
        r"matches the DEM's slope in percent.*--slope-units percent",
    ),
    "SLOPE_LOOKS_DEGREES": (
        lambda d: d.update(_options={"slope_units": "percent"}),
        "error",
        r"declared in percent but matches the DEM's slope in degrees.*--slope-units degrees",
    ),
    # -- safe ids, plausibility (issue 15) ---------------------------------------------
    "ID_UNSAFE": (
        lambda d: (
            d["villages"].__setitem__("village_id", ["../V1"]),
            d["parcels"].__setitem__("village_id", "../V1"),
            d["households"].__setitem__("village_id", "../V1"),
        ),
        "error",
        r"village_id '\.\./V1' contains '/'.*Fix: use 1-64 characters",
    ),
    "ID_UNSAFE-javascript": (
        lambda d: (
            _set("households", "household_id", 0, "javascript:alert(1)")(d),
            _set("parcels", "household_id", 0, "javascript:alert(1)")(d),
            _set("parcels", "household_id", 3, "javascript:alert(1)")(d),
        ),
        "error",
        r"household_id 'javascript:alert\(1\)' contains ':'",
    ),
    "ID_UNSAFE-plot": (
        lambda d: (
            d["histories"].__setitem__("plot_id", ["P2", "P2", "P3\x1b", "P3\x1b"]),
            _set("parcels", "parcel_id", 3, "P3\x1b")(d),
        ),
        "error",
        r"plot_id 'P3\\x1b' contains the control character U\+001B",
    ),
    "ID_UNSAFE-long": (
        _set("parcels", "parcel_id", 5, "P" * 300),
        "error",
        r"parcel_id 'P{77}\.\.\.' is 300 characters long \(at most 64\)",
    ),
    "ID_UNSAFE-reserved": (
        _set("parcels", "parcel_id", 4, "CON"),
        "error",
        r"parcel_id 'CON' is a device name reserved by Windows \('CON'\)",
    ),
    "ID_UNSAFE-case": (
        lambda d: (
            d["households"].__setitem__("household_id", ["H1", "h1", "H3"]),
            d["parcels"].__setitem__("household_id", ["H1", "h1", "H3", "H1", None, "h1"]),
        ),
        "error",
        r"household_id 'h1' differs from 'H1' only in case",
    ),
    "VALUE_RANGE-year": (
        _set("histories", "year", 3, 2150),
        "error",
        r"year '2150' is not a plausible calendar year \(histories run from 1950 to 20\d\d",
    ),
    "VALUE_IMPLAUSIBLE": (
        _set("households", "members", 1, 60),
        "warning",
        r"members is 60; more than 40 persons in one household is implausible",
    ),
    "VALUE_IMPLAUSIBLE-wind": (
        _set("climate", "u2_m_s", 3, 25),
        "warning",
        r"u2_m_s is 25, outside the plausible monthly range 0..10",
    ),
    "SUNSHINE_GT_DAYLENGTH": (
        _set("climate", "sunshine_h", 0, 13),
        "error",
        r"sunshine_h is 13 but the day lasts at most 11.\d h anywhere in Laos",
    ),
    "GEOM_SLIVER": (
        _add_parcel("P6", box(X0 + 10, Y0 + 50, X0 + 40, Y0 + 50 + 1e-6)),
        "error",
        r"the feature is degenerate: 0.00 m², about 1e-06 m wide on average.*Fix: delete it",
    ),
    "GEOM_Z": (
        _geom(0, Polygon([(x, y, 612.0) for x, y in sq(0, 0).exterior.coords])),
        "warning",
        r"1 features have Z \(3D\) coordinates; landuse reads them in 2D",
    ),
    "COORD_RANGE": (
        _geom(5, box(X0 + 1_000_200, Y0 + 100, X0 + 1_000_300, Y0 + 200)),
        "error",
        r"coordinates \(x 1,500,200..1,500,300.*leave the valid range of EPSG:32647.*"
        r"Fix: check the CRS",
    ),
    "COORD_RANGE-far": (
        _geom(5, box(X0 + 200, Y0 + 300_100, X0 + 300, Y0 + 300_200)),
        "error",
        r"it lies 300 km from the centre of the district's villages",
    ),
    "RASTER_TOO_SMALL": (
        _dem(lambda a, t, n: (np.full((2, 5), 650.0, "float32"),
                              Affine(100.0, 0, X0 - 100, 0, -100.0, Y0 + 200), n)),
        "error",
        r"the DEM has only 2 x 5 cells; slopes and streams need at least 3 x 3",
    ),
    "RULE_COLUMN_MISSING": (
        lambda d: (
            d["households"].__setitem__("Landless", ["yes", "no", "no"]),
            d.update(_options={"entitlements": {
                "entitlement": {"paddy_ha_per_labour_unit": 0.3},
                "priority_group": [{"name": "landless", "column": "landless",
                                    "shortfall_weight": 2}]}}),
        ),
        "error",
        r"priority group 'landless' by the column 'landless', which the households table does "
        r"not have; did you mean 'Landless'\?.*Fix: rename the column",
    ),
    "NODATA_UNDECLARED": (
        _dem(lambda a, t, n: (np.where(np.arange(a.shape[1]) < 2, -9999.0, a).astype("float32"),
                              t, None)),
        "error",
        r"declares no nodata value but holds the fill value\(s\) -9999 \(40 cells\).*"
        r"Fix: declare the nodata value: gdal_edit.py -a_nodata -9999",
    ),
    "NODATA_UNDECLARED-zeros": (
        _dem(lambda a, t, n: (np.where(np.arange(a.shape[0])[:, None] < 1, 0.0, a).astype("float32"),
                              t, None)),
        "error",
        r"0 along the raster's edge \(25 cells\).*gdal_edit.py -a_nodata 0",
    ),
    "DEM_RANGE": (
        _dem(lambda a, t, n: (a * 10, t, n)),
        "error",
        r"\d+ cells lie outside -10..3,000 m.*Fix: the DEM must hold metres",
    ),
}


def test_every_code_has_a_fault_test():
    tested = {k.split("-")[0] for k in FAULTS}
    # tested below
    untested_by_design = {
        "FILE_NOT_FOUND",
        "FILE_UNREADABLE",
        "CHECK_SKIPPED",
        "CHECK_FAILED",
        "LAYER_CHOSEN",
        "MAPPING_APPLIED",  # tests/test_check_messy.py
        "MAPPING_CONFLICT",  # tests/test_check_messy.py
    }
    assert set(CODES) - untested_by_design == tested


def test_clean_inputs_have_no_problems(tmp_path):
    paths = write(clean(), tmp_path)
    report = check_files(**paths)
    assert report.empty, report.to_string()
    result = CliRunner().invoke(
        cli, ["check", *[a for k, p in paths.items() for a in (f"--{k}", str(p))]]
    )
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "OK: 0 errors, 0 warnings" in result.output


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_reported_with_its_code_and_a_helpful_message(tmp_path, fault):
    code = fault.split("-")[0]
    mutate, severity, pattern = FAULTS[fault]
    d = clean()
    mutate(d)
    report = check_files(**write(d, tmp_path), **d.get("_options", {}))
    assert problems(report) == {code}, report.to_string()
    rows = report[report.code == code]
    assert set(rows.severity) == {severity}
    assert rows.message.str.contains(pattern, regex=True).any(), rows.message.tolist()
    assert list(report.columns) == ["severity", "code", "layer", "feature_id", "column", "value",
                                    "message", "fix", "fix_qgis"]
    assert rows.fix_qgis.str.len().gt(10).all() and rows.fix.notna().all(), rows.to_dict("records")


def test_feature_ids_and_layers_name_the_offending_feature(tmp_path):
    d = clean()
    _set("parcels", "land_type", 2, "swamp")(d)
    _set("households", "labour_units", 1, 8)(d)
    report = check_files(**write(d, tmp_path))
    got = set(zip(report.code, report.layer, report.feature_id, strict=True))
    assert ("LAND_TYPE_UNKNOWN", "parcels", "P2") in got
    assert ("LABOUR_GT_MEMBERS", "households", "H2") in got


def test_several_faults_are_all_reported_and_errors_come_first(tmp_path):
    d = clean()
    for code in (
        "PARCEL_OVERLAP",
        "LAND_TYPE_UNKNOWN",
        "LABOUR_GT_MEMBERS",
        "AREA_MISMATCH",
        "RASTER_NODATA_HOLES",
    ):
        FAULTS[code][0](d)
    report = check_files(**write(d, tmp_path))
    assert problems(report) == {
        "PARCEL_OVERLAP",
        "LAND_TYPE_UNKNOWN",
        "LABOUR_GT_MEMBERS",
        "AREA_MISMATCH",
        "RASTER_NODATA_HOLES",
    }
    sev = report.severity.tolist()
    assert sev == sorted(sev, key=["error", "warning", "info"].index)


# -- unreadable files ------------------------------------------------------------------
def _truncated_gpkg(folder: Path) -> Path:
    good = folder / "good.gpkg"
    clean()["parcels"].to_file(good)
    bad = folder / "parcels.gpkg"
    bad.write_bytes(good.read_bytes()[:3000])
    return bad


def _text_as_gpkg(folder: Path) -> Path:
    p = folder / "parcels.gpkg"
    p.write_text("parcel_id,village_id\nP1,V1\n")
    return p


def _png_as_tif(folder: Path) -> Path:
    p = folder / "dem.tif"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    return p


def _corrupt_tif(folder: Path) -> Path:
    arr, transform, nodata = clean()["dem"]
    good = io.write_raster(arr, folder / "good.tif", transform=transform, crs=UTM47, nodata=nodata)
    raw = bytearray(good.read_bytes())
    bad = folder / "dem.tif"
    bad.write_bytes(bytes(raw[:16]) + b"\xff" * (len(raw) - 16))
    return bad


def _empty_file(folder: Path) -> Path:
    p = folder / "households.csv"
    p.write_bytes(b"")
    return p


UNREADABLE = {
    "truncated-gpkg": (
        "parcels",
        _truncated_gpkg,
        "FILE_UNREADABLE",
        r"parcels.gpkg.*cannot read.*re-export",
    ),
    "text-as-gpkg": ("parcels", _text_as_gpkg, "FILE_UNREADABLE", r"parcels.gpkg.*cannot read"),
    "png-as-tif": (
        "dem",
        _png_as_tif,
        "FILE_UNREADABLE",
        r"dem.tif.*cannot read the raster.*GeoTIFF",
    ),
    "corrupt-tif": ("dem", _corrupt_tif, "FILE_UNREADABLE", r"dem.tif.*cannot read the raster"),
    "empty": (
        "households",
        _empty_file,
        "FILE_UNREADABLE",
        r"households.csv.*empty.*Fix: re-export",
    ),
    "missing": (
        "villages",
        lambda f: f / "nope.gpkg",
        "FILE_NOT_FOUND",
        r"nope.gpkg.*not found.*Fix: check the path",
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_files_become_one_error_row_and_skip_their_checks(tmp_path, case):
    layer, make, code, pattern = UNREADABLE[case]
    d = clean()
    d[layer] = make(tmp_path)
    report = check_files(**write(d, tmp_path / "ok"))
    rows = report[report.code == code]
    assert len(rows) == 1 and rows.layer.iloc[0] == layer and rows.severity.iloc[0] == "error"
    assert rows.message.str.contains(pattern, regex=True).all(), rows.message.tolist()
    assert problems(report) == {code}, report.to_string()
    skipped = report[(report.code == "CHECK_SKIPPED") & (report.layer == layer)]
    assert len(skipped) == 1 and skipped.severity.iloc[0] == "info"
    result = CliRunner().invoke(cli, ["check", f"--{layer}", str(d[layer])])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_missing_column_still_runs_the_other_checks(tmp_path):
    d = clean()
    d["parcels"] = d["parcels"].drop(columns="land_type").to_crs("EPSG:4326")
    report = check_files(parcels=write(d, tmp_path)["parcels"])
    assert {"COLUMN_MISSING", "CRS_GEOGRAPHIC"} <= problems(report)
    assert report.loc[report.code == "COLUMN_MISSING", "message"].str.contains("land_type").all()


def test_aliases_and_spellings_are_accepted(tmp_path):
    d = clean()
    d["parcels"] = d["parcels"].rename(
        columns={"parcel_id": "Plot_ID", "land_type": "LandType", "household_id": "hh_id"}
    )
    d["parcels"]["LandType"] = ["Rice", "paddy", "Swidden", "upland", "Orchard", "house"]
    d["households"] = d["households"].rename(
        columns={"members": "persons", "labour_units": "labour"}
    )
    report = check_files(**write(d, tmp_path))
    assert report.empty, report.to_string()


# -- check_inputs in memory and usage errors ------------------------------------------
def test_check_inputs_in_memory_matches_check_files(tmp_path):
    d = clean()
    FAULTS["PARCEL_OVERLAP"][0](d)
    from landuse.raster import Raster

    dem = Raster(d["dem"][0], d["dem"][1], UTM47, d["dem"][2])
    mem = check_inputs(
        villages=d["villages"], parcels=d["parcels"], households=d["households"], dem=dem
    )
    files = check_files(
        **{
            k: v
            for k, v in write(d, tmp_path).items()
            if k in ("villages", "parcels", "households", "dem")
        }
    )
    pd.testing.assert_frame_equal(mem, files)


def test_usage_errors_raise():
    with pytest.raises(SchemaError, match="nothing to check"):
        check_inputs()
    with pytest.raises(SchemaError, match="nothing to check"):
        check_files()
    with pytest.raises(SchemaError, match="slope_units='radians' is not a valid option"):
        check_inputs(households=clean()["households"], slope_units="radians")
    with pytest.raises(SchemaError, match="expected a GeoDataFrame, got list"):
        check_inputs(parcels=[1, 2])
    with pytest.raises(SchemaError, match=r"sliver_max_width_m=-1.0 must be"):
        check_inputs(households=clean()["households"], sliver_max_width_m=-1)


# -- CLI -------------------------------------------------------------------------------
def test_cli_json_and_table_output(tmp_path):
    d = clean()
    FAULTS["LABOUR_GT_MEMBERS"][0](d)
    FAULTS["SLIVER"][0](d)
    paths = write(d, tmp_path)
    args = [
        "check",
        "--parcels",
        str(paths["parcels"]),
        "--villages",
        str(paths["villages"]),
        "--households",
        str(paths["households"]),
    ]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    records = json.loads(result.output)
    assert {r["code"] for r in records} == {"LABOUR_GT_MEMBERS", "SLIVER"}
    assert all(set(r) == {"severity", "code", "layer", "feature_id", "column", "value", "message",
                          "fix", "fix_qgis"} for r in records)
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 1
    lines = table.output.splitlines()
    assert lines[0].startswith("Errors (1)") and "Warnings (1)" in lines
    assert "FAILED: 1 error, 1 warning (layers with problems: households, parcels)" in lines[-1]
    # warnings alone exit 0
    ok = CliRunner().invoke(
        cli, ["check", "--parcels", str(paths["parcels"]), "--villages", str(paths["villages"])]
    )
    assert ok.exit_code == 0 and "OK: 0 errors, 1 warning" in ok.output
    strict = CliRunner().invoke(
        cli,
        [
            "check",
            "--parcels",
            str(paths["parcels"]),
            "--villages",
            str(paths["villages"]),
            "--strict",
        ],
    )
    assert strict.exit_code == 1


def test_cli_max_gap_option(tmp_path):
    d = clean()
    FAULTS["GAP"][0](d)  # a 400 m2 hole
    paths = write(d, tmp_path)
    args = ["check", "--parcels", str(paths["parcels"]), "--villages", str(paths["villages"])]
    assert "GAP" in CliRunner().invoke(cli, [*args, "--format", "json"]).output
    small = CliRunner().invoke(cli, [*args, "--max-gap", "300", "--format", "json"])
    assert json.loads(small.output) == []


def test_cli_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    none = runner.invoke(cli, ["check"])
    assert none.exit_code == 2 and "give at least one input" in none.output
    bad = runner.invoke(cli, ["check", "--households", "x.csv", "--format", "xml"])
    assert bad.exit_code == 2 and "xml" in bad.output
    units = runner.invoke(cli, ["check", "--slope", "x.tif", "--slope-units", "radians"])
    assert units.exit_code == 2


def test_cli_slope_units_option(tmp_path):
    d = clean()
    FAULTS["SLOPE_LOOKS_PERCENT"][0](d)
    paths = write(d, tmp_path)
    deg = CliRunner().invoke(cli, ["check", "--slope", str(paths["slope"]), "--format", "json"])
    assert deg.exit_code == 1 and "SLOPE_LOOKS_PERCENT" in deg.output
    pct = CliRunner().invoke(
        cli, ["check", "--slope", str(paths["slope"]), "--slope-units", "percent"]
    )
    assert pct.exit_code == 0, pct.output


# -- the bundled demo ------------------------------------------------------------------
def test_demo_data_pass_the_check():
    from landuse import datasets

    paths = {
        k: datasets.get_path(k)
        for k in ("villages", "parcels", "households", "histories", "climate", "dem")
        if datasets.get_path(k).exists()
    }
    report = check_files(**paths)
    errors = report[report.severity == "error"]
    assert errors.empty, errors.head(20).to_string()
    result = CliRunner().invoke(cli, ["check", "--demo"])
    assert result.exit_code == 0, result.output[-3000:]


def test_a_check_that_crashes_becomes_a_row_not_a_traceback(tmp_path, monkeypatch):
    from landuse.check import topology

    def boom(*args, **kwargs):
        raise RuntimeError("TopologyException: side location conflict at 1 2")

    monkeypatch.setattr(topology, "gaps", boom)
    paths = write(clean(), tmp_path)
    report = check_files(**paths)
    rows = report[report.code == "CHECK_FAILED"]
    assert len(rows) == 1 and rows.severity.iloc[0] == "error" and rows.layer.iloc[0] == "parcels"
    assert rows.message.str.contains(
        r"gap and sliver check could not run.*RuntimeError: TopologyException.*Fix: repair"
    ).all()
    result = CliRunner().invoke(
        cli, ["check", "--parcels", str(paths["parcels"]), "--villages", str(paths["villages"])]
    )
    assert result.exit_code == 1 and "CHECK_FAILED" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.filterwarnings("ignore:Column names longer than 10 characters:UserWarning")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")
@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson", ".fgb"])
def test_check_files_reads_every_vector_format_and_xlsx(tmp_path, suffix):
    d = clean()
    d["parcels"].attrs["suffix"] = suffix
    d["villages"].attrs["suffix"] = suffix
    paths = write(d, tmp_path)
    xlsx = tmp_path / "households.xlsx"
    d["households"].to_excel(xlsx, index=False)
    paths["households"] = xlsx
    report = check_files(**paths)
    assert report.empty, report.to_string()
    FAULTS["LABOUR_GT_MEMBERS"][0](d)
    d["households"].to_excel(tmp_path / "bad.xlsx", index=False)
    report = check_files(**{**paths, "households": tmp_path / "bad.xlsx"})
    assert problems(report) == {"LABOUR_GT_MEMBERS"}


def _dem_in_utm48(margin_m: float):
    """The clean DEM's values on a grid in UTM 48N around the village, with *margin_m*."""
    v = clean()["villages"].to_crs("EPSG:32648")
    x0, y0, x1, y1 = v.total_bounds
    transform = Affine(CELL, 0, x0 - margin_m, 0, -CELL, y1 + margin_m)
    rows = int(np.ceil((y1 - y0 + 2 * margin_m) / CELL))
    cols = int(np.ceil((x1 - x0 + 2 * margin_m) / CELL))
    return np.full((rows, cols), 650.0, dtype="float32"), transform, -9999.0, "EPSG:32648"


@pytest.mark.parametrize(
    ("margin_m", "expected"),
    [(60.0, {"CRS_MISMATCH"}), (-60.0, {"CRS_MISMATCH", "RASTER_NOT_COVERING"})],
)
def test_coverage_is_checked_across_a_crs_mismatch(tmp_path, margin_m, expected):
    d = clean()
    d["slope"] = None
    d["dem"] = _dem_in_utm48(margin_m)
    report = check_files(**write(d, tmp_path))
    assert problems(report) == expected, report.to_string()


def test_one_geopackage_with_several_layers(tmp_path):
    d = clean()
    gpkg = tmp_path / "inputs.gpkg"
    d["villages"].to_file(gpkg, layer="villages")
    d["parcels"].to_file(gpkg, layer="parcels")
    d["parcels"].to_file(gpkg, layer="plots_2019")
    assert check_files(villages=gpkg, parcels=gpkg).empty
    report = check_files(villages=gpkg, parcels=f"{gpkg}:plots_2019")
    assert report.empty, report.to_string()
    other = tmp_path / "other.gpkg"
    d["parcels"].to_file(other, layer="plots_2019")
    d["parcels"].to_file(other, layer="plots_2020")
    report = check_files(villages=gpkg, parcels=other)
    rows = report[report.code == "LAYER_CHOSEN"]
    assert rows.severity.tolist() == ["info"]
    assert rows.message.str.contains(
        r"other.gpkg holds 2 layers.*'plots_2019', was read as parcels.*Fix: name"
    ).all()
    missing = check_files(parcels=f"{gpkg}:nope")
    assert "FILE_UNREADABLE" in set(missing.code), missing.to_string()


def test_cli_checks_the_columns_of_an_entitlement_rule_file(tmp_path):
    d = clean()
    d["households"]["Landless"] = ["yes", "no", "no"]
    paths = write(d, tmp_path)
    rules = tmp_path / "rules.toml"
    rules.write_text("[entitlement]\npaddy_ha_per_labour_unit = 0.3\n[[priority_group]]\n"
                     "name = 'landless'\ncolumn = 'landless'\nshortfall_weight = 2\n")
    args = ["check", "--households", str(paths["households"]), "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--entitlements", str(rules)])
    assert result.exit_code == 1, result.output
    rows = json.loads(result.output)
    assert [(r["code"], r["severity"]) for r in rows] == [("RULE_COLUMN_MISSING", "error")]
    assert "did you mean 'Landless'?" in rows[0]["message"]
    # the bundled rules name 'landless' too: the close name is an error without --entitlements
    assert CliRunner().invoke(cli, args).exit_code == 1
    d["households"] = d["households"].drop(columns="Landless")
    paths = write(d, tmp_path / "plain")
    plain = ["check", "--households", str(paths["households"])]
    assert CliRunner().invoke(cli, plain).exit_code == 0
    assert CliRunner().invoke(cli, [*plain, "--entitlements", str(rules)]).exit_code == 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09._-/ \n\tບCONUXLPT1")), max_size=8))
def test_quick_safe_id_test_never_passes_an_unsafe_id(text):
    from landuse._validate.ids import unsafe_reason
    from landuse.check._base import _plainly_safe

    if _plainly_safe(text):
        assert unsafe_reason(text) is None
    for reserved in ("CON", "con.txt", "LPT1", "nul.a.b"):
        assert not _plainly_safe(reserved)
    assert _plainly_safe("0401015-P00012") and not _plainly_safe("a..b") and not _plainly_safe("a\n")


def test_unsafe_ids_are_reported_once_in_order_of_appearance():
    hist = pd.DataFrame({"plot_id": ["P1", "a/b", "P1", "CON", "a/b", None], "year": [2000] * 6,
                         "status": ["cultivated"] * 6})
    found = check_inputs(histories=hist)
    rows = found[found["code"] == "ID_UNSAFE"]
    assert rows["feature_id"].tolist() == ["a/b", "CON"]
