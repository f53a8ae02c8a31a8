"""The engine's JSON for fragments: parameter renaming, versions, embedding and expansion."""

from __future__ import annotations

import json
import time

import pytest

from flowbuilder import Flow, Fragment
from flowbuilder.compile import expand, fragment_commit_id
from flowbuilder.compile._fragments import rename_parameters


@pytest.mark.parametrize(
    ("text", "renamed"),
    [
        ("${DIR}/out", "${P_DIR}/out"),
        ("${DIR}${DIR}", "${P_DIR}${P_DIR}"),
        ("${str:concat(DIR, '/x')}", "${str:concat(P_DIR, '/x')}"),
        ("${record:value('/DIR')}", "${record:value('/DIR')}"),  # quoted text is not a parameter
        ('${record:value("/DIR")}', '${record:value("/DIR")}'),
        ("${DIR(1)}", "${DIR(1)}"),  # a call, not a parameter
        ("${DIRECTORY}", "${DIRECTORY}"),  # another name
        ("DIR without an expression", "DIR without an expression"),
        ("${x:DIR}", "${x:DIR}"),  # a namespaced name
        ("${DIR > 3 && OTHER}", "${P_DIR > 3 && OTHER}"),
    ],
)
def test_parameters_are_renamed_inside_expressions_only(text: str, renamed: str) -> None:
    assert rename_parameters(["DIR"], "P_")(text) == renamed


def test_renaming_walks_lists_and_dicts_and_leaves_other_values() -> None:
    rename = rename_parameters(["A"], "X_")
    value = [{"fields": ["${A}"], "n": 3, "flag": None}, "${A}"]
    assert rename(value) == [{"fields": ["${X_A}"], "n": 3, "flag": None}, "${X_A}"]
    assert rename_parameters([], "X_")("${A}") == "${A}"
    assert rename_parameters(["A"], "")("${A}") == "${A}"


def test_a_version_ignores_what_a_store_adds_and_follows_what_the_fragment_does() -> None:
    fragment = Fragment("f")
    fragment.input("Trash")
    definition = fragment.to_dict()
    labelled = json.loads(json.dumps(definition))
    labelled["metadata"]["labels"] = ["flowbuilder-managed"]
    labelled["info"]["lastModified"] = 1
    assert fragment_commit_id(labelled) == fragment_commit_id(definition) == fragment.commit_id
    fragment.stage("Trash_01").label = "Bin"
    assert fragment.commit_id != fragment_commit_id(definition)


def test_expanding_a_flow_without_fragments_gives_an_equal_flow() -> None:
    flow = Flow("plain").source("Dev Raw Data Source").to("Trash").flow
    assert expand(flow).to_dict()["stages"] == flow.to_dict()["stages"]


def test_embedding_and_expanding_stay_linear_in_the_number_of_uses() -> None:
    fragment = Fragment("pass")
    fragment.input("Dev Identity").to("Dev Identity")

    def seconds(uses: int) -> float:
        flow = Flow("many")
        path = flow.source("Dev Raw Data Source")
        for _ in range(uses):
            path = path.to(fragment)
        path.to("Trash")
        start = time.perf_counter()
        assert len(flow.expanded()) == 2 + 2 * uses
        return time.perf_counter() - start

    small, large = seconds(50), seconds(400)
    assert large < small * 8 * 4  # 8 times the uses; a quadratic cost would be 64 times
