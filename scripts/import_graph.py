"""The import graph of emulator/ and service_model/, read with ast: its circles, and the imports that run up the
floors below. A module may import modules of its own floor and of the floors beneath it, never above.

    .venv/bin/python scripts/import_graph.py

Imports inside functions count like the others: a lazy import defers the cost, not the dependency. One kind is
not the importing module's own: the imports in a package's module-level __getattr__ (PEP 562), which hand a name
to whoever asks for it (`from emulator import mock_personalize`); an import of such a name counts as an import of
the module that provides it. importlib's imports by computed name are not seen (api/__init__.py loads its own
handler modules that way). Exits 1 when it finds a circle, an upward import or a module no floor names."""

import ast
import pathlib
import sys
from collections.abc import Iterator
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("emulator", "service_model")

# Lowest first. "x.*" names the package x and everything in it; a plain name, that module alone.
FLOORS = [
    ("service model", ["service_model.*"]),             # botocore's models, our patches, the recipe catalogue
    ("vocabulary", ["emulator", "emulator.errors", "emulator.jsontext", "emulator.settings"]),
    ("state", ["emulator.store.*", "emulator.s3"]),      # SQLite, statuses, model files, S3 objects
    ("data and models", ["emulator.datasets.*", "emulator.filter_language.*", "emulator.recipes.*"]),
    ("answering", ["emulator.exploration", "emulator.filter_masks", "emulator.deployed", "emulator.recommending",
                   "emulator.attribution"]),            # a trained model, a filter and events -> items
    ("jobs", ["emulator.jobs.*"]),                       # lifecycles, the queue, workers, training processes
    ("api", ["emulator.request_context", "emulator.api.*"]),     # one handler per operation
    ("clients of the api", ["emulator.auto_training", "emulator.protocol", "emulator.browsers", "emulator.gate",
                            "emulator.cors", "emulator.dispatch", "emulator.internal", "emulator.console.*"]),
    ("app", ["emulator.app"]),
    ("entry points", ["emulator.server", "emulator.inprocess", "emulator.pytest_plugin", "emulator.__main__"]),
]


class Import(NamedTuple):
    source: str    # the importing module
    target: str    # the imported module
    path: str      # the importing file, relative to the root
    line: int
    lazy: bool     # inside a function


def modules(root: pathlib.Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, pathlib.Path]:
    """Module name -> its file, for every .py file of the packages."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _reexports(tree: ast.Module) -> tuple[dict[str, str], set[ast.AST]]:
    """A package's module-level __getattr__: name -> the module it loads that name from, and those import nodes."""
    names, nodes = {}, set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                    names.update((alias.asname or alias.name, inner.module) for alias in inner.names)
                    nodes.add(inner)
    return names, nodes


def imports(root: pathlib.Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    """Every import of one of the packages' modules by another, lazy ones included."""
    files = modules(root, packages)
    trees = {name: ast.parse(path.read_text(), str(path)) for name, path in files.items()}
    reexported, skipped = {}, set()
    for name, tree in trees.items():
        if files[name].name == "__init__.py":
            reexported[name], nodes = _reexports(tree)
            skipped |= nodes

    def resolve(name: str) -> str | None:
        while name and name not in files:   # `import a.b.c` of a name inside a.b: the module a.b
            name = name.rpartition(".")[0]
        return name or None

    found = []
    for source, tree in trees.items():
        for node, lazy in _walk(tree):
            if node in skipped:
                continue
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [resolve(alias.name) for alias in node.names]
            else:
                base = node.module or ""
                if node.level:   # relative: from the importing module's package
                    package = source if files[source].name == "__init__.py" else source.rpartition(".")[0]
                    package = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                    base = f"{package}.{base}".rstrip(".")
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    if submodule in files:
                        targets.append(submodule)
                    elif alias.name in reexported.get(base, {}):
                        targets.append(resolve(reexported[base][alias.name]))
                    else:
                        targets.append(resolve(base))
            for target in dict.fromkeys(targets):
                if target and target != source:
                    found.append(Import(source, target, str(files[source].relative_to(root)), node.lineno, lazy))
    return found


def _walk(tree: ast.AST, lazy: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, lazy
        yield from _walk(node, lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


def floor_of(module: str, floors: list = FLOORS) -> int | None:
    for number, (_, patterns) in enumerate(floors):
        for pattern in patterns:
            if module == pattern.removesuffix(".*") or (pattern.endswith(".*") and
                                                         module.startswith(pattern[:-1])):
                return number
    return None


def circles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one circle through them all
    or, when no single circle does, its modules in order."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def connect(node: str) -> None:   # recursion depth: the longest import chain, a few dozen
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(_a_circle(sorted(component), graph))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def _a_circle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start, members = component[0], set(component)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for successor in sorted(graph[path[-1]] & members):
            if successor == start:
                return path + [start]
            if successor not in seen:
                seen.add(successor)
                paths.append(path + [successor])
    return component


def upward(edges: list[Import], floors: list = FLOORS) -> list[Import]:
    """The imports of a module on a higher floor than the importer's (modules no floor names aside)."""
    found = []
    for edge in edges:
        source, target = floor_of(edge.source, floors), floor_of(edge.target, floors)
        if source is not None and target is not None and target > source:
            found.append(edge)
    return found


def unplaced(names, floors: list = FLOORS) -> list[str]:
    return sorted(name for name in names if floor_of(name, floors) is None)


def report(root: pathlib.Path = ROOT, floors: list = FLOORS) -> tuple[str, bool]:
    """The printed report, and whether the graph keeps to the floors."""
    edges = imports(root)
    found_circles, found_upward = circles(edges), upward(edges, floors)
    missing = unplaced(modules(root), floors)
    lines = ["floors, lowest first:"]
    lines += [f"  {number} {name}: {', '.join(patterns)}" for number, (name, patterns) in enumerate(floors)]
    if missing:
        lines.append(f"modules no floor names: {len(missing)}")
        lines += [f"  {name}" for name in missing]
    lines.append(f"circles: {len(found_circles)}")
    lines += ["  " + " -> ".join(circle) for circle in found_circles]
    lines.append(f"upward imports: {len(found_upward)}")
    for edge in found_upward:
        source, target = floors[floor_of(edge.source, floors)][0], floors[floor_of(edge.target, floors)][0]
        lines.append(f"  {edge.path}:{edge.line}{' (lazy)' if edge.lazy else ''}: {edge.source} ({source}) -> "
                     f"{edge.target} ({target})")
    return "\n".join(lines), not (found_circles or found_upward or missing)


def main() -> int:
    text, clean = report()
    print(text)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
