"""``/api/v1``: the developer console as JSON (VERIFY-1..9).

Projects, their consent screen, scopes, test users, publishing status and members; OAuth clients;
domain proofs; the verification request. Every route names the permission it needs (``require``,
or ``_client`` for client routes); the session is the browser cookie, and every write carries the
``X-CSRF-Token`` header (``GET /api/v1/session`` gives it). A view either returns and its unit
of work commits, or raises and nothing is changed. ``docs/console-api.md`` is the guide.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.security import APIKeyCookie

from consentry.domain.clients.service import client_summary
from consentry.domain.permissions import Permission
from consentry.domain.projects.service import MAX_TEST_USERS, BrandForm
from consentry.domain.scopes.advisor import narrower_alternatives
from consentry.domain.scopes.catalogue import VERIFICATION
from consentry.domain.verification.domain_ownership import file_url, txt_record
from consentry.domain.verification.service import MAX_DOC_LINKS, VIDEO_CHECKLIST, Submission
from consentry.domain.verification.use_cases import choices
from consentry.errors import InvalidInput, NotFound
from consentry.storage.tables import Client, DomainProof, Project, VerificationRequest
from consentry.web.api import models as m
from consentry.web.console.checkers import Checkers, CheckersDep
from consentry.web.deps import Console, ConsoleDep, Csrf, CurrentUser, ProjectAccess, require
from consentry.web.session import COOKIE

#: How the API is authenticated, for the OpenAPI document (web/deps.py does the checking).
SESSION = APIKeyCookie(
    name=COOKIE,
    scheme_name="Browser session",
    description="The session cookie set by signing in at /signin",
    auto_error=False,
)
router = APIRouter(prefix="/api/v1", tags=["console"], responses=m.ERRORS, dependencies=[Depends(SESSION)])


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


def _client(need: Permission) -> Any:
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


def _summary(console: Console, project: Project) -> m.ProjectSummary:
    return m.ProjectSummary(
        name=project.name,
        app_name=project.app_name,
        status=project.status,
        user_type=project.user_type,
        role=console.projects.role(project),
        created_at=project.created_at,
    )


def _detail(access: ProjectAccess) -> m.ProjectDetail:
    console, project = access.console, access.project
    return m.ProjectDetail(
        **_summary(console, project).model_dump(),
        permissions=sorted(p.value for p in access.permissions),
        consent_screen=consent_screen_out(project),
        scopes=scopes_out(console, project),
        approved_scopes=list(project.approved_scopes or []),
        test_users=list(project.test_users or []),
        verification=status_out(console, project),
        clients=[client_out(c) for c in console.clients.list(project)],
        members=members_out(console, project).members,
    )


def _verification(access: ProjectAccess) -> m.VerificationOut:
    console, project = access.console, access.project
    catalogue = console.projects.catalogue
    by_class = console.projects.scopes_by_class(project)
    risky = [info for s in (*by_class["sensitive"], *by_class["restricted"]) if (info := catalogue.get(s))]
    row = console.projects.repo.latest_request(project.id)
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
        app_type_choices=choices({s.api for s in risky}),
        video_checklist=list(VIDEO_CHECKLIST),
        max_doc_links=MAX_DOC_LINKS,
    )


def _logo(text: str) -> bytes:
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


# --- session and projects --------------------------------------------------------------------------


@router.get("/session", response_model=m.SessionOut, summary="Who is signed in, and the CSRF token")
def session(current: CurrentUser) -> m.SessionOut:
    return m.SessionOut(email=current.user.email, platform_role=current.user.role, csrf_token=current.csrf)


@router.get("/projects", response_model=m.ProjectList, summary="The projects you can see")
def list_projects(console: ConsoleDep) -> m.ProjectList:
    # Permission.PROJECT_VIEW: Projects.visible() lists only the projects the user may view.
    return m.ProjectList(projects=[_summary(console, p) for p in console.projects.visible()])


@router.post(
    "/projects", response_model=m.ProjectDetail, status_code=201, summary="Create a project (you own it)"
)
def create_project(body: m.ProjectCreate, _: Write, console: ConsoleDep) -> m.ProjectDetail:
    project = console.projects.create(body.name, user_type=body.user_type, status=body.status)
    return _detail(ProjectAccess(project, console, console.projects.permissions(project)))


@router.get(
    "/projects/{project}",
    response_model=m.ProjectDetail,
    summary="A project: consent screen, scopes by class, verification status, clients, members",
)
def get_project(access: Viewer) -> m.ProjectDetail:
    return _detail(access)


@router.patch(
    "/projects/{project}/consent-screen",
    response_model=m.ConsentScreenSaved,
    summary="Change the consent-screen configuration (VERIFY-2); brand changes cancel an open review",
)
def patch_consent_screen(body: m.ConsentScreenPatch, _: Write, access: Editor) -> m.ConsentScreenSaved:
    form = BrandForm(
        app_name=body.app_name,
        support_email=body.support_email,
        home_page=body.home_page,
        privacy_policy=body.privacy_policy,
        terms=body.terms,
        authorized_domains=body.authorized_domains,
        developer_contacts=body.developer_contacts,
        logo=_logo(body.logo_base64) if body.logo_base64 is not None else None,
    )
    changed = access.console.projects.update_brand(access.project, form)
    return m.ConsentScreenSaved(**consent_screen_out(access.project).model_dump(), brand_changed=changed)


@router.get(
    "/projects/{project}/logo",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The logo, a 120x120 PNG"}},
    summary="The app logo shown on the consent screen",
)
def get_logo(access: Viewer) -> Response:
    if not access.project.logo_png:
        raise NotFound("logo", "the project has no logo yet")
    return Response(access.project.logo_png, media_type="image/png", headers={"Cache-Control": "private"})


@router.post("/projects/{project}/scopes", response_model=m.ScopesOut, summary="Declare or remove scopes")
def change_scopes(body: m.ListChange, _: Write, access: Editor) -> m.ScopesOut:
    access.console.projects.declare_scopes(access.project, body.add, body.remove)
    return scopes_out(access.console, access.project)


@router.post(
    "/projects/{project}/test-users",
    response_model=m.TestersOut,
    summary=f"Add or remove test users (at most {MAX_TEST_USERS})",
)
def change_test_users(body: m.TesterChange, _: Write, access: Editor) -> m.TestersOut:
    users = access.console.projects.change_test_users(access.project, body.add, body.remove)
    return m.TestersOut(test_users=users, limit=MAX_TEST_USERS)


@router.patch(
    "/projects/{project}/publishing",
    response_model=m.PublishingOut,
    summary="Publishing status (testing, production) and user type (external, internal)",
)
def patch_publishing(body: m.PublishingPatch, _: Write, access: Editor) -> m.PublishingOut:
    project = access.project
    access.console.projects.set_publishing(project, status=body.status, user_type=body.user_type)
    return m.PublishingOut(
        status=project.status, user_type=project.user_type, verification=status_out(access.console, project)
    )


Member = Annotated[str, Path(max_length=320, description="The member's account email")]


@router.put(
    "/projects/{project}/members/{email}",
    response_model=m.MembersOut,
    responses=m.CONFLICT,
    summary="Add a member or change their role (owners only)",
)
def put_member(email: Member, body: m.MemberPut, _: Write, access: Owner) -> m.MembersOut:
    access.console.projects.set_member(access.project, email, body.role)
    return members_out(access.console, access.project)


@router.delete(
    "/projects/{project}/members/{email}",
    response_model=m.MembersOut,
    responses=m.CONFLICT,
    summary="Remove a member (owners only; the last owner stays)",
)
def delete_member(email: Member, _: Write, access: Owner) -> m.MembersOut:
    access.console.projects.set_member(access.project, email, None)
    return members_out(access.console, access.project)


# --- OAuth clients (VERIFY-8) ----------------------------------------------------------------------


@router.get("/projects/{project}/clients", response_model=m.ClientList, summary="The project's clients")
def list_clients(
    access: Viewer, deleted: bool = Query(default=False, description="List deleted (restorable) ones")
) -> m.ClientList:
    rows = access.console.clients.list(access.project, deleted=deleted)
    return m.ClientList(clients=[client_out(c) for c in rows])


@router.post(
    "/projects/{project}/clients",
    response_model=m.NewClientOut,
    status_code=201,
    summary="Create a client; a confidential client's secret is in this answer only",
)
def create_client(body: m.ClientCreate, response: Response, _: Write, access: SecretKeeper) -> m.NewClientOut:
    new = access.console.clients.create(
        access.project, body.type, name=body.name or None, redirect_uris=list(body.redirect_uris)
    )
    response.headers.update(NO_STORE)
    return m.NewClientOut(client=client_out(new.client), client_secret=new.client_secret)


@router.get("/clients/{client_id}", response_model=m.ClientOut, summary="A client")
def get_client(client: Annotated[Client, _client(Permission.PROJECT_VIEW)]) -> m.ClientOut:
    return client_out(client)


@router.post(
    "/clients/{client_id}/rotate-secret",
    response_model=m.SecretOut,
    responses=m.CONFLICT,
    summary="A new secret, shown once; the old one stops working at once",
)
def rotate_secret(
    response: Response,
    _: Write,
    client: Annotated[Client, _client(Permission.CLIENT_SECRET)],
    console: ConsoleDep,
) -> m.SecretOut:
    secret = console.clients.rotate_secret(client.client_id)
    response.headers.update(NO_STORE)
    return m.SecretOut(client_id=client.client_id, client_secret=secret)


@router.post(
    "/clients/{client_id}/disable",
    response_model=m.ClientOut,
    summary="Disable: no new tokens, and the tokens it holds are revoked",
)
def disable_client(
    _: Write, client: Annotated[Client, _client(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.set_disabled(client.client_id, True))


@router.post(
    "/clients/{client_id}/enable", response_model=m.ClientOut, responses=m.CONFLICT, summary="Enable again"
)
def enable_client(
    _: Write, client: Annotated[Client, _client(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.set_disabled(client.client_id, False))


@router.delete(
    "/clients/{client_id}",
    response_model=m.ClientOut,
    responses=m.CONFLICT,
    summary="Delete: disabled, tokens revoked, hidden; restorable for 30 days",
)
def delete_client(
    _: Write, client: Annotated[Client, _client(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.delete(client.client_id))


# --- domains (VERIFY-3) ----------------------------------------------------------------------------


@router.get(
    "/projects/{project}/domains",
    response_model=m.DomainList,
    summary="Authorized domains: verified or not, and the TXT record or file that proves them",
)
def list_domains(access: Viewer) -> m.DomainList:
    console, project = access.console, access.project
    if not access.can(Permission.PROJECT_EDIT):
        return m.DomainList(domains=existing_domains(console, project))
    # An editor gets each domain's challenge, created on first ask.
    proofs = [console.verification.proof(project, d) for d in project.authorized_domains or []]
    return m.DomainList(domains=[domain_out(p.domain, p) for p in proofs])


@router.post(
    "/projects/{project}/domains/{domain}/check",
    response_model=m.DomainCheckOut,
    summary="Check the TXT record (then the well-known file) now, and record the outcome",
)
def check_domain(
    domain: Annotated[str, Path(max_length=253, description="One of the authorized domains")],
    _: Write,
    access: Editor,
    checkers: CheckersDep,
) -> m.DomainCheckOut:
    project, verification = access.project, access.console.verification
    proof = verification.proof(project, domain)  # refuses a domain that is not authorized
    result = checkers.prove(proof.domain, proof.challenge)
    proof = verification.record_proof(project, proof.domain, result)
    return m.DomainCheckOut(
        domain=domain_out(proof.domain, proof),
        result=m.CheckResult(
            verified=result.verified,
            method=result.method,
            reason=result.reason,
            message=result.message,
            evidence=list(result.evidence),
        ),
    )


# --- verification (VERIFY-4..7) --------------------------------------------------------------------


@router.get(
    "/projects/{project}/verification",
    response_model=m.VerificationOut,
    summary="Verification status and the current request with its answers and messages",
)
def get_verification(access: Viewer) -> m.VerificationOut:
    return _verification(access)


@router.put(
    "/projects/{project}/verification",
    response_model=m.VerificationOut,
    summary="Save the draft request (all answers at once)",
)
def save_verification(body: m.SubmissionIn, _: Write, access: Submitter) -> m.VerificationOut:
    catalogue = access.console.projects.catalogue

    def uri(scope: str) -> str:
        info = catalogue.lookup(scope.strip())
        return info.uri if info is not None else scope

    answers = Submission(
        justifications={
            uri(s): {"usage": j.usage, "why_not_narrower": j.why_not_narrower}
            for s, j in body.justifications.items()
        },
        doc_links=list(body.doc_links),
        video_url=body.video_url,
        app_type=body.app_type,
        task_automation=body.task_automation,
        server_access=body.server_access,
        transfers=body.transfers,
        human_access=body.human_access,
        attested=body.attested,
        scan_report=body.scan_report.model_dump(by_alias=True) if body.scan_report else None,
    )
    access.console.verification.save(access.project, answers)
    return _verification(access)


def _prechecks(access: ProjectAccess, checkers: Checkers) -> list[dict[str, Any]] | None:
    """The automatic pre-checks (VERIFY-4, VERIFY-5, LIMIT-5), run only when the submit can pass
    the brand checks (no network for a submit that will be refused anyway)."""
    console, project = access.console, access.project
    status = console.verification.status(project)
    if status.needed == "none" or any(x.section in ("brand", "domains") for x in status.missing):
        return None
    proofs = console.projects.repo.domain_proofs(project.id)
    try:
        return checkers.prechecks(
            app_name=project.app_name or project.name,
            home_page=project.home_page,
            privacy_policy=project.privacy_policy,
            terms=project.terms,
            verified_domains={p.domain for p in proofs if p.verified_at is not None},
        )
    except ModuleNotFoundError as missing:  # domain/verification/prechecks.py not landed yet
        if missing.name != PRECHECKS:
            raise
        return None


@router.post(
    "/projects/{project}/verification/submit",
    response_model=m.VerificationOut,
    responses=m.CONFLICT,
    summary="Submit the draft for review (pre-checks run first)",
)
def submit_verification(_: Write, access: Submitter, checkers: CheckersDep) -> m.VerificationOut:
    access.console.verification.submit(access.project, _prechecks(access, checkers))
    return _verification(access)


@router.post(
    "/projects/{project}/verification/answer",
    response_model=m.VerificationOut,
    responses=m.CONFLICT,
    summary="Answer the reviewers' question",
)
def answer_reviewers(body: m.MessageIn, _: Write, access: Submitter) -> m.VerificationOut:
    access.console.verification.answer(access.project, body.message)
    return _verification(access)
