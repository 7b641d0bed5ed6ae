"""One command from data to plan: the village pipeline and its scale-out.

A plan file (TOML) names the inputs, the rule files and the options of a district's
run; :func:`run_plan` then runs, for every village, check → terrain → zoning →
allocation → fallow → irrigation, and writes one GeoPackage (one layer per product,
with QGIS styles), an offline HTML map, certificates, CSV/XLSX tables and
self-contained HTML reports per village and for the district.

Villages are independent once the district-wide terrain (slope, streams, parcel
statistics) is known, so they run one by one in-process, or in parallel on a
dask.distributed cluster (``workers=N`` starts a ``LocalCluster``; ``scheduler=ADDRESS``
uses an existing one). A failure in one village is recorded in the run summary and
the other villages' results are kept.

Plan file
---------
Paths are relative to the plan file::

    [plan]
    name = "Oudomxay demo"
    issue_date = "2026-01-15"      # certificates' issue date (fixed: reproducible runs)

    [inputs]                       # villages, parcels, households, dem are required
    villages = "villages.gpkg"
    parcels = "parcels.gpkg"
    households = "households.csv"
    dem = "dem.tif"
    histories = "histories.csv"    # optional
    climate = "climate.csv"        # optional (irrigation needs it)
    schemes = "schemes.toml"       # optional
    forest = "forest.gpkg"         # optional

    [rules]                        # optional; the bundled Lao defaults otherwise
    zoning = "my_zoning.toml"
    entitlements = "my_entitlements.toml"

    [options]
    villages = []                  # a subset of village ids; empty = all
    stream_min_area_km2 = 0.5
    time_limit_s = 60
    mip_gap = 0.005
    keep_existing = false
    certificates = true
    map = true
    population_growth_rate = 0.02  # for the year the sustainable fallow turns critical

    [certificates]                 # optional
    register = "district/register.gpkg"   # the district register (kept apart from runs)
    key_file = "district/xay.pem"  # signing key (landuse keys init); none: UNSIGNED DRAFTs
    timezone = "Asia/Vientiane"
    pades = false                  # also PAdES-sign each PDF (pyHanko)

Examples
--------
>>> from landuse.datasets import get_path
>>> plan = load_plan(get_path("plan"))
>>> sorted(plan.inputs)[:4]
['climate', 'dem', 'forest', 'histories']
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import shutil
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landuse.errors import LanduseError, RuleError
from landuse.plan import _folder as _outputs
from landuse.plan import _run as _plan_run

__all__ = ["Plan", "PlanOptions", "PlanRun", "load_plan", "run_plan"]

log = logging.getLogger(__name__)

_REQUIRED_INPUTS = ("villages", "parcels", "households", "dem")
_OPTIONAL_INPUTS = ("histories", "climate", "schemes", "forest")
_RULES = ("zoning", "entitlements")


@dataclass(frozen=True)
class PlanOptions:
    """Options of a plan run (the ``[options]`` table)."""

    villages: tuple[str, ...] = ()
    stream_min_area_km2: float = 0.5
    time_limit_s: float = 60.0
    mip_gap: float = 0.005
    keep_existing: bool = False
    certificates: bool = True
    map: bool = True
    population_growth_rate: float = 0.02


@dataclass(frozen=True)
class CertificateSettings:
    """The ``[certificates]`` table: district register, signing key, time zone, PAdES."""

    register: Path | None = None
    key_file: Path | None = None
    timezone: str | None = None
    pades: bool = False


@dataclass(frozen=True)
class Plan:
    """A validated plan file.

    Attributes
    ----------
    name : str
        Title used in reports.
    path : pathlib.Path or None
        The plan file.
    inputs : dict
        Input name → absolute path.
    rules : dict
        Rule kind (``zoning``, ``entitlements``) → path, or absent for the defaults.
    issue_date : datetime.date
        Issue date printed on certificates.
    options : PlanOptions
    """

    name: str
    path: Path | None
    inputs: dict[str, Path]
    rules: dict[str, Path]
    issue_date: _dt.date
    options: PlanOptions = field(default_factory=PlanOptions)
    certificate: CertificateSettings = field(default_factory=CertificateSettings)


def _line(text: str, key: str) -> int | None:
    pat = re.compile(rf"^\s*{re.escape(key)}\s*=", re.M)
    m = pat.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _err(src: str, text: str, key: str, msg: str, hint: str) -> RuleError:
    line = _line(text, key)
    where = f"{src}, line {line}" if line else src
    return RuleError(msg, source=where, column=key, hint=hint)


def load_plan(path: str | os.PathLike | None = None, *, text: str | None = None,
              base_dir: str | os.PathLike | None = None) -> Plan:
    """Read and validate a plan file.

    Parameters
    ----------
    path : path-like, optional
        The TOML plan file; relative input paths are resolved against its folder.
    text : str, optional
        The TOML text instead of a file (then ``base_dir`` resolves paths).
    base_dir : path-like, optional
        Folder for relative paths when *text* is given (default: current folder).

    Raises
    ------
    RuleError
        For a syntax error, an unknown table or key, a missing required input or a bad
        option value; the message names the line and the key.
    DataReadError
        When an input file named in the plan does not exist.
    """
    from landuse.errors import DataReadError

    if path is not None:
        path = Path(path)
        if not path.exists():
            raise DataReadError("plan file not found", source=str(path),
                                hint="check the path of the plan file")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[:exc.start].count(b"\n") + 1
            raise DataReadError(f"the plan file is not UTF-8 text (line {line})", source=str(path),
                                hint="save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)") from None
        except OSError as exc:
            raise DataReadError(f"cannot read the plan file ({exc.strerror})", source=str(path),
                                hint="check the path and its permissions") from None
        base = path.parent.resolve()
        src = str(path)
    else:
        if text is None:
            raise RuleError("give a plan file path or its text", hint="load_plan('plan.toml')")
        base = Path(base_dir or ".").resolve()
        src = "<plan>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"invalid TOML: {exc}", source=src,
                        hint="fix the syntax (strings in quotes, one key = value per line)") from exc
    unknown = set(data) - {"plan", "inputs", "rules", "options", "certificates"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"unknown table [{key}]", source=src, column=key,
                        hint="use the tables [plan], [inputs], [rules], [options] and [certificates]")
    cert: dict[str, Any] = {}
    for key, value in data.get("certificates", {}).items():
        if key in ("register", "key_file"):
            if not isinstance(value, str) or not value:
                raise _err(src, text, key, f"{key!r} must be a file path", f'write {key} = "district/file"')
            cert[key] = (base / value).resolve()
        elif key == "timezone":
            from landuse.certificates import timezone_info as _zone

            _zone(str(value))
            cert[key] = str(value)
        elif key == "pades":
            if not isinstance(value, bool):
                raise _err(src, text, key, "'pades' must be true or false", "write true or false")
            cert[key] = value
        else:
            raise _err(src, text, key, f"unknown key {key!r} in [certificates]",
                       "use register, key_file, timezone and pades")
    meta = data.get("plan", {})
    for key in meta:
        if key not in ("name", "issue_date"):
            raise _err(src, text, key, f"unknown key {key!r} in [plan]", "use name and issue_date")
    name = str(meta.get("name", path.stem if path else "plan"))
    raw_date = meta.get("issue_date", "2026-01-15")
    try:
        issue_date = raw_date if isinstance(raw_date, _dt.date) else _dt.date.fromisoformat(str(raw_date))
    except ValueError as exc:
        raise _err(src, text, "issue_date", f"issue_date {raw_date!r} is not a date",
                   "write it as YYYY-MM-DD") from exc

    inputs: dict[str, Path] = {}
    raw_inputs = data.get("inputs", {})
    for key, value in raw_inputs.items():
        if key not in _REQUIRED_INPUTS + _OPTIONAL_INPUTS:
            raise _err(src, text, key, f"unknown input {key!r}",
                       f"use {', '.join(_REQUIRED_INPUTS + _OPTIONAL_INPUTS)}")
        if not isinstance(value, str) or not value:
            raise _err(src, text, key, f"input {key!r} must be a file path", 'write key = "file.gpkg"')
        p = (base / value).resolve()
        if not p.exists():
            raise DataReadError(f"input {key!r} not found ({p})", source=src, column=key,
                                hint="paths are relative to the plan file's folder")
        inputs[key] = p
    for key in _REQUIRED_INPUTS:
        if key not in inputs:
            raise RuleError(f"required input {key!r} missing in [inputs]", source=src, column=key,
                            hint=f'add {key} = "<path>" under [inputs]')

    rules: dict[str, Path] = {}
    for key, value in data.get("rules", {}).items():
        if key not in _RULES:
            raise _err(src, text, key, f"unknown rule kind {key!r}", f"use {', '.join(_RULES)}")
        if value:
            p = (base / str(value)).resolve()
            if not p.exists():
                raise DataReadError(f"rule file {key!r} not found ({p})", source=src, column=key,
                                    hint="paths are relative to the plan file's folder")
            rules[key] = p

    raw_opts = data.get("options", {})
    defaults = PlanOptions()
    opts: dict[str, Any] = {}
    for key, value in raw_opts.items():
        if not hasattr(defaults, key):
            raise _err(src, text, key, f"unknown option {key!r}",
                       f"use {', '.join(PlanOptions.__dataclass_fields__)}")
        want = type(getattr(defaults, key))
        if want is tuple:
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                raise _err(src, text, key, f"option {key!r} must be a list of ids", 'write ["0401001"]')
            value = tuple(str(v) for v in value)
        elif want is bool:
            if not isinstance(value, bool):
                raise _err(src, text, key, f"option {key!r} must be true or false", "write true or false")
        elif want is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise _err(src, text, key, f"option {key!r} must be a non-negative number, got {value!r}",
                           "write a number")
            value = float(value)
        opts[key] = value
    return Plan(name=name, path=path.resolve() if path else None, inputs=inputs, rules=rules,
                issue_date=issue_date, options=PlanOptions(**opts), certificate=CertificateSettings(**cert))


@dataclass
class PlanRun:
    """What :func:`run_plan` produced.

    Attributes
    ----------
    out_dir : pathlib.Path
    outputs : dict
        Product name → path.
    villages : dict
        village_id → ``"ok"`` or the error message.
    summary : dict
        District figures (zones, allocation, equity, fallow, irrigation).
    """

    out_dir: Path
    outputs: dict[str, Path]
    villages: dict[str, str]
    summary: dict[str, Any]

    @property
    def failed(self) -> dict[str, str]:
        """Villages whose run failed, with the reason."""
        return {k: v for k, v in self.villages.items() if v != "ok"}


def run_plan(plan: Plan | str | os.PathLike, *, out_dir: str | os.PathLike, overwrite: bool = False,
             workers: int | None = None, scheduler: str | None = None, progress: bool = False,
             extra_files: Mapping[str, bytes] | None = None, key_file: str | os.PathLike | None = None,
             register: str | os.PathLike | None = None, pades: bool | None = None) -> PlanRun:
    """Run a plan for every village and write all products into *out_dir*.

    The products are built in a staging folder beside *out_dir* and moved into place
    at the end, with ``manifest.json`` (every file with its size and SHA-256, the inputs
    with theirs, the landuse version, the plan's hash, ``"complete": true``); see
    ``DESIGN.md`` (Outputs) for the output folder contract.

    Parameters
    ----------
    plan : Plan or path-like
        A plan (see :func:`load_plan`) or the path of a plan file.
    out_dir : path-like
        Output folder. It may not hold an input of the plan nor any file that is not from
        a previous run (listed in its manifest). If it holds a previous run,
        ``overwrite=True`` is required; only that run's files are then replaced (same
        inputs → same bytes).
    workers : int, optional
        Run villages in parallel on a ``dask.distributed.LocalCluster`` of that many
        single-threaded worker processes.
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``) to submit villages to.
    progress : bool, default False
        Show a progress bar per village.
    extra_files : mapping, optional
        Relative path → bytes of further files to write into the folder (listed in the
        manifest; ``landuse demo`` adds ``demo_data.json``).
    key_file, register, pades : optional
        Override the plan's ``[certificates]`` signing key, district register and PAdES flag.

    Returns
    -------
    PlanRun

    Raises
    ------
    OutputExistsError
        The folder holds an input, a file not from a previous run, or a previous run
        without ``overwrite``.
    OutputFolderError
        Another run holds the folder's lock, the folder is not writable, or the disk is
        full; the previous outputs are then unchanged.
    """
    import dataclasses
    import hashlib

    if not isinstance(plan, Plan):
        plan = load_plan(plan)
    over: dict[str, Any] = {k: v for k, v in (("key_file", Path(key_file) if key_file else None),
                              ("register", Path(register) if register else None), ("pades", pades)) if v is not None}
    if over:
        plan = dataclasses.replace(plan, certificate=dataclasses.replace(plan.certificate, **over))
    out = Path(out_dir)
    inputs: dict[str, Path] = dict(plan.inputs)
    inputs.update({f"rules.{k}": v for k, v in plan.rules.items()})
    if plan.path is not None:
        inputs["plan"] = plan.path
        digest = _outputs.sha256_file(plan.path)
    else:
        digest = hashlib.sha256(repr(plan).encode("utf-8")).hexdigest()
    meta = {"name": plan.name, "path": str(plan.path) if plan.path else None, "sha256": digest}
    cert = plan.certificate
    outside = {k: Path(v) for k, v in (("certificates.register", cert.register),
                                       ("certificates.key_file", cert.key_file)) if v}
    with _outputs.output_folder(out, inputs=inputs, overwrite=overwrite, plan=meta,
                                outside=outside) as stage:
        for rel, data in sorted((extra_files or {}).items()):
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        products = _plan_run.execute(plan, stage, overwrite=overwrite, workers=workers, scheduler=scheduler,
                                     progress=progress, shown_as=out)
    outputs = {k: out / Path(v).relative_to(stage) for k, v in products.outputs.items()}
    outputs["manifest"] = out / _outputs.MANIFEST
    return PlanRun(out_dir=out, outputs=outputs, villages=products.villages, summary=products.summary)
