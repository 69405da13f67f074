"""What honest customers were put through in a replay, counted one way for every breakdown:
the whole population, the never-attacked accounts, each persona."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detectors.reasons import ReasonCode
from service.domain.decisions import Decision
from service.evaluation.replay import NO_REASON, Bools, Ints, ReplayArrays


@dataclass(frozen=True, slots=True)
class AlarmCounts:
    accounts: int  # accounts with at least one of the counted honest events
    events: int  # honest events counted
    freezes: int  # new freezes those events placed, re-freezes included
    challenges: int  # of those events, answered CHALLENGE
    refused: int  # answered FREEZE by a freeze already in place
    not_allowed: int  # answered anything but ALLOW


def count_alarms(data: ReplayArrays, honest: Bools) -> AlarmCounts:
    """The counts over the events ``honest`` selects (honest events, all or some)."""
    freeze = data.decision == Decision.FREEZE
    return AlarmCounts(
        accounts=int(np.unique(data.account[honest]).size),
        events=int(honest.sum()),
        freezes=int((data.freeze_placed & honest).sum()),
        challenges=int((honest & (data.decision == Decision.CHALLENGE)).sum()),
        refused=int((honest & freeze & ~data.freeze_placed).sum()),
        not_allowed=int((honest & (data.decision != Decision.ALLOW)).sum()),
    )


def reason_counts(reasons: Ints) -> dict[str, Any]:
    """How often each reason code appears, most frequent first."""
    codes, counts = np.unique(reasons[reasons != NO_REASON], return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return {ReasonCode(int(codes[i])).name: int(counts[i]) for i in order}
