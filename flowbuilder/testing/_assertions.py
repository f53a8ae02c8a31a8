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
    from .._document import mask_secrets
    from ..diff import diff_definitions

    lines = [f"Flow {flow.name!r} does not match snapshot {str(target)!r}."]
    try:
        before: Any = json.loads(stored)
    except ValueError:
        lines.append("The snapshot is not valid JSON.")
        expected = stored  # not a flow: nothing in it can be told apart as a secret
    else:
        lines.extend(
            "  " + line for line in diff_definitions(before, flow.to_dict(), catalog=flow.catalog).lines()
        )
        if isinstance(before, dict):
            before = mask_secrets(before, flow.catalog)
        expected = json.dumps(before, indent=2, ensure_ascii=False) + "\n"
    actual = json.dumps(mask_secrets(flow.to_dict(), flow.catalog), indent=2, ensure_ascii=False) + "\n"
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
