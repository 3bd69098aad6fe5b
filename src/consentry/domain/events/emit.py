"""RISC events for a user (DATA-4): queued for every project that must hear of the change.

The reference platform's rule (PLATFORM_RULES, "Cross-Account Protection"): events go only to
apps the user shared their identity with, that is granted ``profile`` or ``email``; an app that
has no endpoint gets nothing (there is nowhere to push, and nothing waits for one to appear).
Call :func:`emit` in the transaction of the change, *before* rows it reads go away: deleting a
user deletes their grants, so ``account-purged`` is emitted first and commits with the deletion.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.events import queue
from consentry.domain.events.types import RISC_NAMES, risc_uri
from consentry.errors import InvalidInput, NotFound
from consentry.storage.tables import Client, ConsentGrant, Project, SecurityEvent, User

#: The grants that make a project one of the user's identity relying parties.
IDENTITY_SCOPES = frozenset({"profile", "email"})


def listening_projects(session: Session, user_id: int) -> list[Project]:
    """Projects with an endpoint whose clients the user granted ``profile`` or ``email``."""
    rows = session.execute(
        select(Project, ConsentGrant.scopes)
        .join(Client, Client.project_id == Project.id)
        .join(ConsentGrant, ConsentGrant.client_pk == Client.id)
        .where(ConsentGrant.user_id == user_id, Project.events_endpoint != "")
        .order_by(Project.id)
    )
    chosen: dict[int, Project] = {}
    for project, scopes in rows:
        if IDENTITY_SCOPES & set(scopes or []):
            chosen.setdefault(project.id, project)
    return list(chosen.values())


def emit(
    session: Session,
    *,
    event: str,
    user_id: int,
    project_id: int | None = None,
    issuer: str,
) -> list[SecurityEvent]:
    """Queue the RISC ``event`` (``account-disabled``, ...) about the user; returns the rows added.

    ``project_id`` None: every project :func:`listening_projects` finds. A project named by the
    caller is told whatever its grants (the caller knows why, e.g. the user just revoked its
    access); either way a project without an endpoint gets no row.
    """
    if event not in RISC_NAMES:
        raise InvalidInput("invalid_event", f"event must be one of {', '.join(RISC_NAMES)}")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", f"no user {user_id}")
    if project_id is None:
        projects = listening_projects(session, user_id)
    else:
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound("project", f"no project {project_id}")
        projects = [project] if project.events_endpoint else []
    return [
        queue.add(
            session,
            project=project,
            event_type=risc_uri(event),
            issuer=issuer,
            user_id=user.id,
            sub=user.sub,
        )
        for project in projects
    ]
