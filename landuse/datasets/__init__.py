"""The bundled Oudomxay demo dataset.

Real: the Xay district boundary (OCHA/HDX COD-AB) and the village names in Lao and
English (Lao village register). Synthetic, made by ``tools/make_demo.py`` with a
fixed seed: terrain, village territories, streams, parcels, households, cultivation
histories, climate normals (illustrative) and irrigation schemes. See
``landuse/datasets/data/NOTICE.md``.

The window is 12 km x 12 km (796,000-808,000 E, 2,279,000-2,291,000 N in
EPSG:32647, about 10 km south-west of Muang Xay town) with seven villages, 720
households, about 3,900 parcels, a 20 m DEM (560-1,690 m), forest cover,
cultivation histories 1990-2025 of the rotational upland plots, illustrative
climate normals and three candidate gravity irrigation schemes.

Examples
--------
>>> from landuse.datasets import available, get_path
>>> "parcels" in available
True
>>> get_path("dem").name
'dem.tif'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse import io
from landuse.errors import SchemaError

__all__ = ["Demo", "available", "get_path", "load_demo", "summary"]

_DATA = Path(__file__).parent / "data"

#: Dataset names and their files (inside ``landuse/datasets/data``).
available: dict[str, str] = {
    "villages": "villages.gpkg",
    "parcels": "parcels.gpkg",
    "households": "households.csv",
    "histories": "histories.csv",
    "climate": "climate.csv",
    "dem": "dem.tif",
    "schemes": "schemes.toml",
    "district": "district.gpkg",
    "forest": "forest.gpkg",
    "plan": "plan.toml",
}


def get_path(name: str) -> Path:
    """Return the path of a bundled dataset file.

    Parameters
    ----------
    name : str
        One of :data:`available`.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones).
    """
    if name not in available:
        raise SchemaError(
            f"unknown dataset {name!r}",
            hint=f"use one of {', '.join(sorted(available))}",
        )
    return _DATA / available[name]


@dataclass(frozen=True)
class Demo:
    """All layers of the demo, read with the :mod:`landuse.io` readers.

    Attributes
    ----------
    villages, parcels, district, forest : geopandas.GeoDataFrame
        Vector layers in EPSG:32647.
    households, histories, climate : pandas.DataFrame
        Tables (climate indexed by month).
    dem : landuse.raster.Raster
        20 m DEM. [m a.s.l.]
    schemes : dict
        The parsed ``schemes.toml`` (``schemes["scheme"]`` is the list of schemes).
    """

    villages: Any
    parcels: Any
    households: Any
    histories: Any
    climate: Any
    dem: Any
    schemes: dict
    district: Any
    forest: Any


def load_demo() -> Demo:
    """Read every demo layer (vector layers in EPSG:32647).

    Returns
    -------
    Demo
        The layers, validated by the :mod:`landuse.io` readers.

    Examples
    --------
    >>> demo = load_demo()
    >>> len(demo.villages), demo.villages.crs.to_epsg()
    (7, 32647)
    >>> int(demo.households["members"].count())
    720
    """
    import tomllib

    with open(get_path("schemes"), "rb") as fh:
        schemes = tomllib.load(fh)
    return Demo(
        villages=io.read_villages(get_path("villages")),
        parcels=io.read_parcels(get_path("parcels")),
        households=io.read_households(get_path("households")),
        histories=io.read_histories(get_path("histories")),
        climate=io.read_climate(get_path("climate")),
        dem=io.read_raster(get_path("dem")),
        schemes=schemes,
        district=io.read_vector(get_path("district"), what="district"),
        forest=io.read_vector(get_path("forest"), what="forest"),
    )


def _slope_pct(z: np.ndarray, cell_m: float) -> np.ndarray:
    """Slope [%] by Horn's (1981) 3x3 finite differences, NaN where a neighbour is missing.

    Horn, B. K. P. (1981). Hill shading and the reflectance map. Proc. IEEE 69(1), 14-47.
    """
    p = np.pad(z, 1, mode="constant", constant_values=np.nan)
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * cell_m)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * cell_m)
    return 100.0 * np.hypot(dzdx, dzdy)


def summary(demo: Demo | None = None) -> dict[str, Any]:
    """Summarise the demo: villages, households, parcels, terrain, forest and schemes.

    Parameters
    ----------
    demo : Demo, optional
        The layers; :func:`load_demo` is called when omitted.

    Returns
    -------
    dict
        JSON-serialisable: ``villages`` (one dict per village with its names in Lao
        and English, territory ``area_km2``, households, persons and parcels),
        ``households`` (count, persons, labour units, landless), ``parcels_by_type``
        (count and ``area_ha`` per land type), ``dem`` (extent, cell size, elevation
        range [m] and ``steep_share_30pct``, the share of valid cells steeper than
        30 % slope computed with Horn's method), ``forest`` (``area_ha`` and share of
        the window), ``histories`` (plots and years) and ``schemes`` (each scheme and
        the totals of families and ``area_ha``).

    Examples
    --------
    >>> s = summary()
    >>> s["households"]["count"], len(s["villages"]), s["dem"]["crs"]
    (720, 7, 'EPSG:32647')
    """
    demo = load_demo() if demo is None else demo
    villages = demo.villages.sort_values("village_id")
    hh = demo.households
    parcels = demo.parcels.assign(area_ha=demo.parcels.geometry.area / 1e4)
    per_village = []
    for _, v in villages.iterrows():
        vid = v["village_id"]
        h = hh[hh["village_id"] == vid]
        p = parcels[parcels["village_id"] == vid]
        per_village.append(
            {
                "village_id": vid,
                "name_en": v["name_en"],
                "name_lo": v["name_lo"],
                "area_km2": round(float(v.geometry.area) / 1e6, 2),
                "households": len(h),
                "persons": int(h["members"].sum()),
                "parcels": len(p),
            }
        )
    by_type = {
        str(t): {"count": len(g), "area_ha": round(float(g["area_ha"].sum()), 1)}
        for t, g in parcels.groupby("land_type", sort=True)
    }
    dem = demo.dem
    z = dem.as_float()
    slope = _slope_pct(z, dem.res[0])
    ok = np.isfinite(slope)
    left, bottom, right, top = dem.bounds
    window_m2 = (right - left) * (top - bottom)
    landless = hh["landless"] if "landless" in hh.columns else pd.Series(False, index=hh.index)
    landless = landless.astype(str).str.lower().isin(["true", "1", "yes"])
    schemes = demo.schemes.get("scheme", [])
    up = demo.histories
    return {
        "villages": per_village,
        "households": {
            "count": len(hh),
            "persons": int(hh["members"].sum()),
            "mean_members": round(float(hh["members"].mean()), 2),
            "labour_units": round(float(hh["labour_units"].sum()), 1),
            "mean_labour_units": round(float(hh["labour_units"].mean()), 2),
            "landless": int(landless.sum()),
        },
        "parcels": len(parcels),
        "parcels_by_type": by_type,
        "parcels_with_holder": int(parcels["household_id"].notna().sum()),
        "dem": {
            "crs": f"EPSG:{dem.crs.to_epsg()}"
            if dem.crs is not None and dem.crs.to_epsg()
            else str(dem.crs),
            "bounds_m": [round(float(b), 1) for b in dem.bounds],
            "shape": list(dem.shape),
            "cell_m": float(dem.res[0]),
            "elev_min_m": round(float(np.nanmin(z)), 1),
            "elev_max_m": round(float(np.nanmax(z)), 1),
            "relief_m": round(float(np.nanmax(z) - np.nanmin(z)), 1),
            "steep_share_30pct": round(float((slope[ok] > 30.0).mean()), 3),
        },
        "forest": {
            "patches": len(demo.forest),
            "area_ha": round(float(demo.forest.geometry.area.sum()) / 1e4, 1),
            "share_of_window": round(float(demo.forest.geometry.area.sum()) / window_m2, 3),
        },
        "histories": {
            "plots": int(up["plot_id"].nunique()),
            "first_year": int(up["year"].min()),
            "last_year": int(up["year"].max()),
        },
        "schemes": {
            "schemes": [
                {
                    "scheme_id": s["scheme_id"],
                    "name_en": s.get("name_en"),
                    "village_id": s["village_id"],
                    "families": int(s["families"]),
                    "area_ha": float(s["area_ha"]),
                    "parcels": len(s["paddy_parcel_ids"]),
                }
                for s in schemes
            ],
            "families": int(sum(int(s["families"]) for s in schemes)),
            "area_ha": round(float(sum(float(s["area_ha"]) for s in schemes)), 2),
        },
    }
