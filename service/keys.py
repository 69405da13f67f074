"""Secrets kept in files beside (never inside) the database: created once with mode 0600.

``verification.key`` is the root of the verification secrets: one subkey MACs one-time codes
(so the database holds no code), another seals enrolled TOTP secrets with AES-GCM (so a copy of
the database alone cannot mint authenticator codes).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


def load_or_create_key(path: Path, what: str = "key") -> bytes:
    """The key in ``path``, created with mode 0600 on first use (by whichever process gets there
    first). A short key (a file truncated by a crash, say) is refused."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it a moment ago
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(KEY_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path}: {what} is {len(key)} bytes, expected {KEY_BYTES}; "
                         "restore it from backup, or delete it to create a new one")
    return key


def derive_key(root: bytes, purpose: str) -> bytes:
    return hmac.new(root, purpose.encode(), hashlib.sha256).digest()


class AesGcmBox:
    """SecretBox: AES-256-GCM with a random nonce; ``context`` is bound as associated data, so a
    sealed secret copied to another account's row does not open."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key[:KEY_BYTES])

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                      context.encode())
        except InvalidTag:
            raise ValueError("a sealed secret does not open with this key and context") from None
