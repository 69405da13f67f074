"""The ``acctguard`` command: serve, train, simulate, and small clients for trying it by hand."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click
import structlog

from service.cli_calibrate import calibrate
from service.cli_client import ClientOptions, client_options, rpc_failure
from service.cli_records import audit, outcomes
from service.cli_restore import admin, challenge, report_outcome, unfreeze, verify
from service.cli_tokens import token
from service.config import Settings
from service.console.cli import console
from service.progress import ProgressReporter

if TYPE_CHECKING:
    from detectors.base_model import BaseModel
    from detectors.simulation.model import LabelledEvent
    from service.rpc.security import ServerSecurity

log = structlog.get_logger("acctguard")


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@click.group()
def main() -> None:
    """acctguard: account-security scoring with scoped, temporary credit freezes."""


main.add_command(token)
main.add_command(audit)
main.add_command(outcomes)
main.add_command(verify)
main.add_command(challenge)
main.add_command(unfreeze)
main.add_command(admin)
main.add_command(console)
main.add_command(calibrate)
outcomes.add_command(report_outcome)


@main.command()
@click.option("--listen", help="host:port to bind [env ACCTGUARD_LISTEN; 127.0.0.1:50051]")
@click.option("--data-dir", type=click.Path(path_type=Path),
              help="where the database, model and keys live [env ACCTGUARD_DATA_DIR; ./data]")
@click.option("--model-path", type=click.Path(path_type=Path),
              help="model artifact [env ACCTGUARD_MODEL_PATH; DATA_DIR/model.npz]")
@click.option("--tokens-file", type=click.Path(dir_okay=False, path_type=Path),
              help="bearer tokens from `acctguard token create`; turns authentication on "
                   "[env ACCTGUARD_TOKENS_FILE]")
@click.option("--tls-cert-file", type=click.Path(dir_okay=False, path_type=Path),
              help="server certificate (PEM) [env ACCTGUARD_TLS_CERT_FILE]")
@click.option("--tls-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="server private key (PEM) [env ACCTGUARD_TLS_KEY_FILE]")
@click.option("--tls-client-ca-file", type=click.Path(dir_okay=False, path_type=Path),
              help="require client certificates signed by this CA (mTLS) "
                   "[env ACCTGUARD_TLS_CLIENT_CA_FILE]")
@click.option("--allow-insecure", is_flag=True, default=None,
              help="listen on a non-loopback address without TLS and authentication "
                   "[env ACCTGUARD_ALLOW_INSECURE]")
def serve(listen: str | None, data_dir: Path | None, model_path: Path | None,
          tokens_file: Path | None, tls_cert_file: Path | None, tls_key_file: Path | None,
          tls_client_ca_file: Path | None, allow_insecure: bool | None) -> None:
    """Run the gRPC service (trains the default model first if there is none)."""
    from pydantic import ValidationError

    from service.keys import load_or_create_key
    from service.log_config import configure_logging

    try:
        settings = _settings(listen=listen, data_dir=data_dir, model_path=model_path,
                             tokens_file=tokens_file, tls_cert_file=tls_cert_file,
                             tls_key_file=tls_key_file, tls_client_ca_file=tls_client_ca_file,
                             allow_insecure=allow_insecure or None)
    except ValidationError as exc:
        configure_logging()
        log.error("cannot_start", error=str(exc))
        sys.exit(2)
    from detectors.model import ArtifactError

    security = _server_security(settings)  # before anything is written: a refusal leaves none
    configure_logging(settings.log_level, settings.log_format,
                      load_or_create_key(settings.log_key_path))
    _log_security(settings, security)
    try:
        asyncio.run(_serve(settings, security))
    except (ArtifactError, FileNotFoundError) as exc:
        log.error("cannot_start", error=str(exc))
        sys.exit(2)


def _server_security(settings: Settings) -> ServerSecurity:
    """TLS and authentication from the settings, and the listen-address rule, checked before
    anything is written or loaded (the data directory and its log-hash key, model, database),
    so a refused start is immediate and leaves nothing behind. Exit 2, with one log line, when
    refused."""
    from service.rpc.security import SecurityConfigError, ServerSecurity

    try:
        security = ServerSecurity.from_settings(settings)
    except SecurityConfigError as exc:
        _refuse(settings, "cannot_start", error=str(exc))
    check = security.check_listen(settings.listen)
    if not check.allowed:
        _refuse(settings, "insecure_listen_refused", listen=settings.listen,
                error=check.message)
    return security


def _refuse(settings: Settings, event: str, **fields: Any) -> NoReturn:
    from service.log_config import configure_logging

    # The line names no account, so the log-hash key (in the data directory) is not needed.
    configure_logging(settings.log_level, settings.log_format)
    log.error(event, **fields)
    sys.exit(2)


def _log_security(settings: Settings, security: ServerSecurity) -> None:
    check = security.check_listen(settings.listen)
    if check.insecure_override:
        log.warning("insecure_listen", listen=settings.listen, warning=check.message)
    log.info("security", listen=settings.listen, tls=security.tls is not None,
             mtls=security.authorizer.mtls, tokens=security.authorizer.tokens is not None,
             authentication=security.authorizer.enabled)
    if not security.authorizer.enabled:
        log.warning("authentication_off", listen=settings.listen,
                    note="every caller is anonymous with the admin role")


async def _reload_model(app: Any) -> None:
    """SIGHUP: load the configured model artifact again (refused ones are logged; the old
    model keeps serving)."""
    from service.domain.errors import FailedPrecondition

    reloader = app.admin_handlers.reloader
    if reloader is None:
        return
    with contextlib.suppress(FailedPrecondition):  # logged by the reloader
        await reloader.reload()


def _serve_metrics(metrics: Any, listen: str) -> Any:
    """The /metrics endpoint, or None when ACCTGUARD_METRICS_LISTEN is empty. A port that cannot
    be bound is logged, not fatal: scoring matters more than its metrics."""
    if not listen:
        return None
    from service.metrics_http import serve_metrics

    try:
        server, port = serve_metrics(metrics, listen)
    except OSError as exc:
        log.error("metrics_unavailable", listen=listen, error=str(exc))
        return None
    log.info("metrics", listen=listen, port=port, path="/metrics")
    return server


async def _serve(settings: Settings, security: ServerSecurity | None = None) -> None:
    from service.bootstrap import build_application
    from service.collector import tune_for_serving
    from service.retention import RetentionTask
    from service.rpc.server import GuardServer

    app = build_application(settings)
    tune_for_serving(settings.gc_gen0_threshold)
    server = GuardServer(app.handlers, settings.listen, settings.max_message_bytes,
                         settings.max_concurrent_rpcs, settings.shutdown_notice_seconds,
                         security=security, metrics=app.metrics)
    for service, behaviors in app.services()[1:]:  # AccountGuard is the first
        server.add_service(service, behaviors)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    reloading: set[asyncio.Task[None]] = set()

    def reload_on_sighup() -> None:
        task = loop.create_task(_reload_model(app))
        reloading.add(task)
        task.add_done_callback(reloading.discard)
    loop.add_signal_handler(signal.SIGHUP, reload_on_sighup)
    try:
        try:
            port = await server.start()
        except OSError as exc:
            log.error("cannot_listen", listen=settings.listen, error=str(exc))
            raise SystemExit(2) from None
        metrics_server = _serve_metrics(app.metrics, settings.metrics_listen)
        retention = RetentionTask(app.admin_handlers.admin, app.handlers.worker,
                                  settings.retention_days * 86400)
        retention.start()
        log.info("serving", listen=settings.listen, port=port,
                 model_version=app.engine.scorer.version, data_dir=str(settings.data_dir))
        await stopping.wait()
        await retention.stop()
        if metrics_server is not None:
            metrics_server.shutdown()
        log.info("shutting_down", grace_seconds=settings.grace_seconds)
    finally:
        await server.stop(settings.grace_seconds)
        app.close()
        log.info("stopped")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="where to write the model artifact (.npz)")
@click.option("--events", type=click.Path(exists=True, path_type=Path),
              help="labelled JSONL from `acctguard simulate`; default: simulate now")
@click.option("--accounts", default=3000, show_default=True)
@click.option("--days", default=28, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--detectors", default="hbos,ecod", show_default=True,
              help="comma-separated PyOD detectors: hbos, ecod, copod, iforest, loda")
@click.option("--challenge-fpr", default=0.005, show_default=True)
@click.option("--freeze-fpr", default=0.0002, show_default=True)
@click.option("--test-fraction", default=0.0, show_default=True,
              help="share of accounts kept out of fitting for `acctguard eval`")
@click.option("--outcomes", "outcomes_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="outcomes from `acctguard outcomes export`: events reported "
              "as fraud or legitimate are labelled so")
@click.option("--base-model", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="artifact whose detectors and thresholds are kept for the event kinds the "
                   "events have too few of; default: the model the service trains from its "
                   "simulator (ACCTGUARD_TRAIN_ACCOUNTS/DAYS/SEED), trained only if needed")
def train(out: Path, events: Path | None, accounts: int, days: int, seed: int, detectors: str,
          challenge_fpr: float, freeze_fpr: float, test_fraction: float,
          outcomes_file: Path | None, base_model: Path | None) -> None:
    """Fit detectors on honest traffic and write a versioned model artifact.

    Event kinds with too few honest events (a log of card transactions has no sign-ins) keep
    the base model's detectors and thresholds; the artifact records which kinds came from where.
    """
    from detectors.base_model import KindOrigins
    from detectors.model import ArtifactError
    from detectors.simulation import SimulationConfig, read_jsonl, simulate
    from detectors.training import TrainingConfig, TrainingDataError
    from detectors.training import train as fit

    config = TrainingConfig(detectors=tuple(d.strip() for d in detectors.split(",") if d.strip()),
                            challenge_fpr=challenge_fpr, freeze_fpr=freeze_fpr, seed=seed,
                            test_fraction=test_fraction)
    started = time.perf_counter()
    if events is not None:
        stream = read_jsonl(events)
        source: dict[str, Any] = {"events": str(events)}
    else:
        stream = simulate(SimulationConfig(accounts=accounts, days=days, seed=seed))
        source = {"simulator": {"accounts": accounts, "days": days, "seed": seed}}
    stream = _with_outcomes(stream, outcomes_file, source)
    progress = ProgressReporter("train")
    try:
        model = fit(stream, config, source=source, base=_base_model(base_model),
                    on_progress=progress)
    except (TrainingDataError, ArtifactError) as exc:
        raise click.ClickException(str(exc)) from None
    model.save(out)
    progress.finish(sum(model.metadata["rows"].values()))
    origins = KindOrigins.of(model.metadata)
    click.echo(json.dumps({"model": str(out), "version": model.version,
                           "rows": model.metadata["rows"],
                           "trained_kinds": [str(k) for k in origins.trained],
                           "base_kinds": [str(k) for k in origins.from_base],
                           "base_model_version": origins.base_version,
                           "seconds": round(time.perf_counter() - started, 1)}))
    for line in origins.summary("this log" if events is not None else "simulated traffic"):
        click.echo(line, err=True)


def _base_model(path: Path | None) -> BaseModel:
    """The file given, or the service's default model (trained from the simulator only when a
    kind needs it)."""
    from detectors.base_model import BaseModel

    if path is not None:
        return BaseModel.from_file(path)
    settings = Settings()
    return BaseModel.simulator_default(settings.train_accounts, settings.train_days,
                                       settings.train_seed)


POPULATION_OPTION = click.option(
    "--population", type=click.Choice(["default", "stress"]), default="default",
    show_default=True, help="default: everyday customers; stress: only the honest personas the "
    "default population underrepresents (docs/evaluation.md)")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="JSONL to write")
@click.option("--accounts", default=2000, show_default=True)
@click.option("--days", default=28, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--attack-rate", default=0.02, show_default=True,
              help="fraction of accounts that suffer an attack")
@POPULATION_OPTION
def simulate(out: Path, accounts: int, days: int, seed: int, attack_rate: float,
             population: str) -> None:
    """Write labelled synthetic traffic (honest customers and attacks) as JSON Lines."""
    from detectors.simulation import SimulationConfig, write_jsonl
    from detectors.simulation import simulate as generate

    started = time.perf_counter()
    progress = ProgressReporter("simulate")
    count = write_jsonl(generate(SimulationConfig(accounts=accounts, days=days, seed=seed,
                                                  attack_rate=attack_rate,
                                                  population=population)), out, progress)
    progress.finish(count)
    click.echo(json.dumps({"events": count, "out": str(out),
                           "seconds": round(time.perf_counter() - started, 1)}))


@main.command()
@click.argument("name", type=click.Choice(["normal-week", "takeover"]))
@click.option("--account", default="demo-alice", show_default=True)
def example(name: str, account: str) -> None:
    """Print an example event sequence as JSONL (for `acctguard score`).

    The week ends yesterday; the takeover comes 30 minutes after its last sign-in."""
    from detectors.demo import normal_week, takeover, takeover_start
    from detectors.events import event_to_dict

    start = math.floor(time.time() / 86400) * 86400 - 8 * 86400
    events = normal_week(account, start) if name == "normal-week" else takeover(
        account, takeover_start(start))
    for event in events:
        click.echo(json.dumps(event_to_dict(event)))


def _read_events(source: TextIO) -> Iterator[Any]:
    from detectors.events import event_from_dict

    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        data = json.loads(line)
        try:
            yield event_from_dict(data.get("event", data))
        except (KeyError, ValueError, TypeError) as exc:
            raise click.ClickException(f"line {number}: not an event ({exc})") from exc


@main.command()
@click.argument("source", type=click.File("r"), default="-")
@click.option("--target", default=None, help="host:port [env ACCTGUARD_LISTEN]")
@click.option("--timeout", default=5.0, show_default=True)
@client_options
def score(source: TextIO, target: str | None, timeout: float, client: ClientOptions) -> None:
    """Send events (JSONL, one per line, from SOURCE or stdin) to Score; print each answer."""
    import grpc
    from google.protobuf.json_format import MessageToDict

    from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc
    from service.rpc.converters import event_to_request

    address = target or Settings().listen
    with client.channel(address) as channel:
        stub = rpc.AccountGuardStub(channel)  # type: ignore[no-untyped-call]
        for event in _read_events(source):
            try:
                response = stub.Score(event_to_request(event), timeout=timeout,
                                      metadata=client.metadata)
            except grpc.RpcError as exc:
                raise click.ClickException(f"{event.event_id}: {exc.code().name}: "
                                           f"{exc.details()}") from exc
            click.echo(json.dumps(MessageToDict(response, preserving_proto_field_name=True)))


@main.command()
@click.option("--account", required=True)
@click.option("--target", default=None, help="host:port [env ACCTGUARD_LISTEN]")
@client_options
def status(account: str, target: str | None, client: ClientOptions) -> None:
    """Print an account's active freezes, open challenges, devices with their trust state and
    challenged events awaiting a result (every field, empty ones too)."""
    import grpc
    from google.protobuf.json_format import MessageToDict

    from service.api.acctguard.v1 import acctguard_pb2 as pb
    from service.api.acctguard.v1 import acctguard_pb2_grpc as rpc

    with client.channel(target or Settings().listen) as channel:
        try:
            stub = rpc.AccountGuardStub(channel)  # type: ignore[no-untyped-call]
            reply = stub.GetAccountStatus(pb.GetAccountStatusRequest(account_id=account),
                                          timeout=5.0, metadata=client.metadata)
        except grpc.RpcError as exc:
            raise rpc_failure(exc) from exc
    click.echo(json.dumps(MessageToDict(reply, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=True), indent=2))


@main.command()
@click.option("--target", default=None, help="host:port [env ACCTGUARD_LISTEN]")
@click.option("--service", "service_name", default="", help="service to ask about ('' = server)")
@click.option("--timeout", default=2.0, show_default=True)
@client_options
def health(target: str | None, service_name: str, timeout: float, client: ClientOptions) -> None:
    """Exit 0 only if the service reports SERVING (for container health checks)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with client.channel(target or Settings().listen) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service_name), timeout=timeout,
                metadata=client.metadata)
        except grpc.RpcError as exc:
            click.echo(f"NOT_SERVING ({exc.code().name})", err=True)
            sys.exit(1)
    state = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    click.echo(state)
    sys.exit(0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1)


QUICK_ACCOUNTS, QUICK_DAYS = 400, 14


def _with_outcomes(stream: Iterator[LabelledEvent], outcomes_file: Path | None,
                   source: dict[str, Any]) -> Iterator[LabelledEvent]:
    """The stream relabelled by reported outcomes, noted in the artifact's or report's source."""
    if outcomes_file is None:
        return stream
    from service.evaluation.outcomes import read_outcomes, relabel

    try:
        reported = read_outcomes(outcomes_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    source["outcomes"] = {"file": str(outcomes_file), "reported": len(reported)}
    return relabel(stream, reported)


@main.command("eval")
@click.option("--model", "model_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="model artifact from `acctguard train`")
@click.option("--events", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="labelled JSONL from `acctguard simulate`; default: simulate now")
@click.option("--accounts", default=3000, show_default=True)
@click.option("--days", default=28, show_default=True)
@click.option("--seed", default=101, show_default=True,
              help="simulation seed; the training seed replays the training world, whose "
                   "test-split accounts the model never saw")
@click.option("--attack-rate", default=0.05, show_default=True,
              help="fraction of accounts that suffer an attack")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="where report.json and report.png go")
@click.option("--quick", is_flag=True,
              help=f"simulate at most {QUICK_ACCOUNTS} accounts for {QUICK_DAYS} days (a smoke "
                   "test)")
@click.option("--outcomes", "outcomes_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="outcomes from `acctguard outcomes export`: events reported "
              "as fraud or legitimate are labelled so")
@click.option("--feedback", type=click.Choice(["loop", "none"]), default="loop",
              show_default=True, help="loop: simulated gateways report step-up results, "
              "holders restore frozen accounts, a risk team confirms fraud (docs/evaluation.md); "
              "none: nothing comes back")
@POPULATION_OPTION
@click.option("--backfill-days", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
              help="score the first days in audit mode (nothing frozen, profiles learned) and "
                   "leave them out of the figures, as a rollout's backfill of history does")
def eval_command(model_path: Path, events: Path | None, accounts: int, days: int, seed: int,
                 attack_rate: float, out_dir: Path, quick: bool,
                 outcomes_file: Path | None, feedback: str, population: str,
                 backfill_days: float) -> None:
    """Replay labelled events through the scoring engine: attacks caught, honest customers
    frozen, reasons given. Writes OUT_DIR/report.json and OUT_DIR/report.png."""
    from detectors.model import ArtifactError, RiskModel
    from detectors.simulation import SimulationConfig, read_jsonl
    from detectors.simulation import simulate as generate
    from service.evaluation import evaluate
    from service.evaluation.figures import render
    from service.evaluation.report import summary_table

    if quick and events is not None:
        raise click.UsageError("--quick shortens a simulation; it does not apply to --events")
    if population != "default" and events is not None:
        raise click.UsageError("--population chooses whom to simulate; it does not apply to "
                               "--events")
    try:
        model = RiskModel.load(model_path)
    except ArtifactError as exc:
        raise click.ClickException(str(exc)) from exc
    if events is not None:
        stream = read_jsonl(events)
        source: dict[str, Any] = {"events": str(events)}
    else:
        if quick:
            accounts, days = min(accounts, QUICK_ACCOUNTS), min(days, QUICK_DAYS)
        stream = generate(SimulationConfig(accounts=accounts, days=days, seed=seed,
                                           attack_rate=attack_rate, population=population))
        source = {"simulator": {"accounts": accounts, "days": days, "seed": seed,
                                "attack_rate": attack_rate, "population": population}}
    stream = _with_outcomes(stream, outcomes_file, source)
    if backfill_days >= days and events is None:
        raise click.UsageError(f"--backfill-days {backfill_days:g} leaves nothing of --days "
                               f"{days} to measure")
    progress = ProgressReporter("eval")
    report = evaluate(stream, model, source=source, feedback=feedback == "loop",
                      backfill_days=backfill_days, on_progress=lambda n: progress("score", n))
    progress.finish(report["data"].get("events_in_stream"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    render(report, out_dir / "report.png")
    click.echo(summary_table(report))
    click.echo(f"\nwrote {out_dir / 'report.json'} and {out_dir / 'report.png'}")
