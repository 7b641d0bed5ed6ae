# The public face of this room: what `from landuse.schemes import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/schemes/__init__.py).
from .design import (
    OPTIONAL_KEYS as OPTIONAL_KEYS,
    REQUIRED_KEYS as REQUIRED_KEYS,
    SchemeResult as SchemeResult,
    SchemeSpec as SchemeSpec,
    SchemeSummary as SchemeSummary,
    command_area as command_area,
    parse_schemes as parse_schemes,
    read_schemes as read_schemes,
    scheme_layer as scheme_layer,
    schemes_from_dict as schemes_from_dict,
    design_sensitivity as design_sensitivity,
    size_scheme as size_scheme,
    size_schemes as size_schemes,
)

from .canal import (
    MANNING_N as MANNING_N,
    SOIL_CANAL_LIMITS as SOIL_CANAL_LIMITS,
    CanalDesign as CanalDesign,
    best_hydraulic_section as best_hydraulic_section,
    design_canal as design_canal,
    freeboard_m as freeboard_m,
    froude_number as froude_number,
    manning_flow_m3_s as manning_flow_m3_s,
    manning_normal_depth_m as manning_normal_depth_m,
    manning_velocity_m_s as manning_velocity_m_s,
    section_geometry as section_geometry,
)
