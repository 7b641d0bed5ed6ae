"""Labels of the land-use certificates: the Lao/English template and its validation (private).

The bundled template is ``landuse/certificates/data/certificate_labels.toml``; a district
passes its own file to change the wording. Errors name the file, line and key
(:class:`~landuse.errors.RuleError`). Public entry point:
:func:`landuse.certificates.load_labels`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from landuse.errors import DataReadError, RuleError

#: Default labels (Lao/English), validity and conditions.
DEFAULT_LABELS = "certificate_labels.toml"


def _line_of(text: str, key: str) -> int | None:
    pat = re.compile(rf"^\s*(\[+\s*)?{re.escape(key)}\b")
    for i, line in enumerate(text.splitlines(), start=1):
        if pat.search(line):
            return i
    return None


def _rule_error(src: str, text: str, key: str, msg: str, hint: str) -> RuleError:
    line = _line_of(text, key.split(".")[-1])
    return RuleError(msg, source=f"{src}, line {line}" if line else src, column=key, hint=hint)


def _read_toml(path: Path | None) -> tuple[dict, str, str]:
    if path is None:
        text = (Path(__file__).parent / "data" / DEFAULT_LABELS).read_text("utf-8")
        src = DEFAULT_LABELS
    else:
        if not path.is_file():
            raise DataReadError("labels file not found", source=str(path),
                                hint="give the path of a TOML file like landuse/certificates/data/certificate_labels.toml")
        text = path.read_text("utf-8")
        src = str(path)
    try:
        return tomllib.loads(text), text, src
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise RuleError(f"not valid TOML: {exc}", source=f"{src}, line {m.group(1)}" if m else src,
                        hint="check quotes, brackets and '=' on that line") from exc


def load_labels(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read the certificate labels (Lao and English), validity and conditions.

    Parameters
    ----------
    path : path-like, optional
        A TOML file with any of the tables ``[certificate]`` (``validity_years``,
        ``issuer_lo``, ``issuer_en``), ``[labels]`` and ``[land_types]`` (each key a
        table ``{ lo = "...", en = "..." }``) and ``[[conditions]]`` (``lo``,
        ``en``). Keys it leaves out keep the bundled wording; a custom
        ``[[conditions]]`` list replaces the bundled one.

    Returns
    -------
    dict
        ``{"certificate": {...}, "labels": {key: {"lo", "en"}}, "land_types": {...},
        "conditions": [{"lo", "en"}, ...]}``.

    Raises
    ------
    RuleError
        Invalid TOML, an unknown table or key, a label without ``lo``/``en`` text,
        or a validity that is not a whole number of years from 1 to 99; the message
        names the file, line and key.

    Examples
    --------
    >>> labels = load_labels()
    >>> labels["labels"]["area"]["en"], labels["certificate"]["validity_years"]
    ('Area', 3)
    """
    base, _, _ = _read_toml(None)
    if path is None:
        return _check_labels(base, "", DEFAULT_LABELS, base)
    data, text, src = _read_toml(Path(path))
    return _check_labels(data, text, src, base)


def _check_labels(data: dict, text: str, src: str, base: dict) -> dict[str, Any]:
    known = {"certificate", "labels", "land_types", "conditions"}
    for key in data:
        if key not in known:
            raise _rule_error(src, text, key, f"unknown table {key!r}",
                              f"use {', '.join(sorted(known))}")
    out: dict[str, Any] = {"certificate": dict(base.get("certificate", {})),
                           "labels": {k: dict(v) for k, v in base.get("labels", {}).items()},
                           "land_types": {k: dict(v) for k, v in base.get("land_types", {}).items()},
                           "conditions": list(base.get("conditions", []))}
    cert = data.get("certificate", {})
    if not isinstance(cert, dict):
        raise _rule_error(src, text, "certificate", "[certificate] must be a table", "write [certificate]")
    for key, value in cert.items():
        if key not in out["certificate"]:
            raise _rule_error(src, text, f"certificate.{key}", f"unknown key {key!r} in [certificate]",
                              f"use {', '.join(sorted(out['certificate']))}")
        if key == "validity_years":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 99:
                raise _rule_error(src, text, "certificate.validity_years",
                                  f"validity_years must be a whole number of years 1-99, got {value!r}",
                                  "write e.g. validity_years = 3")
        elif not isinstance(value, str):
            raise _rule_error(src, text, f"certificate.{key}", f"{key} must be text", f'write {key} = "..."')
        out["certificate"][key] = value
    for table in ("labels", "land_types"):
        items = data.get(table, {})
        if not isinstance(items, dict):
            raise _rule_error(src, text, table, f"[{table}] must be a table", f"write [{table}]")
        for key, value in items.items():
            if key not in out[table]:
                raise _rule_error(src, text, f"{table}.{key}", f"unknown key {key!r} in [{table}]",
                                  f"use one of {', '.join(sorted(out[table]))}")
            out[table][key] = _check_pair(value, src, text, f"{table}.{key}")
    if "conditions" in data:
        conds = data["conditions"]
        if not isinstance(conds, list) or not conds:
            raise _rule_error(src, text, "conditions", "conditions must be a non-empty [[conditions]] list",
                              'write [[conditions]] with lo = "..." and en = "..."')
        out["conditions"] = [_check_pair(c, src, text, f"conditions[{i + 1}]") for i, c in enumerate(conds)]
    return out


def _check_pair(value: Any, src: str, text: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _rule_error(src, text, key, f"{key} must be a table with lo and en texts",
                          f'write {key.split(".")[-1]} = {{ lo = "...", en = "..." }}')
    extra = set(value) - {"lo", "en"}
    if extra:
        raise _rule_error(src, text, key, f"unknown key(s) {', '.join(sorted(extra))} in {key}",
                          "use lo (Lao) and en (English)")
    for lang in ("lo", "en"):
        v = value.get(lang)
        if not isinstance(v, str) or not v.strip():
            raise _rule_error(src, text, key, f"{key} has no {lang!r} text", f'add {lang} = "..."')
    return {"lo": value["lo"], "en": value["en"]}
