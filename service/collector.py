"""Garbage-collector settings for a serving process.

Scoring allocates many short-lived containers per event (feature lists, decoded profiles,
results), so with CPython's default young-generation threshold (700 allocations) a collection
runs every few events, and each walks every object still alive. Measured with
``scripts/loadtest.py``: ScoreBatch events/s rise by about a fifth with a threshold of 20,000.
Objects made while starting (the model, gRPC, the configuration) are moved out of the
collector's sight with ``gc.freeze`` once the service is ready, so later collections do not
walk them again.
"""

from __future__ import annotations

import gc


def tune_for_serving(gen0_threshold: int) -> None:
    """Freeze what exists now and raise the young-generation threshold (0: leave the collector
    as the interpreter set it). Frozen objects are still freed when their last reference goes
    (a model replaced by a reload, say); only reference cycles among them are kept."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
