"""``/api/v1``: the developer console as JSON (VERIFY-1..9).

Projects, their consent screen, scopes, test users, publishing status and members (clients.py
has the OAuth clients, verification.py the domain proofs and the request). Every route names the
permission it needs (``require``, or ``client_of`` for client routes); the session is the
browser cookie, and every write carries the ``X-CSRF-Token`` header (``GET /api/v1/session``
gives it). A view either returns and its unit of work commits, or raises and nothing is changed.
``docs/console-api.md`` is the guide.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from consentry.domain.projects.service import MAX_TEST_USERS, BrandForm
from consentry.errors import NotFound
from consentry.web.api import models as m
from consentry.web.api.console_common import (
    Editor,
    Owner,
    Viewer,
    Write,
    consent_screen_out,
    console_router,
    decode_logo,
    members_out,
    project_detail,
    project_summary,
    scopes_out,
    status_out,
)
from consentry.web.deps import ConsoleDep, CurrentUser, ProjectAccess

router = console_router()


# --- session and projects --------------------------------------------------------------------------


@router.get("/session", response_model=m.SessionOut, summary="Who is signed in, and the CSRF token")
def session(current: CurrentUser) -> m.SessionOut:
    return m.SessionOut(email=current.user.email, platform_role=current.user.role, csrf_token=current.csrf)


@router.get("/projects", response_model=m.ProjectList, summary="The projects you can see")
def list_projects(console: ConsoleDep) -> m.ProjectList:
    # Permission.PROJECT_VIEW: Projects.visible() lists only the projects the user may view.
    return m.ProjectList(projects=[project_summary(console, p) for p in console.projects.visible()])


@router.post(
    "/projects", response_model=m.ProjectDetail, status_code=201, summary="Create a project (you own it)"
)
def create_project(body: m.ProjectCreate, _: Write, console: ConsoleDep) -> m.ProjectDetail:
    project = console.projects.create(body.name, user_type=body.user_type, status=body.status)
    return project_detail(ProjectAccess(project, console, console.projects.permissions(project)))


@router.get(
    "/projects/{project}",
    response_model=m.ProjectDetail,
    summary="A project: consent screen, scopes by class, verification status, clients, members",
)
def get_project(access: Viewer) -> m.ProjectDetail:
    return project_detail(access)


@router.patch(
    "/projects/{project}/consent-screen",
    response_model=m.ConsentScreenSaved,
    summary="Change the consent-screen configuration (VERIFY-2); brand changes cancel an open review",
)
def patch_consent_screen(body: m.ConsentScreenPatch, _: Write, access: Editor) -> m.ConsentScreenSaved:
    form = BrandForm(
        app_name=body.app_name,
        support_email=body.support_email,
        home_page=body.home_page,
        privacy_policy=body.privacy_policy,
        terms=body.terms,
        authorized_domains=body.authorized_domains,
        developer_contacts=body.developer_contacts,
        logo=decode_logo(body.logo_base64) if body.logo_base64 is not None else None,
    )
    changed = access.console.projects.update_brand(access.project, form)
    return m.ConsentScreenSaved(**consent_screen_out(access.project).model_dump(), brand_changed=changed)


@router.get(
    "/projects/{project}/logo",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The logo, a 120x120 PNG"}},
    summary="The app logo shown on the consent screen",
)
def get_logo(access: Viewer) -> Response:
    if not access.project.logo_png:
        raise NotFound("logo", "the project has no logo yet")
    return Response(access.project.logo_png, media_type="image/png", headers={"Cache-Control": "private"})


@router.post("/projects/{project}/scopes", response_model=m.ScopesOut, summary="Declare or remove scopes")
def change_scopes(body: m.ListChange, _: Write, access: Editor) -> m.ScopesOut:
    access.console.projects.declare_scopes(access.project, body.add, body.remove)
    return scopes_out(access.console, access.project)


@router.post(
    "/projects/{project}/test-users",
    response_model=m.TestersOut,
    summary=f"Add or remove test users (at most {MAX_TEST_USERS})",
)
def change_test_users(body: m.TesterChange, _: Write, access: Editor) -> m.TestersOut:
    users = access.console.projects.change_test_users(access.project, body.add, body.remove)
    return m.TestersOut(test_users=users, limit=MAX_TEST_USERS)


@router.patch(
    "/projects/{project}/publishing",
    response_model=m.PublishingOut,
    summary="Publishing status (testing, production) and user type (external, internal)",
)
def patch_publishing(body: m.PublishingPatch, _: Write, access: Editor) -> m.PublishingOut:
    project = access.project
    access.console.projects.set_publishing(project, status=body.status, user_type=body.user_type)
    return m.PublishingOut(
        status=project.status, user_type=project.user_type, verification=status_out(access.console, project)
    )


Member = Annotated[str, Path(max_length=320, description="The member's account email")]


@router.put(
    "/projects/{project}/members/{email}",
    response_model=m.MembersOut,
    responses=m.CONFLICT,
    summary="Add a member or change their role (owners only)",
)
def put_member(email: Member, body: m.MemberPut, _: Write, access: Owner) -> m.MembersOut:
    access.console.projects.set_member(access.project, email, body.role)
    return members_out(access.console, access.project)


@router.delete(
    "/projects/{project}/members/{email}",
    response_model=m.MembersOut,
    responses=m.CONFLICT,
    summary="Remove a member (owners only; the last owner stays)",
)
def delete_member(email: Member, _: Write, access: Owner) -> m.MembersOut:
    access.console.projects.set_member(access.project, email, None)
    return members_out(access.console, access.project)
