"""Service accounts for the tests: made through the domain services, assertions signed with joserfc."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.clients.service import Clients
from consentry.domain.orgs import delegation
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.service_accounts.service import ServiceAccounts
from consentry.storage.repositories.console import SqlConsole
from tests.support.seed import Seeder

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass
class Account:
    client_id: str
    key_file: dict[str, Any]

    @property
    def email(self) -> str:
        return str(self.key_file["client_email"])

    @property
    def kid(self) -> str:
        return str(self.key_file["private_key_id"])

    def assertion(
        self,
        audience: str,
        *,
        scope: str | None = None,
        sub: str | None = None,
        lifetime: int = 3600,
        iat: int | None = None,
        jti: str | None = "fresh",
        key_pem: str | None = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        """An assertion as the key file allows; each argument breaks one thing on purpose."""
        issued = int(time.time()) if iat is None else iat
        payload: dict[str, Any] = {
            "iss": self.email,
            "aud": audience,
            "iat": issued,
            "exp": issued + lifetime,
        }
        if scope is not None:
            payload["scope"] = scope
        if sub is not None:
            payload["sub"] = sub
        if jti is not None:
            payload["jti"] = uuid.uuid4().hex if jti == "fresh" else jti
        payload.update(claims)
        key = RSAKey.import_key(key_pem or self.key_file["private_key"])
        return jwt.encode({"alg": "RS256", "kid": kid or self.kid}, payload, key)


@contextmanager
def accounts(seed: Seeder) -> Iterator[ServiceAccounts]:
    """ServiceAccounts acting as the operator, in one unit of work (as the CLI runs it)."""
    issuer = seed.settings.issuer_url
    with seed.db.unit_of_work() as s:
        projects = Projects(SqlConsole(s, issuer), Actor.cli(), Catalogue(issuer))
        yield ServiceAccounts(Clients(projects, seed.hasher), issuer)


def service_account(seed: Seeder, **client_options: Any) -> Account:
    """A service client with its first generated key (the key file ``client create`` prints)."""
    client = seed.client("service", **client_options)
    with accounts(seed) as sa:
        new = sa.add_key(client.client_id)
    assert new.key_file is not None
    return Account(client.client_id, new.key_file)


def delegate(seed: Seeder, domain: str, client_id: str, *names: str) -> None:
    with seed.db.unit_of_work() as s:
        delegation.delegate(
            s, org_domain=domain, client_id=client_id, scopes=list(names), actor="admin", channel=Channel.CLI
        )
