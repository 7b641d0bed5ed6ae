"""Verification of a certificate PDF against the register (private; see :mod:`landuse.certificates`).

Four independent checks, each naming what differs:

1. the canonical content embedded in the PDF (``certificate.json``) against its own
   digest: an edited attachment fails with field ``digest``;
2. that content against the register row of the same certificate number, field by
   field (``holder``, ``area_m2``, ``geometry``, ``issue_date``...), plus the
   register's own ``digest`` and ``area_ha`` columns and the SHA-256 of the file
   (``pdf_sha256``: any change to the file's bytes);
3. the QR code, decoded from the rendered page (``pdftoppm`` and ``zxing-cpp``):
   certificate number, digest and, with the district key, the HMAC;
4. the printed text (``pypdf`` text extraction): certificate number, parcel,
   household, holder (Latin and Lao), area and dates must be on the page as issued.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from landuse.certificates import _pdf
from landuse import io

from landuse.certificates import _digest
from landuse.certificates import keys
from landuse.certificates import keys as _keys
from landuse.certificates.register import Register, _holder_text, open_register
from landuse.errors import DataReadError, SchemaError

__all__ = ["is_district_register"]


@dataclass
class Problem:
    """One difference: the certificate, the field, and the two values."""

    certificate_no: str
    field: str
    certificate: Any
    register: Any
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.certificate_no}: {self.field} differs"
        if self.note:
            text += f" ({self.note})"
        return text + f": certificate {_short(self.certificate)!s} vs register {_short(self.register)!s}"


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 90 else s[:87] + "..."


@dataclass
class Verification:
    """Result of :func:`verify_certificate`.

    Attributes
    ----------
    path : Path
    valid : bool
        True when every check passed.
    certificates : list of str
        Certificate numbers found in the file.
    problems : list of Problem
        Each difference found (field names as in the register).
    notes : list of str
        Checks that could not be made (no key, no ``pdftoppm``) and other remarks.
    """

    path: Path
    valid: bool
    certificates: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        """The distinct fields that differ, in the order found."""
        return list(dict.fromkeys(p.field for p in self.problems))

    @property
    def status(self) -> str:
        """``VALID`` (signed by a district key, nothing altered, in force), ``INVALID`` (a field
        differs or the signature fails), ``UNKNOWN-KEY``, ``REVOKED``, ``SUPERSEDED`` or
        ``UNSIGNED`` (an unsigned draft), the worst over the certificates in the file."""
        if self.problems or not self.certificates:
            return "INVALID"
        found = set(self.states.values())
        for s in ("UNKNOWN-KEY", "REVOKED", "SUPERSEDED", "UNSIGNED"):
            if s in found:
                return s
        return "VALID"

    def __str__(self) -> str:
        status = self.status
        head = f"{self.path.name}: {status} ({', '.join(self.certificates) or '-'})"
        notes = list(self.notes)
        key = {"UNKNOWN-KEY": "which is not a district key", "SUPERSEDED": "SUPERSEDED by", "REVOKED": "REVOKED ("}
        if status in key:  # the reason on the same line (one line per file)
            first = next((n for n in notes if key[status] in n), None)
            if first is not None:
                notes.remove(first)
                head += f": {first.split(': ', 1)[-1]}"
        lines = [head, *(f"  {p}" for p in self.problems), *(f"  note: {n}" for n in notes)]
        return "\n".join(lines)


def read_register(register: Any) -> pd.DataFrame:
    """The register as a DataFrame of strings indexed by certificate number (CSV, GPKG or frame)."""
    import shapely

    if isinstance(register, pd.DataFrame):
        df = register.copy()
        if hasattr(df, "geometry") and "geometry_wkt" not in df.columns:
            df["geometry_wkt"] = [_digest.geometry_wkt(g) for g in df.geometry]
    else:
        path = Path(register)
        if not path.is_file():
            raise DataReadError("register file not found", source=str(path),
                                hint="give the register.csv or register.gpkg written with the certificates")
        if path.suffix.lower() == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            df = df.map(io.unescape_cell).rename(columns=io.unescape_cell)  # undo the formula guard
        elif path.suffix.lower() == ".gpkg":
            import geopandas as gpd

            try:
                df = gpd.read_file(path, layer="certificates", engine="pyogrio")
            except Exception as exc:
                raise DataReadError(f"cannot read layer 'certificates': {exc}", source=str(path),
                                    hint="give the register.gpkg written with the certificates") from exc
            df["geometry_wkt"] = [shapely.to_wkt(_digest.normal_geometry(g), rounding_precision=2, trim=False)
                                  if g is not None else "" for g in df.geometry]
            df = pd.DataFrame(df.drop(columns=df.geometry.name))
        else:
            raise DataReadError(f"unsupported register type {path.suffix!r}", source=str(path),
                                hint="use register.csv or register.gpkg")
    if "certificate_no" not in df.columns:
        raise SchemaError("the register has no certificate_no column", column="certificate_no",
                          hint="give the register written with the certificates")
    df = df.fillna("")
    return df.astype(str).set_index("certificate_no", drop=False)


class _OwnPdf:
    """A PDF in landuse's own layout: its page count known, pypdf opened only for the page text."""

    def __init__(self, data: bytes, n_pages: int) -> None:
        self._data = data
        self.n_pages = n_pages
        self._reader: Any = None

    @property
    def pages(self) -> Any:
        if self._reader is None:
            import io as _io

            import pypdf

            self._reader = pypdf.PdfReader(_io.BytesIO(self._data))
        return self._reader.pages


def _embedded(path: Path, data: bytes | None = None) -> tuple[list[dict[str, Any]], Any]:
    """The embedded certificates and a reader of the PDF (*data*: its bytes, if read already).

    A file as landuse writes it is read by :func:`landuse.certificates._pdf.read_own_attachment`
    (a fraction of a millisecond); any other file (PAdES-signed, re-saved, scanned,
    damaged) by pypdf.
    """
    import pypdf

    own = _pdf.read_own_attachment(data, "certificate.json") if data is not None else None
    if own is not None:
        reader: Any = _OwnPdf(data, own[1])  # type: ignore[arg-type]
        att = {"certificate.json": [own[0]]}
    else:
        try:
            reader = pypdf.PdfReader(str(path))
            att = reader.attachments
        except Exception as exc:  # noqa: BLE001 - any parse failure is a broken file
            raise DataReadError(f"not a readable PDF ({type(exc).__name__}: {exc})", source=str(path),
                                hint="the file is damaged; ask for a copy from the register") from exc
    files = att.get("certificate.json")
    if not files:
        return [], reader
    try:
        doc = json.loads(files[0].decode("utf-8"))
        return list(doc.get("certificates", [])), reader
    except (ValueError, AttributeError):
        return [], reader


def _decode_qr(path: Path, page: int, *, dpi: int = 150) -> list[str] | None:
    """Texts of the QR codes on *page* (1-based), or None if the tools are missing."""
    if shutil.which("pdftoppm") is None:
        return None
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        return None
    def read(crop: list[str]) -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            stem = Path(tmp) / "page"
            subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", str(page), "-l",
                            str(page), *crop, str(path), str(stem)], check=True, capture_output=True, timeout=120)
            with Image.open(f"{stem}.png") as img:
                return [r.text for r in zxingcpp.read_barcodes(img)]

    # landuse prints the QR in the top-right quarter of the page: rendering only that
    # quarter is about 4x faster; anything else (a scan, a moved code) gets the whole page
    px = dpi / 72.0
    quarter = ["-x", str(int(297 * px)), "-y", "0", "-W", str(int(300 * px)), "-H", str(int(420 * px))]
    texts = read(quarter)
    if any(t.startswith(("LUC1.", "LUD1.", "LU1|")) for t in texts):
        return texts
    return read([])


def _compact(text: str) -> str:
    """NFKC-normalised *text* without whitespace (to compare extracted Lao text)."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).split())


def _norm(field_name: str, value: Any) -> str:
    if field_name == "area_m2":
        try:
            return str(int(float(value)))
        except (TypeError, ValueError):
            return str(value)
    return str(_digest.nfc(str(value)))


def is_district_register(register: Any) -> bool:
    """True for a :class:`landuse.certificates.register.Register` or a GeoPackage with an ``events`` table."""
    if isinstance(register, Register):
        return True
    if isinstance(register, (str, os.PathLike)) and Path(register).suffix.lower() == ".gpkg" \
            and Path(register).is_file():
        import contextlib
        import sqlite3

        try:
            with contextlib.closing(sqlite3.connect(Path(register).resolve().as_uri() + "?mode=ro", uri=True)) as con:
                return con.execute("SELECT 1 FROM sqlite_master WHERE name='events'").fetchone() is not None
        except sqlite3.DatabaseError:
            return False
    return False


def _record_differences(record: dict[str, Any], content: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Fields of the certificate's content (embedded data) that differ from the signed record."""
    out = []
    pairs = (("certificate_no", "no"), ("parcel_id", "pid"), ("household_id", "hid"), ("village_id", "vil"),
             ("land_type", "lt"), ("issue_date", "iss"), ("valid_until", "exp"))
    for f, k in pairs:
        if _norm(f, content.get(f, "")) != _norm(f, record.get(k, "")):
            out.append((f, content.get(f), record.get(k)))
    en, lo = _holder_text(record.get("h") or [])
    if _norm("holder", content.get("holder", "")) != _norm("holder", en):
        out.append(("holder", content.get("holder"), en))
    if _norm("holder_lo", content.get("holder_lo", "")) != _norm("holder_lo", lo):
        out.append(("holder_lo", content.get("holder_lo"), lo))
    try:
        area = f"{int(content.get('area_m2')) / 10_000:.4f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        area = str(content.get("area_m2"))
    if area != str(record.get("a")):
        out.append(("area_m2", content.get("area_m2"), record.get("a")))
    try:
        g = _digest.geometry_hash(str(content.get("geometry", "")))
    except Exception:  # noqa: BLE001 - unreadable geometry text
        g = ""
    if g != record.get("g"):
        out.append(("geometry", g, record.get("g")))
    return out


def _check_seal(res: Verification, no: str, text: str, content: dict[str, Any] | None, public_keys: dict,
                district: Any) -> None:
    """Signature of the QR text, its record against the certificate's content, then the register state."""
    try:
        seal = keys.open_seal(text, public_keys)
    except ValueError as exc:
        res.problems.append(Problem(no, "qr", text[:40], "", str(exc)))
        return
    rec = seal.record
    if seal.status == "BAD-SIGNATURE":
        res.problems.append(Problem(no, "signature", "does not verify", f"key {seal.key_id}",
                                    "the signed record was altered, or signed with another key"))
        return
    if seal.status == "UNKNOWN-KEY":
        res.states[no] = "UNKNOWN-KEY"
        res.notes.append(f"{no}: signed with key id {seal.key_id!r}, which is not a district key given. Fix: give the "
                         "district's public key (--public-key district.pub.pem) or its register (--register)")
        return
    res.states[no] = "UNSIGNED" if seal.status == "UNSIGNED" else "VALID"
    if content is not None:
        for f, cv, rv in _record_differences(rec, content):
            res.problems.append(Problem(no, f, cv, rv, "differs from the signed record in the QR code"))
    if district is None:
        if seal.status == "SIGNED":
            res.notes.append(f"{no}: register state not checked (no district register given)")
        return
    rno = str(rec.get("no", no))
    state = district.status(rno)
    if state["status"] == "UNKNOWN":
        res.problems.append(Problem(no, "register", rno, None, "the district register never issued this number"))
        return
    issued = district.record(rno) or {}
    for k in sorted(set(issued) | set(rec)):
        if k != "k" and json.dumps(issued.get(k), ensure_ascii=False) != json.dumps(rec.get(k), ensure_ascii=False):
            res.problems.append(Problem(no, f"register {k}", rec.get(k), issued.get(k),
                                        "the signed record differs from the one in the register"))
    if state["status"] in ("SUPERSEDED", "TRANSFERRED"):
        res.states[no] = "SUPERSEDED"
        res.notes.append(f"{rno}: SUPERSEDED by {state['successor']} ({state['time']}; {state['reason']})")
    elif state["status"] == "REVOKED":
        res.states[no] = "REVOKED"
        res.notes.append(f"{rno}: REVOKED ({state['time']}; {state['reason']})")


def verify_text(text: str, *, register: Any = None, public_keys: Any = None) -> Verification:
    """Verify a QR text (``LUC1.…``) alone: signature, then register state (see ``verify_qr``)."""
    district = None
    if register is not None:
        district = register if isinstance(register, Register) else open_register(register)
        if not isinstance(register, Register):
            district.verify_chain()
    pkeys = dict(public_keys) if isinstance(public_keys, dict) else {_keys.key_id(k): k for k in (public_keys or ())}
    if district is not None:
        pkeys.update(district.public_keys())
    res = Verification(path=Path("qr"), valid=True)
    try:
        no = str(_keys.open_seal(text, {}).record.get("no", "?"))
    except ValueError:
        no = "?"
    res.certificates.append(no)
    _check_seal(res, no, text, None, pkeys, district)
    res.valid = not res.problems and res.status in ("VALID", "UNSIGNED")
    return res


def _scanned(path: Path, reader: Any, res: Verification, public_keys: dict, district: Any,
             check_qr: bool) -> Verification:
    """A PDF without embedded data (a scan): decode the QR codes from the page images."""
    found = False
    if check_qr:
        for page in range(1, len(reader.pages) + 1):
            texts = _decode_qr(path, page, dpi=200)
            if texts is None:
                res.notes.append("QR code not read: pdftoppm (poppler-utils) or zxing-cpp is missing")
                break
            for t in texts:
                if t.startswith(("LUC1.", "LUD1.")):
                    found = True
                    no = "?"
                    try:
                        no = str(keys.open_seal(t, {}).record.get("no", "?"))
                    except ValueError:
                        pass
                    res.certificates.append(no)
                    _check_seal(res, no, t, None, public_keys, district)
        if found:
            res.notes.append("a scanned copy: the signed record in its QR code was checked, not the printed text")
    if not found:
        res.problems.append(Problem("?", "content", "no embedded certificate content and no certificate QR code", "",
                                    "not a landuse certificate, or the attachment was removed"))
    res.valid = not res.problems and res.status in ("VALID", "UNSIGNED")
    return res


def verify(path: str | os.PathLike, *, register: Any = None, key: bytes | None = None, check_qr: bool = True,
           check_text: bool = True, public_keys: Any = None) -> Verification:
    """See :func:`landuse.certificates.verify_certificate`."""
    path = Path(path)
    if not path.is_file():
        raise DataReadError("certificate file not found", source=str(path), hint="check the path")
    district = None
    reg = None
    if register is not None and is_district_register(register):
        if isinstance(register, Register):
            district = register
        else:
            district = open_register(register)
            district.verify_chain()
    elif register is not None:
        reg = read_register(register)
    pkeys = dict(public_keys) if isinstance(public_keys, dict) else {_keys.key_id(k): k for k in (public_keys or ())}
    if district is not None:
        pkeys.update(district.public_keys())
    data = path.read_bytes()
    certs, reader = _embedded(path, data)
    res = Verification(path=path, valid=True)
    if not certs:
        return _scanned(path, reader, res, pkeys, district, check_qr)
    file_sha = hashlib.sha256(data).hexdigest()
    n_pages = reader.n_pages if isinstance(reader, _OwnPdf) else len(reader.pages)
    pages_text: dict[int, str] = {}
    for k, cert in enumerate(certs, start=1):
        try:
            page = int(cert.get("page", k))
        except (TypeError, ValueError):
            page = k
        page = min(max(page, 1), n_pages)
        no = str(cert.get("certificate_no", "?"))
        res.certificates.append(no)
        content = {f: cert.get(f) for f in _digest.FIELDS}
        try:
            own = _digest.digest(content)
        except Exception:  # noqa: BLE001 - malformed content
            own = ""
        if own != cert.get("digest"):
            res.problems.append(Problem(no, "digest", own, cert.get("digest"),
                                        "the embedded content does not match its own digest: it was edited"))
        qr_text = str(cert.get("qr") or "")
        if qr_text.startswith(("LUC1.", "LUD1.")):
            _check_seal(res, no, qr_text, content, pkeys, district)
        else:
            res.states[no] = "UNSIGNED"
        if district is not None:
            issued = district.file_hashes(no)
            if issued and file_sha not in issued:
                res.problems.append(Problem(no, "pdf_sha256", file_sha[:16], sorted(issued)[0][:16],
                                            "the file's bytes differ from every PDF the district issued for "
                                            "this certificate: it was altered"))
            elif not issued:
                res.notes.append(f"{no}: the register holds no PDF hash for this certificate "
                                 "(issued before file hashes were kept): bytes not compared")
        if reg is None:
            if check_qr:
                texts = _decode_qr(path, page)
                if texts is None:
                    res.notes.append("QR code not checked: pdftoppm (poppler-utils) or zxing-cpp is missing")
                elif qr_text not in texts:
                    res.problems.append(Problem(no, "qr", (texts or ["(no readable QR code)"])[0][:40], qr_text[:40],
                                                "the printed QR code is not the one issued"))
            if check_text:
                _check_printed(res, reader, pages_text, page, no, content)
            continue
        if no not in reg.index:
            res.problems.append(Problem(no, "certificate_no", no, None, "not in the register"))
            continue
        row = reg.loc[no]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        for f in _digest.FIELDS:
            rv = row.get("geometry_wkt" if f == "geometry" else f, "")
            if _norm(f, content[f]) != _norm(f, rv):
                res.problems.append(Problem(no, f, content[f], rv))
        area_m2 = content.get("area_m2")
        if "area_ha" in row.index and area_m2 is not None:
            try:
                if abs(float(row["area_ha"]) - int(area_m2) / 10_000) > 0.00005:
                    res.problems.append(Problem(no, "area_ha", round(int(area_m2) / 10_000, 4), row["area_ha"]))
            except ValueError:
                res.problems.append(Problem(no, "area_ha", round(int(area_m2) / 10_000, 4), row["area_ha"]))
        if row.get("digest", "") != cert.get("digest"):
            res.problems.append(Problem(no, "digest", cert.get("digest"), row.get("digest", "")))
        if row.get("pdf_sha256") and row["pdf_sha256"] != file_sha:
            res.problems.append(Problem(no, "pdf_sha256", file_sha, row["pdf_sha256"],
                                        "the file's bytes differ from the file issued"))
        if row.get("page") and str(row["page"]) != str(page):
            res.problems.append(Problem(no, "page", page, row["page"]))
        if (row.get("hmac") or "") != (cert.get("hmac") or ""):
            res.problems.append(Problem(no, "hmac", cert.get("hmac"), row.get("hmac")))
        if key is not None:
            expect = _digest.hmac_hex(content, key)
            if cert.get("hmac") != expect:
                res.problems.append(Problem(no, "hmac", cert.get("hmac") or "(none)", "(district key)",
                                            "not issued with this district key"))
        elif cert.get("hmac"):
            res.notes.append(f"{no}: the HMAC was not checked (no district key given)")
        # QR code
        if check_qr:
            _check_register_qr(res, no, _decode_qr(path, page), qr_text, cert, row)
        # printed text
        if check_text:
            _check_printed(res, reader, pages_text, page, no, content)
    res.valid = not res.problems and res.status in ("VALID", "UNSIGNED")
    return res


def _check_register_qr(res: Verification, no: str, texts: list[str] | None, qr_text: str, cert: dict[str, Any],
                       row: Any) -> None:
    """Compare the QR codes read from the page (*texts*; None: no reader) with the issued one and the register row."""
    if texts is None:
        res.notes.append("QR code not checked: pdftoppm (poppler-utils) or zxing-cpp is missing")
    else:
        if qr_text.startswith(("LUC1.", "LUD1.")) and qr_text not in texts:
            res.problems.append(Problem(no, "qr", (texts or ["(no readable QR code)"])[0][:40], qr_text[:40],
                                        "the printed QR code is not the one issued"))
        payloads = []
        for t in texts:
            if qr_text.startswith(("LUC1.", "LUD1.")):
                break
            try:
                payloads.append(_digest.parse_qr(t))
            except ValueError:
                continue
        if not payloads and not qr_text.startswith(("LUC1.", "LUD1.")):
            res.problems.append(Problem(no, "qr", "(no readable QR code)", cert.get("qr")))
        elif payloads:
            q = payloads[0]
            if q["certificate_no"] != no:
                res.problems.append(Problem(no, "qr_certificate_no", q["certificate_no"], no))
            if q["digest"] != row.get("digest", ""):
                res.problems.append(Problem(no, "qr_digest", q["digest"], row.get("digest", ""),
                                            "the QR code does not carry the register's digest"))
            if (q["hmac"] or "") != (cert.get("hmac") or ""):
                res.problems.append(Problem(no, "qr_hmac", q["hmac"], cert.get("hmac")))


def _check_printed(res: Verification, reader: Any, pages_text: dict[int, str], page: int, no: str,
                   content: dict[str, Any]) -> None:
    """The issued number, parcel, household, holder, area and dates must be in the page's text."""
    if page not in pages_text:
        try:
            pages_text[page] = " ".join(reader.pages[page - 1].extract_text().split())
        except Exception:  # noqa: BLE001
            pages_text[page] = ""
    text = pages_text[page]
    printed = {
        "certificate_no": no, "parcel_id": content["parcel_id"], "household_id": content["household_id"],
        "holder": str(content["holder"]).split(" / ")[0],
        "area_m2": f"{int(content['area_m2']):,} m".replace(",", " "),
        "issue_date": content["issue_date"], "valid_until": content["valid_until"],
    }
    for f, value in printed.items():
        if " ".join(str(value).split()) not in text:
            res.problems.append(Problem(no, f"printed {f}", "(not found on the page)", value,
                                        "the printed text was changed"))
    # Lao names: text extraction splits clusters with spaces and decomposes ຳ (NFKC)
    compact = _compact(text)
    for name in [n for n in str(content["holder_lo"] or "").split(" / ") if n.strip()]:
        if _compact(name) not in compact:
            res.problems.append(Problem(no, "printed holder_lo", "(not found on the page)", name,
                                        "the printed text was changed"))
            break
