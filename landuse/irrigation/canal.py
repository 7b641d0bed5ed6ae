r"""Open-channel sizing of small irrigation canals with Manning's equation.

Trapezoidal sections (bed width *b*, depth *y*, side slope *z* horizontal : 1
vertical; ``side_slope=0`` is a rectangle):

.. math::

    A = (b + z y) y, \quad P = b + 2 y \sqrt{1 + z^2}, \quad R = A / P, \quad T = b + 2 z y,
    \quad Q = \frac{1}{n} A R^{2/3} S^{1/2}

:func:`manning_flow_m3_s` is the forward equation, :func:`manning_normal_depth_m`
inverts it (bracketing and bisection, then Newton steps: it returns the depth that
reproduces the flow to machine precision), :func:`best_hydraulic_section` gives the
section of least wetted perimeter and :func:`design_canal` proposes bed width,
depth and freeboard and checks the velocity against the soil's non-silting and
non-scouring limits and the Froude number.

References
----------
.. [1] V. T. Chow, *Open-channel hydraulics*, McGraw-Hill, New York, 1959 (ch. 5-7;
   Table 5-6 roughness coefficients).
.. [2] FAO, *Canals*, Irrigation Water Management Training Manual 7, Rome, 1992
   (side slopes, velocities, freeboard of small canals).
.. [3] US Bureau of Reclamation, *Linings for irrigation canals*, Denver, 1952
   (freeboard :math:`F = \sqrt{C y}`).

Examples
--------
>>> q = manning_flow_m3_s(depth_m=0.5, bed_width_m=1.0, side_slope=1.0, n=0.025, bed_slope=0.0005)
>>> round(q, 5)
0.3077
>>> y = manning_normal_depth_m(q_m3_s=0.032, bed_width_m=0.30, side_slope=1.0, n=0.025,
...                            bed_slope=0.001)
>>> round(y, 4)
0.2069
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from landuse._validate.numeric import as_float_array as _a
from landuse._validate.numeric import like_inputs as _like
from landuse._validate import check_lower_bound as _check
from landuse._validate import check_option
from landuse.errors import IrrigationError

__all__ = [
    "MANNING_N",
    "SOIL_CANAL_LIMITS",
    "CanalDesign",
    "best_hydraulic_section",
    "design_canal",
    "freeboard_m",
    "froude_number",
    "manning_flow_m3_s",
    "manning_normal_depth_m",
    "manning_velocity_m_s",
    "section_geometry",
]

G_M_S2 = 9.80665

#: Manning's n (minimum, normal, maximum) for channel types, Chow (1959) Table 5-6. [s m⁻¹ᐟ³]
MANNING_N: dict[str, tuple[float, float, float]] = {
    "earth, straight, clean, new": (0.016, 0.018, 0.020),
    "earth, clean, weathered": (0.018, 0.022, 0.025),
    "earth, short grass, few weeds": (0.022, 0.027, 0.033),
    "earth, winding, grass and weeds": (0.025, 0.030, 0.033),
    "concrete, trowel finish": (0.011, 0.013, 0.015),
    "concrete, float finish": (0.013, 0.015, 0.016),
    "concrete, unfinished": (0.014, 0.017, 0.020),
    "cemented rubble masonry": (0.017, 0.025, 0.030),
    "dry rubble": (0.023, 0.032, 0.035),
}

#: Velocity limits and side slopes of earth canals by soil:
#: (non-silting minimum [m s⁻¹], non-scouring maximum [m s⁻¹], side slope [H:V]).
#: Maximum velocities: upper ends of the ranges of the GIRDC (2015) design training
#: material, consistent with FAO Training Manual 7 (sand 0.3-0.7, sandy loam 0.5-0.7,
#: clay loam 0.6-0.9, clay 0.9-1.5, gravel 0.9-1.5, rock 1.2-1.8 m s⁻¹). The 0.3 m s⁻¹
#: minimum and the side slopes (FAO TM7) are *defaults, configurable — not confirmed by
#: a primary text*. Lined canals ("lined") are limited by the lining, not the soil.
SOIL_CANAL_LIMITS: dict[str, tuple[float, float, float]] = {
    "sand": (0.3, 0.7, 3.0),
    "sandy loam": (0.3, 0.7, 2.0),
    "loam": (0.3, 0.8, 1.5),
    "clay loam": (0.3, 0.9, 1.5),
    "clay": (0.3, 1.5, 1.0),
    "gravel": (0.3, 1.5, 1.5),
    "rock": (0.3, 1.8, 0.5),
    "lined": (0.3, 2.5, 0.0),
}


def _check_section(
    bed_width_m: Any, side_slope: Any, n: Any = None, bed_slope: Any = None
) -> None:
    _check("bed_width_m", bed_width_m, 0.0, strict=False)
    _check(
        "side_slope",
        side_slope,
        0.0,
        strict=False,
        hint="side slope is horizontal:vertical, 0 for a rectangle",
    )
    if n is not None:
        _check(
            "n",
            n,
            0.0,
            hint="Manning's n of earth canals is 0.016-0.035 (landuse.irrigation.canal.MANNING_N)",
        )
    if bed_slope is not None:
        _check(
            "bed_slope",
            bed_slope,
            0.0,
            hint="the bed slope is a positive fraction, e.g. 0.001 (1 m per km)",
        )
    b, z = np.broadcast_arrays(np.atleast_1d(_a(bed_width_m)), np.atleast_1d(_a(side_slope)))
    if ((b < 1e-3) & (z < 1e-3)).any():
        raise IrrigationError(
            "a section with (almost) zero bed width and vertical sides has no area",
            column="bed_width_m",
            hint="give a bed width of at least 1 mm or a side slope",
        )


def section_geometry(*, depth_m: Any, bed_width_m: Any, side_slope: Any) -> dict[str, Any]:
    r"""Flow area, wetted perimeter, hydraulic radius and top width of a trapezoid.

    .. math:: A = (b + z y) y, \quad P = b + 2 y \sqrt{1 + z^2}, \quad R = A/P, \quad T = b + 2 z y

    Parameters
    ----------
    depth_m : numeric
        Flow depth y. [m]
    bed_width_m : numeric
        Bed width b. [m]
    side_slope : numeric
        Side slope z, horizontal per unit vertical (0: rectangle). [-]

    Returns
    -------
    dict
        ``area_m2``, ``wetted_perimeter_m``, ``hydraulic_radius_m``, ``top_width_m``.

    Examples
    --------
    >>> g = section_geometry(depth_m=0.5, bed_width_m=1.0, side_slope=1.0)
    >>> [round(g[k], 5) for k in ("area_m2", "wetted_perimeter_m", "hydraulic_radius_m")]
    [0.75, 2.41421, 0.31066]
    """
    _check_section(bed_width_m, side_slope)
    _check("depth_m", depth_m, 0.0, strict=False)
    y, b, z = _a(depth_m), _a(bed_width_m), _a(side_slope)
    area = (b + z * y) * y
    perim = b + 2.0 * y * np.sqrt(1.0 + z * z)
    radius = np.divide(area, perim, out=np.zeros(np.broadcast(area, perim).shape), where=perim > 0)
    ins = (depth_m, bed_width_m, side_slope)
    return {
        "area_m2": _like(area, *ins),
        "wetted_perimeter_m": _like(perim, *ins),
        "hydraulic_radius_m": _like(radius, *ins),
        "top_width_m": _like(b + 2.0 * z * y, *ins),
    }


def _q(y: np.ndarray, b: np.ndarray, z: np.ndarray, n: np.ndarray, s: np.ndarray) -> np.ndarray:
    area = (b + z * y) * y
    perim = b + 2.0 * y * np.sqrt(1.0 + z * z)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(perim > 0, area / perim, 0.0)
    return area * r ** (2.0 / 3.0) * np.sqrt(s) / n


def manning_flow_m3_s(
    *, depth_m: Any, bed_width_m: Any, side_slope: Any, n: Any, bed_slope: Any
) -> Any:
    r"""Discharge of uniform flow in a trapezoidal or rectangular channel (Manning).

    .. math:: Q = \frac{1}{n} A R^{2/3} S^{1/2}

    Parameters
    ----------
    depth_m : numeric
        Normal flow depth y. [m]
    bed_width_m : numeric
        Bed width b. [m]
    side_slope : numeric
        Side slope z (H:V; 0 for a rectangle). [-]
    n : numeric
        Manning's roughness coefficient (see :data:`MANNING_N`). [s m⁻¹ᐟ³]
    bed_slope : numeric
        Bed slope S. [m m⁻¹]

    Returns
    -------
    numeric
        Q. [m³ s⁻¹]

    Raises
    ------
    IrrigationError
        Negative depth or width, non-positive n or slope, or NaN.

    Examples
    --------
    >>> q = manning_flow_m3_s(depth_m=0.5, bed_width_m=1.0, side_slope=0.0, n=0.015,
    ...                       bed_slope=0.001)
    >>> round(q, 5)
    0.41832
    """
    _check_section(bed_width_m, side_slope, n, bed_slope)
    _check("depth_m", depth_m, 0.0, strict=False)
    q = _q(_a(depth_m), _a(bed_width_m), _a(side_slope), _a(n), _a(bed_slope))
    return _like(q, depth_m, bed_width_m, side_slope, n, bed_slope)


def manning_velocity_m_s(
    *, depth_m: Any, bed_width_m: Any, side_slope: Any, n: Any, bed_slope: Any
) -> Any:
    r"""Mean velocity of uniform flow, :math:`V = R^{2/3} S^{1/2} / n`. [m s⁻¹]

    Examples
    --------
    >>> v = manning_velocity_m_s(depth_m=0.5, bed_width_m=1.0, side_slope=0.0, n=0.015,
    ...                          bed_slope=0.001)
    >>> round(v, 4)
    0.8366
    """
    _check_section(bed_width_m, side_slope, n, bed_slope)
    _check("depth_m", depth_m, 0.0)
    geo = section_geometry(
        depth_m=_a(depth_m), bed_width_m=_a(bed_width_m), side_slope=_a(side_slope)
    )
    v = _a(geo["hydraulic_radius_m"]) ** (2.0 / 3.0) * np.sqrt(_a(bed_slope)) / _a(n)
    return _like(v, depth_m, bed_width_m, side_slope, n, bed_slope)


def froude_number(*, depth_m: Any, bed_width_m: Any, side_slope: Any, velocity_m_s: Any) -> Any:
    r"""Froude number of the flow, :math:`Fr = V / \sqrt{g A / T}` (hydraulic depth A/T). [-]

    Examples
    --------
    >>> round(froude_number(depth_m=0.5, bed_width_m=1.0, side_slope=0.0, velocity_m_s=0.8366), 3)
    0.378
    """
    geo = section_geometry(
        depth_m=_a(depth_m), bed_width_m=_a(bed_width_m), side_slope=_a(side_slope)
    )
    hd = _a(geo["area_m2"]) / _a(geo["top_width_m"])
    return _like(
        _a(velocity_m_s) / np.sqrt(G_M_S2 * hd), depth_m, bed_width_m, side_slope, velocity_m_s
    )


def manning_normal_depth_m(
    *, q_m3_s: Any, bed_width_m: Any, side_slope: Any, n: Any, bed_slope: Any
) -> Any:
    """Normal depth carrying a discharge: Manning's equation solved for the depth.

    Q(y) increases monotonically with y, so the root is bracketed (doubling the upper
    bound from 1 m), narrowed by 60 bisections and finished by Newton steps on
    Q(y) - Q with the analytic derivative; the result reproduces *q_m3_s* through
    :func:`manning_flow_m3_s` to about 1e-12 relative.

    Parameters
    ----------
    q_m3_s : numeric
        Discharge (0 gives depth 0). [m³ s⁻¹]
    bed_width_m, side_slope, n, bed_slope : numeric
        As in :func:`manning_flow_m3_s`.

    Returns
    -------
    numeric
        Normal depth. [m]

    Examples
    --------
    >>> y = manning_normal_depth_m(q_m3_s=126.0, bed_width_m=6.1, side_slope=1.5, n=0.013,
    ...                            bed_slope=0.0008)
    >>> round(y, 4)
    3.2864
    """
    _check_section(bed_width_m, side_slope, n, bed_slope)
    _check("q_m3_s", q_m3_s, 0.0, strict=False, hint="a discharge cannot be negative")
    q, b, z, nn, s = np.broadcast_arrays(
        *(np.atleast_1d(_a(v)) for v in (q_m3_s, bed_width_m, side_slope, n, bed_slope))
    )
    q, b, z, nn, s = (np.array(v, dtype=float) for v in (q, b, z, nn, s))
    lo = np.zeros_like(q)
    hi = np.ones_like(q)
    for _ in range(200):
        short = _q(hi, b, z, nn, s) < q
        if not short.any():
            break
        lo = np.where(short, hi, lo)
        hi = np.where(short, hi * 2.0, hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = _q(mid, b, z, nn, s) < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    y = 0.5 * (lo + hi)
    for _ in range(3):  # Newton polish: dQ/dy = Q (5/3 T/A - 2/3 dP/dy / P)
        area = (b + z * y) * y
        perim = b + 2.0 * y * np.sqrt(1.0 + z * z)
        top = b + 2.0 * z * y
        qy = _q(y, b, z, nn, s)
        with np.errstate(divide="ignore", invalid="ignore"):
            dq = qy * (5.0 / 3.0 * top / area - 2.0 / 3.0 * 2.0 * np.sqrt(1.0 + z * z) / perim)
            step = np.where((dq > 0) & (y > 0), (qy - q) / dq, 0.0)
        y = np.clip(y - step, lo, hi)
    y = np.where(q == 0, 0.0, y)
    out = y.reshape(
        np.broadcast(*(_a(v) for v in (q_m3_s, bed_width_m, side_slope, n, bed_slope))).shape
    )
    return _like(out, q_m3_s, bed_width_m, side_slope, n, bed_slope)


def best_hydraulic_section(
    *, q_m3_s: Any, side_slope: Any, n: Any, bed_slope: Any
) -> dict[str, Any]:
    r"""Trapezoid of least wetted perimeter (least excavation and seepage) for a flow.

    For a given side slope the best section has :math:`b = 2y(\sqrt{1+z^2} - z)`, so
    that :math:`R = y/2` (a half-hexagon for the optimal z = 1/√3; b/y = 0.828 for
    z = 1). Then :math:`A = y^2 (2\sqrt{1+z^2} - z)` and Manning gives the depth in
    closed form:

    .. math:: y = \left[\frac{Q n\, 2^{2/3}}{S^{1/2} (2\sqrt{1+z^2} - z)}\right]^{3/8}

    Parameters
    ----------
    q_m3_s : numeric
        Design discharge. [m³ s⁻¹]
    side_slope, n, bed_slope : numeric
        As in :func:`manning_flow_m3_s`.

    Returns
    -------
    dict
        ``depth_m``, ``bed_width_m``, ``velocity_m_s``.

    Examples
    --------
    >>> s = best_hydraulic_section(q_m3_s=0.032, side_slope=1.0, n=0.025, bed_slope=0.001)
    >>> round(s["bed_width_m"] / s["depth_m"], 3)
    0.828
    """
    _check("q_m3_s", q_m3_s, 0.0, hint="the design discharge must be positive")
    _check_section(1.0, side_slope, n, bed_slope)
    q, z, nn, s = _a(q_m3_s), _a(side_slope), _a(n), _a(bed_slope)
    k = 2.0 * np.sqrt(1.0 + z * z) - z
    y = (q * nn * 2.0 ** (2.0 / 3.0) / (np.sqrt(s) * k)) ** 0.375
    b = 2.0 * y * (np.sqrt(1.0 + z * z) - z)
    v = q / (k * y * y)
    ins = (q_m3_s, side_slope, n, bed_slope)
    return {
        "depth_m": _like(y, *ins),
        "bed_width_m": _like(b, *ins),
        "velocity_m_s": _like(v, *ins),
    }


def freeboard_m(
    depth_m: Any, *, q_m3_s: Any, min_m: float = 0.10, max_small_m: float = 0.30
) -> Any:
    r"""Freeboard of an earth canal above the design water level.

    USBR (1952): :math:`F = \sqrt{C y}` in feet, with C from 1.5 (Q ≈ 0.57 m³ s⁻¹,
    20 ft³ s⁻¹) to 2.5 (Q ≥ 85 m³ s⁻¹), interpolated on log Q. Small earth canals
    (Q < 0.5 m³ s⁻¹) usually get 0.10-0.30 m (FAO TM7), so the result is kept within
    [*min_m*, *max_small_m*] for them and at least *min_m* for larger ones
    (*default, configurable*).

    Parameters
    ----------
    depth_m : numeric
        Design flow depth. [m]
    q_m3_s : numeric
        Design discharge. [m³ s⁻¹]
    min_m, max_small_m : float
        Limits. [m]

    Returns
    -------
    numeric
        Freeboard. [m]

    Examples
    --------
    >>> freeboard_m(0.2, q_m3_s=0.032)
    0.3
    >>> round(freeboard_m(1.5, q_m3_s=5.0), 2)
    0.94
    """
    _check("depth_m", depth_m, 0.0, strict=False)
    _check("q_m3_s", q_m3_s, 0.0, strict=False)
    y, q = _a(depth_m), _a(q_m3_s)
    lq = np.log(np.clip(q, 0.5663, 84.95))
    c = 1.5 + (lq - np.log(0.5663)) / (np.log(84.95) - np.log(0.5663)) * 1.0
    f = np.sqrt(c * y / 0.3048) * 0.3048
    f = np.where(q < 0.5, np.clip(f, min_m, max_small_m), np.maximum(f, min_m))
    return _like(f, depth_m, q_m3_s)


@dataclass(frozen=True)
class CanalDesign:
    """A proposed canal section and its checks.

    Attributes
    ----------
    q_m3_s : float
        Design discharge. [m³ s⁻¹]
    bed_width_m, depth_m, freeboard_m, total_depth_m, top_width_m : float
        Section: bed width, normal depth, freeboard, depth to the bank top, top width of the
        water surface. [m]
    side_slope, n, bed_slope : float
        Inputs. [-], [s m⁻¹ᐟ³], [m m⁻¹]
    velocity_m_s, froude : float
        Mean velocity [m s⁻¹] and Froude number [-].
    min_velocity_m_s, max_velocity_m_s : float
        Limits used. [m s⁻¹]
    ok : bool
        True when the velocity is within the limits and Fr below the maximum.
    issues : tuple of str
        What fails and how to fix it (empty when *ok*).
    """

    q_m3_s: float
    bed_width_m: float
    depth_m: float
    freeboard_m: float
    total_depth_m: float
    top_width_m: float
    side_slope: float
    n: float
    bed_slope: float
    velocity_m_s: float
    froude: float
    min_velocity_m_s: float
    max_velocity_m_s: float
    soil: str
    ok: bool
    issues: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The design as a plain dict (issues joined with '; ')."""
        d = asdict(self)
        d["issues"] = "; ".join(self.issues)
        return d


def _soil_limits(soil: str, side_slope: float | None, min_velocity_m_s: float | None,
                 max_velocity_m_s: float | None) -> tuple[float, float, float]:
    """Side slope and velocity limits [m/s] of :func:`design_canal`: given, else the soil's."""
    vmin_soil, vmax_soil, z_soil = SOIL_CANAL_LIMITS[soil]
    z = z_soil if side_slope is None else float(side_slope)
    vmin = vmin_soil if min_velocity_m_s is None else float(min_velocity_m_s)
    vmax = vmax_soil if max_velocity_m_s is None else float(max_velocity_m_s)
    if vmin >= vmax:
        raise IrrigationError(
            f"the minimum velocity {vmin} m/s is not below the maximum {vmax} m/s",
            column="min_velocity_m_s",
            hint="check the velocity limits",
        )
    return z, vmin, vmax


def _closest_infeasible(v: np.ndarray, fr: np.ndarray, widths: np.ndarray, *, vmin: float, vmax: float,
                        max_froude: float, soil: str) -> tuple[int, list[str]]:
    """The bed width closest to the limits when none meets them, and what it breaks."""
    issues: list[str] = []
    dist = (
        np.maximum(vmin - v, 0.0)
        + np.maximum(v - vmax, 0.0)
        + np.maximum(fr - max_froude, 0.0)
    )
    i = int(np.argmin(dist))
    if v[i] > vmax:
        issues.append(
            f"velocity {v[i]:.2f} m/s exceeds the non-scouring limit {vmax:.2f} m/s of {soil} "
            "at every bed width: reduce the bed slope (drop structures) or line the canal"
        )
    elif v[i] < vmin:
        issues.append(
            f"velocity {v[i]:.2f} m/s is below the non-silting limit {vmin:.2f} m/s even at "
            "bed "
            f"width {widths[i]:.2f} m: steepen the bed slope or use a smoother (lined) canal"
        )
    if fr[i] > max_froude:
        issues.append(
            f"Froude number {fr[i]:.2f} is above {max_froude}: flow near critical; reduce the "
            "bed slope"
        )
    return i, issues


def design_canal(
    *,
    q_m3_s: float,
    n: float,
    bed_slope: float,
    side_slope: float | None = None,
    soil: str = "clay loam",
    min_bed_width_m: float = 0.20,
    max_bed_width_m: float = 3.0,
    width_step_m: float = 0.05,
    min_velocity_m_s: float | None = None,
    max_velocity_m_s: float | None = None,
    max_froude: float = 0.8,
    strict: bool = False,
) -> CanalDesign:
    """Propose a canal section for a discharge and check it against the soil's limits.

    Bed widths from *min_bed_width_m* to *max_bed_width_m* in steps of *width_step_m*
    (constructible sizes) are tried; for each, the normal depth comes from
    :func:`manning_normal_depth_m`. Among the widths whose velocity lies within
    [non-silting, non-scouring] and whose Froude number is below *max_froude* (≈0.8
    keeps earth canals clear of unstable near-critical flow), the one with the least
    flow area (least excavation, closest to :func:`best_hydraulic_section`) is
    chosen. The freeboard comes from :func:`freeboard_m`.

    If no width satisfies the checks, the width whose velocity is closest to the
    admissible range is returned with ``ok=False`` and *issues* saying why and what to
    change (a flagged result), or, with ``strict=True``, :class:`IrrigationError` is
    raised.

    Parameters
    ----------
    q_m3_s : float
        Design discharge. [m³ s⁻¹]
    n : float
        Manning's n. [s m⁻¹ᐟ³]
    bed_slope : float
        Bed slope. [m m⁻¹]
    side_slope : float, optional
        H:V; by default the soil's value in :data:`SOIL_CANAL_LIMITS`.
    soil : str, default 'clay loam'
        Key of :data:`SOIL_CANAL_LIMITS` (velocity limits and default side slope).
    min_bed_width_m, max_bed_width_m, width_step_m : float
        Range and step of the bed widths tried. [m]
    min_velocity_m_s, max_velocity_m_s : float, optional
        Override the soil's limits. [m s⁻¹]
    max_froude : float, default 0.8
        Largest admissible Froude number. [-]
    strict : bool, default False
        Raise instead of returning a flagged design.

    Returns
    -------
    CanalDesign

    Examples
    --------
    >>> d = design_canal(q_m3_s=0.032, n=0.025, bed_slope=0.001, soil="clay loam", side_slope=1.0)
    >>> d.ok, d.bed_width_m, round(d.depth_m, 3), d.freeboard_m
    (True, 0.2, 0.238, 0.3)
    """
    check_option(soil, tuple(SOIL_CANAL_LIMITS), name="soil")
    _check("q_m3_s", q_m3_s, 0.0, hint="the design discharge must be positive")
    _check("n", n, 0.0)
    _check("bed_slope", bed_slope, 0.0)
    z, vmin, vmax = _soil_limits(soil, side_slope, min_velocity_m_s, max_velocity_m_s)
    _check("width_step_m", width_step_m, 0.0)
    if max_bed_width_m < min_bed_width_m:
        raise IrrigationError("max_bed_width_m is below min_bed_width_m", column="max_bed_width_m")
    nstep = round((max_bed_width_m - min_bed_width_m) / width_step_m)
    widths = np.round(min_bed_width_m + width_step_m * np.arange(nstep + 1), 6)
    _check_section(widths, z)
    y = _a(
        manning_normal_depth_m(
            q_m3_s=np.full(widths.shape, float(q_m3_s)),
            bed_width_m=widths,
            side_slope=z,
            n=float(n),
            bed_slope=float(bed_slope),
        )
    )
    area = (widths + z * y) * y
    top = widths + 2.0 * z * y
    v = float(q_m3_s) / area
    fr = v / np.sqrt(G_M_S2 * area / top)
    feasible = (v >= vmin) & (v <= vmax) & (fr <= max_froude)
    issues: list[str] = []
    if feasible.any():
        cand = np.flatnonzero(feasible)
        i = int(cand[np.argmin(area[cand])])
    else:
        i, issues = _closest_infeasible(v, fr, widths, vmin=vmin, vmax=vmax, max_froude=max_froude,
                                        soil=soil)
    fb = float(freeboard_m(float(y[i]), q_m3_s=float(q_m3_s)))
    design = CanalDesign(
        q_m3_s=float(q_m3_s),
        bed_width_m=float(widths[i]),
        depth_m=float(y[i]),
        freeboard_m=fb,
        total_depth_m=float(y[i]) + fb,
        top_width_m=float(top[i]),
        side_slope=z,
        n=float(n),
        bed_slope=float(bed_slope),
        velocity_m_s=float(v[i]),
        froude=float(fr[i]),
        min_velocity_m_s=vmin,
        max_velocity_m_s=vmax,
        soil=soil,
        ok=not issues,
        issues=tuple(issues),
    )
    if strict and issues:
        raise IrrigationError(
            f"no canal section carries {q_m3_s:g} m³/s within the limits: {issues[0]}",
            column="canal",
            hint="change the bed slope, roughness (lining) or soil limits",
        )
    return design
