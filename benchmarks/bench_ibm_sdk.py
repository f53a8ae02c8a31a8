"""flowbuilder and IBM's watsonx.data integration SDK side by side: build a flow edge by edge, dump it.

    pip install -e '.[ibm-sdk]'
    python benchmarks/bench_ibm_sdk.py [--stages 1000] [--repeat 3]

The same shape in both, written the way each SDK's examples write it: one Dev Raw Data Source
and N-1 Trash stages, each added and connected one at a time (``source >> trash`` in flowbuilder,
``source.connect_output_to(trash)`` in the SDK). flowbuilder then validates and compiles
(``to_dict``); the SDK dumps its pipeline definition (``flow.pipeline_definition``; it has no
offline validation). Both have their stage definitions loaded before the clock starts: the
SDK's from ``flowbuilder serve`` (the definitions endpoint it reads), flowbuilder's from its
bundled catalog. Figures are the best of ``--repeat`` runs, in CPU seconds of this process (the
server's own time is not counted: nothing is sent while the clock runs). Target: flowbuilder at
least 10x faster at 1,000 stages.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def flowbuilder_run(stages: int) -> float:
    from flowbuilder import Flow

    start = time.process_time()
    flow = Flow("fan-out")
    source = flow.add_stage("Dev Raw Data Source")
    for _ in range(stages - 1):
        source >> flow.add_stage("Trash")
    result = flow.validate()
    flow.to_dict()
    elapsed = time.process_time() - start
    assert not result.errors, result.errors[:3]
    return elapsed


def sdk_run(project: object, environment: object, stages: int) -> float:
    flow = project.create_flow(name="fan-out", environment=environment)  # type: ignore[attr-defined]
    _ = flow.stages  # loads the definitions (from the server) before the clock starts
    start = time.process_time()
    source = flow.add_stage("Dev Raw Data Source")
    for _ in range(stages - 1):
        source.connect_output_to(flow.add_stage("Trash"))
    definition = flow.pipeline_definition
    elapsed = time.process_time() - start
    assert len(definition["stages"]) == stages
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stages", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    try:
        from ibm_watsonx_data_integration import Platform
        from ibm_watsonx_data_integration.common.auth import BearerTokenAuthenticator
    except ImportError:
        print("IBM's SDK is not installed: pip install -e '.[ibm-sdk]'", file=sys.stderr)
        return 2
    from flowbuilder import Flow
    from flowbuilder.server import ServerProcess

    Flow("warm-up").source("Dev Raw Data Source").to("Trash")  # the catalog, loaded before timing
    with ServerProcess(tempfile.mkdtemp()) as server:
        platform = Platform(
            auth=BearerTokenAuthenticator(bearer_token=server.token),
            base_url=server.url,
            base_api_url=server.url,
        )
        project = platform.projects.get(project_id=server.project_id)
        environment = project.environments.get(name="local")
        ours = min(flowbuilder_run(args.stages) for _ in range(args.repeat))
        theirs = min(sdk_run(project, environment, args.stages) for _ in range(args.repeat))
    print(f"{'stages':>7} {'flowbuilder s':>14} {'IBM SDK s':>10} {'speed-up':>9}")
    print(f"{args.stages:>7} {ours:>14.3f} {theirs:>10.3f} {theirs / ours:>8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
