"""The one error hierarchy of flowbuilder.

Every error says what is wrong, where (flow, stage instance, config, file and line where known)
and how to fix it::

    FlowbuilderError
     ├── StageNotFoundError          unknown stage label / name / instance
     ├── ConfigError                 a config value of the wrong type or outside its allowed values
     │    └── UnknownConfigError     a config name no definition declares (also KeyError, AttributeError)
     ├── LaneError                   a connection that cannot be made (no such output, no events, ...)
     ├── FragmentError               a fragment that cannot be used, expanded or found
     ├── FlowValidationError         ``ValidationResult.raise_for_errors()``
     ├── FlowFormatError             unreadable flow JSON
     ├── BackendError                a project backend failed
     │    ├── ConflictError          a stale update
     │    ├── AuthError              missing or rejected credentials
     │    └── NotFoundError          no such flow or environment
     └── PreviewError                the preview runner cannot run a flow

>>> from flowbuilder import Flow
>>> try:
...     Flow("orders").source("Dev Raw Data Source").to("Trash Can")
... except StageNotFoundError as error:
...     print(error)
Flow 'orders': no processor, destination or executor labelled 'Trash Can'. Did you mean 'Trash'?
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AuthError",
    "BackendError",
    "ConfigError",
    "ConflictError",
    "FlowFormatError",
    "FlowValidationError",
    "FlowbuilderError",
    "FragmentError",
    "LaneError",
    "NotFoundError",
    "PreviewError",
    "ReadOnlyError",
    "StageNotFoundError",
    "UnknownConfigError",
]


class FlowbuilderError(Exception):
    """Base class of every error flowbuilder raises.

    ``flow``, ``stage`` and ``config`` name where the problem is, when known; ``hint`` says how
    to fix it. ``str(error)`` is the full message. ``exit_code`` is the status the command line
    exits with when the error ends a command: 1 (a failure), or 2 (the command was asked wrongly,
    e.g. missing credentials).

    >>> str(FlowbuilderError("has no origin", flow="orders", hint="Add one with flow.source(...)."))
    "Flow 'orders': has no origin. Add one with flow.source(...)."
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        flow: str | None = None,
        stage: str | None = None,
        config: str | None = None,
        hint: str | None = None,
        location: str | None = None,
    ) -> None:
        self.message = message
        self.flow = flow
        self.stage = stage
        self.config = config
        self.hint = hint
        self.location = location
        super().__init__(self._render())

    def _render(self) -> str:
        where = [part for part in (self.location,) if part]
        if self.flow is not None:
            where.append(f"Flow {self.flow!r}")
        if self.stage is not None:
            where.append(f"stage {self.stage}")
        body = f"config {self.config!r} {self.message}" if self.config is not None else self.message
        text = (", ".join(where) + ": " if where else "") + body
        text = text if text.endswith((".", "?", "!", ":")) or "\n" in text else text + "."
        if self.hint:
            text += " " + self.hint
        return text

    def __str__(self) -> str:
        return self._render()


class StageNotFoundError(FlowbuilderError, LookupError):
    """No stage definition or stage instance matches what was asked for."""


class ConfigError(FlowbuilderError, ValueError):
    """A config value of the wrong type, outside its allowed values or out of range.

    ``code`` says which rule the value broke: ``CONFIG_TYPE``, ``CONFIG_VALUE``, ``CONFIG_MIN``,
    ``CONFIG_MAX`` or ``CONFIG_UNKNOWN``.
    """

    code = "CONFIG_TYPE"


class UnknownConfigError(ConfigError, KeyError, AttributeError):
    """A config name that the stage's definition does not declare."""

    code = "CONFIG_UNKNOWN"


class ReadOnlyError(FlowbuilderError, AttributeError):
    """An attribute that is set once, when its object is made: a stage's instance name, definition."""


class LaneError(FlowbuilderError):
    """A connection between stages that cannot be made."""


class FragmentError(FlowbuilderError):
    """A fragment that cannot be used in a flow, expanded, or found in a project.

    ``fragment`` names the fragment (its title) and is part of the message.

    >>> print(FragmentError("uses itself", flow="mask", fragment="mask", hint="Remove the use."))
    Flow 'mask', fragment 'mask': uses itself. Remove the use.
    """

    def __init__(self, message: str, *, fragment: str | None = None, **where: str | None) -> None:
        self.fragment = fragment
        super().__init__(message, **where)

    def _render(self) -> str:
        where = [part for part in (self.location,) if part]
        if self.flow is not None:
            where.append(f"Flow {self.flow!r}")
        fragment = getattr(self, "fragment", None)  # unset while the base class initialises
        if fragment is not None:
            where.append(f"fragment {fragment!r}" if where else f"Fragment {fragment!r}")
        if self.stage is not None:
            where.append(f"stage {self.stage}")
        text = (", ".join(where) + ": " if where else "") + self.message
        text = text if text.endswith((".", "?", "!", ":")) or "\n" in text else text + "."
        return f"{text} {self.hint}" if self.hint else text


class FlowValidationError(FlowbuilderError):
    """A flow has validation errors; ``issues`` lists every one of them."""

    def __init__(self, message: str, *, issues: Sequence[object] = (), **where: str | None) -> None:
        self.issues = list(issues)
        super().__init__(message, **where)


class FlowFormatError(FlowbuilderError):
    """Flow JSON that cannot be read."""


class BackendError(FlowbuilderError):
    """A project backend failed; ``status`` and ``request_id`` are set for HTTP backends."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        **where: str | None,
    ) -> None:
        self.status = status
        self.request_id = request_id
        super().__init__(message, **where)


class ConflictError(BackendError):
    """An update based on a stale revision of a flow, or a create whose name another writer took."""


class AuthError(BackendError):
    """Credentials are missing or were rejected."""

    exit_code = 2


class NotFoundError(BackendError, LookupError):
    """No flow or environment with that id or name."""


class PreviewError(FlowbuilderError):
    """The preview runner cannot run a flow or a stage."""
