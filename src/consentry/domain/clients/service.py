"""Create projects and clients; look clients up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.clients.redirect_uris import validate_registration
from consentry.domain.secrets import Hasher, new_id, new_secret
from consentry.errors import DomainError
from consentry.storage.tables import Client, Project, ProjectMember, User

CLIENT_TYPES = ("web", "installed", "device", "service")
#: Clients that can keep a secret.
CONFIDENTIAL = ("web", "service")


@dataclass(frozen=True)
class NewClient:
    client: Client
    client_secret: str | None


def create_project(
    session: Session,
    name: str,
    owner: User,
    *,
    user_type: str = "external",
    status: str = "testing",
) -> Project:
    if user_type not in ("external", "internal"):
        raise DomainError("invalid_user_type", "user type is external or internal")
    if status not in ("testing", "production"):
        raise DomainError("invalid_status", "publishing status is testing or production")
    if not name.strip():
        raise DomainError("invalid_name", "a project needs a name")
    if session.scalar(select(Project).where(Project.name == name)):
        raise DomainError("exists", f"project {name!r} already exists")
    if user_type == "internal" and owner.org_id is None:
        raise DomainError("invalid_user_type", "internal projects belong to an organization's user")
    project = Project(name=name, user_type=user_type, status=status, org_id=owner.org_id)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role="owner"))
    record(session, "cli:project:create", actor=owner.email, data={"project": name})
    return project


def find_project(session: Session, name: str) -> Project | None:
    return session.scalar(select(Project).where(Project.name == name))


def create_client(
    session: Session,
    hasher: Hasher,
    project: Project,
    client_type: str,
    *,
    name: str | None = None,
    redirect_uris: list[str] | None = None,
    access_token_format: str = "opaque",
    id_token_alg: str = "RS256",
    can_introspect: bool = False,
) -> NewClient:
    if client_type not in CLIENT_TYPES:
        raise DomainError("invalid_client_type", f"client type is one of {', '.join(CLIENT_TYPES)}")
    uris = [validate_registration(u, client_type) for u in (redirect_uris or [])]
    if client_type in ("web", "installed") and not uris:
        default = "http://127.0.0.1" if client_type == "installed" else None
        if default is None:
            raise DomainError("invalid_redirect_uri", "web clients need at least one --redirect-uri")
        uris = [default]
    if client_type in ("device", "service") and uris:
        raise DomainError("invalid_redirect_uri", f"{client_type} clients take no redirect URIs")
    if access_token_format not in ("opaque", "jwt"):
        raise DomainError("invalid_format", "access token format is opaque or jwt")
    if id_token_alg not in ("RS256", "ES256"):
        raise DomainError("invalid_alg", "ID tokens are signed RS256 or ES256")
    if can_introspect and client_type not in CONFIDENTIAL:
        raise DomainError("invalid_client_type", "only web or service clients can introspect tokens")
    secret = new_secret() if client_type in CONFIDENTIAL else None
    client = Client(
        client_id=f"{new_id(10)}.apps.consentry",
        project_id=project.id,
        name=name or f"{project.name} ({client_type})",
        client_type=client_type,
        secret_hash=hasher.hash(secret) if secret else None,
        redirect_uris=uris,
        access_token_format=access_token_format,
        id_token_alg=id_token_alg,
        can_introspect=can_introspect,
    )
    session.add(client)
    session.flush()
    record(session, "cli:client:create", data={"client_id": client.client_id, "type": client_type})
    return NewClient(client, secret)


def find_client(session: Session, client_id: str) -> Client | None:
    return session.scalar(select(Client).where(Client.client_id == client_id))
