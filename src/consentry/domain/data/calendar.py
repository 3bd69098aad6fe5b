"""The sample calendar: one calendar per user; free/busy reveals times, never event details."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.data.access import not_found
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import CalendarEvent

MAX_RANGE = 366 * 86400


def list_events(
    session: Session, user_id: int, *, start: int | None = None, end: int | None = None
) -> list[CalendarEvent]:
    stmt = select(CalendarEvent).where(CalendarEvent.user_id == user_id)
    if start is not None:
        stmt = stmt.where(CalendarEvent.ends_at > start)
    if end is not None:
        stmt = stmt.where(CalendarEvent.starts_at < end)
    return list(session.scalars(stmt.order_by(CalendarEvent.starts_at, CalendarEvent.id)))


def get_event(session: Session, user_id: int, public_id: str) -> CalendarEvent:
    row = session.scalar(
        select(CalendarEvent).where(CalendarEvent.public_id == public_id, CalendarEvent.user_id == user_id)
    )
    if row is None:
        raise not_found("event")
    return row


def create_event(
    session: Session,
    user_id: int,
    *,
    summary: str,
    starts_at: int,
    ends_at: int,
    description: str = "",
    location: str = "",
    attendees: list[str] | None = None,
) -> CalendarEvent:
    if not summary.strip():
        raise DomainError("invalid_request", "an event needs a summary")
    if ends_at <= starts_at:
        raise DomainError("invalid_request", "an event ends after it starts")
    row = CalendarEvent(
        public_id=new_id(12),
        user_id=user_id,
        summary=summary.strip(),
        description=description,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        attendees=[a.strip().lower() for a in attendees or [] if a.strip()],
    )
    session.add(row)
    session.flush()
    return row


def delete_event(session: Session, user_id: int, public_id: str) -> None:
    session.delete(get_event(session, user_id, public_id))


def busy(session: Session, user_id: int, start: int, end: int) -> list[tuple[int, int]]:
    """Merged busy intervals between start and end."""
    if end <= start or end - start > MAX_RANGE:
        raise DomainError("invalid_request", "the range must be positive and at most a year")
    merged: list[tuple[int, int]] = []
    for event in list_events(session, user_id, start=start, end=end):
        s, e = max(event.starts_at, start), min(event.ends_at, end)
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
