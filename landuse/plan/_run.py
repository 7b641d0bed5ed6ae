"""Execution of a plan (private): load, district terrain, per-village runs, outputs.

See :mod:`landuse.plan` for the public API and the plan file format.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from landuse import io
from landuse.allocation import quotas as entitlements
from landuse.check import linter as check
from landuse.check import near_id
from landuse.check.mapping import read_mapping
from landuse import PROGRESS_LOGGER, report_progress
from landuse.errors import LanduseError
from landuse.plan import _products as _plan_outputs
from landuse.plan._folder import environment_error
from landuse.plan._report import village_charts
from landuse.plan._results import PlanProducts, VillageResult, slim
from landuse.plan._status import reason_of
from landuse.plan.cluster import largest_first, session
from landuse.raster import Raster
from landuse.irrigation.schemes import read_schemes, size_scheme
from landuse.zoning import zones as zoning

log = logging.getLogger("landuse.plan")


# -- inputs -------------------------------------------------------------------------------------
@dataclass
class Inputs:
    villages: Any
    parcels: Any
    households: pd.DataFrame
    dem: Any
    histories: pd.DataFrame | None = None
    climate: pd.DataFrame | None = None
    schemes: list | None = None
    forest: Any = None
    check: pd.DataFrame | None = None
    failures: dict[str, str] = field(default_factory=dict)


def load_inputs(plan: Any) -> Inputs:
    """Read every input of *plan* and audit it with :func:`landuse.check.check_files`.

    Errors that concern the whole input (unreadable file, missing column, CRS, a DEM
    value problem, a rule column, any error that cannot be tied to one village) stop
    the run with a :class:`LanduseError`; errors tied to one village's features (its
    parcels, households, histories, its part of the DEM) are kept in ``failures`` and
    make that village fail before planning, while the others run.
    """
    with io.read_once():  # the check and the readers parse each file once
        return _load_inputs(plan)


def _load_inputs(plan: Any) -> Inputs:
    p = plan.inputs
    m = read_mapping(p["mapping"]) if "mapping" in p else None  # [inputs] mapping: docs/mapping.md
    report = check.check_files(villages=p["villages"], parcels=p["parcels"],
                               households=p["households"], dem=p["dem"],
                               histories=p.get("histories"), climate=p.get("climate"),
                               entitlements=plan.rules.get("entitlements", "default"), mapping=m)
    fatal = report[(report["severity"] == "error") & report["code"].isin(_FATAL_CODES)]
    if len(fatal):
        raise _blocking(fatal)
    # the checks above found every content fault: read without stopping at the first one
    inputs = Inputs(
        villages=io.read_villages(p["villages"], validate=False, mapping=m),
        parcels=io.read_parcels(p["parcels"], validate=False, mapping=m),
        households=io.read_households(p["households"], validate=False, mapping=m),
        dem=io.read_raster(p["dem"]),
        check=report,
    )
    if "histories" in p:
        inputs.histories = io.read_histories(p["histories"], validate=False, mapping=m)
    if "climate" in p:
        inputs.climate = io.read_climate(p["climate"], validate=False, mapping=m)
    errors = report[report["severity"] == "error"]
    inputs.failures, unplaced = village_failures(errors, inputs)
    if len(unplaced):
        raise _blocking(unplaced)
    if "schemes" in p:
        inputs.schemes = read_schemes(p["schemes"])
    if "forest" in p:
        inputs.forest = io.read_vector(p["forest"], what="forest")
    return inputs


_FATAL_CODES = {
    "FILE_UNREADABLE", "COLUMN_MISSING", "CRS_MISSING", "CRS_GEOGRAPHIC", "CRS_MISMATCH",
    "ID_DUPLICATE",
}


def _blocking(rows: pd.DataFrame) -> LanduseError:
    row = rows.iloc[0]
    return LanduseError(f"{row['code']}: {row['message']} ({len(rows)} blocking problem(s); run "
                        "`landuse check`)", source=str(row["layer"]),
                        feature_id=row["feature_id"] or None,
                        hint="fix the inputs named by `landuse check` and run again")


def village_failures(errors: pd.DataFrame, inputs: Inputs) -> tuple[dict[str, str], pd.DataFrame]:
    """Tie each error row of the check to the village it concerns.

    Returns the status of each failing village (``"failed: CODE: message"``, the first
    error, with the count of the others) and the rows that concern no single village
    (a whole layer, a climate month, a household whose village is unknown and holds
    no parcel). A reference that is not a village id is tied to the village it
    probably meant (same id but for case, spaces or leading zeros), else to the
    villages of the parcels the household holds.
    """
    vids = set(inputs.villages["village_id"].dropna().astype(str))

    def resolve(value: Any) -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        value = str(value)
        if value in vids:
            return value
        near = near_id(value, vids)
        return near.split("'")[1] if near else None

    def lookup(df: pd.DataFrame, id_col: str, fid: Any) -> pd.DataFrame:
        fid = str(fid)
        if fid.startswith("row ") and fid[4:].isdigit():
            pos = int(fid[4:]) - 1
            return df.iloc[pos:pos + 1] if 0 <= pos < len(df) else df.iloc[0:0]
        ids = df[id_col].astype(str)
        hit = df[ids == fid]
        if not len(hit) and fid.endswith("..."):  # a long id shortened in the message
            hit = df[ids.str.startswith(fid[:-3])]
        return hit

    parcels, households = inputs.parcels, inputs.households
    parcel_village = dict(zip(parcels["parcel_id"].astype(str), parcels["village_id"], strict=False))

    def villages_of(row: Any) -> set[str | None]:
        layer, fid = row.layer, row.feature_id
        if fid is None or (isinstance(fid, float) and fid != fid):
            return set()
        if layer in ("villages", "dem", "slope"):
            hit = lookup(inputs.villages, "village_id", fid)
            return set({str(v) for v in hit["village_id"].dropna()} & vids)
        if layer == "parcels":
            if row.code in ("GAP", "SLIVER"):
                return {resolve(fid)} - {None}
            return {resolve(v) for v in lookup(parcels, "parcel_id", fid)["village_id"]} - {None}
        if layer == "households":
            hit = lookup(households, "household_id", fid)
            out = {resolve(v) for v in hit["village_id"]} - {None}
            if not out and len(hit):
                held = parcels[parcels["household_id"].astype(str).isin(hit["household_id"].astype(str))]
                out = {resolve(v) for v in held["village_id"]} - {None}
            return out
        if layer == "histories" and inputs.histories is not None:
            hit = lookup(inputs.histories, "plot_id", fid)
            return {resolve(parcel_village.get(str(p))) for p in hit["plot_id"]} - {None}
        return set()

    failures: dict[str, list[Any]] = {}
    unplaced = []
    for row in errors.itertuples(index=False):
        where = {v for v in villages_of(row) if v is not None}
        if not where:
            unplaced.append(row._asdict())
        for vid in sorted(where):
            failures.setdefault(vid, []).append(row)
    status = {}
    for vid, rows in failures.items():
        first = rows[0]
        more = f" (and {len(rows) - 1} more problem(s); run `landuse check`)" if len(rows) > 1 else ""
        status[vid] = f"failed: {first.code}: {first.message}{more}"
    return status, pd.DataFrame(unplaced, columns=errors.columns)


# -- per-village work ---------------------------------------------------------------------------
@dataclass
class VillageInput:
    """Everything one village's run needs (picklable; sent to dask workers)."""

    village_id: str
    village: Any
    parcels: Any
    households: pd.DataFrame
    dem: Any
    streams: Any
    forest: Any
    histories: pd.DataFrame | None
    rules: dict[str, Any]
    options: Any


def run_village(vi: VillageInput) -> VillageResult:
    """Zoning, parcels against zones, allocation and fallow for one village.

    Never raises: a failure is returned as ``ok=False`` with the message, so one bad
    village cannot lose the others' results.
    """
    res = VillageResult(vi.village_id)
    try:
        _zoning(vi, res)
        _allocation(vi, res)
        _fallow(vi, res)
        res.products.charts = village_charts(res)
    except LanduseError as exc:
        res.ok, res.error = False, str(exc)
    except Exception as exc:  # noqa: BLE001 - isolate the village, keep the traceback for the log
        res.ok, res.error = False, f"{type(exc).__name__}: {exc}"
        res.detail = traceback.format_exc()
    return res


def _zoning_rules(path: Any) -> Any:
    """The zoning rules of *path* (None: the default), parsed once per worker and file state."""
    p = Path(zoning.DEFAULT_RULES_PATH if path is None else path)
    try:
        st = p.stat()
    except OSError:
        return zoning.load_rules(path)  # the error names the file
    return _zoning_rules_cached(str(p), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _zoning_rules_cached(path: str, mtime_ns: int, size: int) -> Any:
    return zoning.load_rules(path)


def _zoning(vi: VillageInput, res: VillageResult) -> None:
    rules = _zoning_rules(vi.rules.get("zoning"))
    # existing parcels give the residential and paddy areas the rules keep as they are
    z = zoning.zone_villages(vi.village, vi.dem, rules=rules, streams=vi.streams,
                             forest=vi.forest, landuse=vi.parcels)
    res.products.zones = z.zones
    res.products.zone_table = z.table
    pz = zoning.parcel_zones(vi.parcels, z.zones, rules=rules, dem=vi.dem)
    res.products.parcel_zones = pz
    if "conflict" in pz.columns:
        conflicts = pz[pz["conflict"].astype(bool)]
    else:
        conflicts = pz.iloc[0:0]
    res.products.conflicts = conflicts
    res.figures["zones_ha"] = {r.zone: round(float(r.area_ha), 2) for r in z.table.itertuples()}
    res.figures["n_conflicts"] = len(conflicts)


def _allocation(vi: VillageInput, res: VillageResult) -> None:
    from landuse.allocation import optimise as allocation  # deferred: imports numba and highspy

    opts = vi.options
    result = allocation.allocate(vi.parcels, vi.households, rules=vi.rules.get("entitlements"),
                                 villages=vi.village, time_limit_s=opts.time_limit_s,
                                 mip_gap=opts.mip_gap, keep_existing=opts.keep_existing)
    res.products.allocations = result.allocations
    res.products.allocation_households = result.households
    res.products.unallocated = result.unallocated
    res.products.lorenz = _lorenz_frame(result.equity)
    # wall-clock figures stay in the log: the outputs of a rerun must not change
    metrics = dict(result.metrics or {})
    m = {k: v for k, v in metrics.items() if k not in _TIMING_KEYS}
    log.debug("village %s: allocation %s in %.1f s", vi.village_id, m.get("status"),
             float(metrics.get("runtime_s", float("nan"))))
    res.figures["allocation"] = {k: _plain(v) for k, v in m.items()}


_TIMING_KEYS = {"runtime_s", "nodes"}


def _lorenz_frame(equity: Any) -> pd.DataFrame | None:
    if isinstance(equity, dict):
        lor = equity.get("lorenz")
        if isinstance(lor, pd.DataFrame):
            return lor
    lor = getattr(equity, "lorenz", None)
    return lor if isinstance(lor, pd.DataFrame) else None


def _fallow(vi: VillageInput, res: VillageResult) -> None:
    if vi.histories is None or not len(vi.histories):
        return
    from landuse.fallow import rotation as fallow  # deferred: imports numba

    summary = fallow.plot_summary(vi.histories)
    cyc = fallow.cycles(vi.histories)
    res.products.fallow_plots = summary
    res.products.fallow_cycles = cyc
    res.products.fallow_parcels = fallow.parcel_fallow(vi.parcels, summary)
    uncensored = cyc[~cyc["censored"].astype(bool)] if "censored" in cyc else cyc
    by_decade = (uncensored.assign(decade=(uncensored["clearing_year"] // 10) * 10)
                 .groupby("decade")["fallow_years"].mean())
    res.figures["fallow_mean_by_decade"] = {int(k): round(float(v), 2) for k, v in by_decade.items()}
    # censoring-aware figures (issue 16): Kaplan-Meier by decade of clearing, the village trend
    plots = pd.Series(vi.village_id, index=pd.unique(vi.histories["plot_id"].astype(str)))
    res.products.fallow_survival = fallow.survival_curves(vi.histories, villages=plots)
    dec = fallow.decade_summary(vi.histories, villages=plots)
    res.products.fallow_decades = dec
    res.figures["fallow_km_by_decade"] = {
        int(r.decade): {k: _plain(getattr(r, k)) for k in ("n_spells", "n_events", "median_fallow_years",
                                                           "median_fallow_years_lo", "median_fallow_years_hi",
                                                           "mean_fallow_years", "status")}
        for r in dec.itertuples()}
    vs = fallow.village_summary(vi.histories, villages=plots).iloc[0]
    res.figures["fallow_trend"] = {k: _plain(vs[k]) for k in (
        "status", "trend_yr_per_decade", "trend_yr_per_decade_lo", "trend_yr_per_decade_hi", "p_value",
        "median_fallow_years", "mean_fallow_years", "n_spells", "n_events")}
    # land a sustainable rotation needs, against the rotational upland zone of the draft zoning
    cropped = fallow.cropped_area_from_histories(vi.histories, vi.parcels)
    zt = res.products.zone_table
    if zt is not None and len(zt):
        rot = zt[zt["zone"] == "ROTATIONAL_UPLAND"].groupby("village_id")["area_ha"].sum()
        basis = "rotational upland zone"
    else:
        rot = fallow.rotational_area_from_parcels(vi.parcels)
        basis = "upland parcels"
    rot = rot.reindex(cropped.index, fill_value=0.0)
    demand = fallow.village_land_demand(cropped, rot, growth_rate=vi.options.population_growth_rate,
                                        base_year=int(vi.histories["year"].max()))
    demand["rotational_area_basis"] = basis
    res.products.land_demand = demand.reset_index()
    res.figures["land_demand"] = {k: _plain(v) for k, v in demand.iloc[0].items()} if len(demand) else {}
    if "status_class" in summary:
        res.figures["fallow_classes"] = {str(k): int(v) for k, v in summary["status_class"].value_counts().sort_index().items()}


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


# -- district steps ------------------------------------------------------------------------------
def dem_window(dem: Any, geom: Any, *, buffer_m: float = 500.0) -> Any:
    """The part of *dem* covering *geom* plus a buffer, as a new Raster (same grid)."""
    from affine import Affine
    from rasterio.windows import from_bounds

    minx, miny, maxx, maxy = geom.bounds
    win = from_bounds(minx - buffer_m, miny - buffer_m, maxx + buffer_m, maxy + buffer_m, dem.transform)
    win = win.round_offsets(op="floor").round_lengths(op="ceil")
    rows, cols = dem.shape
    r0, c0 = max(int(win.row_off), 0), max(int(win.col_off), 0)
    r1, c1 = min(int(win.row_off + win.height), rows), min(int(win.col_off + win.width), cols)
    data = dem.data[r0:r1, c0:c1]
    transform = dem.transform @ Affine.translation(c0, r0)
    return Raster(data, transform, dem.crs, dem.nodata, dem.source)


def village_inputs(inputs: Inputs, plan: Any, *, streams: Any, metrics: Any) -> list[VillageInput]:
    """Split the district inputs into one picklable bundle per village."""
    villages = inputs.villages
    wanted = set(plan.options.villages)
    parcels = inputs.parcels
    if metrics is not None:
        extra = [c for c in metrics.columns if c not in parcels.columns and c != "geometry"]
        parcels = parcels.join(metrics[extra])

    # entitlement rules are read (and their warnings given) once per run, not per village
    rules: dict[str, Any] = {k: str(v) for k, v in plan.rules.items()}
    rules["entitlements"] = entitlements.load_rules(plan.rules.get("entitlements"))
    # each layer is grouped by village once (rows in layer order), not scanned per village
    rows_of = _rows_by_village(parcels["village_id"])
    households_of = _rows_by_village(inputs.households["village_id"])
    histories_of = None
    if inputs.histories is not None:
        village_of_parcel = pd.Series(parcels["village_id"].to_numpy(), index=parcels["parcel_id"].to_numpy())
        village_of_parcel = village_of_parcel[~village_of_parcel.index.duplicated(keep="first")]
        histories_of = _rows_by_village(inputs.histories["plot_id"].map(village_of_parcel))
    out = []
    for _, row in villages.sort_values("village_id").iterrows():
        vid = row["village_id"]
        if (wanted and vid not in wanted) or vid in inputs.failures:
            continue
        vgdf = villages[villages["village_id"] == vid]
        geom = row.geometry
        sel_streams = streams.iloc[streams.sindex.query(geom, predicate="intersects")] if streams is not None else None
        forest = None
        if inputs.forest is not None:
            forest = inputs.forest.iloc[inputs.forest.sindex.query(geom, predicate="intersects")]
        hist = None
        vparcels = parcels.iloc[rows_of(vid)]
        if histories_of is not None and inputs.histories is not None:
            hist = inputs.histories.iloc[histories_of(vid)]
        out.append(VillageInput(
            village_id=vid, village=vgdf, parcels=vparcels,
            households=inputs.households.iloc[households_of(vid)],
            dem=dem_window(inputs.dem, geom), streams=sel_streams, forest=forest, histories=hist,
            rules=rules, options=plan.options,
        ))
    return out


def _rows_by_village(village_ids: pd.Series) -> Any:
    """``rows(vid)``: the positions of the rows whose village is *vid*, ascending (none: empty)."""
    groups = pd.Series(np.arange(len(village_ids))).groupby(village_ids.to_numpy(), dropna=True).indices
    none = np.array([], dtype=np.int64)
    return lambda vid: groups.get(vid, none)


def map_villages(bundles: list[VillageInput], *, workers: int | None, scheduler: str | None,
                 progress: bool, client: Any = None,
                 on_result: Callable[[VillageResult], None] | None = None) -> list[VillageResult]:
    """Run :func:`run_village` on every bundle, in-process or on dask.distributed.

    *client* is the run's dask client (kept open for its outputs); without it one is
    opened for *workers* / *scheduler* and closed here. *on_result* is called in this
    process with each village's result as it arrives (to send that village's outputs).
    """
    from tqdm.auto import tqdm

    lines = logging.getLogger(PROGRESS_LOGGER).isEnabledFor(logging.INFO)  # the lines replace the bar
    if client is None and not workers and not scheduler:
        results = []
        for i, vi in enumerate(tqdm(bundles, desc="villages", unit="village", disable=not progress or lines)):
            report_progress("plan: village", i + 1, len(bundles), f"{vi.village_id} (zoning, allocation, fallow)")
            log.info("village %s: zoning, allocation, fallow", vi.village_id)
            results.append(slim(run_village(vi)))
            if on_result is not None:
                on_result(results[-1])
        return results
    from dask.distributed import as_completed

    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(session(workers=workers, scheduler=scheduler))
        # no list of the futures is kept: as_completed lets go of each one as it yields it and
        # the loop drops it after its result, so the worker frees that village's result at once
        pending = as_completed([client.submit(run_village, vi, key=f"village-{vi.village_id}", pure=False)
                                for vi in largest_first(bundles)])
        done: dict[str, VillageResult] = {}
        bar = tqdm(total=len(bundles), desc="villages", unit="village", disable=not progress or lines)
        for fut in pending:
            r = fut.result()
            fut.release()
            del fut
            done[r.village_id] = slim(r)
            bar.update()
            report_progress("plan: villages done", len(done), len(bundles), r.village_id)
            if on_result is not None:
                on_result(done[r.village_id])
            del r
        bar.close()
        return [done[vi.village_id] for vi in bundles]


def irrigation(inputs: Inputs, *, parcels: Any, wanted: set[str]) -> tuple[list[Any], dict[str, str]]:
    """Size every scheme of the plan on the whole DEM; failures are per village."""
    results: list[Any] = []
    failed: dict[str, str] = {}
    if not inputs.schemes or inputs.climate is None:
        return results, failed
    candidates = _scheme_parcels(parcels)
    for spec in sorted(inputs.schemes, key=lambda s: s.scheme_id):
        if wanted and spec.village_id not in wanted:
            continue
        try:
            log.info("scheme %s: water balance, source, canal", spec.scheme_id)
            results.append(size_scheme(spec, inputs.climate, dem=inputs.dem, parcels=candidates(spec)))
        except Exception as exc:  # noqa: BLE001 - one scheme fails its village only
            if environment_error(exc) is not None:
                raise
            log.debug("scheme %s failed", spec.scheme_id, exc_info=True)
            failed[spec.village_id] = f"irrigation scheme {spec.scheme_id}: {reason_of(exc)}"
    return results, failed


def _scheme_parcels(parcels: Any) -> Any:
    """``candidates(spec)``: the parcels :func:`size_scheme` can use for *spec*, in layer order.

    A scheme's command area is taken from its listed ``paddy_parcel_ids`` or, without a
    list, from the paddy parcels of its village; the other parcels of the district play
    no part, so each scheme gets its village's parcels and its listed ones only, found
    through an index built once (not a scan of the whole layer per scheme).
    """
    if parcels is None or not {"parcel_id", "village_id", "land_type"} <= set(parcels.columns):
        return lambda spec: parcels
    pos_of_id = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].astype(str).to_numpy())
    by_village = pd.Series(np.arange(len(parcels))).groupby(parcels["village_id"].astype(str).to_numpy()).indices

    def candidates(spec: Any) -> Any:
        listed = pos_of_id[pos_of_id.index.isin([str(p) for p in spec.paddy_parcel_ids or ()])].to_numpy()
        own = by_village.get(str(spec.village_id), np.array([], dtype=np.int64))
        return parcels.iloc[np.union1d(listed, own)]

    return candidates


def _drop_failed_villages(inputs: Inputs, wanted: set[str]) -> list[VillageResult]:
    """Keep only the features of villages whose inputs passed the check; return the
    failed villages' results (``ok=False``, the check's reason) for the summary."""
    failed = set(inputs.failures)
    if not failed:
        return []
    ok_ids = set(inputs.villages["village_id"].astype(str)) - failed
    inputs.parcels = inputs.parcels[inputs.parcels["village_id"].astype(str).isin(ok_ids)]
    inputs.households = inputs.households[inputs.households["village_id"].astype(str).isin(ok_ids)]
    if inputs.schemes:
        inputs.schemes = [s for s in inputs.schemes if str(s.village_id) not in failed]
    out = []
    for vid in sorted(failed):
        if wanted and vid not in wanted:
            continue
        log.error("village %s fails before planning: %s", vid, inputs.failures[vid])
        out.append(VillageResult(vid, ok=False, error=inputs.failures[vid]))
    return out


def _finish(plan: Any, out: Path, inputs: Inputs, results: list[VillageResult], *, streams: Any, metrics: Any,
            wanted: set[str], overwrite: bool, progress: bool, remote: Any) -> PlanProducts:
    """Irrigation, the villages' status and every output (the villages' part on *remote*, if any)."""
    results = sorted(results, key=lambda r: str(r.village_id))
    report_progress("plan: step", 4, 5, "irrigation schemes")
    schemes, irr_failed = irrigation(inputs, parcels=inputs.parcels, wanted=wanted)
    status: dict[str, str] = {}
    for r in results:
        status[r.village_id] = "ok" if r.ok else cast(str, r.error)
        if not r.ok:
            log.error("village %s failed: %s", r.village_id, r.error)
            if r.detail:
                log.debug(r.detail)
    for vid, msg in irr_failed.items():
        status[vid] = msg if status.get(vid, "ok") == "ok" else status[vid] + "; " + msg
        log.error("village %s: %s", vid, msg)
    report_progress("plan: step", 5, 5, "map, certificates, GeoPackage, tables and reports")
    return cast(PlanProducts, _plan_outputs.write_all(
        plan, out, inputs=inputs, streams=streams, metrics=metrics, results=results,
        schemes=schemes, status=status, overwrite=overwrite, progress=progress, remote=remote,
    ))


def execute(plan: Any, out: Path, *, overwrite: bool, workers: int | None, scheduler: str | None,
            progress: bool, shown_as: Path | None = None) -> PlanProducts:
    """Run *plan* into *out* (the staging folder; *shown_as* is the output folder the log names)."""
    out.mkdir(parents=True, exist_ok=True)
    handler = _plan_outputs.log_handler(out, shown_as=shown_as)
    logging.getLogger("landuse").addHandler(handler)
    try:
        # one client for the whole run (villages, then their outputs), opened first: a local
        # cluster's workers start while the inputs are read, a bad scheduler address stops at once
        with session(workers=workers, scheduler=scheduler) as client:
            return _execute(plan, out, client=client, progress=progress, overwrite=overwrite)
    finally:
        logging.getLogger("landuse").removeHandler(handler)
        handler.close()


def _execute(plan: Any, out: Path, *, client: Any, overwrite: bool, progress: bool) -> PlanProducts:
    report_progress("plan: step", 1, 5, "reading and checking the inputs")
    log.info("plan %s: reading and checking the inputs", plan.name)
    inputs = load_inputs(plan)
    wanted = set(plan.options.villages)
    unknown = wanted - set(inputs.villages["village_id"])
    if unknown:
        raise LanduseError(f"villages {sorted(unknown)} named in [options] are not in the villages layer",
                           source=str(plan.path or "plan"), column="villages",
                           hint="use village_id values of the villages layer")
    pre_failed = _drop_failed_villages(inputs, wanted)
    report_progress("plan: step", 2, 5, "district terrain: streams and parcel statistics")
    log.info("district terrain: streams and parcel statistics")
    from landuse import parcels as lparcels  # deferred: imports numba
    from landuse.terrain import hydrology  # deferred: imports numba and pyflwdir

    streams = hydrology.streams(inputs.dem, min_area_km2=plan.options.stream_min_area_km2)
    ok_villages = inputs.villages[~inputs.villages["village_id"].isin(set(inputs.failures))]
    metrics = lparcels.parcel_metrics(inputs.parcels, inputs.dem, streams=streams,
                                      villages=ok_villages)
    bundles = village_inputs(inputs, plan, streams=streams, metrics=metrics)
    report_progress("plan: step", 3, 5, f"{len(bundles)} villages: zoning, allocation, fallow")
    remote = None if client is None else _plan_outputs.RemoteOutputs(
        client, plan, inputs, streams=streams, metrics=metrics,
        window=lambda geom, buffer_m: dem_window(inputs.dem, geom, buffer_m=buffer_m), folder=out / "maps")
    results = map_villages(bundles, workers=None, scheduler=None, progress=progress, client=client,
                           on_result=None if remote is None else remote.village_done)
    del bundles  # every village's inputs: not needed by the district steps
    products = _finish(plan, out, inputs, results + pre_failed, streams=streams, metrics=metrics,
                       wanted=wanted, overwrite=overwrite, progress=progress, remote=remote)
    log.info("plan %s: done (%d villages, %d failed)", plan.name, len(products.villages),
             sum(v != "ok" for v in products.villages.values()))
    return products
