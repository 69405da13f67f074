"""`acctguard console`: start the read-only web console."""

from __future__ import annotations

import secrets
import signal
import sys
import threading
from types import FrameType

import click
import structlog

from service.cli_client import ClientOptions, client_options

log = structlog.get_logger("acctguard.console")


def _url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


@click.command()
@click.option("--listen", default="127.0.0.1:8080", show_default=True,
              envvar="ACCTGUARD_CONSOLE_LISTEN",
              help="host:port for the web page; loopback only unless --allow-insecure "
                   "[env ACCTGUARD_CONSOLE_LISTEN]")
@click.option("--target", default=None,
              help="acctguard's gRPC host:port [env ACCTGUARD_LISTEN; 127.0.0.1:50051]")
@click.option("--console-token", envvar="ACCTGUARD_CONSOLE_TOKEN", default=None,
              help="access token for the page; generated and printed when not given "
                   "[env ACCTGUARD_CONSOLE_TOKEN]")
@click.option("--hours", type=click.IntRange(1, 168), default=24, show_default=True,
              help="hours of decisions the overview charts")
@click.option("--allow-insecure", is_flag=True, default=False,
              help="listen on a non-loopback address (the page has no TLS: put a "
                   "TLS-terminating proxy in front)")
@client_options
def console(listen: str, target: str | None, console_token: str | None, hours: int,
            allow_insecure: bool, client: ClientOptions) -> None:
    """Serve a read-only web page for risk analysts: decisions per hour, frozen accounts and
    their reasons, one account's freezes, challenges and audit trail, the loaded model.

    It calls acctguard with --token (an admin token, when acctguard has authentication on)."""
    from pydantic import ValidationError

    from service.config import Settings
    from service.console.app import Console, ConsoleServer, is_loopback, parse_listen
    from service.console.client import GuardClient
    from service.log_config import configure_logging

    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(f"bad ACCTGUARD_* setting: {exc}") from None
    configure_logging(settings.log_level, settings.log_format)
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from None
    if not is_loopback(host):
        if not allow_insecure:
            click.echo(f"refusing to serve the console on non-loopback {listen}: it has no "
                       "TLS; use --allow-insecure behind a TLS-terminating proxy", err=True)
            sys.exit(2)
        log.warning("console_insecure_listen", listen=listen)
    if console_token is not None and len(console_token) < 16:
        raise click.BadParameter("must be at least 16 characters", param_hint="--console-token")
    generated = console_token is None
    token = console_token or "agc_" + secrets.token_urlsafe(32)
    grpc_target = target or settings.listen
    channel = client.channel(grpc_target)
    guard = GuardClient(channel, grpc_target, client.metadata)
    try:
        server = ConsoleServer((host, port), Console(guard, token, hours))
    except OSError as exc:
        channel.close()
        raise click.ClickException(f"cannot listen on {listen}: {exc.strerror or exc}") from None
    url = _url(host, server.port)
    if generated:
        click.echo(f"acctguard console (read-only) for {grpc_target}: {url}?token={token}")
    else:
        click.echo(f"acctguard console (read-only) for {grpc_target}: {url} "
                   "(open it with ?token=<console token>)")
    sys.stdout.flush()
    log.info("console_started", port=server.port, target=grpc_target)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        channel.close()
        log.info("console_stopped")
