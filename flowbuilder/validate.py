"""Offline validation of a flow against the catalog: every issue, at once, with a fix hint.

Rules follow the engine's own validator (``PipelineConfigurationValidator``); where the engine
has a code for a rule it is given as ``engine_code``. Codes are stable strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ._gc import paused_gc
from ._lanes import incoming, outgoing, topological_order
from ._names import a
from .catalog import ConfigDefinition, StageDefinition, java_string
from .configuration import check_value
from .errors import ConfigError, FlowValidationError

if TYPE_CHECKING:
    from .flow import Flow
    from .stage import Stage

__all__ = ["RULES", "Issue", "ValidationResult", "validate"]

#: Every rule: code -> (severity, engine code or None, what it means).
RULES: Mapping[str, tuple[str, str | None, str]] = {
    "FLOW_EMPTY": ("error", "VALIDATION_0001", "the flow has no stages"),
    "FLOW_NO_ORIGIN": ("error", "VALIDATION_0003", "no origin on the canvas"),
    "FLOW_MULTIPLE_ORIGINS": ("error", "VALIDATION_0004", "Data Collector flows take exactly one origin"),
    "FLOW_CYCLE": ("error", "VALIDATION_0002", "stages that feed themselves through a cycle"),
    "STAGE_DUPLICATE_NAME": ("error", "VALIDATION_0005", "two stages share an instance name"),
    "STAGE_INVALID_NAME": ("error", "VALIDATION_0016", "instance name with characters the engine rejects"),
    "STAGE_UNKNOWN": ("error", "VALIDATION_0006", "stage not in the catalog (a warning on imported flows)"),
    "STAGE_VERSION_UNKNOWN": (
        "warning",
        "CONTAINER_0901",
        "stage version not in the catalog; a nearby one used",
    ),
    "STAGE_HIDDEN_ON_CANVAS": (
        "error",
        "CREATION_007",
        "an error stage or stats aggregator used on the canvas",
    ),
    "ORIGIN_WITH_INPUTS": ("error", "VALIDATION_0012", "an origin with input lanes"),
    "TARGET_WITH_OUTPUTS": ("error", "VALIDATION_0013", "a destination or executor with output lanes"),
    "INPUT_MISSING": ("error", "VALIDATION_0014", "a processor, destination or executor with no input"),
    "OUTPUT_UNCONNECTED": ("error", "VALIDATION_0011", "an output lane no stage reads"),
    "OUTPUT_COUNT": ("warning", "VALIDATION_0015", "output lanes differ from the definition's count"),
    "OUTPUT_DUPLICATE": ("error", "VALIDATION_0010", "one lane produced by two stages"),
    "LANE_DANGLING": ("error", "VALIDATION_0002", "an input lane that no stage produces"),
    "LANES_PARALLEL": ("error", "VALIDATION_0039", "two stages joined by more than one lane"),
    "EVENT_NOT_PRODUCED": ("error", "VALIDATION_0102", "an event lane on a stage that produces no events"),
    "EVENT_LANES_MULTIPLE": ("error", "VALIDATION_0101", "more than one event lane"),
    "EVENT_UNCONNECTED": ("error", "VALIDATION_0104", "an event lane no stage reads"),
    "EVENT_DATA_CROSS": ("error", "VALIDATION_0103", "a stage fed by both the event path and the data path"),
    "SELECTOR_NO_DEFAULT": ("error", None, "Stream Selector whose last condition is not 'default'"),
    "SELECTOR_LANES": ("warning", None, "Stream Selector conditions and output lanes disagree"),
    "CONFIG_REQUIRED": ("error", "VALIDATION_0007", "a required config without a value"),
    "CONFIG_TYPE": ("error", "VALIDATION_0009", "a config value of the wrong type"),
    "CONFIG_VALUE": ("error", "CREATION_010", "a value outside the config's allowed values"),
    "CONFIG_MIN": ("error", "VALIDATION_0035", "a number below the config's minimum"),
    "CONFIG_MAX": ("error", "VALIDATION_0034", "a number above the config's maximum"),
    "CONFIG_UNKNOWN": ("error", "VALIDATION_0008", "a config the stage's definition does not declare"),
    "CONFIG_INACTIVE": ("warning", None, "a config set although its dependencies make it inactive"),
    "PRECONDITION_NOT_EL": ("error", "VALIDATION_0080", "a precondition not written as ${...}"),
    "SERVICES_MISMATCH": ("error", "VALIDATION_0200", "services differ from what the definition requires"),
    "ERROR_STAGE_MISSING": ("error", "CREATION_009", "no error stage"),
    "ERROR_STAGE_INVALID": ("error", "CREATION_008", "the error stage is not an error-stage definition"),
    "ERROR_STAGE_OUT_OF_SYNC": ("warning", None, "badRecordsHandling names another stage than errorStage"),
    "SPECIAL_STAGE_LANES": ("error", "VALIDATION_0012", "an error, stats or lifecycle stage with lanes"),
    "LIFECYCLE_STAGE_INVALID": (
        "error",
        "CREATION_018",
        "a start/stop event stage that is not a lifecycle stage",
    ),
    "LIFECYCLE_STAGES_MULTIPLE": ("error", "VALIDATION_0105", "more than one start or stop event stage"),
    # Fragments. The engine's own codes for these are not in the sources we have: none is named.
    "FRAGMENT_INPUTS_MULTIPLE": ("error", None, "a fragment with more than one stage waiting for input"),
    "FRAGMENT_ORIGIN_AND_INPUT": ("error", None, "a fragment with an origin and an open input"),
    "FRAGMENT_LANE_UNCONNECTED": ("error", None, "a fragment stage with its input or an output unconnected"),
    "FRAGMENT_UNRESOLVED": ("error", None, "a fragment stage whose fragment cannot be expanded"),
}

_VALID_NAME = re.compile(r"^[\w\s]+$")
_EL = re.compile(r"^\s*\$\{.*\}\s*$", re.S)


@dataclass(frozen=True)
class Issue:
    """One problem found in a flow.

    ``stage`` is the instance name (None for flow-level issues), ``config`` the Python name of
    the config concerned, ``engine_code`` the engine's equivalent code when it has one.
    """

    code: str
    severity: str
    message: str
    hint: str | None = None
    stage: str | None = None
    config: str | None = None
    engine_code: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready form.

        >>> Issue("FLOW_NO_ORIGIN", "error", "has no origin").to_dict()["code"]
        'FLOW_NO_ORIGIN'
        """
        return {
            "code": self.code,
            "severity": self.severity,
            "stage": self.stage,
            "config": self.config,
            "message": self.message,
            "hint": self.hint,
            "engine_code": self.engine_code,
        }

    def __str__(self) -> str:
        where = " ".join(part for part in (self.stage, f"[{self.config}]" if self.config else None) if part)
        text = f"{self.code} {where + ': ' if where else ''}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ValidationResult:
    """Every issue found in a flow; truthy when there is no error.

    >>> from flowbuilder import Flow
    >>> result = Flow("demo").source("Dev Raw Data Source").flow.validate()
    >>> bool(result), [issue.code for issue in result.issues]
    (False, ['OUTPUT_UNCONNECTED'])
    """

    def __init__(self, flow_name: str, issues: list[Issue]) -> None:
        self.flow_name = flow_name
        self.issues = issues

    @property
    def errors(self) -> list[Issue]:
        """The issues of severity ``error``."""
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """The issues of severity ``warning``."""
        return [issue for issue in self.issues if issue.severity == "warning"]

    def __bool__(self) -> bool:
        return not self.errors

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def raise_for_errors(self) -> ValidationResult:
        """Raise FlowValidationError listing every error; return self when there is none."""
        errors = self.errors
        if errors:
            listing = "\n".join(f"  - {issue}" for issue in errors)
            raise FlowValidationError(
                f"has {len(errors)} validation error{'s' if len(errors) > 1 else ''}:\n{listing}",
                issues=errors,
                flow=self.flow_name,
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the flow, whether it is valid, the counts and every issue.

        >>> from flowbuilder import Flow
        >>> Flow("demo").source("Dev Raw Data Source").to("Trash").flow.validate().to_dict()
        {'flow': 'demo', 'valid': True, 'errors': 0, 'warnings': 0, 'issues': []}
        """
        return {
            "flow": self.flow_name,
            "valid": bool(self),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [issue.to_dict() for issue in self.issues],
        }

    def __repr__(self) -> str:
        return f"ValidationResult(errors={len(self.errors)}, warnings={len(self.warnings)})"


class _Collector:
    def __init__(self, imported: bool) -> None:
        self.issues: list[Issue] = []
        self.imported = imported

    def add(
        self,
        code: str,
        message: str,
        *,
        stage: str | None = None,
        config: str | None = None,
        hint: str | None = None,
        severity: str | None = None,
    ) -> None:
        default_severity, engine_code, _ = RULES[code]
        self.issues.append(
            Issue(code, severity or default_severity, message, hint, stage, config, engine_code)
        )


def validate(flow: Flow) -> ValidationResult:
    """Check ``flow`` against every rule in :data:`RULES`; linear in stages plus lanes.

    >>> from flowbuilder import Flow
    >>> flow = Flow("demo").source("Dev Raw Data Source").to("Trash").flow
    >>> validate(flow).issues
    []
    """
    with paused_gc():
        return _validate(flow)


def _validate(flow: Flow) -> ValidationResult:
    out = _Collector(imported=flow._imported is not None)
    graph = flow._graph
    fragment = hasattr(flow, "fragment_id") or (flow._imported is not None and flow._imported.is_fragment)
    stages: list[Stage] = [data["stage"] for _, data in graph.nodes(data=True)]
    if not stages and not fragment:
        out.add("FLOW_EMPTY", "has no stages", hint="Add an origin with flow.source(...).")
    _check_graph(flow, stages, out, fragment)
    used = False
    for stage in stages:
        if stage.ui_info.get("fragmentGroupStage"):
            used = True
            _check_fragment_stage(flow, stage, out)
        else:
            _check_stage(flow, stage, out, fragment)
    if fragment:
        _check_fragment_ends(flow, stages, out)
    elif used:
        _check_expanded(flow, out)
    _check_special(flow, out, fragment)
    if not fragment:
        checked = len(out.issues)
        _check_configs(flow.configuration._definition, flow._configs, [], None, out, pipeline=True)
        against = _other_version(flow) if out.imported else None
        if against is not None:
            _as_warnings(out, checked, against)
    return ValidationResult(flow.name, out.issues)


#: Checks whose outcome depends on the engine version: a choice one version offers and another does
#: not (``executionMode`` ``CLUSTER`` of older engines), a config one version requires.
_VERSIONED = frozenset({"CONFIG_VALUE", "CONFIG_REQUIRED"})


def _other_version(flow: Flow) -> str | None:
    """How the flow's configs were checked when not against its own engine version: the catalog's
    version and what wrote the flow (None when they are the same version)."""
    catalog = flow.catalog.engine_version(flow.engine)
    written = flow._imported.written_by if flow._imported is not None else None
    if written is None:
        return f"checked against engine {catalog}; the version that wrote the flow is not recorded"
    if written != catalog:
        return f"checked against engine {catalog}; the flow was written by {written}"
    return None


def _as_warnings(out: _Collector, start: int, against: str) -> None:
    """Make the version-dependent issues found since ``start`` warnings that say how they were checked."""
    for index in range(start, len(out.issues)):
        issue = out.issues[index]
        if issue.code in _VERSIONED and issue.severity == "error":
            out.issues[index] = replace(issue, severity="warning", message=f"{issue.message} ({against})")


def _check_graph(flow: Flow, stages: list[Stage], out: _Collector, fragment: bool) -> None:
    graph = flow._graph
    origins = [s for s in stages if s.stage_type == "SOURCE"]
    if stages and not origins and not fragment:
        out.add("FLOW_NO_ORIGIN", "has no origin", hint="Start the flow with flow.source('<origin label>').")
    if len(origins) > 1 and flow.engine == "data_collector":
        names = ", ".join(s.instance_name for s in origins)
        for origin in origins[1:]:
            out.add(
                "FLOW_MULTIPLE_ORIGINS",
                f"is a second origin (origins: {names})",
                stage=origin.instance_name,
                hint="Data Collector flows take one origin; remove the others or use a Transformer flow.",
            )
    order = topological_order(graph)
    if order is None:
        from networkx import strongly_connected_components

        for component in strongly_connected_components(graph):
            members = sorted(component)
            if len(members) > 1 or graph.has_edge(members[0], members[0]):
                cycle = [graph.nodes[n]["stage"].instance_name for n in members]
                out.add(
                    "FLOW_CYCLE",
                    f"is in a cycle: {' -> '.join(cycle)}",
                    stage=cycle[0],
                    hint="Remove one of the lanes of the cycle; flows must be acyclic.",
                )
    producers: dict[str, str] = {}
    for stage in stages:
        if stage._node != stage.instance_name:
            out.add(
                "STAGE_DUPLICATE_NAME",
                "is used by two stages",
                stage=stage.instance_name,
                hint="Rename one of them.",
            )
        for lane in (*stage._output_lanes, *stage._event_lanes):
            if lane in producers and producers[lane] != stage.instance_name:
                out.add(
                    "OUTPUT_DUPLICATE",
                    f"produces lane {lane!r}, already produced by {producers[lane]}",
                    stage=stage.instance_name,
                    hint="Give each output lane a unique name.",
                )
            producers.setdefault(lane, stage.instance_name)
    if order is not None:
        _check_event_paths(flow, order, out)


def _check_event_paths(flow: Flow, order: list[str], out: _Collector) -> None:
    graph = flow._graph
    path: dict[str, str] = {}
    for node in order:
        kinds = set()
        for source, data in incoming(graph, node):
            kinds.add("event" if data["kind"] == "event" else path.get(source, "data"))
        if kinds == {"event", "data"}:
            out.add(
                "EVENT_DATA_CROSS",
                "is fed by both event lanes and data lanes",
                stage=graph.nodes[node]["stage"].instance_name,
                hint="Keep the event path (from >= / .events()) apart from the data path.",
            )
        path[node] = "event" if "event" in kinds else "data"


def _fragment_name(stage: Stage) -> str:
    return str(stage.ui_info.get("fragmentName") or stage.ui_info.get("fragmentId") or stage.label)


def _check_fragment_stage(flow: Flow, stage: Stage, out: _Collector) -> None:
    """A fragment stage: its lanes (every one the fragment leaves open must be connected); its
    fragment's stages are checked on the expanded flow."""
    graph = flow._graph
    name, fragment = stage.instance_name, _fragment_name(stage)
    if stage.stage_type != "SOURCE" and not incoming(graph, stage._node) and not stage._dangling:
        out.add(
            "FRAGMENT_LANE_UNCONNECTED",
            f"uses fragment {fragment!r}, whose input is not connected",
            stage=name,
            hint=f"Connect a stage to it: upstream.to(fragment) or upstream >> flow.stage({name!r}).",
        )
    used = {d["output"] for _, d in outgoing(graph, stage._node) if d["kind"] == "data"}
    for index, lane in enumerate(stage._output_lanes):
        if index not in used:
            out.add(
                "FRAGMENT_LANE_UNCONNECTED",
                f"uses fragment {fragment!r}, whose output {index} ({lane!r}) goes nowhere",
                stage=name,
                hint="Connect it: continue the path with .to(...), or use "
                f"connect_output_to(..., output_idx={index}).",
            )
    for _position, lane in stage._dangling:
        out.add(
            "LANE_DANGLING",
            f"reads lane {lane!r}, which no stage produces",
            stage=name,
            hint="Connect it to an existing stage or remove the lane.",
        )


def _check_fragment_ends(flow: Flow, stages: list[Stage], out: _Collector) -> None:
    """A fragment's own rules: one open input at most, and not both an origin and an input."""
    graph = flow._graph
    waiting = [
        s for s in stages if s.stage_type != "SOURCE" and not s._dangling and not incoming(graph, s._node)
    ]
    for stage in waiting[1:]:
        out.add(
            "FRAGMENT_INPUTS_MULTIPLE",
            f"has no input, and {waiting[0].instance_name} already takes the fragment's input",
            stage=stage.instance_name,
            hint="A fragment has one input: connect this stage to another stage of the fragment.",
        )
    origins = [s for s in stages if s.stage_type == "SOURCE"]
    if origins and waiting:
        out.add(
            "FRAGMENT_ORIGIN_AND_INPUT",
            f"has an origin ({origins[0].instance_name}) and an open input",
            stage=waiting[0].instance_name,
            hint="An origin fragment takes no input: connect this stage inside the fragment.",
        )


#: Issues of a fragment's stages that the fragment stage's own checks already report.
_COVERED_BY_FRAGMENT_STAGE = frozenset({"INPUT_MISSING", "OUTPUT_UNCONNECTED", "LANE_DANGLING"})


def _check_expanded(flow: Flow, out: _Collector) -> None:
    """The flow's fragments as the engine runs them: the expanded flow's issues on their stages."""
    from .compile import expand
    from .errors import FlowbuilderError

    try:
        expanded = expand(flow)
    except FlowbuilderError as error:  # no definition, a cycle, or an embedded one unreadable
        out.add("FRAGMENT_UNRESOLVED", error.message, hint=error.hint)
        return
    inner: dict[str, str] = {}
    for stage in expanded.stages:
        if stage.ui_info.get("fragmentInstanceId") and not stage.ui_info.get("fragmentGroupStage"):
            inner[stage.instance_name] = str(stage.ui_info["fragmentInstanceId"])
    for issue in _validate(expanded).issues:
        if issue.stage not in inner or issue.code in _COVERED_BY_FRAGMENT_STAGE:
            continue
        message = f"(in fragment instance {inner[issue.stage]}) {issue.message}"
        out.issues.append(replace(issue, message=message))


def _check_stage(flow: Flow, stage: Stage, out: _Collector, fragment: bool) -> None:
    graph = flow._graph
    name = stage.instance_name
    definition = stage.definition
    if not _VALID_NAME.match(name):
        out.add(
            "STAGE_INVALID_NAME",
            "has characters other than letters, digits, spaces and _",
            stage=name,
            hint="Rename it, e.g. " + repr(re.sub(r"[^\w\s]", "_", name)) + ".",
        )
    if definition is None:
        out.add(
            "STAGE_UNKNOWN",
            f"uses {stage.stage_name} v{stage.version} ({stage.library}), not in the catalog",
            stage=name,
            severity="warning" if out.imported else None,
            hint="Load the engine's definitions with Catalog.load(path) to check it.",
        )
    else:
        if str(stage.version) != definition.version:
            out.add(
                "STAGE_VERSION_UNKNOWN",
                f"is version {stage.version}; the catalog has {definition.label!r} v{definition.version}",
                stage=name,
                hint="Its configs were checked against that version; the engine upgrades older ones.",
            )
        if definition.error_stage or definition.stats_aggregator_stage:
            out.add(
                "STAGE_HIDDEN_ON_CANVAS",
                f"{definition.label!r} is not a canvas stage",
                stage=name,
                hint="Use flow.set_error_stage() or set_stats_aggregator_stage() for it.",
            )
    in_edges = incoming(graph, stage._node)
    out_edges = outgoing(graph, stage._node)
    has_inputs = bool(in_edges or stage._dangling)
    kind = stage.stage_type
    if kind == "SOURCE" and has_inputs:
        out.add(
            "ORIGIN_WITH_INPUTS",
            "is an origin but has input lanes",
            stage=name,
            hint="Origins start a flow; connect into the next stage instead.",
        )
    if kind in ("TARGET", "EXECUTOR") and stage._output_lanes:
        out.add(
            "TARGET_WITH_OUTPUTS",
            f"is {a(stage.type)} but has output lanes",
            stage=name,
            hint="Destinations and executors end a path.",
        )
    if kind in ("PROCESSOR", "TARGET", "EXECUTOR") and not has_inputs and not fragment:
        out.add(
            "INPUT_MISSING",
            f"is {a(stage.type)} with no input",
            stage=name,
            hint="Connect a stage to it, e.g. upstream >> this.",
        )
    for _position, lane in stage._dangling:
        out.add(
            "LANE_DANGLING",
            f"reads lane {lane!r}, which no stage produces",
            stage=name,
            hint="Connect it to an existing stage or remove the lane.",
        )
    used_outputs = {d["output"] for _, d in out_edges if d["kind"] == "data"}
    used_events = {d["output"] for _, d in out_edges if d["kind"] == "event"}
    if not fragment and kind in ("SOURCE", "PROCESSOR"):
        for index, lane in enumerate(stage._output_lanes):
            if index not in used_outputs:
                out.add(
                    "OUTPUT_UNCONNECTED",
                    f"output lane {lane!r} goes nowhere",
                    stage=name,
                    hint="Connect it to a stage (Trash discards records).",
                )
    if not fragment:
        for index, lane in enumerate(stage._event_lanes):
            if index not in used_events:
                out.add(
                    "EVENT_UNCONNECTED",
                    f"event lane {lane!r} goes nowhere",
                    stage=name,
                    hint="Connect it to an executor or Trash, or drop the event lane.",
                )
    if len(stage._event_lanes) > 1:
        out.add(
            "EVENT_LANES_MULTIPLE",
            f"has {len(stage._event_lanes)} event lanes",
            stage=name,
            hint="A stage has at most one event lane.",
        )
    if definition is not None:
        if stage._event_lanes and not definition.producing_events:
            out.add(
                "EVENT_NOT_PRODUCED",
                f"{definition.label!r} produces no events but has an event lane",
                stage=name,
                hint="Remove the event lane.",
            )
        fixed = definition.output_streams
        if (
            kind in ("SOURCE", "PROCESSOR")
            and not definition.variable_output_streams
            and fixed
            and len(stage._output_lanes) != fixed
        ):
            out.add(
                "OUTPUT_COUNT",
                f"has {len(stage._output_lanes)} output lanes; {definition.label!r} has {fixed}",
                stage=name,
            )
        if definition.has_predicates:
            _check_predicates(stage, out)
    sources: dict[str, int] = {}
    for source, _data in in_edges:
        sources[source] = sources.get(source, 0) + 1
    for source, count in sources.items():
        if count > 1:
            out.add(
                "LANES_PARALLEL",
                f"reads {count} lanes of {graph.nodes[source]['stage'].instance_name}",
                stage=name,
                hint="Put a Dev Identity (or any processor) on one of the lanes.",
            )
    if definition is not None and _configs_checked(stage, definition, out):
        checked = len(out.issues)
        _check_services(stage, definition, out)
        _check_configs(definition, stage._configs, stage._services, name, out)
        if out.imported and definition.source and definition.is_third_party:
            # The catalog's build of a third-party stage, not necessarily the one that wrote it.
            _as_warnings(
                out,
                checked,
                f"checked against {definition.library} v{definition.version} as the catalog has it; "
                "another build of that version may differ",
            )
    elif definition is not None:
        _check_required_across_versions(definition, stage, out)


def _configs_checked(stage: Stage, definition: StageDefinition, out: _Collector) -> bool:
    """Whether to check a stage's configs against ``definition``: always when authoring; on import
    only when it is the stage's own version (the engine upgrades older configs itself)."""
    return str(stage.version) == definition.version or not out.imported


def _check_required_across_versions(definition: StageDefinition, stage: Stage, out: _Collector) -> None:
    """An imported stage at a version the catalog lacks: its configs are not checked against
    another version's (the engine upgrades them), except the one check an engine makes of every
    version: a required value the document holds empty. A config is matched by name, else by its
    field name (``conf.account`` and ``conf.connection.account``); what is found is a warning
    that names the version checked against."""
    entries: list[Mapping[str, Any]] = [e for e in stage._configs if isinstance(e, Mapping)]
    for block in stage._services:
        entries.extend(e for e in block.get("configuration") or [] if isinstance(e, Mapping))
    stored = {str(entry.get("name")): entry.get("value") for entry in entries}
    by_field: dict[str, list[str]] = {}
    for name in stored:
        by_field.setdefault(name.rsplit(".", 1)[-1], []).append(name)
    matched: dict[str, str] = {}  # the definition's config name -> the document's
    value_of: dict[str, Any] = {}
    for ref in definition.config_refs:
        field = ref.definition.field_name or ref.name.rsplit(".", 1)[-1]
        candidates = [ref.name] if ref.name in stored else by_field.get(field, [])
        if len(candidates) == 1:
            matched[ref.name] = candidates[0]
            value_of[ref.name] = stored[candidates[0]]
        else:
            value_of[ref.name] = ref.definition.initial
    for ref in definition.config_refs:
        config = ref.definition
        if ref.name not in matched or not config.required or not config.is_active(value_of):
            continue
        if config.is_missing(value_of[ref.name]):
            out.add(
                "CONFIG_REQUIRED",
                f"({matched[ref.name]}) is empty, and v{definition.version} of {definition.label!r}, the "
                f"version checked against, requires it (the stage is v{stage.version})",
                stage=stage.instance_name,
                config=ref.python_name,
                severity="warning",
                hint=f"Set it, e.g. {ref.python_name}=...",
            )


def _check_predicates(stage: Stage, out: _Collector) -> None:
    predicates = stage.configuration.get("lanePredicates")
    if not isinstance(predicates, list) or not predicates:
        out.add(
            "SELECTOR_NO_DEFAULT",
            "has no conditions",
            stage=stage.instance_name,
            config="condition",
            hint="Add branches with .when(...) and .otherwise().",
        )
        return
    if not isinstance(predicates[-1], Mapping) or predicates[-1].get("predicate") != "default":
        out.add(
            "SELECTOR_NO_DEFAULT",
            "does not end with the 'default' condition",
            stage=stage.instance_name,
            config="condition",
            hint="Set stage.predicates; flowbuilder keeps 'default' last.",
        )
    lanes = [p.get("outputLane") for p in predicates if isinstance(p, Mapping)]
    if lanes != list(stage._output_lanes):
        out.add(
            "SELECTOR_LANES",
            "conditions name other lanes than its output lanes",
            stage=stage.instance_name,
            config="condition",
            hint="Set conditions through stage.predicates so both stay in step.",
        )


def _check_services(stage: Stage, definition: StageDefinition, out: _Collector) -> None:
    if not stage._services and not definition.service_dependencies:
        return
    wanted = {provides for provides, _ in definition.service_dependencies}
    present = {block.get("service") for block in stage._services}
    if wanted != present:
        missing = ", ".join(sorted(wanted - present)) or "none"
        extra = ", ".join(sorted(str(s) for s in present - wanted)) or "none"
        out.add(
            "SERVICES_MISMATCH",
            f"services differ from the definition (missing: {missing}; extra: {extra})",
            stage=stage.instance_name,
        )


def _check_configs(
    definition: StageDefinition | None,
    configs: list[dict[str, Any]],
    services: list[dict[str, Any]],
    stage: str | None,
    out: _Collector,
    pipeline: bool = False,
) -> None:
    if definition is None or not (configs or services or definition.config_refs):
        return
    entries: list[Mapping[str, Any]] = [e for e in configs if isinstance(e, Mapping)]
    for block in services:
        entries.extend(e for e in block.get("configuration") or [] if isinstance(e, Mapping))
    value_of = {str(entry.get("name")): entry.get("value") for entry in entries}
    stored = set(value_of)
    for ref in definition.config_refs:
        if ref.name not in stored:
            value_of[ref.name] = ref.definition.initial
    for ref in definition.config_refs:
        config = ref.definition
        if pipeline and config.group == "BAD_RECORDS":
            continue
        value = value_of[ref.name]
        if not config.is_active(value_of):
            # Exports keep what was set before a config went inactive (the engine keeps it too):
            # only a flow being written is told.
            if (
                not out.imported
                and ref.name in stored
                and value not in (None, "", [], {})
                and value != config.initial
            ):
                out.add(
                    "CONFIG_INACTIVE",
                    f"is set but inactive ({_why_inactive(config, value_of)})",
                    stage=stage,
                    config=ref.python_name,
                    hint="Remove it or enable what it depends on.",
                )
            continue
        if config.required and config.is_missing(value):
            out.add(
                "CONFIG_REQUIRED",
                "is required",
                stage=stage,
                config=ref.python_name,
                hint=f"Set it, e.g. {ref.python_name}=...",
            )
            continue
        # A definition's own initial value is valid for it: most configs of most stages hold it.
        initial = config.initial
        if value is not initial and (type(value) is not type(initial) or value != initial):
            try:
                check_value(config, value, name=ref.python_name)
            except ConfigError as error:
                severity = "warning" if error.code == "CONFIG_UNKNOWN" and out.imported else None
                out.add(
                    error.code,
                    error.message,
                    stage=stage,
                    config=ref.python_name,
                    hint=error.hint,
                    severity=severity,
                )
        if ref.name == "stageRecordPreconditions" and isinstance(value, list):
            for precondition in value:
                if not isinstance(precondition, str) or not _EL.match(precondition):
                    out.add(
                        "PRECONDITION_NOT_EL",
                        f"precondition {precondition!r} is not an expression",
                        stage=stage,
                        config=ref.python_name,
                        hint="Write it as ${...}.",
                    )
    if not pipeline:
        for entry in entries:
            name = str(entry.get("name"))
            if definition.resolve(name) is None:
                out.add(
                    "CONFIG_UNKNOWN",
                    f"is not a config of {definition.label!r} v{definition.version}",
                    stage=stage,
                    config=name,
                    severity="warning" if out.imported else None,
                    hint="Remove it, or load the definitions of the engine that wrote it (Catalog.load).",
                )


def _why_inactive(config: ConfigDefinition, value_of: Mapping[str, Any]) -> str:
    reasons = []
    for name, triggers in config.depends_on.items():
        actual = java_string(value_of.get(name))
        wanted = {java_string(t) for t in triggers}
        if name not in value_of or (wanted and actual not in wanted):
            reasons.append(f"needs {name} = {' or '.join(sorted(wanted)) or 'set'}, is {actual}")
    return "; ".join(reasons)


def _check_special(flow: Flow, out: _Collector, fragment: bool) -> None:
    error_stage = flow.error_stage
    mode = flow.configuration.get("executionMode")
    if (
        flow.engine == "data_collector"
        and error_stage is None
        and mode not in ("BATCH", "STREAMING")
        and not fragment
    ):
        out.add(
            "ERROR_STAGE_MISSING", "has no error stage", hint="Set one with flow.set_error_stage('Discard')."
        )
    if error_stage is not None:
        definition = error_stage.definition
        if definition is not None and not definition.error_stage:
            out.add(
                "ERROR_STAGE_INVALID",
                f"{definition.label!r} is not an error stage",
                stage=error_stage.instance_name,
                hint="Use an error stage such as 'Discard' or 'Write to File'.",
            )
        value = flow.configuration.get("badRecordsHandling")
        actual = f"{error_stage.library}::{error_stage.stage_name}::{error_stage.version}"
        if value not in (None, "") and value != actual:
            out.add(
                "ERROR_STAGE_OUT_OF_SYNC",
                f"error_records names {value!r} but the error stage is {actual!r}",
                config="error_records",
                hint="The engine keeps errorStage; set_error_stage() keeps both in step.",
            )
        if definition is not None and _configs_checked(error_stage, definition, out):
            _check_configs(
                definition, error_stage._configs, error_stage._services, error_stage.instance_name, out
            )
    for role in ("error", "stats", "start", "stop"):
        for stage in [flow.special_stages.get(role), *flow._lifecycle_extra.get(role, [])]:
            if stage is not None and (stage._dangling or stage._output_lanes or stage._event_lanes):
                out.add(
                    "SPECIAL_STAGE_LANES",
                    "is off the canvas but has lanes",
                    stage=stage.instance_name,
                    hint="Remove its lanes.",
                )
    for role in ("start", "stop"):
        stage = flow.special_stages.get(role)
        if flow._lifecycle_extra.get(role):
            out.add(
                "LIFECYCLE_STAGES_MULTIPLE",
                f"has {1 + len(flow._lifecycle_extra[role])} {role} event stages",
                hint="Keep one.",
            )
        if (
            stage is not None
            and stage.definition is not None
            and not stage.definition.pipeline_lifecycle_stage
        ):
            out.add(
                "LIFECYCLE_STAGE_INVALID",
                f"{stage.definition.label!r} cannot handle the {role} event",
                stage=stage.instance_name,
                hint="Use a lifecycle stage such as Shell, Email or JDBC Query.",
            )
