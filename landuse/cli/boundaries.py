"""``landuse boundaries``: the inter-village boundary register and agreement sheets."""

from __future__ import annotations

from pathlib import Path

import click

from landuse.cli._common import echo_table, overwrite_option

LAYER = "boundary_conflicts"
_reg = click.option("--register", "register_path", required=True, type=click.Path(dir_okay=False),
                    help="GeoPackage holding the boundary register (layer boundary_conflicts).")


def _read(path: str):
    from landuse.io import read_vector

    if not Path(path).exists():
        return None
    import pyogrio

    if LAYER not in [n for n, _ in pyogrio.list_layers(path)]:
        return None
    return read_vector(path, layer=LAYER, what="boundary register")


def _write(reg, path: str) -> None:
    from landuse.io import write_vector

    write_vector(reg, path, layer=LAYER, overwrite=True)


@click.group("boundaries")
def boundaries_group() -> None:
    """Overlaps and gaps between neighbouring villages; agreement sheets."""


@boundaries_group.command("update")
@click.option("--villages", required=True, type=click.Path(exists=True, dir_okay=False), help="Claimed territories.")
@_reg
@click.option("--date", default=None, help="Date of this run (YYYY-MM-DD, default today).")
@click.option("--min-area-m2", default=100.0, show_default=True, help="Smallest reported piece [m²].")
def update(villages, register_path, date, min_area_m2) -> None:
    """Find conflicts and merge them into the register (history kept)."""
    from landuse.field import find_conflicts, update_register
    from landuse.io import read_villages

    v = read_villages(villages)
    reg = update_register(_read(register_path), find_conflicts(v, min_area_m2=min_area_m2), date=date)
    _write(reg, register_path)
    n_open = int(((reg["status"] == "open") & (reg["present"] == "yes")).sum())
    click.echo(f"{len(reg)} conflict(s) in {register_path}; {n_open} open")


@boundaries_group.command("list")
@_reg
def list_(register_path) -> None:
    """Print the register."""
    reg = _read(register_path)
    if reg is None:
        raise click.ClickException(f"{register_path} has no boundary register; run landuse boundaries update")
    echo_table(reg.drop(columns=["geometry", "history"]).to_dict("records"),
               ["conflict_id", "kind", "village_a", "village_b", "area_m2", "length_m", "status", "present",
                "resolution"])


@boundaries_group.command("set")
@_reg
@click.argument("conflict_id")
@click.argument("status", type=click.Choice(["open", "agreed", "referred"]))
@click.option("--resolution", default="", help="What was agreed or why it was referred.")
@click.option("--date", default=None, help="Date (YYYY-MM-DD, default today).")
def set_(register_path, conflict_id, status, resolution, date) -> None:
    """Record a decision on one conflict."""
    from landuse.field import set_status

    reg = _read(register_path)
    if reg is None:
        raise click.ClickException(f"{register_path} has no boundary register; run landuse boundaries update")
    _write(set_status(reg, conflict_id, status, resolution=resolution, date=date), register_path)
    click.echo(f"{conflict_id}: {status}")


@boundaries_group.command("sheet")
@click.option("--villages", required=True, type=click.Path(exists=True, dir_okay=False))
@click.argument("village_a")
@click.argument("village_b")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PDF to write.")
@click.option("--register", "register_path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--district", default="")
@click.option("--date", default="")
@click.option("--font", "font_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TrueType font with Lao (e.g. Phetsarath OT); default Noto Sans Lao.")
@overwrite_option
def sheet(villages, village_a, village_b, out, register_path, district, date, font_path, overwrite) -> None:
    """Bilingual A4 boundary agreement sheet for two neighbouring villages."""
    from landuse.field.sheets import boundary_agreement_sheet
    from landuse.io import read_villages

    reg = _read(register_path) if register_path else None
    p = boundary_agreement_sheet(read_villages(villages), village_a, village_b, out, conflicts=reg,
                                 district=district, date=date, font_path=font_path, overwrite=overwrite)
    click.echo(f"wrote {p}")


@boundaries_group.command("display")
@click.option("--villages", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--zones", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--parcels", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--households", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--objection-from", required=True, help="First day of the objection period (YYYY-MM-DD).")
@click.option("--objection-days", default=30, show_default=True)
@click.option("--paper", type=click.Choice(["A3", "A1"]), default="A3", show_default=True)
@click.option("--village", "village_ids", multiple=True, help="Only these villages (default all).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for one PDF per village.")
@click.option("--font", "font_path", type=click.Path(exists=True, dir_okay=False), default=None)
@overwrite_option
def display(villages, zones, parcels, households, objection_from, objection_days, paper, village_ids, out,
            font_path, overwrite) -> None:
    """Public-display sheets (zoning, allocation, holders, objection period): one PDF per village."""
    from landuse._validate.ids import id_filename
    from landuse.field.sheets import public_display_sheet
    from landuse.io import read_households, read_parcels, read_vector, read_villages

    v = read_villages(villages)
    z = read_vector(zones, what="zones")
    p = read_parcels(parcels)
    h = read_households(households)
    Path(out).mkdir(parents=True, exist_ok=True)
    ids = list(village_ids) or sorted(v["village_id"].astype(str))
    for vid in ids:
        path = Path(out) / ("display_" + id_filename(vid, ".pdf"))
        public_display_sheet(vid, path, villages=v, zones=z, parcels=p, households=h, objection_from=objection_from,
                             objection_days=objection_days, paper=paper, font_path=font_path, overwrite=overwrite)
        click.echo(f"wrote {path}")


command = boundaries_group
