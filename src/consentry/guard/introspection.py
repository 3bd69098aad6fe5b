"""Opaque tokens: ask the issuer (RFC 7662), optionally remembering active answers for a while."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import httpx

from consentry.guard.caller import Caller
from consentry.guard.errors import InvalidToken, VerifierUnavailable
from consentry.guard.issuer import json_object

#: RFC 7662 token_type values we accept as an access token; Consentry says "refresh_token" otherwise.
ACCESS_TYPES = frozenset({"bearer", "access_token"})


def basic_auth(client_id: str, client_secret: str) -> httpx.BasicAuth:
    """RFC 6749 §2.3.1: both halves are form-urlencoded before Basic encoding; servers decode them."""
    return httpx.BasicAuth(quote(client_id, safe=""), quote(client_secret, safe=""))


def token_key(token: str) -> str:
    """Cache key: a hash, so a memory dump of the cache yields no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


class IntrospectionCache:
    """Positive answers only, each kept until min(now + ttl, the token's exp); bounded in size."""

    def __init__(self, ttl: float, clock: Callable[[], float], max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, Caller]] = OrderedDict()

    def get(self, token: str) -> Caller | None:
        key = token_key(token)
        hit = self._entries.get(key)
        if hit is None:
            return None
        if hit[0] <= self._clock():
            del self._entries[key]
            return None
        return hit[1]

    def put(self, token: str, caller: Caller) -> None:
        if self.ttl <= 0:
            return
        until = self._clock() + self.ttl
        if caller.expires_at is not None:
            until = min(until, caller.expires_at)
        if until <= self._clock():
            return
        self._entries[token_key(token)] = (until, caller)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def keys(self) -> list[str]:
        """The stored keys (token hashes), for diagnostics and tests."""
        return list(self._entries)


def caller_from_introspection(
    data: dict[str, Any], *, issuer: str, audience: str | None, now: float, leeway: float
) -> Caller:
    if data.get("active") is not True:
        raise InvalidToken("the token is not active (expired, revoked or unknown)")
    token_type = data.get("token_type")
    if isinstance(token_type, str) and token_type.lower() not in ACCESS_TYPES:
        raise InvalidToken("the token is not an access token")
    exp = data.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or now - leeway >= exp):
        raise InvalidToken("the token has expired")
    if "iss" in data and data["iss"] != issuer:
        raise InvalidToken("the token was issued by another issuer")
    if audience is not None and "aud" in data:
        aud = data["aud"]
        if audience not in ([aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []):
            raise InvalidToken("the token is not meant for this API (aud)")
    client_id = data.get("client_id")
    if not isinstance(client_id, str):
        raise InvalidToken("the issuer did not say which client the token belongs to")
    sub = data.get("sub")
    scope = data.get("scope")
    return Caller(
        subject=sub if isinstance(sub, str) else None,
        client_id=client_id,
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        expires_at=int(exp) if exp is not None else None,
        token_kind="opaque",
        claims=MappingProxyType(dict(data)),
    )


async def introspect(
    http: httpx.AsyncClient, endpoint: str, token: str, auth: httpx.BasicAuth
) -> dict[str, Any]:
    try:
        response = await http.post(
            endpoint,
            data={"token": token, "token_type_hint": "access_token"},
            auth=auth,
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise VerifierUnavailable(
            f"cannot reach the issuer's introspection endpoint: {type(exc).__name__}"
        ) from exc
    if response.status_code in (400, 401, 403):
        # Our own credentials were refused: a configuration fault, not the caller's token.
        raise VerifierUnavailable("the issuer refused this API's introspection credentials")
    return json_object(response, "introspection response")
