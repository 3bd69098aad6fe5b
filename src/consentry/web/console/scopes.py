"""Declared scopes, grouped non-sensitive / sensitive / restricted with what each group requires
(VERIFY-2, VERIFY-6): the developer sees the cost of a scope before asking for it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.permissions import Permission
from consentry.domain.scopes.catalogue import CLASSES, VERIFICATION, ScopeInfo
from consentry.errors import DomainError, InvalidInput
from consentry.web.console.common import Form, failed, page, redirect, text
from consentry.web.deps import Csrf, ProjectAccess, require

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
TAB = "scopes"
#: What each group means for the developer, beside the catalogue's short requirement.
GROUP_NOTE = {
    "non-sensitive": "Basic sign-in and narrow access; no review.",
    "sensitive": "Users' private data: a reviewer checks how each scope is used before the app is public.",
    "restricted": (
        "The most private data: a review, and a yearly security assessment when the data reaches "
        "your servers."
    ),
}


def _show(access: ProjectAccess, **context: Any) -> HTMLResponse:
    projects = access.console.projects
    catalogue = projects.catalogue
    declared = set(access.project.declared_scopes or [])
    by_class = projects.scopes_by_class(access.project)
    groups = [
        (c, VERIFICATION[c], GROUP_NOTE[c], [catalogue.get(s) or s for s in by_class[c]]) for c in CLASSES
    ]
    available: dict[str, list[ScopeInfo]] = {}
    for info in sorted(catalogue.by_uri.values(), key=lambda s: (s.api, s.rank, s.name)):
        if info.uri not in declared:
            available.setdefault(info.api, []).append(info)
    context.setdefault("chosen", "")
    return page(access, "scopes.html", tab=TAB, groups=groups, available=available, **context)


@router.get("/console/projects/{project}/scopes")
def scopes_page(access: View, done: str = "") -> HTMLResponse:
    return _show(access, done=done)


@router.post("/console/projects/{project}/scopes")
def change_scopes(_: Csrf, access: Edit, form: Form) -> Response:
    add, remove = text(form, "add"), text(form, "remove")
    try:
        if not add and not remove:
            raise InvalidInput("invalid_scope", "Choose a scope to add.")
        access.console.projects.declare_scopes(
            access.project, add=[add] if add else [], remove=[remove] if remove else []
        )
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _show(access, **kw), chosen=add)
    return redirect(access.project.name, TAB, done="scope_added" if add else "scope_removed")
