"""The bundled stage catalog: stage and pipeline-config definitions, offline.

>>> from flowbuilder.catalog import Catalog
>>> definition = Catalog.default().get(label="Local FS")
>>> definition.type, definition.resolve("directory_template").name
('destination', 'configs.dirPathTemplate')
"""

from ._catalog import ENGINES, Catalog
from ._definitions import (
    STAGE_TYPES,
    ConfigDefinition,
    ConfigRef,
    ServiceDefinition,
    StageDefinition,
    java_string,
)
from ._engine import engine_definitions

__all__ = [
    "ENGINES",
    "STAGE_TYPES",
    "Catalog",
    "ConfigDefinition",
    "ConfigRef",
    "ServiceDefinition",
    "StageDefinition",
    "engine_definitions",
    "java_string",
]
