"""The per-sequence fallow-cycle kernel shared by the table and raster paths (private).

Both :func:`landuse.fallow.plot_summary` (plot histories) and
:func:`landuse.fallow.fallow_raster` (annual land-cover stacks) reduce every annual
status sequence with the same compiled function, so a plot and a pixel with the same
sequence give the same figures bit for bit.

Status codes along the time axis (one step = one year, contiguous years):

====  ===========  ==========================================================
code  name         meaning
====  ===========  ==========================================================
0     missing      no observation (absent plot-year, raster nodata)
1     cultivated   cropped that year
2     fallow       resting after cropping
3     other        forest or any other cover (see ``other_as``)
====  ===========  ==========================================================

Rules (documented in :mod:`landuse.fallow`):

* ``other`` counts as fallow when ``other_as_fallow`` is true (old fallow is often
  mapped as forest); otherwise it ends the rotation (a fallow run followed by
  ``other`` is censored) while still marking the next cultivation as a clearing.
* A run of missing years is filled with fallow only when the nearest observed years
  on both sides are fallow; any other missing run stays missing and censors the
  cycles it touches, like the start and end of the record.
* A clearing is a cultivated year whose previous year is observed and not
  cultivated. A cycle runs from one clearing to the next: ``C`` cultivated years then
  ``F`` fallow years; ``L = C + F``. A cycle whose start is not an observed clearing
  (record start or missing year before it) is left-censored; one not ended by the
  next clearing (record end, missing year, ``other`` in break mode) is right-censored.

Two implementations of these rules exist on purpose: :func:`cycles_of_sequences` lists
every cycle with the straightforward :func:`_prepare` + :func:`_scan` passes, while
:func:`reduce_sequences` streams each sequence once (:func:`_stream`, fewer
unpredictable branches, about 25 % faster). ``tests/test_fallow.py`` checks with
hypothesis that both give the same cycles, means, trends and R for random sequences.
Raw raster values are mapped to codes through a 256- or 65536-entry lookup table
while a chunk of 512 pixels is gathered into a contiguous (pixel, year) buffer.
"""

from __future__ import annotations

import math

from typing import Any

import numpy as np
from numba import njit

from landuse.errors import RasterError, SchemaError

MISSING, CULTIVATED, FALLOW, OTHER = 0, 1, 2, 3

#: Names of the per-sequence outputs, in the order of the kernel's first axis.
OUTPUTS = (
    "n_clearings",
    "n_cycles",
    "mean_fallow_years",
    "last_fallow_years",
    "mean_cropping_years",
    "mean_rotation_years",
    "current_fallow_age_years",
    "r_value_pct",
    "fallow_trend_years_per_decade",
    "mk_p_value",
    "shortening",
    "n_trend_spells",
)
N_OUT = len(OUTPUTS)


#: Identity lookup table for arrays that already hold status codes.
IDENTITY_LUT = np.full(256, 255, np.uint8)
IDENTITY_LUT[:4] = np.arange(4, dtype=np.uint8)
BAD = 255


@njit(cache=True, nogil=True)
def _prepare(row, other_as_fallow, seq):
    """Copy one sequence of status codes into *seq*, applying the ``other`` and
    missing-fill rules.

    Returns ``(first, last, n_known, n_cult, last_cult)``: the first and last known
    years, the number of known years (observed, or missing but filled as fallow), of
    cultivated years, and the last cultivated year (-1 if none), all as time indexes.
    """
    T = row.shape[0]
    first = -1
    last = -1
    n_known = 0
    n_cult = 0
    last_cult = -1
    n_missing = 0
    for t in range(T):
        v = row[t]
        if v == MISSING:
            n_missing += 1
        else:
            if v == OTHER and other_as_fallow:
                v = FALLOW
            elif v == CULTIVATED:
                n_cult += 1
                last_cult = t
            if first < 0:
                first = t
            last = t
            n_known += 1
        seq[t] = v
    if n_missing > 0 and n_known > 0:
        t = first + 1
        while t < last:
            if seq[t] == MISSING:
                a = t
                while seq[t] == MISSING:  # stops at `last`, which is known
                    t += 1
                # run a..t-1 is missing; fill only when both neighbours are fallow
                if seq[a - 1] == FALLOW and seq[t] == FALLOW:
                    for k in range(a, t):
                        seq[k] = FALLOW
                    n_known += t - a
            else:
                t += 1
    return first, last, n_known, n_cult, last_cult


#: Pixels gathered at a time into a small contiguous (pixel, year) buffer.
CHUNK = 512


@njit(cache=True, nogil=True)
def _gather(codes, lut, p0, n, blk, bad):
    """Map columns ``p0 .. p0 + n`` of a ``(T, N)`` array through *lut* into ``blk[:n]``.

    Reading whole rows keeps memory access contiguous; values the LUT does not know
    become missing and are counted in ``bad = [count, first pixel, first year]``.
    """
    T = codes.shape[0]
    for t in range(T):
        for i in range(n):
            v = lut[codes[t, p0 + i]]
            if v == BAD:
                if bad[0] == 0:
                    bad[1] = p0 + i
                    bad[2] = t
                bad[0] += 1
                v = MISSING
            blk[i, t] = v


@njit(cache=True, nogil=True)
def _scan(seq, starts, crop, fall, lcens, rcens):
    """Extract the cycles of a prepared sequence; return their number."""
    T = seq.shape[0]
    n = 0
    t = 0
    while t < T:
        if seq[t] == CULTIVATED:
            start = t
            left = t == 0 or seq[t - 1] == MISSING
            while t < T and seq[t] == CULTIVATED:
                t += 1
            c = t - start
            f0 = t
            while t < T and seq[t] == FALLOW:
                t += 1
            f = t - f0
            right = not (t < T and seq[t] == CULTIVATED)
            starts[n] = start
            crop[n] = c
            fall[n] = f
            lcens[n] = left
            rcens[n] = right
            n += 1
        else:
            t += 1
    return n


@njit(cache=True, nogil=True)
def _insertion_sort(a, n):
    """Sort ``a[:n]`` in place (n is small: a few cycles or their pairwise slopes)."""
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@njit(cache=True, nogil=True)
def _mk_pvalue_buf(x, n, buf):
    """Two-sided Mann-Kendall p-value with tie correction (Mann 1945; Kendall 1975).

    ``S = sum_{i<j} sgn(x_j - x_i)``; ``Var S = (n(n-1)(2n+5) - sum t(t-1)(2t+5)) / 18``
    over tie groups of size t; ``Z = (S - sgn S) / sqrt(Var S)``; ``p = erfc(|Z| / sqrt 2)``.
    *buf* is scratch space of at least *n* values.
    """
    s = 0.0
    for i in range(n - 1):
        xi = x[i]
        for j in range(i + 1, n):
            d = x[j] - xi
            if d > 0:
                s += 1.0
            elif d < 0:
                s -= 1.0
    var = n * (n - 1.0) * (2.0 * n + 5.0)
    for i in range(n):
        buf[i] = x[i]
    _insertion_sort(buf, n)
    i = 0
    while i < n:
        j = i + 1
        while j < n and buf[j] == buf[i]:
            j += 1
        t = j - i
        if t > 1:
            var -= t * (t - 1.0) * (2.0 * t + 5.0)
        i = j
    var /= 18.0
    if var <= 0.0:
        return 1.0
    if s > 0:
        z = (s - 1.0) / math.sqrt(var)
    elif s < 0:
        z = (s + 1.0) / math.sqrt(var)
    else:
        z = 0.0
    return math.erfc(abs(z) / math.sqrt(2.0))


@njit(cache=True, nogil=True)
def _mk_pvalue(x, n):
    """:func:`_mk_pvalue_buf` with its own scratch buffer."""
    return _mk_pvalue_buf(x, n, np.empty(max(n, 1), np.float64))


@njit(cache=True, nogil=True)
def _trend(xs, ys, n, buf, hist):
    """Theil-Sen slope [per step] and Mann-Kendall p-value of whole-number *ys* in one go.

    Theil-Sen (Theil 1950; Sen 1968): the median of the pairwise slopes (*xs* strictly
    increasing). Mann-Kendall as in :func:`_mk_pvalue_buf`: the sign of each pairwise
    difference gives ``S`` while the pair's slope is stored, and tie groups are counted
    with the histogram *hist* (left zeroed) since *ys* are fallow lengths (whole years,
    ``0 <= ys < hist.size``).
    """
    m = 0
    s = 0.0
    for i in range(n - 1):
        yi = ys[i]
        xi = xs[i]
        for j in range(i + 1, n):
            d = ys[j] - yi
            buf[m] = d / (xs[j] - xi)
            m += 1
            if d > 0:
                s += 1.0
            elif d < 0:
                s -= 1.0
    _insertion_sort(buf, m)
    h = m // 2
    slope = buf[h] if m % 2 == 1 else 0.5 * (buf[h - 1] + buf[h])
    var = n * (n - 1.0) * (2.0 * n + 5.0)
    for i in range(n):
        hist[int(ys[i])] += 1
    for i in range(n):
        k = int(ys[i])
        t = hist[k]
        if t > 1:
            var -= t * (t - 1.0) * (2.0 * t + 5.0)
        hist[k] = 0
    var /= 18.0
    if var <= 0.0:
        return slope, 1.0
    if s > 0:
        z = (s - 1.0) / math.sqrt(var)
    elif s < 0:
        z = (s + 1.0) / math.sqrt(var)
    else:
        z = 0.0
    return slope, math.erfc(abs(z) / math.sqrt(2.0))


@njit(cache=True, nogil=True)
def _stream(row, other_as_fallow, xs, ys, ls, xt, yt, et):
    """One pass over a sequence of status codes: the rules of :func:`_prepare` and
    :func:`_scan` applied on the fly, keeping only what the per-sequence figures need.

    A missing run is resolved when the next known year arrives (filled as fallow when
    both neighbours are fallow, else it interrupts the open cycle). Complete cycles
    (clearing known, ended by the next clearing) are stored as ``xs`` (clearing index),
    ``ys`` (fallow years) and ``ls`` (rotation years). Returns ``(first, last, n_known,
    n_cult, last_cult, n_clearings, n_complete, n_spells)``. Every fallow spell whose start
    is observed (it follows an observed cultivated year) is also stored as ``xt`` (index of
    its first fallow year), ``yt`` (fallow years observed) and ``et`` (1 when ended by a
    clearing, 0 when right-censored by the record end, a gap or ``other`` in break mode).
    Equivalent to :func:`_prepare` +
    :func:`_scan` (which :func:`cycles_of_sequences` uses, and the tests compare), but a
    single pass with fewer unpredictable branches.
    """
    T = row.shape[0]
    first = -1
    last = -1
    n_known = 0
    n_cult = 0
    last_cult = -1
    n_clear = 0
    m = 0
    pk = MISSING  # last known status (mapped)
    gap = 0  # missing years since the last known one
    is_open = False  # a cycle whose cultivation run started is still running
    left = True  # its clearing is not observed
    start = 0
    c_len = 0
    f_len = 0
    mt = 0
    for t in range(T):
        v = row[t]
        if v == MISSING:
            if first >= 0:
                gap += 1
            continue
        if v == OTHER and other_as_fallow:
            v = FALLOW
        if first < 0:
            first = t
        last = t
        n_known += 1
        ep = pk  # effective previous status
        if gap > 0:
            if pk == FALLOW and v == FALLOW:
                n_known += gap
                if is_open:
                    f_len += gap
            else:
                ep = MISSING
                if is_open and f_len > 0:  # interrupted: right-censored spell
                    xt[mt] = start + c_len
                    yt[mt] = f_len
                    et[mt] = 0.0
                    mt += 1
                is_open = False
            gap = 0
        if v == CULTIVATED:
            n_cult += 1
            last_cult = t
            if ep == CULTIVATED:
                c_len += 1
            else:
                if is_open and ep == FALLOW:
                    xt[mt] = start + c_len
                    yt[mt] = f_len
                    et[mt] = 1.0
                    mt += 1
                    if not left:
                        xs[m] = start
                        ys[m] = f_len
                        ls[m] = c_len + f_len
                        m += 1
                is_open = True
                left = ep == MISSING
                start = t
                c_len = 1
                f_len = 0
                if not left:
                    n_clear += 1
        elif v == FALLOW:
            if is_open:
                f_len += 1
        else:  # other, in break mode, ends the rotation
            if is_open and f_len > 0:
                xt[mt] = start + c_len
                yt[mt] = f_len
                et[mt] = 0.0
                mt += 1
            is_open = False
        pk = v
    if is_open and f_len > 0:  # open at the end of the record: right-censored
        xt[mt] = start + c_len
        yt[mt] = f_len
        et[mt] = 0.0
        mt += 1
    return first, last, n_known, n_cult, last_cult, n_clear, m, mt


@njit(cache=True, nogil=True)
def _reduce_one(row, out, p, other_as_fallow, alpha, horizon, min_effect, min_trend,
                xs, ys, ls, buf, hist, xt, yt, et):
    """Reduce one sequence of status codes into column *p* of *out* (see :data:`OUTPUTS`).

    The trend uses the fallow spells with equal follow-up (:func:`equal_followup`): each
    spell whose first fallow year lies at least *horizon* years before the end of the
    sequence's record, valued ``min(F, horizon)``. ``shortening`` is NaN with fewer than
    *min_trend* such spells, else 1 when the Mann-Kendall p-value is below *alpha* and
    the Theil-Sen slope is at most ``-min_effect`` years per decade, else 0.
    """
    nan = np.nan
    first, last, n_obs, n_cult, last_cult, n_clear, m, mt = _stream(
        row, other_as_fallow, xs, ys, ls, xt, yt, et)
    if n_obs == 0:
        for k in range(out.shape[0]):
            out[k, p] = nan
        return
    sum_f = 0.0
    sum_l = 0.0
    for i in range(m):
        sum_f += ys[i]
        sum_l += ls[i]
    sum_c = sum_l - sum_f
    last_f = ys[m - 1] if m > 0 else nan
    out[0, p] = n_clear
    out[1, p] = m
    if m > 0:
        out[2, p] = sum_f / m
        out[3, p] = last_f
        out[4, p] = sum_c / m
        out[5, p] = (sum_c + sum_f) / m
    else:
        out[2, p] = nan
        out[3, p] = nan
        out[4, p] = nan
        out[5, p] = nan
    out[6, p] = (last - last_cult) if last_cult >= 0 else nan
    out[7, p] = 100.0 * n_cult / n_obs
    n = equal_followup(xt, yt, et, mt, last, horizon)
    slope = nan
    pval = nan
    short = nan
    if n >= min_trend:
        slope, pval = _trend(xt, yt, n, buf, hist)
        slope *= 10.0
        short = 1.0 if (pval < alpha and slope <= -min_effect) else 0.0
    out[8, p] = slope
    out[9, p] = pval
    out[10, p] = short
    out[11, p] = n


@njit(cache=True, nogil=True)
def equal_followup(xt, yt, et, n, last, horizon):
    """Keep, in place, the spells followed for *horizon* years; return how many.

    A spell starting at index ``x`` is kept when ``x + horizon - 1 <= last`` (the record
    could show *horizon* fallow years) and its length is known up to the horizon (ended
    by a clearing, or at least *horizon* years long); its value becomes
    ``min(F, horizon)``. Every clearing period is then observed over the same horizon, so
    right-censoring by the record end cannot make late fallows look short. Spells cut
    earlier by a gap are left out.
    """
    k = 0
    for i in range(n):
        if xt[i] + horizon - 1 <= last and (et[i] > 0.5 or yt[i] >= horizon):
            xt[k] = xt[i]
            yt[k] = min(yt[i], horizon)
            et[k] = et[i]
            k += 1
    return k


@njit(cache=True, nogil=True)
def reduce_range(codes, lut, out, p_start, p_end, bad, other_as_fallow, alpha, horizon,
                 min_effect, min_trend):
    """Reduce columns ``p_start .. p_end`` of *codes* into *out* (thread-safe for disjoint
    ranges: the GIL is released)."""
    T = codes.shape[0]
    xs = np.empty(T, np.float64)
    ys = np.empty(T, np.float64)
    ls = np.empty(T, np.float64)
    xt = np.empty(T, np.float64)
    yt = np.empty(T, np.float64)
    et = np.empty(T, np.float64)
    buf = np.empty(max(1, T * T), np.float64)
    hist = np.zeros(T + 1, np.int64)
    blk = np.empty((CHUNK, T), np.uint8)
    for p0 in range(p_start, p_end, CHUNK):
        n = min(CHUNK, p_end - p0)
        _gather(codes, lut, p0, n, blk, bad)
        for i in range(n):
            _reduce_one(blk[i], out, p0 + i, other_as_fallow, alpha, horizon, min_effect,
                        min_trend, xs, ys, ls, buf, hist, xt, yt, et)


def reduce_sequences(codes, lut, other_as_fallow, alpha, horizon, min_effect, min_trend,
                     threads=1):
    """Reduce a ``(T, N)`` array (one sequence per column) to ``(N_OUT, N)`` float32.

    *codes* holds raw values mapped to status codes by *lut* (``lut[value]``; 255 marks a
    value that is not allowed). With ``threads > 1`` the columns are split into that many
    ranges reduced in parallel threads. Returns ``(out, n_bad_cells, first_bad_pixel,
    first_bad_year)``.
    """
    T, N = codes.shape
    out = np.empty((N_OUT, N), np.float32)
    args = (other_as_fallow, alpha, horizon, min_effect, min_trend)
    threads = max(1, min(int(threads), N // CHUNK))
    if threads == 1:
        bad = np.zeros(3, np.int64)
        reduce_range(codes, lut, out, 0, N, bad, *args)
        return out, int(bad[0]), int(bad[1]), int(bad[2])
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, N, threads + 1).astype(np.int64)
    bads = np.zeros((threads, 3), np.int64)
    with ThreadPoolExecutor(threads) as pool:
        futs = [pool.submit(reduce_range, codes, lut, out, int(edges[k]), int(edges[k + 1]),
                            bads[k], *args) for k in range(threads)]
        for f in futs:
            f.result()
    hit = np.flatnonzero(bads[:, 0])
    if hit.size:
        k = hit[0]
        return out, int(bads[:, 0].sum()), int(bads[k, 1]), int(bads[k, 2])
    return out, 0, -1, -1


@njit(cache=True, nogil=True)
def cycles_of_sequences(codes, other_as_fallow):
    """Return the cycles of every column of a ``(T, N)`` status-code array as flat arrays.

    Returns ``(seq_index, start_index, cropping, fallow, left_censored, right_censored)``.
    """
    T, N = codes.shape
    cap = N * (T // 2 + 1)
    r_seq = np.empty(cap, np.int64)
    r_start = np.empty(cap, np.int64)
    r_c = np.empty(cap, np.int64)
    r_f = np.empty(cap, np.int64)
    r_l = np.empty(cap, np.bool_)
    r_r = np.empty(cap, np.bool_)
    seq = np.empty(T, np.uint8)
    starts = np.empty(T, np.int64)
    crop = np.empty(T, np.int64)
    fall = np.empty(T, np.int64)
    lcens = np.empty(T, np.bool_)
    rcens = np.empty(T, np.bool_)
    row = np.empty(T, np.uint8)
    k = 0
    for p in range(N):
        for t in range(T):
            row[t] = codes[t, p]
        _prepare(row, other_as_fallow, seq)
        n = _scan(seq, starts, crop, fall, lcens, rcens)
        for i in range(n):
            r_seq[k] = p
            r_start[k] = starts[i]
            r_c[k] = crop[i]
            r_f[k] = fall[i]
            r_l[k] = lcens[i]
            r_r[k] = rcens[i]
            k += 1
    return r_seq[:k], r_start[:k], r_c[:k], r_f[:k], r_l[:k], r_r[:k]


@njit(cache=True)
def spells_of_sequences(codes, other_as_fallow):
    """Return every fallow run of every column of a ``(T, N)`` status-code array.

    A fallow run is a maximal run of fallow years after :func:`_prepare`. Returns
    ``(seq_index, start_index, length, ended_by_clearing, start_known, cropping,
    clearing_index)``: ``start_known`` when the year before the run is cultivated (else
    the fallow began before the record or a gap: its age is unknown); ``cropping`` is the
    length of that cultivated run and ``clearing_index`` its first year (-1 when the
    start is unknown); ``ended_by_clearing`` when the year after the run is cultivated
    (else right-censored by the record end, a gap or ``other`` in break mode).
    """
    T, N = codes.shape
    cap = N * (T // 2 + 1)
    r_seq = np.empty(cap, np.int64)
    r_start = np.empty(cap, np.int64)
    r_len = np.empty(cap, np.int64)
    r_ev = np.empty(cap, np.bool_)
    r_known = np.empty(cap, np.bool_)
    r_c = np.empty(cap, np.int64)
    r_clear = np.empty(cap, np.int64)
    seq = np.empty(T, np.uint8)
    row = np.empty(T, np.uint8)
    k = 0
    for p in range(N):
        for t in range(T):
            row[t] = codes[t, p]
        _prepare(row, other_as_fallow, seq)
        t = 0
        while t < T:
            if seq[t] != FALLOW:
                t += 1
                continue
            a = t
            while t < T and seq[t] == FALLOW:
                t += 1
            known = a > 0 and seq[a - 1] == CULTIVATED
            c = 0
            if known:
                j = a - 1
                while j >= 0 and seq[j] == CULTIVATED:
                    j -= 1
                c = a - 1 - j
            r_seq[k] = p
            r_start[k] = a
            r_len[k] = t - a
            r_ev[k] = t < T and seq[t] == CULTIVATED
            r_known[k] = known
            r_c[k] = c
            r_clear[k] = a - c if known else -1
            k += 1
    return (r_seq[:k], r_start[:k], r_len[:k], r_ev[:k], r_known[:k], r_c[:k],
            r_clear[:k])


def _block_kernel(codes: np.ndarray, lut: np.ndarray, *opts: Any,
                  sources: Any = None, row0: int = 0, threads: int = 1) -> np.ndarray:
    """Run the kernel on a ``(T, rows, cols)`` block; raise for values *lut* does not know."""
    T, rows, cols = codes.shape
    if codes.dtype not in (np.uint8, np.uint16) or (codes.dtype == np.uint16 and lut.size < 65536):
        if codes.size and (np.nanmin(codes) < 0 or np.nanmax(codes) > 3):
            raise SchemaError("status codes must be 0 (missing), 1 (cultivated), 2 (fallow) or "
                              "3 (other)", source="codes", hint="map class values first")
        codes = codes.astype(np.uint8)
    flat = np.ascontiguousarray(codes).reshape(T, rows * cols)
    other_as_fallow, alpha, horizon, min_effect, min_trend = opts
    out, n_bad, p, t = reduce_sequences(flat, lut, other_as_fallow, alpha, horizon, min_effect, min_trend,
                                        threads=threads)
    if n_bad:
        value = flat[t, p].item()
        where = f"row {row0 + p // cols}, column {p % cols}"
        if sources is None:
            raise SchemaError(f"status code {value!r} at year index {t}, {where} is not 0-3 "
                              f"({n_bad} such cells)", source="codes",
                              hint="use 0 missing, 1 cultivated, 2 fallow, 3 other")
        raise RasterError(
            f"class value {value!r} at {where} is not in the class mapping "
            f"({n_bad} cells in this window)",
            source=sources[t],
            hint="add the value to the classes (cultivated, fallow or other) or set it as the "
            "raster's nodata",
        )
    return out.reshape(len(OUTPUTS), rows, cols)
