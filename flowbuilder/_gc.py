"""Pause CPython's cyclic garbage collector around bulk work that builds no reference cycles.

Compiling, validating or importing a flow of 100,000 stages allocates millions of dicts and
lists; each allocation burst would trigger collections that walk the whole heap (the flow
included) again and again. What these operations build are trees, freed by reference counting,
so pausing the collector loses nothing and keeps their cost linear.

:func:`paused_gc` is the block form. Hot calls made in user loops (``add_stage``) use
:func:`pause` and :func:`resume` instead: a context manager allocates before it pauses, and in a
loop of 100,000 calls those allocations alone set off the collections the pause is there to avoid.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["pause", "paused_gc", "resume"]


def pause() -> bool:
    """Disable the cyclic collector; return whether it was enabled (hand that to :func:`resume`).

    >>> enabled = pause()
    >>> gc.isenabled()
    False
    >>> resume(enabled)
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def resume(enabled: bool) -> None:
    """Enable the collector again if :func:`pause` found it enabled."""
    if enabled:
        gc.enable()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block if it is enabled; restore it after.

    >>> with paused_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = pause()
    try:
        yield
    finally:
        resume(enabled)
