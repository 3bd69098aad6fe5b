"""OpenID Connect userinfo (Core 5.3) and the reference platform's token info, on prefetched records."""

from __future__ import annotations

from typing import Any

from consentry.domain.tokens.records import TokenRecord, UserRecord
from consentry.domain.tokens.service import is_access_active
from consentry.protocol.oauth2.errors import Answer, error
from consentry.protocol.oidc.id_token import user_claims
from consentry.storage.tables.base import now

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def _invalid_token(description: str) -> Answer:
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    return error("invalid_token", description, 401, [("WWW-Authenticate", challenge)])


def missing_token() -> Answer:
    return error("invalid_request", "Missing bearer token", 401, [("WWW-Authenticate", "Bearer")])


def _user(row: TokenRecord) -> UserRecord | None:
    if row.user_id is None or row.user_sub is None or row.user_disabled:
        return None
    return UserRecord(
        row.user_id, row.user_sub, row.user_email or "", row.user_name or "", False, None, row.user_domain
    )


def userinfo(row: TokenRecord | None) -> Answer:
    if row is None or not is_access_active(row) or row.user_id is None:
        return _invalid_token("The access token is invalid or expired")
    if row.owner_disabled:  # as /tokeninfo and the data APIs: a disabled app's tokens are dead
        return _invalid_token("The app is disabled")
    if "openid" not in row.scope.split():
        challenge = 'Bearer error="insufficient_scope", scope="openid"'
        return 403, {"error": "insufficient_scope"}, [("WWW-Authenticate", challenge)]
    user = _user(row)
    if user is None:
        return _invalid_token("The account is disabled")
    return 200, dict(user_claims(user, row.scope)), [("Cache-Control", "no-store")]


def tokeninfo_error(code: str = "invalid_token", description: str = "Invalid Value") -> Answer:
    """The reference platform's error: HTTP 400 with a JSON body, never cached."""
    return error(code, description, 400, NO_STORE)


def access_token_info(row: TokenRecord | None) -> Answer:
    """An access token (opaque or JWT) is what the store says it is: revoked or expired is invalid."""
    if row is None or not is_access_active(row) or row.owner_disabled:
        return tokeninfo_error()
    body: dict[str, Any] = {
        "azp": row.owner_client_id,
        "aud": row.owner_client_id,
        "scope": row.scope,
        "exp": str(row.expires_at),
        "expires_in": str(max(0, row.expires_at - now())),
        "access_type": "offline" if row.refresh_hash else "online",
    }
    if row.user_id:
        user = _user(row)
        if user is None:
            return tokeninfo_error()  # as /userinfo: a disabled account's tokens are dead
        body["sub"] = user.sub
        if "email" in row.scope.split():
            body.update(email=user.email, email_verified="true")
    return 200, body, NO_STORE


def string_value(value: Any) -> Any:
    """Token info answers strings, as the reference platform does; booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else value
