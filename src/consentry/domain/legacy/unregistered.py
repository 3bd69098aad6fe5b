"""The built-in apps that stand for unregistered legacy callers.

OAuth 1.0a lets installed apps sign as consumer ``anonymous``/``anonymous`` (AUTH1-2), AuthSub lets
any web page ask (AUTH3-4) and ClientLogin names no app at all (``source`` is free text). Each is
one client of the operator's project "Unregistered legacy apps": a production, external project
that no reviewer verified. So the policy gate treats these callers exactly as it treats any
unverified app (the unverified-app screen, its user cap, organization rules), their grants show
on the account page, and "Remove access" takes them back. Created on first use, race-safe.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consentry.domain.projects.service import RESERVED_NAME
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import Conflict
from consentry.storage.tables import Client, Project, ProjectMember

PROJECT = RESERVED_NAME
APP_NAME = "Unregistered older apps"


class Kind(enum.Enum):
    #: client_id is the consumer key old installed apps sign with (secret "anonymous").
    OAUTH1 = "anonymous"
    AUTHSUB = "authsub-unregistered"
    CLIENTLOGIN = "clientlogin"


NAMES = {
    Kind.OAUTH1: "Unregistered OAuth 1.0a app",
    Kind.AUTHSUB: "Unregistered AuthSub web app",
    Kind.CLIENTLOGIN: "ClientLogin (installed apps)",
}
#: Client types: never one the OAuth 2.0 endpoints accept (protocol/oauth2/models.may_use_grant).
TYPES = {Kind.OAUTH1: "oauth1", Kind.AUTHSUB: "authsub", Kind.CLIENTLOGIN: "clientlogin"}


def _project(session: Session, catalogue: Catalogue) -> Project:
    project = session.scalar(select(Project).where(Project.name == PROJECT))
    if project is not None and session.scalar(
        select(ProjectMember.id).where(ProjectMember.project_id == project.id).limit(1)
    ):
        # Only the operator's own project (no members) may stand for unregistered apps; the name
        # is reserved (domain/projects/service.py), so this is a database from before that rule.
        raise Conflict("reserved_name", f"a developer's project is named {PROJECT!r}: rename it")
    if project is None:
        project = Project(
            name=PROJECT,
            user_type="external",
            status="production",
            app_name=APP_NAME,
            # Every scope a legacy table can name: the gate judges these apps by class, not by
            # a declaration nobody made.
            declared_scopes=catalogue.uris(),
        )
        session.add(project)
        session.flush()
    return project


def ensure(session: Session, kind: Kind, catalogue: Catalogue) -> Client:
    """The built-in client for ``kind``, created with its project if missing."""
    client = session.scalar(select(Client).where(Client.client_id == kind.value))
    if client is not None:
        return client
    try:
        with session.begin_nested():
            project = _project(session, catalogue)
            client = Client(
                client_id=kind.value,
                project_id=project.id,
                name=NAMES[kind],
                client_type=TYPES[kind],
                redirect_uris=[],
            )
            session.add(client)
            session.flush()
    except IntegrityError:  # another request created it at the same moment
        client = session.scalar(select(Client).where(Client.client_id == kind.value))
        assert client is not None
    return client


def is_unregistered(client_id: str) -> bool:
    return client_id in {k.value for k in Kind}
