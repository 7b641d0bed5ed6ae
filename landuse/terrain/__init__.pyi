# The public face of this room: what `from landuse.terrain import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/terrain/__init__.py).
from .relief import (
    aspect as aspect,
    aspect_file as aspect_file,
    hillshade as hillshade,
    hillshade_file as hillshade_file,
    slope as slope,
    slope_file as slope_file,
    slope_pct_at as slope_pct_at,
)

from .hydrology import (
    FlowGrid as FlowGrid,
    catchment as catchment,
    fill_depressions as fill_depressions,
    flow_accumulation as flow_accumulation,
    flow_direction as flow_direction,
    snap_to_stream as snap_to_stream,
    stream_mask as stream_mask,
    streams as streams,
)
