"""The sample mail service's mailbox: messages, labels, settings, forwarding."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class MailMessage(Base):
    """A message in a user's mailbox; drafts and sent mail carry the DRAFT / SENT labels."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(998), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[int] = mapped_column(BigInteger, default=now)


class MailLabel(Base):
    __tablename__ = "mail_labels"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(225))
    color: Mapped[str] = mapped_column(String(16), default="#888888")
    system: Mapped[bool] = mapped_column(Boolean, default=False)


class MailSettings(Base):
    __tablename__ = "mail_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    signature: Mapped[str] = mapped_column(Text, default="")
    display_language: Mapped[str] = mapped_column(String(16), default="en")
    vacation_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    vacation_message: Mapped[str] = mapped_column(Text, default="")


class MailForwarding(Base):
    """An address the user's mail is forwarded to: controls who can read the mailbox (restricted)."""

    __tablename__ = "mail_forwarding"
    __table_args__ = (UniqueConstraint("user_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
