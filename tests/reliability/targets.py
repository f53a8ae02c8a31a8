"""Fuzz targets shared by the CI-sized run (``test_fuzz.py``) and the long run (``scripts/fuzz.py``).

Each target takes one generated input and drives it through flowbuilder the way a user's file or
a client's request would. A FlowbuilderError is the expected answer to bad input; anything else
is a crash and is raised as :class:`Crash` (with the input kept for the report).
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import string
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes
from wsgiref.util import setup_testing_defaults

from hypothesis import strategies as st

from flowbuilder import Flow, FlowbuilderError
from flowbuilder.backends import MemoryBackend
from flowbuilder.backends.http import FLOWS_PATH
from flowbuilder.compile import to_python
from flowbuilder.compile._python import _secrets
from flowbuilder.preview import FUNCTIONS, evaluate, preview
from flowbuilder.server import FlowsApp
from tests.reliability.strategies import JSON_VALUES, TEXT, Draw, json_paths, mutated_json

CORPUS = Path(__file__).parent.parent / "corpus" / "pipelines"


class Crash(AssertionError):
    """An input made flowbuilder raise something other than a FlowbuilderError."""

    def __init__(self, target: str, value: object, error: BaseException) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 300 else shown[:300] + "..."
        self.target = target
        self.value = value
        self.error = error
        self.where = _innermost(error)
        super().__init__(f"{target}: {type(error).__name__} at {self.where}: {error} on input {shown}")

    @property
    def key(self) -> tuple[str, str]:
        """What makes two crashes the same bug: the error type and where flowbuilder raised it."""
        return type(self.error).__name__, self.where


def _innermost(error: BaseException) -> str:
    """``file:line`` of the innermost flowbuilder frame of ``error``'s traceback."""
    where = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        if "/flowbuilder/" in frame.filename:
            where = f"{frame.filename.rsplit('/flowbuilder/', 1)[1]}:{frame.lineno}"
    return where


@dataclass(frozen=True)
class Target:
    """A named fuzz target: a strategy of inputs and the function that runs one."""

    name: str
    inputs: st.SearchStrategy[Any]
    run: Callable[[Any], None]


def guard(name: str, run: Callable[[Any], None]) -> Callable[[Any], None]:
    """``run`` made to raise Crash for anything but a FlowbuilderError."""

    def guarded(value: Any) -> None:
        try:
            run(value)
        except FlowbuilderError:
            pass
        except Crash:
            raise
        except Exception as error:  # anything else is what the fuzzers look for
            raise Crash(name, value, error) from error

    return guarded


# -- seeds ---------------------------------------------------------------------------------------


def _authored_seeds() -> list[dict[str, Any]]:
    selector = (
        Flow("seed", description="routing")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"a": 1}')
        .to("Stream Selector")
    )
    selector.when("${record:value('/a') > 1}").to("Local FS", directory_template="/out").events().to("Shell")
    selector.otherwise().to("Expression Evaluator").to("Trash")
    flow = selector.flow
    flow.set_error_stage("Write to File", directory="/errors")
    flow.parameters["OUT"] = "/out"
    definition = flow.to_dict()
    return [
        definition,
        {"pipelineConfig": definition, "pipelineRules": None, "libraryDefinitions": None},
        {"flow": {"metadata": {"name": "seed", "asset_id": "x"}}, "pipeline_definition": definition},
    ]


def seeds(limit_bytes: int = 60_000) -> list[Any]:
    """Documents to mutate: authored flows in each shape and the corpus files up to ``limit_bytes``."""
    found: list[Any] = _authored_seeds()
    for path in sorted(CORPUS.glob("*.json")):
        if path.stat().st_size <= limit_bytes:
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def _bytes_mutation(documents: list[Any]) -> st.SearchStrategy[bytes]:
    texts = [json.dumps(d).encode() for d in documents]

    @st.composite
    def mutate(draw: Callable[[st.SearchStrategy[Any]], Any]) -> bytes:
        data = bytearray(draw(st.sampled_from(texts)))
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(data)))
            action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
            if action == "flip" and position < len(data):
                data[position] = draw(st.integers(0, 255))
            elif action == "insert":
                data[position:position] = draw(st.binary(min_size=1, max_size=8))
            elif action == "delete":
                del data[position : position + draw(st.integers(1, 16))]
            else:
                del data[position:]
        return bytes(data)

    return mutate()


# -- Flow.from_json and everything that reads its result -----------------------------------------


def _use_flow(flow: Flow) -> None:
    flow.validate()
    flow.to_json()
    flow.to_dot()
    flow.to_mermaid()
    repr(flow)
    for stage in [*flow.stages, flow.error_stage]:
        if stage is not None:
            repr(stage.configuration)


def _from_json(value: Any) -> None:
    _use_flow(Flow.from_json(value))


def _from_json_to_python(value: Any) -> None:
    _to_python(Flow.from_json(value))


def _to_python(flow: Flow) -> None:
    """Generate ``flow``'s Python and run it; generated code that does not run is a crash."""
    try:
        source = to_python(flow)
    except FlowbuilderError as error:
        if "generated Python would not rebuild the flow" in str(error):  # to_python's own bug
            raise RuntimeError(str(error)) from error
        raise
    namespace: dict[str, Any] = {}
    environment = _secrets(flow)
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        exec(compile(source, "<generated>", "exec"), namespace)
        namespace["flow"].to_json()
    except Exception as error:  # generated code that does not run is a crash, whatever it raises
        raise RuntimeError(f"generated Python failed: {type(error).__name__}: {error}") from error
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _preview(value: Any) -> None:
    preview(Flow.from_json(value), records=[{"a": 1, "n": "x", "b": [1, {"c": None}]}, {}])


def flow_json_inputs(documents: list[Any]) -> st.SearchStrategy[Any]:
    """Mutated documents (parsed and as text), byte-mutated JSON text and random JSON."""
    mutated = st.sampled_from(documents).flatmap(mutated_json)
    return st.one_of(
        mutated,
        mutated,
        mutated,
        mutated.map(json.dumps),
        mutated.map(json.dumps),
        _bytes_mutation(documents),
        JSON_VALUES,
        JSON_VALUES.map(json.dumps),
        st.binary(max_size=64),
    )


# -- embedded libraryDefinitions ------------------------------------------------------------------

#: Keys of a definitions document that the reader interprets: mutations aim at them first.
_DEFINITION_KEYS = frozenset(
    {
        "stages",
        "services",
        "pipeline",
        "stageDefinitionMap",
        "stageDefinitionMinimalList",
        "name",
        "version",
        "library",
        "libraryLabel",
        "label",
        "type",
        "configDefinitions",
        "defaultValue",
        "required",
        "dependsOn",
        "dependsOnMap",
        "triggeredByValues",
        "model",
        "modelType",
        "values",
        "labels",
        "valuesProviderClass",
        "min",
        "max",
        "mode",
        "group",
        "fieldName",
        "connectionType",
        "service",
        "provides",
        "configuration",
        "outputStreams",
        "variableOutputStreams",
        "outputStreamsDrivenByConfig",
        "outputStreamLabels",
        "hideStage",
        "executionModes",
        "errorStage",
        "producingEvents",
        "icon",
    }
)
#: What a field of a definition is replaced with: every JSON type, empty containers, the engine's
#: Long limits and past them, numbers where text goes and text where numbers go.
_WRONG_VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        1,
        2**63 - 1,
        -(2**63),
        2**64,
        -(2**70),
        10**400,
        1e308,
        -1e308,
        0.5,
        "",
        " ",
        "x",
        "1",
        "-1",
        "NaN",
        "::",
        "a::1",
        "${x}",
        "\x00",
        [],
        [None],
        [[]],
        [{}],
        [""],
        ["x", "x"],
        {},
        {"": None},
        {"name": None},
        {"x": []},
    ]
)

#: Values of the right JSON type that an engine would not write together: another config type or
#: model under the same config, a stage type that changes the stage's shape, counts out of range.
_PLAUSIBLE: Mapping[str, list[Any]] = {
    "type": [
        "BOOLEAN",
        "NUMBER",
        "STRING",
        "TEXT",
        "LIST",
        "MAP",
        "MODEL",
        "CHARACTER",
        "CREDENTIAL",
        "RUNTIME",
        "SOURCE",
        "PROCESSOR",
        "TARGET",
        "EXECUTOR",
        "FOO",
    ],
    "modelType": [
        "VALUE_CHOOSER",
        "MULTI_VALUE_CHOOSER",
        "LIST_BEAN",
        "FIELD_SELECTOR",
        "FIELD_SELECTOR_MULTI_VALUE",
        "PREDICATE",
        "FOO",
    ],
    "outputStreams": [0, 1, 2, 1000, -1, -(2**63)],
    "version": ["1", "0", "-1", "999", "1.5", "a", 2, 10**30],
    "defaultValue": [None, True, 0, -1, 2**63, "", "x", "${x}", [], [{}], [{"key": 1}], {"a": 1}],
    "values": [[], ["A"], ["A", "A"], [None], [1, 2], [[]]],
    "labels": [[], ["A"], ["a", "b", "c"], [None]],
    "min": [0, 10, -(2**63), 2**63, 1.5, "1"],
    "max": [0, -10, 2**63 - 1, 2**64, 0.5, "1"],
    "dependsOnMap": [{}, {"nope": ["x"]}, {"": []}, {"executionMode": []}, {"executionMode": [None, 1]}],
    "triggeredByValues": [None, [], ["x"], [None], "x"],
    "dependsOn": ["", "nope", "executionMode", "x.y"],
    "outputStreamsDrivenByConfig": ["", "nope", "executionMode", "lanePredicates"],
    "outputStreamLabels": [[], ["a"], ["a", "b", "c"], [None], [1]],
    "executionModes": [[], ["STANDALONE"], ["BATCH"], ["FOO"], [None]],
    "library": ["", "x", "streamsets-spark-basic-lib", "streamsets-snowpark-lib", "example-fuzz-lib"],
    "name": ["", "x", "a::b", "com_streamsets_pipeline_stage_destination_devnull_NullDTarget", "${x}"],
}


def _trimmed_engine_definitions(flow: dict[str, Any], *, rename: bool, flat: bool) -> dict[str, Any]:
    """The bundled catalog's schema-2 definitions of the stages ``flow`` uses, services and flow
    configs cut to a few so the documents stay small; with ``rename`` the stages get names the
    catalog does not know, so that the embedded definitions are the only ones the flow has."""
    from flowbuilder.catalog import Catalog, engine_definitions

    document = engine_definitions(Catalog.default())
    used = {stage["stageName"] for stage in flow["stages"]}
    for special in ("errorStageInstance", "statsAggregatorStage"):
        if isinstance(flow.get(special), Mapping):
            used.add(flow[special]["stageName"])
    chosen = {
        key: copy.deepcopy(stage)
        for key, stage in document["stageDefinitionMap"].items()
        if stage["name"] in used and len(stage["configDefinitions"]) <= 40
    }
    renamed: dict[str, str] = {}
    for stage in chosen.values():
        if rename:
            renamed[stage["name"]] = stage["name"].replace("com_streamsets_", "com_example_fuzz_")
            stage["name"] = renamed[stage["name"]]
            stage["library"] = "example-fuzz-lib"
    if rename:
        for stage in flow["stages"]:
            if stage["stageName"] in renamed:
                stage["stageName"] = renamed[stage["stageName"]]
                stage["library"] = "example-fuzz-lib"
    services = [
        dict(service, configDefinitions=service["configDefinitions"][:6]) for service in document["services"]
    ]
    pipeline = [{"configDefinitions": document["pipeline"][0]["configDefinitions"][:32]}]
    # The flow keeps only the flow configs these definitions describe: what an engine with
    # fewer flow configs exports.
    kept = {config["name"] for config in pipeline[0]["configDefinitions"]}
    flow["configuration"] = [entry for entry in flow["configuration"] if entry["name"] in kept]
    if flat:
        return {
            "schemaVersion": "2",
            "stages": list(chosen.values()),
            "services": services[:2],
            "pipeline": pipeline,
        }
    return {
        "schemaVersion": "2",
        "pipeline": pipeline,
        "stages": [],
        "services": services[:2],
        "stageDefinitionMap": {f"{s['name']}::{s['version']}": s for s in chosen.values()},
        "stageDefinitionMinimalList": [
            {"name": s["name"], "version": s["version"], "library": s["library"], "libraryLabel": ""}
            for s in chosen.values()
        ],
    }


def _corpus_definitions_seed(name: str) -> dict[str, Any] | None:
    """A corpus export that embeds libraryDefinitions, cut to the definitions its stages use."""
    from flowbuilder.compile import split_document

    path = CORPUS / name
    if not path.exists():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    definition, _ = split_document(document)
    used = {stage.get("stageName") for stage in definition.get("stages") or []}
    library = document["libraryDefinitions"]
    stages = [stage for stage in library.get("stages") or [] if stage.get("name") in used]
    provides = {entry.get("service") for stage in stages for entry in stage.get("services") or []}
    document["libraryDefinitions"] = {
        "schemaVersion": library.get("schemaVersion"),
        "pipeline": library.get("pipeline"),
        "stages": stages,
        "services": [s for s in library.get("services") or [] if s.get("provides") in provides],
    }
    return document


def definition_seeds() -> list[dict[str, Any]]:
    """Flow exports that carry ``libraryDefinitions``: the bundled catalog's own definitions of the
    flow's stages (map and flat forms, under the catalog's names and under unknown ones) and
    corpus exports cut to the definitions their stages use."""
    found: list[dict[str, Any]] = []
    flow = (
        Flow("defined", description="embedded definitions")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"a": 1}')
        .to("Stream Selector")
    )
    flow.when("${record:value('/a') > 1}").to("Expression Evaluator").to("Trash")
    deduplicator = flow.otherwise().to("Record Deduplicator").stage
    whole = flow.flow
    # Two outputs without predicates: their labels come from the definitions.
    deduplicator.connect_output_to(whole.add_stage("Trash"), output_idx=0)
    deduplicator.connect_output_to(whole.add_stage("Trash"), output_idx=1)
    whole.set_error_stage("Discard")
    for rename, flat in ((False, False), (True, False), (True, True), (False, True)):
        definition = whole.to_dict()
        library = _trimmed_engine_definitions(definition, rename=rename, flat=flat)
        found.append({"pipelineConfig": definition, "pipelineRules": None, "libraryDefinitions": library})
    for name in ("034_pivot-fragment.json", "057_im-csv-2.json"):
        seed = _corpus_definitions_seed(name)
        if seed is not None:
            found.append(seed)
    return found


def mutated_definitions(document: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``document`` with one to five parts of its ``libraryDefinitions`` dropped, emptied or
    replaced by a value of the wrong type; most changes hit the keys the definitions reader
    interprets, so the result reaches it rather than failing at the first JSON check."""
    paths = json_paths(document["libraryDefinitions"], ("libraryDefinitions",))
    aimed = [path for path in paths if path and path[-1] in _DEFINITION_KEYS] or paths
    text = json.dumps(document)

    def wrong_type(value: Any) -> Any:
        """The same content in another JSON type: list <-> dict <-> text <-> number."""
        if isinstance(value, list):
            return {str(index): item for index, item in enumerate(value)}
        if isinstance(value, dict):
            return list(value.values()) or list(value)
        if isinstance(value, str):
            return [value]
        if isinstance(value, bool) or value is None:
            return str(value)
        return str(value) if isinstance(value, int | float) else None

    @st.composite
    def mutate(draw: Draw) -> Any:
        copy_ = json.loads(text)
        for _ in range(draw(st.integers(1, 5))):
            path = draw(st.sampled_from(aimed) | st.sampled_from(aimed) | st.sampled_from(paths))
            parent: Any = copy_
            try:
                for step in path[:-1]:
                    parent = parent[step]
                key = path[-1]
                action = draw(
                    st.sampled_from(
                        ["drop", "wrong", "plausible", "plausible", "convert", "random", "empty", "copy"]
                    )
                )
                if action == "drop" and isinstance(parent, dict | list):
                    del parent[key]
                elif action == "wrong":
                    parent[key] = copy.deepcopy(draw(_WRONG_VALUES))
                elif action == "plausible" and key in _PLAUSIBLE:
                    parent[key] = copy.deepcopy(draw(st.sampled_from(_PLAUSIBLE[key])))
                elif action == "convert":
                    parent[key] = wrong_type(parent[key])
                elif action == "random":
                    parent[key] = draw(JSON_VALUES)
                elif action == "empty":
                    value = parent[key]
                    parent[key] = type(value)() if isinstance(value, list | dict | str) else None
                else:  # a value from elsewhere in the document: right types in the wrong place
                    other = draw(st.sampled_from(paths))
                    source: Any = copy_
                    for step in other:
                        source = source[step]
                    parent[key] = copy.deepcopy(source)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed or replaced this path
        return copy_

    return mutate()


def definitions_inputs(documents: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Mutated flow exports with embedded definitions, parsed and as text."""
    # Drawn by index: a strategy over the documents themselves would print them whole in its repr.
    mutators = [mutated_definitions(document) for document in documents]
    mutated = st.integers(0, len(mutators) - 1).flatmap(mutators.__getitem__)
    return st.one_of(mutated, mutated, mutated, mutated.map(json.dumps))


def _definitions(value: Any) -> None:
    flow = Flow.from_json(value)
    _use_flow(flow)
    _to_python(flow)


# -- export archives -----------------------------------------------------------------------------

_LOCAL_HEADER = b"PK\x03\x04"
_CENTRAL_HEADER = b"PK\x01\x02"
_END_OF_CENTRAL = b"PK\x05\x06"


def archive_seeds() -> list[bytes]:
    """Zips ``export_flows`` writes: one flow, three flows (one with embedded definitions), and
    one with plain-text credentials."""
    from flowbuilder.backends import MemoryBackend

    backend = MemoryBackend()
    ids = []
    documents = [_authored_seeds()[0], definition_seeds()[0]]
    for number, document in enumerate(documents):
        created = backend.create_flow({"name": f"seed {number}", "pipeline_definition": document})
        ids.append(created["flow"]["metadata"]["asset_id"])
    empty = backend.create_flow({"name": "empty"})
    ids.append(empty["flow"]["metadata"]["asset_id"])
    return [
        backend.export_flows(ids[:1]),
        backend.export_flows(ids),
        backend.export_flows(ids[-1:], with_plain_text_credentials=True),
    ]


def _headers(data: bytes) -> list[int]:
    """Offsets of every local and central header and the end record in ``data``."""
    found = []
    for signature in (_LOCAL_HEADER, _CENTRAL_HEADER, _END_OF_CENTRAL):
        start = data.find(signature)
        while start >= 0:
            found.append(start)
            start = data.find(signature, start + 1)
    return sorted(found)


# Fields of a zip header a mutation overwrites, as (offset from the signature, width), per record:
# version needed, flags (0x800: UTF-8 name; 0x1: encrypted; 0x8: sizes after the data),
# compression method, CRC, compressed and uncompressed sizes, name and extra lengths,
# the local header offset (central) and the central directory's count, size and offset (end).
_FIELDS = {
    _LOCAL_HEADER: [(4, 2), (6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)],
    _CENTRAL_HEADER: [(6, 2), (8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (42, 4)],
    _END_OF_CENTRAL: [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)],
}
_FIELD_VALUES = st.sampled_from(
    [0, 1, 8, 9, 12, 14, 93, 99, 0x800, 0x801, 0x808, 0x0008, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**31]
) | st.integers(0, 2**32 - 1)


class _Unprinted(list[bytes]):
    """Zip bytes a strategy is built over, shown in its repr by count (hypothesis prints every
    strategy's arguments, and these are kilobytes)."""

    def __repr__(self) -> str:
        return f"<{len(self)} archives>"


@st.composite
def _mutated_archive(draw: Draw, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(
            st.sampled_from(["field", "field", "field", "flip", "overwrite", "truncate", "insert", "name"])
        )
        headers = _headers(bytes(data))
        if action == "field" and headers:
            start = draw(st.sampled_from(headers))
            fields = _FIELDS.get(bytes(data[start : start + 4]), [])
            if fields:
                offset, width = draw(st.sampled_from(fields))
                value = draw(_FIELD_VALUES) % (1 << (8 * width))
                data[start + offset : start + offset + width] = value.to_bytes(width, "little")
        elif action == "flip" and data:
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "overwrite" and data:
            position = draw(st.integers(0, len(data) - 1))
            chunk = draw(st.binary(min_size=1, max_size=64))
            data[position : position + len(chunk)] = chunk
        elif action == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif action == "insert":
            position = draw(st.integers(0, len(data)))
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "name":
            # Member names rewritten in place (same length, so the headers still line up).
            old = draw(st.sampled_from([b"flows/", b"manifest", b".json"]))
            new = draw(st.sampled_from([b"../../", b"/etc/p", b"C:\\x\\y", b"\xff\xfe..", b"\x00\x00\x00"]))
            new = (new * 3)[: len(old)]
            data = bytearray(bytes(data).replace(old, new, draw(st.integers(1, 4))))
    return bytes(data)


_MEMBER_NAMES = st.sampled_from(
    [
        "flows/a.json",
        "flows/a.json",
        "manifest.json",
        "../evil.json",
        "/etc/flow.json",
        "C:\\flows\\a.json",
        "flows/\u00e9\u6f22.json",
        "flows/",
        ".json",
        "flows/a.txt",
        "a/" * 50 + "deep.json",
    ]
)
_COMPRESSIONS = st.sampled_from(
    [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)


def _member_bodies(flows: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(flows),
        _bytes_mutation([json.loads(text) for text in flows]),
        JSON_VALUES.map(lambda value: json.dumps(value).encode()),
        st.sampled_from(
            [
                b"",
                b"null",
                b"[]",
                b"{}",
                b'"flow"',
                b"1e999",
                b"[" * 10_000 + b"]" * 10_000,
                b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
                b"\xef\xbb\xbf{}",
                b"\xff\xfe{\x00}\x00",
                b'{"pipelineConfig": {"stages": "x"}}',
                b'{"name": "\\ud800"}',
                b"not json at all",
            ]
        ),
        st.binary(max_size=64),
    )


@st.composite
def _built_archive(draw: Draw, flows: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate member names are what is being built
        with zipfile.ZipFile(buffer, "w") as archive:
            for _ in range(draw(st.integers(0, 4))):
                info = zipfile.ZipInfo(draw(_MEMBER_NAMES))
                info.compress_type = draw(_COMPRESSIONS)
                archive.writestr(info, draw(_member_bodies(flows)))
            if draw(st.booleans()):
                archive.comment = draw(st.binary(max_size=32))
    return buffer.getvalue()


def archive_inputs(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Export zips damaged byte by byte and in their header fields, and zips built member by member."""
    flows = _Unprinted()
    for data in seeds:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            flows.extend(archive.read(name) for name in archive.namelist() if name.startswith("flows/"))
    mutated = _mutated_archive(_Unprinted(seeds))
    return st.one_of(
        mutated, mutated, mutated, _built_archive(flows), _built_archive(flows), st.binary(max_size=64)
    )


def _stored(backend: MemoryBackend) -> dict[str, Any]:
    return copy.deepcopy(backend._flows)


def _import(value: bytes, *, through_project: bool) -> None:
    """Import ``value`` into a project holding one flow; a refused import must leave it as it was."""
    from flowbuilder.project import Project

    project = Project.memory()
    backend = project.backend
    assert isinstance(backend, MemoryBackend)
    backend.create_flow({"name": "seed 0", "pipeline_definition": _authored_seeds()[0]})
    before = _stored(backend)
    try:
        if through_project:
            for flow in project.import_flows(value):
                _use_flow(flow)
        else:
            backend.import_flows(value, conflict_resolution="rename")
    except FlowbuilderError:
        if _stored(backend) != before:
            raise RuntimeError("a refused import left flows in the store (half an import)") from None
        raise
    for document in backend._flows.values():
        Flow.from_json(document[1].get("pipeline_definition") or {"stages": []})


def _archive(value: bytes) -> None:
    _import(value, through_project=False)
    _import(value, through_project=True)


# -- the expression language ---------------------------------------------------------------------

_EL_ATOMS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["true", "false", "null", "empty", "NaN", "1e999", "0x1F", "'a'", '"b"', "''", "'\\''"]),
    TEXT.map(lambda text: "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.sampled_from(["/a", "/a/b", "/", "[0]", "/a[1]", "/'x y'", "/*"]).map(
        lambda p: f"record:value('{p}')"
    ),
    st.sampled_from(["PARAM", "x", "record", "a.b", "a[0]"]),
)
_EL_OPERATORS = [
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "&&",
    "||",
    "and",
    "or",
    "div",
    "mod",
]


def _el_expressions() -> st.SearchStrategy[str]:
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        function = st.sampled_from([*sorted(FUNCTIONS), "nope:nothing", "str:", ":x"])
        return st.one_of(
            st.tuples(children, st.sampled_from(_EL_OPERATORS), children).map(" ".join),
            st.tuples(st.sampled_from(["!", "-", "not ", "empty "]), children).map("".join),
            st.tuples(children, children, children).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
            children.map(lambda c: f"({c})"),
            st.tuples(function, st.lists(children, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        )

    body = st.recursive(_EL_ATOMS, extend, max_leaves=12)
    template = st.lists(
        st.one_of(body.map(lambda b: "${" + b + "}"), TEXT, st.sampled_from(["${", "}", "${}", "$", "{"])),
        min_size=1,
        max_size=3,
    ).map("".join)
    raw = st.text(string.printable, max_size=40).map(lambda text: "${" + text + "}")
    return st.one_of(template, raw, TEXT)


def _record() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.dictionaries(st.sampled_from(["a", "b", "n"]), JSON_VALUES, max_size=3))


def _evaluate(value: tuple[str, Any, dict[str, Any]]) -> None:
    source, record, parameters = value
    evaluate(source, record, parameters=parameters)


# -- the server's request parsing ----------------------------------------------------------------

_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "G\x00T", ""]
_PATHS = [
    FLOWS_PATH,
    FLOWS_PATH + "/",
    FLOWS_PATH + "/{id}",
    FLOWS_PATH + "/{id}/duplicate",
    FLOWS_PATH + "/export/flows",
    FLOWS_PATH + "/import",
    "/sset/streamsets_flows/v2/streamsets_flows/{id}",
    "/sset/engine_manager/v1/streamsets_environments",
    "/sset/engine_manager/v1/streamsets_environments/{id}",
    "/",
    "/../../etc/passwd",
]
_IDS = st.one_of(
    st.just("{known}"),
    st.text(string.ascii_letters + string.digits + "%/.-_~' \"<>", max_size=20),
    TEXT,
)


class ServerTarget:
    """One in-process ``flowbuilder serve`` app (over the memory store) that requests are sent to."""

    def __init__(self) -> None:
        backend = MemoryBackend()
        self.app = FlowsApp(backend, token="fuzz-token")  # type: ignore[arg-type]
        created = backend.create_flow({"name": "seed", "pipeline_definition": _authored_seeds()[0]})
        self.known = created["flow"]["metadata"]["asset_id"]

    def send(self, request: Mapping[str, Any]) -> tuple[int, bytes]:
        """Send one request as waitress would pass it on (PEP 3333: every string is the request's
        bytes decoded as latin-1); returns the status and body.

        An exception the app caught and logged (its 500 answer) is raised again here.
        """
        path = _wire(request["path"].replace("{id}", request["id"]).replace("{known}", self.known))
        query = _wire(request["query"].replace("{project}", self.app.backend.project_id))
        body: bytes = request["body"]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": _wire(request["method"]).upper(),
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "REQUEST_URI": path + ("?" + query if query else ""),
            "QUERY_STRING": query,
            "CONTENT_LENGTH": request["length"] if request["length"] is not None else str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        if request["auth"] is not None:
            environ["HTTP_AUTHORIZATION"] = _wire(request["auth"])
        environ.update({key: _wire(value) for key, value in request["headers"].items()})
        setup_testing_defaults(environ)
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            answer["status"] = int(status.split()[0])
            answer["headers"] = headers

        with _logged_errors() as logged:
            content = b"".join(self.app(environ, start_response))
        if logged:
            raise logged[0]
        return answer["status"], content


def _wire(text: str) -> str:
    """``text`` as a WSGI server hands it over: its UTF-8 bytes decoded as latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])


@contextmanager
def _logged_errors() -> Iterator[list[BaseException]]:
    logger = logging.getLogger("flowbuilder.server")
    handler = _Capture()
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield handler.errors
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _request_bodies() -> st.SearchStrategy[bytes]:
    create = st.fixed_dictionaries(
        {},
        optional={
            "name": TEXT | JSON_VALUES,
            "description": TEXT | JSON_VALUES,
            "environment_id": TEXT,
            "engine_version": TEXT,
            "pipeline_definition": st.sampled_from(_authored_seeds()[:1]).flatmap(mutated_json) | JSON_VALUES,
            "fragment_ids": JSON_VALUES,
            "flow": JSON_VALUES,
        },
    )
    return st.one_of(
        create.map(lambda body: json.dumps(body).encode()),
        JSON_VALUES.map(lambda body: json.dumps(body).encode()),
        st.binary(max_size=64),
        st.just(b"[" * 5000),
        st.just(b'{"name": "\\ud800"}'),
    )


def server_requests() -> st.SearchStrategy[dict[str, Any]]:
    """Random requests: methods, paths, ids, queries, headers, lengths and bodies."""
    query = st.one_of(
        st.just("project_id={project}"),
        st.lists(
            st.sampled_from(
                [
                    "project_id={project}",
                    "project_id=other",
                    "limit=5",
                    "limit=-1",
                    "limit=x",
                    "limit=99999999999999999999",
                    "start=1",
                    "start=abc",
                    "start=%C2%B2",  # '²': str.isdigit() says yes, int() says no
                    "start=" + "9" * 30,  # past SQLite's INTEGER
                    "name=seed",
                    "flow_ids={known}",
                    "conflict_resolution=rename",
                    "conflict_resolution=bogus",
                    "with_plain_text_credentials=true",
                    "%ZZ",
                    "a=%00",
                ]
            ),
            max_size=4,
        ).map("&".join),
        TEXT,
    )
    headers = st.dictionaries(
        st.sampled_from(["HTTP_IF_MATCH", "HTTP_CONTENT_TYPE", "HTTP_X_FORWARDED_FOR", "REQUEST_URI"]),
        st.sampled_from(
            # '²' passes str.isdigit() but not int(); 5,000 digits are more than int() reads
            [
                '"1"',
                '"2"',
                "*",
                'W/"1"',
                "x",
                '"-1"',
                "",
                FLOWS_PATH + "/%2F",
                "//",
                '"²"',
                '"' + "9" * 5000 + '"',
            ]
        )
        | TEXT,
        max_size=2,
    )
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(_METHODS),
            "path": st.sampled_from(_PATHS) | TEXT.map(lambda t: "/" + t),
            "id": _IDS,
            "query": query,
            "auth": st.sampled_from(["Bearer fuzz-token", "Bearer fuzz-token", "Bearer wrong", "", None]),
            "headers": headers,
            "length": st.one_of(
                st.none(), st.none(), st.sampled_from(["-1", "abc", "", "999999999999", "0", "²", "9" * 5000])
            ),
            "body": _request_bodies(),
        }
    )


def _server_run(server: Callable[[], ServerTarget]) -> Callable[[dict[str, Any]], None]:
    def run(request: dict[str, Any]) -> None:
        status, content = server().send(request)
        if status >= 500:
            raise RuntimeError(f"HTTP {status}: {content[:300]!r}")
        if status >= 400:
            body = json.loads(content)
            message = body["errors"][0]["message"]
            if not isinstance(message, str) or not message:
                raise RuntimeError(f"HTTP {status} without a message: {content[:300]!r}")

    return run


# -- the targets ---------------------------------------------------------------------------------


def targets(documents: list[Any] | None = None) -> Iterator[Target]:
    """Every fuzz target, over ``documents`` (default: :func:`seeds`)."""
    documents = seeds() if documents is None else documents
    inputs = flow_json_inputs(documents)
    yield Target("from_json", inputs, guard("from_json", _from_json))
    yield Target("to_python", inputs, guard("to_python", _from_json_to_python))
    yield Target("preview", inputs, guard("preview", _preview))
    yield Target("definitions", definitions_inputs(definition_seeds()), guard("definitions", _definitions))
    yield Target("archive", archive_inputs(archive_seeds()), guard("archive", _archive))
    yield Target(
        "el",
        st.tuples(
            _el_expressions(), _record(), st.dictionaries(st.sampled_from(["PARAM", "x"]), JSON_VALUES)
        ),
        guard("el", _evaluate),
    )
    holder: list[ServerTarget] = []

    def server() -> ServerTarget:
        if not holder:
            holder.append(ServerTarget())
        return holder[0]

    yield Target("server", server_requests(), guard("server", _server_run(server)))
