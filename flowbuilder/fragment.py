"""Fragments: reusable pieces of flow with open ends, and their use as one stage in a flow.

A :class:`Fragment` is built like a flow (same DSL, same classic API). What it leaves open is
what a flow connects: the input of the stage added with :meth:`Fragment.input` (or the one
non-origin stage without inputs), and every output lane no stage of the fragment reads. A flow
uses it with ``flow.add_fragment(fragment, parameter_name_prefix=...)`` or ``path.to(fragment)``:
that adds one fragment stage (the engine's Fragment Origin, Processor or Destination), which the
compilers write as the engine does (``uiInfo.fragmentId``, ``fragmentInstanceId``,
``parameterNamePrefix``, the fragment's definition embedded in ``fragments``) and which
``flow.expanded()`` replaces by the fragment's own stages.

>>> from flowbuilder import Flow
>>> mask = Fragment("mask ids")
>>> mask.parameters["FIELD"] = "/id"
>>> _ = mask.input("Field Masker", field_mask_configs=[{"fields": ["${FIELD}"], "maskType": "FIXED_LENGTH"}])
>>> mask.kind, mask.output_lanes
('processor', ('FieldMasker_01OutputLane1',))
>>> path = Flow("orders").source("Dev Raw Data Source").to(mask, parameter_name_prefix="ORDERS_")
>>> flow = path.to("Trash").flow
>>> [stage.instance_name for stage in flow.stages]
['DevRawDataSource_01', 'maski_01_FragmentProcessor_01', 'Trash_01']
>>> dict(flow.parameters)
{'ORDERS_FIELD': '/id'}
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._document import ROLES
from ._lanes import incoming, outgoing
from .catalog import Catalog, StageDefinition
from .errors import FragmentError, LaneError
from .flow import Flow
from .stage import Stage

if TYPE_CHECKING:
    from .path import Path

__all__ = [
    "FRAGMENT_STAGES",
    "Fragment",
    "FragmentUse",
    "add_fragment",
    "fragment_stage_definition",
    "fragment_uses",
]

#: The engine's fragment stage for each kind of fragment (all in the basic stage library).
FRAGMENT_STAGES = {
    "origin": "com_streamsets_pipeline_stage_origin_fragment_FragmentSource",
    "processor": "com_streamsets_pipeline_stage_processor_fragment_FragmentProcessor",
    "destination": "com_streamsets_pipeline_stage_destination_fragment_FragmentTarget",
}
_NAMESPACE = uuid.UUID("0b4f6a52-3c1e-4d7a-9f10-6a1d2f4c8e93")
_PREFIX = re.compile(r"^[A-Za-z0-9_]*$")


class Fragment(Flow):
    """A reusable piece of flow: stages with an open input and/or open output lanes.

    Build it with the flow DSL or the classic API; :meth:`input` adds the stage that takes the
    fragment's input. A fragment has no error stage of its own: its stages send error records
    to the error stage of the flow that uses it.

    >>> route = Fragment("route big orders")
    >>> selector = route.input("Stream Selector")
    >>> _ = selector.when("${record:value('/total') > 1000}").to("Expression Evaluator")
    >>> _ = selector.otherwise().to("Trash")
    >>> route.kind, route.input_stage.instance_name, route.output_lanes
    ('processor', 'StreamSelector_01', ('ExpressionEvaluator_01OutputLane1',))
    """

    def __init__(
        self,
        name: str,
        description: str = "",
        *,
        catalog: Catalog | None = None,
        engine: str = "data_collector",
    ) -> None:
        super().__init__(name, description, catalog=catalog, engine=engine)
        self._special = dict.fromkeys(ROLES)  # the flow using the fragment has the error stage

    def __repr__(self) -> str:
        return f"Fragment(name={self.name!r}, stages={len(self)})"

    @property
    def fragment_id(self) -> str:
        """The fragment's id: as read, or (authored) the engine's shape ``<title stem><uuid>``,
        derived from the name, never random.

        >>> Fragment("mask ids").fragment_id
        'maskids58d9ae0b-fbde-5e6f-9a3b-42be6c32626e'
        """
        if self._imported is not None and isinstance(self._imported.values.get("fragmentId"), str):
            return str(self._imported.values["fragmentId"])
        stem = re.sub(r"[\W_]", "", self.name)[:9]
        return f"{stem}{uuid.uuid5(_NAMESPACE, f'fragment:{self.engine}:{self.name}')}"

    @property
    def commit_id(self) -> str:
        """The version of the fragment as it is now: derived from its compiled definition, so
        any change to the fragment gives a new one (flows record it as ``pipelineCommitId``).

        >>> a, b = Fragment("f"), Fragment("f")
        >>> _ = a.input("Trash"); _ = b.input("Trash")
        >>> a.commit_id == b.commit_id
        True
        """
        from .compile import fragment_commit_id, to_dict  # a convenience calling the compiler

        return fragment_commit_id(to_dict(self))

    def input(
        self,
        stage: str | Stage | None = None,
        *,
        name: str | None = None,
        library: str | None = None,
        type: str | None = None,
        **config: Any,
    ) -> Path:
        """Add the stage that takes the fragment's input (a processor, destination or executor).

        >>> Fragment("f").input("Trash").stage
        Trash_01(label='Trash 1')
        """
        from .path import Path

        current = self.input_stage
        if current is not None:
            raise LaneError(
                f"already takes its input at {current.instance_name}",
                flow=self.name,
                hint="A fragment has one input; continue from that stage with .to(...).",
            )
        target = self._resolve_target(stage, name, library, type, "to", config)
        return Path(self, ((target._node, "data", None),))

    @property
    def input_stage(self) -> Stage | None:
        """The stage that takes the fragment's input: the first non-origin stage without inputs
        (for a read fragment, the one its document names), None for an origin fragment."""
        named = _stage_configuration(self).get("uiInfo")
        first = named.get("firstStageInstanceName") if isinstance(named, dict) else None
        if isinstance(first, str) and first in self._graph:
            found: Stage = self._graph.nodes[first]["stage"]
            return found
        for stage in self.open_inputs():
            return stage
        return None

    def open_inputs(self) -> Iterator[Stage]:
        """Every non-origin stage without inputs, in order (a valid fragment has at most one)."""
        for node, data in self._graph.nodes(data=True):
            stage: Stage = data["stage"]
            if stage.stage_type != "SOURCE" and not stage._dangling and not incoming(self._graph, node):
                yield stage

    @property
    def output_lanes(self) -> tuple[str, ...]:
        """The fragment's open output lanes (those no stage of it reads), in stage order."""
        lanes: list[str] = []
        for node, data in self._graph.nodes(data=True):
            stage: Stage = data["stage"]
            if stage.stage_type not in ("SOURCE", "PROCESSOR"):
                continue
            used = {d["output"] for _, d in outgoing(self._graph, node) if d["kind"] == "data"}
            lanes.extend(lane for i, lane in enumerate(stage._output_lanes) if i not in used)
        return tuple(lanes)

    @property
    def kind(self) -> str:
        """``origin`` (it has an origin), ``processor`` (open input and outputs) or ``destination``."""
        if any(stage.stage_type == "SOURCE" for stage in self.stages):
            return "origin"
        return "processor" if self.output_lanes else "destination"


@dataclass(frozen=True)
class FragmentUse:
    """One use of a fragment in a flow, kept on the fragment stage's graph node (``fragment``).

    ``instance_id`` is the engine's ``fragmentInstanceId`` (``maski_01``), ``prefix`` its
    ``parameterNamePrefix``, ``output_lanes`` the fragment's open lanes when it was added (the
    engine fixes a fragment's streams once it is used).
    """

    fragment: Fragment
    instance_id: str
    prefix: str
    output_lanes: tuple[str, ...]


def fragment_uses(flow: Flow) -> dict[str, FragmentUse]:
    """The fragments a flow uses, by the node of their fragment stage, in stage order."""
    found: dict[str, FragmentUse] = {}
    for node, use in flow._graph.nodes(data="fragment"):
        if isinstance(use, FragmentUse):
            found[node] = use
    return found


def _stage_configuration(fragment: Flow) -> dict[str, Any]:
    """A read fragment's ``uiInfo.fragmentStageConfiguration`` (empty for an authored one)."""
    if fragment._imported is None:
        return {}
    ui_info = fragment._imported.values.get("uiInfo")
    found = ui_info.get("fragmentStageConfiguration") if isinstance(ui_info, dict) else None
    return found if isinstance(found, dict) else {}


def fragment_stage_definition(fragment: Fragment, flow: str | None = None) -> StageDefinition:
    """The engine's fragment stage for ``fragment`` (Fragment Origin, Processor or Destination).

    The bundled catalog has them for Data Collector only: a fragment of another engine is a
    FragmentError rather than a Data Collector stage in a flow that cannot run it.
    """
    definition = fragment.catalog.get(name=FRAGMENT_STAGES[fragment.kind], engine=fragment.engine, flow=flow)
    if definition.engine != fragment.engine:
        raise FragmentError(
            f"is a {fragment.engine} fragment; the catalog has fragment stages for {definition.engine} only",
            flow=flow,
            fragment=fragment.name,
            hint="Build fragments for Data Collector flows, or load your engine's definitions "
            "with Catalog.load(path).",
        )
    return definition


def fragment_stage_name(fragment: Fragment) -> str:
    """The instance name of the fragment's own fragment stage (``FragmentProcessor_01``)."""
    named = _stage_configuration(fragment).get("instanceName")
    if isinstance(named, str) and named:
        return named
    return {"origin": "FragmentOrigin_01", "processor": "FragmentProcessor_01"}.get(
        fragment.kind, "FragmentDestination_01"
    )


def _instance_id(flow: Flow, fragment: Fragment) -> str:
    """The next free ``<title stem>_NN`` (not an instance id of the flow, and none of whose
    prefixed stage names the flow holds)."""
    stem = re.sub(r"[\W_]", "", fragment.name)[:5] or "Fragm"
    taken = {
        str(data["stage"].ui_info.get("fragmentInstanceId"))
        for _, data in flow._graph.nodes(data=True)
        if data["stage"].ui_info.get("fragmentGroupStage")
    }
    inner = [*(s.instance_name for s in fragment.stages), fragment_stage_name(fragment)]
    hint = f"\0fragment {stem}"  # where the last search for this stem ended: adding n uses is O(n)
    number = flow._name_hints.get(hint, 1)
    while True:
        candidate = f"{stem}_{number:02d}"
        if candidate not in taken and not any(f"{candidate}_{name}" in flow._graph for name in inner):
            flow._name_hints[hint] = number + 1
            return candidate
        number += 1


def add_fragment(
    flow: Flow, fragment: Fragment, parameter_name_prefix: str | None = None, *, position: str = "any"
) -> Stage:
    """Add one use of ``fragment`` to ``flow`` as an unconnected fragment stage; returns it.

    The fragment's parameters are added to the flow's with ``parameter_name_prefix`` in front
    (default: the use's ``fragmentInstanceId`` and ``_``, as the engine does). ``position`` is
    ``origin`` or ``to`` when the DSL adds it (an origin fragment only starts a flow).
    """
    if not isinstance(fragment, Fragment):
        raise FragmentError(
            f"is a {type(fragment).__name__}, not a Fragment",
            flow=flow.name,
            fragment=getattr(fragment, "name", None),
            hint="Build it with flowbuilder.Fragment(...) or read it with Fragment.from_json(...).",
        )
    if isinstance(flow, Fragment):
        if flow is fragment or flow.fragment_id == fragment.fragment_id:
            raise FragmentError(
                f"would use itself: a cycle of fragments ({flow.name} -> {fragment.name})",
                flow=flow.name,
                fragment=fragment.name,
                hint="Fragments cannot contain fragments; add the stages themselves instead.",
            )
        raise FragmentError(
            f"cannot be used inside fragment {flow.name!r}: the engine does not nest fragments",
            flow=flow.name,
            fragment=fragment.name,
            hint="Use both fragments side by side in the flow instead.",
        )
    if fragment.engine != flow.engine:
        raise FragmentError(
            f"is a {fragment.engine} fragment; the flow runs on {flow.engine}",
            flow=flow.name,
            fragment=fragment.name,
            hint="Use fragments built for the flow's engine.",
        )
    if not len(fragment):
        raise FragmentError(
            "has no stages", flow=flow.name, fragment=fragment.name, hint="Add stages to the fragment first."
        )
    kind = fragment.kind
    if position == "origin" and kind != "origin":
        raise FragmentError(
            f"is a {kind} fragment (it has no origin) and cannot start a flow",
            flow=flow.name,
            fragment=fragment.name,
            hint="Start with flow.source('<origin>') and continue with .to(fragment).",
        )
    if position == "to" and kind == "origin":
        raise FragmentError(
            "is an origin fragment and takes no input",
            flow=flow.name,
            fragment=fragment.name,
            hint="Start the flow with it: flow.source(fragment).",
        )
    instance_id = _instance_id(flow, fragment)
    prefix = f"{instance_id}_" if parameter_name_prefix is None else parameter_name_prefix
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise FragmentError(
            f"parameter_name_prefix must hold only letters, digits and _; got {prefix!r}",
            flow=flow.name,
            fragment=fragment.name,
            hint="Pass e.g. parameter_name_prefix='ORDERS_'.",
        )
    _check_parameters(flow, fragment, prefix, instance_id)
    definition = fragment_stage_definition(fragment, flow.name)
    outputs = fragment.output_lanes
    number = int(instance_id.rpartition("_")[2])
    stage = Stage.from_definition(
        definition, f"{instance_id}_{fragment_stage_name(fragment)}", f"{fragment.name} {number}"
    )
    stage._output_lanes[:] = [f"{instance_id}_{lane}" for lane in outputs]
    # In flows the engine writes fragmentId first (corpus 033, 038, 076), whatever the definition's order.
    values = {"conf.fragmentId": fragment.fragment_id, "conf.fragmentInstanceId": instance_id}
    stage._configs[:] = [
        *({"name": name, "value": value} for name, value in values.items()),
        *(entry for entry in stage._configs if entry["name"] not in values),
    ]
    stage.ui_info.update(
        {
            "icon": "fragment.png",
            "fragmentGroupStage": True,
            "fragmentId": fragment.fragment_id,
            "fragmentInstanceId": instance_id,
            "fragmentName": fragment.name,
            "parameterNamePrefix": prefix,
        }
    )
    first = fragment.input_stage
    if first is not None and kind != "origin":
        stage.ui_info["firstStageInstanceName"] = first.instance_name
    flow._insert(stage)
    flow._graph.nodes[stage._node]["fragment"] = FragmentUse(fragment, instance_id, prefix, outputs)
    for key, value in fragment.parameters.items():
        flow.parameters[prefix + key] = value
    return stage


def _check_parameters(flow: Flow, fragment: Fragment, prefix: str, instance_id: str) -> None:
    existing = set(flow.parameters)
    for key in fragment.parameters:
        if prefix + key in existing:
            owner = next(
                (
                    f"fragment {use.fragment.name!r} ({use.instance_id})"
                    for use in fragment_uses(flow).values()
                    if prefix + key in {use.prefix + k for k in use.fragment.parameters}
                ),
                "the flow itself",
            )
            raise FragmentError(
                f"parameter {key!r} with prefix {prefix!r} is {prefix + key!r}, which {owner} "
                "already defines",
                flow=flow.name,
                fragment=fragment.name,
                hint=f"Pass another parameter_name_prefix, e.g. parameter_name_prefix='{instance_id}_'.",
            )
