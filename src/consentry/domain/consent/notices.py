"""Telling an app's developer that the platform refused their users, at most once a day per
reason (the refusal repeats for every user; the mail should not)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.mail.outbox import enqueue
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables import Project, ProjectMember, User
from consentry.storage.tables.base import now

DAY = 24 * 3600


def developer_addresses(session: Session, project: Project) -> list[str]:
    owners = session.scalars(
        select(User.email)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, ProjectMember.role == "owner")
    )
    return sorted({*project.developer_contacts, *owners, project.support_email} - {""})


def tell_developer(session: Session, project_id: int, reason_code: str, text: str, issuer: str) -> bool:
    """Queue the mail unless this reason was mailed for this project in the last day."""
    if SqlRateCounters(session).hit(f"policy-notice:{project_id}:{reason_code}", DAY, now()).count > 1:
        return False
    project = session.get(Project, project_id)
    if project is None:
        return False
    recipients = developer_addresses(session, project)
    if not recipients:
        return False
    enqueue(
        session,
        recipients,
        f"[{project.app_name or project.name}] Users are being refused: {reason_code}",
        f"{text}\n\nProject: {project.name}\nReason code: {reason_code}\n",
        reason=f"policy:{reason_code}",
        data={"project": project.name},
        issuer=issuer,
    )
    return True
