# The public face of this room: what `from landuse.maps import ...` gives.
# Read at import time by lazy_loader.attach_stub (landuse/maps/__init__.py).
from .web import (
    STYLES as STYLES,
    interactive_map as interactive_map,
    map_columns as map_columns,
    map_layer_data as map_layer_data,
    neighbour_colouring as neighbour_colouring,
    parcel_sketch as parcel_sketch,
    parcel_vertices as parcel_vertices,
    plan_map as plan_map,
    render_html as render_html,
    save_figure as save_figure,
    save_html as save_html,
)
