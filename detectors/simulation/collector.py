"""Pausing Python's cyclic garbage collector around bulk allocation.

The simulator allocates millions of small objects that never form reference cycles while
hundreds of thousands of long-lived ones (accounts, the day's pending events) are alive;
letting the collector walk all of them again and again costs more than generating the
events. It is paused only around code that does not yield to the caller, and its previous
state is restored afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
