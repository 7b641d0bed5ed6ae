"""Allocate land: household entitlements (:mod:`landuse.allocation.quotas`), subdivision
of blocks into plots (:mod:`landuse.allocation.subdivision`) and the optimal, fair
assignment of plots to households (:mod:`landuse.allocation.optimise`).

The public names are listed in ``__init__.pyi`` and loaded on first use, so that importing
one capability does not import the others' heavy dependencies.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
