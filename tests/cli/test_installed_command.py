"""End to end: the installed ``flowbuilder`` executable, run in a subprocess as CI runs it."""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowbuilder import Project
from flowbuilder.plan import is_managed
from flowbuilder.server import ServerProcess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
EXECUTABLE = shutil.which("flowbuilder")

ORDERS = """\
from flowbuilder import Flow

orders = (
    Flow("orders", description="orders to files")
    .source("Dev Raw Data Source", data_format="JSON", raw_data='{{"id": 1}}')
    .to("Expression Evaluator", field_expressions=[{{"fieldToSet": "/seen", "expression": "${{true}}"}}])
    .to("Local FS", data_format="JSON", directory_template="{directory}")
    .on_error("Write to File", directory="/data/errors")
)
"""

SIMPLE = """\
from flowbuilder import Flow

flow = Flow("{name}").source("Dev Raw Data Source", data_format="JSON").to("Trash").flow
flow.set_error_stage("Discard")
"""

BROKEN = """\
from flowbuilder import Flow

orders = (
    Flow("broken")
    .source("Dev Raw Data Source", data_format="JSON")
    .to("Local FS")
    .flow
)
"""


def base_environment() -> dict[str, str]:
    """The caller's environment without flowbuilder settings, so tests see only what they set."""
    return {key: value for key, value in os.environ.items() if not key.startswith("FLOWBUILDER_")}


def flowbuilder(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert EXECUTABLE is not None, "flowbuilder is not installed: pip install -e '.[test]'"
    return subprocess.run(
        [EXECUTABLE, *args],
        cwd=cwd,
        env={**base_environment(), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Target:
    """Where apply writes: the options, environment and a Project to check the store directly."""

    args: list[str]
    env: dict[str, str]
    project: Project
    secret: str | None = None


@pytest.fixture(params=["local", "http"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "local":
        with Project.local(tmp_path / "work" / ".flowbuilder") as project:
            yield Target([], {}, project)
        return
    with ServerProcess(tmp_path / "server") as server, server.connect() as project:
        yield Target(
            ["--project", server.url, "--project-id", server.project_id],
            {"FLOWBUILDER_TOKEN": server.token},
            project,
            secret=server.token,
        )


def revisions(project: Project) -> dict[str, int | None]:
    return {flow.name: flow.revision for flow in project.flows}


def test_validate_of_a_broken_file_prints_file_and_line_and_exits_1(tmp_path: Path) -> None:
    broken = write(tmp_path / "flows" / "broken.py", BROKEN)
    write(tmp_path / "flows" / "fine.py", SIMPLE.format(name="fine"))
    result = flowbuilder("validate", "flows", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "flows/broken.py:3: flow 'broken': 1 error, 0 warnings" in lines
    issue = "CONFIG_REQUIRED LocalFS_01 [data_format]: is required (Set it, e.g. data_format=...)"
    assert f"flows/broken.py:6: {issue}" in lines
    assert "flows/fine.py:3: flow 'fine': ok" in lines
    assert "Traceback" not in result.stderr
    assert broken.exists()


def test_validate_shows_warnings_and_strict_makes_them_fail(tmp_path: Path) -> None:
    write(
        tmp_path / "warned.py",
        SIMPLE.format(name="warned").replace(
            '.to("Trash")',
            '.to("Local FS", data_format="JSON", directory_template="/x", delimiter_format="TDF")',
        ),
    )
    relaxed = flowbuilder("validate", "warned.py", cwd=tmp_path)
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "warned.py:3: warning: CONFIG_INACTIVE LocalFS_01 [delimiter_format]: is set but inactive" in (
        relaxed.stdout
    )
    strict = flowbuilder("validate", "--strict", "warned.py", cwd=tmp_path)
    assert strict.returncode == 1


def test_plan_and_apply_create_update_and_prune_exactly_what_the_files_say(
    target: Target, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    write(work / "flows" / "orders.py", ORDERS.format(directory="/data/orders"))
    write(work / "flows" / "nested" / "a.py", SIMPLE.format(name="a"))
    write(work / "flows" / "nested" / "b.py", SIMPLE.format(name="b"))
    hand_made = target.project.create_flow(name="hand-made")

    planned = flowbuilder("plan", "flows", *target.args, cwd=work, env=target.env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.stdout.splitlines()[:3] == [  # a folder's files, then its subfolders, by name
        "+ create    orders  (flows/orders.py:3)",
        "+ create    a  (flows/nested/a.py:3)",
        "+ create    b  (flows/nested/b.py:3)",
    ]
    assert [flow.name for flow in target.project.flows] == ["hand-made"]  # plan wrote nothing

    applied = flowbuilder("apply", "flows", "--yes", *target.args, cwd=work, env=target.env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Applied: 3 created, 0 updated, 0 deleted, 0 unchanged." in applied.stdout
    assert sorted(flow.name for flow in target.project.flows) == ["a", "b", "hand-made", "orders"]

    before = revisions(target.project)
    again = flowbuilder("apply", "flows", "--yes", *target.args, cwd=work, env=target.env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == ["0 to create, 0 to update, 0 to delete, 3 unchanged.", "No changes."]
    assert revisions(target.project) == before

    write(work / "flows" / "orders.py", ORDERS.format(directory="/data/orders-v2"))
    edited = flowbuilder("plan", "flows", *target.args, cwd=work, env=target.env)
    assert edited.returncode == 0, edited.stdout + edited.stderr
    assert [line for line in edited.stdout.splitlines() if not line.startswith("= unchanged")] == [
        "~ update    orders  (flows/orders.py:3)",
        "    ~ stage LocalFS_01 (Local FS)",
        '        directory_template: "/data/orders" -> "/data/orders-v2"',
        "",
        "0 to create, 1 to update, 0 to delete, 2 unchanged.",
    ]

    (work / "flows" / "nested" / "b.py").unlink()
    pruned = flowbuilder("apply", "flows", "--prune", "--yes", *target.args, cwd=work, env=target.env)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "Applied: 0 created, 1 updated, 1 deleted, 1 unchanged." in pruned.stdout
    assert "1 flow not stored by flowbuilder is left alone: hand-made" in pruned.stdout
    assert sorted(flow.name for flow in target.project.flows) == ["a", "hand-made", "orders"]
    assert target.project.flows.get(flow_id=hand_made.flow_id).name == "hand-made"
    stored = target.project.flows.get(name="orders")
    assert stored.stage("LocalFS_01").configuration["directory_template"] == "/data/orders-v2"

    if target.secret is not None:
        for run in (planned, applied, again, edited, pruned):
            assert target.secret not in run.stdout + run.stderr


def test_apply_refuses_to_write_without_yes_when_nobody_can_confirm(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "a.py", SIMPLE.format(name="a"))
    result = flowbuilder("apply", "flows", cwd=tmp_path)
    assert result.returncode == 2
    assert "Pass --yes" in result.stderr
    with Project.local(tmp_path / ".flowbuilder") as project:
        assert len(project.flows) == 0


def run_on_a_terminal(args: list[str], cwd: Path, answer: str) -> tuple[int, str, str]:
    """Run with a terminal as standard input and error (as a person would), typing ``answer``."""
    assert EXECUTABLE is not None
    stdin_master, stdin_slave = os.openpty()
    stderr_master, stderr_slave = os.openpty()
    process = subprocess.Popen(
        [EXECUTABLE, *args],
        cwd=cwd,
        env={**base_environment(), "TERM": "xterm", "COLUMNS": "100"},
        stdin=stdin_slave,
        stdout=subprocess.PIPE,
        stderr=stderr_slave,
        text=True,
    )
    os.close(stdin_slave)
    os.close(stderr_slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(stderr_master, 4096)
            except OSError:  # the terminal closed with the process
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    os.write(stdin_master, answer.encode())
    stdout, _ = process.communicate(timeout=300)
    reader.join(30)
    os.close(stdin_master)
    os.close(stderr_master)
    return process.returncode, stdout, b"".join(chunks).decode("utf-8", errors="replace")


def test_apply_on_a_terminal_asks_first_and_shows_progress_for_many_flows(tmp_path: Path) -> None:
    for number in range(6):
        write(tmp_path / "flows" / f"f{number}.py", SIMPLE.format(name=f"f{number}"))
    code, stdout, stderr = run_on_a_terminal(["apply", "flows"], tmp_path, "n\n")
    assert code == 1
    assert "Apply 6 changes to project" in stdout
    assert "cancelled; nothing was written" in stderr
    with Project.local(tmp_path / ".flowbuilder") as project:
        assert len(project.flows) == 0
    code, stdout, stderr = run_on_a_terminal(["apply", "flows"], tmp_path, "y\n")
    assert code == 0, stdout + stderr
    assert "Applied: 6 created, 0 updated, 0 deleted, 0 unchanged." in stdout
    assert "applying" in stderr
    assert "6/6" in stderr
    assert "created f5 (flows/f5.py:3)" in stderr
    with Project.local(tmp_path / ".flowbuilder") as project:
        assert len(project.flows) == 6


def test_a_failing_flow_is_named_with_its_file_and_the_others_are_still_applied(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "broken.py", BROKEN)
    write(tmp_path / "flows" / "fine.py", SIMPLE.format(name="fine"))
    result = flowbuilder("apply", "flows", "--yes", cwd=tmp_path)
    assert result.returncode == 1
    assert "created fine (flows/fine.py:3)" in result.stdout
    assert "flows/broken.py:6: CONFIG_REQUIRED LocalFS_01 [data_format]" in result.stdout
    assert (
        "FAILED invalid broken: flows/broken.py:3, Flow 'broken': 1 validation error, not applied"
        in result.stderr
    )
    with Project.local(tmp_path / ".flowbuilder") as project:
        assert [flow.name for flow in project.flows] == ["fine"]


def test_the_readme_main_job_runs_as_docs_cli_md_shows_it(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples" / "flows")
    page = (EXAMPLES.parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    match = re.search(r"```console\n(\$ flowbuilder apply examples/flows --yes\n.*?)```", page, re.S)
    assert match is not None, "docs/cli.md lost its main-job session"
    session = re.split(r"^\$ (.*)\n", match.group(1), flags=re.M)[1:]
    checker = doctest.OutputChecker()
    for command, expected in zip(session[::2], session[1::2], strict=True):
        result = flowbuilder(*shlex.split(command)[1:], cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert checker.check_output(expected, result.stdout, doctest.ELLIPSIS), (command, result.stdout)
    with Project.local(tmp_path / ".flowbuilder") as project:
        assert all(is_managed(flow.to_dict()) for flow in project.flows)
        assert len(project.flows) == 6


def test_catalog_show_local_fs_lists_configs_with_python_names_and_defaults(tmp_path: Path) -> None:
    result = flowbuilder("catalog", "show", "Local FS", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Local FS (destination)"
    rows = {line.split()[0]: line.split() for line in lines[3:] if line.strip()}
    assert rows["directory_template"][:3] == [
        "directory_template",
        "STRING",
        "/tmp/out/${YYYY()}-${MM()}-${DD()}-${hh()}",
    ]
    assert rows["max_file_size_in_mb"][:3] == ["max_file_size_in_mb", "NUMBER", "0"]
    assert "JSON," in rows["data_format"]  # allowed values listed


def test_usage_errors_exit_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    missing = flowbuilder("validate", "no-such-folder", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no-such-folder" in missing.stderr
    nothing = flowbuilder("plan", cwd=tmp_path)
    assert nothing.returncode == 2
    assert "give at least one PATH" in nothing.stderr
    remote = flowbuilder(
        "plan", ".", "--project", "https://api.example.com", "--project-id", "p1", cwd=tmp_path
    )
    assert remote.returncode == 2
    assert "FLOWBUILDER_API_KEY" in remote.stderr
    for run in (missing, nothing, remote):
        assert "Traceback" not in run.stderr


def test_shell_completion_is_clicks(tmp_path: Path) -> None:
    script = flowbuilder(cwd=tmp_path, env={"_FLOWBUILDER_COMPLETE": "bash_source"})
    assert script.returncode == 0
    assert "_flowbuilder_completion" in script.stdout
    words = flowbuilder(
        cwd=tmp_path,
        env={"_FLOWBUILDER_COMPLETE": "bash_complete", "COMP_WORDS": "flowbuilder fl", "COMP_CWORD": "1"},
    )
    assert words.stdout.splitlines() == ["plain,flows"]
