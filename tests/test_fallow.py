"""Tests of landuse.fallow: hand-made histories with known answers, raster = table, land demand."""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from landuse import fallow as lf
from landuse.errors import DataReadError, OutputExistsError, RasterError, SchemaError

from conftest import UTM47, square

STATUS = {"C": "cultivated", "F": "fallow", "O": "other"}


def hist(seqs: dict[str, str], y0: int = 2000, **extra) -> pd.DataFrame:
    """Histories from strings: C cultivated, F fallow, O other, '.' missing (row absent)."""
    rows = []
    for pid, s in seqs.items():
        for k, ch in enumerate(s):
            if ch != ".":
                rows.append({"plot_id": pid, "year": y0 + k, "status": STATUS[ch], **extra})
    return pd.DataFrame(rows)


def cyc_tuples(df: pd.DataFrame, pid: str = "A") -> list[tuple]:
    sub = df[df["plot_id"] == pid]
    return [tuple(r) for r in sub[["clearing_year", "cropping_years", "fallow_years",
                                   "left_censored", "right_censored"]].itertuples(index=False)]


# -- cycles ------------------------------------------------------------------------------
def test_single_complete_cycle():
    c = lf.cycles(hist({"A": "FCFFFCF"}))
    assert cyc_tuples(c) == [(2001, 1, 3, False, False), (2005, 1, 1, False, True)]
    row = c.iloc[0]
    assert row["rotation_years"] == 4 and row["r_value_pct"] == 25.0 and not row["censored"]


def test_censored_at_both_ends_kept_out_of_means():
    h = hist({"A": "CCFFCFFFFCCF"})
    c = lf.cycles(h)
    assert cyc_tuples(c) == [(2000, 2, 2, True, False), (2004, 1, 4, False, False),
                             (2009, 2, 1, False, True)]
    assert len(lf.cycles(h, include_censored=False)) == 1
    s = lf.plot_summary(h).iloc[0]
    assert s["n_clearings"] == 2  # 2004 and 2009; 2000 is the record start
    assert s["n_cycles"] == 1
    assert s["mean_fallow_years"] == 4.0 and s["last_fallow_years"] == 4.0
    assert s["mean_cropping_years"] == 1.0 and s["mean_rotation_years"] == 5.0
    assert s["current_fallow_age_years"] == 1.0
    assert s["r_value_pct"] == pytest.approx(100 * 5 / 12)
    assert s["status_class"] == "short"


def test_missing_year_inside_fallow_is_filled():
    # 2003 missing between two fallow years: assumed fallow -> F = 4
    c = lf.cycles(hist({"A": "FCFF.FCF"}))
    assert cyc_tuples(c)[0] == (2001, 1, 4, False, False)


def test_missing_year_next_to_cultivation_censors():
    # 2002 missing right after cropping: unknown whether cultivated -> that cycle is censored;
    # the 2005 clearing follows an observed fallow year, so the next cycle is complete
    h = hist({"A": "FC.FFCFFCF"})
    assert cyc_tuples(lf.cycles(h)) == [(2001, 1, 0, False, True), (2005, 1, 2, False, False),
                                        (2008, 1, 1, False, True)]
    s = lf.plot_summary(h).iloc[0]
    assert s["n_cycles"] == 1 and s["mean_fallow_years"] == 2.0
    assert s["n_clearings"] == 3
    assert s["n_years_observed"] == 9 and s["first_year"] == 2000 and s["last_year"] == 2009
    # a missing year right after the record start: the next cultivation is not a clearing
    h = hist({"A": "C.CFFCF"})
    assert cyc_tuples(lf.cycles(h)) == [(2000, 1, 0, True, True), (2002, 1, 2, True, False),
                                        (2005, 1, 1, False, True)]


def test_missing_years_at_record_edges_and_other():
    # plot B starts later than A: its first cultivation is still a clearing (after fallow)
    h = hist({"A": "CFFCFF", "B": "..FCFFCO"})
    c = lf.cycles(h)
    assert cyc_tuples(c, "B") == [(2003, 1, 2, False, False), (2006, 1, 1, False, True)]
    # other counts as fallow by default, ends the rotation in break mode
    assert cyc_tuples(lf.cycles(hist({"A": "OCFOFCF"})))[0] == (2001, 1, 3, False, False)
    assert cyc_tuples(lf.cycles(hist({"A": "OCFOFCF"}), other_as="break")) == [
        (2001, 1, 1, False, True), (2005, 1, 1, False, True)]


def test_38_20_5_sequence():
    seq = "FC" + "F" * 38 + "C" + "F" * 20 + "C" + "F" * 5 + "C" + "FF"
    h = hist({"A": seq}, y0=1900)
    c = lf.cycles(h, include_censored=False)
    assert c["fallow_years"].tolist() == [38, 20, 5]
    assert c["clearing_year"].tolist() == [1901, 1940, 1961]
    s = lf.plot_summary(h).iloc[0]
    assert s["mean_fallow_years"] == pytest.approx(21.0)
    assert s["last_fallow_years"] == 5.0 and s["status_class"] == "short"
    # equal follow-up H = 10: spells starting 1902 (38 -> 10) and 1941 (20 -> 10); the
    # 5-year spell of 1962 is not followed 10 years (1962 + 9 > 1969), nor the open one of
    # 1968; the fallow of 1900 has no known start
    assert s["n_trend_spells"] == 2
    assert s["trend_status"] == "insufficient data" and not s["shortening"]  # 2 < 5 spells
    # H = 8: 38 -> 8, 20 -> 8, 5 (1962 + 7 <= 1969)
    s3 = lf.plot_summary(h, min_trend_cycles=3, followup_years=8).iloc[0]
    assert s3["n_trend_spells"] == 3
    # Theil-Sen by hand: slopes 0/39, -3/60, -3/21 -> median -3/60 per year
    assert s3["fallow_trend_years_per_decade"] == pytest.approx(-0.5)
    ts = theilslopes([8, 8, 5], [1902, 1941, 1962]).slope
    assert s3["fallow_trend_years_per_decade"] == pytest.approx(10 * ts)
    # MK by hand: S = -2, ties (8, 8): Var = (3*2*11 - 2*1*9)/18, Z = (S+1)/sqrt(Var)
    z = -1 / math.sqrt(48 / 18)
    assert s3["mk_p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert s3["trend_status"] == "no clear trend"
    # significant at alpha 0.6 but the drop (0.5 years per decade) is below the 1-year effect
    kw = {"min_trend_cycles": 3, "followup_years": 8, "alpha": 0.6}
    assert not lf.plot_summary(h, **kw).iloc[0]["shortening"]
    loose = lf.plot_summary(h, **kw, min_effect_years_per_decade=0.4)
    assert loose.iloc[0]["shortening"] and loose.iloc[0]["trend_status"] == "shortening"


def test_shortening_needs_significance_and_effect():
    seq = "C" + "F" * 12 + "C" + "F" * 9 + "C" + "F" * 7 + "C" + "F" * 5 + "CFFFCFFC" + "F" * 9
    h = hist({"A": seq}, y0=1950)
    s = lf.plot_summary(h).iloc[0]
    # spells 12 -> 10, 9, 7, 5, 3, 2 starting 1951, 1964, 1974, 1982, 1988, 1992; the open
    # 9-year spell of 1995 is not followed 10 years
    assert s["n_trend_spells"] == 6
    x = [1951, 1964, 1974, 1982, 1988, 1992]
    y = [10, 9, 7, 5, 3, 2]
    assert s["fallow_trend_years_per_decade"] == pytest.approx(10 * theilslopes(y, x).slope)
    z = (-15 + 1) / math.sqrt(6 * 5 * 17 / 18)
    assert s["mk_p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert s["shortening"] and s["trend_status"] == "shortening"
    big = lf.plot_summary(h, min_effect_years_per_decade=5.0).iloc[0]
    assert not big["shortening"] and big["trend_status"] == "no clear trend"
    # the old window rule flagged short recent cycles cut by the record end; it is gone
    with pytest.warns(FutureWarning, match="no longer used"):
        lf.plot_summary(h, min_drop_years=3.5)


def test_cultivated_every_year_and_never_cultivated():
    s = lf.plot_summary(hist({"A": "C" * 12, "B": "F" * 12, "N": "O" * 12})).set_index("plot_id")
    a, b = s.loc["A"], s.loc["B"]
    assert a["r_value_pct"] == 100.0 and a["n_cycles"] == 0 and a["n_clearings"] == 0
    assert a["current_fallow_age_years"] == 0.0 and a["status_class"] == "permanent"
    assert b["r_value_pct"] == 0.0 and b["n_clearings"] == 0
    assert np.isnan(b["mean_fallow_years"]) and np.isnan(b["current_fallow_age_years"])
    assert b["status_class"] == "unknown" and s.loc["N", "r_value_pct"] == 0.0
    assert len(lf.cycles(hist({"B": "F" * 12}))) == 0


def test_custom_classes_and_bad_classes():
    h = hist({"A": "FCFFFFCF"})
    assert lf.plot_summary(h).iloc[0]["status_class"] == "short"
    k = lf.FallowClasses(critical_max=4, short_max=6, adequate_max=10)
    assert lf.plot_summary(h, classes=k).iloc[0]["status_class"] == "critical"
    with pytest.raises(SchemaError, match="must be finite, >= 0 and increasing"):
        lf.FallowClasses(critical_max=8, short_max=7)


# -- bad histories ---------------------------------------------------------------------
def test_duplicate_and_contradictory_plot_years():
    h = pd.DataFrame({"plot_id": ["A", "A", "B", "B", "B"], "year": [2000, 2000, 2001, 2001, 2002],
                      "status": ["fallow", "fallow", "fallow", "cultivated", "fallow"]})
    p = lf.history_problems(h)
    assert p[["plot_id", "year", "problem"]].values.tolist() == [
        ["A", 2000, "duplicate"], ["B", 2001, "contradictory"]]
    assert "cultivated, fallow" in p.loc[1, "detail"]
    with pytest.raises(SchemaError, match=r"feature 'A'.*duplicate, year 2000.*2 problems"):
        lf.cycles(h)


def test_unknown_status_bad_year_and_empty_id():
    h = pd.DataFrame({"plot_id": ["A", "A", None], "year": [2000, "20x1", 2002],
                      "status": ["Cultivated", "fallow", "burnt"]})
    p = lf.history_problems(h)
    assert sorted(p["problem"]) == ["bad_year", "empty_plot_id", "unknown_status"]
    with pytest.raises(SchemaError, match="burnt|bad year|no plot_id"):
        lf.plot_summary(h)
    with pytest.raises(SchemaError, match=r"status 'burnt' is not cultivated"):
        lf.plot_summary(h.iloc[[0, 2]].assign(plot_id="A", year=[2000, 2001]))
    with pytest.raises(SchemaError, match="required column 'status' missing"):
        lf.cycles(h.drop(columns="status"))
    with pytest.raises(SchemaError, match="no rows"):
        lf.cycles(h.iloc[:0])
    assert len(lf.history_problems(hist({"A": "CF"}))) == 0
    # aliases and case are accepted
    ok = pd.DataFrame({"plot_id": "A", "year": [2000, 2001, 2002],
                       "status": [" Forest", "CROPPED", "fallow"]})
    assert lf.cycles(ok)["left_censored"].tolist() == [False]


def test_option_errors():
    h = hist({"A": "FCF"})
    with pytest.raises(SchemaError, match="other_as='grass' is not a valid option"):
        lf.cycles(h, other_as="grass")
    with pytest.raises(SchemaError, match="alpha=2"):
        lf.plot_summary(h, alpha=2)
    with pytest.raises(SchemaError, match="min_trend_cycles=1"):
        lf.plot_summary(h, min_trend_cycles=1)
    with pytest.warns(FutureWarning, match="window_years and min_drop_years"):
        lf.plot_summary(h, window_years=0)
    with pytest.raises(SchemaError, match="followup_years=1"):
        lf.plot_summary(h, followup_years=1)
    with pytest.raises(SchemaError, match="min_effect_years_per_decade=-1"):
        lf.village_summary(h.assign(village_id="V"), min_effect_years_per_decade=-1)
    with pytest.raises(SchemaError, match="period_years=0"):
        lf.decade_summary(h, period_years=0)
    with pytest.raises(SchemaError, match="1-D series without NaN"):
        lf.mann_kendall_pvalue([1, np.nan, 2])
    assert np.isnan(lf.mann_kendall_pvalue([1.0]))


def test_mann_kendall_ties_against_hand_value():
    # x = [1, 2, 2, 3]: S = 5, ties: one group of 2 -> Var = (4*3*13 - 2*1*9)/18 = 7.667
    z = (5 - 1) / math.sqrt((156 - 18) / 18)
    assert lf.mann_kendall_pvalue([1, 2, 2, 3]) == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert lf.mann_kendall_pvalue([3, 3, 3]) == 1.0


# -- hypothesis: invariants of the cycles ------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("CFO."), min_size=1, max_size=40),
       st.sampled_from(["fallow", "break"]))
def test_cycle_invariants(seq, other_as):
    s = "".join(seq)
    if set(s) == {"."}:
        return
    h = hist({"A": s})
    c = lf.cycles(h, other_as=other_as)
    n_years = h["year"].max() - h["year"].min() + 1
    assert (c["cropping_years"] + c["fallow_years"] == c["rotation_years"]).all()
    assert c["rotation_years"].sum() <= n_years
    assert c["r_value_pct"].between(0, 100).all()
    spans = sorted(zip(c["clearing_year"], c["clearing_year"] + c["rotation_years"], strict=True))
    for (a0, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        assert a1 <= b0  # cycles never overlap
    summ = lf.plot_summary(h, other_as=other_as).iloc[0]
    assert 0 <= summ["r_value_pct"] <= 100
    assert summ["n_cycles"] == (~c["censored"]).sum() <= summ["n_clearings"]
    # the per-plot reduction agrees with the cycle table (a separate pass) and scipy
    comp = c[~c["censored"]]
    if len(comp):
        assert summ["mean_fallow_years"] == pytest.approx(comp["fallow_years"].mean())
        assert summ["last_fallow_years"] == comp["fallow_years"].iloc[-1]
        assert summ["mean_rotation_years"] == pytest.approx(comp["rotation_years"].mean())
    # the trend: equal-follow-up spells from the spell table (a separate pass) and scipy
    x, y = _equal_followup_oracle(lf.fallow_spells(h, other_as=other_as), 10)
    assert summ["n_trend_spells"] == len(x)
    if len(x) >= 5:
        ts = theilslopes(y, x).slope
        assert summ["fallow_trend_years_per_decade"] == pytest.approx(10 * ts)
        assert summ["mk_p_value"] == pytest.approx(lf.mann_kendall_pvalue(y))
    else:
        assert np.isnan(summ["fallow_trend_years_per_decade"])
        assert summ["trend_status"] == "insufficient data"
    # R over the record: a missing run between two fallow years counts as fallow
    base = s.replace("O", "F") if other_as == "fallow" else s
    filled = re.sub(r"(?<=F)\.+(?=F)", lambda m: "F" * len(m.group()), base)
    observed = [ch for ch in filled if ch != "."]
    assert summ["r_value_pct"] == pytest.approx(100 * observed.count("C") / len(observed))
    # an independent count of observed clearings: C preceded by an observed non-C year
    full = s.strip(".")
    filled = full
    assert summ["n_clearings"] == sum(
        1 for k in range(1, len(filled)) if filled[k] == "C" and filled[k - 1] in "FO")


def _equal_followup_oracle(sp: pd.DataFrame, horizon: int) -> tuple[list, list]:
    """Spells followed *horizon* years, by the rule written out in plain Python."""
    xs, ys = [], []
    for r in sp.itertuples():
        if not r.start_known or r.start_year + horizon - 1 > r.record_end_year:
            continue
        if r.observed or r.duration_years >= horizon:
            xs.append(r.start_year)
            ys.append(min(r.duration_years, horizon))
    return xs, ys


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("CFO."), min_size=1, max_size=40),
       st.sampled_from(["fallow", "break"]))
def test_spell_invariants(seq, other_as):
    s = "".join(seq)
    if set(s) == {"."}:
        return
    h = hist({"A": s})
    sp = lf.fallow_spells(h, other_as=other_as)
    assert (sp["duration_years"] > 0).all()
    assert sp["observed"].sum() <= len(sp)
    assert (sp["followup_years"] >= sp["duration_years"]).all()
    # the spells are exactly the fallow runs: an independent count on the string
    base = s.replace("O", "F") if other_as == "fallow" else s
    filled = re.sub(r"(?<=F)\.+(?=F)", lambda m: "F" * len(m.group()), base)
    runs = [(m.start(), m.end()) for m in re.finditer("F+", filled)]
    assert len(sp) == len(runs)
    y0 = 2000  # hist() puts the string's first character in 2000
    last = len(filled.rstrip(".")) - 1
    for r, (a, b) in zip(sp.itertuples(), runs, strict=True):
        assert (r.start_year - y0, r.duration_years) == (a, b - a)
        assert r.start_known == (a > 0 and filled[a - 1] == "C")
        assert r.observed == (b < len(filled) and filled[b] == "C")
        if not r.observed:  # censored: at the record end, before a gap or before 'other'
            assert b - 1 == last or filled[b] in ".O"
        if r.start_known:
            assert r.clearing_year + r.cropping_years == r.start_year
            assert filled[a - r.cropping_years:a] == "C" * r.cropping_years


@pytest.mark.parametrize("other_as_fallow", [True, False])
def test_streaming_reduction_equals_cycle_list(other_as_fallow):
    from landuse.fallow._kernel import IDENTITY_LUT, cycles_of_sequences, reduce_sequences

    rng = np.random.default_rng(11)
    codes = rng.choice(4, size=(25, 20000), p=[0.1, 0.3, 0.5, 0.1]).astype(np.uint8)
    out = reduce_sequences(codes, IDENTITY_LUT, other_as_fallow, 0.05, 10, 2.0, 3)[0]
    seq, start, c, f, lc, rc = cycles_of_sequences(codes, other_as_fallow)
    cyc = pd.DataFrame({"p": seq, "start": start, "c": c, "f": f, "lc": lc, "rc": rc})
    comp = cyc[~cyc.lc & ~cyc.rc]
    n_clear = np.bincount(cyc.loc[~cyc.lc, "p"], minlength=codes.shape[1])
    n_cyc = np.bincount(comp["p"], minlength=codes.shape[1])
    known = (codes != 0).any(axis=0)
    np.testing.assert_array_equal(out[0][known], n_clear[known])
    np.testing.assert_array_equal(out[1][known], n_cyc[known])
    g = comp.groupby("p")
    idx = g.size().index.to_numpy()
    np.testing.assert_allclose(out[2][idx], g["f"].mean().to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(out[3][idx], g["f"].last().to_numpy())
    np.testing.assert_allclose(out[5][idx], (g["c"].mean() + g["f"].mean()).to_numpy(), rtol=1e-6)
    assert np.isnan(out[2][known & (n_cyc == 0)]).all()
    # the streamed equal-follow-up spells equal those of the separate spell pass
    from landuse.fallow._kernel import spells_of_sequences

    p, a, ln, ev, kn, _, _ = spells_of_sequences(codes, other_as_fallow)
    last = codes.shape[0] - 1 - np.argmax(codes[::-1] != 0, axis=0)
    ok = kn & (a + 10 - 1 <= last[p]) & (ev | (ln >= 10))
    n_trend = np.bincount(p[ok], minlength=codes.shape[1])
    np.testing.assert_array_equal(out[11][known], n_trend[known])


# -- raster path ---------------------------------------------------------------------------
CLASSES = {"cultivated": [10], "fallow": [20, 21], "other": [30]}
VALUE = {"C": 10, "F": 21, "O": 30, ".": 255}


def _sequences(rows: int, cols: int, T: int, seed: int = 0) -> list[str]:
    hand = ["FCFFFCF" + "F" * (T - 7), "C" * T, "F" * T, "O" * T, "." * T,
            "CCFFCFFFFCCF" + "." * (T - 12), "FC.FFCFFCF" + "F" * (T - 10),
            "..FCFFCO" + "C" * (T - 8), "FCFF.FCF" + "C" * (T - 8)]
    rng = np.random.default_rng(seed)
    out = list(hand)
    while len(out) < rows * cols:
        p = rng.choice([0.25, 0.55, 0.1, 0.1])
        out.append("".join(rng.choice(list("CFO."), size=T, p=[p, 0.8 - p, 0.1, 0.1])))
    return out[: rows * cols]


def _write_stack(tmp: Path, seqs: list[str], rows: int, cols: int, y0: int = 2001) -> list[Path]:
    T = len(seqs[0])
    arr = np.array([[VALUE[s[t]] for s in seqs] for t in range(T)], np.uint8).reshape(T, rows, cols)
    tr = Affine(30, 0, 500000, 0, -30, 2300000)
    paths = []
    for t in range(T):
        p = tmp / f"landcover_{y0 + t}.tif"
        with rasterio.open(p, "w", driver="GTiff", width=cols, height=rows, count=1,
                           dtype="uint8", crs=UTM47, transform=tr, nodata=255) as ds:
            ds.write(arr[t], 1)
        paths.append(p)
    return paths


def _table(seqs: list[str], cols: int, y0: int = 2001) -> pd.DataFrame:
    return hist({f"r{k // cols:03d}c{k % cols:03d}": s for k, s in enumerate(seqs)}, y0=y0)


@pytest.fixture
def stack(tmp_path):
    rows, cols, T = 7, 9, 25
    seqs = _sequences(rows, cols, T)
    return _write_stack(tmp_path, seqs, rows, cols), seqs, rows, cols


def _read(paths: dict) -> dict[str, np.ndarray]:
    out = {}
    for name, p in paths.items():
        with rasterio.open(p) as ds:
            out[name] = ds.read(1)
            assert np.isnan(ds.nodata)
    return out


def _as_raster(summ: pd.DataFrame) -> pd.DataFrame:
    """The plot table as the raster codes it: shortening 0/1, NaN for insufficient data."""
    out = summ.copy()
    out["shortening"] = np.where(out["trend_status"] == "insufficient data", np.nan,
                                 out["shortening"].astype(float))
    return out


def test_raster_equals_table_cell_by_cell(stack, tmp_path):
    paths, seqs, rows, cols = stack
    res = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "out", block_rows=3))
    summ = _as_raster(lf.plot_summary(_table(seqs, cols))).set_index("plot_id")
    for k, s in enumerate(seqs):
        r, c = divmod(k, cols)
        pid = f"r{r:03d}c{c:03d}"
        for name in lf.RASTER_OUTPUTS:
            got = res[name][r, c]
            if set(s) == {"."}:
                assert np.isnan(got), (name, pid)  # nodata in every year stays nodata
                assert pid not in summ.index
                continue
            want = float(summ.loc[pid, name])
            assert (np.isnan(got) and np.isnan(want)) or got == np.float32(want), (name, pid, s)
    with rasterio.open(paths[0]) as src, rasterio.open(tmp_path / "out" / "n_cycles.tif") as dst:
        assert dst.transform == src.transform and dst.crs == src.crs
        assert dst.shape == src.shape and dst.dtypes[0] == "float32"


@pytest.mark.parametrize(("dtype", "nodata"), [("float32", np.nan), ("int16", -9999),
                                               ("uint16", 65535), ("uint8", None)])
def test_other_dtypes_and_break_mode_equal_table(tmp_path, dtype, nodata):
    rows, cols, T = 5, 6, 14
    seqs = _sequences(rows, cols, T, seed=7)
    if nodata is None:  # no nodata value: no missing years allowed
        seqs = [q.replace(".", "F") for q in seqs]
    value = {**VALUE, ".": nodata if nodata is not None else 0}
    arr = np.array([[value[q[t]] for q in seqs] for t in range(T)], dtype).reshape(T, rows, cols)
    paths = []
    for t in range(T):
        p = tmp_path / f"lc_{2001 + t}.tif"
        with rasterio.open(p, "w", driver="GTiff", width=cols, height=rows, count=1, dtype=dtype,
                           crs=UTM47, transform=Affine(30, 0, 0, 0, -30, 0), nodata=nodata) as ds:
            ds.write(arr[t], 1)
        paths.append(p)
    paths.pop(5)  # an absent year is a missing year for every cell
    seqs = [q[:5] + "." + q[6:] for q in seqs]
    res = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "o", other_as="break"))
    summ = _as_raster(lf.plot_summary(_table(seqs, cols), other_as="break")).set_index("plot_id")
    ids = [f"r{r:03d}c{c:03d}" for r in range(rows) for c in range(cols)]
    for name in lf.RASTER_OUTPUTS:
        want = summ[name].reindex(ids).to_numpy(np.float32).reshape(rows, cols)
        np.testing.assert_array_equal(res[name], want)


def test_dask_path_equals_numpy_path(stack, tmp_path):
    import dask

    paths, *_ = stack
    a = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "a", block_rows=2))
    with dask.config.set(scheduler="threads"):
        b = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "b", block_rows=2,
                                   use_dask=True))
    for name in lf.RASTER_OUTPUTS:
        np.testing.assert_array_equal(a[name], b[name])


def test_distributed_client_path_equals_numpy_path(stack, tmp_path):
    from distributed import Client, LocalCluster

    paths, *_ = stack
    a = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "a"))
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster):
        b = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "b", block_rows=2,
                                   use_dask=True))
    for name in lf.RASTER_OUTPUTS:
        np.testing.assert_array_equal(a[name], b[name])


def test_threads_and_large_windows_equal_table(tmp_path):
    rows, cols, T = 40, 45, 16  # 1800 cells: several kernel chunks per thread
    seqs = _sequences(rows, cols, T, seed=3)
    paths = _write_stack(tmp_path, seqs, rows, cols)
    one = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "t1", threads=1))
    two = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "t2", threads=2,
                                 block_rows=17))
    summ = _as_raster(lf.plot_summary(_table(seqs, cols))).set_index("plot_id")
    ids = [f"r{r:03d}c{c:03d}" for r in range(rows) for c in range(cols)]
    for name in lf.RASTER_OUTPUTS:
        np.testing.assert_array_equal(one[name], two[name])
        want = summ[name].reindex(ids).to_numpy(np.float32).reshape(rows, cols)
        np.testing.assert_array_equal(one[name], want)


def test_fallow_metrics_array_numpy_and_dask():
    import dask.array as da

    codes = np.random.default_rng(1).integers(0, 4, (20, 6, 10)).astype(np.uint8)
    a = lf.fallow_metrics_array(codes)
    b = lf.fallow_metrics_array(da.from_array(codes, chunks=(5, 3, 4))).compute()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (len(lf.RASTER_OUTPUTS), 6, 10) and a.dtype == np.float32
    with pytest.raises(SchemaError, match="3-D"):
        lf.fallow_metrics_array(codes[0])


def test_multiband_stack_and_missing_year(tmp_path):
    seqs = ["FCFFCF", "FCFFFC"]
    T = len(seqs[0])
    arr = np.array([[VALUE[s[t]] for s in seqs] for t in range(T)], np.uint8).reshape(T, 1, 2)
    p = tmp_path / "stack.tif"
    with rasterio.open(p, "w", driver="GTiff", width=2, height=1, count=T, dtype="uint8",
                       crs=UTM47, transform=Affine(30, 0, 0, 0, -30, 0), nodata=255) as ds:
        ds.write(arr)
        for b in range(T):
            ds.set_band_description(b + 1, str(1990 + b))
    res = _read(lf.fallow_raster(p, classes=CLASSES, out_dir=tmp_path / "o"))
    assert res["mean_fallow_years"].tolist() == [[2.0, 3.0]]
    # drop the 1993 band: the year becomes missing (filled as fallow between fallows)
    files = _write_stack(tmp_path, ["FCFFFCF"], 1, 1, y0=1990)
    files.pop(3)
    out = _read(lf.fallow_raster(files, classes=CLASSES, out_dir=tmp_path / "m"))
    assert out["mean_fallow_years"][0, 0] == 3.0
    out = _read(lf.fallow_raster(files, classes={10: "cultivated", 21: "fallow", 30: "other"},
                                 out_dir=tmp_path / "y", years=[1990, 1991, 1992, 1994, 1995, 1996]))
    assert out["n_cycles"][0, 0] == 1.0


def test_raster_errors(stack, tmp_path):
    paths, *_ = stack
    with pytest.raises(RasterError, match=r"landcover_20\d\d.tif band 1: class value 30 at row \d+, column \d+ is not in"):
        lf.fallow_raster(paths, classes={"cultivated": [10], "fallow": [20, 21]},
                         out_dir=tmp_path / "e1")
    with pytest.raises(SchemaError, match="unknown status 'weeds'"):
        lf.fallow_raster(paths, classes={10: "weeds"}, out_dir=tmp_path / "e2")
    with pytest.raises(RasterError, match="year 2001 appears twice"):
        lf.fallow_raster(paths[:2], classes=CLASSES, out_dir=tmp_path / "e3", years=[2001, 2001])
    other = tmp_path / "odd.tif"
    with rasterio.open(other, "w", driver="GTiff", width=3, height=3, count=1, dtype="uint8",
                       crs=UTM47, transform=Affine(30, 0, 0, 0, -30, 0)) as ds:
        ds.write(np.full((1, 3, 3), 10, np.uint8))
    with pytest.raises(RasterError, match="grid .* differs"):
        lf.fallow_raster([paths[0], tmp_path / "odd.tif"], classes=CLASSES, out_dir=tmp_path / "e4",
                         years=[2000, 2001])
    with pytest.raises(RasterError, match="no year for odd.tif"):
        lf.fallow_raster([other], classes=CLASSES, out_dir=tmp_path / "e5")
    with pytest.raises(DataReadError, match="does not exist"):
        lf.fallow_raster([tmp_path / "nope_2000.tif"], classes=CLASSES, out_dir=tmp_path / "e6")
    lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "ok")
    with pytest.raises(OutputExistsError, match="exists already"):
        lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "ok")
    lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "ok", overwrite=True)
    assert not list((tmp_path / "e1").glob("*.tif"))  # nothing half-written


# -- land demand --------------------------------------------------------------------------
def test_rotation_land_demand_hand_example():
    assert lf.rotation_land_demand(10.0, cropping_years=1, target_fallow_years=9) == 100.0
    assert lf.rotation_land_demand(10.0, cropping_years=2, target_fallow_years=8) == 50.0
    s = lf.rotation_land_demand(pd.Series([1.0, 2.0], index=["a", "b"]), target_fallow_years=4)
    assert s.tolist() == [5.0, 10.0] and list(s.index) == ["a", "b"]
    assert lf.sustainable_fallow_years(100.0, 10.0, cropping_years=2) == 18.0
    with pytest.raises(SchemaError, match="cropping_years must be > 0"):
        lf.rotation_land_demand(1.0, cropping_years=0)


def test_projection_year_hand_example():
    # F_max(t) = 100 / (10 * 1.02^t) - 1 <= 3  <=>  1.02^t >= 2.5  <=>  t >= 46.27 -> 47
    assert lf.year_fallow_becomes_critical(100, 10, growth_rate=0.02, base_year=2020) == 2067
    f46 = lf.sustainable_fallow_years(100, 10 * 1.02**46)
    f47 = lf.sustainable_fallow_years(100, 10 * 1.02**47)
    assert f46 > 3 >= f47
    assert lf.year_fallow_becomes_critical(30, 10, growth_rate=0.02, base_year=2020) == 2020
    assert np.isnan(lf.year_fallow_becomes_critical(100, 10, growth_rate=0.0, base_year=2020))
    with pytest.raises(SchemaError, match="areas and cropping_years must be > 0"):
        lf.year_fallow_becomes_critical(100, 0, growth_rate=0.02, base_year=2020)


def test_village_land_demand():
    d = lf.village_land_demand(pd.Series({"V1": 10.0, "V2": 5.0}),
                               pd.Series({"V1": 80.0, "V2": 60.0, "V3": 10.0}).drop("V3"),
                               target_fallow_years=9, growth_rate=0.02, base_year=2020)
    assert d.loc["V1", "land_needed_ha"] == 100.0 and d.loc["V1", "surplus_ha"] == -20.0
    assert d.loc["V2", "surplus_ha"] == 10.0 and d.loc["V2", "sustainable_fallow_years"] == 11.0
    assert d.loc["V1", "sustainable_class"] == "short"
    assert d.loc["V2", "sustainable_class"] == "adequate"
    # V1: 1.02^t >= 80/40 -> t >= 35.0 -> 2055
    assert d.loc["V1", "year_critical"] == 2020 + math.ceil(math.log(2) / math.log(1.02))
    with pytest.raises(SchemaError, match="growth_rate needs a base_year"):
        lf.village_land_demand(pd.Series({"V": 1.0}), pd.Series({"V": 5.0}), growth_rate=0.01)
    with pytest.raises(SchemaError, match="rotational land but no cropped area"):
        lf.village_land_demand(pd.Series({"V": 1.0}), pd.Series({"W": 5.0}))


@pytest.fixture
def parcels():
    geoms = [square(i, 0) for i in range(4)]
    return gpd.GeoDataFrame({"parcel_id": ["A", "B", "C", "D"], "village_id": ["V1", "V1", "V2", "V2"],
                             "land_type": ["upland", "upland", "upland", "paddy"]},
                            geometry=geoms, crs=UTM47)


def test_cropped_area_from_households():
    hh = pd.DataFrame({"household_id": list("abcde"), "village_id": ["V2", "V1", "V1", "V1", "V2"]})
    got = lf.cropped_area_from_households(hh, plot_size_ha=0.8, plots_per_year=1.25)
    assert got.to_dict() == pytest.approx({"V1": 3.0, "V2": 2.0})
    with pytest.raises(SchemaError, match="plot_size_ha=0 and plots_per_year=1.0 must be > 0"):
        lf.cropped_area_from_households(hh, plot_size_ha=0)


def test_cropped_and_rotational_area(parcels):
    h = hist({"A": "FCFFC", "B": "CFFCF", "C": "FFCCF"})
    crop = lf.cropped_area_from_histories(h, parcels, last_years=2)
    # last 2 years (2003, 2004): V1 has B then A cropped -> 1 ha each; V2: C in 2003 only
    assert crop.to_dict() == {"V1": 1.0, "V2": 0.5}
    assert lf.rotational_area_from_parcels(parcels).to_dict() == {"V1": 2.0, "V2": 1.0}


# -- roll-ups -----------------------------------------------------------------------------
def test_village_and_decade_summary(parcels):
    h = hist({"A": "FC" + "F" * 9 + "C" + "F" * 4 + "CFF" + "C",
              "B": "FC" + "F" * 7 + "C" + "F" * 3 + "CF" + "C" + "F" * 4,
              "C": "F" * 20}, y0=1995)
    v = lf.village_summary(h, villages=parcels)
    assert list(v.index) == ["V1", "V2"]
    cyc = lf.cycles(h, include_censored=False)
    assert v.loc["V1", "n_cycles"] == len(cyc) == 6
    assert v.loc["V1", "mean_fallow_complete_cycles_years"] == pytest.approx(
        cyc["fallow_years"].mean())
    # Kaplan-Meier by hand. Spells with a known start (fallow years, * = open):
    # A: 9, 4, 2;  B: 7, 3, 1, 4*  (the leading F of each plot has no known start).
    # The open 4-year spell is censored at 3 (F >= 4). Times 1 2 3 4 7 9:
    # S(1) = 6/7, S(2) = 6/7 * 5/6, S(3) = 5/7 * 4/5 (3 at risk after: 4, 7, 9 and 3*),
    # S(4) = 4/7 * 2/3, S(7) = 8/21 * 1/2, S(9) = 0
    assert v.loc["V1", "n_spells"] == 7 and v.loc["V1", "n_events"] == 6
    assert v.loc["V1", "n_left_censored"] == 2
    assert v.loc["V1", "median_fallow_years"] == 4.0  # S(3) = 4/7 > 0.5, S(4) = 8/21 <= 0.5
    rmst = 1 + 6 / 7 + 5 / 7 + 4 / 7 + 3 * 8 / 21 + 2 * 4 / 21
    assert v.loc["V1", "mean_fallow_years"] == pytest.approx(rmst)
    assert v.loc["V1", "mean_fallow_years_lo"] < rmst < v.loc["V1", "mean_fallow_years_hi"]
    assert v.loc["V1", "status"] == "insufficient data"  # fewer than 20 ended spells
    # H = 18 years: only spells starting by 1997 are followed that long (span < 5 years)
    v18 = lf.village_summary(h, villages=parcels, followup_years=18, min_events=1)
    assert v18.loc["V1", "status"] == "insufficient follow-up"
    assert not v.loc["V1", "shortening"] and np.isnan(v.loc["V1", "p_value"])
    assert v.loc["V2", "n_spells"] == 0 and v.loc["V2", "n_left_censored"] == 1
    d = lf.decade_summary(h, villages=parcels)
    assert d[["village_id", "decade", "n_cycles"]].values.tolist() == [
        ["V1", 1990, 2], ["V1", 2000, 3], ["V1", 2010, 1]]
    assert d.loc[0, "mean_fallow_complete_cycles_years"] == 8.0  # 9 and 7
    assert d.loc[0, "median_fallow_years"] == 7.0  # 7 and 9: S(7) = 1/2 <= 0.5
    assert d.loc[0, "mean_fallow_years"] == 8.0  # both ended, nothing censored
    assert d["n_spells"].sum() == 7
    with pytest.raises(SchemaError, match="no village for the plots"):
        lf.village_summary(h)
    with pytest.raises(SchemaError, match="1 plot.*no village"):
        lf.village_summary(h, villages=pd.Series({"A": "V1", "B": "V1"}))
    hv = h.assign(village_id=h["plot_id"].map({"A": "X", "B": "X", "C": "Y"}))
    assert list(lf.village_summary(hv).index) == ["X", "Y"]
    with pytest.raises(SchemaError, match="more than one village"):
        lf.village_summary(hv.assign(village_id=np.where(hv.index == 0, "Z", hv["village_id"])))


def test_parcel_fallow_join(parcels):
    h = hist({"A": "FCFFFCF", "C": "FCFFCF"})
    g = lf.parcel_fallow(parcels, lf.plot_summary(h))
    assert isinstance(g, gpd.GeoDataFrame) and g.crs == parcels.crs
    assert list(g.index) == list(parcels.index)
    assert g["mean_fallow_years"].tolist()[:3] == [3.0, pytest.approx(np.nan, nan_ok=True), 2.0]
    assert g["status_class"].tolist() == ["critical", "no_history", "critical", "no_history"]
    assert "mean_fallow_years" not in parcels.columns


def test_plots_return_figures(parcels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = hist({"A": "FC" + "F" * 9 + "C" + "F" * 4 + "CFF" + "C",
              "B": "FC" + "F" * 7 + "C" + "F" * 3 + "CF" + "C" + "F" * 4}, y0=1995)
    c = lf.cycles(h)
    fig = lf.plot_fallow_by_clearing_year(c, villages=parcels)
    ax = fig.axes[0]
    assert len(ax.lines) == 1  # one village -> one Theil-Sen line
    x, y = ax.lines[0].get_data()
    res = theilslopes(c.loc[~c.censored, "fallow_years"], c.loc[~c.censored, "clearing_year"])
    assert y[0] == pytest.approx(res.intercept + res.slope * x[0])
    assert ax.collections[0].get_offsets().shape[0] == (~c["censored"]).sum()
    plt.close(fig)
    fig = lf.plot_fallow_histogram(c)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1990s", "2000s", "2010s"]
    assert sum(p.get_height() for p in ax.patches) == (~c["censored"]).sum()
    plt.close(fig)


# -- CLI ------------------------------------------------------------------------------------
def test_cli_fallow(tmp_path, parcels):
    from landuse.cli.main import cli

    h = hist({"A": "FC" + "F" * 9 + "C" + "F" * 4 + "CFF" + "C",
              "B": "FC" + "F" * 7 + "C" + "F" * 3 + "CF" + "C" + "F" * 4, "C": "FCFFCF" * 3},
             y0=1995)
    h.to_csv(tmp_path / "h.csv", index=False)
    parcels.to_file(tmp_path / "p.gpkg")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["fallow", "--histories", str(tmp_path / "h.csv"), "--parcels",
                                 str(tmp_path / "p.gpkg"), "--out", str(out), "--growth-rate", "0.02"])
    assert r.exit_code == 0, r.output
    for name in ("cycles.csv", "fallow_spells.csv", "survival_curves.csv", "plot_summary.csv",
                 "village_summary.csv", "decade_summary.csv",
                 "land_demand.csv", "parcels_fallow.gpkg", "fallow_trend.png", "fallow_histogram.png"):
        assert (out / name).exists(), name
    got = pd.read_csv(out / "plot_summary.csv", dtype={"plot_id": str})
    want = lf.plot_summary(h)
    np.testing.assert_allclose(got["mean_fallow_years"], want["mean_fallow_years"])
    assert "3 plots" in r.output
    r = CliRunner().invoke(cli, ["fallow", "--histories", str(tmp_path / "h.csv"), "--out", str(out)])
    assert r.exit_code == 1 and "exists already" in r.output
    r = CliRunner().invoke(cli, ["fallow", "--histories", str(tmp_path / "h.csv"), "--out",
                                 str(tmp_path / "o3"), "--fallow-classes", "1,2,3"])
    assert r.exit_code == 0, r.output
    got = pd.read_csv(tmp_path / "o3" / "plot_summary.csv", dtype={"plot_id": str})
    k = lf.FallowClasses(1, 2, 3)
    assert got["status_class"].tolist() == lf.plot_summary(h, classes=k)["status_class"].tolist()
    r = CliRunner().invoke(cli, ["fallow", "--histories", str(tmp_path / "h.csv"), "--out",
                                 str(tmp_path / "o4"), "--fallow-classes", "3,7"])
    assert r.exit_code == 2 and "three numbers" in r.output
    h.iloc[[0, 0]].to_csv(tmp_path / "dup.csv", index=False)
    r = CliRunner().invoke(cli, ["fallow", "--histories", str(tmp_path / "dup.csv"), "--out",
                                 str(tmp_path / "o2")])
    assert r.exit_code == 1 and "duplicate" in r.output


def test_cli_fallow_raster(stack, tmp_path):
    from landuse.cli.main import cli

    paths, seqs, rows, cols = stack
    (tmp_path / "classes.toml").write_text(
        "[classes]\ncultivated = [10]\nfallow = [20, 21]\nother = [30]\n")
    args = ["fallow-raster", *map(str, paths), "--classes", str(tmp_path / "classes.toml"),
            "--out", str(tmp_path / "r")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    lib = _read(lf.fallow_raster(paths, classes=CLASSES, out_dir=tmp_path / "lib"))
    cli_out = _read({n: tmp_path / "r" / f"{n}.tif" for n in lf.RASTER_OUTPUTS})
    for n in lf.RASTER_OUTPUTS:
        np.testing.assert_array_equal(lib[n], cli_out[n])
    r = CliRunner().invoke(cli, [*args, "--dask", "--overwrite"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [*args, "--years", "2001,x"])
    assert r.exit_code == 2 and "whole years" in r.output
    r = CliRunner().invoke(cli, [*args[:-4], "--classes", str(tmp_path / "none.toml"),
                                 "--out", str(tmp_path / "r3")])
    assert r.exit_code == 1 and "classes file does not exist" in r.output
    (tmp_path / "bad.toml").write_text("cultivated = [10\n")
    r = CliRunner().invoke(cli, [*args[:-4], "--classes", str(tmp_path / "bad.toml"),
                                 "--out", str(tmp_path / "r2")])
    assert r.exit_code == 1 and "invalid TOML" in r.output


# -- demo ---------------------------------------------------------------------------------
def test_demo_shows_shortening():
    from landuse.datasets import get_path

    path = get_path("histories")
    assert path.exists(), "bundled demo histories missing"
    from landuse.io import read_histories

    h = read_histories(path)
    d = lf.decade_summary(h)
    med = d.set_index("decade")["median_fallow_years"]
    assert med.loc[1990] > med.loc[2010]
    # the censoring-aware village trend still finds the shortening, with its interval
    v = lf.village_summary(h.assign(village_id="all")).iloc[0]
    assert v["status"] == "shortening" and v["p_value"] < 0.05
    assert v["trend_yr_per_decade_lo"] < v["trend_yr_per_decade"] < v["trend_yr_per_decade_hi"] < -1
