"""Signing certificates (private; see :mod:`landuse.certificates`): the signed record and
QR text of each certificate (numbers and dates from the district register when one is
given), the QR code's modules, and the optional PAdES signature of a PDF.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from landuse.certificates import _digest, _pades, _qr, keys

__all__ = ["default_actor"]

log = logging.getLogger("landuse.certificates")

#: QR mask pattern (see :data:`landuse.certificates.QR_MASK`).
QR_MASK = 2


def _qr_matrix(text: str) -> Any:
    """Modules of the QR code of *text* (byte mode, error correction level M, 15 %), True = dark.

    Encoded by :mod:`landuse.certificates._qr` (about 0.05-0.1 ms for a 620-byte signed
    record, against 0.45-0.58 ms in zxing-cpp's writer) with the fixed mask
    :data:`QR_MASK`: ISO/IEC 18004 readers decode all eight masks, and scoring the eight
    candidates took 80 % of an encoder's time.
    """
    return _qr.qr_matrix(text, level="M", mask=QR_MASK)


_PADES: dict[str, Any] = {}


def _pades_sign(data: bytes, pades: Mapping[str, Any]) -> bytes:
    """PAdES-sign one PDF with the district key (pyHanko, via :mod:`landuse.certificates._pades`)."""
    from cryptography.hazmat.primitives import serialization

    if _PADES.get("pem") != pades["pem"]:
        key = serialization.load_pem_private_key(pades["pem"], password=None)
        _PADES.update(pem=pades["pem"], key=key,
                      cert=_pades.self_signed_certificate(key, district=pades["district"]))
    return _pades.sign_pdf_pades(data, private_key=_PADES["key"], certificate=_PADES["cert"],
                                 reason=pades["reason"], location=pades["location"],
                                 stamp_lao=f"ລົງລາຍເຊັນດິຈິຕອນ: {pades['district']}",
                                 stamp_en=f"Digitally signed: {pades['district']}")


def default_actor() -> str:
    """Who records register events when no actor is given: the login name, else ``"landuse"``."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (container)
        return "landuse"


def _bilingual(lo: str, en: str) -> str:
    return " / ".join(x for x in (lo, en) if x)


def _seal_register(reg: Any, *, signer: Any, register: Any, issue_date: _dt.date, key: bytes | None,
                   actor: str, keep: AbstractSet[str] = frozenset()) -> Any:
    """Numbers and dates from the district register (if any), then the signed record and QR text per row."""
    kid = keys.key_id(signer.public_key()) if signer is not None else ""
    items = []
    for r in reg.to_dict("records"):
        items.append({
            "pid": r["parcel_id"], "hid": r["household_id"], "vil": r["village_id"],
            "vn": _bilingual(r["village_lo"], r["village_en"]), "dis": _bilingual(r["district_lo"], r["district_en"]),
            "h": json.loads(r["holders"]), "lt": r["land_type"], "a": f"{int(r['area_m2']) / 10_000:.4f}",
            "g": r["geometry_hash"], "k": kid, "geometry_wkt": r["geometry_wkt"],
            "no": r["certificate_no"], "iss": r["issue_date"], "exp": r["valid_until"],
        })
    reg = reg.copy()
    if register is not None:
        until = _dt.date.fromisoformat(items[0]["exp"]) if items else issue_date
        res = register.sync(items, villages=sorted(set(reg["village_id"])), issue_date=issue_date,
                            valid_until=until, actor=actor, crs=reg.crs, keep=keep,
                            public_key=signer.public_key() if signer is not None else None)
        for it in items:
            rec = res.records[str(it["pid"])]
            it.update(no=rec["no"], iss=rec["iss"], exp=rec["exp"])
        reg["certificate_no"] = [it["no"] for it in items]
        reg["issue_date"] = [it["iss"] for it in items]
        reg["valid_until"] = [it["exp"] for it in items]
        contents = [{k: r["geometry_wkt"] if k == "geometry" else r[k] for k in _digest.FIELDS}
                    for r in reg.to_dict("records")]
        reg["digest"] = [_digest.digest(c) for c in contents]
        reg["hmac"] = [_digest.hmac_hex(c, key) if key else "" for c in contents]
        log.info("register %s: %d issued, %d superseded, %d revoked, %d unchanged", register.path,
                 len(res.issued), len(res.superseded), len(res.revoked), len(res.unchanged))
    records = [{"v": 1, **{k: it[k] for k in ("no", "pid", "vil", "vn", "dis", "h", "hid", "lt", "a", "iss", "exp",
                                               "g")}} for it in items]
    reg["qr"] = [keys.seal(rec, signer) for rec in records]
    reg["signed_record"] = [keys.canonical_record({**rec, "k": kid}).decode("utf-8") for rec in records]
    return reg.sort_values("certificate_no", kind="stable").reset_index(drop=True)
