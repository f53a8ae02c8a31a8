"""Reading counts written by others: name suffixes, revisions, cursors, header values.

``str.isdigit()`` is no guard for ``int()``: it accepts ``'²'``, which ``int()`` refuses, and
``int()`` refuses strings of more than 4,300 digits. Every such read goes through :func:`count`.
"""

from __future__ import annotations

__all__ = ["count"]

_MAX_DIGITS = 18  # every count fits in a signed 64-bit integer (SQLite's INTEGER)


def count(text: str) -> int | None:
    """The non-negative integer that ``text`` spells in 1 to 18 ASCII digits, else None.

    >>> count("42"), count("007"), count("²"), count("-1"), count(""), count("9" * 19)
    (42, 7, None, None, None, None)
    """
    if 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None
