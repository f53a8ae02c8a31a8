"""Pause CPython's cyclic garbage collector around bulk work that builds no reference cycles.

Compiling, validating or importing a flow of 100,000 stages allocates millions of dicts and
lists; each allocation burst would trigger collections that walk the whole heap (the flow
included) again and again. What these operations build are trees, freed by reference counting,
so pausing the collector loses nothing and keeps their cost linear.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block if it is enabled; restore it after.

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
