"""Where you are signed in (ACCT-5): the account's browsers, and ending any of them.

Ending a sign-in is protective (it takes access away, never gives it), so it needs only the
signed-in user, not a recent sign-in: whoever fears someone else is in their account must be
able to act at once. Decisions are in domain/accounts/browsers.py; this view only renders.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.accounts import browsers
from consentry.errors import DomainError
from consentry.web.deps import Csrf, Current, CurrentUser, UnitOfWork
from consentry.web.pages.account_view import account_page
from consentry.web.runtime import runtime
from consentry.web.session import Device

router = APIRouter(include_in_schema=False)

DONE = {
    "ended": "Signed out. That browser must sign in again to use your account.",
    "ended-others": "You are signed out everywhere else. The apps you signed in to with Consentry "
    "were told, so they can sign you out too.",
}


def _page(
    request: Request, db: Session, current: Current, *, done: str = "", problem: DomainError | None = None
) -> HTMLResponse:
    rt = runtime(request)
    here = rt.sessions.sid_hash(current.state)
    browsers.seen(db, here, Device.of(request).address)
    rows = browsers.signed_in_browsers(db, current.user.id, here)
    return account_page(
        "account_sessions.html",
        current,
        refusal=problem,
        browsers=rows,
        others=sum(1 for b in rows if not b.this_browser),
        notice=DONE.get(done, ""),
        problem=problem,
    )


@router.get("/account/sessions")
def sessions_page(request: Request, db: UnitOfWork, current: CurrentUser, done: str = "") -> HTMLResponse:
    """Every browser the account is signed in to: device, address, when, how; this one first."""
    return _page(request, db, current, done=done)


@router.post("/account/sessions/end-others")
def end_others(_: Csrf, request: Request, db: UnitOfWork, current: CurrentUser) -> Response:
    """Sign out of every other browser; the apps are told (``sessions-revoked``)."""
    rt = runtime(request)
    browsers.end_others(
        db,
        current.user.id,
        rt.sessions.sid_hash(current.state),
        actor=current.actor.email,
        channel=current.actor.channel,
        issuer=rt.ctx.issuer,
    )
    return RedirectResponse("/account/sessions?done=ended-others", status_code=303)


@router.post("/account/sessions/{browser_id}/end")
def end_one(_: Csrf, request: Request, browser_id: int, db: UnitOfWork, current: CurrentUser) -> Response:
    """End one sign-in; ending this browser's own sends it to the sign-in page."""
    rt = runtime(request)
    try:
        ended = browsers.end(
            db,
            current.user.id,
            browser_id,
            rt.sessions.sid_hash(current.state),
            actor=current.actor.email,
            channel=current.actor.channel,
        )
    except DomainError as exc:
        db.rollback()
        return _page(request, db, current, problem=exc)
    if ended.this_browser:
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse("/account/sessions?done=ended", status_code=303)
