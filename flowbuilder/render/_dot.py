"""A Scene as a ``graphviz.Digraph``: left to right, one shape and colour per stage type.

Node labels are Graphviz HTML-like labels (bold stage label over the instance name); every
other piece of user text is a DOT ``escString`` marked ``nohtml`` so that ``<...>`` stays text.
Each node and edge carries an SVG ``class`` (``stage origin invalid``, ``lane event``...) so the
drawing can be styled or inspected.

The graph, cluster and legend statements go through ``graphviz``; the node and edge statements,
one per stage and lane, are written here (:func:`statement`): ``graphviz``'s general quoting
cost half the drawing's time at 100,000 stages, and it reads ``a:b`` in an edge as node ``a``,
port ``b``, where a stage's name is a name whatever it holds.
"""

from __future__ import annotations

import re

import graphviz

from ._escape import dot_html, dot_string, dot_tooltip, shorten, wrap
from ._scene import STAGE_TYPES, Edge, Node, Scene

__all__ = ["EDGE_STYLES", "INVALID_COLOUR", "NODE_STYLES", "statement", "to_digraph"]

#: Stage type -> (Graphviz shape, fill colour, outline colour).
NODE_STYLES = {
    "origin": ("cds", "#e3f4e1", "#2e7d32"),
    "processor": ("box", "#e1ecf7", "#1565c0"),
    "destination": ("cylinder", "#fdebd3", "#c25e00"),
    "executor": ("hexagon", "#efe3f6", "#6a1b9a"),
    "other": ("note", "#eeeeee", "#616161"),
}
#: Lane kind -> (line style, colour).
EDGE_STYLES = {"data": ("solid", "#37474f"), "event": ("dashed", "#8e24aa")}
#: The outline of a stage with validation errors.
INVALID_COLOUR = "#d32f2f"
_FONT = "Helvetica,Arial,sans-serif"
_LABEL_WIDTH = 30
_LABEL_LINES = 3
_EDGE_LABEL_WIDTH = 32
# A DOT ID that needs no quotes: a name or a numeral, other than a keyword.
_BARE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)")
_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})


def to_digraph(scene: Scene, *, legend: bool = True) -> graphviz.Digraph:
    """The scene as a Digraph whose source is deterministic text."""
    graph = graphviz.Digraph(name=_id(scene.name or "flow"))
    graph.attr(
        "graph",
        rankdir="LR",
        label=_header(scene, legend),
        labelloc="t",
        labeljust="l",
        fontname=_FONT,
        fontsize="11",
        tooltip=_tooltip(scene.tooltip),
        bgcolor="white",
        nodesep="0.3",
        ranksep="0.5",
    )
    graph.attr("node", fontname=_FONT, fontsize="11", style="filled", margin="0.15,0.06")
    graph.attr("edge", fontname=_FONT, fontsize="10", arrowsize="0.8")
    groups: dict[tuple[str, str], list[Node]] = {}
    for node in scene.nodes:
        if node.group is None:
            _add_node(graph, node)
        else:
            groups.setdefault(node.group, []).append(node)
    for (instance, name), members in groups.items():
        with graph.subgraph(name=_id(f"cluster_fragment_{instance}")) as cluster:
            cluster.attr(
                label=_text(f"fragment {name} ({instance})"),
                style="rounded",
                color="#00838f",
                fontcolor="#00838f",
                fontsize="11",
                tooltip=_tooltip(f"fragment {name}, instance {instance}"),
                **{"class": "fragment"},
            )
            for node in members:
                _add_node(cluster, node)
    if scene.settings:
        with graph.subgraph(name="cluster_flow_settings") as cluster:
            cluster.attr(
                label="Flow settings",
                style="rounded,dashed",
                color="#9e9e9e",
                fontcolor="#616161",
                fontsize="11",
                tooltip="Stages outside the canvas: error records, statistics, events",
            )
            for node in scene.settings:
                _add_node(cluster, node)
    for edge in scene.edges:
        _add_edge(graph, edge)
    return graph


def _add_node(graph: graphviz.Digraph, node: Node) -> None:
    shape, fill, line = NODE_STYLES[node.type]
    style = "rounded,filled" if shape == "box" else "filled"
    lines = "<BR/>".join(_bold(text) for text in wrap(node.label, _LABEL_WIDTH, _LABEL_LINES))
    name = dot_html(shorten(node.instance_name, 40))
    label = f'<{lines}<BR/><FONT POINT-SIZE="9" COLOR="#546e7a">{name}</FONT>>'
    classes = [
        "stage",
        node.type,
        *(["fragment"] if node.fragment is not None else []),
        *([f"settings {node.role}"] if node.role else []),
        *(["invalid"] if node.invalid else []),
    ]
    attributes = {
        "class": " ".join(classes),
        "color": INVALID_COLOUR if node.invalid else line,
        "fillcolor": fill,
        "penwidth": "3" if node.invalid else "1.2",
        **({"peripheries": "2"} if node.fragment is not None else {}),  # a fragment: a box of boxes
        "shape": shape,
        "style": style,
        "tooltip": dot_tooltip(node.tooltip),
    }
    graph.body.append(statement(_quote(dot_string(node.key)), label, attributes))


def _add_edge(graph: graphviz.Digraph, edge: Edge) -> None:
    style, colour = EDGE_STYLES[edge.kind]
    tooltip = dot_tooltip(edge.tooltip)
    attributes = {"class": f"lane {edge.kind}", "color": colour}
    label = None
    if edge.label is not None:
        label = _quote(dot_string(shorten(edge.label, _EDGE_LABEL_WIDTH)))
        attributes.update(fontcolor=colour, labeltooltip=tooltip)
    attributes.update(style=style, tooltip=tooltip)
    ends = f"{_quote(dot_string(edge.source))} -> {_quote(dot_string(edge.target))}"
    graph.body.append(statement(ends, label, attributes))


def statement(head: str, label: str | None, attributes: dict[str, str]) -> str:
    r"""One DOT statement line: ``head`` (a node ID or ``a -> b``, already quoted), then ``label``
    (already a DOT value: quoted text or an HTML-like ``<...>``), then ``attributes`` in the
    order given, each value quoted where DOT needs it. Values are escaped text (``dot_string``).

    >>> statement("a -> b", None, {"color": "#37474f", "style": "solid", "tooltip": "a to b"})
    '\ta -> b [color="#37474f" style=solid tooltip="a to b"]\n'
    """
    values = [f"label={label}"] if label is not None else []
    values.extend(f"{name}={_quote(value)}" for name, value in attributes.items())
    return f"\t{head} [{' '.join(values)}]\n"


def _quote(value: str) -> str:
    """``value`` (escaped text) as a DOT ID: bare when DOT reads it as one, else in quotes."""
    if _BARE.fullmatch(value) and value.lower() not in _KEYWORDS:
        return value
    return f'"{value}"'


def _header(scene: Scene, legend: bool) -> str:
    """The graph label: the flow's name and error count, then the legend as one row."""
    errors = scene.error_count
    title = _bold(shorten(scene.name, 80))
    if errors:
        title += (
            f' <FONT COLOR="{INVALID_COLOUR}">({errors} validation error{"s" if errors != 1 else ""})</FONT>'
        )
    if not legend:
        return f'<<FONT POINT-SIZE="14">{title}</FONT>>'
    cells = []
    types = [*STAGE_TYPES, *(["other"] if any(n.type == "other" for n in scene.nodes) else [])]
    for kind in types:
        _, fill, line = NODE_STYLES[kind]
        cells.append(f'<TD BGCOLOR="{fill}" COLOR="{line}" BORDER="1">{kind}</TD>')
    for kind, sample in (("data", "——→"), ("event", "- - →")):
        colour = EDGE_STYLES[kind][1]
        cells.append(f'<TD><FONT COLOR="{colour}">{sample}</FONT> {kind} lane</TD>')
    cells.append(f'<TD COLOR="{INVALID_COLOUR}" BORDER="2">validation error</TD>')
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2">'
        f'<TR><TD ALIGN="LEFT" COLSPAN="{len(cells)}"><FONT POINT-SIZE="14">{title}</FONT></TD></TR>'
        f"<TR>{''.join(cells)}</TR></TABLE>>"
    )


def _bold(text: str) -> str:
    # Graphviz rejects an empty <B></B>: a blank line keeps its place with a space.
    return f"<B>{dot_html(text) or ' '}</B>"


def _text(text: str) -> str:
    """User text as a DOT attribute value that never reads as HTML or as a backslash escape."""
    return graphviz.nohtml(dot_string(text))  # type: ignore[no-any-return]


def _tooltip(text: str) -> str:
    return graphviz.nohtml(dot_tooltip(text))  # type: ignore[no-any-return]


def _id(key: str) -> str:
    return graphviz.nohtml(dot_string(key))  # type: ignore[no-any-return]
