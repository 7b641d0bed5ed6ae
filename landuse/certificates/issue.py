"""Bilingual Lao/English land-use certificates: PDF, batch, tamper-evident, verifiable.

After allocation every household receives a certificate for each plot (in Laos
first a Temporary Land Use Certificate, TLUC, later a land title). This module
makes them from the allocation in one call:

* :func:`certificate_register` computes what each certificate asserts (holder,
  household, village, district, province, parcel, land type, area in ha and m²,
  neighbours to the north, east, south and west, boundary vertices in UTM, issue
  date and validity) and the SHA-256 digest of its canonical content;
* :func:`write_certificates` writes one A4 PDF per certificate (or one per
  household, a page per plot) with a sketch map (neighbouring parcels, streams,
  roads and the village boundary), a vertex table, the conditions of use, signature
  boxes, a footer telling how to check it, and a QR code carrying the certificate's record signed with
  the district key (:mod:`landuse.certificates.keys`; without a key the page is marked UNSIGNED
  DRAFT); with the district register (:mod:`landuse.certificates.register`) numbers are stable
  serials and changed parcels supersede their old certificates. A batch index (CSV
  and a GeoPackage layer) lists the files with their digests. Batches are
  resumable, atomic and deterministic;
* :func:`verify_certificate` reads a certificate (embedded content, printed text
  and QR code, or only the QR code of a scan) and checks the signature, the
  content against the signed record and the register state: VALID, UNSIGNED,
  SUPERSEDED, REVOKED, UNKNOWN-KEY, or INVALID naming the field that differs.

Labels come from ``landuse/certificates/data/certificate_labels.toml`` (Lao and
English); a district can change the wording with its own file (:func:`load_labels`).

Lao text is shaped with HarfBuzz and set in Noto Sans Lao (SIL Open Font Licence;
from the ``justmytype-intl-sea`` package, else Debian's ``fonts-noto-core``), which
is embedded in every PDF. The field list follows the TLUC of the Lao land-allocation
programme [1]_ [2]_; the 3-year validity is a configurable default.

The canonical content and digest are described in :mod:`landuse.certificates._digest`, the PDF
writer in :mod:`landuse.certificates._pdf`, the checks of a verification in
:mod:`landuse.certificates._verify`.

Command line::

    landuse keys init district/xay.pem
    landuse certificates --allocations out/allocation.gpkg --households households.csv \
        --villages villages.gpkg --parcels parcels.gpkg --out out/certificates \
        --key-file district/xay.pem --register district/register.gpkg \
        [--issue-date 2026-01-15] [--village 0401015] [--per-household] [--workers 2] [--pades]
    landuse verify out/certificates/0401015/0401015-2026-000001.pdf --register district/register.gpkg

Outputs of a batch: ``<out>/<village_id>/<certificate_no>.pdf`` (or
``<household_id>.pdf``), ``register.csv`` and ``register.gpkg`` (layer
``certificates``): :data:`REGISTER_COLUMNS`, one row per certificate, with the
digest, the HMAC (with a district key), the file, its start page, the SHA-256 of
the file and of what it was drawn from.

References
----------
.. [1] Direction 564/NLMA on the adjudication of land occupation rights, National
   Land Management Authority, Vientiane, 6 August 2007.
.. [2] R. Rock et al., *Systematic Land Registration in Rural Areas of Lao PDR: the
   final concept document*, GIZ, 2015.

Examples
--------
>>> import datetime, tempfile
>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import box
>>> alloc = gpd.GeoDataFrame(
...     {"parcel_id": ["P1"], "household_id": ["H1"], "village_id": ["V1"],
...      "land_type": ["paddy"], "certificate_no": ["V1-PD-0001"]},
...     geometry=[box(500000, 2290000, 500100, 2290100)], crs="EPSG:32647")
>>> hh = pd.DataFrame({"household_id": ["H1"], "village_id": ["V1"], "head_name": ["Bounmy"],
...                    "head_name_lo": ["ບຸນມີ"]})
>>> vil = pd.DataFrame({"village_id": ["V1"], "name_en": ["Pasak"], "name_lo": ["ປ່າສັກ"]})
>>> reg = certificate_register(alloc, households=hh, villages=vil, issue_date="2026-01-15")
>>> row = reg.iloc[0]
>>> row["certificate_no"], int(row["area_m2"]), float(row["area_ha"]), row["valid_until"]
('V1-PD-0001', 10000, 1.0, '2029-01-15')
>>> out = tempfile.mkdtemp()
>>> res = write_certificates(alloc, households=hh, villages=vil, parcels=None, out_dir=out,
...                          issue_date=datetime.date(2026, 1, 15), overwrite=False, progress=False)
>>> res.written, res.register_csv.name
(1, 'register.csv')
>>> verify_certificate(res.files[0], register=res.register_csv).valid
True
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

import landuse
from landuse import PROGRESS_LOGGER, _validate, io, report_progress
from landuse._validate.display import figures_html, records_html
from landuse._validate.ids import id_filename
from landuse.certificates import _digest, _pdf, keys
from landuse.certificates import _layout as _cert_layout
from landuse.certificates import _verify as _cert_verify
from landuse.certificates import register as _register
from landuse.certificates._fonts import find_lao_font
from landuse.certificates._labels import load_labels
from landuse.certificates._seal import _PADES, _pades_sign, _qr_matrix, _seal_register, default_actor  # noqa: F401
from landuse.certificates._verify import Problem, Verification  # noqa: F401 - Problem: items of Verification.problems
from landuse.certificates.register import open_register
from landuse.check.topology import neighbours
from landuse.errors import LanduseError, LanduseWarning, OutputExistsError, SchemaError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from geopandas import GeoDataFrame

__all__ = [
    "CertificateResult",
    "Verification",
    "add_years",
    "certificate_register",
    "find_lao_font",
    "load_labels",
    "pdf_document",
    "render_certificates",
    "verify_certificate",
    "verify_certificates",
    "verify_qr",
    "write_certificates",
]

log = logging.getLogger("landuse.certificates")

#: A progress line (:func:`landuse.report_progress`) every so many PDF files.
PROGRESS_EVERY = 50

#: Register columns, in order (the GeoPackage layer adds the geometry).
REGISTER_COLUMNS = ("certificate_no", "parcel_id", "household_id", "village_id", "holder", "holder_lo",
                    "land_type", "area_m2", "area_ha", "issue_date", "valid_until", "geometry_wkt", "digest",
                    "hmac", "file", "page", "pdf_sha256", "source_sha256")
#: QR mask pattern. ISO/IEC 18004 lets the encoder choose any of the eight masks (every
#: reader decodes all of them); scoring all eight per code is 80 % of segno's time, so
#: one fixed mask is used. Error correction level M (15 % of the code may be damaged).
QR_MASK = 2
#: Name of the embedded canonical content inside each PDF.
ATTACHMENT = "certificate.json"
_JOURNAL = ".register-journal.jsonl"
# -- fonts ----------------------------------------------------------------------------------
_FONTS: dict[str, Any] = {}


def _fonts() -> tuple[Any, Any]:
    """Regular and bold Noto Sans Lao, prepared once per process."""
    if "fonts" not in _FONTS:
        path = find_lao_font()
        bold = None
        if not path.name.startswith("NotoSansLao["):
            b = path.with_name(path.name.replace("Regular", "Bold"))
            bold = b if b.is_file() else None
        fonts = _pdf.prepare_fonts(path, bold_path=bold)
        needed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,:/-()ກຂຄງຈ")
        missing = sorted(needed - fonts[0].codepoint_chars)
        if missing:
            raise LanduseError(f"the font has no glyphs for {''.join(missing)!r}; certificates need Lao and Latin "
                               "in one font", source=str(path),
                               hint="pip install justmytype-intl-sea (Noto Sans Lao with Latin, OFL)")
        _FONTS["fonts"] = fonts
    return _FONTS["fonts"]



def pdf_document(*, info: Mapping[str, str] | None = None) -> Any:
    """A blank A4 PDF document written with the certificates' fonts and PDF writer.

    The fonts are the certificates' Noto Sans Lao (Lao and Latin glyphs, regular and
    bold), prepared once per process; each file embeds the subset of the glyphs it
    draws (``pdffonts`` shows ``sub yes``); text is
    shaped by HarfBuzz so that Lao vowels and tone marks stack correctly, and
    ``pdftotext`` gives back the Unicode text. Other printed products (the household
    sheets of :mod:`landuse.plan`) use it so that every PDF of a run renders Lao the
    same way.

    Parameters
    ----------
    info : mapping of str to str, optional
        The ``/Info`` dictionary (``Title``, ``Author``, ``CreationDate`` as
        ``D:YYYYMMDDhhmmssZ`` ...). Nothing else in the file depends on the clock, so
        the same content and info give the same bytes.

    Returns
    -------
    Document
        ``add_page()`` gives a page (points from the top-left corner, A4) with
        ``text``, ``paragraph``, ``line``, ``rect``, ``polygon``, ``colour``,
        ``line_width`` and ``dash``; ``to_bytes()`` writes the file; ``missing``
        holds the characters drawn that the font has no glyph for.

    Raises
    ------
    LanduseError
        When no font with Lao and Latin glyphs is installed.
    """
    return _pdf.Document(*_fonts(), info=dict(info or {}))

# -- register ---------------------------------------------------------------------------------
def _as_date(value: Any, name: str) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise SchemaError(f"{name} {value!r} is not a date", column=name, hint="give it as YYYY-MM-DD") from exc


def add_years(d: _dt.date, years: int) -> _dt.date:
    """The same calendar day *years* later: the ``valid_until`` date of a certificate.

    Parameters
    ----------
    d : datetime.date
        The issue date.
    years : int
        Validity [years].

    Returns
    -------
    datetime.date
        *d* with the year moved on; 29 February becomes 28 February in a common year.

    >>> import datetime
    >>> add_years(datetime.date(2024, 2, 29), 5)
    datetime.date(2029, 2, 28)
    """
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February → 28 February
        return d.replace(year=d.year + years, day=28)


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    return str(v).strip()


def _holder_pairs(row: Mapping[str, Any]) -> list[list[str]]:
    """Holders as ``[name_lo, name_en]`` pairs (head, then spouse), for the signed record."""
    pairs = [[_text(row.get(f"{who}_name_lo")), _text(row.get(f"{who}_name"))] for who in ("head", "spouse")]
    return [[_digest.nfc(a), _digest.nfc(b)] for a, b in pairs if a or b]


def _names(row: Mapping[str, Any]) -> tuple[str, str]:
    en = [n for n in (_text(row.get("head_name")), _text(row.get("spouse_name"))) if n]
    lo = [n for n in (_text(row.get("head_name_lo")), _text(row.get("spouse_name_lo"))) if n]
    return " / ".join(en), " / ".join(lo)


def certificate_register(
    allocations: GeoDataFrame, *, households: pd.DataFrame, villages: GeoDataFrame, parcels: GeoDataFrame | None = None, issue_date: Any,
    validity_years: int | None = None, labels: str | os.PathLike | Mapping | None = None, key: bytes | None = None,
    others: Any = None,
) -> GeoDataFrame:
    """What each certificate asserts, with its canonical digest (one row per certificate).

    Parameters
    ----------
    allocations : geopandas.GeoDataFrame
        The ``allocations`` of :func:`landuse.allocation.allocate`: ``parcel_id``,
        ``household_id``, ``village_id``, ``land_type``, ``certificate_no`` and
        (Multi)Polygons in a projected CRS [m].
    households : pandas.DataFrame
        ``household_id``, ``head_name`` and optionally ``head_name_lo``,
        ``spouse_name``, ``spouse_name_lo``.
    villages : DataFrame or GeoDataFrame
        ``village_id``, ``name_en``, ``name_lo`` and optionally ``district_en``,
        ``district_lo``, ``province_en``, ``province_lo``. With geometries, the
        village boundary is named as a neighbour.
    parcels : geopandas.GeoDataFrame, optional
        All parcels (``parcel_id``, ``land_type``), to name neighbours that are not
        allocated and to draw them on the sketch; default the allocations only.
    issue_date : datetime.date or str
        Issue date (``YYYY-MM-DD``).
    validity_years : int, optional
        Validity [years]; default ``validity_years`` of the labels (3).
    labels : path-like or dict, optional
        Labels file (:func:`load_labels`) or its loaded content.
    key : bytes, optional
        District key: adds an ``hmac`` column (the key itself is never stored).
    others : geopandas.GeoDataFrame, optional
        Features bordering parcels (streams, roads, forest) with a ``label`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        The register columns (:data:`REGISTER_COLUMNS` without ``file``, ``page``,
        ``pdf_sha256``, ``source_sha256``), the printed fields (``holder``, ``holder_lo``,
        ``village_en``/``_lo``, ``district_*``, ``province_*``, ``north``,
        ``east``, ``south``, ``west``) and the normalised geometry; sorted by
        certificate number.

    Raises
    ------
    SchemaError
        Missing columns, duplicate certificate numbers, a household or village not
        found, an empty holder name.
    CRSError, GeometryError
        No projected CRS; empty or non-polygonal geometries.
    """
    import geopandas as gpd
    import shapely

    lab = labels if isinstance(labels, Mapping) else load_labels(labels)
    layer, hh_layer = _require_register_inputs(allocations, households, villages)
    issue = _as_date(issue_date, "issue_date")
    years = int(validity_years if validity_years is not None else lab["certificate"]["validity_years"])
    if not 1 <= years <= 99:
        raise SchemaError(f"validity_years={years} is outside 1-99", column="validity_years",
                          hint="give the validity in whole years, e.g. 3")
    until = add_years(issue, years)

    hh = households.assign(household_id=households["household_id"].astype(str)).set_index("household_id")
    vil = pd.DataFrame(villages.drop(columns=getattr(villages, "geometry", pd.Series()).name
                                     if isinstance(villages, gpd.GeoDataFrame) else [])).copy()
    vil["village_id"] = vil["village_id"].astype(str)
    vil = vil.set_index("village_id")
    alloc = allocations.copy()
    for col in ("parcel_id", "household_id", "village_id"):
        alloc[col] = alloc[col].astype(str)
    _require_known(alloc, hh, vil, layer=layer)

    holder, holder_lo, pairs = _holders(alloc, hh, hh_layer=hh_layer)

    # neighbours: on all parcels of the villages concerned, labelled by holder or land type
    nb_all = _neighbour_layer(alloc, parcels, holder, holder_lo, lab)
    feats = _features(villages, others, alloc.crs, lab)
    nb = neighbours(nb_all, others=feats, label_column="nb_label", tolerance_m=0.5)
    nb.index = nb_all["parcel_id"].to_numpy()

    geoms = _digest.normal_geometry(np.asarray(alloc.geometry.array, dtype=object))
    # whole-array geometry work, then plain dict lookups per row (no pandas .loc per row)
    areas = np.rint(shapely.area(np.asarray(alloc.geometry.array, dtype=object))).astype(np.int64)
    wkts = shapely.to_wkt(geoms, rounding_precision=2, trim=False)
    ghashes = _digest.geometry_hashes(wkts)
    rows = []
    vil_rows = vil.to_dict("index") if vil.index.is_unique else None  # dict lookups, not a pandas .loc per row
    nb_rows = nb.to_dict("index") if nb.index.is_unique else None
    for i, r in enumerate(alloc.itertuples(index=False)):
        v = vil_rows[r.village_id] if vil_rows is not None else vil.loc[r.village_id]
        area = int(areas[i])
        content = {
            "certificate_no": str(r.certificate_no), "household_id": r.household_id,
            "holder": holder[r.household_id], "holder_lo": holder_lo[r.household_id],
            "village_id": r.village_id, "parcel_id": r.parcel_id, "land_type": str(r.land_type),
            "area_m2": area, "geometry": str(wkts[i]),
            "issue_date": issue.isoformat(), "valid_until": until.isoformat(),
        }
        content = {k: _digest.nfc(v_) for k, v_ in content.items()}
        if nb_rows is not None:
            sides = nb_rows.get(r.parcel_id, {})
        else:
            sides = nb.loc[r.parcel_id] if r.parcel_id in nb.index else pd.Series(dtype=object)
        rows.append({
            **content,
            "area_ha": round(area / 10_000, 4),
            "geometry_wkt": content["geometry"],
            "geometry_hash": ghashes[i],
            "holders": pairs[r.household_id],
            "digest": _digest.digest(content),
            "hmac": _digest.hmac_hex(content, key) if key else "",
            "village_en": _text(v.get("name_en")), "village_lo": _text(v.get("name_lo")),
            "district_en": _text(v.get("district_en")), "district_lo": _text(v.get("district_lo")),
            "province_en": _text(v.get("province_en")), "province_lo": _text(v.get("province_lo")),
            **{s: _text(sides.get(s)) for s in ("north", "east", "south", "west")},
        })
    cols = [*_digest.FIELDS, "area_ha", "geometry_wkt", "geometry_hash", "holders", "digest", "hmac",
            "village_en", "village_lo",
            "district_en", "district_lo", "province_en", "province_lo", "north", "east", "south", "west"]
    reg = pd.DataFrame(rows, columns=cols).drop(columns=["geometry"])
    out = gpd.GeoDataFrame(reg, geometry=list(geoms), crs=alloc.crs)
    return out.sort_values("certificate_no", kind="stable").reset_index(drop=True)


def _require_register_inputs(allocations: Any, households: pd.DataFrame, villages: Any) -> tuple[str, str]:
    """Check the layers of :func:`certificate_register`; return the names of the allocations and households."""
    layer = _validate.layer_name(allocations, "allocations")
    _validate.require_geodataframe(allocations, layer=layer)
    _validate.require_columns(allocations, ["parcel_id", "household_id", "village_id", "land_type",
                                            "certificate_no"], layer=layer)
    _validate.require_projected(allocations, layer=layer)
    for col in ("parcel_id", "household_id", "certificate_no"):
        _validate.require_no_nulls(allocations, col, layer=layer, id_column="parcel_id")
    _validate.require_unique(allocations, "certificate_no", layer=layer)
    _validate.require_unique(allocations, "parcel_id", layer=layer)
    _validate.require_geom_types(allocations, ("Polygon", "MultiPolygon"), layer=layer, id_column="parcel_id")
    hh_layer = _validate.layer_name(households, "households")
    _validate.require_columns(households, ["household_id", "head_name"], layer=hh_layer)
    _validate.require_unique(households, "household_id", layer=hh_layer)
    v_layer = _validate.layer_name(villages, "villages")
    _validate.require_columns(villages, ["village_id", "name_en", "name_lo"], layer=v_layer)
    return layer, hh_layer


def _require_known(alloc: pd.DataFrame, hh: pd.DataFrame, vil: pd.DataFrame, *, layer: str) -> None:
    """Every household and village of the allocations is in the households table and villages layer."""
    missing_hh = ~alloc["household_id"].isin(hh.index)
    if missing_hh.any():
        pos = int(np.flatnonzero(missing_hh.to_numpy())[0])
        raise SchemaError(f"household {alloc['household_id'].iloc[pos]!r} is not in the households table",
                          source=layer, feature_id=alloc["parcel_id"].iloc[pos], column="household_id",
                          hint="give the households table the allocation was made with")
    missing_v = ~alloc["village_id"].isin(vil.index)
    if missing_v.any():
        pos = int(np.flatnonzero(missing_v.to_numpy())[0])
        raise SchemaError(f"village {alloc['village_id'].iloc[pos]!r} is not in the villages layer",
                          source=layer, feature_id=alloc["parcel_id"].iloc[pos], column="village_id",
                          hint="give the villages layer the allocation was made with")


def _holders(alloc: pd.DataFrame, hh: pd.DataFrame, *, hh_layer: str) -> tuple[dict, dict, dict]:
    """Per household of the allocations: holder name (English), name in Lao, and the holders as JSON."""
    holder, holder_lo, pairs = {}, {}, {}
    hh_rows = hh.to_dict("index") if hh.index.is_unique else None  # dict lookups, not a pandas .loc
    for hid in alloc["household_id"].unique():
        h_row = hh_rows[hid] if hh_rows is not None else hh.loc[hid]
        en, lo = _names(h_row)
        pairs[hid] = json.dumps(_holder_pairs(h_row), ensure_ascii=False)
        if not en:
            raise SchemaError("the household has no head_name", source=hh_layer, feature_id=hid,
                              column="head_name", hint="fill in the holder's name")
        holder[hid], holder_lo[hid] = en, lo
    return holder, holder_lo, pairs


def _neighbour_layer(alloc: Any, parcels: Any, holder: dict, holder_lo: dict, lab: Mapping) -> Any:
    import geopandas as gpd

    def label(hid: str) -> str:
        lo, en = holder_lo.get(hid, ""), holder.get(hid, "")
        head_lo, head_en = lo.split(" / ")[0], en.split(" / ")[0]
        return f"{head_lo} ({head_en})" if head_lo else head_en

    base = alloc[["parcel_id", "household_id", "land_type", "geometry"]]
    base = base.assign(nb_label=[label(h) for h in base["household_id"]])
    if parcels is None:
        return gpd.GeoDataFrame(base.reset_index(drop=True), geometry="geometry", crs=alloc.crs)
    player = _validate.layer_name(parcels, "parcels")
    _validate.require_columns(parcels, ["parcel_id"], layer=player)
    _validate.require_same_crs({"allocations": alloc, "parcels": parcels})
    villages = set(alloc["village_id"])
    p = parcels[["parcel_id", *(c for c in ("village_id", "land_type") if c in parcels.columns)]].copy()
    p["parcel_id"] = p["parcel_id"].astype(str)
    p = gpd.GeoDataFrame(p, geometry=list(parcels.geometry.array), crs=parcels.crs)
    if "village_id" in p.columns:
        p = p[p["village_id"].astype(str).isin(villages) | p["parcel_id"].isin(set(alloc["parcel_id"]))]
    p = p[~p["parcel_id"].isin(set(alloc["parcel_id"]))]
    lt = lab["land_types"]

    def other_label(row: Any) -> str:
        t = lt.get(str(getattr(row, "land_type", "")), None)
        return f"{t['lo']} ({t['en']}) {row.parcel_id}" if t else str(row.parcel_id)

    p = p.assign(household_id=None, nb_label=[other_label(r) for r in p.itertuples()])
    keep = ["parcel_id", "household_id", "land_type", "nb_label", "geometry"]
    if "land_type" not in p.columns:
        p["land_type"] = None
    both = pd.concat([base[keep], p[keep]], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=alloc.crs)


def _features(villages: Any, others: Any, crs: Any, lab: Mapping) -> Any:
    import geopandas as gpd

    parts = []
    if isinstance(villages, gpd.GeoDataFrame) and villages.crs is not None and len(villages):
        _validate.require_same_crs({"allocations": gpd.GeoDataFrame(geometry=[], crs=crs), "villages": villages})
        b = lab["labels"]["boundary"]
        parts.append(gpd.GeoDataFrame({"label": [f"{b['lo']} ({b['en']})"] * len(villages)},
                                      geometry=list(villages.geometry.boundary.array), crs=crs))
    if others is not None:
        oname = _validate.layer_name(others, "others")
        _validate.require_geodataframe(others, layer=oname)
        _validate.require_columns(others, ["label"], layer=oname)
        _validate.require_same_crs({"allocations": gpd.GeoDataFrame(geometry=[], crs=crs), oname: others})
        parts.append(gpd.GeoDataFrame({"label": others["label"].to_numpy()},
                                      geometry=list(others.geometry.array), crs=others.crs))
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


def _build(allocations: Any, *, households: pd.DataFrame, villages: Any, parcels: Any, issue_date: Any,
           validity_years: int | None, labels: Mapping, key: bytes | None, others: Any) -> tuple[Any, Any]:
    """The register and the context layer (every parcel, with a short label) for sketches."""
    import geopandas as gpd

    reg = certificate_register(allocations, households=households, villages=villages, parcels=parcels,
                               issue_date=issue_date, validity_years=validity_years, labels=labels, key=key,
                               others=others)
    ctx = parcels if parcels is not None else allocations
    ids = ctx["parcel_id"].astype(str)
    vid = ctx["village_id"].astype(str) if "village_id" in ctx.columns else pd.Series("", index=ctx.index)
    short = [pid[len(v) + 1:] if v and pid.startswith(v + "-") else pid for pid, v in zip(ids, vid, strict=True)]
    context = gpd.GeoDataFrame({"parcel_id": ids.to_numpy(), "short": short},
                               geometry=list(ctx.geometry.array), crs=ctx.crs)
    return reg, context


def _rings(geom: Any) -> list[list[tuple[float, float]]]:
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for poly in polys:
        out.append([(float(a), float(b)) for a, b in poly.exterior.coords])
        out.extend([(float(a), float(b)) for a, b in r.coords] for r in poly.interiors)
    return out


def _vertices(geom: Any) -> list[tuple[str, float, float]]:
    """Numbered boundary vertices (closing vertex dropped); holes and parts get a prefix."""
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    out: list[tuple[str, float, float]] = []
    n = 0
    for k, poly in enumerate(polys):
        rings = [poly.exterior, *poly.interiors]
        for j, ring in enumerate(rings):
            prefix = "" if (len(polys) == 1 and j == 0) else (f"{chr(65 + k % 26)}" if j == 0 else f"{chr(65 + k % 26)}h{j}-")
            for a, b in list(ring.coords)[:-1]:
                n += 1
                out.append((f"{prefix}{n}" if prefix else str(n), round(float(a), 2), round(float(b), 2)))
    return out


def _sketch_layer(villages: Any, streams: Any, roads: Any, crs: Any) -> Any:
    """The lines a sketch draws: village boundaries, streams and roads (``kind``, geometry) in *crs*, or None."""
    import geopandas as gpd

    parts = []
    for kind, layer, name in (("boundary", villages, "villages"), ("stream", streams, "streams"),
                              ("road", roads, "roads")):
        if not isinstance(layer, gpd.GeoDataFrame) or not len(layer):
            continue
        _validate.require_same_crs({"allocations": gpd.GeoDataFrame(geometry=[], crs=crs), name: layer})
        geoms = layer.geometry.boundary if kind == "boundary" else layer.geometry
        parts.append(gpd.GeoDataFrame({"kind": [kind] * len(layer)}, geometry=list(geoms.array), crs=crs))
    if not parts:
        return None
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
    return out[~out.geometry.is_empty & out.geometry.notna()].reset_index(drop=True)


def _clipped_lines(tree: Any, geoms: Any, kinds: Any, window: tuple[float, float, float, float]
                   ) -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """The lines of the sketch layer inside *window*, clipped to it, as ``(kind, parts)`` (coordinates to 0.1 m)."""
    import shapely

    out = []
    for j in sorted(tree.query(shapely.box(*window))):
        g = shapely.clip_by_rect(geoms[j], *window)
        if g.is_empty:
            continue
        lines = shapely.get_parts(shapely.line_merge(g) if g.geom_type == "MultiLineString" else g)
        parts = [[(round(float(a), 1), round(float(b), 1)) for a, b in ln.coords] for ln in lines
                 if ln.geom_type in ("LineString", "LinearRing") and len(ln.coords) > 1]
        if parts:
            out.append((str(kinds[j]), parts))
    return out


def _records(reg: Any, context: Any, lines: Any = None) -> list[dict[str, Any]]:
    """Register rows with what the page needs to draw (vertices, rings, neighbouring parcels, lines)."""
    import shapely

    geoms = np.asarray(reg.geometry.array, dtype=object)
    cgeoms = np.asarray(context.geometry.array, dtype=object)
    tree = shapely.STRtree(cgeoms)
    cids = context["parcel_id"].to_numpy()
    short = context["short"].to_numpy()
    reps = shapely.point_on_surface(cgeoms)
    recs = []
    cols = [c for c in reg.columns if c != reg.geometry.name]
    drawn: dict[int, tuple] = {}  # context parcel → what the sketches draw of it (made once, shared)
    if lines is not None and len(lines):
        lgeoms = np.asarray(lines.geometry.array, dtype=object)
        ltree, lkinds = shapely.STRtree(lgeoms), lines["kind"].to_numpy()
    for i, row in enumerate(reg[cols].to_dict("records")):
        g = geoms[i]
        minx, miny, maxx, maxy = g.bounds
        pad = max(maxx - minx, maxy - miny) * 0.9
        near = tree.query(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))
        ctx = []
        for j in sorted(near):
            if cids[j] == row["parcel_id"]:
                continue
            item = drawn.get(j)
            if item is None:
                item = drawn[j] = (_rings(cgeoms[j]), str(short[j]), float(reps[j].x), float(reps[j].y))
            ctx.append(item)
        row.update(rings=_rings(g), vertices=_vertices(g), bounds=(minx, miny, maxx, maxy), context=ctx)
        if lines is not None and len(lines):
            row["lines"] = _clipped_lines(ltree, lgeoms, lkinds, _cert_layout.sketch_window((minx, miny, maxx, maxy)))
        row["area_m2"] = int(row["area_m2"])
        recs.append(row)
    return recs


def _content(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: rec["geometry_wkt"] if k == "geometry" else rec[k] for k in _digest.FIELDS}


def _render(recs: list[dict[str, Any]], labels: Mapping, fonts: tuple[Any, Any]) -> bytes:
    first = recs[0]
    issued = first["issue_date"].replace("-", "")
    title = (f"{first['certificate_no']}" if len(recs) == 1 else f"{first['household_id']} ({len(recs)} certificates)")
    doc = _pdf.Document(*fonts, info={
        "Title": f"{labels['labels']['title']['en']} {title}",
        "Subject": " ".join(r["certificate_no"] for r in recs),
        "Author": labels["certificate"]["issuer_en"],
        "Creator": "landuse certificates",
        "Producer": "landuse",
        "CreationDate": f"D:{issued}000000Z",
        "ModDate": f"D:{issued}000000Z",
    })
    embedded = []
    for rec in recs:
        payload = rec.get("qr") or _digest.qr_payload(rec["certificate_no"], rec["digest"], rec.get("hmac") or None)
        qr_matrix = _qr_matrix(payload)
        item = {**_content(rec), "digest": rec["digest"], "hmac": rec.get("hmac") or "", "qr": payload,
                "page": len(doc.pages) + 1}
        if rec.get("signed_record"):
            item["record"] = json.loads(rec["signed_record"])
        embedded.append(item)
        _cert_layout.draw(doc, rec, cast(dict, labels), qr_matrix)
    if doc.missing:
        import warnings

        chars = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(doc.missing))
        warnings.warn(f"certificate {first['certificate_no']}: the Lao font has no glyph for {chars}; these "
                      "characters print as empty boxes (the register and the digest keep the exact text)",
                      LanduseWarning, stacklevel=2)
    data = json.dumps({"format": "landuse-certificate/1", "certificates": embedded,
                       "source_sha256": first.get("source_sha256", "")}, sort_keys=True,
                      ensure_ascii=False).encode("utf-8")  # no indent: json's C encoder
    doc.attach(ATTACHMENT, data, description="canonical certificate content (landuse verify)")
    return doc.to_bytes()


def render_certificates(register: Any, *, context: Any = None, labels: str | os.PathLike | Mapping | None = None,
                        villages: Any = None, streams: Any = None, roads: Any = None) -> bytes:
    """One PDF (as bytes) with a page per row of *register*.

    Parameters
    ----------
    register : geopandas.GeoDataFrame
        Rows of :func:`certificate_register`.
    context : geopandas.GeoDataFrame, optional
        Parcels drawn around each parcel on the sketch (``parcel_id``; optional
        ``village_id``); default the register's own parcels.
    labels : path-like or dict, optional
        Labels (:func:`load_labels`).
    villages, streams, roads : geopandas.GeoDataFrame, optional
        Drawn on the sketch, clipped to its frame: the village boundaries (polygons),
        streams and roads (lines), in the register's CRS.

    Returns
    -------
    bytes
        The PDF; the same register gives the same bytes.
    """
    import geopandas as gpd

    lab = labels if isinstance(labels, Mapping) else load_labels(labels)
    if len(register) == 0:
        raise SchemaError("the register has no rows", hint="select at least one certificate")
    if context is None:
        context = register
    ids = context["parcel_id"].astype(str)
    vid = context["village_id"].astype(str) if "village_id" in context.columns else pd.Series("", index=context.index)
    short = [p[len(v) + 1:] if v and p.startswith(v + "-") else p for p, v in zip(ids, vid, strict=True)]
    ctx = gpd.GeoDataFrame({"parcel_id": ids.to_numpy(), "short": short}, geometry=list(context.geometry.array),
                           crs=context.crs)
    lines = _sketch_layer(villages, streams, roads, register.crs)
    return _render(_records(register, ctx, lines), lab, _fonts())


# -- batch ------------------------------------------------------------------------------------
@dataclass
class CertificateResult:
    """What :func:`write_certificates` returns.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    register_csv, register_gpkg : Path
        The register of every certificate in *out_dir* (CSV, and GeoPackage layer
        ``certificates``).
    register : geopandas.GeoDataFrame
        Its content.
    files : list of Path
        The PDFs of this batch (written or found valid), sorted.
    written, skipped : int
        PDFs written now, and existing valid PDFs left as they were.
    sizes_bytes : list of int
        Size of each file in *files*. [bytes]
    failed : dict
        Certificate number (or parcel id, for a parcel whose geometry is degenerate)
        → why it was not issued; also written to ``failed.csv``. The others are issued.
    """

    out_dir: Path
    register_csv: Path
    register_gpkg: Path
    register: Any
    files: list[Path] = field(default_factory=list)
    written: int = 0
    skipped: int = 0
    sizes_bytes: list[int] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line (never the register's rows): the folder and the counts."""
        return (f"CertificateResult({str(self.out_dir)!r}: {len(self.files)} files, {self.written} written, "
                f"{self.skipped} kept, {len(self.failed)} failed)")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: files written and kept, the register, what failed."""
        figures = [
            ("ໂຟນເດີ", "folder", self.out_dir),
            ("ໃບຢັ້ງຢືນ (PDF)", "certificate files", len(self.files)),
            ("ຂຽນໃໝ່ / ຄົງເດີມ", "written / kept", f"{self.written} / {self.skipped}"),
            ("ທະບຽນ", "register", f"{len(self.register) if self.register is not None else 0} rows"),
            ("ຂະໜາດລວມ [MB]", "total size [MB]", f"{sum(self.sizes_bytes) / 1e6:.2f}"),
            ("ບໍ່ສຳເລັດ", "failed", len(self.failed)),
        ]
        failed = [{"no": k, "why": v} for k, v in sorted(self.failed.items())]
        return (figures_html(figures, title="Certificates", title_lo="ໃບຢັ້ງຢືນການນຳໃຊ້ທີ່ດິນ")
                + (records_html(failed, [("no", "ເລກທີ", "number"), ("why", "ເຫດຜົນ", "why")]) if failed else ""))


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _init_worker(fonts: tuple[Any, Any]) -> None:
    """Worker set-up: the prepared fonts, and exit if the parent process dies (killed run)."""
    import threading
    import time

    _FONTS["fonts"] = fonts
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="landuse-parent-watch").start()


def _warm_worker() -> int:
    """Nothing but the worker's set-up (imports, fonts): done while the parent builds the register."""
    from landuse.certificates import _layout, _seal  # noqa: F401 - deferred: the PDF stack, imported early in workers

    _fonts()[0].hb  # noqa: B018 - HarfBuzz font objects made now
    _fonts()[1].hb  # noqa: B018
    return os.getpid()


class _WarmPool:
    """A process pool started before the register is built, so that its workers import meanwhile.

    :meth:`take` hands the pool over to the caller; a pool never taken (no file to
    write, or an error while building the register) is shut down by :meth:`close`, at
    the latest when this object is dropped.
    """

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        self.pool: Any = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker, initargs=(_fonts(),))
        for _ in range(workers):  # one task per worker: each submit starts a process
            self.pool.submit(_warm_worker)

    def take(self) -> Any:
        pool, self.pool = self.pool, None
        return pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def __del__(self) -> None:
        self.close()


def _write_one(task: tuple[str, list[dict[str, Any]], Mapping, Any]) -> tuple[str, str, int, str]:
    path, recs, labels, pades = task
    try:
        data = _render(recs, labels, _fonts())
    except Exception as exc:  # noqa: BLE001 - one certificate that cannot be drawn must not stop the batch
        return path, "", -1, f"cannot draw the certificate ({type(exc).__name__}: {exc})"
    if pades:
        data = _pades_sign(data, pades)
    _write_pdf(Path(path), data)
    return path, hashlib.sha256(data).hexdigest(), len(data), ""


#: Files a task of an executor renders (:func:`write_certificates`), and tasks in flight at once.
CHUNK_FILES = 50
_IN_FLIGHT = 32


def _draw_chunk(tasks: bytes | list[tuple[str, list[dict[str, Any]], Mapping, Any]]
                ) -> list[tuple[bytes, str, list[str]]]:
    """The PDF bytes of each task (or why it cannot be drawn) and the warnings given while drawing it.

    Runs on an executor's worker, maybe another machine: nothing is written there, and
    the fonts are prepared there on first use. *tasks* may come pickled (:func:`_render_on`).
    """
    import pickle
    import warnings

    todo: list[tuple[str, list[dict[str, Any]], Mapping, Any]] = (
        pickle.loads(tasks) if isinstance(tasks, bytes) else tasks)  # noqa: S301 - ours, from the submitting process
    out = []
    for _path, recs, labels, pades in todo:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                data = _render(recs, labels, _fonts())
                if pades:
                    data = _pades_sign(data, pades)
                error = ""
            except Exception as exc:  # noqa: BLE001 - one certificate that cannot be drawn must not stop the batch
                data, error = b"", f"cannot draw the certificate ({type(exc).__name__}: {exc})"
        out.append((data, error, [str(w.message) for w in seen]))
    return out


def _render_on(executor: Executor, tasks: list[Any], record: Any) -> None:
    """Render *tasks* on *executor* in chunks, and write and *record* each file in task order.

    At most :data:`_IN_FLIGHT` chunks are submitted ahead of the one being written (the
    memory of a province stays bounded). A chunk whose task fails as a whole (a worker
    lost, data that cannot be sent) fails each of its files with the reason.
    """
    import pickle
    from collections import deque

    size = max(1, min(CHUNK_FILES, -(-len(tasks) // 16)))  # >= 16 chunks a batch, to share out
    chunks = iter([tasks[i:i + size] for i in range(0, len(tasks), size)])
    pending: deque[tuple[list[Any], Any]] = deque()
    try:
        for chunk in chunks:
            # pickled here: dask would otherwise walk every record's nested lists looking for
            # futures (most of this process's time in a profile)
            pending.append((chunk, executor.submit(_draw_chunk, pickle.dumps(chunk, protocol=5))))
            if len(pending) < _IN_FLIGHT:
                continue
            _write_chunk(*pending.popleft(), record)
        while pending:
            _write_chunk(*pending.popleft(), record)
    except BaseException:
        for _chunk, fut in pending:  # interrupted: drop what is queued (written files are atomic)
            fut.cancel()
        raise


def _write_chunk(chunk: list[Any], fut: Any, record: Any) -> None:
    try:
        drawn = fut.result()
    except Exception as exc:  # noqa: BLE001 - the chunk fails its files, the batch goes on
        why = f"cannot draw the certificate on a worker ({type(exc).__name__}: {exc})"
        drawn = [(b"", why, [])] * len(chunk)
    for (path, *_rest), (data, error, said) in zip(chunk, drawn, strict=True):
        for msg in said:
            log.warning("%s", msg)
        if error:
            record(path, "", -1, error)
            continue
        _write_pdf(Path(path), data)
        record(path, hashlib.sha256(data).hexdigest(), len(data))


def _write_pdf(path: Path, data: bytes) -> None:
    """Write *data* to *path* atomically, replacing it (the caller decided that it may).

    :func:`landuse.io.atomic_write_bytes`: an exclusive temporary ``.<stem>.<pid>.tmp.pdf``
    renamed over *path* (an interrupted run's are removed by :func:`_clean_temporaries`).
    """
    io.atomic_write_bytes(path, data, overwrite=True)


def _known_rows(out: Path) -> dict[str, dict[str, Any]]:
    """Register rows already written in *out* (register.csv, then the journal of an interrupted run)."""
    rows: dict[str, dict[str, Any]] = {}
    csv = out / "register.csv"
    if csv.is_file():
        try:
            df = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8")
            df = df.map(io.unescape_cell).rename(columns=io.unescape_cell)  # undo the formula guard
            rows.update({r["certificate_no"]: r for r in df.to_dict("records")})
        except Exception as exc:  # noqa: BLE001 - an unreadable register is rebuilt
            log.warning("ignoring unreadable register %s: %s", csv, exc)
    journal = out / _JOURNAL
    if journal.is_file():
        for line in journal.read_text("utf-8").splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:  # a line cut by the interruption
                continue
            rows[r["certificate_no"]] = r
    return rows


def _clean_temporaries(out: Path) -> None:
    """Remove temporary files an interrupted run (killed process) may have left."""
    for tmp in out.rglob(".*.tmp.pdf"):
        tmp.unlink(missing_ok=True)


def write_certificates(
    allocations: GeoDataFrame, *, households: pd.DataFrame, villages: GeoDataFrame, parcels: GeoDataFrame | None = None,
    out_dir: str | os.PathLike, issue_date: Any = None, overwrite: bool = False, progress: bool = False,
    village: str | None = None, per_household: bool = False, validity_years: int | None = None,
    labels: str | os.PathLike | Mapping | None = None, key_file: str | os.PathLike | None = None,
    passphrase: str | None = None, register: Any = None, timezone: str | None = None, actor: str | None = None,
    pades: bool = False, others: Any = None, workers: int = 1, streams: Any = None, roads: Any = None,
    executor: Executor | None = None,
) -> CertificateResult:
    """Write the land-use certificates of an allocation as PDFs, with a register.

    Files are ``<out_dir>/<village_id>/<certificate_no>.pdf`` (one per allocated
    parcel) or, with ``per_household=True``, ``<out_dir>/<village_id>/<household_id>.pdf``
    (a page per parcel). ``register.csv`` and ``register.gpkg`` (layer
    ``certificates``) list every certificate of *out_dir* with its digest, file,
    page and the SHA-256 of the file.

    Parameters
    ----------
    allocations, households, villages, parcels, others
        As for :func:`certificate_register`.
    out_dir : path-like
        Output folder (created if needed).
    issue_date : datetime.date or str, optional
        Issue date of the certificates issued now (``YYYY-MM-DD``); default today in
        the district's time zone. With a district register, unchanged certificates
        keep their own dates. Also the PDFs' fixed creation date.
    overwrite : bool, default False
        Replace existing PDFs whose content differs from this batch; without it such
        a file raises :class:`OutputExistsError` before anything is written.
        Existing PDFs identical to the register entry are always kept (resume).
    progress : bool, default False
        Show a progress bar (tqdm).
    village : str, optional
        Only the certificates of this village.
    per_household : bool, default False
        One PDF per household instead of one per parcel.
    validity_years : int, optional
        Validity [years]; default the labels' ``validity_years`` (3).
    labels : path-like or dict, optional
        Labels file (:func:`load_labels`).
    key_file : path-like, optional
        The district's private signing key (``landuse keys init``): every QR code
        carries the certificate's record signed with it (:mod:`landuse.certificates.keys`).
        Without it the certificates are marked UNSIGNED DRAFT and their QR is ``LUD1.``.
        (An HMAC is still added with ``$LANDUSE_DISTRICT_KEY``, as before.)
    passphrase : str, optional
        Passphrase of the key; default ``$LANDUSE_KEY_PASSPHRASE``.
    register : path-like or landuse.certificates.register.Register, optional
        The district register (created if absent). Certificate numbers then are its
        stable serials: a parcel whose legal content is unchanged keeps its
        certificate (number and dates); a changed one is superseded and re-issued;
        a parcel no longer allocated has its certificate revoked. Without a register
        the allocation's ``certificate_no`` is used as it is.
    timezone : str, optional
        District time zone for today's date and event times; default the
        register's, else ``Asia/Vientiane``.
    actor : str, optional
        Who issues, recorded in the register; default the login name.
    pades : bool, default False
        Also sign each PDF with a PAdES signature (pyHanko; needs *key_file*).
    workers : int, default 1
        Processes rendering PDFs in parallel.
    executor : concurrent.futures.Executor, optional
        Render the PDFs there instead (e.g. ``distributed.Client.get_executor()``, whose
        workers may be other machines): tasks of up to :data:`CHUNK_FILES` files return
        the bytes, and this process writes, journals and registers them in file order,
        so the files are the same as without it. *workers* is then not used.
    streams, roads : geopandas.GeoDataFrame, optional
        Lines drawn on each sketch with the village boundaries (of *villages*, when
        it has geometries), clipped to the sketch's frame; same CRS as *allocations*.

    Returns
    -------
    CertificateResult
        With ``register_csv`` (path), ``register_gpkg``, ``files``, ``written`` and
        ``skipped``.

    Notes
    -----
    Resumable and atomic: each PDF is written to a temporary file and renamed, and
    recorded at once in a journal; after an interruption a new run skips every PDF
    whose SHA-256 matches its journal or register entry and whose digest and
    ``source_sha256`` (a hash of everything the page is drawn from: labels,
    neighbours, sketch, landuse version) match, and writes the rest. Deterministic: fixed metadata
    dates (the issue date), a file identifier derived from the content, no random
    ids, so the same inputs give byte-identical PDFs.
    """
    lab = labels if isinstance(labels, Mapping) else load_labels(labels)
    key = _digest.read_key(None)
    signer = keys.load_private_key(key_file, passphrase=passphrase) if key_file is not None else None
    if pades and signer is None:  # checked before anything is written or issued
        raise LanduseError("a PAdES signature needs the district key", hint="give --key-file with --pades")
    district = _open_district(register, villages, timezone=timezone)
    tz = timezone or (district.timezone if district is not None else _register.DEFAULT_TIMEZONE)
    issue_date = _register.district_today(tz) if issue_date is None else _as_date(issue_date, "issue_date")
    if workers < 1:
        raise SchemaError(f"workers={workers} must be at least 1", column="workers", hint="use 1 or more")
    alloc = _village_allocations(allocations, village)
    # the worker processes start (and import) while this process builds and signs the register
    early = _WarmPool(workers) if executor is None and workers > 1 and len(alloc) > 1 else None
    reg, context = _build(alloc, households=households, villages=villages, parcels=parcels, issue_date=issue_date,
                          validity_years=validity_years, labels=lab, key=key, others=others)
    reg, bad = _drop_degenerate(reg)
    reg = _seal_register(reg, signer=signer, register=district, issue_date=issue_date, key=key,
                         actor=actor or default_actor(), keep=set(bad))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean_temporaries(out)
    recs = _records(reg, context, _sketch_layer(villages, streams, roads, reg.crs))
    groups = _plan_files(recs, lab, per_household=per_household)
    todo, done = _files_to_write(out, groups, overwrite=overwrite)
    failed: dict[str, str] = dict(bad)
    sizes: dict[str, int] = {rel: (out / rel).stat().st_size for rel in done}
    pades_cfg = _pades_settings(signer, reg) if pades else None
    tasks = [(str(out / rel), groups[rel], lab, pades_cfg) for rel in todo]
    _render_files(out, tasks, groups, failed=failed, sizes=sizes, workers=workers, early=early,
                  bar=_progress_bar(total=len(groups), initial=len(done), progress=progress), executor=executor)
    # the register: rows of this batch replace rows of the same certificate; others are kept
    for rel in [rel for rel, rs in groups.items() if any(r["certificate_no"] in failed for r in rs)]:
        del groups[rel]
    rows = _index_rows(out, [r for r in recs if r["certificate_no"] not in failed], groups, district,
                       overwrite=overwrite)
    csv, gpkg, register = _write_index(out, rows, reg.crs, failed=failed)
    files = sorted(out / rel for rel in groups)
    log.info("certificates: %d written, %d kept, register %s", len(todo), len(done), csv)
    return CertificateResult(out_dir=out, register_csv=csv, register_gpkg=gpkg, register=register, files=files,
                             written=sum(rel in groups for rel in todo), skipped=len(done), failed=failed,
                             sizes_bytes=[sizes.get(p.relative_to(out).as_posix(), p.stat().st_size) for p in files])


def _progress_bar(*, total: int, initial: int, progress: bool) -> Any:
    """The progress bar of :func:`write_certificates` (files, the kept ones counted as done)."""
    import warnings

    with warnings.catch_warnings():  # a notebook without ipywidgets: tqdm warns on import, then draws text
        warnings.filterwarnings("ignore", message="IProgress not found")
        from tqdm.auto import tqdm

    lines = logging.getLogger(PROGRESS_LOGGER).isEnabledFor(logging.INFO)  # the lines replace the bar
    return _ProgressLines(tqdm(total=total, initial=initial, disable=not progress or lines, unit="pdf",
                               desc="certificates"), total=total, done=initial)


class _ProgressLines:
    """A tqdm bar that also logs ``certificates: files i/n`` every :data:`PROGRESS_EVERY` files."""

    def __init__(self, bar: Any, *, total: int, done: int) -> None:
        self.bar, self.total, self.done = bar, total, done

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)
        before, self.done = self.done, self.done + n
        if self.done // PROGRESS_EVERY > before // PROGRESS_EVERY or self.done == self.total:
            report_progress("certificates: files", self.done, self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _open_district(register: Any, villages: Any, *, timezone: str | None) -> Any:
    """The district register (a Register, or opened or created at a path), or None."""
    if register is None:
        return None
    if isinstance(register, _register.Register):
        return register
    dname = ""
    if "district_en" in getattr(villages, "columns", []) and len(villages):
        dname = _text(villages["district_en"].iloc[0])
    return _register.open_register(register, create=True, district=dname,
                                   timezone=timezone or _register.DEFAULT_TIMEZONE)


def _village_allocations(allocations: Any, village: str | None) -> Any:
    """The allocations of *village* (all when None); an unknown village is a SchemaError."""
    if village is None:
        return allocations
    _validate.require_columns(allocations, ["village_id"], layer="allocations")
    alloc = allocations[allocations["village_id"].astype(str) == str(village)]
    if len(alloc) == 0:
        found = ", ".join(sorted(set(allocations["village_id"].astype(str)))[:10])
        raise SchemaError(f"no allocation in village {village!r}", column="village_id",
                          hint=f"use one of {found}")
    return alloc


def _drop_degenerate(reg: Any) -> tuple[Any, dict[str, str]]:
    """Leave out parcels empty after snapping to 1 cm or under 1 m² (each fails alone, before it is issued)."""
    import shapely

    degenerate = shapely.is_empty(np.asarray(reg.geometry.array, dtype=object)) | (reg["area_m2"].astype(int) < 1)
    bad = {str(p): "degenerate geometry (empty after snapping to 0.01 m, or area under 1 m²); fix the parcel"
           for p in reg.loc[degenerate, "parcel_id"]}
    for pid in bad:
        log.error("parcel %s: %s", pid, bad[pid])
    return reg[~degenerate].reset_index(drop=True), bad


def _plan_files(recs: list[dict[str, Any]], lab: Mapping, *, per_household: bool) -> dict[str, list[dict[str, Any]]]:
    """File (relative path) → its certificates, with each one's ``file``, ``page`` and ``source_sha256``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in recs:
        name = rec["household_id"] if per_household else rec["certificate_no"]
        rel = f"{_safe(rec['village_id'])}/{_safe(name)}.pdf"
        groups.setdefault(rel, []).append(rec)
    for rel, rs in groups.items():
        page = 1
        for rec in rs:  # the page where the certificate starts (long vertex lists continue)
            rec["file"], rec["page"] = rel, page
            page += _cert_layout.pages_needed(len(rec["vertices"]), _cert_layout.neighbour_chars(rec))
    # what each file is drawn from (labels, neighbours, sketch, writer version): a file is
    # kept only if it was drawn from exactly this, not merely if its digest is unchanged
    head = json.dumps([landuse.__version__, json.dumps(lab, sort_keys=True, ensure_ascii=False)], ensure_ascii=False)
    memo: dict[int, bytes] = {}
    for rel, rs in groups.items():
        source = _source_sha256(head.encode("utf-8"), rs, memo)
        for r in rs:
            r["source_sha256"] = source
    return groups


def _files_to_write(out: Path, groups: dict[str, list[dict[str, Any]]], *, overwrite: bool
                    ) -> tuple[list[str], list[str]]:
    """Files to (re)write and files kept: a file is kept when its bytes, digests, pages and sources match."""
    known = _known_rows(out)
    todo, done = [], []
    for rel, rs in sorted(groups.items()):
        path = out / rel
        if path.exists():
            sha = _sha256_file(path)
            ok = all(
                (k := known.get(r["certificate_no"])) is not None and k.get("digest") == r["digest"]
                and k.get("pdf_sha256") == sha and k.get("file") == rel and str(k.get("page")) == str(r["page"])
                and (k.get("hmac") or "") == (r.get("hmac") or "") and k.get("source_sha256") == r["source_sha256"]
                for r in rs
            )
            if ok:
                for r in rs:
                    r["pdf_sha256"] = sha
                done.append(rel)
                continue
            if not overwrite and not _same_certificates(path, rs):
                raise OutputExistsError(
                    "a certificate file exists with different content", source=str(path),
                    hint="pass overwrite=True (--overwrite) to replace it, or write to another folder")
        todo.append(rel)
    return todo, done


def _pades_settings(signer: Any, reg: Any) -> dict[str, Any]:
    """What the PAdES signature of each PDF needs: the key (PEM), district, reason and location."""
    from cryptography.hazmat.primitives import serialization

    dist = _text(reg["district_en"].iloc[0]) if len(reg) else ""
    return {"pem": signer.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()),
            "district": dist or "district", "reason": "land-use certificate",
            "location": ", ".join(x for x in (dist, _text(reg["province_en"].iloc[0]) if len(reg) else "")
                                  if x) or "Lao PDR"}


def _render_files(out: Path, tasks: list[Any], groups: dict[str, list[dict[str, Any]]], *, failed: dict[str, str],
                  sizes: dict[str, int], workers: int, early: _WarmPool | None, bar: Any,
                  executor: Executor | None = None) -> None:
    """Write the PDFs of *tasks* (in *workers* processes, *early* if already started, or on
    *executor*), journaling each file.

    A file that fails puts its certificates into *failed*; the sizes of written files go into *sizes*.
    """
    journal = out / _JOURNAL
    try:
        with open(journal, "a", encoding="utf-8") as jf:
            def record(path: str, sha: str, size: int, error: str = "") -> None:
                rel = Path(path).relative_to(out).as_posix()
                bar.update(1)
                if error:
                    for r in groups[rel]:
                        failed[r["certificate_no"]] = error
                    log.error("certificate %s: %s", rel, error)
                    return
                sizes[rel] = size
                for r in groups[rel]:
                    r["pdf_sha256"] = sha
                    jf.write(json.dumps(_register_row(r), ensure_ascii=False, sort_keys=True) + "\n")
                jf.flush()

            if executor is not None:
                _render_on(executor, tasks, record)
            elif workers > 1 and len(tasks) > 1:
                import multiprocessing as mp
                from concurrent.futures import ProcessPoolExecutor

                fonts = _fonts()
                pool = early.take() if early is not None else ProcessPoolExecutor(
                    max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                    initargs=(fonts,))
                try:
                    for res in pool.map(_write_one, tasks, chunksize=max(1, min(32, len(tasks) // (8 * workers)))):
                        record(*res)
                except BaseException:
                    # interrupted: let running files finish (each is atomic), drop the queue
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
                pool.shutdown()
            else:
                if early is not None:
                    early.close()
                for t in tasks:
                    record(*_write_one(t))
    finally:
        bar.close()


def _index_rows(out: Path, recs: list[dict[str, Any]], groups: dict[str, list[dict[str, Any]]], district: Any, *,
                overwrite: bool) -> dict[str, dict[str, Any]]:
    """Rows of the folder's register: this batch, and earlier rows whose file exists and that are in force.

    With a district register, files of certificates no longer in force are removed (with *overwrite*) or
    named in a warning; the register records the bytes of every PDF of the batch.
    """
    batch = {r["certificate_no"]: _register_row(r) for r in recs}
    rows = {k: v for k, v in _known_rows(out).items() if k not in batch and (out / str(v.get("file"))).exists()}
    if district is not None:  # certificates the register no longer has in force leave the folder's index
        for no in sorted(rows):
            if district.status(no)["status"] == "CURRENT":
                continue
            stale = out / str(rows.pop(no)["file"])
            if overwrite and stale.relative_to(out).as_posix() not in groups:
                stale.unlink(missing_ok=True)
                log.info("removed %s: certificate %s is no longer in force", stale, no)
            else:
                log.warning("%s: certificate %s is no longer in force (pass overwrite=True to remove the file)",
                            stale, no)
    rows.update(batch)
    if district is not None:  # the district remembers the bytes of every PDF it issued
        district.record_files((no, r.get("pdf_sha256", "")) for no, r in sorted(batch.items()))
    return rows


def _write_index(out: Path, rows: dict[str, dict[str, Any]], crs: Any, *, failed: dict[str, str]
                 ) -> tuple[Path, Path, Any]:
    """Write ``register.csv`` and ``register.gpkg`` of the folder, drop the journal, list the failures."""
    table = pd.DataFrame([rows[k] for k in sorted(rows)], columns=list(REGISTER_COLUMNS))
    table["area_m2"] = table["area_m2"].astype(int)
    table["page"] = table["page"].astype(int)
    table["area_ha"] = table["area_ha"].astype(float)
    register = _register_gdf(table, crs)
    csv = io.write_table(table, out / "register.csv", overwrite=True)
    gpkg = io.write_vector(register, out / "register.gpkg", layer="certificates", overwrite=True)
    (out / _JOURNAL).unlink(missing_ok=True)
    if failed:
        io.write_table(pd.DataFrame({"certificate": list(failed), "error": list(failed.values())}),
                       out / "failed.csv", overwrite=True)
    else:
        (out / "failed.csv").unlink(missing_ok=True)
    return csv, gpkg, register


def _source_sha256(head: bytes, recs: list[dict[str, Any]], memo: dict[int, bytes]) -> str:
    """SHA-256 of what a file is drawn from: *head* (version, labels), then each record as JSON.

    A record is its fields without ``context``, then each neighbouring parcel it draws
    (rings, label, label point) as JSON. Neighbouring parcels are shared between the
    records of a batch (:func:`_records`), so each one's JSON is made once (*memo*, by
    object id: the records keep them alive while the batch is planned). Concatenated
    JSON values are self-delimiting, so the bytes hashed determine the records.
    """
    h = hashlib.sha256(head)
    for r in recs:
        h.update(json.dumps({k: v for k, v in r.items() if k != "context"}, sort_keys=True, ensure_ascii=False,
                            default=str).encode("utf-8"))
        for item in r.get("context", ()):
            text = memo.get(id(item))
            if text is None:
                text = memo[id(item)] = json.dumps(item, ensure_ascii=False).encode("utf-8")
            h.update(text)
    return h.hexdigest()


def _same_certificates(path: Path, recs: list[dict[str, Any]]) -> bool:
    """True if the PDF at *path* was drawn from exactly *recs* (same digests and sources).

    A file written just before an interruption may be missing from the journal; it
    is then rewritten (with the same bytes) rather than refused as someone else's.
    """
    import pypdf

    try:
        data = pypdf.PdfReader(str(path)).attachments.get(ATTACHMENT)
        doc = json.loads(data[0]) if data else {}
    except Exception:  # noqa: BLE001 - unreadable: not ours
        return False
    return (doc.get("source_sha256") == recs[0]["source_sha256"]
            and [c.get("digest") for c in doc.get("certificates", [])] == [r["digest"] for r in recs])


def _safe(name: str) -> str:
    return id_filename(name)


def _register_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {c: rec.get(c, "") for c in REGISTER_COLUMNS}


def _register_gdf(table: pd.DataFrame, crs: Any) -> Any:
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(table.drop(columns=["geometry_wkt"]),
                            geometry=shapely.from_wkt(table["geometry_wkt"].to_numpy()), crs=crs)


# -- verification -------------------------------------------------------------------------------
def verify_certificate(
    path: str | os.PathLike,
    *,
    register: Any = None,
    public_keys: Any = None,
    check_qr: bool = True,
    check_text: bool = True,
) -> Verification:
    """Check a certificate PDF: its signature, its content, its register state; report what differs.

    Parameters
    ----------
    path : path-like
        A certificate PDF written by :func:`write_certificates`, or a scan of a
        printed one (a PDF of page images: its QR code is decoded and checked).
    register : path-like, DataFrame or landuse.certificates.register.Register, optional
        The district register (``.gpkg`` with an ``events`` table, or an open
        :class:`~landuse.certificates.register.Register`): gives the district public keys and the
        certificate's state (in force, superseded, revoked); a path is opened and its
        hash chain checked first. Or a batch's ``register.csv``/``register.gpkg``
        (layer ``certificates``) to compare field by field.
    public_keys : iterable of public keys or dict key id → key, optional
        District public keys (:func:`landuse.certificates.keys.load_public_key`), besides those of
        the register.
    check_qr : bool, default True
        Decode the QR code from the rendered page (needs ``pdftoppm`` and
        ``zxing-cpp``; noted, not failed, when they are missing).
    check_text : bool, default True
        Look for the issued certificate number, parcel, household, holder, area and
        dates in the page's text.

    Returns
    -------
    Verification
        ``status`` (``VALID``, ``INVALID``, ``UNSIGNED``, ``UNKNOWN-KEY``,
        ``SUPERSEDED``, ``REVOKED``), ``valid`` (nothing differs and the
        certificate is not revoked, superseded or of an unknown key; an unsigned
        draft can be ``valid``) and ``problems``: one per differing field, named as
        in the register (``holder``, ``area_m2``, ``geometry``, ``issue_date``,
        ``signature``, ``qr``, ``digest``, ``pdf_sha256``, ``printed area_m2``...).

    Notes
    -----
    The checks are listed in :mod:`landuse.certificates._verify`. The signed record in the QR
    code is checked against the district public key (a forged or altered record fails
    with field ``signature``), then the embedded content against the signed record, then
    the register's record and state. An HMAC (``$LANDUSE_DISTRICT_KEY``) is checked
    when the variable is set.
    """
    key = _digest.read_key(None)
    return _cert_verify.verify(path, register=register, key=key, check_qr=check_qr, check_text=check_text,
                               public_keys=public_keys)


_VERIFY_WORKER: dict[str, Any] = {}


def _verify_init(register: str | None, pems: list[bytes], check_qr: bool, check_text: bool) -> None:
    from cryptography.hazmat.primitives import serialization

    _VERIFY_WORKER.update(register=open_register(register) if register else None,
                          keys=[serialization.load_pem_public_key(p) for p in pems], check_qr=check_qr,
                          check_text=check_text)


def _verify_one(path: str) -> Any:
    w = _VERIFY_WORKER
    try:
        return verify_certificate(path, register=w["register"], public_keys=w["keys"], check_qr=w["check_qr"],
                                  check_text=w["check_text"])
    except LanduseError as exc:  # an unreadable file is a result of this file, not of the batch
        return exc


def verify_certificates(paths: Any, *, register: str | os.PathLike | None = None, public_keys: Any = None,
                        check_qr: bool = True, check_text: bool = True, workers: int = 1) -> Iterator[
                            tuple[Path, Verification | LanduseError]]:
    """Verify many certificate PDFs, in order, on *workers* processes.

    The district *register* (a ``.gpkg`` path) is opened and its hash chain checked
    once, not per file; each worker then opens it read-only.

    Parameters
    ----------
    paths : iterable of path-like
    register : path-like, optional
        The district register.
    public_keys : iterable of public keys, optional
    check_qr, check_text : bool
        As in :func:`verify_certificate`.
    workers : int, default 1

    Yields
    ------
    (Path, Verification or LanduseError)
        In the order of *paths*; a file that cannot be read yields its error.
    """
    import concurrent.futures as cf

    from cryptography.hazmat.primitives import serialization

    paths = [Path(p) for p in paths]
    reg_path = None
    if register is not None:
        open_register(register).verify_chain()  # once, raises RegisterError if broken
        reg_path = str(register)
    pems = [k.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            for k in (public_keys or ())]
    args = (reg_path, pems, check_qr, check_text)
    if workers <= 1 or len(paths) < 8:
        _verify_init(*args)
        for p in paths:
            yield p, _verify_one(str(p))
        return
    with cf.ProcessPoolExecutor(max_workers=workers, initializer=_verify_init, initargs=args) as ex:
        for p, res in zip(paths, ex.map(_verify_one, [str(p) for p in paths], chunksize=8)):
            yield p, res


def verify_qr(text: str, *, register: Any = None, public_keys: Any = None) -> Verification:
    """Verify the text of a certificate's QR code (as a phone or scanner reads it).

    Parameters
    ----------
    text : str
        ``LUC1.<record>.<signature>`` (or ``LUD1.<record>``, an unsigned draft).
    register : path-like or landuse.certificates.register.Register, optional
        The district register: its public keys and the certificate's state.
    public_keys : iterable of public keys or dict key id → key, optional

    Returns
    -------
    Verification
        ``status`` VALID, UNSIGNED, UNKNOWN-KEY, SUPERSEDED, REVOKED or INVALID
        (field ``signature`` for an altered record or another key claiming the
        district's key id).
    """
    return _cert_verify.verify_text(text, register=register, public_keys=public_keys)
