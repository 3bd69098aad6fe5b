"""The organization admin console: overview, members, policy and the access-request queue
(issue 14, AUTH0-5). apps.py has the apps, delegation.py the domain-wide delegation.

Every view needs the signed-in user to administer an organization (common.OrgAdmin, else 403);
every form carries the CSRF field. A refused change (bad input 400, last admin 409) is rolled back
and the page shown again with the message and what was typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from consentry.domain.orgs import access_requests, admin
from consentry.domain.orgs.apps import apps
from consentry.domain.orgs.overview import overview
from consentry.errors import DomainError, InvalidInput
from consentry.web.deps import Csrf
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.org_admin.common import (
    Form,
    OrgAdmin,
    OrgConsole,
    RowId,
    describe,
    page,
    redirect,
    strings,
    text,
)

router = APIRouter(include_in_schema=False)

UNCONFIGURED_CHOICES = (
    ("allow", "Allow", "Members may use any app, with the data they agree to share."),
    ("sign-in-only", "Sign-in only", "Apps you have not reviewed may sign members in, and reach no data."),
    ("block", "Block", "Apps you have not reviewed are refused; members may ask you for them."),
)
API_LABELS = {
    "mail": "Mail",
    "files": "Files",
    "chat": "Chat",
    "meetings": "Meetings",
    "calendar": "Calendar",
}


@router.get("/admin")
def overview_page(oc: OrgAdmin) -> HTMLResponse:
    listed = apps(oc.db, oc.org, oc.catalogue)
    return page(
        oc,
        "org_admin/overview.html",
        "",
        o=overview(oc.db, oc.org, listed),
        describe=describe,
        labels=API_LABELS,
    )


# --- members -----------------------------------------------------------------------------------------


def _members(oc: OrgConsole, **kw: Any) -> HTMLResponse:
    return page(oc, "org_admin/members.html", "members", members=admin.members(oc.db, oc.org), **kw)


@router.get("/admin/members")
def members_page(oc: OrgAdmin, done: str = "") -> HTMLResponse:
    return _members(oc, done=done)


@router.post("/admin/members")
def change_role(_: Csrf, oc: OrgAdmin, form: Form) -> Response:
    email, role = text(form, "email", 320), text(form, "role", 20)
    try:
        admin.set_role(oc.db, oc.org, email, role, actor=oc.actor, channel=oc.channel, catalogue=oc.catalogue)
    except DomainError as exc:
        oc.db.rollback()
        return _members(oc, error=exc)
    return redirect("/admin/members", "role")


# --- policy ----------------------------------------------------------------------------------------


def _policy(oc: OrgConsole, typed: dict[str, Any] | None = None, **kw: Any) -> HTMLResponse:
    org = oc.org
    current = {
        "unconfigured": org.unconfigured or "allow",
        "restricted_apis": list(org.restricted_apis or []),
        "refusal_message": org.refusal_message or "",
        "internal_approval": bool(org.internal_approval),
    }
    return page(
        oc,
        "org_admin/policy.html",
        "policy",
        form={**current, **(typed or {})},
        choices=UNCONFIGURED_CHOICES,
        apis=[(a, API_LABELS.get(a, a.title())) for a in admin.RESTRICTABLE],
        max_message=admin.MAX_MESSAGE,
        **kw,
    )


@router.get("/admin/policy")
def policy_page(oc: OrgAdmin, done: str = "") -> HTMLResponse:
    return _policy(oc, done=done)


@router.post("/admin/policy")
def save_policy(_: Csrf, oc: OrgAdmin, form: Form) -> Response:
    typed: dict[str, Any] = {
        "unconfigured": text(form, "unconfigured", 20),
        "restricted_apis": strings(form, "api", 10),
        "refusal_message": text(form, "refusal_message", 2000),
        "internal_approval": text(form, "internal_approval", 5) == "on",
    }
    try:
        admin.set_policy(
            oc.db,
            oc.org,
            unconfigured=typed["unconfigured"],
            restricted_apis=typed["restricted_apis"],
            message=typed["refusal_message"],
            internal_approval=typed["internal_approval"],
            actor=oc.actor,
            channel=oc.channel,
            catalogue=oc.catalogue,
        )
    except DomainError as exc:
        oc.db.rollback()
        return _policy(oc, typed, error=exc)
    return redirect("/admin/policy", "policy")


# --- access requests ----------------------------------------------------------------------------


def _requests(oc: OrgConsole, typed: dict[str, str] | None = None, **kw: Any) -> HTMLResponse:
    decided = access_requests.listing(oc.db, oc.org.id, status="all")
    return page(
        oc,
        "org_admin/requests.html",
        "requests",
        open_requests=access_requests.listing(oc.db, oc.org.id, status="pending"),
        lapsed=access_requests.listing(oc.db, oc.org.id, status="lapsed"),
        decided=[r for r in decided if r.status != "pending"][:50],
        typed=typed or {},
        lapse_days=access_requests.LAPSE // 86400,
        **kw,
    )


@router.get("/admin/requests")
def requests_page(oc: OrgAdmin, done: str = "") -> HTMLResponse:
    return _requests(oc, done=done)


@router.post("/admin/requests/{request_id}")
def decide(request: Request, request_id: RowId, _: Csrf, oc: OrgAdmin, form: Form) -> Response:
    """Approve or deny, with an answer the member reads in the mail that tells them."""
    action, answer = text(form, "decision", 10), text(form, "answer", 1000)
    decision = {"approve": "approved", "deny": "denied"}.get(action, "")
    try:
        if not decision:
            raise InvalidInput("invalid_decision", "Approve or deny.")
        access_requests.decide(
            oc.db,
            oc.org,
            request_id,
            decision,
            answer,
            actor=oc.actor,
            channel=oc.channel,
            issuer=oc.issuer,
        )
    except DomainError as exc:
        oc.db.rollback()
        return _requests(oc, {str(request_id): answer}, error=exc)
    wake_mailer_after_commit(request, oc.db)
    return redirect("/admin/requests", decision)
