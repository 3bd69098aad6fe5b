"""The one interface a guard needs; RemoteVerifier implements it, so can an in-process verifier."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from consentry.guard.caller import Caller


@runtime_checkable
class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Caller:
        """Return the caller, or raise InvalidToken (bad, expired, revoked) or VerifierUnavailable."""
        ...
