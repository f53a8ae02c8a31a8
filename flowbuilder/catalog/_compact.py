"""Turn an engine's definition JSON (``/rest/v1/definitions``, ``libraryDefinitions``) into the
catalog's compact form: facts only, no prose descriptions, no UI-only fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "compact_config",
    "compact_definitions",
    "compact_service",
    "compact_stage",
    "engine_of_library",
]

# Choosers whose values the engine computes at run time (installed libraries, JVM charsets and
# time zones, Control Hub connections): their lists are examples, not limits.
_RUNTIME_CHOOSERS = (
    "CharsetChooserValues",
    "TimeZoneChooserValues",
    "LocaleChooserValues",
    "ConnectionChooserValues",
    "ErrorHandlingChooserValues",
    "StatsTargetChooserValues",
    "PipelineTestStageChooserValues",
    "PipelineLifecycleStageChooserValues",
)

# Java's Long.MIN/MAX (and their float renderings) mean "no limit".
_NO_LIMIT = 2**53


def engine_of_library(library: str) -> str:
    """The engine a stage library belongs to.

    >>> engine_of_library("streamsets-spark-basic-lib")
    'transformer'
    >>> engine_of_library("streamsets-datacollector-basic-lib")
    'data_collector'
    """
    if library.startswith(("streamsets-spark-", "streamsets-transformer-")):
        return "transformer"
    if library.startswith("streamsets-snowpark-"):
        return "snowflake"
    return "data_collector"


def _limit(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if abs(value) >= _NO_LIMIT:
        return None
    return value


def compact_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """One config definition, compact: name, label, type, default, required, rules, model."""
    out: dict[str, Any] = {
        "name": config["name"],
        "label": config.get("label") or "",
        "type": config.get("type") or "STRING",
        "default": config.get("defaultValue"),
        "required": bool(config.get("required")),
    }
    if config.get("fieldName"):
        out["fieldName"] = config["fieldName"]
    depends = dict(config.get("dependsOnMap") or {})
    if not depends and config.get("dependsOn"):
        depends = {config["dependsOn"]: list(config.get("triggeredByValues") or [])}
    if depends:
        out["dependsOnMap"] = {k: list(v or []) for k, v in depends.items()}
    model = config.get("model")
    if model:
        compact_model: dict[str, Any] = {"modelType": model.get("modelType")}
        if model.get("values") is not None:
            compact_model["values"] = list(model["values"])
        if model.get("labels") is not None:
            compact_model["labels"] = list(model["labels"])
        provider = model.get("valuesProviderClass") or ""
        if model.get("dynamic") or provider.endswith(_RUNTIME_CHOOSERS):
            compact_model["dynamic"] = True
        subs = model.get("configDefinitions") or []
        if subs:
            compact_model["configs"] = [compact_config(c) for c in subs]
        out["model"] = compact_model
    for key in ("min", "max"):
        limit = _limit(config.get(key))
        if limit is not None:
            out[key] = limit
    if config.get("mode") and config["mode"] != "text/plain":
        out["mode"] = config["mode"]
    if config.get("group"):
        out["group"] = config["group"]
    if config.get("connectionType"):
        out["connectionType"] = config["connectionType"]
    return out


def compact_stage(stage: Mapping[str, Any], *, library: str | None = None) -> dict[str, Any]:
    """One engine StageDefinitionJson, compact."""
    lib = library or stage.get("library") or ""
    driven = stage.get("outputStreamsDrivenByConfig") or None
    out: dict[str, Any] = {
        "name": stage["name"],
        "version": str(stage.get("version", "1")),
        "label": stage.get("label") or stage["name"],
        "library": lib,
        "libraryLabel": stage.get("libraryLabel") or "",
        "type": stage.get("type") or "PROCESSOR",
        "engine": engine_of_library(lib),
        "errorStage": bool(stage.get("errorStage")),
        "statsAggregatorStage": bool(stage.get("statsAggregatorStage")),
        "pipelineLifecycleStage": bool(stage.get("pipelineLifecycleStage")),
        "producingEvents": bool(stage.get("producingEvents")),
        "outputStreams": int(stage.get("outputStreams") or 0),
        "variableOutputStreams": bool(stage.get("variableOutputStreams")),
        "outputStreamsDrivenByConfig": driven,
        "outputStreamLabels": list(stage.get("outputStreamLabels") or []),
        "services": [
            {"service": s["service"], "configuration": dict(s.get("configuration") or {})}
            for s in stage.get("services") or []
        ],
        "hideStage": list(stage.get("hideStage") or []),
        "executionModes": list(stage.get("executionModes") or []),
        "icon": stage.get("icon") or "",
        "configs": [compact_config(c) for c in stage.get("configDefinitions") or []],
    }
    return out


def compact_service(service: Mapping[str, Any]) -> dict[str, Any]:
    """One engine ServiceDefinitionJson, compact."""
    return {
        "provides": service["provides"],
        "version": str(service.get("version", "1")),
        "label": service.get("label") or "",
        "configs": [compact_config(c) for c in service.get("configDefinitions") or []],
    }


def _stage_entries(document: Mapping[str, Any]) -> Iterable[tuple[Mapping[str, Any], str | None]]:
    for stage in document.get("stages") or []:
        yield stage, None
    minimal = document.get("stageDefinitionMinimalList") or []
    by_key = document.get("stageDefinitionMap") or {}
    listed = set()
    for entry in minimal:
        key = f"{entry['name']}::{entry['version']}"
        if key in by_key:
            listed.add(key)
            yield by_key[key], entry.get("library")
    for key, stage in by_key.items():
        if key not in listed:
            yield stage, None


def compact_definitions(document: Mapping[str, Any]) -> dict[str, Any]:
    """A whole definitions document, compact: ``{"stages", "services", "pipeline"}``.

    Reads the flat ``stages`` form and the compact ``stageDefinitionMap`` form (schema 2), where
    each map entry takes its library from ``stageDefinitionMinimalList``.
    """
    stages: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for stage, library in _stage_entries(document):
        compact = compact_stage(stage, library=library)
        key = (compact["name"], compact["version"], compact["library"])
        if key not in seen:
            seen.add(key)
            stages.append(compact)
    pipeline: dict[str, list[dict[str, Any]]] = {}
    pipeline_defs = document.get("pipeline") or []
    if isinstance(pipeline_defs, list) and pipeline_defs:
        engines = {s["engine"] for s in stages} or {"data_collector"}
        configs = [compact_config(c) for c in pipeline_defs[0].get("configDefinitions") or []]
        for engine in sorted(engines):
            pipeline[engine] = configs
    return {
        "stages": stages,
        "services": [compact_service(s) for s in document.get("services") or []],
        "pipeline": pipeline,
    }
