"""The village report (private): what a district officer reads about one village's plan.

Sections, Lao first with English beside: status (``needs attention`` or ``ok``, with the
rule), the static plan map, key figures in sentences, zoning, the households that got
too little (linked to their sheets), conflicts in words, equity, fallow, irrigation,
and an appendix with the solver figures and the full tables.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from landuse.plan import _report_text as txt
from landuse.plan._report_html import bi_heading, bi_inline, bi_lines, household_href, link, page, table

__all__ = ["village_page"]

_ALLOC_LABELS: dict[str, tuple[str, str]] = {
    "method": ("ວິທີ", "method"), "status": ("ສະຖານະຂອງຕົວແກ້", "solver status"),
    "mip_gap": ("ຊ່ອງຫວ່າງ MIP", "MIP gap"), "n_subproblems": ("ຈຳນວນບັນຫາຍ່ອຍ", "sub-problems"),
    "deterministic": ("ຜົນຄືເກົ່າທຸກຄັ້ງ", "deterministic"), "gini": ("ຄ່າ Gini", "Gini"),
}


def _names(row: Any) -> tuple[str, str]:
    lo = str(row.get("head_name_lo", "") or "") if pd.notna(row.get("head_name_lo", "")) else ""
    en = str(row.get("head_name", "") or "") if pd.notna(row.get("head_name", "")) else ""
    return lo, en


def _hh_cell(vid: str, hid: Any) -> str:
    return link(household_href(vid, hid), f"<span class='id'>{escape(str(hid))}</span>")


def _types_cell(types: list[str]) -> str:
    return "<br>".join(bi_inline(txt.land_type_label(t)) for t in types)


def _records(df: pd.DataFrame) -> Any:
    """Each row of *df* as a dict of its values as ``iterrows`` gives them (the frame's
    interleaved values), without building a Series per row."""
    return (dict(zip(df.columns, v, strict=True)) for v in df.to_numpy())


def _household_tables(vid: str, hh: pd.DataFrame | None) -> str:
    if hh is None or not len(hh):
        return bi_lines([("ບໍ່ມີການຈັດສັນ.", "No allocation.")])
    parts = []
    low = txt.below_share(hh)
    limit = txt.fmt_pct(txt.BELOW_SHARE)
    parts.append(bi_heading(3, (f"ຄອບຄົວທີ່ໄດ້ຮັບໜ້ອຍກວ່າ {limit} ຂອງສິດ",
                                f"Households that received less than {limit} of their entitlement")))
    parts.append(bi_lines([(f"ລາຍຊື່ນີ້ ລວມທຸກຄອບຄົວທີ່ໄດ້ຮັບທີ່ດິນ (ທຸກປະເພດລວມກັນ) ໜ້ອຍກວ່າ {limit} ຂອງເນື້ອທີ່ທີ່ມີສິດ: "
                             f"{txt.fmt_int(len(low))} ຄອບຄົວ.",
                             f"This list holds every household whose allocated area (all land types together) is "
                             f"below {limit} of its entitled area: {txt.fmt_int(len(low))} households.")]))
    rows = []
    for k, r in enumerate(_records(low), start=1):
        lo, en = _names(r)
        rows.append([str(k), _hh_cell(vid, r["household_id"]), escape(lo), escape(en),
                     txt.fmt_ha(r["entitled_ha"]), txt.fmt_ha(r["allocated_ha"]), txt.fmt_pct(r["share"])])
    parts.append(table(["#", ("ລະຫັດຄອບຄົວ", "Household"), ("ຫົວໜ້າຄອບຄົວ", "Head (Lao)"),
                        ("ຫົວໜ້າຄອບຄົວ (ອັງກິດ)", "Head (English)"), ("ມີສິດ [ເຮັກຕາ]", "Entitled [ha]"),
                        ("ໄດ້ຮັບ [ເຮັກຕາ]", "Allocated [ha]"), ("ສ່ວນ", "Share")],
                       rows, numeric=(0, 4, 5, 6), cells_html=True))
    nothing = txt.got_nothing(hh)
    parts.append(bi_heading(3, ("ຄອບຄົວທີ່ບໍ່ໄດ້ຮັບທີ່ດິນປະເພດທີ່ຕົນມີສິດ",
                                "Households that got nothing of a land type they are entitled to")))
    by_id = hh.set_index("household_id", drop=False)
    first = ~by_id.index.duplicated()
    names = {hid: _names(r) for hid, r in zip(by_id.index[first], _records(by_id[first]), strict=True)}
    rows = []
    for k, (hid, types) in enumerate(zip(nothing["household_id"], nothing["land_types"], strict=True), start=1):
        if hid in names:
            lo, en = names[hid]
        else:  # an id a dict cannot find (NaN): as before, by label
            full = by_id.loc[hid]
            lo, en = _names(full.iloc[0] if isinstance(full, pd.DataFrame) else full)
        rows.append([str(k), _hh_cell(vid, hid), escape(lo), escape(en), _types_cell(list(types))])
    parts.append(table(["#", ("ລະຫັດຄອບຄົວ", "Household"), ("ຫົວໜ້າຄອບຄົວ", "Head (Lao)"),
                        ("ຫົວໜ້າຄອບຄົວ (ອັງກິດ)", "Head (English)"), ("ບໍ່ໄດ້ຮັບ", "Got nothing of")],
                       rows, numeric=(0,), cells_html=True))
    return "".join(parts)


def _zone_table(zt: pd.DataFrame | None) -> str:
    if zt is None or not len(zt):
        return ""
    a = pd.to_numeric(zt["area_ha"], errors="coerce")
    total = float(a.sum())
    rows = []
    for z, area in zip(zt["zone"], a, strict=True):
        lo, en = txt.zone_label(z)
        rows.append([lo, en, txt.fmt_ha(area), txt.fmt_pct(area / total) if total > 0 else "—"])
    rows.append(["ລວມ", "Total", txt.fmt_ha(total), txt.fmt_pct(1.0) if total > 0 else "—"])
    return table([("ເຂດ", "Zone (Lao)"), ("ເຂດ (ອັງກິດ)", "Zone (English)"), ("ເນື້ອທີ່ [ເຮັກຕາ]", "Area [ha]"),
                  ("ສ່ວນ", "Share")], rows, numeric=(2, 3))


def _conflict_table(conflicts: pd.DataFrame | None) -> str:
    if conflicts is None or not len(conflicts):
        return ""
    rows = []
    for _, r in conflicts.iterrows():
        rows.append([escape(str(r.get("parcel_id", ""))), bi_inline(txt.land_type_label(r.get("land_type", ""))),
                     bi_inline(txt.zone_label(r.get("dominant_zone", ""))),
                     bi_inline(txt._label("severity", r.get("severity", ""))),
                     f"<span lang='en'>{escape(str(r.get('conflict_reason', '') or ''))}</span>"])
    return table([("ລະຫັດຕອນດິນ", "Parcel"), ("ປະເພດທີ່ດິນ", "Land type"), ("ເຂດ", "Zone"),
                  ("ລະດັບ", "Severity"), ("ເຫດຜົນ (ພາສາອັງກິດ)", "Reason (English)")], rows, cells_html=True)


def _fallow_table(figures: dict[str, Any]) -> str:
    km = figures.get("fallow_km_by_decade") or {}
    rows = []
    for dec, v in km.items():
        v = v or {}
        lo_, hi_ = v.get("median_fallow_years_lo"), v.get("median_fallow_years_hi")
        ci = f"{txt.fmt_int(lo_)}–{txt.fmt_int(hi_)}" if lo_ is not None and hi_ is not None else "—"
        ok = v.get("status") == "ok"
        rows.append([f"{txt.fmt_year(dec)}s", f"{txt.fmt_int(v.get('n_spells'))} ({txt.fmt_int(v.get('n_events'))})",
                     txt.fmt_int(v.get("median_fallow_years")), ci,
                     "—" if v.get("mean_fallow_years") is None else f"{float(v['mean_fallow_years']):.1f}",
                     bi_inline(("ພຽງພໍ", "ok") if ok else ("ຕິດຕາມບໍ່ພໍ", str(v.get("status", ""))))])
    return table([("ຊຸມປີທີ່ຖາງ", "Cleared in"), ("ຈຳນວນ (ສິ້ນສຸດ)", "Fallows (ended)"),
                  ("ຄ່າກາງ [ປີ]", "Median [years]"), ("95 %", "95 % CI"), ("ສະເລ່ຍ [ປີ]", "Mean [years]"),
                  ("ໝາຍເຫດ", "Note")], rows, numeric=(1, 2, 4),
                 cells_html=True) if rows else ""


def _kv(d: dict[str, Any]) -> str:
    rows = []
    for k, v in d.items():
        if isinstance(v, (dict, list)):
            continue
        lo, en = _ALLOC_LABELS.get(k, ("", k))
        if isinstance(v, float):
            value = f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"
        elif "year" in k and txt._num(v) is not None:
            value = txt.fmt_year(v)
        else:
            value = str(v)
        rows.append([bi_inline((lo, en)) if lo else escape(en), escape(value)])
    return table([("ຊື່", "Name"), ("ຄ່າ", "Value")], rows, cells_html=True)


def _status_box(review: txt.Review, run_status: str) -> str:
    parts = []
    if run_status != "ok":
        flag = bi_inline(("ການຄຳນວນຂອງບ້ານນີ້ລົ້ມເຫຼວ", "The run of this village failed"))
        parts.append(f"<div class='status attention'><p class='flag'>{flag}</p>"
                     f"<p lang='en'>{escape(run_status)}</p></div>")
    cls = "attention" if review.needs_attention else "ok"
    parts.append(f"<div class='status {cls}' data-status='{'needs attention' if review.needs_attention else 'ok'}'>"
                 f"<p class='flag'>{bi_inline(('ສະຖານະ: ' + review.label[0], 'Status: ' + review.label[1]))}</p>"
                 + bi_lines(review.reasons) + bi_lines(review.rules, cls="note") + "</div>")
    return "".join(parts)


def _map_figure(links: dict[str, Any]) -> str:
    png = links.get("print_map_file")
    if png is None or not Path(png).is_file():
        return bi_lines([("ບໍ່ມີແຜນທີ່ສຳລັບພິມ.", "No print map was made.")])
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    caption = bi_inline(("ແຜນທີ່ແຜນການນຳໃຊ້ທີ່ດິນຂອງບ້ານ", "Village land-use plan map"))
    return (f"<figure><img alt='Village land-use plan map' src='data:image/png;base64,{data}'/>"
            f"<figcaption>{caption} — {link(links['print_map'], 'PNG')}</figcaption></figure>")


def _nav(links: dict[str, Any], hh_folder: str | None) -> str:
    items = [link("./index.html", bi_inline(("ລາຍງານເມືອງ", "District report")))]
    if "map" in links:
        items.append(link(links["map"], bi_inline(("ແຜນທີ່ອອນລາຍ", "Interactive map"))))
    if "print_map" in links:
        items.append(link(links["print_map"], bi_inline(("ແຜນທີ່ສຳລັບພິມ", "Print map"))))
    if "certificates" in links:
        items.append(link(links["certificates"], bi_inline(("ໃບຢັ້ງຢືນ", "Certificates"))))
    if hh_folder:
        items.append(link(hh_folder, bi_inline(("ເອກະສານຄອບຄົວ", "Household sheets"))))
    return f"<nav class='links'>{''.join(items)}</nav>"


def village_page(plan: Any, village: Any, result: Any, schemes: list[Any], status: str, *,
                 links: dict[str, Any] | None = None, charts: dict[str, str] | None = None) -> str:
    """The HTML of one village's report (see the module documentation).

    *links* holds relative links (from ``<out>/reports/``) to products that exist:
    ``map``, ``print_map`` (+ ``print_map_file``, the PNG to embed), ``certificates``.
    """
    links = dict(links or {})
    vid = str(result.village_id)
    name_en, name_lo = str(village.get("name_en", vid)), str(village.get("name_lo", "") or "")
    p, fig = result.products, result.figures
    alloc = fig.get("allocation", {}) or {}
    hh = None if p.allocation_households is None else pd.DataFrame(p.allocation_households)
    n_parcels = len(p.parcel_zones) if p.parcel_zones is not None else alloc.get("n_parcels")
    rev = txt.review(hh, p.conflicts, n_parcels)
    hh_folder = None
    if hh is not None and len(hh):
        hh_folder = household_href(vid, "x").rsplit("/", 1)[0] + "/"
    parts = [f"<header><h1>{bi_inline((name_lo, name_en))}</h1>",
             bi_lines([(f"ບ້ານ {vid} · ແຜນ “{plan.name}” · ວັນທີອອກ {plan.issue_date}",
                        f"Village {vid} · plan “{plan.name}” · issue date {plan.issue_date}")]),
             _nav(links, hh_folder), "</header>", _status_box(rev, status)]
    parts += [bi_heading(2, ("ແຜນທີ່", "Plan map"), id_="map"), _map_figure(links)]
    parts += [bi_heading(2, ("ຕົວເລກສຳຄັນ", "Key figures"), id_="figures"), bi_lines(txt.zone_sentences(p.zone_table)),
              bi_lines(txt.household_sentences(hh, n_parcels_allocated=alloc.get("n_allocated")))]
    parts += [bi_heading(2, ("ການແບ່ງເຂດ", "Zoning"), id_="zoning"), _zone_table(p.zone_table)]
    parts += ["<section class='major'>", bi_heading(2, ("ຄອບຄົວທີ່ໄດ້ຮັບທີ່ດິນໜ້ອຍ", "Households that got too little"),
                                                    id_="households"), _household_tables(vid, hh), "</section>"]
    parts += [bi_heading(2, ("ຂໍ້ຂັດແຍ່ງລະຫວ່າງຕອນດິນ ແລະ ເຂດ", "Conflicts between parcels and zones"), id_="conflicts"),
              bi_lines(txt.conflict_sentences(p.conflicts, n_parcels)),
              bi_lines([("ລາຍການຕອນດິນທີ່ຂັດແຍ່ງ ຢູ່ໃນພາກຜະນວກ.", "The conflicting parcels are listed in the appendix.")],
                       cls="note") if p.conflicts is not None and len(p.conflicts) else ""]
    charts = charts if charts is not None else (p.charts or {})
    gini = txt._num(alloc.get("gini"))
    parts.append(bi_heading(2, ("ຄວາມສະເໝີພາບຂອງການຈັດສັນ", "Fairness of the allocation"), id_="equity"))
    if gini is not None:
        parts.append(bi_lines([(f"ຄ່າ Gini ຂອງເນື້ອທີ່ຕໍ່ແຮງງານ ແມ່ນ {gini:.2f} (0 = ທຸກຄອບຄົວໄດ້ເທົ່າກັນ, 1 = ຄອບຄົວດຽວໄດ້ໝົດ).",
                                f"The Gini index of the area per labour unit is {gini:.2f} (0 = every household the "
                                "same, 1 = one household gets everything).")]))
    parts.append(charts.get("lorenz", ""))
    parts += [bi_heading(2, ("ການພັກດິນ", "Fallow"), id_="fallow"), bi_lines(txt.fallow_sentences(fig)),
              _fallow_table(fig), charts.get("fallow_survival", ""), charts.get("fallow", "")]
    mine = [s for s in schemes if s.spec.village_id == vid]
    if mine:
        parts.append(bi_heading(2, ("ຊົນລະປະທານ", "Irrigation"), id_="irrigation"))
        for s in mine:
            parts.append(bi_heading(3, (f"{s.spec.scheme_id} {s.spec.name_lo}", f"{s.spec.scheme_id} {s.spec.name_en}")))
            parts.append(bi_lines(txt.irrigation_sentences({**s.summary, "name_lo": s.spec.name_lo,
                                                            "name_en": s.spec.name_en})))
    parts += ["<section class='appendix'>", bi_heading(2, ("ພາກຜະນວກ", "Appendix"), id_="appendix"),
              bi_heading(3, ("ຕົວເລກຂອງຕົວແກ້ບັນຫາ", "Solver figures of the allocation")), _kv(alloc),
              bi_heading(3, ("ຕອນດິນທີ່ຂັດແຍ່ງ", "Conflicting parcels")), _conflict_table(p.conflicts)]
    for s in mine:
        parts += [bi_heading(3, (f"{s.spec.scheme_id}: ຕົວເລກການອອກແບບ", f"{s.spec.scheme_id}: design figures")),
                  _kv(s.summary)]
    parts.append("</section>")
    return page(f"{name_lo} {name_en} — village plan", "".join(parts))
