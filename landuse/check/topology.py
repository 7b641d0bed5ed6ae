"""Topology of parcel layers: overlaps, gaps and slivers, village boundaries, neighbours.

Cadastral layers drawn by hand (or traced in the field with a GPS) rarely form a
clean partition: neighbouring parcels overlap by a few square metres, leave thin
unclaimed slivers between them, or spill over the village boundary. These functions
find such faults and describe how parcels touch each other, for ``landuse check``,
for the allocation steps and for land-use certificates (which list each parcel's
neighbours to the north, east, south and west).

All functions are vectorised with shapely 2 and an STRtree spatial index
(``gdf.sindex``), so they stay fast on layers of thousands of parcels. They
measure areas and lengths and therefore require a projected CRS in metres
(:class:`~landuse.errors.CRSError` otherwise). Geometries must be valid
(Multi)Polygons with unique ids; repair invalid ones with ``gdf.make_valid()``.

Conventions
-----------
* A *pair* table (:func:`overlaps`, :func:`adjacency`) lists each unordered pair of
  parcels once, in canonical order: ``parcel_id_a`` is the parcel that comes first
  in the input (by position), rows sorted by the positions of ``a`` then ``b``.
* Directions are grid directions of the projected CRS: north is +y. In UTM zone 47N
  over Oudomxay grid north is within about 1 degree of true north.

Examples
--------
Two 1-ha parcels side by side and a third that overlaps the second by 10 m x 100 m:

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]},
...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(190, 0, 290, 100)],
...     crs="EPSG:32647")
>>> overlaps(p)[["parcel_id_a", "parcel_id_b", "overlap_m2"]]
  parcel_id_a parcel_id_b  overlap_m2
0           B           C      1000.0
>>> adjacency(p.iloc[:2])
  parcel_id_a parcel_id_b  shared_m
0           A           B     100.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from landuse import _validate
from landuse._validate.parcels import check_parcels
from landuse.errors import GeometryError, SchemaError

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

__all__ = ["SIDES", "adjacency", "gaps", "neighbours", "outside_village", "overlaps"]

#: Sides of a parcel in certificate order, with the bearing sectors that define them.
#: Bearings are clockwise from grid north (+y), in degrees; intervals are half-open
#: ``[start, end)`` so that a bearing of exactly 45 degrees is east.
SIDES: dict[str, tuple[float, float]] = {
    "north": (315.0, 45.0),
    "east": (45.0, 135.0),
    "south": (135.0, 225.0),
    "west": (225.0, 315.0),
}

_POLYGONAL = ("Polygon", "MultiPolygon")
#: Distance under which two boundaries count as coincident when measuring how much of a
#: gap's outline runs along parcels. [m]
_EPS_M = 1e-3


# -- helpers ---------------------------------------------------------------------------
def _check_min(value: float, *, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise SchemaError(
            f"{name}={value!r} must be a finite number >= 0", hint=f"pass {name}=0 or more"
        )
    return value


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal part of each geometry (overlay results can mix lines and points)."""
    out = np.array(geoms, dtype=object)
    types = shapely.get_type_id(out)
    for i in np.flatnonzero(~np.isin(types, (3, 6))):
        parts = shapely.get_parts(out[i])
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(polys) if len(polys) else Polygon()
    return out


def _linear(geoms: np.ndarray) -> np.ndarray:
    """Keep only the linear part of each geometry, merged into as few lines as possible."""
    out = np.array(geoms, dtype=object)
    types = shapely.get_type_id(out)
    for i in np.flatnonzero(~np.isin(types, (1, 5))):
        parts = shapely.get_parts(out[i])
        lines = parts[np.isin(shapely.get_type_id(parts), (1, 2, 5))]
        out[i] = (
            shapely.multilinestrings(lines) if len(lines) else shapely.from_wkt("LINESTRING EMPTY")
        )
    return shapely.line_merge(out)


def _outline(geoms: np.ndarray) -> np.ndarray:
    """Boundary of polygons, the geometry itself for lines."""
    types = shapely.get_type_id(geoms)
    poly = np.isin(types, (3, 6))
    out = np.array(geoms, dtype=object)
    if poly.any():
        out[poly] = shapely.boundary(geoms[poly])
    return out


def _shared(
    a: np.ndarray,
    b: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
    *,
    tolerance_m: float,
    merge: bool = True,
) -> np.ndarray:
    """The part of outline ``a[ia[k]]`` that runs along outline ``b[ib[k]]``, for each pair k.

    With ``tolerance_m == 0`` this is the exact intersection of the two outlines;
    otherwise it is the part of *a*'s outline within ``tolerance_m`` of *b*'s outline
    (see :func:`_shared_length` for the overshoot at the ends). Outlines and their
    buffers are computed once per feature, not once per pair. With ``merge=False``
    the raw intersection is returned (its length is right, its parts are not merged). Between parcels
    (``b is a``) the whole polygon is buffered, which is cheaper to intersect than a
    buffered ring and gives the same result for parcels that do not overlap (for
    overlapping ones, the part of ``a``'s outline inside ``b`` counts as shared too).
    """
    oa = _outline(a)
    ob = _outline(b) if b is not a else oa
    if tolerance_m > 0:
        used = np.unique(ib)
        buf = np.empty(len(b), dtype=object)
        buf[used] = shapely.buffer(b[used] if b is a else ob[used], tolerance_m, quad_segs=2)
        ob = buf
    if len(ia) == 0:
        return np.array([], dtype=object)
    inter = shapely.intersection(oa[ia], ob[ib])
    return _linear(inter) if merge else inter


def _shared_length(lines: np.ndarray, *, tolerance_m: float) -> np.ndarray:
    """Length of shared lines, less the ``2 * tolerance_m`` overshoot at the ends of each part.

    The part of an outline within ``t`` of a neighbour's outline runs ``t`` past each end
    of the true common boundary (around the corners of the parcel), so parcels that meet
    at a corner would otherwise share ``2t``. Each connected part is shortened by ``2t``
    (not below 0). [m]
    """
    if tolerance_m <= 0 or len(lines) == 0:
        return shapely.length(lines)
    parts, index = shapely.get_parts(lines, return_index=True)
    part_len = np.maximum(shapely.length(parts) - 2 * tolerance_m, 0.0)
    return np.bincount(index, weights=part_len, minlength=len(lines))


def _pairs(
    tree_gdf: Any, query: np.ndarray, *, tolerance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (query, tree) of geometries that intersect or lie within *tolerance_m*."""
    if tolerance_m > 0:
        q, t = tree_gdf.sindex.query(query, predicate="dwithin", distance=tolerance_m)
    else:
        q, t = tree_gdf.sindex.query(query, predicate="intersects")
    return np.asarray(q, dtype=np.intp), np.asarray(t, dtype=np.intp)


def _ids(parcels: Any, id_column: str) -> np.ndarray:
    return parcels[id_column].to_numpy(dtype=object)


# -- overlaps --------------------------------------------------------------------------
def overlaps(parcels: GeoDataFrame, *, min_area_m2: float = 0.01, id_column: str = "parcel_id") -> GeoDataFrame:
    """Find pairs of parcels whose interiors overlap, with the overlapping area.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        (Multi)Polygons in a projected CRS with a unique *id_column*.
    min_area_m2 : float, default 0.01
        Smallest overlap reported; smaller ones are numerical noise. [m²]
    id_column : str, default "parcel_id"
        Column identifying parcels.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per overlapping pair (canonical order, see the module notes) with
        ``parcel_id_a``, ``parcel_id_b``, ``overlap_m2`` [m²], ``share_a`` and
        ``share_b`` (the overlap as a fraction of each parcel's area [-]; 1.0 for
        both means duplicated parcels) and the overlap as geometry. Parcels that
        only touch along an edge or at a corner do not overlap.

    Raises
    ------
    CRSError
        If the layer has no CRS or a geographic one.
    SchemaError, GeometryError
        For a missing or duplicated id, or empty, non-polygonal or invalid geometries.

    Notes
    -----
    Candidate pairs come from the STRtree (``intersects``); pairs that only touch
    are dropped with ``shapely.touches`` before the overlay, so the cost of the
    intersection is paid only for real overlaps.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B"]},
    ...     geometry=[box(0, 0, 100, 100), box(90, 0, 190, 100)], crs="EPSG:32647")
    >>> overlaps(p)[["parcel_id_a", "parcel_id_b", "overlap_m2", "share_a"]]
      parcel_id_a parcel_id_b  overlap_m2  share_a
    0           A           B      1000.0      0.1
    """
    import geopandas as gpd

    check_parcels(parcels, id_column=id_column)
    min_area_m2 = _check_min(min_area_m2, name="min_area_m2")
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    ids = _ids(parcels, id_column)
    left, right = _pairs(parcels, geoms, tolerance_m=0.0)
    keep = left < right
    left, right = left[keep], right[keep]
    keep = ~shapely.touches(geoms[left], geoms[right])
    left, right = left[keep], right[keep]
    inter = _polygonal(shapely.intersection(geoms[left], geoms[right]))
    area = shapely.area(inter)
    keep = (area >= min_area_m2) & (area > 0)
    left, right, inter, area = left[keep], right[keep], inter[keep], area[keep]
    order = np.lexsort((right, left))
    left, right, inter, area = left[order], right[order], inter[order], area[order]
    parcel_area = shapely.area(geoms)
    return gpd.GeoDataFrame(
        {
            "parcel_id_a": ids[left],
            "parcel_id_b": ids[right],
            "overlap_m2": area,
            "share_a": area / parcel_area[left],
            "share_b": area / parcel_area[right],
        },
        geometry=gpd.array.from_shapely(inter, crs=parcels.crs),
        crs=parcels.crs,
    )


# -- gaps and slivers ------------------------------------------------------------------
def _require_villages(villages: pd.DataFrame, parcels: pd.DataFrame, *, village_id_column: str) -> None:
    """Villages for :func:`gaps`: a projected GeoDataFrame in the parcels' CRS, unique ids, valid polygons."""
    _validate.require_geodataframe(villages, layer="villages")
    vname = _validate.layer_name(villages, "villages")
    _validate.require_projected(villages, layer=vname)
    _validate.require_same_crs({"parcels": parcels, "villages": villages})
    _validate.require_columns(villages, [village_id_column], layer=vname)
    _validate.require_unique(villages, village_id_column, layer=vname)
    _validate.require_geom_types(villages, _POLYGONAL, layer=vname, id_column=village_id_column)
    _validate.require_valid_geometries(villages, layer=vname, id_column=village_id_column)


def _valid(geoms: np.ndarray) -> np.ndarray:
    """*geoms* with the invalid ones repaired (``make_valid``), the valid ones untouched.

    GEOS's mitred buffer can return a polygon whose ring touches itself (seen on a
    village of a 54-village synthetic province, GEOS 3.14): an overlay with it then
    raises a ``TopologyException``.
    """
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _village_gaps(k: int, vid: Any, vgeom: Any, cand: np.ndarray, geoms: np.ndarray, ids: np.ndarray, *,
                  min_area_m2: float, max_gap_m2: float, width: float, share: float) -> list[dict[str, Any]]:
    """Rows of :func:`gaps` for village number *k*, from the parcels *cand* that intersect it."""
    rows: list[dict[str, Any]] = []
    cover = shapely.union_all(geoms[cand])
    uncovered = shapely.difference(vgeom, cover)
    comps = shapely.get_parts(_polygonal(np.array([uncovered], dtype=object))[0])
    comps = comps[shapely.area(comps) >= min_area_m2]
    if len(comps) == 0:
        return []
    cover_near = shapely.buffer(cover, _EPS_M, quad_segs=2)
    vboundary = shapely.boundary(vgeom)
    enclosed = shapely.distance(comps, vboundary) > _EPS_M
    opened = _valid(shapely.buffer(
        shapely.buffer(comps, -width / 2, join_style="mitre"), width / 2, join_style="mitre"
    ))
    opened = shapely.intersection(opened, comps)
    for comp, is_enclosed, op in zip(comps, enclosed, opened, strict=True):
        if (
            is_enclosed
            and not shapely.is_empty(op)
            and shapely.area(op) >= min_area_m2
            and shapely.area(comp) <= max_gap_m2
        ):
            found = [("gap", comp)]
        else:
            thin = shapely.get_parts(
                _polygonal(np.array([shapely.difference(comp, op)], dtype=object))[0]
            )
            thin = thin[shapely.area(thin) >= min_area_m2]
            along = shapely.length(shapely.intersection(shapely.boundary(thin), cover_near))
            thin = thin[along >= share * shapely.length(thin)]
            found = [("sliver", t) for t in thin]
        for kind, geom in found:
            near = cand[shapely.dwithin(geoms[cand], geom, 10 * _EPS_M)]
            area = float(shapely.area(geom))
            rows.append(
                {
                    "village_id": vid,
                    "kind": kind,
                    "gap_m2": area,
                    "width_m": 2 * area / float(shapely.length(geom)),
                    "parcel_ids": ", ".join(str(i) for i in ids[near]),
                    "geometry": geom,
                    "_v": k,
                    "_x": shapely.get_x(shapely.centroid(geom)),
                    "_y": shapely.get_y(shapely.centroid(geom)),
                }
            )
    return rows


def gaps(
    parcels: GeoDataFrame,
    villages: GeoDataFrame,
    *,
    min_area_m2: float = 1.0,
    max_gap_m2: float = 2500.0,
    sliver_max_width_m: float = 2.0,
    min_border_share: float = 1 / 3,
    id_column: str = "parcel_id",
    village_id_column: str = "village_id",
) -> GeoDataFrame:
    """Find gaps and slivers between parcels inside each village.

    Villages normally contain land that is not parcelled (forest, commons, streams),
    so not every uncovered patch is a fault. The rule separating digitising faults
    from open land is:

    * **sliver**: a thin strip (narrower than ``sliver_max_width_m``) of uncovered
      land whose outline runs along parcels for at least ``min_border_share`` of its
      perimeter: the unclaimed strip between two neighbouring parcels, or between a
      parcel and the village boundary it should follow. Thin strips found by a
      morphological opening, so a thin strip attached to open land is still found.
    * **gap**: an uncovered patch enclosed by parcels (it does not touch the village
      boundary), not thin, and no larger than ``max_gap_m2``: a hole in the parcel
      fabric.
    * everything else is open land and is not reported: uncovered land reaching the
      village boundary, and enclosed patches larger than ``max_gap_m2`` (a forest
      patch or commons left unparcelled on purpose; their thin arms are still
      checked for slivers).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        (Multi)Polygons in a projected CRS with a unique *id_column*.
    villages : geopandas.GeoDataFrame
        Village territories ((Multi)Polygons) in the same CRS, unique *village_id_column*.
    min_area_m2 : float, default 1.0
        Smallest gap or sliver reported. [m²]
    max_gap_m2 : float, default 2500
        Largest enclosed hole reported as a gap (0.25 ha, a 50 m x 50 m block, about
        the smallest unit mapped in participatory land-use planning at 1:10,000);
        ``inf`` reports every enclosed hole. [m²]
    sliver_max_width_m : float, default 2.0
        Uncovered strips narrower than this are slivers. [m]
    min_border_share : float, default 1/3
        Share of a thin strip's perimeter that must run along parcels for it to be a
        sliver (a thin corridor of village land with no parcels is open land). [-]
    id_column, village_id_column : str
        Id columns of parcels and villages.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per gap or sliver, with ``village_id``, ``kind`` (``"gap"`` or
        ``"sliver"``), ``gap_m2`` [m²], ``width_m`` (mean width, 2·A/P [m]),
        ``parcel_ids`` (the bordering parcels, comma-separated) and the geometry;
        sorted by village, kind and position.

    Notes
    -----
    Within each village ``V`` the uncovered land is ``U = V - union(parcels)`` (all parcels
    that intersect ``V``, whatever their ``village_id``). Each connected part ``C`` of
    ``U`` is opened with a mitred erosion and dilation by ``w/2``,
    ``O = (C ⊖ w/2) ⊕ w/2``; ``C - O`` holds the parts narrower than ``w``. The mean
    width of a strip of area ``A`` and perimeter ``P`` is ``2A/P`` (exact for a long
    rectangle, ``A = L·w``, ``P ≈ 2L``).

    Examples
    --------
    Two 1-ha parcels 0.5 m apart inside a village that fits them exactly:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B"]},
    ...     geometry=[box(0, 0, 100, 100), box(100.5, 0, 200.5, 100)], crs="EPSG:32647")
    >>> v = gpd.GeoDataFrame({"village_id": ["V1"]}, geometry=[box(0, 0, 200.5, 100)],
    ...     crs="EPSG:32647")
    >>> gaps(p, v)[["village_id", "kind", "gap_m2", "width_m", "parcel_ids"]]
      village_id    kind  gap_m2  width_m parcel_ids
    0         V1  sliver    50.0     0.50       A, B
    """
    import geopandas as gpd

    check_parcels(parcels, id_column=id_column)
    _require_villages(villages, parcels, village_id_column=village_id_column)
    min_area_m2 = _check_min(min_area_m2, name="min_area_m2")
    max_gap_m2 = float(max_gap_m2)
    if np.isnan(max_gap_m2) or max_gap_m2 < 0:
        raise SchemaError(
            f"max_gap_m2={max_gap_m2!r} must be >= 0", hint="pass a positive area or float('inf')"
        )
    width = _check_min(sliver_max_width_m, name="sliver_max_width_m")
    share = _check_min(min_border_share, name="min_border_share")

    geoms = np.asarray(parcels.geometry.array, dtype=object)
    ids = _ids(parcels, id_column)
    vgeoms = np.asarray(villages.geometry.array, dtype=object)
    vids = villages[village_id_column].to_numpy(dtype=object)
    qv, tp = parcels.sindex.query(vgeoms, predicate="intersects")
    rows: list[dict[str, Any]] = []
    for k, (vid, vgeom) in enumerate(zip(vids, vgeoms, strict=True)):
        cand = np.sort(tp[qv == k])
        if len(cand) == 0:
            continue
        rows += _village_gaps(k, vid, vgeom, cand, geoms, ids, min_area_m2=min_area_m2, max_gap_m2=max_gap_m2,
                              width=width, share=share)
    columns = ["village_id", "kind", "gap_m2", "width_m", "parcel_ids", "geometry"]
    if not rows:
        return gpd.GeoDataFrame(
            {c: [] for c in columns[:-1]},
            geometry=gpd.GeoSeries([], crs=parcels.crs),
            crs=parcels.crs,
        ).astype({"gap_m2": float, "width_m": float})
    df = pd.DataFrame(rows).sort_values(
        ["_v", "kind", "_y", "_x"], ascending=[True, True, False, True]
    )
    return gpd.GeoDataFrame(
        df[columns].reset_index(drop=True), geometry="geometry", crs=parcels.crs
    )


# -- village boundaries ----------------------------------------------------------------
def outside_village(
    parcels: GeoDataFrame,
    villages: GeoDataFrame,
    *,
    min_area_m2: float = 0.01,
    id_column: str = "parcel_id",
    village_id_column: str = "village_id",
) -> GeoDataFrame:
    """Find parcels lying outside, or crossing, the boundary of their own village.

    Each parcel is compared with the village named in its ``village_id``. Parcels
    whose ``village_id`` is empty or not in *villages* are skipped (``landuse check``
    reports them as ``PARCEL_UNKNOWN_VILLAGE``).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels with *id_column* and *village_id_column*, projected CRS.
    villages : geopandas.GeoDataFrame
        Village territories with a unique *village_id_column*, same CRS.
    min_area_m2 : float, default 0.01
        Smallest area outside the village that counts. [m²]
    id_column, village_id_column : str
        Id columns.

    Returns
    -------
    geopandas.GeoDataFrame
        The offending parcels (index taken from *parcels*), with ``parcel_id``,
        ``village_id``, ``area_m2`` (the parcel's area [m²]), ``area_outside_m2``
        [m²], ``share_outside`` (``area_outside_m2 / area_m2`` [-]), ``kind``
        (``"outside"`` when at least 99.9 % lies outside, else ``"crossing"``), and
        the part outside the village as geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B"], "village_id": ["V1", "V1"]},
    ...     geometry=[box(0, 0, 100, 100), box(150, 0, 250, 100)], crs="EPSG:32647")
    >>> v = gpd.GeoDataFrame({"village_id": ["V1"]}, geometry=[box(0, 0, 200, 100)],
    ...     crs="EPSG:32647")
    >>> outside_village(p, v)[["parcel_id", "area_outside_m2", "share_outside", "kind"]]
      parcel_id  area_outside_m2  share_outside      kind
    1         B           5000.0            0.5  crossing
    """
    import geopandas as gpd

    name = check_parcels(parcels, id_column=id_column)
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    _validate.require_columns(parcels, [village_id_column], layer=name)
    _validate.require_geodataframe(villages, layer="villages")
    vname = _validate.layer_name(villages, "villages")
    _validate.require_projected(villages, layer=vname)
    _validate.require_same_crs({"parcels": parcels, "villages": villages})
    _validate.require_columns(villages, [village_id_column], layer=vname)
    _validate.require_unique(villages, village_id_column, layer=vname)
    _validate.require_geom_types(villages, _POLYGONAL, layer=vname, id_column=village_id_column)
    _validate.require_valid_geometries(villages, layer=vname, id_column=village_id_column)
    min_area_m2 = _check_min(min_area_m2, name="min_area_m2")

    vgeom_by_id = dict(
        zip(
            villages[village_id_column].astype(str),
            np.asarray(villages.geometry.array, dtype=object),
            strict=True,
        )
    )
    pv = parcels[village_id_column].to_numpy(dtype=object)
    known = np.array([v is not None and str(v) in vgeom_by_id for v in pv], dtype=bool)
    pos = np.flatnonzero(known)
    own = np.array([vgeom_by_id[str(pv[i])] for i in pos], dtype=object)
    shapely.prepare(own)
    inside = shapely.covers(own, geoms[pos])
    pos, own = pos[~inside], own[~inside]
    out_geom = _polygonal(shapely.difference(geoms[pos], own))
    out_area = shapely.area(out_geom)
    area = shapely.area(geoms[pos])
    keep = (out_area >= min_area_m2) & (out_area > 0)
    pos, out_geom, out_area, area = pos[keep], out_geom[keep], out_area[keep], area[keep]
    share = out_area / area
    return gpd.GeoDataFrame(
        {
            "parcel_id": _ids(parcels, id_column)[pos],
            "village_id": pv[pos],
            "area_m2": area,
            "area_outside_m2": out_area,
            "share_outside": share,
            "kind": np.where(share >= 0.999, "outside", "crossing"),
        },
        geometry=gpd.array.from_shapely(out_geom, crs=parcels.crs),
        index=parcels.index[pos],
        crs=parcels.crs,
    )


# -- adjacency and neighbours ----------------------------------------------------------
def adjacency(
    parcels: GeoDataFrame,
    *,
    min_shared_m: float = 1.0,
    tolerance_m: float = 0.0,
    symmetric: bool = False,
    id_column: str = "parcel_id",
) -> pd.DataFrame:
    """List pairs of parcels sharing a boundary at least ``min_shared_m`` long.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        (Multi)Polygons in a projected CRS with a unique *id_column*.
    min_shared_m : float, default 1.0
        Shortest shared boundary that makes two parcels adjacent; parcels meeting
        at a corner share 0 m. [m]
    tolerance_m : float, default 0.0
        Boundaries closer than this count as shared (for layers whose neighbours
        were not snapped). 0 measures the exact common boundary. With a tolerance
        ``t`` the shared length of parcel ``a`` is the length of its boundary within
        ``t`` of ``b``'s boundary; the pair gets the smaller of the two directions. [m]
    symmetric : bool, default False
        If True, list every pair in both directions (``a, b`` and ``b, a``).
    id_column : str, default "parcel_id"

    Returns
    -------
    pandas.DataFrame
        ``parcel_id_a``, ``parcel_id_b``, ``shared_m`` [m]; each pair once in
        canonical order (see the module notes) unless *symmetric*.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 100, 300, 200)],
    ...     crs="EPSG:32647")
    >>> adjacency(p)   # B and C meet at a corner only
      parcel_id_a parcel_id_b  shared_m
    0           A           B     100.0
    """
    check_parcels(parcels, id_column=id_column)
    min_shared_m = _check_min(min_shared_m, name="min_shared_m")
    tolerance_m = _check_min(tolerance_m, name="tolerance_m")
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    ids = _ids(parcels, id_column)
    left, right = _pairs(parcels, geoms, tolerance_m=tolerance_m)
    keep = left < right
    left, right = left[keep], right[keep]
    exact = tolerance_m == 0  # exact lengths need no merging of the parts
    shared = _shared_length(
        _shared(geoms, geoms, left, right, tolerance_m=tolerance_m, merge=not exact),
        tolerance_m=tolerance_m,
    )
    if tolerance_m > 0:
        back = _shared_length(
            _shared(geoms, geoms, right, left, tolerance_m=tolerance_m), tolerance_m=tolerance_m
        )
        shared = np.minimum(shared, back)
    keep = (shared >= min_shared_m) & (shared > 0)
    left, right, shared = left[keep], right[keep], shared[keep]
    order = np.lexsort((right, left))
    left, right, shared = left[order], right[order], shared[order]
    out = pd.DataFrame({"parcel_id_a": ids[left], "parcel_id_b": ids[right], "shared_m": shared})
    if symmetric:
        back = pd.DataFrame(
            {"parcel_id_a": ids[right], "parcel_id_b": ids[left], "shared_m": shared}
        )
        pos = np.concatenate([left, right])
        other = np.concatenate([right, left])
        out = (
            pd.concat([out, back], ignore_index=True)
            .iloc[np.lexsort((other, pos))]
            .reset_index(drop=True)
        )
    return out


def _parcel_labels(parcels: pd.DataFrame, ids: np.ndarray, label_column: str | None) -> np.ndarray:
    """Text naming each parcel as a neighbour: its *label_column* when filled, else its id."""
    if label_column is not None:
        _validate.require_columns(
            parcels, [label_column], layer=_validate.layer_name(parcels, "parcels")
        )
    labels = ids.copy()
    if label_column is not None:
        raw = parcels[label_column].to_numpy(dtype=object)
        has = (
            pd.notna(raw) & (pd.Series(raw, dtype=object).astype(str).str.strip() != "").to_numpy()
        )
        labels = np.where(has, raw, ids)
    labels = np.array([str(v) for v in labels], dtype=object)
    return labels


def _other_borders(parcels: pd.DataFrame, others: pd.DataFrame, geoms: np.ndarray, *, others_label_column: str,
                   tolerance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parcels touching features of *others* (streams, roads, forest): parcel positions, shared
    lines and the features' labels."""
    _validate.require_geodataframe(others, layer="others")
    oname = _validate.layer_name(others, "others")
    _validate.require_same_crs({"parcels": parcels, "others": others})
    _validate.require_columns(others, [others_label_column], layer=oname)
    ogeoms = np.asarray(others.geometry.array, dtype=object)
    otypes = shapely.get_type_id(ogeoms)
    bad = ~np.isin(otypes, (1, 2, 3, 5, 6)) & ~shapely.is_empty(ogeoms)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise GeometryError(
            f"{others.geometry.geom_type.iloc[pos]} cannot border a parcel "
            f"({int(bad.sum())} such features); expected lines or polygons",
            source=oname,
            feature_id=f"row {pos + 1}",
            hint="drop point features from others, or buffer them into polygons",
        )
    olabels = np.array(
        [
            str(v) if pd.notna(v) else f"feature {i + 1}"
            for i, v in enumerate(others[others_label_column].to_numpy(dtype=object))
        ],
        dtype=object,
    )
    q, t = _pairs(others, geoms, tolerance_m=tolerance_m)
    return q, _shared(geoms, ogeoms, q, t, tolerance_m=tolerance_m), olabels[t]


def _segment_sides(line_all: np.ndarray, src_all: np.ndarray, geoms: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The straight segments of shared lines: their pair, length [m] and side (0-3, see :data:`SIDES`)."""
    parts, part_pair = shapely.get_parts(line_all, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    same = coord_part[1:] == coord_part[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    seg_pair = part_pair[coord_part[:-1][same]]
    seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    seg_src = src_all[seg_pair]
    centre = shapely.centroid(geoms)
    bounds = shapely.bounds(geoms)
    half_w = np.maximum((bounds[:, 2] - bounds[:, 0]) / 2, 1e-9)
    half_h = np.maximum((bounds[:, 3] - bounds[:, 1]) / 2, 1e-9)
    cx, cy = shapely.get_x(centre), shapely.get_y(centre)
    dx = ((a[:, 0] + b[:, 0]) / 2 - cx[seg_src]) / half_w[seg_src]
    dy = ((a[:, 1] + b[:, 1]) / 2 - cy[seg_src]) / half_h[seg_src]
    side = (np.floor((np.degrees(np.arctan2(dx, dy)) % 360.0 + 45.0) / 90.0).astype(int)) % 4
    return seg_pair, seg_len, side


def _listed_sides(line_all: np.ndarray, seg_pair: np.ndarray, seg_len: np.ndarray, side: np.ndarray, *,
                  min_shared_m: float, tolerance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (pair, side) cells a neighbour is listed on, with the length [m] shared there."""
    n_pairs = len(line_all)
    total = np.bincount(seg_pair * 4 + side, weights=seg_len, minlength=4 * n_pairs).reshape(-1, 4)
    pair_len = _shared_length(line_all, tolerance_m=tolerance_m) if n_pairs else np.zeros(0)
    enough = (pair_len >= min_shared_m) & (pair_len > 0)
    listed = (total >= min_shared_m) & (total > 2 * tolerance_m) & enough[:, None]
    # a neighbour sharing enough in all but on no single side goes to its longest side
    orphan = ~listed.any(axis=1) & enough
    listed[np.flatnonzero(orphan), np.argmax(total[orphan], axis=1)] = True
    pair, side = np.nonzero(listed)
    total = total[pair, side]
    return pair, side, total


def _side_values(n: int, src: np.ndarray, side: np.ndarray, names: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per parcel and side: the neighbours' labels by decreasing shared length, each once."""
    values = np.full((n, 4), None, dtype=object)
    # per (parcel, side): labels by decreasing shared length, each label once
    totals: dict[tuple[int, int], dict[str, float]] = {}
    for s_, d_, n_, l_ in zip(
        src.tolist(),
        side.tolist(),
        names.tolist(),
        total.tolist(),
        strict=True,
    ):
        cell = totals.setdefault((s_, d_), {})
        cell[n_] = cell.get(n_, 0.0) + l_
    for (s_, d_), cell in totals.items():
        values[s_, d_] = ", ".join(sorted(cell, key=lambda n: (-cell[n], n)))
    return values


def neighbours(
    parcels: GeoDataFrame,
    *,
    others: GeoDataFrame | None = None,
    min_shared_m: float = 1.0,
    tolerance_m: float = 0.5,
    id_column: str = "parcel_id",
    label_column: str | None = None,
    others_label_column: str = "label",
) -> pd.DataFrame:
    """Name each parcel's neighbours to the north, east, south and west.

    Land-use certificates list, for each side of the parcel, what it borders:
    other parcels (by holder or number) and features such as a stream, a road, the
    forest or the village boundary.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        (Multi)Polygons in a projected CRS with a unique *id_column*.
    others : geopandas.GeoDataFrame, optional
        Other features in the same CRS: lines (streams, roads) or polygons (forest,
        water, villages), labelled by *others_label_column*. A polygon counts along
        its outline only: a forest polygon beside the parcel borders it, and a
        village polygon borders the parcels along the village boundary (not those
        inside it).
    min_shared_m : float, default 1.0
        Shortest shared boundary that makes a neighbour; corners do not count. [m]
    tolerance_m : float, default 0.5
        Outlines closer than this count as touching (unsnapped neighbours, a stream
        drawn beside the parcel edge). [m]
    id_column : str, default "parcel_id"
    label_column : str, optional
        Column of *parcels* naming a neighbouring parcel on the certificate, e.g. the
        holder's name; a neighbour with an empty label is named by its id.
    others_label_column : str, default "label"
        Column of *others* naming each feature.

    Returns
    -------
    pandas.DataFrame
        Indexed like *parcels*, with columns ``north``, ``east``, ``south``,
        ``west``: the labels of the neighbours on that side, joined by ``", "``
        and ordered by decreasing shared length on that side (each label once), or
        None when the side borders nothing.

    Notes
    -----
    For parcel ``p`` and neighbour ``q`` the shared boundary ``s`` is the part of
    ``p``'s outline within ``tolerance_m`` (``t``) of ``q``'s outline. The side is
    decided by the direction from the centroid ``c`` of ``p`` to the midpoint ``m`` of
    the shared boundary, measured after scaling by the half-width ``w`` and
    half-height ``h`` of ``p``'s bounding box,

    .. math:: \\theta = \\operatorname{atan2}\\left(\\frac{m_x - c_x}{w},\\;
              \\frac{m_y - c_y}{h}\\right) \\bmod 360°

    clockwise from grid north: north ``[315°, 45°)``, east ``[45°, 135°)``, south
    ``[135°, 225°)``, west ``[225°, 315°)`` (see :data:`SIDES`). For a square this is
    the plain bearing; the scaling puts the sector borders through the corners of the
    bounding box, so all of the north edge of a long east-west parcel is north (the
    plain bearing would call its ends east and west).

    The shared boundary is taken straight segment by straight segment (``m`` is the
    midpoint of each segment), so a neighbour that wraps around a corner of ``p`` (a
    road along two sides, the village boundary at a corner parcel) is listed on every
    side where it shares at least ``min_shared_m``; one that shares that much only
    in total is listed on the side where it shares most. A side also needs more than
    ``2t``, and the total is counted as ``length - 2t`` per connected part: the outline
    of ``p`` runs up to ``t`` past each end of a common boundary, around ``p``'s
    corners, and those stubs must not make parcels that meet at a corner into
    neighbours.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box, LineString
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"], "holder": ["Bounmy", None, "Khamla"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 100, 200)],
    ...     crs="EPSG:32647")
    >>> stream = gpd.GeoDataFrame({"label": ["stream"]},
    ...     geometry=[LineString([(0, -2), (200, -2)])], crs="EPSG:32647")
    >>> neighbours(p, others=stream, label_column="holder", tolerance_m=3).loc[0]
    north    Khamla
    east          B
    south    stream
    west       None
    Name: 0, dtype: object
    """
    check_parcels(parcels, id_column=id_column)
    min_shared_m = _check_min(min_shared_m, name="min_shared_m")
    tolerance_m = _check_min(tolerance_m, name="tolerance_m")
    labels = _parcel_labels(parcels, _ids(parcels, id_column), label_column)
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    # parcel-parcel pairs, in both directions (the shared line lies on the first parcel)
    left, right = _pairs(parcels, geoms, tolerance_m=tolerance_m)
    keep = left != right
    src, names = [left[keep]], [labels[right[keep]]]
    lines = [_shared(geoms, geoms, left[keep], right[keep], tolerance_m=tolerance_m)]

    if others is not None:
        q, shared, onames = _other_borders(parcels, others, geoms, others_label_column=others_label_column,
                                           tolerance_m=tolerance_m)
        src, lines, names = [*src, q], [*lines, shared], [*names, onames]
    src_all = np.concatenate(src)
    line_all = np.concatenate(lines) if len(src_all) else np.array([], dtype=object)
    name_all = np.concatenate(names) if len(src_all) else np.array([], dtype=object)
    # split every shared line into its straight segments; each segment goes to the side
    # of its midpoint seen from the parcel's centroid (bearing scaled by the bounding box)
    seg_pair, seg_len, side = _segment_sides(line_all, src_all, geoms)
    # total shared length per (pair, side); a side counts from min_shared_m, and beyond
    # the 2 * tolerance_m stubs that an unsnapped outline adds around the parcel's corners
    pair, side, total = _listed_sides(line_all, seg_pair, seg_len, side, min_shared_m=min_shared_m,
                                      tolerance_m=tolerance_m)

    values = _side_values(len(parcels), src_all[pair], side, name_all[pair], total)
    return pd.DataFrame(values, index=parcels.index, columns=list(SIDES), dtype=object)
