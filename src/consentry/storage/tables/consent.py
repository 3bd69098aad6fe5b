"""What each user granted each client."""

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class ConsentGrant(Base):
    """One row per (user, client): the union of scopes the user agreed to (AUTH0-1, AUTH0-3)."""

    __tablename__ = "consent_grants"
    __table_args__ = (UniqueConstraint("user_id", "client_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: When the grant lapses by itself (VERIFY-11: 7 days after consent to an app in Testing).
    lapses_at: Mapped[int | None] = mapped_column(BigInteger)


class ConsentReceipt(Base):
    """One consent decision, as shown and as answered (CONSENT-8); the user can read their own."""

    __tablename__ = "consent_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    #: The client id and app name as shown, kept when the client is gone.
    client_id: Mapped[str] = mapped_column(String(100))
    app_name: Mapped[str] = mapped_column(String(200))
    #: "oauth2", "device", or a legacy protocol's name.
    protocol: Mapped[str] = mapped_column(String(20))
    #: "allow" or "deny".
    decision: Mapped[str] = mapped_column(String(10))
    granted: Mapped[list[str]] = mapped_column(JSON, default=list)
    denied: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The disclosure rendered: the template's version and the SHA-256 of its exact text.
    disclosure_version: Mapped[str] = mapped_column(String(40))
    disclosure_hash: Mapped[str] = mapped_column(String(64))
    disclosure: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now, index=True)


class UnverifiedPass(Base):
    """A user who went past an app's unverified-app screen: counted once toward its cap, forever."""

    __tablename__ = "unverified_passes"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: Kept (as NULL) when the account is deleted: the cap never goes back down.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    passed_at: Mapped[int] = mapped_column(BigInteger, default=now)


class AppReport(Base):
    """A user's report of an app, waiting in the reviewers' queue."""

    __tablename__ = "app_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_by: Mapped[str] = mapped_column(String(320), default="")


class SecurityEvent(Base):
    """A Security Event Token (RFC 8417) waiting for push delivery to an app (RFC 8935).

    Deletion requests (DATA-2) are events of their own type; acknowledged means the app's
    endpoint answered 202. Delivery is retried with backoff, like the mail outbox.
    """

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The SET's ``jti``: unique, so a redelivery can be recognised by the receiver.
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The event type URI (RISC, or Consentry's deletion request).
    event_type: Mapped[str] = mapped_column(String(200))
    #: The SET's claims, signed at each delivery attempt with the current key.
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: "pending", "delivered" (acknowledged) or "failed" (gave up).
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger, default=now, index=True)
    claimed_until: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
