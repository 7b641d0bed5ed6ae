"""Status of the villages of a plan run (private; see :mod:`landuse.plan`): how a failure
is worded and recorded against its village.

Kept below the modules that write products (:mod:`landuse.plan._products`) and reports
(:mod:`landuse.plan._report`), which both record failures, so that neither imports the other
for it.
"""

from __future__ import annotations

import logging

from landuse.errors import LanduseError

__all__ = ["fail_village", "reason_of"]

log = logging.getLogger("landuse.plan")


def fail_village(status: dict[str, str], vid: str, reason: str) -> None:
    """Record *reason* as (one more) cause of failure of village *vid*.

    Parameters
    ----------
    status : dict
        village_id → ``"ok"`` or the reasons of its failure, changed in place.
    vid : str
        The village that failed.
    reason : str
        One line: the step and why (see :func:`reason_of`); joined to earlier reasons with ``"; "``.
    """
    old = status.get(vid, "ok")
    status[vid] = reason if old == "ok" else f"{old}; {reason}"
    log.error("village %s failed: %s", vid, reason)


def reason_of(exc: BaseException) -> str:
    """One line for a failure: the LanduseError message, or the exception type and message.

    Parameters
    ----------
    exc : BaseException
        The failure.

    Returns
    -------
    str
        The message of a :class:`~landuse.errors.LanduseError`; for an OSError its
        ``strerror`` and file; otherwise ``"TypeName: message"``.
    """
    if isinstance(exc, LanduseError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return f"{type(exc).__name__}: {exc}"
