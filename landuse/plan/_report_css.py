"""The look of the plan reports (private): A4 print stylesheet and the embedded Lao font.

Reports are read on screen and printed on A4 by district offices. The stylesheet sets
``@page { size: A4 }`` with margins, breaks pages between the main sections, keeps table
rows and figures whole, repeats table headers on each page and lets long words (ids)
wrap so nothing is cut at the printable width (210 - 2 x 15 mm = 180 mm).

Lao is drawn with Noto Sans Lao (SIL Open Font License), embedded as a small WOFF
subset (the Lao block, about 11 KB per weight) so that a report shows Lao correctly on a
computer without a Lao font. Lao and English use the same size and colour.
"""

from __future__ import annotations

import base64
import functools
import io as _io
import logging

__all__ = ["PRINT_WIDTH_MM", "css"]

log = logging.getLogger("landuse.plan")

#: Width of the printable area of an A4 page with the report's margins. [mm]
PRINT_WIDTH_MM = 180.0

#: Noto Sans Lao looks smaller than DejaVu Sans at the same font size: scale its glyphs. [%]
_LAO_SIZE_ADJUST = 112

_LAO_BLOCK = [*range(0x0E80, 0x0F00), 0x25CC, 0x200B]

_CSS = """
@page{size:A4;margin:15mm 15mm 16mm 15mm}
*{box-sizing:border-box}
html{font-size:10.5pt}
body{font-family:"landuse Lao","Noto Sans Lao","Phetsarath OT","Saysettha OT","Noto Sans","DejaVu Sans",
"Liberation Sans",Arial,sans-serif;margin:0 auto;max-width:180mm;color:#1a1a1a;line-height:1.55;
padding:1em 0}
[lang=lo]{line-height:1.75}
h1{font-size:1.6em;margin:0 0 .2em 0;line-height:1.6}
h2{font-size:1.25em;border-bottom:1.5px solid #888;padding-bottom:2px;margin:1.2em 0 .4em 0;
break-after:avoid;page-break-after:avoid}
h3{font-size:1.08em;margin:1em 0 .3em 0;break-after:avoid;page-break-after:avoid}
.sep{color:#888;padding:0 .3em}
.bi{display:grid;grid-template-columns:1fr 1fr;column-gap:1.2em;margin:.25em 0;break-inside:avoid;
page-break-inside:avoid}
.bi>p{margin:0}
p,li{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.4em 0 1em 0;font-size:.88em;max-width:100%;width:100%}
thead{display:table-header-group}
tr,img,figure,.bi,.status{break-inside:avoid;page-break-inside:avoid}
td,th{border:1px solid #bbb;padding:2px 5px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td .id,td:first-child{overflow-wrap:anywhere}
table.wide td:first-child{min-width:6.5em}
th{background:#eee;font-weight:bold}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
table.wide{font-size:.8em}
.status{border:2px solid;padding:.4em .7em;margin:.6em 0;border-radius:4px}
.status.attention{border-color:#b00020;background:#fff3f4}
.status.ok{border-color:#1a7f37;background:#f3fbf5}
.status .flag{font-weight:bold;font-size:1.1em}
.attention .flag{color:#b00020}.ok .flag{color:#1a7f37}
.fail{color:#b00020;font-weight:bold}
.note{color:#444}
figure{margin:.5em 0}
figcaption{font-size:.9em}
img{max-width:100%;height:auto}
nav a,.links a{margin-right:1em;display:inline-block}
section.appendix{break-before:page;page-break-before:always}
section.major{break-before:page;page-break-before:always}
@media print{body{max-width:none;padding:0}details>summary{display:none}
details{display:block}a{color:inherit;text-decoration:none}.screen{display:none}}
"""


@functools.lru_cache(maxsize=1)
def _font_faces() -> str:
    """``@font-face`` rules of Noto Sans Lao (regular and bold), Lao block only, as data URIs."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    from landuse.certificates import find_lao_font  # deferred: the certificates room is heavy

    path = find_lao_font()
    rules = []
    for weight in (400, 700):
        font = TTFont(str(path), recalcTimestamp=False)
        if "fvar" in font:
            axes = {a.axisTag: a for a in font["fvar"].axes}
            loc = {"wght": weight} if "wght" in axes else {}
            if "wdth" in axes:
                loc["wdth"] = 100
            font = instancer.instantiateVariableFont(font, loc)
        opts = subset.Options()
        opts.layout_features = ["*"]
        opts.notdef_outline = True
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=_LAO_BLOCK)
        sub.subset(font)
        font.flavor = "woff"
        buf = _io.BytesIO()
        font.save(buf)
        font.close()
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        rules.append("@font-face{font-family:'landuse Lao';font-style:normal;"
                     f"font-weight:{weight};unicode-range:U+0E80-0EFF,U+25CC,U+200B;size-adjust:{_LAO_SIZE_ADJUST}%;"
                     f"src:url(data:font/woff;base64,{data}) format('woff')}}")
    return "\n".join(rules)


def css() -> str:
    """The reports' stylesheet with the embedded Lao font (same text on every call)."""
    try:
        faces = _font_faces()
    except Exception as exc:  # noqa: BLE001 - without the font the system's Lao font is used
        log.warning("reports: Lao font not embedded (%s); readers need a Lao font installed", exc)
        faces = ""
    return faces + _CSS
