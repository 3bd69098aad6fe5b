"""``/api/v1/projects/{project}/events-endpoint``: where the app receives its security events.

The JSON twin of the console's "Security events" section (DATA-2, DATA-4): read and set the push
endpoint (RFC 8935), list recent deliveries, queue a test event. The rules are the domain's
(domain/events/endpoint.py); writes carry ``X-CSRF-Token`` and need the project's edit permission.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from pydantic import BaseModel, Field

from consentry.domain.events import queue
from consentry.domain.events.endpoint import send_verification, set_endpoint
from consentry.domain.events.types import PUSH_METHOD
from consentry.web.api import models as m
from consentry.web.api.console_common import Editor, Viewer, Write, console_router
from consentry.web.deps import ProjectAccess
from consentry.web.runtime import runtime

router = console_router()


class EndpointPut(m.Strict):
    events_endpoint: m.Url = Field(description="An https:// URL; the empty string removes it")


class EventCounts(BaseModel):
    pending: int
    delivered: int
    failed: int


class EndpointOut(BaseModel):
    events_endpoint: str = Field(description="Where SETs are pushed; empty when none is set")
    delivery_method: str = PUSH_METHOD
    counts: EventCounts


class EventOut(BaseModel):
    id: int
    jti: str
    event_type: str
    event: str = Field(description="The type's last segment, e.g. `account-disabled`")
    sub: str | None = Field(description="The user the event is about (none for a verification)")
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: int | None
    last_error: str
    created_at: int
    delivered_at: int | None


class EventList(BaseModel):
    events: list[EventOut]
    counts: EventCounts


class VerifyIn(m.Strict):
    state: Annotated[str, Field(max_length=200)] = ""


def _endpoint_out(access: ProjectAccess) -> EndpointOut:
    counts = queue.counts(access.console.db, project_id=access.project.id)
    return EndpointOut(events_endpoint=access.project.events_endpoint, counts=EventCounts(**counts))


@router.get(
    "/projects/{project}/events-endpoint",
    response_model=EndpointOut,
    summary="Where the project's security events are pushed, and how many are pending",
)
def get_endpoint(access: Viewer) -> EndpointOut:
    return _endpoint_out(access)


@router.put(
    "/projects/{project}/events-endpoint",
    response_model=EndpointOut,
    summary="Set or remove the push endpoint (https; events waiting go to the new one)",
)
def put_endpoint(body: EndpointPut, _: Write, access: Editor, request: Request) -> EndpointOut:
    allow_private = runtime(request).ctx.settings.fetch_allow_private
    set_endpoint(
        access.console.db,
        access.project,
        body.events_endpoint,
        allow_private=allow_private,
        actor=access.console.current.actor,
    )
    return _endpoint_out(access)


@router.get(
    "/projects/{project}/events",
    response_model=EventList,
    summary="The project's recent security events, newest first, with their delivery status",
)
def list_events(
    access: Viewer,
    status: Annotated[Literal["pending", "delivered", "failed", "all"], Query()] = "all",
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIMIT)] = 50,
) -> EventList:
    db, project_id = access.console.db, access.project.id
    rows = queue.listing(db, project_id=project_id, status=status, limit=limit)
    return EventList(
        events=[EventOut.model_validate(r.as_dict()) for r in rows],
        counts=EventCounts(**queue.counts(db, project_id=project_id)),
    )


@router.post(
    "/projects/{project}/events/verify",
    response_model=EventOut,
    status_code=202,
    responses=m.CONFLICT,
    summary="Queue a RISC verification event to test the receiver (409 without an endpoint)",
)
def verify(body: VerifyIn, _: Write, access: Editor, request: Request) -> EventOut:
    db = access.console.db
    event = send_verification(
        db,
        access.project,
        issuer=runtime(request).ctx.issuer,
        actor=access.console.current.actor,
        state=body.state,
    )
    db.flush()
    row, _claims = queue.get(db, str(event.id))
    return EventOut.model_validate(row.as_dict())
