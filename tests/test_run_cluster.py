"""`landuse run --scheduler` on a real dask cluster: a scheduler and two workers started as
separate processes from the command line, talking TCP on this machine.

The outputs of the distributed run must equal those of a local, in-process run byte for
byte (every file of the manifest but the run log, which names its own output folder).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landuse import datasets

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO = datasets.get_path("plan").parent
#: the two smallest demo villages keep the test short
VILLAGES = ["0401028", "0401093"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    )  # workers import this checkout
    return env


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` on a free port (``--port 0``) and two ``dask worker`` processes."""
    pytest.importorskip("distributed")
    from distributed import Client

    tmp = tmp_path_factory.mktemp("cluster")
    sfile = tmp / "scheduler.json"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        log = open(tmp / "scheduler.log", "wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(sfile),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(),
                start_new_session=True,
                cwd=tmp,
            )
        )
        deadline = time.monotonic() + 60
        while not sfile.exists() or not sfile.read_text().strip():
            assert procs[0].poll() is None, (tmp / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "dask scheduler did not start in 60 s"
            time.sleep(0.2)
        address = json.loads(sfile.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for k in range(2):
            log = open(tmp / f"worker{k}.log", "wb")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [
                        str(BIN / "dask"),
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--local-directory",
                        str(tmp / f"w{k}"),
                        "--name",
                        f"w{k}",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=_env(),
                    start_new_session=True,
                    cwd=tmp,
                )
            )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            pids = client.run(os.getpid)
        assert len(pids) == 2 and os.getpid() not in pids.values()
        yield address
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def _plan(tmp: Path) -> Path:
    text = (DEMO / "plan.toml").read_text(encoding="utf-8")
    for name in (
        "villages.gpkg",
        "parcels.gpkg",
        "households.csv",
        "dem.tif",
        "histories.csv",
        "climate.csv",
        "schemes.toml",
        "forest.gpkg",
    ):
        text = text.replace(f'"{name}"', json.dumps(str(DEMO / name)))
    text = text.replace("[options]\n", f"[options]\nvillages = {json.dumps(VILLAGES)}\n")
    # a small budget: far from the wall-clock safety net (10 x budget + 5 s) on a busy machine
    text = text.replace("time_limit_s = 60", "time_limit_s = 2")
    p = tmp / "plan.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _run(plan: Path, out: Path, *extra: str) -> dict[str, str]:
    proc = subprocess.run(
        [str(BIN / "landuse"), "run", str(plan), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {f["path"]: f["sha256"] for f in manifest["files"] if f["path"] != "run.log"}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The two villages run in the command's own process (no worker): plan, folder, file hashes."""
    tmp = tmp_path_factory.mktemp("local")
    plan = _plan(tmp)
    return plan, tmp / "local", _run(plan, tmp / "local")


@pytest.mark.slow
def test_run_on_two_local_workers_equals_the_in_process_run(local_run, tmp_path):
    """``--workers 2``: villages, certificate PDFs, household sheets and print maps on a
    LocalCluster, written by the command's process: the same bytes as the in-process run."""
    plan, _folder, local = local_run
    two = _run(plan, tmp_path / "w2", "--workers", "2")
    assert sorted(two) == sorted(local)
    for prefix, suffix in (("certificates/", ".pdf"), ("households/", ".pdf"), ("households/", ".html"),
                           ("maps/", ".png")):
        assert sum(p.startswith(prefix) and p.endswith(suffix) for p in two) >= 2, (prefix, suffix)
    differ = [p for p in local if local[p] != two[p]]
    assert not differ, f"{len(differ)} file(s) differ, e.g. {differ[:5]}"


@pytest.mark.slow
def test_run_on_a_tcp_cluster_equals_the_local_run(cluster, local_run, tmp_path):
    from distributed import Client

    plan, local_dir, local = local_run
    remote = _run(plan, tmp_path / "remote", "--scheduler", cluster)
    assert any(p.startswith("certificates/") and p.endswith(".pdf") for p in local)
    assert "map.html" in local and "plan.gpkg" in local
    assert sorted(remote) == sorted(local)
    differ = [p for p in local if local[p] != remote[p]]
    summary = json.loads((tmp_path / "remote" / "summary.json").read_text(encoding="utf-8"))
    # an allocation cut by the wall-clock safety net (10 x the budget + 5 s, a machine far
    # overloaded) says so; name it if the runs differ
    det = {
        run: {
            v: s.get("allocation", {}).get("deterministic")
            for v, s in json.loads((folder / "summary.json").read_text(encoding="utf-8"))[
                "villages"
            ].items()
        }
        for run, folder in (("local", local_dir), ("remote", tmp_path / "remote"))
    }
    assert not differ, f"{len(differ)} file(s) differ, e.g. {differ[:5]}; deterministic: {det}"
    assert sorted(summary["villages"]) == VILLAGES
    assert all(v["status"] == "ok" for v in summary["villages"].values())
    # the villages ran in the worker processes, not in the command's own process
    with Client(cluster, timeout=30) as client:
        ran = client.run(lambda: "landuse.plan._run" in sys.modules)
    assert any(ran.values()), ran


def test_run_scheduler_unreachable_is_one_line(tmp_path):
    """A scheduler nobody listens on: one clear line, exit 1, no traceback."""
    import socket

    with socket.socket() as s:  # a free port: bound then released, nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plan = _plan(tmp_path)
    proc = subprocess.run(
        [
            str(BIN / "landuse"),
            "run",
            str(plan),
            "--out",
            str(tmp_path / "o"),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    err = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error")]
    assert len(err) == 1 and f"127.0.0.1:{port}" in err[0] and "dask scheduler" in err[0], (
        proc.stderr
    )
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_largest_first_orders_by_parcels_times_households_then_id():
    from types import SimpleNamespace as NS

    from landuse.plan.cluster import largest_first

    b = [
        NS(village_id="a", parcels=[0] * 10, households=[0] * 2),  # 20
        NS(village_id="b", parcels=[0] * 3, households=[0] * 9),  # 27
        NS(village_id="c", parcels=[0] * 5, households=[0] * 4),  # 20
        NS(village_id="d", parcels=[], households=[]),
    ]  # 0
    assert [x.village_id for x in largest_first(b)] == ["b", "a", "c", "d"]


#: state of the patched functions below: module-level, so that the tasks (pickled by
#: reference to this module, unpickled in this process's worker thread) share it
_SEEN: dict = {}


def _out_of_ink(recs, labels, fonts):
    if recs[0]["village_id"] == _SEEN["bad"] and not _SEEN["failed"]:  # the first one met
        _SEEN["failed"].append(recs[0]["certificate_no"])
        raise RuntimeError("out of ink")
    return _SEEN["render"](recs, labels, fonts)


def _chunk(tasks):
    _SEEN["chunks"] += 1
    return _SEEN["draw_chunk"](tasks)


def _map(*a, **k):
    _SEEN["maps"] += 1
    return _SEEN["print_map"](*a, **k)


def _sheets(*a, **k):
    _SEEN["sheets"] += 1
    return _SEEN["village_sheets"](*a, **k)


def _web_map(layers, dem, **k):
    """The web map task: what it was sent (issue 20: only the columns it draws, no households)."""
    _SEEN["web_map"] = {"columns": {name: list(g.columns) for name, g in layers.items()}, "kwargs": sorted(k)}
    return _SEEN["map_files"](layers, dem, **k)


def _keys_when_certificates_start(*a, **k):
    """What the workers still hold when the certificates start (the map's inputs and page must be gone)."""
    import time

    from distributed import default_client

    held: list[str] = []
    for _ in range(50):  # the client tells the scheduler asynchronously
        held = [str(key) for key in default_client().run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))]
        if not any(key.startswith(("map-", "dict-", "Raster-", "DataFrame-")) for key in held):
            break
        time.sleep(0.1)
    _SEEN["held"] = held
    return _SEEN["write_certificates"](*a, **k)


@pytest.mark.slow
def test_a_certificate_failing_on_a_worker_fails_only_its_village(tmp_path, monkeypatch):
    """A certificate that cannot be drawn on a worker: its village fails with the reason
    (summary, failed.csv), its PDF is neither written nor registered, the other village is
    ok; the print maps and household sheets were drawn on the worker too."""
    from distributed import LocalCluster

    from landuse.certificates import issue
    from landuse.plan import _products, run_plan

    bad = VILLAGES[1]
    _SEEN.clear()
    _SEEN.update(bad=bad, failed=[], maps=0, sheets=0, chunks=0, render=issue._render,
                 draw_chunk=issue._draw_chunk, print_map=_products._print_map_files,
                 village_sheets=_products._village_sheet_files, write_certificates=_products._write_certificates,
                 map_files=_products._map_files)
    monkeypatch.setattr(_products, "_map_files", _web_map)
    monkeypatch.setattr(_products, "_write_certificates", _keys_when_certificates_start)
    monkeypatch.setattr(issue, "_render", _out_of_ink)
    monkeypatch.setattr(issue, "_draw_chunk", _chunk)
    monkeypatch.setattr(_products, "_print_map_files", _map)
    monkeypatch.setattr(_products, "_village_sheet_files", _sheets)
    # worker threads in this process, so that the patches above reach them
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0", scheduler_port=0
    ) as cl:
        res = run_plan(_plan(tmp_path), out_dir=tmp_path / "out", scheduler=cl.scheduler_address)
    assert _SEEN["chunks"] >= 2 and _SEEN["maps"] == 2 and _SEEN["sheets"] == 2, _SEEN
    # the web map was sent the columns it draws, not the parcels' terrain statistics nor the households
    sent = _SEEN["web_map"]
    assert sent["kwargs"] == ["title"] and "allocations" in sent["columns"], sent
    assert "slope_p90_deg" not in sent["columns"]["parcels"] and "household_sheet" in sent["columns"]["allocations"]
    # the web map's scattered inputs and its page were let go before the certificates
    assert not [key for key in _SEEN["held"] if key.startswith(("map-", "dict-", "Raster-", "DataFrame-"))], _SEEN["held"]
    (no,) = _SEEN["failed"]
    out = tmp_path / "out"
    assert res.villages[VILLAGES[0]] == "ok"
    assert res.villages[bad] == f"certificate {no} not issued: cannot draw the certificate (RuntimeError: out of ink)"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["villages"][bad]["status"] == res.villages[bad] and summary["n_failed"] == 1
    rows = (out / "certificates" / "failed.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1:] == [f"{no},cannot draw the certificate (RuntimeError: out of ink)"]
    register = (out / "certificates" / "register.csv").read_text(encoding="utf-8")
    assert no not in register and f"{bad}-" in register and f"{VILLAGES[0]}-" in register
    pdfs = {p.stem for p in (out / "certificates").rglob("*.pdf")}
    assert no not in pdfs and len(pdfs) == register.count("\n") - 1


def test_a_chunk_lost_on_a_worker_fails_each_of_its_files(tmp_path):
    """A chunk of certificates whose task fails as a whole (a worker lost): each of its files
    is recorded as failed with the reason, the other chunks are written, in task order."""
    import pickle
    from concurrent.futures import Future

    from landuse.certificates import issue

    class Executor:
        def submit(self, fn, chunk):
            chunk = pickle.loads(chunk)  # the tasks travel pickled
            f: Future = Future()
            if any(path.endswith("b3.pdf") for path, *_ in chunk):
                f.set_exception(RuntimeError("worker lost"))
            else:
                f.set_result([(path.encode(), "", []) for path, *_ in chunk])
            return f

    tasks = [(str(tmp_path / f"{c}{i}.pdf"), [], {}, None) for c in "ab" for i in range(5)]
    got = []
    issue._render_on(Executor(), tasks, lambda path, sha, size, error="": got.append((path, size, error)))
    assert [g[0] for g in got] == [t[0] for t in tasks]  # every file, in order
    lost = [g for g in got if g[2]]
    assert lost and all("worker lost" in g[2] and g[1] == -1 for g in lost)
    assert any(g[0].endswith("b3.pdf") for g in lost)
    for path, size, error in got:
        assert Path(path).exists() == (not error)
        if not error:
            assert Path(path).read_bytes() == path.encode() and size == len(path.encode())


def test_warnings_given_on_a_worker_are_logged_again_by_the_command(caplog):
    """What a worker task logs (WARNING and up) or warns comes back with its result and is
    logged again in the command's process (so it reaches run.log); INFO stays behind."""
    import logging
    import warnings

    from landuse.plan.cluster import captured, replay

    def task(x):
        logging.getLogger("landuse.plan").info("chatter")
        logging.getLogger("landuse.plan").warning("sheet %s: no glyph for U+0E00", x)
        warnings.warn("a font is missing", UserWarning, stacklevel=1)
        return x * 2

    result, said = captured(task, 21)
    assert result == 42
    assert said == [
        (logging.WARNING, "landuse.plan", "sheet 21: no glyph for U+0E00"),
        (logging.WARNING, "landuse", "UserWarning: a font is missing"),
    ]
    caplog.clear()  # what the task logged here itself
    with caplog.at_level(logging.INFO, logger="landuse"):
        replay(said)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("landuse.plan", logging.WARNING, "sheet 21: no glyph for U+0E00"),
        ("landuse", logging.WARNING, "UserWarning: a font is missing"),
    ]
