"""Owners manage a service account's keys: list, generate (shown once), upload, disable, delete.

A service account is a ``service`` client (it keeps its client secret for client credentials)
with an address (``clients.service_email``) and up to :data:`MAX_KEYS` keys. The service works in
the unit of work of the client rows it reads (the project and client services' repository), and
checks the caller's permissions through :class:`~consentry.domain.clients.service.Clients`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from consentry.domain.audit.tags import AuditTag
from consentry.domain.clients.service import Clients
from consentry.domain.permissions import Permission
from consentry.domain.service_accounts import keys
from consentry.domain.service_accounts.addresses import service_email
from consentry.errors import Conflict, InvalidInput, LimitReached, NotFound
from consentry.storage.tables import Client
from consentry.storage.tables.base import now
from consentry.storage.tables.org_policy import ServiceAccountKey

#: Keys per service account, disabled ones included (the reference platform allows ten).
MAX_KEYS = 10
KEY_FILE_TYPE = "service_account"


@dataclass(frozen=True)
class NewKey:
    key: ServiceAccountKey
    #: The JSON key file with the private key (generated keys only); shown once, never stored.
    key_file: dict[str, Any] | None


def key_summary(key: ServiceAccountKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "origin": key.origin,
        "state": "disabled" if key.disabled_at is not None else "enabled",
        "created_at": key.created_at,
        "disabled_at": key.disabled_at,
    }


def key_file(client: Client, kid: str, private_pem: str, token_uri: str) -> dict[str, Any]:
    """The key file google-auth's ``Credentials.from_service_account_info`` reads."""
    return {
        "type": KEY_FILE_TYPE,
        "client_id": client.client_id,
        "client_email": client.service_email,
        "private_key_id": kid,
        "private_key": private_pem,
        "token_uri": token_uri,
    }


class ServiceAccounts:
    def __init__(self, clients: Clients, issuer: str) -> None:
        self.clients = clients
        self.issuer = issuer.rstrip("/")

    # --- reading ---------------------------------------------------------------------------
    def account(self, client_id: str, need: Permission = Permission.PROJECT_VIEW) -> Client:
        """The service client, if the actor may ``need`` on its project."""
        client = self.clients.get(client_id, need)
        if client.client_type != "service":
            raise InvalidInput(
                "not_a_service_account",
                f"{client_id!r} is a {client.client_type} client, not a service account",
            )
        return client

    def keys(self, client_id: str) -> tuple[Client, list[ServiceAccountKey]]:
        client = self.account(client_id)
        rows = _session(client).scalars(
            select(ServiceAccountKey)
            .where(ServiceAccountKey.client_pk == client.id)
            .order_by(ServiceAccountKey.created_at, ServiceAccountKey.id)
        )
        return client, list(rows)

    # --- changes ---------------------------------------------------------------------------
    def add_key(self, client_id: str, public_key: str | None = None) -> NewKey:
        """A generated pair (``public_key`` None: the key file is returned once) or an upload."""
        client = self._changeable(client_id)
        session = _session(client)
        count = session.scalar(
            select(func.count())
            .select_from(ServiceAccountKey)
            .where(ServiceAccountKey.client_pk == client.id)
        )
        if (count or 0) >= MAX_KEYS:
            raise LimitReached(f"a service account has at most {MAX_KEYS} keys: delete one first")
        if client.service_email is None:  # a service client made before service accounts existed
            client.service_email = service_email(client.name, client.project.name, self.issuer)
        if public_key is None:
            pair = keys.generate()
            kid, jwk, origin, private_pem = pair.kid, pair.public_jwk, "generated", pair.private_pem
        else:
            kid = keys.new_kid()
            jwk, origin, private_pem = keys.public_jwk(keys.parse_public(public_key), kid), "uploaded", ""
        row = ServiceAccountKey(client_pk=client.id, kid=kid, public_jwk=jwk, origin=origin, created_at=now())
        session.add(row)
        session.flush()
        self._audit(AuditTag.SERVICE_KEY_ADD, client, kid=kid, origin=origin)
        out = key_file(client, kid, private_pem, self.issuer + "/token") if private_pem else None
        return NewKey(row, out)

    def set_key_disabled(self, client_id: str, kid: str, disabled: bool) -> ServiceAccountKey:
        """A disabled key signs nothing the token endpoint accepts; enabling it undoes that."""
        client = self._changeable(client_id)
        row = self._key(client, kid)
        if (row.disabled_at is not None) != disabled:
            row.disabled_at = now() if disabled else None
            tag = AuditTag.SERVICE_KEY_DISABLE if disabled else AuditTag.SERVICE_KEY_ENABLE
            self._audit(tag, client, kid=kid)
        return row

    def delete_key(self, client_id: str, kid: str) -> None:
        client = self._changeable(client_id)
        row = self._key(client, kid)
        _session(client).delete(row)
        self._audit(AuditTag.SERVICE_KEY_DELETE, client, kid=kid)

    # --- helpers ---------------------------------------------------------------------------
    def _changeable(self, client_id: str) -> Client:
        client = self.account(client_id, Permission.CLIENT_SECRET)
        if client.deleted_at is not None:
            raise Conflict("deleted_client", "restore the service account before changing its keys")
        return client

    @staticmethod
    def _key(client: Client, kid: str) -> ServiceAccountKey:
        row = _session(client).scalar(
            select(ServiceAccountKey).where(
                ServiceAccountKey.client_pk == client.id, ServiceAccountKey.kid == kid
            )
        )
        if row is None:
            raise NotFound("key", f"service account {client.client_id!r} has no key {kid!r}")
        return row

    def _audit(self, tag: AuditTag, client: Client, **data: object) -> None:
        self.clients.repo.audit(
            tag,
            self.clients.projects.actor,
            {"project": client.project.name, "client_id": client.client_id, **data},
        )


def _session(row: Client) -> Session:
    """The unit of work the client row was read in: key rows are read and written there too."""
    session = object_session(row)
    if session is None:  # pragma: no cover - rows come from the repository's session
        raise RuntimeError("a detached client row")
    return session
