"""``landuse map`` and ``landuse static-map``: maps of a plan's layers.

``--plan`` is a GeoPackage (its layers are the map layers) or a folder of GeoPackages
such as the pipeline's output folder (a single-layer file gives a layer named after
the file, a multi-layer file one layer per layer name). A ``dem.tif`` in the folder
is used as the hillshade background unless ``--dem`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from landuse.cli._common import overwrite_option

#: Drawing order of the usual planning layers (first at the bottom); others follow, sorted.
#: Irrigation areas (catchments, command areas) lie under the parcels: a click there means
#: the parcel (lines and points are drawn on top anyway).
LAYER_ORDER = ("villages", "zones", "catchments", "commands", "schemes", "fallow", "parcels", "allocation",
               "allocations", "unallocated", "canals", "intakes", "streams", "conflicts")


def _list_layers(path: Path) -> list[str]:
    import pyogrio

    from landuse.errors import DataReadError

    try:
        # spatial layers only: a plan GeoPackage also holds tables such as layer_styles
        return [str(name) for name, geom_type in pyogrio.list_layers(path) if geom_type]
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types for bad files
        raise DataReadError("cannot list the layers of the file", source=str(path),
                            hint="check that it is a GeoPackage") from exc


def read_plan_layers(plan: str | Path, names: list[str] | None = None) -> dict[str, Any]:
    """Read the layers of a plan GeoPackage or folder, in drawing order."""
    from landuse.errors import DataReadError
    from landuse.io import read_vector

    plan = Path(plan)
    sources: dict[str, tuple[Path, str | None]] = {}
    if plan.is_dir():
        for gpkg in sorted(plan.glob("*.gpkg")):
            layer_names = _list_layers(gpkg)
            if len(layer_names) == 1:
                sources.setdefault(gpkg.stem, (gpkg, layer_names[0]))
            else:
                for name in layer_names:
                    sources.setdefault(name, (gpkg, name))
    elif plan.is_file():
        for name in _list_layers(plan):
            sources[name] = (plan, name)
    else:
        raise DataReadError("plan not found", source=str(plan),
                            hint="give a GeoPackage or a folder of GeoPackages")
    if not sources:
        raise DataReadError("no map layers found", source=str(plan),
                            hint="the plan folder should hold GeoPackages (.gpkg)")
    if names:
        unknown = [n for n in names if n not in sources]
        if unknown:
            raise click.BadParameter(
                f"no layer {', '.join(map(repr, unknown))} in {plan}; available: "
                f"{', '.join(sorted(sources))}", param_hint="--layers")
        chosen = names
    else:
        chosen = [n for n in LAYER_ORDER if n in sources] + sorted(
            n for n in sources if n not in LAYER_ORDER)
    out = {name: read_vector(sources[name][0], layer=sources[name][1], what=name) for name in chosen}
    for name, gdf in out.items():
        _require_on_earth(gdf, f"{sources[name][0].name}:{sources[name][1]}")
    if not names and "schemes" not in out and any(n in out for n in SCHEME_PARTS):
        out = _join_schemes(out)
    return out


#: A plan GeoPackage keeps each irrigation scheme's features in one layer per geometry
#: type (QGIS opens a layer as one type); the map shows them as one layer by ``feature``.
SCHEME_PARTS = {"scheme_intakes": "intake", "scheme_canals": "canal", "scheme_command_areas": "command_area",
                "scheme_catchments": "catchment"}


def _join_schemes(layers: dict[str, Any]) -> dict[str, Any]:
    """The ``scheme_*`` layers as one ``schemes`` layer with a ``feature`` column, in drawing order."""
    import geopandas as gpd
    import pandas as pd

    parts = [layers[n].assign(feature=kind) for n, kind in SCHEME_PARTS.items() if n in layers]
    schemes = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry=parts[0].geometry.name,
                               crs=parts[0].crs)
    rest = {n: g for n, g in layers.items() if n not in SCHEME_PARTS}
    order = [n for n in LAYER_ORDER if n in rest or n == "schemes"] + [n for n in rest if n not in LAYER_ORDER]
    return {n: schemes if n == "schemes" else rest[n] for n in order}


def _require_on_earth(gdf: Any, source: str) -> None:
    """Raise ``GeometryError`` for features whose coordinates fall outside the Earth in
    their CRS (a web map draws in longitude and latitude): swapped axes, a wrong CRS or
    typing errors such as 1e9 m. The message names the first such feature."""
    import numpy as np
    import shapely
    from pyproj import CRS, Transformer

    from landuse.errors import GeometryError

    if gdf.crs is None or not len(gdf):
        return
    b = shapely.bounds(np.asarray(gdf.geometry.array, dtype=object))
    present = ~np.isnan(b).all(axis=1)
    if not present.any():
        return
    crs = CRS.from_user_input(gdf.crs)
    if crs.is_geographic:
        lon, lat = np.concatenate([b[:, 0], b[:, 2]]), np.concatenate([b[:, 1], b[:, 3]])
    else:
        to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = to_ll.transform(np.concatenate([b[:, 0], b[:, 2]]),
                                       np.concatenate([b[:, 1], b[:, 3]]), errcheck=False)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    n = len(b)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    bad = (bad[:n] | bad[n:] | ~np.isfinite(b).all(axis=1)) & present
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        id_cols = [c for c in gdf.columns if str(c).endswith("_id")]
        fid = str(gdf[id_cols[0]].iloc[pos]) if id_cols else f"row {pos + 1}"
        raise GeometryError(
            f"{int(bad.sum())} feature(s) cannot be placed on a map: their coordinates (x "
            f"{b[pos, 0]:.6g}..{b[pos, 2]:.6g}, y {b[pos, 1]:.6g}..{b[pos, 3]:.6g}) lie outside "
            f"the Earth in {crs.name}",
            source=source, feature_id=fid,
            hint="check the layer's CRS and coordinates (landuse check reports them as "
            "COORD_RANGE); reproject or correct them")


def _default_dem(plan: Path, dem: str | None) -> str | None:
    if dem:
        return dem
    cand = plan / "dem.tif" if plan.is_dir() else None
    return str(cand) if cand is not None and cand.exists() else None


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@click.command("map")
@click.option("--plan", "plan", required=True, type=click.Path(exists=True),
              help="Plan GeoPackage or folder of GeoPackages.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Output HTML file.")
@click.option("--layers", "layers", default=None,
              help="Comma-separated layer names (default: all, in planning order).")
@click.option("--show", "show", default=None,
              help="Comma-separated layers shown at opening (default: all; others can be ticked on).")
@click.option("--dem", "dem", default=None, type=click.Path(exists=True, dir_okay=False),
              help="DEM for the offline hillshade background.")
@click.option("--title", "title", default=None, help="Map title.")
@click.option("--color-by", "color_by", multiple=True, metavar="LAYER=COLUMN",
              help="Colour a layer by a column, e.g. allocations=household_id (repeatable).")
@click.option("--online", is_flag=True, help="Also offer online tile layers (blank offline).")
@click.option("--cdn", is_flag=True, help="Load Leaflet from a CDN instead of embedding it.")
@overwrite_option
def map_command(plan: str, out: str, layers: str | None, show: str | None, dem: str | None,
                title: str | None,
                color_by: tuple[str, ...], online: bool, cdn: bool, overwrite: bool) -> None:
    """Write an interactive map of a plan as one HTML file that works offline."""
    import landuse.maps as maps

    colours = {}
    for item in color_by:
        layer, sep, col = item.partition("=")
        if not sep or not layer.strip() or not col.strip():
            raise click.BadParameter(f"{item!r} is not LAYER=COLUMN", param_hint="--color-by")
        colours[layer.strip()] = col.strip()
    gdfs = read_plan_layers(plan, _split(layers))
    m = maps.interactive_map(gdfs, dem=_default_dem(Path(plan), dem), title=title, online=online,
                             color_by=colours, show=_split(show))
    path = maps.save_html(m, out, offline=not cdn, overwrite=overwrite)
    size_kb = path.stat().st_size / 1024
    click.echo(f"map: {', '.join(gdfs)} -> {path} ({size_kb:,.0f} KiB)")


@click.command("static-map")
@click.option("--plan", "plan", required=True, type=click.Path(exists=True),
              help="Plan GeoPackage or folder of GeoPackages (needs a 'villages' layer).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Output .pdf, .png or .svg.")
@click.option("--dem", "dem", default=None, type=click.Path(exists=True, dir_okay=False),
              help="DEM for a faint hillshade.")
@click.option("--title", "title", default=None, help="Map title.")
@click.option("--sketch", "sketch", default=None, metavar="PARCEL_ID",
              help="Draw the sketch of this parcel (with its neighbours) instead of the plan map.")
@overwrite_option
def static_map_command(plan: str, out: str, dem: str | None, title: str | None,
                       sketch: str | None, overwrite: bool) -> None:
    """Write a print map of a plan (or a parcel sketch) as PDF, PNG or SVG."""
    import landuse.maps as maps

    available = read_plan_layers(plan)
    if sketch is not None:
        if "parcels" not in available:
            raise click.BadParameter(f"{plan} has no 'parcels' layer", param_hint="--plan")
        fig = maps.parcel_sketch(sketch, available["parcels"],
                                 others={k: v for k, v in available.items() if k in ("streams",)})
    else:
        if "villages" not in available:
            raise click.BadParameter(f"{plan} has no 'villages' layer", param_hint="--plan")
        fig = maps.plan_map(available["villages"], zones=available.get("zones"),
                            parcels=available.get("parcels"), streams=available.get("streams"),
                            title=title, dem=_default_dem(Path(plan), dem))
    path = maps.save_figure(fig, out, overwrite=overwrite)
    click.echo(f"static map -> {path}")


commands = [map_command, static_map_command]
