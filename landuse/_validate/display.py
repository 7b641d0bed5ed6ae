"""Rich displays in Jupyter: the HTML of the ``_repr_html_`` methods (shared by every room).

- :func:`figures_html` renders a compact table of labelled figures
  (Lao first, English beside it) for the ``_repr_html_`` methods of :class:`landuse.Raster`
  and of the result objects (allocation, irrigation schemes, plan runs); :func:`thumbnail_uri`
  draws a small greyscale PNG preview of a 2-D array as a ``data:`` URI, of at most
  ``max_px`` pixels a side whatever the array's size. Every text that goes into HTML is
  escaped (:func:`html.escape`): ids and names are hostile.
- :func:`records_html` renders a few rows of a table (Lao header above English).

Progress lines are
:func:`landuse.report_progress` (in ``landuse/__init__.py``).

Examples
--------
>>> import numpy as np
>>> html = figures_html([("ຂະໜາດ", "size", "3 x 4"), ("ຊື່", "name", "<b>x</b>")], title="Raster")
>>> "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
True
>>> thumbnail_uri(np.arange(12.0).reshape(3, 4)).startswith("data:image/png;base64,")
True
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["figures_html", "records_html", "thumbnail_uri"]

_STYLE = ("border-collapse:collapse;font-family:'Noto Sans Lao','Phetsarath OT','Saysettha OT',"
          "sans-serif;font-size:13px")
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top"


# -- HTML ---------------------------------------------------------------------------------
def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def figures_html(rows: Iterable[tuple[str, str, Any]], *, title: str, title_lo: str | None = None,
                 image_uri: str | None = None, note: str | None = None) -> str:
    """A compact HTML table of figures: Lao label, English label, value (all escaped).

    Parameters
    ----------
    rows : iterable of (str, str, object)
        ``(label_lo, label_en, value)``; the value is shown with ``str()``.
    title, title_lo : str
        Caption in English and (first, when given) Lao.
    image_uri : str, optional
        A ``data:`` URI (e.g. from :func:`thumbnail_uri`) shown beside the table;
        anything else is ignored (never a link to the network).
    note : str, optional
        A line of text under the table.

    Returns
    -------
    str
        An HTML fragment (a ``<div>``) with inline styles only.
    """
    caption = f"{_esc(title_lo)} · {_esc(title)}" if title_lo else _esc(title)
    body = "".join(
        f"<tr><th style='{_CELL};font-weight:600'>{_esc(lo)}</th>"
        f"<th style='{_CELL};font-weight:normal'>{_esc(en)}</th>"
        f"<td style='{_CELL}'>{_esc(value)}</td></tr>"
        for lo, en, value in rows)
    table = (f"<table style=\"{_STYLE}\"><caption style='text-align:left;font-weight:600;padding:2px 8px'>"
             f"{caption}</caption><tbody>{body}</tbody></table>")
    img = ""
    if image_uri and image_uri.startswith("data:image/png;base64,"):
        img = (f"<img src=\"{_esc(image_uri)}\" alt=\"preview\" "
               "style='image-rendering:pixelated;border:1px solid #ccc;margin-left:12px;max-width:160px'>")
    foot = f"<div style='font-size:12px;padding:2px 8px'>{_esc(note)}</div>" if note else ""
    return f"<div style='display:flex;align-items:flex-start'><div>{table}{foot}</div>{img}</div>"


def records_html(records: Iterable[dict[str, Any]], columns: Iterable[tuple[str, str, str]], *,
                 max_rows: int = 20) -> str:
    """A small HTML table of *records* (escaped), at most *max_rows* rows and a count of the rest.

    Parameters
    ----------
    records : iterable of dict
        One dict per row.
    columns : iterable of (str, str, str)
        ``(key, label_lo, label_en)``; the header shows Lao above English.
    max_rows : int, default 20
        Rows shown; a last line says how many more there are.
    """
    cols = list(columns)
    rows = list(records)
    head = "".join(f"<th style='{_CELL}'>{_esc(lo)}<br>{_esc(en)}</th>" for _, lo, en in cols)
    body = "".join("<tr>" + "".join(f"<td style='{_CELL}'>{_esc(_fmt(r.get(k, '')))}</td>" for k, _, _ in cols)
                   + "</tr>" for r in rows[:max_rows])
    more = (f"<tr><td colspan='{len(cols)}' style='{_CELL}'>… {len(rows) - max_rows} more · "
            f"ອີກ {len(rows) - max_rows}</td></tr>") if len(rows) > max_rows else ""
    return f"<table style=\"{_STYLE};margin-top:6px\"><thead><tr>{head}</tr></thead><tbody>{body}{more}</tbody></table>"


def _fmt(value: Any) -> str:
    """Numbers to 2 decimals (no thousands separator: years stay 2030), the rest as text."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return "-" if not np.isfinite(value) else f"{value:.2f}"
    return str(value)


def _png(gray: np.ndarray) -> bytes:
    """An 8-bit greyscale PNG of *gray* (uint8, 2-D), deterministic bytes."""
    h, w = gray.shape
    raw = b"".join(b"\x00" + gray[r].tobytes() for r in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def thumbnail_uri(values: np.ndarray, *, valid: np.ndarray | None = None, max_px: int = 128) -> str:
    """A small greyscale PNG preview of a 2-D array, as a ``data:`` URI.

    The array is sampled (every k-th row and column, k = ceil(max(rows, cols) / max_px)),
    so a 4000 x 4000 raster costs no more than a 128 x 128 one; values are stretched
    linearly between the 2nd and 98th percentiles of the valid sampled cells; missing cells
    are white.

    Parameters
    ----------
    values : numpy.ndarray
        2-D array.
    valid : numpy.ndarray of bool, optional
        True where a cell holds data (default: finite cells).
    max_px : int, default 128
        Largest side of the preview. [px]

    Returns
    -------
    str
        ``data:image/png;base64,...``.
    """

    arr = np.asarray(values)
    step = max(1, -(-max(arr.shape) // max(int(max_px), 1)))
    small = arr[::step, ::step].astype("float64")
    ok = np.isfinite(small) if valid is None else (np.asarray(valid)[::step, ::step] & np.isfinite(small))
    gray = np.full(small.shape, 255, np.uint8)
    if ok.any():
        lo, hi = np.percentile(small[ok], [2, 98])
        span = hi - lo if hi > lo else 1.0
        scaled = np.clip((small - lo) / span, 0.0, 1.0)
        gray[ok] = (20 + 215 * scaled[ok]).astype(np.uint8)
    return "data:image/png;base64," + base64.b64encode(_png(gray)).decode("ascii")
