"""The ClientLogin CAPTCHA picture, and the unlock page (DisplayUnlockCaptcha, AUTH4-4).

``CaptchaUrl`` in a ``CaptchaRequired`` answer points at ``/accounts/Captcha?ctoken=…``: the PNG
of that challenge, drawn again from its id while it is unanswered and unexpired. An app that cannot
show it sends its user to ``/accounts/DisplayUnlockCaptcha``: signed in, they type the characters
of a picture there, and the app's next sign-ins get through without one (domain/legacy/
clientlogin_unlock.py). The decision is the domain's; this module renders.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import PlainTextResponse, Response

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.legacy.clientlogin_unlock import UNLOCK_ATTEMPTS, UNLOCK_TTL, grant_unlock
from consentry.storage.tables.base import now
from consentry.web.deps import Csrf, Current, CurrentUser, UnitOfWork
from consentry.web.pages.account_view import account_page
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)
PAGE = "/accounts/DisplayUnlockCaptcha"


@router.get("/accounts/Captcha")
def captcha_picture(request: Request, db: UnitOfWork, ctoken: str = "") -> Response:
    png = runtime(request).captchas.picture(db, ctoken)
    if png is None:
        return PlainTextResponse("This CAPTCHA is unknown, answered or expired.\n", 404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def _page(request: Request, db: Session, current: Current, *, wrong: bool = False, done: int = 0) -> Response:
    challenge = None if done else runtime(request).captchas.issue(db)
    return account_page(
        "legacy_unlock.html",
        current,
        captcha=challenge,
        wrong=wrong,
        done=done,
        minutes=UNLOCK_TTL // 60,
        attempts=UNLOCK_ATTEMPTS,
    )


@router.get(PAGE)
def unlock_page(request: Request, db: UnitOfWork, current: CurrentUser) -> Response:
    return _page(request, db, current)


@router.post(PAGE)
async def unlock(_: Csrf, request: Request, db: UnitOfWork, current: CurrentUser) -> Response:
    form = await request.form()
    challenge, typed = str(form.get("captcha_id", "")), str(form.get("captcha", ""))
    if not runtime(request).captchas.solve(db, challenge, typed):
        page = _page(request, db, current, wrong=True)
        page.status_code = 400
        return page
    until = grant_unlock(db, current.user.id, now())
    record(
        db,
        AuditTag.USER_CLIENTLOGIN_UNLOCK,
        actor=current.user.email,
        data={"until": until},
        channel=Channel.WEB,
    )
    return _page(request, db, current, done=until)
