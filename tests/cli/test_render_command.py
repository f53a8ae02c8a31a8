"""``flowbuilder render FILE [-o OUT] [--format ...]``: files written, messages and exit codes."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flowbuilder import Flow
from flowbuilder.cli import main

FLOWS_PY = """
from flowbuilder import Flow

orders = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
returns = Flow("returns").source("Dev Raw Data Source").to("Local FS").flow
"""


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["render", *args], env=env, catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def svg_titles(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    return [
        g.findtext(f"{ns}title") or ""
        for g in root.iter(f"{ns}g")
        if "stage" in (g.get("class") or "").split() and "settings" not in (g.get("class") or "").split()
    ]


@pytest.mark.needs_dot
def test_render_draws_a_json_export_as_svg_beside_it(tmp_path: Path) -> None:
    flow = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
    source = write(tmp_path / "orders.json", flow.to_json())
    result = run(str(source))
    assert result.exit_code == 0, result.output
    assert result.output == f"{tmp_path / 'orders.svg'}\n"
    assert svg_titles(tmp_path / "orders.svg") == ["DevRawDataSource_01", "Trash_01"]


@pytest.mark.needs_dot
def test_render_draws_each_flow_of_a_python_file_into_the_output_folder(tmp_path: Path) -> None:
    source = write(tmp_path / "flows.py", FLOWS_PY)
    result = run(str(source), "-o", str(tmp_path / "out"), "--format", "png")
    assert result.exit_code == 0, result.output
    written = [tmp_path / "out" / "orders.png", tmp_path / "out" / "returns.png"]
    assert result.output.splitlines() == [str(path) for path in written]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in written)


@pytest.mark.needs_dot
def test_render_takes_the_format_from_the_output_suffix(tmp_path: Path) -> None:
    source = write(
        tmp_path / "one.py",
        "from flowbuilder import Flow\nf = Flow('one').source('Dev Raw Data Source').flow\n",
    )
    assert run(str(source), "-o", str(tmp_path / "one.pdf")).exit_code == 0
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")
    assert run(str(source), "-o", str(tmp_path / "one.dot")).exit_code == 0
    assert (tmp_path / "one.dot").read_text(encoding="utf-8").startswith("digraph one {")


def test_render_exits_1_with_file_and_line_when_the_python_file_fails(tmp_path: Path) -> None:
    source = write(
        tmp_path / "bad.py", "from flowbuilder import Flow\n\nFlow('x').source('No Such Origin')\n"
    )
    result = run(str(source))
    assert result.exit_code == 1
    assert f"Error: {source}:3: the file raised StageNotFoundError" in result.output
    assert not list(tmp_path.glob("*.svg"))


def test_render_exits_1_naming_the_file_when_the_json_is_not_a_flow(tmp_path: Path) -> None:
    source = write(tmp_path / "broken.json", '{"stages": [')
    result = run(str(source))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {source}")


def test_render_exits_1_when_the_file_defines_no_flows(tmp_path: Path) -> None:
    result = run(str(write(tmp_path / "none.py", "x = 1\n")))
    assert result.exit_code == 1
    assert "defines no flows" in result.output
    assert "flows()" in result.output


def test_render_exits_1_with_install_advice_when_dot_is_missing(tmp_path: Path) -> None:
    source = write(tmp_path / "flows.py", FLOWS_PY)
    (tmp_path / "bin").mkdir()
    result = run(str(source), env={"PATH": str(tmp_path / "bin")})
    assert result.exit_code == 1
    assert "apt-get install graphviz" in result.output
    assert "to_mermaid()" in result.output
    dot = run(str(source), "--format", "dot", env={"PATH": str(tmp_path / "bin")})
    assert dot.exit_code == 0
    assert (tmp_path / "flows.orders.dot").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "does not exist"),
        (["notes.txt"], "is not a .py or .json file"),
        (["flows.py", "--format", "jpeg"], "'jpeg' is not one of"),
        ([], "Missing argument 'FILE'"),
    ],
)
def test_render_usage_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "notes.txt", "hello")
    write(tmp_path / "flows.py", FLOWS_PY)
    result = CliRunner().invoke(main, ["render", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_render_help_describes_the_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for text in (
        "Usage: main render [OPTIONS] FILE",
        "-o, --output",
        "-f, --format [svg|png|pdf|dot]",
        "2 usage error",
    ):
        assert text in result.output


@pytest.mark.needs_dot
def test_the_installed_command_reports_exit_codes(tmp_path: Path) -> None:
    source = write(tmp_path / "flows.py", FLOWS_PY)
    command = [sys.executable, "-m", "flowbuilder.cli", "render"]
    ok = subprocess.run(
        [*command, str(source), "-o", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "orders.svg").exists()
    assert (tmp_path / "returns.svg").exists()
    usage = subprocess.run([*command, str(tmp_path / "nope.py")], capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert "does not exist" in usage.stderr


@pytest.mark.needs_dot
def test_render_draws_a_fragment_as_one_stage_or_open_with_expand_fragments(tmp_path: Path) -> None:
    """A real export using a fragment (the corpus's 038): one fragment stage, or its six stages."""
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "pipelines"
    source = corpus / "038_db-query-to-splunk-search-part-2-complex.json"
    collapsed, opened = tmp_path / "collapsed.svg", tmp_path / "opened.svg"
    assert run(str(source), "-o", str(collapsed)).exit_code == 0
    assert run(str(source), "-o", str(opened), "--expand-fragments").exit_code == 0
    assert "Splun_1_FragmentOrigin_1" in svg_titles(collapsed)
    inner = sorted(title for title in svg_titles(opened) if title.startswith("Splun_1_"))
    assert inner == [
        "Splun_1_ExpressionEvaluator_1",
        "Splun_1_FieldRemover_1",
        "Splun_1_HTTPClient_1",
        "Splun_1_HTTPClient_2",
        "Splun_1_StreamSelector_1",
        "Splun_1_Trash_2",
    ]
    assert len(svg_titles(opened)) == len(svg_titles(collapsed)) + 5
