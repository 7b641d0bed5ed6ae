# The public face of this room: what `from landuse.allocation import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/allocation/__init__.py).
from .optimise import (
    LAND_TYPE_CODES as LAND_TYPE_CODES,
    ZONE_LAND_TYPES as ZONE_LAND_TYPES,
    AllocationMetrics as AllocationMetrics,
    AllocationResult as AllocationResult,
    allocate as allocate,
    equity as equity,
    gini as gini,
    greedy_baseline as greedy_baseline,
    zone_compatible as zone_compatible,
)

from .quotas import (
    DEFAULT_RULES_PATH as DEFAULT_RULES_PATH,
    EntitlementRules as EntitlementRules,
    PriorityGroup as PriorityGroup,
    entitlements as entitlements,
    exceedance as exceedance,
    implied_fallow_years as implied_fallow_years,
    labour_units_from_ages as labour_units_from_ages,
    load_entitlement_rules as load_entitlement_rules,
)

from .subdivision import (
    subdivide as subdivide,
)
