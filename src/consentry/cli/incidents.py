"""``consentry incident``: report a security incident for a project and track it (SEC-6).

The same Incidents service as the console and the API, acting as the operator: a report is mailed
(through the outbox) to CONSENTRY_SECURITY_CONTACT with a copy to the project's contacts, and the
platform's moves (acknowledge, note, resolve) leave an audit event and a mail to the project.
The server's mail loop sends the mail within CONSENTRY_MAIL_INTERVAL (or ``consentry outbox send``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, fail
from consentry.cli.services import when
from consentry.domain.actor import Actor
from consentry.domain.incidents import listing
from consentry.domain.incidents.form import CERTAINTIES, STATEMENTS, IncidentInput
from consentry.domain.incidents.service import Incidents
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.repositories.incidents import SqlIncidents

incident_app = typer.Typer(
    help="Security incidents (SEC-6): report one for a project, list, show, and track them.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
IdArg = Annotated[int, typer.Argument(help="The incident's number (see `consentry incident list`).")]
NoteOpt = Annotated[str, typer.Option("--note", help="Mailed to the project's contacts.")]
MAIL_HINT = (
    "queued in the outbox: the server sends it within CONSENTRY_MAIL_INTERVAL (or: consentry outbox send)"
)


@contextmanager
def _incidents(as_json: bool) -> Iterator[Incidents]:
    """The service as the operator, in one unit of work (a DomainError: exit 2, or 1 if ours)."""
    with unit_of_work(as_json) as (session, settings, _hasher):
        projects = Projects(SqlConsole(session, settings.issuer), Actor.cli(), Catalogue(settings.issuer))
        yield Incidents(
            projects,
            SqlIncidents(session, settings.issuer_url),
            security_contact=settings.security_contact_address,
            issuer=settings.issuer_url,
        )


def _print(out: dict[str, Any], as_json: bool) -> None:
    """Readable output. Every text a person typed is escaped: Rich would read ``[/x]`` in a
    summary as markup (and fail), and ``[link=...]`` could fake what the operator sees."""
    if as_json:
        emit(out, True)
        return
    users = out["affected_users"]
    emit(
        {
            "incident": escape(f"#{out['id']} {out['summary']}"),
            "project": escape(out["project"]),
            "state": f"{out['state_label']}: {out.get('explained', '')}",
            "certainty": out["certainty"],
            "detected": when(out["detected_at"]),
            "reported": escape(f"{when(out['reported_at'])} by {out['reported_by']}"),
            "users affected": "unknown" if users is None else f"about {users:,}",
            "mailed to": escape(out["security_contact"]),
        },
        False,
    )
    for n in out.get("notes", []):
        who = "platform" if n["side"] == "platform" else "developer"
        head = escape(f"{who} {n['author']}")
        console.print(f"[bold]{head}[/bold] {when(n['at'])} {n['action']}\n  {escape(n['body'])}")


@incident_app.command(
    "report", help="Report a security incident of PROJECT to the platform's security contact."
)
def incident_report(
    project: Annotated[str, typer.Argument(help="The project's name.")],
    summary: Annotated[str, typer.Option(help="One line: what was reached, or may have been.")],
    details: Annotated[str, typer.Option(help="What happened: how it was found, what was possible, when.")],
    affected: Annotated[str, typer.Option(help="Which data, scopes and users are affected.")],
    certainty: Annotated[str, typer.Option(help="suspected or confirmed.")] = "suspected",
    detected: Annotated[
        str, typer.Option(help="When it was detected, YYYY-MM-DD HH:MM UTC; default now.")
    ] = "",
    affected_users: Annotated[str, typer.Option(help="A rough count of the users affected.")] = "",
    containment: Annotated[str, typer.Option(help="What was done to contain it so far.")] = "",
    statement: Annotated[str, typer.Option(help="A public statement: none, planned or made.")] = "none",
    statement_at: Annotated[str, typer.Option(help="The statement's date, if planned or made.")] = "",
    json_: JsonOpt = False,
) -> None:
    if certainty not in CERTAINTIES:
        fail("invalid_certainty", "--certainty is suspected or confirmed", json_)
    if statement not in STATEMENTS:
        fail("invalid_statement", "--statement is none, planned or made", json_)
    typed = IncidentInput(
        summary=summary,
        details=details,
        detected=detected or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        certainty=certainty,
        affected=affected,
        affected_users=affected_users,
        containment=containment,
        statement=statement,
        statement_at=statement_at,
    )
    with _incidents(json_) as service:
        row = service.report(project, typed)
        out = listing.describe_view(service.view(row.id))
    _print({**out, "mail": MAIL_HINT}, json_)


@incident_app.command("list", help="Incidents, open ones first (the oldest report on top), with their age.")
def incident_list(
    project: Annotated[str, typer.Option(help="Only this project's incidents.")] = "",
    state: Annotated[
        str, typer.Option(help="open, reported, acknowledged, closed, resolved, closed_no_finding or all.")
    ] = "all",
    json_: JsonOpt = False,
) -> None:
    with _incidents(json_) as service:
        # NotFound (exit 2) for an unknown project or state; closed ones: the latest CLOSED_SHOWN.
        rows, by_state = service.queue(listing.states_of(state), project)
        items = listing.items(rows)
        out = [
            {**listing.describe(i.incident, i.project), "age_seconds": i.age, "overdue": i.overdue}
            for i in items
        ]
        counts = listing.counts(by_state)
    if json_:
        emit({"incidents": out, "counts": counts}, True)
        return
    table = Table(
        "#", "project", "state", "certainty", "summary", "reported", "age", title="Security incidents"
    )
    for item, row in zip(items, out, strict=True):
        age = f"[bold yellow]{item.age_text}[/bold yellow]" if item.overdue else item.age_text
        table.add_row(
            str(row["id"]),
            escape(row["project"]),
            row["state"],
            row["certainty"],
            escape(row["summary"]),
            when(row["reported_at"]),
            age,
        )
    console.print(table)


@incident_app.command("show", help="One incident: the report, its state, and every note.")
def incident_show(incident_id: IdArg, json_: JsonOpt = False) -> None:
    with _incidents(json_) as service:
        out = listing.describe_view(service.view(incident_id))
    _print(out, json_)


@incident_app.command("acknowledge", help="The platform has the report and is working on it.")
def incident_acknowledge(incident_id: IdArg, note: NoteOpt = "", json_: JsonOpt = False) -> None:
    with _incidents(json_) as service:
        out = listing.describe_view(service.acknowledge(incident_id, note))
    _print({**out, "mail": MAIL_HINT}, json_)


@incident_app.command("note", help="Add a note from the platform (any state); mailed to the project.")
def incident_note(incident_id: IdArg, note: NoteOpt, json_: JsonOpt = False) -> None:
    with _incidents(json_) as service:
        service.add_note(incident_id, note)
        out = listing.describe_view(service.view(incident_id))
    _print({**out, "mail": MAIL_HINT}, json_)


@incident_app.command("resolve", help="Close an open incident with a note saying how it ended.")
def incident_resolve(
    incident_id: IdArg,
    note: NoteOpt,
    no_finding: Annotated[
        bool, typer.Option("--no-finding", help="No unauthorized access was found (closed_no_finding).")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    with _incidents(json_) as service:
        out = listing.describe_view(service.resolve(incident_id, note, finding=not no_finding))
    _print({**out, "mail": MAIL_HINT}, json_)
