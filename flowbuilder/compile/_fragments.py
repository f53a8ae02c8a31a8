"""Fragments in the engine's JSON: a fragment's own document, its definition embedded in a flow
that uses it, and the expansion of a flow into the stages the engine runs.

The shapes follow real exports (``shared/corpus``): fragment documents
(``041_splunk-search-part-2-fragment``, ``034_pivot-fragment``: ``pipelineFragmentConfig`` with
``fragmentId``, ``uiInfo.fragmentStageConfiguration``) and flows using them
(``038_db-query-to-splunk-search-part-2-complex``, ``055_...``, ``076_ibmas-streaming-pipeline``):
one fragment stage whose ``uiInfo`` holds ``fragmentGroupStage``, ``fragmentId``,
``fragmentInstanceId``, ``parameterNamePrefix``, ``pipelineCommitId``; and in ``fragments`` the
fragment's definition with every stage and lane named ``<fragmentInstanceId>_<name>``, the first
stage reading the fragment stage's input lanes, parameters named ``<prefix><name>``.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import FragmentError

if TYPE_CHECKING:
    from ..flow import Flow
    from ..fragment import Fragment, FragmentUse

__all__ = ["commit_id", "embedded_definition", "expand", "fragment_document", "rename_parameters"]

# The engine's key order of a fragment definition (041_splunk-search-part-2-fragment).
_FRAGMENT_KEYS = (
    "schemaVersion",
    "version",
    "fragmentId",
    "fragmentInstanceId",
    "uuid",
    "title",
    "description",
    "configuration",
    "uiInfo",
    "stages",
    "info",
    "issues",
    "valid",
    "previewable",
    "metadata",
    "fragments",
    "testOriginStage",
)
# The keys that make a fragment what it is: a new value is a new version. ``info``, ``metadata``
# (labels a store adds), ``uuid`` and the like are not.
_VERSIONED = ("title", "description", "configuration", "uiInfo", "stages", "testOriginStage")
_COMMITS = uuid.UUID("0b4f6a52-3c1e-4d7a-9f10-6a1d2f4c8e93")
_EL = re.compile(r"\$\{(.*?)\}", re.S)
# Inside an expression: quoted strings (left alone), ``ns:function`` names, identifiers.
_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[A-Za-z_]\w*(?::[A-Za-z_]\w*)?")


def fragment_document(fragment: Fragment, values: Mapping[str, Any]) -> dict[str, Any]:
    """An authored fragment's definition (what ``pipelineFragmentConfig`` holds), from the
    values the pipeline compiler made for it."""
    from ..fragment import fragment_stage_definition, fragment_stage_name

    fragment_id = fragment.fragment_id
    definition = fragment_stage_definition(fragment)
    ui_info: dict[str, Any] = {
        "label": f"{definition.label} 1",
        "description": "",
        "stageType": definition.stage_type,
        "icon": "fragment.png",
    }
    first = fragment.input_stage
    if first is not None and fragment.kind != "origin":
        ui_info["firstStageInstanceName"] = first.instance_name
    stage_configuration = {
        "instanceName": fragment_stage_name(fragment),
        "library": definition.library,
        "stageName": definition.name,
        "stageVersion": definition.version,
        "configuration": [{"name": c.name} for c in definition.configs],
        "uiInfo": ui_info,
        "inputLanes": [],
        "outputLanes": list(fragment.output_lanes),
        "eventLanes": [],
        "services": [],
    }
    info = dict(values["info"])
    info["name"] = info["pipelineId"] = fragment_id
    result = {
        **values,
        "fragmentId": fragment_id,
        "fragmentInstanceId": fragment_id,
        "uiInfo": {"fragmentStageConfiguration": stage_configuration},
        "info": info,
    }
    return {key: result[key] for key in _FRAGMENT_KEYS}


def commit_id(definition: Mapping[str, Any]) -> str:
    """The version of a fragment definition: a uuid derived from what it does (its stages,
    configuration, streams), the same whatever store it went through.

    >>> commit_id({"title": "f", "stages": []}) == commit_id({"title": "f", "stages": [], "info": {}})
    True
    """
    text = json.dumps([definition.get(key) for key in _VERSIONED], sort_keys=True, ensure_ascii=False)
    return str(uuid.uuid5(_COMMITS, text))


def embedded_definition(
    use: FragmentUse, definition: Mapping[str, Any], input_lanes: list[str], flow_name: str
) -> dict[str, Any]:
    """The fragment's ``definition`` as a flow embeds it for ``use``: stages and lanes prefixed
    with the instance id, the first stage reading ``input_lanes``, parameters prefixed."""
    instance = use.instance_id
    lead = f"{instance}_"
    result = copy.deepcopy(dict(definition))
    stage_configuration = (result.get("uiInfo") or {}).get("fragmentStageConfiguration") or {}
    open_lanes = tuple(stage_configuration.get("outputLanes") or ())
    if open_lanes != use.output_lanes:
        raise FragmentError(
            f"now has output lanes {list(open_lanes)}; it had {list(use.output_lanes)} when "
            f"{use.instance_id} was added",
            flow=flow_name,
            fragment=use.fragment.name,
            hint="The engine fixes a fragment's streams once used: add the fragment again "
            "(flow.remove_stage(...), then flow.add_fragment(...)).",
        )
    first = (stage_configuration.get("uiInfo") or {}).get("firstStageInstanceName")
    names = [str(e.get("key")) for e in _constants(result) if isinstance(e, dict)]
    rename = rename_parameters(names, use.prefix)
    fragment_id = result.get("fragmentId")
    for stage in result.get("stages") or []:
        name = stage.get("instanceName")
        stage["instanceName"] = lead + str(name)
        if name == first:
            stage["inputLanes"] = list(input_lanes)
        else:
            stage["inputLanes"] = [lead + lane for lane in stage.get("inputLanes") or []]
        stage["outputLanes"] = [lead + lane for lane in stage.get("outputLanes") or []]
        stage["eventLanes"] = [lead + lane for lane in stage.get("eventLanes") or []]
        # Stream Selector conditions keep their lane names unprefixed: so does the engine (038).
        stage["configuration"] = rename(stage.get("configuration") or [])
        stage["services"] = rename(stage.get("services") or [])
        ui_info = dict(stage.get("uiInfo") or {})
        ui_info["fragmentId"] = fragment_id
        ui_info["fragmentInstanceId"] = instance
        stage["uiInfo"] = ui_info
    for entry in _constants(result):
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            entry["key"] = use.prefix + entry["key"]
    result["fragmentInstanceId"] = instance
    return result


def _constants(definition: Mapping[str, Any]) -> list[Any]:
    for entry in definition.get("configuration") or []:
        if isinstance(entry, dict) and entry.get("name") == "constants":
            value = entry.get("value")
            if isinstance(value, list):
                return value
    return []


def rename_parameters(names: list[str], prefix: str) -> Callable[[Any], Any]:
    """A function that copies a config value with every use of a parameter in ``names`` inside
    ``${...}`` renamed to ``prefix`` + name (function names and quoted text left alone).

    >>> rename = rename_parameters(["URL", "SID"], "SPLUNK_")
    >>> rename('${URL}/poll and "${SID}" ${str:trim(URL)} ${record:value("/URL")}')
    '${SPLUNK_URL}/poll and "${SPLUNK_SID}" ${str:trim(SPLUNK_URL)} ${record:value("/URL")}'
    """
    wanted = frozenset(names)

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        if text not in wanted:
            return text
        source, end = match.string, match.end()
        while end < len(source) and source[end].isspace():
            end += 1
        return text if end < len(source) and source[end] == "(" else prefix + text

    def expression(match: re.Match[str]) -> str:
        return "${" + _TOKEN.sub(token, match.group(1)) + "}"

    def rename(value: Any) -> Any:
        if isinstance(value, str):
            return _EL.sub(expression, value) if "${" in value and wanted and prefix else value
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        return value

    return rename


def expand(flow: Flow) -> Flow:
    """A new flow with each fragment stage replaced by the stages of its embedded definition,
    the way the engine runs it (linear in the stages of the flow and its fragments).

    A fragment stage whose definition the flow does not embed, or fragments that contain
    themselves, raise FragmentError naming the fragment and the flow.
    """
    from ._pipeline import to_dict
    from ._reader import from_json

    document = to_dict(flow)
    stages = _splice(document, flow.name, ())
    expanded = {**document, "stages": stages}
    if "fragments" in expanded:
        expanded["fragments"] = []
    return from_json(expanded, catalog=flow.catalog)


def _splice(definition: Mapping[str, Any], flow_name: str, within: tuple[str, ...]) -> list[Any]:
    embedded: dict[str, Mapping[str, Any]] = {}
    fragments = definition.get("fragments")
    for item in fragments if isinstance(fragments, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("fragmentInstanceId"), str):
            embedded.setdefault(item["fragmentInstanceId"], item)
    stages: list[Any] = []
    listed = definition.get("stages")
    for stage in listed if isinstance(listed, list) else []:
        ui_info = stage.get("uiInfo") if isinstance(stage, Mapping) else None
        if not isinstance(ui_info, Mapping) or not ui_info.get("fragmentGroupStage"):
            stages.append(stage)
            continue
        instance = str(ui_info.get("fragmentInstanceId"))
        name = str(ui_info.get("fragmentName") or ui_info.get("fragmentId") or instance)
        found = embedded.get(instance)
        if found is None:
            raise FragmentError(
                f"version {ui_info.get('pipelineCommitId') or '(none recorded)'} used by stage "
                f"{stage.get('instanceName')} is missing: the flow does not embed its definition",
                flow=flow_name,
                fragment=name,
                hint="Add the fragment to the flow again (flow.add_fragment), or export the flow "
                "with its fragments.",
            )
        fragment_id = str(found.get("fragmentId") or ui_info.get("fragmentId"))
        if fragment_id in within:
            chain = " -> ".join([*within, fragment_id])
            raise FragmentError(
                f"is part of a cycle of fragments ({chain})",
                flow=flow_name,
                fragment=name,
                hint="Fragments cannot contain fragments; replace the inner use by its stages.",
            )
        lead = f"{instance}_"
        inner = _splice(found, flow_name, (*within, fragment_id))
        if not inner:
            raise FragmentError(
                f"has no stages in the definition embedded for {instance}",
                flow=flow_name,
                fragment=name,
                hint="Add the fragment to the flow again (flow.add_fragment).",
            )
        stages.extend(_run_lanes(s, lead) for s in inner)
    return stages


def _run_lanes(stage: Any, lead: str) -> Any:
    """A fragment's stage as it runs: Stream Selector conditions name the prefixed lanes (the
    embedded definition keeps them unprefixed, as the engine writes it)."""
    if not isinstance(stage, Mapping) or not isinstance(stage.get("configuration"), list):
        return stage
    lanes = set(stage.get("outputLanes") or [])
    configuration = []
    for entry in stage["configuration"]:
        if isinstance(entry, Mapping) and entry.get("name") == "lanePredicates":
            value = entry.get("value")
            if isinstance(value, list):
                value = [
                    {**p, "outputLane": lead + p["outputLane"]}
                    if isinstance(p, Mapping)
                    and isinstance(p.get("outputLane"), str)
                    and p["outputLane"] not in lanes
                    and lead + p["outputLane"] in lanes
                    else p
                    for p in value
                ]
                entry = {**entry, "value": value}
        configuration.append(entry)
    return {**stage, "configuration": configuration}
