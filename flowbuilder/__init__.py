"""flowbuilder: write, test, draw and ship StreamSets flows in Python.

>>> from flowbuilder import Flow
>>> flow = Flow("hello").source("Dev Raw Data Source").to("Trash").flow
>>> [s.instance_name for s in flow.stages]
['DevRawDataSource_01', 'Trash_01']
"""

from ._stages import CustomLabel, Expression, custom, expression
from .catalog import Catalog, StageDefinition
from .configuration import Configuration
from .errors import (
    AuthError,
    BackendError,
    ConfigError,
    ConflictError,
    FlowbuilderError,
    FlowFormatError,
    FlowValidationError,
    FragmentError,
    LaneError,
    NotFoundError,
    PreviewError,
    ReadOnlyError,
    StageNotFoundError,
    UnknownConfigError,
)
from .flow import Flow, Parameters
from .fragment import Fragment
from .path import Path, merge
from .preview import preview
from .project import Environment, Project, StreamsetsFlow
from .stage import Stage, Stages

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "BackendError",
    "Catalog",
    "ConfigError",
    "Configuration",
    "ConflictError",
    "CustomLabel",
    "Environment",
    "Expression",
    "Flow",
    "FlowFormatError",
    "FlowValidationError",
    "FlowbuilderError",
    "Fragment",
    "FragmentError",
    "LaneError",
    "NotFoundError",
    "Parameters",
    "Path",
    "PreviewError",
    "Project",
    "ReadOnlyError",
    "Stage",
    "StageDefinition",
    "StageNotFoundError",
    "Stages",
    "StreamsetsFlow",
    "UnknownConfigError",
    "custom",
    "expression",
    "merge",
    "preview",
]
