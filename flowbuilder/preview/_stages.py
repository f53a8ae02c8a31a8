"""How the runner talks to stage implementations, and the origin, destination and executor stages.

Each supported stage has a class registered under the engine's stage name. The runner builds
it once per preview with a :class:`StageContext` (configs, expressions, parameters, clock) and
calls ``process`` once per batch with a :class:`Batch` to send records on, to error, or to the
event lane. Processors that transform fields live in ``_processors.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..errors import PreviewError
from . import _formats, _java, _paths
from ._el import Env, Expression, coerce_bool, compile_template
from ._fields import Field
from ._functions import FUNCTIONS
from ._records import Record

if TYPE_CHECKING:
    from ..flow import Flow
    from ..stage import Stage

__all__ = ["STAGES", "Batch", "StageContext", "StageRun", "error_text", "register", "supported_labels"]


def error_text(error: PreviewError | ValueError) -> str:
    """The text a record error quotes for ``error``: a PreviewError's bare message, without its location.

    >>> error_text(PreviewError("bad", stage="Stage_01")), error_text(ValueError("not a number"))
    ('bad', 'not a number')
    """
    return error.message if isinstance(error, PreviewError) else str(error)


class Batch(Protocol):
    """One batch as a stage sees it: its input records and where to put results."""

    records: list[Record]
    first: bool
    last: bool

    def send(self, record: Record, output: int = 0) -> None:
        """Send ``record`` on output lane ``output``."""

    def error(self, record: Record, code: str, message: str) -> None:
        """Handle a record error as the stage's ``on_record_error`` says (discard, to error, stop)."""

    def to_error(self, record: Record, code: str, message: str) -> None:
        """Send ``record`` to error whatever ``on_record_error`` says (the To Error destination)."""

    def event(self, record: Record) -> None:
        """Emit an event record on the stage's event lane."""


class StageContext:
    """What a stage implementation may read: its configs, the flow's parameters, the clock.

    Errors it raises name the flow, the stage instance and the config.
    """

    def __init__(
        self,
        flow: Flow,
        stage: Stage,
        *,
        parameters: dict[str, Any],
        clock: Callable[[], dt.datetime],
        write_to_destinations: bool,
    ) -> None:
        self.flow = flow
        self.stage = stage
        self.parameters = parameters
        self.clock = clock
        self.write_to_destinations = write_to_destinations
        self._predicates: dict[str, Expression] = {}

    @property
    def instance_name(self) -> str:
        """The stage's instance name, e.g. ``ExpressionEvaluator_01``."""
        return self.stage.instance_name

    @property
    def label(self) -> str:
        """The stage's label, e.g. ``Expression Evaluator 1``."""
        return self.stage.label

    def config(self, name: str, default: Any = None) -> Any:
        """The value of the config with raw name ``name`` (its default when unset)."""
        value = self.stage.configuration.get(name)
        return default if value is None else value

    def python_name(self, name: str) -> str:
        """The Python name of a config given by its raw name (for messages)."""
        try:
            return self.stage.configuration.python_name(name)
        except (PreviewError, LookupError):
            return name

    def fail(self, message: str, *, config: str | None = None, hint: str | None = None) -> PreviewError:
        """A PreviewError located at this stage (and ``config``, given by raw name)."""
        return PreviewError(
            message,
            flow=self.flow.name,
            stage=self.instance_name,
            config=self.python_name(config) if config else None,
            hint=hint,
        )

    def relocate(self, error: PreviewError, config: str | None = None) -> PreviewError:
        """``error`` again, located at this stage and ``config``."""
        return self.fail(error.message, config=config, hint=error.hint)

    def compile(self, text: Any, config: str) -> Expression:
        """Compile a config value; unknown functions and undefined parameters fail here, not per record."""
        if not isinstance(text, str):
            text = "" if text is None else _java.to_string(text)
        try:
            compiled = compile_template(text)
            compiled.check_names(self.parameters)
        except PreviewError as error:
            raise self.relocate(error, config) from None
        return compiled

    def env(self, record: Record | None = None, path: str | None = None, field: Field | None = None) -> Env:
        """An evaluation environment for ``record`` (and the current field, for ``f:`` functions)."""
        return Env(
            record=record,
            parameters=self.parameters,
            clock=self.clock,
            flow=self.flow.name,
            field_path=path,
            field_value=field,
        )

    def static(self, value: Any, config: str) -> Any:
        """A config's value with parameters substituted (evaluated once, without a record)."""
        if not isinstance(value, str) or "${" not in value:
            return value
        compiled = self.compile(value, config)
        try:
            return compiled.evaluate(self.env())
        except PreviewError as error:
            raise self.relocate(error, config) from None

    def evaluate(
        self,
        expression: Expression,
        record: Record | None,
        path: str | None = None,
        field: Field | None = None,
    ) -> Any:
        """Evaluate for one record; PreviewError (to be turned into a record error) on failure."""
        return expression.evaluate(self.env(record, path, field))

    def paths(self, record: Record, pattern: str, *, config: str, keep_missing: bool = False) -> list[str]:
        """The field paths ``pattern`` matches in ``record``; ``[${...}]`` predicates may use ``f:``.

        A pattern without wildcards is returned as is when ``keep_missing`` (so a stage can
        report the field as missing), else only when the record has it.
        """
        try:
            if not _paths.has_wildcards(pattern):
                return [pattern] if keep_missing or record.has(pattern) else []

            def keep(path: str, field: Field, predicate: str) -> bool:
                compiled = self._predicates.get(predicate)
                if compiled is None:
                    compiled = self._predicates[predicate] = self.compile(predicate, config)
                value = compiled.evaluate(self.env(record, path, field))
                try:
                    return coerce_bool(value)
                except ValueError as error:
                    raise PreviewError(f"predicate {predicate!r} on field {path!r}: {error}") from None

            return _paths.match(record.root, pattern, keep)
        except PreviewError as error:
            raise self.relocate(error, config) from None

    def now_millis(self) -> int:
        """The injected clock's time in epoch milliseconds."""
        return _java.to_millis(self.clock())

    def event_record(self, event_type: str, values: dict[str, Any]) -> Record:
        """A new event record with the engine's ``sdc.event.*`` header attributes."""
        attributes = {
            "sdc.event.type": event_type,
            "sdc.event.version": "1",
            "sdc.event.creation_timestamp": str(self.now_millis()),
        }
        return Record(values, attributes=attributes)._created_by(
            self.instance_name, f"{self.instance_name}::event::{event_type}"
        )


class StageRun:
    """Base of every stage implementation: by default records pass through unchanged."""

    label: ClassVar[str] = ""
    #: Raw names of configs of older stage versions this implementation also reads.
    legacy_configs: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, ctx: StageContext) -> None:
        self.ctx = ctx

    def produce(self) -> tuple[list[Field | _formats.Parsed | _formats.Unparsed], list[Field]]:
        """For origins: the root fields of the records (:class:`~._formats.Unparsed` for one its
        data format could not parse) and of the events the origin produces."""
        raise self.ctx.fail(
            "is an origin the preview runner cannot read from",
            hint="Pass the records it would produce: preview(flow, records=[...]).",
        )

    def process(self, batch: Batch) -> None:
        """Handle one batch (the default passes every record to output 0)."""
        for record in batch.records:
            batch.send(record)


#: Stage name -> implementation.
STAGES: dict[str, type[StageRun]] = {}


def register(name: str, label: str) -> Callable[[type[StageRun]], type[StageRun]]:
    """Register an implementation for the stage named ``name`` (shown to users as ``label``)."""

    def add(cls: type[StageRun]) -> type[StageRun]:
        cls.label = label
        STAGES[name] = cls
        return cls

    return add


def supported_labels() -> list[str]:
    """The labels of every stage the preview runner can run, sorted."""
    return sorted({cls.label for cls in STAGES.values()})


# -- origins ---------------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_devtest_rawdata_RawDataDSource", "Dev Raw Data Source")
class _RawData(StageRun):
    """Parses ``raw_data`` (and ``event_data`` into event records) with the chosen data format.

    Event records come out in the first batch; they carry no ``sdc.event.type`` attribute.
    """

    def produce(self) -> tuple[list[Field | _formats.Parsed | _formats.Unparsed], list[Field]]:
        data_format = self.ctx.config("dataFormat")
        raw = self.ctx.static(self.ctx.config("rawData", ""), "rawData")
        events: list[Field] = []
        for event in self._parse(str(self.ctx.config("eventData") or ""), data_format, "eventData"):
            if isinstance(event, _formats.Unparsed):  # an event has no error records to go to
                raise self.ctx.fail(f"{event.code} - {event.message}", config="eventData")
            events.append(event.root if isinstance(event, _formats.Parsed) else event)
        return self._parse(str(raw), data_format, "rawData"), events

    def _parse(
        self, text: str, data_format: Any, config: str
    ) -> list[Field | _formats.Parsed | _formats.Unparsed]:
        if config == "eventData" and not text:
            return []
        unescape = FUNCTIONS["str:unescapeJava"].body
        try:
            return _formats.parse(
                text, data_format, self.ctx.config, lambda s: str(unescape(None, s)), config
            )
        except PreviewError as error:
            where = error.config if (error.config or "").startswith("dataFormatConfig.") else config
            raise self.ctx.fail(error.message, config=error.config and where, hint=error.hint) from None


# -- destinations and executors ----------------------------------------------------------------


class _Sink(StageRun):
    """Destinations and executors: records are recorded as the stage's input, nothing runs."""

    def process(self, batch: Batch) -> None:
        return None


register("com_streamsets_pipeline_stage_destination_devnull_NullDTarget", "Trash")(_Sink)


@register("com_streamsets_pipeline_stage_executor_shell_ShellDExecutor", "Shell")
class _Shell(_Sink):
    """The script is never executed; the records that would trigger it are the stage's input."""


@register(
    "com_streamsets_pipeline_stage_executor_finishpipeline_PipelineFinisherDExecutor",
    "Pipeline Finisher Executor",
)
class _Finisher(_Sink):
    """Records that reach it are its input; the preview does not stop."""


@register("com_streamsets_pipeline_stage_destination_toerror_ToErrorDTarget", "To Error")
class _ToError(StageRun):
    """Sends every record to error with ``TOERROR_00`` (or stops the preview when asked to)."""

    def process(self, batch: Batch) -> None:
        message = "Sent to error by previous stage"
        if self.ctx.config("stopPipelineOnError") and batch.records:
            custom = self.ctx.static(self.ctx.config("errorMessage", message), "errorMessage")
            raise self.ctx.fail(
                f"stopped the pipeline (stop_pipeline_on_error is set): {custom}",
                hint="Unset stop_pipeline_on_error to send the records to the error stage instead.",
            )
        for record in batch.records:
            batch.to_error(record, "TOERROR_00", message)


@register("com_streamsets_pipeline_stage_processor_identity_IdentityProcessor", "Dev Identity")
class _Identity(StageRun):
    """Passes records through unchanged."""


@register("com_streamsets_pipeline_stage_processor_delay_DelayProcessor", "Delay")
class _Delay(StageRun):
    """Passes records through; the preview never waits."""


@register("com_streamsets_pipeline_stage_destination_localfilesystem_LocalFileSystemDTarget", "Local FS")
class _LocalFS(StageRun):
    """Writes nothing unless ``write_to_destinations=True``; then JSON, TEXT or DELIMITED files.

    Files are ``<directory>/<files_prefix>-<n><files_suffix>``; at the end of the preview a
    ``file-closed`` event (``filepath``, ``filename``, ``length``) is emitted per file. A TEXT
    record without the text field writes an empty line. DELIMITED with ``header_line`` WITH_HEADER
    starts each new file with a header line: the field names of the first record written to it,
    as the engine's delimited generator does (IGNORE_HEADER and NO_HEADER write none).
    """

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.directory = ctx.compile(
            ctx.config("configs.dirPathTemplate", "/tmp/out"), "configs.dirPathTemplate"
        )
        self.prefix = str(ctx.static(ctx.config("configs.uniquePrefix", "sdc"), "configs.uniquePrefix"))
        self.suffix = str(ctx.static(ctx.config("configs.fileNameSuffix", ""), "configs.fileNameSuffix"))
        self.data_format = ctx.config("configs.dataFormat")
        self.header = self.data_format == "DELIMITED" and (
            ctx.config("configs.dataGeneratorFormatConfig.csvHeader", "NO_HEADER") == "WITH_HEADER"
        )
        self.text_field = str(ctx.config("configs.dataGeneratorFormatConfig.textFieldPath", "/text"))
        self.files: dict[Path, int] = {}
        if ctx.write_to_destinations and self.data_format not in ("JSON", "TEXT", "DELIMITED"):
            raise ctx.fail(
                f"cannot write data format {self.data_format!r} in a preview",
                config="configs.dataFormat",
                hint="Use JSON, TEXT or DELIMITED, or preview without write_to_destinations.",
            )

    def process(self, batch: Batch) -> None:
        if not self.ctx.write_to_destinations:
            return
        for record in batch.records:
            try:
                directory = Path(str(self.ctx.evaluate(self.directory, record)))
            except PreviewError as error:
                batch.error(
                    record, "HADOOPFS_24", f"Could not evaluate EL for directory path: {error.message}"
                )
                continue
            line = self._line(record)
            target, new = self._file(directory)
            with target.open("a", encoding="utf-8") as handle:
                if new and self.header:
                    handle.write(",".join(_csv_cell(name) for name in self._names(record)) + "\n")
                handle.write(line + "\n")
        if batch.last:
            for path in self.files:
                batch.event(
                    self.ctx.event_record(
                        "file-closed",
                        {"filepath": str(path), "filename": path.name, "length": path.stat().st_size},
                    )
                )

    def _file(self, directory: Path) -> tuple[Path, bool]:
        """The file written in ``directory``, and whether this call created it."""
        for known in self.files:
            if known.parent == directory:
                return known, False
        directory.mkdir(parents=True, exist_ok=True)
        number = len(self.files) + 1
        path = directory / f"{self.prefix}-{number}{self.suffix}"
        self.files[path] = number
        path.write_text("", encoding="utf-8")
        return path, True

    @staticmethod
    def _names(record: Record) -> list[str]:
        root = record.root
        return [] if root is None or not root.is_map else [str(name) for name in root.value]

    def _line(self, record: Record) -> str:
        if self.data_format == "JSON":
            return json.dumps(record.value, default=_json_default, separators=(",", ":"), ensure_ascii=False)
        if self.data_format == "TEXT":
            field = record.field(self.text_field)
            return _java.to_string(field.to_el()) if field is not None else ""
        root = record.root
        values = (
            []
            if root is None or not root.is_map
            else [_java.to_string(f.to_el()) for f in root.value.values()]
        )
        return ",".join(_csv_cell(v) for v in values)


def _json_default(value: object) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return _java.to_millis(value)
    return _java.to_string(value)


def _csv_cell(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
