"""HTML pieces of the plan reports (private): bilingual headings, sentences and tables.

Lao comes first and English beside it, in the same size and colour. Everything given
as text is HTML-escaped here; only the ``*_html`` arguments are trusted markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote

from landuse._validate.ids import id_filename
from landuse.plan._report_css import css

__all__ = ["bi_heading", "bi_inline", "bi_lines", "household_href", "link", "page", "table"]

Pair = tuple[str, str]


def bi_inline(pair: Pair) -> str:
    """``ລາວ · English`` on one line (escaped)."""
    lo, en = pair
    if not lo or lo == en:
        return f"<span lang='en'>{escape(en)}</span>"
    return f"<span lang='lo'>{escape(lo)}</span><span class='sep'>·</span><span lang='en'>{escape(en)}</span>"


def bi_heading(level: int, pair: Pair, *, id_: str | None = None) -> str:
    """A heading with Lao first and English beside it."""
    anchor = f" id='{escape(id_)}'" if id_ else ""
    return f"<h{level}{anchor}>{bi_inline(pair)}</h{level}>"


def bi_lines(pairs: Iterable[Pair], *, cls: str = "") -> str:
    """Sentences as two columns: Lao on the left, the same in English on the right."""
    extra = f" {cls}" if cls else ""
    return "".join(f"<div class='bi{extra}'><p lang='lo'>{escape(lo)}</p><p lang='en'>{escape(en)}</p></div>"
                   for lo, en in pairs)


def _th(head: Pair | str, numeric: bool) -> str:
    cls = " class='n'" if numeric else ""
    if isinstance(head, tuple):
        lo, en = head
        inner = (f"<span lang='lo'>{escape(lo)}</span><br><span lang='en'>{escape(en)}</span>"
                 if lo and lo != en else f"<span lang='en'>{escape(en)}</span>")
    else:
        inner = escape(head)
    return f"<th{cls}>{inner}</th>"


def table(headers: Sequence[Pair | str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = (),
          cells_html: bool = False, cls: str = "") -> str:
    """A table with bilingual headers; cells are escaped unless *cells_html*.

    Columns listed in *numeric* (0-based) are right-aligned; *cls* is the table's class
    (``wide``: a smaller font for tables of many columns).
    """
    num = set(numeric)
    head = "".join(_th(h, k in num) for k, h in enumerate(headers))
    body = []
    for row in rows:
        tds = "".join(("<td class='n'>" if k in num else "<td>") + (c if cells_html else escape(str(c))) + "</td>"
                      for k, c in enumerate(row))
        body.append(f"<tr>{tds}</tr>")
    if not body:
        return "<p class='note'>—</p>"
    klass = f" class='{escape(cls)}'" if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def link(href: str, text_html: str) -> str:
    """An ``<a>`` with an escaped *href* (already URL-quoted by the caller)."""
    return f"<a href='{escape(href, quote=True)}'>{text_html}</a>"


def household_href(village_id: object, household_id: object) -> str:
    """Link from ``<out>/reports/<village>.html`` to the household's sheet.

    Sheets live at ``<out>/households/<village>/<household>.html`` (file names by
    :func:`landuse._validate.ids.id_filename`), written by the household-sheet step.
    """
    folder = quote(id_filename(village_id), safe="~._-")
    name = quote(id_filename(household_id, ".html"), safe="~._-")
    return f"../households/{folder}/{name}"


def page(title: str, body: str) -> str:
    """A whole HTML page (A4 print stylesheet and Lao font embedded)."""
    return (f"<!DOCTYPE html><html lang='lo'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
            f"<style>{css()}</style></head><body>{body}</body></html>\n")
