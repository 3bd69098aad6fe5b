"""What the incident service needs from storage (storage/repositories/incidents.py is the SQL one).

The service decides; the repository finds and adds rows, moves a state in one conditional UPDATE,
and writes the audit event and the outbox mail in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal, Protocol

from consentry.domain.actor import Actor
from consentry.domain.incidents.states import StateStore
from consentry.storage.tables import IncidentNote, Project, SecurityIncident


class IncidentRepository(StateStore, Protocol):
    def add(self, row: object) -> None: ...
    def flush(self) -> None: ...
    def incident(self, incident_id: int, *, lock: bool = False) -> SecurityIncident | None:
        """With ``lock`` the row stays locked until commit where the database can (PostgreSQL)."""
        ...

    def lock_project(self, project_id: int) -> None:
        """Hold the project's row until commit (PostgreSQL), so its reports are counted one at a time."""
        ...

    def incidents(
        self,
        *,
        project_id: int | None = None,
        states: Collection[str] | None = None,
        order: Literal["reported", "closed"] = "reported",
        limit: int | None = None,
    ) -> list[tuple[SecurityIncident, Project]]:
        """Incidents with their project: oldest report first, or (``closed``) latest close first."""
        ...

    def state_counts(self, project_id: int | None = None) -> dict[str, int]:
        """How many incidents are in each state."""
        ...

    def open_count(self, project_id: int, open_states: Collection[str]) -> int: ...
    def notes(self, incident_id: int) -> list[IncidentNote]: ...
    def audit(self, tag: str, actor: Actor, data: dict[str, Any]) -> None: ...
    def mail(
        self,
        recipients: list[str],
        subject: str,
        body: str,
        reason: str,
        data: dict[str, Any],
        *,
        required: bool = False,
    ) -> None:
        """Put a mail in the outbox, in the same transaction as the change that causes it; with
        ``required`` a refused mail raises instead of being logged and skipped."""
        ...
