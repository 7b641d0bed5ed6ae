"""numba, imported on the first call of a compiled function (private).

Importing numba costs about 0.3 s and loading a module's cached kernels another
0.1-0.4 s; a command that never calls a kernel (``landuse slope`` takes a numpy path, see
:mod:`landuse.terrain._horn`) should pay neither. A module writes::

    from landuse.terrain._jit import numba

    @numba.njit(cache=True)
    def _kernel(x): ...

and gets, in place of each dispatcher, a small stand-in. The first call of any stand-in
imports numba and compiles (or loads from the on-disk cache) *every* stand-in of that
module in the order they were defined, replacing the module's globals (the functions and
the name ``numba`` itself) with the real objects, so that compiled functions calling one
another (``inline="always"``, ``numba.prange``) see real dispatchers when numba types
them. After that the module runs exactly as if it had imported numba at the top.
"""

from __future__ import annotations

import functools
import importlib
import threading
from typing import Any

_lock = threading.RLock()


class _Deferred:
    """Stand-in for ``numba.njit(**options)(py_func)`` until the first call."""

    def __init__(self, py_func: Any, options: dict[str, Any]) -> None:
        self.py_func = py_func
        self.options = options
        functools.update_wrapper(self, py_func)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        real = materialise(self.py_func.__globals__)
        return real[self.py_func.__name__](*args, **kwargs)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<numba function {self.py_func.__qualname__}, not compiled yet>"


class _LazyNumba:
    """The ``numba`` name of a module until one of its kernels is called."""

    def njit(self, *args: Any, **options: Any) -> Any:
        """``numba.njit``, deferred: used as ``@numba.njit`` or ``@numba.njit(**options)``."""
        if args and callable(args[0]) and not options:
            return _Deferred(args[0], {})

        def decorate(py_func: Any) -> _Deferred:
            return _Deferred(py_func, options)

        return decorate

    def __getattr__(self, name: str) -> Any:
        # anything else (numba.prange used outside a kernel, numba.config...) is the real one
        return getattr(importlib.import_module("numba"), name)


numba = _LazyNumba()


def materialise(module_globals: dict[str, Any]) -> dict[str, Any]:
    """Compile every deferred kernel of the module whose globals are given; return them.

    Idempotent and thread-safe; the module's globals are updated in place.
    """
    with _lock:
        pending = [(name, value) for name, value in module_globals.items()
                   if isinstance(value, _Deferred) and value.py_func.__globals__ is module_globals]
        if not pending and not isinstance(module_globals.get("numba"), _LazyNumba):
            return module_globals
        real = importlib.import_module("numba")
        for name, value in module_globals.items():
            if isinstance(value, _LazyNumba):
                module_globals[name] = real
        for name, value in pending:  # definition order: callees before callers
            module_globals[name] = real.njit(**value.options)(value.py_func)
    return module_globals
