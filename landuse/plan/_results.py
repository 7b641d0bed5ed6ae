"""What a plan run produced, as typed records (private; see :mod:`landuse.plan`).

:class:`VillageProducts` holds the tables and layers of one village's run,
:class:`VillageResult` the village's outcome (sent back from a dask worker), and
:class:`PlanProducts` the files written for the whole plan with the district summary.
They sit below the modules that make them (:mod:`landuse.plan._run`) and write them
(:mod:`landuse.plan._products`, :mod:`landuse.plan._report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from landuse._validate.display import figures_html

__all__ = ["PlanProducts", "VillageProducts", "VillageResult", "slim"]


@dataclass
class VillageProducts:
    """The layers and tables one village's run made (None: the step did not run or failed).

    Attributes
    ----------
    zones, zone_table : GeoDataFrame, DataFrame
        Draft zones and their areas [ha] (:func:`landuse.zoning.zone_villages`).
    parcel_zones, conflicts : GeoDataFrame
        Parcels against the zones, and the parcels that conflict with them.
    allocations, allocation_households, unallocated : GeoDataFrame, DataFrame
        The allocation (:func:`landuse.allocation.allocate`): parcels given, per household, left over.
    lorenz : DataFrame
        Lorenz curve of the allocated area (``household_share``, ``area_share``).
    fallow_plots, fallow_cycles, fallow_parcels : DataFrame, GeoDataFrame
        Fallow status per plot, the fallow cycles, and the status joined to the parcels.
    fallow_survival, fallow_decades : DataFrame
        Survival curves of fallow lengths and fallow lengths per decade.
    land_demand : DataFrame
        Land demand of the village (one row).
    charts : dict
        Chart name → ``<img>`` tag of the village report (made in the worker).
    """

    zones: pd.DataFrame | None = None
    zone_table: pd.DataFrame | None = None
    parcel_zones: pd.DataFrame | None = None
    conflicts: pd.DataFrame | None = None
    allocations: pd.DataFrame | None = None
    allocation_households: pd.DataFrame | None = None
    unallocated: pd.DataFrame | None = None
    lorenz: pd.DataFrame | None = None
    fallow_plots: pd.DataFrame | None = None
    fallow_cycles: pd.DataFrame | None = None
    fallow_parcels: pd.DataFrame | None = None
    fallow_survival: pd.DataFrame | None = None
    fallow_decades: pd.DataFrame | None = None
    land_demand: pd.DataFrame | None = None
    charts: dict[str, str] | None = None


@dataclass
class VillageResult:
    """The outcome of one village's run (never an exception: see :func:`landuse.plan._run.run_village`).

    Attributes
    ----------
    village_id : str
    ok : bool
        False when a step failed; *error* says why and *detail* holds the traceback of an
        unexpected error.
    products : VillageProducts
    figures : dict
        Figures of the village for ``summary.json`` (zone areas [ha], allocation metrics,
        fallow figures, land demand), JSON-ready.
    """

    village_id: str
    ok: bool = True
    error: str | None = None
    detail: str | None = None
    products: VillageProducts = field(default_factory=VillageProducts)
    figures: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line (never the tables): the village, its status and the products made."""
        made = [f.name for f in fields(self.products) if getattr(self.products, f.name) is not None]
        state = "ok" if self.ok else f"failed: {self.error}"
        return f"VillageResult({self.village_id!r}, {state}, products={made})"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: status, then the village's figures (flattened, one row each)."""
        rows: list[tuple[str, str, Any]] = [
            ("ບ້ານ", "village", self.village_id),
            ("ສະຖານະ", "status", "ok · ສຳເລັດ" if self.ok else f"failed · ບໍ່ສຳເລັດ: {self.error}")]
        for key, value in _flat(self.figures):
            rows.append(("", key, f"{value:.4g}" if isinstance(value, float) else value))
        return figures_html(rows[:40], title="Village result", title_lo="ຜົນຂອງບ້ານ",
                            note=f"{len(rows) - 40} more figures in .figures" if len(rows) > 40 else None)


def _flat(figures: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested figures as ``(a.b, value)`` pairs, in their order."""
    out: list[tuple[str, Any]] = []
    for key, value in figures.items():
        if isinstance(value, dict):
            out.extend(_flat(value, f"{prefix}{key}."))
        elif not isinstance(value, (list, tuple)):
            out.append((f"{prefix}{key}", value))
    return out


def slim(result: VillageResult) -> VillageResult:
    """*result* with only what the run's district steps and reports still read (a new record).

    The command's process keeps every village's result until the district products are
    written (issue 20: 7.4 GB at 400 of 540 villages). Of ``parcel_zones`` (every parcel
    with its geometry) the reports read only the number of rows, so an empty frame of as
    many rows stands for it; the Lorenz curve, the survival curves and the decade table
    are read only to draw the charts, so they go once the charts are made (in the worker).
    The outputs do not change (``tests/test_plan_memory.py``).
    """
    p = result.products
    keep: dict[str, Any] = {}
    if p.parcel_zones is not None:
        keep["parcel_zones"] = pd.DataFrame(index=pd.RangeIndex(len(p.parcel_zones)))
    if p.charts:
        keep.update(lorenz=None, fallow_survival=None, fallow_decades=None)
    return replace(result, products=replace(p, **keep)) if keep else result


@dataclass
class PlanProducts:
    """The files a plan run wrote and its village status and district summary.

    Attributes
    ----------
    outputs : dict
        Product name → path (in the folder the run wrote into).
    villages : dict
        village_id → ``"ok"`` or the reasons of its failure.
    summary : dict
        The content of ``summary.json``.
    """

    outputs: dict[str, Path]
    villages: dict[str, str]
    summary: dict[str, Any]
