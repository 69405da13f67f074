"""`acctguard console` end to end: a real acctguard with real data (a takeover frozen by the
engine, a freeze placed by an operator), the console started as a command on 127.0.0.1, and
headless Chromium reading the pages as an analyst would."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from click.testing import CliRunner

from detectors.demo import normal_week, takeover, takeover_start
from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
from service.config import Settings
from service.console import text
from service.rpc.converters import event_to_request
from service.rpc.tokens import create_token
from tests.conftest import running_server
from tests.e2e.browser import headless_chromium, require_chromium
from tests.e2e.secured import bearer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DAY = 86400.0
# Untrusted text the pages must show as text, never as markup.
ODD_ACCOUNT = "<b>mallory</b>&\"x'"
OPERATOR_REASON = 'Customer called: phone stolen <script>alert("x")</script> & card blocked'
SCREENSHOT = Path("/tmp/acctguard-console-home.png")


@dataclass(frozen=True)
class Data:
    port: int
    tokens: dict[str, str]
    decisions: Counter[str]
    alice: pb.AccountStatus
    operator_freeze: pb.Freeze
    model_version: str


@dataclass(frozen=True)
class ConsoleProcess:
    base: str  # http://127.0.0.1:PORT
    token: str
    log: Path

    def url(self, path: str = "/") -> str:
        """The URL with the token, as printed at start: it sets the cookie and redirects."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"


@contextmanager
def console_process(tmp: Path, target: str, *args: str) -> Iterator[ConsoleProcess]:
    """`acctguard console --listen 127.0.0.1:0 ...`, read the URL it prints, stop it after."""
    log = tmp / f"console-{time.monotonic_ns()}.log"
    command = [sys.executable, "-c", "from service.cli import main; main()", "console",
               "--listen", "127.0.0.1:0", "--target", target, *args]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ACCTGUARD_")}
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", log.read_text())
            if found:
                break
            assert proc.poll() is None, f"console exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"console did not start: {log.read_text()}"
            time.sleep(0.05)
        yield ConsoleProcess(found.group(1), found.group(2), log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _fetch(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http://127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:  # noqa: S310
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Iterator[Data]:
    require_chromium()  # skip before training data when there is no browser
    tmp = tmp_path_factory.mktemp("console")
    tokens_file = tmp / "tokens.json"
    tokens = {role: create_token(tokens_file, f"{role}-1", role)[0]
              for role in ("gateway", "admin")}
    settings = Settings(listen="127.0.0.1:0", data_dir=tmp / "data", model_path=model_path,
                        sqlite_synchronous="NORMAL", tokens_file=tokens_file)
    with running_server(settings) as (_, port), \
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        guard, admin = rpc.AccountGuardStub(channel), rpc.AccountGuardAdminStub(channel)
        gateway = bearer(tokens["gateway"])
        start = math.floor(time.time() / DAY) * DAY - 8 * DAY
        events = [*normal_week("alice", start), *takeover("alice", takeover_start(start))]
        replies = [guard.Score(event_to_request(e), timeout=5, metadata=gateway)
                   for e in events]
        assert replies[-1].decision == pb.FREEZE
        decisions = Counter(pb.Decision.Name(r.decision).lower() for r in replies)
        operator_freeze = admin.FreezeAccount(pb.FreezeAccountRequest(
            account_id=ODD_ACCOUNT, reason=OPERATOR_REASON, features=[pb.TRANSFER_OUT]),
            timeout=5, metadata=bearer(tokens["admin"]))
        alice = guard.GetAccountStatus(pb.GetAccountStatusRequest(account_id="alice"),
                                       timeout=5, metadata=gateway)
        assert alice.freezes
        assert alice.freezes[0].reasons
        model = admin.GetModelInfo(pb.GetModelInfoRequest(), timeout=5,
                                   metadata=bearer(tokens["admin"]))
        yield Data(port, tokens, decisions, alice, operator_freeze, model.version)


@pytest.fixture(scope="module")
def console(data: Data, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleProcess]:
    with console_process(tmp_path_factory.mktemp("console-run"), f"127.0.0.1:{data.port}",
                         "--token", data.tokens["admin"]) as running:
        yield running


@pytest.fixture(scope="module")
def browser(data: Data) -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def _text(browser: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.CSS_SELECTOR, css).text)


def _all(browser: Any, css: str) -> Sequence[Any]:
    from selenium.webdriver.common.by import By

    return list(browser.find_elements(By.CSS_SELECTOR, css))


def _no_alert(browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (the property raises when there is none)


def test_a_request_without_the_console_token_is_refused(console: ConsoleProcess,
                                                          browser: Any) -> None:
    for path in ("/", "/account/alice", "/api/model", "/api/frozen"):
        status, body = _fetch(console.base + path)
        assert status == 401, path
        assert "alice" not in body
    assert _fetch(console.base + "/?token=agc_wrong")[0] == 401
    assert _fetch(console.base + "/api/model", token="agc_wrong")[0] == 401
    browser.delete_all_cookies()
    browser.get(console.base + "/")
    assert "Access token required" in _text(browser, "main")
    assert not _all(browser, "#frozen")


def test_home_lists_frozen_accounts_with_reasons_in_words(console: ConsoleProcess,
                                                          browser: Any, data: Data) -> None:
    browser.get(console.url("/"))
    assert "token=" not in browser.current_url  # exchanged for a cookie
    frozen = _text(browser, "#frozen")
    alice = _text(browser, '#frozen [data-account="alice"]')
    freeze = data.alice.freezes[0]
    assert "Impossible travel" in alice
    for reason in freeze.reasons:
        assert reason.message in alice
    assert "placed by engine" in alice
    assert "expires" in alice
    # The operator's freeze, its account id and reason shown as text, not markup.
    assert ODD_ACCOUNT in frozen
    assert OPERATOR_REASON in frozen
    assert "Operator freeze" in frozen
    assert "placed by admin-1" in frozen
    assert not _all(browser, "#frozen b, #frozen script")
    _no_alert(browser)
    assert _text(browser, "#model-version") == data.model_version
    assert "Detectors" in _text(browser, "#model")


def test_home_charts_the_decisions(console: ConsoleProcess, browser: Any, data: Data) -> None:
    browser.get(console.url("/"))
    chart = _all(browser, "svg#decision-chart")[0]
    assert chart.is_displayed()
    assert chart.size["width"] > 300
    assert chart.size["height"] > 100
    bars = _all(browser, "svg#decision-chart rect")
    assert bars  # at least the current hour's
    assert {b.get_attribute("class") for b in bars} == set(data.decisions)
    for decision in ("allow", "challenge", "freeze"):
        assert _text(browser, f"#total-{decision}") == str(data.decisions[decision])
        assert chart.get_attribute(f"data-{decision}") == str(data.decisions[decision])
    browser.save_screenshot(str(SCREENSHOT))
    status, body = _fetch(console.base + "/api/summary", token=console.token)
    assert status == 200
    hours = json.loads(body)["hours"]
    assert len(hours) == 24
    assert sum(int(h.get("freeze", 0)) for h in hours) == data.decisions["freeze"]


def test_account_page_shows_freeze_challenges_and_audit_trail(console: ConsoleProcess,
                                                              browser: Any,
                                                              data: Data) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(console.url("/"))
    _all(browser, '#frozen [data-account="alice"] a.account-link')[0].click()
    assert browser.current_url == f"{console.base}/account/alice"
    assert _text(browser, "#account-id") == "alice"
    status = _text(browser, "#status")
    for freeze in data.alice.freezes:
        assert freeze.freeze_id in status
        assert freeze.reasons[0].message in status
    assert "expires" in status
    assert "No open challenge" in _text(browser, "#verification")
    assert _text(browser, "#verification-lock") == "not locked"
    trust = _text(browser, "#trust")
    for device in data.alice.devices:
        row = _text(browser, f'#devices tr[data-device="{device.device_id}"]')
        assert pb.TrustState.Name(device.state) in row
    for event_id in data.alice.pending_event_ids:
        assert event_id in trust
    history = _all(browser, "#history tr.event")
    assert len(history) == min(50, sum(data.decisions.values()))
    assert bool(_all(browser, "#older-events")) == (sum(data.decisions.values()) > 50)
    assert history[0].get_attribute("class") == "event freeze"  # the takeover's transfer
    freeze = data.alice.freezes[0]
    frozen_by = _all(browser, f'#history tr[data-event-id="{freeze.event_id}"]')[0]
    assert frozen_by.find_element(By.CSS_SELECTOR, "td.risk").text == text.percent(freeze.risk)
    assert freeze.reasons[0].message in frozen_by.text
    assert data.model_version in frozen_by.text
    rows = [r.text for r in _all(browser, "#audit tr.audit-entry")]
    placed = [r for r in rows if "freeze.placed" in r]
    assert placed
    assert any(data.alice.freezes[0].freeze_id in r and "engine" in r for r in placed)

    # The search box leads to the operator-frozen account, whose id is not a nice one.
    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys(ODD_ACCOUNT)
    before = browser.find_element(By.CSS_SELECTOR, "#account-id")
    box.submit()
    # Read the next page, not alice's: reading right after submit can catch the old one as it
    # is torn down (a stale element).
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(before))
    assert _text(browser, "#account-id") == ODD_ACCOUNT
    assert OPERATOR_REASON in _text(browser, "#status")
    audit = _text(browser, "#audit")
    assert "freeze.placed" in audit
    assert "admin-1" in audit
    assert data.operator_freeze.freeze_id in audit
    assert f"admin-1 froze transfers out (freeze {data.operator_freeze.freeze_id})" in audit
    assert OPERATOR_REASON in audit  # as a sentence, not inside JSON
    assert "expires_at" not in audit
    _no_alert(browser)
    browser.save_screenshot(str(SCREENSHOT.with_name("acctguard-console-account.png")))


def test_grpc_errors_are_shown_as_readable_messages(data: Data, browser: Any,
                                                    tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with console_process(tmp_path, f"127.0.0.1:{closed}") as down:
        browser.get(down.url("/"))
        page = _text(browser, "main")
        assert "UNAVAILABLE" in page
        assert "cannot be reached" in page
        assert "Traceback" not in browser.page_source
    with console_process(tmp_path, f"127.0.0.1:{data.port}",
                         "--token", data.tokens["gateway"]) as weak:
        status, body = _fetch(weak.base + "/", token=weak.token)
        assert status == 502  # every admin call of the overview was refused
        assert "PERMISSION_DENIED" in body
        assert "needs the admin role" in body
        assert "Traceback" not in body


def test_console_refuses_a_non_loopback_address() -> None:
    from service.cli import main

    result = CliRunner().invoke(main, ["console", "--listen", "0.0.0.0:0",
                                       "--console-token", "x" * 32])
    assert result.exit_code == 2
    assert "refusing to serve the console on non-loopback" in result.output
