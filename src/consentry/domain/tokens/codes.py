"""Authorization codes: single-use, short-lived, stored as hashes.

Codes are written and claimed through the token store (``domain/tokens/store.py``): the row
is built here, the claim (used once, atomically) is decided by the store's commit.
"""

from __future__ import annotations

from typing import Any

from consentry.domain.secrets import Hasher
from consentry.domain.tokens.records import CodeRecord
from consentry.storage.tables.base import now


def row(hasher: Hasher, code: str, **fields: Any) -> dict[str, Any]:
    """The row to store for a new code: its hash, never the code."""
    return {
        "code_hash": hasher.hash(code),
        "used_at": None,
        "created_at": now(),
        "grant_lapses_at": None,
        "amr": None,
        **fields,
    }


def redeemable(found: CodeRecord | None, code_hash: str, client_pk: int) -> CodeRecord | None:
    """The code if the calling client may redeem it, used or not.

    Another client's code is simply unknown to the caller: nothing changes, so a stolen code
    presented by the wrong client can neither burn the code nor revoke what it issued (RFC 9700
    4.5). A used code is returned too: only once the redirect URI and PKCE checks have passed does
    the claim find it used and revoke what its first use issued (RFC 6749 4.1.2), so a used code
    picked from a log by someone without the verifier cannot revoke its owner's grant.
    """
    if found is None or found.code_hash != code_hash or found.client_pk != client_pk:
        return None
    if found.expires_at <= now():
        return None
    return found
