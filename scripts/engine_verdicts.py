"""Hold flowbuilder's validation against the verdicts real engines recorded in their exports.

    python scripts/engine_verdicts.py                 # the corpus (tests/corpus/pipelines)
    python scripts/engine_verdicts.py a.json dir/     # other exports

An export carries the engine's own validation: ``valid`` and ``issues`` (``pipelineIssues``,
``stageIssues``). For every file that has one this reports

- false errors: errors ``validate()`` reports on a flow the engine recorded as valid;
- engine issues that can be checked offline (a required value, error handling not configured, an
  output lane no stage reads) and whether ``validate()`` reports each on the same stage and config
  with the engine's code in ``engine_code``;
- issues left out: those the exporting engine raised because it lacked a stage library
  (``VALIDATION_0006``, ``CONTAINER_0901``, ``CREATION_006``) say nothing about the flow, and
  those that need a running engine (connections, credentials).

Exit status 1 when there is a false error or a missed offline-checkable issue.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flowbuilder import Flow
from flowbuilder.compile import from_json
from flowbuilder.validate import Issue

__all__ = ["LIBRARY_MISSING", "OFFLINE", "EngineIssue", "Verdict", "compare", "main", "verdicts"]

CORPUS = ROOT / "tests" / "corpus" / "pipelines"
#: Engine codes flowbuilder can check without an engine, and what they mean.
OFFLINE = {
    "VALIDATION_0007": "a required config without a value",
    "CREATION_009": "error record handling not configured",
    "VALIDATION_0011": "an output lane no stage reads",
}
#: Codes an engine raises when it lacks the stage's library: about the engine, not the flow.
LIBRARY_MISSING = {
    "VALIDATION_0006": "stage definition does not exist in the exporting engine",
    "CONTAINER_0901": "the exporting engine could not find the stage definition",
    "CREATION_006": "stage definition not found by the exporting engine",
}
_CODE = re.compile(r"^([A-Z_]+_\d+)\b")


@dataclass(frozen=True)
class EngineIssue:
    """One issue an engine recorded: its code, stage instance (None: the flow) and config."""

    code: str
    stage: str | None
    config: str | None

    def __str__(self) -> str:
        where = self.stage or "the flow"
        return f"{self.code} on {where}" + (f" config {self.config}" if self.config else "")


@dataclass
class Verdict:
    """What the engine recorded for one export against what ``validate()`` reports."""

    file: str
    engine_valid: bool
    checkable: list[EngineIssue] = field(default_factory=list)
    missed: list[EngineIssue] = field(default_factory=list)
    false_errors: list[Issue] = field(default_factory=list)
    left_out: collections.Counter[str] = field(default_factory=collections.Counter)
    warnings: int = 0


def _engine_issues(issues: object) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    if not isinstance(issues, Mapping):
        return
    for issue in issues.get("pipelineIssues") or []:
        if isinstance(issue, Mapping):
            yield issue, None
    stage_issues = issues.get("stageIssues")
    for stage, listed in stage_issues.items() if isinstance(stage_issues, Mapping) else []:
        for issue in listed if isinstance(listed, list) else []:
            if isinstance(issue, Mapping):
                yield issue, str(issue.get("instanceName") or stage)


def _code(issue: Mapping[str, Any]) -> str:
    code = issue.get("errorCode")
    if isinstance(code, str) and code:
        return code
    match = _CODE.match(str(issue.get("message") or ""))
    return match.group(1) if match else "UNKNOWN"


def _python_name(flow: Flow, stage: str | None, config: str | None) -> str | None:
    """The Python name flowbuilder reports the engine's ``config`` by: the stage definition's
    config of that name, else of that field name (the catalog may hold another version)."""
    if config is None:
        return None
    definition = None
    if stage is not None:
        found = [s for s in [*flow.stages, *flow.special_stages.values()] if s.instance_name == stage]
        definition = found[0].definition if found else None
    else:
        definition = flow.configuration._definition
    if definition is None:
        return config
    refs = list(definition.config_refs)
    for ref in refs:
        if ref.name == config:
            return ref.python_name
    field_name = config.rsplit(".", 1)[-1]
    same_field = [
        ref for ref in refs if (ref.definition.field_name or ref.name.rsplit(".", 1)[-1]) == field_name
    ]
    return same_field[0].python_name if len(same_field) == 1 else config


def compare(path: Path) -> Verdict | None:
    """The comparison for one export, or None when it carries no engine verdict."""
    document = json.loads(path.read_text(encoding="utf-8"))
    definition = document.get("pipelineConfig", document) if isinstance(document, Mapping) else {}
    if not isinstance(definition, Mapping) or ("valid" not in definition and "issues" not in definition):
        return None
    flow = from_json(document, location=str(path))
    result = flow.validate()
    verdict = Verdict(path.name, bool(definition.get("valid")), warnings=len(result.warnings))
    if verdict.engine_valid:
        verdict.false_errors = list(result.errors)
    for raw, stage in _engine_issues(definition.get("issues")):
        code = _code(raw)
        if code not in OFFLINE:
            verdict.left_out[code] += 1
            continue
        config = raw.get("configName") if isinstance(raw.get("configName"), str) else None
        engine = EngineIssue(code, stage, config)
        verdict.checkable.append(engine)
        wanted = _python_name(flow, stage, config)
        if not any(
            ours.engine_code == code and ours.stage == stage and (config is None or ours.config == wanted)
            for ours in result.issues
        ):
            verdict.missed.append(engine)
    return verdict


def verdicts(paths: Iterable[Path]) -> list[Verdict]:
    """Every export under ``paths`` (files or folders) that carries a verdict, compared."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    return [verdict for verdict in map(compare, files) if verdict is not None]


def main(argv: list[str] | None = None) -> int:
    """Print the comparison, file by file where something differs, then the totals."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[CORPUS])
    options = parser.parse_args(argv)
    found = verdicts(options.paths)
    for verdict in found:
        for error in verdict.false_errors:
            print(f"{verdict.file}: false error: {error}")
        for issue in verdict.missed:
            print(f"{verdict.file}: missed: {issue}")
    left_out: collections.Counter[str] = collections.Counter()
    for verdict in found:
        left_out.update(verdict.left_out)
    checkable = sum(len(v.checkable) for v in found)
    missed = sum(len(v.missed) for v in found)
    false_errors = sum(len(v.false_errors) for v in found)
    valid = [v for v in found if v.engine_valid]
    print(f"exports with an engine verdict: {len(found)} ({len(valid)} recorded valid)")
    print(f"false errors on flows the engine recorded valid: {false_errors}")
    print(f"offline-checkable engine issues: {checkable}, reported: {checkable - missed}, missed: {missed}")
    for code, count in sorted(left_out.items()):
        reason = LIBRARY_MISSING.get(code, "needs a running engine")
        print(f"left out: {code} x{count} ({reason})")
    print(f"warnings per flow: {sum(v.warnings for v in found) / max(len(found), 1):.1f}")
    return 1 if false_errors or missed else 0


if __name__ == "__main__":
    sys.exit(main())
