"""Self-contained HTML reports of a plan run (private): one per village and one for the district.

Each page embeds its CSS and its charts (PNG as data URIs), so it opens offline and can
be e-mailed as one file. Every value is HTML-escaped.
"""

from __future__ import annotations

import base64
import io as _io
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from landuse import io
from landuse._validate.ids import id_filename, id_href
from landuse.plan._folder import environment_error
from landuse.plan._status import fail_village, reason_of

_CSS = """
body{font-family:"Noto Sans","Noto Sans Lao","DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:960px;
color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:2px}
table{border-collapse:collapse;margin:0.5em 0 1em 0;font-size:0.9em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.n{text-align:right;font-variant-numeric:tabular-nums}.lo{color:#555}.fail{color:#b00020;font-weight:bold}
.ok{color:#1a7f37}.note{color:#666;font-size:0.85em}img{max-width:100%}
"""


def _table(df: pd.DataFrame | None, *, floatfmt: str = "{:,.2f}") -> str:
    if df is None or not len(df):
        return "<p class='note'>—</p>"
    html = df.to_html(index=False, escape=True, border=0, na_rep="—",
                      float_format=lambda v: floatfmt.format(v))
    # right-align the cells of numeric columns (pandas writes no classes)
    numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in df.dtypes]
    rows = html.split("<tr>")
    for i, row in enumerate(rows):
        if "<td>" not in row:
            continue
        cells = row.split("<td>")
        rows[i] = cells[0] + "".join(("<td class='n'>" if k < len(numeric) and numeric[k] else "<td>") + c
                                     for k, c in enumerate(cells[1:]))
    return "<tr>".join(rows)


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _lorenz_chart(lorenz: pd.DataFrame | None) -> str:
    if lorenz is None or not len(lorenz):
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = list(lorenz.columns)
    x, y = lorenz[cols[0]], lorenz[cols[1]]
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, label="equality")
    ax.plot(x, y, color="#d95f02", lw=2, label="allocation")
    ax.set_xlabel("share of households")
    ax.set_ylabel("share of allocated area per labour unit")
    ax.legend(loc="upper left")
    return f"<img alt='Lorenz curve' src='{_png(fig)}'/>"


def _fallow_chart(cycles: pd.DataFrame | None) -> str:
    if cycles is None or not len(cycles):
        return ""
    from landuse.fallow import rotation as fallow  # deferred: imports numba

    try:
        fig = fallow.plot_fallow_by_clearing_year(cycles)
    except Exception:  # noqa: BLE001 - a chart must never break a report
        return ""
    fig = getattr(fig, "figure", fig)
    return f"<img alt='Fallow length by clearing year' src='{_png(fig)}'/>"


def _fallow_survival_chart(curves: pd.DataFrame | None) -> str:
    """Kaplan-Meier fallow survival curves, one step line (with its interval) per decade."""
    if curves is None or not len(curves):
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        fig, ax = plt.subplots(figsize=(6, 4))
        colours = plt.get_cmap("viridis")
        decades = sorted(curves["decade"].unique())
        for k, dec in enumerate(decades):
            g = curves[curves["decade"] == dec]
            col = colours(k / max(len(decades) - 1, 1))
            ax.step(g["time_years"], g["survival"], where="post", color=col, lw=2,
                    label=f"cleared in the {int(dec)}s")
            ax.fill_between(g["time_years"], g["survival_lo"], g["survival_hi"], step="post",
                            color=col, alpha=0.15)
        ax.axhline(0.5, color="#999", lw=0.8, ls=":")
        ax.set_xlabel("fallow length t [years]")
        ax.set_ylabel("share of fallows longer than t")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    except Exception:  # noqa: BLE001 - a chart must never break a report
        plt.close("all")
        return ""
    return f"<img alt='Fallow survival curves by decade of clearing' src='{_png(fig)}'/>"


def _fallow_trend_text(trend: dict[str, Any] | None) -> str:
    if not trend:
        return ""
    status = str(trend.get("status", ""))
    est, lo, hi, p = (trend.get(k) for k in ("trend_yr_per_decade", "trend_yr_per_decade_lo",
                                             "trend_yr_per_decade_hi", "p_value"))
    if est is None or lo is None or hi is None or p is None:
        return f"<p>Fallow trend: <b>{escape(status)}</b>.</p>"
    return (f"<p>Fallow trend: <b>{escape(status)}</b>, {est:+.1f} years per decade "
            f"(95 % CI {lo:+.1f} to {hi:+.1f}, p = {p:.3g}); censoring-aware, clearing periods "
            "compared over equal follow-up.</p>")


def village_charts(result: Any) -> dict[str, str]:
    """The village report's charts as ``<img>`` tags with PNG data URIs.

    Called in the worker that ran the village (charts are the slow part of a report), or
    by :func:`village_page` when they were not made there.
    """
    p = result.products
    return {"lorenz": _lorenz_chart(p.lorenz), "fallow": _fallow_chart(p.fallow_cycles),
            "fallow_survival": _fallow_survival_chart(p.fallow_survival)}


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{body}</body></html>\n")


def _kv(d: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_fmt(v))}</td></tr>" for k, v in d.items())
    return f"<table>{rows}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def village_page(plan: Any, village: Any, result: Any, schemes: list[Any], status: str) -> str:
    vid = result.village_id
    name_en, name_lo = str(village.get("name_en", vid)), str(village.get("name_lo", ""))
    parts = [f"<h1>{escape(name_en)} <span class='lo'>{escape(name_lo)}</span></h1>",
             f"<p>Village {escape(vid)} · plan “{escape(plan.name)}” · issue date {plan.issue_date}</p>"]
    if status != "ok":
        parts.append(f"<p class='fail'>This village's run failed: {escape(status)}</p>")
    p = result.products
    parts.append("<h2>Zoning <span class='lo'>ການແບ່ງເຂດ</span></h2>")
    zt = p.zone_table
    if zt is not None:
        zt = zt.drop(columns=[c for c in ("village_id",) if c in zt.columns])
    parts.append(_table(zt))
    conflicts = p.conflicts
    parts.append(f"<h2>Conflicts between parcels and zones</h2><p>{0 if conflicts is None else len(conflicts)} "
                 "parcels conflict with the draft zoning.</p>")
    if conflicts is not None and len(conflicts):
        keep = [c for c in ("parcel_id", "land_type", "dominant_zone", "conflict_reason", "severity")
                if c in conflicts.columns]
        parts.append(_table(pd.DataFrame(conflicts[keep]).head(50)))
    parts.append("<h2>Allocation and equity <span class='lo'>ການຈັດສັນທີ່ດິນ</span></h2>")
    parts.append(_kv(result.figures.get("allocation", {})))
    charts = p.charts or village_charts(result)
    parts.append(charts.get("lorenz", ""))
    hh = p.allocation_households
    if hh is not None:
        parts.append("<details><summary>Households</summary>" + _table(pd.DataFrame(hh)) + "</details>")
    parts.append("<h2>Fallow cycles <span class='lo'>ວົງຈອນການພັກດິນ</span></h2>")
    parts.append(_fallow_trend_text(result.figures.get("fallow_trend")))
    km = result.figures.get("fallow_km_by_decade")
    dec = result.figures.get("fallow_mean_by_decade")
    if km:
        parts.append(_table(pd.DataFrame({
            "decade of clearing": [f"{k}s" for k in km],
            "fallows (ended)": [f"{v.get('n_spells')} ({v.get('n_events')})" for v in km.values()],
            "median fallow [years]": [v.get("median_fallow_years") for v in km.values()],
            "95 % CI": [f"{v.get('median_fallow_years_lo') or '—'}–{v.get('median_fallow_years_hi') or '—'}"
                        for v in km.values()],
            "mean fallow [years]": [v.get("mean_fallow_years") for v in km.values()],
            "note": [v.get("status") for v in km.values()]}), floatfmt="{:,.1f}"))
    elif dec:
        parts.append(_table(pd.DataFrame({"decade of clearing": [f"{k}s" for k in dec],
                                          "mean fallow [years]": list(dec.values())})))
    parts.append(charts.get("fallow_survival", ""))
    parts.append(charts.get("fallow", ""))
    ld = result.figures.get("land_demand")
    if ld:
        parts.append("<h3>Land for a sustainable rotation</h3>")
        parts.append(_kv(ld))
    mine = [s for s in schemes if s.spec.village_id == vid]
    if mine:
        parts.append("<h2>Irrigation <span class='lo'>ຊົນລະປະທານ</span></h2>")
        for s in mine:
            parts.append(f"<h3>{escape(s.spec.scheme_id)} {escape(s.spec.name_en)} "
                         f"<span class='lo'>{escape(s.spec.name_lo)}</span></h3>")
            parts.append(_kv({k: v for k, v in s.summary.items() if not isinstance(v, (dict, list))}))
    return _page(f"{name_en} — village plan", "".join(parts))


def district_page(plan: Any, villages: Any, results: list[Any], schemes: list[Any],
                  status: dict[str, str], summary: dict[str, Any]) -> str:
    rows = []
    names = villages.set_index("village_id")
    for r in results:
        alloc = r.figures.get("allocation", {})
        rows.append({
            "village": r.village_id,
            "name": f"{names.loc[r.village_id, 'name_en']} / {names.loc[r.village_id, 'name_lo']}",
            "status": status.get(r.village_id, "ok"),
            "households": alloc.get("n_households"),
            "gini": alloc.get("gini"),
            "max shortfall [ha]": alloc.get("max_shortfall_ha"),
            "conflicts": r.figures.get("n_conflicts"),
        })
    parts = [f"<h1>{escape(plan.name)}</h1>",
             f"<p>{len(results)} villages · {summary.get('n_failed', 0)} failed · issue date {plan.issue_date}</p>",
             "<h2>Villages</h2>", _table(pd.DataFrame(rows)),
             "<p>" + " · ".join(f"<a href='{escape(id_href(r.village_id))}'>{escape(r.village_id)}</a>"
                               for r in results) + "</p>"]
    zt = [r.products.zone_table for r in results if r.ok and r.products.zone_table is not None]
    if zt:
        allz = pd.concat(zt, ignore_index=True)
        tot = allz.groupby("zone", sort=True)["area_ha"].sum().reset_index()
        tot["share_pct"] = 100 * tot["area_ha"] / tot["area_ha"].sum()
        parts += ["<h2>District zoning</h2>", _table(tot.sort_values("area_ha", ascending=False))]
    if schemes:
        parts.append("<h2>Irrigation schemes</h2>")
        parts.append(_table(pd.DataFrame([{k: v for k, v in s.summary.items()
                                           if not isinstance(v, (dict, list))} for s in schemes])))
    return _page(f"{plan.name} — district report", "".join(parts))


def write_reports(folder: Path, *, plan: Any, results: list[Any], schemes: list[Any], status: dict[str, str],
                  villages: Any, summary: dict[str, Any]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    by_id = villages.set_index("village_id")
    for r in results:
        path = folder / id_filename(r.village_id, ".html")
        try:
            html = village_page(plan, by_id.loc[r.village_id], r, schemes, status.get(r.village_id, "ok"))
            with io.atomic_output(path, overwrite=True) as tmp:
                tmp.write_text(html, encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - one village's report fails that village only
            if environment_error(exc, folder=folder) is not None:
                raise
            fail_village(status, r.village_id, f"report: {reason_of(exc)}")
            continue
        out[f"report:{r.village_id}"] = path
    summary = {**summary, "n_failed": sum(v != "ok" for v in status.values())}
    path = folder / "index.html"
    with io.atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(district_page(plan, villages, results, schemes, status, summary), encoding="utf-8")
    out["report:district"] = path
    return out
