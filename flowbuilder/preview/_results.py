"""What a preview returns: per stage instance its input, output lanes, events and errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._names import did_you_mean
from ..errors import PreviewError, StageNotFoundError
from ._records import Record

if TYPE_CHECKING:
    from ..stage import Stage

__all__ = ["PreviewResult", "StageResult"]


@dataclass
class StageResult:
    """What one stage instance did in a preview, over all batches.

    ``input``: the records that reached it; ``output``: ``{lane name: records}`` in output-lane
    order (``records`` flattens it); ``events``: event records; ``errors``: the records it sent
    to error, as it saw them.

    >>> result = StageResult("Trash_01", "Trash 1", "Trash")
    >>> result.input, result.output, result.records
    ([], {}, [])
    """

    instance_name: str
    label: str
    stage_label: str
    input: list[Record] = field(default_factory=list)
    output: dict[str, list[Record]] = field(default_factory=dict)
    events: list[Record] = field(default_factory=list)
    errors: list[Record] = field(default_factory=list)
    predicates: dict[str, str] = field(default_factory=dict)

    @property
    def records(self) -> list[Record]:
        """Every output record, lane by lane in output order."""
        return [record for lane in self.output.values() for record in lane]

    def lane(self, which: int | str) -> list[Record]:
        """The records of one output: by index, lane name, or (Stream Selector) condition text.

        ``result["StreamSelector_01"].lane("default")`` gives what matched no condition.
        """
        lanes = list(self.output)
        if isinstance(which, int) and not isinstance(which, bool):
            if 0 <= which < len(lanes):
                return self.output[lanes[which]]
            raise PreviewError(
                f"has no output {which}; its outputs are 0..{len(lanes) - 1}" if lanes else "has no outputs",
                stage=self.instance_name,
            )
        if which in self.output:
            return self.output[which]
        if which in self.predicates:
            return self.output[self.predicates[which]]
        raise PreviewError(
            f"has no output lane or condition {which!r}",
            stage=self.instance_name,
            hint=did_you_mean(str(which), lanes + list(self.predicates)),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: record values by input, output lane, events and errors."""
        return {
            "instance_name": self.instance_name,
            "label": self.label,
            "stage": self.stage_label,
            "input": [record.value for record in self.input],
            "output": {lane: [record.value for record in records] for lane, records in self.output.items()},
            "events": [record.value for record in self.events],
            "errors": [record.to_dict() for record in self.errors],
        }

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(records)}" for records in self.output.values())
        return (
            f"StageResult({self.instance_name!r}, input={len(self.input)}, output=[{counts}], "
            f"events={len(self.events)}, errors={len(self.errors)})"
        )


class PreviewResult(Mapping[str, StageResult]):
    """The result of :func:`flowbuilder.preview.preview`: a mapping of instance name to :class:`StageResult`.

    ``error_records`` holds what reached the flow's error stage, shaped by the flow's
    ``error_record_policy``; ``batches`` counts the batches run.
    """

    def __init__(
        self, flow: str, stages: dict[str, StageResult], error_records: list[Record], batches: int
    ) -> None:
        self.flow = flow
        self.stages = stages
        self.error_records = error_records
        self.batches = batches

    def _find(self, key: object) -> StageResult | None:
        name = key if isinstance(key, str) else getattr(key, "instance_name", None)
        found = self.stages.get(name) if isinstance(name, str) else None
        if found is None:
            found = next((r for r in self.stages.values() if r.label == name), None)
        return found

    def __getitem__(self, key: str | Stage) -> StageResult:
        found = self._find(key)
        if found is not None:
            return found
        name = key if isinstance(key, str) else key.instance_name
        names = list(self.stages) + [r.label for r in self.stages.values()]
        raise StageNotFoundError(
            f"the preview has no stage {name!r}",
            flow=self.flow,
            hint=did_you_mean(str(name), names) or f"Its stages: {', '.join(self.stages)}.",
        )

    def __contains__(self, key: object) -> bool:
        return self._find(key) is not None

    def get(self, key: str, default: StageResult | None = None) -> StageResult | None:  # type: ignore[override]
        """The result of ``key`` (instance name or label), or ``default``."""
        found = self._find(key)
        return default if found is None else found

    def __iter__(self) -> Iterator[str]:
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: every stage's records and the error records."""
        return {
            "flow": self.flow,
            "batches": self.batches,
            "stages": [stage.to_dict() for stage in self.stages.values()],
            "error_records": [record.to_dict() for record in self.error_records],
        }

    def __repr__(self) -> str:
        return (
            f"PreviewResult(flow={self.flow!r}, stages={len(self.stages)}, batches={self.batches}, "
            f"error_records={len(self.error_records)})"
        )
