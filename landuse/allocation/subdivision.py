"""Cut an agricultural block into plots of given target areas.

:func:`subdivide` splits a polygon (a zone of paddy or rotational upland, or a
large parcel) into plots whose areas match a list of targets (for example the
entitlements of the households that will receive them), each within ±2 % of its
target, together covering the block exactly: no gaps, no overlaps.

The method is recursive area-balanced bisection. The list of targets is split
into two groups of nearly equal area; the current piece is cut by a straight line
perpendicular to the longer axis of its minimum rotated rectangle, at the position
(found by root finding on the area) that gives the first group exactly its share;
both halves are cut again until one target is left per piece. Cutting across the
longer axis keeps pieces compact (the aspect ratio halves at each level), like
the slice-and-dice and squarified treemaps (Shneiderman 1992; Bruls, Huizing &
van Wijk 2000) and recursive-bisection plot layouts. One side of each cut is the
intersection of the piece with a half-plane and the other its difference, so the
pieces always tile the block.

The lead re-exports :func:`subdivide` from :mod:`landuse.parcels`.

Examples
--------
>>> from shapely.geometry import box
>>> plots = subdivide(box(0, 0, 300, 100), [1.0, 1.0, 1.0], crs="EPSG:32647")
>>> plots[["plot_no", "target_ha", "area_ha"]].round(6)
   plot_no  target_ha  area_ha
0        1        1.0      1.0
1        2        1.0      1.0
2        3        1.0      1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from landuse import _validate
from landuse.errors import CRSError, GeometryError, SchemaError

__all__ = ["subdivide"]

_HA = 10_000.0


def _axes(piece: BaseGeometry) -> tuple[np.ndarray, np.ndarray, float]:
    """Unit vector of the longer axis of the minimum rotated rectangle, its normal, length."""
    rect = shapely.minimum_rotated_rectangle(piece)
    coords = np.asarray(rect.exterior.coords) if isinstance(rect, Polygon) else None
    if coords is None or len(coords) < 4:
        minx, miny, maxx, maxy = piece.bounds
        return (np.array([1.0, 0.0]), np.array([0.0, 1.0]), maxx - minx) if maxx - minx >= maxy - miny \
            else (np.array([0.0, 1.0]), np.array([1.0, 0.0]), maxy - miny)
    e1, e2 = coords[1] - coords[0], coords[2] - coords[1]
    l1, l2 = float(np.hypot(*e1)), float(np.hypot(*e2))
    if l1 + 1e-9 < l2 or (abs(l1 - l2) <= 1e-9 and abs(e2[0]) > abs(e1[0])):
        e1, l1 = e2, l2
    u = e1 / l1
    # a canonical orientation so that the result does not depend on vertex order
    if u[0] < -1e-12 or (abs(u[0]) <= 1e-12 and u[1] < 0):
        u = -u
    return u, np.array([-u[1], u[0]]), l1


def _halfplane(piece: BaseGeometry, u: np.ndarray, v: np.ndarray, t: float) -> Polygon:
    """The half-plane {p : (p - 0)·u <= t}, as a polygon large enough to cover *piece*."""
    minx, miny, maxx, maxy = piece.bounds
    big = 4.0 * (abs(maxx) + abs(maxy) + abs(minx) + abs(miny) + (maxx - minx) + (maxy - miny) + 1.0)
    p0 = u * t
    a, b = p0 + v * big, p0 - v * big
    c, d = b - u * big, a - u * big
    return Polygon([tuple(a), tuple(b), tuple(c), tuple(d)])


def _cut(piece: BaseGeometry, share: float, u: np.ndarray, v: np.ndarray):
    """Cut *piece* across *u* so that the part with smaller u-coordinates has *share* of its area."""
    coords = shapely.get_coordinates(piece)
    proj = coords @ u
    lo, hi = float(proj.min()), float(proj.max())
    area = piece.area
    goal = share * area

    def left_area(t: float) -> float:
        return shapely.intersection(piece, _halfplane(piece, u, v, t)).area

    # bisection (robust for any polygon: left_area is monotone in t)
    a, b = lo, hi
    for _ in range(200):
        mid = 0.5 * (a + b)
        got = left_area(mid)
        if abs(got - goal) <= 1e-10 * area:
            a = b = mid
            break
        if got < goal:
            a = mid
        else:
            b = mid
        if b - a <= 1e-10 * max(1.0, hi - lo):
            break
    t = 0.5 * (a + b)
    hp = _halfplane(piece, u, v, t)
    left = shapely.intersection(piece, hp)
    right = shapely.difference(piece, hp)
    return _clean(left), _clean(right)


def _clean(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts of an overlay result."""
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    polys: list[Polygon] = []
    for g in parts:
        polys.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())


def _split_groups(targets: np.ndarray) -> int:
    """Index k such that targets[:k] holds as close to half the area as possible (1 <= k < n)."""
    csum = np.cumsum(targets)
    half = csum[-1] / 2.0
    k = int(np.argmin(np.abs(csum[:-1] - half))) + 1
    return k


def _recurse(piece: BaseGeometry, idx: list[int], targets: np.ndarray, out: dict[int, BaseGeometry],
             rel_tol: float) -> None:
    if len(idx) == 1:
        out[idx[0]] = piece
        return
    sub = targets[idx]
    k = _split_groups(sub)
    share = float(sub[:k].sum() / sub.sum())
    u, v, _ = _axes(piece)
    best = None
    for uu, vv in ((u, v), (v, -u)):
        left, right = _cut(piece, share, uu, vv)
        single = isinstance(left, Polygon) and isinstance(right, Polygon)
        if best is None or (single and not best[2]):
            best = (left, right, single)
        if single:
            break
    assert best is not None  # the loop above runs at least once
    left, right, _ = best
    _recurse(left, idx[:k], targets, out, rel_tol)
    _recurse(right, idx[k:], targets, out, rel_tol)


def _block_geometry(block: Any, crs: Any) -> tuple[BaseGeometry, Any, str]:
    import geopandas as gpd

    if isinstance(block, (gpd.GeoDataFrame, gpd.GeoSeries)):
        layer = _validate.layer_name(block, "block")
        if len(block) != 1:
            raise GeometryError(f"expected one block polygon, got {len(block)} features", source=layer,
                                hint="pass one row (e.g. zones.loc[[i]]) or a shapely Polygon")
        if crs is None:
            crs = block.crs
        geom = block.geometry.iloc[0] if isinstance(block, gpd.GeoDataFrame) else block.iloc[0]
    elif isinstance(block, BaseGeometry):
        geom, layer = block, "block"
    else:
        raise GeometryError(f"block must be a Polygon, GeoSeries or GeoDataFrame, not {type(block).__name__}",
                            source="block", hint="pass a shapely Polygon with crs=..., or a one-row GeoDataFrame")
    if crs is None:
        raise _crs_error(layer, "the block has no coordinate reference system")
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    if not c.is_projected:
        raise _crs_error(layer, f"the block is in a geographic CRS ({c.to_string()}); areas need metres")
    if geom is None or geom.is_empty or not isinstance(geom, (Polygon, MultiPolygon)):
        raise GeometryError(f"the block must be a non-empty Polygon, got {getattr(geom, 'geom_type', geom)!r}",
                            source=layer, hint="pass the zone or parcel polygon")
    if not geom.is_valid:
        raise GeometryError(f"invalid block geometry: {shapely.is_valid_reason(geom)}", source=layer,
                            hint="repair it with shapely.make_valid or QGIS (Fix geometries)")
    return geom, c, layer


def _crs_error(layer: str, msg: str) -> Exception:
    return CRSError(msg, source=layer, hint="reproject with landuse.crs.to_projected, or pass crs='EPSG:32647'")


def _targets(targets_ha: Any) -> tuple[list[Any] | None, np.ndarray]:
    """The target ids (None for a plain sequence) and the checked target areas [ha] of :func:`subdivide`."""
    keys: list[Any] | None = None
    if isinstance(targets_ha, (pd.Series, Mapping)):
        items = list(targets_ha.items())
        keys = [k for k, _ in items]
        values = [v for _, v in items]
    else:
        values = list(targets_ha)
    if not values:
        raise SchemaError("no target areas given", source="targets_ha", hint="give at least one area in ha")
    arr = np.array([_as_area(v, i if keys is None else keys[i]) for i, v in enumerate(values)], dtype=float)
    return keys, arr


def _fit_to_block(arr: np.ndarray, block_ha: float, *, tolerance: float, remainder: str,
                  layer: str) -> tuple[np.ndarray, bool]:
    """Areas to cut [ha]: the targets spread over the block, or the targets plus a rest plot (then True)."""
    total = float(arr.sum())
    rest = block_ha - total
    scaled = arr.copy()
    has_rest = False
    if rest < -1e-12 or rest <= tolerance * float(arr.min()) * 0.5 or remainder == "spread":
        scaled = arr * (block_ha / total)
        worst = float(np.max(np.abs(scaled / arr - 1)))
        if worst > tolerance:
            raise SchemaError(
                f"the targets add up to {total:.4f} ha of a {block_ha:.4f} ha block; spreading the "
                f"rest would put plots {100 * worst:.1f} % off their targets",
                source=layer, column="targets_ha", hint="use remainder='plot' to keep the rest as a plot",
            )
    else:
        has_rest = True
        scaled = np.append(arr, rest)
    return scaled, has_rest


def subdivide(
    block: Any,
    targets_ha: Sequence[float] | Mapping[Any, float] | pd.Series,
    *,
    crs: Any = None,
    tolerance: float = 0.02,
    remainder: str = "plot",
) -> Any:
    """Cut a block into compact plots of given areas that tile it exactly.

    Parameters
    ----------
    block : Polygon, GeoSeries or GeoDataFrame
        The block to cut (one polygon) in a projected CRS [m].
    targets_ha : sequence, mapping or Series of float
        Target area of each plot. [ha] With a mapping or Series, its keys (e.g.
        household ids) are kept in a ``target_id`` column; plots come out in the
        given order.
    crs : optional
        CRS of a shapely *block* (taken from a GeoDataFrame/GeoSeries otherwise).
    tolerance : float, default 0.02
        Largest allowed relative difference between a plot and its target. [-]
    remainder : {"plot", "spread"}, default "plot"
        What to do when the targets add up to less than the block. ``"plot"``: the
        rest becomes one more plot (``target_ha`` NaN, ``remainder`` True).
        ``"spread"``: all targets are scaled up to fill the block, allowed only when
        every plot then stays within *tolerance* of its target. When the rest is
        smaller than *tolerance* x the smallest target it is always spread.

    Returns
    -------
    GeoDataFrame
        ``plot_no`` (1..n), ``target_id`` (when targets were keyed), ``target_ha``,
        ``area_ha`` [ha], ``error_pct`` (100 (area − target)/target) [%],
        ``compactness`` (Polsby-Popper 4πA/P², 1 for a disc, 0.785 for a square) [-],
        ``remainder`` and the plot geometries, in the CRS of the block.

    Raises
    ------
    SchemaError
        Targets that are not positive numbers, an empty list, or targets whose sum
        exceeds the block area by more than the tolerance (the message gives both
        areas).
    GeometryError, CRSError
        An empty, invalid or non-polygonal block; a missing or geographic CRS.

    Notes
    -----
    Each cut position *t* along the unit axis **u** solves

    .. math:: A\\big(P \\cap \\{x : x\\cdot u \\le t\\}\\big) = \\frac{\\sum_{i \\in L} T_i}{\\sum_{i} T_i}\\,A(P)

    by bisection (the left area is monotone in *t*), to 10⁻⁹ of the piece's
    extent, so every plot's area equals its (scaled) target to far better than the
    tolerance. A cut across a non-convex piece may leave a side in two parts; the
    perpendicular direction is then tried, and a multi-part plot is returned only
    when both directions split the piece (blocks with deep notches).

    References
    ----------
    .. [1] B. Shneiderman, "Tree visualization with tree-maps: 2-d space-filling
       approach", ACM Transactions on Graphics 11(1), 92-99, 1992.
    .. [2] M. Bruls, K. Huizing, J. J. van Wijk, "Squarified treemaps", in Data
       Visualization 2000, Springer, 33-42, 2000.
    .. [3] D. D. Polsby, R. D. Popper, "The third criterion: compactness as a
       procedural safeguard against partisan gerrymandering", Yale Law & Policy
       Review 9(2), 301-353, 1991.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> plots = subdivide(box(0, 0, 200, 200), {"H1": 2.0, "H2": 1.0, "H3": 1.0}, crs=32647)
    >>> plots[["target_id", "area_ha"]].round(3)
      target_id  area_ha
    0        H1      2.0
    1        H2      1.0
    2        H3      1.0
    >>> float(round(plots.area.sum() / 1e4, 6)), plots.geometry.union_all().equals(box(0, 0, 200, 200))
    (4.0, True)
    """
    import geopandas as gpd

    geom, c, layer = _block_geometry(block, crs)
    _validate.check_option(remainder, ("plot", "spread"), name="remainder")
    if not (0 < tolerance < 1):
        raise SchemaError(f"tolerance={tolerance!r} must be between 0 and 1", hint="e.g. 0.02 for ±2 %")
    keys, arr = _targets(targets_ha)
    block_ha = geom.area / _HA
    total = float(arr.sum())
    if total > block_ha * (1 + tolerance):
        raise SchemaError(
            f"the targets add up to {total:.4f} ha but the block has only {block_ha:.4f} ha "
            f"({100 * (total / block_ha - 1):.1f} % more than the block)",
            source=layer, column="targets_ha",
            hint="reduce the targets (e.g. scale them by the block area) or choose a larger block",
        )
    scaled, has_rest = _fit_to_block(arr, block_ha, tolerance=tolerance, remainder=remainder, layer=layer)

    out: dict[int, BaseGeometry] = {}
    _recurse(geom, list(range(len(scaled))), scaled, out, tolerance)
    geoms = [out[i] for i in range(len(scaled))]
    area = np.array([g.area for g in geoms]) / _HA
    target = np.append(arr, np.nan) if has_rest else arr
    perim = np.array([g.length for g in geoms])
    data: dict[str, Any] = {"plot_no": np.arange(1, len(geoms) + 1)}
    if keys is not None:
        data["target_id"] = [*keys, None] if has_rest else keys
    data["target_ha"] = target
    data["area_ha"] = area
    with np.errstate(invalid="ignore", divide="ignore"):
        data["error_pct"] = 100 * (area - target) / target
        data["compactness"] = 4 * math.pi * area * _HA / perim**2
    data["remainder"] = [False] * len(arr) + ([True] if has_rest else [])
    return gpd.GeoDataFrame(data, geometry=geoms, crs=c)


def _as_area(v: Any, key: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        f = float("nan")
    if not np.isfinite(f) or f <= 0:
        raise SchemaError(f"target area {v!r} is not a positive number", source="targets_ha", feature_id=key,
                          hint="give target areas in ha, all > 0")
    return f
