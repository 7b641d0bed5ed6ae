#!/usr/bin/env python
"""Generate the bundled Oudomxay demo dataset of ``landuse`` (deterministic).

Usage::

    .venv/bin/python tools/make_demo.py                 # writes landuse/datasets/data/
    .venv/bin/python tools/make_demo.py --out /tmp/demo # anywhere else

Real parts (copied, with their licences, see ``NOTICE.md``):

* the Xay district boundary (OCHA/HDX COD-AB Lao PDR, ADM2 ``LA0401``),
* seven village names in Lao and English with their official village codes (Lao
  village register, district code 0401).

Everything else is synthetic and made here from one fixed seed: a 12 km x 12 km
window of terrain (20 m DEM) with a dendritic stream network draining to one outlet,
village centres and territories, forest cover, parcels, households, cultivation
histories 1990-2025, illustrative monthly climate normals and three candidate
irrigation schemes. Running the script twice gives byte-identical files.

The script only uses numpy, scipy, shapely, geopandas (and rasterio/pyogrio through
:mod:`landuse.io` to write the files atomically with fixed metadata).
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from scipy import ndimage
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import landuse._validate  # noqa: E402,F401  (imported first: io imports it from the package)
import landuse.io as lio  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"  # real inputs (each folder has a SOURCE.md)
DISTRICT_SRC = Path("lao_admin_codab_hdx") / "oudomxay-final.json"
REGISTER_SRC = Path("lao_village_register") / "oudomxay_villages.csv"

SEED = 20_260_402
CRS = "EPSG:32647"
CELL = 20.0  # DEM cell size [m]
NX = NY = 600  # 12 km x 12 km
X0, Y0 = 796_000.0, 2_279_000.0  # lower-left corner of the window [m, EPSG:32647]
X1, Y1 = X0 + NX * CELL, Y0 + NY * CELL
TRANSFORM = Affine(CELL, 0.0, X0, 0.0, -CELL, Y1)
NODATA = -9999.0
OUTLET_Z_M = 560.0  # river bed at the outlet [m a.s.l.]
COARSE = 5  # coarse drainage grid = 5 x 5 DEM cells (100 m)
TOWN_LONLAT = (101.98368, 20.69229)  # Muang Xay (GeoNames)

#: The seven real villages (Xay district register), with their synthetic household counts
#: and ethnicity mix.
VILLAGES = [
    # village_id, households, main group, (shares Lao Loum/Lue, Khmu, Hmong)
    ("0401015", 160, "Lao Loum", (0.80, 0.20, 0.00)),
    ("0401035", 128, "Lao Loum", (0.65, 0.35, 0.00)),
    ("0401016", 112, "Khmu", (0.30, 0.70, 0.00)),
    ("0401020", 96, "Khmu", (0.10, 0.90, 0.00)),
    ("0401093", 75, "Khmu", (0.05, 0.95, 0.00)),
    ("0401028", 65, "Khmu", (0.00, 1.00, 0.00)),
    ("0401048", 84, "Hmong", (0.00, 0.05, 0.95)),
]
TOTAL_HOUSEHOLDS = 720

#: Candidate irrigation schemes: (scheme_id, families, area_ha) targets.
#: The catchment ranges [km2] differ so that the schemes range from well supplied to water-short.
SCHEME_TARGETS = [
    ("S1", 11, 7.2, (6.0, 25.0)),
    ("S2", 11, 7.5, (3.5, 8.0)),
    ("S3", 10, 6.8, (1.5, 3.5)),
]

#: Parcel id letters per land type.
LETTER = {
    "paddy": "P",
    "upland": "U",
    "permanent": "G",
    "grazing": "L",
    "residential": "R",
    "other": "X",
    "forest": "F",
}

SYNTHETIC = "synthetic (tools/make_demo.py)"

NEIGH = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


# ======================================================================================
# Helpers
# ======================================================================================
def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise scaled to zero mean and unit standard deviation."""
    z = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="reflect")
    return (z - z.mean()) / z.std()


def fractal(rng: np.random.Generator, shape: tuple[int, int], sigmas=(2, 5, 12, 30)) -> np.ndarray:
    """Sum of smooth noise fields, amplitude proportional to scale (brown-ish noise)."""
    out = sum(s * smooth_noise(rng, shape, s) for s in sigmas)
    return (out - out.mean()) / out.std()


def cell_centres(shape: tuple[int, int], transform: Affine) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = shape
    xs = transform.c + (np.arange(cols) + 0.5) * transform.a
    ys = transform.f + (np.arange(rows) + 0.5) * transform.e
    return np.meshgrid(xs, ys)


def to_rowcol(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    col = np.clip(((np.asarray(x) - X0) // CELL).astype(int), 0, NX - 1)
    row = np.clip(((Y1 - np.asarray(y)) // CELL).astype(int), 0, NY - 1)
    return row, col


def priority_flood(
    z: np.ndarray, outlet: tuple[int, int], *, eps: float, invade: bool = False
) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Fill depressions draining everything to one *outlet* cell (edges are walls).

    Priority-flood with an epsilon gradient (Barnes, Lehman & Mulla 2014,
    doi:10.1016/j.cageo.2013.04.024). Returns the filled surface, the processing order
    (a topological order from the outlet upwards) and the receiver of each cell (the
    cell that flooded it; -1 for the outlet). With ``invade=True`` cells are taken in
    the order of their own (unfilled) value, which is invasion percolation: inside
    depressions the tree then follows the low ground instead of straight lines.
    """
    rows, cols = z.shape
    zl = z.ravel().tolist()
    filled = list(zl)
    closed = bytearray(rows * cols)
    receiver = [-1] * (rows * cols)
    order: list[int] = []
    start = outlet[0] * cols + outlet[1]
    closed[start] = 1
    heap = [(zl[start], start)]
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        h, i = pop(heap)
        order.append(i)
        r, c = divmod(i, cols)
        for dr, dc in NEIGH:
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols:
                j = rr * cols + cc
                if not closed[j]:
                    closed[j] = 1
                    nz = zl[j]
                    if nz <= h + eps:
                        nz = h + eps
                    filled[j] = nz
                    receiver[j] = i
                    push(heap, (zl[j] if invade else nz, j))
    return np.asarray(filled).reshape(z.shape), order, np.asarray(receiver)


def d8_accumulation(z: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """D8 receivers (flat index, -1 for pits) and upstream area [m2] of a filled DEM."""
    rows, cols = z.shape
    pad = np.pad(z.astype("float64"), 1, constant_values=np.inf)
    best = np.zeros(z.shape)
    rec = np.full(z.shape, -1, dtype=np.int64)
    rr, cc = np.indices(z.shape)
    for dr, dc in NEIGH:
        dist = cell * math.hypot(dr, dc)
        nb = pad[1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols]
        drop = (z - nb) / dist
        better = drop > best
        best = np.where(better, drop, best)
        rec = np.where(better, (rr + dr) * cols + (cc + dc), rec)
    rec_flat = rec.ravel()
    acc = np.full(rows * cols, cell * cell)
    order = np.argsort(-z.ravel(), kind="stable")
    acc_l = acc.tolist()
    rec_l = rec_flat.tolist()
    for i in order.tolist():
        j = rec_l[i]
        if j >= 0:
            acc_l[j] += acc_l[i]
    return rec_flat, np.asarray(acc_l).reshape(z.shape)


def slope_pct(z: np.ndarray, cell: float) -> np.ndarray:
    """Slope [%] with Horn's (1981) 3x3 finite differences (edges replicated)."""
    p = np.pad(z, 1, mode="edge")
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * cell)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * cell)
    return 100.0 * np.hypot(dzdx, dzdy)


# ======================================================================================
# Real parts
# ======================================================================================
def read_district(shared: Path = SHARED) -> gpd.GeoDataFrame:
    """The real Xay district polygon (COD-AB LA0401) in EPSG:32647."""
    src = gpd.read_file(shared / DISTRICT_SRC, engine="pyogrio")
    xay = src[src["ADM2_PCODE"] == "LA0401"].to_crs(CRS)
    out = gpd.GeoDataFrame(
        {
            "district_id": ["0401"],
            "adm2_pcode": xay["ADM2_PCODE"].to_numpy(),
            "name_en": xay["ADM2_EN"].to_numpy(),
            "name_lo": xay["ADM2_LO"].to_numpy(),
            "province_en": xay["ADM1_EN"].to_numpy(),
            "province_lo": xay["ADM1_LO"].to_numpy(),
            "province_pcode": xay["ADM1_PCODE"].to_numpy(),
            "area_km2": np.round(xay.area.to_numpy() / 1e6, 2),
            "source": [
                "real: OCHA/HDX COD-AB Lao PDR (CC BY-IGO) via nipndri/mapjsfiles (MIT); "
                "reprojected to EPSG:32647"
            ],
        },
        geometry=xay.geometry.to_numpy(),
        crs=CRS,
    )
    return out


def read_register(shared: Path = SHARED) -> pd.DataFrame:
    """The real village register of Xay district (code 0401), indexed by village code."""
    reg = pd.read_csv(shared / REGISTER_SRC, dtype=str, encoding="utf-8")
    reg = reg[reg["district_code"] == "0401"].copy()
    reg["village_en"] = reg["village_en"].str.strip()
    return reg.set_index("village_code")


# ======================================================================================
# Terrain
# ======================================================================================
def make_drainage(rng: np.random.Generator) -> dict:
    """A dendritic drainage tree on a 100 m grid draining to one outlet on the east edge.

    A random surface (a cone falling towards the outlet plus fractal noise) is invaded
    from the outlet, lowest cell first (invasion percolation, see :func:`priority_flood`);
    the cell that reached a cell first is its receiver, which gives a drainage tree
    covering the whole window. Its accumulation gives the channels, and channel-bed
    elevations are integrated upstream from the outlet with Flint's slope-area law

    .. math:: S = k A^{-\\theta}, \\quad k = 0.045, \\; \\theta = 0.45

    with the bed slope *S* [m/m] and the drainage area *A* [km2] (Flint 1974,
    doi:10.1029/WR010i005p00969; theta 0.4-0.6 is typical of natural rivers).
    """
    n = NX // COARSE
    cs = CELL * COARSE
    out_r, out_c = int(n * 0.62), n - 1
    rr, cc = np.indices((n, n))
    dist_out = np.hypot(rr - out_r, cc - out_c) * cs
    surface = 0.03 * dist_out + 90.0 * fractal(rng, (n, n), sigmas=(2, 5, 10, 20))
    _, order, rec = priority_flood(surface, (out_r, out_c), eps=1e-3, invade=True)
    acc = np.ones(n * n)
    for i in reversed(order):
        j = rec[i]
        if j >= 0:
            acc[j] += acc[i]
    area_km2 = acc * cs * cs / 1e6
    # node positions: cell centres jittered so that channels do not follow the grid
    x = X0 + (np.arange(n * n) % n + 0.5) * cs + rng.uniform(-0.3, 0.3, n * n) * cs
    y = Y1 - (np.arange(n * n) // n + 0.5) * cs + rng.uniform(-0.3, 0.3, n * n) * cs
    o = out_r * n + out_c
    x[o], y[o] = X1 - 1.0, Y1 - (out_r + 0.5) * cs
    zbed = np.zeros(n * n)
    zbed[o] = OUTLET_Z_M
    for i in order[1:]:
        j = rec[i]
        length = math.hypot(x[i] - x[j], y[i] - y[j])
        zbed[i] = zbed[j] + length * 0.045 * max(area_km2[i], 0.01) ** -0.45
    return {"n": n, "rec": rec, "order": order, "area_km2": area_km2, "x": x, "y": y, "zbed": zbed}


def rasterise_channels(net: dict, *, min_area_km2: float) -> tuple[np.ndarray, np.ndarray]:
    """Burn the channel segments (area >= *min_area_km2*) into the DEM grid.

    Returns the channel-bed elevation (NaN off channels) and the drainage area [km2].
    """
    zs = np.full(NX * NY, np.inf)
    acc = np.zeros(NX * NY)
    chan = np.flatnonzero((net["area_km2"] >= min_area_km2) & (net["rec"] >= 0))
    for i in chan.tolist():
        j = net["rec"][i]
        x0, y0, x1, y1 = net["x"][i], net["y"][i], net["x"][j], net["y"][j]
        steps = max(2, int(math.hypot(x1 - x0, y1 - y0) / 4.0))
        t = np.linspace(0.0, 1.0, steps)
        r, c = to_rowcol(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        idx = r * NX + c
        np.minimum.at(zs, idx, net["zbed"][i] + (net["zbed"][j] - net["zbed"][i]) * t)
        np.maximum.at(acc, idx, net["area_km2"][i])
    zs[~np.isfinite(zs)] = np.nan
    return zs.reshape(NY, NX), acc.reshape(NY, NX)


def make_dem(
    rng: np.random.Generator,
    *,
    channel_km2: float = 0.5,
    relief_m: float = 980.0,
    scale_m: float = 1300.0,
    shape: float = 1.7,
    roughness_m: float = 6.0,
    smooth_cells: float = 3.0,
) -> dict:
    """Synthetic 20 m DEM: valleys carved along the drainage tree, ridges between them.

    Elevation = channel-bed elevation of the nearest channel + a gentle valley floor +
    a hillslope rise ``relief * (1 - exp(-(d / scale) ** shape))`` with the distance
    *d* beyond the valley floor, plus roughness; depressions left by the roughness are
    filled towards the single outlet.
    """
    net = make_drainage(rng)
    zs, acc = rasterise_channels(net, min_area_km2=channel_km2)
    on = np.isfinite(zs)
    dist, (ri, ci) = ndimage.distance_transform_edt(~on, sampling=CELL, return_indices=True)
    zbed = zs[ri, ci]
    area = acc[ri, ci]
    # valley floor half-width grows with drainage area [m]
    half_width = np.clip(10.0 + 45.0 * np.log10(np.maximum(area, 0.2) / 0.2), 10.0, 150.0)
    d_hill = np.maximum(dist - half_width, 0.0)
    floor = 0.025 * np.minimum(dist, half_width)
    # relief is taken at the nearest channel cell so that the rise is monotonic along
    # every hillslope (no closed depressions between ridges)
    relief = relief_m * (1.0 + 0.30 * fractal(rng, (NY, NX), sigmas=(20, 50, 100)))[ri, ci]
    hill = relief * (1.0 - np.exp(-((d_hill / scale_m) ** shape)))
    weight = np.clip(d_hill / 150.0, 0.0, 1.0)  # valley floors stay smooth and gentle
    rough = roughness_m * fractal(rng, (NY, NX), sigmas=(2, 5, 12)) * weight
    raw = zbed + floor + hill
    # ridges between channels of different bed elevation are rounded off by smoothing
    z = (1.0 - weight) * raw + weight * ndimage.gaussian_filter(raw + rough, smooth_cells)
    out_rc = (int(net["n"] * 0.62) * COARSE + COARSE // 2, NX - 1)
    filled, _, _ = priority_flood(z, out_rc, eps=2e-3)
    dem = filled.astype("float32")
    rec, upa = d8_accumulation(dem.astype("float64"), CELL)
    return {
        "dem": dem,
        "fill_depth": filled - z,
        "dist_stream": dist,
        "valley_half_width": half_width,
        "area_km2": area,
        "upa_km2": upa / 1e6,
        "rec": rec,
        "outlet": out_rc,
        "slope_pct": slope_pct(dem.astype("float64"), CELL),
    }


# ======================================================================================
# Villages, zones, parcels
# ======================================================================================
def place_villages(rng: np.random.Generator, terrain: dict, window) -> np.ndarray:
    """Seven village centres spread out by farthest-point sampling.

    The first centre is the Hmong village, on gentle land above 900 m within 1 km of a
    stream (its water comes from a headwater spring); the six others lie on valley
    floors beside streams draining >= 0.8 km2.
    """
    xx, yy = cell_centres((NY, NX), TRANSFORM)
    inner = (xx > X0 + 1200) & (xx < X1 - 1200) & (yy > Y0 + 1200) & (yy < Y1 - 1200)
    ok = (
        (terrain["dist_stream"] > 15)
        & (terrain["dist_stream"] < terrain["valley_half_width"])
        & (terrain["area_km2"] >= 0.8)
        & (terrain["slope_pct"] < 8)
        & inner
    )
    high = (
        (terrain["dem"] > 900)
        & (terrain["slope_pct"] < 20)
        & (terrain["dist_stream"] < 1000)
        & inner
    )
    cand = np.column_stack([xx[ok], yy[ok]])
    cand_high = np.column_stack([xx[high], yy[high]])
    for _attempt in range(200):
        pts = [cand_high[rng.integers(len(cand_high))]]
        while len(pts) < len(VILLAGES):
            d = np.min(np.linalg.norm(cand[:, None, :] - np.asarray(pts)[None], axis=2), axis=1)
            pts.append(cand[int(np.argmax(d + rng.uniform(0, 400, len(d))))])
        pts = np.asarray(pts)
        cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=window, ordered=True)
        areas = np.array([g.intersection(window).area / 1e6 for g in shapely.get_parts(cells)])
        if areas.min() >= 15.0 and areas.max() <= 28.0:
            return pts
    raise RuntimeError("could not place villages with territories of 15-28 km2")


def make_villages(
    centres: np.ndarray, terrain: dict, window, district: gpd.GeoDataFrame, register: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Village territories: Voronoi cells of the centres clipped to the window.

    The lowest centre gets the largest (Lao Loum) village, the highest the Hmong village.
    """
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=window, ordered=True)
    )
    r, c = to_rowcol(centres[:, 0], centres[:, 1])
    z = terrain["dem"][r, c]
    # order: Hmong village on the highest centre, the others by elevation from the lowest
    by_z = np.argsort(z, kind="stable")
    order = list(by_z[:-1])
    hmong_pos = next(i for i, v in enumerate(VILLAGES) if v[2] == "Hmong")
    assignment = {}
    lowland = [v for v in VILLAGES if v[2] != "Hmong"]
    for spec, k in zip(lowland, order, strict=True):
        assignment[spec[0]] = int(k)
    assignment[VILLAGES[hmong_pos][0]] = int(by_z[-1])
    d = district.iloc[0]
    rows = []
    for vid, hh, group, _ in VILLAGES:
        k = assignment[vid]
        reg = register.loc[vid]
        geom = shapely.normalize(cells[k].intersection(window))
        rows.append(
            {
                "village_id": vid,
                "name_en": reg["village_en"].title(),
                "name_lo": reg["village_lo"],
                "district_en": d["name_en"],
                "district_lo": d["name_lo"],
                "province_en": d["province_en"],
                "province_lo": d["province_lo"],
                "centre_x": round(float(centres[k, 0]), 1),
                "centre_y": round(float(centres[k, 1]), 1),
                "main_group": group,
                "households": hh,
                "source": "real: village_id, name_en, name_lo (Lao village register via "
                "ii-46/lao-village-data, MIT), district and province names (OCHA/HDX COD-AB); "
                "synthetic: centre, territory, households",
                "geometry": geom,
            }
        )
    return (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
        .sort_values("village_id")
        .reset_index(drop=True)
    )


def village_raster(villages: gpd.GeoDataFrame) -> np.ndarray:
    """Index (row of *villages*) of the nearest centre for every DEM cell (= Voronoi owner)."""
    xx, yy = cell_centres((NY, NX), TRANSFORM)
    cx, cy = villages["centre_x"].to_numpy(), villages["centre_y"].to_numpy()
    d = (xx[..., None] - cx) ** 2 + (yy[..., None] - cy) ** 2
    return np.argmin(d, axis=2)


def residential_seeds(rng, villages, terrain) -> list[tuple[float, float, int, str]]:
    """One house plot per household plus two public plots (school, temple or office)."""
    xx, yy = cell_centres((NY, NX), TRANSFORM)
    seeds = []
    for k, v in villages.iterrows():
        n = int(v["households"]) + 2
        dc = np.hypot(xx - v["centre_x"], yy - v["centre_y"])
        ok = (dc < 900) & (terrain["slope_pct"] < 25) & (terrain["dist_stream"] > 25)
        cx = xx[ok] + rng.uniform(-8, 8, ok.sum())
        cy = yy[ok] + rng.uniform(-8, 8, ok.sum())
        key = dc[ok] + rng.uniform(0, 60, ok.sum())
        chosen: list[tuple[float, float]] = []
        for i in np.argsort(key, kind="stable"):
            p = (cx[i], cy[i])
            if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= 27.0**2 for q in chosen[-400:]):
                chosen.append(p)
                if len(chosen) == n:
                    break
        if len(chosen) < n:
            raise RuntimeError(
                f"village {v['village_id']}: room for only {len(chosen)} house plots"
            )
        dcent = [math.hypot(p[0] - v["centre_x"], p[1] - v["centre_y"]) for p in chosen]
        public = set(np.argsort(dcent, kind="stable")[:2].tolist())
        for i, p in enumerate(chosen):
            seeds.append((p[0], p[1], k, "other" if i in public else "residential"))
    return seeds


def land_zones(rng, villages, vras, terrain) -> np.ndarray:
    """Zone of every DEM cell: 0 unparcelled, 1 paddy, 2 upland, 3 permanent, 4 grazing."""
    xx, yy = cell_centres((NY, NX), TRANSFORM)
    cx = villages["centre_x"].to_numpy()[vras]
    cy = villages["centre_y"].to_numpy()[vras]
    dc = np.hypot(xx - cx, yy - cy)
    s = terrain["slope_pct"]
    z = terrain["dem"]
    zone = np.zeros((NY, NX), np.uint8)

    def take(mask: np.ndarray, cost: np.ndarray, ha_per_household: float, code: int) -> None:
        """Give *code* to the cheapest cells of *mask*, per village, up to a quota."""
        for k, v in villages.iterrows():
            m = mask & (vras == k) & (zone == 0)
            need = int(v["households"] * ha_per_household * 1e4 / CELL**2)
            if need <= 0 or not m.any():
                continue
            vals = np.sort(cost[m])
            zone[m & (cost <= vals[min(need, len(vals)) - 1])] = code

    # paddy: gentle valley floors beside streams draining >= 0.5 km2, about 0.35 ha per household
    floor = (terrain["dist_stream"] <= np.minimum(terrain["valley_half_width"], 120.0) + 10) & (
        s < 9
    )
    floor &= (terrain["area_km2"] >= 0.5) & (dc > 250) & (dc < 3500) & (z < 950)
    take(
        floor,
        dc / 1000.0 + terrain["dist_stream"] / 100.0 + 0.5 * smooth_noise(rng, (NY, NX), 5),
        0.35,
        1,
    )
    # gardens and orchards near the houses, about 0.3 ha per household
    near = (dc > 200) & (dc < 1200) & (s < 40) & (terrain["dist_stream"] > 30)
    take(near, dc / 1000.0 + 0.8 * smooth_noise(rng, (NY, NX), 6), 0.30, 3)
    # grazing: a few patches of gentle land at mid distance
    graze = (dc > 1200) & (dc < 3500) & (s < 30)
    take(graze, smooth_noise(rng, (NY, NX), 15), 0.25, 4)
    # rotational upland: the most accessible slopes < 60 %, about 4.5 ha per household
    cost = dc / 1000.0 + 0.8 * smooth_noise(rng, (NY, NX), 10) + s / 60.0
    take((s >= 8) & (s < 60) & (dc > 300), cost, 4.5, 2)
    return zone


def jittered_points(rng, spacing: float) -> np.ndarray:
    gx = np.arange(X0 + rng.uniform(0, spacing), X1, spacing)
    gy = np.arange(Y0 + rng.uniform(0, spacing), Y1, spacing)
    px, py = np.meshgrid(gx, gy)
    px = px.ravel() + rng.uniform(-0.35, 0.35, px.size) * spacing
    py = py.ravel() + rng.uniform(-0.35, 0.35, py.size) * spacing
    keep = (px > X0) & (px < X1) & (py > Y0) & (py < Y1)
    return np.column_stack([px[keep], py[keep]])


def make_parcels(rng, villages, terrain, window):
    """Parcels cut from a Voronoi tessellation whose seed density follows the land zones.

    Seeds: one per house plot (see :func:`residential_seeds`) and jittered grids whose
    spacing depends on the zone (55 m paddy, 75 m gardens, 130 m upland, 230 m grazing,
    70 m on unparcelled land, so that parcels stay compact at zone edges). The cells
    are cut by the village territories, crumbs and enclosed holes are merged into a
    neighbour, and the cells of unparcelled seeds are returned separately.

    Returns
    -------
    parcels, unparcelled : GeoDataFrame
        Columns ``village_idx`` (row of *villages*) and, for parcels, ``land_type``.
    zone : ndarray
        The zone raster of :func:`land_zones`.
    """
    vras = village_raster(villages)
    zone = land_zones(rng, villages, vras, terrain)
    res = residential_seeds(rng, villages, terrain)
    res_xy = np.array([(s[0], s[1]) for s in res])
    spacing = {1: 55.0, 2: 130.0, 3: 75.0, 4: 230.0, 0: 70.0}
    zone_name = {1: "paddy", 2: "upland", 3: "permanent", 4: "grazing", 0: None}
    pts, kinds, vill = [list(map(tuple, res_xy))], [[s[3] for s in res]], [[s[2] for s in res]]
    house_tree = cKDTree(res_xy)
    for z, sp in spacing.items():
        p = jittered_points(rng, sp)
        r, c = to_rowcol(p[:, 0], p[:, 1])
        keep = (zone[r, c] == z) & (house_tree.query(p)[0] > 30.0)
        p, r, c = p[keep], r[keep], c[keep]
        pts.append(list(map(tuple, p)))
        kinds.append([zone_name[z]] * len(p))
        vill.append(vras[r, c].tolist())
    xy = np.array([q for part in pts for q in part])
    kind = np.array([k for part in kinds for k in part], dtype=object)
    vk = np.array([k for part in vill for k in part])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.MultiPoint(xy), extend_to=window, ordered=True)
    )
    vgeom = villages.geometry.to_numpy()
    # cut every cell by the village territories: a cell reaching into the next village
    # gives a piece there too (same land zone), so that the pieces cover the window
    cell_i, vill_i = shapely.STRtree(vgeom).query(cells, predicate="intersects")
    pieces = shapely.intersection(cells[cell_i], vgeom[vill_i])
    kind, vk = kind[cell_i], vill_i
    # split multi-part results (floating-point crumbs) so that the crumbs are absorbed below
    pieces, src = shapely.get_parts(pieces, return_index=True)
    kind, vk = kind[src], vk[src]
    good = shapely.get_type_id(pieces) == 3  # polygons only (no touching lines or points)
    pieces, kind, vk = pieces[good], kind[good], vk[good]
    is_parcel = np.array([k is not None for k in kind])
    pieces = absorb_small_pieces(pieces, is_parcel, vk, vgeom)
    kind, is_parcel = village_forests(pieces, kind, is_parcel, vk, villages)
    keep = ~shapely.is_empty(pieces)
    parcels = gpd.GeoDataFrame(
        {"village_idx": vk[is_parcel & keep], "land_type": kind[is_parcel & keep]},
        geometry=shapely.normalize(pieces[is_parcel & keep]),
        crs=CRS,
    )
    unparcelled = gpd.GeoDataFrame(
        {"village_idx": vk[~is_parcel & keep]}, geometry=pieces[~is_parcel & keep], crs=CRS
    )
    return parcels, unparcelled, zone


def village_forests(
    pieces: np.ndarray,
    kind: np.ndarray,
    is_parcel: np.ndarray,
    vk: np.ndarray,
    villages: gpd.GeoDataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """One village-use forest parcel (spirit or cemetery forest, 2-6 ha) per village.

    The unparcelled cells within 130 m of the unparcelled cell closest to 800 m from
    the village centre are merged into one parcel of land type ``forest`` (*pieces*
    is changed in place; the merged cells become empty).
    """
    kind, is_parcel = kind.copy(), is_parcel.copy()
    live = ~shapely.is_empty(pieces)
    cx, cy = np.full(len(pieces), np.nan), np.full(len(pieces), np.nan)
    cen = shapely.centroid(pieces[live])
    cx[live], cy[live] = shapely.get_x(cen), shapely.get_y(cen)
    for k, v in villages.iterrows():
        cand = np.flatnonzero(~is_parcel & (vk == k) & ~shapely.is_empty(pieces))
        d = np.hypot(cx[cand] - v["centre_x"], cy[cand] - v["centre_y"])
        anchor = cand[int(np.argmin(np.abs(d - 800.0)))]
        members = cand[np.hypot(cx[cand] - cx[anchor], cy[cand] - cy[anchor]) <= 130.0]
        union = shapely.coverage_union_all(pieces[members])
        if union.geom_type != "Polygon":
            continue
        pieces[members] = shapely.Polygon()
        pieces[anchor] = union
        kind[anchor], is_parcel[anchor] = "forest", True
    return kind, is_parcel


def absorb_small_pieces(
    pieces: np.ndarray,
    is_parcel: np.ndarray,
    vk: np.ndarray,
    vgeom: np.ndarray,
    *,
    tiny_m2: float = 500.0,
    hole_m2: float = 3000.0,
) -> np.ndarray:
    """Merge slivers of parcels (< *tiny_m2*) and small unparcelled holes enclosed by
    parcels (< *hole_m2*) into the neighbouring parcel of the same village that shares
    the longest boundary with them, so that the demo has no gaps or slivers.

    Emptied pieces are returned as empty polygons.
    """
    pieces = pieces.copy()
    area = shapely.area(pieces)
    absorb = area < tiny_m2  # parcel slivers and unparcelled crumbs
    for k in np.unique(vk):
        idx = np.flatnonzero(~is_parcel & (vk == k))
        if len(idx) == 0:
            continue
        border = vgeom[k].boundary
        comps = shapely.get_parts(shapely.union_all(pieces[idx]))
        small = [c for c in comps if c.area <= hole_m2 and shapely.distance(c, border) > 0.01]
        if not small:
            continue
        tree = shapely.STRtree(small)
        inside = tree.query(shapely.point_on_surface(pieces[idx]), predicate="within")
        absorb[idx[np.unique(inside[0])]] = True
    tree = shapely.STRtree(pieces)
    merged: dict[int, list[int]] = {}
    for i in np.flatnonzero(absorb).tolist():
        cand = [
            j
            for j in tree.query(pieces[i], predicate="intersects").tolist()
            if j != i and is_parcel[j] and not absorb[j] and vk[j] == vk[i]
        ]
        if not cand:
            continue
        shared = shapely.length(
            shapely.intersection(shapely.boundary(pieces[cand]), pieces[i].boundary)
        )
        if shared.max() <= 0.5:
            continue
        merged.setdefault(cand[int(np.argmax(shared))], []).append(i)
    for j, members in merged.items():
        union = shapely.union_all([pieces[j], *pieces[members]])
        if union.geom_type != "Polygon":
            continue
        pieces[j] = union
        for i in members:
            pieces[i] = shapely.Polygon()
    return pieces


def make_forest(rng, unparcelled: gpd.GeoDataFrame, villages, terrain) -> gpd.GeoDataFrame:
    """Current forest cover (crown cover > 20 %, patches > 0.5 ha) on the unparcelled land.

    Steep land, ridges and land far from villages keep forest; the rest of the unparcelled
    land near villages is scrub, bamboo and young fallow (not forest).
    """
    c = shapely.centroid(unparcelled.geometry.to_numpy())
    r, col = to_rowcol(shapely.get_x(c), shapely.get_y(c))
    vx = villages["centre_x"].to_numpy()[unparcelled["village_idx"].to_numpy()]
    vy = villages["centre_y"].to_numpy()[unparcelled["village_idx"].to_numpy()]
    dc = np.hypot(shapely.get_x(c) - vx, shapely.get_y(c) - vy)
    noise = smooth_noise(rng, (NY, NX), 8)[r, col]
    score = terrain["slope_pct"][r, col] / 50.0 + dc / 2500.0 + 0.6 * noise
    forest = unparcelled[score > 1.15]
    rows = []
    for k, grp in forest.groupby("village_idx"):
        # the cells form a coverage (shared edges), so the union is exact and never
        # reaches into a parcel
        merged = shapely.coverage_union_all(grp.geometry.to_numpy())
        for g in shapely.get_parts(merged):
            if g.area >= 5000.0:
                rows.append({"village_id": villages["village_id"].iloc[k], "geometry": g})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    out = out[out.is_valid & ~out.is_empty]
    out = out.explode(index_parts=False)
    out = out[out.geom_type == "Polygon"]
    out = out[out.area >= 5000.0].copy()
    c = out.geometry.centroid
    out = out.assign(_x=c.x.round(0), _y=c.y.round(0)).sort_values(["village_id", "_y", "_x"])
    out["geometry"] = shapely.normalize(out.geometry.to_numpy())
    out.insert(0, "forest_id", [f"F{i + 1:04d}" for i in range(len(out))])
    out["area_ha"] = (out.area / 1e4).round(2)
    out["cover"] = "forest, crown cover > 20 %"
    out["source"] = SYNTHETIC
    return out.drop(columns=["_x", "_y"]).reset_index(drop=True)


# ======================================================================================
# Households and holdings
# ======================================================================================
# Common given names and family names written for this demo (Lao script + a consistent
# romanisation). Combinations are random: no real person is meant.
LAO_MALE = [
    ("Bounmy", "ບຸນມີ"),
    ("Khamphone", "ຄຳພອນ"),
    ("Somphone", "ສົມພອນ"),
    ("Souksavanh", "ສຸກສະຫວັນ"),
    ("Phonsavanh", "ພອນສະຫວັນ"),
    ("Bounthavy", "ບຸນທະວີ"),
    ("Vilay", "ວິໄລ"),
    ("Sengphet", "ແສງເພັດ"),
    ("Khamla", "ຄຳຫຼ້າ"),
    ("Thongsavanh", "ທອງສະຫວັນ"),
    ("Sisavath", "ສີສະຫວາດ"),
    ("Khamsing", "ຄຳສິງ"),
    ("Thongdy", "ທອງດີ"),
    ("Bouasone", "ບົວສອນ"),
    ("Khamphanh", "ຄຳພັນ"),
    ("Somsak", "ສົມສັກ"),
    ("Chanthone", "ຈັນທອນ"),
    ("Bounkham", "ບຸນຄຳ"),
    ("Thongkham", "ທອງຄຳ"),
    ("Saysana", "ໄຊສະນະ"),
]
LAO_FEMALE = [
    ("Khamphet", "ຄຳເພັດ"),
    ("Bouaphanh", "ບົວພັນ"),
    ("Chanthaly", "ຈັນທະລີ"),
    ("Vilayvanh", "ວິໄລວັນ"),
    ("Phonmany", "ພອນມະນີ"),
    ("Sengdeuane", "ແສງເດືອນ"),
    ("Douangchanh", "ດວງຈັນ"),
    ("Khammany", "ຄຳມະນີ"),
    ("Vanmany", "ວັນມະນີ"),
    ("Thongvanh", "ທອງວັນ"),
    ("Souphaphone", "ສຸພາພອນ"),
    ("Noy", "ນ້ອຍ"),
    ("Keo", "ແກ້ວ"),
    ("Mone", "ມອນ"),
    ("Lattana", "ລັດຕະນາ"),
    ("Bouakham", "ບົວຄຳ"),
    ("Kongkeo", "ກອງແກ້ວ"),
    ("Manivone", "ມະນີວອນ"),
    ("Phetsamone", "ເພັດສະໝອນ"),
    ("Oudone", "ອຸດອນ"),
]
LAO_FAMILY = [
    ("Phommachanh", "ພົມມະຈັນ"),
    ("Sisouphanh", "ສີສຸພັນ"),
    ("Keophila", "ແກ້ວພິລາ"),
    ("Vongsavanh", "ວົງສະຫວັນ"),
    ("Inthavong", "ອິນທະວົງ"),
    ("Sayavong", "ໄຊຍະວົງ"),
    ("Phanthavong", "ພັນທະວົງ"),
    ("Chanthavong", "ຈັນທະວົງ"),
    ("Souvannavong", "ສຸວັນນະວົງ"),
    ("Keomany", "ແກ້ວມະນີ"),
    ("Manivong", "ມະນີວົງ"),
    ("Bounyavong", "ບຸນຍະວົງ"),
    ("Luangrath", "ຫຼວງລາດ"),
    ("Sengsouly", "ແສງສຸລີ"),
    ("Thammavong", "ທຳມະວົງ"),
]
# Khmu families in Oudomxay mostly use Lao given names; these family names are common among Khmu.
KHMU_FAMILY = [
    ("Khammoune", "ຄຳມູນ"),
    ("Thongla", "ທອງຫຼ້າ"),
    ("Somphou", "ສົມພູ"),
    ("Khamsouk", "ຄຳສຸກ"),
    ("Bounpheng", "ບຸນເພັງ"),
    ("Kaenpha", "ແກ່ນພາ"),
    ("Phouvong", "ພູວົງ"),
    ("Thaokham", "ທ້າວຄຳ"),
    ("Sithong", "ສີທອງ"),
    ("Khamvanh", "ຄຳວັນ"),
    ("Sengkham", "ແສງຄຳ"),
    ("Boutdy", "ບຸດດີ"),
]
HMONG_MALE = [
    ("Tou", "ຕູ້"),
    ("Pao", "ເປົ່າ"),
    ("Chue", "ຈື"),
    ("Kou", "ກູ່"),
    ("Neng", "ເນັ້ງ"),
    ("Xay", "ໄຊ"),
    ("Ger", "ເກີ"),
    ("Cher", "ເຈີ"),
    ("Teng", "ເຕັ່ງ"),
    ("Yeng", "ເຢັ່ງ"),
    ("Long", "ລົງ"),
    ("Fong", "ຟົງ"),
]
HMONG_FEMALE = [
    ("Mai", "ໄມ"),
    ("Yer", "ເຢີ"),
    ("Mee", "ມີ"),
    ("Pa", "ປາ"),
    ("Nou", "ນູ"),
    ("Xia", "ເຊຍ"),
    ("Kia", "ກຽ"),
    ("Youa", "ຢົວ"),
    ("Zoua", "ຊົວ"),
    ("Lia", "ລຽ"),
    ("Ka", "ກ່າ"),
    ("Yia", "ຢຽ"),
]
HMONG_CLAN = [
    ("Vang", "ວ່າງ"),
    ("Ly", "ລີ"),
    ("Yang", "ຢ່າງ"),
    ("Xiong", "ຊົ່ງ"),
    ("Thao", "ທໍ່"),
    ("Moua", "ມົວ"),
    ("Her", "ເຮີ"),
    ("Lor", "ລໍ"),
    ("Vue", "ວື"),
    ("Hang", "ຫາງ"),
    ("Kue", "ກື"),
    ("Chang", "ຈາງ"),
]
ETHNIC = ["Lao Loum/Lue", "Khmu", "Hmong"]


def _name(
    rng, group: str, female: bool, family: tuple[str, str] | None = None
) -> tuple[str, str, tuple[str, str]]:
    if group == "Hmong":
        given = HMONG_FEMALE if female else HMONG_MALE
        fam = family or HMONG_CLAN[rng.integers(len(HMONG_CLAN))]
    else:
        given = LAO_FEMALE if female else LAO_MALE
        pool = LAO_FAMILY if group == "Lao Loum/Lue" else KHMU_FAMILY
        fam = family or pool[rng.integers(len(pool))]
    g = given[rng.integers(len(given))]
    return f"{g[0]} {fam[0]}", f"{g[1]} {fam[1]}", fam


def make_households(rng, villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """720 households: about 6 persons and 3 labour units each (7.5 in the Hmong village)."""
    rows = []
    for _, v in villages.iterrows():
        spec = next(s for s in VILLAGES if s[0] == v["village_id"])
        n, shares = spec[1], spec[3]
        groups = rng.choice(ETHNIC, size=n, p=shares)
        landless = set(rng.choice(n, size=max(1, round(0.03 * n)), replace=False).tolist())
        for i in range(n):
            g = str(groups[i])
            mean_extra = 6.5 if g == "Hmong" else 4.9
            members = int(np.clip(1 + rng.poisson(mean_extra), 1, 16))
            female_head = rng.random() < 0.12
            head, head_lo, fam = _name(rng, g, female_head)
            if female_head or members == 1:
                spouse = spouse_lo = ""
            else:
                clan = None if g == "Hmong" else (fam if rng.random() < 0.3 else None)
                spouse, spouse_lo, _ = _name(rng, g, True, clan)
                if g == "Hmong":  # clan exogamy: a wife keeps her own, different clan name
                    while spouse.split()[-1] == head.split()[-1]:
                        spouse, spouse_lo, _ = _name(rng, g, True)
            labour = np.round((0.5 * members + rng.normal(0.0, 0.6)) * 2) / 2
            labour = float(np.clip(labour, 1.0 if members > 1 else 0.5, members))
            rows.append(
                {
                    "household_id": f"{v['village_id']}-H{i + 1:03d}",
                    "village_id": v["village_id"],
                    "head_name": head,
                    "head_name_lo": head_lo,
                    "spouse_name": spouse,
                    "spouse_name_lo": spouse_lo,
                    "members": members,
                    "labour_units": labour,
                    "ethnicity": g,
                    "landless": i in landless,
                    "source": "synthetic",
                }
            )
    df = pd.DataFrame(rows)
    assert len(df) == TOTAL_HOUSEHOLDS
    return df


def _chain_order(xy: np.ndarray, start: np.ndarray) -> list[int]:
    """Greedy nearest-neighbour chain through points, from the one nearest *start*."""
    left = list(range(len(xy)))
    if not left:
        return []
    cur = int(np.argmin(np.hypot(*(xy - start).T)))
    order = [cur]
    left.remove(cur)
    while left:
        d = np.hypot(*(xy[left] - xy[cur]).T)
        cur = left[int(np.argmin(d))]
        order.append(cur)
        left.remove(cur)
    return order


def assign_holders(
    rng, parcels: gpd.GeoDataFrame, households: pd.DataFrame, villages
) -> pd.Series:
    """Current holders: a house plot each, runs of neighbouring paddy terraces, upland plots."""
    holder = pd.Series([None] * len(parcels), index=parcels.index, dtype=object)
    cent = parcels.geometry.centroid
    xy_all = np.column_stack([cent.x, cent.y])
    for _, v in villages.iterrows():
        vid = v["village_id"]
        hh = households[households["village_id"] == vid]
        ids = hh["household_id"].tolist()
        farming = hh.loc[~hh["landless"], "household_id"].tolist()
        centre = np.array([v["centre_x"], v["centre_y"]])
        in_v = parcels["village_id"] == vid

        def idx(kind, in_v=in_v):
            return parcels.index[in_v & (parcels["land_type"] == kind)]

        res = idx("residential")
        order = _chain_order(xy_all[parcels.index.get_indexer(res)], centre)
        for k, pos in enumerate(order):
            holder[res[pos]] = ids[k % len(ids)]
        # paddy: runs of 1-3 neighbouring terraces per household; ~10 % stay unheld
        pad = idx("paddy")
        order = _chain_order(xy_all[parcels.index.get_indexer(pad)], centre)
        takers = list(rng.permutation(farming))
        k = 0
        pos = 0
        while pos < len(order) and k < len(takers):
            run = int(rng.choice([1, 2, 2, 3]))
            if rng.random() < 0.1:
                pos += run
                continue
            for p in order[pos : pos + run]:
                holder[pad[p]] = takers[k]
            pos += run
            k += 1
        # gardens and orchards: one for about every second farming household
        gar = idx("permanent")
        takers = list(rng.permutation(farming))
        for p, h in zip(rng.permutation(len(gar)), takers[: int(0.85 * len(gar))], strict=False):
            holder[gar[p]] = h
        # rotational upland (1996-2000 allocation, 3-plot rule): three plots per farming
        # household, one or two for households that also hold paddy; the plots left
        # over stay with the village (reserve, old fallow), some of them between holdings
        up = idx("upland")
        order = _chain_order(xy_all[parcels.index.get_indexer(up)], centre)
        takers = list(rng.permutation(farming))
        with_paddy = set(holder[pad].dropna())
        wanted = [int(rng.integers(1, 3)) if h in with_paddy else 3 for h in takers]
        spare = len(order) - sum(wanted)
        p_gap = min(0.5, max(spare, 0) / (2.0 * len(takers)))
        pos = 0
        for h, n in zip(takers, wanted, strict=True):
            for p in order[pos : pos + n]:
                holder[up[p]] = h
            pos += n + (1 if rng.random() < p_gap else 0)
    return holder


def finish_parcels(rng, parcels: gpd.GeoDataFrame, villages, households) -> gpd.GeoDataFrame:
    """Ids, holders, areas; sorted by id."""
    parcels = parcels.copy()
    parcels["village_id"] = villages["village_id"].to_numpy()[parcels["village_idx"].to_numpy()]
    c = parcels.geometry.centroid
    parcels["_y"], parcels["_x"] = -c.y.round(1), c.x.round(1)
    parcels = parcels.sort_values(["village_id", "land_type", "_y", "_x"]).reset_index(drop=True)
    parcels["parcel_id"] = [
        f"{v}-{LETTER[t]}{i + 1:04d}"
        for v, t, i in zip(
            parcels["village_id"],
            parcels["land_type"],
            parcels.groupby(["village_id", "land_type"]).cumcount(),
            strict=True,
        )
    ]
    parcels["household_id"] = assign_holders(rng, parcels, households, villages)
    parcels["area_ha"] = (parcels.area / 1e4).round(4)
    parcels["source"] = SYNTHETIC
    cols = [
        "parcel_id",
        "village_id",
        "land_type",
        "household_id",
        "area_ha",
        "source",
        "geometry",
    ]
    return parcels[cols].sort_values("parcel_id").reset_index(drop=True)


# ======================================================================================
# Histories, climate, schemes
# ======================================================================================
def make_histories(rng, parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """Cultivation status 1990-2025 of every upland plot.

    Before the land allocation (one year per village, 1996-2000) fallows last 10-13
    years; after it the 3-plot rule brings them down to 4-6 years in the 2000s and
    2-4 years after 2010. About 10 % of the plots keep 8-11-year fallows. Most cycles
    have one cropping year; a few plots are 'other' (teak, cardamom) for some years and
    about 0.5 % of the years are missing (not surveyed).
    """
    years = np.arange(1990, 2026)
    up = parcels[parcels["land_type"] == "upland"]
    alloc = {
        v: int(y)
        for v, y in zip(
            sorted(up["village_id"].unique()),
            rng.integers(1996, 2001, up["village_id"].nunique()),
            strict=True,
        )
    }
    rows = []
    for pid, vid in zip(up["parcel_id"], up["village_id"], strict=True):
        long_fallow = rng.random() < 0.10
        status = {}
        y = 1990 - int(rng.integers(0, 12))  # last clearing before 1990
        while y <= 2025:
            crop_years = 2 if rng.random() < 0.08 else 1
            for k in range(crop_years):
                status[y + k] = "cultivated"
            start = y + crop_years
            if long_fallow or start < alloc[vid]:
                fallow = int(rng.integers(8, 12)) if long_fallow else int(rng.integers(10, 14))
            elif start < 2010:
                fallow = int(rng.integers(4, 7))
            else:
                fallow = int(rng.integers(2, 5))
            for k in range(fallow):
                status[start + k] = "fallow"
            y = start + fallow
        if rng.random() < 0.02:  # a few plots planted with teak or cardamom for a while
            y0 = int(rng.integers(2012, 2022))
            for k in range(int(rng.integers(2, 5))):
                if y0 + k <= 2025:
                    status[y0 + k] = "other"
        for yr in years:
            if rng.random() < 0.005:
                continue
            rows.append((pid, int(yr), status[int(yr)]))
    df = pd.DataFrame(rows, columns=["plot_id", "year", "status"])
    df["note"] = ""
    df.loc[0, "note"] = "synthetic cultivation histories (tools/make_demo.py); see NOTICE.md"
    return df


def fallow_by_decade(hist: pd.DataFrame) -> dict[str, float]:
    """Mean length of complete fallow periods (cultivated-fallow...-cultivated) by start decade."""
    runs = []
    for _, g in hist.groupby("plot_id", sort=False):
        status = dict(zip(g["year"], g["status"], strict=True))
        start = None
        for y in range(1990, 2026):
            st = status.get(y)
            if st == "fallow":
                if start is None and status.get(y - 1) == "cultivated":
                    start = y
            else:
                if start is not None and st == "cultivated":
                    runs.append((start // 10 * 10, y - start))
                start = None
    df = pd.DataFrame(runs, columns=["decade", "years"])
    return {f"{d}s": round(float(v), 1) for d, v in df.groupby("decade")["years"].mean().items()}


def make_climate() -> pd.DataFrame:
    """Illustrative monthly normals for Oudomxay (about 640 m a.s.l., 20.7 N).

    Shaped after the regional climate (monsoon rain May-October, cool dry season
    December-February, hot dry March-April); not station data.
    """
    data = [
        (1, 24.5, 10.5, 80, 1.0, 5.6, 15),
        (2, 27.5, 11.5, 74, 1.2, 6.5, 18),
        (3, 30.5, 14.5, 68, 1.4, 6.8, 45),
        (4, 32.0, 18.5, 70, 1.5, 6.5, 110),
        (5, 31.5, 21.0, 79, 1.3, 5.5, 200),
        (6, 30.5, 22.5, 85, 1.2, 4.2, 245),
        (7, 29.5, 22.5, 87, 1.1, 3.6, 305),
        (8, 29.5, 22.0, 88, 1.0, 3.8, 300),
        (9, 29.5, 21.0, 86, 0.9, 4.8, 185),
        (10, 28.0, 18.5, 84, 0.9, 5.2, 95),
        (11, 26.0, 14.5, 83, 0.9, 5.3, 40),
        (12, 24.0, 11.0, 82, 0.9, 5.4, 17),
    ]
    df = pd.DataFrame(
        data,
        columns=["month", "tmax_c", "tmin_c", "rh_mean_pct", "u2_m_s", "sunshine_h", "rain_mm"],
    )
    df["lat_deg"] = 20.69
    df["elevation_m"] = 640
    df["note"] = "illustrative normals for Oudomxay, not station data (tools/make_demo.py)"
    return df


def make_schemes(rng, parcels, villages, terrain) -> list[dict]:
    """Three candidate gravity schemes: an intake on a stream and the paddies below it.

    For each candidate intake (a D8 stream cell whose drainage area lies in the range
    of the scheme, see :data:`SCHEME_TARGETS`) the paddy parcels
    within 250 m of the stream path downstream (up to 3 km) and at least 2 m below the
    intake are collected; households holding them are added nearest first until the
    target number of families is reached. The three best-matching, non-overlapping
    candidates in three different villages are kept.
    """
    dem, rec, upa = terrain["dem"], terrain["rec"], terrain["upa_km2"]
    pad = parcels[(parcels["land_type"] == "paddy") & parcels["household_id"].notna()]
    pc = pad.geometry.centroid
    pxy = np.column_stack([pc.x, pc.y])
    # highest DEM value inside each paddy (its top corner) approximated at its vertices
    ptop = []
    for g in pad.geometry:
        vx, vy = np.asarray(g.exterior.coords).T
        r, c = to_rowcol(vx, vy)
        ptop.append(float(dem[r, c].max()))
    ptop = np.asarray(ptop)
    pareas = pad.area.to_numpy() / 1e4
    holders = pad["household_id"].to_numpy()
    xx, yy = cell_centres((NY, NX), TRANSFORM)
    results = []
    for target_id, fam_target, area_target, (amin, amax) in SCHEME_TARGETS:
        cand = np.flatnonzero(((upa >= amin) & (upa <= amax)).ravel())
        cand = cand[rng.permutation(len(cand))][:1500]
        best = None
        for i in cand.tolist():
            x, y, zi = xx.flat[i], yy.flat[i], float(dem.flat[i])
            vk = int(np.argmin(np.hypot(villages["centre_x"] - x, villages["centre_y"] - y)))
            vid = villages["village_id"].iloc[vk]
            if any(r["village_id"] == vid for r in results):
                continue
            if not villages.geometry.iloc[vk].contains(shapely.Point(x, y)):
                continue
            path, j, length = [], i, 0.0
            while j >= 0 and length < 3000.0:
                path.append(j)
                k = rec[j]
                if k >= 0:
                    length += math.hypot(xx.flat[k] - xx.flat[j], yy.flat[k] - yy.flat[j])
                j = k
            path_xy = np.column_stack([xx.flat[path], yy.flat[path]])
            d, along = cKDTree(path_xy).query(pxy)
            ok = (
                (d < 250.0)
                & (along > 0)
                & (ptop < zi - 2.0)
                & (pad["village_id"].to_numpy() == vid)
            )
            if ok.sum() < 5:
                continue
            sel = np.flatnonzero(ok)
            sel = sel[np.argsort(along[sel] * 1000 + d[sel], kind="stable")]
            fams: list[str] = []
            chosen: list[int] = []
            area = 0.0
            for h in holders[sel]:
                if h in fams:
                    continue
                mine = sel[holders[sel] == h].tolist()
                a = float(pareas[mine].sum())
                if area + a > area_target + 0.6:
                    continue
                fams.append(h)
                chosen.extend(mine)
                area += a
                if len(fams) == fam_target:
                    break
            err = abs(area - area_target) / area_target + abs(len(fams) - fam_target) / fam_target
            if best is None or err < best[0]:
                best = (err, i, vid, chosen, fams, area)
            if err < 0.02:
                break
        if best is None:
            raise RuntimeError(f"no site found for scheme {target_id}")
        _, i, vid, chosen, fams, area = best
        results.append(
            {
                "scheme_id": target_id,
                "village_id": vid,
                "intake_index": i,
                "parcel_ids": sorted(pad["parcel_id"].to_numpy()[chosen].tolist()),
                "families": len(fams),
                "area_ha": round(area, 2),
                "intake_x_m": float(xx.flat[i]),
                "intake_y_m": float(yy.flat[i]),
                "intake_z_m": round(float(dem.flat[i]), 1),
                "catchment_km2": round(float(upa.flat[i]), 2),
            }
        )
    return results


def schemes_toml(schemes: list[dict], villages) -> str:
    names = {
        "S1": ("Houay Kang weir", "ຝາຍຫ້ວຍກາງ"),
        "S2": ("Nam Phak weir", "ຝາຍນ້ຳພັກ"),
        "S3": ("Houay Sai weir", "ຝາຍຫ້ວຍຊາຍ"),
    }
    lines = [
        "# Candidate gravity irrigation schemes of the landuse demo (Oudomxay, Xay district).",
        "# SYNTHETIC: sites, parcels and families are made by tools/make_demo.py; "
        "the scheme names",
        "# are invented. The village ids are real codes of the Lao village register. "
        "See NOTICE.md.",
        "# Coordinates in EPSG:32647; the intake lies on a D8 stream cell of dem.tif.",
        "",
    ]
    for s in schemes:
        v = villages.set_index("village_id").loc[s["village_id"]]
        ids = ", ".join(f'"{p}"' for p in s["parcel_ids"])
        lines += [
            "[[scheme]]",
            f'scheme_id = "{s["scheme_id"]}"',
            f'name_en = "{names[s["scheme_id"]][0]}"',
            f'name_lo = "{names[s["scheme_id"]][1]}"',
            f'village_id = "{s["village_id"]}"  # {v["name_en"]} ({v["name_lo"]})',
            'crs = "EPSG:32647"',
            f"intake_x_m = {s['intake_x_m']:.1f}",
            f"intake_y_m = {s['intake_y_m']:.1f}",
            f"intake_elev_m = {s['intake_z_m']:.1f}  # DEM value at the intake",
            f"catchment_km2 = {s['catchment_km2']:.2f}  # D8 drainage area at the intake",
            f"paddy_parcel_ids = [{ids}]",
            f"families = {s['families']}",
            f"area_ha = {s['area_ha']:.2f}",
            "low_flow_l_s_km2 = 2.5",
            "diversion_fraction = 0.7",
            "canal_n = 0.025",
            "canal_bed_slope = 0.002",
            "canal_side_slope = 1.0",
            "",
        ]
    return "\n".join(lines)


# ======================================================================================
# Main
# ======================================================================================
def library_versions() -> str:
    """Versions of the libraries whose arithmetic shapes the output.

    Written into the DEM's metadata: the files are byte-identical between runs with the
    same versions (on the same kind of machine); other versions may differ in the last
    bits of floating-point results and hence in a few parcels.
    """
    import pyogrio
    import rasterio
    import scipy

    return (
        f"numpy {np.__version__}, scipy {scipy.__version__}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), geopandas {gpd.__version__}, "
        f"pyogrio {pyogrio.__version__} (GDAL {pyogrio.__gdal_version_string__}), "
        f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__})"
    )


def tag_dem(path: Path) -> None:
    """Say in the GeoTIFF metadata that the DEM is synthetic (fixed text: same bytes every run)."""
    import rasterio

    with rasterio.open(path, "r+") as ds:
        ds.update_tags(
            GENERATOR_LIBRARIES=library_versions(),
            SOURCE=f"synthetic (tools/make_demo.py, seed {SEED}); "
            "not the real terrain of this place",
            UNITS="m a.s.l.",
            NOTICE="landuse demo dataset, see NOTICE.md",
        )
        ds.set_band_description(1, "elevation_m (synthetic)")


def generate(out: Path, *, shared: Path = SHARED, quiet: bool = False) -> dict:
    """Make every layer and write it into *out*; returns a few statistics.

    *shared* is the folder of the real inputs (``../shared/data`` beside the repository).
    """
    t0 = time.perf_counter()
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    window = shapely.box(X0, Y0, X1, Y1)
    for rel in (DISTRICT_SRC, REGISTER_SRC):
        if not (shared / rel).is_file():
            raise SystemExit(
                f"make_demo: real input {shared / rel} not found; pass --shared FOLDER"
            )
    district = read_district(shared)
    if not district.geometry.iloc[0].contains(window):
        raise RuntimeError("the demo window is not inside the Xay district polygon")
    register = read_register(shared)

    terrain = make_dem(rng)
    dem = terrain["dem"]
    steep = float((terrain["slope_pct"] > 30).mean())
    log(
        f"DEM {dem.min():.0f}-{dem.max():.0f} m, steeper than 30 %: {100 * steep:.1f} %, "
        f"max fill {terrain['fill_depth'].max():.1f} m, "
        f"filled cells {100 * (terrain['fill_depth'] > 0.5).mean():.2f} %"
    )

    centres = place_villages(rng, terrain, window)
    villages = make_villages(centres, terrain, window, district, register)
    households = make_households(rng, villages)
    parcels_raw, unparcelled, _ = make_parcels(rng, villages, terrain, window)
    parcels = finish_parcels(rng, parcels_raw, villages, households)
    forest = make_forest(rng, unparcelled, villages, terrain)
    histories = make_histories(rng, parcels)
    climate = make_climate()
    schemes = make_schemes(rng, parcels, villages, terrain)

    # write everything into a fresh folder first (a GeoPackage rewritten in place would
    # keep a different SQLite change counter), then move the files into *out*
    with tempfile.TemporaryDirectory(prefix=".make_demo.", dir=out) as tmpdir:
        tmp = Path(tmpdir)
        lio.write_raster(
            dem,
            tmp / "dem.tif",
            transform=TRANSFORM,
            crs=CRS,
            nodata=NODATA,
            creation_options={"predictor": 3, "zlevel": 9},
        )
        tag_dem(tmp / "dem.tif")
        for name, gdf in (
            ("district", district),
            ("villages", villages),
            ("parcels", parcels),
            ("forest", forest),
        ):
            lio.write_vector(gdf, tmp / f"{name}.gpkg", layer=name)
        lio.write_table(households, tmp / "households.csv")
        lio.write_table(histories, tmp / "histories.csv")
        lio.write_table(climate, tmp / "climate.csv")
        with lio.atomic_output(tmp / "schemes.toml") as path:
            path.write_text(schemes_toml(schemes, villages), encoding="utf-8")
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)

    stats = {
        "elev_min_m": float(dem.min()),
        "elev_max_m": float(dem.max()),
        "steep_share": steep,
        "villages": len(villages),
        "households": len(households),
        "parcels": len(parcels),
        "parcels_by_type": parcels["land_type"].value_counts().to_dict(),
        "forest_share": float(forest.area.sum() / window.area),
        "schemes_area_ha": round(sum(s["area_ha"] for s in schemes), 2),
        "schemes_families": sum(s["families"] for s in schemes),
    }
    log(
        "villages (km2):",
        dict(zip(villages["name_en"], (villages.area / 1e6).round(1), strict=True)),
    )
    log("parcels:", stats["parcels"], stats["parcels_by_type"])
    log(
        "parcel area by type (ha):",
        (parcels.assign(a=parcels.area).groupby("land_type")["a"].sum() / 1e4).round(0).to_dict(),
    )
    log(f"forest cover {100 * stats['forest_share']:.1f} % of the window")
    log(
        "households per village:",
        households.groupby("village_id").size().to_dict(),
        f"mean members {households['members'].mean():.2f}, "
        f"labour units {households['labour_units'].mean():.2f}",
    )
    log("mean fallow period by start decade (years):", fallow_by_decade(histories))
    for s in schemes:
        log(
            f"scheme {s['scheme_id']} village {s['village_id']}: {len(s['parcel_ids'])} parcels, "
            f"{s['families']} families, {s['area_ha']} ha, intake {s['intake_z_m']} m, "
            f"catchment {s['catchment_km2']} km2"
        )
    log(f"schemes total: {stats['schemes_area_ha']} ha, {stats['schemes_families']} families")
    log(f"done in {time.perf_counter() - t0:.1f} s -> {out}")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "landuse" / "datasets" / "data")
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of the real inputs")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    stats = generate(args.out, shared=args.shared, quiet=args.quiet)
    if args.quiet:
        print(json.dumps(stats, default=str))


if __name__ == "__main__":
    main()
