"""The authorization server: Authlib's, with our token minting and client lookup.

Every hook here and in the grants reads the request's prefetched records and writes into its
pending changes (``protocol/oauth2/exchange.py``); none touches the database.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.domain.secrets import new_family
from consentry.domain.tokens.generator import mint
from consentry.domain.tokens.service import IssuedToken, token_values
from consentry.protocol.oauth2 import checks, exchange
from consentry.protocol.oauth2.client_auth import PrivateKeyJWT
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.protocol.oauth2.endpoints import IntrospectionEndpoint, RevocationEndpoint
from consentry.protocol.oauth2.grants.authorization_code import AuthorizationCodeGrant, S256Only
from consentry.protocol.oauth2.grants.client_credentials import ClientCredentialsGrant
from consentry.protocol.oauth2.grants.device_code import DeviceAuthorizationEndpoint, DeviceCodeGrant
from consentry.protocol.oauth2.grants.jwt_bearer import JWTBearerGrant
from consentry.protocol.oauth2.grants.refresh_token import RefreshTokenGrant
from consentry.protocol.oauth2.models import ClientModel
from consentry.protocol.oauth2.policy import TokenGate
from consentry.protocol.oidc.id_token import ConsentryOpenIDCode
from consentry.storage.tables.base import now


class ConsentryServer(AuthorizationServer):
    def __init__(self, ctx: ProtocolContext) -> None:
        super().__init__(scopes_supported=ctx.catalogue.uris())
        self.ctx = ctx
        self.register_token_generator("default", self._generate)
        self.register_grant(
            AuthorizationCodeGrant, [S256Only(required=True), checks.attach, ConsentryOpenIDCode(ctx)]
        )
        gate = TokenGate(ctx)
        self.register_grant(RefreshTokenGrant, [gate])
        self.register_grant(ClientCredentialsGrant, [gate])
        self.register_grant(DeviceCodeGrant, [gate])
        self.register_grant(JWTBearerGrant, [gate])  # service accounts (RFC 7523, AUTH2-5)
        self.register_endpoint(RevocationEndpoint)
        self.register_endpoint(IntrospectionEndpoint)
        self.register_endpoint(DeviceAuthorizationEndpoint)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWT(ctx))

    # --- Authlib hooks --------------------------------------------------------------
    def query_client(self, client_id: str) -> ClientModel | None:
        if not client_id or len(client_id) > 100:
            return None
        row = exchange.current().found.client
        if row is None or row.client_id != client_id or row.disabled:
            return None
        return ClientModel(row, self.ctx.hasher)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # already built by consentry.protocol.starlette

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def validate_requested_scope(self, scope: str | None) -> None:
        if scope and not set(scope.split()).issubset(self.ctx.catalogue.by_uri):
            # The description never echoes the request: it could carry characters RFC 6749 forbids.
            raise InvalidScopeError("The request names a scope this server does not know.")

    # --- tokens -----------------------------------------------------------------------
    def _generate(
        self,
        grant_type: str,
        client: ClientModel,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        issued = mint(
            keys=self.ctx.keys,
            issuer=self.ctx.issuer,
            token_format=client.row.access_token_format,
            client_id=client.get_client_id(),
            subject=user.sub if user is not None else None,
            scope=scope or "",
            expires_in=expires_in or self.ctx.settings.access_token_ttl,
            with_refresh=include_refresh_token,
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }
        if issued.refresh_token:
            token["refresh_token"] = issued.refresh_token
        return token

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        client: ClientModel = request.client
        user = request.user
        scope = token.get("scope", "")
        refresh_ttl = self.ctx.settings.refresh_token_ttl
        data_scopes = [s for s in scope.split() if s not in SIGN_IN]
        if client.row.project_status == "testing" and data_scopes:
            # VERIFY-11: apps in Testing get 7-day refresh tokens unless only sign-in scopes.
            refresh_ttl = self.ctx.settings.testing_refresh_token_ttl
        not_after = request.consentry.get("not_after")
        if not_after:
            # The grant lapses then (Testing): rotation never carries a token past it.
            refresh_ttl = max(0, min(refresh_ttl, int(not_after) - now()))
        family = request.consentry.get("family")
        values = token_values(
            self.ctx.hasher,
            IssuedToken(
                token["access_token"],
                token.get("refresh_token"),
                token["expires_in"],
                scope,
                None,
                client.row.access_token_format,
            ),
            client_pk=client.row.id,
            user_id=user.id if user is not None else None,
            grant_type=request.payload.grant_type or "authorization_code",
            family=str(family or new_family()),
            refresh_ttl=refresh_ttl,
        )
        exchange.current().changes.tokens.append(values)
