"""Large layers of the offline map: packed in the file, drawn by one canvas (private).

A layer of at least :data:`BULK_MIN_FEATURES` polygons or lines (a province's parcels)
is written differently from a small one:

* **in the file**: its geometries (the same polyline-encoded rings, see
  :mod:`landuse._map_encoding`), attribute columns and classes are one JSON text,
  compressed with DEFLATE (RFC 1950/1951, Python's :mod:`zlib`, level 9, so the same map
  gives the same bytes) and base64-encoded; the browser inflates it with its built-in
  ``DecompressionStream`` (no library). 200,000 demo parcels: 15.5 MB of JSON become
  5.4 MB compressed, 7.2 MB in base64.
* **in the browser** (``_map_bulk.js``): no Leaflet layer per feature; rings are decoded
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

__all__: list[str] = []

#: Layers with at least this many features (polygons or lines) are packed and drawn in
#: bulk; smaller ones keep one Leaflet layer per feature (their own hit-testing, tooltips).
BULK_MIN_FEATURES = 20_000

_PACKED_KEYS = ("geoms", "data", "cls")


def is_bulk(spec: dict[str, Any]) -> bool:
    """Whether a layer (from ``map_layer_data``) is drawn in bulk."""
    return spec.get("kind") in ("polygon", "line") and len(spec["geoms"]) >= BULK_MIN_FEATURES


def pack_layer(spec: dict[str, Any]) -> dict[str, Any]:
    """The layer as written into the page: packed when it is large, else unchanged.

    >>> small = {"kind": "polygon", "geoms": [None], "data": [], "cls": [0]}
    >>> pack_layer(small) is small
    True
    """
    if not is_bulk(spec):
        return spec
    body = {k: spec[k] for k in _PACKED_KEYS}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    out = {k: v for k, v in spec.items() if k not in _PACKED_KEYS}
    out["packed"] = packed
    return out


def unpack_layer(packed: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`pack_layer` (what the browser does), for tests and tools."""
    if "packed" not in packed:
        return packed
    body = json.loads(zlib.decompress(base64.b64decode(packed["packed"])).decode("utf-8"))
    out = {k: v for k, v in packed.items() if k != "packed"}
    out.update(body)
    return out


@functools.lru_cache(maxsize=1)
def bulk_js() -> str:
    """The bulk-layer runtime (``_map_bulk.js``, next to this module)."""
    return (Path(__file__).with_name("_map_bulk.js")).read_text(encoding="utf-8")
