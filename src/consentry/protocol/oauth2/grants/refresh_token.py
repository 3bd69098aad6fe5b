"""Refresh with rotation; a rotated token presented again revokes its whole family (RFC 9700 4.14.2)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from sqlalchemy import update

from consentry.domain.accounts.service import get_user
from consentry.domain.audit import record
from consentry.domain.tokens.service import by_refresh, revoke_family
from consentry.protocol.oauth2.grants.authorization_code import AUTH_METHODS
from consentry.protocol.oauth2.models import TokenModel
from consentry.storage.db import current_session
from consentry.storage.tables import Token
from consentry.storage.tables.base import now


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenModel | None:
        session = current_session()
        row = by_refresh(session, self.server.ctx.hasher, refresh_token)
        if row is None or row.revoked_at is not None:
            return None
        if (row.refresh_expires_at or 0) <= now():
            return None
        # Check the scope before consuming the token: a refused request must not burn it,
        # or the client's next honest refresh would look like reuse and revoke the grant.
        requested = set((self.request.payload.scope or "").split())
        if not requested <= set(row.scope.split()):
            raise InvalidScopeError()
        claimed = session.execute(
            update(Token).where(Token.id == row.id, Token.rotated_at.is_(None)).values(rotated_at=now())
        ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            revoked = revoke_family(session, row.family)
            record(session, "oauth:refresh_token:reuse", data={"family": row.family, "revoked": revoked})
            return None
        self.request.consentry["family"] = row.family
        return TokenModel(row, "refresh_token")

    def authenticate_user(self, refresh_token: TokenModel) -> Any:
        user = get_user(current_session(), refresh_token.row.user_id) if refresh_token.row.user_id else None
        return None if user is None or user.disabled else user

    def revoke_old_credential(self, refresh_token: TokenModel) -> None:
        # Rotation already marked the old row; its access token stays valid until it expires.
        return None
