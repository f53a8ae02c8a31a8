"""Path: an immutable cursor on a flow, the heart of the chainable DSL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._gc import pausing
from ._names import a
from ._stages import as_on_error, as_to
from .errors import LaneError
from .stage import Stage, Stages

if TYPE_CHECKING:
    from .flow import Flow
    from .fragment import Fragment

__all__ = ["Path", "merge"]

# A tail: (instance name, lane kind "data" | "event", output index or None for the default).
Tail = tuple[str, str, "int | None"]


class Path:
    """Where the next stage attaches: the tail stage(s) of a chain and which of their lanes.

    Paths never change; every method returns a new one. Building stages through a path adds
    them to its flow.

    >>> from flowbuilder import Flow
    >>> path = Flow("demo").source("Dev Raw Data Source").to("Stream Selector")
    >>> path.when("${record:value('/a') > 1}").to("Trash")
    Path(flow='demo', tails=['Trash_01'])
    >>> path.otherwise().to("Trash")
    Path(flow='demo', tails=['Trash_02'])
    >>> [p["predicate"] for p in path.stage.predicates]
    ["${record:value('/a') > 1}", 'default']
    """

    __slots__ = ("_tails", "flow")

    def __init__(self, flow: Flow, tails: tuple[Tail, ...]) -> None:
        self.flow = flow
        self._tails = tails

    def __repr__(self) -> str:
        return f"Path(flow={self.flow.name!r}, tails={[t[0] for t in self._tails]!r})"

    # -- where we are ------------------------------------------------------------------------

    @property
    def stages(self) -> Stages:
        """The tail stages of this path."""
        return Stages(self.flow.stage(name) for name, _, _ in self._tails)

    @property
    def stage(self) -> Stage:
        """The single tail stage; LaneError when the path has several tails."""
        if len(self._tails) != 1:
            names = ", ".join(t[0] for t in self._tails)
            raise LaneError(
                f"path has {len(self._tails)} tails ({names})",
                flow=self.flow.name,
                hint="Use path.stages, or take one branch.",
            )
        return self.flow.stage(self._tails[0][0])

    # -- lane selection ----------------------------------------------------------------------

    def events(self) -> Path:
        """The same tails, continuing from their event lanes."""
        for name, _, _ in self._tails:
            stage = self.flow.stage(name)
            if stage.definition is not None and not stage.definition.producing_events:
                raise LaneError(
                    "produces no events",
                    flow=self.flow.name,
                    stage=name,
                    hint="Only stages that produce events have an event lane.",
                )
        return Path(self.flow, tuple((name, "event", 0) for name, _, _ in self._tails))

    def output(self, n: int) -> Path:
        """Continue from output lane ``n`` of the tail (Record Deduplicator: 0 unique, 1 duplicates)."""
        stage = self.stage
        index = self.flow._output_index(stage, None, n)
        return Path(self.flow, ((stage._node, "data", index),))

    @pausing
    def when(self, predicate: str) -> Path:
        """On a Stream Selector tail: continue from the lane of ``predicate`` (added if new).

        The ``default`` predicate is kept last automatically. Conditions are known as the flow
        last set them: change them through ``stage.predicates``, not by editing the
        ``lanePredicates`` list in place.
        """
        stage = self._selector()
        index = self.flow._add_predicate(stage, predicate)
        return Path(self.flow, ((stage._node, "data", index),))

    @pausing
    def otherwise(self) -> Path:
        """On a Stream Selector tail: continue from the ``default`` lane."""
        stage = self._selector()
        return Path(self.flow, ((stage._node, "data", len(stage.output_lanes) - 1),))

    def _selector(self) -> Stage:
        stage = self.stage
        if stage.definition is None or not stage.definition.has_predicates:
            raise LaneError(
                "has no predicates (it is not a Stream Selector)",
                flow=self.flow.name,
                stage=stage.instance_name,
                hint="Use .to() or .output(n) on other stages.",
            )
        return stage

    # -- building ----------------------------------------------------------------------------

    @as_to
    @pausing
    def to(
        self,
        *stages: str | Stage | Fragment,
        name: str | None = None,
        library: str | None = None,
        type: str | None = None,
        **config: Any,
    ) -> Path:
        """Connect the tail(s) to new stages (labels) or existing ones; ``to(a, b)`` fans out.

        Keyword arguments other than ``name``, ``library`` and ``type`` set configs of each new
        stage by Python name. A :class:`~flowbuilder.fragment.Fragment` adds a use of it
        (``parameter_name_prefix=`` sets its parameters' prefix).
        """
        targets: list[str | Stage | Fragment | None] = list(stages) or [None]
        created = [self.flow._resolve_target(target, name, library, type, "to", config) for target in targets]
        for source_name, kind, output in self._tails:
            source = self.flow.stage(source_name)
            index = 0 if kind == "event" else self._default_output(source, output)
            for target in created:
                self.flow._connect(source, target, kind, index)
        return Path(self.flow, tuple((t._node, "data", None) for t in created))

    def _default_output(self, source: Stage, output: int | None) -> int:
        if output is not None:
            return output
        if source.definition is not None and source.definition.has_predicates:
            raise LaneError(
                "is a Stream Selector: pick a lane first",
                flow=self.flow.name,
                stage=source.instance_name,
                hint="Use .when(predicate).to(...) or .otherwise().to(...).",
            )
        if not source.output_lanes:
            raise LaneError(
                f"has no output lanes (it is {a(source.type)})",
                flow=self.flow.name,
                stage=source.instance_name,
                hint="Continue from its events with .events() if it produces events.",
            )
        return 0

    @as_on_error
    def on_error(
        self, stage: str | None = None, *, name: str | None = None, library: str | None = None, **config: Any
    ) -> Flow:
        """Set the flow's error stage (with configs) and end the chain; returns the Flow."""
        self.flow._set_special_by("error", stage, name, library, config, error_stage=True)
        return self.flow


def merge(*paths: Path) -> Path:
    """Join several paths so the next ``.to(...)`` fans in from all their tails.

    >>> from flowbuilder import Flow, merge
    >>> selector = Flow("demo").source("Dev Raw Data Source").to("Stream Selector")
    >>> a = selector.when("${record:value('/a') == 1}").to("Dev Identity")
    >>> b = selector.otherwise().to("Dev Identity")
    >>> merge(a, b).to("Trash").stage.inputs
    [DevIdentity_01(label='Dev Identity 1'), DevIdentity_02(label='Dev Identity 2')]
    """
    if not paths:
        raise LaneError("merge() needs at least one path")
    flow = paths[0].flow
    if any(p.flow is not flow for p in paths):
        raise LaneError("cannot merge paths of different flows", flow=flow.name)
    tails: list[Tail] = []
    for path in paths:
        tails.extend(t for t in path._tails if t not in tails)
    return Path(flow, tuple(tails))
