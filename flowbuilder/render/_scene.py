"""What a diagram shows, whatever the language: stages, lanes, settings stages and issues.

``scene(flow)`` reads the flow's graph and validation once and returns plain frozen data that
the DOT and Mermaid writers turn into text. Order follows the flow (stages as added or
imported, lanes by source, kind and output), so the same flow always gives the same scene.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..catalog import StageDefinition
from ..stage import Stage
from ._escape import shorten

if TYPE_CHECKING:
    from ..flow import Flow
    from ..validate import Issue

__all__ = ["STAGE_TYPES", "Edge", "Node", "Scene", "scene"]

#: The kinds of canvas stage drawn distinctly; anything else (opaque stages) is drawn as "other".
STAGE_TYPES = ("origin", "processor", "destination", "executor")

# Off-canvas stages, in the order the settings cluster lists them: role -> (Flow property, title).
_ROLES = {
    "error": ("error_stage", "error records"),
    "stats": ("stats_aggregator_stage", "statistics aggregator"),
    "start": ("start_event", "pipeline start event"),
    "stop": ("stop_event", "pipeline stop event"),
    "test_origin": ("test_origin", "test origin"),
}
_MAX_CONFIGS = 12
_LINE = 100


def _issue_lines(errors: tuple[str, ...], warnings: tuple[str, ...]) -> list[str]:
    """The issues section of a tooltip: errors, then warnings, each under its heading."""
    lines: list[str] = []
    if errors:
        lines += ["", "Validation errors:", *(f"  ✗ {text}" for text in errors)]
    if warnings:
        lines += ["", "Warnings:", *(f"  ! {text}" for text in warnings)]
    return lines


@dataclass(frozen=True)
class Node:
    """One stage as drawn: ``key`` is its unique id in the drawing (the instance name if free)."""

    key: str
    label: str
    instance_name: str
    type: str
    role: str | None
    details: tuple[str, ...]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The fragment a collapsed fragment stage stands for (its name), else None.
    fragment: str | None = None
    #: For a stage of an expanded fragment: (fragment instance id, fragment name), else None.
    group: tuple[str, str] | None = None

    @property
    def invalid(self) -> bool:
        """True when validation found an error on this stage."""
        return bool(self.errors)

    @property
    def tooltip(self) -> str:
        """Everything known about the stage, one fact a line, issues last."""
        return "\n".join([*self.details, *_issue_lines(self.errors, self.warnings)])


@dataclass(frozen=True)
class Edge:
    """One lane: ``kind`` is ``data`` or ``event``; ``label`` the full predicate or output name."""

    source: str
    target: str
    kind: str
    label: str | None
    tooltip: str


@dataclass(frozen=True)
class Scene:
    """A flow ready to draw: canvas nodes, settings nodes, edges and flow-level issues."""

    name: str
    description: str
    nodes: tuple[Node, ...]
    settings: tuple[Node, ...]
    edges: tuple[Edge, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def error_count(self) -> int:
        """How many validation errors the flow has, on stages and on the flow itself."""
        return len(self.errors) + sum(len(node.errors) for node in (*self.nodes, *self.settings))

    @property
    def tooltip(self) -> str:
        """The flow's name and description, then its flow-level issues."""
        lines = [self.name, *([self.description] if self.description else [])]
        return "\n".join([*lines, *_issue_lines(self.errors, self.warnings)])


def scene(flow: Flow, *, expand_fragments: bool = False) -> Scene:
    """Read ``flow`` (and its validation) into a Scene; with ``expand_fragments``, each fragment
    stage is replaced by the fragment's stages, grouped (else it is one node)."""
    names: dict[str, str] = {}
    for used in flow.stages:
        if used.ui_info.get("fragmentGroupStage"):
            names[str(used.ui_info.get("fragmentInstanceId"))] = str(
                used.ui_info.get("fragmentName") or used.ui_info.get("fragmentId") or used.label
            )
    if expand_fragments and names:
        flow = flow.expanded()
    issues: dict[str, list[Issue]] = {}
    flow_issues: list[Issue] = []
    for issue in flow.validate().issues:
        if issue.stage:
            issues.setdefault(issue.stage, []).append(issue)
        else:
            flow_issues.append(issue)
    graph = flow.graph
    nodes: list[Node] = []
    for key, data in graph.nodes(data=True):
        stage: Stage = data["stage"]
        node = _node(key, stage, None, issues.pop(stage.instance_name, []))
        instance = stage.ui_info.get("fragmentInstanceId")
        if stage.ui_info.get("fragmentGroupStage"):
            node = replace(node, fragment=names.get(str(instance), stage.label))
        elif isinstance(instance, str) and instance in names:
            node = replace(node, group=(instance, names[instance]))
        nodes.append(node)
    keys = [node.key for node in nodes]
    taken = set(keys)
    settings: list[Node] = []
    for role, (attribute, _) in _ROLES.items():
        special: Stage | None = getattr(flow, attribute)
        if special is None:
            continue
        key = _free(special.instance_name, taken)
        taken.add(key)
        settings.append(_node(key, special, role, issues.pop(special.instance_name, [])))
    for leftover in issues.values():
        flow_issues.extend(leftover)
    order = {key: index for index, key in enumerate(keys)}
    edges = []
    for source in keys:
        out = sorted(
            graph.out_edges(source, data=True),
            key=lambda e: (e[2]["kind"] != "data", e[2]["output"], order[e[1]], e[2]["position"]),
        )
        stage = graph.nodes[source]["stage"]
        lanes = stage.output_lanes
        conditions = _conditions(stage) if out else {}
        for _, target, data in out:
            edges.append(
                _edge(stage, graph.nodes[target]["stage"], data, (source, target), lanes, conditions)
            )
    return Scene(
        name=flow.name,
        description=flow.description,
        nodes=tuple(nodes),
        settings=tuple(settings),
        edges=tuple(edges),
        errors=tuple(_issue_text(i) for i in flow_issues if i.severity == "error"),
        warnings=tuple(_issue_text(i) for i in flow_issues if i.severity != "error"),
    )


def _free(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate


def _node(key: str, stage: Stage, role: str | None, issues: list[Issue]) -> Node:
    kind = stage.type if stage.type in STAGE_TYPES else "other"
    what = _ROLES[role][1] if role is not None else kind
    details = [stage.label, f"{stage.instance_name} · {what}"]
    if stage.ui_info.get("fragmentGroupStage"):
        ui = stage.ui_info
        details.append(
            f"fragment: {ui.get('fragmentName') or ui.get('fragmentId')} (instance "
            f"{ui.get('fragmentInstanceId')}, parameter prefix {ui.get('parameterNamePrefix')!r})"
        )
    if stage.definition is not None:
        details.append(f"stage: {stage.definition.label} ({stage.stage_name}, version {stage.version})")
        details.append(f"library: {stage.library}")
        configs = list(_configs(stage))
        if configs:
            details += ["", "Configs set:"]
            details += [f"  {line}" for line in configs[:_MAX_CONFIGS]]
            if len(configs) > _MAX_CONFIGS:
                details.append(f"  … and {len(configs) - _MAX_CONFIGS} more")
    else:
        details.append(f"stage: {stage.stage_name} (version {stage.version}), not in the catalog")
        details.append(f"library: {stage.library}")
    return Node(
        key=key,
        label=stage.label,
        instance_name=stage.instance_name,
        type=kind,
        role=role,
        details=tuple(details),
        errors=tuple(_issue_text(i) for i in issues if i.severity == "error"),
        warnings=tuple(_issue_text(i) for i in issues if i.severity != "error"),
    )


def _configs(stage: Stage) -> Iterator[str]:
    """``name = value`` for each config changed from its default, secrets and predicates left out.

    Opaque stages never get here: without a definition nothing says which values are secret.
    """
    definition = stage.definition
    assert definition is not None
    fresh = _fresh_values(definition)
    for key in stage.configuration:
        ref = definition.resolve(key)
        if ref is None or ref.definition.holds_secret or ref.definition.model_type == "PREDICATE":
            continue
        value = stage.configuration[key]
        if key in fresh and value == fresh[key]:
            continue
        yield shorten(f"{key} = {_show(value)}", _LINE)


@lru_cache(maxsize=512)
def _fresh_values(definition: StageDefinition) -> dict[str, Any]:
    """The config values of a new instance of ``definition``: what "changed" is measured from."""
    fresh = Stage.from_definition(definition, "_", "_")
    return {key: fresh.configuration[key] for key in fresh.configuration}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _conditions(stage: Stage) -> dict[str, Any]:
    """A Stream Selector's condition per output lane (the first, when lanes repeat)."""
    if stage.definition is None or not stage.definition.has_predicates:
        return {}
    found: dict[str, Any] = {}
    for entry in stage.predicates:
        lane = entry.get("outputLane")
        if isinstance(lane, str):
            found.setdefault(lane, entry.get("predicate"))
    return found


def _edge(
    source: Stage,
    target: Stage,
    data: dict[str, Any],
    keys: tuple[str, str],
    lanes: tuple[str, ...],
    conditions: dict[str, Any],
) -> Edge:
    """One lane drawn; ``lanes`` and ``conditions`` are the source's, read once for all its lanes."""
    source_key, target_key = keys
    kind = str(data["kind"])
    output = int(data["output"])
    route = f"{source.label} → {target.label}"
    if kind == "event":
        event_lane = source.event_lanes[0] if source.event_lanes else "event lane"
        return Edge(source_key, target_key, kind, None, f"{route}\nevents ({event_lane})")
    lane = lanes[output] if 0 <= output < len(lanes) else None
    if source.definition is not None and source.definition.has_predicates:
        predicate = conditions.get(lane) if lane is not None else None
        text = str(predicate) if predicate is not None else f"lane {lane}"
        condition = "otherwise (default)" if text == "default" else f"when {text}"
        return Edge(source_key, target_key, kind, text, f"{route}\n{condition}")
    label = None
    if len(lanes) > 1:
        names = source.definition.output_stream_labels if source.definition is not None else ()
        label = names[output] if output < len(names) else f"output {output + 1}"
    return Edge(source_key, target_key, kind, label, f"{route}\nlane {lane}")


def _issue_text(issue: Issue) -> str:
    where = f" [{issue.config}]" if issue.config else ""
    hint = f" ({issue.hint})" if issue.hint else ""
    return f"{issue.code}{where}: {issue.message}{hint}"
