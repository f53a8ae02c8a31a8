"""Names: file names after flow names, and the rule for text that reaches a terminal."""

from __future__ import annotations

import json

import pytest

from flowbuilder._names import file_names, has_control_characters, printable


def test_file_names_are_unique_even_where_a_name_looks_like_a_numbered_one() -> None:
    names = ["a", "a-2", "a", "a", "A/B", "a_b"]
    chosen = file_names(names)
    assert chosen == ["a", "a-2", "a-3", "a-4", "A_B", "a_b"]
    many = file_names(["orders"] * 5000)
    assert len(set(many)) == 5000
    assert many[-1] == "orders-5000"


@pytest.mark.parametrize("char", ["\x00", "\n", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u202e", "\u2066"])
def test_controls_separators_and_bidi_overrides_are_escaped_as_json_reads_them(char: str) -> None:
    text = f"a{char}b"
    assert has_control_characters(text)
    shown = printable(text)
    assert shown.isprintable()
    assert shown.isascii()
    assert json.loads(f'"{shown}"') == text


@pytest.mark.parametrize("text", ["orders", "emoji 😀 漢字 é", "zero \u200b width", "[red]x[/]"])
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert not has_control_characters(text)
    assert printable(text) == text
