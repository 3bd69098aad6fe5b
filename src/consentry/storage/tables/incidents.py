"""Security incidents a project reported to the platform (SEC-6), and the notes on each."""

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class SecurityIncident(Base):
    """One report of known or suspected unauthorized access; the states are domain/incidents/states.py."""

    __tablename__ = "security_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: reported -> acknowledged -> resolved | closed_no_finding, each move one conditional UPDATE.
    state: Mapped[str] = mapped_column(String(20), index=True)
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    #: "suspected" or "confirmed".
    certainty: Mapped[str] = mapped_column(String(10))
    detected_at: Mapped[int] = mapped_column(BigInteger)
    #: Which data, scopes and users, in the developer's words, and a rough count when known.
    affected: Mapped[str] = mapped_column(Text)
    affected_users: Mapped[int | None] = mapped_column(Integer)
    containment: Mapped[str] = mapped_column(Text, default="")
    #: "none", "planned" or "made" (already public when reported), with its date for the last two.
    statement: Mapped[str] = mapped_column(String(10), default="none")
    statement_at: Mapped[int | None] = mapped_column(BigInteger)
    reported_by: Mapped[str] = mapped_column(String(320))
    reported_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: Where the report was mailed (CONSENTRY_SECURITY_CONTACT at the time).
    security_contact: Mapped[str] = mapped_column(String(320))
    acknowledged_at: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_by: Mapped[str] = mapped_column(String(320), default="")
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now)


class IncidentNote(Base):
    """A note from the platform's reviewers, or an update from the project, on one incident."""

    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("security_incidents.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(320))
    #: "platform" (reviewers, operators) or "developer" (the project's members).
    side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    #: The state move it came with ("acknowledged", "resolved", ...), or "" for a plain note.
    action: Mapped[str] = mapped_column(String(20), default="")
    at: Mapped[int] = mapped_column(BigInteger, default=now)
