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

from landuse import _digest, io
from landuse.errors import DataReadError, SchemaError


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

    @property
    def fields(self) -> list[str]:
        """The distinct fields that differ, in the order found."""
        return list(dict.fromkeys(p.field for p in self.problems))

    def __str__(self) -> str:
        head = f"{self.path.name}: {'VALID' if self.valid else 'INVALID'} ({', '.join(self.certificates) or '-'})"
        lines = [head, *(f"  {p}" for p in self.problems), *(f"  note: {n}" for n in self.notes)]
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


def _embedded(path: Path) -> tuple[list[dict[str, Any]], Any]:
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path))
        att = reader.attachments
    except Exception as exc:  # noqa: BLE001 - any parse failure is a broken file
        raise DataReadError(f"not a readable PDF ({type(exc).__name__}: {exc})", source=str(path),
                            hint="the file is damaged; ask for a copy from the register") from exc
    data = att.get("certificate.json")
    if not data:
        return [], reader
    try:
        doc = json.loads(data[0].decode("utf-8"))
        return list(doc.get("certificates", [])), reader
    except (ValueError, AttributeError):
        return [], reader


def _decode_qr(path: Path, page: int) -> list[str] | None:
    """Texts of the QR codes on *page* (1-based), or None if the tools are missing."""
    if shutil.which("pdftoppm") is None:
        return None
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                        str(path), str(stem)], check=True, capture_output=True, timeout=120)
        with Image.open(f"{stem}.png") as img:
            return [r.text for r in zxingcpp.read_barcodes(img)]


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


def verify(path: str | os.PathLike, *, register: Any, key: bytes | None = None, check_qr: bool = True,
           check_text: bool = True) -> Verification:
    """See :func:`landuse.certificates.verify_certificate`."""
    path = Path(path)
    if not path.is_file():
        raise DataReadError("certificate file not found", source=str(path), hint="check the path")
    reg = read_register(register)
    certs, reader = _embedded(path)
    res = Verification(path=path, valid=True)
    if not certs:
        res.valid = False
        res.problems.append(Problem("?", "content", "no embedded certificate content", "",
                                    "not a landuse certificate, or the attachment was removed"))
        return res
    file_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    pages_text: dict[int, str] = {}
    for k, cert in enumerate(certs, start=1):
        try:
            page = int(cert.get("page", k))
        except (TypeError, ValueError):
            page = k
        page = min(max(page, 1), len(reader.pages))
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
            texts = _decode_qr(path, page)
            if texts is None:
                res.notes.append("QR code not checked: pdftoppm (poppler-utils) or zxing-cpp is missing")
            else:
                payloads = []
                for t in texts:
                    try:
                        payloads.append(_digest.parse_qr(t))
                    except ValueError:
                        continue
                if not payloads:
                    res.problems.append(Problem(no, "qr", "(no readable QR code)", cert.get("qr")))
                else:
                    q = payloads[0]
                    if q["certificate_no"] != no:
                        res.problems.append(Problem(no, "qr_certificate_no", q["certificate_no"], no))
                    if q["digest"] != row.get("digest", ""):
                        res.problems.append(Problem(no, "qr_digest", q["digest"], row.get("digest", ""),
                                                    "the QR code does not carry the register's digest"))
                    if (q["hmac"] or "") != (cert.get("hmac") or ""):
                        res.problems.append(Problem(no, "qr_hmac", q["hmac"], cert.get("hmac")))
        # printed text
        if check_text:
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
    res.valid = not res.problems
    return res
