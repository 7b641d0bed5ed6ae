"""Irrigation: crop water and paddy schemes.

FAO-56 reference evapotranspiration, the paddy water balance, irrigation requirement
and duty (:mod:`landuse.irrigation.requirement`); scheme files, command area, catchment
low flow and the sizing of a scheme (:mod:`landuse.irrigation.schemes`); canals by
Manning's equation (:mod:`landuse.irrigation.canal`).

The public names are listed in ``__init__.pyi`` and loaded on first use, so that importing
one capability does not import the others' heavy dependencies.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
