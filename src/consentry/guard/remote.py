"""RemoteVerifier: verify Consentry tokens from another process, knowing only the issuer URL."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from consentry.guard.access_jwt import looks_like_jwt, verify_jwt
from consentry.guard.caller import Caller
from consentry.guard.errors import InvalidToken, VerifierUnavailable
from consentry.guard.introspection import (
    IntrospectionCache,
    basic_auth,
    caller_from_introspection,
    introspect,
)
from consentry.guard.issuer import IssuerMetadata, get_json
from consentry.guard.jwks import JwksCache, PublicKey


class RemoteVerifier:
    """JWTs are checked locally against the issuer's JWKS; opaque tokens are introspected.

    Everything is fetched lazily, so constructing one at import time makes no network call.
    ``client_id``/``client_secret`` are the resource server's own credentials (a service client
    created with ``--can-introspect``); without them only JWT access tokens can be accepted.
    """

    def __init__(
        self,
        issuer: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        audience: str | None = None,
        jwks_ttl: float = 300,
        introspection_cache_seconds: float = 0,
        http: httpx.AsyncClient | None = None,
        leeway: float = 30,
        jwks_refetch_interval: float = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(5.0), follow_redirects=False)
        self._auth = basic_auth(client_id, client_secret) if client_id and client_secret else None
        self._clock = clock
        self._metadata = IssuerMetadata(issuer, self._http)
        self._jwks = JwksCache(
            self._fetch_jwks, ttl=jwks_ttl, refetch_interval=jwks_refetch_interval, clock=clock
        )
        self._cache = IntrospectionCache(introspection_cache_seconds, clock)

    async def verify(self, token: str) -> Caller:
        if looks_like_jwt(token):
            return await verify_jwt(
                token,
                self._key,
                issuer=self.issuer,
                audience=self.audience,
                now=self._clock(),
                leeway=self.leeway,
            )
        return await self._introspect(token)

    async def _key(self, kid: str) -> PublicKey:
        return await self._jwks.key(kid)

    async def _fetch_jwks(self) -> dict[str, Any]:
        uri = (await self._metadata.endpoints()).jwks_uri
        if uri is None:
            raise VerifierUnavailable("the issuer's metadata has no jwks_uri")
        return await get_json(self._http, uri, "JWKS")

    async def _introspect(self, token: str) -> Caller:
        if self._auth is None:
            raise InvalidToken(
                "opaque tokens need introspection, and this API has no client credentials for it"
            )
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        endpoint = (await self._metadata.endpoints()).introspection_endpoint
        if endpoint is None:
            raise VerifierUnavailable("the issuer's metadata has no introspection_endpoint")
        data = await introspect(self._http, endpoint, token, self._auth)
        caller = caller_from_introspection(
            data, issuer=self.issuer, audience=self.audience, now=self._clock(), leeway=self.leeway
        )
        self._cache.put(token, caller)
        return caller

    async def aclose(self) -> None:
        """Close the HTTP client if this verifier created it (an injected one is the caller's)."""
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> RemoteVerifier:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
