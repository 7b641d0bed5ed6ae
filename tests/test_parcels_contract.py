"""The one parcels contract: landuse._validate.parcels.check_parcels."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box

from landuse._validate.parcels import check_parcels
from landuse.errors import CRSError, GeometryError, SchemaError

UTM = "EPSG:32647"


def _parcels(**cols):
    geoms = cols.pop("geometry", [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    data = {"parcel_id": ["P1", "P2"], "land_type": ["paddy", "upland"], **cols}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=UTM)


def test_a_good_layer_passes_and_is_named_by_its_source():
    p = _parcels()
    assert check_parcels(p, id_column="parcel_id", land_types=True) == "parcels"
    p.attrs["source"] = "village.gpkg"
    assert check_parcels(p) == "parcels (village.gpkg)"


@pytest.mark.parametrize(("make", "kwargs", "exc", "match"), [
    (lambda: [1, 2], {}, SchemaError, "expected a GeoDataFrame"),
    (lambda: _parcels().to_crs("EPSG:4326"), {}, CRSError, "geographic"),
    (lambda: _parcels().drop(columns="parcel_id"), {"id_column": "parcel_id"}, SchemaError, "parcel_id"),
    (lambda: _parcels(parcel_id=["P1", None]), {"id_column": "parcel_id"}, SchemaError, "empty|missing|null"),
    (lambda: _parcels(parcel_id=["P1", "P1"]), {"id_column": "parcel_id"}, SchemaError, "occurs 2 times"),
    (lambda: _parcels(geometry=[box(0, 0, 1, 1), LineString([(0, 0), (1, 1)])]), {}, GeometryError,
     "LineString"),
    (lambda: _parcels(geometry=[box(0, 0, 1, 1), Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])]), {},
     GeometryError, "invalid geometry"),
    (lambda: _parcels(land_type=["paddy", "swamp"]), {"land_types": True}, SchemaError, "swamp"),
    (lambda: _parcels(), {"columns": ["village_id"]}, SchemaError, "village_id"),
])
def test_each_rule_raises(make, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check_parcels(make(), **kwargs)


def test_ids_are_optional_unless_named():
    p = _parcels(parcel_id=["P1", "P1"])
    check_parcels(p)  # duplicates matter only when the id column is named
    check_parcels(p.drop(columns="parcel_id"))
