"""Turn an engine's definition JSON (``/rest/v1/definitions``, ``libraryDefinitions``) into the
catalog's compact form: facts only, no prose descriptions, no UI-only fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import FlowFormatError

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

# A stage gets one output lane per output stream when it is added: engines' stages have at most a
# few, and a definition claiming Long.MAX_VALUE of them must not make flowbuilder try to build them.
_MAX_OUTPUT_STREAMS = 1_000


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


class _Where:
    """Reads one part of a definitions document, naming where it is when it is not as expected.

    Definitions come from engines, exports and users alike: any field may hold anything JSON can.
    """

    def __init__(self, value: object, path: str) -> None:
        self.value = value
        self.path = path

    def fail(self, expected: str, got: str | None = None) -> FlowFormatError:
        """The error for this part: ``expected`` against ``got`` (by default the value's type)."""
        if got is None:
            got = type(self.value).__name__ if self.value is not None else "nothing"
        return FlowFormatError(
            f"the stage definitions are not readable: {self.path} must be {expected}; got {got}",
            hint="Pass a definitions document as an engine's /rest/v1/definitions answers it.",
        )

    def at(self, key: str | int) -> _Where:
        value = self.value.get(key) if isinstance(self.value, Mapping) and isinstance(key, str) else None
        return _Where(value, f"{self.path}.{key}" if isinstance(key, str) else f"{self.path}[{key}]")

    def mapping(self) -> Mapping[str, Any]:
        if self.value is None:
            return {}
        if not isinstance(self.value, Mapping):
            raise self.fail("an object")
        return self.value

    def items(self) -> list[_Where]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.fail("a list")
        return [_Where(item, f"{self.path}[{index}]") for index, item in enumerate(self.value)]

    def values(self) -> list[Any]:
        return [item.value for item in self.items()]

    def texts(self) -> list[str]:
        """A list of text, such as a chooser's values and labels (compared, looked up, shown)."""
        found = []
        for item in self.items():
            if not isinstance(item.value, str):
                raise item.fail("text")
            found.append(item.value)
        return found

    def text(self, default: str = "", *, required: bool = False) -> str:
        """Text (a number is taken as its text: engines write versions both ways); ``required``
        makes it a name, which must be non-empty text."""
        if self.value is None or self.value == "":
            if required:
                raise self.fail("a name")
            return default
        if required and not isinstance(self.value, str):
            raise self.fail("a name")
        if isinstance(self.value, bool) or not isinstance(self.value, str | int | float):
            raise self.fail("text")
        return str(self.value)

    def count(self, maximum: int) -> int:
        """A whole number from 0 to ``maximum`` (empty is 0)."""
        if self.value is None or self.value == "":
            return 0
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("a whole number")
        if not 0 <= self.value <= maximum:
            raise self.fail(f"a whole number from 0 to {maximum:,}", f"{self.value:,}")
        return self.value


def compact_config(config: Mapping[str, Any], path: str = "config") -> dict[str, Any]:
    """One config definition, compact: name, label, type, default, required, rules, model."""
    where = _Where(config, path)
    where.mapping()
    out: dict[str, Any] = {
        "name": where.at("name").text(required=True),
        "label": where.at("label").text(),
        "type": where.at("type").text("STRING"),
        "default": config.get("defaultValue"),
        "required": bool(config.get("required")),
    }
    field_name = where.at("fieldName").text()
    if field_name:
        out["fieldName"] = field_name
    depends = {
        _Where(name, f"{path}.dependsOnMap").text(required=True): values
        for name, values in where.at("dependsOnMap").mapping().items()
    }
    if not depends and where.at("dependsOn").text():
        depends = {where.at("dependsOn").text(): config.get("triggeredByValues")}
    if depends:
        out["dependsOnMap"] = {
            name: _Where(values, f"{path}.dependsOnMap.{name}").values() for name, values in depends.items()
        }
    model = where.at("model")
    if model.value:
        model.mapping()
        compact_model: dict[str, Any] = {"modelType": model.at("modelType").text() or None}
        if model.at("values").value is not None:
            compact_model["values"] = model.at("values").texts()
        if model.at("labels").value is not None:
            compact_model["labels"] = model.at("labels").texts()
        provider = model.at("valuesProviderClass").text()
        if model.mapping().get("dynamic") or provider.endswith(_RUNTIME_CHOOSERS):
            compact_model["dynamic"] = True
        subs = model.at("configDefinitions").items()
        if subs:
            compact_model["configs"] = [compact_config(sub.mapping(), sub.path) for sub in subs]
        out["model"] = compact_model
    for key in ("min", "max"):
        limit = _limit(config.get(key))
        if limit is not None:
            out[key] = limit
    mode = where.at("mode").text()
    if mode and mode != "text/plain":
        out["mode"] = mode
    group = where.at("group").text()
    if group:
        out["group"] = group
    connection = where.at("connectionType").text()
    if connection:
        out["connectionType"] = connection
    return out


def compact_stage(
    stage: Mapping[str, Any], *, library: str | None = None, path: str = "stage"
) -> dict[str, Any]:
    """One engine StageDefinitionJson, compact."""
    where = _Where(stage, path)
    where.mapping()
    name = where.at("name").text(required=True)
    lib = library or where.at("library").text()
    out: dict[str, Any] = {
        "name": name,
        "version": where.at("version").text("1"),
        "label": where.at("label").text(name),
        "library": lib,
        "libraryLabel": where.at("libraryLabel").text(),
        "type": where.at("type").text("PROCESSOR"),
        "engine": engine_of_library(lib),
        "errorStage": bool(stage.get("errorStage")),
        "statsAggregatorStage": bool(stage.get("statsAggregatorStage")),
        "pipelineLifecycleStage": bool(stage.get("pipelineLifecycleStage")),
        "producingEvents": bool(stage.get("producingEvents")),
        "outputStreams": where.at("outputStreams").count(_MAX_OUTPUT_STREAMS),
        "variableOutputStreams": bool(stage.get("variableOutputStreams")),
        "outputStreamsDrivenByConfig": where.at("outputStreamsDrivenByConfig").text() or None,
        "outputStreamLabels": where.at("outputStreamLabels").texts(),
        "services": [
            {
                "service": service.at("service").text(required=True),
                "configuration": dict(service.at("configuration").mapping()),
            }
            for service in where.at("services").items()
            if service.mapping() is not None
        ],
        "hideStage": where.at("hideStage").texts(),
        "executionModes": where.at("executionModes").texts(),
        "icon": where.at("icon").text(),
        "configs": [compact_config(c.mapping(), c.path) for c in where.at("configDefinitions").items()],
    }
    driven_by = out["outputStreamsDrivenByConfig"]
    if driven_by is not None and all(config["name"] != driven_by for config in out["configs"]):
        # The engine sizes the stage's outputs from this config (Stream Selector's lanePredicates);
        # a stage without it has no outputs anyone can set.
        raise where.at("outputStreamsDrivenByConfig").fail(
            "the name of one of the stage's configDefinitions, or empty", repr(driven_by)
        )
    return out


def compact_service(service: Mapping[str, Any], path: str = "service") -> dict[str, Any]:
    """One engine ServiceDefinitionJson, compact."""
    where = _Where(service, path)
    where.mapping()
    return {
        "provides": where.at("provides").text(required=True),
        "version": where.at("version").text("1"),
        "label": where.at("label").text(),
        "configs": [compact_config(c.mapping(), c.path) for c in where.at("configDefinitions").items()],
    }


def _stage_entries(document: _Where) -> Iterable[tuple[_Where, str | None]]:
    for stage in document.at("stages").items():
        yield stage, None
    by_key = document.at("stageDefinitionMap")
    stages = by_key.mapping()
    listed = set()
    for entry in document.at("stageDefinitionMinimalList").items():
        key = f"{entry.at('name').text(required=True)}::{entry.at('version').text('1')}"
        if key in stages:
            listed.add(key)
            yield by_key.at(key), entry.at("library").text() or None
    for key in stages:
        if key not in listed:
            yield by_key.at(key), None


def compact_definitions(document: Mapping[str, Any]) -> dict[str, Any]:
    """A whole definitions document, compact: ``{"stages", "services", "pipeline"}``.

    Reads the flat ``stages`` form and the compact ``stageDefinitionMap`` form (schema 2), where
    each map entry takes its library from ``stageDefinitionMinimalList``. A part that is not as
    an engine writes it is a FlowFormatError naming where it is.

    >>> compact_definitions({"stages": [{}]})
    Traceback (most recent call last):
    ...
    flowbuilder.errors.FlowFormatError: ...: definitions.stages[0].name must be a name; got nothing. ...
    """
    root = _Where(document, "definitions")
    root.mapping()
    stages: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for stage, library in _stage_entries(root):
        compact = compact_stage(stage.mapping(), library=library, path=stage.path)
        key = (compact["name"], compact["version"], compact["library"])
        if key not in seen:
            seen.add(key)
            stages.append(compact)
    pipeline: dict[str, list[dict[str, Any]]] = {}
    pipeline_defs = root.at("pipeline").items()
    if pipeline_defs:
        first = pipeline_defs[0]
        first.mapping()
        engines = {s["engine"] for s in stages} or {"data_collector"}
        configs = [compact_config(c.mapping(), c.path) for c in first.at("configDefinitions").items()]
        for engine in sorted(engines):
            pipeline[engine] = configs
    return {
        "stages": stages,
        "services": [compact_service(s.mapping(), s.path) for s in root.at("services").items()],
        "pipeline": pipeline,
    }
