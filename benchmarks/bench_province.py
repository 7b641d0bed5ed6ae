"""A whole province plan: time per stage, memory per worker, allocation gaps, speed-up.

Generates (or reuses) a SYNTHETIC province with ``tools/make_province.py`` and runs its
whole plan (check, terrain, zoning, allocation, fallow, irrigation, map, reports,
certificates) with ``landuse.plan.run_plan`` on dask.distributed:

1. a ``LocalCluster`` of 1 single-threaded worker process,
2. a ``LocalCluster`` of 2,
3. (``--cli-cluster``) a real TCP cluster: ``dask scheduler`` and 2 ``dask worker``
   processes started from the command line, the plan run with ``scheduler=ADDRESS``
   (what ``landuse run --scheduler`` does).

It prints the wall time of each stage (the stages of the command's own process, and
zoning / allocation / fallow summed over the villages in the workers), the peak resident
memory of every worker process and of the command's process, every village's proven
allocation gaps (goal <= 0.5 %), the speed-up from 1 to 2 workers (goal >= 1.7) and
whether the runs wrote byte-identical outputs (every file of the manifests but
``run.log``). The machine's load average is printed at the start and end: on a shared
machine a speed-up is only meaningful when the load stays below the number of cores.

Usage::

    .venv/bin/python benchmarks/bench_province.py --villages 54           # a tenth
    .venv/bin/python benchmarks/bench_province.py --villages 540 --json province.json
    .venv/bin/python benchmarks/bench_province.py --data /tmp/province    # reuse a province
    ... --monitor run.csv --every 30    # a CSV line of stage, RSS and CPU per process every 30 s
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAP_GOAL = 0.005

#: (module, function, stage name) timed in the command's own process
MAIN_STAGES = [
    ("landuse.plan._run", "load_inputs", "check + read inputs"),
    ("landuse.terrain.hydrology", "streams", "terrain: streams"),
    ("landuse.parcels", "parcel_metrics", "terrain: parcel statistics"),
    ("landuse.plan._run", "village_inputs", "split into villages"),
    ("landuse.plan._run", "map_villages", "villages on the workers (wall)"),
    ("landuse.plan._run", "irrigation", "irrigation"),
    ("landuse.plan._products", "_write_geopackage", "GeoPackage"),
    ("landuse.plan._products", "_write_tables", "tables"),
    ("landuse.plan._products", "_write_irrigation", "irrigation reports"),
    ("landuse.plan._products", "_write_map", "map"),
    ("landuse.plan._products", "_write_certificates", "certificates"),
    ("landuse.plan._products", "_write_print_maps", "print maps"),
    ("landuse.plan._products", "_write_household_sheets", "household sheets"),
    # with workers: the command collects and writes what the workers drew
    ("landuse.plan._products", "_print_maps_on_workers", "print maps"),
    ("landuse.plan._products", "_household_sheets_on_workers", "household sheets"),
    ("landuse.plan._report", "write_reports", "reports"),
]
#: functions timed in the workers, per village
WORKER_STAGES = [
    ("landuse.plan._run", "_zoning", "zoning"),
    ("landuse.plan._run", "_allocation", "allocation"),
    ("landuse.plan._run", "_fallow", "fallow"),
]


#: the command-process stage running now (for the monitor)
CURRENT = {"stage": "start"}


def _timed(table: dict, name: str, fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        t0 = time.perf_counter()
        before, CURRENT["stage"] = CURRENT["stage"], name
        try:
            return fn(*a, **k)
        finally:
            table[name] += time.perf_counter() - t0
            CURRENT["stage"] = before

    wrapper.__wrapped_by_bench__ = fn
    return wrapper


@contextlib.contextmanager
def timers(stages):
    import importlib

    table: dict[str, float] = defaultdict(float)
    saved = []
    for mod, fn, name in stages:
        m = importlib.import_module(mod)
        orig = getattr(m, fn)
        saved.append((m, fn, orig))
        setattr(m, fn, _timed(table, name, orig))
    try:
        yield table
    finally:
        for m, fn, orig in saved:
            setattr(m, fn, orig)


# -- functions run in each worker process (client.run) ----------------------------------------
def _install_worker_timers() -> int:
    """Time zoning, allocation and fallow in this worker process.

    The table lives on the module ``landuse.plan._run`` itself: this function and
    :func:`_worker_figures` reach the workers pickled by value, each with its own copy
    of this script's globals, so a global of the script would not be shared.
    """
    import importlib

    table: dict[str, float] = defaultdict(float)
    for mod, fn, name in WORKER_STAGES:
        m = importlib.import_module(mod)
        orig = getattr(m, fn)
        orig = getattr(orig, "__wrapped_by_bench__", orig)
        setattr(m, fn, _timed(table, name, orig))
    importlib.import_module("landuse.plan._run")._bench_stage_s = table
    return os.getpid()


def _worker_figures() -> dict:
    r = resource.getrusage(resource.RUSAGE_SELF)
    table = getattr(sys.modules.get("landuse.plan._run"), "_bench_stage_s", {})
    return {
        "pid": os.getpid(),
        "peak_rss_mb": r.ru_maxrss / 1024.0,
        "cpu_s": r.ru_utime + r.ru_stime,
        "stages_s": dict(table),
    }


@contextlib.contextmanager
def monitor(path: Path | None, every_s: float):
    """Append, every *every_s* seconds, one CSV line to *path*: the time, the load, the
    stage the command is in and the RSS of the command and of
    each of its child processes (the workers, largest first) [MB] with their CPU [s]. A long run that is stopped keeps its
    curve; the RSS curve shows memory that grows per village."""
    import threading

    import psutil

    if path is None:
        yield
        return
    stop = threading.Event()
    me = psutil.Process()
    t0 = time.perf_counter()

    def loop() -> None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("utc,elapsed_s,load1,stage,command_rss_mb,children_rss_mb,children_cpu_s\n")
            while not stop.wait(every_s):
                kids = []
                for c in me.children(recursive=True):
                    try:
                        kids.append((c.memory_info().rss / 2**20, sum(c.cpu_times()[:2])))
                    except psutil.Error:
                        continue
                kids.sort(reverse=True)
                fh.write(f"{time.strftime('%H:%M:%S', time.gmtime())},{time.perf_counter() - t0:.0f},"
                         f"{os.getloadavg()[0]:.2f},{CURRENT['stage']},{me.memory_info().rss / 2**20:.0f},"
                         f"{'/'.join(f'{r:.0f}' for r, _ in kids)},{'/'.join(f'{c:.0f}' for _, c in kids)}\n")
                fh.flush()

    th = threading.Thread(target=loop, daemon=True)
    th.start()
    try:
        yield
    finally:
        stop.set()
        th.join()


# -- runs ------------------------------------------------------------------------------------
def run_once(plan: Path, out: Path, address: str, label: str) -> dict:
    from distributed import Client

    from landuse.plan import run_plan

    with Client(address) as client:
        client.wait_for_workers(1)
        client.run(_install_worker_timers)
        cpu0 = {w: f["cpu_s"] for w, f in client.run(_worker_figures).items()}
        me0, kids0 = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        t0 = time.perf_counter()
        with timers(MAIN_STAGES) as main:
            res = run_plan(plan, out_dir=out, overwrite=True, scheduler=address)
        wall = time.perf_counter() - t0
        me1, kids1 = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        workers = client.run(_worker_figures)
    for w, f in workers.items():
        f["cpu_s"] -= cpu0.get(w, 0.0)
    stages = dict(main)
    for f in workers.values():
        for k, v in f["stages_s"].items():
            stages[f"  {k} (sum over villages)"] = (
                stages.get(f"  {k} (sum over villages)", 0.0) + v
            )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f["sha256"] for f in manifest["files"] if f["path"] != "run.log"}
    return {
        "label": label,
        "n_workers": len(workers),
        "wall_s": wall,
        "stages_s": stages,
        "worker_peak_rss_mb": sorted(f["peak_rss_mb"] for f in workers.values()),
        "worker_cpu_s": sum(f["cpu_s"] for f in workers.values()),
        # the command's own process, and its child processes (a certificate process pool)
        "main_cpu_s": me1.ru_utime + me1.ru_stime - me0.ru_utime - me0.ru_stime,
        "main_children_cpu_s": kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime,
        "main_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "villages": len(res.villages),
        "failed": dict(res.failed),
        "files": files,
        "gaps": gaps(summary),
    }


def gaps(summary: dict) -> dict:
    """Largest proven gap per allocation stage over the villages, and villages above the goal."""
    worst: dict[str, float] = {}
    above: dict[str, list[str]] = defaultdict(list)
    status: dict[str, int] = defaultdict(int)
    for vid, v in summary.get("villages", {}).items():
        a = v.get("allocation") or {}
        if not a:
            continue
        status[str(a.get("status"))] += 1
        if a.get("deterministic") is False:  # the wall-clock safety net cut a solve or a bound
            status["wall-clock safety net fired"] += 1
        for k, g in a.items():
            if k.startswith("mip_gap") and g is not None:
                worst[k] = max(worst.get(k, 0.0), float(g))
                if float(g) > GAP_GOAL:
                    above[k].append(vid)
    return {
        "max": worst,
        "above_goal": {k: len(v) for k, v in above.items()},
        "status": dict(status),
    }


def local_cluster(n: int):
    from distributed import LocalCluster

    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)


@contextlib.contextmanager
def cli_cluster(n: int, folder: Path):
    """``dask scheduler`` + *n* ``dask worker`` processes (real TCP, a free port)."""
    bin_ = Path(sys.executable).parent
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    sfile = folder / "scheduler.json"
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(bin_ / "dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(sfile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                cwd=folder,
            )
        )
        deadline = time.monotonic() + 60
        while not (sfile.exists() and sfile.read_text().strip()):
            if time.monotonic() > deadline or procs[0].poll() is not None:
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.2)
        address = json.loads(sfile.read_text())["address"]
        for k in range(n):
            procs.append(
                subprocess.Popen(
                    [
                        str(bin_ / "dask"),
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--local-directory",
                        str(folder / f"w{k}"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                    cwd=folder,
                )
            )
        from distributed import Client

        with Client(address) as c:
            c.wait_for_workers(n, timeout=120)
        yield address
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def report(runs: list[dict], data_stats: dict) -> None:
    print(f"\nprovince: {data_stats}")
    names = list(dict.fromkeys(k for r in runs for k in r["stages_s"]))
    head = "stage".ljust(42) + "".join(r["label"].rjust(16) for r in runs)
    print(head)
    for n in names:
        print(n.ljust(42) + "".join(f"{r['stages_s'].get(n, 0.0):16.1f}" for r in runs))
    print("total wall [s]".ljust(42) + "".join(f"{r['wall_s']:16.1f}" for r in runs))
    print("worker CPU [s]".ljust(42) + "".join(f"{r['worker_cpu_s']:16.1f}" for r in runs))
    print("command process CPU [s]".ljust(42) + "".join(f"{r['main_cpu_s']:16.1f}" for r in runs))
    print(
        "command's child processes CPU [s]".ljust(42)
        + "".join(f"{r['main_children_cpu_s']:16.1f}" for r in runs)
    )
    print(
        "peak RSS per worker [MB]".ljust(42)
        + "".join(("/".join(f"{m:.0f}" for m in r["worker_peak_rss_mb"])).rjust(16) for r in runs)
    )
    print(
        "peak RSS command process [MB]".ljust(42)
        + "".join(f"{r['main_peak_rss_mb']:16.0f}" for r in runs)
    )
    for r in runs:
        print(
            f"{r['label']}: {r['villages']} villages, {len(r['failed'])} failed; allocation "
            f"status {r['gaps']['status']}; largest gaps "
            f"{json.dumps({k: round(v, 4) for k, v in r['gaps']['max'].items()})}; "
            f"villages above {GAP_GOAL:.1%}: {r['gaps']['above_goal']}"
        )
        for vid, msg in sorted(r["failed"].items())[:5]:
            print(f"    {vid}: {msg[:160]}")
    one = next((r for r in runs if r["label"] == "local-1"), None)
    two = next((r for r in runs if r["label"] == "local-2"), None)
    if one and two:
        key = "villages on the workers (wall)"
        print(
            f"speed-up 1 -> 2 workers: {one['wall_s'] / two['wall_s']:.2f} (goal >= 1.7); "
            f"villages stage alone: {one['stages_s'][key] / two['stages_s'][key]:.2f}"
        )
    for i, a in enumerate(runs):
        for b in runs[i + 1 :]:
            differ = sorted(
                p
                for p in set(a["files"]) | set(b["files"])
                if a["files"].get(p) != b["files"].get(p)
            )
            print(
                f"{b['label']} vs {a['label']}: {len(b['files'])} files, "
                + ("byte-identical" if not differ else f"{len(differ)} differ, e.g. {differ[:3]}")
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--villages", type=int, default=54)
    ap.add_argument(
        "--distinct", type=int, default=None, help="distinct tiles (see make_province.py)"
    )
    ap.add_argument(
        "--data", type=Path, default=None, help="a province folder (made if empty or absent)"
    )
    ap.add_argument(
        "--shared", type=Path, default=None, help="folder of the real inputs (register)"
    )
    ap.add_argument("--workers", default="1,2", help="LocalCluster sizes to run, e.g. 1,2")
    ap.add_argument(
        "--cli-cluster",
        action="store_true",
        help="also run on `dask scheduler` + 2 `dask worker` processes (TCP)",
    )
    ap.add_argument(
        "--time-limit", type=float, default=None, help="override the plan's time_limit_s"
    )
    ap.add_argument("--no-certificates", action="store_true")
    ap.add_argument("--no-map", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--monitor", type=Path, default=None,
                    help="append a CSV line of stage, RSS and CPU per process here every --every seconds")
    ap.add_argument("--every", type=float, default=30.0)
    ap.add_argument("--keep", type=Path, default=None,
                    help="move the run's outputs to this new folder instead of deleting them")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "tools"))
    import make_province

    print(f"load average at start: {os.getloadavg()}, cores: {os.cpu_count()}")
    tmp = Path(tempfile.mkdtemp(prefix="landuse-bench-province-"))
    data = args.data or tmp / "province"
    try:
        if not (data.exists() and any(data.iterdir())):
            t0 = time.perf_counter()
            kw = {"shared": args.shared} if args.shared else {}
            stats = make_province.generate(
                data, villages=args.villages, distinct=args.distinct, quiet=True, **kw
            )
            print(f"generated in {time.perf_counter() - t0:.1f} s: {stats}")
        else:
            stats = {"folder": str(data)}
        plan = data / "plan.toml"
        text = plan.read_text(encoding="utf-8")
        if args.time_limit is not None:
            text = text.replace("time_limit_s = 60", f"time_limit_s = {args.time_limit:g}")
        if args.no_certificates:
            text = text.replace("certificates = true", "certificates = false")
        if args.no_map:
            text = text.replace("map = true", "map = false")
        plan = data / "plan.bench.toml"
        plan.write_text(text, encoding="utf-8")
        runs = []
        for n in (int(x) for x in args.workers.split(",") if x):
            with local_cluster(n) as cl, monitor(args.monitor, args.every):
                runs.append(
                    run_once(plan, tmp / f"out-local-{n}", cl.scheduler_address, f"local-{n}")
                )
            print(f"local-{n}: {runs[-1]['wall_s']:.1f} s, load {os.getloadavg()}", flush=True)
        if args.cli_cluster:
            (tmp / "cli").mkdir()
            with cli_cluster(2, tmp / "cli") as address:
                runs.append(run_once(plan, tmp / "out-cli-2", address, "tcp-cli-2"))
            print(f"tcp-cli-2: {runs[-1]['wall_s']:.1f} s, load {os.getloadavg()}", flush=True)
        report(runs, stats)
        print(f"load average at end: {os.getloadavg()}")
        if args.json:
            for r in runs:
                r["n_files"] = len(r["files"])
            args.json.write_text(
                json.dumps(
                    {"province": stats, "runs": runs, "load_end": os.getloadavg()},
                    indent=1,
                    default=str,
                ),
                encoding="utf-8",
            )
    finally:
        if args.keep is not None and not args.keep.exists():
            shutil.move(str(tmp), str(args.keep))
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
