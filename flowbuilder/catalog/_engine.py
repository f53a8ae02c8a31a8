"""The catalog written back in the engine's own definitions format.

An engine answers ``GET /rest/v1/definitions?schemaVersion=2`` (and watsonx.data integration
answers ``…/streamsets_engine_versions/{engine}/{version}/definitions``) with a document whose
stages sit in ``stageDefinitionMap`` (``"<name>::<version>"``) and are listed, one entry per stage
library, in ``stageDefinitionMinimalList``. Clients such as IBM's SDK build every stage from it.
This module writes that document from the catalog: the facts the catalog keeps (names, labels,
types, defaults, choices, dependencies, services, outputs), with the engine's neutral values
(``""``, ``null``, Long.MIN/MAX) where it keeps none, such as the prose descriptions.

>>> from flowbuilder.catalog import Catalog
>>> document = engine_definitions(Catalog.default(), "data_collector")
>>> document["schemaVersion"], document["stages"]
('2', [])
>>> trash = document["stageDefinitionMap"]["com_streamsets_pipeline_stage_destination_devnull_NullDTarget::1"]
>>> trash["label"], trash["type"], trash["outputStreams"]
('Trash', 'TARGET', 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._definitions import ConfigDefinition, ServiceDefinition, StageDefinition

if TYPE_CHECKING:
    from ._catalog import Catalog

__all__ = ["engine_definitions"]

# Java's Long.MIN_VALUE / MAX_VALUE: what the engine writes for "no limit".
_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1


def _config(config: ConfigDefinition, position: int) -> dict[str, Any]:
    model: dict[str, Any] | None = None
    if config.model_type is not None:
        model = {
            "modelType": config.model_type,
            "values": list(config.values) if config.values is not None else None,
            "labels": list(config.value_labels) if config.value_labels is not None else None,
            "valuesProviderClass": None,
            "configDefinitions": _configs(config.sub_configs) if config.sub_configs else None,
            "filteringConfig": "",
        }
        if config.dynamic_values:
            # The engine lists these values at run time (installed libraries, charsets...); its own
            # document names the provider class, which the catalog does not keep: say it plainly.
            model["dynamic"] = True
    return {
        "name": config.name,
        "type": config.type,
        "defaultValue": config.default,
        "description": "",
        "label": config.label,
        "dependsOnMap": {name: list(values) for name, values in config.depends_on.items()},
        "dependsOn": "",
        "triggeredByValues": None,
        "required": config.required,
        "min": _LONG_MIN if config.min is None else config.min,
        "max": _LONG_MAX if config.max is None else config.max,
        "group": config.group,
        "elDefs": None,
        "evaluation": "IMPLICIT",
        "model": model,
        "mode": config.mode or "text/plain",
        "lines": 0,
        "upload": "NO",
        "elFunctionDefinitionsIdx": [],
        "elConstantDefinitionsIdx": [],
        "displayPosition": position,
        "displayMode": "BASIC",
        "fieldName": config.field_name or config.name.rsplit(".", 1)[-1],
        "connectionType": config.connection_type or "",
    }


def _configs(configs: Iterable[ConfigDefinition]) -> list[dict[str, Any]]:
    return [_config(config, position) for position, config in enumerate(configs, start=1)]


def _groups(configs: Iterable[ConfigDefinition]) -> dict[str, Any]:
    names = list(dict.fromkeys(config.group for config in configs if config.group))
    return {
        "classNameToGroupsMap": {},
        "groupNameToLabelMapList": [
            {"name": name, "label": name.replace("_", " ").title()} for name in names
        ],
    }


def _stage(definition: StageDefinition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "type": definition.stage_type,
        "className": "",
        "label": definition.label,
        "libraryLabel": definition.library_label,
        "library": definition.library,
        "version": definition.version,
        "description": "",
        "icon": definition.icon,
        "errorStage": definition.error_stage,
        "statsAggregatorStage": definition.stats_aggregator_stage,
        "pipelineLifecycleStage": definition.pipeline_lifecycle_stage,
        "connectionVerifierStage": False,
        "offsetCommitTrigger": False,
        "producingEvents": definition.producing_events,
        "onRecordError": any(config.name == "stageOnRecordError" for config in definition.configs),
        "preconditions": any(config.name == "stageRecordPreconditions" for config in definition.configs),
        "variableOutputStreams": definition.variable_output_streams,
        "outputStreams": definition.output_streams,
        "outputStreamsDrivenByConfig": definition.output_streams_driven_by_config or "",
        "outputStreamLabels": list(definition.output_stream_labels) or None,
        "services": [
            {"service": provides, "configuration": dict(configuration)}
            for provides, configuration in definition.service_dependencies
        ],
        "hideStage": list(definition.hide_stage),
        "executionModes": list(definition.execution_modes),
        "configDefinitions": _configs(definition.configs),
        "configGroupDefinition": _groups(definition.configs),
        "rawSourceDefinition": None,
        "eventDefs": [],
        "privateClassLoader": False,
        "resetOffset": False,
        "sendsResponse": False,
        "beta": False,
        "bisectable": False,
        "inputStreams": 0 if definition.stage_type == "SOURCE" else -1,
        "inputStreamLabels": None,
        "onlineHelpRefUrl": "",
        "yamlUpgrader": "",
    }


def _service(service: ServiceDefinition) -> dict[str, Any]:
    return {
        "provides": service.provides,
        "version": service.version,
        "label": service.label,
        "description": "",
        "className": "",
        "library": "",
        "libraryLabel": "",
        "privateClassLoader": False,
        "configDefinitions": _configs(service.configs),
        "configGroupDefinition": _groups(service.configs),
    }


def engine_definitions(catalog: Catalog, engine: str = "data_collector") -> dict[str, Any]:
    """The definitions document an engine of ``engine`` at the catalog's version would answer.

    Every stage of the engine at its newest version (error stages and other special stages
    included), listed once per stage library it ships in; the services those stages use; and
    the flow-level (``pipeline``) config definitions. Deterministic: the same catalog gives the
    same document.

    >>> from flowbuilder.catalog import Catalog
    >>> document = engine_definitions(Catalog.default())
    >>> entry = document["stageDefinitionMinimalList"][0]
    >>> sorted(entry)
    ['library', 'libraryLabel', 'name', 'version']
    >>> [c["name"] for c in document["pipeline"][0]["configDefinitions"]][:2]
    ['executionMode', 'edgeHttpUrl']
    """
    stages = sorted(catalog.stages(engine=engine, special=True), key=lambda d: (d.name, d.version))
    stage_map: dict[str, Any] = {}
    minimal: list[dict[str, str]] = []
    services: dict[str, ServiceDefinition] = {}
    for definition in stages:
        key = f"{definition.name}::{definition.version}"
        stage_map[key] = _stage(definition)
        for library in definition.libraries or (definition.library,):
            label = definition.library_label if library == definition.library else library
            minimal.append(
                {
                    "name": definition.name,
                    "version": definition.version,
                    "library": library,
                    "libraryLabel": label,
                }
            )
        for provides, _ in definition.service_dependencies:
            service = catalog.service(provides)
            if service is not None:
                services.setdefault(provides, service)
    pipeline = catalog.pipeline_definition(engine)
    flow_level = {
        "configDefinitions": _configs(pipeline.configs),
        "configGroupDefinition": _groups(pipeline.configs),
    }
    return {
        "schemaVersion": "2",
        "version": None,
        "executorVersion": catalog.engine_version(engine),
        "category": None,
        "categoryLabel": None,
        "pipeline": [flow_level],
        "pipelineFragment": [flow_level],
        "pipelineRules": [{"configDefinitions": [], "configGroupDefinition": _groups(())}],
        "stages": [],
        "services": [_service(services[provides]) for provides in sorted(services)],
        "stageDefinitionMap": stage_map,
        "stageDefinitionMinimalList": minimal,
        "rulesElMetadata": {"elFunctionDefinitions": [], "elConstantDefinitions": []},
        "elCatalog": {"elFunctionDefinitions": [], "elConstantDefinitions": []},
        "runtimeConfigs": [],
        "stageIcons": {},
        "legacyStageLibs": [],
        "eventDefinitions": {},
    }
