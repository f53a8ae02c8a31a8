"""The preview runner: pushes records through a flow in-process, one batch at a time.

Semantics follow the engine: stages run in topological order; a lane feeding several stages
gives each its own copy of every record; a stage fed by several lanes sees all their records;
required fields (``CONTAINER_0050``) and preconditions (``CONTAINER_0051``) are checked before
a stage runs; a stage's record errors follow its ``on_record_error``; records sent to error
carry ``errorCode``, ``errorMessage`` and ``errorStage`` and reach the flow's error stage as
the origin produced them (``ORIGINAL_RECORD``) or as the failing stage saw them
(``STAGE_RECORD``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._names import did_you_mean
from ..errors import FlowbuilderError, PreviewError
from . import _java, _processors  # noqa: F401  (registers the processors)
from ._el import Expression, coerce_bool
from ._fields import Field
from ._formats import Parsed, Unparsed
from ._records import Record
from ._results import PreviewResult, StageResult
from ._stages import STAGES, StageContext, StageRun, error_text, supported_labels

if TYPE_CHECKING:
    from ..flow import Flow
    from ..stage import Stage

__all__ = ["run"]

_MODES = ("DISCARD", "TO_ERROR", "STOP_PIPELINE")


def _system_clock() -> dt.datetime:
    return dt.datetime.now(_java.UTC)


def run(
    flow: Flow,
    records: Iterable[Any] | None = None,
    *,
    batch_size: int = 10,
    parameters: Mapping[str, Any] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    write_to_destinations: bool = False,
) -> PreviewResult:
    """The runner behind :func:`flowbuilder.preview.preview` (which documents it)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise PreviewError(f"batch_size must be a positive integer; got {batch_size!r}", flow=flow.name)
    if flow.engine != "data_collector":
        raise PreviewError(
            f"is a {flow.engine} flow; the preview runner runs Data Collector flows",
            flow=flow.name,
            hint="Preview the flow on its engine, or build it with Flow(..., engine='data_collector').",
        )
    if any(stage.ui_info.get("fragmentGroupStage") for stage in flow.stages):
        flow = flow.expanded()  # fragments run as the engine runs them: their stages inlined
    values = {str(k): v for k, v in flow.parameters.items()}
    values.update({str(k): v for k, v in (parameters or {}).items()})
    order = _order(flow)
    origin = _origin(flow, order)
    given = _given_records(flow, records)
    _check_supported(flow, order, origin, given is not None)
    tick = clock or _system_clock
    runners = {
        stage.instance_name: _StageRunner(
            flow, stage, values, tick, write_to_destinations, is_origin=stage is origin
        )
        for stage in order
    }
    roots: list[Field | Unparsed | None]
    events: list[Field] = []
    if given is not None:
        roots = [record.root for record in given]
        attributes = [record._attributes for record in given]
    else:
        produced, events = runners[origin.instance_name].impl.produce()
        roots = [item.root if isinstance(item, Parsed) else item for item in produced]
        attributes = [dict(item.header) if isinstance(item, Parsed) else {} for item in produced]
    made: list[Record | tuple[Record, Unparsed]] = [
        (_new_record(origin.instance_name, n, root.root, attrs), root)
        if isinstance(root, Unparsed)
        else _new_record(origin.instance_name, n, root, attrs)
        for n, (root, attrs) in enumerate(zip(roots, attributes, strict=True))
    ]
    event_records = [
        _new_record(origin.instance_name, n, root, {}, kind="event") for n, root in enumerate(events)
    ]
    chunks = [made[i : i + batch_size] for i in range(0, len(made), batch_size)] or [[]]
    policy = str(flow.configuration.get("errorRecordPolicy") or "ORIGINAL_RECORD")
    error_records: list[Record] = []
    for number, chunk in enumerate(chunks):
        lanes: dict[tuple[str, str, int], list[Record]] = {}
        sink: list[Record] = []
        first, last = number == 0, number == len(chunks) - 1
        for stage in order:
            runner = runners[stage.instance_name]
            if stage is origin:
                parsed = [record for record in chunk if isinstance(record, Record)]
                unparsed = [item for item in chunk if not isinstance(item, Record)]
                sink.extend(runner.emit_origin(lanes, parsed, event_records if first else [], unparsed))
                continue
            sink.extend(runner.run(lanes, runner.inputs(lanes), first=first, last=last))
        error_records.extend(_for_error_stage(record, policy) for record in sink)
    results = {name: runner.result for name, runner in runners.items()}
    return PreviewResult(flow.name, results, error_records, len(chunks))


def _order(flow: Flow) -> list[Stage]:
    graph = flow.graph
    position = {name: index for index, name in enumerate(graph.nodes)}
    import networkx as nx  # loaded by the first flow already; imported here to keep this module light

    try:
        names = list(nx.lexicographical_topological_sort(graph, key=lambda n: position[n]))
    except nx.NetworkXUnfeasible:
        cycle = " -> ".join(edge[0] for edge in nx.find_cycle(graph))
        raise PreviewError(
            f"has a cycle ({cycle}), so it cannot be previewed",
            flow=flow.name,
            hint="Remove one of the lanes that close the cycle.",
        ) from None
    return [flow.stage(name) for name in names]


def _origin(flow: Flow, order: list[Stage]) -> Stage:
    origins = [stage for stage in order if stage.type == "origin"]
    if not origins:
        raise PreviewError(
            "has no origin, so there is nothing to preview",
            flow=flow.name,
            hint="Add one with flow.source(...).",
        )
    if len(origins) > 1:
        names = ", ".join(s.instance_name for s in origins)
        raise PreviewError(
            f"has {len(origins)} origins ({names}); a Data Collector flow takes one",
            flow=flow.name,
            hint="Remove all but one origin.",
        )
    return origins[0]


def _given_records(flow: Flow, records: Iterable[Any] | None) -> list[Record] | None:
    if records is None:
        return None
    if isinstance(records, (str, bytes, Mapping, Record)):
        raise PreviewError(
            f"records must be a list of records; got {type(records).__name__}",
            flow=flow.name,
            hint="Wrap a single record in a list: records=[{...}].",
        )
    made = []
    for item in records:
        if isinstance(item, Record):
            made.append(
                Record._from_field(item.root.copy() if item.root is not None else None, item._attributes)
            )
        elif isinstance(item, Field):
            made.append(Record._from_field(item.copy()))
        else:
            made.append(Record(item))
    return made


def _check_supported(flow: Flow, order: list[Stage], origin: Stage, records_given: bool) -> None:
    missing = [
        stage for stage in order if stage.stage_name not in STAGES and not (stage is origin and records_given)
    ]
    if not missing:
        return
    names = ", ".join(
        f"{s.instance_name} ({s.definition.label if s.definition else s.stage_name})" for s in missing
    )
    only_origin = missing == [origin]
    raise PreviewError(
        f"the preview runner cannot run {names}",
        flow=flow.name,
        stage=missing[0].instance_name if len(missing) == 1 else None,
        hint=(
            "Pass the records the origin would produce: preview(flow, records=[...]). " if only_origin else ""
        )
        + f"Supported stages: {', '.join(supported_labels())}.",
    )


def _new_record(
    origin: str, number: int, root: Field | None, attributes: Mapping[str, str], kind: str = "record"
) -> Record:
    suffix = f"::event::{number}" if kind == "event" else f"::{number}"
    return Record._from_field(root, attributes)._created_by(origin, f"{origin}{suffix}")


def _for_error_stage(record: Record, policy: str) -> Record:
    if policy == "ORIGINAL_RECORD" and record._source is not None:
        return record._source._error_from(record)
    return record.copy()


def _check_version(flow: Flow, stage: Stage, implementation: type[StageRun]) -> None:
    """Refuse a stage of an older version whose configs the implementation would not read."""
    try:
        latest = flow.catalog.get(name=stage.stage_name, library=stage.library, engine=flow.engine)
    except FlowbuilderError:
        return
    known = {ref.name for ref in latest.config_refs} | implementation.legacy_configs
    entries = list(stage._configs)
    for service in stage._services:
        entries.extend(service.get("configuration") or [])
    unread = sorted(
        str(e.get("name"))
        for e in entries
        if e.get("name") not in known and e.get("value") not in (None, "", [], {})
    )
    if unread:
        raise PreviewError(
            f"is a {latest.label} of version {stage.version} with configs the preview runner does not read "
            f"({', '.join(unread)}); it follows version {latest.version}",
            flow=flow.name,
            stage=stage.instance_name,
            hint="Re-create the stage with the current version to preview it.",
        )


class _StageRunner:
    """One stage during a preview: its implementation, checks and accumulated result."""

    def __init__(
        self,
        flow: Flow,
        stage: Stage,
        parameters: dict[str, Any],
        clock: Callable[[], dt.datetime],
        write: bool,
        *,
        is_origin: bool,
    ) -> None:
        self.stage = stage
        edges = sorted(flow.graph.in_edges(stage.instance_name, data=True), key=lambda e: e[2]["position"])
        self.sources = [(source, str(data["kind"]), int(data["output"])) for source, _, data in edges]
        self.ctx = StageContext(flow, stage, parameters=parameters, clock=clock, write_to_destinations=write)
        implementation = STAGES.get(stage.stage_name, StageRun)
        self.impl = implementation(self.ctx)
        label = stage.definition.label if stage.definition is not None else stage.stage_name
        self.result = StageResult(stage.instance_name, stage.label, label)
        for lane in stage.output_lanes:
            self.result.output[lane] = []
        self.result.predicates = {
            p["predicate"]: p["outputLane"] for p in stage.predicates if "predicate" in p
        }
        if not is_origin and (stage.type == "processor" or write):
            _check_version(flow, stage, implementation)
        mode = str(self.ctx.config("stageOnRecordError", "TO_ERROR"))
        if mode not in _MODES:
            raise self.ctx.fail(
                f"must be one of {', '.join(_MODES)}; got {mode!r}",
                config="stageOnRecordError",
                hint=did_you_mean(mode, _MODES),
            )
        self.mode = mode
        self.required: list[str] = []
        self.preconditions: list[Expression] = []
        if not is_origin:
            required = self.ctx.config("stageRequiredFields", []) or []
            preconditions = self.ctx.config("stageRecordPreconditions", []) or []
            for config, value in (
                ("stageRequiredFields", required),
                ("stageRecordPreconditions", preconditions),
            ):
                if not isinstance(value, list):  # imported JSON may hold anything here
                    raise self.ctx.fail(
                        f"must be a list; got {type(value).__name__} {value!r}", config=config
                    )
            self.required = [str(p) for p in required if p]
            self.preconditions = [
                self.ctx.compile(text, "stageRecordPreconditions") for text in preconditions if text
            ]

    def inputs(self, lanes: dict[tuple[str, str, int], list[Record]]) -> list[Record]:
        """Copies of the records on the lanes that feed this stage, in input-lane order."""
        return [record.copy() for source in self.sources for record in lanes.get(source, [])]

    def emit_origin(
        self,
        lanes: dict[tuple[str, str, int], list[Record]],
        records: list[Record],
        events: list[Record],
        unparsed: list[tuple[Record, Unparsed]],
    ) -> list[Record]:
        """Put the origin's records on its lanes; returns those it sent to error (records its
        data format could not parse, handled as its ``on_record_error`` says)."""
        name = self.stage.instance_name
        outputs = list(self.stage.output_lanes)
        if outputs:
            self.result.output[outputs[0]].extend(records)
            lanes[(name, "data", 0)] = records
        self.result.events.extend(events)
        lanes[(name, "event", 0)] = events
        batch = _Batch(self, [], first=False, last=False)
        for record, failure in unparsed:
            batch.error(record, failure.code, failure.message)
        self.result.errors.extend(batch.errors)
        return batch.errors

    def run(
        self,
        lanes: dict[tuple[str, str, int], list[Record]],
        inputs: list[Record],
        *,
        first: bool,
        last: bool,
    ) -> list[Record]:
        """Run one batch; returns the records this stage sent to error."""
        self.result.input.extend(record.copy() for record in inputs)
        batch = _Batch(self, [], first=first, last=last)
        batch.records = [record for record in inputs if self._passes(batch, record)]
        self.impl.process(batch)
        name = self.stage.instance_name
        for index, lane in enumerate(self.stage.output_lanes):
            self.result.output[lane].extend(batch.outputs[index])
            lanes[(name, "data", index)] = batch.outputs[index]
        self.result.events.extend(batch.events)
        lanes[(name, "event", 0)] = batch.events
        self.result.errors.extend(batch.errors)
        return batch.errors

    def _passes(self, batch: _Batch, record: Record) -> bool:
        missing = [path for path in self.required if not record.has(path)]
        if missing:
            batch.error(
                record,
                "CONTAINER_0050",
                f"The stage requires records to include the following required fields: "
                f"'[{', '.join(missing)}]'",
            )
            return False
        failed: list[str] = []
        for condition in self.preconditions:
            try:
                holds = coerce_bool(self.ctx.evaluate(condition, record))
            except (PreviewError, ValueError) as error:
                batch.error(
                    record,
                    "CONTAINER_0052",
                    f"Failed to evaluate precondition '{condition.source}': {error_text(error)}",
                )
                return False
            if not holds:
                failed.append(condition.source)
        if failed:
            batch.error(record, "CONTAINER_0051", f"Unsatisfied precondition(s) '{','.join(failed)}'")
            return False
        return True


class _Batch:
    """The runner's side of :class:`~flowbuilder.preview._stages.Batch`."""

    def __init__(self, runner: _StageRunner, records: list[Record], *, first: bool, last: bool) -> None:
        self.runner = runner
        self.records = records
        self.first = first
        self.last = last
        self.outputs: list[list[Record]] = [[] for _ in runner.stage.output_lanes]
        self.events: list[Record] = []
        self.errors: list[Record] = []

    def send(self, record: Record, output: int = 0) -> None:
        stage = self.runner.stage
        if not 0 <= output < len(self.outputs):
            raise self.runner.ctx.fail(f"has no output lane {output}; it has {len(self.outputs)}")
        path = record._header.get("stagesPath")
        record._header["stagesPath"] = f"{path}:{stage.instance_name}" if path else stage.instance_name
        self.outputs[output].append(record)

    def error(self, record: Record, code: str, message: str) -> None:
        mode = self.runner.mode
        if mode == "DISCARD":
            return
        if mode == "STOP_PIPELINE":
            raise self.runner.ctx.fail(
                f"stopped the preview on record '{record._header.get('sourceId', '')}': {code} - {message}",
                hint="on_record_error is STOP_PIPELINE; set it to TO_ERROR or DISCARD to keep going.",
            )
        self.to_error(record, code, message)

    def to_error(self, record: Record, code: str, message: str) -> None:
        stage = self.runner.stage
        self.errors.append(
            record._with_error(
                stage.instance_name, stage.label, code, f"{code} - {message}", self.runner.ctx.now_millis()
            )
        )

    def event(self, record: Record) -> None:
        self.events.append(record)
