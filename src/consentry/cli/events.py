"""``consentry events``: security events pushed to apps (DATA-2, DATA-4) and their endpoints.

Servers push by themselves (the mail thread of each process also delivers the due events);
``deliver`` is for deployments that switch that thread off (``CONSENTRY_MAIL_INTERVAL=0``) and run
it from cron, and for an operator who wants a fixed endpoint tried now rather than at its backoff.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, err_console, fail
from consentry.domain.actor import Actor
from consentry.domain.events import deletion, queue
from consentry.domain.events.deliver import OnResult
from consentry.domain.events.endpoint import send_verification, set_endpoint
from consentry.errors import NotFound
from consentry.storage.outage import STORAGE_ERRORS
from consentry.storage.tables import Project

events_app = typer.Typer(help="Security events pushed to apps (RFC 8417 / 8935).", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _project(session: Session, name: str) -> Project:
    project = session.scalar(select(Project).where(Project.name == name.strip()))
    if project is None:
        raise NotFound("project", f"no project {name!r}")
    return project


@events_app.command("list", help="Events, newest first: of one project or all, in one status or any.")
def events_list(
    project: Annotated[str | None, typer.Option("--project", help="Only this project's events.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="pending, delivered, failed or all.", metavar="S")
    ] = "all",
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="At most N events (1 to 1000).")] = 50,
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        project_id = _project(session, project).id if project is not None else None
        rows = queue.listing(session, project_id=project_id, status=status, limit=limit)
        out: dict[str, Any] = {
            "project": project,
            "status": status,
            "counts": queue.counts(session, project_id=project_id),
            "events": [r.as_dict() for r in rows],
        }
    if json_:
        emit(out, True)
        return
    table = Table("id", "project", "event", "sub", "status", "tries", "queued (UTC)", "last answer", box=None)
    for e in out["events"]:
        table.add_row(
            str(e["id"]),
            e["project"],
            e["event"],
            e["sub"] or "-",
            e["status"],
            str(e["attempts"]),
            _when(e["created_at"]),
            e["last_error"],
        )
    console.print(table)
    c = out["counts"]
    console.print(f"{c['pending']:,} pending, {c['delivered']:,} delivered, {c['failed']:,} failed")


@events_app.command("show", help="One event by id or jti, with the claims of its token.")
def events_show(ref: Annotated[str, typer.Argument(metavar="ID")], json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        row, claims = queue.get(session, ref)
        out = {**row.as_dict(), "claims": claims}
    emit(out, json_, title=None if json_ else f"event {row.id}")


@events_app.command("endpoint", help='Set a project\'s push endpoint (https); "" removes it.')
def events_endpoint(project: str, url: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        row = _project(session, project)
        previous = row.events_endpoint
        new = set_endpoint(session, row, url, allow_private=settings.fetch_allow_private, actor=Actor.cli())
        out = {"project": row.name, "events_endpoint": new, "previous": previous}
    emit(out, json_)


@events_app.command("verify", help="Queue a RISC verification event to test a project's receiver.")
def events_verify(
    project: str,
    state: Annotated[str, typer.Option(help="Echoed back in the event (default: random).")] = "",
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        row = _project(session, project)
        event = send_verification(session, row, issuer=settings.issuer_url, actor=Actor.cli(), state=state)
        session.flush()
        out = {"project": row.name, "id": event.id, "jti": event.jti, "claims": event.claims}
    emit(out, json_)


@events_app.command("overdue", help="Deletion requests no app acknowledged in time (DATA-2).")
def events_overdue(
    days: Annotated[
        int | None, typer.Option(help="Overdue after this many days (default: the setting).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    if days is not None and days < 1:
        fail("invalid_argument", f"--days must be at least 1, not {days}", json_)
    with unit_of_work(json_) as (session, settings, _h):
        after = days or settings.deletion_overdue_days
        items = [i.as_dict() for i in deletion.overdue(session, after)]
    if json_:
        emit({"days": after, "overdue": items}, True)
        return
    table = Table("project", "user", "requested (UTC)", "days", "status", "tries", "last answer", box=None)
    for i in items:
        table.add_row(
            i["project"],
            i["user_email"] or i["sub"] or "-",
            _when(i["requested_at"]),
            str(i["age_days"]),
            i["status"],
            str(i["attempts"]),
            i["last_error"],
        )
    console.print(table)
    console.print(f"{len(items):,} deletion requests unacknowledged after {after} days")


@events_app.command("deliver", help="Push every event that is due now.")
def events_deliver(json_: JsonOpt = False) -> None:
    from cryptography.exceptions import InvalidTag

    from consentry.domain.events.deliver import drain
    from consentry.domain.events.push import Pusher
    from consentry.domain.keys.envelope import Envelope
    from consentry.domain.keys.manager import KeyManager
    from consentry.settings import Settings
    from consentry.storage.db import Database

    try:
        settings = Settings()
    except ValidationError as err:
        fail("invalid_settings", "; ".join(e["msg"] for e in err.errors()), json_)
        return
    db: Database | None = None
    try:
        db = Database(settings.database_url)
        keys = KeyManager(
            db,
            Envelope(settings.secret_key),
            publish_retired_for=settings.id_token_ttl + settings.access_token_ttl + 3600,
        )
        keys.ensure()
        keys.signing_key("RS256")  # a secret that cannot open the keys fails here, not per event
        pusher = Pusher(timeout=settings.events_timeout, allow_private=settings.fetch_allow_private)
        with _progress(not json_ and sys.stderr.isatty()) as on_result:
            report = drain(db, keys, pusher, on_result=on_result)
    except InvalidTag:
        fail(
            "secret_key_mismatch",
            "CONSENTRY_SECRET_KEY differs from the servers' (it cannot open the signing keys)",
            json_,
        )
        return
    except (*STORAGE_ERRORS, ImportError) as err:  # bad URL, unreachable, not migrated, no driver
        fail("database_error", str(getattr(err, "orig", None) or err).splitlines()[0], json_)
        return
    finally:
        if db is not None:
            db.dispose()
    out = report.as_dict()
    if json_:
        emit(out, True)
        return
    console.print(
        f"delivered {out['delivered']:,}, failed {out['failed']:,} (rejected {out['rejected']:,}, "
        f"gave up on {out['gave_up']:,}); {out['remaining']:,} still pending"
    )
    for failure in out["failures"]:
        err_console.print(f"[yellow]{failure['jti']}[/yellow]: {failure['error']}")


@contextmanager
def _progress(enabled: bool) -> Iterator[OnResult | None]:
    """Events delivered and failed so far, on stderr while a person is watching."""
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
    done = {"delivered": 0, "failed": 0}
    task = bar.add_task("pushing", total=None)

    def advance(_jti: str, error: str | None) -> None:
        done["failed" if error else "delivered"] += 1
        bar.update(task, description=f"delivered {done['delivered']:,}, failed {done['failed']:,}")

    with bar:
        yield advance


def _when(at: int | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
