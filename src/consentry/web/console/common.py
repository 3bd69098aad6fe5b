"""What every developer-console page shares: the form reader, the page frame, the failure path.

A failed form is answered by :func:`failed`: the transaction is rolled back first (so nothing a
service did before raising can commit with the unit of work), then the same form is rendered
with the message beside it and the user's input kept, under the error's own status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse

from consentry.domain.permissions import Permission
from consentry.domain.times import when
from consentry.domain.verification.status import VerificationStatus
from consentry.errors import DomainError, InvalidInput, http_status
from consentry.web.deps import ProjectAccess
from consentry.web.render import render


async def _form(request: Request) -> FormData:
    """The posted form, parsed once (the CSRF check has already read it; Starlette caches it)."""
    return await request.form()


Form = Annotated[FormData, Depends(_form)]

#: The sections of a project, in the order of its tab bar: (slug, label).
TABS: tuple[tuple[str, str], ...] = (
    ("", "Overview"),
    ("consent-screen", "Consent screen"),
    ("scopes", "Scopes"),
    ("domains", "Domains"),
    ("verification", "Verification"),
    ("clients", "Clients"),
    ("test-users", "Test users"),
    ("members", "Members"),
    ("publishing", "Publishing"),
    ("events", "Events"),
)
#: Where each ``Missing.section`` of the verification status is fixed.
SECTION_TAB = {"brand": "consent-screen", "domains": "domains", "review": "verification", "assessment": ""}

#: What a successful post says on the page it redirects to (``?done=<key>``).
DONE = {
    "created": "Project created. Start with the consent screen, then declare the scopes the app asks for.",
    "brand": "Consent screen saved.",
    "brand_changed": (
        "Consent screen saved. The app's name, logo or domains changed: the brand is reviewed again "
        "(usually 2-3 business days) before the app is shown as verified."
    ),
    "scope_added": "Scope added.",
    "scope_removed": "Scope removed.",
    "publishing": "Publishing settings saved.",
    "test_users": "Test users saved.",
    "members": "Members saved.",
    "client_disabled": "Client disabled: it gets no tokens, and the tokens it held no longer work.",
    "client_enabled": "Client enabled.",
    "client_deleted": "Client deleted. Its tokens no longer work.",
    "draft": "Draft saved. Submit it when every answer is given.",
    "submitted": "Submitted for verification. You will get an email when a reviewer has looked at it.",
    "answered": "Answer sent to the reviewers. The review continues.",
}


def url(project: str, tab: str = "") -> str:
    """The console address of a project's section; project names may hold spaces."""
    base = "/console/projects/" + quote(project, safe="")
    return f"{base}/{tab}" if tab else base


def redirect(project: str, tab: str = "", done: str = "") -> RedirectResponse:
    """Post/redirect/get: the page is reloaded from what committed, with a notice."""
    target = url(project, tab) + (f"?done={done}" if done else "")
    return RedirectResponse(target, status_code=303)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def lines(value: str, *, commas: bool = False) -> list[str]:
    """One item per line, blanks dropped: how the list fields are typed. ``commas`` also splits at
    commas, for lists of emails or domains (never for URLs, which may hold commas)."""
    return [item.strip() for item in re.split(r"[\r\n,]+" if commas else r"[\r\n]+", value) if item.strip()]


def upload(form: FormData, name: str, what: str) -> bytes | None:
    """The bytes of a file field, or None when no file was chosen.

    The route's body limit (web/body_rules.py) bounds what can arrive; the caller's rule judges
    the size, so its message gives the file's real size.
    """
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    data = value.file.read()
    if not data:
        raise InvalidInput("empty_file", f"The {what} file is empty.")
    return data


@dataclass(frozen=True)
class Can:
    """What the signed-in user may do on this project, for the templates to show or hide forms."""

    edit: bool
    members: bool
    submit: bool
    secrets: bool

    @classmethod
    def of(cls, access: ProjectAccess) -> Can:
        return cls(
            edit=access.can(Permission.PROJECT_EDIT),
            members=access.can(Permission.PROJECT_MEMBERS),
            submit=access.can(Permission.PROJECT_SUBMIT),
            secrets=access.can(Permission.CLIENT_SECRET),
        )


def status_of(access: ProjectAccess) -> VerificationStatus:
    return access.console.verification.status(access.project)


def page(
    access: ProjectAccess,
    template: str,
    *,
    tab: str,
    status_code: int = 200,
    error: DomainError | None = None,
    done: str = "",
    status: VerificationStatus | None = None,
    **context: Any,
) -> HTMLResponse:
    """A project section inside the console frame: header, verification line, tabs, notices."""
    project = access.project
    return render(
        f"console/{template}",
        status_code=status_code,
        project=project,
        tab=tab,
        tabs=TABS,
        section_tab=SECTION_TAB,
        url=url,
        when=when,
        can=Can.of(access),
        csrf=access.console.current.csrf,
        user=access.console.current.user,
        status=status or status_of(access),
        error=error,
        notice=DONE.get(done, ""),
        **context,
    )


def failed(
    access: ProjectAccess, exc: DomainError, show: Callable[..., HTMLResponse], **context: Any
) -> HTMLResponse:
    """Roll back whatever the failed call changed, then show the form again with the message."""
    access.console.db.rollback()
    return show(status_code=http_status(exc), error=exc, **context)
