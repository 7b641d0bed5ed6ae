"""GPS boundary walks (GPX, KML, GeoJSON) to village polygons, with a repair report.

A district team walks a village boundary with the neighbours' representatives and a
hand-held GPS. The track comes back with the defects of every field recording: noise
of a few metres, clusters of points where the team stopped to talk, spikes when the
receiver lost the sky under forest, a missing closing stretch (the battery died or the
last kilometre was "obvious"), and loops where the noisy line crosses itself. This
module turns such a walk into one village polygon in the UTM zone and reports every
change it made, so that the district can see what was repaired and how much.

Steps, in order (each one reported):

1. read the points in walking order (GPX track points, else route points, else
   waypoints; KML ``LineString``/``Polygon``/``Point`` coordinates; GeoJSON
   ``LineString``/``Polygon``/``Point`` features);
2. project to the UTM zone of the walk (:func:`landuse.crs.utm_crs_for`);
3. remove stops: a point closer than ``stop_radius_m`` to the last kept point;
4. remove spikes: a point far from both neighbours (``> spike_m``) whose neighbours
   are close to each other (the walk went out and came straight back), repeated until
   none is left;
5. close the ring (the closing gap is reported, and flagged when it is longer than
   ``max_closure_gap_m``);
6. repair self-intersections (:func:`shapely.make_valid`), keeping the largest part
   and reporting the area of every dropped loop;
7. simplify to ``simplify_m`` (Douglas-Peucker, topology preserved);
8. across villages, snap stretches walked jointly with a neighbour
   (:func:`snap_neighbours`): slivers of overlap or gap narrower than
   ``2 x snap_m`` are given to the village processed first, so that the two villages
   share one line; wider strips are left alone for the boundary register.

References
----------
.. [1] Douglas, D. H. and Peucker, T. K. (1973). Algorithms for the reduction of the
   number of points required to represent a digitized line or its caricature.
   *Cartographica* 10(2), 112-122.
.. [2] Topografix, *GPX 1.1 Schema Documentation*, https://www.topografix.com/GPX/1/1/
.. [3] OGC 07-147r2, *OGC KML* 2.2 (``coordinates`` are ``lon,lat[,alt]`` tuples).
"""

from __future__ import annotations

import json
import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.crs import require_projected, utm_crs_for
from landuse.errors import DataReadError, GeometryError, LanduseError, SchemaError

__all__ = [
    "REPORT_COLUMNS",
    "WalkResult",
    "import_walks",
    "read_walk",
    "snap_neighbours",
    "walk_to_polygon",
]

#: Columns of the repair report (one row per walk and step).
REPORT_COLUMNS = ("village_id", "source", "step", "count", "value", "unit", "message")

_KML_NS = "{http://www.opengis.net/kml/2.2}"


@dataclass(frozen=True)
class WalkResult:
    """Village polygons from boundary walks and the report of every repair.

    Attributes
    ----------
    villages : geopandas.GeoDataFrame
        One polygon per village (``village_id``, ``name_en``, ``name_lo``,
        ``perimeter_m``, ``closure_gap_m``, ``walk_length_m``, ``source``), in the UTM
        zone of the walks.
    report : pandas.DataFrame
        One row per repair (:data:`REPORT_COLUMNS`).
    """

    villages: Any
    report: pd.DataFrame = field(repr=False)


# -- reading ------------------------------------------------------------------------------
def _points_frame(lon: list[float], lat: list[float], src: str, name: str | None) -> pd.DataFrame:
    df = pd.DataFrame({"lon": np.asarray(lon, float), "lat": np.asarray(lat, float)})
    df.attrs["source"] = src
    df.attrs["name"] = name
    return df


def _read_gpx(path: Path) -> pd.DataFrame:
    """Track points (else route points, else waypoints) of a GPX 1.0/1.1 file.

    Parsed with :mod:`xml.etree.ElementTree` (expat; entity expansion is limited), about
    ten times faster than a full GPX object model for the one thing needed here.
    """
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DataReadError(f"not a readable GPX file ({exc})", source=str(path),
                            hint="export the track again from the GPS as GPX 1.1") from exc
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag != f"{ns}gpx":
        raise DataReadError(f"not a GPX file (root element {root.tag!r})", source=str(path),
                            hint="export the track again from the GPS as GPX 1.1")
    name = None
    for parent, child in ((f"{ns}trk", f".//{ns}trkpt"), (f"{ns}rte", f".//{ns}rtept"), (None, f"{ns}wpt")):
        holders = root.findall(parent) if parent else [root]
        pts = [p for h in holders for p in h.findall(child)]
        if pts:
            if parent:
                el = holders[0].find(f"{ns}name")
                name = el.text.strip() if el is not None and el.text else None
            break
    else:
        pts = []
    try:
        lon = [float(p.get("lon", "nan")) for p in pts]
        lat = [float(p.get("lat", "nan")) for p in pts]
    except ValueError as exc:
        raise DataReadError(f"a point has a coordinate that is not a number ({exc})", source=str(path),
                            hint="export the track again from the GPS") from exc
    if name is None:
        el = root.find(f"{ns}metadata/{ns}name")
        name = el.text.strip() if el is not None and el.text else None
    return _points_frame(lon, lat, path.name, name)


def _kml_coords(text: str) -> tuple[list[float], list[float]]:
    lon, lat = [], []
    for tup in text.split():
        parts = tup.split(",")
        if len(parts) >= 2:
            lon.append(float(parts[0]))
            lat.append(float(parts[1]))
    return lon, lat


def _read_kml(path: Path) -> pd.DataFrame:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DataReadError(f"not a readable KML file ({exc})", source=str(path),
                            hint="export the walk again as KML 2.2 (not KMZ)") from exc
    ns = _KML_NS if root.tag.startswith(_KML_NS) else ""
    name_el = root.find(f".//{ns}Placemark/{ns}name")
    lon: list[float] = []
    lat: list[float] = []
    for tag in ("LineString", "LinearRing", "Point"):
        for el in root.iter(f"{ns}{tag}"):
            c = el.find(f"{ns}coordinates")
            if c is not None and c.text:
                a, b = _kml_coords(c.text)
                lon += a
                lat += b
        if lon and tag != "Point":
            break
    return _points_frame(lon, lat, path.name, name_el.text.strip() if name_el is not None and name_el.text else None)


def _read_geojson(path: Path) -> pd.DataFrame:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise DataReadError(f"not a readable GeoJSON file ({exc})", source=str(path),
                            hint="save the walk as GeoJSON (RFC 7946, lon/lat)") from exc
    feats = data.get("features", [data]) if isinstance(data, dict) else []
    lon: list[float] = []
    lat: list[float] = []
    name = None
    points: list[tuple[float, float]] = []
    for f in feats:
        geom = f.get("geometry", f) if isinstance(f, dict) else None
        if not isinstance(geom, dict):
            continue
        props = f.get("properties") or {}
        name = name or props.get("name")
        c: Any
        t, c = geom.get("type"), geom.get("coordinates")
        if t == "LineString":
            lon += [p[0] for p in c]
            lat += [p[1] for p in c]
        elif t == "MultiLineString":
            for line in c:
                lon += [p[0] for p in line]
                lat += [p[1] for p in line]
        elif t == "Polygon":
            lon += [p[0] for p in c[0]]
            lat += [p[1] for p in c[0]]
        elif t == "Point":
            points.append((c[0], c[1]))
    if not lon and points:
        lon, lat = [p[0] for p in points], [p[1] for p in points]
    return _points_frame(lon, lat, path.name, name)


def read_walk(path: str | os.PathLike) -> pd.DataFrame:
    """Read the points of one boundary walk, in walking order.

    Parameters
    ----------
    path : path-like
        A GPX (tracks, else routes, else waypoints), KML or GeoJSON file in WGS 84.

    Returns
    -------
    pandas.DataFrame
        Columns ``lon`` and ``lat`` [degrees]; ``attrs["name"]`` holds the track or
        placemark name when the file has one.

    Raises
    ------
    DataReadError
        When the file is missing, unreadable, of another type, or has no points.
    """
    path = Path(path)
    if not path.is_file():
        raise DataReadError("the walk file does not exist", source=str(path), hint="check the path")
    suffix = path.suffix.lower()
    readers = {".gpx": _read_gpx, ".kml": _read_kml, ".geojson": _read_geojson, ".json": _read_geojson}
    if suffix not in readers:
        raise DataReadError(f"unsupported walk file type {path.suffix!r}", source=str(path),
                            hint="give a .gpx, .kml or .geojson file")
    df = readers[suffix](path)
    bad = ~(np.isfinite(df["lon"]) & np.isfinite(df["lat"]) & df["lon"].between(-180, 180)
            & df["lat"].between(-90, 90))
    df.attrs["invalid_points"] = int(bad.sum())
    if bad.any():
        attrs = dict(df.attrs)
        df = df.loc[~bad].reset_index(drop=True)
        df.attrs.update(attrs)
    if len(df) < 3:
        raise DataReadError(f"the walk has {len(df)} usable point(s); a boundary needs at least 3",
                            source=str(path), hint="check that the GPS recorded a track (not only a waypoint)")
    return df


# -- repairing one walk -------------------------------------------------------------------
def _remove_stops(xy: np.ndarray, radius_m: float) -> np.ndarray:
    keep = [0]
    last = xy[0]
    for i in range(1, len(xy)):
        if math.hypot(xy[i, 0] - last[0], xy[i, 1] - last[1]) >= radius_m:
            keep.append(i)
            last = xy[i]
    return np.asarray(keep)


def _remove_spikes(xy: np.ndarray, spike_m: float) -> tuple[np.ndarray, int]:
    removed = 0
    while len(xy) > 3:
        prev = np.roll(xy, 1, axis=0)
        nxt = np.roll(xy, -1, axis=0)
        d_in = np.hypot(*(xy - prev).T)
        d_out = np.hypot(*(nxt - xy).T)
        d_skip = np.hypot(*(nxt - prev).T)
        spike = (d_in > spike_m) & (d_out > spike_m) & (d_skip < 0.5 * np.minimum(d_in, d_out))
        if not spike.any():
            break
        # remove only the worst spike of every run, so that two consecutive spikes are judged again
        idx = np.flatnonzero(spike)
        score = np.minimum(d_in, d_out)[idx]
        drop = set()
        for i in idx[np.argsort(-score, kind="stable")]:
            if (i - 1) % len(xy) not in drop and (i + 1) % len(xy) not in drop:
                drop.add(int(i))
        xy = np.delete(xy, sorted(drop), axis=0)
        removed += len(drop)
    return xy, removed


def walk_to_polygon(xy_m: Any, *, stop_radius_m: float = 5.0, spike_m: float = 60.0,
                    simplify_m: float = 2.0, max_closure_gap_m: float = 500.0) -> tuple[Any, list[dict[str, Any]]]:
    """Turn the projected points of one walk into a valid polygon.

    Parameters
    ----------
    xy_m : array-like of shape (n, 2)
        Walk points in walking order, in a projected CRS. [m]
    stop_radius_m : float, default 5.0
        A point closer than this to the last kept point is a stop and is removed. [m]
    spike_m : float, default 60.0
        A point farther than this from both neighbours, whose neighbours are less than
        half that far apart, is a spike and is removed. [m]
    simplify_m : float, default 2.0
        Douglas-Peucker tolerance [1]_; 0 keeps every vertex. [m]
    max_closure_gap_m : float, default 500.0
        A longer gap between the last and the first point is closed but reported as
        a warning (the closing stretch was not walked). [m]

    Returns
    -------
    shapely.Polygon
        The repaired village polygon.
    list of dict
        One entry per step: ``step``, ``count``, ``value``, ``unit``, ``message``.

    Notes
    -----
    The closing gap is :math:`g = \\lVert p_n - p_1 \\rVert`; the walked length is
    :math:`L = \\sum_{i=1}^{n-1} \\lVert p_{i+1} - p_i \\rVert` over the points left
    after stops and spikes were removed.

    References
    ----------
    .. [1] Douglas and Peucker (1973), *Cartographica* 10(2), 112-122.

    Examples
    --------
    A 100 m square walked with a stop at a corner and one spike:

    >>> pts = [(0, 0), (1, 1), (0, 1), (50, 0), (100, 0), (300, 310), (100, 100), (0, 100)]
    >>> poly, steps = walk_to_polygon(pts)
    >>> round(poly.area)
    10000
    >>> [s["step"] for s in steps if s["count"]]
    ['stops', 'spikes', 'closure', 'simplify']
    """
    import shapely
    from shapely.geometry import Polygon

    xy = np.asarray(xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise GeometryError("walk points must be an (n, 2) array of x, y in metres")
    steps: list[dict[str, Any]] = []

    def note(step: str, count: int, value: float, unit: str, message: str) -> None:
        steps.append({"step": step, "count": int(count), "value": float(value), "unit": unit, "message": message})

    n0 = len(xy)
    # the closing point duplicated at the end is not a stop
    if n0 > 1 and np.allclose(xy[0], xy[-1]):
        xy = xy[:-1]
    keep = _remove_stops(xy, stop_radius_m)
    note("stops", len(xy) - len(keep), stop_radius_m, "m",
         f"{len(xy) - len(keep)} point(s) within {stop_radius_m:g} m of the previous one removed (stops, jitter)")
    xy = xy[keep]
    xy, n_spikes = _remove_spikes(xy, spike_m)
    note("spikes", n_spikes, spike_m, "m", f"{n_spikes} GPS spike(s) removed (out and back by more than {spike_m:g} m)")
    if len(xy) < 3:
        raise GeometryError(f"only {len(xy)} point(s) remain after removing stops and spikes",
                            hint="walk the whole boundary, or lower stop_radius_m / raise spike_m")
    length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    gap = float(math.hypot(*(xy[-1] - xy[0])))
    note("length", 0, length, "m", f"walked length {length:,.0f} m from {n0} recorded point(s)")
    if gap > stop_radius_m:
        sev = (f" (longer than {max_closure_gap_m:g} m: the closing stretch was not walked; check it on the ground)"
                              if gap > max_closure_gap_m else "")
        note("closure", 1, gap, "m", f"ring closed with a straight {gap:,.1f} m segment{sev}")
    else:
        note("closure", 0, gap, "m", f"walk ends {gap:,.1f} m from its start")
    ring = Polygon(xy)
    poly = ring
    if not ring.is_valid:
        fixed = shapely.make_valid(ring)
        parts = sorted(shapely.get_parts(shapely.get_parts(fixed)), key=lambda g: -g.area)
        parts = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
        if not parts:
            raise GeometryError("the walk encloses no area", hint="check that the track goes around the village")
        merged = shapely.union_all(parts)
        if merged.geom_type == "Polygon":
            poly = merged
            dropped = 0.0
            n_loops = 0
        else:
            big = sorted(shapely.get_parts(merged), key=lambda g: -g.area)
            poly = big[0]
            dropped = float(sum(g.area for g in big[1:]))
            n_loops = len(big) - 1
        note("self_intersections", 1 + n_loops, dropped, "m2",
             f"self-intersecting ring repaired; {n_loops} detached loop(s) of {dropped:,.1f} m² dropped")
    else:
        note("self_intersections", 0, 0.0, "m2", "ring is simple")
    if simplify_m > 0:
        before = len(poly.exterior.coords) - 1
        s = poly.simplify(simplify_m, preserve_topology=True)
        if s.geom_type == "Polygon" and not s.is_empty:
            poly = s
        after = len(poly.exterior.coords) - 1
        note("simplify", before - after, simplify_m, "m",
             f"simplified to {simplify_m:g} m: {before} -> {after} vertices")
    poly = shapely.orient_polygons(poly) if hasattr(shapely, "orient_polygons") else poly
    return poly, steps


# -- neighbours -----------------------------------------------------------------------------
def snap_neighbours(villages: Any, *, snap_m: float = 15.0, id_column: str = "village_id") -> tuple[Any, list[dict]]:
    """Make stretches walked jointly by two neighbours one shared line.

    Villages are taken in ``id_column`` order; for each pair of neighbours, the later
    village loses the parts of the overlap narrower than :math:`2 s` (``s = snap_m``)
    and gains the parts of the gap narrower than :math:`2 s` that touch both, so both
    follow the earlier village's line there. Overlaps and gaps wider than that are
    left for the boundary register (:mod:`landuse.field.boundaries`).

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village polygons in a projected CRS.
    snap_m : float, default 15.0
        Half the width of a discrepancy that is treated as GPS noise. [m]
    id_column : str, default "village_id"

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with snapped geometries.
    list of dict
        One entry per snapped pair: ``village_id``, ``neighbour``, ``removed_m2``,
        ``added_m2``.

    Notes
    -----
    Narrow parts of an overlap :math:`O = A \\cap B` are :math:`O \\setminus
    ((O \\ominus s) \\oplus s)` (morphological opening); narrow gaps are
    :math:`((A \\cup B) \\oplus s \\ominus s) \\setminus (A \\cup B)` (closing),
    with :math:`\\oplus`/:math:`\\ominus` buffers by :math:`s`.
    """
    import shapely

    require_projected(villages, layer="villages")
    out = villages.copy()
    order = sorted(range(len(out)), key=lambda i: str(out[id_column].iloc[i]))
    rank = {j: k for k, j in enumerate(order)}
    geoms = list(out.geometry.values)
    ids = [str(v) for v in out[id_column]]
    tree = shapely.STRtree(geoms)  # on the input geometries; snapping moves lines by < snap_m
    notes: list[dict] = []
    for k, j in enumerate(order):
        b = geoms[j]
        near = sorted((int(i) for i in tree.query(b, predicate="dwithin", distance=3 * snap_m) if int(i) != j),
                      key=rank.__getitem__)
        for i in near:
            if rank[i] > k:
                continue
            a = geoms[i]
            removed = added = 0.0
            ov = a.intersection(b)
            if ov.area > 0:
                opened = ov.buffer(-snap_m).buffer(snap_m)
                narrow = ov.difference(opened)
                if narrow.area > 0:
                    b = _largest_polygon(shapely.make_valid(b.difference(narrow)))
                    removed = narrow.area
            # close the union only around the stretch where the two lines run within 2 s
            # (a window 4 s wider; pieces cut by the window's edge are not gaps between lines)
            coords = shapely.get_coordinates(b.exterior)
            shapely.prepare(a)
            near = shapely.dwithin(shapely.points(coords), a, 2 * snap_m)
            if not near.any():
                b = _largest_polygon(shapely.make_valid(b))
                if removed:
                    notes.append({"village_id": ids[j], "neighbour": ids[i], "removed_m2": removed, "added_m2": 0.0})
                continue
            (x0, y0), (x1, y1) = coords[near].min(axis=0), coords[near].max(axis=0)
            window = shapely.box(x0 - 4 * snap_m, y0 - 4 * snap_m, x1 + 4 * snap_m, y1 + 4 * snap_m)
            union = shapely.union_all([a.intersection(window), b.intersection(window)])
            closed = union.buffer(snap_m, join_style="mitre").buffer(-snap_m, join_style="mitre")
            gap = closed.difference(union)
            parts = shapely.get_parts(gap)
            parts = parts[(shapely.area(parts) > 0) & ~shapely.intersects(parts, window.exterior)]
            # a narrow gap piece between the two lines touches both outlines
            parts = parts[shapely.dwithin(parts, a.boundary, 0.01) & shapely.dwithin(parts, b.boundary, 0.01)]
            pieces = list(parts)
            if pieces:
                fill = shapely.union_all(pieces)
                others = [geoms[m] for m in tree.query(fill, predicate="intersects") if int(m) not in (i, j)]
                if others:
                    fill = fill.difference(shapely.union_all(others))
                b = shapely.union_all([b, fill])
                added = fill.area
            b = _largest_polygon(shapely.make_valid(b))
            if removed or added:
                notes.append({"village_id": ids[j], "neighbour": ids[i], "removed_m2": removed, "added_m2": added})
        geoms[j] = b
    out = out.set_geometry(geoms, crs=villages.crs)
    return out, notes


def _largest_polygon(g: Any) -> Any:
    import shapely

    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    if not parts:
        parts = [p for q in shapely.get_parts(g) for p in shapely.get_parts(q) if p.geom_type == "Polygon"]
    return max(parts, key=lambda p: p.area) if len(parts) > 1 else parts[0]


# -- many walks -----------------------------------------------------------------------------
def _village_meta(path: Path, df: pd.DataFrame, attributes: pd.DataFrame | None) -> dict[str, str]:
    vid = path.stem
    meta = {"village_id": vid, "name_en": df.attrs.get("name") or vid, "name_lo": df.attrs.get("name") or vid}
    if attributes is not None:
        hit = attributes.loc[attributes["source"].astype(str) == path.name] if "source" in attributes else attributes.iloc[0:0]
        if hit.empty:
            hit = attributes.loc[attributes["village_id"].astype(str) == vid]
        if not hit.empty:
            row = hit.iloc[0]
            for col in ("village_id", "name_en", "name_lo", "district_en", "district_lo"):
                if col in attributes and pd.notna(row[col]) and str(row[col]).strip():
                    meta[col] = str(row[col]).strip()
    return meta


def import_walks(paths: Any, *, attributes: pd.DataFrame | None = None, crs: Any = None,
                 stop_radius_m: float = 5.0, spike_m: float = 60.0, simplify_m: float = 2.0,
                 snap_m: float = 15.0, max_closure_gap_m: float = 500.0) -> WalkResult:
    """Import boundary walks as a contract-valid villages layer with a repair report.

    Parameters
    ----------
    paths : sequence of path-like
        One GPX, KML or GeoJSON file per village.
    attributes : pandas.DataFrame, optional
        Village attributes: ``village_id``, ``name_en``, ``name_lo`` (and optionally
        ``district_en``, ``district_lo``), matched by a ``source`` column holding the
        walk's file name, else by ``village_id`` = the file's stem. Without it the id
        is the file stem and the names are the track name.
    crs : optional
        Projected CRS of the output; default the UTM zone of the first walk.
    stop_radius_m, spike_m, simplify_m, max_closure_gap_m : float
        See :func:`walk_to_polygon`. [m]
    snap_m : float, default 15.0
        See :func:`snap_neighbours`; 0 switches snapping off. [m]

    Returns
    -------
    WalkResult

    Raises
    ------
    DataReadError, GeometryError
        Naming the walk file.
    SchemaError
        When two walks give the same village id.
    """
    import geopandas as gpd
    from pyproj import CRS, Transformer


    paths = [Path(p) for p in paths]
    if not paths:
        raise DataReadError("no walk files given", hint="give one GPX, KML or GeoJSON file per village")
    walks = [read_walk(p) for p in paths]
    if crs is None:
        crs = utm_crs_for(float(walks[0]["lon"].mean()), float(walks[0]["lat"].mean()))
    crs = CRS.from_user_input(crs)
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    rows: list[dict[str, Any]] = []
    report: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for path, df in zip(paths, walks):
        meta = _village_meta(path, df, attributes)
        vid = meta["village_id"]
        if vid in seen:
            raise SchemaError(f"village id {vid!r} comes from two walks ({seen[vid]} and {path.name})",
                              source=str(path), column="village_id",
                              hint="name each walk file after its village, or give an attributes table")
        seen[vid] = path.name
        x, y = tr.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
        if df.attrs.get("invalid_points"):
            report.append({"village_id": vid, "source": path.name, "step": "invalid_points",
                           "count": df.attrs["invalid_points"], "value": 0.0, "unit": "",
                           "message": f"{df.attrs['invalid_points']} point(s) without valid coordinates skipped"})
        try:
            poly, steps = walk_to_polygon(np.column_stack([x, y]), stop_radius_m=stop_radius_m, spike_m=spike_m,
                                          simplify_m=simplify_m, max_closure_gap_m=max_closure_gap_m)
        except LanduseError as exc:
            raise GeometryError(exc.message, source=str(path), hint=exc.hint) from exc
        for s in steps:
            report.append({"village_id": vid, "source": path.name, **s})
        st = {s["step"]: s for s in steps}
        rows.append({**meta, "walk_length_m": st["length"]["value"], "closure_gap_m": st["closure"]["value"],
                     "source": path.name, "geometry": poly})
    cols = ["village_id", "name_en", "name_lo", "district_en", "district_lo", "perimeter_m", "area_ha",
            "walk_length_m", "closure_gap_m", "source", "geometry"]
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    if snap_m > 0 and len(gdf) > 1:
        gdf, notes = snap_neighbours(gdf, snap_m=snap_m)
        src = dict(zip(gdf["village_id"], gdf["source"]))
        for n in notes:
            report.append({"village_id": n["village_id"], "source": src[n["village_id"]], "step": "snap",
                           "count": 1, "value": n["removed_m2"] + n["added_m2"], "unit": "m2",
                           "message": (f"snapped to the shared line with {n['neighbour']}: "
                                       f"{n['removed_m2']:,.0f} m² of overlap removed, "
                                       f"{n['added_m2']:,.0f} m² of gap filled")})
    gdf["perimeter_m"] = gdf.geometry.length.round(2)
    gdf["area_ha"] = (gdf.geometry.area / 1e4).round(4)
    for c in ("district_en", "district_lo"):
        if c not in gdf:
            gdf[c] = ""
    gdf = gdf[cols].sort_values("village_id", kind="stable").reset_index(drop=True)
    rep = pd.DataFrame(report, columns=list(REPORT_COLUMNS))
    return WalkResult(villages=gdf, report=rep)
