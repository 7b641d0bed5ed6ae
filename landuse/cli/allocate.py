"""``landuse allocate``: fair household land allocation from files."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import click

from landuse.cli._common import echo_table, out_option, overwrite_option

#: Files written into the output folder.
OUTPUTS = ("allocation.gpkg", "households.xlsx", "households.csv", "shortfall.csv", "solver.csv", "metrics.json")


def _pct(gap) -> str:
    """A gap as a percentage, "not proven" when infinite, "-" when absent."""
    if gap is None:
        return "-"
    return "not proven" if gap == float("inf") else f"{100 * gap:.2f} %"


@click.command("allocate")
@click.option("--parcels", "parcels_path", required=True, type=click.Path(dir_okay=False),
              help="Parcels (GeoPackage, Shapefile, GeoJSON, FlatGeobuf).")
@click.option("--households", "households_path", required=True, type=click.Path(dir_okay=False),
              help="Households table (CSV or XLSX).")
@click.option("--villages", "villages_path", type=click.Path(dir_okay=False), default=None,
              help="Village boundaries with centre_x/centre_y (for distances).")
@click.option("--zones", "zones_path", type=click.Path(dir_okay=False), default=None,
              help="Agricultural zones (column 'zone'); parcels outside a zone of their type are not allocated.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), default=None,
              help="Entitlement rules (TOML); default: the bundled Lao rules.")
@out_option
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="Effort budget for all villages together, in seconds of the reference machine; spent by node and move counts, so results do not depend on machine load [s].")
@click.option("--gap", "mip_gap", type=click.FloatRange(0, 1, max_open=True), default=0.005, show_default=True,
              help="Relative optimality gap at which the solver may stop.")
@click.option("--keep-existing", is_flag=True, help="Keep current lawful holdings (parcels' household_id).")
@click.option("--jobs", "n_jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Villages solved at the same time.")
@overwrite_option
def command(parcels_path, households_path, villages_path, zones_path, rules_path, out, time_limit_s, mip_gap,
            keep_existing, n_jobs, overwrite):
    """Allocate parcels to households: min-max fair, then least shortfall, then compact.

    Writes into the folder OUT: allocation.gpkg (layers 'allocations' and
    'unallocated'), households.xlsx and households.csv (one row per household:
    entitled, allocated and shortfall by land type), shortfall.csv (per village and
    land type), solver.csv (status, bounds and gaps) and metrics.json.
    """
    from landuse import io
    from landuse.allocation import allocate
    from landuse.errors import LanduseWarning, OutputExistsError

    folder = Path(out)
    if not overwrite:
        for name in OUTPUTS:
            if (folder / name).exists():
                raise OutputExistsError("the output exists already", source=str(folder / name),
                                        hint="choose another --out folder or pass --overwrite")
    parcels = io.read_parcels(parcels_path)
    households = io.read_households(households_path)
    villages = io.read_villages(villages_path) if villages_path else None
    zones = io.read_vector(zones_path, what="zones") if zones_path else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LanduseWarning)
        result = allocate(parcels, households, rules=rules_path, time_limit_s=time_limit_s, mip_gap=mip_gap,
                          keep_existing=keep_existing, villages=villages, zones=zones, n_jobs=n_jobs)
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)

    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / "allocation.gpkg"
    io.write_vector(result.allocations, gpkg, layer="allocations", overwrite=overwrite)
    io.write_vector(result.unallocated, gpkg, layer="unallocated", overwrite=overwrite)
    io.write_table(result.households, folder / "households.xlsx", sheet_name="households", overwrite=overwrite)
    io.write_table(result.households, folder / "households.csv", overwrite=overwrite)
    io.write_table(result.shortfall, folder / "shortfall.csv", overwrite=overwrite)
    io.write_table(result.solver, folder / "solver.csv", overwrite=overwrite)
    metrics = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in result.metrics.items()}
    with io.atomic_output(folder / "metrics.json", overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")

    m = result.metrics
    rows = [
        {"figure": "status", "value": m["status"]},
        {"figure": "proven gap (min-max stage)", "value": f"{100 * m['mip_gap']:.2f} %"},
        {"figure": "proven gap (total shortfall)", "value": _pct(m.get("mip_gap_total_shortfall"))},
        {"figure": "proven gap (plots and distance)", "value": _pct(m.get("mip_gap_fragmentation"))},
        {"figure": "households", "value": m["n_households"]},
        {"figure": "parcels allocated", "value": f"{m['n_allocated']} of {m['n_parcels']}"},
        {"figure": "area allocated [ha]", "value": f"{m['allocated_ha']:.2f}"},
        {"figure": "largest shortfall [ha]", "value": f"{m['max_shortfall_ha']:.2f}"},
        {"figure": "largest relative shortfall", "value": f"{m['max_relative_shortfall']:.3f}"},
        {"figure": "total shortfall [ha]", "value": f"{m['total_shortfall_ha']:.2f}"},
        {"figure": "Gini (ha per labour unit)", "value": f"{m['gini']:.3f}"},
        {"figure": "min/max ratio", "value": f"{m['min_max_ratio']:.3f}"},
        {"figure": "runtime [s]", "value": f"{m['runtime_s']:.1f}"},
    ]
    echo_table(rows, ["figure", "value"])
    click.echo(f"Wrote {', '.join(OUTPUTS)} to {folder}")
