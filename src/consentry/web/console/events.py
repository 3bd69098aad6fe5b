"""The project's "Security events" section (DATA-2, DATA-4): the push endpoint and its deliveries.

The developer sets the URL Consentry pushes Security Event Tokens to (RFC 8935), sends a test
event, and sees the latest events with their delivery status, the attempts made and the last
error, so a receiver that answers wrongly is found here rather than by users.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.events import queue
from consentry.domain.events.endpoint import send_verification, set_endpoint
from consentry.domain.events.metadata import ssf_configuration
from consentry.domain.events.types import RISC_NAMES, deletion_uri, risc_uri, short_name
from consentry.domain.permissions import Permission
from consentry.errors import DomainError
from consentry.web.console.common import Form, failed, page, text, url
from consentry.web.deps import Csrf, ProjectAccess, require
from consentry.web.runtime import runtime

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
TAB = "events"
RECENT = 25
#: What a successful post says on the reloaded page (``?saved=<key>``).
SAVED = {
    "endpoint": "Events endpoint saved. Events still waiting go to it at their next attempt.",
    "cleared": "Events endpoint removed. Nothing is pushed until you set one again.",
    "verify": "Test event queued: it is pushed within a few seconds. Reload to see its status.",
}
#: When each event type is sent, in the developer's words.
EXPLAINED = {
    "tokens-revoked": "Every token the user gave your app was revoked.",
    "sessions-revoked": "The user was signed out everywhere (a password change, for one).",
    "account-disabled": "The account was disabled: it can no longer sign in.",
    "account-enabled": "A disabled account may sign in again.",
    "account-purged": "The account was deleted.",
}


def _show(access: ProjectAccess, request: Request, **context: Any) -> HTMLResponse:
    db, project = access.console.db, access.project
    issuer = runtime(request).ctx.issuer
    context.setdefault("typed", project.events_endpoint)
    return page(
        access,
        "events.html",
        tab=TAB,
        events=queue.listing(db, project_id=project.id, limit=RECENT),
        counts=queue.counts(db, project_id=project.id),
        audience=[a for a in queue.audience(db, project) if a],
        types=[(risc_uri(n), EXPLAINED[n]) for n in RISC_NAMES],
        deletion_type=deletion_uri(issuer),
        jwks_uri=ssf_configuration(issuer)["jwks_uri"],
        issuer=issuer,
        short_name=short_name,
        **context,
    )


def _reload(access: ProjectAccess, saved: str) -> RedirectResponse:
    return RedirectResponse(url(access.project.name, TAB) + f"?saved={saved}", status_code=303)


@router.get("/console/projects/{project}/events")
def events_page(access: View, request: Request, saved: str = "") -> HTMLResponse:
    return _show(access, request, saved=SAVED.get(saved, ""))


@router.post("/console/projects/{project}/events")
def save_endpoint(_: Csrf, access: Edit, request: Request, form: Form) -> Response:
    typed = text(form, "events_endpoint")
    try:
        new = set_endpoint(
            access.console.db,
            access.project,
            typed,
            allow_private=runtime(request).ctx.settings.fetch_allow_private,
            actor=access.console.current.actor,
        )
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _show(access, request, **kw), typed=typed)
    return _reload(access, "endpoint" if new else "cleared")


@router.post("/console/projects/{project}/events/verify")
def verify(_: Csrf, access: Edit, request: Request) -> Response:
    try:
        send_verification(
            access.console.db,
            access.project,
            issuer=runtime(request).ctx.issuer,
            actor=access.console.current.actor,
        )
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _show(access, request, **kw))
    return _reload(access, "verify")
