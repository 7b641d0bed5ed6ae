"""``landuse import``: field data in (GPS boundary walks, household survey exports)."""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import overwrite_option


@click.group("import")
def import_group() -> None:
    """Import field data: boundary walks (GPX/KML/GeoJSON) and survey exports (Kobo/ODK/Excel)."""


def _echo_check(report) -> int:
    errors = report[report["severity"] == "error"]
    for r in report[report["severity"] != "info"].itertuples():
        click.echo(f"  {r.severity}: {r.code} {r.layer} {r.feature_id or '-'}: {r.message}")
    click.echo(f"check: {len(errors)} error(s), {int((report['severity'] == 'warning').sum())} warning(s)")
    return len(errors)


@import_group.command("walks")
@click.argument("walks", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Villages layer to write (.gpkg).")
@click.option("--attributes", type=click.Path(exists=True, dir_okay=False),
              help="CSV/XLSX with source (walk file name) or village_id, name_en, name_lo.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Repair report CSV (default: next to --out, *_walks_report.csv).")
@click.option("--simplify-m", default=2.0, show_default=True, help="Simplification tolerance [m].")
@click.option("--snap-m", default=15.0, show_default=True, help="Snap jointly walked stretches within [m]; 0 = off.")
@click.option("--spike-m", default=60.0, show_default=True, help="GPS spike threshold [m].")
@click.option("--stop-radius-m", default=5.0, show_default=True, help="Stop/jitter radius [m].")
@overwrite_option
def walks(walks, out, attributes, report_path, simplify_m, snap_m, spike_m, stop_radius_m, overwrite) -> None:
    """Turn boundary walks (one file per village) into a villages layer with a repair report."""
    from landuse.check import check_inputs
    from landuse.field import import_walks
    from landuse.io import read_table, write_table, write_vector

    attrs = read_table(attributes, what="village attributes") if attributes else None
    res = import_walks(list(walks), attributes=attrs, simplify_m=simplify_m, snap_m=snap_m, spike_m=spike_m,
                       stop_radius_m=stop_radius_m)
    out_p = Path(out)
    rep_p = Path(report_path) if report_path else out_p.with_name(out_p.stem + "_walks_report.csv")
    write_vector(res.villages, out_p, layer="villages", overwrite=overwrite)
    write_table(res.report, rep_p, overwrite=overwrite)
    for r in res.villages.itertuples():
        click.echo(f"{r.village_id}: {r.area_ha:,.1f} ha, perimeter {r.perimeter_m:,.0f} m, "
                   f"walked {r.walk_length_m:,.0f} m, closure gap {r.closure_gap_m:,.1f} m")
    repairs = res.report[(res.report["count"] > 0) & ~res.report["step"].isin(["length"])]
    click.echo(f"{len(res.villages)} village(s) -> {out_p}; {len(repairs)} repair(s) -> {rep_p}")
    if _echo_check(check_inputs(villages=res.villages)):
        raise SystemExit(1)


@import_group.command("survey")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Households table to write (.csv/.xlsx).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False),
              help="TOML mapping of export headers (default: the bundled one for the example form).")
@click.option("--members", "members_path", type=click.Path(exists=True, dir_okay=False),
              help="CSV of the members repeat group (ODK Central), when the export is CSV.")
@click.option("--villages", type=click.Path(exists=True, dir_okay=False),
              help="Villages layer, to check that every household's village exists.")
@overwrite_option
def survey(export, out, mapping, members_path, villages, overwrite) -> None:
    """Map a household survey export or household list to the households table."""
    from landuse.check import check_inputs
    from landuse.field import read_survey
    from landuse.io import read_villages, write_table

    res = read_survey(export, mapping=mapping, members_path=members_path)
    write_table(res.households, out, overwrite=overwrite)
    for r in res.report.itertuples():
        click.echo(f"  {r.severity}: row {r.row} household {r.household_id!r} {r.column}: {r.message}")
    click.echo(f"{len(res.households)} household(s) -> {out}")
    v = read_villages(villages) if villages else None
    if _echo_check(check_inputs(households=res.households, villages=v)):
        raise SystemExit(1)


command = import_group
