"""The domain's enums are the contract's enums; the generated code is current."""

import subprocess
import sys
from pathlib import Path

import pytest

from detectors.events import AccountChangeKind, CreditFeature
from detectors.reasons import ReasonCode
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.domain.decisions import Decision
from service.domain.freezes import FreezeState

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("domain", "proto"), [
    (CreditFeature, pb.CreditFeature), (ReasonCode, pb.ReasonCode), (Decision, pb.Decision),
    (FreezeState, pb.FreezeState), (AccountChangeKind, pb.AccountChangeKind),
])
def test_domain_enum_matches_proto(domain, proto):
    proto_values = {name: number for name, number in proto.items() if number != 0}
    assert {m.name: m.value for m in domain} == proto_values


def test_generated_code_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr


def test_required_contract_names_exist():
    service = pb.DESCRIPTOR.services_by_name["AccountGuard"]
    assert {m.name for m in service.methods} >= {
        "Score", "ScoreStream", "GetAccountStatus", "StartVerification",
        "CompleteVerification", "Unfreeze", "ReportOutcome"}
    stream = service.methods_by_name["ScoreStream"]
    assert stream.client_streaming
    assert stream.server_streaming
    login = pb.LoginEvent.DESCRIPTOR.fields_by_name
    assert set(login) >= {"event_id", "account_id", "occurred_at", "ip", "device_id",
                          "user_agent", "country", "latitude", "longitude", "asn", "success",
                          "auth_method"}
    response = pb.ScoreResponse.DESCRIPTOR.fields_by_name
    assert set(response) >= {"event_id", "risk", "decision", "reasons", "frozen_features",
                             "freeze_id", "model_version"}
