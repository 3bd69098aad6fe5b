"""Counters shared by every server process: sign-in attempts and anonymous writers, per key."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base


class RateCounter(Base):
    """Requests counted in a fixed window; changed only by one atomic UPSERT (repositories)."""

    __tablename__ = "rate_counters"

    #: Keyed hash of ``limit name : subject`` (an address or an account): no address or email in clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    window_start: Mapped[int] = mapped_column(BigInteger)
    #: End of the window, pushed later by backoff; past it the next hit starts again from one.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
