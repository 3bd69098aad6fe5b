"""The one shape of a console view: its unit of work, the signed-in user, CSRF, permissions.

A view declares what it needs and gets it, or the request is refused before the view runs:

    @router.post("/console/projects/{project}/brand")
    def save(access: Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)], _: Csrf): ...

``require`` resolves ``{project}`` and checks the permission with domain/permissions.py, so no
handler repeats the preamble. The unit of work commits when the view returns, before the
response is sent (``scope="function"``), so nothing is answered that did not commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.clients.service import Clients
from consentry.domain.incidents.service import Incidents
from consentry.domain.permissions import Permission
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.review import Review
from consentry.domain.verification.service import Verification
from consentry.errors import DomainError, Forbidden
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.repositories.incidents import SqlIncidents
from consentry.storage.tables import Project, User
from consentry.storage.tables.base import now
from consentry.web.runtime import runtime
from consentry.web.session import BrowserState


class SignInRequired(Exception):
    """No signed-in account: pages redirect to sign-in, the API answers 401."""

    def __init__(self, next_path: str, email: str = "") -> None:
        super().__init__(next_path)
        self.next_path = next_path
        #: Set when the account is signed in but not recently enough (:data:`RecentUser`).
        self.email = email


class CsrfFailed(DomainError):
    status = 403

    def __init__(self) -> None:
        super().__init__("csrf", "The form's session check failed: reload the page and try again.")


def _unit_of_work(request: Request) -> Iterator[Session]:
    with runtime(request).ctx.db.unit_of_work() as db:
        yield db


UnitOfWork = Annotated[Session, Depends(_unit_of_work, scope="function")]


def _channel(request: Request) -> Channel:
    return Channel.API if request.url.path.startswith("/api/") else Channel.WEB


@dataclass
class Current:
    """The signed-in user of this request, the browser state and who acts (for audit)."""

    user: User
    state: BrowserState
    actor: Actor
    csrf: str


def _current_user(request: Request, db: UnitOfWork) -> Current:
    rt = runtime(request)
    state = rt.sessions.state(request)
    accounts = rt.sessions.accounts(db, state)
    if not accounts:
        raise SignInRequired(request.url.path)
    user = accounts[0]
    actor = Actor(email=user.email, user_id=user.id, platform_role=user.role, channel=_channel(request))
    return Current(user, state, actor, rt.sessions.csrf_token(state))


CurrentUser = Annotated[Current, Depends(_current_user)]


def _recent_user(request: Request, db: UnitOfWork, current: CurrentUser) -> Current:
    """The current user, signed in within ``reauth_window`` (else asked for their password again).

    Changing how one signs in (two-step, passkeys, app passwords) or deleting the account must not
    be possible for whoever finds a browser left signed in. Every POST path guarded by this also
    answers GET (its form), so the sign-in that follows can return to it.
    """
    rt = runtime(request)
    at = rt.sessions.auth_time(db, current.state, current.user.id) or 0
    if now() - at > rt.ctx.settings.reauth_window:
        raise SignInRequired(request.url.path, email=current.user.email)
    return current


RecentUser = Annotated[Current, Depends(_recent_user)]


async def _csrf(request: Request) -> None:
    """Forms carry ``csrf``; API writes carry the ``X-CSRF-Token`` header (both bound to the cookie)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    rt = runtime(request)
    token = request.headers.get("x-csrf-token")
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        token = value if isinstance(value, str) else None
    if not rt.sessions.check_csrf(rt.sessions.state(request), token):
        raise CsrfFailed()


Csrf = Annotated[None, Depends(_csrf)]


@dataclass
class Console:
    """The domain services, acting as the current user, in this request's unit of work."""

    current: Current
    db: Session
    projects: Projects
    clients: Clients
    verification: Verification
    review: Review
    incidents: Incidents


def _console(request: Request, db: UnitOfWork, current: CurrentUser) -> Console:
    rt = runtime(request)
    projects = Projects(SqlConsole(db, rt.ctx.issuer), current.actor, Catalogue(rt.ctx.issuer))
    verification = Verification(projects)
    settings = rt.ctx.settings
    incidents = Incidents(
        projects,
        SqlIncidents(db, settings.issuer_url),
        security_contact=settings.security_contact_address,
        issuer=settings.issuer_url,
    )
    return Console(
        current, db, projects, Clients(projects, rt.ctx.hasher), verification, Review(verification), incidents
    )


ConsoleDep = Annotated[Console, Depends(_console)]


@dataclass
class ProjectAccess:
    project: Project
    console: Console
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def require(permission: Permission) -> Any:
    """A dependency: the ``{project}`` of the path, if the current user holds ``permission`` on it."""

    def check(project: str, console: ConsoleDep) -> ProjectAccess:
        row = console.projects.get(project, permission)
        return ProjectAccess(row, console, console.projects.permissions(row))

    return Depends(check)


def require_platform(permission: Permission) -> Any:
    """A dependency for platform-wide views (the reviewer console, the outbox)."""

    def check(console: ConsoleDep) -> Console:
        actor = console.current.actor
        from consentry.domain.permissions import granted

        if not actor.is_operator and permission not in granted(actor.platform_role, None):
            raise Forbidden(f"this needs the {permission.value} permission")
        return console

    return Depends(check)


def signin_redirect(next_path: str, email: str = "") -> str:
    """The sign-in page, then ``next_path``; with ``email`` it asks that account to sign in again."""
    query = {"next": next_path, **({"email": email, "again": "1"} if email else {})}
    return "/signin?" + urlencode(query)
