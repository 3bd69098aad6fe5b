"""Deleting one's own account (ACCT-6, DATA-4): what will happen, a typed confirmation, goodbye.

Both steps need a recent sign-in (RecentUser): the page explains, and refuses up front a user who
is the only owner of a project (naming it, and saying what to do); the POST does it all through
domain/accounts/closing.py, in the request's one transaction, then says goodbye. The account's
sign-ins end everywhere with it, this browser's included; other people signed in to the same
browser stay signed in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from consentry.domain.accounts import closing
from consentry.errors import DomainError
from consentry.web.deps import Csrf, Current, RecentUser, UnitOfWork
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.pages.account import Form
from consentry.web.pages.account_view import account_page
from consentry.web.render import render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)


def _page(
    db: Session, current: Current, *, problem: DomainError | None = None, typed: str = ""
) -> HTMLResponse:
    """The page; ``problem`` is a refused POST. A sole project owner sees why up front, with the
    projects named and no form to fill in vain."""
    seen = closing.preview(db, current.user)
    return account_page(
        "account_delete.html", current, refusal=problem, preview=seen, problem=problem, typed=typed
    )


@router.get("/account/delete")
def delete_page(db: UnitOfWork, current: RecentUser) -> HTMLResponse:
    """What deleting the account does, and the confirmation form (or why it cannot be done yet)."""
    return _page(db, current)


@router.post("/account/delete")
def delete_account(_: Csrf, request: Request, db: UnitOfWork, current: RecentUser, form: Form) -> Response:
    """Delete the account once the user typed their e-mail address; a receipt is mailed."""
    value = form.get("confirm")
    typed = value if isinstance(value, str) else ""
    try:
        closed = closing.close_account(
            db, current.user, confirmation=typed, issuer=runtime(request).ctx.issuer
        )
    except DomainError as exc:
        db.rollback()
        return _page(db, current, problem=exc, typed=typed[:320])
    wake_mailer_after_commit(request, db)
    page = render("account_delete_done.html", closed=closed, when=closing.when)
    page.headers["Cache-Control"] = "no-store"
    return page
