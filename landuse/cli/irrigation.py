"""``landuse irrigation``: size gravity paddy schemes from scheme file, climate, DEM, parcels."""

from __future__ import annotations

import json
from pathlib import Path

import click

from landuse.cli._common import overwrite_option


@click.command("irrigation")
@click.option(
    "--scheme",
    "scheme_path",
    required=True,
    type=click.Path(),
    help="Scheme file (TOML, one [[scheme]] table per intake; see docs/irrigation.md).",
)
@click.option(
    "--climate",
    "climate_path",
    required=True,
    type=click.Path(),
    help="Monthly climate normals (CSV/XLSX: month, tmax_c, tmin_c, rh_mean_pct, u2_m_s, "
    "sunshine_h, rain_mm).",
)
@click.option(
    "--dem",
    "dem_path",
    type=click.Path(),
    help="DEM (GeoTIFF, scheme CRS): elevation, catchment, command area.",
)
@click.option(
    "--parcels",
    "parcels_path",
    type=click.Path(),
    help="Parcels (parcel_id, land_type, household_id): command area and families.",
)
@click.option("--scheme-id", "scheme_ids", multiple=True, help="Only this scheme (repeatable).")
@click.option("--out", "out", required=True, type=click.Path(), help="Output folder.")
@overwrite_option
def command(
    scheme_path: str,
    climate_path: str,
    dem_path: str | None,
    parcels_path: str | None,
    scheme_ids: tuple[str, ...],
    out: str,
    overwrite: bool,
) -> None:
    """Water requirement, duty, source check, canal and command area of each scheme.

    Writes irrigation_monthly.csv and irrigation_decades.csv (the balance by month and by
    10-day period), irrigation_summary.csv and .json (area, families, peak design duty and
    flow, source, servable area, canal), irrigation_sensitivity.csv (design duty and flow
    under changed assumptions), irrigation_report.md, and with --dem and
    --parcels irrigation_schemes.gpkg (layers 'schemes' and 'command_parcels').
    """
    from landuse import irrigation as sch
    from landuse.errors import OutputExistsError, RuleError
    from landuse.io import (
        atomic_output,
        read_climate,
        read_parcels,
        read_raster,
        write_table,
        write_vector,
    )

    specs = sch.read_schemes(scheme_path)
    if scheme_ids:
        known = {s.scheme_id for s in specs}
        unknown = [s for s in scheme_ids if s not in known]
        if unknown:
            raise RuleError(
                f"scheme_id {unknown[0]!r} is not in the scheme file",
                source=scheme_path,
                column="scheme_id",
                hint=f"use one of {', '.join(sorted(known))}",
            )
        specs = [s for s in specs if s.scheme_id in scheme_ids]
    climate = read_climate(climate_path)
    dem = read_raster(dem_path) if dem_path else None
    parcels = read_parcels(parcels_path) if parcels_path else None

    out_dir = Path(out)
    names = [
        "irrigation_monthly.csv",
        "irrigation_decades.csv",
        "irrigation_summary.csv",
        "irrigation_summary.json",
        "irrigation_sensitivity.csv",
        "irrigation_report.md",
    ]
    with_layer = dem is not None and parcels is not None
    if with_layer:
        names.append("irrigation_schemes.gpkg")
    if not overwrite:
        for name in names:
            if (out_dir / name).exists():
                raise OutputExistsError(
                    "the output exists already",
                    source=str(out_dir / name),
                    hint="choose another folder or pass --overwrite",
                )
    out_dir.mkdir(parents=True, exist_ok=True)

    sized = sch.size_schemes(specs, climate, dem=dem, parcels=parcels)
    results, total = sized["results"], sized["total"]
    write_table(sized["monthly"].round(6), out_dir / "irrigation_monthly.csv", overwrite=overwrite)
    write_table(sized["decades"].round(6), out_dir / "irrigation_decades.csv", overwrite=overwrite)
    write_table(sized["summary"], out_dir / "irrigation_summary.csv", overwrite=overwrite)
    write_table(
        sized["sensitivity"], out_dir / "irrigation_sensitivity.csv", overwrite=overwrite
    )
    payload = {"schemes": [r.summary for r in results], "total": total}
    with atomic_output(out_dir / "irrigation_summary.json", overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with atomic_output(out_dir / "irrigation_report.md", overwrite=overwrite) as tmp:
        tmp.write_text(sized["report"], encoding="utf-8")
    if with_layer:
        gpkg = out_dir / "irrigation_schemes.gpkg"
        if overwrite and gpkg.exists():
            gpkg.unlink()
        write_vector(sized["layer"], gpkg, layer="schemes")
        write_vector(sized["command_parcels"], gpkg, layer="command_parcels")

    click.echo(f"landuse irrigation -> {out_dir}")
    for r in results:
        s = r.summary
        src = (
            "source not assessed"
            if s["servable_area_ha"] is None
            else f"source serves {s['servable_area_ha']:.1f} ha / {s['servable_families']} "
            "families"
        )
        click.echo(
            f"  {s['scheme_id']}: {s['area_ha']:.2f} ha, {s['families']} families, design period "
            f"{s['design_window']}, {s['design_duty_l_s_ha']:.2f} l/s/ha, "
            f"{s['design_flow_l_s']:.1f} l/s; "
            f"{src}; canal b {s['canal_bed_width_m']:.2f} m, y {s['canal_depth_m']:.2f} m"
            + ("" if s["canal_ok"] else " (check)")
        )
    click.echo(
        f"  total: {total['area_ha']:.2f} ha, {total['families']} families, "
        f"{total['design_flow_l_s']:.1f} l/s"
    )
