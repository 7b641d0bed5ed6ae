"""How to fix each finding of :mod:`landuse.check` in QGIS (private).

Every code of :data:`landuse.check.CODES` has one text here, written for a QGIS 3
user (menus as in QGIS 3.22+, ``▸`` between menu levels); the ``fix`` column of a
finding says the same for Python and the command line. Placeholders filled per
finding: ``{crs}`` (the target CRS of the run, see :func:`target_crs`), ``{column}``,
``{value}`` and ``{layer}``.
"""

from __future__ import annotations

from typing import Any

#: Said when the target CRS is unknown (no layer has a usable CRS or position).
UNKNOWN_TARGET = "the UTM zone of your villages (EPSG:32647 west of 102°E, EPSG:32648 east of it)"

#: Reprojecting vector layers and rasters in QGIS ({crs}: the target, {layer}: the input(s)).
REPROJECT_VECTOR = "Vector ▸ Data Management Tools ▸ Reproject Layer ({layer}), Target CRS {crs}"
REPROJECT_RASTER = "Raster ▸ Projections ▸ Warp (Reproject) ({layer}), Target CRS {crs}, Bilinear"
_TABLE = ("open the table in the spreadsheet (or in QGIS: Layer ▸ Add Layer ▸ Add Delimited Text "
          "Layer, 'No geometry', then the attribute table in edit mode)")

QGIS_FIXES: dict[str, str] = {
    "FILE_NOT_FOUND": "find the file in the Browser panel and copy its path (right-click ▸ Copy "
                      "File Path); names are case-sensitive",
    "FILE_UNREADABLE": "open the file with Layer ▸ Add Layer; if QGIS cannot open it either, "
                       "re-export it from its source (right-click ▸ Export ▸ Save Features As…, "
                       "format GeoPackage; for rasters Raster ▸ Conversion ▸ Translate)",
    "LAYER_EMPTY": "open the layer's attribute table: it has no rows; in a GeoPackage pick the "
                   "layer that holds the data (Browser panel) and name it file.gpkg:layer",
    "COLUMN_MISSING": "rename the field to {column} (Layer Properties ▸ Fields, edit mode), or "
                      "map the header in a mapping file (landuse check --write-mapping drafts one)",
    "CRS_MISSING": "right-click the layer ▸ Layer CRS ▸ Set Layer CRS to the CRS its coordinates "
                   "were recorded in (for a raster: Raster ▸ Projections ▸ Assign Projection), "
                   "then reproject it to {crs} (Vector ▸ Data Management Tools ▸ Reproject Layer; "
                   "Raster ▸ Projections ▸ Warp)",
    "CRS_GEOGRAPHIC": REPROJECT_VECTOR.replace(" ({layer})", ""),
    "CRS_NOT_METRIC": REPROJECT_VECTOR.replace(" ({layer})", ""),
    "CRS_MISMATCH": REPROJECT_VECTOR,
    "GEOM_EMPTY": "attribute table ▸ select the row ▸ Zoom to selection; draw its boundary with "
                  "Add Polygon Feature, or delete the row (Delete Selected Features)",
    "GEOM_TYPE": "export the layer as polygons: Vector ▸ Geometry Tools ▸ Lines to Polygons "
                 "for closed lines; points must be redrawn with Add Polygon Feature",
    "GEOM_INVALID": "Processing Toolbox ▸ Vector geometry ▸ Fix geometries, then look at the "
                    "repaired feature (Vector ▸ Geometry Tools ▸ Check Validity lists them)",
    "GEOM_SLIVER": "select the feature, then Vector ▸ Geoprocessing Tools ▸ Eliminate Selected "
                   "Polygons (merges it into the neighbour with the longest common boundary), or "
                   "delete it",
    "GEOM_Z": "nothing needed; to silence it, Processing Toolbox ▸ Vector geometry ▸ Drop M/Z "
              "values",
    "COORD_RANGE": "Zoom to Layer over a basemap (XYZ Tiles ▸ OpenStreetMap) to see where the "
                   "feature lies; set the CRS the coordinates were recorded in (right-click ▸ "
                   "Layer CRS ▸ Set Layer CRS), then Vector ▸ Data Management Tools ▸ Reproject "
                   "Layer to {crs}",
    "ID_MISSING": "attribute table ▸ Select features using an expression: \"{column}\" IS NULL; "
                  "type a unique {column} in each selected row",
    "ID_DUPLICATE": "attribute table ▸ sort by {column}; give each repeated row its own "
                    "{column} (edit mode)",
    "ID_UNSAFE": "Field Calculator ▸ Update existing field {column}: "
                 "regexp_replace(\"{column}\", '[^A-Za-z0-9._-]', '_') for a draft; check the "
                 "result by hand",
    "LAND_TYPE_UNKNOWN": "map the value in a mapping file ([values.parcels.land_type], see "
                         "docs/mapping.md), or Field Calculator ▸ Update existing field land_type: "
                         "CASE WHEN \"land_type\" = {value} THEN 'paddy' ELSE \"land_type\" END "
                         "(with the right land type)",
    "STATUS_UNKNOWN": "map the value in a mapping file ([values.histories.status], see "
                      "docs/mapping.md), or correct it in the table: " + _TABLE,
    "HISTORY_UNKNOWN_PLOT": "correct plot_id to the parcel's parcel_id (Identify Features on "
                            "the parcel shows it), or delete the row: " + _TABLE,
    "PARCEL_OVERLAP": "turn on snapping and topological editing (Project ▸ Snapping Options, "
                      "'Avoid overlap'), then move the shared boundary with the Vertex Tool; "
                      "the Topology Checker plugin ('must not overlap') lists every overlap",
    "PARCEL_OUTSIDE_VILLAGE": "Identify Features on the parcel: correct its village_id in the "
                              "attribute table, or move it with the Move Feature tool",
    "PARCEL_CROSSES_VILLAGE": "Vector ▸ Geoprocessing Tools ▸ Clip (parcels by the villages "
                              "layer), or move the vertices onto the village boundary with "
                              "snapping on",
    "GAP": "with snapping on, drag a neighbouring parcel's vertices over the hole (Vertex "
           "Tool), or digitize it as a parcel of its own (Add Polygon Feature, land_type "
           "'other')",
    "SLIVER": "Processing Toolbox ▸ Vector geometry ▸ Snap geometries to layer (tolerance 2 m, "
              "the parcels to themselves), or move the vertices with snapping on",
    "VILLAGE_OVERLAP": "after the villages agree the boundary, move it once with topological "
                       "editing on (Project ▸ Snapping Options) so both territories follow it",
    "PARCEL_UNKNOWN_VILLAGE": "attribute table ▸ correct village_id (Field Calculator for many "
                              "rows), or add the village to the villages layer",
    "PARCEL_UNKNOWN_HOUSEHOLD": "attribute table ▸ correct household_id or clear it for "
                                "unallocated land; a join to the households table (Layer "
                                "Properties ▸ Joins) shows the rows that match none",
    "HOUSEHOLD_UNKNOWN_VILLAGE": "correct village_id to a village_id of the villages layer: "
                                 + _TABLE,
    "VALUE_MISSING": "fill in {column}: " + _TABLE,
    "VALUE_NOT_NUMBER": "write {column} as a plain number with the digits 0-9: " + _TABLE,
    "VALUE_NEGATIVE": "correct {column}: " + _TABLE,
    "VALUE_RANGE": "correct {column} (or the raster: Raster ▸ Raster Calculator): " + _TABLE,
    "LABOUR_GT_MEMBERS": "correct members or labour_units: " + _TABLE,
    "TMIN_GT_TMAX": "swap or correct tmin_c and tmax_c: " + _TABLE,
    "CLIMATE_MONTHS": "keep one row per month 1-12: " + _TABLE,
    "AREA_MISMATCH": "check the boundary, or Field Calculator ▸ Update existing field area_ha: "
                     "$area / 10000 (with the layer in {crs})",
    "TEXT_ENCODING": "Layer Properties ▸ Source ▸ Data source encoding: UTF-8; then re-save with "
                     "right-click ▸ Export ▸ Save Features As…, Encoding UTF-8, and type Lao "
                     "names in Lao script",
    "RASTER_EMPTY": "Layer Properties ▸ Transparency shows the nodata value; re-export the DEM "
                    "with Raster ▸ Conversion ▸ Translate and the right 'nodata' value",
    "RASTER_TOO_SMALL": "clip a larger area from the source DEM: Raster ▸ Extraction ▸ Clip "
                        "Raster by Extent (the villages' extent plus a margin)",
    "RASTER_NOT_COVERING": "Raster ▸ Miscellaneous ▸ Merge the DEM tiles, then Raster ▸ "
                           "Extraction ▸ Clip Raster by Extent with the villages' extent plus "
                           "a margin",
    "RASTER_NODATA_HOLES": "Raster ▸ Analysis ▸ Fill nodata, or use a complete DEM",
    "NODATA_UNDECLARED": "Raster ▸ Conversion ▸ Translate, 'Assign a specified nodata value to "
                         "output bands' set to the fill value",
    "DEM_RANGE": "the DEM must hold metres: Raster ▸ Raster Calculator (\"dem@1\" * 0.3048 for "
                 "feet), or use a DEM in metres",
    "VALUE_IMPLAUSIBLE": "check {column}: " + _TABLE,
    "SUNSHINE_GT_DAYLENGTH": "check sunshine_h (hours per day, not per month): " + _TABLE,
    "SLOPE_LOOKS_PERCENT": "recompute the slope with Raster ▸ Analysis ▸ Slope without 'Slope "
                           "expressed as percent', or declare the units as percent",
    "SLOPE_LOOKS_DEGREES": "declare the units as degrees, or recompute with Raster ▸ Analysis ▸ "
                           "Slope and 'Slope expressed as percent'",
    "RULE_COLUMN_MISSING": "add the column to the households table, or map its header in a "
                           "mapping file ([columns.households], see docs/mapping.md)",
    "LAYER_CHOSEN": "rename the layer in the Browser panel (right-click ▸ Rename Layer) or name "
                    "it as file.gpkg:layer",
    "CHECK_SKIPPED": "fix the problem named above; the skipped checks then run",
    "CHECK_FAILED": "Processing Toolbox ▸ Vector geometry ▸ Fix geometries, then check again",
    "MAPPING_APPLIED": "nothing needed; this says what the mapping file changed",
    "MAPPING_CONFLICT": "keep one of the two columns (delete the other in Layer Properties ▸ "
                        "Fields, or in the spreadsheet), or remove the line from the mapping file",
}


def qgis_fix(code: str, *, crs: str | None, layer: str, column: str | None, value: Any) -> str:
    """The QGIS fix of *code* for one finding (placeholders filled)."""
    text = QGIS_FIXES[code]
    if code in ("CRS_MISMATCH", "CRS_GEOGRAPHIC", "CRS_NOT_METRIC") and layer in ("dem", "slope"):
        text = REPROJECT_RASTER.replace(" ({layer})", "")
    shown = "'" + str(value).replace("'", "''") + "'" if value is not None else "'...'"
    return text.format(crs=crs or UNKNOWN_TARGET, layer=layer, column=column or "the column",
                       value=shown)
