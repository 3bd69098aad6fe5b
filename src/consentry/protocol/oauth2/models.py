"""Adapters that give our rows the interfaces Authlib's grants call."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, scope_to_list
from authlib.oauth2.rfc8628 import DeviceCredentialMixin

from consentry.domain.accounts.amr import acr_of, decode
from consentry.domain.clients.redirect_uris import matches
from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.secrets import Hasher
from consentry.domain.tokens.records import CodeRecord, DeviceRecord, TokenRecord
from consentry.domain.tokens.service import is_access_active, is_refresh_usable
from consentry.storage.tables.base import now

GRANTS = {
    "web": {"authorization_code", "refresh_token"},
    "installed": {"authorization_code", "refresh_token"},
    "device": {"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
    "service": {"client_credentials"},
}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def may_use_grant(client_type: str, grant_type: str) -> bool:
    """The one rule for which client type may use which grant; unknown types (oauth1) none."""
    return grant_type in GRANTS.get(client_type, ())


class ClientModel(ClientMixin):
    def __init__(self, row: ClientSnapshot, hasher: Hasher) -> None:
        self.row = row
        self._hasher = hasher
        self.client_id = row.client_id
        self.client_metadata: dict[str, object] = {}
        self.id_token_signed_response_alg = row.id_token_alg

    @property
    def is_public(self) -> bool:
        return self.row.secret_hash is None

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Never guess: the redirect URI must be sent, so it can be matched exactly.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(dict.fromkeys(scope_to_list(scope or "") or []))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return matches(redirect_uri, list(self.row.redirect_uris or ()), self.row.client_type)

    def check_client_secret(self, client_secret: str) -> bool:
        return self._hasher.matches(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.disabled:
            return False
        if method == "none":
            return self.is_public
        if method == "private_key_jwt":
            return bool(self.row.jwks)
        return not self.is_public

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and may_use_grant(self.row.client_type, "authorization_code")

    def check_grant_type(self, grant_type: str) -> bool:
        return may_use_grant(self.row.client_type, grant_type)


class CodeModel(AuthorizationCodeMixin):
    def __init__(self, row: CodeRecord) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_acr(self) -> str:
        return acr_of(decode(self.row.amr))

    def get_amr(self) -> list[str]:
        return decode(self.row.amr)


class TokenModel(TokenMixin):
    """A token row seen as an access token or as a refresh token."""

    def __init__(self, row: TokenRecord, kind: str) -> None:
        self.row = row
        self.kind = kind
        self.scope = row.scope

    def check_client(self, client: ClientModel) -> bool:
        return self.row.client_pk == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return self.row.expires_at - self.row.issued_at

    def is_expired(self) -> bool:
        if self.kind == "refresh_token":
            return (self.row.refresh_expires_at or 0) <= now()
        return self.row.expires_at <= now()

    def is_revoked(self) -> bool:
        if self.kind == "refresh_token":
            return not is_refresh_usable(self.row) and not self.is_expired()
        return self.row.revoked_at is not None

    def is_active(self) -> bool:
        if self.kind == "refresh_token":
            return is_refresh_usable(self.row)
        return is_access_active(self.row)

    def get_user(self) -> object:
        return self.row.user_id

    def get_client(self) -> object:
        return self.row.client_pk


class DeviceModel(DeviceCredentialMixin):
    def __init__(self, row: DeviceRecord) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.owner_client_id

    def get_scope(self) -> str:
        return self.row.granted_scope or self.row.scope

    def get_user_code(self) -> str:
        return ""

    def is_expired(self) -> bool:
        return self.row.expires_at <= now()
