"""The apps pages of the organization admin console (issue 14, VERIFY-10): the apps the members
use, and per app its access (trusted, limited, blocked, or the policy for unconfigured apps) and
domain-wide installation.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.orgs import access_requests, admin
from consentry.domain.orgs.apps import app, apps, project_of_client
from consentry.errors import DomainError
from consentry.web.deps import Csrf
from consentry.web.org_admin.common import Form, OrgAdmin, OrgConsole, RowId, page, redirect, text

router = APIRouter(include_in_schema=False)

ACCESS_CHOICES = (
    ("trusted", "Trusted", "May ask for any scope, including the APIs you restrict."),
    ("limited", "Limited", "Sign-in and non-sensitive scopes only: no mail, files or other private data."),
    ("blocked", "Blocked", "Refused to every member, with your message; tokens it holds stop working."),
    ("", "Not configured", "Follows your policy for apps you have not configured."),
)
UNCONFIGURED_WORDS = {"allow": "allowed", "sign-in-only": "sign-in only", "block": "blocked"}


def _list(oc: OrgConsole, typed: str = "", **kw: Any) -> HTMLResponse:
    return page(
        oc,
        "org_admin/apps.html",
        "apps",
        apps=apps(oc.db, oc.org, oc.catalogue),
        unconfigured=UNCONFIGURED_WORDS.get(oc.org.unconfigured or "allow", "allowed"),
        typed=typed,
        **kw,
    )


@router.get("/admin/apps")
def apps_page(oc: OrgAdmin, done: str = "") -> HTMLResponse:
    return _list(oc, done=done)


@router.post("/admin/apps")
def find_app(_: Csrf, oc: OrgAdmin, form: Form) -> Response:
    """Configure an app nobody uses yet, named by one of its client IDs."""
    client_id = text(form, "client_id", 100).strip()
    try:
        project = project_of_client(oc.db, client_id)
    except DomainError as exc:
        return _list(oc, client_id, error=exc)
    return RedirectResponse(f"/admin/apps/{project.id}", status_code=303)


def _app(oc: OrgConsole, project_id: RowId, **kw: Any) -> HTMLResponse:
    one = app(oc.db, oc.org, project_id, oc.catalogue)
    asked = [r for r in access_requests.listing(oc.db, oc.org.id) if r.project_id == project_id]
    return page(
        oc,
        "org_admin/app.html",
        "apps",
        a=one,
        choices=ACCESS_CHOICES,
        unconfigured=UNCONFIGURED_WORDS.get(oc.org.unconfigured or "allow", "allowed"),
        requests=asked,
        **kw,
    )


@router.get("/admin/apps/{project_id}")
def app_page(project_id: RowId, oc: OrgAdmin, done: str = "") -> HTMLResponse:
    return _app(oc, project_id, done=done)


@router.post("/admin/apps/{project_id}/access")
def set_access(project_id: RowId, _: Csrf, oc: OrgAdmin, form: Form) -> Response:
    access = text(form, "access", 10) or None
    try:
        admin.set_access(
            oc.db, oc.org, project_id, access, actor=oc.actor, channel=oc.channel, catalogue=oc.catalogue
        )
    except DomainError as exc:
        oc.db.rollback()
        return _app(oc, project_id, error=exc)
    return redirect(f"/admin/apps/{project_id}", "access")


@router.post("/admin/apps/{project_id}/install")
def set_installed(project_id: RowId, _: Csrf, oc: OrgAdmin, form: Form) -> Response:
    on = text(form, "installed", 5) == "on"
    try:
        admin.set_installed(
            oc.db, oc.org, project_id, on, actor=oc.actor, channel=oc.channel, catalogue=oc.catalogue
        )
    except DomainError as exc:
        oc.db.rollback()
        return _app(oc, project_id, error=exc)
    return redirect(f"/admin/apps/{project_id}", "installed" if on else "uninstalled")
