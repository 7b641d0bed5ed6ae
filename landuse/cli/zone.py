"""``landuse zone``: draft a village land-use zoning plan from terrain, streams and forest."""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import echo_table, overwrite_option

_RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img"}


@click.command("zone")
@click.option("--villages", "villages_path", required=True, type=click.Path(),
              help="Village boundaries (village_id, name_en, name_lo; projected CRS).")
@click.option("--dem", "dem_path", required=True, type=click.Path(),
              help="DEM GeoTIFF in the villages' projected CRS [m].")
@click.option("--rules", "rules_path", type=click.Path(),
              help="Zoning rule file (TOML). Default: the Lao PLUP rules shipped with landuse.")
@click.option("--streams", "streams_path", type=click.Path(),
              help="Stream lines. Default: derived from the DEM.")
@click.option("--forest", "forest_path", type=click.Path(),
              help="Forest polygons, or a canopy cover raster [%] / 0-1 forest mask.")
@click.option("--landuse", "landuse_path", type=click.Path(),
              help="Existing land-use polygons with a land_type column (the parcels file "
              "works: existing settlements then become RESIDENTIAL zones).")
@click.option("--designated", "designated_path", type=click.Path(),
              help="Areas designated by the village (spirit forest, conservation forest...) "
              "with a zone column.")
@click.option("--parcels", "parcels_path", type=click.Path(),
              help="Parcels to check against the zones (adds layer parcel_zones and a "
              "conflict CSV).")
@click.option("--mmu-ha", type=float, default=None,
              help="Minimum mapping unit [ha] (default: min_patch_ha of the rules, 0.5).")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Output GeoPackage (layers zones, zone_table[, parcel_zones]).")
@overwrite_option
def command(villages_path: str, dem_path: str, rules_path: str | None, streams_path: str | None,
            forest_path: str | None, landuse_path: str | None, designated_path: str | None,
            parcels_path: str | None,
            mmu_ha: float | None, out: str, overwrite: bool) -> None:
    """Zone village territories (protection forest, paddy, rotational upland...) from a DEM.

    Writes OUT (GeoPackage) with the layers `zones` (one polygon per zone piece with the
    rule that decided it), `zone_table` (zone areas per village in ha and %) and `streams`
    (the stream lines used); with --parcels also the layer `parcel_zones` and
    `<OUT>_conflicts.csv`.
    """
    from landuse import io, zoning
    from landuse.errors import OutputExistsError

    out_path = Path(out)
    if out_path.suffix.lower() != ".gpkg":
        raise click.UsageError("--out must be a GeoPackage (.gpkg)")
    conflicts_path = out_path.with_name(out_path.stem + "_conflicts.csv")
    for p in (out_path, conflicts_path if parcels_path else None):
        if p is not None and p.exists() and not overwrite:
            raise OutputExistsError("the output exists already", source=str(p),
                                    hint="choose another path or pass --overwrite")

    rules = zoning.load_rules(rules_path)
    villages = io.read_villages(villages_path)
    dem = io.read_raster(dem_path)
    streams = io.read_vector(streams_path, what="streams") if streams_path else None
    forest = None
    if forest_path:
        is_raster = Path(forest_path).suffix.lower() in _RASTER_SUFFIXES
        forest = (io.read_raster(forest_path) if is_raster
                  else io.read_vector(forest_path, what="forest"))
    landuse = None
    if landuse_path:
        landuse = io.read_vector(landuse_path, what="land use")
        if "land_type" in landuse.columns:
            landuse["land_type"] = io.normalise_land_types(landuse["land_type"])

    designated = (io.read_vector(designated_path, what="designated areas")
                  if designated_path else None)
    result = zoning.zone_villages(villages, dem, rules=rules, streams=streams, forest=forest,
                                  landuse=landuse, designated=designated,
                                  min_mapping_unit_ha=mmu_ha)
    layers = [("zones", result.zones), ("zone_table", result.table)]
    if result.streams is not None and len(result.streams):
        layers.append(("streams", result.streams))
    report = None
    if parcels_path:
        parcels = io.read_parcels(parcels_path)
        pz = zoning.parcel_zones(parcels, result.zones, rules=rules, dem=dem)
        layers.append(("parcel_zones", pz))
        report = zoning.conflict_report(pz)

    _write_gpkg(layers, out_path, overwrite=overwrite)
    click.echo(f"zones: {len(result.zones)} polygons in {result.zones['village_id'].nunique()} "
               f"villages -> {out_path}")
    rows = [{"village_id": r.village_id, "zone": r.zone, "area_ha": f"{r.area_ha:.1f}",
             "share_pct": f"{r.share_pct:.1f}"} for r in result.table.itertuples()]
    echo_table(rows, ["village_id", "zone", "area_ha", "share_pct"])
    if report is not None:
        io.write_table(report, conflicts_path, overwrite=overwrite)
        n_high = int((report["severity"] == "high").sum()) if len(report) else 0
        click.echo(f"parcel conflicts: {len(report)} ({n_high} high) -> {conflicts_path}")


def _write_gpkg(layers: list, path: Path, *, overwrite: bool) -> None:
    """Write all layers into one GeoPackage atomically, with fixed timestamps."""
    import pyogrio

    from landuse.io import FIXED_TIMESTAMP, atomic_output

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    with atomic_output(path, overwrite=overwrite) as tmp:
        for i, (name, df) in enumerate(layers):
            pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG", append=i > 0)
