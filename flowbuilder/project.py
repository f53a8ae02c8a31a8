"""Projects: the watsonx.data integration Flows API (list, get, create, update, duplicate, delete,
export, import) over any backend: the local SQLite store, the REST API, or memory.

>>> project = Project.memory()
>>> environment = project.environments.get(name="local")
>>> flow = project.create_flow(name="orders", environment=environment, description="orders to files")
>>> flow
StreamsetsFlow(name='orders', description='orders to files', flow_id='...', engine_version='...')
>>> flow.configuration["error_record_policy"] = "STAGE_RECORD"
>>> project.update_flow(flow)
<Response [200]>
>>> project.flows.get(flow_id=flow.flow_id).configuration["error_record_policy"]
'STAGE_RECORD'
>>> project.delete_flow(flow)
<Response [204]>
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from ._document import fragment_ids, fragment_refs
from ._json import as_mapping
from .backends import IAM_URL, TIMEOUT, Backend, LocalBackend, MemoryBackend
from .catalog import ENGINES, Catalog
from .errors import BackendError, ConfigError, FlowbuilderError, FlowFormatError, FragmentError, NotFoundError
from .flow import Flow
from .fragment import Fragment

if TYPE_CHECKING:
    import requests

    from .backends import RetryPolicy, Transport

__all__ = ["Environment", "Environments", "Flows", "Fragments", "Project", "StreamsetsFlow"]

_log = logging.getLogger("flowbuilder.project")

_FLOW_FILTERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], object]] = {
    "flow_id": lambda metadata, entity: metadata.get("asset_id"),
    "name": lambda metadata, entity: metadata.get("name"),
    "description": lambda metadata, entity: metadata.get("description"),
    "engine_type": lambda metadata, entity: entity.get("engine_type"),
    "engine_version": lambda metadata, entity: entity.get("engine_version"),
    "environment_id": lambda metadata, entity: entity.get("environment_id"),
}
_ENVIRONMENT_FILTERS = ("environment_id", "name", "engine_type", "engine_version")


def _parts(asset: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    entity = as_mapping(asset.get("entity")).get("streamsets_flow")
    return as_mapping(asset.get("metadata")), as_mapping(entity)


def _check_filters(filters: Mapping[str, object], known: Iterable[str], what: str) -> None:
    unknown = sorted(set(filters) - set(known))
    if unknown:
        raise FlowbuilderError(
            f"cannot filter {what} on {', '.join(map(repr, unknown))}",
            hint=f"Filter on {', '.join(known)}.",
        )


# -- environments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """Where flows run: an engine type and version (the local store has one, named ``local``).

    >>> Project.memory().environments.get(name="local").engine_type
    'data_collector'
    """

    environment_id: str
    name: str
    engine_type: str
    engine_version: str
    description: str = ""

    @classmethod
    def _from_asset(cls, asset: Mapping[str, Any]) -> Environment:
        metadata = as_mapping(asset.get("metadata"))
        entity = as_mapping(as_mapping(asset.get("entity")).get("streamsets_environment"))
        return cls(
            environment_id=str(metadata.get("asset_id") or metadata.get("environment_id") or ""),
            name=str(metadata.get("name") or ""),
            engine_type=str(entity.get("engine_type") or "data_collector"),
            engine_version=str(entity.get("engine_version") or ""),
            description=str(metadata.get("description") or ""),
        )

    def __repr__(self) -> str:
        return (
            f"Environment(name={self.name!r}, environment_id={self.environment_id!r}, "
            f"engine_type={self.engine_type!r}, engine_version={self.engine_version!r})"
        )


def _matching(environments: Iterable[Environment], filters: Mapping[str, str]) -> list[Environment]:
    return [e for e in environments if all(getattr(e, k) == v for k, v in filters.items())]


class Environments:
    """A project's environments: iterable, ``len``, ``get(name=)``, ``get(environment_id=)``.

    >>> environments = Project.memory().environments
    >>> len(environments), [e.name for e in environments]
    (1, ['local'])
    """

    def __init__(self, project: Project) -> None:
        self._project = project

    def _all(self) -> list[Environment]:
        return [Environment._from_asset(asset) for asset in self._project.backend.environments()]

    def __iter__(self) -> Iterator[Environment]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())

    def get_all(self, **filters: str) -> list[Environment]:
        """The environments whose attributes equal every filter."""
        _check_filters(filters, _ENVIRONMENT_FILTERS, "environments")
        return _matching(self._all(), filters)

    def get(self, **filters: str) -> Environment:
        """The first environment matching every filter; NotFoundError when none does.

        >>> Project.memory().environments.get(name="prod")
        Traceback (most recent call last):
        ...
        flowbuilder.errors.NotFoundError: no environment with name='prod'. Environments: 'local'.
        """
        if not filters:
            raise FlowbuilderError(
                "environments.get() needs a filter", hint="Pass name=... or environment_id=..."
            )
        _check_filters(filters, _ENVIRONMENT_FILTERS, "environments")
        environments = self._all()
        found = _matching(environments, filters)
        if not found:
            wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items())
            names = ", ".join(repr(e.name) for e in environments) or "none"
            raise NotFoundError(f"no environment with {wanted}", hint=f"Environments: {names}.")
        return found[0]


# -- flows -----------------------------------------------------------------------------------------


class StreamsetsFlow(Flow):
    """A flow stored in a project: a :class:`~flowbuilder.flow.Flow` plus ``flow_id``,
    ``engine_version``, ``environment`` and the project it belongs to.

    Everything a Flow does works on it (stages, ``configuration``, ``set_error_stage``,
    ``validate``, ``to_json``); :meth:`Project.update_flow` stores the changes.

    >>> project = Project.memory()
    >>> flow = project.create_flow(name="orders", environment=project.environments.get(name="local"))
    >>> flow.flow_id == project.flows.get(name="orders").flow_id
    True
    >>> flow.set_error_stage("Write to File").configuration["directory"] = "/data/errors"
    >>> flow.error_stage
    WritetoFile_ErrorStage()
    """

    def __init__(
        self,
        name: str,
        description: str = "",
        *,
        catalog: Catalog | None = None,
        engine: str = "data_collector",
    ) -> None:
        super().__init__(name, description, catalog=catalog, engine=engine)
        self.flow_id = ""
        self.engine_type = engine
        self.engine_version = self.catalog.engine_version(engine)
        self.environment_id = ""
        self.fragment_ids: list[str] = []
        self.connection_ids: list[str] = []
        self.metadata: dict[str, Any] = {}
        self._project: Project | None = None
        self._revision: int | None = None

    def __repr__(self) -> str:
        return (
            f"StreamsetsFlow(name={self.name!r}, description={self.description!r}, "
            f"flow_id={self.flow_id!r}, engine_version={self.engine_version!r})"
        )

    @property
    def project(self) -> Project | None:
        """The project this flow is stored in."""
        return self._project

    @property
    def revision(self) -> int | None:
        """The stored revision this flow was read at (None when the server keeps none)."""
        return self._revision

    @property
    def environment(self) -> Environment | None:
        """The environment the flow runs in (None when it has none)."""
        if not self.environment_id or self._project is None:
            return None
        return self._project.environments.get(environment_id=self.environment_id)

    @environment.setter
    def environment(self, environment: Environment) -> None:
        self.environment_id = environment.environment_id
        self.engine_type = environment.engine_type
        self.engine_version = environment.engine_version

    def to_document(self) -> dict[str, Any]:
        """The GET-shaped document of this flow as it is in memory (``{"flow", "pipeline_definition"}``).

        >>> flow = Project.memory().create_flow(name="orders")
        >>> sorted(flow.to_document()), flow.to_document()["flow"]["metadata"]["name"]
        (['flow', 'pipeline_definition'], 'orders')
        """
        metadata = {**copy.deepcopy(self.metadata), "name": self.name, "description": self.description}
        entity = {
            "engine_type": self.engine_type,
            "engine_version": self.engine_version,
            "environment_id": self.environment_id,
            "fragment_ids": list(self.fragment_ids),
            "connection_ids": list(self.connection_ids),
        }
        return {
            "flow": {"metadata": metadata, "entity": {"streamsets_flow": entity}},
            "pipeline_definition": self.to_dict(),
        }

    @classmethod
    def _from_document(cls, document: Mapping[str, Any], project: Project) -> StreamsetsFlow:
        asset = as_mapping(document.get("flow"))
        metadata, entity = _parts(asset)
        flow_id = metadata.get("asset_id")
        if not isinstance(flow_id, str) or not flow_id:
            raise BackendError(
                "the backend answered a flow without metadata.asset_id",
                hint="The server does not speak the StreamSets flows API.",
            )
        engine_type = str(entity.get("engine_type") or "data_collector")
        engine = engine_type if engine_type in ENGINES else "data_collector"
        catalog = project._catalog_for(engine, str(entity.get("engine_version") or ""))
        definition = document.get("pipeline_definition")
        if definition:
            from .compile import from_json

            try:
                flow = from_json(document, catalog=catalog, cls=cls)
            except FlowFormatError as error:
                error.location = f"flow {flow_id}"
                error.args = (error._render(),)
                raise
        else:
            flow = cls(
                str(metadata.get("name") or ""),
                str(metadata.get("description") or ""),
                catalog=catalog,
                engine=engine,
            )
        flow._bind(asset, project)
        return flow

    def _bind(self, asset: Mapping[str, Any], project: Project) -> None:
        metadata, entity = _parts(asset)
        self.flow_id = str(metadata.get("asset_id") or self.flow_id)
        self.name = str(metadata.get("name") or self.name)
        self.description = str(metadata.get("description") or "")
        self.engine_type = str(entity.get("engine_type") or self.engine_type)
        self.engine_version = str(entity.get("engine_version") or self.engine_version)
        self.environment_id = str(entity.get("environment_id") or "")
        self.fragment_ids = [str(i) for i in entity.get("fragment_ids") or []]
        self.connection_ids = [str(i) for i in entity.get("connection_ids") or []]
        self.metadata = copy.deepcopy(dict(metadata))
        revision = metadata.get("revision")  # the http backend puts the ETag's revision here
        self._revision = revision if isinstance(revision, int) else None
        self._project = project


class Flows:
    """A project's flows: iterable, ``len``, ``get(flow_id=)``, ``get(name=)``, ``get_all(**filters)``.

    Listing follows the backend's pages; each flow is read whole (stages and all).

    >>> project = Project.memory()
    >>> _ = project.create_flow(name="a"), project.create_flow(name="b")
    >>> len(project.flows), [flow.name for flow in project.flows]
    (2, ['a', 'b'])
    >>> project.flows.get_all(name="b")
    [StreamsetsFlow(name='b', description='', flow_id='...', engine_version='...')]
    """

    def __init__(self, project: Project) -> None:
        self._project = project

    def _assets(self, name: str | None = None) -> Iterator[Mapping[str, Any]]:
        seen: set[str] = set()
        start: str | None = None
        cursors: set[str] = set()  # a server whose next links come round again must not loop forever
        backend = self._project.backend
        while True:
            page = backend.list_flows(start=start, name=name)
            for asset in page.flows:
                flow_id = str(_parts(asset)[0].get("asset_id"))
                if flow_id not in seen:
                    seen.add(flow_id)
                    yield asset
            if not page.flows or page.next_start is None or page.next_start in cursors:
                return
            cursors.add(page.next_start)
            start = page.next_start

    def _load_all(self, assets: Iterable[Mapping[str, Any]]) -> Iterator[StreamsetsFlow]:
        for asset in assets:
            flow_id = str(_parts(asset)[0].get("asset_id"))
            try:
                yield self._project._load(flow_id)
            except NotFoundError:
                continue  # deleted since it was listed

    def __iter__(self) -> Iterator[StreamsetsFlow]:
        return self._load_all(self._assets())

    def __len__(self) -> int:
        return self._project.backend.list_flows(limit=1).total_count

    def __repr__(self) -> str:
        # Not list(self): that asks __len__ for a size hint, one more listing call for nothing.
        return repr(list(iter(self)))

    def get_all(self, **filters: str) -> list[StreamsetsFlow]:
        """Every flow whose attributes equal all the filters (``name``, ``flow_id``, ``description``,
        ``engine_type``, ``engine_version``, ``environment_id``)."""
        _check_filters(filters, _FLOW_FILTERS, "flows")
        if "flow_id" in filters:
            try:
                flow = self._project._load(filters["flow_id"])
            except NotFoundError:
                return []
            return [flow] if self._matches_flow(flow, filters) else []
        name = filters.get("name")

        def wanted(asset: Mapping[str, Any]) -> bool:
            metadata, entity = _parts(asset)
            return all(_FLOW_FILTERS[k](metadata, entity) == v for k, v in filters.items())

        return list(self._load_all(a for a in self._assets(name) if wanted(a)))

    @staticmethod
    def _matches_flow(flow: StreamsetsFlow, filters: Mapping[str, str]) -> bool:
        return all(getattr(flow, key) == value for key, value in filters.items())

    def get(self, **filters: str) -> StreamsetsFlow:
        """The first flow matching every filter; ``get(flow_id=...)`` is one request.

        >>> Project.memory().flows.get(name="missing")
        Traceback (most recent call last):
        ...
        flowbuilder.errors.NotFoundError: no flow with name='missing'. List the flows with project.flows.
        """
        if not filters:
            raise FlowbuilderError("flows.get() needs a filter", hint="Pass flow_id=... or name=...")
        _check_filters(filters, _FLOW_FILTERS, "flows")
        if set(filters) == {"flow_id"}:
            return self._project._load(filters["flow_id"])
        found = self.get_all(**filters)
        if not found:
            wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items())
            raise NotFoundError(f"no flow with {wanted}", hint="List the flows with project.flows.")
        return found[0]


class Fragments:
    """A project's fragments: its stored flows whose definition is a fragment (has a
    ``fragmentId``), read as :class:`~flowbuilder.fragment.Fragment` objects.

    Store one with ``project.create_flow(name=fragment.name, flow=fragment)`` (or ``apply``).

    >>> project = Project.memory()
    >>> mask = Fragment("mask")
    >>> _ = mask.input("Trash")
    >>> _ = project.create_flow(name="mask", flow=mask)
    >>> found = project.fragments.get(fragment_id=mask.fragment_id)
    >>> found, found.commit_id == mask.commit_id
    (Fragment(name='mask', stages=1), True)
    """

    def __init__(self, project: Project) -> None:
        self._project = project

    def _read(self, name: str | None = None) -> Iterator[Fragment]:
        backend = self._project.backend
        for asset in self._project.flows._assets(name):
            try:
                document = backend.get_flow(str(_parts(asset)[0].get("asset_id")))
            except NotFoundError:
                continue  # deleted since it was listed
            definition = document.get("pipeline_definition")
            if isinstance(definition, Mapping) and "fragmentId" in definition:
                _, entity = _parts(as_mapping(document.get("flow")))
                engine = str(entity.get("engine_type") or "data_collector")
                engine = engine if engine in ENGINES else "data_collector"
                catalog = self._project._catalog_for(engine, str(entity.get("engine_version") or ""))
                yield Fragment.from_json(document, catalog=catalog)

    def __iter__(self) -> Iterator[Fragment]:
        return self._read()

    def __repr__(self) -> str:
        return repr(list(self))

    def get(
        self, *, fragment_id: str | None = None, name: str | None = None, commit_id: str | None = None
    ) -> Fragment:
        """The stored fragment with that id and/or name; with ``commit_id``, only at that version.

        A fragment the project does not hold, or holds at another version only, raises
        FragmentError naming the versions it has and how to store the one wanted.
        """
        if fragment_id is None and name is None:
            raise FlowbuilderError("fragments.get() needs a filter", hint="Pass fragment_id=... or name=...")
        found = [f for f in self._read(name) if fragment_id in (None, f.fragment_id)]
        if not found and name is not None and fragment_id is not None:
            found = [f for f in self._read() if f.fragment_id == fragment_id]  # stored under another name
        label = name or fragment_id
        if not found:
            raise FragmentError(
                f"is not in the project (id {fragment_id})" if fragment_id else "is not in the project",
                fragment=label,
                hint="Store it with project.create_flow(name=fragment.name, flow=fragment), or apply "
                "the folder that defines it.",
            )
        if commit_id is None:
            return found[0]
        for fragment in found:
            if fragment.commit_id == commit_id:
                return fragment
        held = ", ".join(sorted({f.commit_id for f in found}))
        raise FragmentError(
            f"version {commit_id} is missing: the project holds version {held}",
            fragment=label,
            hint="Store that version of the fragment (project.update_flow / apply), or add the "
            "stored fragment to the flow again so that it uses the version the project has.",
        )

    def check(self, flow: Flow) -> None:
        """Raise FragmentError (naming the flow and the fragment) unless the project holds every
        fragment ``flow`` uses, at the version it uses."""
        for ref in fragment_refs(flow.to_dict()):
            try:
                self.get(fragment_id=ref.fragment_id, name=ref.name, commit_id=ref.commit_id)
            except FragmentError as error:
                error.flow = flow.name
                error.args = (error._render(),)
                raise


# -- the project -----------------------------------------------------------------------------------


class Project:
    """A project's flows and environments, through one backend.

    ``Project.local(path)`` (SQLite under ``./.flowbuilder`` by default), ``Project.connect(url,
    project_id=..., api_key=... | token=...)`` (watsonx.data integration or ``flowbuilder serve``),
    ``Project.memory()`` (tests).

    >>> project = Project.memory()
    >>> flow = project.create_flow(name="orders", description="first")
    >>> copy = project.duplicate_flow(flow, name="orders copy")
    >>> copy.name, copy.description, copy.flow_id != flow.flow_id
    ('orders copy', 'first', True)
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._catalogs: dict[tuple[str, str], Catalog] = {}

    @classmethod
    def local(cls, path: str | os.PathLike[str] = ".flowbuilder") -> Self:
        """The project in the local store at ``path`` (created when missing).

        >>> import tempfile
        >>> with Project.local(tempfile.mkdtemp()) as project:
        ...     len(project.flows)
        0
        """
        return cls(LocalBackend(Path(path)))

    @classmethod
    def memory(cls) -> Self:
        """A project held in memory (for tests).

        >>> Project.memory().environments.get(name="local").name
        'local'
        """
        return cls(MemoryBackend())

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        project_id: str,
        api_key: str | None = None,
        token: str | None = None,
        iam_url: str = IAM_URL,
        timeout: float | tuple[float, float] = TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
    ) -> Self:
        """A project on watsonx.data integration (or ``flowbuilder serve``) over its REST API.

        ``api_key`` is an IBM Cloud API key (exchanged at ``iam_url`` for a token that is cached
        and refreshed); ``token`` is a bearer token. Nothing is sent until the first call.

        >>> Project.connect("https://api.dataplatform.cloud.ibm.com", project_id="p1", api_key="k3y")
        Project(project_id='p1',
                backend=HttpBackend(url='https://api.dataplatform.cloud.ibm.com', project_id='p1',
                                    auth='api_key'))
        """
        from .backends.http import HttpBackend

        return cls(
            HttpBackend(
                url,
                project_id=project_id,
                api_key=api_key,
                token=token,
                iam_url=iam_url,
                timeout=timeout,
                retry=retry,
                transport=transport,
            )
        )

    @property
    def project_id(self) -> str:
        """The project's id."""
        return self.backend.project_id

    def __repr__(self) -> str:
        return f"Project(project_id={self.project_id!r}, backend={self.backend!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the backend's connections."""
        self.backend.close()

    @property
    def flows(self) -> Flows:
        """The project's flows (see :class:`Flows`)."""
        return Flows(self)

    @property
    def fragments(self) -> Fragments:
        """The project's fragments (stored flows that are fragments)."""
        return Fragments(self)

    @property
    def environments(self) -> Environments:
        """The project's environments (see :class:`Environments`)."""
        return Environments(self)

    # -- internals shared with the collections ----------------------------------------------------

    def _catalog_for(self, engine: str, engine_version: str) -> Catalog:
        bundled = Catalog.default()
        if not engine_version or engine_version == bundled.engine_version(engine):
            return bundled
        key = (engine, engine_version)
        if key not in self._catalogs:
            document = self.backend.definitions(engine, engine_version)
            if document is None:
                _log.info("no stage definitions for %s %s; using the bundled catalog", engine, engine_version)
                self._catalogs[key] = bundled
            else:
                self._catalogs[key] = Catalog.from_definitions(document, parent=bundled)
        return self._catalogs[key]

    def _load(self, flow_id: str) -> StreamsetsFlow:
        return StreamsetsFlow._from_document(self.backend.get_flow(flow_id), self)

    def _own(self, flow: object, action: str) -> StreamsetsFlow:
        if not isinstance(flow, StreamsetsFlow) or not flow.flow_id:
            name = getattr(flow, "name", None)
            raise BackendError(
                f"{action} needs a flow stored in a project (a StreamsetsFlow); got {type(flow).__name__}",
                flow=name if isinstance(name, str) else None,
                hint="Store it first with project.create_flow(name, environment, flow=flow).",
            )
        owner = flow.metadata.get("project_id") or (flow.project.project_id if flow.project else None)
        if owner and owner != self.project_id:
            raise BackendError(
                f"belongs to project {owner!r}, not {self.project_id!r}",
                flow=flow.name,
                hint="Use that project, or export the flow there and import it here.",
            )
        return flow

    # -- the Flows API ----------------------------------------------------------------------------

    def create_flow(
        self,
        name: str,
        environment: Environment | None = None,
        description: str = "",
        flow: Flow | None = None,
    ) -> StreamsetsFlow:
        """Store a new flow; with ``flow``, its stages and settings too. Returns the StreamsetsFlow.

        Without ``environment`` the flow has none (``environment_id=''``) and the bundled
        catalog's engine version.

        >>> from flowbuilder import Flow
        >>> authored = Flow("orders").source("Dev Raw Data Source").to("Trash").flow
        >>> stored = Project.memory().create_flow(name="orders", flow=authored)
        >>> [stage.instance_name for stage in stored.stages]
        ['DevRawDataSource_01', 'Trash_01']
        """
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("flow name cannot be empty", hint="Pass name='...'.")
        if environment is not None and not isinstance(environment, Environment):
            raise ConfigError(
                f"environment must be an Environment; got {type(environment).__name__}",
                hint="Pass project.environments.get(name=...).",
            )
        engine_type = environment.engine_type if environment else "data_collector"
        engine = engine_type if engine_type in ENGINES else "data_collector"
        fields: dict[str, Any] = {
            "name": name,
            "description": description or (flow.description if flow is not None and flow.description else ""),
            "environment_id": environment.environment_id if environment else "",
            "engine_type": engine_type,
            "engine_version": environment.engine_version
            if environment
            else Catalog.default().engine_version(engine),
        }
        if flow is not None:
            fields["pipeline_definition"] = definition = flow.to_dict()
            fields["fragment_ids"] = fragment_ids(definition)
        created = StreamsetsFlow._from_document(self.backend.create_flow(fields), self)
        _log.info("created flow %r (%s)", created.name, created.flow_id)
        return created

    def update_flow(self, flow: StreamsetsFlow) -> requests.Response:
        """Store a flow's changes (name, description, configuration, stages); ``<Response [200]>``.

        A flow changed by someone else since it was read raises ConflictError (where the backend
        keeps revisions); the flow object is left as it was, changes included.
        """
        stored = self._own(flow, "update_flow")
        definition = stored.to_dict()
        fields = {
            "name": stored.name,
            "connection_ids": list(stored.connection_ids),
            "description": stored.description or "",
            "environment_id": stored.environment_id,
            "engine_version": stored.engine_version,
            "fragment_ids": fragment_ids(definition),  # the fragments its stages use, now
            "pipeline_definition": definition,
        }
        document = self.backend.update_flow(stored.flow_id, fields, revision=stored.revision)
        asset = document.get("flow")
        if isinstance(asset, Mapping):
            stored._bind(asset, self)
        else:
            stored._revision = None
        _log.info("updated flow %r (%s)", stored.name, stored.flow_id)
        return _response(200, document)

    def duplicate_flow(
        self, flow: StreamsetsFlow, name: str, description: str | None = None
    ) -> StreamsetsFlow:
        """A copy of the stored flow under ``name`` (and the original's description unless given).

        The copy is made from what is stored: update the flow first to include unsaved changes.
        """
        stored = self._own(flow, "duplicate_flow")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("flow name cannot be empty", flow=stored.name, hint="Pass name='...'.")
        text = stored.description if description is None else description
        document = self.backend.duplicate_flow(stored.flow_id, name, text or "")
        copy_ = StreamsetsFlow._from_document(document, self)
        _log.info(
            "duplicated flow %r (%s) as %r (%s)", stored.name, stored.flow_id, copy_.name, copy_.flow_id
        )
        return copy_

    def delete_flow(self, flow: StreamsetsFlow) -> requests.Response:
        """Delete a stored flow; ``<Response [204]>``."""
        stored = self._own(flow, "delete_flow")
        identifiers = self.backend.delete_flow(stored.flow_id)
        _log.info("deleted flow %r (%s)", stored.name, stored.flow_id)
        return _response(204, headers=identifiers)

    def export_flows(
        self,
        flows: Iterable[StreamsetsFlow],
        with_plain_text_credentials: bool = False,
        destination: str | os.PathLike[str] = "flows.zip",
    ) -> Path:
        """Write the stored flows to a zip at ``destination`` (credentials blanked unless asked for).

        >>> import tempfile, pathlib
        >>> project = Project.memory()
        >>> flow = project.create_flow(name="orders")
        >>> path = project.export_flows([flow], destination=pathlib.Path(tempfile.mkdtemp()) / "flows.zip")
        >>> [f.name for f in Project.memory().import_flows(path)]
        ['orders']
        """
        ids = [self._own(flow, "export_flows").flow_id for flow in flows]
        if not ids:
            raise ConfigError(
                "export_flows needs at least one flow", hint="Pass list(project.flows) for all."
            )
        data = self.backend.export_flows(ids, with_plain_text_credentials=with_plain_text_credentials)
        target = Path(destination)
        partial = target.with_name(target.name + ".part")
        try:
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError as error:
            raise BackendError(
                f"cannot write the export: {error.strerror}",
                location=str(target),
                hint="Pick a writable destination=.",
            ) from None
        return target

    def import_flows(
        self, source: str | os.PathLike[str] | bytes, *, conflict_resolution: str = "rename"
    ) -> list[StreamsetsFlow]:
        """Import the flows of an export zip; returns them as stored.

        ``conflict_resolution`` says what happens to a flow whose name is taken: ``rename`` (store
        it as ``name (1)``), ``skip`` (leave it out) or ``replace`` (overwrite the existing flow).
        """
        if isinstance(source, bytes):
            data = source
        else:
            try:
                data = Path(source).read_bytes()
            except OSError as error:
                raise BackendError(
                    f"cannot read the archive: {error.strerror}", location=str(source)
                ) from None
        imported = self.backend.import_flows(data, conflict_resolution=conflict_resolution)
        flows = []
        for asset in imported:
            if asset.get("id"):
                flows.append(self._load(str(asset["id"])))
            else:
                flows.append(self.flows.get(name=str(asset.get("name"))))
        return flows


_REASONS = {200: "OK", 204: "No Content"}


def _response(
    status: int, body: object = None, headers: Mapping[str, str] | None = None
) -> requests.Response:
    """The HTTP response the Flows API returns for an update (200) or a delete (204), whatever
    the backend: ``<Response [200]>``, its JSON the flow document, with the service's request-id
    ``headers`` where it gave some.

    >>> _response(204)
    <Response [204]>
    """
    import requests  # the response type the seed's API returns; loaded when first needed

    built = requests.models.Response()
    built.status_code = status
    built.reason = _REASONS.get(status, "")
    built._content = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        built.headers["Content-Type"] = "application/json"
    built.headers.update(headers or {})
    built.encoding = "utf-8"
    return built
