"""What the typed stage surface (``flowbuilder/_stages.pyi``) costs a type checker and the wheel.

    pip install -e '.[test]'          # mypy and pyright
    python benchmarks/bench_typing.py [--repeat 3]

A 500-line flow file (21 flows, each built with the DSL and the classic API, with configs,
list rows and an error stage) is checked with and without the stub: "without" is a copy of the
package lacking ``_stages.pyi``, where every stage call takes ``**config: Any`` as before the
stub existed. For each checker:

- mypy, cold: no cache (the first run on a machine, or in CI);
- mypy, edit: the file changed, the cache warm (what a mypy daemon or editor re-runs);
- pyright, one run of the command-line checker (starts node, reads the stub, checks the file:
  an upper bound of what an editor's language server spends on an edit, as it keeps the stub
  parsed between edits).

Figures are wall seconds, best of ``--repeat``; the target is at most 5 s for a checked edit.
Files of 0, 1 and 101 ``Path.to`` calls split that time into what the first stage call costs (the
checker reads the overloads and ``TypedDict``s that call can take) and what each further call
costs ("mypy" here is the edit figure).
The wheel's size is measured by building it with and without the stub.

Figures on the 2-core machine this project is developed on (quiet, 2026-12-03, the 528-line
file of about 190 stage calls), without / with the stub: mypy cold 2.4 / 5.5 s; mypy edit 0.3 /
2.6 s; pyright 1.3 / 5.2 s; dmypy edit 0.1 / 2.5 s; pyright --watch edit 1.2 / 4.0 s; wheel
1,313 / 1,565 KB. With the stub, pyright's first ``Path.to`` call costs 1.4 s and each further
one 10 ms; mypy's 0.05 s and 13 ms (docs/typed-authoring.md).
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FLOW = """
def build_{n}(output: str) -> Flow:
    flow = Flow("orders-{n}", description="flow {n}")
    routed = (
        flow.source("Dev Raw Data Source", data_format="JSON", raw_data='{{"id": {n}}}')
        .to("Field Remover", fields=["/card"], action="REMOVE")
        .to(
            "Field Type Converter",
            field_type_converter_configs=[{{"fields": ["/qty"], "targetType": "INTEGER"}}],
        )
        .to(
            "Expression Evaluator",
            field_expressions=[{{"fieldToSet": "/total", "expression": "${{record:value('/qty') * 2}}"}}],
        )
        .to("Stream Selector")
    )
    big = routed.when("${{record:value('/total') > 100}}")
    big.to("Local FS", directory_template=output, data_format="JSON")
    hasher = flow.add_stage("Field Hasher")
    hasher.set_attributes(on_record_error="TO_ERROR")
    routed.otherwise().to(hasher)
    trash = flow.add_stage("Trash")
    hasher >> trash
    flow.set_error_stage("Write to File", directory=output, files_prefix="err-{n}")
    return flow
"""


def flow_file(flows: int = 21) -> str:
    """The checked file: ``flows`` builder functions, 25 lines each."""
    head = "from __future__ import annotations\n\nfrom flowbuilder import Flow\n"
    return head + "".join(_FLOW.format(n=n) for n in range(flows))


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def calls_file(calls: int) -> str:
    """``calls`` functions of one ``Path.to`` call each: what one more stage call costs."""
    head = "from flowbuilder import Flow\nfrom flowbuilder.path import Path\n"
    body = 'def f{n}(p: Path) -> Path:\n    return p.to("Field Remover", fields=["/card"])\n'
    return head + "".join("\n\n" + body.format(n=n) for n in range(calls))


def _workspace(package: Path, text: str) -> tuple[Path, Path, dict[str, str]]:
    """A scratch folder holding ``text`` as flows.py and a pyright config, and the environment
    in which both checkers find the package copy in ``package``'s parent."""
    work = Path(tempfile.mkdtemp(prefix="bench-typing-"))
    target = work / "flows.py"
    target.write_text(text, encoding="utf-8")
    config = work / "pyrightconfig.json"
    config.write_text(f'{{"extraPaths": ["{package.parent}"], "pythonVersion": "3.10"}}', "utf-8")
    env = {**os.environ, "PYTHONPATH": str(package.parent), "MYPYPATH": str(package.parent)}
    return work, target, env


def measure(package: Path, repeat: int, text: str) -> dict[str, float]:
    """Check ``text`` as a file against the package copy in ``package``'s parent."""
    work, target, env = _workspace(package, text)
    try:
        mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(work / ".mypy"), "flows.py"]
        figures: dict[str, float] = {"mypy cold": float("inf"), "mypy edit": float("inf")}
        for _ in range(repeat):
            shutil.rmtree(work / ".mypy", ignore_errors=True)
            figures["mypy cold"] = min(figures["mypy cold"], _run(mypy, work, env))
            target.write_text(text + "\n# edited\n", encoding="utf-8")
            figures["mypy edit"] = min(figures["mypy edit"], _run(mypy, work, env))
            target.write_text(text, encoding="utf-8")
        pyright = shutil.which("pyright") or "pyright"
        figures["pyright"] = min(_run([pyright, "flows.py"], work, env) for _ in range(repeat))
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _edits(target: Path, text: str, repeat: int, recheck: Callable[[], None]) -> float:
    """Best wall seconds from changing ``target`` to ``recheck`` returning, over ``repeat`` edits."""
    best = float("inf")
    for edit in range(repeat):
        start = time.perf_counter()
        target.write_text(f"{text}\n# edit {edit}\n", encoding="utf-8")
        recheck()
        best = min(best, time.perf_counter() - start)
    return best


def editor(package: Path, repeat: int, text: str) -> dict[str, float]:
    """What an editor waits for after an edit: the checker keeps the package (and the stub) in
    memory between edits and checks the changed file again. ``dmypy`` is mypy's daemon;
    ``pyright --watch`` re-checks on a change as the language server does (its figure includes
    pyright's wait for the file system to settle: about 1 s)."""
    work, target, env = _workspace(package, text)
    try:
        return {
            "dmypy edit": _dmypy_edit(work, target, env, text, repeat),
            "pyright edit": _pyright_edit(work, target, env, text, repeat),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _dmypy_edit(work: Path, target: Path, env: dict[str, str], text: str, repeat: int) -> float:
    daemon = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(work / ".dmypy.json")]
    check = [*daemon, "run", "--", "--strict", "--cache-dir", str(work / ".mypy"), "flows.py"]

    def rechecked() -> None:
        _run(check, work, env)

    try:
        rechecked()
        return _edits(target, text, repeat, rechecked)
    finally:
        subprocess.run([*daemon, "stop"], cwd=work, env=env, capture_output=True, check=False)


def _pyright_edit(work: Path, target: Path, env: dict[str, str], text: str, repeat: int) -> float:
    pyright = shutil.which("pyright") or "pyright"
    watch = subprocess.Popen(
        [pyright, "--watch", "flows.py"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: pyright's wrapper starts node
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in watch.stdout or ():
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()

    def checked() -> None:  # pyright prints "N errors, M warnings, K informations" after each check
        while not re.match(r"\d+ errors?, ", lines.get(timeout=300)):
            pass

    try:
        checked()
        return _edits(target, text, repeat, checked)
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait()


def wheel_size(source: Path) -> int:
    """Bytes of the wheel built from the project tree ``source``."""
    out = Path(tempfile.mkdtemp(prefix="bench-wheel-"))
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."],
            cwd=source,
            check=True,
            capture_output=True,
        )
        (wheel,) = out.glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            assert any(n.endswith("_stages.pyi") for n in archive.namelist()) == (
                (source / "flowbuilder" / "_stages.pyi").exists()
            )
        return wheel.stat().st_size
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines = flow_file().count("\n")
    scratch = Path(tempfile.mkdtemp(prefix="bench-typing-src-"))
    try:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        without = scratch / "without"
        shutil.copytree(ROOT / "flowbuilder", without / "flowbuilder", ignore=ignore)
        (without / "flowbuilder" / "_stages.pyi").unlink()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, without / name)
        packages = {"without the stub": without / "flowbuilder", "with the stub": ROOT / "flowbuilder"}
        rows = {name: measure(package, args.repeat, flow_file()) for name, package in packages.items()}
        edits = {name: editor(package, args.repeat, flow_file()) for name, package in packages.items()}
        calls = {
            (name, count): measure(package, args.repeat, calls_file(count))
            for name, package in packages.items()
            for count in (0, 1, 101)
        }
        sizes = {"without the stub": wheel_size(without), "with the stub": wheel_size(ROOT)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"a {lines}-line flow file; wall seconds, best of {args.repeat}")
    print(f"{'':18}{'mypy cold':>11}{'mypy edit':>11}{'pyright':>9}{'wheel KB':>10}")
    for name, figures in rows.items():
        print(
            f"{name:18}{figures['mypy cold']:>11.2f}{figures['mypy edit']:>11.2f}"
            f"{figures['pyright']:>9.2f}{sizes[name] / 1024:>10,.0f}"
        )
    print("\nan edit of that file, checked again by a checker that stays running (wall seconds)")
    print(f"{'':18}{'dmypy edit':>11}{'pyright --watch':>17}")
    for name, figures in edits.items():
        print(f"{name:18}{figures['dmypy edit']:>11.2f}{figures['pyright edit']:>17.2f}")
    print("\nfiles of 0, 1 and 101 Path.to calls: the first call and each further one (seconds)")
    print(f"{'':18}{'mypy first':>11}{'mypy each':>11}{'pyright first':>15}{'pyright each':>14}")
    for name in packages:
        first = {k: calls[name, 1][k] - calls[name, 0][k] for k in ("mypy edit", "pyright")}
        each = {k: (calls[name, 101][k] - calls[name, 1][k]) / 100 for k in ("mypy edit", "pyright")}
        print(
            f"{name:18}{first['mypy edit']:>11.2f}{each['mypy edit']:>11.3f}"
            f"{first['pyright']:>15.2f}{each['pyright']:>14.3f}"
        )


if __name__ == "__main__":
    main()
