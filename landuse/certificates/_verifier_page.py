"""The offline certificate checker for phones: one self-contained HTML page (private).

:func:`write_verifier_page` writes a single HTML file that checks the signed QR text
of a land-use certificate (``LUC1.<record>.<signature>``, payload format version 1)
against the district public keys embedded in it. It makes no network request: its
script and style are ours (``landuse/certificates/data/``), inlined and pinned by their
SHA-256 in a Content-Security-Policy of ``default-src 'none'``; the keys travel as a
JSON data block. A district office copies the file to phones (Bluetooth, USB, chat);
opened from the phone's storage it works without internet.

Why ECDSA P-256 with SHA-256, and not Ed25519
    The page verifies with the browser's own WebCrypto
    (``crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, ...)``). WebCrypto has
    verified ECDSA P-256 in every mainstream mobile browser for years (Android
    Chrome and WebView, iOS Safari), whereas Ed25519 reached WebCrypto only recently
    (Chrome 137 in 2025, Safari 17, Firefox 129): the older Android phones common in
    district offices and villages would fail to check an Ed25519 signature. The EU
    digital COVID certificate and the ICAO visible digital seal made the same choice
    for the same reason. The signature is carried as the raw ``r || s`` pair of 64
    bytes (IEEE P1363), the form WebCrypto expects [1]_.

Reading the QR
    Where the browser has ``BarcodeDetector`` with the ``qr_code`` format (Chrome on
    Android, among others), the page reads the QR from the camera
    (``getUserMedia``) or from a photo. Elsewhere (desktop Chromium on Linux, for one)
    it says so and takes pasted QR text: any QR app can scan and copy it. No QR
    decoder is bundled.

What the page proves
    A VALID result says that a district key embedded in the page signed exactly this
    record. It does not say whether the certificate was later superseded or revoked:
    only the district office register knows that, and the page says so in Lao and
    English. Unsigned drafts (``LUD1.``) show as UNSIGNED DRAFT, never VALID.

References
----------
.. [1] W3C, "Web Cryptography API", ECDSA operations (signature format: the
   concatenation of r and s). https://www.w3.org/TR/WebCryptoAPI/
.. [2] NIST FIPS 186-4, "Digital Signature Standard", 2013; SEC 1 v2 (P-256).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from landuse.certificates._labels import load_labels
from landuse.errors import SchemaError
from landuse.io import atomic_output

__all__ = ["write_verifier_page"]

DEFAULT_TITLE_LAO = "ກວດສອບໃບຢັ້ງຢືນການນຳໃຊ້ທີ່ດິນ"
DEFAULT_TITLE_EN = "Land-use certificate checker"

#: Texts of the page, Lao first and English beside (field labels match the certificate's).
_TEXT: dict[str, Any] = {
    "status": {
        "valid": {"lo": "ຖືກຕ້ອງ", "en": "VALID"},
        "invalid": {"lo": "ບໍ່ຖືກຕ້ອງ", "en": "INVALID"},
        "unsigned": {"lo": "ສະບັບຮ່າງ ບໍ່ມີລາຍເຊັນ", "en": "UNSIGNED DRAFT"},
    },
    "reasons": {
        "ok": {"lo": "ລາຍເຊັນຂອງເມືອງຖືກຕ້ອງ", "en": "the district's signature matches this record"},
        "draft": {"lo": "ໃບນີ້ບໍ່ມີລາຍເຊັນ, ບໍ່ແມ່ນໃບຢັ້ງຢືນທີ່ໃຊ້ໄດ້",
                  "en": "this is an unsigned draft, not a valid certificate"},
        "bad_signature": {"lo": "ລາຍເຊັນບໍ່ກົງກັບຂໍ້ມູນ: ຂໍ້ມູນຖືກແກ້ໄຂ",
                          "en": "the signature does not match: the record was altered"},
        "unknown_key": {"lo": "ກະແຈລາຍເຊັນນີ້ ບໍ່ແມ່ນຂອງເມືອງທີ່ຮູ້ຈັກ",
                        "en": "signed with a key this page does not know"},
        "malformed": {"lo": "ຂໍ້ຄວາມ QR ບໍ່ຖືກຮູບແບບ", "en": "not a certificate QR text"},
        "no_qr": {"lo": "ບໍ່ພົບ QR ໃນຮູບ", "en": "no QR code found in the picture"},
        "no_camera": {"lo": "ເປີດກ້ອງບໍ່ໄດ້", "en": "the camera could not be opened"},
    },
    "captions": {
        "valid": {"lo": "ຂໍ້ມູນທີ່ເມືອງລົງລາຍເຊັນ", "en": "Record signed by the district"},
        "invalid": {"lo": "ຢ່າເຊື່ອຂໍ້ມູນລຸ່ມນີ້", "en": "Do NOT trust the data below"},
        "unsigned": {"lo": "ຂໍ້ມູນສະບັບຮ່າງ (ບໍ່ມີລາຍເຊັນ)", "en": "Draft data (not signed)"},
    },
    "fields": {
        "holder": {"lo": "ຜູ້ຖືສິດ", "en": "Holder(s)"},
        "certificate_no": {"lo": "ເລກທີ", "en": "Certificate no."},
        "parcel": {"lo": "ເລກຕອນດິນ", "en": "Parcel no."},
        "village": {"lo": "ບ້ານ", "en": "Village"},
        "district": {"lo": "ເມືອງ", "en": "District"},
        "household": {"lo": "ເລກຄົວເຮືອນ", "en": "Household no."},
        "land_type": {"lo": "ປະເພດທີ່ດິນ", "en": "Land type"},
        "area": {"lo": "ເນື້ອທີ່", "en": "Area"},
        "issue_date": {"lo": "ວັນທີອອກ", "en": "Issued"},
        "valid_until": {"lo": "ໃຊ້ໄດ້ຮອດ", "en": "Valid until"},
        "geometry": {"lo": "ລະຫັດຮູບຮ່າງຕອນດິນ", "en": "Parcel shape hash"},
        "key": {"lo": "ກະແຈລາຍເຊັນ", "en": "Signing key"},
    },
    "ha": "ha (ເຮັກຕາ)",
}

_UI = {
    "scan": ("ສະແກນດ້ວຍກ້ອງ", "Scan with camera"),
    "file": ("ເລືອກຮູບ QR", "Choose a photo of the QR"),
    "paste": ("ວາງຂໍ້ຄວາມ QR ລົງນີ້", "Or paste the QR text here"),
    "check": ("ກວດສອບ", "Check"),
    "noscan": ("ບຣາວເຊີນີ້ ອ່ານ QR ເອງບໍ່ໄດ້: ສະແກນດ້ວຍແອັບ QR ແລ້ວ ວາງຂໍ້ຄວາມລົງໃນກ່ອງ.",
               "This browser cannot read QR codes itself: scan with any QR app, copy the text "
               "and paste it into the box."),
    "scope": ("ໜ້ານີ້ ກວດສອບສະເພາະລາຍເຊັນເທົ່ານັ້ນ. ໃບຢັ້ງຢືນຖືກປ່ຽນແທນ ຫຼື ຖືກຍົກເລີກແລ້ວ ຫຼື ບໍ່, "
              "ແມ່ນຮູ້ໄດ້ທີ່ທະບຽນຂອງຫ້ອງການເມືອງເທົ່ານັ້ນ.",
              "This page checks the signature only. Whether a certificate was later superseded "
              "or revoked is known only at the district office register."),
    "offline": ("ໜ້ານີ້ເຮັດວຽກໄດ້ ໂດຍບໍ່ຕ້ອງໃຊ້ອິນເຕີເນັດ.", "This page works without internet."),
    "keys": ("ກະແຈຂອງເມືອງ", "District keys"),
}

_KEY_ID = re.compile(r"[0-9a-f]{16}")


def _asset(name: str) -> str:
    return resources.files("landuse.certificates").joinpath("data", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _json_block(obj: Any) -> str:
    """JSON for a ``<script type="application/json">`` block that no value can close."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _check_keys(public_keys: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Validate the keys: a P-256 SPKI each, whose key id matches the spec's fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(public_keys, Mapping | str | bytes) or not len(public_keys):
        raise SchemaError("no district public key given", source="public_keys",
                          hint="pass a list of {'key_id', 'spki_der_b64', 'label'} dicts "
                          "(landuse keys init writes the district key pair)")
    keys: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(public_keys):
        src = f"public_keys[{i}]"
        if not isinstance(entry, Mapping):
            raise SchemaError(f"expected a dict, got {type(entry).__name__}", source=src,
                              hint="give {'key_id', 'spki_der_b64', 'label'}")
        for name in ("key_id", "spki_der_b64", "label"):
            if not isinstance(entry.get(name), str):
                raise SchemaError("missing or not a string", source=src, column=name,
                                  hint="give {'key_id', 'spki_der_b64', 'label'} as strings")
        key_id, b64 = entry["key_id"], entry["spki_der_b64"]
        try:
            der = base64.b64decode(b64, validate=True)
            key = serialization.load_der_public_key(der)
        except (binascii.Error, ValueError) as exc:
            raise SchemaError(f"not a base64 DER SubjectPublicKeyInfo ({exc})", source=src,
                              column="spki_der_b64", hint="export the public key with landuse keys") from exc
        if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
            raise SchemaError("not an ECDSA P-256 public key", source=src, column="spki_der_b64",
                              hint="district keys are ECDSA P-256 (landuse keys init)")
        fingerprint = hashlib.sha256(der).hexdigest()[:16]
        if not _KEY_ID.fullmatch(key_id) or key_id != fingerprint:
            raise SchemaError(f"key id {key_id!r} is not the key's fingerprint {fingerprint!r}",
                              source=src, column="key_id",
                              hint="the key id is the first 16 hex of SHA-256 of the SPKI DER")
        if key_id in seen:
            raise SchemaError(f"key id {key_id!r} given twice", source=src, column="key_id",
                              hint="list each district key once")
        seen.add(key_id)
        keys.append({"key_id": key_id, "spki_der_b64": base64.b64encode(der).decode("ascii"),
                     "label": entry["label"]})
    return keys


def key_entry(public_key: Any, *, label: str) -> dict[str, str]:
    """The page's entry for one district public key.

    Parameters
    ----------
    public_key : EllipticCurvePublicKey or bytes
        A ``cryptography`` ECDSA P-256 public key, or its PEM (SPKI) bytes.
    label : str
        Shown beside a certificate that verifies (e.g. ``"Xay district 2026"``).

    Returns
    -------
    dict
        ``{"key_id", "spki_der_b64", "label"}``; the key id is the first 16 hex
        characters of SHA-256 of the SubjectPublicKeyInfo DER.

    Examples
    --------
    >>> from cryptography.hazmat.primitives.asymmetric import ec
    >>> e = key_entry(ec.generate_private_key(ec.SECP256R1()).public_key(), label="Xay")
    >>> sorted(e), len(e["key_id"])
    (['key_id', 'label', 'spki_der_b64'], 16)
    """
    from cryptography.hazmat.primitives import serialization

    if isinstance(public_key, bytes | str):
        try:
            public_key = serialization.load_pem_public_key(
                public_key.encode("ascii") if isinstance(public_key, str) else public_key)
        except ValueError as exc:
            raise SchemaError(f"not a PEM public key ({exc})", source="public_key",
                              hint="give the district's public key file (PEM) written by landuse keys init") from exc
    try:
        der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except AttributeError as exc:
        raise SchemaError(f"not a public key: {type(public_key).__name__}", source="public_key",
                          hint="give an ECDSA P-256 public key") from exc
    entry = {"key_id": hashlib.sha256(der).hexdigest()[:16],
             "spki_der_b64": base64.b64encode(der).decode("ascii"), "label": str(label)}
    return _check_keys([entry])[0]


def _both(pair: tuple[str, str], cls: str = "") -> str:
    lo, en = (html.escape(t) for t in pair)
    return f'<span class="lo{" " + cls if cls else ""}">{lo}</span> <span class="en">{en}</span>'


def page_html(public_keys: Sequence[Mapping[str, Any]], *, title_lao: str = DEFAULT_TITLE_LAO,
              title_en: str = DEFAULT_TITLE_EN) -> str:
    """The checker page as one HTML string (same keys and titles give the same text).

    Parameters
    ----------
    public_keys : list of dict
        ``{"key_id": str, "spki_der_b64": str, "label": str}`` per district key: the
        key id is the first 16 hex characters of SHA-256 of the SubjectPublicKeyInfo
        DER, given in base64 (standard alphabet); the label is shown when a
        certificate verifies (e.g. ``"Xay district 2026"``).
    title_lao, title_en : str
        Page title, Lao first.

    Returns
    -------
    str
        A complete HTML document with no external reference.

    Raises
    ------
    SchemaError
        No key, a key that is not ECDSA P-256, a key id that is not the key's
        fingerprint, or a key given twice.
    """
    keys = _check_keys(public_keys)
    script = _asset("verifier.js")
    style = _asset("verifier.css")
    csp = ("default-src 'none'; "
           f"script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
           "img-src blob: data:; media-src blob:; base-uri 'none'; form-action 'none'")
    key_items = "".join(
        f'<li><span class="label">{html.escape(k["label"])}</span> <code>{k["key_id"]}</code></li>' for k in keys)
    title = f"{title_lao} · {title_en}"
    return f"""<!DOCTYPE html>
<html lang="lo">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{style}</style>
</head>
<body>
<h1>{_both((title_lao, title_en))}</h1>
<p class="note">{_both(_UI["scope"])}</p>
<div class="controls">
<button type="button" id="lu-scan" hidden>{_both(_UI["scan"])}</button>
<label class="filebtn" id="lu-file-label" hidden>{_both(_UI["file"])}<input type="file" id="lu-file" accept="image/*"></label>
</div>
<p class="note" id="lu-noscan" hidden>{_both(_UI["noscan"])}</p>
<video id="lu-video" playsinline muted hidden></video>
<label for="lu-payload">{_both(_UI["paste"])}</label>
<textarea id="lu-payload" spellcheck="false" autocomplete="off" autocapitalize="off"></textarea>
<div class="controls"><button type="button" id="lu-check">{_both(_UI["check"])}</button></div>
<div id="lu-result" aria-live="polite"></div>
<p class="note">{_both(_UI["offline"])}</p>
<details><summary>{_both(_UI["keys"])}</summary><ul id="lu-keylist">{key_items}</ul></details>
<script type="application/json" id="lu-keys">{_json_block(keys)}</script>
<script type="application/json" id="lu-text">{_json_block(_text())}</script>
<script>{script}</script>
</body>
</html>
"""


def _text() -> dict[str, Any]:
    """Page texts plus the land-type names of the bundled certificate labels."""
    return {**_TEXT, "land_types": load_labels()["land_types"]}


def write_verifier_page(public_keys: Sequence[Mapping[str, Any]], path: str | os.PathLike, *,
                        overwrite: bool = False, title_lao: str = DEFAULT_TITLE_LAO,
                        title_en: str = DEFAULT_TITLE_EN) -> Path:
    """Write the offline certificate checker page (one self-contained HTML file).

    Parameters
    ----------
    public_keys : list of dict
        District public keys, see :func:`page_html`.
    path : path-like
        The HTML file to write (atomically).
    overwrite : bool, default False
        Replace an existing file.
    title_lao, title_en : str
        Page title, Lao first.

    Returns
    -------
    pathlib.Path
        *path*.

    Raises
    ------
    SchemaError
        A bad key (see :func:`page_html`).
    OutputExistsError
        *path* exists and ``overwrite`` is False.
    """
    text = page_html(public_keys, title_lao=title_lao, title_en=title_en)
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path
