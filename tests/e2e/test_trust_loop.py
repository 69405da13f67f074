"""The trust loop end to end over a real channel on 127.0.0.1, with the real model: step-up
results, verified restores and confirmed outcomes change what the account trusts."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.demo import HOME, normal_week, takeover_start
from detectors.events import (
    AccountChangeEvent,
    AccountChangeKind,
    CreditFeature,
    Event,
    LoginEvent,
    TransactionEvent,
)
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.bootstrap import Application
from service.config import Settings
from service.rpc.converters import event_to_request
from tests.conftest import running_server

pytestmark = pytest.mark.e2e
DAY = 86400.0
MINUTE = 60.0
# Ordinary history that ended a few hours ago; the risky attempts come after it.
WEEK_START = math.floor(time.time() / DAY) * DAY - 9 * DAY
AT = takeover_start(WEEK_START)
MUNICH = {"ip": "91.20.1.5", "country": "DE", "latitude": 48.14, "longitude": 11.58,
          "asn": 3209}
PARIS = {"ip": "90.1.2.3", "country": "FR", "latitude": 48.85, "longitude": 2.35, "asn": 3215}
HOSTING = {"ip": "45.33.101.7", "country": "DE", "latitude": 50.11, "longitude": 8.68,
           "asn": 14061}
SEVERITY = {pb.ALLOW: 1, pb.CHALLENGE: 2, pb.FREEZE: 3}


def _login(event_id: str, account: str, at: float, device: str, where: dict[str, object],
           success: bool = True) -> LoginEvent:
    return LoginEvent(event_id, account, at, ip=str(where["ip"]), device_id=device,
                      country=str(where["country"]), latitude=float(str(where["latitude"])),
                      longitude=float(str(where["longitude"])), asn=int(str(where["asn"])),
                      success=success)


def _payment(event_id: str, account: str, at: float, device: str, where: dict[str, object],
             payee: str = "grocer-4411", amount: int = 2300,
             feature: CreditFeature = CreditFeature.PAYMENT) -> TransactionEvent:
    return TransactionEvent(event_id, account, at, amount_minor=amount, currency="EUR",
                            payee_id=payee, feature=feature, device_id=device,
                            ip=str(where["ip"]), country=str(where["country"]))


class Gateway:
    """The calls a gateway and a verification flow make."""

    def __init__(self, stub: rpc.AccountGuardStub) -> None:
        self.stub = stub

    def score(self, event: Event) -> pb.ScoreResponse:
        return self.stub.Score(event_to_request(event), timeout=10)

    def history(self, account: str) -> None:
        for event in normal_week(account, WEEK_START):
            self.score(event)

    def result(self, event_id: str, result: int, method: str = "sms") -> bool:
        return self.stub.ReportChallengeResult(pb.ReportChallengeResultRequest(
            event_id=event_id, result=result, method=method), timeout=10).learned

    def restore(self, account: str, device: str) -> pb.UnfreezeResponse:
        started = self.stub.StartVerification(pb.StartVerificationRequest(
            account_id=account, method=pb.ONE_TIME_CODE, device_id=device), timeout=10)
        assert self.stub.CompleteVerification(pb.CompleteVerificationRequest(
            challenge_id=started.challenge_id, code=started.delivered_code), timeout=10).verified
        return self.stub.Unfreeze(pb.UnfreezeRequest(
            account_id=account, challenge_id=started.challenge_id), timeout=10)

    def status(self, account: str) -> pb.AccountStatus:
        return self.stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id=account),
                                          timeout=10)


@pytest.fixture
def gateway(stub: rpc.AccountGuardStub) -> Gateway:
    return Gateway(stub)


def _code(call: object) -> grpc.StatusCode:
    assert isinstance(call, grpc.RpcError)
    return call.code()


# -- step-up results ---------------------------------------------------------------------------

def test_attacker_retry_after_abandoned_challenge_is_not_milder(gateway: Gateway) -> None:
    gateway.history("ab")
    first = gateway.score(_login("ab-try1", "ab", AT, "thief-phone", MUNICH))
    assert first.decision == pb.CHALLENGE
    assert list(gateway.status("ab").pending_event_ids) == ["ab-try1"]
    # No result for 20 minutes: when the next attempt comes, the first is judged abandoned.
    retry = gateway.score(_login("ab-try2", "ab", AT + 20 * MINUTE, "thief-phone", MUNICH))
    assert SEVERITY[retry.decision] >= SEVERITY[first.decision]
    assert pb.FAILED_STEP_UP in [r.code for r in retry.reasons]
    devices = {d.device_id: d for d in gateway.status("ab").devices}
    assert devices["thief-phone"].state == pb.UNTRUSTED
    assert devices["ab-phone"].state == pb.TRUSTED
    # Abandoned again: repeated failures escalate to a freeze.
    third = gateway.score(_login("ab-try3", "ab", AT + 40 * MINUTE, "thief-phone", MUNICH))
    assert third.decision == pb.FREEZE


def test_attacker_retry_after_failed_challenge_is_not_milder(gateway: Gateway) -> None:
    gateway.history("fl")
    first = gateway.score(_login("fl-try1", "fl", AT, "thief-phone", MUNICH))
    assert first.decision == pb.CHALLENGE
    assert gateway.result("fl-try1", pb.CHALLENGE_FAILED) is True
    retry = gateway.score(_login("fl-try2", "fl", AT + 5 * MINUTE, "thief-phone", MUNICH))
    assert SEVERITY[retry.decision] >= SEVERITY[first.decision]
    assert pb.FAILED_STEP_UP in [r.code for r in retry.reasons]
    # A payment from the same device is held too.
    pay = gateway.score(_payment("fl-pay", "fl", AT + 6 * MINUTE, "thief-phone", MUNICH))
    assert pay.decision != pb.ALLOW


def test_passed_challenge_then_the_same_device_is_allowed(gateway: Gateway) -> None:
    gateway.history("ps")
    first = gateway.score(_login("ps-new", "ps", AT, "new-phone", MUNICH))
    assert first.decision == pb.CHALLENGE
    assert gateway.status("ps").devices[0].state == pb.PENDING
    assert gateway.result("ps-new", pb.CHALLENGE_PASSED) is True
    later = gateway.score(_login("ps-later", "ps", AT + 3600, "new-phone", MUNICH))
    assert later.decision == pb.ALLOW
    pay = gateway.score(_payment("ps-pay", "ps", AT + 3700, "new-phone", MUNICH))
    assert pay.decision == pb.ALLOW
    assert not gateway.status("ps").pending_event_ids


def test_owner_dropping_a_challenge_on_their_own_phone_loses_nothing(gateway: Gateway) -> None:
    gateway.history("ow")
    big = gateway.score(_payment("ow-big", "ow", AT, "ow-phone", HOME, payee="car-dealer",
                                 amount=900_000, feature=CreditFeature.TRANSFER_OUT))
    if big.decision != pb.CHALLENGE:
        pytest.skip(f"the model answered {pb.Decision.Name(big.decision)} to this payment")
    assert gateway.result("ow-big", pb.CHALLENGE_ABANDONED) is False
    assert gateway.score(_login("ow-next", "ow", AT + 3600, "ow-phone", HOME)).decision \
        == pb.ALLOW


def test_challenge_result_contract(gateway: Gateway, stub: rpc.AccountGuardStub) -> None:
    gateway.history("ct")
    with pytest.raises(grpc.RpcError) as unspecified:
        gateway.result("ct-x", pb.CHALLENGE_RESULT_UNSPECIFIED)
    assert _code(unspecified.value) == grpc.StatusCode.INVALID_ARGUMENT
    assert "result" in unspecified.value.details()
    with pytest.raises(grpc.RpcError) as unknown:
        gateway.result("never-scored", pb.CHALLENGE_PASSED)
    assert _code(unknown.value) == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as allowed:
        gateway.result("ct-d0-login0", pb.CHALLENGE_PASSED)
    assert _code(allowed.value) == grpc.StatusCode.FAILED_PRECONDITION
    assert gateway.score(_login("ct-try", "ct", AT, "new-phone", MUNICH)).decision == pb.CHALLENGE
    assert gateway.result("ct-try", pb.CHALLENGE_PASSED) is True
    assert gateway.result("ct-try", pb.CHALLENGE_PASSED) is True  # the same again: OK
    with pytest.raises(grpc.RpcError) as different:
        gateway.result("ct-try", pb.CHALLENGE_FAILED)
    assert _code(different.value) == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize(("method", "learns"), [("sms", False), ("totp", True)])
def test_a_passed_sms_step_up_after_a_phone_change_teaches_nothing(
        gateway: Gateway, method: str, learns: bool) -> None:
    """Whoever swapped the SIM receives the SMS code; an authenticator app is not reached
    through the phone number."""
    account = f"sw-{method}"
    gateway.history(account)
    gateway.score(AccountChangeEvent(f"{account}-phone", account, AT - 3 * DAY,
                                     AccountChangeKind.PHONE, device_id=f"{account}-phone",
                                     ip=str(HOME["ip"])))
    assert gateway.score(_login(f"{account}-new", account, AT, "new-phone", MUNICH)).decision \
        == pb.CHALLENGE
    assert gateway.result(f"{account}-new", pb.CHALLENGE_PASSED, method) is learns
    again = gateway.score(_login(f"{account}-again", account, AT + 3600, "new-phone", MUNICH))
    assert (again.decision == pb.ALLOW) is learns


# -- restores ----------------------------------------------------------------------------------

def test_restore_from_the_flagged_device_then_allow(gateway: Gateway) -> None:
    gateway.history("rf")
    frozen = gateway.score(_login("rf-paris", "rf", AT, "new-phone", PARIS))
    assert frozen.decision == pb.FREEZE
    assert len(gateway.restore("rf", "new-phone").restored_features) == 5
    later = gateway.score(_login("rf-later", "rf", AT + 2 * 3600, "new-phone", PARIS))
    assert later.decision == pb.ALLOW
    pay = gateway.score(_payment("rf-pay", "rf", AT + 2 * 3600 + 600, "new-phone", PARIS))
    assert pay.decision == pb.ALLOW


def test_restore_from_the_home_device_keeps_the_flagged_device_out(gateway: Gateway) -> None:
    gateway.history("rh")
    assert gateway.score(_login("rh-thief", "rh", AT, "thief-phone", PARIS)).decision \
        == pb.FREEZE
    gateway.restore("rh", "rh-phone")
    again = gateway.score(_login("rh-again", "rh", AT + 2 * 3600, "thief-phone", PARIS))
    assert again.decision != pb.ALLOW
    assert pb.FAILED_STEP_UP in [r.code for r in again.reasons]
    state = {d.device_id: d.state for d in gateway.status("rh").devices}
    assert state["thief-phone"] == pb.UNTRUSTED
    assert state["rh-phone"] == pb.TRUSTED
    # The owner's own phone at home is not affected.
    assert gateway.score(_login("rh-home", "rh", AT + 3 * 3600, "rh-phone", HOME)).decision \
        == pb.ALLOW


# -- confirmed outcomes ------------------------------------------------------------------------

def test_confirmed_fraud_freezes_and_the_next_transfer_to_the_payee_is_not_allowed(
        gateway: Gateway, stub: rpc.AccountGuardStub) -> None:
    gateway.history("cf")
    first = gateway.score(_payment("cf-mule1", "cf", AT, "cf-phone", HOME, payee="mule-7781",
                                   amount=4000, feature=CreditFeature.TRANSFER_OUT))
    assert first.decision == pb.ALLOW
    answer = stub.ReportOutcome(pb.ReportOutcomeRequest(event_id="cf-mule1",
                                                        outcome=pb.CONFIRMED_FRAUD), timeout=10)
    assert answer.placed_freeze_id
    status = gateway.status("cf")
    assert len(status.frozen_features) == 5
    assert answer.placed_freeze_id in [f.freeze_id for f in status.freezes]
    # Reported again: the same freeze, not a second one.
    again = stub.ReportOutcome(pb.ReportOutcomeRequest(event_id="cf-mule1",
                                                       outcome=pb.CONFIRMED_FRAUD), timeout=10)
    assert again.placed_freeze_id == answer.placed_freeze_id
    assert len(gateway.status("cf").freezes) == 1
    second = gateway.score(_payment("cf-mule2", "cf", AT + 600, "cf-phone", HOME,
                                    payee="mule-7781", amount=4000,
                                    feature=CreditFeature.TRANSFER_OUT))
    assert second.decision != pb.ALLOW
    assert pb.REPORTED_FRAUD in [r.code for r in second.reasons]


# -- new accounts ------------------------------------------------------------------------------

def test_new_account_second_sign_in_from_elsewhere_is_not_frozen(gateway: Gateway) -> None:
    brazil = {"ip": "177.1.2.3", "country": "BR", "latitude": -23.55, "longitude": -46.63,
              "asn": 28573}
    assert gateway.score(_login("na-1", "na", AT, "phone-1", HOME)).decision == pb.ALLOW
    second = gateway.score(_login("na-2", "na", AT + 3600, "phone-2", brazil))
    assert second.decision == pb.CHALLENGE


def test_new_account_first_large_transfer_to_new_payee_from_hosting_network_not_allowed(
        gateway: Gateway) -> None:
    assert gateway.score(_login("nh-1", "nh", AT, "laptop", HOSTING)).decision == pb.ALLOW
    transfer = gateway.score(_payment("nh-2", "nh", AT + 300, "laptop", HOSTING,
                                      payee="payee-x", amount=500_000,
                                      feature=CreditFeature.TRANSFER_OUT))
    assert transfer.decision != pb.ALLOW
    assert {pb.AMOUNT_SPIKE, pb.NEW_PAYEE} <= {r.code for r in transfer.reasons}


# -- the invariant -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_gateway(tmp_path_factory: pytest.TempPathFactory,
                   model_path: object) -> Iterator[Gateway]:
    settings_ = Settings(listen="127.0.0.1:0", data_dir=tmp_path_factory.mktemp("inv") / "data",
                         model_path=model_path, sqlite_synchronous="NORMAL")
    with running_server(settings_) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield Gateway(rpc.AccountGuardStub(channel))


ACCOUNTS = itertools.count()
RESULTS = st.lists(st.sampled_from([pb.CHALLENGE_FAILED, pb.CHALLENGE_ABANDONED, None]),
                   min_size=1, max_size=4)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(results=RESULTS)
def test_no_sequence_of_results_makes_the_same_attempt_milder_without_a_pass(
        shared_gateway: Gateway, results: list[int | None]) -> None:
    """The same risky attempt, repeated after any sequence of failed, abandoned or unreported
    step-ups, is never answered more mildly than the first time."""
    number = next(ACCOUNTS)
    gateway, account = shared_gateway, f"inv-{number}"
    # A network of its own, so the crowd signal of other examples' failures stays out.
    where = {**MUNICH, "ip": f"91.{number // 250}.{number % 250}.5"}
    gateway.history(account)
    first = gateway.score(_login(f"{account}-0", account, AT, "thief-phone", where))
    assert first.decision == pb.CHALLENGE
    previous = first
    for n, result in enumerate(results, start=1):
        if previous.decision == pb.CHALLENGE and result is not None:
            gateway.result(previous.event_id, result)
        attempt = gateway.score(_login(f"{account}-{n}", account, AT + n * 20 * MINUTE,
                                       "thief-phone", where))
        assert SEVERITY[attempt.decision] >= SEVERITY[first.decision], (n, results)
        previous = attempt


def test_audit_mode_challenge_result_is_recorded_and_teaches_nothing(
        server_settings: Settings) -> None:
    with running_server(server_settings.model_copy(update={"mode": "audit"})) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        gateway = Gateway(rpc.AccountGuardStub(channel))
        gateway.history("au")
        answer = gateway.score(_login("au-new", "au", AT, "new-phone", MUNICH))
        assert (answer.decision, answer.would_decision) == (pb.ALLOW, pb.CHALLENGE)
        assert gateway.result("au-new", pb.CHALLENGE_PASSED) is False
        assert gateway.result("au-new", pb.CHALLENGE_PASSED) is False  # recorded: same again
        with pytest.raises(grpc.RpcError) as different:
            gateway.result("au-new", pb.CHALLENGE_FAILED)
        assert _code(different.value) == grpc.StatusCode.FAILED_PRECONDITION


def test_reported_results_are_counted(gateway: Gateway, server_app: Application) -> None:
    gateway.history("mc")
    assert gateway.score(_login("mc-new", "mc", AT, "new-phone", MUNICH)).decision \
        == pb.CHALLENGE
    gateway.result("mc-new", pb.CHALLENGE_PASSED)
    registry = server_app.metrics.registry
    assert registry.get_sample_value("acctguard_challenge_results_total",
                                     {"result": "passed"}) == 1.0
    assert registry.get_sample_value("acctguard_challenge_results_total",
                                     {"result": "failed"}) is None


def test_an_admin_reverses_a_fraud_report(gateway: Gateway, stub: rpc.AccountGuardStub) -> None:
    gateway.history("rv")
    transfer = {"payee": "landlord-9", "amount": 4000, "feature": CreditFeature.TRANSFER_OUT}
    assert gateway.score(_payment("rv-1", "rv", AT, "rv-phone", HOME, **transfer)).decision \
        == pb.ALLOW
    fraud = stub.ReportOutcome(pb.ReportOutcomeRequest(event_id="rv-1",
                                                       outcome=pb.CONFIRMED_FRAUD), timeout=10)
    assert len(gateway.status("rv").frozen_features) == 5
    # The risk team (admin) finds it was the holder after all: the fraud freeze goes, and the
    # payee is trusted again.
    stub.ReportOutcome(pb.ReportOutcomeRequest(event_id="rv-1", outcome=pb.CONFIRMED_LEGITIMATE),
                       timeout=10)
    assert not gateway.status("rv").freezes
    assert gateway.score(_payment("rv-2", "rv", AT + 600, "rv-phone", HOME, **transfer)
                         ).decision == pb.ALLOW
    # And back again: legitimate then fraud freezes.
    again = stub.ReportOutcome(pb.ReportOutcomeRequest(event_id="rv-1",
                                                       outcome=pb.CONFIRMED_FRAUD), timeout=10)
    assert again.placed_freeze_id
    assert again.placed_freeze_id != fraud.placed_freeze_id
    assert len(gateway.status("rv").frozen_features) == 5


def test_a_pass_reported_after_the_challenge_was_judged_abandoned_still_counts(
        gateway: Gateway) -> None:
    gateway.history("lp")
    assert gateway.score(_login("lp-new", "lp", AT, "new-phone", MUNICH)).decision \
        == pb.CHALLENGE
    # The holder's payment from home 20 minutes later judges the challenge abandoned...
    gateway.score(_payment("lp-pay", "lp", AT + 20 * MINUTE, "lp-phone", HOME))
    assert {d.device_id: d.state for d in gateway.status("lp").devices}["new-phone"] \
        == pb.UNTRUSTED
    # ...and then the gateway's late report says the step-up was passed.
    assert gateway.result("lp-new", pb.CHALLENGE_PASSED) is True
    assert {d.device_id: d.state for d in gateway.status("lp").devices}["new-phone"] \
        == pb.TRUSTED
    later = gateway.score(_login("lp-later", "lp", AT + 2 * 3600, "new-phone", MUNICH))
    assert later.decision == pb.ALLOW


def test_a_restore_after_confirmed_fraud_from_the_holders_own_phone_sticks(
        gateway: Gateway, stub: rpc.AccountGuardStub) -> None:
    """A payment the holder was talked into from their own phone is confirmed fraud: the
    account is frozen, the mule payee held against it, but not the holder's long-known phone and
    home network: once they verify, they are not frozen again."""
    gateway.history("tk")
    mule = {"payee": "mule-31", "amount": 4000, "feature": CreditFeature.TRANSFER_OUT}
    assert gateway.score(_payment("tk-1", "tk", AT, "tk-phone", HOME, **mule)).decision \
        == pb.ALLOW
    stub.ReportOutcome(pb.ReportOutcomeRequest(event_id="tk-1", outcome=pb.CONFIRMED_FRAUD),
                       timeout=10)
    gateway.restore("tk", "tk-phone")
    assert not gateway.status("tk").freezes
    assert gateway.score(_login("tk-home", "tk", AT + 3600, "tk-phone", HOME)).decision \
        == pb.ALLOW
    assert gateway.score(_payment("tk-grocer", "tk", AT + 3700, "tk-phone", HOME)).decision \
        == pb.ALLOW
    again = gateway.score(_payment("tk-2", "tk", AT + 3800, "tk-phone", HOME, **mule))
    assert again.decision != pb.ALLOW
    assert pb.REPORTED_FRAUD in [r.code for r in again.reasons]
