"""Generate ``flowbuilder/_stages.pyi``, the typed stage surface, from the bundled catalog.

    python scripts/build_typed.py [--check]

For every stage-creating call (``Flow.source``, ``Path.to``, ``Flow.add_stage``,
``set_error_stage``/``on_error`` and the other special stages) the stub gives one overload per
stage label, whose keyword arguments are a ``TypedDict`` of that stage's configs: an unknown
label, a misspelled config, a value outside a config's choices or a value of the wrong type is a
type error, and editors complete labels and config names. ``flowbuilder/_stages.py`` is the
runtime half (identity decorators, :func:`~flowbuilder.custom`, :func:`~flowbuilder.expression`);
type checkers read this stub instead of it.

The output is byte-stable (sorted, no timestamps); ``--check`` fails when the checked-in stub
differs from what the bundled catalog gives, so the two cannot drift. ``build_catalog.py`` calls
this after it rewrites the catalog.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flowbuilder._names import instance_base, python_name, snake_case
from flowbuilder.catalog import ENGINES, Catalog, ConfigDefinition, StageDefinition
from flowbuilder.catalog._catalog import _TYPE_WORDS

STUB = ROOT / "flowbuilder" / "_stages.pyi"

#: Parameters of the stage-creating calls: a config with one of these Python names cannot be
#: passed as a keyword there (the call's own parameter takes it), so it is typed only on
#: ``Stage.set_attributes``.
RESERVED = frozenset({"stage", "label", "name", "library", "type", "version", "instance_name"})

_SCALARS = {
    "BOOLEAN": "bool | Expression",
    "NUMBER": "float | Expression",
    "STRING": "str",
    "TEXT": "str",
    "CREDENTIAL": "str",
    "CHARACTER": "str",
    "LIST": "list[Any] | tuple[Any, ...]",
    "MAP": "Mapping[str, Any] | Sequence[Mapping[str, Any]]",
}


@dataclass(frozen=True)
class Field:
    """One key of a generated TypedDict: its name, annotation and docstring."""

    name: str
    annotation: str
    doc: str


class Stub:
    """The stub's TypedDicts and stage classes, each emitted once however often it is used."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.aliases: list[str] = []
        self._fields: dict[str, list[Field]] = {}
        self._classes: dict[tuple[object, ...], str] = {}
        self._taken: set[str] = set()

    def _name(self, wanted: str) -> str:
        name, number = wanted, 2
        while name in self._taken:
            name, number = f"{wanted}{number}", number + 1
        self._taken.add(name)
        return name

    def typed_dict(self, wanted: str, fields: Iterable[Field], bases: tuple[str, ...] = ()) -> str:
        """The name of a ``TypedDict(total=False)`` with ``fields`` (and ``bases``), made once."""
        fields = tuple(fields)
        key = ("dict", bases, fields)
        if key not in self._classes:
            name = self._name(wanted)
            self._classes[key] = name
            head = ", ".join(bases) if bases else "TypedDict"
            lines = [f"class {name}({head}, total=False):"]
            for field in fields:
                lines += [f"    {field.name}: {field.annotation}", f"    {field.doc!r}"]
            if not fields:
                lines.append("    pass")
            self.blocks.append("\n".join(lines))
            self._fields[name] = [f for b in bases for f in self._fields[b]] + list(fields)
        return self._classes[key]

    def choices(self, wanted: str, values: Iterable[object]) -> str:
        """The name of a ``Literal`` alias of ``values``: configs sharing a choice list share it."""
        literal = _literal(values)
        key = ("literal", literal)
        if key not in self._classes:
            name = self._name(wanted)
            self._classes[key] = name
            self.aliases.append(f"{name} = {literal}")
        return self._classes[key]

    def fields(self, name: str) -> list[Field]:
        """Every field of the TypedDict ``name``, inherited ones first."""
        return self._fields[name]

    def stage_class(self, wanted: str, attributes: str) -> str:
        """A ``Stage`` whose ``set_attributes`` takes the configs of ``attributes`` (a TypedDict)."""
        key = ("stage", attributes)
        if key not in self._classes:
            name = self._name(wanted)
            self._classes[key] = name
            self.blocks.append(
                f"class {name}(Stage):\n"
                f"    def set_attributes(self, **config: Unpack[{attributes}]) -> Self: ...  "
                "# type: ignore[override]"
            )
        return self._classes[key]


def _literal(values: Iterable[object]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in dict.fromkeys(values)) + "]"


def annotation(configs: list[ConfigDefinition], stub: Stub, owner: str) -> str:
    """The Python type that configs of one name accept (one config, or the same config in
    several versions or engines), as the runtime check (``configuration.check_value``) does.

    ``${...}`` expressions are accepted for every type, so non-text types also take an
    :class:`~flowbuilder.Expression`. Versions that differ are merged into one type: one
    ``Literal`` of every version's choices, one row TypedDict of every version's row fields
    (a union of TypedDicts would leave checkers unable to type a dict literal).
    """
    first = configs[0]
    if all(c.choices is not None for c in configs):
        accepted = [
            v
            for c in configs
            for v in (*(c.choices or ()), *(c.value_labels or ()), c.default)
            if isinstance(v, str) and v
        ]
        literal = stub.choices(_camel(first), accepted)
        if first.model_type == "MULTI_VALUE_CHOOSER":
            return f"Sequence[{literal}] | Expression"
        return f"{literal} | Expression"
    if all(c.model_type == "LIST_BEAN" and c.sub_configs for c in configs):
        row = stub.typed_dict(f"{owner}Row", _row_fields(configs, stub, owner))
        return f"{row} | Sequence[{row}] | Expression"
    return " | ".join(dict.fromkeys(part for c in configs for part in _one(c).split(" | ")))


def _one(config: ConfigDefinition) -> str:
    model = config.model_type
    if model == "MULTI_VALUE_CHOOSER":
        return "Sequence[str] | Expression"
    if model == "FIELD_SELECTOR_MULTI_VALUE":
        return "list[str] | tuple[str, ...] | Expression"
    if model == "PREDICATE":
        return "Sequence[Mapping[str, Any]] | Expression"
    if model == "LIST_BEAN":
        return "Mapping[str, Any] | Sequence[Mapping[str, Any]] | Expression"
    if model in ("VALUE_CHOOSER", "FIELD_SELECTOR"):
        return "str"
    return _SCALARS.get(config.type, "Any")


def _camel(config: ConfigDefinition) -> str:
    words = python_name(config.label, config.field_name or config.name).split("_")
    return "".join(w[:1].upper() + w[1:] for w in words) + "Choice"


def _row_fields(configs: list[ConfigDefinition], stub: Stub, owner: str) -> list[Field]:
    """The fields of list rows, by every name a row may use (``ConfigDefinition.row_fields``)."""
    by_key: dict[str, list[ConfigDefinition]] = {}
    for config in configs:
        for key, sub in config.row_fields.items():
            if key.isidentifier():
                by_key.setdefault(key, []).append(sub)
    return [
        Field(key, annotation(subs, stub, owner), describe(subs[-1])) for key, subs in sorted(by_key.items())
    ]


def describe(config: ConfigDefinition) -> str:
    """A config's docstring: its label, raw name, default and choices."""
    text = f"{config.label or config.name} ({config.name})."
    if config.required:
        text += " Required."
    if config.default not in (None, "", [], {}) and not config.is_secret:
        shown = repr(config.default)
        text += f" Default: {shown if len(shown) <= 60 else shown[:57] + '...'}."
    if config.choices:
        pairs = zip(config.choices, config.value_labels or config.choices, strict=False)
        text += " Choices: " + ", ".join(v if v == lab else f"{v} ({lab})" for v, lab in pairs) + "."
    return text


@dataclass(frozen=True)
class Surface:
    """The typed surface of one label: the TypedDict of the creating calls' keyword configs, the
    one ``set_attributes`` takes, and the Stage class ``add_stage`` returns."""

    config: str
    attributes: str
    stage: str


Configs = dict[str, list[ConfigDefinition]]


def _fields(configs: Configs, stub: Stub, owner: str, *, keyword: bool) -> list[Field]:
    """Fields of the configs by Python name: those a creating call takes as keywords, or the
    ones it cannot (their names are the call's own parameters)."""
    return [
        Field(name, annotation(found, stub, owner), describe(found[-1]))
        for name, found in configs.items()
        if (name not in RESERVED) == keyword
    ]


def surface(label: str, definitions: list[StageDefinition], stub: Stub) -> Surface:
    """The typed surface of one label: the configs of every definition under it (every version,
    every engine) are accepted, as the runtime may pick any of them (``version=``, ``engine``).

    A service's configs (data formats...) are one TypedDict that every stage using the service
    inherits, so the stub holds them once; where the definitions disagree on a service's
    configs, or a name is both the stage's and a service's, the configs are flattened.
    """
    base = instance_base(label)
    own: Configs = {}
    every: Configs = {}
    by_service: dict[str, Configs] = {}
    aliases: Configs = {}
    for definition in definitions:
        for ref in definition.config_refs:
            every.setdefault(ref.python_name, []).append(ref.definition)
            if ref.service is None:
                own.setdefault(ref.python_name, []).append(ref.definition)
            else:
                by_service.setdefault(ref.service, {}).setdefault(ref.python_name, []).append(ref.definition)
        for alias, ref in definition.config_names.items():
            if alias.isidentifier() and alias not in (ref.python_name, ref.name):
                aliases.setdefault(alias, []).append(ref.definition)
    inherited = [name for configs in by_service.values() for name in configs]
    if len(set(inherited)) == len(inherited) and not set(inherited) & set(own):
        bases = tuple(
            stub.typed_dict(
                instance_base(service.rsplit(".", 1)[-1]) + "Config",
                _fields(configs, stub, base, keyword=True),
            )
            for service, configs in sorted(by_service.items())
        )
        config = stub.typed_dict(f"{base}Config", _fields(own, stub, base, keyword=True), bases)
    else:
        config = stub.typed_dict(f"{base}Config", _fields(every, stub, base, keyword=True))
    extra = _fields(every, stub, base, keyword=False)
    extra += [
        Field(alias, annotation(found, stub, base), f"The IBM SDK's name of: {describe(found[-1])}")
        for alias, found in aliases.items()
        if alias not in every
    ]
    attributes = stub.typed_dict(f"{base}Attributes", extra, (config,)) if extra else config
    return Surface(config, attributes, stub.stage_class(f"{base}Stage", attributes))


# -- the calls ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One stage-creating call: which definitions it takes and how its overloads read."""

    protocol: str
    doc: str
    wanted: Callable[[StageDefinition], bool]
    overload: str
    fallback: tuple[str, ...]
    #: How ``{type}`` reads in ``overload``: for a label one stage type has, and for a label
    #: several types share (the runtime then needs ``type=``); empty: the call has no ``type``.
    type_forms: tuple[str, str] = ("", "")


def _canvas(definition: StageDefinition) -> bool:
    return not (definition.error_stage or definition.stats_aggregator_stage)


CALLS = (
    Call(
        "Source",
        "``Flow.source``: an origin by label, with its configs.",
        lambda d: _canvas(d) and d.type == "origin",
        "(self, stage: {label}, *, name: None = None, library: str | None = None, "
        "type: str | None = None, **config: Unpack[{config}]) -> Path: ...",
        (
            "(self, stage: Stage | Fragment | CustomLabel | None = None, *, name: str | None = None, "
            "library: str | None = None, type: str | None = None, **config: Any) -> Path: ...",
        ),
    ),
    Call(
        "To",
        "``Path.to``: a processor, destination or executor by label, with its configs.",
        lambda d: _canvas(d) and d.type != "origin",
        "(self, stage: {label}, /, *, name: None = None, library: str | None = None, "
        "{type}, **config: Unpack[{config}]) -> Path: ...",
        (
            "(self, stage: Stage | Fragment | CustomLabel | None = None, /, *, name: str | None = None, "
            "library: str | None = None, type: str | None = None, **config: Any) -> Path: ...",
            "(self, first: ToLabel | Stage | Fragment | CustomLabel, "
            "second: ToLabel | Stage | Fragment | CustomLabel, /, "
            "*stages: ToLabel | Stage | Fragment | CustomLabel, name: str | None = None, "
            "library: str | None = None, type: str | None = None, **config: Any) -> Path: ...",
        ),
        ("type: str | None = None", "type: {types}"),
    ),
    Call(
        "AddStage",
        "``Flow.add_stage``: any canvas stage by label; its ``set_attributes`` is typed.",
        _canvas,
        "(self, label: {label}, name: None = None, {type}"
        "version: str | None = None, instance_name: str | None = None) -> {stage}: ...",
        (
            "(self, label: CustomLabel | None = None, name: str | None = None, type: str | None = None, "
            "library: str | None = None, *, version: str | None = None, "
            "instance_name: str | None = None) -> Stage: ...",
        ),
        (
            "type: str | None = None, library: str | None = None, *, ",
            "*, type: {types}, library: str | None = None, ",
        ),
    ),
)

_SPECIAL = (
    ("SetErrorStage", "``Flow.set_error_stage``: an error stage.", lambda d: d.error_stage),
    ("SetStatsAggregatorStage", "a statistics aggregator.", lambda d: d.stats_aggregator_stage),
    ("SetLifecycleStage", "a start or stop event stage.", lambda d: d.pipeline_lifecycle_stage),
    ("SetTestOriginStage", "a test origin.", lambda d: _canvas(d) and d.type == "origin"),
)
CALLS += tuple(
    Call(
        protocol,
        doc,
        wanted,
        "(self, label: {label}, name: None = None, library: str | None = None, "
        "**config: Unpack[{config}]) -> Stage: ...",
        (
            "(self, label: CustomLabel | None = None, name: str | None = None, library: str | None = None, "
            "**config: Any) -> Stage: ...",
        ),
    )
    for protocol, doc, wanted in _SPECIAL
)
CALLS += (
    Call(
        "OnError",
        "``Path.on_error``: the flow's error stage, ending the chain.",
        lambda d: d.error_stage,
        "(self, stage: {label}, *, name: None = None, library: str | None = None, "
        "**config: Unpack[{config}]) -> Flow: ...",
        (
            "(self, stage: CustomLabel | None = None, *, name: str | None = None, "
            "library: str | None = None, **config: Any) -> Flow: ...",
        ),
    ),
)

HEADER = '''"""The typed stage surface: generated by scripts/build_typed.py from the bundled catalog.

Do not edit: run ``python scripts/build_typed.py`` after the catalog changes. Type checkers read
this stub; ``_stages.py`` is what runs.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NewType, Protocol, TypedDict, overload

from typing_extensions import Self, Unpack

from .flow import Flow
from .fragment import Fragment
from .path import Path
from .stage import Stage

__all__ = ["CustomLabel", "Expression", "custom", "expression"]

#: A stage label the bundled catalog does not know (see :func:`custom`).
CustomLabel = NewType("CustomLabel", str)
#: A ``${...}`` expression given to a config whose type is not text (see :func:`expression`).
Expression = NewType("Expression", str)

def custom(label: str) -> CustomLabel: ...
def expression(text: str) -> Expression: ...
'''


def labels(catalog: Catalog, wanted: Callable[[StageDefinition], bool]) -> dict[str, list[StageDefinition]]:
    """The definitions a call takes, by exact label, as ``Catalog.get`` finds them: a stage
    is chosen by its newest definition (of any engine) and found by the label of any of its
    versions; every version's definition is listed, as ``version=`` may pick it."""
    found: dict[str, list[StageDefinition]] = {}
    for engine in ENGINES:
        for newest in catalog.stages(engine=engine, special=True):
            if not wanted(newest):
                continue
            versions = [catalog.definition(newest.name, v) for v in catalog.versions(newest.name)]
            every = [d for d in versions if d is not None]
            for label in dict.fromkeys(d.label for d in every):
                found.setdefault(label, []).extend(every)
    return dict(sorted(found.items()))


def render(catalog: Catalog) -> str:
    """The whole stub's text."""
    stub = Stub()
    surfaces: dict[tuple[str, tuple[str, ...]], Surface] = {}
    protocols: list[str] = []
    label_types: list[str] = []
    decorators: list[str] = []
    for call in CALLS:
        chosen = labels(catalog, call.wanted)
        label_type = f"{call.protocol}Label"
        label_types.append(f"{label_type} = {_literal(chosen)}")
        lines = [f"class {call.protocol}(Protocol):", f"    {call.doc!r}"]
        for label, definitions in chosen.items():
            by_type: dict[str, list[StageDefinition]] = {}
            for definition in definitions:
                by_type.setdefault(definition.stage_type if call.type_forms[0] else "", []).append(definition)
            for stage_type, group in sorted(by_type.items()):
                key = (label, tuple(f"{d.engine}:{d.name}:{d.version}" for d in group))
                if key not in surfaces:
                    surfaces[key] = surface(label, group, stub)
                found = surfaces[key]
                words = [w for w, t in _TYPE_WORDS.items() if t == stage_type]
                type_form = call.type_forms[len(by_type) > 1].format(types=_literal(words))
                signature = call.overload.format(
                    label=_literal([label]), config=found.config, stage=found.stage, type=type_form
                )
                lines += ["    @overload", f"    def __call__{signature}"]
        for fallback in call.fallback:
            lines += ["    @overload", f"    def __call__{fallback}"]
        protocols.append("\n".join(lines))
        function = "as_" + snake_case(call.protocol)
        decorators.append(f"def {function}(function: Callable[..., Any]) -> {call.protocol}: ...")
    parts = [
        HEADER,
        "\n".join(label_types),
        "\n".join(stub.aliases),
        *stub.blocks,
        *protocols,
        "\n".join(decorators),
    ]
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the stub is out of date")
    args = parser.parse_args(argv)
    text = render(Catalog.default())
    if args.check:
        current = STUB.read_text(encoding="utf-8") if STUB.exists() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(), text.splitlines(), str(STUB), "generated", lineterm="", n=1
            )
            print("\n".join(list(diff)[:40]))
            print(f"{STUB.relative_to(ROOT)} is out of date: run python scripts/build_typed.py")
            return 1
        return 0
    STUB.write_text(text, encoding="utf-8")
    print(f"wrote {STUB.relative_to(ROOT)} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
