"""The API's documents: GET-shaped flows, environments, projects, engine versions; building them,
applying updates, and checking what callers send.

Documents built here share the pipeline definitions they are given, never copying them: a
definition can be tens of megabytes, and every store copies what it keeps (the memory store
deep-copies on insert and read, the local store serializes to SQLite, HTTP sends it).
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .._names import has_control_characters
from .._numbers import count
from ..errors import BackendError, ConflictError, FlowFormatError
from .protocol import CREATE_FIELDS, UPDATE_FIELDS

__all__ = [
    "MAX_NAME_LENGTH",
    "PROJECTS_API_SCHEMA",
    "apply_update",
    "check_create",
    "check_name_free",
    "check_update",
    "duplicate_document",
    "engine_version_asset",
    "environment_asset",
    "new_document",
    "numbered_name",
    "project_asset",
    "revision_from_etag",
    "revision_of",
    "timestamp",
]

MAX_NAME_LENGTH = 512
_LIST_FIELDS = ("fragment_ids", "connection_ids")


def _now() -> int:
    return int(time.time() * 1000)


def _bad(message: str, hint: str | None = None) -> BackendError:
    return BackendError(message, status=400, hint=hint)


def _check_name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{where}: flow name must be a non-empty string; got {value!r}", "Pass name='...'.")
    if len(value) > MAX_NAME_LENGTH or has_control_characters(value):
        raise _bad(
            f"{where}: flow name must be at most {MAX_NAME_LENGTH} characters without control, "
            f"separator or bidirectional-control characters; got {value[:80]!r}"
            + ("..." if len(value) > 80 else ""),
            "Pick a shorter, single-line name that reads as it is written.",
        )
    return value


def check_name_free(taken: list[str], name: str) -> None:
    """Raise a 409 :class:`ConflictError` when ``taken`` (the ids of flows named ``name``) is not empty."""
    if taken:
        raise ConflictError(
            f"a flow named {name!r} already exists ({', '.join(taken)})",
            status=409,
            hint="Another writer created it; read it back, or pick another name.",
        )


def numbered_name(name: str, number: int) -> str:
    """``name (number)``: the name an import gives a flow whose name is taken, the name cut so that
    the whole stays within :data:`MAX_NAME_LENGTH`.

    >>> numbered_name("orders", 2)
    'orders (2)'
    >>> len(numbered_name("x" * MAX_NAME_LENGTH, 1)) == MAX_NAME_LENGTH
    True
    """
    suffix = f" ({number})"
    return name[: MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix


def _check_text(value: object, field: str, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad(f"{where}: {field!r} must be a string; got {type(value).__name__}")
    return value


def _check_definition(value: object, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad(f"{where}: 'pipeline_definition' must be a JSON object; got {type(value).__name__}")
    from ..compile import read_shared

    try:  # read, not compiled (nor copied): what the store returns is read back the same way
        read_shared({"pipeline_definition": value})
    except FlowFormatError as error:
        raise _bad(f"{where}: 'pipeline_definition' cannot be read: {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        # The reader should have named the problem; refuse the document rather than store what
        # no later read could load.
        raise _bad(
            f"{where}: 'pipeline_definition' cannot be read: {type(error).__name__}: {error}",
            "Send a pipeline definition as flow.to_dict() writes it.",
        ) from None
    return dict(value)  # not copied: stores copy what they keep (see the module docstring)


def check_create(body: object, where: str = "create flow") -> dict[str, Any]:
    """The fields of a create call, checked; BackendError (status 400) when they are wrong."""
    if not isinstance(body, Mapping):
        raise _bad(f"{where}: the body must be a JSON object with {', '.join(CREATE_FIELDS)}")
    fields: dict[str, Any] = {"name": _check_name(body.get("name"), where)}
    for field in ("description", "environment_id", "engine_type", "engine_version"):
        fields[field] = _check_text(body.get(field), field, where)
    fields["engine_type"] = fields["engine_type"] or "data_collector"
    if body.get("fragment_ids") is not None:  # what a flow made with its definition uses
        fields["fragment_ids"] = _check_ids(body["fragment_ids"], "fragment_ids", where)
    if "pipeline_definition" in body:
        fields["pipeline_definition"] = _check_definition(body["pipeline_definition"], where)
    return fields


def _check_ids(value: object, field: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{where}: {field!r} must be a list of strings")
    return list(value)


def check_update(body: object, where: str = "update flow") -> dict[str, Any]:
    """The updatable fields of an update call, checked; unknown fields are ignored."""
    if not isinstance(body, Mapping):
        raise _bad(f"{where}: the body must be a JSON object with some of {', '.join(UPDATE_FIELDS)}")
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = _check_name(body["name"], where)
    for field in ("description", "environment_id", "engine_version"):
        if field in body:
            fields[field] = _check_text(body[field], field, where)
    for field in _LIST_FIELDS:
        if field in body:
            fields[field] = _check_ids(body[field] if body[field] is not None else [], field, where)
    if "pipeline_definition" in body:
        fields["pipeline_definition"] = _check_definition(body["pipeline_definition"], where)
    return fields


def new_document(
    project_id: str, fields: Mapping[str, Any], *, flow_id: str | None = None, user: str = "local"
) -> dict[str, Any]:
    """A new flow document (revision 1) from checked create fields."""
    millis = _now()
    metadata = _asset_metadata(
        project_id,
        flow_id or str(uuid.uuid4()),
        fields["name"],
        fields.get("description") or "",
        "streamsets_flow",
        millis,
        user,
    )
    metadata["usage"] = {
        "last_update_time": timestamp(millis),
        "last_updated_at": timestamp(millis),
        "last_updater_id": user,
        "access_count": 0,
        "last_access_time": timestamp(millis),
        "last_accessed_at": None,
        "last_accessor_id": None,
    }
    metadata["revision"] = 1
    entity = {
        "engine_type": fields.get("engine_type") or "data_collector",
        "engine_version": fields.get("engine_version") or "",
        "environment_id": fields.get("environment_id") or "",
        "fragment_ids": list(fields.get("fragment_ids") or []),
        "connection_ids": list(fields.get("connection_ids") or []),
    }
    document: dict[str, Any] = {"flow": {"metadata": metadata, "entity": {"streamsets_flow": entity}}}
    if fields.get("pipeline_definition") is not None:
        document["pipeline_definition"] = fields["pipeline_definition"]
    return document


def revision_of(document: Mapping[str, Any]) -> int | None:
    """The document's ``metadata.revision``, or None when it has none."""
    flow = document.get("flow")
    metadata = flow.get("metadata") if isinstance(flow, Mapping) else None
    value = metadata.get("revision") if isinstance(metadata, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def revision_from_etag(etag: str) -> int | None:
    """The revision an ``ETag`` or ``If-Match`` value names (``"3"``, weak ``W/"3"``), else None.

    >>> revision_from_etag('"3"'), revision_from_etag(' W/"3" '), revision_from_etag("3")
    (3, 3, 3)
    >>> revision_from_etag('"²"'), revision_from_etag('"-1"'), revision_from_etag("")
    (None, None, None)
    """
    return count(etag.strip().removeprefix("W/").strip('"'))


def apply_update(
    document: Mapping[str, Any], fields: Mapping[str, Any], *, revision: int | None, user: str = "local"
) -> dict[str, Any]:
    """A new document with ``fields`` applied and the revision bumped.

    ``revision`` is the one the caller read; a different stored revision is a ConflictError.
    """
    updated = {**document, "flow": copy.deepcopy(document["flow"])}  # the definition is replaced whole
    metadata = updated["flow"]["metadata"]
    entity = updated["flow"]["entity"]["streamsets_flow"]
    stored = revision_of(document) or 0
    if revision is not None and revision != stored:
        raise ConflictError(
            f"flow {metadata['asset_id']!r} was changed since it was read (stored revision {stored}, "
            f"the update is based on revision {revision})",
            flow=metadata.get("name"),
            status=409,
            hint="Read it again with project.flows.get(flow_id=...), re-apply the changes, and update again.",
        )
    for field in ("name", "description"):
        if field in fields:
            metadata[field] = fields[field]
    for field in ("environment_id", "engine_version", *_LIST_FIELDS):
        if field in fields:
            entity[field] = copy.deepcopy(fields[field])
    if fields.get("pipeline_definition") is not None:
        updated["pipeline_definition"] = fields["pipeline_definition"]
    stamp = timestamp(_now())
    metadata.setdefault("usage", {}).update(
        {"last_update_time": stamp, "last_updated_at": stamp, "last_updater_id": user}
    )
    metadata["revision"] = stored + 1
    return updated


def duplicate_document(
    document: Mapping[str, Any], project_id: str, name: str, description: str
) -> dict[str, Any]:
    """A new document (new id, revision 1) with the same entity and pipeline definition."""
    entity = document["flow"]["entity"]["streamsets_flow"]
    fields = {**entity, "name": name, "description": description}
    if "pipeline_definition" in document:
        fields["pipeline_definition"] = document["pipeline_definition"]
    return new_document(project_id, fields)


def timestamp(millis: int) -> str:
    """The API's text form of a time given in milliseconds since the epoch (UTC, RFC 3339).

    >>> timestamp(0)
    '1970-01-01T00:00:00.000Z'
    """
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _asset_metadata(
    project_id: str, asset_id: str, name: str, description: str, asset_type: str, created: int, user: str
) -> dict[str, Any]:
    """The metadata every asset of a project carries, with the types the API gives them."""
    return {
        "asset_id": asset_id,
        "name": name,
        "description": description,
        "project_id": project_id,
        "asset_type": asset_type,
        "asset_attributes": [asset_type],
        "asset_state": "available",
        "catalog_id": None,
        "owner_id": user,
        "creator_id": user,
        "created": created,
        "created_at": timestamp(created),
        "create_time": timestamp(created),
        "tags": [],
        "rov": {"mode": 0, "collaborator_ids": {}, "member_roles": {}},
        "version": 2.0,
        "size": 0,
        "rating": 0,
        "total_ratings": 0,
        "sandbox_id": project_id,
    }


def environment_asset(
    project_id: str,
    environment_id: str,
    name: str,
    engine_type: str,
    engine_version: str,
    description: str = "",
    *,
    created: int = 0,
    user: str = "local",
) -> dict[str, Any]:
    """An environment asset as the environments API answers it.

    >>> asset = environment_asset("p1", "e1", "local", "data_collector", "5.8.1")
    >>> asset["metadata"]["create_time"], asset["entity"]["streamsets_environment"]["engine_version"]
    ('1970-01-01T00:00:00.000Z', '5.8.1')
    """
    return {
        "metadata": _asset_metadata(
            project_id, environment_id, name, description, "streamsets_environment", created, user
        ),
        "entity": {
            "streamsets_environment": {
                "engine_type": engine_type,
                "engine_version": engine_version,
                "engine_properties": {},
                "log4j2_properties": {},
                "stage_libs": [],
                "jvm_options": [],
                "external_resource_asset": {},
            }
        },
    }


def project_asset(
    project_id: str, name: str = "local", *, created: int = 0, user: str = "local"
) -> dict[str, Any]:
    """A project as the projects API (``GET /v2/projects/{project_id}``) answers it.

    >>> project = project_asset("p1")
    >>> project["metadata"]["guid"], project["entity"]["name"], project["entity"]["storage"]["type"]
    ('p1', 'local', 'assetfiles')
    """
    return {
        "metadata": {
            "guid": project_id,
            "url": f"/v2/projects/{project_id}",
            "created_at": timestamp(created),
            "updated_at": timestamp(created),
            "creator_iam_id": user,
        },
        "entity": {
            "name": name,
            "description": "",
            "type": "wx",
            "generator": "flowbuilder",
            "public": False,
            "creator": user,
            "creator_iam_id": user,
            "tags": [],
            "storage": {"type": "assetfiles", "guid": project_id, "properties": {}},
            "scope": {"bss_account_id": user, "enforce_members": False},
            "compute": [],
            "settings": {},
        },
    }


def _query_parameter(name: str, kind: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": kind}}


#: The OpenAPI description of the projects list that ``flowbuilder serve`` answers: the query
#: parameters it honours (clients filter on any others themselves).
PROJECTS_API_SCHEMA: Mapping[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Projects (flowbuilder serve)", "version": "2"},
    "paths": {
        "/v2/projects": {
            "get": {
                "summary": "List projects",
                "parameters": [
                    {"$ref": f"#/components/parameters/{key}"}
                    for key in ("ProjectIds", "Name", "Include", "Limit", "Bookmark")
                ],
                "responses": {"200": {"description": "The projects: total_results and resources."}},
            }
        },
        "/v2/projects/{project_id}": {
            "get": {
                "summary": "Get a project",
                "parameters": [
                    {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "The project."},
                    "404": {"description": "No such project."},
                },
            }
        },
    },
    "components": {
        "parameters": {
            "ProjectIds": _query_parameter("project_ids", "string", "Comma-separated project ids."),
            "Name": _query_parameter("name", "string", "The project name."),
            "Include": _query_parameter("include", "string", "Parts to include (all are)."),
            "Limit": _query_parameter("limit", "integer", "Page size."),
            "Bookmark": _query_parameter("bookmark", "string", "The next page's bookmark."),
        }
    },
}


def engine_version_asset(engine_type: str, version: str) -> dict[str, Any]:
    """An engine version as the engine-versions API answers it.

    >>> engine_version_asset("data_collector", "5.8.1")["engine_version_id"]
    '5.8.1'
    """
    return {
        "engine_version_id": version,
        "engine_type": engine_type,
        "image_tag": version,
        "disabled": False,
        "release": True,
        "tunneling_supported": False,
        "stage_libs": None,
    }
