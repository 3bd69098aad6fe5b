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


def claim(session: Session, hasher: Hasher, code: str, client_pk: int) -> AuthorizationCode | None:
    """Consume a code atomically; a second use revokes what the first one issued (RFC 6749 4.1.2)."""
    code_hash = hasher.hash(code)
    t = now()
    result = session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=t)
    )
    row = session.get(AuthorizationCode, code_hash)
    if row is None:
        return None
    if not result.rowcount:  # type: ignore[attr-defined]
        revoke_family(session, row.family)
        return None
    if row.client_pk != client_pk or row.expires_at <= t:
        return None
    return row


def nonce_used(session: Session, client_pk: int, nonce: str) -> bool:
    return (
        session.scalar(
            select(AuthorizationCode.code_hash)
            .where(AuthorizationCode.client_pk == client_pk, AuthorizationCode.nonce == nonce)
            .limit(1)
        )
        is not None
    )
