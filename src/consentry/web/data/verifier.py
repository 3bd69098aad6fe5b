"""The guard's TokenVerifier for Consentry's own data APIs: tokens are looked up in our database.

Adopters verify remotely (JWKS / introspection); the sample APIs run inside the issuer, so
they read the token row directly. That also makes revocation of JWT access tokens immediate
here, since JWTs are stored by hash like opaque tokens.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from consentry.domain.tokens.service import by_access, is_access_active
from consentry.guard import Caller, InvalidToken
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.storage.tables import Client, User


class LocalVerifier:
    def __init__(self, ctx: ProtocolContext) -> None:
        self.ctx = ctx

    async def verify(self, token: str) -> Caller:
        return await run_in_threadpool(self._verify, token)

    def _verify(self, token: str) -> Caller:
        with self.ctx.db.unit_of_work() as db:
            row = by_access(db, self.ctx.hasher, token)
            if row is None or not is_access_active(row):
                raise InvalidToken("the access token is invalid, expired or revoked")
            client = db.get(Client, row.client_pk)
            user = db.get(User, row.user_id) if row.user_id is not None else None
            if client is None or client.disabled or (user is not None and user.disabled):
                raise InvalidToken("the access token's app or account is disabled")
            return Caller(
                subject=user.sub if user else client.client_id,
                client_id=client.client_id,
                scopes=frozenset(row.scope.split()),
                expires_at=row.expires_at,
                token_kind=row.token_format,
                claims={"scope": row.scope, "exp": row.expires_at},
                extra={
                    "user_id": user.id if user else None,
                    "client_pk": client.id,
                    "project_id": client.project_id,
                },
            )
