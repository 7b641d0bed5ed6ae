"""QGIS layer styles stored inside a GeoPackage (private).

QGIS reads the ``layer_styles`` table of a GeoPackage and applies the default style of
each layer when it is opened, so the plan's GeoPackage opens coloured by land type,
zone and fallow class. Colours and bilingual labels come from
``landuse/maps/data/colours.toml``, shared with the maps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from landuse.maps import STYLES

FIXED_TIME = "2000-01-01T00:00:00.000Z"


def _palette() -> Mapping[str, Any]:
    return STYLES


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _symbol(kind: str, name: str, colour: str, *, outline: str = "#3c3c3c", fill_alpha: int = 255) -> str:
    if kind == "line":
        opts = {"line_color": _rgba(colour), "line_width": "0.6", "line_style": "solid"}
        cls = "SimpleLine"
    elif kind == "marker":
        opts = {"color": _rgba(colour), "outline_color": _rgba(outline), "size": "3", "name": "circle"}
        cls = "SimpleMarker"
    else:
        opts = {"color": _rgba(colour, fill_alpha), "outline_color": _rgba(outline), "outline_width": "0.2",
                "style": "solid" if fill_alpha else "no"}
        cls = "SimpleFill"
    options = "".join(f'<Option name="{k}" value="{escape(v)}" type="QString"/>' for k, v in opts.items())
    return (f'<symbol type="{kind}" name="{escape(name)}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{options}</Option>'
            f"</layer></symbol>")


def qml(kind: str, *, column: str | None = None, vocabulary: str | None = None,
        colour: str = "#3c3c3c", fill_alpha: int = 255) -> str:
    """A QML document: categorised by *column* with the *vocabulary* palette, or one symbol."""
    head = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'><qgis version=\"3.28\" styleCategories=\"Symbology\">"
    if column and vocabulary:
        entries = _palette()[vocabulary]
        cats, syms = [], []
        for i, (value, spec) in enumerate(entries.items()):
            label = f"{spec['en']} / {spec['lo']}"
            cats.append(f'<category value="{escape(value)}" symbol="{i}" label="{escape(label)}" render="true"/>')
            syms.append(_symbol(kind, str(i), spec["colour"], fill_alpha=fill_alpha))
        body = (f'<renderer-v2 type="categorizedSymbol" attr="{escape(column)}" forceraster="0" '
                f'symbollevels="0" enableorderby="0"><categories>{"".join(cats)}</categories>'
                f'<symbols>{"".join(syms)}</symbols></renderer-v2>')
    else:
        body = (f'<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">'
                f'<symbols>{_symbol(kind, "0", colour, fill_alpha=fill_alpha)}</symbols></renderer-v2>')
    return head + body + "</qgis>"


def write_styles(gpkg: Path, styles: dict[str, tuple[str, str]]) -> None:
    """Store one default style per layer: ``{layer: (geometry_column, qml)}``."""
    con = sqlite3.connect(gpkg)
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)"
        )
        con.execute("DELETE FROM layer_styles")
        for layer in sorted(styles):
            geom_col, doc = styles[layer]
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, 'landuse default style', 'landuse', '', ?)",
                (layer, geom_col, f"{layer} (landuse)", doc, FIXED_TIME),
            )
        con.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)", (FIXED_TIME,))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
