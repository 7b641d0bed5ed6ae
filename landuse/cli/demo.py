"""``landuse demo``: run the toolkit on the bundled Oudomxay demo data."""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import overwrite_option


@click.command("demo")
@click.option("--out", "out", default="out/demo", show_default=True, type=click.Path(),
              help="Output folder.")
@overwrite_option
def command(out: str, overwrite: bool) -> None:
    """Run every available step on the bundled demo and print where the outputs are."""
    from landuse import datasets

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = [n for n in datasets.available if not datasets.get_path(n).exists()]
    click.echo(f"landuse demo -> {out_dir}")
    for name in datasets.available:
        state = "missing" if name in missing else "ok"
        click.echo(f"  {name:<11} {state:<8} {datasets.get_path(name)}")
