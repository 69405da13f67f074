"""A card processor's history for tests: payments only, no sign-ins or account changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from detectors.events import CreditFeature, TransactionEvent, event_to_dict
from detectors.simulation import HONEST, LabelledEvent

START = 1.7e9
DAY = 86_400.0


def card_log(accounts: int = 150, per_account: int = 12, seed: int = 3) -> list[LabelledEvent]:
    """Each account pays its usual amounts at a few terminals over two weeks; in time order."""
    rng = np.random.default_rng(seed)
    events = []
    for a in range(accounts):
        usual = rng.lognormal(3.5, 0.6)
        for i in range(per_account):
            at = START + float(rng.uniform(0, 14 * DAY))
            events.append(TransactionEvent(
                event_id=f"tx-{a}-{i}", account_id=f"cust-{a}", occurred_at=round(at, 3),
                amount_minor=max(1, round(usual * rng.lognormal(0, 0.4) * 100)),
                currency="EUR", payee_id=f"term-{a % 40}-{int(rng.integers(3))}",
                feature=CreditFeature.PAYMENT, channel="pos"))
    events.sort(key=lambda e: e.occurred_at)
    return [LabelledEvent(e, HONEST) for e in events]


def write_unlabelled(items: list[LabelledEvent], path: Path) -> Path:
    """The events as a deployment logs them: one ``{"event": ...}`` a line, no labels."""
    path.write_text("".join(json.dumps({"event": event_to_dict(item.event)}) + "\n"
                            for item in items))
    return path
