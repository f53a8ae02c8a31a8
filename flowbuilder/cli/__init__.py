"""The ``flowbuilder`` command line: thin, it parses arguments, calls the library and prints.

Exit codes: 0 ok, 1 validation or apply failure, 2 usage error. Shell completion is click's:
``eval "$(_FLOWBUILDER_COMPLETE=bash_source flowbuilder)"`` (``zsh_source``, ``fish_source``).
"""

from . import _catalog, _files, _project, _serve  # noqa: F401  (each registers its commands)
from ._app import main

__all__ = ["main"]
