"""``landuse run``: run a whole plan file (check → terrain → zoning → allocation → fallow →
irrigation → maps → certificates → reports)."""

from __future__ import annotations

import click

from landuse.cli._common import overwrite_option
from landuse.cli.certificates import key_file_option, pades_option, passphrase_for, register_option


def _ask_passphrase(key_file) -> None:
    """Ask once for an encrypted key's passphrase; kept in this process's environment only."""
    import os

    from landuse.certificates import keys

    if key_file is not None and (secret := passphrase_for(str(key_file))):
        os.environ[keys.PASSPHRASE_ENV] = secret


def echo_outputs(run, *, quiet: bool) -> None:
    """Print where each product is and which villages failed."""
    if not quiet:
        click.echo(f"outputs in {run.out_dir}:")
        for name, path in sorted(run.outputs.items()):
            if ":" in name and not name.startswith(("report:district", "table:households")):
                continue
            click.echo(f"  {name:<24} {path}")
        n_reports = sum(k.startswith("report:") for k in run.outputs)
        click.echo(f"  ({n_reports} HTML reports, {sum(k.startswith('table:') for k in run.outputs)} tables)")
    for vid, msg in sorted(run.failed.items()):
        click.echo(f"village {vid} FAILED: {msg}", err=True)


@click.command("run")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run villages and their outputs in parallel on a dask LocalCluster of N workers.")
@click.option("--scheduler", default=None, help="Address of an existing dask scheduler (tcp://host:8786).")
@key_file_option
@register_option
@pades_option
@overwrite_option
@click.pass_context
def command(ctx: click.Context, plan_file: str, out: str, workers: int | None, scheduler: str | None,
            key_file: str | None, register_path: str | None, pades: bool, overwrite: bool) -> None:
    """Run PLAN_FILE for every village and write all products into --out."""
    from landuse.plan import load_plan, run_plan

    quiet = bool(ctx.obj and ctx.obj.get("quiet"))
    plan = load_plan(plan_file)
    _ask_passphrase(key_file or plan.certificate.key_file)
    run = run_plan(plan, out_dir=out, overwrite=overwrite, workers=workers, scheduler=scheduler,
                   progress=not quiet, key_file=key_file, register=register_path, pades=pades or None)
    echo_outputs(run, quiet=quiet)
    if run.failed:
        ctx.exit(1)
