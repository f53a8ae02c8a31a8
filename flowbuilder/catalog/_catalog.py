"""The stage catalog: stage, service and pipeline-config definitions, looked up offline."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .._names import did_you_mean
from ..errors import FlowFormatError, StageNotFoundError
from ._compact import compact_definitions, engine_of_library
from ._definitions import STAGE_TYPES, ConfigDefinition, ServiceDefinition, StageDefinition, version_key

__all__ = ["ENGINES", "Catalog"]

#: Engines the catalog knows, as ``Flow(engine=...)`` spells them.
ENGINES = ("data_collector", "transformer", "snowflake")

_TYPE_WORDS = {word: engine_type for engine_type, word in STAGE_TYPES.items()}
_TYPE_WORDS.update({engine_type.lower(): engine_type for engine_type in STAGE_TYPES})
_TYPE_WORDS.update({"source": "SOURCE", "target": "TARGET"})

_DEFAULT_LOCK = threading.Lock()
_DEFAULT: Catalog | None = None


def _stage_type(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().lower()
    if key not in _TYPE_WORDS:
        raise StageNotFoundError(
            f"unknown stage type {value!r}; expected one of origin, processor, destination, executor"
        )
    return _TYPE_WORDS[key]


class Catalog:
    """Stage and pipeline-config definitions, keyed by engine, stage name and version.

    ``Catalog.default()`` is the catalog bundled with flowbuilder; ``Catalog.load(path)`` reads
    an engine's definitions JSON so custom or newer stages work.

    >>> catalog = Catalog.default()
    >>> catalog.get(label="Trash").name
    'com_streamsets_pipeline_stage_destination_devnull_NullDTarget'
    >>> [d.label for d in catalog.search("raw data")][:1]
    ['Dev Raw Data Source']
    """

    def __init__(
        self,
        stages: Iterable[Mapping[str, Any] | Sequence[str]],
        services: Iterable[Mapping[str, Any]] = (),
        pipeline: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        *,
        stage_aliases: Mapping[str, str] | None = None,
        library_aliases: Mapping[str, str] | None = None,
        engine_versions: Mapping[str, str] | None = None,
        parent: Catalog | None = None,
        libraries: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        # The bundled definitions are kept as JSON text until first used: parsed, they are
        # ~100,000 objects the garbage collector would walk on every full collection of a large
        # flow's lifetime. Definitions given as mappings (an export's embedded ones) are kept as
        # given: their strings are the document's own, which the flow keeps anyway. Each entry:
        # (label, engine, JSON text or mapping), so lookups by label need not parse anything.
        self._raw: dict[tuple[str, str], tuple[str, str, str | Mapping[str, Any]]] = {}
        self._extra_libraries = {name: list(found) for name, found in (libraries or {}).items()}
        for stage in stages:
            if isinstance(stage, Mapping):
                key = (stage["name"], str(stage["version"]))
                if key in self._raw:  # the same stage listed again for another stage library
                    self._extra_libraries.setdefault(key[0], []).append(str(stage.get("library") or ""))
                    continue
                packed: tuple[str, str, str | Mapping[str, Any]] = (
                    str(stage.get("label") or stage["name"]),
                    str(stage.get("engine") or engine_of_library(str(stage.get("library") or ""))),
                    stage,
                )
            else:
                name, version, label, engine, text = stage
                key, packed = (name, str(version)), (label, engine, text)
            self._raw.setdefault(key, packed)
        self._raw_services: dict[tuple[str, str], Mapping[str, Any]] = {}
        for service in services:
            self._raw_services.setdefault((service["provides"], str(service["version"])), service)
        self._raw_pipeline = dict(pipeline or {})
        self._stage_aliases = dict(stage_aliases or {})
        self._library_aliases = dict(library_aliases or {})
        self._engine_versions = dict(engine_versions or {})
        self._parent = parent
        self._built: dict[tuple[str, str], StageDefinition] = {}
        self._newest_cache: dict[str | None, dict[str, StageDefinition]] = {}
        self._label_cache: dict[str | None, dict[str, list[str]]] = {}
        self._get_cache: dict[tuple[Any, ...], StageDefinition] = {}
        self._lock = threading.RLock()

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def default(cls) -> Catalog:
        """The catalog bundled with flowbuilder (loaded once, on first use)."""
        global _DEFAULT
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = cls._from_package_data()
            return _DEFAULT

    @classmethod
    def _from_package_data(cls) -> Catalog:
        data = _package_data()
        engine = data["sources"]["engine"]
        extraction = data["sources"]["extraction"]
        pipeline = dict(extraction.get("pipeline") or {})
        pipeline.update(engine.get("pipeline") or {})
        return cls(
            list(engine["stages"]) + list(extraction["stages"]),
            list(engine["services"]) + list(extraction["services"]),
            pipeline,
            stage_aliases=data.get("aliases", {}).get("stages"),
            library_aliases=data.get("aliases", {}).get("libraries"),
            engine_versions=data.get("engineVersions"),
            libraries=data.get("libraries"),
        )

    @classmethod
    def from_definitions(cls, document: Mapping[str, Any], *, parent: Catalog | None = None) -> Catalog:
        """A catalog from an engine's definitions document (``/rest/v1/definitions`` shape).

        Both the flat ``stages`` form and the compact ``stageDefinitionMap`` form are read. With
        ``parent``, lookups that miss fall back to it (how imported ``libraryDefinitions``
        extend the bundled catalog).
        """
        if not isinstance(document, Mapping):
            raise FlowFormatError(
                "definitions must be a JSON object", hint="pass the /rest/v1/definitions body"
            )
        compact = compact_definitions(document)
        return cls(compact["stages"], compact["services"], compact["pipeline"], parent=parent)

    @classmethod
    def load(cls, path: str | Path, *, parent: Catalog | None = None) -> Catalog:
        """Read an engine's definitions JSON file.

        >>> import json, tempfile, pathlib
        >>> doc = {"stages": [{"name": "com_example_MyDTarget", "version": "2", "label": "My Target",
        ...                    "library": "example-lib", "type": "TARGET", "configDefinitions": []}]}
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "definitions.json"
        >>> _ = path.write_text(json.dumps(doc))
        >>> Catalog.load(path, parent=Catalog.default()).get(label="My Target").library
        'example-lib'
        """
        location = str(path)
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise FlowFormatError(f"cannot read definitions: {error.strerror}", location=location) from None
        except json.JSONDecodeError as error:
            raise FlowFormatError(
                f"not valid JSON: {error.msg}", location=f"{location}:{error.lineno}"
            ) from None
        return cls.from_definitions(document, parent=parent)

    def extend(self, document: Mapping[str, Any]) -> Catalog:
        """This catalog overlaid with the definitions in ``document`` (which win on conflicts)."""
        return Catalog.from_definitions(document, parent=self)

    # -- lookups ---------------------------------------------------------------------------------

    def engine_version(self, engine: str = "data_collector") -> str:
        """The engine version this catalog describes (for the local environment).

        >>> Catalog.default().engine_version()
        '5.8.1'
        """
        if engine in self._engine_versions:
            return self._engine_versions[engine]
        return self._parent.engine_version(engine) if self._parent else "unknown"

    @cached_property
    def _names(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for name, version in self._raw:
            names.setdefault(name, []).append(version)
        return {name: sorted(versions, key=version_key) for name, versions in names.items()}

    def versions(self, name: str) -> list[str]:
        """The versions of stage ``name`` this catalog (and its parents) holds, oldest first.

        >>> Catalog.default().versions("com_streamsets_pipeline_stage_destination_devnull_NullDTarget")
        ['1']
        """
        own = self._names.get(name, [])
        if self._parent is None:
            return own
        return sorted(set(own) | set(self._parent.versions(name)), key=version_key)

    def definition(self, name: str, version: str | None = None) -> StageDefinition | None:
        """The definition of stage ``name`` at ``version`` (newest when None); None if unknown."""
        if version is None:
            versions = self.versions(name)
            if not versions:
                return None
            version = versions[-1]
        key = (name, str(version))
        if key not in self._raw:
            return self._parent.definition(name, version) if self._parent else None
        built = self._built.get(key)
        if built is None:
            with self._lock:
                kept = self._raw[key][2]
                raw = json.loads(kept) if isinstance(kept, str) else dict(kept)
                extra = self._extra_libraries.get(name, ())
                raw["libraries"] = list(
                    dict.fromkeys([raw.get("library") or "", *raw.get("libraries", []), *extra])
                )
                built = self._build(raw)
                self._built[key] = built
        return built

    def resolve(
        self, name: str, version: str | None = None, library: str | None = None
    ) -> tuple[StageDefinition | None, bool]:
        """Find the definition for a stage instance: ``(definition, exact)``.

        Tries the exact name and version, then the engine's stage aliases, then the nearest
        version of the same stage (the engine upgrades older versions in place). ``exact`` is
        False when the version found differs from the one asked for.
        """
        names = [name]
        if library:
            alias = self._alias(f"{library},{name}")
            if alias:
                names.append(alias.split(",", 1)[1])
        for candidate in names:
            exact = self.definition(candidate, version) if version is not None else None
            if exact is not None:
                return exact, candidate == name
        for candidate in names:
            versions = self.versions(candidate)
            if versions:
                wanted = version_key(version or versions[-1])
                older = [v for v in versions if version_key(v) <= wanted]
                chosen = older[-1] if older else versions[0]
                return self.definition(candidate, chosen), False
        return None, False

    def _alias(self, key: str) -> str | None:
        if key in self._stage_aliases:
            return self._stage_aliases[key]
        return self._parent._alias(key) if self._parent else None

    def service(self, provides: str, version: str | None = None) -> ServiceDefinition | None:
        """The service definition for an interface (newest version when ``version`` is None)."""
        own = [v for (p, v) in self._raw_services if p == provides]
        if version is not None and (provides, str(version)) in self._raw_services:
            return ServiceDefinition.from_compact(self._raw_services[(provides, str(version))])
        if version is None and own:
            newest = max(own, key=version_key)
            return ServiceDefinition.from_compact(self._raw_services[(provides, newest)])
        return self._parent.service(provides, version) if self._parent else None

    def pipeline_definition(self, engine: str = "data_collector") -> StageDefinition:
        """The flow-level configs of ``engine`` as a definition (so they get Python names too).

        >>> Catalog.default().pipeline_definition().config("retry_pipeline_on_error").name
        'shouldRetry'
        """
        if engine not in self._raw_pipeline:
            if self._parent is not None:
                return self._parent.pipeline_definition(engine)
            if not self._raw_pipeline:
                raise StageNotFoundError(f"no pipeline definitions for engine {engine!r}")
        configs = self._raw_pipeline.get(engine) or next(iter(self._raw_pipeline.values()))
        key = ("__pipeline__", engine)
        with self._lock:
            built = self._built.get(key)
            if built is None:
                built = StageDefinition(
                    name="pipeline",
                    version="1",
                    label="Pipeline",
                    library="",
                    stage_type="PIPELINE",
                    engine=engine,
                    configs=tuple(ConfigDefinition.from_compact(c) for c in configs),
                )
                self._built[key] = built
        return built

    def _build(self, raw: Mapping[str, Any]) -> StageDefinition:
        services = []
        dependencies = []
        for dependency in raw.get("services") or []:
            dependencies.append((dependency["service"], dict(dependency.get("configuration") or {})))
            service = self.service(dependency["service"])
            if service is not None:
                services.append(service)
        return StageDefinition(
            name=raw["name"],
            version=str(raw["version"]),
            label=raw.get("label") or raw["name"],
            library=raw.get("library") or "",
            stage_type=raw.get("type") or "PROCESSOR",
            engine=raw.get("engine") or "data_collector",
            libraries=tuple(raw.get("libraries") or (raw.get("library") or "",)),
            library_label=raw.get("libraryLabel") or "",
            error_stage=bool(raw.get("errorStage")),
            stats_aggregator_stage=bool(raw.get("statsAggregatorStage")),
            pipeline_lifecycle_stage=bool(raw.get("pipelineLifecycleStage")),
            producing_events=bool(raw.get("producingEvents")),
            output_streams=int(raw.get("outputStreams") or 0),
            variable_output_streams=bool(raw.get("variableOutputStreams")),
            output_streams_driven_by_config=raw.get("outputStreamsDrivenByConfig") or None,
            output_stream_labels=tuple(raw.get("outputStreamLabels") or ()),
            service_dependencies=tuple(dependencies),
            services=tuple(services),
            configs=tuple(ConfigDefinition.from_compact(c) for c in raw.get("configs") or ()),
            icon=raw.get("icon") or "",
            hide_stage=tuple(raw.get("hideStage") or ()),
            execution_modes=tuple(raw.get("executionModes") or ()),
            source=raw.get("source") or "",
        )

    def _newest(self, engine: str | None) -> dict[str, StageDefinition]:
        """Newest definition per stage name (optionally of one engine)."""
        cached = self._newest_cache.get(engine)
        if cached is None:
            cached = dict(self._parent._newest(engine)) if self._parent is not None else {}
            for name in self._names:
                definition = self.definition(name)
                if definition is not None and (engine is None or definition.engine == engine):
                    cached[name] = definition
            self._newest_cache[engine] = cached
        return cached

    def _labels(self, engine: str | None) -> dict[str, list[str]]:
        """Lower-cased label (of any version) -> names of the stages (of ``engine``) with it.

        Read from the packed entries, so finding one stage by label parses only that stage.
        """
        cached = self._label_cache.get(engine)
        if cached is None:
            cached = {}
            catalogs: list[Catalog] = []
            current: Catalog | None = self
            while current is not None:
                catalogs.append(current)
                current = current._parent
            for catalog in reversed(catalogs):
                for (name, _version), (raw_label, raw_engine, _text) in catalog._raw.items():
                    if engine is None or raw_engine == engine:
                        bucket = cached.setdefault(raw_label.lower(), [])
                        if name not in bucket:
                            bucket.append(name)
            self._label_cache[engine] = cached
        return cached

    def stages(
        self, type: str | None = None, *, engine: str | None = "data_collector", special: bool = False
    ) -> list[StageDefinition]:
        """The newest version of every stage, optionally of one type, sorted by label.

        Error stages, stats aggregators and other stages hidden from the canvas are left out
        unless ``special`` is True.

        >>> "Trash" in [d.label for d in Catalog.default().stages("destination")]
        True
        """
        wanted = _stage_type(type)
        found = [
            d
            for d in self._newest(engine).values()
            if (wanted is None or d.stage_type == wanted)
            and (special or not (d.error_stage or d.stats_aggregator_stage))
        ]
        return sorted(found, key=lambda d: (d.label.lower(), d.stage_type, d.name))

    def search(self, text: str, *, engine: str | None = "data_collector") -> list[StageDefinition]:
        """Stages whose label, name or library contains every word of ``text``, best first.

        >>> Catalog.default().search("trash")[0].label
        'Trash'
        """
        words = text.lower().split()
        scored = []
        for definition in self._newest(engine).values():
            haystack = f"{definition.label} {definition.name} {definition.library}".lower()
            if all(word in haystack for word in words):
                label = definition.label.lower()
                rank = 0 if label == text.lower() else 1 if label.startswith(text.lower()) else 2
                scored.append((rank, label, definition.name, definition))
        return [entry[-1] for entry in sorted(scored, key=lambda e: e[:3])]

    def get(
        self,
        label: str | None = None,
        name: str | None = None,
        library: str | None = None,
        type: str | None = None,
        *,
        version: str | None = None,
        engine: str | None = "data_collector",
        error_stage: bool = False,
        stats_aggregator: bool = False,
        lifecycle: bool = False,
        flow: str | None = None,
        types: Sequence[str] | None = None,
    ) -> StageDefinition:
        """One stage definition by label or name (newest version unless ``version`` is given).

        ``type`` (origin, processor, destination, executor) picks among stages that share a
        label; ``error_stage``, ``stats_aggregator`` and ``lifecycle`` pick the special stages.
        Raises :class:`StageNotFoundError` with the closest labels when nothing matches.

        >>> Catalog.default().get(label="Amazon S3", type="origin").type
        'origin'
        """
        if (label is None) == (name is None):
            raise StageNotFoundError(
                "give exactly one of label= or name=", flow=flow, hint="e.g. add_stage(label='Trash')"
            )
        cache_key = (
            label,
            name,
            library,
            type,
            version,
            engine,
            error_stage,
            stats_aggregator,
            lifecycle,
            tuple(types or ()),
        )
        cached = self._get_cache.get(cache_key)
        if cached is not None:
            return cached
        wanted_types = {_stage_type(type)} if type else {_stage_type(t) for t in types} if types else None
        candidates: list[StageDefinition] = []
        if name is not None:
            newest = self.definition(name)
            if newest is not None and (engine is None or newest.engine == engine):
                candidates = [newest]
            else:
                resolved, _ = self.resolve(name, version, library)
                if resolved is not None:
                    candidates = [resolved]
        else:
            assert label is not None
            for found in self._labels(engine).get(label.lower(), ()):
                definition = self.definition(found)
                if definition is not None and definition not in candidates:
                    candidates.append(definition)
        kind = _special_filter(error_stage, stats_aggregator, lifecycle)
        matching = [d for d in candidates if kind(d)]
        if wanted_types is not None:
            matching = [d for d in matching if d.stage_type in wanted_types]
        if library is not None:
            # A stage ships in several libraries (Kafka, Hadoop...); the instance names one. Keep
            # the definition when the library is simply not one the catalog lists.
            in_library = [d for d in matching if library in d.libraries or d.library == library]
            matching = in_library or (matching if name is not None else [])
        if not matching:
            raise self._not_found(label, name, library, wanted_types, engine, kind, candidates, flow)
        by_type: dict[str, list[StageDefinition]] = {}
        for definition in matching:
            by_type.setdefault(definition.stage_type, []).append(definition)
        if len(by_type) > 1:
            choices = ", ".join(STAGE_TYPES[t] for t in STAGE_TYPES if t in by_type)
            raise StageNotFoundError(
                f"label {label or name!r} names several kinds of stage: {choices}",
                flow=flow,
                hint=f"pass type=, one of {choices}",
            )
        chosen = sorted(matching, key=lambda d: d.name)[0]
        if version is not None and chosen.version != str(version):
            exact = self.definition(chosen.name, str(version))
            if exact is None:
                raise StageNotFoundError(
                    f"stage {chosen.label!r} has no version {version!r}",
                    flow=flow,
                    hint="known versions: " + ", ".join(self.versions(chosen.name)),
                )
            chosen = exact
        if library is not None and chosen.library != library:
            chosen = _with_library(chosen, library)
        self._get_cache[cache_key] = chosen
        return chosen

    def _not_found(
        self,
        label: str | None,
        name: str | None,
        library: str | None,
        wanted_types: set[str | None] | None,
        engine: str | None,
        kind: Any,
        candidates: list[StageDefinition],
        flow: str | None,
    ) -> StageNotFoundError:
        what = "stage"
        if wanted_types:
            what = " or ".join(STAGE_TYPES[t] for t in STAGE_TYPES if t in wanted_types)
            if len(wanted_types) == 3:
                what = "processor, destination or executor"
        if kind is _is_error_stage:
            what = "error stage"
        key = f"labelled {label!r}" if label is not None else f"named {name!r}"
        if library is not None:
            key += f" in library {library!r}"
        pool = [
            d
            for d in self._newest(engine).values()
            if kind(d) and (not wanted_types or d.stage_type in wanted_types)
        ]
        hint = did_you_mean(label or name or "", [d.label if label is not None else d.name for d in pool])
        if candidates and not hint:
            kinds = sorted({_describe(d) for d in candidates})
            hint = f"{label or name!r} is " + ", ".join(kinds)
        return StageNotFoundError(f"no {what} {key}", flow=flow, hint=hint)


def _describe(definition: StageDefinition) -> str:
    if definition.error_stage:
        return "an error stage: use set_error_stage()"
    if definition.stats_aggregator_stage:
        return "a stats aggregator: use set_stats_aggregator_stage()"
    return f"a {definition.type}"


def _is_error_stage(definition: StageDefinition) -> bool:
    return definition.error_stage


def _is_stats(definition: StageDefinition) -> bool:
    return definition.stats_aggregator_stage


def _is_lifecycle(definition: StageDefinition) -> bool:
    return definition.pipeline_lifecycle_stage


def _is_canvas(definition: StageDefinition) -> bool:
    return not (definition.error_stage or definition.stats_aggregator_stage)


def _special_filter(error_stage: bool, stats: bool, lifecycle: bool) -> Any:
    if error_stage:
        return _is_error_stage
    if stats:
        return _is_stats
    if lifecycle:
        return _is_lifecycle
    return _is_canvas


def _with_library(definition: StageDefinition, library: str) -> StageDefinition:
    return replace(definition, library=library)


def _package_data() -> dict[str, Any]:
    from importlib import resources  # loaded with the catalog, not with the package

    data_file = resources.files("flowbuilder.catalog").joinpath("data/catalog.json.gz")
    with data_file.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        loaded: dict[str, Any] = json.load(text)
    return loaded
