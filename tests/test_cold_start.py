"""Cold start: what each command imports, and the numpy slope path against the numba kernel.

The timing itself is in ``benchmarks/bench_terrain.py`` (no timing asserts here); these
tests pin the causes: ``landuse --help`` imports no numeric library, ``landuse slope``
neither pandas nor numba nor pyproj, and the numpy Horn path gives the kernel's numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
from affine import Affine
from conftest import UTM47
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landuse.terrain import relief as terrain
from landuse.terrain._horn import horn_slope_rows

HEAVY = ("numpy", "pandas", "geopandas", "shapely", "numba", "pyproj", "rasterio", "scipy",
         "matplotlib", "folium")


def _modules_after(code: str) -> set[str]:
    """Top-level packages imported by *code* run in a fresh interpreter."""
    probe = (code + "\nimport json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return set(json.loads(res.stdout.strip().splitlines()[-1]))


def _cli(args: list[str]) -> str:
    return (f"import sys\nsys.argv = ['landuse', *{args!r}]\nfrom landuse.cli.main import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n")


def test_help_and_version_import_no_numeric_library():
    for args in (["--help"], ["--version"], ["slope", "--help"], ["run", "--help"]):
        loaded = _modules_after(_cli(args))
        assert not loaded & set(HEAVY), (args, sorted(loaded & set(HEAVY)))
        assert "importlib" in loaded  # the probe itself works
    # --version still tells the installed version
    res = subprocess.run([sys.executable, "-m", "landuse.cli.main", "--version"],
                         capture_output=True, text=True, check=True)
    import landuse

    assert res.stdout.strip() == f"landuse, version {landuse.__version__}"


def test_slope_command_imports_only_numpy_and_rasterio(tmp_path):
    z = np.add.outer(np.arange(30.0) * -20.0, np.arange(40.0) * 5.0).astype("float32")
    dem = tmp_path / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", height=30, width=40, count=1, dtype="float32",
                       crs="EPSG:32647", transform=Affine(20, 0, 500000, 0, -20, 2300000)) as ds:
        ds.write(z, 1)
    out = tmp_path / "slope.tif"
    loaded = _modules_after(_cli(["slope", str(dem), str(out)]))
    assert {"numpy", "rasterio"} <= loaded
    assert not loaded & {"pandas", "geopandas", "shapely", "numba", "pyproj", "scipy"}, \
        sorted(loaded & set(HEAVY))
    with rasterio.open(out) as ds:
        got = ds.read(1)
    # falls 20 m per 20 m row southwards, rises 5 m per 20 m column eastwards
    expected = np.degrees(np.arctan(np.hypot(1.0, 0.25)))
    np.testing.assert_allclose(got[1:-1, 1:-1], expected, rtol=1e-6)
    assert np.isnan(got[0]).all() and np.isnan(got[:, -1]).all()


def test_kernels_compile_on_first_call_and_replace_the_stand_ins():
    code = ("import sys\nfrom landuse.terrain import relief as terrain\n"
            "assert 'numba' not in sys.modules\n"
            "import numpy as np\nfrom affine import Affine\n"
            "z = np.add.outer(np.arange(5.0) * -20.0, np.zeros(5))\n"
            "a = terrain.aspect((z, Affine(20, 0, 0, 0, -20, 0), 'EPSG:32647')).data\n"
            "assert a[2, 2] == 180.0, a[2, 2]\n"
            "import numba\n"
            "assert terrain.numba is numba\n"
            "assert type(terrain._horn_kernel).__name__ == 'CPUDispatcher'\n"
            "assert type(terrain._horn_cell).__name__ == 'CPUDispatcher'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_module_imports_on_first_attribute():
    code = ("import sys\nfrom landuse._validate.lazy import lazy_module\n"
            "m = lazy_module('fractions')\nassert 'fractions' not in sys.modules\n"
            "assert m.Fraction(1, 3) + m.Fraction(1, 6) == m.Fraction(1, 2)\n"
            "assert 'fractions' in sys.modules\n"
            "assert m.Fraction is sys.modules['fractions'].Fraction\n"
            "assert lazy_module('fractions') is sys.modules['fractions']\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the numpy Horn path gives the kernel's numbers ------------------------------------
def _kernel(z, row0, row1, ew, ns, mode):
    terrain._run(z[:3, :3].copy(), 0, 1, ew[:3], ns[:3], 2, False, (np.nan, 0, 0, 0))  # compile
    out = np.empty((row1 - row0, z.shape[1]), np.float32)
    terrain._horn_kernel(z, out, row0, row1, ew, ns, mode, False, np.nan, 0.0, 0.0, 0.0)
    return out


def _same(a, b) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@settings(max_examples=60, deadline=None)
@given(z=arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 40)),
                elements=st.floats(-500, 3000, width=32) | st.just(np.nan)),
       cell=st.floats(0.5, 100), percent=st.booleans(), data=st.data())
def test_numpy_path_equals_numba_kernel(z, cell, percent, data):
    nr = z.shape[0]
    ew = np.linspace(cell, cell * 1.3, nr)  # per-row cell sizes, as on a geographic DEM
    ns = np.full(nr, cell * 0.9)
    row0 = data.draw(st.integers(0, nr))
    row1 = data.draw(st.integers(row0, nr))
    got = horn_slope_rows(z, np.empty((row1 - row0, z.shape[1]), np.float32), row0, row1,
                          ew, ns, percent=percent)
    want = _kernel(z, row0, row1, ew, ns, 1 if percent else 0)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_max_ulp(got[~np.isnan(got)], want[~np.isnan(want)], maxulp=1)


def test_numpy_path_is_bit_identical_on_a_rough_dem():
    rng = np.random.default_rng(7)
    from scipy.ndimage import gaussian_filter

    z = (gaussian_filter(rng.normal(size=(300, 257)), 4) * 4000 + 900).astype(np.float32)
    z[100:104, 30:37] = np.nan
    z[200, 200] = np.nan  # a lone nodata cell: its slope is nodata, its neighbours' too
    ew = np.full(300, 30.0)
    for mode in (0, 1):
        got = terrain._run(z, 0, 300, ew, ew, mode, False, (np.nan, 0, 0, 0))
        assert _same(got, _kernel(z, 0, 300, ew, ew, mode))
    assert np.isnan(got[200, 200]) and np.isnan(got[199, 199]) and np.isfinite(got[197, 197])


@pytest.mark.parametrize("shape", [(1, 1), (2, 5), (5, 2), (3, 3)])
def test_tiny_grids_are_all_nodata_but_the_centre(shape):
    z = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) * 7.0
    r = terrain.slope((z, Affine(20, 0, 0, 0, -20, 0), UTM47))
    finite = np.isfinite(r.data)
    assert finite.sum() == (1 if shape == (3, 3) else 0)
