"""The difference between two pipeline definitions, as people read it: the one diff engine.

Canonical: ids, canvas positions, timestamps and other metadata a store adds are ignored; stages
are compared by instance name, configs by name and shown by their Python names; lanes as
``producer -> consumer``. Secret values never appear (``flowbuilder._document``'s rule): a
changed secret shows as changed, without its value. ``flowbuilder plan`` and the snapshot
assertion of ``flowbuilder.testing`` both say what changed with it.

>>> from flowbuilder import Flow
>>> before = Flow("orders").source("Dev Raw Data Source").to("Local FS", directory_template="/a").flow
>>> after = Flow("orders").source("Dev Raw Data Source").to("Local FS", directory_template="/b").flow
>>> diff_definitions(before.to_dict(), after.to_dict()).lines()
['~ stage LocalFS_01 (Local FS)', '    directory_template: "/a" -> "/b"']
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._document import ROLES, document_stages, fragment_refs, is_secret_name
from .catalog import Catalog, ConfigDefinition, ConfigRef, StageDefinition
from .errors import StageNotFoundError

__all__ = [
    "MANAGED_LABEL",
    "ConfigChange",
    "FlowDiff",
    "StageChange",
    "diff_definitions",
    "is_managed",
    "pipeline_labels",
]

#: The pipeline label (``metadata.labels``) that marks flows stored by ``flowbuilder.plan.apply``.
MANAGED_LABEL = "flowbuilder-managed"
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


def pipeline_labels(definition: object) -> list[str]:
    """The pipeline labels (``metadata.labels``) of a definition; empty when it has none.

    >>> pipeline_labels({"metadata": {"labels": ["orders"]}}), pipeline_labels({})
    (['orders'], [])
    """
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
    if MANAGED_LABEL not in pipeline_labels(definition):
        return False
    return name is None or (isinstance(definition, Mapping) and definition.get("title") == name)


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
    old_labels = [label for label in pipeline_labels(old_doc) if label != MANAGED_LABEL]
    new_labels = [label for label in pipeline_labels(new_doc) if label != MANAGED_LABEL]
    if sorted(old_labels) != sorted(new_labels):
        details.append(f"labels: {_show(old_labels)} -> {_show(new_labels)}")
    if is_managed(new_doc) and not is_managed(old_doc):
        details.append(f"adopt: not stored by flowbuilder before; gets the {MANAGED_LABEL!r} label")
    if (old_doc.get("fragments") or []) != (new_doc.get("fragments") or []):
        details.extend(_fragment_changes(old_doc, new_doc))
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


def _fragment_changes(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any]) -> list[str]:
    """What changed in the fragments a flow embeds, one line per fragment use."""
    old = {ref.instance_id: ref for ref in fragment_refs(old_doc)}
    new = {ref.instance_id: ref for ref in fragment_refs(new_doc)}
    lines = []
    for instance, ref in new.items():
        before = old.get(instance)
        if before is None:
            lines.append(f"fragment {ref.name} ({instance}) added, version {ref.commit_id}")
        elif before.commit_id != ref.commit_id:
            lines.append(f"fragment {ref.name} ({instance}): version {before.commit_id} -> {ref.commit_id}")
    lines += [
        f"fragment {ref.name} ({instance}) removed" for instance, ref in old.items() if instance not in new
    ]
    return lines or ["fragments changed"]


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
