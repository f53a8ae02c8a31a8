"""The StreamSets expression language: a parser and an evaluator, without ``eval``.

Config values are templates: literal text with ``${...}`` expressions embedded. A value that
is exactly one ``${...}`` keeps the expression's type (``${1 + 1}`` is the number 2); any
other template is text. Inside ``${...}`` the JSP 2.0 EL grammar the engine uses applies:
literals, ``+ - * / div % mod``, comparisons (``== eq != ne < lt > gt <= le >= ge``), logic
(``&& and || or ! not``), ``empty``, ``a ? b : c``, ``a.b`` and ``a[b]``, parameters and
constants, and functions such as ``record:value('/a')`` or ``str:toUpper(...)``, with the
engine's coercions (``null`` is 0 in arithmetic and ``""`` in text; integers are 64-bit longs).

Every problem raises :class:`~flowbuilder.errors.PreviewError` saying what is wrong and
where; no other exception escapes, whatever the input.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from .._names import did_you_mean
from ..errors import PreviewError
from . import _java
from ._fields import Field
from ._records import Record

__all__ = [
    "MAX_DEPTH",
    "Env",
    "Expression",
    "coerce_bool",
    "coerce_double",
    "coerce_long",
    "compile_template",
    "evaluate",
]

#: How deep an expression's syntax tree may grow before it is rejected (keeps evaluation bounded).
MAX_DEPTH = 200
#: How many parentheses, function calls, ternaries and unary operators may nest.
_MAX_NESTING = 40
_KEYWORDS = frozenset(
    {
        "true",
        "false",
        "null",
        "and",
        "or",
        "not",
        "eq",
        "ne",
        "lt",
        "gt",
        "le",
        "ge",
        "div",
        "mod",
        "empty",
        "instanceof",
    }
)
_OPERATORS = (
    "==",
    "!=",
    "<=",
    ">=",
    "&&",
    "||",
    "<",
    ">",
    "!",
    "+",
    "-",
    "*",
    "/",
    "%",
    "?",
    ":",
    "(",
    ")",
    ",",
    ".",
    "[",
    "]",
    "}",
)
_WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(_java.UTC)


@dataclass
class Env:
    """What an expression can see: the record, parameters, the clock, the current field (``f:``).

    ``clock`` returns the current time (inject one for repeatable results); ``flow`` names the
    pipeline for ``pipeline:name()``.
    """

    record: Record | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    clock: Callable[[], dt.datetime] = _utc_now
    flow: str = ""
    field_path: str | None = None
    field_value: Field | None = None
    memo: dict[str, Any] = field(default_factory=dict)


# -- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # int, float, str, ident, op, end
    text: str
    value: Any
    pos: int


def _error(source: str, pos: int, what: str, hint: str | None = None) -> PreviewError:
    return PreviewError(f"expression {source!r}, position {pos}: {what}", hint=hint)


def _tokenize(source: str, start: int) -> tuple[list[_Token], int]:
    """Tokens of one ``${...}`` body starting at ``start``; returns them and the index after ``}``."""
    tokens: list[_Token] = []
    i = start
    n = len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if char == "}":
            tokens.append(_Token("end", "}", None, i))
            return tokens, i + 1
        if char in "'\"":
            begin = i
            text, i = _string(source, i)
            tokens.append(_Token("str", text, text, begin))
            continue
        if char.isdigit() or (char == "." and i + 1 < n and source[i + 1].isdigit()):
            token, i = _number(source, i)
            tokens.append(token)
            continue
        if char.isalpha() or char in "_$":
            begin = i
            while i < n and (source[i].isalnum() or source[i] in "_$") and source[i].isascii():
                i += 1
            if i == begin:
                raise _error(source, i, f"unexpected character {char!r}")
            word = source[begin:i]
            tokens.append(_Token("ident", word, word, begin))
            continue
        for op in _OPERATORS:
            if source.startswith(op, i):
                tokens.append(_Token("op", op, op, i))
                i += len(op)
                break
        else:
            raise _error(
                source, i, f"unexpected character {char!r}", "Check for a missing quote or operator."
            )
    raise _error(source, start - 2, "'${' is not closed with '}'", "Close every ${ with }.")


def _string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    out: list[str] = []
    i = start + 1
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "\\'\"":
            out.append(source[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise _error(source, start, f"the string starting here is not closed with {quote}")


def _number(source: str, start: int) -> tuple[_Token, int]:
    i = start
    n = len(source)
    while i < n and source[i].isdigit() and source[i].isascii():
        i += 1
    is_float = False
    if i < n and source[i] == "." and (i + 1 >= n or not source[i + 1].isalpha()):
        is_float = True
        i += 1
        while i < n and source[i].isdigit() and source[i].isascii():
            i += 1
    if i < n and source[i] in "eE":
        j = i + 1
        if j < n and source[j] in "+-":
            j += 1
        if j < n and source[j].isdigit():
            is_float = True
            i = j
            while i < n and source[i].isdigit() and source[i].isascii():
                i += 1
    text = source[start:i]
    if not text or not any(c.isdigit() for c in text):
        raise _error(source, start, f"malformed number {text!r}")
    if is_float:
        try:
            return _Token("float", text, _java.parse_double(text), start), i
        except ValueError:
            raise _error(source, start, f"malformed number {text!r}") from None
    try:
        return _Token("int", text, _java.parse_long(text), start), i
    except ValueError:
        raise _error(source, start, f"integer {text!r} does not fit a 64-bit long") from None


# -- syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    kind: str  # lit, ident, unary, binary, and, or, cond, call, index
    pos: int
    value: Any = None
    children: tuple[_Node, ...] = ()
    depth: int = 1


def _node(kind: str, pos: int, value: Any = None, *children: _Node, source: str = "") -> _Node:
    depth = 1 + max((c.depth for c in children), default=0)
    if depth > MAX_DEPTH:
        raise _error(
            source,
            pos,
            f"the expression has more than {MAX_DEPTH} nested operations",
            "Split it over several configs or stages.",
        )
    return _Node(kind, pos, value, tuple(children), depth)


class _Parser:
    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def op(self, token: _Token) -> str | None:
        if token.kind == "op":
            return token.text
        if token.kind == "ident" and token.text in _WORD_OPERATORS:
            return _WORD_OPERATORS[token.text]
        return None

    def take(self) -> _Token:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, op: str) -> _Token:
        token = self.peek()
        if self.op(token) != op:
            raise self.unexpected(token, f"expected {op!r}")
        return self.take()

    def unexpected(self, token: _Token, what: str) -> PreviewError:
        got = "the end of the expression" if token.kind == "end" else repr(token.text)
        return _error(self.source, token.pos, f"{what}; got {got}")

    def node(self, kind: str, pos: int, value: Any = None, *children: _Node) -> _Node:
        return _node(kind, pos, value, *children, source=self.source)

    def parse(self) -> _Node:
        tree = self.ternary()
        if self.peek().kind != "end":
            raise self.unexpected(self.peek(), "expected an operator or '}'")
        return tree

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise _error(
                self.source,
                token.pos,
                f"the expression nests more than {_MAX_NESTING} levels deep",
                "Split it over several configs or stages.",
            )

    def ternary(self) -> _Node:
        self.enter(self.peek())
        try:
            condition = self.binary(0)
            if self.op(self.peek()) == "?":
                token = self.take()
                yes = self.ternary()
                self.expect(":")
                no = self.ternary()
                return self.node("cond", token.pos, None, condition, yes, no)
            return condition
        finally:
            self.nesting -= 1

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!="),
        ("<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def binary(self, level: int) -> _Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            op = self.op(self.peek())
            if op not in self._LEVELS[level]:
                return left
            token = self.take()
            right = self.binary(level + 1)
            kind = "and" if op == "&&" else "or" if op == "||" else "binary"
            left = self.node(kind, token.pos, op, left, right)

    def unary(self) -> _Node:
        token = self.peek()
        op = self.op(token)
        if op in ("-", "!") or (token.kind == "ident" and token.text == "empty"):
            self.take()
            self.enter(token)
            try:
                operand = self.unary()
            finally:
                self.nesting -= 1
            return self.node("unary", token.pos, "empty" if op is None else op, operand)
        return self.postfix()

    def postfix(self) -> _Node:
        target = self.primary()
        while True:
            op = self.op(self.peek())
            if op == ".":
                token = self.take()
                name = self.take()
                if name.kind != "ident":
                    raise self.unexpected(name, "expected a property name after '.'")
                key = self.node("lit", name.pos, name.text)
                target = self.node("index", token.pos, None, target, key)
            elif op == "[":
                token = self.take()
                key = self.ternary()
                self.expect("]")
                target = self.node("index", token.pos, None, target, key)
            else:
                return target

    def primary(self) -> _Node:
        token = self.take()
        if token.kind in ("int", "float", "str"):
            return self.node("lit", token.pos, token.value)
        if token.kind == "ident":
            if token.text in ("true", "false"):
                return self.node("lit", token.pos, token.text == "true")
            if token.text == "null":
                return self.node("lit", token.pos, None)
            if self.op(self.peek()) == ":" and self.peek(1).kind == "ident" and self.op(self.peek(2)) == "(":
                self.take()
                name = f"{token.text}:{self.take().text}"
                return self.call(token, name)
            if self.op(self.peek()) == "(":
                return self.call(token, token.text)
            if token.text in _KEYWORDS:
                raise self.unexpected(token, "expected a value")
            return self.node("ident", token.pos, token.text)
        if self.op(token) == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        raise self.unexpected(token, "expected a value")

    def call(self, token: _Token, name: str) -> _Node:
        self.expect("(")
        args: list[_Node] = []
        if self.op(self.peek()) != ")":
            while True:
                args.append(self.ternary())
                if self.op(self.peek()) == ",":
                    self.take()
                    continue
                break
        self.expect(")")
        return self.node("call", token.pos, name, *args)


# -- compiled templates --------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A compiled config value: literal text and ``${...}`` expressions.

    >>> Expression.compile("${1 + 2}").evaluate(Env())
    3
    >>> Expression.compile("total: ${2 * 3}").evaluate(Env())
    'total: 6'
    """

    source: str
    parts: tuple[str | _Node, ...]

    @classmethod
    def compile(cls, source: str) -> Expression:
        """Parse ``source``; PreviewError naming the position on a syntax error or unknown function."""
        return compile_template(source)

    @property
    def is_constant(self) -> bool:
        """True when the template has no ``${...}`` at all."""
        return all(isinstance(part, str) for part in self.parts)

    @property
    def functions(self) -> list[str]:
        """The functions the template calls, e.g. ``['record:value']``."""
        return sorted({n.value for n in self._nodes() if n.kind == "call"})

    @property
    def identifiers(self) -> list[str]:
        """The parameters and constants the template reads."""
        return sorted({n.value for n in self._nodes() if n.kind == "ident"})

    def _nodes(self) -> list[_Node]:
        found: list[_Node] = []
        stack = [p for p in self.parts if isinstance(p, _Node)]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(node.children)
        return found

    def check_names(self, available: Collection[str]) -> None:
        """Raise PreviewError when the template reads a parameter or constant that is not defined."""
        from ._functions import CONSTANTS

        for name in self.identifiers:
            if name not in available and name not in CONSTANTS:
                known = sorted(set(available) | set(CONSTANTS))
                raise PreviewError(
                    f"expression {self.source!r} reads {name!r}, which is neither a flow parameter "
                    "nor a constant",
                    hint=did_you_mean(name, known)
                    or f"Define it with flow.parameters[{name!r}] = ... "
                    f"or pass parameters={{{name!r}: ...}}.",
                )

    def evaluate(self, env: Env) -> Any:
        """The value of the template for ``env``; PreviewError when an expression cannot be evaluated."""
        evaluator = _Evaluator(self.source, env)
        if len(self.parts) == 1 and isinstance(self.parts[0], _Node):
            return evaluator.run(self.parts[0])
        return "".join(
            part if isinstance(part, str) else _java.to_string(evaluator.run(part)) for part in self.parts
        )


def compile_template(source: str) -> Expression:
    """Compile ``source`` (text with ``${...}``) into an :class:`Expression`.

    >>> compile_template("${str:toUpper('a')}-x").functions
    ['str:toUpper']
    """
    from ._functions import FUNCTIONS

    if not isinstance(source, str):
        raise PreviewError(f"an expression must be text; got {type(source).__name__} {source!r}")
    parts: list[str | _Node] = []
    text: list[str] = []
    i = 0
    while i < len(source):
        start = source.find("${", i)
        if start < 0:
            text.append(source[i:])
            break
        text.append(source[i:start])
        tokens, i = _tokenize(source, start + 2)
        if len(tokens) == 1:
            raise _error(source, start, "'${}' holds no expression", "Write an expression between ${ and }.")
        try:
            tree = _Parser(source, tokens).parse()
        except RecursionError:
            raise _error(source, start, "the expression is too deeply nested to parse") from None
        if "".join(text):
            parts.append("".join(text))
        text = []
        parts.append(tree)
    if "".join(text) or not parts:
        parts.append("".join(text))
    compiled = Expression(source, tuple(parts))
    for name in compiled.functions:
        if name not in FUNCTIONS:
            raise PreviewError(
                f"expression {source!r} calls {name}(), which the preview runner does not support",
                hint=_function_hint(name, FUNCTIONS),
            )
    return compiled


def _function_hint(name: str, functions: Collection[str]) -> str:
    prefix = name.partition(":")[0] + ":" if ":" in name else ""
    same = sorted(f for f in functions if prefix and f.startswith(prefix))
    if same:
        close = did_you_mean(name[len(prefix) :], [f[len(prefix) :] for f in same])
        if close:
            return close.replace("'", f"'{prefix}", 1)
        return f"Supported {prefix} functions: {', '.join(same)}."
    close = did_you_mean(name, functions)
    if close:
        return close
    prefixes = sorted({f.partition(":")[0] + ":" for f in functions if ":" in f})
    plain = sorted(f + "()" for f in functions if ":" not in f)
    return f"Supported: {', '.join(prefixes)} functions and {', '.join(plain)}."


def evaluate(
    source: str,
    record: Record | Mapping[str, Any] | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Any:
    """Evaluate one config value the way the engine does, for ``record`` and ``parameters``.

    >>> evaluate("${record:value('/a') * 2 > 5 ? 'big' : 'small'}", {"a": 3})
    'big'
    >>> evaluate("${str:concat(PREFIX, record:value('/id'))}", {"id": 7}, parameters={"PREFIX": "order-"})
    'order-7'
    """
    compiled = compile_template(source)
    values = dict(parameters or {})
    compiled.check_names(values)
    subject = record if isinstance(record, Record) or record is None else Record(record)
    env = Env(record=subject, parameters=values, clock=clock or _utc_now)
    return compiled.evaluate(env)


# -- evaluation ----------------------------------------------------------------------------


def _kind(value: object) -> str:
    """The Java type name of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, Decimal):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, (dt.date, dt.datetime)):
        return "Date"
    if isinstance(value, dict):
        return "Map"
    if isinstance(value, list):
        return "List"
    return type(value).__name__


def _floatish(text: str) -> bool:
    return any(c in text for c in ".eE")


def coerce_long(value: object) -> int:
    """The EL's coercion to a long (``null`` and ``""`` are 0); ValueError when impossible.

    >>> coerce_long("12"), coerce_long(None), coerce_long(3.9)
    (12, 0, 3)
    """
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError(f"cannot coerce Boolean {_java.to_string(value)} to a number")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (float, Decimal)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return 0 if math.isnan(value) else (2**63 - 1 if value > 0 else -(2**63))
        return _java.wrap_long(int(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            if _floatish(text):
                return coerce_long(_java.parse_double(text))
            return _java.parse_long(text)
        except ValueError:
            raise ValueError(f"cannot coerce String {value!r} to a number") from None
    raise ValueError(f"cannot coerce {_kind(value)} {_java.to_string(value)!r} to a number")


def coerce_double(value: object) -> float:
    """The EL's coercion to a double; ValueError when impossible.

    >>> coerce_double("1.5"), coerce_double(2)
    (1.5, 2.0)
    """
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise ValueError(f"cannot coerce Boolean {_java.to_string(value)} to a number")
    if isinstance(value, (int, float, Decimal)):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return _java.parse_double(value)
        except ValueError:
            raise ValueError(f"cannot coerce String {value!r} to a number") from None
    raise ValueError(f"cannot coerce {_kind(value)} {_java.to_string(value)!r} to a number")


def _coerce_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise ValueError(f"cannot coerce Boolean {_java.to_string(value)} to a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"cannot use {_java.to_string(value)} as a BigDecimal")
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"cannot coerce String {value!r} to a number") from None
    raise ValueError(f"cannot coerce {_kind(value)} to a number")


def coerce_bool(value: object) -> bool:
    """The EL's coercion to a boolean: ``null`` and ``""`` are false, text is ``"true"`` or not.

    >>> coerce_bool("TRUE"), coerce_bool(""), coerce_bool(None)
    (True, False, False)
    """
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    raise ValueError(f"cannot coerce {_kind(value)} {_java.to_string(value)!r} to a Boolean")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


class _Evaluator:
    def __init__(self, source: str, env: Env) -> None:
        self.source = source
        self.env = env

    def fail(self, node: _Node, what: str, hint: str | None = None) -> PreviewError:
        return _error(self.source, node.pos, what, hint)

    def run(self, node: _Node) -> Any:
        try:
            return self.eval(node)
        except PreviewError:
            raise
        except (ValueError, ArithmeticError, TypeError, OverflowError, IndexError, KeyError) as error:
            raise self.fail(node, str(error) or type(error).__name__) from None
        except RecursionError:
            raise self.fail(node, "the expression is too deeply nested to evaluate") from None

    def eval(self, node: _Node) -> Any:
        kind = node.kind
        if kind == "lit":
            return node.value
        if kind == "ident":
            return self.identifier(node)
        if kind == "and":
            return self.truth(node.children[0]) and self.truth(node.children[1])
        if kind == "or":
            return self.truth(node.children[0]) or self.truth(node.children[1])
        if kind == "cond":
            branch = node.children[1] if self.truth(node.children[0]) else node.children[2]
            return self.eval(branch)
        if kind == "unary":
            return self.unary(node)
        if kind == "binary":
            return self.binary(node)
        if kind == "index":
            return self.index(node)
        if kind == "call":
            return self.call(node)
        raise self.fail(node, f"unknown syntax node {kind!r}")

    def truth(self, node: _Node) -> bool:
        value = self.eval(node)
        try:
            return coerce_bool(value)
        except ValueError as error:
            raise self.fail(
                node, str(error), "Use a comparison such as x == 'y' where a condition is needed."
            ) from None

    def identifier(self, node: _Node) -> Any:
        from ._functions import CONSTANTS

        name = node.value
        if name in self.env.parameters:
            value = self.env.parameters[name]
            if isinstance(value, str) and "${" in value:
                return self.parameter_expression(node, name, value)
            return value
        if name in CONSTANTS:
            return CONSTANTS[name]
        known = sorted(set(self.env.parameters) | set(CONSTANTS))
        raise self.fail(
            node, f"{name!r} is neither a flow parameter nor a constant", did_you_mean(name, known)
        )

    def parameter_expression(self, node: _Node, name: str, value: str) -> Any:
        """A parameter whose value is an expression is evaluated where it is used, as the engine
        does (datacollector-tests pipeline/test_parameters.py::test_el_using_variables)."""
        evaluating: set[str] = self.env.memo.setdefault("parameters being evaluated", set())
        if name in evaluating:
            raise self.fail(node, f"parameter {name!r} refers to itself", "Break the cycle of parameters.")
        evaluating.add(name)
        try:
            return compile_template(value).evaluate(self.env)
        except PreviewError as error:
            raise self.fail(node, f"parameter {name!r} = {value!r}: {error.message}", error.hint) from None
        finally:
            evaluating.discard(name)

    def unary(self, node: _Node) -> Any:
        op = node.value
        if op == "!":
            return not self.truth(node.children[0])
        value = self.eval(node.children[0])
        if op == "empty":
            return value is None or (isinstance(value, (str, list, dict, tuple)) and len(value) == 0)
        if value is None:
            return 0
        if isinstance(value, Decimal):
            return -value
        if isinstance(value, float) or (isinstance(value, str) and _floatish(value)):
            return -coerce_double(value)
        return _java.wrap_long(-coerce_long(value))

    def binary(self, node: _Node) -> Any:
        op = node.value
        left = self.eval(node.children[0])
        right = self.eval(node.children[1])
        if op in ("+", "-", "*", "/", "%"):
            return self.arithmetic(node, op, left, right)
        if op in ("==", "!="):
            equal = self.equals(left, right)
            return equal if op == "==" else not equal
        return self.compare(node, op, left, right)

    def arithmetic(self, node: _Node, op: str, left: Any, right: Any) -> Any:
        if left is None and right is None:
            return 0
        for value in (left, right):
            if value is not None and not _is_number(value) and not isinstance(value, str):
                raise self.fail(
                    node,
                    f"cannot use {_kind(value)} {_java.to_string(value)!r} in arithmetic",
                    "Arithmetic needs numbers; use str:concat() to join text.",
                )
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            return self.decimal(node, op, _coerce_decimal(left), _coerce_decimal(right))
        floaty = any(isinstance(v, float) or (isinstance(v, str) and _floatish(v)) for v in (left, right))
        if op == "/" or floaty:
            a, b = coerce_double(left), coerce_double(right)
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                if b == 0:
                    return (
                        math.nan
                        if a == 0 or math.isnan(a)
                        else math.copysign(math.inf, a) * math.copysign(1, b)
                    )
                return a / b
            if b == 0:
                return math.nan
            return math.fmod(a, b)
        x, y = coerce_long(left), coerce_long(right)
        if op == "+":
            return _java.wrap_long(x + y)
        if op == "-":
            return _java.wrap_long(x - y)
        if op == "*":
            return _java.wrap_long(x * y)
        if y == 0:
            raise self.fail(node, "division by zero in '%'", "Guard the divisor, e.g. ${b == 0 ? 0 : a % b}.")
        remainder = abs(x) % abs(y)
        return _java.wrap_long(-remainder if x < 0 else remainder)

    def decimal(self, node: _Node, op: str, a: Decimal, b: Decimal) -> Decimal:
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            return a % b
        except (DivisionByZero, InvalidOperation):
            raise self.fail(node, f"cannot compute {a} {op} {b}") from None

    def equals(self, left: Any, right: Any) -> bool:
        if left is right or (left is None and right is None):
            return True
        if left is None or right is None:
            return False
        if (isinstance(left, Decimal) or isinstance(right, Decimal)) and (
            _is_number(left) or _is_number(right)
        ):
            return _coerce_decimal(left) == _coerce_decimal(right)
        if (
            (isinstance(left, float) or isinstance(right, float))
            and not isinstance(left, bool)
            and not isinstance(right, bool)
        ):
            return coerce_double(left) == coerce_double(right)
        if _is_number(left) or _is_number(right):
            if isinstance(left, bool) or isinstance(right, bool):
                return bool(left == right)
            return coerce_long(left) == coerce_long(right)
        if isinstance(left, bool) or isinstance(right, bool):
            return coerce_bool(left) == coerce_bool(right)
        if isinstance(left, str) or isinstance(right, str):
            return _java.to_string(left) == _java.to_string(right)
        return bool(left == right)

    def compare(self, node: _Node, op: str, left: Any, right: Any) -> bool:
        if left is None or right is None:
            return op in ("<=", ">=") and left is right
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            a: Any = _coerce_decimal(left)
            b: Any = _coerce_decimal(right)
        elif isinstance(left, float) or isinstance(right, float):
            a, b = coerce_double(left), coerce_double(right)
        elif _is_number(left) or _is_number(right):
            a, b = coerce_long(left), coerce_long(right)
        elif isinstance(left, str) and isinstance(right, str):
            a, b = left, right
        elif isinstance(left, dt.date) and isinstance(right, dt.date):
            a, b = _java.to_millis(left), _java.to_millis(right)
        elif isinstance(left, str) or isinstance(right, str):
            a, b = _java.to_string(left), _java.to_string(right)
        else:
            raise self.fail(node, f"cannot compare {_kind(left)} with {_kind(right)} using {op!r}")
        if op == "<":
            return bool(a < b)
        if op == ">":
            return bool(a > b)
        if op == "<=":
            return bool(a <= b)
        return bool(a >= b)

    def index(self, node: _Node) -> Any:
        target = self.eval(node.children[0])
        key = self.eval(node.children[1])
        if target is None or key is None:
            return None
        if isinstance(target, dict):
            return target.get(_java.to_string(key))
        if isinstance(target, (list, str)):
            try:
                position = coerce_long(key)
            except ValueError as error:
                raise self.fail(node, f"a list index must be a number: {error}") from None
            if isinstance(target, str):
                raise self.fail(node, "cannot index into text", "Use str:substring(text, begin, end).")
            return target[position] if 0 <= position < len(target) else None
        raise self.fail(node, f"cannot read a property of {_kind(target)}")

    def call(self, node: _Node) -> Any:
        from ._functions import FUNCTIONS

        function = FUNCTIONS[node.value]
        args = [self.eval(child) for child in node.children]
        return function.invoke(self.env, args, lambda what, hint=None: self.fail(node, what, hint))
