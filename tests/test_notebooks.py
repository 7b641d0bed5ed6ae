"""Every tutorial notebook runs top to bottom on the bundled demo (they can never go stale)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


# -- stored with their outputs (make notebooks: tools/run_notebooks.py) ---------------------
def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(o) -> str:
    parts = [o.get("text", "")] + [v if isinstance(v, str) else "".join(v) for k, v in o.get("data", {}).items()
                                   if k.startswith("text/")]
    return "".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_with_reproducible_outputs(path):
    import sys

    assert path.stat().st_size < 2_000_000
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "run `make notebooks`: a cell was never executed"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # top to bottom, once
    outs = _outputs(nb)
    assert outs and not [o for o in outs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) or "text/html" in o.get("data", {}) for o in outs)
    assert "language_info" not in nb.metadata and not any("execution" in c.metadata for c in nb.cells)
    text = "".join(_text(o) for o in outs)
    for machine in (str(Path(__file__).resolve().parents[1]), sys.prefix, " at 0x"):
        assert machine not in text, machine


@pytest.mark.parametrize("stem", ["01_quickstart", "02_zoning_and_allocation"])
def test_quickstart_and_allocation_show_a_static_map_a_web_map_and_a_chart(stem):
    nb = nbformat.read(next(p for p in NOTEBOOKS if p.stem == stem), as_version=4)
    outs = _outputs(nb)
    pngs = [o for o in outs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2  # the static plan map and at least one chart
    maps = [o["data"]["text/html"] for o in outs if "<iframe srcdoc=" in o.get("data", {}).get("text/html", "")]
    assert len(maps) == 1
    import re

    assert "leaflet" in maps[0].lower()
    # offline: no script, style sheet or image loaded from the network (an attribution link is no request)
    assert not re.search(r"&lt;(script|link|img)\b[^&]*(?:&(?!gt;)[^&]*)*?(src|href)=&quot;(https?:)?//", maps[0])
