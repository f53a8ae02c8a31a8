"""Finding the flows in a file: a flow JSON export, or a Python file that builds flows.

A Python file is run in isolation (``runpy``, its own globals, its folder on ``sys.path`` only
while it runs, its sibling modules forgotten afterwards). Its flows are the value of a
``flows()`` function when it defines one, else every module-level ``Flow``. An exception in the
file becomes a FlowbuilderError naming the file and line.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

from ..errors import FlowbuilderError
from ..flow import Flow

__all__ = ["SOURCE_SUFFIXES", "load_flows"]

#: File suffixes ``render_file`` reads.
SOURCE_SUFFIXES = (".json", ".py")
_RUN_NAME = "__flowbuilder_source__"


def load_flows(path: Path) -> list[Flow]:
    """The flows that ``path`` (a ``.json`` or ``.py`` file) defines, in definition order."""
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
        return [Flow.from_file(path)]
    return _from_python(path)


def _from_python(path: Path) -> list[Flow]:
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
    if not flows:
        raise FlowbuilderError(
            "defines no flows",
            location=str(path),
            hint="Assign each Flow to a module-level name (flow = Flow(...)) or define flows() returning "
            "them. A chain that ends in .to(...) is a Path: keep its .flow.",
        )
    return flows


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
