"""Village land-use zoning from terrain, streams and forest, with Lao PLUP rules as default.

In Lao participatory land-use planning (PLUP, LUP/LA) each village territory is zoned
into forest categories (protection, conservation, village-use, regeneration) and
agricultural zones (paddy, rotational upland, permanent crops, grazing, residential)
before land is allocated to households [1]_ [2]_. This module drafts that zoning map
from data and explains every decision:

* :func:`load_rules` reads a TOML rule file (units in the keys: ``max_slope_pct``,
  ``stream_buffer_m``, ``min_patch_ha``); rules are evaluated in priority order and
  each names the zone it assigns and why. The default is the Lao PLUP rule file
  ``landuse/zoning/data/zoning_lao_plup.toml``; values not confirmed by a primary legal
  text are marked as defaults there.
* :func:`zone_villages` classifies the DEM grid (slope, distance to streams, elevation,
  forest cover, existing land use), smooths it, merges patches below the minimum
  mapping unit into their neighbours and vectorises it into a gap-free, overlap-free
  zone layer clipped exactly to each village boundary, with a zone area table.
* :func:`parcel_zones` and :func:`conflict_report` check parcels against the zones.
* :func:`suitability` and :func:`parcel_suitability` give FAO land suitability
  classes S1, S2, S3 and N per cell and per parcel [3]_.

Method
------
1. Slope [%] from :func:`landuse.terrain.slope` (Horn 1981, edges extrapolated);
   distance [m] from each cell centre to the nearest stream line: a Euclidean
   distance transform, replaced by the exact point-to-line distance near every
   distance threshold of the rules, so each comparison with a threshold is exact.
2. Each cell takes the zone of the first rule whose conditions all hold.
3. A square majority filter (``smoothing_window_cells``) removes isolated cells and
   ragged edges; cells keep their zone on ties.
4. Minimum mapping unit: 4-connected patches whose area inside the village (exact
   cell coverage) is below ``min_patch_ha`` are merged, smallest first, into the
   neighbouring patch with the longest shared border (ties: the zone of the
   higher-priority rule). Merging is done on the grid, so the coverage
   stays exact. Cells that changed zone take the rule of the nearest cell that zone
   originally held, so every polygon still names the rule that decided it.
5. The grid is vectorised (4-connected, :func:`rasterio.features.shapes`) over every
   cell touching the village, shared edges are simplified once for the whole coverage
   (:func:`shapely.coverage_simplify`, outer boundary kept), and the polygons are
   intersected with the village polygon: zone areas sum to the village area.

References
----------
.. [1] MAF and NLMA (2009/2010). PLUP Manual: participatory land use planning at
   village and village-cluster (kumban) level. Vientiane.
   https://cifor-icraf.org/knowledge/publication/3922
.. [2] MAF Regulation 0535/MAF (2001); LSFP (1997), *Manual on Participatory Land Use
   Planning and Land Allocation*. https://docslib.org/doc/12220714
.. [3] FAO (1976). *A Framework for Land Evaluation*. Soils Bulletin 32, Rome;
   FAO (2006). *Guidelines for Soil Description*, 4th ed., Rome (slope classes).

Examples
--------
>>> rules = load_rules()
>>> [r.id for r in rules.rules][4:7]
['existing_residential', 'very_steep', 'stream_buffer']
>>> rules.slope_limit_pct("paddy")
15.0
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import landuse._validate as _validate
from landuse._validate.display import figures_html, records_html
from landuse._validate import LAND_TYPES
from landuse._validate.parcels import check_parcels
from landuse.zoning._grid import (
    _coerce_dem,
    _extend_grid,
    _forest_mask,
    _inherit_rules,
    _majority,
    _merge_small_patches,
    _parcel_fractions,
    _parcel_mean,
    _rasterize,
    _region,
    _slope_pct,
    _stream_distance,
    _vectorise,
)
from landuse.zoning._rules import (
    DEFAULT_RULES_PATH,
    SUITABILITY_CLASSES,
    Rule,
    RuleSet,
    SuitabilityLimits,
    Zone,
    parse_rules,
)
from landuse.errors import (
    DataReadError,
    LanduseWarning,
    RasterError,
    RuleError,
    SchemaError,
)
from landuse.raster import Raster, RasterSource, as_raster
from landuse.terrain.hydrology import streams as derive_streams

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd

__all__ = [
    "SUITABILITY_CLASSES",
    "Rule",
    "RuleSet",
    "SuitabilityLimits",
    "Zone",
    "ZoningResult",
    "conflict_report",
    "load_rules",
    "parcel_suitability",
    "parcel_zones",
    "slope_classes",
    "suitability",
    "zone_table",
    "zone_villages",
]

log = logging.getLogger(__name__)


# =========================================================================================
# Rules
# =========================================================================================
def load_rules(path: str | os.PathLike | RuleSet | None = None) -> RuleSet:
    """Read and validate a zoning rule file.

    Parameters
    ----------
    path : path-like or RuleSet, optional
        A TOML rule file. By default the Lao PLUP rules shipped with ``landuse``
        (``landuse/zoning/data/zoning_lao_plup.toml``; copy it to start your own).
        A :class:`RuleSet` is returned unchanged.

    Returns
    -------
    RuleSet
        Frozen: the zone vocabulary, the rules in priority order, the minimum mapping
        unit, slope classes, suitability limits and conflict thresholds.

    Raises
    ------
    RuleError
        For a syntax error, an unknown table or key, a wrong type, a negative or
        inconsistent threshold, an unknown zone or a missing key. The message names
        the file, the line and the key.
    DataReadError
        If the file does not exist.

    Examples
    --------
    >>> rules = load_rules()
    >>> steep = next(r for r in rules.rules if r.id == "very_steep")
    >>> steep.zone, steep.min_slope_pct
    ('PROTECTION_FOREST', 60.0)
    >>> rules.min_patch_ha
    0.5
    """
    if isinstance(path, RuleSet):
        return path
    p = DEFAULT_RULES_PATH if path is None else os.fspath(path)
    from pathlib import Path

    p = Path(p)
    if not p.is_file():
        raise DataReadError("rule file not found", source=str(p),
                            hint="check the path, or omit --rules to use the Lao PLUP default")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError("the rule file is not UTF-8 text", source=str(p),
                        hint="save it as UTF-8") from exc
    return parse_rules(text, source=p.name)


def slope_classes(slope_pct: Any, *,
                  rules: RuleSet | str | os.PathLike | None = None) -> np.ndarray:
    """Return the slope class code (FAO 2006 by default) of each slope value.

    Class *i* covers ``breaks[i-1] < slope <= breaks[i]``.

    Parameters
    ----------
    slope_pct : array_like or Raster
        Slope. [%]
    rules : RuleSet or path, optional
        Rule set holding ``[slope_classes]``; default Lao PLUP (FAO 2006 breaks
        0.2, 0.5, 1, 2, 5, 10, 15, 30, 60 %).

    Returns
    -------
    numpy.ndarray
        Class codes as strings (``"01"`` flat ... ``"10"`` very steep); ``""`` for NaN.

    Examples
    --------
    >>> slope_classes([0.1, 4.0, 12.0, 45.0, 75.0]).tolist()
    ['01', '05', '07', '09', '10']
    """
    rs = load_rules(rules)
    arr = slope_pct.as_float() if isinstance(slope_pct, Raster) else np.asarray(slope_pct, float)
    idx = np.searchsorted(np.asarray(rs.slope_breaks_pct), arr, side="left")
    codes = np.asarray([*rs.slope_codes, ""], dtype=object)
    idx = np.where(np.isnan(arr), len(rs.slope_codes), idx)
    return codes[idx]


# =========================================================================================
# Grid helpers
# =========================================================================================
@dataclass(frozen=True)
class _Layers:
    """Per-cell inputs of the rules on the whole DEM grid."""

    elev: np.ndarray
    slope: np.ndarray
    forest: np.ndarray | None
    land_type: np.ndarray | None  # index into LAND_TYPES + 1, 0 = none
    distances: dict[int | None, np.ndarray]  # by max_stream_order
    designated: np.ndarray | None = None  # zone code of designated areas, 0 = none
    zone_codes: dict[str, int] | None = None


def _rule_mask(rule: Rule, L: _Layers, win: tuple[slice, slice]) -> np.ndarray:
    slope, elev = L.slope[win], L.elev[win]
    m = np.ones(slope.shape, bool)
    if rule.min_slope_pct is not None:
        m &= slope > rule.min_slope_pct
    if rule.max_slope_pct is not None:
        m &= slope <= rule.max_slope_pct
    if rule.min_elev_m is not None:
        m &= elev > rule.min_elev_m
    if rule.max_elev_m is not None:
        m &= elev <= rule.max_elev_m
    if rule.uses_streams:
        d = L.distances[rule.max_stream_order][win]
        if rule.max_stream_distance_m is not None:
            m &= d <= rule.max_stream_distance_m
        if rule.min_stream_distance_m is not None:
            m &= d > rule.min_stream_distance_m
    if rule.forest is not None:
        f = L.forest[win] if L.forest is not None else np.zeros(slope.shape, bool)
        m &= f if rule.forest else ~f
    if rule.designated:
        if L.designated is None or L.zone_codes is None:
            return np.zeros(slope.shape, bool)
        m &= L.designated[win] == L.zone_codes[rule.zone]
    if rule.existing_land_type is not None:
        if L.land_type is None:
            return np.zeros(slope.shape, bool)
        codes = [LAND_TYPES.index(t) + 1 for t in rule.existing_land_type]
        m &= np.isin(L.land_type[win], codes)
    return m


# =========================================================================================
# Zoning
# =========================================================================================
@dataclass(frozen=True)
class ZoningResult:
    """Result of :func:`zone_villages`.

    Attributes
    ----------
    zones : geopandas.GeoDataFrame
        One row per connected piece of one zone decided by one rule: ``zone_id``,
        ``village_id``, ``zone``, ``category``, ``rule``, ``reason``, ``area_ha``.
    table : pandas.DataFrame
        Zone area table per village (``village_id``, ``zone``, ``category``, labels,
        ``area_ha``, ``share_pct``), as in a PLUP zoning table; see :func:`zone_table`.
    zone_raster : Raster
        Zone code per cell on the DEM grid (0 outside the villages); codes in
        ``rules.zone_codes``.
    rule_raster : Raster
        Index + 1 of the deciding rule per cell (0 outside the villages).
    rules : RuleSet
        The rules used.
    streams : geopandas.GeoDataFrame or None
        The stream lines the distance rules used (given or derived from the DEM); None
        when no rule needs streams.
    """

    zones: Any
    table: pd.DataFrame
    zone_raster: Raster
    rule_raster: Raster
    rules: RuleSet
    streams: Any = None

    def _repr_html_(self) -> str:
        """Jupyter's rich display: counts, then the zone area table (Lao and English labels)."""
        figures = [
            ("ບ້ານ", "villages", self.table["village_id"].nunique() if len(self.table) else 0),
            ("ເຂດ (ຕອນ)", "zone pieces", len(self.zones)),
            ("ເນື້ອທີ່ລວມ [ເຮັກຕາ]", "total area [ha]", f"{self.table['area_ha'].sum():.2f}" if len(self.table) else "0"),
        ]
        cols = [("village_id", "ບ້ານ", "village"), ("label_lo", "ເຂດ", "zone (Lao)"),
                ("label_en", "Zone", "zone"), ("area_ha", "ເນື້ອທີ່ [ຮຕ]", "area [ha]"),
                ("share_pct", "ສ່ວນ [%]", "share [%]")]
        return (figures_html(figures, title="Zoning", title_lo="ການແບ່ງເຂດ")
                + records_html(self.table.to_dict("records"), cols, max_rows=30))


def _check_villages(villages: Any) -> str:
    name = _validate.layer_name(villages, "villages")
    _validate.require_geodataframe(villages, layer=name)
    _validate.require_columns(villages, ["village_id"], layer=name)
    _validate.require_projected(villages, layer=name)
    _validate.require_no_nulls(villages, "village_id", layer=name)
    _validate.require_unique(villages, "village_id", layer=name)
    _validate.require_geom_types(villages, ("Polygon", "MultiPolygon"), layer=name,
                                 id_column="village_id")
    _validate.require_valid_geometries(villages, layer=name, id_column="village_id")
    if len(villages) == 0:
        raise SchemaError("the villages layer has no features", source=name,
                          hint="pass at least one village boundary")
    return name


def _check_streams(streams: Any, dem: Raster, needs_order: bool) -> Any:
    name = _validate.layer_name(streams, "streams")
    _validate.require_geodataframe(streams, layer=name)
    _validate.require_projected(streams, layer=name)
    _validate.require_same_crs({"dem": dem, name: streams})
    if len(streams):
        _validate.require_geom_types(streams, ("LineString", "MultiLineString"), layer=name)
    if needs_order:
        _validate.require_columns(streams, ["order"], layer=name)
    return streams


def zone_villages(
    villages: gpd.GeoDataFrame,
    dem: RasterSource,
    *,
    rules: RuleSet | str | os.PathLike | None = None,
    streams: gpd.GeoDataFrame | None = None,
    forest: Any = None,
    landuse: Any = None,
    designated: Any = None,
    min_mapping_unit_ha: float | None = None,
) -> ZoningResult:
    """Draft the land-use zoning of village territories from terrain, streams and forest.

    Every cell of the DEM grid inside a village takes the zone of the first rule
    (in priority order) whose conditions hold; the grid is smoothed, patches below the
    minimum mapping unit are merged into the neighbour with the longest shared border,
    and the result is vectorised and clipped exactly to each village boundary (see the
    module docstring for the method).

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village territories: ``village_id`` and (Multi)Polygons, projected CRS.
    dem : Raster, path or (array, transform[, crs[, nodata]])
        Elevation [m] on a north-up grid in the villages' projected CRS. It should
        cover the villages; uncovered or nodata cells take the zone of the nearest
        covered cell (a warning says how much).
    rules : RuleSet or path, optional
        Zoning rules; default the Lao PLUP rules (:func:`load_rules`).
    streams : geopandas.GeoDataFrame, optional
        Stream lines (``order`` needed if a rule uses ``max_stream_order``). By default
        derived from the DEM with :func:`landuse.terrain.hydrology.streams`.
    forest : geopandas.GeoDataFrame or Raster, optional
        Forest polygons, or a raster of canopy cover [%] (or a 0/1 mask). Cells with
        canopy above ``[forest] min_canopy_pct`` in patches of at least
        ``[forest] min_patch_ha`` are forest. Without it, ``forest = true`` rules never
        match.
    landuse : geopandas.GeoDataFrame, optional
        Existing land-use polygons with a ``land_type`` column (parcel vocabulary),
        used by ``existing_land_type`` conditions.
    designated : geopandas.GeoDataFrame, optional
        Areas the village designated in the participatory mapping (spirit forest,
        conservation forest, water-source protection, settlement), with a ``zone``
        column; used by ``designated = true`` rules. Their cells keep their zone through
        smoothing and the minimum mapping unit.
    min_mapping_unit_ha : float, optional
        Minimum mapping unit [ha]; default ``[zoning] min_patch_ha`` of the rules (0.5).

    Returns
    -------
    ZoningResult
        ``zones`` (GeoDataFrame), ``table`` (zone areas per village), the zone and rule
        grids, and the rules.

    Raises
    ------
    SchemaError, CRSError, GeometryError
        Bad villages, streams, forest or land-use layers.
    RasterError
        A DEM that does not cover a village, or holds no data.
    RuleError
        An invalid rule file.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> z = np.tile(np.arange(50) * 20 * 0.20, (50, 1))      # 20 % slope to the east
    >>> dem = (z + 500, Affine(20, 0, 500000, 0, -20, 2291000), "EPSG:32647")
    >>> v = gpd.GeoDataFrame({"village_id": ["V1"]},
    ...                      geometry=[box(500100, 2290100, 500900, 2290900)], crs=32647)
    >>> no_streams = gpd.GeoDataFrame(geometry=[], crs=32647)
    >>> res = zone_villages(v, dem, streams=no_streams)
    >>> res.table[["zone", "area_ha", "share_pct"]].to_string(index=False)
    '             zone  area_ha  share_pct\\nROTATIONAL_UPLAND     64.0      100.0'
    """
    import geopandas as gpd

    rs = load_rules(rules)
    vname = _check_villages(villages)
    dem_r = _coerce_dem(dem)
    _validate.require_same_crs({"dem": dem_r, vname: villages})
    mmu_ha = rs.min_patch_ha if min_mapping_unit_ha is None else float(min_mapping_unit_ha)
    if not np.isfinite(mmu_ha) or mmu_ha < 0:
        raise SchemaError(f"min_mapping_unit_ha={min_mapping_unit_ha!r} must be a number >= 0",
                          hint="use e.g. 0.5 (ha); 0 disables merging")
    _check_extra_layers(landuse, designated, dem_r, rs)
    _require_coverage(villages, dem_r, vname)

    # -- the grid: DEM extended to cover every village ---------------------------------
    grid, pad = _extend_grid(dem_r, villages)
    elev = grid.as_float()
    slope = np.full(grid.shape, np.nan)
    r0, c0 = pad
    slope[r0:r0 + dem_r.shape[0], c0:c0 + dem_r.shape[1]] = _slope_pct(dem_r)

    cell_area = grid.res[0] * grid.res[1]
    windows = [_region(geom, grid, weights=True) for geom in villages.geometry]
    any_region = np.zeros(grid.shape, bool)
    for win, _, reg, _ in windows:
        any_region[win] |= reg

    needs_streams = any(r.uses_streams for r in rs.rules)
    distances: dict[int | None, np.ndarray] = {}
    if needs_streams:
        if streams is None:
            streams = _derive_streams(dem_r)
        distances = _stream_distances(streams, dem_r, grid, any_region, rs)
    if forest is None and any(r.forest is True for r in rs.rules):
        log.info("no forest layer given: rules with 'forest = true' match no cell")
    if landuse is None and any(r.existing_land_type for r in rs.rules):
        log.info("no existing land-use layer given: rules with 'existing_land_type' match no cell")
    forest_mask = _forest_mask(forest, grid, rs)
    lt = None
    if landuse is not None:
        codes = [_validate.LAND_TYPES.index(t) + 1 for t in landuse["land_type"]]
        lt = _rasterize(landuse.geometry, codes, grid.shape, grid.transform)
    des = None
    if designated is not None:
        des = _rasterize(designated.geometry, [rs.zone_codes[z] for z in designated["zone"]],
                         grid.shape, grid.transform)
    layers = _Layers(elev, slope, forest_mask, lt, distances, des, rs.zone_codes)

    zcodes = rs.zone_codes
    rule_zone = np.asarray([zcodes[r.zone] for r in rs.rules], np.int32)
    priority: dict[int, int] = {}
    for i, r in enumerate(rs.rules):
        priority.setdefault(zcodes[r.zone], i)
    min_cells = mmu_ha * 1e4 / cell_area
    locked_rules = [i for i, r in enumerate(rs.rules) if r.designated]

    zone_grid = np.zeros(grid.shape, np.uint8)
    rule_grid = np.zeros(grid.shape, np.uint8)
    pieces = []
    for vid, geom, (win, touch, region, weight) in zip(villages["village_id"], villages.geometry,
                                                        windows):
        valid = region & np.isfinite(layers.slope[win]) & np.isfinite(layers.elev[win])
        missing = (touch & ~valid).sum() / max(touch.sum(), 1)
        if missing > 0.01:
            warnings.warn(f"village {vid!r}: {missing:.1%} of the cells touching the village have "
                          "no DEM data; they take the zone of the nearest cell with data",
                          LanduseWarning, stacklevel=2)
        rule_idx = np.full(region.shape, -1, np.int32)
        for i, rule in enumerate(rs.rules):
            free = valid & (rule_idx < 0)
            if not free.any():
                break
            rule_idx[free & _rule_mask(rule, layers, win)] = i
        if (region & ~valid).any():
            from scipy import ndimage

            _, (ir, ic) = ndimage.distance_transform_edt(~valid, return_indices=True)
            fill = region & ~valid
            rule_idx[fill] = rule_idx[ir[fill], ic[fill]]
        orig_zone = np.where(region, rule_zone[np.maximum(rule_idx, 0)], 0).astype(np.int32)
        locked = region & np.isin(rule_idx, locked_rules)
        zone = _majority(orig_zone, region, rs.smoothing_window_cells)
        zone[locked] = orig_zone[locked]
        zone = _merge_small_patches(zone, region, min_cells, priority, weight, locked)
        rule_final = _inherit_rules(orig_zone, rule_idx, zone, region)
        zone_grid[win][region] = zone[region]
        rule_grid[win][region] = rule_final[region] + 1
        pieces.append(_vectorise(vid, geom, zone, rule_final, region, grid, win, rs))

    zones = _assemble(pieces, rs, villages.crs)
    table = zone_table(zones, rules=rs)
    rows, cols = dem_r.shape
    sl = (slice(r0, r0 + rows), slice(c0, c0 + cols))
    zr = Raster(zone_grid[sl], dem_r.transform, dem_r.crs, 0, "zones")
    rr = Raster(rule_grid[sl], dem_r.transform, dem_r.crs, 0, "rules")
    return ZoningResult(zones=gpd.GeoDataFrame(zones, crs=villages.crs), table=table,
                        zone_raster=zr, rule_raster=rr, rules=rs,
                        streams=streams if needs_streams else None)


def _check_extra_layers(landuse: Any, designated: Any, dem_r: Raster, rs: RuleSet) -> None:
    """Check the optional existing land-use and designated-area layers against the DEM and rules."""
    if landuse is not None:
        lname = _validate.layer_name(landuse, "landuse")
        _validate.require_geodataframe(landuse, layer=lname)
        _validate.require_projected(landuse, layer=lname)
        _validate.require_same_crs({"dem": dem_r, lname: landuse})
        _validate.require_columns(landuse, ["land_type"], layer=lname)
        _validate.require_vocabulary(landuse, "land_type", _validate.LAND_TYPES, layer=lname)
        _validate.require_geom_types(landuse, ("Polygon", "MultiPolygon"), layer=lname)

    if designated is not None:
        dname = _validate.layer_name(designated, "designated areas")
        _validate.require_geodataframe(designated, layer=dname)
        _validate.require_projected(designated, layer=dname)
        _validate.require_same_crs({"dem": dem_r, dname: designated})
        _validate.require_columns(designated, ["zone"], layer=dname)
        _validate.require_vocabulary(designated, "zone", list(rs.zones), layer=dname)
        _validate.require_geom_types(designated, ("Polygon", "MultiPolygon"), layer=dname)


def _stream_distances(streams: Any, dem_r: Raster, grid: Raster, any_region: np.ndarray,
                      rs: RuleSet) -> dict[int | None, np.ndarray]:
    """Distance [m] to the streams (up to each stream order the rules use), in the village cells."""
    distances: dict[int | None, np.ndarray] = {}
    orders = {r.max_stream_order for r in rs.rules if r.uses_streams}
    _check_streams(streams, dem_r, needs_order=any(o is not None for o in orders))
    for o in sorted(orders, key=lambda v: -1 if v is None else v):
        thresholds = [d for r in rs.rules if r.uses_streams and r.max_stream_order == o
                      for d in (r.max_stream_distance_m, r.min_stream_distance_m)
                      if d is not None]
        distances[o] = _stream_distance(streams, grid, cells=any_region,
                                        thresholds_m=thresholds, max_order=o)
    return distances


def _require_coverage(villages: Any, dem: Raster, layer: str) -> None:
    """Raise RasterError naming the first village with no DEM data inside it."""
    import shapely

    geoms = np.asarray(villages.geometry.to_numpy(), dtype=object)
    inside = shapely.intersects(geoms, shapely.box(*dem.bounds))
    valid = dem.valid
    for vid, ok, geom in zip(villages["village_id"], inside, geoms):
        if ok:
            win, touch, _ = _region(geom, dem)
            ok = bool((touch & valid[win]).any())
        if not ok:
            raise RasterError("the DEM has no data inside this village", source=layer,
                              feature_id=vid, hint="use a DEM that covers the village territory")


def _derive_streams(dem: Raster) -> Any:
    return derive_streams(dem)


def _assemble(pieces: list[pd.DataFrame], rs: RuleSet, crs: Any) -> pd.DataFrame:
    import geopandas as gpd
    import shapely

    df = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(
        columns=["village_id", "zone", "rule", "geometry"])
    geoms = np.asarray(df["geometry"].to_numpy(), dtype=object)
    df["area_ha"] = shapely.area(geoms) / 1e4 if len(df) else []
    zone_order = {z: i for i, z in enumerate(rs.zones)}
    rule_pos = {r.id: i for i, r in enumerate(rs.rules)}
    reasons = {r.id: r.reason for r in rs.rules}
    df["category"] = [rs.zones[z].category for z in df["zone"]]
    df["reason"] = [reasons[r] for r in df["rule"]]
    if len(df):
        c = shapely.centroid(geoms)
        df["_z"] = df["zone"].map(zone_order)
        df["_r"] = df["rule"].map(rule_pos)
        df["_x"] = np.round(shapely.get_x(c), 3)
        df["_y"] = np.round(shapely.get_y(c), 3)
        df["_vid"] = df["village_id"].astype(str)
        df = df.sort_values(["_vid", "_z", "_r", "area_ha", "_y", "_x"],
                            ascending=[True, True, True, False, False, True], kind="mergesort")
        df["zone_id"] = df["_vid"] + "-" + (df.groupby("_vid").cumcount() + 1).map("{:04d}".format)
    else:
        df["zone_id"] = []
    cols = ["zone_id", "village_id", "zone", "category", "rule", "reason", "area_ha", "geometry"]
    return gpd.GeoDataFrame(df[cols].reset_index(drop=True), geometry="geometry", crs=crs)


def zone_table(zones: gpd.GeoDataFrame, *, rules: RuleSet | str | os.PathLike | None = None) -> pd.DataFrame:
    """Zone area table per village, in hectares and percent, as in a PLUP zoning table.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Output ``zones`` of :func:`zone_villages` (``village_id``, ``zone``; areas are
        measured from the geometries).
    rules : RuleSet or path, optional
        Gives the row order (zone order of the rule file) and categories.

    Returns
    -------
    pandas.DataFrame
        ``village_id``, ``zone``, ``category``, ``label_en``, ``label_lo``, ``area_ha``,
        ``share_pct``; rows sorted by village then zone order. ``share_pct`` of each
        village sums to 100.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> z = gpd.GeoDataFrame({"village_id": ["V1", "V1"], "zone": ["PADDY", "PROTECTION_FOREST"]},
    ...                      geometry=[box(0, 0, 100, 100), box(100, 0, 400, 100)], crs=32647)
    >>> t = zone_table(z)
    >>> t[["village_id", "zone", "area_ha", "share_pct"]].values.tolist()
    [['V1', 'PROTECTION_FOREST', 3.0, 75.0], ['V1', 'PADDY', 1.0, 25.0]]
    >>> t["label_en"].tolist()
    ['Protection forest', 'Paddy']
    """
    rs = load_rules(rules)
    name = _validate.layer_name(zones, "zones")
    _validate.require_geodataframe(zones, layer=name)
    _validate.require_columns(zones, ["village_id", "zone"], layer=name)
    _validate.require_projected(zones, layer=name)
    df = pd.DataFrame({"village_id": zones["village_id"].to_numpy(),
                       "zone": zones["zone"].to_numpy(),
                       "area_ha": zones.geometry.area.to_numpy() / 1e4})
    out = df.groupby(["village_id", "zone"], sort=False, as_index=False)["area_ha"].sum()
    total = out.groupby("village_id")["area_ha"].transform("sum")
    out["share_pct"] = np.where(total > 0, 100.0 * out["area_ha"] / total, 0.0)
    order = {z: i for i, z in enumerate(rs.zones)}
    out["category"] = [rs.zones[z].category if z in rs.zones else "other" for z in out["zone"]]
    out["label_en"] = [rs.zones[z].label_en if z in rs.zones else z for z in out["zone"]]
    out["label_lo"] = [rs.zones[z].label_lo if z in rs.zones else "" for z in out["zone"]]
    out["_o"] = out["zone"].map(lambda z: order.get(z, len(order)))
    out["_v"] = out["village_id"].astype(str)
    out = out.sort_values(["_v", "_o", "zone"], kind="mergesort")
    out["area_ha"] = out["area_ha"].round(4)
    out["share_pct"] = out["share_pct"].round(3)
    cols = ["village_id", "zone", "category", "label_en", "label_lo", "area_ha", "share_pct"]
    return out[cols].reset_index(drop=True)


# =========================================================================================
# Land suitability
# =========================================================================================
def _classify_limits(values: np.ndarray, lim: SuitabilityLimits) -> np.ndarray:
    """1 = S1, 2 = S2, 3 = S3, 4 = N; 0 where the value is NaN."""
    out = np.select([values <= lim.s1_max, values <= lim.s2_max, values <= lim.s3_max],
                     [1, 2, 3], default=4).astype(np.uint8)
    out[np.isnan(values)] = 0
    return out


def suitability(
    dem: RasterSource,
    *,
    land_use: str,
    rules: RuleSet | str | os.PathLike | None = None,
    streams: gpd.GeoDataFrame | None = None,
    slope: Any = None,
) -> Raster:
    """FAO land suitability class of each cell for one land use.

    Each factor of ``[suitability.<land_use>]`` (slope, distance to streams, elevation)
    is classed S1 / S2 / S3 / N by its limits, and the cell takes the class of its most
    limiting factor, following the FAO *Framework for Land Evaluation* (FAO 1976,
    ch. 3, "the most limiting factor" matching of land qualities) [1]_:

    .. math::

        \\mathrm{class}(x) = \\max_f \\; c_f(v_f(x)), \\qquad
        c_f(v) = \\begin{cases} S1 & v \\le l_{1,f}\\\\ S2 & v \\le l_{2,f}\\\\
        S3 & v \\le l_{3,f} \\\\ N & \\text{otherwise}\\end{cases}

    Parameters
    ----------
    dem : Raster, path or tuple
        Elevation [m], projected CRS.
    land_use : str
        A land use with a ``[suitability.<land_use>]`` table (default rules: ``paddy``,
        ``upland``, ``permanent``, ``grazing``).
    rules : RuleSet or path, optional
        Default: Lao PLUP rules.
    streams : geopandas.GeoDataFrame, optional
        Stream lines, needed when the land use has a stream-distance factor; derived
        from the DEM (:func:`landuse.terrain.hydrology.streams`) when omitted.
    slope : Raster, optional
        Slope [%] on the DEM grid, if already computed.

    Returns
    -------
    Raster
        ``uint8`` codes 1 = S1, 2 = S2, 3 = S3, 4 = N, 0 = nodata, on the DEM grid
        (names in :data:`SUITABILITY_CLASSES`, index = code - 1).

    Raises
    ------
    SchemaError
        An unknown land use.

    References
    ----------
    .. [1] FAO (1976). *A Framework for Land Evaluation*. Soils Bulletin 32. Rome.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> z = np.tile(np.arange(10) * 10 * 0.12, (10, 1))        # 12 % slope
    >>> dem = (z, Affine(10, 0, 500000, 0, -10, 2300000), "EPSG:32647")
    >>> r = suitability(dem, land_use="upland")
    >>> SUITABILITY_CLASSES[int(r.data[5, 5]) - 1]
    'S1'
    >>> SUITABILITY_CLASSES[int(suitability(dem, land_use="permanent").data[5, 5]) - 1]
    'S2'
    """
    rs = load_rules(rules)
    dem_r = _coerce_dem(dem)
    limits = rs.suitability.get(land_use)
    if limits is None:
        raise SchemaError(f"land_use={land_use!r} has no [suitability.{land_use}] table in "
                          "the rules",
                          source=rs.source,
                          hint=f"use one of {', '.join(rs.suitability) or '(none defined)'}")
    values: dict[str, np.ndarray] = {}
    for lim in limits:
        if lim.factor == "slope_pct":
            if slope is not None:
                sl = as_raster(slope)
                if sl.shape != dem_r.shape:
                    raise RasterError(f"the slope grid {sl.shape} differs from the DEM grid "
                                      f"{dem_r.shape}", source="slope",
                                      hint="compute slope from the same DEM")
                values["slope_pct"] = sl.as_float()
            else:
                values["slope_pct"] = _slope_pct(dem_r)
        elif lim.factor == "elev_m":
            values["elev_m"] = dem_r.as_float()
        elif lim.factor == "stream_distance_m":
            st = _derive_streams(dem_r) if streams is None else streams
            _check_streams(st, dem_r, needs_order=False)
            values["stream_distance_m"] = _stream_distance(
                st, dem_r, cells=dem_r.valid, thresholds_m=(lim.s1_max, lim.s2_max, lim.s3_max))
    cls = np.zeros(dem_r.shape, np.uint8)
    valid = dem_r.valid.copy()
    for lim in limits:
        c = _classify_limits(values[lim.factor], lim)
        valid &= c > 0
        cls = np.maximum(cls, c)
    cls[~valid] = 0
    return Raster(cls, dem_r.transform, dem_r.crs, 0, f"suitability_{land_use}")


def parcel_suitability(
    parcels: gpd.GeoDataFrame,
    dem: RasterSource,
    *,
    rules: RuleSet | str | os.PathLike | None = None,
    streams: gpd.GeoDataFrame | None = None,
    land_uses: list[str] | None = None,
) -> pd.DataFrame:
    """FAO suitability class of each parcel for each land use, and for its own land type.

    The cell classes of :func:`suitability` are weighted by the exact fraction of each
    cell inside the parcel (exactextract); the parcel takes the class covering the
    largest share of its area (ties: the less suitable class).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        ``parcel_id``, ``land_type``, Polygons in the DEM's projected CRS.
    dem : Raster, path or tuple
        Elevation [m].
    rules : RuleSet or path, optional
        Default: Lao PLUP rules.
    streams : geopandas.GeoDataFrame, optional
        Stream lines (see :func:`suitability`).
    land_uses : list of str, optional
        Land uses to class; default every ``[suitability.*]`` table.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with *parcels*: ``suitability_<land_use>`` (S1/S2/S3/N) and
        ``<land_use>_s1_pct`` ... ``<land_use>_n_pct`` shares [%] per land use, plus
        ``suitability`` for the parcel's own ``land_type`` (None if it has no table).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> z = np.tile(np.arange(30) * 10 * 0.20, (30, 1))         # 20 % slope
    >>> dem = (z, Affine(10, 0, 500000, 0, -10, 2300300), "EPSG:32647")
    >>> p = gpd.GeoDataFrame({"parcel_id": ["A"], "land_type": ["upland"]},
    ...                      geometry=[box(500050, 2300050, 500250, 2300250)], crs=32647)
    >>> parcel_suitability(p, dem, land_uses=["upland", "permanent"])[
    ...     ["suitability_upland", "suitability_permanent", "suitability"]].iloc[0].tolist()
    ['S2', 'S3', 'S2']
    """
    rs = load_rules(rules)
    name = check_parcels(parcels, id_column="parcel_id", land_types=True)
    dem_r = _coerce_dem(dem)
    _validate.require_same_crs({"dem": dem_r, name: parcels})
    uses = list(rs.suitability) if land_uses is None else list(land_uses)
    for u in uses:
        if u not in rs.suitability:
            raise SchemaError(f"land use {u!r} has no [suitability.{u}] table in the rules",
                              source=rs.source, hint=f"use one of {', '.join(rs.suitability)}")
    slope_r = Raster(_slope_pct(dem_r), dem_r.transform, dem_r.crs, None, "slope")
    needs_streams = any(lim.factor == "stream_distance_m"
                        for u in uses for lim in rs.suitability[u])
    if needs_streams and streams is None:
        streams = _derive_streams(dem_r)
    out = pd.DataFrame(index=parcels.index)
    classes = {u: suitability(dem_r, land_use=u, rules=rs, streams=streams, slope=slope_r)
               for u in uses}
    fractions = _parcel_fractions(parcels, classes, 4) if uses else {}
    own = np.full(len(parcels), None, dtype=object)
    land = parcels["land_type"].to_numpy()
    for u in uses:
        frac = fractions[u]
        total = frac.sum(axis=1, keepdims=True)
        share = frac / np.where(total > 0, total, 1)
        # dominant class; ties resolved to the less suitable class
        best = 3 - np.argmax(share[:, ::-1], axis=1)
        labels = np.asarray(SUITABILITY_CLASSES, dtype=object)[best]
        labels[total[:, 0] == 0] = None
        out[f"suitability_{u}"] = labels
        for k, c in enumerate(SUITABILITY_CLASSES):
            out[f"{u}_{c.lower()}_pct"] = np.round(100 * share[:, k], 3)
        own[land == u] = labels[land == u]
    out["suitability"] = own
    return out


# =========================================================================================
# Parcels against zones
# =========================================================================================
def _conflicts(rs: RuleSet, land: np.ndarray, present: list[str], share: np.ndarray,
               incompatible: np.ndarray, unzoned: np.ndarray,
               mean_slope: np.ndarray) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """Severity, reason and action of each parcel's conflict (None where there is none)."""
    med, high = rs.conflict_medium_share_pct, rs.conflict_high_share_pct
    severity: list[str | None] = []
    reasons: list[str | None] = []
    actions: list[str | None] = []
    for i, lt in enumerate(land):
        sev: str | None = None
        why: list[str] = []
        act: list[str] = []
        if incompatible[i] >= med and incompatible[i] > 0:
            parts = [f"{z} ({share[i, j]:.0f} %)" for j, z in enumerate(present)
                     if share[i, j] > 0 and lt not in rs.zones[z].allowed_land_types]
            why.append(f"{incompatible[i]:.0f} % of this {lt} parcel lies in {', '.join(parts)}, "
                       f"where {lt} is not allowed")
            act.append("check the parcel boundary in the field; with the village land management "
                       "committee either move the use out of the zone, change the land type, or "
                       "revise the zoning")
            sev = "high" if incompatible[i] >= high else "medium"
        limit = rs.slope_limit_pct(lt)
        if limit is not None and np.isfinite(mean_slope[i]) and mean_slope[i] > limit:
            why.append(f"mean slope {mean_slope[i]:.1f} % exceeds the {lt} limit of {limit:g} %")
            act.append("verify terracing or soil conservation, or reclassify the parcel to a "
                       "land type allowed on this slope")
            sev = "high"
        if unzoned[i] >= med:
            why.append(f"{unzoned[i]:.0f} % of the parcel lies outside the zoned village "
                       "territory")
            act.append("check the parcel against the village boundary")
            sev = sev or "medium"
        severity.append(sev)
        reasons.append("; ".join(why) if why else None)
        actions.append("; ".join(act) if act else None)
    return severity, reasons, actions


def parcel_zones(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    rules: RuleSet | str | os.PathLike | None = None,
    dem: RasterSource | None = None,
) -> Any:
    """Check parcels against the zoning: dominant zone, share in each zone, conflicts.

    A parcel is in conflict when (a) the share of its area in zones whose
    ``allowed_land_types`` exclude its ``land_type`` reaches ``[conflicts]
    medium_share_pct`` (severity ``medium``) or ``high_share_pct`` (``high``); (b) with a
    DEM, its mean slope exceeds the slope limit (``max_slope_pct``) of its land type in
    ``[suitability]`` (``high``); or (c) at least ``medium_share_pct`` of it lies outside
    every zone, i.e. outside the zoned village territory (``medium``).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        ``parcel_id``, ``land_type`` (parcel vocabulary), Polygons; projected CRS.
    zones : geopandas.GeoDataFrame
        ``zone`` polygons, e.g. ``zone_villages(...).zones``.
    rules : RuleSet or path, optional
        Zone compatibility, slope limits and thresholds; default Lao PLUP rules.
    dem : Raster, path or tuple, optional
        Elevation [m]; enables the slope check (mean slope per parcel, exact cell
        coverage weights).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of *parcels* with ``area_ha``, ``dominant_zone``, ``dominant_zone_pct``,
        ``pct_<zone>`` for each zone present [%], ``unzoned_pct``, ``incompatible_pct``,
        ``mean_slope_pct`` (NaN without DEM), ``conflict`` (bool), ``severity``
        (``"high"``, ``"medium"`` or None), ``conflict_reason`` and ``action``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame({"zone": ["PROTECTION_FOREST", "ROTATIONAL_UPLAND"]},
    ...     geometry=[box(0, 0, 80, 100), box(80, 0, 200, 100)], crs=32647)
    >>> p = gpd.GeoDataFrame({"parcel_id": ["P1"], "land_type": ["upland"]},
    ...     geometry=[box(0, 0, 100, 100)], crs=32647)
    >>> r = parcel_zones(p, zones).iloc[0]
    >>> r["dominant_zone"], float(r["dominant_zone_pct"]), r["severity"]
    ('PROTECTION_FOREST', 80.0, 'high')
    >>> print(r["conflict_reason"])
    80 % of this upland parcel lies in PROTECTION_FOREST (80 %), where upland is not allowed
    """
    import geopandas as gpd
    import shapely

    rs = load_rules(rules)
    pname = check_parcels(parcels, id_column="parcel_id", land_types=True)
    zname = _validate.layer_name(zones, "zones")
    _validate.require_geodataframe(zones, layer=zname)
    _validate.require_columns(zones, ["zone"], layer=zname)
    _validate.require_projected(zones, layer=zname)
    _validate.require_same_crs({pname: parcels, zname: zones})
    unknown = sorted(set(zones["zone"]) - set(rs.zones))
    if unknown:
        raise SchemaError(f"zone {unknown[0]!r} is not in the rule set's zone vocabulary",
                          source=zname, column="zone",
                          hint="use the rules that made the zones (rules=...)")

    pg = np.asarray(parcels.geometry.to_numpy(), dtype=object)
    zg = np.asarray(zones.geometry.to_numpy(), dtype=object)
    p_area = shapely.area(pg)
    zone_names = np.asarray(zones["zone"].to_numpy(), dtype=object)
    present = [z for z in rs.zones if z in set(zone_names)]
    zidx = {z: i for i, z in enumerate(present)}
    area_in = np.zeros((len(pg), len(present)))
    tree = shapely.STRtree(zg)
    pi, zi = tree.query(pg, predicate="intersects")
    if len(pi):
        inter = shapely.area(shapely.intersection(pg[pi], zg[zi]))
        cols = np.asarray([zidx[z] for z in zone_names[zi]])
        np.add.at(area_in, (pi, cols), inter)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(p_area[:, None] > 0, 100.0 * area_in / p_area[:, None], 0.0)
    share = np.minimum(share, 100.0)
    unzoned = np.clip(100.0 - share.sum(axis=1), 0.0, 100.0)

    out = parcels.copy()
    out["area_ha"] = np.round(p_area / 1e4, 6)
    if present:
        dom = np.argmax(share, axis=1)
        has = share.max(axis=1) > 0
        out["dominant_zone"] = np.where(has, np.asarray(present, dtype=object)[dom], None)
        out["dominant_zone_pct"] = np.where(has, np.round(share[np.arange(len(pg)), dom], 3), 0.0)
    else:
        out["dominant_zone"] = None
        out["dominant_zone_pct"] = 0.0
    for z in present:
        out[f"pct_{z.lower()}"] = np.round(share[:, zidx[z]], 3)
    out["unzoned_pct"] = np.round(unzoned, 3)

    land = parcels["land_type"].to_numpy()
    incompatible = np.zeros(len(pg))
    for j, z in enumerate(present):
        bad = np.asarray([lt not in rs.zones[z].allowed_land_types for lt in land])
        incompatible += np.where(bad, share[:, j], 0.0)
    out["incompatible_pct"] = np.round(incompatible, 3)

    mean_slope = np.full(len(pg), np.nan)
    if dem is not None:
        dem_r = _coerce_dem(dem)
        _validate.require_same_crs({"dem": dem_r, pname: parcels})
        mean_slope = _parcel_mean(parcels, _slope_pct(dem_r), dem_r)
    out["mean_slope_pct"] = np.round(mean_slope, 3)

    severity, reasons, actions = _conflicts(rs, land, present, share, incompatible, unzoned, mean_slope)
    out["conflict"] = [s is not None for s in severity]
    out["severity"] = severity
    out["conflict_reason"] = reasons
    out["action"] = actions
    return gpd.GeoDataFrame(out, geometry=parcels.geometry.name, crs=parcels.crs)


def conflict_report(parcel_zone_table: Any) -> pd.DataFrame:
    """The conflicts of :func:`parcel_zones` as a table a district officer can act on.

    Parameters
    ----------
    parcel_zone_table : geopandas.GeoDataFrame
        Output of :func:`parcel_zones`.

    Returns
    -------
    pandas.DataFrame
        One row per parcel in conflict, ``high`` before ``medium``, then by village and
        parcel id: ``parcel_id``, ``village_id``, ``household_id``, ``land_type``,
        ``area_ha``, ``dominant_zone``, ``dominant_zone_pct``, ``incompatible_pct``,
        ``mean_slope_pct``, ``severity``, ``conflict_reason``, ``action`` (columns absent
        from the input are left out).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame({"zone": ["PROTECTION_FOREST"]}, geometry=[box(0, 0, 100, 100)],
    ...                          crs=32647)
    >>> p = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"], "land_type": ["paddy", "forest"]},
    ...                      geometry=[box(0, 0, 50, 50), box(50, 50, 100, 100)], crs=32647)
    >>> conflict_report(parcel_zones(p, zones))[["parcel_id", "severity"]].values.tolist()
    [['P1', 'high']]
    """
    name = _validate.layer_name(parcel_zone_table, "parcel zones")
    _validate.require_columns(parcel_zone_table, ["parcel_id", "conflict", "severity"], layer=name)
    df = pd.DataFrame(parcel_zone_table.drop(columns=parcel_zone_table.geometry.name)
                      if hasattr(parcel_zone_table, "geometry") else parcel_zone_table)
    df = df[df["conflict"].astype(bool)].copy()
    df["_s"] = df["severity"].map({"high": 0, "medium": 1}).fillna(2)
    keys = ["_s"] + [c for c in ("village_id", "parcel_id") if c in df.columns]
    df["parcel_id"] = df["parcel_id"].astype(str)
    if "village_id" in df.columns:
        df["village_id"] = df["village_id"].astype(str)
    df = df.sort_values(keys, kind="mergesort")
    cols = ["parcel_id", "village_id", "household_id", "land_type", "area_ha", "dominant_zone",
            "dominant_zone_pct", "incompatible_pct", "mean_slope_pct", "severity",
            "conflict_reason", "action"]
    return df[[c for c in cols if c in df.columns]].reset_index(drop=True)
