"""QR codes of the certificates' records (private; see :mod:`landuse.certificates`).

A QR Code Model 2 encoder in byte mode, written from the standard [1]_ for speed: every
per-version fact (where the function patterns are, the zig-zag order of the data modules,
how codewords are split into blocks and interleaved, the Reed-Solomon remainder as a
linear map of the data codewords) is computed once per version, level and mask (about
5 ms), so encoding one code is a few numpy operations (about 0.05 ms for a version-20
signed record, against 0.45-0.75 ms in zxing-cpp's writer). The tests compare it module
for module with zxing-cpp's writer and read it back with zxing-cpp's reader (segno is
no oracle here: it writes an extra zero codeword after the terminator whenever the bits
end on a byte boundary, as byte mode always does, which decodes the same).

Facts used, all from ISO/IEC 18004:2015 [1]_:

* byte mode: mode indicator ``0100``, a character count of 8 bits (versions 1-9) or 16
  bits (10-40), the bytes, the terminator ``0000``, zero bits to the next byte, then the
  pad codewords ``0xEC 0x11`` alternately (sections 7.4.2, 7.4.5, 7.4.9, 7.4.10);
* error correction (section 7.5, table 9): a version and level fix the number of
  blocks and of error-correction codewords per block; the codewords of the symbol
  (its data modules // 8) are split into blocks of two lengths differing by one
  codeword, the shorter blocks first; each block's error-correction codewords are the
  remainder of ``data(x) * x**e`` divided by ``g(x) = prod_{i<e} (x - 2**i)`` over
  GF(256) with the field polynomial ``x**8 + x**4 + x**3 + x**2 + 1`` (0x11D); data
  codewords are interleaved column by column across blocks, then the error-correction
  codewords likewise (section 7.6);
* function patterns (section 6.3): three finder patterns with their separators,
  timing patterns on row and column 6, alignment patterns at every pair of the
  version's centre coordinates (Annex E) not overlapping a finder, the dark module
  at row ``size - 8``, column 8;
* format information (section 7.9): the level's two bits (L 01, M 00, Q 11, H 10)
  and the mask's three, a BCH(15, 5) remainder with generator 0x537, XOR 0x5412;
  version information (section 7.10, versions >= 7): six bits and a BCH(18, 6)
  remainder with generator 0x1F25;
* module placement (section 7.7.3): two-module-wide columns from the bottom right,
  alternately upwards and downwards, skipping the vertical timing pattern, most
  significant bit first; remainder bits are zero;
* data masks (section 7.8.2, table 10): module (i, j) (row, column) flipped where the
  mask's condition holds; only the data modules are masked.

References
----------
.. [1] ISO/IEC 18004:2015, Information technology - Automatic identification and data
   capture techniques - QR Code bar code symbology specification.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

__all__ = ["qr_matrix", "qr_version"]

#: Error-correction codewords per block, by level, for versions 1-40 (ISO/IEC 18004, table 9).
_EC_PER_BLOCK = {
    "L": (7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
          28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "M": (10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
          26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28),
    "Q": (13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
          28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "H": (17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
          30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
}
#: Error-correction blocks, by level, for versions 1-40 (ISO/IEC 18004, table 9).
_BLOCKS = {
    "L": (1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
          8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25),
    "M": (1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
          17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    "Q": (1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
          23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    "H": (1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
          25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
}
#: The level's two bits in the format information (ISO/IEC 18004, table 12).
_LEVEL_BITS = {"L": 0b01, "M": 0b00, "Q": 0b11, "H": 0b10}
#: Data-mask conditions on (row i, column j) (ISO/IEC 18004, table 10).
_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_FIELD_POLY = 0x11D


def _gf_tables() -> tuple[np.ndarray, np.ndarray]:
    """Powers of 2 (``exp[i] = 2**i``, doubled for index sums) and logarithms in GF(256)/0x11D."""
    exp = np.zeros(512, dtype=np.int64)
    log = np.zeros(256, dtype=np.int64)
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x <<= 1
        if x & 0x100:
            x ^= _FIELD_POLY
    exp[255:510] = exp[:255]
    return exp, log


_EXP, _LOG = _gf_tables()


def _gf_mul(a: np.ndarray, b: int) -> np.ndarray:
    """Products ``a * b`` in GF(256) (element-wise over *a*)."""
    if b == 0:
        return np.zeros_like(a)
    out = _EXP[_LOG[a] + _LOG[b]]
    return np.where(a == 0, 0, out)


def _generator(e: int) -> np.ndarray:
    """Coefficients of ``g(x) = prod_{i<e} (x - 2**i)``, highest power first (the leading 1 included)."""
    g = np.array([1], dtype=np.int64)
    for i in range(e):
        shifted = np.append(g, 0)  # g * x
        shifted[1:] ^= _gf_mul(g, int(_EXP[i]))  # + g * 2**i (minus is plus in GF(2**8))
        g = shifted
    return g


@functools.cache
def _rs_table(k: int, e: int) -> np.ndarray:
    """Error-correction codewords contributed by each data codeword value, as XOR terms.

    The remainder of ``d(x) * x**e`` modulo ``g(x)`` is linear over GF(256) in the data
    codewords: codeword ``j`` (of ``k``, first = highest power) with value ``v``
    contributes ``v * (x**(k - 1 - j + e) mod g(x))``, and a block's error-correction
    codewords are the XOR of its ``k`` contributions. Returns ``(k, 256, w)`` uint64
    holding those ``e`` bytes (zero-padded to ``8 w``) for every position and value,
    flattened to ``(k * 256, w)`` (row ``256 j + v``).
    """
    g = _generator(e)[1:]
    rows = np.zeros((k, e), dtype=np.int64)
    r = np.zeros(e, dtype=np.int64)
    r[-1] = 1  # x**0, coefficients highest power first
    for m in range(e + k):  # r = x**m mod g(x)
        if m >= e:
            rows[k - 1 - (m - e)] = r
        top = r[0]
        r = np.append(r[1:], 0)
        if top:  # x**e = g(x) - x**e (characteristic 2)
            r ^= _gf_mul(g, int(top))
    w = -(-e // 8)
    table = np.zeros((k, 256, 8 * w), dtype=np.uint8)
    values = np.arange(256)
    for j in range(k):
        prod = _EXP[_LOG[values][:, None] + _LOG[rows[j]][None, :]]
        table[j, :, :e] = np.where((values[:, None] == 0) | (rows[j][None, :] == 0), 0, prod)
    return table.view(np.uint64).reshape(k * 256, w)


def _bch(value: int, generator: int, nbits: int) -> int:
    """Remainder of ``value * x**nbits`` divided by *generator* over GF(2)."""
    deg = generator.bit_length() - 1
    rem = value << nbits
    for shift in range(rem.bit_length() - 1, deg - 1, -1):
        if rem >> shift & 1:
            rem ^= generator << (shift - deg)
    return rem


def _format_bits(level: str, mask: int) -> int:
    """The 15 format-information bits of *level* and *mask* (masked with 0x5412)."""
    data = _LEVEL_BITS[level] << 3 | mask
    return (data << 10 | _bch(data, 0x537, 10)) ^ 0x5412


def _version_bits(version: int) -> int:
    """The 18 version-information bits of *version* (7-40)."""
    return version << 12 | _bch(version, 0x1F25, 12)


def _alignment_centres(version: int) -> list[int]:
    """Row and column centres of the alignment patterns (ISO/IEC 18004, Annex E).

    The first is 6, the last ``size - 7``, the others spaced back from the last by one
    even step (26 for version 32, else the spacing rounded up to an even number).
    """
    if version == 1:
        return []
    size = 4 * version + 17
    count = version // 7 + 2
    step = 26 if version == 32 else -(-(size - 13) // (2 * (count - 1))) * 2
    return [6, *sorted(size - 7 - i * step for i in range(count - 1))]


def _function_patterns(version: int) -> tuple[np.ndarray, np.ndarray]:
    """Dark modules and reserved (non-data) modules of *version*, format areas reserved but light."""
    n = 4 * version + 17
    dark = np.zeros((n, n), dtype=bool)
    used = np.zeros((n, n), dtype=bool)
    finder = np.ones((7, 7), dtype=bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
        dark[r:r + 7, c:c + 7] = finder
        used[max(r - 1, 0):r + 8, max(c - 1, 0):c + 8] = True  # finder + separator
    dark[6, 8:n - 8] = dark[8:n - 8, 6] = np.arange(8, n - 8) % 2 == 0
    used[6, :] = used[:, 6] = True
    align = np.ones((5, 5), dtype=bool)
    align[1:4, 1:4] = False
    align[2, 2] = True
    centres = _alignment_centres(version)
    for r in centres:
        for c in centres:
            if (r, c) in ((6, 6), (6, n - 7), (n - 7, 6)):
                continue  # overlaps a finder pattern
            dark[r - 2:r + 3, c - 2:c + 3] = align
            used[r - 2:r + 3, c - 2:c + 3] = True
    used[8, :9] = used[:9, 8] = True  # format information around the top-left finder
    used[8, n - 8:] = used[n - 8:, 8] = True  # its second copy, and the dark module
    dark[n - 8, 8] = True
    if version >= 7:
        used[:6, n - 11:n - 8] = used[n - 11:n - 8, :6] = True
        bits = _version_bits(version)
        for i in range(18):
            dark[i // 3, n - 11 + i % 3] = dark[n - 11 + i % 3, i // 3] = bool(bits >> i & 1)
    return dark, used


def _draw_format(dark: np.ndarray, bits: int) -> None:
    """Write the 15 format bits (bit 0 least significant) in both copies."""
    n = dark.shape[0]
    first = [(8, c) for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [(r, 8) for r in (7, 5, 4, 3, 2, 1, 0)]
    second = [(n - 1 - i, 8) for i in range(7)] + [(8, n - 8 + i) for i in range(8)]
    for i, ((r1, c1), (r2, c2)) in enumerate(zip(first, second, strict=True)):
        dark[r1, c1] = dark[r2, c2] = bool(bits >> (14 - i) & 1)


def _zigzag(used: np.ndarray) -> np.ndarray:
    """Flat indices of the data modules in placement order (section 7.7.3)."""
    n = used.shape[0]
    order = []
    upwards = True
    right = n - 1
    while right > 0:
        if right == 6:  # the vertical timing pattern
            right = 5
        rows = range(n - 1, -1, -1) if upwards else range(n)
        for r in rows:
            for c in (right, right - 1):
                if not used[r, c]:
                    order.append(r * n + c)
        upwards = not upwards
        right -= 2
    return np.array(order, dtype=np.intp)


class _Layout(NamedTuple):
    """What encoding one code of a version, level and mask needs, computed once."""

    data_codewords: int
    count_bits: int
    pad: tuple[np.ndarray, np.ndarray]  # pad codewords starting with 0xEC at an even / odd index
    block_rows: np.ndarray  # (long block length, blocks): index into [0, *data codewords]
    table_rows: np.ndarray  # (long block length, 1): first row of each position in rs_table
    rs_table: np.ndarray  # _rs_table of a long block
    base: np.ndarray  # uint8 modules: function patterns, format, the mask on data modules
    source: np.ndarray  # per module, the bit of [0, *data, *error correction] it shows (bit 0 = 0)


@functools.cache
def _data_codewords(version: int, level: str) -> int:
    """Data codewords of *version* at *level*."""
    total = int((~_function_patterns(version)[1]).sum()) // 8
    return total - _BLOCKS[level][version - 1] * _EC_PER_BLOCK[level][version - 1]


@functools.cache
def _layout(version: int, level: str, mask: int) -> _Layout:
    """Everything :func:`qr_matrix` precomputes for one version, level and mask."""
    dark, used = _function_patterns(version)
    n = dark.shape[0]
    _draw_format(dark, _format_bits(level, mask))
    order = _zigzag(used)
    total = order.size // 8
    nb, e = _BLOCKS[level][version - 1], _EC_PER_BLOCK[level][version - 1]
    nshort = nb - total % nb
    k1 = total // nb - e  # data codewords of a short block; a long block has one more
    ndata = total - nb * e
    starts = [i * k1 + max(0, i - nshort) for i in range(nb)]
    # blocks padded to k1 + 1 codewords, a short one with a leading zero (the remainder is the same)
    block_index = np.zeros((nb, k1 + 1), dtype=np.intp)
    for i in range(nb):
        lead = 1 if i < nshort else 0
        block_index[i, lead:] = 1 + starts[i] + np.arange(k1 + 1 - lead)
    width = -(-e // 8) * 8
    data_seq = [1 + starts[i] + c for c in range(k1 + 1) for i in range(nb) if c < k1 or i >= nshort]
    ec_seq = [1 + ndata + i * width + c for c in range(e) for i in range(nb)]
    sequence = np.asarray(data_seq + ec_seq, dtype=np.intp)
    rows, cols = np.divmod(order, n)
    base = dark.astype(np.uint8).reshape(-1)
    base[order] = _MASKS[mask](rows, cols)  # remainder bits (zero) too
    source = np.zeros(n * n, dtype=np.intp)  # bit 0 of the leading zero codeword
    source[order[:8 * total]] = (8 * sequence[:, None] + np.arange(8)).reshape(-1)
    pad = np.resize(np.array([0xEC, 0x11], dtype=np.uint8), ndata + 1)
    return _Layout(
        data_codewords=ndata, count_bits=8 if version <= 9 else 16, pad=(pad[:ndata], pad[1:ndata + 1]),
        block_rows=np.ascontiguousarray(block_index.T), table_rows=256 * np.arange(k1 + 1)[:, None],
        rs_table=_rs_table(k1 + 1, e), base=base.reshape(n, n), source=source.reshape(n, n),
    )


@functools.cache
def _capacities(level: str) -> np.ndarray:
    """Most bytes each version 1-40 holds in byte mode at *level*."""
    return np.array([(8 * _data_codewords(v, level) - 4 - (8 if v <= 9 else 16)) // 8 for v in range(1, 41)])


def qr_version(nbytes: int, *, level: str = "M") -> int:
    """Smallest QR version (1-40) holding *nbytes* bytes in byte mode at *level*.

    Raises
    ------
    ValueError
        More bytes than version 40 holds at *level* (2,331 at level M).
    """
    caps = _capacities(level)
    if nbytes > caps[-1]:
        raise ValueError(f"{nbytes} bytes do not fit a QR code at level {level} (version 40 holds {caps[-1]})")
    return int(np.searchsorted(caps, nbytes)) + 1


def qr_matrix(data: bytes | str, *, level: str = "M", mask: int = 2, version: int | None = None) -> Any:
    """Modules of the QR code of *data* in byte mode, True = dark (no quiet zone).

    Parameters
    ----------
    data : bytes or str
        The bytes to encode (a ``str`` is encoded as UTF-8, with no ECI designator).
    level : {"L", "M", "Q", "H"}, default "M"
        Error-correction level (about 7, 15, 25, 30 % of the codewords recoverable).
    mask : int, default 2
        Data mask pattern 0-7 (ISO/IEC 18004, table 10); readers decode any of them.
    version : int, optional
        QR version 1-40; default the smallest that holds *data* at *level*.

    Returns
    -------
    numpy.ndarray
        Boolean array of ``(4 version + 17)`` squared modules.

    Raises
    ------
    ValueError
        Unknown level or mask, or *data* too long for the version.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if level not in _LEVEL_BITS or mask not in range(8):
        raise ValueError(f"QR level must be one of L, M, Q, H and mask 0-7, not {level!r} and {mask!r}")
    if version is None:
        version = qr_version(len(raw), level=level)
    elif version not in range(1, 41) or qr_version(len(raw), level=level) > version:
        raise ValueError(f"{len(raw)} bytes do not fit a version-{version} QR code at level {level}")
    lay = _layout(version, level, mask)
    m = len(raw)
    count = bytes((m,)) if lay.count_bits == 8 else m.to_bytes(2, "big")
    # mode 0100, count, bytes, terminator 0000: the bytes [4, count, data, 0] shifted by a nibble
    x = np.frombuffer(b"\x04" + count + raw + b"\x00", dtype=np.uint8)
    nwords = x.size - 1
    nb, width = lay.block_rows.shape[1], lay.rs_table.shape[1] * 8
    end = 1 + lay.data_codewords
    cws = np.empty(end + nb * width, dtype=np.uint8)  # [0, data, error correction per block]
    cws[0] = 0
    cws[1:end] = lay.pad[nwords % 2]
    cws[1:nwords + 1] = (x[:-1] & 0xF) << 4 | x[1:] >> 4
    terms = lay.rs_table[cws[lay.block_rows] + lay.table_rows]  # (block length, blocks, width / 8)
    cws[end:] = np.bitwise_xor.reduce(terms, axis=0).view(np.uint8).reshape(-1)
    return (lay.base ^ np.unpackbits(cws)[lay.source]).view(bool)
