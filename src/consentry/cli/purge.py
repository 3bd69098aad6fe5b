"""``consentry purge``: delete rows that can never be used again, so tables stay bounded.

For deployments that switch the in-server janitor off (``CONSENTRY_JANITOR_INTERVAL=0``) and run
this from cron or a systemd timer instead (docs/maintenance.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from consentry.cli.output import console, emit, err_console, fail
from consentry.domain.maintenance.purge import DEFAULT_BATCH, DEFAULT_GRACE, MAX_BATCH, OnBatch, PurgeReport

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
HELP = (
    "Delete expired and revoked tokens, old codes and stale sign-in state.\n\n"
    "Deletes rows that can never be used again: expired tokens; revoked tokens (a rotated refresh token "
    "stays until it expires, so replaying it is still caught as reuse); expired authorization and device "
    "codes; paused sign-in requests; browser sessions; client-assertion ids; sign-in throttles.\n\n"
    "Safe while servers run: small transactions, and concurrent purges do not conflict. Servers purge "
    "by themselves every CONSENTRY_JANITOR_INTERVAL seconds; run this from cron when that is 0. "
    "See docs/maintenance.md."
)


def _usage_error(message: str, as_json: bool) -> None:
    """Bad arguments exit 2, as click reports its own usage errors."""
    if as_json:
        typer.echo(json.dumps({"error": "invalid_argument", "message": message}))
    else:
        err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@contextmanager
def _progress(enabled: bool, dry_run: bool) -> Iterator[OnBatch | None]:
    """Rows deleted so far, per table, on stderr while a person is watching."""
    if not enabled:
        yield None
        return
    verb = "counted" if dry_run else "deleted"
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<20}"),
        TextColumn(f"{{task.completed:>12,.0f}} {verb}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def advance(table: str, n: int) -> None:
        if table not in tasks:
            tasks[table] = bar.add_task(table, total=None)
        bar.advance(tasks[table], n)

    with bar:
        yield advance


def _render(report: PurgeReport) -> None:
    head = "would delete" if report.dry_run else "deleted"
    table = Table("table", head, box=None)
    for name, n in report.tables.items():
        table.add_row(name, f"{n:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{report.deleted:,}[/bold]")
    console.print(table)
    console.print(f"{report.seconds:.2f} s" + (" (dry run: nothing was deleted)" if report.dry_run else ""))


def purge_command(
    grace: Annotated[
        int,
        typer.Option(
            "--grace",
            metavar="SECONDS",
            help="Keep rows this long after they became useless, and revoked tokens this long after "
            "revocation (0 or more).",
        ),
    ] = DEFAULT_GRACE,
    batch: Annotated[
        int,
        typer.Option(
            "--batch",
            metavar="N",
            help=f"Rows deleted per transaction (1 to {MAX_BATCH:,}); each batch holds its locks briefly.",
        ),
    ] = DEFAULT_BATCH,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Delete the rows :data:`HELP` lists, in batches; see docs/maintenance.md."""
    from consentry.domain.maintenance.purge import purge
    from consentry.settings import Settings
    from consentry.storage.db import Database

    if grace < 0:
        _usage_error(f"--grace must be 0 or more seconds, not {grace}", json_)
    if not 1 <= batch <= MAX_BATCH:
        _usage_error(f"--batch must be between 1 and {MAX_BATCH:,}, not {batch}", json_)
    try:
        settings = Settings()
    except ValidationError as err:
        fail("invalid_settings", "; ".join(e["msg"] for e in err.errors()), json_)
        return
    db: Database | None = None
    done = [0]  # rows so far, for the message when interrupted
    try:
        db = Database(settings.database_url)
        with _progress(not json_ and sys.stderr.isatty(), dry_run) as advance:

            def on_batch(table: str, n: int) -> None:
                done[0] += n
                if advance:
                    advance(table, n)

            report = purge(
                db,
                grace=grace,
                batch=batch,
                dry_run=dry_run,
                on_batch=on_batch,
            )
    except (SQLAlchemyError, ImportError) as err:  # bad URL, unreachable, not migrated, no driver
        fail("database_error", str(getattr(err, "orig", None) or err).splitlines()[0], json_)
        return
    except KeyboardInterrupt:
        # Every finished batch is committed; only the one in flight was rolled back.
        try:
            fail("interrupted", f"interrupted after {done[0]:,} rows; run it again to finish", json_)
        except typer.Exit:
            raise typer.Exit(130) from None
    finally:
        if db is not None:
            db.dispose()
    if json_:
        emit(report.as_dict(), True)
    else:
        _render(report)
