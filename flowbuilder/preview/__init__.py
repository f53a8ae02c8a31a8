"""Preview flows offline: push records through a flow in-process and see what each stage did.

>>> from flowbuilder import Flow
>>> from flowbuilder.preview import preview
>>> flow = (
...     Flow("orders")
...     .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1, "qty": 3}')
...     .to("Expression Evaluator", field_expressions=[
...         {"fieldToSet": "/total", "expression": "${record:value('/qty') * 2}"}])
...     .to("Trash")
...     .flow
... )
>>> result = preview(flow)
>>> result["ExpressionEvaluator_01"].records[0].value
{'id': 1, 'qty': 3, 'total': 6}
>>> result["ExpressionEvaluator_01"].records[0].field_type("/total")
'LONG'

``evaluate`` runs one expression the way the engine would:

>>> from flowbuilder.preview import evaluate
>>> evaluate("${str:toUpper(record:value('/name'))}", {"name": "ada"})
'ADA'

The runner (its EL parser, functions and stages) loads with the first preview or the first name
taken from this package, not with ``import flowbuilder``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..flow import Flow
    from ._el import evaluate
    from ._functions import FUNCTIONS, PREVIEW_SDC_ID
    from ._records import Record
    from ._results import PreviewResult, StageResult
    from ._stages import supported_labels

__all__ = [
    "FUNCTIONS",
    "PREVIEW_SDC_ID",
    "PreviewResult",
    "Record",
    "StageResult",
    "evaluate",
    "preview",
    "supported_labels",
]

#: Where each name of this package lives, loaded on first use.
_HOMES = {
    "FUNCTIONS": "_functions",
    "PREVIEW_SDC_ID": "_functions",
    "PreviewResult": "_results",
    "Record": "_records",
    "StageResult": "_results",
    "evaluate": "_el",
    "supported_labels": "_stages",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def preview(
    flow: Flow,
    records: Iterable[Any] | None = None,
    *,
    batch_size: int = 10,
    parameters: Mapping[str, Any] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    write_to_destinations: bool = False,
) -> PreviewResult:
    """Run ``flow`` in-process and return what every stage received, produced and rejected.

    ``records`` (dicts, lists, scalars or :class:`Record` objects) replace the origin's own
    data; without them the origin's data is used (Dev Raw Data Source). Records are cut into
    batches of ``batch_size``. ``parameters`` override the flow's parameters; ``clock``
    supplies ``time:now()`` (pass one for repeatable results); destinations write nothing
    unless ``write_to_destinations`` (Local FS only); executors never run. A flow using
    fragments runs expanded (``flow.expanded()``): results are keyed by the fragment's stages,
    named ``<fragmentInstanceId>_<instance name>``.

    >>> from flowbuilder import Flow
    >>> path = Flow("demo").source("Dev Raw Data Source").to("Stream Selector")
    >>> _ = path.when("${record:value('/a') > 1}").to("Trash")
    >>> flow = path.otherwise().to("Trash").flow
    >>> result = preview(flow, records=[{"a": 1}, {"a": 5}])
    >>> [r.value for r in result["Trash_01"].input], [r.value for r in result["Trash_02"].input]
    ([{'a': 5}], [{'a': 1}])
    """
    from ._runner import run

    return run(
        flow,
        records,
        batch_size=batch_size,
        parameters=parameters,
        clock=clock,
        write_to_destinations=write_to_destinations,
    )
