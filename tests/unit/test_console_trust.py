"""The console's account page shows the account's devices with their trust state and the
challenged events awaiting a step-up result: rendered from a made-up AccountStatus, and served
by the console's HTTP handler over 127.0.0.1 with a stand-in client (no acctguard, no
browser)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from threading import Thread
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console import views
from service.console.app import Console, ConsoleServer
from service.console.client import ConsoleError

NOW = 1_800_000_000.0
UNTIL = Timestamp(seconds=int(NOW) + 3 * 3600)
TOKEN = "console-token-for-tests"


def _status() -> pb.AccountStatus:
    return pb.AccountStatus(
        account_id="alice",
        devices=[pb.DeviceTrust(device_id="dev-home", state=pb.TRUSTED),
                 pb.DeviceTrust(device_id="dev-new", state=pb.PENDING,
                                reason="seen in a challenged sign-in"),
                 pb.DeviceTrust(device_id="dev-thief", state=pb.UNTRUSTED, until=UNTIL,
                                reason="failed a step-up")],
        pending_event_ids=["evt-1", "evt-2"])


class _Cells(HTMLParser):
    """The text of each device row's cells, by device id; and the pending event ids."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.pending: list[str] = []
        self._row: str | None = None
        self._in_pending = False
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("class") == "device":
            self._row = found.get("data-device") or ""
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self.rows[self._row].append("")
        elif tag == "ul" and found.get("id") == "pending-events":
            self._in_pending = True
        elif tag == "li" and self._in_pending:
            self.pending.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        elif tag == "ul":
            self._in_pending = False

    def handle_data(self, data: str) -> None:
        if self._row is not None and self.rows[self._row]:
            self.rows[self._row][-1] += data
        elif self._in_pending and self.pending:
            self.pending[-1] += data


def _parse(html: str) -> _Cells:
    cells = _Cells()
    cells.feed(html)
    return cells


def _page(status: pb.AccountStatus | ConsoleError) -> str:
    return views.account_page("alice", status, pb.GetAuditTrailResponse(), "", NOW)


def test_account_page_shows_each_device_with_its_trust_state() -> None:
    html = _page(_status())
    assert '<section id="trust">' in html
    cells = _parse(html)
    assert cells.rows == {
        "dev-home": ["dev-home", "TRUSTED", "–", "–"],
        "dev-new": ["dev-new", "PENDING", "–", "seen in a challenged sign-in"],
        "dev-thief": ["dev-thief", "UNTRUSTED", "2027-01-15 11:00 UTC (in 3 h 0 min)",
                      "failed a step-up"],
    }
    states = dict(re.findall(r'data-device="([^"]+)" data-state="([^"]+)"', html))
    assert states == {"dev-home": "TRUSTED", "dev-new": "PENDING", "dev-thief": "UNTRUSTED"}
    assert cells.pending == ["evt-1", "evt-2"]


def test_account_page_says_when_there_are_no_devices_or_pending_events() -> None:
    html = _page(pb.AccountStatus(account_id="alice"))
    assert "No device known." in html
    assert "No challenged event awaits its result." in html
    assert 'id="devices"' not in html


def test_device_ids_reasons_and_event_ids_are_text_not_markup() -> None:
    html = _page(pb.AccountStatus(
        devices=[pb.DeviceTrust(device_id='<b>x</b>"', state=pb.UNTRUSTED,
                                reason="<script>alert(1)</script>")],
        pending_event_ids=["<i>evt</i>"]))
    assert "<script>" not in html
    assert "<b>x</b>" not in html
    assert "<i>evt</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    cells = _parse(html)
    assert cells.rows['<b>x</b>"'][3] == "<script>alert(1)</script>"
    assert cells.pending == ["<i>evt</i>"]


def test_an_unknown_trust_state_is_shown_as_unknown() -> None:
    html = _page(pb.AccountStatus(devices=[pb.DeviceTrust(device_id="d", state=7)]))
    assert _parse(html).rows["d"][1] == "UNKNOWN"


def test_a_failed_status_leaves_the_trust_section_out() -> None:
    html = _page(ConsoleError("UNAVAILABLE", "acctguard cannot be reached."))
    assert 'id="trust"' not in html
    assert html.count('role="alert"') == 1  # the status section's, not repeated


class _StandInClient:
    """What the account page and its JSON ask of GuardClient."""

    def account_status(self, account_id: str) -> pb.AccountStatus:
        status = _status()
        status.account_id = account_id
        return status

    def audit_trail(self, account_id: str, page_token: str = "") -> pb.GetAuditTrailResponse:
        return pb.GetAuditTrailResponse()

    def account_events(self, account_id: str,
                       page_token: str = "") -> pb.ListAccountEventsResponse:
        return pb.ListAccountEventsResponse()


@contextmanager
def serving_console(client: Any) -> Iterator[str]:
    """The console on 127.0.0.1 over ``client``, in a thread; yields its base URL."""
    server = ConsoleServer(("127.0.0.1", 0), Console(client, TOKEN))
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def console_base() -> Iterator[str]:
    with serving_console(_StandInClient()) as base:
        yield base


def _get(url: str) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http://127.0.0.1)
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        assert reply.status == 200
        return str(reply.read().decode())


def test_the_console_serves_the_trust_section(console_base: str) -> None:
    cells = _parse(_get(f"{console_base}/account/alice"))
    assert [row[1] for row in cells.rows.values()] == ["TRUSTED", "PENDING", "UNTRUSTED"]
    assert cells.pending == ["evt-1", "evt-2"]
    status = json.loads(_get(f"{console_base}/api/account/alice"))["status"]
    assert [d["state"] for d in status["devices"]] == ["TRUSTED", "PENDING", "UNTRUSTED"]
    assert status["pending_event_ids"] == ["evt-1", "evt-2"]
