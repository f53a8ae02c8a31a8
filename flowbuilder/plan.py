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
from dataclasses import dataclass, field, replace
from typing import Any

from ._document import fragment_ids, fragment_refs
from ._names import printable
from .diff import (
    MANAGED_LABEL,
    ConfigChange,
    FlowDiff,
    StageChange,
    diff_definitions,
    is_managed,
    pipeline_labels,
)
from .discovery import FlowSource
from .errors import BackendError, ConflictError, FlowbuilderError, FragmentError
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

#: Every action a plan may hold, in report order. ``invalid`` (validation errors) and
#: ``conflict`` (several stored flows of that name) are not applied and make ``apply`` fail.
ACTIONS = ("create", "update", "delete", "unchanged", "invalid", "conflict")

_SYMBOLS = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "invalid": "!", "conflict": "!"}


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
        heading = f"{_SYMBOLS[self.action]} {self.action:<9} {printable(self.name)}"
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
                f"{'is' if len(self.left_alone) == 1 else 'are'} left alone: "
                + ", ".join(map(printable, self.left_alone))
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
    one name are a FlowbuilderError, and so is ``prune`` with no flows (a path that defines
    none would otherwise delete every flow apply stored).
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
    if prune and not wanted:
        raise FlowbuilderError(
            "no flows were given, so prune would delete every flow that apply stored",
            hint="Check the paths: they define no flows. To delete stored flows, delete them by "
            "name: project.delete_flow(...) or `flowbuilder flows delete`.",
        )
    stored: dict[str, list[Mapping[str, Any]]] = {}
    for asset in project.flows._assets():  # the stored documents, every page, each once
        stored.setdefault(str(_metadata(asset).get("name") or ""), []).append(asset)
    changes = [_change(flow, source, stored.get(flow.name, []), project, validate) for flow, source in given]
    changes = _with_fragments(changes, project)
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


def _desired(flow: Flow) -> dict[str, Any]:
    """The definition apply stores: the compiled flow, as JSON gives it back, with the managed label."""
    definition: dict[str, Any] = json.loads(json.dumps(flow.to_dict(), ensure_ascii=False))
    metadata = definition.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    labels = pipeline_labels(definition)
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


def _with_fragments(changes: list[Change], project: Project) -> list[Change]:
    """Fragments in a plan: each fragment change names the flows of the plan that use it, and a
    flow that would be written using a fragment version that neither the plan nor the project
    holds is ``invalid``."""
    planned: dict[str, Change] = {}
    for change in changes:
        definition = change.definition or {}
        if isinstance(definition.get("fragmentId"), str):
            planned[definition["fragmentId"]] = change
    users: dict[str, list[str]] = {}
    result = []
    for change in changes:
        refs = fragment_refs(change.definition or {})
        for ref in refs:
            users.setdefault(ref.fragment_id, []).append(change.name)
        missing = [] if not change.writes else _missing(refs, planned, project)
        if missing:
            change = Change(
                "invalid",
                change.name,
                change.source,
                change.flow,
                flow_id=change.flow_id,
                reason="\n".join(missing),
            )
        result.append(change)
    for index, change in enumerate(result):
        fragment_id = (change.definition or {}).get("fragmentId")
        names = sorted(set(users.get(str(fragment_id), [])))
        if names and change.action in ("create", "update"):
            text = f"fragment used by {len(names)} flow{_s(names)} of the plan: {', '.join(names)}"
            result[index] = replace(change, reason="\n".join(filter(None, [change.reason, text])))
    return result


def _missing(refs: list[Any], planned: Mapping[str, Change], project: Project) -> list[str]:
    reasons = []
    for ref in refs:
        change = planned.get(ref.fragment_id)
        if (
            change is not None
            and change.action not in ("invalid", "conflict")
            and getattr(change.flow, "commit_id", None) == ref.commit_id
        ):
            continue  # the plan stores that version
        try:
            project.fragments.get(fragment_id=ref.fragment_id, name=ref.name, commit_id=ref.commit_id)
        except FragmentError:
            reasons.append(
                f"stage {ref.stage}: fragment {ref.name!r} version {ref.commit_id} is missing: neither "
                "the files nor the project hold it; add the file that defines the fragment to the "
                "plan, or apply it first"
            )
    return reasons


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
        name = printable(self.change.name)  # one line per outcome, whatever the name holds
        if self.ok:
            return f"{done.get(self.change.action, self.change.action)} {name}{where}"
        return f"FAILED {self.change.action} {name}: {self.error}"  # the error says where


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
    for planned in plan.changes:
        change = planned
        try:
            try:
                flow_id = _perform(change, project, target)
            except ConflictError:
                # Another writer got there since the plan (a second apply of the same folder, say).
                # Plan this flow again: when that writer stored what this one wants, it is done.
                again = _replanned(change, project)
                if again is None or again.action != "unchanged":
                    raise
                change, flow_id = again, again.flow_id
        except FlowbuilderError as error:
            outcome = Outcome(change, False, error=_located(error, change))
        else:
            outcome = Outcome(change, True, flow_id=flow_id)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return ApplyResult(tuple(outcomes))


def _replanned(change: Change, project: Project) -> Change | None:
    """``change`` planned again against the store as it is now (None for deletes and failures)."""
    if change.flow is None or change.action not in ("create", "update"):
        return None
    stored: list[Mapping[str, Any]] = [*project.backend.list_flows(name=change.name, limit=2).flows]
    return _change(change.flow, change.source, stored, project, validate=False)


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
        engine_type = flow.engine
        if environment is not None and environment.engine_type != engine_type:
            raise BackendError(
                f"is a {engine_type} flow, but environment {environment.name!r} runs "
                f"{environment.engine_type}",
                flow=change.name,
                hint="Pick an environment of that engine with --environment.",
            )
        fields = {
            "name": change.name,
            "description": flow.description or "",
            "environment_id": environment.environment_id if environment else "",
            "engine_type": engine_type,
            "engine_version": environment.engine_version
            if environment
            else flow.catalog.engine_version(engine_type),
            "fragment_ids": fragment_ids(change.definition),
            "pipeline_definition": dict(change.definition),
        }
        try:  # if_name_free: two applies at once never create one name twice
            document = backend.create_flow(fields, if_name_free=True)
        except ConflictError as error:
            raise ConflictError(
                f"a flow of this name was created in the project since the plan ({error.message})",
                status=409,
                flow=change.name,
                hint="Run plan again.",
            ) from None
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
            "fragment_ids": fragment_ids(change.definition),  # the fragments its stages use
            "connection_ids": list(entity.get("connection_ids") or []),
            "pipeline_definition": dict(change.definition),
        },
        revision=change.revision,
    )
    return change.flow_id
