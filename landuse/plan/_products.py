"""Writing a plan run's products (private): GeoPackage + styles, tables, map, certificates, reports."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse import io
from landuse.certificates import issue as certificates
from landuse.certificates import keys
from landuse.check import group_findings
from landuse.errors import LanduseError
from landuse.maps import web as maps
from landuse.plan import _qgis
from landuse.plan import _households
from landuse._validate.ids import id_filename
from landuse.plan._folder import environment_error
from landuse.plan.cluster import captured, replay
from landuse.plan._report import write_reports
from landuse.plan._report_text import bilingual_header
from landuse.plan._results import PlanProducts
from landuse.plan._status import fail_village, reason_of

log = logging.getLogger("landuse.plan")

class _ShownAs(logging.Formatter):
    """Names the output folder, not the staging folder the run writes into."""

    def __init__(self, fmt: str, staging: str, shown: str) -> None:
        super().__init__(fmt)
        self.staging, self.shown = staging, shown

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace(self.staging, self.shown)


def log_handler(out: Path, *, shown_as: Path | None = None) -> logging.Handler:
    """A log file in the output folder; no timestamps, so reruns give the same bytes."""
    h = logging.FileHandler(out / "run.log", mode="w", encoding="utf-8")
    fmt = "%(levelname)s %(name)s: %(message)s"
    h.setFormatter(_ShownAs(fmt, str(out), str(shown_as)) if shown_as is not None else logging.Formatter(fmt))
    h.setLevel(logging.INFO)
    h.addFilter(lambda r: not r.name.startswith("landuse.progress"))  # progress lines: not part of the run's record
    return h


def _concat(frames: list[Any]) -> Any:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return None
    import geopandas as gpd

    if all(isinstance(f, gpd.GeoDataFrame) for f in frames):
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name,
                                crs=frames[0].crs)
    return pd.concat(frames, ignore_index=True)


def _gpkg_safe(gdf: Any) -> Any:
    """Columns GDAL can store: lists/dicts as JSON text, objects as strings."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        if s.dtype == object:
            if s.map(lambda v: isinstance(v, (list, tuple, dict, set))).any():
                out[col] = s.map(lambda v: json.dumps(sorted(v) if isinstance(v, set) else v,
                                                      ensure_ascii=False, default=str)
                                 if isinstance(v, (list, tuple, dict, set)) else v)
    return out


def write_all(plan: Any, out: Path, *, inputs: Any, streams: Any, metrics: Any, results: list[Any],
              schemes: list[Any], status: dict[str, str], overwrite: bool, progress: bool,
              remote: RemoteOutputs | None = None) -> PlanProducts:
    """Write every product; return their paths, the village status and the summary.

    Each step (GeoPackage, tables, irrigation reports, map, certificates, reports) is
    isolated per village: a failure that comes from one village's data fails that
    village (the reason goes into *status*, so into ``summary.json`` and on screen) and
    the step is written for the others. Failures of the place (disk full, permission)
    stop the run. With *remote* (a run on dask workers) the certificate PDFs, print maps
    and household sheets are drawn on its workers, village by village, and written here.
    """
    ok = [r for r in results if r.ok]
    wanted = set(plan.options.villages)
    villages = inputs.villages.sort_values("village_id").reset_index(drop=True)
    if wanted:
        villages = villages[villages["village_id"].isin(wanted)].reset_index(drop=True)
    vids = set(villages["village_id"])
    parcels = _joined_parcels(inputs.parcels, metrics, vids)
    done = sorted(vids)  # a village that failed before still has its village and parcels layers

    def layers_of(keep: set[str]) -> dict[str, Any]:
        prod = lambda key: _concat([getattr(r.products, key) for r in ok if r.village_id in keep])  # noqa: E731
        layers: dict[str, Any] = {"villages": villages[villages["village_id"].isin(keep)],
                                  "parcels": parcels[parcels["village_id"].isin(keep)]}
        if streams is not None and len(streams):
            layers["streams"] = streams
        for key, name in (("zones", "zones"), ("allocations", "allocations"), ("unallocated", "unallocated"),
                          ("conflicts", "conflicts"), ("fallow_parcels", "fallow")):
            g = prod(key)
            if g is not None and hasattr(g, "geometry"):
                layers[name] = g
        scheme_layers = [s.layer for s in schemes if getattr(s, "layer", None) is not None
                         and s.spec.village_id in keep]
        if scheme_layers:
            layers["schemes"] = _concat(scheme_layers)
        return layers

    outputs: dict[str, Path] = {}
    isolate = lambda step, build: _isolated(step, done, build, status, folder=out)  # noqa: E731
    web_map = big = None  # drawn on a worker while this process writes the GeoPackage, tables and register
    if plan.options.map and remote is not None:
        try:  # only what the map draws (issue 20)
            drawn: Any = map_inputs(layers_of(set(done)), inputs.dem, households=inputs.households)
        except Exception:  # noqa: BLE001 - drawn below in this process, where a village's failure is isolated
            log.debug("web map inputs failed for the district", exc_info=True)
            drawn = None
        if drawn is not None:  # both on one worker: the task reads them there
            big = remote.client.scatter(list(drawn), hash=False, workers=remote.one_worker())
            web_map = remote.submit("map", "district", _map_files, big[0], big[1], title=plan.name)
        drawn = None
    outputs.update(isolate("GeoPackage", lambda keep: _write_geopackage(out / "plan.gpkg", layers_of(keep),
                                                                         schemes=schemes)) or {})
    outputs.update(isolate("tables", lambda keep: _write_tables(out / "tables", plan, inputs, ok, keep, parcels,
                                                                schemes)) or {})
    outputs.update(_write_irrigation(out / "irrigation", schemes, status))
    if web_map is not None and _collect("map", {"district": web_map}, out, status, quiet=True):
        outputs["map"] = out / "map.html"
    elif plan.options.map:  # in this process, or again here when the worker's attempt failed
        outputs.update(isolate("map", lambda keep: {"map": _write_map(out / "map.html", layers_of(keep),
                                                                       inputs.dem, title=plan.name,
                                                                       households=inputs.households)}) or {})
    # let go of the map's futures: the workers drop its inputs (the district's layers as the
    # map draws them, the DEM) and its page before they draw the certificates
    web_map = big = None
    if plan.options.certificates:
        def certs(keep: set[str]) -> dict[str, Path]:
            alloc = layers_of(keep).get("allocations")
            if alloc is None:
                return {}
            shutil.rmtree(out / "certificates", ignore_errors=True)  # a clean folder for each attempt
            return _write_certificates(out / "certificates", plan, alloc, inputs, progress=progress,
                                       status=status, streams=streams,
                                       executor=None if remote is None else remote.executor())

        outputs.update(isolate("certificates", certs) or {})

    if plan.options.map and remote is not None:
        outputs.update(_print_maps_on_workers(remote, out / "maps", layers_of(set(done)), done, status))
    elif plan.options.map:
        outputs.update(isolate("print map", lambda keep: _write_print_maps(
            out / "maps", layers_of(keep), inputs.dem, title=plan.name, notes=f"{plan.issue_date}")) or {})

    def sheets(keep: set[str]) -> dict[str, Path]:
        return _write_household_sheets(out, plan, inputs, [r for r in ok if r.village_id in keep],
                                       layers_of(keep), register=outputs.get("certificate_register"))

    if remote is not None:
        outputs.update(_household_sheets_on_workers(remote, out, plan, inputs, ok, layers_of(set(done)), done,
                                                    status, register=outputs.get("certificate_register")))
    else:
        outputs.update(isolate("household sheets", sheets) or {})

    summary = _summary(plan, results, schemes, status)
    outputs.update(write_reports(out / "reports", plan=plan, results=results, schemes=schemes,
                                              status=status, villages=villages, summary=summary))
    summary = _summary(plan, results, schemes, status)  # report failures included
    path = out / "summary.json"
    with io.atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    outputs["summary"] = path
    return PlanProducts(outputs=outputs, villages=status, summary=summary)


def _isolated(step: str, vids: list[str], build: Any, status: dict[str, str], *, folder: Path) -> Any:
    """``build(villages)`` for all *vids*; on a failure, find the villages it comes from.

    The step is tried for each village alone; those that fail are marked failed (with
    the step's name and the reason) and the step is built for the others. A failure of
    the place (disk full, no permission: see :func:`landuse.plan._folder.environment_error`)
    is raised, and so is one that no village explains or every village repeats.
    """
    try:
        return build(set(vids))
    except Exception as exc:  # noqa: BLE001 - isolate the villages, keep the traceback for the log
        if environment_error(exc, folder=folder) is not None or len(vids) == 0:
            raise
        first = exc
        log.debug("%s failed for the district, trying each village alone", step, exc_info=True)
    bad: dict[str, BaseException] = {}
    for vid in vids:
        try:
            build({vid})
        except Exception as exc:  # noqa: BLE001
            if environment_error(exc, folder=folder) is not None:
                raise
            bad[vid] = exc
    if not bad or len(bad) == len(vids):
        raise first
    for vid, why in bad.items():
        fail_village(status, vid, f"{step}: {reason_of(why)}")
    return build(set(vids) - set(bad))


def _write_geopackage(gpkg: Path, layers: dict[str, Any], *, schemes: Sequence[Any] = ()) -> dict[str, Path]:
    """The plan's layers, one geometry type each, with QGIS styles and the QGIS project inside."""
    layers = dict(layers)
    mixed = layers.pop("schemes", None)
    if mixed is not None:  # intakes, canals, command areas and catchments apart (QGIS: one type a layer)
        layers.update(_qgis.split_schemes(mixed, {s.spec.scheme_id: s.summary for s in schemes}))
    with io.atomic_output(gpkg, overwrite=True) as tmp:
        first = True
        for name, gdf in layers.items():
            io.write_vector(_gpkg_safe(gdf), tmp, layer=name, overwrite=first)
            first = False
        _qgis.write_qgis(tmp, file_name=gpkg.name)
    return {"geopackage": gpkg}


def _write_tables(tables_dir: Path, plan: Any, inputs: Any, ok: list[Any], keep: set[str], parcels: Any,
                  schemes: list[Any]) -> dict[str, Path]:
    prod = lambda key: _concat([getattr(r.products, key) for r in ok if r.village_id in keep])  # noqa: E731
    tables_dir.mkdir(exist_ok=True)
    for old in tables_dir.iterdir():  # a clean folder for each attempt
        old.unlink()
    outputs: dict[str, Path] = {}
    tables: dict[str, Any] = {
        "check": inputs.check,  # every finding, for machines
        "check_summary": None if inputs.check is None else group_findings(inputs.check),  # for people
        "zone_table": prod("zone_table"),
        "households": _with_members(prod("allocation_households"), inputs.households),
        "fallow_plots": prod("fallow_plots"),
        "fallow_cycles": prod("fallow_cycles"),
        "land_demand": prod("land_demand"),
        "conflicts": _drop_geom(prod("conflicts")),
        "parcel_metrics": _drop_geom(parcels[parcels["village_id"].isin(keep)]),
    }
    if schemes:
        tables["irrigation_summary"] = pd.DataFrame([_flat(s.summary) for s in schemes])
        tables["irrigation_monthly"] = pd.concat(
            [s.monthly.assign(scheme_id=s.spec.scheme_id) for s in schemes], ignore_index=False)
    for name, df in tables.items():
        if df is None:
            continue
        path = tables_dir / f"{name}.csv"
        io.write_table(df.reset_index(drop=name != "irrigation_monthly"), path, overwrite=True)
        outputs[f"table:{name}"] = path
    if tables.get("households") is not None:
        path = tables_dir / "households.xlsx"
        io.write_table(bilingual_header(tables["households"]), path, overwrite=True, sheet_name="households")
        outputs["table:households.xlsx"] = path
    return outputs


def _with_members(hh: Any, households: Any) -> Any:
    """The allocation's household table with ``members`` from the input households (after ``labour_units``)."""
    if hh is None or households is None or "members" in hh.columns or "members" not in households.columns:
        return hh
    members = households.drop_duplicates("household_id").set_index("household_id")["members"]
    pos = list(hh.columns).index("labour_units") + 1 if "labour_units" in hh.columns else len(hh.columns)
    out = hh.copy()
    out.insert(pos, "members", out["household_id"].map(members))
    return out


def _write_irrigation(irr_dir: Path, schemes: list[Any], status: dict[str, str]) -> dict[str, Path]:

    outputs: dict[str, Path] = {}
    if schemes:
        irr_dir.mkdir(exist_ok=True)
    for s in schemes:
        path = irr_dir / id_filename(s.spec.scheme_id, ".md")
        try:
            with io.atomic_output(path, overwrite=True) as tmp:
                tmp.write_text(s.report(), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - one scheme's report fails its village only
            if environment_error(exc, folder=irr_dir) is not None:
                raise
            fail_village(status, s.spec.village_id, f"irrigation report {s.spec.scheme_id}: {reason_of(exc)}")
            continue
        outputs[f"irrigation:{s.spec.scheme_id}"] = path
    return outputs


def _drop_geom(df: Any) -> Any:
    if df is None:
        return None
    if hasattr(df, "geometry"):
        return pd.DataFrame(df.drop(columns=df.geometry.name))
    return df


def _flat(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out[f"{k}_{k2}"] = v2
        elif isinstance(v, (list, tuple)):
            out[k] = ", ".join(map(str, v))
        else:
            out[k] = v
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else round(float(v), 6)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)


def _summary(plan: Any, results: list[Any], schemes: list[Any], status: dict[str, str]) -> dict[str, Any]:
    return _jsonable({
        "plan": plan.name,
        "issue_date": plan.issue_date.isoformat(),
        "villages": {r.village_id: {"status": status.get(r.village_id, "ok"), **r.figures} for r in results},
        "irrigation": {s.spec.scheme_id: s.summary for s in schemes},
        "n_villages": len(results),
        "n_failed": sum(v != "ok" for v in status.values()),
    })


def _map_allocations(alloc: Any, households: Any) -> Any:
    """Allocations as the map shows them: the household head's names joined on, and the
    relative link to the household sheet (``households/<village>/<file>.html``)."""
    if households is not None and "household_id" in households.columns:
        names = [c for c in ("head_name", "head_name_lo") if c in households.columns and c not in alloc.columns]
        if names:
            table = households.drop_duplicates("household_id").set_index("household_id")[names]
            alloc = alloc.join(table, on="household_id")
    hh = alloc["household_id"]
    sheet = ["households/" + str(v) + "/" + id_filename(h, ".html") if pd.notna(h) and pd.notna(v) else None
             for h, v in zip(hh, alloc["village_id"], strict=True)]
    return alloc.assign(household_sheet=pd.Series(sheet, index=alloc.index, dtype=object))


def map_inputs(layers: dict[str, Any], dem: Any, *, households: Any = None) -> tuple[dict[str, Any], Any]:
    """The web map's layers, ready to draw, and its DEM: what :func:`_draw_map` (on a worker) needs.

    The allocations get the household heads' names and the links to the household
    sheets (:func:`_map_allocations`), the layers are put in drawing order (schemes
    under the parcels, the last on top taking the click), and each keeps only the
    columns the map reads (:func:`landuse.maps.web.map_columns`): at province scale
    (issue 20) the parcels, fallow and conflict layers carry 20-37 columns of which
    the map shows 5-10, and the households are not needed once their names are joined.
    """
    if "allocations" in layers and {"household_id", "village_id"} <= set(layers["allocations"].columns):
        layers = {**layers, "allocations": _map_allocations(layers["allocations"], households)}
    show: dict[str, Any] = {}
    for k in _MAP_ORDER:
        if k in layers:
            gdf = layers[k]
            cols = maps.map_columns(gdf, name=k)
            show[k] = gdf if len(cols) == len(gdf.columns) else gdf[cols]
    return show, dem


#: The web map's layers, in drawing order (the last on top, taking the click).
_MAP_ORDER = ("villages", "zones", "schemes", "catchments", "commands", "parcels", "allocations", "fallow",
              "streams", "canals", "intakes", "conflicts")


def _write_map(path: Path, layers: dict[str, Any], dem: Any, *, title: str, households: Any = None) -> Path:
    show, dem = map_inputs(layers, dem, households=households)
    return _draw_map(path, show, dem, title=title)


def _draw_map(path: Path, show: dict[str, Any], dem: Any, *, title: str) -> Path:
    """The web map of the layers of :func:`map_inputs` (drawn in their order)."""
    # parcels, allocations and fallow repeat the same polygons: open on the zoning and the
    # allocation; the others are one click away in the layer control
    visible = [k for k in ("villages", "zones", "allocations", "streams", "schemes", "catchments", "commands",
                           "canals", "intakes") if k in show]
    m = maps.interactive_map(show, dem=dem, title=title, show=visible)
    maps.save_html(m, path, offline=True, overwrite=True)
    return path


def _write_print_maps(folder: Path, layers: dict[str, Any], dem: Any, *, title: str, notes: str
                      ) -> dict[str, Path]:
    """The static A4 plan map of each village: ``<folder>/<village_id>.png`` (fixed metadata)."""
    villages = layers["villages"]
    if not len(villages):
        return {}
    folder.mkdir(exist_ok=True)
    outs: dict[str, Path] = {}
    for vid in sorted(villages["village_id"].astype(str)):
        one = lambda g, vid=vid: None if g is None else g[g["village_id"].astype(str) == vid]  # noqa: E731
        fig = maps.plan_map(villages[villages["village_id"].astype(str) == vid], zones=one(layers.get("zones")),
                            parcels=one(layers.get("parcels")), streams=layers.get("streams"), dem=dem,
                            title=title, notes=notes)
        outs[f"print_map:{vid}"] = maps.save_figure(fig, folder / id_filename(vid, ".png"), overwrite=True, dpi=150)
    return outs


def _write_certificates(folder: Path, plan: Any, allocations: Any, inputs: Any, *, progress: bool,
                        status: dict[str, str] | None = None, streams: Any = None, executor: Any = None
                        ) -> dict[str, Path]:
    res = certificates.write_certificates(
        allocations, households=inputs.households, villages=inputs.villages, parcels=inputs.parcels,
        out_dir=folder, issue_date=plan.issue_date, overwrite=True, progress=progress, streams=streams,
        workers=min(2, os.cpu_count() or 1), executor=executor, **_certificate_settings(plan),
    )
    outs = {"certificates": folder}
    failed = getattr(res, "failed", {})
    if failed and status is not None:  # a certificate that could not be issued fails its village's run
        vid_of = dict(zip(allocations["certificate_no"].astype(str), allocations["village_id"].astype(str)))
        vid_of.update(zip(allocations["parcel_id"].astype(str), allocations["village_id"].astype(str)))
        for what, why in sorted(failed.items()):
            vid = vid_of.get(what, next((v for v in sorted(set(vid_of.values())) if what.startswith(v)), "?"))
            status[vid] = f"certificate {what} not issued: {why}"
        outs["certificates_failed"] = folder / "failed.csv"
    reg = getattr(res, "register_csv", None) or (folder / "register.csv")
    if Path(reg).exists():
        outs["certificate_register"] = Path(reg)
    return outs


def _write_household_sheets(out: Path, plan: Any, inputs: Any, ok: list[Any], layers: dict[str, Any], *,
                            register: Path | None) -> dict[str, Path]:
    """One sheet per household of the villages that were allocated (those with no plot included)."""
    people, alloc, issued = _sheet_inputs(inputs, ok, layers, register=register)
    return _households.write_household_sheets(
        out / "households", people, alloc, parcels=layers["parcels"], villages=layers["villages"],
        register=issued, certificates_dir=out / "certificates", date=plan.issue_date.strftime("%Y%m%d"))


def _sheet_inputs(inputs: Any, ok: list[Any], layers: dict[str, Any], *, register: Path | None
                  ) -> tuple[pd.DataFrame, Any, pd.DataFrame | None]:
    """The households of the sheets (with the allocation table's columns), the allocated plots, the register."""
    vids = {r.village_id for r in ok}
    people = inputs.households[inputs.households["village_id"].astype(str).isin(vids)]
    table = _concat([r.products.allocation_households for r in ok])
    if table is not None:
        extra = ["household_id", *[c for c in table.columns if c not in people.columns]]
        people = people.merge(table[extra].drop_duplicates("household_id"), on="household_id", how="left")
    alloc = layers.get("allocations")
    if alloc is None:
        import geopandas as gpd  # deferred: only when no village has an allocation layer

        alloc = gpd.GeoDataFrame({"parcel_id": [], "household_id": [], "land_type": [], "area_ha": [],
                                  "certificate_no": []}, geometry=[], crs=layers["parcels"].crs)
    issued = None
    if register is not None and Path(register).is_file() and Path(register).suffix == ".csv":
        issued = pd.read_csv(register, dtype=str, keep_default_na=False)
    return people, alloc, issued


def _certificate_settings(plan: Any) -> dict[str, Any]:
    """The plan's ``[certificates]`` table as keyword arguments of ``write_certificates``."""
    c = getattr(plan, "certificate", None)
    if c is None:
        return {}
    passphrase = None
    if c.key_file is not None:
        passphrase = os.environ.get(keys.PASSPHRASE_ENV) or None
    return {"key_file": c.key_file, "register": c.register, "timezone": c.timezone, "pades": c.pades,
            "passphrase": passphrase}


def _joined_parcels(parcels: Any, metrics: Any, vids: set[str]) -> Any:
    """The parcels of *vids* with the district terrain statistics joined on, sorted by ``parcel_id``."""
    parcels = parcels[parcels["village_id"].isin(vids)]
    if metrics is not None:
        extra = [c for c in metrics.columns if c not in parcels.columns and c != "geometry"]
        parcels = parcels.join(metrics[extra])
    return parcels.sort_values("parcel_id").reset_index(drop=True)


# -- per-village outputs on the dask workers (landuse run --workers / --scheduler) ----------------
class RemoteOutputs:
    """The run's dask client, and the per-village outputs (print maps) already sent to its workers.

    Each task returns its files as ``{name: bytes}`` (and the warnings it logged,
    :func:`landuse.plan.cluster.captured`); this process writes them, so the workers may
    be other machines with no shared file system. A village's print map is sent as soon
    as its zoning arrives (:meth:`village_done`), while other villages still run.
    *window* ``(geometry, buffer_m) -> Raster`` cuts the district DEM around a village.
    """

    def __init__(self, client: Any, plan: Any, inputs: Any, *, streams: Any, metrics: Any, window: Any,
                 folder: Path | None = None) -> None:
        self.client, self.window, self.folder = client, window, folder
        self.title, self.notes = plan.name, f"{plan.issue_date}"
        self.draw_maps = bool(plan.options.map)
        villages = inputs.villages.sort_values("village_id").reset_index(drop=True)
        wanted = set(plan.options.villages)
        if wanted:
            villages = villages[villages["village_id"].isin(wanted)].reset_index(drop=True)
        self.villages = villages
        self.parcels = _joined_parcels(inputs.parcels, metrics, set(villages["village_id"]))
        self.streams = streams if streams is not None and len(streams) else None
        self.maps: dict[str, Any] = {}  # village id -> future of ({file name: bytes}, warnings)

    def write_ready(self) -> None:
        """Write into *folder* the print maps whose tasks are done, and let go of their futures.

        A finished task's PNG otherwise stays in its worker's memory until the end of the
        run (issue 20: the workers grew by every village's map). The map's warnings are
        kept for :func:`_collect` to log in village order, as when the map is written there.
        """
        if self.folder is None:
            return
        for vid, fut in list(self.maps.items()):
            if isinstance(fut, _Written) or fut.status != "finished":
                continue  # a failed task is left to _collect (the village fails there)
            files, said = fut.result()
            self.folder.mkdir(parents=True, exist_ok=True)
            for rel, data in files.items():
                if _inside(rel):  # else _collect raises, from the future kept for it
                    io.atomic_write_bytes(self.folder / rel, data, overwrite=True)
            if all(_inside(rel) for rel in files):
                self.maps[vid] = _Written(list(files), said)
            fut.release()

    def one_worker(self) -> list[str] | None:
        """The address of one worker (the first by address), to keep a task's inputs together; None: any."""
        workers = sorted(self.client.scheduler_info().get("workers", {}))
        return workers[:1] or None

    def executor(self) -> Any:
        """A :class:`concurrent.futures.Executor` on the workers (for the certificate PDFs)."""
        return self.client.get_executor(pure=False)

    def submit(self, step: str, vid: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` on a worker, with the warnings it gives (a dask future)."""
        import uuid

        return self.client.submit(captured, fn, *args, pure=False, key=f"{step}-{vid}-{uuid.uuid4().hex}", **kwargs)

    def village_done(self, result: Any) -> None:
        """Send the print map of a village whose zoning arrived (villages without zones wait for the rest)."""
        zones = _concat([result.products.zones]) if result.ok else None
        if not self.draw_maps or zones is None or not hasattr(zones, "geometry"):
            return
        zones = zones[zones["village_id"].astype(str) == str(result.village_id)]
        if len(zones):
            self.print_map(str(result.village_id), zones)
        self.write_ready()

    def print_map(self, vid: str, zones: Any) -> None:
        """Send the print map of *vid*: the same drawing as :func:`_write_print_maps` (DEM and streams cut
        to a frame the map cannot leave, with the same bytes)."""
        village = self.villages[self.villages["village_id"].astype(str) == vid]
        if vid in self.maps or not len(village):
            return
        import shapely

        parcels = self.parcels[self.parcels["village_id"].astype(str) == vid]
        bounds = np.asarray(village.total_bounds, dtype=float)
        streams, dem = self.streams, None
        if np.isfinite(bounds).all():  # else the map fails there (no boundary), as it does here
            minx, miny, maxx, maxy = bounds
            # the map frame is the village's box widened to the page's shape (< 0.6 x its longer
            # side each way) plus 4 %: its longer side and 500 m around it hold every drawn cell
            buffer_m = max(maxx - minx, maxy - miny) + 500.0
            dem = self.window(shapely.box(*bounds), buffer_m)
            if streams is not None:
                frame = shapely.box(minx - buffer_m, miny - buffer_m, maxx + buffer_m, maxy + buffer_m)
                hit = np.sort(streams.sindex.query(frame, predicate="intersects"))
                # none in the frame: one line out of sight keeps the legend entry of the whole layer
                streams = streams.iloc[hit] if len(hit) else streams.iloc[:1]
        self.maps[vid] = self.submit("print-map", vid, _print_map_files, village, zones=zones, parcels=parcels,
                                     streams=streams, dem=dem, title=self.title, notes=self.notes)


class _Written:
    """Stands for the future of a task whose files are already written: its names and warnings."""

    def __init__(self, names: list[str], said: list[tuple[int, str, str]]) -> None:
        self.names, self.said = names, said

    def result(self) -> tuple[dict[str, None], list[tuple[int, str, str]]]:
        """``({file name: None}, warnings)``: :func:`_collect` writes nothing again."""
        return dict.fromkeys(self.names), self.said


def _map_files(layers: dict[str, Any], dem: Any, *, title: str) -> dict[str, bytes]:
    """The web map of the layers of :func:`map_inputs` as ``{"map.html": bytes}`` (runs on a worker)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="landuse-map-") as tmp:
        return {"map.html": _draw_map(Path(tmp) / "map.html", layers, dem, title=title).read_bytes()}


def _print_map_files(village: Any, *, zones: Any, parcels: Any, streams: Any, dem: Any, title: str, notes: str
                     ) -> dict[str, bytes]:
    """One village's print map as ``{file name: PNG bytes}`` (runs on a worker)."""
    import tempfile

    name = id_filename(str(village["village_id"].iloc[0]), ".png")
    fig = maps.plan_map(village, zones=zones, parcels=parcels, streams=streams, dem=dem, title=title, notes=notes)
    with tempfile.TemporaryDirectory(prefix="landuse-map-") as tmp:
        return {name: maps.save_figure(fig, Path(tmp) / name, overwrite=True, dpi=150).read_bytes()}


def _print_maps_on_workers(remote: RemoteOutputs, folder: Path, layers: dict[str, Any], vids: list[str],
                           status: dict[str, str]) -> dict[str, Path]:
    """The print maps of *vids*: those not sent yet are sent now (zones as :func:`_write_print_maps` has
    them), then every map is written here in village order."""
    zones = layers.get("zones")
    for vid in vids:
        if vid not in remote.maps:
            remote.print_map(vid, None if zones is None else zones[zones["village_id"].astype(str) == vid])
    if not remote.maps:
        return {}
    folder.mkdir(exist_ok=True)
    written = _collect("print map", {v: remote.maps.pop(v) for v in vids if v in remote.maps}, folder, status)
    return {f"print_map:{vid}": folder / names[0] for vid, names in written.items()}


def _household_sheets_on_workers(remote: RemoteOutputs, out: Path, plan: Any, inputs: Any, ok: list[Any],
                                 layers: dict[str, Any], vids: list[str], status: dict[str, str], *,
                                 register: Path | None) -> dict[str, Path]:
    """The household sheets, a task per allocated village (the same files as :func:`_write_household_sheets`)."""
    people, alloc, issued = _sheet_inputs(inputs, ok, layers, register=register)
    folder = out / "households"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _households._copy_font(folder)
    certs = out / "certificates"
    futures = {}
    for vid in sorted({str(r.village_id) for r in ok}):
        own = lambda df, vid=vid: df[df["village_id"].astype(str) == vid]  # noqa: E731
        a = own(alloc) if "village_id" in alloc.columns else alloc
        mine = None
        files: list[str] = []
        if issued is not None:
            mine = issued[issued["parcel_id"].astype(str).isin(set(a["parcel_id"].astype(str)))]
            if "file" in mine.columns:  # the PDFs the sheets link to, when they were written
                files = [f for f in mine["file"].astype(str) if _inside(f) and (certs / f).is_file()]
        futures[vid] = remote.submit("household-sheets", vid, _village_sheet_files, own(people), a,
                                     parcels=own(layers["parcels"]), villages=own(layers["villages"]),
                                     register=mine, certificates=files, date=plan.issue_date.strftime("%Y%m%d"))
    _collect("household sheets", futures, folder, status, vids=vids)
    return {"households": folder}


def _inside(rel: str) -> bool:
    """True if *rel* is a plain relative path (no empty, ``.`` or ``..`` part, not absolute)."""
    parts = rel.replace("\\", "/").split("/")
    return bool(rel) and not any(p in ("", ".", "..") for p in parts) and not Path(rel).is_absolute()


def _village_sheet_files(people: pd.DataFrame, allocations: Any, *, parcels: Any, villages: Any,
                         register: pd.DataFrame | None, certificates: list[str], date: str) -> dict[str, bytes]:
    """One village's household sheets as ``{relative path: bytes}`` (runs on a worker).

    The certificate PDFs the sheets link to are stood in for by empty files of the same
    names (a link is made only to a PDF that exists; its bytes are not needed).
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="landuse-sheets-") as tmp:
        root, certs = Path(tmp) / "households", Path(tmp) / "certificates"
        for rel in certificates:
            if _inside(rel):
                (certs / rel).parent.mkdir(parents=True, exist_ok=True)
                (certs / rel).touch()
        _households.write_household_sheets(root, people, allocations, parcels=parcels, villages=villages,
                                           register=register, certificates_dir=certs, date=date)
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and p.parent != root}  # the font beside the villages' folders is copied here


def _collect(step: str, futures: dict[str, Any], folder: Path, status: dict[str, str], *,
             vids: list[str] | None = None, quiet: bool = False) -> dict[str, list[str]]:
    """Write the files of each village's task into *folder*; return the names by village (in village order).

    As :func:`_isolated`: a village whose task failed is marked failed (the step and
    why); a failure of the place (disk full, permission), or one that every village of
    *vids* (default: those of *futures*) repeats, is raised. *quiet*: a failed task is
    only left out of the result (the caller does the step again in this process).
    """
    vids = sorted(futures) if vids is None else vids
    bad: dict[str, BaseException] = {}
    written: dict[str, list[str]] = {}
    said_by: dict[str, list[tuple[int, str, str]]] = {}
    # written as the tasks finish (a finished task's files leave its worker's memory at
    # once), their warnings logged after in village order (the same run.log)
    for vid, fut in _finishing(futures):
        try:
            files, said = fut.result()
        except Exception as exc:  # noqa: BLE001 - a village's task fails that village
            if environment_error(exc) is not None:
                raise
            log.debug("%s failed for %s", step, vid, exc_info=True)
            bad[vid] = exc
            continue
        futures[vid] = fut = None  # the worker lets go of the files once they are written here
        for rel, data in files.items():
            path = folder / rel
            if not _inside(rel):
                raise LanduseError(f"{step}: a worker returned the file name {rel!r}", source=str(folder),
                                   hint="use the same landuse version on every worker")
            if data is None:  # written as the task finished (RemoteOutputs.write_ready)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            io.atomic_write_bytes(path, data, overwrite=True)
        said_by[vid] = said
        written[vid] = list(files)
        del files
    for vid in sorted(said_by):
        replay(said_by[vid])
    written = {vid: written[vid] for vid in sorted(written)}
    if quiet:
        return written
    if bad and len(bad) == len(vids):
        raise bad[min(bad)]
    for vid, why in sorted(bad.items()):
        fail_village(status, vid, f"{step}: {reason_of(why)}")
    return written


def _finishing(futures: dict[str, Any]) -> Any:
    """``(village id, future)`` of *futures* as their tasks finish (those already written first)."""
    from distributed import Future, as_completed  # deferred: only runs with dask workers

    tasks = {f.key: vid for vid, f in sorted(futures.items()) if isinstance(f, Future)}
    for vid in sorted(futures):
        if not isinstance(futures[vid], Future):
            yield vid, futures[vid]
    for fut in as_completed([futures[vid] for vid in tasks.values()]):
        yield tasks[fut.key], fut
