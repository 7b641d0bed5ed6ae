"""Run by the SYSTEM Python that PyQGIS belongs to (tests/test_qgis.py): open a plan GeoPackage headless.

Prints one JSON document: per layer its geometry type, whether its default style loaded
from ``layer_styles``, its renderer and categories, labels and field aliases / widgets; and
the project stored in the GeoPackage: its CRS, layer tree (groups, layers, visibility),
drawing order, and each project layer's renderer, aliases and value maps.
"""

import json
import os
import sqlite3
import sys

from qgis.core import QgsApplication, QgsProject, QgsSymbolLayer, QgsVectorLayer, QgsWkbTypes


def describe(layer):
    renderer = layer.renderer()
    out = {"valid": layer.isValid(), "feature_count": layer.featureCount(),
           "geometry": QgsWkbTypes.geometryDisplayString(layer.geometryType()),
           "wkb": QgsWkbTypes.displayString(layer.wkbType()),
           "renderer": renderer.type() if renderer else None,
           "labels": bool(layer.labelsEnabled() and layer.labeling() is not None),
           "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())
                       if layer.attributeAlias(i)},
           "widgets": {f.name(): layer.editorWidgetSetup(i).type() for i, f in enumerate(layer.fields())
                       if layer.editorWidgetSetup(i).type()}}
    if renderer is not None and renderer.type() == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["categories"] = {str(c.value()): [c.label(), c.symbol().color().name()] for c in renderer.categories()}
    if renderer is not None and renderer.type() == "singleSymbol":
        out["symbol"] = [renderer.symbol().type(), renderer.symbol().color().name()]
        width = renderer.symbol().symbolLayer(0).dataDefinedProperties().property(QgsSymbolLayer.PropertyStrokeWidth)
        if width.isActive():
            out["width_expression"] = width.expressionString()
    if out["labels"]:
        settings = layer.labeling().settings()
        out["label_expression"] = settings.fieldName
        out["label_min_scale"] = settings.minimumScale if settings.scaleVisibility else 0
    vm = {}
    for i, f in enumerate(layer.fields()):
        setup = layer.editorWidgetSetup(i)
        if setup.type() == "ValueMap":
            vm[f.name()] = {v: k for d in setup.config()["map"] for k, v in d.items()}
    out["value_maps"] = vm
    return out


def main(path):
    app = QgsApplication([], False)
    app.initQgis()
    con = sqlite3.connect(path)
    names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_geometry_columns ORDER BY table_name")]
    con.close()
    result = {"qgis": QgsApplication.instance().applicationVersion() if hasattr(QgsApplication, "applicationVersion")
              else "", "layers": {}, "project": None}
    for name in names:
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        info = describe(layer)  # the style the layer opened with (QGIS applies the default style)
        message, ok = layer.loadDefaultStyle()
        info["default_style_loaded"] = bool(ok)
        info["default_style_message"] = message
        result["layers"][name] = info
    project = QgsProject.instance()
    if project.read(f"geopackage:{path}?projectName=plan"):
        root = project.layerTreeRoot()
        groups = [[g.name(), [[lyr.name(), lyr.layer().source().split("layername=")[-1] if lyr.layer() else None,
                               lyr.isVisible()] for lyr in g.findLayers()]] for g in root.children()]
        result["project"] = {
            "crs": project.crs().authid(),
            "groups": groups,
            "has_custom_order": root.hasCustomLayerOrder(),
            "order": [lyr.source().split("layername=")[-1] for lyr in root.layerOrder()],
            "layers": {lyr.source().split("layername=")[-1]: describe(lyr) for lyr in project.mapLayers().values()},
        }
    print(json.dumps(result, ensure_ascii=False, sort_keys=True), flush=True)
    os._exit(0)  # PyQGIS 3.22 may crash while tearing down at exit; the findings are out


if __name__ == "__main__":
    main(sys.argv[1])
