"""A user's report of an app, and the reviewers closing it (LIMIT-6: the platform acts on misuse).

A user may report an app they have dealt with: one that holds or held a grant or a token for
them, or one they answered a consent screen for (a receipt). That keeps the queue to first-hand
reports, not anyone's guess at a project id. One open report per user and app: a second one
while the first waits would only repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.consent.access import dealt_with
from consentry.errors import Conflict, InvalidInput, NotFound
from consentry.storage.tables import AppReport, Client, ConsentGrant, Project, User
from consentry.storage.tables.base import now

#: Enough for what happened; a report is a pointer for a reviewer, not a case file.
REASON_MAX = 1000
REASON_MIN = 5


def _clean(reason: str) -> str:
    text = "\n".join(line.rstrip() for line in reason.replace("\r\n", "\n").strip().split("\n"))
    if len(text) < REASON_MIN:
        raise InvalidInput(
            "invalid_reason", f"Say in a few words what the app did wrong (at least {REASON_MIN} characters)."
        )
    if len(text) > REASON_MAX:
        raise InvalidInput(
            "invalid_reason", f"Keep the report under {REASON_MAX} characters (it has {len(text)})."
        )
    return text


def report(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    reason: str,
    actor: str,
    channel: Channel = Channel.WEB,
) -> AppReport:
    """File the report for the reviewers' queue (InvalidInput, NotFound or Conflict say why not)."""
    text = _clean(reason)
    project = session.get(Project, project_id)
    if project is None or not dealt_with(session, user_id, project_id):
        raise NotFound("app", "You can report only an app that has had access to your account.")
    already = session.scalar(
        select(AppReport.id).where(
            AppReport.user_id == user_id, AppReport.project_id == project_id, AppReport.closed_at.is_(None)
        )
    )
    if already is not None:
        raise Conflict(
            "already_reported", "You already reported this app; reviewers will look at your report."
        )
    client_pk = session.scalar(
        select(ConsentGrant.client_pk)
        .join(Client, Client.id == ConsentGrant.client_pk)
        .where(ConsentGrant.user_id == user_id, Client.project_id == project_id)
        .order_by(ConsentGrant.updated_at.desc())
        .limit(1)
    )
    row = AppReport(project_id=project_id, client_pk=client_pk, user_id=user_id, reason=text)
    session.add(row)
    session.flush()
    record(
        session,
        AuditTag.REPORT_APP,
        actor=actor,
        data={"report": row.id, "project_id": project_id, "project": project.name, "user_id": user_id},
        channel=channel,
    )
    return row


@dataclass(frozen=True)
class OpenReport:
    """A report waiting for a reviewer, with what the queue shows about it."""

    id: int
    project_name: str
    app_name: str
    reporter: str
    reason: str
    created_at: int
    suspended: bool


def open_reports(session: Session) -> list[OpenReport]:
    """Every open report, oldest first (the reviewers' queue)."""
    rows = session.execute(
        select(AppReport, Project, User.email)
        .join(Project, Project.id == AppReport.project_id)
        .outerjoin(User, User.id == AppReport.user_id)
        .where(AppReport.closed_at.is_(None))
        .order_by(AppReport.created_at, AppReport.id)
    )
    return [
        OpenReport(
            id=r.id,
            project_name=p.name,
            app_name=p.app_name or p.name,
            reporter=email or "a deleted account",
            reason=r.reason,
            created_at=r.created_at,
            suspended=p.suspended_at is not None,
        )
        for r, p, email in rows
    ]


def close(session: Session, report_id: int, *, actor: str, channel: Channel = Channel.WEB) -> AppReport:
    """A reviewer has dealt with the report (acted on the app, or found nothing): it leaves the queue."""
    row = session.get(AppReport, report_id)
    if row is None:
        raise NotFound("report", "No such report.")
    if row.closed_at is not None:
        raise Conflict(
            "already_closed", f"This report was already closed by {row.closed_by or 'a reviewer'}."
        )
    row.closed_at = now()
    row.closed_by = actor
    record(
        session,
        AuditTag.REVIEW_REPORT_CLOSE,
        actor=actor,
        data={"report": row.id, "project_id": row.project_id},
        channel=channel,
    )
    return row
