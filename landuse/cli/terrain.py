"""``landuse slope``, ``landuse parcel-stats`` and ``landuse streams``: terrain from the shell.

A thin layer over :mod:`landuse.terrain`, :mod:`landuse.parcels` and
:mod:`landuse.terrain.hydrology`: parse, call the library, write with :mod:`landuse.io`.
"""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import out_option, overwrite_option


def _thresholds(_ctx, _param, value: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of numbers") from exc


@click.command("slope")
@click.argument("dem", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--units", type=click.Choice(["degrees", "percent"]), default="degrees",
              show_default=True,
              help="Slope in degrees or percent (rise/run x 100).")
@click.option("--compute-edges", is_flag=True,
              help="Also compute edge cells and cells next to nodata (gdaldem -compute_edges).")
@overwrite_option
def slope(dem: str, out: str, units: str, compute_edges: bool, overwrite: bool) -> None:
    """Slope of DEM (Horn, as gdaldem) written to OUT as a float32 GeoTIFF (nodata NaN).

    The DEM is processed in windows, so rasters larger than memory are fine.
    """
    from landuse import terrain

    path = terrain.slope_file(dem, out, units=units, compute_edges=compute_edges,
                              overwrite=overwrite)
    click.echo(f"slope ({units}) -> {path}")


@click.command("parcel-stats")
@click.option("--parcels", "parcels_path", required=True, type=click.Path(dir_okay=False),
              help="Parcels layer (GeoPackage, Shapefile, GeoJSON...).")
@click.option("--dem", "dem_path", required=True, type=click.Path(dir_okay=False),
              help="DEM GeoTIFF in the parcels' CRS.")
@out_option
@click.option("--thresholds", default="8,30,60", show_default=True, callback=_thresholds,
              help="Slope thresholds in percent, comma-separated.")
@click.option("--streams", "streams_path", type=click.Path(dir_okay=False), default=None,
              help="Stream lines, adds distance_to_stream_m.")
@click.option("--villages", "villages_path", type=click.Path(dir_okay=False), default=None,
              help="Village boundaries, adds distance_to_village_centre_m.")
@overwrite_option
def parcel_stats(parcels_path: str, dem_path: str, out: str, thresholds: tuple[float, ...],
                 streams_path: str | None, villages_path: str | None, overwrite: bool) -> None:
    """Area, compactness, exact slope/elevation statistics and distances of each parcel.

    OUT ending in .csv or .xlsx gets a table (no geometry); any other suffix
    (.gpkg, .geojson, .fgb, .shp) gets the parcels with their metrics.
    """
    from landuse import io
    from landuse.parcels import parcel_metrics

    parcels = io.read_parcels(parcels_path)
    streams_gdf = io.read_vector(streams_path, what="streams") if streams_path else None
    villages = io.read_villages(villages_path) if villages_path else None
    metrics = parcel_metrics(parcels, dem_path, slope_thresholds_pct=thresholds,
                             streams=streams_gdf,
                             villages=villages)
    if Path(out).suffix.lower() in (".csv", ".xlsx"):
        io.write_table(metrics.drop(columns=metrics.geometry.name), out, overwrite=overwrite,
                       sheet_name="parcel_metrics")
    else:
        io.write_vector(metrics, out, layer="parcel_metrics", overwrite=overwrite)
    click.echo(f"{len(metrics)} parcels -> {out}")


@click.command("streams")
@click.option("--dem", "dem_path", required=True, type=click.Path(dir_okay=False),
              help="DEM GeoTIFF in a projected CRS.")
@out_option
@click.option("--min-area-km2", type=float, default=0.5, show_default=True,
              help="Upstream area at which a stream starts [km2].")
@overwrite_option
def streams(dem_path: str, out: str, min_area_km2: float, overwrite: bool) -> None:
    """Stream lines (D8 after filling depressions) with Strahler order and upstream area."""
    from landuse import io

    from landuse.terrain import hydrology
    lines = hydrology.streams(dem_path, min_area_km2=min_area_km2)
    io.write_vector(lines, out, layer="streams", overwrite=overwrite)
    click.echo(f"{len(lines)} stream segments (>= {min_area_km2:g} km2) -> {out}")


commands = [slope, parcel_stats, streams]
