"""AccountGuardAdmin handlers: operators' freezes and lifts, listings, audit trail, model."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from detectors.base_model import KindOrigins
from detectors.events import EventKind
from detectors.model import RiskModel
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.domain.admin import (
    DEFAULT_EVENTS_PAGE,
    MAX_EVENTS_PAGE,
    AdminService,
    page_size,
)
from service.domain.clock import Clock
from service.domain.errors import InvalidArgument, Unimplemented
from service.domain.freezes import frozen_features
from service.domain.validation import check_id
from service.metrics import Metrics
from service.model_reload import ModelReloader
from service.rpc.converters import (
    account_event_to_proto,
    audit_entry_to_proto,
    freeze_to_proto,
    seconds_to_timestamp,
)
from service.rpc.registry import Context
from service.rpc.servicer import current_actor
from service.rpc.worker import StoreWorker


def encode_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def decode_token(token: str, field: str = "page_token") -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise InvalidArgument(field, "is not a token from a previous response") from None


def _frozen_cursor(token: str) -> tuple[float, str] | None:
    if not token:
        return None
    value = decode_token(token)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int | float)
            and isinstance(value[1], str)):
        raise InvalidArgument("page_token", "is not a token from a previous response")
    return float(value[0]), value[1]


def _event_cursor(token: str) -> tuple[float, str] | None:
    """The (scored_at, event_id) of the last event of the previous page."""
    return _frozen_cursor(token)


def _sequence_cursor(token: str) -> int:
    if not token:
        return 0
    value = decode_token(token)
    if not isinstance(value, int) or value < 0:
        raise InvalidArgument("page_token", "is not a token from a previous response")
    return value


def model_info(model: RiskModel) -> pb.ModelInfo:
    """The artifact as the admin API describes it."""
    metadata = model.metadata
    login = model.kinds[EventKind.LOGIN].thresholds
    origins = KindOrigins.of(metadata)
    info = pb.ModelInfo(
        version=model.version, detectors=list(metadata.get("detectors", [])),
        challenge_threshold=login.challenge, freeze_threshold=login.freeze,
        trained_kinds=[str(kind) for kind in origins.trained],
        base_kinds=[str(kind) for kind in origins.from_base],
        base_model_version=origins.base_version,
        source=json.dumps({
            "source": metadata.get("source", {}),
            "thresholds": {str(k): {"challenge": m.thresholds.challenge,
                                    "freeze": m.thresholds.freeze}
                           for k, m in model.kinds.items()},
            "kind_origins": origins.to_metadata(),
            **{key: metadata[key] for key in ("challenge_fpr", "freeze_fpr", "rows",
                                              "test_fraction", "libraries", "calibration")
               if key in metadata},
        }, sort_keys=True))
    created = metadata.get("created_at")
    if isinstance(created, str):
        info.trained_at.CopyFrom(seconds_to_timestamp(
            datetime.fromisoformat(created).timestamp()))
    return info


class AdminHandlers:
    def __init__(self, admin: AdminService, model: Callable[[], RiskModel], clock: Clock,
                 worker: StoreWorker, metrics: Metrics | None = None,
                 reloader: ModelReloader | None = None) -> None:
        self.admin = admin
        self.model = model  # the model serving now (it can change on reload)
        self.clock = clock
        self.worker = worker
        self.metrics = metrics
        self.reloader = reloader

    async def freeze_account(self, request: pb.FreezeAccountRequest,
                             context: Context) -> pb.Freeze:
        structlog.contextvars.bind_contextvars(account_id=request.account_id[:128])
        freeze = await self.worker.run(self.admin.freeze_account, request.account_id,
                                       list(request.features), request.reason,
                                       request.ttl_seconds, current_actor())
        structlog.contextvars.bind_contextvars(freeze_id=freeze.freeze_id)
        if self.metrics is not None:
            self.metrics.freeze_placed(freeze)
        return freeze_to_proto(freeze, self.clock.now())

    async def lift_freeze(self, request: pb.LiftFreezeRequest, context: Context) -> pb.Freeze:
        structlog.contextvars.bind_contextvars(freeze_id=request.freeze_id[:128])
        freeze = await self.worker.run(self.admin.lift_freeze, request.freeze_id,
                                       request.reason, current_actor())
        if self.metrics is not None:
            self.metrics.freezes_lifted_by("operator")
        return freeze_to_proto(freeze, self.clock.now())

    async def list_frozen_accounts(self, request: pb.ListFrozenAccountsRequest,
                                   context: Context) -> pb.ListFrozenAccountsResponse:
        limit = page_size(request.page_size)
        after = _frozen_cursor(request.page_token)
        accounts = await self.worker.run(self.admin.frozen_accounts, limit, after)
        response = pb.ListFrozenAccountsResponse(accounts=[pb.FrozenAccount(
            account_id=a.account_id, active_freezes=len(a.freezes),
            frozen_features=[f.name for f in frozen_features(a.freezes)],
            last_frozen_at=seconds_to_timestamp(a.last_frozen_at)) for a in accounts])
        if len(accounts) == limit:
            response.next_page_token = encode_token([accounts[-1].last_frozen_at,
                                                     accounts[-1].account_id])
        return response

    async def get_audit_trail(self, request: pb.GetAuditTrailRequest,
                              context: Context) -> pb.GetAuditTrailResponse:
        check_id("account_id", request.account_id)
        structlog.contextvars.bind_contextvars(account_id=request.account_id)
        limit = page_size(request.page_size)
        after = _sequence_cursor(request.page_token)
        entries = await self.worker.run(self.admin.audit_trail, request.account_id, after,
                                        limit)
        response = pb.GetAuditTrailResponse(entries=[audit_entry_to_proto(e) for e in entries])
        if len(entries) == limit:
            response.next_page_token = encode_token(entries[-1].sequence)
        return response

    async def list_account_events(self, request: pb.ListAccountEventsRequest,
                                  context: Context) -> pb.ListAccountEventsResponse:
        check_id("account_id", request.account_id)
        structlog.contextvars.bind_contextvars(account_id=request.account_id)
        limit = page_size(request.page_size, DEFAULT_EVENTS_PAGE, MAX_EVENTS_PAGE)
        before = _event_cursor(request.page_token)
        results = await self.worker.run(self.admin.account_events, request.account_id, limit,
                                        before)
        response = pb.ListAccountEventsResponse(
            events=[account_event_to_proto(r) for r in results])
        if len(results) == limit:
            response.next_page_token = encode_token([results[-1].scored_at,
                                                     results[-1].event_id])
        return response

    async def reload_model(self, request: pb.ReloadModelRequest,
                           context: Context) -> pb.ModelInfo:
        if self.reloader is None:
            raise Unimplemented("model reload is not configured on this server")
        structlog.contextvars.bind_contextvars(path=request.path or None)
        model = await self.reloader.reload(request.path)
        return model_info(model)

    async def get_model_info(self, request: pb.GetModelInfoRequest,
                             context: Context) -> pb.ModelInfo:
        return model_info(self.model())


    async def verify_audit_chain(self, request: pb.VerifyAuditChainRequest,
                                 context: Context) -> pb.VerifyAuditChainResponse:
        check = await self.worker.run(self.admin.verify_audit_chain)
        return pb.VerifyAuditChainResponse(intact=check.intact, entries=check.entries,
                                           first_bad_sequence=check.first_bad_sequence)

    async def forget_account(self, request: pb.ForgetAccountRequest,
                             context: Context) -> pb.ForgetAccountResponse:
        erased = await self.worker.run(self.admin.forget_account, request.account_id,
                                       request.reason, current_actor())
        return pb.ForgetAccountResponse(profiles_erased=erased.get("profiles", 0),
                                        events_erased=erased.get("scored_events", 0),
                                        audit_entries_redacted=erased.get("audit_log", 0))

    async def get_decision_summary(self, request: pb.GetDecisionSummaryRequest,
                                   context: Context) -> pb.DecisionSummary:
        hours = await self.worker.run(self.admin.decision_summary, request.hours)
        return pb.DecisionSummary(hours=[pb.DecisionCount(
            hour=seconds_to_timestamp(h.hour), allow=h.allow, challenge=h.challenge,
            freeze=h.freeze) for h in hours])

    def behaviors(self) -> dict[str, Callable[..., Any]]:
        return {
            "FreezeAccount": self.freeze_account,
            "LiftFreeze": self.lift_freeze,
            "ListFrozenAccounts": self.list_frozen_accounts,
            "GetAuditTrail": self.get_audit_trail,
            "GetModelInfo": self.get_model_info,
            "VerifyAuditChain": self.verify_audit_chain,
            "GetDecisionSummary": self.get_decision_summary,
            "ReloadModel": self.reload_model,
            "ForgetAccount": self.forget_account,
            "ListAccountEvents": self.list_account_events,
        }
