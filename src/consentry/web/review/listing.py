"""The reviewers' queue: requests by state and needed class, each with its age (VERIFY-7).

Plain Python over the Verification service, no web framework: the console's queue page and
``consentry review list`` show the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from consentry.domain.consent import reports as app_reports
from consentry.domain.scopes.catalogue import CLASSES, Catalogue
from consentry.domain.verification.review import Review
from consentry.domain.verification.service import Verification
from consentry.domain.verification.states import FINAL, OPEN, ReviewState
from consentry.domain.verification.status import DAY
from consentry.storage.tables import Project, VerificationRequest
from consentry.storage.tables.base import now

#: An open request older than this many days is highlighted in the queue.
OLD_AFTER_DAYS = 7
#: The queue's state filters: key -> (label, states).
STATE_FILTERS: dict[str, tuple[str, frozenset[ReviewState]]] = {
    "open": ("All open", OPEN),
    "submitted": ("Submitted", frozenset({ReviewState.SUBMITTED})),
    "in_review": ("In review", frozenset({ReviewState.IN_REVIEW})),
    "waiting_for_developer": ("Waiting for developer", frozenset({ReviewState.WAITING_FOR_DEVELOPER})),
    "decided": ("Decided", FINAL),
}
#: The queue's "needed class" filter: a request needs restricted review if it asks any restricted scope.
NEEDS_FILTERS = {"": "Any class", "sensitive": "Sensitive", "restricted": "Restricted"}
STATE_LABELS = {s.value: s.value.replace("_", " ").capitalize() for s in ReviewState}
STATE_LABELS[ReviewState.CANCELLED.value] = "Cancelled by project changes"
STATE_LABELS[ReviewState.EXPIRED.value] = "Rejected (no answer in 90 days)"


def day(timestamp: int | None) -> str:
    """A stored time as a date (UTC); the console shows dates, the CLI prints them too."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat() if timestamp else ""


def age_days(row: VerificationRequest, at: int) -> int | None:
    """Whole days since submission; a decided request stops ageing when it was decided."""
    if row.submitted_at is None:
        return None
    end = row.decided_at if ReviewState(row.state) in FINAL and row.decided_at else at
    return max(0, (end - row.submitted_at) // DAY)


def scopes_by_class(catalogue: Catalogue, scopes: list[str]) -> dict[str, list[str]]:
    """The request's scopes grouped by class (an unknown scope counts as restricted, the safe side)."""
    out: dict[str, list[str]] = {c: [] for c in CLASSES}
    for s in scopes:
        info = catalogue.get(s)
        out[info.scope_class if info else "restricted"].append(s)
    return out


def needed_class(by_class: dict[str, list[str]]) -> str:
    return "restricted" if by_class["restricted"] else "sensitive" if by_class["sensitive"] else "none"


@dataclass(frozen=True)
class QueueItem:
    request: VerificationRequest
    project: Project
    by_class: dict[str, list[str]]
    needed: str
    age_days: int | None
    old: bool

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.request.state, self.request.state)


def queue(
    verification: Verification, state: str, needs: str, at: int | None = None
) -> tuple[list[QueueItem], dict[str, int]]:
    """The requests matching the filters, oldest first (decided: latest decision first), and the
    number of requests behind each state filter (with the class filter applied)."""
    at = at if at is not None else now()
    wanted = [s.value for s in ReviewState if s is not ReviewState.DRAFT]
    items = []
    for row, project in Review(verification).queue(wanted):
        by_class = scopes_by_class(verification.catalogue, list(row.scopes or []))
        age = age_days(row, at)
        is_open = ReviewState(row.state) in OPEN
        old = is_open and age is not None and age >= OLD_AFTER_DAYS
        items.append(QueueItem(row, project, by_class, needed_class(by_class), age, old))
    if needs:
        items = [i for i in items if i.needed == needs]
    counts = {
        key: sum(1 for i in items if ReviewState(i.request.state) in states)
        for key, (_label, states) in STATE_FILTERS.items()
    }
    chosen = [i for i in items if ReviewState(i.request.state) in STATE_FILTERS[state][1]]
    if state == "decided":
        chosen.sort(key=lambda i: (i.request.decided_at or 0, i.request.id), reverse=True)
    return chosen, counts


# --- users' reports of apps (LIMIT-6) ----------------------------------------------------------------


@dataclass(frozen=True)
class ReportItem:
    """An open report of an app, with its age, for the queue."""

    report: app_reports.OpenReport
    age_days: int
    old: bool


def open_reports(session: Session, at: int | None = None) -> list[ReportItem]:
    """Users' open reports, oldest first; one waiting a week or more is highlighted like a request."""
    at = at if at is not None else now()
    out = []
    for r in app_reports.open_reports(session):
        age = max(0, (at - r.created_at) // DAY)
        out.append(ReportItem(r, age, age >= OLD_AFTER_DAYS))
    return out
