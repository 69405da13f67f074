"""The console's gRPC calls to acctguard (AccountGuard and AccountGuardAdmin), with every
failure turned into a :class:`ConsoleError` a person can read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc

# Plain words for the status codes an analyst is likely to meet.
_EXPLANATIONS: dict[grpc.StatusCode, str] = {
    grpc.StatusCode.UNAVAILABLE: "acctguard cannot be reached at {target}: is it running, "
                                 "and are the console's --target and TLS options right?",
    grpc.StatusCode.UNAUTHENTICATED: "acctguard did not accept the console's token: start the "
                                     "console with an admin token (--token or ACCTGUARD_TOKEN).",
    grpc.StatusCode.PERMISSION_DENIED: "the console's token is not allowed to read this: it "
                                       "needs the admin role.",
    grpc.StatusCode.DEADLINE_EXCEEDED: "acctguard did not answer in time.",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "acctguard is busy; try again in a moment.",
    grpc.StatusCode.UNIMPLEMENTED: "this acctguard does not offer this information (an older "
                                   "version?).",
    grpc.StatusCode.INVALID_ARGUMENT: "acctguard refused the request.",
    grpc.StatusCode.NOT_FOUND: "acctguard has no such record.",
}


class ConsoleError(Exception):
    """A call that failed, as the status code's name and a sentence for the page."""

    def __init__(self, code: str, message: str, details: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


def describe(exc: grpc.RpcError, target: str) -> ConsoleError:
    code: grpc.StatusCode | None = exc.code() if isinstance(exc, grpc.Call) else None
    details = (exc.details() if isinstance(exc, grpc.Call) else "") or ""
    if code is None:
        return ConsoleError("UNKNOWN", "the call to acctguard failed.", details)
    text = _EXPLANATIONS.get(code, "the call to acctguard failed.").format(target=target)
    return ConsoleError(code.name, text, details)


@dataclass(frozen=True, slots=True)
class FrozenList:
    accounts: list[pb.FrozenAccount]
    truncated: bool  # more accounts are frozen than the console fetched


class GuardClient:
    """Blocking calls over one channel (thread-safe, shared by the HTTP server's threads)."""

    def __init__(self, channel: grpc.Channel, target: str,
                 metadata: Sequence[tuple[str, str]] = (), timeout: float = 5.0) -> None:
        self.target = target
        self.metadata = tuple(metadata)
        self.timeout = timeout
        self._guard: Any = rpc.AccountGuardStub(channel)  # type: ignore[no-untyped-call]
        self._admin: Any = rpc.AccountGuardAdminStub(channel)  # type: ignore[no-untyped-call]

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request, timeout=self.timeout, metadata=self.metadata)
        except grpc.RpcError as exc:
            raise describe(exc, self.target) from None

    def decision_summary(self, hours: int) -> pb.DecisionSummary:
        reply: pb.DecisionSummary = self._call(self._admin.GetDecisionSummary,
                                               pb.GetDecisionSummaryRequest(hours=hours))
        return reply

    def model_info(self) -> pb.ModelInfo:
        reply: pb.ModelInfo = self._call(self._admin.GetModelInfo, pb.GetModelInfoRequest())
        return reply

    def frozen_accounts(self, limit: int = 500, page_size: int = 100) -> FrozenList:
        """Frozen accounts, most recently frozen first, following pages up to ``limit``."""
        accounts: list[pb.FrozenAccount] = []
        token = ""
        while True:
            reply: pb.ListFrozenAccountsResponse = self._call(
                self._admin.ListFrozenAccounts,
                pb.ListFrozenAccountsRequest(page_size=page_size, page_token=token))
            accounts.extend(reply.accounts)
            token = reply.next_page_token
            if not token or len(accounts) >= limit:
                return FrozenList(accounts[:limit], bool(token) or len(accounts) > limit)

    def account_status(self, account_id: str) -> pb.AccountStatus:
        reply: pb.AccountStatus = self._call(self._guard.GetAccountStatus,
                                             pb.GetAccountStatusRequest(account_id=account_id))
        return reply

    def account_statuses(self, account_ids: Iterable[str],
                         ) -> dict[str, pb.AccountStatus | ConsoleError]:
        """GetAccountStatus for many accounts at once (the calls run concurrently)."""
        futures = {account: self._guard.GetAccountStatus.future(
            pb.GetAccountStatusRequest(account_id=account), timeout=self.timeout,
            metadata=self.metadata) for account in account_ids}
        results: dict[str, pb.AccountStatus | ConsoleError] = {}
        for account, future in futures.items():
            try:
                results[account] = future.result()
            except grpc.RpcError as exc:
                results[account] = describe(exc, self.target)
        return results

    def audit_trail(self, account_id: str, page_token: str = "",
                    page_size: int = 100) -> pb.GetAuditTrailResponse:
        reply: pb.GetAuditTrailResponse = self._call(
            self._admin.GetAuditTrail, pb.GetAuditTrailRequest(
                account_id=account_id, page_size=page_size, page_token=page_token))
        return reply

    def account_events(self, account_id: str, page_token: str = "",
                       page_size: int = 50) -> pb.ListAccountEventsResponse:
        """One page of the account's scored events, newest first."""
        reply: pb.ListAccountEventsResponse = self._call(
            self._admin.ListAccountEvents, pb.ListAccountEventsRequest(
                account_id=account_id, page_size=page_size, page_token=page_token))
        return reply
