"""Tests of the fast reader of landuse's own certificate PDFs (``landuse.certificates._pdf.read_own_attachment``).

The oracle is pypdf, a general PDF parser: for every file landuse writes, the fast
reader must give pypdf's attachment bytes and page count; for every other file
(re-saved by another program, signed incrementally, damaged) it must give None so
that verification falls back to pypdf, and it must never raise.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import geopandas as gpd
import pandas as pd
import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

import landuse.certificates.issue
from landuse import certificates
from landuse.certificates import _pdf, keys
from conftest import UTM47, X0, Y0

ISSUE = dt.date(2026, 1, 15)


def _pypdf_view(data: bytes) -> tuple[bytes, int]:
    r = pypdf.PdfReader(io.BytesIO(data))
    return r.attachments["certificate.json"][0], len(r.pages)


@pytest.fixture(scope="module")
def fonts():
    return certificates.issue._fonts()


def _doc(fonts, pages: int, payload: bytes) -> bytes:
    doc = _pdf.Document(*fonts, info={"Title": "t (x) \\ y"})
    for k in range(pages):
        doc.add_page().text(50, 50 + k, f"page {k + 1} ບ້ານ", size=10)
    doc.attach("certificate.json", payload, description="d")
    doc.attach("other.json", b"{}", description="")
    return doc.to_bytes()


@pytest.mark.parametrize("pages", [1, 3])
def test_reads_what_the_writer_wrote_as_pypdf_does(fonts, pages):
    payload = json.dumps({"certificates": [{"no": "V1-1", "name": "ບຸນມີ (x)"}]}, ensure_ascii=False).encode()
    data = _doc(fonts, pages, payload)
    assert _pdf.read_own_attachment(data, "certificate.json") == (payload, pages) == _pypdf_view(data)
    assert _pdf.read_own_attachment(data, "other.json") == (b"{}", pages)
    assert _pdf.read_own_attachment(data, "missing.json") is None


def test_other_layouts_are_left_to_pypdf(fonts, tmp_path):
    data = _doc(fonts, 1, b'{"certificates": []}')
    # re-saved by another program: same content, another layout
    w = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    buf = io.BytesIO()
    w.write(buf)
    assert _pypdf_view(buf.getvalue())[0] == b'{"certificates": []}'
    assert _pdf.read_own_attachment(buf.getvalue(), "certificate.json") is None
    # an incremental update (what a PAdES signature appends) hides the first table
    appended = data + b"5 0 obj\n<< >>\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 6 /Prev 1 >>\n" \
                      b"startxref\n" + str(len(data)).encode() + b"\n%%EOF\n"
    assert _pdf.read_own_attachment(appended, "certificate.json") is None
    assert _pdf.read_own_attachment(data[:-1], "certificate.json") is None
    assert _pdf.read_own_attachment(b"", "certificate.json") is None


def test_declared_sizes_must_match_the_stream(fonts):
    payload = b'{"certificates": [{"certificate_no": "V1-1"}]}'
    data = _doc(fonts, 1, payload)
    size = f"/Params << /Size {len(payload)} >>".encode()
    assert data.count(size) == 1
    wrong = data.replace(size, f"/Params << /Size {len(payload) + 1} >>".encode())
    assert _pdf.read_own_attachment(wrong, "certificate.json") is None
    i = data.index(size)
    j = data.index(b"/Length ", i) + len(b"/Length ")
    k = data.index(b">>", j)
    shorter = data[:j] + str(int(data[j:k]) - 1).encode() + data[k:]
    assert _pdf.read_own_attachment(shorter, "certificate.json") is None


@settings(max_examples=150, deadline=None)
@given(pos=st.floats(0, 1, exclude_max=True), value=st.integers(0, 255))
def test_a_changed_byte_never_raises_nor_misreads(fonts, pos, value):
    payload = b'{"certificates": [{"certificate_no": "V1-1"}]}'
    data = bytearray(_doc(fonts, 1, payload))
    i = int(pos * len(data))
    data[i] = value
    got = _pdf.read_own_attachment(bytes(data), "certificate.json")
    if got is not None:  # the byte was in a part the reader does not need (page, fonts): same answer
        assert got == (payload, 1)


# -- verification through the fast reader and through pypdf ------------------------------------
def _alloc():
    return gpd.GeoDataFrame(
        {"parcel_id": ["V1-P1", "V1-P2"], "household_id": ["H1", "H1"], "village_id": ["V1", "V1"],
         "land_type": ["paddy", "upland"], "certificate_no": ["V1-PD-0001", "V1-UP-0001"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)], crs=UTM47)


_HH = pd.DataFrame({"household_id": ["H1"], "village_id": ["V1"], "head_name": ["Bounmy"],
                    "head_name_lo": ["ບຸນມີ"]})
_VIL = pd.DataFrame({"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"], "district_en": ["Xay"]})


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    d = tmp_path_factory.mktemp("read")
    info = keys.init_keys(d / "k.pem")
    res = certificates.write_certificates(_alloc(), households=_HH, villages=_VIL, out_dir=d / "out",
                                          issue_date=ISSUE, key_file=info.private_path,
                                          register=d / "register.gpkg")
    return res, d / "register.gpkg"


def test_fast_path_verifies_and_pypdf_agrees(signed, monkeypatch):
    res, register = signed
    data = res.files[0].read_bytes()
    assert _pdf.read_own_attachment(data, certificates.issue.ATTACHMENT) == _pypdf_view(data)
    fast = certificates.verify_certificate(res.files[0], register=register, check_qr=False, check_text=True)
    monkeypatch.setattr(_pdf, "read_own_attachment", lambda data, name: None)  # force pypdf
    slow = certificates.verify_certificate(res.files[0], register=register, check_qr=False, check_text=True)
    assert fast.status == slow.status == "VALID"
    assert (fast.certificates, fast.problems, fast.notes) == (slow.certificates, slow.problems, slow.notes)


def test_a_flipped_byte_outside_the_attachment_still_fails(signed, tmp_path):
    res, register = signed
    data = bytearray(res.files[0].read_bytes())
    i = data.index(b"/Producer (landuse)") + len(b"/Producer (")  # metadata, not read by the fast reader
    data[i] = ord("L")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    assert _pdf.read_own_attachment(bytes(data), certificates.issue.ATTACHMENT) is not None
    v = certificates.verify_certificate(bad, register=register, check_qr=False, check_text=False)
    assert v.status == "INVALID" and "pdf_sha256" in v.fields


def test_pades_signed_certificate_verifies_through_pypdf(tmp_path):
    pytest.importorskip("pyhanko")
    info = keys.init_keys(tmp_path / "k.pem")
    res = certificates.write_certificates(_alloc().iloc[:1], households=_HH, villages=_VIL, out_dir=tmp_path / "out",
                                          issue_date=ISSUE, key_file=info.private_path,
                                          register=tmp_path / "register.gpkg", pades=True)
    data = res.files[0].read_bytes()
    assert _pdf.read_own_attachment(data, certificates.issue.ATTACHMENT) is None  # incremental update: pypdf reads it
    v = certificates.verify_certificate(res.files[0], register=tmp_path / "register.gpkg", check_qr=False,
                                        check_text=False)
    assert v.status == "VALID", str(v)


# -- the worker pool started before the register is built ---------------------------------------
def _wait_no_children(seconds: float = 60.0) -> list:
    import multiprocessing as mp
    import time

    end = time.monotonic() + seconds
    while mp.active_children() and time.monotonic() < end:
        time.sleep(0.2)
    return mp.active_children()


@pytest.mark.slow
def test_early_workers_end_when_the_register_cannot_be_built(tmp_path):
    import gc

    from landuse.errors import SchemaError

    assert _wait_no_children() == []
    bad = _alloc().assign(household_id=["H1", "H9"])  # H9 is not a household
    with pytest.raises(SchemaError, match="H9"):
        certificates.write_certificates(bad, households=_HH, villages=_VIL, out_dir=tmp_path / "out",
                                        issue_date=ISSUE, workers=2)
    gc.collect()
    assert _wait_no_children() == []
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pdf"))


@pytest.mark.slow
def test_early_workers_write_the_same_bytes_as_one_process(tmp_path):
    one = certificates.write_certificates(_alloc(), households=_HH, villages=_VIL, out_dir=tmp_path / "one",
                                          issue_date=ISSUE)
    two = certificates.write_certificates(_alloc(), households=_HH, villages=_VIL, out_dir=tmp_path / "two",
                                          issue_date=ISSUE, workers=2)
    assert [p.read_bytes() for p in one.files] == [p.read_bytes() for p in two.files]
    assert one.register_csv.read_bytes() == two.register_csv.read_bytes()
    assert _wait_no_children() == []
