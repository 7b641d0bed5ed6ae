# The public face of this room: what `from landuse.zoning import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/zoning/__init__.py).
from .zones import (
    SUITABILITY_CLASSES as SUITABILITY_CLASSES,
    Rule as Rule,
    RuleSet as RuleSet,
    SuitabilityLimits as SuitabilityLimits,
    Zone as Zone,
    ZoningResult as ZoningResult,
    conflict_report as conflict_report,
    load_rules as load_rules,
    parcel_suitability as parcel_suitability,
    parcel_zones as parcel_zones,
    slope_classes as slope_classes,
    suitability as suitability,
    zone_table as zone_table,
    zone_villages as zone_villages,
)
