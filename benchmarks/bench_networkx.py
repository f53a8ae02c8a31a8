"""networkx alone, on the graphs flowbuilder keeps: how its own time grows from 10,000 stages up.

    python benchmarks/bench_networkx.py [--sizes 10000 100000] [--shapes ...] [--repeat 3]

A reference for ``bench_shapes.py``, as ``json.dumps`` is for compiling. Every flow's one source
of truth is a ``networkx.MultiDiGraph`` (nodes: instance names; edges: ``kind``, ``output``,
``position``), so adding and removing stages costs at least what networkx takes to add and
remove those nodes and edges. This benchmark builds each shape of ``bench_shapes.py`` with
flowbuilder and writes its graph's nodes and edges to a file (the same names and edge
attributes); a fresh process reads them (each node's ``stage`` a bare object) and times networkx
alone:

- ``build``: a new ``MultiDiGraph`` made node by node and edge by edge, in the flow's order;
- ``remove``: ``remove_node`` of every other node, as ``bench_shapes.py`` removes every other stage.

The collector is paused while timing, as flowbuilder pauses it while building. Each (shape, size)
runs in a fresh process; each figure is the best of ``--repeat`` runs, in CPU seconds.

Figures (``--sizes 1000 10000 100000 --repeat 3``, 2-core machine, quiet, 2026-12-04, two runs):
from 10,000 to 100,000 stages networkx alone takes 10.9x to 12.5x the time to build these graphs
and 13.3x to 20.0x to remove half their nodes (0.005 to 0.013 s at 10,000 stages, 0.08 to 0.19 s
at 100,000), where flowbuilder's whole removal, networkx's part included, grew 11.4x to 14.1x
(``bench_shapes.py``); from 1,000 to 10,000, 9.6x to 10.3x to build and 11.6x to 21.4x to remove.
See docs/performance.md, "Growth".
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_shapes import ROOT, SHAPES

OPERATIONS = ("build", "remove")
#: One shape a graph: the three fan-outs of ``bench_shapes.py`` make the same graph.
GRAPH_SHAPES = ("fanout-list", "fanin", "chain-classic", "selector")


def write_graph(shape: str, size: int, path: Path) -> None:
    """The nodes and edges (with their attributes) of the flow of ``shape`` and ``size``."""
    sys.path.insert(0, str(ROOT))
    graph = SHAPES[shape](size)._graph
    edges = [[u, v, data] for u, v, data in graph.edges(data=True)]
    path.write_text(json.dumps({"nodes": list(graph.nodes), "edges": edges}))


def measure(path: Path) -> dict[str, float]:
    """Time networkx alone building the graph in ``path`` and removing every other node."""
    import networkx as nx

    written = json.loads(path.read_text())
    nodes, edges = written["nodes"], written["edges"]
    gc.collect()
    gc.disable()
    clock = time.process_time
    start = clock()
    graph = nx.MultiDiGraph()
    for node in nodes:
        graph.add_node(node, stage=object())
    for source, target, data in edges:
        graph.add_edge(source, target, **data)
    built = clock()
    for node in nodes[1::2]:
        graph.remove_node(node)
    removed = clock()
    gc.enable()
    return {"build": built - start, "remove": removed - built}


def best_of(shape: str, size: int, repeat: int) -> dict[str, float]:
    """Each figure's best over ``repeat`` runs, each in a fresh process."""

    def run(*args: str) -> str:
        command = [sys.executable, __file__, *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "graph.json"
        run("--graph", shape, str(size), str(path))
        runs: list[dict[str, float]] = [json.loads(run("--one", str(path))) for _ in range(repeat)]
    return {name: min(one[name] for one in runs) for name in OPERATIONS}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--shapes", nargs="+", choices=GRAPH_SHAPES, default=list(GRAPH_SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--graph", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.graph:
        write_graph(args.graph[0], int(args.graph[1]), Path(args.graph[2]))
        return 0
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    print(f"{'shape':<15} {'stages':>7} " + " ".join(f"{c:>8}" for c in OPERATIONS) + "  growth")
    for shape in args.shapes:
        previous: dict[str, float] | None = None
        for size in args.sizes:
            row = best_of(shape, size, args.repeat)
            growth = ""
            if previous is not None:
                growth = ", ".join(f"{c} {row[c] / max(previous[c], 1e-6):.1f}x" for c in OPERATIONS)
            print(
                f"{shape:<15} {size:>7} " + " ".join(f"{row[c]:>8.4f}" for c in OPERATIONS) + f"  {growth}",
                flush=True,
            )
            previous = row
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
