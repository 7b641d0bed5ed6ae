"""Tests of landuse.certificates: register, digest, PDFs, batch, verification, CLI.

Hand-computable fixture: six 100 m x 100 m parcels (exactly 1 ha = 10 000 m² each)
in a 3 x 2 block, allocated to two households with Lao names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

import landuse.certificates.issue
from landuse import certificates

from landuse.certificates import _digest, _fonts
from landuse.errors import CRSError, DataReadError, GeometryError, OutputExistsError, RuleError, SchemaError
from conftest import UTM47, X0, Y0, have, square

ISSUE = dt.date(2026, 1, 15)
HEAD_LO = "ສີສະຫວາດ ແກ້ວພິລາ"
SPOUSE_LO = "ວິໄລວັນ ແກ້ວພິລາ"

_skip_poppler = pytest.mark.skipif(not (have("pdftoppm") and have("pdftotext") and have("pdffonts")),
                                   reason="poppler-utils (pdftoppm, pdftotext, pdffonts) is not installed")
_skip_qpdf = pytest.mark.skipif(not have("qpdf"), reason="qpdf is not installed")


def needs_poppler(f):
    return pytest.mark.poppler(_skip_poppler(f))


def needs_qpdf(f):
    return pytest.mark.poppler(_skip_qpdf(f))


def _households() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["H1", "H2"], "village_id": ["V1", "V1"],
        "head_name": ["Sisavath Keophila", "Khammany Luangrath"],
        "head_name_lo": [HEAD_LO, "ຄຳມະນີ ຫຼວງລາດ"],
        "spouse_name": ["Vilayvanh Keophila", None], "spouse_name_lo": [SPOUSE_LO, None],
        "members": [5, 3], "labour_units": [2.0, 1.5],
    })


def _villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"], "district_en": ["Xay"],
         "district_lo": ["ໄຊ"], "province_en": ["Oudomxai"], "province_lo": ["ອຸດົມໄຊ"]},
        geometry=[box(X0, Y0, X0 + 300, Y0 + 200)], crs=UTM47)


def _parcels() -> gpd.GeoDataFrame:
    geoms = [square(i, j) for j in range(2) for i in range(3)]
    return gpd.GeoDataFrame(
        {"parcel_id": [f"V1-P{k}" for k in range(6)], "village_id": "V1",
         "land_type": ["paddy", "paddy", "upland", "upland", "permanent", "forest"]},
        geometry=geoms, crs=UTM47)


def _allocations() -> gpd.GeoDataFrame:
    p = _parcels().iloc[:5].copy()
    p["household_id"] = ["H1", "H2", "H1", "H2", "H1"]
    p["certificate_no"] = ["V1-PD-0001", "V1-PD-0002", "V1-UP-0001", "V1-UP-0002", "V1-PC-0001"]
    p["area_ha"] = 1.0
    return p


def _write(out: Path, **kw):
    args = dict(households=_households(), villages=_villages(), parcels=_parcels(), out_dir=out, issue_date=ISSUE,
                overwrite=False, progress=False)
    args.update(kw)
    alloc = args.pop("allocations", _allocations())
    return certificates.write_certificates(alloc, **args)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("certs") / "out"
    return _write(out)


# -- register and digest ------------------------------------------------------------------------
def test_register_hand_computed_fields():
    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            parcels=_parcels(), issue_date="2026-01-15")
    assert list(reg["certificate_no"]) == sorted(_allocations()["certificate_no"])
    assert (reg["area_m2"] == 10_000).all() and (reg["area_ha"] == 1.0).all()
    assert set(reg["valid_until"]) == {"2029-01-15"}
    row = reg.set_index("parcel_id").loc["V1-P0"]
    assert row["holder"] == "Sisavath Keophila / Vilayvanh Keophila"
    assert row["holder_lo"] == f"{HEAD_LO} / {SPOUSE_LO}"
    # P0 (bottom left): P1 (H2) to the east, P3 (H2) to the north, the village boundary south and west
    assert row["east"] == "ຄຳມະນີ ຫຼວງລາດ (Khammany Luangrath)"
    assert row["north"] == "ຄຳມະນີ ຫຼວງລາດ (Khammany Luangrath)"
    assert "village boundary" in row["south"] and "village boundary" in row["west"]
    # P4 (top middle) borders the unallocated forest parcel P5 to the east: named by land type and id
    assert reg.set_index("parcel_id").loc["V1-P4", "east"] == "ປ່າໄມ້ (forest) V1-P5"


def test_digest_is_sha256_of_canonical_json():
    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            issue_date=ISSUE)
    row = reg[reg["certificate_no"] == "V1-PD-0001"].iloc[0]
    # built independently: sorted keys, compact, UTF-8; the ring clockwise from its lowest-left vertex
    wkt = row["geometry_wkt"]
    assert wkt == ("POLYGON ((500000.00 2290000.00, 500000.00 2290100.00, 500100.00 2290100.00, "
                   "500100.00 2290000.00, 500000.00 2290000.00))")
    content = {"area_m2": 10000, "certificate_no": row["certificate_no"], "geometry": wkt,
               "holder": row["holder"], "holder_lo": row["holder_lo"], "household_id": row["household_id"],
               "issue_date": "2026-01-15", "land_type": row["land_type"], "parcel_id": row["parcel_id"],
               "valid_until": "2029-01-15", "village_id": "V1"}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert row["digest"] == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_validity_configurable_and_leap_day():
    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            issue_date="2024-02-29", validity_years=5)
    assert set(reg["valid_until"]) == {"2029-02-28"}


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(_digest.FIELDS), text=st.text(min_size=1, max_size=12))
def test_digest_changes_with_any_field(field, text):
    base = {f: "x" for f in _digest.FIELDS} | {"area_m2": 10000}
    changed = dict(base)
    changed[field] = (10001 if field == "area_m2" else "x" + text.strip() + "y")
    assert _digest.digest(changed) != _digest.digest(base)
    assert _digest.digest(dict(reversed(list(base.items())))) == _digest.digest(base)


def test_digest_nfc_normalises_text():
    base = {f: "x" for f in _digest.FIELDS} | {"area_m2": 1, "holder": "Chanthav\u00e9"}
    decomposed = base | {"holder": "Chanthave\u0301"}
    assert _digest.digest(base) == _digest.digest(decomposed)


def test_geometry_normalisation_ignores_start_vertex_and_orientation():
    a = Polygon([(0, 0), (100, 0), (100, 100), (0, 100)])
    b = Polygon([(100, 100), (100, 0), (0, 0), (0, 100)])  # other start, other orientation
    c = Polygon([(0, 0), (100, 0), (100, 100.004), (0, 100)])  # below the 0.01 m grid
    assert _digest.geometry_wkt(a) == _digest.geometry_wkt(b) == _digest.geometry_wkt(c)
    assert _digest.geometry_wkt(a) != _digest.geometry_wkt(Polygon([(0, 0), (100, 0), (100, 100.02), (0, 100)]))


def test_qr_payload_roundtrip_and_rejects_other_text():
    p = _digest.qr_payload("V1-PD-0001", "a" * 64, "b" * 64)
    assert _digest.parse_qr(p) == {"certificate_no": "V1-PD-0001", "digest": "a" * 64, "hmac": "b" * 64}
    with pytest.raises(ValueError, match="not a landuse certificate"):
        _digest.parse_qr("https://example.org")


# -- PDFs ----------------------------------------------------------------------------------------
def test_batch_writes_one_pdf_per_parcel_and_register(batch):
    assert batch.written == 5 and batch.skipped == 0
    assert [p.name for p in batch.files] == sorted(f"{c}.pdf" for c in _allocations()["certificate_no"])
    assert all(p.parent.name == "V1" for p in batch.files)
    reg = pd.read_csv(batch.register_csv, dtype=str)
    assert list(reg.columns) == list(certificates.issue.REGISTER_COLUMNS)
    for _, r in reg.iterrows():
        assert hashlib.sha256((batch.out_dir / r["file"]).read_bytes()).hexdigest() == r["pdf_sha256"]
    gpkg = gpd.read_file(batch.register_gpkg, layer="certificates")
    assert len(gpkg) == 5 and gpkg.crs.to_epsg() == 32647
    assert np.allclose(gpkg.geometry.area, 10_000)
    assert max(batch.sizes_bytes) <= 300_000


@needs_qpdf
def test_qpdf_check_passes(batch):
    for pdf in batch.files:
        res = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "No syntax or stream encoding errors" in res.stdout


@needs_poppler
def test_fonts_embedded_and_text_extractable(batch):
    pdf = batch.out_dir / "V1" / "V1-PD-0001.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [ln.split() for ln in fonts.splitlines()[2:] if ln.strip()]
    assert len(rows) == 2 and all("NotoSansLao" in r[0] for r in rows)
    assert all(r[-5] == "yes" for r in rows)  # the 'emb' column
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert HEAD_LO in text and SPOUSE_LO in text
    assert "Sisavath Keophila" in text
    assert "1.0000 ha" in text and "10 000 m²" in text
    assert "V1-PD-0001" in text and "2029-01-15" in text
    assert "ໃບຢັ້ງຢືນການນຳໃຊ້ທີ່ດິນຊົ່ວຄາວ" in text


@needs_poppler
def test_qr_decodes_to_register_digest(batch, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    pdf = batch.out_dir / "V1" / "V1-UP-0002.pdf"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "p")], check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "p.png"))
    assert len(codes) == 1
    # contract changed (issue 14): the QR carries the record (here unsigned, no key: LUD1.)
    from landuse.certificates import keys

    seal = keys.open_seal(codes[0].text)
    assert codes[0].text.startswith("LUD1.") and seal.status == "UNSIGNED"
    assert (seal.record["no"], seal.record["pid"], seal.record["hid"], seal.record["a"], seal.record["k"]) == \
        ("V1-UP-0002", "V1-P3", "H2", "1.0000", "")
    assert seal.record["h"] == [["ຄຳມະນີ ຫຼວງລາດ", "Khammany Luangrath"]]


def test_embedded_content_matches_register(batch):
    import pypdf

    reg = pd.read_csv(batch.register_csv, dtype=str).set_index("certificate_no")
    data = pypdf.PdfReader(str(batch.files[0])).attachments["certificate.json"][0]
    cert = json.loads(data)["certificates"][0]
    assert cert["digest"] == reg.loc[cert["certificate_no"], "digest"]
    assert cert["digest"] == _digest.digest({f: cert[f] for f in _digest.FIELDS})


def test_deterministic_byte_identical(batch, tmp_path):
    again = _write(tmp_path / "again")
    for a, b in zip(batch.files, again.files, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert batch.register_csv.read_bytes() == again.register_csv.read_bytes()
    assert b"CreationDate (D:20260115000000Z)" in again.files[0].read_bytes()


def test_resume_writes_only_missing(tmp_path):
    out = tmp_path / "out"
    first = _write(out)
    before = {p.name: p.read_bytes() for p in first.files}
    first.files[2].unlink()
    second = _write(out)
    assert (second.written, second.skipped) == (1, 4)
    assert {p.name: p.read_bytes() for p in second.files} == before
    assert second.register_csv.read_bytes() == first.register_csv.read_bytes()


def test_crash_leaves_no_partial_file_and_resumes(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = certificates.issue._render
    calls = {"n": 0}

    def flaky(recs, labels, fonts):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated crash")
        return real(recs, labels, fonts)

    monkeypatch.setattr(certificates.issue, "_render", flaky)
    with pytest.raises(KeyboardInterrupt):
        _write(out)
    pdfs = sorted(out.rglob("*.pdf"))
    assert len(pdfs) == 2  # the two finished ones; nothing half-written, no temporary files
    assert not list(out.rglob(".*tmp*"))
    journal = (out / ".register-journal.jsonl").read_text("utf-8").splitlines()
    assert len(journal) == 2
    monkeypatch.setattr(certificates.issue, "_render", real)
    res = _write(out)
    assert (res.written, res.skipped) == (3, 2)
    assert not (out / ".register-journal.jsonl").exists()
    assert len(pd.read_csv(res.register_csv)) == 5


def test_stale_temporary_file_removed(tmp_path):
    out = tmp_path / "out"
    (out / "V1").mkdir(parents=True)
    stale = out / "V1" / ".V1-PD-0001.abc123.tmp.pdf"
    stale.write_bytes(b"%PDF-1.7 half")
    _write(out)
    assert not stale.exists()


def test_existing_different_file_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    _write(out)
    with pytest.raises(OutputExistsError, match="different content"):
        _write(out, issue_date=dt.date(2026, 2, 1))
    res = _write(out, issue_date=dt.date(2026, 2, 1), overwrite=True)
    assert res.written == 5
    assert set(pd.read_csv(res.register_csv, dtype=str)["issue_date"]) == {"2026-02-01"}


def test_per_household_pages(tmp_path):
    import pypdf

    res = _write(tmp_path / "hh", per_household=True)
    assert [p.name for p in res.files] == ["H1.pdf", "H2.pdf"]
    assert len(pypdf.PdfReader(str(res.files[0])).pages) == 3
    reg = pd.read_csv(res.register_csv, dtype=str)
    assert sorted(reg.loc[reg["file"] == "V1/H1.pdf", "page"]) == ["1", "2", "3"]
    v = certificates.verify_certificate(res.files[0], register=res.register_csv, check_qr=have("pdftoppm"))
    assert v.valid, str(v)
    assert len(v.certificates) == 3


def test_village_filter(tmp_path):
    with pytest.raises(SchemaError, match="no allocation in village 'V9'"):
        _write(tmp_path / "o", village="V9")
    res = _write(tmp_path / "o", village="V1")
    assert res.written == 5


def test_many_vertices_and_multipolygon_continue_on_extra_page(tmp_path):
    import pypdf

    t = np.linspace(0, 2 * np.pi, 131)[:-1]
    ring = [(X0 + 1000 + 80 * np.cos(a), Y0 + 80 * np.sin(a)) for a in t]
    alloc = _allocations().iloc[:2].copy()
    alloc["geometry"] = [Polygon(ring), MultiPolygon([square(10, 0), square(12, 0)])]
    alloc = gpd.GeoDataFrame(alloc, geometry="geometry", crs=UTM47)
    res = _write(tmp_path / "v", allocations=alloc, parcels=None)
    big = res.out_dir / "V1" / "V1-PD-0001.pdf"
    assert len(pypdf.PdfReader(str(big)).pages) == 2  # 48 vertices on the certificate, 82 on page 2
    reg = pd.read_csv(res.register_csv).set_index("certificate_no")
    assert reg.loc["V1-PD-0002", "area_m2"] == 20_000
    if have("qpdf"):
        assert subprocess.run(["qpdf", "--check", str(big)], capture_output=True).returncode == 0
    for f in res.files:
        assert certificates.verify_certificate(f, register=res.register_gpkg, check_qr=False).valid


# -- verification -----------------------------------------------------------------------------
def test_verify_valid_with_csv_and_gpkg(batch):
    for reg in (batch.register_csv, batch.register_gpkg):
        v = certificates.verify_certificate(batch.files[0], register=reg, check_qr=have("pdftoppm"))
        assert v.valid, str(v)
        # contract changed (issue 14): without a signing key the certificate is an unsigned draft
        assert v.status == "UNSIGNED" and "UNSIGNED" in str(v)


def _tampered(batch, tmp_path, column, change):
    reg = pd.read_csv(batch.register_csv, dtype=str, keep_default_na=False)
    row = reg.index[reg["certificate_no"] == "V1-PD-0001"][0]
    reg.loc[row, column] = change(reg.loc[row, column])
    path = tmp_path / "register.csv"
    reg.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("column", "change", "field"), [
    ("area_m2", lambda v: str(int(v) + 1), "area_m2"),
    ("area_ha", lambda v: "1.0001", "area_ha"),
    ("holder", lambda v: v.replace("Sisavath", "Somphone"), "holder"),
    ("holder_lo", lambda v: v.replace("ສີສະຫວາດ", "ສົມພອນ"), "holder_lo"),
    ("geometry_wkt", lambda v: v.replace("500100.00 2290100.00", "500100.00 2290100.50"), "geometry"),
    ("issue_date", lambda v: "2026-01-16", "issue_date"),
    ("valid_until", lambda v: "2031-01-15", "valid_until"),
    ("parcel_id", lambda v: "V1-P9", "parcel_id"),
    ("land_type", lambda v: "upland", "land_type"),
    ("digest", lambda v: "0" * 64, "digest"),
    ("pdf_sha256", lambda v: "0" * 64, "pdf_sha256"),
])
def test_verify_names_the_changed_register_field(batch, tmp_path, column, change, field):
    path = _tampered(batch, tmp_path, column, change)
    v = certificates.verify_certificate(batch.out_dir / "V1" / "V1-PD-0001.pdf", register=path, check_qr=False)
    assert not v.valid
    assert v.fields == [field], str(v)


def test_verify_gpkg_geometry_vertex_moved(batch, tmp_path):
    import shapely

    reg = gpd.read_file(batch.register_gpkg, layer="certificates")
    i = int(np.flatnonzero(reg["certificate_no"] == "V1-PD-0001")[0])
    coords = np.array(reg.geometry.iloc[i].exterior.coords)
    coords[1] += [0.0, 0.3]
    coords[-1] = coords[0]
    reg.loc[i, "geometry"] = shapely.Polygon(coords)
    path = tmp_path / "r.gpkg"
    reg.to_file(path, layer="certificates")
    v = certificates.verify_certificate(batch.out_dir / "V1" / "V1-PD-0001.pdf", register=path, check_qr=False)
    assert v.fields == ["geometry"]


def test_verify_detects_forged_and_modified_pdf(batch, tmp_path):
    good = batch.out_dir / "V1" / "V1-PD-0001.pdf"
    # bytes appended (an incremental update of the PDF)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(good.read_bytes() + b"\n% edited\n")
    v = certificates.verify_certificate(changed, register=batch.register_csv, check_qr=False)
    assert v.fields == ["pdf_sha256"]
    # a forged certificate: same number, larger area, consistent digest and QR of its own
    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            issue_date=ISSUE)
    row = reg[reg["certificate_no"] == "V1-PD-0001"].copy()
    row["area_m2"] = 12_000
    row["area_ha"] = 1.2
    content = {f: (row.iloc[0]["geometry_wkt"] if f == "geometry" else row.iloc[0][f]) for f in _digest.FIELDS}
    row["digest"] = _digest.digest({**content, "area_m2": 12_000})
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(certificates.render_certificates(row))
    v = certificates.verify_certificate(forged, register=batch.register_csv, check_qr=have("pdftoppm"))
    assert not v.valid
    assert "area_m2" in v.fields and "digest" in v.fields and "pdf_sha256" in v.fields
    if have("pdftoppm"):
        assert "qr_digest" in v.fields


def test_verify_unknown_certificate_and_non_certificate(batch, tmp_path):
    other = tmp_path / "empty.csv"
    pd.DataFrame({"certificate_no": ["X"]}).to_csv(other, index=False)
    v = certificates.verify_certificate(batch.files[0], register=other, check_qr=False)
    assert v.fields == ["certificate_no"]
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    with pytest.raises(DataReadError, match="not a readable PDF"):
        certificates.verify_certificate(junk, register=batch.register_csv)
    with pytest.raises(DataReadError, match="register file not found"):
        certificates.verify_certificate(batch.files[0], register=tmp_path / "nope.csv")


def test_hmac_with_district_key(tmp_path, monkeypatch):
    # contract changed (issue 14): --key-file is now the ECDSA signing key; the legacy HMAC
    # key comes from $LANDUSE_DISTRICT_KEY only
    monkeypatch.setenv(_digest.KEY_ENV, "s3cret-district-key")
    res = _write(tmp_path / "k")
    reg = pd.read_csv(res.register_csv, dtype=str)
    assert reg["hmac"].str.len().eq(64).all()
    for f in [*res.out_dir.rglob("*"), res.register_csv]:
        if f.is_file():
            assert b"s3cret-district-key" not in f.read_bytes()
    pdf = res.out_dir / "V1" / "V1-PD-0001.pdf"
    v = certificates.verify_certificate(pdf, register=res.register_csv, check_qr=have("pdftoppm"))
    assert v.valid, str(v)
    monkeypatch.setenv(_digest.KEY_ENV, "another key")
    v = certificates.verify_certificate(pdf, register=res.register_csv, check_qr=False)
    assert v.fields == ["hmac"]
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(Exception, match="district key is empty"):
        _digest.read_key(empty)


# -- labels ---------------------------------------------------------------------------------------
def test_bundled_labels_complete():
    lab = certificates.load_labels()
    assert lab["certificate"]["validity_years"] == 3
    assert all(v["lo"] and v["en"] for v in lab["labels"].values())
    assert set(lab["land_types"]) == {"paddy", "upland", "permanent", "grazing", "residential", "forest", "other"}
    assert len(lab["conditions"]) >= 3


@needs_poppler
def test_custom_labels_used(tmp_path):
    custom = tmp_path / "labels.toml"
    custom.write_text('[certificate]\nvalidity_years = 5\n\n[labels]\n'
                      'title = { lo = "ໃບຢັ້ງຢືນສິດນຳໃຊ້ທີ່ດິນ", en = "Land Use Right Certificate" }\n\n'
                      '[[conditions]]\nlo = "ເງື່ອນໄຂດຽວ"\nen = "The only condition of Houn district."\n',
                      encoding="utf-8")
    res = _write(tmp_path / "o", labels=custom)
    text = subprocess.run(["pdftotext", str(res.files[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert "LAND USE RIGHT CERTIFICATE" in text and "ໃບຢັ້ງຢືນສິດນຳໃຊ້ທີ່ດິນ" in text
    assert "The only condition of Houn district." in text
    assert "pays the land tax" not in text
    assert "Holder(s)" in text  # keys left out keep the bundled wording
    assert set(pd.read_csv(res.register_csv, dtype=str)["valid_until"]) == {"2031-01-15"}


@pytest.mark.parametrize(("text", "match"), [
    ('[labels]\ntitel = { lo = "x", en = "y" }\n',
     r"line 2: key 'titel' in \[labels\]: unknown key.*did you mean 'title'"),
    ('[labels]\narea = { lo = "ເນື້ອທີ່" }\n',
     r"line 2: key 'en' in \[labels.area\]: required key 'en' is missing"),
    ('[labels]\narea = { lo = "ເນື້ອທີ່", en = " " }\n',
     r"line 2: key 'en' in \[labels.area\]: labels.area has no 'en' text"),
    ('[certificate]\nvalidity_years = 0\n',
     r"line 2: key 'validity_years' in \[certificate\]: value 0 is below 1.*validity_years = 3"),
    ('[certificate]\nvalidity_years = "3"\n',
     r"line 2: key 'validity_years' in \[certificate\]: expected a whole number, found '3'"),
    ('[footer]\nx = 1\n', r"line 1: table \[footer\]: unknown table"),
    ('[labels]\narea = "Area"\n', r"line 2: table \[labels.area\]: expected a table, found 'Area'"),
    ('[labels]\narea = { lo = "a", en = "b", fr = "c" }\n',
     r"line 2: key 'fr' in \[labels.area\]: unknown key.*valid keys: en, lo"),
    ('conditions = []\n',
     r"line 1: key 'conditions': expected one or more \[\[conditions\]\] tables"),
    ('[labels\narea = 1\n', r"line 1.*not valid TOML"),
])
def test_bad_labels_raise_rule_error_with_line_and_key(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=match):
        certificates.load_labels(path)


def test_missing_labels_file():
    with pytest.raises(DataReadError, match="labels file not found"):
        certificates.load_labels("/nonexistent/labels.toml")


# -- input errors ---------------------------------------------------------------------------------
def test_input_errors(tmp_path):
    hh, vil = _households(), _villages()
    reg = certificates.certificate_register
    with pytest.raises(SchemaError, match="'certificate_no' missing"):
        reg(_allocations().drop(columns="certificate_no"), households=hh, villages=vil, issue_date=ISSUE)
    with pytest.raises(SchemaError, match="household 'H1' is not in the households table"):
        reg(_allocations(), households=hh[hh["household_id"] == "H2"], villages=vil, issue_date=ISSUE)
    with pytest.raises(SchemaError, match="village 'V1' is not in the villages layer"):
        reg(_allocations(), households=hh, villages=vil.assign(village_id="V2"), issue_date=ISSUE)
    dup = _allocations().assign(certificate_no="V1-PD-0001")
    with pytest.raises(SchemaError, match="occurs 5 times"):
        reg(dup, households=hh, villages=vil, issue_date=ISSUE)
    with pytest.raises(CRSError, match="geographic CRS"):
        reg(_allocations().to_crs(4326), households=hh, villages=vil, issue_date=ISSUE)
    empty = _allocations()
    empty.loc[0, "geometry"] = Polygon()
    with pytest.raises(GeometryError, match="empty or missing geometry"):
        reg(empty, households=hh, villages=vil, issue_date=ISSUE)
    with pytest.raises(SchemaError, match="issue_date '15/01/2026' is not a date"):
        reg(_allocations(), households=hh, villages=vil, issue_date="15/01/2026")
    with pytest.raises(SchemaError, match="has no head_name"):
        reg(_allocations(), households=hh.assign(head_name=""), villages=vil, issue_date=ISSUE)
    with pytest.raises(SchemaError, match="validity_years=0 is outside"):
        reg(_allocations(), households=hh, villages=vil, issue_date=ISSUE, validity_years=0)
    with pytest.raises(SchemaError, match="workers=0 must be at least 1"):
        _write(tmp_path / "w", workers=0)
    with pytest.raises(SchemaError, match="the register has no rows"):
        certificates.render_certificates(_allocations().iloc[:0])


def test_no_lao_font_is_a_clear_error(monkeypatch):
    from importlib import resources

    def no_pkg(name):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(resources, "files", no_pkg)
    monkeypatch.setattr(_fonts, "_FONT_CANDIDATES", ())
    with pytest.raises(Exception, match="no font with Lao glyphs is installed.*justmytype-intl-sea"):
        certificates.find_lao_font()


# -- CLI ------------------------------------------------------------------------------------------
def test_cli_certificates_and_verify(tmp_path):
    from landuse.cli.main import cli

    _allocations().to_file(tmp_path / "alloc.gpkg", layer="allocations")
    _households().to_csv(tmp_path / "hh.csv", index=False)
    _villages().to_file(tmp_path / "villages.gpkg")
    out = tmp_path / "certs"
    args = ["certificates", "--allocations", str(tmp_path / "alloc.gpkg"), "--households",
            str(tmp_path / "hh.csv"), "--villages", str(tmp_path / "villages.gpkg"), "--out", str(out),
            "--issue-date", "2026-01-15"]
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", *args])
    assert res.exit_code == 0, res.output
    lib = _write(tmp_path / "lib", parcels=None)
    assert (out / "V1" / "V1-PD-0001.pdf").read_bytes() == (lib.out_dir / "V1" / "V1-PD-0001.pdf").read_bytes()
    # resume without --issue-date: the register's date is reused
    res = runner.invoke(cli, args[:-2])
    assert res.exit_code == 0, res.output
    assert "0 written, 5 unchanged; issue date 2026-01-15" in res.output
    pdf = str(out / "V1" / "V1-PD-0001.pdf")
    # contract changed (issue 14): an unsigned certificate exits 1 unless --allow-unsigned
    res = runner.invoke(cli, ["verify", pdf, "--register", str(out / "register.csv"), "--no-qr"])
    assert res.exit_code == 1 and "UNSIGNED" in res.output
    res = runner.invoke(cli, ["verify", pdf, "--register", str(out / "register.csv"), "--no-qr", "--allow-unsigned"])
    assert res.exit_code == 0 and "UNSIGNED" in res.output
    bad = _tampered(type("B", (), {"register_csv": out / "register.csv"}), tmp_path, "area_m2", lambda v: "1")
    res = runner.invoke(cli, ["verify", pdf, "--register", str(bad), "--no-qr"])
    assert res.exit_code == 1 and "area_m2 differs" in res.output
    res = runner.invoke(cli, ["verify", str(out), "--register", str(out / "register.gpkg"), "--no-qr",
                              "--allow-unsigned"])
    assert res.exit_code == 0 and "5 of 5 file(s) valid" in res.output
    res = runner.invoke(cli, ["verify", pdf])  # no register needed now: the QR record says UNSIGNED
    assert res.exit_code == 1 and "UNSIGNED" in res.output
    res = runner.invoke(cli, ["verify", pdf, "--register", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2
    res = runner.invoke(cli, ["certificates", *args[1:-2], "--issue-date", "2026-13-01"])
    assert res.exit_code == 2 and "not a date" in res.output
    res = runner.invoke(cli, ["certificates", *args[1:-2], "--issue-date", "2026-02-01"])
    assert res.exit_code == 1 and "different content" in res.output


# -- demo -------------------------------------------------------------------------------------------
def test_demo_village_certificates(tmp_path):
    from landuse.allocation import LAND_TYPE_CODES
    from landuse.datasets import load_demo

    demo = load_demo()
    par = demo.parcels
    held = par[par["household_id"].notna() & par["land_type"].isin(["paddy", "upland", "permanent"])]
    held = held[held["village_id"] == held["village_id"].iloc[0]].sort_values("parcel_id").head(12).copy()
    held["certificate_no"] = [f"{v}-{LAND_TYPE_CODES[t]}-{i + 1:04d}"
                              for i, (v, t) in enumerate(zip(held["village_id"], held["land_type"], strict=True))]
    res = certificates.write_certificates(held, households=demo.households, villages=demo.villages, parcels=par,
                                          out_dir=tmp_path / "demo", issue_date=ISSUE, overwrite=False,
                                          progress=False)
    assert res.written == 12 and max(res.sizes_bytes) <= 300_000
    reg = pd.read_csv(res.register_csv, dtype=str)
    assert reg["holder_lo"].str.len().gt(0).all()
    assert (pd.to_numeric(reg["area_m2"]) > 0).all()
    v = certificates.verify_certificate(res.files[0], register=res.register_gpkg, check_qr=have("pdftoppm"))
    assert v.valid, str(v)


@pytest.mark.slow
def test_worker_processes_give_the_same_bytes(batch, tmp_path):
    res = _write(tmp_path / "par", workers=2)
    assert res.written == 5
    for a, b in zip(batch.files, res.files, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert batch.register_csv.read_bytes() == res.register_csv.read_bytes()


def test_empty_allocation_writes_an_empty_register(tmp_path):
    res = _write(tmp_path / "none", allocations=_allocations().iloc[:0])
    assert res.files == [] and res.written == 0
    assert list(pd.read_csv(res.register_csv).columns) == list(certificates.issue.REGISTER_COLUMNS)


def test_lao_shaping_stacks_tone_marks_above_vowels():
    regular, _ = certificates.issue._fonts()
    plain = regular.shape("ທ່")  # consonant + tone mark
    stacked = regular.shape("ທີ່")  # consonant + upper vowel + tone mark
    assert len(plain) == 2 and len(stacked) == 3
    assert all(g[2] == 0 for g in stacked[1:])  # marks take no advance: they sit on the consonant
    # over an upper vowel the font substitutes a raised form of the tone mark (GSUB)
    assert stacked[2][0] != plain[1][0]
    # without shaping a PDF would show the same tone glyph in both: the cmap glyph
    assert plain[1][0] == regular.hb.get_nominal_glyph(ord("່"))


def test_verify_detects_changed_printed_text(batch, tmp_path, monkeypatch):
    from landuse.certificates import _pdf

    real = _pdf.Page.text

    def forged_text(self, x, y, text, **kw):
        return real(self, x, y, text.replace("10 000 m²", "12 000 m²"), **kw)

    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            issue_date=ISSUE)
    row = reg[reg["certificate_no"] == "V1-PD-0001"]
    monkeypatch.setattr(_pdf.Page, "text", forged_text)
    forged = tmp_path / "printed.pdf"
    forged.write_bytes(certificates.render_certificates(row))
    monkeypatch.setattr(_pdf.Page, "text", real)
    table = pd.read_csv(batch.register_csv, dtype=str, keep_default_na=False).assign(pdf_sha256="")
    v = certificates.verify_certificate(forged, register=table, check_qr=have("pdftoppm"))
    assert v.fields == ["printed area_m2"], str(v)


def test_per_household_pages_after_a_long_vertex_list(tmp_path):
    import pypdf

    t = np.linspace(0, 2 * np.pi, 131)[:-1]
    alloc = _allocations()
    alloc.loc[alloc["certificate_no"] == "V1-PD-0001", "geometry"] = Polygon(
        [(X0 + 1000 + 80 * np.cos(a), Y0 + 80 * np.sin(a)) for a in t])
    res = _write(tmp_path / "hh", allocations=alloc, per_household=True)
    h1 = res.out_dir / "V1" / "H1.pdf"
    assert len(pypdf.PdfReader(str(h1)).pages) == 4  # PC-0001, PD-0001 (+1 page of vertices), UP-0001
    reg = pd.read_csv(res.register_csv, dtype=str).set_index("certificate_no")
    assert reg.loc[["V1-PC-0001", "V1-PD-0001", "V1-UP-0001"], "page"].tolist() == ["1", "2", "4"]
    v = certificates.verify_certificate(h1, register=res.register_csv, check_qr=have("pdftoppm"))
    assert v.valid, str(v)


def test_characters_without_glyph_warn(tmp_path):
    from landuse.errors import LanduseWarning

    hh = _households()
    hh.loc[0, "head_name"] = "Sisavath 王"  # no CJK in Noto Sans Lao
    with pytest.warns(LanduseWarning, match=r"no glyph for '王' \(U\+738B\)"):
        res = _write(tmp_path / "w", households=hh)
    reg = pd.read_csv(res.register_csv, dtype=str).set_index("certificate_no")
    assert reg.loc["V1-PD-0001", "holder"].startswith("Sisavath 王")


def test_verify_detects_changed_printed_lao_name(batch, tmp_path, monkeypatch):
    from landuse.certificates import _pdf

    real = _pdf.Page.text

    def forged_text(self, x, y, text, **kw):
        return real(self, x, y, text.replace("ສີສະຫວາດ", "ສົມພອນ"), **kw)

    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            issue_date=ISSUE)
    monkeypatch.setattr(_pdf.Page, "text", forged_text)
    forged = tmp_path / "lao.pdf"
    forged.write_bytes(certificates.render_certificates(reg[reg["certificate_no"] == "V1-PD-0001"]))
    monkeypatch.setattr(_pdf.Page, "text", real)
    table = pd.read_csv(batch.register_csv, dtype=str, keep_default_na=False).assign(pdf_sha256="")
    v = certificates.verify_certificate(forged, register=table, check_qr=False)
    assert v.fields == ["printed holder_lo"], str(v)


def test_other_features_named_as_neighbours():
    from shapely.geometry import LineString

    stream = gpd.GeoDataFrame({"label": ["ຫ້ວຍ (stream)"]},
                              geometry=[LineString([(X0 - 10, Y0 - 0.3), (X0 + 310, Y0 - 0.3)])], crs=UTM47)
    # villages without geometry: the village boundary is not a neighbour, the stream is (0.3 m < 0.5 m)
    reg = certificates.certificate_register(_allocations(), households=_households(),
                                            villages=pd.DataFrame(_villages().drop(columns="geometry")),
                                            parcels=_parcels(), issue_date=ISSUE, others=stream)
    row = reg.set_index("parcel_id").loc["V1-P0"]
    assert row["south"] == "ຫ້ວຍ (stream)" and row["west"] == ""
    with pytest.raises(CRSError, match="layer 'others'"):
        certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                          issue_date=ISSUE, others=stream.to_crs(4326))
    with pytest.raises(SchemaError, match="'label' missing"):
        certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                          issue_date=ISSUE, others=stream.rename(columns={"label": "name"}))


def test_changed_wording_is_not_skipped(tmp_path):
    out = tmp_path / "out"
    _write(out)
    custom = tmp_path / "labels.toml"
    custom.write_text('[labels]\ntitle = { lo = "ໃບຢັ້ງຢືນ", en = "Land Use Certificate" }\n', encoding="utf-8")
    # same digests (same content), but the pages would differ: not a valid resume
    with pytest.raises(OutputExistsError, match="different content"):
        _write(out, labels=custom)
    res = _write(out, labels=custom, overwrite=True)
    assert res.written == 5
    assert _write(out, labels=custom).skipped == 5


def test_font_without_lao_is_a_clear_error(monkeypatch):
    latin = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
    if not latin.is_file():
        pytest.skip("Liberation Sans (fonts-liberation) is not installed")
    monkeypatch.setattr(certificates.issue, "_FONTS", {})
    monkeypatch.setattr(certificates.issue, "find_lao_font", lambda: latin)
    with pytest.raises(Exception, match="the font has no glyphs for 'ກຂຄງຈ'"):
        certificates.issue._fonts()


def test_file_written_but_not_journaled_is_rewritten(tmp_path):
    out = tmp_path / "out"
    first = _write(out)
    # as if the run stopped between renaming the PDF and recording it: no register, no journal
    first.register_csv.unlink()
    first.register_gpkg.unlink()
    res = _write(out)
    assert res.written == 5  # same certificates inside: rewritten, not refused
    assert [p.read_bytes() for p in res.files] == [p.read_bytes() for p in first.files]


def test_cli_resumes_an_interrupted_run_with_its_issue_date(tmp_path, monkeypatch):
    from landuse.cli.main import cli

    _allocations().to_file(tmp_path / "alloc.gpkg", layer="allocations")
    _households().to_csv(tmp_path / "hh.csv", index=False)
    _villages().to_file(tmp_path / "villages.gpkg")
    out = tmp_path / "certs"
    args = ["certificates", "--allocations", str(tmp_path / "alloc.gpkg"), "--households",
            str(tmp_path / "hh.csv"), "--villages", str(tmp_path / "villages.gpkg"), "--out", str(out)]
    real = certificates.issue._render
    calls = {"n": 0}

    def flaky(recs, labels, fonts):
        calls["n"] += 1
        if calls["n"] == 4:  # an interruption (a drawing *error* now fails only that certificate)
            raise KeyboardInterrupt("power cut")
        return real(recs, labels, fonts)

    monkeypatch.setattr(certificates.issue, "_render", flaky)
    res = CliRunner().invoke(cli, ["-q", *args, "--issue-date", "2025-06-30"])
    assert res.exit_code != 0 and not (out / "register.csv").exists()
    monkeypatch.setattr(certificates.issue, "_render", real)
    res = CliRunner().invoke(cli, args)  # no --issue-date: taken from the journal
    assert res.exit_code == 0, res.output
    assert "2 written, 3 unchanged; issue date 2025-06-30" in res.output


@settings(max_examples=30, deadline=None)
@given(words=st.lists(st.sampled_from(["ສີສະຫວາດ", "ແກ້ວພິລາ", "Keophila", "ນ້ຳ", "10 000", "m²", "(paddy)",
                                       "ຊາຍແດນຕິດກັບທິດຕາເວັນອອກ"]), min_size=1, max_size=25),
       width=st.floats(min_value=60, max_value=400))
def test_wrap_lines_fit_and_keep_the_text(words, width):
    from landuse.certificates._pdf import wrap

    font = certificates.issue._fonts()[0]
    text = " ".join(words)
    lines = wrap(font, text, width=width, size=8)
    import unicodedata

    assert all(font.width(ln, 8) <= width + 1e-6 for ln in lines)  # every cluster is narrower than 60 pt
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost or reordered
    # long words break between clusters: no line starts with a vowel sign or tone mark
    assert all(not ln or unicodedata.category(ln[0]) != "Mn" for ln in lines)


def test_vertices_numbered_with_holes_and_parts():
    ring = [(0, 0), (100, 0), (100, 100), (0, 100)]
    hole = [(40, 40), (60, 40), (60, 60), (40, 60)]
    labels = [v[0] for v in certificates.issue._vertices(Polygon(ring, [hole]))]
    assert labels == ["1", "2", "3", "4", "Ah1-5", "Ah1-6", "Ah1-7", "Ah1-8"]
    multi = MultiPolygon([Polygon(ring), Polygon([(200, 0), (300, 0), (300, 100)])])
    labels = [v[0] for v in certificates.issue._vertices(multi)]
    assert labels == ["A1", "A2", "A3", "A4", "B5", "B6", "B7"]


def test_pdf_writer_is_atomic_and_leaves_no_temporary(tmp_path):
    """Certificates are written whole or not at all: a temporary file renamed over the target, never left behind."""
    import os

    from landuse.certificates.issue import _write_pdf

    target = tmp_path / "c.pdf"
    _write_pdf(target, b"%PDF-1 first")
    _write_pdf(target, b"%PDF-1 second")  # the caller decided to replace it
    assert target.read_bytes() == b"%PDF-1 second"
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)  # as mkstemp's temporaries
    with pytest.raises(TypeError):
        _write_pdf(tmp_path / "bad.pdf", "not bytes")  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pdf"]  # nothing half-written, no temporary
    taken = tmp_path / f".d.{os.getpid()}.tmp.pdf"  # an interrupted run's temporary of the same name
    taken.write_bytes(b"old")
    _write_pdf(tmp_path / "d.pdf", b"%PDF-1 third")
    assert (tmp_path / "d.pdf").read_bytes() == b"%PDF-1 third" and taken.read_bytes() == b"old"
    _write_pdf(tmp_path / "sub" / "e.pdf", b"%PDF-1 fourth")  # a folder not made yet
    assert (tmp_path / "sub" / "e.pdf").read_bytes() == b"%PDF-1 fourth"
