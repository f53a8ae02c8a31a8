"""Fuzz targets shared by the CI-sized run (``test_fuzz.py``) and the long run (``scripts/fuzz.py``).

Each target takes one generated input and drives it through flowbuilder the way a user's file or
a client's request would. A FlowbuilderError is the expected answer to bad input; anything else
is a crash and is raised as :class:`Crash` (with the input kept for the report).
"""

from __future__ import annotations

import io
import json
import logging
import os
import string
import traceback
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
from tests.reliability.strategies import JSON_VALUES, TEXT, mutated_json

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
    flow = Flow.from_json(value)
    try:
        source = to_python(flow)
    except FlowbuilderError as error:
        if "generated Python did not run" in str(error):  # to_python's own bug, not bad input
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
