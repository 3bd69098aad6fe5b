"""Forgotten password: ask for a reset link, then choose a new password with it (ACCT-1).

The answer to "send me a link" must not tell whether an account uses the address, by its words,
its status, its headers or its timing. The page is therefore rendered from nothing but the form,
and the work that depends on the address (find the account, count the throttles, issue the link,
queue the mail) runs in a Starlette ``BackgroundTask``, after the response has been sent
(``mail_a_link`` in web/pages/account_forms.py, which sign-up shares). Making
both paths do identical work instead would mean issuing and mailing fake links for unknown
addresses, which is more code to keep in step than not doing the work while the caller waits.
The reset page carries the link's secret in a hidden field; every response says
``Referrer-Policy: no-referrer`` (web/security.py) and the access log redacts ``token=``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from consentry.domain.accounts import reset
from consentry.storage.tables import User
from consentry.web.pages import account_forms as forms
from consentry.web.runtime import Runtime, runtime

router = APIRouter(include_in_schema=False)
PAGE = "password_reset.html"


@router.get("/password/forgot")
async def forgot_page(request: Request, email: str = "") -> Response:
    return forms.page(request, "password_forgot.html", email=email[: forms.MAX_EMAIL], error="")


@router.post("/password/forgot")
async def forgot_submit(request: Request) -> Response:
    return await forms.mail_a_link(
        request,
        reset.request_reset,
        mailed=frozenset({reset.Requested.SENT}),
        ttl=runtime(request).ctx.settings.reset_link_ttl,
        form_page="password_forgot.html",
        sent_page="password_sent.html",
        what="password reset request",
    )


@router.get("/password/reset")
async def reset_page(request: Request, token: str = "") -> Response:
    return await forms.link_form(request, PAGE, reset.look, token)


def _reset(db: Session, rt: Runtime, typed: forms.Typed) -> User:
    issuer = rt.ctx.settings.issuer_url
    return reset.complete_reset(db, rt.links, token=typed.token, password=typed.password, issuer=issuer)


@router.post("/password/reset")
async def reset_submit(request: Request) -> Response:
    differ = "The two passwords differ: type the same new password twice."
    used = await forms.use_link(request, reset.look, _reset, differ=differ, wake_mailer=True)
    if isinstance(used, Response):
        return used
    if used.link is None or used.done is None:
        return forms.link_page(request, PAGE, used.link, used.typed, error=used.problem, status=400)
    target = "/signin?" + urlencode({"email": used.link.email, "notice": "password-changed"})
    return RedirectResponse(target, status_code=303)
