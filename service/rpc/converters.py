"""The only module that translates between protobuf messages and domain values."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    Event,
    LoginEvent,
    TransactionEvent,
)
from detectors.reasons import Reason
from detectors.trust import DeviceTrust
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.domain.audit import AuditEntry
from service.domain.decisions import ScoreResult
from service.domain.errors import InvalidArgument
from service.domain.freezes import Freeze
from service.domain.verification import Challenge, ChallengeState


def timestamp_to_seconds(ts: Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9


def seconds_to_timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    whole = int(seconds // 1)
    ts.seconds = whole
    ts.nanos = min(999_999_999, round((seconds - whole) * 1e9))
    return ts


def _occurred_at(message: pb.LoginEvent | pb.TransactionEvent | pb.AccountChangeEvent,
                 field: str) -> float:
    if not message.HasField("occurred_at"):
        raise InvalidArgument(f"{field}.occurred_at", "is required")
    return timestamp_to_seconds(message.occurred_at)


def _credit_feature(value: int, field: str) -> CreditFeature:
    try:
        return CreditFeature(value)
    except ValueError:
        raise InvalidArgument(field, "must be one of " + ", ".join(f.name for f in CreditFeature)
                              ) from None


def event_from_request(request: pb.ScoreRequest) -> Event:
    which = request.WhichOneof("event")
    if which == "login":
        m = request.login
        return LoginEvent(
            event_id=m.event_id, account_id=m.account_id,
            occurred_at=_occurred_at(m, "login"), ip=m.ip, device_id=m.device_id,
            user_agent=m.user_agent, country=m.country, latitude=m.latitude,
            longitude=m.longitude, asn=m.asn, success=m.success, auth_method=m.auth_method)
    if which == "transaction":
        t = request.transaction
        return TransactionEvent(
            event_id=t.event_id, account_id=t.account_id,
            occurred_at=_occurred_at(t, "transaction"), amount_minor=t.amount_minor,
            currency=t.currency, payee_id=t.payee_id,
            feature=_credit_feature(t.feature, "transaction.feature"), channel=t.channel,
            device_id=t.device_id, ip=t.ip, country=t.country)
    if which == "account_change":
        c = request.account_change
        try:
            change = AccountChangeKind(c.change)
        except ValueError:
            raise InvalidArgument("account_change.change", "must be one of " + ", ".join(
                k.name for k in AccountChangeKind)) from None
        return AccountChangeEvent(
            event_id=c.event_id, account_id=c.account_id,
            occurred_at=_occurred_at(c, "account_change"), change=change,
            device_id=c.device_id, ip=c.ip)
    raise InvalidArgument("event", "one of login, transaction or account_change is required")


def event_to_request(event: Event) -> pb.ScoreRequest:
    """For clients (the CLI, tests, the load tool)."""
    if isinstance(event, LoginEvent):
        return pb.ScoreRequest(login=pb.LoginEvent(
            event_id=event.event_id, account_id=event.account_id,
            occurred_at=seconds_to_timestamp(event.occurred_at), ip=event.ip,
            device_id=event.device_id, user_agent=event.user_agent, country=event.country,
            latitude=event.latitude, longitude=event.longitude, asn=event.asn,
            success=event.success, auth_method=event.auth_method))
    if isinstance(event, TransactionEvent):
        return pb.ScoreRequest(transaction=pb.TransactionEvent(
            event_id=event.event_id, account_id=event.account_id,
            occurred_at=seconds_to_timestamp(event.occurred_at),
            amount_minor=event.amount_minor, currency=event.currency, payee_id=event.payee_id,
            feature=event.feature.name, channel=event.channel, device_id=event.device_id,
            ip=event.ip, country=event.country))
    return pb.ScoreRequest(account_change=pb.AccountChangeEvent(
        event_id=event.event_id, account_id=event.account_id,
        occurred_at=seconds_to_timestamp(event.occurred_at), change=event.change.name,
        device_id=event.device_id, ip=event.ip))


def reason_to_proto(reason: Reason) -> pb.Reason:
    return pb.Reason(code=reason.code.name, message=reason.message, weight=reason.weight)


def result_to_response(result: ScoreResult) -> pb.ScoreResponse:
    return pb.ScoreResponse(
        event_id=result.event_id, risk=result.risk, decision=result.decision.name,
        reasons=[reason_to_proto(r) for r in result.reasons],
        frozen_features=[f.name for f in result.frozen_features],
        freeze_id=result.freeze_id, model_version=result.model_version,
        would_decision=result.would_decision.name if result.would_decision else None)


def account_event_to_proto(result: ScoreResult) -> pb.AccountEvent:
    """A stored result as the admin listing shows it (occurred_at unset when the event itself
    was not kept with its result)."""
    return pb.AccountEvent(
        event_id=result.event_id, kind=str(result.kind),
        occurred_at=(seconds_to_timestamp(result.event.occurred_at)
                     if result.event is not None else None),
        scored_at=seconds_to_timestamp(result.scored_at), risk=result.risk,
        decision=result.decision.name, reasons=[reason_to_proto(r) for r in result.reasons],
        model_version=result.model_version,
        would_decision=result.would_decision.name if result.would_decision else None,
        freeze_id=result.freeze_id)


def freeze_to_proto(freeze: Freeze, now: float) -> pb.Freeze:
    return pb.Freeze(
        freeze_id=freeze.freeze_id, account_id=freeze.account_id,
        features=[f.name for f in freeze.features],
        reasons=[reason_to_proto(r) for r in freeze.reasons], risk=freeze.risk,
        event_id=freeze.event_id, created_at=seconds_to_timestamp(freeze.created_at),
        expires_at=seconds_to_timestamp(freeze.expires_at), state=freeze.state_at(now).name,
        placed_by=freeze.placed_by, lifted_by=freeze.lifted_by, lift_reason=freeze.lift_reason,
        lifted_at=(seconds_to_timestamp(freeze.lifted_at) if freeze.lifted_at is not None
                   else None))


def device_trust_to_proto(trust: DeviceTrust) -> pb.DeviceTrust:
    return pb.DeviceTrust(device_id=trust.device_id, state=trust.state.name, reason=trust.reason,
                          until=seconds_to_timestamp(trust.until) if trust.until else None)


def challenge_to_proto(challenge: Challenge) -> pb.Challenge:
    return pb.Challenge(
        challenge_id=challenge.challenge_id, method=challenge.method.name,
        created_at=seconds_to_timestamp(challenge.created_at),
        expires_at=seconds_to_timestamp(challenge.expires_at),
        attempts_left=challenge.attempts_left,
        verified=challenge.state is ChallengeState.VERIFIED)


def audit_entry_to_proto(entry: AuditEntry) -> pb.AuditEntry:
    record = entry.record
    return pb.AuditEntry(
        sequence=entry.sequence, at=seconds_to_timestamp(record.at), actor=record.actor,
        action=record.action, account_id=record.account_id, subject_id=record.subject_id,
        detail=record.detail, hash=entry.hash)
