"""The export zip: one GET-shaped flow document per file, secrets blanked unless asked for.

Layout (flowbuilder's own; the cloud's layout is not documented)::

    manifest.json                 {"format": "flowbuilder-flows", "version": 1, "flows": [...]}
    flows/<flow_id>.json          the flow document

Reading also accepts any ``*.json`` member that ``Flow.from_json`` reads (bare definitions and
export envelopes), so a zip of plain pipeline files imports too.
"""

from __future__ import annotations

import copy
import io
import json
import lzma
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .._document import mask_secrets
from .._json import as_mapping
from ..catalog import Catalog
from ..errors import BackendError, FlowFormatError
from ..flow import Flow

__all__ = ["ImportedFlow", "read_archive", "write_archive"]

_FORMAT = "flowbuilder-flows"
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MAX_MEMBERS = 10_000
#: Uncompressed, all members together: every member is parsed before any is stored (an import is
#: all or nothing) and together they may take at most five times their text (memory_limit), so
#: this bounds an import near 650 MB.
_MAX_BYTES = 128 * 1024 * 1024


class ImportedFlow(NamedTuple):
    """One flow read from an archive: what a create needs, and the member it came from."""

    name: str
    description: str
    entity: dict[str, Any]
    pipeline_definition: dict[str, Any] | None
    member: str


def _member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def write_archive(
    documents: Iterable[Mapping[str, Any]], *, with_plain_text_credentials: bool = False
) -> bytes:
    """The zip bytes of these flow documents; the same documents give the same bytes."""
    buffer = io.BytesIO()
    manifest: list[dict[str, str]] = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for original in documents:
            document = copy.deepcopy(dict(original))
            if not with_plain_text_credentials and isinstance(document.get("pipeline_definition"), Mapping):
                # Blanked, not masked: an archive imported again must not store the mask as a value.
                document["pipeline_definition"] = mask_secrets(
                    document["pipeline_definition"], Catalog.default(), replacement=""
                )
            metadata = document["flow"]["metadata"]
            path = f"flows/{metadata['asset_id']}.json"
            manifest.append({"flow_id": metadata["asset_id"], "name": metadata["name"], "file": path})
            _member(archive, path, json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n")
        head = {
            "format": _FORMAT,
            "version": 1,
            "credentials": with_plain_text_credentials,
            "flows": manifest,
        }
        _member(archive, "manifest.json", json.dumps(head, indent=2, ensure_ascii=False).encode() + b"\n")
    return buffer.getvalue()


# What a damaged zip raises while it is opened or a member read: a bad header or CRC, a member
# name flagged UTF-8 that is not, a corrupt deflate, bzip2 or LZMA stream, an unknown method.
_DAMAGED = (
    zipfile.BadZipFile,
    UnicodeDecodeError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


def _bad(message: str, where: str | None = None, hint: str | None = None) -> BackendError:
    return BackendError(message, status=400, location=where, hint=hint)


def read_archive(data: bytes, where: str = "flows.zip") -> list[ImportedFlow]:
    """The flows in an export zip, in member order; BackendError (status 400) on a bad archive."""
    from .._json import MAX_JSON_BYTES, load_json_held
    from ..compile import check_import_memory

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGED:
        raise _bad("not a zip file", where, "Pass a zip written by export_flows.") from None
    with archive:
        for number, info in enumerate(archive.infolist(), start=1):
            if not info.filename:  # zipfile cuts a name at its first NUL byte
                raise _bad(
                    f"member {number} has no name (it is empty or starts with a NUL byte)",
                    where,
                    "Pass a zip written by export_flows.",
                )
        members = [i for i in archive.infolist() if not i.is_dir() and i.filename.endswith(".json")]
        if len(members) > _MAX_MEMBERS or sum(i.file_size for i in members) > _MAX_BYTES:
            raise _bad(
                f"archive too large (more than {_MAX_MEMBERS:,} files or {_MAX_BYTES:,} bytes uncompressed)",
                where,
                "Export and import the flows in smaller batches.",
            )
        flows = []
        size = held = 0  # every member is held until all are read: they share one memory limit
        for info in members:
            if info.filename == "manifest.json":
                continue
            location = f"{where}:{info.filename}"
            if info.file_size > MAX_JSON_BYTES:
                raise _bad(f"member is {info.file_size:,} bytes, more than {MAX_JSON_BYTES:,}", location)
            try:
                text = archive.read(info)
                document, member_held = load_json_held(text, location=location)
                size, held = size + len(text), held + member_held
                del text
                check_import_memory(document, size, held, location)
            except FlowFormatError as error:
                raise _bad(error.message, error.location or location, error.hint) from None
            except _DAMAGED as error:
                raise _bad(f"cannot read member ({type(error).__name__}: {error})", location) from None
            flows.append(_imported(document, info.filename, location))
    if not flows:
        raise _bad("holds no flow documents", where, "An export zip has flows/<flow_id>.json members.")
    return flows


def _imported(document: object, member: str, location: str) -> ImportedFlow:
    from ..compile import read_shared, split_document

    if not isinstance(document, Mapping):
        raise _bad("a flow file must hold a JSON object", location)
    try:
        definition, parts = split_document(document)
        flow: Flow = read_shared(document)
    except FlowFormatError as error:
        # The reader's own "not a flow: expected ..." already says it; say it once.
        message = error.message if error.message.startswith("not a flow") else f"not a flow: {error.message}"
        raise _bad(message, location, error.hint) from None
    asset = as_mapping(parts.get("flow"))
    metadata = as_mapping(asset.get("metadata"))
    entity = as_mapping(as_mapping(asset.get("entity")).get("streamsets_flow"))
    name = (
        metadata.get("name") if isinstance(metadata.get("name"), str) and metadata.get("name") else flow.name
    )
    description = metadata.get("description") if isinstance(metadata.get("description"), str) else None
    return ImportedFlow(
        name=str(name),
        description=description if description is not None else str(flow.description or ""),
        entity={k: copy.deepcopy(v) for k, v in entity.items()},
        pipeline_definition=definition or None,
        member=member,
    )
