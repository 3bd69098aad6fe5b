"""Creating one's own account, when the operator allows it (ACCT-6, ``CONSENTRY_SIGNUP``).

``open``: /signup asks an address and mails it a link (the answer is the same whether the address
is taken; the work runs after the answer is sent, as for a password reset); the link's page asks
a name and a password, creates the account and signs it in. ``invite`` and ``closed``: /signup
explains how accounts are made here, with status 403 and no form.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from consentry.domain.accounts import signup
from consentry.domain.accounts.account_mail import lasts
from consentry.domain.accounts.amr import PASSWORD, encode
from consentry.domain.accounts.password_rules import MIN_LENGTH
from consentry.errors import DomainError
from consentry.storage.tables import User
from consentry.web.client_address import client_address
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.pages.password_reset import (
    MAX_EMAIL,
    checked_form,
    csrf_failed,
    email_problem,
    page,
    sentence,
    typed_email,
)
from consentry.web.runtime import Runtime, runtime
from consentry.web.signin_complete import signed_in

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _closed(request: Request) -> Response | None:
    """The page saying how accounts are made here, unless sign-up is open."""
    mode = runtime(request).ctx.settings.signup
    if mode == "open":
        return None
    return page(request, "signup_closed.html", 403, mode=mode)


@router.get("/signup")
async def signup_page(request: Request, email: str = "") -> Response:
    return _closed(request) or page(request, "signup.html", email=email[:MAX_EMAIL], error="")


def _request_signup(rt: Runtime, request: Request, email: str, client: str) -> None:
    """The address-dependent work, after the answer is sent; failures are logged, never shown."""
    try:
        with rt.ctx.db.unit_of_work() as db:
            s = rt.ctx.settings
            done = signup.request_signup(
                db,
                rt.links,
                rt.ctx.hasher,
                email=email,
                client=client,
                ttl=s.signup_link_ttl,
                issuer=s.issuer_url,
            )
            if done in (signup.Requested.SENT, signup.Requested.EXISTS):
                wake_mailer_after_commit(request, db)
    except Exception:
        log.exception("sign-up request could not be processed")


@router.post("/signup")
async def signup_submit(request: Request) -> Response:
    closed = _closed(request)
    if closed is not None:
        return closed
    form, _state = await checked_form(request)
    if form is None:
        return csrf_failed()
    email = typed_email(form)
    problem = email_problem(email)
    if problem:
        return page(request, "signup.html", 400, email=email[:MAX_EMAIL], error=problem)
    rt = runtime(request)
    resp = page(request, "signup_sent.html", lifetime=lasts(rt.ctx.settings.signup_link_ttl))
    resp.background = BackgroundTask(_request_signup, rt, request, email, client_address(request.scope))
    return resp


def _form_page(
    request: Request,
    link: signup.SignupLink,
    token: str,
    *,
    name: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    return page(
        request,
        "signup_complete.html",
        status,
        link=link,
        token=token,
        typed_name=name,
        error=error,
        min_length=MIN_LENGTH,
    )


@router.get("/signup/complete")
async def complete_page(request: Request, token: str = "") -> Response:
    closed = _closed(request)
    if closed is not None:
        return closed
    rt = runtime(request)

    def work() -> signup.SignupLink | None:
        with rt.ctx.db.unit_of_work() as db:
            return signup.look(db, rt.links, token)

    link = await run_in_threadpool(work)
    if link is None:
        return page(request, "signup_complete.html", 400, link=None)
    return _form_page(request, link, token)


@router.post("/signup/complete")
async def complete_submit(request: Request) -> Response:
    closed = _closed(request)
    if closed is not None:
        return closed
    form, state = await checked_form(request)
    if form is None:
        return csrf_failed()
    rt = runtime(request)
    token, name = str(form.get("token", "")), str(form.get("name", ""))[:300]
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))

    def work() -> tuple[signup.SignupLink | None, User | None, str]:
        with rt.ctx.db.unit_of_work() as db:
            link = signup.look(db, rt.links, token)
            if link is None:
                return None, None, ""
            if password != again:
                return link, None, "The two passwords differ: type the same password twice."
            try:
                user = signup.complete_signup(db, rt.links, token=token, name=name, password=password)
            except DomainError as err:
                db.rollback()
                return (None, None, "") if err.code == "expired" else (link, None, sentence(err.message))
            return link, user, ""

    link, user, problem = await run_in_threadpool(work)
    if link is None:
        return page(request, "signup_complete.html", 400, link=None)
    if user is None:
        return _form_page(request, link, token, name=name, error=problem, status=400)
    # Committed: the account exists before the sign-in (its own unit of work) refers to it.
    return await signed_in(rt, request, state, user, amr=encode(PASSWORD), next_="/account")
