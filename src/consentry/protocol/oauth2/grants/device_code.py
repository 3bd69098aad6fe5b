"""Device authorization grant (RFC 8628, AUTH2-4)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidGrantError, UnauthorizedClientError
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _Endpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _Grant
from authlib.oauth2.rfc8628.errors import AuthorizationPendingError, ExpiredTokenError, SlowDownError

from consentry.domain.accounts.service import get_user
from consentry.domain.tokens import device
from consentry.protocol.oauth2.models import DEVICE_GRANT, ClientModel, DeviceModel
from consentry.protocol.oauth2.rate_limited import TooManyRequestsError
from consentry.storage.db import current_session
from consentry.storage.tables import Client


class DeviceAuthorizationEndpoint(_Endpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def get_verification_uri(self) -> str:
        return self.server.ctx.endpoint("/device")

    def authenticate_client(self, request: Any) -> ClientModel:
        """Refuse a client that may not use the device grant here, before any code exists: a code a
        user could approve but the client could never exchange is only a phishing aid."""
        client: ClientModel = super().authenticate_client(request)
        if not client.check_grant_type(DEVICE_GRANT):
            raise UnauthorizedClientError(
                f"A {client.row.client_type} client may not use the device flow; "
                "create a client of type 'device'."
            )
        return client

    def create_endpoint_response(self, request: Any) -> Any:
        self.EXPIRES_IN = self.server.ctx.settings.device_code_ttl
        self.INTERVAL = self.server.ctx.settings.device_poll_interval
        return super().create_endpoint_response(request)

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        # Charged only now, once Authlib authenticated the client: naming a client costs it nothing.
        if refused := self.server.ctx.quotas.device_client(current_session(), client_id):
            raise TooManyRequestsError("device codes", refused.retry_after)
        client = self.server.query_client(client_id)
        device.save(
            current_session(),
            self.server.ctx.hasher,
            device_code=data["device_code"],
            user_code=data["user_code"],
            client_pk=client.row.id,
            scope=client.get_allowed_scope(scope),
            ttl=self.EXPIRES_IN,
            interval=self.INTERVAL,
        )


class DeviceCodeGrant(_Grant):
    def query_device_credential(self, device_code: str) -> DeviceModel | None:
        row = device.by_device_code(current_session(), self.server.ctx.hasher, device_code)
        if row is None:
            return None
        owner = current_session().get(Client, row.client_pk)
        return DeviceModel(row, owner.client_id if owner else "")

    def validate_device_credential(self, credential: DeviceModel) -> Any:
        session = current_session()
        row = credential.row
        if credential.is_expired():
            raise ExpiredTokenError()
        if row.status == "denied":
            raise AccessDeniedError()
        if row.status == "used":
            raise InvalidGrantError("This device code was already exchanged.")
        if row.status == "pending":
            if device.poll_too_fast(session, row):
                raise SlowDownError()
            raise AuthorizationPendingError()
        if not device.mark_used(session, row):
            raise InvalidGrantError("This device code was already exchanged.")
        user = get_user(session, row.user_id) if row.user_id else None
        if user is None or user.disabled:
            raise AccessDeniedError()
        return user

    def query_user_grant(self, user_code: str) -> None:  # pragma: no cover - replaced above
        return None

    def should_slow_down(self, credential: DeviceModel) -> bool:  # pragma: no cover - replaced above
        return False
