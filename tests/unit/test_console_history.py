"""The console's decision history: risks with enough digits to tell them apart, one row per
scored event, and links to older pages that keep the audit trail's page."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console import text, views
from service.console.client import ConsoleError

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("risk", "shown"), [
    (0.0, "0.0 %"), (0.5, "50.0 %"), (0.99, "99.0 %"), (0.995, "99.5 %"), (0.998, "99.8 %"),
    (0.9995, "99.95 %"), (0.99998, "99.998 %"), (0.999985, "99.9985 %"), (1.0, "100.0 %"),
])
def test_risks_near_one_keep_the_digits_that_tell_them_apart(risk, shown):
    assert text.percent(risk) == shown


def test_a_risk_below_one_never_reads_as_a_hundred_percent():
    for gap in (1e-3, 1e-5, 1e-7, 1e-9):
        assert not text.percent(1 - gap).startswith("100"), gap


def _events(next_token: str = "") -> pb.ListAccountEventsResponse:
    return pb.ListAccountEventsResponse(events=[
        pb.AccountEvent(event_id="e-2", kind="transaction", risk=0.99998, decision=pb.FREEZE,
                        occurred_at=Timestamp(seconds=int(NOW) - 60),
                        scored_at=Timestamp(seconds=int(NOW)), model_version="m-7",
                        reasons=[pb.Reason(code=pb.NEW_PAYEE, message="<b>new</b> payee")]),
        pb.AccountEvent(event_id="e-1", kind="login", risk=0.995, decision=pb.ALLOW,
                        scored_at=Timestamp(seconds=int(NOW) - 3600), model_version="m-7",
                        would_decision=pb.CHALLENGE),
    ], next_page_token=next_token)


def _page(events: pb.ListAccountEventsResponse | ConsoleError, audit: str = "",
          events_token: str = "") -> str:
    return views.account_page("alice", pb.AccountStatus(account_id="alice"),
                              pb.GetAuditTrailResponse(), audit, NOW, events, events_token,
                              tz=UTC)


def test_each_scored_event_is_a_row_newest_first():
    html = _page(_events())
    rows = re.findall(r'<tr class="event (\w+)" data-event-id="([^"]+)">(.*?)</tr>', html)
    assert [(d, i) for d, i, _ in rows] == [("freeze", "e-2"), ("allow", "e-1")]
    assert "99.998 %" in rows[0][2]
    assert "99.5 %" in rows[1][2]
    assert "New payee" in rows[0][2]
    assert "&lt;b&gt;new&lt;/b&gt; payee" in rows[0][2]
    assert "would challenge" in rows[1][2]
    assert "m-7" in rows[0][2]
    assert "2027-01-15 07:59 UTC" in rows[0][2]  # when it happened
    assert "2027-01-15 07:00 UTC" in rows[1][2]  # no occurred_at: when it was scored
    assert 'id="older-events"' not in html


def test_older_pages_keep_the_audit_trails_page():
    html = _page(_events("tok/en="), audit="aud", events_token="prev")
    older = re.search(r'id="older-events" href="([^"]+)"', html)
    assert older is not None
    assert older.group(1) == "/account/alice?page=aud&amp;events=tok%2Fen%3D"
    assert 'href="/account/alice?page=aud">newest</a>' in html


def test_a_failed_history_is_an_error_box_and_an_empty_one_says_so():
    failed = _page(ConsoleError("UNIMPLEMENTED", "this acctguard does not offer this."))
    assert re.search(r'id="history".*role="alert"', failed)
    assert "No scored events." in _page(pb.ListAccountEventsResponse())
