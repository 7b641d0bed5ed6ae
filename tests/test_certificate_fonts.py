"""Embedded font subsets, shared blocks and streams of the certificates' PDF writer (issue 20).

Oracles independent of the writer: fontTools reads the embedded font program (table
checksums checked), pypdf finds it in the file, ``pdftotext`` gives back the text,
zlib inflates the streams, HarfBuzz shapes the texts that the writer shapes without it.
"""

from __future__ import annotations

import io
import subprocess
import zlib

import pytest
from conftest import have
from hypothesis import given, settings
from hypothesis import strategies as st

from landuse import certificates
from landuse.certificates import _pdf, _subset

#: A holder name to break things: Lao with stacked vowels and tone marks, a subscript ລ, a
#: PDF string's special characters, HTML and a long run without a break.
HOSTILE_LO = "ນາງ ຫຼ້າ ຟື້ນຟູ (ສົມ\\ໃຈ) <b>&"
HOSTILE_EN = "Ms Lha Phuenphou (Som\\jai) <b>& O'Brien-Ægir"


def _fonts():
    from landuse.certificates.issue import _fonts as fonts  # the fonts prepared once per process

    return fonts()


def _embedded_fonts(data: bytes) -> dict[str, bytes]:
    """The font programs (``FontFile2``) of a PDF's first page, by base font name (read with pypdf)."""
    import pypdf

    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    out = {}
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        out[str(font["/BaseFont"])] = desc["/FontFile2"].get_object().get_data()
    return out


def _document(*lines: str) -> tuple[bytes, _pdf.Document]:
    doc = certificates.pdf_document(info={"Title": "fonts"})
    page = doc.add_page()
    for i, line in enumerate(lines):
        page.text(40, 100 + 30 * i, line, size=12, bold=i % 2 == 1)
    return doc.to_bytes(), doc


def _file_checksum(font: bytes) -> int:
    """Sum of the font file's big-endian 32-bit words modulo 2^32 (OpenType: 0xB1B0AFBA for a whole font)."""
    import struct

    font += b"\0" * (-len(font) % 4)
    return sum(struct.unpack(f">{len(font) // 4}I", font)) & 0xFFFFFFFF


def _outlined(tt, gid: int) -> bool:
    name = tt.getGlyphOrder()[gid]
    return tt["glyf"][name].numberOfContours != 0


def test_subset_holds_every_glyph_drawn_and_no_other():
    """The embedded fonts are valid TrueType subsets: every glyph drawn has its outline, one not drawn has none."""
    from fontTools.ttLib import TTFont

    regular, bold = _fonts()
    data, doc = _document(HOSTILE_LO, HOSTILE_EN, "ສະບາຍດີ 0123")
    fonts = _embedded_fonts(data)
    assert set(fonts) == {f"/LUAAAA+{regular.name}", f"/LUBBBB+{bold.name}"}
    for font, used in ((regular, doc.glyphs[0]), (bold, doc.glyphs[1])):
        program = fonts[f"/LU{'AAAA' if font is regular else 'BBBB'}+{font.name}"]
        full = TTFont(io.BytesIO(font.data))
        sub = TTFont(io.BytesIO(program), checkChecksums=2)  # a wrong table checksum raises
        assert _file_checksum(program) == 0xB1B0AFBA  # head.checkSumAdjustment
        assert sub["maxp"].numGlyphs == full["maxp"].numGlyphs  # glyph ids kept
        assert len(program) < len(font.data) / 2
        assert used
        for gid in used:
            assert _outlined(sub, gid) == _outlined(full, gid)
        # 'Q' and 'ຎ' (U+0E8E) are on no line above: in the font, not in the subset
        for ch in "Qຎ":
            gid = full.getGlyphID(full.getBestCmap()[ord(ch)])
            assert gid not in used
            assert _outlined(full, gid) and not _outlined(sub, gid)


@pytest.mark.skipif(not have("pdftotext"), reason="needs poppler-utils")
def test_hostile_names_round_trip_through_pdftotext(tmp_path):
    """Text drawn with the subset fonts is extracted as written (Lao marks, PDF and HTML specials)."""
    data, _ = _document(HOSTILE_LO, HOSTILE_EN)
    path = tmp_path / "names.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert HOSTILE_LO in text
    assert HOSTILE_EN in text


def test_same_document_same_bytes_whatever_came_before():
    """Subsets, pieces of outlines and shared blocks are cached per process: the bytes do not depend on it."""
    first, _ = _document(HOSTILE_LO, "ກ ຂ ຄ 12.5")
    _document("ຮ ໜ ໝ ໂ ໄ", "Quixotic zebra jumps 9876")  # other glyphs: other cached pieces
    again, _ = _document(HOSTILE_LO, "ກ ຂ ຄ 12.5")
    assert first == again


def test_subset_of_glyph_zero_only_is_a_valid_font():
    """A font with no glyph drawn (a page without bold text) is still a valid font: glyph 0 only."""
    from fontTools.ttLib import TTFont

    regular, _ = _fonts()
    keep = regular.program.closure(set())
    assert keep == [0]
    packed, length = regular.program.subset(keep)
    font = zlib.decompress(packed)
    assert len(font) == length
    assert _file_checksum(font) == 0xB1B0AFBA
    tt = TTFont(io.BytesIO(font), checkChecksums=2)
    assert sum(_outlined(tt, g) for g in range(tt["maxp"].numGlyphs)) == int(_outlined(tt, 0))


def test_composite_glyphs_bring_their_components():
    """A composite glyph kept keeps the glyphs it is built of (else it would print empty)."""
    regular, _ = _fonts()
    program = regular.program
    composites = [g for g, comps in enumerate(program.components) if comps]
    assert composites, "the font has composite glyphs (Lao vowels with tone marks)"
    for g in composites[:20]:
        keep = set(program.closure({g}))
        assert set(program.components[g]) <= keep
        assert program.deep[g] <= keep


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=3000), min_size=1, max_size=6), st.sampled_from([1, 3, 6, 9]))
def test_deflater_streams_inflate_to_their_data(chunks, level):
    """Streams made by one compressor, one after the other, are each a complete zlib stream of their data."""
    packer = _subset.Deflater(level)
    for data in chunks:
        assert zlib.decompress(packer.stream(data)) == data


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_plain_shaping_is_what_harfbuzz_gives(data):
    """Texts of digits and number signs shaped without HarfBuzz give HarfBuzz's glyphs and advances."""
    for font in _fonts():
        alphabet = sorted(font.plain)
        assert set("0123456789.") <= set(alphabet)
        text = data.draw(st.text(alphabet=alphabet, min_size=1, max_size=24))
        assert [tuple(g) for g in font.shape(text)] == [tuple(g) for g in font._shape_hb(text)]


_WORDS = ["ທອງຄຳ", "ແກ້ວມະນີ", "ຫຼ້າ", "ສົມສັກ", "ນ້ຳ", "Thongkham", "Keomany", "AVAT", "office", "(H-0012),",
          "/", "0401015-G0049", "ha", "Wo", "LT", "ffi", "ຳ", "່", "ິ", "ໍ", "T.", "y,", ""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS),
                          st.text(alphabet=sorted(_pdf._WORD_CHARS - {" "}), min_size=1, max_size=6)),
                min_size=2, max_size=8))
def test_word_by_word_shaping_is_what_harfbuzz_gives(words):
    """A text with spaces, shaped word by word and joined, gives HarfBuzz's glyphs, clusters and advances.

    Words are Lao and Latin (kerned pairs such as ``AV``, ``Wo``, ``T.``, ligatures such as
    ``ffi``), marks that start a word (which join the space's cluster in HarfBuzz: the
    text goes to HarfBuzz whole), empty words (two spaces) and random printable ASCII
    and Lao; the first strong letter decides the script of every word, as in HarfBuzz.
    """
    text = " ".join(words)
    for font in _fonts():
        got = font.shape(text)
        assert [tuple(g) for g in got] == [tuple(g) for g in font._shape_hb(text)]


def test_word_shaping_takes_the_script_of_the_whole_text():
    """Latin words in a Lao text are shaped with the Lao script (HarfBuzz's guess for the text), not their own."""
    regular = _fonts()[0]
    text = "ທອງຄຳ (Thongkham Keomany)"
    assert regular.shape(text) == regular._shape_hb(text)
    assert regular._spaced(("Laoo", "ltr", "c")) is not None
    scripts = {props[0] for props in regular.__dict__["_spaced_by"]}
    assert "Laoo" in scripts


def test_shared_block_is_one_object_written_into_each_file():
    """A shared block is compressed once and written byte-for-byte into every document that draws it."""
    regular, bold = _fonts()

    def block(q: _pdf.Page) -> float:
        q.text(40, 20, "ເງື່ອນໄຂ / Conditions", size=9)
        return 25.0

    bodies = []
    for y in (100.0, 300.0):
        doc = _pdf.Document(regular, bold)
        page = doc.add_page()
        assert page.shared(("test block", 1), 0.0, y, block) == 25.0
        page.text(40, 50, f"at {y}", size=9)
        data = doc.to_bytes()
        (at, shared), = page.blocks
        assert page.ops[at - 1] == f"q 1 0 0 1 0.00 {-y:.2f} cm" and page.ops[at] == "Q"
        assert shared.body in data
        bodies.append(shared.body)
        assert doc.glyphs[0] >= shared.glyphs[0]  # the block's glyphs are in the subset
    assert bodies[0] == bodies[1]
