"""A Scene as a Mermaid ``flowchart LR``, for Markdown that GitHub renders.

Node ids are ``s_`` plus the instance name reduced to ``[0-9A-Za-z_]`` (made unique), so no id
is a Mermaid keyword such as ``end``. Every label is a quoted string whose syntax characters
are ``#name;`` entities (see ``_escape.mermaid_text``).
"""

from __future__ import annotations

import re

from ._dot import EDGE_STYLES, INVALID_COLOUR, NODE_STYLES
from ._escape import mermaid_text, mermaid_title, shorten
from ._scene import STAGE_TYPES, Node, Scene

__all__ = ["to_mermaid_text"]

# Stage type -> (opening, closing) of the Mermaid node shape.
_SHAPES = {
    "origin": ("([", "])"),
    "processor": ("(", ")"),
    "destination": ("[(", ")]"),
    "executor": ("{{", "}}"),
    "other": ("[", "]"),
}
_NOT_ID = re.compile(r"[^0-9A-Za-z_]")
_EDGE_LABEL_WIDTH = 40


def to_mermaid_text(scene: Scene) -> str:
    """The scene as Mermaid source, ending with a newline."""
    ids: dict[str, str] = {}
    for node in (*scene.nodes, *scene.settings):
        candidate = base = "s_" + _NOT_ID.sub("_", node.key)
        number = 2
        while candidate in ids.values():
            candidate, number = f"{base}_{number}", number + 1
        ids[node.key] = candidate
    lines = ["---", f"title: {mermaid_title(scene.name)}", "---", "flowchart LR"]
    groups: dict[tuple[str, str], list[Node]] = {}
    for node in scene.nodes:
        if node.group is None:
            lines.append(f"    {_node(ids[node.key], node)}")
        else:
            groups.setdefault(node.group, []).append(node)
    for (instance, name), grouped in groups.items():
        title = mermaid_text(f"fragment {name}")
        lines.append(f'    subgraph fragment_{_NOT_ID.sub("_", instance)}["{title}"]')
        lines += [f"        {_node(ids[node.key], node)}" for node in grouped]
        lines.append("    end")
    if scene.settings:
        lines.append('    subgraph flow_settings["Flow settings"]')
        lines += [f"        {_node(ids[node.key], node)}" for node in scene.settings]
        lines.append("    end")
    for edge in scene.edges:
        arrow = "-->" if edge.kind == "data" else "-.->"
        label = (
            f'|"{mermaid_text(shorten(edge.label, _EDGE_LABEL_WIDTH))}"|' if edge.label is not None else ""
        )
        lines.append(f"    {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    nodes = (*scene.nodes, *scene.settings)
    for kind in (*STAGE_TYPES, "other"):
        members = [ids[node.key] for node in nodes if node.type == kind]
        if members:
            _, fill, line = NODE_STYLES[kind]
            lines.append(f"    classDef {kind} fill:{fill},stroke:{line},color:#212121")
            lines.append(f"    class {','.join(members)} {kind}")
    events = [str(index) for index, edge in enumerate(scene.edges) if edge.kind == "event"]
    if events:
        lines.append(f"    linkStyle {','.join(events)} stroke:{EDGE_STYLES['event'][1]}")
    for node in nodes:
        if node.invalid:
            lines.append(f"    style {ids[node.key]} stroke:{INVALID_COLOUR},stroke-width:3px")
    return "\n".join(lines) + "\n"


def _node(node_id: str, node: Node) -> str:
    opening, closing = ("[[", "]]") if node.fragment is not None else _SHAPES[node.type]
    text = f"{mermaid_text(node.label)}<br/><small>{mermaid_text(node.instance_name)}</small>"
    return f'{node_id}{opening}"{text}"{closing}'
