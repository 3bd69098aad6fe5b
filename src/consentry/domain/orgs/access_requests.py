"""A member asks their organization's admins for an app the org's rules refuse (issue 14).

One open request per member and app; it lapses after ``LAPSE`` (30 days) if nobody decides.
The admins are mailed when one arrives; the member is mailed the decision, and an approved
request lets them past the org's block for that app (domain/orgs/policy_facts.py reads it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.mail.outbox import enqueue
from consentry.errors import Conflict, InvalidInput, NotFound
from consentry.storage.tables import AccessRequest, Organization, Project, User
from consentry.storage.tables.base import now

LAPSE = 30 * 86400
MAX_REASON = 1000
DECISIONS = ("approved", "denied")


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: int
    email: str
    app: str
    project_id: int
    reason: str
    status: str
    created_at: int
    expires_at: int
    decided_at: int | None
    decided_by: str
    answer: str

    @property
    def lapsed(self) -> bool:
        return self.status == "pending" and self.expires_at <= now()


def ask(session: Session, user: User, project_id: int, reason: str, *, issuer: str) -> AccessRequest:
    """The member's request; ``Conflict`` when one is already open (or approved) for this app."""
    if user.org_id is None:
        raise InvalidInput("no_organization", "Only members of an organization ask its admins.")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput("invalid_reason", f"Say why you need the app, in 1 to {MAX_REASON} characters.")
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("app", "There is no such app.")
    t = now()
    open_one = session.scalar(
        select(AccessRequest.id).where(
            AccessRequest.user_id == user.id,
            AccessRequest.project_id == project_id,
            ((AccessRequest.status == "pending") & (AccessRequest.expires_at > t))
            | (AccessRequest.status == "approved"),
        )
    )
    if open_one is not None:
        raise Conflict("already_asked", "You already asked your admins for this app.")
    row = AccessRequest(
        org_id=user.org_id,
        user_id=user.id,
        project_id=project_id,
        reason=reason,
        created_at=t,
        expires_at=t + LAPSE,
    )
    session.add(row)
    session.flush()
    app = project.app_name or project.name
    admins = list(
        session.scalars(
            select(User.email).where(
                User.org_id == user.org_id, User.role == "admin", User.disabled.is_(False)
            )
        )
    )
    if admins:
        enqueue(
            session,
            admins,
            f"{user.email} asks for {app}",
            f"{user.email} asks to use {app}, which your organization's rules refuse.\n\n"
            f"Their reason:\n{reason}\n\n"
            f"Decide at {issuer}/admin/requests (the request lapses in 30 days).\n",
            reason=AuditTag.ORG_ACCESS_REQUEST.value,
            issuer=issuer,
        )
    record(
        session,
        AuditTag.ORG_ACCESS_REQUEST,
        actor=user.email,
        data={"request": row.id, "project_id": project_id},
        channel=Channel.WEB,
    )
    return row


def decide(
    session: Session,
    org: Organization,
    request_id: int,
    decision: str,
    answer: str,
    *,
    actor: str,
    channel: Channel,
    issuer: str,
) -> AccessRequest:
    """Approve or deny a pending, unlapsed request of this org (atomic: decided once)."""
    if decision not in DECISIONS:
        raise InvalidInput("invalid_decision", "Approve or deny.")
    t = now()
    done = session.execute(
        update(AccessRequest)
        .where(
            AccessRequest.id == request_id,
            AccessRequest.org_id == org.id,
            AccessRequest.status == "pending",
            AccessRequest.expires_at > t,
        )
        .values(status=decision, decided_at=t, decided_by=actor, answer=answer.strip()[:MAX_REASON])
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound("access_request", "This request is not open any more (decided, lapsed or unknown).")
    row = session.get(AccessRequest, request_id)
    assert row is not None
    session.refresh(row)
    user = session.get(User, row.user_id)
    project = session.get(Project, row.project_id)
    if user is not None and project is not None:
        app = project.app_name or project.name
        words = "approved" if decision == "approved" else "did not approve"
        enqueue(
            session,
            [user.email],
            f"Your request for {app}: {decision}",
            f"The admins of {org.domain} {words} your request to use {app}."
            + (f"\n\nTheir answer:\n{row.answer}\n" if row.answer else "\n")
            + ("\nYou can sign in to it now.\n" if decision == "approved" else ""),
            reason=AuditTag.ORG_ACCESS_DECIDE.value,
            issuer=issuer,
        )
    org.policy_version = (org.policy_version or 0) + 1
    record(
        session,
        AuditTag.ORG_ACCESS_DECIDE,
        actor=actor,
        data={"request": request_id, "decision": decision, "org": org.domain},
        channel=channel,
    )
    return row


def _rows() -> Select[AccessRequest, str, str, str]:
    """Requests with the member's address and the app's name, newest first."""
    return (
        select(AccessRequest, User.email, Project.app_name, Project.name)
        .join(User, User.id == AccessRequest.user_id)
        .join(Project, Project.id == AccessRequest.project_id)
        .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())
    )


def _read(session: Session, q: Select[AccessRequest, str, str, str]) -> list[RequestRow]:
    return [
        RequestRow(
            r.id,
            email,
            app_name or name,
            r.project_id,
            r.reason,
            r.status,
            r.created_at,
            r.expires_at,
            r.decided_at,
            r.decided_by,
            r.answer,
        )
        for r, email, app_name, name in session.execute(q)
    ]


def listing(session: Session, org_id: int, *, status: str = "pending") -> list[RequestRow]:
    """Newest first; ``status`` pending (open only), approved, denied, lapsed or all."""
    t = now()
    q = _rows().where(AccessRequest.org_id == org_id)
    if status == "pending":
        q = q.where(AccessRequest.status == "pending", AccessRequest.expires_at > t)
    elif status == "lapsed":
        q = q.where(AccessRequest.status == "pending", AccessRequest.expires_at <= t)
    elif status in DECISIONS:
        q = q.where(AccessRequest.status == status)
    return _read(session, q)


def mine(session: Session, user_id: int) -> list[RequestRow]:
    """The member's own requests, newest first (shown on their organization page)."""
    return _read(session, _rows().where(AccessRequest.user_id == user_id))
