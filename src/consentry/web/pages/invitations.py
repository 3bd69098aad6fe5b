"""Inviting members to an organization, and accepting an invitation (ACCT-6).

/account/organization is the org admin's page: the invitation form and the pending invitations,
each with a revoke button (named by an opaque key, domain/accounts/invitations.py). Everyone
else gets a page saying who can invite, with status 403. /invite/accept is the mailed link's
page: the invitee chooses a name and password and joins; where the organization requires
two-step verification they are sent to sign in, which makes them set it up first.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.accounts import invitations
from consentry.domain.accounts.account_mail import lasts
from consentry.domain.accounts.amr import PASSWORD, encode
from consentry.errors import DomainError
from consentry.web.deps import Csrf, Current, CurrentUser, RecentUser, UnitOfWork
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.pages import account_forms as forms
from consentry.web.pages.account import Form
from consentry.web.pages.account_view import account_page
from consentry.web.render import render
from consentry.web.runtime import Runtime, runtime
from consentry.web.signin_complete import signed_in

router = APIRouter(include_in_schema=False)

DONE = {
    "invited": "Invitation sent. It is listed below until it is accepted, revoked or expires.",
    "revoked": "Invitation revoked: its link no longer works.",
}


def _org_page(
    request: Request,
    db: Session,
    current: Current,
    *,
    done: str = "",
    error: DomainError | None = None,
    typed: str = "",
    role: str = "user",
) -> HTMLResponse:
    rt = runtime(request)
    user = current.user
    if not invitations.is_org_admin(user):
        return render("organization.html", 403, admin=False, user=user, csrf=current.csrf)
    assert user.org_id is not None
    return account_page(
        "organization.html",
        current,
        refusal=error,
        admin=True,
        org=user.org,
        pending=invitations.pending(db, rt.ctx.hasher, user.org_id),
        notice=DONE.get(done, ""),
        error=error,
        typed=typed,
        role=role if role in invitations.ROLES else "user",
        closed=rt.ctx.settings.signup == "closed",
        lifetime=lasts(rt.ctx.settings.invitation_ttl),
        sentence=forms.sentence,
    )


@router.get("/account/organization")
def organization(request: Request, db: UnitOfWork, current: CurrentUser, done: str = "") -> HTMLResponse:
    """The org admin's invitations; anyone else learns who can invite."""
    return _org_page(request, db, current, done=done)


@router.get("/account/organization/invite", response_model=None)
def invite_page() -> RedirectResponse:
    """Where a re-sign-in for inviting returns: the organization page with its form."""
    return RedirectResponse("/account/organization", status_code=303)


@router.post("/account/organization/invite", response_model=None)
def invite(
    request: Request, db: UnitOfWork, current: RecentUser, _: Csrf, form: Form
) -> HTMLResponse | RedirectResponse:
    rt = runtime(request)
    email, role = str(form.get("email", "")).strip()[:320], str(form.get("role", "user"))
    user = current.user
    try:
        if not invitations.is_org_admin(user) or user.org is None:
            raise DomainError("forbidden", "Only an administrator of an organization can invite members.")
        s = rt.ctx.settings
        invitations.invite(
            db,
            rt.links,
            rt.ctx.hasher,
            inviter=user,
            email=email,
            org_domain=user.org.domain,
            role=role,
            ttl=s.invitation_ttl,
            issuer=s.issuer_url,
            signup=s.signup,
        )
    except DomainError as err:
        db.rollback()
        return _org_page(request, db, current, error=err, typed=email, role=role)
    wake_mailer_after_commit(request, db)
    return RedirectResponse("/account/organization?done=invited", status_code=303)


@router.post("/account/organization/invitations/{key}/revoke", response_model=None)
def revoke(
    request: Request, key: str, db: UnitOfWork, current: CurrentUser, _: Csrf
) -> HTMLResponse | RedirectResponse:
    try:
        invitations.revoke(db, runtime(request).ctx.hasher, actor=current.user, key=key[:64])
    except DomainError as err:
        db.rollback()
        return _org_page(request, db, current, error=err)
    return RedirectResponse("/account/organization?done=revoked", status_code=303)


PAGE = "invite_accept.html"


@router.get("/invite/accept")
async def accept_page(request: Request, token: str = "") -> Response:
    return await forms.link_form(request, PAGE, invitations.look, token, as_="joining")


def _join(db: Session, rt: Runtime, typed: forms.Typed) -> invitations.Joined:
    return invitations.accept(db, rt.links, token=typed.token, name=typed.name, password=typed.password)


@router.post("/invite/accept")
async def accept_submit(request: Request) -> Response:
    used = await forms.use_link(request, invitations.look, _join)
    if isinstance(used, Response):
        return used
    joined = used.done
    if joined is None:
        return forms.link_page(
            request, PAGE, used.link, used.typed, error=used.problem, status=400, as_="joining"
        )
    if joined.require_2sv:  # the sign-in page makes them set up two-step before anything else
        query = urlencode({"email": joined.user.email, "notice": "joined-2sv"})
        return RedirectResponse("/signin?" + query, status_code=303)
    # Committed: the account exists before the sign-in (its own unit of work) refers to it.
    rt = runtime(request)
    return await signed_in(rt, request, used.state, joined.user, amr=encode(PASSWORD), next_="/account")
