"""Turn a rendered folium page into one self-contained HTML file (private).

folium writes ``<script src>`` and ``<link href>`` tags pointing at CDNs (Leaflet,
jQuery, Bootstrap, Font Awesome, awesome-markers), so a saved map is blank without
internet. :func:`inline_assets` replaces Leaflet by the copy shipped in the installed
``django-js-lib-leaflet`` wheel (JavaScript, CSS, and the CSS images as data URIs) and
drops the libraries a landuse map does not use. Anything else that would reach the
network raises :class:`~landuse.errors.LanduseError` instead of producing a file that
silently fails offline.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from landuse.errors import DataReadError, LanduseError

__all__: list[str] = []

#: Leaflet version shipped by django-js-lib-leaflet and referenced when saving online.
LEAFLET_VERSION = "1.9.4"
LEAFLET_JS_CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS_CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"

# Libraries folium adds by default that a landuse map never needs; a generic folium map
# that does use them (e.g. awesome-markers icons) is refused rather than broken.
_DROPPABLE = {
    "jquery": "jQuery",
    "bootstrap": "Bootstrap",
    "glyphicons": "Bootstrap",
    "fontawesome": "FontAwesome",
    "font-awesome": "FontAwesome",
    "awesome-markers": "AwesomeMarkers",
    "awesome.rotate": "AwesomeMarkers",
}
_USES = {
    "jQuery": re.compile(r"\$\(\s*(?:`|document\b)|jQuery\("),
    "Bootstrap": re.compile(r"data-bs-|\bbootstrap\.[A-Z]"),
    "FontAwesome": re.compile(r"\bfa fa-|\bfa-solid\b|\"prefix\":\s*\"fa\""),
    "AwesomeMarkers": re.compile(r"AwesomeMarkers"),
}

_TAG = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>\s*</script>"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']([^"']+)["'][^>]*/?>""",
    re.IGNORECASE,
)
# Markup that makes the browser fetch something by itself (links in <a> are not fetched).
_EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|link|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*"""
    r"""["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.IGNORECASE,
)


def _leaflet_dir() -> Path:
    try:
        import js_lib_leaflet
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DataReadError(
            "the offline copy of Leaflet is not installed",
            source="django-js-lib-leaflet",
            hint="pip install django-js-lib-leaflet, or save with offline=False",
        ) from exc
    return Path(js_lib_leaflet.__file__).parent / "static" / "js_lib_leaflet"


@functools.lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified JavaScript from the installed wheel (source map comment removed)."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)


@functools.lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's CSS with its images (layers control, default marker) as data URIs."""
    folder = _leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        rel = match.group(1).strip("'\"")
        img = folder / rel
        if not img.is_file():
            return "url(data:,)"
        payload = base64.b64encode(img.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{payload})"

    return re.sub(r"url\(([^)]+\.png)\)", data_uri, css)


@functools.lru_cache(maxsize=1)
def runtime_js() -> str:
    """The landuse map runtime (legend, search box, compact layers)."""
    return resources.files("landuse.maps").joinpath("data/runtime.js").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def runtime_css() -> str:
    """Styles of the landuse map controls."""
    return resources.files("landuse.maps").joinpath("data/runtime.css").read_text(encoding="utf-8")


def script_json(obj: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` block.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (and the
    JavaScript line separators U+2028/U+2029 escaped), so a value such as
    ``</script><script>alert(1)</script>`` cannot end the script block.

    >>> script_json({"name": "</script><b>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def _safe_inline(text: str, tag: str) -> str:
    """Guard an inlined library against containing its own closing tag."""
    return re.sub(rf"</(?={tag})", r"<\\/", text, flags=re.IGNORECASE)


def inline_assets(page: str) -> str:
    """Replace every external script and stylesheet of *page* by inline content.

    Raises
    ------
    LanduseError
        When the page needs an external resource that cannot be inlined.
    """
    dropped: set[str] = set()
    inlined: list[str] = []

    def keep(text: str) -> str:
        inlined.append(text)
        return f"\x00{len(inlined) - 1}\x00"

    def replace(match: re.Match[str]) -> str:
        url = match.group(1) or match.group(2)
        is_script = match.group(1) is not None
        low = url.lower()
        if "leaflet" in low and re.search(r"/leaflet(?:@[\d.]+)?/dist/leaflet(?:-src)?\.(?:js|css)$|"
                                          r"/leaflet(?:\.min)?\.(?:js|css)$", low):
            if is_script:
                return "<script>" + keep(_safe_inline(leaflet_js(), "script")) + "</script>"
            return "<style>" + keep(_safe_inline(leaflet_css(), "style")) + "</style>"
        for key, lib in _DROPPABLE.items():
            if key in low:
                dropped.add(lib)
                return ""
        raise LanduseError(
            f"the map loads {url!r}, which cannot be embedded for offline use",
            source="save_html",
            hint="remove the folium plugin that needs it, or save with offline=False",
        )

    out = _TAG.sub(replace, page)
    for lib in sorted(dropped):
        if _USES[lib].search(out):
            raise LanduseError(
                f"the map uses {lib}, which is not embedded in offline maps",
                source="save_html",
                hint="use landuse.maps.interactive_map layers (circle markers, built-in legend) "
                "instead of folium plugins that need it, or save with offline=False",
            )
    leftover = _EXTERNAL.search(out)
    if leftover:
        start = max(0, leftover.start() - 40)
        raise LanduseError(
            f"the map still references an external resource near {out[start:leftover.end() + 40]!r}",
            source="save_html",
            hint="remove the element that needs it, or save with offline=False",
        )
    return re.sub("\x00(\\d+)\x00", lambda m: inlined[int(m.group(1))], out)


def stable_ids(page: str, ids: list[str]) -> str:
    """Replace folium's random element ids by sequential ones (same map, same bytes)."""
    mapping: dict[str, str] = {}
    for old in ids:
        if old not in mapping:
            mapping[old] = f"{len(mapping) + 1:032x}"
    if not mapping:
        return page
    # ids are 32 hex digits; folium also writes names like layer_control_<id>_layers, where
    # a word boundary would not match, so look for "not followed by another hex digit"
    pattern = re.compile(r"_(" + "|".join(map(re.escape, mapping)) + r")(?![0-9a-f])")
    return pattern.sub(lambda m: "_" + mapping[m.group(1)], page)


def element_ids(element: Any) -> list[str]:
    """The ``_id`` of *element* and all its descendants, in document order."""
    out = [element._id]
    for child in element._children.values():
        out.extend(element_ids(child))
    return out
