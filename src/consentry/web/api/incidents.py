"""``/api/v1/projects/{project}/incidents`` and ``/api/v1/review/incidents`` (SEC-6).

The JSON twin of the console's Incidents section and of the reviewers' incident pages. Reports
and updates need the project's edit permission; the review routes the platform's ``review``
permission; writes carry ``X-CSRF-Token``. The report reaches the security contact's outbox in
the same transaction that stores it, and the mailer is woken when it commits. Every refusal
names the field it is about (``invalid_detected_at``, ``invalid_summary``), schema errors too.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from consentry.domain.incidents import listing
from consentry.domain.incidents.form import IncidentInput, finding
from consentry.domain.incidents.service import MAX_ID, IncidentView
from consentry.domain.permissions import Permission
from consentry.errors import InvalidInput
from consentry.storage.tables import Project, SecurityIncident
from consentry.web.api import incident_models as im
from consentry.web.api import models as m
from consentry.web.api.console_common import SESSION, Editor, Viewer, Write, console_router
from consentry.web.deps import Console, require_platform
from consentry.web.mail_wake import wake_mailer_after_commit


class FieldNamedErrors(APIRoute):
    """A schema refusal names the field as the domain's refusals do (``invalid_summary``, with
    what is wrong with it), so a client reads every 400 of these routes the same way."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise named(exc) from None

        return run


def named(exc: RequestValidationError) -> InvalidInput:
    """The first schema error as ``invalid_<field>``; a misspelt field or a body that is not JSON
    stays ``invalid_request``."""
    first: dict[str, Any] = next(iter(exc.errors()), {})
    loc = tuple(first.get("loc", ()))
    msg = str(first.get("msg", "malformed request")).removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] in ("body", "query", "path") and isinstance(loc[1], str):
        if first.get("type") == "extra_forbidden":
            return InvalidInput("invalid_request", f"{loc[1]} is not a field of this request")
        return InvalidInput(f"invalid_{loc[1]}", f"{loc[1]}: {msg}")
    return InvalidInput("invalid_request", f"Malformed request: {msg}")


router = console_router()
router.route_class = FieldNamedErrors
review_router = APIRouter(
    prefix="/api/v1/review",
    tags=["review"],
    responses=m.ERRORS,
    dependencies=[Depends(SESSION)],
    route_class=FieldNamedErrors,
)
Reviewer = Annotated[Console, require_platform(Permission.REVIEW)]
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The incident's number")]


def incident_out(row: SecurityIncident, project: Project) -> im.IncidentOut:
    return im.IncidentOut.model_validate(listing.describe(row, project))


def moved(request: Request, console: Console, v: IncidentView) -> im.IncidentDetail:
    """After a write: the mailer wakes once it commits, and the incident is answered in full."""
    wake_mailer_after_commit(request, console.db)
    return im.IncidentDetail.model_validate(listing.describe_view(v))


def detail_out(v: IncidentView) -> im.IncidentDetail:
    return im.IncidentDetail.model_validate(listing.describe_view(v))


# --- the project's side ------------------------------------------------------------------------------


@router.get(
    "/projects/{project}/incidents",
    response_model=im.IncidentList,
    summary="The project's security incidents, open ones first",
)
def list_incidents(access: Viewer) -> im.IncidentList:
    project, rows = access.console.incidents.of_project(access.project.name)
    return im.IncidentList(incidents=[incident_out(r, project) for r in rows])


@router.post(
    "/projects/{project}/incidents",
    response_model=im.IncidentDetail,
    status_code=201,
    summary="Report a security incident: mailed at once to the platform's security contact (SEC-6)",
)
def report(body: im.IncidentIn, _: Write, access: Editor, request: Request) -> im.IncidentDetail:
    service = access.console.incidents
    form = IncidentInput(
        **body.model_dump(exclude={"detected_at", "affected_users"}),
        detected=body.detected_at,
        affected_users="" if body.affected_users is None else str(body.affected_users),
    )
    row = service.report(access.project.name, form)
    return moved(request, access.console, service.view(row.id, access.project.name))


@router.get(
    "/projects/{project}/incidents/{incident_id}",
    response_model=im.IncidentDetail,
    summary="One incident, with the platform's notes and the project's updates",
)
def get_incident(access: Viewer, incident_id: IncidentId) -> im.IncidentDetail:
    return detail_out(access.console.incidents.view(incident_id, access.project.name))


@router.post(
    "/projects/{project}/incidents/{incident_id}/updates",
    response_model=im.IncidentDetail,
    responses=m.CONFLICT,
    summary="Add an update to an open incident (mailed to the security contact; 409 once closed)",
)
def add_update(
    body: im.NoteIn, _: Write, access: Editor, incident_id: IncidentId, request: Request
) -> im.IncidentDetail:
    service = access.console.incidents
    service.update(incident_id, body.note, access.project.name)
    return moved(request, access.console, service.view(incident_id, access.project.name))


# --- the platform's side -----------------------------------------------------------------------------


@review_router.get("/incidents", response_model=im.Queue, summary="Reported incidents, open ones first")
def queue(
    console: Reviewer,
    state: Annotated[str, Query(max_length=30, description="open, closed, all, or one state")] = "open",
) -> im.Queue:
    rows, by_state = console.incidents.queue(listing.states_of(state))
    return im.Queue(
        incidents=[
            im.QueueItem.model_validate(
                {**listing.describe(i.incident, i.project), "age_seconds": i.age, "overdue": i.overdue}
            )
            for i in listing.items(rows)
        ],
        counts=listing.counts(by_state),
    )


@review_router.get("/incidents/{incident_id}", response_model=im.IncidentDetail, summary="One incident")
def review_incident(console: Reviewer, incident_id: IncidentId) -> im.IncidentDetail:
    return detail_out(console.incidents.view(incident_id))


def _move(path: str, summary: str, conflict: bool = True) -> Callable[[Any], Any]:
    """A reviewer's action: POST .../incidents/{id}/<path>, answered with the incident in full."""
    return review_router.post(
        f"/incidents/{{incident_id}}/{path}",
        response_model=im.IncidentDetail,
        responses=m.CONFLICT if conflict else None,
        summary=summary,
    )


@_move("acknowledge", "Acknowledge a reported incident (409 if it is no longer reported)")
def acknowledge(
    body: im.AcknowledgeIn, _: Write, console: Reviewer, incident_id: IncidentId, request: Request
) -> im.IncidentDetail:
    return moved(request, console, console.incidents.acknowledge(incident_id, body.note))


@_move("notes", "Add a note; the project's contacts get it by mail", conflict=False)
def add_note(
    body: im.NoteIn, _: Write, console: Reviewer, incident_id: IncidentId, request: Request
) -> im.IncidentDetail:
    console.incidents.add_note(incident_id, body.note)
    return moved(request, console, console.incidents.view(incident_id))


@_move("resolve", "Close an open incident: resolved, or no unauthorized access found")
def resolve(
    body: im.ResolveIn, _: Write, console: Reviewer, incident_id: IncidentId, request: Request
) -> im.IncidentDetail:
    v = console.incidents.resolve(incident_id, body.note, finding=finding(body.outcome))
    return moved(request, console, v)
