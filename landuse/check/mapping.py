"""Mapping files: the headers and values of a planner's own spreadsheets, mapped once.

Real inputs rarely use the contract's names: a household list exported from Excel
says ``Household ID`` where the contract says ``household_id``, and parcels say
``Rice field`` where the vocabulary says ``paddy``. A mapping file (TOML, read with
the one TOML reader :mod:`landuse._validate.toml`) says so once; ``landuse check
--mapping FILE`` and a plan file's ``[inputs] mapping = "mapping.toml"`` apply it
whenever the inputs are read (docs/mapping.md)::

    [columns.households]          # header in the file = contract column
    "Household ID" = "household_id"
    "Village" = "village_id"

    [values.parcels.land_type]    # value in the file = vocabulary value
    "Rice field" = "paddy"

Headers match case-insensitively and with runs of spaces taken as one; values match
case-insensitively with spaces and hyphens taken as underscores (as land types are
read anyway). A table, input, column or target that is not known is a
:class:`~landuse.errors.RuleError` naming the file, the line and the key.

Examples
--------
>>> import pandas as pd
>>> m = parse_mapping('[columns.households]\\n"Household ID" = "household_id"\\n',
...                   source="mapping.toml")
>>> df = m.apply(pd.DataFrame({"Household ID": ["H1"]}), "households")
>>> list(df.columns), df.attrs["mapping_notes"]
(['household_id'], ["renamed 'Household ID' to household_id"])
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landuse import _validate
from landuse._validate.toml import Table, TomlDoc, closest, read_toml_text, table, text
from landuse.errors import SchemaError
from landuse.io import ALIASES, LAND_TYPE_ALIASES, REQUIRED

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["InputMapping", "KNOWN_COLUMNS", "VOCABULARIES", "draft_mapping", "guess_value",
           "parse_mapping", "read_mapping"]

#: Inputs a mapping file may name.
INPUTS = ("villages", "parcels", "households", "histories", "climate")

#: Optional contract columns (docs/data-contracts.md) beyond the required ones and the aliased.
_OPTIONAL = {
    "villages": ("province_en", "province_lo"),
    "parcels": ("area_ha",),
    "households": ("head_name_lo", "spouse_name", "spouse_name_lo", "ethnicity", "landless"),
    "histories": (),
    "climate": ("lat_deg", "elevation_m"),
}

#: The columns a header may be mapped to, per input (docs/data-contracts.md).
KNOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    kind: tuple(dict.fromkeys([*REQUIRED[kind], *ALIASES.get(kind, {}), *_OPTIONAL[kind]]))
    for kind in INPUTS
}

#: Columns whose values may be mapped, with their vocabulary.
VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("parcels", "land_type"): tuple(_validate.LAND_TYPES),
    ("histories", "status"): tuple(_validate.HISTORY_STATUSES),
}

_SCHEMA = Table(
    {
        "columns": table(Table({k: table(Table(other=text())) for k in INPUTS}), default={}),
        "values": table(Table({k: table(Table(other=table(Table(other=text())))) for k in INPUTS}),
                        default={}),
    },
    keys_hint="a mapping file has the tables [columns.<input>] and [values.<input>.<column>] "
    "(docs/mapping.md)",
)


def _fold_header(name: Any) -> str:
    return " ".join(str(name).split()).casefold()


def _fold_value(value: Any) -> str:
    return "_".join(str(value).strip().casefold().replace("-", " ").split())


@dataclass(frozen=True)
class InputMapping:
    """A checked mapping file.

    Attributes
    ----------
    source : str
        The file name, for messages.
    columns : dict
        Input → {header in the file: contract column}.
    values : dict
        Input → column → {value in the file: vocabulary value}.
    """

    source: str
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def apply(self, df: pd.DataFrame, kind: str, *, strict: bool = True) -> pd.DataFrame:
        """Return a copy of *df* (input *kind*) with headers renamed and values mapped.

        What changed is listed in ``attrs["mapping_notes"]`` (headers of the mapping
        not found in *df* too), with ``attrs["mapping_source"]``. A header mapped to a
        column that *df* already has raises :class:`~landuse.errors.SchemaError`, or
        with ``strict=False`` is left alone and listed in ``attrs["mapping_conflicts"]``.
        """
        cols, vals = self.columns.get(kind, {}), self.values.get(kind, {})
        if not cols and not vals:
            return df
        notes: list[str] = []
        conflicts: list[str] = []
        present: dict[str, Any] = {}
        for c in df.columns:
            present.setdefault(_fold_header(c), c)
        rename: dict[Any, str] = {}
        for header, target in cols.items():
            actual = present.get(_fold_header(header))
            if actual is None:
                notes.append(f"header {header!r} is not in the file")
            elif actual != target and target in df.columns:
                why = (f"{self.source}: [columns.{kind}] maps {header!r} to {target!r}, but the "
                       f"{kind} file has a column {target!r} already")
                if strict:
                    raise SchemaError(why, source=self.source, column=target,
                                      hint="keep one of the two columns, or remove the line "
                                      "from the mapping file")
                conflicts.append(why)
            elif actual != target:
                rename[actual] = target
                notes.append(f"renamed {actual!r} to {target}")
        out = df.rename(columns=rename)
        for column, table_ in vals.items():
            if column in out.columns:
                out[column], done = _map_values(out[column], table_)
                notes += [f"{column} {raw!r} to {new!r} ({n} row{'s' if n > 1 else ''})"
                          for (raw, new), n in done.items()]
        out.attrs = {**df.attrs, "mapping_source": self.source, "mapping_notes": notes,
                     "mapping_conflicts": conflicts}
        return out

    def covers(self, kind: str) -> bool:
        """True when the mapping renames or maps anything of input *kind*."""
        return bool(self.columns.get(kind) or self.values.get(kind))


def _map_values(values: pd.Series, table_: Mapping[str, str]) -> tuple[pd.Series, dict]:
    """Map the values of a column (folded matching); return it and the counts of each change."""
    import pandas as pd  # deferred: pandas loads on first use (landuse.io)

    folded = {_fold_value(k): v for k, v in table_.items()}
    done: dict[tuple[str, str], int] = {}
    out = []
    for v in values.to_numpy(dtype=object):
        new = None if v is None or (isinstance(v, float) and v != v) else folded.get(_fold_value(v))
        if new is not None and new != v:
            done[(str(v), new)] = done.get((str(v), new), 0) + 1
            out.append(new)
        else:
            out.append(v)
    return pd.Series(out, index=values.index, dtype=object, name=values.name), done


def parse_mapping(text_: str, *, source: str = "<mapping>") -> InputMapping:
    """Parse and check the TOML text of a mapping file (see :func:`read_mapping`)."""
    doc = TomlDoc.parse(text_, source=source)
    data = doc.check(doc.data, _SCHEMA)
    columns: dict[str, dict[str, str]] = {}
    for kind, headers in data["columns"].items():
        known = KNOWN_COLUMNS[kind]
        seen: dict[str, str] = {}
        for header, target in headers.items():
            where = ("columns", kind, header)
            if target not in known:
                close = closest(target, known)
                raise doc.error(where, f"maps to {target!r}, which is not a column of {kind}",
                                hint=(f"did you mean {close!r}? " if close else "")
                                + f"columns of {kind}: {', '.join(known)}")
            if target in seen:
                raise doc.error(where, f"maps to {target!r}, as {seen[target]!r} does already",
                                hint="map one header of the file to each column")
            seen[target] = header
        columns[kind] = dict(headers)
    values: dict[str, dict[str, dict[str, str]]] = {}
    for kind, by_column in data["values"].items():
        for column, mapping in by_column.items():
            vocab = VOCABULARIES.get((kind, column))
            if vocab is None:
                cols = [f"[values.{k}.{c}]" for k, c in VOCABULARIES]
                raise doc.error(("values", kind, column), f"{kind}.{column} has no vocabulary to "
                                "map values to", is_table=True,
                                hint=f"value mappings exist for {', '.join(cols)}")
            for raw, target in mapping.items():
                if target not in vocab:
                    close = closest(target, vocab)
                    raise doc.error(("values", kind, column, raw),
                                    f"maps to {target!r}, which is not a {column} value",
                                    hint=(f"did you mean {close!r}? " if close else "")
                                    + f"{column} values: {', '.join(vocab)}")
            values.setdefault(kind, {})[column] = dict(mapping)
    return InputMapping(source=source, columns=columns, values=values)


def read_mapping(path: str | os.PathLike) -> InputMapping:
    """Read and check a mapping file.

    Parameters
    ----------
    path : path-like
        The TOML file: ``[columns.<input>]`` tables of ``"header" = "column"`` and
        ``[values.<input>.<column>]`` tables of ``"value" = "vocabulary value"``;
        inputs are ``villages``, ``parcels``, ``households``, ``histories``,
        ``climate`` (docs/mapping.md).

    Returns
    -------
    InputMapping

    Raises
    ------
    DataReadError
        The file does not exist or is not UTF-8.
    RuleError
        A syntax error, an unknown table or key, a target that is not a known column
        (:data:`KNOWN_COLUMNS`) or vocabulary value (:data:`VOCABULARIES`), or two
        headers mapped to one column; the message names the file, the line and the key.
    """
    p = Path(path)
    return parse_mapping(read_toml_text(p, what="mapping file", hint="check the path of the "
                                        "mapping file"), source=str(p))


# -- drafting a mapping from findings -------------------------------------------------------
def _toml_key(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _guess_header(kind: str, column: str, headers: list[str]) -> str | None:
    """The header of the file that most probably holds the contract *column* of *kind*."""
    folded = {"_".join(_fold_header(h).replace("-", " ").split()): h for h in headers}
    names = [column, *ALIASES.get(kind, {}).get(column, ())]
    for name in names:
        hit = difflib.get_close_matches(name, list(folded), n=1, cutoff=0.75)
        if hit:
            return folded[hit[0]]
    return None


#: Spellings of history statuses the reader accepts (landuse.io.read_histories).
_STATUS_SPELLINGS = {"cropped": "cultivated", "crop": "cultivated", "forest": "other"}


def guess_value(value: str, vocab: tuple[str, ...]) -> str | None:
    """The vocabulary value closest to *value*, through the accepted spellings
    (:func:`difflib.get_close_matches`, cutoff 0.75, on the whole value then on each word);
    None when nothing is close.

    >>> guess_value("Rice field", ("paddy", "upland", "permanent")), guess_value("Orchad", ("paddy", "permanent"))
    ('paddy', 'permanent')
    """
    key = _fold_value(value)
    spellings = {**LAND_TYPE_ALIASES, **_STATUS_SPELLINGS}
    words = {**{v: v for v in vocab}, **{k: t for k, t in spellings.items() if t in vocab}}
    for part in [key, *key.split("_")]:
        hit = difflib.get_close_matches(part, list(words), n=1, cutoff=0.75)
        if hit:
            return words[hit[0]]
    return None


def draft_mapping(findings: pd.DataFrame) -> str:
    """Draft a mapping file (TOML text) from the findings of :func:`~landuse.check.check_files`.

    A missing column (``COLUMN_MISSING``) is mapped from the closest header of the file
    (:func:`difflib.get_close_matches` on the folded names, aliases included); an unknown
    land type or history status from the closest vocabulary value or accepted spelling.
    Guesses are drafts: every line says what it guessed, and values without a close
    match are written as comments to be filled in. Read the draft before using it.
    """
    lines = ["# Drafted by `landuse check --write-mapping` from the findings: check every line.",
             "# Format: docs/mapping.md", ""]
    by_kind: dict[str, list[str]] = {}
    for row in findings[findings["code"] == "COLUMN_MISSING"].itertuples():
        try:
            headers = json.loads(row.value) if row.value else []
        except ValueError:
            headers = []
        guess = _guess_header(str(row.layer), str(row.column), [str(h) for h in headers])
        entry = (f"{_toml_key(guess)} = {_toml_key(str(row.column))}" if guess
                 else f"# \"<header>\" = {_toml_key(str(row.column))}  # no close header: "
                 f"{', '.join(map(str, headers))}")
        by_kind.setdefault(str(row.layer), []).append(entry)
    for kind in sorted(by_kind):
        lines += [f"[columns.{kind}]", *by_kind[kind], ""]
    codes = {"LAND_TYPE_UNKNOWN": ("parcels", "land_type"), "STATUS_UNKNOWN": ("histories", "status")}
    for code, (kind, column) in codes.items():
        raws = [v for v in dict.fromkeys(findings.loc[findings["code"] == code, "value"]) if v]
        if not raws:
            continue
        lines.append(f"[values.{kind}.{column}]")
        vocab = VOCABULARIES[(kind, column)]
        for raw in raws:
            guess = guess_value(str(raw), vocab)
            lines.append(f"{_toml_key(str(raw))} = {_toml_key(guess)}" if guess
                         else f"# {_toml_key(str(raw))} = \"\"  # choose one of {', '.join(vocab)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
