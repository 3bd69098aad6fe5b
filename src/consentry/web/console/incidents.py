"""The project's "Incidents" section (SEC-6): report a security incident, follow what the platform does.

Owners and editors report known or suspected unauthorized access here; the report is mailed to
the platform's security contact in the same commit, and the mailer is woken once it commits. Viewers
see the list and each incident with the platform's notes; owners and editors add updates while
it is open. The rules are the domain's (domain/incidents/).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.incidents import form as rules
from consentry.domain.incidents.form import IncidentInput
from consentry.domain.incidents.listing import span
from consentry.domain.incidents.service import IncidentView
from consentry.domain.incidents.states import LABELS
from consentry.domain.permissions import Permission
from consentry.errors import DomainError
from consentry.web.console.common import Form, failed, page, text, url
from consentry.web.deps import Csrf, ProjectAccess, require
from consentry.web.mail_wake import wake_mailer_after_commit

router = APIRouter(include_in_schema=False)

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
TAB = "incidents"
#: What a successful post says on the page it redirects to (``?saved=<key>``).
SAVED = {
    "reported": (
        "Incident reported. The platform's security contact has been mailed, and the project's "
        "contacts get a copy. Make no public statement before the security team has acknowledged it."
    ),
    "updated": "Update added. The platform's security contact has been mailed.",
}
FIELDS = (
    "summary",
    "details",
    "detected",
    "certainty",
    "affected",
    "affected_users",
    "containment",
    "statement",
    "statement_at",
)


def incident_url(project: str, incident_id: int, tail: str = "") -> str:
    base = url(project, f"{TAB}/{incident_id}")
    return f"{base}/{tail}" if tail else base


def _now_typed() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _list(access: ProjectAccess, **context: Any) -> HTMLResponse:
    service = access.console.incidents
    _project, rows = service.of_project(access.project.name)
    context.setdefault("form", {"detected": _now_typed(), "certainty": "suspected", "statement": "none"})
    return page(
        access,
        "incidents.html",
        tab=TAB,
        incidents=rows,
        contact=service.contact,
        labels=LABELS,
        limits=rules,
        incident_url=incident_url,
        span=span,
        **context,
    )


def _detail(access: ProjectAccess, incident_id: int, **context: Any) -> HTMLResponse:
    v: IncidentView = access.console.incidents.view(incident_id, access.project.name)
    context.setdefault("typed", "")
    return page(
        access,
        "incident.html",
        tab=TAB,
        v=v,
        limits=rules,
        incident_url=incident_url,
        span=span,
        **context,
    )


@router.get("/console/projects/{project}/incidents")
def incidents_page(access: View, saved: str = "") -> HTMLResponse:
    return _list(access, saved=SAVED.get(saved, ""))


@router.post("/console/projects/{project}/incidents")
def report(_: Csrf, access: Edit, request: Request, form: Form) -> Response:
    """SEC-6: the report reaches the security contact's outbox in this commit; the mailer wakes."""
    typed = {name: text(form, name) for name in FIELDS}
    try:
        row = access.console.incidents.report(access.project.name, IncidentInput(**typed))
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _list(access, **kw), form=typed)
    wake_mailer_after_commit(request, access.console.db)
    return RedirectResponse(incident_url(access.project.name, row.id) + "?saved=reported", status_code=303)


@router.get("/console/projects/{project}/incidents/{incident_id:int}")
def incident_page(access: View, incident_id: int, saved: str = "") -> HTMLResponse:
    return _detail(access, incident_id, saved=SAVED.get(saved, ""))


@router.post("/console/projects/{project}/incidents/{incident_id:int}/update")
def add_update(_: Csrf, access: Edit, request: Request, incident_id: int, form: Form) -> Response:
    typed = text(form, "update")
    try:
        access.console.incidents.update(incident_id, typed, access.project.name)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _detail(access, incident_id, **kw), typed=typed)
    wake_mailer_after_commit(request, access.console.db)
    return RedirectResponse(
        incident_url(access.project.name, incident_id) + "?saved=updated", status_code=303
    )
