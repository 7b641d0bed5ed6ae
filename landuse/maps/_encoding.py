"""Compact geometry encoding for the offline map runtime (private).

Coordinates (longitude/latitude rounded to 1e-6 degree, about 0.1 m) are written per
ring with Google's encoded polyline algorithm: each ring's first vertex absolute, the
others as differences, zig-zag mapped and split into 5-bit ASCII chunks. A typical
parcel vertex takes 6-8 characters instead of about 40 in GeoJSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []

#: Decimal places kept in longitude/latitude: 1e-6 degree is 0.11 m north-south.
COORD_DECIMALS = 6


def _polyline_encode(values: np.ndarray) -> tuple[str, np.ndarray]:
    """Encode integers with Google's encoded polyline algorithm (vectorised).

    Each value is zig-zag mapped to a non-negative integer, split into 5-bit chunks
    (least significant first), every chunk but the last flagged with 0x20, and offset
    by 63 into printable ASCII (``?`` .. ``~``). Returns the text and the number of
    characters of each value.

    The values are encoded :data:`ENCODE_CHUNK` at a time (the same text): the 7 chunks of
    each value take 7 x 8 bytes in three temporary arrays, 1.1 GB for the 2.9 million
    vertices of a province's zones in one go (issue 20, the map's peak memory on a worker).

    References
    ----------
    Google, "Encoded Polyline Algorithm Format",
    https://developers.google.com/maps/documentation/utilities/polylinealgorithm

    >>> _polyline_encode(np.array([3850000, -12020000, 220000, -75000]))[0]
    '_p~iF~ps|U_ulLnnqC'
    """
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    if len(v) <= ENCODE_CHUNK:
        return _polyline_chunk(v)
    parts = [_polyline_chunk(v[i:i + ENCODE_CHUNK]) for i in range(0, len(v), ENCODE_CHUNK)]
    return "".join(t for t, _ in parts), np.concatenate([n for _, n in parts])


#: Values polyline-encoded at a time by :func:`_polyline_encode` (bounds its temporaries to ~40 MB).
ENCODE_CHUNK = 1 << 18


def _polyline_chunk(v: np.ndarray) -> tuple[str, np.ndarray]:
    z = (v << 1) ^ (v >> 63)
    shifts = 5 * np.arange(7, dtype=np.int64)
    sh = z[:, None] >> shifts[None, :]
    n = np.maximum(1, (sh > 0).sum(axis=1))
    k = np.arange(7)[None, :]
    chars = (sh & 31) | ((k < (n - 1)[:, None]).astype(np.int64) << 5)
    chars += 63
    flat = chars[k < n[:, None]].astype(np.uint8)
    return flat.tobytes().decode("ascii"), n


def _encode_rings(latlon: np.ndarray, offsets: np.ndarray, *, closed: bool, min_vertices: int
                  ) -> list[str | None]:
    """Polyline-encode each ring/line of ``latlon[offsets[i]:offsets[i+1]]`` (integers).

    Closed rings lose their repeated last vertex; consecutive duplicates (from rounding)
    are dropped; parts left with fewer than *min_vertices* vertices become None.
    """
    counts = np.diff(offsets)
    nr = len(counts)
    if nr == 0:
        return []
    ring_of = np.repeat(np.arange(nr), counts)
    pos = np.arange(len(latlon)) - np.repeat(offsets[:-1], counts)
    keep = pos < (counts[ring_of] - 1 if closed else counts[ring_of])
    pts, ring_of, pos = latlon[keep], ring_of[keep], pos[keep]
    delta = np.diff(pts, axis=0, prepend=np.zeros((1, 2), dtype=pts.dtype))
    first = pos == 0
    delta[first] = pts[first]
    dup = ~first & (delta == 0).all(axis=1)
    delta, ring_of = delta[~dup], ring_of[~dup]
    kept = np.bincount(ring_of, minlength=nr)
    text, nchar = _polyline_encode(delta.reshape(-1))
    per_vertex = nchar[0::2] + nchar[1::2]
    char_off = np.concatenate([[0], np.cumsum(per_vertex)])
    vert_off = np.concatenate([[0], np.cumsum(kept)])
    return [
        text[char_off[vert_off[r]]:char_off[vert_off[r + 1]]] if kept[r] >= min_vertices else None
        for r in range(nr)
    ]


def _encode_geometries(geoms: np.ndarray) -> list[Any]:
    """Compact per-feature geometries ``[kind, parts]`` (kind 0 polygon, 1 line, 2 points)."""
    import shapely

    out: list[Any] = [None] * len(geoms)
    tid = shapely.get_type_id(geoms)
    families = {0: np.isin(tid, (3, 6)), 1: np.isin(tid, (1, 2, 5)), 2: np.isin(tid, (0, 4))}
    for kind, mask in families.items():
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        sub = geoms[idx]
        if kind == 2:
            coords, which = shapely.get_coordinates(sub, return_index=True)
            ints = np.rint(coords[:, ::-1] * 10**COORD_DECIMALS).astype(np.int64)
            for j in range(len(idx)):
                out[idx[j]] = [2, ints[which == j].reshape(-1).tolist()]
            continue
        gtype, coords, offsets = shapely.to_ragged_array(sub)
        offsets = [o.astype(np.int64) for o in offsets]
        if int(gtype) in (1, 3):  # single parts: one part per feature
            offsets.append(np.arange(len(sub) + 1, dtype=np.int64))
        ints = np.rint(coords[:, ::-1] * 10**COORD_DECIMALS).astype(np.int64)
        rings = _encode_rings(ints, offsets[0], closed=kind == 0,
                              min_vertices=3 if kind == 0 else 2)
        if kind == 0:
            _, part_off, geom_off = offsets
            for j in range(len(idx)):
                polys = []
                for p in range(geom_off[j], geom_off[j + 1]):
                    shell = rings[part_off[p]]
                    if shell is None:
                        continue
                    polys.append([shell] + [h for h in rings[part_off[p] + 1:part_off[p + 1]] if h])
                out[idx[j]] = [0, polys] if polys else None
        else:
            _, geom_off = offsets
            for j in range(len(idx)):
                parts = [r for r in rings[geom_off[j]:geom_off[j + 1]] if r]
                out[idx[j]] = [1, parts] if parts else None
    return out
