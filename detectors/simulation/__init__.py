"""A seeded, streaming, labelled simulator of account-security traffic.

Honest account holders (office workers, commuters, travellers, night-shift workers, students,
retirees, dormant customers, households sharing a tablet, people buying a new phone...) sign
in, pay and change settings; ``attack_rate`` of the accounts suffer one attack from
:data:`ALL_SCENARIOS`. ``population="stress"`` makes every holder one of the personas the
default population underrepresents (:mod:`detectors.simulation.stress`). :func:`simulate`
yields every event in time order with its :class:`Label`; the same configuration always yields
the same stream. Standard library only, and no I/O but the explicit JSONL functions.

Conventions of the events produced:

* ``occurred_at`` is in ``[config.start, config.start + days * 86400)``, rounded to 1 ms.
* An account's transactions are all in its home country's currency (``minor_to_eur``
  compares across accounts); ``country`` is where the transaction happened.
* Card-present payments (``pos``) and ATM withdrawals (``atm``) carry no ``ip``; their
  ``device_id`` is the phone for wallet payments and cardless withdrawals, else empty.
* ``event_id`` is ``ev-{seed}-{n}``; ``attack_id`` is ``atk-{seed}-{n}``. Credential
  stuffing and password spraying are campaigns: one ``attack_id`` spans many accounts.

Each JSONL line is ``{"event": event_to_dict(event), "label": {"is_attack", "scenario",
"attack_id", "persona"}}``: what the service sees is kept apart from the ground truth. The
persona is the account holder's, on every event of the account, attacks included.
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
