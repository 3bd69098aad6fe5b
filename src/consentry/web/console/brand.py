"""The consent-screen configuration (VERIFY-2): what users see before they authorize the app.

Every rule (branding, public https URLs on the authorized domains, the logo re-encoded from its
pixels) is the domain's (domain/projects/branding.py, logo.py); this page only carries the form.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.permissions import Permission
from consentry.domain.projects.logo import MAX_BYTES as LOGO_MAX_BYTES
from consentry.domain.projects.service import BrandForm
from consentry.domain.verification.states import ReviewState
from consentry.errors import DomainError
from consentry.storage.tables import Project
from consentry.web.console.common import Form, failed, lines, page, redirect, status_of, text, upload
from consentry.web.deps import Csrf, ProjectAccess, require

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
TAB = "consent-screen"
FIELDS = ("app_name", "support_email", "home_page", "privacy_policy", "terms")


def _values(project: Project) -> dict[str, str]:
    values = {f: str(getattr(project, f) or "") for f in FIELDS}
    values["authorized_domains"] = "\n".join(project.authorized_domains or [])
    values["developer_contacts"] = "\n".join(project.developer_contacts or [])
    return values


def _show(access: ProjectAccess, form: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    project = access.project
    logo_version = hashlib.sha256(project.logo_png).hexdigest()[:12] if project.logo_png else ""
    return page(
        access,
        "brand.html",
        tab=TAB,
        form=form or _values(project),
        logo_version=logo_version,
        logo_limit=LOGO_MAX_BYTES,
        **context,
    )


@router.get("/console/projects/{project}/consent-screen")
def brand_page(access: View, done: str = "") -> HTMLResponse:
    return _show(access, done=done)


def _optional(typed: str, current: object) -> str | None:
    """Blank leaves a field that was never set unset (fill the form in steps); clearing a set one
    is a change the domain judges."""
    return None if not typed.strip() and not current else typed


@router.post("/console/projects/{project}/consent-screen")
def save_brand(_: Csrf, access: Edit, form: Form) -> Response:
    project = access.project
    typed = {f: text(form, f) for f in (*FIELDS, "authorized_domains", "developer_contacts")}
    contacts = lines(typed["developer_contacts"], commas=True)
    try:
        changed = access.console.projects.update_brand(
            project,
            BrandForm(
                app_name=typed["app_name"],
                support_email=_optional(typed["support_email"], project.support_email),
                home_page=_optional(typed["home_page"], project.home_page),
                privacy_policy=_optional(typed["privacy_policy"], project.privacy_policy),
                terms=typed["terms"],
                authorized_domains=lines(typed["authorized_domains"], commas=True),
                developer_contacts=contacts if contacts or project.developer_contacts else None,
                logo=upload(form, "logo", "logo"),
            ),
        )
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _show(access, typed, **kw))
    status = status_of(access)
    review_again = changed and (
        status.review_state == ReviewState.CANCELLED.value
        or any(m.code == "brand_changed" for m in status.missing)
    )
    return redirect(project.name, TAB, done="brand_changed" if review_again else "brand")
