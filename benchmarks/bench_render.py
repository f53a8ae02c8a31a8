"""How long drawing takes: ``to_dot``, ``to_mermaid`` and the ``dot -Tsvg`` run, for 100 and 1,000 stages.

    python benchmarks/bench_render.py            # 100 and 1000 stages
    python benchmarks/bench_render.py 100 5000   # other sizes

Each flow is one origin feeding a chain of processors, with a Stream Selector every 25 stages
(one predicate lane continuing, the default lane to a destination) and a destination whose event
lane feeds an executor every 50: all stage types, predicates and event lanes, as real flows
have. The SVG is parsed to check every stage and lane was drawn; the figures are wall-clock
seconds (best of several runs for the Python steps, one run of ``dot``). ``to_dot`` and
``to_mermaid`` include validating the flow, whose issues they draw.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable

from flowbuilder import Flow
from flowbuilder.render import to_dot, to_mermaid

__all__ = ["build", "main"]


def build(stages: int) -> Flow:
    """A valid flow of exactly ``stages`` canvas stages."""
    flow = Flow(f"bench-{stages}")
    path = flow.source("Dev Raw Data Source", data_format="JSON", raw_data='{"a": 1}')
    count = 1
    while count < stages:
        left = stages - count
        if count % 25 == 0 and left >= 3:
            selector = path.to("Stream Selector")
            selector.otherwise().to("Trash")
            path = selector.when(f"${{record:value('/a') > {count}}}").to("Dev Identity")
            count += 3
        elif count % 50 == 1 and left >= 3:
            written = path.to("Local FS", directory_template=f"/data/{count}", data_format="JSON")
            written.events().to("Shell", script=f"echo {count}")
            path = path.to("Dev Identity")
            count += 3
        elif left == 1:
            path.to("Trash")
            count += 1
        else:
            path = path.to("Dev Identity")
            count += 1
    return flow


def _best(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def _count(svg: str) -> tuple[int, int]:
    root = ET.fromstring(svg)
    classes = [(g.get("class") or "").split() for g in root.iter("{http://www.w3.org/2000/svg}g")]
    stages = sum(1 for c in classes if "stage" in c and "settings" not in c)
    lanes = sum(1 for c in classes if "lane" in c)
    return stages, lanes


def main(sizes: list[int]) -> int:
    """Print one row of timings per size; exit 1 if a drawing lacks a stage or a lane."""
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz 'dot' is not installed: apt-get install graphviz / brew install graphviz")
        return 1
    print(
        f"{'stages':>7} {'lanes':>6} {'validate s':>11} {'to_dot s':>9} {'to_mermaid s':>13} "
        f"{'dot -Tsvg s':>12} {'SVG KiB':>8}"
    )
    failed = False
    for size in sizes:
        flow = build(size)
        runs = 5 if size <= 1000 else 2
        validate_seconds = _best(flow.validate, runs)
        dot_seconds = _best(functools.partial(to_dot, flow), runs)
        mermaid_seconds = _best(functools.partial(to_mermaid, flow), runs)
        text = to_dot(flow)
        start = time.perf_counter()
        svg = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True, check=True).stdout
        dot_run = time.perf_counter() - start
        stages, lanes = _count(svg)
        edges = flow.graph.number_of_edges()
        print(
            f"{size:>7} {edges:>6} {validate_seconds:>11.3f} {dot_seconds:>9.3f} {mermaid_seconds:>13.3f} "
            f"{dot_run:>12.2f} {len(svg.encode()) / 1024:>8.0f}"
        )
        if (stages, lanes) != (len(flow.stages), edges) or len(flow.stages) != size:
            print(f"  drawn {stages} stages and {lanes} lanes, expected {size} and {edges}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([int(arg) for arg in sys.argv[1:]] or [100, 1000]))
