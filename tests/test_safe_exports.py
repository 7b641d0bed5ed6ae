"""No value written by landuse into a CSV or XLSX can become a spreadsheet formula."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landuse import io

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# text cells a spreadsheet could evaluate, plus ordinary Lao and Latin text
_XML_OK = st.characters(blacklist_categories=("Cs",),
                        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13)))
hostile = st.one_of(
    st.builds(lambda p, q, rest: q * "'" + p + rest,
              st.sampled_from([*DANGEROUS, "'", "ບ", "A"]), st.integers(0, 3), st.text(_XML_OK, max_size=12)),
    st.sampled_from(["=1+2", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "+ບຸນມີ", "-2+3",
                     "'=quoted", "''-x", "\t=1", "\r=1", "=cmd|' /C calc'!A0", "ທ້າວ ບຸນມີ"]),
)
# strings that pandas' CSV reader turns into NaN are not tested for the round trip
_NA_TOKENS = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
              "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}


def _frame(names):
    return pd.DataFrame({"household_id": [f"H{i}" for i in range(len(names))],
                         "head_name": names,
                         "members": [-(i + 1) for i in range(len(names))],
                         "area_ha": [-0.5 - i for i in range(len(names))]})


def test_escape_is_the_owasp_prefix_and_reversible():
    assert io.escape_cell("=1+2") == "'=1+2"
    assert io.escape_cell("\t=1") == "'\t=1"
    assert io.escape_cell("'=1") == "''=1"  # already quoted text keeps its own quote
    assert io.escape_cell("a=1") == "a=1" and io.escape_cell("'a") == "'a"
    assert io.escape_cell(-3) == -3 and io.escape_cell(-0.5) == -0.5
    for s in ["=1", "'=1", "''+x", "'a", "a", "", "'"]:
        assert io.unescape_cell(io.escape_cell(s)) == s


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(hostile, min_size=1, max_size=6))
def test_csv_has_no_formula_and_round_trips(tmp_path, names):
    path = io.write_table(_frame(names), tmp_path / "h.csv", overwrite=True)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert len(body) == len(names)
    text_cols = [header.index("household_id"), header.index("head_name")]
    for row in body:
        for i in text_cols:
            assert not row[i].startswith(DANGEROUS), row[i]
        # numbers stay plain numbers, negative sign and all
        assert float(row[header.index("members")]) < 0 and not row[header.index("members")].startswith("'")
        assert row[header.index("area_ha")].startswith("-")
    if not any(n in _NA_TOKENS for n in names):
        back = io.read_table(path)
        assert back["head_name"].tolist() == names
        assert back["members"].astype(int).tolist() == [-(i + 1) for i in range(len(names))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(hostile, min_size=1, max_size=6))
def test_xlsx_has_no_formula_cell_and_round_trips(tmp_path, names):
    path = io.write_table(_frame(names), tmp_path / "h.xlsx", overwrite=True)
    ws = openpyxl.load_workbook(path).active
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and not cell.value.startswith(DANGEROUS), cell.value
    nums = [c.value for c in ws["C"][1:]] + [c.value for c in ws["D"][1:]]
    assert all(isinstance(v, int | float) and v < 0 for v in nums)  # numbers stay numbers
    back = io.read_table(path)
    assert back["head_name"].tolist() == names


def test_hostile_column_names_and_index_are_escaped_too(tmp_path):
    df = pd.DataFrame({"=cmd": ["x"], "ok": ["@y"]}, index=pd.Index(["+i"], name="-idx"))
    path = io.write_table(df, tmp_path / "t.csv", index=True)
    assert path.read_text(encoding="utf-8").splitlines() == ["'-idx,'=cmd,ok", "'+i,x,'@y"]
    back = io.read_table(path)
    assert list(back.columns) == ["-idx", "=cmd", "ok"] and back.iloc[0].tolist() == ["+i", "x", "@y"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_categorical_and_string_dtypes_are_escaped(tmp_path, suffix):
    df = pd.DataFrame({"c": pd.Categorical(["=a", "b", "=a"]), "s": pd.array(["@x", None, "y"], dtype="string")})
    path = io.write_table(df, tmp_path / f"t{suffix}")
    if suffix == ".csv":
        assert path.read_text(encoding="utf-8").splitlines() == ["c,s", "'=a,'@x", "b,", "'=a,y"]
    else:
        ws = openpyxl.load_workbook(path).active
        assert [c.value for c in ws["A"]] == ["c", "'=a", "b", "'=a"]
        assert all(c.data_type == "s" for c in ws["A"])
    back = io.read_table(path)
    assert back["c"].tolist() == ["=a", "b", "=a"] and back["s"].iloc[0] == "@x"


def test_households_reader_keeps_hostile_names(tmp_path):
    h = pd.DataFrame({"household_id": ["H1", "-H2"], "village_id": ["V1", "V1"],
                      "head_name": ["=HYPERLINK(1)", "ທ້າວ ບຸນມີ"], "members": [5, 6],
                      "labour_units": [3.0, 3.5]})
    for suffix in (".csv", ".xlsx"):
        back = io.read_households(io.write_table(h, tmp_path / f"h{suffix}"), validate=False)
        assert back["head_name"].tolist() == ["=HYPERLINK(1)", "ທ້າວ ບຸນມີ"]
        assert back["household_id"].tolist() == ["H1", "-H2"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_escaped_output_is_still_byte_reproducible(tmp_path, suffix):
    df = _frame(["=a", "+ບ", "plain"])
    a = io.write_table(df, tmp_path / f"a{suffix}").read_bytes()
    b = io.write_table(df, tmp_path / f"b{suffix}").read_bytes()
    assert a == b
