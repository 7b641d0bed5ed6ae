"""Windowed (and dask) processing of annual land-cover stacks for :mod:`landuse.fallow` (private).

A stack is resolved into one source per contiguous year (a file and band, or nothing
for a year absent from the stack), read window by window, mapped from class values
to status codes (0 missing, 1 cultivated, 2 fallow, 3 other), reduced with the
shared kernel and written window by window into float32 GeoTIFFs through
:func:`landuse.io.atomic_output`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from landuse.fallow._kernel import CULTIVATED, FALLOW, IDENTITY_LUT, MISSING, OTHER, OUTPUTS, _block_kernel
from landuse.errors import DataReadError, OutputExistsError, RasterError, SchemaError
from landuse.io import atomic_output

_STATUS = {"cultivated": CULTIVATED, "fallow": FALLOW, "other": OTHER,
           "cropped": CULTIVATED, "forest": OTHER}
_YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
_TARGET_BYTES = 64 * 2**20


@dataclass(frozen=True)
class StackSpec:
    """Resolved stack: one ``(path, band)`` or ``None`` per contiguous year."""

    sources: tuple[tuple[str, int] | None, ...]
    years: tuple[int, ...]
    width: int
    height: int
    transform: Any
    crs: Any
    nodata: tuple[float | None, ...]  # per source (None for absent years)
    dtype: str


def class_table(classes: Mapping[Any, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted ``(values, codes)`` from a value->status or status->values mapping."""
    if not isinstance(classes, Mapping) or not classes:
        raise SchemaError("classes must be a non-empty mapping", source="classes",
                          hint="e.g. {1: 'cultivated', 2: 'fallow', 3: 'other'} or "
                          "{'cultivated': [1], 'fallow': [2], 'other': [3, 4]}")
    pairs: dict[float, int] = {}
    keys = [str(k).strip().lower() for k in classes]
    reverse = all(k in _STATUS for k in keys)
    items = ([(v, k) for k, vals in classes.items() for v in
              (vals if isinstance(vals, (list, tuple, set)) else [vals])]
             if reverse else list(classes.items()))
    for value, status in items:
        st = str(status).strip().lower()
        if st not in _STATUS:
            raise SchemaError(f"class value {value!r} maps to unknown status {status!r}",
                              source="classes", feature_id=value,
                              hint="use cultivated, fallow or other")
        try:
            fv = float(value)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"class value {value!r} is not a number", source="classes",
                              hint="raster class values are numbers, e.g. 1, 2, 3") from exc
        if fv in pairs and pairs[fv] != _STATUS[st]:
            raise SchemaError(f"class value {value!r} is mapped to two statuses",
                              source="classes", feature_id=value, hint="map it once")
        pairs[fv] = _STATUS[st]
    vals = np.array(sorted(pairs), dtype=float)
    codes = np.array([pairs[v] for v in vals], dtype=np.uint8)
    return vals, codes


def map_codes(arr: np.ndarray, nodata: float | None, table: tuple[np.ndarray, np.ndarray],
              source: str) -> np.ndarray:
    """Map raw class values to status codes; nodata (and NaN) -> 0; unknown values raise."""
    vals, codes = table
    miss = np.zeros(arr.shape, bool)
    if np.issubdtype(arr.dtype, np.floating):
        miss |= np.isnan(arr)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        miss |= arr == nodata
    if arr.dtype in (np.uint8, np.uint16) or (arr.dtype.kind in "iu" and arr.itemsize <= 2):
        off = 0 if arr.dtype.kind == "u" else 32768
        size = 256 if arr.dtype == np.uint8 else 65536
        lut = np.full(size, 255, np.uint8)
        ok = (vals == np.round(vals)) & (vals + off >= 0) & (vals + off < size)
        lut[(vals[ok] + off).astype(np.int64)] = codes[ok]
        out = lut[arr.astype(np.int64) + off] if off else lut[arr]
    else:
        idx = np.clip(np.searchsorted(vals, arr), 0, len(vals) - 1)
        hit = vals[idx] == arr
        out = np.where(hit, codes[idx], np.uint8(255)).astype(np.uint8)
    out[miss] = MISSING
    bad = out == 255
    if bad.any():
        raise RasterError(
            f"class value {arr[bad].flat[0].item()!r} is not in the class mapping "
            f"({int(bad.sum())} cells in this window)",
            source=source,
            hint="add the value to the classes (cultivated, fallow or other) or set it as "
            "the raster's nodata",
        )
    return out


def _year_of(path: Path) -> int | None:
    found = _YEAR_RE.findall(path.stem)
    return int(found[-1]) if found else None


def resolve(stack: Any, years: Any = None) -> StackSpec:
    """Resolve a stack given as one multi-band file or a list of single-band files."""
    import rasterio

    paths = [Path(stack)] if isinstance(stack, (str, os.PathLike)) else [Path(p) for p in stack]
    if not paths:
        raise RasterError("the stack is empty", source="stack", hint="give one file per year")
    for p in paths:
        if not p.exists():
            raise DataReadError("the raster file does not exist", source=str(p),
                                hint="check the path")
    entries: list[tuple[int | None, str, int]] = []
    grid = None
    nodatas: dict[tuple[str, int], float | None] = {}
    dtype = None
    for p in paths:
        try:
            ds = rasterio.open(p)
        except Exception as exc:
            raise DataReadError(f"cannot read the raster ({exc})", source=str(p),
                                hint="the file may be truncated or not a raster") from exc
        with ds:
            g = (ds.width, ds.height, ds.transform, ds.crs)
            if grid is None:
                grid, dtype = g, ds.dtypes[0]
            elif (g[0], g[1]) != (grid[0], grid[1]) or not g[2].almost_equals(grid[2]) or (
                    g[3] != grid[3]):
                raise RasterError(
                    f"the raster's grid ({g[0]} x {g[1]}, {g[2][:6]}, {g[3]}) differs from "
                    f"the first file's ({grid[0]} x {grid[1]}, {grid[2][:6]}, {grid[3]})",
                    source=str(p), hint="warp all years onto one grid (gdalwarp -tap -tr ...)")
            if len(paths) == 1 and ds.count > 1:
                for b in range(1, ds.count + 1):
                    desc = ds.descriptions[b - 1]
                    y = int(desc) if desc and str(desc).strip().isdigit() else None
                    entries.append((y, str(p), b))
                    nodatas[(str(p), b)] = ds.nodatavals[b - 1]
            else:
                if ds.count != 1:
                    raise RasterError(f"expected one band per yearly file, found {ds.count}",
                                      source=str(p), hint="give one multi-band file or "
                                      "single-band files")
                entries.append((_year_of(p), str(p), 1))
                nodatas[(str(p), 1)] = ds.nodata
    if years is not None:
        years = [int(y) for y in years]
        if len(years) != len(entries):
            raise RasterError(f"{len(years)} years given for {len(entries)} bands/files",
                              source="stack", hint="give one year per file or band")
        entries = [(y, p, b) for y, (_, p, b) in zip(years, entries, strict=True)]
    if any(y is None for y, _, _ in entries):
        bad = next(e for e in entries if e[0] is None)
        raise RasterError(
            f"no year for {Path(bad[1]).name} band {bad[2]}",
            source=bad[1],
            hint="put the year in the file names (landcover_2005.tif), set the band "
            "descriptions to years, or pass years=[...]")
    ys = [int(y) for y, _, _ in entries]  # type: ignore[arg-type]
    if len(set(ys)) != len(ys):
        dup = next(y for y in ys if ys.count(y) > 1)
        raise RasterError(f"year {dup} appears twice in the stack", source="stack",
                          hint="give one raster per year")
    by_year = {int(y): (p, b) for y, p, b in entries}  # type: ignore[arg-type]
    all_years = tuple(range(min(ys), max(ys) + 1))
    sources = tuple(by_year.get(y) for y in all_years)
    assert grid is not None
    return StackSpec(sources, all_years, grid[0], grid[1], grid[2], grid[3],
                     tuple(nodatas[s] if s else None for s in sources), str(dtype))


def raw_lut(spec: StackSpec,
            table: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, int] | None:
    """A lookup table raw value -> status code for 8/16-bit unsigned stacks, and the filler
    value used for years absent from the stack; ``None`` when values must be mapped first."""
    if spec.dtype not in ("uint8", "uint16"):
        return None
    nodatas = {nd for nd, src in zip(spec.nodata, spec.sources, strict=True) if src is not None}
    if len(nodatas) > 1:
        return None
    size = 256 if spec.dtype == "uint8" else 65536
    vals, codes = table
    lut = np.full(size, 255, np.uint8)
    ok = (vals == np.round(vals)) & (vals >= 0) & (vals < size)
    lut[vals[ok].astype(np.int64)] = codes[ok]
    (nodata,) = nodatas
    usable = nodata is not None and not np.isnan(nodata)
    if usable and nodata is not None and 0 <= nodata < size and nodata == int(nodata):
        lut[int(nodata)] = MISSING
    free = np.flatnonzero(lut == 255)
    if any(s is None for s in spec.sources):
        if nodata is not None and not np.isnan(nodata) and 0 <= nodata < size:
            filler = int(nodata)
        elif free.size:
            filler = int(free[0])
            lut[filler] = MISSING
        else:  # every value is a class: no room for a filler
            return None
    else:
        filler = 0
    return lut, filler


def read_window(spec: StackSpec, table: tuple[np.ndarray, np.ndarray], row0: int, nrows: int,
                datasets: dict[str, Any] | None = None,
                plan: tuple[np.ndarray, int] | None | str = "auto",
                ) -> tuple[np.ndarray, np.ndarray]:
    """Read rows ``row0 .. row0 + nrows`` of every year.

    Returns ``(values, lut)``: raw values with their lookup table (8/16-bit stacks) or
    status codes with the identity table.
    """
    import rasterio
    from rasterio.windows import Window

    if isinstance(plan, str):
        plan = raw_lut(spec, table)
    win = Window(0, row0, spec.width, nrows)
    T = len(spec.sources)
    if plan is not None:
        lut, filler = plan
        out = np.empty((T, nrows, spec.width), spec.dtype)
    else:
        out = np.zeros((T, nrows, spec.width), np.uint8)
    with contextlib.ExitStack() as es:
        opened = datasets if datasets is not None else {}
        for t, src in enumerate(spec.sources):
            if src is None:
                if plan is not None:
                    out[t] = filler
                continue
            path, band = src
            ds = opened.get(path)
            if ds is None:
                ds = es.enter_context(rasterio.open(path))
                opened[path] = ds
            if plan is not None:
                ds.read(band, window=win, out=out[t])
            else:
                raw = ds.read(band, window=win)
                out[t] = map_codes(raw, spec.nodata[t], table, f"{Path(path).name} band {band}")
        if datasets is None:
            opened.clear()
    return out, (lut if plan is not None else IDENTITY_LUT)


def _source_names(spec: StackSpec) -> list[str]:
    return [f"{Path(s[0]).name} band {s[1]}" if s else "absent year" for s in spec.sources]


def _windows(spec: StackSpec, block_rows: int | None) -> list[tuple[int, int]]:
    if block_rows is None:
        per_row = max(1, len(spec.sources) * spec.width)
        block_rows = max(256, (_TARGET_BYTES // per_row) // 256 * 256)
    block_rows = int(block_rows)
    if block_rows < 1:
        raise SchemaError(f"block_rows={block_rows} must be >= 1", hint="e.g. 256")
    return [(r, min(block_rows, spec.height - r)) for r in range(0, spec.height, block_rows)]


def _process(spec: StackSpec, table: Any, plan: Any, row0: int, nrows: int,
             opts: Sequence[Any]) -> np.ndarray:
    """Read and reduce one window (a dask task)."""

    values, lut = read_window(spec, table, row0, nrows, plan=plan)
    return _block_kernel(values, lut, *opts, sources=_source_names(spec), row0=row0)


_ZSTD: bool | None = None


def _zstd_available() -> bool:
    """True when GDAL can write ZSTD-compressed GeoTIFFs (checked once, in memory)."""
    global _ZSTD
    if _ZSTD is None:
        from rasterio.io import MemoryFile
        from affine import Affine

        try:
            with MemoryFile() as mem, mem.open(driver="GTiff", width=1, height=1, count=1,
                                              dtype="float32", compress="zstd",
                                              transform=Affine(1, 0, 0, 0, -1, 1)) as ds:
                ds.write(np.zeros((1, 1, 1), np.float32))
            _ZSTD = True
        except Exception:  # noqa: BLE001 - any failure means: not available
            _ZSTD = False
    return _ZSTD


def run(stack: Any, *, classes: Mapping[Any, Any], out_dir: Any, years: Any, use_dask: bool,
        overwrite: bool, block_rows: int | None, opts: Sequence[Any],
        threads: int | None = None) -> dict[str, Path]:
    """Resolve, process and write; see :func:`landuse.fallow.fallow_raster`."""
    import rasterio

    spec = resolve(stack, years)
    table = class_table(classes)
    plan = raw_lut(spec, table)
    windows = _windows(spec, block_rows)
    out_dir = Path(out_dir)
    paths = {name: out_dir / f"{name}.tif" for name in OUTPUTS}
    for p in paths.values():  # fail before any work
        if p.exists() and not overwrite:
            raise OutputExistsError("the output exists already", source=str(p),
                                    hint="choose another folder or pass overwrite=True "
                                    "(--overwrite)")
    profile: dict[str, Any] = {
        "driver": "GTiff", "width": spec.width, "height": spec.height, "count": 1,
        "dtype": "float32", "transform": spec.transform, "crs": spec.crs, "nodata": np.nan,
        "predictor": 3,
    }
    profile.update({"compress": "zstd", "zstd_level": 1} if _zstd_available()
                   else {"compress": "deflate", "zlevel": 1})
    if spec.width >= 256 and spec.height >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    names = _source_names(spec)
    # a small GDAL block cache keeps memory bounded: every tile is written once
    with rasterio.Env(GDAL_CACHEMAX=128), contextlib.ExitStack() as es:
        tmps = {n: es.enter_context(atomic_output(p, overwrite=overwrite))
                for n, p in paths.items()}
        dsts = {n: es.enter_context(rasterio.open(t, "w", **profile)) for n, t in tmps.items()}
        for name, dst in dsts.items():
            dst.set_band_description(1, name)
            dst.update_tags(years=f"{spec.years[0]}-{spec.years[-1]}", software="landuse.fallow")

        def write(row0: int, nrows: int, res: np.ndarray) -> None:
            from rasterio.windows import Window

            win = Window(0, row0, spec.width, nrows)
            for k, name in enumerate(OUTPUTS):
                dsts[name].write(res[k], 1, window=win)

        if use_dask:
            _run_dask(spec, table, plan, windows, opts, write)
        else:
            _run_threads(spec, table, plan, windows, opts, write, names,
                         threads=threads or os.cpu_count() or 1)
        for dst in dsts.values():
            dst.close()
    return paths


def _run_threads(spec: StackSpec, table: Any, plan: Any, windows: list[tuple[int, int]],
                 opts: Sequence[Any], write: Any, names: list[str], threads: int) -> None:
    """Read the next window and write the previous one while the kernel runs.

    One reader thread owns the input datasets and one writer thread the outputs; GDAL
    and the (nogil) kernel release the GIL, so reading, computing and writing overlap;
    the kernel itself splits each window over *threads* threads.
    At most two windows are in flight, so memory stays bounded.
    """
    from concurrent.futures import ThreadPoolExecutor

    import rasterio

    with contextlib.ExitStack() as inputs, ThreadPoolExecutor(1) as reader, \
            ThreadPoolExecutor(1) as writer:
        opened: dict[str, Any] = {}
        for src in spec.sources:
            if src is not None and src[0] not in opened:
                opened[src[0]] = inputs.enter_context(rasterio.open(src[0]))

        def read(w: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
            return read_window(spec, table, w[0], w[1], datasets=opened, plan=plan)

        pending_write = None
        nxt = reader.submit(read, windows[0]) if windows else None
        for i, (row0, nrows) in enumerate(windows):
            assert nxt is not None  # submitted for every window
            values, lut = nxt.result()
            nxt = reader.submit(read, windows[i + 1]) if i + 1 < len(windows) else None
            res = _block_kernel(values, lut, *opts, sources=names, row0=row0, threads=threads)
            del values
            if pending_write is not None:
                pending_write.result()
            pending_write = writer.submit(write, row0, nrows, res)
        if pending_write is not None:
            pending_write.result()


def _run_dask(spec: StackSpec, table: Any, plan: Any, windows: list[tuple[int, int]],
              opts: Sequence[Any], write: Any) -> None:
    """Run the windows as dask tasks (read + kernel each) and write the results.

    With a ``dask.distributed`` client, a sliding set of ``workers + 1`` futures is kept
    in flight and every result is written as soon as it arrives, then released, so the
    client holds a bounded number of windows whatever the stack size. Otherwise
    (threads, processes or synchronous scheduler) windows are computed in batches.
    """
    import dask

    opts = tuple(opts)
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if client is None:
        batch = max(2, os.cpu_count() or 2)
        for i in range(0, len(windows), batch):
            chunk = windows[i:i + batch]
            tasks = [dask.delayed(_process)(spec, table, plan, r0, n, opts) for r0, n in chunk]
            for (r0, n), arr in zip(chunk, dask.compute(*tasks), strict=True):
                write(r0, n, arr)
        return
    from distributed import as_completed

    in_flight = len(client.scheduler_info()["workers"]) + 1
    queue = list(windows)
    futures: dict[Any, tuple[int, int]] = {}

    def submit(w: tuple[int, int]) -> Any:
        fut = client.submit(_process, spec, table, plan, w[0], w[1], opts, pure=False)
        futures[fut] = w
        return fut

    done = as_completed([submit(w) for w in queue[:in_flight]])
    queue = queue[in_flight:]
    for fut in done:
        r0, n = futures.pop(fut)
        arr = fut.result()
        fut.release()
        write(r0, n, arr)
        del arr
        if queue:
            done.add(submit(queue.pop(0)))
