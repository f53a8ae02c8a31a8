"""Flow: a data pipeline of stages joined by data and event lanes, on one networkx graph."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from functools import lru_cache
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from ._document import ROLES
from ._gc import pausing
from ._lanes import incoming, outgoing, predecessors
from ._names import a, did_you_mean, instance_base
from ._numbers import count
from ._stages import (
    as_add_stage,
    as_set_error_stage,
    as_set_lifecycle_stage,
    as_set_stats_aggregator_stage,
    as_set_test_origin_stage,
    as_source,
)
from ._wiring import WiringIndex
from .catalog import Catalog, ConfigRef, StageDefinition
from .configuration import Configuration
from .errors import ConfigError, LaneError, StageNotFoundError
from .stage import Stage, Stages

if TYPE_CHECKING:
    import networkx as nx

    from .compile import ImportedDocument
    from .fragment import Fragment
    from .path import Path
    from .validate import ValidationResult

__all__ = ["Flow", "Parameters"]

_CANVAS_TYPES = {"origin": ("origin",), "to": ("processor", "destination", "executor")}
_ROLE_OF_CONFIG = {role.config: name for name, role in ROLES.items()}
DISCARD = "com_streamsets_pipeline_stage_destination_devnull_ToErrorNullDTarget"


@lru_cache(maxsize=4096)
def _base(label: str) -> str:
    return instance_base(label)


class Flow:
    """A data pipeline: stages, the lanes between them, and flow-level settings.

    Build it with the chainable DSL or the classic stage API; validate, compile and draw it
    offline.

    >>> flow = (
    ...     Flow("orders", description="orders to files")
    ...     .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
    ...     .to("Trash")
    ...     .on_error("Write to File", directory="/data/errors")
    ... )
    >>> flow
    Flow(name='orders', stages=2)
    >>> flow.error_stage
    WritetoFile_ErrorStage()
    >>> [stage.instance_name for stage in flow.stages]
    ['DevRawDataSource_01', 'Trash_01']
    """

    def __init__(
        self,
        name: str,
        description: str = "",
        *,
        catalog: Catalog | None = None,
        engine: str = "data_collector",
    ) -> None:
        self.name = name
        self.description = description
        self.catalog = catalog or Catalog.default()
        self.engine = engine
        from networkx import MultiDiGraph  # loaded with the first flow, not with the package

        self._graph: nx.MultiDiGraph[str] = MultiDiGraph()
        self._wiring = WiringIndex(self._graph)
        self._name_hints: dict[str, int] = {}
        self._special: dict[str, Stage | None] = dict.fromkeys(ROLES)
        # What an imported document held beyond the model, so compiling it gives it back.
        self._imported: ImportedDocument | None = None
        self._lifecycle_extra: dict[str, list[Stage]] = {}
        self._configs: list[dict[str, Any]] = []
        definition = self.catalog.pipeline_definition(engine)
        self._configs.extend({"name": c.name, "value": c.initial_value()} for c in definition.configs)
        self.configuration = Configuration(
            definition, self._configs, where=lambda: (self.name, None), on_change=self._config_changed
        )
        if engine == "data_collector":
            self._set_special("error", self.catalog.get(name=DISCARD, error_stage=True, engine=engine))
            stats = self._definition_from_value(self.configuration["statsAggregatorStage"])
            if stats is not None:
                self._set_special("stats", stats)

    # -- reading -----------------------------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph[str]:
        """A read-only view of the flow's graph: nodes are instance names, edges carry lanes.

        Each node has a ``stage`` attribute; each edge has ``kind`` (``data`` or ``event``),
        ``output`` (the output-lane index) and ``position`` (order among the target's inputs).

        >>> flow = Flow("demo").source("Dev Raw Data Source").to("Trash").flow
        >>> list(flow.graph.edges(data="kind"))
        [('DevRawDataSource_01', 'Trash_01', 'data')]
        """
        view: nx.MultiDiGraph[str] = self._graph.copy(as_view=True)
        return view

    @property
    def stages(self) -> Stages:
        """The canvas stages, in the order they were added (or imported)."""
        return Stages(data["stage"] for _, data in self._graph.nodes(data=True))

    def stage(self, instance_name: str) -> Stage:
        """The stage with this instance name (canvas or special); StageNotFoundError if none."""
        if instance_name in self._graph:
            found: Stage = self._graph.nodes[instance_name]["stage"]
            return found
        for special in self._special.values():
            if special is not None and special.instance_name == instance_name:
                return special
        names = list(self._graph.nodes) + [s.label for s in self.stages]
        raise StageNotFoundError(
            f"has no stage {instance_name!r}", flow=self.name, hint=did_you_mean(instance_name, names)
        )

    @property
    def parameters(self) -> Parameters:
        """The flow's parameters (the ``constants`` config) as a dict.

        >>> flow = Flow("demo")
        >>> flow.parameters["DIR"] = "/data"
        >>> flow.configuration["constants"]
        [{'key': 'DIR', 'value': '/data'}]
        """
        return Parameters(self)

    def __len__(self) -> int:
        return int(self._graph.number_of_nodes())

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r}, stages={len(self)})"

    # -- building: DSL -----------------------------------------------------------------------

    @as_source
    @pausing
    def source(
        self,
        stage: str | Stage | Fragment | None = None,
        *,
        name: str | None = None,
        library: str | None = None,
        type: str | None = None,
        **config: Any,
    ) -> Path:
        """Add an origin (by label, ``name=``/``library=``, an existing Stage, or an origin
        Fragment); returns a Path.

        >>> path = Flow("demo").source("Dev Raw Data Source", raw_data="{}")
        >>> path.stage
        DevRawDataSource_01(label='Dev Raw Data Source 1')
        """
        from .path import Path

        origin = self._resolve_target(stage, name, library, type or "origin", "origin", config)
        return Path(self, ((origin._node, "data", None),))

    def _resolve_target(
        self,
        stage: str | Stage | Fragment | None,
        name: str | None,
        library: str | None,
        type: str | None,
        position: str,
        config: dict[str, Any],
    ) -> Stage:
        if stage is not None and not isinstance(stage, (str, Stage)):
            from .fragment import add_fragment

            prefix = config.get("parameter_name_prefix")
            others = sorted(set(config) - {"parameter_name_prefix"})
            if others:
                raise ConfigError(
                    f"a fragment takes no stage configs; got {', '.join(others)}",
                    flow=self.name,
                    hint="Set configs on the fragment's stages, or use its parameters.",
                )
            return add_fragment(self, stage, prefix, position=position)
        if isinstance(stage, Stage):
            if stage._flow is not self:
                raise LaneError(
                    "belongs to another flow",
                    flow=self.name,
                    stage=stage.instance_name,
                    hint="Add it to this flow with add_stage() first.",
                )
            if config:
                stage.set_attributes(**config)
            return stage
        types = None if type else _CANVAS_TYPES[position]
        definition = self.catalog.get(
            label=stage,
            name=name,
            library=library,
            type=type,
            types=types,
            engine=self.engine,
            flow=self.name,
        )
        added = self._add(definition)
        if config:
            added.set_attributes(**config)
        return added

    # -- building: classic API ---------------------------------------------------------------

    @as_add_stage
    @pausing
    def add_stage(
        self,
        label: str | None = None,
        name: str | None = None,
        type: str | None = None,
        library: str | None = None,
        *,
        version: str | None = None,
        instance_name: str | None = None,
    ) -> Stage:
        """Add an unconnected stage by definition label or name; returns the new Stage.

        The newest version in the catalog is used unless ``version`` is given; the instance name
        is ``<label without spaces>_NN`` (first free number) unless ``instance_name`` is given.

        >>> flow = Flow("demo")
        >>> flow.add_stage("Trash"), flow.add_stage("Trash")
        (Trash_01(label='Trash 1'), Trash_02(label='Trash 2'))
        """
        definition = self.catalog.get(
            label=label,
            name=name,
            library=library,
            type=type,
            version=version,
            engine=self.engine,
            flow=self.name,
        )
        return self._add(definition, instance_name)

    @pausing
    def add_fragment(self, fragment: Fragment, parameter_name_prefix: str | None = None) -> Stage:
        """Add one use of ``fragment`` as an unconnected fragment stage; returns the stage.

        The fragment's parameters join the flow's, each with ``parameter_name_prefix`` in front
        (default: the use's ``fragmentInstanceId`` and ``_``, as the engine does).

        >>> from flowbuilder import Fragment
        >>> fragment = Fragment("clean")
        >>> fragment.parameters["DIR"] = "/tmp"
        >>> _ = fragment.input("Trash")
        >>> flow = Flow("demo")
        >>> flow.add_fragment(fragment), dict(flow.parameters)
        (clean_01_FragmentDestination_01(label='clean 1'), {'clean_01_DIR': '/tmp'})
        """
        from .fragment import add_fragment

        return add_fragment(self, fragment, parameter_name_prefix)

    def expanded(self) -> Flow:
        """A new flow with every fragment stage replaced by the fragment's own stages (prefixed
        by its ``fragmentInstanceId``), the way the engine runs it; a flow without fragments
        gives an equal copy.

        >>> from flowbuilder import Fragment
        >>> fragment = Fragment("clean")
        >>> _ = fragment.input("Expression Evaluator")
        >>> flow = Flow("demo").source("Dev Raw Data Source").to(fragment).to("Trash").flow
        >>> [stage.instance_name for stage in flow.expanded().stages]
        ['DevRawDataSource_01', 'clean_01_ExpressionEvaluator_01', 'Trash_01']
        """
        from .compile import expand

        return expand(self)

    def _add(self, definition: StageDefinition, instance_name: str | None = None) -> Stage:
        base = _base(definition.label)
        if instance_name is not None:
            if instance_name in self._graph:
                raise LaneError(
                    "instance name already used",
                    flow=self.name,
                    stage=instance_name,
                    hint="Pick another instance_name, or leave it out to get the next free one.",
                )
            number = count(instance_name.rpartition("_")[2])
            label = definition.label if number is None else f"{definition.label} {number}"
            stage = Stage.from_definition(definition, instance_name, label)
        else:
            number = self._name_hints.get(base, 1)
            while f"{base}_{number:02d}" in self._graph:
                number += 1
            self._name_hints[base] = number + 1
            stage = Stage.from_definition(definition, f"{base}_{number:02d}", f"{definition.label} {number}")
        self._insert(stage)
        return stage

    def _insert(self, stage: Stage, *, allow_duplicate: bool = False) -> None:
        node = stage.instance_name
        if node in self._graph:
            if not allow_duplicate:
                raise LaneError("instance name already used", flow=self.name, stage=node)
            # Imported JSON may repeat an instance name (VALIDATION_0005): keep both, apart.
            copies = 2
            while f"{node}#{copies}" in self._graph:
                copies += 1
            node = f"{node}#{copies}"
        object.__setattr__(stage, "_flow", self)
        object.__setattr__(stage, "_node", node)
        self._graph.add_node(node, stage=stage)

    def remove_stage(self, stage: Stage | str) -> None:
        """Remove one stage instance (only that one) and every lane into or out of it."""
        target = self._own(stage)
        if target._role is not None:
            raise LaneError(
                "is a special stage and cannot be removed",
                flow=self.name,
                stage=target.instance_name,
                hint="Replace it with set_error_stage() (or the matching set_* method).",
            )
        for source, keyed in predecessors(self._graph)[target._node].items():
            for key, data in keyed.items():
                if data["kind"] == "data":
                    self._wiring.removed(source, data["output"], target._node, key)
        self._wiring.forget(target._node)
        self._graph.remove_node(target._node)
        base, _, suffix = target.instance_name.rpartition("_")
        number = count(suffix)
        if number is not None and base in self._name_hints:
            self._name_hints[base] = min(self._name_hints[base], number)
        object.__setattr__(target, "_flow", None)

    def duplicate_stage(self, stage: Stage | str) -> Stage:
        """A copy of ``stage`` with a new instance name, the same configs and no lanes."""
        original = self._own(stage)
        if self._graph.nodes[original._node].get("fragment") is not None:
            raise LaneError(
                "is a fragment stage and cannot be duplicated",
                flow=self.name,
                stage=original.instance_name,
                hint="Use the fragment again with flow.add_fragment(fragment).",
            )
        if original.definition is None:
            raise LaneError(
                "is opaque (not in the catalog) and cannot be duplicated",
                flow=self.name,
                stage=original.instance_name,
            )
        copy_ = self._add(original.definition)
        renames = dict(zip(original._output_lanes, copy_._output_lanes, strict=False))
        configs = copy.deepcopy(original._configs)
        for entry in configs:
            if entry.get("name") == "lanePredicates" and isinstance(entry.get("value"), list):
                lanes = []
                for position, predicate in enumerate(entry["value"]):
                    lane = renames.get(
                        predicate.get("outputLane"), f"{copy_.instance_name}OutputLane{position + 1}"
                    )
                    predicate["outputLane"] = lane
                    lanes.append(lane)
                copy_._output_lanes[:] = lanes
        copy_._configs[:] = configs
        copy_._services[:] = copy.deepcopy(original._services)
        self._wiring.forget(copy_._node)
        return copy_

    def _own(self, stage: Stage | str) -> Stage:
        found = self.stage(stage) if isinstance(stage, str) else stage
        if found._flow is not self:
            raise StageNotFoundError("is not part of this flow", flow=self.name, stage=found.instance_name)
        return found

    # -- special stages ----------------------------------------------------------------------

    @property
    def error_stage(self) -> Stage | None:
        """The stage that receives error records (``Discard_ErrorStage`` unless set)."""
        return self._special["error"]

    @property
    def stats_aggregator_stage(self) -> Stage | None:
        """The statistics aggregator stage, if any."""
        return self._special["stats"]

    @property
    def start_event(self) -> Stage | None:
        """The stage that handles the pipeline-start event, if any."""
        return self._special["start"]

    @property
    def stop_event(self) -> Stage | None:
        """The stage that handles the pipeline-stop event, if any."""
        return self._special["stop"]

    @property
    def test_origin(self) -> Stage | None:
        """The test origin used for preview, if any."""
        return self._special["test_origin"]

    @property
    def special_stages(self) -> dict[str, Stage]:
        """The off-canvas stages that are set, by role (``error``, ``stats``, ``start``, ``stop``,
        ``test_origin``).

        >>> sorted(Flow("demo").special_stages)
        ['error', 'stats']
        """
        return {role: stage for role, stage in self._special.items() if stage is not None}

    @as_set_error_stage
    def set_error_stage(
        self, label: str | None = None, name: str | None = None, library: str | None = None, **config: Any
    ) -> Stage:
        """Replace the error stage; returns the new stage (``WritetoFile_ErrorStage()`` ...).

        >>> flow = Flow("demo")
        >>> stage = flow.set_error_stage("Write to File")
        >>> stage.configuration["directory"] = "/data/errors"
        >>> flow.error_stage, flow.configuration["error_records"].endswith("ToErrorLocalFSDTarget::1")
        (WritetoFile_ErrorStage(), True)
        """
        return self._set_special_by("error", label, name, library, config, error_stage=True)

    @as_set_stats_aggregator_stage
    def set_stats_aggregator_stage(
        self, label: str | None = None, name: str | None = None, library: str | None = None, **config: Any
    ) -> Stage:
        """Replace the statistics aggregator stage."""
        return self._set_special_by("stats", label, name, library, config, stats_aggregator=True)

    @as_set_lifecycle_stage
    def set_start_event_stage(
        self, label: str | None = None, name: str | None = None, library: str | None = None, **config: Any
    ) -> Stage:
        """Set the stage run when the pipeline starts (a lifecycle stage such as Shell)."""
        return self._set_special_by("start", label, name, library, config, lifecycle=True)

    @as_set_lifecycle_stage
    def set_stop_event_stage(
        self, label: str | None = None, name: str | None = None, library: str | None = None, **config: Any
    ) -> Stage:
        """Set the stage run when the pipeline stops (a lifecycle stage such as Shell)."""
        return self._set_special_by("stop", label, name, library, config, lifecycle=True)

    @as_set_test_origin_stage
    def set_test_origin_stage(
        self, label: str | None = None, name: str | None = None, library: str | None = None, **config: Any
    ) -> Stage:
        """Set the origin used for preview instead of the flow's own origin."""
        return self._set_special_by("test_origin", label, name, library, config, type="origin")

    def _set_special_by(
        self,
        role: str,
        label: str | None,
        name: str | None,
        library: str | None,
        config: dict[str, Any],
        type: str | None = None,
        *,
        error_stage: bool = False,
        stats_aggregator: bool = False,
        lifecycle: bool = False,
    ) -> Stage:
        definition = self.catalog.get(
            label=label,
            name=name,
            library=library,
            type=type,
            engine=self.engine,
            flow=self.name,
            error_stage=error_stage,
            stats_aggregator=stats_aggregator,
            lifecycle=lifecycle,
        )
        stage = self._set_special(role, definition)
        if config:
            stage.set_attributes(**config)
        return stage

    def _set_special(self, role: str, definition: StageDefinition) -> Stage:
        facts = ROLES[role]
        name = instance_base(definition.label) + facts.suffix
        stage = Stage.from_definition(definition, name, facts.label.format(definition.label), role=role)
        object.__setattr__(stage, "_flow", self)
        self._special[role] = stage
        ref = self.configuration._ref(facts.config)
        if ref is not None:
            self.configuration.set_raw(ref, definition.pipeline_config_value)
        return stage

    def _definition_from_value(self, value: object) -> StageDefinition | None:
        if not isinstance(value, str) or value.count("::") != 2:
            return None
        library, name, version = value.split("::")
        definition, _ = self.catalog.resolve(name, version, library)
        return definition

    def _config_changed(self, ref: ConfigRef, value: Any) -> None:
        role = _ROLE_OF_CONFIG.get(ref.name)
        if role is None or value is None:
            return
        current = self._special[role]
        if current is not None and f"{current.library}::{current.stage_name}::{current.version}" == value:
            return
        if not isinstance(value, str) or value.count("::") != 2:
            raise ConfigError(
                f"must name a stage as 'library::stageName::version'; got {value!r}",
                flow=self.name,
                config=ref.python_name,
                hint=f"Use set_{'error' if role == 'error' else role}_stage(label) instead.",
            )
        definition = self._definition_from_value(value)
        if definition is None:
            raise StageNotFoundError(
                f"no stage definition for {value!r}", flow=self.name, config=ref.python_name
            )
        if role in ("start", "stop") and definition.name == DISCARD:
            self._special[role] = None
            return
        self._set_special(role, definition)

    # -- wiring (used by Stage, Path and the operators) --------------------------------------

    def _check_member(self, stage: Stage) -> None:
        if stage._flow is not self:
            raise LaneError(
                "is not part of this flow",
                flow=self.name,
                stage=stage.instance_name,
                hint="Stages can only be connected within one flow.",
            )
        if stage._role is not None:
            raise LaneError(
                "is a special stage and takes no lanes", flow=self.name, stage=stage.instance_name
            )

    def _output_index(
        self, stage: Stage, predicate: dict[str, str] | str | None, output_idx: int | None
    ) -> int:
        self._check_member(stage)
        lanes = stage._output_lanes
        if output_idx is not None:
            if not 0 <= output_idx < len(lanes):
                raise LaneError(
                    f"has no output {output_idx}; its outputs are 0..{len(lanes) - 1}"
                    if lanes
                    else "has no output lanes",
                    flow=self.name,
                    stage=stage.instance_name,
                )
            return output_idx
        if predicate is not None:
            text = predicate.get("predicate") if isinstance(predicate, dict) else predicate
            lane = predicate.get("outputLane") if isinstance(predicate, dict) else None
            conditions = self._conditions(stage)
            position = self._wiring.condition(stage._node, conditions, text=text, lane=lane)
            if position is not None:
                index = self._wiring.lane_position(stage._node, lanes, conditions[position]["outputLane"])
                if index is not None:
                    return index
            raise LaneError(
                f"has no predicate {text!r}",
                flow=self.name,
                stage=stage.instance_name,
                hint=did_you_mean(str(text), [p.get("predicate", "") for p in stage.predicates]),
            )
        if not lanes:
            raise LaneError(
                f"has no output lanes (it is {a(stage.type)})",
                flow=self.name,
                stage=stage.instance_name,
                hint="Connect its events with >= or connect_event_to() if it produces events.",
            )
        if len(lanes) == 1:
            return 0
        free = self._wiring.first_free(stage._node, len(lanes))
        if free is not None:
            return free
        raise LaneError(
            f"has all {len(lanes)} outputs connected",
            flow=self.name,
            stage=stage.instance_name,
            hint="Pick one with connect_output_to(..., output_idx=n).",
        )

    @staticmethod
    def _conditions(stage: Stage) -> list[Any]:
        """A Stream Selector's conditions as stored (the live list; empty when there is none)."""
        value = stage.configuration.get("lanePredicates")
        return value if isinstance(value, list) else []

    def _connect(self, source: Stage, target: Stage, kind: str, output: int) -> None:
        self._check_member(source)
        self._check_member(target)
        if target.stage_type == "SOURCE":
            raise LaneError(
                "is an origin and takes no input lanes", flow=self.name, stage=target.instance_name
            )
        if source is target:
            raise LaneError("cannot feed itself", flow=self.name, stage=source.instance_name)
        if kind == "event":
            if source.definition is not None and not source.definition.producing_events:
                raise LaneError(
                    "produces no events",
                    flow=self.name,
                    stage=source.instance_name,
                    hint="Only stages that produce events have an event lane.",
                )
            if not source._event_lanes:
                source._event_lanes = [f"{source.instance_name}_EventLane"]
        existing = self._graph.get_edge_data(source._node, target._node) or {}
        if any(d["kind"] == kind and d["output"] == output for d in existing.values()):
            return
        position = self._wiring.next_position(target._node, target._dangling)
        key = self._graph.add_edge(source._node, target._node, kind=kind, output=output, position=position)
        if kind == "data":
            self._wiring.added(source._node, output, target._node, key)

    def _disconnect(self, source: Stage, target: Stage, kind: str | None) -> None:
        edges = self._graph.get_edge_data(source._node, target._node) or {}
        for key, data in list(edges.items()):
            if kind is None or data["kind"] == kind:
                self._graph.remove_edge(source._node, target._node, key)
                if data["kind"] == "data":
                    self._wiring.removed(source._node, data["output"], target._node, key)

    def _neighbours(self, stage: Stage, direction: str, kind: str | None) -> Stages:
        if stage._role is not None or stage._flow is not self:
            return Stages()
        if direction == "in":
            names = [u for u, d in incoming(self._graph, stage._node) if kind in (None, d["kind"])]
        else:
            names = [v for v, d in outgoing(self._graph, stage._node) if kind in (None, d["kind"])]
        return Stages(self._graph.nodes[n]["stage"] for n in dict.fromkeys(names))

    def _set_predicates(self, stage: Stage, value: Sequence[str | dict[str, str]]) -> None:
        self._check_member(stage)
        if stage.definition is None or not stage.definition.has_predicates:
            raise LaneError(
                "has no predicates (it is not a Stream Selector)", flow=self.name, stage=stage.instance_name
            )
        wanted = [v if isinstance(v, dict) else {"predicate": v} for v in value]
        if not wanted or wanted[-1].get("predicate") != "default":
            if any(w.get("predicate") == "default" for w in wanted):
                raise LaneError(
                    "must have the 'default' predicate last", flow=self.name, stage=stage.instance_name
                )
            wanted.append({"predicate": "default"})
        old = stage.predicates
        by_lane = {p["outputLane"]: p for p in old}
        by_text = {p["predicate"]: p["outputLane"] for p in old}
        taken: set[str] = set()
        number = 1  # new lanes take the first free numbers, found in one pass over them all
        result = []
        for entry in wanted:
            lane = entry.get("outputLane") or by_text.get(entry["predicate"])
            if lane is None or lane in taken or (entry.get("outputLane") is None and lane not in by_lane):
                lane = None
            while lane is None:
                candidate = f"{stage.instance_name}OutputLane{number}"
                number += 1
                if candidate not in taken and candidate not in by_lane:
                    lane = candidate
            taken.add(lane)
            result.append({"outputLane": lane, "predicate": entry["predicate"]})
        self._apply_lanes(stage, [p["outputLane"] for p in result])
        ref = stage.definition.resolve("lanePredicates")
        assert ref is not None
        stage.configuration.set_raw(ref, result)

    def _add_predicate(self, stage: Stage, predicate: str) -> int:
        """The output index of ``predicate``'s lane, adding the condition (before the default)
        when it is new. A condition added to a well-formed selector costs O(1)."""
        node, lanes = stage._node, stage._output_lanes
        conditions = self._conditions(stage)
        position = self._wiring.condition(node, conditions, text=predicate)
        if position is not None:
            index = self._wiring.lane_position(node, lanes, conditions[position].get("outputLane"))
            if index is not None:
                return index
        last = len(lanes) - 1
        if (
            position is None
            and conditions
            and len(conditions) == len(lanes)
            and isinstance(conditions[-1], Mapping)
            and conditions[-1].get("predicate") == "default"
            and self._wiring.lane_position(node, lanes, conditions[-1].get("outputLane")) == last
        ):
            number = len(lanes) + 1
            while (
                self._wiring.lane_position(node, lanes, f"{stage.instance_name}OutputLane{number}")
                is not None
            ):
                number += 1
            lane = f"{stage.instance_name}OutputLane{number}"
            self._wiring.moved(node, last, last + 1)  # the default lane moves one place on
            lanes.insert(last, lane)
            self._wiring.lane_inserted(node, lanes, last)
            conditions.insert(len(conditions) - 1, {"outputLane": lane, "predicate": predicate})
            self._wiring.condition_inserted(node, conditions, len(conditions) - 2)
            return last
        # Anything else (no default last, lanes out of step): rebuild the conditions whole.
        texts: list[str | dict[str, str]] = [dict(p) for p in stage.predicates[:-1]]
        texts.append(predicate)
        texts.extend(dict(p) for p in stage.predicates[-1:])
        self._set_predicates(stage, texts)
        return self._output_index(stage, predicate, None)

    def _apply_lanes(self, stage: Stage, lanes: list[str]) -> None:
        """Set a stage's output lanes, dropping edges of removed lanes and renumbering the rest."""
        old = list(stage._output_lanes)
        positions: dict[str, int] = {}
        for position, name in enumerate(lanes):
            positions.setdefault(name, position)
        for source, target, key, data in list(self._graph.out_edges(stage._node, keys=True, data=True)):
            if data["kind"] != "data":
                continue
            lane = old[data["output"]] if data["output"] < len(old) else None
            if lane is not None and lane in positions:
                data["output"] = positions[lane]
            else:
                self._graph.remove_edge(source, target, key)
        stage._output_lanes[:] = lanes
        self._wiring.forget(stage._node)

    # -- conveniences that call the compilers, validator and renderers -----------------------

    def validate(self) -> ValidationResult:
        """Check the flow offline against the catalog; returns every issue found."""
        from .validate import validate

        return validate(self)

    def to_dict(self) -> dict[str, Any]:
        """The engine's pipeline definition of this flow (see ``flowbuilder.compile.to_dict``)."""
        from .compile import to_dict

        return to_dict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The pipeline definition as JSON text, byte-stable for git diffs."""
        from .compile import to_json

        return to_json(self, indent=indent)

    def to_dot(self, *, expand_fragments: bool = False) -> str:
        """The flow as Graphviz DOT text (see ``flowbuilder.render.to_dot``); fragments drawn
        as one node each, or opened with ``expand_fragments=True``.

        >>> Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_dot().splitlines()[0]
        'digraph demo {'
        """
        from .render import to_dot

        return to_dot(self, expand_fragments=expand_fragments)

    def to_mermaid(self, *, expand_fragments: bool = False) -> str:
        """The flow as a Mermaid ``flowchart LR`` (see ``flowbuilder.render.to_mermaid``).

        >>> Flow("demo").source("Dev Raw Data Source").to("Trash").flow.to_mermaid().splitlines()[3]
        'flowchart LR'
        """
        from .render import to_mermaid

        return to_mermaid(self, expand_fragments=expand_fragments)

    def render(
        self, path: str | FilePath, format: str | None = None, *, expand_fragments: bool = False
    ) -> FilePath:
        """Draw the flow to a file with Graphviz (svg, png, pdf or dot, from the suffix);
        ``expand_fragments=True`` draws each fragment's stages instead of one node.

        >>> import tempfile, pathlib
        >>> flow = Flow("demo").source("Dev Raw Data Source").to("Trash").flow
        >>> flow.render(pathlib.Path(tempfile.mkdtemp()) / "demo.svg").suffix
        '.svg'
        """
        from .render import render

        return render(self, path, format=format, expand_fragments=expand_fragments)

    def _repr_svg_(self) -> str | None:
        from .render import repr_svg

        return repr_svg(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from .render import repr_mimebundle

        return repr_mimebundle(self, include=include, exclude=exclude)

    @classmethod
    def from_json(
        cls,
        data: str | bytes | dict[str, Any],
        *,
        catalog: Catalog | None = None,
        max_bytes: int | None = None,
    ) -> Self:
        """Read a flow from pipeline JSON (bare, export envelope, or the GET-shaped document).

        Text longer than ``max_bytes`` (default ``flowbuilder.compile.MAX_JSON_BYTES``, 64 MiB)
        is refused with FlowFormatError before it is parsed.
        """
        from .compile import MAX_JSON_BYTES, from_json

        return from_json(data, catalog=catalog, cls=cls, max_bytes=max_bytes or MAX_JSON_BYTES)

    @classmethod
    def from_file(
        cls, path: str | FilePath, *, catalog: Catalog | None = None, max_bytes: int | None = None
    ) -> Self:
        """Read a flow from a pipeline JSON file; one larger than ``max_bytes`` (default 64 MiB)
        is refused without being read."""
        from .compile import MAX_JSON_BYTES, from_file

        return from_file(path, catalog=catalog, cls=cls, max_bytes=max_bytes or MAX_JSON_BYTES)


class Parameters(MutableMapping[str, Any]):
    """The flow's parameters: a dict view over the ``constants`` config (a list of key/value)."""

    def __init__(self, flow: Flow) -> None:
        self._flow = flow

    def _entries(self, *, create: bool = False) -> list[Any]:
        # Reading never rewrites the config: an imported flow keeps whatever its JSON held.
        value = self._flow.configuration.get("constants")
        if isinstance(value, list):
            return value
        if not create:
            return []
        self._flow.configuration["constants"] = []
        return self._flow.configuration["constants"]  # type: ignore[no-any-return]

    def _pairs(self) -> list[dict[str, Any]]:
        """The entries that are parameters: objects with a string ``key``."""
        return [e for e in self._entries() if isinstance(e, dict) and isinstance(e.get("key"), str)]

    def __getitem__(self, key: str) -> Any:
        for entry in self._pairs():
            if entry["key"] == key:
                return entry.get("value")
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        entries = self._entries(create=True)
        for entry in entries:
            if isinstance(entry, dict) and entry.get("key") == key:
                entry["value"] = value
                return
        entries.append({"key": key, "value": value})

    def __delitem__(self, key: str) -> None:
        entries = self._entries()
        for position, entry in enumerate(entries):
            if isinstance(entry, dict) and entry.get("key") == key:
                del entries[position]
                return
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter([entry["key"] for entry in self._pairs()])

    def __len__(self) -> int:
        return len(self._pairs())

    def __repr__(self) -> str:
        return f"Parameters({dict(self)!r})"
