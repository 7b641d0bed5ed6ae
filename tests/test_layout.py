"""The package's floor plan (issue 17), measured from its own source by tools/layout.py.

One room per capability: few top-level entries, no import cycles, no private name used
across rooms, no function too long to read, and imports inside functions only where
they defer a heavy dependency (with a comment saying so).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "layout.py"


@pytest.fixture(scope="module")
def layout():
    spec = importlib.util.spec_from_file_location("layout_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.measure()


def test_at_most_twenty_top_level_entries(layout):
    assert len(layout["entries"]) <= 20, layout["entries"]


def test_no_import_cycles(layout):
    assert layout["cycles"] == []


def test_no_private_names_across_rooms(layout):
    assert layout["private_across"] == []


def test_no_function_over_120_lines(layout):
    assert layout["long_functions"] == []


def test_function_local_imports_say_why(layout):
    assert layout["uncommented"] == []


def test_the_tool_sees_a_cycle_and_a_private_import(tmp_path, monkeypatch):
    """The measure can fail: a made-up package with a cycle and a private import is caught."""
    spec = importlib.util.spec_from_file_location("layout_tool2", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pkg = tmp_path / "landuse"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "one.py").write_text("from landuse.b._two import _hidden\n")
    (pkg / "b").mkdir()
    (pkg / "b" / "__init__.py").write_text("")
    (pkg / "b" / "_two.py").write_text("import landuse.a.one\n\ndef _hidden():\n    pass\n")
    (pkg / "b" / "three.py").write_text("def many(a, b, c, d, e):\n    pass\n\ndef _fine(a, b, c, d, e):\n    pass\n")
    monkeypatch.setattr(module, "ROOT", pkg)
    found = module.measure()
    assert found["cycles"] == ["landuse.a.one <-> landuse.b._two"]
    assert len(found["private_across"]) == 1 and found["private_across"][0].endswith("landuse.b._two._hidden")
    assert len(found["positional"]) == 1 and "many (5 positional)" in found["positional"][0]


def test_public_functions_take_options_keyword_only(layout):
    assert layout["positional"] == []
