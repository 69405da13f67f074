"""Client commands for the restore path, feedback and the admin service: `acctguard verify
...`, `unfreeze`, `outcomes report`, `challenge result`, `admin ...`. Each prints the reply as
JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from service.cli_client import ClientOptions, client_options, rpc_failure
from service.config import Settings

target_option = click.option("--target", default=None, help="host:port [env ACCTGUARD_LISTEN]")


def _call(client: ClientOptions, target: str | None, admin: bool, method: str,
          request: Any, *, defaults: bool = False) -> Any:
    """Call ``method`` and print its reply as JSON; ``defaults`` prints fields left at their
    default too (``false``, ``""``, ``[]``), for replies whose every field should show. A failed
    call is a one-line error and exit status 1."""
    import grpc
    from google.protobuf.json_format import MessageToDict

    from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc

    with client.channel(target or Settings().listen) as channel:
        stub: Any = (rpc.AccountGuardAdminStub(channel) if admin  # type: ignore[no-untyped-call]
                     else rpc.AccountGuardStub(channel))  # type: ignore[no-untyped-call]
        try:
            reply = getattr(stub, method)(request, timeout=10.0, metadata=client.metadata)
        except grpc.RpcError as exc:
            raise rpc_failure(exc) from exc
    click.echo(json.dumps(MessageToDict(reply, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=defaults),
                          indent=2))
    return reply


def _pb() -> Any:
    from service.api.acctguard.v1 import acctguard_pb2 as pb
    return pb


@click.group()
def verify() -> None:
    """Identity verification for a frozen account (role verifier)."""


@verify.command("start")
@click.option("--account", required=True)
@click.option("--method", type=click.Choice(["code", "totp"]), default="code", show_default=True,
              help="code: a one-time code (webhook, or returned to you); totp: authenticator app")
@click.option("--device", "device_id", default="",
              help="device id of the party verifying (optional)")
@click.option("--ip", default="", help="IP address of the party verifying (optional)")
@target_option
@client_options
def verify_start(account: str, method: str, device_id: str, ip: str, target: str | None,
                 client: ClientOptions) -> None:
    """Open a challenge; prints its id (and the code, when you are to deliver it)."""
    pb = _pb()
    chosen = pb.ONE_TIME_CODE if method == "code" else pb.TOTP
    _call(client, target, False, "StartVerification", pb.StartVerificationRequest(
        account_id=account, method=chosen, device_id=device_id, ip=ip))


@verify.command("complete")
@click.option("--challenge", required=True)
@click.option("--code", required=True)
@target_option
@client_options
def verify_complete(challenge: str, code: str, target: str | None,
                    client: ClientOptions) -> None:
    """Check a code: verified, or not with the attempts left (every field printed; exit status
    1 when not verified)."""
    pb = _pb()
    reply = _call(client, target, False, "CompleteVerification",
                  pb.CompleteVerificationRequest(challenge_id=challenge, code=code),
                  defaults=True)
    if not reply.verified:
        raise SystemExit(1)


@verify.command("enroll")
@click.option("--account", required=True)
@click.option("--issuer", default="acctguard", show_default=True)
@target_option
@client_options
def verify_enroll(account: str, issuer: str, target: str | None, client: ClientOptions) -> None:
    """Enrol an authenticator app (not while the account is frozen); prints the secret once."""
    pb = _pb()
    _call(client, target, False, "EnrollAuthenticator",
          pb.EnrollAuthenticatorRequest(account_id=account, issuer=issuer))


@click.command()
@click.option("--account", required=True)
@click.option("--challenge", required=True, help="a verified challenge of the same account")
@target_option
@client_options
def unfreeze(account: str, challenge: str, target: str | None, client: ClientOptions) -> None:
    """Lift the freezes a verified challenge covers; prints the restored features."""
    pb = _pb()
    _call(client, target, False, "Unfreeze",
          pb.UnfreezeRequest(account_id=account, challenge_id=challenge))


@click.command("report")
@click.option("--event", "event_id", required=True)
@click.option("--outcome", type=click.Choice(["fraud", "legitimate"]), required=True)
@target_option
@client_options
def report_outcome(event_id: str, outcome: str, target: str | None,
                   client: ClientOptions) -> None:
    """Report what a scored event turned out to be: fraud freezes the account's credit;
    legitimate lifts the freeze the event caused and learns the event."""
    pb = _pb()
    chosen = pb.CONFIRMED_FRAUD if outcome == "fraud" else pb.CONFIRMED_LEGITIMATE
    _call(client, target, False, "ReportOutcome",
          pb.ReportOutcomeRequest(event_id=event_id, outcome=chosen), defaults=True)


CHALLENGE_RESULTS = {"passed": "CHALLENGE_PASSED", "failed": "CHALLENGE_FAILED",
                     "abandoned": "CHALLENGE_ABANDONED"}


@click.group()
def challenge() -> None:
    """Step-ups asked for by a CHALLENGE answer (roles gateway and verifier)."""


@challenge.command("result")
@click.option("--event", "event_id", required=True, help="the event answered CHALLENGE")
@click.option("--result", type=click.Choice(list(CHALLENGE_RESULTS)), required=True)
@click.option("--method", default="",
              help="how the step-up was done, e.g. sms, email, totp, passkey (optional)")
@target_option
@client_options
def challenge_result(event_id: str, result: str, method: str, target: str | None,
                     client: ClientOptions) -> None:
    """Report what came of a step-up; prints whether it changed what the account trusts."""
    pb = _pb()
    _call(client, target, False, "ReportChallengeResult", pb.ReportChallengeResultRequest(
        event_id=event_id, result=pb.ChallengeResult.Value(CHALLENGE_RESULTS[result]),
        method=method), defaults=True)


@click.group()
def admin() -> None:
    """Operators' commands (role admin)."""


@admin.command("freeze")
@click.option("--account", required=True)
@click.option("--reason", required=True, help="why, in words the account holder may be told")
@click.option("--feature", "features", multiple=True,
              type=click.Choice(["CREDIT_LINE", "INSTALLMENT_LOAN", "TRANSFER_OUT", "PAYMENT",
                                 "CASH_WITHDRAWAL"]), help="repeat; default: every feature")
@click.option("--ttl-seconds", default=0, show_default=True, help="0: the configured lifetime")
@target_option
@client_options
def admin_freeze(account: str, reason: str, features: tuple[str, ...], ttl_seconds: int,
                 target: str | None, client: ClientOptions) -> None:
    """Freeze an account's credit features by hand."""
    pb = _pb()
    _call(client, target, True, "FreezeAccount", pb.FreezeAccountRequest(
        account_id=account, reason=reason, features=list(features), ttl_seconds=ttl_seconds))


@admin.command("lift")
@click.option("--freeze", "freeze_id", required=True)
@click.option("--reason", required=True)
@target_option
@client_options
def admin_lift(freeze_id: str, reason: str, target: str | None, client: ClientOptions) -> None:
    """Lift one active freeze by hand."""
    pb = _pb()
    _call(client, target, True, "LiftFreeze",
          pb.LiftFreezeRequest(freeze_id=freeze_id, reason=reason))


@admin.command("frozen")
@click.option("--page-size", default=100, show_default=True)
@click.option("--page-token", default="")
@target_option
@client_options
def admin_frozen(page_size: int, page_token: str, target: str | None,
                 client: ClientOptions) -> None:
    """Accounts with an active freeze, most recently frozen first."""
    pb = _pb()
    _call(client, target, True, "ListFrozenAccounts",
          pb.ListFrozenAccountsRequest(page_size=page_size, page_token=page_token))


@admin.command("audit")
@click.option("--account", required=True)
@click.option("--page-size", default=100, show_default=True)
@click.option("--page-token", default="")
@target_option
@client_options
def admin_audit(account: str, page_size: int, page_token: str, target: str | None,
                client: ClientOptions) -> None:
    """One account's audit trail, oldest first."""
    pb = _pb()
    _call(client, target, True, "GetAuditTrail", pb.GetAuditTrailRequest(
        account_id=account, page_size=page_size, page_token=page_token))


@admin.command("model")
@target_option
@client_options
def admin_model(target: str | None, client: ClientOptions) -> None:
    """The model serving now."""
    _call(client, target, True, "GetModelInfo", _pb().GetModelInfoRequest())


@admin.command("verify-chain")
@target_option
@client_options
def admin_verify_chain(target: str | None, client: ClientOptions) -> None:
    """Ask the server to recompute the audit trail's hash chain."""
    _call(client, target, True, "VerifyAuditChain", _pb().VerifyAuditChainRequest())
