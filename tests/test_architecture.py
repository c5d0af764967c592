"""The package's layers point one way: no import cycles (imports inside functions count), and figures never
import the run machinery.

Every module of ``policyscape`` is parsed with ``ast``; each ``import x`` / ``from x import y`` anywhere in it
(module level, inside functions and classes, relative or absolute) becomes an edge to the package module it
names: ``from package import submodule`` to the submodule, ``from module import name`` to the module.
Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``; those implicit edges to parent packages
are left out (a package's ``__init__`` that re-exports its submodules would otherwise close a "cycle" with
every submodule). Imports under ``if TYPE_CHECKING:`` count too: they never run, but they tie the modules
just the same for a reader and a type checker.
"""

from __future__ import annotations

import ast
from pathlib import Path

import policyscape

PACKAGE = "policyscape"
ROOT = Path(policyscape.__file__).resolve().parent


def module_files() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package (a package is its ``__init__``)."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _import_nodes(tree: ast.AST):
    """Every Import / ImportFrom node, at any depth (functions, classes, ``if`` blocks included)."""
    return (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that module ``name`` (file ``path``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                       for alias in node.names]
        for target in targets:
            # ``import a.b.c`` names a.b.c; a name that is not a module resolves to the longest module prefix
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith(PACKAGE) and target in modules and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative), components in no particular order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module: a → … → a (breadth-first, shortest)."""
    members, start = set(component), component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return component


def test_the_graph_sees_imports_inside_functions_and_relative_ones():
    graph = import_graph()
    assert "policyscape.objectives.exact" in graph["policyscape.objectives"]  # inside __getattr__
    assert "policyscape.errors" in graph["policyscape.objectives.registry"]
    assert "policyscape.objectives.registry" in graph["policyscape.cli"]  # function-level only
    graph = strongly_connected_components({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert sorted(map(tuple, graph)) == [("a", "b", "c"), ("d",)]
    assert a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_import_cycles():
    graph = import_graph()
    cycles = [c for c in strongly_connected_components(graph) if len(c) > 1]
    described = ["  " + " → ".join(a_cycle(graph, c)) + (f"   (component: {', '.join(c)})" if len(c) > 3 else "")
                 for c in cycles]
    assert not cycles, "import cycles in the package (imports inside functions count):\n" + "\n".join(described)


def test_plots_never_import_the_run_machinery():
    graph = import_graph()
    offenders = {name: sorted(t for t in targets if t == "policyscape.runs" or t.startswith("policyscape.runs."))
                 for name, targets in graph.items() if name.startswith("policyscape.plots")}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"plots read saved results; these modules import policyscape.runs: {offenders}"


def test_landscape_runs_compute_and_save_but_never_draw():
    """Figures of landscape runs are drawn afterwards (CLI, recipes) from the saved files, not by the runs."""
    drawn = sorted(t for t in import_graph()["policyscape.runs.landscape"] if t.startswith("policyscape.plots"))
    assert not drawn, f"runs/landscape.py imports {drawn}"


def test_training_runs_compute_and_save_but_never_draw():
    """Figures of training runs are drawn afterwards (the train command, recipes) from the saved files."""
    drawn = sorted(t for t in import_graph()["policyscape.runs.training"]
                   if t.startswith("policyscape.plots") or t.startswith("matplotlib"))
    assert not drawn, f"runs/training.py imports {drawn}"
