"""Diagrams of flows: Graphviz (DOT, SVG, PNG, PDF), Mermaid, and notebook display.

Origins, processors, destinations and executors get their own shape and colour; data lanes
are solid, event lanes dashed; Stream Selector lanes carry their predicates; the error stage
and the other off-canvas stages sit in a "Flow settings" cluster; stages with validation errors
are outlined in red with the issues in their tooltip. Secrets (CREDENTIAL configs) are never
drawn. The same flow always gives the same text.

Inside: ``_scene`` turns a flow into a neutral scene of nodes and edges; ``_dot`` and
``_mermaid`` write a scene in their language; ``_escape`` keeps user text from breaking either;
``_graphviz`` runs the ``dot`` program.

>>> from flowbuilder import Flow
>>> flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
>>> print(to_mermaid(flow), end="")
---
title: "orders"
---
flowchart LR
    s_DevRawDataSource_01(["Dev Raw Data Source 1<br/><small>DevRawDataSource_01</small>"])
    s_Trash_01[("Trash 1<br/><small>Trash_01</small>")]
    subgraph flow_settings["Flow settings"]
        s_Discard_ErrorStage[("Error Records - Discard<br/><small>Discard_ErrorStage</small>")]
        ...
    end
    s_DevRawDataSource_01 --> s_Trash_01
    ...
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import graphviz

from .._gc import paused_gc
from .._names import file_names
from ..errors import FlowbuilderError
from ._dot import to_digraph
from ._graphviz import FORMATS as _FORMATS
from ._graphviz import dot_available, format_for, run_dot
from ._mermaid import to_mermaid_text
from ._scene import scene

if TYPE_CHECKING:
    from ..flow import Flow

__all__ = [
    "render",
    "render_file",
    "repr_mimebundle",
    "repr_svg",
    "to_dot",
    "to_graphviz",
    "to_mermaid",
]


def to_graphviz(flow: Flow, *, legend: bool = True, expand_fragments: bool = False) -> graphviz.Digraph:
    """The flow as a ``graphviz.Digraph``, left to right, with a legend unless ``legend=False``.

    >>> from flowbuilder import Flow
    >>> flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    >>> graph = to_graphviz(flow)
    >>> "rankdir=LR" in graph.source, "DevRawDataSource_01 -> Trash_01" in graph.source
    (True, True)
    """
    with paused_gc():  # a drawing is hundreds of thousands of objects, none of them in a cycle
        return to_digraph(scene(flow, expand_fragments=expand_fragments), legend=legend)


def to_dot(flow: Flow, *, legend: bool = True, expand_fragments: bool = False) -> str:
    """The flow as Graphviz DOT text; deterministic, so it diffs well and can be committed.

    A fragment stage is one node drawn with a double outline; with ``expand_fragments`` the
    fragment's stages are drawn instead, in a cluster named after the fragment.

    >>> from flowbuilder import Flow
    >>> flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    >>> text = to_dot(flow)
    >>> text.splitlines()[0], text == to_dot(flow)
    ('digraph orders {', True)
    >>> [line.split(" [")[0].strip() for line in text.splitlines() if "->" in line]
    ['DevRawDataSource_01 -> Trash_01']
    """
    source: str = to_graphviz(flow, legend=legend, expand_fragments=expand_fragments).source
    return source


def to_mermaid(flow: Flow, *, expand_fragments: bool = False) -> str:
    """The flow as a Mermaid ``flowchart LR`` (for Markdown that GitHub renders), ending in a newline.

    Node ids are safe identifiers (``s_`` and the instance name); labels escape Mermaid's
    syntax characters as ``#quot;``-style entities.

    >>> from flowbuilder import Flow
    >>> selector = Flow("routes").source("Dev Raw Data Source").to("Stream Selector")
    >>> _ = selector.when("${record:value('/a') > 1}").to("Trash")
    >>> [line.strip() for line in to_mermaid(selector.flow).splitlines() if "-->|" in line]
    ['s_StreamSelector_01 -->|"${record#58;value(\\'/a\\') #gt; 1}"| s_Trash_01']
    """
    with paused_gc():
        return to_mermaid_text(scene(flow, expand_fragments=expand_fragments))


def render(
    flow: Flow, path: str | Path, format: str | None = None, *, expand_fragments: bool = False
) -> Path:
    """Draw the flow to ``path`` with Graphviz's ``dot``; returns the path written.

    The format is ``format`` if given (``svg``, ``png``, ``pdf`` or ``dot``), else the suffix of
    ``path``. ``dot`` writes the DOT text and needs no Graphviz; the others run the ``dot``
    program, and raise FlowbuilderError saying how to install Graphviz when it is missing.

    >>> import tempfile, pathlib
    >>> from flowbuilder import Flow
    >>> flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> written = render(flow, folder / "orders.svg")
    >>> written.name, "<svg" in written.read_text()
    ('orders.svg', True)
    """
    target = Path(path)
    kind = format_for(target, format, flow=flow.name)
    text = to_dot(flow, expand_fragments=expand_fragments)
    data = text.encode("utf-8") if kind == "dot" else run_dot(text, kind, flow=flow.name, target=str(target))
    try:
        target.write_bytes(data)
    except OSError as error:
        raise FlowbuilderError(
            f"cannot write the {_FORMATS[kind]}: {error.strerror}",
            flow=flow.name,
            location=str(target),
            hint="Check that the folder exists and is writable.",
        ) from None
    return target


def repr_svg(flow: Flow) -> str | None:
    """The flow as SVG text for notebooks (``Flow._repr_svg_``); None when ``dot`` is missing.

    >>> from flowbuilder import Flow
    >>> svg = repr_svg(Flow("orders").source("Dev Raw Data Source").to("Trash").flow)
    >>> svg is None or "</svg>" in svg
    True
    """
    if not dot_available():
        return None
    return run_dot(to_dot(flow), "svg", flow=flow.name).decode("utf-8")


def repr_mimebundle(
    flow: Flow, include: Collection[str] | None = None, exclude: Collection[str] | None = None
) -> dict[str, str]:
    """The notebook display of a flow (``Flow._repr_mimebundle_``): SVG, else Mermaid Markdown.

    ``text/plain`` is always there. ``image/svg+xml`` is there when ``dot`` runs; otherwise
    (or when asked for by ``include``) ``text/markdown`` holds the Mermaid diagram. Notebooks
    rank Markdown above SVG, so giving both would hide the SVG.

    >>> from flowbuilder import Flow
    >>> flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    >>> sorted(repr_mimebundle(flow, include={"text/plain", "text/markdown"}))
    ['text/markdown', 'text/plain']
    >>> repr_mimebundle(flow, include={"text/markdown"})["text/markdown"].splitlines()[0]
    '```mermaid'
    """

    def wanted(mime: str) -> bool:
        return (include is None or mime in include) and (exclude is None or mime not in exclude)

    bundle: dict[str, str] = {}
    if wanted("image/svg+xml"):
        svg = repr_svg(flow)
        if svg is not None:
            bundle["image/svg+xml"] = svg
    asked = include is not None and "text/markdown" in include
    if wanted("text/markdown") and ("image/svg+xml" not in bundle or asked):
        bundle["text/markdown"] = f"```mermaid\n{to_mermaid(flow)}```\n"
    if wanted("text/plain"):
        bundle["text/plain"] = repr(flow)
    return bundle


def render_file(
    source: str | Path,
    output: str | Path | None = None,
    format: str | None = None,
    *,
    expand_fragments: bool = False,
) -> list[Path]:
    """Draw every flow in a ``.json`` or ``.py`` file; returns the paths written.

    A ``.py`` file is run in isolation; its flows are what its ``flows()`` function returns,
    else every module-level Flow. Errors in the file are reported with file and line.
    Without ``output`` the drawings go beside ``source`` (``orders.json`` -> ``orders.svg``;
    several flows -> ``orders.<flow name>.svg``). ``output`` is a file for one flow, else a
    folder (created if missing). The format is ``format``, else the output's suffix, else svg.
    ``expand_fragments`` draws each fragment's stages instead of its one fragment stage.

    >>> import tempfile, pathlib
    >>> from flowbuilder import Flow
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> source = folder / "orders.json"
    >>> _ = source.write_text(Flow("orders").source("Dev Raw Data Source").to("Trash").flow.to_json())
    >>> [path.name for path in render_file(source, format="dot")]
    ['orders.dot']
    """
    from .._sources import load_flows  # finding flows in files is the floor above: loaded on call

    source_path = Path(source)
    flows = load_flows(source_path)
    if output is not None:
        out = Path(output)
        is_folder = out.is_dir() or (len(flows) > 1 and not out.suffix)
        if not is_folder and len(flows) > 1:
            raise FlowbuilderError(
                f"defines {len(flows)} flows, so the output must be a folder; got the file {out}",
                location=str(source_path),
                hint="Pass a folder with -o/output (it is created if missing).",
            )
    else:
        out, is_folder = source_path.parent, True
    if is_folder:
        kind = format_for(out, format) if format is not None else "svg"
        out.mkdir(parents=True, exist_ok=True)
        names = _file_names(source_path, flows, prefix=output is None)
        targets = [out / f"{name}.{kind}" for name in names]
    else:
        kind = format_for(out, format) if format is not None or out.suffix else "svg"
        targets = [out if out.suffix else out.with_suffix(f".{kind}")]
    return [
        render(flow, target, format=kind, expand_fragments=expand_fragments)
        for flow, target in zip(flows, targets, strict=True)
    ]


def _file_names(source: Path, flows: list[Flow], *, prefix: bool) -> list[str]:
    """One file name (no suffix) per flow: the source's stem, and the flow name when there are several."""
    if len(flows) == 1:
        return [source.stem]
    return file_names([flow.name for flow in flows], prefix=source.stem if prefix else "")
