"""The expression language: table tests of valid and invalid expressions, and a fuzz test.

Semantics follow the JSP 2.0 EL the engine embeds (coercions, ``null`` handling, 64-bit longs)
and the engine's EL function library (StringEL, RecordEL, MathEL, TimeNowEL).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowbuilder import Flow
from flowbuilder.errors import FlowbuilderError, PreviewError
from flowbuilder.preview import PREVIEW_SDC_ID, Record, evaluate, preview
from flowbuilder.preview._el import Env, compile_template

RECORD = {
    "a": 3,
    "big": 2**40,
    "price": 2.5,
    "name": " Ada Lovelace ",
    "empty": "",
    "nothing": None,
    "list": [10, 20, 30],
    "map": {"k": "v"},
    "odd key": "x",
}
CLOCK = dt.datetime(2024, 3, 5, 14, 7, 9, 123000, tzinfo=dt.timezone.utc)

VALID: list[tuple[str, Any]] = [
    # literals and templates
    ("plain text", "plain text"),
    ("", ""),
    ("${1}", 1),
    ("${1.5}", 1.5),
    ("${'single'}", "single"),
    ('${"double"}', "double"),
    ("${'it\\'s'}", "it's"),
    ("${true}", True),
    ("${null}", None),
    ("a${1 + 1}b${'c'}", "a2bc"),
    ("${null}x", "x"),
    ("${1.0}", 1.0),
    ("v=${1.0}", "v=1.0"),
    ("v=${1e7}", "v=1.0E7"),
    ("${true} and ${false}", "true and false"),
    # arithmetic: longs, doubles, null as 0, numeric strings coerced
    ("${1 + 2 * 3}", 7),
    ("${(1 + 2) * 3}", 9),
    ("${7 / 2}", 3.5),
    ("${7 div 2}", 3.5),
    ("${7 % 3}", 1),
    ("${-7 % 3}", -1),
    ("${7 mod 3}", 1),
    ("${7.5 % 2}", 1.5),
    ("${null + 1}", 1),
    ("${'5' + 1}", 6),
    ("${'1.5' + 1}", 2.5),
    ("${-record:value('/a')}", -3),
    ("${9223372036854775807 + 1}", -9223372036854775808),
    ("${1 / 0}", math.inf),
    # comparison and logic
    ("${1 < 2}", True),
    ("${2 lt 1}", False),
    ("${2 >= 2}", True),
    ("${3 ge 4}", False),
    ("${'a' < 'b'}", True),
    ("${1 == 1.0}", True),
    ("${'1' == 1}", True),
    ("${'a' eq 'a'}", True),
    ("${'a' != 'b'}", True),
    ("${'a' ne 'a'}", False),
    ("${null == null}", True),
    ("${null == 0}", False),
    ("${true && false}", False),
    ("${true and true}", True),
    ("${false || true}", True),
    ("${false or false}", False),
    ("${!true}", False),
    ("${not false}", True),
    ("${'true' && true}", True),
    ("${empty ''}", True),
    ("${empty null}", True),
    ("${empty 'x'}", False),
    ("${empty record:value('/missing')}", True),
    ("${empty record:value('/list')}", False),
    ("${1 > 2 ? 'yes' : 'no'}", "no"),
    ("${true ? 1 : 2 > 1 ? 3 : 4}", 1),
    # record functions
    ("${record:value('/a')}", 3),
    ("${record:value('/list[1]')}", 20),
    ("${record:value(\"/'odd key'\")}", "x"),
    ("${record:value('/missing')}", None),
    ("${record:value('/map')['k']}", "v"),
    ("${record:value('/map').k}", "v"),
    ("${record:value('/list')[2]}", 30),
    ("${record:value('/list')[9]}", None),
    ("${record:exists('/a')}", True),
    ("${record:exists('/missing')}", False),
    ("${record:type('/a')}", "INTEGER"),
    ("${record:type('/big')}", "LONG"),
    ("${record:type('/price')}", "DOUBLE"),
    ("${record:type('/map')}", "LIST_MAP"),
    ("${record:type('/a') == 'INTEGER'}", True),
    ("${record:valueOrDefault('/missing', 'd')}", "d"),
    ("${record:valueOrDefault('/nothing', 7)}", 7),
    ("${record:attribute('topic')}", "orders"),
    ("${record:attribute('missing')}", None),
    ("${record:attributeOrDefault('missing', 'x')}", "x"),
    ("${record:eventType()}", None),
    ("${record:value('/a') > 2 && str:length(record:value('/name')) > 3}", True),
    # str functions
    ("${str:toUpper('ab')}", "AB"),
    ("${str:toLower('AB')}", "ab"),
    ("${str:trim(record:value('/name'))}", "Ada Lovelace"),
    ("${str:concat('a', 'b')}", "ab"),
    ("${str:concat(null, 'b')}", "b"),
    ("${str:replace('a-b-c', '-', '+')}", "a+b+c"),
    ("${str:replaceAll('a1b22', '[0-9]+', '#')}", "a#b#"),
    ("${str:replaceAll('2024-03', '(\\\\d+)-(\\\\d+)', '$2/$1')}", "03/2024"),
    ("${str:contains('abc', 'b')}", True),
    ("${str:startsWith('abc', 'ab')}", True),
    ("${str:endsWith('abc', 'bc')}", True),
    ("${str:length('abc')}", 3),
    ("${str:length(null)}", 0),
    ("${str:substring('hello', 1, 3)}", "el"),
    ("${str:substring('hello', 2, 99)}", "llo"),
    ("${str:substring('hello', 9, 12)}", ""),
    ("${str:indexOf('hello', 'l')}", 2),
    ("${str:truncate('hello', 2)}", "he"),
    ("${str:regExCapture('order-123', '([a-z]+)-([0-9]+)', 2)}", "123"),
    ("${str:regExCapture('none', '([0-9]+)', 1)}", None),
    ("${str:matches('abc123', '[a-z]+[0-9]+')}", True),
    ("${str:matches('abc123', '[a-z]+')}", False),
    ("${str:unescapeJava('a\\\\tb')}", "a\tb"),
    ("${str:unescapeJava('\\\\u0041')}", "A"),
    ("${str:splitKV('a=1, b=2', ',', '=')}", {"a": "1", "b": "2"}),
    ("${str:isNullOrEmpty('')}", True),
    ("${str:urlEncode('a b&c', 'UTF-8')}", "a+b%26c"),
    # math functions
    ("${math:abs(-4)}", 4),
    ("${math:abs(-4.5)}", 4.5),
    ("${math:ceil(1.2)}", 2.0),
    ("${math:floor(1.8)}", 1.0),
    ("${math:max(1, 2)}", 2),
    ("${math:min(1, 2.5)}", 1.0),
    ("${math:round(2.5)}", 3),
    ("${math:round(-2.5)}", -2),
    # time, sdc, pipeline, constants, parameters
    ("${time:now()}", CLOCK),
    ("${time:nowNanoTimestampString()}", "2024-03-05 14:07:09.123"),
    ("${time:extractStringFromDate(time:now(), 'yyyy-MM-dd HH:mm')}", "2024-03-05 14:07"),
    ("${time:dateTimeToMilliseconds(time:millisecondsToDateTime(86400000))}", 86400000),
    ("${YYYY()}-${MM()}-${DD()}", "2024-03-05"),
    ("${sdc:id()}", PREVIEW_SDC_ID),
    ("${pipeline:name()}", "flow"),
    ("${1 * HOURS}", 3600),
    ("${2 * MiB}", 2 * 1024 * 1024),
    ("${LIMIT * 2}", 20),
    ("${str:concat(PREFIX, record:value('/a'))}", "order-3"),
    ("${emptyMap()}", {}),
]


def _env() -> Env:
    return Env(
        record=Record(RECORD, attributes={"topic": "orders"}),
        parameters={"LIMIT": 10, "PREFIX": "order-"},
        clock=lambda: CLOCK,
        flow="flow",
    )


@pytest.mark.parametrize(("expression", "expected"), VALID, ids=[e for e, _ in VALID])
def test_valid_expression_evaluates_as_the_engine_does(expression: str, expected: Any) -> None:
    compiled = compile_template(expression)
    result = compiled.evaluate(_env())
    assert result == expected
    assert type(result) is type(expected) or isinstance(result, type(expected))


INVALID: list[tuple[str, str]] = [
    ("${", "is not closed"),
    ("${}", "holds no expression"),
    ("${1 +}", "expected a value; got the end of the expression"),
    ("${(1 + 2}", "expected ')'"),
    ("${1 2}", "expected an operator or '}'"),
    ("${'open}", "not closed with '"),
    ("${a.}", "expected a property name"),
    ("${1 ? 2}", "expected ':'"),
    ("${#}", "unexpected character '#'"),
    ("${and}", "expected a value"),
    ("${99999999999999999999}", "does not fit a 64-bit long"),
    ("${str:toUppr('a')}", "Did you mean 'str:toUpper'?"),
    ("${uuid:uuid()}", "does not support"),
    ("${jdbc:lookup(1)}", "does not support"),
    ("${" + "(" * 60 + "1" + ")" * 60 + "}", "nests more than"),
]


@pytest.mark.parametrize(("expression", "message"), INVALID, ids=[m for _, m in INVALID])
def test_invalid_expression_is_rejected_at_compile_time_with_position(expression: str, message: str) -> None:
    with pytest.raises(PreviewError) as raised:
        compile_template(expression)
    assert message in str(raised.value)
    assert repr(expression)[:20] in str(raised.value) or "expression" in str(raised.value)


EVALUATION_ERRORS: list[tuple[str, str]] = [
    ("${'abc' + 1}", "cannot coerce String 'abc' to a number"),
    ("${10 % 0}", "division by zero"),
    ("${true + 1}", "cannot use Boolean"),
    ("${record:value('/a[')}", "field path '/a[' is not valid"),
    ("${str:substring('abc', -1, 2)}", "must be 0 or greater"),
    ("${str:matches('a', '(')}", "invalid regular expression"),
    ("${str:toUpper('a', 'b')}", "takes 1 argument; got 2"),
    ("${f:value()}", "works only in field path predicates"),
    ("${1 < true}", "cannot coerce Boolean true to a number"),
    ("${record:value('/map') < 1}", "cannot coerce Map"),
    ("${UNDEFINED}", "neither a flow parameter nor a constant"),
    ("${str:splitKV('a', ',', '=')}", "is not a valid entry"),
]


@pytest.mark.parametrize(("expression", "message"), EVALUATION_ERRORS, ids=[m for _, m in EVALUATION_ERRORS])
def test_evaluation_error_names_the_expression_and_what_went_wrong(expression: str, message: str) -> None:
    with pytest.raises(PreviewError) as raised:
        compile_template(expression).evaluate(_env())
    assert message in str(raised.value)


def test_unknown_parameter_is_reported_with_the_closest_parameter() -> None:
    with pytest.raises(PreviewError, match="Did you mean 'LIMIT'"):
        evaluate("${LIMT + 1}", parameters={"LIMIT": 1})


def test_unsupported_function_lists_the_supported_ones_of_its_prefix() -> None:
    with pytest.raises(PreviewError) as raised:
        compile_template("${math:sqrt(4)}")
    assert "math:sqrt()" in str(raised.value)
    assert "Supported math: functions: math:abs" in str(raised.value)


def test_whole_expression_keeps_its_type_while_templates_are_text() -> None:
    assert evaluate("${1 + 1}") == 2
    assert evaluate("n=${1 + 1}") == "n=2"
    assert evaluate("${record:value('/d')}", {"d": Decimal("1.50")}) == Decimal("1.50")
    assert evaluate("${record:value('/d') * 2}", {"d": Decimal("1.50")}) == Decimal("3.00")


def test_compiled_expression_reports_its_functions_and_parameters() -> None:
    compiled = compile_template("${str:concat(PREFIX, record:value('/id'))} at ${time:now()}")
    assert compiled.functions == ["record:value", "str:concat", "time:now"]
    assert compiled.identifiers == ["PREFIX"]


def test_sdc_id_is_fixed_so_previews_repeat() -> None:
    assert evaluate("${sdc:id()}") == evaluate("${sdc:id()}") == PREVIEW_SDC_ID


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_arbitrary_text_never_raises_anything_but_flowbuilder_errors(text: str) -> None:
    for candidate in (text, "${" + text + "}", "${" + text):
        with contextlib.suppress(FlowbuilderError):
            compile_template(candidate).evaluate(_env())


_ATOMS = st.sampled_from(
    ["1", "2.5", "'a'", "null", "true", "record:value('/a')", "record:value('/name')", "LIMIT", "''", "-1"]
)
_OPS = st.sampled_from(
    ["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||", "and", "or", "div", "mod"]
)


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(_ATOMS)
    kind = draw(st.sampled_from(["binary", "unary", "ternary", "call", "parens"]))
    left = draw(_expressions(depth + 1))
    if kind == "binary":
        return f"{left} {draw(_OPS)} {draw(_expressions(depth + 1))}"
    if kind == "unary":
        return f"{draw(st.sampled_from(['!', '-', 'empty ', 'not ']))}{left}"
    if kind == "ternary":
        return f"{left} ? {draw(_expressions(depth + 1))} : {draw(_expressions(depth + 1))}"
    if kind == "call":
        return f"{draw(st.sampled_from(['str:toUpper', 'str:length', 'math:abs', 'str:trim']))}({left})"
    return f"({left})"


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_well_formed_expressions_evaluate_or_fail_with_a_preview_error(body: str) -> None:
    source = "${" + body + "}"
    try:
        compile_template(source).evaluate(_env())
    except PreviewError as error:
        message = str(error)
    else:
        return
    assert message.startswith(f"expression {source!r}, position ")


# -- parameters whose value is an expression ---------------------------------------------------------
# The engine's own test: datacollector-tests pipeline/test_parameters.py::test_el_using_variables.


def test_a_parameter_holding_an_expression_is_evaluated_where_it_is_used() -> None:
    flow = (
        Flow("parameters")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id":1}', stop_after_first_batch=True)
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/out", "expression": "${PARAM}"}])
        .to("Trash")
        .flow
    )
    flow.parameters["PARAM"] = '${str:regExCapture("argument1 false","f.+",0)}'
    [record] = preview(flow)["Trash_01"].input
    assert record.value == {"id": 1, "out": "false"}


@pytest.mark.parametrize(
    ("value", "message"),
    [("${PARAM}", "parameter 'PARAM' refers to itself"), ("${1 +}", "parameter 'PARAM' = '${1 +}'")],
)
def test_a_parameter_expression_that_cannot_be_evaluated_is_a_record_error_naming_it(
    value: str, message: str
) -> None:
    flow = (
        Flow("parameters")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id":1}')
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/out", "expression": "${PARAM}"}])
        .to("Trash")
        .flow
    )
    flow.parameters["PARAM"] = value
    [error] = preview(flow).error_records
    assert error.error_code == "EXPR_03"
    assert message in (error.error_message or "")
