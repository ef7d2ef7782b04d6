"""A pause of Python's automatic garbage collection around work that builds many short-lived
objects in a worker thread.

A full collection walks every tracked object the process holds, and holds the interpreter
lock while it does: when a worker thread allocates some 100,000 objects (a super-admin's
search of everyone), collections triggered by those allocations held the event loop for
50-90 ms each. The objects die by reference counting when the work ends, so nothing is lost
by not looking for cycles meanwhile. Pauses of several threads nest: collection resumes when
the last one ends, and only if it was on before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_holds = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    """No automatic garbage collection inside the block (in any thread)."""
    global _holds, _was_enabled
    with _LOCK:
        if _holds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holds += 1
    try:
        yield
    finally:
        with _LOCK:
            _holds -= 1
            if _holds == 0 and _was_enabled:
                gc.enable()
