"""The layering of DESIGN.md §10, checked on the code: who imports whom at module level.

Each module's imports are read from its source (module level only: an import inside a function
is the allowed lazy one-line convenience, and ``if TYPE_CHECKING:`` imports are for type checkers).
A module may import only from its own floor or below, and no import cycle runs through the model.
``docs/architecture.md`` describes the same floors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flowbuilder"

# Floor of each module, by the longest matching name prefix (DESIGN.md §10).
FLOORS = {
    "flowbuilder.errors": 1,
    "flowbuilder._names": 1,
    "flowbuilder._numbers": 1,
    "flowbuilder._lanes": 1,
    "flowbuilder._wiring": 1,
    "flowbuilder._document": 1,
    "flowbuilder._gc": 1,
    "flowbuilder._json": 1,
    "flowbuilder._bounded_json": 1,
    "flowbuilder._stages": 1,  # its stub, _stages.pyi, is read by type checkers only
    "flowbuilder.catalog": 2,
    "flowbuilder.configuration": 3,
    "flowbuilder.stage": 3,
    "flowbuilder.flow": 3,
    "flowbuilder.path": 3,
    "flowbuilder.fragment": 3,
    "flowbuilder.validate": 4,
    "flowbuilder.diff": 4,
    "flowbuilder.compile": 4,
    "flowbuilder.render": 4,
    "flowbuilder.preview": 4,
    "flowbuilder.discovery": 5,
    "flowbuilder._sources": 5,
    "flowbuilder._settings": 5,
    "flowbuilder.plan": 5,
    "flowbuilder.project": 5,
    "flowbuilder.backends": 5,
    "flowbuilder.server": 6,
    "flowbuilder.testing": 6,
    "flowbuilder.cli": 6,
    "flowbuilder": 6,  # the package's curated __init__ re-exports every floor
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _floor(module: str) -> int:
    best = max((name for name in FLOORS if module == name or module.startswith(name + ".")), key=len)
    return FLOORS[best]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """The flowbuilder modules ``path`` imports when it is imported."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If):
                if not _is_type_checking(node):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith("flowbuilder"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module or ""
                if not target.startswith("flowbuilder"):
                    continue
                for alias in node.names:  # "from . import x" may name a submodule
                    candidate = f"{target}.{alias.name}"
                    exists = (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                        PACKAGE.parent / candidate.replace(".", "/") / "__init__.py"
                    ).exists()
                    found.add(candidate if exists else target)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(module)
    return found


def _graph() -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    for path in sorted(PACKAGE.rglob("*.py")):
        graph.add_node(_module(path))
        for imported in _imports(path):
            graph.add_edge(_module(path), imported)
    return graph


GRAPH = _graph()


@pytest.mark.parametrize("module", sorted(GRAPH.nodes))
def test_a_module_imports_only_from_its_floor_or_below(module: str) -> None:
    above = sorted(
        f"{target} (floor {_floor(target)})"
        for target in GRAPH.successors(module)
        if _floor(target) > _floor(module) and not module.startswith(target + ".")  # a parent package
    )
    assert above == [], f"{module} (floor {_floor(module)}) imports from above its floor"


def test_no_import_cycle_runs_through_the_model() -> None:
    model = {name for name in GRAPH.nodes if _floor(name) <= 3}
    cycles = [
        cycle
        for component in nx.strongly_connected_components(GRAPH)
        if len(component) > 1 and component & model
        for cycle in [sorted(component)]
    ]
    assert cycles == []


def _is_module(dotted: str) -> bool:
    base = PACKAGE.parent / dotted.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _package(module: str) -> str:
    path = PACKAGE.parent / module.replace(".", "/")
    return module if (path / "__init__.py").exists() else module.rpartition(".")[0]


def _private_imports(path: Path) -> set[tuple[str, str]]:
    """``(owning package, what)`` of every private module or name ``path`` imports, anywhere in it
    (lazy imports included)."""
    module = _module(path)
    here = _package(module)
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
            target = f"{base}.{node.module}" if node.module else base
        elif (node.module or "").startswith("flowbuilder"):
            target = str(node.module)
        else:
            continue
        for alias in node.names:
            dotted = f"{target}.{alias.name}"
            for part in (target, dotted) if _is_module(dotted) else (target,):
                if part.rpartition(".")[2].startswith("_") and not part.endswith("__init__"):
                    found.add((part.rpartition(".")[0], part))
            if not _is_module(dotted) and alias.name.startswith("_") and not alias.name.startswith("__"):
                found.add((_package(target), dotted))
    return found


def test_no_private_module_or_name_is_imported_from_another_package() -> None:
    crossing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _package(_module(path))
        for owner, imported in _private_imports(path):
            shared = owner == "flowbuilder"  # the ground floor's helpers serve every package
            if not shared and importer != owner and not importer.startswith(owner + "."):
                crossing.append(f"{_module(path)} -> {imported}")
    assert crossing == []
