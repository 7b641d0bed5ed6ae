"""Terrain: slope, aspect and hillshade of a DEM (:mod:`landuse.terrain.relief`), and flow,
streams and catchments (:mod:`landuse.terrain.hydrology`).

The public names are listed in ``__init__.pyi`` and loaded on first use, so that importing
one capability does not import the others' heavy dependencies.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
