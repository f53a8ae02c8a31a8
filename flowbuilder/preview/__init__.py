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

>>> evaluate("${str:toUpper(record:value('/name'))}", {"name": "ada"})
'ADA'
"""

from ._el import evaluate
from ._functions import FUNCTIONS, PREVIEW_SDC_ID
from ._records import Record
from ._results import PreviewResult, StageResult
from ._runner import preview
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
