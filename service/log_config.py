"""structlog, configured once at start: JSON lines (or console for people), contextvars merged,
and account ids replaced by a keyed hash so logs can be correlated without holding them."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sys
from pathlib import Path

import structlog
from structlog.typing import EventDict, WrappedLogger

KEY_BYTES = 32


class AccountPseudonymizer:
    """A structlog processor: ``account_id`` becomes ``account``, an HMAC of the id."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
        account_id = event_dict.pop("account_id", None)
        if account_id:
            digest = hmac.new(self._key, str(account_id).encode(), hashlib.sha256).hexdigest()
            event_dict["account"] = digest[:16]
        return event_dict


def load_or_create_key(path: Path) -> bytes:
    """The log-hash key, created with mode 0600 on first use. A short key (a file truncated by a
    crash, say) is refused: with a guessable key the pseudonyms could be reversed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path}: log-hash key is {len(key)} bytes, expected {KEY_BYTES}; "
                         "delete it to create a new one")
    return key


def configure_logging(level: str = "info", fmt: str = "json", key: bytes | None = None) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            AccountPseudonymizer(key or secrets.token_bytes(32)),
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
