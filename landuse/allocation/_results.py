"""Typed figures of an allocation (private; public as :class:`landuse.allocation.AllocationMetrics`)."""

from __future__ import annotations

from dataclasses import dataclass

from landuse.io import Record

__all__ = ["AllocationMetrics"]


@dataclass(frozen=True, eq=False)
class AllocationMetrics(Record):
    """Headline figures of an allocation, read as attributes or as a mapping.

    A frozen dataclass whose fields keep the order and names of the former
    ``metrics`` dict; it is also that dict (:class:`landuse.io.Record`:
    ``m["gini"]``, ``m.items()``), so writers that serialise it produce the same
    bytes as before, and it compares equal to a dict with the same items.

    Attributes
    ----------
    method : str
        ``"optimal"`` (the MIP and its heuristics) or ``"greedy"``.
    status : str
        ``"optimal"``, ``"heuristic"``, ``"time_limit"`` or ``"greedy"``.
    mip_gap : float
        Largest proven relative gap of the min-max stage over the subproblems. [-]
    mip_gap_total_shortfall, mip_gap_fragmentation : float
        Largest proven gap of the total-shortfall and the plots-and-distance stages. [-]
    max_shortfall_ha : float
        Largest shortfall of a household. [ha]
    max_relative_shortfall : float
        Largest weighted shortfall divided by the entitlement. [-]
    total_shortfall_ha : float
        Sum of the households' shortfalls. [ha]
    gini, min_max_ratio, gini_fulfilment : float
        Equity of the allocated area per labour unit (:func:`landuse.allocation.equity`). [-]
    runtime_s : float
        Wall-clock time. [s]
    n_households, n_parcels, n_allocated, n_subproblems : int
        Counts of households, allocatable parcels, parcels allocated and
        (village, land type) subproblems.
    allocated_ha : float
        Area allocated. [ha]
    deterministic : bool
        False when the wall-clock safety net stopped a step, so that the result
        may vary between runs.

    Examples
    --------
    >>> m = AllocationMetrics(method="greedy", status="greedy", mip_gap=float("nan"),
    ...     mip_gap_total_shortfall=float("nan"), mip_gap_fragmentation=float("nan"),
    ...     max_shortfall_ha=0.5, max_relative_shortfall=0.25, total_shortfall_ha=0.5,
    ...     gini=0.1, min_max_ratio=0.8, gini_fulfilment=0.05, runtime_s=0.01,
    ...     n_households=2, n_parcels=3, n_allocated=3, allocated_ha=2.0,
    ...     n_subproblems=1, deterministic=True)
    >>> m.max_shortfall_ha == m["max_shortfall_ha"] == 0.5, list(m)[:3]
    (True, ['method', 'status', 'mip_gap'])
    """

    method: str
    status: str
    mip_gap: float
    mip_gap_total_shortfall: float
    mip_gap_fragmentation: float
    max_shortfall_ha: float
    max_relative_shortfall: float
    total_shortfall_ha: float
    gini: float
    min_max_ratio: float
    gini_fulfilment: float
    runtime_s: float
    n_households: int
    n_parcels: int
    n_allocated: int
    allocated_ha: float
    n_subproblems: int
    deterministic: bool
