"""Pause CPython's cyclic garbage collector around bulk work that builds no garbage cycles.

Building, compiling, importing or drawing a flow of 100,000 stages allocates millions of dicts
and lists, all of them kept: each allocation burst triggers collections that walk the whole heap
(the flow included) again and again and find nothing to free. Pausing the collector inside these calls
loses nothing (what they build is freed by reference counting) and, measured at 100,000 stages on
this 2-core machine (CPU seconds):

- building a chain with the DSL (``path.to(...)`` 100,000 times): 2.99 s paused, 6.08 s not; 10x
  the stages cost 7.3x the time paused, 10.7x not;
- compiling: 2.2 s paused against 5.5 s; importing: 8.6 s against 11.6 s;
- drawing (``to_dot``): making the scene of a 100,000-stage DSL chain took 4.7 s paused against
  8.5 s not (10.5x and 12.1x the time of 10,000 stages).

The pause is process-wide while a call runs, the one global side effect flowbuilder has: a
collection other threads would have triggered meanwhile waits for the call to end. The setting
the process had is always restored (a collector the user disabled stays disabled).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["paused_gc", "pausing"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block if it is enabled; restore it after.

    >>> with paused_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pausing(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` with the collector paused while it runs. Unlike :func:`paused_gc`, nothing is
    allocated before the pause, so a call made again and again (``path.to`` in a loop) never
    triggers a collection on its way in.

    >>> @pausing
    ... def collecting() -> bool:
    ...     return gc.isenabled()
    >>> collecting(), gc.isenabled()
    (False, True)
    """

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused
