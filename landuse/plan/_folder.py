"""The output folder of a run (private): manifest, staging, swap and lock.

A run never writes into its output folder directly. It builds every product in a
staging folder beside the target (``.<name>.staging-<pid>``, same filesystem), writes
``manifest.json`` there last (each file's relative path, size and SHA-256, the inputs
with their paths and hashes, the landuse version, the plan's hash and ``"complete":
true``), and then swaps the staging folder with the target in one rename. All of this
happens under an advisory lock (``fcntl.flock`` on ``.<name>.lock`` beside the target).

Before anything is written the target is inspected: a run refuses when the folder holds
one of its inputs, or any file that is not listed in the manifest of a previous run
(an old folder without manifest counts as a previous run only when every file in it is
a product landuse writes); a previous run is replaced only with ``overwrite=True``.

So an interrupted run (power cut, kill, full disk) leaves the previous complete run as
it was, plus a stale staging folder that the next run removes; a concurrent run into the
same folder is refused with the pid of the run holding the lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fnmatch
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import landuse
from landuse.errors import LanduseError, OutputExistsError, OutputFolderError

__all__ = ["MANIFEST", "environment_error", "os_error_text", "output_folder", "sha256_file"]

log = logging.getLogger("landuse.plan")

MANIFEST = "manifest.json"

#: Products landuse writes into a run's folder (relative paths, ``*`` = one path part).
#: An old output folder (``summary.json`` but no manifest) counts as a previous run
#: only when every file in it matches one of these.
KNOWN_PRODUCTS = (
    "plan.gpkg", "map.html", "run.log", "summary.json", "demo_data.json", MANIFEST,
    *(f"tables/{t}.csv" for t in ("check", "check_summary", "zone_table", "households", "fallow_plots", "fallow_cycles",
                                  "land_demand", "conflicts", "parcel_metrics", "irrigation_summary",
                                  "irrigation_monthly")),
    "tables/households.xlsx", "reports/*.html", "irrigation/*.md", "maps/*.png",
    "certificates/register.csv", "certificates/register.gpkg", "certificates/*/*.pdf",
    "households/*/*.html", "households/*/*.pdf", "households/NotoSansLao.ttf", "households/NotoSansLao-OFL.txt",
)

#: errno values that say the place or the disk is the problem, not the data.
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                                errno.EPERM, errno.ENAMETOOLONG, errno.EIO})

_HINTS = {
    errno.ENOSPC: "free space on the disk, or choose an output folder on a disk with more space",
    errno.EDQUOT: "free space within your disk quota, or choose an output folder elsewhere",
    errno.EFBIG: "a file grew beyond the size allowed here; free space or raise the limit "
                 "(ulimit -f), or choose an output folder on another disk",
    errno.EROFS: "the disk is read-only; choose an output folder on a writable disk",
    errno.EACCES: "choose a folder you can write to, or change its permissions",
    errno.EPERM: "choose a folder you can write to, or change its permissions (or chattr -i)",
    errno.ENAMETOOLONG: "use a shorter output folder path, or shorter ids",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.EIO: "the disk reported an input/output error; check the disk or USB stick",
}


def sha256_file(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _size_and_sha256(path: str) -> tuple[int, str]:
    """``(size [bytes], SHA-256 hex)`` of a file: its size from ``stat``, its hash by :func:`sha256_file`."""
    return os.stat(path).st_size, sha256_file(path)


def _sizes_and_sha256(folder: Path, rels: Sequence[str]) -> list[tuple[int, str]]:
    """:func:`_size_and_sha256` of each file under *folder*, in the order of *rels*.

    Hashed in a few threads (``hashlib`` and file reads release the GIL), so reading a
    province run's files (16 GB) from the disk and hashing them overlap; the first
    error is raised as a plain loop would raise it.
    """
    paths = [os.path.join(folder, r) for r in rels]
    n = min(4, os.cpu_count() or 1, len(paths))
    if n <= 1:
        return [_size_and_sha256(p) for p in paths]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="landuse-manifest") as pool:
        return list(pool.map(_size_and_sha256, paths, chunksize=64))


def os_error_text(exc: OSError) -> tuple[str, str]:
    """``(message, fix)`` for an OSError, naming its file; used by the library and the CLI."""
    name = exc.filename if exc.filename is not None else None
    what = exc.strerror or type(exc).__name__
    if exc.filename2 is not None:
        name = f"{exc.filename} -> {exc.filename2}"
    msg = f"{name}: {what}" if name else str(what)
    return msg, _HINTS.get(exc.errno or 0, "check the path, the disk and the permissions, then run again")


def environment_error(exc: BaseException, *, folder: Path | None = None) -> OSError | None:
    """The OSError (disk full, permission, read-only, name too long) behind *exc*, if any.

    GDAL and other C libraries report such failures in their own exception types
    ("Failed to commit transaction"); the chain (``__cause__``/``__context__``) and the
    messages are searched, and when they say nothing and *folder* is given, writing 1 MiB
    there tells whether the disk takes more data.
    """
    found = _chained_os_error(exc)
    if found is None and folder is not None:
        found = _probe_space(folder)
    return found


def _probe_space(folder: Path, *, size: int = 1 << 20) -> OSError | None:
    probe = Path(folder) / f".landuse-space-test-{os.getpid()}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        if exc.errno in ENVIRONMENT_ERRNOS:
            return OSError(exc.errno, exc.strerror, str(folder))
        return None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def _chained_os_error(exc: BaseException) -> OSError | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and not isinstance(cur, LanduseError) and cur.errno in ENVIRONMENT_ERRNOS:
            return cur
        text = str(cur)
        for code, marker in ((errno.ENOSPC, "No space left on device"), (errno.EFBIG, "File too large"),
                             (errno.EROFS, "Read-only file system"), (errno.EDQUOT, "Disk quota exceeded"),
                             (errno.ENOSPC, "database or disk is full")):
            if marker in text:
                return OSError(code, os.strerror(code))
        cur = cur.__cause__ or cur.__context__
    return None


# -- lock -----------------------------------------------------------------------------------
class _Lock:
    """An exclusive, non-blocking ``flock`` on a lock file holding the owner's pid."""

    def __init__(self, path: Path, target: Path) -> None:
        self.path, self.target, self.fd = path, target, -1

    def acquire(self) -> None:
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise OutputFolderError(
                    f"another landuse run (pid {holder}) is writing to this output folder",
                    source=str(self.target),
                    hint="wait until it has finished, or choose another output folder") from None
            # the previous owner may have removed the file between our open and flock
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd < 0:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)  # closing releases the flock
        self.fd = -1


# -- inspection of the target ---------------------------------------------------------------
def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    parts = rel.split("/")
    for pat in patterns:
        pp = pat.split("/")
        if len(pp) == len(parts) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts, pp)):
            return True
    return False


def _walk(target: Path) -> tuple[list[str], list[str]]:
    """Files (symlinks included) and folders under *target*, relative POSIX paths, sorted."""
    files, dirs = [], []
    top = os.fspath(target)
    for root, dnames, fnames in os.walk(top, followlinks=False):
        # relative names by string slicing (not a Path per file: 357,000 files in a province run)
        prefix = "" if root == top else root[len(top) + 1:].replace(os.sep, "/") + "/"
        for d in list(dnames):
            if os.path.islink(os.path.join(root, d)):
                dnames.remove(d)
                files.append(prefix + d)
            else:
                dirs.append(prefix + d)
        files.extend(prefix + f for f in fnames)
    return sorted(files), sorted(dirs)


def _name_few(paths: list[str], n: int = 3) -> str:
    shown = ", ".join(repr(p) for p in paths[:n])
    return shown + (f" and {len(paths) - n} more" if len(paths) > n else "")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a previous run in *folder*, or None when there is none."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = [str(f["path"]) for f in data["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OutputExistsError(
            f"the previous run's {MANIFEST} is unreadable ({type(exc).__name__})", source=str(path),
            hint="choose an empty output folder, or remove the folder's contents yourself") from None
    data["_paths"] = set(files) | {MANIFEST}
    return data


def inspect_target(target: Path, *, inputs: Mapping[str, Path], overwrite: bool,
                   outside: Mapping[str, Path] | None = None) -> None:
    """Refuse (raise) when *target* may not receive this run's products; see the module doc.

    *outside* names further files (the district register, the signing key) that must not
    lie inside *target* but are not inputs listed in the manifest.
    """
    if target.exists() and not target.is_dir():
        raise OutputExistsError("the output path is a file, not a folder", source=str(target),
                                hint="choose a folder name for --out")
    resolved = {k: Path(v).resolve() for k, v in {**(outside or {}), **inputs}.items()}
    for key, p in sorted(resolved.items()):
        if p == target or target in p.parents:
            raise OutputExistsError(
                f"the output folder holds input {key!r} of this run ({p.relative_to(target).as_posix()})",
                source=str(target),
                hint="choose an empty output folder outside the folders of the inputs "
                     "(for example --out out/run1); outputs never replace inputs")
    if not target.exists():
        return
    files, dirs = _walk(target)
    if not files and not dirs:
        return
    ids = {}
    for key, p in resolved.items():
        with contextlib.suppress(OSError):
            st = p.stat()
            ids[(st.st_dev, st.st_ino)] = key
    for rel in files:
        with contextlib.suppress(OSError):
            st = (target / rel).stat()
            if (st.st_dev, st.st_ino) in ids:
                raise OutputExistsError(
                    f"the output folder holds input {ids[(st.st_dev, st.st_ino)]!r} of this run ({rel})",
                    source=str(target),
                    hint="choose an empty output folder outside the folders of the inputs")
    manifest = read_manifest(target)
    if manifest is not None:
        listed = manifest["_paths"]
    elif (target / "summary.json").is_file():
        # an output folder of landuse from before manifests: a previous run when every
        # file is a landuse product; the others are named below
        listed = {f for f in files if _matches(f, KNOWN_PRODUCTS)}
    else:
        listed = set()
    ancestors = {"/".join(f.split("/")[:i]) for f in listed for i in range(1, f.count("/") + 1)}
    unknown = [f for f in files if f not in listed] + [d for d in dirs if d not in ancestors]
    if unknown:
        raise OutputExistsError(
            f"the output folder holds {len(unknown)} file(s) or folder(s) that are not from a previous "
            f"landuse run: {_name_few(unknown)}",
            source=str(target),
            hint="choose an empty output folder, or move those files away "
                 "(--overwrite replaces only the files of a previous run)")
    if overwrite and manifest is not None:
        changed = [f["path"] for f in manifest["files"] if (target / f["path"]).is_file()
                   and ((target / f["path"]).stat().st_size != f.get("size")
                        or sha256_file(target / f["path"]) != f.get("sha256"))]
        if changed:
            raise OutputExistsError(
                f"{len(changed)} file(s) of the previous run were changed after it: {_name_few(changed)}",
                source=str(target),
                hint="move them away first (they may hold your edits), or choose another output folder")
    if not overwrite:
        raise OutputExistsError("the output folder holds a previous run", source=str(target),
                                hint="choose another folder, or pass --overwrite (overwrite=True) to "
                                     "replace the files of the previous run")


def _probe_writable(folder: Path) -> None:
    probe = folder / f".landuse-write-test-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        msg, hint = os_error_text(exc)
        raise OutputFolderError(f"the output folder is not writable ({exc.strerror})", source=str(folder),
                                hint=hint) from None


# -- commit -----------------------------------------------------------------------------------
def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def manifest(folder: Path, *, inputs: Mapping[str, Path], plan: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of *folder*'s files (no timestamps: the same run gives the same bytes)."""
    files = [f for f in _walk(folder)[0] if f != MANIFEST]
    return {
        "landuse_version": landuse.__version__,
        "plan": dict(plan),
        "inputs": {k: {"path": str(Path(p).resolve()), "size": Path(p).stat().st_size,
                       "sha256": sha256_file(p)} for k, p in sorted(inputs.items())},
        "files": [{"path": f, "size": size, "sha256": sha}
                  for f, (size, sha) in zip(files, _sizes_and_sha256(folder, files), strict=True)],
        "complete": True,
    }


def _commit(staging: Path, target: Path, *, inputs: Mapping[str, Path], plan: Mapping[str, Any]) -> None:
    data = manifest(staging, inputs=inputs, plan=plan)
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    with open(staging / MANIFEST, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if hasattr(os, "sync"):
        os.sync()  # every product on disk before the swap makes it visible
    if not target.exists():
        os.rename(staging, target)
        return
    with contextlib.suppress(OSError):
        os.chmod(staging, target.stat().st_mode & 0o7777)
    if _renameat2_exchange(staging, target):
        shutil.rmtree(staging)  # now the previous run
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old)


def _recover(target: Path) -> None:
    """Under the lock: remove stale staging folders, restore a run interrupted mid-swap."""
    parent, name = target.parent, target.name
    with contextlib.suppress(OSError):
        for probe in target.glob(".landuse-write-test-*"):  # left by a run killed while probing
            probe.unlink()
    try:
        entries = sorted(os.listdir(parent))
    except OSError:
        return
    for entry in entries:
        p = parent / entry
        if entry.startswith(f".{name}.staging-"):
            log.warning("removing %s, left by an interrupted run", p)
            shutil.rmtree(p, ignore_errors=True)
        elif entry.startswith(f".{name}.old-"):
            if not target.exists() and (p / MANIFEST).exists():
                log.warning("restoring the previous run from %s (a run was interrupted while "
                            "moving its outputs into place)", p)
                os.rename(p, target)
            else:
                shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def output_folder(out: str | os.PathLike, *, inputs: Mapping[str, Path], overwrite: bool,
                  plan: Mapping[str, Any], outside: Mapping[str, Path] | None = None) -> Iterator[Path]:
    """Yield a staging folder; on success its files replace the run in *out* (see the module doc).

    Parameters
    ----------
    out : path-like
        The output folder.
    inputs : mapping
        Input name → path (the plan file and rule files included); none may lie inside
        *out*, each is listed with its hash in the manifest.
    overwrite : bool
        Replace a previous run (only the files of its manifest).
    plan : mapping
        What the manifest says of the plan (name, path, sha256).
    outside : mapping, optional
        Name → path of files that persist beyond runs (the district register, the signing
        key): none may lie inside *out*; they are not hashed into the manifest.

    Raises
    ------
    OutputExistsError
        The folder holds an input, a file not from a previous run, or a previous run
        without ``overwrite``.
    OutputFolderError
        The folder is locked by another run, not writable, on a full disk, or a mount point.
    """
    target = Path(out).resolve()
    if target.exists() and os.path.ismount(target):
        raise OutputFolderError("the output folder is the root of a disk (a mount point)", source=str(target),
                                hint="choose a folder inside it, for example --out <disk>/landuse-run")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = _Lock(target.parent / f".{target.name}.lock", target)
        lock.acquire()
    except OSError as exc:
        if isinstance(exc, LanduseError):
            raise
        msg, hint = os_error_text(exc)
        raise OutputFolderError(f"cannot prepare the output folder ({msg})", source=str(target),
                                hint=hint) from None
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    try:
        _recover(target)
        if target.exists():
            _probe_writable(target)
        inspect_target(target, inputs=inputs, overwrite=overwrite, outside=outside)
        try:
            staging.mkdir()
            yield staging
            _commit(staging, target, inputs=inputs, plan=plan)
        except LanduseError:
            raise
        except Exception as exc:
            env = environment_error(exc, folder=staging if staging.exists() else None)
            if env is None:
                raise
            msg, hint = os_error_text(env)
            msg = msg.replace(str(staging), str(target))
            if env.filename is None or str(target) in msg:
                msg = f"cannot write the outputs ({msg}); the previous outputs are unchanged"
            else:
                msg = f"cannot use a file ({msg}); nothing was written"
            raise OutputFolderError(msg, source=str(target), hint=hint) from exc
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        lock.release()
