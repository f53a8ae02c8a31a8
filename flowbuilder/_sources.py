"""Finding the flows in a file: a flow JSON export, or a Python file that builds flows.

A Python file is run in isolation (``runpy``, its own globals, its folder on ``sys.path`` only
while it runs, its sibling modules forgotten afterwards). Its flows are the value of a
``flows()`` function when it defines one, else every module-level ``Flow``. An exception in the
file becomes a FlowbuilderError naming the file and line.

Each flow comes with the line that defines it and, where it can be found cheaply, the line of
each of its stages (see :func:`read_flows`), so that messages can say ``file:line``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import runpy
import sys
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ._json import load_json, read_json_bytes
from .compile import from_json
from .errors import FlowbuilderError, FlowFormatError
from .flow import Flow
from .path import Path as FlowPath

__all__ = [
    "FLOW_JSON_KEYS",
    "SOURCE_SUFFIXES",
    "FileFlows",
    "FlowSource",
    "load_flows",
    "looks_like_flow",
    "no_flows_error",
    "read_flows",
]

#: File suffixes that hold flows.
SOURCE_SUFFIXES = (".json", ".py")
#: Top-level keys of the JSON shapes the importer reads (definition, envelopes, GET-shaped).
FLOW_JSON_KEYS = frozenset(
    {"pipelineConfig", "pipelineFragmentConfig", "pipeline_definition", "flow", "stages", "schemaVersion"}
)
_RUN_NAME = "__flowbuilder_source__"
# DSL and classic-API calls that add a stage by label (or stage name) given as a string literal.
_ADDING_CALLS = frozenset({"source", "to", "add_stage"})
_ERROR_STAGE_CALLS = frozenset({"on_error", "set_error_stage"})


@dataclass(frozen=True)
class FlowSource:
    """A flow and where it is defined: its file, its line, and the lines of its stages.

    >>> from flowbuilder import Flow
    >>> source = FlowSource(Flow("orders"), Path("flows/orders.py"), 3, {"Trash_01": 5})
    >>> source.location, source.line_of("Trash_01"), source.line_of("Other_01"), source.line_of(None)
    ('flows/orders.py:3', 5, 3, 3)
    """

    flow: Flow
    file: Path
    line: int
    stage_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The flow's name."""
        return self.flow.name

    @property
    def location(self) -> str:
        """``file:line`` of the flow."""
        return f"{self.file}:{self.line}"

    def line_of(self, stage: str | None) -> int:
        """The line of a stage instance (the flow's line when unknown or for flow-level issues)."""
        if stage is None:
            return self.line
        return self.stage_lines.get(stage, self.line)


class FileFlows(NamedTuple):
    """What a file defines: its flows, and the module-level DSL Paths whose flow it does not
    define (``name = Flow(...).to(...)`` without ``.flow``) as ``(name, line)``."""

    flows: list[FlowSource]
    lost_paths: list[tuple[str, int]]


def load_flows(path: Path) -> list[Flow]:
    """The flows that ``path`` (a ``.json`` or ``.py`` file) defines, in definition order.

    A file that defines no flow is an error.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "empty.py").write_text("x = 1\\n")
    >>> load_flows(folder / "empty.py")
    Traceback (most recent call last):
    ...
    flowbuilder.errors.FlowbuilderError: .../empty.py: defines no flows. Assign each Flow to ...
    """
    flows = [located.flow for located in read_flows(path).flows]
    if not flows:
        raise no_flows_error(path)
    return flows


def no_flows_error(path: Path) -> FlowbuilderError:
    """The error for a file that was expected to define flows and defines none.

    >>> print(no_flows_error(Path("helpers.py")))  # doctest: +ELLIPSIS
    helpers.py: defines no flows. Assign each Flow to a module-level name (flow = Flow(...)) or ...
    """
    return FlowbuilderError(
        "defines no flows",
        location=str(path),
        hint="Assign each Flow to a module-level name (flow = Flow(...)) or define flows() returning "
        "them. A chain that ends in .to(...) is a Path: keep its .flow.",
    )


def read_flows(path: Path, *, skip_other_json: bool = False) -> FileFlows:
    """The flows that ``path`` defines with their lines (none is not an error here).

    With ``skip_other_json`` (a file found in a folder, not named), a ``.json`` file that is valid
    JSON but plainly not a flow (see :func:`looks_like_flow`) defines no flows instead of being an
    error.

    Lines: for a ``.py`` file, the module-level assignment of the flow (else the ``Flow("name")``
    call that created it, else ``def flows``); a stage's line is the ``.source``/``.to``/
    ``add_stage`` call that added it when the calls with its label match its instances one to
    one, else the flow's line. For a ``.json`` file, the line of the stage's ``"instanceName"``;
    the flow itself is line 1.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "orders.py").write_text(
    ...     'from flowbuilder import Flow\\n'
    ...     '\\n'
    ...     'orders = (\\n'
    ...     '    Flow("orders")\\n'
    ...     '    .source("Dev Raw Data Source")\\n'
    ...     '    .to("Trash")\\n'
    ...     '    .flow\\n'
    ...     ')\\n')
    >>> found = read_flows(folder / "orders.py").flows
    >>> [(item.flow.name, item.line, dict(item.stage_lines)) for item in found]
    [('orders', 3, {'DevRawDataSource_01': 5, 'Trash_01': 6})]
    """
    suffix = path.suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
        raise FlowbuilderError(
            f"cannot read flows from a {path.suffix or 'suffix-less'} file",
            location=str(path),
            hint="Give a flow JSON export (.json) or a Python file that builds flows (.py).",
        )
    if not path.is_file():
        raise FlowbuilderError("no such file", location=str(path), hint="Check the path.")
    if suffix == ".json":
        return _from_json(path, skip_other_json)
    return _from_python(path)


def looks_like_flow(document: object) -> bool:
    """True when a parsed JSON document has the shape of a flow (so a folder's other JSON is skipped).

    >>> looks_like_flow({"pipelineConfig": {}}), looks_like_flow({"name": "package"})
    (True, False)
    """
    return isinstance(document, Mapping) and not FLOW_JSON_KEYS.isdisjoint(document)


# -- JSON ------------------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise FlowFormatError(f"cannot read file: {error.strerror}", location=str(path)) from None


def _from_json(path: Path, skip_other: bool) -> FileFlows:
    # Read and parsed once: the document decides whether it is a flow, then is the flow; the
    # text gives the stages' lines.
    data = read_json_bytes(path)  # as from_file reads: an oversized file is refused unread
    document = load_json(data, location=str(path))
    if skip_other and not looks_like_flow(document):
        return FileFlows([], [])
    flow: Flow = from_json(document, location=str(path))
    names = [stage.instance_name for stage in flow.stages]
    names += [stage.instance_name for stage in flow.special_stages.values()]
    lines = _instance_lines(data.decode("utf-8", errors="replace"), names)
    return FileFlows([FlowSource(flow, path, 1, lines)], [])


_INSTANCE_NAME = re.compile(r'"instanceName"\s*:\s*("(?:[^"\\]|\\.)*")')


def _instance_lines(text: str, names: Iterable[str]) -> dict[str, int]:
    r"""The line of each stage's ``"instanceName": "<name>"`` in the JSON text (first occurrence).

    One pass over the text, whatever the number of stages; names are compared decoded, so
    ``\u`` escapes and raw characters find each other.

    >>> _instance_lines('{\n "instanceName": "a",\n\n "instanceName": "b\\u00e9"}', ["b\u00e9", "a"])
    {'a': 2, 'bé': 4}
    """
    wanted = set(names)
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _INSTANCE_NAME.finditer(text):
        try:
            name = json.loads(match.group(1))
        except ValueError:
            continue
        if name in wanted and name not in lines:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            lines[name] = line
    return lines


# -- Python ----------------------------------------------------------------------------------------


def _from_python(path: Path) -> FileFlows:
    folder = str(path.resolve().parent)
    before = set(sys.modules)
    saved_path = list(sys.path)
    sys.path.insert(0, folder)
    try:
        namespace = _run(path)
        factory = namespace.get("flows")
        if callable(factory):
            try:
                produced = factory()
            except Exception as error:
                raise _user_error(path, error, "flows()") from error
            flows = _check_flows(path, produced)
        else:
            flows = _unique(value for value in namespace.values() if isinstance(value, Flow))
    finally:
        sys.path[:] = saved_path
        # Forget the file's sibling modules, so another file's same-named helpers are not mixed in;
        # flowbuilder's own modules, imported lazily by the file, stay.
        for name in sorted(set(sys.modules) - before):
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if origin.startswith(folder + os.sep) and name.partition(".")[0] != "flowbuilder":
                del sys.modules[name]
    lost = [] if callable(factory) else _lost_paths(path, namespace, flows)
    if not flows:
        return FileFlows([], lost)
    return FileFlows(_locate(path, namespace, flows), lost)


def _lost_paths(path: Path, namespace: Mapping[str, object], flows: list[Flow]) -> list[tuple[str, int]]:
    """Module-level Paths whose flow no module-level name holds: the flow would be lost."""
    kept = {id(flow) for flow in flows}
    names = [
        name
        for name, value in namespace.items()
        if isinstance(value, FlowPath) and id(value.flow) not in kept and not name.startswith("_")
    ]
    if not names:
        return []
    try:
        bindings = _module_bindings(ast.parse(_read_bytes(path), filename=str(path)))
    except (SyntaxError, ValueError):
        bindings = {}
    return [(name, bindings[name].lineno if name in bindings else 1) for name in names]


def _run(path: Path) -> dict[str, object]:
    try:
        return runpy.run_path(str(path), run_name=_RUN_NAME)
    except SyntaxError as error:
        where = f"{path}:{error.lineno}" if error.lineno else str(path)
        raise FlowbuilderError(
            f"invalid Python: {error.msg}", location=where, hint="Fix the syntax error and run again."
        ) from None
    except SystemExit as error:
        raise FlowbuilderError(
            f"exited (SystemExit {error.code!r}) while being read",
            location=_line_of(path, error),
            hint='Put script code under `if __name__ == "__main__":`, so that reading the file only '
            "builds flows.",
        ) from None
    except Exception as error:
        raise _user_error(path, error, "the file") from error


def _user_error(path: Path, error: BaseException, what: str) -> FlowbuilderError:
    return FlowbuilderError(
        f"{what} raised {type(error).__name__}: {error}",
        location=_line_of(path, error),
        hint="Fix the error in the file and run again.",
    )


def _line_of(path: Path, error: BaseException) -> str:
    """``file:line`` of the deepest traceback frame in the user's file (the file alone if none)."""
    wanted = path.resolve()
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve() == wanted:
            line = frame.lineno
    return f"{path}:{line}" if line is not None else str(path)


def _check_flows(path: Path, produced: object) -> list[Flow]:
    items = (
        list(produced) if isinstance(produced, Iterable) and not isinstance(produced, (str, bytes)) else None
    )
    if items is None or not all(isinstance(item, Flow) for item in items):
        got = (
            type(produced).__name__
            if items is None
            else ", ".join(sorted({type(item).__name__ for item in items if not isinstance(item, Flow)}))
        )
        raise FlowbuilderError(
            f"flows() must return Flow objects; got {got}",
            location=str(path),
            hint="Return a list of Flow objects (use path.flow for a chain that ends in .to(...)).",
        )
    return _unique(items)


def _unique(flows: Iterable[object]) -> list[Flow]:
    found: dict[int, Flow] = {}
    for flow in flows:
        if isinstance(flow, Flow):
            found.setdefault(id(flow), flow)
    return list(found.values())


# -- lines of flows and stages in Python source -----------------------------------------------------


def _locate(path: Path, namespace: Mapping[str, object], flows: list[Flow]) -> list[FlowSource]:
    try:
        tree = ast.parse(_read_bytes(path), filename=str(path))
    except (SyntaxError, ValueError, FlowFormatError):
        return [FlowSource(flow, path, 1) for flow in flows]
    bindings = _module_bindings(tree)
    factory = next(
        (node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "flows"), None
    )
    located = []
    for flow in flows:
        statement = _binding_of(flow, namespace, bindings) or _creation_of(flow, tree)
        fallback = factory.lineno if factory is not None else 1
        line = statement.lineno if statement is not None else fallback
        # One flow in the file: its stages may be added anywhere in it (classic API, builder functions).
        scope: ast.AST | None = tree if len(flows) == 1 else statement
        located.append(FlowSource(flow, path, line, _stage_lines(flow, scope) if scope is not None else {}))
    return located


def _module_bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    """Module-level names and the statement that last binds each (assignments and imports)."""
    bindings: dict[str, ast.stmt] = {}

    def visit(statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    for name in _target_names(target):
                        bindings[name] = statement
            elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
                for name in _target_names(statement.target):
                    bindings[name] = statement
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                for alias in statement.names:
                    bindings[(alias.asname or alias.name).partition(".")[0]] = statement
            elif isinstance(statement, (ast.If, ast.Try, ast.With)):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(statement, block, []))
                for handler in getattr(statement, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return bindings


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    return []


def _binding_of(
    flow: Flow, namespace: Mapping[str, object], bindings: Mapping[str, ast.stmt]
) -> ast.stmt | None:
    statements = [bindings[name] for name, value in namespace.items() if value is flow and name in bindings]
    return min(statements, key=lambda statement: statement.lineno, default=None)


def _creation_of(flow: Flow, tree: ast.Module) -> ast.stmt | None:
    """The statement holding the first ``Flow("<the flow's name>", ...)`` call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) in ("Flow", "StreamsetsFlow"):
            given = (
                node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
            )
            if isinstance(given, ast.Constant) and given.value == flow.name:
                parents = {
                    child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)
                }
                found: ast.AST = node
                while not isinstance(found, ast.stmt) and found in parents:
                    found = parents[found]
                return found if isinstance(found, ast.stmt) else None
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _stage_lines(flow: Flow, scope: ast.AST) -> dict[str, int]:
    """Lines of the calls that added the flow's stages, matched by label in source order.

    A label is matched only when the calls naming it are exactly as many as the flow's stages of
    that label; otherwise its stages keep the flow's line.
    """
    calls: dict[str, list[tuple[int, int]]] = {}
    error_calls: dict[str, list[tuple[int, int]]] = {}
    for node in ast.walk(scope):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name not in _ADDING_CALLS and name not in _ERROR_STAGE_CALLS:
            continue
        given = list(node.args if name == "to" else node.args[:1])
        given += [k.value for k in node.keywords if k.arg in ("label", "name", "stage")]
        where = (node.func.end_lineno or node.lineno, node.func.end_col_offset or 0)
        target = error_calls if name in _ERROR_STAGE_CALLS else calls
        for value in given:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                target.setdefault(value.value.lower(), []).append(where)
    lines: dict[str, int] = {}
    by_key: dict[str, list[str]] = {}
    for stage in flow.stages:
        if stage.definition is not None:
            by_key.setdefault(stage.definition.label.lower(), []).append(stage.instance_name)
    for key, instances in by_key.items():
        found = sorted(calls.get(key, []))
        if len(found) == len(instances):
            lines.update((instance, where[0]) for instance, where in zip(instances, found, strict=True))
    error_stage = flow.error_stage
    if error_stage is not None and error_stage.definition is not None:
        found = sorted(error_calls.get(error_stage.definition.label.lower(), []))
        if found:
            lines[error_stage.instance_name] = found[-1][0]
    return lines
