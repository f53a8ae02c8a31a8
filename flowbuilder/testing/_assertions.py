"""Assertions on whole flows: ``assert_valid`` and ``assert_matches_snapshot``."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..flow import Flow

__all__ = ["UPDATE_OPTION", "assert_matches_snapshot", "assert_valid", "set_update_snapshots"]

#: The pytest option that rewrites snapshot files instead of comparing them.
UPDATE_OPTION = "--flowbuilder-update-snapshots"
_MASK = "********"
_MAX_DIFF_LINES = 120
_state = {"update": False}


def set_update_snapshots(update: bool) -> None:
    """Make :func:`assert_matches_snapshot` rewrite snapshots (the plugin calls this for the option)."""
    _state["update"] = bool(update)


def assert_valid(flow: Flow, *, warnings: bool = False) -> None:
    """Fail unless ``flow`` validates; the failure lists every issue, with its stage, config and hint.

    With ``warnings=True`` warnings fail the assertion too.

    >>> from flowbuilder import Flow
    >>> assert_valid(Flow("ok").source("Dev Raw Data Source").to("Trash").flow)
    >>> assert_valid(Flow("broken").source("Dev Raw Data Source").flow)
    Traceback (most recent call last):
    ...
    AssertionError: Flow 'broken' is not valid: 1 error, 0 warnings
      error OUTPUT_UNCONNECTED DevRawDataSource_01: ...
    """
    __tracebackhide__ = True
    result = flow.validate()
    issues = list(result.issues)
    errors = [issue for issue in issues if issue.severity == "error"]
    failing = issues if warnings else errors
    if not failing:
        return
    count_warnings = len(issues) - len(errors)
    lines = [
        f"Flow {flow.name!r} is not valid: {len(errors)} error{'s' if len(errors) != 1 else ''}, "
        f"{count_warnings} warning{'s' if count_warnings != 1 else ''}"
    ]
    for issue in issues:
        where = " ".join(
            part for part in (issue.stage, f"config {issue.config!r}" if issue.config else None) if part
        )
        text = f"  {issue.severity} {issue.code} {where + ': ' if where else ''}{issue.message}"
        if issue.hint:
            text += f" ({issue.hint})"
        lines.append(text)
    raise AssertionError("\n".join(lines))


def assert_matches_snapshot(flow: Flow, path: str | os.PathLike[str], *, update: bool | None = None) -> None:
    """Fail unless ``flow``'s compiled JSON equals the committed file at ``path``.

    Run pytest with ``--flowbuilder-update-snapshots`` (or pass ``update=True``) to write the
    file instead. The failure shows what changed (stages added or removed, configs changed)
    and a unified diff; secret (CREDENTIAL) values are masked in both.

    >>> import tempfile, pathlib
    >>> from flowbuilder import Flow
    >>> flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    >>> snapshot = pathlib.Path(tempfile.mkdtemp()) / "orders.json"
    >>> assert_matches_snapshot(flow, snapshot, update=True)
    >>> assert_matches_snapshot(flow, snapshot)
    """
    __tracebackhide__ = True
    target = Path(path)
    text = flow.to_json()
    if update if update is not None else _state["update"]:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return
    if not target.exists():
        raise AssertionError(
            f"Flow {flow.name!r}: snapshot {str(target)!r} does not exist. "
            f"Run pytest {UPDATE_OPTION} to create it, then commit it."
        )
    stored = target.read_text(encoding="utf-8")
    if stored == text:
        return
    secrets = _secret_names(flow)
    expected, actual = _masked(stored, secrets), _masked(text, secrets)
    lines = [f"Flow {flow.name!r} does not match snapshot {str(target)!r}."]
    lines.extend(_summary(stored, text, secrets))
    diff = list(
        difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            fromfile=f"{target} (snapshot)",
            tofile="flow",
            lineterm="",
        )
    )
    if len(diff) > _MAX_DIFF_LINES:
        diff = [*diff[:_MAX_DIFF_LINES], f"... {len(diff) - _MAX_DIFF_LINES} more diff lines"]
    lines.extend(diff)
    lines.append(f"If the change is intended, run pytest {UPDATE_OPTION} and commit the snapshot.")
    raise AssertionError("\n".join(lines))


def _secret_names(flow: Flow) -> set[str]:
    names: set[str] = set()
    special = [
        flow.error_stage,
        flow.stats_aggregator_stage,
        flow.start_event,
        flow.stop_event,
        flow.test_origin,
    ]
    for stage in [*flow.stages, *(s for s in special if s is not None)]:
        if stage.definition is not None:
            names.update(ref.name for ref in stage.definition.config_refs if ref.definition.is_secret)
    return names


def _walk_configs(document: Any, secrets: set[str]) -> Any:
    if isinstance(document, dict):
        masked = {key: _walk_configs(value, secrets) for key, value in document.items()}
        if masked.get("name") in secrets and masked.get("value") not in (None, ""):
            masked["value"] = _MASK
        return masked
    if isinstance(document, list):
        return [_walk_configs(item, secrets) for item in document]
    return document


def _masked(text: str, secrets: set[str]) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        return text
    return json.dumps(_walk_configs(document, secrets), indent=2, ensure_ascii=False) + "\n"


def _stages(document: Any) -> dict[str, dict[str, Any]]:
    root = document.get("pipelineConfig", document) if isinstance(document, dict) else {}
    stages = root.get("stages") if isinstance(root, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for stage in stages if isinstance(stages, list) else []:
        if isinstance(stage, dict) and isinstance(stage.get("instanceName"), str):
            configs = stage.get("configuration")
            values: dict[str, Any] = {}
            for config in configs if isinstance(configs, list) else []:
                if isinstance(config, dict) and isinstance(config.get("name"), str):
                    values[config["name"]] = config.get("value")
            found[stage["instanceName"]] = {"configs": values, "inputs": stage.get("inputLanes")}
    return found


def _summary(stored: str, text: str, secrets: set[str]) -> list[str]:
    try:
        old, new = _stages(json.loads(stored)), _stages(json.loads(text))
    except ValueError:
        return ["The snapshot is not valid JSON."]
    lines = []
    added = [name for name in new if name not in old]
    removed = [name for name in old if name not in new]
    if added:
        lines.append(f"  stages added: {', '.join(added)}")
    if removed:
        lines.append(f"  stages removed: {', '.join(removed)}")
    for name in (n for n in new if n in old):
        before, after = old[name]["configs"], new[name]["configs"]
        for config in dict.fromkeys([*before, *after]):
            if before.get(config) != after.get(config):
                shown = (_MASK, _MASK) if config in secrets else (before.get(config), after.get(config))
                lines.append(f"  {name} config {config!r}: {_short(shown[0])} -> {_short(shown[1])}")
        if old[name]["inputs"] != new[name]["inputs"]:
            lines.append(f"  {name} input lanes: {old[name]['inputs']} -> {new[name]['inputs']}")
    return lines


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
