"""Tests of landuse.certificates.keys: key files, permissions, passphrases, the signed QR record."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from landuse.certificates import keys
from landuse.errors import KeyFileError, OutputExistsError

REC = {"v": 1, "no": "V1-2026-000001", "pid": "V1-P0", "vil": "V1", "vn": "ປ່າສັກ / Pasak", "dis": "ໄຊ / Xay",
       "h": [["ສີສະຫວາດ", "Sisavath"]], "hid": "H1", "lt": "paddy", "a": "1.0000", "iss": "2026-01-15",
       "exp": "2029-01-15", "g": "0" * 32}


def _b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def keypair(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    info = keys.init_keys(tmp_path / "district.pem")
    return info


def test_init_writes_owner_only_private_key_and_public_key(keypair):
    mode = stat.S_IMODE(os.stat(keypair.private_path).st_mode)
    assert mode == 0o600
    assert keypair.public_path.name == "district.pub.pem"
    pub = keys.load_public_key(keypair.public_path)
    spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # key id: independent computation from the spec (first 16 hex of SHA-256 of the SPKI DER)
    assert keypair.key_id == hashlib.sha256(spki).hexdigest()[:16]
    assert keypair.fingerprint.replace(":", "") == hashlib.sha256(spki).hexdigest()
    priv = keys.load_private_key(keypair.private_path)
    assert keys.key_id(priv) == keypair.key_id


def test_init_refuses_to_replace_a_key(keypair):
    with pytest.raises(OutputExistsError, match="key file exists"):
        keys.init_keys(keypair.private_path)


def test_world_or_group_readable_key_refused_with_chmod_fix(keypair):
    for mode in (0o644, 0o640, 0o604):
        os.chmod(keypair.private_path, mode)
        with pytest.raises(KeyFileError, match=r"readable by others.*chmod 600") as exc:
            keys.load_private_key(keypair.private_path)
        assert "\n" not in str(exc.value) and str(keypair.private_path) in str(exc.value)


def test_missing_key_file(tmp_path):
    with pytest.raises(KeyFileError, match="not found.*landuse keys init"):
        keys.load_private_key(tmp_path / "nope.pem")


def test_passphrase_wrong_missing_and_from_env(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    info = keys.init_keys(tmp_path / "k.pem", passphrase="correct horse")
    assert b"ENCRYPTED" in info.private_path.read_bytes()
    with pytest.raises(KeyFileError, match="needs its passphrase"):
        keys.load_private_key(info.private_path)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        keys.load_private_key(info.private_path, passphrase="wrong")
    assert keys.key_id(keys.load_private_key(info.private_path, passphrase="correct horse")) == info.key_id
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "correct horse")
    assert keys.key_id(keys.load_private_key(info.private_path)) == info.key_id


def test_not_a_key(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    os.chmod(bad, 0o600)
    with pytest.raises(KeyFileError, match="not a PEM private key"):
        keys.load_private_key(bad)


def test_seal_follows_the_payload_spec(keypair):
    """Decode the QR text by hand (spec) and verify with cryptography directly: an independent oracle."""
    priv = keys.load_private_key(keypair.private_path)
    text = keys.seal(REC, priv)
    prefix, body, sig = text.split(".")
    assert prefix == "LUC1" and "=" not in body + sig
    data = _b64u(body)
    rec = json.loads(data)
    assert rec == {**REC, "k": keypair.key_id}
    assert data == json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw = _b64u(sig)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    priv.public_key().verify(der, data, ec.ECDSA(hashes.SHA256()))  # raises if wrong
    assert keys.seal(REC, priv) == text  # deterministic (RFC 6979)


def test_open_seal_statuses(keypair, tmp_path):
    priv = keys.load_private_key(keypair.private_path)
    pub = keys.load_public_key(keypair.public_path)
    text = keys.seal(REC, priv)
    assert keys.open_seal(text, [pub]).status == "SIGNED"
    # unknown key: a record re-signed with another key
    other = keys.load_private_key(keys.init_keys(tmp_path / "other.pem").private_path)
    forged = keys.seal({**REC, "h": [["", "Mallory"]]}, other)
    assert keys.open_seal(forged, [pub]).status == "UNKNOWN-KEY"
    # another key that claims the district's key id
    body = dict(json.loads(_b64u(forged.split(".")[1])), k=keypair.key_id)
    data = keys.canonical_record(body)
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(other.sign(data, ec.ECDSA(hashes.SHA256())))
    claim = "LUC1." + base64.urlsafe_b64encode(data).rstrip(b"=").decode() + "." + \
        base64.urlsafe_b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).rstrip(b"=").decode()
    assert keys.open_seal(claim, [pub]).status == "BAD-SIGNATURE"
    # one altered byte of the record
    prefix, b, sig = text.split(".")
    altered = json.loads(_b64u(b))
    altered["a"] = "9.0000"
    b2 = base64.urlsafe_b64encode(keys.canonical_record(altered)).rstrip(b"=").decode()
    assert keys.open_seal(f"{prefix}.{b2}.{sig}", [pub]).status == "BAD-SIGNATURE"
    # unsigned draft
    draft = keys.seal(REC, None)
    assert draft.startswith("LUD1.") and draft.count(".") == 1
    assert keys.open_seal(draft, [pub]).status == "UNSIGNED"
    assert json.loads(_b64u(draft.split(".")[1]))["k"] == ""
    for junk in ("LU1|x|y", "LUC1.@@@.x", "hello", "LUC1.abc"):
        with pytest.raises(ValueError):
            keys.open_seal(junk, [pub])


def test_nfc_normalised_record():
    decomposed = "ສີ" + "\u0ec8"  # any string: NFC of NFD text equals NFC text
    import unicodedata

    a = keys.canonical_record({"h": [[unicodedata.normalize("NFD", "é" + decomposed), "x"]]})
    b = keys.canonical_record({"h": [[unicodedata.normalize("NFC", "é" + decomposed), "x"]]})
    assert a == b


def test_cli_keys_init_and_show(tmp_path, monkeypatch):
    from landuse.cli.main import cli

    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    runner = CliRunner()
    res = runner.invoke(cli, ["keys", "init", str(tmp_path / "x.pem")])
    assert res.exit_code == 0, res.output
    kid = keys.key_id(keys.load_public_key(tmp_path / "x.pub.pem"))
    assert f"key id       {kid}" in res.output
    res = runner.invoke(cli, ["keys", "init", str(tmp_path / "x.pem")])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "exists" in res.output
    os.chmod(tmp_path / "x.pem", 0o644)
    res = runner.invoke(cli, ["keys", "show", str(tmp_path / "x.pem")])
    assert res.exit_code == 1 and "chmod 600" in res.output and "Traceback" not in res.output
    res = runner.invoke(cli, ["keys", "init", str(tmp_path / "p.pem"), "--passphrase"], input="pw\npw\n")
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["keys", "show", str(tmp_path / "p.pem")], input="bad\n")
    assert res.exit_code == 1 and "wrong passphrase" in res.output
    res = runner.invoke(cli, ["keys", "show", str(tmp_path / "p.pem")], input="pw\n")
    assert res.exit_code == 0 and keys.key_id(keys.load_public_key(tmp_path / "p.pub.pem")) in res.output
