"""Create projects and clients; look clients up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.clients.redirect_uris import validate_registration
from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import consumers
from consentry.domain.permissions import Permission
from consentry.domain.projects.service import RESERVED_NAME, Projects
from consentry.domain.secrets import Hasher, new_id, new_secret
from consentry.errors import Conflict, DomainError, InvalidInput, NotFound
from consentry.storage.tables import Client, Project, ProjectMember, User
from consentry.storage.tables.base import now

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
    if (
        session.scalar(select(Project).where(Project.name == name))
        or name.casefold() == RESERVED_NAME.casefold()
    ):
        raise DomainError("exists", f"project {name!r} already exists")
    if user_type == "internal" and owner.org_id is None:
        raise DomainError("invalid_user_type", "internal projects belong to an organization's user")
    project = Project(name=name, user_type=user_type, status=status, org_id=owner.org_id)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role="owner"))
    record(session, AuditTag.PROJECT_CREATE, actor=owner.email, data={"project": name}, channel=Channel.CLI)
    return project


def find_project(session: Session, name: str) -> Project | None:
    return session.scalar(select(Project).where(Project.name == name))


class _Rows(Protocol):
    """Where a new client row goes: a Session or a ConsoleRepository."""

    def add(self, row: Any) -> None: ...
    def flush(self) -> None: ...


def create_client(
    session: _Rows,
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
    if name is not None and (not name.strip() or len(name) > 200 or not name.isprintable()):
        raise InvalidInput("invalid_name", "a client name is 1-200 printable characters")
    uris = [validate_registration(u, client_type) for u in (redirect_uris or [])]
    if client_type in ("web", "installed") and not uris:
        default = "http://127.0.0.1" if client_type == "installed" else None
        if default is None:
            raise DomainError("invalid_redirect_uri", "a web client needs at least one redirect URI")
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
    return NewClient(client, secret)


def find_client(session: Session, client_id: str) -> Client | None:
    return session.scalar(select(Client).where(Client.client_id == client_id))


#: A deleted client can be restored for this long, then the janitor removes it (PLATFORM_RULES).
RESTORE_DAYS = 30


def client_summary(client: Client) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": client.client_type,
        "redirect_uris": list(client.redirect_uris or []),
        "confidential": client.secret_hash is not None or client.secret_sealed is not None,
        "access_token_format": client.access_token_format,
        "can_introspect": client.can_introspect,
        "disabled": client.disabled,
        "deleted_at": client.deleted_at,
        "created_at": client.created_at,
        "project": client.project.name,
        **(consumers.summary(client) if client.client_type == consumers.CLIENT_TYPE else {}),
    }


class Clients:
    """List, show, create, rotate, disable, enable and delete a project's OAuth clients (VERIFY-8)."""

    def __init__(self, projects: Projects, hasher: Hasher) -> None:
        self.projects = projects
        self.repo = projects.repo
        self.hasher = hasher

    def list(self, project: Project, *, deleted: bool = False) -> list[Client]:
        self.projects.get(project.name, Permission.PROJECT_VIEW)
        return self.repo.clients(project.id, deleted=deleted)

    def get(self, client_id: str, need: Permission = Permission.PROJECT_VIEW) -> Client:
        client = self.repo.client(client_id)
        if client is None:
            raise NotFound("client", f"no client {client_id!r}")
        try:
            self.projects.get(client.project.name, need)
        except NotFound:
            raise NotFound("client", f"no client {client_id!r}") from None
        return client

    def create(self, project: Project, client_type: str, **options: Any) -> NewClient:
        self.projects.get(project.name, Permission.CLIENT_SECRET)
        new = create_client(self.repo, self.hasher, project, client_type, **options)
        self._audit(AuditTag.CLIENT_CREATE, new.client, type=client_type)
        return new

    def create_consumer(self, project: Project, envelope: Envelope, **options: Any) -> NewClient:
        """An OAuth 1.0a consumer (domain/legacy/consumers.py): its secret is sealed, not hashed."""
        self.projects.get(project.name, Permission.CLIENT_SECRET)
        new = consumers.create(self.repo, envelope, project, **options)
        self._audit(AuditTag.CLIENT_CREATE, new.client, type=consumers.CLIENT_TYPE)
        return NewClient(new.client, new.consumer_secret)

    def rotate_secret(self, client_id: str, envelope: Envelope | None = None) -> str:
        """A new secret, shown once; the old one stops working at once (tokens already issued stay).
        An OAuth 1.0a consumer's is sealed, not hashed (``envelope``): HMAC-SHA1 needs it back."""
        client = self.get(client_id, Permission.CLIENT_SECRET)
        if client.client_type == consumers.CLIENT_TYPE and envelope is not None:
            if client.deleted_at is not None:
                raise Conflict("deleted_client", "restore the client before rotating its secret")
            secret = new_secret(24)
            client.secret_sealed = consumers.seal_secret(envelope, client.client_id, secret)
            self._audit(AuditTag.CLIENT_ROTATE, client)
            return secret
        if client.secret_hash is None:
            raise InvalidInput("public_client", f"a {client.client_type} client has no secret to rotate")
        if client.deleted_at is not None:
            raise Conflict("deleted_client", "restore the client before rotating its secret")
        secret = new_secret()
        client.secret_hash = self.hasher.hash(secret)
        self._audit(AuditTag.CLIENT_ROTATE, client)
        return secret

    def set_disabled(self, client_id: str, disabled: bool) -> Client:
        """A disabled client gets no token, and the tokens it holds stop working (revoked)."""
        client = self.get(client_id, Permission.PROJECT_EDIT)
        if client.deleted_at is not None and not disabled:
            raise Conflict("deleted_client", "a deleted client is restored with `restore`, not enabled")
        client.disabled = disabled
        revoked = self.repo.revoke_client_tokens(client.id, now()) if disabled else 0
        self._audit(AuditTag.CLIENT_DISABLE if disabled else AuditTag.CLIENT_ENABLE, client, revoked=revoked)
        return client

    def delete(self, client_id: str) -> Client:
        """Deleted: disabled, its tokens revoked, hidden from the list; restorable for 30 days."""
        client = self.get(client_id, Permission.PROJECT_EDIT)
        if client.deleted_at is not None:
            raise Conflict("deleted_client", f"client {client_id!r} is already deleted")
        client.disabled = True
        client.deleted_at = now()
        revoked = self.repo.revoke_client_tokens(client.id, client.deleted_at)
        self._audit(AuditTag.CLIENT_DELETE, client, revoked=revoked)
        return client

    def restore(self, client_id: str) -> Client:
        """Undo a delete within RESTORE_DAYS; the client comes back disabled (its tokens stay revoked)."""
        client = self.get(client_id, Permission.PROJECT_EDIT)
        if client.deleted_at is None:
            raise Conflict("not_deleted", f"client {client_id!r} is not deleted")
        if now() - client.deleted_at > RESTORE_DAYS * 86400:
            raise Conflict(
                "deleted_client", f"client {client_id!r} was deleted more than {RESTORE_DAYS} days ago"
            )
        client.deleted_at = None
        self._audit(AuditTag.CLIENT_RESTORE, client)
        return client

    def _audit(self, tag: AuditTag, client: Client, **data: object) -> None:
        self.repo.audit(
            tag, self.projects.actor, {"project": client.project.name, "client_id": client.client_id, **data}
        )
