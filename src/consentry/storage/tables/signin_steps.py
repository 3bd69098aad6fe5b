"""Sign-ins half done, and WebAuthn challenges: bound to one browser, short-lived, single-use."""

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class SigninStep(Base):
    """A step in progress: the password was right and the second step is due, or a passkey
    ceremony waits for the browser's answer. Keyed by the keyed hash of an id the page carries."""

    __tablename__ = "signin_steps"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The keyed hash of the browser's session cookie: another browser cannot finish the step.
    session_hash: Mapped[str] = mapped_column(String(64))
    #: "second_step", "passkey_signin" or "passkey_enroll".
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What was proven so far (RFC 8176 values, space-separated), e.g. "pwd".
    amr: Mapped[str] = mapped_column(String(40), default="")
    #: The WebAuthn challenge (base64url), when one is pending.
    challenge: Mapped[str] = mapped_column(String(200), default="")
    #: Where to go once signed in: the paused authorization flow, or a local page.
    flow: Mapped[str] = mapped_column(String(100), default="")
    next: Mapped[str] = mapped_column(String(500), default="")
    #: Wrong codes typed so far; the step is voided past the limit.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
