"""The demo data set (``consentry demo``): users with published passwords, one project, three clients.

For development only, and refused when ``CONSENTRY_ENVIRONMENT=production``: anyone who has read
the README knows these passwords.

Client secrets are normally random and stored only as a keyed hash, so nobody can show them again.
The demo's confidential client is the one exception: its secret is *derived* from
``CONSENTRY_SECRET_KEY`` (HKDF, purpose ``demo-client-secret:<type>``), so ``consentry demo --show``
can recompute it. A derived secret is printed only while it still matches the stored hash (not after
``client rotate-secret``, nor under another secret key); a demo password only while it still signs in.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.accounts import service as accounts
from consentry.domain.accounts.passwords import verify_password
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.clients import service as clients
from consentry.domain.data import sample
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.secrets import Hasher, derive_key
from consentry.errors import DomainError
from consentry.storage.tables import Client, Project

ORG_DOMAIN, ORG_NAME = "example.com", "Example Corp"
PROJECT = "Demo Mail Organizer"
SECRET_NOTE = "demo only: derived from CONSENTRY_SECRET_KEY so `consentry demo --show` can print it again"


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: str
    name: str
    org: str | None = ORG_DOMAIN


USERS = (
    DemoUser("alice@example.com", "alice-demo-password", "admin", "Alice Admin"),
    DemoUser("bob@example.com", "bob-demo-password", "user", "Bob Builder"),
    DemoUser("rita@example.com", "rita-demo-password", "reviewer", "Rita Reviewer"),
    DemoUser("carol@consumer.test", "carol-demo-password", "user", "Carol Consumer", org=None),
)
#: (type, display name, redirect URIs) of the demo project's clients.
CLIENTS: tuple[tuple[str, str, list[str] | None], ...] = (
    ("web", "Demo Mail Organizer", ["http://127.0.0.1:8765/callback", "https://oauth.pstmn.io/v1/callback"]),
    ("installed", "Demo Desktop App", None),
    ("device", "Demo TV App", None),
)


def refuse_in_production(environment: str) -> None:
    if environment == "production":
        raise DomainError(
            "refused_in_production",
            "the demo creates accounts with published passwords; it never runs in production",
        )


def demo_client_secret(root_secret: str, client_type: str) -> str:
    """The demo client's secret: 256 bits derived from the root secret, URL-safe (43 characters)."""
    raw = derive_key(root_secret, f"demo-client-secret:{client_type}")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def is_loaded(session: Session) -> bool:
    return clients.find_project(session, PROJECT) is not None


def load(session: Session, hasher: Hasher, root_secret: str, issuer: str) -> dict[str, int]:
    """Create the organization, users, sample data, project and clients; returns the sample counts."""
    accounts.add_org(session, ORG_DOMAIN, ORG_NAME)
    users = [
        accounts.add_user(session, u.email, u.password, name=u.name, org_domain=u.org, role=u.role)
        for u in USERS
    ]
    counts = sample.seed(session, users)
    project = clients.create_project(session, PROJECT, users[0], status="production")
    # A verified app: every scope declared and approved, so the demo walks the consent flow a
    # real user of a reviewed app sees (no unverified-app screen).
    catalogue = Catalogue(issuer)
    project.declared_scopes = sorted(catalogue.by_uri)
    project.approved_scopes = sorted(catalogue.by_uri)
    for client_type, name, uris in CLIENTS:
        new = clients.create_client(session, hasher, project, client_type, name=name, redirect_uris=uris)
        if new.client_secret is not None:
            new.client.secret_hash = hasher.hash(demo_client_secret(root_secret, client_type))
    session.flush()
    record(session, AuditTag.DEMO_LOAD, actor="cli", data={"project": PROJECT}, channel=Channel.CLI)
    return counts


def show(session: Session, hasher: Hasher, root_secret: str) -> dict[str, Any]:
    """The demo users and clients as they are now, with every password and secret still valid."""
    project = session.scalar(select(Project).where(Project.name == PROJECT))
    if project is None:
        raise DomainError("not_found", "the demo data is not loaded: run `consentry demo`")
    users = []
    for u in USERS:
        row = accounts.find_user(session, u.email)
        entry: dict[str, Any] = {"email": u.email, "password": u.password, "role": u.role}
        if row is None:
            entry.update(password=None, note="deleted")
        elif not verify_password(row.password_hash, u.password):
            entry.update(password=None, note="password changed since the demo was loaded")
        elif row.disabled:
            entry["note"] = "disabled"
        users.append(entry)
    found: dict[str, dict[str, Any]] = {}
    for c in session.scalars(
        select(Client).where(Client.project_id == project.id, Client.deleted_at.is_(None)).order_by(Client.id)
    ):
        found.setdefault(c.client_type, _client(c, hasher, root_secret))
    return {"organization": ORG_DOMAIN, "users": users, "project": PROJECT, "clients": found}


def _client(c: Client, hasher: Hasher, root_secret: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client_id": c.client_id,
        "type": c.client_type,
        "name": c.name,
        "redirect_uris": list(c.redirect_uris or []),
    }
    if c.secret_hash is not None:
        secret = demo_client_secret(root_secret, c.client_type)
        if hasher.matches(secret, c.secret_hash):
            out.update(client_secret=secret, client_secret_note=SECRET_NOTE)
        else:
            out.update(
                client_secret=None,
                client_secret_note="rotated, or loaded under another CONSENTRY_SECRET_KEY: "
                f"`consentry client rotate-secret {c.client_id}` prints a new one",
            )
    if c.disabled:
        out["disabled"] = True
    return out
