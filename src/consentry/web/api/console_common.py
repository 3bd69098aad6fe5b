"""What every ``/api/v1`` console route shares: the router, the write guard, the permission
aliases, and the builders of what the routes answer.

The routes are split by subject: projects.py (projects, consent screen, scopes, test users,
publishing, members), clients.py (OAuth clients), verification.py (domains and the request).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path
from fastapi.security import APIKeyCookie

from consentry.domain.clients.service import client_summary
from consentry.domain.permissions import Permission
from consentry.domain.scopes.advisor import narrower_alternatives
from consentry.domain.scopes.catalogue import VERIFICATION
from consentry.domain.verification.domain_ownership import file_url, txt_record
from consentry.domain.verification.service import MAX_DOC_LINKS, VIDEO_CHECKLIST
from consentry.domain.verification.use_cases import choices, disallowed, reviewers_decide
from consentry.errors import InvalidInput
from consentry.storage.tables import Client, DomainProof, Project, VerificationRequest
from consentry.web.api import models as m
from consentry.web.deps import Console, ConsoleDep, Csrf, CurrentUser, ProjectAccess, require
from consentry.web.session import COOKIE

#: How the API is authenticated, for the OpenAPI document (web/deps.py does the checking).
SESSION = APIKeyCookie(
    name=COOKIE,
    scheme_name="Browser session",
    description="The session cookie set by signing in at /signin",
    auto_error=False,
)


def console_router() -> APIRouter:
    """A router of the console API: ``/api/v1``, the session cookie scheme, the error shapes."""
    return APIRouter(prefix="/api/v1", tags=["console"], responses=m.ERRORS, dependencies=[Depends(SESSION)])


def _write(
    current: CurrentUser,
    csrf: Csrf,
    token: Annotated[
        str,
        Header(
            alias="X-CSRF-Token",
            max_length=200,
            description="The csrf_token of GET /api/v1/session; checked before anything else is read",
        ),
    ],
) -> None:
    """Writes: signed in first (401), then the X-CSRF-Token header (403), then the permission."""


Write = Annotated[None, Depends(_write)]
Viewer = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Editor = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
Owner = Annotated[ProjectAccess, require(Permission.PROJECT_MEMBERS)]
Submitter = Annotated[ProjectAccess, require(Permission.PROJECT_SUBMIT)]
SecretKeeper = Annotated[ProjectAccess, require(Permission.CLIENT_SECRET)]
NO_STORE = {"Cache-Control": "no-store"}
PRECHECKS = "consentry.domain.verification.prechecks"


def client_of(need: Permission) -> Any:
    """A dependency: the ``{client_id}`` of the path, if the user holds ``need`` on its project."""

    def check(client_id: Annotated[str, Path(max_length=100)], console: ConsoleDep) -> Client:
        return console.clients.get(client_id, need)

    return Depends(check)


# --- what the routes answer ------------------------------------------------------------------------


def consent_screen_out(project: Project) -> m.ConsentScreenOut:
    logo = f"/api/v1/projects/{quote(project.name, safe='')}/logo" if project.logo_png else None
    return m.ConsentScreenOut(
        app_name=project.app_name,
        logo_url=logo,
        support_email=project.support_email,
        home_page=project.home_page,
        privacy_policy=project.privacy_policy,
        terms=project.terms,
        authorized_domains=list(project.authorized_domains or []),
        developer_contacts=list(project.developer_contacts or []),
    )


def scopes_out(console: Console, project: Project) -> m.ScopesOut:
    by_class = console.projects.scopes_by_class(project)
    return m.ScopesOut(
        declared=list(project.declared_scopes or []),
        by_class={c: m.ScopeGroup(requires=VERIFICATION[c], scopes=s) for c, s in by_class.items()},
    )


def status_out(console: Console, project: Project) -> m.StatusOut:
    return m.StatusOut.model_validate(console.verification.status(project).as_dict())


def client_out(client: Client) -> m.ClientOut:
    return m.ClientOut.model_validate(client_summary(client))


def members_out(console: Console, project: Project) -> m.MembersOut:
    members = console.projects.repo.members(project.id)
    return m.MembersOut(members=[m.MemberOut(email=u.email, role=r) for u, r in members])


def domain_out(domain: str, proof: DomainProof | None) -> m.DomainOut:
    if proof is None:
        return m.DomainOut(
            domain=domain,
            verified=False,
            method="",
            verified_at=None,
            checked_at=None,
            last_error="",
            challenge=None,
            txt_record=None,
            file=None,
        )
    return m.DomainOut(
        domain=domain,
        verified=proof.verified_at is not None,
        method=proof.method,
        verified_at=proof.verified_at,
        checked_at=proof.checked_at,
        last_error=proof.last_error,
        challenge=proof.challenge,
        txt_record=m.TxtRecord(name=domain, value=txt_record(proof.challenge)),
        file=m.ProofFile(url=file_url(domain), content=proof.challenge),
    )


def existing_domains(console: Console, project: Project) -> list[m.DomainOut]:
    """The authorized domains and their proofs, as they are (nothing created)."""
    proofs = {p.domain: p for p in console.projects.repo.domain_proofs(project.id)}
    return [domain_out(d, proofs.get(d)) for d in project.authorized_domains or []]


def request_out(console: Console, row: VerificationRequest) -> m.RequestOut:
    messages = console.projects.repo.messages(row.id)
    return m.RequestOut(
        id=row.id,
        state=row.state,
        scopes=list(row.scopes or []),
        justifications=dict(row.justifications or {}),
        doc_links=list(row.doc_links or []),
        video_url=row.video_url,
        app_type=row.app_type,
        task_automation=row.task_automation,
        server_access=row.server_access,
        transfers=row.transfers,
        human_access=row.human_access,
        attested=row.attested,
        scan_report=row.scan_report,
        prechecks=list(row.prechecks or []),
        approved_scopes=list(row.approved_scopes or []),
        reasons=list(row.reasons or []),
        submitted_by=row.submitted_by,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        waiting_since=row.waiting_since,
        decided_at=row.decided_at,
        updated_at=row.updated_at,
        messages=[m.MessageOut(author=x.author, side=x.side, body=x.body, at=x.at) for x in messages],
    )


def project_summary(console: Console, project: Project) -> m.ProjectSummary:
    return m.ProjectSummary(
        name=project.name,
        app_name=project.app_name,
        status=project.status,
        user_type=project.user_type,
        role=console.projects.role(project),
        created_at=project.created_at,
    )


def project_detail(access: ProjectAccess) -> m.ProjectDetail:
    console, project = access.console, access.project
    return m.ProjectDetail(
        **project_summary(console, project).model_dump(),
        permissions=sorted(p.value for p in access.permissions),
        consent_screen=consent_screen_out(project),
        scopes=scopes_out(console, project),
        approved_scopes=list(project.approved_scopes or []),
        test_users=list(project.test_users or []),
        verification=status_out(console, project),
        clients=[client_out(c) for c in console.clients.list(project)],
        members=members_out(console, project).members,
    )


def verification_out(access: ProjectAccess) -> m.VerificationOut:
    console, project = access.console, access.project
    catalogue = console.projects.catalogue
    by_class = console.projects.scopes_by_class(project)
    risky = [info for s in (*by_class["sensitive"], *by_class["restricted"]) if (info := catalogue.get(s))]
    row = console.projects.repo.latest_request(project.id)
    apis = {s.api for s in risky}
    return m.VerificationOut(
        status=status_out(console, project),
        request=request_out(console, row) if row is not None else None,
        scopes=[
            m.RiskyScope(
                scope=s.uri,
                name=s.name,
                scope_class=s.scope_class,
                description=s.description,
                narrower=[n.uri for n in narrower_alternatives(catalogue, s)],
            )
            for s in risky
        ],
        app_type_choices=choices(apis),
        disallowed_uses={api: list(uses) for api, uses in disallowed(apis).items()},
        reviewers_decide=reviewers_decide(apis),
        video_checklist=list(VIDEO_CHECKLIST),
        max_doc_links=MAX_DOC_LINKS,
    )


def decode_logo(text: str) -> bytes:
    """The uploaded logo's bytes from base64 (a ``data:image/...;base64,`` prefix is allowed)."""
    data = text.strip()
    if data.startswith("data:"):
        head, comma, data = data.partition(",")
        if not comma or not head.endswith(";base64"):
            raise InvalidInput("invalid_logo", "The logo was not accepted: send it base64-encoded.")
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_logo", "The logo was not accepted: logo_base64 is not base64.") from None
