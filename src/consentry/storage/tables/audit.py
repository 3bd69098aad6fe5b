"""Append-only, hash-chained audit log; tags are ``source:subject:action``."""

from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), index=True)
    actor: Mapped[str] = mapped_column(String(320), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: sha256(previous chain || this event); tampering with any row breaks every later one.
    chain: Mapped[str] = mapped_column(String(64))
