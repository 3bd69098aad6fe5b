"""The mail outbox: written in the transaction of the change that causes the mail."""

from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class OutboxMail(Base):
    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Message-ID header, unique: a resend after a lost acknowledgement can be recognised.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: What caused it (an audit tag), for the operator's listing.
    reason: Mapped[str] = mapped_column(String(100), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not before this time (backoff after a failure).
    next_attempt_at: Mapped[int] = mapped_column(BigInteger, default=now, index=True)
    #: A sender holds the row until then (so two senders never send the same mail at once).
    claimed_until: Mapped[int] = mapped_column(BigInteger, default=0)
    sent_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
