"""OpenID + OAuth hybrid (AUTH1-14), mapped onto OpenID Connect.

The reference platform let a sign-in request also carry an OAuth request token. Here the same
thing is one OAuth 1.0a request whose ``scope`` includes ``openid`` (and ``email`` / ``profile``
if wanted): the approval page is then also the sign-in, and GetAccessToken answers, next to the
access token, ``xoauth_id_token``: an OpenID Connect ID token for the user who approved, with
``aud`` the consumer key, signed with the keys published at /jwks like every other ID token.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt

from consentry.domain.keys.manager import KeyManager
from consentry.domain.tokens.records import UserRecord
from consentry.protocol.oidc.id_token import user_claims

SIGN_IN = "openid"


def wanted(scopes: tuple[str, ...] | list[str]) -> bool:
    return SIGN_IN in scopes


def id_token(
    keys: KeyManager,
    *,
    issuer: str,
    consumer_key: str,
    alg: str,
    user: UserRecord,
    scope: str,
    ttl: int,
    at: int,
) -> str:
    key = keys.signing_key(alg)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": consumer_key,
        "azp": consumer_key,
        "iat": at,
        "exp": at + ttl,
    }
    claims.update(dict(user_claims(user, scope)))
    header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[alg])
