"""The console's HTML. Every value that came from acctguard (account ids, reasons, operator
text, audit details, model metadata) is untrusted and goes through :func:`e` (html.escape)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from html import escape
from typing import Any
from urllib.parse import quote

from service.api.acctguard.v1 import acctguard_pb2 as pb
from service.console import audit_text, text
from service.console.chart import decision_chart, legend
from service.console.client import ConsoleError, FrozenList

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f4f6f9}
header.top{display:flex;gap:1.5em;align-items:center;padding:.6em 1.5em;background:#1d2a3d;
 color:#fff}
header.top a{color:#fff;text-decoration:none;font-weight:600}
header.top form{margin-left:auto}
header.top input{padding:.3em .5em;border-radius:4px;border:0;min-width:16em}
.badge{font-size:.75em;background:#3d5478;padding:.1em .5em;border-radius:3px}
main{max-width:1100px;margin:0 auto;padding:1em 1.5em 3em}
section{background:#fff;border-radius:6px;padding:1em 1.3em;margin:1em 0;
 box-shadow:0 1px 2px #0002}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #e3e7ee;vertical-align:top}
th{font-weight:600;color:#56627a}
code,pre{font:13px/1.4 ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}
.account{border-top:1px solid #e3e7ee;padding:.6em 0}
.freeze-card{border-left:4px solid #c8413b;padding:.2em .8em;margin:.5em 0;background:#fdf6f5}
.reasons{margin:.3em 0}.meta,.muted{color:#67738a;font-size:.9em}
.error{border-left:4px solid #c8413b;background:#fdf0ef;padding:.6em .9em}
.chart .axis{stroke:#9aa5b8}.chart .tick{font-size:11px;fill:#56627a}
.legend{list-style:none;padding:0;display:flex;gap:1.5em}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.35em;border-radius:2px;
 vertical-align:-.1em}
.swatch.allow{background:#7a9cc6}.swatch.challenge{background:#e3a33b}
.swatch.freeze{background:#c8413b}
.trust{font-weight:600}.trust.untrusted{color:#c8413b}.trust.pending{color:#9a6400}
.trust.trusted{color:#2c7a4b}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em;margin:0}
dt{color:#56627a}dd{margin:0}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# No script at all; only the inline style block above.
CSP = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def e(value: object) -> str:
    return escape(str(value), quote=True)


def account_href(account_id: str) -> str:
    return "/account/" + quote(account_id, safe="")


def page(title: str, body: str, search: str = "") -> str:
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{e(title)} · acctguard console</title><style>{STYLE}</style></head><body>"
        "<header class=\"top\"><a href=\"/\">acctguard console</a>"
        "<span class=\"badge\">read-only</span>"
        "<form method=\"get\" action=\"/account\" role=\"search\">"
        "<label>Account <input id=\"search\" name=\"id\" maxlength=\"128\" required "
        f"placeholder=\"account id\" value=\"{e(search)}\"></label> "
        "<button type=\"submit\">Open</button></form></header>"
        f"<main>{body}</main></body></html>")


def error_box(error: ConsoleError) -> str:
    details = f" <span class=\"muted\">({e(error.details)})</span>" if error.details else ""
    return (f"<div class=\"error\" role=\"alert\"><strong>{e(error.code)}</strong>: "
            f"{e(error.message)}{details}</div>")


def message_page(title: str, message: str) -> str:
    return page(title, f"<section><h1>{e(title)}</h1><p>{e(message)}</p></section>")


UNAUTHORIZED = (
    "Access token required",
    "This console needs its access token. Open the link acctguard console printed when it "
    "started (http://host:port/?token=...), or send the token as "
    "'Authorization: Bearer <token>'.")


def unauthorized_page() -> str:
    return message_page(*UNAUTHORIZED)


# --- freezes ---------------------------------------------------------------------------------

def _reasons(reasons: Sequence[pb.Reason]) -> str:
    if not reasons:
        return "<p class=\"muted\">No reasons recorded.</p>"
    items = "".join(f"<li><strong>{e(text.reason_title(r.code))}</strong>: {e(r.message)}</li>"
                    for r in reasons)
    return f"<ul class=\"reasons\">{items}</ul>"


def freeze_card(freeze: pb.Freeze, now: float) -> str:
    placed_by = freeze.placed_by or "unknown"
    # An operator's freeze carries no score worth showing.
    risk = (f" · risk {e(text.percent(freeze.risk))}"
            if freeze.risk and placed_by == "engine" else "")
    return (
        f"<div class=\"freeze-card\" data-freeze-id=\"{e(freeze.freeze_id)}\">"
        f"<div><strong>Frozen: {e(text.features(freeze.features))}</strong>{risk}</div>"
        f"{_reasons(freeze.reasons)}"
        f"<div class=\"meta\">placed by <strong>{e(placed_by)}</strong> "
        f"{e(text.when(freeze.created_at))} ({e(text.relative(freeze.created_at, now))}) · "
        f"expires {e(text.when(freeze.expires_at))} "
        f"({e(text.relative(freeze.expires_at, now))}) · freeze <code>{e(freeze.freeze_id)}"
        f"</code>" + (f" · event <code>{e(freeze.event_id)}</code>" if freeze.event_id else "")
        + "</div></div>")


def _frozen_section(frozen: FrozenList | ConsoleError,
                    statuses: Mapping[str, pb.AccountStatus | ConsoleError],
                    now: float) -> str:
    head = "<section id=\"frozen\"><h2>Frozen accounts</h2>"
    if isinstance(frozen, ConsoleError):
        return head + error_box(frozen) + "</section>"
    if not frozen.accounts:
        return head + "<p>No account is frozen right now.</p></section>"
    rows = []
    for account in frozen.accounts:
        link = (f"<a class=\"account-link\" href=\"{e(account_href(account.account_id))}\">"
                f"{e(account.account_id)}</a>")
        status = statuses.get(account.account_id)
        if isinstance(status, ConsoleError):
            body = error_box(status)
        elif status is None:
            body = "<p class=\"muted\">Open the account for its reasons.</p>"
        else:
            body = "".join(freeze_card(f, now) for f in status.freezes)
        rows.append(
            f"<div class=\"account\" data-account=\"{e(account.account_id)}\"><div>{link} · "
            f"{e(text.features(account.frozen_features))} · {account.active_freezes} active "
            f"freeze{'s' if account.active_freezes != 1 else ''} · last frozen "
            f"{e(text.when(account.last_frozen_at))}</div>{body}</div>")
    more = ("<p class=\"muted\">More accounts are frozen than shown here.</p>"
            if frozen.truncated else "")
    return f"{head}<p>{len(frozen.accounts)} account(s).</p>{''.join(rows)}{more}</section>"


# --- home ------------------------------------------------------------------------------------

def _chart_section(summary: pb.DecisionSummary | ConsoleError, hours: int) -> str:
    head = f"<section id=\"decisions\"><h2>Decisions, last {hours} hours (UTC)</h2>"
    if isinstance(summary, ConsoleError):
        return head + error_box(summary) + "</section>"
    return head + decision_chart(summary.hours) + legend(summary.hours) + "</section>"


def _figures(source: str) -> str:
    try:
        data: Any = json.loads(source) if source else {}
    except ValueError:
        data = None
    rows = ""
    if isinstance(data, dict):
        thresholds = data.get("thresholds")
        if isinstance(thresholds, dict) and all(isinstance(v, dict)
                                                for v in thresholds.values()):
            rows += "".join(
                f"<tr><td>{e(kind)}</td><td>{e(v.get('challenge', ''))}</td>"
                f"<td>{e(v.get('freeze', ''))}</td></tr>" for kind, v in thresholds.items())
            rows = ("<table class=\"thresholds\"><tr><th>event kind</th><th>challenge at risk "
                    f"≥</th><th>freeze at risk ≥</th></tr>{rows}</table>")
        scalars = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in data.items()
                          if isinstance(v, str | int | float | bool))
        if scalars:
            rows += f"<dl class=\"figures\">{scalars}</dl>"
    raw = (f"<details><summary>Source (JSON)</summary><pre id=\"model-source\">"
           f"{e(text.pretty_json(source))}</pre></details>") if source else ""
    return rows + raw


def _model_section(model: pb.ModelInfo | ConsoleError) -> str:
    head = "<section id=\"model\"><h2>Model</h2>"
    if isinstance(model, ConsoleError):
        return head + error_box(model) + "</section>"
    return (head + "<dl>"
            f"<dt>Version</dt><dd id=\"model-version\"><code>{e(model.version)}</code></dd>"
            f"<dt>Detectors</dt><dd>{e(', '.join(model.detectors) or '–')}</dd>"
            f"<dt>Challenge at risk ≥</dt><dd>{model.challenge_threshold:.4f}</dd>"
            f"<dt>Freeze at risk ≥</dt><dd>{model.freeze_threshold:.4f}</dd>"
            f"<dt>Trained</dt><dd>{e(text.when(model.trained_at))}</dd>"
            + _origins(model) + "</dl>" + _figures(model.source) + "</section>")


def _origins(model: pb.ModelInfo) -> str:
    """Which event kinds the model was trained on, and which it kept from a base model."""
    trained = f"<dt>Trained on its data</dt><dd>{e(', '.join(model.trained_kinds) or '–')}</dd>"
    if not model.base_kinds:
        return trained
    return (trained + f"<dt>Kept from base model</dt><dd>{e(', '.join(model.base_kinds))} "
            f"(<code>{e(model.base_model_version)}</code>)</dd>")


def home_page(summary: pb.DecisionSummary | ConsoleError, hours: int,
              frozen: FrozenList | ConsoleError,
              statuses: Mapping[str, pb.AccountStatus | ConsoleError],
              model: pb.ModelInfo | ConsoleError, now: float) -> str:
    return page("Overview", "<h1>Overview</h1>" + _chart_section(summary, hours)
                + _frozen_section(frozen, statuses, now) + _model_section(model))


# --- one account -----------------------------------------------------------------------------

def _status_section(status: pb.AccountStatus | ConsoleError, now: float) -> str:
    if isinstance(status, ConsoleError):
        return "<section id=\"status\"><h2>Freezes</h2>" + error_box(status) + "</section>"
    freezes = ("".join(freeze_card(f, now) for f in status.freezes)
               or "<p>No active freeze.</p>")
    challenges = "".join(
        f"<tr><td><code>{e(c.challenge_id)}</code></td><td>{e(text.method(c.method))}</td>"
        f"<td>{e(text.when(c.created_at))}</td><td>{e(text.when(c.expires_at))} "
        f"({e(text.relative(c.expires_at, now))})</td><td>{c.attempts_left}</td>"
        f"<td>{'yes' if c.verified else 'no'}</td></tr>" for c in status.open_challenges)
    challenges = (
        "<table id=\"challenges\"><tr><th>challenge</th><th>method</th><th>opened</th>"
        f"<th>expires</th><th>attempts left</th><th>verified</th></tr>{challenges}</table>"
        if challenges else "<p>No open challenge.</p>")
    locked = text.seconds(status.verification_locked_until)
    lock = (f"locked until {e(text.when(status.verification_locked_until))} "
            f"({e(text.relative(status.verification_locked_until, now))})"
            if locked is not None and locked > now else "not locked")
    return (f"<section id=\"status\"><h2>Active freezes</h2>{freezes}</section>"
            f"<section id=\"verification\"><h2>Verification</h2>{challenges}"
            f"<p>Verification: <strong id=\"verification-lock\">{lock}</strong>. "
            f"Authenticator app: <strong>"
            f"{'enrolled' if status.authenticator_enrolled else 'not enrolled'}</strong>.</p>"
            "</section>")


def _device_row(device: pb.DeviceTrust, now: float) -> str:
    state = text.trust_state_name(device.state)
    until = (f"{e(text.when(device.until))} ({e(text.relative(device.until, now))})"
             if text.seconds(device.until) is not None else "–")
    return (f"<tr class=\"device\" data-device=\"{e(device.device_id)}\" "
            f"data-state=\"{e(state)}\"><td><code>{e(device.device_id)}</code></td>"
            f"<td><span class=\"trust {e(state.lower())}\">{e(state)}</span></td>"
            f"<td>{until}</td><td>{e(device.reason) or '–'}</td></tr>")


def _trust_section(status: pb.AccountStatus | ConsoleError, now: float) -> str:
    """Devices with what acctguard trusts of each, and the challenged events still awaiting
    their step-up's result. Nothing when the status failed: its section says so."""
    if isinstance(status, ConsoleError):
        return ""
    devices = "<p>No device known.</p>"
    if status.devices:
        rows = "".join(_device_row(d, now) for d in status.devices)
        devices = ("<table id=\"devices\"><tr><th>device</th><th>trust</th><th>until</th>"
                   f"<th>reason</th></tr>{rows}</table>")
    pending = "<p id=\"pending-events\">No challenged event awaits its result.</p>"
    if status.pending_event_ids:
        items = "".join(f"<li><code>{e(x)}</code></li>" for x in status.pending_event_ids)
        pending = ("<p>Challenged events awaiting their step-up's result, oldest first:</p>"
                   f"<ul id=\"pending-events\">{items}</ul>")
    return ("<section id=\"trust\"><h2>Devices and pending step-ups</h2>"
            f"{devices}{pending}</section>")


_DECISIONS = {pb.ALLOW: "allow", pb.CHALLENGE: "challenge", pb.FREEZE: "freeze"}


def _page_href(account_id: str, audit_token: str, events_token: str) -> str:
    """The account page at the given audit trail and history pages (empty: the first)."""
    query = "&".join(f"{name}={quote(token, safe='')}" for name, token
                     in (("page", audit_token), ("events", events_token)) if token)
    return account_href(account_id) + (f"?{query}" if query else "")


def _event_row(event: pb.AccountEvent, tz: tzinfo | None) -> str:
    decision = _DECISIONS.get(event.decision, "unknown")
    would = (f" <span class=\"muted\">(would {e(_DECISIONS.get(event.would_decision, '?'))})"
             "</span>" if event.would_decision else "")
    happened = event.occurred_at if event.HasField("occurred_at") else event.scored_at
    reasons = _reasons(event.reasons) if event.reasons else ""
    return (
        f"<tr class=\"event {decision}\" data-event-id=\"{e(event.event_id)}\">"
        f"<td>{e(audit_text.local_time(text.seconds(happened), tz))}</td>"
        f"<td>{e(text.words(event.kind))}</td>"
        f"<td class=\"decision\">{e(decision)}{would}</td>"
        f"<td class=\"risk\">{e(text.percent(event.risk))}</td>"
        f"<td>{reasons}</td>"
        f"<td><code>{e(event.event_id)}</code><div class=\"muted\">model "
        f"{e(event.model_version)}</div></td></tr>")


def _history_section(account_id: str, events: pb.ListAccountEventsResponse | ConsoleError,
                     audit_token: str, events_token: str, tz: tzinfo | None) -> str:
    head = "<section id=\"history\"><h2>Decision history</h2>"
    if isinstance(events, ConsoleError):
        return head + error_box(events) + "</section>"
    if not events.events:
        return head + "<p>No scored events" + (" on this page" if events_token else "") \
            + ".</p></section>"
    links = []
    if events_token:
        links.append(f"<a href=\"{e(_page_href(account_id, audit_token, ''))}\">newest</a>")
    if events.next_page_token:
        links.append(f"<a id=\"older-events\" href=\""
                     f"{e(_page_href(account_id, audit_token, events.next_page_token))}\">"
                     "older</a>")
    rows = "".join(_event_row(event, tz) for event in events.events)
    return (head + "<table><tr><th>time</th><th>kind</th><th>decision</th><th>risk</th>"
            f"<th>reasons</th><th>event</th></tr>{rows}</table><p>{' · '.join(links)}</p>"
            "</section>")


def _audit_section(account_id: str, trail: pb.GetAuditTrailResponse | ConsoleError,
                   page_token: str, events_token: str = "", tz: tzinfo | None = None) -> str:
    """Each entry as a sentence, times in ``tz`` (None: the console's local time zone)."""
    head = "<section id=\"audit\"><h2>Audit trail</h2>"
    if isinstance(trail, ConsoleError):
        return head + error_box(trail) + "</section>"
    if not trail.entries:
        return head + "<p>No audit entries" + (" on this page" if page_token else "") \
            + ".</p></section>"
    rows = "".join(
        f"<tr class=\"audit-entry\" data-sequence=\"{x.sequence}\">"
        f"<td>{e(audit_text.local_time(text.seconds(x.at), tz))}</td><td>{e(x.actor)}</td>"
        f"<td class=\"action\">{e(x.action)}</td>"
        f"<td class=\"sentence\">{e(audit_text.sentence(x, tz))}</td></tr>"
        for x in trail.entries)
    links = []
    if page_token:
        links.append(f"<a href=\"{e(_page_href(account_id, '', events_token))}\">first page</a>")
    if trail.next_page_token:
        links.append(f"<a id=\"next-page\" href=\""
                     f"{e(_page_href(account_id, trail.next_page_token, events_token))}\">"
                     "next page</a>")
    return (head + "<table><tr><th>time</th><th>actor</th><th>action</th>"
            f"<th>what happened</th></tr>{rows}</table><p>{' · '.join(links)}</p></section>")


def account_page(account_id: str, status: pb.AccountStatus | ConsoleError,
                 trail: pb.GetAuditTrailResponse | ConsoleError, page_token: str,
                 now: float,
                 events: pb.ListAccountEventsResponse | ConsoleError | None = None,
                 events_token: str = "", tz: tzinfo | None = None) -> str:
    history = ("" if events is None
               else _history_section(account_id, events, page_token, events_token, tz))
    return page(f"Account {account_id}",
                f"<h1>Account <code id=\"account-id\">{e(account_id)}</code></h1>"
                + _status_section(status, now) + _trust_section(status, now) + history
                + _audit_section(account_id, trail, page_token, events_token, tz),
                search=account_id)
