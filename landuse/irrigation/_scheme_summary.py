"""The typed summary of one sized irrigation scheme (private; public as
:class:`landuse.irrigation.SchemeSummary`)."""

from __future__ import annotations

from dataclasses import dataclass

from landuse.io import Record

__all__ = ["SchemeSummary"]


@dataclass(frozen=True, eq=False)
class SchemeSummary(Record):
    """Headline figures of a sized scheme (:attr:`landuse.irrigation.SchemeResult.summary`).

    A frozen dataclass that is also the dict it replaces (:class:`landuse.io.Record`):
    read ``s.design_flow_l_s`` or ``s["design_flow_l_s"]``; the JSON, CSV and report
    writers see the same items in the same order as before. Units are in the names
    (``_ha``, ``_l_s``, ``_l_s_ha``, ``_mm_day``, ``_m``, ``_km2``); ``*_source`` fields
    say where a figure came from; None where a figure could not be computed (no DEM,
    no catchment, no source flow). See :func:`landuse.irrigation.size_scheme` for each
    figure's meaning and ``docs/irrigation.md`` for the method.
    """

    scheme_id: str
    name_en: str
    name_lo: str
    village_id: str | None
    lat_deg: float
    lon_deg: float
    elevation_m: float
    elevation_source: str
    area_ha: float
    area_source: str
    families: int
    families_source: str
    reference_area_ha: float | None
    reference_families: int | None
    efficiency: float
    operating_hours: float
    design_month: int
    design_window: str
    design_window_days: int
    design_decade: int
    design_nir_mm_day: float
    design_gir_mm_day: float
    design_duty_l_s_ha: float
    design_flow_l_s: float
    peak_decade_duty_l_s_ha: float
    monthly_max_month: int
    monthly_max_duty_l_s_ha: float
    catchment_area_km2: float | None
    catchment_source: str
    dependable_flow_l_s: float | None
    diversion_fraction: float
    divertible_flow_l_s: float | None
    servable_area_ha: float | None
    servable_families: int | None
    source_sufficient: bool | None
    deficit_months: str
    canal_bed_width_m: float
    canal_depth_m: float
    canal_freeboard_m: float
    canal_total_depth_m: float
    canal_side_slope: float
    canal_velocity_m_s: float
    canal_froude: float
    canal_ok: bool
    canal_issues: str
    wet_only_design_month: int | None
    wet_only_duty_l_s_ha: float | None
    wet_only_servable_area_ha: float | None
    wet_only_servable_families: int | None
