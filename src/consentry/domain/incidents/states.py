"""The states of a reported incident and the moves between them (SEC-6).

A table, as for verification requests (domain/verification/states.py): every action names the
states it may start from, so a reviewer resolving an incident another reviewer closed a second
earlier is refused the same way on the web, the API and the CLI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from consentry.errors import Conflict


class IncidentState(StrEnum):
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    #: Looked into; no unauthorized access was found.
    CLOSED_NO_FINDING = "closed_no_finding"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    CLOSE = "close"


OPEN = frozenset({IncidentState.REPORTED, IncidentState.ACKNOWLEDGED})
FINAL = frozenset({IncidentState.RESOLVED, IncidentState.CLOSED_NO_FINDING})

#: action -> (states it may start from, state it leads to). Resolving straight from "reported"
#: is allowed: a reviewer who can close an incident has read it.
MOVES: dict[Action, tuple[frozenset[IncidentState], IncidentState]] = {
    Action.ACKNOWLEDGE: (frozenset({IncidentState.REPORTED}), IncidentState.ACKNOWLEDGED),
    Action.RESOLVE: (OPEN, IncidentState.RESOLVED),
    Action.CLOSE: (OPEN, IncidentState.CLOSED_NO_FINDING),
}

LABELS: dict[IncidentState, str] = {
    IncidentState.REPORTED: "Reported",
    IncidentState.ACKNOWLEDGED: "Acknowledged",
    IncidentState.RESOLVED: "Resolved",
    IncidentState.CLOSED_NO_FINDING: "Closed: no finding",
}

#: What each state means for the developer, in plain words (their incident page shows it).
EXPLAINED: dict[IncidentState, str] = {
    IncidentState.REPORTED: (
        "The platform's security contact has it and will acknowledge it. Make no public statement "
        "before they have."
    ),
    IncidentState.ACKNOWLEDGED: (
        "The platform's security team is working on it with you. Agree any public statement with "
        "them first; add what you learn as an update."
    ),
    IncidentState.RESOLVED: "The platform closed the incident; its notes say how.",
    IncidentState.CLOSED_NO_FINDING: "No unauthorized access was found; the notes say what was checked.",
}


class StateStore(Protocol):
    def set_incident_state(
        self,
        incident_id: int,
        from_states: list[str],
        to_state: str,
        values: dict[str, Any],
        fill: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Change the state and ``values`` (and ``fill`` where still empty) only if it is still one
        of ``from_states``, in one statement; the values stored, or None if the state had moved."""
        ...


def move(state: str, action: Action) -> IncidentState:
    """The state after ``action``; Conflict (409) if the action is not allowed from ``state``."""
    allowed, after = MOVES[action]
    current = IncidentState(state)
    if current not in allowed:
        raise Conflict("wrong_state", f"cannot {action.value} an incident that is {LABELS[current].lower()}")
    return after


def transition(
    store: StateStore,
    row: Any,
    action: Action,
    values: dict[str, Any],
    fill: dict[str, Any] | None = None,
) -> IncidentState:
    """Move ``row`` by ``action`` atomically: of two reviewers acting at once exactly one wins; the
    other gets 409 and changes nothing. ``fill`` (who acknowledged, when) is kept if already set."""
    after = move(row.state, action)
    stored = store.set_incident_state(row.id, [s.value for s in MOVES[action][0]], after.value, values, fill)
    if stored is None:
        raise Conflict("wrong_state", "the incident changed meanwhile: reload the page and try again")
    row.state = after.value
    for key, value in stored.items():
        setattr(row, key, value)
    return after
