"""A user's request that an app delete their data (DATA-2), pushed as a SET and tracked.

The request is an event of Consentry's own type (types.deletion_uri) to the app's endpoint. It
is complete when the app acknowledges it (202); one not acknowledged within
``CONSENTRY_DELETION_OVERDUE_DAYS`` is *overdue* and shown to reviewers (/review/deletions), who
can follow up with the developer. An app without an endpoint cannot be asked this way: the
request is refused (``no_events_endpoint``), so the user is never told a request went out when
nothing could carry it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events import queue
from consentry.domain.events.types import DELETION_PATH, deletion_uri
from consentry.errors import Conflict, NotFound
from consentry.storage.tables import Project, SecurityEvent, User
from consentry.storage.tables.base import now

DAY = 86_400
#: The default of ``Settings.deletion_overdue_days``; callers pass the setting.
OVERDUE_DAYS = 30


def _is_deletion() -> Any:
    """Deletion requests, whatever the issuer was when they were queued."""
    return SecurityEvent.event_type.like(f"%{DELETION_PATH}")


def request_deletion(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    issuer: str,
    channel: Channel = Channel.WEB,
) -> SecurityEvent:
    """Queue the request (or return the one still waiting for this user and project)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", f"no user {user_id}")
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("project", f"no project {project_id}")
    if not project.events_endpoint:
        raise Conflict(
            "no_events_endpoint",
            f"{project.app_name or project.name} has not set up an endpoint for deletion requests; "
            f"contact its developer ({project.support_email or 'see the app'}) instead",
        )
    waiting = session.scalar(
        select(SecurityEvent).where(
            SecurityEvent.user_id == user.id,
            SecurityEvent.project_id == project.id,
            SecurityEvent.status == "pending",
            _is_deletion(),
        )
    )
    if waiting is not None:
        return waiting
    event = queue.add(
        session,
        project=project,
        event_type=deletion_uri(issuer),
        issuer=issuer,
        user_id=user.id,
        sub=user.sub,
    )
    record(
        session,
        AuditTag.USER_DELETION_REQUEST,
        actor=user.email,
        channel=channel,
        data={"project": project.name, "sub": user.sub, "jti": event.jti},
    )
    return event


@dataclass(frozen=True)
class DeletionStatus:
    """Where one request stands, as the user sees it."""

    project_id: int
    project: str
    app_name: str
    requested_at: int
    #: "pending" (being delivered), "delivered" (the app acknowledged it) or "failed".
    status: str
    delivered_at: int | None
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _overdue(row: SecurityEvent, at: int, days: int) -> bool:
    return row.status != "delivered" and row.created_at <= at - days * DAY


def for_user(session: Session, user_id: int, *, days: int = OVERDUE_DAYS) -> list[DeletionStatus]:
    """Every deletion request the user made, newest first."""
    at = now()
    rows = session.execute(
        select(SecurityEvent, Project)
        .join(Project, Project.id == SecurityEvent.project_id)
        .where(SecurityEvent.user_id == user_id, _is_deletion())
        .order_by(SecurityEvent.id.desc())
    )
    return [
        DeletionStatus(
            project_id=project.id,
            project=project.name,
            app_name=project.app_name or project.name,
            requested_at=row.created_at,
            status=row.status,
            delivered_at=row.delivered_at,
            overdue=_overdue(row, at, days),
        )
        for row, project in rows
    ]


@dataclass(frozen=True)
class OverdueDeletion:
    """A request the app has not acknowledged in time, for reviewers."""

    id: int
    jti: str
    project: str
    app_name: str
    support_email: str
    endpoint: str
    user_email: str | None
    sub: str | None
    requested_at: int
    age_days: int
    status: str
    attempts: int
    last_error: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def overdue(session: Session, days: int = OVERDUE_DAYS) -> list[OverdueDeletion]:
    """Requests still not acknowledged ``days`` after they were made, oldest first."""
    at = now()
    rows = session.execute(
        select(SecurityEvent, Project, User.email)
        .join(Project, Project.id == SecurityEvent.project_id)
        .outerjoin(User, User.id == SecurityEvent.user_id)
        .where(
            _is_deletion(),
            SecurityEvent.status != "delivered",
            SecurityEvent.created_at <= at - days * DAY,
        )
        .order_by(SecurityEvent.created_at, SecurityEvent.id)
    )
    return [
        OverdueDeletion(
            id=row.id,
            jti=row.jti,
            project=project.name,
            app_name=project.app_name or project.name,
            support_email=project.support_email,
            endpoint=project.events_endpoint,
            user_email=email,
            sub=(row.claims or {}).get("sub"),
            requested_at=row.created_at,
            age_days=max(0, (at - row.created_at) // DAY),
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
        )
        for row, project, email in rows
    ]


def waiting(session: Session) -> int:
    """Requests not acknowledged yet, overdue or not (the reviewers' page counts them)."""
    stmt = select(func.count(SecurityEvent.id)).where(_is_deletion(), SecurityEvent.status != "delivered")
    return int(session.scalar(stmt) or 0)
