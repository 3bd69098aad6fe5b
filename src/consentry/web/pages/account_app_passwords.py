"""App passwords (ACCT-4): create one for an app that cannot do two-step, see them, revoke one.

Seeing and creating them needs a recent sign-in (RecentUser): an app password is a way into the
account, so whoever finds a browser left signed in must not be able to make one. Revoking takes
access away, so the signed-in user is enough. A new password is shown once, on the answer to the
POST itself (never behind a redirect that could be reloaded or cached); only its hash is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.accounts import app_passwords
from consentry.errors import DomainError
from consentry.web.deps import Csrf, Current, CurrentUser, RecentUser, UnitOfWork
from consentry.web.pages.account import Form
from consentry.web.pages.account_view import account_page
from consentry.web.render import render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)

DONE = {"revoked": "App password revoked. The app that used it can no longer sign in with it."}
#: Protocols that take an app password (PLATFORM_RULES §3), as the page names them.
PROTOCOLS = ("ClientLogin (older Google-style apps)", "IMAP-style mail and calendar apps")


def _page(
    request: Request,
    db: Session,
    current: Current,
    *,
    done: str = "",
    problem: DomainError | None = None,
    typed: str = "",
) -> HTMLResponse:
    return account_page(
        "account_app_passwords.html",
        current,
        refusal=problem,
        allowed=app_passwords.may_create(db, current.user),
        passwords=app_passwords.list_for(db, current.user.id),
        limit=app_passwords.MAX_PER_ACCOUNT,
        max_name=app_passwords.MAX_NAME,
        protocols=PROTOCOLS,
        notice=DONE.get(done, ""),
        problem=problem,
        typed=typed,
    )


@router.get("/account/app-passwords")
def app_passwords_page(request: Request, db: UnitOfWork, current: RecentUser, done: str = "") -> HTMLResponse:
    """The account's app passwords and the form to create one (or why it cannot yet)."""
    return _page(request, db, current, done=done)


@router.post("/account/app-passwords")
def create(_: Csrf, request: Request, db: UnitOfWork, current: RecentUser, form: Form) -> Response:
    """A new app password, shown once on this answer; the name typed is kept if it is refused."""
    value = form.get("name")
    name = value if isinstance(value, str) else ""
    hasher = app_passwords.hasher_for(runtime(request).ctx.settings.secret_key)
    try:
        made = app_passwords.create(db, hasher, current.user, name, channel=current.actor.channel)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, current, problem=exc, typed=name[: app_passwords.MAX_NAME * 2])
    page = render(
        "account_app_passwords_new.html",
        user=current.user,
        made=made,
        protocols=PROTOCOLS,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/account/app-passwords/{password_id}/revoke")
def revoke(_: Csrf, request: Request, password_id: int, db: UnitOfWork, current: CurrentUser) -> Response:
    """Revoke one app password; someone else's id is "not found" and changes nothing."""
    try:
        app_passwords.revoke(
            db, current.user.id, password_id, actor=current.actor.email, channel=current.actor.channel
        )
    except DomainError as exc:
        db.rollback()
        return _page(request, db, current, problem=exc)
    return RedirectResponse("/account/app-passwords?done=revoked", status_code=303)
