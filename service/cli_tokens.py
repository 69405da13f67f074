"""``acctguard token create|list|revoke``: manage the bearer tokens of a tokens file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from service.rpc.tokens import ROLES, TokenFileError, create_token, read_tokens, revoke_token

tokens_file_option = click.option(
    "--tokens-file", type=click.Path(dir_okay=False, path_type=Path), required=True,
    envvar="ACCTGUARD_TOKENS_FILE", help="the tokens file [env ACCTGUARD_TOKENS_FILE]")


@click.group()
def token() -> None:
    """Bearer tokens: each has a name and a role; only its SHA-256 is stored."""


@token.command()
@click.option("--name", required=True, help="who holds the token, e.g. gateway-eu-1")
@click.option("--role", required=True, type=click.Choice(ROLES))
@tokens_file_option
def create(name: str, role: str, tokens_file: Path) -> None:
    """Create a token and print it (on stdout, this once: it is not stored)."""
    try:
        secret, entry = create_token(tokens_file, name, role)
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"token for {entry.name} (role {entry.role}) added to {tokens_file}; "
               "it is shown only now", err=True)
    click.echo(secret)


@token.command("list")
@tokens_file_option
def list_tokens(tokens_file: Path) -> None:
    """One JSON line per token: name, role, created_at (never the token)."""
    try:
        entries = read_tokens(tokens_file)
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for entry in entries:
        click.echo(json.dumps({"name": entry.name, "role": entry.role,
                               "created_at": entry.created_at}))


@token.command()
@click.option("--name", required=True)
@tokens_file_option
def revoke(name: str, tokens_file: Path) -> None:
    """Remove a token; a running server stops accepting it within a second."""
    try:
        entry = revoke_token(tokens_file, name)
    except TokenFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked {entry.name} (role {entry.role})", err=True)
