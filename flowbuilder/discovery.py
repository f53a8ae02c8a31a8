"""Find the flows defined in files and folders: flows as code.

``.py`` files define flows as module-level ``Flow`` objects or through a ``flows()`` function
returning them; each file is run in isolation. ``.json`` files hold one flow in any shape the
importer reads. Folders are searched recursively, in name order, skipping hidden folders,
``__pycache__``, virtual environments, test files (``test_*.py``, ``*_test.py``,
``conftest.py``), Python files that define no flow and JSON files that are not flows. A file
named explicitly must define a flow. A module-level DSL Path whose flow no name keeps (a chain
ending in ``.to(...)`` without ``.flow``) is an error rather than a flow silently left out.

Every flow remembers its file and line, and the line of each stage where it can be found, so
that messages point at the source. Flow names must be unique: a name defined twice is an error
naming both places.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "orders.py").write_text(
...     'from flowbuilder import Flow\\n'
...     'orders = Flow("orders").source("Dev Raw Data Source").to("Trash").flow\\n')
>>> found = discover([folder])
>>> [(source.name, source.file.name, source.line) for source in found.flows], found.errors
([('orders', 'orders.py', 2)], [])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._sources import SOURCE_SUFFIXES, FlowSource, no_flows_error, read_flows
from .errors import FlowbuilderError

__all__ = ["Discovery", "FlowSource", "discover", "find_files"]

_SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages"})
_SKIPPED_PY = frozenset({"conftest.py", "setup.py"})


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found: the flows, the files read, and the errors met on the way.

    ``errors`` holds one FlowbuilderError per file that could not be read (with its
    ``file:line``) and per duplicated flow name; the other files' flows are still there.
    """

    flows: list[FlowSource]
    errors: list[FlowbuilderError]
    files: list[Path]

    def __bool__(self) -> bool:
        return not self.errors


def find_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    """The flow files under ``paths``: ``(path, explicit)`` pairs, in order, each file once.

    ``explicit`` is True for a file named directly (it must then define a flow). A path that
    does not exist, or a file that is neither ``.py`` nor ``.json``, is a FlowbuilderError.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("b.py", "a.json", "test_a.py", ".hidden/c.py", "notes.txt"):
    ...     (folder / name).parent.mkdir(exist_ok=True)
    ...     _ = (folder / name).write_text("")
    >>> [(path.name, explicit) for path, explicit in find_files([folder])]
    [('a.json', False), ('b.py', False)]
    """
    found: dict[Path, tuple[Path, bool]] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for file in _walk(path):
                found.setdefault(file.resolve(), (file, False))
        elif path.is_file():
            if path.suffix.lower() not in SOURCE_SUFFIXES:
                raise FlowbuilderError(
                    f"is a {path.suffix or 'suffix-less'} file, not a flow file",
                    location=str(path),
                    hint="Give .py files that build flows, .json flow exports, or folders of them.",
                )
            key = path.resolve()
            found[key] = (found[key][0], True) if key in found else (path, True)
        else:
            raise FlowbuilderError(
                "no such file or folder", location=str(path), hint="Check the path and run again."
            )
    return list(found.values())


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".")
            and name not in _SKIPPED_FOLDERS
            and not (Path(root) / name / "pyvenv.cfg").exists()
        )
        for name in sorted(names):
            suffix = Path(name).suffix.lower()
            if name.startswith(".") or suffix not in SOURCE_SUFFIXES:
                continue
            if suffix == ".py" and (
                name in _SKIPPED_PY or name.startswith("test_") or name.endswith("_test.py")
            ):
                continue
            files.append(Path(root) / name)
    return files


def discover(paths: Iterable[str | os.PathLike[str]]) -> Discovery:
    """Every flow defined under ``paths`` (files and folders), with its file and line.

    Raises FlowbuilderError only for a path that does not exist or is not a flow file; errors
    inside files (a Python exception, unreadable JSON) and duplicated flow names are collected
    in :attr:`Discovery.errors`, so that one broken file does not hide the others.
    """
    flows: list[FlowSource] = []
    errors: list[FlowbuilderError] = []
    files: list[Path] = []
    for path, explicit in find_files(paths):
        try:
            located, lost = read_flows(path, skip_other_json=not explicit)
        except FlowbuilderError as error:
            errors.append(error)
            files.append(path)
            continue
        errors.extend(
            FlowbuilderError(
                f"{name!r} is a Path (a chain of stages), and no module-level name holds its flow, so the "
                "flow would be left out",
                location=f"{path}:{line}",
                hint=f"End the chain with .flow ({name} = (...).flow), or return the flow from flows().",
            )
            for name, line in lost
        )
        if not located and not lost:
            if not explicit:
                continue  # a helper module or other JSON of a flow folder
            errors.append(no_flows_error(path))
        files.append(path)
        flows.extend(located)
    errors.extend(_duplicates(flows))
    return Discovery(flows, errors, files)


def _duplicates(flows: list[FlowSource]) -> list[FlowbuilderError]:
    first: dict[str, FlowSource] = {}
    errors = []
    for source in flows:
        seen = first.setdefault(source.name, source)
        if seen is not source:
            errors.append(
                FlowbuilderError(
                    f"is also defined at {seen.location}; flow names must be unique in a project",
                    flow=source.name,
                    location=source.location,
                    hint="Rename one of the two flows.",
                )
            )
    return errors
