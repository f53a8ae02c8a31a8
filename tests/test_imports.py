"""What importing flowbuilder loads: the heavy libraries only when their part is used.

``import flowbuilder`` and ``flowbuilder --help`` start fast because the graph library, the HTTP
client, the console tables, the WSGI server and the preview runner load with the first flow,
request, table, server or preview, not with the package (their cost is in benchmarks/).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "networkx",
    "requests",
    "rich",
    "waitress",
    "flowbuilder.server",
    "flowbuilder.backends.http",
    "flowbuilder.preview._runner",
)


def _loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_package_loads_none_of_the_heavy_libraries() -> None:
    loaded = _loaded_after("import flowbuilder")
    assert [name for name in HEAVY if name in loaded] == []
    assert "flowbuilder.catalog._catalog" in loaded  # the catalog's code, but not its data:
    assert _loaded_after(
        "import flowbuilder\nfrom flowbuilder.catalog import _catalog\nassert _catalog._DEFAULT is None"
    )


def test_the_cli_help_loads_none_of_the_heavy_libraries() -> None:
    loaded = _loaded_after(
        "import sys\nfrom flowbuilder.cli import main\nsys.argv = ['flowbuilder', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert [name for name in HEAVY if name in loaded] == []


@pytest.mark.parametrize(
    ("use", "loads"),
    [
        ("flowbuilder.Flow('x')", "networkx"),
        ("flowbuilder.Project.connect('https://example.com', project_id='p', token='t')", "requests"),
        (
            "flowbuilder.preview(flowbuilder.Flow('x').source('Dev Raw Data Source').to('Trash').flow)",
            "flowbuilder.preview._runner",
        ),
        ("from flowbuilder.preview import evaluate", "flowbuilder.preview._el"),
    ],
)
def test_each_library_loads_when_its_part_is_used(use: str, loads: str) -> None:
    assert loads in _loaded_after(f"import flowbuilder\n{use}")
