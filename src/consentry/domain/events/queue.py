"""The events table as a queue: add an event in the caller's transaction, list what it holds.

Like the mail outbox, an event exists exactly when the change it reports does: :func:`add` only
adds the row to the caller's session (the unit of work commits it, or rolls both back), and
deliver.py pushes it later. Rows are never deleted by delivery; ``status`` says where each stands.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.events.token import build_claims
from consentry.domain.events.types import short_name
from consentry.errors import InvalidInput, NotFound
from consentry.storage.tables import Client, Project, SecurityEvent
from consentry.storage.tables.base import now

Status = Literal["pending", "delivered", "failed"]
STATUSES: tuple[Status, ...] = ("pending", "delivered", "failed")
MAX_LIMIT = 1000


def audience(session: Session, project: Project) -> list[str]:
    """Who the SET is for: the project's client ids (what its ID tokens carry as ``aud``), or the
    endpoint itself when the project has no client yet."""
    ids = session.scalars(
        select(Client.client_id)
        .where(Client.project_id == project.id, Client.deleted_at.is_(None))
        .order_by(Client.id)
    )
    return list(ids) or [project.events_endpoint]


def add(
    session: Session,
    *,
    project: Project,
    event_type: str,
    issuer: str,
    user_id: int | None = None,
    sub: str | None = None,
    payload: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Queue one SET for ``project``, due at once; sent only if the caller's transaction commits."""
    at = now()
    jti = secrets.token_hex(16)
    claims = build_claims(
        issuer=issuer,
        jti=jti,
        iat=at,
        audience=audience(session, project),
        event_type=event_type,
        sub=sub,
        payload=payload,
    )
    row = SecurityEvent(
        jti=jti,
        project_id=project.id,
        user_id=user_id,
        event_type=event_type,
        claims=claims,
        status="pending",
        attempts=0,
        next_attempt_at=at,
        claimed_until=0,
        last_error="",
        created_at=at,
        delivered_at=None,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class EventRow:
    """One event as operators and developers see it (never the signed token itself)."""

    id: int
    jti: str
    project: str
    event_type: str
    event: str
    sub: str | None
    status: str
    attempts: int
    next_attempt_at: int | None
    last_error: str
    created_at: int
    delivered_at: int | None

    @classmethod
    def of(cls, row: SecurityEvent, project: str) -> EventRow:
        return cls(
            id=row.id,
            jti=row.jti,
            project=project,
            event_type=row.event_type,
            event=short_name(row.event_type),
            sub=(row.claims or {}).get("sub"),
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_status(status: str | None) -> Status | None:
    if status in (None, "", "all"):
        return None
    if status not in STATUSES:
        raise InvalidInput("invalid_status", f"status must be one of {', '.join(STATUSES)} (or all)")
    return status


def listing(
    session: Session, *, project_id: int | None = None, status: str | None = None, limit: int = 50
) -> list[EventRow]:
    """The newest ``limit`` events, newest first, of one project or all, in one status or any."""
    wanted = check_status(status)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("invalid_limit", f"the limit is between 1 and {MAX_LIMIT}")
    stmt = (
        select(SecurityEvent, Project.name)
        .join(Project, Project.id == SecurityEvent.project_id)
        .order_by(SecurityEvent.id.desc())
        .limit(limit)
    )
    if project_id is not None:
        stmt = stmt.where(SecurityEvent.project_id == project_id)
    if wanted is not None:
        stmt = stmt.where(SecurityEvent.status == wanted)
    return [EventRow.of(row, name) for row, name in session.execute(stmt)]


def counts(session: Session, *, project_id: int | None = None) -> dict[str, int]:
    """How many events are pending, delivered and failed (of one project, or all)."""
    stmt = select(SecurityEvent.status, func.count(SecurityEvent.id)).group_by(SecurityEvent.status)
    if project_id is not None:
        stmt = stmt.where(SecurityEvent.project_id == project_id)
    found = {status: int(n) for status, n in session.execute(stmt)}
    return {status: found.get(status, 0) for status in STATUSES}


def get(session: Session, ref: str) -> tuple[EventRow, dict[str, Any]]:
    """One event by its id or its ``jti``, with its claims (what the app receives, unsigned)."""
    ref = ref.strip()
    cond = SecurityEvent.id == int(ref) if ref.isdigit() and len(ref) < 18 else SecurityEvent.jti == ref
    found = session.execute(
        select(SecurityEvent, Project.name).join(Project, Project.id == SecurityEvent.project_id).where(cond)
    ).first()
    if found is None:
        raise NotFound("event", f"no security event {ref!r}")
    row, name = found
    return EventRow.of(row, name), dict(row.claims or {})
