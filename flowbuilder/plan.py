"""Plan and apply: make a project's flows match the flows defined in files.

:func:`plan` compares the compiled pipeline definition of each flow with the one stored under
the same name and says, per flow, what would happen: ``create``, ``update`` (with a readable
diff: stages added and removed, configs changed with their Python names, lanes added and
removed, flow-level config changes), ``unchanged`` or, with ``prune=True``, ``delete``. It
writes nothing. :func:`apply` performs a plan; applying an unchanged plan writes nothing.

The comparison is canonical: ids, canvas positions, timestamps and other metadata the store
adds are ignored; configs are compared by stage instance and config name. Secret (CREDENTIAL)
values never appear: a changed secret shows as changed, without its value.

Flows that ``apply`` stores carry the pipeline label ``flowbuilder-managed``
(:data:`MANAGED_LABEL`, in the definition's ``metadata.labels``). Pruning deletes only flows
with that label, so flows made by hand are never deleted. A stored flow of the same name as a
flow in the files but without the label is *adopted*: the update adds the label.

>>> from flowbuilder import Flow, Project
>>> project = Project.memory()
>>> orders = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
>>> first = plan([orders], project)
>>> print(first.summary())
1 to create, 0 to update, 0 to delete, 0 unchanged.
>>> result = apply(first, project)
>>> [(outcome.change.action, outcome.ok) for outcome in result.outcomes]
[('create', True)]
>>> plan([orders], project).has_changes
False
>>> edited = Flow("orders").source("Dev Raw Data Source").to("Dev Identity").to("Trash").flow
>>> print("\\n".join(plan([edited], project).lines()))
~ update    orders
    + stage DevIdentity_01 (Dev Identity)
    + lane DevRawDataSource_01 -> DevIdentity_01
    + lane DevIdentity_01 -> Trash_01
    - lane DevRawDataSource_01 -> Trash_01
<BLANKLINE>
0 to create, 1 to update, 0 to delete, 0 unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ._document import ROLES, document_stages, is_secret_name
from .catalog import Catalog, ConfigDefinition, ConfigRef, StageDefinition
from .discovery import FlowSource
from .errors import BackendError, ConflictError, FlowbuilderError, StageNotFoundError
from .flow import Flow
from .project import Environment, Project

__all__ = [
    "ACTIONS",
    "MANAGED_LABEL",
    "ApplyResult",
    "Change",
    "ConfigChange",
    "FlowDiff",
    "Outcome",
    "Plan",
    "StageChange",
    "apply",
    "diff_definitions",
    "is_managed",
    "plan",
]

#: The pipeline label (``metadata.labels``) that marks flows stored by :func:`apply`.
MANAGED_LABEL = "flowbuilder-managed"
#: Every action a plan may hold, in report order. ``invalid`` (validation errors) and
#: ``conflict`` (several stored flows of that name) are not applied and make ``apply`` fail.
ACTIONS = ("create", "update", "delete", "unchanged", "invalid", "conflict")

_SYMBOLS = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "invalid": "!", "conflict": "!"}
_SHOWN = 100  # characters of a value shown in a diff
_MISSING = object()
_EMPTY: tuple[Any, ...] = (None, "", [], {})  # values that hold nothing


# -- diffs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigChange:
    """One config whose value differs: Python name, old and new value (both None for a secret).

    >>> str(ConfigChange("directory_template", "/data/a", "/data/b"))
    'directory_template: "/data/a" -> "/data/b"'
    >>> str(ConfigChange("password", None, None, secret=True))
    'password: (secret changed)'
    """

    name: str
    old: Any
    new: Any
    secret: bool = False

    def __str__(self) -> str:
        if self.secret:
            return f"{self.name}: (secret changed)"
        old, new = _show_pair(self.old, self.new)
        return f"{self.name}: {old} -> {new}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``old``/``new`` left out for secrets)."""
        if self.secret:
            return {"name": self.name, "secret": True}
        return {
            "name": self.name,
            "old": None if self.old is _MISSING else self.old,
            "new": None if self.new is _MISSING else self.new,
        }


@dataclass(frozen=True)
class StageChange:
    """A stage instance present on both sides whose definition, label or configs differ."""

    instance_name: str
    label: str
    details: tuple[str, ...] = ()
    configs: tuple[ConfigChange, ...] = ()

    def lines(self) -> list[str]:
        """The change as indented report lines."""
        return [f"~ stage {self.instance_name} ({self.label})"] + [
            f"    {text}" for text in (*self.details, *map(str, self.configs))
        ]


@dataclass(frozen=True)
class FlowDiff:
    """What differs between a stored flow and the flow in the files.

    ``stages_added`` / ``stages_removed`` are ``"<instance> (<stage label>)"``; lanes are
    ``"<from> -> <to>"`` (``"<from> (output 2) -> <to>"`` for one of several outputs,
    ``"<from> (events) -> <to>"`` for the event lane).
    """

    stages_added: tuple[str, ...] = ()
    stages_removed: tuple[str, ...] = ()
    stages_changed: tuple[StageChange, ...] = ()
    lanes_added: tuple[str, ...] = ()
    lanes_removed: tuple[str, ...] = ()
    flow_configs: tuple[ConfigChange, ...] = ()
    details: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(
            (
                self.stages_added,
                self.stages_removed,
                self.stages_changed,
                self.lanes_added,
                self.lanes_removed,
                self.flow_configs,
                self.details,
            )
        )

    def lines(self) -> list[str]:
        """The diff as report lines (no indentation of their own)."""
        out = list(self.details)
        out += [f"+ stage {text}" for text in self.stages_added]
        out += [f"- stage {text}" for text in self.stages_removed]
        for change in self.stages_changed:
            out += change.lines()
        out += [f"+ lane {text}" for text in self.lanes_added]
        out += [f"- lane {text}" for text in self.lanes_removed]
        if self.flow_configs:
            out.append("~ flow configuration")
            out += [f"    {change}" for change in self.flow_configs]
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "details": list(self.details),
            "stages_added": list(self.stages_added),
            "stages_removed": list(self.stages_removed),
            "stages_changed": [
                {
                    "instance_name": change.instance_name,
                    "label": change.label,
                    "details": list(change.details),
                    "configs": [config.to_dict() for config in change.configs],
                }
                for change in self.stages_changed
            ],
            "lanes_added": list(self.lanes_added),
            "lanes_removed": list(self.lanes_removed),
            "flow_configs": [config.to_dict() for config in self.flow_configs],
        }


# -- plans ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a plan does to one flow: ``action`` (one of :data:`ACTIONS`), with where the flow is
    defined (``source``, None for a flow given in memory or only stored), the flow itself, its
    stored id and revision, the diff (updates) and a reason (delete, invalid, conflict)."""

    action: str
    name: str
    source: FlowSource | None = None
    flow: Flow | None = field(default=None, repr=False, compare=False)
    flow_id: str | None = None
    revision: int | None = None
    diff: FlowDiff = field(default_factory=FlowDiff)
    reason: str = ""
    definition: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    stored_entity: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def location(self) -> str:
        """``file:line`` of the flow, or ``flow <id>`` for a flow only in the project."""
        if self.source is not None:
            return self.source.location
        return f"flow {self.flow_id}" if self.flow_id else ""

    @property
    def writes(self) -> bool:
        """True when applying this change writes to the project."""
        return self.action in ("create", "update", "delete")

    def lines(self) -> list[str]:
        """The change as report lines: a heading, then the diff or reason, indented."""
        heading = f"{_SYMBOLS[self.action]} {self.action:<9} {self.name}"
        if self.source is not None or self.action == "delete":
            heading += f"  ({self.location})"
        body = self.diff.lines() if self.action == "update" else []
        if self.reason:
            body = [*self.reason.splitlines(), *body]
        return [heading, *(f"    {line}" for line in body)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "action": self.action,
            "name": self.name,
            "file": str(self.source.file) if self.source is not None else None,
            "line": self.source.line if self.source is not None else None,
            "flow_id": self.flow_id,
            "revision": self.revision,
            "reason": self.reason or None,
            "diff": self.diff.to_dict() if self.action == "update" else None,
        }


@dataclass(frozen=True)
class Plan:
    """Per flow, what :func:`apply` would do. With ``prune``, ``left_alone`` names the stored
    flows that are not in the files but that pruning does not delete (not stored by flowbuilder)."""

    changes: tuple[Change, ...]
    prune: bool = False
    left_alone: tuple[str, ...] = ()

    def of(self, action: str) -> list[Change]:
        """The changes with that action."""
        return [change for change in self.changes if change.action == action]

    @property
    def has_changes(self) -> bool:
        """True when applying would write something."""
        return any(change.writes for change in self.changes)

    @property
    def failures(self) -> list[Change]:
        """The flows that cannot be applied (``invalid`` or ``conflict``)."""
        return [change for change in self.changes if change.action in ("invalid", "conflict")]

    def summary(self) -> str:
        """One line of counts, e.g. ``1 to create, 0 to update, 0 to delete, 2 unchanged.``"""
        text = (
            f"{len(self.of('create'))} to create, {len(self.of('update'))} to update, "
            f"{len(self.of('delete'))} to delete, {len(self.of('unchanged'))} unchanged"
        )
        for action in ("invalid", "conflict"):
            if self.of(action):
                text += f", {len(self.of(action))} {action}"
        return text + "."

    def lines(self, *, unchanged: bool = True) -> list[str]:
        """The whole report: each change (unchanged ones unless ``unchanged=False``), notes, summary."""
        out: list[str] = []
        for change in self.changes:
            if unchanged or change.action != "unchanged":
                out += change.lines()
        if self.left_alone:
            out.append(
                f"  {len(self.left_alone)} flow{_s(self.left_alone)} not stored by flowbuilder "
                f"{'is' if len(self.left_alone) == 1 else 'are'} left alone: {', '.join(self.left_alone)}"
            )
        return [*out, "", self.summary()] if out else [self.summary()]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: every change, the notes and the counts."""
        return {
            "changes": [change.to_dict() for change in self.changes],
            "prune": self.prune,
            "left_alone": list(self.left_alone),
            "summary": {action: len(self.of(action)) for action in ACTIONS},
        }


def _s(items: Sequence[object]) -> str:
    return "" if len(items) == 1 else "s"


def plan(
    flows: Iterable[FlowSource | Flow], project: Project, *, prune: bool = False, validate: bool = True
) -> Plan:
    """What :func:`apply` would do to make ``project`` hold ``flows``; reads, never writes.

    ``flows`` are FlowSource objects (from :func:`flowbuilder.discovery.discover`, so that
    reports name files and lines) or plain Flow objects. With ``validate`` (the default) a flow
    that would be created or updated but has validation errors is planned as ``invalid`` and
    not applied (unchanged flows are not validated: applying them writes nothing). Two flows of
    one name are a FlowbuilderError.
    """
    given = [(item.flow, item) if isinstance(item, FlowSource) else (item, None) for item in flows]
    wanted: dict[str, FlowSource | None] = {}
    for flow, source in given:
        if flow.name in wanted:
            first = wanted[flow.name]
            raise FlowbuilderError(
                f"is defined twice ({first.location if first else 'in memory'} and "
                f"{source.location if source else 'in memory'})",
                flow=flow.name,
                hint="Flow names must be unique in a project: rename one.",
            )
        wanted[flow.name] = source
    stored: dict[str, list[Mapping[str, Any]]] = {}
    for asset in project.flows._assets():  # the stored documents, every page, each once
        stored.setdefault(str(_metadata(asset).get("name") or ""), []).append(asset)
    changes = [_change(flow, source, stored.get(flow.name, []), project, validate) for flow, source in given]
    left_alone: list[str] = []
    if prune:
        for name in sorted(set(stored) - set(wanted)):
            for asset in stored[name]:
                flow_id = str(_metadata(asset).get("asset_id") or "")
                document = project.backend.get_flow(flow_id)
                if is_managed(document.get("pipeline_definition"), name):
                    changes.append(
                        Change(
                            "delete",
                            name,
                            flow_id=flow_id,
                            revision=_revision(document),
                            reason="no longer defined in the files",
                        )
                    )
                else:
                    left_alone.append(name)
    return Plan(tuple(changes), prune=prune, left_alone=tuple(left_alone))


def _metadata(asset: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = asset.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _flow_asset(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The flow asset (``metadata``, ``entity``) of what ``get_flow`` or ``create_flow`` returned."""
    flow = document.get("flow")
    return flow if isinstance(flow, Mapping) else {}


def _revision(document: Mapping[str, Any]) -> int | None:
    value = _metadata(_flow_asset(document)).get("revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _labels(definition: object) -> list[str]:
    metadata = definition.get("metadata") if isinstance(definition, Mapping) else None
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return [str(label) for label in labels] if isinstance(labels, list) else []


def is_managed(definition: object, name: str | None = None) -> bool:
    """True when a pipeline definition carries the :data:`MANAGED_LABEL` (stored by :func:`apply`)
    and, given the stored flow's ``name``, was compiled under that name.

    The name check keeps copies out: duplicating a managed flow copies its definition, label and
    title included, under a new name, and a copy is the user's, never to be pruned.

    >>> is_managed({"metadata": {"labels": ["flowbuilder-managed"]}}), is_managed({"metadata": None})
    (True, False)
    >>> copy = {"title": "orders", "metadata": {"labels": ["flowbuilder-managed"]}}
    >>> is_managed(copy, "orders"), is_managed(copy, "orders copy")
    (True, False)
    """
    if MANAGED_LABEL not in _labels(definition):
        return False
    return name is None or (isinstance(definition, Mapping) and definition.get("title") == name)


def _desired(flow: Flow) -> dict[str, Any]:
    """The definition apply stores: the compiled flow, as JSON gives it back, with the managed label."""
    definition: dict[str, Any] = json.loads(json.dumps(flow.to_dict(), ensure_ascii=False))
    metadata = definition.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    labels = _labels(definition)
    metadata["labels"] = labels if MANAGED_LABEL in labels else [*labels, MANAGED_LABEL]
    definition["metadata"] = metadata
    return definition


def _change(
    flow: Flow, source: FlowSource | None, stored: list[Mapping[str, Any]], project: Project, validate: bool
) -> Change:
    name = flow.name
    if len(stored) > 1:
        ids = ", ".join(str(_metadata(asset).get("asset_id")) for asset in stored)
        return Change(
            "conflict",
            name,
            source,
            flow,
            reason=f"the project holds {len(stored)} flows named {name!r} ({ids}); "
            "rename or delete all but one",
        )
    desired = _desired(flow)
    if not stored:
        return _checked(Change("create", name, source, flow, definition=desired), validate)
    flow_id = str(_metadata(stored[0]).get("asset_id") or "")
    document = project.backend.get_flow(flow_id)
    asset = _flow_asset(document)
    entity = asset.get("entity")
    stored_entity = entity.get("streamsets_flow") if isinstance(entity, Mapping) else None
    diff = diff_definitions(
        document.get("pipeline_definition"),
        desired,
        catalog=flow.catalog,
        engine=flow.engine,
        old_description=str(_metadata(asset).get("description") or ""),
        new_description=flow.description or "",
    )
    change = Change(
        "update" if diff else "unchanged",
        name,
        source,
        flow,
        flow_id=flow_id,
        revision=_revision(document),
        diff=diff,
        definition=desired,
        stored_entity=dict(stored_entity) if isinstance(stored_entity, Mapping) else {},
    )
    return _checked(change, validate)


def _checked(change: Change, validate: bool) -> Change:
    """The change, or an ``invalid`` one when it would write a flow with validation errors.

    Unchanged flows are not validated: applying them writes nothing, whatever they hold.
    """
    if not validate or not change.writes or change.flow is None:
        return change
    errors = change.flow.validate().errors
    if not errors:
        return change
    source = change.source
    listing = [
        f"{source.file}:{source.line_of(issue.stage)}: {issue}" if source else str(issue) for issue in errors
    ]
    return Change(
        "invalid",
        change.name,
        source,
        change.flow,
        flow_id=change.flow_id,
        reason=f"{len(errors)} validation error{_s(errors)}, not applied:\n" + "\n".join(listing),
    )


# -- canonical comparison ---------------------------------------------------------------------------


@dataclass
class _Stage:
    key: str
    role: str
    label: str
    identity: tuple[str, str, str]
    ui_label: str
    ui_description: str
    configs: dict[tuple[str | None, str], Any]
    outputs: list[str]
    events: list[str]
    inputs: list[str]


def _identity(raw: Mapping[str, Any]) -> tuple[str, str, str]:
    """A stage's ``(library, stage name, stage version)``."""
    return (
        str(raw.get("library") or ""),
        str(raw.get("stageName") or ""),
        str(raw.get("stageVersion") or ""),
    )


def _values(entries: Any, service: str | None = None) -> dict[tuple[str | None, str], Any]:
    """``(service, name) -> value`` of a ``configuration`` list."""
    return {
        (service, str(entry["name"])): entry.get("value")
        for entry in entries or []
        if isinstance(entry, Mapping) and "name" in entry
    }


def _stage(raw: Mapping[str, Any], role: str, catalog: Catalog) -> _Stage:
    identity = _identity(raw)
    definition = _definition(catalog, identity)
    found = raw.get("uiInfo")
    ui: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    configs = _values(raw.get("configuration"))
    for service in raw.get("services") or []:
        if isinstance(service, Mapping):
            configs.update(_values(service.get("configuration"), str(service.get("service"))))
    return _Stage(
        key=str(raw.get("instanceName") or ""),
        role=role,
        label=definition.label if definition is not None else identity[1],
        identity=identity,
        ui_label=str(ui.get("label") or ""),
        ui_description=str(ui.get("description") or ""),
        configs=configs,
        outputs=[str(lane) for lane in raw.get("outputLanes") or []],
        events=[str(lane) for lane in raw.get("eventLanes") or []],
        inputs=[str(lane) for lane in raw.get("inputLanes") or []],
    )


def _definition(catalog: Catalog, identity: tuple[str, str, str]) -> StageDefinition | None:
    library, name, version = identity
    if not name:
        return None
    try:
        return catalog.resolve(name, version or None, library or None)[0]
    except (StageNotFoundError, KeyError, ValueError):
        return None


def _stages(definition: Mapping[str, Any], catalog: Catalog) -> dict[str, _Stage]:
    stages: dict[str, _Stage] = {}
    for raw, role in document_stages(definition):
        if not isinstance(raw, Mapping):
            continue
        if role is None:
            stage = _stage(raw, "", catalog)
            stages[stage.key] = stage
        elif raw.get("instanceName"):  # an off-canvas stage never hides a canvas one of its name
            stage = _stage(raw, ROLES[role].title, catalog)
            stages.setdefault(stage.key, stage)
    return stages


def _lanes(stages: Mapping[str, _Stage]) -> list[str]:
    producers: dict[str, str] = {}
    for stage in stages.values():
        for index, lane in enumerate(stage.outputs):
            producers[lane] = stage.key if len(stage.outputs) == 1 else f"{stage.key} (output {index + 1})"
        for lane in stage.events:
            producers[lane] = f"{stage.key} (events)"
    lanes = []
    for stage in stages.values():
        for lane in stage.inputs:
            lanes.append(f"{producers.get(lane, repr(lane))} -> {stage.key}")
    return lanes


@lru_cache(maxsize=1024)
def _refs(definition: StageDefinition) -> dict[tuple[str | None, str], ConfigRef]:
    return {(ref.service, ref.name): ref for ref in definition.config_refs}


def _ref(refs: Mapping[tuple[str | None, str], ConfigRef], key: tuple[str | None, str]) -> ConfigRef | None:
    """The config ``(service, name)``; a service's config may also be found by its bare name."""
    return refs.get(key) or (refs.get((None, key[1])) if key[0] is not None else None)


def _config_changes(
    old: Mapping[tuple[str | None, str], Any],
    new: Mapping[tuple[str | None, str], Any],
    definition: StageDefinition | None,
    old_definition: StageDefinition | None = None,
) -> tuple[ConfigChange, ...]:
    """The configs that differ, named by ``definition``; secret when it or ``old_definition`` (the
    stored stage's, when that was another stage) says so."""
    refs = _refs(definition) if definition is not None else {}
    old_refs = _refs(old_definition) if old_definition is not None else {}
    changes = []
    for key in [*new, *(key for key in old if key not in new)]:
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        ref = _ref(refs, key)
        if before is _MISSING or after is _MISSING:
            present = after if before is _MISSING else before
            if ref is not None and _is_initial(ref.definition, present):
                continue
        name = ref.python_name if ref is not None else key[1]
        secret = ref.definition.holds_secret if ref is not None else is_secret_name(key[1])
        old_ref = _ref(old_refs, key)
        secret = secret or (old_ref is not None and old_ref.definition.holds_secret)
        if secret:
            changes.append(ConfigChange(name, None, None, secret=True))
        else:
            changes.append(ConfigChange(name, before, after))
    return tuple(changes)


def _is_initial(definition: ConfigDefinition, value: Any) -> bool:
    return value in _EMPTY or value == definition.default or value == definition.initial_value()


def diff_definitions(
    old: object,
    new: object,
    *,
    catalog: Catalog | None = None,
    engine: str = "data_collector",
    old_description: str = "",
    new_description: str = "",
) -> FlowDiff:
    """The canonical difference between two pipeline definitions (stored ``old``, wanted ``new``).

    >>> from flowbuilder import Flow
    >>> before = Flow("orders").source("Dev Raw Data Source").to("Local FS", directory_template="/a").flow
    >>> after = Flow("orders").source("Dev Raw Data Source").to("Local FS", directory_template="/b").flow
    >>> diff_definitions(before.to_dict(), after.to_dict()).lines()
    ['~ stage LocalFS_01 (Local FS)', '    directory_template: "/a" -> "/b"']
    """
    if old == new and old_description == new_description:
        return FlowDiff()  # what apply stored, untouched since: the common case, decided at C speed
    catalog = catalog or Catalog.default()
    old_doc: Mapping[str, Any] = old if isinstance(old, Mapping) else {}
    new_doc: Mapping[str, Any] = new if isinstance(new, Mapping) else {}
    details = []
    if old_description != new_description:
        details.append(f"description: {_show(old_description)} -> {_show(new_description)}")
    old_labels = [label for label in _labels(old_doc) if label != MANAGED_LABEL]
    new_labels = [label for label in _labels(new_doc) if label != MANAGED_LABEL]
    if sorted(old_labels) != sorted(new_labels):
        details.append(f"labels: {_show(old_labels)} -> {_show(new_labels)}")
    if is_managed(new_doc) and not is_managed(old_doc):
        details.append(f"adopt: not stored by flowbuilder before; gets the {MANAGED_LABEL!r} label")
    if (old_doc.get("fragments") or []) != (new_doc.get("fragments") or []):
        details.append("fragments changed")
    old_stages, new_stages = _stages(old_doc, catalog), _stages(new_doc, catalog)
    added = tuple(_describe(stage) for key, stage in new_stages.items() if key not in old_stages)
    removed = tuple(_describe(stage) for key, stage in old_stages.items() if key not in new_stages)
    changed = []
    for key, stage in new_stages.items():
        before = old_stages.get(key)
        if before is not None:
            change = _stage_change(before, stage, catalog)
            if change is not None:
                changed.append(change)
    old_lanes, new_lanes = _lanes(old_stages), _lanes(new_stages)
    try:
        pipeline: StageDefinition | None = catalog.pipeline_definition(engine)
    except (StageNotFoundError, KeyError):
        pipeline = None
    flow_configs = _config_changes(
        _values(old_doc.get("configuration")), _values(new_doc.get("configuration")), pipeline
    )
    return FlowDiff(
        stages_added=added,
        stages_removed=removed,
        stages_changed=tuple(changed),
        lanes_added=tuple(lane for lane in new_lanes if lane not in old_lanes),
        lanes_removed=tuple(lane for lane in old_lanes if lane not in new_lanes),
        flow_configs=flow_configs,
        details=tuple(details),
    )


def _describe(stage: _Stage) -> str:
    kind = f"{stage.label}, {stage.role}" if stage.role else stage.label
    return f"{stage.key} ({kind})"


def _stage_change(old: _Stage, new: _Stage, catalog: Catalog) -> StageChange | None:
    details = []
    names = ("library", "stage name", "stage version")
    for what, before, after in zip(names, old.identity, new.identity, strict=True):
        if before != after:
            details.append(f"{what}: {_show(before)} -> {_show(after)}")
    if old.role != new.role:
        details.append(f"role: {old.role or 'canvas stage'} -> {new.role or 'canvas stage'}")
    if old.ui_label != new.ui_label:
        details.append(f"label: {_show(old.ui_label)} -> {_show(new.ui_label)}")
    if old.ui_description != new.ui_description:
        details.append(f"stage description: {_show(old.ui_description)} -> {_show(new.ui_description)}")
    definition = _definition(catalog, new.identity)
    # A secret of the stored stage stays one, whatever stage (known or not) replaced it.
    stored = _definition(catalog, old.identity) if old.identity != new.identity else None
    configs = _config_changes(old.configs, new.configs, definition, stored)
    if not details and not configs:
        return None
    return StageChange(new.key, new.label, tuple(details), configs)


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(not set)"
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def _show_pair(old: Any, new: Any) -> tuple[str, str]:
    """Both values as text; long ones cut to the part around their first difference."""
    a, b = _show(old), _show(new)
    if len(a) <= _SHOWN and len(b) <= _SHOWN:
        return a, b
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    start = max(0, prefix - 30)
    return _window(a, start), _window(b, start)


def _window(text: str, start: int) -> str:
    end = start + _SHOWN
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


# -- apply ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one change: ``ok``, the error when it failed, the flow id written."""

    change: Change
    ok: bool
    error: FlowbuilderError | None = None
    flow_id: str | None = None

    def line(self) -> str:
        """One report line, e.g. ``created orders (flows/orders.py:3)``."""
        done = {"create": "created", "update": "updated", "delete": "deleted", "unchanged": "unchanged"}
        where = f" ({self.change.location})" if self.change.location else ""
        if self.ok:
            return f"{done.get(self.change.action, self.change.action)} {self.change.name}{where}"
        return f"FAILED {self.change.action} {self.change.name}: {self.error}"  # the error says where


@dataclass(frozen=True)
class ApplyResult:
    """Every change's outcome; truthy when all succeeded. ``writes`` counts the writes made."""

    outcomes: tuple[Outcome, ...]

    @property
    def failures(self) -> list[Outcome]:
        """The outcomes that failed."""
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def writes(self) -> int:
        """How many creates, updates and deletes succeeded."""
        return sum(1 for outcome in self.outcomes if outcome.ok and outcome.change.writes)

    def __bool__(self) -> bool:
        return not self.failures


def apply(
    plan: Plan,
    project: Project,
    *,
    environment: Environment | None = None,
    progress: Callable[[Outcome], None] | None = None,
) -> ApplyResult:
    """Perform ``plan`` on ``project``: create, update and delete flows; unchanged ones are not written.

    Each flow is written on its own; a failure (a conflict with a change made since the plan,
    a backend error, an ``invalid`` or ``conflict`` entry of the plan) is recorded in its
    :class:`Outcome` and the others go on. New flows go to ``environment``, else to the
    project's only environment when it has exactly one, else to none. ``progress`` is called
    after each flow.
    """
    target = environment if environment is not None else _only_environment(project)
    outcomes = []
    for change in plan.changes:
        try:
            flow_id = _perform(change, project, target)
        except FlowbuilderError as error:
            outcome = Outcome(change, False, error=_located(error, change))
        else:
            outcome = Outcome(change, True, flow_id=flow_id)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return ApplyResult(tuple(outcomes))


def _only_environment(project: Project) -> Environment | None:
    environments = list(project.environments)
    return environments[0] if len(environments) == 1 else None


def _located(error: FlowbuilderError, change: Change) -> FlowbuilderError:
    if change.source is not None and not error.location:
        error.location = change.source.location
    if error.flow is None:
        error.flow = change.name
    error.args = (error._render(),)
    return error


def _perform(change: Change, project: Project, environment: Environment | None) -> str | None:
    backend = project.backend
    if change.action in ("invalid", "conflict"):
        hint = (
            "Fix the issues the plan lists (flowbuilder validate shows them too)."
            if change.action == "invalid"
            else None
        )
        raise FlowbuilderError(change.reason.splitlines()[0].rstrip(":"), flow=change.name, hint=hint)
    if change.action == "unchanged":
        return change.flow_id
    if change.action == "delete":
        assert change.flow_id is not None
        backend.delete_flow(change.flow_id)
        return change.flow_id
    assert change.flow is not None
    assert change.definition is not None
    flow = change.flow
    if change.action == "create":
        if backend.list_flows(name=change.name, limit=1).total_count:
            raise ConflictError(
                "a flow of this name was created in the project since the plan",
                flow=change.name,
                hint="Run plan again.",
            )
        engine_type = flow.engine
        if environment is not None and environment.engine_type != engine_type:
            raise BackendError(
                f"is a {engine_type} flow, but environment {environment.name!r} runs "
                f"{environment.engine_type}",
                flow=change.name,
                hint="Pick an environment of that engine with --environment.",
            )
        document = backend.create_flow(
            {
                "name": change.name,
                "description": flow.description or "",
                "environment_id": environment.environment_id if environment else "",
                "engine_type": engine_type,
                "engine_version": environment.engine_version
                if environment
                else flow.catalog.engine_version(engine_type),
                "pipeline_definition": dict(change.definition),
            }
        )
        return str(_metadata(_flow_asset(document)).get("asset_id") or "")
    assert change.flow_id is not None
    entity = change.stored_entity
    backend.update_flow(
        change.flow_id,
        {
            "name": change.name,
            "description": flow.description or "",
            "environment_id": str(entity.get("environment_id") or ""),
            "engine_version": str(entity.get("engine_version") or ""),
            "fragment_ids": list(entity.get("fragment_ids") or []),
            "connection_ids": list(entity.get("connection_ids") or []),
            "pipeline_definition": dict(change.definition),
        },
        revision=change.revision,
    )
    return change.flow_id
