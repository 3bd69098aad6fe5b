"""The Security Event Token (RFC 8417): its claims, and its signature with the platform's key.

Claims are built once, when the event is queued, and kept: every delivery attempt signs the same
claims (same ``jti`` and ``iat``, so a receiver recognises a redelivery) with whatever key is
current then, so a key rotation between attempts never leaves an event signed by a key the app's
cached /jwks no longer lists.

The user is named three ways, so receivers written for either profile find it: ``sub`` at the top
(as the reference platform's RISC tokens do), ``sub_id`` (OpenID Shared Signals 1.0) and the
event's own ``subject`` (OpenID RISC 1.0, ``subject_type: iss-sub``). There is no ``exp``: a SET
is a statement that something happened, not a credential, and its lack (with the ``typ`` header)
is what keeps a SET from passing as an ID token (RFC 8417 §4).
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

#: The JOSE ``typ`` of a SET (RFC 8417 §2.3).
TYP = "secevent+jwt"
#: Signed like the default ID token: every OIDC library verifies RS256.
ALG = "RS256"


def subject(issuer: str, sub: str) -> dict[str, str]:
    """The RISC subject: the user as the issuer names them in ID tokens."""
    return {"subject_type": "iss-sub", "iss": issuer, "sub": sub}


def build_claims(
    *,
    issuer: str,
    jti: str,
    iat: int,
    audience: list[str],
    event_type: str,
    sub: str | None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The SET's claims: ``iss``, ``aud``, ``iat``, ``jti``, the subject, and one event.

    ``audience`` is the project's client ids (the ``aud`` of the ID tokens the app receives), a
    single one written as a string; ``sub`` is None only for an event about no user (a stream
    verification).
    """
    if not audience:
        raise ValueError("a SET needs an audience")
    body: dict[str, Any] = dict(payload or {})
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience[0] if len(audience) == 1 else list(audience),
        "iat": iat,
        "jti": jti,
    }
    if sub is not None:
        body = {"subject": subject(issuer, sub), **body}
        claims["sub"] = sub
        claims["sub_id"] = {"format": "iss_sub", "iss": issuer, "sub": sub}
    claims["events"] = {event_type: body}
    return claims


def sign(claims: dict[str, Any], key: RSAKey | ECKey) -> str:
    """The compact JWS of ``claims`` with header ``{alg, kid, typ: secevent+jwt}``."""
    alg = ALG if isinstance(key, RSAKey) else "ES256"
    header = {"alg": alg, "kid": key.kid, "typ": TYP}
    return jwt.encode(header, claims, key, algorithms=[alg])
