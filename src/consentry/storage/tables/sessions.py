"""Browser sessions in the database, so any server process can serve any request."""

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class BrowserSession(Base):
    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: What the account page shows of this browser (ACCT-5): its User-Agent (trimmed), the
    #: address it was last seen from, and when (updated at most every few minutes).
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    last_seen_at: Mapped[int] = mapped_column(BigInteger, default=now)


class SessionAccount(Base):
    """An account signed in within a browser session (several make the account chooser)."""

    __tablename__ = "session_accounts"
    __table_args__ = (UniqueConstraint("session_hash", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(
        ForeignKey("browser_sessions.id_hash", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    authenticated_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: How the account signed in (RFC 8176 values, space-separated): the ID token's ``amr``.
    amr: Mapped[str] = mapped_column(String(40), default="pwd")


class TrustedDevice(Base):
    """A browser that signed in to an account before: its owner is never made to wait for an attacker.

    The browser holds a random device secret in a cookie; only its keyed hash is stored here.
    """

    __tablename__ = "trusted_devices"
    __table_args__ = (UniqueConstraint("device_hash", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
