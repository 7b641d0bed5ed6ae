"""A small, fast, deterministic PDF writer for certificates (private).

Certificates are thousands of one-page documents with the same two fonts. A general
PDF library re-parses and re-subsets the fonts for every document, which costs
about a second per certificate with the variable Noto Sans Lao font; here the fonts
are prepared once per process and each file's subset is assembled from pieces
prepared then (:mod:`landuse.certificates._subset`), so a certificate takes a few
milliseconds.

What it does:

* fonts: a TrueType font (variable fonts are instanced once with fontTools, e.g.
  ``wght=400`` and ``wght=700``) embedded as a subset of the glyphs the document
  draws (glyph ids kept, layout tables dropped: :mod:`landuse.certificates._subset`)
  as a ``Type0``/``CIDFontType2`` font with ``Identity-H`` encoding, identity
  ``CIDToGIDMap``, and a ``/W`` widths array and a ``ToUnicode`` CMap of those glyphs;
* text: shaped with HarfBuzz (``uharfbuzz``), so Lao vowels and tone marks are
  stacked by the font's own GPOS/GSUB rules; each run is wrapped in a marked-content
  span with ``/ActualText`` so that text extraction (``pdftotext``) returns the
  original Unicode string; superscript two (``²``), absent from Noto Sans Lao, is
  drawn as a raised small ``2``;
* lines of text placed by the measured ink of their shaped glyphs (:meth:`Page.flow`,
  :meth:`Font.extent`), wrapped at spaces and between Lao syllables (:func:`lao_breaks`);
* graphics: lines, polylines, rectangles, polygons, filled module grids (QR codes);
* shared blocks (:meth:`Page.shared`): content that many documents repeat (labels,
  conditions) drawn and compressed once per process and written into each file as a
  content stream of its own; all other streams of a file come from one compressor
  (:class:`landuse.certificates._subset.Deflater`);
* files: attachments (``/EmbeddedFiles``), a fixed ``/Info`` dictionary and an
  ``/ID`` derived from the content, so the same input gives the same bytes.

References
----------
.. [1] ISO 32000-1:2008, *Document management — Portable document format — Part 1:
   PDF 1.7* (sections 7.5 file structure, 9.7 composite fonts, 9.10 ToUnicode,
   14.9.4 ActualText, 7.11.4 embedded files).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: A4 in PDF points (1 pt = 1/72 in).
A4_PT = (595.276, 841.89)
MM = 72.0 / 25.4

_SUPERSCRIPTS = {"²": "2", "³": "3"}


# -- fonts --------------------------------------------------------------------------
def _instance_bytes(path: Path, weight: float) -> bytes:
    """The static instance of *path* at *weight* (or the file itself if static)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), recalcTimestamp=False) as tt:
        if "fvar" in tt:
            from fontTools.varLib import instancer

            axes = {a.axisTag: a.defaultValue for a in tt["fvar"].axes}
            if "wght" in axes:
                lo = min(a.minValue for a in tt["fvar"].axes if a.axisTag == "wght")
                hi = max(a.maxValue for a in tt["fvar"].axes if a.axisTag == "wght")
                axes["wght"] = min(max(weight, lo), hi)
            instancer.instantiateVariableFont(tt, axes, inplace=True, static=True)
        buf = io.BytesIO()
        tt.save(buf)
    return buf.getvalue()


@dataclass
class Font:
    """One font face prepared for shaping (HarfBuzz) and embedding (PDF)."""

    name: str
    data: bytes  # full static font: shaping
    program: Any = None  # font program without layout tables, taken apart for subsets (_subset.GlyphProgram)
    upem: int = 1000
    widths: list[int] = field(default_factory=list)  # per glyph id, 1000 units/em
    unicode_of: dict[int, str] = field(default_factory=dict)
    codepoints: frozenset[int] = frozenset()
    bbox: tuple[int, int, int, int] = (0, 0, 0, 0)
    ascent: int = 0
    descent: int = 0
    cap_height: int = 0
    ink_top: list[int] = field(default_factory=list)  # per glyph id: highest ink (yMax), 1000 units/em
    ink_bottom: list[int] = field(default_factory=list)  # per glyph id: lowest ink (yMin), 1000 units/em
    _hb: Any = None
    #: Shaped runs, measures and drawn text by their arguments (certificates repeat most texts).
    cache: _Cache = field(default_factory=lambda: _Cache(), repr=False, compare=False)
    #: Embedded subsets by the glyphs drawn (about 12 KB each: a small cache, bounded apart).
    embeds: _Cache = field(default_factory=lambda: _Cache(256), repr=False, compare=False)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Font:
        from fontTools.ttLib import TTFont

        tt = TTFont(io.BytesIO(data), recalcTimestamp=False)
        upem = int(tt["head"].unitsPerEm)
        scale = 1000.0 / upem
        order = tt.getGlyphOrder()
        hmtx = tt["hmtx"]
        widths = [round(hmtx[g][0] * scale) for g in order]
        cmap = tt.getBestCmap()
        gid = {g: i for i, g in enumerate(order)}
        unicode_of: dict[int, str] = {}
        for cp in sorted(cmap):
            unicode_of.setdefault(gid[cmap[cp]], chr(cp))
        _gsub_unicodes(tt, gid, unicode_of)
        head, os2 = tt["head"], tt["OS/2"]
        bbox = tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        ascent = round(os2.sTypoAscender * scale)
        descent = round(os2.sTypoDescender * scale)
        cap = round(getattr(os2, "sCapHeight", 0) * scale) or ascent
        top, bottom = _glyph_ink(tt, order, scale)
        for tag in ("GSUB", "GPOS", "GDEF", "STAT", "DSIG", "MVAR", "HVAR", "meta", "FFTM"):
            if tag in tt:
                del tt[tag]
        buf = io.BytesIO()
        tt.save(buf)
        from landuse.certificates._subset import GlyphProgram  # deferred: fontTools only where fonts are prepared

        return cls(name=name, data=data, program=GlyphProgram(buf.getvalue()), upem=upem,
                   widths=widths, unicode_of=unicode_of, codepoints=frozenset(cmap), bbox=bbox,
                   ascent=ascent, descent=descent, cap_height=cap, ink_top=top, ink_bottom=bottom)

    def __getstate__(self) -> dict:  # HarfBuzz objects do not pickle (process pools)
        state = dict(self.__dict__)
        state["_hb"] = None
        state["cache"] = _Cache()
        state["embeds"] = _Cache(256)
        state.pop("_chars", None)
        state.pop("_plain", None)
        state.pop("_hexes", None)
        state.pop("_bfchar", None)
        state.pop("_spaced_by", None)
        return state

    @property
    def codepoint_chars(self) -> frozenset[str]:
        """The characters the font has glyphs for."""
        c = self.__dict__.get("_chars")
        if c is None:
            c = self.__dict__["_chars"] = frozenset(chr(cp) for cp in self.codepoints) | set(_SUPERSCRIPTS)
        return c

    @property
    def hb(self) -> Any:
        if self._hb is None:
            import uharfbuzz as hb

            face = hb.Face(self.data)
            font = hb.Font(face)
            self._hb = font
        return self._hb

    @property
    def plain(self) -> dict[str, tuple[int, int]]:
        """Characters that HarfBuzz shapes as their own glyph at its own advance in any text made of them alone.

        Candidates are digits and the signs of numbers and dates (:data:`_PLAIN`); a
        pair that the font kerns or substitutes (shaped once per process) drops its
        characters. Texts of these characters only (coordinates, areas, dates) are then
        shaped without HarfBuzz: ``{character: (glyph id, advance)}``.
        """
        plain = self.__dict__.get("_plain")
        if plain is None:
            plain = self.__dict__["_plain"] = _plain_chars(self)
        return plain

    @property
    def bfchar(self) -> dict[int, str]:
        """The ``ToUnicode`` line of each glyph id that stands for text (:func:`_bfchar`)."""
        b = self.__dict__.get("_bfchar")
        if b is None:
            b = self.__dict__["_bfchar"] = {g: _bfchar(g, u) for g, u in self.unicode_of.items()}
        return b

    @property
    def hexes(self) -> list[str]:
        """Glyph ids as 4 hex digits (the 2-byte codes of ``Identity-H``), by glyph id."""
        h = self.__dict__.get("_hexes")
        if h is None:
            h = self.__dict__["_hexes"] = [f"{g:04X}" for g in range(len(self.widths))]  # HarfBuzz ids < numGlyphs
        return h

    def shape(self, text: str) -> list[tuple[int, int, int, int, int]]:
        """Glyphs of *text*: ``(gid, cluster, x_advance, x_offset, y_offset)`` in 1/1000 em."""
        key = ("shape", text)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache.recall(key)
        if hit is not None:
            return hit
        plain = self.plain
        chars = set(text)
        if plain and plain.keys() >= chars:  # digits, numbers, dates: one glyph per character, no kerning
            out = [(g, i, w, 0, 0) for i, (g, w) in enumerate([plain[c] for c in text])]
        elif " " in chars and chars <= _WORD_CHARS:  # names, lists: words shaped once, joined at the spaces
            out = self._shape_words(text)
        else:
            out = self._shape_hb(text)
        self.cache[key] = out
        return out

    def _shape_words(self, text: str) -> list[tuple[int, int, int, int, int]]:
        """:meth:`shape` of a text with spaces: its words shaped apart (each once per process) and joined.

        HarfBuzz gives the same glyphs when a space neither kerns with nor is
        substituted together with the characters beside it (:meth:`_spaced`, checked
        once per process and segment properties against HarfBuzz), and each word is
        shaped with the segment properties (script, direction, language) that HarfBuzz
        guesses for the whole text. Otherwise, or for right-to-left text, the whole
        text is shaped by HarfBuzz. Clusters are offsets into *text*, as HarfBuzz's.
        """
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        props = (buf.script, buf.direction, buf.language)
        rules = self._spaced(props)
        if rules is None:
            return self._shape_hb(text)
        space, bad_before, bad_after = rules
        words = text.split(" ")
        last = len(words) - 1
        out: list[tuple[int, int, int, int, int]] = []
        at = 0
        for i, word in enumerate(words):
            if word:
                if (i < last and word[-1] in bad_before) or (i and word[0] in bad_after):
                    return self._shape_hb(text)
                out += [(gid, cl + at, adv, xo, yo) for gid, cl, adv, xo, yo in self._word(word, props)]
                at += len(word)
            if i < last:
                out.append((space[0], at, space[1], 0, 0))
                at += 1
        return out

    def _word(self, word: str, props: tuple[Any, Any, Any]) -> list[tuple[int, int, int, int, int]]:
        """*word* shaped by HarfBuzz with the segment properties *props* (cached)."""
        key = ("word", word, props)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache.recall(key)
        if hit is None:
            hit = self.cache[key] = self._shape_hb(word, props)
        return hit

    def _spaced(self, props: tuple[Any, Any, Any]) -> tuple[tuple[int, int], frozenset[str], frozenset[str]] | None:
        """How a space shapes beside each character of :data:`_WORD_CHARS` under *props*, or None (not left-to-right).

        Returns the space's ``(glyph id, advance)``, the characters after which and those
        before which a space does not shape as on its own (kerning, ligature, a mark
        joining the space's cluster): a text whose word ends or starts so goes to HarfBuzz whole.
        """
        memo = self.__dict__.setdefault("_spaced_by", {})
        if props in memo:
            return memo[props]
        rules = None
        if props[1] == "ltr":
            sp = self._shape_hb(" ", props)
            if len(sp) == 1 and sp[0][3:] == (0, 0):
                space = (sp[0][0], sp[0][2])
                before, after = set(), set()
                for c in sorted(_WORD_CHARS):
                    alone = self._shape_hb(c, props)
                    if self._shape_hb(c + " ", props) != [*alone, (space[0], 1, space[1], 0, 0)]:
                        before.add(c)
                    if self._shape_hb(" " + c, props) != [(space[0], 0, space[1], 0, 0),
                                                          *[(g, cl + 1, a, x, y) for g, cl, a, x, y in alone]]:
                        after.add(c)
                rules = (space, frozenset(before), frozenset(after))
        memo[props] = rules
        return rules

    def _shape_hb(self, text: str, props: tuple[Any, Any, Any] | None = None) -> list[tuple[int, int, int, int, int]]:
        """:meth:`shape` by HarfBuzz (no cache); *props*: segment properties ``(script, direction, language)``
        to use instead of HarfBuzz's guess from *text*."""
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(text)
        if props is None:
            buf.guess_segment_properties()
        else:
            if props[0] is not None:
                buf.script = props[0]
            buf.direction = props[1]
            buf.language = props[2]
        hb.shape(self.hb, buf, {"kern": True, "liga": True})
        if self.upem == 1000:  # HarfBuzz units are 1/1000 em already (Noto fonts): nothing to scale or round
            out = [(i.codepoint, i.cluster, p.x_advance, p.x_offset, p.y_offset)
                   for i, p in zip(buf.glyph_infos, buf.glyph_positions, strict=True)]
        else:
            s = 1000.0 / self.upem
            out = [(i.codepoint, i.cluster, round(p.x_advance * s), round(p.x_offset * s), round(p.y_offset * s))
                   for i, p in zip(buf.glyph_infos, buf.glyph_positions, strict=True)]
        return out

    def extent(self, text: str) -> tuple[float, float]:
        """Vertical extent of the ink of a line of *text*: ``(above, below)`` the baseline, in 1/1000 em.

        Measured on the shaped line: each glyph's ``glyf`` bounding box moved by its
        GPOS offset, so stacked Lao vowels and tone marks (up to about 1.16 em above
        the baseline in Noto Sans Lao bold) and marks below (``ຸ ູ`` under a subscript
        ``ຼ``, about 0.47 em below) count where they are drawn. Lines placed so that
        the *below* of one and the *above* of the next do not meet never touch:

        .. math:: b_{i+1} - b_i \\ge (\\text{below}_i + \\text{above}_{i+1})\\,s/1000 + g

        with baselines :math:`b` [pt], font size :math:`s` [pt] and clearance
        :math:`g` [pt] (:meth:`Page.flow`). An empty line has no extent.
        """
        key = ("extent", text)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache.recall(key)
        if hit is not None:
            return hit
        out = self._ink(text)
        self.cache[key] = out
        return out

    def _ink(self, text: str) -> tuple[float, float]:
        """Measured ink of a shaped line: ``(highest above, lowest below)`` the baseline [1/1000 em]."""
        top, bottom = 0.0, 0.0
        ink_top, ink_bottom = self.ink_top, self.ink_bottom
        n = len(ink_top)
        for kind, part in _split_super(text):
            k, rise = (0.6, 380.0) if kind == "sup" else (1.0, 0.0)
            for gid, _cl, _adv, _xo, yo in self.shape(part):
                if gid < n:
                    hi, lo = ink_top[gid], ink_bottom[gid]
                    if hi > lo:
                        t = rise + k * (hi + yo)
                        b = -(rise + k * (lo + yo))
                        if t > top:
                            top = t
                        if b > bottom:
                            bottom = b
        return top, bottom

    def width(self, text: str, size: float) -> float:
        """Advance width of *text* at *size* points. [pt]"""
        key = ("width", text)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache.recall(key)
        if hit is not None:
            return hit * size
        total = 0.0
        for kind, part in _split_super(text):
            adv = sum(g[2] for g in self.shape(part))
            total += adv * (0.6 if kind == "sup" else 1.0) / 1000.0
        self.cache[key] = total
        return total * size


#: Characters of texts shaped word by word (:meth:`Font._shape_words`): printable ASCII and the Lao block.
_WORD_CHARS = frozenset(map(chr, [*range(0x20, 0x7F), *range(0x0E80, 0x0F00)]))


#: Candidates for shaping without HarfBuzz (:attr:`Font.plain`).
_PLAIN = "0123456789.,-+:/() "


def _plain_chars(font: Font) -> dict[str, tuple[int, int]]:
    """The characters of :data:`_PLAIN` whose every pair HarfBuzz shapes glyph by glyph at the glyphs' advances."""
    alone: dict[str, tuple[int, int]] = {}
    for c in _PLAIN:
        g = font._shape_hb(c)
        if len(g) == 1 and g[0][0] and g[0][3:] == (0, 0) and g[0][0] < len(font.widths) \
                and font.widths[g[0][0]] == g[0][2]:
            alone[c] = (g[0][0], g[0][2])
    bad: set[str] = set()
    for a in alone:
        for b in alone:
            got = [(g[0], g[2], g[3], g[4]) for g in font._shape_hb(a + b)]
            if got != [(*alone[a], 0, 0), (*alone[b], 0, 0)]:
                bad.update((a, b))
    return {c: v for c, v in alone.items() if c not in bad}


class _Cache(dict):
    """A dict of two generations: when it holds *limit* entries the older generation goes.

    Lookups read the current generation (``get``, at the speed of a dict); a miss asks
    :meth:`recall`, which moves an entry of the older generation back into the current
    one. So when the cache is full, the entries used since the last turn stay (the
    labels every certificate repeats), the names and coordinates of earlier
    certificates go, and memory stays bounded.
    """

    __slots__ = ("limit", "old")

    def __init__(self, limit: int = 50_000) -> None:
        super().__init__()
        self.old: dict = {}
        self.limit = limit

    def recall(self, key: Any) -> Any:
        """The entry *key* of the older generation (moved into the current one), or None."""
        value = self.old.pop(key, None)
        if value is not None:
            dict.__setitem__(self, key, value)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= self.limit:
            self.old = dict(self)
            self.clear()
        dict.__setitem__(self, key, value)


def _gsub_unicodes(tt: Any, gid: dict[str, int], unicode_of: dict[int, str]) -> None:
    """Give glyphs reached only through GSUB (alternates, ligatures) the text they stand for.

    Single substitutions inherit the source glyph's text, ligatures the concatenated
    text of their components, so that copying text out of the PDF works also where
    HarfBuzz chose a contextual form of a Lao vowel or tone mark.
    """
    if "GSUB" not in tt:
        return
    lookups = tt["GSUB"].table.LookupList.Lookup if tt["GSUB"].table.LookupList else []
    by_name = {g: unicode_of[i] for g, i in gid.items() if i in unicode_of}
    for _ in range(3):  # substitutions of substitutions
        for lookup in lookups:
            for sub in lookup.SubTable:
                if lookup.LookupType == 7:
                    sub = sub.ExtSubTable
                kind = type(sub).__name__
                if kind == "SingleSubst":
                    for src, dst in sub.mapping.items():
                        if src in by_name and dst not in by_name:
                            by_name[dst] = by_name[src]
                elif kind == "LigatureSubst":
                    for first, ligs in sub.ligatures.items():
                        for lig in ligs:
                            parts = [first, *lig.Component]
                            if lig.LigGlyph not in by_name and all(p in by_name for p in parts):
                                by_name[lig.LigGlyph] = "".join(by_name[p] for p in parts)
                elif kind == "MultipleSubst":
                    for src, seq in sub.mapping.items():
                        if src in by_name and seq and seq[0] not in by_name:
                            by_name[seq[0]] = by_name[src]
    for g, text in by_name.items():
        unicode_of.setdefault(gid[g], text)


def _glyph_ink(tt: Any, order: list[str], scale: float) -> tuple[list[int], list[int]]:
    """Highest and lowest ink of every glyph (``glyf`` bounding boxes; 0, 0 for empty glyphs) [1/1000 em]."""
    top = [0] * len(order)
    bottom = [0] * len(order)
    if "glyf" not in tt:  # CFF outlines: the font's bounding box for every glyph (safe, loose)
        head = tt["head"]
        return [round(head.yMax * scale)] * len(order), [round(head.yMin * scale)] * len(order)
    glyf = tt["glyf"]
    for i, name in enumerate(order):
        g = glyf[name]
        if g.numberOfContours == 0:
            continue
        if not hasattr(g, "yMax"):
            g.recalcBounds(glyf)
        top[i], bottom[i] = round(g.yMax * scale), round(g.yMin * scale)
    return top, bottom


def _split_super(text: str) -> list[tuple[str, str]]:
    if "²" not in text and "³" not in text:
        return [("txt", text)] if text else []
    out: list[tuple[str, str]] = []
    buf = ""
    for ch in text:
        if ch in _SUPERSCRIPTS:
            if buf:
                out.append(("txt", buf))
                buf = ""
            out.append(("sup", _SUPERSCRIPTS[ch]))
        else:
            buf += ch
    if buf:
        out.append(("txt", buf))
    return out


def prepare_fonts(path: str | os.PathLike, *, weights: tuple[float, float] = (400, 700),
                  bold_path: str | os.PathLike | None = None) -> tuple[Font, Font]:
    """Regular and bold :class:`Font` from a (variable or static) TrueType file."""
    path = Path(path)
    base = path.name.split("[")[0].split(".")[0].split("-")[0]
    regular = Font.from_bytes(f"{base}-Regular", _instance_bytes(path, weights[0]))
    bold_src = Path(bold_path) if bold_path else path
    bold = Font.from_bytes(f"{base}-Bold", _instance_bytes(bold_src, weights[1]))
    return regular, bold


# -- document -----------------------------------------------------------------------
def _pdf_string(text: str) -> bytes:
    """A PDF text string: literal if ASCII, else UTF-16BE with BOM in hex."""
    if text.isascii() and text.isprintable():  # the characters 32 to 126
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return f"({esc})".encode("ascii")
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


#: Colour operators by colour (a page sets a few colours many times).
_COLOURS: dict[tuple[Any, str], str] = {}


def _num(v: float) -> str:
    return f"{v:.2f}"


class _Shared:
    """A block of content drawn once per process (:meth:`Page.shared`): its stream object, ready to write."""

    __slots__ = ("body", "glyphs", "missing", "result")

    def __init__(self, body: bytes, glyphs: tuple[set[int], set[int]], missing: frozenset[str], result: Any) -> None:
        self.body = body
        self.glyphs = (frozenset(glyphs[0]), frozenset(glyphs[1]))
        self.missing = missing
        self.result = result


class Page:
    """Content of one page; coordinates in points from the top-left corner."""

    #: Whether what is drawn counts (a page that only measures sets False: no glyphs, no shared blocks).
    draws = True

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.height = A4_PT[1]
        #: Content operators, in drawing order.
        self.ops: list[str] = []
        #: Shared blocks (:meth:`shared`) and where they go: after the first *i* operators.
        self.blocks: list[tuple[int, _Shared]] = []

    def shared(self, key: Any, x: float, y: float, draw: Any) -> Any:
        """Draw the block ``draw(page)`` with its origin at (*x*, *y*) [pt]; return what *draw* returned.

        *draw* draws from the page's origin (top-left corner) and must depend on *key*
        (and the fonts) only, and leave the graphics state as it found it. It runs once
        per process: its operators are compressed once and written byte-for-byte into
        every document that draws the block, as a content stream of its own (a page's
        ``/Contents`` is an array of streams, read as their concatenation: ISO 32000-1,
        7.8.2), moved into place by a translation ``1 0 0 1 x -y cm`` (8.3.4) inside
        ``q``/``Q``. Labels, conditions and the footer's wording are the same on every
        certificate: they are shaped, placed and compressed once, not per file. A
        result depending on the origin must be relative to it (the caller adds *y*).
        """
        cache = self.doc.regular.cache
        k = ("shared", self.doc.bold.name, key)
        block = cache.get(k)
        if block is None:
            block = cache.recall(k)
        if block is None:
            rec = Document(self.doc.regular, self.doc.bold)
            page = rec.add_page()
            result = draw(page)
            data = ("\n".join(page.ops) + "\n").encode("ascii")
            packed = zlib.compress(data, 9)
            body = b"".join([f"<< /Filter /FlateDecode /Length {len(packed)}>>\nstream\n".encode("ascii"), packed,
                             b"\nendstream"])
            block = cache[k] = _Shared(body, rec.glyphs, frozenset(rec.missing), result)
        if self.draws:
            self.doc.glyphs[0].update(block.glyphs[0])
            self.doc.glyphs[1].update(block.glyphs[1])
            if block.missing:
                self.doc.missing.update(block.missing)
            self.ops.append(f"q 1 0 0 1 {x:.2f} {-y:.2f} cm")
            self.blocks.append((len(self.ops), block))
            self.ops.append("Q")
        return block.result

    # graphics
    def line_width(self, w: float) -> None:
        self.ops.append(f"{_num(w)} w")

    def colour(self, stroke: tuple[float, float, float] | None = None,
               fill: tuple[float, float, float] | None = None) -> None:
        if stroke is not None:
            op = _COLOURS.get((stroke, "RG"))
            if op is None:
                op = _COLOURS[(stroke, "RG")] = "{} {} {} RG".format(*(_num(c) for c in stroke))
            self.ops.append(op)
        if fill is not None:
            op = _COLOURS.get((fill, "rg"))
            if op is None:
                op = _COLOURS[(fill, "rg")] = "{} {} {} rg".format(*(_num(c) for c in fill))
            self.ops.append(op)

    def dash(self, on: float = 0, off: float = 0) -> None:
        self.ops.append(f"[{_num(on)} {_num(off)}] 0 d" if on else "[] 0 d")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        h = self.height
        self.ops.append(f"{_num(x1)} {_num(h - y1)} m {_num(x2)} {_num(h - y2)} l S")

    def rect(self, x: float, y: float, w: float, h: float, *, style: str = "S") -> None:
        self.ops.append(f"{_num(x)} {_num(self.height - y - h)} {_num(w)} {_num(h)} re {style}")

    def polygon(self, rings: list[list[tuple[float, float]]], *, style: str = "S") -> None:
        """Closed paths (outer ring and holes: even-odd fill with ``f*``/``B*``)."""
        self._paths(rings, close=True, paint=style)

    def polyline(self, parts: list[list[tuple[float, float]]]) -> None:
        """Open paths, stroked (streams, roads, boundaries)."""
        self._paths(parts, close=False, paint="S")

    def _paths(self, parts: list[list[tuple[float, float]]], *, close: bool, paint: str) -> None:
        """One path operator of subpaths of 2 or more points (page y flipped), painted with *paint*."""
        h = self.height
        out = []
        for part in parts:
            if len(part) < 2:
                continue
            out.append(f"{part[0][0]:.2f} {h - part[0][1]:.2f} m")
            out.extend([f"{x:.2f} {h - y:.2f} l" for x, y in part[1:]])
            if close:
                out.append("h")
        if out:
            self.ops.append(" ".join(out) + f" {paint}")

    def modules(self, x: float, y: float, matrix: Any, size: float) -> None:
        """Paint the dark modules of a 2-D boolean grid (a QR code) in the fill colour.

        One inline image mask (ISO 32000-1, 8.9.7 and 8.9.6.2: 1 bit per module,
        ``/Decode [1 0]`` so that 1 paints, ASCII-hex encoded), scaled so that one
        sample is one module: a few kilobytes, no per-module drawing operators.
        """
        import numpy as np

        grid = np.asarray(matrix, dtype=bool)
        rows, cols = grid.shape
        if not grid.any():
            return
        data = np.packbits(grid, axis=1).tobytes().hex().upper()
        self.ops.append(f"q {cols * size:.4f} 0 0 {rows * size:.4f} {x:.2f} {self.height - y - rows * size:.2f} cm "
                        f"BI /W {cols} /H {rows} /IM true /BPC 1 /D [1 0] /F /AHx ID {data}> EI Q")

    # text
    def text(self, x: float, y: float, text: str, *, size: float, bold: bool = False,
             align: str = "left", width: float | None = None) -> float:
        """Draw one line of *text* with its baseline at *y*; returns its width. [pt]

        The shaped run is drawn from one text matrix at its start, every glyph placed
        relative to it (``Td``), so a run is built once per font, text and size and
        reused wherever it is drawn.
        """
        if not text:
            return 0.0
        font = self.doc.bold if bold else self.doc.regular
        key = ("run", text, size)
        cache = font.cache
        run = cache.get(key)
        if run is None:
            run = cache.recall(key)
            if run is None:
                run = cache[key] = _text_run(font, "F2" if bold else "F1", text, size)
        head, body, total, gids, missing = run
        if missing:
            self.doc.missing.update(missing)
        self.doc.glyphs[bold].update(gids)
        if align != "left" and width is not None:
            x += (width - total) if align == "right" else (width - total) / 2
        self.ops.append(f"{head} 1 0 0 1 {x:.2f} {self.height - y:.2f} Tm {body}")
        return total

    def paragraph(self, x: float, y: float, text: str, *, width: float, size: float, leading: float | None = None,
                  bold: bool = False, gap: float | None = None, first_above: float | None = None) -> float:
        """Draw *text* wrapped to *width* (every word, never cut) below *y*; returns the y below its ink. [pt]

        *y* is the top of the block: the first baseline goes where the first line's
        highest ink (:meth:`Font.extent`) touches *y*; the next baselines
        are at least *leading* apart and far enough that no mark of a line comes
        nearer than *gap* (default :func:`clearance`) to the line above.
        """
        font = self.doc.bold if bold else self.doc.regular
        return self.flow(x, y, wrap(font, text, width=width, size=size), size=size, bold=bold, leading=leading,
                         gap=gap, first_above=first_above)

    def flow(self, x: float, y: float, lines: list[str], *, size: float, bold: bool = False,
             leading: float | None = None, gap: float | None = None, align: str = "left",
             width: float | None = None, first_above: float | None = None) -> float:
        """Draw *lines* one under the other from the top *y*; returns the y below the last line's extent. [pt]

        *leading* (default 1.2 *size*) is the least distance of two baselines.
        Baseline of line *i+1*: :math:`b_{i+1} = b_i + \\max(L, (d_i + a_{i+1})\\,s/1000 + g)`
        with *leading* :math:`L`, the lines' extents below and above the baseline
        :math:`d_i, a_{i+1}` [1/1000 em] (:meth:`Font.extent`), the size :math:`s`
        and the clearance :math:`g`; the first baseline is :math:`y + a_0 s/1000`
        (:math:`a_0` at least *first_above*, to align the first lines of blocks side by side).
        """
        font = self.doc.bold if bold else self.doc.regular
        g = gap if gap is not None else clearance(size)
        leading = size * 1.2 if leading is None else leading
        base = None
        below = 0.0
        for ln in lines:
            above, under = font.extent(ln)
            if base is None:
                base = y + max(above, first_above or 0.0) * size / 1000
            else:
                base += max(leading, (below + above) * size / 1000 + g)
            below = under
            self.text(x, base, ln, size=size, bold=bold, align=align, width=width)
        return y if base is None else base + below * size / 1000


def clearance(size: float) -> float:
    """Least white space kept between the ink of two lines of text at *size* [pt]: a quarter of the size, at least 1 pt.

    Wider than the gap between a Lao letter and the vowel or tone mark over it (0.09 to
    0.15 em in Noto Sans Lao), so that a mark is seen with its own line, never half-way
    to the next; 1 pt is 4 pixels at 300 dpi: lines stay apart in any print or scan.
    """
    return max(1.0, 0.25 * size)


def _text_run(font: Font, tag: str, text: str, size: float
              ) -> tuple[str, str, float, frozenset[int], frozenset[str]]:
    """A shaped line of text as content-stream operators: ``(head, body, width [pt], glyphs, missing)``.

    *head* opens the marked-content span (``/ActualText``: the Unicode text, for
    copying and extraction) and the text object; the caller adds the text matrix of
    the run's origin (left end of the baseline); *body* sets the font and places the
    glyphs relative to the origin (``Td``, positions to 0.001 pt, each move the
    difference of two rounded positions so that nothing accumulates), kerning and
    mark offsets included, and closes the text object and the span. *glyphs* are the
    glyph ids drawn (the document's font subset keeps them), *missing* the characters of
    *text* that the font has no glyph for (drawn as the empty box).
    """
    runs = []
    total = 0.0
    for kind, part in _split_super(text):
        fs = size * 0.6 if kind == "sup" else size
        glyphs = font.shape(part)
        runs.append((fs, size * 0.38 if kind == "sup" else 0.0, glyphs))
        total += sum([g[2] for g in glyphs]) * fs / 1000.0
    head = f"/Span <</ActualText {_pdf_string(text).decode('ascii')}>> BDC BT"
    hexes = font.hexes
    widths = font.widths
    n = len(widths)
    if len(runs) == 1 and runs[0][1] == 0.0 and runs[0][2]:  # one run, no superscript: at their own advances?
        ids, _cls, advs, xos, yos = zip(*runs[0][2], strict=True)  # columns (C loops below, not per glyph)
        if not any(xos) and not any(yos) and max(ids) < n and list(map(widths.__getitem__, ids)) == list(advs):
            body = (f"/{tag} {_num(runs[0][0])} Tf [<" + "".join(map(hexes.__getitem__, ids))
                    + ">] TJ ET EMC")  # what the general case below writes for such a run
            return head, body, total, frozenset(ids), _missing(font, text)
    out: list[str] = []
    line = [0.0, 0.0]  # start of the current text line (Tlm), relative to the origin, rounded

    def move(px: float, py: float) -> str:
        rx, ry = round(px, 3), round(py, 3)
        if rx == line[0] and ry == line[1]:
            return ""
        op = f"{rx - line[0]:.3f} {ry - line[1]:.3f} Td"
        line[0], line[1] = rx, ry
        return op

    pen = 0.0
    for fs, rise, glyphs in runs:
        out.append(f"/{tag} {_num(fs)} Tf")
        arr: list[str] = []  # the current TJ array: glyph strings and adjustments
        cur: list[str] = []  # glyphs of the current string (one hex string for a run of glyphs)
        start = True
        for gid, _cl, adv, xo, yo in glyphs:
            if xo or yo:
                if cur:
                    arr.append("<" + "".join(cur) + ">")
                    cur = []
                if arr:
                    out.append("[" + "".join(arr) + "] TJ")
                    arr = []
                out.append(f"{move(pen + xo * fs / 1000, rise + yo * fs / 1000)} <{hexes[gid]}> Tj".lstrip())
                start = True
            else:
                if start:
                    if cur:
                        arr.append("<" + "".join(cur) + ">")
                        cur = []
                    if arr:
                        out.append("[" + "".join(arr) + "] TJ")
                        arr = []
                    m = move(pen, rise)
                    if m:
                        out.append(m)
                    start = False
                cur.append(hexes[gid])
                w = widths[gid] if gid < n else 0
                if w != adv:
                    arr.append("<" + "".join(cur) + ">" + str(w - adv))
                    cur = []
            pen += adv * fs / 1000
        if cur:
            arr.append("<" + "".join(cur) + ">")
        if arr:
            out.append("[" + "".join(arr) + "] TJ")
    out.append("ET EMC")
    gids = frozenset(g[0] for _fs, _rise, glyphs in runs for g in glyphs)
    return head, " ".join(out), total, gids, _missing(font, text)


def _missing(font: Font, text: str) -> frozenset[str]:
    """The characters of *text* that *font* has no glyph for (spaces aside)."""
    missing = frozenset(text) - font.codepoint_chars
    return frozenset(c for c in missing if not c.isspace()) if missing else missing


#: Lao letters by role (The Unicode Standard 15.0, section 16.2 "Lao", and its character
#: database): consonants (ກ-ຮ, the digraphs ໜ ໝ ໞ ໟ), vowels written before the
#: consonant (ເ ແ ໂ ໃ ໄ, stored first: visual order), and the vowel signs, the subscript
#: ລ and the tone marks that follow the consonant they belong to.
_LAO_CONSONANTS = frozenset("ກຂຄຆງຈຉຊຌຍຎຏຐຑຒຓດຕຖທຘນບປຜຝພຟຠມຢຣລວຨຩສຫຬອຮໜໝໞໟ")
_LAO_PREPOSED = frozenset("ເແໂໃໄ")
_LAO_FOLLOWING = frozenset("ະັາຳິີຶືຸູົຼຽ່້໊໋໌ໍ")
_LAO_SONORANTS = frozenset("ງຍນມຣລວ")  # after a silent ຫ they make one initial (ຫງ ຫຍ ຫນ ຫມ ຫຼ ຫວ)


def lao_breaks(text: str) -> list[int]:
    """Offsets in *text* where a line may break inside Lao script: before a syllable.

    Lao is written without spaces between words (UAX #14 puts it in the complex
    context class SA: breaks need knowledge of the language). A syllable is
    (preposed vowel) initial consonant(s) vowel (final consonant) (tone): N. J.
    Enfield, *A Grammar of Lao* (Mouton de Gruyter, 2007), ch. 2. The rules here
    only allow breaks that this structure makes certain, and miss some others:

    * before a preposed vowel ``ເ ແ ໂ ໃ ໄ`` (it always opens a syllable);
    * before a consonant directly followed by a vowel sign or tone mark (a final
      consonant is never followed by one, so this consonant is an initial), unless
      it is ``ວ`` after a consonant (the cluster ``ກວ ຂວ ຄວ ...``), a sonorant after
      a silent ``ຫ``, or it follows a preposed vowel.

    Returns
    -------
    list of int
        Offsets ``0 < i < len(text)`` (never inside a syllable or between a letter
        and its marks).

    Examples
    --------
    >>> t = "ການນຳໃຊ້ທີ່ດິນ"
    >>> [t[a:b] for a, b in zip([0, *lao_breaks(t)], [*lao_breaks(t), len(t)])]
    ['ການ', 'ນຳ', 'ໃຊ້', 'ທີ່', 'ດິນ']
    """
    out = []
    for i in range(1, len(text)):
        c, prev = text[i], text[i - 1]
        if prev in _LAO_PREPOSED:
            continue
        if c in _LAO_PREPOSED:
            out.append(i)
        elif c in _LAO_CONSONANTS and i + 1 < len(text) and text[i + 1] in _LAO_FOLLOWING:
            if (c == "ວ" and prev in _LAO_CONSONANTS) or (prev == "ຫ" and c in _LAO_SONORANTS):
                continue
            out.append(i)
    return out


def _atoms(text: str) -> list[str]:
    """*text* cut where a line may break: before Lao syllables, and around spaces (a space is its own atom)."""
    cuts = set(lao_breaks(text))
    for i, c in enumerate(text):
        if c == " ":
            cuts.update((i, i + 1))
    cuts.discard(0)
    cuts.discard(len(text))
    bounds = [0, *sorted(cuts), len(text)]
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def wrap(font: Font, text: str, *, width: float, size: float) -> list[str]:
    """Greedy line breaking at spaces and between Lao syllables (:func:`lao_breaks`).

    Every character of *text* is kept (the spaces at a break are dropped); a run
    without any break longer than *width* (a long id) is broken between HarfBuzz
    clusters, never inside a consonant-vowel-tone-mark cluster. ``\\n`` starts a new
    line.
    """
    key = ("wrap", text, width, size)
    hit = font.cache.get(key)
    if hit is None:
        hit = font.cache.recall(key)
    if hit is not None:
        return list(hit)
    out: list[str] = []
    for para in text.split("\n"):
        line = para.strip(" ")
        if font.width(line, size) <= width:  # fits whole (most texts): one shaping, no atoms
            out.append(line)
            continue
        atoms = _atoms(para)
        lines, sums = _greedy(font, atoms, width=width, size=size, exact=False)  # cached atom widths: fast
        if any(w > 0.97 * width and font.width(ln, size) > width + 1e-6  # kerning across atoms (about 1 %)
               for ln, w in zip(lines, sums, strict=True)):
            lines, _ = _greedy(font, atoms, width=width, size=size, exact=True)
        out.extend(lines)
    font.cache[key] = tuple(out)
    return out


def _greedy(font: Font, atoms: list[str], *, width: float, size: float, exact: bool
            ) -> tuple[list[str], list[float]]:
    """Fill lines with *atoms* (first fit); *exact* measures every candidate line, else sums the atoms' widths.

    Returns the lines and their widths as measured [pt].
    """
    out: list[str] = []
    sums: list[float] = []
    line: list[str] = []
    used = 0.0

    def measure(parts: list[str]) -> float:
        return font.width("".join(parts).rstrip(" "), size) if exact else sum(
            font.width(a, size) for a in parts) - (font.width(" ", size) if parts and parts[-1] == " " else 0.0)

    for atom in atoms:
        if atom == " ":
            if line:
                line.append(atom)
                used += font.width(atom, size)
            continue
        w = measure([*line, atom]) if exact else used + font.width(atom, size)
        if w <= width or not line:
            line.append(atom)
            used = w
        else:
            out.append("".join(line).rstrip(" "))
            sums.append(used)
            line, used = [atom], font.width(atom, size)
        if used > width:  # one atom wider than a line (a long id): cut it between clusters
            *full, last = _break_clusters(font, "".join(line), width=width, size=size)
            out.extend(full)
            sums.extend(width for _ in full)
            line, used = [last], font.width(last, size)
    out.append("".join(line).rstrip(" "))
    sums.append(used)
    return out, sums


def _break_clusters(font: Font, word: str, *, width: float, size: float) -> list[str]:
    """*word* cut between HarfBuzz clusters into pieces of at most *width* (one cluster at least).

    The pieces are measured by the advances of the word shaped once (a long id or a
    digest is not shaped again for every prefix).
    """
    glyphs = font.shape(word)
    bounds = sorted({g[1] for g in glyphs} | {len(word)})
    if _split_super(word) != [("txt", word)]:  # superscripts: measured piece by piece
        pieces = []
        start = 0
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            if font.width(word[start:b], size) > width and a > start:
                pieces.append(word[start:a])
                start = a
        pieces.append(word[start:])
        return pieces
    advance: dict[int, int] = {}
    for g in glyphs:
        advance[g[1]] = advance.get(g[1], 0) + g[2]
    pieces = []
    start = 0
    used = 0.0
    for a in bounds[:-1]:
        w = advance.get(a, 0) * size / 1000.0
        if used + w > width and a > start:
            pieces.append(word[start:a])
            start = a
            used = 0.0
        used += w
    pieces.append(word[start:])
    return pieces


#: Streams of at most this many bytes are kept, made once per process (:data:`_SMALL_STREAMS`).
_SMALL_STREAM = 256
#: Short streams as written, by content: each ``Z_FULL_FLUSH`` piece of :class:`_subset.Deflater`
#: is independent of what the compressor saw before, so a repeated stream has the same bytes.
_SMALL_STREAMS: dict[tuple[str, bytes, bool, str], bytes] = {}


class Document:
    """A PDF being built: pages, attachments and metadata; :meth:`to_bytes` writes it."""

    def __init__(self, regular: Font, bold: Font, *, info: dict[str, str] | None = None) -> None:
        self.regular = regular
        self.bold = bold
        self.pages: list[Page] = []
        self.info = dict(info or {})
        self.attachments: list[tuple[str, bytes, str]] = []
        #: Characters drawn that the font has no glyph for (drawn as the empty box).
        self.missing: set[str] = set()
        #: Glyph ids drawn, of the regular [0] and the bold [1] font: the embedded subsets.
        self.glyphs: tuple[set[int], set[int]] = (set(), set())

    def add_page(self) -> Page:
        page = Page(self)
        self.pages.append(page)
        return page

    def attach(self, name: str, data: bytes, *, description: str = "") -> None:
        self.attachments.append((name, data, description))

    def to_bytes(self) -> bytes:
        objs: list[bytes] = []

        def add(body: bytes) -> int:
            objs.append(body)
            return len(objs)

        from landuse.certificates._subset import Deflater  # deferred: a sibling module of the PDF stack

        packer = Deflater(1)  # level 1: 5-8 % larger than 3, a third faster

        def stream(dict_items: str, data: bytes, *, compress: bool = True, extra_len: str = "") -> bytes:
            key = (dict_items, data, compress, extra_len) if len(data) <= _SMALL_STREAM else None
            hit = _SMALL_STREAMS.get(key) if key else None
            if hit is not None:  # a short stream every page repeats (between shared blocks): built once
                return hit
            if compress:
                data = packer.stream(data)
                dict_items += " /Filter /FlateDecode"
            out = (f"<<{dict_items} /Length {len(data)}{extra_len}>>\nstream\n").encode("ascii") + data + b"\nendstream"
            if key:
                if len(_SMALL_STREAMS) >= 4096:
                    _SMALL_STREAMS.clear()
                _SMALL_STREAMS[key] = out
            return out

        catalog = add(b"")  # placeholder, 1
        pages_id = add(b"")  # placeholder, 2
        font_ids: dict[str, int] = {}
        for tag, font, gids in (("F1", self.regular, self.glyphs[0]), ("F2", self.bold, self.glyphs[1])):
            font_ids[tag] = self._add_font(add, stream, font, tag, gids, packer)
        page_ids = []
        resources = "<< /Font << /F1 {} 0 R /F2 {} 0 R >> >>".format(font_ids["F1"], font_ids["F2"])
        shared: dict[int, int] = {}  # shared block -> its object in this file
        for page in self.pages:
            refs = []
            start = 0
            ops = page.ops
            for at, block in page.blocks:
                if at > start:  # each part ends with a newline: the parts concatenate at token boundaries (7.8.2)
                    refs.append(add(stream("", ("\n".join(ops[start:at]) + "\n").encode("ascii"))))
                start = at
                ref = shared.get(id(block))
                if ref is None:
                    ref = shared[id(block)] = add(block.body)
                refs.append(ref)
            if start < len(ops) or not refs:
                refs.append(add(stream("", ("\n".join(ops[start:])).encode("ascii"))))
            contents = f"{refs[0]} 0 R" if len(refs) == 1 else "[" + " ".join(f"{r} 0 R" for r in refs) + "]"
            pid = add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_num(A4_PT[0])} {_num(A4_PT[1])}] "
                      f"/Resources {resources} /Contents {contents} >>".encode("ascii"))
            page_ids.append(pid)
        objs[pages_id - 1] = (f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
                              f"/Count {len(page_ids)} >>").encode("ascii")
        names = b""
        if self.attachments:
            entries = []
            for name, data, desc in sorted(self.attachments):
                ef = add(stream(f" /Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size {len(data)} >>",
                                data))
                fs = add(b"<< /Type /Filespec /F " + _pdf_string(name) + b" /UF " + _pdf_string(name)
                         + b" /Desc " + _pdf_string(desc) + f" /AFRelationship /Data /EF << /F {ef} 0 R >> >>".encode())
                entries.append(_pdf_string(name) + f" {fs} 0 R".encode())
            names = b" /Names << /EmbeddedFiles << /Names [" + b" ".join(entries) + b"] >> >>"
        objs[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R".encode() + names + b" >>"
        info = add(b"<< " + b" ".join(f"/{k} ".encode() + _pdf_string(v) for k, v in sorted(self.info.items()))
                   + b" >>")

        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objs, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        fid = hashlib.md5(bytes(out)).hexdigest().upper()  # noqa: S324 - file identifier, not security
        out += (f"trailer\n<< /Size {len(objs) + 1} /Root {catalog} 0 R /Info {info} 0 R "
                f"/ID [<{fid}> <{fid}>] >>\nstartxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)

    @staticmethod
    def _add_font(add: Any, stream: Any, font: Font, tag: str, gids: set[int], packer: Any) -> int:
        """The objects of *font* with the glyphs *gids* (a subset, :mod:`landuse.certificates._subset`); its id."""
        subset_tag = "LU" + ("AAAA" if tag == "F1" else "BBBB")
        base = f"{subset_tag}+{font.name}"
        key = frozenset(gids)
        cache = font.embeds
        objs = cache.get(key)
        if objs is None:
            objs = cache.recall(key)
        if objs is None:  # the same glyphs (labels only, sheets of one village) give the same bytes: made once
            keep = font.program.closure(gids)
            packed, length = font.program.subset(keep, packer)
            ff = f"<< /Length1 {length} /Filter /FlateDecode /Length {len(packed)}>>\nstream\n".encode("ascii") \
                + packed + b"\nendstream"
            widths = _widths_array([(g, font.widths[g]) for g in keep])
            bfchar = font.bfchar
            tu = stream("", _to_unicode_lines([bfchar[g] for g in keep if g in bfchar]))
            objs = cache[key] = (ff, widths, tu)
        ff_body, w, tu_body = objs
        ff = add(ff_body)
        bbox = " ".join(str(v) for v in font.bbox)
        fd = add((f"<< /Type /FontDescriptor /FontName /{base} /Flags 32 /FontBBox [{bbox}] /ItalicAngle 0 "
                  f"/Ascent {font.ascent} /Descent {font.descent} /CapHeight {font.cap_height} "
                  f"/StemV {120 if tag == 'F2' else 80} /FontFile2 {ff} 0 R >>").encode())
        cid = add((f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} "
                   f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                   f"/FontDescriptor {fd} 0 R /W {w} /CIDToGIDMap /Identity >>").encode())
        tu = add(tu_body)
        return add((f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H "
                    f"/DescendantFonts [{cid} 0 R] /ToUnicode {tu} 0 R >>").encode())


def _widths_array(widths: list[tuple[int, int]]) -> str:
    """The ``/W`` array of glyph ids and widths (sorted by id): one ``first [w w ...]`` per run of consecutive ids."""
    out = []
    run: list[str] = []
    first = prev = -2
    for g, w in widths:
        if g != prev + 1:
            if run:
                out.append(f"{first} [{' '.join(run)}]")
            first, run = g, []
        run.append(str(w))
        prev = g
    if run:
        out.append(f"{first} [{' '.join(run)}]")
    return "[" + " ".join(out) + "]"


def _to_unicode(unicode_of: dict[int, str]) -> bytes:
    """A ``ToUnicode`` CMap (ISO 32000-1, 9.10.3) of glyph ids (2-byte codes) to their text."""
    return _to_unicode_lines([_bfchar(g, u) for g, u in sorted(unicode_of.items())])


def _bfchar(gid: int, text: str) -> str:
    """One ``bfchar`` line of a ``ToUnicode`` CMap: the code of *gid* and its text in UTF-16BE."""
    return f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>"


def _to_unicode_lines(entries: list[str]) -> bytes:
    """A ``ToUnicode`` CMap of ``bfchar`` lines (:func:`_bfchar`, sorted by code), 100 to a block."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    for i in range(0, len(entries), 100):
        chunk = entries[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(chunk)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


# -- reading back -------------------------------------------------------------------
_STARTXREF = re.compile(rb"startxref\n(\d+)\n%%EOF\n\Z")
_TRAILER = re.compile(rb"trailer\n<< /Size (\d+) /Root (\d+) 0 R /Info \d+ 0 R "
                      rb"/ID \[<[0-9A-F]{32}> <[0-9A-F]{32}>\] >>\nstartxref\n")


def read_own_attachment(data: bytes, name: str) -> tuple[bytes, int] | None:
    """The attachment *name* and the page count of a PDF laid out exactly as :meth:`Document.to_bytes` writes it.

    A reader for this module's own files only, about 20 times faster than a general
    PDF parser: one cross-reference table, no incremental update, no encryption, the
    objects where the table says. Anything else (a PDF re-saved or signed by another
    program, a scan, a damaged file) gives None, and the caller reads the file with a
    general parser instead.

    Returns
    -------
    (bytes, int) or None
        The attachment's decompressed bytes and the number of pages.
    """
    try:
        m = _STARTXREF.search(data, max(0, len(data) - 40))
        if m is None:
            return None
        xref = int(m.group(1))
        head = b"xref\n0 "
        if data[xref:xref + len(head)] != head:
            return None
        eol = data.index(b"\n", xref + len(head))
        count = int(data[xref + len(head):eol])
        table = eol + 1
        rows = data[table:table + 20 * count]
        if len(rows) != 20 * count or rows[:20] != b"0000000000 65535 f \n":
            return None
        offsets = [0] * count
        for i in range(1, count):
            row = rows[20 * i:20 * i + 20]
            if row[10:] != b" 00000 n \n":
                return None
            offsets[i] = int(row[:10])
        t = _TRAILER.match(data, table + 20 * count)
        if t is None or int(t.group(1)) != count or t.end() != m.start() + len(b"startxref\n"):
            return None

        def obj(n: int) -> bytes:
            if not 0 < n < count:
                raise ValueError(f"object {n} out of range")
            start = offsets[n]
            tag = f"{n} 0 obj\n".encode()
            if data[start:start + len(tag)] != tag:
                raise ValueError(f"object {n} not at its offset")
            end = data.index(b"\nendobj\n", start)
            return data[start + len(tag):end]

        catalog = obj(int(t.group(2)))
        pages = re.match(rb"<< /Type /Catalog /Pages (\d+) 0 R", catalog)
        entry = re.search(rb" /Names << /EmbeddedFiles << /Names \[(.*)\] >> >> >>\Z", catalog, re.S)
        if pages is None or entry is None:
            return None
        n_pages = re.match(rb"<< /Type /Pages /Kids \[[0-9 R]*\] /Count (\d+) >>\Z", obj(int(pages.group(1))))
        spec_ref = re.search(re.escape(_pdf_string(name)) + rb" (\d+) 0 R", entry.group(1))
        if n_pages is None or spec_ref is None:
            return None
        ef = re.search(rb"/EF << /F (\d+) 0 R >> >>\Z", obj(int(spec_ref.group(1))))
        if ef is None:
            return None
        body = obj(int(ef.group(1)))
        sm = re.match(rb"<< /Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size (\d+) >> "
                      rb"/Filter /FlateDecode /Length (\d+)>>\nstream\n", body)
        if sm is None or len(body) != sm.end() + int(sm.group(2)) + len(b"\nendstream") \
                or not body.endswith(b"\nendstream"):
            return None
        content = zlib.decompress(body[sm.end():sm.end() + int(sm.group(2))])
        if len(content) != int(sm.group(1)):
            return None
        return content, int(n_pages.group(1))
    except (ValueError, zlib.error):
        return None
