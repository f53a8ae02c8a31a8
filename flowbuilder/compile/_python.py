"""Generate Python DSL source that rebuilds a flow exactly, and the helpers that source calls."""

from __future__ import annotations

import copy
import functools
import json
import keyword
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._document import LIFECYCLE_SLOTS, ROLES, SPECIAL_SLOTS, replace_secrets
from .._lanes import incoming
from .._names import instance_base
from .._numbers import count
from ..catalog import Catalog, ConfigRef, StageDefinition
from ..configuration import check_value
from ..errors import ConfigError, FlowbuilderError, FlowFormatError, StageNotFoundError
from ..flow import Flow
from ._format import Call, Raw, format_statement, literal
from ._imported import MODELLED_KEYS, ImportedDocument, ImportedStage
from ._pipeline import _stage_dict, to_dict
from ._reader import _stage as _read_stage
from ._reader import _wire, place_special

if TYPE_CHECKING:
    from ..stage import Stage

__all__ = ["add_stage_json", "restore_details", "secret_variable", "to_python"]

_T = TypeVar("_T")

_SLOTS = (*SPECIAL_SLOTS, *LIFECYCLE_SLOTS)
_SETTERS = {  # the Flow method that sets the stage of each role
    "error": "set_error_stage",
    "stats": "set_stats_aggregator_stage",
    "start": "set_start_event_stage",
    "stop": "set_stop_event_stage",
    "test_origin": "set_test_origin_stage",
}
# Flow configs the generated code sets another way: by the special-stage setters, and parameters.
_SPECIAL_CONFIGS = {*(role.config for role in ROLES.values()), "constants"}


def secret_variable(stage: str, config: str) -> str:
    """The environment variable generated code reads a secret from.

    >>> secret_variable("JDBCQueryConsumer_01", "password")
    'JDBCQUERYCONSUMER_01_PASSWORD'
    """
    return re.sub(r"[^0-9A-Za-z]+", "_", f"{stage}_{config}").strip("_").upper()


def add_stage_json(flow: Flow, instance: Mapping[str, Any]) -> Stage:
    """Add a stage instance exactly as pipeline JSON gives it (for stages the catalog lacks).

    >>> from flowbuilder import Flow
    >>> flow = Flow("demo")
    >>> add_stage_json(flow, {"instanceName": "Custom_01", "library": "my-lib", "stageName": "com_example_X",
    ...                       "stageVersion": "1", "configuration": [], "uiInfo": {"stageType": "TARGET"}})
    Custom_01(label='Custom_01')
    """
    stage = _read_stage(instance, flow.catalog, "stage")
    flow._insert(stage)
    return stage


def restore_details(flow: Flow, details: Mapping[str, Any]) -> Flow:
    """Apply the engine details generated code keeps apart from the DSL: lane names, canvas
    layout, key order, document metadata. ``to_python`` writes them; users may delete them.

    ``details`` holds ``document`` (top-level keys as in the original JSON), ``keys`` (their
    order), ``configuration`` (flow config order and raw values), ``stages`` (per instance name:
    ``uiInfo``, lanes, ``configuration`` order and raw values, ``services``, ``keys``, ...) and
    ``special`` (off-canvas stage slots given whole).
    """
    if "keys" in details:
        flow._imported = ImportedDocument(
            name=flow.name,
            keys=tuple(details["keys"]),
            values=copy.deepcopy(dict(details.get("document") or {})),
        )
    if "configuration" in details:
        _restore_entries(flow._configs, details["configuration"])
    for name, fields in (details.get("stages") or {}).items():
        _restore_stage(flow, flow._graph.nodes[name]["stage"], fields)
    inputs = {
        name: fields["inputLanes"]
        for name, fields in (details.get("stages") or {}).items()
        if "inputLanes" in fields
    }
    if inputs:
        _rewire(flow, inputs)
    for slot, value in (details.get("special") or {}).items():
        place_special(flow, slot, value)
    return flow


def _restore_entries(entries: list[dict[str, Any]], spec: Mapping[str, Any]) -> None:
    if "entries" in spec:
        entries[:] = copy.deepcopy(list(spec["entries"]))
        return
    by_name = {str(entry.get("name")): entry for entry in entries}
    values = spec.get("values") or {}
    order = spec.get("order")
    for name, value in values.items():
        by_name.setdefault(name, {"name": name})["value"] = copy.deepcopy(value)
    if order is not None:
        entries[:] = [by_name[name] for name in order]


def _restore_stage(flow: Flow, stage: Stage, fields: Mapping[str, Any]) -> None:
    if "uiInfo" in fields:
        stage.ui_info.clear()
        stage.ui_info.update(copy.deepcopy(fields["uiInfo"]))
    renames: dict[str, str] = {}
    if "outputLanes" in fields:
        renames = dict(zip(stage._output_lanes, fields["outputLanes"], strict=False))
        stage._output_lanes[:] = list(fields["outputLanes"])
    if "eventLanes" in fields:
        stage._event_lanes = list(fields["eventLanes"])
    if renames:
        for entry in stage._configs:
            if entry.get("name") == "lanePredicates" and isinstance(entry.get("value"), list):
                for predicate in entry["value"]:
                    if isinstance(predicate, dict) and predicate.get("outputLane") in renames:
                        predicate["outputLane"] = renames[predicate["outputLane"]]
    if "configuration" in fields:
        _restore_entries(stage._configs, fields["configuration"])
    if "services" in fields:
        stage._services[:] = copy.deepcopy(fields["services"])
    for key, attribute in (("library", "library"), ("stageName", "stage_name"), ("stageVersion", "version")):
        if key in fields:
            object.__setattr__(stage, attribute, fields[key])
    if {"extra", "keys", "nulls"} & fields.keys():
        was = stage._imported or ImportedStage()
        object.__setattr__(
            stage,
            "_imported",
            ImportedStage(
                tuple(fields["keys"]) if "keys" in fields else was.keys,
                copy.deepcopy(dict(fields["extra"])) if "extra" in fields else was.extra,
                frozenset(fields["nulls"]) if "nulls" in fields else was.nulls,
            ),
        )
    flow._wiring.forget(stage._node)  # its lanes and conditions changed past the flow's wiring


def _rewire(flow: Flow, inputs: Mapping[str, list[str]]) -> None:
    graph = flow._graph
    for name in inputs:
        for source, target, key in list(graph.in_edges(name, keys=True)):
            graph.remove_edge(source, target, key)
    _wire(flow, [graph.nodes[name]["stage"] for name in inputs], list(inputs.values()))


# -- generation ------------------------------------------------------------------------------


def _variable(label: str, taken: set[str], counters: dict[str, int]) -> str:
    """A free variable name for a stage labelled ``label``, added to ``taken``.

    ``counters`` remembers, per base name, the next suffix worth trying: ``taken`` only grows, so
    the suffixes below it stay taken, and many stages sharing a label cost linear time in all.
    """
    base = re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_") or "stage"
    if base[0].isdigit():
        base = "stage_" + base
    if keyword.iskeyword(base) or base in ("flow", "os", "add_stage_json", "restore_details", "Flow"):
        base += "_stage"
    name, counter = base, counters.get(base, 2)
    if name in taken:
        name = f"{base}_{counter}"
        while name in taken:
            counter += 1
            name = f"{base}_{counter}"
        counters[base] = counter + 1
    taken.add(name)
    return name


def _fits(definition: StageDefinition, role: str) -> bool:
    """True when the setter of ``role`` (``set_error_stage``...) accepts a stage of ``definition``."""
    if role == "error":
        return definition.error_stage
    if role == "stats":
        return definition.stats_aggregator_stage
    if role in ("start", "stop"):
        return definition.pipeline_lifecycle_stage
    return definition.type == "origin"  # the test origin


def _kept_as_is(ref: ConfigRef, value: Any) -> bool:
    """Whether setting ``value`` on the config stores it unchanged (generated code can write it)."""
    try:
        return bool(check_value(ref.definition, copy.deepcopy(value), name=ref.python_name) == value)
    except ConfigError:
        return False


def _sound_predicates(stage: Stage) -> bool:
    """True when ``stage.predicates = [...]`` can rebuild the Stream Selector's conditions."""
    value = stage.configuration.get("lanePredicates")
    if not isinstance(value, list) or not value or not all(isinstance(p, Mapping) for p in value):
        return False
    if value[-1].get("predicate") != "default" or not all(isinstance(p.get("predicate"), str) for p in value):
        return False
    return [p.get("outputLane") for p in value] == list(stage._output_lanes)


class _Secrets:
    """Puts ``os.environ.get(VARIABLE, "")`` in generated code wherever a secret would be written
    (a CREDENTIAL config, or a CREDENTIAL field of a list-of-rows config), and remembers what each
    variable must hold: the environment the generated code needs."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.environment: dict[str, str] = {}

    def value(self, owner: str, ref: ConfigRef | None, value: Any, name: str = "") -> Any:
        """``value`` of config ``ref`` (or, unknown, ``name``) of ``owner`` (an instance name, or
        ``flow``) as code writes it: what the one secret rule (``flowbuilder._document``) calls a
        secret is read from the environment."""
        config = ref.definition if ref is not None else None
        base = ref.python_name if ref is not None else name

        def hide(path: tuple[Any, ...], part: Any) -> Any:
            return self._hidden(owner, "_".join([base, *map(str, path)]), part, base)

        return replace_secrets(config, ref.name if ref is not None else name, value, hide)

    def _hidden(self, owner: str, name: str, value: Any, config: str) -> Any:
        if not isinstance(value, str) or not value or "${" in value:
            return value  # empty, or an expression such as ${credential:get(...)}: nothing to hide
        if "\x00" in value:  # no environment variable can carry it, so no code can read it
            raise ConfigError(
                "holds a NUL character, which an environment variable cannot carry",
                flow=self.flow.name,
                stage=None if owner == "flow" else owner,
                config=config,
                hint="Remove the NUL character from the secret, or use a credential function "
                "such as ${credential:get(...)}.",
            )
        variable = secret_variable(owner, name)
        self.environment[variable] = value
        return Call("os.environ.get", [variable, ""])

    def entries(self, owner: str, definition: StageDefinition | None, entries: Any) -> Any:
        """Config entries (``[{"name", "value"}]``) with their secrets hidden."""
        if not isinstance(entries, list):
            return entries
        hidden = []
        for entry in entries:
            if isinstance(entry, Mapping) and "value" in entry:
                name = str(entry.get("name"))
                ref = definition.resolve(name) if definition is not None else None
                value = self.value(owner, ref, entry["value"], name)
                if value is not entry["value"]:
                    entry = {**entry, "value": value}
            hidden.append(entry)
        return hidden

    def stage_json(self, raw: Any) -> Any:
        """A stage as pipeline JSON with the secrets of its configs and services hidden."""
        if not isinstance(raw, Mapping) or not isinstance(raw.get("stageName"), str):
            return raw
        definition, _ = self.flow.catalog.resolve(
            raw["stageName"], raw.get("stageVersion"), raw.get("library")
        )
        owner = str(raw.get("instanceName"))
        hidden = dict(raw)
        if "configuration" in raw:
            hidden["configuration"] = self.entries(owner, definition, raw["configuration"])
        if isinstance(raw.get("services"), list):
            hidden["services"] = [self.service(owner, definition, block) for block in raw["services"]]
        return hidden

    def service(self, owner: str, definition: StageDefinition | None, block: Any) -> Any:
        if not isinstance(block, Mapping) or "configuration" not in block:
            return block
        return {**block, "configuration": self.entries(owner, definition, block["configuration"])}

    def details(self, details: dict[str, Any]) -> dict[str, Any]:
        """The ``restore_details`` argument with every secret in it hidden."""
        hidden = dict(details)
        pipeline = self.flow.catalog.pipeline_definition(self.flow.engine)
        if "configuration" in details:
            hidden["configuration"] = self.spec("flow", pipeline, details["configuration"])
        if "stages" in details:
            hidden["stages"] = {}
            for name, fields in details["stages"].items():
                definition = self.flow.stage(name).definition if name in self.flow._graph else None
                changed = dict(fields)
                if "configuration" in fields:
                    changed["configuration"] = self.spec(name, definition, fields["configuration"])
                if isinstance(fields.get("services"), list):
                    changed["services"] = [self.service(name, definition, b) for b in fields["services"]]
                hidden["stages"][name] = changed
        if "special" in details:
            hidden["special"] = {
                slot: [self.stage_json(raw) for raw in value]
                if isinstance(value, list)
                else self.stage_json(value)
                for slot, value in details["special"].items()
            }
        return hidden

    def spec(self, owner: str, definition: StageDefinition | None, spec: Mapping[str, Any]) -> dict[str, Any]:
        hidden = dict(spec)
        if "entries" in spec:
            hidden["entries"] = self.entries(owner, definition, spec["entries"])
        if "values" in spec:
            hidden["values"] = {}
            for name, value in spec["values"].items():
                ref = definition.resolve(name) if definition is not None else None
                hidden["values"][name] = self.value(owner, ref, value, name)
        return hidden


class _Writer:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.default = Catalog.default()
        self.lines: list[str] = []
        self.variables: dict[str, str] = {}
        self._branches: dict[str, dict[str, str]] = {}  # per Stream Selector: lane -> its condition
        self.taken = {"flow"}
        self.counters: dict[str, int] = {}
        self.secrets = _Secrets(flow)
        self.needs_json_helpers = False
        self.hints: dict[str, int] = {}
        self.allocated: set[str] = set()
        # What the generated code builds, built here by the same calls it makes, as it is written:
        # to_python compares it with the flow without running the code it generates.
        self.built = Flow("")
        self.built_stages: dict[str, Stage] = {}

    def build(self, action: Callable[[], _T]) -> _T:
        """Make one call of the generated code on the flow being built. It fails only when the
        generator wrote something the API refuses: its own bug, said plainly."""
        try:
            return action()
        except (FlowbuilderError, ValueError, TypeError, KeyError, IndexError) as error:
            raise FlowFormatError(
                f"generated Python would not rebuild the flow: {type(error).__name__}: {error}",
                flow=self.flow.name,
                hint="Please report this with the flow JSON.",
            ) from error

    def readable_definition(self, stage: Stage) -> StageDefinition | None:
        definition = self.default.definition(stage.stage_name, str(stage.version))
        imported = stage._imported
        if (
            definition is None
            or definition.engine != self.flow.engine
            or (imported is not None and (imported.extra or imported.nulls))
        ):
            return None
        if definition.variable_output_streams and not definition.has_predicates:
            return None  # lanes driven by other configs (HTTP Router, fragments): keep as JSON
        if definition.has_predicates and not _sound_predicates(stage):
            return None  # conditions the DSL cannot set (no 'default' last, other lanes): keep as JSON
        known = {ref.name for ref in definition.config_refs}
        if any(str(entry.get("name")) not in known for entry in stage._configs):
            return None
        wanted = [provides for provides, _ in definition.service_dependencies]
        if [block.get("service") for block in stage._services] != wanted:
            return None
        for block in stage._services:
            if any(str(entry.get("name")) not in known for entry in block.get("configuration") or []):
                return None
        return definition

    def _label_takes(self, definition: StageDefinition, library: str, **kinds: Any) -> bool:
        """True when looking the definition up by its label finds it in ``library`` too (a lookup
        by name takes any library; one by label only those the catalog lists for it)."""
        if library == definition.library:
            return True
        try:
            found = self.default.get(
                label=definition.label, library=library, engine=definition.engine, **kinds
            )
        except StageNotFoundError:
            return False
        return found.name == definition.name

    def value_args(self, stage: Stage, definition: StageDefinition) -> list[tuple[ConfigRef, Any]]:
        """The configs the generated code sets on ``stage``: those off their initial value that
        ``set_attributes`` would store as they are."""
        args: list[tuple[ConfigRef, Any]] = []
        stored = {str(e.get("name")): e.get("value") for e in stage._configs}
        for block in stage._services:
            stored.update({str(e.get("name")): e.get("value") for e in block.get("configuration") or []})
        for ref in definition.config_refs:
            if ref.name not in stored or (definition.has_predicates and ref.name == "lanePredicates"):
                continue
            value = stored[ref.name]
            if value == self.initial(stage, definition, ref.name):
                continue
            if not _kept_as_is(ref, value):
                continue
            args.append((ref, value))
        return args

    def written(self, owner: str, values: list[tuple[ConfigRef, Any]]) -> list[tuple[str, Any]]:
        """``values`` as the code writes them: keyword names, secrets read from the environment."""
        return [(ref.python_name, self.secrets.value(owner, ref, value)) for ref, value in values]

    @staticmethod
    def initial(stage: Stage, definition: StageDefinition, name: str) -> Any:
        ref = definition.resolve(name)
        assert ref is not None
        if ref.service is not None:
            for provides, forced in definition.service_dependencies:
                if provides == ref.service and name in forced:
                    return forced[name]
        return ref.definition.initial_value()

    def next_name(self, definition: StageDefinition) -> str:
        base = instance_base(definition.label)
        number = self.hints.get(base, 1)
        while f"{base}_{number:02d}" in self.allocated:
            number += 1
        return f"{base}_{number:02d}"

    def write(self) -> str:
        flow = self.flow
        kwargs: list[tuple[str, Any]] = []
        if flow.description:
            kwargs.append(("description", flow.description))
        if flow.engine != "data_collector":
            kwargs.append(("engine", flow.engine))
        self.lines.append(format_statement("flow", Call("Flow", [flow.name], kwargs)))
        self.built = self.build(lambda: Flow(flow.name, **dict(kwargs)))
        self.flow_configuration()
        stages = [data["stage"] for _, data in flow._graph.nodes(data=True)]
        if stages:
            self.lines.append("")
            self.lines.append("# Stages")
        for stage in stages:
            self.stage(stage)
        self.connections(stages)
        self.special()
        title = literal(f"Flow {flow.name!r}, generated by flowbuilder.")[1:-1]
        header = ['"""' + title.replace('"""', '\\"\\"\\"') + '"""', ""]
        if self.secrets.environment:  # a secret is read from os.environ
            header.append("import os")
            header.append("")
        header.append("from flowbuilder import Flow")
        if self.needs_json_helpers:
            header.append("from flowbuilder.compile import add_stage_json")
        header.append("")
        return "\n".join(header + self.lines) + "\n"

    def flow_configuration(self) -> None:
        flow = self.flow
        definition = self.default.pipeline_definition(flow.engine)
        changes: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for entry in flow._configs:
            name = str(entry.get("name"))
            ref = definition.resolve(name)
            if ref is None or name in _SPECIAL_CONFIGS or ref.name != name:
                continue
            value = entry.get("value")
            if value == ref.definition.initial_value():
                continue
            if not _kept_as_is(ref, value):
                continue
            changes[ref.python_name] = self.secrets.value("flow", ref, value)
            values[ref.python_name] = value
        if changes:
            self.lines.append(format_statement(None, Call("flow.configuration.update", [changes])))
            self.build(lambda: self.built.configuration.update(values))
        parameters = flow.configuration.get("constants")
        if (
            isinstance(parameters, list)
            and parameters
            and all(isinstance(p, Mapping) and set(p) == {"key", "value"} for p in parameters)
            and all(isinstance(p["key"], str) for p in parameters)
            and len({p["key"] for p in parameters}) == len(parameters)
        ):
            pairs = {p["key"]: p["value"] for p in parameters}
            self.lines.append(format_statement(None, Call("flow.parameters.update", [pairs])))
            self.build(lambda: self.built.parameters.update(copy.deepcopy(pairs)))

    def stage(self, stage: Stage) -> None:
        variable = _variable(stage.label or stage.instance_name, self.taken, self.counters)
        self.variables[stage._node] = variable
        definition = self.readable_definition(stage)
        if definition is None or stage._node != stage.instance_name:
            self.needs_json_helpers = True
            instance = _stage_dict(self.flow, stage, None)
            raw = self.secrets.stage_json(instance)
            comment = "not in the bundled catalog" if definition is None else "kept as JSON"
            self.lines.append(f"# {stage.instance_name}: {comment}")
            self.lines.append(format_statement(variable, Call("add_stage_json", [Raw("flow"), raw])))
            self.built_stages[stage._node] = self.build(
                lambda: add_stage_json(self.built, copy.deepcopy(instance))
            )
            self.allocated.add(stage.instance_name)
            return
        args: list[Any] = [definition.label]
        kwargs: list[tuple[str, Any]] = []
        newest = (
            self.default.get(label=definition.label, engine=definition.engine, types=[definition.type])
            if self._label_unique(definition)
            else None
        )
        if (
            newest is None
            or newest.name != definition.name
            or not self._label_takes(definition, stage.library, types=[definition.type])
        ):
            args, kwargs = [], [("name", definition.name)]
        elif self._shared_label(definition):
            kwargs.append(("type", definition.type))
        if stage.library != definition.library:
            kwargs.append(("library", stage.library))
        if newest is None or newest.version != definition.version:
            kwargs.append(("version", definition.version))
        expected = self.next_name(definition)
        if stage.instance_name != expected:
            kwargs.append(("instance_name", stage.instance_name))
        else:
            self.hints[instance_base(definition.label)] = int(expected.rpartition("_")[2]) + 1
        self.allocated.add(stage.instance_name)
        self.lines.append(format_statement(variable, Call("flow.add_stage", args, kwargs)))
        built = self.build(lambda: self.built.add_stage(*args, **dict(kwargs)))
        self.built_stages[stage._node] = built
        number = count(stage.instance_name.rpartition("_")[2])
        default_label = definition.label if number is None else f"{definition.label} {number}"
        if stage.label != default_label and isinstance(stage.ui_info.get("label"), str):
            self.lines.append(format_statement(f"{variable}.label", stage.label))
            self.build(lambda: setattr(built, "label", stage.label))
        values = self.value_args(stage, definition)
        if values:
            written = self.written(stage.instance_name, values)
            self.lines.append(format_statement(None, Call(f"{variable}.set_attributes", [], written)))
            configs = {ref.python_name: copy.deepcopy(value) for ref, value in values}
            self.build(lambda: built.set_attributes(**configs))
        if definition.has_predicates:
            predicates = stage.predicates
            texts = [p.get("predicate") for p in predicates]
            if texts and texts[-1] == "default" and texts != ["default"]:
                self.lines.append(format_statement(f"{variable}.predicates", texts))
                self.build(lambda: setattr(built, "predicates", [str(text) for text in texts]))

    def _shared_label(self, definition: StageDefinition) -> bool:
        try:
            self.default.get(label=definition.label, engine=definition.engine)
        except StageNotFoundError:
            return True
        return False

    def _label_unique(self, definition: StageDefinition) -> bool:
        try:
            found = self.default.get(
                label=definition.label, engine=definition.engine, types=[definition.type]
            )
        except StageNotFoundError:
            return False
        return found.name == definition.name

    def connections(self, stages: list[Stage]) -> None:
        graph = self.flow._graph
        # A dict, not a list: a set that keeps the drawing order (each line, and its call, once).
        lines: dict[str, Callable[[], object]] = {}
        for stage in stages:
            for source_node, data in incoming(graph, stage._node):
                source: Stage = graph.nodes[source_node]["stage"]
                written = self.connection(source, stage, data)
                if written is not None:
                    lines.setdefault(*written)
        if lines:
            self.lines.append("")
            self.lines.append("# Lanes")
            self.lines.extend(lines)
            for connect in lines.values():
                self.build(connect)

    def connection(
        self, source: Stage, target: Stage, data: Mapping[str, Any]
    ) -> tuple[str, Callable[[], object]] | None:
        """The line that draws one lane, and the same call on the flow being built."""
        a, b = self.variables[source._node], self.variables[target._node]
        x, y = self.built_stages[source._node], self.built_stages[target._node]
        if target.stage_type == "SOURCE" or source is target:
            return None
        if data["kind"] == "event":
            if source.definition is not None and not source.definition.producing_events:
                return None
            return f"{a} >= {b}", lambda: x >= y
        lanes = source._output_lanes
        output = data["output"]
        if source.definition is not None and source.definition.has_predicates:
            lane = lanes[output] if output < len(lanes) else None
            text = self._branch(source).get(lane) if lane is not None else None
            if text is not None:
                call = Call(f"{a}.connect_output_to", [Raw(b)], [("predicate", text)])
                return format_statement(None, call), lambda: x.connect_output_to(y, predicate=text)
            return format_statement(
                None, Call(f"{a}.connect_output_to", [Raw(b)], [("output_idx", output)])
            ), lambda: x.connect_output_to(y, output_idx=output)
        if len(lanes) == 1:
            return f"{a} >> {b}", lambda: x >> y
        return format_statement(
            None, Call(f"{a}.connect_output_to", [Raw(b)], [("output_idx", output)])
        ), lambda: x.connect_output_to(y, output_idx=output)

    def _branch(self, selector: Stage) -> dict[str, str]:
        """Lane -> condition text for the conditions of ``selector`` whose text is unique (so
        ``predicate=text`` names one lane), read once per selector."""
        found = self._branches.get(selector._node)
        if found is None:
            predicates = selector.predicates
            uses: dict[object, int] = {}
            for entry in predicates:
                text = entry.get("predicate")
                if isinstance(text, str):
                    uses[text] = uses.get(text, 0) + 1
            found = {}
            for entry in predicates:
                lane, text = entry.get("outputLane"), entry.get("predicate")
                if isinstance(lane, str) and isinstance(text, str) and uses[text] == 1:
                    found.setdefault(lane, text)
            self._branches[selector._node] = found
        return found

    def special(self) -> None:
        flow = self.flow
        lines = []
        for role, setter in _SETTERS.items():
            stage = flow.special_stages.get(role)
            if stage is None:
                continue
            definition = self.readable_definition(stage)
            if definition is None or not _fits(definition, role):
                continue  # given whole to restore_details: its setter would refuse it
            values = self.value_args(stage, definition)
            if role == "error" and definition.name.endswith("ToErrorNullDTarget") and not values:
                continue
            default_stats = flow.catalog.pipeline_definition(flow.engine).resolve("statsAggregatorStage")
            if (
                role == "stats"
                and default_stats is not None
                and not values
                and default_stats.definition.default
                == f"{stage.library}::{stage.stage_name}::{stage.version}"
            ):
                continue
            label_ok = self._special_label_ok(definition, role) and self._label_takes(
                definition,
                stage.library,
                type="origin" if role == "test_origin" else None,
                error_stage=role == "error",
                stats_aggregator=role == "stats",
                lifecycle=role in ("start", "stop"),
            )
            args: list[Any] = [definition.label] if label_ok else []
            kwargs: list[tuple[str, Any]] = [] if label_ok else [("name", definition.name)]
            if stage.library != definition.library:
                kwargs.append(("library", stage.library))
            written = self.written(stage.instance_name, values)
            lines.append(format_statement(None, Call(f"flow.{setter}", args, kwargs + written)))
            configs = {ref.python_name: copy.deepcopy(value) for ref, value in values}
            self.build(functools.partial(getattr(self.built, setter), *args, **dict(kwargs), **configs))
        if lines:
            self.lines.append("")
            self.lines.append("# Error records and other flow settings")
            self.lines.extend(lines)

    def _special_label_ok(self, definition: StageDefinition, role: str) -> bool:
        try:
            found = self.default.get(
                label=definition.label,
                engine=definition.engine,
                type="origin" if role == "test_origin" else None,
                error_stage=role == "error",
                stats_aggregator=role == "stats",
                lifecycle=role in ("start", "stop"),
            )
        except StageNotFoundError:
            return False
        return found.name == definition.name and found.version == definition.version


def _details(original: dict[str, Any], built: dict[str, Any], imported: bool) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if imported:
        details["keys"] = list(original)
        details["document"] = {k: v for k, v in original.items() if k not in MODELLED_KEYS}
    if "configuration" not in original and built.get("configuration"):
        details["configuration"] = {"entries": []}  # the document had none; the DSL makes defaults
    config = _entries_diff(original.get("configuration"), built.get("configuration"))
    if config:
        details["configuration"] = config
    built_stages = {s["instanceName"]: s for s in built.get("stages") or []}
    stages = {}
    for stage in original.get("stages") or []:
        other = built_stages.get(stage["instanceName"], {})
        fields = _stage_diff(stage, other)
        if fields:
            stages[stage["instanceName"]] = fields
    if stages:
        details["stages"] = stages
    special = {}
    for slot in _SLOTS:
        if not _same(original.get(slot), built.get(slot)) and (slot in original or built.get(slot)):
            special[slot] = original.get(slot)
    if special:
        details["special"] = special
    return details


def _same(a: Any, b: Any) -> bool:
    """Equal, key order included (what a byte-stable compile must reproduce)."""
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)


def _entries_diff(original: Any, built: Any) -> dict[str, Any] | None:
    if _same(original, built) or not isinstance(original, list):
        return None
    names = [str(e.get("name")) if isinstance(e, Mapping) else None for e in original]
    if (
        None in names
        or len(set(names)) != len(names)
        or any(not isinstance(e, Mapping) or list(e) != ["name", "value"] for e in original)
    ):
        return {"entries": original}
    built_list = built if isinstance(built, list) else []
    built_values = {str(e.get("name")): e.get("value") for e in built_list if isinstance(e, Mapping)}
    values = {
        str(e.get("name")): e.get("value")
        for e in original
        if isinstance(e, Mapping)
        and (
            str(e.get("name")) not in built_values
            or not _same(built_values[str(e.get("name"))], e.get("value"))
        )
    }
    spec: dict[str, Any] = {}
    order = [str(e.get("name")) for e in original if isinstance(e, Mapping)]
    if order != [str(e.get("name")) for e in built_list if isinstance(e, Mapping)]:
        spec["order"] = order
    if values:
        spec["values"] = values
    return spec


def _stage_diff(original: dict[str, Any], built: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in original.items():
        if key == "configuration":
            diff = _entries_diff(value, built.get(key))
            if diff:
                fields["configuration"] = diff
        elif key in ("instanceName",):
            continue
        elif key in (
            "uiInfo",
            "inputLanes",
            "outputLanes",
            "eventLanes",
            "services",
            "library",
            "stageName",
            "stageVersion",
        ):
            if key not in built or not _same(built.get(key), value):
                fields[key] = value
        elif not _same(built.get(key), value):
            fields.setdefault("extra", {})[key] = value
    if list(original) != list(built) or "uiInfo" in fields:
        # A stage given its keys is compiled as read: no auto-arranged position added to it.
        fields["keys"] = list(original)
    nulls = [
        k
        for k, v in original.items()
        if v is None
        and k in ("configuration", "services", "uiInfo", "inputLanes", "outputLanes", "eventLanes")
    ]
    if nulls:
        fields["nulls"] = nulls
    return fields


def to_python(flow: Flow) -> str:
    r'''Python DSL source that rebuilds ``flow`` exactly; ``exec`` it and compile to compare.

    Stages are added by label with only their non-default configs, lanes are drawn with
    ``>>``/``>=``, then come the error stage, flow configuration and parameters. Secrets are
    read from environment variables (see :func:`secret_variable`). What the DSL does not say
    (lane names, canvas layout and metadata of an imported document) goes into one
    ``restore_details(...)`` call at the end, which can be deleted.

    >>> from flowbuilder import Flow
    >>> flow = Flow("demo").source("Dev Raw Data Source", raw_data='{"a": 1}').to("Trash").flow
    >>> print(to_python(flow))
    """Flow 'demo', generated by flowbuilder."""
    <BLANKLINE>
    from flowbuilder import Flow
    <BLANKLINE>
    flow = Flow("demo")
    <BLANKLINE>
    # Stages
    dev_raw_data_source_1 = flow.add_stage("Dev Raw Data Source")
    dev_raw_data_source_1.set_attributes(raw_data='{"a": 1}')
    trash_1 = flow.add_stage("Trash")
    <BLANKLINE>
    # Lanes
    dev_raw_data_source_1 >> trash_1
    <BLANKLINE>
    '''
    return _generate(flow)[0]


def _generate(flow: Flow) -> tuple[str, dict[str, str]]:
    """The source :func:`to_python` writes, and the environment its secrets are read from."""
    if flow._imported is None and (
        hasattr(flow, "fragment_id") or any(use is not None for _, use in flow._graph.nodes(data="fragment"))
    ):
        # A fragment, or a flow using one, is written from its JSON: the DSL has no words yet for
        # the fragment document nor for the definitions a flow embeds, restore_details keeps them.
        from ._reader import from_json

        flow = from_json(to_dict(flow), catalog=flow.catalog)
    writer = _Writer(flow)
    source = writer.write()
    original = to_dict(flow)
    details = _details(original, to_dict(writer.built), imported=flow._imported is not None)
    if not details:
        return source, writer.secrets.environment
    details = writer.secrets.details(details)
    lines = source.rstrip("\n").split("\n")
    position = next(i for i, line in enumerate(lines) if line.startswith("from flowbuilder import Flow"))
    if writer.secrets.environment and "import os" not in lines:
        lines[position:position] = ["import os", ""]
        position += 2
    helpers = (
        "from flowbuilder.compile import add_stage_json, restore_details"
        if any("from flowbuilder.compile import add_stage_json" in line for line in lines)
        else "from flowbuilder.compile import restore_details"
    )
    lines = [line for line in lines if not line.startswith("from flowbuilder.compile import")]
    lines.insert(position + 1, helpers)
    lines += [
        "",
        "# Engine details kept from the original JSON (lane names, canvas layout, metadata), so that",
        "# flow.to_dict() gives it back exactly. Delete this call if you do not need them.",
        format_statement(None, Call("restore_details", [Raw("flow"), details])),
    ]
    return "\n".join(lines) + "\n", writer.secrets.environment


def _secrets(flow: Flow) -> dict[str, str]:
    """The environment the generated code of ``flow`` reads its secrets from."""
    return _generate(flow)[1]
