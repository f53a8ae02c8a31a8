"""Hypothesis strategies: random valid flows built with the public API, and hostile JSON.

A random valid flow is a DAG over the canvas stages of the data_collector catalog with exactly one
origin, every processor fed from earlier stages, and every output lane (and any event lane that
is drawn) ending in a Trash or a random destination or executor. Configs are written through
``stage.configuration[...]`` with values that pass the definition's checks; every required config
that is active (its ``dependsOn`` values met) gets a non-empty value, following the engine's rules
that ``flowbuilder.validate`` documents (``_active`` and ``_empty``), re-checked after each write
because a write can make other configs active.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from flowbuilder import Catalog, Flow, Stage
from flowbuilder.catalog import ConfigDefinition, ConfigRef, StageDefinition

CATALOG = Catalog.default()
ENGINE = "data_collector"
_STAGES = CATALOG.stages(engine=ENGINE)

#: Stage definitions the generator leaves out, and why. Keep this list short and explained:
#: everything else in the catalog must yield valid flows.
EXCLUDED: Mapping[str, str] = {}

ORIGINS = [d for d in _STAGES if d.type == "origin" and d.name not in EXCLUDED]
PROCESSORS = [d for d in _STAGES if d.type == "processor" and d.name not in EXCLUDED]
TERMINALS = [d for d in _STAGES if d.type in ("destination", "executor") and d.name not in EXCLUDED]
TRASH = CATALOG.get(label="Trash", engine=ENGINE)
ERROR_STAGES = [d for d in CATALOG.stages(engine=ENGINE, special=True) if d.error_stage]

#: Flow configs the generator never writes: special-stage slots (set through their own API) and
#: the execution mode (BATCH or STREAMING make a Transformer flow, another engine).
_FLOW_FIXED = {
    "executionMode",
    "badRecordsHandling",
    "statsAggregatorStage",
    "startEventStage",
    "stopEventStage",
    "testOriginStage",
}

# Text with what breaks naive escaping: quotes, backslashes, markup, EL, control characters,
# non-ASCII letters. Surrogates are left out (they cannot be encoded as UTF-8 at all).
_ALPHABET = st.characters(blacklist_categories=("Cs",))
TEXT = st.text(_ALPHABET, max_size=24) | st.sampled_from(
    [
        "",
        "'",
        '"',
        '"""',
        "\\",
        "${x}",
        "<b>&amp;</b>",
        "a\nb",
        "\x00\x1f",
        "é漢字",
        "'); DROP TABLE flows;--",
    ]
)
NON_EMPTY_TEXT = TEXT.filter(bool)
EXPRESSION = st.integers(0, 9).map(lambda n: f"${{record:value('/n') > {n}}}")
FIELD_PATH = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=8).map(
    lambda s: "/" + s
)


# -- config values -------------------------------------------------------------------------------


def is_active(config: ConfigDefinition, value_of: Mapping[str, Any]) -> bool:
    """The engine's rule, as flowbuilder implements it (ConfigDefinition.is_active)."""
    return config.is_active(value_of)


def is_empty(config: ConfigDefinition, value: Any) -> bool:
    """The engine's notion of a missing required value (ConfigDefinition.is_missing)."""
    return config.is_missing(value)


def _number(config: ConfigDefinition) -> st.SearchStrategy[int]:
    low = -(2**31) if config.min is None else max(-(2**62), math.ceil(config.min))
    high = 2**31 if config.max is None else min(2**62, math.floor(config.max))
    return st.integers(min_value=low, max_value=max(low, high))


def config_values(config: ConfigDefinition, *, required: bool = False) -> st.SearchStrategy[Any] | None:
    """Values that pass ``check_value`` for this definition (non-empty ones when ``required``);
    None for configs users do not write (RUNTIME, Stream Selector predicates)."""
    kind, model = config.type, config.model_type
    text = NON_EMPTY_TEXT if required else TEXT
    if config.name == "stageRecordPreconditions":  # the engine takes only ${...} here
        return st.lists(EXPRESSION, min_size=1 if required else 0, max_size=2)
    if kind == "BOOLEAN":
        return st.booleans()
    if kind == "NUMBER":
        return _number(config)
    if kind == "CHARACTER":
        return st.text(_ALPHABET, min_size=1, max_size=1)
    if kind == "CREDENTIAL":  # generated Python reads secrets from environment variables: no NUL
        secret = text.map(lambda value: value.replace("\x00", ""))
        return secret.filter(bool) if required else secret
    if kind in ("STRING", "TEXT"):
        return text
    if kind == "LIST":
        return st.lists(NON_EMPTY_TEXT, min_size=1 if required else 0, max_size=3)
    if kind == "MAP":
        pairs = st.fixed_dictionaries({"key": NON_EMPTY_TEXT, "value": TEXT})
        return st.lists(pairs, min_size=1 if required else 0, max_size=3)
    if kind == "MODEL":
        choices = config.choices
        if model == "VALUE_CHOOSER":
            return st.sampled_from(choices) if choices else text
        if model == "MULTI_VALUE_CHOOSER":
            items = st.sampled_from(choices) if choices else NON_EMPTY_TEXT
            return st.lists(items, min_size=1 if required else 0, max_size=3, unique=True)
        if model == "FIELD_SELECTOR":
            return FIELD_PATH
        if model == "FIELD_SELECTOR_MULTI_VALUE":
            return st.lists(FIELD_PATH, min_size=1 if required else 0, max_size=3)
        if model == "LIST_BEAN":
            optional = {sub.name: config_values(sub) for sub in config.sub_configs}
            row = st.fixed_dictionaries({}, optional={k: v for k, v in optional.items() if v is not None})
            return st.lists(row, min_size=1 if required else 0, max_size=2)
    return None


def _writable(ref: ConfigRef) -> bool:
    return config_values(ref.definition) is not None


def _values(config: ConfigDefinition, *, required: bool = False) -> st.SearchStrategy[Any]:
    found = config_values(config, required=required)
    assert found is not None
    return found


Draw = Callable[[st.SearchStrategy[Any]], Any]


def _value_of(
    definition: StageDefinition, read: Callable[[str], Any], entries: list[dict[str, Any]]
) -> dict[str, Any]:
    values = {str(entry.get("name")): entry.get("value") for entry in entries}
    for ref in definition.config_refs:
        values.setdefault(ref.name, read(ref.python_name))
    return values


def fill_configs(
    draw: Draw,
    definition: StageDefinition,
    configuration: Any,
    entries: Callable[[], list[dict[str, Any]]],
    *,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Write random valid values into some configs, then a value into every active required one."""
    refs = [ref for ref in definition.config_refs if ref.name not in skip and _writable(ref)]
    chosen = draw(st.lists(st.sampled_from(refs), max_size=6, unique_by=lambda r: r.name)) if refs else []
    for ref in chosen:
        configuration[ref.python_name] = draw(_values(ref.definition))
    for _ in range(len(refs) + 1):
        value_of = _value_of(definition, configuration.__getitem__, entries())
        missing = [
            ref
            for ref in refs
            if ref.definition.required
            and is_active(ref.definition, value_of)
            and is_empty(ref.definition, value_of[ref.name])
        ]
        if not missing:
            return
        for ref in missing:
            configuration[ref.python_name] = draw(_values(ref.definition, required=True))
    raise AssertionError(f"required configs of {definition.label!r} never settle")


def _stage_entries(stage: Stage) -> Callable[[], list[dict[str, Any]]]:
    def entries() -> list[dict[str, Any]]:
        found = list(stage._configs)
        for block in stage._services:
            found.extend(block.get("configuration") or [])
        return found

    return entries


# -- flows ---------------------------------------------------------------------------------------


def _add(draw: Draw, flow: Flow, definition: StageDefinition) -> Stage:
    stage = flow.add_stage(name=definition.name, library=definition.library)
    if definition.has_predicates:
        count = draw(st.integers(0, 3))
        stage.predicates = [f"${{record:value('/n') == {n}}}" for n in range(count)]
    fill_configs(
        draw, definition, stage.configuration, _stage_entries(stage), skip=frozenset({"lanePredicates"})
    )
    return stage


def _terminal(draw: Draw, flow: Flow) -> Stage:
    definition = draw(st.sampled_from([TRASH, TRASH, *TERMINALS]))
    return _add(draw, flow, definition)


@st.composite
def valid_flows(draw: Draw, max_processors: int = 5) -> Flow:
    """A random flow that ``validate()`` must accept with no error."""
    flow = Flow(draw(TEXT), draw(TEXT))
    origin = _add(draw, flow, draw(st.sampled_from(ORIGINS)))
    # Lanes that can feed a stage: (stage, output index); each is used at least once below.
    lanes: list[tuple[Stage, int]] = [(origin, i) for i in range(len(origin.output_lanes))]
    used: set[tuple[str, int]] = set()
    for _ in range(draw(st.integers(0, max_processors))):
        if not lanes:
            break
        stage = _add(draw, flow, draw(st.sampled_from(PROCESSORS)))
        sources = draw(
            st.lists(
                st.sampled_from(lanes), min_size=1, max_size=3, unique_by=lambda lane: lane[0].instance_name
            )
        )
        for source, index in sources:
            source.connect_output_to(stage, output_idx=index)
            used.add((source.instance_name, index))
        lanes.extend((stage, i) for i in range(len(stage.output_lanes)))
    for source, index in lanes:
        if (source.instance_name, index) not in used:
            source.connect_output_to(_terminal(draw, flow), output_idx=index)
    for stage in list(flow.stages):
        if stage.definition is not None and stage.definition.producing_events and draw(st.booleans()):
            stage.connect_event_to(_terminal(draw, flow))
    if draw(st.booleans()):
        flow.set_error_stage(name=draw(st.sampled_from(ERROR_STAGES)).name)
        error_stage = flow.error_stage
        assert error_stage is not None
        assert error_stage.definition is not None
        fill_configs(draw, error_stage.definition, error_stage.configuration, _stage_entries(error_stage))
    pipeline = flow.catalog.pipeline_definition(ENGINE)
    fill_configs(draw, pipeline, flow.configuration, lambda: flow._configs, skip=frozenset(_FLOW_FIXED))
    for key in draw(st.lists(st.text(string.ascii_uppercase + "_", min_size=1, max_size=6), max_size=3)):
        flow.parameters[key] = draw(TEXT)
    return flow


# -- hostile JSON --------------------------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT


def _json_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4)


JSON_VALUES = st.recursive(JSON_SCALARS, _json_containers, max_leaves=20)


def json_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and indexes) of every value in ``node``, ``path`` first, depth first."""
    paths = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            paths.extend(json_paths(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths.extend(json_paths(value, (*path, index)))
    return paths


def mutated_json(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with one to three values replaced by random JSON or keys dropped; half the
    changes hit config values, which the importer keeps, so that most results still read as flows
    and reach validation, compilation and drawing."""
    paths = json_paths(document)
    values = [path for path in paths if path and path[-1] == "value"] or paths
    text = json.dumps(document)

    @st.composite
    def mutate(draw: Draw) -> Any:
        copy = json.loads(text)
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(values) | st.sampled_from(paths))
            if not path:
                return draw(JSON_VALUES)
            parent = copy
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if isinstance(parent, dict) and draw(st.booleans()):
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = draw(JSON_VALUES)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed or replaced this path
        return copy

    return mutate()
