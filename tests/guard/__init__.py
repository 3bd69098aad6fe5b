"""Tests of consentry.guard, plus a fake issuer they share (metadata, JWKS, introspection)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from consentry.guard import Caller, InvalidToken, RemoteVerifier, VerifierUnavailable

ISSUER = "https://issuer.test"
RS_ID, RS_SECRET = "rs.apps.consentry", "s3cret/with+odd=chars"
READ, WRITE = f"{ISSUER}/auth/notes.readonly", f"{ISSUER}/auth/notes"

# Key generation is the slow part; one set for the whole run.
RSA_1 = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"}, private=True)
RSA_2 = RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig", "alg": "RS256"}, private=True)
EC_1 = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"}, private=True)


def b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Clock:
    """A hand-driven clock, so TTLs and rate limits are tested without sleeping."""

    def __init__(self, now: float | None = None) -> None:
        self.now = now if now is not None else time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeIssuer:
    """An issuer behind httpx.MockTransport that records every request it gets."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.published: list[RSAKey | ECKey] = [RSA_1, EC_1]
        self.introspection: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.down = False
        self.introspect_status = 200
        self.metadata_issuer = ISSUER

    # --- the transport ----------------------------------------------------------------
    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        if path == "/.well-known/oauth-authorization-server":
            return httpx.Response(
                200,
                json={
                    "issuer": self.metadata_issuer,
                    "jwks_uri": f"{ISSUER}/jwks",
                    "introspection_endpoint": f"{ISSUER}/introspect",
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json={"keys": [k.as_dict(private=False) for k in self.published]})
        if path == "/introspect" and request.method == "POST":
            if self.introspect_status != 200:
                return httpx.Response(self.introspect_status, json={"error": "invalid_client"})
            if request.headers.get("authorization") != self.expected_basic():
                return httpx.Response(401, json={"error": "invalid_client"})
            form = dict(parse_qsl(request.content.decode()))
            return httpx.Response(200, json=self.introspection.get(form.get("token", ""), {"active": False}))
        return httpx.Response(404)

    @staticmethod
    def expected_basic() -> str:
        # RFC 6749 §2.3.1: form-urlencode each half, then Basic.
        raw = f"{quote(RS_ID, safe='')}:{quote(RS_SECRET, safe='')}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.url.path == path)

    def verifier(self, **kw: Any) -> RemoteVerifier:
        kw.setdefault("client_id", RS_ID)
        kw.setdefault("client_secret", RS_SECRET)
        return RemoteVerifier(ISSUER, http=self.http(), clock=self.clock, **kw)

    # --- tokens -----------------------------------------------------------------------
    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": "user-123",
            "aud": ISSUER,
            "client_id": "app.apps.consentry",
            "scope": f"openid {READ}",
            "iat": now,
            "exp": now + 3600,
            "jti": "j1",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        key: RSAKey | ECKey = RSA_1,
        header: Mapping[str, Any] | None = None,
    ) -> str:
        alg = "ES256" if isinstance(key, ECKey) else "RS256"
        h = {"alg": alg, "typ": "at+jwt", "kid": key.kid, **(header or {})}
        h = {k: v for k, v in h.items() if v is not None}
        return jwt.encode(h, dict(claims or self.claims()), key, algorithms=[h["alg"]])

    def opaque(self, token: str, **response: Any) -> str:
        now = int(self.clock())
        body = {
            "active": True,
            "scope": READ,
            "client_id": "app.apps.consentry",
            "sub": "user-123",
            "token_type": "Bearer",
            "exp": now + 3600,
            "iat": now,
            "iss": ISSUER,
            **response,
        }
        self.introspection[token] = {k: v for k, v in body.items() if v is not None}
        return token


class StaticVerifier:
    """A TokenVerifier over a dict, for tests about the HTTP layer rather than verification."""

    def __init__(self, callers: Mapping[str, Caller], unavailable: bool = False) -> None:
        self.callers = dict(callers)
        self.unavailable = unavailable
        self.seen: list[str] = []

    async def verify(self, token: str) -> Caller:
        self.seen.append(token)
        if self.unavailable:
            raise VerifierUnavailable("the issuer cannot be reached")
        if token not in self.callers:
            raise InvalidToken("the token is not active")
        return self.callers[token]


def caller(*scopes: str, subject: str | None = "user-123", client_id: str = "app") -> Caller:
    return Caller(subject, client_id, frozenset(scopes), None, "opaque", {"active": True})
