"""The Lao font of certificates and PAdES stamps (private; see :mod:`landuse.certificates`).

Kept below :mod:`landuse.certificates.issue` and :mod:`landuse.certificates._pades` so that
both find the same font without importing each other.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from landuse.errors import LanduseError

__all__ = ["find_lao_font"]

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/noto/NotoSansLao-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansLaoUI-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansLao-Regular.ttf",
)


def find_lao_font() -> Path:
    """Path of a Noto Sans Lao TrueType font.

    Looked for in the ``justmytype-intl-sea`` package, then in Debian's
    ``fonts-noto-core`` folders.

    Raises
    ------
    LanduseError
        When no Lao font is installed (with the install command).
    """
    try:
        pkg = resources.files("justmytype_intl_sea")
        cand = pkg.joinpath("fonts", "ofl", "notosanslao")
        if cand.is_dir():
            for item in sorted(cand.iterdir(), key=lambda p: p.name):
                if item.name.lower().endswith(".ttf"):
                    return Path(str(item))
    except ModuleNotFoundError:
        pass
    for c in _FONT_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    raise LanduseError("no font with Lao glyphs is installed",
                       hint="pip install justmytype-intl-sea (Noto Sans Lao, OFL) or apt install fonts-noto-core")
