"""What the web maps and the static maps share (private; see :mod:`landuse.maps`): the
colours and labels of :data:`STYLES`, the palette of categories without a fixed colour,
and the hillshade drawn under both kinds of map.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from landuse.raster import Raster, read_dem

__all__ = ["STYLES", "hillshade_raster"]

# 20 distinguishable colours for categories without a fixed palette (then golden-angle hues).
_QUALITATIVE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)


# -- styles ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _styles() -> dict[str, Any]:
    path = resources.files("landuse.maps").joinpath("data/colours.toml")
    with path.open("rb") as f:
        return tomllib.load(f)


class _Styles(Mapping):
    """Read-only view of ``landuse/maps/data/colours.toml``."""

    def __getitem__(self, key: str) -> Any:
        return _styles()[key]

    def __iter__(self):
        return iter(_styles())

    def __len__(self) -> int:
        return len(_styles())

    def __repr__(self) -> str:
        return f"STYLES({', '.join(self)})"


#: Colours and English/Lao labels of land types, zones, fallow classes, conflict
#: severities and scheme features, and the labels of columns and layers
#: (``landuse/maps/data/colours.toml``). Treat it as read-only.
STYLES: Mapping[str, Any] = _Styles()


def hillshade_raster(dem: Any) -> Raster:
    """Hillshade of a DEM, the grey background of the web and static maps.

    Parameters
    ----------
    dem : Raster, path or (array, transform, crs)
        Elevation [m] in a projected CRS (anything :func:`landuse.raster.read_dem` takes).

    Returns
    -------
    Raster
        :func:`landuse.terrain.hillshade` of *dem*, edge cells included, 0-255.

    Raises
    ------
    CRSError
        When the DEM is not in a projected CRS.
    """
    from landuse.terrain.relief import hillshade  # deferred: imports numba

    raster = read_dem(dem)
    raster.require_projected()
    return hillshade(raster, compute_edges=True)
