"""Stage, service and config definitions: the facts the catalog holds about each stage."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .._names import python_name, snake_case, ss_attribute_name, wx_attribute_name

__all__ = [
    "STAGE_TYPES",
    "ConfigDefinition",
    "ConfigRef",
    "ServiceDefinition",
    "StageDefinition",
    "java_string",
    "version_key",
]

#: Engine stage types and the words users write for them.
STAGE_TYPES: Mapping[str, str] = {
    "SOURCE": "origin",
    "PROCESSOR": "processor",
    "TARGET": "destination",
    "EXECUTOR": "executor",
}

_EL = re.compile(r"^\s*\$\{.*\}\s*$", re.S)


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a stage version string (``"12"``, ``"1.0.0"``).

    >>> sorted(["10", "9", "1.0.0"], key=version_key)
    ['1.0.0', '9', '10']
    """
    parts = re.findall(r"\d+", str(version))
    return tuple(int(p) for p in parts) or (0,)


@dataclass(frozen=True)
class ConfigDefinition:
    """One config of a stage, service or pipeline: its raw name, label, type, default and rules.

    >>> from flowbuilder.catalog import Catalog
    >>> d = Catalog.default().get(label="Write to File", error_stage=True).config("directory")
    >>> d.name, d.label, d.type, d.required
    ('directory', 'Directory', 'STRING', True)
    """

    name: str
    label: str
    type: str
    default: Any = None
    required: bool = False
    field_name: str = ""
    depends_on: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    model_type: str | None = None
    values: tuple[str, ...] | None = None
    value_labels: tuple[str, ...] | None = None
    sub_configs: tuple[ConfigDefinition, ...] = ()
    dynamic_values: bool = False
    min: float | None = None
    max: float | None = None
    mode: str | None = None
    group: str = ""
    connection_type: str | None = None

    @classmethod
    def from_compact(cls, data: Mapping[str, Any]) -> ConfigDefinition:
        """Build from the catalog's compact JSON form (see ``_compact.compact_config``)."""
        model = data.get("model") or {}
        values = model.get("values")
        labels = model.get("labels")
        return cls(
            name=data["name"],
            label=data.get("label") or "",
            type=data.get("type") or "STRING",
            default=data.get("default"),
            required=bool(data.get("required")),
            field_name=data.get("fieldName") or "",
            depends_on={k: tuple(v or ()) for k, v in (data.get("dependsOnMap") or {}).items()},
            model_type=model.get("modelType"),
            values=tuple(values) if values is not None else None,
            value_labels=tuple(labels) if labels is not None else None,
            sub_configs=tuple(cls.from_compact(c) for c in model.get("configs") or ()),
            dynamic_values=bool(model.get("dynamic")),
            min=data.get("min"),
            max=data.get("max"),
            mode=data.get("mode"),
            group=data.get("group") or "",
            connection_type=data.get("connectionType") or None,
        )

    @property
    def is_secret(self) -> bool:
        """True for CREDENTIAL configs: their values never appear in reprs, logs or diagrams."""
        return self.type == "CREDENTIAL"

    @cached_property  # asked once per config and stage each time a flow is drawn or diffed
    def holds_secret(self) -> bool:
        """True when this config, or a field of its list rows, is a CREDENTIAL: a value to mask.

        >>> password = ConfigDefinition("password", "Password", "CREDENTIAL")
        >>> users = ConfigDefinition("users", "Users", "MODEL", sub_configs=(password,))
        >>> users.holds_secret, users.is_secret, ConfigDefinition("user", "User", "STRING").holds_secret
        (True, False, False)
        """
        return self.is_secret or any(sub.holds_secret for sub in self.sub_configs)

    @cached_property
    def row_fields(self) -> Mapping[str, ConfigDefinition]:
        """The fields of this config's list rows by every name a row may use for them: the raw
        name, the Python name, and the raw name in snake case (first one wins).

        >>> password = ConfigDefinition("userPassword", "Password", "CREDENTIAL")
        >>> sorted(ConfigDefinition("users", "Users", "MODEL", sub_configs=(password,)).row_fields)
        ['password', 'userPassword', 'user_password']
        """
        fields: dict[str, ConfigDefinition] = {sub.name: sub for sub in self.sub_configs}
        for sub in self.sub_configs:
            fields.setdefault(python_name(sub.label, sub.field_name or sub.name), sub)
            fields.setdefault(snake_case(sub.name), sub)
        return fields

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The allowed values of a value chooser, or None when any value goes."""
        if (
            self.model_type in ("VALUE_CHOOSER", "MULTI_VALUE_CHOOSER")
            and self.values
            and not self.dynamic_values
        ):
            return self.values
        return None

    @cached_property
    def initial(self) -> Any:
        """:meth:`initial_value`, made once: for comparing with, never to be changed or stored.

        >>> ConfigDefinition("conf.list", "List", "LIST").initial
        []
        """
        return self.initial_value()

    def initial_value(self) -> Any:
        """The value a new stage instance starts with (the engine's and UI's default rules)."""
        value = self.default
        if value is None:
            if self.type == "BOOLEAN":
                return False
            if self.type in ("LIST", "MAP"):
                return []
            if self.model_type in ("FIELD_SELECTOR_MULTI_VALUE", "LIST_BEAN", "MULTI_VALUE_CHOOSER"):
                return []
        if self.model_type == "PREDICATE" and not isinstance(value, list):
            return []
        return _copy(value)

    def is_active(self, values: Mapping[str, Any]) -> bool:
        """The engine's rule (``ValidationUtil.configTriggered``): every config this one depends on
        is present in ``values`` (raw name -> value) and holds one of its trigger values, compared
        as Java strings.

        >>> from flowbuilder.catalog import Catalog
        >>> directory = Catalog.default().get(label="Local FS").config("configs.dirPathTemplate")
        >>> directory.is_active({"configs.dirPathTemplateInHeader": False})
        True
        >>> directory.is_active({"configs.dirPathTemplateInHeader": True})
        False
        """
        for name, triggers in self.depends_on.items():
            if name not in values:
                return False
            if triggers and java_string(values[name]) not in {java_string(t) for t in triggers}:
                return False
        return True

    def is_missing(self, value: Any) -> bool:
        """The engine's notion of a required value that is not there: null for every type, and
        also ``""`` for STRING, an empty list for LIST and MAP.

        >>> ConfigDefinition("conf.x", "X", "STRING").is_missing("")
        True
        >>> ConfigDefinition("conf.x", "X", "MODEL", model_type="LIST_BEAN").is_missing([])
        False
        """
        if value is None:
            return True
        if self.type == "STRING":
            return bool(value == "")
        if self.type in ("LIST", "MAP"):
            return not bool(value)
        return False

    @staticmethod
    def is_expression(value: object) -> bool:
        """True when ``value`` is a whole ``${...}`` expression, accepted by any config type."""
        return isinstance(value, str) and bool(_EL.match(value))


def java_string(value: Any) -> str:
    """How the engine compares a config value with a trigger value: as its Java string.

    >>> java_string(True), java_string(None), java_string(5)
    ('true', 'null', '5')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ServiceDefinition:
    """A service (data formats, SSH tunnel...) whose configs live in ``stage.services[]``."""

    provides: str
    version: str
    label: str
    configs: tuple[ConfigDefinition, ...]

    @classmethod
    def from_compact(cls, data: Mapping[str, Any]) -> ServiceDefinition:
        """Build from the catalog's compact JSON form."""
        return cls(
            provides=data["provides"],
            version=str(data.get("version", "1")),
            label=data.get("label") or data["provides"].rsplit(".", 1)[-1],
            configs=tuple(ConfigDefinition.from_compact(c) for c in data.get("configs") or ()),
        )


@dataclass(frozen=True, eq=False)
class ConfigRef:
    """Where a config lives: on the stage itself (``service`` None) or in one of its services."""

    python_name: str
    definition: ConfigDefinition
    service: str | None = None

    @property
    def name(self) -> str:
        """The raw config name, e.g. ``conf.dataFormat``."""
        return self.definition.name


@dataclass(frozen=True, eq=False)
class StageDefinition:
    """The catalog entry of one stage version: identity, kind, outputs, services and configs.

    >>> from flowbuilder.catalog import Catalog
    >>> d = Catalog.default().get(label="Dev Raw Data Source")
    >>> d.label, d.type, d.engine
    ('Dev Raw Data Source', 'origin', 'data_collector')
    """

    name: str
    version: str
    label: str
    library: str
    stage_type: str
    engine: str
    libraries: tuple[str, ...] = ()
    library_label: str = ""
    error_stage: bool = False
    stats_aggregator_stage: bool = False
    pipeline_lifecycle_stage: bool = False
    producing_events: bool = False
    output_streams: int = 0
    variable_output_streams: bool = False
    output_streams_driven_by_config: str | None = None
    output_stream_labels: tuple[str, ...] = ()
    service_dependencies: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    services: tuple[ServiceDefinition, ...] = ()
    configs: tuple[ConfigDefinition, ...] = ()
    icon: str = ""
    hide_stage: tuple[str, ...] = ()
    execution_modes: tuple[str, ...] = ()
    source: str = ""

    @property
    def type(self) -> str:
        """``origin``, ``processor``, ``destination`` or ``executor``."""
        return STAGE_TYPES.get(self.stage_type, self.stage_type.lower())

    @property
    def pipeline_config_value(self) -> str:
        """The ``library::stageName::version`` string that pipeline configs use to name it."""
        return f"{self.library}::{self.name}::{self.version}"

    @property
    def is_third_party(self) -> bool:
        """True for a stage of a library StreamSets does not ship: its builds may differ under one
        version number, so a definition holds for the build it was read from only.

        >>> from flowbuilder.catalog import Catalog
        >>> Catalog.default().get(label="Dev Simulator").is_third_party
        True
        """
        return not self.library.startswith("streamsets-")

    @property
    def has_predicates(self) -> bool:
        """True for stages whose outputs are driven by predicates (Stream Selector)."""
        return self.output_streams_driven_by_config == "lanePredicates"

    @cached_property
    def _layout(self) -> tuple[tuple[ConfigRef, ...], dict[str, ConfigRef]]:
        return _build_index(self)

    @property
    def config_refs(self) -> tuple[ConfigRef, ...]:
        """Every config of the stage and of its services with its Python name, stage configs first."""
        return self._layout[0]

    @property
    def config_names(self) -> Mapping[str, ConfigRef]:
        """Every name a config may be given by: Python names, raw names, and both peer SDKs'
        names where they are unambiguous.

        >>> from flowbuilder.catalog import Catalog
        >>> names = Catalog.default().get(label="Dev Raw Data Source").config_names
        >>> names["raw_data"] is names["rawData"]
        True
        """
        return self._layout[1]

    def resolve(self, key: str) -> ConfigRef | None:
        """Find a config by Python name, raw name, or either peer SDK's name; None if unknown.

        >>> from flowbuilder.catalog import Catalog
        >>> d = Catalog.default().get(label="Dev Raw Data Source")
        >>> d.resolve("data_format").name, d.resolve("dataFormat").service is not None
        ('dataFormat', True)
        """
        return self._layout[1].get(key)

    def config(self, key: str) -> ConfigDefinition:
        """The definition of one config, by any of its names; KeyError if unknown."""
        ref = self.resolve(key)
        if ref is None:
            raise KeyError(key)
        return ref.definition

    @property
    def python_names(self) -> list[str]:
        """The Python names of every config, in definition order."""
        return [ref.python_name for ref in self.config_refs]

    def service(self, provides: str) -> ServiceDefinition | None:
        """The service definition this stage uses for the ``provides`` interface."""
        for service in self.services:
            if service.provides == provides:
                return service
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: identity, kind and every config with its Python name and rules.

        >>> from flowbuilder.catalog import Catalog
        >>> document = Catalog.default().get(label="Local FS").to_dict()
        >>> names = [config["python_name"] for config in document["configs"]]
        >>> document["type"], document["library"], "directory_template" in names
        ('destination', 'streamsets-datacollector-basic-lib', True)
        """
        kind = (
            "error stage"
            if self.error_stage
            else "stats aggregator"
            if self.stats_aggregator_stage
            else self.type
        )
        return {
            "label": self.label,
            "type": self.type,
            "kind": kind,
            "name": self.name,
            "version": self.version,
            "library": self.library,
            "configs": [
                {
                    "python_name": ref.python_name,
                    "name": ref.name,
                    "label": ref.definition.label,
                    "type": ref.definition.type,
                    "default": ref.definition.default,
                    "required": ref.definition.required,
                    "choices": list(ref.definition.choices) if ref.definition.choices else None,
                    "service": ref.service,
                }
                for ref in self.config_refs
            ],
        }

    def __iter__(self) -> Iterator[ConfigRef]:
        return iter(self.config_refs)

    def __repr__(self) -> str:
        return (
            f"StageDefinition(label={self.label!r}, type={self.type!r}, name={self.name!r}, "
            f"library={self.library!r}, version={self.version!r})"
        )


def _build_index(definition: StageDefinition) -> tuple[tuple[ConfigRef, ...], dict[str, ConfigRef]]:
    """Python names with the documented collision rule, then raw names and peer-SDK aliases.

    Collisions: configs whose labels give the same Python name are ordered by (service configs
    last, fewest dotted segments, raw name); the first keeps the plain name, each other one takes
    the snake case of its own field name when that is free, else is prefixed with its parent
    segments (``proxy_username``) until the name is free.
    """
    entries: list[tuple[str | None, ConfigDefinition]] = [(None, c) for c in definition.configs]
    for service_definition in definition.services:
        entries.extend((service_definition.provides, c) for c in service_definition.configs)
    groups: dict[str, list[tuple[str | None, ConfigDefinition]]] = {}
    for service, config in entries:
        groups.setdefault(python_name(config.label, config.field_name or config.name), []).append(
            (service, config)
        )
    index: dict[str, ConfigRef] = {}
    by_entry: dict[tuple[str | None, str], ConfigRef] = {}
    taken = set(groups)
    for base, members in groups.items():
        by_name: dict[str, list[tuple[str | None, ConfigDefinition]]] = {}
        for service, config in members:
            by_name.setdefault(config.name, []).append((service, config))
        ordered = sorted(
            by_name.values(),
            key=lambda group: (group[0][0] is not None, group[0][1].name.count("."), group[0][1].name),
        )
        for position, same_name in enumerate(ordered):
            name = base if position == 0 else _disambiguate(base, same_name[0][1], taken)
            taken.add(name)
            # One raw name present in the stage and a service (dataFormat): the stage's wins reads.
            ref = ConfigRef(name, same_name[0][1], same_name[0][0])
            index[name] = ref
            for service, config in same_name:
                by_entry[(service, config.name)] = ref
    aliases: dict[str, ConfigRef | None] = {}
    for ref in list(index.values()):
        config = ref.definition
        for alias in (
            config.name,
            wx_attribute_name(config.label, config.field_name or config.name),
            ss_attribute_name(config.label, config.field_name or config.name),
        ):
            if alias in index:
                continue
            if alias in aliases and aliases[alias] is not ref:
                aliases[alias] = None
            else:
                aliases[alias] = ref
    for alias, maybe_ref in aliases.items():
        if maybe_ref is not None:
            index[alias] = maybe_ref
    refs = tuple(dict.fromkeys(by_entry[(service, config.name)] for service, config in entries))
    return refs, index


def _disambiguate(base: str, config: ConfigDefinition, taken: set[str]) -> str:
    own = snake_case(config.name.rsplit(".", 1)[-1])
    if own and own not in taken and own.isidentifier():
        return own
    parents = config.name.split(".")[:-1]
    name = base
    for parent in reversed(parents):
        name = f"{snake_case(parent)}_{name}"
        if name not in taken:
            return name
    candidate = snake_case(config.name)
    counter = 2
    while candidate in taken:
        candidate = f"{snake_case(config.name)}_{counter}"
        counter += 1
    return candidate
