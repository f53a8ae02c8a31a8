"""Regenerate the diagram gallery in docs/gallery/ from docs/gallery/flows.py.

    python scripts/build_gallery.py           # write <name>.dot, <name>.mmd, <name>.svg, manifest.json
    python scripts/build_gallery.py --check   # exit 1 (listing what) when any of them is stale

The DOT and Mermaid files are compared as text: flowbuilder writes them deterministically. The
SVGs depend on the Graphviz version, so each one carries the SHA-256 of the DOT it was drawn
from (an XML comment), and manifest.json records which Graphviz drew them; with that same
version the SVGs are also redrawn and compared byte for byte.

:func:`draw_svg`, :func:`svg_stamp` and :func:`dot_hash` are that stamping, for any script that
commits diagrams (``scripts/build_examples.py`` uses them too): a committed SVG is up to date when
``svg_stamp(svg_file) == dot_hash(dot_text)``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

from flowbuilder import Flow
from flowbuilder.render import to_dot, to_mermaid

__all__ = [
    "build",
    "dot_hash",
    "draw_svg",
    "graphviz_version",
    "main",
    "stale",
    "svg_differences",
    "svg_stamp",
]

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"
DIAGRAMS = ROOT / "docs" / "diagrams.md"
MERMAID_EXAMPLE = "branches"
_HASH = re.compile(r"<!-- flowbuilder dot sha256 ([0-9a-f]{64}) -->")
_MERMAID_BLOCK = re.compile(r"(<!-- gallery mermaid begin -->\n)(.*?)(<!-- gallery mermaid end -->)", re.S)


def _flows() -> list[Flow]:
    flows: list[Flow] = runpy.run_path(str(GALLERY / "flows.py"))["flows"]()
    return flows


def graphviz_version() -> str:
    """The version of the ``dot`` on PATH, e.g. ``2.43.0``."""
    done = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=True)
    match = re.search(r"version (\S+)", done.stderr + done.stdout)
    return match.group(1) if match else "unknown"


def draw_svg(dot: str) -> str:
    """The SVG that ``dot`` draws for the DOT text ``dot``, stamped with its :func:`dot_hash`."""
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    header, _, rest = svg.partition("\n")
    return f"{header}\n<!-- flowbuilder dot sha256 {dot_hash(dot)} -->\n{rest}"


def dot_hash(dot: str) -> str:
    """The SHA-256 (hex) of a DOT text: what :func:`draw_svg` stamps into the SVG it draws."""
    return hashlib.sha256(dot.encode("utf-8")).hexdigest()


def svg_stamp(svg: Path) -> str | None:
    """The :func:`dot_hash` stamped into the SVG file ``svg``; None when it is missing or unstamped."""
    if not svg.is_file():
        return None
    match = _HASH.search(svg.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def _expected() -> dict[str, str]:
    """File name -> content for every text file of the gallery (not the SVGs)."""
    files: dict[str, str] = {}
    for flow in _flows():
        files[f"{flow.name}.dot"] = to_dot(flow)
        files[f"{flow.name}.mmd"] = to_mermaid(flow)
    return files


def _diagrams_text(mermaid: str) -> str:
    text = DIAGRAMS.read_text(encoding="utf-8")
    return _MERMAID_BLOCK.sub(lambda m: f"{m.group(1)}```mermaid\n{mermaid}```\n{m.group(3)}", text)


def build() -> list[Path]:
    """Write every gallery file; returns the paths written."""
    written = []
    expected = _expected()
    for name, content in expected.items():
        path = GALLERY / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
        if name.endswith(".dot"):
            svg = GALLERY / f"{name[:-4]}.svg"
            svg.write_text(draw_svg(content), encoding="utf-8")
            written.append(svg)
    wanted = set(expected) | {f"{n[:-4]}.svg" for n in expected if n.endswith(".dot")}
    for path in sorted(GALLERY.glob("*")):
        if path.suffix in (".dot", ".mmd", ".svg") and path.name not in wanted:
            path.unlink()
    manifest = {"graphviz": graphviz_version(), "flows": [n[:-4] for n in expected if n.endswith(".dot")]}
    (GALLERY / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    DIAGRAMS.write_text(_diagrams_text(expected[f"{MERMAID_EXAMPLE}.mmd"]), encoding="utf-8")
    return [*written, GALLERY / "manifest.json", DIAGRAMS]


def stale() -> list[str]:
    """What is out of date, one line each; empty when the gallery matches the code."""
    problems = []
    expected = _expected()
    for name, content in expected.items():
        path = GALLERY / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"{name} differs from what flowbuilder writes now")
    for name in (n for n in expected if n.endswith(".dot")):
        svg = GALLERY / f"{name[:-4]}.svg"
        stamp = svg_stamp(svg)
        if stamp is None:
            problems.append(f"{svg.name} is missing or was not made by this script")
        elif stamp != dot_hash(expected[name]):
            problems.append(f"{svg.name} was drawn from another DOT text than {name}")
    extra = (
        {p.name for p in GALLERY.glob("*") if p.suffix in (".dot", ".mmd", ".svg")}
        - set(expected)
        - {f"{n[:-4]}.svg" for n in expected if n.endswith(".dot")}
    )
    problems += [f"{name} belongs to no gallery flow" for name in sorted(extra)]
    if DIAGRAMS.read_text(encoding="utf-8") != _diagrams_text(expected[f"{MERMAID_EXAMPLE}.mmd"]):
        problems.append(f"{DIAGRAMS.name}: the Mermaid example differs from {MERMAID_EXAMPLE}.mmd")
    return problems


def svg_differences() -> list[str]:
    """SVGs that this machine's ``dot`` would draw differently from their committed DOT."""
    differences = []
    for dot in sorted(GALLERY.glob("*.dot")):
        svg = dot.with_suffix(".svg")
        if svg.read_text(encoding="utf-8") != draw_svg(dot.read_text(encoding="utf-8")):
            differences.append(svg.name)
    return differences


def main(argv: list[str] | None = None) -> int:
    """Build the gallery, or with ``--check`` report what is stale (exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for line in problems:
            print(f"stale: {line}")
        if problems:
            print("Run: python scripts/build_gallery.py")
        return 1 if problems else 0
    for path in build():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
