"""Refresh with rotation; a rotated token presented again revokes its whole family (RFC 9700 4.14.2)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from consentry.domain.tokens.reuse import report_reuse
from consentry.protocol.oauth2.grants.authorization_code import AUTH_METHODS
from consentry.protocol.oauth2.models import TokenModel, TokenUser
from consentry.protocol.oauth2.token_rows import claim, find_row
from consentry.storage.db import current_session
from consentry.storage.tables.base import now


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenModel | None:
        row = find_row(self.server.ctx.hasher, "refresh_token", refresh_token)
        if row is None or row.revoked_at is not None:
            return None
        if (row.refresh_expires_at or 0) <= now():
            return None
        # Check the scope before consuming the token: a refused request must not burn it,
        # or the client's next honest refresh would look like reuse and revoke the grant.
        requested = set((self.request.payload.scope or "").split())
        if not requested <= set(row.scope.split()):
            raise InvalidScopeError()
        if not claim(row):
            report_reuse(current_session(), row.family)
            return None
        self.request.consentry["family"] = row.family
        return TokenModel(row, "refresh_token")

    def authenticate_user(self, refresh_token: TokenModel) -> Any:
        row = refresh_token.row
        if row.user_id is None or row.user_sub is None or row.user_disabled:
            return None
        return TokenUser(id=row.user_id, sub=row.user_sub)

    def revoke_old_credential(self, refresh_token: TokenModel) -> None:
        # Rotation already marked the old row; its access token stays valid until it expires.
        return None
