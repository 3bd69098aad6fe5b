"""Authorization codes and tokens, stored only as keyed hashes."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(String(512), index=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_time: Mapped[int] = mapped_column(BigInteger, default=now)
    #: Tokens issued from this code share this family, so a replayed code revokes them.
    family: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: The consent it was issued on lapses then (VERIFY-11): its tokens never outlive it.
    grant_lapses_at: Mapped[int | None] = mapped_column(BigInteger)
    #: How the user signed in (RFC 8176, space-separated), for the ID token; NULL: "pwd".
    amr: Mapped[str | None] = mapped_column(String(40))


class Token(Base):
    __tablename__ = "tokens"
    __table_args__ = (
        Index("ix_tokens_family", "family"),
        Index("ix_tokens_user_client", "user_id", "client_pk"),
        # A client's tokens, for revoking them all and for the cascade when the client goes
        # (migration 0013: without it SQLite scans the table under its write lock, docs/maintenance.md).
        Index("ix_tokens_client", "client_pk"),
        Index("ix_tokens_expiry", "purge_after"),
        # Only revoked rows, for the purge (migration 0003).
        Index(
            "ix_tokens_revoked",
            "revoked_at",
            sqlite_where=text("revoked_at IS NOT NULL"),
            postgresql_where=text("revoked_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text, default="")
    grant_type: Mapped[str] = mapped_column(String(80))
    token_format: Mapped[str] = mapped_column(String(10), default="opaque")
    jti: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[int] = mapped_column(BigInteger, default=now)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    refresh_expires_at: Mapped[int | None] = mapped_column(BigInteger)
    #: Set when this refresh token was exchanged; presenting it again is reuse (RFC 9700 4.14).
    rotated_at: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
    family: Mapped[str] = mapped_column(String(32))
    #: After this time the row is useless and may be purged.
    purge_after: Mapped[int] = mapped_column(BigInteger)
