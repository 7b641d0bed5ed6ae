"""Fallow cycles of upland rotational farming: cycles and spells from plot histories and
annual rasters, the land a sustainable rotation needs, and the trend of fallow length
(:mod:`landuse.fallow.rotation`); simulated histories with known truth
(:mod:`landuse.fallow.sim`).

The public names are listed in ``__init__.pyi`` and loaded on first use, so that importing
one capability does not import the others' heavy dependencies.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
