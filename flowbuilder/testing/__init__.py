"""flowbuilder's pytest plugin (entry point ``pytest11``): fixtures and assertions for flows.

Installed with flowbuilder, it gives every test suite:

- fixtures ``flow_project`` (a fresh local project) and ``flow_server`` (a project bound to a
  running ``flowbuilder serve``);
- :func:`assert_valid`, :func:`assert_matches_snapshot` (``--flowbuilder-update-snapshots``
  rewrites the files), and record matchers :func:`assert_records` / :func:`record_with` for
  :func:`flowbuilder.preview.preview` results.

>>> from flowbuilder import Flow
>>> from flowbuilder.preview import preview
>>> flow = Flow("demo").source("Dev Raw Data Source").to("Trash").flow
>>> assert_valid(flow)
>>> assert_records(preview(flow, records=[{"a": 1}])["Trash_01"].input, [record_with({"/a": 1})])
"""

from ._assertions import assert_matches_snapshot, assert_valid
from ._matchers import RecordMatcher, assert_records, record_with
from ._plugin import flow_project, flow_server, pytest_addoption, pytest_configure

__all__ = [
    "RecordMatcher",
    "assert_matches_snapshot",
    "assert_records",
    "assert_valid",
    "flow_project",
    "flow_server",
    "pytest_addoption",
    "pytest_configure",
    "record_with",
]
