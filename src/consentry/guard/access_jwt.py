"""Local verification of RFC 9068 JWT access tokens against the issuer's published keys."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable
from types import MappingProxyType
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from consentry.guard.caller import Caller
from consentry.guard.errors import InvalidToken
from consentry.guard.jwks import PublicKey

#: Asymmetric only: HS256 would let anyone holding the "key" (our public key!) forge tokens.
ALGORITHMS = frozenset({"RS256", "ES256"})
#: RFC 9068 §4: both spellings of the media type are acceptable.
TYPES = frozenset({"at+jwt", "application/at+jwt"})
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments. An empty signature still counts, so ``alg: none`` is refused here."""
    return _JWS.fullmatch(token) is not None


def _b64json(segment: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidToken("the token is not a well-formed JWT") from None


def read_header(token: str) -> dict[str, Any]:
    header = _b64json(token.split(".", 1)[0])
    if not isinstance(header, dict):
        raise InvalidToken("the token is not a well-formed JWT")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in TYPES:
        # Stops an ID token (or any other JWT the issuer signs) from being used as an access token.
        raise InvalidToken("the token is not an access token (typ must be at+jwt)")
    if header.get("alg") not in ALGORITHMS:
        raise InvalidToken("the token's signature algorithm is not accepted")
    if "crit" in header:
        raise InvalidToken("the token uses critical header parameters this server does not understand")
    if not isinstance(header.get("kid"), str):
        raise InvalidToken("the token header has no kid")
    return header


def check_claims(
    claims: dict[str, Any], *, issuer: str, audience: str | None, now: float, leeway: float
) -> None:
    if claims.get("iss") != issuer:
        raise InvalidToken("the token was issued by another issuer")
    exp = claims.get("exp")
    if exp is None or not _number(exp):
        raise InvalidToken("the token has no expiry")
    if now - leeway >= exp:
        raise InvalidToken("the token has expired")
    nbf = claims.get("nbf")
    if nbf is not None and (not _number(nbf) or nbf > now + leeway):
        raise InvalidToken("the token is not valid yet")
    iat = claims.get("iat")
    if iat is not None and (not _number(iat) or iat > now + leeway):
        raise InvalidToken("the token was issued in the future")
    if audience is not None:
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if audience not in auds:
            raise InvalidToken("the token is not meant for this API (aud)")
    for name in ("client_id", "scope", "sub"):
        if not isinstance(claims.get(name), str):
            raise InvalidToken(f"the token lacks the {name} claim")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def verify_jwt(
    token: str,
    key_for: Callable[[str], Awaitable[PublicKey]],
    *,
    issuer: str,
    audience: str | None,
    now: float,
    leeway: float,
) -> Caller:
    header = read_header(token)
    alg: str = header["alg"]
    key = await key_for(header["kid"])
    try:
        decoded = jwt.decode(token, key, algorithms=[alg])
    except (JoseError, ValueError, TypeError):
        # Wrong signature, or a key whose type does not fit the algorithm.
        raise InvalidToken("the token's signature is invalid") from None
    claims = decoded.claims
    check_claims(claims, issuer=issuer, audience=audience, now=now, leeway=leeway)
    return Caller(
        subject=claims["sub"],
        client_id=claims["client_id"],
        scopes=frozenset(claims["scope"].split()),
        expires_at=int(claims["exp"]),
        token_kind="jwt",
        claims=MappingProxyType(claims),
    )
