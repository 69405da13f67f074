"""Row encodings shared by the SQL stores: reasons and features as compact JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from detectors.events import CreditFeature, EventKind
from detectors.reasons import Reason, ReasonCode
from service.domain.decisions import Decision, ScoreResult
from service.domain.freezes import Freeze, FreezeState


def reasons_to_json(reasons: Iterable[Reason]) -> str:
    return json.dumps([[r.code.name, r.message, r.weight] for r in reasons])


def reasons_from_json(text: str) -> tuple[Reason, ...]:
    return tuple(Reason(ReasonCode[code], message, float(weight))
                 for code, message, weight in json.loads(text))


def features_to_json(features: Iterable[CreditFeature]) -> str:
    return json.dumps([f.name for f in features])


def features_from_json(text: str) -> tuple[CreditFeature, ...]:
    return tuple(CreditFeature[name] for name in json.loads(text))


def result_row(result: ScoreResult) -> dict[str, Any]:
    return {
        "event_id": result.event_id, "account_id": result.account_id,
        "kind": str(result.kind), "risk": result.risk, "decision": result.decision.name,
        "reasons": reasons_to_json(result.reasons),
        "frozen_features": features_to_json(result.frozen_features),
        "freeze_id": result.freeze_id, "model_version": result.model_version,
        "scored_at": result.scored_at,
    }


def result_from_row(row: dict[str, Any]) -> ScoreResult:
    return ScoreResult(
        event_id=row["event_id"], account_id=row["account_id"], kind=EventKind(row["kind"]),
        risk=float(row["risk"]), decision=Decision[row["decision"]],
        reasons=reasons_from_json(row["reasons"]),
        frozen_features=features_from_json(row["frozen_features"]),
        freeze_id=row["freeze_id"], model_version=row["model_version"],
        scored_at=float(row["scored_at"]))


def freeze_row(freeze: Freeze) -> dict[str, Any]:
    return {
        "freeze_id": freeze.freeze_id, "account_id": freeze.account_id,
        "event_id": freeze.event_id, "features": features_to_json(freeze.features),
        "reasons": reasons_to_json(freeze.reasons), "risk": freeze.risk,
        "created_at": freeze.created_at, "expires_at": freeze.expires_at,
        "state": freeze.state.name,
    }


def freeze_from_row(row: dict[str, Any]) -> Freeze:
    return Freeze(
        freeze_id=row["freeze_id"], account_id=row["account_id"], event_id=row["event_id"],
        features=features_from_json(row["features"]), reasons=reasons_from_json(row["reasons"]),
        risk=float(row["risk"]), created_at=float(row["created_at"]),
        expires_at=float(row["expires_at"]), state=FreezeState[row["state"]])


def audit_detail_for_freeze(freeze: Freeze) -> str:
    return json.dumps({
        "features": [f.name for f in freeze.features],
        "reasons": [r.code.name for r in freeze.reasons],
        "risk": round(freeze.risk, 6), "expires_at": freeze.expires_at,
    }, sort_keys=True)
