"""Outcomes reported through ReportOutcome, as labels for `acctguard train` and `eval`.

`acctguard outcomes export` writes them as JSON Lines (``{"event_id", "outcome", ...}``); with
``--outcomes`` both commands relabel the event stream: an event confirmed as fraud becomes an
attack (kept out of fitting and calibration, counted as a detection target), an event confirmed
legitimate becomes honest (the traffic thresholds are calibrated on).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, replace
from pathlib import Path

from detectors.simulation.model import HONEST, Label, LabelledEvent
from service.domain.feedback import Outcome, OutcomeReport

REPORTED_FRAUD = "reported_fraud"


def write_outcomes(reports: Iterable[OutcomeReport], path: Path) -> int:
    count = 0
    with path.open("w") as handle:
        for report in reports:
            record = asdict(report) | {"outcome": report.outcome.name}
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            count += 1
    return count


def read_outcomes(path: Path) -> dict[str, Outcome]:
    """event_id -> outcome; a later line for the same event wins."""
    outcomes: dict[str, Outcome] = {}
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                outcomes[str(record["event_id"])] = Outcome[record["outcome"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an outcome record ({exc})") from None
    return outcomes


def relabel(stream: Iterable[LabelledEvent],
            outcomes: dict[str, Outcome]) -> Iterator[LabelledEvent]:
    for item in stream:
        outcome = outcomes.get(item.event.event_id)
        if outcome is Outcome.CONFIRMED_FRAUD and not item.label.is_attack:
            yield replace(item, label=Label(True, REPORTED_FRAUD,
                                            f"reported:{item.event.account_id}",
                                            item.label.persona))
        elif outcome is Outcome.CONFIRMED_LEGITIMATE and item.label.is_attack:
            yield replace(item, label=replace(HONEST, persona=item.label.persona))
        else:
            yield item
