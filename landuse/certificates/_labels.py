"""Labels of the land-use certificates: the Lao/English template and its validation (private).

The bundled template is ``landuse/certificates/data/certificate_labels.toml``; a district
passes its own file to change the wording. Errors name the file, line and key
(:class:`~landuse.errors.RuleError`). Public entry point:
:func:`landuse.certificates.load_labels`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from landuse._validate.toml import (
    Key,
    Table,
    TomlDoc,
    integer,
    read_toml_text,
    table,
    tables,
    text,
)

#: Default labels (Lao/English), validity and conditions.
DEFAULT_LABELS = "certificate_labels.toml"


def _read_toml(path: Path | None) -> TomlDoc:
    if path is None:
        bundled = (Path(__file__).parent / "data" / DEFAULT_LABELS).read_text("utf-8")
        return TomlDoc.parse(bundled, source=DEFAULT_LABELS)
    given = read_toml_text(path, what="labels file",
                           hint="give the path of a TOML file like "
                           "landuse/certificates/data/certificate_labels.toml")
    return TomlDoc.parse(given, source=str(path))


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
    base = _read_toml(None)
    return _check_labels(base if path is None else _read_toml(Path(path)), base.data)


_PAIR = Table({"lo": text(required=True), "en": text(required=True)})


def _schema(base: Mapping[str, Any]) -> Table:
    """The keys a labels file may set: those of the bundled file *base*."""
    def pairs(name: str) -> Key:
        return table(Table({k: table(_PAIR) for k in base.get(name, {})}), default={})

    cert = {k: integer(minimum=1, maximum=99, hint="write e.g. validity_years = 3")
            if k == "validity_years" else text()
            for k in base.get("certificate", {})}
    conditions = tables(_PAIR, min_length=1,
                        hint='write [[conditions]] with lo = "..." and en = "..."')
    return Table({"certificate": table(Table(cert), default={}), "labels": pairs("labels"),
                  "land_types": pairs("land_types"), "conditions": conditions})


def _check_labels(doc: TomlDoc, base: Mapping[str, Any]) -> dict[str, Any]:
    data = doc.check(doc.data, _schema(base))
    out: dict[str, Any] = {"certificate": dict(base.get("certificate", {})),
                           "labels": {k: dict(v) for k, v in base.get("labels", {}).items()},
                           "land_types": {k: dict(v)
                                          for k, v in base.get("land_types", {}).items()},
                           "conditions": list(base.get("conditions", []))}
    out["certificate"].update(data["certificate"])
    for name in ("labels", "land_types"):
        for key, value in data[name].items():
            out[name][key] = _check_pair(doc, value, (name, key))
    if "conditions" in data:
        out["conditions"] = [_check_pair(doc, c, ("conditions", i))
                             for i, c in enumerate(data["conditions"])]
    return out


def _check_pair(doc: TomlDoc, value: dict[str, str], path: tuple) -> dict[str, str]:
    """A checked ``{lo, en}`` pair; neither text may be blank."""
    name = f"{path[0]}[{path[1] + 1}]" if isinstance(path[1], int) else ".".join(path)
    for lang in ("lo", "en"):
        if not value[lang].strip():
            raise doc.error((*path, lang), f"{name} has no {lang!r} text",
                            hint=f'add {lang} = "..."')
    return {"lo": value["lo"], "en": value["en"]}
