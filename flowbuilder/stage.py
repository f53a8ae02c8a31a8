"""Stage: one stage instance in a flow, with its definition, configuration and lanes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

from typing_extensions import Self

from ._gc import pausing
from .catalog import STAGE_TYPES, StageDefinition
from .configuration import Configuration
from .errors import LaneError, ReadOnlyError, StageNotFoundError

if TYPE_CHECKING:
    from .compile import ImportedStage
    from .flow import Flow

__all__ = ["Stage", "Stages"]

# A stage's identity, set when it is made: the flow's graph, its lanes and the compiled JSON are
# keyed by it. Name -> how to get what assigning it was after.
_ANOTHER_STAGE = (
    "Add a stage of the definition wanted (flow.add_stage(label, version=...)) and remove this one."
)
_FIXED = {
    "instance_name": "Choose it when adding the stage: flow.add_stage(label, instance_name=...); "
    "to show another name on the canvas, set stage.label.",
    "definition": _ANOTHER_STAGE,
    "library": _ANOTHER_STAGE,
    "stage_name": _ANOTHER_STAGE,
    "version": _ANOTHER_STAGE,
    "configuration": "Change the configs in it: stage.configuration.update(...) or "
    "stage.set_attributes(...).",
}


class Stage:
    """One stage instance: ``instance_name`` (``Trash_01``), ``label`` (``Trash 1``), configs.

    Configs are read and written three ways, all equal: ``stage.data_format``,
    ``stage.configuration["data_format"]`` and ``stage.configuration["dataFormat"]``.

    >>> from flowbuilder import Flow
    >>> flow = Flow("demo")
    >>> source = flow.add_stage("Dev Raw Data Source")
    >>> source
    DevRawDataSource_01(label='Dev Raw Data Source 1')
    >>> source.data_format = "TEXT"
    >>> source.configuration["dataFormat"], source.type
    ('TEXT', 'origin')
    """

    __slots__ = (
        "_configs",
        "_configuration",
        "_dangling",
        "_event_lanes",
        "_flow",
        "_imported",
        "_node",
        "_output_lanes",
        "_role",
        "_services",
        "definition",
        "instance_name",
        "library",
        "stage_name",
        "ui_info",
        "version",
    )

    def __init__(
        self,
        definition: StageDefinition | None,
        *,
        instance_name: str,
        library: str,
        stage_name: str,
        version: str,
        configs: list[dict[str, Any]],
        services: list[dict[str, Any]],
        ui_info: dict[str, Any],
        output_lanes: list[str],
        event_lanes: Sequence[str],
        role: str | None = None,
        imported: ImportedStage | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "definition", definition)
        set_(self, "instance_name", instance_name)
        set_(self, "library", library)
        set_(self, "stage_name", stage_name)
        set_(self, "version", version)
        set_(self, "ui_info", ui_info)
        set_(self, "_configs", configs)
        set_(self, "_services", services)
        set_(self, "_output_lanes", output_lanes)
        set_(self, "_event_lanes", event_lanes)
        set_(self, "_role", role)
        set_(self, "_imported", imported)
        set_(self, "_flow", None)
        set_(self, "_node", instance_name)
        set_(self, "_dangling", ())
        set_(self, "_configuration", None)

    definition: StageDefinition | None
    instance_name: str
    library: str
    stage_name: str
    version: str
    ui_info: dict[str, Any]
    _configs: list[dict[str, Any]]
    _services: list[dict[str, Any]]
    _output_lanes: list[str]
    _event_lanes: Sequence[str]
    _role: str | None
    _imported: ImportedStage | None
    _flow: Flow | None
    _node: str
    _dangling: Sequence[tuple[int, str]]
    _configuration: Configuration | None

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_definition(
        cls, definition: StageDefinition, instance_name: str, label: str, *, role: str | None = None
    ) -> Stage:
        """A new instance with every config at its default, in definition order."""
        configs = [{"name": c.name, "value": c.initial_value()} for c in definition.configs]
        services = []
        for provides, forced in definition.service_dependencies:
            service = definition.service(provides)
            entries = (
                [{"name": c.name, "value": c.initial_value()} for c in service.configs] if service else []
            )
            for name, value in forced.items():
                entry = next((e for e in entries if e["name"] == name), None)
                if entry is None:
                    entries.append({"name": name, "value": value})
                else:
                    entry["value"] = value
            version = service.version if service else "1"
            services.append({"service": provides, "serviceVersion": version, "configuration": entries})
        lanes = []
        if (
            role is None
            and definition.stage_type in ("SOURCE", "PROCESSOR")
            and not definition.has_predicates
        ):
            count = definition.output_streams or (0 if definition.variable_output_streams else 1)
            lanes = [f"{instance_name}OutputLane{n}" for n in range(1, count + 1)]
        elif role == "test_origin":
            lanes = [f"{instance_name}OutputLane1"]
        stage = cls(
            definition,
            instance_name=instance_name,
            library=definition.library,
            stage_name=definition.name,
            version=definition.version,
            configs=configs,
            services=services,
            ui_info={"label": label, "description": "", "stageType": definition.stage_type},
            output_lanes=lanes,
            event_lanes=(),
            role=role,
        )
        if definition.has_predicates and role is None:
            lane = f"{instance_name}OutputLane1"
            stage._output_lanes.append(lane)
            stage.configuration.set_raw(
                definition.resolve("lanePredicates"),  # type: ignore[arg-type]
                [{"outputLane": lane, "predicate": "default"}],
            )
        return stage

    @property
    def configuration(self) -> Configuration:
        """The stage's configs, keyed by Python name (raw names work too)."""
        if self._configuration is None:  # made on first use: flows hold 100,000s of stages
            configuration = Configuration(self.definition, self._configs, self._services, where=self._where)
            object.__setattr__(self, "_configuration", configuration)
            return configuration
        return self._configuration

    def _where(self) -> tuple[str | None, str | None]:
        return (self._flow.name if self._flow is not None else None, self.instance_name)

    # -- identity --------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The label shown on the canvas (``uiInfo.label``), e.g. ``Trash 1``."""
        return str(self.ui_info.get("label") or self.instance_name)

    @label.setter
    def label(self, value: str) -> None:
        self.ui_info["label"] = value

    @property
    def type(self) -> str:
        """``origin``, ``processor``, ``destination`` or ``executor``."""
        if self.definition is not None:
            return self.definition.type
        raw = str(self.ui_info.get("stageType") or "")
        return STAGE_TYPES.get(raw, raw.lower() or "unknown")

    @property
    def stage_type(self) -> str:
        """The engine's stage type: ``SOURCE``, ``PROCESSOR``, ``TARGET`` or ``EXECUTOR``."""
        if self.definition is not None:
            return self.definition.stage_type
        return str(self.ui_info.get("stageType") or "")

    @property
    def output_lanes(self) -> tuple[str, ...]:
        """Names of the stage's data output lanes, in output order."""
        return tuple(self._output_lanes)

    @property
    def event_lanes(self) -> tuple[str, ...]:
        """Names of the stage's event lanes (zero or one)."""
        return tuple(self._event_lanes)

    @property
    def flow(self) -> Flow:
        """The flow this stage belongs to."""
        if self._flow is None:
            raise LaneError("is not part of a flow", stage=self.instance_name)
        return self._flow

    @property
    def is_opaque(self) -> bool:
        """True for stages whose definition is not in the catalog (kept verbatim on import)."""
        return self.definition is None

    # -- predicates (Stream Selector) ------------------------------------------------------------

    @property
    def predicates(self) -> list[dict[str, str]]:
        """Stream Selector conditions: ``[{"outputLane": ..., "predicate": ...}]``, default last."""
        value = self.configuration.get("lanePredicates")
        # Imported JSON may hold anything here; validate() reports what is not a condition.
        return [dict(p) for p in value if isinstance(p, Mapping)] if isinstance(value, list) else []

    @predicates.setter
    def predicates(self, value: Sequence[str | dict[str, str]]) -> None:
        self.flow._set_predicates(self, value)

    # -- graph navigation ------------------------------------------------------------------------

    @property
    def inputs(self) -> Stages:
        """Stages that feed this stage, through data or event lanes."""
        return self.flow._neighbours(self, "in", None)

    @property
    def outputs(self) -> Stages:
        """Stages this stage's data lanes feed."""
        return self.flow._neighbours(self, "out", "data")

    @property
    def events(self) -> Stages:
        """Stages this stage's event lane feeds."""
        return self.flow._neighbours(self, "out", "event")

    # -- wiring (classic API) --------------------------------------------------------------------

    @pausing
    def connect_output_to(
        self, *stages: Stage, predicate: dict[str, str] | str | None = None, output_idx: int | None = None
    ) -> Stage | Stages:
        """Connect an output lane of this stage to each of ``stages``; returns the target(s).

        Without ``output_idx`` or ``predicate`` the next unconnected output is used.
        """
        for target in stages:
            self.flow._connect(self, target, "data", self.flow._output_index(self, predicate, output_idx))
        return stages[0] if len(stages) == 1 else Stages(stages)

    def connect_input_to(self, *stages: Stage, output_idx: int | None = None) -> Stage | Stages:
        """Connect an output of each of ``stages`` to this stage's input."""
        for source in stages:
            self.flow._connect(source, self, "data", self.flow._output_index(source, None, output_idx))
        return stages[0] if len(stages) == 1 else Stages(stages)

    def connect_event_to(self, *stages: Stage) -> Stage | Stages:
        """Connect this stage's event lane to each of ``stages``."""
        for target in stages:
            self.flow._connect(self, target, "event", 0)
        return stages[0] if len(stages) == 1 else Stages(stages)

    def disconnect_output_from(self, *stages: Stage) -> None:
        """Remove the data lanes from this stage to each of ``stages``."""
        for target in stages:
            self.flow._disconnect(self, target, "data")

    def disconnect_input_from(self, *stages: Stage) -> None:
        """Remove the lanes from each of ``stages`` into this stage."""
        for source in stages:
            self.flow._disconnect(source, self, None)

    def disconnect_event_from(self, *stages: Stage) -> None:
        """Remove the event lanes from this stage to each of ``stages``."""
        for target in stages:
            self.flow._disconnect(self, target, "event")

    @pausing
    def __rshift__(self, other: Stage | Sequence[Stage]) -> Any:
        if isinstance(other, Stage):
            self.flow._check_member(other)
            self.flow._connect(self, other, "data", self.flow._output_index(self, None, None))
            return other
        if isinstance(other, (list, tuple)):
            index = self.flow._output_index(self, None, None)
            for target in other:
                self.flow._connect(self, target, "data", index)
            return other
        return NotImplemented

    def __rrshift__(self, other: Sequence[Stage]) -> Stage:
        if isinstance(other, (list, tuple)):
            for source in other:
                source >> self
            return self
        return NotImplemented

    @pausing
    def __ge__(self, other: Stage | Sequence[Stage]) -> Any:
        if isinstance(other, Stage):
            self.flow._connect(self, other, "event", 0)
            return other
        if isinstance(other, (list, tuple)):
            for target in other:
                self.flow._connect(self, target, "event", 0)
            return other
        return NotImplemented

    def __le__(self, other: Sequence[Stage]) -> Any:
        # ``[a, b] >= c``: lists have no ``>=`` for stages, so Python asks ``c <= [a, b]``.
        if isinstance(other, (list, tuple)):
            for source in other:
                self.flow._connect(source, self, "event", 0)
            return self
        return NotImplemented

    # -- configs as attributes -------------------------------------------------------------------

    def set_attributes(self, **config: Any) -> Self:
        """Set several configs by Python name; returns the stage for chaining."""
        self.configuration.update(config)
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.configuration[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FIXED:
            hint = _FIXED[name]
            if name in self.configuration:  # a config of the same name (``version``, on a few stages)
                hint = f"The config {name!r} is set with stage.configuration[{name!r}] = ...; {hint}"
            flow = self._flow.name if self._flow is not None else None
            raise ReadOnlyError(f"{name} cannot be changed", flow=flow, stage=self.instance_name, hint=hint)
        if name.startswith("_") or name == "ui_info" or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self.configuration[name] = value

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        # copy.copy() and pickle restore the slots here, not through __setattr__'s guard.
        for name, value in state[1].items():
            object.__setattr__(self, name, value)

    def __dir__(self) -> Iterable[str]:
        return sorted(set(super().__dir__()) | set(self.configuration))

    def __repr__(self) -> str:
        if self._role is not None:
            return f"{self.instance_name}()"
        return f"{self.instance_name}(label={self.label!r})"


class Stages(list[Stage]):
    """A list of stages with ``get`` and ``get_all`` filters by attribute.

    >>> from flowbuilder import Flow
    >>> flow = Flow("demo").source("Dev Raw Data Source").to("Trash").flow
    >>> flow.stages.get(label="Trash 1")
    Trash_01(label='Trash 1')
    """

    def get(self, **filters: Any) -> Stage:
        """The first stage whose attributes equal every filter; StageNotFoundError if none."""
        for stage in self:
            if _matches(stage, filters):
                return stage
        wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items())
        names = [s.instance_name for s in self] + [s.label for s in self]
        from ._names import did_you_mean

        hint = did_you_mean(str(next(iter(filters.values()), "")), names) if len(filters) == 1 else None
        raise StageNotFoundError(f"no stage with {wanted}", hint=hint)

    def get_all(self, **filters: Any) -> Stages:
        """Every stage whose attributes equal every filter."""
        return Stages(stage for stage in self if _matches(stage, filters))

    @overload
    def __getitem__(self, index: SupportsIndex) -> Stage: ...
    @overload
    def __getitem__(self, index: slice) -> Stages: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Stage | Stages:
        if isinstance(index, slice):
            return Stages(super().__getitem__(index))
        return super().__getitem__(index)

    def __iter__(self) -> Iterator[Stage]:
        return super().__iter__()


def _matches(stage: Stage, filters: dict[str, Any]) -> bool:
    for key, value in filters.items():
        try:
            if getattr(stage, key) != value:
                return False
        except AttributeError:
            return False
    return True
