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
Every table and key, with types, defaults and errors: ``docs/planfile.md``. Paths are
relative to the plan file::

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
    mapping = "mapping.toml"       # optional: your headers and values -> the contract's (docs/mapping.md)

    [imports]                      # optional: field data instead of villages / households
    walks = "walks"                # boundary walks (GPX/KML/GeoJSON) -> villages (docs/field.md)
    survey = "kobo_export.xlsx"    # survey export or household list -> households

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

import dataclasses
import datetime as _dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landuse._validate.display import figures_html, records_html
from landuse._validate.toml import (
    Key,
    Table,
    TomlDoc,
    anything,
    array,
    date,
    flag,
    number,
    read_toml_text,
    table,
    text,
)
from landuse.check.mapping import read_mapping
from landuse.errors import DataReadError, RuleError
from landuse.plan import _folder as _outputs
from landuse.plan import _run as _plan_run

__all__ = ["Plan", "PlanOptions", "PlanRun", "load_plan", "run_plan"]

log = logging.getLogger(__name__)

_REQUIRED_INPUTS = ("villages", "parcels", "households", "dem")
_OPTIONAL_INPUTS = ("histories", "climate", "schemes", "forest", "mapping")
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
    #: Field data to import first (``[imports]``, see :mod:`landuse.field.plan_imports`).
    imports: dict[str, Any] = field(default_factory=dict)


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
    if path is not None:
        path = Path(path)
        text = read_toml_text(path, what="plan file", hint="check the path of the plan file")
        base = path.parent.resolve()
        src = str(path)
    else:
        if text is None:
            raise RuleError("give a plan file path or its text", hint="load_plan('plan.toml')")
        base = Path(base_dir or ".").resolve()
        src = "<plan>"
    doc = TomlDoc.parse(text, source=src)
    data = doc.check(doc.data, _SCHEMA)
    cert = _certificate_settings(doc, data["certificates"], base)
    meta = data["plan"]
    name = str(meta.get("name", path.stem if path else "plan"))
    inputs = {key: _existing(doc, ("inputs", key), value, base, f"input {key!r}")
              for key, value in data["inputs"].items()}
    if "mapping" in inputs:
        read_mapping(inputs["mapping"])  # a faulty mapping file fails here, naming its key
    imports: dict[str, Any] = {}
    if data.get("imports"):
        from landuse.field.plan_imports import parse_imports  # deferred: the field room reads GPX/XLSX

        imports = parse_imports(data["imports"], base=base, source=src)
    # [imports] may stand in for the villages (walks) and the households (survey)
    imported = {"villages": "walks" in imports, "households": "survey" in imports}
    for key in _REQUIRED_INPUTS:
        if key in inputs and imported.get(key):
            raise doc.error(("inputs", key), f"input {key!r} is given in [inputs] and imported in [imports]",
                            hint="keep one of the two")
        if key not in inputs and not imported.get(key):
            hint = f'add {key} = "file" to [inputs] (required input {key!r})'
            if key in imported:
                hint += f", or import it in [imports] ({'walks' if key == 'villages' else 'survey'} = ...)"
            raise doc.error(("inputs",), f"required key {key!r} is missing", missing=key, hint=hint)
    rules = {key: _existing(doc, ("rules", key), value, base, f"rule file {key!r}")
             for key, value in data["rules"].items() if value}
    opts = dict(data["options"])
    if "villages" in opts:
        value = opts["villages"]
        if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            raise doc.error(("options", "villages"), f"option 'villages' must be a list of ids, "
                            f"found {value!r}", hint='write ["0401001"]')
        opts["villages"] = tuple(str(v) for v in value)
    return Plan(name=name, path=path.resolve() if path else None, inputs=inputs, rules=rules,
                issue_date=meta["issue_date"], options=PlanOptions(**opts), certificate=CertificateSettings(**cert),
                imports=imports)


def _option_spec(default: Any) -> Key:
    """The schema of one ``[options]`` key, from the type of its default in PlanOptions."""
    if isinstance(default, bool):
        return flag()
    if isinstance(default, tuple):
        return array(anything())  # ids as text or numbers: checked in load_plan
    return number(minimum=0.0, allow_inf=True)


_FILE = 'write key = "file.gpkg"'
_SCHEMA = Table({
    "plan": table(Table({"name": anything(), "issue_date": date(default=_dt.date(2026, 1, 15))}),
                  default={}),
    "inputs": table(Table({k: text()
                           for k in _REQUIRED_INPUTS + _OPTIONAL_INPUTS}), default={}),
    "rules": table(Table({k: text() for k in _RULES}), default={}),
    "options": table(Table({f.name: _option_spec(f.default)
                            for f in dataclasses.fields(PlanOptions)}), default={}),
    "certificates": table(Table({"register": text(), "key_file": text(), "timezone": anything(),
                                 "pades": flag()}), default={}),
    "imports": anything(default={}),  # checked by landuse.field.plan_imports.parse_imports
})


def _existing(doc: TomlDoc, key_path: tuple, value: str, base: Path, what: str) -> Path:
    """The file *value* (relative to *base*) of the key *key_path*; it must exist."""
    key = key_path[-1]
    if not value:
        raise doc.error(key_path, f"{what} must be a file path", hint=_FILE)
    p = (base / value).resolve()
    if not p.exists():
        line = doc.line(key_path)
        raise DataReadError(f"{what} not found ({p})", source=f"{doc.source}, line {line}" if line
                            else doc.source, column=key, hint="paths are relative to the plan file's folder")
    return p


def _certificate_settings(doc: TomlDoc, table: dict[str, Any], base: Path) -> dict[str, Any]:
    """The checked ``[certificates]`` table: paths resolved, the time zone known."""
    cert: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("register", "key_file"):
            if not value:
                raise doc.error(("certificates", key), f"{key!r} must be a file path",
                                hint=f'write {key} = "district/file"')
            cert[key] = (base / value).resolve()
        elif key == "timezone":
            from landuse.certificates import timezone_info as _zone  # deferred: the certificates room

            _zone(str(value))
            cert[key] = str(value)
        else:
            cert[key] = value
    return cert


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

    def __repr__(self) -> str:
        """One line: the folder, villages run and failed, files written."""
        return (f"PlanRun({str(self.out_dir)!r}: {len(self.villages)} villages, {len(self.failed)} failed, "
                f"{len(self.outputs)} products)")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the folder, the products by kind and each village's status."""
        kinds: dict[str, int] = {}
        for name in self.outputs:
            kinds[name.split(":")[0]] = kinds.get(name.split(":")[0], 0) + 1
        figures = [("ໂຟນເດີຜົນໄດ້ຮັບ", "output folder", self.out_dir),
                   ("ບ້ານ (ສຳເລັດ / ທັງໝົດ)", "villages (ok / all)",
                    f"{len(self.villages) - len(self.failed)} / {len(self.villages)}"),
                   ("ຜະລິດຕະພັນ", "products", ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))]
        rows = [{"village_id": k, "status": "ok · ສຳເລັດ" if v == "ok" else f"failed · ບໍ່ສຳເລັດ: {v}"}
                for k, v in sorted(self.villages.items())]
        return (figures_html(figures, title="Plan run", title_lo="ຜົນການແລ່ນແຜນ")
                + records_html(rows, [("village_id", "ບ້ານ", "village"), ("status", "ສະຖານະ", "status")], max_rows=50))


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
        single-threaded worker processes (and then their certificate PDFs, household
        sheets and maps; the register and the files are written by this process).
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
    for k, v in plan.imports.items():  # the raw field files are inputs of the run too
        if k == "walks":
            inputs.update({f"imports.walks.{i:04d}": f for i, f in enumerate(v)})
        elif k != "options":
            inputs[f"imports.{k}"] = v
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
        if plan.imports:
            from landuse.field.plan_imports import materialise_imports  # deferred: the field room reads GPX/XLSX

            plan = materialise_imports(plan, stage)
        products = _plan_run.execute(plan, stage, overwrite=overwrite, workers=workers, scheduler=scheduler,
                                     progress=progress, shown_as=out)
    outputs = {k: out / Path(v).relative_to(stage) for k, v in products.outputs.items()}
    outputs["manifest"] = out / _outputs.MANIFEST
    return PlanRun(out_dir=out, outputs=outputs, villages=products.villages, summary=products.summary)
