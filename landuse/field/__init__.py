"""From the field to the village meeting (issue 19).

GPS boundary walks and survey exports in (:mod:`~landuse.field.walks`,
:mod:`~landuse.field.survey`); the inter-village boundary register
(:mod:`~landuse.field.boundaries`); boundary agreement and public-display sheets out
(:mod:`~landuse.field.sheets`).
"""

from landuse.field.boundaries import (
    CONFLICT_KINDS,
    REGISTER_COLUMNS,
    STATUSES,
    find_conflicts,
    set_status,
    shared_boundaries,
    update_register,
)
from landuse.field.survey import SurveyResult, load_mapping, parse_number, read_survey
from landuse.field.walks import (
    WalkResult,
    import_walks,
    read_walk,
    snap_neighbours,
    walk_to_polygon,
)

__all__ = [
    "CONFLICT_KINDS",
    "REGISTER_COLUMNS",
    "STATUSES",
    "SurveyResult",
    "WalkResult",
    "find_conflicts",
    "import_walks",
    "load_mapping",
    "parse_number",
    "read_survey",
    "read_walk",
    "set_status",
    "shared_boundaries",
    "snap_neighbours",
    "update_register",
    "walk_to_polygon",
]
