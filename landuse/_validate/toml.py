"""One reader for the TOML files of ``landuse``: parse, check against a schema, name the line.

The zoning rules, the entitlement rules, the plan files, the scheme files and the
certificate labels are TOML with units in their keys. Each consumer declares the keys
it accepts as a small :class:`Table` of :class:`Key` specs (built with :func:`number`,
:func:`integer`, :func:`text`, :func:`flag`, :func:`array`, :func:`table`,
:func:`tables`, :func:`anything`) next to its code, and keeps only its domain rules
(e.g. that zoning thresholds form an interval). This module does the rest the same
way for every file:

* parsing with :mod:`tomllib`; a syntax error names the line;
* types (a number is never a boolean; whole numbers may be written ``3.0``), ranges,
  enumerations, required keys, nested tables and arrays of tables;
* unknown keys, with a did-you-mean from :func:`difflib.get_close_matches`;
* the line of every key (:func:`key_lines`, arrays of tables included), so that
  each error names the file, the line and the key, and says how to fix it.

Errors are :class:`~landuse.errors.RuleError` (or the class given) reading
``"<file>, line <n>: key '<key>' in [<table>]: <what>. Fix: <how>"``; they carry
``line``, ``key`` and ``path`` attributes.

Examples
--------
>>> spec = Table({"min_patch_ha": number(minimum=0.0, default=0.5),
...               "window_cells": integer(minimum=1, required=True)})
>>> doc = TomlDoc.parse("[zoning]\\nwindow_cells = 3\\n", source="rules.toml")
>>> doc.check(doc.data["zoning"], spec, ("zoning",))
{'window_cells': 3, 'min_patch_ha': 0.5}
>>> doc = TomlDoc.parse("[zoning]\\nwindow_cels = 3\\n", source="rules.toml")
>>> try:
...     doc.check(doc.data["zoning"], spec, ("zoning",))
... except RuleError as err:
...     print(err)
rules.toml, line 2: key 'window_cels' in [zoning]: unknown key.
Fix: did you mean 'window_cells'? valid keys: min_patch_ha, window_cells
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landuse.errors import DataReadError, LanduseError, RuleError

__all__ = [
    "ABSENT",
    "Key",
    "Table",
    "TomlDoc",
    "anything",
    "array",
    "closest",
    "date",
    "flag",
    "integer",
    "key_lines",
    "number",
    "read_toml_text",
    "table",
    "table_name",
    "tables",
    "text",
]


class _Absent:
    """Marker of a key without a default: absent in the file, absent in the result."""

    def __repr__(self) -> str:
        return "ABSENT"


#: Default of optional keys that stay out of the checked mapping when the file omits them.
ABSENT: Any = _Absent()

_KINDS = ("number", "integer", "text", "flag", "date", "array", "table", "tables", "any")
_NOUNS = {"number": "numbers", "integer": "whole numbers", "text": "text values",
          "flag": "true/false values", "date": "dates", "any": "values"}
_EXAMPLE = {"number": "<number>", "integer": "<whole number>", "text": '"..."', "flag": "true",
            "date": "2026-01-15", "array": "[...]", "any": "..."}


@dataclass(frozen=True)
class Key:
    """Spec of one key: its kind, whether it is required, its default, range and choices.

    Build it with :func:`number`, :func:`integer`, :func:`text`, :func:`flag`,
    :func:`array`, :func:`table`, :func:`tables` or :func:`anything`. Ranges are
    inclusive; ``choices`` lists the allowed values (of the items, for an array).
    """

    kind: str
    required: bool = False
    default: Any = ABSENT
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    item: Key | None = None
    length: int | None = None
    min_length: int = 0
    schema: Table | None = None
    allow_inf: bool = False
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown key kind {self.kind!r}; use one of {', '.join(_KINDS)}")


@dataclass(frozen=True)
class Table:
    """Spec of one table: its keys, and how keys it does not list are treated.

    Parameters
    ----------
    keys : mapping
        Key name -> :class:`Key`, in the order of the documentation.
    other : Key, optional
        Spec of every key not in *keys* (tables keyed by a code, such as
        ``[zones.<CODE>]``); without it, such keys are errors (with a did-you-mean).
    keys_hint : str, optional
        What to say instead of listing the valid keys when a key is unknown.
    id_key : str, optional
        A key whose value names the table in its errors (``feature 'S1'``).
    """

    keys: Mapping[str, Key] = field(default_factory=dict)
    other: Key | None = None
    keys_hint: str | None = None
    id_key: str | None = None


def number(*, required: bool = False, default: Any = ABSENT, minimum: float | None = None,
           maximum: float | None = None, allow_inf: bool = False, hint: str | None = None) -> Key:
    """A number (int or float in the file, a float in the result), finite unless *allow_inf*."""
    return Key("number", required, default, minimum, maximum, allow_inf=allow_inf, hint=hint)


def integer(*, required: bool = False, default: Any = ABSENT, minimum: float | None = None,
            maximum: float | None = None, hint: str | None = None) -> Key:
    """A whole number (``3`` or ``3.0`` in the file, an int in the result)."""
    return Key("integer", required, default, minimum, maximum, hint=hint)


def text(*, required: bool = False, default: Any = ABSENT,
         choices: Iterable[str] | None = None, hint: str | None = None) -> Key:
    """A string, optionally one of *choices*."""
    return Key("text", required, default, choices=None if choices is None else tuple(choices),
               hint=hint)


def flag(*, required: bool = False, default: Any = ABSENT, hint: str | None = None) -> Key:
    """A boolean (``true`` or ``false``)."""
    return Key("flag", required, default, hint=hint)


def date(*, required: bool = False, default: Any = ABSENT, hint: str | None = None) -> Key:
    """A date: a TOML date (``2026-01-15``) or ISO text (``"2026-01-15"``); a date as result."""
    return Key("date", required, default, hint=hint)


def anything(*, required: bool = False, default: Any = ABSENT, hint: str | None = None) -> Key:
    """Any value, left to the consumer's domain check (e.g. a date or a time zone)."""
    return Key("any", required, default, hint=hint)


def array(item: Key, *, required: bool = False, default: Any = ABSENT, length: int | None = None,
          min_length: int = 0, hint: str | None = None) -> Key:
    """A list of values each matching *item* (a list in the result)."""
    return Key("array", required, default, item=item, length=length, min_length=min_length,
               choices=item.choices, hint=hint)


def table(schema: Table, *, required: bool = False, default: Any = ABSENT) -> Key:
    """A nested table (``[a.b]`` or an inline table) checked against *schema*."""
    return Key("table", required, default, schema=schema)


def tables(schema: Table, *, required: bool = False, default: Any = ABSENT,
           min_length: int = 0, hint: str | None = None) -> Key:
    """An array of tables (``[[name]]``), each checked against *schema*."""
    return Key("tables", required, default, schema=schema, min_length=min_length, hint=hint)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to *word* (:func:`difflib.get_close_matches`, cutoff 0.6), or None."""
    hits = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return hits[0] if hits else None


# -- line numbers --------------------------------------------------------------------------
_BARE = r"[A-Za-z0-9_\-]+"
_PART = rf"(?:{_BARE}|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_ARRAY_HEADER = re.compile(rf"^\[\[\s*({_DOTTED})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\[\s*({_DOTTED})\s*\]")
_KEY_VALUE = re.compile(rf"^({_DOTTED})\s*=\s*(.*)$")


def _split_dotted(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_PART, dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _resolve(parts: tuple[str, ...], arrays: dict[tuple, int]) -> tuple:
    """Insert the current element index after every array of tables in *parts*."""
    out: list[Any] = []
    for p in parts:
        out.append(p)
        count = arrays.get(tuple(out))
        if count:
            out.append(count - 1)
    return tuple(out)


def _opens_string(value: str) -> str | None:
    for quote in ('"""', "'''"):
        if value.count(quote) % 2 == 1:
            return quote
    return None


def key_lines(text: str) -> dict[tuple, int]:
    """Map every key path of a TOML text to its 1-based line number.

    A path is a tuple of keys, with the 0-based element index after the name of an
    array of tables: ``("rule", 2, "zone")`` is the key ``zone`` of the third
    ``[[rule]]``; ``("rule", 2)`` is that ``[[rule]]`` header; ``("zones", "PADDY")``
    is the header ``[zones.PADDY]``. Dotted and quoted keys are split; keys inside
    inline tables and multi-line values are not listed (their parent key is).

    Examples
    --------
    >>> lines = key_lines('[a]\\nx = 1\\n[[r]]\\ny = 2\\n[[r]]\\ny = 3\\n[[r.s]]\\nz.w = 4\\n')
    >>> lines[("a", "x")], lines[("r", 1, "y")], lines[("r", 1, "s", 0, "z", "w")]
    (2, 6, 8)
    """
    out: dict[tuple, int] = {}
    path: tuple = ()
    arrays: dict[tuple, int] = {}
    closing: str | None = None
    depth = 0
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if closing is not None:
            if line.count(closing) % 2 == 1:
                closing = None
            continue
        if depth > 0:
            depth += line.count("[") - line.count("]")
            continue
        if not line or line.startswith("#"):
            continue
        m = _ARRAY_HEADER.match(line)
        if m:
            parts = _split_dotted(m.group(1))
            base = (*_resolve(parts[:-1], arrays), parts[-1])
            arrays[base] = arrays.get(base, 0) + 1
            path = (*base, arrays[base] - 1)
            out.setdefault(base, no)
            out.setdefault(path, no)
            continue
        m = _TABLE_HEADER.match(line)
        if m:
            path = _resolve(_split_dotted(m.group(1)), arrays)
            out.setdefault(path, no)
            continue
        m = _KEY_VALUE.match(line)
        if m:
            parts = _split_dotted(m.group(1))
            for i in range(1, len(parts) + 1):
                out.setdefault((*path, *parts[:i]), no)
            value = m.group(2)
            closing = _opens_string(value)
            depth = value.count("[") - value.count("]") if value.startswith("[") else 0
    return out


def table_name(path: tuple) -> str:
    """How a table path reads in messages: ``[a.b]``, or ``[[rule]] number 3``."""
    if not path:
        return ""
    names = ".".join(str(p) for p in path if not isinstance(p, int))
    if isinstance(path[-1], int):
        return f"[[{names}]] number {path[-1] + 1}"
    return f"[{names}]"


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"from {lo:g} to {hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def _syntax_line(exc: tomllib.TOMLDecodeError) -> int | None:
    line = getattr(exc, "lineno", None)  # Python >= 3.14
    if line:
        return int(line)
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def read_toml_text(path: str | os.PathLike, *, what: str = "file",
                   hint: str = "check the path") -> str:
    """The text of a TOML file (UTF-8, a leading BOM dropped).

    Raises
    ------
    DataReadError
        ``"<what> not found"``, not UTF-8 text (with the line), or unreadable.
    """
    p = Path(path)
    if not p.is_file():
        raise DataReadError(f"{what} not found", source=str(p), hint=hint)
    try:
        data = p.read_bytes()
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataReadError(f"the {what} is not UTF-8 text (line {line})", source=str(p),
                            hint="save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)"
                            ) from None
    except OSError as exc:
        raise DataReadError(f"cannot read the {what} ({exc.strerror})", source=str(p),
                            hint="check the path and its permissions") from None


class TomlDoc:
    """A parsed TOML document with the line of each key, its source name and checks.

    Parameters
    ----------
    data : mapping
        The parsed document (from :meth:`parse`, or a mapping given by the caller).
    text : str, optional
        The TOML text, for line numbers; None for a mapping (messages then have no line).
    source : str
        File name used in messages.
    error : type, default RuleError
        The :class:`~landuse.errors.LanduseError` subclass raised.
    """

    def __init__(self, data: Mapping[str, Any], *, text: str | None = None,
                 source: str = "<toml>", error: type[LanduseError] = RuleError) -> None:
        self.data = data
        self.text = text
        self.source = source
        self.error_class = error
        self.lines = key_lines(text) if text else {}

    @classmethod
    def parse(cls, text: str, *, source: str = "<toml>",
              error: type[LanduseError] = RuleError) -> TomlDoc:
        """Parse *text* with :mod:`tomllib`; a syntax error raises *error* naming the line."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = _syntax_line(exc)
            err = error(f"not valid TOML (syntax error): {exc}",
                        source=f"{source}, line {line}" if line else source,
                        hint="check quotes, brackets and '=' on that line "
                        "(https://toml.io/en/v1.0.0)")
            _mark(err, line, None, ())
            raise err from exc
        return cls(data, text=text, source=source, error=error)

    # -- locations -----------------------------------------------------------------------
    def line(self, path: tuple) -> int | None:
        """Line of the key *path*, or of its nearest enclosing table; None if unknown."""
        probe = tuple(path)
        while probe:
            line = self.lines.get(probe)
            if line is not None:
                return line
            probe = probe[:-1]
        return None

    def error(self, path: tuple, message: str, *, hint: str | None = None,
              missing: str | None = None, is_table: bool = False,
              feature_id: object | None = None) -> LanduseError:
        """The error for the key *path* (with *missing*: a key missing from the table *path*).

        The message reads ``"key 'k' in [table]: <message>"`` (``"[table]: ..."`` with
        *is_table*), after the file and the line.
        """
        path = tuple(path)
        line = self.line(path)
        if missing is not None:
            key: str | None = missing
            table = table_name(path)
        elif is_table:
            key = str(path[-1]) if path and not isinstance(path[-1], int) else None
            table = ""
        else:
            key = path[-1] if path and isinstance(path[-1], str) else None
            table = table_name(path[:-1] if key else path)
        if is_table:
            what = "table " + (table_name(path) or "(top level)")
        else:
            what = f"key {_show(key)}" if key else "table"
            if table:
                what += f" in {table}"
        where = f"{self.source}, line {line}" if line else self.source
        err = self.error_class(f"{what}: {message}", source=where, feature_id=feature_id,
                               hint=hint)
        _mark(err, line, key, path)
        return err

    # -- checks --------------------------------------------------------------------------
    def check(self, value: Any, spec: Table, path: tuple = (), *,
              feature_id: object | None = None) -> dict[str, Any]:
        """Check the table *value* at *path* against *spec*; return its checked values.

        Unknown keys come first (with a did-you-mean), then missing required keys,
        then each value in file order. The result holds the keys of the file in file
        order (numbers as float, whole numbers as int, arrays as lists, tables as
        checked dicts), then the defaults of the keys left out (keys without a
        default stay out).
        """
        if not isinstance(value, Mapping):
            raise self.error(path, f"expected a table, found {_show(value)}", is_table=True,
                             feature_id=feature_id, hint="write a table: a [header] with "
                             "key = value lines, or key = { a = 1, b = 2 }")
        if spec.id_key is not None and isinstance(value.get(spec.id_key), (str, int)):
            feature_id = value[spec.id_key]
        for key, v in value.items():
            if key not in spec.keys and spec.other is None:
                raise self._unknown(path, key, v, spec, feature_id)
        for key, ks in spec.keys.items():
            if ks.required and key not in value:
                raise self.error(path, f"required key {key!r} is missing", missing=key,
                                 feature_id=feature_id,
                                 hint=ks.hint or f"add `{key} = {_example(ks)}` to this table")
        out: dict[str, Any] = {}
        for key, v in value.items():
            spec_of_key = spec.keys[key] if key in spec.keys else spec.other
            assert spec_of_key is not None  # unknown keys were reported above
            out[key] = self.value(v, spec_of_key, (*path, key), feature_id=feature_id)
        for key, ks in spec.keys.items():
            if key not in out and ks.default is not ABSENT:
                nested = ks.kind in ("table", "tables")  # a left-out table gets its defaults
                out[key] = self.value(ks.default, ks, (*path, key)) if nested else ks.default
        return out

    def _unknown(self, path: tuple, key: str, value: Any, spec: Table,
                 feature_id: object | None) -> LanduseError:
        close = closest(key, spec.keys)
        valid = spec.keys_hint or f"valid keys: {', '.join(sorted(spec.keys))}"
        hint = (f"did you mean {close!r}? " if close else "") + valid
        array_of_tables = isinstance(value, list) and bool(value) and all(
            isinstance(v, Mapping) for v in value)
        is_table = not path and (isinstance(value, Mapping) or array_of_tables)  # a [section]
        return self.error((*path, key), "unknown table" if is_table else "unknown key", hint=hint,
                          is_table=is_table, feature_id=feature_id)

    def value(self, v: Any, ks: Key, path: tuple, *, feature_id: object | None = None) -> Any:
        """Check one value *v* at *path* against the spec *ks*; return it converted."""
        kind = ks.kind
        if kind in ("number", "integer"):
            return self._number(v, ks, path, feature_id)
        if kind == "text":
            if not isinstance(v, str):
                raise self.error(path, f"expected text, found {_show(v)}", feature_id=feature_id,
                                 hint=ks.hint or 'quote the value: "..."')
            self._choice(v, ks, path, feature_id)
            return v
        if kind == "flag":
            if not isinstance(v, bool):
                raise self.error(path, f"expected true or false, found {_show(v)}",
                                 feature_id=feature_id, hint=ks.hint or "write true or false")
            return v
        if kind == "date":
            return self._date(v, ks, path, feature_id)
        if kind == "array":
            return self._array(v, ks, path, feature_id)
        if kind == "table":
            assert ks.schema is not None
            return self.check(v, ks.schema, path, feature_id=feature_id)
        if kind == "tables":
            return self._tables(v, ks, path, feature_id)
        return v

    def _number(self, v: Any, ks: Key, path: tuple, feature_id: object | None) -> Any:
        whole = ks.kind == "integer"
        noun = "a whole number" if whole else "a number"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(path, f"expected {noun}, found {_show(v)}", feature_id=feature_id,
                             hint=ks.hint or "write a plain number such as 30 or 8.5 "
                             "(no unit, no quotes)")
        if math.isnan(v) or (math.isinf(v) and not ks.allow_inf):
            raise self.error(path, f"expected a finite number, found {_show(v)}",
                             feature_id=feature_id, hint=ks.hint or "write a plain number")
        if whole and math.isfinite(v) and not float(v).is_integer():
            raise self.error(path, f"expected a whole number, found {_show(v)}",
                             feature_id=feature_id,
                             hint=ks.hint or "write a whole number such as 3")
        if not whole and isinstance(v, int) and float(v) != v:
            # a float holds whole numbers exactly only up to 2**53: reading 9007199254740993 as
            # 9007199254740992.0 would change the value without a word
            raise self.error(path, f"the number {v} has more digits than can be held exactly",
                             feature_id=feature_id,
                             hint=ks.hint or "write it with at most 15 significant digits (e.g. 9.007e15)")
        lo, hi = ks.minimum, ks.maximum
        if lo is not None and v < lo:
            msg = f"value {v!r} is negative" if lo == 0 else f"value {v!r} is below {lo:g}"
        elif hi is not None and v > hi:
            msg = f"value {v!r} is above {hi:g}"
        else:
            return int(v) if whole and math.isfinite(v) else float(v)
        raise self.error(path, msg, feature_id=feature_id,
                         hint=ks.hint or f"use a value {_range_text(lo, hi)}")

    def _date(self, v: Any, ks: Key, path: tuple, feature_id: object | None) -> Any:
        if isinstance(v, _dt.date):
            return v
        if isinstance(v, str):
            try:
                return _dt.date.fromisoformat(v)
            except ValueError:
                pass
        raise self.error(path, f"expected a date, found {_show(v)}", feature_id=feature_id,
                         hint=ks.hint or "write it as YYYY-MM-DD")

    def _choice(self, v: Any, ks: Key, path: tuple, feature_id: object | None) -> None:
        if ks.choices is None or v in ks.choices:
            return
        close = closest(str(v), [str(c) for c in ks.choices])
        raise self.error(path, f"unknown value {_show(v)}", feature_id=feature_id,
                         hint=(f"did you mean {close!r}? " if close else "")
                         + f"use one of {', '.join(str(c) for c in ks.choices)}")

    def _array(self, v: Any, ks: Key, path: tuple, feature_id: object | None) -> list[Any]:
        item = ks.item if ks.item is not None else Key("any")
        noun = _NOUNS.get(item.kind, "values")
        if ks.length is not None:
            want = f"expected a list of {ks.length} {noun}"
        elif ks.min_length:
            want = ("expected a non-empty list of " if ks.min_length == 1
                    else f"expected a list of at least {ks.min_length} ") + noun
        else:
            want = f"expected a list of {noun}"
        if not isinstance(v, list) or (ks.length is not None and len(v) != ks.length) \
                or len(v) < ks.min_length:
            raise self.error(path, f"{want}, found {_show(v)}", feature_id=feature_id,
                             hint=ks.hint)
        if not all(_of_kind(x, item.kind) for x in v):
            raise self.error(path, f"{want}, found {_show(v)}", feature_id=feature_id,
                             hint=ks.hint)
        return [self.value(x, item, path, feature_id=feature_id) for x in v]

    def _tables(self, v: Any, ks: Key, path: tuple, feature_id: object | None) -> list[dict]:
        name = ".".join(str(p) for p in path if not isinstance(p, int))
        if not isinstance(v, list) or not all(isinstance(t, Mapping) for t in v) \
                or len(v) < ks.min_length:
            raise self.error(path, f"expected {'one or more ' if ks.min_length else ''}"
                             f"[[{name}]] tables, found {_show(v)}", feature_id=feature_id,
                             hint=ks.hint or f"write each one under a [[{name}]] header")
        assert ks.schema is not None
        return [self.check(t, ks.schema, (*path, i), feature_id=feature_id)
                for i, t in enumerate(v)]


def _show(value: Any, limit: int = 80) -> str:
    """``repr`` of a value from the file, cut to *limit* characters (values are hostile)."""
    text_ = repr(value)
    return text_ if len(text_) <= limit else text_[:limit - 1] + "\u2026"  # an ellipsis


def _of_kind(v: Any, kind: str) -> bool:
    if kind in ("number", "integer"):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "text":
        return isinstance(v, str)
    if kind == "flag":
        return isinstance(v, bool)
    if kind == "date":
        return isinstance(v, (_dt.date, str))
    if kind == "table":
        return isinstance(v, Mapping)
    return kind != "tables" and (kind != "array" or isinstance(v, list))


def _example(ks: Key) -> str:
    if ks.kind == "text" and ks.choices:
        return f'"{ks.choices[0]}"'
    return _EXAMPLE.get(ks.kind, "...")


def _mark(err: LanduseError, line: int | None, key: str | None, path: tuple) -> None:
    err.line = line  # type: ignore[attr-defined]
    err.key = key  # type: ignore[attr-defined]
    err.path = path  # type: ignore[attr-defined]
