"""Collection rules for the whole suite (tests/, the doctests of flowbuilder/, examples/)."""

from __future__ import annotations

import shutil

import pytest

_DRAWN = (".svg", ".png", ".pdf")


def _draws(item: pytest.Item) -> bool:
    """Tests marked ``needs_dot``, and doctests whose examples write a drawing."""
    if item.get_closest_marker("needs_dot") is not None:
        return True
    examples = getattr(getattr(item, "dtest", None), "examples", ())
    return any(suffix in example.source for example in examples for suffix in _DRAWN)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip what needs Graphviz's dot where it is missing, saying so (CI installs it)."""
    if shutil.which("dot") is not None:
        return
    skip = pytest.mark.skip(reason="needs Graphviz's dot program: apt-get install graphviz (CI installs it)")
    for item in items:
        if _draws(item):
            item.add_marker(skip)
