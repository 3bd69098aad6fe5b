"""Device authorization grant (RFC 8628, AUTH2-4)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidGrantError, UnauthorizedClientError
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _Endpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _Grant
from authlib.oauth2.rfc8628.errors import AuthorizationPendingError, ExpiredTokenError, SlowDownError

from consentry.domain.tokens import device
from consentry.domain.tokens.store import DevicePoll
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.models import DEVICE_GRANT, ClientModel, DeviceModel
from consentry.protocol.oauth2.policy import refused


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
        # The per-client quota is charged by the adapter once this row exists, i.e. once Authlib
        # authenticated the client: naming a client costs it nothing (web/protocol_adapter.py).
        client = self.server.query_client(client_id)
        exchange.current().changes.device_codes.append(
            device.row(
                self.server.ctx.hasher,
                device_code=data["device_code"],
                user_code=data["user_code"],
                client_pk=client.row.id,
                scope=client.get_allowed_scope(scope),
                ttl=self.EXPIRES_IN,
                interval=self.INTERVAL,
            )
        )


class DeviceCodeGrant(_Grant):
    def query_device_credential(self, device_code: str) -> DeviceModel | None:
        row = exchange.current().found.device
        if row is None or row.device_code_hash != self.server.ctx.hasher.hash(device_code):
            return None
        return DeviceModel(row)

    def validate_device_credential(self, credential: DeviceModel) -> Any:
        changes = exchange.current().changes
        row = credential.row
        if credential.is_expired():
            raise ExpiredTokenError()
        if row.status == "denied":
            raise refused(row.refusal)
        if row.status == "used":
            raise InvalidGrantError("This device code was already exchanged.")
        if row.status == "pending":
            poll = device.next_poll(row)
            changes.device_polls.append(DevicePoll(row.device_code_hash, poll.polled_at, poll.interval))
            if poll.too_fast:
                raise SlowDownError()
            raise AuthorizationPendingError()
        user = row.user
        if user is None or user.disabled:
            raise AccessDeniedError()
        # Approved: the commit moves it to used, once; a second exchange loses the claim.
        changes.claim_device = row.device_code_hash
        return user

    def query_user_grant(self, user_code: str) -> None:  # pragma: no cover - replaced above
        return None

    def should_slow_down(self, credential: DeviceModel) -> bool:  # pragma: no cover - replaced above
        return False
