"""The certificates' own QR encoder (landuse.certificates._qr) against the standard's
published values, zxing-cpp's writer (module for module) and zxing-cpp's reader."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landuse.certificates import _qr, _seal

zxingcpp = pytest.importorskip("zxingcpp")

#: Characters that only byte mode encodes (not digits, not the alphanumeric set, not
#: Kanji): zxing-cpp's writer, which picks the shortest mix of modes, then writes one
#: byte-mode segment, as our encoder does.
BYTE_ONLY = "abcdefghijklmnopqrstuvwxyz_~!\"#&'()<>=?@[]^`{|};,"


def _zxing_matrix(text: str, level: str, mask: int, version: int) -> np.ndarray:
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=level, data_mask=mask,
                                   version=version)
    return np.asarray(zxingcpp.write_barcode_to_image(code, scale=1, add_quiet_zones=False)) < 128


def _read(matrix: np.ndarray, scale: int = 3) -> list:
    img = np.where(np.pad(matrix, 4), 0, 255).astype(np.uint8).repeat(scale, 0).repeat(scale, 1)
    return zxingcpp.read_barcodes(img)


def test_standard_values():
    """Values printed in ISO/IEC 18004:2015: the generator for 10 error-correction
    codewords (Annex A, as exponents of 2), format and version information (Annex C, D)."""
    assert [int(_qr._LOG[c]) for c in _qr._generator(10)] == [0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45]
    assert _qr._format_bits("M", 0) == 0b101010000010010
    assert _qr._format_bits("L", 0) == 0b111011111000100
    assert _qr._format_bits("H", 7) == 0b000100000111011
    assert _qr._version_bits(7) == 0b000111110010010100
    assert _qr._version_bits(40) == 0b101000110001101001
    # byte-mode capacities at level M (table 7): versions 1, 10, 40
    assert [_qr.qr_version(n) for n in (14, 15, 213, 214, 2331)] == [1, 2, 10, 11, 40]
    with pytest.raises(ValueError, match="2331"):
        _qr.qr_version(2332)
    with pytest.raises(ValueError, match="version-1"):
        _qr.qr_matrix(b"x" * 15, version=1)
    for bad in (dict(level="X"), dict(mask=8), dict(mask=-1)):
        with pytest.raises(ValueError, match="level must be"):
            _qr.qr_matrix(b"x", **bad)


def test_reed_solomon_remainder_by_long_division():
    """The table-driven remainder equals polynomial long division over GF(256)."""
    rng = np.random.default_rng(3)

    def mul(a: int, b: int) -> int:
        return 0 if a == 0 or b == 0 else int(_qr._EXP[_qr._LOG[a] + _qr._LOG[b]])

    for k, e in ((16, 10), (48, 28), (1, 7), (119, 30)):
        data = rng.integers(0, 256, k)
        g = [int(c) for c in _qr._generator(e)]
        r = [int(d) for d in data] + [0] * e
        for i in range(k):
            c = r[i]
            for j, gj in enumerate(g):
                r[i + j] ^= mul(gj, c)
        table = _qr._rs_table(k, e)
        got = np.bitwise_xor.reduce(table[256 * np.arange(k) + data], axis=0).view(np.uint8)[:e]
        assert got.tolist() == r[k:]


def test_every_version_level_module_for_module():
    """All 40 versions at the four levels, one, half and all the bytes each holds, equal
    to zxing-cpp's writer module for module (a random mask each)."""
    rng = random.Random(20)
    for level in "LMQH":
        for version in range(1, 41):
            cap = int(_qr._capacities(level)[version - 1])
            assert _qr.qr_version(cap, level=level) == version
            for length in sorted({1, cap // 2, cap}):
                mask = rng.randrange(8)
                text = "".join(rng.choice(BYTE_ONLY) for _ in range(length))
                ours = _qr.qr_matrix(text, level=level, mask=mask, version=version)
                theirs = _zxing_matrix(text, level, mask, version)
                assert ours.shape == theirs.shape == (4 * version + 17,) * 2
                assert np.array_equal(ours, theirs), (level, version, mask, length)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=BYTE_ONLY, min_size=1, max_size=900), level=st.sampled_from("LMQH"),
       mask=st.integers(0, 7))
def test_matrix_equals_zxing_property(text, level, mask):
    ours = _qr.qr_matrix(text, level=level, mask=mask)
    version = (ours.shape[0] - 17) // 4
    assert version == _qr.qr_version(len(text), level=level)
    assert np.array_equal(ours, _zxing_matrix(text, level, mask, version))


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=1, max_size=1200), mask=st.integers(0, 7))
def test_random_bytes_decode(data, mask):
    """Any bytes, rendered with a quiet zone, read back by zxing-cpp's reader: the same
    bytes, version, level and mask."""
    matrix = _qr.qr_matrix(data, mask=mask)
    codes = _read(matrix)
    assert len(codes) == 1
    assert codes[0].bytes == data
    extra = codes[0].extra
    assert (extra["Version"], extra["ECLevel"], extra["DataMask"]) == (str((matrix.shape[0] - 17) // 4), "M", mask)


def test_signed_record_codes():
    """The certificates' codes: ~620-byte signed records (versions 18-25 at level M, mask 2)."""
    import base64

    rng = np.random.default_rng(14)
    for n in (560, 600, 620, 650, 700):
        text = "LUC1." + base64.urlsafe_b64encode(rng.bytes(n)).decode().rstrip("=")
        matrix = _seal._qr_matrix(text)
        assert matrix.dtype == bool and 18 <= (matrix.shape[0] - 17) // 4 <= 25
        codes = _read(matrix, scale=2)
        assert [c.text for c in codes] == [text]
        assert codes[0].extra["DataMask"] == _seal.QR_MASK
