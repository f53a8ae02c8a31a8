"""The bundled catalog: lookups, names, versions, and every stage met in the corpus."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from flowbuilder import Catalog, Flow, FlowFormatError, StageNotFoundError
from flowbuilder._names import python_name
from tests.conftest import CORPUS_FILES

CATALOG = Catalog.default()
DATA = Path(__file__).resolve().parents[2] / "flowbuilder" / "catalog" / "data" / "catalog.json.gz"


def test_package_data_stays_small_and_compressed() -> None:
    assert DATA.stat().st_size < 3_000_000
    with gzip.open(DATA, "rt", encoding="utf-8") as text:
        data = json.load(text)
    assert len(data["sources"]["engine"]["stages"]) == 286
    assert len(data["sources"]["extraction"]["stages"]) == 235


def test_package_data_keeps_no_prose_descriptions() -> None:
    with gzip.open(DATA, "rt", encoding="utf-8") as text:
        raw = text.read()
    assert '"description":' not in raw.replace('"description":"stage definitions', "").replace(
        '"description":"extracted from', ""
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Retry Pipeline on Error", "retry_pipeline_on_error"),
        ("Max File Size (MB)", "max_file_size_in_mb"),
        ("Rate Limit (records / sec)", "rate_limit_in_records_per_sec"),
        ("Key/Value Separator", "key_value_separator"),
        ("Conn. String", "conn_string"),
        ("Records/sec", "records_per_sec"),
        ("Include Header & Footer", "include_header_and_footer"),
        ("100% Sample", "n100_percent_sample"),
        ("Import", "import_"),
    ],
)
def test_python_names_are_identifiers_derived_from_labels(label: str, expected: str) -> None:
    name = python_name(label, "fallback")
    assert name == expected
    assert name.isidentifier()


def test_every_python_name_in_the_catalog_is_a_unique_identifier() -> None:
    for definition in CATALOG.stages(engine=None, special=True):
        names = definition.python_names
        assert all(name.isidentifier() for name in names), definition
        assert len(names) == len(set(names)), definition


def test_colliding_labels_get_the_documented_names() -> None:
    http = CATALOG.get(label="HTTP Client", type="processor")
    usernames = {ref.name: ref.python_name for ref in http.config_refs if ref.definition.label == "Username"}
    # Same label three times: the alphabetically first raw name keeps the plain name, the others
    # are prefixed with their parent segment.
    assert usernames["conf.client.basicAuth.username"] == "username"
    assert usernames["conf.client.oauth2.username"] == "oauth2_username"
    assert usernames["conf.client.proxy.username"] == "proxy_username"


def test_raw_names_and_peer_sdk_names_are_aliases() -> None:
    pipeline = CATALOG.pipeline_definition()
    ref = pipeline.resolve("rate_limit_in_records_per_sec")
    assert ref is not None
    assert pipeline.resolve("rateLimit") is ref
    assert pipeline.resolve("rate_limit_in_records_/_sec") is ref  # watsonx SDK
    assert pipeline.resolve("rate_limit_in_records_or_sec") is ref  # classic SDK


def test_service_configs_resolve_by_python_name() -> None:
    source = CATALOG.get(label="Dev Raw Data Source")
    ref = source.resolve("data_format")
    assert ref is not None
    assert ref.name == "dataFormat"
    assert ref.service == "com.streamsets.pipeline.api.service.dataformats.DataFormatParserService"


def test_newest_version_is_the_authoring_default() -> None:
    local_fs = CATALOG.get(label="Local FS")
    versions = CATALOG.versions(local_fs.name)
    assert local_fs.version == versions[-1]
    assert CATALOG.get(label="Local FS", version="4").version == "4"


def test_shared_labels_need_a_type() -> None:
    with pytest.raises(StageNotFoundError, match="origin, destination, executor"):
        CATALOG.get(label="Amazon S3")
    assert CATALOG.get(label="Amazon S3", type="executor").type == "executor"


def test_unknown_label_suggests_the_closest() -> None:
    with pytest.raises(StageNotFoundError, match="Did you mean 'Trash'"):
        CATALOG.get(label="Trash Can")


def test_error_stages_are_not_canvas_stages() -> None:
    with pytest.raises(StageNotFoundError, match="error stage"):
        CATALOG.get(label="Write to File")
    assert CATALOG.get(label="Write to File", error_stage=True).error_stage


def test_search_finds_by_words_in_label_name_or_library() -> None:
    labels = [d.label for d in CATALOG.search("kafka consumer")]
    assert labels[0] == "Kafka Consumer"
    assert "Kafka Multitopic Consumer" in labels


def test_stages_by_type_are_sorted_and_typed() -> None:
    executors = CATALOG.stages("executor")
    assert executors
    assert all(d.type == "executor" for d in executors)
    assert [d.label.lower() for d in executors] == sorted(d.label.lower() for d in executors)


def _corpus_instances() -> list[tuple[str, str, str, str]]:
    found = []
    for path in CORPUS_FILES:
        document = json.loads(path.read_bytes())
        config = document.get("pipelineConfig") or document.get("pipelineFragmentConfig") or document
        stages = list(config.get("stages") or [])
        for slot in ("errorStage", "statsAggregatorStage", "testOriginStage"):
            if isinstance(config.get(slot), dict):
                stages.append(config[slot])
        for slot in ("startEventStages", "stopEventStages"):
            stages.extend(config.get(slot) or [])
        found.extend((path.name, s["stageName"], str(s["stageVersion"]), s["library"]) for s in stages)
    return found


# Stage names no source of the catalog describes at any version: SDC 1.0's legacy library layout,
# and three Transformer stages no public export carried definitions for.
NOT_IN_ANY_SOURCE = {
    "com_streamsets_pipeline_lib_stage_destination_NullTarget",
    "com_streamsets_pipeline_lib_stage_devtest_RandomDataGenerator",
    "com_streamsets_pipeline_lib_stage_processor_fieldmask_FieldMaskProcessor",
    "com_streamsets_pipeline_lib_stage_processor_fieldvaluereplacer_FieldValueReplacerProcessor",
    "com_streamsets_pipeline_lib_stage_processor_selector_SelectorProcessor",
    "com_streamsets_pipeline_lib_stage_processor_splitter_SplitterProcessor",
    "com_streamsets_pipeline_spark_destination_dev_ToErrorNullDTarget",
}


def test_every_stage_met_in_the_corpus_resolves() -> None:
    exact = nearest = 0
    unresolved = set()
    for _file, name, version, library in _corpus_instances():
        definition, is_exact = CATALOG.resolve(name, version, library)
        if definition is None:
            unresolved.add(name)
        elif is_exact:
            exact += 1
        else:
            nearest += 1
            assert definition.name in (name, "com_streamsets_pipeline_stage_processor_spark_SparkDProcessor")
    assert unresolved == NOT_IN_ANY_SOURCE
    assert exact > 900  # most instances match a definition of their exact version


def test_old_versions_resolve_to_the_nearest_older_definition() -> None:
    definition, exact = CATALOG.resolve("com_streamsets_pipeline_stage_origin_s3_AmazonS3DSource", "6")
    assert definition is not None
    assert not exact
    assert int(definition.version) <= 6 or definition.version == CATALOG.versions(definition.name)[0]


def test_stage_aliases_resolve_renamed_stages() -> None:
    definition, exact = CATALOG.resolve(
        "com_streamsets_pipeline_stage_processor_spark_StandaloneSparkDProcessor",
        "1",
        "streamsets-datacollector-cdh_5_7-lib",
    )
    assert definition is not None
    assert definition.name == "com_streamsets_pipeline_stage_processor_spark_SparkDProcessor"
    assert not exact


def _definitions_document(compact: bool) -> dict[str, object]:
    stage = {
        "name": "com_example_MyDTarget",
        "version": "2",
        "label": "My Target",
        "library": "example-lib",
        "type": "TARGET",
        "configDefinitions": [
            {"name": "conf.path", "label": "Path", "type": "STRING", "defaultValue": "/tmp", "required": True}
        ],
    }
    if compact:
        return {
            "schemaVersion": "2",
            "stages": [],
            "stageDefinitionMap": {
                "com_example_MyDTarget::2": {k: v for k, v in stage.items() if k != "library"}
            },
            "stageDefinitionMinimalList": [
                {"name": "com_example_MyDTarget", "version": "2", "library": "example-lib"}
            ],
        }
    return {"stages": [stage]}


@pytest.mark.parametrize("compact", [False, True], ids=["flat-stages", "stageDefinitionMap"])
def test_load_reads_both_definitions_shapes(tmp_path: Path, compact: bool) -> None:
    path = tmp_path / "definitions.json"
    path.write_text(json.dumps(_definitions_document(compact)))
    catalog = Catalog.load(path, parent=CATALOG)
    custom = catalog.get(label="My Target")
    assert (custom.library, custom.version, custom.type) == ("example-lib", "2", "destination")
    assert custom.resolve("path") is not None
    assert catalog.get(label="Trash").name.endswith("NullDTarget")  # the parent still answers


def test_load_reports_bad_json_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "stages": [\n')
    with pytest.raises(FlowFormatError, match=r"broken\.json:3") as raised:
        Catalog.load(path)
    assert "not valid JSON" in str(raised.value)


@pytest.mark.parametrize(
    ("definitions", "where"),
    [
        ({"stages": [{}]}, "definitions.stages[0].name must be a name"),
        ({"stages": "nope"}, "definitions.stages must be a list"),
        ({"stages": [{"name": "x", "configDefinitions": "z"}]}, "stages[0].configDefinitions must be a list"),
        (
            {"stages": [{"name": "x", "configDefinitions": [{"name": 1}]}]},
            "configDefinitions[0].name must be a name",
        ),
        ({"services": [{}]}, "definitions.services[0].provides must be a name"),
        (
            {
                "stageDefinitionMap": {"a::1": {}},
                "stageDefinitionMinimalList": [{"name": "a", "version": "1"}],
            },
            "stageDefinitionMap.a::1.name must be a name",
        ),
        ({"stages": [{"name": "x", "outputStreams": "many"}]}, "outputStreams must be a whole number"),
        (
            # Chooser values that are not text: checking a value against them crashed.
            {
                "stages": [
                    {
                        "name": "x",
                        "configDefinitions": [
                            {
                                "name": "c",
                                "type": "MODEL",
                                "model": {"modelType": "VALUE_CHOOSER", "values": [[], "A"]},
                            }
                        ],
                    }
                ]
            },
            "stages[0].configDefinitions[0].model.values[0] must be text; got list",
        ),
        (
            # Long.MAX_VALUE outputs: adding the stage built a lane for each until memory ran out.
            {"stages": [{"name": "x", "outputStreams": 2**63 - 1}]},
            "outputStreams must be a whole number from 0 to 1,000; got 9,223,372,036,854,775,807",
        ),
        ({"stages": [{"name": "x", "outputStreams": -1}]}, "from 0 to 1,000; got -1"),
        (
            # Output labels that are not text: drawing the flow crashed.
            {"stages": [{"name": "x", "outputStreams": 2, "outputStreamLabels": [{"a": 1}, "b"]}]},
            "stages[0].outputStreamLabels[0] must be text; got dict",
        ),
        (
            # Outputs driven by a config the stage does not have: adding the stage crashed.
            {"stages": [{"name": "x", "outputStreamsDrivenByConfig": "lanePredicates"}]},
            "stages[0].outputStreamsDrivenByConfig must be the name of one of the stage's "
            "configDefinitions, or empty; got 'lanePredicates'",
        ),
        (
            {"stages": [{"name": "x", "configDefinitions": [{"name": "c", "dependsOnMap": {"a": 5}}]}]},
            "dependsOnMap.a must be a list",
        ),
        (
            {
                "stages": [
                    {"name": "x", "configDefinitions": [{"name": "c", "model": {"configDefinitions": [{}]}}]}
                ]
            },
            "model.configDefinitions[0].name must be a name",
        ),
    ],
)
def test_definitions_that_are_not_as_an_engine_writes_them_are_refused_naming_where(
    definitions: dict[str, Any], where: str
) -> None:
    with pytest.raises(FlowFormatError, match=re.escape(where)):
        Catalog.from_definitions(definitions)
    # The same through a flow export's embedded libraryDefinitions, the way hostile files arrive.
    with pytest.raises(FlowFormatError, match=re.escape(where)):
        Flow.from_json({"pipelineConfig": {"stages": []}, "libraryDefinitions": definitions})
