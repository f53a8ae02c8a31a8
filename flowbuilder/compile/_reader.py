"""Read real flow JSON (bare definitions, export envelopes, GET-shaped documents) into a Flow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from .._document import LIFECYCLE_SLOTS, SPECIAL_SLOTS
from .._gc import paused_gc
from .._json import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    check_document,
    copy_json,
    load_json_held,
    memory_limit,
    read_json_bytes,
    too_dense,
)
from ..catalog import Catalog
from ..errors import FlowFormatError
from ..flow import Flow
from ..stage import Stage
from ._imported import MODELLED_KEYS, ImportedDocument, ImportedStage
from ._pipeline import STAGE_KEYS

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "check_import_memory",
    "from_file",
    "from_json",
    "place_special",
    "read_shared",
    "split_document",
]

F = TypeVar("F", bound=Flow)
_V = TypeVar("_V")

_ENVELOPES = ("pipelineConfig", "pipelineFragmentConfig")
_STAGE_REQUIRED = ("instanceName", "stageName")
_C = TypeVar("_C", list[Any], dict[str, Any])
#: Orders of stage keys seen, shared by the stages that have them (ImportedStage.keys).
_KEY_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}
_NOTHING: Mapping[str, Any] = MappingProxyType({})
_NO_KEYS: frozenset[str] = frozenset()
#: What reading one stage into the flow holds beyond its JSON's objects (its Stage, its node in
#: the graph, its indexes), and one lane: measured with ``tracemalloc`` (stages with no configs
#: 650 bytes, flowbuilder's own Trash 1,160; a lane 34), rounded up. Configs add nothing: the
#: stage keeps the parsed entries.
_STAGE_BYTES = 1_280
_LANE_BYTES = 48


def split_document(document: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split any supported shape into ``(pipeline definition, envelope parts)``.

    Envelope parts hold what surrounds the definition: ``pipelineRules``,
    ``libraryDefinitions``, the GET-shaped ``flow`` asset, and the key the definition sat under.
    """
    if not isinstance(document, Mapping):
        raise FlowFormatError(f"flow JSON must be an object; got {type(document).__name__}")
    for key in _ENVELOPES:
        if key in document:
            definition = document[key]
            if not isinstance(definition, Mapping):
                raise FlowFormatError(f"{key!r} must be an object; got {type(definition).__name__}")
            parts = {k: v for k, v in document.items() if k != key}
            parts["__key__"] = key
            return dict(definition), parts
    if "pipeline_definition" in document or "flow" in document:
        definition = document.get("pipeline_definition")
        if definition is None:
            definition = {}
        if not isinstance(definition, Mapping):
            raise FlowFormatError("'pipeline_definition' must be an object")
        parts = {k: v for k, v in document.items() if k != "pipeline_definition"}
        parts["__key__"] = "pipeline_definition"
        return dict(definition), parts
    if "stages" in document or "schemaVersion" in document or "configuration" in document:
        return dict(document), {}
    raise FlowFormatError(
        "not a flow: expected a pipeline definition (with 'stages'), an export envelope "
        "('pipelineConfig'), or a GET-shaped document ('flow', 'pipeline_definition')",
        hint="Keys found: " + ", ".join(sorted(map(str, document))[:10]) + ".",
    )


def from_json(
    data: str | bytes | Mapping[str, Any],
    *,
    catalog: Catalog | None = None,
    location: str | None = None,
    cls: type[F] = Flow,  # type: ignore[assignment]
    max_bytes: int = MAX_JSON_BYTES,
) -> F:
    """Read a flow from JSON text or a parsed document, keeping everything it holds.

    Stages missing from the catalog are kept verbatim as opaque stages; ``libraryDefinitions``
    in an export envelope extend the catalog for this flow. Text longer than ``max_bytes`` and
    documents that :func:`check_document` refuses raise FlowFormatError.

    >>> from flowbuilder import Flow
    >>> original = Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    >>> Flow.from_json(original).to_dict() == original
    True
    """
    if isinstance(data, (str, bytes)):
        document, held = load_json_held(data, max_bytes=max_bytes, location=location)
        check_import_memory(document, len(data), held, location)
    else:
        document = data
        check_document(document, location)
    # A document parsed here belongs to the flow: its parts are taken, not copied (a copy would
    # double what reading costs). A caller's document is copied part by part, so that changing it
    # later never changes the flow.
    take = _taken if isinstance(data, (str, bytes)) else copy_json
    try:
        with paused_gc():
            return _read(document, catalog or Catalog.default(), cls, take)
    except FlowFormatError as error:
        if location and not error.location:
            error.location = location
            error.args = (error._render(),)
        raise


def read_shared(document: Mapping[str, Any], *, catalog: Catalog | None = None) -> Flow:
    """The flow in ``document``, sharing its parts instead of copying them: for checking that a
    document can be read, or reading its name, without doubling what it takes in memory. Reading
    changes nothing in the document; the flow must be dropped before the document is changed.

    >>> document = Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    >>> read_shared(document).name
    'demo'
    """
    check_document(document)
    with paused_gc():
        return _read(document, catalog or Catalog.default(), Flow, _taken)


def check_import_memory(document: Any, size: int, held: int, location: str | None = None) -> None:
    """Refuse a flow whose stages would take reading it past ``memory_limit(size)`` (five times
    its ``size`` bytes of JSON, whose objects hold ``held`` bytes), before the flow is built: a
    real stage is kilobytes of JSON, where one can be written in 40 bytes.

    >>> tiny = {"stages": [{"instanceName": "a", "stageName": "b"}] * 10_000}
    >>> check_import_memory(tiny, 400_000, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flowbuilder.errors.FlowFormatError: JSON of 400,000 bytes would take more than 6,194,304 bytes ...
    """
    try:
        definition, _ = split_document(document)
    except FlowFormatError:
        return  # not a flow: the reader says so, and where
    stages = definition.get("stages")
    if not isinstance(stages, list):
        return
    lanes = sum(
        len(lane)
        for stage in stages
        if isinstance(stage, Mapping)
        for key in ("inputLanes", "outputLanes", "eventLanes")
        if isinstance(lane := stage.get(key), list)
    )
    if held + _STAGE_BYTES * len(stages) + _LANE_BYTES * lanes > memory_limit(size):
        raise too_dense(
            size, location, f"its {len(stages):,} stages average {size // max(len(stages), 1):,} bytes"
        )


def from_file(
    path: str | Path,
    *,
    catalog: Catalog | None = None,
    cls: type[F] = Flow,  # type: ignore[assignment]
    max_bytes: int = MAX_JSON_BYTES,
) -> F:
    """Read a flow from a JSON file (any shape :func:`from_json` reads); a file larger than
    ``max_bytes`` is refused without being read."""
    data = read_json_bytes(path, max_bytes=max_bytes)
    return from_json(data, catalog=catalog, location=str(path), cls=cls, max_bytes=max_bytes)


def _engine(definition: Mapping[str, Any]) -> str:
    mode = None
    configuration = definition.get("configuration")
    for entry in configuration if isinstance(configuration, list) else []:
        if isinstance(entry, Mapping) and entry.get("name") == "executionMode":
            mode = entry.get("value")
    stages = definition.get("stages")
    libraries = [
        s.get("library", "") for s in (stages if isinstance(stages, list) else []) if isinstance(s, Mapping)
    ]
    if mode == "SNOWPARK" or any(str(lib).startswith("streamsets-snowpark") for lib in libraries):
        return "snowflake"
    if mode in ("BATCH", "STREAMING") or any(str(lib).startswith("streamsets-spark") for lib in libraries):
        return "transformer"
    return "data_collector"


def _taken(value: _V) -> _V:
    return value


def _read(document: Mapping[str, Any], catalog: Catalog, cls: type[F], take: Callable[[Any], Any]) -> F:
    definition, parts = split_document(document)
    library_definitions = parts.get("libraryDefinitions")
    if isinstance(library_definitions, Mapping) and library_definitions:
        catalog = catalog.extend(library_definitions)
    asset = parts.get("flow")
    metadata = asset.get("metadata") if isinstance(asset, Mapping) else None
    raw_info = definition.get("info")
    info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
    name = (
        (metadata.get("name") if isinstance(metadata, Mapping) else None)
        or definition.get("title")
        or info.get("title")
        or definition.get("pipelineId")
        or info.get("pipelineId")
        or definition.get("fragmentId")
        or "imported flow"
    )
    flow = cls(
        str(name), str(definition.get("description") or ""), catalog=catalog, engine=_engine(definition)
    )
    envelope_key = parts.pop("__key__", None)
    flow._imported = ImportedDocument(
        name=flow.name,
        keys=tuple(definition),
        values={k: take(v) for k, v in definition.items() if k not in MODELLED_KEYS},
        envelope_key=envelope_key,
        envelope_keys=tuple(document) if envelope_key else None,
        rules=take(parts.pop("pipelineRules", None)),
        library_definitions=take(parts.pop("libraryDefinitions", None)),
        envelope_extra={k: take(v) for k, v in parts.items()},
    )
    if "description" in definition and definition["description"] is None:
        flow.description = None  # type: ignore[assignment]
    configuration = definition.get("configuration")
    if configuration is not None and not isinstance(configuration, list):
        raise FlowFormatError(f"'configuration' must be a list; got {type(configuration).__name__}")
    _check_entries(configuration or [], "configuration")
    flow._configs[:] = take(configuration or [])
    flow._special = dict.fromkeys(flow._special)
    stages = definition.get("stages")
    if stages is None:
        stages = []
    if not isinstance(stages, list):
        raise FlowFormatError(f"'stages' must be a list; got {type(stages).__name__}")
    built = [_stage(raw, catalog, f"stages[{i}]", take=take) for i, raw in enumerate(stages)]
    for stage in built:
        flow._insert(stage, allow_duplicate=True)
    _wire(flow, built, [list(raw.get("inputLanes") or []) for raw in stages])
    for slot in (*SPECIAL_SLOTS, *LIFECYCLE_SLOTS):
        place_special(flow, slot, definition.get(slot), take=take)
    return flow


def place_special(flow: Flow, slot: str, raw: Any, *, take: Callable[[Any], Any] = copy_json) -> None:
    """Put the off-canvas stage that pipeline JSON gives for ``slot`` (``errorStage``...) on
    ``flow``; for ``startEventStages`` and ``stopEventStages``, the list of them. None empties it."""
    if slot in LIFECYCLE_SLOTS:
        role = LIFECYCLE_SLOTS[slot]
        if raw is not None and not isinstance(raw, list):
            raise FlowFormatError(f"{slot!r} must be a list; got {type(raw).__name__}")
        members = [_special(flow, item, f"{slot}[{i}]", role, take) for i, item in enumerate(raw or [])]
        flow._special[role] = members[0] if members else None
        flow._lifecycle_extra[role] = members[1:]
        return
    role = SPECIAL_SLOTS[slot]
    if raw is not None and not isinstance(raw, Mapping):
        raise FlowFormatError(f"{slot!r} must be an object or null; got {type(raw).__name__}")
    flow._special[role] = _special(flow, raw, slot, role, take) if raw is not None else None


def _special(flow: Flow, raw: Any, where: str, role: str, take: Callable[[Any], Any]) -> Stage:
    stage = _stage(raw, flow.catalog, where, role=role, take=take)
    object.__setattr__(stage, "_flow", flow)
    stage._dangling = list(enumerate(raw.get("inputLanes") or []))
    return stage


def _stage(
    raw: Any,
    catalog: Catalog,
    where: str,
    *,
    role: str | None = None,
    take: Callable[[Any], Any] = copy_json,
) -> Stage:
    if not isinstance(raw, Mapping):
        raise FlowFormatError(f"{where} must be a stage object; got {type(raw).__name__}")
    missing = [key for key in _STAGE_REQUIRED if not isinstance(raw.get(key), str)]
    if missing:
        raise FlowFormatError(
            f"{where} has no {' or '.join(repr(k) for k in missing)}",
            hint="Each stage needs an instanceName and a stageName.",
        )
    for key in ("configuration", "services", "inputLanes", "outputLanes", "eventLanes"):
        if raw.get(key) is not None and not isinstance(raw[key], list):
            raise FlowFormatError(f"{where}.{key} must be a list; got {type(raw[key]).__name__}")
    if raw.get("uiInfo") is not None and not isinstance(raw["uiInfo"], Mapping):
        raise FlowFormatError(f"{where}.uiInfo must be an object")
    _check_entries(raw.get("configuration") or [], f"{where}.configuration")
    for index, service in enumerate(raw.get("services") or []):
        inner = f"{where}.services[{index}]"
        if not isinstance(service, Mapping) or not isinstance(service.get("service"), str):
            raise FlowFormatError(f"{inner} must be an object with a string 'service'")
        if service.get("configuration") is not None and not isinstance(service["configuration"], list):
            raise FlowFormatError(f"{inner}.configuration must be a list")
        _check_entries(service.get("configuration") or [], f"{inner}.configuration")
    for key in ("inputLanes", "outputLanes", "eventLanes"):
        if any(not isinstance(lane, str) for lane in raw.get(key) or []):
            raise FlowFormatError(f"{where}.{key} must hold lane names (strings)")
    definition, _exact = catalog.resolve(raw["stageName"], raw.get("stageVersion"), raw.get("library"))
    extra = {k: take(v) for k, v in raw.items() if k not in STAGE_KEYS}
    nulls = frozenset(k for k in STAGE_KEYS if k in raw and raw[k] is None)
    keys = tuple(raw)  # stages share a handful of orders; the bound keeps hostile ones out
    keys = _KEY_ORDERS.setdefault(keys, keys) if len(_KEY_ORDERS) < 256 else _KEY_ORDERS.get(keys, keys)
    stage = Stage(
        definition,
        instance_name=raw["instanceName"],
        library=str(raw.get("library") or ""),
        stage_name=raw["stageName"],
        version=raw.get("stageVersion"),  # type: ignore[arg-type]
        configs=_owned(raw.get("configuration"), list, take),
        services=_owned(raw.get("services"), list, take),
        ui_info=_owned(raw.get("uiInfo"), dict, take),
        output_lanes=_owned(raw.get("outputLanes"), list, take),
        event_lanes=_owned(raw.get("eventLanes"), list, take),
        role=role,
        imported=ImportedStage(keys, extra or _NOTHING, nulls or _NO_KEYS),
    )
    return stage


def _owned(value: Any, kind: type[_C], take: Callable[[Any], Any]) -> _C:
    """``value`` as the stage's own ``kind``: a document parsed here is the flow's already (each
    stage of a 100,000-stage flow would otherwise copy five containers); a caller's is copied."""
    if take is _taken and type(value) is kind:
        return value
    owned: _C = take(kind(value or ()))
    return owned


def _check_entries(entries: list[Any], where: str) -> None:
    # Every reader of configs looks entries up by name; one without a string name cannot be read.
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise FlowFormatError(
                f"{where}[{index}] must be an object with a string 'name'",
                hint='Config entries look like {"name": "conf.dataFormat", "value": "JSON"}.',
            )


def _wire(flow: Flow, targets: list[Stage], inputs: list[list[str]]) -> None:
    """Add the lanes into each of ``targets`` from their input lane names, in order; a lane no
    stage of the flow produces is kept as a dangling input."""
    producers: dict[str, list[tuple[Stage, str, int]]] = {}
    for _, data in flow._graph.nodes(data=True):
        producer: Stage = data["stage"]
        for index, lane in enumerate(producer._output_lanes):
            producers.setdefault(lane, []).append((producer, "data", index))
        for index, lane in enumerate(producer._event_lanes):
            producers.setdefault(lane, []).append((producer, "event", index))
    graph = flow._graph
    for stage, lanes in zip(targets, inputs, strict=True):
        dangling: list[tuple[int, str]] = []
        for position, lane in enumerate(lanes):
            found = producers.get(lane)
            if not found:
                dangling.append((position, lane))
                continue
            for producer, kind, index in found:
                graph.add_edge(producer._node, stage._node, kind=kind, output=index, position=position)
        stage._dangling = dangling if dangling else ()
    flow._wiring.clear()  # lanes were added past the flow's wiring methods
