"""Plan files that start from field data: the ``[imports]`` table of ``landuse run``.

Instead of ready villages and households layers, a plan may name the boundary walks
and the survey export; ``landuse run`` imports them into the run folder
(``imports/villages.gpkg``, ``imports/households.csv`` and the two reports) before the
checks, so the run's manifest records both the raw field files and what was made of
them::

    [imports]
    walks = "walks"                    # a folder (every .gpx/.kml/.geojson) or a glob
    walk_attributes = "villages.csv"   # optional: source/village_id, name_en, name_lo
    survey = "kobo_export.xlsx"        # Kobo/ODK export or Excel household list
    survey_members = "members.csv"     # optional: ODK Central repeat-group CSV
    survey_mapping = "mapping.toml"    # optional: default the bundled mapping
    snap_m = 15                        # optional walk options (see import_walks)
    simplify_m = 2

``walks`` replaces ``[inputs] villages``, ``survey`` replaces ``[inputs] households``.
"""

from __future__ import annotations

import dataclasses
import glob
from pathlib import Path
from typing import Any

from landuse.errors import DataReadError, RuleError
from landuse.field.survey import read_survey
from landuse.field.walks import import_walks
from landuse.io import read_table, write_table, write_vector

__all__ = ["IMPORT_KEYS", "materialise_imports", "parse_imports"]

#: Keys of the ``[imports]`` table: files, and the numeric walk options.
IMPORT_KEYS = ("walks", "walk_attributes", "survey", "survey_members", "survey_mapping")
_NUMBERS = ("snap_m", "simplify_m", "spike_m", "stop_radius_m", "max_closure_gap_m")
_WALK_SUFFIXES = (".gpx", ".kml", ".geojson", ".json")


def _walk_files(value: str, base: Path, src: str) -> list[Path]:
    p = (base / value)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in _WALK_SUFFIXES)
    else:
        files = sorted(Path(f) for f in glob.glob(str(p)) if Path(f).suffix.lower() in _WALK_SUFFIXES)
    if not files:
        raise DataReadError(f"[imports] walks {value!r} names no .gpx, .kml or .geojson file", source=src,
                            column="walks", hint="give a folder of walk files or a pattern like walks/*.gpx")
    return [f.resolve() for f in files]


def parse_imports(raw: Any, *, base: Path, source: str) -> dict[str, Any]:
    """Validate the ``[imports]`` table of a plan file (paths made absolute).

    Returns
    -------
    dict
        ``walks`` (list of paths), the other file keys (paths) and ``options`` (dict).

    Raises
    ------
    RuleError, DataReadError
        An unknown key, a value of the wrong type, a file that does not exist.
    """
    if not isinstance(raw, dict):
        raise RuleError("[imports] must be a table", source=source, hint="write [imports] on its own line")
    out: dict[str, Any] = {"options": {}}
    for key, value in raw.items():
        if key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise RuleError(f"[imports] {key} must be a non-negative number, got {value!r}", source=source,
                                column=key, hint="write a number of metres")
            out["options"][key] = float(value)
            continue
        if key not in IMPORT_KEYS:
            raise RuleError(f"unknown key {key!r} in [imports]", source=source, column=key,
                            hint=f"use {', '.join(IMPORT_KEYS + _NUMBERS)}")
        if not isinstance(value, str) or not value:
            raise RuleError(f"[imports] {key} must be a file path", source=source, column=key,
                            hint=f'write {key} = "path"')
        if key == "walks":
            out["walks"] = _walk_files(value, base, source)
            continue
        p = (base / value).resolve()
        if not p.is_file():
            raise DataReadError(f"[imports] {key} not found ({p})", source=source, column=key,
                                hint="paths are relative to the plan file's folder")
        out[key] = p
    for key in ("walk_attributes",):
        if key in out and "walks" not in out:
            raise RuleError(f"[imports] {key} needs walks", source=source, column=key, hint="add walks = \"folder\"")
    for key in ("survey_members", "survey_mapping"):
        if key in out and "survey" not in out:
            raise RuleError(f"[imports] {key} needs survey", source=source, column=key,
                            hint='add survey = "export.xlsx"')
    return out


def materialise_imports(plan: Any, folder: str | Path) -> Any:
    """Import a plan's field data into *folder*/imports; return the plan pointing at the results.

    Parameters
    ----------
    plan : landuse.plan.Plan
        A plan with an ``imports`` table (:func:`parse_imports`).
    folder : path-like
        The run's (staging) output folder.

    Returns
    -------
    landuse.plan.Plan
        A new plan whose ``villages``/``households`` inputs are the imported files.
    """
    imp = getattr(plan, "imports", None) or {}
    if not imp:
        return plan
    out = Path(folder) / "imports"
    out.mkdir(parents=True, exist_ok=True)
    inputs = dict(plan.inputs)
    if "walks" in imp:
        attrs = read_table(imp["walk_attributes"], what="village attributes") if "walk_attributes" in imp else None
        res = import_walks(imp["walks"], attributes=attrs, **imp.get("options", {}))
        inputs["villages"] = write_vector(res.villages, out / "villages.gpkg", layer="villages")
        write_table(res.report, out / "walks_report.csv")
    if "survey" in imp:
        survey = read_survey(imp["survey"], mapping=imp.get("survey_mapping"), members_path=imp.get("survey_members"),
                             rules=plan.rules.get("entitlements"))
        inputs["households"] = write_table(survey.households, out / "households.csv")
        write_table(survey.report, out / "survey_report.csv")
    return dataclasses.replace(plan, inputs=inputs)
