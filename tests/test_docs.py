"""Every code block in docs/ and the README runs, so the docs cannot rot.

Per page, in a scratch directory holding a copy of ``examples/`` (and links to the corpus and
scripts, read only), in page order and sharing one namespace:

- ``pycon`` blocks run as doctests;
- a block with a title that is not a session (```` ```python title="flows/test_x.py" ````,
  ```` ```toml title="pyproject.toml" ````) is a file: it is written there for the commands that
  follow, not executed;
- other ``python`` blocks are executed; a block that only includes an example file
  (``--8<-- "examples/x.py"``) names a file that ``tests/test_examples.py`` runs;
- ``console``, ``bash`` and ``sh`` blocks run in bash: ``$ command`` lines (``\\`` continues
  a line) are run and the lines after each one, when there are any, are compared with its
  output (stdout and stderr, doctest-style: ``...`` matches anything). A command must exit 0,
  or N when the line ends with ``# exit N``. A block without ``$`` prompts is a script: each
  line is a command whose output is not compared.

A block that cannot run here (one needs IBM Cloud credentials) is preceded by the visible
marker ``<!-- not run: why -->``; :func:`test_blocks_that_do_not_run_are_few_and_say_why` keeps
them rare.
"""

from __future__ import annotations

import doctest
import importlib.util
import io
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
SHELL = frozenset({"console", "bash", "sh", "shell"})
# Blocks that another test runs, with what they need, per page: they are skipped here.
RUN_ELSEWHERE = {
    # tests/test_docs_flows.py runs them against the local store and against flowbuilder serve.
    "flows.md": frozenset({"pycon"}),
}
PAGES = sorted(DOCS.rglob("*.md"))
MAX_NOT_RUN = 4
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`\n]*)$")
_NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<why>[^>]*?)\s*-->")
_SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"$')
_TITLE = re.compile(r'title="([^"]+)"')
_EXIT = re.compile(r"#\s*exit (\d+)\s*$")
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Block:
    """A fenced code block of a Markdown page."""

    lang: str
    code: str
    line: int  # of the first line of code, 1-based
    not_run: str | None  # the reason given by a <!-- not run: ... --> marker right above it
    title: str | None = None  # the title="..." of the fence: the file the block is


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of ``text``, in order, with the indentation of their fence removed."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence = match["indent"], match["fence"]
        lang = match["info"].strip().split(" ")[0].lower()
        title = _TITLE.search(match["info"])
        previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
        marker = _NOT_RUN.search(previous)
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        code = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip()
            for line in lines[index + 1 : end]
        ]
        why = marker["why"] if marker else None
        found.append(Block(lang, "\n".join(code) + "\n", index + 2, why, title[1] if title else None))
        index = end + 1
    return found


@dataclass(frozen=True)
class Command:
    """One ``$`` command of a shell session and the output the page shows for it."""

    text: str
    expected: str | None
    status: int
    line: int


def commands(block: Block) -> list[Command]:
    """The commands of a shell block, with their shown output (None when none is shown)."""
    lines = block.code.splitlines()
    if not any(line.startswith("$ ") for line in lines):
        return [
            Command(line, None, 0, block.line + n)
            for n, line in enumerate(lines)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    found: list[Command] = []
    n = 0
    while n < len(lines):
        if not lines[n].startswith("$ "):
            n += 1
            continue
        start, text = n, lines[n][2:]
        while text.endswith("\\") and n + 1 < len(lines):
            n += 1
            text = text[:-1] + " " + lines[n].strip()
        n += 1
        output = []
        while n < len(lines) and not lines[n].startswith("$ "):
            output.append(lines[n])
            n += 1
        status = _EXIT.search(text)
        shown = "\n".join(output) + "\n" if output else None
        found.append(Command(text, shown, int(status[1]) if status else 0, block.line + start))
    return found


# -- running ---------------------------------------------------------------------------------------


def _scratch(folder: Path) -> None:
    shutil.copytree(
        ROOT / "examples",
        folder / "examples",
        ignore=shutil.ignore_patterns("__pycache__", ".mypy_cache", ".flowbuilder"),
    )
    (folder / "tests").mkdir()
    (folder / "tests" / "corpus").symlink_to(ROOT / "tests" / "corpus")
    (folder / "scripts").symlink_to(ROOT / "scripts")
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    for name in ("python", "python3"):
        # A script, not a symlink: a symlink to a virtualenv's python resolves to the base
        # interpreter, outside the virtualenv where flowbuilder is installed.
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)


def _environment(folder: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FLOWBUILDER_")}
    scripts = Path(sys.executable).parent
    environment["PATH"] = os.pathsep.join([str(folder / ".bin"), str(scripts), environment.get("PATH", "")])
    environment["COLUMNS"] = "80"
    return environment


def run_shell(block: Block, folder: Path, where: str) -> list[str]:
    """Run a shell block's commands in one bash in ``folder``; the problems found, one line each."""
    found = commands(block)
    tag = secrets.token_hex(8)
    script = ["exec 2>&1"]
    for number, command in enumerate(found):
        script += [f"printf '\\n@{tag} {number}\\n'", command.text, f"printf '\\n@{tag} status %d\\n' $?"]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=folder,
        env=_environment(folder),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    parts = re.split(rf"\n@{tag} (\d+|status -?\d+)\n", "\n" + done.stdout)
    results: dict[int, tuple[str, int]] = {}
    for index in range(1, len(parts) - 1, 2):
        if not parts[index].startswith("status") and index + 2 < len(parts):
            results[int(parts[index])] = (parts[index + 1], int(parts[index + 2].split()[1]))
    checker = doctest.OutputChecker()
    problems = []
    for number, command in enumerate(found):
        place = f"{where}:{command.line}: $ {command.text}"
        if number not in results:
            problems.append(f"{place}\n  did not run (bash said: {done.stdout[-500:]!r})")
            continue
        output, status = results[number]
        output = output.rstrip("\n") + "\n" if output.strip() else ""
        if status != command.status:
            problems.append(f"{place}\n  exit status {status}, expected {command.status}\n{output}")
        elif command.expected is not None and not checker.check_output(command.expected, output, _FLAGS):
            problems.append(f"{place}\n  expected:\n{command.expected}  got:\n{output}")
    return problems


def run_python(block: Block, namespace: dict[str, Any], where: str) -> list[str]:
    """Execute a python block (or check the example files it includes); the problems found."""
    included = [_SNIPPET.match(line.strip()) for line in block.code.splitlines() if line.strip()]
    if included and all(included):
        missing = [m["path"] for m in included if m and not (ROOT / m["path"]).is_file()]
        outside = [m["path"] for m in included if m and not m["path"].startswith("examples/")]
        return [f"{where}:{block.line}: includes {p}, which does not exist" for p in missing] + [
            f"{where}:{block.line}: includes {p}, which no test runs (only examples/ files are run)"
            for p in outside
        ]
    try:
        exec(compile(block.code, f"{where}:{block.line}", "exec"), namespace)
    except Exception as error:
        return [f"{where}:{block.line}: python block raised {type(error).__name__}: {error}"]
    return []


def run_pycon(block: Block, namespace: dict[str, Any], where: str) -> tuple[list[str], int]:
    """Run a pycon block as a doctest; the problems found and the number of examples run."""
    test = doctest.DocTestParser().get_doctest(block.code, namespace, where, where, block.line - 1)
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # DocTest runs in a copy; later blocks see what this one defined
    return ([report.getvalue()] if runner.failures else []), runner.tries


def run_page(path: Path, folder: Path, *, skip: frozenset[str] = frozenset()) -> tuple[list[str], int]:
    """Run every block of the page at ``path`` in ``folder``; the problems and the number of checks."""
    where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    namespace: dict[str, Any] = {"__name__": f"docs_{path.stem}"}
    problems: list[str] = []
    checks = 0
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for block in blocks(path.read_text(encoding="utf-8")):
            if block.not_run is not None or block.lang in skip:
                continue
            if block.title and block.lang not in SHELL | {"pycon"}:
                (folder / block.title).parent.mkdir(parents=True, exist_ok=True)
                (folder / block.title).write_text(block.code, encoding="utf-8")
            elif block.lang == "pycon":
                found, tries = run_pycon(block, namespace, where)
                problems += found
                checks += tries
            elif block.lang == "python":
                problems += run_python(block, namespace, where)
                checks += 1
            elif block.lang in SHELL:
                problems += run_shell(block, folder, where)
                checks += len(commands(block))
    finally:
        os.chdir(cwd)
    return problems, checks


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    _scratch(tmp_path)
    return tmp_path


# Pages whose examples draw with Graphviz's dot (render to svg/png/pdf, the render command).
_DRAWS = re.compile(r"\.render\(|flowbuilder render |render_file\(|_repr_svg_\(")


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            page, marks=[pytest.mark.needs_dot] if _DRAWS.search(page.read_text(encoding="utf-8")) else []
        )
        for page in PAGES
    ],
    ids=[str(p.relative_to(DOCS)) for p in PAGES],
)
def test_doc_page_examples_run(page: Path, scratch: Path) -> None:
    problems, _ = run_page(page, scratch, skip=RUN_ELSEWHERE.get(page.name, frozenset()))
    assert problems == [], "\n\n".join(problems)


# -- the README --------------------------------------------------------------------------------------


def _ci_commands() -> list[str]:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _quick_start() -> list[str]:
    block = next(b for b in blocks(README.read_text(encoding="utf-8")) if b.lang in SHELL)
    return [c.text.split("#")[0].strip() for c in commands(block)]


def test_readme_has_the_set_up_the_main_job_and_ci_s_test_command() -> None:
    install, main_job, tests = _quick_start()
    assert install == "pip install -e '.[test,ibm-sdk]'"
    assert any(line.endswith("-e '.[test,ibm-sdk]'") and "pip install" in line for line in _ci_commands())
    assert main_job.startswith("flowbuilder ")
    assert tests == _ci_commands()[-1], "CI ends by calling the README's test command"


def test_readme_main_job_stores_the_example_flows_and_a_second_run_changes_nothing(scratch: Path) -> None:
    _, main_job, _ = _quick_start()
    session = Block("console", f"$ {main_job}\n$ {main_job}\n...No changes.\n", 1, None)
    assert run_shell(session, scratch, "README.md") == []
    assert (scratch / ".flowbuilder").is_dir()


@pytest.mark.needs_dot  # the tour draws orders.svg
def test_readme_tour_and_other_blocks_run(scratch: Path) -> None:
    text = README.read_text(encoding="utf-8")
    rest = text[text.index("```", text.index("pip install")) + 3 :]  # everything after the quick start
    page = scratch / "README-rest.md"
    page.write_text(rest, encoding="utf-8")
    problems, checks = run_page(page, scratch)
    assert problems == [], "\n\n".join(problems)
    assert checks >= 3


# -- the runner itself and the markers ------------------------------------------------------------


def test_blocks_that_do_not_run_are_few_and_say_why() -> None:
    reasons = [
        (page.name, block.not_run)
        for page in [*sorted(DOCS.rglob("*.md")), README]
        for block in blocks(page.read_text(encoding="utf-8"))
        if block.not_run is not None
    ]
    assert len(reasons) <= MAX_NOT_RUN, reasons
    assert all(len(why or "") >= 10 for _, why in reasons), reasons


def test_runner_reports_wrong_output_status_and_errors_and_writes_titled_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ echo hello\nbye\n$ false\n$ sh -c 'exit 3'   # exit 3\n```\n\n"
        "```python\nraise ValueError('boom')\n```\n\n"
        "```pycon\n>>> 1 + 1\n3\n\n```\n\n"
        "<!-- not run: shows a command that needs a real cluster -->\n```console\n$ false\n```\n\n"
        '```python title="sub/hello.py"\nprint("hi from a file")\n```\n\n'
        "```console\n$ python sub/hello.py\nhi from a file\n```\n\n"
        '```toml title="sub/settings.toml"\nkey = 1\n```\n\n'
        "```console\n$ cat sub/settings.toml\nkey = 1\n```\n",
        encoding="utf-8",
    )
    _scratch(tmp_path / "scratch")
    problems, checks = run_page(page, tmp_path / "scratch")
    joined = "\n".join(problems)
    assert "$ echo hello\n  expected:\nbye\n  got:\nhello" in joined
    assert "$ false\n  exit status 1, expected 0" in joined
    assert "exit 3" not in joined
    assert "ValueError: boom" in joined
    assert "Expected:\n    3\nGot:\n    2" in joined
    assert len(problems) == 4
    assert checks == 7


def test_blocks_are_found_with_their_fence_indentation_and_marker() -> None:
    text = (
        "Intro\n\n<!-- not run: needs IBM Cloud credentials -->\n```bash\nx\n```\n\n"
        "    ```python\n    y = 1\n    ```\n"
    )
    assert blocks(text) == [
        Block("bash", "x\n", 5, "needs IBM Cloud credentials"),
        Block("python", "y = 1\n", 9, None),
    ]


def test_the_api_reference_docstring_rewriter_fences_doctests() -> None:
    pytest.importorskip("griffe", reason="the docs extra (pip install -e '.[docs]') is not installed")
    spec = importlib.util.spec_from_file_location(
        "griffe_docstrings", ROOT / "scripts" / "griffe_docstrings.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert doctest.testmod(module).failed == 0
    assert (
        module.to_markdown("a :class:`~x.Y`\n    >>> f()\n    1\n")
        == "a `Y`\n    ```pycon\n    >>> f()\n    1\n    ```"
    )
