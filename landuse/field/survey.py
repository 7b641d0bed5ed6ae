"""Household survey exports (KoboToolbox, ODK) and Excel household lists to the households table.

Mobile survey tools export one table per form and one per repeat group: KoboToolbox
XLSX has a sheet per repeat group linked by ``_index``/``_parent_index`` and headers
carrying their group path (``hh/head_name``); ODK Central CSV uses ``KEY``/``PARENT_KEY``
and ``-`` as the separator. Select-one questions come as codes. A small TOML mapping
file (:func:`load_mapping`; the default fits the example form shipped in
``landuse/field/data/household_survey.xlsx``) names, for every column of the
households table, the headers it may come from. Members' ages (a repeat group, or a
cell such as ``45;41;16``) give ``members`` and ``labour_units`` by the entitlement
rules (:func:`landuse.allocation.quotas.labour_units_from_ages`); hand-made Excel lists
give them directly, with decimal commas and Lao digits accepted.

Every value that cannot be mapped is either an error naming the file, sheet, row and
column (a missing required column, a row without a household id) or a row of the
report (an unknown select code kept as it was, a labour-unit figure replaced by the
one computed from ages); nothing is dropped silently.

References
----------
.. [1] XLSForm specification, https://xlsform.org/en/ (``survey``/``choices`` sheets,
   ``begin_group``/``begin_repeat``).
.. [2] KoboToolbox, *Exporting and downloading your data*,
   https://support.kobotoolbox.org/export_download.html (group separator, one sheet
   per repeat group, ``_index``/``_parent_index``).
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse.errors import DataReadError, LanduseWarning, RuleError, SchemaError
from landuse.io import read_table, unescape_cell

__all__ = ["DEFAULT_MAPPING", "SurveyResult", "load_mapping", "parse_number", "read_survey"]

#: Name of the default mapping file in ``landuse/field/data``.
DEFAULT_MAPPING = "households_mapping.toml"
#: Columns of the households table in output order (optional ones only when found).
_OUT = ("household_id", "village_id", "head_name", "members", "labour_units", "head_name_lo",
        "spouse_name", "spouse_name_lo", "ethnicity", "landless")
_REQUIRED = ("household_id", "village_id", "head_name")
_LAO_DIGITS = str.maketrans("໐໑໒໓໔໕໖໗໘໙", "0123456789")


@dataclass(frozen=True)
class SurveyResult:
    """Households table from a survey export and the report of everything changed.

    Attributes
    ----------
    households : pandas.DataFrame
        The households table (``docs/data-contracts.md``).
    report : pandas.DataFrame
        ``row``, ``household_id``, ``column``, ``severity`` (``warning``/``info``),
        ``message``.
    columns : dict
        Which export header each households column came from.
    """

    households: pd.DataFrame
    report: pd.DataFrame = field(repr=False)
    columns: dict[str, str] = field(default_factory=dict)


def load_mapping(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read a survey mapping file (TOML); ``None`` gives the bundled default.

    Raises
    ------
    RuleError
        When the file is not valid TOML or a section has the wrong shape.
    """
    if path is None:
        text = resources.files("landuse.field").joinpath("data", DEFAULT_MAPPING).read_text(encoding="utf-8")
        src = DEFAULT_MAPPING
    else:
        p = Path(path)
        if not p.is_file():
            raise DataReadError("the mapping file does not exist", source=str(p), hint="check the path")
        text, src = p.read_text(encoding="utf-8"), str(p)
    try:
        m = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"not valid TOML ({exc})", source=src, hint="fix the line named") from exc
    cols = m.get("columns", {})
    if not isinstance(cols, dict) or not all(isinstance(v, (str, list)) for v in cols.values()):
        raise RuleError("[columns] must map each households column to a header or a list of headers",
                        source=src, hint='write e.g. household_id = ["hh_id", "Household No."]')
    unknown = sorted(set(cols) - set(_OUT) - {"ages"})
    if unknown:
        raise RuleError(f"[columns] names unknown households column(s) {unknown}", source=src,
                        hint=f"use only {list(_OUT) + ['ages']}")
    m.setdefault("form", {})
    m.setdefault("members", {})
    m.setdefault("choices", {})
    m["_source"] = src
    return m


def _norm(text: Any) -> str:
    t = unicodedata.normalize("NFC", str(text)).strip().lower()
    t = re.sub(r"[^\w\u0e80-\u0eff]+", "_", t)
    return t.strip("_")


def _as_list(v: Any) -> list[str]:
    return [v] if isinstance(v, str) else [str(x) for x in (v or [])]


def _find(columns: list[str], names: list[str], *, what: str, source: str, required: bool) -> str | None:
    """The header matching one of *names*: full path first, then the last group segment."""
    full: dict[str, str] = {}
    last: dict[str, list[str]] = {}
    for c in columns:
        full.setdefault(_norm(c), c)
        seg = re.split(r"[/:]|(?<=\w)-(?=\w)", str(c))[-1]
        last.setdefault(_norm(seg), []).append(c)
    for n in names:
        if _norm(n) in full:
            return full[_norm(n)]
    for n in names:
        hits = last.get(_norm(n), [])
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise SchemaError(f"headers {hits} all match {n!r} for {what}", source=source, column=what,
                              hint=f"name the full header (e.g. {hits[0]!r}) in [columns] of the mapping file")
    if required:
        shown = ", ".join(repr(c) for c in columns[:25]) + (" ..." if len(columns) > 25 else "")
        raise SchemaError(f"no header matches {what} (looked for {names}); the headers are {shown}",
                          source=source, column=what,
                          hint=f'add the header to the mapping file: [columns] {what} = ["your header"]')
    return None


def parse_number(value: Any) -> float:
    """A number from a spreadsheet cell: decimal comma, Lao digits and spaces accepted.

    Examples
    --------
    >>> parse_number("2,5"), parse_number("໓"), parse_number(" 1 234.5 "), parse_number(7)
    (2.5, 3.0, 1234.5, 7.0)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    t = str(value).translate(_LAO_DIGITS).strip().replace("\u00a0", "").replace(" ", "")
    if t == "":
        return float("nan")
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    elif "," in t and "." in t:
        t = t.replace(",", "")
    return float(t)


def _sheet_names(path: Path) -> list[str]:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return []
    try:
        try:
            from python_calamine import CalamineWorkbook

            return list(CalamineWorkbook.from_path(str(path)).sheet_names)
        except ImportError:
            import openpyxl

            return list(openpyxl.load_workbook(path, read_only=True).sheetnames)
    except Exception as exc:
        raise DataReadError(f"cannot open the workbook ({type(exc).__name__}: {str(exc)[:100]})", source=str(path),
                            hint="save it again as .xlsx") from exc


def _read(path: Path, sheet: Any, what: str) -> pd.DataFrame:
    """A sheet (XLSX, read with calamine when installed: ~10x faster than openpyxl) or a CSV."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_table(path, what=what)
    names = _sheet_names(path)
    if sheet not in (None, "", 0) and sheet not in names:
        raise SchemaError(f"the workbook has no sheet {sheet!r} for {what} (sheets: {names})", source=str(path),
                          hint="name the right sheet in [form] of the mapping file")
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return read_table(path, what=what, sheet=sheet if sheet not in (None, "") else 0)
    try:
        df = pd.read_excel(path, sheet_name=sheet if sheet not in (None, "") else 0, dtype=object, engine="calamine")
    except Exception as exc:
        raise DataReadError(f"cannot read the {what} ({type(exc).__name__}: {str(exc)[:100]})", source=str(path),
                            hint="save it again as .xlsx") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df.map(unescape_cell)


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unicodedata.normalize("NFC", str(v)).strip()


def _member_ages(path: Path, members_path: str | os.PathLike | None, *, sheets: list[str], mapping: dict[str, Any],
                 main: pd.DataFrame, source: str) -> dict[int, list[float]] | None:
    """Ages [years] of the members of each household (by main-table row), or None without a repeat group."""
    m, form, src, cols = mapping, mapping["form"], source, list(main.columns)
    ages: dict[int, list[float]] | None = None
    mem_sheet = form.get("members_sheet") or ""
    members_df = None
    if members_path is not None:
        members_df = _read(Path(members_path), None, "members table")
        msrc = Path(members_path).name
    elif mem_sheet and mem_sheet in sheets:
        members_df = _read(path, mem_sheet, "members repeat group")
        msrc = f"{path.name} sheet {mem_sheet!r}"
    if members_df is not None:
        key = _find(cols, _as_list(form.get("key", ["_index"])), what="key", source=src, required=True)
        pkey = _find(list(members_df.columns), _as_list(form.get("parent_key", ["_parent_index"])),
                     what="parent_key", source=msrc, required=True)
        age_col = _find(list(members_df.columns), _as_list(m["members"].get("age", ["age"])), what="age",
                        source=msrc, required=True)
        keys = {_text(k): i for i, k in enumerate(main[key])}
        ages = {}
        for r, (pk, a) in enumerate(zip(members_df[pkey], members_df[age_col]), start=2):
            i = keys.get(_text(pk))
            if i is None:
                raise SchemaError(f"member row {r} points to {pk!r}, which is not a {key} of the main table",
                                  source=msrc, column=pkey,
                                  hint="export the main table and the repeat group from the same download")
            try:
                val = parse_number(a)
            except ValueError as exc:
                raise SchemaError(f"row {r}: age {a!r} is not a number", source=msrc, column=age_col,
                                  hint="ages are whole years") from exc
            if np.isnan(val):
                raise SchemaError(f"row {r}: a member has no age", source=msrc, column=age_col,
                                  hint="fill in the age (an estimate in years)")
            ages.setdefault(i, []).append(val)
    return ages


def read_survey(path: str | os.PathLike, *, mapping: Any = None, members_path: str | os.PathLike | None = None,
                rules: Any = None) -> SurveyResult:
    """Read a household survey export or household list into the households table.

    Parameters
    ----------
    path : path-like
        XLSX (Kobo export: main sheet plus a sheet per repeat group; or a household
        list) or CSV (the main table).
    mapping : path-like or dict, optional
        The mapping (:func:`load_mapping`); default the bundled one.
    members_path : path-like, optional
        CSV of the members repeat group (ODK Central ``form-members.csv``), when the
        export is CSV.
    rules : optional
        Entitlement rules for labour units (:func:`landuse.allocation.quotas.load_rules`).

    Returns
    -------
    SurveyResult

    Raises
    ------
    SchemaError
        A required column that no header matches, a row without a household id or
        village, duplicate household ids, a number that cannot be read, or no way to
        get members and labour units (neither ages nor the two columns).

    Notes
    -----
    With ages, :math:`members = n` (the number of member rows) and
    :math:`LU = \\sum_i w(a_i)` with the weights of the entitlement rules
    (``domain.md`` §5.3, derived defaults).
    """
    import warnings

    from landuse.allocation.quotas import labour_units_from_ages, load_rules  # deferred: imports numba

    with warnings.catch_warnings():  # only the [labour] section is used here; allocation warns itself
        warnings.simplefilter("ignore", LanduseWarning)
        rules = load_rules(rules)
    path = Path(path)
    m = mapping if isinstance(mapping, dict) and "_source" in mapping else load_mapping(mapping)
    form, colmap, choices = m["form"], m["columns"], m["choices"]
    sheets = _sheet_names(path)
    main_sheet = form.get("main_sheet") or (sheets[0] if sheets else None)
    main = _read(path, main_sheet, "survey export")
    src = f"{path.name}" + (f" sheet {main_sheet!r}" if main_sheet else "")
    cols = list(main.columns)
    found: dict[str, str] = {}
    for target in _OUT + ("ages",):
        names = _as_list(colmap.get(target, [target]))
        hit = _find(cols, names, what=target, source=src, required=target in _REQUIRED)
        if hit is not None:
            found[target] = hit
    report: list[dict[str, Any]] = []

    def note(row: Any, hh: str, column: str, severity: str, message: str) -> None:
        report.append({"row": row, "household_id": hh, "column": column, "severity": severity, "message": message})

    # members from a repeat group (a sheet of the workbook or a second CSV)
    ages = _member_ages(path, members_path, sheets=sheets, mapping=m, main=main, source=src)

    def num(row: int, col: str, v: Any) -> float:
        try:
            return parse_number(v)
        except ValueError as exc:
            raise SchemaError(f"row {row}: {v!r} is not a number", source=src, column=col,
                              hint="write digits, with a dot or a comma for decimals") from exc

    out: dict[str, list[Any]] = {c: [] for c in _OUT}
    records = main.to_dict("records")
    for i in range(len(main)):
        row = i + 2  # spreadsheet row (1 = header)
        rec = records[i]
        hh = _text(rec[found["household_id"]])
        if not hh:
            raise SchemaError(f"row {row} has no household id", source=src, column=found["household_id"],
                              hint="fill it in, or delete the empty row")
        for target in ("village_id", "head_name"):
            if not _text(rec[found[target]]):
                raise SchemaError(f"row {row} (household {hh!r}) has no {target}", source=src,
                                  column=found[target], hint="fill it in the export or the list")
        for target in _OUT:
            if target in ("members", "labour_units") or target not in found:
                continue
            v = _text(rec[found[target]])
            table = choices.get(target)
            if table and v:
                if v in table:
                    v = str(table[v])
                elif v not in {str(x) for x in table.values()}:
                    note(row, hh, target, "warning", f"code {v!r} is not in [choices.{target}]; kept as it is")
            out[target].append(v)
        member_ages = None
        if ages is not None:
            member_ages = ages.get(i, [])
        elif "ages" in found and _text(rec[found["ages"]]):
            try:
                member_ages = [parse_number(a) for a in re.split(r"[;|/\s]+", _text(rec[found["ages"]])) if a]
            except ValueError as exc:
                raise SchemaError(f"row {row} (household {hh!r}): ages {rec[found['ages']]!r} cannot be read",
                                  source=src, column=found["ages"], hint="list ages like 45;41;16;9") from exc
        given_lu = num(row, found["labour_units"], rec[found["labour_units"]]) if "labour_units" in found else np.nan
        given_n = num(row, found["members"], rec[found["members"]]) if "members" in found else np.nan
        if member_ages:
            lu = labour_units_from_ages(member_ages, rules=rules)
            n: float = len(member_ages)
            if np.isfinite(given_n) and given_n != n:
                note(row, hh, "members", "warning", f"the form says {given_n:g} members but lists {n}; {n} used")
            if np.isfinite(given_lu) and abs(given_lu - lu) > 1e-9:
                note(row, hh, "labour_units", "info",
                     f"labour units {given_lu:g} replaced by {lu:g} computed from the members' ages")
        else:
            if not (np.isfinite(given_n) and np.isfinite(given_lu)):
                what = "members" if not np.isfinite(given_n) else "labour_units"
                raise SchemaError(f"row {row} (household {hh!r}): no member ages and no {what}", source=src,
                                  column=found.get(what, what),
                                  hint="add the members repeat group or an ages column, or the members and "
                                       "labour_units columns (name them in the mapping file)")
            n, lu = given_n, given_lu
        out["members"].append(int(n) if float(n).is_integer() else n)
        out["labour_units"].append(float(lu))
    df = pd.DataFrame({c: v for c, v in out.items() if len(v) == len(main)})
    dup = df["household_id"][df["household_id"].duplicated()]
    if not dup.empty:
        raise SchemaError(f"household id {dup.iloc[0]!r} appears more than once", source=src,
                          column=found["household_id"], hint="give every household its own number")
    used = {k: str(v) for k, v in found.items()}
    rep = pd.DataFrame(report, columns=["row", "household_id", "column", "severity", "message"])
    return SurveyResult(households=df, report=rep, columns=used)
