"""The Authlib authorization server: grants, extensions and endpoints, example-server style.

- client_credentials (client_secret_basic);
- authorization_code with PKCE required (CodeChallenge) and OpenID Connect ID tokens (OpenIDCode);
- refresh_token with rotation (a new refresh token each time; the old token row is revoked);
- token introspection (RFC 7662) for clients flagged ``can_introspect``.
Tokens are Authlib's default opaque bearer tokens, stored through Authlib's SQLAlchemy helpers (one
commit per issued token).
"""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.sqla_oauth2 import create_query_client_func, create_save_token_func
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask
from joserfc.jwk import RSAKey
from models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token, User, db

AUTH_METHODS = ["client_secret_basic"]


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> OAuth2AuthorizationCode:
        data = request.payload.data
        item = OAuth2AuthorizationCode(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.payload.scope,
            user_id=request.user.id,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )
        db.session.add(item)
        db.session.commit()
        return item

    def query_authorization_code(self, code: str, client: OAuth2Client) -> OAuth2AuthorizationCode | None:
        item = OAuth2AuthorizationCode.query.filter_by(code=code, client_id=client.client_id).first()
        if item and not item.is_expired():
            return item
        return None

    def delete_authorization_code(self, authorization_code: OAuth2AuthorizationCode) -> None:
        db.session.delete(authorization_code)
        db.session.commit()

    def authenticate_user(self, authorization_code: OAuth2AuthorizationCode) -> User | None:
        return db.session.get(User, authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token: str) -> OAuth2Token | None:
        token = OAuth2Token.query.filter_by(refresh_token=refresh_token).first()
        if token and token.is_refresh_token_active():
            return token
        return None

    def authenticate_user(self, refresh_token: OAuth2Token) -> User | None:
        return db.session.get(User, refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: OAuth2Token) -> None:
        now = int(time.time())
        refresh_token.access_token_revoked_at = now
        refresh_token.refresh_token_revoked_at = now
        db.session.add(refresh_token)
        db.session.commit()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class OpenIDConnectCode(OpenIDCode):
    """ID tokens signed with the server's RS256 key (generated at start, published at /jwks)."""

    def __init__(self, key: RSAKey, issuer: str) -> None:
        super().__init__(require_nonce=False)
        self.key = key
        self.issuer = issuer

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return bool(
            OAuth2AuthorizationCode.query.filter_by(client_id=request.payload.client_id, nonce=nonce).first()
        )

    def resolve_client_private_key(self, client: OAuth2Client) -> RSAKey:
        return self.key

    def get_client_algorithm(self, client: OAuth2Client) -> str:
        return "RS256"

    def get_encode_header(self, client: OAuth2Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": str(self.key.kid)}

    def get_client_claims(self, client: OAuth2Client) -> dict[str, Any]:
        return {"iss": self.issuer, "aud": [client.client_id]}

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        info = UserInfo(sub=str(user.id), name=user.username)
        if "email" in scope.split():
            info["email"] = f"{user.username}@example.com"
        return info


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def __init__(self, server: AuthorizationServer, issuer: str) -> None:
        super().__init__(server)
        self.issuer = issuer

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuth2Token | None:
        query = OAuth2Token.query
        if token_type_hint != "refresh_token":
            token = query.filter_by(access_token=token_string).first()
            if token or token_type_hint == "access_token":
                return token
        return query.filter_by(refresh_token=token_string).first()

    def check_permission(self, token: OAuth2Token, client: OAuth2Client, request: Any) -> bool:
        return bool(client.can_introspect or client.client_id == token.client_id)

    def introspect_token(self, token: OAuth2Token) -> dict[str, Any]:
        return {
            "active": True,
            "client_id": token.client_id,
            "token_type": token.token_type,
            "username": token.user.username if token.user else None,
            "scope": token.get_scope(),
            "sub": str(token.user_id) if token.user_id else None,
            "aud": token.client_id,
            "iss": self.issuer,
            "exp": token.issued_at + token.expires_in,
            "iat": token.issued_at,
        }


server = AuthorizationServer()


def config_oauth(app: Flask, key: RSAKey, issuer: str) -> None:
    server.init_app(
        app,
        query_client=create_query_client_func(db.session, OAuth2Client),
        save_token=create_save_token_func(db.session, OAuth2Token),
    )
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(
        AuthorizationCodeGrant, [CodeChallenge(required=True), OpenIDConnectCode(key, issuer)]
    )
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Introspection(server, issuer))
