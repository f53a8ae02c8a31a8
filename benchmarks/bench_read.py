"""What reading JSON costs: time and peak memory of ``load_json`` and ``Flow.from_json``, by ``json.loads``.

    python benchmarks/bench_read.py [--repeat 7]

Documents: the three largest real flows of the shared corpus (``../shared/corpus``, skipped when
absent), flowbuilder's own ``to_json()`` of a 20,000-stage Trash fan-out, and documents of about
9 to 15 MB packed with tiny values inside a flow envelope (3,000,000 empty lists, empty objects,
numbers or short strings). For each: the best time of ``--repeat`` runs (wall clock, no tracing)
and the peak of Python memory during one run (``tracemalloc``) as a multiple of the text; a
document flowbuilder refuses shows ``refused`` and the peak reached before it stopped. The bound
is five times the text plus 8 MiB (``flowbuilder._json.memory_limit``, docs/security.md).

Figures (2-core machine, 2026-12-04): the largest real flows read in 76-86 ms (``json.loads``
14-19 ms) at 2.5-2.6x their text (``json.loads`` 5.6-5.7x), built into flows at 2.8-3.1x; the
dense documents are refused at 5.3-5.5x (``json.loads`` 8.2-25x) but for the short strings, read
at 1.65x (one shared string).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowbuilder import Flow, FlowFormatError
from flowbuilder._json import load_json

__all__ = ["documents", "main"]

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pipelines"


def documents() -> dict[str, bytes]:
    """The documents read, by name."""
    found: dict[str, bytes] = {}
    for path in sorted(CORPUS.glob("*.json"), key=lambda p: -p.stat().st_size)[:3]:
        found[path.stem[:32]] = path.read_bytes()
    flow = Flow("wide")
    source = flow.add_stage("Dev Raw Data Source")
    source >> [flow.add_stage("Trash") for _ in range(19_999)]
    found["flowbuilder, 20,000 Trash"] = flow.to_json().encode()
    for name, item in (("[]", b"[]"), ("{}", b"{}"), ("1000", b"1000"), ('"ab"', b'"ab"')):
        found[f"3,000,000 x {name}"] = (
            b'{"pipelineConfig": {"stages": [], "x": [' + b",".join([item] * 3_000_000) + b"]}}"
        )
    return found


def _run(read: Callable[[], Any], repeat: int) -> tuple[float, float, str]:
    """Best seconds of ``repeat`` runs, the peak of one traced run, and whether it was refused."""
    outcome = "read"
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            read()
        except FlowFormatError:
            outcome = "refused"
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    with contextlib.suppress(FlowFormatError):
        read()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak, outcome


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    found = documents()
    Flow.from_json(next(iter(found.values())))  # the catalog, loaded once
    print(f"{'document':<34} {'MB':>6} {'json.loads':>18} {'load_json':>26} {'Flow.from_json':>26}")
    for name, data in found.items():
        dense = name.startswith("3,000,000")
        repeat = 1 if dense else args.repeat  # the dense documents take seconds each
        cells = []
        for function in (json.loads, load_json, Flow.from_json):
            seconds, peak, outcome = _run(functools.partial(function, data), repeat)
            cells.append(
                f"{seconds * 1000:7.0f} ms {peak / len(data):5.2f}x"
                + (" refused" if outcome == "refused" else "")
            )
        print(f"{name:<34} {len(data) / 1e6:6.1f} " + " ".join(f"{cell:>26}" for cell in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
