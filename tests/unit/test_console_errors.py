"""The console answers its own errors under /api/ as JSON shaped like its 502s (error, message,
details), and elsewhere as pages: served over 127.0.0.1 with a stand-in client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.test_console_trust import TOKEN, _StandInClient, serving_console


class _BrokenClient(_StandInClient):
    def account_status(self, account_id: str) -> Any:
        raise RuntimeError("secret internals")


@pytest.fixture
def base() -> Iterator[str]:
    with serving_console(_BrokenClient()) as url:
        yield url


def _get(url: str, token: str | None = TOKEN) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http://127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.mark.parametrize(("path", "token", "status", "error"), [
    ("/api/nothing-here", TOKEN, 404, "NOT_FOUND"),
    ("/api/summary?hours=0", TOKEN, 400, "BAD_REQUEST"),
    ("/api/account/" + "x" * 129, TOKEN, 400, "BAD_REQUEST"),
    ("/api/model", None, 401, "UNAUTHORIZED"),
    ("/api/model?token=wrong", None, 401, "UNAUTHORIZED"),
    ("/api/account/alice", TOKEN, 500, "INTERNAL_SERVER_ERROR"),
])
def test_api_errors_are_json(base, path, token, status, error):
    code, content_type, body = _get(base + path, token)
    assert code == status
    assert content_type == "application/json"
    answer = json.loads(body)
    assert set(answer) == {"error", "message", "details"}
    assert answer["error"] == error
    assert answer["message"]
    assert "secret internals" not in body


@pytest.mark.parametrize(("path", "status"), [("/nothing-here", 404), ("/?hours=0", 400),
                                              ("/account/alice", 500)])
def test_page_errors_stay_pages(base, path, status):
    code, content_type, body = _get(base + path)
    assert code == status
    assert content_type.startswith("text/html")
    assert "secret internals" not in body
