"""The command group, its error handling and the helpers every command shares."""

from __future__ import annotations

import functools
import json
import pathlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._names import printable
from ..errors import FlowbuilderError

if TYPE_CHECKING:
    from .._settings import Settings
    from ..discovery import Discovery
    from ..project import Project

__all__ = ["main"]

_F = TypeVar("_F", bound=Callable[..., Any])
_PROGRESS_OVER = 5  # show a progress bar when apply writes more flows than this (on a terminal)


@functools.cache
def _failure(exit_code: int) -> type[click.ClickException]:
    """A click exception that ends the command with ``exit_code`` (the error class says which)."""
    return type(f"_Failure{exit_code}", (click.ClickException,), {"exit_code": exit_code})


class _Group(click.Group):
    """A group whose commands turn library errors into messages and exit codes, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlowbuilderError as error:
            raise _failure(error.exit_code)(printable(str(error), lines=True)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flowbuilder")
def main() -> None:
    """Write, validate, compile, draw, test and ship StreamSets flows.

    Flows are found in .py files (module-level Flow objects, or a flows() function) and .json
    files; folders are searched recursively. Exit status: 0 ok, 1 validation or apply failure,
    2 usage error.
    """


# -- shared helpers ---------------------------------------------------------------------------------


def _settings() -> Settings:
    from .._settings import load_settings

    try:
        return load_settings()
    except FlowbuilderError as error:
        raise click.UsageError(str(error)) from None


def _paths(given: Sequence[pathlib.Path], settings: Settings | None = None) -> list[pathlib.Path]:
    """``given``, else the configured paths (from ``settings`` when the command has loaded them)."""
    if given:
        return list(given)
    configured = (settings if settings is not None else _settings()).paths
    if not configured:
        raise click.UsageError(
            "give at least one PATH (or set paths in [tool.flowbuilder] of pyproject.toml)"
        )
    return [pathlib.Path(path) for path in configured]


def _discover(paths: Sequence[pathlib.Path]) -> Discovery:
    from ..discovery import discover

    try:
        return discover(paths)
    except FlowbuilderError as error:  # a path that does not exist or is not a flow file
        raise click.UsageError(str(error)) from None


def _project_options(function: _F) -> _F:
    function = click.option(
        "--project-id",
        envvar="FLOWBUILDER_PROJECT_ID",
        default=None,
        help="Project id of a remote project (default: $FLOWBUILDER_PROJECT_ID, else pyproject.toml).",
    )(function)
    function = click.option(
        "--project",
        "-p",
        envvar="FLOWBUILDER_PROJECT",
        default=None,
        metavar="PATH|URL",
        help="A local store folder, or the https:// URL of a remote project (credentials from "
        "$FLOWBUILDER_API_KEY or $FLOWBUILDER_TOKEN). Default: $FLOWBUILDER_PROJECT, else "
        "[tool.flowbuilder] project, else ./.flowbuilder.",
    )(function)
    return function


def _open_project(project: str | None, project_id: str | None, settings: Settings | None = None) -> Project:
    from .._settings import open_project

    return open_project(project, project_id, settings if settings is not None else _settings())


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows as a rich table on a terminal, else as plain aligned lines (stable for scripts)."""
    if _is_terminal(sys.stdout):
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(*headers, show_lines=False)
        for row in rows:  # Text, not markup: a name like "[red]x" is shown as it is
            table.add_row(*(Text(printable(str(cell))) for cell in row))
        Console().print(table)
        return
    shown = [[printable(str(cell)) for cell in row] for row in (headers, *rows)]
    widths = [max(len(cell) for cell in column) for column in zip(*shown, strict=True)]
    for row in shown:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _format_option(help: str) -> Callable[[_F], _F]:
    """``--format text|json`` (text by default), with what each gives for the command."""
    choice = click.Choice(["text", "json"])
    return click.option("--format", "format_", type=choice, default="text", show_default=True, help=help)


def _echo(message: object = "", *, err: bool = False, nl: bool = True, **style: Any) -> None:
    """Print ``message`` (styled with click's ``style`` keywords): the CLI's one way to write text.
    Control and bidirectional characters in names and messages are shown escaped, never sent to
    the terminal; newlines and tabs are kept."""
    text = printable(str(message), lines=True)
    click.echo(click.style(text, **style) if style else text, err=err, nl=nl)


def _echo_json(data: object) -> None:
    _echo(json.dumps(data, indent=2, ensure_ascii=False))


def _confirm(question: str, yes: bool) -> None:
    """Go on when ``--yes`` or the user agrees; refuse (exit 2) in a session nobody can answer."""
    if yes:
        return
    if not _is_terminal(sys.stdin):
        raise click.UsageError(
            "refusing to write without confirmation in a non-interactive session. Pass --yes."
        )
    if not click.confirm(question, default=False):
        raise click.ClickException("cancelled; nothing was written.")
