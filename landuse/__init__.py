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
import re
import sys
from typing import Any

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Name of the logger that carries progress records (:func:`report_progress`).
PROGRESS_LOGGER = "landuse.progress"

_progress_log = logging.getLogger(PROGRESS_LOGGER)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

#: Public modules whose ``__all__`` names are re-exported here.
_MODULES = (
    "errors", "crs", "raster", "io", "datasets", "check", "terrain", "parcels", "zoning", "allocation",
    "fallow", "irrigation", "maps", "certificates", "plan",
)

_index: dict[str, str] | None = None


# -- progress lines (here, not in a room: every room reports, and the CLI shows them before
# -- any heavy import) ------------------------------------------------------------------
def report_progress(what: str, i: int, n: int, item: Any = None) -> None:
    """Log one step of a long task on the ``landuse.progress`` logger (INFO): ``what i/n: item``.

    Long steps call it: the allocation per subproblem, the plan run per stage and per
    village, certificates every 50 files, flow directions per stage on big rasters. The
    lines hold no timings, so a log of them is the same for the same inputs. Nothing
    shows unless asked: :func:`show_progress` (the CLI calls it unless ``--quiet``) or
    :mod:`logging` configured at INFO.

    Parameters
    ----------
    what : str
        The step, e.g. ``"allocation: solving"``.
    i, n : int
        This step's number (1-based) and the number of steps.
    item : object, optional
        What the step works on (a village id, ...); control characters are replaced by
        spaces, so that a hostile id cannot forge log lines.
    """
    if not _progress_log.isEnabledFor(logging.INFO):
        return
    tail = "" if item is None else ": " + _CONTROL.sub(" ", str(item))[:200]
    _progress_log.info("%s %d/%d%s", what, i, n, tail, extra={"progress": (int(i), int(n))})


class _StderrHandler(logging.StreamHandler):
    """Writes to the ``sys.stderr`` of the moment (a CLI runner or a notebook swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def show_progress(enable: bool = True) -> None:
    """Show (or hide again) the progress lines of long steps on stderr.

    Adds one handler to the ``landuse.progress`` logger (never two) and sets it to INFO;
    the records then stop at that logger, so a root handler does not print them again and
    a run log (``run.log``) does not hold them. ``show_progress(False)`` undoes it. In
    Jupyter the lines appear under the cell; the ``landuse`` commands call it unless
    ``--quiet``.

    Examples
    --------
    >>> import landuse
    >>> landuse.show_progress()
    >>> landuse.show_progress(False)
    """
    for h in [h for h in _progress_log.handlers if isinstance(h, _StderrHandler)]:
        _progress_log.removeHandler(h)
    if enable:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        _progress_log.addHandler(handler)
        _progress_log.setLevel(logging.INFO)
        _progress_log.propagate = False
    else:
        _progress_log.setLevel(logging.NOTSET)
        _progress_log.propagate = True


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
