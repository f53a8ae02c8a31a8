"""What an imported flow document held beyond the model: one object, owned by the compilers.

(:class:`ImportedStage` is the same for each stage instance: the flow's object, per stage.)

The reader fills it, the pipeline compiler writes it back (so an imported flow compiles to the
bytes it was read from), ``to_python`` keeps what its code cannot say in ``restore_details``,
and validation asks it what wrote the flow. An authored flow has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._document import LIFECYCLE_SLOTS, SPECIAL_SLOTS

__all__ = ["MODELLED_KEYS", "ImportedDocument", "ImportedStage"]

#: Top-level keys of a pipeline definition the model holds (and compiles from the graph).
MODELLED_KEYS = frozenset({"description", "configuration", "stages", *SPECIAL_SLOTS, *LIFECYCLE_SLOTS})


@dataclass
class ImportedDocument:
    """The parts of an imported document the model does not hold.

    ``name``: the flow's name as read (a renamed flow writes its new ``title``); ``keys``: the
    definition's top-level keys in their order; ``values``: those of them the model does not hold
    (``info``, ``metadata``, ``uuid``...), as read; ``envelope_key``: where the definition sat in
    its envelope (``pipelineConfig``, ``pipelineFragmentConfig``, ``pipeline_definition``), None
    for a bare definition; ``envelope_keys``: the envelope's keys in order; ``rules`` and
    ``library_definitions``: the envelope's ``pipelineRules`` and ``libraryDefinitions``;
    ``envelope_extra``: its other keys.

    >>> ImportedDocument("orders", ("title", "stages"), {"title": "orders"}).values
    {'title': 'orders'}
    """

    name: str
    keys: tuple[str, ...]
    values: dict[str, Any]
    envelope_key: str | None = None
    envelope_keys: tuple[str, ...] | None = None
    rules: Any = None
    library_definitions: Any = None
    envelope_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_fragment(self) -> bool:
        """Whether the document is a fragment (a ``pipelineFragmentConfig``, or a ``fragmentId``)."""
        return self.envelope_key == "pipelineFragmentConfig" or "fragmentId" in self.values

    @property
    def written_by(self) -> str | None:
        """The engine version that wrote the document (``info.sdcVersion``), when it says."""
        info = self.values.get("info")
        version = info.get("sdcVersion") if isinstance(info, dict) else None
        return None if version is None else str(version)


@dataclass(frozen=True)
class ImportedStage:
    """What an imported stage instance held beyond the model, so that it compiles back as read.

    ``keys``: its keys in their order (None: the engine's order); ``extra``: keys the model does
    not hold, with their values; ``nulls``: modelled keys the document gave as ``null``.

    >>> ImportedStage(("instanceName", "stageName"), {"x": 1}).extra
    {'x': 1}
    """

    keys: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    nulls: frozenset[str] = frozenset()
