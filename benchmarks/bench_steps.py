"""Machine instructions each operation executes, counted by Valgrind: growth without the caches.

    python benchmarks/bench_steps.py [--sizes 10000 100000] [--shapes ...] [--jobs 2]

``bench_shapes.py`` times operations; on this machine its figures grow 11x to 14x from 10,000
to 100,000 stages, ``json.dumps`` included, because a 10,000-stage flow (about 16 MB) fits in
the processor's 32 MB cache and a 100,000-stage one does not. This benchmark counts what the
processor is asked to do instead: Valgrind's ``callgrind`` counts every machine instruction the
Python process executes (the interpreter, CPython's C code, networkx, flowbuilder), which is the
same on any machine and does not depend on caches. An operation that is linear in the size of the
flow executes 10 times the instructions for 10 times the stages; a quadratic one, 100 times.

Each (shape, size) runs once, in a fresh process under ``valgrind --tool=callgrind``, with the
same shapes as ``bench_shapes.py``: build, validate, compile (``to_dict``), import
(``Flow.from_json`` of that dict) and remove (half the stages, one by one). ``os.getppid()``
marks the end of each operation (callgrind dumps its counters on entering CPython's
``os_getppid``), so the counts are per operation. ``PYTHONHASHSEED=0`` makes runs repeatable.
Needs ``valgrind`` (Debian's package); about 40 minutes for every shape at 10,000 and 100,000
stages with two jobs, the import counts longest. Rendering to DOT is left out: it takes 5.6 to
9.3 s at 100,000 stages, and Valgrind runs this code about 75 times slower (5.4 billion
instructions of a 1.0 s compile counted in 78 s), ten minutes or more per shape.

Figures (``--sizes 10000 100000 --jobs 2``, 2026-12-04, at e53e182, 39 minutes): every operation
of every shape executes 9.1x to 10.05x the instructions for 10 times the stages, except building
the fan-out with ``connect_output_to``, 10.57x (the garbage collector; docs/performance.md,
"Growth", has the table and the reason).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_shapes import ROOT, SHAPES  # the shapes are the timing benchmark's own

OPERATIONS = ("build", "validate", "compile", "import", "remove")


def run_one(shape: str, size: int) -> None:
    """The operations, each followed by the marker callgrind dumps its counters at."""
    sys.path.insert(0, str(ROOT))
    from flowbuilder import Flow

    build = SHAPES[shape]
    build(10)  # warm up: loads the catalog and the definitions the shape uses
    os.getppid()
    flow = build(size)
    os.getppid()
    result = flow.validate()
    os.getppid()
    document = flow.to_dict()
    os.getppid()
    imported = Flow.from_json(document)
    os.getppid()
    for stage in list(imported.stages)[1::2]:
        imported.remove_stage(stage)
    os.getppid()
    assert not result.errors, result.errors[:3]
    assert len(flow.stages) == size, (shape, len(flow.stages))


def count(shape: str, size: int) -> dict[str, int]:
    """Instructions per operation for one (shape, size), from callgrind's dumps."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--dump-before=os_getppid",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--one",
                shape,
                str(size),
            ],
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True,
            check=True,
        )
        # out.1 is start-up and warm-up; out.2 ... one per operation; out itself is the exit.
        totals = []
        for part in range(2, 2 + len(OPERATIONS)):
            text = Path(f"{out}.{part}").read_text()
            summary = next(line for line in text.splitlines() if line.startswith("summary:"))
            totals.append(int(summary.split()[1]))
        if Path(f"{out}.{2 + len(OPERATIONS)}").exists():
            raise RuntimeError("os.getppid() was called outside the markers; the counts would be wrong")
    return dict(zip(OPERATIONS, totals, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one[0], int(args.one[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    runs = [(shape, size) for shape in args.shapes for size in args.sizes]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        counts = dict(zip(runs, pool.map(lambda run: count(*run), runs), strict=True))
    header = " ".join(f"{op:>9}" for op in OPERATIONS)
    print(f"{'shape':<15} {'stages':>7} {header}  (millions)  worst growth")
    worst = 0.0
    for shape in args.shapes:
        previous: dict[str, int] | None = None
        for size in args.sizes:
            row = counts[shape, size]
            growth = ""
            if previous is not None:
                ratios = {op: row[op] / previous[op] for op in OPERATIONS}
                name = max(ratios, key=lambda op: ratios[op])
                worst = max(worst, ratios[name])
                growth = f"{ratios[name]:.2f}x ({name})"
            cells = " ".join(f"{row[op] / 1e6:>9.0f}" for op in OPERATIONS)
            print(f"{shape:<15} {size:>7} {cells}              {growth}", flush=True)
            previous = row
    print(f"worst growth: {worst:.2f}x")
    print(json.dumps({f"{shape} {size}": row for (shape, size), row in counts.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
