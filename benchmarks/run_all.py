"""Run every benchmark of ``benchmarks/`` one after the other and say which failed.

Each ``bench_*.py`` is run as its own process with its default arguments (each prints
its figures and the ratio against its peer, measured in the same run); the figures to
keep go into ``benchmarks/README.md`` by hand, with the machine and its load.

Run: ``make bench`` or ``python benchmarks/run_all.py [NAME ...]`` where NAME selects
benchmarks by a part of their file name (``python benchmarks/run_all.py terrain maps``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only the benchmarks whose file name contains one of these")
    args = parser.parse_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [s for s in scripts if any(n in s.stem for n in args.names)]
        if not scripts:
            print(f"no benchmark matches {' '.join(args.names)}; there are: "
                  + ", ".join(s.stem for s in sorted(HERE.glob("bench_*.py"))), file=sys.stderr)
            return 2
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {script.name}: exit {code}, {time.perf_counter() - start:.0f} s ===", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"\n{len(failed)} of {len(scripts)} benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nall {len(scripts)} benchmarks ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
