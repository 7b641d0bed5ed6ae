"""The CRS contract: everything that measures needs a projected CRS in metres.

Areas, lengths, distances and slopes are computed only in a projected CRS.
A layer without a CRS, or in a geographic CRS, raises :class:`~landuse.errors.CRSError`
with a hint; :func:`to_projected` picks the right UTM zone (Oudomxay lies in
UTM zone 47N, EPSG:32647). Layers with different CRSs are never combined silently.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> gdf = gpd.GeoDataFrame(geometry=[Point(101.98, 20.69)], crs="EPSG:4326")
>>> to_projected(gdf).crs.to_epsg()
32647
>>> utm_crs_for(101.98, 20.69).to_epsg()
32647
"""

from __future__ import annotations

from typing import Any

from pyproj import CRS

from landuse import _validate
from landuse.errors import CRSError

__all__ = ["OUDOMXAY_CRS", "is_projected", "require_projected", "to_projected", "utm_crs_for"]

#: UTM zone 47N on WGS 84, the working CRS for Oudomxay province.
OUDOMXAY_CRS = CRS.from_epsg(32647)


def is_projected(crs: Any) -> bool:
    """Return True when *crs* is a projected CRS with metre units.

    >>> is_projected("EPSG:32647"), is_projected("EPSG:4326"), is_projected(None)
    (True, False, False)
    """
    if crs is None:
        return False
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        return False
    unit = (crs.axis_info[0].unit_name or "").lower() if crs.axis_info else "metre"
    return unit in ("metre", "meter", "m")


def utm_crs_for(lon_deg: float, lat_deg: float) -> CRS:
    """Return the WGS 84 UTM CRS of the zone containing a point.

    Parameters
    ----------
    lon_deg, lat_deg : float
        Longitude and latitude. [degrees]
    """
    if not -180 <= lon_deg <= 180 or not -90 <= lat_deg <= 90:
        raise CRSError(
            f"longitude {lon_deg} / latitude {lat_deg} is outside the valid range",
            hint="pass longitude first, in degrees (-180..180), then latitude (-90..90)",
        )
    zone = int((lon_deg + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat_deg >= 0 else 32700) + zone)


def to_projected(gdf: Any, *, crs: Any = None) -> Any:
    """Return a copy of *gdf* in a projected CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or GeoSeries
        Layer with a CRS.
    crs : optional
        Target CRS. By default the UTM zone of the layer's centre.

    Raises
    ------
    CRSError
        If *gdf* has no CRS, or *crs* is not projected.
    """
    _validate.require_crs(gdf, layer="input layer")
    if crs is not None:
        if not is_projected(crs):
            raise CRSError(
                f"target CRS {CRS.from_user_input(crs).to_string()} is not a projected CRS in metres",
                hint="use a UTM CRS such as EPSG:32647",
            )
        return gdf.to_crs(crs)
    if is_projected(gdf.crs):
        return gdf.copy()
    lonlat = gdf.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = lonlat.total_bounds
    return gdf.to_crs(utm_crs_for((minx + maxx) / 2, (miny + maxy) / 2))


def require_projected(gdf: Any, *, layer: str = "input layer") -> None:
    """Raise :class:`CRSError` unless *gdf* is in a projected CRS in metres."""
    _validate.require_projected(gdf, layer=_validate.layer_name(gdf, layer))
