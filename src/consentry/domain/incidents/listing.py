"""The platform's queue of incidents, with their ages (SEC-6): open ones first, oldest first,
so the report waiting longest for an acknowledgement is on top; then the closed ones, newest first.

The service selects the rows by state in SQL: every open incident (a project has at most
MAX_OPEN), and only the CLOSED_SHOWN latest closed ones, so the queue stays one page however many
incidents the platform has closed over the years; the counts are one GROUP BY. The review
console, ``/api/v1/review/incidents`` and ``consentry incident list`` show the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consentry.domain.incidents.states import FINAL, LABELS, OPEN, IncidentState
from consentry.errors import InvalidInput
from consentry.storage.tables import Project, SecurityIncident
from consentry.storage.tables.base import now

if TYPE_CHECKING:
    from consentry.domain.incidents.service import IncidentView

#: A report not acknowledged within this many hours is highlighted: "promptly" cuts both ways.
ACK_HOURS = 24
#: Closed incidents the queue lists, latest close first; older ones stay readable by their id.
CLOSED_SHOWN = 200
#: The queue's filters: key -> (label, states).
FILTERS: dict[str, tuple[str, frozenset[IncidentState]]] = {
    "open": ("Open", OPEN),
    "reported": ("Waiting for acknowledgement", frozenset({IncidentState.REPORTED})),
    "acknowledged": ("Acknowledged", frozenset({IncidentState.ACKNOWLEDGED})),
    "closed": ("Closed", FINAL),
    "all": ("All", OPEN | FINAL),
}


def span(seconds: int) -> str:
    """A duration as people say it: 12 min, 5 h, 3 days."""
    seconds = max(0, seconds)
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@dataclass(frozen=True)
class QueueItem:
    incident: SecurityIncident
    project: Project
    #: Seconds since the report (open) or that it took to close (closed).
    age: int
    #: Reported and not acknowledged within ACK_HOURS.
    overdue: bool

    @property
    def label(self) -> str:
        return LABELS[IncidentState(self.incident.state)]

    @property
    def is_open(self) -> bool:
        return IncidentState(self.incident.state) in OPEN

    @property
    def age_text(self) -> str:
        return span(self.age)


def states_of(key: str) -> frozenset[IncidentState]:
    """The states behind a filter key or a single state's name; InvalidInput names the choices."""
    if key in FILTERS:
        return FILTERS[key][1]
    try:
        return frozenset({IncidentState(key)})
    except ValueError:
        choices = ", ".join([*FILTERS, *(s.value for s in IncidentState if s.value not in FILTERS)])
        raise InvalidInput("invalid_state", f"the state is one of {choices}") from None


def items(rows: list[tuple[SecurityIncident, Project]], at: int | None = None) -> list[QueueItem]:
    """Open first (oldest report on top), then closed (latest close on top)."""
    at = at if at is not None else now()
    out = []
    for row, project in rows:
        is_open = IncidentState(row.state) in OPEN
        age = (at if is_open else (row.closed_at or at)) - row.reported_at
        overdue = row.state == IncidentState.REPORTED and age >= ACK_HOURS * 3600
        out.append(QueueItem(row, project, max(0, age), overdue))
    out.sort(
        key=lambda i: (
            (0, i.incident.reported_at, i.incident.id)
            if i.is_open
            else (1, -(i.incident.closed_at or 0), -i.incident.id)
        )
    )
    return out


def counts(by_state: dict[str, int]) -> dict[str, int]:
    """Per filter, from the number of incidents in each state."""
    return {
        key: sum(n for state, n in by_state.items() if state in states)
        for key, (_l, states) in FILTERS.items()
    }


def describe(row: SecurityIncident, project: Project) -> dict[str, Any]:
    """An incident as the API and ``consentry incident ... --json`` print it (no long texts)."""
    return {
        "id": row.id,
        "project": project.name,
        "app_name": project.app_name or project.name,
        "state": row.state,
        "state_label": LABELS[IncidentState(row.state)],
        "summary": row.summary,
        "certainty": row.certainty,
        "detected_at": row.detected_at,
        "reported_at": row.reported_at,
        "reported_by": row.reported_by,
        "affected_users": row.affected_users,
        "statement": row.statement,
        "statement_at": row.statement_at,
        "security_contact": row.security_contact,
        "acknowledged_at": row.acknowledged_at,
        "acknowledged_by": row.acknowledged_by,
        "closed_at": row.closed_at,
        "closed_by": row.closed_by,
        "updated_at": row.updated_at,
    }


def describe_view(v: IncidentView) -> dict[str, Any]:
    """One incident in full: the report's texts and every note, oldest first."""
    i = v.incident
    return {
        **describe(i, v.project),
        "explained": v.explained,
        "details": i.details,
        "affected": i.affected,
        "containment": i.containment,
        "notes": [
            {"id": n.id, "side": n.side, "author": n.author, "body": n.body, "action": n.action, "at": n.at}
            for n in v.notes
        ],
    }
