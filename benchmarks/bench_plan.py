"""How long plan and apply take for a folder of flows: 200 by default, target under 2 s for a no-op.

    python benchmarks/bench_plan.py            # 200 flows
    python benchmarks/bench_plan.py 50 500     # other sizes

Writes N flow files (.py, each a five-stage flow with an error stage, like examples/flows) into
a temporary folder with a fresh local store, then times, in wall-clock seconds:

- ``discover``: finding and running the N files;
- ``plan (all new)`` and ``apply (create N)``: the first run;
- ``plan (no change)`` and ``apply (no change)``: discover + plan + apply again, which must
  write nothing (checked: zero writes, and the stored revisions are unchanged);
- ``flowbuilder apply --yes (no change)``: the same through the installed command, in a
  subprocess (Python start-up and imports included).

The library figures are the best of three runs; the command is run once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flowbuilder import Project
from flowbuilder.discovery import discover
from flowbuilder.plan import apply, plan

__all__ = ["main", "write_flows"]

_T = TypeVar("_T")

_FLOW = '''"""Benchmark flow {number}."""

from flowbuilder import Flow

selector = (
    Flow("bench-{number:04d}", description="benchmark flow {number}")
    .source("Dev Raw Data Source", data_format="JSON", raw_data='{{"id": {number}}}')
    .to("Expression Evaluator", field_expressions=[{{"fieldToSet": "/n", "expression": "${{{number}}}"}}])
    .to("Stream Selector")
)
big = selector.when("${{record:value('/id') > 100}}")
big.to("Local FS", data_format="JSON", directory_template="/data/big")
selector.otherwise().to("Trash")
flow = selector.flow
flow.set_error_stage("Write to File", directory="/data/errors/{number}")
'''


def write_flows(folder: Path, count: int) -> None:
    """Write ``count`` flow files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"flow_{number:04d}.py").write_text(_FLOW.format(number=number), encoding="utf-8")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark check failed: {message}")


def _timed(function: Callable[[], _T]) -> tuple[float, _T]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def _best(function: Callable[[], _T], runs: int = 3) -> tuple[float, _T]:
    results = [_timed(function) for _ in range(runs)]
    return min(seconds for seconds, _ in results), results[-1][1]


def _revisions(project: Project) -> dict[str, int | None]:
    return {flow.name: flow.revision for flow in project.flows}


def run(count: int) -> None:
    """Time plan and apply for ``count`` flows and print the figures."""
    root = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    try:
        flows_dir = root / "flows"
        write_flows(flows_dir, count)
        seconds, found = _best(lambda: discover([flows_dir]))
        _check(not found.errors and len(found.flows) == count, f"discovery: {found.errors}")
        print(f"{count:>5} flows  discover                        {seconds:7.3f} s")
        with Project.local(root / ".flowbuilder") as project:
            seconds, first = _timed(lambda: plan(discover([flows_dir]).flows, project))
            print(f"{count:>5} flows  discover + plan (all new)       {seconds:7.3f} s")
            seconds, result = _timed(lambda: apply(first, project))
            _check(result.writes == count and not result.failures, "the first apply failed")
            print(f"{count:>5} flows  apply (create {count})              {seconds:7.3f} s")
            before = _revisions(project)
            seconds, again = _best(lambda: plan(discover([flows_dir]).flows, project))
            _check(not again.has_changes and len(again.of("unchanged")) == count, "plan is not a no-op")
            print(f"{count:>5} flows  discover + plan (no change)     {seconds:7.3f} s")

            def noop() -> int:
                planned = plan(discover([flows_dir]).flows, project)
                return apply(planned, project).writes

            seconds, writes = _best(noop)
            _check(writes == 0 and _revisions(project) == before, "the no-op apply wrote")
            print(
                f"{count:>5} flows  discover + plan + apply (no-op) {seconds:7.3f} s   (target < 2 s at 200)"
            )
        command = [shutil.which("flowbuilder") or "flowbuilder", "apply", str(flows_dir), "--yes"]
        seconds, completed = _timed(
            lambda: subprocess.run(
                command, cwd=root, capture_output=True, text=True, env={**os.environ}, check=False
            )
        )
        _check(
            completed.returncode == 0 and "No changes." in completed.stdout,
            completed.stdout + completed.stderr,
        )
        print(f"{count:>5} flows  flowbuilder apply --yes (no-op)  {seconds:7.3f} s   (subprocess)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> None:
    """Run for each size given (200 by default)."""
    for count in [int(arg) for arg in argv] or [200]:
        run(count)


if __name__ == "__main__":
    main(sys.argv[1:])
