"""landuse: village land-use planning and land allocation for the uplands of northern Laos.

The public names of every module listed in ``_MODULES`` (their ``__all__``) are
available from the top-level package, loaded on first use so that ``import landuse``
stays fast and does not import folium, matplotlib or the PDF stack.

>>> import landuse
>>> landuse.to_projected is landuse.crs.to_projected
True
"""

from __future__ import annotations

import importlib
import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Public modules whose ``__all__`` names are re-exported here.
_MODULES = (
    "errors", "crs", "raster", "io", "datasets", "check", "terrain", "parcels", "zoning", "allocation",
    "fallow", "irrigation", "maps", "certificates", "plan", "display",
)

_index: dict[str, str] | None = None


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for mod in _MODULES:
        try:
            module = importlib.import_module(f"landuse.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name == f"landuse.{mod}":
                continue
            raise
        for name in getattr(module, "__all__", ()):
            index.setdefault(name, mod)
    return index


def _version() -> str:
    # importlib.metadata takes ~40 ms to import: only when the version is asked for
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("landuse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


def __getattr__(name: str):
    global _index
    if name == "__version__":
        globals()["__version__"] = _version()
        return globals()["__version__"]
    if name in _MODULES:
        return importlib.import_module(f"landuse.{name}")
    if name.startswith("_"):
        # private submodules (``from landuse import _validate``) are imported by the import
        # system itself; never trigger the import of every public module for them
        raise AttributeError(f"module 'landuse' has no attribute {name!r}")
    if _index is None or name not in _index:
        # (re)build: a module imported half-way (import cycle) may have been missed before
        _index = _build_index()
    if name in _index:
        return getattr(importlib.import_module(f"landuse.{_index[name]}"), name)
    raise AttributeError(f"module 'landuse' has no attribute {name!r}")


def __dir__() -> list[str]:
    global _index
    if _index is None:
        _index = _build_index()
    return sorted(set(globals()) | set(_index) | set(_MODULES))
