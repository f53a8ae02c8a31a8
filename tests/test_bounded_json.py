"""The bounded parser reads what ``json.loads`` reads, to the same values and the same errors at the
same line and column, whatever its window; it shares equal strings, counts what it holds and stops
at its limit."""

from __future__ import annotations

import json
import random
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

import flowbuilder._bounded_json as bounded
from flowbuilder._bounded_json import TooDense, parse
from tests.conftest import CORPUS_FILES

_STRINGS = ["", "a", "ab", "name", "é", "øøø", "😀x", 'a"b\\c\n', "\u0101zz", "x" * 40, "L" * 300]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(
            [rng.choice(_STRINGS), rng.randint(-(10**12), 10**12), rng.random() * 1e6, True, False, None]
        )
    if roll < 0.65:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["name", "value", "stages", "é", *(f"k{n}" for n in range(20))]
    return {rng.choice(keys): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _documents(seed: int, count: int) -> Iterator[str | bytes]:
    """Random documents, a third of them broken, as text and as UTF-8 (some with a BOM)."""
    rng = random.Random(seed)
    for _ in range(count):
        text = json.dumps(_value(rng), indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.3)
        if rng.random() < 0.35:
            at = rng.randrange(len(text) + 1)
            text = (
                text[:at]
                + rng.choice(["", ",", "]", "}", "x", '"', "1", "\x01"])
                + text[at + rng.randint(0, 2) :]
            )
        yield text
        yield text.encode()
        if rng.random() < 0.1:
            yield b"\xef\xbb\xbf" + text.encode()
            yield text.encode("utf-16")


def _outcome(read: Any) -> tuple[Any, ...]:
    try:
        return ("value", read())
    except json.JSONDecodeError as error:
        return ("error", error.msg, error.lineno, error.colno)
    except (RecursionError, ValueError) as error:
        return (type(error).__name__,)


@pytest.mark.parametrize("window", [1, 2, 3, 7, 64, 4096])
def test_it_reads_what_json_loads_reads_with_the_same_errors_whatever_the_window(
    window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounded, "WINDOW", window)
    extra: list[str | bytes] = [
        "",
        "  ",
        "[1] x",
        "[NaN, -Infinity, 1e400, 12.5e-3]",
        "\ufeff[]",
        "[" * 3000 + "]" * 3000,
        "1" * 5000,
        '"' + "x" * 10_000 + '"',
        "[" + "1234567890," * 50 + "1]",
    ]
    for data in [*_documents(window, 300), *extra]:
        expected = _outcome(lambda data=data: json.loads(data))  # type: ignore[misc]
        got = _outcome(lambda data=data: parse(data, limit=10**9)[0])  # type: ignore[misc]
        assert got == expected, (window, data[:200])


def test_bytes_that_are_not_utf_8_are_a_unicode_error_at_their_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bounded, "WINDOW", 16)
    data = b'{"stages": [], "title": "' + b"x" * 100 + b'\xff"}'
    with pytest.raises(UnicodeDecodeError) as raised:
        parse(data, limit=10**9)
    assert raised.value.start == data.index(b"\xff")


def test_equal_strings_are_one_object_keys_and_values_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "WINDOW", 8)  # the scanner's own key memo is per window
    stages, _ = parse(json.dumps([{"name": "conf.x", "value": ["conf.x"]} for _ in range(50)]), limit=10**9)
    assert len({id(key) for stage in stages for key in stage}) == 2
    assert len({id(stage["name"]) for stage in stages} | {id(stage["value"][0]) for stage in stages}) == 1


@pytest.mark.parametrize("window", [8, 1024])
def test_what_it_counts_is_what_the_document_holds_whatever_the_window(
    window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = max(CORPUS_FILES, key=lambda path: path.stat().st_size).read_bytes()
    parse(text, limit=10**9)  # the interpreter's own caches, once
    tracemalloc.start()
    document, held = parse(text, limit=10**9)
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # The count covers every object the document is made of (and the sharing table's slots);
    # tracemalloc also sees pymalloc's rounding.
    assert 0.85 * kept <= held <= 1.15 * kept, (held, kept)
    assert document == json.loads(text)
    monkeypatch.setattr(bounded, "WINDOW", window)
    assert parse(text, limit=10**9) == (document, held)


@pytest.mark.parametrize(
    "item",
    ["[]", "{}", "0.5", '{"a":[]}', '"x"', "[[[]]]"],
    ids=["lists", "objects", "floats", "nested", "strings", "deep"],
)
def test_a_document_of_tiny_values_stops_at_the_limit_with_memory_bounded_by_it(item: str) -> None:
    text = "[" + ",".join([item] * 150_000) + "]"
    limit = 3 * len(text)
    tracemalloc.start()
    try:
        parse(text, limit=limit)
    except TooDense as error:
        refused: TooDense | None = error
    else:
        refused = None
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if item == '"x"':  # one shared string: eight bytes an item
        assert refused is None
    else:
        assert refused is not None
        assert refused.limit == limit
        assert 0 < refused.offset < len(text)
    # at most the limit, and what the scanner holds inside one window (about 25 times it)
    assert peak <= limit + 25 * bounded.WINDOW + 4 * bounded.WINDOW, peak / len(text)


def test_a_value_longer_than_the_window_costs_about_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "WINDOW", 1024)
    text = '{"raw": "' + "x" * 1_000_000 + '", "n": ' + "7" * 3000 + "}"
    value, held = parse(text, limit=10**9)
    assert len(value["raw"]) == 1_000_000
    assert value["n"] == int("7" * 3000)
    assert held < 1.1 * len(text)
    assert sys.getsizeof(value["raw"]) < held
