"""Authorization codes: single-use, short-lived, stored as hashes."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher
from consentry.domain.tokens.service import revoke_family
from consentry.storage.tables import AuthorizationCode
from consentry.storage.tables.base import now


def save(session: Session, hasher: Hasher, code: str, **fields: object) -> AuthorizationCode:
    row = AuthorizationCode(code_hash=hasher.hash(code), **fields)
    session.add(row)
    return row


def find(session: Session, hasher: Hasher, code: str, client_pk: int) -> AuthorizationCode | None:
    """The code if the calling client may redeem it, used or not; read-only.

    Another client's code is simply unknown to the caller: nothing changes, so a stolen code
    presented by the wrong client can neither burn the code nor revoke what it issued (RFC 9700
    4.5). A used code is returned too: only once the redirect URI and PKCE checks have passed does
    :func:`consume` find it used and revoke what its first use issued (RFC 6749 4.1.2), so a used
    code picked from a log by someone without the verifier cannot revoke its owner's grant.
    """
    row = session.get(AuthorizationCode, hasher.hash(code))
    if row is None or row.client_pk != client_pk:
        return None
    if row.expires_at <= now():
        return None
    return row


def consume(session: Session, row: AuthorizationCode) -> bool:
    """Mark the code used, atomically; False (and what it issued revoked) when it was used before."""
    result = session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=now())
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    revoke_family(session, row.family)
    return False


def nonce_used(session: Session, client_pk: int, nonce: str) -> bool:
    return (
        session.scalar(
            select(AuthorizationCode.code_hash)
            .where(AuthorizationCode.client_pk == client_pk, AuthorizationCode.nonce == nonce)
            .limit(1)
        )
        is not None
    )
