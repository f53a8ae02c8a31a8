"""Diagrams: DOT and SVG drawn by the real ``dot``, Mermaid, files, notebook display, the gallery."""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowbuilder import Flow, FlowbuilderError, Stage, merge
from flowbuilder.catalog import Catalog
from flowbuilder.project import Project
from flowbuilder.render import (
    render,
    render_file,
    repr_mimebundle,
    repr_svg,
    to_dot,
    to_graphviz,
    to_mermaid,
)
from tests.conftest import corpus_params

SVG = "{http://www.w3.org/2000/svg}"
TITLE = "{http://www.w3.org/1999/xlink}title"
RED = "#d32f2f"
LOOKALIKE = "\u29f5"  # what tooltips show for a backslash
ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    'say "hi"',
    "{braces} [brackets] |pipes|",
    "<script>alert(1)</script>",
    "two\nlines",
    r"back\slash \N \G \l \\",
    "amp &amp; &lt; #quot; #35;",
    "%%{init: {}}%% (parens)",
    "ünïcødé 日本語 🚀",
    "`markdown` **bold**",
    "a;b:c#d-->e",
    "end",
    "<<B>html</B>>",
    "trailing\\",
]


# -- example flows ---------------------------------------------------------------------------


def linear_flow() -> Flow:
    return (
        Flow("orders")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}])
        .to("Local FS", directory_template="/data/out", data_format="JSON")
        .flow
    )


def selector_flow(predicate: str = "${record:value('/a') > 1}") -> Flow:
    flow = Flow("routes")
    selector = flow.source("Dev Raw Data Source", data_format="JSON", raw_data='{"a": 1}').to(
        "Stream Selector"
    )
    big = selector.when(predicate).to("Dev Identity")
    small = selector.otherwise().to("Dev Identity")
    merge(big, small).to("Trash")
    return flow


def event_flow() -> Flow:
    flow = Flow("files")
    files = flow.source("Dev Raw Data Source", data_format="JSON", raw_data="{}").to(
        "Local FS", directory_template="/data/out", data_format="JSON"
    )
    files.events().to("Shell", script="echo closed")
    return flow


def every_type_flow() -> Flow:
    flow = event_flow()
    flow.stage("DevRawDataSource_01").connect_output_to(flow.add_stage("Dev Identity"))
    flow.stage("DevIdentity_01").connect_output_to(flow.add_stage("Trash"))
    return flow


# -- reading SVG -----------------------------------------------------------------------------


@dataclass
class Drawn:
    title: str
    classes: list[str]
    texts: list[str]
    tooltip: str
    element: ET.Element

    def shapes(self) -> list[ET.Element]:
        return [e for e in self.element.iter() if e.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse")]

    def stroke(self) -> str:
        return str(self.shapes()[0].get("stroke"))

    def fill(self) -> str:
        return str(self.shapes()[0].get("fill"))

    def points(self) -> list[tuple[float, float]]:
        """Every coordinate of the drawn shapes and texts."""
        found = []
        for shape in self.element.iter():
            raw = shape.get("points") or shape.get("d") or ""
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", raw)]
            found += list(zip(numbers[::2], numbers[1::2], strict=False))
            if shape.tag == f"{SVG}text":
                found.append((float(shape.get("x", 0)), float(shape.get("y", 0))))
        return found


@dataclass
class Drawing:
    root: ET.Element
    nodes: dict[str, Drawn]
    edges: list[Drawn]
    clusters: dict[str, Drawn]
    header: list[str]


def parse(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    nodes: dict[str, Drawn] = {}
    edges: list[Drawn] = []
    clusters: dict[str, Drawn] = {}
    for group in root.iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        if not {"node", "edge", "cluster"} & set(classes):
            continue
        title = group.find(f"{SVG}title")
        link = group.find(f".//{SVG}a")
        drawn = Drawn(
            title=title.text or "" if title is not None else "",
            classes=classes,
            texts=[t.text or "" for t in group.iter(f"{SVG}text")],
            # Graphviz writes runs of spaces as " &#160;".
            tooltip=link.get(TITLE, "").replace("\xa0", " ") if link is not None else "",
            element=group,
        )
        if "node" in classes:
            nodes[drawn.title] = drawn
        elif "edge" in classes:
            edges.append(drawn)
        else:
            clusters[drawn.title] = drawn
    graph_link = root.find(f"./{SVG}g/{SVG}g[@id='a_graph0']")
    header = [t.text or "" for t in graph_link.iter(f"{SVG}text")] if graph_link is not None else []
    return Drawing(root, nodes, edges, clusters, header)


def draw(flow: Flow) -> Drawing:
    svg = repr_svg(flow)
    assert svg is not None, "the real Graphviz 'dot' must be installed for these tests"
    return parse(svg)


def stage_nodes(drawing: Drawing) -> dict[str, Drawn]:
    return {title: node for title, node in drawing.nodes.items() if "settings" not in node.classes}


def edge(drawing: Drawing, source: str, target: str) -> Drawn:
    found = [e for e in drawing.edges if e.title == f"{source}->{target}"]
    assert len(found) == 1, [e.title for e in drawing.edges]
    return found[0]


# -- DOT: determinism and layout -------------------------------------------------------------


def test_to_dot_gives_the_same_text_for_the_same_flow() -> None:
    assert to_dot(selector_flow()) == to_dot(selector_flow())
    flow = event_flow()
    assert flow.to_dot() == to_dot(flow) == to_dot(flow)


def test_to_dot_is_unchanged_by_a_json_round_trip() -> None:
    flow = selector_flow()
    assert to_dot(Flow.from_json(flow.to_json())) == to_dot(flow)


@pytest.mark.needs_dot
def test_flows_are_laid_out_left_to_right() -> None:
    drawing = draw(linear_flow())
    xs = [
        min(x for x, _ in drawing.nodes[name].points())
        for name in ("DevRawDataSource_01", "ExpressionEvaluator_01", "LocalFS_01")
    ]
    assert xs == sorted(xs)
    assert len(set(xs)) == 3
    assert to_graphviz(linear_flow()).graph_attr == {}  # everything lives in the deterministic body
    assert "rankdir=LR" in to_graphviz(linear_flow()).source


# -- SVG: nodes, edges, labels ---------------------------------------------------------------


@pytest.mark.needs_dot
def test_svg_has_one_node_per_stage_showing_label_and_instance_name() -> None:
    flow = linear_flow()
    drawing = draw(flow)
    nodes = stage_nodes(drawing)
    assert list(nodes) == [stage.instance_name for stage in flow.stages]
    for stage in flow.stages:
        assert nodes[stage.instance_name].texts == [stage.label, stage.instance_name]
        assert stage.type in nodes[stage.instance_name].classes
    assert [e.title for e in drawing.edges] == [
        "DevRawDataSource_01->ExpressionEvaluator_01",
        "ExpressionEvaluator_01->LocalFS_01",
    ]


@pytest.mark.needs_dot
def test_stage_types_have_distinct_shapes_and_colours() -> None:
    flow = every_type_flow()
    nodes = stage_nodes(draw(flow))
    by_type = {stage.type: nodes[stage.instance_name] for stage in flow.stages}
    assert sorted(by_type) == ["destination", "executor", "origin", "processor"]
    fills = {kind: node.fill() for kind, node in by_type.items()}
    outlines = {kind: node.stroke() for kind, node in by_type.items()}
    shapes = {kind: (node.shapes()[0].tag, len(node.points())) for kind, node in by_type.items()}
    assert len(set(fills.values())) == len(set(outlines.values())) == len(set(shapes.values())) == 4


@pytest.mark.needs_dot
def test_node_tooltips_name_the_stage_definition_and_the_configs_set() -> None:
    tooltip = stage_nodes(draw(linear_flow()))["LocalFS_01"].tooltip
    lines = tooltip.splitlines()
    assert lines[:2] == ["Local FS 1", "LocalFS_01 · destination"]
    assert "stage: Local FS (" in lines[2]
    assert "  directory_template = /data/out" in lines


@pytest.mark.needs_dot
def test_event_lanes_are_dashed_and_data_lanes_solid() -> None:
    drawing = draw(event_flow())
    event = edge(drawing, "LocalFS_01", "Shell_01")
    data = edge(drawing, "DevRawDataSource_01", "LocalFS_01")
    assert "event" in event.classes
    assert "data" in data.classes
    assert all(path.get("stroke-dasharray") for path in event.element.iter(f"{SVG}path"))
    assert not any(path.get("stroke-dasharray") for path in data.element.iter(f"{SVG}path"))
    assert event.stroke() != data.stroke()


@pytest.mark.needs_dot
def test_stream_selector_edges_are_labelled_with_their_predicates() -> None:
    drawing = draw(selector_flow())
    when = edge(drawing, "StreamSelector_01", "DevIdentity_01")
    otherwise = edge(drawing, "StreamSelector_01", "DevIdentity_02")
    assert when.texts == ["${record:value('/a') > 1}"]
    assert otherwise.texts == ["default"]
    assert when.tooltip.endswith("when ${record:value('/a') > 1}")
    assert edge(drawing, "DevIdentity_01", "Trash_01").texts == []


@pytest.mark.needs_dot
def test_long_predicates_are_shortened_with_the_full_text_in_the_tooltip() -> None:
    predicate = (
        "${record:value('/customer/address/country') == 'Switzerland' && record:value('/total') > 100}"
    )
    drawing = draw(selector_flow(predicate))
    when = edge(drawing, "StreamSelector_01", "DevIdentity_01")
    (label,) = when.texts
    assert label.endswith("…")
    assert len(label) <= 32
    assert predicate.startswith(label[:-1])
    assert when.tooltip.splitlines()[-1] == f"when {predicate}"


@pytest.mark.needs_dot
def test_outputs_of_multi_output_stages_are_labelled() -> None:
    flow = Flow("dedup")
    dedup = flow.source("Dev Raw Data Source", data_format="JSON", raw_data="{}").to("Record Deduplicator")
    dedup.output(0).to("Trash")
    dedup.output(1).to("Trash")
    drawing = draw(flow)
    assert edge(drawing, "RecordDeduplicator_01", "Trash_01").texts == ["output 1"]
    assert edge(drawing, "RecordDeduplicator_01", "Trash_02").texts == ["output 2"]


@pytest.mark.needs_dot
def test_special_stages_are_drawn_apart_in_the_flow_settings_cluster() -> None:
    flow = linear_flow()
    flow.set_error_stage("Write to File", directory="/data/errors")
    drawing = draw(flow)
    cluster = drawing.clusters["cluster_flow_settings"]
    assert "Flow settings" in cluster.texts
    xs, ys = zip(*cluster.points(), strict=True)
    settings = {t: n for t, n in drawing.nodes.items() if "settings" in n.classes}
    assert "WritetoFile_ErrorStage" in settings
    assert "error" in settings["WritetoFile_ErrorStage"].classes
    assert settings["WritetoFile_ErrorStage"].texts[:1] == ["Error Records - Write to File"]
    for node in settings.values():
        for x, y in node.points():
            assert min(xs) <= x <= max(xs)
            assert min(ys) <= y <= max(ys)
    for stage in flow.stages:
        for x, y in drawing.nodes[stage.instance_name].points():
            assert not (min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys))
    ends = {part for e in drawing.edges for part in e.title.split("->")}
    assert not ends & set(settings)


@pytest.mark.needs_dot
def test_the_legend_names_every_stage_type_and_lane_kind() -> None:
    header = draw(linear_flow()).header
    assert header[0] == "orders"
    for word in (
        "origin",
        "processor",
        "destination",
        "executor",
        "data lane",
        "event lane",
        "validation error",
    ):
        assert any(word in text for text in header), (word, header)
    assert "event lane" not in to_dot(linear_flow(), legend=False)


# -- invalid flows ---------------------------------------------------------------------------


@pytest.mark.needs_dot
def test_stages_with_validation_errors_are_outlined_in_red_with_the_issue_in_the_tooltip() -> None:
    flow = Flow("broken")
    flow.source("Dev Raw Data Source", data_format="JSON", raw_data="{}").to("Local FS").events().to("Shell")
    issues = {issue.stage: issue for issue in flow.validate().errors}
    assert set(issues) == {"LocalFS_01", "Shell_01"}
    drawing = draw(flow)
    nodes = stage_nodes(drawing)
    for name, issue in issues.items():
        assert nodes[name].stroke() == RED
        assert "invalid" in nodes[name].classes
        assert f"{issue.code} [{issue.config}]: {issue.message}" in nodes[name].tooltip
    assert nodes["DevRawDataSource_01"].stroke() != RED
    assert any("2 validation errors" in text for text in drawing.header)


@pytest.mark.needs_dot
def test_flows_that_break_graph_rules_still_render() -> None:
    flow = Flow("loose")
    flow.add_stage("Dev Identity") >> flow.add_stage("Trash")
    flow.add_stage("Trash")
    drawing = draw(flow)
    assert set(stage_nodes(drawing)) == {"DevIdentity_01", "Trash_01", "Trash_02"}
    assert [e.title for e in drawing.edges] == ["DevIdentity_01->Trash_01"]
    assert {name for name, node in stage_nodes(drawing).items() if node.stroke() == RED} == {
        "DevIdentity_01",
        "Trash_02",
    }
    flow_issues = [i for i in flow.validate().errors if i.stage is None]
    assert flow_issues
    graph_tooltip = drawing.root.find(f"./{SVG}g/{SVG}g[@id='a_graph0']/{SVG}a")
    assert graph_tooltip is not None
    assert flow_issues[0].code in graph_tooltip.get(TITLE, "")


@pytest.mark.needs_dot
def test_opaque_stages_are_drawn_by_their_type_without_configs() -> None:
    document = linear_flow().to_dict()
    for position, stage_type in ((1, "PROCESSOR"), (2, "WIDGET")):
        stage = document["stages"][position]
        stage["stageName"] = f"com_example_Custom{position}"
        stage["library"] = "example-lib"
        stage["uiInfo"]["stageType"] = stage_type
        stage["configuration"].append({"name": "apiKey", "value": "opaque-value-123"})
    flow = Flow.from_json(document)
    assert flow.stages[1].is_opaque
    assert flow.stages[2].is_opaque
    drawing = draw(flow)
    processor, other = (stage_nodes(drawing)[s.instance_name] for s in flow.stages[1:])
    assert "processor" in processor.classes
    assert "other" in other.classes
    assert processor.fill() == stage_nodes(draw(linear_flow()))["ExpressionEvaluator_01"].fill()
    assert "not in the catalog" in processor.tooltip
    assert "Configs set" not in processor.tooltip
    assert "opaque-value-123" not in to_dot(flow) + to_mermaid(flow)
    assert "other" in drawing.header
    assert "other" not in draw(linear_flow()).header


# -- secrets ---------------------------------------------------------------------------------


def _plant_secrets(stage: Stage, tag: str) -> list[str]:
    """Put a unique value in every CREDENTIAL config of ``stage`` (nested rows too); return them."""
    planted = []
    if stage.definition is None:
        return planted
    for ref in stage.definition.config_refs:
        config = ref.definition
        if not config.holds_secret:
            continue
        value = f"SECRET-{tag}-{len(planted)}-zq"
        planted.append(value)
        if config.is_secret:
            stage.configuration.set_raw(ref, value)
        else:
            stage.configuration.set_raw(ref, [{sub.name: value for sub in config.sub_configs}])
    return planted


def test_credential_configs_of_every_catalog_stage_never_appear_in_diagrams() -> None:
    flow = Flow("secrets")
    planted = []
    for definition in Catalog.default().stages():
        if any(ref.definition.holds_secret for ref in definition.config_refs):
            stage = flow.add_stage(name=definition.name, library=definition.library)
            planted += _plant_secrets(stage, stage.instance_name)
    assert len(planted) > 100
    texts = to_dot(flow) + to_mermaid(flow)
    assert [value for value in planted if value in texts] == []
    # Configs that are not secret are shown, so the check above is not vacuous.
    stage = flow.stages[0]
    shown = next(r for r in stage.definition.config_refs if r.definition.type == "STRING" and not r.service)
    stage.configuration[shown.python_name] = "visible-value-zq"
    assert f"{shown.python_name} = visible-value-zq" in to_dot(flow)


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_flows_draw_deterministically_without_their_secrets(path: Path) -> None:
    flow = Flow.from_file(path)
    stages = [
        *flow.stages,
        flow.error_stage,
        flow.stats_aggregator_stage,
        flow.start_event,
        flow.stop_event,
        flow.test_origin,
    ]
    planted = [value for stage in stages if stage is not None for value in _plant_secrets(stage, path.stem)]
    dot, mermaid = to_dot(flow), to_mermaid(flow)
    assert dot == to_dot(flow)
    assert [value for value in planted if value in dot + mermaid] == []
    node_lines = [line for line in mermaid.splitlines() if re.match(r"\s+s_\w+[(\[{]", line)]
    assert len(node_lines) == len(flow.stages) + sum(s is not None for s in stages[len(flow.stages) :])
    assert len([line for line in mermaid.splitlines() if re.search(r" -\.?->", line)]) == len(
        flow.graph.edges
    )


# -- hostile text ----------------------------------------------------------------------------


def _hostile_flow(labels: list[str]) -> Flow:
    flow = Flow('flow "x" <y> & {z}')
    path = flow.source("Dev Raw Data Source", data_format="JSON", raw_data="{}")
    for label in labels:
        path = path.to("Dev Identity")
        path.stage.label = label
    selector = path.to("Stream Selector")
    selector.when('${str:contains(record:value("/a"), "}<x>&\\"\n")}').to("Trash")
    selector.otherwise().to("Trash")
    return flow


def _mermaid_labels(text: str) -> dict[str, str]:
    """Node id -> label text, entities decoded and ``<br/>`` read back as newlines."""
    labels = {}
    for match in re.finditer(r'^\s+(s_\w+)[(\[{]+"([^"]*)"', text, re.M):
        body = match.group(2).rsplit("<br/><small>", 1)[0]
        decoded = re.sub(
            r"#(\w+);", lambda m: html.unescape(f"&#{m[1]};" if m[1].isdigit() else f"&{m[1]};"), body
        )
        labels[match.group(1)] = decoded.replace("<br/>", "\n")
    return labels


@pytest.mark.needs_dot
def test_hostile_labels_do_not_break_dot_svg_or_mermaid() -> None:
    flow = _hostile_flow(HOSTILE)
    drawing = draw(flow)
    assert not any(e.tag.endswith("script") for e in drawing.root.iter())
    nodes = stage_nodes(drawing)
    for stage in flow.stages[1 : len(HOSTILE) + 1]:
        node = nodes[stage.instance_name]
        assert node.texts == [*stage.label.split("\n"), stage.instance_name], stage.label
        assert node.tooltip.startswith(stage.label.replace("\\", LOOKALIKE))
    (when,) = [e for e in drawing.edges if e.title == "StreamSelector_01->Trash_01"]
    assert when.tooltip.endswith('when ${str:contains(record:value("/a"), "}<x>&' + LOOKALIKE + '"\n")}')
    assert drawing.header[0] == 'flow "x" <y> & {z}'
    mermaid = to_mermaid(flow)
    labels = _mermaid_labels(mermaid)
    for stage in flow.stages[1 : len(HOSTILE) + 1]:
        assert labels[f"s_{stage.instance_name}"] == stage.label
    assert "<script" not in mermaid
    assert "%%{" not in mermaid


@pytest.mark.needs_dot
@pytest.mark.parametrize("names", [["src:01", "dst:01:n"], ["node", "a b"], ['q"1', "e{x};"], ["-1", "1.5"]])
def test_imported_names_holding_dot_syntax_draw_one_node_each_joined_by_their_lane(names: list[str]) -> None:
    # Graphviz reads a:b at an edge's end as node a, port b: an imported stage named so once drew
    # its lane between two phantom nodes. The real dot program judges what the text means.
    document = Flow("names").source("Dev Raw Data Source").to("Trash").flow.to_dict()
    for stage, name in zip(document["stages"], names, strict=True):
        stage["instanceName"] = name
    drawing = draw(Flow.from_json(document))
    assert sorted(stage_nodes(drawing)) == sorted(names)
    assert [e.title for e in drawing.edges] == [f"{names[0]}->{names[1]}"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_label_reads_back_from_mermaid(label: str) -> None:
    flow = Flow("any").source("Dev Raw Data Source").to("Trash").flow
    flow.stages[1].label = label
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", label)
    expected = expected.replace("\r\n", "\n").replace("\r", "\n") or flow.stages[1].instance_name
    assert _mermaid_labels(to_mermaid(flow))["s_Trash_01"] == expected


@pytest.mark.needs_dot
def test_blank_names_and_labels_still_draw() -> None:
    flow = Flow("").source("Dev Raw Data Source").to("Trash").flow
    flow.stages[1].label = "  "
    flow.add_stage("Trash").label = "\n"
    nodes = stage_nodes(draw(flow))
    assert nodes["Trash_01"].texts == [" ", "Trash_01"]
    assert nodes["Trash_02"].texts == [" ", " ", "Trash_02"]
    assert to_mermaid(flow).splitlines()[1] == 'title: ""'


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20),
        min_size=1,
        max_size=6,
    )
)
@pytest.mark.needs_dot
def test_any_labels_give_valid_svg_that_shows_them(labels: list[str]) -> None:
    flow = _hostile_flow(labels)
    nodes = stage_nodes(draw(flow))
    for stage in flow.stages[1 : len(labels) + 1]:
        lines = nodes[stage.instance_name].texts[:-1]
        assert " ".join(lines).split() == stage.label.split()


# -- Mermaid ---------------------------------------------------------------------------------


def test_mermaid_is_a_left_to_right_flowchart_with_safe_unique_ids() -> None:
    flow = event_flow()
    flow.add_stage("Trash").label = "end"
    text = to_mermaid(flow)
    lines = text.splitlines()
    assert lines[:4] == ["---", 'title: "files"', "---", "flowchart LR"]
    ids = [m.group(1) for m in re.finditer(r"^\s+(\w+)[(\[{]", text, re.M)]
    assert len(ids) == len(set(ids)) == len(flow.stages) + 2
    assert all(re.fullmatch(r"s_[0-9A-Za-z_]+", node_id) for node_id in ids)
    assert "    s_DevRawDataSource_01 --> s_LocalFS_01" in lines
    assert "    s_LocalFS_01 -.-> s_Shell_01" in lines
    start, end = lines.index('    subgraph flow_settings["Flow settings"]'), lines.index("    end")
    assert [line.split("[")[0].strip() for line in lines[start + 1 : end]] == [
        "s_Discard_ErrorStage",
        "s_WriteDirectlytoControlHubstatisticsarenotaggregatedacrossDataCollectors_StatsAggregatorStage",
    ]


def test_mermaid_shows_predicates_and_outlines_invalid_stages() -> None:
    flow = selector_flow()
    flow.add_stage("Local FS")
    text = to_mermaid(flow)
    assert "    s_StreamSelector_01 -->|\"${record#58;value('/a') #gt; 1}\"| s_DevIdentity_01" in text
    assert '    s_StreamSelector_01 -->|"default"| s_DevIdentity_02' in text
    assert "    style s_LocalFS_01 stroke:#d32f2f,stroke-width:3px" in text
    assert "style s_Trash_01" not in text


# -- files and notebooks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "format", "magic"),
    [
        ("flow.svg", None, b"<?xml"),
        ("flow.png", None, b"\x89PNG"),
        ("flow.pdf", None, b"%PDF"),
        ("flow.dot", None, b"digraph"),
        ("flow.gv", None, b"digraph"),
        ("flow.SVG", None, b"<?xml"),
        ("flow.img", "png", b"\x89PNG"),
    ],
)
@pytest.mark.needs_dot
def test_render_writes_the_format_of_the_suffix_or_the_one_asked(
    tmp_path: Path, name: str, format: str | None, magic: bytes
) -> None:
    written = render(linear_flow(), tmp_path / name, format=format)
    assert written == tmp_path / name
    assert written.read_bytes().startswith(magic)


def test_render_to_dot_writes_exactly_to_dot(tmp_path: Path) -> None:
    flow = selector_flow()
    assert flow.render(tmp_path / "f.dot").read_text(encoding="utf-8") == to_dot(flow)


def test_render_rejects_an_unknown_format_saying_which_exist(tmp_path: Path) -> None:
    with pytest.raises(FlowbuilderError, match=r"suffix '\.txt'.*\.svg, \.png, \.pdf or \.dot"):
        render(linear_flow(), tmp_path / "flow.txt")
    with pytest.raises(FlowbuilderError, match=r"format 'jpeg'.*svg, png, pdf, dot"):
        render(linear_flow(), tmp_path / "flow.svg", format="jpeg")


def test_render_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(FlowbuilderError, match=r"missing/flow\.dot.*cannot write"):
        render(linear_flow(), tmp_path / "missing" / "flow.dot")


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


@pytest.mark.usefixtures("no_dot")
def test_without_dot_render_says_how_to_install_graphviz(tmp_path: Path) -> None:
    with pytest.raises(FlowbuilderError) as caught:
        render(linear_flow(), tmp_path / "flow.svg")
    message = str(caught.value)
    assert "'dot' program is not installed" in message
    assert "flow.svg" in message
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "to_dot()" in message
    assert "to_mermaid()" in message
    assert not (tmp_path / "flow.svg").exists()
    assert render(linear_flow(), tmp_path / "flow.dot").read_text(encoding="utf-8") == to_dot(linear_flow())


@pytest.mark.needs_dot
def test_notebook_display_is_svg_with_a_text_fallback() -> None:
    flow = linear_flow()
    bundle = flow._repr_mimebundle_()
    assert sorted(bundle) == ["image/svg+xml", "text/plain"]
    assert bundle["text/plain"] == "Flow(name='orders', stages=3)"
    assert parse(bundle["image/svg+xml"]).nodes.keys() == parse(flow._repr_svg_() or "").nodes.keys()
    assert (
        repr_mimebundle(flow, exclude={"image/svg+xml"})["text/markdown"]
        == f"```mermaid\n{to_mermaid(flow)}```\n"
    )
    assert sorted(repr_mimebundle(flow, include={"text/plain", "text/markdown", "image/svg+xml"})) == [
        "image/svg+xml",
        "text/markdown",
        "text/plain",
    ]


@pytest.mark.needs_dot
def test_stored_flows_display_like_flows() -> None:
    project = Project.memory()
    stored = project.create_flow(
        name="orders", environment=project.environments.get(name="local"), flow=linear_flow()
    )
    bundle = stored._repr_mimebundle_()
    assert bundle["text/plain"] == repr(stored)
    assert bundle["text/plain"].startswith("StreamsetsFlow(name='orders'")
    assert list(stage_nodes(parse(bundle["image/svg+xml"]))) == [s.instance_name for s in stored.stages]
    assert stage_nodes(parse(stored._repr_svg_() or "")).keys() == stage_nodes(draw(linear_flow())).keys()


@pytest.mark.usefixtures("no_dot")
def test_notebook_display_without_dot_falls_back_to_mermaid() -> None:
    flow = linear_flow()
    assert flow._repr_svg_() is None
    bundle = flow._repr_mimebundle_()
    assert sorted(bundle) == ["text/markdown", "text/plain"]
    assert bundle["text/markdown"].startswith('```mermaid\n---\ntitle: "orders"')


@pytest.mark.needs_dot
def test_a_few_hundred_stages_render_to_svg() -> None:
    flow = Flow("wide")
    path = flow.source("Dev Raw Data Source", data_format="JSON", raw_data="{}")
    for number in range(1, 200):
        path = path.to("Dev Identity")
        if number % 10 == 0:
            path.to("Trash")
    drawing = draw(flow)
    assert len(stage_nodes(drawing)) == len(flow.stages) == 219
    assert len(drawing.edges) == len(flow.graph.edges) == 218


# -- render_file -----------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


FLOWS_PY = """
from flowbuilder import Flow

orders = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
same = orders
returns = Flow("returns / refunds").source("Dev Raw Data Source").to("Trash").flow
"""


@pytest.mark.needs_dot
def test_render_file_draws_a_json_export_beside_it(tmp_path: Path) -> None:
    source = _write(tmp_path / "orders.json", linear_flow().to_json())
    assert render_file(source) == [tmp_path / "orders.svg"]
    assert stage_nodes(parse((tmp_path / "orders.svg").read_text(encoding="utf-8"))).keys() == {
        "DevRawDataSource_01",
        "ExpressionEvaluator_01",
        "LocalFS_01",
    }


@pytest.mark.needs_dot
def test_render_file_draws_every_module_level_flow_of_a_python_file(tmp_path: Path) -> None:
    source = _write(tmp_path / "flows.py", FLOWS_PY)
    assert render_file(source, format="dot") == [
        tmp_path / "flows.orders.dot",
        tmp_path / "flows.returns_refunds.dot",
    ]
    assert render_file(source, tmp_path / "out") == [
        tmp_path / "out" / "orders.svg",
        tmp_path / "out" / "returns_refunds.svg",
    ]
    assert (tmp_path / "out" / "orders.svg").read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.needs_dot
def test_render_file_uses_a_flows_function_when_there_is_one(tmp_path: Path) -> None:
    source = _write(tmp_path / "built.py", FLOWS_PY + "\ndef flows():\n    return [returns]\n")
    assert render_file(source, tmp_path / "one.png") == [tmp_path / "one.png"]
    assert (tmp_path / "one.png").read_bytes().startswith(b"\x89PNG")


def test_render_file_reports_errors_in_the_users_file_with_file_and_line(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "bad.py",
        "from flowbuilder import Flow\n\nflow = Flow('x').source('Dev Raw Data Source')\n"
        "flow.to('Trash Can')\n",
    )
    with pytest.raises(
        FlowbuilderError,
        match=rf"{re.escape(str(bad))}:4: the file raised StageNotFoundError: .*Did you mean 'Trash'",
    ):
        render_file(bad)
    broken = _write(tmp_path / "broken.py", "x = (\n")
    with pytest.raises(FlowbuilderError, match=rf"{re.escape(str(broken))}:1: invalid Python"):
        render_file(broken)
    empty = _write(
        tmp_path / "empty.py",
        "from flowbuilder import Flow\npath = Flow('x').source('Dev Raw Data Source')\n",
    )
    with pytest.raises(FlowbuilderError, match=r"defines no flows.*keep its \.flow"):
        render_file(empty)
    wrong = _write(tmp_path / "wrong.py", "def flows():\n    return ['not a flow']\n")
    with pytest.raises(FlowbuilderError, match="flows\\(\\) must return Flow objects; got str"):
        render_file(wrong)


def test_render_file_wants_a_folder_for_several_flows(tmp_path: Path) -> None:
    source = _write(tmp_path / "flows.py", FLOWS_PY)
    with pytest.raises(FlowbuilderError, match="defines 2 flows, so the output must be a folder"):
        render_file(source, tmp_path / "both.svg")


def test_render_file_runs_python_files_in_isolation(tmp_path: Path) -> None:
    for name, label in (("a", "Alpha"), ("b", "Beta")):
        folder = tmp_path / name
        folder.mkdir()
        _write(folder / "helper.py", f"LABEL = {label!r}\n")
        _write(
            folder / "flow.py",
            "import helper\nfrom flowbuilder import Flow\n"
            "flow = Flow(helper.LABEL).source('Dev Raw Data Source').to('Trash').flow\n",
        )
        (written,) = render_file(folder / "flow.py", format="dot")
        assert f"<B>{label}</B>" in written.read_text(encoding="utf-8")


# -- gallery ---------------------------------------------------------------------------------


def _gallery_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_gallery", ROOT / "scripts" / "build_gallery.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gallery_is_up_to_date() -> None:
    gallery = _gallery_script()
    assert gallery.stale() == [], "run: python scripts/build_gallery.py"
    names = [path.stem for path in sorted((ROOT / "docs" / "gallery").glob("*.svg"))]
    assert len(names) >= 5
    for name in names:
        svg = (ROOT / "docs" / "gallery" / f"{name}.svg").read_text(encoding="utf-8")
        assert stage_nodes(parse(svg)), name


@pytest.mark.needs_dot
def test_gallery_svg_stamp_names_the_dot_text_it_was_drawn_from(tmp_path: Path) -> None:
    gallery = _gallery_script()
    dot = to_dot(linear_flow())
    svg = tmp_path / "flow.svg"
    assert gallery.svg_stamp(svg) is None  # missing
    svg.write_text(gallery.draw_svg(dot), encoding="utf-8")
    assert stage_nodes(parse(svg.read_text(encoding="utf-8")))
    assert gallery.svg_stamp(svg) == gallery.dot_hash(dot)
    other = dot.replace("Expression Evaluator", "Field Remover")
    assert other != dot
    assert gallery.svg_stamp(svg) != gallery.dot_hash(other)
    svg.write_text(repr_svg(linear_flow()) or "", encoding="utf-8")  # drawn, but not by the script
    assert gallery.svg_stamp(svg) is None


@pytest.mark.needs_dot
def test_gallery_svgs_are_what_this_dot_draws_when_its_version_matches() -> None:
    gallery = _gallery_script()
    recorded = json.loads((ROOT / "docs" / "gallery" / "manifest.json").read_text(encoding="utf-8"))
    if recorded["graphviz"] != gallery.graphviz_version():
        pytest.skip(f"gallery drawn by Graphviz {recorded['graphviz']}, this is {gallery.graphviz_version()}")
    assert gallery.svg_differences() == []
