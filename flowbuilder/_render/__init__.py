"""The pieces behind ``flowbuilder.render``: what to draw, how to write it, where flows come from.

``_scene`` turns a flow into a neutral scene of nodes and edges; ``_dot`` and ``_mermaid`` write
a scene in their language; ``_escape`` keeps user text from breaking either; ``_graphviz`` runs
the ``dot`` program. Finding the flows in ``.py`` and ``.json`` files is ``flowbuilder._sources``'s job.
"""

__all__: list[str] = []
