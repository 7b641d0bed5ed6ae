"""Shared fixtures: hand-computable layers in UTM 47N (EPSG:32647).

The canonical parcel is a 100 m x 100 m square: exactly 1 ha.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from hypothesis import settings
from shapely.geometry import box

# Property tests draw the same examples on every run ("ci", the default: a run that passed
# passes again, and CI fails only on a change). LANDUSE_HYPOTHESIS=explore draws new random
# examples each run: how the defects the properties have found were found; a failing one
# is then kept as an @example.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("LANDUSE_HYPOTHESIS", "ci"))

UTM47 = "EPSG:32647"
X0, Y0 = 500_000.0, 2_290_000.0

#: scripts run by QGIS's own (system) Python in a subprocess, not test modules
collect_ignore = ["qgis"]


def square(ix: int, iy: int, size: float = 100.0):
    """The square of *size* metres at grid position (ix, iy) from (X0, Y0)."""
    return box(X0 + ix * size, Y0 + iy * size, X0 + (ix + 1) * size, Y0 + (iy + 1) * size)


@pytest.fixture
def one_ha_parcels() -> gpd.GeoDataFrame:
    """A 3 x 2 block of 1-ha parcels in one village ('V1')."""
    geoms = [square(i, j) for j in range(2) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k}" for k in range(6)],
            "village_id": "V1",
            "land_type": ["paddy", "paddy", "upland", "upland", "permanent", "upland"],
            "household_id": [None] * 6,
        },
        geometry=geoms,
        crs=UTM47,
    )


@pytest.fixture
def one_village() -> gpd.GeoDataFrame:
    """A 300 m x 200 m village (6 ha) covering the parcels exactly."""
    return gpd.GeoDataFrame(
        {"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"]},
        geometry=[box(X0, Y0, X0 + 300, Y0 + 200)],
        crs=UTM47,
    )


def tilted_plane(rows: int = 50, cols: int = 60, cell: float = 20.0, gx: float = 0.1, gy: float = 0.05):
    """A DEM z = gx*x + gy*y (north-up); returns (array, transform)."""
    transform = Affine(cell, 0, X0, 0, -cell, Y0 + rows * cell)
    xs = X0 + (np.arange(cols) + 0.5) * cell
    ys = Y0 + rows * cell - (np.arange(rows) + 0.5) * cell
    xx, yy = np.meshgrid(xs, ys)
    z = 500.0 + gx * (xx - X0) + gy * (yy - Y0)
    return z, transform


@pytest.fixture
def plane_dem():
    return tilted_plane()


@pytest.fixture
def shared_data() -> Path:
    """The read-only shared real data folder (skips when it is not beside the repo)."""
    import os

    here = Path(__file__).resolve().parents[1]
    env = [Path(os.environ["LANDUSE_SHARED_DATA"])] if os.environ.get("LANDUSE_SHARED_DATA") else []
    for cand in (*env, here.parent / "shared" / "data", here / "shared" / "data"):
        if cand.exists():
            return cand
    pytest.skip("shared/data is not beside this checkout")


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


@pytest.fixture(autouse=True)
def _progress_lines_off_after_each_test():
    """The logging state a CLI test leaves is undone after it.

    A CLI test turns the progress lines on (``landuse.show_progress``): the logger then
    stops propagating, and pytest attaches its capture handlers to such loggers at the next
    test's start, which would then see every progress record twice. Off after every test."""
    import logging

    level = logging.getLogger("landuse").level
    yield
    import landuse

    landuse.show_progress(False)
    # a CLI test sets the "landuse" logger's level for the whole process (``--quiet``: ERROR;
    # right for one command, not for the tests after it in the same pytest worker, whose
    # WARNING records would then be dropped before any handler sees them)
    logging.getLogger("landuse").setLevel(level)
