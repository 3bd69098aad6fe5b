"""Single-use CAPTCHA challenges: the answer is kept only as a keyed hash."""

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class CaptchaChallenge(Base):
    __tablename__ = "captcha_challenges"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_hash: Mapped[str] = mapped_column(String(64))
    #: Indexed: anyone can make challenges be issued, so the purge must find dead ones cheaply.
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    #: The PNG of a challenge fetched by URL (ClientLogin), drawn once: every fetch gets the same
    #: noise, so many fetches cannot be averaged into a clean picture.
    picture: Mapped[bytes | None] = mapped_column(LargeBinary)
