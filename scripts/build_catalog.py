"""Regenerate flowbuilder's bundled catalog from the stage-definition facts in ../shared/catalog.

    python scripts/build_catalog.py [--source ../shared/catalog]

Writes ``flowbuilder/catalog/data/catalog.json.gz`` (byte-stable: sorted where the sources have
no order of their own, gzip without a timestamp) holding both sources in the catalog's compact
form, and ``docs/catalog-sources.md``, the report of where the two sources differ; then
``scripts/build_typed.py`` regenerates the typed stage surface from it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flowbuilder.catalog._compact import (
    compact_config,
    compact_service,
    compact_stage,
    engine_of_library,
)
from flowbuilder.catalog._sources import render_report

DATA = ROOT / "flowbuilder" / "catalog" / "data" / "catalog.json.gz"
REPORT = ROOT / "docs" / "catalog-sources.md"
PIPELINE_ENGINES = {"sdc": "data_collector", "transformer": "transformer", "snowpark": "snowflake"}


def _extracted_stage(stage: dict[str, Any]) -> dict[str, Any]:
    """The source extraction's stage schema, adapted to the engine's StageDefinitionJson."""
    streams = stage.get("outputStreams")
    variable = streams == "VARIABLE"
    engine_like = dict(stage)
    engine_like.update(
        {
            "version": str(stage["version"]),
            "producingEvents": bool(stage.get("producesEvents")),
            "outputStreams": 0 if variable else int(streams or 0),
            "variableOutputStreams": variable,
        }
    )
    compact = compact_stage(engine_like)
    compact["libraries"] = sorted(set(stage.get("libraries") or []) | {stage["library"]})
    compact["source"] = "extraction"
    return compact


def _engine_versions(source: Path) -> dict[str, str]:
    from flowbuilder.catalog._definitions import version_key

    newest: dict[str, str] = {}
    for export in sorted((source / "engine-definitions" / "exports").glob("*.json")):
        document = json.loads(export.read_text(encoding="utf-8"))
        config = document.get("pipelineConfig") or document.get("pipelineFragmentConfig") or {}
        version = (config.get("info") or {}).get("sdcVersion")
        stages = config.get("stages") or []
        if not version or not stages:
            continue
        engine = engine_of_library(stages[0].get("library", ""))
        if engine not in newest or version_key(version) > version_key(newest[engine]):
            newest[engine] = version
    return dict(sorted(newest.items()))


def build(source: Path) -> dict[str, Any]:
    union = json.loads((source / "engine-definitions" / "stage-definitions-union.json").read_text("utf-8"))
    full = json.loads((source / "stage_catalog_full.json").read_text("utf-8"))
    engine_stages = []
    for stage in union["stages"]:
        compact = compact_stage(stage)
        compact["source"] = "engine"
        engine_stages.append(compact)
    engine_pipeline = {
        PIPELINE_ENGINES[key]: [compact_config(c) for c in value[0]["configDefinitions"]]
        for key, value in sorted(union["pipeline"].items())
    }
    extraction_pipeline = {
        "data_collector": [compact_config(c) for c in full["pipelineDefinition"]["configDefinitions"]]
    }
    return {
        "format": 1,
        "engineVersions": _engine_versions(source),
        "sources": {
            "engine": {
                "description": "stage definitions exactly as real engines emitted them in public exports",
                "stages": pack(sorted(engine_stages, key=lambda s: (s["name"], s["version"]))),
                "services": sorted(
                    (compact_service(s) for s in union["services"]),
                    key=lambda s: (s["provides"], s["version"]),
                ),
                "pipeline": engine_pipeline,
            },
            "extraction": {
                "description": f"extracted from {full['source']} {full['engineVersion']} sources",
                "engineVersion": full["engineVersion"],
                "stages": pack(
                    sorted(
                        (_extracted_stage(s) for s in full["stages"]), key=lambda s: (s["name"], s["version"])
                    )
                ),
                "services": sorted(
                    (
                        compact_service({**s, "configDefinitions": s.get("configDefinitions") or []})
                        for s in full["services"]
                    ),
                    key=lambda s: (s["provides"], s["version"]),
                ),
                "pipeline": extraction_pipeline,
            },
        },
        "libraries": {
            stage["name"]: sorted(set(stage.get("libraries") or []) | {stage["library"]})
            for stage in sorted(full["stages"], key=lambda s: s["name"])
        },
        "aliases": {
            "stages": dict(sorted(full["aliases"]["stageAliases"].items())),
            "libraries": dict(sorted(full["aliases"]["libraryAliases"].items())),
        },
    }


def pack(stages: list[dict[str, Any]]) -> list[list[str]]:
    """Stages as ``[name, version, label, engine, compact JSON]``: the catalog parses each on first use."""
    packed = []
    for stage in stages:
        text = json.dumps(stage, separators=(",", ":"))
        packed.append([stage["name"], stage["version"], stage["label"], stage["engine"], text])
    return packed


def encode(data: dict[str, Any]) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "catalog")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files are stale")
    args = parser.parse_args()
    if not (args.source / "stage_catalog_full.json").is_file():
        print(f"no catalog facts at {args.source}; pass --source DIR", file=sys.stderr)
        return 2
    data = build(args.source)
    payload = encode(data)
    report = render_report(data)
    if args.check:
        stale = [p for p, new in ((DATA, payload), (REPORT, report.encode())) if p.read_bytes() != new]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python scripts/build_catalog.py)")
        return 1 if stale else 0
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_bytes(payload)
    REPORT.write_text(report, encoding="utf-8")
    print(f"wrote {DATA.relative_to(ROOT)} ({len(payload):,} bytes) and {REPORT.relative_to(ROOT)}")
    # The typed stage surface is generated from the catalog just written (a fresh process reads it).
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_typed.py")], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
