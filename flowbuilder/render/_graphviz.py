"""Running the Graphviz ``dot`` program on DOT text, with errors that say how to get it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import PurePath

from ..errors import FlowbuilderError

__all__ = ["FORMATS", "dot_available", "format_for", "missing_dot_error", "run_dot"]

#: Output formats: name -> what it is. ``dot`` is the DOT text itself and needs no Graphviz.
FORMATS = {"svg": "SVG image", "png": "PNG image", "pdf": "PDF document", "dot": "Graphviz DOT text"}
_SUFFIXES = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot", "gv": "dot"}
_INSTALL = (
    "Install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz; Windows: winget install graphviz) and make sure "
    "'dot' is on PATH. Without it, flow.to_dot() and flow.to_mermaid() still work, and so does "
    "render() to a .dot file."
)


def format_for(path: PurePath, format: str | None, *, flow: str | None = None) -> str:
    """The output format: ``format`` if given, else from the suffix of ``path``."""
    names = ", ".join(FORMATS)
    if format is not None:
        wanted = format.lower().lstrip(".")
        if wanted not in FORMATS:
            raise FlowbuilderError(
                f"cannot render to format {format!r}",
                flow=flow,
                location=str(path),
                hint=f"Use one of: {names}.",
            )
        return wanted
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in _SUFFIXES:
        got = f"suffix {path.suffix!r}" if suffix else "no suffix"
        raise FlowbuilderError(
            f"cannot tell the output format from {got}",
            flow=flow,
            location=str(path),
            hint=f"Name the file .svg, .png, .pdf or .dot, or pass format= ({names}).",
        )
    return _SUFFIXES[suffix]


def dot_available() -> bool:
    """True when the ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def missing_dot_error(flow: str | None, target: str | None) -> FlowbuilderError:
    """The error raised when the ``dot`` program cannot be found."""
    return FlowbuilderError(
        "cannot draw: the Graphviz 'dot' program is not installed (not found on PATH)",
        flow=flow,
        location=target,
        hint=_INSTALL,
    )


def run_dot(source: str, format: str, *, flow: str | None = None, target: str | None = None) -> bytes:
    """The output of ``dot -T<format>`` for ``source``; FlowbuilderError when dot is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        raise missing_dot_error(flow, target)
    try:
        done = subprocess.run(
            [program, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, check=False
        )
    except OSError as error:
        raise FlowbuilderError(
            f"cannot run {program}: {error.strerror}", flow=flow, location=target, hint=_INSTALL
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise FlowbuilderError(
            f"Graphviz 'dot' failed: {message}",
            flow=flow,
            location=target,
            hint="This is a flowbuilder bug: please report it with the flow's to_dot() text.",
        )
    return done.stdout
