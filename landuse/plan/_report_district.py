"""The district report (private): one summary row per village, links, zoning and irrigation.

Every table fits the printable width of A4 portrait: the irrigation schemes are shown
with a few columns a district officer needs (the full design figures are in each
village report's appendix and in ``tables/irrigation_summary.csv``).
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from landuse._validate.ids import id_href
from landuse.plan import _report_text as txt
from landuse.plan._report_html import bi_heading, bi_inline, bi_lines, link, page, table

__all__ = ["district_page", "village_row"]


def village_row(result: Any, run_status: str) -> dict[str, Any]:
    """The district summary figures of one village (plain values, for the table and tests)."""
    p, fig = result.products, result.figures
    alloc = fig.get("allocation", {}) or {}
    hh = None if p.allocation_households is None else pd.DataFrame(p.allocation_households)
    n_parcels = len(p.parcel_zones) if p.parcel_zones is not None else alloc.get("n_parcels")
    zt = p.zone_table
    planned = float(pd.to_numeric(zt["area_ha"], errors="coerce").sum()) if zt is not None and len(zt) else None
    ent = alloc_ha = None
    n_low = n_nothing = None
    if hh is not None and len(hh):
        e = pd.to_numeric(hh.get("entitled_ha"), errors="coerce").sum() if "entitled_ha" in hh else None
        a = pd.to_numeric(hh.get("allocated_ha"), errors="coerce").sum() if "allocated_ha" in hh else None
        ent, alloc_ha = e, a
        n_low, n_nothing = len(txt.below_share(hh)), len(txt.got_nothing(hh))
    conflicts = p.conflicts
    n_high = int((conflicts["severity"].astype(str) == "high").sum()) if conflicts is not None and len(conflicts) \
        and "severity" in conflicts.columns else 0
    rev = txt.review(hh, conflicts, n_parcels)
    return {"village_id": result.village_id, "households": None if hh is None else len(hh), "planned_ha": planned,
            "entitled_ha": ent, "allocated_ha": alloc_ha, "n_below_share": n_low, "n_got_nothing": n_nothing,
            "n_conflicts": 0 if conflicts is None else len(conflicts), "n_conflicts_high": n_high,
            "needs_attention": rev.needs_attention, "run_status": run_status}


def _status_cell(row: dict[str, Any]) -> str:
    if row["run_status"] != "ok":
        return f"<span class='fail'>{bi_inline(('ລົ້ມເຫຼວ', 'failed'))}</span>"
    if row["needs_attention"]:
        return f"<span class='fail'>{bi_inline(('ຕ້ອງເອົາໃຈໃສ່', 'needs attention'))}</span>"
    return bi_inline(("ປົກກະຕິ", "ok"))


def _village_table(results: list[Any], names: pd.DataFrame, status: dict[str, str],
                   print_maps: dict[str, str]) -> str:
    rows = []
    for r in results:
        row = village_row(r, status.get(r.village_id, "ok"))
        vid = r.village_id
        lo = names.loc[vid, "name_lo"] if vid in names.index else ""
        en = names.loc[vid, "name_en"] if vid in names.index else vid
        name = link(id_href(vid), f"<span lang='lo'>{escape(str(lo))}</span><br><span lang='en'>{escape(str(en))}"
                                  f"</span>") + f"<br><span class='note id'>{escape(str(vid))}</span>"
        share = (txt.fmt_pct(row["allocated_ha"] / row["entitled_ha"])
                 if row["entitled_ha"] and row["allocated_ha"] is not None else "—")
        pm = link(print_maps[vid], "PNG") if vid in print_maps else "—"
        rows.append([name, txt.fmt_int(row["households"]), txt.fmt_ha(row["planned_ha"]), share,
                     txt.fmt_int(row["n_below_share"]), txt.fmt_int(row["n_got_nothing"]),
                     f"{txt.fmt_int(row['n_conflicts'])} ({txt.fmt_int(row['n_conflicts_high'])})",
                     _status_cell(row), pm])
    limit = txt.fmt_pct(txt.BELOW_SHARE)
    return table([("ບ້ານ", "Village"), ("ຄອບຄົວ", "Households"), ("ເນື້ອທີ່ແຜນ [ເຮັກຕາ]", "Planned [ha]"),
                  ("ໄດ້ຮັບ / ມີສິດ", "Allocated / entitled"), (f"ໜ້ອຍກວ່າ {limit}", f"Below {limit}"),
                  ("ບໍ່ໄດ້ຮັບປະເພດໃດໜຶ່ງ", "Got nothing of a type"), ("ຂັດແຍ່ງ (ສູງ)", "Conflicts (high)"),
                  ("ສະຖານະ", "Status"), ("ແຜນທີ່", "Map")],
                 rows, numeric=(1, 2, 3, 4, 5, 6), cells_html=True, cls="wide")


def _zoning(results: list[Any]) -> str:
    zt = [r.products.zone_table for r in results if r.ok and r.products.zone_table is not None]
    if not zt:
        return ""
    allz = pd.concat(zt, ignore_index=True)
    tot = allz.groupby("zone", sort=True)["area_ha"].sum().sort_values(ascending=False, kind="mergesort")
    total = float(tot.sum())
    rows = [[*txt.zone_label(z), txt.fmt_ha(a), txt.fmt_pct(a / total) if total else "—"] for z, a in tot.items()]
    rows.append(["ລວມ", "Total", txt.fmt_ha(total), txt.fmt_pct(1.0) if total else "—"])
    return bi_heading(2, ("ການແບ່ງເຂດຂອງເມືອງ", "District zoning")) + table(
        [("ເຂດ", "Zone (Lao)"), ("ເຂດ (ອັງກິດ)", "Zone (English)"), ("ເນື້ອທີ່ [ເຮັກຕາ]", "Area [ha]"), ("ສ່ວນ", "Share")],
        rows, numeric=(2, 3))


def _irrigation(schemes: list[Any]) -> str:
    if not schemes:
        return ""
    rows = []
    for s in schemes:
        sm = s.summary
        deficit = str(sm.get("deficit_months") or "").split()
        enough = sm.get("source_sufficient") is True or (not deficit and sm.get("source_sufficient") is not False)
        water = bi_inline(("ພຽງພໍ", "enough")) if enough else (
            bi_inline(("ບໍ່ພໍ", "short")) + f"<br><span class='note'>{escape(', '.join(deficit))}</span>")
        canal = {True: bi_inline(("ໃຊ້ໄດ້", "ok")), False: f"<span class='fail'>{bi_inline(('ແກ້ໄຂ', 'redesign'))}</span>"}
        name = (f"{escape(str(s.spec.scheme_id))}<br><span lang='lo'>{escape(str(s.spec.name_lo))}</span><br>"
                f"<span lang='en'>{escape(str(s.spec.name_en))}</span>")
        rows.append([name, escape(str(s.spec.village_id)), txt.fmt_ha(sm.get("area_ha")), txt.fmt_int(sm.get("families")),
                     txt.fmt_int(sm.get("design_flow_l_s")), txt.fmt_int(sm.get("dependable_flow_l_s")), water,
                     canal.get(sm.get("canal_ok"), "—")])
    return (bi_heading(2, ("ໂຄງການຊົນລະປະທານ", "Irrigation schemes")) +
            bi_lines([("ຕົວເລກການອອກແບບທັງໝົດ ຢູ່ໃນພາກຜະນວກຂອງລາຍງານບ້ານ ແລະ ໃນ tables/irrigation_summary.csv.",
                       "All design figures are in the appendix of each village report and in "
                       "tables/irrigation_summary.csv.")], cls="note") +
            table([("ໂຄງການ", "Scheme"), ("ບ້ານ", "Village"), ("ນາ [ເຮັກຕາ]", "Paddy [ha]"), ("ຄອບຄົວ", "Families"),
                   ("ຕ້ອງການ [ລ/ວິ]", "Needs [l/s]"), ("ຫ້ວຍໃຫ້ [ລ/ວິ]", "Stream [l/s]"), ("ນ້ຳ", "Water"),
                   ("ຄອງ", "Canal")], rows, numeric=(2, 3, 4, 5), cells_html=True, cls="wide"))


def district_page(plan: Any, villages: Any, results: list[Any], schemes: list[Any],
                  status: dict[str, str], summary: dict[str, Any], *, links: dict[str, Any] | None = None) -> str:
    """The HTML of the district report (``reports/index.html``).

    *links* holds relative links (from ``<out>/reports/``) to products that exist: ``map``,
    ``maps`` (folder of print maps), ``print_maps`` (village_id → PNG), ``certificates``,
    ``register``, ``households``, ``households_xlsx``.
    """
    links = dict(links or {})
    names = villages.set_index("village_id")
    n_failed = summary.get("n_failed", 0)
    parts = [f"<header><h1>{bi_inline(('ແຜນການນຳໃຊ້ທີ່ດິນຂອງເມືອງ', 'District land-use plan'))}</h1>",
             f"<p><b>{escape(str(plan.name))}</b></p>",
             bi_lines([(f"{txt.fmt_int(len(results))} ບ້ານ · ລົ້ມເຫຼວ {txt.fmt_int(n_failed)} · ວັນທີອອກ {plan.issue_date}",
                        f"{txt.fmt_int(len(results))} villages · {txt.fmt_int(n_failed)} failed · issue date "
                        f"{plan.issue_date}")])]
    items = []
    for key, pair in (("map", ("ແຜນທີ່ອອນລາຍ", "Interactive map")), ("maps", ("ແຜນທີ່ສຳລັບພິມ", "Print maps")),
                      ("certificates", ("ໃບຢັ້ງຢືນ", "Certificates")), ("register", ("ທະບຽນໃບຢັ້ງຢືນ", "Certificate register")),
                      ("households", ("ເອກະສານຄອບຄົວ", "Household sheets")),
                      ("households_xlsx", ("ຕາຕະລາງຄອບຄົວ", "Household table (Excel)"))):
        if key in links:
            items.append(link(links[key], bi_inline(pair)))
    if items:
        parts.append(f"<nav class='links'>{''.join(items)}</nav>")
    parts.append("</header>")
    parts += [bi_heading(2, ("ບ້ານ", "Villages")), bi_lines(txt.review(None, None, None).rules, cls="note"),
              _village_table(results, names, status, links.get("print_maps", {}))]
    failed = [(vid, why) for vid, why in sorted(status.items()) if why != "ok"]
    if failed:
        parts.append(bi_heading(3, ("ບ້ານທີ່ການຄຳນວນລົ້ມເຫຼວ", "Villages whose run failed")))
        parts.append(table([("ບ້ານ", "Village"), ("ເຫດຜົນ (ພາສາອັງກິດ)", "Reason (English)")], failed))
    parts += [_zoning(results), _irrigation(schemes)]
    return page(f"{plan.name} — district report", "".join(parts))
