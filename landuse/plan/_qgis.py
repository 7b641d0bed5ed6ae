"""QGIS styles and a QGIS project stored inside the plan's GeoPackage (private).

QGIS applies the default style of a GeoPackage layer from its ``layer_styles`` table
(matched on table name *and* geometry column) when the layer is opened, and opens
projects kept in the GeoPackage's ``qgis_projects`` table (*Project > Open From >
GeoPackage*). This module writes both from the GeoPackage's own metadata, without QGIS:

- one default style per layer (QML): categorised by zone, land type, fallow class,
  conflict severity, with the colours and Lao/English labels of
  ``landuse/maps/data/colours.toml`` (shared with the maps); village names (Lao above
  English) and parcel ids (at 1:5,000 and closer) as labels; Lao/English field aliases
  and value maps (a land-type code shows as "ນາ / Paddy");
- the project ``plan``: the same styles, layers in groups (Plan, Allocation, Fallow,
  Irrigation, Terrain), drawn points and lines first, allocations above zones, in the
  plan's UTM CRS, zoomed to the villages.

The project is a zipped ``.qgs`` document stored hex-encoded in ``qgis_projects.content``
with a JSON ``metadata`` text, the layout QGIS 3 itself writes (checked with PyQGIS
3.22). Every id, date and zip entry is fixed, so the same layers give the same bytes.
Layer sources are relative (``./plan.gpkg|layername=...``): keep the file's name.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from landuse.errors import IrrigationError
from landuse.maps import STYLES

FIXED_TIME = "2000-01-01T00:00:00.000Z"
QGIS_VERSION = "3.22.0-Białowieża"
PROJECT_NAME = "plan"
#: Parcel ids are labelled from this scale [1:n] inwards (closer).
PARCEL_LABEL_MAX_SCALE = 5000


@dataclass(frozen=True)
class LayerStyle:
    """How one GeoPackage layer is drawn and where it sits in the project."""

    lo: str
    en: str
    group: str
    column: str | None = None  # categorised by this column ...
    vocabulary: str | None = None  # ... with this palette of colours.toml
    colour: str = "#807dba"
    fill_alpha: int = 255
    dashed: bool = False
    width_mm: float = 0.3
    width_expression: str | None = None  # lines: width [mm] computed per feature
    label: str | None = None  # a QGIS expression
    label_max_scale: float = 0.0  # 0: at every scale
    visible: bool = True


#: Groups of the project, top to bottom of the layer panel: (Lao, English).
GROUPS = {"Plan": "ແຜນ", "Allocation": "ການຈັດສັນ", "Fallow": "ການພັກດິນ", "Irrigation": "ຊົນລະປະທານ",
          "Terrain": "ພູມສັນຖານ"}

_PARCEL_LABEL = '"parcel_id"'
#: The last category of every categorised style: values the palette does not know (drawn, never hidden).
OTHER_VALUES = {"colour": "#ffffff", "en": "Other values", "lo": "ຄ່າອື່ນໆ"}
#: Every layer of ``plan.gpkg``, in layer-panel order within its group.
LAYERS: dict[str, LayerStyle] = {
    "villages": LayerStyle("ບ້ານ", "Villages", "Plan", colour="#000000", fill_alpha=0, width_mm=0.8,
                           label="\"name_lo\" || '\\n' || \"name_en\""),
    "zones": LayerStyle("ເຂດ", "Zones", "Plan", "zone", "zone", fill_alpha=170),
    "parcels": LayerStyle("ຕອນດິນ", "Parcels", "Plan", "land_type", "land_type", label=_PARCEL_LABEL,
                          label_max_scale=PARCEL_LABEL_MAX_SCALE, visible=False),
    "conflicts": LayerStyle("ຂໍ້ຂັດແຍ່ງ", "Conflicts", "Plan", "severity", "severity", fill_alpha=200,
                            visible=False),
    "allocations": LayerStyle("ດິນທີ່ຈັດສັນ", "Allocations", "Allocation", "land_type", "land_type",
                              label=_PARCEL_LABEL, label_max_scale=PARCEL_LABEL_MAX_SCALE),
    "unallocated": LayerStyle("ດິນທີ່ຍັງບໍ່ຈັດສັນ", "Unallocated", "Allocation", "land_type", "land_type",
                              fill_alpha=110, dashed=True, visible=False),
    "fallow": LayerStyle("ການພັກດິນ", "Fallow", "Fallow", "status_class", "status_class", visible=False),
    "scheme_intakes": LayerStyle("ຫົວງານ", "Scheme intakes", "Irrigation", colour="#f16913",
                                 label="\"name_lo\" || '\\n' || \"name_en\""),
    "scheme_canals": LayerStyle("ຄອງເໝືອງ", "Scheme canals", "Irrigation", colour="#08519c", width_mm=0.8),
    "scheme_command_areas": LayerStyle("ເຂດຮັບນ້ຳ", "Command areas", "Irrigation", colour="#6baed6",
                                       fill_alpha=90, width_mm=0.5),
    "scheme_catchments": LayerStyle("ອ່າງຮັບນ້ຳ", "Catchments", "Irrigation", colour="#4393c3", fill_alpha=0,
                                    dashed=True, width_mm=0.5),
    "streams": LayerStyle("ຫ້ວຍ", "Streams", "Terrain", colour="#2171b5", width_mm=0.4,
                          width_expression='0.15 + 0.15 * coalesce("order", 1)'),  # wider downstream
}

#: Drawing order, top first: points and lines above polygons, allocations above zones.
RENDER_ORDER = ("scheme_intakes", "scheme_canals", "streams", "villages", "conflicts", "allocations",
                "unallocated", "fallow", "parcels", "scheme_command_areas", "scheme_catchments", "zones")

#: The ``feature`` values of an irrigation scheme's map layer → their GeoPackage layer.
SCHEME_LAYERS = {"intake": "scheme_intakes", "canal": "scheme_canals", "command_area": "scheme_command_areas",
                 "catchment": "scheme_catchments"}
#: Scheme figures copied onto every scheme feature (from the scheme's summary).
SCHEME_FIELDS = ("village_id", "name_lo", "name_en", "families", "design_flow_l_s", "dependable_flow_l_s",
                 "source_sufficient")
#: Value maps for columns whose codes have a palette (column → vocabulary of colours.toml).
VALUE_MAPS = {"land_type": "land_type", "zone": "zone", "status_class": "status_class", "severity": "severity"}
_EXTRA_ALIASES = {"families": ("Families", "ຈຳນວນຄອບຄົວ"), "design_flow_l_s": ("Design flow [l/s]",
                                                                             "ອັດຕາໄຫຼອອກແບບ [ລິດ/ວິນາທີ]"),
                  "dependable_flow_l_s": ("Dependable flow [l/s]", "ອັດຕາໄຫຼທີ່ເຊື່ອຖືໄດ້ [ລິດ/ວິນາທີ]"),
                  "source_sufficient": ("Source sufficient", "ແຫຼ່ງນ້ຳພຽງພໍ")}


def split_schemes(layer: Any, summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The schemes' mixed map layer as one layer per geometry kind.

    Each feature (``feature`` = intake, canal, command_area, catchment) goes to its own
    layer (:data:`SCHEME_LAYERS`) with the scheme's name and figures (:data:`SCHEME_FIELDS`)
    from *summaries* (``scheme_id`` → summary); intakes drop ``area_ha`` and ``length_m``,
    canals ``area_ha``, areas ``length_m``. A feature of another kind is an error, never
    dropped.
    """
    unknown = sorted(set(layer["feature"].astype(str)) - set(SCHEME_LAYERS))
    if unknown:
        first = layer[layer["feature"].astype(str) == unknown[0]].iloc[0]
        raise IrrigationError(f"feature {unknown[0]!r} has no GeoPackage layer", source="irrigation scheme layer",
                              feature_id=first.get("scheme_id"), column="feature",
                              hint=f"use one of {', '.join(sorted(SCHEME_LAYERS))}")
    drop = {"intake": ["area_ha", "length_m"], "canal": ["area_ha"], "command_area": ["length_m"],
            "catchment": ["length_m"]}
    out: dict[str, Any] = {}
    for feature, name in SCHEME_LAYERS.items():
        part = layer[layer["feature"] == feature]
        if not len(part):
            continue
        part = part.drop(columns=["feature", *[c for c in drop[feature] if c in part.columns]])
        at = list(part.columns).index(part.geometry.name)
        for i, col in enumerate(c for c in SCHEME_FIELDS if c not in part.columns):
            part.insert(at + i, col, [summaries.get(str(s), {}).get(col) for s in part["scheme_id"]])
        out[name] = part.sort_values("scheme_id", kind="mergesort").reset_index(drop=True)
    return out


# -- styles ------------------------------------------------------------------------------
def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(opts: Mapping[str, str]) -> str:
    inner = "".join(f'<Option name="{escape(k)}" value="{escape(v)}" type="QString"/>' for k, v in opts.items())
    return f'<Option type="Map">{inner}</Option>'


def _symbol(kind: str, name: str, colour: str, style: LayerStyle) -> str:
    dash = "dash" if style.dashed else "solid"
    if kind == "line":
        opts = {"line_color": _rgba(colour), "line_width": f"{style.width_mm:g}", "line_width_unit": "MM",
                "line_style": dash, "capstyle": "round", "joinstyle": "round"}
        cls = "SimpleLine"
    elif kind == "marker":
        opts = {"color": _rgba(colour), "outline_color": "35,35,35,255", "outline_width": "0.3",
                "size": "4", "size_unit": "MM", "name": "triangle"}
        cls = "SimpleMarker"
    else:
        outline = colour if style.column is None else "#3c3c3c"  # categories: a dark grey edge
        opts = {"color": _rgba(colour, style.fill_alpha), "outline_color": _rgba(outline),
                "outline_width": f"{style.width_mm:g}",
                "outline_width_unit": "MM", "outline_style": dash,
                "style": "solid" if style.fill_alpha else "no"}
        cls = "SimpleFill"
    defined = ""
    if kind == "line" and style.width_expression:
        defined = ('<data_defined_properties><Option type="Map"><Option name="name" value="" type="QString"/>'
                   '<Option name="properties" type="Map"><Option name="outlineWidth" type="Map">'
                   '<Option name="active" value="true" type="bool"/>'
                   f'<Option name="expression" value="{escape(style.width_expression)}" type="QString"/>'
                   '<Option name="type" value="3" type="int"/></Option></Option>'
                   '<Option name="type" value="collection" type="QString"/></Option></data_defined_properties>')
    return (f'<symbol type="{kind}" name="{escape(name)}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{cls}" enabled="1" locked="0" pass="0">{_options(opts)}{defined}</layer></symbol>')


def _bilingual(spec: Mapping[str, str]) -> str:
    """Lao first, English beside it."""
    return f"{spec['lo']} / {spec['en']}"


def _renderer(kind: str, style: LayerStyle, columns: list[str]) -> str:
    if style.column and style.vocabulary and style.column in columns:
        cats, syms = [], []
        entries = [*STYLES[style.vocabulary].items(), ("", OTHER_VALUES)]  # "": QGIS' "all other values"
        for i, (value, spec) in enumerate(entries):
            cats.append(f'<category value="{escape(value)}" symbol="{i}" label="{escape(_bilingual(spec))}" '
                        'render="true"/>')
            syms.append(_symbol(kind, str(i), spec["colour"], style))
        return (f'<renderer-v2 type="categorizedSymbol" attr="{escape(style.column)}" forceraster="0" '
                f'symbollevels="0" enableorderby="0"><categories>{"".join(cats)}</categories>'
                f'<symbols>{"".join(syms)}</symbols></renderer-v2>')
    return (f'<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0">'
            f'<symbols>{_symbol(kind, "0", style.colour, style)}</symbols></renderer-v2>')


def _labeling(kind: str, style: LayerStyle) -> str:
    if not style.label:
        return ""
    # placement: 1 = over the centroid (polygons), 0 = around the point; 2 = along lines
    placement = {"fill": 1, "marker": 0, "line": 2}[kind]
    scale = (f'scaleVisibility="1" scaleMin="1" scaleMax="{style.label_max_scale:g}"' if style.label_max_scale
             else 'scaleVisibility="0"')
    size = "8" if style.label_max_scale else "10"
    return ('<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName="{escape(style.label)}" isExpression="1" fontFamily="Noto Sans Lao" '
            f'fontSize="{size}" fontSizeUnit="Point" textColor="0,0,0,255" fontWeight="50" multilineHeight="1.1">'
            '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>'
            '</text-style><text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>'
            f'<placement placement="{placement}" dist="0" priority="5"/>'
            f'<rendering {scale} obstacle="1" displayAll="0" upsidedownLabels="0"/>'
            '</settings></labeling>')


def _alias(column: str) -> str | None:
    names = STYLES["columns"].get(column)
    if names is not None:
        en, lo = names
    elif column in _EXTRA_ALIASES:
        en, lo = _EXTRA_ALIASES[column]
    else:
        return None
    return f"{lo} / {en}"


def _fields(columns: list[str]) -> str:
    """Value maps and Lao/English aliases; *columns* are the attribute fields in order (``fid`` first)."""
    widgets, aliases = [], []
    for index, col in enumerate(columns):
        vocab = VALUE_MAPS.get(col)
        if vocab is not None:
            entries = "".join(f'<Option type="Map"><Option name="{escape(_bilingual(spec))}" '
                              f'value="{escape(value)}" type="QString"/></Option>'
                              for value, spec in STYLES[vocab].items())
            widgets.append(f'<field name="{escape(col)}" configurationFlags="None"><editWidget type="ValueMap">'
                           f'<config><Option type="Map"><Option name="map" type="List">{entries}</Option>'
                           '</Option></config></editWidget></field>')
        alias = _alias(col)
        if alias is not None:
            aliases.append(f'<alias field="{escape(col)}" index="{index}" name="{escape(alias)}"/>')
    return (f'<fieldConfiguration>{"".join(widgets)}</fieldConfiguration>'
            f'<aliases>{"".join(aliases)}</aliases>')


def _kind(geometry_type: str) -> str:
    g = geometry_type.upper()
    return "marker" if "POINT" in g else "line" if "LINE" in g else "fill"


def style_body(layer: str, geometry_type: str, columns: list[str]) -> tuple[str, bool]:
    """The renderer, labels, field widgets and aliases of *layer*; and whether it has labels."""
    style = LAYERS.get(layer, LayerStyle(layer, layer, "Plan"))
    kind = _kind(geometry_type)
    labels = _labeling(kind, style)
    return _renderer(kind, style, columns) + labels + _fields(columns), bool(labels)


def qml(layer: str, geometry_type: str, columns: list[str]) -> str:
    """The QML document of *layer*'s default style."""
    body, labels = style_body(layer, geometry_type, columns)
    return (f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'><qgis version=\"{QGIS_VERSION}\" "
            f'styleCategories="AllStyleCategories" labelsEnabled="{int(labels)}">{body}</qgis>')


# -- the GeoPackage ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Table:
    name: str
    geometry_column: str
    geometry_type: str
    columns: list[str]  # attribute fields as QGIS numbers them: fid first, no geometry
    srs: tuple[str, int, str]  # organisation, code, WKT
    extent: tuple[float, float, float, float] | None


def _tables(con: sqlite3.Connection) -> list[_Table]:
    rows = con.execute(
        "SELECT g.table_name, g.column_name, g.geometry_type_name, s.organization, s.organization_coordsys_id, "
        "s.definition, "
        "c.min_x, c.min_y, c.max_x, c.max_y FROM gpkg_geometry_columns g "
        "JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id JOIN gpkg_contents c ON c.table_name = g.table_name "
        "ORDER BY g.table_name").fetchall()
    out = []
    for name, geom, gtype, org, code, wkt, *box in rows:
        info = con.execute(f'PRAGMA table_info("{name.replace(chr(34), chr(34) * 2)}")').fetchall()
        cols = [r[1] for r in info if r[1] != geom]
        extent = tuple(float(v) for v in box) if None not in box else None
        out.append(_Table(name, geom, gtype, cols, (str(org).upper(), int(code), str(wkt)), extent))  # type: ignore[arg-type]
    return out


def write_qgis(gpkg: Path, *, file_name: str | None = None) -> None:
    """Store the default style of every layer and the project ``plan`` in *gpkg*.

    *file_name* is the name the GeoPackage will have (it may be written under a
    temporary name); the project's layer sources are relative to it.
    """
    con = sqlite3.connect(gpkg)
    try:
        tables = _tables(con)
        _write_styles(con, tables)
        _write_project(con, tables, file_name or gpkg.name)
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


def _write_styles(con: sqlite3.Connection, tables: list[_Table]) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
        "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
        "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)"
    )
    con.execute("DELETE FROM layer_styles")
    for t in tables:
        con.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
            "VALUES ('', '', ?, ?, ?, ?, '', 1, 'landuse default style', 'landuse', '', ?)",
            (t.name, t.geometry_column, t.name, qml(t.name, t.geometry_type, t.columns), FIXED_TIME),
        )
    con.execute(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)", (FIXED_TIME,))


# -- the project ---------------------------------------------------------------------------
def _srs(srs: tuple[str, int, str]) -> str:
    org, code, wkt = srs
    return f"<spatialrefsys><wkt>{escape(wkt)}</wkt><authid>{escape(org)}:{code}</authid></spatialrefsys>"


def _layer_id(name: str) -> str:
    return f"{name}_landuse"


def _title(name: str) -> str:
    style = LAYERS.get(name)
    return f"{style.lo} / {style.en}" if style else name


def _ordered(tables: list[_Table]) -> list[_Table]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    return sorted(tables, key=lambda t: (rank.get(t.name, len(rank)), t.name))


def _tree(tables: list[_Table], file_name: str) -> str:
    groups: dict[str, list[str]] = {}
    for t in _ordered(tables):
        style = LAYERS.get(t.name)
        visible = style.visible if style else True
        groups.setdefault(style.group if style else "Plan", []).append(
            f'<layer-tree-layer name="{escape(_title(t.name))}" id="{escape(_layer_id(t.name))}" '
            f'source="{escape(_source(t.name, file_name))}" providerKey="ogr" '
            f'checked="Qt::{"Checked" if visible else "Unchecked"}" expanded="0"><customproperties/>'
            "</layer-tree-layer>")
    body = "".join(f'<layer-tree-group name="{escape(lo)} / {escape(en)}" checked="Qt::Checked" expanded="1">'
                   f'<customproperties/>{"".join(groups[en])}</layer-tree-group>'
                   for en, lo in GROUPS.items() if en in groups)
    rank = {name: i for i, name in enumerate(RENDER_ORDER)}
    order = sorted((t.name for t in tables), key=lambda n: (rank.get(n, -1), n))
    items = "".join(f"<item>{escape(_layer_id(n))}</item>" for n in order)
    return f'<layer-tree-group><customproperties/>{body}<custom-order enabled="1">{items}</custom-order>' \
           "</layer-tree-group>"


def _source(name: str, file_name: str) -> str:
    return f"./{file_name}|layername={name}"


def _maplayer(t: _Table, file_name: str) -> str:
    body, labels = style_body(t.name, t.geometry_type, t.columns)
    kind = {"marker": "Point", "line": "Line", "fill": "Polygon"}[_kind(t.geometry_type)]
    return (f'<maplayer type="vector" geometry="{kind}" labelsEnabled="{int(labels)}" '
            'styleCategories="AllStyleCategories" readOnly="0" hasScaleBasedVisibilityFlag="0">'
            f"<id>{escape(_layer_id(t.name))}</id><datasource>{escape(_source(t.name, file_name))}</datasource>"
            f"<layername>{escape(_title(t.name))}</layername><srs>{_srs(t.srs)}</srs>"
            f'<provider encoding="UTF-8">ogr</provider>{body}</maplayer>')


def project_qgs(tables: list[_Table], file_name: str) -> str:
    """The ``.qgs`` document of the project (layers, groups, order, styles, CRS, extent)."""
    villages = next((t for t in tables if t.name == "villages"), None)
    crs = (villages or tables[0]).srs
    extents = [t.extent for t in ([villages] if villages and villages.extent else tables) if t and t.extent]
    canvas = ""
    if extents:
        x0, y0 = min(e[0] for e in extents), min(e[1] for e in extents)
        x1, y1 = max(e[2] for e in extents), max(e[3] for e in extents)
        canvas = (f'<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units><extent>'
                  f"<xmin>{x0!r}</xmin><ymin>{y0!r}</ymin><xmax>{x1!r}</xmax><ymax>{y1!r}</ymax></extent>"
                  f"<rotation>0</rotation><destinationsrs>{_srs(crs)}</destinationsrs></mapcanvas>")
    layers = "".join(_maplayer(t, file_name) for t in _ordered(tables))
    return (f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis projectname="landuse plan" version="{QGIS_VERSION}">'
            f'<homePath path=""/><title>landuse plan</title><projectCrs>{_srs(crs)}</projectCrs>'
            f"{_tree(tables, file_name)}{canvas}<projectlayers>{layers}</projectlayers>"
            '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
            '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys></properties>'
            "</qgis>\n")


def _zipped(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        zf.writestr(info, text.encode("utf-8"), compresslevel=6)
    return buf.getvalue()


def _write_project(con: sqlite3.Connection, tables: list[_Table], file_name: str) -> None:
    if not tables:
        return
    content = _zipped(f"{PROJECT_NAME}.qgs", project_qgs(tables, file_name)).hex()
    metadata = json.dumps({"last_modified_time": FIXED_TIME[:19], "last_modified_user": "landuse"})
    con.execute("CREATE TABLE IF NOT EXISTS qgis_projects (name TEXT PRIMARY KEY, metadata BLOB, content BLOB)")
    con.execute("INSERT OR REPLACE INTO qgis_projects (name, metadata, content) VALUES (?, ?, ?)",
                (PROJECT_NAME, metadata, content))
