"""Tests of landuse.certificates.register and of signed certificates issued into it.

Lifecycle transitions, the hash chain, locking, bad register files, the invariant
(at most one current certificate per parcel, matching the allocation) as a hypothesis
property, and verification statuses: VALID, SUPERSEDED, REVOKED, UNSIGNED,
UNKNOWN-KEY and INVALID for a forged, re-signed or tampered certificate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import io
import json
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import landuse.certificates._seal
from landuse import certificates

from landuse.certificates import _digest

from landuse.certificates import keys
from landuse.errors import LanduseError, RegisterError
from landuse.certificates.register import open_register
from conftest import have
from test_certificates import ISSUE, _allocations, _households, _parcels, _villages, _write

D1, D2 = dt.date(2026, 1, 15), dt.date(2029, 1, 15)


def _item(pid: str, hid: str = "H1", name: str = "Bounmy", area: str = "1.0000", vil: str = "V1") -> dict:
    return {"pid": pid, "hid": hid, "vil": vil, "vn": "ປ່າສັກ / Pasak", "dis": "ໄຊ / Xay", "h": [["", name]],
            "lt": "paddy", "a": area, "g": "ab" * 16, "k": "",
            "geometry_wkt": "POLYGON ((500000 2290000, 500100 2290000, 500100 2290100, 500000 2290100, "
                            "500000 2290000))"}


def _sync(reg, items, villages=("V1",), date=D1, reason="allocation"):
    return reg.sync(items, villages=list(villages), issue_date=date, valid_until=D2, actor="test", reason=reason,
                    crs="EPSG:32647")


@pytest.fixture
def reg(tmp_path):
    return open_register(tmp_path / "register.gpkg", create=True, district="Xay")


@pytest.fixture
def key(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    return keys.init_keys(tmp_path / "keys" / "xay.pem")


# -- lifecycle ----------------------------------------------------------------------------------
def test_issue_keep_supersede_revoke(reg):
    r = _sync(reg, [_item("P1"), _item("P2", "H2", "Khammany")])
    assert r.issued == ["V1-2026-000001", "V1-2026-000002"]  # serials in parcel order
    # rerun, even on another day: unchanged certificates keep number and dates
    r2 = _sync(reg, [_item("P1"), _item("P2", "H2", "Khammany")], date=dt.date(2026, 3, 1))
    assert r2.unchanged == r.issued and r2.issued == [] and r2.records["P1"]["iss"] == "2026-01-15"
    # P2 changes holder: exactly P2's certificate is superseded, the new one names its predecessor
    r3 = _sync(reg, [_item("P1"), _item("P2", "H3", "Vanh")], date=dt.date(2026, 3, 1))
    assert r3.superseded == ["V1-2026-000002"] and r3.issued == ["V1-2026-000003"]
    assert r3.unchanged == ["V1-2026-000001"]
    st_old = reg.status("V1-2026-000002")
    assert st_old["status"] == "SUPERSEDED" and st_old["successor"] == "V1-2026-000003"
    assert reg.status("P2")["certificate_no"] == "V1-2026-000003"
    assert reg.history("P2")["event"].tolist() == ["issued", "superseded", "reissued"]
    assert reg.history("V1-2026-000003")["predecessor"].tolist() == ["V1-2026-000002"]
    # P1 no longer allocated: revoked; other villages untouched
    _sync(reg, [_item("Q1", vil="V2")], villages=["V2"])
    r4 = _sync(reg, [_item("P2", "H3", "Vanh")], date=dt.date(2026, 3, 1))
    assert r4.revoked == ["V1-2026-000001"]
    assert reg.status("V1-2026-000001")["status"] == "REVOKED"
    assert sorted(reg.current()["parcel_id"]) == ["P2", "Q1"]
    # serials are never reused: P1 allocated again gets a new number
    r5 = _sync(reg, [_item("P1"), _item("P2", "H3", "Vanh")], date=dt.date(2026, 3, 1))
    assert r5.issued == ["V1-2026-000004"]
    assert reg.verify_chain() == len(reg.events())


def test_revoke_and_transfer(reg):
    _sync(reg, [_item("P1"), _item("P2")])
    reg.revoke("V1-2026-000001", reason="issued in error", actor="officer")
    s = reg.status("V1-2026-000001")
    assert (s["status"], s["reason"]) == ("REVOKED", "issued in error")
    with pytest.raises(RegisterError, match="not in force"):
        reg.revoke("V1-2026-000001", reason="again", actor="officer")
    with pytest.raises(ValueError, match="needs a reason"):
        reg.revoke("V1-2026-000002", reason=" ", actor="officer")
    rec = reg.transfer("V1-2026-000002", household_id="H9", holders=[["ນາງ ແກ້ວ", "Nang Keo"]],
                       reason="inheritance from Bounmy", actor="officer", issue_date=dt.date(2027, 5, 2),
                       valid_until=dt.date(2030, 5, 2))
    assert rec["no"] == "V1-2027-000001" and rec["hid"] == "H9" and rec["h"] == [["ນາງ ແກ້ວ", "Nang Keo"]]
    s = reg.status("V1-2026-000002")
    assert (s["status"], s["successor"], s["reason"]) == ("TRANSFERRED", "V1-2027-000001", "inheritance from Bounmy")
    cur = reg.current().set_index("parcel_id")
    assert cur.loc["P2", "holder"] == "Nang Keo" and cur.loc["P2", "holder_lo"] == "ນາງ ແກ້ວ"
    assert list(cur.index) == ["P2"]
    events = reg.events()["event"].tolist()
    assert events == ["issued", "issued", "revoked", "transferred", "reissued"]


def test_events_are_append_only(reg):
    _sync(reg, [_item("P1")])
    with contextlib.closing(sqlite3.connect(reg.path)) as con:
        for sql in ("UPDATE events SET reason='x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)


def test_hash_chain_names_the_edited_row(reg):
    _sync(reg, [_item("P1"), _item("P2"), _item("P3")])
    assert reg.verify_chain() == 3
    with contextlib.closing(sqlite3.connect(reg.path)) as con:
        con.execute("DROP TRIGGER events_append_only_update")
        rec = json.loads(con.execute("SELECT record FROM events WHERE seq=2").fetchone()[0])
        rec["h"] = [["", "Mallory"]]
        con.execute("UPDATE events SET record=? WHERE seq=2", (json.dumps(rec),))
        con.commit()
    with pytest.raises(RegisterError, match=r"hash chain broken at event 2 \(issued of certificate V1-2026-000002\)"):
        reg.verify_chain()
    # and nothing more can be issued until the register is restored
    n = len(reg.events())
    with pytest.raises(RegisterError, match="hash chain broken"):
        _sync(reg, [_item("P4")])
    assert len(reg.events()) == n


def test_deleted_row_breaks_the_chain(reg):
    _sync(reg, [_item("P1"), _item("P2"), _item("P3")])
    with contextlib.closing(sqlite3.connect(reg.path)) as con:
        con.execute("DROP TRIGGER events_append_only_delete")
        con.execute("DELETE FROM events WHERE seq=2")
        con.commit()
    with pytest.raises(RegisterError, match="hash chain broken at event 3"):
        reg.verify_chain()


def test_register_is_a_geopackage(reg):
    import pyogrio

    _sync(reg, [_item("P1"), _item("P2", "H2")])
    layers = dict(pyogrio.list_layers(reg.path))
    assert set(layers) >= {"current_certificates", "events"}
    gdf = pyogrio.read_dataframe(reg.path, layer="current_certificates")
    assert gdf.crs.to_epsg() == 32647 and len(gdf) == 2
    assert gdf.geometry.area.round(6).tolist() == [10_000.0, 10_000.0]


def test_export_is_a_safe_table(reg, tmp_path):
    _sync(reg, [_item("P1", name="=HYPERLINK(\"x\")")])
    out = reg.export(tmp_path / "current.csv")
    df = pd.read_csv(out, dtype=str)
    assert df["certificate_no"].tolist() == ["V1-2026-000001"]
    ev = reg.export(tmp_path / "events.xlsx", what="events")
    assert ev.is_file()


def test_transaction_rolls_back_on_error(reg):
    _sync(reg, [_item("P1")])
    n = len(reg.events())
    with pytest.raises(ValueError, match="appears twice"):
        _sync(reg, [_item("P2"), _item("P2")])
    bad = _item("P3")
    del bad["lt"]
    with pytest.raises(KeyError):
        _sync(reg, [_item("P2"), bad])  # P2 was already processed when P3 fails
    assert len(reg.events()) == n and reg.current()["parcel_id"].tolist() == ["P1"]
    assert reg.verify_chain() == n


# -- bad register files, locks ------------------------------------------------------------------
@pytest.mark.parametrize("content, match", [
    (b"", "register file is empty"),
    (b"this is not sqlite at all" * 100, "not a readable register"),
])
def test_corrupt_or_empty_register_one_line_error(tmp_path, content, match):
    from landuse.cli.main import cli

    path = tmp_path / "register.gpkg"
    path.write_bytes(content)
    with pytest.raises(RegisterError, match=match):
        open_register(path)
    res = CliRunner().invoke(cli, ["register", "status", "--register", str(path)])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and match in res.output and "Fix:" in res.output


def test_other_geopackage_is_not_a_register(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"a": [1]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32647").to_file(tmp_path / "x.gpkg")
    with pytest.raises(RegisterError, match="not a landuse district register"):
        open_register(tmp_path / "x.gpkg")
    with pytest.raises(RegisterError, match="not found"):
        open_register(tmp_path / "missing.gpkg")


_ISSUER = textwrap.dedent("""
    import datetime as dt, sys
    from landuse.certificates.register import open_register
    from landuse.errors import RegisterError
    reg = open_register(sys.argv[1])
    tag = sys.argv[2]
    done = refused = 0
    for k in range(int(sys.argv[3])):
        items = [{"pid": f"P{j}", "hid": f"{tag}{k}", "vil": "V1", "vn": "", "dis": "", "h": [["", tag]],
                  "lt": "paddy", "a": "1.0000", "g": "0" * 32, "k": "",
                  "geometry_wkt": "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"} for j in range(40)]
        try:
            reg.sync(items, villages=["V1"], issue_date=dt.date(2026, 1, 15), valid_until=dt.date(2029, 1, 15),
                     actor=tag)
            done += 1
        except RegisterError as exc:
            assert "another process is writing" in str(exc) or "locked" in str(exc), exc
            refused += 1
    print(done, refused)
""")


def test_second_issuer_is_refused_while_the_lock_is_held(reg):
    import os

    fd = os.open(reg.path.with_name(reg.path.name + ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(RegisterError, match="another process is writing to this register now.*wait"):
            _sync(reg, [_item("P1")])
    finally:
        os.close(fd)
    assert reg.events().empty
    # a database lock held by another program (a QGIS edit session)
    con = sqlite3.connect(reg.path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(RegisterError, match="the register is locked"):
            _sync(reg, [_item("P1")])
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert _sync(reg, [_item("P1")]).issued == ["V1-2026-000001"]


def test_two_processes_issuing_at_once(reg):
    """Both issue in a loop: each sync either succeeds or is refused whole; the register stays consistent."""
    script = reg.path.parent / "issuer.py"
    script.write_text(_ISSUER)
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(certificates.__file__).parents[2])}
    procs = [subprocess.Popen([sys.executable, str(script), str(reg.path), tag, "15"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for tag in ("A", "B")]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    done = sum(int(o[0].split()[0]) for o in outs)
    assert done >= 1
    reg.verify_chain()
    cur = reg.current()
    assert len(cur) == 40 and cur["parcel_id"].is_unique
    ev = reg.events()
    issued = ev[ev["event"].isin(["issued", "reissued"])]
    assert issued["certificate_no"].is_unique  # no number issued twice
    # every sync that succeeded wrote 40 new certificates (the household changes each time)
    assert len(issued) == 40 * done


# -- the invariant, as a property ---------------------------------------------------------------
_step = st.one_of(
    st.tuples(st.just("run"), st.dictionaries(st.sampled_from([f"P{i}" for i in range(6)]),
                                              st.tuples(st.sampled_from(["H1", "H2", "H3"]),
                                                        st.sampled_from(["Bounmy", "Bounmi", "Vanh"]),
                                                        st.sampled_from(["1.0000", "0.5000"])), max_size=6)),
    st.tuples(st.just("revoke"), st.integers(0, 5)),
    st.tuples(st.just("transfer"), st.integers(0, 5)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_step, min_size=1, max_size=8))
def test_property_one_current_certificate_per_parcel_matching_the_allocation(steps):
    with tempfile.TemporaryDirectory() as tmp:
        reg = open_register(Path(tmp) / "r.gpkg", create=True)
        allocation: dict[str, tuple] = {}
        seen_numbers: set[str] = set()
        for kind, arg in steps:
            if kind == "run":
                allocation = dict(arg)
                before = {r["parcel_id"]: r["certificate_no"] for r in reg.current().to_dict("records")}
                res = _sync(reg, [_item(pid, hid, name, area) for pid, (hid, name, area) in allocation.items()])
                assert not (set(res.issued) & seen_numbers)  # never reused
                seen_numbers |= set(res.issued)
                cur = reg.current()
                assert cur["parcel_id"].is_unique
                # the current certificates are exactly the allocation
                got = {r["parcel_id"]: (r["household_id"], r["holder"], r["area_ha"]) for r in cur.to_dict("records")}
                assert got == allocation
                # an unchanged parcel kept its certificate
                for pid in res.unchanged:
                    assert pid in before.values()
                for pid, no in before.items():
                    if pid in allocation and no not in res.superseded and no not in res.revoked:
                        assert res.records[pid]["no"] == no
            else:
                cur = reg.current()
                if cur.empty:
                    continue
                row = cur.iloc[arg % len(cur)]
                if kind == "revoke":
                    reg.revoke(row["certificate_no"], reason="test", actor="t")
                    allocation.pop(row["parcel_id"], None)
                else:
                    rec = reg.transfer(row["certificate_no"], household_id="H7", holders=[["", "Heir"]],
                                       reason="inheritance", actor="t", issue_date=D1, valid_until=D2)
                    assert rec["no"] not in seen_numbers
                    seen_numbers.add(rec["no"])
                    allocation[row["parcel_id"]] = ("H7", "Heir", row["area_ha"])
                cur = reg.current()
                assert cur["parcel_id"].is_unique
                got = {r["parcel_id"]: (r["household_id"], r["holder"], r["area_ha"]) for r in cur.to_dict("records")}
                assert got == allocation
        assert reg.verify_chain() == len(reg.events())


# -- signed certificates and verification statuses ----------------------------------------------
@pytest.fixture
def issued(tmp_path, key):
    out = tmp_path / "run1"
    res = _write(out, key_file=key.private_path, register=tmp_path / "district" / "register.gpkg")
    return res, tmp_path / "district" / "register.gpkg"


def test_signed_batch_verifies_and_rerun_is_byte_identical(issued, key, tmp_path):
    res, regpath = issued
    assert [p.name for p in res.files] == [f"V1-2026-00000{i}.pdf" for i in range(1, 6)]
    reg = open_register(regpath)
    assert set(reg.public_keys()) == {key.key_id}
    for f in res.files:
        v = certificates.verify_certificate(f, register=regpath, check_qr=False)
        assert v.status == "VALID" and v.valid, str(v)
    # verification with only the public key (no register): signature and content checked
    v = certificates.verify_certificate(res.files[0], public_keys=[keys.load_public_key(key.public_path)],
                                        check_qr=have("pdftoppm"))
    assert v.status == "VALID", str(v)
    # a rerun into a new folder: same serials and dates, byte-identical PDFs, no new event
    n = len(reg.events())
    again = _write(tmp_path / "run2", key_file=key.private_path, register=regpath, issue_date=dt.date(2026, 6, 1))
    assert [p.read_bytes() for p in again.files] == [p.read_bytes() for p in res.files]
    assert len(reg.events()) == n


def test_name_correction_supersedes_only_that_household(issued, key, tmp_path):
    res, regpath = issued
    before = open_register(regpath).current().set_index("parcel_id")["certificate_no"].to_dict()
    hh = _households()
    hh.loc[hh["household_id"] == "H2", "head_name"] = "Khammany Luangraj"  # corrected spelling
    after = _write(tmp_path / "run2", key_file=key.private_path, register=regpath, households=hh,
                   issue_date=dt.date(2026, 2, 1))
    reg = open_register(regpath)
    now = reg.current().set_index("parcel_id")
    h2 = {pid for pid, hid in zip(_allocations()["parcel_id"], _allocations()["household_id"]) if hid == "H2"}
    for pid, no in before.items():
        if pid in h2:
            assert now.loc[pid, "certificate_no"] != no
            assert reg.status(no)["status"] == "SUPERSEDED"
            assert now.loc[pid, "issue_date"] == "2026-02-01"
        else:  # H1's certificates name H2 as a neighbour, but that text is not signed: unchanged
            assert now.loc[pid, "certificate_no"] == no and now.loc[pid, "issue_date"] == "2026-01-15"
    # the stale printed certificate of H2 verifies as SUPERSEDED, naming its successor
    old = next(f for f in res.files if f.stem == before[sorted(h2)[0]])
    v = certificates.verify_certificate(old, register=regpath, check_qr=False)
    assert v.status == "SUPERSEDED" and not v.valid
    assert any(now.loc[sorted(h2)[0], "certificate_no"] in n for n in v.notes)
    assert len(after.files) == 5


def test_revoked_certificate_status(issued):
    res, regpath = issued
    open_register(regpath).revoke(res.files[0].stem, reason="issued in error", actor="officer")
    v = certificates.verify_certificate(res.files[0], register=regpath, check_qr=False)
    assert v.status == "REVOKED" and "issued in error" in str(v)


def test_unsigned_certificate_status(tmp_path):
    res = _write(tmp_path / "u", register=tmp_path / "r.gpkg")
    v = certificates.verify_certificate(res.files[0], register=tmp_path / "r.gpkg", check_qr=False)
    assert v.status == "UNSIGNED" and v.valid  # unaltered, but not signed
    from landuse.cli.main import cli

    out = CliRunner().invoke(cli, ["verify", str(res.files[0]), "--register", str(tmp_path / "r.gpkg"), "--no-qr"])
    assert out.exit_code == 1 and "UNSIGNED" in out.output
    out = CliRunner().invoke(cli, ["verify", str(res.files[0]), "--register", str(tmp_path / "r.gpkg"), "--no-qr",
                                   "--allow-unsigned"])
    assert out.exit_code == 0


def _embedded(pdf: Path) -> dict:
    import pypdf

    return json.loads(pypdf.PdfReader(str(pdf)).attachments["certificate.json"][0])["certificates"][0]


def _render_with(qr: str, signed_record: str, **changes) -> bytes:
    reg = certificates.certificate_register(_allocations(), households=_households(), villages=_villages(),
                                            parcels=_parcels(), issue_date=ISSUE)
    row = reg[reg["parcel_id"] == "V1-P0"].copy()
    rec = json.loads(signed_record)
    row["certificate_no"] = rec["no"]
    for k, v in changes.items():
        row[k] = v
    r = row.iloc[0]
    row["digest"] = _digest.digest({f: r["geometry_wkt"] if f == "geometry" else (int(r[f]) if f == "area_m2" else r[f])
                                    for f in _digest.FIELDS})
    row["qr"] = qr
    row["signed_record"] = signed_record
    return certificates.render_certificates(row)


def test_tampered_pdf_names_the_field(issued, tmp_path):
    """A genuine signed QR copied onto a certificate with another holder and area."""
    res, regpath = issued
    genuine = res.files[0]
    emb = _embedded(genuine)
    assert emb["parcel_id"] == "V1-P0"
    forged = tmp_path / "tampered.pdf"
    forged.write_bytes(_render_with(emb["qr"], json.dumps(emb["record"]), holder="Mallory", area_m2=12_000))
    v = certificates.verify_certificate(forged, register=regpath, check_qr=have("pdftoppm"))
    assert v.status == "INVALID"
    assert {"holder", "area_m2"} <= set(v.fields), str(v)
    assert "signature" not in v.fields  # the copied QR itself is genuine


def test_record_resigned_with_another_key(issued, tmp_path):
    """Forgery: the record edited and re-signed with the forger's own key."""
    res, regpath = issued
    emb = _embedded(res.files[0])
    other = keys.load_private_key(keys.init_keys(tmp_path / "mallory.pem").private_path)
    rec = {**emb["record"], "h": [["", "Mallory"]], "hid": "H9"}
    qr = keys.seal(rec, other)
    forged = tmp_path / "resigned.pdf"
    forged.write_bytes(_render_with(qr, keys.canonical_record({**rec, "k": keys.key_id(other)}).decode(),
                                    holder="Mallory", household_id="H9", holder_lo=""))
    v = certificates.verify_certificate(forged, register=regpath, check_qr=False)
    # the district kept the hash of the PDF it issued under this number: the file is refused,
    # and the foreign key is named
    assert v.status == "INVALID" and not v.valid and "pdf_sha256" in v.fields, str(v)
    assert keys.key_id(other) in str(v) and "--public-key" in str(v)
    # with only the public key (no register), the foreign signature is the verdict
    v = certificates.verify_certificate(forged, public_keys=[keys.load_public_key(
        keys.init_keys(tmp_path / "district2.pem").public_path)], check_qr=False)
    assert v.status == "UNKNOWN-KEY" and not v.valid, str(v)
    # the forger claims the district's key id: the signature fails
    body = keys.canonical_record({**rec, "k": emb["record"]["k"]})
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(other.sign(body, ec.ECDSA(hashes.SHA256())))
    import base64

    b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()  # noqa: E731
    claim = f"LUC1.{b(body)}.{b(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    forged.write_bytes(_render_with(claim, body.decode(), holder="Mallory", household_id="H9", holder_lo=""))
    v = certificates.verify_certificate(forged, register=regpath, check_qr=False)
    assert v.status == "INVALID" and v.fields == ["signature", "pdf_sha256"], str(v)


def test_forged_register_row(issued, key, tmp_path):
    """Forgery through the register: a row edited behind the triggers' back is caught by the chain."""
    res, regpath = issued
    with contextlib.closing(sqlite3.connect(regpath)) as con:
        con.execute("DROP TRIGGER events_append_only_update")
        rec = json.loads(con.execute("SELECT record FROM events WHERE seq=1").fetchone()[0])
        rec["h"] = [["", "Mallory"]]
        con.execute("UPDATE events SET record=? WHERE seq=1", (json.dumps(rec, ensure_ascii=False),))
        con.commit()
    with pytest.raises(RegisterError, match="hash chain broken at event 1"):
        certificates.verify_certificate(res.files[0], register=regpath, check_qr=False)
    from landuse.cli.main import cli

    out = CliRunner().invoke(cli, ["verify", str(res.files[0]), "--register", str(regpath), "--no-qr"])
    assert out.exit_code == 1 and "hash chain broken at event 1" in out.output and out.output.count("\n") == 1
    # the genuine certificate still verifies by its signature alone; the edited register row does not match it
    reg = open_register(regpath)
    v = certificates.verify_certificate(res.files[0], register=reg, check_qr=False)  # chain check skipped
    assert v.status == "INVALID" and "register h" in v.fields, str(v)


def test_unknown_key_cli_one_line_per_file(issued, tmp_path):
    res, _ = issued
    from landuse.cli.main import cli

    out = CliRunner().invoke(cli, ["verify", str(res.files[0]), "--no-qr"])
    assert out.exit_code == 1 and out.output.count("\n") == 1, out.output
    assert "UNKNOWN-KEY" in out.output and "Fix:" in out.output and "--public-key" in out.output


def test_folder_without_certificates(tmp_path):
    from landuse.cli.main import cli

    (tmp_path / "empty").mkdir()
    out = CliRunner().invoke(cli, ["verify", str(tmp_path / "empty")])
    assert out.exit_code == 1 and "no certificate PDFs" in out.output


@pytest.mark.poppler
@pytest.mark.skipif(not have("pdftoppm"), reason="poppler-utils is not installed")
def test_scanned_certificate_is_verified_from_its_qr(issued, tmp_path):
    pytest.importorskip("zxingcpp")
    from PIL import Image

    res, regpath = issued
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", str(res.files[0]),
                    str(tmp_path / "scan")], check=True)
    scan = tmp_path / "scan.pdf"
    Image.open(tmp_path / "scan.png").convert("L").save(scan, "PDF", resolution=200)
    v = certificates.verify_certificate(scan, register=regpath)
    assert v.status == "VALID", str(v)
    assert v.certificates == [res.files[0].stem] and any("scanned copy" in n for n in v.notes)
    open_register(regpath).revoke(res.files[0].stem, reason="lost", actor="officer")
    assert certificates.verify_certificate(scan, register=regpath).status == "REVOKED"


def test_cli_register_commands(issued, key, tmp_path):
    res, regpath = issued
    from landuse.cli.main import cli

    runner = CliRunner()
    no = res.files[0].stem
    out = runner.invoke(cli, ["register", "status", "--register", str(regpath)])
    assert out.exit_code == 0 and "5 certificate(s) in force" in out.output and "hash chain intact" in out.output
    out = runner.invoke(cli, ["register", "transfer", "--register", str(regpath), no, "--household", "H9",
                              "--holder-en", "Nang Keo", "--reason", "inheritance", "--key-file",
                              str(key.private_path), "--issue-date", "2026-05-01"])
    assert out.exit_code == 0, out.output
    assert open_register(regpath).record("V1-2026-000006")["k"] == key.key_id
    out = runner.invoke(cli, ["register", "status", "--register", str(regpath), no])
    assert "TRANSFERRED" in out.output and "V1-2026-000006" in out.output
    out = runner.invoke(cli, ["register", "history", "--register", str(regpath), "V1-P0"])
    assert out.exit_code == 0 and "transferred" in out.output and "reissued" in out.output
    out = runner.invoke(cli, ["register", "revoke", "--register", str(regpath), "V1-2026-000006",
                              "--reason", "court decision"])
    assert out.exit_code == 0
    out = runner.invoke(cli, ["register", "revoke", "--register", str(regpath), "V1-2026-000006",
                              "--reason", "again"])
    assert out.exit_code == 1 and "not in force" in out.output
    out = runner.invoke(cli, ["register", "export", "--register", str(regpath), str(tmp_path / "cur.csv")])
    assert out.exit_code == 0 and len(pd.read_csv(tmp_path / "cur.csv")) == 4


# -- certificate-level isolation ------------------------------------------------------------------
def test_degenerate_parcel_fails_alone(tmp_path, key):
    from shapely.geometry import box

    from conftest import X0, Y0

    alloc = _allocations()
    alloc.loc[alloc.index[4], "geometry"] = box(X0 + 500, Y0, X0 + 530, Y0 + 1e-6)  # 30 m x 1 µm sliver
    res = _write(tmp_path / "out", allocations=alloc, parcels=None, key_file=key.private_path,
                 register=tmp_path / "r.gpkg")
    assert list(res.failed) == ["V1-P4"] and "degenerate" in res.failed["V1-P4"]
    assert len(res.files) == 4 and res.written == 4
    assert pd.read_csv(tmp_path / "out" / "failed.csv")["certificate"].tolist() == ["V1-P4"]
    assert sorted(open_register(tmp_path / "r.gpkg").current()["parcel_id"]) == ["V1-P0", "V1-P1", "V1-P2", "V1-P3"]


def test_drawing_failure_fails_only_that_certificate(tmp_path, monkeypatch):
    from landuse.certificates import _layout as _cert_layout

    real = _cert_layout.draw

    def draw(doc, rec, lab, m):
        if rec["parcel_id"] == "V1-P2":
            raise ValueError("cannot convert float NaN to integer")
        return real(doc, rec, lab, m)

    monkeypatch.setattr(_cert_layout, "draw", draw)
    res = _write(tmp_path / "out")
    assert list(res.failed) == ["V1-UP-0001"] and "NaN" in res.failed["V1-UP-0001"]
    assert len(res.files) == 4 and not (tmp_path / "out" / "V1" / "V1-UP-0001.pdf").exists()
    from landuse.cli.main import cli

    _allocations().to_file(tmp_path / "alloc.gpkg", layer="allocations")
    _households().to_csv(tmp_path / "hh.csv", index=False)
    _villages().to_file(tmp_path / "villages.gpkg")
    out = CliRunner().invoke(cli, ["-q", "certificates", "--allocations", str(tmp_path / "alloc.gpkg"),
                                   "--households", str(tmp_path / "hh.csv"), "--villages",
                                   str(tmp_path / "villages.gpkg"), "--out", str(tmp_path / "cli"),
                                   "--issue-date", "2026-01-15"])
    assert out.exit_code == 1 and "certificate V1-UP-0001 FAILED" in out.output
    assert len(list((tmp_path / "cli").rglob("*.pdf"))) == 4


# -- dates, verifier page wiring --------------------------------------------------------------------
@pytest.mark.parametrize("utc, tz, expected", [
    (dt.datetime(2026, 1, 14, 16, 59), "Asia/Vientiane", dt.date(2026, 1, 14)),  # 23:59 in Laos
    (dt.datetime(2026, 1, 14, 17, 0), "Asia/Vientiane", dt.date(2026, 1, 15)),   # midnight in Laos
    (dt.datetime(2026, 1, 14, 17, 0), "UTC", dt.date(2026, 1, 14)),
])
def test_district_today_in_the_district_time_zone(utc, tz, expected):
    from landuse.certificates.register import district_today

    assert district_today(tz, now=utc.replace(tzinfo=dt.timezone.utc)) == expected


def test_unknown_time_zone(tmp_path):
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        open_register(tmp_path / "r.gpkg", create=True, timezone="Mars/Olympus")
    assert not (tmp_path / "r.gpkg").exists()


def test_event_times_carry_the_district_offset(reg):
    _sync(reg, [_item("P1")])
    assert reg.events()["time"].iloc[0].endswith("+07:00")


def test_keys_verifier_page_passes_the_register_keys(issued, key, tmp_path, monkeypatch):
    seen = {}

    def write_verifier_page(public_keys, path, *, overwrite=False):
        seen.update(keys=public_keys, path=path, overwrite=overwrite)
        Path(path).write_text("page")
        return Path(path)

    import landuse.certificates

    monkeypatch.setattr(landuse.certificates, "write_verifier_page", write_verifier_page, raising=False)
    from landuse.cli.main import cli

    _, regpath = issued
    out = CliRunner().invoke(cli, ["keys", "verifier-page", str(tmp_path / "v.html"), "--register", str(regpath),
                                   "--public-key", str(key.public_path)])
    assert out.exit_code == 0, out.output
    import base64

    from cryptography.hazmat.primitives import serialization

    spki = keys.load_public_key(key.public_path).public_bytes(serialization.Encoding.DER,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    assert [k["key_id"] for k in seen["keys"]] == [key.key_id]  # the same key from both sources, once
    assert base64.b64decode(seen["keys"][0]["spki_der_b64"]) == spki


# -- CLI and plan file ------------------------------------------------------------------------------
def test_cli_issue_supersede_and_verify(tmp_path, key):
    from landuse.cli.main import cli

    _allocations().to_file(tmp_path / "alloc.gpkg", layer="allocations")
    _households().to_csv(tmp_path / "hh.csv", index=False)
    _villages().to_file(tmp_path / "villages.gpkg")
    regpath = tmp_path / "district" / "register.gpkg"
    base = ["certificates", "--allocations", str(tmp_path / "alloc.gpkg"),
            "--villages", str(tmp_path / "villages.gpkg"),
            "--key-file", str(key.private_path), "--register", str(regpath)]
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", *base, "--households", str(tmp_path / "hh.csv"), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    hh = _households()
    hh.loc[0, "head_name"] = "Sisavath Keophilla"
    hh.to_csv(tmp_path / "hh2.csv", index=False)
    # no --issue-date: the new certificates get today's date (district time), the others keep theirs
    res = runner.invoke(cli, ["-q", *base, "--households", str(tmp_path / "hh2.csv"), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    from landuse.certificates.register import district_today

    cur = open_register(regpath).current().set_index("parcel_id")
    h1 = cur[cur["household_id"] == "H1"]
    assert len(h1) == 3 and set(h1["issue_date"]) == {district_today().isoformat()}
    old = tmp_path / "a" / "V1" / "V1-2026-000001.pdf"  # H1's first parcel: superseded
    res = runner.invoke(cli, ["verify", str(old), "--register", str(regpath), "--no-qr"])
    assert res.exit_code == 1 and "SUPERSEDED" in res.output and "V1-2026-000006" in res.output
    new = tmp_path / "b" / "V1" / "V1-2026-000006.pdf"
    res = runner.invoke(cli, ["verify", str(new), "--register", str(regpath), "--no-qr"])
    assert res.exit_code == 0 and "VALID" in res.output, res.output
    # H2's certificate keeps its number; its page names the corrected neighbour (informational, not
    # signed), and the copy printed in run a still verifies
    printed_a = tmp_path / "a" / "V1" / "V1-2026-000002.pdf"
    assert (tmp_path / "b" / "V1" / "V1-2026-000002.pdf").exists()
    res = runner.invoke(cli, ["verify", str(printed_a), "--register", str(regpath), "--no-qr"])
    assert res.exit_code == 0 and "VALID" in res.output, res.output
    res = runner.invoke(cli, ["verify", str(tmp_path / "b"), "--public-key", str(key.public_path), "--no-qr"])
    assert res.exit_code == 0 and "5 of 5 file(s) valid" in res.output, res.output


def test_plan_file_certificates_table(tmp_path):
    from landuse.datasets import get_path
    from landuse.errors import RuleError
    from landuse.plan import load_plan

    text = Path(get_path("plan")).read_text("utf-8")
    base = Path(get_path("plan")).parent
    plan = load_plan(text=text + '\n[certificates]\nregister = "d/register.gpkg"\nkey_file = "d/k.pem"\n'
                                 'timezone = "Asia/Bangkok"\npades = true\n', base_dir=base)
    c = plan.certificate
    assert (c.register, c.key_file, c.timezone, c.pades) == (base.resolve() / "d" / "register.gpkg",
                                                              base.resolve() / "d" / "k.pem", "Asia/Bangkok", True)
    with pytest.raises(RuleError, match=r"key 'keyfile' in \[certificates\]: unknown key.*"
                       r"did you mean 'key_file'"):
        load_plan(text=text + '\n[certificates]\nkeyfile = "x"\n', base_dir=base)
    with pytest.raises(ValueError, match="unknown time zone"):
        load_plan(text=text + '\n[certificates]\ntimezone = "Nowhere"\n', base_dir=base)
    assert load_plan(text=text, base_dir=base).certificate.register is None


def test_verify_qr_text(issued, key, tmp_path):
    res, regpath = issued
    emb = _embedded(res.files[0])
    assert certificates.verify_qr(emb["qr"], register=regpath).status == "VALID"
    assert certificates.verify_qr(emb["qr"], public_keys=[keys.load_public_key(key.public_path)]).status == "VALID"
    assert certificates.verify_qr(emb["qr"]).status == "UNKNOWN-KEY"
    prefix, body, sig = emb["qr"].split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    v = certificates.verify_qr(f"{prefix}.{body}.{flipped}", register=regpath)
    assert v.status == "INVALID" and v.fields == ["signature"]
    assert certificates.verify_qr("hello", register=regpath).fields == ["qr"]


def district_name_in(text):
    return "Xay" in text


def test_pades_signs_each_pdf_for_real(tmp_path, key):
    """``pades=True`` with the real pyHanko module: every PDF carries an intact PAdES signature."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    certificates._seal._PADES.clear()
    regpath = tmp_path / "district" / "register.gpkg"
    res = _write(tmp_path / "p", key_file=key.private_path, pades=True, register=regpath)
    assert len(res.files) == 5
    for f in res.files:
        sig = PdfFileReader(io.BytesIO(f.read_bytes())).embedded_signatures
        assert len(sig) == 1
        status = validate_pdf_signature(sig[0], ValidationContext(trust_roots=[sig[0].signer_cert],
                                                                  allow_fetching=False))
        assert status.intact and status.valid
        assert "Xay" in sig[0].signer_cert.subject.human_friendly
    # the PAdES signature is an incremental update: the certificate still verifies as issued
    v = certificates.verify_certificate(res.files[0], register=regpath, check_qr=False)
    assert v.status == "VALID", str(v)


def test_pades_hook_signs_each_pdf(tmp_path, key, monkeypatch):
    import types

    calls = []

    def sign_pdf_pades(pdf_bytes, *, private_key, certificate, reason, location, stamp_lao, stamp_en):
        assert district_name_in(stamp_lao) and district_name_in(stamp_en)
        calls.append((keys.key_id(private_key), certificate, reason, location))
        return pdf_bytes + b"%PADES\n"

    fake = types.SimpleNamespace(sign_pdf_pades=sign_pdf_pades,
                                 self_signed_certificate=lambda k, *, district: f"cert:{district}")
    monkeypatch.setattr(certificates._seal, "_pades", fake)
    certificates._seal._PADES.clear()
    res = _write(tmp_path / "p", key_file=key.private_path, pades=True)
    assert len(calls) == 5 and {c[0] for c in calls} == {key.key_id}
    assert calls[0][1:] == ("cert:Xay", "land-use certificate", "Xay, Oudomxai")
    assert all(f.read_bytes().endswith(b"%PADES\n") for f in res.files)
    with pytest.raises(LanduseError, match="needs the district key"):
        _write(tmp_path / "q", pades=True)


def test_rerun_into_the_same_folder_removes_superseded_files(tmp_path, key):
    regpath = tmp_path / "r.gpkg"
    first = _write(tmp_path / "out", key_file=key.private_path, register=regpath)
    hh = _households()
    hh.loc[hh["household_id"] == "H2", "head_name"] = "Khammany Luangraj"
    again = _write(tmp_path / "out", key_file=key.private_path, register=regpath, households=hh, overwrite=True)
    pdfs = sorted(p.name for p in (tmp_path / "out").rglob("*.pdf"))
    assert pdfs == sorted(p.name for p in again.files) and len(pdfs) == 5
    index = pd.read_csv(tmp_path / "out" / "register.csv", dtype=str)
    assert sorted(index["certificate_no"]) == sorted(open_register(regpath).current()["certificate_no"])
    assert set(p.name for p in first.files) - set(pdfs) == {"V1-2026-000002.pdf", "V1-2026-000004.pdf"}


def test_plan_certificate_settings_reach_write_certificates(tmp_path, monkeypatch):
    import dataclasses

    from landuse.plan import _products as _plan_outputs
    from landuse.datasets import get_path
    from landuse.plan import load_plan

    monkeypatch.setenv(keys.PASSPHRASE_ENV, "pw")
    plan = load_plan(get_path("plan"))
    plan = dataclasses.replace(plan, certificate=dataclasses.replace(
        plan.certificate, key_file=tmp_path / "k.pem", register=tmp_path / "r.gpkg", timezone="Asia/Vientiane"))
    assert _plan_outputs._certificate_settings(plan) == {
        "key_file": tmp_path / "k.pem", "register": tmp_path / "r.gpkg", "timezone": "Asia/Vientiane",
        "pades": False, "passphrase": "pw"}


def test_run_plan_overrides_the_plan_certificate_table(tmp_path, monkeypatch):
    from landuse.plan import _run as _plan_run
    from landuse.datasets import get_path
    from landuse.plan import run_plan

    seen = {}

    class Stop(Exception):
        pass

    def execute(plan, out, **kw):
        seen["plan"] = plan
        raise Stop

    monkeypatch.setattr(_plan_run, "execute", execute)
    with pytest.raises(Stop):
        run_plan(get_path("plan"), out_dir=tmp_path / "o", key_file=tmp_path / "k.pem",
                 register=tmp_path / "r.gpkg", pades=True)
    c = seen["plan"].certificate
    assert (c.key_file, c.register, c.pades) == (tmp_path / "k.pem", tmp_path / "r.gpkg", True)


@pytest.mark.browser
def test_printed_qr_of_an_issued_certificate_is_valid_on_the_phone_page(issued, key, tmp_path):
    """End to end: ``landuse keys verifier-page --register`` trusts the district key, and the
    QR printed on an issued certificate (read back from a 200 dpi render) checks VALID there;
    one changed character of the record makes it INVALID."""
    import shutil

    import zxingcpp
    from PIL import Image

    from landuse.cli.main import cli

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists() or not shutil.which("pdftoppm"):
        pytest.skip("needs chromium and poppler-utils (apt install chromium poppler-utils)")
    sync_api = pytest.importorskip("playwright.sync_api")
    res, regpath = issued
    page_path = tmp_path / "verify.html"
    r = CliRunner().invoke(cli, ["keys", "verifier-page", str(page_path), "--register", str(regpath)])
    assert r.exit_code == 0, r.output
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(res.files[0]),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    texts = [b.text for b in zxingcpp.read_barcodes(Image.open(png)) if b.text.startswith("LUC1.")]
    assert len(texts) == 1
    qr = texts[0]
    prefix, body, sig = qr.split(".")
    import base64

    rec = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    forged_rec = rec.replace(b'"lt":"', b'"lt":"x', 1)
    assert forged_rec != rec
    forged = ".".join([prefix, base64.urlsafe_b64encode(forged_rec).rstrip(b"=").decode(), sig])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        pg = browser.new_context(offline=True).new_page()
        pg.goto(page_path.as_uri(), wait_until="load")
        pg.wait_for_selector("body[data-ready]", timeout=15_000)
        out = {}
        for name, text in (("genuine", qr), ("forged", forged)):
            pg.fill("#lu-payload", text)
            pg.click("#lu-check")
            pg.wait_for_selector("#lu-result[data-status]:not([data-status=''])", timeout=10_000)
            out[name] = pg.locator("#lu-result").get_attribute("data-status")
            pg.fill("#lu-payload", "")
            pg.evaluate("document.querySelector('#lu-result').setAttribute('data-status', '')")
        browser.close()
    assert out == {"genuine": "valid", "forged": "invalid"}


def test_batch_verification_in_parallel_equals_one_by_one(issued, key, tmp_path):
    """``verify_certificates`` (2 processes, register opened once) gives the same verdicts,
    in the same order, as ``verify_certificate`` file by file, including a tampered file."""
    res, regpath = issued
    files = list(res.files) * 2  # >= 8 files: the process pool is used
    bad = tmp_path / "tampered.pdf"
    data = bytearray(res.files[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    files.insert(3, bad)
    batch = list(certificates.verify_certificates(files, register=regpath, check_qr=False, workers=2))
    assert [p for p, _ in batch] == files
    for p, v in batch:
        try:
            one = certificates.verify_certificate(p, register=regpath, check_qr=False)
        except LanduseError as exc:
            assert isinstance(v, LanduseError) and str(v) == str(exc)
            continue
        assert (v.status, v.fields) == (one.status, one.fields)
    assert batch[0][1].status == "VALID"
    # one flipped byte anywhere (here in a font or image stream the text checks cannot see)
    assert batch[3][1].status == "INVALID" and "pdf_sha256" in batch[3][1].fields


def test_printed_file_hashes_are_kept_and_append_only(issued):
    res, regpath = issued
    reg = open_register(regpath)
    emb = _embedded(res.files[0])
    import hashlib

    assert reg.file_hashes(emb["certificate_no"]) == {hashlib.sha256(res.files[0].read_bytes()).hexdigest()}
    assert reg.record_files([(emb["certificate_no"], "0" * 64)]) == 1
    assert reg.record_files([(emb["certificate_no"], "0" * 64)]) == 0  # kept once
    with contextlib.closing(sqlite3.connect(regpath)) as con, pytest.raises(sqlite3.DatabaseError,
                                                                         match="append-only"):
        con.execute("DELETE FROM printed_files")


def test_timezone_info_names_the_zone_or_says_how_to_fix_it():
    from landuse.certificates import timezone_info
    from landuse.errors import SchemaError

    tz = timezone_info("Asia/Vientiane")
    assert dt.datetime(2026, 1, 15, 12, tzinfo=tz).utcoffset() == dt.timedelta(hours=7)
    with pytest.raises(SchemaError, match="unknown time zone 'Asia/Xaysomboun'.*tzdata"):
        timezone_info("Asia/Xaysomboun")
