"""Projects, their members, and OAuth clients."""

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consentry.storage.tables.base import Base, now


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: "external" or "internal" (only the owning organization's users).
    user_type: Mapped[str] = mapped_column(String(20), default="external")
    #: Publishing status: "testing" or "production".
    status: Mapped[str] = mapped_column(String(20), default="testing")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: Scopes declared on the consent screen configuration.
    declared_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    test_users: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)

    # --- consent-screen configuration (VERIFY-2) -------------------------------------------
    #: The name users see on the consent screen; the project name until the developer sets one.
    app_name: Mapped[str] = mapped_column(String(120), default="")
    #: The logo, re-encoded server-side as a PNG (no script or metadata survives).
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    support_email: Mapped[str] = mapped_column(String(320), default="")
    home_page: Mapped[str] = mapped_column(String(2000), default="")
    privacy_policy: Mapped[str] = mapped_column(String(2000), default="")
    terms: Mapped[str] = mapped_column(String(2000), default="")
    authorized_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    developer_contacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: When the name, logo or domains last changed (a brand change sends the app back to review).
    brand_changed_at: Mapped[int | None] = mapped_column(BigInteger)
    #: Scopes a reviewer approved (VERIFY-6: an approval covers these, not scopes added later).
    approved_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)

    # --- enforcement (the policy gate, domain/policy/) --------------------------------------
    #: Set while the platform has suspended the app (LIMIT-6, DATA-3); every request is refused.
    suspended_at: Mapped[int | None] = mapped_column(BigInteger)
    suspended_reason: Mapped[str] = mapped_column(String(500), default="")
    #: Distinct users who passed the unverified-app screen, ever (VERIFY-11); never reset.
    unverified_users: Mapped[int] = mapped_column(default=0)
    #: Where security events and deletion requests are pushed (RFC 8935); "" for none.
    events_endpoint: Mapped[str] = mapped_column(String(2000), default="")

    members: Mapped[list["ProjectMember"]] = relationship(back_populates="project", lazy="selectin")


class ProjectMember(Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # owner | editor

    project: Mapped[Project] = relationship(back_populates="members")


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: web | installed | device | service | oauth1 (a legacy consumer)
    client_type: Mapped[str] = mapped_column(String(20))
    #: Keyed hash (HMAC-SHA256) of the machine-generated secret; None for public clients.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: "opaque" or "jwt" (RFC 9068).
    access_token_format: Mapped[str] = mapped_column(String(10), default="opaque")
    id_token_alg: Mapped[str] = mapped_column(String(10), default="RS256")
    #: OAuth 1.0a consumer secret, sealed: HMAC-SHA1 needs it in clear on both sides (AUTH1-2).
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: OAuth 1.0a / AuthSub: the registered domain and RSA certificate (PEM) (AUTH1-13, AUTH3-4).
    legacy_domain: Mapped[str] = mapped_column(String(255), default="", server_default="")
    certificate: Mapped[str | None] = mapped_column(Text)
    #: A service account's address (the key file's ``client_email``, the JWT bearer ``iss``).
    service_email: Mapped[str | None] = mapped_column(String(320), unique=True)
    #: Public keys for private_key_jwt client authentication (a JWKS document).
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: May introspect tokens of any client (resource servers).
    can_introspect: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: Deleted clients are kept 30 days (restorable), then purged; a deleted client is also disabled.
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)

    project: Mapped[Project] = relationship(lazy="joined")

    @property
    def project_status(self) -> str:
        """Same name as on ``ClientSnapshot``, so protocol code reads either."""
        return self.project.status
