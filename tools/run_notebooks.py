"""Execute the tutorial notebooks in place, so that they are stored with their outputs.

``make notebooks`` runs this: every ``notebooks/*.ipynb`` (or the ones named) is executed
top to bottom with nbclient in a scratch folder, then written back with its outputs,
made as reproducible as a notebook allows:

- no execution timestamps (``record_timing=False``), no kernel ``language_info`` (it names
  the Python patch version), no widget state, cell ids numbered in order;
- machine paths in text outputs (the repository, the virtual environment, the scratch
  folder, the temporary folder) replaced by short placeholders;
- PNG outputs re-encoded as palette PNGs (256 colours, zlib level 9), which keeps maps
  and charts readable at a third of the size or less.

A notebook above ``MAX_BYTES`` is an error: reduce what it displays.

Run: ``python tools/run_notebooks.py [notebooks/01_quickstart.ipynb ...]`` from the
repository root (with the package importable, e.g. ``PYTHONPATH=$PWD``).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import sys
import sysconfig
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 2_000_000


def _compress_png(data: str) -> str:
    """A base64 PNG re-encoded with a 256-colour palette (never larger than it was)."""
    raw = base64.b64decode(data)
    with Image.open(io.BytesIO(raw)) as im:
        rgb = im.convert("RGB")
    pal = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    pal.save(out, format="PNG", optimize=True, compress_level=9)
    small = out.getvalue()
    return base64.b64encode(small if len(small) < len(raw) else raw).decode("ascii")


def _scrub_text(text: str, replacements: list[tuple[str, str]]) -> str:
    tmp = re.escape(tempfile.gettempdir())
    text = re.sub(tmp + r"/ipykernel_\d+/\d+\.py", "<cell>", text)  # a warning's cell "file"
    text = re.sub(tmp + r"/tmp[\w-]+", "<tmp>", text)  # tempfile.mkdtemp() folders
    for old, new in replacements:
        text = text.replace(old, new)
    return re.sub(r" at 0x[0-9a-f]+>", ">", text)  # object addresses


def clean(nb: nbformat.NotebookNode, replacements: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Strip what changes from run to run; compress PNG outputs; scrub machine paths."""
    nb.metadata.pop("language_info", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell["id"] = f"cell-{i:02d}"  # stable ids (nbformat 4.5 wants one per cell)
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = _scrub_text(out["text"], replacements)
            data = out.get("data", {})
            if "image/png" in data:
                data["image/png"] = _compress_png(data["image/png"])
            for kind in ("text/plain", "text/html"):
                if kind in data:
                    text = data[kind] if isinstance(data[kind], str) else "".join(data[kind])
                    data[kind] = _scrub_text(text, replacements)
            if out.get("output_type") == "error":
                raise RuntimeError(f"{cell.source[:80]!r} failed: {out.get('ename')}: {out.get('evalue')}")
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    return nb


def run(path: Path) -> int:
    """Execute *path* in place; return its size in bytes."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="landuse-nb-") as scratch:
        client = NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": scratch}})
        client.execute()
        replacements = [(str(ROOT), "<repo>"), (sysconfig.get_paths()["purelib"], "<site-packages>"),
                        (sys.prefix, "<venv>"), (scratch, "<scratch>")]
        nb = clean(nb, replacements)
    text = nbformat.writes(nb, version=4)
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    if len(data) > MAX_BYTES:
        raise RuntimeError(f"{path.name} is {len(data) / 1e6:.2f} MB with its outputs (at most "
                           f"{MAX_BYTES / 1e6:.0f} MB): display less")
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks named on the command line, or all of them."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for p in paths:
        size = run(p)
        print(f"{p.name}: {size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
