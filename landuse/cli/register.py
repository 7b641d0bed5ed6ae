"""``landuse register``: status, history, revocation, transfer and export of the district register."""

from __future__ import annotations

import datetime as _dt

import click

from landuse.cli._common import echo_table, overwrite_option

_register_arg = click.option("--register", "register_path", required=True, type=click.Path(dir_okay=False),
                             help="The district register (GeoPackage).")


def _open(path: str):
    from landuse.certificates.register import open_register

    return open_register(path)


def _actor(actor: str | None) -> str:
    from landuse.certificates import default_actor

    return actor or default_actor()


@click.group("register")
def register_group() -> None:
    """The district's register of land-use certificates."""


@register_group.command("status")
@_register_arg
@click.argument("ident", required=False)
def status(register_path: str, ident: str | None) -> None:
    """State of a certificate number or parcel id; without one, a summary and the chain check."""
    reg = _open(register_path)
    n = reg.verify_chain()
    if ident is None:
        cur = reg.current()
        click.echo(f"{register_path}: {len(cur)} certificate(s) in force, {n} event(s), hash chain intact")
        return
    st = reg.status(ident)
    line = f"{st['certificate_no']}: {st['status']}"
    if st["successor"]:
        line += f", superseded by {st['successor']}"
    if st["reason"]:
        line += f" ({st['time']}; {st['reason']})"
    click.echo(line)


@register_group.command("history")
@_register_arg
@click.argument("ident")
def history(register_path: str, ident: str) -> None:
    """Every event of a certificate number or parcel id."""
    df = _open(register_path).history(ident)
    if df.empty:
        raise click.ClickException(f"{ident!r} is not in the register")
    echo_table(df.to_dict("records"), ["seq", "time", "event", "certificate_no", "household_id", "successor",
                                       "predecessor", "actor", "reason"])


@register_group.command("revoke")
@_register_arg
@click.argument("certificate_no")
@click.option("--reason", required=True, help="Why (recorded).")
@click.option("--actor", default=None, help="Who revokes (default the login name).")
def revoke(register_path: str, certificate_no: str, reason: str, actor: str | None) -> None:
    """Revoke a certificate in force."""
    _open(register_path).revoke(certificate_no, reason=reason, actor=_actor(actor))
    click.echo(f"{certificate_no}: REVOKED ({reason})")


@register_group.command("transfer")
@_register_arg
@click.argument("certificate_no")
@click.option("--household", "household_id", required=True, help="The new holder's household id.")
@click.option("--holder-en", default="", help="The new holder's name in Latin letters.")
@click.option("--holder-lo", default="", help="The new holder's name in Lao.")
@click.option("--reason", required=True, help="Transfer or inheritance, and from whom (recorded).")
@click.option("--issue-date", default=None, help="Issue date of the new certificate (default today, district time).")
@click.option("--validity-years", type=click.IntRange(1, 99), default=3, show_default=True)
@click.option("--key-file", type=click.Path(dir_okay=False), default=None,
              help="District signing key (sets the key id of the new record).")
@click.option("--actor", default=None, help="Who records it (default the login name).")
def transfer(register_path: str, certificate_no: str, household_id: str, holder_en: str, holder_lo: str,
             reason: str, issue_date: str | None, validity_years: int, key_file: str | None,
             actor: str | None) -> None:
    """Record a transfer or inheritance: supersede CERTIFICATE_NO by one for a new holder."""
    from landuse.certificates import keys
    from landuse.certificates import add_years
    from landuse.cli.certificates import passphrase_for
    from landuse.certificates.register import district_today

    reg = _open(register_path)
    try:
        date = _dt.date.fromisoformat(issue_date) if issue_date else district_today(reg.timezone)
    except ValueError as exc:
        raise click.BadParameter(f"{issue_date!r} is not a date YYYY-MM-DD", param_hint="--issue-date") from exc
    kid = ""
    if key_file:
        kid = keys.key_id(keys.load_private_key(key_file, passphrase=passphrase_for(key_file)).public_key())
    rec = reg.transfer(certificate_no, household_id=household_id, holders=[[holder_lo, holder_en]], reason=reason,
                       actor=_actor(actor), issue_date=date, valid_until=add_years(date, validity_years),
                       seal=lambda r: kid)
    click.echo(f"{certificate_no}: TRANSFERRED to {household_id}; new certificate {rec['no']} "
               "(print it with `landuse certificates --register` after updating the allocation)")


@register_group.command("export")
@_register_arg
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--what", type=click.Choice(["current", "events"]), default="current", show_default=True)
@overwrite_option
def export(register_path: str, out: str, what: str, overwrite: bool) -> None:
    """Export the certificates in force (or every event) to OUT (.csv or .xlsx); never read back."""
    path = _open(register_path).export(out, what=what, overwrite=overwrite)
    click.echo(f"wrote {path}")


command = register_group
