"""How long the engine takes, measured as it runs: what a Score call's deadline must leave it.

Every run of the engine on the store worker is timed there (scoring and commit, not the wait
for the worker). A run of one event gives a sample of ``single``; a run of ``n > 1`` events
(micro-batched calls) a sample of ``each`` = time / n. The expected time of a run of ``n`` is
a high quantile of recent ``single`` samples plus ``n - 1`` times one of ``each``: a call is
scored when its remaining deadline covers that, and answered with the fail mode (stored as its
answer) when it does not.
"""

from __future__ import annotations

import math
import threading
from collections import deque

WINDOW = 512  # recent samples kept of each kind
QUANTILE = 0.99
MIN_SAMPLES = 20  # below this many samples, the starting values stand
START_SINGLE_SECONDS = 0.005  # before measuring: one event alone (a few ms on 2 cores)...
START_EACH_SECONDS = 0.001  # ...and each further event of a run


class _Quantile:
    """A high quantile of the last WINDOW samples, recomputed on every 16th new sample."""

    def __init__(self, start: float) -> None:
        self.samples: deque[float] = deque(maxlen=WINDOW)
        self.value = start
        self._unsorted = 0

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)
        self._unsorted += 1
        if len(self.samples) >= MIN_SAMPLES and (
                self._unsorted >= 16 or len(self.samples) == MIN_SAMPLES):
            ordered = sorted(self.samples)
            self.value = ordered[min(len(ordered) - 1, math.ceil(QUANTILE * len(ordered)) - 1)]
            self._unsorted = 0


class EngineLatency:
    """Thread-safe: samples come from the store worker, questions from the event loop."""

    def __init__(self, single: float = START_SINGLE_SECONDS,
                 each: float = START_EACH_SECONDS) -> None:
        self._single = _Quantile(single)
        self._each = _Quantile(each)
        self._lock = threading.Lock()

    def observe(self, events: int, seconds: float) -> None:
        """One engine run of ``events`` events took ``seconds``."""
        if events <= 0:
            return
        with self._lock:
            if events == 1:
                self._single.add(seconds)
            else:
                self._each.add(seconds / events)

    def expected(self, events: int = 1) -> float:
        """Seconds a run of ``events`` events takes at the measured high quantile."""
        with self._lock:
            return self._single.value + max(0, events - 1) * self._each.value
