"""Options and helpers shared by the subcommands."""

from __future__ import annotations

import click

overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace existing outputs (never done silently)."
)
out_option = click.option(
    "--out", "out", required=True, type=click.Path(), help="Output file or folder."
)


def echo_table(rows: list[dict], columns: list[str]) -> None:
    """Print a list of dicts as an aligned text table."""
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) if rows else len(c) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    click.echo("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        click.echo("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))
