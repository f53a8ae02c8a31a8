"""The long fuzz run: hypothesis-driven inputs through every target, counting inputs and crashes.

    python scripts/fuzz.py                          # 20,000 inputs per target
    python scripts/fuzz.py --examples 100000 --seed 7 --target from_json --target el
    python scripts/fuzz.py --minutes 30             # stop each target after a time budget instead

Targets (tests/reliability/targets.py): ``from_json`` (Flow.from_json on mutated flow documents,
byte-mutated JSON text and random JSON, then validate, to_json, to_dot, to_mermaid and reprs),
``to_python`` (the same inputs through Python generation; the generated source must run),
``preview`` (the same inputs through the preview runner with sample records), ``definitions``
(flow exports whose embedded ``libraryDefinitions`` are mutated structurally: keys dropped,
values of the wrong JSON type, empty, huge or negative, config and model fields at odds; then
from_json, validate, to_json, to_dot, to_mermaid and to_python, whose source must run),
``archive`` (export zips damaged byte by byte and in their header fields, and zips built member by
member with other compressions, duplicate, absolute and ``..`` names, non-JSON, non-object and
deeply nested members; imported through the store and through Project.import_flows, and a refused
import must leave the store as it was), ``el`` (the expression-language parser and evaluator)
and ``server`` (the ``flowbuilder serve`` WSGI app: methods, paths, ids, queries, headers,
Content-Length values and bodies; a 500 answer is a crash). A FlowbuilderError is the expected
answer to bad input; anything else is a crash, printed once per distinct error type and place,
with the first input that caused it. The CI-sized run of the same targets is
tests/reliability/test_fuzz.py. Exit status 1 when any crash was found. The run's address space is
capped (``--memory-gb``), so an input that makes flowbuilder take unbounded memory is reported as
a MemoryError crash.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import resource
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.targets import Crash, Target, seeds, targets

__all__ = ["main", "run_target"]


class _OutOfTime(Exception):
    pass


def run_target(
    target: Target, examples: int, random_seed: int, deadline: float | None
) -> tuple[int, list[Crash]]:
    """Run ``examples`` inputs through ``target``; returns how many ran and the distinct crashes."""
    tried = 0
    crashes: dict[tuple[str, str], Crash] = {}
    counts: collections.Counter[tuple[str, str]] = collections.Counter()

    @seed(random_seed)
    @settings(
        max_examples=examples,
        phases=[Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(target.inputs)
    def fuzz(value: object) -> None:
        nonlocal tried
        if deadline is not None and time.monotonic() > deadline:
            raise _OutOfTime
        tried += 1
        try:
            target.run(value)
        except Crash as crash:
            counts[crash.key] += 1
            crashes.setdefault(crash.key, crash)

    with contextlib.suppress(_OutOfTime):
        fuzz()
    return tried, list(crashes.values())


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz targets and print, per target, the inputs tried and the crashes found."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=None,
        help="inputs per target (default 20,000; no limit but the time budget with --minutes)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--minutes", type=float, default=None, help="time budget per target")
    parser.add_argument("--target", action="append", help="run only these targets (repeatable)")
    parser.add_argument(
        "--memory-gb",
        type=float,
        default=4,
        help="address-space limit (default 4 GB): an input that makes flowbuilder take more is a "
        "MemoryError, reported as a crash, instead of the kernel killing the run",
    )
    parser.add_argument(
        "--seed-bytes",
        type=int,
        default=60_000,
        help="mutate corpus files up to this size (default 60,000 bytes; larger ones are slow to copy)",
    )
    options = parser.parse_args(argv)
    if options.examples is None:
        options.examples = 10**9 if options.minutes else 20_000
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = int(options.memory_gb * 2**30)
    resource.setrlimit(
        resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard)
    )
    chosen = list(targets(seeds(options.seed_bytes)))
    if options.target:
        unknown = set(options.target) - {t.name for t in chosen}
        if unknown:
            parser.error(
                f"unknown target(s) {', '.join(sorted(unknown))}; known: {', '.join(t.name for t in chosen)}"
            )
        chosen = [t for t in chosen if t.name in options.target]
    total_crashes = 0
    print(f"{'target':<10} {'inputs':>10} {'crashes':>8} {'seconds':>8}")
    for target in chosen:
        started = time.monotonic()
        deadline = started + options.minutes * 60 if options.minutes else None
        tried, crashes = run_target(target, options.examples, options.seed, deadline)
        print(
            f"{target.name:<10} {tried:>10,} {len(crashes):>8} {time.monotonic() - started:>8.0f}", flush=True
        )
        for crash in crashes:
            print(f"    {crash}", flush=True)
        total_crashes += len(crashes)
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
