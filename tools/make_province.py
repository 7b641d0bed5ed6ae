#!/usr/bin/env python
"""Generate a province-sized SYNTHETIC dataset for ``landuse`` benchmarks (deterministic).

Usage::

    .venv/bin/python tools/make_province.py --out /tmp/province              # 540 villages
    .venv/bin/python tools/make_province.py --out /tmp/p6 --villages 6       # a tiny one
    .venv/bin/landuse run /tmp/province/plan.toml --out /tmp/province-run --workers 2

The province is a grid of 12 km x 12 km tiles, each made like the bundled demo by
:mod:`make_demo` (terrain, streams, 7 village territories, forest, parcels, households,
cultivation histories, candidate irrigation schemes), each tile from its own seed. With
``--distinct K`` only K tiles are generated and the others repeat them (same terrain,
new village ids): faster for a first benchmark, said in the NOTICE.

Real parts: the village codes and the Lao and English village names of the 540
villages of Oudomxay province, in register order, with their district names (Lao
village register via ii-46/lao-village-data, MIT; see ``../shared/data``), and the
province name. Everything else is **synthetic**: the villages are not where they are
drawn, no parcel, household or person is real. Do not use it for any decision.

Written into the folder given by ``--out`` (never into the package): ``villages.gpkg``,
``parcels.gpkg``, ``households.csv``, ``histories.csv``, ``forest.gpkg``,
``climate.csv``, ``schemes.toml``, the DEM as one GeoTIFF per tile under ``dem/`` with
a GDAL VRT mosaic ``dem.vrt`` the plan reads, ``plan.toml`` and ``NOTICE.md``. Two runs
with the same arguments and library versions give byte-identical files.
"""

from __future__ import annotations

import argparse
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_demo as md

lio = md.lio

SEED = 20_261_204
TILE_M = md.NX * md.CELL  # 12 km
#: upper-left corner of the tile grid [m, EPSG:32647] (north-west of Oudomxay's centre)
GRID_X0, GRID_Y1 = 740_000.0, 2_340_000.0
PER_TILE = len(md.VILLAGES)  # 7 villages per tile, as in the demo
SYNTHETIC = "synthetic (tools/make_province.py)"


def read_province_register(shared: Path) -> pd.DataFrame:
    """The real register of the villages of Oudomxay province (code 04), in file order."""
    reg = pd.read_csv(shared / md.REGISTER_SRC, dtype=str, encoding="utf-8")
    reg = reg[reg["province_code"] == "04"].copy()
    for col in ("village_en", "district_en", "province_en"):
        reg[col] = reg[col].str.strip()
    return reg.reset_index(drop=True)


def _placeholder(k: int) -> str:
    return f"999999{k}"  # 7 digits like a real code; replaced by the real code afterwards


def generate_tile(seed: int) -> dict:
    """One demo-like tile (in the demo's window) with placeholder village ids ``9999991..7``.

    Household numbers are the demo's, scaled by a factor of 0.9-1.15 drawn per tile
    (mean about 105 households a village, as in Oudomxay: ~57,000 for 540 villages).
    A seed whose village placement fails, or that leaves a degenerate parcel, is
    replaced by ``seed + 7919`` (deterministic).
    """
    for attempt in range(20):
        s = seed + 7919 * attempt
        rng = np.random.default_rng(s)
        scale = float(rng.uniform(0.9, 1.15))
        spec = [
            (_placeholder(k + 1), max(30, round(hh * scale)), g, sh)
            for k, (_vid, hh, g, sh) in enumerate(md.VILLAGES)
        ]
        saved = md.VILLAGES, md.TOTAL_HOUSEHOLDS
        md.VILLAGES, md.TOTAL_HOUSEHOLDS = spec, sum(v[1] for v in spec)
        try:
            register = pd.DataFrame(
                {"village_en": [f"V{k}" for k in range(1, 8)], "village_lo": [""] * 7},
                index=[_placeholder(k) for k in range(1, 8)],
            )
            district = gpd.GeoDataFrame(
                {"name_en": ["-"], "name_lo": ["-"], "province_en": ["-"], "province_lo": ["-"]},
                geometry=[shapely.box(md.X0, md.Y0, md.X1, md.Y1)],
                crs=md.CRS,
            )
            window = shapely.box(md.X0, md.Y0, md.X1, md.Y1)
            terrain = md.make_dem(rng)
            centres = md.place_villages(rng, terrain, window)
            villages = md.make_villages(centres, terrain, window, district, register)
            households = md.make_households(rng, villages)
            parcels_raw, unparcelled, _ = md.make_parcels(rng, villages, terrain, window)
            parcels = md.finish_parcels(rng, parcels_raw, villages, households)
            forest = md.make_forest(rng, unparcelled, villages, terrain)
            histories = md.make_histories(rng, parcels)
            schemes = md.make_schemes(rng, parcels, villages, terrain)
            if _degenerate(parcels):
                continue  # a sliver left by the demo's clean-up: its village would fail the check
        except (RuntimeError, ValueError, AssertionError, StopIteration):
            continue
        finally:
            md.VILLAGES, md.TOTAL_HOUSEHOLDS = saved
        return {
            "seed": s,
            "dem": terrain["dem"],
            "villages": villages,
            "households": households,
            "parcels": parcels,
            "forest": forest,
            "histories": histories,
            "schemes": schemes,
        }
    raise RuntimeError(f"no usable tile from seed {seed}")


def _degenerate(parcels: gpd.GeoDataFrame) -> bool:
    """Whether any parcel is below the check's minimum area (1 m2) or mean width
    (2 A / P = 0.5 m), or is not valid (``landuse check``: GEOM_SLIVER, GEOM_INVALID)."""
    g = parcels.geometry
    area, perim = g.area.to_numpy(), g.length.to_numpy()
    width = np.divide(2 * area, perim, out=np.zeros_like(area), where=perim > 0)
    return bool((area < 1.0).any() or (width < 0.5).any() or (~g.is_valid).any())


def _remap(values: pd.Series, ids: dict[str, str]) -> pd.Series:
    """Replace a leading placeholder village id (``9999993`` or ``9999993-...``) by its code."""
    s = values.astype(object)
    out = s.copy()
    for old, new in ids.items():
        hit = s.notna() & s.astype(str).str.startswith(old)
        out[hit] = new + s[hit].astype(str).str.slice(len(old))
    return out


def place_tile(
    tile: dict,
    *,
    codes: list[str],
    register: pd.DataFrame,
    dx: float,
    dy: float,
    province: tuple[str, str],
) -> dict:
    """A copy of *tile* moved by (dx, dy) [m] with real village codes and names.

    Villages of the tile beyond ``len(codes)`` are dropped with their parcels,
    households, histories and schemes (the last tile of a province may be partly empty).
    """
    ids = {_placeholder(k + 1): c for k, c in enumerate(codes)}
    keep = set(ids)
    v = tile["villages"][tile["villages"]["village_id"].isin(keep)].copy()
    v["village_id"] = v["village_id"].map(ids)
    reg = register.set_index("village_code").loc[v["village_id"]]
    v["name_en"] = reg["village_en"].str.title().to_numpy()
    v["name_lo"] = reg["village_lo"].to_numpy()
    v["district_en"] = reg["district_en"].str.title().to_numpy()
    v["district_lo"] = reg["district_lo"].to_numpy()
    v["province_en"], v["province_lo"] = province
    v["centre_x"] = (v["centre_x"] + dx).round(1)
    v["centre_y"] = (v["centre_y"] + dy).round(1)
    v["source"] = (
        "real: village_id, name_en, name_lo, district names (Lao village register via "
        "ii-46/lao-village-data, MIT); synthetic: centre, territory, households "
        "(tools/make_province.py)"
    )
    v["geometry"] = v.geometry.translate(dx, dy)

    p = tile["parcels"][tile["parcels"]["village_id"].isin(keep)].copy()
    for col in ("parcel_id", "village_id", "household_id"):
        p[col] = _remap(p[col], ids)
    p["geometry"] = p.geometry.translate(dx, dy)
    h = tile["households"][tile["households"]["village_id"].isin(keep)].copy()
    for col in ("household_id", "village_id"):
        h[col] = _remap(h[col], ids)
    hist = tile["histories"]
    hist = hist[hist["plot_id"].astype(str).str.slice(0, 7).isin(keep)].copy()
    hist["plot_id"] = _remap(hist["plot_id"], ids)
    f = tile["forest"]
    f = f[f["village_id"].isna() | f["village_id"].isin(keep)].copy()
    f["village_id"] = _remap(f["village_id"], ids)
    f["geometry"] = f.geometry.translate(dx, dy)
    schemes = []
    for s in tile["schemes"]:
        if s["village_id"] in keep:
            s = dict(s)
            s["village_id"] = ids[s["village_id"]]
            s["parcel_ids"] = list(_remap(pd.Series(s["parcel_ids"]), ids))
            s["intake_x_m"] += dx
            s["intake_y_m"] += dy
            schemes.append(s)
    return {
        "villages": v,
        "parcels": p,
        "households": h,
        "histories": hist,
        "forest": f,
        "schemes": schemes,
    }


def schemes_toml(schemes: list[tuple[str, dict]], villages: gpd.GeoDataFrame) -> str:
    lines = [
        "# Candidate gravity irrigation schemes of the SYNTHETIC landuse province benchmark.",
        "# Sites, parcels and families are made by tools/make_province.py; the village ids are",
        "# real codes of the Lao village register. See NOTICE.md. Coordinates in EPSG:32647.",
        "",
    ]
    vnames = villages.set_index("village_id")["name_en"]
    for sid, s in schemes:
        ids = ", ".join(f'"{p}"' for p in s["parcel_ids"])
        lines += [
            "[[scheme]]",
            f'scheme_id = "{sid}"',
            f'name_en = "Weir {sid} (synthetic)"',
            f'name_lo = "ຝາຍ {sid}"',
            f'village_id = "{s["village_id"]}"  # {vnames[s["village_id"]]}',
            'crs = "EPSG:32647"',
            f"intake_x_m = {s['intake_x_m']:.1f}",
            f"intake_y_m = {s['intake_y_m']:.1f}",
            f"intake_elev_m = {s['intake_z_m']:.1f}  # DEM value at the intake",
            f"catchment_km2 = {s['catchment_km2']:.2f}  # D8 drainage area in its own tile",
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


def dem_vrt(tiles: list[tuple[str, int, int]], *, n_rows: int, n_cols: int) -> str:
    """A GDAL VRT mosaic of the tile GeoTIFFs (relative paths, fixed text)."""
    import rasterio.crs

    wkt = rasterio.crs.CRS.from_string(md.CRS).to_wkt()
    width, height = n_cols * md.NX, n_rows * md.NY
    gt = f"{GRID_X0:.1f}, {md.CELL:.1f}, 0.0, {GRID_Y1:.1f}, 0.0, {-md.CELL:.1f}"
    parts = [
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
        f"  <SRS>{wkt}</SRS>",
        f"  <GeoTransform>{gt}</GeoTransform>",
        '  <VRTRasterBand dataType="Float32" band="1">',
        f"    <NoDataValue>{md.NODATA:.0f}</NoDataValue>",
        "    <Description>elevation_m (synthetic)</Description>",
    ]
    for rel, r, c in tiles:
        parts += [
            "    <ComplexSource>",
            f'      <SourceFilename relativeToVRT="1">{rel}</SourceFilename>',
            "      <SourceBand>1</SourceBand>",
            f'      <SrcRect xOff="0" yOff="0" xSize="{md.NX}" ySize="{md.NY}" />',
            f'      <DstRect xOff="{c * md.NX}" yOff="{r * md.NY}" '
            f'xSize="{md.NX}" ySize="{md.NY}" />',
            f"      <NODATA>{md.NODATA:.0f}</NODATA>",
            "    </ComplexSource>",
        ]
    parts += ["  </VRTRasterBand>", "</VRTDataset>", ""]
    return "\n".join(parts)


PLAN = """\
# Plan file of a SYNTHETIC province made by tools/make_province.py ({n} villages; see NOTICE.md).
# Paths are relative to this file.

[plan]
name = "Synthetic province ({n} villages, Oudomxay register names) - synthetic data"
issue_date = "2026-01-15"

[inputs]
villages = "villages.gpkg"
parcels = "parcels.gpkg"
households = "households.csv"
dem = "dem.vrt"
histories = "histories.csv"
climate = "climate.csv"
schemes = "schemes.toml"
forest = "forest.gpkg"

[rules]

[options]
stream_min_area_km2 = 0.5
time_limit_s = 60
mip_gap = 0.005
keep_existing = false
certificates = true
map = true
"""

NOTICE = """\
# Synthetic province for `landuse` benchmarks: what is real and what is synthetic

Made by `tools/make_province.py --villages {n} --distinct {distinct}` (seed {seed}); not
shipped with the package. **Everything here is synthetic except** the village codes, the
Lao and English village names and their district names, which are those of the first {n}
villages of the Oudomxay province village register (Lao village register via
ii-46/lao-village-data, MIT licence), and the province name. The villages are **not** where
they are drawn: terrain (`dem/*.tif`, `dem.vrt`), territories, forest, parcels,
households (names of people included), cultivation histories, climate and irrigation
schemes were made by a computer program, tile by tile as the bundled demo
(`tools/make_demo.py`, see `landuse/datasets/data/NOTICE.md`), and describe no real place,
household or person. Do not use them for any decision about real land.

Layout: {tiles} tiles of 12 km x 12 km (20 m DEM) in a grid of {rows} x {cols} from
{x0:.0f} m E, {y1:.0f} m N (EPSG:32647); {distinct} distinct tile(s) generated, the others
repeat them with other village ids. Totals: {villages} villages, {households} households,
{parcels} parcels, {schemes} candidate irrigation schemes.
"""


def generate(
    out: Path,
    *,
    villages: int = 540,
    distinct: int | None = None,
    shared: Path = md.SHARED,
    quiet: bool = False,
) -> dict:
    """Write a synthetic province of *villages* villages into *out* (a new or empty folder)."""
    t0 = time.perf_counter()
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    for rel in (md.REGISTER_SRC, md.DISTRICT_SRC):
        if not (shared / rel).is_file():
            raise SystemExit(
                f"make_province: real input {shared / rel} not found; pass --shared FOLDER"
            )
    register = read_province_register(shared)
    if not 1 <= villages <= len(register):
        raise SystemExit(
            f"make_province: --villages must be 1..{len(register)} (the register's "
            f"villages of Oudomxay), got {villages}"
        )
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"make_province: {out} is not empty; give a new folder")
    n_tiles = math.ceil(villages / PER_TILE)
    distinct = n_tiles if not distinct else max(1, min(int(distinct), n_tiles))
    n_cols = math.ceil(math.sqrt(n_tiles))
    n_rows = math.ceil(n_tiles / n_cols)
    d = md.read_district(shared).iloc[0]  # the province's names as COD-AB writes them
    province = (str(d["province_en"]), str(d["province_lo"]))
    codes = register["village_code"].tolist()[:villages]

    base: dict[int, dict] = {}
    parts, tif_tiles, schemes = [], [], []
    with tempfile.TemporaryDirectory(prefix=".make_province.", dir=out) as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "dem").mkdir()
        for t in range(n_tiles):
            b = t % distinct
            if b not in base:
                base[b] = generate_tile(SEED + 101 * b)
                log(
                    f"tile {b + 1}/{distinct} generated (seed {base[b]['seed']}), "
                    f"{time.perf_counter() - t0:.0f} s"
                )
            tile = base[b]
            r, c = divmod(t, n_cols)
            x0, y1 = GRID_X0 + c * TILE_M, GRID_Y1 - r * TILE_M
            dx, dy = x0 - md.X0, y1 - md.Y1
            part = place_tile(
                tile,
                codes=codes[t * PER_TILE : (t + 1) * PER_TILE],
                register=register,
                dx=dx,
                dy=dy,
                province=province,
            )
            parts.append(part)
            for k, s in enumerate(part["schemes"], start=1):
                schemes.append((f"T{t + 1:03d}-S{k}", s))
            rel = f"dem/dem_r{r:02d}c{c:02d}.tif"
            lio.write_raster(
                tile["dem"],
                tmp / rel,
                transform=Affine(md.CELL, 0.0, x0, 0.0, -md.CELL, y1),
                crs=md.CRS,
                nodata=md.NODATA,
                creation_options={"predictor": 3, "zlevel": 6},
            )
            tif_tiles.append((rel, r, c))

        def cat(key: str) -> pd.DataFrame:
            return pd.concat([p[key] for p in parts], ignore_index=True)

        vil = (
            gpd.GeoDataFrame(cat("villages"), crs=md.CRS)
            .sort_values("village_id")
            .reset_index(drop=True)
        )
        par = gpd.GeoDataFrame(cat("parcels"), crs=md.CRS).reset_index(drop=True)
        hh = cat("households")
        hist = cat("histories")
        forest = gpd.GeoDataFrame(cat("forest"), crs=md.CRS).reset_index(drop=True)
        forest["forest_id"] = [f"F{i + 1:06d}" for i in range(len(forest))]
        forest["source"] = SYNTHETIC
        lio.write_vector(vil, tmp / "villages.gpkg", layer="villages")
        lio.write_vector(par, tmp / "parcels.gpkg", layer="parcels")
        lio.write_vector(forest, tmp / "forest.gpkg", layer="forest")
        lio.write_table(hh, tmp / "households.csv")
        lio.write_table(hist, tmp / "histories.csv")
        lio.write_table(md.make_climate(), tmp / "climate.csv")
        (tmp / "schemes.toml").write_text(schemes_toml(schemes, vil), encoding="utf-8")
        (tmp / "dem.vrt").write_text(
            dem_vrt(tif_tiles, n_rows=n_rows, n_cols=n_cols), encoding="utf-8"
        )
        (tmp / "plan.toml").write_text(PLAN.format(n=villages), encoding="utf-8")
        stats = {
            "villages": len(vil),
            "households": len(hh),
            "parcels": len(par),
            "schemes": len(schemes),
            "tiles": n_tiles,
            "distinct_tiles": distinct,
            "grid": [n_rows, n_cols],
            "dem_cells": n_rows * n_cols * md.NX * md.NY,
        }
        (tmp / "NOTICE.md").write_text(
            NOTICE.format(
                n=villages,
                distinct=distinct,
                seed=SEED,
                tiles=n_tiles,
                rows=n_rows,
                cols=n_cols,
                x0=GRID_X0,
                y1=GRID_Y1,
                villages=len(vil),
                households=len(hh),
                parcels=len(par),
                schemes=len(schemes),
            ),
            encoding="utf-8",
        )
        for f in sorted(tmp.rglob("*"), key=lambda p: len(p.parts)):
            dest = out / f.relative_to(tmp)
            if f.is_dir():
                dest.mkdir(exist_ok=True)
            else:
                os.replace(f, dest)
    log(json.dumps(stats), f"in {time.perf_counter() - t0:.0f} s -> {out}")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="new or empty folder to write into"
    )
    parser.add_argument("--villages", type=int, default=540, help="number of villages (1-540)")
    parser.add_argument(
        "--distinct",
        type=int,
        default=None,
        help="generate only K distinct tiles and repeat them (default: all distinct)",
    )
    parser.add_argument("--shared", type=Path, default=md.SHARED, help="folder of the real inputs")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    stats = generate(
        args.out,
        villages=args.villages,
        distinct=args.distinct,
        shared=args.shared,
        quiet=args.quiet,
    )
    if args.quiet:
        print(json.dumps(stats))


if __name__ == "__main__":
    main()
