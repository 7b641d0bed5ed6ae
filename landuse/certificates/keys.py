"""District signing keys and the signed QR record of a certificate.

A district signs every certificate it issues with its private key; anyone holding
the district's *public* key (a bank, a neighbour's phone with the offline verifier
page, the district office) checks the certificate without the register.

* :func:`init_keys` makes a key pair: the private key as PEM (PKCS #8, optionally
  encrypted with a passphrase), readable by its owner only (mode 0600), and the
  public key beside it (``<name>.pub.pem``);
* :func:`load_private_key` refuses a key file that group or others can read, a wrong
  passphrase and a missing file, each with a one-line error and the fix;
* :func:`seal` turns a certificate's record into the QR text
  ``LUC1.<record>.<signature>`` and :func:`open_seal` checks one.

Scheme: ECDSA on the NIST P-256 curve with SHA-256 [1]_, deterministic nonces [2]_
(the same record and key give the same bytes: reruns are byte-identical), signature
as the raw 64-byte ``r || s`` of IEEE P1363, which browsers' WebCrypto verifies
natively on phones (Ed25519 reached WebCrypto only in 2025). The key id is the first
16 hex characters of the SHA-256 of the public key's DER SubjectPublicKeyInfo [3]_.

The record is canonical JSON (UTF-8, keys sorted, separators ``,`` and ``:``, all
strings NFC-normalised): ``v`` (1), ``no`` (certificate number), ``pid`` (parcel),
``vil``/``vn`` (village code, "Lao / English" name), ``dis`` (district), ``h``
(holders as ``[name_lo, name_en]`` pairs), ``hid`` (household), ``lt`` (land
type), ``a`` (area [ha] with 4 decimals, a string), ``iss``/``exp`` (issue and
valid-until dates, district time zone), ``g`` (geometry hash,
:func:`landuse.certificates._digest.geometry_hash`) and ``k`` (key id). Only this legal content
is signed: neighbour names are printed on the certificate for information, so
correcting one household's name re-issues only that household's certificates.
Without a key the QR text is ``LUD1.<record>`` (an unsigned draft, ``k`` empty).

References
----------
.. [1] NIST FIPS 186-4, *Digital Signature Standard (DSS)*, 2013; SEC 1 v2,
   *Elliptic Curve Cryptography*, Certicom Research, 2009.
.. [2] RFC 6979, *Deterministic Usage of DSA and ECDSA*, 2013.
.. [3] RFC 5280, *Internet X.509 PKI Certificate and CRL Profile*, section 4.1.2.7
   (SubjectPublicKeyInfo), 2008.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> info = init_keys(d / "district.pem")
>>> key = load_private_key(d / "district.pem")
>>> rec = {"v": 1, "no": "V1-2026-000001", "pid": "P1", "h": [["ບຸນມີ", "Bounmy"]]}
>>> text = seal(rec, key)
>>> text.startswith("LUC1.")
True
>>> opened = open_seal(text, [load_public_key(info.public_path)])
>>> opened.status, opened.record["no"], opened.record["k"] == info.key_id
('SIGNED', 'V1-2026-000001', True)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landuse.errors import KeyFileError, OutputExistsError

__all__ = [
    "PASSPHRASE_ENV",
    "KeyInfo",
    "Seal",
    "canonical_record",
    "init_keys",
    "key_id",
    "load_private_key",
    "load_public_key",
    "open_seal",
    "public_key_spki_b64",
    "seal",
]

#: Environment variable holding the passphrase of the private key (instead of a prompt).
PASSPHRASE_ENV = "LANDUSE_KEY_PASSPHRASE"
SIGNED_PREFIX = "LUC1"
UNSIGNED_PREFIX = "LUD1"


@dataclass(frozen=True)
class KeyInfo:
    """What :func:`init_keys` wrote: paths, key id and SHA-256 fingerprint of the public key."""

    private_path: Path
    public_path: Path
    key_id: str
    fingerprint: str


@dataclass(frozen=True)
class Seal:
    """A decoded QR text: ``status`` is ``SIGNED``, ``UNSIGNED``, ``BAD-SIGNATURE`` or ``UNKNOWN-KEY``."""

    status: str
    record: dict[str, Any]
    record_bytes: bytes
    key_id: str


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _spki(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(public_key: Any) -> str:
    """Key id: first 16 hex of SHA-256 of the public key's DER SubjectPublicKeyInfo."""
    if hasattr(public_key, "public_key"):
        public_key = public_key.public_key()
    return hashlib.sha256(_spki(public_key)).hexdigest()[:16]


def public_key_spki_b64(public_key: Any) -> str:
    """The public key as base64 DER SubjectPublicKeyInfo (what the verifier page embeds)."""
    if hasattr(public_key, "public_key"):
        public_key = public_key.public_key()
    return base64.b64encode(_spki(public_key)).decode("ascii")


def _fingerprint(public_key: Any) -> str:
    h = hashlib.sha256(_spki(public_key)).hexdigest()
    return ":".join(h[i:i + 4] for i in range(0, 64, 4))


def _nfc(value: Any) -> Any:
    import unicodedata

    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)  # ASCII is NFC already
    if isinstance(value, (list, tuple)):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


def canonical_record(record: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of a record (sorted keys, compact, UTF-8, NFC strings).

    >>> canonical_record({"b": "x", "a": 1})
    b'{"a":1,"b":"x"}'
    """
    return json.dumps(_nfc(record), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def init_keys(path: str | os.PathLike, *, passphrase: str | None = None, overwrite: bool = False) -> KeyInfo:
    """Create a district key pair: *path* (private, mode 0600) and ``<stem>.pub.pem``.

    Parameters
    ----------
    path : path-like
        Private key file to write (PEM, PKCS #8).
    passphrase : str, optional
        Encrypts the private key (best available PKCS #8 encryption).
    overwrite : bool, default False
        Replace existing files (never done silently: a lost key cannot be recovered).

    Returns
    -------
    KeyInfo
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    priv_path = Path(path)
    pub_path = priv_path.with_name(priv_path.stem + ".pub.pem")
    for p in (priv_path, pub_path):
        if p.exists() and not overwrite:
            raise OutputExistsError("a key file exists already", source=str(p),
                                    hint="choose another file name; replacing a key makes every certificate "
                                         "signed with it unverifiable")
    priv_path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    enc = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
           else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    tmp = priv_path.with_name(f".{priv_path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, priv_path)
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pub_tmp = pub_path.with_name(f".{pub_path.name}.tmp")
    pub_tmp.write_bytes(pub)
    os.replace(pub_tmp, pub_path)
    return KeyInfo(priv_path, pub_path, key_id(key.public_key()), _fingerprint(key.public_key()))


def load_private_key(path: str | os.PathLike, *, passphrase: str | None = None) -> Any:
    """The district private key from a PEM file (refuses a file group or others can read).

    The passphrase is *passphrase*, else ``$LANDUSE_KEY_PASSPHRASE``.

    Raises
    ------
    KeyFileError
        Missing file, permissions wider than 0600, a passphrase missing or wrong, not
        an ECDSA P-256 key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p = Path(path)
    if not p.is_file():
        raise KeyFileError("private key file not found", source=str(p),
                        hint="give the key written by `landuse keys init`, or create one with it")
    mode = stat.S_IMODE(p.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(f"private key is readable by others (mode {mode:04o})", source=str(p),
                        hint=f"chmod 600 {p}")
    if passphrase is None:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
    data = p.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=passphrase.encode("utf-8") if passphrase else None)
    except TypeError as exc:
        if passphrase:
            raise KeyFileError("the key is not encrypted but a passphrase was given", source=str(p),
                            hint=f"unset {PASSPHRASE_ENV}") from exc
        raise KeyFileError("the private key needs its passphrase", source=str(p),
                        hint=f"type it when asked, or set {PASSPHRASE_ENV}") from exc
    except ValueError as exc:
        if b"ENCRYPTED" in data:
            raise KeyFileError("wrong passphrase for the private key", source=str(p),
                            hint=f"give the passphrase chosen at `landuse keys init` ({PASSPHRASE_ENV})") from exc
        raise KeyFileError("not a PEM private key", source=str(p),
                        hint="give the key file written by `landuse keys init`") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise KeyFileError("not an ECDSA P-256 key", source=str(p), hint="create one with `landuse keys init`")
    return key


def key_needs_passphrase(path: str | os.PathLike) -> bool:
    """True when the PEM file at *path* is encrypted."""
    try:
        return b"ENCRYPTED" in Path(path).read_bytes()
    except OSError:
        return False


def load_public_key(path: str | os.PathLike) -> Any:
    """A public key (PEM SubjectPublicKeyInfo, or the private key file whose public half is wanted)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p = Path(path)
    if not p.is_file():
        raise KeyFileError("public key file not found", source=str(p),
                        hint="give the .pub.pem written by `landuse keys init`")
    try:
        key = serialization.load_pem_public_key(p.read_bytes())
    except ValueError as exc:
        raise KeyFileError("not a PEM public key", source=str(p),
                        hint="give the .pub.pem written by `landuse keys init`") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFileError("not an ECDSA P-256 public key", source=str(p), hint="give the district's .pub.pem")
    return key


def public_key_from_spki_b64(text: str) -> Any:
    """The public key from base64 DER SubjectPublicKeyInfo (as stored in the register)."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_public_key(base64.b64decode(text))


def seal(record: dict[str, Any], private_key: Any | None) -> str:
    """QR text of *record*: ``LUC1.<b64url record>.<b64url r||s>``, or ``LUD1.<record>`` without a key.

    The record's ``k`` is set to the key id (``""`` without a key) before signing.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    rec = dict(record)
    if private_key is None:
        rec["k"] = ""
        return f"{UNSIGNED_PREFIX}.{_b64u(canonical_record(rec))}"
    rec["k"] = key_id(private_key.public_key())
    data = canonical_record(rec)
    der = private_key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return f"{SIGNED_PREFIX}.{_b64u(data)}.{_b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def open_seal(text: str, public_keys: Any = ()) -> Seal:
    """Decode and check a QR text against the district public keys.

    Parameters
    ----------
    text : str
        ``LUC1.…`` or ``LUD1.…``.
    public_keys : iterable of public keys, or dict key id → public key

    Returns
    -------
    Seal
        ``SIGNED`` (signature good), ``UNSIGNED`` (a draft), ``BAD-SIGNATURE`` or
        ``UNKNOWN-KEY`` (no public key with the record's ``k``).

    Raises
    ------
    ValueError
        Text that is not a certificate QR payload.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    parts = text.strip().split(".")
    if parts[0] not in (SIGNED_PREFIX, UNSIGNED_PREFIX) or len(parts) != (3 if parts[0] == SIGNED_PREFIX else 2):
        raise ValueError(f"not a signed certificate QR payload: {text[:40]!r}")
    try:
        data = _unb64u(parts[1])
        record = json.loads(data.decode("utf-8"))
        sig = _unb64u(parts[2]) if len(parts) == 3 else b""
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"damaged certificate QR payload: {exc}") from exc
    if not isinstance(record, dict):
        raise ValueError("damaged certificate QR payload: the record is not an object")
    kid = str(record.get("k", ""))
    if parts[0] == UNSIGNED_PREFIX:
        return Seal("UNSIGNED", record, data, kid)
    keys = public_keys if isinstance(public_keys, dict) else {key_id(k): k for k in public_keys}
    pub = keys.get(kid)
    if pub is None:
        return Seal("UNKNOWN-KEY", record, data, kid)
    if len(sig) != 64:
        return Seal("BAD-SIGNATURE", record, data, kid)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        pub.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return Seal("BAD-SIGNATURE", record, data, kid)
    return Seal("SIGNED", record, data, kid)
