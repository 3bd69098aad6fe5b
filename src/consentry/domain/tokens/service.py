"""Token storage rules: only hashes are stored; families tie rotated and code-issued tokens together.

A family is everything descended from one authorization (a code, a device approval, a
client-credentials call). Replaying a used code or a rotated refresh token revokes the family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consentry.domain.secrets import Hasher
from consentry.domain.tokens.records import TokenRecord
from consentry.storage.tables import Token
from consentry.storage.tables.base import now


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str
    jti: str | None
    token_format: str


def token_values(
    hasher: Hasher,
    issued: IssuedToken,
    *,
    client_pk: int,
    user_id: int | None,
    grant_type: str,
    family: str,
    refresh_ttl: int,
) -> dict[str, Any]:
    """The row to store for an issued token: hashes only, never the token itself."""
    t = now()
    expires = t + issued.expires_in
    refresh_expires = t + refresh_ttl if issued.refresh_token else None
    return {
        "access_hash": hasher.token_key(issued.access_token),
        "refresh_hash": hasher.token_key(issued.refresh_token) if issued.refresh_token else None,
        "client_pk": client_pk,
        "user_id": user_id,
        "scope": issued.scope,
        "grant_type": grant_type,
        "token_format": issued.token_format,
        "jti": issued.jti,
        "issued_at": t,
        "expires_at": expires,
        "refresh_expires_at": refresh_expires,
        "rotated_at": None,
        "revoked_at": None,
        "family": family,
        "purge_after": max(expires, refresh_expires or 0),
    }


def is_access_active(row: Token | TokenRecord) -> bool:
    return row.revoked_at is None and row.expires_at > now()


def is_refresh_usable(row: Token | TokenRecord) -> bool:
    return (
        row.refresh_hash is not None
        and row.revoked_at is None
        and row.rotated_at is None
        and (row.refresh_expires_at or 0) > now()
    )
