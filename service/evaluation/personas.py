"""Honest customers' false alarms per persona (the label's persona: the default population's
or the stress population's), counted as the report's false alarms are, so the personas' figures
add up to the overall ones. Rates are per 10,000 honest account-days: a persona's honest
accounts times the replay's days, as the overall rate counts them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from detectors.simulation import HONEST_SCENARIO
from detectors.simulation.population import Persona
from detectors.simulation.stress import STRESS_PERSONAS
from service.domain.decisions import Decision
from service.evaluation import metrics
from service.evaluation.alarms import count_alarms, reason_counts
from service.evaluation.replay import ReplayArrays

UNLABELLED = "unlabelled"  # events whose label names no persona (older JSONL files)
KNOWN_ORDER: tuple[str, ...] = (*(str(p) for p in Persona), *STRESS_PERSONAS)
TOP_REASONS_SHOWN = 2


def _order(found: set[str]) -> list[str]:
    return [p for p in KNOWN_ORDER if p in found] + sorted(found - set(KNOWN_ORDER))


def persona_section(data: ReplayArrays, days: float,
                    refreezes_by_account: Counter[str] | None) -> dict[str, Any]:
    """Per persona: honest accounts, account-days and events; false freezes (re-freezes
    included; of them, re-freezes after the trust loop restored the account, None without the
    loop) and false challenges, with their rates and top detection reasons; the share of honest
    events answered anything but ALLOW."""
    honest = data.scenario == HONEST_SCENARIO
    named = np.where(data.account_persona == "", UNLABELLED, data.account_persona)
    persona = named[data.account]
    section: dict[str, Any] = {}
    for name in _order(set(named[np.unique(data.account[honest])].tolist())):
        mine = honest & (persona == name)
        counts = count_alarms(data, mine)
        refreezes = None
        if refreezes_by_account is not None:
            accounts = data.accounts[named == name].tolist()
            refreezes = sum(refreezes_by_account.get(a, 0) for a in accounts)
        section[name] = {
            "honest_accounts": counts.accounts,
            "honest_account_days": round(counts.accounts * days, 1),
            "honest_events": counts.events,
            "false_freezes": counts.freezes,
            "false_refreezes": refreezes,
            "false_freezes_per_10k_account_days": metrics.per_10k_per_day(
                counts.freezes, counts.accounts, days),
            "false_challenges": counts.challenges,
            "false_challenges_per_10k_account_days": metrics.per_10k_per_day(
                counts.challenges, counts.accounts, days),
            "honest_events_refused_by_a_freeze": counts.refused,
            "honest_events_not_allowed": counts.not_allowed,
            "honest_events_not_allowed_share": (counts.not_allowed / counts.events
                                                if counts.events else None),
            "false_freeze_reasons": reason_counts(data.reasons[mine & data.freeze_placed]),
            "false_challenge_reasons": reason_counts(
                data.reasons[mine & (data.decision == Decision.CHALLENGE)]),
        }
    return section


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def persona_lines(section: dict[str, Any]) -> list[str]:
    """The per-persona table for a terminal."""
    lines = [f"{'persona':<20}{'accounts':>9}{'acct-days':>11}{'events':>9}{'freezes':>8}"
             f"{'re-frz':>7}{'frz/10k':>8}{'chall.':>8}{'ch/10k':>8}{'!ALLOW':>8}  "
             f"top false-freeze reasons"]
    for name, row in section.items():
        refreezes = row["false_refreezes"]
        reasons = ", ".join(f"{code} {count}" for code, count in
                            list(row["false_freeze_reasons"].items())[:TOP_REASONS_SHOWN])
        lines.append(
            f"{name:<20}{row['honest_accounts']:>9,}{row['honest_account_days']:>11,.0f}"
            f"{row['honest_events']:>9,}{row['false_freezes']:>8}"
            f"{'-' if refreezes is None else refreezes:>7}"
            f"{_cell(row['false_freezes_per_10k_account_days'], 2):>8}"
            f"{row['false_challenges']:>8}"
            f"{_cell(row['false_challenges_per_10k_account_days'], 1):>8}"
            f"{_cell(row['honest_events_not_allowed_share'], 4):>8}  {reasons}")
    return lines
