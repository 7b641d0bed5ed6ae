"""Safe identifiers (private): the one place where an id becomes a file name, a link
or a sheet name.

Every id of the inputs (``village_id``, ``parcel_id``, ``household_id``, ``plot_id``,
``scheme_id``) may be typed by anyone, so it is hostile until proven otherwise. An id
is *safe* when it matches :data:`SAFE_ID_PATTERN`:

* 1 to 64 characters from ``A-Z a-z 0-9 . _ -``, starting with a letter or a digit
  (no hidden file ``.x``, no command-line option ``-x``), not ending with ``.``
  (Windows drops it) and without ``..``;
* not a name Windows reserves for devices (``CON``, ``PRN``, ``AUX``, ``NUL``,
  ``COM1``-``COM9``, ``LPT1``-``LPT9``, also with an extension, in any case).

Lao letters are *not* allowed in ids (they are in names: ``name_lo``,
``head_name_lo``): one Lao syllable has several Unicode spellings (``ຳ`` U+0EB3 or
``ໍ`` + ``າ``; tone marks before or after a vowel sign) that look the same but
compare different, so a household typed twice would become two households and a
join between the census and the parcels would silently miss; FAT-formatted USB
sticks and older Windows code pages mangle them in file names; and the Lao
village register codes are digits (``0401015``) anyway.

Ids that are not safe are errors for ``landuse check`` (``ID_UNSAFE``) and make
their village fail in ``landuse run``. The writers do not rely on that: whatever
they are given, :func:`id_filename`, :func:`id_href` and :func:`sheet_name` return
a component that stays inside its folder (an unsafe id is encoded as its cleaned
text plus ``~`` and a hash, which a safe id can never be, so two ids never share a
file).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from landuse.errors import SchemaError

__all__ = [
    "ID_FIX",
    "MAX_ID_LENGTH",
    "SAFE_ID_PATTERN",
    "check_id",
    "id_filename",
    "id_href",
    "is_safe_id",
    "sheet_name",
    "unsafe_reason",
]

#: Longest safe id. [characters]
MAX_ID_LENGTH = 64
#: The pattern of a safe id (plus: no ``..``, no trailing ``.``, no reserved name).
SAFE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_SAFE = re.compile(SAFE_ID_PATTERN)
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_SUFFIX = re.compile(r"^(\.[A-Za-z0-9]{1,10}){0,2}$")
#: The fix named by every error about an unsafe id (the rule of :data:`SAFE_ID_PATTERN` in words).
ID_FIX = (
    "use 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or a "
    "digit (e.g. 0401015 or P-12); keep names in Lao script in the name columns"
)


def unsafe_reason(value: Any) -> str | None:
    """Why *value* is not a safe id, or None when it is.

    >>> unsafe_reason("0401015") is None
    True
    >>> unsafe_reason("../x")
    "contains '/'"
    >>> unsafe_reason("ບ້ານ1")
    "contains the non-ASCII character 'ບ' (ids use A-Z, a-z, 0-9, '.', '_', '-')"
    """
    if value is None or (isinstance(value, float) and value != value):
        return "is empty"
    text = str(value)
    if text == "":
        return "is empty"
    if len(text) > MAX_ID_LENGTH:
        return f"is {len(text)} characters long (at most {MAX_ID_LENGTH})"
    for ch in text:
        if unicodedata.category(ch).startswith("C"):
            return f"contains the control character U+{ord(ch):04X}"
        if ch in "/\\":
            return f"contains {ch!r}"
        if ord(ch) > 127:
            return f"contains the non-ASCII character {ch!r} (ids use A-Z, a-z, 0-9, '.', '_', '-')"
        if not (ch.isalnum() or ch in "._-"):
            return f"contains {ch!r}"
    if ".." in text:
        return "contains '..'"
    if not text[0].isalnum():
        return f"starts with {text[0]!r}"
    if text.endswith("."):
        return "ends with '.'"
    if text.split(".")[0].upper() in _RESERVED:
        return f"is a device name reserved by Windows ({text.split('.')[0]!r})"
    if not _SAFE.match(text):  # pragma: no cover - the rules above cover the pattern
        return "does not match the pattern of a safe id"
    return None


def is_safe_id(value: Any) -> bool:
    """True when *value* (as text) is a safe id (see the module documentation).

    >>> is_safe_id("0401015"), is_safe_id("P-12.a"), is_safe_id(".."), is_safe_id("CON")
    (True, True, False, False)
    """
    return unsafe_reason(value) is None


def check_id(
    value: Any, *, layer: str, column: str, feature_id: Any = None
) -> str:
    """Return *value* as text, or raise :class:`SchemaError` when it is not a safe id.

    >>> check_id("V1", layer="villages", column="village_id")
    'V1'
    >>> check_id("a/b", layer="schemes", column="scheme_id")
    Traceback (most recent call last):
    landuse.errors.SchemaError: schemes, column 'scheme_id': 'a/b' is not a safe id: it contains '/'. Fix: use 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or a digit (e.g. 0401015 or P-12); keep names in Lao script in the name columns
    """
    why = unsafe_reason(value)
    if why is not None:
        raise SchemaError(
            f"{str(value)[:80]!r} is not a safe id: it {why}",
            source=layer,
            feature_id=feature_id,
            column=column,
            hint=ID_FIX,
        )
    return str(value)


def _encoded(text: str) -> str:
    """A file-name component for an unsafe id: cleaned text, ``~`` and a hash of the id."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:40]
    cleaned = re.sub(r"^-", "_", cleaned)  # never a command-line option
    return f"{cleaned}~{digest}"


def id_filename(value: Any, suffix: str = "") -> str:
    """A file name for *value* that stays inside its folder, whatever *value* is.

    A safe id is kept as it is (``0401015`` → ``0401015.html``); anything else is
    encoded as its characters ``A-Z a-z 0-9 _ -`` (others become ``_``, at most 40,
    not starting with ``-``) followed by ``~`` and the first 12 hex digits of the SHA-256 of the id, so the
    result never holds a path separator, ``..``, a control character or a reserved
    device name, is at most 64 characters plus the suffix, and differs for different
    ids.

    Parameters
    ----------
    value : Any
        The id (converted to text).
    suffix : str, default ""
        File extension(s) such as ``".html"`` or ``".tmp.pdf"``.

    Raises
    ------
    ValueError
        For a suffix that is not one or two ``.ext`` parts (a programming error).

    Examples
    --------
    >>> id_filename("0401015", ".html")
    '0401015.html'
    >>> id_filename("../../etc/passwd", ".md")
    '_etc_passwd~3754d6cb3a38.md'
    """
    if not _SUFFIX.match(suffix):
        raise ValueError(f"bad file suffix {suffix!r}")
    text = "" if value is None else str(value)
    stem = text if is_safe_id(text) else _encoded(text)
    return stem + suffix


def id_href(value: Any, suffix: str = ".html") -> str:
    """A relative link to the file :func:`id_filename` names, safe in an HTML attribute.

    The link starts with ``./`` (so it can never be read as a scheme such as
    ``javascript:``) and is percent-encoded; it holds no quote, ``<``, ``>`` or ``&``.

    >>> id_href("0401015")
    './0401015.html'
    >>> id_href("javascript:alert(1)")
    './javascript_alert_1_~d0ee0421cce9.html'
    """
    return "./" + quote(id_filename(value, suffix), safe="~._-")


#: Characters Excel refuses in a sheet name.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def sheet_name(value: Any) -> str:
    """An Excel sheet name for *value*: at most 31 characters, none of ``[]:*?/\\``,
    not starting or ending with an apostrophe, not empty, not ``History``.

    Names may be any text (Lao too); only what Excel refuses is replaced by ``_``.

    >>> sheet_name("households: 2026/01 [draft]")
    'households_ 2026_01 _draft_'
    >>> len(sheet_name("x" * 40))
    31
    """
    text = _SHEET_BAD.sub("_", "" if value is None else str(value))[:31].strip("'")
    if not text or text.lower() == "history":
        text = f"{text}_" if text else "_"
    return text
