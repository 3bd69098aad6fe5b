"""Short-lived flow state shared by every server process: interactions, device codes, used JWT ids."""

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class Interaction(Base):
    """A paused authorization request waiting for sign-in, account choice or consent."""

    __tablename__ = "interactions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The original /authorize query parameters.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Browser session that started it; another browser cannot finish it.
    session_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class DeviceCode(Base):
    __tablename__ = "device_codes"

    device_code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(2000), default="")
    #: pending | approved | denied | used
    status: Mapped[str] = mapped_column(String(10), default="pending")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_scope: Mapped[str | None] = mapped_column(String(2000))
    #: Why the platform refused it (a protocol error code such as ``org_internal``), if it did.
    refusal: Mapped[str | None] = mapped_column(String(40))
    interval: Mapped[int] = mapped_column(BigInteger, default=5)
    last_poll_at: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class UsedAssertion(Base):
    """JWT ids of client assertions already seen, so none is accepted twice."""

    __tablename__ = "used_assertions"

    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger)
