"""Organizations and users."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consentry.storage.tables.base import Base, now


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Members must use two-step verification to sign in (ACCT-3).
    require_2sv: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Apps the admins have not configured: allow | sign-in-only | block (issue 14).
    unconfigured: Mapped[str] = mapped_column(String(20), default="allow", server_default="allow")
    #: APIs (mail, files, chat, meetings, calendar) only trusted apps may reach.
    restricted_apis: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    #: Shown to members on every refusal the organization's rules make.
    refusal_message: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: Members need the admins' approval before first using one of the org's Internal apps.
    internal_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Bumped by every policy change, so cached facts are never older than one request.
    policy_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public, stable subject identifier; never the row id or the email.
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: Platform role: "user", "admin" (org admin) or "reviewer".
    role: Mapped[str] = mapped_column(String(20), default="user")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[int] = mapped_column(BigInteger, default=now)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)

    org: Mapped[Organization | None] = relationship(lazy="joined")

    @property
    def hosted_domain(self) -> str | None:
        return self.org.domain if self.org else None
