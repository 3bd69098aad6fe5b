"""Revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint as _Revocation
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Introspection

from consentry.domain.tokens.revoked import revoked_entry
from consentry.domain.tokens.store import TOKEN_KINDS
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.models import ClientModel, TokenModel


def lookup_order(hint: str | None) -> tuple[str, ...]:
    return ("refresh_token", "access_token") if hint == "refresh_token" else TOKEN_KINDS


def find_token(hint: str | None) -> TokenModel | None:
    """The presented token, as prefetched under each kind (the adapter looked up both)."""
    found = exchange.current().found.tokens
    for kind in lookup_order(hint):
        row = found.get(kind)
        if row is not None:
            return TokenModel(row, kind)
    return None


class RevocationEndpoint(_Revocation):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenModel | None:
        return find_token(token_type_hint)

    def revoke_token(self, token: TokenModel, request: Any) -> None:
        # Revoking either half ends the grant chain: access, refresh and their rotations.
        changes = exchange.current().changes
        changes.revoke_families.append(token.row.family)
        changes.audit.append(revoked_entry(token.row.id, "oauth2", token.kind, family=token.row.family))


class IntrospectionEndpoint(_Introspection):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenModel | None:
        return find_token(token_type_hint)

    def check_permission(self, token: TokenModel, client: ClientModel, request: Any) -> bool:
        """A client sees its own tokens, its project's, or all if it is a registered resource server."""
        row = token.row
        return bool(client.row.can_introspect) or row.owner_project_id == client.row.project_id

    def create_introspection_payload(self, token: TokenModel | None) -> dict[str, Any]:
        if token is None or not token.is_active():
            return {"active": False}
        row = token.row
        if row.owner_disabled or (row.user_id is not None and (row.user_disabled or row.user_sub is None)):
            return {"active": False}  # a disabled app's or account's tokens are dead everywhere
        return self.introspect_token(token)

    def introspect_token(self, token: TokenModel) -> dict[str, Any]:
        row = token.row
        access = token.kind == "access_token"
        payload: dict[str, Any] = {
            "active": True,
            "scope": row.scope,
            "client_id": row.owner_client_id,
            "token_type": "Bearer" if access else "refresh_token",
            "exp": row.expires_at if access else row.refresh_expires_at,
            "iat": row.issued_at,
            "iss": self.server.ctx.issuer,
        }
        if row.user_id:
            if row.user_sub:
                payload.update(sub=row.user_sub, username=row.user_email)
        else:
            payload["sub"] = row.owner_client_id
        return payload
