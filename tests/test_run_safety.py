"""Fault injection: a run never loses data, never touches inputs or a user's files, and
never prints a traceback (issue 15: output folder contract, isolation, error policy).

Every test asserts the exit status, the message and the SHA-256 of every input and
unrelated file before and after. Runs use the smallest demo village with a 1 s solver
limit and certificates and map on, so one run takes about half a minute; the refusals
need no run at all. Kills and pauses are injected from a small driver script that wraps
a step of the run in the child process only (``_PAUSE``): the library has no test hook.

Read-only output folder: CI runs the tests as root, and root ignores permission bits,
so the folder is made immutable with ``chattr +i`` (the kernel then answers EPERM to
every write, for root too); a non-root run uses ``chmod 555``.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from landuse import datasets, plan

from landuse.plan import _folder as _outputs
from landuse.cli.main import cli
from landuse.errors import LanduseWarning, OutputExistsError, OutputFolderError

DATA = datasets.get_path("plan").parent
ROOT = Path(__file__).resolve().parents[1]
INPUT_FILES = ("villages.gpkg", "parcels.gpkg", "households.csv", "dem.tif", "histories.csv", "climate.csv",
               "schemes.toml", "forest.gpkg")
INPUT_KEYS = ("villages", "parcels", "households", "dem", "histories", "climate", "schemes", "forest")


def _smallest_villages(n: int) -> list[str]:
    import pandas as pd

    hh = pd.read_csv(datasets.get_path("households"), dtype=str)
    return sorted(hh["village_id"].value_counts().sort_values(kind="mergesort").index[:n])


def _tiny_plan(folder: Path, villages: list[str], *, inputs: dict[str, str] | None = None, **opts: object) -> Path:
    """A plan on copies of the demo inputs: *villages* only, a 1 s solver limit."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = dict(zip(INPUT_KEYS, INPUT_FILES))
    paths.update(inputs or {})
    for key, rel in paths.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / dict(zip(INPUT_KEYS, INPUT_FILES))[key], folder / rel)
    options = {"villages": villages, "time_limit_s": 1, "mip_gap": 0.5, "certificates": True, "map": True, **opts}
    text = ('[plan]\nname = "safety test"\nissue_date = "2026-01-15"\n[inputs]\n'
            + "".join(f'{k} = "{v}"\n' for k, v in paths.items())
            + "[options]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in options.items()))
    path = folder / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hashes(root: Path) -> dict[str, str]:
    """Every file under *root* (hidden ones too) with its SHA-256."""
    return {p.relative_to(root).as_posix(): _sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _entries(folder: Path) -> set[str]:
    return set(os.listdir(folder))


def _one_error_line(text: str) -> str:
    assert "Traceback" not in text, text
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, text
    return errors[0]


def _subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}


def _landuse(*args: object, preexec=None, timeout: float = 900) -> subprocess.CompletedProcess:
    """The real CLI in a child process (what a user sees, tracebacks included)."""
    return subprocess.run([sys.executable, "-c", "from landuse.cli.main import main; main()", "-q",
                           *map(str, args)], capture_output=True, text=True, env=_subprocess_env(),
                          preexec_fn=preexec, timeout=timeout, cwd=ROOT)


def _invoke(*args: object):
    return CliRunner().invoke(cli, ["-q", *map(str, args)])


def _verify_complete(out: Path) -> dict:
    """The folder holds exactly the files of its manifest, with their sizes and hashes."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest)[-1] == "complete" and manifest["complete"] is True
    on_disk = _hashes(out)
    on_disk.pop("manifest.json")
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed == on_disk
    for f in manifest["files"]:
        assert (out / f["path"]).stat().st_size == f["size"]
    return manifest


def _no_leftovers(out: Path) -> None:
    left = [e for e in os.listdir(out.parent) if e.startswith(f".{out.name}.")]
    assert left == []


# -- a previous complete run, shared ---------------------------------------------------------------
@pytest.fixture(scope="module")
def prev(tmp_path_factory) -> tuple[Path, Path]:
    """(plan file, output folder) of one complete run of the smallest village."""
    base = tmp_path_factory.mktemp("prev")
    p = _tiny_plan(base / "in", _smallest_villages(1))
    plan.run_plan(p, out_dir=base / "out")
    return p, base / "out"


def _copy_run(prev_out: Path, dest: Path) -> Path:
    shutil.copytree(prev_out, dest)
    return dest


# -- the manifest ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_writes_a_manifest_of_every_file_and_input(prev):
    p, out = prev
    manifest = _verify_complete(out)
    assert {"plan.gpkg", "map.html", "summary.json", "run.log"} <= {f["path"] for f in manifest["files"]}
    assert any(f["path"].endswith(".pdf") for f in manifest["files"])
    assert set(manifest["inputs"]) == {*INPUT_KEYS, "plan"}
    for key, rel in zip(INPUT_KEYS, INPUT_FILES):
        entry = manifest["inputs"][key]
        assert entry["path"] == str((p.parent / rel).resolve()) and entry["sha256"] == _sha(p.parent / rel)
    assert manifest["inputs"]["plan"]["sha256"] == manifest["plan"]["sha256"] == _sha(p)
    assert ".staging-" not in (out / "run.log").read_text(encoding="utf-8")
    _no_leftovers(out)


# -- the output folder mechanics, directly --------------------------------------------------------
def _write(stage: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text, encoding="utf-8")


def test_output_folder_swaps_whole_runs_and_keeps_the_previous_one_on_failure(tmp_path):
    src = tmp_path / "input.csv"
    src.write_text("a,b\n", encoding="utf-8")
    out, meta = tmp_path / "out", {"name": "unit", "path": None, "sha256": None}
    with _outputs.output_folder(out, inputs={"table": src}, overwrite=False, plan=meta) as stage:
        assert stage.parent == tmp_path and stage.name == f".out.staging-{os.getpid()}"
        _write(stage, {"a.txt": "one", "sub/b.txt": "two"})
        assert not out.exists()  # nothing visible before the end
    first = _verify_complete(out)
    assert [f["path"] for f in first["files"]] == ["a.txt", "sub/b.txt"]
    assert first["inputs"]["table"] == {"path": str(src.resolve()), "size": 4,
                                        "sha256": hashlib.sha256(b"a,b\n").hexdigest()}
    before = _hashes(out)
    # a run that fails half-way: the previous run stays as it was, the staging folder goes
    with pytest.raises(RuntimeError, match="half-way"):
        with _outputs.output_folder(out, inputs={}, overwrite=True, plan=meta) as stage:
            _write(stage, {"a.txt": "new"})
            raise RuntimeError("half-way")
    assert _hashes(out) == before
    _no_leftovers(out)
    # a second run that does not make sub/b.txt: --overwrite replaces the whole previous run
    with _outputs.output_folder(out, inputs={}, overwrite=True, plan=meta) as stage:
        _write(stage, {"a.txt": "new"})
    assert [f["path"] for f in _verify_complete(out)["files"]] == ["a.txt"] and not (out / "sub").exists()
    assert src.read_text(encoding="utf-8") == "a,b\n"


def test_output_folder_lock_names_the_holder_and_stale_staging_is_removed(tmp_path):
    out, meta = tmp_path / "out", {"name": "unit", "path": None, "sha256": None}
    stale = tmp_path / ".out.staging-999999"
    _write(stale, {"plan.gpkg": "half"})  # left by a run killed earlier
    with _outputs.output_folder(out, inputs={}, overwrite=False, plan=meta) as stage:
        assert not stale.exists()
        assert (tmp_path / ".out.lock").read_text().strip() == str(os.getpid())
        with pytest.raises(OutputFolderError, match=rf"another landuse run \(pid {os.getpid()}\) is writing"):
            with _outputs.output_folder(out, inputs={}, overwrite=True, plan=meta):
                pass
        _write(stage, {"a.txt": "one"})
    _verify_complete(out)
    _no_leftovers(out)


# -- refusals: nothing touched -----------------------------------------------------------------------
def test_output_folder_holding_the_inputs_is_refused(tmp_path):
    vid = _smallest_villages(1)
    proj = tmp_path / "proj"
    p = _tiny_plan(proj, vid)
    before, entries = _hashes(tmp_path), _entries(tmp_path)
    for out in (proj, tmp_path):  # the project folder, and a folder above it
        for flag in ((), ("--overwrite",)):
            res = _invoke("run", p, "--out", out, *flag)
            assert res.exit_code == 1
            assert "the output folder holds input" in _one_error_line(res.output)
    # the issue's case: the census lies in the folder the outputs would go to
    p2 = _tiny_plan(tmp_path / "proj2", vid, inputs={"households": "results/tables/households.csv"})
    before2 = _hashes(tmp_path)
    res = _invoke("run", p2, "--out", tmp_path / "proj2" / "results", "--overwrite")
    assert res.exit_code == 1
    assert "holds input 'households' of this run (tables/households.csv)" in _one_error_line(res.output)
    assert _hashes(tmp_path) == before2
    assert {k: v for k, v in _hashes(tmp_path).items() if k.startswith("proj/")} == before
    assert _entries(tmp_path) == entries | {"proj2"}


def test_a_users_files_in_the_output_folder_are_refused(tmp_path):
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "map.html").write_text("<p>my own map</p>", encoding="utf-8")
    (out / "notes.txt").write_text("meeting notes", encoding="utf-8")
    before = _hashes(tmp_path)
    for flag in ((), ("--overwrite",)):
        res = _invoke("run", p, "--out", out, *flag)
        assert res.exit_code == 1
        line = _one_error_line(res.output)
        assert "not from a previous landuse run: 'map.html', 'notes.txt'" in line
        assert "choose an empty output folder" in line
    assert _hashes(tmp_path) == before
    _no_leftovers(out)


@pytest.mark.slow
def test_overwrite_replaces_only_the_files_of_the_previous_run(prev, tmp_path):
    p, prev_out = prev
    out = _copy_run(prev_out, tmp_path / "out")
    inputs = _hashes(p.parent)
    # without --overwrite: a previous run is kept
    res = _invoke("run", p, "--out", out)
    assert res.exit_code == 1 and "holds a previous run" in _one_error_line(res.output)
    # a user's file beside the previous run: refused, --overwrite or not
    (out / "reports" / "notes.txt").write_text("mine", encoding="utf-8")
    before = _hashes(out)
    res = _invoke("run", p, "--out", out, "--overwrite")
    assert res.exit_code == 1 and "'reports/notes.txt'" in _one_error_line(res.output)
    assert _hashes(out) == before
    (out / "reports" / "notes.txt").unlink()
    # a product edited by the user after the run: refused too
    (out / "map.html").write_text("<p>edited</p>", encoding="utf-8")
    before = _hashes(out)
    res = _invoke("run", p, "--out", out, "--overwrite")
    assert res.exit_code == 1 and "changed after it: 'map.html'" in _one_error_line(res.output)
    assert _hashes(out) == before
    # an unreadable manifest: refused
    shutil.copy(prev_out / "map.html", out / "map.html")
    (out / "manifest.json").write_text("", encoding="utf-8")
    res = _invoke("run", p, "--out", out, "--overwrite")
    assert res.exit_code == 1 and "manifest.json is unreadable" in _one_error_line(res.output)
    assert _hashes(p.parent) == inputs


@pytest.mark.slow
def test_old_output_folders_count_as_previous_runs_only_with_known_files(prev, tmp_path):
    p, prev_out = prev
    inputs = {"plan": p}
    out = _copy_run(prev_out, tmp_path / "old")
    (out / "manifest.json").unlink()  # as written before manifests existed
    _outputs.inspect_target(out, inputs=inputs, overwrite=True)  # accepted: a previous run
    with pytest.raises(OutputExistsError, match="holds a previous run"):
        _outputs.inspect_target(out, inputs=inputs, overwrite=False)
    (out / "tables" / "census.csv").write_text("household_id\n", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="'tables/census.csv'"):
        _outputs.inspect_target(out, inputs=inputs, overwrite=True)
    (out / "tables" / "census.csv").unlink()
    (out / "summary.json").unlink()  # no summary: not a landuse run at all
    with pytest.raises(OutputExistsError, match="not from a previous landuse run"):
        _outputs.inspect_target(out, inputs=inputs, overwrite=True)


def test_read_only_output_folder_is_one_line_and_untouched(tmp_path):
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    out = tmp_path / "out"
    out.mkdir()
    before = _hashes(tmp_path)
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(out)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"root, and chattr +i is not permitted here: {made.stderr.decode().strip()}")
        undo = ["chattr", "-i", str(out)]
    else:
        out.chmod(0o555)
        undo = ["chmod", "755", str(out)]
    try:
        res = _landuse("run", p, "--out", out, "--overwrite")
    finally:
        subprocess.run(undo, check=True)
    assert res.returncode == 1
    line = _one_error_line(res.stderr)
    assert "the output folder is not writable" in line and "Fix: choose a folder you can write to" in line
    assert _hashes(tmp_path) == before
    _no_leftovers(out)


def test_non_utf8_plan_and_table_are_one_line(tmp_path):
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    latin = tmp_path / "latin1.toml"
    latin.write_bytes(p.read_bytes().replace(b'name = "safety test"', 'name = "Café"'.encode("latin-1")))
    before = _hashes(tmp_path)
    res = _landuse("run", latin, "--out", tmp_path / "out")
    assert res.returncode == 1
    line = _one_error_line(res.stderr)
    assert "latin1.toml" in line and "not UTF-8 text (line 2)" in line and "save it as UTF-8" in line
    # a census saved in a legacy code page
    hh = tmp_path / "in" / "households.csv"
    hh.write_bytes(hh.read_bytes().replace(b"\n", b" \xe9\xe8\n", 3))
    before = _hashes(tmp_path)
    res = _invoke("run", p, "--out", tmp_path / "out")
    assert res.exit_code == 1
    line = _one_error_line(res.output)
    assert "households.csv" in line and "not UTF-8" in line
    assert _hashes(tmp_path) == before and not (tmp_path / "out").exists()


def test_very_long_names_are_one_line(tmp_path):
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    before = _hashes(tmp_path)
    res = _landuse("run", p, "--out", tmp_path / ("x" * 300))
    assert res.returncode == 1
    line = _one_error_line(res.stderr)
    assert "File name too long" in line and "Fix: use a shorter output folder path" in line
    assert _hashes(tmp_path) == before


def test_unexpected_errors_are_one_line_without_traceback(monkeypatch, tmp_path):
    from landuse.plan import _run as _plan_run

    def boom(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(_plan_run, "load_inputs", boom)
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    res = _invoke("run", p, "--out", tmp_path / "out")
    assert res.exit_code == 1
    assert "unexpected KeyError: 'a bug'. Fix: run again with --debug" in _one_error_line(res.output)
    assert not (tmp_path / "out").exists()
    _no_leftovers(tmp_path / "out")


# -- kills, full disk, concurrent runs (child processes) ---------------------------------------------
_PAUSE = r'''
import os, sys, time
from pathlib import Path


def pause(marker):
    if marker.exists():
        return
    marker.write_text(str(os.getpid()))
    go = Path(str(marker) + ".go")
    while not go.exists():
        time.sleep(0.05)


def patch(point, marker):
    from landuse.plan import _products as _plan_outputs

    if point == "geopackage":  # after the GeoPackage is written
        real = _plan_outputs._write_geopackage

        def after_geopackage(*args, **kwargs):
            out = real(*args, **kwargs)
            pause(marker)
            return out

        _plan_outputs._write_geopackage = after_geopackage
    elif point == "certificates":  # after 20 certificates are written
        import tqdm.auto

        class Bar(tqdm.auto.tqdm):
            def __init__(self, *args, **kwargs):
                self._certs, self._calls = kwargs.get("desc") == "certificates", 0
                super().__init__(*args, **kwargs)

            def update(self, n=1):
                out = super().update(n)
                self._calls += 1
                if self._certs and self._calls >= 20:
                    pause(marker)
                return out

        tqdm.auto.tqdm = Bar


if __name__ == "__main__":  # certificate workers (spawn) import this file as __mp_main__
    patch(sys.argv[1], Path(sys.argv[2]))
    from landuse.cli.main import main

    sys.argv = ["landuse", "-q", *sys.argv[3:]]
    main()
'''


_OPEN_LOGS: list = []


@pytest.fixture(autouse=True)
def _close_paused_logs():
    """The log files of paused runs are closed when their test ends."""
    yield
    while _OPEN_LOGS:
        _OPEN_LOGS.pop().close()


def _paused_run(tmp_path: Path, point: str, *args: object) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "pause_run.py"
    script.write_text(_PAUSE, encoding="utf-8")
    marker = tmp_path / f"paused-{point}"
    log = open(tmp_path / f"paused-{point}.log", "w+", encoding="utf-8")  # a pipe could fill and block
    _OPEN_LOGS.append(log)
    proc = subprocess.Popen([sys.executable, str(script), point, str(marker), *map(str, args)],
                            stdout=log, stderr=subprocess.STDOUT, text=True, env=_subprocess_env(),
                            cwd=ROOT, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    t0 = time.monotonic()
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {point}: {_output(proc)}")
        if time.monotonic() - t0 > 900:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the run did not reach {point}")
        time.sleep(0.1)
    return proc, marker


def _output(proc: subprocess.Popen) -> str:
    proc.log.seek(0)  # type: ignore[attr-defined]
    return proc.log.read()  # type: ignore[attr-defined]


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its certificate workers: a power cut
    proc.wait(timeout=60)


@pytest.mark.slow
def test_killed_after_the_geopackage_then_a_plain_rerun_completes(tmp_path):
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    out = tmp_path / "out"
    inputs = _hashes(p.parent)
    proc, _ = _paused_run(tmp_path, "geopackage", "run", p, "--out", out)
    staging = [e for e in os.listdir(tmp_path) if e.startswith(".out.staging-")]
    assert len(staging) == 1 and (tmp_path / staging[0] / "plan.gpkg").exists()
    _kill(proc)
    assert not out.exists()  # nothing half-made where the outputs go
    res = _landuse("run", p, "--out", out)  # plain: the interrupted run left no "previous run"
    assert res.returncode == 0, res.stderr
    _verify_complete(out)
    _no_leftovers(out)  # the stale staging folder and the lock file are gone
    assert _hashes(p.parent) == inputs


@pytest.mark.slow
def test_killed_during_certificates_leaves_the_previous_run_intact(prev, tmp_path):
    p, prev_out = prev
    out = _copy_run(prev_out, tmp_path / "out")
    before, inputs = _hashes(out), _hashes(p.parent)
    proc, _ = _paused_run(tmp_path, "certificates", "run", p, "--out", out, "--overwrite")
    staging = next(tmp_path.glob(".out.staging-*"))
    assert len(list((staging / "certificates").rglob("*.pdf"))) >= 20
    _kill(proc)
    assert _hashes(out) == before
    _verify_complete(out)
    # the next run (here refused: no --overwrite) removes the stale staging folder
    res = _invoke("run", p, "--out", out)
    assert res.exit_code == 1 and "holds a previous run" in _one_error_line(res.output)
    _no_leftovers(out)
    assert _hashes(out) == before and _hashes(p.parent) == inputs


@pytest.mark.slow
def test_disk_full_is_one_line_and_keeps_the_previous_run(prev, tmp_path):
    p, prev_out = prev
    out = _copy_run(prev_out, tmp_path / "out")
    before, inputs = _hashes(out), _hashes(p.parent)

    def small_disk() -> None:  # every file written may hold 300 kB at most (the GeoPackage is larger)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    res = _landuse("run", p, "--out", out, "--overwrite", preexec=small_disk)
    assert res.returncode == 1
    line = _one_error_line(res.stderr)
    assert "cannot write the outputs" in line and "File too large" in line
    assert "the previous outputs are unchanged" in line and "Fix: " in line
    assert _hashes(out) == before and _hashes(p.parent) == inputs
    _no_leftovers(out)


@pytest.mark.slow
def test_two_concurrent_runs_one_succeeds_one_is_refused(tmp_path):
    p = _tiny_plan(tmp_path / "in", _smallest_villages(1))
    out = tmp_path / "out"
    inputs = _hashes(p.parent)
    first, marker = _paused_run(tmp_path, "geopackage", "run", p, "--out", out)
    second = _landuse("run", p, "--out", out)
    assert second.returncode == 1
    assert f"another landuse run (pid {first.pid}) is writing to this output folder" in _one_error_line(
        second.stderr)
    Path(str(marker) + ".go").write_text("go")
    assert first.wait(timeout=900) == 0, _output(first)
    _verify_complete(out)
    _no_leftovers(out)
    assert _hashes(p.parent) == inputs


# -- isolation of the later steps --------------------------------------------------------------------
@pytest.mark.slow
def test_a_failing_later_step_fails_only_its_village(tmp_path, monkeypatch):
    import landuse.certificates.issue  # the submodules patched below (the lazy packages do not load them)
    import landuse.maps.web  # noqa: F401
    from landuse import certificates, maps

    from landuse.plan import _report as _plan_report
    bad, good = _smallest_villages(2)
    p = _tiny_plan(tmp_path / "in", [bad, good])

    def breaks_on(real, pick):
        def wrapped(*args, **kwargs):
            if bad in pick(*args, **kwargs):
                raise ValueError(f"simulated failure for {bad}")
            return real(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(maps.web, "interactive_map", breaks_on(
        maps.interactive_map, lambda layers, **kw: set(layers["villages"]["village_id"])))
    monkeypatch.setattr(certificates.issue, "write_certificates", breaks_on(
        certificates.write_certificates, lambda alloc, **kw: set(alloc["village_id"])))
    monkeypatch.setattr(_plan_report, "village_page", breaks_on(
        _plan_report.village_page, lambda plan_, village, result, *a, **kw: {result.village_id}))
    out = tmp_path / "out"
    res = _invoke("run", p, "--out", out)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"village {bad} FAILED: map: ValueError: simulated failure for {bad}; certificates: " in res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["villages"][good]["status"] == "ok" and summary["n_failed"] == 1
    status = summary["villages"][bad]["status"]
    assert [part.split(":")[0] for part in status.split("; ")] == ["map", "certificates", "report"]
    # the other village's products are all there
    import pyogrio

    alloc = pyogrio.read_dataframe(out / "plan.gpkg", layer="allocations")
    assert set(alloc["village_id"]) == {bad, good}  # the GeoPackage step did not fail
    assert f'"{good}"' in (out / "map.html").read_text(encoding="utf-8")
    assert f'"{bad}"' not in (out / "map.html").read_text(encoding="utf-8")
    assert list((out / "certificates" / good).glob("*.pdf")) and not (out / "certificates" / bad).exists()
    assert (out / "reports" / f"{good}.html").exists() and not (out / "reports" / f"{bad}.html").exists()
    assert bad in (out / "reports" / "index.html").read_text(encoding="utf-8")
    _verify_complete(out)


def test_map_draws_3d_and_far_away_features_without_crashing(one_ha_parcels):
    import shapely
    import shapely.affinity

    from landuse import maps

    z = one_ha_parcels.copy()
    z["geometry"] = shapely.force_3d(z.geometry.to_numpy(), 250.0)
    with pytest.warns(LanduseWarning, match="6 geometries have Z values"):
        html = maps.render_html(maps.interactive_map({"parcels": z}))
    assert "P5" in html
    far = one_ha_parcels.copy()
    far.loc[far.index[0], "geometry"] = shapely.affinity.translate(far.geometry.iloc[0], 1e9, 1e9)
    with pytest.warns(LanduseWarning, match=r"1 feature\(s\) \(first: 'P0'\) lie outside longitude"):
        layer = maps.map_layer_data(far, name="parcels")
    assert len(layer["geoms"]) == 5 and "P0" not in json.dumps(layer["data"])
    with pytest.warns(LanduseWarning, match="lie outside longitude"):
        html = maps.render_html(maps.interactive_map({"parcels": far}))
    assert "P1" in html and "P0" not in html
