"""The package's layers import one way, and no module-level imports form a cycle (docs/architecture.md, "Layers").

The import graph is read from the source (``ast``): the imports a module runs when it is imported, that is
at module level, outside ``if TYPE_CHECKING:`` blocks; an import inside a function runs when it is called
(a format's reader, publishing at the end of a build) and is not an edge. Importing ``a.b.c`` also imports
the packages ``a`` and ``a.b``, so those are edges too, except the importing module's own packages (initialized
before it, so a package whose ``__init__`` re-exports its modules is no cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pdcorpus

ROOT = Path(pdcorpus.__file__).parent

# lowest first: a module may import its own layer and the layers before it
LAYERS = ["core", "io", "stages", "publish", "execution"]


def layer_of(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in ("", "_version", "record", "accounting", "redact", "errors", "locations"):
        return "core"
    if top in ("io", "ownership", "imaging"):
        return "io"
    if top in ("stages", "rights", "language", "minhash", "fetch", "unique_ids", "sources"):
        return "stages"
    if top in ("publish", "verify", "manifest", "optout"):
        return "publish"
    return "execution"  # config, plan, tasks, build, checks, runners, cli, and anything new until placed


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()

    ancestors = {".".join(module.split(".")[:i]) for i in range(1, len(module.split(".")))}

    def add(name: str) -> None:
        while name:  # the module and the packages above it (but not this module's own packages, which
            # Python has initialized before this module: a package re-exporting its modules is no cycle)
            if name in known and name != module and name not in ancestors:
                found.add(name)
            name = name.rpartition(".")[0]

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                add(base)
                for alias in node.names:  # `from pkg import submodule`
                    add(f"{base}.{alias.name}")
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            # function and class bodies: imports there run when called, not when the module is imported
            # (a class body runs at import, but pdcorpus puts no imports there)

    visit(tree.body)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: module_level_imports(name, path, known) for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def test_the_walker_sees_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_level_import_cycles():
    assert cycles(graph()) == []


def test_layers_import_one_way():
    rank = {name: i for i, name in enumerate(LAYERS)}
    wrong = sorted(f"{a} ({layer_of(a)}) imports {b} ({layer_of(b)})"
                   for a, targets in graph().items() for b in targets if rank[layer_of(b)] > rank[layer_of(a)])
    assert wrong == []


def test_importing_the_stages_does_not_import_execution_or_publishing():
    code = ("import sys, pdcorpus.stages, pdcorpus.io.readers\n"
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('pdcorpus'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "pdcorpus.stages" in loaded
    assert [m for m in loaded if layer_of(m) in ("execution", "publish")] == []
