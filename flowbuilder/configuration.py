"""Configuration: the dict-like view of a stage's or a flow's config values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ._document import SECRET_MASK, replace_secrets
from ._names import did_you_mean, python_name
from .catalog import ConfigDefinition, ConfigRef, StageDefinition
from .errors import ConfigError, UnknownConfigError

__all__ = ["SECRET_MASK", "Configuration", "check_value"]  # SECRET_MASK: flowbuilder._document's

Where = Callable[[], tuple[str | None, str | None]]
OnChange = Callable[[ConfigRef, Any], None]


class Configuration(Mapping[str, Any]):
    """A dict-like view of config values, keyed by Python name.

    Raw config names and the names both peer SDKs derive are accepted as aliases. Writes are
    checked against the definition (type, allowed values, min/max); an unknown key raises with
    the closest names suggested. Secrets (CREDENTIAL configs) are masked in the repr.

    >>> from flowbuilder import Flow
    >>> flow = Flow("orders")
    >>> flow.configuration["retry_pipeline_on_error"]
    True
    >>> flow.configuration["shouldRetry"] = False
    >>> flow.configuration["retry_pipeline_on_error"]
    False
    >>> try:
    ...     flow.configuration["error_record_policy"] = "BOGUS"
    ... except ConfigError as error:
    ...     print(error)
    Flow 'orders': config 'error_record_policy' must be one of ORIGINAL_RECORD, STAGE_RECORD; got 'BOGUS'.
    """

    __slots__ = ("_configs", "_definition", "_on_change", "_services", "_where")

    def __init__(
        self,
        definition: StageDefinition | None,
        configs: list[dict[str, Any]],
        services: list[dict[str, Any]] | None = None,
        *,
        where: Where | None = None,
        on_change: OnChange | None = None,
    ) -> None:
        self._definition = definition
        self._configs = configs
        self._services = services if services is not None else []
        self._where = where or (lambda: (None, None))
        self._on_change = on_change

    # -- lookups ---------------------------------------------------------------------------------

    def _ref(self, key: str) -> ConfigRef | None:
        return self._definition.resolve(key) if self._definition is not None else None

    def _entries(self, service: str | None) -> list[dict[str, Any]] | None:
        if service is None:
            return self._configs
        for block in self._services:
            if block.get("service") == service:
                entries: list[dict[str, Any]] = block.setdefault("configuration", [])
                return entries
        return None

    @staticmethod
    def _find(entries: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
        if entries is None:
            return None
        for entry in entries:
            if entry.get("name") == name:
                return entry
        return None

    def _unknown(self, key: str) -> UnknownConfigError:
        flow, stage = self._where()
        choices = list(self._python_names())
        hint = did_you_mean(key, choices)
        if hint is None and self._definition is not None:
            hint = did_you_mean(key, [ref.name for ref in self._definition.config_refs])
        if hint is None:
            shown = ", ".join(choices[:8]) + (", ..." if len(choices) > 8 else "")
            hint = f"Known configs: {shown}." if choices else "This stage has no configs."
        return UnknownConfigError(
            "is not a config of this stage", flow=flow, stage=stage, config=key, hint=hint
        )

    def _python_names(self) -> Iterator[str]:
        if self._definition is not None:
            yield from (ref.python_name for ref in self._definition.config_refs)
        known = {ref.name for ref in self._definition.config_refs} if self._definition else set()
        for entry in self._all_entries():
            if entry["name"] not in known:
                yield entry["name"]

    def _all_entries(self) -> Iterator[dict[str, Any]]:
        yield from self._configs
        for block in self._services:
            yield from block.get("configuration") or []

    # -- Mapping ---------------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        ref = self._ref(key)
        if ref is not None:
            entry = self._find(self._entries(ref.service), ref.name)
            if entry is not None:
                return entry.get("value")
            return ref.definition.initial_value()
        for entry in self._all_entries():
            if entry.get("name") == key:
                return entry.get("value")
        raise self._unknown(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self._ref(key) is not None:
            return True
        return any(entry.get("name") == key for entry in self._all_entries())

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._python_names()))

    def __len__(self) -> int:
        return sum(1 for _ in self._python_names())

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when the stage has no such config."""
        try:
            return self[key]
        except UnknownConfigError:
            return default

    # -- writes ----------------------------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        ref = self._ref(key)
        flow, stage = self._where()
        if ref is None:
            entry = next((e for e in self._all_entries() if e.get("name") == key), None)
            if entry is None:
                raise self._unknown(key)
            entry["value"] = value
            return
        checked = check_value(ref.definition, value, name=ref.python_name, flow=flow, stage=stage)
        if self._on_change is not None:
            self._on_change(ref, checked)
        self.set_raw(ref, checked)

    def set_raw(self, ref: ConfigRef, value: Any) -> None:
        """Store ``value`` for ``ref`` without checks (for values already checked or derived)."""
        entries = self._entries(ref.service)
        if entries is None:
            assert ref.service is not None
            assert self._definition is not None
            service = next(s for s in self._definition.services if s.provides == ref.service)
            entries = []
            self._services.append(
                {"service": service.provides, "serviceVersion": service.version, "configuration": entries}
            )
        entry = self._find(entries, ref.name)
        if entry is None:
            entries.append({"name": ref.name, "value": value})
        else:
            entry["value"] = value

    def update(self, other: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **values: Any) -> None:
        """Set several configs at once, like ``dict.update``; each write is checked."""
        pairs = list(other.items()) if isinstance(other, Mapping) else list(other)
        for key, value in [*pairs, *values.items()]:
            self[key] = value

    def python_name(self, key: str) -> str:
        """The Python name of a config given by any of its names."""
        ref = self._ref(key)
        if ref is None:
            if key in self:
                return key
            raise self._unknown(key)
        return ref.python_name

    def is_secret(self, key: str) -> bool:
        """True when ``key`` is a CREDENTIAL config, whose value must never be shown."""
        ref = self._ref(key)
        return ref is not None and ref.definition.is_secret

    def masked(self) -> dict[str, Any]:
        """A plain dict of the values with every secret replaced by ``SECRET_MASK`` (the rule is
        :mod:`flowbuilder._document`'s: CREDENTIAL configs, the CREDENTIAL fields of list-of-rows
        configs, and configs of unknown stages named like a password or token)."""
        shown = {}
        for key in self:
            ref = self._ref(key)
            config = ref.definition if ref is not None else None
            shown[key] = replace_secrets(config, key, self[key], lambda path, value: SECRET_MASK)
        return shown

    def __repr__(self) -> str:
        return f"Configuration({self.masked()!r})"


def _type_name(value: object) -> str:
    return type(value).__name__


def check_value(
    definition: ConfigDefinition,
    value: Any,
    *,
    name: str | None = None,
    flow: str | None = None,
    stage: str | None = None,
) -> Any:
    """Check ``value`` against a config definition; return it (possibly normalised) or raise.

    Expressions (``${...}``) are accepted for every type. Maps given as a dict become the
    engine's list of ``{key, value}``; list-bean rows may use Python names of their fields.
    """
    config = name or python_name(definition.label, definition.field_name or definition.name)

    def fail(message: str, hint: str | None = None, code: str = "CONFIG_TYPE") -> ConfigError:
        if definition.is_secret:
            message = message.replace(repr(value), "a secret value").replace(str(value), "***")
            hint = None
        error = ConfigError(message, flow=flow, stage=stage, config=config, hint=hint)
        error.code = code
        return error

    if value is None or ConfigDefinition.is_expression(value):
        return value
    kind = definition.type
    if kind == "BOOLEAN":
        if not isinstance(value, bool):
            raise fail(f"must be True or False; got {_type_name(value)} {value!r}")
        return value
    if kind == "NUMBER":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"must be a number; got {_type_name(value)} {value!r}")
        if definition.min is not None and value < definition.min:
            raise fail(f"must be at least {definition.min}; got {value!r}", code="CONFIG_MIN")
        if definition.max is not None and value > definition.max:
            raise fail(f"must be at most {definition.max}; got {value!r}", code="CONFIG_MAX")
        return value
    if kind in ("STRING", "TEXT", "CREDENTIAL"):
        if not isinstance(value, str):
            raise fail(f"must be a string; got {_type_name(value)} {value!r}", f"Pass {str(value)!r}.")
        return value
    if kind == "CHARACTER":
        if not isinstance(value, str) or len(value) != 1:
            raise fail(f"must be a single character; got {value!r}")
        return value
    if kind == "LIST":
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise fail(f"must be a list; got {_type_name(value)} {value!r}", f"Pass [{value!r}].")
        return value
    if kind == "MAP":
        if isinstance(value, Mapping):
            return [{"key": k, "value": v} for k, v in value.items()]
        if not isinstance(value, list) or not all(isinstance(e, Mapping) and "key" in e for e in value):
            raise fail(f"must be a dict or a list of {{'key': ..., 'value': ...}}; got {value!r}")
        return value
    if kind == "MODEL":
        return _check_model(definition, value, fail, (config, flow, stage))
    return value


Context = tuple[str, str | None, str | None]


def _check_model(
    definition: ConfigDefinition, value: Any, fail: Callable[..., ConfigError], context: Context
) -> Any:
    model = definition.model_type
    if model == "VALUE_CHOOSER":
        return _choose(definition, value, fail)
    if model == "MULTI_VALUE_CHOOSER":
        if not isinstance(value, (list, tuple)):
            raise fail(f"must be a list of values; got {value!r}", f"Pass [{value!r}].")
        return [_choose(definition, item, fail) for item in value]
    if model == "FIELD_SELECTOR":
        if not isinstance(value, str):
            raise fail(f"must be a field path such as '/a'; got {value!r}")
        return value
    if model == "FIELD_SELECTOR_MULTI_VALUE":
        if isinstance(value, str):
            raise fail(f"must be a list of field paths; got {value!r}", f"Pass [{value!r}].")
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise fail(f"must be a list of field paths such as ['/a', '/b']; got {value!r}")
        return list(value)
    if model == "PREDICATE":
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise fail(f"must be a list of {{'outputLane': ..., 'predicate': ...}}; got {value!r}")
        return value
    if model == "LIST_BEAN":
        return _check_rows(definition, value, fail, context)
    return value


def _choose(definition: ConfigDefinition, value: Any, fail: Callable[..., ConfigError]) -> Any:
    choices = definition.choices
    if not isinstance(value, str):
        raise fail(f"must be a string value; got {_type_name(value)} {value!r}")
    if choices is None or value in choices or value == definition.default:
        return value
    labels = definition.value_labels or ()
    for choice, label in zip(choices, labels, strict=False):
        if label.lower() == value.lower():
            return choice
    hint = did_you_mean(value, choices)
    raise fail(f"must be one of {', '.join(choices)}; got {value!r}", hint, "CONFIG_VALUE")


def _check_rows(
    definition: ConfigDefinition, value: Any, fail: Callable[..., ConfigError], context: Context
) -> Any:
    config, flow, stage = context
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(row, Mapping) for row in value):
        raise fail(f"must be a list of dicts (one per row); got {value!r}")
    if not definition.sub_configs:
        return [dict(row) for row in value]
    by_key = definition.row_fields
    rows = []
    for number, row in enumerate(value):
        converted = {}
        for key, item in row.items():
            sub = by_key.get(key)
            if sub is None:
                raise fail(
                    f"has no field {key!r} in its rows",
                    code="CONFIG_UNKNOWN",
                    hint=did_you_mean(key, by_key)
                    or "Fields: " + ", ".join(s.name for s in definition.sub_configs) + ".",
                )
            converted[sub.name] = check_value(
                sub, item, name=f"{config}[{number}].{key}", flow=flow, stage=stage
            )
        rows.append(converted)
    return rows
