"""The allocation's subproblem, its wall-clock guard and the HiGHS factory (private).

The bottom of the allocation room: :mod:`landuse.allocation._heuristic`,
:mod:`landuse.allocation._patterns` and :mod:`landuse.allocation._model` all build on
these pieces and import them from here.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass

import numpy as np

_banner_lock = threading.Lock()
_banner_done = False


@contextlib.contextmanager
def _quiet_fd():
    """Silence HiGHS's one-time banner, which it prints to the C-level stdout."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            yield
            return
        try:
            fd = os.dup(1)
        except OSError:  # pragma: no cover - no fd 1 (embedded interpreters)
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(fd, 1)
            os.close(fd)
            os.close(devnull)
            _banner_done = True


#: Safety net: the wall-clock limit of any step is this many times its effort budget
#: (converted to seconds on the reference machine). Only a machine this much
#: slower than the reference (or this busy) hits it; the result is then flagged
#: ``deterministic=False``.
SAFETY_FACTOR = 10.0
#: Extra seconds of safety-net wall time on top of ``SAFETY_FACTOR x budget``.
SAFETY_MIN_S = 5.0
class Guard:
    """Wall-clock safety net of one subproblem; records whether it fired.

    Every loop is bounded by counts (moves, bisection steps, passes) and every
    HiGHS stage by a node limit, so the result does not depend on the machine's
    speed or load. The guard only stops a step that runs *SAFETY_FACTOR* times
    longer than its budget assumes; then ``fired`` is True and the result may
    differ between runs.
    """

    def __init__(self, budget_s: float):
        self.budget_s = float(budget_s)
        self.deadline = time.perf_counter() + SAFETY_FACTOR * self.budget_s + SAFETY_MIN_S
        self.fired = False

    def expired(self) -> bool:
        if not self.fired and time.perf_counter() > self.deadline:
            self.fired = True
        return self.fired

    def left_s(self) -> float:
        return max(self.deadline - time.perf_counter(), 0.05)


def new_highs(*, time_limit_s: float, mip_gap: float):
    """A silent, single-threaded, seeded HiGHS instance.

    *time_limit_s* is the safety net only; stages stop at their node limit. The
    primal heuristics of HiGHS are off (the model is started from our heuristic
    solution): they made the root node six times slower on the demo without a
    better incumbent, and the root is the part no node limit bounds.
    """
    import highspy

    with _quiet_fd():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.05)))
    h.setOptionValue("mip_heuristic_effort", 0.0)
    for name in ("mip_heuristic_run_feasibility_jump", "mip_heuristic_run_rins", "mip_heuristic_run_rens",
                 "mip_heuristic_run_root_reduced_cost"):
        h.setOptionValue(name, False)
    return h


@dataclass
class Subproblem:
    """One village and land type (arrays indexed by household / parcel / pair)."""

    village_id: str
    land_type: str
    household_ids: np.ndarray  # (nh,)
    entitled: np.ndarray  # E_h - K_h, remaining entitlement [ha] (may be <= 0)
    entitled_full: np.ndarray  # E_h [ha]
    cap: np.ndarray  # C_h - K_h [ha]
    plots: np.ndarray  # N_h - k_h [-]
    weight: np.ndarray  # w_h [-]
    parcel_ids: np.ndarray  # (np,)
    area: np.ndarray  # a_p [ha]
    pair_h: np.ndarray  # (m,) household index of pair
    pair_p: np.ndarray  # (m,) parcel index of pair
    pair_d: np.ndarray  # (m,) distance [m]

    @property
    def n_pairs(self) -> int:
        return len(self.pair_h)


def _relative_shortfall(sp: Subproblem, assign: np.ndarray) -> np.ndarray:
    got = np.zeros(len(sp.household_ids))
    mask = assign >= 0
    np.add.at(got, assign[mask], sp.area[mask])
    short = np.maximum(sp.entitled - got, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(sp.entitled_full > 0, sp.weight * short / sp.entitled_full, 0.0)
    return rel
