"""What an organization's admins decide about third-party apps (issue 14, VERIFY-10, AUTH0-5).

Read by the policy gate's ``organization_rules`` check for every protocol; every change bumps
``organizations.policy_version`` so each server process sees it on the next request.
"""

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class OrgAppAccess(Base):
    """One app (project) as the organization's admins configured it."""

    __tablename__ = "org_app_access"
    __table_args__ = (UniqueConstraint("org_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: trusted | limited (sign-in and non-sensitive scopes only) | blocked
    access: Mapped[str] = mapped_column(String(10))
    #: Installed for every member by the admins: exempt from verification for this org (VERIFY-10).
    installed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now)
    updated_by: Mapped[str] = mapped_column(String(320), default="")


class OrgDelegation(Base):
    """Domain-wide delegation: a service account may act for the org's users, in these scopes."""

    __tablename__ = "org_delegations"
    __table_args__ = (UniqueConstraint("org_id", "client_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    created_by: Mapped[str] = mapped_column(String(320), default="")


class AccessRequest(Base):
    """A member asks the admins to let an app the organization refuses (lapses after 30 days)."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_org_status", "org_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: pending | approved | denied (a lapsed one is pending past expires_at)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    decided_at: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    #: What the admin wrote back to the member.
    answer: Mapped[str] = mapped_column(Text, default="")


class ServiceAccountKey(Base):
    """A key pair of a service account (a ``service`` client): only the public half is kept."""

    __tablename__ = "service_account_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    #: The JWT ``kid`` (the key file's ``private_key_id``).
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: generated (Consentry made the pair, showed the private key once) | uploaded
    origin: Mapped[str] = mapped_column(String(10), default="generated")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    disabled_at: Mapped[int | None] = mapped_column(BigInteger)
