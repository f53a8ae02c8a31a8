"""Every operation on flows of every shape, at 1,000 to 100,000 stages: time, peak memory, growth.

    python benchmarks/bench_shapes.py [--sizes 1000 10000 100000] [--shapes ...] [--repeat 3]

No operation may cost more than linear time in the size of the flow, whatever its shape. Each
shape is built the way users write it, then validated, compiled (``to_dict``), imported back
(``Flow.from_json`` of that dict) and drawn (``to_dot``); ``remove`` removes half the stages one
by one; ``dumps`` is ``json.dumps`` of the compiled dict (what ``to_json`` adds), and
``compile/dumps`` compares the two (target: at most 2 at 10,000 stages and above).

Each run is a fresh process that builds one flow and runs every operation on it once, as a
user's process does; each figure is the best of ``--repeat`` such runs, in CPU seconds. (Runs
repeated inside one process timed the heap the runs before had left: at 100,000 stages, building
the list fan-out then grew 13.2x from 10,000, in fresh processes 12.4x.) "peak MB" is the
process's peak memory up to the end of the compile (building, validating and compiling), "all
MB" its peak after everything, the largest over the runs. Each row ends with the largest growth
from the previous size among its figures. Targets: at most 11x for
10x the stages, and 100,000 stages of every shape built, validated and compiled in under 10 s
and 1 GB.

Shapes (N stages in all):
  fanout-edges    an origin, then ``source >> trash`` for N-1 Trash stages, one edge at a time
  fanout-connect  the same with ``source.connect_output_to(trash)``
  fanout-list     the same with one ``source >> [trash, ...]``
  fanin           an origin fanned out to N-2 processors, each then ``>>`` one shared Trash
  chain-dsl       ``Flow(...).source(...).to("Expression Evaluator")...`` N-2 times, then Trash
  chain-classic   ``a >> b`` along a chain of N stages made with ``add_stage``
  selector        an origin, a Stream Selector with N-3 predicates (``path.when(p).to("Trash")``)
                  and its default lane to one more Trash

Figures (``--sizes 1000 10000 100000 --repeat 3``, 2-core machine, quiet, 2026-12-04, at
e53e182): 100,000 stages built, validated and compiled in 3.5 s (fan-outs) to 7.0 s (fan-in),
peak 318 to 644 MB; drawn in 5.6 to 9.3 s; compile 0.36 to 0.56 of ``dumps``; growth from 10,000
to 100,000 stages 11.5x to 14.1x per shape at its worst (``json.dumps`` itself 9.5x to 10.3x,
drawing 9.4x to 10.6x). The instructions behind these figures grow 10.0x (``bench_steps.py``);
the same memory work without flowbuilder grows 9.8x to 17.2x (``bench_reference.py``);
the table and why the times grow faster are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ("build", "validate", "compile", "dumps", "import", "dot", "remove")


def _fanout(kind: str) -> Callable[[int], Any]:
    def build(size: int) -> Any:
        from flowbuilder import Flow

        flow = Flow(f"fanout-{kind}")
        source = flow.add_stage("Dev Raw Data Source")
        if kind == "list":
            source >> [flow.add_stage("Trash") for _ in range(size - 1)]
        elif kind == "connect":
            for _ in range(size - 1):
                source.connect_output_to(flow.add_stage("Trash"))
        else:
            for _ in range(size - 1):
                source >> flow.add_stage("Trash")
        return flow

    return build


def _fanin(size: int) -> Any:
    from flowbuilder import Flow

    flow = Flow("fanin")
    source = flow.add_stage("Dev Raw Data Source")
    middle = [flow.add_stage("Field Remover") for _ in range(size - 2)]
    source >> middle
    sink = flow.add_stage("Trash")
    for stage in middle:
        stage >> sink
    return flow


def _chain_dsl(size: int) -> Any:
    from flowbuilder import Flow

    path = Flow("chain-dsl").source("Dev Raw Data Source", raw_data='{"a": 1}')
    for _ in range(size - 2):
        path = path.to("Expression Evaluator")
    return path.to("Trash").flow


def _chain_classic(size: int) -> Any:
    from flowbuilder import Flow

    flow = Flow("chain-classic")
    previous = flow.add_stage("Dev Raw Data Source")
    for _ in range(size - 2):
        stage = flow.add_stage("Expression Evaluator")
        previous >> stage
        previous = stage
    previous >> flow.add_stage("Trash")
    return flow


def _selector(size: int) -> Any:
    from flowbuilder import Flow

    selector = Flow("selector").source("Dev Raw Data Source").to("Stream Selector")
    for n in range(size - 3):
        selector.when(f"${{record:value('/n') == {n}}}").to("Trash")
    return selector.otherwise().to("Trash").flow


SHAPES: dict[str, Callable[[int], Any]] = {
    "fanout-edges": _fanout("edges"),
    "fanout-connect": _fanout("connect"),
    "fanout-list": _fanout("list"),
    "fanin": _fanin,
    "chain-dsl": _chain_dsl,
    "chain-classic": _chain_classic,
    "selector": _selector,
}


def measure(shape: str, size: int) -> dict[str, float]:
    """One run of every operation on a new flow of ``shape`` and ``size``, in CPU seconds."""
    sys.path.insert(0, str(ROOT))
    from flowbuilder import Flow

    build = SHAPES[shape]
    build(10)  # warm up: loads the catalog and the definitions the shape uses
    clock = time.process_time
    gc.collect()
    start = clock()
    flow = build(size)
    built = clock()
    result = flow.validate()
    validated = clock()
    document = flow.to_dict()
    compiled = clock()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # building, validating, compiling
    json.dumps(document, indent=2, ensure_ascii=False)  # what to_json adds to to_dict
    dumped = clock()
    imported = Flow.from_json(document)
    read = clock()
    flow.to_dot()
    drawn = clock()
    for stage in list(imported.stages)[1::2]:
        imported.remove_stage(stage)
    removed = clock()
    assert len(flow.stages) == size, (shape, len(flow.stages))
    assert not result.errors, result.errors[:3]
    return {
        "build": built - start,
        "validate": validated - built,
        "compile": compiled - validated,
        "dumps": dumped - compiled,
        "import": read - dumped,
        "dot": drawn - read,
        "remove": removed - drawn,
        "peak_mb": peak_mb,
        "peak_all_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def best_of(shape: str, size: int, repeat: int) -> dict[str, float]:
    """Each figure's best over ``repeat`` runs, each in a fresh process (peaks: the largest)."""
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, __file__, "--one", shape, str(size)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(repeat)
    ]
    best = {name: min(run[name] for run in runs) for name in OPERATIONS}
    best["build+validate+compile"] = best["build"] + best["validate"] + best["compile"]
    best["compile/dumps"] = best["compile"] / max(best["dumps"], 1e-6)
    best["peak_mb"] = max(run["peak_mb"] for run in runs)
    best["peak_all_mb"] = max(run["peak_all_mb"] for run in runs)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return 0
    columns = (*OPERATIONS, "build+validate+compile", "compile/dumps")
    print(
        f"{'shape':<15} {'stages':>7} "
        + " ".join(f"{c[:8]:>8}" for c in columns)
        + f" {'peak MB':>8} {'all MB':>7}  worst growth"
    )
    worst_overall = 0.0
    for shape in args.shapes:
        previous: dict[str, float] | None = None
        for size in args.sizes:
            row = best_of(shape, size, args.repeat)
            growth = ""
            if previous is not None:
                ratios = {c: row[c] / max(previous[c], 1e-4) for c in columns if c != "compile/dumps"}
                name = max(ratios, key=lambda c: ratios[c])
                worst_overall = max(worst_overall, ratios[name]) if row[name] >= 0.05 else worst_overall
                growth = f"{ratios[name]:.1f}x ({name})"
            print(
                f"{shape:<15} {size:>7} "
                + " ".join(f"{row[c]:>8.3f}" for c in columns)
                + f" {row['peak_mb']:>8.0f} {row['peak_all_mb']:>7.0f}  {growth}",
                flush=True,
            )
            previous = row
    print(f"worst growth of a figure of 0.05 s or more: {worst_overall:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
