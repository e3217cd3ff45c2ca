"""The house's layout, kept true: the rooms (packages) docs/architecture.md describes are the
ones that exist, no module imports itself back through others (an import circle), and no
module grows past the size a reader can hold.

Every import counts: at the top of a module, inside a function, and under ``TYPE_CHECKING``
(a circle of type hints is still a circle for a reader, and a lazy import only hides one).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archibald"

#: every package of archibald/ and what lives there (docs/architecture.md has a row for each)
ROOMS = {
    "archibald": "the public API, the errors",
    "archibald.cli": "the `archibald` command",
    "archibald.serve": "the server",
    "archibald.serve.gateway": "the OpenAI- and Anthropic-compatible gateway",
    "archibald.serve.studio": "the studio: the browser pages",
    "archibald.config": "settings",
    "archibald.core": "the decision and money rules",
    "archibald.store": "what is persisted",
    "archibald.providers": "provider resolution",
    "archibald.providers.backends": "one backend per provider",
    "archibald.quality": "route-blind checks and the judge",
    "archibald.learning": "bandit, replay, forecasts",
    "archibald.pipeline": "the engine",
    "archibald.pipelines": "the shipped pipelines",
    "archibald.pipelines.meditation": "the meditation video",
    "archibald.pipelines.podcast": "the podcast",
    "archibald.pipelines.short": "the Short",
    "archibald.pipelines.youtube": "the shared publishing stage",
    "archibald.script": "the spoken script's model",
    "archibald.media": "offline production",
    "archibald.reports": "economics, charts, the HTML report",
}

#: no module longer than this many lines
MAX_LINES = 650


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the archibald modules it imports (anywhere in it)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    module = ".".join(base) + (f".{node.module}" if node.module else "")
                else:
                    module = node.module or ""
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    targets.append(sub if sub in modules else module)
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
                    # importing a.b.c runs a/b/__init__ first: from outside package a.b, that
                    # is an arrow to it too (a package that re-exports its importers' modules
                    # is a circle Python only survives by import order)
                    parent = target.rpartition(".")[0]
                    while parent and parent != "archibald":
                        if not (name == parent or name.startswith(parent + ".")):
                            graph[name].add(parent)
                        parent = parent.rpartition(".")[0]
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    graph = import_graph()
    found = circles(graph)
    lines = []
    for group in found:
        ties = [f"{a} -> {b}" for a in group for b in sorted(graph[a]) if b in group]
        lines.append(" <-> ".join(group) + "\n    " + "\n    ".join(ties))
    assert not found, "import circles:\n" + "\n".join(lines)


def test_the_rooms_are_the_documented_ones() -> None:
    packages = {name for name, (_, is_package) in _modules().items() if is_package}
    assert packages == set(ROOMS), (
        f"packages not in ROOMS: {sorted(packages - set(ROOMS))}; "
        f"ROOMS that are no package: {sorted(set(ROOMS) - packages)}")
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name for name in ROOMS if f"`{name.replace('.', '/')}/`" not in doc
               and name != "archibald"]
    assert not missing, f"docs/architecture.md has no row for {missing}"


def test_no_module_is_too_long_to_read() -> None:
    long = {str(p.relative_to(ROOT)): n for p, _ in _modules().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_graph_sees_lazy_and_type_only_imports() -> None:
    graph = import_graph()
    # router imports the strategy inside a method: still an arrow
    assert "archibald.core.strategy" in graph["archibald.core.router"]


def test_every_public_name_still_imports_from_the_package() -> None:
    """The move kept the public API: every name of ``archibald.__all__`` resolves, to the one
    object its room defines."""
    import archibald
    from archibald.core.router import Router
    from archibald.store.memory import Memory

    for name in archibald.__all__:
        assert getattr(archibald, name) is not None, name
    assert archibald.Router is Router and archibald.Memory is Memory
