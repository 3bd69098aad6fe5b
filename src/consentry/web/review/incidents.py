"""Security incidents in the reviewer console (SEC-6): the queue, and each incident with its actions.

Like every review view these need the platform's REVIEW permission and every action carries the
CSRF field. The paths are at least two segments deep (``/review/incidents/queue``,
``/review/incidents/{id}``, the id digits only) so they never meet ``/review/{project}``.
Acknowledging, a note and closing each mail the project's contacts, and wake the mailer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.incidents import form as rules
from consentry.domain.incidents import listing
from consentry.domain.incidents.states import LABELS
from consentry.domain.permissions import Permission
from consentry.domain.times import when
from consentry.errors import DomainError, http_status
from consentry.storage.tables.base import now
from consentry.web.deps import Console, Csrf, require_platform
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.render import render
from consentry.web.review.pages import Form, review_url

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Console, require_platform(Permission.REVIEW)]
QUEUE = "/review/incidents/queue"
#: What a successful action says on the page it redirects to (``?done=<key>``).
DONE = {
    "acknowledged": "Acknowledged. The project's contacts are told by email.",
    "noted": "Note added and mailed to the project's contacts.",
    "resolved": "Incident resolved. The project's contacts get your note by email.",
    "closed": "Incident closed without finding. The project's contacts get your note by email.",
}


def incident_path(incident_id: int, tail: str = "") -> str:
    base = f"/review/incidents/{incident_id}"
    return f"{base}/{tail}" if tail else base


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.get(QUEUE)
def queue(console: Reviewer, state: str = "open") -> HTMLResponse:
    """Open incidents first, the oldest report on top, each with its age; then the closed ones."""
    state = state if state in listing.FILTERS else "open"
    rows, by_state = console.incidents.queue(listing.FILTERS[state][1])
    return render(
        "review/incidents.html",
        items=listing.items(rows),
        counts=listing.counts(by_state),
        closed_shown=listing.CLOSED_SHOWN,
        state=state,
        filters=listing.FILTERS,
        ack_hours=listing.ACK_HOURS,
        filter_url=lambda state: QUEUE + "?" + urlencode({"state": state}),
        incident_path=incident_path,
        review_url=review_url,
        when=when,
        user=console.current.user,
    )


def _page(
    console: Console,
    incident_id: int,
    *,
    status_code: int = 200,
    error: DomainError | None = None,
    done: str = "",
    typed: dict[str, Any] | None = None,
) -> HTMLResponse:
    service = console.incidents
    v = service.view(incident_id)
    return render(
        "review/incident.html",
        status_code=status_code,
        v=v,
        project=v.project,
        contacts=service.contacts(v.project),
        error=error,
        notice=DONE.get(done, ""),
        typed=typed or {},
        csrf=console.current.csrf,
        limits=rules,
        incident_path=incident_path,
        review_url=review_url,
        labels=LABELS,
        when=when,
        span=listing.span,
        waiting=listing.span(now() - v.incident.reported_at),
        user=console.current.user,
    )


@router.get("/review/incidents/{incident_id:int}")
def incident_page(console: Reviewer, incident_id: int, done: str = "") -> HTMLResponse:
    return _page(console, incident_id, done=done)


def _act(
    console: Console,
    request: Request,
    incident_id: int,
    done: str,
    action: Callable[[], object],
    typed: dict[str, Any],
) -> Response:
    """Run a reviewer's action; on a refusal nothing is kept and the page says why, with what was
    typed."""
    try:
        action()
    except DomainError as exc:
        console.db.rollback()
        return _page(console, incident_id, status_code=http_status(exc), error=exc, typed=typed)
    wake_mailer_after_commit(request, console.db)
    return RedirectResponse(incident_path(incident_id) + f"?done={done}", status_code=303)


@router.post("/review/incidents/{incident_id:int}/acknowledge")
def acknowledge(_: Csrf, console: Reviewer, request: Request, incident_id: int, form: Form) -> Response:
    note = _text(form, "note")
    act = console.incidents.acknowledge
    return _act(console, request, incident_id, "acknowledged", lambda: act(incident_id, note), {"ack": note})


@router.post("/review/incidents/{incident_id:int}/note")
def add_note(_: Csrf, console: Reviewer, request: Request, incident_id: int, form: Form) -> Response:
    note = _text(form, "note")
    act = console.incidents.add_note
    return _act(console, request, incident_id, "noted", lambda: act(incident_id, note), {"note": note})


@router.post("/review/incidents/{incident_id:int}/resolve")
def resolve(_: Csrf, console: Reviewer, request: Request, incident_id: int, form: Form) -> Response:
    """Resolved (``outcome=resolved``) or closed without finding (``outcome=no_finding``); any
    other outcome is refused (400), never read as one of them. The note says how, and is mailed."""
    note, outcome = _text(form, "note"), _text(form, "outcome")
    typed = {"resolution": note, "outcome": outcome}
    try:
        finding = rules.finding(outcome)
    except DomainError as exc:
        return _page(console, incident_id, status_code=http_status(exc), error=exc, typed=typed)
    done = "resolved" if finding else "closed"
    act = console.incidents.resolve
    return _act(console, request, incident_id, done, lambda: act(incident_id, note, finding=finding), typed)
