"""Optional PAdES signature of certificate PDFs, with pyHanko (private).

For land registries and banks that require a signed PDF, :func:`sign_pdf_pades` adds
a PAdES baseline B-B signature (ETSI EN 319 142-1; CMS subfilter
``ETSI.CAdES.detached``, SHA-256, no time stamp) to a certificate PDF as an
incremental update: the bytes of the original PDF stay unchanged in front and the
signature covers them all. The signature field has a visible stamp whose text,
Lao first, is set with a Lao OpenType font through pyHanko's HarfBuzz text support
(``pip install "landuse[pades]"``, i.e. ``pyhanko[opentype]``), so Lao vowels and
tone marks are shaped, not dropped.

:func:`self_signed_certificate` makes an X.509 certificate for the district's ECDSA
P-256 key, for offices that have no certificate from a certification authority.
Such a signature proves that the PDF was not changed since the key signed it
(integrity); it does not prove to a stranger *who* signed it, unless the
certificate is issued by a recognised certification authority or the reader trusts
the district certificate it was given directly. ``docs/certificates.md`` says when to
use the QR signature and when PAdES.

References
----------
.. [1] ETSI EN 319 142-1 V1.1.1, "PAdES digital signatures; Part 1: Building blocks
   and PAdES baseline signatures", 2016.
.. [2] M. Valvekens, pyHanko documentation, "Signing functionality".
   https://pyhanko.readthedocs.io/
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io as _io
import os
from pathlib import Path
from typing import Any

from landuse.io import atomic_output
from landuse.certificates._fonts import find_lao_font
from landuse.errors import LanduseError, SchemaError

__all__: list[str] = []

#: Default place of the visible stamp on the first page: x1, y1, x2, y2 [pt], from the
#: bottom-left corner; inside the district officer's box of an A4 certificate, below its
#: titles (the box ends at a fixed height above the footer: ``_layout.FOOTER_H``).
DEFAULT_STAMP_BOX = (398, 96, 556, 130)

_FIELD = "LanduseDistrictSignature"


def _need_pyhanko() -> None:
    try:
        import pyhanko  # noqa: F401
        from pyhanko.pdf_utils.font import opentype  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise LanduseError("PAdES signing needs pyHanko with OpenType support",
                           hint='pip install "landuse[pades]" (pyhanko[opentype])') from exc


def self_signed_certificate(private_key: Any, *, district: str, valid_days: int = 3650,
                            not_before: _dt.datetime | None = None) -> Any:
    """A self-signed X.509 signing certificate for a district's ECDSA P-256 key.

    The fields are fixed by the inputs, so the same key, district and start give
    the same certificate bytes: subject and issuer ``CN=<district>, OU=District
    Agriculture and Forestry Office, C=LA``; serial number from SHA-256 of the public
    key; key usage digital signature and non-repudiation; deterministic ECDSA
    (RFC 6979) over SHA-256.

    Parameters
    ----------
    private_key : cryptography.hazmat.primitives.asymmetric.ec.EllipticCurvePrivateKey
        The district key, on curve P-256 (SECP256R1).
    district : str
        District name as it should appear in the certificate (1 to 64 characters).
    valid_days : int, default 3650
        Validity from ``not_before``. [days]
    not_before : datetime.datetime, optional
        Start of validity (UTC); default today at 00:00 UTC.

    Returns
    -------
    cryptography.x509.Certificate

    Raises
    ------
    SchemaError
        Not a P-256 key, an empty or too long district name, or ``valid_days`` < 1.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if not (isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1)):
        raise SchemaError("the key is not an ECDSA P-256 private key", source="private_key",
                          hint="use the district key written by landuse keys init")
    district = str(district).strip()
    if not 1 <= len(district) <= 64:
        raise SchemaError(f"district name must have 1 to 64 characters, got {len(district)}", source="district",
                          hint="give the district name, e.g. 'Xay' or 'ໄຊ'")
    if int(valid_days) < 1:
        raise SchemaError(f"valid_days must be at least 1, got {valid_days}", source="valid_days",
                          hint="give the validity in days, e.g. 3650")
    start = not_before or _dt.datetime.now(_dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if start.tzinfo is None:
        start = start.replace(tzinfo=_dt.UTC)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, district),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "District Agriculture and Forestry Office"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "LA"),
    ])
    public = private_key.public_key()
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    serial = int.from_bytes(hashlib.sha256(spki).digest()[:19], "big") | 1  # positive, < 2**152
    builder = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(public).serial_number(serial)
        .not_valid_before(start).not_valid_after(start + _dt.timedelta(days=int(valid_days)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    return builder.sign(private_key, hashes.SHA256(), ecdsa_deterministic=True)


def _percent(text: str) -> str:
    """Protect ``%`` from pyHanko's stamp-text interpolation."""
    return str(text).replace("%", "%%")


def sign_pdf_pades(pdf_bytes: bytes, *, private_key: Any, certificate: Any, reason: str, location: str,
                   stamp_lao: str, stamp_en: str, font_path: str | os.PathLike | None = None,
                   page: int = 0, box: tuple[float, float, float, float] = DEFAULT_STAMP_BOX) -> bytes:
    """Sign a PDF with a PAdES baseline B-B signature and a visible Lao/English stamp.

    Parameters
    ----------
    pdf_bytes : bytes
        The PDF to sign (e.g. a certificate of :func:`landuse.certificates.render_certificates`).
    private_key : EllipticCurvePrivateKey
        The district's ECDSA P-256 key.
    certificate : cryptography.x509.Certificate
        The signing certificate of that key (:func:`self_signed_certificate`, or one
        issued by a certification authority).
    reason, location : str
        Recorded in the signature dictionary (``/Reason``, ``/Location``).
    stamp_lao, stamp_en : str
        Stamp text, Lao first; the signer's name and the signing time (UTC) follow.
    font_path : path-like, optional
        An OpenType font with Lao and Latin glyphs; default
        :func:`landuse.certificates.find_lao_font`.
    page : int, default 0
        Page of the stamp (0 = first).
    box : (x1, y1, x2, y2), default :data:`DEFAULT_STAMP_BOX`
        Stamp rectangle from the page's bottom-left corner. [pt]

    Returns
    -------
    bytes
        The signed PDF: *pdf_bytes* unchanged, followed by an incremental update.

    Raises
    ------
    SchemaError
        The certificate does not belong to the key.
    LanduseError
        The input is not a readable PDF, or pyHanko is missing.

    Notes
    -----
    Unlike the rest of ``landuse``'s outputs, a signed PDF is not byte-reproducible:
    the signature carries its signing time (also printed on the stamp) and ECDSA
    inside CMS uses a random nonce. The signed content itself (the original PDF)
    is unchanged and stays reproducible. Percent signs in the stamp texts are
    printed as they are.
    """
    _need_pyhanko()
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(*spki) != private_key.public_key().public_bytes(*spki):
        raise SchemaError("the certificate is not the certificate of this key", source="certificate",
                          hint="make it with self_signed_certificate(key, ...) or use the key it was issued for")
    if font_path is None:
        font_path = find_lao_font()
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    key = asn1_keys.PrivateKeyInfo.load(private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([cert]))
    meta = signers.PdfSignatureMetadata(
        field_name=_FIELD, md_algorithm="sha256", reason=str(reason), location=str(location),
        subfilter=fields.SigSeedSubFilter.PADES)
    style = TextStampStyle(
        stamp_text=f"{_percent(stamp_lao)}\n{_percent(stamp_en)}\n%(signer)s\n%(ts)s",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(font_path), font_size=7), font_size=7,
                                    leading=9),
        border_width=1, timestamp_format="%Y-%m-%d %H:%M UTC")
    try:
        writer = IncrementalPdfFileWriter(_io.BytesIO(pdf_bytes), strict=False)
    except (PdfReadError, ValueError, IndexError) as exc:
        raise LanduseError(f"not a readable PDF ({exc})", source="pdf_bytes",
                           hint="give the bytes of a certificate PDF") from exc
    pdf_signer = signers.PdfSigner(
        meta, signer, stamp_style=style,
        new_field_spec=fields.SigFieldSpec(_FIELD, on_page=page, box=tuple(int(round(v)) for v in box)))  # type: ignore[arg-type]
    out = _io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


def write_signed_pdf(pdf_path: str | os.PathLike, out_path: str | os.PathLike, *, overwrite: bool = False,
                     **kwargs: Any) -> Path:
    """Sign the PDF at *pdf_path* with :func:`sign_pdf_pades` and write it atomically to *out_path*."""
    data = sign_pdf_pades(Path(pdf_path).read_bytes(), **kwargs)
    with atomic_output(Path(out_path), overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(out_path)
