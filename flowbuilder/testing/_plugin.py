"""The pytest side of the plugin: the snapshot option and the ``flow_project``/``flow_server`` fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ._assertions import UPDATE_OPTION, set_update_snapshots

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["flow_project", "flow_server", "pytest_addoption", "pytest_configure"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--flowbuilder-update-snapshots`` (rewrite snapshot files instead of comparing)."""
    group = parser.getgroup("flowbuilder")
    group.addoption(
        UPDATE_OPTION,
        action="store_true",
        default=False,
        help="flowbuilder: write flow snapshots (assert_matches_snapshot) instead of comparing them.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Read the snapshot option once per run."""
    set_update_snapshots(bool(config.getoption(UPDATE_OPTION, default=False)))


@pytest.fixture
def flow_project(tmp_path: Path) -> Iterator[Project]:
    """A fresh local project (SQLite store) in a temporary directory, closed after the test."""
    from ..project import Project

    project = Project.local(tmp_path / ".flowbuilder")
    try:
        yield project
    finally:
        project.close()


@pytest.fixture
def flow_server(tmp_path: Path) -> Iterator[Project]:
    """A client project bound to a running ``flowbuilder serve`` on a free loopback port.

    The server stores its data in the test's temporary directory and is stopped after the
    test; the bearer token is random per test.
    """
    from ..server import ServerProcess

    with ServerProcess(tmp_path / "flowbuilder-serve") as server:
        project = server.connect()
        try:
            yield project
        finally:
            project.close()
