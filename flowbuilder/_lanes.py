"""Fast reads of a flow graph's lanes: the edges into and out of one stage.

networkx's edge views are built anew on every call; on flows of 100,000 stages those views cost
more than the work. These read the graph's adjacency directly, in the same (insertion) order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["incoming", "node_attributes", "outgoing", "predecessors", "successors", "topological_order"]

Lane = tuple[str, dict[str, Any]]
Adjacency = dict[str, dict[str, dict[Any, dict[str, Any]]]]

# networkx keeps its adjacency in these attributes (documented in its "Graph internals"); the
# type stubs leave them out, hence the ignores, kept to these three functions.


def predecessors(graph: nx.MultiDiGraph[str]) -> Adjacency:
    """``{target: {source: {key: edge data}}}``: the graph's own inbound adjacency, not a copy."""
    return graph._pred  # type: ignore[attr-defined,no-any-return]


def successors(graph: nx.MultiDiGraph[str]) -> Adjacency:
    """``{source: {target: {key: edge data}}}``: the graph's own outbound adjacency."""
    return graph._succ  # type: ignore[attr-defined,no-any-return]


def node_attributes(graph: nx.MultiDiGraph[str]) -> dict[str, dict[str, Any]]:
    """``{node: attribute dict}``: the graph's own node table."""
    return graph._node  # type: ignore[attr-defined,no-any-return]


def incoming(graph: nx.MultiDiGraph[str], node: str) -> list[Lane]:
    """``(source, edge data)`` of every lane into ``node``, in input position order.

    >>> import networkx as nx
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_edge("a", "c", kind="data", output=0, position=1)
    0
    >>> graph.add_edge("b", "c", kind="data", output=0, position=0)
    0
    >>> [source for source, _ in incoming(graph, "c")]
    ['b', 'a']
    """
    lanes = [(source, data) for source, keyed in predecessors(graph)[node].items() for data in keyed.values()]
    if len(lanes) > 1:
        lanes.sort(key=lambda lane: lane[1]["position"])
    return lanes


def outgoing(graph: nx.MultiDiGraph[str], node: str) -> list[Lane]:
    """``(target, edge data)`` of every lane out of ``node``, in insertion order."""
    return [(target, data) for target, keyed in successors(graph)[node].items() for data in keyed.values()]


def topological_order(graph: nx.MultiDiGraph[str]) -> list[str] | None:
    """Nodes so that every lane goes forward (Kahn's algorithm, ties in insertion order);
    None when the graph has a cycle.

    >>> import networkx as nx
    >>> graph = nx.MultiDiGraph([("b", "c"), ("a", "b")])
    >>> topological_order(graph)
    ['a', 'b', 'c']
    >>> graph.add_edge("c", "a")
    0
    >>> topological_order(graph) is None
    True
    """
    pred, succ = predecessors(graph), successors(graph)
    waiting = dict.fromkeys(pred, 0)  # sized once: no rehashing as it fills
    for node, sources in pred.items():
        if sources:
            waiting[node] = sum(map(len, sources.values()))
    order = [node for node, count in waiting.items() if not count]
    for node in order:  # a FIFO queue over the result itself: each wave after the one before
        for target, keyed in succ[node].items():
            count = waiting[target] - len(keyed)
            waiting[target] = count
            if not count:
                order.append(target)
    return order if len(order) == len(waiting) else None
