"""Deterministic auto-arrange: canvas positions for stages the user did not place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lanes import incoming, topological_order

if TYPE_CHECKING:
    from ..flow import Flow

__all__ = ["X_START", "X_STEP", "Y_START", "Y_STEP", "auto_arrange"]

X_START, Y_START = 60, 50
X_STEP, Y_STEP = 220, 150


def auto_arrange(flow: Flow) -> dict[str, tuple[int, int]]:
    """Positions ``{node: (x, y)}`` for every canvas stage, in linear time.

    Stages go left to right by depth (one column per step from an origin); within a column a
    stage sits level with its first input when that row is free, else on the next free row.
    The order is the graph's topological order (Kahn's algorithm over insertion order), so the same
    flow always gets the same layout. Cycles fall back to insertion order.

    >>> from flowbuilder import Flow
    >>> flow = Flow("demo").source("Dev Raw Data Source").to("Trash").flow
    >>> auto_arrange(flow)
    {'DevRawDataSource_01': (60, 50), 'Trash_01': (280, 50)}
    """
    graph = flow._graph
    order = topological_order(graph) or list(graph.nodes)
    column: dict[str, int] = {}
    row: dict[str, int] = {}
    next_free: dict[int, int] = {}
    for node in order:
        inputs = incoming(graph, node)
        placed = [u for u, _ in inputs if u in column]
        if placed:
            depth = max(column[u] for u in placed) + 1
            wanted = row[placed[0]]
            if any(d["kind"] == "event" for _, d in inputs):
                wanted += 1
        else:
            depth, wanted = 0, 0
        chosen = max(wanted, next_free.get(depth, 0))
        next_free[depth] = chosen + 1
        column[node], row[node] = depth, chosen
    return {node: (X_START + X_STEP * column[node], Y_START + Y_STEP * row[node]) for node in graph.nodes}
