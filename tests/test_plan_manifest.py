"""The output folder's manifest: every file listed once, with its size and SHA-256.

The manifest lists a province run's 357,000 files; it now walks the folder with plain
strings and hashes in a few threads. These tests compare it with an independent oracle
(``pathlib`` walk, ``hashlib`` over the whole bytes) and with the former Path-per-file walk
rebuilt here, on a folder with nested, empty, large, hostile-named and symlinked entries.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from landuse.plan import _folder


def _walk_with_paths(target: Path) -> tuple[list[str], list[str]]:
    """The former ``_walk`` (a Path object per file and folder)."""
    files, dirs = [], []
    for root, dnames, fnames in os.walk(target, followlinks=False):
        rel_root = Path(root).relative_to(target)
        for d in list(dnames):
            p = Path(root) / d
            if p.is_symlink():
                dnames.remove(d)
                files.append((rel_root / d).as_posix())
            else:
                dirs.append((rel_root / d).as_posix())
        files.extend((rel_root / f).as_posix() for f in fnames)
    return sorted(files), sorted(dirs)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    top = tmp_path / "run"
    (top / "certificates" / "V 1" / "deep" / "er").mkdir(parents=True)
    (top / "empty-dir").mkdir()
    (top / "households" / "ບ້ານ<1>").mkdir(parents=True)
    (top / "summary.json").write_text("{}\n", encoding="utf-8")
    (top / "empty.csv").write_bytes(b"")
    (top / "certificates" / "V 1" / "a b.pdf").write_bytes(bytes(range(256)) * 9000)  # > 1 MiB: several reads
    (top / "certificates" / "V 1" / "deep" / "er" / "x.pdf").write_bytes(b"%PDF-1.7\n")
    (top / "households" / "ບ້ານ<1>" / "'; drop.html").write_text("<p>ok</p>", encoding="utf-8")
    for k in range(150):  # more files than one thread's chunk
        (top / "households" / f"h{k:03d}.html").write_bytes(f"sheet {k}".encode() * (k + 1))
    (top / "link-to-file.csv").symlink_to(top / "summary.json")
    (top / _folder.MANIFEST).write_text("old", encoding="utf-8")  # never listed in itself
    return top


def test_walk_equals_the_former_path_walk(folder: Path):
    (folder / "link-to-dir").symlink_to(folder / "certificates", target_is_directory=True)
    assert _folder._walk(folder) == _walk_with_paths(folder)
    assert "link-to-dir" in _folder._walk(folder)[0]  # a symlinked folder is a file, not walked into
    assert not any(f.startswith("link-to-dir/") for f in _folder._walk(folder)[0])
    assert _folder._walk(folder / "certificates") == _walk_with_paths(folder / "certificates")


def test_manifest_lists_every_file_with_its_size_and_sha256(folder: Path):
    got = _folder.manifest(folder, inputs={}, plan={"name": "p"})
    oracle = sorted(
        (p.relative_to(folder).as_posix(), p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in folder.rglob("*") if p.is_file() and p.name != _folder.MANIFEST)
    assert [(f["path"], f["size"], f["sha256"]) for f in got["files"]] == oracle
    assert len(oracle) == 156 and got["complete"] is True


def test_manifest_hashes_in_order_whatever_the_thread_count(folder: Path, monkeypatch):
    many = _folder.manifest(folder, inputs={}, plan={})
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert _folder.manifest(folder, inputs={}, plan={}) == many


def test_manifest_raises_the_first_unreadable_file_in_order(folder: Path):
    for name in ("z-dir-link", "a-dir-link"):  # folders behind symlinks are listed as files, cannot be hashed
        (folder / name).symlink_to(folder / "empty-dir", target_is_directory=True)
    with pytest.raises(IsADirectoryError) as err:
        _folder.manifest(folder, inputs={}, plan={})
    assert str(err.value.filename).endswith("a-dir-link")
