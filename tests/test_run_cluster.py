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


@pytest.mark.slow
def test_run_on_a_tcp_cluster_equals_the_local_run(cluster, tmp_path):
    from distributed import Client

    plan = _plan(tmp_path)
    local = _run(plan, tmp_path / "local")
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
            for v, s in json.loads((tmp_path / run / "summary.json").read_text(encoding="utf-8"))[
                "villages"
            ].items()
        }
        for run in ("local", "remote")
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
