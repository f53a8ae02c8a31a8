"""The serve command: the flows REST API over a local store."""

from __future__ import annotations

import click

from ._app import main

__all__: list[str] = []  # commands register themselves on main


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
    from ..server import serve as run_server

    if token is not None and not token.strip():
        raise click.UsageError(
            "the token is empty: clients could not present it. Pass a non-empty --token (or "
            "$FLOWBUILDER_TOKEN), or none and one is generated and printed."
        )

    run_server(host=host, port=port, data_dir=data_dir, token=token, fault_rate=fault_rate)
