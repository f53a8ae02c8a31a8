"""Where the command line's defaults come from: ``[tool.flowbuilder]`` in ``pyproject.toml``, and
which project a command talks to.

The nearest ``pyproject.toml`` (the current folder, then its parents) may hold::

    [tool.flowbuilder]
    project = ".flowbuilder"        # a local store folder, or https://... for a remote project
    project_id = "..."              # for a remote project
    environment = "local"           # where apply creates new flows
    paths = ["flows"]               # what validate, plan and apply read when given no PATH

Relative paths are relative to the ``pyproject.toml``. Credentials never go there: they come from
``FLOWBUILDER_API_KEY`` (an IBM Cloud API key) or ``FLOWBUILDER_TOKEN`` (a bearer token).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AuthError, FlowbuilderError
from .project import Project

__all__ = ["API_KEY_VARIABLE", "DEFAULT_STORE", "TOKEN_VARIABLE", "Settings", "load_settings", "open_project"]

#: The local store the command line uses when no project is given.
DEFAULT_STORE = ".flowbuilder"
#: Environment variables holding credentials for a remote project.
API_KEY_VARIABLE = "FLOWBUILDER_API_KEY"
TOKEN_VARIABLE = "FLOWBUILDER_TOKEN"
_KEYS = ("project", "project_id", "environment", "paths")
_CREDENTIAL_KEYS = ("api_key", "apikey", "token", "password", "bearer_token")


@dataclass(frozen=True)
class Settings:
    """The ``[tool.flowbuilder]`` table of a ``pyproject.toml`` (all None when there is none).

    >>> Settings().project is None, Settings().paths
    (True, ())
    """

    project: str | None = None
    project_id: str | None = None
    environment: str | None = None
    paths: tuple[str, ...] = ()
    file: Path | None = None


def _toml(text: str, path: Path) -> dict[str, Any]:
    try:
        toml = importlib.import_module("tomllib")
    except ImportError:  # Python 3.10
        try:
            toml = importlib.import_module("tomli")
        except ImportError:
            raise FlowbuilderError(
                "has a [tool.flowbuilder] table, but Python 3.10 cannot read TOML without 'tomli'",
                location=str(path),
                hint="pip install tomli, or use Python 3.11 or later.",
            ) from None
    try:
        data: dict[str, Any] = toml.loads(text)
    except ValueError as error:  # tomllib.TOMLDecodeError is a ValueError
        raise FlowbuilderError(f"is not valid TOML: {error}", location=str(path)) from None
    return data


def load_settings(start: str | os.PathLike[str] | None = None) -> Settings:
    """The settings of the nearest ``pyproject.toml`` from ``start`` (the current folder) upwards.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "pyproject.toml").write_text('[tool.flowbuilder]\\npaths = ["flows"]\\n')
    >>> settings = load_settings(folder)
    >>> settings.paths == (str(folder / "flows"),), settings.project
    (True, None)
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return _read(candidate)
    return Settings()


def _read(path: Path) -> Settings:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FlowbuilderError(f"cannot read: {error}", location=str(path)) from None
    if "flowbuilder" not in text:
        return Settings()
    tool = _toml(text, path).get("tool")
    table = tool.get("flowbuilder") if isinstance(tool, Mapping) else None
    if table is None:
        return Settings()
    where = f"{path} [tool.flowbuilder]"
    if not isinstance(table, Mapping):
        raise FlowbuilderError("must be a table", location=where)
    table = {str(key).replace("-", "_"): value for key, value in table.items()}
    secrets = sorted(key for key in table if key in _CREDENTIAL_KEYS)
    if secrets:
        raise FlowbuilderError(
            f"holds credentials ({', '.join(secrets)}); they must not be written in files",
            location=where,
            hint=f"Remove them and set {API_KEY_VARIABLE} or {TOKEN_VARIABLE} in the environment instead.",
        )
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise FlowbuilderError(
            f"has unknown keys: {', '.join(unknown)}", location=where, hint=f"Known keys: {', '.join(_KEYS)}."
        )
    for key in ("project", "project_id", "environment"):
        if key in table and not isinstance(table[key], str):
            raise FlowbuilderError(f"{key} must be a string; got {table[key]!r}", location=where)
    paths = table.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(item, str) for item in paths):
        raise FlowbuilderError(f"paths must be a list of strings; got {paths!r}", location=where)
    base = path.parent
    project = table.get("project")
    if isinstance(project, str) and not _is_url(project):
        project = str(base / project)
    return Settings(
        project=project,
        project_id=table.get("project_id"),
        environment=table.get("environment"),
        paths=tuple(str(base / item) for item in paths),
        file=path,
    )


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def open_project(
    project: str | None,
    project_id: str | None,
    settings: Settings,
    environ: Mapping[str, str] | None = None,
) -> Project:
    """The project a command talks to: ``project`` (a local store folder or an ``https://`` URL),
    else the settings' project, else the local store ``./.flowbuilder``.

    A URL needs a project id and credentials from ``FLOWBUILDER_API_KEY`` (preferred when both
    are set) or ``FLOWBUILDER_TOKEN``; an AuthError says which is missing, never their values.

    >>> import tempfile
    >>> open_project(tempfile.mkdtemp(), None, Settings()).backend  # doctest: +ELLIPSIS
    LocalBackend(path='...')
    >>> open_project("https://example.com", "p1", Settings(), environ={})
    Traceback (most recent call last):
    ...
    flowbuilder.errors.AuthError: no credentials for https://example.com. Set FLOWBUILDER_API_KEY ...
    """
    environ = os.environ if environ is None else environ
    target = project or settings.project or DEFAULT_STORE
    if not _is_url(target):
        return Project.local(target)
    wanted_id = project_id or settings.project_id
    if not wanted_id:
        raise FlowbuilderError(
            f"a remote project needs its id: {target}",
            hint="Pass --project-id, set FLOWBUILDER_PROJECT_ID, or add project_id to [tool.flowbuilder].",
        )
    api_key = environ.get(API_KEY_VARIABLE) or None
    token = environ.get(TOKEN_VARIABLE) or None
    if api_key is None and token is None:
        raise AuthError(
            f"no credentials for {target}",
            hint=f"Set {API_KEY_VARIABLE} (an IBM Cloud API key) or {TOKEN_VARIABLE} (a bearer token) in "
            "the environment.",
        )
    if api_key is not None:
        return Project.connect(target, project_id=wanted_id, api_key=api_key)
    return Project.connect(target, project_id=wanted_id, token=token)
