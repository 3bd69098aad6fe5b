"""Creating one's own account, when the operator allows it (ACCT-6, ``CONSENTRY_SIGNUP``).

``open``: /signup asks an address and mails it a link (the answer is the same whether the address
is taken; the work runs after the answer is sent, as for a password reset); the link's page asks
a name and a password, creates the account and signs it in. ``invite`` and ``closed``: /signup
explains how accounts are made here, with status 403 and no form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from consentry.domain.accounts import signup
from consentry.domain.accounts.amr import PASSWORD, encode
from consentry.storage.tables import User
from consentry.web.pages import account_forms as forms
from consentry.web.runtime import Runtime, runtime
from consentry.web.signin_complete import signed_in

router = APIRouter(include_in_schema=False)
PAGE = "signup_complete.html"


def _closed(request: Request) -> Response | None:
    """The page saying how accounts are made here, unless sign-up is open."""
    mode = runtime(request).ctx.settings.signup
    if mode == "open":
        return None
    return forms.page(request, "signup_closed.html", 403, mode=mode)


@router.get("/signup")
async def signup_page(request: Request, email: str = "") -> Response:
    return _closed(request) or forms.page(request, "signup.html", email=email[: forms.MAX_EMAIL], error="")


@router.post("/signup")
async def signup_submit(request: Request) -> Response:
    return _closed(request) or await forms.mail_a_link(
        request,
        signup.request_signup,
        mailed=frozenset({signup.Requested.SENT, signup.Requested.EXISTS}),
        ttl=runtime(request).ctx.settings.signup_link_ttl,
        form_page="signup.html",
        sent_page="signup_sent.html",
        what="sign-up request",
    )


@router.get("/signup/complete")
async def complete_page(request: Request, token: str = "") -> Response:
    return _closed(request) or await forms.link_form(request, PAGE, signup.look, token)


def _create(db: Session, rt: Runtime, typed: forms.Typed) -> User:
    return signup.complete_signup(db, rt.links, token=typed.token, name=typed.name, password=typed.password)


@router.post("/signup/complete")
async def complete_submit(request: Request) -> Response:
    closed = _closed(request)
    if closed is not None:
        return closed
    used = await forms.use_link(request, signup.look, _create)
    if isinstance(used, Response):
        return used
    if used.link is None or used.done is None:
        return forms.link_page(request, PAGE, used.link, used.typed, error=used.problem, status=400)
    # Committed: the account exists before the sign-in (its own unit of work) refers to it.
    rt = runtime(request)
    return await signed_in(rt, request, used.state, used.done, amr=encode(PASSWORD), next_="/account")
