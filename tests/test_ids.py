"""Safe identifiers (`landuse._validate.ids`): hostile ids never leave the output folder, never
become a dangerous link, and honest ids are kept as they are (issue 15)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import SimpleNamespace

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from landuse._validate import ids as _ids
from landuse.errors import SchemaError

HOSTILE = [
    "../victim", "../../etc/passwd", "/abs/path", "..\\victim", "C:\\Windows\\x", "..", ".",
    "javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", "data:text/html,<script>x</script>",
    "CON", "con.txt", "LPT1", "nul", "a" * 300, "x\x00y", "line\nbreak", "tab\there", "\u202eevil",
    "ບ້ານ", "-rf", ".hidden", "trailing.", "sp ace", "q'uote\"", "<b>", "a/../../b", "%2e%2e%2f",
    "", "~", "a~b",
]
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}

ids = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=0, max_size=300),
    st.text(alphabet=string.ascii_letters + string.digits + "./\\:-_ ~%", max_size=80),
    st.builds(lambda a, b: f"{a}/{'..' if b else '.'}/{a}", st.text(max_size=10), st.booleans()),
)


def _component_is_safe(name: str) -> None:
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert ":" not in name and not name.startswith((".", "-"))
    assert not any(ord(c) < 32 or ord(c) > 126 for c in name)
    assert name.split(".")[0].upper() not in WINDOWS_RESERVED
    assert ".." not in name
    assert len(name) <= 64 + len(".html")
    # one path component on both POSIX and Windows
    assert PurePosixPath(name).parts == (name,) and PureWindowsPath(name).parts == (name,)


@settings(max_examples=300, deadline=None)
@given(ids)
def test_file_names_of_any_id_stay_one_safe_component(value):
    name = _ids.id_filename(value, ".html")
    _component_is_safe(name)
    assert name.endswith(".html")
    root = Path("/srv/out").resolve()
    assert (root / name).resolve().parent == root
    if _ids.is_safe_id(value):
        assert name == f"{value}.html"  # honest ids are kept as they are


@settings(max_examples=300, deadline=None)
@given(ids)
def test_links_of_any_id_are_relative_and_inert(value):
    href = _ids.id_href(value)
    assert href.startswith("./")
    assert re.fullmatch(r"\./[A-Za-z0-9._~-]+", href), href
    assert not re.match(r"^\s*[a-z][a-z0-9+.-]*:", href, re.I)  # no scheme (javascript:, data:)


@settings(max_examples=200, deadline=None)
@given(ids, ids)
def test_different_ids_never_share_a_file(a, b):
    if a != b:
        assert _ids.id_filename(a, ".pdf") != _ids.id_filename(b, ".pdf")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_sheet_names_follow_excels_rules(value):
    name = _ids.sheet_name(value)
    assert 1 <= len(name) <= 31
    assert not set(name) & set("[]:*?/\\")
    assert not name.startswith("'") and not name.endswith("'")
    assert name.lower() != "history"


@pytest.mark.parametrize("value", ["0401015", "0401015-H001", "P-12.a", "V1", "a" * 64])
def test_honest_ids_are_safe(value):
    assert _ids.is_safe_id(value)
    assert _ids.check_id(value, layer="villages", column="village_id") == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_refused_with_the_fix(value):
    assert not _ids.is_safe_id(value)
    with pytest.raises(SchemaError, match=r"is not a safe id: it .*Fix: use 1-64 characters"):
        _ids.check_id(value, layer="villages", column="village_id", feature_id="row 1")


def test_bad_suffix_is_a_programming_error():
    with pytest.raises(ValueError, match="bad file suffix"):
        _ids.id_filename("V1", "/../x")


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_reports_with_hostile_village_ids_write_only_inside_their_folder(tmp_path):
    from landuse.plan._report import write_reports
    from landuse.plan._run import VillageResult

    parent = tmp_path / "parent"
    (parent / "out").mkdir(parents=True)
    for name in ("victim.md", "victim.html", "index.html", "out/victim.html"):
        (parent / name).write_text("user's own file", encoding="utf-8")
    hostile = [v for v in HOSTILE if v]
    villages = gpd.GeoDataFrame(
        {"village_id": hostile, "name_en": ["x"] * len(hostile), "name_lo": ["ບ້ານ"] * len(hostile)},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(hostile))], crs="EPSG:32647")
    before = _tree(parent)
    folder = parent / "out" / "reports"
    plan = SimpleNamespace(name="t", issue_date=dt.date(2026, 1, 15))
    results = [VillageResult(v, ok=False, error="failed: ID_UNSAFE: test") for v in hostile]
    out = write_reports(folder, plan=plan, results=results, schemes=[],
                        status={v: "failed: ID_UNSAFE: test" for v in hostile}, villages=villages,
                        summary={"n_failed": len(hostile)})
    after = _tree(parent)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert all(k.startswith("out/reports/") for k in changed), sorted(changed)
    assert {k for k in before if before[k] != after.get(k)} == set()  # nothing touched or lost
    written = [p for k, p in out.items() if k.startswith("report:") and k != "report:district"]
    assert len(set(written)) == len(hostile)  # one page per village, none shared
    for p in written:
        assert p.resolve().parent == folder.resolve()
    index = (folder / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r"href=['\"]([^'\"]*)['\"]", index)
    assert len(hrefs) >= len(hostile)
    for h in hrefs:
        assert h.startswith("./") and ":" not in h, h
        assert (folder / h).resolve().parent == folder.resolve()
        assert (folder / h).exists(), h  # every link reaches its page


def test_certificate_file_names_go_through_the_helper():
    from landuse.certificates.issue import _safe

    assert _safe("0401015") == "0401015"
    assert _safe("../x") == _ids.id_filename("../x")
    assert "/" not in _safe("../../etc") and ".." not in _safe("..")


def test_unsafe_scheme_id_is_a_rule_error(tmp_path):
    from landuse import datasets
    from landuse.errors import RuleError
    from landuse.irrigation import read_schemes

    text = datasets.get_path("schemes").read_text(encoding="utf-8")
    first = re.search(r'scheme_id\s*=\s*"([^"]+)"', text).group(1)
    bad = tmp_path / "schemes.toml"
    bad.write_text(text.replace(f'"{first}"', '"../../outside"', 1), encoding="utf-8")
    with pytest.raises(RuleError, match=r"scheme_id '\.\./\.\./outside' is not a safe id: it "
                                        r"contains '/'"):
        read_schemes(bad)
