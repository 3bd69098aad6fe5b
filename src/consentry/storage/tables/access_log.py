"""Every call to the sample data APIs: what the user's access-log page shows (USER rights)."""

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class AccessLogEntry(Base):
    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    client_id: Mapped[str] = mapped_column(String(128))
    operation: Mapped[str] = mapped_column(String(64))
    #: The granted scope that allowed the call; empty when it was refused.
    scope: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[int] = mapped_column(Integer)
