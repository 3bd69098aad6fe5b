"""The SQLAlchemy IncidentRepository (SEC-6): incidents, their notes, one-statement state moves."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from consentry.storage.repositories.effects import AuditAndMail
from consentry.storage.tables import IncidentNote, Project, SecurityIncident


class SqlIncidents(AuditAndMail):
    def __init__(self, session: Session, issuer: str | None = None) -> None:
        self.session = session
        self.issuer = issuer

    def add(self, row: object) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def incident(self, incident_id: int, *, lock: bool = False) -> SecurityIncident | None:
        """With ``lock``, PostgreSQL holds the row until commit (SQLite serializes writers anyway)."""
        if not lock:
            return self.session.get(SecurityIncident, incident_id)
        q = select(SecurityIncident).where(SecurityIncident.id == incident_id).with_for_update()
        return self.session.scalars(q.execution_options(populate_existing=True)).first()

    def lock_project(self, project_id: int) -> None:
        self.session.execute(select(Project.id).where(Project.id == project_id).with_for_update())

    def incidents(
        self,
        *,
        project_id: int | None = None,
        states: Collection[str] | None = None,
        order: Literal["reported", "closed"] = "reported",
        limit: int | None = None,
    ) -> list[tuple[SecurityIncident, Project]]:
        by = (
            (SecurityIncident.reported_at, SecurityIncident.id)
            if order == "reported"
            else (SecurityIncident.closed_at.desc(), SecurityIncident.id.desc())
        )
        q = select(SecurityIncident, Project).join(Project, Project.id == SecurityIncident.project_id)
        if project_id is not None:
            q = q.where(SecurityIncident.project_id == project_id)
        if states is not None:
            q = q.where(SecurityIncident.state.in_(list(states)))
        return [(i, p) for i, p in self.session.execute(q.order_by(*by).limit(limit))]

    def state_counts(self, project_id: int | None = None) -> dict[str, int]:
        q = select(SecurityIncident.state, func.count(SecurityIncident.id)).group_by(SecurityIncident.state)
        if project_id is not None:
            q = q.where(SecurityIncident.project_id == project_id)
        return {state: int(n) for state, n in self.session.execute(q)}

    def open_count(self, project_id: int, open_states: Collection[str]) -> int:
        q = select(func.count(SecurityIncident.id)).where(
            SecurityIncident.project_id == project_id, SecurityIncident.state.in_(list(open_states))
        )
        return int(self.session.scalar(q) or 0)

    def notes(self, incident_id: int) -> list[IncidentNote]:
        q = select(IncidentNote).where(IncidentNote.incident_id == incident_id).order_by(IncidentNote.id)
        return list(self.session.scalars(q))

    def set_incident_state(
        self,
        incident_id: int,
        from_states: list[str],
        to_state: str,
        values: dict[str, Any],
        fill: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """One conditional UPDATE; ``fill`` columns are set only where still empty (COALESCE), so
        a move made from a stale read never overwrites what a quicker reviewer stored."""
        fill = fill or {}
        filled = {key: _unless_set(getattr(SecurityIncident, key), value) for key, value in fill.items()}
        stored = [getattr(SecurityIncident, key) for key in fill]
        result = self.session.execute(
            update(SecurityIncident)
            .where(SecurityIncident.id == incident_id, SecurityIncident.state.in_(from_states))
            .values(state=to_state, **values, **filled)
            .returning(SecurityIncident.id, *stored)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        if row is None:
            return None
        return {**values, **dict(zip(fill, row[1:], strict=True))}


def _unless_set(column: Any, value: Any) -> ColumnElement[Any]:
    """The column's value if it has one ("" counts as none for text), else ``value``."""
    current = func.nullif(column, "") if isinstance(value, str) else column
    return func.coalesce(current, value)
