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
The wheel's size is measured by building it with and without the stub.

Figures on the 2-core machine this project is developed on (2026-12-03): mypy cold 7.4 s without
the stub, 13.4 s with it; mypy edit 1.0 s / 1.9 s; pyright 3.3 s / 4.9 s; wheel 1,272 KB /
1,418 KB (the stub is 2.0 MB of text, 150 KB compressed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
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


def measure(package: Path, repeat: int) -> dict[str, float]:
    """Check the flow file against the package copy in ``package``'s parent."""
    work = Path(tempfile.mkdtemp(prefix="bench-typing-"))
    try:
        target = work / "flows.py"
        target.write_text(flow_file(), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(package.parent), "MYPYPATH": str(package.parent)}
        mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(work / ".mypy"), "flows.py"]
        figures: dict[str, float] = {"mypy cold": float("inf"), "mypy edit": float("inf")}
        for _ in range(repeat):
            shutil.rmtree(work / ".mypy", ignore_errors=True)
            figures["mypy cold"] = min(figures["mypy cold"], _run(mypy, work, env))
            target.write_text(flow_file() + "\n# edited\n", encoding="utf-8")
            figures["mypy edit"] = min(figures["mypy edit"], _run(mypy, work, env))
            target.write_text(flow_file(), encoding="utf-8")
        pyright = shutil.which("pyright") or "pyright"
        config = work / "pyrightconfig.json"
        config.write_text(f'{{"extraPaths": ["{package.parent}"], "pythonVersion": "3.10"}}', "utf-8")
        figures["pyright"] = min(_run([pyright, "flows.py"], work, env) for _ in range(repeat))
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
        rows = {"without the stub": measure(without / "flowbuilder", args.repeat)}
        rows["with the stub"] = measure(ROOT / "flowbuilder", args.repeat)
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


if __name__ == "__main__":
    main()
