"""What the legacy protocols (OAuth 1.0a, AuthSub, ClientLogin, the widget proxy) keep.

Their long-lived tokens are rows of ``tokens`` like every other (so the data APIs, the account
page and "Remove access" treat them the same); :class:`LegacyCredential` holds only what a legacy
token has on top. Everything secret is a keyed hash, or sealed with AES-GCM where the server must
read it back (an OAuth 1.0a token secret is the HMAC key the server signs with, too).
"""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class LegacyCredential(Base):
    __tablename__ = "legacy_credentials"

    token_id: Mapped[int] = mapped_column(ForeignKey("tokens.id", ondelete="CASCADE"), primary_key=True)
    #: oauth1 | authsub | clientlogin | gadget: the only scheme that may present the token.
    protocol: Mapped[str] = mapped_column(String(12))
    #: OAuth 1.0a token secret, sealed (the server needs it to check HMAC-SHA1 signatures).
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: AuthSub secure token: every use must be signed with the app's registered key.
    secure: Mapped[bool] = mapped_column(Boolean, default=False)
    #: AuthSub: the host of ``next``; ClientLogin: the service code.
    target: Mapped[str] = mapped_column(String(255), default="")
    #: ClientLogin ``source`` or the display name the user saw, for the operator's report.
    source: Mapped[str] = mapped_column(String(200), default="")


class LegacyRequest(Base):
    """An OAuth 1.0a request token or an AuthSub single-use token: before it becomes an access token."""

    __tablename__ = "legacy_requests"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(12))
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    #: Set when a user approved it.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    #: OAuth 1.0a request-token secret, sealed.
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: ``oauth_callback`` (or "oob", or "") / AuthSub ``next``.
    callback: Mapped[str] = mapped_column(Text, default="")
    #: ``xoauth_displayname`` as the app sent it.
    display_name: Mapped[str] = mapped_column(String(200), default="")
    hd: Mapped[str] = mapped_column(String(255), default="")
    #: AuthSub ``secure`` / ``session``.
    secure: Mapped[bool] = mapped_column(Boolean, default=False)
    session: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Keyed hash of the OAuth 1.0a verifier handed out on approval.
    verifier_hash: Mapped[str | None] = mapped_column(String(64))
    #: Keyed hash of the short code a user types on another device (AUTH1-10).
    user_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    approved_at: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class LegacyNonce(Base):
    """A signed request seen once (OAuth 1.0a nonce + timestamp, AuthSub secure ``data``): replay guard."""

    __tablename__ = "legacy_nonces"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class ClientLoginUnlock(Base):
    """The account's owner unlocked ClientLogin in a browser (DisplayUnlockCaptcha, AUTH4-4)."""

    __tablename__ = "clientlogin_unlocks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    #: Sign-ins left that skip the CAPTCHA (each is still counted and judged).
    attempts_left: Mapped[int] = mapped_column(Integer, default=10)


class GadgetToken(Base):
    """An access token the widget proxy holds for a (widget session, user), sealed (AUTH5-1)."""

    __tablename__ = "gadget_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Keyed hash of the widget's opaque session handle.
    handle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    token_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    scope: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
