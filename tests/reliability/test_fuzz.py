"""The CI-sized fuzz run: a few hundred derandomized inputs per target (tests/reliability/targets.py),
seconds in all. Bad input may only ever raise a FlowbuilderError; the server may only answer 4xx
with a message. The long run is ``python scripts/fuzz.py`` (figures in docs/security.md)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.reliability.targets import Crash, Target, guard, targets

TARGETS = {target.name: target for target in targets()}
# Inputs per target: the flow targets import, compile and draw whole corpus flows (~10 ms each).
# ``definitions`` extends the catalog from each input's embedded definitions; ``archive`` imports
# each zip twice into a fresh project (~50 ms each).
EXAMPLES = {
    "from_json": 80,
    "to_python": 50,
    "preview": 80,
    "definitions": 60,
    "archive": 60,
    "el": 300,
    "server": 300,
}
CI = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def _fuzz(target: Target) -> None:
    @settings(CI, max_examples=EXAMPLES.get(target.name, 100))
    @given(target.inputs)
    def run(value: Any) -> None:
        target.run(value)

    run()


def test_the_ci_run_covers_every_target() -> None:
    assert set(TARGETS) == set(EXAMPLES)


@pytest.mark.parametrize(
    "name", ["from_json", "to_python", "preview", "definitions", "archive", "el", "server"]
)
def test_fuzzed_inputs_only_ever_raise_flowbuilder_errors(name: str) -> None:
    _fuzz(TARGETS[name])


def test_a_crash_is_reported_with_its_input_and_where_it_happened() -> None:
    # The fuzz targets must not swallow real crashes: a target that fails on some input is caught.
    def broken(value: Any) -> None:
        if isinstance(value, str) and value.count("[") > 2:
            raise KeyError("missing")

    with pytest.raises(Crash) as raised:
        _fuzz(Target("broken", TARGETS["from_json"].inputs, guard("broken", broken)))
    assert raised.value.target == "broken"
    assert isinstance(raised.value.error, KeyError)
    assert "KeyError" in str(raised.value)
