"""Self-contained HTML reports of a plan run (private): one per village and one for the district.

Each page embeds its CSS, the Lao font, its charts and the village's print map (PNG as
data URIs), so it opens offline and can be e-mailed as one file. Every value is
HTML-escaped. The pages are built by :mod:`landuse.plan._report_village` and
:mod:`landuse.plan._report_district` from the sentences of :mod:`landuse.plan._report_text`
(Lao first, English beside) and the A4 print stylesheet of :mod:`landuse.plan._report_css`;
this module makes the charts, finds the products to link and writes the files.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io as _io
from urllib.parse import quote
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from landuse import io
from landuse._validate.ids import id_filename
from landuse.plan._folder import environment_error
from landuse.plan._report_district import district_page
from landuse.plan._report_village import village_page
from landuse.plan._status import fail_village, reason_of

__all__ = ["district_page", "product_links", "village_charts", "village_page", "write_reports"]

def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@functools.lru_cache(maxsize=1)
def _lao_family() -> str | None:
    """Register Noto Sans Lao with matplotlib; its family name (None without the font)."""
    from matplotlib import font_manager

    from landuse.certificates import find_lao_font  # deferred: the certificates room is heavy

    try:
        path = str(find_lao_font())
    except Exception:  # noqa: BLE001 - charts fall back to English-only glyphs
        return None
    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


@contextlib.contextmanager
def _chart_style() -> Iterator[None]:
    """DejaVu Sans with Noto Sans Lao as per-glyph fallback, so Lao axis labels render."""
    import matplotlib

    matplotlib.use("Agg")
    lao = _lao_family()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", lao] if lao else ["DejaVu Sans"],
                                "axes.unicode_minus": False}):
        yield


def _lorenz_chart(lorenz: pd.DataFrame | None) -> str:
    if lorenz is None or not len(lorenz):
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = list(lorenz.columns)
    x, y = lorenz[cols[0]], lorenz[cols[1]]
    with _chart_style():
        fig, ax = plt.subplots(figsize=(4.6, 4.2))
        ax.plot([0, 1], [0, 1], color="#999", lw=1, label="ສະເໝີພາບ · equality")
        ax.plot(x, y, color="#d95f02", lw=2, label="ການຈັດສັນ · allocation")
        ax.set_xlabel("ສ່ວນຂອງຄອບຄົວ · share of households")
        ax.set_ylabel("ສ່ວນຂອງເນື້ອທີ່ຕໍ່ແຮງງານ · share of area per labour unit")
        ax.legend(loc="upper left")
        src = _png(fig)
    return f"<img alt='Lorenz curve' src='{src}'/>"


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
        with _chart_style():
            fig, ax = plt.subplots(figsize=(6, 4))
            colours = plt.get_cmap("viridis")
            decades = sorted(curves["decade"].unique())
            for k, dec in enumerate(decades):
                g = curves[curves["decade"] == dec]
                col = colours(k / max(len(decades) - 1, 1))
                ax.step(g["time_years"], g["survival"], where="post", color=col, lw=2,
                        label=f"ຖາງໃນຊຸມປີ {int(dec)} · cleared in the {int(dec)}s")
                ax.fill_between(g["time_years"], g["survival_lo"], g["survival_hi"], step="post",
                                color=col, alpha=0.15)
            ax.axhline(0.5, color="#999", lw=0.8, ls=":")
            ax.set_xlabel("ໄລຍະພັກດິນ t [ປີ] · fallow length t [years]")
            ax.set_ylabel("ສ່ວນທີ່ພັກດິນດົນກວ່າ t · share of fallows longer than t")
            ax.set_ylim(0, 1.02)
            ax.legend(fontsize="small")
            ax.grid(alpha=0.3)
            src = _png(fig)
    except Exception:  # noqa: BLE001 - a chart must never break a report
        plt.close("all")
        return ""
    return f"<img alt='Fallow survival curves by decade of clearing' src='{src}'/>"


def village_charts(result: Any) -> dict[str, str]:
    """The village report's charts as ``<img>`` tags with PNG data URIs.

    Called in the worker that ran the village (charts are the slow part of a report), or
    by :func:`village_page` when they were not made there.
    """
    p = result.products
    return {"lorenz": _lorenz_chart(p.lorenz), "fallow": _fallow_chart(p.fallow_cycles),
            "fallow_survival": _fallow_survival_chart(p.fallow_survival)}


def _rel(path: Path, out: Path) -> str:
    """Link from ``<out>/reports/`` to *path* inside *out* (URL-quoted)."""
    return "../" + "/".join(quote(part, safe="~._-") for part in path.relative_to(out).parts)


def product_links(out: Path, village_ids: list[str]) -> dict[str, Any]:
    """Links from ``<out>/reports/`` to the products of the run that exist in *out*.

    ``map`` (``map.html``), ``maps`` and ``print_maps`` (``maps/<village>.png``),
    ``certificates`` and ``register``, ``households`` (the household sheets' folder) and
    ``households_xlsx``. Nothing is linked that was not written.
    """
    links: dict[str, Any] = {}
    for key, rel in (("map", "map.html"), ("certificates", "certificates"), ("register", "certificates/register.csv"),
                     ("households", "households"), ("households_xlsx", "tables/households.xlsx"), ("maps", "maps")):
        if (out / rel).exists():
            links[key] = _rel(out / rel, out) + ("/" if (out / rel).is_dir() else "")
    links["print_maps"] = {}
    links["print_map_files"] = {}
    for vid in village_ids:
        png = out / "maps" / id_filename(vid, ".png")
        if png.is_file():
            links["print_maps"][vid] = _rel(png, out)
            links["print_map_files"][vid] = png
    return links


def _village_links(links: dict[str, Any], out: Path, vid: str) -> dict[str, Any]:
    mine = {k: v for k, v in links.items() if k in ("map",)}
    if vid in links.get("print_maps", {}):
        mine["print_map"] = links["print_maps"][vid]
        mine["print_map_file"] = links["print_map_files"][vid]
    certs = out / "certificates" / id_filename(vid)
    if certs.is_dir():
        mine["certificates"] = _rel(certs, out) + "/"
    return mine


def write_reports(folder: Path, *, plan: Any, results: list[Any], schemes: list[Any], status: dict[str, str],
                  villages: Any, summary: dict[str, Any]) -> dict[str, Path]:
    """Write ``<folder>/<village>.html`` for each result and ``<folder>/index.html``.

    Links go to the run's other products (``folder.parent``) that exist when the reports
    are written. A village whose page fails is marked failed in *status*.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    by_id = villages.set_index("village_id")
    links = product_links(folder.parent, [r.village_id for r in results])
    for r in results:
        path = folder / id_filename(r.village_id, ".html")
        try:
            html = village_page(plan, by_id.loc[r.village_id], r, schemes, status.get(r.village_id, "ok"),
                                links=_village_links(links, folder.parent, r.village_id),
                                charts=r.products.charts or village_charts(r))
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
        tmp.write_text(district_page(plan, villages, results, schemes, status, summary, links=links),
                       encoding="utf-8")
    out["report:district"] = path
    return out
