"""The parcels contract: one validator for every function that takes a parcel layer (private).

A parcel layer is a GeoDataFrame in a projected CRS (areas in m² and ha are exact only
there) of valid Polygons and MultiPolygons. When an id column is named it must be
present, complete and unique, because results are reported by it. Callers may also
require further columns and the land-type vocabulary of ``docs/data-contracts.md``.
The checks run in this order, so the first fault reported is always the same one:
type, CRS, columns, ids, geometry types, geometry validity, land types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from landuse import _validate

if TYPE_CHECKING:  # geopandas is imported by the caller; not needed to check
    import geopandas as gpd

__all__ = ["check_parcels"]

#: Geometry types a parcel may have.
PARCEL_GEOM_TYPES = ("Polygon", "MultiPolygon")


def check_parcels(parcels: gpd.GeoDataFrame, *, layer: str = "parcels", id_column: str | None = None,
                  columns: Sequence[str] = (), land_types: bool = False) -> str:
    """Apply the parcels contract (see the module notes) and return the layer's name.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        The parcel layer.
    layer : str, default "parcels"
        What the layer is called in messages (its source file is added when known).
    id_column : str, optional
        Column identifying a parcel: required, without nulls and unique. Messages about
        single parcels name it.
    columns : sequence of str
        Further required columns.
    land_types : bool, default False
        Require a ``land_type`` column with values of the land-type vocabulary.

    Returns
    -------
    str
        The layer's name for messages, e.g. ``"parcels (village.gpkg)"``.

    Raises
    ------
    SchemaError, CRSError, GeometryError
        The first broken rule, naming the layer, the parcel and the fix.
    """
    _validate.require_geodataframe(parcels, layer=layer)
    name = _validate.layer_name(parcels, layer)
    _validate.require_projected(parcels, layer=name)
    required = ([id_column] if id_column else []) + list(columns) + (["land_type"] if land_types else [])
    _validate.require_columns(parcels, list(dict.fromkeys(required)), layer=name)
    if id_column:
        _validate.require_no_nulls(parcels, id_column, layer=name)
        _validate.require_unique(parcels, id_column, layer=name)
    _validate.require_geom_types(parcels, PARCEL_GEOM_TYPES, layer=name, id_column=id_column)
    _validate.require_valid_geometries(parcels, layer=name, id_column=id_column)
    if land_types:
        _validate.require_vocabulary(parcels, "land_type", _validate.LAND_TYPES, layer=name,
                                     id_column=id_column)
    return name
