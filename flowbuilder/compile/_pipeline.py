"""Compile a Flow to the engine's pipeline definition: a dict, or byte-stable JSON text."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from .._document import LIFECYCLE_SLOTS, SPECIAL_SLOTS
from .._gc import paused_gc
from .._json import copy_json
from .._lanes import incoming, node_attributes
from ._imported import ImportedDocument
from ._layout import auto_arrange

if TYPE_CHECKING:
    from ..flow import Flow
    from ..stage import Stage

__all__ = [
    "PIPELINE_CONFIG_VERSION",
    "SCHEMA_VERSION",
    "STAGE_KEYS",
    "to_dict",
    "to_envelope",
    "to_json",
]

SCHEMA_VERSION = 6
#: ``PipelineConfigBean.VERSION`` of the Data Collector sources the catalog was extracted from.
PIPELINE_CONFIG_VERSION = 23
_NAMESPACE = uuid.UUID("6f1c1f8e-5d0b-4f3e-9a57-2b9c4a0f0b61")
# The engine's serialisation order (PipelineConfigurationJson, then the output-only fields).
_TOP_LEVEL = (
    "schemaVersion",
    "version",
    "pipelineId",
    "title",
    "description",
    "uuid",
    "configuration",
    "uiInfo",
    "fragments",
    "stages",
    "errorStage",
    "info",
    "metadata",
    "statsAggregatorStage",
    "startEventStages",
    "stopEventStages",
    "testOriginStage",
    "issues",
    "valid",
    "previewable",
)
#: Keys of a stage instance, in the engine's order.
STAGE_KEYS = (
    "instanceName",
    "library",
    "stageName",
    "stageVersion",
    "configuration",
    "uiInfo",
    "inputLanes",
    "outputLanes",
    "eventLanes",
    "services",
)


def pipeline_id(flow: Flow) -> str:
    """The pipeline id of an authored flow: derived from its name, never random."""
    stem = re.sub(r"[\W_]", "", flow.name)[:10]
    return f"{stem}{uuid.uuid5(_NAMESPACE, f'{flow.engine}:{flow.name}')}"


def _input_lanes(flow: Flow, stage: Stage) -> list[str]:
    lanes: list[tuple[int, str]] = list(stage._dangling)
    if stage._flow is flow and stage._role is None:
        nodes = node_attributes(flow._graph)
        for source, data in incoming(flow._graph, stage._node):
            producer: Stage = nodes[source]["stage"]
            pool = producer._output_lanes if data["kind"] == "data" else producer._event_lanes
            if data["output"] < len(pool):
                lanes.append((data["position"], pool[data["output"]]))
    if len(lanes) == 1:
        return [lanes[0][1]]
    lanes.sort(key=lambda item: item[0])
    result: list[str] = []
    last_position = None
    for position, lane in lanes:
        if position != last_position:
            result.append(lane)
        last_position = position
    return result


def _stage_dict(
    flow: Flow, stage: Stage, position: tuple[int, int] | None, commit: str | None = None
) -> dict[str, Any]:
    imported = stage._imported
    keys = imported.keys if imported is not None else None
    ui_info = copy_json(stage.ui_info)
    if commit is not None:  # a fragment stage: which version of the fragment it embeds
        ui_info["pipelineId"] = stage.ui_info.get("fragmentId")
        ui_info["pipelineCommitId"] = commit
    if position is not None and keys is None and ui_info.get("xPos") is None:
        ui_info["xPos"], ui_info["yPos"] = position
    values: dict[str, Any] = {
        "instanceName": stage.instance_name,
        "library": stage.library,
        "stageName": stage.stage_name,
        "stageVersion": stage.version,
        "configuration": copy_json(stage._configs),
        "uiInfo": ui_info,
        "inputLanes": _input_lanes(flow, stage),
        "outputLanes": list(stage._output_lanes),
        "eventLanes": list(stage._event_lanes),
        "services": copy_json(stage._services),
    }
    if imported is None:
        return values  # an authored stage: built in the engine's key order, nothing to merge
    values.update(copy_json(imported.extra))
    for key in imported.nulls:
        if not values.get(key):
            values[key] = None
    if keys is None:
        return {key: values[key] for key in (*STAGE_KEYS, *imported.extra)}
    ordered = list(keys)
    for key, optional in (("eventLanes", stage._event_lanes), ("services", stage._services)):
        if key not in ordered and optional:
            ordered.append(key)
    return {key: values[key] for key in ordered if key in values}


def to_dict(flow: Flow) -> dict[str, Any]:
    """The pipeline definition the engines read, as a new dict.

    Authored flows get every top-level key in the engine's order, configs in definition order
    with defaults, derived lane names and ids, and positions from :func:`auto_arrange` unless
    set. Imported flows give back what they were read from, with the user's changes.

    >>> from flowbuilder import Flow
    >>> definition = Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    >>> [s["instanceName"] for s in definition["stages"]], definition["stages"][1]["inputLanes"]
    (['DevRawDataSource_01', 'Trash_01'], ['DevRawDataSource_01OutputLane1'])
    """
    with paused_gc():
        return _to_dict(flow)


def _to_dict(flow: Flow) -> dict[str, Any]:
    positions = auto_arrange(flow)
    embedded: list[dict[str, Any]] = []
    compiled: dict[int, dict[str, Any]] = {}  # each fragment compiled once, however often used
    stages = []
    for node, data in flow._graph.nodes(data=True):
        use = data.get("fragment")
        if use is None:
            stages.append(_stage_dict(flow, data["stage"], positions.get(node)))
        else:
            stages.append(_embedding(flow, data["stage"], use, positions.get(node), embedded, compiled))
    special: dict[str, dict[str, Any] | None] = {}
    for slot, role in SPECIAL_SLOTS.items():
        stage = flow.special_stages.get(role)
        special[slot] = _stage_dict(flow, stage, None) if stage is not None else None
    lifecycle: dict[str, list[dict[str, Any]]] = {}
    for slot, role in LIFECYCLE_SLOTS.items():
        first = flow.special_stages.get(role)
        members = ([first] if first is not None else []) + flow._lifecycle_extra.get(role, [])
        lifecycle[slot] = [_stage_dict(flow, s, None) for s in members]
    modelled: dict[str, Any] = {
        "description": flow.description,
        "configuration": copy_json(flow._configs),
        "stages": stages,
        **special,
        **lifecycle,
    }
    if flow._imported is not None:
        result = _imported(flow._imported, flow.name, modelled)
        if embedded:  # fragments added to a read flow join the ones it embedded
            result["fragments"] = [*(copy_json(result.get("fragments")) or []), *embedded]
        return result
    pid = pipeline_id(flow)
    uid = str(uuid.uuid5(_NAMESPACE, pid))
    values = {
        "schemaVersion": SCHEMA_VERSION,
        "version": PIPELINE_CONFIG_VERSION,
        "pipelineId": pid,
        "title": flow.name,
        "uuid": uid,
        "uiInfo": {},
        "fragments": embedded,
        "info": {
            "pipelineId": pid,
            "title": flow.name,
            "description": flow.description,
            "created": 0,
            "lastModified": 0,
            "creator": "",
            "lastModifier": "",
            "lastRev": "0",
            "uuid": uid,
            "valid": False,
            "metadata": None,
            "name": pid,
            "sdcVersion": flow.catalog.engine_version(flow.engine),
            "sdcId": "",
        },
        "metadata": {"labels": []},
        "issues": {"pipelineIssues": [], "stageIssues": {}, "issueCount": 0},
        "valid": False,
        "previewable": False,
        **modelled,
    }
    if _is_fragment(flow):
        from ._fragments import fragment_document

        return fragment_document(flow, values)  # type: ignore[arg-type]
    return {key: values[key] for key in _TOP_LEVEL}


def _is_fragment(flow: Flow) -> bool:
    return hasattr(flow, "fragment_id")


def _embedding(
    flow: Flow,
    stage: Stage,
    use: Any,
    position: tuple[int, int] | None,
    embedded: list[dict[str, Any]],
    compiled: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """A fragment stage's dict; its fragment's definition, embedded for that use, is appended
    to ``embedded``."""
    from ._fragments import commit_id, embedded_definition

    key = id(use.fragment)
    if key not in compiled:
        definition = to_dict(use.fragment)
        compiled[key] = {"definition": definition, "commit": commit_id(definition)}
    definition = compiled[key]["definition"]
    result = _stage_dict(flow, stage, position, compiled[key]["commit"])
    inner = embedded_definition(use, definition, result["inputLanes"], flow.name)
    embedded.append(inner)
    return result


def _imported(imported: ImportedDocument, name: str, modelled: dict[str, Any]) -> dict[str, Any]:
    """The definition in the imported document's key order: modelled keys compiled from the
    graph, the others as read (``title`` anew when the flow was renamed)."""
    original = imported.values
    result: dict[str, Any] = {}
    for key in imported.keys:
        if key in modelled:
            result[key] = modelled[key]
        elif key == "title":
            result[key] = original.get(key) if name == imported.name else name
        else:
            result[key] = copy_json(original.get(key))
    for key, value in modelled.items():
        if key not in result and value not in (None, [], ""):
            result[key] = value
    if "title" not in result and name != imported.name:
        result["title"] = name
    return result


def to_json(flow: Flow, *, indent: int | None = 2) -> str:
    """The pipeline definition as JSON text: the same flow gives the same bytes, always.

    >>> from flowbuilder import Flow
    >>> text = Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_json()
    >>> text == Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_json()
    True
    """
    return json.dumps(to_dict(flow), indent=indent, ensure_ascii=False) + "\n"


def to_envelope(flow: Flow) -> dict[str, Any]:
    """The document the flow was read from, whole: the export envelope
    ``{"pipelineConfig", "pipelineRules", "libraryDefinitions"}`` (or the GET-shaped
    ``{"flow", "pipeline_definition"}``) with the compiled definition inside; an export
    envelope for authored flows."""
    imported = flow._imported or ImportedDocument(flow.name, (), {})
    default_key = "pipelineFragmentConfig" if _is_fragment(flow) else "pipelineConfig"
    parts: dict[str, Any] = {
        imported.envelope_key or default_key: to_dict(flow),
        "pipelineRules": copy_json(imported.rules),
        "libraryDefinitions": copy_json(imported.library_definitions),
    }
    parts.update(copy_json(imported.envelope_extra))
    order = imported.envelope_keys or tuple(parts)
    return {name: parts[name] for name in order if name in parts}
