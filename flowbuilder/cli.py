"""The ``flowbuilder`` command line: thin, it parses arguments, calls the library and prints.

Exit codes: 0 ok, 1 validation or apply failure, 2 usage error.
"""

from __future__ import annotations

import pathlib

import click

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flowbuilder")
def main() -> None:
    """Write, validate, compile, draw, test and ship StreamSets flows."""


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
    from .errors import FlowbuilderError
    from .render import render_file

    if file.suffix.lower() not in (".py", ".json"):
        raise click.BadParameter(f"{file} is not a .py or .json file.", param_hint="FILE")
    try:
        written = render_file(file, output, format_)
    except FlowbuilderError as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(str(path))


if __name__ == "__main__":  # pragma: no cover
    main()
