"""Large layers of the offline map: packed in the file, drawn by one canvas (private).

A layer of at least :data:`BULK_MIN_FEATURES` polygons or lines (a province's parcels)
is written differently from a small one:

* **in the file**: its attribute columns and classes as one JSON text, and its
  geometries (the same polyline-encoded rings, see :mod:`landuse.maps._encoding`) as one
  binary block (:func:`_geometry_bytes`), each compressed with DEFLATE (RFC 1950/1951,
  Python's :mod:`zlib`, level 9, so the same map gives the same bytes) and
  base64-encoded; the browser inflates them with its built-in ``DecompressionStream``
  (no library). 200,000 demo parcels: 15.5 MB of JSON become about 7.4 MB.
* **in the browser** (``data/bulk.js``): no Leaflet layer per feature; rings are decoded
  once into typed arrays, a 256 x 256 grid index selects what is in view, features are
  drawn batched by class (one pixel when smaller than a pixel), and clicks, hovers and
  search go through the same index. Popups, tooltips, legend, layer control and search
  are those of the per-feature layers.

The name and legend of the layer stay outside the packed text, so the page's layer
control and legend are built as before. ``benchmarks/bench_maps.py --province`` measures
the options side by side.
"""

from __future__ import annotations

import base64
import functools
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

__all__: list[str] = []

#: Layers with at least this many features (polygons or lines) are packed and drawn in
#: bulk; smaller ones keep one Leaflet layer per feature (their own hit-testing, tooltips).
BULK_MIN_FEATURES = 20_000

_PACKED_KEYS = ("geoms", "data", "cls")


def _geometry_bytes(geoms: list[Any]) -> bytes:
    """The rings of every feature as one binary block (little-endian).

    ``uint32 n, uint32 r, uint32 v`` (features, rings, vertices), then ``n`` uint32 ring
    counts (one per feature, 0 for none),
    ``r`` uint32 ring lengths in characters, then the rings' polyline characters (ASCII,
    the encoding of :mod:`landuse.maps._encoding`) end to end. The browser decodes the
    bytes directly: no JSON strings, no per-ring objects.
    """
    per_feature = []
    rings: list[str] = []
    for g in geoms:
        if g is None:
            per_feature.append(0)
            continue
        parts = [r for poly in g[1] for r in poly] if g[0] == 0 else list(g[1])
        per_feature.append(len(parts))
        rings.extend(parts)
    counts = np.asarray(per_feature, dtype="<u4")
    lengths = np.fromiter((len(r) for r in rings), dtype="<u4", count=len(rings))
    chars = "".join(rings).encode("ascii")
    # every value ends with a character below 95 (no continuation bit); two values a vertex
    vertices = int(np.count_nonzero(np.frombuffer(chars, dtype=np.uint8) < 95)) // 2
    head = np.asarray([len(counts), len(lengths), vertices], dtype="<u4")
    return head.tobytes() + counts.tobytes() + lengths.tobytes() + chars


def _pack(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def is_bulk(spec: dict[str, Any]) -> bool:
    """Whether a layer (from ``map_layer_data``) is drawn in bulk."""
    return spec.get("kind") in ("polygon", "line") and len(spec["geoms"]) >= BULK_MIN_FEATURES


def pack_layer(spec: dict[str, Any]) -> dict[str, Any]:
    """The layer as written into the page: packed when it is large, else unchanged.

    >>> small = {"kind": "polygon", "geoms": [None], "data": [], "cls": [0]}
    >>> pack_layer(small) is small
    True
    """
    if "packed" in spec or not is_bulk(spec):  # packed already, or small
        return spec
    body = {"data": spec["data"], "cls": spec["cls"]}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    out = {k: v for k, v in spec.items() if k not in _PACKED_KEYS}
    out["packed"] = _pack(text.encode("utf-8"))
    out["packedGeoms"] = _pack(_geometry_bytes(spec["geoms"]))
    return out


def unpack_layer(packed: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`pack_layer` (what the browser does), for tests and tools."""
    if "packed" not in packed:
        return packed
    body = json.loads(zlib.decompress(base64.b64decode(packed["packed"])).decode("utf-8"))
    raw = zlib.decompress(base64.b64decode(packed["packedGeoms"]))
    n, r, _ = (int(v) for v in np.frombuffer(raw[:12], dtype="<u4"))
    counts = np.frombuffer(raw[12:12 + 4 * n], dtype="<u4")
    lengths = np.frombuffer(raw[12 + 4 * n:12 + 4 * (n + r)], dtype="<u4")
    chars = raw[12 + 4 * (n + r):].decode("ascii")
    ends = np.cumsum(lengths)
    rings = [chars[e - k:e] for e, k in zip(ends.tolist(), lengths.tolist(), strict=True)]
    geoms: list[Any] = []
    pos = 0
    kind = 0 if packed["kind"] == "polygon" else 1
    for c in counts.tolist():
        # the rings of a feature, as one polygon (even-odd) or one multi-line
        parts = rings[pos:pos + c]
        geoms.append(None if c == 0 else [kind, [parts] if kind == 0 else parts])
        pos += c
    out = {k: v for k, v in packed.items() if k not in ("packed", "packedGeoms")}
    out.update(body, geoms=geoms)
    return out


def payload_block(spec: dict[str, Any], name: str) -> str | None:
    """The packed texts of a bulk layer as a data block of the page (None if not packed).

    A ``<script type="application/octet-stream">`` is never run nor parsed as JavaScript,
    so the browser skips the megabytes of base64 until the runtime reads them; base64 and
    the element id (letters, digits, ``_``) cannot close the block.
    """
    if "packed" not in spec:
        return None
    return (f'<script type="application/octet-stream" id="{name}_data">'
            f'{spec["packed"]},{spec["packedGeoms"]}</script>')


def without_payload(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The layer as written into the map script: a bulk layer names its data block."""
    if "packed" not in spec:
        return spec
    out = {k: v for k, v in spec.items() if k not in ("packed", "packedGeoms")}
    out["packed"] = {"el": f"{name}_data"}
    return out


@functools.lru_cache(maxsize=1)
def bulk_js() -> str:
    """The bulk-layer runtime (``data/bulk.js``, next to this module)."""
    return (Path(__file__).parent / "data" / "bulk.js").read_text(encoding="utf-8")
