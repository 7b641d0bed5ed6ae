# The public face of this room: what `from landuse.plan import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/plan/__init__.py).
from ._folder import (
    MANIFEST as MANIFEST,
    environment_error as environment_error,
    os_error_text as os_error_text,
    output_folder as output_folder,
    sha256_file as sha256_file,
)

from .planfile import (
    Plan as Plan,
    PlanOptions as PlanOptions,
    PlanRun as PlanRun,
    load_plan as load_plan,
    run_plan as run_plan,
)
