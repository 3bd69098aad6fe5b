"""Revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint as _Revocation
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Introspection

from consentry.domain.audit import record
from consentry.domain.tokens.service import by_access, by_refresh, revoke_family
from consentry.protocol.oauth2.models import ClientModel, TokenModel
from consentry.storage.db import current_session
from consentry.storage.tables import Client, User


def find_token(hasher: Any, token: str, hint: str | None) -> TokenModel | None:
    session = current_session()
    order = (
        ["refresh_token", "access_token"] if hint == "refresh_token" else ["access_token", "refresh_token"]
    )
    for kind in order:
        row = (by_access if kind == "access_token" else by_refresh)(session, hasher, token)
        if row is not None:
            return TokenModel(row, kind)
    return None


class RevocationEndpoint(_Revocation):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenModel | None:
        return find_token(self.server.ctx.hasher, token_string, token_type_hint)

    def revoke_token(self, token: TokenModel, request: Any) -> None:
        # Revoking either half ends the grant chain: access, refresh and their rotations.
        session = current_session()
        revoke_family(session, token.row.family)
        record(session, "oauth:token:revoke", data={"family": token.row.family, "kind": token.kind})


class IntrospectionEndpoint(_Introspection):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenModel | None:
        return find_token(self.server.ctx.hasher, token_string, token_type_hint)

    def check_permission(self, token: TokenModel, client: ClientModel, request: Any) -> bool:
        """A client sees its own tokens, its project's, or all if it is a registered resource server."""
        if client.row.can_introspect or token.row.client_pk == client.row.id:
            return True
        owner = current_session().get(Client, token.row.client_pk)
        return owner is not None and owner.project_id == client.row.project_id

    def create_introspection_payload(self, token: TokenModel | None) -> dict[str, Any]:
        if token is None or not token.is_active():
            return {"active": False}
        return self.introspect_token(token)

    def introspect_token(self, token: TokenModel) -> dict[str, Any]:
        session = current_session()
        row = token.row
        owner = session.get(Client, row.client_pk)
        payload: dict[str, Any] = {
            "active": True,
            "scope": row.scope,
            "client_id": owner.client_id if owner else None,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "exp": row.expires_at if token.kind == "access_token" else row.refresh_expires_at,
            "iat": row.issued_at,
            "iss": self.server.ctx.issuer,
        }
        if row.user_id:
            user = session.get(User, row.user_id)
            if user:
                payload.update(sub=user.sub, username=user.email)
        else:
            payload["sub"] = payload["client_id"]
        return payload
