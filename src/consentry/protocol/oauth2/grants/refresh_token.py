"""Refresh with rotation; a rotated token presented again revokes its whole family (RFC 9700 4.14.2).

Order matters. Authlib's ``validate_token_request`` looks the token up
(``authenticate_refresh_token``), then checks it belongs to the calling client, then the scope;
``create_token_response`` then checks the user and calls ``save_token``. The token is consumed
(claimed, or a lost claim reported as reuse) only in ``save_token``, after every check passed:
a request refused for any reason - another client's token, a wider scope, a disabled user -
changes nothing, so it can neither burn the victim's token nor revoke its grant as "reuse".
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants

from consentry.domain.tokens.store import RefreshClaim
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.grants.authorization_code import AUTH_METHODS
from consentry.protocol.oauth2.models import TokenModel
from consentry.storage.tables.base import now


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenModel | None:
        """The prefetched token, read-only: Authlib has not checked the client yet."""
        row = exchange.current().found.tokens.get("refresh_token")
        if row is None or row.revoked_at is not None:
            return None
        if (row.refresh_expires_at or 0) <= now():
            return None
        return TokenModel(row, "refresh_token")

    def authenticate_user(self, refresh_token: TokenModel) -> Any:
        row = refresh_token.row
        if row.user_id is None or row.user_sub is None or row.user_disabled:
            return None
        return _Holder(row.user_id, row.user_sub)

    def save_token(self, token: dict[str, Any]) -> Any:
        """Claim the presented token with its successor: the commit decides. A lost claim means the
        token was rotated before (or by a concurrent request): reuse by the token's own client (the
        client check has passed), so the store revokes the family."""
        row = self.request.refresh_token.row
        exchange.current().changes.claim_refresh = RefreshClaim(row.id, row.family)
        self.request.consentry["family"] = row.family
        lifetime = (row.refresh_expires_at or 0) - row.issued_at
        settings = self.server.ctx.settings
        if lifetime <= settings.testing_refresh_token_ttl < settings.refresh_token_ttl:
            # Issued under a grant that lapses (Testing): the successor never outlives it, even
            # after the app is published.
            self.request.consentry["not_after"] = row.refresh_expires_at
        return super().save_token(token)

    def revoke_old_credential(self, refresh_token: TokenModel) -> None:
        # Rotation already marked the old row; its access token stays valid until it expires.
        return None


class _Holder:
    """The user a refresh token was issued to, as far as minting needs (read with the token row)."""

    __slots__ = ("id", "sub")

    def __init__(self, user_id: int, sub: str) -> None:
        self.id = user_id
        self.sub = sub
