"""What /tokeninfo accepts as an ID token: one of ours, checked as an ID token and nothing else.

Our signing keys also sign JWT access tokens (RFC 9068, header ``typ: at+jwt``, ``aud`` = the
issuer). A signature check alone would let such a token, even revoked, pass as an ID token and
answer 200 with its claims; the ``typ`` and the audience tell the two apart.
"""

from __future__ import annotations

from typing import Any, cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ID_TOKEN_ALGS = ["RS256", "ES256"]


def id_token_claims(token: str, jwks: dict[str, Any], issuer: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired ID token we issued; ``None`` for anything else."""
    try:
        decoded = jwt.decode(token, KeySet.import_key_set(cast(Any, jwks)), algorithms=ID_TOKEN_ALGS)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError):
        return None
    if str(decoded.header.get("typ", "")).upper() != "JWT":
        return None  # at+jwt (an access token) or untyped: not an ID token
    aud = decoded.claims["aud"]
    audiences = aud if isinstance(aud, list) else [aud]
    if not audiences or issuer in audiences:
        return None  # an ID token is addressed to a client, never to the issuer itself
    return dict(decoded.claims)
