"""The console's HTTP side: access token, routing, responses. Standard library only
(ThreadingHTTPServer); every page is rendered on the server, with no script."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import structlog
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console import views
from service.console.client import ConsoleError, FrozenList, GuardClient

log = structlog.get_logger("acctguard.console")
T = TypeVar("T")

MAX_ID = 128
MAX_HOURS = 168
# Frozen accounts whose freezes (reasons, expiry) are fetched for the overview.
DETAILED_ACCOUNTS = 100


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:8080' or '[::1]:8080' -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"{listen!r} is not host:port")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Console:
    client: GuardClient
    token: str
    hours: int = 24

    def token_ok(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    @property
    def session(self) -> str:
        """The cookie's value: derived from the token, so the token itself is not stored."""
        return hmac.new(self.token.encode(), b"acctguard-console-session",
                        hashlib.sha256).hexdigest()


class ConsoleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], console: Console) -> None:
        self.console = console
        super().__init__(address, Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Handler(BaseHTTPRequestHandler):
    route = "-"

    def version_string(self) -> str:
        return "acctguard-console"

    @property
    def console(self) -> Console:
        return cast(ConsoleServer, self.server).console

    # --- plumbing ----------------------------------------------------------------------------

    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8",
              headers: Mapping[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", views.CSP)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value, indent=2), "application/json")

    def _refuse(self, status: HTTPStatus, title: str, message: str, html: str = "",
                headers: Mapping[str, str] | None = None) -> None:
        """An error answer: JSON under /api/ (shaped like the 502s'), a page elsewhere."""
        path = urlsplit(self.path).path
        if path == "/api" or path.startswith("/api/"):
            body = json.dumps({"error": status.name, "message": message, "details": ""},
                              indent=2)
            self._send(status, body, "application/json", headers)
            return
        self._send(status, html or views.message_page(title, message), headers=headers)

    def _redirect(self, location: str, headers: Mapping[str, str] | None = None) -> None:
        self._send(HTTPStatus.SEE_OTHER, "", headers={"Location": location, **(headers or {})})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The route's name only: paths carry account ids and query strings the token.
        log.info("console_request", method=self.command, route=self.route, status=int(code)
                 if str(code).isdigit() else str(code))

    def log_message(self, format: str, *args: Any) -> None:
        log.warning("console_http_error", message=format.split("%")[0].strip() or format)

    @property
    def _cookie_name(self) -> str:
        # Cookies are shared between ports of one host: one name per console.
        return f"acctguard_console_{cast(ConsoleServer, self.server).port}"

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer ") and self.console.token_ok(header[7:].strip()):
            return True
        try:
            cookies = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            return False
        morsel = cookies.get(self._cookie_name)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(),
                                                          self.console.session.encode())

    # --- requests ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        try:
            self._handle()
        except Exception:  # the page says something went wrong; the log has the rest
            log.exception("console_error", route=self.route)
            self._refuse(HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong",
                         "The console failed to build this page; its log says why.")

    def do_HEAD(self) -> None:
        self.do_GET()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        if "token" in query:
            self.route = "token"
            if not self.console.token_ok(query["token"][0]):
                self._refuse(HTTPStatus.UNAUTHORIZED, *views.UNAUTHORIZED,
                             html=views.unauthorized_page())
                return
            rest = urlencode([(k, v) for k, vs in query.items() if k != "token" for v in vs])
            cookie = (f"{self._cookie_name}={self.console.session}; Path=/; HttpOnly; "
                      "SameSite=Strict")
            self._redirect(url.path + (f"?{rest}" if rest else ""), {"Set-Cookie": cookie})
            return
        if not self._authorised():
            self.route = "unauthorised"
            self._refuse(HTTPStatus.UNAUTHORIZED, *views.UNAUTHORIZED,
                         html=views.unauthorized_page(),
                         headers={"WWW-Authenticate": 'Bearer realm="acctguard console"'})
            return
        routes: dict[str, Callable[[str, dict[str, list[str]]], None]] = {
            "/": self._home, "/account": self._search, "/account/": self._account,
            "/api/summary": self._api_summary, "/api/frozen": self._api_frozen,
            "/api/model": self._api_model, "/api/account/": self._api_account,
        }
        path = url.path
        for prefix, handler in routes.items():
            if path == prefix or (prefix.endswith("/") and prefix != "/"
                                  and path.startswith(prefix) and len(path) > len(prefix)):
                self.route = prefix
                handler(unquote(path[len(prefix):]) if prefix.endswith("/") else "", query)
                return
        self.route = "not_found"
        self._refuse(HTTPStatus.NOT_FOUND, "Not found", "No such page.")

    def _hours(self, query: dict[str, list[str]]) -> int | None:
        raw = query.get("hours", [str(self.console.hours)])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
            self._refuse(HTTPStatus.BAD_REQUEST, "Bad request",
                         f"hours must be a whole number from 1 to {MAX_HOURS}.")
            return None
        return int(raw)

    def _account_id(self, account_id: str) -> bool:
        if 0 < len(account_id) <= MAX_ID:
            return True
        self._refuse(HTTPStatus.BAD_REQUEST, "Bad request",
                     f"An account id has 1 to {MAX_ID} characters.")
        return False

    # --- pages -------------------------------------------------------------------------------

    def _home(self, _: str, query: dict[str, list[str]]) -> None:
        hours = self._hours(query)
        if hours is None:
            return
        client = self.console.client
        summary = _attempt(lambda: client.decision_summary(hours))
        frozen = _attempt(client.frozen_accounts)
        statuses: dict[str, pb.AccountStatus | ConsoleError] = {}
        if isinstance(frozen, FrozenList):
            statuses = client.account_statuses(
                a.account_id for a in frozen.accounts[:DETAILED_ACCOUNTS])
        model = _attempt(client.model_info)
        failed = all(isinstance(x, ConsoleError) for x in (summary, frozen, model))
        self._send(HTTPStatus.BAD_GATEWAY if failed else HTTPStatus.OK,
                   views.home_page(summary, hours, frozen, statuses, model, time.time()))

    def _search(self, _: str, query: dict[str, list[str]]) -> None:
        account_id = query.get("id", [""])[0].strip()
        if self._account_id(account_id):
            self._redirect(views.account_href(account_id))

    def _account(self, account_id: str, query: dict[str, list[str]]) -> None:
        if not self._account_id(account_id):
            return
        page_token = query.get("page", [""])[0]
        events_token = query.get("events", [""])[0]
        client = self.console.client
        status = _attempt(lambda: client.account_status(account_id))
        events = _attempt(lambda: client.account_events(account_id, events_token))
        trail = _attempt(lambda: client.audit_trail(account_id, page_token))
        failed = all(isinstance(x, ConsoleError) for x in (status, events, trail))
        self._send(HTTPStatus.BAD_GATEWAY if failed else HTTPStatus.OK,
                   views.account_page(account_id, status, trail, page_token, time.time(),
                                      events, events_token))

    # --- JSON --------------------------------------------------------------------------------

    def _api(self, call: Callable[[], Any]) -> None:
        try:
            value = call()
        except ConsoleError as error:
            self._json(HTTPStatus.BAD_GATEWAY, {"error": error.code, "message": error.message,
                                                "details": error.details})
            return
        self._json(HTTPStatus.OK, value)

    def _api_summary(self, _: str, query: dict[str, list[str]]) -> None:
        hours = self._hours(query)
        if hours is not None:
            self._api(lambda: _dict(self.console.client.decision_summary(hours)))

    def _api_frozen(self, _: str, query: dict[str, list[str]]) -> None:
        def frozen() -> dict[str, Any]:
            listing = self.console.client.frozen_accounts()
            return {"accounts": [_dict(a) for a in listing.accounts],
                    "truncated": listing.truncated}
        self._api(frozen)

    def _api_model(self, _: str, query: dict[str, list[str]]) -> None:
        self._api(lambda: _dict(self.console.client.model_info()))

    def _api_account(self, account_id: str, query: dict[str, list[str]]) -> None:
        if not self._account_id(account_id):
            return
        client = self.console.client
        page_token = query.get("page", [""])[0]
        events_token = query.get("events", [""])[0]
        self._api(lambda: {"status": _dict(client.account_status(account_id)),
                           "events": _dict(client.account_events(account_id, events_token)),
                           "audit": _dict(client.audit_trail(account_id, page_token))})


def _attempt(call: Callable[[], T]) -> T | ConsoleError:
    try:
        return call()
    except ConsoleError as error:
        return error


def _dict(message: Message) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)

