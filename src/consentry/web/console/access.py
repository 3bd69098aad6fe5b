"""Who can use the app and who runs it: publishing status and user type, test users, members.

Publishing decides which exception applies (VERIFY-10: Testing, Internal); test users are the
only ones a project in Testing reaches (at most 100, VERIFY-11); members hold the project roles
(VERIFY-1), changed only by owners.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.permissions import Permission, ProjectRole
from consentry.domain.projects.service import MAX_TEST_USERS
from consentry.errors import DomainError, InvalidInput, LimitReached
from consentry.web.console.common import Form, failed, lines, page, redirect, text
from consentry.web.deps import Csrf, ProjectAccess, require

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
Owners = Annotated[ProjectAccess, require(Permission.PROJECT_MEMBERS)]

ROLES = {
    ProjectRole.OWNER.value: "Owner: everything, including who the members are",
    ProjectRole.EDITOR.value: "Editor: consent screen, scopes, clients and verification",
    ProjectRole.VIEWER.value: "Viewer: sees the project, changes nothing",
}


# --- publishing ----------------------------------------------------------------------------------
def _publishing(access: ProjectAccess, **context: Any) -> HTMLResponse:
    project = access.project
    context.setdefault("form", {"status": project.status, "user_type": project.user_type})
    return page(access, "publishing.html", tab="publishing", **context)


@router.get("/console/projects/{project}/publishing")
def publishing_page(access: View, done: str = "") -> HTMLResponse:
    return _publishing(access, done=done)


@router.post("/console/projects/{project}/publishing")
def set_publishing(_: Csrf, access: Edit, form: Form) -> Response:
    typed = {"status": text(form, "status"), "user_type": text(form, "user_type")}
    try:
        access.console.projects.set_publishing(
            access.project, status=typed["status"] or None, user_type=typed["user_type"] or None
        )
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _publishing(access, **kw), form=typed)
    return redirect(access.project.name, "publishing", done="publishing")


# --- test users ----------------------------------------------------------------------------------
def _test_users(access: ProjectAccess, **context: Any) -> HTMLResponse:
    context.setdefault("typed", "")
    return page(access, "test_users.html", tab="test-users", limit=MAX_TEST_USERS, **context)


@router.get("/console/projects/{project}/test-users")
def test_users_page(access: View, done: str = "") -> HTMLResponse:
    return _test_users(access, done=done)


@router.post("/console/projects/{project}/test-users")
def change_test_users(_: Csrf, access: Edit, form: Form) -> Response:
    typed, remove = text(form, "add"), text(form, "remove")
    adding = lines(typed, commas=True)
    have = list(access.project.test_users or [])
    try:
        if not adding and not remove:
            raise InvalidInput("invalid_email", "Enter the email address of at least one test user.")
        access.console.projects.change_test_users(
            access.project, add=adding, remove=[remove] if remove else []
        )
    except LimitReached as exc:
        would = len({*have, *(a.lower() for a in adding)})
        why = LimitReached(
            f"{exc.message}: the project lists {len(have)}, and these would make {would}. "
            "Remove some first, or publish the app to reach more users."
        )
        return failed(access, why, lambda **kw: _test_users(access, **kw), typed=typed)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _test_users(access, **kw), typed=typed)
    return redirect(access.project.name, "test-users", done="test_users")


# --- members -------------------------------------------------------------------------------------
def _members(access: ProjectAccess, **context: Any) -> HTMLResponse:
    context.setdefault("form", {"email": "", "role": ProjectRole.EDITOR.value})
    members = access.console.projects.repo.members(access.project.id)
    return page(access, "members.html", tab="members", members=members, roles=ROLES, **context)


@router.get("/console/projects/{project}/members")
def members_page(access: View, done: str = "") -> HTMLResponse:
    return _members(access, done=done)


@router.post("/console/projects/{project}/members")
def change_member(_: Csrf, access: Owners, form: Form) -> Response:
    """Add (email + role), change a role, or remove (``role`` = "remove")."""
    typed = {"email": text(form, "email").strip(), "role": text(form, "role")}
    try:
        if not typed["email"]:
            raise InvalidInput("invalid_email", "Enter the email address of the person's account.")
        role = None if typed["role"] == "remove" else typed["role"]
        access.console.projects.set_member(access.project, typed["email"], role)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _members(access, **kw), form=typed)
    return redirect(access.project.name, "members", done="members")
