"""The audit entry of a token revoked by the app that holds it, the same shape for every protocol.

An operator reading the audit trail asks which token went, through which protocol, and whether
more went with it: ``token`` (the row's id), ``protocol``, ``kind`` (what the app presented), and
``family`` only when the whole family ended with it (OAuth 2.0 revocation ends the grant chain;
AuthSub's ends that one token). A legacy token is recorded as an ``access_token``: it is the one
kind those protocols have, whatever they call it (an AuthSub session token).
"""

from __future__ import annotations

from typing import Any

from consentry.domain.audit.tags import AuditTag
from consentry.domain.tokens.store import AuditEntry


def revoked_entry(token_id: int, protocol: str, kind: str, family: str | None = None) -> AuditEntry:
    data: dict[str, Any] = {"token": token_id, "protocol": protocol, "kind": kind}
    if family is not None:
        data["family"] = family
    return AuditEntry(AuditTag.TOKEN_REVOKE, data)
