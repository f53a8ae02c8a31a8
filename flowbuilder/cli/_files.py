"""Commands on flow files: validate, compile, import, render, preview."""

from __future__ import annotations

import json
import pathlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from .._names import file_names
from ._app import _discover, _echo, _echo_json, _format_option, _paths, _table, main

if TYPE_CHECKING:
    from ..flow import Flow

__all__: list[str] = []  # commands register themselves on main


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
                            {"file": str(source.file), "line": source.line_of(issue.stage), **issue.to_dict()}
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
            _echo(str(error), fg="red")
        for source, result in reports:
            errors, warnings = len(result.errors), len(result.warnings)
            if not result.issues:
                _echo(f"{source.location}: flow {source.name!r}: ok")
                continue
            counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
            _echo(f"{source.location}: flow {source.name!r}: {counts}", bold=True)
            for issue in [*result.errors, *result.warnings]:
                where = f"{source.file}:{source.line_of(issue.stage)}"
                if issue.severity == "error":
                    _echo(f"{where}: {issue}")
                else:
                    _echo(f"{where}: warning: {issue}")
        flows = len(reports)
        with_errors = sum(1 for _, result in reports if result.errors)
        with_warnings = sum(1 for _, result in reports if result.warnings and not result.errors)
        summary = (
            f"{flows} flow{'s' * (flows != 1)} in {len(found.files)} file{'s' * (len(found.files) != 1)}: "
            f"{with_errors} with errors, {with_warnings} with warnings only"
        )
        if found.errors:
            summary += f", {len(found.errors)} file error{'s' * (len(found.errors) != 1)}"
        _echo(summary + ".", fg="red" if failed else "green")
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
    from .._document import mask_secrets

    found = _discover([path])
    if found.errors:
        for error in found.errors:
            _echo(str(error), err=True)
        sys.exit(1)
    flows = [source.flow for source in found.flows]
    if not flows:
        raise click.UsageError(f"{path} defines no flows.")
    if output is None:
        if len(flows) > 1:
            raise click.UsageError(f"{path} defines {len(flows)} flows; pass -o FOLDER to write them all.")
        masked = mask_secrets(flows[0].to_dict(), flows[0].catalog)
        _echo(json.dumps(masked, indent=2, ensure_ascii=False))
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
        _echo(str(target))


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
    from ..compile import from_file, to_python

    source = to_python(from_file(file))
    if output is None:
        _echo(source, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(source, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write: {error.strerror}") from None
    _echo(str(output))


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
@click.option(
    "--expand-fragments",
    is_flag=True,
    default=False,
    help="Draw each fragment's stages (in a box named after it) instead of one fragment stage.",
)
def render(
    file: pathlib.Path, output: pathlib.Path | None, format_: str | None, expand_fragments: bool
) -> None:
    """Draw the flows in FILE (.py or .json) as SVG, PNG, PDF or Graphviz DOT.

    A .py file is run and its module-level Flow objects (or what its flows() function
    returns) are drawn; a .json file is a flow export. Prints each file written.
    Exit status: 0 drawn, 1 failure (an error in FILE, Graphviz missing...), 2 usage error.
    """
    from ..render import render_file

    if file.suffix.lower() not in (".py", ".json"):
        raise click.BadParameter(f"{file} is not a .py or .json file.", param_hint="FILE")
    for path in render_file(file, output, format_, expand_fragments=expand_fragments):
        _echo(str(path))


# -- preview ----------------------------------------------------------------------------------------


def _one_flow(file: pathlib.Path, name: str | None) -> Flow:
    """The flow of FILE to preview: its only one, or the one named ``name``."""
    from .._names import did_you_mean

    found = _discover([file])
    if found.errors:
        for error in found.errors:
            _echo(str(error), err=True)
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
    from .._json import MAX_JSON_BYTES, load_json, read_json_bytes
    from ..errors import FlowFormatError

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
    from ..preview import preview as run_preview

    flow = _one_flow(file, flow_name)
    sample = _read_records(records) if records is not None else None
    result = run_preview(flow, sample, batch_size=batch_size, parameters=_parameters(params))
    if format_ == "json":
        _echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
        return
    batches = f"{result.batches} batch" + ("" if result.batches == 1 else "es")
    _echo(f"Preview of {flow.name!r}: {batches}.")
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
        _echo(f"\nError records ({len(result.error_records)}, as the error stage gets them: {policy}):")
        for record in result.error_records:
            _echo(
                f"  {record.error_stage}: {record.error_code} {record.error_message}\n"
                f"    {json.dumps(record.value, ensure_ascii=False, default=str)}"
            )
