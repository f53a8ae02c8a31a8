"""Commands on a project: plan, apply, and the flows group (list, show, export, delete, duplicate)."""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from .._names import file_names, printable
from ._app import (
    _F,
    _PROGRESS_OVER,
    _confirm,
    _discover,
    _echo,
    _echo_json,
    _format_option,
    _Group,
    _is_terminal,
    _open_project,
    _paths,
    _project_options,
    _settings,
    _table,
    main,
)

if TYPE_CHECKING:
    from .._settings import Settings
    from ..plan import Outcome, Plan
    from ..project import Project, StreamsetsFlow

__all__: list[str] = []  # commands register themselves on main


# -- plan / apply -----------------------------------------------------------------------------------


_COLOURS = {"create": "green", "update": "yellow", "delete": "red", "invalid": "red", "conflict": "red"}


def _echo_plan(plan: Plan, *, unchanged: bool) -> None:
    for line in plan.lines(unchanged=unchanged):
        action = line[2:].split(" ", 1)[0] if line[:1] in "+~=-!" and line[1:2] == " " else ""
        colour = _COLOURS.get(action)
        _echo(line, fg=colour, bold=bool(colour))


def _planned(
    paths: tuple[pathlib.Path, ...], project: Project, prune: bool, validate: bool, settings: Settings
) -> Plan:
    from ..plan import plan as make_plan

    found = _discover(_paths(paths, settings))
    if found.errors:
        for error in found.errors:
            _echo(str(error), fg="red", err=True)
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
    from ..errors import NotFoundError
    from ..plan import apply as run_apply

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
            _echo("No changes.")
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
        _echo(f"{summary}; {len(result.failures)} failed:", fg="red", err=True)
        for outcome in result.failures:
            _echo(f"  {outcome.line()}", fg="red", err=True)
        sys.exit(1)
    _echo(summary + ".", fg="green")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[Outcome], None]]:
    """Report each applied flow: a line per flow, under a rich progress bar on a terminal."""

    if total <= _PROGRESS_OVER or not _is_terminal(sys.stderr):

        def plain(outcome: Outcome) -> None:
            if outcome.ok and outcome.change.writes:  # failures are listed once, at the end
                _echo(outcome.line())

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
                progress.console.print(printable(outcome.line()), markup=False, highlight=False)
            if outcome.change.writes or outcome.change.action in ("invalid", "conflict"):
                progress.advance(task)

        yield bar


# -- flows ------------------------------------------------------------------------------------------


@main.group(cls=_Group)
def flows() -> None:
    """List, show, export, delete and duplicate the flows stored in a project."""


def _find(project: Project, reference: str) -> StreamsetsFlow:
    """The stored flow named ``reference`` (or with that id); an error when none or several."""
    from ..errors import NotFoundError

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
    from ..plan import is_managed

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
    from .._document import mask_secrets
    from ..plan import is_managed

    with _open_project(project, project_id) as opened:
        stored = _find(opened, flow)
        environment = stored.environment
    definition = stored.to_dict()
    if format_ == "json":
        document = stored.to_document()
        document["pipeline_definition"] = mask_secrets(definition, stored.catalog)
        _echo_json(document)
        return
    _echo(f"name:         {stored.name}")
    _echo(f"flow id:      {stored.flow_id}")
    _echo(f"description:  {stored.description or ''}")
    _echo(f"engine:       {stored.engine_type} {stored.engine_version}")
    _echo(f"environment:  {environment.name if environment else '(none)'}")
    _echo(f"revision:     {stored.revision if stored.revision is not None else '(none)'}")
    managed = is_managed(definition, stored.name)
    _echo(f"managed:      {'yes (stored by flowbuilder apply)' if managed else 'no'}")
    _echo("stages:" + ("" if stored.stages else " (none)"))
    for stage in stored.stages:
        kind = stage.definition.label if stage.definition is not None else stage.stage_name
        _echo(f"  {stage.instance_name}  {stage.label!r}  ({kind}, {stage.type})")
    lanes = [
        f"{source} -> {target}" + (f" ({data['kind']})" if data.get("kind") == "event" else "")
        for source, target, data in stored.graph.edges(data=True)
    ]
    _echo("lanes:" + ("" if lanes else " (none)"))
    for lane in lanes:
        _echo(f"  {lane}")
    error_stage = stored.error_stage
    _echo(f"error stage:  {error_stage.instance_name if error_stage else '(none)'}")


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
    from .._document import mask_secrets
    from ..compile import to_python

    if bool(names) == all_:
        raise click.UsageError("give flow names (or ids), or --all, not both.")
    kind = format_ or ("zip" if output.suffix.lower() == ".zip" else "json")
    with _open_project(project, project_id) as opened:
        chosen = list(opened.flows) if all_ else [_find(opened, name) for name in names]
        if not chosen:
            raise click.ClickException(f"project {opened.project_id} has no flows to export.")
        if kind == "zip":
            _echo(str(opened.export_flows(chosen, destination=output)))
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
        _echo(str(target))


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
    _echo(f"deleted {stored.name} ({stored.flow_id})")


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
    _echo(f"duplicated {stored.name} as {copy.name} ({copy.flow_id})")
