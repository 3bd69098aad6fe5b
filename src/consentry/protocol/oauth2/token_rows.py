"""Find and claim token rows: from the lane's prefetch when deferred, else in the unit of work.

Both paths return rows of the same shape (``storage.repositories.token_batches.TOKEN_COLUMNS``:
the token's columns plus its owner client and user), so grants and endpoints have one code path.
"""

from __future__ import annotations

from typing import Any

from consentry.domain.secrets import Hasher
from consentry.protocol.oauth2 import deferred
from consentry.storage.db import current_session
from consentry.storage.repositories.token_batches import claim_refresh, tokens_by_hash
from consentry.storage.tables.base import now

KINDS = ("access_token", "refresh_token")


def lookup_order(hint: str | None) -> tuple[str, ...]:
    return ("refresh_token", "access_token") if hint == "refresh_token" else KINDS


def find_row(hasher: Hasher, kind: str, token: str) -> Any:
    pending = deferred.current()
    if pending is not None:
        return pending.tokens.get(kind)
    digest = hasher.token_key(token)
    return tokens_by_hash(current_session().connection(), kind, [digest]).get(digest)


def claim(row: Any) -> bool:
    """Rotate a refresh token once; False means it was used before (reuse).

    The one write a refresh makes to the presented token: call it only once every check of the
    request (client, scope, user) has passed, so a refused request leaves the token as it was.
    """
    pending = deferred.current()
    if pending is not None:
        # The lane's commit decides; a lost race there is reported as reuse.
        pending.claim = row
        return True
    return row.id in claim_refresh(current_session().connection(), [row.id], now())
