"""Hostile input: malformed flow JSON, huge and deeply nested documents, cycles, and names with
path parts, quotes, SQL, markup, control characters and great length, through the importer, every
backend, the server, the renderers and the CLI. Bad input only ever raises a FlowbuilderError that
says what and where; stored data is never lost."""

from __future__ import annotations

import copy
import io
import json
import os
import socket
import subprocess
import sys
import tracemalloc
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import requests

import flowbuilder._bounded_json as bounded_json
import flowbuilder._json as json_reading
from flowbuilder import AuthError, BackendError, Flow, FlowFormatError, NotFoundError, PreviewError, Project
from flowbuilder._json import memory_limit
from flowbuilder.backends import HttpBackend, LocalBackend, MemoryBackend
from flowbuilder.backends.http import FLOWS_PATH, MAX_RESPONSE_BYTES
from flowbuilder.compile import MAX_JSON_BYTES, MAX_JSON_DEPTH, to_python
from flowbuilder.compile import _reader as reader
from flowbuilder.preview import preview
from flowbuilder.render import render
from flowbuilder.server import FlowsApp, ServerProcess
from tests.conftest import CORPUS_FILES, run_generated


def _definition() -> dict[str, Any]:
    return Flow("orders").source("Dev Raw Data Source").to("Trash").flow.to_dict()


def _broken(change: str) -> dict[str, Any]:
    definition = copy.deepcopy(_definition())
    stage = definition["stages"][0]
    if change == "flow config without name":
        definition["configuration"][0] = {"value": 1}
    elif change == "flow config not an object":
        definition["configuration"][0] = ["executionMode", "STANDALONE"]
    elif change == "stage config name a list":
        stage["configuration"][0]["name"] = ["conf", "dataFormat"]
    elif change == "service not an object":
        stage["services"][0] = "dataFormat"
    elif change == "service config not a list":
        stage["services"][0]["configuration"] = {"name": "dataFormat"}
    elif change == "service config entry a list":
        stage["services"][0]["configuration"][0] = [1, 2]
    elif change == "lane a list":
        definition["stages"][1]["inputLanes"] = [["DevRawDataSource_01OutputLane1"]]
    elif change == "output lane a number":
        stage["outputLanes"] = [7]
    return definition


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("flow config without name", "configuration[0]"),
        ("flow config not an object", "configuration[0]"),
        ("stage config name a list", "stages[0].configuration[0]"),
        ("service not an object", "stages[0].services[0]"),
        ("service config not a list", "stages[0].services[0].configuration"),
        ("service config entry a list", "stages[0].services[0].configuration[0]"),
        ("lane a list", "stages[1].inputLanes"),
        ("output lane a number", "stages[0].outputLanes"),
    ],
)
def test_malformed_config_entries_services_and_lanes_are_named_in_a_format_error(
    change: str, where: str
) -> None:
    with pytest.raises(FlowFormatError) as raised:
        Flow.from_json(_broken(change))
    assert where in str(raised.value)


# -- huge and deeply nested JSON -------------------------------------------------------------------

MB = 1024 * 1024


def _peak_bytes(call: Callable[[], object]) -> tuple[BaseException | None, int]:
    """Run ``call``; the error it raised and the peak of Python memory it allocated."""
    tracemalloc.start()
    try:
        call()
    except BaseException as error:  # returned for the caller to check
        raised: BaseException | None = error
    else:
        raised = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


def _huge_flow_text(size: int) -> bytes:
    """A syntactically valid flow document of about ``size`` bytes (one huge raw_data value)."""
    definition = _definition()
    definition["stages"][0]["configuration"].append({"name": "padding", "value": "PAD"})
    text = json.dumps(definition).encode()
    return text.replace(b'"PAD"', b'"' + b"x" * (size - len(text) + 3) + b'"')


def test_a_100_mb_flow_is_refused_before_parsing_with_bounded_memory(tmp_path: Path) -> None:
    data = _huge_flow_text(100 * MB)
    raised, peak = _peak_bytes(lambda: Flow.from_json(data))
    assert isinstance(raised, FlowFormatError)
    assert "104,857,600 bytes, more than the limit of 67,108,864" in str(raised)
    assert "max_bytes=" in str(raised)
    assert peak < 1 * MB  # parsing it would have taken hundreds of MB

    path = tmp_path / "huge.json"
    path.write_bytes(data)
    raised, peak = _peak_bytes(lambda: Flow.from_file(path))
    assert isinstance(raised, FlowFormatError)
    assert str(path) in str(raised)
    assert peak < 1 * MB  # refused from the file's size: not even read


def _stages(count: int, stage: dict[str, Any]) -> str:
    stages = [dict(stage, instanceName=f"s{n}") for n in range(count)]
    return json.dumps({"pipelineConfig": dict(_definition(), stages=stages)}, separators=(",", ":"))


_TRASH = {
    "library": "streamsets-datacollector-basic-lib",
    "stageName": "com_streamsets_pipeline_stage_destination_devnull_NullDTarget",
    "stageVersion": "1",
    "configuration": [],
    "uiInfo": {},
    "inputLanes": [],
    "outputLanes": [],
    "eventLanes": [],
    "services": [],
}


def _array(item: str, count: int) -> str:
    return '{"pipelineConfig": {"stages": [], "x": [' + ",".join([item] * count) + "]}}"


#: Documents of 0.5 to 1.2 MB that cost most memory per byte of text, each inside a flow envelope,
#: and what flowbuilder does about them.
_DENSE = {
    "empty lists": (_array("[]", 400_000), "refused"),
    "empty objects": (_array("{}", 400_000), "refused"),
    "numbers": (_array("1000", 150_000), "refused"),
    "short strings": (_array('"ab"', 150_000), "shared"),
    "stages of two keys": (_stages(25_000, {"stageName": "x"}), "refused"),
    "stages of every key, empty": (_stages(5_000, _TRASH), "refused"),
}


@pytest.fixture
def tight(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory limit with a small allowance (a window of 8 KiB, 256 KiB in all), so that
    documents of about a megabyte show the five times their size, not the 8 MiB allowance."""
    monkeypatch.setattr(bounded_json, "WINDOW", 8 * 1024)
    monkeypatch.setattr(json_reading, "_MEMORY_ALLOWANCE", 256 * 1024)


def _bound(size: int) -> int:
    """What reading ``size`` bytes may take: ``memory_limit``, and what the parser holds inside one
    window (about 25 times it)."""
    return memory_limit(size) + 32 * bounded_json.WINDOW


@pytest.mark.usefixtures("tight")
@pytest.mark.parametrize("shape", sorted(_DENSE))
def test_reading_a_document_costs_at_most_five_times_its_size_whatever_it_holds(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, outcome = _DENSE[shape]
    data = text.encode()
    raised, peak = _peak_bytes(lambda: Flow.from_json(data))
    assert peak <= _bound(len(data)), f"{peak / len(data):.1f}x the text"
    # What it costs unchecked: Python's parser alone, or the flow built without the check.
    monkeypatch.setattr(reader, "check_import_memory", lambda *args: None)
    unchecked = max(_peak_bytes(lambda: json.loads(data))[1], _peak_bytes(lambda: Flow.from_json(data))[1])
    assert unchecked > 5 * len(data), f"{unchecked / len(data):.1f}x"  # a shape worth testing
    if outcome == "refused":
        assert isinstance(raised, FlowFormatError), raised
        assert "(5 times its size) to read" in str(raised)
    else:  # equal strings made one object: far under the limit
        assert raised is None
        assert peak < 3 * len(text)


_SMALL_DENSE = {  # members of about 75 KB: each alone within its limit
    "empty lists": (_array("[]", 25_000), True),
    "stages of every key, empty": (_stages(300, _TRASH), False),
}


@pytest.mark.usefixtures("tight")
@pytest.mark.parametrize("store", ["memory", "local"])
@pytest.mark.parametrize("shape", sorted(_SMALL_DENSE))
def test_the_members_of_an_archive_share_one_memory_limit(tmp_path: Path, store: str, shape: str) -> None:
    member, refused = _SMALL_DENSE[shape]
    archive = _zip({f"flows/{n}.json": member.encode() for n in range(20)})
    size = 20 * len(member)
    project = Project.memory() if store == "memory" else Project.local(tmp_path / "store")
    raised, peak = _peak_bytes(lambda: project.backend.import_flows(archive, conflict_resolution="rename"))
    assert peak <= _bound(size), f"{peak / size:.1f}x"
    if refused:  # each member alone takes 25 times its text: 20 of them, far past the limit
        assert isinstance(raised, BackendError), raised
        assert "(5 times its size) to read" in str(raised)
        assert len(project.flows) == 0  # all or nothing
    else:
        assert raised is None
        assert len(project.flows) == 20


def test_flowbuilders_own_flow_json_reads_back_within_the_bound() -> None:
    flow = Flow("wide")
    source = flow.add_stage("Dev Raw Data Source")
    source >> [flow.add_stage("Trash") for _ in range(10_000)]
    text = flow.to_json()
    Flow.from_json(text)  # the catalog's caches, once
    raised, peak = _peak_bytes(lambda: Flow.from_json(text))
    assert raised is None
    assert peak <= 5 * len(text), f"{peak / len(text):.1f}x"


@pytest.mark.parametrize(
    "path", sorted(CORPUS_FILES, key=lambda p: -p.stat().st_size)[:3], ids=lambda p: p.stem
)
def test_reading_the_largest_real_flows_costs_a_small_multiple_of_their_size(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    Flow.from_json(text)  # load the catalog and caches first: a one-time cost, not the document's
    raised, peak = _peak_bytes(lambda: Flow.from_json(text))
    assert raised is None
    # json.loads alone: 5.5-6.5x; equal strings, keys and values, shared while parsing and the
    # document's parts kept by the flow, not copied: 2.8-3.1x.
    assert peak < 5 * len(text), f"{peak / len(text):.1f}x"


def test_the_size_limit_is_documented_and_callers_can_raise_it(tmp_path: Path) -> None:
    assert MAX_JSON_BYTES == 64 * MB
    data = _huge_flow_text(3 * MB)
    with pytest.raises(FlowFormatError, match="more than the limit of 2,097,152"):
        Flow.from_json(data, max_bytes=2 * MB)
    assert len(Flow.from_json(data, max_bytes=4 * MB).stages) == 2
    path = tmp_path / "big.json"
    path.write_bytes(data)
    with pytest.raises(FlowFormatError, match="more than the limit of 2,097,152"):
        Flow.from_file(path, max_bytes=2 * MB)
    assert (
        Flow.from_file(path, max_bytes=4 * MB).to_dict() == Flow.from_json(data, max_bytes=4 * MB).to_dict()
    )


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [101, 1_000, 100_000])
def test_deeply_nested_json_is_a_format_error_with_bounded_memory(depth: int) -> None:
    definition = json.dumps(_definition())
    for text in (_nested(depth), definition.replace('"STANDALONE"', _nested(depth), 1)):
        raised, peak = _peak_bytes(lambda text=text: Flow.from_json(text))  # type: ignore[misc]
        assert isinstance(raised, FlowFormatError), raised
        assert "nests more than 100 levels deep" in str(raised)
        assert peak < 20 * MB


def test_deeply_nested_parsed_documents_are_refused_without_recursion() -> None:
    value: list[Any] = []
    for _ in range(100_000):
        value = [value]
    definition = _definition()
    definition["stages"][0]["configuration"][0]["value"] = value
    with pytest.raises(FlowFormatError, match=r"levels deep at stages\[0\]\.configuration\[0\]\.value"):
        Flow.from_json(definition)


def test_a_flow_at_the_nesting_limit_is_read_compiled_validated_drawn_and_generated() -> None:
    definition = _definition()
    depth_of_config_value = 4  # definition > stages > [0] > configuration > [0] > value
    definition["stages"][0]["configuration"].append({"name": "deep", "value": None})
    value: object = "leaf"
    for _ in range(MAX_JSON_DEPTH - depth_of_config_value - 1):
        value = [value]
    definition["stages"][0]["configuration"][-1]["value"] = value
    flow = Flow.from_json(json.dumps(definition))
    assert Flow.from_json(flow.to_json()).to_json() == flow.to_json()
    assert not flow.validate().errors
    assert "DevRawDataSource_01" in flow.to_dot()
    assert "DevRawDataSource_01" in flow.to_mermaid()
    assert "deep" in to_python(flow)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"stages": [], "title": "\xff\xfe"}', "is not UTF-8 text"),
        ('{"stages": [], "title": "\\ud800"}', "unpaired surrogate '\\ud800' at title"),
        ('{"stages": [{"\\udfff": 1}]}', "unpaired surrogate '\\udfff' at stages[0]"),
        ('{"stages": [], "version": ' + "9" * 5000 + "}", "4300 digits"),
        ('{"stages": [', "not valid JSON"),
    ],
)
def test_undecodable_text_surrogates_and_giant_numbers_are_format_errors(
    text: str | bytes, message: str
) -> None:
    with pytest.raises(FlowFormatError) as raised:
        Flow.from_json(text)
    assert message in str(raised.value)


def _app() -> tuple[FlowsApp, MemoryBackend]:
    backend = MemoryBackend()
    return FlowsApp(backend, token="t"), backend  # type: ignore[arg-type]


def _post(app: FlowsApp, body: bytes, length: str | None = None) -> tuple[int, dict[str, Any]]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": FLOWS_PATH,
        "QUERY_STRING": f"project_id={app.backend.project_id}",
        "HTTP_AUTHORIZATION": "Bearer t",
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    answer: dict[str, int] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = int(status.split()[0])

    content = b"".join(app(environ, start_response))
    return answer["status"], json.loads(content) if content else {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_nested(100_000).encode(), "the body: JSON nests more than 100 levels deep"),
        (b'{"name": "' + b"[" * 200 + b'"}', None),
        (b'{"name": {"a": ' + _nested(150).encode() + b"}}", "levels deep at name.a"),
        (b'{"name": "\\ud800"}', "unpaired surrogate '\\ud800' at name"),
        (b'{"name": "\xff"}', "is not UTF-8 text"),
        (b'{"name": ' + b"1" * 5000 + b"}", "4300 digits"),
    ],
)
def test_the_server_answers_hostile_bodies_with_400_and_stores_nothing(
    body: bytes, message: str | None
) -> None:
    app, backend = _app()
    status, answer = _post(app, body)
    if message is None:  # '[' inside a string is just text
        assert status == 201
        return
    assert status == 400
    assert message in answer["errors"][0]["message"]
    assert backend.list_flows().total_count == 0


@pytest.mark.usefixtures("tight")
def test_the_server_refuses_a_flow_of_tiny_stages_before_building_it() -> None:
    app, backend = _app()
    stages = [{"instanceName": f"s{n}", "stageName": "x"} for n in range(25_000)]
    body = json.dumps({"name": "tiny", "pipeline_definition": dict(_definition(), stages=stages)}).encode()
    _post(app, b'{"name": "warm", "pipeline_definition": ' + json.dumps(_definition()).encode() + b"}")
    raised, peak = _peak_bytes(lambda: _post(app, body))
    assert raised is None
    status, answer = _post(app, body)
    assert status == 400
    assert "(5 times its size) to read" in answer["errors"][0]["message"]
    assert peak <= _bound(len(body)), f"{peak / len(body):.1f}x"
    assert backend.list_flows().total_count == 1  # the warm-up flow only


def test_the_server_refuses_a_body_over_the_importers_limit_before_reading_it() -> None:
    app, backend = _app()
    status, answer = _post(app, b"{}", length=str(MAX_JSON_BYTES + 1))
    assert status == 413
    assert answer["errors"][0]["code"] == "payload_too_large"
    assert backend.list_flows().total_count == 0


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to read the server's memory")
def test_a_100_mb_upload_to_flowbuilder_serve_is_refused_with_413_in_bounded_memory(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "store") as server:
        before = _peak_rss_kib(server.pid)
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        head = (
            f"POST {FLOWS_PATH}?project_id={server.project_id} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * MB}\r\n\r\n"
        )
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(head.encode())
            chunk = b" " * MB
            try:
                for _ in range(100):
                    connection.sendall(chunk)
            except OSError:
                pass  # the server closed the connection after answering: what we want
            answer = connection.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413")
        assert _peak_rss_kib(server.pid) - before < 50 * 1024
        assert len(server.connect().flows) == 0


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_nested(100_000).encode(), "JSON nests more than 100 levels deep"),
        (b'{"stages": [], "title": "\\udc00"}', "unpaired surrogate"),
        (b'{"stages": [], "title": "\xc3\x28"}', "is not UTF-8 text"),
        (b" " * (MAX_JSON_BYTES + 1), "more than 67,108,864"),
    ],
)
def test_import_refuses_hostile_archive_members_and_keeps_the_stored_flows(
    member: bytes, message: str
) -> None:
    project = Project.memory()
    kept = project.create_flow(name="kept", flow=Flow("kept").source("Dev Raw Data Source").to("Trash").flow)
    archive = _zip({"flows/good.json": json.dumps(_definition()).encode(), "flows/bad.json": member})
    with pytest.raises(BackendError) as raised:
        project.import_flows(archive)
    assert raised.value.status == 400
    assert message in str(raised.value)
    assert "flows/bad.json" in str(raised.value)
    assert [flow.name for flow in project.flows] == ["kept"]
    assert project.flows.get(flow_id=kept.flow_id).to_json() == kept.to_json()


@pytest.mark.parametrize(
    "conditions", [["x", ["a", "b"], 3], [[]], "default", [{"outputLane": 1, "predicate": []}]]
)
def test_stream_selector_conditions_that_are_not_objects_are_reported_not_crashed_on(conditions: Any) -> None:
    selector = Flow("routes").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${true}").to("Trash")
    selector.otherwise().to("Trash")
    definition = selector.flow.to_dict()
    entry = next(e for e in definition["stages"][1]["configuration"] if e["name"] == "lanePredicates")
    entry["value"] = conditions
    flow = Flow.from_json(definition)
    codes = {issue.code for issue in flow.validate().errors}
    assert codes & {"SELECTOR_NO_DEFAULT", "CONFIG_TYPE"}
    assert "StreamSelector_01" in flow.to_dot()
    assert "StreamSelector_01" in flow.to_mermaid()
    assert Flow.from_json(flow.to_json()).to_json() == flow.to_json()
    assert _rebuilt(flow).to_json() == flow.to_json()  # kept as JSON: the DSL cannot say it


def _rebuilt(flow: Flow) -> Flow:
    return run_generated(to_python(flow))


@pytest.mark.parametrize(
    "constants",
    [
        {"A": 1},
        "A=1",
        [1.5, "s", {"key": {"x": 1}, "value": 2}, {"key": 3, "value": 4}, {"key": "OK", "value": 5}],
    ],
)
def test_malformed_parameters_are_skipped_by_readers_and_kept_in_the_json(constants: Any) -> None:
    definition = Flow("p").source("Dev Raw Data Source", raw_data='{"a": 1}').to("Trash").flow.to_dict()
    next(e for e in definition["configuration"] if e["name"] == "constants")["value"] = constants
    flow = Flow.from_json(definition)
    before = flow.to_json()
    expected = {"OK": 5} if isinstance(constants, list) else {}
    assert dict(flow.parameters) == expected
    assert len(flow.parameters) == len(expected)
    assert preview(flow)["Trash_01"].input[0].value == {"a": 1}
    assert _rebuilt(flow).to_json() == before
    assert flow.to_json() == before  # reading the parameters never rewrote them


def test_non_finite_numbers_in_imported_json_give_python_that_runs_and_rebuilds_the_flow() -> None:
    definition = _definition()
    definition["stages"][0]["configuration"].append({"name": "odd", "value": [float("inf"), -1e999, 2.5]})
    definition["stages"][0]["uiInfo"]["yPos"] = float("nan")
    flow = Flow.from_json(json.dumps(definition))  # Python's json reads Infinity and NaN
    source = to_python(flow)
    assert 'float("inf")' in source
    assert 'float("-inf")' in source
    assert 'float("nan")' in source
    assert run_generated(source).to_json() == flow.to_json()


# -- hostile names through every backend, the renderers and the CLI --------------------------------

#: Names users (or files written by others) may hold; each is data, never a path, SQL or markup.
HOSTILE = [
    "../../etc/passwd",
    "..\\..\\windows\\system32",
    "/absolute/path",
    "quote ' double \" backtick `",
    "'; DROP TABLE flows; --",
    "Robert'); DELETE FROM meta WHERE ('1'='1",
    "<script>alert(1)</script>",
    "&amp; <b>bold</b> ]]> <!--",
    "${record:value('/a')} {{jinja}} %s %(x)s",
    "%2F%2e%2e%2F name?project_id=other&x=1#frag",
    "zero \u200b width \u200d joiner",
    "emoji 😀 漢字 é",
    "digraph G { a -> b } subgraph end; click x",
    "x" * 512,
]
#: Names a store refuses (controls, C1 and DEL, separators, bidirectional controls that make a name
#: read other than it is stored, over 512 characters): a 400, never stored.
REFUSED = [
    "line\nbreak",
    "tab\there",
    "nul\x00byte",
    "\x1b[31mred",
    "del\x7f",
    "csi\x9b2J",
    "evil\u202egnp.exe",
    "isolate\u2066x\u2069",
    "line\u2028separator",
    "x" * 513,
    "y" * 100_000,
]


def _hostile_flow(name: str) -> Flow:
    flow = (
        Flow(name, description=name)
        .source("Dev Raw Data Source", raw_data=json.dumps({"name": name}))
        .to("Trash")
        .flow
    )
    flow.stages[0].label = name
    flow.stages[1].label = name[::-1]
    return flow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path_factory.mktemp("hostile")) as server:
        yield server


@pytest.fixture(params=["memory", "local", "http"])
def project(request: pytest.FixtureRequest, tmp_path: Path, served: ServerProcess) -> Iterator[Project]:
    if request.param == "memory":
        opened = Project.memory()
    elif request.param == "local":
        opened = Project.local(tmp_path / "store")
    else:
        opened = served.connect()
    with opened:
        yield opened


def test_hostile_names_are_stored_and_read_back_as_data_by_every_backend(
    project: Project, tmp_path: Path
) -> None:
    ids = {}
    for name in HOSTILE:
        stored = project.create_flow(name=name, description=name, flow=_hostile_flow(name))
        ids[name] = stored.flow_id
        [read] = project.flows.get_all(name=name)
        assert read.flow_id == stored.flow_id
        assert (read.name, read.description) == (name, name)
        assert read.to_json() == stored.to_json()
        assert read.stages[0].label == name
    copy_ = project.duplicate_flow(project.flows.get(flow_id=ids[HOSTILE[0]]), name=HOSTILE[1] + " copy")
    assert copy_.name == HOSTILE[1] + " copy"
    archive = project.export_flows(list(project.flows), destination=tmp_path / "out.zip")
    with zipfile.ZipFile(archive) as opened:
        assert all(not member.startswith(("/", "..")) and ".." not in member for member in opened.namelist())
    assert sorted(f.name for f in Project.memory().import_flows(archive)) == sorted(
        f.name for f in project.flows
    )
    if isinstance(project.backend, LocalBackend):
        assert (
            sorted(p.name for p in project.backend.path.iterdir() if not p.name.startswith("flows.sqlite3"))
            == []
        )
    for name in HOSTILE:
        project.delete_flow(project.flows.get(flow_id=ids[name]))
        assert project.flows.get_all(name=name) == []


@pytest.mark.parametrize("name", REFUSED, ids=lambda name: repr(name[:12]))
def test_names_a_store_cannot_hold_are_refused_with_a_400_and_nothing_is_stored(
    project: Project, name: str
) -> None:
    before = len(project.flows)
    with pytest.raises(BackendError) as raised:
        project.create_flow(name=name, flow=_hostile_flow("ok"))
    assert raised.value.status == 400
    assert "flow name must be at most 512 characters without control, separator" in str(raised.value)
    assert str(raised.value).isprintable(), "the message shows the name's characters escaped"
    assert len(project.flows) == before


def test_importing_a_longest_name_twice_keeps_the_rename_within_the_limit(
    project: Project, tmp_path: Path
) -> None:
    longest = "n" * 512
    stored = project.create_flow(name=longest, flow=_hostile_flow("ok"))
    archive = project.export_flows([stored], destination=tmp_path / "longest.zip")
    first, second = (project.import_flows(archive)[0] for _ in range(2))
    assert first.name == "n" * 508 + " (1)"
    assert second.name == "n" * 508 + " (2)"
    first.description = "edited after import"
    project.update_flow(first)
    copy_ = project.duplicate_flow(second, name=second.name[:-4] + " (9)")
    assert len(copy_.name) == 512
    for flow in (stored, first, second, copy_):
        assert len(project.flows.get(flow_id=flow.flow_id).name) == 512


@pytest.mark.parametrize(
    "flow_id", ["../../etc/passwd", "x/../../y", "%2e%2e", "' OR '1'='1", "a" * 10_000, "é\u202e"]
)
def test_hostile_flow_ids_are_not_found_not_paths(project: Project, flow_id: str) -> None:
    with pytest.raises(NotFoundError):
        project.flows.get(flow_id=flow_id)


@pytest.mark.parametrize("name", [*HOSTILE, *REFUSED], ids=lambda name: repr(name[:12]))
@pytest.mark.needs_dot
def test_renderers_escape_hostile_names_and_labels(tmp_path: Path, name: str) -> None:
    flow = _hostile_flow(name)
    dot = flow.to_dot()
    mermaid = flow.to_mermaid()
    # One statement per line: no name can open a new node, edge or directive.
    assert sum(1 for line in dot.splitlines() if "->" in line and "Trash_01" in line) == 1
    assert [line.strip() for line in mermaid.splitlines() if "-->" in line] == [
        "s_DevRawDataSource_01 --> s_Trash_01"
    ]
    if set(name) & set('"#&<>%`:|\n'):  # Mermaid syntax: must be escaped, never raw
        assert name not in mermaid
    if set(name) & set('"\\\n'):  # DOT string syntax
        assert name not in dot
    svg = render(flow, tmp_path / "flow.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed XML whatever the name held
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script>" not in svg


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowbuilder.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.mark.needs_dot
def test_the_cli_validates_renders_and_applies_hostile_names_without_escaping_its_folders(
    tmp_path: Path,
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    for number, name in enumerate([*HOSTILE, *REFUSED[:4]]):
        (flows / f"flow{number:02d}.json").write_text(_hostile_flow(name).to_json(), encoding="utf-8")
    validated = _cli("validate", "flows", cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Traceback" not in validated.stderr

    out = tmp_path / "drawn"
    out.mkdir()  # a folder: each drawing is named after its flow
    for number in range(len(HOSTILE) + 4):
        drawn = _cli(
            "render", f"flows/flow{number:02d}.json", "-o", str(out), "--format", "svg", cwd=tmp_path
        )
        assert drawn.returncode == 0, drawn.stderr
        [written] = drawn.stdout.splitlines()
        assert Path(written).resolve().parent == out.resolve()  # never beside or above the folder
    python = tmp_path / "named.py"  # a .py file's drawings are named after its flows
    python.write_text(
        "from flowbuilder import Flow\n\n"
        + "".join(
            f"flow_{number} = Flow({name!r}).source('Dev Raw Data Source').to('Trash').flow\n"
            for number, name in enumerate(HOSTILE[:-1])
        ),
        encoding="utf-8",
    )
    drawn = _cli("render", "named.py", "-o", str(out / "named"), cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert len(drawn.stdout.splitlines()) == len(HOSTILE) - 1
    assert {p.resolve().parent for p in tmp_path.rglob("*.svg")} == {out.resolve(), (out / "named").resolve()}

    applied = _cli("apply", "flows", "--yes", "--project", "store", cwd=tmp_path)
    assert "Traceback" not in applied.stderr
    assert applied.returncode == 1  # the four names with control characters cannot be stored...
    assert applied.stderr.count("flow name must be at most 512 characters without control, separator") == 4
    with Project.local(tmp_path / "store") as store:
        assert sorted(f.name for f in store.flows) == sorted(HOSTILE)  # ...and the others are
    again = _cli("apply", "flows", "--yes", "--project", "store", cwd=tmp_path)
    assert f"{len(HOSTILE)} unchanged" in again.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drawn", "flows", "named.py", "store"]


def test_the_cli_refuses_huge_and_deep_json_files_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(_nested(100_000))
    (tmp_path / "huge.json").write_bytes(_huge_flow_text(100 * MB))
    for file, message in (
        ("deep.json", "nests more than 100 levels deep"),
        ("huge.json", "more than the limit of 67,108,864"),
    ):
        for command in (["validate", file], ["render", file], ["apply", file, "--yes", "--project", "store"]):
            result = _cli(*command, cwd=tmp_path)
            assert result.returncode in (1, 2), (command, result.stdout, result.stderr)
            assert message in result.stdout + result.stderr, (command, result.stderr)
            assert "Traceback" not in result.stderr


# -- cycles and self-loops in imported JSON ------------------------------------------------------------


def _cyclic(kind: str) -> dict[str, Any]:
    flow = Flow("loops").source("Dev Raw Data Source").to("Dev Identity").to("Dev Identity").to("Trash").flow
    definition = flow.to_dict()
    first, second = definition["stages"][1], definition["stages"][2]
    if kind == "self-loop":
        first["inputLanes"].append(first["outputLanes"][0])
    else:  # DevIdentity_02 feeds DevIdentity_01 back
        first["inputLanes"].append(second["outputLanes"][0])
    return definition


@pytest.mark.parametrize("kind", ["self-loop", "cycle"])
@pytest.mark.needs_dot
def test_cycles_and_self_loops_in_imported_json_are_reported_drawn_and_kept(
    tmp_path: Path, kind: str
) -> None:
    flow = Flow.from_json(_cyclic(kind))
    issues = [issue for issue in flow.validate().errors if issue.code == "FLOW_CYCLE"]
    assert issues
    assert "DevIdentity_01" in str(issues[0])
    assert Flow.from_json(flow.to_json()).to_json() == flow.to_json()
    assert _rebuilt(flow).to_json() == flow.to_json()
    assert "DevIdentity_01" in flow.to_dot()
    assert "DevIdentity_01" in flow.to_mermaid()
    ET.fromstring(render(flow, tmp_path / "loop.svg").read_text())
    with pytest.raises(PreviewError):
        preview(flow)
    (tmp_path / "loop.json").write_text(flow.to_json())
    result = _cli("validate", "loop.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "FLOW_CYCLE" in result.stdout + result.stderr
    with Project.memory() as project:
        stored = project.create_flow(name="loops", flow=flow)
        assert project.flows.get(flow_id=stored.flow_id).to_json() == flow.to_json()


# -- answers too large for the HTTP backend -----------------------------------------------------------


class _Endless:
    """A response body that streams ``size`` bytes without holding them (a runaway server)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.sent = 0

    def read(self, amount: int | None = None, **kwargs: Any) -> bytes:
        chunk = min(self.left, amount or 65536)
        self.left -= chunk
        self.sent += chunk
        return b" " * chunk

    def close(self) -> None:
        self.left = 0


class _Runaway:
    def __init__(self, size: int, declare: bool) -> None:
        self.size, self.declare, self.bodies = size, declare, []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.raw = _Endless(self.size)
        self.bodies.append(response.raw)
        if self.declare:
            response.headers["Content-Length"] = str(self.size)
        return response


_READS: dict[str, Callable[[HttpBackend], object]] = {
    "get": lambda backend: Project(backend).flows.get(flow_id="x"),
    "export": lambda backend: backend.export_flows(["x"]),
}


@pytest.mark.parametrize("read", sorted(_READS))
@pytest.mark.parametrize("declare", [True, False])
def test_the_http_backend_refuses_a_100_mb_answer_while_reading_it(declare: bool, read: str) -> None:
    transport = _Runaway(100 * MB, declare)
    backend = HttpBackend("https://runaway.test", project_id="p", token="t", transport=transport)
    assert backend.max_response_bytes == MAX_RESPONSE_BYTES > MAX_JSON_BYTES
    backend.max_response_bytes = 2 * MB  # the default is 65 MiB; a small one keeps the test light
    raised, peak = _peak_bytes(lambda: _READS[read](backend))
    assert isinstance(raised, BackendError)
    assert "the answer is larger than 2,097,152 bytes" in str(raised)
    assert "max_response_bytes=" in str(raised)
    assert peak < 6 * MB  # what it read, up to the limit; never the 100 MB
    assert transport.bodies[0].sent <= (0 if declare else 2 * MB + 65536)  # declared: not even read


@pytest.mark.parametrize("declare", [True, False])
def test_a_100_mb_answer_from_iam_is_refused_while_it_is_read(declare: bool) -> None:
    transport = _Runaway(100 * MB, declare)
    backend = HttpBackend(
        "https://flows.test",
        project_id="p",
        api_key="k3y",
        iam_url="https://iam.test/token",
        transport=transport,
    )
    raised, peak = _peak_bytes(lambda: backend.environments())
    assert isinstance(raised, AuthError)
    assert "IBM Cloud IAM's answer is larger than 1,048,576 bytes" in str(raised)
    assert "https://iam.test/token" in str(raised)
    assert "k3y" not in str(raised)
    assert peak < 5 * MB
    assert transport.bodies[0].sent <= (0 if declare else MB + 65536)


@pytest.mark.parametrize(
    "slot", ["errorStage", "statsAggregatorStage", "startEventStages", "testOriginStage"]
)
def test_an_off_canvas_slot_holding_the_wrong_kind_of_stage_is_reported_and_rebuilt(slot: str) -> None:
    definition = _definition()
    odd = copy.deepcopy(definition["stages"][1])  # Trash: not an error, stats, lifecycle or test origin
    odd["instanceName"], odd["inputLanes"] = "Trash_Elsewhere", []
    definition[slot] = [odd] if slot == "startEventStages" else odd
    flow = Flow.from_json(definition)
    if slot in ("errorStage", "startEventStages"):  # ERROR_STAGE_INVALID, LIFECYCLE_STAGE_INVALID
        assert flow.validate().errors
    assert _rebuilt(flow).to_json() == flow.to_json()


@pytest.mark.parametrize(
    "instance",
    [
        "../../x",
        'a"b',
        "<script>",
        "'; DROP TABLE flows;--",
        "x" * 20_000,
        "a\nb",
        "-->",
        "%%{init}%%",
        "end",
    ],
    ids=lambda name: repr(name[:12]),
)
@pytest.mark.needs_dot
def test_hostile_instance_names_in_imported_json_are_drawn_generated_and_stored_as_data(
    tmp_path: Path, instance: str
) -> None:
    definition = _definition()
    old = definition["stages"][0]["instanceName"]
    flow = Flow.from_json(json.dumps(definition).replace(json.dumps(old)[1:-1], json.dumps(instance)[1:-1]))
    assert flow.stages[0].instance_name == instance
    mermaid = flow.to_mermaid()
    assert len([line for line in mermaid.splitlines() if "-->" in line]) == 1  # still one edge
    ET.fromstring(render(flow, tmp_path / "flow.svg").read_text(encoding="utf-8"))
    assert _rebuilt(flow).to_json() == flow.to_json()
    with Project.local(tmp_path / "store") as store:
        stored = store.create_flow(name="instances", flow=flow)
        assert store.flows.get(flow_id=stored.flow_id).to_json() == flow.to_json()


@pytest.mark.parametrize("config", ["stageRequiredFields", "stageRecordPreconditions"])
@pytest.mark.parametrize("value", [7, "/a", {"a": 1}])
def test_preview_names_record_checks_that_are_not_lists(config: str, value: Any) -> None:
    definition = (
        Flow("p")
        .source("Dev Raw Data Source", raw_data='{"a": 1}')
        .to("Dev Identity")
        .to("Trash")
        .flow.to_dict()
    )
    next(e for e in definition["stages"][1]["configuration"] if e["name"] == config)["value"] = value
    with pytest.raises(PreviewError) as raised:
        preview(Flow.from_json(definition))
    assert "DevIdentity_01" in str(raised.value)
    assert "must be a list" in str(raised.value)


@pytest.mark.parametrize("library", [7.7e142, "bogus-lib", ""])
def test_stages_from_a_library_the_catalog_does_not_list_are_generated_and_rebuilt(library: Any) -> None:
    flow = Flow("p").source("Dev Raw Data Source").to("Field Masker").to("Trash").flow
    flow.set_error_stage("Write to File", directory="/errors")
    definition = flow.to_dict()
    definition["stages"][1]["library"] = library  # a renamed or custom library
    definition["errorStage"]["library"] = library
    imported = Flow.from_json(definition)
    assert _rebuilt(imported).to_json() == imported.to_json()


def test_a_selector_condition_without_a_lane_does_not_capture_connections_by_predicate() -> None:
    selector = Flow("routes").source("Dev Raw Data Source").to("Stream Selector")
    selector.when("${record:value('/a') > 1}").to("Trash")
    selector.otherwise().to("Trash")
    definition = selector.flow.to_dict()
    entry = next(e for e in definition["stages"][1]["configuration"] if e["name"] == "lanePredicates")
    entry["value"][0] = {}  # a condition that lost its lane and text
    flow = Flow.from_json(definition)
    stage = flow.stage("StreamSelector_01")
    extra = flow.add_stage("Trash")
    stage.connect_output_to(extra, predicate="default")  # finds the default lane, not the broken entry
    assert [target.instance_name for target in stage.outputs] == ["Trash_01", "Trash_02", "Trash_03"]
    assert _rebuilt(flow).to_json() == flow.to_json()
