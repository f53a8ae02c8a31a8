"""The pipeline document's facts, written once: its special stages, how to walk its stages, and
which of its values are secrets.

A pipeline definition keeps its canvas stages in ``stages`` and each off-canvas stage in a slot
of its own (``errorStage``, ``statsAggregatorStage``, ``testOriginStage``, and the lists
``startEventStages`` / ``stopEventStages``), named again by a flow config (``badRecordsHandling``
...). :data:`ROLES` holds every fact about those roles; the model, the compilers, the plan and the
archives read them from here.

Secrets follow one rule, whatever shows them (reprs, plans, diagrams, archives, generated code):
a value is secret when its config is a CREDENTIAL, at any depth of list rows, unless it is empty
or the config's own default (a placeholder such as an example ARN, not a secret); where no
definition says what a config is (a stage the catalog lacks, a config it does not list), when
its name looks like one (password, token, secret, credential, API or private key).

>>> [role.slot for role in ROLES.values()]
['errorStage', 'statsAggregatorStage', 'startEventStages', 'stopEventStages', 'testOriginStage']
>>> is_secret_name("conf.proxyPassword"), is_secret_name("conf.user")
(True, False)
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .errors import FlowbuilderError

if TYPE_CHECKING:
    from .catalog import ConfigDefinition, StageDefinition

__all__ = [
    "LIFECYCLE_SLOTS",
    "ROLES",
    "SECRET_MASK",
    "SPECIAL_SLOTS",
    "Definitions",
    "FragmentRef",
    "Role",
    "document_stages",
    "fragment_ids",
    "fragment_refs",
    "is_secret_name",
    "mask_entries",
    "mask_secrets",
    "replace_secrets",
]

#: What a secret value shows as.
SECRET_MASK = "********"


@dataclass(frozen=True)
class Role:
    """An off-canvas role a stage can play in a flow, and where the pipeline document keeps it."""

    name: str  # the flow's word for it: "error"
    slot: str  # the top-level key holding the stage (a list for lifecycle stages)
    config: str  # the flow config naming the stage as "library::stageName::version"
    suffix: str  # what its instance name ends with
    label: str  # its uiInfo label, from the definition's label
    title: str  # how people call it
    lifecycle: bool = False  # the slot holds a list of stages


#: Every special role, in the order flows show them.
ROLES: Mapping[str, Role] = {
    role.name: role
    for role in (
        Role("error", "errorStage", "badRecordsHandling", "_ErrorStage", "Error Records - {}", "error stage"),
        Role(
            "stats",
            "statsAggregatorStage",
            "statsAggregatorStage",
            "_StatsAggregatorStage",
            "Stats Aggregator - {}",
            "stats aggregator",
        ),
        Role(
            "start",
            "startEventStages",
            "startEventStage",
            "_StartEventStage",
            "Start Event - {}",
            "start event",
            lifecycle=True,
        ),
        Role(
            "stop",
            "stopEventStages",
            "stopEventStage",
            "_StopEventStage",
            "Stop Event - {}",
            "stop event",
            lifecycle=True,
        ),
        Role(
            "test_origin",
            "testOriginStage",
            "testOriginStage",
            "_TestOriginStage",
            "Test Origin - {}",
            "test origin",
        ),
    )
}
#: Top-level keys holding one off-canvas stage, and its role.
SPECIAL_SLOTS: Mapping[str, str] = {r.slot: r.name for r in ROLES.values() if not r.lifecycle}
#: Top-level keys holding a list of lifecycle event stages, and their role.
LIFECYCLE_SLOTS: Mapping[str, str] = {r.slot: r.name for r in ROLES.values() if r.lifecycle}


def document_stages(definition: Mapping[str, Any]) -> Iterator[tuple[object, str | None]]:
    """Every stage of a pipeline definition with its role: canvas stages (role None) first, then
    the special slots and the lifecycle lists. Entries are yielded as found (anything JSON holds).

    >>> doc = {"stages": [{"instanceName": "a"}], "errorStage": {"instanceName": "e"}, "stopEventStages": []}
    >>> [(s["instanceName"], role) for s, role in document_stages(doc)]
    [('a', None), ('e', 'error')]
    """
    stages = definition.get("stages")
    for raw in stages if isinstance(stages, list) else []:
        yield raw, None
    for role in ROLES.values():
        value = definition.get(role.slot)
        if role.lifecycle:
            for raw in value if isinstance(value, list) else []:
                yield raw, role.name
        elif value is not None:
            yield value, role.name


# -- fragments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FragmentRef:
    """A fragment a pipeline definition uses, as its fragment stage's ``uiInfo`` says."""

    fragment_id: str
    commit_id: str | None
    name: str
    instance_id: str
    stage: str


def fragment_refs(definition: Mapping[str, Any]) -> list[FragmentRef]:
    """The fragment stages of a pipeline definition (``uiInfo.fragmentGroupStage``), in order.

    >>> stage = {"instanceName": "m_01_FragmentProcessor_01", "uiInfo": {"fragmentGroupStage": True,
    ...          "fragmentId": "mask1", "fragmentInstanceId": "m_01", "pipelineCommitId": "c1"}}
    >>> fragment_refs({"stages": [stage]})[0].commit_id
    'c1'
    """
    refs = []
    stages = definition.get("stages")
    for raw in stages if isinstance(stages, list) else []:
        ui_info = raw.get("uiInfo") if isinstance(raw, Mapping) else None
        if not isinstance(ui_info, Mapping) or not ui_info.get("fragmentGroupStage"):
            continue
        fragment_id = str(ui_info.get("fragmentId") or "")
        commit = ui_info.get("pipelineCommitId")
        refs.append(
            FragmentRef(
                fragment_id,
                str(commit) if commit else None,
                str(ui_info.get("fragmentName") or fragment_id),
                str(ui_info.get("fragmentInstanceId") or ""),
                str(raw.get("instanceName") or ""),
            )
        )
    return refs


def fragment_ids(definition: Mapping[str, Any]) -> list[str]:
    """The ids of the fragments a definition uses, each once, in order: what a stored flow
    records as ``fragment_ids``."""
    return list(dict.fromkeys(ref.fragment_id for ref in fragment_refs(definition) if ref.fragment_id))


# -- secrets ------------------------------------------------------------------------------------

# Matched against the end of a config name's last part: "conf.proxyPassword", "clientSecret",
# "awsSecretAccessKey", "authToken" are secrets; "credentialMode", "tokenUrl", "useSecretFile" not.
_SECRET_NAME = re.compile(
    r"(password|passwd|passphrase|secret|secret[_-]?(access[_-]?)?key|token|api[_-]?key|private[_-]?key"
    r"|credentials?)$",
    re.I,
)
_EMPTY: tuple[Any, ...] = (None, "", [], {})


def is_secret_name(name: str) -> bool:
    """Whether a config with no known definition is taken for a secret, by its name.

    >>> [is_secret_name(n) for n in ("awsSecretAccessKey", "credentialMode", "conf.apiKey", "tokenUrl")]
    [True, False, True, False]
    """
    return bool(_SECRET_NAME.search(name.rsplit(".", 1)[-1]))


Replace = Callable[[tuple[Any, ...], Any], Any]


def replace_secrets(
    config: ConfigDefinition | None, name: str, value: Any, replace: Replace, path: tuple[Any, ...] = ()
) -> Any:
    """``value`` (of the config ``config``, called ``name``) with each secret part replaced by
    ``replace(path, part)``, where ``path`` says where in the rows the part sits. Not a copy when
    nothing is secret.

    >>> from flowbuilder.catalog import ConfigDefinition
    >>> password = ConfigDefinition("password", "Password", "CREDENTIAL")
    >>> users = ConfigDefinition("users", "Users", "MODEL", sub_configs=(password,))
    >>> replace_secrets(users, "users", [{"user": "ada", "password": "pw"}], lambda path, v: path)
    [{'user': 'ada', 'password': (0, 'password')}]
    """
    if config is None:
        return replace(path, value) if is_secret_name(name) and value not in _EMPTY else value
    if config.is_secret:
        return value if value in _EMPTY or value == config.default else replace(path, value)
    if not config.sub_configs or not config.holds_secret or not isinstance(value, list):
        return value
    fields = config.row_fields
    rows = []
    for index, row in enumerate(value):
        if isinstance(row, Mapping):
            row = {
                key: replace_secrets(fields.get(key), str(key), item, replace, (*path, index, key))
                for key, item in row.items()
            }
        rows.append(row)
    return rows


def _mask(replacement: str) -> Replace:
    return lambda path, value: replacement


def mask_entries(
    entries: object, resolve: Callable[[str], ConfigDefinition | None], replacement: str = SECRET_MASK
) -> object:
    """A ``configuration`` list (``[{"name", "value"}]``) with its secrets replaced; entries
    whose value holds no secret are shared, not copied."""
    if not isinstance(entries, list):
        return entries
    masked: list[Any] = []
    for entry in entries:
        if isinstance(entry, Mapping) and "value" in entry:
            name = str(entry.get("name"))
            value = replace_secrets(resolve(name), name, entry["value"], _mask(replacement))
            if value is not entry["value"]:
                entry = {**entry, "value": value}
        masked.append(entry)
    return masked


class Definitions(Protocol):
    """What masking needs of a catalog: a stage's definition, and the flow-level configs."""

    def resolve(
        self, name: str, version: str | None = None, library: str | None = None
    ) -> tuple[StageDefinition | None, bool]: ...

    def pipeline_definition(self, engine: str = "data_collector") -> StageDefinition: ...


def _by_name(configs: Iterable[ConfigDefinition]) -> dict[str, ConfigDefinition]:
    found: dict[str, ConfigDefinition] = {}
    for config in configs:
        found.setdefault(config.name, config)
    return found


class _StageConfigs:
    """A stage definition's configs by name, on the stage and per service (a service's config
    may also be found by its bare name on the stage, as flows written by hand do)."""

    def __init__(self, definition: StageDefinition | None) -> None:
        self._definition = definition
        self._tables: dict[str | None, dict[str, ConfigDefinition]] = {}

    def _table(self, service: str | None) -> dict[str, ConfigDefinition]:
        table = self._tables.get(service)
        if table is None:
            definition = self._definition
            if definition is None:
                table = {}
            elif service is None:
                table = _by_name(definition.configs)
            else:
                found = definition.service(service)
                table = _by_name(found.configs) if found is not None else {}
            self._tables[service] = table
        return table

    def resolver(self, service: str | None) -> Callable[[str], ConfigDefinition | None]:
        def resolve(name: str) -> ConfigDefinition | None:
            return self._table(service).get(name) or (self._table(None).get(name) if service else None)

        return resolve


def _flow_resolver(catalog: Definitions, engines: tuple[str, ...]) -> Callable[[str], Any]:
    """A flow config's definition; of the engines' definitions, a secret one wins (the flow's
    engine is not always known, and a config is secret if any engine says so)."""
    pipelines = []
    for engine in engines:
        try:
            pipelines.append(catalog.pipeline_definition(engine))
        except LookupError:
            continue

    def resolve(name: str) -> ConfigDefinition | None:
        found = [c for pipeline in pipelines for c in pipeline.configs if c.name == name]
        secret = [c for c in found if c.holds_secret]
        return (secret or found)[0] if found else None

    return resolve


def _definition(catalog: Definitions, raw: Mapping[str, Any]) -> StageDefinition | None:
    name, version, library = raw.get("stageName"), raw.get("stageVersion"), raw.get("library")
    if not isinstance(name, str) or not name:
        return None
    try:
        return catalog.resolve(
            name, str(version) if version is not None else None, library if isinstance(library, str) else None
        )[0]
    except (FlowbuilderError, LookupError, ValueError, TypeError):  # definitions it cannot read
        return None


def mask_secrets(
    definition: Mapping[str, Any],
    catalog: Definitions,
    *,
    replacement: str = SECRET_MASK,
    engines: tuple[str, ...] = ("data_collector", "transformer", "snowflake"),
) -> dict[str, Any]:
    """A copy of a pipeline definition with every secret value replaced by ``replacement``
    (``""`` blanks them): the configs and services of every stage (special slots included) and
    the flow's own configs, and the same in each fragment definition the flow embeds.

    >>> from flowbuilder import Flow
    >>> flow = Flow("db").source("JDBC Query Consumer", password="s3cr3t").to("Trash").flow
    >>> masked = mask_secrets(flow.to_dict(), flow.catalog)
    >>> [c["value"] for c in masked["stages"][0]["configuration"] if c["name"].endswith("password")]
    ['********']
    """
    result: dict[str, Any] = copy.deepcopy(dict(definition))
    known: dict[tuple[Any, ...], _StageConfigs] = {}
    resolve_flow = _flow_resolver(catalog, engines)
    pending = [result]
    while pending:  # the definition, then each fragment definition embedded in it, at any depth
        current = pending.pop()
        _mask_document(current, catalog, known, resolve_flow, replacement)
        embedded = current.get("fragments")
        pending.extend(f for f in (embedded if isinstance(embedded, list) else []) if isinstance(f, dict))
    return result


def _mask_document(
    result: dict[str, Any],
    catalog: Definitions,
    known: dict[tuple[Any, ...], _StageConfigs],
    resolve_flow: Callable[[str], Any],
    replacement: str,
) -> None:
    for raw, _ in document_stages(result):
        if not isinstance(raw, dict):
            continue
        identity = (raw.get("stageName"), raw.get("stageVersion"), raw.get("library"))
        configs = known.get(identity) if all(isinstance(part, str | None) for part in identity) else None
        if configs is None:
            configs = _StageConfigs(_definition(catalog, raw))
            with contextlib.suppress(TypeError):  # an identity JSON made unhashable is not kept
                known[identity] = configs
        if "configuration" in raw:
            raw["configuration"] = mask_entries(raw["configuration"], configs.resolver(None), replacement)
        services = raw.get("services")
        for service in services if isinstance(services, list) else []:
            if isinstance(service, dict) and "configuration" in service:
                resolve = configs.resolver(str(service.get("service")))
                service["configuration"] = mask_entries(service["configuration"], resolve, replacement)
    if "configuration" in result:
        result["configuration"] = mask_entries(result["configuration"], resolve_flow, replacement)
