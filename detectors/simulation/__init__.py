"""A seeded, streaming, labelled simulator of account-security traffic.

Honest account holders (commuters, travellers, night-shift workers, households sharing a
tablet, people buying a new phone...) sign in, pay and change settings; a fraction of the
accounts suffer one attack from :data:`ALL_SCENARIOS`. :func:`simulate` yields every event in
time order with its :class:`Label`; the same configuration always yields the same stream.
Pure domain code: the standard library only, and no I/O but the explicit JSONL functions.
"""

from detectors.simulation.model import (
    ALL_SCENARIOS,
    CAMPAIGN_SCENARIOS,
    HONEST,
    HONEST_SCENARIO,
    Label,
    LabelledEvent,
    SimulationConfig,
)
from detectors.simulation.money import minor_to_eur
from detectors.simulation.stream import (
    labelled_from_dict,
    labelled_to_dict,
    read_jsonl,
    simulate,
    write_jsonl,
)

__all__ = [
    "ALL_SCENARIOS",
    "CAMPAIGN_SCENARIOS",
    "HONEST",
    "HONEST_SCENARIO",
    "Label",
    "LabelledEvent",
    "SimulationConfig",
    "labelled_from_dict",
    "labelled_to_dict",
    "minor_to_eur",
    "read_jsonl",
    "simulate",
    "write_jsonl",
]
