"""The ``flowbuilder`` command line: thin, it parses arguments, calls the library and prints.

Exit codes: 0 ok, 1 validation or apply failure, 2 usage error. Shell completion is click's:
``eval "$(_FLOWBUILDER_COMPLETE=bash_source flowbuilder)"`` (``zsh_source``, ``fish_source``).
"""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._names import file_names
from .errors import AuthError, FlowbuilderError

if TYPE_CHECKING:
    from ._settings import Settings
    from .discovery import Discovery
    from .flow import Flow
    from .plan import Outcome, Plan
    from .preview import PreviewResult, Record
    from .project import Project, StreamsetsFlow

__all__ = ["main"]

_F = TypeVar("_F", bound=Callable[..., Any])
_PROGRESS_OVER = 5  # show a progress bar when apply writes more flows than this (on a terminal)


class _Group(click.Group):
    """A group whose commands turn library errors into messages and exit codes, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuthError as error:
            raise click.UsageError(str(error)) from None
        except FlowbuilderError as error:
            raise click.ClickException(str(error)) from None


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
    from ._settings import load_settings

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
    from .discovery import discover

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
    from ._settings import open_project

    return open_project(project, project_id, settings if settings is not None else _settings())


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows as a rich table on a terminal, else as plain aligned lines (stable for scripts)."""
    if _is_terminal(sys.stdout):
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers, show_lines=False)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    for row in (headers, *rows):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


def _format_option(help: str) -> Callable[[_F], _F]:
    """``--format text|json`` (text by default), with what each gives for the command."""
    choice = click.Choice(["text", "json"])
    return click.option("--format", "format_", type=choice, default="text", show_default=True, help=help)


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


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


# -- validate ---------------------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=pathlib.Path))
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@_format_option("text: one line per issue; json: for machines.")
def validate(paths: tuple[pathlib.Path, ...], strict: bool, format_: str) -> None:
    """Validate the flows in PATHS (.py and .json files, folders searched recursively).

    Each issue is printed as 'file:line: CODE instance [config]: message (hint)', grouped per
    flow (warnings as 'file:line: warning: ...'). The line is that of the stage when it can be
    found, else that of the flow. Exit status: 1 when a flow has errors or a file cannot be read
    (or has warnings, with --strict), else 0.
    """
    found = _discover(_paths(paths))
    reports = []
    for source in found.flows:
        result = source.flow.validate()
        reports.append((source, result))
    failed = bool(found.errors) or any(result.errors or (strict and result.warnings) for _, result in reports)
    if format_ == "json":
        _echo_json(
            {
                "valid": not failed,
                "strict": strict,
                "flows": [
                    {
                        "name": source.name,
                        "file": str(source.file),
                        "line": source.line,
                        "errors": len(result.errors),
                        "warnings": len(result.warnings),
                        "issues": [
                            {
                                "file": str(source.file),
                                "line": source.line_of(issue.stage),
                                "code": issue.code,
                                "severity": issue.severity,
                                "stage": issue.stage,
                                "config": issue.config,
                                "message": issue.message,
                                "hint": issue.hint,
                                "engine_code": issue.engine_code,
                            }
                            for issue in result.issues
                        ],
                    }
                    for source, result in reports
                ],
                "file_errors": [
                    {"location": error.location, "message": str(error)} for error in found.errors
                ],
            }
        )
    else:
        for error in found.errors:
            click.echo(click.style(str(error), fg="red"))
        for source, result in reports:
            errors, warnings = len(result.errors), len(result.warnings)
            if not result.issues:
                click.echo(f"{source.location}: flow {source.name!r}: ok")
                continue
            counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
            click.echo(click.style(f"{source.location}: flow {source.name!r}: {counts}", bold=True))
            for issue in [*result.errors, *result.warnings]:
                where = f"{source.file}:{source.line_of(issue.stage)}"
                if issue.severity == "error":
                    click.echo(f"{where}: {issue}")
                else:
                    click.echo(f"{where}: warning: {issue}")
        flows = len(reports)
        with_errors = sum(1 for _, result in reports if result.errors)
        with_warnings = sum(1 for _, result in reports if result.warnings and not result.errors)
        summary = (
            f"{flows} flow{'s' * (flows != 1)} in {len(found.files)} file{'s' * (len(found.files) != 1)}: "
            f"{with_errors} with errors, {with_warnings} with warnings only"
        )
        if found.errors:
            summary += f", {len(found.errors)} file error{'s' * (len(found.errors) != 1)}"
        click.echo(click.style(summary + ".", fg="red" if failed else "green"))
    if failed:
        sys.exit(1)


# -- compile / import / render ------------------------------------------------------------------------


@main.command(name="compile")
@click.argument("path", type=click.Path(exists=True, path_type=pathlib.Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="A .json file (one flow) or a folder (one <flow name>.json per flow). Default: standard output.",
)
def compile_(path: pathlib.Path, output: pathlib.Path | None) -> None:
    """Compile the flows in PATH (a file or folder) to the engine's flow JSON.

    With -o the JSON is written as is; on standard output secret (CREDENTIAL) values are masked,
    so that logs never hold them. Prints each file written.
    """
    from ._document import mask_secrets

    found = _discover([path])
    if found.errors:
        for error in found.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    flows = [source.flow for source in found.flows]
    if not flows:
        raise click.UsageError(f"{path} defines no flows.")
    if output is None:
        if len(flows) > 1:
            raise click.UsageError(f"{path} defines {len(flows)} flows; pass -o FOLDER to write them all.")
        masked = mask_secrets(flows[0].to_dict(), flows[0].catalog)
        click.echo(json.dumps(masked, indent=2, ensure_ascii=False))
        return
    if output.suffix.lower() == ".json" and not output.is_dir():
        if len(flows) > 1:
            raise click.UsageError(f"{path} defines {len(flows)} flows; -o must be a folder, not {output}.")
        targets = [output]
    else:
        output.mkdir(parents=True, exist_ok=True)
        targets = [output / f"{name}.json" for name in file_names(flow.name for flow in flows)]
    for flow, target in zip(flows, targets, strict=True):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(flow.to_json(), encoding="utf-8")
        except OSError as error:
            raise click.ClickException(f"{target}: cannot write: {error.strerror}") from None
        click.echo(str(target))


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    help="The .py file to write. Default: standard output.",
)
def import_(file: pathlib.Path, output: pathlib.Path | None) -> None:
    """Turn a flow JSON export (FILE) into Python DSL source that rebuilds it exactly.

    Secret values are not copied: the generated code reads them from environment variables.
    """
    from .compile import from_file, to_python

    source = to_python(from_file(file))
    if output is None:
        click.echo(source, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(source, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write: {error.strerror}") from None
    click.echo(str(output))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=pathlib.Path),
    default=None,
    help="File to write (one flow) or folder (several flows). Default: beside FILE.",
)
@click.option(
    "-f",
    "--format",
    "format_",
    type=click.Choice(["svg", "png", "pdf", "dot"], case_sensitive=False),
    default=None,
    help="Output format. Default: the suffix of --output, else svg.",
)
def render(file: pathlib.Path, output: pathlib.Path | None, format_: str | None) -> None:
    """Draw the flows in FILE (.py or .json) as SVG, PNG, PDF or Graphviz DOT.

    A .py file is run and its module-level Flow objects (or what its flows() function
    returns) are drawn; a .json file is a flow export. Prints each file written.
    Exit status: 0 drawn, 1 failure (an error in FILE, Graphviz missing...), 2 usage error.
    """
    from .render import render_file

    if file.suffix.lower() not in (".py", ".json"):
        raise click.BadParameter(f"{file} is not a .py or .json file.", param_hint="FILE")
    for path in render_file(file, output, format_):
        click.echo(str(path))


# -- preview ----------------------------------------------------------------------------------------


def _one_flow(file: pathlib.Path, name: str | None) -> Flow:
    """The flow of FILE to preview: its only one, or the one named ``name``."""
    from ._names import did_you_mean

    found = _discover([file])
    if found.errors:
        for error in found.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    flows = {source.flow.name: source.flow for source in found.flows}
    if not flows:
        raise click.UsageError(f"{file} defines no flows.")
    if name is None:
        if len(flows) > 1:
            raise click.UsageError(
                f"{file} defines {len(flows)} flows ({', '.join(map(repr, flows))}); choose one with --flow."
            )
        return next(iter(flows.values()))
    if name not in flows:
        hint = did_you_mean(name, list(flows)) or f"Its flows: {', '.join(map(repr, flows))}."
        raise click.BadParameter(f"{file} defines no flow {name!r}. {hint}", param_hint="--flow")
    return flows[name]


def _read_records(path: str) -> list[Any]:
    """Records from a JSON document (an array of records, or one record), from JSON Lines when
    the file ends in .jsonl or .ndjson; ``-`` reads a JSON document from standard input."""
    from ._json import MAX_JSON_BYTES, load_json, read_json_bytes
    from .errors import FlowFormatError

    location = "<stdin>" if path == "-" else path
    data = sys.stdin.buffer.read(MAX_JSON_BYTES + 1) if path == "-" else read_json_bytes(path)
    if not path.lower().endswith((".jsonl", ".ndjson")):
        document = load_json(data, location=location)
        return document if isinstance(document, list) else [document]
    records = []
    for number, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            try:
                records.append(load_json(line))
            except FlowFormatError as error:  # name the file's line, not the line's own "line 1"
                where = f"{location}:{number}"
                raise FlowFormatError(error.message, location=where, hint=error.hint) from None
    return records


def _parameters(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE.", param_hint="--param")
        values[name] = value
    return values


def _record_json(record: Record) -> dict[str, Any]:
    data: dict[str, Any] = {"value": record.value}
    if record.error_code is not None:
        data.update(
            error_code=record.error_code,
            error_message=record.error_message,
            error_stage=record.error_stage,
        )
    return data


def _preview_json(result: PreviewResult) -> dict[str, Any]:
    return {
        "flow": result.flow,
        "batches": result.batches,
        "stages": [
            {
                "instance_name": stage.instance_name,
                "label": stage.label,
                "stage": stage.stage_label,
                "input": [record.value for record in stage.input],
                "output": {
                    lane: [record.value for record in records] for lane, records in stage.output.items()
                },
                "events": [record.value for record in stage.events],
                "errors": [_record_json(record) for record in stage.errors],
            }
            for stage in result.values()
        ],
        "error_records": [_record_json(record) for record in result.error_records],
    }


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("--flow", "flow_name", default=None, help="The flow to run, when FILE defines several.")
@click.option(
    "-r",
    "--records",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    default=None,
    help="Records that replace the origin's own data: a JSON array (or one object), or JSON Lines "
    "(.jsonl); - reads standard input. Default: the origin's data (Dev Raw Data Source).",
)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Override a parameter.")
@click.option("--batch-size", type=click.IntRange(min=1), default=10, show_default=True)
@_format_option("text: records in and out per stage, and the error records; json: every record.")
def preview(
    file: pathlib.Path,
    flow_name: str | None,
    records: str | None,
    params: tuple[str, ...],
    batch_size: int,
    format_: str,
) -> None:
    """Run a flow of FILE (.py or .json) offline on sample records and show what each stage did.

    Stages run in-process in topological order (see the testing guide for the stages the
    runner supports); destinations write nothing and executors never run. Exit status: 0 the
    preview ran (error records are results, not failures), 1 it could not run (a stage the
    runner does not support, STOP_PIPELINE...), 2 usage error.
    """
    from .preview import preview as run_preview

    flow = _one_flow(file, flow_name)
    sample = _read_records(records) if records is not None else None
    result = run_preview(flow, sample, batch_size=batch_size, parameters=_parameters(params))
    if format_ == "json":
        click.echo(json.dumps(_preview_json(result), indent=2, ensure_ascii=False, default=str))
        return
    batches = f"{result.batches} batch" + ("" if result.batches == 1 else "es")
    click.echo(f"Preview of {flow.name!r}: {batches}.")
    _table(
        ["STAGE", "LABEL", "IN", "OUT", "EVENTS", "ERRORS"],
        [
            [
                stage.instance_name,
                stage.label,
                str(len(stage.input)),
                " / ".join(str(len(lane)) for lane in stage.output.values()) or "-",
                str(len(stage.events)),
                str(len(stage.errors)),
            ]
            for stage in result.values()
        ],
    )
    if result.error_records:
        policy = flow.configuration["error_record_policy"]
        click.echo(f"\nError records ({len(result.error_records)}, as the error stage gets them: {policy}):")
        for record in result.error_records:
            click.echo(
                f"  {record.error_stage}: {record.error_code} {record.error_message}\n"
                f"    {json.dumps(record.value, ensure_ascii=False, default=str)}"
            )


# -- plan / apply -----------------------------------------------------------------------------------


_COLOURS = {"create": "green", "update": "yellow", "delete": "red", "invalid": "red", "conflict": "red"}


def _echo_plan(plan: Plan, *, unchanged: bool) -> None:
    for line in plan.lines(unchanged=unchanged):
        action = line[2:].split(" ", 1)[0] if line[:1] in "+~=-!" and line[1:2] == " " else ""
        colour = _COLOURS.get(action)
        click.echo(click.style(line, fg=colour, bold=True) if colour else line)


def _planned(
    paths: tuple[pathlib.Path, ...], project: Project, prune: bool, validate: bool, settings: Settings
) -> Plan:
    from .plan import plan as make_plan

    found = _discover(_paths(paths, settings))
    if found.errors:
        for error in found.errors:
            click.echo(click.style(str(error), fg="red"), err=True)
        raise click.ClickException(
            f"{len(found.errors)} problem{'s' * (len(found.errors) != 1)} in the files; nothing was planned. "
            "Fix them and run again."
        )
    return make_plan(found.flows, project, prune=prune, validate=validate)


_plan_options: list[Callable[[_F], _F]] = [
    click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=pathlib.Path)),
    click.option(
        "--prune",
        is_flag=True,
        help="Also delete flows that apply stored earlier and that the files no longer define "
        "(flows made by hand are never deleted).",
    ),
    click.option(
        "--no-validate",
        "skip_validation",
        is_flag=True,
        help="Store flows even when they have validation errors.",
    ),
]


def _with_plan_options(function: _F) -> _F:
    for option in reversed(_plan_options):
        function = option(function)
    return _project_options(function)


@main.command()
@_with_plan_options
@_format_option("text: per flow, with diffs; json: for machines.")
def plan(
    paths: tuple[pathlib.Path, ...],
    prune: bool,
    skip_validation: bool,
    project: str | None,
    project_id: str | None,
    format_: str,
) -> None:
    """Show what apply would do to the project for the flows in PATHS; writes nothing.

    Per flow: create, update (with what changes: stages added and removed, configs changed,
    lanes added and removed, flow configuration), unchanged, and with --prune delete. Exit
    status: 1 when a flow cannot be applied (validation errors, ambiguous name), else 0.
    """
    settings = _settings()
    with _open_project(project, project_id, settings) as opened:
        planned = _planned(paths, opened, prune, not skip_validation, settings)
    if format_ == "json":
        _echo_json(planned.to_dict())
    else:
        _echo_plan(planned, unchanged=True)
    if planned.failures:
        sys.exit(1)


@main.command()
@_with_plan_options
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed when not on a terminal)."
)
@click.option(
    "--environment",
    "-e",
    default=None,
    help="Environment (name) that new flows go to. Default: [tool.flowbuilder] environment, else the "
    "project's only environment.",
)
def apply(
    paths: tuple[pathlib.Path, ...],
    prune: bool,
    skip_validation: bool,
    project: str | None,
    project_id: str | None,
    yes: bool,
    environment: str | None,
) -> None:
    """Make the project hold the flows in PATHS: create, update and (with --prune) delete.

    Shows the plan, asks for confirmation (unless --yes), then writes each flow on its own: a
    failure is reported with the flow's file and the others go on. A second apply with nothing
    changed writes nothing. Exit status: 0 all applied, 1 a flow failed, 2 usage error.
    """
    from .errors import NotFoundError
    from .plan import apply as run_apply

    settings = _settings()
    with _open_project(project, project_id, settings) as opened:
        planned = _planned(paths, opened, prune, not skip_validation, settings)
        wanted_environment = environment or settings.environment
        try:
            target = opened.environments.get(name=wanted_environment) if wanted_environment else None
        except NotFoundError as error:
            raise click.UsageError(f"--environment: {error}") from None
        _echo_plan(planned, unchanged=False)
        if not planned.has_changes:
            if planned.failures:
                sys.exit(1)
            click.echo("No changes.")
            return
        writes = sum(1 for change in planned.changes if change.writes)
        _confirm(f"Apply {writes} change{'s' * (writes != 1)} to project {opened.project_id}?", yes)
        with _progress(writes) as report:
            result = run_apply(planned, opened, environment=target, progress=report)
    done = {
        action: sum(1 for o in result.outcomes if o.ok and o.change.action == action)
        for action in ("create", "update", "delete", "unchanged")
    }
    summary = (
        f"Applied: {done['create']} created, {done['update']} updated, {done['delete']} deleted, "
        f"{done['unchanged']} unchanged"
    )
    if result.failures:
        click.echo(click.style(f"{summary}; {len(result.failures)} failed:", fg="red"), err=True)
        for outcome in result.failures:
            click.echo(click.style(f"  {outcome.line()}", fg="red"), err=True)
        sys.exit(1)
    click.echo(click.style(summary + ".", fg="green"))


@contextmanager
def _progress(total: int) -> Iterator[Callable[[Outcome], None]]:
    """Report each applied flow: a line per flow, under a rich progress bar on a terminal."""

    if total <= _PROGRESS_OVER or not _is_terminal(sys.stderr):

        def plain(outcome: Outcome) -> None:
            if outcome.ok and outcome.change.writes:  # failures are listed once, at the end
                click.echo(outcome.line())

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("apply", total=total)

        def bar(outcome: Outcome) -> None:
            if outcome.ok and outcome.change.writes:
                progress.console.print(outcome.line(), markup=False, highlight=False)
            if outcome.change.writes or outcome.change.action in ("invalid", "conflict"):
                progress.advance(task)

        yield bar


# -- flows ------------------------------------------------------------------------------------------


@main.group(cls=_Group)
def flows() -> None:
    """List, show, export, delete and duplicate the flows stored in a project."""


def _find(project: Project, reference: str) -> StreamsetsFlow:
    """The stored flow named ``reference`` (or with that id); an error when none or several."""
    from .errors import NotFoundError

    found = project.flows.get_all(name=reference)
    if len(found) > 1:
        ids = ", ".join(flow.flow_id for flow in found)
        raise click.ClickException(
            f"{len(found)} flows are named {reference!r} ({ids}); name one by its id instead."
        )
    if found:
        return found[0]
    try:
        return project.flows.get(flow_id=reference)
    except NotFoundError:
        raise click.ClickException(
            f"no flow named {reference!r} (nor with that id) in project {project.project_id}. "
            "List them with: flowbuilder flows list"
        ) from None


@flows.command(name="list")
@_project_options
@_format_option("text: a table; json: for machines.")
def flows_list(project: str | None, project_id: str | None, format_: str) -> None:
    """List the project's flows: name, id, stages, whether apply manages it, description."""
    from .plan import is_managed

    rows: list[dict[str, Any]] = []
    with _open_project(project, project_id) as opened:
        for flow in opened.flows:
            rows.append(
                {
                    "name": flow.name,
                    "flow_id": flow.flow_id,
                    "stages": len(flow.stages),
                    "managed": is_managed(flow.to_dict(), flow.name),
                    "engine_version": flow.engine_version,
                    "description": flow.description or "",
                }
            )
    if format_ == "json":
        _echo_json(rows)
        return
    _table(
        ["NAME", "FLOW ID", "STAGES", "MANAGED", "DESCRIPTION"],
        [
            [
                row["name"],
                row["flow_id"],
                str(row["stages"]),
                "yes" if row["managed"] else "no",
                row["description"],
            ]
            for row in rows
        ],
    )


@flows.command(name="show")
@click.argument("flow")
@_project_options
@_format_option("text: a summary; json: the stored document (secrets masked).")
def flows_show(flow: str, project: str | None, project_id: str | None, format_: str) -> None:
    """Show one stored FLOW (a name or a flow id): its stages, lanes and error stage."""
    from ._document import mask_secrets
    from .plan import is_managed

    with _open_project(project, project_id) as opened:
        stored = _find(opened, flow)
        environment = stored.environment
    definition = stored.to_dict()
    if format_ == "json":
        document = stored.to_document()
        document["pipeline_definition"] = mask_secrets(definition, stored.catalog)
        _echo_json(document)
        return
    click.echo(f"name:         {stored.name}")
    click.echo(f"flow id:      {stored.flow_id}")
    click.echo(f"description:  {stored.description or ''}")
    click.echo(f"engine:       {stored.engine_type} {stored.engine_version}")
    click.echo(f"environment:  {environment.name if environment else '(none)'}")
    click.echo(f"revision:     {stored.revision if stored.revision is not None else '(none)'}")
    managed = is_managed(definition, stored.name)
    click.echo(f"managed:      {'yes (stored by flowbuilder apply)' if managed else 'no'}")
    click.echo("stages:" + ("" if stored.stages else " (none)"))
    for stage in stored.stages:
        kind = stage.definition.label if stage.definition is not None else stage.stage_name
        click.echo(f"  {stage.instance_name}  {stage.label!r}  ({kind}, {stage.type})")
    lanes = [
        f"{source} -> {target}" + (f" ({data['kind']})" if data.get("kind") == "event" else "")
        for source, target, data in stored.graph.edges(data=True)
    ]
    click.echo("lanes:" + ("" if lanes else " (none)"))
    for lane in lanes:
        click.echo(f"  {lane}")
    error_stage = stored.error_stage
    click.echo(f"error stage:  {error_stage.instance_name if error_stage else '(none)'}")


@flows.command(name="export")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Export every flow of the project.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=pathlib.Path),
    help="A .zip archive (the project's export format), or a folder for --format json|py.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["zip", "json", "py"]),
    default=None,
    help="zip: one archive; json: one flow JSON per flow; py: one Python DSL file per flow. "
    "Default: zip when OUTPUT ends in .zip, else json.",
)
@_project_options
def flows_export(
    names: tuple[str, ...],
    all_: bool,
    output: pathlib.Path,
    format_: str | None,
    project: str | None,
    project_id: str | None,
) -> None:
    """Export stored flows (by name or id, or --all) to a zip, or to .json or .py files.

    Secret (CREDENTIAL) values are never exported: blanked in zip and JSON, read from
    environment variables in Python. Prints each file written.
    """
    from ._document import mask_secrets
    from .compile import to_python

    if bool(names) == all_:
        raise click.UsageError("give flow names (or ids), or --all, not both.")
    kind = format_ or ("zip" if output.suffix.lower() == ".zip" else "json")
    with _open_project(project, project_id) as opened:
        chosen = list(opened.flows) if all_ else [_find(opened, name) for name in names]
        if not chosen:
            raise click.ClickException(f"project {opened.project_id} has no flows to export.")
        if kind == "zip":
            click.echo(str(opened.export_flows(chosen, destination=output)))
            return
    output.mkdir(parents=True, exist_ok=True)
    files = [f"{name}.{kind}" for name in file_names(flow.name for flow in chosen)]
    for flow, name in zip(chosen, files, strict=True):
        if kind == "py":
            text = to_python(flow)
        else:
            blanked = mask_secrets(flow.to_dict(), flow.catalog, replacement="")
            text = json.dumps(blanked, indent=2, ensure_ascii=False) + "\n"
        target = output / name
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise click.ClickException(f"{target}: cannot write: {error.strerror}") from None
        click.echo(str(target))


@flows.command(name="delete")
@click.argument("flow")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed when not on a terminal)."
)
@_project_options
def flows_delete(flow: str, yes: bool, project: str | None, project_id: str | None) -> None:
    """Delete one stored FLOW (a name or a flow id)."""
    with _open_project(project, project_id) as opened:
        stored = _find(opened, flow)
        _confirm(f"Delete flow {stored.name!r} ({stored.flow_id}) from project {opened.project_id}?", yes)
        opened.delete_flow(stored)
    click.echo(f"deleted {stored.name} ({stored.flow_id})")


@flows.command(name="duplicate")
@click.argument("flow")
@click.argument("new_name")
@click.option("--description", default=None, help="Description of the copy (default: the original's).")
@_project_options
def flows_duplicate(
    flow: str, new_name: str, description: str | None, project: str | None, project_id: str | None
) -> None:
    """Copy one stored FLOW (a name or a flow id) under NEW_NAME."""
    with _open_project(project, project_id) as opened:
        stored = _find(opened, flow)
        copy = opened.duplicate_flow(stored, name=new_name, description=description)
    click.echo(f"duplicated {stored.name} as {copy.name} ({copy.flow_id})")


# -- catalog ----------------------------------------------------------------------------------------


@main.group(cls=_Group)
def catalog() -> None:
    """Search the bundled stage catalog and show a stage's configs."""


_ENGINES = click.Choice(["data_collector", "transformer", "snowflake"])


@catalog.command(name="search")
@click.argument("text")
@click.option("--engine", type=_ENGINES, default="data_collector", show_default=True)
def catalog_search(text: str, engine: str) -> None:
    """Stages whose label, name or library contains every word of TEXT, best first."""
    from .catalog import Catalog

    found = Catalog.default().search(text, engine=engine)
    if not found:
        raise click.ClickException(f"no stage matches {text!r}. Try fewer or shorter words.")
    _table(
        ["LABEL", "TYPE", "STAGE NAME", "VERSION", "LIBRARY"],
        [[d.label, d.type, d.name, d.version, d.library] for d in found],
    )


def _show_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@catalog.command(name="show")
@click.argument("label")
@click.option(
    "--type",
    "type_",
    type=click.Choice(["origin", "processor", "destination", "executor"]),
    default=None,
    help="Which stage, when several kinds share LABEL (Amazon S3 origin and destination...).",
)
@click.option("--engine", type=_ENGINES, default="data_collector", show_default=True)
@_format_option("text: a table; json: for machines.")
def catalog_show(label: str, type_: str | None, engine: str, format_: str) -> None:
    """Show the stage labelled LABEL: its configs with Python names, types, defaults and allowed values."""
    from .catalog import Catalog
    from .errors import StageNotFoundError

    catalog = Catalog.default()
    try:
        definition = catalog.get(label=label, type=type_, engine=engine)
    except StageNotFoundError as error:
        # Error stages and stats aggregators are looked up apart.
        for error_stage in (True, False):
            try:
                definition = catalog.get(
                    label=label,
                    type=type_,
                    engine=engine,
                    error_stage=error_stage,
                    stats_aggregator=not error_stage,
                )
                break
            except StageNotFoundError:
                continue
        else:
            message = str(error).replace("pass type=,", "pass --type,")
            raise click.ClickException(message) from None
    configs = [
        {
            "python_name": ref.python_name,
            "name": ref.name,
            "label": ref.definition.label,
            "type": ref.definition.type,
            "default": ref.definition.default,
            "required": ref.definition.required,
            "choices": list(ref.definition.choices) if ref.definition.choices else None,
            "service": ref.service,
        }
        for ref in definition.config_refs
    ]
    if format_ == "json":
        _echo_json(
            {
                "label": definition.label,
                "type": definition.type,
                "name": definition.name,
                "version": definition.version,
                "library": definition.library,
                "configs": configs,
            }
        )
        return
    kind = (
        "error stage"
        if definition.error_stage
        else "stats aggregator"
        if definition.stats_aggregator_stage
        else definition.type
    )
    click.echo(f"{definition.label} ({kind})")
    click.echo(f"stage name: {definition.name}  version: {definition.version}  library: {definition.library}")
    click.echo("")
    _table(
        ["PYTHON NAME", "TYPE", "DEFAULT", "REQUIRED", "ALLOWED VALUES"],
        [
            [
                config["python_name"],
                str(config["type"]),
                _show_value(config["default"]),
                "yes" if config["required"] else "",
                ", ".join(config["choices"] or []),
            ]
            for config in configs
        ],
    )


# -- serve ------------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default)."
)
@click.option("--port", default=8765, show_default=True, type=int, help="TCP port.")
@click.option(
    "--data",
    "data_dir",
    default=".flowbuilder",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory of the local store.",
)
@click.option(
    "--token",
    envvar="FLOWBUILDER_TOKEN",
    default=None,
    help="Bearer token clients must send (default: $FLOWBUILDER_TOKEN, else one is generated).",
)
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Answer this fraction of requests with 429/503 (for testing clients).",
)
def serve(host: str, port: int, data_dir: str, token: str | None, fault_rate: float) -> None:
    """Serve the watsonx.data integration flows REST API over the local store."""
    from .server import serve as run_server

    run_server(host=host, port=port, data_dir=data_dir, token=token, fault_rate=fault_rate)


if __name__ == "__main__":  # pragma: no cover
    main()
