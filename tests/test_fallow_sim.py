"""Fallow estimators against simulated villages with a known fallow process (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landuse import fallow as lf
from landuse.fallow import sim as fs
from landuse.errors import SchemaError


# -- the processes' exact figures ---------------------------------------------------------
def test_process_oracles():
    u = fs.stationary_uniform(5, 12)
    assert u.mean() == pytest.approx(8.5)
    assert u.median() == 8.0  # P(F <= 8) = 4/8
    assert u.restricted_mean(10) == pytest.approx((5 + 6 + 7 + 8 + 9 + 10 * 3) / 8)
    g = fs.stationary_gamma(8.0, 4.0)
    assert g.pmf().sum() == pytest.approx(1.0) and g.pmf()[0] == 0.0
    assert g.mean() == pytest.approx(8.0, abs=0.1)  # rounding to whole years >= 1
    b = fs.stationary_bimodal((2, 4), (10, 15), 0.5)
    assert b.mean() == pytest.approx(0.5 * 3 + 0.5 * 12.5)
    gr = fs.gradual_change(12, 4, 30)
    assert not gr.stationary
    assert gr.mean(-5) == pytest.approx(gr.mean(0))
    assert gr.mean(0) == pytest.approx(12.0, abs=0.1)
    assert gr.mean(15) == pytest.approx(8.0, abs=0.1)
    assert gr.mean(30) == pytest.approx(4.0, abs=0.1)
    assert gr.mean(40) == pytest.approx(gr.mean(30))
    ab = fs.abrupt_change(12, 5, 15)
    assert ab.mean(14) == pytest.approx(12, abs=0.1) and ab.mean(15) == pytest.approx(5, abs=0.1)
    with pytest.raises(SchemaError):
        fs.stationary_uniform(0, 3)
    with pytest.raises(SchemaError):
        fs.simulate_histories(u, n_plots=0)


def test_simulation_is_deterministic_and_complete():
    u = fs.stationary_uniform(5, 12)
    a = fs.simulate_histories(u, n_plots=20, record_years=15, seed=3)
    pd.testing.assert_frame_equal(a, fs.simulate_histories(u, n_plots=20, record_years=15, seed=3))
    assert not a.equals(fs.simulate_histories(u, n_plots=20, record_years=15, seed=4))
    assert len(a) == 20 * 15 and a.groupby("plot_id")["year"].nunique().eq(15).all()
    # the empirical fallow of the complete cycles of a long record follows the pmf's support
    long = fs.simulate_histories(u, n_plots=200, record_years=60, seed=1)
    cyc = lf.cycles(long, include_censored=False)
    assert cyc["fallow_years"].between(5, 12).all()
    assert set(cyc["cropping_years"]) == {1, 2}
    assert cyc["cropping_years"].eq(2).mean() == pytest.approx(0.3, abs=0.05)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(15, 35), st.integers(5, 40),
       st.sampled_from(["uniform", "gamma", "bimodal", "gradual", "abrupt"]))
def test_simulated_spell_properties(seed, record_years, n_plots, kind):
    proc = {"uniform": fs.stationary_uniform(5, 12), "gamma": fs.stationary_gamma(),
            "bimodal": fs.stationary_bimodal(), "gradual": fs.gradual_change(),
            "abrupt": fs.abrupt_change()}[kind]
    h = fs.simulate_histories(proc, n_plots=n_plots, record_years=record_years, seed=seed)
    sp = lf.fallow_spells(h)
    assert (sp["duration_years"] > 0).all()
    assert sp["observed"].sum() <= len(sp)
    end = h["year"].max()
    cens = sp[~sp["observed"]]
    # no gaps in a simulation: every censored spell ends at the end of the record
    assert (cens["start_year"] + cens["duration_years"] - 1 == end).all()
    # spells with an unknown start begin the record
    assert (sp.loc[~sp["start_known"], "start_year"] == h["year"].min()).all()
    assert sp["cropping_years"].where(sp["start_known"], 1).between(1, 2).all()
    s = lf.plot_summary(h)
    assert (s["n_trend_spells"] <= s["n_clearings"] + 1).all()
    assert s["trend_status"].isin(lf.TREND_STATUSES).all()


# -- the estimators on simulated villages -----------------------------------------------
def _villages(proc, n, *, n_plots=150, record_years=30, seed0=100) -> pd.DataFrame:
    parts = [fs.simulate_histories(proc, n_plots=n_plots, record_years=record_years,
                                   village_id=f"V{k}", seed=seed0 + k) for k in range(n)]
    h = pd.concat(parts, ignore_index=True)
    h["plot_id"] = h["village_id"] + "-" + h["plot_id"]
    return h


def test_stationary_villages_are_not_flagged_and_mean_is_unbiased():
    proc = fs.stationary_uniform(5, 12)
    h = _villages(proc, 3)
    v = lf.village_summary(h)
    assert (v["status"] != "shortening").all() and not v["shortening"].any()
    # Kaplan-Meier restricted mean (tau = 15 >= 12: the mean) and median near the truth
    assert v["mean_fallow_years"].mean() == pytest.approx(proc.mean(), abs=0.4)
    assert (v["mean_fallow_years_lo"] < proc.mean() + 0.3).all()
    assert (v["mean_fallow_years_hi"] > proc.mean() - 0.3).all()
    assert v["median_fallow_years"].between(proc.median() - 1, proc.median() + 1).all()
    # the trend interval covers 0 or is tiny
    assert (v["trend_yr_per_decade_lo"] < 0.5).all() and (v["trend_yr_per_decade_hi"] > -0.5).all()
    # the old complete-cycle mean is biased short on the same data (the defect)
    assert v["mean_fallow_complete_cycles_years"].mean() < proc.mean() - 0.2
    # per period: recent clearings are not shorter by the censoring-aware median
    d = lf.decade_summary(h)
    assert d["median_fallow_years"].dropna().between(6, 10).all()


def test_gamma_village_restricted_mean_near_truth():
    proc = fs.stationary_gamma(8.0, 4.0)
    v = lf.village_summary(_villages(proc, 2, n_plots=200, seed0=7), restrict_years=15)
    assert v["mean_fallow_years"].mean() == pytest.approx(proc.restricted_mean(15), abs=0.5)
    assert not v["shortening"].any()


def test_shortening_villages_are_flagged():
    proc = fs.gradual_change(12, 4, 30)
    v = lf.village_summary(_villages(proc, 2, n_plots=200, seed0=11))
    assert v["shortening"].all() and (v["status"] == "shortening").all()
    assert (v["p_value"] < 0.01).all() and (v["trend_yr_per_decade_hi"] < -0.5).all()
    d = lf.decade_summary(_villages(proc, 1, n_plots=200, seed0=12))
    med = d.set_index("decade")["median_fallow_years"]
    assert med.loc[1990] > med.loc[2000] > med.loc[2010]


def test_abrupt_change_flagged_and_short_record_is_insufficient():
    v = lf.village_summary(_villages(fs.abrupt_change(12, 5, 15), 1, seed0=5))
    assert v["shortening"].all()
    short = lf.village_summary(_villages(fs.stationary_uniform(5, 12), 1, n_plots=50,
                                         record_years=12, seed0=5))
    assert short["status"].iloc[0] == "insufficient follow-up" and not short["shortening"].any()


def test_plot_level_rule_on_stationary_plots():
    h = fs.simulate_histories(fs.stationary_uniform(1, 6), n_plots=300, record_years=35, seed=2)
    s = lf.plot_summary(h)
    tested = s[s["trend_status"] != "insufficient data"]
    assert len(tested) > 100
    assert tested["shortening"].mean() <= 0.05


def _km_sample(seed, n=120, tmax=20, p_event=0.7):
    rng = np.random.default_rng(seed)
    return rng.integers(1, tmax, n).astype(float), rng.random(n) < p_event


def test_rmst_matches_lifelines():
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    import landuse.fallow._survival as surv

    t, e = _km_sample(0)
    for tau in (5.0, 8.5, 15.0):
        kmf = KaplanMeierFitter().fit(t, e)
        mu, var = surv.rmst(surv.kaplan_meier(t, e, alpha=0.05), tau)
        assert mu == pytest.approx(restricted_mean_survival_time(kmf, t=tau))
        assert 0 < var < 1
    # without censoring the estimator variance is Var(min(T, tau)) / n (plug-in)
    mu, var = surv.rmst(surv.kaplan_meier(t, np.ones_like(e), alpha=0.05), 12.0)
    y = np.minimum(t, 12.0)
    assert mu == pytest.approx(y.mean()) and var == pytest.approx(y.var() / y.size)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), tmax=st.integers(2, 25),
       p_event=st.floats(0.0, 1.0), alpha=st.sampled_from([0.05, 0.1, 0.2]))
def test_kaplan_meier_equals_lifelines(seed, n, tmax, p_event, alpha):
    """Curve, interval, risk sets and median (and its CI) equal lifelines' on any sample."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    import landuse.fallow._survival as surv

    t, e = _km_sample(seed, n, tmax, p_event)
    km = surv.kaplan_meier(t, e, alpha=alpha)
    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e)
    sf = kmf.survival_function_.iloc[:, 0]
    np.testing.assert_array_equal(km.time, sf.index.to_numpy(float))
    np.testing.assert_allclose(km.survival, sf.to_numpy(float), rtol=1e-12, atol=1e-15)
    ci = kmf.confidence_interval_
    np.testing.assert_allclose(km.lo, ci.iloc[:, 0].to_numpy(float), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(km.hi, ci.iloc[:, 1].to_numpy(float), rtol=1e-10, atol=1e-13)
    tab = kmf.event_table
    np.testing.assert_array_equal(km.at_risk, tab["at_risk"].reindex(sf.index).to_numpy())
    np.testing.assert_array_equal(km.observed, tab["observed"].reindex(sf.index).to_numpy())
    assert surv.first_below(km.time, km.survival) == kmf.median_survival_time_
    lo, hi = np.asarray(median_survival_times(ci), float).ravel()[:2]
    assert (surv.first_below(km.time, km.lo), surv.first_below(km.time, km.hi)) == (lo, hi)


def _aft_sample(seed, n=200):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"T": rng.integers(1, 10, n).astype(float),
                         "E": (rng.random(n) < 0.8).astype(int), "decade": rng.normal(size=n)})


def _lifelines_aft(df, **kw):
    import warnings

    from lifelines import WeibullAFTFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WeibullAFTFitter().fit(df, "T", "E", **kw)


_ORDER = [("lambda_", "Intercept"), ("lambda_", "decade"), ("rho_", "Intercept")]


@pytest.mark.parametrize("seed", [1, 5, 11])
def test_weibull_aft_equals_lifelines(seed):
    """Estimates and the model-based covariance equal lifelines' WeibullAFTFitter."""
    import landuse.fallow._survival as surv

    df = _aft_sample(seed)
    fit = surv.weibull_aft(df["T"].to_numpy(), df["E"].to_numpy(), df["decade"].to_numpy())
    ref = _lifelines_aft(df)
    np.testing.assert_allclose(fit.params, ref.params_.loc[_ORDER].to_numpy(), rtol=1e-5, atol=1e-7)
    v = ref.variance_matrix_.loc[_ORDER, _ORDER].to_numpy(float)
    np.testing.assert_allclose(fit.cov, v, rtol=1e-4, atol=1e-9)


def test_weibull_aft_without_a_finite_maximum_is_none():
    """All times equal: the shape grows without bound; the fit says so instead of guessing."""
    import landuse.fallow._survival as surv

    n = 40
    assert surv.weibull_aft(np.full(n, 4.0), np.ones(n), np.linspace(-1, 1, n)) is None


def test_weibull_step_that_overshoots_is_halved_not_raised():
    """A Newton step to an absurd shape (found by bench_fallow_validity: OverflowError in
    math.exp) gives a non-finite likelihood, which the line search rejects."""
    import landuse.fallow._survival as surv

    t = np.array([1.0, 2.0, 3.0, 4.0])
    with np.errstate(over="ignore", invalid="ignore"):
        ll, *_ = surv._weibull_terms(np.array([0.0, 0.0, 1000.0]), np.log(t), np.ones(4), np.zeros(4))
    assert not np.isfinite(ll)


def test_clustered_sandwich_matches_lifelines_robust():
    import landuse.fallow._survival as surv

    df = _aft_sample(5)
    n = len(df)
    fit = surv.weibull_aft(df["T"].to_numpy(), df["E"].to_numpy(), df["decade"].to_numpy())
    robust = _lifelines_aft(df, robust=True)
    got = np.sqrt(np.diag(surv.weibull_aft_sandwich(fit)))
    np.testing.assert_allclose(got, robust.summary.loc[_ORDER, "se(coef)"].to_numpy(), rtol=1e-5)
    # clusters of one spell each change nothing; a spell entered twice in one cluster
    # (perfectly dependent) doubles its score: the clustered variance of the doubled data
    # is 4 / 2 = 2 times the naive variance of the same doubled data
    one = surv.weibull_aft_sandwich(fit, clusters=np.arange(n))
    np.testing.assert_allclose(one, surv.weibull_aft_sandwich(fit))
    twice = pd.concat([df, df], ignore_index=True)
    fit2 = surv.weibull_aft(twice["T"].to_numpy(), twice["E"].to_numpy(), twice["decade"].to_numpy())
    naive = surv.weibull_aft_sandwich(fit2)
    clustered = surv.weibull_aft_sandwich(fit2, clusters=np.r_[np.arange(n), np.arange(n)])
    np.testing.assert_allclose(clustered, 2 * naive, rtol=1e-6)
