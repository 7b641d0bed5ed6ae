"""Group the findings of :mod:`landuse.check` into one row per distinct problem.

Messy real data repeat one problem hundreds of times (800 parcels whose land type is
``Rice field``). :func:`group_findings` folds identical findings — same severity,
code, column and message template (of what was found, of the fix and of the QGIS
fix) — into one row with their count, the layers they concern and a few example
feature ids, so that a person reads each problem once; the full findings
stay available (``check_files(..., grouped=False)``, ``tables/check.csv`` of a run)
and the counts of the groups add up to the number of findings.

A message's *template* is the message with its quoted values and numbers taken out:
``parcels 'A' and 'B' overlap by 12.5 m²`` and ``parcels 'C' and 'D' overlap by
3.0 m²`` share one. In a group's message a slot that is the same in every finding
keeps its value, the others read ``…``. Unknown vocabulary values
(``LAND_TYPE_UNKNOWN``, ``STATUS_UNKNOWN``) group per value, as each needs its own
fix (one line of a mapping file).

Examples
--------
>>> import pandas as pd
>>> findings = pd.DataFrame({
...     "severity": "error", "code": "LAND_TYPE_UNKNOWN", "layer": "parcels",
...     "feature_id": ["P1", "P2", "P3", "P4"], "column": "land_type",
...     "value": ["Rice field"] * 3 + ["Swamp"],
...     "message": [f"land_type {v!r} is not in the vocabulary." for v in
...                 ["Rice field"] * 3 + ["Swamp"]],
...     "fix": None, "fix_qgis": None})
>>> summary = group_findings(findings, examples=2)
>>> summary["count"].tolist(), summary["examples"].tolist()
([3, 1], ['P1, P2, …', 'P4'])
>>> print(summary["message"][0])
land_type 'Rice field' is not in the vocabulary.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from landuse._validate.lazy import lazy_module

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = ["SUMMARY_COLUMNS", "group_findings"]

#: Columns of a grouped summary, in order.
SUMMARY_COLUMNS = ["severity", "code", "layer", "column", "count", "examples", "value", "message",
                   "fix", "fix_qgis"]

#: Codes whose findings group per offending value.
BY_VALUE = frozenset({"LAND_TYPE_UNKNOWN", "STATUS_UNKNOWN"})

#: Quoted values and numbers (1,234.5 or -3) of a message: its slots.
_SLOT = re.compile(
    r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])"
)
_GAP = "…"


def _split(text: Any) -> tuple[str, list[str]]:
    """A text's template (slots as NUL) and its slot values."""
    if text is None or (isinstance(text, float) and text != text):
        return "", []
    text = str(text)
    return _SLOT.sub("\0", text), _SLOT.findall(text)


def _fill(template: str, slots: list[list[str]]) -> str:
    """The template with each slot's value where all findings agree, else '…'."""
    parts = template.split("\0")
    out = [parts[0]]
    for k, part in enumerate(parts[1:]):
        values = {s[k] for s in slots}
        out.append((values.pop() if len(values) == 1 else _GAP) + part)
    return "".join(out)


def _found(message: str, fix: Any) -> str:
    """The 'what was found' part of a message (without ' Fix: ...')."""
    if isinstance(fix, str) and fix and message.endswith(f" Fix: {fix}"):
        return message[: -len(f" Fix: {fix}")]
    return message


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and v != v) else v


def group_findings(findings: pd.DataFrame, *, examples: int = 3) -> pd.DataFrame:
    """One row per distinct problem of a findings table, with its count and examples.

    Parameters
    ----------
    findings : pandas.DataFrame
        Findings of :func:`~landuse.check.check_files` or
        :func:`~landuse.check.check_inputs` (columns ``severity``, ``code``, ``layer``,
        ``feature_id``, ``message``; ``column``, ``value``, ``fix`` and ``fix_qgis``
        when present).
    examples : int, default 3
        Feature ids listed per group.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`: ``layer`` (the layers concerned, comma
        separated, in order of appearance), ``count`` findings (their sum is
        ``len(findings)``), ``examples`` (the first distinct feature ids, ``…`` when
        there are more), ``value`` (the offending value when all share one),
        ``message`` (what was found, without the fix), ``fix`` and ``fix_qgis``, in
        the order of each group's first finding.
    """
    if examples < 0:
        raise ValueError("examples must be >= 0")
    groups: dict[tuple, dict[str, Any]] = {}
    for row in findings.to_dict("records"):
        fix, qgis = _none(row.get("fix")), _none(row.get("fix_qgis"))
        texts = [_split(_found(str(row["message"]), fix)), _split(fix), _split(qgis)]
        code, value = row["code"], _none(row.get("value"))
        key = (row["severity"], code, _none(row.get("column")), *(t for t, _ in texts),
               value if code in BY_VALUE else None)
        g = groups.setdefault(key, {"rows": 0, "ids": [], "values": set(), "slots": [[], [], []],
                                    "texts": [t for t, _ in texts], "nulls": [fix is None, qgis is None],
                                    "layers": []})
        g["rows"] += 1
        if row["layer"] not in g["layers"]:
            g["layers"].append(row["layer"])
        fid = _none(row.get("feature_id"))
        if fid is not None and fid not in g["ids"] and len(g["ids"]) <= examples:
            g["ids"].append(fid)
        g["values"].add(value)
        for k, (_, slots) in enumerate(texts):
            g["slots"][k].append(slots)
    out = []
    for key, g in groups.items():
        message, fix, qgis = (_fill(t, s) for t, s in zip(g["texts"], g["slots"], strict=True))
        ids = [str(i) for i in g["ids"][:examples]]
        shown = ", ".join(ids) + (", " + _GAP if len(g["ids"]) > examples else "")
        out.append({
            "severity": key[0], "code": key[1], "layer": ", ".join(map(str, g["layers"])),
            "column": key[2],
            "count": g["rows"], "examples": shown or None,
            "value": next(iter(g["values"])) if len(g["values"]) == 1 else None,
            "message": message, "fix": None if g["nulls"][0] else fix,
            "fix_qgis": None if g["nulls"][1] else qgis,
        })
    df = pd.DataFrame(out, columns=SUMMARY_COLUMNS).astype(object)
    df["count"] = df["count"].astype(int)
    return df
