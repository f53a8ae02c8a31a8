"""The same memory work without flowbuilder: how its time grows on this machine, 1,000 stages up.

    python benchmarks/bench_reference.py [--sizes 1000 10000 100000] [--shapes ...] [--repeat 3]

References for ``bench_shapes.py``, whose target is that 10 times the stages cost at most 11
times the time. Each is work that flowbuilder's operations cannot avoid, done by other code on
the same data:

- ``nx build``: networkx alone making the flow's graph (every flow's one source of truth is a
  ``networkx.MultiDiGraph``), node by node and edge by edge, with the same node names and edge
  attributes (``kind``, ``output``, ``position``); each node's ``stage`` a bare object;
- ``nx remove``: networkx alone removing every other node of it (``bench_shapes.py`` removes every
  other stage);
- ``loads``: ``json.loads`` of the compiled document's text, CPython's C code making the very
  objects that compiling makes (and importing copies).

A first process builds the shape with flowbuilder and writes its graph and compiled document to
files; each timed run is a fresh process that reads them and times the three with the collector
paused (as flowbuilder pauses it). Each figure is the best of ``--repeat`` runs, in CPU seconds.
``json.dumps``, the reference ``bench_shapes.py`` shows, writes text and makes few objects.

Figures (``--sizes 1000 10000 100000 --repeat 3``, 2-core machine, quiet, 2026-12-04, two runs),
growth from 10,000 to 100,000 stages over the five shapes: ``nx build`` 11.3x to 13.9x,
``nx remove`` 11.3x to 17.2x (0.007 to 0.020 s at 10,000 stages), ``loads`` 9.8x to 11.7x; from
1,000 to 10,000: 9.1x to 10.5x, 15.7x to 26.3x (figures under 0.02 s) and 11.1x to 12.1x.
docs/performance.md ("Growth") sets them beside flowbuilder's.
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

REFERENCES = ("nx build", "nx remove", "loads")
#: One shape a graph: the three fan-outs of ``bench_shapes.py`` make the same graph and document.
SHAPES_USED = ("fanout-list", "fanin", "chain-dsl", "chain-classic", "selector")


def write(shape: str, size: int, directory: Path) -> None:
    """The graph (nodes, edges with their attributes) and compiled JSON of ``shape``'s flow."""
    sys.path.insert(0, str(ROOT))
    flow = SHAPES[shape](size)
    graph = flow._graph
    edges = [[u, v, data] for u, v, data in graph.edges(data=True)]
    (directory / "graph.json").write_text(json.dumps({"nodes": list(graph.nodes), "edges": edges}))
    (directory / "flow.json").write_text(flow.to_json())


def measure(directory: Path) -> dict[str, float]:
    """Time the references on the files ``write`` made."""
    import networkx as nx

    written = json.loads((directory / "graph.json").read_text())
    nodes, edges = written["nodes"], written["edges"]
    text = (directory / "flow.json").read_text()
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
    del graph
    start_loads = clock()
    json.loads(text)
    loaded = clock()
    gc.enable()
    return {"nx build": built - start, "nx remove": removed - built, "loads": loaded - start_loads}


def best_of(shape: str, size: int, repeat: int) -> dict[str, float]:
    """Each figure's best over ``repeat`` runs, each in a fresh process."""

    def run(*args: str) -> str:
        command = [sys.executable, __file__, *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    with tempfile.TemporaryDirectory() as directory:
        run("--write", shape, str(size), directory)
        runs: list[dict[str, float]] = [json.loads(run("--one", directory)) for _ in range(repeat)]
    return {name: min(one[name] for one in runs) for name in REFERENCES}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--shapes", nargs="+", choices=SHAPES_USED, default=list(SHAPES_USED))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write(args.write[0], int(args.write[1]), Path(args.write[2]))
        return 0
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    print(f"{'shape':<15} {'stages':>7} " + " ".join(f"{c:>9}" for c in REFERENCES) + "  growth")
    for shape in args.shapes:
        previous: dict[str, float] | None = None
        for size in args.sizes:
            row = best_of(shape, size, args.repeat)
            growth = ""
            if previous is not None:
                growth = ", ".join(f"{c} {row[c] / max(previous[c], 1e-6):.1f}x" for c in REFERENCES)
            print(
                f"{shape:<15} {size:>7} " + " ".join(f"{row[c]:>9.4f}" for c in REFERENCES) + f"  {growth}",
                flush=True,
            )
            previous = row
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
