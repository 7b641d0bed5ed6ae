"""Running a plan's villages on a dask.distributed cluster of one or many machines.

``landuse run plan.toml --out run --scheduler tcp://host:8786`` sends every village
(zoning, allocation, fallow) as one task to the workers of an existing ``dask
scheduler``; the command's own process reads and checks the inputs, computes the
district terrain, writes every output and keeps the certificate register. The
workers need only the same ``landuse`` version (and its dependencies) installed: each
task carries its village's data (parcels, households, its window of the DEM, streams,
forest, rules), so the workers need no shared file system.

A cluster is started from the command line (see the README, "A national run")::

    dask scheduler --port 8786                       # on one machine
    dask worker tcp://HOST:8786 --nthreads 1         # on every machine, one per core

Villages are submitted largest first (by parcels x households, the size of the
allocation model), so that a long village is not left to run alone at the end.

The same client stays open for the whole run: the per-village outputs (certificate
PDFs, household sheets, print maps) are drawn on the workers too, each task returning
its files as bytes, which the command's process writes into its output folder (so the
workers need no shared file system here either). The register of certificates stays
in the command's process, in a fixed order.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import landuse
from landuse.errors import LanduseError


class ClusterError(LanduseError, RuntimeError):
    """The dask scheduler cannot be reached, has no workers, or its workers cannot run landuse."""


def connect(address: str, *, timeout_s: float = 20.0, workers_timeout_s: float = 60.0) -> Any:
    """A :class:`distributed.Client` connected to the scheduler at *address*, checked.

    Parameters
    ----------
    address : str
        ``tcp://host:port`` of a running ``dask scheduler``.
    timeout_s : float
        Time to wait for the connection [s].
    workers_timeout_s : float
        Time to wait for at least one worker to join [s].

    Raises
    ------
    ClusterError
        The scheduler does not answer, no worker joins, or a worker has no
        ``landuse`` or another version of it than this process.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - the dask extra is a dependency
        raise ClusterError(
            "dask.distributed is not installed", source=address, hint="pip install 'landuse[dask]'"
        ) from exc
    try:
        client = Client(address, timeout=f"{float(timeout_s)}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ClusterError(
            f"cannot connect to the dask scheduler at {address} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
            source=address,
            hint="start it with `dask scheduler` and give its address as tcp://HOST:PORT",
        ) from exc
    try:
        try:
            client.wait_for_workers(1, timeout=float(workers_timeout_s))
        except (TimeoutError, OSError) as exc:
            raise ClusterError(
                f"the dask scheduler at {address} has no workers after {workers_timeout_s:g} s",
                source=address,
                hint="start workers with `dask worker ADDRESS --nthreads 1`",
            ) from exc
        versions = client.run(_landuse_version)
        bad = {w: v for w, v in versions.items() if v != landuse.__version__}
        if bad:
            w, v = sorted(bad.items())[0]
            raise ClusterError(
                f"dask worker {w} has landuse {v}, this process {landuse.__version__} "
                f"({len(bad)} of {len(versions)} worker(s) differ)",
                source=address,
                hint="install the same landuse version on every worker machine",
            )
    except BaseException:
        client.close()
        raise
    return client


def _landuse_version() -> str:
    try:
        import landuse as worker_landuse  # deferred: runs on the worker, which may lack landuse
    except ImportError:
        return "not installed"
    return str(worker_landuse.__version__)


def largest_first(bundles: Sequence[Any]) -> list[Any]:
    """*bundles* ordered by decreasing allocation size (parcels x households), ties by id.

    Longest-processing-time-first list scheduling (Graham 1969) bounds the makespan on
    m workers by ``(4/3 - 1/(3m))`` times the optimum, against ``2 - 1/m`` for an
    arbitrary order.

    R. L. Graham, "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math.
    17(2), 416-429, 1969.
    """

    def size(vi: Any) -> int:
        return len(getattr(vi, "parcels", ())) * max(len(getattr(vi, "households", ())), 1)

    return sorted(bundles, key=lambda vi: (-size(vi), str(vi.village_id)))


@contextlib.contextmanager
def session(*, workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """The dask client of one run, closed (with its local cluster) at the end; None in-process.

    Parameters
    ----------
    workers : int, optional
        Worker processes of a ``LocalCluster`` started here (one thread each).
    scheduler : str, optional
        ``tcp://host:port`` of a running ``dask scheduler`` (:func:`connect`); wins
        over *workers*.

    Yields
    ------
    distributed.Client or None
        None when neither is given: the run stays in this process.
    """
    if not workers and not scheduler:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = connect(scheduler)
    else:
        cluster = LocalCluster(n_workers=int(workers or 1), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def captured(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, list[tuple[int, str, str]]]:
    """``fn(*args, **kwargs)`` and the warnings it gave, to run on a dask worker.

    Returns the result and ``(level, logger, message)`` of every record of a ``landuse``
    logger at WARNING or above that this call logged, and of every Python warning
    (as WARNING of ``landuse``): the command's process logs them again with
    :func:`replay`, so they reach its ``run.log`` as when the work runs there.
    """
    import warnings

    me = threading.get_ident()
    records: list[tuple[int, str, str]] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == me:  # a worker with more threads runs other tasks meanwhile
                records.append((record.levelno, record.name, record.getMessage()))

    handler = _Keep(logging.WARNING)
    logger = logging.getLogger("landuse")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            result = fn(*args, **kwargs)
        records += [(logging.WARNING, "landuse", f"{w.category.__name__}: {w.message}") for w in seen]
    finally:
        logger.removeHandler(handler)
    return result, records


def replay(records: Sequence[tuple[int, str, str]]) -> None:
    """Log again, in this process, the records :func:`captured` brought back from a worker."""
    for level, name, message in records:
        logging.getLogger(name).log(level, "%s", message)
