"""Tests of landuse.irrigation.canal: Manning oracles, normal-depth inversion, best section, design checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landuse.irrigation import canal
from landuse.errors import IrrigationError, SchemaError

FT = 0.3048


def test_lindeburg_flume_us_units():
    """Lindeburg PE practice problem (asserted in pyflo): rectangle b 2 ft, n 0.012, S 0.01,
    Q 3 cfs -> 0.314 ft.

    US Manning uses k = 1.49 with feet; in SI the same equation is
    Q = (1.49 c^(1/3) / n) A R^(2/3) S^(1/2)
    with c = 0.3048 m/ft, i.e. an SI roughness n / (1.49 c^(1/3)).
    """
    n_si = 0.012 / (1.49 * FT ** (1 / 3))
    y = canal.manning_normal_depth_m(
        q_m3_s=3 * FT**3, bed_width_m=2 * FT, side_slope=0.0, n=n_si, bed_slope=0.01
    )
    assert y / FT == pytest.approx(0.314, abs=5e-4)
    assert y / FT == pytest.approx(0.3138, abs=2e-4)


def test_forward_rectangle_si():
    q = canal.manning_flow_m3_s(
        depth_m=0.5, bed_width_m=1.0, side_slope=0.0, n=0.015, bed_slope=0.001
    )
    assert q == pytest.approx(0.41832, abs=1e-5)
    g = canal.section_geometry(depth_m=0.5, bed_width_m=1.0, side_slope=0.0)
    assert g["hydraulic_radius_m"] == pytest.approx(0.25)


def test_forward_trapezoid_si():
    g = canal.section_geometry(depth_m=0.5, bed_width_m=1.0, side_slope=1.0)
    assert g["area_m2"] == pytest.approx(0.750)
    assert g["wetted_perimeter_m"] == pytest.approx(2.41421, abs=1e-5)
    assert g["hydraulic_radius_m"] == pytest.approx(0.31066, abs=1e-5)
    assert g["top_width_m"] == pytest.approx(2.0)
    q = canal.manning_flow_m3_s(
        depth_m=0.5, bed_width_m=1.0, side_slope=1.0, n=0.025, bed_slope=0.0005
    )
    assert q == pytest.approx(0.30770, abs=1e-5)


@pytest.mark.parametrize(
    "q, b, z, n, s, yn, v",
    [
        (0.032, 0.30, 1.0, 0.025, 0.001, 0.2069, 0.305),  # reference main canal
        (0.032, 0.30, 1.0, 0.018, 0.001, 0.1738, 0.389),
        (0.032, 0.30, 0.0, 0.015, 0.002, 0.1875, 0.569),  # rectangular masonry
        (126.0, 6.1, 1.5, 0.013, 0.0008, 3.2864, None),  # rivr documentation inputs
    ],
)
def test_normal_depth_oracles(q, b, z, n, s, yn, v):
    y = canal.manning_normal_depth_m(q_m3_s=q, bed_width_m=b, side_slope=z, n=n, bed_slope=s)
    assert y == pytest.approx(yn, abs=1e-4)
    if v is not None:
        vel = canal.manning_velocity_m_s(depth_m=y, bed_width_m=b, side_slope=z, n=n, bed_slope=s)
        assert vel == pytest.approx(v, abs=1e-3)
        assert vel == pytest.approx(
            q / canal.section_geometry(depth_m=y, bed_width_m=b, side_slope=z)["area_m2"]
        )


@settings(max_examples=200, deadline=None)
@given(
    y=st.floats(0.01, 5.0),
    b=st.floats(0.0, 10.0),
    z=st.floats(0.0, 3.0),
    n=st.floats(0.01, 0.05),
    s=st.floats(1e-5, 0.05),
)
def test_normal_depth_inverts_flow(y, b, z, n, s):
    if b < 1e-3 and z < 1e-3:  # degenerate (no area): rejected, see test_bad_section_inputs
        b = 0.1
    q = canal.manning_flow_m3_s(depth_m=y, bed_width_m=b, side_slope=z, n=n, bed_slope=s)
    y2 = canal.manning_normal_depth_m(q_m3_s=q, bed_width_m=b, side_slope=z, n=n, bed_slope=s)
    assert abs(y2 - y) <= 1e-9


@pytest.mark.parametrize("kind", ["scalar", "ndarray", "series"])
def test_kinds(kind):
    def k(v):
        if kind == "scalar":
            return v
        if kind == "ndarray":
            return np.array([v, v])
        return pd.Series([v, v], index=["c1", "c2"])

    q = canal.manning_flow_m3_s(
        depth_m=k(0.5), bed_width_m=k(1.0), side_slope=k(1.0), n=0.025, bed_slope=0.0005
    )
    y = canal.manning_normal_depth_m(
        q_m3_s=q, bed_width_m=1.0, side_slope=1.0, n=0.025, bed_slope=0.0005
    )
    if kind == "scalar":
        assert isinstance(q, float) and isinstance(y, float)
        assert y == pytest.approx(0.5, abs=1e-9)
    elif kind == "ndarray":
        assert isinstance(q, np.ndarray) and isinstance(y, np.ndarray) and y.shape == (2,)
        np.testing.assert_allclose(y, 0.5, atol=1e-9)
    else:
        assert (
            isinstance(q, pd.Series) and isinstance(y, pd.Series) and list(y.index) == ["c1", "c2"]
        )
        np.testing.assert_allclose(y.to_numpy(), 0.5, atol=1e-9)


def test_zero_flow_zero_depth():
    assert (
        canal.manning_normal_depth_m(
            q_m3_s=0.0, bed_width_m=0.3, side_slope=1.0, n=0.025, bed_slope=0.001
        )
        == 0.0
    )


@pytest.mark.parametrize("z", [0.0, 0.5, 1.0, 1.5, 2.0])
def test_best_hydraulic_section(z):
    s = canal.best_hydraulic_section(q_m3_s=0.05, side_slope=z, n=0.025, bed_slope=0.001)
    y, b = s["depth_m"], s["bed_width_m"]
    assert b == pytest.approx(2 * y * (math.sqrt(1 + z * z) - z))
    g = canal.section_geometry(depth_m=y, bed_width_m=b, side_slope=z)
    assert g["hydraulic_radius_m"] == pytest.approx(y / 2)
    assert canal.manning_flow_m3_s(
        depth_m=y, bed_width_m=b, side_slope=z, n=0.025, bed_slope=0.001
    ) == pytest.approx(0.05, rel=1e-12)
    # least wetted perimeter among sections of other widths carrying the same flow
    per_best = g["wetted_perimeter_m"]
    for f in (0.5, 0.8, 1.25, 2.0):
        b2 = max(b * f, 0.05)
        y2 = canal.manning_normal_depth_m(
            q_m3_s=0.05, bed_width_m=b2, side_slope=z, n=0.025, bed_slope=0.001
        )
        assert (
            canal.section_geometry(depth_m=y2, bed_width_m=b2, side_slope=z)["wetted_perimeter_m"]
            >= per_best
        )
    if z == 1.0:
        assert b / y == pytest.approx(0.828, abs=1e-3)


def test_froude():
    v = canal.manning_velocity_m_s(
        depth_m=0.5, bed_width_m=1.0, side_slope=0.0, n=0.015, bed_slope=0.001
    )
    assert canal.froude_number(
        depth_m=0.5, bed_width_m=1.0, side_slope=0.0, velocity_m_s=v
    ) == pytest.approx(v / math.sqrt(9.80665 * 0.5))


def test_freeboard():
    assert canal.freeboard_m(0.2, q_m3_s=0.032) == pytest.approx(
        0.30
    )  # USBR 0.30 m -> kept at max 0.30
    assert canal.freeboard_m(0.02, q_m3_s=0.005) == pytest.approx(0.10)  # minimum
    # USBR C = 2.5 at >= 85 m3/s: F = sqrt(2.5 y[ft]) ft
    assert canal.freeboard_m(3.0, q_m3_s=100.0) == pytest.approx(math.sqrt(2.5 * 3.0 / FT) * FT)
    assert canal.freeboard_m(1.0, q_m3_s=0.5663) == pytest.approx(
        math.sqrt(1.5 * 1.0 / FT) * FT, rel=1e-6
    )


def test_design_canal_ok_and_choice():
    d = canal.design_canal(
        q_m3_s=0.032, n=0.018, bed_slope=0.001, side_slope=1.0, soil="clay loam"
    )
    assert d.ok and d.issues == ()
    assert d.min_velocity_m_s <= d.velocity_m_s <= d.max_velocity_m_s
    assert d.froude <= 0.8
    # the chosen width is on the 5 cm grid and the depth is Manning's normal depth
    assert round(d.bed_width_m / 0.05, 9) == round(d.bed_width_m / 0.05)
    assert d.depth_m == pytest.approx(
        canal.manning_normal_depth_m(
            q_m3_s=0.032, bed_width_m=d.bed_width_m, side_slope=1.0, n=0.018, bed_slope=0.001
        ),
        abs=1e-12,
    )
    assert d.total_depth_m == pytest.approx(d.depth_m + d.freeboard_m)
    # least area among feasible widths: the next wider width has more area (or fails)
    y2 = canal.manning_normal_depth_m(
        q_m3_s=0.032, bed_width_m=d.bed_width_m + 0.05, side_slope=1.0, n=0.018, bed_slope=0.001
    )
    assert (d.bed_width_m + 0.05 + y2) * y2 > (d.bed_width_m + d.depth_m) * d.depth_m
    assert d.to_dict()["issues"] == ""


def test_design_canal_default_side_slope_from_soil():
    d = canal.design_canal(q_m3_s=0.05, n=0.025, bed_slope=0.0005, soil="sand")
    assert d.side_slope == canal.SOIL_CANAL_LIMITS["sand"][2]


def test_design_canal_too_fast_is_flagged_or_raises():
    d = canal.design_canal(q_m3_s=0.05, n=0.018, bed_slope=0.05, soil="sand")
    assert not d.ok
    assert "non-scouring" in d.issues[0] and "drop structures" in d.issues[0]
    with pytest.raises(
        IrrigationError, match=r"no canal section carries 0\.05 m³/s within the limits"
    ):
        canal.design_canal(q_m3_s=0.05, n=0.018, bed_slope=0.05, soil="sand", strict=True)


def test_design_canal_too_slow_is_flagged():
    d = canal.design_canal(q_m3_s=0.005, n=0.03, bed_slope=0.0002, soil="clay")
    assert not d.ok and "non-silting" in d.issues[0]
    assert d.bed_width_m == pytest.approx(0.20)  # narrowest width is the closest to the limit


def test_design_canal_lined_allows_fast_flow():
    d = canal.design_canal(q_m3_s=0.05, n=0.015, bed_slope=0.01, soil="lined", side_slope=0.0)
    assert d.ok and d.velocity_m_s > 0.9


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"depth_m": -0.1}, IrrigationError, "depth_m = -0.1"),
        ({"n": 0.0}, IrrigationError, "n = 0.0 must be a finite number > 0"),
        ({"bed_slope": -0.001}, IrrigationError, "bed_slope"),
        ({"bed_width_m": -1.0}, IrrigationError, "bed_width_m"),
        ({"side_slope": float("nan")}, IrrigationError, "side_slope"),
        ({"bed_width_m": 0.0, "side_slope": 0.0}, IrrigationError, "no area"),
    ],
)
def test_bad_section_inputs(kwargs, err, match):
    base = {"depth_m": 0.5, "bed_width_m": 1.0, "side_slope": 1.0, "n": 0.025, "bed_slope": 0.001}
    base.update(kwargs)
    with pytest.raises(err, match=match):
        canal.manning_flow_m3_s(**base)


def test_bad_design_inputs():
    with pytest.raises(IrrigationError, match="discharge cannot be negative"):
        canal.manning_normal_depth_m(
            q_m3_s=-1.0, bed_width_m=1.0, side_slope=1.0, n=0.025, bed_slope=0.001
        )
    with pytest.raises(IrrigationError, match="design discharge must be positive"):
        canal.design_canal(q_m3_s=0.0, n=0.025, bed_slope=0.001)
    with pytest.raises(SchemaError, match="soil='peat' is not a valid option"):
        canal.design_canal(q_m3_s=0.03, n=0.025, bed_slope=0.001, soil="peat")
    with pytest.raises(IrrigationError, match="not below the maximum"):
        canal.design_canal(
            q_m3_s=0.03, n=0.025, bed_slope=0.001, min_velocity_m_s=1.0, max_velocity_m_s=0.5
        )


@settings(max_examples=60, deadline=None)
@given(
    q=st.floats(0.005, 0.5),
    n=st.floats(0.012, 0.035),
    s=st.floats(1e-4, 0.02),
    soil=st.sampled_from(sorted(canal.SOIL_CANAL_LIMITS)),
)
def test_design_canal_invariants(q, n, s, soil):
    d = canal.design_canal(q_m3_s=q, n=n, bed_slope=s, soil=soil)
    assert np.isfinite([d.depth_m, d.velocity_m_s, d.froude, d.freeboard_m]).all()
    assert canal.manning_flow_m3_s(
        depth_m=d.depth_m, bed_width_m=d.bed_width_m, side_slope=d.side_slope, n=n, bed_slope=s
    ) == pytest.approx(q, rel=1e-9)
    assert 0.10 <= d.freeboard_m
    if d.ok:
        assert d.min_velocity_m_s <= d.velocity_m_s <= d.max_velocity_m_s and d.froude <= 0.8
        # no admissible width on the grid has a smaller flow area
        widths = np.round(0.20 + 0.05 * np.arange(57), 6)
        y = canal.manning_normal_depth_m(
            q_m3_s=np.full(widths.shape, q), bed_width_m=widths, side_slope=d.side_slope, n=n,
            bed_slope=s,
        )  # fmt: skip
        area = (widths + d.side_slope * y) * y
        v = q / area
        fr = v / np.sqrt(9.80665 * area / (widths + 2 * d.side_slope * y))
        ok = (v >= d.min_velocity_m_s) & (v <= d.max_velocity_m_s) & (fr <= 0.8)
        chosen = (d.bed_width_m + d.side_slope * d.depth_m) * d.depth_m
        assert area[ok].min() == pytest.approx(chosen)
    else:
        assert d.issues
