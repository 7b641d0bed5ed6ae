"""Input preparation for :mod:`landuse.allocation` (private): checks, anchors, subproblems.

:func:`zone_compatible` is public and re-exported by :mod:`landuse.allocation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landuse import _validate
from landuse._validate.parcels import check_parcels
from landuse.allocation._model import Subproblem
from landuse.allocation.quotas import EntitlementRules, entitlements, load_rules
from landuse.errors import SchemaError

if TYPE_CHECKING:  # annotations only; geopandas is imported where it is used
    import geopandas as gpd

__all__ = ["ZONE_LAND_TYPES", "zone_compatible"]

#: Zone codes (``domain.md`` §2.3) and the parcel land type each one accepts.
ZONE_LAND_TYPES = {"PADDY": "paddy", "ROTATIONAL_UPLAND": "upland", "PERMANENT_CROPS": "permanent",
                   "GRAZING": "grazing", "RESIDENTIAL": "residential"}


def zone_compatible(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """Whether each parcel lies in an agricultural zone that accepts its land type.

    Parameters
    ----------
    parcels : GeoDataFrame
        ``land_type`` and polygons.
    zones : GeoDataFrame
        ``zone`` (codes such as ``PADDY``, ``ROTATIONAL_UPLAND``,
        ``PERMANENT_CROPS``; see :data:`ZONE_LAND_TYPES`) and polygons, same CRS.

    Returns
    -------
    Series of bool
        Index-aligned with *parcels*: True when the parcel's representative point
        (a point always inside it) lies in a zone whose code maps to its land type.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame({"zone": ["PADDY", "PROTECTION_FOREST"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=32647)
    >>> parcels = gpd.GeoDataFrame({"land_type": ["paddy", "paddy", "upland"]},
    ...     geometry=[box(10, 10, 20, 20), box(110, 10, 120, 20), box(30, 30, 40, 40)], crs=32647)
    >>> zone_compatible(parcels, zones).tolist()
    [True, False, False]
    """
    import geopandas as gpd

    zlayer = _validate.layer_name(zones, "zones")
    _validate.require_geodataframe(zones, layer=zlayer)
    col = "zone" if "zone" in zones.columns else ("zone_code" if "zone_code" in zones.columns else None)
    if col is None:
        _validate.require_columns(zones, ["zone"], layer=zlayer)
    _validate.require_same_crs({"parcels": parcels, "zones": zones})
    pts = gpd.GeoDataFrame({"_i": np.arange(len(parcels))}, geometry=parcels.geometry.representative_point()
                           .to_numpy(), crs=parcels.crs)
    z = gpd.GeoDataFrame({"_accepts": zones[col].astype(str).str.upper().map(ZONE_LAND_TYPES)},
                         geometry=zones.geometry.to_numpy(), crs=zones.crs)
    hit = gpd.sjoin(pts, z, how="inner", predicate="within")
    lt = parcels["land_type"].astype(str).to_numpy()
    ok = np.zeros(len(parcels), dtype=bool)
    match = hit["_accepts"].to_numpy() == lt[hit["_i"].to_numpy()]
    ok[hit["_i"].to_numpy()[match]] = True
    return pd.Series(ok, index=parcels.index, name="zone_compatible")


# -- input preparation ---------------------------------------------------------------
@dataclass
class _Inputs:
    parcels: Any  # allocatable parcels, sorted, with area_ha, cx, cy, holder
    ent: pd.DataFrame
    rules: EntitlementRules
    anchors: pd.DataFrame  # household_id -> ax, ay
    kept: pd.Series  # parcel_id -> household_id for kept parcels
    n_households: int
    excluded: pd.DataFrame  # allocatable-type parcels outside a compatible zone (with _row)
    names: pd.DataFrame  # household_id -> head names, when given


def _check_parcels(parcels: Any) -> str:
    """The parcels contract, plus a land type and a village on every parcel; the layer name."""
    layer = check_parcels(parcels, id_column="parcel_id", columns=["village_id", "land_type"])
    lt = parcels["land_type"]
    empty = lt.isna() | (lt.astype(str).str.strip() == "")
    if empty.any():
        pos = int(np.flatnonzero(empty.to_numpy())[0])
        raise SchemaError(
            f"parcel has no land type ({int(empty.sum())} such parcels); allocation needs to know "
            "whether a parcel is paddy, upland or permanent",
            source=layer, feature_id=parcels["parcel_id"].iloc[pos], column="land_type",
            hint=f"fill in land_type ({', '.join(_validate.LAND_TYPES)})",
        )
    _validate.require_vocabulary(parcels, "land_type", _validate.LAND_TYPES, layer=layer, id_column="parcel_id")
    _validate.require_no_nulls(parcels, "village_id", layer=layer, id_column="parcel_id")
    return layer


def _village_centres(parcels: Any, villages: Any, layer: str) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """Centres of the villages (``centre_x``/``centre_y`` or polygons) and the known village ids."""
    pv = parcels["village_id"].astype(str)
    centres: dict[str, tuple[float, float]] = {}
    if villages is None:
        return centres, set(pv)
    vlayer = _validate.layer_name(villages, "villages")
    _validate.require_columns(villages, ["village_id"], layer=vlayer)
    vids = villages["village_id"].astype(str)
    if {"centre_x", "centre_y"} <= set(villages.columns):
        cx = _validate.require_numeric(villages, "centre_x", layer=vlayer, id_column="village_id")
        cy = _validate.require_numeric(villages, "centre_y", layer=vlayer, id_column="village_id")
        centres = {v: (float(x), float(y)) for v, x, y in zip(vids, cx, cy, strict=True)}
    elif hasattr(villages, "geometry"):
        _validate.require_same_crs({"parcels": parcels, "villages": villages})
        pts = villages.geometry.representative_point()
        centres = {v: (float(p.x), float(p.y)) for v, p in zip(vids, pts, strict=True)}
    else:
        raise SchemaError("villages need centre_x/centre_y columns or polygons", source=vlayer,
                          column="centre_x", hint="pass the villages layer read with read_villages")
    known_v = set(vids)
    bad = ~pv.isin(known_v)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(f"parcel's village {pv.iloc[pos]!r} is not in the villages layer "
                          f"({int(bad.sum())} such parcels)", source=layer,
                          feature_id=parcels["parcel_id"].iloc[pos], column="village_id",
                          hint="correct the village id or add the village")
    return centres, known_v


def _anchors(hh: pd.DataFrame, base: pd.DataFrame, centres: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Each household's anchor for distances: home, else current holdings, else village centre."""
    anchors = pd.DataFrame({"household_id": hh["household_id"].to_numpy(),
                            "village_id": hh["village_id"].to_numpy()})
    anchors["ax"] = [centres.get(v, (np.nan, np.nan))[0] for v in anchors["village_id"]]
    anchors["ay"] = [centres.get(v, (np.nan, np.nan))[1] for v in anchors["village_id"]]
    anchors["anchor"] = "village centre"
    held = base[base["holder"].notna()]
    if len(held):
        w = held["area_ha"]
        g = held.assign(wx=held["cx"] * w, wy=held["cy"] * w).groupby("holder")[["wx", "wy", "area_ha"]].sum()
        mx, my = g["wx"] / g["area_ha"], g["wy"] / g["area_ha"]
        idx = anchors["household_id"].isin(g.index)
        anchors.loc[idx, "ax"] = anchors.loc[idx, "household_id"].map(mx).to_numpy()
        anchors.loc[idx, "ay"] = anchors.loc[idx, "household_id"].map(my).to_numpy()
        anchors.loc[idx, "anchor"] = "current holdings"
    if {"home_x", "home_y"} <= set(hh.columns):
        hx = pd.to_numeric(hh["home_x"], errors="coerce").to_numpy()
        hy = pd.to_numeric(hh["home_y"], errors="coerce").to_numpy()
        ok = np.isfinite(hx) & np.isfinite(hy)
        anchors.loc[ok, "ax"], anchors.loc[ok, "ay"] = hx[ok], hy[ok]
        anchors.loc[ok, "anchor"] = "home"
    anchors = anchors.set_index("household_id")
    return anchors


def _prepare(parcels: Any, households: pd.DataFrame, *, rules: Any, villages: Any,
             keep_existing: bool, zones: Any = None) -> _Inputs:
    r = load_rules(rules)
    layer = _check_parcels(parcels)
    lt = parcels["land_type"]
    ent = entitlements(households, rules=r)
    hlayer = _validate.layer_name(households, "households")
    hh = households.assign(household_id=households["household_id"].astype(str),
                           village_id=households["village_id"].astype(str))
    ent = ent.assign(household_id=ent["household_id"].astype(str), village_id=ent["village_id"].astype(str))
    pv = parcels["village_id"].astype(str)
    centres, known_v = _village_centres(parcels, villages, layer)
    badh = ~hh["village_id"].isin(known_v)
    if badh.any():
        pos = int(np.flatnonzero(badh.to_numpy())[0])
        where = "the villages layer" if villages is not None else "the parcels layer (no parcel has it)"
        raise SchemaError(f"household's village {hh['village_id'].iloc[pos]!r} is unknown: not in {where} "
                          f"({int(badh.sum())} such households)", source=hlayer,
                          feature_id=hh["household_id"].iloc[pos], column="village_id",
                          hint="correct the village id (ids are compared as text) or add the village")

    geom = parcels.geometry
    cen = geom.centroid
    base = pd.DataFrame({
        "parcel_id": parcels["parcel_id"].astype(str).to_numpy(),
        "village_id": pv.to_numpy(),
        "land_type": lt.astype(str).to_numpy(),
        "area_ha": geom.area.to_numpy() / 10_000.0,
        "cx": cen.x.to_numpy(), "cy": cen.y.to_numpy(),
        "holder": (parcels["household_id"].astype(object).where(parcels["household_id"].notna(), None)
                   .map(lambda v: None if v is None or str(v).strip() == "" else str(v)).to_numpy()
                   if "household_id" in parcels.columns else None),
        "lawful": (parcels["lawful"].map(lambda v: bool(v) and str(v).strip().lower() not in ("0", "false", "no"))
                   .to_numpy() if "lawful" in parcels.columns else True),
        "_row": np.arange(len(parcels)),
    })
    for v in sorted(set(base["village_id"]) - set(centres)):
        sub = base[base["village_id"] == v]
        centres[v] = (float(sub["cx"].mean()), float(sub["cy"].mean()))

    anchors = _anchors(hh, base, centres)
    alloc = base[base["land_type"].isin(r.land_types)]
    kept = pd.Series(dtype=object)
    if keep_existing and len(alloc):
        hv = dict(zip(hh["household_id"], hh["village_id"], strict=True))
        ok = alloc["holder"].notna() & alloc["lawful"].astype(bool)
        same = [hv.get(h) == v for h, v in zip(alloc["holder"], alloc["village_id"], strict=True)]
        ok &= np.array(same, dtype=bool)
        kept = pd.Series(alloc.loc[ok, "holder"].to_numpy(), index=alloc.loc[ok, "parcel_id"].to_numpy())
    excluded = alloc.iloc[:0]
    if zones is not None:
        # kept holdings stay with their holder even outside a compatible zone
        ok = zone_compatible(parcels, zones).to_numpy()[alloc["_row"].to_numpy()]
        ok |= alloc["parcel_id"].isin(kept.index).to_numpy()
        excluded, alloc = alloc[~ok], alloc[ok]
    alloc = alloc.sort_values(["village_id", "land_type", "parcel_id"]).reset_index(drop=True)
    name_cols = [c for c in ("head_name", "head_name_lo", "spouse_name", "spouse_name_lo") if c in hh.columns]
    names = hh.set_index("household_id")[name_cols]
    return _Inputs(parcels=alloc, ent=ent, rules=r, anchors=anchors, kept=kept, n_households=len(hh),
                   excluded=excluded, names=names)


def _subproblems(inp: _Inputs) -> list[Subproblem]:
    """Build one Subproblem per (village, land type) that has households or parcels."""
    ent = inp.ent[inp.ent["entitled_ha"] > 0]
    out = []
    par = inp.parcels
    keys = sorted(set(zip(par["village_id"], par["land_type"], strict=True))
                  | set(zip(ent["village_id"], ent["land_type"], strict=True)))
    by_vt_p = {k: g for k, g in par.groupby(["village_id", "land_type"], sort=True)}
    by_vt_h = {k: g for k, g in ent.groupby(["village_id", "land_type"], sort=True)}
    for key in keys:
        v, t = key
        pg = by_vt_p.get(key, par.iloc[:0])
        hg = by_vt_h.get(key, ent.iloc[:0]).sort_values("household_id")
        hids = hg["household_id"].to_numpy(dtype=object)
        kept_mask = pg["parcel_id"].isin(inp.kept.index).to_numpy()
        kept_h = inp.kept.reindex(pg["parcel_id"][kept_mask]).to_numpy() if kept_mask.any() else np.array([])
        karea = dict.fromkeys(hids, 0.0)
        kcount = dict.fromkeys(hids, 0)
        for hid, a in zip(kept_h, pg["area_ha"].to_numpy()[kept_mask], strict=True):
            if hid in karea:
                karea[hid] += a
                kcount[hid] += 1
        free = pg[~kept_mask]  # kept parcels stay with their holder whatever happens
        E = hg["entitled_ha"].to_numpy(dtype=float)
        C = hg["cap_ha"].to_numpy(dtype=float)
        N = hg["max_plots"].to_numpy(dtype=np.int64)
        K = np.array([karea[h] for h in hids], dtype=float)
        k = np.array([kcount[h] for h in hids], dtype=np.int64)
        cap_free = np.maximum(C, K) - K
        plots_free = np.maximum(N, k) - k
        area = free["area_ha"].to_numpy(dtype=float)
        # pairs: every household x every free parcel that fits its cap; plots left
        nh, npar = len(hids), len(free)
        if nh and npar:
            hh_grid, pp_grid = np.meshgrid(np.arange(nh), np.arange(npar), indexing="ij")
            hh_idx, pp_idx = hh_grid.ravel(), pp_grid.ravel()
            ok = (area[pp_idx] <= cap_free[hh_idx] + 1e-9) & (plots_free[hh_idx] > 0)
            hh_idx, pp_idx = hh_idx[ok], pp_idx[ok]
            anc = inp.anchors.loc[hids, ["ax", "ay"]].to_numpy(dtype=float)
            dx = free["cx"].to_numpy()[pp_idx] - anc[hh_idx, 0]
            dy = free["cy"].to_numpy()[pp_idx] - anc[hh_idx, 1]
            dist = np.hypot(dx, dy)
        else:
            hh_idx = pp_idx = np.array([], dtype=np.int64)
            dist = np.array([], dtype=float)
        sp = Subproblem(
            village_id=v, land_type=t, household_ids=hids, entitled=E - K, entitled_full=E,
            cap=cap_free, plots=plots_free, weight=hg["shortfall_weight"].to_numpy(dtype=float),
            parcel_ids=free["parcel_id"].to_numpy(dtype=object), area=area,
            pair_h=hh_idx.astype(np.int64), pair_p=pp_idx.astype(np.int64), pair_d=dist,
        )
        out.append(sp)
    return out
