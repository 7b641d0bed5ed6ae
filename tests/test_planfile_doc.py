"""docs/planfile.md: its examples load with the plan-file reader, and it documents every key the reader accepts."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from landuse.field import plan_imports
from landuse.plan import PlanOptions, load_plan, planfile

DOC = Path(__file__).resolve().parents[1] / "docs" / "planfile.md"


def _blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _touch_paths(text: str, base: Path) -> None:
    """Create every file the example names (load_plan checks that they exist, not their content)."""
    for key, value in re.findall(r'^(\w+) = "([^"]+)"', text, flags=re.M):
        if key in ("name", "timezone"):
            continue
        p = base / value
        if key == "walks":
            p.mkdir(parents=True, exist_ok=True)
            (p / "v1.gpx").write_text("<gpx/>", encoding="utf-8")
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("", encoding="utf-8")


def test_the_full_example_loads_with_every_value(tmp_path):
    full, _imports = _blocks()[:2]
    _touch_paths(full, tmp_path)
    plan = load_plan(text=full, base_dir=tmp_path)
    assert plan.name == "Xay district 2026" and str(plan.issue_date) == "2026-01-15"
    assert sorted(plan.inputs) == ["climate", "dem", "forest", "histories", "households", "parcels", "schemes",
                                   "villages"]
    assert plan.rules["zoning"] == (tmp_path / "rules/zoning.toml").resolve()
    assert plan.options == PlanOptions()  # the example shows the defaults
    assert plan.certificate.key_file == (tmp_path / "district/xay.pem").resolve()
    assert plan.certificate.timezone == "Asia/Vientiane" and plan.certificate.pades is False


def test_the_imports_example_loads(tmp_path):
    text = _blocks()[1]
    _touch_paths(text, tmp_path)
    plan = load_plan(text=text, base_dir=tmp_path)
    assert [p.name for p in plan.imports["walks"]] == ["v1.gpx"]
    assert plan.imports["options"] == {"snap_m": 15.0, "simplify_m": 2.0, "spike_m": 60.0, "stop_radius_m": 5.0,
                                       "max_closure_gap_m": 500.0}


def _accepted_keys() -> dict[str, list[str]]:
    """Every table and key the reader accepts, read from its schema (and [imports]' key lists)."""
    tables = {name: list(spec.schema.keys) for name, spec in planfile._SCHEMA.keys.items()
              if spec.schema is not None}
    tables["imports"] = list(plan_imports.IMPORT_KEYS) + list(plan_imports._NUMBERS)
    return tables


def test_every_table_and_key_the_reader_accepts_is_documented():
    doc = DOC.read_text(encoding="utf-8")
    tables = _accepted_keys()
    assert set(tables) == set(planfile._SCHEMA.keys)  # no table without its key list
    assert len(tables["options"]) == len(dataclasses.fields(PlanOptions))
    for name, keys in tables.items():
        section = re.search(rf"^### `\[{name}\]`.*?(?=^### |^## )", doc, flags=re.S | re.M)
        assert section, f"no section for [{name}]"
        for key in keys:
            assert re.search(rf"^\| `{key}` \|", section.group(0), flags=re.M), f"[{name}] {key} undocumented"


@pytest.mark.parametrize("field", dataclasses.fields(PlanOptions), ids=lambda f: f.name)
def test_documented_option_defaults_are_the_code_defaults(field):
    doc = DOC.read_text(encoding="utf-8")
    row = re.search(rf"^\| `{field.name}` \| [^|]+ \| `([^`]+)`", doc, flags=re.M)
    assert row, field.name
    default = field.default
    shown = {(): "[]", False: "false", True: "true"}.get(default, None) if not isinstance(default, float) \
        else f"{default:g}"
    assert row.group(1) == shown
