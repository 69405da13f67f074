"""The tokens file: created 0600, replaced atomically, holding hashes only; reloaded on change;
and the `acctguard token` commands."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from service.cli import main
from service.rpc.tokens import (
    TOKEN_PREFIX,
    TokenFileError,
    TokenRegistry,
    create_token,
    hash_token,
    read_tokens,
    revoke_token,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "tokens.json"


def test_create_stores_only_the_hash(path):
    token, entry = create_token(path, "gw-1", "gateway")
    assert token.startswith(TOKEN_PREFIX)
    assert len(token) >= len(TOKEN_PREFIX) + 43  # 32 random bytes, base64url
    text = path.read_text()
    assert token not in text
    assert token[len(TOKEN_PREFIX):] not in text
    assert entry.sha256 == hash_token(token)
    assert entry.sha256 in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(text)
    assert data["version"] == 1
    assert set(data["tokens"][0]) == {"name", "role", "sha256", "created_at"}
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_names_are_unique_and_checked(path):
    create_token(path, "gw-1", "gateway")
    with pytest.raises(TokenFileError, match="exists"):
        create_token(path, "gw-1", "admin")
    for name in ("", "-x", "a b", "x" * 65, "ünï"):
        with pytest.raises(TokenFileError):
            create_token(path, name, "gateway")
    with pytest.raises(TokenFileError):
        create_token(path, "ok", "root")
    assert [e.name for e in read_tokens(path)] == ["gw-1"]


def test_revoke(path):
    create_token(path, "a", "gateway")
    create_token(path, "b", "admin")
    assert revoke_token(path, "a").role == "gateway"
    assert [e.name for e in read_tokens(path)] == ["b"]
    with pytest.raises(TokenFileError):
        revoke_token(path, "a")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("body", [
    "", "[]", '{"version": 2, "tokens": []}', '{"version": 1}',
    '{"version": 1, "tokens": [{"name": "x"}]}',
    '{"version": 1, "tokens": [{"name": "x", "role": "root", "sha256": "' + "0" * 64 +
    '", "created_at": "t"}]}',
    '{"version": 1, "tokens": [{"name": "x", "role": "admin", "sha256": "plaintext",'
    ' "created_at": "t"}]}'])
def test_malformed_files_are_refused(path, body):
    path.parent.mkdir(parents=True)
    path.write_text(body)
    with pytest.raises(TokenFileError):
        read_tokens(path)
    with pytest.raises(TokenFileError):
        TokenRegistry(path)


def test_missing_file_is_refused(path):
    with pytest.raises(TokenFileError, match="does not exist"):
        TokenRegistry(path)


def test_registry_follows_the_file(path):
    first, _ = create_token(path, "a", "gateway")
    tokens = TokenRegistry(path, recheck_seconds=0)
    assert tokens.find(first).name == "a"
    assert tokens.find(first + "x") is None
    second, _ = create_token(path, "b", "verifier")
    assert tokens.find(second).role == "verifier"
    revoke_token(path, "a")
    assert tokens.find(first) is None
    path.write_text("{broken")  # an unusable file accepts nobody until fixed
    assert tokens.find(second) is None
    assert tokens.entries == []


@settings(max_examples=50, deadline=None)
@given(guess=st.text(max_size=60))
def test_only_the_token_itself_matches(tmp_path_factory, guess):
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    token, _ = create_token(path, "a", "admin")
    tokens = TokenRegistry(path)
    assert (tokens.find(guess) is not None) == (guess == token)
    assert tokens.find(token) is not None


def test_token_commands(path):
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--name", "gw-1", "--role", "gateway",
                                   "--tokens-file", str(path)])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith(TOKEN_PREFIX)
    assert "\n" not in token
    assert "shown only now" in created.stderr
    assert token not in path.read_text()

    again = runner.invoke(main, ["token", "create", "--name", "gw-1", "--role", "admin",
                                 "--tokens-file", str(path)])
    assert again.exit_code != 0
    assert "exists" in again.output

    listed = runner.invoke(main, ["token", "list"], env={"ACCTGUARD_TOKENS_FILE": str(path)})
    assert listed.exit_code == 0
    assert token not in listed.output
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["gw-1"]

    revoked = runner.invoke(main, ["token", "revoke", "--name", "gw-1",
                                   "--tokens-file", str(path)])
    assert revoked.exit_code == 0
    assert read_tokens(path) == []
    bad_role = runner.invoke(main, ["token", "create", "--name", "x", "--role", "root",
                                    "--tokens-file", str(path)])
    assert bad_role.exit_code == 2
