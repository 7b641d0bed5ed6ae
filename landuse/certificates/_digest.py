"""Canonical certificate content, its SHA-256 digest, the QR payload and the HMAC (private).

The digest covers what a certificate asserts, written as canonical JSON [1]_ (keys
sorted, no whitespace, UTF-8, every string NFC-normalised [2]_ so that Lao text
typed with different sequences of the same vowels and tone marks gives the same
bytes):

* ``certificate_no``, ``household_id``, ``holder`` (the Latin names, joined by
  ``" / "``), ``holder_lo`` (the Lao names), ``village_id``, ``parcel_id``,
  ``land_type``;
* ``area_m2``: the geometry's area rounded to 1 m²;
* ``geometry``: the polygon snapped to a 0.01 m grid and normalised with
  ``shapely.normalize`` (rings oriented and started at a canonical vertex), as WKT
  with two decimals;
* ``issue_date`` and ``valid_until`` (ISO dates).

``digest = SHA-256(canonical JSON)`` [3]_, and with a district key the QR code also
carries ``HMAC-SHA-256(key, canonical JSON)`` [4]_: the digest shows that nothing
was changed, the HMAC that the certificate was issued by whoever holds the key. The
key is read from a file or the ``LANDUSE_DISTRICT_KEY`` environment variable and is
never written to any output.

References
----------
.. [1] RFC 8785, *JSON Canonicalization Scheme (JCS)*, 2020 (here: sorted keys,
   compact separators, UTF-8; numbers are integers so number formatting cannot vary).
.. [2] Unicode Standard Annex #15, *Unicode Normalization Forms* (NFC).
.. [3] NIST FIPS 180-4, *Secure Hash Standard*, 2015.
.. [4] RFC 2104, *HMAC: Keyed-Hashing for Message Authentication*, 1997.
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import json
import os
import unicodedata
from pathlib import Path
from typing import Any

from landuse.errors import LanduseError

#: Fields of the canonical content, in the order a verification reports them.
FIELDS = ("certificate_no", "household_id", "holder", "holder_lo", "village_id", "parcel_id", "land_type",
          "area_m2", "geometry", "issue_date", "valid_until")
#: Prefix and version of the QR payload.
QR_PREFIX = "LU1"
#: Environment variable holding the district key.
KEY_ENV = "LANDUSE_DISTRICT_KEY"


def nfc(value: Any) -> Any:
    """NFC-normalise strings (recursively in lists); other values unchanged."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, (list, tuple)):
        return [nfc(v) for v in value]
    return value


def normal_geometry(geom: Any) -> Any:
    """*geom* snapped to 0.01 m and normalised (canonical ring order and start vertex).

    A MultiPolygon of one part becomes that Polygon (GeoPackage layers promote
    Polygons to MultiPolygons when both occur). Works on one geometry or an array.
    """
    import numpy as np
    import shapely

    out = shapely.normalize(shapely.set_precision(geom, 0.01))
    arr = np.atleast_1d(np.asarray(out, dtype=object))
    single = (shapely.get_type_id(arr) == 6) & (shapely.get_num_geometries(arr) == 1)
    if single.any():
        arr = arr.copy()
        arr[single] = shapely.get_geometry(arr[single], 0)
    return arr if np.ndim(out) else arr[0]


def geometry_wkt(geom: Any) -> str:
    """Canonical WKT of a (normalised) geometry, two decimals. [m]"""
    import shapely

    return shapely.to_wkt(normal_geometry(geom), rounding_precision=2, trim=False)


def geometry_hash(geom: Any) -> str:
    """Geometry hash of the signed record (``g``): first 32 hex of SHA-256 of the normalised WKB.

    The geometry is normalised (:func:`normal_geometry`), written as canonical WKT
    (:func:`geometry_wkt`), read back and normalised again, then written as 2D
    little-endian WKB; so the hash of a certificate's canonical WKT text equals the
    hash of the parcel it was drawn from. *geom* may be a geometry or canonical WKT.

    >>> from shapely.geometry import box
    >>> a = geometry_hash(box(0, 0, 100, 100)); len(a), a == geometry_hash(geometry_wkt(box(0, 0, 100, 100)))
    (32, True)
    """
    import shapely

    wkt = geom if isinstance(geom, str) else geometry_wkt(geom)
    wkb = shapely.to_wkb(normal_geometry(shapely.from_wkt(wkt)), byte_order=1, output_dimension=2)
    return hashlib.sha256(wkb).hexdigest()[:32]


def geometry_hashes(wkts: Any) -> list[str]:
    """:func:`geometry_hash` of many canonical WKT texts, the geometry work done array-wise.

    >>> from shapely.geometry import box
    >>> w = [geometry_wkt(box(0, 0, 100, 100)), geometry_wkt(box(5, 5, 7, 9))]
    >>> geometry_hashes(w) == [geometry_hash(x) for x in w]
    True
    """
    import numpy as np
    import shapely

    arr = np.asarray(wkts, dtype=object)
    if arr.size == 0:
        return []
    wkbs = shapely.to_wkb(normal_geometry(shapely.from_wkt(arr)), byte_order=1, output_dimension=2)
    return [hashlib.sha256(w).hexdigest()[:32] for w in np.atleast_1d(wkbs)]


def canonical_json(content: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of *content* (only :data:`FIELDS`)."""
    missing = [f for f in FIELDS if f not in content]
    if missing:
        raise LanduseError(f"certificate content lacks {', '.join(missing)}")
    data = {k: nfc(content[k]) for k in FIELDS}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest(content: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of *content*.

    >>> c = dict.fromkeys(FIELDS, "x") | {"area_m2": 10000}
    >>> len(digest(c)), digest(c) == digest(dict(reversed(list(c.items()))))
    (64, True)
    """
    return hashlib.sha256(canonical_json(content)).hexdigest()


def hmac_hex(content: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA-256 of the canonical JSON of *content* under *key* (hex)."""
    return _hmac.new(key, canonical_json(content), hashlib.sha256).hexdigest()


def qr_payload(certificate_no: str, digest_hex: str, hmac_value: str | None = None) -> str:
    """``LU1|<certificate_no>|<sha256>[|<hmac>]``."""
    parts = [QR_PREFIX, certificate_no, digest_hex]
    if hmac_value:
        parts.append(hmac_value)
    return "|".join(parts)


def parse_qr(text: str) -> dict[str, str | None]:
    """Split a QR payload; raises ``ValueError`` for anything that is not one.

    >>> parse_qr("LU1|V1-PD-0001|" + "a" * 64)["certificate_no"]
    'V1-PD-0001'
    """
    parts = text.strip().split("|")
    if len(parts) not in (3, 4) or parts[0] != QR_PREFIX or len(parts[2]) != 64:
        raise ValueError(f"not a landuse certificate QR payload: {text[:40]!r}")
    return {"certificate_no": parts[1], "digest": parts[2], "hmac": parts[3] if len(parts) == 4 else None}


def read_key(key_file: str | os.PathLike | None = None, *, use_env: bool = True) -> bytes | None:
    """The district key from *key_file*, else ``$LANDUSE_DISTRICT_KEY``, else None.

    The file's bytes are used as they are, without a trailing newline; an empty key
    is an error (it would give a false sense of protection).
    """
    if key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise LanduseError("district key file not found", source=str(path),
                               hint="give the path of the file holding the district key")
        key = path.read_bytes().rstrip(b"\r\n")
        src = str(path)
    elif use_env and os.environ.get(KEY_ENV):
        key = os.environ[KEY_ENV].encode("utf-8")
        src = KEY_ENV
    else:
        return None
    if not key:
        raise LanduseError("the district key is empty", source=src, hint="put the key (any secret text) in it")
    return key
