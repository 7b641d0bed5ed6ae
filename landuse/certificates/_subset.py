"""TrueType font subsets for the PDF writer, cut per document from a program prepared once (private).

Every certificate and household sheet draws a few hundred glyphs of the roughly 470
of Noto Sans Lao; embedding the whole font cost about 23 KB (compressed) per weight
and per file. A general subsetter (fontTools ``subset``) re-parses and rebuilds the
font for every file (tens of milliseconds), so here the font is taken apart once per
process (:class:`GlyphProgram`): the raw outline of every glyph, the glyphs each
composite glyph is built of, and the tables that do not depend on the glyph set.
A document's subset (:meth:`GlyphProgram.subset`) is then a concatenation of bytes:

* glyph ids are kept (the PDF draws with ``/CIDToGIDMap /Identity``: a CID is the
  glyph id that HarfBuzz returned); a glyph not used keeps its place with an empty
  outline (a zero-length ``glyf`` entry, as for a space), so ``loca`` and ``hmtx``
  keep one entry per glyph;
* kept: ``glyf`` (the glyphs used, the components of composite glyphs used and
  glyph 0), ``loca`` (short format when the offsets allow), ``head``, ``hhea``,
  ``maxp``, ``hmtx``, ``OS/2``, ``cmap`` and the hinting tables (``cvt``, ``fpgm``,
  ``prep``) when present; ``post`` becomes format 3 (no glyph names); ``name`` and
  the layout tables (already dropped, :class:`landuse.certificates._pdf.Font`) go;
* table checksums and ``head.checkSumAdjustment`` are computed as the specification
  says, so the font passes a validator as well as a viewer;
* the file is compressed in pieces that concatenate into one zlib stream (each ends
  with ``Z_FULL_FLUSH``: :func:`_deflate`): the fixed tables once per process, the
  outlines in ranges of :data:`PIECE` glyph ids once per distinct set of glyphs kept
  in the range (the labels every page prints make most ranges repeat), the table
  directory, ``head`` and ``loca`` per document.

The same glyph set gives the same bytes (determinism), whatever was cached before.

References
----------
.. [1] Microsoft, *OpenType specification 1.9*, "The table directory", "glyf — Glyph
   data", "loca — Index to location", "head — Font header", "post — PostScript".
.. [2] ISO 32000-1:2008, 9.9 "Embedded font programs" (the tables a ``FontFile2``
   of a ``CIDFontType2`` font needs) and 9.6.4 "Font subsets" (the ``ABCDEF+`` tag).
"""

from __future__ import annotations

import io
import struct
import zlib
from itertools import accumulate, groupby, pairwise
from typing import Any

#: The outlines are compressed in pieces of this many consecutive glyph ids (see GlyphProgram._outlines).
PIECE = 32
#: Tables kept as they are (when present); ``head``, ``loca``, ``glyf`` and ``post`` are rebuilt.
_KEEP = ("OS/2", "cmap", "cvt ", "fpgm", "hhea", "hmtx", "maxp", "prep")


def _checksum(data: bytes) -> int:
    """OpenType table checksum: the sum of the big-endian uint32 words, zero-padded, modulo 2^32."""
    if len(data) % 4:
        data = data + b"\0" * (4 - len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


class GlyphProgram:
    """A TrueType font taken apart for fast per-document subsets (:meth:`subset`).

    Parameters
    ----------
    font : bytes
        A static TrueType font (``glyf`` outlines).
    """

    def __init__(self, font: bytes) -> None:
        from fontTools.ttLib import TTFont

        tt = TTFont(io.BytesIO(font), recalcTimestamp=False)
        order = tt.getGlyphOrder()
        gid = {g: i for i, g in enumerate(order)}
        glyf = tt["glyf"]
        #: Glyphs each glyph is drawn with (itself and, for composites, its components, recursively).
        self.components: list[tuple[int, ...]] = []
        for name in order:
            g = glyf[name]
            self.components.append(tuple(gid[c] for c in g.getComponentNames(glyf)) if g.isComposite() else ())
        #: The components of each composite glyph, recursively (glyph id -> ids).
        self.deep: dict[int, frozenset[int]] = {}
        for g, comps in enumerate(self.components):
            if comps:
                found: set[int] = set()
                todo = list(comps)
                while todo:
                    c = todo.pop()
                    if c not in found:
                        found.add(c)
                        todo.extend(self.components[c])
                self.deep[g] = frozenset(found)
        raw = tt.reader
        head = bytes(raw["head"])
        loca_raw = bytes(raw["loca"])
        glyf_raw = bytes(raw["glyf"])
        n = len(order)
        if struct.unpack(">h", head[50:52])[0]:  # long offsets
            offsets = struct.unpack(f">{n + 1}I", loca_raw[: 4 * (n + 1)])
        else:
            offsets = tuple(2 * o for o in struct.unpack(f">{n + 1}H", loca_raw[: 2 * (n + 1)]))
        glyphs = []
        for a, b in pairwise(offsets):
            data = glyf_raw[a:b]
            glyphs.append(data + b"\0" * (-len(data) % 4))  # 4-byte aligned: any loca format works
        #: Outline bytes per glyph id (empty for glyphs without contours).
        self.glyphs: list[bytes] = glyphs
        self.sizes = [len(g) for g in glyphs]
        self.n_glyphs = n
        self.head = head[:8] + b"\0\0\0\0" + head[12:]  # checkSumAdjustment 0 until the file is known
        self.tables = {tag: bytes(raw[tag]) for tag in _KEEP if tag in raw}
        if "post" in raw:  # format 3: the same header, no glyph names
            self.tables["post"] = b"\x00\x03\x00\x00" + bytes(raw["post"])[4:32]
        self.checksums = {tag: _checksum(data) for tag, data in self.tables.items()}
        self.lengths = {tag: len(data) for tag, data in self.tables.items()}
        # the fixed tables, one after the other (4-byte aligned), compressed once
        self.offsets: dict[str, int] = {}
        fixed = []
        at = 0
        for tag in sorted(self.tables):
            self.offsets[tag] = at
            data = self.tables[tag] + b"\0" * (-len(self.tables[tag]) % 4)
            fixed.append(data)
            at += len(data)
        self.fixed = b"".join(fixed)
        self.fixed_len = len(self.fixed)
        self.fixed_packed = _deflate(self.fixed, 9)
        self.glyph_sums = [_checksum(g) for g in glyphs]
        #: Compressed outlines by the glyphs kept of a range of PIECE ids (:meth:`_outlines`).
        self.pieces: dict[tuple[int, ...], bytes] = {}

    def __getstate__(self) -> dict:  # to worker processes: without the cache of compressed pieces
        state = dict(self.__dict__)
        state["pieces"] = {}
        return state

    def closure(self, gids: Any) -> list[int]:
        """Sorted glyph ids of *gids*, glyph 0 and every component of the composite glyphs among them."""
        keep = {0}
        keep.update(gids)
        deep = self.deep
        for g in [g for g in keep if deep.get(g)]:
            keep.update(deep[g])
        return sorted(g for g in keep if 0 <= g < self.n_glyphs)

    def _outlines(self, keep: list[int]) -> list[bytes]:
        """The outlines of *keep* compressed, one piece per :data:`PIECE` glyph ids (each piece made once).

        A piece depends only on the glyphs kept among its ids, and is compressed by a
        fresh compressor: the same glyphs give the same bytes whether the piece was
        cached or not. The labels every document prints make most pieces repeat.
        """
        out = []
        cache = self.pieces
        glyphs = self.glyphs
        for _, group in groupby(keep, _pieces_key):
            members = tuple(group)
            packed = cache.get(members)
            if packed is None:
                if len(cache) > 4_000:  # about 1 KB each
                    cache.clear()
                packed = cache[members] = _deflate(b"".join([glyphs[g] for g in members]), 6)
            out.append(packed)
        return out

    def subset(self, keep: list[int], packer: Deflater | None = None) -> tuple[bytes, int]:
        """The font with only the outlines of the glyph ids *keep* (sorted, :meth:`closure`); glyph ids kept.

        Returns
        -------
        (bytes, int)
            The font file compressed as a zlib stream (``/FlateDecode``), and its length
            uncompressed (``/Length1``). The tables that do not change were compressed
            once (:meth:`__init__`); here only the table directory, ``head``, ``loca`` and
            the outlines kept are, each piece apart (:func:`_deflate`), joined into one
            stream.
        """
        n = self.n_glyphs
        lens = [0] * n
        sizes = self.sizes
        for g in keep:
            lens[g] = sizes[g]
        offsets = list(accumulate(lens, initial=0))
        glyf = b"".join([self.glyphs[g] for g in keep])
        if len(glyf) < 0x20000:  # short format: offset / 2 in a uint16
            loca = struct.pack(f">{n + 1}H", *[o >> 1 for o in offsets])
            fmt = b"\x00\x00"
        else:
            loca = struct.pack(f">{n + 1}I", *offsets)
            fmt = b"\x00\x01"
        head = self.head[:50] + fmt + self.head[52:]
        glyph_sums = self.glyph_sums
        lengths = dict(self.lengths, head=len(head), loca=len(loca), glyf=len(glyf))
        sums = dict(self.checksums, head=_checksum(head), loca=_checksum(loca),
                    glyf=sum([glyph_sums[g] for g in keep]) & 0xFFFFFFFF)  # glyphs 4-byte aligned: sums add up
        # the file: directory, the fixed tables, head, loca, glyf (tables may come in any order)
        tags = sorted(lengths)
        n_tables = len(tags)
        start = 12 + 16 * n_tables
        where = {tag: start + at for tag, at in self.offsets.items()}
        at = start + self.fixed_len
        for tag, length in (("head", len(head)), ("loca", len(loca)), ("glyf", len(glyf))):
            where[tag] = at
            at += length + (-length % 4)
        power = 1 << (n_tables.bit_length() - 1)
        top = struct.pack(">IHHHH", 0x00010000, n_tables, 16 * power, power.bit_length() - 1,
                          16 * (n_tables - power)) + b"".join(
            [struct.pack(">4sIII", tag.encode("latin-1"), sums[tag], where[tag], lengths[tag]) for tag in tags])
        total = (_checksum(top) + sum(sums.values())) & 0xFFFFFFFF
        head = head[:8] + struct.pack(">I", (0xB1B0AFBA - total) & 0xFFFFFFFF) + head[12:]
        tail = head + b"\0" * (-len(head) % 4) + loca + b"\0" * (-len(loca) % 4)
        adler = zlib.adler32(glyf, zlib.adler32(tail, zlib.adler32(self.fixed, zlib.adler32(top))))
        piece = (packer or Deflater()).piece
        packed = b"".join([b"\x78\x9c", piece(top), self.fixed_packed, piece(tail), *self._outlines(keep),
                           b"\x03\x00",  # the last block: empty, final
                           struct.pack(">I", adler)])
        return packed, len(top) + self.fixed_len + len(tail) + len(glyf)


def _pieces_key(g: int) -> int:
    return g // PIECE


def _deflate(data: bytes, level: int) -> bytes:
    """*data* as raw deflate blocks ending byte-aligned and independent of what precedes them (``Z_FULL_FLUSH``).

    Such pieces, compressed apart, concatenate into one deflate stream (RFC 1951: a
    block may refer back only to data of its own piece here, since each piece starts a
    fresh compressor); a final empty block and the zlib header and Adler-32 checksum
    (RFC 1950) around them make a ``/FlateDecode`` stream.
    """
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


class Deflater:
    """``/FlateDecode`` (zlib) streams made by one compressor: set up once per document, not per stream.

    Setting up a zlib compressor clears its hash tables (tens of microseconds), more
    than compressing a short content stream takes; a page of shared blocks has a dozen
    streams. Each stream is a piece ending with ``Z_FULL_FLUSH`` (:func:`_deflate`:
    nothing refers back across it) between the zlib header and a final empty block
    and the Adler-32 of its data (RFC 1950, RFC 1951).

    Parameters
    ----------
    level : int
        zlib compression level (3: about 10 % larger than 9, four times faster).
    """

    def __init__(self, level: int = 3) -> None:
        self._c = zlib.compressobj(level, zlib.DEFLATED, -15)

    def piece(self, data: bytes) -> bytes:
        """*data* as raw deflate blocks, ending byte-aligned and independent of what precedes them."""
        return self._c.compress(data) + self._c.flush(zlib.Z_FULL_FLUSH)

    def stream(self, data: bytes) -> bytes:
        """*data* as a complete zlib stream."""
        return b"\x78\x9c" + self.piece(data) + b"\x03\x00" + struct.pack(">I", zlib.adler32(data))
