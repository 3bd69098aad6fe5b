"""Organizations and users."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consentry.storage.tables.base import Base, now


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Members must use two-step verification to sign in (ACCT-3).
    require_2sv: Mapped[bool] = mapped_column(Boolean, default=False)
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
