"""Compilers: a Flow to the engine's flow JSON (and back), and to Python DSL source.

Each reads the flow's graph; none keeps state of its own.
"""

from ._fragments import commit_id as fragment_commit_id
from ._fragments import expand
from ._imported import ImportedDocument, ImportedStage
from ._layout import auto_arrange
from ._pipeline import to_dict, to_envelope, to_json
from ._python import add_stage_json, restore_details, secret_variable, to_python
from ._reader import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    check_import_memory,
    from_file,
    from_json,
    read_shared,
    split_document,
)

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "ImportedDocument",
    "ImportedStage",
    "add_stage_json",
    "auto_arrange",
    "check_import_memory",
    "expand",
    "fragment_commit_id",
    "from_file",
    "from_json",
    "read_shared",
    "restore_details",
    "secret_variable",
    "split_document",
    "to_dict",
    "to_envelope",
    "to_json",
    "to_python",
]
