"""Legacy access tokens: rows of ``tokens`` (one revocation, one account page) plus their extras.

Stored by a keyed hash no OAuth 2.0 endpoint computes (:func:`token_key`), and those endpoints'
lookups skip ``legacy:`` rows as well (storage/repositories/token_sql.py): a legacy token is
never a bearer token at /introspect, /tokeninfo, /userinfo or /revoke. It is presented only in
its own scheme, with its signature where the
protocol needs one (AUTH0-4). At most ``MAX_OUTSTANDING`` live tokens per user, app and protocol
(AUTH1-12, AUTH3-6): issuing one more revokes the oldest, so an app that loses track of its
tokens keeps working while the user never holds more than ten (docs/legacy/index.md says so).

Issued and read through the token store like every other grant's tokens (``Changes.legacy_tokens``,
``Lookup.legacy_key``): the count and its lock are the store's, in the same transaction as the
token and the claim of the request token it was exchanged for (storage/token_store.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consentry.domain.keys.envelope import Envelope
from consentry.domain.secrets import Hasher, new_id, new_secret
from consentry.domain.tokens.records import LegacyRecord
from consentry.domain.tokens.revoked import revoked_entry
from consentry.domain.tokens.store import Changes, LegacyToken
from consentry.storage.tables import ConsentGrant, Token
from consentry.storage.tables.base import now

PROTOCOLS = ("oauth1", "authsub", "clientlogin", "gadget")
MAX_OUTSTANDING = 10
GRANT_PREFIX = "legacy:"


def grant_type(protocol: str) -> str:
    return GRANT_PREFIX + protocol


def token_key(hasher: Hasher, protocol: str, token: str) -> str:
    """The keyed hash of the keyed hash: an OAuth 2.0 endpoint looks up ``hash(T)`` for a token T
    its caller chooses, and no caller can choose T = ``hash(protocol:token)`` without the key.
    (A single hash of ``protocol:token`` would be found by presenting that very string.)"""
    return hasher.hash(hasher.hash(f"{protocol}:{token}"))


def _aad(protocol: str, token_key_: str) -> bytes:
    return f"legacy-secret:{protocol}:{token_key_}".encode()


def seal_secret(envelope: Envelope, protocol: str, key: str, secret: str) -> bytes:
    """Sealed with the token's key as associated data: a sealed secret moved to another row fails."""
    return envelope.seal(secret.encode(), _aad(protocol, key))


def open_secret(envelope: Envelope, protocol: str, key: str, sealed: bytes) -> str:
    return envelope.open(sealed, _aad(protocol, key)).decode()


@dataclass(frozen=True, slots=True)
class LegacyAccess:
    """A live legacy token with everything a verifier or the data APIs need."""

    token_id: int
    protocol: str
    client_pk: int
    client_id: str
    project_id: int
    user_id: int
    user_sub: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    #: OAuth 1.0a token secret (opened), else None.
    secret: str | None
    secure: bool
    target: str
    source: str
    #: The app's registered RSA certificate (PEM), for RSA-SHA1 / secure AuthSub.
    certificate: str | None


@dataclass(frozen=True, slots=True)
class Issued:
    token: str
    #: OAuth 1.0a token secret (the client's half of the HMAC key), else None.
    secret: str | None
    expires_at: int
    #: What the token store writes for it (``Changes.legacy_tokens``); the token is the caller's
    #: to hand out only once that commit succeeded.
    stored: LegacyToken


def consent_lapse(session: Session, user_id: int, client_pk: int) -> int | None:
    """When the user's grant to the app lapses by itself (an app in Testing), else None."""
    return session.scalar(
        select(ConsentGrant.lapses_at).where(
            ConsentGrant.user_id == user_id, ConsentGrant.client_pk == client_pk
        )
    )


def mint(
    hasher: Hasher,
    envelope: Envelope,
    *,
    protocol: str,
    client_pk: int,
    user_id: int,
    scopes: tuple[str, ...] | list[str],
    lifetime: int,
    lapses_at: int | None = None,
    with_secret: bool = False,
    secure: bool = False,
    target: str = "",
    source: str = "",
    prefix: str = "",
    family: str | None = None,
) -> Issued:
    """A new long-lived token for (user, app, scopes), and the rows that store it (AUTH0-3, AUTH1-6).

    ``lapses_at``: the grant's own end (:func:`consent_lapse`), which the token never outlives
    (VERIFY-11). ``family`` ties it to what it was issued on (an app password: revoking it ends the
    token). Writing it keeps the holder within ``MAX_OUTSTANDING`` (AUTH1-12, AUTH3-6)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown legacy protocol {protocol}")
    t = now()
    if lapses_at is not None:
        lifetime = max(1, min(lifetime, lapses_at - t))
    token = prefix + new_secret()
    key = token_key(hasher, protocol, token)
    secret = new_secret(24) if with_secret else None
    row = {
        "access_hash": key,
        "refresh_hash": None,
        "client_pk": client_pk,
        "user_id": user_id,
        "scope": " ".join(scopes),
        "grant_type": grant_type(protocol),
        "token_format": "opaque",
        "issued_at": t,
        "expires_at": t + lifetime,
        "family": family or new_id(12),
        "purge_after": t + lifetime,
    }
    stored = LegacyToken(
        row=row,
        protocol=protocol,
        secret_sealed=seal_secret(envelope, protocol, key, secret) if secret else None,
        secure=secure,
        target=target[:255],
        source=source[:200],
        keep=MAX_OUTSTANDING,
    )
    return Issued(token, secret, t + lifetime, stored)


def lookup_key(hasher: Hasher, protocol: str, token: str) -> str | None:
    """The key to look ``token`` up by in the token store (``Lookup.legacy_key``); None for what
    no issued token can be."""
    if not token or len(token) > 512:
        return None
    return token_key(hasher, protocol, token)


def live(record: LegacyRecord | None, envelope: Envelope, protocol: str) -> LegacyAccess | None:
    """The token the store found, if it is ``protocol``'s and live: not revoked nor expired, its app
    neither disabled nor suspended, its user not disabled."""
    if record is None or record.protocol != protocol:
        return None
    if record.revoked_at is not None or record.expires_at <= now():
        return None
    if record.client_disabled or record.user_disabled or record.suspended_at is not None:
        return None
    sealed = record.secret_sealed
    return LegacyAccess(
        token_id=record.id,
        protocol=protocol,
        client_pk=record.client_pk,
        client_id=record.client_id,
        project_id=record.project_id,
        user_id=record.user_id,
        user_sub=record.user_sub,
        scopes=tuple(record.scope.split()),
        issued_at=record.issued_at,
        expires_at=record.expires_at,
        secret=open_secret(envelope, protocol, record.access_hash, sealed) if sealed else None,
        secure=record.secure,
        target=record.target,
        source=record.source,
        certificate=record.certificate,
    )


def revocation(access: LegacyAccess) -> Changes:
    """One legacy token revoked by the app that holds it, through the token store: only the call
    that revoked it gets Outcome.COMMITTED (ALREADY_REVOKED for the rest). Its family is left
    alone: the other tokens issued on the same app password live on."""
    if access.token_id <= 0:  # a single-use token's stand-in (authsub.as_access) has no row to revoke
        raise ValueError("only a stored legacy token can be revoked")
    return Changes(
        claim_revoke=access.token_id,
        audit=[revoked_entry(access.token_id, access.protocol, "access_token")],
    )


def revoke_for_user(session: Session, user_id: int, protocol: str) -> int:
    """Every live token of one protocol for a user (a password change ends ClientLogin tokens)."""
    result = session.execute(
        update(Token)
        .where(Token.user_id == user_id, Token.grant_type == grant_type(protocol), Token.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
