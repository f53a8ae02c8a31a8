"""The typed stage surface, runtime half.

Type checkers and editors read ``_stages.pyi`` instead of this module: generated from the bundled
catalog by ``scripts/build_typed.py``, it gives every stage-creating call one overload per stage
label with that stage's configs as typed keyword arguments. At run time the decorators below
return the function unchanged and the escapes are plain strings, so typing costs nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NewType, TypeVar

__all__ = [
    "CustomLabel",
    "Expression",
    "as_add_stage",
    "as_on_error",
    "as_set_error_stage",
    "as_set_lifecycle_stage",
    "as_set_stats_aggregator_stage",
    "as_set_test_origin_stage",
    "as_source",
    "as_to",
    "custom",
    "expression",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: A stage label the bundled catalog does not know (see :func:`custom`).
CustomLabel = NewType("CustomLabel", str)
#: A ``${...}`` expression given to a config whose type is not text (see :func:`expression`).
Expression = NewType("Expression", str)


def custom(label: str) -> CustomLabel:
    """Mark a stage label the bundled catalog lacks (a stage of a catalog loaded at run time, or
    a label held in a variable): type checkers then accept it, with untyped configs.

    >>> from flowbuilder import Flow, custom
    >>> Flow("demo").source(custom("Dev Raw Data Source")).stage
    DevRawDataSource_01(label='Dev Raw Data Source 1')
    """
    return CustomLabel(label)


def expression(text: str) -> Expression:
    """Mark an expression for a config that is not text (a number, a boolean, a choice), which
    the engine evaluates when the flow runs.

    >>> from flowbuilder import Flow, expression
    >>> path = Flow("demo").source("Dev Raw Data Source", number_of_threads=expression("${THREADS}"))
    >>> path.stage.number_of_threads
    '${THREADS}'
    """
    return Expression(text)


def _keep(function: _F) -> _F:
    return function


as_source = as_to = as_add_stage = as_on_error = _keep
as_set_error_stage = as_set_stats_aggregator_stage = as_set_lifecycle_stage = _keep
as_set_test_origin_stage = _keep
