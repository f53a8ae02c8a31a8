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
        depth, wanted, placed, events = 0, 0, False, False
        for source, data in incoming(graph, node):  # plain loops: this runs once per stage
            events = events or data["kind"] == "event"
            if source in column:
                if not placed:
                    wanted, placed = row[source], True
                depth = max(depth, column[source] + 1)
        if placed and events:
            wanted += 1
        chosen = max(wanted, next_free.get(depth, 0))
        next_free[depth] = chosen + 1
        column[node], row[node] = depth, chosen
    return {node: (X_START + X_STEP * column[node], Y_START + Y_STEP * row[node]) for node in graph.nodes}
