# The public face of this room: what `from landuse.check import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/check/__init__.py).
from ._base import near_id as near_id

from .linter import (
    CODES as CODES,
    SEVERITIES as SEVERITIES,
    check_files as check_files,
    check_inputs as check_inputs,
)

from .topology import (
    SIDES as SIDES,
    adjacency as adjacency,
    gaps as gaps,
    neighbours as neighbours,
    outside_village as outside_village,
    overlaps as overlaps,
)

from .mapping import (
    InputMapping as InputMapping,
    draft_mapping as draft_mapping,
    read_mapping as read_mapping,
)

from .summary import group_findings as group_findings
