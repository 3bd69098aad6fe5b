"""The issuer's signing keys, cached, refreshed on expiry and on an unknown ``kid`` (key rotation).

A refetch for an unknown kid is rate-limited: otherwise anyone could make every request cost a
round trip to the issuer by sending tokens with made-up kids.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, RSAKey

from consentry.guard.errors import InvalidToken, VerifierUnavailable

log = logging.getLogger("consentry.guard")
PublicKey = RSAKey | ECKey
Fetch = Callable[[], Awaitable[dict[str, Any]]]


def parse_jwks(data: dict[str, Any]) -> dict[str, PublicKey]:
    """Signing keys by kid; keys we cannot use (other types, encryption keys, no kid) are skipped."""
    keys: dict[str, PublicKey] = {}
    entries = data.get("keys")
    if not isinstance(entries, list):
        raise VerifierUnavailable("the issuer's JWKS has no key list")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("kty") not in ("RSA", "EC"):
            continue
        try:
            key = JWKRegistry.import_key(entry)
        except (JoseError, ValueError, TypeError):
            log.warning("consentry.guard: skipping an unreadable key %r in the issuer's JWKS", kid)
            continue
        if isinstance(key, RSAKey | ECKey) and not key.is_private:
            keys[kid] = key
    return keys


class JwksCache:
    """Fetches when empty or older than ``ttl``; refetches for an unknown kid at most once per
    ``refetch_interval``; after a failed fetch, waits that long before asking again."""

    def __init__(
        self, fetch: Fetch, *, ttl: float, refetch_interval: float, clock: Callable[[], float]
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._interval = refetch_interval
        self._clock = clock
        self._keys: dict[str, PublicKey] | None = None
        self._fetched_at = 0.0
        self._generation = 0
        self._stale = False
        self._last_refetch = float("-inf")
        self._last_failure = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> PublicKey:
        """The key for ``kid``; InvalidToken if the issuer does not have it, even after a refetch."""
        keys = self._keys
        if keys is None or self._clock() - self._fetched_at >= self._ttl:
            keys = await self._refresh(expired=True)
        elif kid not in keys:  # just after a fetch a refetch would say the same
            keys = await self._refresh(expired=False)
        if kid not in keys:
            if self._stale:
                # Our copy is old and the issuer is down: the key may well exist by now.
                raise VerifierUnavailable("the issuer cannot be reached to look up the token's key")
            raise InvalidToken("the token is signed with a key the issuer does not publish")
        return keys[kid]

    async def _refresh(self, *, expired: bool) -> dict[str, PublicKey]:
        generation = self._generation
        async with self._lock:
            current = self._keys
            if self._generation != generation and current is not None:
                return current  # another task refreshed while we waited
            now = self._clock()
            if now - self._last_failure < self._interval:
                if current is not None and expired:
                    self._stale = True
                    return current  # stale-if-error, see below
                raise VerifierUnavailable("the issuer's signing keys could not be fetched just now")
            if not expired and current is not None:
                if now - self._last_refetch < self._interval:
                    return current  # rate-limited: the kid stays unknown
                self._last_refetch = now
            try:
                keys = parse_jwks(await self._fetch())
            except VerifierUnavailable:
                self._last_failure = self._clock()
                if current is not None and expired:
                    # Stale-if-error: an issuer outage should not take every JWT-guarded API down.
                    log.warning("consentry.guard: JWKS refresh failed; using the cached keys")
                    self._stale = True
                    return current
                raise
            self._keys, self._fetched_at, self._stale = keys, self._clock(), False
            self._generation += 1
            return keys
