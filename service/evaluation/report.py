"""The evaluation report: replay labelled events, then measure, as one JSON-ready dict."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from detectors.events import EventKind
from detectors.model import RiskModel
from detectors.reasons import ReasonCode
from detectors.simulation import ALL_SCENARIOS, HONEST_SCENARIO, LabelledEvent
from service.domain.decisions import Decision
from service.evaluation import metrics
from service.evaluation.alarms import count_alarms, reason_counts
from service.evaluation.gateways import ServiceGateways
from service.evaluation.personas import persona_lines, persona_section
from service.evaluation.replay import (
    DAY_SECONDS,
    KIND_CODES,
    Replay,
    ReplayArrays,
    ReplayColumns,
)
from service.evaluation.trust_loop import PERCENTILE, TrustLoop, loop_section

# The reasons that, shown first, tell a support agent (and the customer) what actually happened
# in each attack scenario. An instance's explanation counts as right when its first flagged
# event names at least one of these among its top three detection reasons.
EXPECTED_REASONS: dict[str, frozenset[ReasonCode]] = {
    "credential_stuffing": frozenset({ReasonCode.FAILED_LOGIN_BURST, ReasonCode.LOGIN_VELOCITY}),
    "password_spraying": frozenset({ReasonCode.FAILED_LOGIN_BURST, ReasonCode.NEW_NETWORK,
                                    ReasonCode.NEW_DEVICE}),
    "account_takeover": frozenset({ReasonCode.NEW_DEVICE, ReasonCode.NEW_COUNTRY,
                                   ReasonCode.IMPOSSIBLE_TRAVEL, ReasonCode.FAILED_LOGIN_BURST}),
    "impossible_travel": frozenset({ReasonCode.IMPOSSIBLE_TRAVEL}),
    "sim_swap": frozenset({ReasonCode.CREDENTIAL_CHANGE_THEN_PAYOUT, ReasonCode.NEW_DEVICE}),
    "session_theft": frozenset({ReasonCode.NEW_NETWORK, ReasonCode.NEW_COUNTRY}),
    "card_testing": frozenset({ReasonCode.RAPID_TRANSACTIONS, ReasonCode.NEW_PAYEE,
                               ReasonCode.TINY_AMOUNT}),
    "cash_out": frozenset({ReasonCode.RAPID_TRANSACTIONS, ReasonCode.AMOUNT_SPIKE,
                           ReasonCode.NEW_PAYEE}),
    "dormant_revival": frozenset({ReasonCode.DORMANT_ACCOUNT}),
    "low_and_slow": frozenset({ReasonCode.NEW_PAYEE, ReasonCode.AMOUNT_SPIKE,
                               ReasonCode.NEW_NETWORK}),
}
# A sign-in can only be explained by what is wrong with the sign-in itself. A cash-out begins
# with the attacker signing in on their own device, often from abroad; when acctguard challenges
# that sign-in, before any money has moved, the new device or place is the true cause, and the
# money reasons above apply to the payouts that follow.
EXPECTED_SIGN_IN_REASONS: dict[str, frozenset[ReasonCode]] = {
    "cash_out": frozenset({ReasonCode.NEW_DEVICE, ReasonCode.NEW_COUNTRY,
                           ReasonCode.NEW_NETWORK, ReasonCode.IMPOSSIBLE_TRAVEL}),
}

# The bars the service is held to.
RECALL_BAR_SCENARIOS = ("account_takeover", "sim_swap", "impossible_travel", "cash_out")
RECALL_BAR = 0.95
FALSE_FREEZE_BAR = 5.0  # per 10,000 honest accounts per day
REASON_ACCURACY_BAR = 0.9

EVENT_FPRS = (0.001, 0.01)
ROC_FPR_GRID = np.geomspace(1e-5, 1.0, 61)
WARM_UP_DAYS = 7.0  # the engine's new-account phase (TrustSettings.new_account_days)
PROGRESS_EVERY = 10_000
ENSEMBLE = "ensemble"


def evaluate(events: Iterable[LabelledEvent], model: RiskModel, *,
             source: dict[str, Any] | None = None,
             on_progress: Callable[[int], None] | None = None,
             feedback: bool = True, feedback_seed: int = 0,
             backfill_days: float = 0.0) -> dict[str, Any]:
    """Replay ``events`` (time-ordered) through the service's engine and measure the result.

    Only accounts in the model's test split are evaluated (all of them, and the report says
    so, when the model was trained without one). With ``feedback``, simulated gateways answer
    the decisions during the replay (:mod:`service.evaluation.trust_loop`, seeded by
    ``feedback_seed``); without, no step-up result, restore or outcome ever comes back.
    ``on_progress`` is called with the number of events scored every 10,000 events.
    ``backfill_days``: a rollout's backfill. The stream's first days are scored in audit mode
    (nothing frozen, the profiles learned) and left out of every figure, which then describe
    the days after it: a deployment that went live with its customers' history."""
    started = time.perf_counter()
    test_fraction = float(model.metadata.get("test_fraction") or 0.0)
    replay = Replay(model, test_fraction)
    replay.backfill_days = backfill_days
    loop = None
    if feedback:
        loop = TrustLoop(ServiceGateways(replay.engine, replay.store, replay.clock),
                         replay.clock, feedback_seed)
        replay.feedback = loop
    columns = ReplayColumns(replay.names)
    for record in replay.run(events):
        columns.append(record)
        if on_progress is not None and len(columns) % PROGRESS_EVERY == 0:
            on_progress(len(columns))
    replayed = time.perf_counter()
    data = columns.arrays()
    report: dict[str, Any] = {
        "model": model_section(model),
        "data": {**data_section(data, replay, test_fraction, source or {}),
                 "backfill": {"days": backfill_days, "events": replay.backfilled_events}},
        "event_level": event_level_section(data),
        "scenarios": scenario_section(data, threshold_table(model)),
        "false_alarms": false_alarm_section(data),
    }
    alarms = report["false_alarms"]
    report["trust_loop"] = loop_section(loop, alarms["honest_accounts"], alarms["days"])
    report["personas"] = persona_section(
        data, _days(data), None if loop is None else loop.log.refreezes_by_account)
    report["bars"] = bars(report)
    finished = time.perf_counter()
    report["runtime"] = {
        "replay_seconds": round(replayed - started, 3),  # with producing the stream
        "metrics_seconds": round(finished - replayed, 3),
        "total_seconds": round(finished - started, 3),
        "engine_seconds": round(replay.scoring_seconds, 3),
        "engine_ms_per_event": (round(replay.scoring_seconds * 1e3 / len(data), 4)
                                if len(data) else None),
    }
    return report


def threshold_table(model: RiskModel) -> np.ndarray[Any, np.dtype[np.float64]]:
    """(kinds, 2): the CHALLENGE and FREEZE risk thresholds, rows in KIND_CODES order."""
    table = np.ones((len(KIND_CODES), 2))
    for kind, code in KIND_CODES.items():
        if kind in model.kinds:
            thresholds = model.kinds[kind].thresholds
            table[code] = (thresholds.challenge, thresholds.freeze)
    return table


def model_section(model: RiskModel) -> dict[str, Any]:
    return {
        "version": model.version,
        "created_at": model.metadata.get("created_at"),
        "test_fraction": float(model.metadata.get("test_fraction") or 0.0),
        "trained_on": model.metadata.get("source", {}),
        "detectors": {str(k): [d.name for d in m.detectors] for k, m in model.kinds.items()},
        "thresholds": {str(k): {"challenge": m.thresholds.challenge, "freeze": m.thresholds.freeze}
                       for k, m in model.kinds.items()},
    }


def _days(data: ReplayArrays) -> float:
    if not len(data):
        return 0.0
    return float(data.occurred_at.max() - data.occurred_at.min()) / DAY_SECONDS


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _scenario_order(found: Iterable[str]) -> list[str]:
    present = set(found) - {HONEST_SCENARIO}
    return [s for s in ALL_SCENARIOS if s in present] + sorted(present - set(ALL_SCENARIOS))


def data_section(data: ReplayArrays, replay: Replay, test_fraction: float,
                 source: dict[str, Any]) -> dict[str, Any]:
    if test_fraction > 0:
        split = (f"test split (test_fraction={test_fraction:g}): accounts the model never saw")
    else:
        split = "all accounts (test_fraction=0): model saw these accounts"
    scenarios, counts = np.unique(data.scenario, return_counts=True)
    instance_scenario = _instance_scenarios(data)
    return {
        "source": source,
        "split": split,
        "events_in_stream": replay.seen_events,
        "events": len(data),
        "accounts": int(data.accounts.size),
        "accounts_skipped": replay.skipped_accounts,
        "honest_accounts": int(np.unique(data.account[data.scenario == HONEST_SCENARIO]).size),
        "attacked_accounts": int(np.unique(data.account[data.is_attack]).size),
        "events_by_scenario": {str(s): int(c) for s, c in zip(scenarios, counts, strict=True)},
        "attack_instances": {s: int((instance_scenario == s).sum())
                             for s in _scenario_order(instance_scenario.tolist())},
        "days": round(_days(data), 3),
        "start": _iso(float(data.occurred_at.min())) if len(data) else None,
        "end": _iso(float(data.occurred_at.max())) if len(data) else None,
        "duplicate_events": replay.duplicate_events,
        "out_of_order_events": replay.out_of_order_events,
    }


def _ranking(labels: np.ndarray[Any, np.dtype[np.bool_]],
             scores: np.ndarray[Any, np.dtype[np.float64]]) -> dict[str, Any]:
    recalls: dict[str, Any] = {}
    for fpr in EVENT_FPRS:
        point = metrics.recall_at_fpr(labels, scores, fpr)
        recalls[f"{fpr:g}"] = None if point is None else {
            "recall": point.recall, "threshold": point.threshold, "fpr": point.fpr}
    curve = metrics.roc_at(labels, scores, ROC_FPR_GRID)
    return {
        "events": int(labels.size),
        "attack_events": int(labels.sum()),
        "roc_auc": metrics.roc_auc(labels, scores),
        "pr_auc": metrics.average_precision(labels, scores),
        "recall_at_fpr": recalls,
        "roc_curve": None if curve is None else {"fpr": ROC_FPR_GRID.tolist(),
                                                 "tpr": curve.tolist()},
    }


def event_level_section(data: ReplayArrays) -> dict[str, Any]:
    """Ranking quality over events: the ensemble risk, and each detector's own risk."""
    section = {ENSEMBLE: _ranking(data.is_attack, data.risk)}
    for j, name in enumerate(data.detector_names):
        scores = data.detector_risks[:, j]
        scored = np.isfinite(scores)
        section[name] = _ranking(data.is_attack[scored], scores[scored])
    return section


def _instance_scenarios(data: ReplayArrays) -> np.ndarray[Any, np.dtype[np.str_]]:
    attack = data.instance >= 0
    scenario = np.empty(data.instance_keys.size, dtype=data.scenario.dtype)
    scenario[data.instance[attack]] = data.scenario[attack]
    return scenario


def _expected_codes(scenario: str, kind: int) -> list[int]:
    """The reason codes that explain an event of ``kind`` (KIND_CODES) in ``scenario``."""
    expected = EXPECTED_REASONS.get(scenario, frozenset())
    if kind == KIND_CODES[EventKind.LOGIN]:
        expected = EXPECTED_SIGN_IN_REASONS.get(scenario, expected)
    return [int(code) for code in expected]


def _reason_hits(scenario: str, reasons: np.ndarray[Any, np.dtype[np.int64]],
                 kinds: np.ndarray[Any, np.dtype[np.int64]]) -> Any:
    """Per row of top reasons: does it hold one of the reasons expected for the scenario and
    the row's event kind."""
    hits = np.zeros(len(reasons), dtype=bool)
    for kind in np.unique(kinds):
        rows = kinds == kind
        hits[rows] = np.isin(reasons[rows], _expected_codes(scenario, int(kind))).any(axis=1)
    return hits


def scenario_section(data: ReplayArrays,
                     thresholds: np.ndarray[Any, np.dtype[np.float64]]) -> dict[str, Any]:
    """Per scenario, over attack instances (attack_id, account): detected at CHALLENGE / at
    FREEZE, how many events in, and whether the first flag gave the right reasons. For each
    detector alone: its own risk against the same per-kind thresholds (no policy applied)."""
    attack = data.instance >= 0
    groups, n = data.instance[attack], data.instance_keys.size
    decision, reasons, kinds = data.decision[attack], data.reasons[attack], data.kind[attack]
    ordinal = metrics.ordinal_in_group(groups)
    instance_scenario = _instance_scenarios(data)
    first_challenge = metrics.first_flagged(groups, decision >= Decision.CHALLENGE, n)
    first_freeze = metrics.first_flagged(groups, decision == Decision.FREEZE, n)
    strongest = metrics.strongest_flagged(groups, decision >= Decision.CHALLENGE,
                                          data.risk[attack], n)
    kind_thresholds = thresholds[data.kind[attack]]
    detector_flags = {
        name: (data.detector_risks[attack, j] >= kind_thresholds[:, 0],
               data.detector_risks[attack, j] >= kind_thresholds[:, 1])
        for j, name in enumerate(data.detector_names)}
    section: dict[str, Any] = {}
    for scenario in _scenario_order(instance_scenario.tolist()):
        mine = instance_scenario == scenario
        challenged = first_challenge[mine][first_challenge[mine] >= 0]
        frozen = first_freeze[mine][first_freeze[mine] >= 0]
        first_hits = _reason_hits(scenario, reasons[challenged], kinds[challenged])
        strongest_mine = strongest[mine][strongest[mine] >= 0]
        hits = _reason_hits(scenario, reasons[strongest_mine], kinds[strongest_mine])
        per_detector = {}
        for name, (at_challenge, at_freeze) in detector_flags.items():
            per_detector[name] = {
                "recall_challenge": metrics.share(metrics.any_in_group(groups, at_challenge,
                                                                       n)[mine]),
                "recall_freeze": metrics.share(metrics.any_in_group(groups, at_freeze, n)[mine]),
            }
        section[scenario] = {
            "instances": int(mine.sum()),
            "events": int(np.isin(groups, np.flatnonzero(mine)).sum()),
            "recall_challenge": metrics.share(first_challenge[mine] >= 0),
            "recall_freeze": metrics.share(first_freeze[mine] >= 0),
            "events_to_challenge": metrics.median_and_mean(ordinal[challenged]),
            "events_to_freeze": metrics.median_and_mean(ordinal[frozen]),
            # Judged on each detected instance's first flagged event: the moment acctguard acted
            # and what the customer was told. The first flag often comes before the pattern
            # shows (the first of a burst cannot say "burst"), so the instance's strongest
            # flagged event (highest risk) is reported beside it.
            "reason_accuracy": metrics.share(first_hits),
            "reason_accuracy_strongest_flag": metrics.share(hits),
            "expected_reasons": sorted(c.name for c in EXPECTED_REASONS.get(scenario, ())),
            "expected_sign_in_reasons": sorted(
                c.name for c in EXPECTED_SIGN_IN_REASONS.get(
                    scenario, EXPECTED_REASONS.get(scenario, ()))),
            "strongest_flag_reasons": reason_counts(reasons[strongest_mine]),
            "first_flag_reasons": reason_counts(reasons[challenged]),
            "detectors": per_detector,
        }
    return section


def false_alarm_section(data: ReplayArrays) -> dict[str, Any]:
    """Freezes and challenges of honest customers' own events, per 10k accounts per day."""
    honest = data.scenario == HONEST_SCENARIO
    days = _days(data)
    attacked = np.zeros(data.accounts.size, dtype=bool)
    attacked[data.account[data.is_attack]] = True
    everyone = count_alarms(data, honest)
    calm = count_alarms(data, honest & ~attacked[data.account])
    honest_accounts, freezes, challenges = everyone.accounts, everyone.freezes, everyone.challenges
    calm_accounts, calm_freezes = calm.accounts, calm.freezes
    return {
        "honest_accounts": honest_accounts,
        "honest_events": everyone.events,
        "days": round(days, 3),
        "freezes": freezes,
        "freezes_per_10k_accounts_per_day": metrics.per_10k_per_day(
            freezes, honest_accounts, days),
        "challenges": challenges,
        "challenges_per_10k_accounts_per_day": metrics.per_10k_per_day(
            challenges, honest_accounts, days),
        "honest_events_refused_by_a_freeze": everyone.refused,
        "never_attacked_accounts": calm_accounts,
        "freezes_on_never_attacked_accounts": calm_freezes,
        "freezes_on_never_attacked_per_10k_accounts_per_day": metrics.per_10k_per_day(
            calm_freezes, calm_accounts, days),
        "after_first_week": _after_first_week(data, honest, honest_accounts),
    }


def _after_first_week(data: ReplayArrays, honest: np.ndarray[Any, np.dtype[np.bool_]],
                      accounts: int) -> dict[str, Any]:
    """The same, from the replay's eighth day on. Every profile starts empty when the replay
    does, so in its first week every account is new to the engine (new-account rules, nothing
    known yet); from then on, the rates are those of a service that knows its customers."""
    if not len(data):
        return {"days": 0.0, "freezes": 0, "freezes_per_10k_accounts_per_day": None,
                "challenges": 0, "challenges_per_10k_accounts_per_day": None}
    start = float(data.occurred_at.min()) + WARM_UP_DAYS * DAY_SECONDS
    later = honest & (data.occurred_at >= start)
    days = max(0.0, float(data.occurred_at.max()) - start) / DAY_SECONDS
    freezes = int((data.freeze_placed & later).sum())
    challenges = int((later & (data.decision == Decision.CHALLENGE)).sum())
    return {
        "days": round(days, 3),
        "freezes": freezes,
        "freezes_per_10k_accounts_per_day": metrics.per_10k_per_day(freezes, accounts, days),
        "challenges": challenges,
        "challenges_per_10k_accounts_per_day": metrics.per_10k_per_day(challenges, accounts,
                                                                       days),
    }


def _bar(name: str, value: float | None, op: str, target: float) -> dict[str, Any]:
    passed = None if value is None else (value >= target if op == ">=" else value <= target)
    return {"bar": name, "value": value, "op": op, "target": target, "pass": passed}


def bars(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The release bars with pass/fail (``pass`` is None when there was nothing to measure)."""
    scenarios = report["scenarios"]
    found = [_bar(f"recall_challenge[{s}]", scenarios.get(s, {}).get("recall_challenge"),
                  ">=", RECALL_BAR) for s in RECALL_BAR_SCENARIOS]
    found.append(_bar("false_freezes_per_10k_accounts_per_day",
                      report["false_alarms"]["freezes_per_10k_accounts_per_day"],
                      "<=", FALSE_FREEZE_BAR))
    found.extend(_bar(f"reason_accuracy[{s}]", scenarios.get(s, {}).get("reason_accuracy"),
                      ">=", REASON_ACCURACY_BAR) for s in ALL_SCENARIOS)
    return found


def _cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _loop_lines(loop: dict[str, Any]) -> list[str]:
    if loop["feedback"] != "loop":
        return ["trust loop: off (no step-up result, restore or outcome is reported)"]
    steps = loop["step_ups_reported"]
    restored = loop["time_to_restore"]["all"]
    p90 = f"p{PERCENTILE:g}_hours"
    return [
        f"trust loop: step-ups passed {steps.get('passed', 0)}, failed "
        f"{steps.get('failed', 0)}, abandoned {steps.get('abandoned', 0)}; "
        f"{restored['restored']} of {restored['freezes']} freezes restored (median "
        f"{_cell(restored['median_hours'], 1)} h, p{PERCENTILE:g} {_cell(restored[p90], 1)} h); "
        f"{loop['fraud_reports']} fraud reports",
        f"re-freezes of restored honest accounts: {loop['refreezes']} "
        f"({_cell(loop['refreezes_per_10k_accounts_per_day'], 2)} per 10k per day, "
        f"{loop['refrozen_accounts']} accounts); attacks through after a failed step-up: "
        f"{loop['attacks_through_after_step_up']} of {loop['attacks_stopped_at_step_up']}",
    ]


def summary_table(report: dict[str, Any]) -> str:
    """A few lines for a terminal: per scenario, per scorer, false alarms, bars."""
    data = report["data"]
    lines = [f"model {report['model']['version']}: {data['events']:,} events, "
             f"{data['accounts']:,} accounts, {data['days']:.1f} days; {data['split']}",
             "",
             f"{'scenario':<20}{'instances':>10}{'recall@CH':>11}{'recall@FR':>11}"
             f"{'events→CH':>11}{'events→FR':>11}{'reasons':>9}"]
    for name, row in report["scenarios"].items():
        lines.append(f"{name:<20}{row['instances']:>10}{_cell(row['recall_challenge']):>11}"
                     f"{_cell(row['recall_freeze']):>11}"
                     f"{_cell(row['events_to_challenge']['median'], 1):>11}"
                     f"{_cell(row['events_to_freeze']['median'], 1):>11}"
                     f"{_cell(row['reason_accuracy'], 2):>9}")
    lines += ["", f"{'scorer':<20}{'ROC-AUC':>10}{'PR-AUC':>10}{'R@0.1%FPR':>11}{'R@1%FPR':>10}"]
    for name, ranking in report["event_level"].items():
        at = {fpr: (point or {}).get("recall") for fpr, point in ranking["recall_at_fpr"].items()}
        lines.append(f"{name:<20}{_cell(ranking['roc_auc']):>10}{_cell(ranking['pr_auc']):>10}"
                     f"{_cell(at.get('0.001')):>11}{_cell(at.get('0.01')):>10}")
    alarms = report["false_alarms"]
    warm = alarms["after_first_week"]
    lines += ["", f"false freezes per 10k honest accounts per day: "
                  f"{_cell(alarms['freezes_per_10k_accounts_per_day'], 2)} ({alarms['freezes']} "
                  f"freezes, {alarms['honest_accounts']:,} accounts); false challenges: "
                  f"{_cell(alarms['challenges_per_10k_accounts_per_day'], 1)}; from day "
                  f"{WARM_UP_DAYS + 1:g} on: {_cell(warm['freezes_per_10k_accounts_per_day'], 2)} "
                  f"and {_cell(warm['challenges_per_10k_accounts_per_day'], 1)}",
              *_loop_lines(report["trust_loop"]), ""]
    if report.get("personas"):
        lines += ["false alarms of honest customers by persona (per 10k honest account-days; "
                  "!ALLOW: share of honest events not allowed)",
                  *persona_lines(report["personas"]), ""]
    for bar in report["bars"]:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[bar["pass"]]
        lines.append(f"{verdict}  {bar['bar']:<44}{_cell(bar['value']):>8} "
                     f"{bar['op']} {bar['target']:g}")
    runtime = report["runtime"]
    lines += ["", f"evaluated in {runtime['total_seconds']:.1f} s, of which the engine "
                  f"{runtime['engine_seconds']:.1f} s "
                  f"({_cell(runtime['engine_ms_per_event'], 3)} ms per event)"]
    return "\n".join(lines)
