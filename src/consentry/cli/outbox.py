"""``consentry outbox``: see what mail waits, and deliver what is due now.

Servers deliver by themselves (a mail thread in each process); ``send`` is for deployments that
switch it off and run it from cron, and for an operator who has just fixed the SMTP server.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, err_console, fail
from consentry.domain.mail.outbox import State, counts, describe, listing
from consentry.domain.mail.sender import OnResult
from consentry.errors import DomainError
from consentry.storage.outage import STORAGE_ERRORS

outbox_app = typer.Typer(help="The mail outbox: what waits, what was sent.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
MAX_LIMIT = 1000


def _usage_error(message: str, as_json: bool) -> None:
    """Bad arguments exit 2, as click reports its own usage errors."""
    if as_json:
        typer.echo(json.dumps({"error": "invalid_argument", "message": message}))
    else:
        err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@outbox_app.command("list", help="List mails, newest first: all of them, or those pending, sent or failed.")
def outbox_list(
    pending_: Annotated[
        bool, typer.Option("--pending", help="Only mails still to deliver (due or waiting to retry).")
    ] = False,
    sent: Annotated[bool, typer.Option("--sent", help="Only mails an SMTP server accepted.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Only mails the sender gave up on.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help=f"At most N mails (1 to {MAX_LIMIT}).")
    ] = 50,
    json_: JsonOpt = False,
) -> None:
    chosen = [name for name, on in (("pending", pending_), ("sent", sent), ("failed", failed)) if on]
    if len(chosen) > 1:
        _usage_error(f"choose one of --pending, --sent, --failed, not {len(chosen)}", json_)
    if not 1 <= limit <= MAX_LIMIT:
        _usage_error(f"--limit must be between 1 and {MAX_LIMIT}, not {limit}", json_)
    state: State = "all"
    if chosen:
        state = "pending" if chosen[0] == "pending" else "sent" if chosen[0] == "sent" else "failed"
    with unit_of_work(json_) as (session, _s, _h):
        out = {
            "state": state,
            "counts": counts(session),
            "mails": [describe(mail) for mail in listing(session, state=state, limit=limit)],
        }
    if json_:
        emit(out, True)
    else:
        _render_list(out)


@outbox_app.command("send", help="Deliver every mail that is due now over CONSENTRY_SMTP_URL.")
def outbox_send(json_: JsonOpt = False) -> None:
    from consentry.domain.mail.sender import drain
    from consentry.domain.mail.smtp_url import SmtpConfig
    from consentry.settings import Settings
    from consentry.storage.db import Database

    try:
        settings = Settings()
        config = SmtpConfig.parse(settings.smtp_url)
    except ValidationError as err:
        fail("invalid_settings", "; ".join(e["msg"] for e in err.errors()), json_)
        return
    except DomainError as err:
        fail(err.code, err.message, json_)
        return
    db: Database | None = None
    try:
        db = Database(settings.database_url)
        with _progress(not json_ and sys.stderr.isatty()) as on_result:
            report = drain(db, config, mail_from=settings.mail_from, on_result=on_result)
    except DomainError as err:  # CONSENTRY_MAIL_FROM is not an address
        fail("invalid_settings", err.message, json_)
        return
    except (*STORAGE_ERRORS, ImportError) as err:  # bad URL, unreachable, not migrated, no driver
        fail("database_error", str(getattr(err, "orig", None) or err).splitlines()[0], json_)
        return
    finally:
        if db is not None:
            db.dispose()
    out: dict[str, Any] = {"smtp": config.redacted(), **report.as_dict()}
    if report.smtp_error is not None:
        # A server-side failure: exit 1, with the usual error keys and what was done before it.
        out = {"error": "smtp_error", "message": report.smtp_error, **out}
    if json_:
        emit(out, True)
    else:
        _render_send(out)
    if report.smtp_error is not None:
        raise typer.Exit(1)


@contextmanager
def _progress(enabled: bool) -> Iterator[OnResult | None]:
    """Mails sent and failed so far, on stderr while a person is watching."""
    if not enabled:
        yield None
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    done = {"sent": 0, "failed": 0}
    task = bar.add_task("sending", total=None)

    def advance(_message_id: str, error: str | None) -> None:
        done["failed" if error else "sent"] += 1
        bar.update(task, description=f"sent {done['sent']:,}, failed {done['failed']:,}")

    with bar:
        yield advance


def _when(at: int | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _render_list(out: dict[str, Any]) -> None:
    table = Table(
        "message id", "state", "to", "subject", "tries", "next try / sent (UTC)", "last error", box=None
    )
    for mail in out["mails"]:
        when = _when(mail["sent_at"]) if mail["state"] == "sent" else _when(mail["next_attempt_at"])
        table.add_row(
            mail["message_id"],
            mail["state"],
            ", ".join(mail["recipients"]),
            mail["subject"],
            str(mail["attempts"]),
            when,
            mail["last_error"],
        )
    console.print(table)
    c = out["counts"]
    console.print(f"{c['pending']:,} pending, {c['sent']:,} sent, {c['failed']:,} failed")


def _render_send(out: dict[str, Any]) -> None:
    console.print(
        f"sent {out['sent']:,}, failed {out['failed']:,} (gave up on {out['gave_up']:,}); "
        f"{out['remaining']:,} still to deliver, via {out['smtp']}"
    )
    if out.get("error"):  # the same reason for every mail: say it once
        err_console.print(f"[red]error:[/red] SMTP server unavailable: {out['message']}")
        return
    for failure in out["failures"]:
        err_console.print(f"[yellow]{failure['message_id']}[/yellow]: {failure['error']}")
