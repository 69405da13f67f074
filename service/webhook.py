"""CodeSender that POSTs one-time codes to the operator's delivery service (SMS, e-mail).

The body is JSON; when a signing secret is set, ``X-Acctguard-Signature: sha256=<hex>`` is an
HMAC of the body, so the receiver can tell the request came from acctguard. Use https outside
a private network: the body carries the code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request

import structlog

from service.domain.errors import DeliveryFailed
from service.domain.verification import Challenge

log = structlog.get_logger("acctguard.webhook")


class WebhookCodeSender:
    def __init__(self, url: str, signing_secret: str = "", timeout: float = 5.0) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"the code delivery webhook must be an http(s) URL, not {url!r}")
        self.url = url
        self._secret = signing_secret.encode()
        self.timeout = timeout

    def body(self, challenge: Challenge, code: str) -> bytes:
        return json.dumps({
            "challenge_id": challenge.challenge_id, "account_id": challenge.account_id,
            "code": code, "expires_at": challenge.expires_at,
            "method": challenge.method.name,
        }, separators=(",", ":")).encode()

    def send(self, challenge: Challenge, code: str) -> None:
        body = self.body(challenge, code)
        headers = {"Content-Type": "application/json"}
        if self._secret:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers["X-Acctguard-Signature"] = f"sha256={digest}"
        # The scheme was checked in __init__: http(s) only.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except (urllib.error.URLError, OSError) as exc:
            log.warning("code_delivery_failed", challenge_id=challenge.challenge_id,
                        account_id=challenge.account_id, error=type(exc).__name__)
            raise DeliveryFailed("the one-time code could not be handed to the delivery "
                                 "webhook; try again") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"the delivery webhook answered HTTP {status}")
        log.info("code_delivered", challenge_id=challenge.challenge_id,
                 account_id=challenge.account_id)
