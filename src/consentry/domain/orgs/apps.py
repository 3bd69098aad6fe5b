"""The third-party apps an organization's members use, as its admins see them (issue 14).

An app is a project: the admins decide per app, whichever of its clients a member signed in
with. Listed are the apps a member granted consent to or holds a live token of, the apps the
admins configured (a blocked app has no grants left once enforcement took them back, and must
stay visible to be unblocked), and the organization's own Internal apps. Tokens a service account
got by domain-wide delegation are not the members' doing and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consentry.domain.consent.disclosure_declared import verified
from consentry.domain.orgs.delegation import JWT_BEARER
from consentry.domain.scopes.catalogue import CLASSES, Catalogue
from consentry.errors import NotFound
from consentry.storage.tables import (
    Client,
    ConsentGrant,
    Organization,
    OrgAppAccess,
    Project,
    Token,
    User,
)
from consentry.storage.tables.base import now


@dataclass(frozen=True, slots=True)
class OrgApp:
    project_id: int
    #: The name members see on the consent screen.
    name: str
    project: str
    client_ids: tuple[str, ...]
    #: Members who granted it something or hold a live token of it.
    users: int
    #: Scope class -> catalogue names the members granted, most sensitive class first.
    scopes: dict[str, list[str]] = field(default_factory=dict)
    #: As the consent screen says it (VERIFY-6): reviewed for every risky scope the members hold.
    verified: bool = False
    #: trusted | limited | blocked, or None: the organization's policy for unconfigured apps.
    access: str | None = None
    installed: bool = False
    #: One of the organization's own Internal apps (VERIFY-10: no verification needed).
    internal: bool = False
    status: str = "production"
    updated_at: int | None = None
    updated_by: str = ""

    @property
    def risky(self) -> bool:
        return bool(self.scopes.get("sensitive") or self.scopes.get("restricted"))


def apps(session: Session, org: Organization, catalogue: Catalogue) -> list[OrgApp]:
    """Every app the organization's members use or the admins configured, most used first."""
    found = _collect(session, org, catalogue, None)
    return sorted(found, key=lambda a: (-a.users, a.name.lower(), a.project_id))


def app(session: Session, org: Organization, project_id: int, catalogue: Catalogue) -> OrgApp:
    """One app, even one no member uses yet (the admins may configure it before anyone does)."""
    found = _collect(session, org, catalogue, project_id)
    if not found:
        raise NotFound("app", "There is no such app.")
    return found[0]


def project_of_client(session: Session, client_id: str) -> Project:
    """The app a client ID belongs to (the CLI and the API name apps by a client ID)."""
    client = session.scalar(select(Client).where(Client.client_id == client_id.strip()[:100]))
    if client is None or client.deleted_at is not None:
        raise NotFound("client", f"no client {client_id.strip()[:100]!r}")
    return client.project


def _collect(session: Session, org: Organization, catalogue: Catalogue, only: int | None) -> list[OrgApp]:
    t = now()
    members = select(User.id).where(User.org_id == org.id)
    users: dict[int, set[int]] = defaultdict(set)
    held: dict[int, set[str]] = defaultdict(set)
    grants = (
        select(ConsentGrant.user_id, Client.project_id, ConsentGrant.scopes)
        .join(Client, Client.id == ConsentGrant.client_pk)
        .where(ConsentGrant.user_id.in_(members))
    )
    tokens = (
        select(Token.user_id, Client.project_id, Token.scope)
        .join(Client, Client.id == Token.client_pk)
        .where(
            Token.user_id.in_(members),
            Token.revoked_at.is_(None),
            Token.grant_type != JWT_BEARER,
            or_(Token.expires_at > t, Token.refresh_expires_at > t),
        )
    )
    if only is not None:
        grants = grants.where(Client.project_id == only)
        tokens = tokens.where(Client.project_id == only)
    for uid, pid, granted in session.execute(grants):
        users[pid].add(uid)
        held[pid].update(granted or [])
    for holder, pid, scope in session.execute(tokens):
        if holder is not None:
            users[pid].add(holder)
            held[pid].update((scope or "").split())
    configured_q = select(OrgAppAccess).where(OrgAppAccess.org_id == org.id)
    own_q = select(Project.id).where(Project.org_id == org.id, Project.user_type == "internal")
    if only is not None:
        configured_q = configured_q.where(OrgAppAccess.project_id == only)
        own_q = own_q.where(Project.id == only)
    configured = {row.project_id: row for row in session.scalars(configured_q)}
    wanted = set(users) | set(configured) | set(session.scalars(own_q))
    if only is not None:
        wanted.add(only)
    projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(wanted)))}
    clients: dict[int, list[str]] = defaultdict(list)
    for pid, cid in session.execute(
        select(Client.project_id, Client.client_id)
        .where(Client.project_id.in_(list(projects)), Client.deleted_at.is_(None))
        .order_by(Client.id)
    ):
        clients[pid].append(cid)
    out: list[OrgApp] = []
    for pid, project in projects.items():
        row = configured.get(pid)
        out.append(
            OrgApp(
                project_id=pid,
                name=project.app_name or project.name,
                project=project.name,
                client_ids=tuple(clients[pid]),
                users=len(users[pid]),
                scopes=_by_class(catalogue, held[pid]),
                verified=verified(session, project, catalogue, sorted(held[pid])),
                access=row.access if row is not None else None,
                installed=bool(row is not None and row.installed),
                internal=project.user_type == "internal" and project.org_id == org.id,
                status=project.status,
                updated_at=row.updated_at if row is not None else None,
                updated_by=row.updated_by if row is not None else "",
            )
        )
    return out


def _by_class(catalogue: Catalogue, uris: set[str]) -> dict[str, list[str]]:
    """Scope names by class, restricted first; a scope the catalogue no longer has is skipped."""
    by: dict[str, list[str]] = {}
    for cls in reversed(CLASSES):
        names = sorted(
            info.name for u in uris if (info := catalogue.lookup(u)) is not None and info.scope_class == cls
        )
        if names:
            by[cls] = names
    return by
