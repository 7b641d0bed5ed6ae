"""``landuse certificates`` and ``landuse verify``: land-use certificates in PDF and their verification."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import click

from landuse.cli._common import overwrite_option


def _issue_date(value: str | None, out: Path, timezone: str | None = None) -> _dt.date:
    """The issue date given, else the one of the register (or journal) in *out* (resume), else today
    in the district's time zone."""
    if value:
        try:
            return _dt.date.fromisoformat(value)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint="--issue-date") from exc
    import json

    dates: set[str] = set()
    reg = out / "register.csv"
    if reg.is_file():
        import pandas as pd

        dates.update(pd.read_csv(reg, dtype=str, usecols=["issue_date"])["issue_date"].dropna())
    journal = out / ".register-journal.jsonl"  # an interrupted run
    if journal.is_file():
        for line in journal.read_text("utf-8").splitlines():
            try:
                dates.add(json.loads(line)["issue_date"])
            except (ValueError, KeyError, TypeError):
                continue
    if len(dates) == 1:
        return _dt.date.fromisoformat(dates.pop())
    if len(dates) > 1:
        raise click.BadParameter(f"the certificates in {out} have several issue dates ({', '.join(sorted(dates))})",
                                 param_hint="--issue-date")
    from landuse.certificates.register import district_today

    return district_today(timezone or "Asia/Vientiane")


def passphrase_for(key_file: str | None) -> str | None:
    """Ask for the key's passphrase when the key is encrypted and $LANDUSE_KEY_PASSPHRASE is not set."""
    import os

    from landuse.certificates import keys

    if key_file is None or os.environ.get(keys.PASSPHRASE_ENV) or not keys.key_needs_passphrase(key_file):
        return None
    return click.prompt(f"Passphrase of {key_file}", hide_input=True, err=True)


key_file_option = click.option(
    "--key-file", type=click.Path(dir_okay=False), default=None,
    help="District private signing key (landuse keys init); without it certificates are UNSIGNED DRAFTs.")
register_option = click.option(
    "--register", "register_path", type=click.Path(dir_okay=False), default=None,
    help="District register (GeoPackage, created if absent): stable serials, supersede/revoke history.")
pades_option = click.option("--pades", is_flag=True,
                            help="Also sign each PDF with a PAdES signature (pyHanko; needs --key-file).")


@click.command("certificates")
@click.option("--allocations", "allocations_path", required=True, type=click.Path(dir_okay=False),
              help="Allocation GeoPackage written by `landuse allocate` (layer 'allocations').")
@click.option("--households", "households_path", required=True, type=click.Path(dir_okay=False),
              help="Households table (CSV or XLSX) with head_name, head_name_lo, spouse_name, spouse_name_lo.")
@click.option("--villages", "villages_path", required=True, type=click.Path(dir_okay=False),
              help="Villages with name_en/name_lo, district_* and province_* (and boundaries).")
@click.option("--parcels", "parcels_path", type=click.Path(dir_okay=False), default=None,
              help="All parcels, to name and draw neighbours that are not allocated.")
@click.option("--others", "others_path", type=click.Path(dir_okay=False), default=None,
              help="Features named as neighbours (streams, roads, forest), with a 'label' column.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--village", default=None, help="Only this village (village_id).")
@click.option("--per-household", is_flag=True, help="One PDF per household (a page per parcel).")
@click.option("--issue-date", default=None,
              help="Issue date YYYY-MM-DD of new certificates; default: today in the district's time zone "
                   "(without --register: the date of the certificates in --out, to resume).")
@click.option("--validity-years", type=click.IntRange(1, 99), default=None,
              help="Validity in years; default the labels' validity_years (3).")
@click.option("--labels", "labels_path", type=click.Path(dir_okay=False), default=None,
              help="Labels TOML (Lao/English wording); default the bundled one.")
@key_file_option
@register_option
@click.option("--timezone", default=None, help="District time zone (default the register's, else Asia/Vientiane).")
@pades_option
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes rendering PDFs in parallel.")
@overwrite_option
@click.pass_context
def certificates(ctx, allocations_path, households_path, villages_path, parcels_path, others_path, out, village,
                 per_household, issue_date, validity_years, labels_path, key_file, register_path, timezone, pades,
                 workers, overwrite):
    """Write bilingual Lao/English land-use certificates (PDF) and their register.

    One A4 PDF per allocated parcel (or per household) in OUT/<village_id>/, with
    register.csv and register.gpkg listing every certificate and its SHA-256 digest.
    An interrupted run resumes: certificates already written and unchanged are kept.
    """
    from landuse import io
    from landuse.certificates import write_certificates

    folder = Path(out)
    if register_path is not None and issue_date is None:
        # with the district register, certificates already issued keep their own dates; new ones get today's
        from landuse.certificates.register import DEFAULT_TIMEZONE, district_today, open_register

        tz = timezone or (open_register(register_path).timezone if Path(register_path).exists() else DEFAULT_TIMEZONE)
        date = district_today(tz)
    else:
        date = _issue_date(issue_date, folder, timezone)
    passphrase = passphrase_for(key_file)
    allocations = io.read_vector(allocations_path, layer="allocations"
                                 if Path(allocations_path).suffix.lower() == ".gpkg" else None, what="allocations")
    households = io.read_households(households_path)
    villages = io.read_villages(villages_path)
    parcels = io.read_parcels(parcels_path) if parcels_path else None
    others = io.read_vector(others_path, what="others") if others_path else None
    quiet = bool(ctx.obj and ctx.obj.get("quiet"))
    res = write_certificates(allocations, households=households, villages=villages, parcels=parcels,
                             out_dir=folder, issue_date=date, overwrite=overwrite, progress=not quiet,
                             village=village, per_household=per_household, validity_years=validity_years,
                             labels=labels_path, key_file=key_file, passphrase=passphrase, register=register_path,
                             timezone=timezone, pades=pades, others=others, workers=workers)
    if not quiet:
        n = len(res.register)
        click.echo(f"{len(res.files)} PDF(s): {res.written} written, {res.skipped} unchanged; issue date {date}; "
                   f"register {res.register_csv} ({n} certificate(s))")
        if key_file is None:
            click.echo("UNSIGNED DRAFTS: no --key-file was given (create a key with `landuse keys init`)")
    for what, why in sorted(res.failed.items()):
        click.echo(f"certificate {what} FAILED: {why}", err=True)
    if res.failed:
        click.echo(f"{len(res.failed)} certificate(s) not issued; see {folder / 'failed.csv'}", err=True)
        ctx.exit(1)


@click.command("verify")
@click.argument("pdfs", nargs=-1, required=True, type=click.Path())
@click.option("--register", "register_path", type=click.Path(dir_okay=False), default=None,
              help="The district register (.gpkg): public keys and state; or a batch's register.csv/.gpkg.")
@click.option("--public-key", "public_keys", multiple=True, type=click.Path(dir_okay=False),
              help="District public key (.pub.pem); repeat for several.")
@click.option("--allow-unsigned", is_flag=True, help="Exit 0 for unsigned drafts that are otherwise unaltered.")
@click.option("--no-qr", is_flag=True, help="Do not decode the QR code (faster; no poppler needed).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Processes verifying files in parallel.")
@click.pass_context
def verify(ctx, pdfs, register_path, public_keys, allow_unsigned, no_qr, workers):
    """Verify certificate PDFs (files or folders, scans too): signature, content, register state.

    Prints per file VALID, UNSIGNED, SUPERSEDED (naming the successor), REVOKED,
    UNKNOWN-KEY or INVALID with each field that differs (holder, area_m2,
    geometry, issue_date, signature, qr...). Exit code 0 when all are VALID (or
    UNSIGNED with --allow-unsigned), 1 otherwise, 2 for a usage error.
    """
    from landuse.certificates import is_district_register, keys, verify_certificates

    register = None
    if register_path is not None:
        if not Path(register_path).is_file():
            raise click.BadParameter(f"{register_path!r} does not exist", param_hint="--register")
        register = register_path
    pkeys = [keys.load_public_key(k) for k in public_keys]
    files: list[Path] = []
    for item in map(Path, pdfs):
        if item.is_dir():
            found = sorted(item.rglob("*.pdf"))
            if not found:
                click.echo(f"{item}: no certificate PDFs in this folder", err=True)
                ctx.exit(1)
            files.extend(found)
        else:
            files.append(item)
    bad = 0
    if register is not None and is_district_register(register):
        results = verify_certificates(files, register=register, public_keys=pkeys, check_qr=not no_qr,
                                      workers=workers)
    else:  # a batch's register.csv (or none): the plain per-file check
        results = ((pdf, _one(pdf, register, pkeys, not no_qr)) for pdf in files)
    for pdf, res in results:
        if isinstance(res, Exception):
            click.echo(f"{Path(pdf).name}: INVALID\n  {res}")
            bad += 1
            continue
        click.echo(str(res))
        ok = res.status == "VALID" or (allow_unsigned and res.status == "UNSIGNED" and res.valid)
        bad += not ok
    if len(files) > 1:
        click.echo(f"{len(files) - bad} of {len(files)} file(s) valid")
    if bad:
        ctx.exit(1)


def _one(pdf: Path, register: Any, pkeys: list, check_qr: bool) -> Any:
    from landuse.certificates import verify_certificate
    from landuse.errors import DataReadError

    try:
        return verify_certificate(pdf, register=register, public_keys=pkeys, check_qr=check_qr)
    except DataReadError as exc:
        return exc


commands = [certificates, verify]
