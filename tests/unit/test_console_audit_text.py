"""Audit entries as sentences with local times: one per action the service writes, built from
the records the service itself makes, and a fallback for actions the console does not know."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta, timezone

import pytest

from detectors.events import CreditFeature
from detectors.reasons import Reason, ReasonCode
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console import views
from service.console.audit_text import local_time, sentence
from service.domain.audit import AuditRecord
from service.domain.freezes import Freeze
from service.rpc.converters import seconds_to_timestamp
from service.storage.records import freeze_audit_record

AT = 1_800_000_000.0  # 2027-01-15 08:00 UTC
CET = timezone(timedelta(hours=1), "CET")


def _entry(record: AuditRecord, sequence: int = 1) -> pb.AuditEntry:
    return pb.AuditEntry(sequence=sequence, at=seconds_to_timestamp(record.at),
                         actor=record.actor, action=record.action,
                         account_id=record.account_id, subject_id=record.subject_id,
                         detail=record.detail)


def _of(action: str, actor: str = "admin-1", subject: str = "s-1", **detail: object) -> str:
    return sentence(_entry(AuditRecord.of(AT, actor, action, "alice", subject, **detail)), CET)


def test_local_times_carry_their_zone():
    assert local_time(AT, UTC) == "2027-01-15 08:00 UTC"
    assert local_time(AT, CET) == "2027-01-15 09:00 CET"
    assert local_time(None) == "–"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d.*", local_time(AT))  # the console's zone


def test_an_engine_freeze_reads_as_a_sentence_with_its_risk_and_local_expiry():
    freeze = Freeze("frz-1", "alice", "evt-9", (CreditFeature.TRANSFER_OUT,),
                    (Reason(ReasonCode.IMPOSSIBLE_TRAVEL, "x", 1.0),), 0.99998, AT, AT + 86400)
    said = sentence(_entry(freeze_audit_record(freeze)), CET)
    assert said == ("The engine froze transfers out (freeze frz-1) after event evt-9 "
                    "(risk 99.998 %; impossible travel), until 2027-01-16 09:00 CET.")


@pytest.mark.parametrize(("action", "detail", "said"), [
    ("freeze.placed", {"how": "operator", "reason": "phone stolen", "features": ["PAYMENT"],
                       "expires_at": AT + 3600},
     "admin-1 froze payments (freeze s-1), until 2027-01-15 10:00 CET: “phone stolen”."),
    ("freeze.lifted", {"how": "operator", "reason": "called back"},
     "admin-1 lifted freeze s-1: “called back”."),
    ("freeze.lifted", {"how": "outcome", "event_id": "evt-1"},
     "admin-1 lifted freeze s-1: event evt-1 was reported legitimate."),
    ("freeze.lifted", {"how": "verified", "challenge_id": "chl-1", "features": ["CREDIT_LINE"]},
     "Freeze s-1 on credit line was lifted after verification chl-1 succeeded."),
    ("verification.started", {"method": "ONE_TIME_CODE", "delivery": "WEBHOOK",
                              "expires_at": AT + 600, "device_id": ""},
     "admin-1 started verification s-1 by one-time code, sent by webhook, valid until "
     "2027-01-15 09:10 CET."),
    ("verification.succeeded", {"method": "TOTP"},
     "Verification s-1 succeeded (authenticator app)."),
    ("verification.failed", {"attempts_left": 1},
     "A wrong code was entered for verification s-1; 1 attempt left."),
    ("verification.locked", {"failures_in_window": 5, "until": AT + 900},
     "Verification was locked until 2027-01-15 09:15 CET after 5 failed attempts."),
    ("verification.used", {"freezes": ["frz-1", "frz-2"]},
     "Verification s-1 was used to lift freezes frz-1, frz-2."),
    ("authenticator.enrolled", {}, "admin-1 enrolled an authenticator app."),
    ("challenge.result_reported", {"result": "FAILED", "method": "sms", "learned": True,
                                   "note": ""},
     "admin-1 reported the step-up of event s-1 as failed; it was learned from."),
    ("outcome.reported", {"outcome": "CONFIRMED_FRAUD", "overrides": "CONFIRMED_LEGITIMATE"},
     "admin-1 reported event s-1 as confirmed fraud, replacing confirmed legitimate."),
    ("restore.learned", {"event_id": "evt-3", "verifying_device": "d", "note": ""},
     "The verified lift of freeze s-1 (event evt-3) taught the account's profile."),
    ("account.forgotten", {"reason": "GDPR request 12"},
     "admin-1 erased the account's data: “GDPR request 12”."),
    ("something.new", {"started_at": AT, "count": 3},
     "admin-1: something new s-1 (count 3; started at 2027-01-15 09:00 CET)."),
])
def test_each_action_reads_as_a_sentence(action, detail, said):
    assert _of(action, **detail) == said


def test_a_detail_of_an_unexpected_shape_still_reads():
    odd = pb.AuditEntry(actor="engine", action="freeze.placed", subject_id="frz-1",
                        detail=json.dumps({"risk": "high", "expires_at": "soon"}))
    assert "frz-1" in sentence(odd, CET)
    assert sentence(pb.AuditEntry(actor="a", action="x.y", detail="not json"), CET) == "a: x y."


def test_the_audit_table_shows_sentences_and_local_times_not_json():
    record = AuditRecord.of(AT, "admin-1", "freeze.placed", "alice", "frz-1", how="operator",
                            reason="<b>stolen</b>", features=["PAYMENT"], expires_at=AT + 60)
    html = views.account_page("alice", pb.AccountStatus(account_id="alice"),
                              pb.GetAuditTrailResponse(entries=[_entry(record)]), "", AT,
                              tz=CET)
    row = re.search(r'<tr class="audit-entry"[^>]*>(.*?)</tr>', html)
    assert row is not None
    assert "2027-01-15 09:00 CET" in row.group(1)
    assert ("admin-1 froze payments (freeze frz-1), until 2027-01-15 09:01 CET: "
            "“&lt;b&gt;stolen&lt;/b&gt;”.") in row.group(1)
    assert str(AT + 60) not in html
    assert "&quot;expires_at&quot;" not in html
