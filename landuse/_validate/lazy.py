"""Modules imported on first use (private).

``pd = lazy_module("pandas")`` at the top of a module gives a stand-in whose first
attribute access (``pd.DataFrame``) imports pandas; until then the import costs nothing.
pandas alone takes about 0.4 s to import, and commands such as ``landuse slope`` go through
:mod:`landuse.io` and :mod:`landuse._validate` without needing it.
"""

from __future__ import annotations

import importlib
import threading
import types
from typing import Any

_lock = threading.Lock()


class _LazyModule(types.ModuleType):
    """Stand-in for a module, imported on the first attribute access."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        with _lock:
            module = importlib.import_module(self.__name__)
            # later lookups find the names directly, as on the real module
            for key, value in vars(module).items():
                if not (key.startswith("__") and key.endswith("__")):
                    self.__dict__.setdefault(key, value)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


def lazy_module(name: str) -> Any:
    """The module *name*, imported on first use (or at once if it is imported already)."""
    import sys

    if name in sys.modules:
        return sys.modules[name]
    return _LazyModule(name)
