"""Create users, projects and clients directly through the domain services."""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.accounts import service as accounts
from consentry.domain.clients import service as clients
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.secrets import Hasher
from consentry.settings import Settings
from consentry.storage.db import Database


@dataclass
class SeededClient:
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    pk: int


class Seeder:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.hasher = Hasher(settings.secret_key)
        self._project_n = 0

    def org(self, domain: str) -> None:
        with self.db.unit_of_work() as s:
            accounts.add_org(s, domain)

    def user(
        self, email: str, password: str = "correct-horse-battery", org: str | None = None, role: str = "user"
    ) -> str:
        with self.db.unit_of_work() as s:
            if org and accounts.find_org(s, org) is None:
                accounts.add_org(s, org)
            return accounts.add_user(s, email, password, org_domain=org, role=role).sub

    def client(
        self,
        client_type: str = "web",
        *,
        redirect_uris: list[str] | None = None,
        owner: str = "owner@example.com",
        status: str = "production",
        project: str | None = None,
        verified: bool = True,
        user_type: str = "external",
        test_users: list[str] | None = None,
        **kwargs: object,
    ) -> SeededClient:
        with self.db.unit_of_work() as s:
            user = accounts.find_user(s, owner) or accounts.add_user(s, owner, "owner-password-123")
            name = project
            if name is None:
                self._project_n += 1
                name = f"Project {self._project_n}"
            proj = clients.find_project(s, name)
            if proj is None:
                proj = clients.create_project(s, name, user, status=status, user_type=user_type)
                if verified:
                    # A reviewed app by default: every scope declared and approved, so tests of
                    # the protocol meet no policy screen; policy tests ask for less.
                    every = sorted(Catalogue(self.settings.issuer).by_uri)
                    proj.declared_scopes = every
                    proj.approved_scopes = every
                proj.test_users = [e.lower() for e in test_users or []]
            if client_type == "web" and redirect_uris is None:
                redirect_uris = ["https://app.example.org/callback"]
            new = clients.create_client(
                s,
                self.hasher,
                proj,
                client_type,
                redirect_uris=redirect_uris,
                **kwargs,  # type: ignore[arg-type]
            )
            return SeededClient(
                new.client.client_id, new.client_secret, list(new.client.redirect_uris), new.client.id
            )

    def close(self) -> None:
        self.db.dispose()

    def sample_data(self, *emails: str) -> dict[str, int]:
        """The demo's mailbox, files, calendar, meetings and chat for these users."""
        from consentry.domain.data import sample

        with self.db.unit_of_work() as s:
            users = [accounts.find_user(s, e) for e in emails]
            return sample.seed(s, [u for u in users if u is not None])
