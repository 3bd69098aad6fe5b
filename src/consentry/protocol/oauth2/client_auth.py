"""private_key_jwt client authentication (RFC 7523 section 2.2)."""

from __future__ import annotations

from typing import Any, cast

from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.jwk import KeySet

from consentry.domain.tokens.store import AssertionClaim
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.models import ClientModel
from consentry.storage.tables.base import now


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, ctx: Any) -> None:
        super().__init__(validate_jti=True, leeway=60)
        self.ctx = ctx

    def get_audiences(self) -> list[str]:
        return [self.ctx.endpoint("/token"), self.ctx.issuer]

    def resolve_client_public_key(self, client: ClientModel) -> KeySet:
        return KeySet.import_key_set(cast(Any, client.row.jwks or {"keys": []}))

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        """Each assertion is accepted once: the commit records the jti until the assertion expires,
        and refuses the request if it was recorded before (``Outcome.ASSERTION_REPLAYED``)."""
        jti_hash = self.ctx.hasher.hash(f"{claims.get('iss')}:{jti}")
        expires_at = int(claims.get("exp", now() + 3600))
        exchange.current().changes.claim_assertion = AssertionClaim(jti_hash, expires_at)
        return True
