"""The deployment-mode result of the public card data as markdown (for docs/evaluation.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Result = dict[str, Any]
SCENARIO_NAMES = {"1": "1 amount > 220", "2": "2 compromised terminal",
                  "3": "3 compromised customer"}
# The project's bar for the full run: compromised customers (the takeover-like scenario) caught
# at 1% false positives, and honest customers flagged within the calibrated budget.
TARGET_SCENARIO, TARGET_RECALL = "3", 0.60


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.3g}%"


def _catch_row(name: str, m: Result) -> list[str]:
    return [name, f"{m['frauds']:,}", _num(m["recall_challenge_or_freeze"]),
            _num(m["recall_freeze"]), _num(m["recall_at_fpr_0.01"]), _num(m["roc_auc"])]


def target_verdict(metrics: Result) -> str:
    """Whether the project's target for the full run is met, with the figures it rests on."""
    recall = metrics["by_scenario"][TARGET_SCENARIO]["recall_at_fpr_0.01"]
    within = metrics["honest_within_budget"]
    met = recall is not None and recall >= TARGET_RECALL and all(within.values())
    flags, budget = metrics["honest_flagged"], metrics["calibrated_budget"]
    return (f"target (scenario 3 recall at 1% FPR >= {TARGET_RECALL:.2f}, honest flag rates "
            f"within the calibrated budget): **{'met' if met else 'not met'}**: scenario 3 "
            f"recall at 1% FPR {_num(recall)}; honest CHALLENGE-or-FREEZE "
            f"{_pct(flags['challenge_or_freeze'])} (budget {_pct(budget['challenge_or_freeze'])}"
            f", {'within' if within['challenge_or_freeze'] else 'over'}), FREEZE "
            f"{_pct(flags['freeze'])} (budget {_pct(budget['freeze'])}, "
            f"{'within' if within['freeze'] else 'over'})")


def deployment_report(result: Result, quick: bool = False) -> str:
    if "skipped" in result:
        return f"fraud_handbook_sim deployment mode: skipped ({result['skipped']})"
    m, plan, cal = result["replay_metrics"], result["plan"], result["calibration"]
    thresholds = m["thresholds"]
    what = "the real public data" + (", a sample of its customers"
                                     if result["customers_sampled"] else ", every customer")
    intro = (
        f"**fraud_handbook_sim, deployment mode** ({'short mode: ' if quick else ''}{what}). "
        f"History {result['history_period'][0]} … {result['history_period'][1]}: "
        f"{result['history_rows']:,} rows, {result['history_customers']:,} customers, frauds "
        f"by scenario {result['history_frauds_by_scenario']} left unlabelled in the log. "
        f"`acctguard train --events`: {'; '.join(result['training']['console'])}. Backfilled "
        f"through `acctguard serve` in audit mode "
        f"({result['score_batch_events_per_second']['backfill']:,} events/s over ScoreBatch), "
        f"calibrated with `acctguard calibrate --data-dir` for a CHALLENGE budget of "
        f"{_pct(plan['challenge_rate'])} and a FREEZE budget of {_pct(plan['freeze_rate'])} "
        f"(transaction thresholds {thresholds['challenge']:.6f} and "
        f"{thresholds['freeze']:.6f}; {cal['events'].get('transaction', 0):,} events). Replayed "
        f"{result['replay_period'][0]} … {result['replay_period'][1]}: "
        f"{result['replay_rows']:,} rows ({m['honest_events']:,} honest, frauds by scenario "
        f"{result['replay_frauds_by_scenario']}) through the calibrated server in audit mode "
        f"({result['score_batch_events_per_second']['replay']:,} events/s); a decision is its "
        f"would_decision. Recall at 1% FPR: the share at or above the risk "
        f"{m['risk_at_fpr_0.01']:.6f}, which 1% of honest replayed events reach.")
    catches = _table(
        ["scenario", "frauds", "recall CHALLENGE-or-FREEZE", "recall FREEZE",
         "recall @1% FPR (risk)", "ROC-AUC (risk)"],
        [*(_catch_row(SCENARIO_NAMES.get(k, k), v) for k, v in m["by_scenario"].items()),
         _catch_row("all frauds", m["all_frauds"])])
    flags, budget, risk = m["honest_flagged"], m["calibrated_budget"], m["honest_risk_at_or_above"]
    honest = _table(
        ["honest events", "CHALLENGE-or-FREEZE", "FREEZE"],
        [["flagged by the service's decisions", _pct(flags["challenge_or_freeze"]),
          _pct(flags["freeze"])],
         ["risk at or above the threshold", _pct(risk["challenge_threshold"]),
          _pct(risk["freeze_threshold"])],
         ["calibrated budget", _pct(budget["challenge_or_freeze"]), _pct(budget["freeze"])]])
    verdict = ("short mode: no target" if quick else target_verdict(m))
    return "\n\n".join([intro, catches, honest, verdict,
                        f"stages (s): {result['seconds']}"])
