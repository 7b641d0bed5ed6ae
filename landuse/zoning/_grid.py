"""Grid and vector helpers of :mod:`landuse.zoning` (private).

Slope and stream distance on the DEM grid, forest masks, the majority filter, the
minimum-mapping-unit merge, vectorisation with coverage simplification and exact
clipping, and exact per-parcel raster statistics. See :mod:`landuse.zoning` for the
method and references.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import landuse._validate as _validate
from landuse.zoning._rules import RuleSet
from landuse.errors import RasterError
from landuse._validate.dem import check_dem
from landuse.raster import Raster, as_raster, read_dem
from landuse.terrain.relief import slope


def _slope_pct(dem: Raster) -> np.ndarray:
    """Slope [%] on the DEM grid (Horn 1981, :func:`landuse.terrain.slope`), NaN = nodata."""
    return slope(dem, units="percent", compute_edges=True).as_float()


def _coerce_dem(dem: Any) -> Raster:
    return check_dem(read_dem(dem))


def _rasterize(geoms: Any, values: Any, shape: tuple[int, int], transform: Any, *,
               all_touched: bool = False, dtype: str = "uint8") -> np.ndarray:
    from rasterio import features

    pairs = [(g, v) for g, v in zip(geoms, values) if g is not None and not g.is_empty]
    if not pairs:
        return np.zeros(shape, dtype)
    shapes = _geojson_polygons([g for g, _ in pairs])
    pairs = list(zip(shapes, [v for _, v in pairs]))
    return features.rasterize(pairs, out_shape=shape, transform=transform, fill=0,
                              all_touched=all_touched, dtype=dtype)


def _geojson_polygons(geoms: list) -> list:
    """Polygons as GeoJSON-like mappings, built from their coordinate arrays.

    The same rings and coordinates as each polygon's ``__geo_interface__`` (so
    rasterio burns the same cells) at a fraction of the cost of shapely's per-point
    Python loop; anything but 2-D polygons is returned as it is.
    """
    import shapely

    arr = np.asarray(geoms, dtype=object)
    if not len(arr) or not (shapely.get_type_id(arr) == 3).all() or shapely.has_z(arr).any():
        return list(geoms)
    _, coords, (ring_off, poly_off) = shapely.to_ragged_array(arr, include_z=False)
    xy = coords.tolist()
    ring_off, poly_off = ring_off.tolist(), poly_off.tolist()
    return [{"type": "Polygon",
             "coordinates": [xy[ring_off[r]:ring_off[r + 1]] for r in range(poly_off[p], poly_off[p + 1])]}
            for p in range(len(arr))]


def _stream_distance(streams: Any, dem: Raster, *, cells: np.ndarray, thresholds_m: Any,
                     max_order: int | None = None) -> np.ndarray:
    """Distance [m] from each cell centre to the nearest stream line, exact where it matters.

    The Euclidean distance transform to the rasterised stream cells (``all_touched``)
    is within half a cell diagonal of the true distance, because every stream passes
    through the cells it was burnt into. Cells of *cells* whose approximate distance is
    within one cell diagonal of any of *thresholds_m* get the exact distance (nearest
    two-point segment from an STRtree), so every comparison ``distance <= threshold``
    is exact; elsewhere the approximation is kept (error below half a cell diagonal).
    """
    import shapely
    from scipy import ndimage

    lines = streams
    if max_order is not None:
        lines = streams[streams["order"].to_numpy() <= max_order]
    geoms = np.asarray(lines.geometry.to_numpy())
    geoms = geoms[~(shapely.is_empty(geoms) | shapely.is_missing(geoms))]
    shape = dem.shape
    if len(geoms) == 0:
        return np.full(shape, np.inf)
    mask = _rasterize(geoms, np.ones(len(geoms)), shape, dem.transform, all_touched=True) > 0
    margin = float(np.hypot(*dem.res))
    if not mask.any():
        # every stream lies off the grid: measure exactly wherever needed
        dist = np.full(shape, np.inf)
        todo = cells.copy()
    else:
        dist = ndimage.distance_transform_edt(~mask, sampling=(dem.res[1], dem.res[0]))
        near = np.zeros(shape, bool)
        for thr in set(float(t) for t in np.atleast_1d(thresholds_m)):
            near |= np.abs(dist - thr) <= margin
        todo = cells & near
    if todo.any():
        rows, cols = np.nonzero(todo)
        t = dem.transform
        xs = t.c + (cols + 0.5) * t.a
        ys = t.f + (rows + 0.5) * t.e
        tree = shapely.STRtree(_segments(geoms))
        _, d = tree.query_nearest(shapely.points(xs, ys), return_distance=True, all_matches=False)
        dist = dist.copy()
        dist[rows, cols] = d
    return dist


def _segments(lines: np.ndarray) -> np.ndarray:
    """Split (multi)linestrings into two-point segments for a tight STRtree."""
    import shapely

    parts = shapely.get_parts(lines)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same = index[1:] == index[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    if len(a) == 0:
        return parts
    return shapely.linestrings(np.stack([a, b], axis=1))


def _forest_mask(forest: Any, dem: Raster, rules: RuleSet) -> np.ndarray | None:
    """Boolean forest cover on the DEM grid, patches below the forest minimum removed."""
    if forest is None:
        return None
    import geopandas as gpd
    from scipy import ndimage

    if isinstance(forest, gpd.GeoDataFrame):
        name = _validate.layer_name(forest, "forest")
        _validate.require_projected(forest, layer=name)
        _validate.require_same_crs({"dem": dem, name: forest})
        _validate.require_geom_types(forest, ("Polygon", "MultiPolygon"), layer=name)
        mask = _rasterize(forest.geometry, np.ones(len(forest)), dem.shape, dem.transform) > 0
    else:
        fr = as_raster(forest)
        _validate.require_same_crs({"dem": dem, "forest raster": fr})
        values = _on_grid(fr, dem)
        uniq = np.unique(values[np.isfinite(values)])
        if uniq.size and np.isin(uniq, (0.0, 1.0)).all():
            mask = values == 1.0
        else:
            if uniq.size and (uniq.min() < 0 or uniq.max() > 100):
                raise RasterError(
                    f"forest raster values range from {uniq.min():g} to {uniq.max():g}; expected "
                    "canopy cover in percent (0-100) or a 0/1 forest mask",
                    source=fr.source or "forest raster", hint="rescale the raster to percent")
            mask = values > rules.forest_min_canopy_pct
    min_cells = rules.forest_min_patch_ha * 1e4 / (dem.res[0] * dem.res[1])
    if min_cells > 1 and mask.any():
        lab, n = ndimage.label(mask, structure=np.ones((3, 3)))
        sizes = np.bincount(lab.ravel(), minlength=n + 1)
        small = sizes < min_cells
        small[0] = True
        mask = ~small[lab]
    return mask


def _on_grid(r: Raster, dem: Raster) -> np.ndarray:
    """Values of *r* on the DEM grid (nearest neighbour if the grids differ)."""
    if r.shape == dem.shape and r.transform.almost_equals(dem.transform):
        return r.as_float()
    from rasterio.warp import Resampling, reproject

    out = np.full(dem.shape, np.nan)
    reproject(r.as_float(), out, src_transform=r.transform, src_crs=r.crs or dem.crs,
              dst_transform=dem.transform, dst_crs=dem.crs, src_nodata=np.nan,
              dst_nodata=np.nan, resampling=Resampling.nearest)
    return out


def _majority(zone: np.ndarray, region: np.ndarray, size: int) -> np.ndarray:
    """Square modal filter over *region* cells; ties keep the current value."""
    if size <= 1:
        return zone
    from scipy import ndimage

    best = np.zeros(zone.shape, np.int32)
    best_count = np.full(zone.shape, -1.0)
    present = np.unique(zone[region])
    counts = {}
    for z in present:
        counts[z] = ndimage.uniform_filter(((zone == z) & region).astype(np.float32), size=size,
                                           mode="constant")
    for z in present:  # strict '>' keeps the lowest code on exact ties, fixed below
        better = counts[z] > best_count + 1e-6
        best = np.where(better, z, best)
        best_count = np.where(better, counts[z], best_count)
    own = np.zeros(zone.shape, np.float32)
    for z in present:
        own = np.where(zone == z, counts[z], own)
    keep = own >= best_count - 1e-6
    out = np.where(region & ~keep, best, zone)
    return out.astype(zone.dtype)


def _merge_small_patches(zone: np.ndarray, region: np.ndarray, min_cells: float,
                         priority: dict[int, int], weight: np.ndarray | None = None,
                         locked: np.ndarray | None = None) -> np.ndarray:
    """Merge 4-connected patches smaller than *min_cells* into the neighbour with the
    longest shared border (ties: higher-priority zone, then the larger patch).

    With *weight* (the fraction of each cell inside the village), a patch's size is the
    area it will have after clipping, in cells; otherwise every region cell counts 1.
    Patches holding a *locked* cell (areas designated by the village) are never merged,
    and small patches merge into unlocked neighbours when they have one.
    """
    if min_cells <= 0:
        return zone
    from scipy import ndimage

    lab = np.zeros(zone.shape, np.int64)
    comp_zone = [0]
    n_total = 0
    for z in np.unique(zone[region]):
        l, n = ndimage.label((zone == z) & region)
        lab[l > 0] = l[l > 0] + n_total
        comp_zone.extend([int(z)] * n)
        n_total += n
    if n_total <= 1:
        return zone
    comp_zone_arr = np.asarray(comp_zone)
    size = np.bincount(lab.ravel(), weights=None if weight is None else weight.ravel(),
                       minlength=n_total + 1).astype(float)
    if locked is not None:
        comp_locked = np.bincount(lab.ravel(), weights=locked.ravel().astype(float),
                                  minlength=n_total + 1) > 0
    else:
        comp_locked = np.zeros(n_total + 1, bool)
    if not ((size[1:] < min_cells) & ~comp_locked[1:]).any():
        return zone
    # shared border lengths (in cell edges) between adjacent components
    pairs = []
    for a, b in ((lab[:, :-1], lab[:, 1:]), (lab[:-1, :], lab[1:, :])):
        m = (a != b) & (a > 0) & (b > 0)
        pairs.append(np.stack([a[m], b[m]], axis=1))
    pr = np.concatenate(pairs)
    pr = np.sort(pr, axis=1)
    uniq, cnt = np.unique(pr, axis=0, return_counts=True)
    adj: dict[int, dict[int, int]] = {}
    for (a, b), c in zip(uniq.tolist(), cnt.tolist()):
        adj.setdefault(a, {})[b] = c
        adj.setdefault(b, {})[a] = c
    parent = np.arange(n_total + 1)
    import heapq

    heap = [(size[c], c) for c in range(1, n_total + 1)
            if size[c] < min_cells and not comp_locked[c]]
    heapq.heapify(heap)
    while heap:
        s, c = heapq.heappop(heap)
        if parent[c] != c or s != size[c] or size[c] >= min_cells or comp_locked[c]:
            continue
        nbrs = adj.get(c, {})
        if not nbrs:
            continue
        target = max(nbrs, key=lambda t: (not comp_locked[t], nbrs[t],
                                          -priority.get(int(comp_zone_arr[t]), 999), size[t], -t))
        # merge c into target
        parent[c] = target
        size[target] += size[c]
        tn = adj.setdefault(target, {})
        tn.pop(c, None)
        for o, w in nbrs.items():
            if o == target:
                continue
            on = adj[o]
            on.pop(c, None)
            if comp_zone_arr[o] == comp_zone_arr[target]:
                # same zone touching: they form one patch now -> union them too
                continue
            tn[o] = tn.get(o, 0) + w
            on[target] = on.get(target, 0) + w
        adj.pop(c, None)
        # patches of the target's zone that touched c now touch target: join them
        joined = [o for o in nbrs if o != target and comp_zone_arr[o] == comp_zone_arr[target]]
        for o in joined:
            if parent[o] != o:
                continue
            parent[o] = target
            size[target] += size[o]
            comp_locked[target] |= comp_locked[o]
            for o2, w2 in adj.pop(o, {}).items():
                if o2 == target:
                    continue
                adj[o2].pop(o, None)
                tn[o2] = tn.get(o2, 0) + w2
                adj[o2][target] = adj[o2].get(target, 0) + w2
            tn.pop(o, None)
        if size[target] < min_cells:
            heapq.heappush(heap, (size[target], target))
    # resolve parents
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    new_zone = comp_zone_arr[root]
    out = zone.copy()
    out[region] = new_zone[lab[region]]
    return out


def _inherit_rules(orig_zone: np.ndarray, orig_rule: np.ndarray, zone: np.ndarray,
                   region: np.ndarray) -> np.ndarray:
    """Rule of each cell; cells whose zone changed take the rule of the nearest cell
    that held the new zone originally."""
    from scipy import ndimage

    rule = orig_rule.copy()
    changed = region & (zone != orig_zone)
    for z in np.unique(zone[changed]):
        src = region & (orig_zone == z)
        tgt = changed & (zone == z)
        if not src.any():
            continue
        _, (ir, ic) = ndimage.distance_transform_edt(~src, return_indices=True)
        rule[tgt] = orig_rule[ir[tgt], ic[tgt]]
    return rule


def _extend_grid(dem: Raster, villages: Any) -> tuple[Raster, tuple[int, int]]:
    """The DEM grid padded with NaN so that it covers every village (+1 cell)."""
    from affine import Affine

    minx, miny, maxx, maxy = villages.total_bounds
    t = dem.transform
    rows, cols = dem.shape
    left, bottom, right, top = dem.bounds
    dx, dy = dem.res
    c_lo = max(0, int(np.ceil((left - minx) / dx)) + 1) if minx < left + dx else 0
    c_hi = max(0, int(np.ceil((maxx - right) / dx)) + 1) if maxx > right - dx else 0
    r_lo = max(0, int(np.ceil((maxy - top) / dy)) + 1) if maxy > top - dy else 0
    r_hi = max(0, int(np.ceil((bottom - miny) / dy)) + 1) if miny < bottom + dy else 0
    data = np.full((rows + r_lo + r_hi, cols + c_lo + c_hi), np.nan)
    data[r_lo:r_lo + rows, c_lo:c_lo + cols] = dem.as_float()
    nt = Affine(t.a, 0, t.c - c_lo * t.a, 0, t.e, t.f - r_lo * t.e)
    return Raster(data, nt, dem.crs, None, dem.source), (r_lo, c_lo)


def _region(geom: Any, grid: Raster, *, weights: bool = False) -> tuple:
    """Window of the village on the grid, the cells touching the village in it, and the
    same dilated by one cell (their union covers the village even where GEOS and GDAL
    disagree on a touching edge). Only the window is rasterised (bounded memory).

    With ``weights=True`` a fourth array gives the exact fraction of each cell inside
    the village (1 inside, 0 outside, the clipped area on the boundary).
    """
    import shapely
    from affine import Affine
    from scipy import ndimage

    t = grid.transform
    minx, miny, maxx, maxy = geom.bounds
    c0 = max(int(np.floor((minx - t.c) / t.a)) - 2, 0)
    c1 = min(int(np.ceil((maxx - t.c) / t.a)) + 2, grid.shape[1])
    r0 = max(int(np.floor((maxy - t.f) / t.e)) - 2, 0)
    r1 = min(int(np.ceil((miny - t.f) / t.e)) + 2, grid.shape[0])
    win = (slice(r0, r1), slice(c0, c1))
    shape = (r1 - r0, c1 - c0)
    wt = Affine(t.a, 0.0, t.c + c0 * t.a, 0.0, t.e, t.f + r0 * t.e)
    touch = _rasterize([geom], [1], shape, wt, all_touched=True) > 0
    region = ndimage.binary_dilation(touch, structure=np.ones((3, 3), bool))
    if not weights:
        return win, touch, region
    edge = _rasterize([geom.boundary], [1], shape, wt, all_touched=True) > 0
    weight = (touch & ~edge).astype(np.float64)
    rows, cols = np.nonzero(edge & region)
    if len(rows):
        x0 = wt.c + cols * wt.a
        y0 = wt.f + rows * wt.e
        cells = shapely.box(x0, y0 + wt.e, x0 + wt.a, y0)
        inside = shapely.area(shapely.intersection(cells, geom)) / abs(wt.a * wt.e)
        weight[rows, cols] = np.clip(inside, 0.0, 1.0)
    return win, touch, region, weight


def _vectorise(vid: Any, geom: Any, zone: np.ndarray, rule: np.ndarray, region: np.ndarray,
               grid: Raster, win: tuple[slice, slice], rs: RuleSet) -> pd.DataFrame:
    import shapely
    from affine import Affine
    from rasterio import features

    label = (zone.astype(np.int32) * 256 + rule.astype(np.int32) + 1).astype(np.int32)
    label[~region] = 0
    g = grid.transform
    t = Affine(g.a, 0.0, g.c + win[1].start * g.a, 0.0, g.e, g.f + win[0].start * g.e)
    geoms, labels = [], []
    for g, v in features.shapes(label, mask=region, transform=t, connectivity=4):
        geoms.append(shapely.geometry.shape(g))
        labels.append(int(v))
    arr = np.asarray(geoms, dtype=object)
    if len(arr) > 1:
        tol = 1.0 * min(grid.res)  # removes the one-cell stair steps of raster edges
        simple = shapely.coverage_simplify(arr, tol, simplify_boundary=False)
        # all or nothing: mixing simplified and original pieces would open gaps
        if (shapely.is_valid(simple) & ~shapely.is_empty(simple)).all():
            arr = simple
    # clip only the pieces not lying inside the village (prepared copy of the boundary)
    village = shapely.transform(geom, lambda c: c)
    shapely.prepare(village)
    inside = shapely.contains(village, arr)
    clipped = arr.copy()
    clipped[~inside] = shapely.intersection(arr[~inside], village)
    clipped = np.asarray([_polygonal(g) for g in clipped], dtype=object)
    keep = ~shapely.is_empty(clipped)
    lab = np.asarray(labels)[keep]
    names = list(rs.zones)
    return pd.DataFrame({
        "village_id": vid,
        "zone": [names[z - 1] for z in lab // 256],
        "rule": [rs.rules[(r % 256) - 1].id for r in lab],
        "geometry": clipped[keep],
    })


def _polygonal(g: Any) -> Any:
    import shapely

    if g is None or g.is_empty:
        return shapely.Polygon()
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _features(parcels: Any) -> Any:
    """The parcels' polygons for exactextract: WKB (a third of GeoJSON's cost), else the frame.

    Geometry goes to exactextract as the same coordinates either way (WKB and GeoJSON
    both carry the doubles exactly), so the statistics are equal; a missing or empty
    geometry keeps the GeoDataFrame path and its handling.
    """
    import shapely  # deferred: zoning's import stays light

    from landuse.parcels import exactextract_features  # deferred: pulls exactextract

    geoms = np.asarray(parcels.geometry.to_numpy(), dtype=object)
    if not len(geoms) or shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        return parcels.reset_index(drop=True)[[parcels.geometry.name]].set_geometry(parcels.geometry.name)
    wkt = parcels.crs.to_wkt() if parcels.crs is not None else None
    return exactextract_features(geoms, srs_wkt=wkt)


def _parcel_fractions(parcels: Any, rasters: dict[str, Raster],
                      n_codes: int) -> dict[str, np.ndarray]:
    """Area fraction [-] of each parcel in each code 1..n_codes of each raster.

    Exact cell coverage fractions (exactextract), all rasters (same grid) in one pass.
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    names = list(rasters)
    srcs = []
    for name in names:
        r = rasters[name]
        left, bottom, right, top = r.bounds
        wkt = r.crs.to_wkt() if r.crs is not None else None
        srcs.append(NumPyRasterSource(r.data.astype(np.float64), left, bottom, right, top,
                                      nodata=0, name=name, srs_wkt=wkt))
    res = exact_extract(srcs, _features(parcels), ["unique", "frac"], output="pandas")
    out = {}
    for name in names:
        ucol, fcol = (f"{name}_unique", f"{name}_frac") if len(names) > 1 else ("unique", "frac")
        arr = np.zeros((len(parcels), n_codes))
        for i, (vals, fr) in enumerate(zip(res[ucol], res[fcol])):
            v = np.atleast_1d(np.asarray(vals, dtype=float)).astype(int)
            f = np.atleast_1d(np.asarray(fr, dtype=float))
            ok = (v >= 1) & (v <= n_codes)
            np.add.at(arr[i], v[ok] - 1, f[ok])
        out[name] = arr
    return out


def _parcel_mean(parcels: Any, values: np.ndarray, r: Raster) -> np.ndarray:
    """Coverage-weighted mean of *values* over each parcel (NaN cells ignored)."""
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    left, bottom, right, top = r.bounds
    arr = np.where(np.isfinite(values), values, -9999.0).astype(np.float64)
    src = NumPyRasterSource(arr, left, bottom, right, top, nodata=-9999.0,
                            srs_wkt=r.crs.to_wkt() if r.crs is not None else None)
    res = exact_extract(src, _features(parcels), ["mean"], output="pandas")
    return res["mean"].to_numpy(dtype=float)
