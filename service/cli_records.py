"""`acctguard audit verify` and `acctguard outcomes export`: read the embedded database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from service.config import Settings


def _database(data_dir: Path | None) -> Path:
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    path = settings.database_path
    if not path.exists():
        raise click.ClickException(f"no database at {path} (--data-dir / ACCTGUARD_DATA_DIR)")
    return path


data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path),
    help="the service's data directory [env ACCTGUARD_DATA_DIR; ./data]")


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit trail."""


@audit.command("verify")
@data_dir_option
def verify(data_dir: Path | None) -> None:
    """Recompute the audit trail's hash chain; exit 1 if an entry was changed or removed."""
    from service.storage.sqlite_db import SqliteDatabase

    database = SqliteDatabase(_database(data_dir))
    try:
        check = database.verify_audit_chain()
    finally:
        database.close()
    click.echo(json.dumps({"intact": check.intact, "entries": check.entries,
                           "first_bad_sequence": check.first_bad_sequence or None}))
    if not check.intact:
        sys.exit(1)


@click.group()
def outcomes() -> None:
    """Outcomes reported through ReportOutcome."""


@outcomes.command("export")
@data_dir_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="JSON Lines to write; give it to `train --outcomes` and `eval --outcomes`")
def export(data_dir: Path | None, out: Path) -> None:
    """Write every reported outcome, one JSON object per line."""
    from service.evaluation.outcomes import write_outcomes
    from service.storage.sql_restore import SqlFreezeLedger
    from service.storage.sqlite_db import SqliteDatabase

    database = SqliteDatabase(_database(data_dir))
    try:
        count = write_outcomes(SqlFreezeLedger(database).outcomes(), out)
    finally:
        database.close()
    click.echo(json.dumps({"outcomes": count, "out": str(out)}))
