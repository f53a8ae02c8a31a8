"""Indexes over a flow's graph that keep wiring one lane O(1), whatever the flow's shape.

Connecting a lane needs the next free output of the source, the next input position of the
target, and, on a Stream Selector, where a condition and its lane sit. Read from the graph each
time, those cost O(lanes of the stage), and a loop of ``source >> target`` over many targets (or
``selector.when(p)`` over many conditions) becomes quadratic. These indexes answer in O(1).

They hold nothing the graph and the stages do not: each part is built from them the first time
it is needed, updated by the flow's own wiring methods, and dropped (``forget`` one stage,
``clear`` all) wherever lanes change some other way, so the graph stays the one source of truth.

>>> import networkx as nx
>>> graph = nx.MultiDiGraph()
>>> graph.add_edge("a", "b", kind="data", output=0, position=0)
0
>>> index = WiringIndex(graph)
>>> index.first_free("a", 2), index.next_position("b", ()), index.next_position("b", ())
(1, 1, 2)
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._lanes import predecessors, successors

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["WiringIndex"]

Edge = tuple[str, Any]  # (target node, edge key)


class WiringIndex:
    """Per stage: data lanes by output, the first output that may be free, the next input
    position, output lane positions, and Stream Selector conditions by text and by lane."""

    def __init__(self, graph: nx.MultiDiGraph[str]) -> None:
        self._graph = graph
        self._outputs: dict[str, dict[int, dict[Edge, None]]] = {}
        self._free: dict[str, int] = {}
        self._positions: dict[str, int] = {}
        self._lanes: dict[str, tuple[list[str], int, dict[str, int]]] = {}
        self._conditions: dict[str, tuple[list[Any], int, dict[Any, int], dict[Any, int]]] = {}

    def clear(self) -> None:
        """Drop everything (after lanes were changed in bulk, outside the flow's wiring)."""
        for part in (self._outputs, self._free, self._positions, self._lanes, self._conditions):
            part.clear()

    def forget(self, node: str) -> None:
        """Drop what is known of one stage."""
        for part in (self._outputs, self._free, self._positions, self._lanes, self._conditions):
            part.pop(node, None)

    # -- data lanes by output ----------------------------------------------------------------------

    def _by_output(self, node: str) -> dict[int, dict[Edge, None]]:
        found = self._outputs.get(node)
        if found is None:
            found = {}
            for target, keyed in successors(self._graph)[node].items():
                for key, data in keyed.items():
                    if data["kind"] == "data":
                        found.setdefault(data["output"], {})[(target, key)] = None
            self._outputs[node] = found
        return found

    def lanes_at(self, node: str, output: int) -> list[Edge]:
        """The ``(target, key)`` of every data lane leaving ``node`` at ``output``."""
        return list(self._by_output(node).get(output, ()))

    def first_free(self, node: str, outputs: int) -> int | None:
        """The first of ``outputs`` outputs of ``node`` that no data lane leaves, or None."""
        used = self._by_output(node)
        index = self._free.get(node, 0)
        while index < outputs and used.get(index):
            index += 1
        self._free[node] = index
        return index if index < outputs else None

    def added(self, node: str, output: int, target: str, key: Any) -> None:
        """A data lane from ``node`` at ``output`` was added."""
        if node in self._outputs:
            self._outputs[node].setdefault(output, {})[(target, key)] = None

    def removed(self, node: str, output: int, target: str, key: Any) -> None:
        """A data lane from ``node`` at ``output`` was removed."""
        lanes = self._outputs.get(node, {}).get(output)
        if lanes is not None:
            lanes.pop((target, key), None)
        if output < self._free.get(node, 0):
            self._free[node] = output

    def moved(self, node: str, old: int, new: int) -> None:
        """Every data lane of ``node`` at output ``old`` now leaves at ``new`` (a free output)."""
        used = self._by_output(node)
        lanes = used.pop(old, {})
        for target, key in lanes:
            self._graph[node][target][key]["output"] = new
        if lanes:
            used[new] = lanes
        if old < self._free.get(node, 0):
            self._free[node] = old

    # -- input positions ----------------------------------------------------------------------------

    def next_position(self, node: str, dangling: Sequence[tuple[int, str]]) -> int:
        """The input position for a new lane into ``node`` (after every present one), reserved."""
        position = self._positions.get(node)
        if position is None:
            last = max((p for p, _ in dangling), default=-1)
            for keyed in predecessors(self._graph)[node].values():
                for data in keyed.values():
                    last = max(last, data["position"])
            position = last + 1
        self._positions[node] = position + 1
        return position

    # -- output lanes and conditions --------------------------------------------------------------

    def lane_position(self, node: str, lanes: list[str], lane: object) -> int | None:
        """Where ``lane`` sits in ``lanes`` (the stage's output lanes), or None."""
        known = self._lanes.get(node)
        if known is None or known[0] is not lanes or known[1] != len(lanes):
            positions: dict[str, int] = {}
            for at, name in enumerate(lanes):
                positions.setdefault(name, at)
            known = (lanes, len(lanes), positions)
            self._lanes[node] = known
        position = known[2].get(lane) if isinstance(lane, str) else None
        if position is not None and lanes[position] != lane:  # changed in place: read again
            self._lanes.pop(node)
            return self.lane_position(node, lanes, lane)
        return position

    def lane_inserted(self, node: str, lanes: list[str], position: int) -> None:
        """``lanes[position]`` was just inserted, shifting the lanes after it by one."""
        known = self._lanes.get(node)
        if known is None or known[0] is not lanes or known[1] != len(lanes) - 1:
            self._lanes.pop(node, None)
            return
        positions = known[2]
        for moved in lanes[position + 1 :]:
            positions[moved] = positions[moved] + 1
        positions.setdefault(lanes[position], position)
        self._lanes[node] = (lanes, len(lanes), positions)

    def condition(
        self, node: str, conditions: list[Any], *, text: Any = None, lane: Any = None
    ) -> int | None:
        """Where the first condition with this ``text`` (or output ``lane``) sits, or None."""
        known = self._conditions.get(node)
        if known is None or known[0] is not conditions or known[1] != len(conditions):
            texts: dict[Any, int] = {}
            lanes: dict[Any, int] = {}
            for at, entry in enumerate(conditions):
                if isinstance(entry, Mapping):
                    _hashable_setdefault(texts, entry.get("predicate"), at)
                    _hashable_setdefault(lanes, entry.get("outputLane"), at)
            known = (conditions, len(conditions), texts, lanes)
            self._conditions[node] = known
        field, table, wanted = (
            ("predicate", known[2], text) if lane is None else ("outputLane", known[3], lane)
        )
        try:
            position = table.get(wanted)
        except TypeError:  # unhashable
            return None
        if position is not None:
            entry = conditions[position]
            if not isinstance(entry, Mapping) or entry.get(field) != wanted:  # changed in place
                self._conditions.pop(node)
                return self.condition(node, conditions, text=text, lane=lane)
        return position

    def condition_inserted(self, node: str, conditions: list[Any], position: int) -> None:
        """``conditions[position]`` was inserted just before the last (the default) condition."""
        known = self._conditions.get(node)
        if known is None or known[0] is not conditions or known[1] != len(conditions) - 1:
            self._conditions.pop(node, None)
            return
        _, _, texts, lanes = known
        last = conditions[-1]
        for table, field in ((texts, "predicate"), (lanes, "outputLane")):
            if table.get(last.get(field)) == position:
                table[last.get(field)] = position + 1
            _hashable_setdefault(table, conditions[position].get(field), position)
        self._conditions[node] = (conditions, len(conditions), texts, lanes)


def _hashable_setdefault(table: dict[Any, int], key: Any, position: int) -> None:
    with contextlib.suppress(TypeError):  # imported JSON may hold a list where a text belongs
        table.setdefault(key, position)
