"""Plain Lao and English sentences for the plan reports (private).

Every builder returns ``(lao, english)`` pairs of plain text (not HTML: the pages
escape them), so that the same facts are stated in both languages and can be tested
without a browser. Numbers are written the same way in both: areas with a narrow
space between thousands and few decimals (:func:`fmt_ha`), years without separators
(:func:`fmt_year`).

The review rules a district officer sees in the report are constants here:
:data:`BELOW_SHARE` (the share of the entitlement below which a household is listed),
:data:`NOTHING_HA` (less than this of a land type counts as nothing) and
:data:`CONFLICT_HIGH_SHARE` (the share of a village's parcels with a high-severity
conflict above which the village needs attention).

The Lao wording is a working translation; have it checked by the district office
before the reports are circulated (as for ``landuse/maps/data/colours.toml``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BELOW_SHARE", "CONFLICT_HIGH_SHARE", "NOTHING_HA", "Review", "below_share", "bilingual_header",
    "column_label", "conflict_sentences", "fallow_sentences", "fmt_ha", "fmt_int", "fmt_pct", "fmt_year",
    "got_nothing", "household_sentences", "irrigation_sentences", "land_types", "review", "zone_sentences",
]

#: Households that received less than this share of their total entitlement are listed. [-]
BELOW_SHARE = 0.5
#: Less than this area of a land type counts as "nothing". [ha]
NOTHING_HA = 0.005
#: A village needs attention when more than this share of its parcels has a high-severity conflict. [-]
CONFLICT_HIGH_SHARE = 0.05

Pair = tuple[str, str]
_NNBSP = "\u202f"  # narrow no-break space: thousands separator in both languages


# -- numbers -------------------------------------------------------------------------------
def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def fmt_int(v: Any) -> str:
    """A count with narrow spaces between thousands (``1 317``); ``—`` when missing."""
    x = _num(v)
    return "—" if x is None else f"{round(x):,}".replace(",", _NNBSP)


def fmt_ha(v: Any) -> str:
    """An area in hectares with sensible decimals: 2 below 10 ha, 1 below 100 ha, none above.

    >>> fmt_ha(0.3387), fmt_ha(17.478), fmt_ha(1317.43)
    ('0.34', '17.5', '1\u202f317')
    """
    x = _num(v)
    if x is None:
        return "—"
    digits = 2 if abs(x) < 10 else 1 if abs(x) < 100 else 0
    text = f"{x:,.{digits}f}".replace(",", _NNBSP)
    return "0" if text.strip("-0.") == "" else text


def fmt_pct(v: Any) -> str:
    """A share [0-1] as a whole percentage (``45 %``); below 1 % with one decimal."""
    x = _num(v)
    if x is None:
        return "—"
    p = 100 * x
    return f"{p:.1f} %" if 0 < abs(p) < 1 else f"{p:.0f} %"


def fmt_year(v: Any) -> str:
    """A calendar year as four digits, never ``2,033`` or ``2033.0``."""
    x = _num(v)
    return "—" if x is None else str(round(x))


# -- vocabularies ----------------------------------------------------------------------------
def _label(vocab: str, key: Any) -> Pair:
    from landuse.maps import STYLES  # deferred: the maps room imports folium lazily but is large

    entry = STYLES[vocab].get(str(key)) if vocab in STYLES else None
    if entry is None:
        return str(key), str(key)
    return str(entry["lo"]), str(entry["en"])


def land_type_label(key: Any) -> Pair:
    """Lao and English name of a land type (``paddy`` → ``ນາ``, ``Paddy``)."""
    return _label("land_type", key)


def zone_label(key: Any) -> Pair:
    """Lao and English name of a zone code (``PADDY`` → ``ນາ``, ``Paddy``)."""
    return _label("zone", key)


def land_types(households: pd.DataFrame) -> list[str]:
    """Land types with both ``entitled_ha_<t>`` and ``allocated_ha_<t>`` columns, in column order."""
    cols = set(households.columns)
    return [c[len("entitled_ha_"):] for c in households.columns
            if c.startswith("entitled_ha_") and f"allocated_ha_{c[len('entitled_ha_'):]}" in cols]


def _float_col(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(0.0, index=df.index)
    return pd.to_numeric(df[col], errors="coerce").fillna(0.0)


def _totals(hh: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    types = land_types(hh)
    ent = _float_col(hh, "entitled_ha") if "entitled_ha" in hh.columns else sum(
        (_float_col(hh, f"entitled_ha_{t}") for t in types), pd.Series(0.0, index=hh.index))
    alloc = _float_col(hh, "allocated_ha") if "allocated_ha" in hh.columns else sum(
        (_float_col(hh, f"allocated_ha_{t}") for t in types), pd.Series(0.0, index=hh.index))
    return ent, alloc


# -- who got too little --------------------------------------------------------------------
def got_nothing(households: pd.DataFrame, *, nothing_ha: float = NOTHING_HA) -> pd.DataFrame:
    """Households that got nothing of a land type they are entitled to.

    A household is listed for land type *t* when ``entitled_ha_<t> > 0`` and
    ``allocated_ha_<t> < nothing_ha``.

    Returns
    -------
    pandas.DataFrame
        ``household_id`` and ``land_types`` (list of the land types it got nothing of),
        one row per such household, in the order of *households*.
    """
    types = land_types(households)
    # one boolean column per land type, each column parsed once (not once per household)
    short = np.zeros((len(households), len(types)), dtype=bool)
    for j, t in enumerate(types):
        short[:, j] = ((_float_col(households, f"entitled_ha_{t}").to_numpy() > 0)
                       & (_float_col(households, f"allocated_ha_{t}").to_numpy() < nothing_ha))
    ids = households["household_id"]
    rows = [{"household_id": ids.iat[k], "land_types": [t for t, s in zip(types, short[k], strict=True) if s]}
            for k in np.flatnonzero(short.any(axis=1))]
    return pd.DataFrame(rows, columns=["household_id", "land_types"])


def below_share(households: pd.DataFrame, *, share: float = BELOW_SHARE) -> pd.DataFrame:
    """Households that received less than *share* of their total entitlement.

    .. math:: s_h = A_h / E_h, \\quad \\text{listed when } E_h > 0 \\text{ and } s_h < share

    with :math:`E_h` the household's entitled area and :math:`A_h` its allocated area
    (all land types) [ha]. Sorted by share, then household id.

    Returns
    -------
    pandas.DataFrame
        The rows of *households* with a ``share`` column [-].
    """
    ent, alloc = _totals(households)
    out = households.assign(entitled_ha=ent, allocated_ha=alloc)
    out = out[ent > 0]
    out = out.assign(share=out["allocated_ha"] / out["entitled_ha"])
    out = out[out["share"] < share]
    return out.sort_values(["share", "household_id"], kind="mergesort")


@dataclass
class Review:
    """The review status of a village: ``needs_attention`` and the reasons (Lao, English)."""

    needs_attention: bool
    reasons: list[Pair] = field(default_factory=list)
    rules: list[Pair] = field(default_factory=list)

    @property
    def label(self) -> Pair:
        """The status in words."""
        return ("ຕ້ອງເອົາໃຈໃສ່", "needs attention") if self.needs_attention else ("ປົກກະຕິ", "ok")


def review(households: pd.DataFrame | None, conflicts: pd.DataFrame | None, n_parcels: int | None) -> Review:
    """Whether a village needs attention, and why.

    It does when any household got nothing of a land type it is entitled to
    (:func:`got_nothing`), or when more than :data:`CONFLICT_HIGH_SHARE` of the
    village's *n_parcels* parcels have a high-severity conflict with the zoning.
    """
    reasons: list[Pair] = []
    if households is not None and len(households):
        nothing = got_nothing(households)
        if len(nothing):
            n = fmt_int(len(nothing))
            reasons.append((f"{n} ຄອບຄົວ ບໍ່ໄດ້ຮັບທີ່ດິນປະເພດທີ່ຕົນມີສິດໄດ້ຮັບ ຈັກຕອນ.",
                            f"{n} households got nothing of a land type they are entitled to."))
    n_high = _n_high(conflicts)
    if n_parcels and n_high / n_parcels > CONFLICT_HIGH_SHARE:
        reasons.append((f"{fmt_int(n_high)} ຕອນດິນ ({fmt_pct(n_high / n_parcels)}) ຂັດກັບການແບ່ງເຂດ ໃນລະດັບສູງ.",
                        f"{fmt_int(n_high)} parcels ({fmt_pct(n_high / n_parcels)}) conflict with the zoning "
                        "at high severity."))
    limit = fmt_pct(CONFLICT_HIGH_SHARE)
    rules = [("ບ້ານໜຶ່ງ ຕ້ອງເອົາໃຈໃສ່ ເມື່ອມີຄອບຄົວໃດໜຶ່ງ ບໍ່ໄດ້ຮັບທີ່ດິນປະເພດທີ່ຕົນມີສິດ, ຫຼື ເມື່ອຕອນດິນ"
              f"ທີ່ຂັດກັບການແບ່ງເຂດໃນລະດັບສູງ ມີຫຼາຍກວ່າ {limit} ຂອງຕອນດິນທັງໝົດຂອງບ້ານ.",
              "A village needs attention when any household got nothing of a land type it is entitled to, "
              f"or when more than {limit} of its parcels conflict with the zoning at high severity.")]
    return Review(bool(reasons), reasons, rules)


def _n_high(conflicts: pd.DataFrame | None) -> int:
    if conflicts is None or not len(conflicts) or "severity" not in conflicts.columns:
        return 0
    return int((conflicts["severity"].astype(str) == "high").sum())


# -- key figures ---------------------------------------------------------------------------
def household_sentences(households: pd.DataFrame | None, *, n_parcels_allocated: Any = None) -> list[Pair]:
    """Households, entitlement against allocation (total and per land type), who got too little."""
    if households is None or not len(households):
        return [("ບໍ່ມີການຈັດສັນທີ່ດິນໃນບ້ານນີ້.", "There is no allocation in this village.")]
    n = fmt_int(len(households))
    ent, alloc = _totals(households)
    e, a = float(ent.sum()), float(alloc.sum())
    out = [(f"ບ້ານນີ້ມີ {n} ຄອບຄົວ ທີ່ໄດ້ຮັບການຈັດສັນທີ່ດິນ.",
            f"{n} households take part in the allocation.")]
    share = f" ({fmt_pct(a / e)})" if e > 0 else ""
    out.append((f"ຄອບຄົວທັງໝົດ ມີສິດໄດ້ຮັບທີ່ດິນ {fmt_ha(e)} ເຮັກຕາ ແລະ ໄດ້ຮັບການຈັດສັນ {fmt_ha(a)} ເຮັກຕາ{share}.",
                f"Together they are entitled to {fmt_ha(e)} ha and were allocated {fmt_ha(a)} ha{share}."))
    for t in land_types(households):
        te = float(_float_col(households, f"entitled_ha_{t}").sum())
        ta = float(_float_col(households, f"allocated_ha_{t}").sum())
        if te <= 0 and ta <= 0:
            continue
        lo, en = land_type_label(t)
        sh = f" ({fmt_pct(ta / te)})" if te > 0 else ""
        out.append((f"{lo}: ມີສິດ {fmt_ha(te)} ເຮັກຕາ, ໄດ້ຮັບ {fmt_ha(ta)} ເຮັກຕາ{sh}.",
                    f"{en}: entitled {fmt_ha(te)} ha, allocated {fmt_ha(ta)} ha{sh}."))
    if n_parcels_allocated is not None and _num(n_parcels_allocated) is not None:
        k = fmt_int(n_parcels_allocated)
        out.append((f"ໄດ້ມອບ {k} ຕອນດິນ.", f"{k} parcels were allocated."))
    low = below_share(households)
    limit = fmt_pct(BELOW_SHARE)
    out.append((f"{fmt_int(len(low))} ຄອບຄົວ ໄດ້ຮັບທີ່ດິນໜ້ອຍກວ່າ {limit} ຂອງສິດທີ່ຄວນໄດ້ຮັບ.",
                f"{fmt_int(len(low))} households received less than {limit} of their entitlement."))
    return out


def zone_sentences(zone_table: pd.DataFrame | None) -> list[Pair]:
    """The planned area in total and per zone, largest first."""
    if zone_table is None or not len(zone_table) or "area_ha" not in zone_table.columns:
        return [("ບໍ່ມີການແບ່ງເຂດ.", "No zoning was made.")]
    zt = zone_table.assign(_a=pd.to_numeric(zone_table["area_ha"], errors="coerce").fillna(0.0))
    total = float(zt["_a"].sum())
    out = [(f"ເນື້ອທີ່ທີ່ໄດ້ວາງແຜນທັງໝົດ {fmt_ha(total)} ເຮັກຕາ.",
            f"The plan covers {fmt_ha(total)} ha.")]
    for _, r in zt.sort_values("_a", ascending=False, kind="mergesort").iterrows():
        lo, en = zone_label(r["zone"])
        sh = f" ({fmt_pct(r['_a'] / total)})" if total > 0 else ""
        out.append((f"{lo}: {fmt_ha(r['_a'])} ເຮັກຕາ{sh}", f"{en}: {fmt_ha(r['_a'])} ha{sh}"))
    return out


def _conflict_kind(reason: Any) -> str:
    text = str(reason)
    if "mean slope" in text:
        return "slope"
    if "is not allowed" in text:
        return "zone"
    if "outside the zoned" in text:
        return "outside"
    return "other"


def conflict_sentences(conflicts: pd.DataFrame | None, n_parcels: int | None) -> list[Pair]:
    """Conflicts between parcels and the zoning, counted by land type and kind, in words."""
    n = 0 if conflicts is None else len(conflicts)
    of = f" ({fmt_pct(n / n_parcels)})" if n_parcels else ""
    total = fmt_int(n_parcels) if n_parcels else "—"
    if n == 0:
        return [("ບໍ່ມີຕອນດິນໃດ ຂັດກັບການແບ່ງເຂດ.", "No parcel conflicts with the draft zoning.")]
    assert conflicts is not None
    n_high = _n_high(conflicts)
    out = [(f"{fmt_int(n)} ຕອນດິນ ຈາກທັງໝົດ {total}{of} ຂັດກັບການແບ່ງເຂດ; ໃນນັ້ນ {fmt_int(n_high)} ຕອນ ຢູ່ໃນລະດັບສູງ.",
            f"{fmt_int(n)} of {total} parcels{of} conflict with the draft zoning; {fmt_int(n_high)} of them "
            "at high severity.")]
    c = conflicts.assign(_kind=[_conflict_kind(r) for r in conflicts.get("conflict_reason", [""] * n)],
                         _lt=conflicts.get("land_type", pd.Series("other", index=conflicts.index)).astype(str))
    for (lt, kind), g in c.groupby(["_lt", "_kind"], sort=True):
        lo, en = land_type_label(lt)
        k = fmt_int(len(g))
        if kind == "slope":
            out.append((f"{k} ຕອນ{lo} ມີຄວາມຄ້ອຍຊັນ ເກີນຂອບເຂດທີ່ອະນຸຍາດສຳລັບ{lo}.",
                        f"{k} {en.lower()} parcels are steeper than the limit for {en.lower()}."))
        elif kind == "zone":
            zones = g.get("dominant_zone", pd.Series(dtype=object)).dropna().astype(str)
            top = zones.value_counts(sort=True).index[0] if len(zones) else None
            zlo, zen = zone_label(top) if top else ("", "")
            most_lo = f" (ສ່ວນຫຼາຍ ຢູ່ໃນເຂດ{zlo})" if top else ""
            most_en = f" (mostly {zen.lower()})" if top else ""
            out.append((f"{k} ຕອນ{lo} ຢູ່ໃນເຂດທີ່ບໍ່ອະນຸຍາດໃຫ້ເຮັດ{lo}{most_lo}.",
                        f"{k} {en.lower()} parcels lie partly in zones where {en.lower()} is not allowed{most_en}."))
        elif kind == "outside":
            out.append((f"{k} ຕອນ{lo} ຢູ່ນອກເຂດແດນບ້ານ ທີ່ໄດ້ແບ່ງເຂດແລ້ວ.",
                        f"{k} {en.lower()} parcels lie partly outside the zoned village territory."))
        else:
            out.append((f"{k} ຕອນ{lo} ມີຂໍ້ຂັດແຍ່ງອື່ນ.", f"{k} {en.lower()} parcels have another conflict."))
    out.append(("ສິ່ງທີ່ຕ້ອງເຮັດ: ກວດເບິ່ງຕອນດິນເຫຼົ່ານີ້ໃນພາກສະໜາມ ຮ່ວມກັບຄະນະກຳມະການຄຸ້ມຄອງທີ່ດິນຂອງບ້ານ, ແລ້ວຍ້າຍການນຳໃຊ້, "
                "ປ່ຽນປະເພດທີ່ດິນ ຫຼື ປັບປຸງການແບ່ງເຂດ.",
                "What to do: check these parcels in the field with the village land management committee, then "
                "move the use, change the land type or revise the zoning."))
    return out


def fallow_sentences(figures: dict[str, Any]) -> list[Pair]:
    """The fallow trend, median fallow by decade and the land a sustainable rotation needs."""
    out: list[Pair] = []
    trend = figures.get("fallow_trend") or {}
    est = _num(trend.get("trend_yr_per_decade"))
    status = str(trend.get("status", ""))
    if est is not None and status == "shortening":
        out.append((f"ໄລຍະພັກດິນ ສັ້ນລົງ: ປະມານ {abs(est):.1f} ປີ ໃນທຸກໆ 10 ປີ.",
                    f"Fallow periods are getting shorter: about {abs(est):.1f} years shorter every ten years."))
    elif est is not None and status == "lengthening":
        out.append((f"ໄລຍະພັກດິນ ຍາວຂຶ້ນ: ປະມານ {abs(est):.1f} ປີ ໃນທຸກໆ 10 ປີ.",
                    f"Fallow periods are getting longer: about {abs(est):.1f} years longer every ten years."))
    elif status:
        out.append(("ບໍ່ເຫັນການປ່ຽນແປງທີ່ຊັດເຈນ ຂອງໄລຍະພັກດິນ.",
                    f"No clear change in fallow length ({status})."))
    km = figures.get("fallow_km_by_decade") or {}
    for dec, v in km.items():
        med = _num((v or {}).get("median_fallow_years"))
        if med is None:
            continue
        d = fmt_year(dec)
        note_lo = " (ຍັງຕິດຕາມບໍ່ພໍ)" if (v or {}).get("status") != "ok" else ""
        note_en = " (follow-up still short)" if (v or {}).get("status") != "ok" else ""
        out.append((f"ໄຮ່ທີ່ຖາງໃນຊຸມປີ {d}: ພັກດິນ {med:g} ປີ (ຄ່າກາງ){note_lo}.",
                    f"Fields cleared in the {d}s rested a median of {med:g} years{note_en}."))
    ld = figures.get("land_demand") or {}
    need, have = _num(ld.get("land_needed_ha")), _num(ld.get("rotational_area_ha"))
    if need is not None and have is not None:
        gap = have - need
        if gap < 0:
            out.append((f"ການໝູນວຽນແບບຍືນຍົງ ຕ້ອງການທີ່ດິນ {fmt_ha(need)} ເຮັກຕາ; ເຂດໄຮ່ໝູນວຽນມີ {fmt_ha(have)} ເຮັກຕາ "
                        f"(ຂາດ {fmt_ha(-gap)} ເຮັກຕາ).",
                        f"A sustainable rotation needs {fmt_ha(need)} ha; the rotational upland has {fmt_ha(have)} ha "
                        f"({fmt_ha(-gap)} ha short)."))
        else:
            out.append((f"ການໝູນວຽນແບບຍືນຍົງ ຕ້ອງການທີ່ດິນ {fmt_ha(need)} ເຮັກຕາ; ເຂດໄຮ່ໝູນວຽນມີ {fmt_ha(have)} ເຮັກຕາ "
                        "ເຊິ່ງພຽງພໍ.",
                        f"A sustainable rotation needs {fmt_ha(need)} ha; the rotational upland has {fmt_ha(have)} ha, "
                        "which is enough."))
    year = _num(ld.get("year_critical"))
    if year is not None:
        y = fmt_year(year)
        out.append((f"ຖ້າສືບຕໍ່ແບບນີ້ ໄລຍະພັກດິນຈະສັ້ນເຖິງຂັ້ນວິກິດ ປະມານປີ {y}.",
                    f"At the present pace fallows become critically short around {y}."))
    return out or [("ບໍ່ມີຂໍ້ມູນການພັກດິນ.", "No fallow history was given.")]


def irrigation_sentences(summary: dict[str, Any]) -> list[Pair]:
    """One irrigation scheme in words: area and families served, water, canal."""
    name_lo = str(summary.get("name_lo") or summary.get("scheme_id", ""))
    name_en = str(summary.get("name_en") or summary.get("scheme_id", ""))
    area, fam = fmt_ha(summary.get("area_ha")), fmt_int(summary.get("families"))
    out = [(f"{name_lo}: ໃຫ້ນ້ຳແກ່ນາ {area} ເຮັກຕາ ຂອງ {fam} ຄອບຄົວ.",
            f"{name_en} waters {area} ha of paddy of {fam} families.")]
    need, have = _num(summary.get("design_flow_l_s")), _num(summary.get("dependable_flow_l_s"))
    if need is not None and have is not None:
        out.append((f"ຕ້ອງການນ້ຳ {need:.0f} ລິດ/ວິນາທີ ໃນເດືອນທີ່ແຫ້ງທີ່ສຸດ; ຫ້ວຍໃຫ້ນ້ຳໄດ້ຢ່າງໜ້ອຍ {have:.0f} ລິດ/ວິນາທີ.",
                    f"It needs {need:.0f} l/s in the driest period; the stream reliably gives {have:.0f} l/s."))
    deficit = str(summary.get("deficit_months") or "").split()
    if summary.get("source_sufficient") is True or (not deficit and summary.get("source_sufficient") is not False):
        out.append(("ນ້ຳໃນຫ້ວຍ ພຽງພໍທຸກເດືອນ.", "The stream has enough water in every month."))
    else:
        months = ", ".join(deficit) if deficit else "—"
        servable = fmt_ha(summary.get("servable_area_ha"))
        out.append((f"ນ້ຳບໍ່ພຽງພໍ ໃນເດືອນ {months}; ນ້ຳທີ່ມີ ພໍສຳລັບ {servable} ເຮັກຕາ.",
                    f"The stream is short of water in months {months}; it is enough for {servable} ha."))
    if summary.get("canal_ok") is False:
        issues = str(summary.get("canal_issues") or "")
        out.append(("ຄອງເໝືອງ ຕ້ອງໄດ້ອອກແບບຄືນໃໝ່.", f"The canal needs a new design{': ' + issues if issues else ''}."))
    elif summary.get("canal_ok") is True:
        out.append(("ຄອງເໝືອງ ທີ່ອອກແບບໄວ້ ໃຊ້ໄດ້.", "The canal design works."))
    return out


# -- column labels of the household table ----------------------------------------------------
_HH_COLUMNS: dict[str, Pair] = {
    "household_id": ("ລະຫັດຄອບຄົວ", "Household"), "village_id": ("ລະຫັດບ້ານ", "Village"),
    "members": ("ຈຳນວນສະມາຊິກ", "Members"), "labour_units": ("ແຮງງານ", "Labour units"),
    "priority": ("ບຸລິມະສິດ", "Priority"), "head_name": ("ຫົວໜ້າຄອບຄົວ (ອັງກິດ)", "Head of household"),
    "head_name_lo": ("ຫົວໜ້າຄອບຄົວ", "Head of household (Lao)"), "spouse_name": ("ຄູ່ຄອງ (ອັງກິດ)", "Spouse"),
    "spouse_name_lo": ("ຄູ່ຄອງ", "Spouse (Lao)"), "entitled_ha": ("ມີສິດ [ເຮັກຕາ]", "Entitled [ha]"),
    "allocated_ha": ("ໄດ້ຮັບ [ເຮັກຕາ]", "Allocated [ha]"), "shortfall_ha": ("ຂາດ [ເຮັກຕາ]", "Shortfall [ha]"),
    "n_plots": ("ຈຳນວນຕອນ", "Plots"), "relative_shortfall": ("ສ່ວນທີ່ຂາດ", "Relative shortfall"),
    "mean_distance_m": ("ໄລຍະຫ່າງສະເລ່ຍ [ແມັດ]", "Mean distance [m]"),
    "allocated_ha_per_labour_unit": ("ເຮັກຕາຕໍ່ແຮງງານ", "Allocated ha per labour unit"),
    "anchor": ("ຈຸດອ້າງອີງ", "Anchor"),
}


def column_label(column: str) -> Pair:
    """Lao and English header of a household-table column (per-land-type columns included).

    >>> column_label("allocated_ha_paddy")
    ('ໄດ້ຮັບ [ເຮັກຕາ]: ນາ', 'Allocated [ha]: Paddy')
    """
    if column in _HH_COLUMNS:
        return _HH_COLUMNS[column]
    for base in ("entitled_ha", "allocated_ha", "shortfall_ha", "n_plots"):
        if column.startswith(base + "_"):
            lo, en = _HH_COLUMNS[base]
            tlo, ten = land_type_label(column[len(base) + 1:])
            return f"{lo}: {tlo}", f"{en}: {ten}"
    return column, column


def bilingual_header(df: pd.DataFrame) -> pd.DataFrame:
    """*df* with ``"ລາວ / English"`` column names and the snake_case names as its first row.

    For spreadsheets people read (the CSV keeps the plain snake_case header): row 1 is
    the bilingual header, row 2 the machine names (``pandas.read_excel(header=1)``).
    """
    labels = [" / ".join(dict.fromkeys(column_label(str(c)))) for c in df.columns]
    first = pd.DataFrame([list(map(str, df.columns))], columns=labels)
    body = df.copy()
    body.columns = labels
    return pd.concat([first, body.astype(object)], ignore_index=True)
