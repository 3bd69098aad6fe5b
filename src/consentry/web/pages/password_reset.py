"""Forgotten password: ask for a reset link, then choose a new password with it (ACCT-1).

The answer to "send me a link" must not tell whether an account uses the address, by its words,
its status, its headers or its timing. The page is therefore rendered from nothing but the form,
and the work that depends on the address (find the account, count the throttles, issue the link,
queue the mail) runs in a Starlette ``BackgroundTask``, after the response has been sent. Making
both paths do identical work instead would mean issuing and mailing fake links for unknown
addresses, which is more code to keep in step than not doing the work while the caller waits.
The reset page carries the link's secret in a hidden field; every response says
``Referrer-Policy: no-referrer`` (web/security.py) and the access log redacts ``token=``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from consentry.domain.accounts import reset
from consentry.domain.accounts.account_mail import lasts
from consentry.domain.accounts.emails import is_email_address
from consentry.domain.accounts.password_rules import MIN_LENGTH
from consentry.errors import DomainError
from consentry.web.client_address import client_address
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
#: Longest e-mail address the forms take (RFC 5321); longer input is refused, not processed.
MAX_EMAIL = 254


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page with the browser's CSRF token; a first visit gets its session cookie here."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    resp = render(template, status_code=status_code, csrf=rt.sessions.csrf_token(state), **context)
    if state.fresh:
        rt.sessions.set_cookie(resp, state)
    return resp


async def checked_form(request: Request) -> tuple[FormData | None, BrowserState]:
    """The posted form, or None when its CSRF token does not match the browser's cookie."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    ok = rt.sessions.check_csrf(state, str(form.get("csrf", "")))
    return (form if ok else None), state


def csrf_failed() -> Response:
    return error_page(
        "Session check failed",
        "The page was open too long or cookies are blocked. Go back, reload and try again.",
        403,
        "csrf",
    )


def sentence(message: str) -> str:
    """A domain message as a sentence on a page (the password rule writes lower-case clauses)."""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message[-1] in ".!?" else ".")


def typed_email(form: FormData) -> str:
    return str(form.get("email", "")).strip().lower()[: MAX_EMAIL + 1]


def email_problem(email: str) -> str:
    if not email:
        return "Type the e-mail address of your account."
    if len(email) > MAX_EMAIL or not is_email_address(email):
        return "That is not an e-mail address: check it for typing mistakes."
    return ""


@router.get("/password/forgot")
async def forgot_page(request: Request, email: str = "") -> Response:
    return page(request, "password_forgot.html", email=email[:MAX_EMAIL], error="")


def _request_reset(rt: Runtime, request: Request, email: str, client: str) -> None:
    """The address-dependent work, after the answer is sent; failures are logged, never shown."""
    try:
        with rt.ctx.db.unit_of_work() as db:
            settings = rt.ctx.settings
            done = reset.request_reset(
                db,
                rt.links,
                rt.ctx.hasher,
                email=email,
                client=client,
                ttl=settings.reset_link_ttl,
                issuer=settings.issuer_url,
            )
            if done is reset.Requested.SENT:
                wake_mailer_after_commit(request, db)
    except Exception:
        log.exception("password reset request could not be processed")


@router.post("/password/forgot")
async def forgot_submit(request: Request) -> Response:
    form, _state = await checked_form(request)
    if form is None:
        return csrf_failed()
    email = typed_email(form)
    problem = email_problem(email)
    if problem:  # about what was typed, never about an account
        return page(request, "password_forgot.html", 400, email=email[:MAX_EMAIL], error=problem)
    rt = runtime(request)
    resp = page(request, "password_sent.html", lifetime=lasts(rt.ctx.settings.reset_link_ttl))
    resp.background = BackgroundTask(_request_reset, rt, request, email, client_address(request.scope))
    return resp


def _expired_page(request: Request) -> Response:
    return page(request, "password_reset.html", 400, link=None, token="", error="")


@router.get("/password/reset")
async def reset_page(request: Request, token: str = "") -> Response:
    rt = runtime(request)

    def work() -> reset.ResetLink | None:
        with rt.ctx.db.unit_of_work() as db:
            return reset.look(db, rt.links, token)

    link = await run_in_threadpool(work)
    if link is None:
        return _expired_page(request)
    return page(request, "password_reset.html", link=link, token=token, error="", min_length=MIN_LENGTH)


@router.post("/password/reset")
async def reset_submit(request: Request) -> Response:
    form, _state = await checked_form(request)
    if form is None:
        return csrf_failed()
    rt = runtime(request)
    token = str(form.get("token", ""))
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))

    def work() -> tuple[reset.ResetLink | None, str]:
        """The link (None once it is used up or dead) and what to fix, if anything."""
        with rt.ctx.db.unit_of_work() as db:
            link = reset.look(db, rt.links, token)
            if link is None:
                return None, ""
            if password != again:
                return link, "The two passwords differ: type the same new password twice."
            try:
                reset.complete_reset(
                    db, rt.links, token=token, password=password, issuer=rt.ctx.settings.issuer_url
                )
            except DomainError as err:
                db.rollback()
                return (None, "") if err.code == "expired" else (link, sentence(err.message))
            wake_mailer_after_commit(request, db)
            return link, ""

    link, problem = await run_in_threadpool(work)
    if link is None:
        return _expired_page(request)
    if problem:
        return page(
            request, "password_reset.html", 400, link=link, token=token, error=problem, min_length=MIN_LENGTH
        )
    target = "/signin?" + urlencode({"email": link.email, "notice": "password-changed"})
    return RedirectResponse(target, status_code=303)
