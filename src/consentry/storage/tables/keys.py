"""Signing keys; private halves are envelope-encrypted by the key store."""

from typing import Any

from sqlalchemy import JSON, BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: AES-GCM ciphertext of the private JWK (nonce || ciphertext).
    private_blob: Mapped[bytes] = mapped_column(LargeBinary)
    #: active | retiring (still published, no longer used to sign)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    retired_at: Mapped[int | None] = mapped_column(BigInteger)
