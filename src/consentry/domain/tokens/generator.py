"""Mint access and refresh tokens: opaque random strings or RFC 9068 JWTs."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt

from consentry.domain.keys.manager import KeyManager
from consentry.domain.secrets import new_id, new_token
from consentry.domain.tokens.service import IssuedToken


def mint(
    *,
    keys: KeyManager,
    issuer: str,
    token_format: str,
    client_id: str,
    subject: str | None,
    scope: str,
    expires_in: int,
    with_refresh: bool,
    extra_claims: dict[str, Any] | None = None,
) -> IssuedToken:
    jti = new_id(16)
    if token_format == "jwt":
        t = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": subject or client_id,
            "aud": issuer,
            "client_id": client_id,
            "scope": scope,
            "iat": t,
            "exp": t + expires_in,
            "jti": jti,
        }
        claims.update(extra_claims or {})
        key = keys.signing_key("RS256")
        header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
        access = jwt.encode(header, claims, key, algorithms=["RS256"])
    else:
        access = new_token("cs2")
    refresh = new_token("cr2") if with_refresh else None
    return IssuedToken(access, refresh, expires_in, scope, jti, token_format)
