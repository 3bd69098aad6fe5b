"""``/api/v1/orgs/{domain}``: the organization admin console as JSON (issue 14, AUTH0-5, AUTH2-5).

Members and roles, the apps the members use and per app its access and installation, the policy
(unconfigured apps, restricted APIs, the refusal message, internal-app approval), the access
requests, and domain-wide delegation. The same session cookie and ``X-CSRF-Token`` header as the
rest of ``/api/v1`` (docs/console-api.md); only the organization's own admins get past the
permission check (another organization's admin gets 404, a member who is not an admin 403).
Every write answers what it changed and what enforcement took back. docs/organizations.md is the
guide.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from consentry.domain.audit.tags import Channel
from consentry.domain.orgs import access_requests, admin, delegation
from consentry.domain.orgs.access_requests import RequestRow
from consentry.domain.orgs.admin import Changed
from consentry.domain.orgs.apps import apps, project_of_client
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import NotFound
from consentry.storage.tables import Organization
from consentry.web.api import models as m
from consentry.web.api import org_models as o
from consentry.web.api.console_common import Write, console_router
from consentry.web.deps import CurrentUser, UnitOfWork
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.runtime import runtime

router = console_router()
Domain = Annotated[str, Path(max_length=253, description="The organization's domain")]
ClientId = Annotated[str, Path(max_length=100, description="A client ID of the app (any of its clients)")]


@dataclass
class OrgApi:
    db: Session
    org: Organization
    actor: str
    catalogue: Catalogue
    issuer: str
    channel: Channel = Channel.API


def _org(domain: Domain, request: Request, db: UnitOfWork, current: CurrentUser) -> OrgApi:
    rt = runtime(request)
    org = admin.administered(db, current.user, domain)
    return OrgApi(db, org, current.user.email, Catalogue(rt.ctx.issuer), rt.ctx.issuer)


Admin = Annotated[OrgApi, Depends(_org)]


def _changed(c: Changed) -> o.ChangedOut:
    return o.ChangedOut(**asdict(c))


def _policy(org: Organization) -> o.PolicyOut:
    return o.PolicyOut(
        domain=org.domain,
        unconfigured=org.unconfigured or "allow",
        restricted_apis=list(org.restricted_apis or []),
        refusal_message=org.refusal_message or "",
        internal_approval=bool(org.internal_approval),
        policy_version=int(org.policy_version or 0),
    )


def _request(r: RequestRow) -> o.RequestOut:
    return o.RequestOut(**{**asdict(r), "status": "lapsed" if r.lapsed else r.status})


# --- members -------------------------------------------------------------------------------------
@router.get("/orgs/{domain}/members", response_model=o.MemberList, summary="Members and their roles")
def list_members(a: Admin) -> o.MemberList:
    rows = admin.members(a.db, a.org)
    return o.MemberList(
        domain=a.org.domain,
        members=[o.MemberOut(email=r.email, name=r.name, role=r.role, disabled=r.disabled) for r in rows],
    )


@router.put(
    "/orgs/{domain}/members/{email}/role",
    response_model=o.ChangedOut,
    responses=m.CONFLICT,
    summary="Make a member an admin, or an admin a member (never the last admin)",
)
def put_role(
    email: Annotated[str, Path(max_length=320)], body: o.RolePut, _: Write, a: Admin
) -> o.ChangedOut:
    return _changed(
        admin.set_role(a.db, a.org, email, body.role, actor=a.actor, channel=a.channel, catalogue=a.catalogue)
    )


# --- apps ----------------------------------------------------------------------------------------
@router.get(
    "/orgs/{domain}/apps",
    response_model=o.AppList,
    summary="Apps the members use or the admins configured: scopes by class, verification, users, access",
)
def list_apps(a: Admin) -> o.AppList:
    rows = apps(a.db, a.org, a.catalogue)
    return o.AppList(
        domain=a.org.domain,
        unconfigured=a.org.unconfigured or "allow",
        apps=[o.AppOut(**{**asdict(r), "client_ids": list(r.client_ids)}) for r in rows],
    )


@router.put(
    "/orgs/{domain}/apps/{client_id}/access",
    response_model=o.ChangedOut,
    summary="trusted, limited, blocked, or null (the policy for unconfigured apps); applies at once",
)
def put_access(client_id: ClientId, body: o.AccessPut, _: Write, a: Admin) -> o.ChangedOut:
    project = project_of_client(a.db, client_id)
    return _changed(
        admin.set_access(
            a.db, a.org, project.id, body.access, actor=a.actor, channel=a.channel, catalogue=a.catalogue
        )
    )


@router.put(
    "/orgs/{domain}/apps/{client_id}/installation",
    response_model=o.ChangedOut,
    summary="Install the app for every member (trusted, no verification here), or uninstall it",
)
def put_installation(client_id: ClientId, body: o.InstallPut, _: Write, a: Admin) -> o.ChangedOut:
    project = project_of_client(a.db, client_id)
    return _changed(
        admin.set_installed(
            a.db, a.org, project.id, body.installed, actor=a.actor, channel=a.channel, catalogue=a.catalogue
        )
    )


# --- policy --------------------------------------------------------------------------------------
@router.get("/orgs/{domain}/policy", response_model=o.PolicyOut, summary="The organization's rules for apps")
def get_policy(a: Admin) -> o.PolicyOut:
    return _policy(a.org)


@router.patch(
    "/orgs/{domain}/policy",
    response_model=o.ChangedOut,
    summary="Change the policy for unconfigured apps, restricted APIs, the message, internal approval",
)
def patch_policy(body: o.PolicyPatch, _: Write, a: Admin) -> o.ChangedOut:
    return _changed(
        admin.set_policy(
            a.db,
            a.org,
            unconfigured=body.unconfigured,
            restricted_apis=body.restricted_apis,
            message=body.refusal_message,
            internal_approval=body.internal_approval,
            actor=a.actor,
            channel=a.channel,
            catalogue=a.catalogue,
        )
    )


# --- access requests -----------------------------------------------------------------------------
@router.get("/orgs/{domain}/requests", response_model=o.RequestList, summary="Members' requests for apps")
def list_requests(
    a: Admin,
    status: Literal["pending", "approved", "denied", "lapsed", "all"] = Query(default="pending"),
) -> o.RequestList:
    rows = access_requests.listing(a.db, a.org.id, status=status)
    return o.RequestList(domain=a.org.domain, requests=[_request(r) for r in rows])


@router.post(
    "/orgs/{domain}/requests/{request_id}/decision",
    response_model=o.RequestOut,
    summary="Approve or deny a waiting request; the member is mailed the decision and the answer",
)
def decide(
    request: Request,
    request_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: o.DecisionIn,
    _: Write,
    a: Admin,
) -> o.RequestOut:
    decision = "approved" if body.decision == "approve" else "denied"
    access_requests.decide(
        a.db, a.org, request_id, decision, body.answer, actor=a.actor, channel=a.channel, issuer=a.issuer
    )
    wake_mailer_after_commit(request, a.db)
    [row] = [r for r in access_requests.listing(a.db, a.org.id, status="all") if r.id == request_id]
    return _request(row)


# --- domain-wide delegation ----------------------------------------------------------------------
@router.get(
    "/orgs/{domain}/delegations", response_model=o.DelegationList, summary="Domain-wide delegation entries"
)
def list_delegations(a: Admin) -> o.DelegationList:
    rows = delegation.delegations(a.db, a.org.domain)
    return o.DelegationList(domain=a.org.domain, delegations=[o.DelegationOut(**d) for d in rows])


@router.put(
    "/orgs/{domain}/delegations/{client_id}",
    response_model=o.DelegationList,
    summary="Let a service account act for the members in these scopes (replaces its entry)",
)
def put_delegation(client_id: ClientId, body: o.DelegationPut, _: Write, a: Admin) -> o.DelegationList:
    delegation.delegate(
        a.db,
        org_domain=a.org.domain,
        client_id=client_id,
        scopes=list(body.scopes),
        actor=a.actor,
        channel=a.channel,
    )
    return list_delegations(a)


@router.delete(
    "/orgs/{domain}/delegations/{client_id}",
    response_model=o.DelegationList,
    summary="Remove a service account's delegation; the tokens it gave stop working",
)
def delete_delegation(client_id: ClientId, _: Write, a: Admin) -> o.DelegationList:
    if not delegation.undelegate(
        a.db, org_domain=a.org.domain, client_id=client_id, actor=a.actor, channel=a.channel
    ):
        raise NotFound("delegation", f"{client_id!r} has no delegation in {a.org.domain}")
    return list_delegations(a)
