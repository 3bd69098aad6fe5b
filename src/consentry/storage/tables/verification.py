"""App verification: domain proofs, review requests and their messages, security assessments."""

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class DomainProof(Base):
    """Ownership of one authorized domain (VERIFY-3), by DNS TXT record or a well-known file."""

    __tablename__ = "domain_proofs"
    __table_args__ = (UniqueConstraint("project_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    #: The value the developer publishes; a public challenge, not a secret.
    challenge: Mapped[str] = mapped_column(String(100))
    #: "dns" or "file", how it was last proven.
    method: Mapped[str] = mapped_column(String(10), default="")
    verified_at: Mapped[int | None] = mapped_column(BigInteger)
    checked_at: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class VerificationRequest(Base):
    """One submission for review; the state machine is domain/verification/states.py."""

    __tablename__ = "verification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(30), index=True)
    #: The scopes asked for review, and per scope how it is used and why narrower ones are not enough.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    justifications: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    doc_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    video_url: Mapped[str] = mapped_column(String(2000), default="")
    #: An approved use case of the API (USE-2..5), or "" for the reviewers to decide.
    app_type: Mapped[str] = mapped_column(String(100), default="")
    task_automation: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Restricted data is stored on or passes through the app's servers (SEC-5: assessment needed).
    server_access: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The brand as submitted (name, logo digest, domains): a later change needs a new review.
    brand: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    transfers: Mapped[str] = mapped_column(Text, default="")
    human_access: Mapped[str] = mapped_column(Text, default="")
    attested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The app's ``consentry scan --json`` report, if attached.
    scan_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The pre-check results the reviewer sees (each pass/fail with evidence).
    prechecks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    approved_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    submitted_at: Mapped[int | None] = mapped_column(BigInteger)
    #: When the reviewers last asked the developer something (90 days unanswered: rejected).
    waiting_since: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now)


class ReviewMessage(Base):
    """A question from a reviewer or an answer from the developer (VERIFY-7)."""

    __tablename__ = "review_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("verification_requests.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(320))
    #: "reviewer" or "developer".
    side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[int] = mapped_column(BigInteger, default=now)


class SecurityAssessment(Base):
    """A letter of validation (SEC-5, SEC-8); lapses 12 months after ``letter_date``."""

    __tablename__ = "security_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    assessor: Mapped[str] = mapped_column(String(200))
    #: 1 self-assessment, 2 lab-verified scan, 3 full lab test.
    tier: Mapped[int] = mapped_column()
    letter_date: Mapped[int] = mapped_column(BigInteger)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Whether the app showed it can delete user data on request (SEC-8).
    deletion_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Reminders already mailed, by days before the lapse (60, 30, 7).
    reminders_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
