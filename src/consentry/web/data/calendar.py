"""``/data/v1/calendar``: events and free/busy."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from consentry.domain.data import calendar
from consentry.domain.data.access import DataAccess
from consentry.storage.tables import CalendarEvent
from consentry.web.data.operation import described, logged_unit, operation

router = APIRouter(prefix="/data/v1/calendar", tags=["calendar"])


class NewEvent(BaseModel):
    summary: str = Field(min_length=1, max_length=1024)
    starts_at: int = Field(ge=0, description="Epoch seconds")
    ends_at: int = Field(ge=0, description="Epoch seconds")
    description: str = Field(default="", max_length=8192)
    location: str = Field(default="", max_length=1024)
    attendees: list[str] = Field(default_factory=list, max_length=200)


class Event(NewEvent):
    id: str
    created_at: int


class EventList(BaseModel):
    events: list[Event]


class Busy(BaseModel):
    start: int
    end: int


class FreeBusy(BaseModel):
    start: int
    end: int
    busy: list[Busy]


def _event(e: CalendarEvent) -> Event:
    return Event(
        id=e.public_id,
        summary=e.summary,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        description=e.description,
        location=e.location,
        attendees=list(e.attendees),
        created_at=e.created_at,
    )


@router.get("/events", **described("calendar.events.list", response_model=EventList))
def list_events(
    request: Request,
    access: DataAccess = operation("calendar.events.list"),
    start: int | None = Query(default=None, ge=0),
    end: int | None = Query(default=None, ge=0),
) -> EventList:
    with logged_unit(request, access) as db:
        return EventList(
            events=[_event(e) for e in calendar.list_events(db, access.user_id, start=start, end=end)]
        )


@router.post("/events", status_code=201, **described("calendar.events.create", response_model=Event))
def create_event(
    request: Request, body: NewEvent, access: DataAccess = operation("calendar.events.create")
) -> Event:
    with logged_unit(request, access, 201) as db:
        return _event(calendar.create_event(db, access.user_id, **body.model_dump()))


@router.get("/events/{event_id}", **described("calendar.events.get", response_model=Event))
def get_event(
    request: Request, event_id: str, access: DataAccess = operation("calendar.events.get")
) -> Event:
    with logged_unit(request, access) as db:
        return _event(calendar.get_event(db, access.user_id, event_id))


@router.delete("/events/{event_id}", status_code=204, **described("calendar.events.delete"))
def delete_event(
    request: Request, event_id: str, access: DataAccess = operation("calendar.events.delete")
) -> None:
    with logged_unit(request, access, 204) as db:
        calendar.delete_event(db, access.user_id, event_id)


@router.get("/freebusy", **described("calendar.freebusy.query", response_model=FreeBusy))
def freebusy(
    request: Request,
    start: int = Query(ge=0),
    end: int = Query(ge=0),
    access: DataAccess = operation("calendar.freebusy.query"),
) -> FreeBusy:
    with logged_unit(request, access) as db:
        spans = calendar.busy(db, access.user_id, start, end)
        return FreeBusy(start=start, end=end, busy=[Busy(start=s, end=e) for s, e in spans])
