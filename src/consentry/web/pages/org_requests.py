"""A member asks their organization's admins for an app the organization's rules refuse (issue 14).

The refusal page (error.html, from the gate's ``ask_admin`` decisions) links here with
``?project=<id>``: a form with the member's reason, then their requests and what became of each
(waiting, approved, denied with the admins' answer, lapsed). domain/orgs/access_requests.py mails
the admins and, when they decide, the member.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.orgs import access_requests
from consentry.errors import DomainError, InvalidInput
from consentry.storage.tables import Project
from consentry.web.deps import Csrf, Current, CurrentUser, UnitOfWork
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.pages.account import Form
from consentry.web.pages.account_view import account_page
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)
PATH = "/account/organization/request"


def _project(db: Session, raw: str) -> Project | None:
    """The app of ``?project=``; anything but a row id (huge numbers included) is no app."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) < 2**31):
        return None
    return db.get(Project, int(raw))


def _page(
    db: Session, current: Current, project: Project | None, *, error: DomainError | None = None, **kw: Any
) -> HTMLResponse:
    user = current.user
    mine = access_requests.mine(db, user.id)
    open_one = project is not None and any(
        r.project_id == project.id and (r.status == "approved" or (r.status == "pending" and not r.lapsed))
        for r in mine
    )
    return account_page(
        "org_request.html",
        current,
        refusal=error,
        error=error,
        org=user.org,
        project=project,
        app=(project.app_name or project.name) if project is not None else "",
        already=open_one,
        requests=mine,
        max_reason=access_requests.MAX_REASON,
        **kw,
    )


@router.get(PATH)
def request_page(db: UnitOfWork, current: CurrentUser, project: str = "", done: str = "") -> HTMLResponse:
    """The form for one app (``?project=``), and the member's requests."""
    chosen = _project(db, project[:12])
    if current.user.org_id is None:
        err = InvalidInput("no_organization", "Only members of an organization ask its admins for apps.")
        return _page(db, current, chosen, error=err, typed="")
    return _page(db, current, chosen, done=done == "asked", typed="")


@router.post(PATH)
def ask(request: Request, db: UnitOfWork, current: CurrentUser, _: Csrf, form: Form) -> Response:
    raw, reason = str(form.get("project", ""))[:12], str(form.get("reason", ""))[:4000]
    chosen = _project(db, raw)
    try:
        if chosen is None:
            raise InvalidInput(
                "unknown_app", "There is no such app: open the link on the refusal page again."
            )
        access_requests.ask(db, current.user, chosen.id, reason, issuer=runtime(request).ctx.issuer)
    except DomainError as err:
        db.rollback()
        return _page(db, current, chosen, error=err, typed=reason)
    wake_mailer_after_commit(request, db)
    return RedirectResponse(f"{PATH}?project={chosen.id}&done=asked", status_code=303)
