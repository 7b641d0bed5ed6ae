"""``landuse check``: audit input files before planning, like a linter.

Exit status: 0 when no errors were found (warnings allowed), 1 when the data have
errors, 2 for usage errors (no input given, a bad option).
"""

from __future__ import annotations

import json
import shutil
import textwrap

import click

_SEVERITY_TITLE = {"error": "Errors", "warning": "Warnings", "info": "Notes"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_table(report, *, width: int) -> None:
    """Print the report grouped by severity, as aligned columns, then a summary line."""
    rows = report.to_dict("records")
    if rows:
        code_w = max(len("code"), *(len(r["code"]) for r in rows))
        layer_w = max(len("layer"), *(len(r["layer"]) for r in rows))
        fid_w = min(24, max(len("feature"), *(len(r["feature_id"] or "-") for r in rows)))
        indent = 2 + code_w + 2 + layer_w + 2 + fid_w + 2
        msg_w = max(30, width - indent)
        for severity in ("error", "warning", "info"):
            group = [r for r in rows if r["severity"] == severity]
            if not group:
                continue
            click.echo(click.style(f"{_SEVERITY_TITLE[severity]} ({len(group)})", bold=True))
            click.echo(
                f"  {'code'.ljust(code_w)}  {'layer'.ljust(layer_w)}  {'feature'.ljust(fid_w)}  message"
            )
            for r in group:
                fid = r["feature_id"] or "-"
                if len(fid) > fid_w:
                    fid = fid[: fid_w - 1] + "…"
                lines = textwrap.wrap(r["message"], msg_w) or [""]
                click.echo(
                    f"  {r['code'].ljust(code_w)}  {r['layer'].ljust(layer_w)}  {fid.ljust(fid_w)}  {lines[0]}"
                )
                for line in lines[1:]:
                    click.echo(" " * indent + line)
            click.echo("")
    counts = report["severity"].value_counts()
    n_err, n_warn = int(counts.get("error", 0)), int(counts.get("warning", 0))
    layers = ", ".join(sorted(set(report.loc[report.severity != "info", "layer"]))) or "none"
    verdict = "FAILED" if n_err else "OK"
    click.echo(
        f"{verdict}: {_plural(n_err, 'error')}, {_plural(n_warn, 'warning')}"
        f" (layers with problems: {layers})"
    )


@click.command("check")
@click.option(
    "--villages",
    type=click.Path(dir_okay=False),
    help="Village boundaries (GPKG, SHP, GeoJSON, FGB; file.gpkg:layer for a layer).",
)
@click.option(
    "--parcels", type=click.Path(dir_okay=False), help="Land parcels (GPKG, SHP, GeoJSON, FGB)."
)
@click.option(
    "--households", type=click.Path(dir_okay=False), help="Household table (CSV or XLSX)."
)
@click.option(
    "--histories",
    type=click.Path(dir_okay=False),
    help="Plot cultivation histories (CSV or XLSX).",
)
@click.option("--climate", type=click.Path(dir_okay=False), help="Monthly climate (CSV or XLSX).")
@click.option(
    "--dem", type=click.Path(dir_okay=False), help="Elevation raster in metres (GeoTIFF)."
)
@click.option("--slope", type=click.Path(dir_okay=False), help="Slope raster (GeoTIFF).")
@click.option(
    "--slope-units",
    type=click.Choice(["degrees", "percent"]),
    default="degrees",
    show_default=True,
    help="Units the slope raster is declared in.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Check the bundled demo data (files given explicitly take precedence).",
)
@click.option(
    "--sliver-width",
    "sliver_max_width_m",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Unclaimed strips narrower than this are slivers [m].",
)
@click.option(
    "--max-gap",
    "gap_max_m2",
    type=click.FloatRange(min=0),
    default=2500.0,
    show_default=True,
    help="Largest hole enclosed by parcels reported as a gap; larger ones are open land [m²].",
)
@click.option(
    "--entitlements",
    "entitlements",
    type=click.Path(dir_okay=False),
    default=None,
    help="Entitlement rule file whose priority-group columns must exist in --households "
    "(default: the bundled rules).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit with 1 on warnings too.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Readable table or a JSON list of {severity, code, layer, feature_id, message}.",
)
def command(
    villages,
    parcels,
    households,
    histories,
    climate,
    dem,
    slope,
    slope_units,
    demo,
    sliver_max_width_m,
    gap_max_m2,
    entitlements,
    strict,
    fmt,
) -> None:
    """Audit input data before planning: CRS, geometries, ids, topology, references, rasters.

    Exits 0 when no errors are found (warnings allowed unless --strict), 1 when
    there are data errors, 2 for usage errors.

    Example: landuse check --villages villages.gpkg --parcels parcels.gpkg
    --households households.csv --dem dem.tif --format json
    """
    from landuse.check import check_files

    paths = dict(
        villages=villages,
        parcels=parcels,
        households=households,
        histories=histories,
        climate=climate,
        dem=dem,
        slope=slope,
    )
    if demo:
        from landuse import datasets

        for key in paths:
            if (
                paths[key] is None
                and key in datasets.available
                and datasets.get_path(key).exists()
            ):
                paths[key] = str(datasets.get_path(key))
    paths = {k: v for k, v in paths.items() if v is not None}
    if not paths:
        raise click.UsageError(
            "give at least one input (--villages, --parcels, --households, --histories, "
            "--climate, --dem, --slope) or --demo"
        )
    report = check_files(
        **paths,
        slope_units=slope_units,
        sliver_max_width_m=sliver_max_width_m,
        gap_max_m2=gap_max_m2,
        entitlements=entitlements or "default",
    )
    if fmt == "json":
        records = [
            {k: r[k] for k in ("severity", "code", "layer", "feature_id", "message")}
            for r in report.to_dict("records")
        ]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        width = shutil.get_terminal_size((100, 24)).columns
        _print_table(report, width=max(width, 80))
    failing = ("error", "warning") if strict else ("error",)
    if report["severity"].isin(failing).any():
        click.get_current_context().exit(1)
