"""Browser sessions in the database, so any server process can serve any request."""

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class BrowserSession(Base):
    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class SessionAccount(Base):
    """An account signed in within a browser session (several make the account chooser)."""

    __tablename__ = "session_accounts"
    __table_args__ = (UniqueConstraint("session_hash", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(
        ForeignKey("browser_sessions.id_hash", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    authenticated_at: Mapped[int] = mapped_column(BigInteger, default=now)


class LoginThrottle(Base):
    """Failed sign-in counter per account, shared by all processes."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
    window_start: Mapped[int] = mapped_column(BigInteger, default=now)
