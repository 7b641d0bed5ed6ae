"""PAdES signatures of certificate PDFs (pyHanko), checked with pyHanko's own validator."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from landuse import certificates
from landuse.certificates._pades import DEFAULT_STAMP_BOX, self_signed_certificate, sign_pdf_pades, write_signed_pdf
from landuse.errors import LanduseError, OutputExistsError, SchemaError
from conftest import have
from test_certificates import _allocations, _households, _parcels, _villages

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STAMP_LAO = "ລົງລາຍເຊັນໂດຍ ຫ້ອງການກະສິກຳ ແລະ ປ່າໄມ້ ເມືອງໄຊ"
STAMP_EN = "Signed by Xay DAFO 100%"


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def pdf():
    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            parcels=_parcels(), issue_date="2026-01-15")
    return certificates.render_certificates(reg.iloc[:1])


@pytest.fixture(scope="module")
def signed(pdf, key):
    cert = self_signed_certificate(key, district="ໄຊ Xay", not_before=START)
    data = sign_pdf_pades(pdf, private_key=key, certificate=cert, reason="Land-use certificate",
                          location="Xay, Oudomxay", stamp_lao=STAMP_LAO, stamp_en=STAMP_EN)
    return cert, data


def _validate(data: bytes, cert):
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    trust = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    sig = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    return sig, validate_pdf_signature(sig, ValidationContext(trust_roots=[trust]))


def test_certificate_fields_are_deterministic(key):
    a = self_signed_certificate(key, district="ໄຊ Xay", not_before=START)
    b = self_signed_certificate(key, district="ໄຊ Xay", not_before=START)
    assert a.public_bytes(serialization.Encoding.DER) == b.public_bytes(serialization.Encoding.DER)
    assert a.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "ໄຊ Xay"
    assert a.subject == a.issuer and a.not_valid_after_utc - a.not_valid_before_utc == dt.timedelta(days=3650)
    assert a.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    a.public_key().verify(a.signature, a.tbs_certificate_bytes, ec.ECDSA(a.signature_hash_algorithm))


def test_bad_keys_and_names_are_refused(key, pdf):
    with pytest.raises(SchemaError, match="not an ECDSA P-256"):
        self_signed_certificate(ec.generate_private_key(ec.SECP384R1()), district="Xay")
    with pytest.raises(SchemaError, match="1 to 64 characters"):
        self_signed_certificate(key, district="  ")
    other = self_signed_certificate(ec.generate_private_key(ec.SECP256R1()), district="Xay", not_before=START)
    with pytest.raises(SchemaError, match="not the certificate of this key"):
        sign_pdf_pades(pdf, private_key=key, certificate=other, reason="r", location="l", stamp_lao="ກ",
                       stamp_en="a")
    with pytest.raises(LanduseError, match="not a readable PDF"):
        sign_pdf_pades(b"not a pdf", private_key=key,
                       certificate=self_signed_certificate(key, district="Xay", not_before=START),
                       reason="r", location="l", stamp_lao="ກ", stamp_en="a")


def test_signature_is_intact_pades_and_names_the_signer(signed, pdf):
    from pyhanko.sign.validation import SignatureCoverageLevel

    cert, data = signed
    assert data[:len(pdf)] == pdf  # an incremental update: the original bytes are untouched
    sig, status = _validate(data, cert)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.dump() == cert.public_bytes(serialization.Encoding.DER)
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    assert sig.sig_object["/Reason"] == "Land-use certificate"
    assert status.md_algorithm == "sha256"


def test_one_flipped_byte_breaks_integrity(signed, pdf):
    cert, data = signed
    at = pdf.index(b"stream", len(pdf) // 2) + 40  # inside a content stream: the file still parses
    tampered = bytearray(data)
    tampered[at] ^= 0x01
    _, status = _validate(bytes(tampered), cert)
    # the digest no longer matches; the CMS signature over the signed attributes still
    # does (pyHanko's "valid"), so the overall verdict is the test
    assert not status.intact and not status.bottom_line


def test_another_district_certificate_is_not_trusted(signed):
    _, data = signed
    stranger = self_signed_certificate(ec.generate_private_key(ec.SECP256R1()), district="Xay", not_before=START)
    _, status = _validate(data, stranger)
    assert status.intact and not status.trusted  # integrity without identity


@pytest.mark.poppler
@pytest.mark.skipif(not (have("pdftoppm") and have("pdftotext") and have("pdffonts")),
                    reason="poppler-utils is not installed")
def test_stamp_is_visible_and_carries_lao_text(signed, pdf, tmp_path):
    from PIL import Image

    _, data = signed
    (tmp_path / "s.pdf").write_bytes(data)
    (tmp_path / "u.pdf").write_bytes(pdf)
    for name in ("s", "u"):
        subprocess.run(["pdftoppm", "-r", "72", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
                        str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    signed_px = np.asarray(Image.open(tmp_path / "s.png").convert("L"), dtype=int)
    plain_px = np.asarray(Image.open(tmp_path / "u.png").convert("L"), dtype=int)
    h = signed_px.shape[0]
    x1, y1, x2, y2 = DEFAULT_STAMP_BOX
    inner = (slice(h - y2 + 3, h - y1 - 3), slice(x1 + 3, x2 - 3))  # inside the stamp's border
    assert (plain_px[inner] > 200).all()  # blank before signing
    dark = (signed_px[inner] < 128).mean()
    assert 0.005 < dark < 0.5  # text, not blank, not a black box
    inked_rows = (signed_px[inner] < 128).any(axis=1)
    lines = int(inked_rows[0]) + int(np.sum(inked_rows[1:] & ~inked_rows[:-1]))
    assert lines >= 3  # Lao line, English line, signer and time
    # the text is really Lao (shaped glyphs with a ToUnicode map), next to the English
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-x", str(x1), "-y", str(int(h - y2)),
                           "-W", str(x2 - x1), "-H", str(y2 - y1), "-layout", str(tmp_path / "s.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert "Signed by Xay DAFO 100%" in text
    assert STAMP_LAO in text  # every vowel and tone mark, in order

    def lao_fonts(name):
        out = subprocess.run(["pdffonts", str(tmp_path / name)], check=True, capture_output=True, text=True).stdout
        return [line for line in out.splitlines() if "NotoSansLao" in line]

    assert len(lao_fonts("s.pdf")) == len(lao_fonts("u.pdf")) + 1  # the stamp's own embedded Lao font


def test_write_signed_pdf_is_atomic_and_keeps_outputs(signed, pdf, key, tmp_path):
    cert, _ = signed
    src = tmp_path / "c.pdf"
    src.write_bytes(pdf)
    kw = dict(private_key=key, certificate=cert, reason="r", location="l", stamp_lao="ກ", stamp_en="a")
    out = write_signed_pdf(src, tmp_path / "c_signed.pdf", **kw)
    assert out.read_bytes()[:len(pdf)] == pdf and src.read_bytes() == pdf
    with pytest.raises(OutputExistsError):
        write_signed_pdf(src, out, **kw)
