"""The bundled Oudomxay demo dataset.

Real: the Xay district boundary (OCHA/HDX COD-AB) and the village names in Lao and
English (Lao village register). Synthetic, made by ``tools/make_demo.py`` with a
fixed seed: terrain, village territories, streams, parcels, households, cultivation
histories, climate normals (illustrative) and irrigation schemes. See
``landuse/datasets/data/NOTICE.md``.

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

__all__ = ["Demo", "available", "get_path", "load_demo"]

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
        from landuse.errors import SchemaError

        raise SchemaError(
            f"unknown dataset {name!r}",
            hint=f"use one of {', '.join(sorted(available))}",
        )
    return _DATA / available[name]


@dataclass(frozen=True)
class Demo:
    """All layers of the demo, read with the :mod:`landuse.io` readers."""

    villages: Any
    parcels: Any
    households: Any
    histories: Any
    climate: Any
    dem: Any
    schemes: dict
    district: Any


def load_demo() -> Demo:
    """Read every demo layer (vector layers in EPSG:32647)."""
    import tomllib

    from landuse import io

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
    )
