"""The tokens file: bearer tokens by name and role, stored only as SHA-256 hashes.

Format (JSON, mode 0600, replaced atomically)::

    {"version": 1, "tokens": [{"name": "gw-1", "role": "gateway",
                               "sha256": "<hex>", "created_at": "2025-01-01T00:00:00Z"}]}

A token is ``agt_`` + ``secrets.token_urlsafe(32)`` (256 random bits): it is shown once by
``acctguard token create`` and never stored. A fast hash is enough for random tokens of this
length (nothing to brute-force); lookups compare every stored hash in constant time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

log = structlog.get_logger("acctguard.tokens")

TOKEN_PREFIX = "agt_"  # noqa: S105  # a prefix that makes leaked tokens recognisable
ROLES = ("gateway", "verifier", "admin")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
FORMAT_VERSION = 1


class TokenFileError(ValueError):
    """The tokens file is missing, unreadable or malformed, or a change to it is refused."""


@dataclass(frozen=True, slots=True)
class TokenEntry:
    name: str
    role: str
    sha256: str
    created_at: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def read_tokens(path: Path) -> list[TokenEntry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TokenFileError(f"tokens file {path} does not exist; create it with "
                             "`acctguard token create`") from None
    except (OSError, ValueError) as exc:
        raise TokenFileError(f"tokens file {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(
            data.get("tokens"), list):
        raise TokenFileError(f"tokens file {path}: expected {{\"version\": {FORMAT_VERSION}, "
                             "\"tokens\": [...]}")
    entries = []
    for index, item in enumerate(data["tokens"]):
        try:
            entry = TokenEntry(name=str(item["name"]), role=str(item["role"]),
                               sha256=str(item["sha256"]), created_at=str(item["created_at"]))
        except (KeyError, TypeError):
            raise TokenFileError(f"tokens file {path}: tokens[{index}] needs name, role, "
                                 "sha256 and created_at") from None
        if entry.role not in ROLES or not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
            raise TokenFileError(f"tokens file {path}: tokens[{index}] has an unknown role "
                                 "or a malformed hash")
        entries.append(entry)
    return entries


def write_tokens(path: Path, entries: list[TokenEntry]) -> None:
    """Replace ``path`` atomically: a 0600 temporary file in the same directory, fsync,
    rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"version": FORMAT_VERSION, "tokens": [asdict(e) for e in entries]},
                      indent=2) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the tokens file between concurrent commands."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def create_token(path: Path, name: str, role: str) -> tuple[str, TokenEntry]:
    """Add a token for ``name`` (refused if the name exists); returns the token, which is
    not stored anywhere, and its entry."""
    if not NAME_PATTERN.fullmatch(name):
        raise TokenFileError("name: 1-64 characters of letters, digits, '.', '_', '@', '-', "
                             "starting with a letter or digit")
    if role not in ROLES:
        raise TokenFileError(f"role: one of {', '.join(ROLES)}")
    with _locked(path):
        entries = read_tokens(path) if path.exists() else []
        if any(e.name == name for e in entries):
            raise TokenFileError(f"a token named {name!r} exists; revoke it first")
        token = new_token()
        entry = TokenEntry(name, role, hash_token(token),
                           datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        write_tokens(path, [*entries, entry])
    return token, entry


def revoke_token(path: Path, name: str) -> TokenEntry:
    with _locked(path):
        entries = read_tokens(path)
        kept = [e for e in entries if e.name != name]
        if len(kept) == len(entries):
            raise TokenFileError(f"no token named {name!r}")
        write_tokens(path, kept)
    return next(e for e in entries if e.name == name)


class TokenRegistry:
    """The tokens of a file, re-read when the file changes (checked at most every
    ``recheck_seconds``), so ``token create`` and ``token revoke`` take effect without a
    restart. A file that becomes unreadable or malformed accepts no token until fixed."""

    def __init__(self, path: Path, recheck_seconds: float = 1.0) -> None:
        self.path = path
        self.recheck_seconds = recheck_seconds
        self._entries = read_tokens(path)  # at start, a bad file is an error
        self._signature = self._stat()
        self._checked = time.monotonic()

    @property
    def entries(self) -> list[TokenEntry]:
        self._refresh()
        return list(self._entries)

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.recheck_seconds:
            return
        self._checked = now
        signature = self._stat()
        if signature == self._signature:
            return
        self._signature = signature
        try:
            self._entries = read_tokens(self.path)
        except TokenFileError as exc:
            self._entries = []
            log.error("tokens_file_unusable", path=str(self.path), error=str(exc))
            return
        log.info("tokens_reloaded", path=str(self.path), tokens=len(self._entries))

    def find(self, token: str) -> TokenEntry | None:
        """The entry whose hash matches ``token``; every entry is compared in constant time."""
        self._refresh()
        digest = hash_token(token)
        found = None
        for entry in self._entries:
            if hmac.compare_digest(entry.sha256, digest):
                found = entry
        return found
