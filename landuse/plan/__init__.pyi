# The public face of this room: what `from landuse.plan import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/plan/__init__.py).
from .planfile import (
    Plan as Plan,
    PlanOptions as PlanOptions,
    PlanRun as PlanRun,
    load_plan as load_plan,
    run_plan as run_plan,
)
