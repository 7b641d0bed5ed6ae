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
"""

from __future__ import annotations

from collections.abc import Sequence
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
