"""The console's front page (the user's projects, a new one) and a project's overview.

The overview always says where verification stands and what is still missing, in plain words,
with the next action (VERIFY-2..10): it renders ``VerificationStatus`` and decides nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.permissions import Permission
from consentry.domain.verification.exceptions import EXPLAINED as EXEMPTIONS
from consentry.domain.verification.states import EXPLAINED as STATES
from consentry.domain.verification.states import ReviewState
from consentry.errors import DomainError, http_status
from consentry.web.console.common import Form, failed, page, redirect, text, url
from consentry.web.deps import ConsoleDep, Csrf, ProjectAccess, require
from consentry.web.render import render

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Submit = Annotated[ProjectAccess, require(Permission.PROJECT_SUBMIT)]


def _index(
    console: ConsoleDep, *, status_code: int = 200, error: DomainError | None = None, **form: str
) -> HTMLResponse:
    rows = [(p, console.verification.status(p)) for p in console.projects.visible()]
    return render(
        "console/index.html",
        status_code=status_code,
        rows=rows,
        url=url,
        csrf=console.current.csrf,
        user=console.current.user,
        error=error,
        form={"name": "", "user_type": "external", "status": "testing", **form},
    )


@router.get("/console")
def index(console: ConsoleDep) -> HTMLResponse:
    return _index(console)


@router.post("/console/projects")
def create(_: Csrf, console: ConsoleDep, form: Form) -> Response:
    values = {k: text(form, k) for k in ("name", "user_type", "status")}
    try:
        project = console.projects.create(
            values["name"], user_type=values["user_type"] or "external", status=values["status"] or "testing"
        )
    except DomainError as exc:
        console.db.rollback()
        return _index(console, status_code=http_status(exc), error=exc, **values)
    return redirect(project.name, done="created")


def _overview(access: ProjectAccess, **context: Any) -> HTMLResponse:
    repo = access.console.projects.repo
    project = access.project
    latest = repo.latest_request(project.id)
    messages = repo.messages(latest.id) if latest is not None and latest.state != "draft" else []
    by_class = access.console.projects.scopes_by_class(project)
    catalogue = access.console.projects.catalogue
    context.setdefault("answer", "")
    return page(
        access,
        "overview.html",
        tab="",
        latest=latest,
        state_explained=STATES.get(ReviewState(latest.state)) if latest else "",
        waiting=latest is not None and latest.state == ReviewState.WAITING_FOR_DEVELOPER.value,
        messages=messages,
        by_class=by_class,
        catalogue=catalogue,
        exemptions_explained=EXEMPTIONS,
        clients=access.console.clients.list(project),
        open_incidents=access.console.incidents.open_count(project.name),
        **context,
    )


@router.get("/console/projects/{project}")
def overview(access: View, done: str = "") -> HTMLResponse:
    return _overview(access, done=done)


@router.post("/console/projects/{project}/answer")
def answer(_: Csrf, access: Submit, form: Form) -> Response:
    """The developer's answer to a reviewer's question (VERIFY-7): the review resumes."""
    message = text(form, "message")
    try:
        access.console.verification.answer(access.project, message)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _overview(access, **kw), answer=message)
    return redirect(access.project.name, done="answered")


@router.get("/console/projects/{project}/logo.png")
def logo(access: View) -> Response:
    """The logo as stored: a PNG re-encoded from the upload, nothing else of it survived."""
    data = access.project.logo_png
    if not data:
        return Response(status_code=404)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, no-cache"})
