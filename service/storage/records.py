"""Row encodings shared by the SQL stores: reasons and features as compact JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import orjson

from detectors.events import (
    AccountChangeEvent,
    CreditFeature,
    Event,
    EventKind,
    TransactionEvent,
    event_from_dict,
)
from detectors.reasons import Reason, ReasonCode
from detectors.trust import EntityKind
from service.domain.audit import AuditRecord
from service.domain.decisions import Decision, ScoreResult
from service.domain.feedback import (
    ChallengeReport,
    ChallengeResult,
    FraudEvidence,
    Outcome,
    OutcomeReport,
)
from service.domain.freezes import Freeze, FreezeState
from service.domain.verification import Challenge, ChallengeState, VerificationMethod


def reasons_to_json(reasons: Iterable[Reason]) -> str:
    rows = [(r.code.name, r.message, float(r.weight)) for r in reasons]
    if not all(math.isfinite(weight) for _, _, weight in rows):
        return json.dumps(rows)  # orjson would write null for NaN or infinity
    # orjson: most rows have no reasons or one or two, and json.dumps costs µs even for "[]".
    try:
        return orjson.dumps(rows).decode()
    except orjson.JSONEncodeError:  # text orjson refuses (a lone surrogate): json takes it
        return json.dumps(rows)


def reasons_from_json(text: str) -> tuple[Reason, ...]:
    return tuple(Reason(ReasonCode[code], message, float(weight))
                 for code, message, weight in json.loads(text))


def features_to_json(features: Iterable[CreditFeature]) -> str:
    return orjson.dumps([f.name for f in features]).decode()


def features_from_json(text: str) -> tuple[CreditFeature, ...]:
    return tuple(CreditFeature[name] for name in json.loads(text))


def event_to_json(event: Event | None) -> str:
    """The event as JSON ('' for none), enums by name as :func:`event_to_dict` writes them."""
    if event is None:
        return ""
    fields: dict[str, Any] = {name: getattr(event, name) for name in event.__slots__}
    if isinstance(event, TransactionEvent):
        fields["feature"] = event.feature.name
    elif isinstance(event, AccountChangeEvent):
        fields["change"] = event.change.name
    fields["kind"] = str(event.kind)
    try:
        return orjson.dumps(fields).decode()
    except (orjson.JSONEncodeError, TypeError):  # text orjson refuses, a non-finite number
        return json.dumps(fields)


def event_from_json(text: str | None) -> Event | None:
    return event_from_dict(orjson.loads(text)) if text else None


def result_row(result: ScoreResult) -> dict[str, Any]:
    return {
        "event_id": result.event_id, "account_id": result.account_id,
        "kind": str(result.kind), "risk": result.risk, "decision": result.decision.name,
        "reasons": reasons_to_json(result.reasons),
        "frozen_features": features_to_json(result.frozen_features),
        "freeze_id": result.freeze_id, "model_version": result.model_version,
        "scored_at": result.scored_at,
        "would_decision": result.would_decision.name if result.would_decision else "",
        "event": event_to_json(result.event),
    }


def result_from_row(row: dict[str, Any]) -> ScoreResult:
    return ScoreResult(
        event_id=row["event_id"], account_id=row["account_id"], kind=EventKind(row["kind"]),
        risk=float(row["risk"]), decision=Decision[row["decision"]],
        reasons=reasons_from_json(row["reasons"]),
        frozen_features=features_from_json(row["frozen_features"]),
        freeze_id=row["freeze_id"], model_version=row["model_version"],
        scored_at=float(row["scored_at"]),
        would_decision=Decision[row["would_decision"]] if row.get("would_decision") else None,
        event=event_from_json(row.get("event")))


def freeze_row(freeze: Freeze) -> dict[str, Any]:
    return {
        "freeze_id": freeze.freeze_id, "account_id": freeze.account_id,
        # Operator freezes have no event: NULL keeps the column's uniqueness for the others.
        "event_id": freeze.event_id or None, "features": features_to_json(freeze.features),
        "reasons": reasons_to_json(freeze.reasons), "risk": freeze.risk,
        "created_at": freeze.created_at, "expires_at": freeze.expires_at,
        "state": freeze.state.name, "placed_by": freeze.placed_by,
        "lifted_at": freeze.lifted_at, "lifted_by": freeze.lifted_by,
        "lift_reason": freeze.lift_reason,
    }


def freeze_from_row(row: dict[str, Any]) -> Freeze:
    lifted_at = row.get("lifted_at")
    return Freeze(
        freeze_id=row["freeze_id"], account_id=row["account_id"],
        event_id=row["event_id"] or "", features=features_from_json(row["features"]),
        reasons=reasons_from_json(row["reasons"]), risk=float(row["risk"]),
        created_at=float(row["created_at"]), expires_at=float(row["expires_at"]),
        state=FreezeState[row["state"]], placed_by=row.get("placed_by") or "engine",
        lifted_at=float(lifted_at) if lifted_at is not None else None,
        lifted_by=row.get("lifted_by") or "", lift_reason=row.get("lift_reason") or "")


def freeze_audit_record(freeze: Freeze) -> AuditRecord:
    """The audit entry for a freeze placed by the engine."""
    return AuditRecord.of(freeze.created_at, freeze.placed_by, "freeze.placed",
                          freeze.account_id, freeze.freeze_id, event_id=freeze.event_id,
                          features=[f.name for f in freeze.features],
                          reasons=[r.code.name for r in freeze.reasons],
                          risk=round(freeze.risk, 6), expires_at=freeze.expires_at)


def challenge_row(challenge: Challenge) -> dict[str, Any]:
    return {
        "challenge_id": challenge.challenge_id, "account_id": challenge.account_id,
        "method": challenge.method.name, "started_by": challenge.started_by,
        "created_at": challenge.created_at, "expires_at": challenge.expires_at,
        "attempts_allowed": challenge.attempts_allowed, "code_mac": challenge.code_mac,
        "failures": challenge.failures, "state": challenge.state.value,
        "verified_at": challenge.verified_at, "used_at": challenge.used_at,
        "device_id": challenge.device_id, "ip": challenge.ip,
    }


def challenge_from_row(row: dict[str, Any]) -> Challenge:
    return Challenge(
        challenge_id=row["challenge_id"], account_id=row["account_id"],
        method=VerificationMethod[row["method"]], started_by=row["started_by"],
        created_at=float(row["created_at"]), expires_at=float(row["expires_at"]),
        attempts_allowed=int(row["attempts_allowed"]), code_mac=row["code_mac"],
        failures=int(row["failures"]), state=ChallengeState(row["state"]),
        verified_at=_optional_float(row["verified_at"]), used_at=_optional_float(row["used_at"]),
        device_id=row.get("device_id") or "", ip=row.get("ip") or "")


def outcome_from_row(row: dict[str, Any]) -> OutcomeReport:
    return OutcomeReport(row["event_id"], row["account_id"], Outcome[row["outcome"]],
                         float(row["reported_at"]), row["reported_by"])


def challenge_report_row(report: ChallengeReport) -> dict[str, Any]:
    return {"event_id": report.event_id, "account_id": report.account_id,
            "result": report.result.name, "method": report.method,
            "reported_at": report.reported_at, "reported_by": report.reported_by,
            "learned": int(report.learned), "note": report.note}


def challenge_report_from_row(row: dict[str, Any]) -> ChallengeReport:
    return ChallengeReport(row["event_id"], row["account_id"], ChallengeResult[row["result"]],
                           row["method"], float(row["reported_at"]), row["reported_by"],
                           bool(row["learned"]), row["note"])


def evidence_row(evidence: FraudEvidence) -> dict[str, Any]:
    return {"entity_kind": evidence.kind.name, "entity_key": evidence.key,
            "account_id": evidence.account_id, "event_id": evidence.event_id,
            "reported_at": evidence.reported_at}


def evidence_from_row(row: dict[str, Any]) -> FraudEvidence:
    return FraudEvidence(EntityKind[row["entity_kind"]], row["entity_key"], row["account_id"],
                         row["event_id"], float(row["reported_at"]))


def _optional_float(value: Any) -> float | None:
    return float(value) if value is not None else None
