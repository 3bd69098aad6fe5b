"""Request and response models of the console and review APIs (``/api/v1``).

Every string and list a caller sends is bounded here, so a request the schema allows never
reaches the database with a value no column can hold (NUL, lone surrogates, megabyte strings);
the bounds sit *above* the domain's own limits (three documentation links, 100 test users,
5,000-character answers) so those are refused by the domain with their own code and message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text with a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text that is not valid Unicode") from None
    return value


def _printable(value: str) -> str:
    """Names people read (a client's name): no control, formatting or bidi-override characters."""
    if not value.isprintable():
        raise ValueError("use ordinary letters, digits, punctuation and spaces")
    return value


def _text(max_length: int) -> Any:
    return Field(max_length=max_length)


Name = Annotated[str, _text(200), AfterValidator(_storable)]
Email = Annotated[str, _text(320), AfterValidator(_storable)]
Url = Annotated[str, _text(2048), AfterValidator(_storable)]
Scope = Annotated[str, _text(300), AfterValidator(_storable)]
Domain = Annotated[str, _text(300), AfterValidator(_storable)]
#: Free text; the domain refuses more than 5,000 characters with its own message.
LongText = Annotated[str, _text(10_000), AfterValidator(_storable)]
#: 1 MiB of logo is 1,398,104 base64 characters; the bound is higher so that a logo a little too
#: large gets the logo rules' message (its size, the limit) rather than a schema error.
LOGO_BASE64_MAX = 2 * 1024 * 1024

Role = Literal["owner", "editor", "viewer"]
UserType = Literal["external", "internal"]
Status = Literal["testing", "production"]
ClientType = Literal["web", "installed", "device", "service"]


class Strict(BaseModel):
    """Unknown fields are refused: a misspelt field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code, e.g. `not_found`, `csrf`, `limit`, `wrong_state`")
    error_description: str = Field(description="What went wrong and how to fix it, in plain words")


#: The error answers every console route may give (app.py renders them).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input; nothing was changed"},
    401: {"model": ErrorOut, "description": "Not signed in (`unauthenticated`)"},
    403: {"model": ErrorOut, "description": "Missing X-CSRF-Token (`csrf`) or not allowed (`forbidden`)"},
    404: {"model": ErrorOut, "description": "No such project or client, or not visible to you"},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The current state does not allow this"}
}


# --- requests ------------------------------------------------------------------------------------


class ProjectCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_storable)]
    user_type: UserType = "external"
    status: Status = "testing"


class ConsentScreenPatch(Strict):
    """The consent-screen configuration (VERIFY-2); a field left out stays as it is."""

    app_name: Annotated[str, _text(500), AfterValidator(_storable)] | None = None
    support_email: Email | None = None
    home_page: Url | None = None
    privacy_policy: Url | None = None
    terms: Url | None = Field(default=None, description="Empty string removes the terms link")
    authorized_domains: list[Domain] | None = Field(default=None, max_length=50)
    developer_contacts: list[Email] | None = Field(default=None, max_length=50)
    logo_base64: Annotated[str, _text(LOGO_BASE64_MAX), AfterValidator(_storable)] | None = Field(
        default=None,
        description="PNG, JPEG, GIF or WebP, at most 1 MiB once decoded; re-encoded as a 120x120 PNG",
    )


class ListChange(Strict):
    add: list[Scope] = Field(default_factory=list, max_length=200)
    remove: list[Scope] = Field(default_factory=list, max_length=200)


class TesterChange(Strict):
    add: list[Email] = Field(default_factory=list, max_length=200)
    remove: list[Email] = Field(default_factory=list, max_length=200)


class PublishingPatch(Strict):
    status: Status | None = None
    user_type: UserType | None = None


class MemberPut(Strict):
    role: Role


class ClientCreate(Strict):
    type: ClientType
    name: Annotated[Name, AfterValidator(_printable)] = ""
    redirect_uris: list[Url] = Field(default_factory=list, max_length=20)


class MessageIn(Strict):
    message: LongText


# --- responses -----------------------------------------------------------------------------------


class SessionOut(BaseModel):
    email: str
    platform_role: str
    csrf_token: str = Field(description="Send it as the X-CSRF-Token header on every write")


class ProjectSummary(BaseModel):
    name: str
    app_name: str
    status: str
    user_type: str
    role: str | None = Field(description="Your role on the project (owner, editor, viewer) or null")
    created_at: int


class ProjectList(BaseModel):
    projects: list[ProjectSummary]


class ConsentScreenOut(BaseModel):
    app_name: str
    logo_url: str | None
    support_email: str
    home_page: str
    privacy_policy: str
    terms: str
    authorized_domains: list[str]
    developer_contacts: list[str]


class ConsentScreenSaved(ConsentScreenOut):
    brand_changed: bool = Field(description="Name, logo or domains changed: an open review is cancelled")


class ScopeGroup(BaseModel):
    requires: str
    scopes: list[str]


class ScopesOut(BaseModel):
    declared: list[str]
    by_class: dict[str, ScopeGroup]


class TestersOut(BaseModel):
    test_users: list[str]
    limit: int


class MissingOut(BaseModel):
    code: str
    message: str
    section: str


class ExemptionOut(BaseModel):
    code: str
    message: str


class StatusOut(BaseModel):
    """Where verification stands and what is still missing (``VerificationStatus.as_dict()``)."""

    needed: str
    verified: bool
    unapproved_scopes: list[str]
    missing: list[MissingOut]
    exemptions: list[ExemptionOut]
    review_state: str | None
    headline: str
    next_action: str
    ready_to_submit: bool
    assessment_required: bool
    assessment_lapses_at: int | None


class PublishingOut(BaseModel):
    status: str
    user_type: str
    verification: StatusOut


class MemberOut(BaseModel):
    email: str
    role: str


class MembersOut(BaseModel):
    members: list[MemberOut]


class ClientOut(BaseModel):
    client_id: str
    name: str
    type: str
    redirect_uris: list[str]
    confidential: bool
    access_token_format: str
    can_introspect: bool
    disabled: bool
    deleted_at: int | None
    created_at: int
    project: str


class ClientList(BaseModel):
    clients: list[ClientOut]


class NewClientOut(BaseModel):
    client: ClientOut
    client_secret: str | None = Field(description="Shown once; store it now. Null for public clients")


class SecretOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once; the previous secret stops working at once")


class TxtRecord(BaseModel):
    name: str
    type: Literal["TXT"] = "TXT"
    value: str


class ProofFile(BaseModel):
    url: str
    content: str


class DomainOut(BaseModel):
    domain: str
    verified: bool
    method: str
    verified_at: int | None
    checked_at: int | None
    last_error: str
    challenge: str | None = Field(description="Null until an editor opens the domain list")
    txt_record: TxtRecord | None
    file: ProofFile | None


class DomainList(BaseModel):
    domains: list[DomainOut]


class CheckResult(BaseModel):
    verified: bool
    method: str
    reason: str
    message: str
    evidence: list[str]


class DomainCheckOut(BaseModel):
    domain: DomainOut
    result: CheckResult


class MessageOut(BaseModel):
    author: str
    side: str
    body: str
    at: int


class RequestOut(BaseModel):
    id: int
    state: str
    scopes: list[str]
    justifications: dict[str, dict[str, str]]
    doc_links: list[str]
    video_url: str
    app_type: str
    task_automation: bool
    server_access: bool
    transfers: str
    human_access: str
    attested: bool
    scan_report: dict[str, Any] | None
    prechecks: list[dict[str, Any]]
    approved_scopes: list[str]
    reasons: list[str]
    submitted_by: str
    created_at: int
    submitted_at: int | None
    waiting_since: int | None
    decided_at: int | None
    updated_at: int
    messages: list[MessageOut]


class RiskyScope(BaseModel):
    scope: str
    name: str
    scope_class: str
    description: str
    narrower: list[str] = Field(description="The least-privilege advisor's narrower alternatives")


class VerificationOut(BaseModel):
    status: StatusOut
    request: RequestOut | None
    scopes: list[RiskyScope] = Field(description="The declared scopes a submission must justify")
    app_type_choices: dict[str, str]
    disallowed_uses: dict[str, list[str]] = Field(
        description="Per API asked: the uses no review approves (USE-2..5)"
    )
    reviewers_decide: list[str] = Field(
        description="APIs asked that have no list of approved uses (calendar): the reviewers decide"
    )
    video_checklist: list[str]
    max_doc_links: int


class ProjectDetail(ProjectSummary):
    permissions: list[str]
    consent_screen: ConsentScreenOut
    scopes: ScopesOut
    approved_scopes: list[str]
    test_users: list[str]
    verification: StatusOut
    clients: list[ClientOut]
    members: list[MemberOut]
