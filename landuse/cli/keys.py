"""``landuse keys``: the district's signing key pair, and the offline verifier page."""

from __future__ import annotations

import os
from pathlib import Path

import click

from landuse.cli._common import overwrite_option


@click.group("keys")
def keys_group() -> None:
    """District signing keys (ECDSA P-256) for land-use certificates."""


@keys_group.command("init")
@click.argument("key_file", type=click.Path(dir_okay=False))
@click.option("--passphrase/--no-passphrase", default=False,
              help="Encrypt the private key with a passphrase (asked twice, or $LANDUSE_KEY_PASSPHRASE).")
@overwrite_option
def init(key_file: str, passphrase: bool, overwrite: bool) -> None:
    """Create KEY_FILE (private key, owner-only) and KEY_FILE's .pub.pem (public key)."""
    from landuse.certificates import keys

    secret = None
    if passphrase:
        secret = os.environ.get(keys.PASSPHRASE_ENV) or click.prompt(
            "Passphrase", hide_input=True, confirmation_prompt=True, err=True)
    info = keys.init_keys(key_file, passphrase=secret, overwrite=overwrite)
    click.echo(f"private key  {info.private_path} (mode 0600: keep it secret, back it up offline)")
    click.echo(f"public key   {info.public_path} (share it: banks, verifier page)")
    click.echo(f"key id       {info.key_id}")
    click.echo(f"fingerprint  SHA-256 {info.fingerprint}")


@keys_group.command("show")
@click.argument("key_file", type=click.Path(dir_okay=False))
def show(key_file: str) -> None:
    """Print the key id and fingerprint of a public (or private) key file."""
    from landuse.certificates import keys

    path = Path(key_file)
    if b"PRIVATE KEY" in path.read_bytes()[:200]:
        from landuse.cli.certificates import passphrase_for

        pub = keys.load_private_key(path, passphrase=passphrase_for(key_file)).public_key()
    else:
        pub = keys.load_public_key(path)
    click.echo(f"key id       {keys.key_id(pub)}")
    click.echo(f"fingerprint  SHA-256 {keys._fingerprint(pub)}")


@keys_group.command("verifier-page")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--public-key", "public_keys", multiple=True, type=click.Path(dir_okay=False),
              help="District public key (.pub.pem); repeat for several.")
@click.option("--register", "register_path", type=click.Path(dir_okay=False), default=None,
              help="Take the public keys stored in the district register.")
@click.option("--label", default="", help="Name shown for the keys given with --public-key (the district).")
@overwrite_option
def verifier_page(out: str, public_keys: tuple[str, ...], register_path: str | None, label: str,
                  overwrite: bool) -> None:
    """Write OUT.html: an offline page that checks certificate QR codes on a phone."""
    from landuse.certificates import keys, write_verifier_page

    entries = []
    for k in public_keys:
        pub = keys.load_public_key(k)
        entries.append({"key_id": keys.key_id(pub), "spki_der_b64": keys.public_key_spki_b64(pub),
                        "label": label or Path(k).name})
    if register_path:
        from landuse.certificates.register import open_register

        entries.extend(open_register(register_path).public_key_rows())
    if not entries:
        raise click.UsageError("give --public-key or --register (the keys the page trusts)")
    seen: dict[str, dict] = {}
    for e in entries:
        seen.setdefault(e["key_id"], e)
    path = write_verifier_page(list(seen.values()), out, overwrite=overwrite)
    click.echo(f"verifier page {path} ({len(seen)} key(s)); copy it to the phones, it works offline")


command = keys_group
