"""The service-account and delegation services on both engines (AUTH2-5): who may change keys, the
key limit, and what a delegation entry accepts, records and bumps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.clients.service import Clients
from consentry.domain.orgs import delegation
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.service_accounts.service import MAX_KEYS, ServiceAccounts
from consentry.errors import DomainError, Forbidden, InvalidInput, LimitReached, NotFound
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.tables import AuditEvent, Client, Organization, OrgDelegation, ProjectMember, User
from tests.integration.service_accounts.support import accounts, service_account
from tests.support.seed import Seeder


@contextmanager
def acting_as(seed: Seeder, email: str) -> Iterator[ServiceAccounts]:
    """ServiceAccounts as a signed-in user of the console would call it."""
    issuer = seed.settings.issuer_url
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        actor = Actor(email=email, user_id=user.id, platform_role=user.role, channel=Channel.WEB)
        projects = Projects(SqlConsole(s, issuer), actor, Catalogue(issuer))
        yield ServiceAccounts(Clients(projects, seed.hasher), issuer)


def test_owners_and_editors_change_keys_viewers_and_strangers_cannot(seed) -> None:  # AUTH2-5
    sa = service_account(seed, project="Vendor Sync", owner="owner@vendor.example")
    seed.user("viewer@vendor.example")
    seed.user("stranger@else.example")
    with seed.db.unit_of_work() as s:
        viewer = s.scalar(select(User).where(User.email == "viewer@vendor.example"))
        client = s.scalar(select(Client).where(Client.client_id == sa.client_id))
        assert viewer is not None and client is not None
        s.add(ProjectMember(project_id=client.project_id, user_id=viewer.id, role="viewer"))
    with acting_as(seed, "owner@vendor.example") as owner:
        added = owner.add_key(sa.client_id)
        assert added.key_file is not None and added.key_file["client_email"] == sa.email
    with acting_as(seed, "viewer@vendor.example") as viewer_accounts:
        assert len(viewer_accounts.keys(sa.client_id)[1]) == 2  # may look
        with pytest.raises(Forbidden):
            viewer_accounts.add_key(sa.client_id)
    with acting_as(seed, "stranger@else.example") as stranger, pytest.raises(NotFound):
        stranger.keys(sa.client_id)  # learns nothing about it


def test_at_most_ten_keys(seed) -> None:  # AUTH2-5
    sa = service_account(seed)
    with accounts(seed) as service:
        for _ in range(MAX_KEYS - 1):
            service.add_key(sa.client_id)
    with accounts(seed) as service, pytest.raises(LimitReached):
        service.add_key(sa.client_id)


def test_a_service_client_made_before_service_accounts_gets_an_address(seed) -> None:  # AUTH2-5
    old = seed.client("service", project="Legacy Sync")
    with accounts(seed) as service:
        client, rows = service.keys(old.client_id)
        assert client.service_email is None and rows == []
        new = service.add_key(old.client_id)
    assert new.key_file is not None
    assert new.key_file["client_email"].endswith("@legacy-sync.iam.testserver.local")


def test_delegation_entries(seed) -> None:  # AUTH2-5
    seed.org("acme.example")
    sa = service_account(seed)
    web = seed.client("web")
    with seed.db.unit_of_work() as s:
        version = s.scalar(select(Organization.policy_version).where(Organization.domain == "acme.example"))
        row = delegation.delegate(
            s,
            org_domain="acme.example",
            client_id=sa.client_id,
            scopes=["http://testserver.local/auth/mail.readonly", "openid", "mail.readonly"],
            actor="admin@acme.example",
            channel=Channel.WEB,
        )
        assert row.scopes == ["mail.readonly", "openid"] and row.created_by == "admin@acme.example"
    with seed.db.unit_of_work() as s:
        org = s.scalar(select(Organization).where(Organization.domain == "acme.example"))
        assert org is not None and org.policy_version == (version or 0) + 1
        (listed,) = delegation.delegations(s, "acme.example")
        assert listed["client_id"] == sa.client_id and listed["client_email"] == sa.email
        event = s.scalar(select(AuditEvent).where(AuditEvent.tag == AuditTag.ORG_DELEGATE))
        assert event is not None and event.actor == "admin@acme.example"
        assert event.data["channel"] == "web" and event.data["scopes"] == ["mail.readonly", "openid"]
    bad: list[tuple[dict[str, object], type[DomainError], str]] = [
        ({"client_id": web.client_id, "scopes": ["files"]}, InvalidInput, "not_a_service_account"),
        ({"client_id": sa.client_id, "scopes": ["mail.everything"]}, InvalidInput, "invalid_scope"),
        ({"client_id": sa.client_id, "scopes": []}, InvalidInput, "invalid_scope"),
        ({"client_id": "nobody", "scopes": ["files"]}, NotFound, "not_found"),
    ]
    for args, kind, code in bad:
        with seed.db.unit_of_work() as s, pytest.raises(kind) as err:
            delegation.delegate(s, org_domain="acme.example", actor="a", channel=Channel.WEB, **args)  # type: ignore[arg-type]
        assert err.value.code == code
    with seed.db.unit_of_work() as s, pytest.raises(NotFound):
        delegation.delegate(
            s,
            org_domain="nowhere.example",
            client_id=sa.client_id,
            scopes=["files"],
            actor="a",
            channel=Channel.WEB,
        )
    with seed.db.unit_of_work() as s:
        assert len(list(s.scalars(select(OrgDelegation)))) == 1
        assert delegation.undelegate(
            s, org_domain="acme.example", client_id=sa.client_id, actor="a", channel=Channel.API
        )
    with seed.db.unit_of_work() as s:
        assert delegation.delegations(s, "acme.example") == []
        assert not delegation.undelegate(
            s, org_domain="acme.example", client_id=sa.client_id, actor="a", channel=Channel.API
        )
