"""Check the data like a linter: every finding with a code, the file, the feature, the
column and the fix (:mod:`landuse.check.linter`), and the topology of parcels and
villages (:mod:`landuse.check.topology`).

The public names are listed in ``__init__.pyi`` and loaded on first use, so that importing
one capability does not import the others' heavy dependencies.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
