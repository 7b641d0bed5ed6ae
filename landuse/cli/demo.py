"""``landuse demo``: run the whole plan on the bundled Oudomxay demo data.

The command prints a summary of the demo data (villages with their Lao and English
names, households, parcels by land type, terrain, forest, irrigation schemes; computed
by :func:`landuse.datasets.summary`) and runs the demo's plan file
(:func:`landuse.plan.run_plan`) into the output folder, adding the summary as
``demo_data.json`` (listed in the folder's manifest), and prints where each product is.
This is what ``make demo`` runs.

The certificates are issued into a demo district register and signed with a demo key,
both kept in ``<out>/../demo-district/`` (created once, reused by every rerun so that a
rerun gives byte-identical certificates). The demo key is named as such and must never
sign real certificates.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from landuse.cli._common import echo_table, overwrite_option


DEMO_KEY_NAME = "DEMO-KEY-not-for-real-certificates.pem"


def demo_key(folder: Path) -> Path:
    """The demo's signing key in *folder*, created once (so reruns sign with the same key)."""
    from landuse.certificates import keys

    path = folder / DEMO_KEY_NAME
    if not path.exists():
        keys.init_keys(path)
    return path


@click.command("demo")
@click.option(
    "--out",
    "out",
    default="out/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Output folder.",
)
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run villages in parallel on a dask LocalCluster of N workers.")
@click.option("--summary-only", is_flag=True, help="Only print and write the summary of the demo data.")
@overwrite_option
@click.pass_context
def command(ctx: click.Context, out: str, workers: int | None, summary_only: bool, overwrite: bool) -> None:
    """Run the whole plan on the bundled demo and print where the outputs are."""
    import landuse._validate  # noqa: F401  (loaded before landuse.io)
    from landuse import datasets

    out_dir = Path(out)
    click.echo(f"landuse demo -> {out_dir}")
    click.echo("Bundled Oudomxay demo (Xay district): real district boundary and village names,")
    click.echo(
        "synthetic terrain, parcels, households, histories, climate and schemes (see NOTICE.md)."
    )
    s = datasets.summary(datasets.load_demo())
    click.echo("")
    echo_table(
        s["villages"],
        ["village_id", "name_en", "name_lo", "area_km2", "households", "persons", "parcels"],
    )
    h = s["households"]
    click.echo(
        f"\nHouseholds: {h['count']} ({h['persons']} persons, {h['mean_members']} per household, "
        f"{h['mean_labour_units']} labour units per household, {h['landless']} landless)"
    )
    click.echo(f"\nParcels: {s['parcels']} ({s['parcels_with_holder']} with a current holder)")
    echo_table(
        [{"land_type": t, **v} for t, v in s["parcels_by_type"].items()],
        ["land_type", "count", "area_ha"],
    )
    d = s["dem"]
    click.echo(
        f"\nDEM: {d['shape'][1]} x {d['shape'][0]} cells of {d['cell_m']:g} m, {d['crs']}, "
        f"bounds {d['bounds_m']}"
    )
    click.echo(
        f"     elevation {d['elev_min_m']:.0f}-{d['elev_max_m']:.0f} m "
        f"(relief {d['relief_m']:.0f} m), "
        f"{100 * d['steep_share_30pct']:.1f} % of the land steeper than 30 %"
    )
    f = s["forest"]
    click.echo(
        f"Forest: {f['area_ha']:.0f} ha in {f['patches']} patches "
        f"({100 * f['share_of_window']:.1f} % of the window)"
    )
    hi = s["histories"]
    click.echo(
        f"Cultivation histories: {hi['plots']} upland plots, {hi['first_year']}-{hi['last_year']}"
    )
    sc = s["schemes"]
    click.echo("\nCandidate irrigation schemes:")
    echo_table(
        sc["schemes"], ["scheme_id", "name_en", "village_id", "parcels", "families", "area_ha"]
    )
    click.echo(f"Total: {sc['families']} families on {sc['area_ha']:.1f} ha of paddy")
    data = (json.dumps(s, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    target = out_dir / "demo_data.json"
    if summary_only:
        from landuse.plan import output_folder, sha256_file

        plan_path = datasets.get_path("plan")
        meta = {"name": "demo data summary", "path": str(plan_path), "sha256": sha256_file(plan_path)}
        with output_folder(out_dir, inputs={}, overwrite=overwrite, plan=meta) as stage:
            (stage / target.name).write_bytes(data)
        click.echo(f"\nWrote {target}")
        return

    from landuse.cli.run import echo_outputs
    from landuse.plan import run_plan

    quiet = bool(ctx.obj and ctx.obj.get("quiet"))
    click.echo("\nRunning the demo plan (check, terrain, zoning, allocation, fallow, irrigation, map, "
               "certificates, reports)...")
    district = out_dir.parent / "demo-district"
    key_file = demo_key(district)
    click.echo(f"District register {district / 'register.gpkg'} and DEMO signing key {key_file} "
               "(kept between runs; not for real certificates)")
    run = run_plan(datasets.get_path("plan"), out_dir=out_dir, overwrite=overwrite, workers=workers,
                   progress=not quiet, extra_files={target.name: data}, key_file=key_file,
                   register=district / "register.gpkg")
    click.echo(f"Wrote {target}")
    echo_outputs(run, quiet=quiet)
    if run.failed:
        ctx.exit(1)
