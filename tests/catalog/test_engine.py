"""The catalog written back in the engine's definitions format, and read again."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from flowbuilder.catalog import ENGINES, Catalog, StageDefinition, engine_definitions

BUNDLED = Catalog.default()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def document(engine: str) -> dict[str, Any]:
    return engine_definitions(BUNDLED, engine)


def _facts(definition: StageDefinition) -> dict[str, Any]:
    # ``source`` says which of the catalog's two sources a stage came from: not an engine fact.
    return {f.name: getattr(definition, f.name) for f in dataclasses.fields(definition) if f.name != "source"}


def test_every_stage_of_the_engine_reads_back_with_the_same_facts(
    engine: str, document: dict[str, Any]
) -> None:
    read = Catalog.from_definitions(document)
    stages = BUNDLED.stages(engine=engine, special=True)
    assert stages
    for definition in stages:
        again = read.definition(definition.name, definition.version)
        assert again is not None, definition.name
        assert _facts(again) == _facts(definition), definition.name
    assert read.pipeline_definition(engine).configs == BUNDLED.pipeline_definition(engine).configs


def test_the_document_has_every_key_and_lists_each_stage_once_per_library(
    engine: str, document: dict[str, Any]
) -> None:
    # The keys IBM's SDK requires (its LibraryDefinitions model) and the engine's schema-2 layout.
    assert {
        "schemaVersion", "pipeline", "pipelineFragment", "pipelineRules", "stages", "services",
        "rulesElMetadata", "elCatalog", "runtimeConfigs", "stageIcons", "legacyStageLibs",
        "eventDefinitions", "version", "executorVersion", "category", "categoryLabel",
        "stageDefinitionMap", "stageDefinitionMinimalList",
    } <= set(document)  # fmt: skip
    assert document["executorVersion"] == BUNDLED.engine_version(engine)
    listed = {(e["name"], e["version"], e["library"]) for e in document["stageDefinitionMinimalList"]}
    expected = {
        (d.name, d.version, library)
        for d in BUNDLED.stages(engine=engine, special=True)
        for library in d.libraries
    }
    assert listed == expected
    assert len(listed) == len(document["stageDefinitionMinimalList"])
    provided = {service["provides"] for service in document["services"]}
    for key, stage in document["stageDefinitionMap"].items():
        assert key == f"{stage['name']}::{stage['version']}"
        assert {s["service"] for s in stage["services"]} <= provided, key


def test_the_document_is_the_same_every_time(engine: str, document: dict[str, Any]) -> None:
    assert engine_definitions(BUNDLED, engine) == document


def test_a_stage_listed_for_several_libraries_keeps_them_all() -> None:
    stage = {"name": "com_example_KafkaDSource", "version": "3", "label": "Kafka", "type": "SOURCE"}
    document = {
        "stageDefinitionMap": {"com_example_KafkaDSource::3": stage},
        "stageDefinitionMinimalList": [
            {
                "name": "com_example_KafkaDSource",
                "version": "3",
                "library": f"kafka_{n}-lib",
                "libraryLabel": "",
            }
            for n in (2, 3, 4)
        ],
    }
    definition = Catalog.from_definitions(document).get(label="Kafka")
    assert definition.library == "kafka_2-lib"
    assert definition.libraries == ("kafka_2-lib", "kafka_3-lib", "kafka_4-lib")
