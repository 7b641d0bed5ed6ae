"""Measure the layout of the ``landuse`` package from its own source (no import of it).

Prints the measures that issue 17 states for the regrouping:

* entries at the top of ``landuse/`` (files and folders, ``__pycache__`` left out);
* import cycles between modules (strongly connected components of the graph of
  every import of the package's own modules, module-level and function-local);
* imports of the package's own modules inside functions, outside ``landuse/cli``
  (each one should defer a heavy optional dependency and say so in a comment on its
  line or the line above; those without a comment are counted apart);
* private names imported across rooms: ``from landuse.<room>... import _name`` or
  any import of a ``_module`` of another room (a room is a top-level entry of
  ``landuse/``; the flat foundations ``errors``, ``crs``, ``raster``, ``io`` and
  ``_validate`` are rooms of their own, and importing ``landuse._validate`` is allowed);
* functions and methods longer than 120 lines, not counting their docstring (a
  pvlib-style docstring with equations, units and references is not code to read);
* public functions (module level, in a public module, no leading underscore) with more
  than 4 positional parameters: options are keyword-only (ruff's PLR0917 cannot tell
  public functions from private helpers, so the rule is measured here).

Run: ``python tools/layout.py [--list]`` from the repository root.
"""

from __future__ import annotations

import argparse
import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "landuse"
SHARED_PRIVATE = {"_validate"}  # the one private foundation every room may use
MAX_FUNCTION_LINES = 120
MAX_PUBLIC_POSITIONAL = 4


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def measure() -> dict[str, list[str]]:
    """Every finding, by measure."""
    files = sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)
    modules = {module_name(p): p for p in files}
    graph: dict[str, set[str]] = defaultdict(set)
    local_imports: list[str] = []
    uncommented: list[str] = []
    private_across: list[str] = []
    long_functions: list[str] = []
    positional: list[str] = []

    def target_module(name: str) -> str | None:
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    for mod, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        is_package = path.name == "__init__.py"
        in_function: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = fn.end_lineno - fn.lineno + 1
                first = fn.body[0] if fn.body else None
                if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                        and isinstance(first.value.value, str):
                    length -= first.end_lineno - first.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{path.relative_to(ROOT.parent)}:{fn.lineno} {fn.name} ({length} lines)")
                for sub in ast.walk(fn):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        in_function.add(id(sub))
        public_module = not any(part.startswith("_") and part != "__init__" for part in mod.split(".")[1:])
        for fn in tree.body if public_module and room(mod) != "cli" else ():
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and not fn.name.startswith("_"):
                n = len(fn.args.posonlyargs) + len(fn.args.args)
                if n > MAX_PUBLIC_POSITIONAL:
                    positional.append(f"{path.relative_to(ROOT.parent)}:{fn.lineno} {fn.name} ({n} positional)")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names if a.name.split(".")[0] == "landuse"]
            elif isinstance(node, ast.ImportFrom):
                src = resolve(mod, is_package, node)
                if src.split(".")[0] != "landuse":
                    continue
                targets = []
                for alias in node.names:
                    sub = f"{src}.{alias.name}"
                    targets.append((sub, None) if sub in modules else (src, alias.name))
            else:
                continue
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            for target, name in targets:
                tmod = target_module(target)
                if tmod is None:
                    continue
                if tmod != mod:
                    graph[mod].add(tmod)
                if id(node) in in_function and room(mod) != "cli":
                    local_imports.append(f"{where} {target}{'.' + name if name else ''}")
                    said = "#" in lines[node.lineno - 1] or lines[node.lineno - 2].strip().startswith("#") \
                        or "#" in lines[node.end_lineno - 1]
                    if not said:
                        uncommented.append(f"{where} {target}{'.' + name if name else ''}")
                if room(tmod) == room(mod) or room(mod) == "cli" and False:
                    continue
                private_module = any(part.startswith("_") and part not in SHARED_PRIVATE and part != "__init__"
                                     for part in tmod.split(".")[1:])
                if private_module or (name is not None and name.startswith("_")):
                    private_across.append(f"{where} {tmod}{'.' + name if name else ''}")

    return {
        "entries": sorted(p.name for p in ROOT.iterdir() if p.name != "__pycache__"),
        "cycles": [" <-> ".join(sorted(c)) for c in strongly_connected(graph)],
        "local_imports": local_imports,
        "uncommented": uncommented,
        "private_across": private_across,
        "long_functions": long_functions,
        "positional": positional,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list every finding, not only the counts")
    args = parser.parse_args()
    m = measure()
    entries, cycles, local_imports = m["entries"], m["cycles"], m["local_imports"]
    uncommented, private_across, long_functions = m["uncommented"], m["private_across"], m["long_functions"]
    print(f"top-level entries in landuse/: {len(entries)}")
    print(f"import cycles: {len(cycles)}")
    print(f"function-local imports of own modules outside cli: {len(local_imports)}"
          f" ({len(uncommented)} without a comment saying why)")
    print(f"private names or modules imported across rooms: {len(private_across)}")
    print(f"functions over {MAX_FUNCTION_LINES} lines: {len(long_functions)}")
    print(f"public functions with more than {MAX_PUBLIC_POSITIONAL} positional parameters: {len(m['positional'])}")
    if args.list:
        print("\nentries:", " ".join(entries))
        for title, items in (("cycles", cycles),
                             ("function-local imports without a comment", uncommented),
                             ("private across rooms", private_across),
                             ("long functions", long_functions),
                             ("public functions with many positional parameters", m["positional"])):
            print(f"\n{title}:")
            for item in items:
                print("  " + item)


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    main()
