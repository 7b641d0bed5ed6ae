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
    """Print every finding grouped by severity, as aligned columns (``--all``)."""
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


def _print_grouped(report, *, width: int) -> None:
    """Print one block per distinct problem: count, code, where, examples, message and the
    fix for Python and for QGIS; notes (info) one line each, wrapped."""
    from landuse.check import group_findings

    summary = group_findings(report).to_dict("records")
    for severity in ("error", "warning", "info"):
        groups = [g for g in summary if g["severity"] == severity]
        if not groups:
            continue
        n = sum(g["count"] for g in groups)
        title = f"{_SEVERITY_TITLE[severity]} ({n:,})"
        if len(groups) != n:
            title += f" in {_plural(len(groups), 'problem')}"
        click.echo(click.style(title, bold=True))
        for g in groups:
            where = g["layer"] + (f", {g['column']}" if g["column"] else "")
            if g["examples"] and severity != "info":
                where += f"; e.g. {g['examples']}"
            if severity == "info":
                _wrapped(f"{g['code']} ({where}): {g['message']}", width, first="  ", rest="      ")
                continue
            _wrapped(f"{g['count']:,} × {g['code']} ({where}): {g['message']}", width, first="  ",
                     rest="      ")
            if g["fix"]:
                _wrapped(f"Fix: {g['fix']}", width, first="      ", rest="        ")
            if g["fix_qgis"]:
                _wrapped(f"QGIS: {g['fix_qgis']}", width, first="      ", rest="        ")
        click.echo("")


def _wrapped(text: str, width: int, *, first: str, rest: str) -> None:
    for line in textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest) or [first]:
        click.echo(line)


def _verdict(report) -> None:
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
    "--mapping",
    type=click.Path(dir_okay=False),
    default=None,
    help="Mapping file (TOML) of your headers and values to the contract's (docs/mapping.md).",
)
@click.option(
    "--write-mapping",
    "write_mapping",
    type=click.Path(dir_okay=False),
    default=None,
    help="Draft a mapping file from the findings (close header and value matches) into FILE.",
)
@click.option("--overwrite", is_flag=True, help="Replace the --write-mapping file if it exists.")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="List every finding instead of one row per distinct problem.",
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
    help="Readable table (one row per distinct problem) or a JSON list of every finding "
    "{severity, code, layer, feature_id, column, value, message, fix, fix_qgis}.",
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
    mapping,
    write_mapping,
    overwrite,
    show_all,
    strict,
    fmt,
) -> None:
    """Audit input data before planning: CRS, geometries, ids, topology, references, rasters.

    Identical findings are shown once, with their count and a few example features
    (--all lists every one); each fix is given for Python and for QGIS. Exits 0 when
    no errors are found (warnings allowed unless --strict), 1 when there are data
    errors, 2 for usage errors.

    Example: landuse check --villages villages.gpkg --parcels parcels.gpkg
    --households households.csv --dem dem.tif --format json
    """
    from landuse.check import check_files, group_findings

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
        mapping=mapping,
    )
    if fmt == "json":
        records = [{k: r[k] for k in report.columns} for r in report.to_dict("records")]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        width = max(shutil.get_terminal_size((100, 24)).columns, 80)
        (_print_table if show_all else _print_grouped)(report, width=width)
        _verdict(report)
        if not show_all and len(report) > len(group_findings(report)):
            click.echo(f"(one row per problem: --all lists all {len(report):,} findings, --format "
                       "json gives them to machines)")
    if write_mapping:
        _write_mapping(report, write_mapping, overwrite=overwrite)
    failing = ("error", "warning") if strict else ("error",)
    if report["severity"].isin(failing).any():
        click.get_current_context().exit(1)


def _write_mapping(report, path: str, *, overwrite: bool) -> None:
    """Draft a mapping file from the findings and write it atomically."""
    from landuse.check import draft_mapping
    from landuse.io import atomic_output

    text = draft_mapping(report)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    entries = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(("#", "["))]
    todo = [ln for ln in text.splitlines() if ln.startswith("# \"")]
    click.echo(f"mapping drafted: {path} ({len(entries)} line(s) guessed, {len(todo)} to "
               "fill in); read it, then run again with --mapping", err=_fmt_is_json())


def _fmt_is_json() -> bool:
    """True when the command prints JSON (notes then go to stderr, keeping stdout valid JSON)."""
    return click.get_current_context().params.get("fmt") == "json"
