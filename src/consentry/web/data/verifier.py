"""The guard's TokenVerifier for Consentry's own data APIs: tokens are looked up in our database.

Adopters verify remotely (JWKS / introspection); the sample APIs run inside the issuer, so
they read the token through the token store, as every protocol endpoint does. That also makes
revocation of JWT access tokens immediate here, since JWTs are stored by hash like opaque tokens.
"""

from __future__ import annotations

from consentry.domain.secrets import Hasher
from consentry.domain.tokens.service import is_access_active
from consentry.domain.tokens.store import Lookup, TokenStore
from consentry.guard import Caller, InvalidToken


class LocalVerifier:
    def __init__(self, store: TokenStore, hasher: Hasher) -> None:
        self.store = store
        self.hasher = hasher

    async def verify(self, token: str) -> Caller:
        found = await self.store.lookup(
            Lookup(token_hash=self.hasher.token_key(token), token_kinds=("access_token",))
        )
        row = found.tokens.get("access_token")
        if row is None or not is_access_active(row):
            raise InvalidToken("the access token is invalid, expired or revoked")
        if row.owner_disabled or (row.user_id is not None and (row.user_disabled or row.user_sub is None)):
            raise InvalidToken("the access token's app or account is disabled")
        return Caller(
            subject=row.user_sub if row.user_sub else row.owner_client_id,
            client_id=row.owner_client_id,
            scopes=frozenset(row.scope.split()),
            expires_at=row.expires_at,
            token_kind=row.token_format,
            claims={"scope": row.scope, "exp": row.expires_at},
            extra={"user_id": row.user_id, "client_pk": row.client_pk, "project_id": row.owner_project_id},
        )
