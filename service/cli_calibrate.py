"""`acctguard calibrate`: a model's CHALLENGE and FREEZE thresholds set from the deployment's own
traffic, for an alert budget (docs/calibration.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from detectors.recalibration import parse_rate

if TYPE_CHECKING:
    from detectors.events import EventKind
    from detectors.model import RiskModel
    from detectors.recalibration import AlertBudget, KindRisks
    from service.storage.sql_database import SqlDatabase


def _rate(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A share of events given as ``0.5%`` or ``0.005``."""
    if value is None:
        return None
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> float:
    """An ISO 8601 date or time (UTC unless it says otherwise) as seconds since the epoch."""
    if not value:
        return 0.0
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time such as 2026-12-01 or "
                                 "2026-12-01T09:00:00+01:00", ctx=ctx, param=param) from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


@click.command()
@click.option("--model", "model_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the artifact that scored the events (the one serving)")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="read the risks stored in the service's SQLite database in this directory")
@click.option("--database-url", help="read the risks stored in the service's PostgreSQL "
              "database (postgresql://user@host/db; keep the password in PGPASSWORD or "
              "~/.pgpass rather than on the command line)")
@click.option("--database-schema", default="", envvar="ACCTGUARD_DATABASE_SCHEMA",
              help="PostgreSQL schema of the service's tables [env ACCTGUARD_DATABASE_SCHEMA; "
                   "public]")
@click.option("--events", "events_path",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="an event log (JSONL as `acctguard simulate` writes it), replayed in time "
                   "order through the model with fresh profiles; rows labelled as attacks are "
                   "left out")
@click.option("--challenge-rate", required=True, callback=_rate, metavar="RATE",
              help="share of each kind's events to be at or above CHALLENGE, those at or above "
                   "FREEZE included: 0.5% or 0.005")
@click.option("--freeze-rate", required=True, callback=_rate, metavar="RATE",
              help="share of each kind's events to be at or above FREEZE: 0.02% or 0.0002")
@click.option("--since", callback=_since, metavar="DATE",
              help="count only events scored at or after this time (ISO 8601, UTC unless "
                   "given), e.g. when live traffic began after a backfill; with --events, the "
                   "events that occurred before it only build the profiles")
@click.option("--keep-missing-kinds", is_flag=True,
              help="an event kind without any events keeps its thresholds (else refused)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the calibrated artifact (.npz)")
def calibrate(model_path: Path, data_dir: Path | None, database_url: str | None,
              database_schema: str, events_path: Path | None, challenge_rate: float,
              freeze_rate: float, since: float, keep_missing_kinds: bool, out: Path) -> None:
    """Set the model's CHALLENGE and FREEZE thresholds so that the given share of each event
    kind's events scored by it are at or above them, and write a new artifact with a new
    version. Events confirmed as fraud and failed or abandoned step-ups on untrusted devices are
    left out."""
    from detectors.model import ArtifactError, RiskModel
    from detectors.recalibration import (
        AlertBudget,
        CalibrationError,
        calibrate_thresholds,
        recalibrated,
    )

    given = [name for name, value in (("--data-dir", data_dir), ("--database-url", database_url),
                                      ("--events", events_path)) if value]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --data-dir, --database-url, --events")
    try:
        budget = AlertBudget(challenge_rate, freeze_rate)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        model = RiskModel.load(model_path)
    except ArtifactError as exc:
        raise click.ClickException(str(exc)) from None
    if events_path is not None:
        risks, source = _replayed(model, events_path, since), {"events": str(events_path)}
    elif data_dir is not None:
        risks, source = _from_sqlite(model, data_dir, budget, since)
    else:
        risks, source = _from_postgres(model, database_url or "", database_schema, budget,
                                       since)
    if since:
        source["since"] = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
    try:
        calibrations = calibrate_thresholds(model, risks, budget, keep_missing_kinds)
    except CalibrationError as exc:
        raise click.ClickException(f"not calibrated: {exc}") from None
    calibrated = recalibrated(model, calibrations, budget, source,
                              datetime.now(UTC).isoformat(timespec="seconds"))
    try:
        calibrated.save(out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(json.dumps({
        "model": str(out), "version": calibrated.version, "previous_version": model.version,
        "thresholds": {str(kind): {"challenge": c.thresholds.challenge,
                                   "freeze": c.thresholds.freeze}
                       for kind, c in calibrations.items()},
        "events": {str(kind): c.events for kind, c in calibrations.items()},
        "left_out": {str(kind): c.left_out for kind, c in calibrations.items()},
        "kept_previous": [str(kind) for kind, c in calibrations.items() if c.kept_previous]}))


def _replayed(model: RiskModel, path: Path, since: float) -> dict[EventKind, KindRisks]:
    from detectors.recalibration import replayed_risks
    from detectors.simulation import read_jsonl
    from service.progress import ProgressReporter

    progress = ProgressReporter("calibrate")
    try:
        risks = replayed_risks(read_jsonl(path), model, since, progress)
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{path}: not an event log as `acctguard simulate` writes "
                                   f"one ({type(exc).__name__}: {exc})") from None
    progress.finish()
    return risks


def _from_sqlite(model: RiskModel, data_dir: Path, budget: AlertBudget,
                 since: float) -> tuple[dict[EventKind, KindRisks], dict[str, Any]]:
    from service.config import Settings
    from service.storage.stored_risks import open_sqlite

    path = Settings(data_dir=data_dir).database_path
    try:
        database = _opened(lambda: open_sqlite(path), str(path))
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc} (--data-dir is the service's data directory)"
                                   ) from None
    return _read(model, database, budget, since, str(path)), {"data_dir": str(data_dir)}


def _from_postgres(model: RiskModel, url: str, schema: str, budget: AlertBudget,
                   since: float) -> tuple[dict[EventKind, KindRisks], dict[str, Any]]:
    from service.storage.stored_risks import describe_database_url, open_postgres

    try:
        where = describe_database_url(url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    place = "PostgreSQL " + " ".join(f"{k}={v}" for k, v in where.items())
    try:
        database = _opened(lambda: open_postgres(url, schema), place)
    except ValueError as exc:  # a schema name that is not an identifier
        raise click.ClickException(str(exc)) from None
    return (_read(model, database, budget, since, place),
            {"database": where, "schema": schema or "public"})


def _opened(opener: Callable[[], SqlDatabase], place: str) -> SqlDatabase:
    from service.storage.sql_database import DRIVER_ERRORS

    # A schema newer than this build is a RuntimeError.
    refusals: tuple[type[BaseException], ...] = (RuntimeError, *DRIVER_ERRORS)
    try:
        return opener()
    except refusals as exc:
        raise click.ClickException(f"cannot open {place}: {_first_line(exc)}") from None


def _read(model: RiskModel, database: SqlDatabase, budget: AlertBudget, since: float,
          place: str) -> dict[EventKind, KindRisks]:
    from service.domain.errors import StoreUnavailable
    from service.storage.stored_risks import stored_risks, stored_versions

    when = (f" since {datetime.fromtimestamp(since, UTC).isoformat(timespec='seconds')}"
            if since else "")
    try:
        risks = stored_risks(database, model.version, budget, since)
        if all(r.events == 0 and not r.left_out for r in risks.values()):
            found = ", ".join(f"{v} ({n:,})" for v, n in stored_versions(database)[:5])
            raise click.ClickException(
                f"not calibrated: no events scored by model {model.version} in {place}{when} "
                f"(--model must be the artifact that scored them; scored there: "
                f"{found or 'nothing'})")
        return risks
    except StoreUnavailable as exc:
        raise click.ClickException(f"cannot read {place}: "
                                   f"{_first_line(exc.__cause__ or exc)}") from None
    finally:
        database.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
