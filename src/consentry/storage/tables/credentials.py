"""An account's second factors and app-specific passwords (ACCT-3, ACCT-4).

Nothing here is stored in clear: the TOTP secret is sealed (AES-GCM, it must be read back to
check a code), recovery codes and app-specific passwords are keyed hashes (they are random and
long, so a keyed hash is as strong as a slow one and can be looked up), a passkey keeps only its
public key.
"""

from sqlalchemy import BigInteger, Boolean, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class TotpFactor(Base):
    """An authenticator app: one per account. Unconfirmed until the user typed a first code."""

    __tablename__ = "totp_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    confirmed_at: Mapped[int | None] = mapped_column(BigInteger)
    #: The last time step a code was accepted for: a code is never accepted twice (RFC 6238 §5.2).
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class RecoveryCode(Base):
    """One of ten single-use codes shown once when two-step verification is turned on."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class Passkey(Base):
    """A WebAuthn credential (passkey or security key): a first factor or a second step."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: base64url of the credential id, as browsers send it back.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    #: The authenticator verified the user (PIN, biometrics): the key alone is two factors.
    user_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)


class AppPassword(Base):
    """A named password for one app that cannot do two-step verification (ClientLogin, IMAP-style)."""

    __tablename__ = "app_passwords"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)
