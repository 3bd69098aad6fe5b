"""ID tokens for the code flow (AUTH2-2), RS256 or ES256 per client."""

from __future__ import annotations

import time
from typing import Any

from authlib.oidc.core import OpenIDCode, UserInfo

from consentry.domain.tokens.records import UserRecord
from consentry.protocol.oauth2 import exchange


def user_claims(user: UserRecord, scope: str) -> UserInfo:
    """Standard claims filtered by scope; ``hd`` names the user's organization (AUTH0-5)."""
    info = UserInfo(
        sub=user.sub,
        name=user.name,
        email=user.email,
        email_verified=True,
    ).filter(scope)
    info["sub"] = user.sub
    if user.hosted_domain:
        info["hd"] = user.hosted_domain
    return info


class ConsentryOpenIDCode(OpenIDCode):
    def __init__(self, ctx: Any) -> None:
        super().__init__(require_nonce=False)
        self.ctx = ctx

    def _key(self, client: Any) -> Any:
        """The request's signing key, the same for the header and the signature (Exchange)."""
        now = exchange.current()
        if now.id_token_key is None:
            now.id_token_key = self.ctx.keys.signing_key(client.row.id_token_alg)
        return now.id_token_key

    def resolve_client_private_key(self, client: Any) -> Any:
        return self._key(client)

    def get_client_algorithm(self, client: Any) -> str:
        return str(client.row.id_token_alg)

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": client.row.id_token_alg, "kid": self._key(client).kid, "typ": "JWT"}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        return {
            "iss": self.ctx.issuer,
            "aud": client.get_client_id(),
            "azp": client.get_client_id(),
            "exp": int(time.time()) + self.ctx.settings.id_token_ttl,
        }

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return exchange.current().found.nonce_used

    def generate_user_info(self, user: UserRecord, scope: str) -> UserInfo:
        return user_claims(user, scope)
