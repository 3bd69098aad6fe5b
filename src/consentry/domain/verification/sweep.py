"""The janitor's verification pass: unanswered questions expire, assessment reminders go out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification import notices
from consentry.domain.verification.service import REMINDER_DAYS, Verification, app_name
from consentry.domain.verification.states import ANSWER_DAYS, Action, ReviewState, transition
from consentry.domain.verification.status import DAY
from consentry.storage.db import Database
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables.base import now

#: A claim outlives anything it guards (a reminder is for one assessment year).
CLAIM_WINDOW = 400 * 86400
JANITOR = Actor(email="janitor", user_id=None, platform_role="operator", channel=Channel.SYSTEM)


def sweep(db: Database, issuer: str, at: int | None = None) -> dict[str, int]:
    with db.unit_of_work() as session:
        counters = SqlRateCounters(session)
        t = now()

        def claim(key: str) -> bool:
            return counters.hit(f"janitor:{key}", CLAIM_WINDOW, t).count == 1

        service = Verification(Projects(SqlConsole(session, issuer), JANITOR, Catalogue(issuer)))
        return sweep_verification(service, claim, at)


def sweep_verification(
    verification: Verification, claim: Callable[[str], bool], at: int | None = None
) -> dict[str, int]:
    """The janitor's pass: unanswered questions expire, assessment reminders go out.

    ``claim(key)`` is True for exactly one caller per key (an atomic counter), so several server
    processes sweeping at once never send a mail twice.
    """
    repo = verification.repo
    at = at if at is not None else now()
    expired = reminded = 0
    for row in repo.requests([ReviewState.WAITING_FOR_DEVELOPER.value]):
        if row.waiting_since is not None and at - row.waiting_since >= ANSWER_DAYS * DAY:
            project = repo.project_by_id(row.project_id)
            if project is None or not claim(f"review-expire:{row.id}"):
                continue
            transition(repo, row, Action.EXPIRE)
            row.decided_at = row.updated_at = at
            verification.event(
                project, row, AuditTag.REVIEW_EXPIRE, notices.expired(app_name(project), project.name)
            )
            expired += 1
    for a in repo.all_assessments():
        project = repo.project_by_id(a.project_id)
        if project is None or repo.assessments(project.id)[0].id != a.id:
            continue  # only the current assessment of a project is reminded about
        lapses = a.letter_date + 365 * DAY
        left = (lapses - at) // DAY
        due = [d for d in REMINDER_DAYS if left <= d and d not in (a.reminders_sent or [])]
        if not due or left < 0:
            continue
        days = min(due)
        if not claim(f"assessment-reminder:{a.id}:{days}"):
            continue
        a.reminders_sent = sorted({*(a.reminders_sent or []), *due})
        on = dt.datetime.fromtimestamp(lapses, dt.UTC).date().isoformat()
        notice = notices.assessment_due(app_name(project), project.name, days, on)
        owners = [u.email for u, r in repo.members(project.id) if r in ("owner", "editor")]
        repo.mail(
            owners,
            notice.subject,
            notice.body,
            "review:assessment:reminder",
            {"project": project.name, "days": days},
        )
        reminded += 1
    return {"expired": expired, "reminded": reminded}
