"""Commands on the stage catalog: search, show."""

from __future__ import annotations

import json
from typing import Any

import click

from ._app import _echo, _echo_json, _format_option, _Group, _table, main

__all__: list[str] = []  # commands register themselves on main


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
    from ..catalog import Catalog

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
    from ..catalog import Catalog
    from ..errors import StageNotFoundError

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
    shown = definition.to_dict()
    configs = shown["configs"]
    if format_ == "json":
        _echo_json(shown)
        return
    kind = shown["kind"]
    _echo(f"{definition.label} ({kind})")
    _echo(f"stage name: {definition.name}  version: {definition.version}  library: {definition.library}")
    _echo("")
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
