"""The inter-village boundary register: overlaps and gaps between neighbours.

Each village claims a territory (from its boundary walk). Where two claims overlap,
or leave a strip between them that nobody claims, the district must settle it with
both villages. :func:`find_conflicts` finds these strips with their area, the length
of boundary they concern and the two villages; :func:`update_register` merges them
into a register that keeps each conflict's id, status (``open``, ``agreed``,
``referred`` to the district), resolution and history across re-runs, so that an
agreement recorded today is not lost when the walks are imported again tomorrow.
:func:`shared_boundaries` gives the line each pair of neighbours shares, for the
boundary agreement sheet.

A conflict's id is derived from its kind, its two villages and its geometry rounded
to 1 m (``BC-`` and 10 hex digits), so the same claims give the same ids; when the
geometry changes (a re-walked boundary), the new conflict inherits the id of the
register's conflict of the same kind and pair that it overlaps most.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from typing import Any

from landuse.crs import require_projected
from landuse.errors import SchemaError

__all__ = ["CONFLICT_KINDS", "REGISTER_COLUMNS", "STATUSES", "find_conflicts", "set_status",
           "shared_boundaries", "update_register"]

#: Conflict kinds.
CONFLICT_KINDS = ("overlap", "gap")
#: Register statuses.
STATUSES = ("open", "agreed", "referred")
#: Register columns (the GeoPackage layer adds the geometry).
REGISTER_COLUMNS = ("conflict_id", "kind", "village_a", "village_b", "area_m2", "length_m", "status",
                    "resolution", "present", "first_seen", "last_seen", "history")


def _check(villages: Any, id_column: str) -> None:
    if id_column not in villages.columns:
        raise SchemaError(f"the villages have no {id_column!r} column", column=id_column,
                          hint="import the walks with landuse import walks, or name the id column")
    require_projected(villages, layer="villages")
    ids = villages[id_column].astype(str)
    if ids.duplicated().any():
        raise SchemaError(f"village id {ids[ids.duplicated()].iloc[0]!r} appears twice", column=id_column,
                          hint="give every village polygon its own id")


def _conflict_id(kind: str, a: str, b: str, geom: Any) -> str:
    import shapely

    g = shapely.set_precision(geom, 1.0)
    h = hashlib.sha256(f"{kind}\x1f{a}\x1f{b}\x1f".encode() + shapely.to_wkb(g, output_dimension=2)).hexdigest()
    return "BC-" + h[:10].upper()


def find_conflicts(villages: Any, *, id_column: str = "village_id", min_area_m2: float = 100.0,
                   max_gap_width_m: float = 200.0) -> Any:
    """Overlaps and gaps between neighbouring villages' claimed territories.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Claimed village polygons in a projected CRS.
    id_column : str, default "village_id"
    min_area_m2 : float, default 100.0
        Smaller pieces are not reported (GPS noise). [m²]
    max_gap_width_m : float, default 200.0
        A strip between two villages narrower than this is a gap between them; wider
        unclaimed land is outside both (e.g. state forest). [m]

    Returns
    -------
    geopandas.GeoDataFrame
        One row per piece: ``conflict_id``, ``kind``, ``village_a`` < ``village_b``,
        ``area_m2``, ``length_m`` (length of the piece's outline along the two
        villages' claimed boundaries, halved: the length of disputed boundary),
        geometry.

    Notes
    -----
    Overlaps are the parts of :math:`A \\cap B`; gaps are the parts of
    :math:`((A \\cup B) \\oplus w \\ominus w) \\setminus \\bigcup V` touching both
    :math:`A` and :math:`B`, where :math:`w = ` ``max_gap_width_m`` / 2 and
    :math:`\\oplus`/:math:`\\ominus` are buffers (morphological closing), and the
    holes of :math:`\\bigcup V` bordered by exactly the two villages. Pairs are
    taken in id order and a gap bordering three villages goes to the first pair only,
    so that gap areas add up to the unclaimed area.
    """
    import geopandas as gpd
    import shapely

    _check(villages, id_column)
    ids = villages[id_column].astype(str).to_numpy()
    geoms = shapely.make_valid(villages.geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    w = max_gap_width_m / 2.0
    left, right = tree.query(geoms, predicate="dwithin", distance=max_gap_width_m)
    pairs = sorted({(min(i, j, key=lambda k: ids[k]), max(i, j, key=lambda k: ids[k]))
                    for i, j in zip(left.tolist(), right.tolist()) if i != j})
    rows: list[dict[str, Any]] = []
    all_union = shapely.union_all(geoms)
    claimed_gaps = None
    for i, j in pairs:
        a, b = geoms[i], geoms[j]
        bnd = shapely.union_all([a.boundary, b.boundary])
        pieces: list[tuple[str, Any]] = []
        ov = a.intersection(b)
        pieces += [("overlap", p) for p in shapely.get_parts(ov) if p.geom_type == "Polygon"]
        union = shapely.union_all([a, b])
        closed = union.buffer(w, join_style="mitre").buffer(-w, join_style="mitre")
        gap = closed.difference(all_union)
        if claimed_gaps is not None:  # a gap bordering three villages is reported once
            gap = gap.difference(claimed_gaps)
        for p in shapely.get_parts(gap):
            if p.geom_type != "Polygon":
                continue
            near = p.buffer(0.01)
            if a.boundary.intersection(near).length > 0.01 and b.boundary.intersection(near).length > 0.01:
                pieces.append(("gap", p))
        new_gaps = [p for k, p in pieces if k == "gap"]
        if new_gaps:
            claimed_gaps = shapely.union_all(new_gaps + ([claimed_gaps] if claimed_gaps is not None else []))
        for kind, p in pieces:
            if p.area < min_area_m2:
                continue
            length = bnd.intersection(p.buffer(0.01)).length / 2.0
            rows.append({"kind": kind, "village_a": ids[i], "village_b": ids[j], "area_m2": round(p.area, 2),
                         "length_m": round(length, 2), "geometry": shapely.normalize(p)})
    # holes of the union bordered by exactly two villages and not found by closing
    seen = shapely.union_all([r["geometry"] for r in rows if r["kind"] == "gap"]) if rows else None
    for poly in shapely.get_parts(all_union):
        for ring in getattr(poly, "interiors", []):
            hole = shapely.Polygon(ring)
            if hole.area < min_area_m2 or (seen is not None and hole.difference(seen).area < min_area_m2):
                continue
            touching = sorted({str(ids[k]) for k in tree.query(hole, predicate="intersects")
                               if geoms[k].boundary.intersection(hole.buffer(0.01)).length > 0.01})
            if len(touching) == 2:
                rows.append({"kind": "gap", "village_a": touching[0], "village_b": touching[1],
                             "area_m2": round(hole.area, 2), "length_m": round(hole.length / 2.0, 2),
                             "geometry": shapely.normalize(hole)})
    for r in rows:
        r["conflict_id"] = _conflict_id(r["kind"], r["village_a"], r["village_b"], r["geometry"])
    cols = ["conflict_id", "kind", "village_a", "village_b", "area_m2", "length_m", "geometry"]
    out = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=villages.crs)
    return out.sort_values(["village_a", "village_b", "kind", "conflict_id"], kind="stable").reset_index(drop=True)


def _event(date: str, text: str) -> dict[str, str]:
    return {"date": date, "event": text}


def update_register(register: Any, conflicts: Any, *, date: str | _dt.date | None = None) -> Any:
    """Merge newly found conflicts into the boundary register, keeping history.

    Parameters
    ----------
    register : geopandas.GeoDataFrame or None
        The register so far (:data:`REGISTER_COLUMNS`); ``None`` or empty for a new one.
    conflicts : geopandas.GeoDataFrame
        The result of :func:`find_conflicts`.
    date : str or datetime.date, optional
        Date of this run (ISO), default today.

    Returns
    -------
    geopandas.GeoDataFrame
        A new register: every old conflict is kept. A conflict found again (the same
        id, or the same kind and villages overlapping an old one) keeps its id, status
        and resolution, gets the new geometry and area, and a history entry when they
        changed; an old conflict not found any more gets ``present = "no"`` and a
        history entry (an agreed boundary that removed it, usually); a new one is
        ``open``.
    """
    import geopandas as gpd

    day = str(date or _dt.date.today().isoformat())
    old = register if register is not None and len(register) else None
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    if old is not None:
        missing = [c for c in REGISTER_COLUMNS if c not in old.columns]
        if missing:
            raise SchemaError(f"the register has no column(s) {missing}", source="boundary register",
                              hint="give a register written by landuse (layer boundary_conflicts)")
        by_id = {str(r.conflict_id): r for r in old.itertuples(index=False)}
    else:
        by_id = {}
    for c in conflicts.itertuples(index=False):
        prev = by_id.get(c.conflict_id) if c.conflict_id not in used else None
        if prev is None and old is not None:
            best, best_area = None, 0.0
            for r in old.itertuples(index=False):
                if (r.conflict_id in used or r.kind != c.kind or r.village_a != c.village_a
                        or r.village_b != c.village_b):
                    continue
                inter = r.geometry.intersection(c.geometry).area
                if inter > best_area:
                    best, best_area = r, inter
            prev = best
        if prev is None:
            rows.append({"conflict_id": c.conflict_id, "kind": c.kind, "village_a": c.village_a,
                         "village_b": c.village_b, "area_m2": c.area_m2, "length_m": c.length_m, "status": "open",
                         "resolution": "", "present": "yes", "first_seen": day, "last_seen": day,
                         "history": json.dumps([_event(day, f"found: {c.kind} of {c.area_m2:.0f} m²")],
                                               ensure_ascii=False),
                         "geometry": c.geometry})
            used.add(c.conflict_id)
            continue
        used.add(prev.conflict_id)
        hist = json.loads(prev.history or "[]")
        if abs(float(prev.area_m2) - float(c.area_m2)) > 0.5 or prev.present != "yes":
            hist.append(_event(day, f"found again: {c.area_m2:.0f} m² (was {float(prev.area_m2):.0f} m²)"))
        rows.append({"conflict_id": prev.conflict_id, "kind": c.kind, "village_a": c.village_a,
                     "village_b": c.village_b, "area_m2": c.area_m2, "length_m": c.length_m,
                     "status": prev.status, "resolution": prev.resolution or "", "present": "yes",
                     "first_seen": prev.first_seen, "last_seen": day,
                     "history": json.dumps(hist, ensure_ascii=False), "geometry": c.geometry})
    if old is not None:
        for r in old.itertuples(index=False):
            if r.conflict_id in used:
                continue
            hist = json.loads(r.history or "[]")
            if r.present == "yes":
                hist.append(_event(day, "not found: the claims no longer overlap or leave a gap here"))
            rec = {k: getattr(r, k) for k in REGISTER_COLUMNS}
            rec.update(present="no", history=json.dumps(hist, ensure_ascii=False), geometry=r.geometry)
            rows.append(rec)
    crs = conflicts.crs if conflicts.crs is not None else (old.crs if old is not None else None)
    out = gpd.GeoDataFrame(rows, columns=[*REGISTER_COLUMNS, "geometry"], geometry="geometry", crs=crs)
    return out.sort_values(["village_a", "village_b", "kind", "conflict_id"], kind="stable").reset_index(drop=True)


def set_status(register: Any, conflict_id: str, status: str, *, resolution: str = "",
               date: str | _dt.date | None = None) -> Any:
    """Record a decision on one conflict (a new register; the history grows).

    Raises
    ------
    SchemaError
        An unknown conflict id or status.
    """
    if status not in STATUSES:
        raise SchemaError(f"unknown status {status!r}", column="status", hint=f"use one of {list(STATUSES)}")
    hit = register.index[register["conflict_id"].astype(str) == str(conflict_id)]
    if len(hit) != 1:
        raise SchemaError(f"no conflict {conflict_id!r} in the register", column="conflict_id",
                          hint="list the register's conflicts with landuse boundaries list")
    day = str(date or _dt.date.today().isoformat())
    out = register.copy()
    i = hit[0]
    hist = json.loads(out.at[i, "history"] or "[]")
    hist.append(_event(day, f"status {out.at[i, 'status']} -> {status}" + (f": {resolution}" if resolution else "")))
    out.at[i, "status"] = status
    if resolution:
        out.at[i, "resolution"] = resolution
    out.at[i, "history"] = json.dumps(hist, ensure_ascii=False)
    return out


def _line_length(g: Any) -> float:
    import shapely

    return float(sum(p.length for p in shapely.get_parts(g) if p.geom_type in ("LineString", "MultiLineString")))


def shared_boundaries(villages: Any, *, id_column: str = "village_id", tolerance_m: float = 1.0) -> Any:
    """The line each pair of neighbouring villages shares.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village polygons in a projected CRS.
    tolerance_m : float, default 1.0
        Where the two outlines share no exact line (not snapped), the part of the
        first village's outline within this distance of the second is taken. [m]

    Returns
    -------
    geopandas.GeoDataFrame
        ``village_a`` < ``village_b``, ``length_m``, geometry (merged lines).
    """
    import geopandas as gpd
    import shapely

    _check(villages, id_column)
    ids = villages[id_column].astype(str).to_numpy()
    geoms = shapely.make_valid(villages.geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    rows = []
    for i, j in sorted({(i, j) if ids[i] < ids[j] else (j, i) for i, j in zip(left.tolist(), right.tolist()) if i != j}):
        line = geoms[i].boundary.intersection(geoms[j].boundary)  # exact where the lines were snapped
        if _line_length(line) <= tolerance_m:
            line = geoms[i].boundary.intersection(geoms[j].buffer(tolerance_m))
        line = shapely.line_merge(shapely.union_all([g for g in shapely.get_parts(line)
                                                     if g.geom_type in ("LineString", "MultiLineString")]))
        if line.is_empty or line.length <= tolerance_m:
            continue
        rows.append({"village_a": ids[i], "village_b": ids[j], "length_m": round(line.length, 2), "geometry": line})
    return gpd.GeoDataFrame(rows, columns=["village_a", "village_b", "length_m", "geometry"], geometry="geometry",
                            crs=villages.crs)
