"""Who is calling: the verified facts about a bearer token, whatever kind it was."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Caller:
    """The result of a successful verification; routes read it instead of raw claims.

    ``subject`` is the user's ``sub``; for client-credentials tokens Consentry sets it to the
    client_id, and it is kept so that every caller has a subject to log. ``claims`` holds the
    raw JWT claims or introspection response; ``extra`` is for in-process verifiers' own data.
    """

    subject: str | None
    client_id: str
    scopes: frozenset[str]
    expires_at: int | None
    token_kind: str
    # Left out of repr (claims can hold personal data bound for logs) and of eq/hash (unhashable).
    claims: Mapping[str, Any] = field(repr=False, compare=False)
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)

    def has(self, scope: str) -> bool:
        """Exact match only: scope URIs are opaque strings (RFC 6749 §3.3), never prefixes."""
        return scope in self.scopes
