"""Request and response models of the organization admin API (``/api/v1/orgs/{domain}``).

Bounded like web/api/models.py: every string and list a caller sends has a ceiling above the
domain's own limits (a 500-character message, five APIs), so those are refused by the domain with
their own code and message rather than by the schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from consentry.web.api.models import Scope, Strict, _storable

Access = Literal["trusted", "limited", "blocked"]
Unconfigured = Literal["allow", "sign-in-only", "block"]
ShortText = Annotated[str, Field(max_length=2000), AfterValidator(_storable)]


# --- requests ------------------------------------------------------------------------------------
class AccessPut(Strict):
    access: Access | None = Field(description="null: back to the policy for unconfigured apps")


class InstallPut(Strict):
    installed: bool = Field(
        description="Installed for every member: trusted, and exempt from verification here"
    )


class PolicyPatch(Strict):
    """A field left out stays as it is."""

    unconfigured: Unconfigured | None = None
    restricted_apis: list[Annotated[str, Field(max_length=20)]] | None = Field(
        default=None, max_length=10, description="Any of mail, files, chat, meetings, calendar; [] clears"
    )
    refusal_message: ShortText | None = Field(default=None, description="At most 500 characters")
    internal_approval: bool | None = None


class RolePut(Strict):
    role: Literal["admin", "user"]


class DecisionIn(Strict):
    decision: Literal["approve", "deny"]
    answer: ShortText = Field(default="", description="Sent to the member in the mail that tells them")


class DelegationPut(Strict):
    scopes: list[Scope] = Field(max_length=100, description="Catalogue names or URIs")


# --- responses -----------------------------------------------------------------------------------
class PolicyOut(BaseModel):
    domain: str
    unconfigured: str
    restricted_apis: list[str]
    refusal_message: str
    internal_approval: bool
    policy_version: int


class ChangedOut(BaseModel):
    domain: str
    values: dict[str, Any]
    revoked_access: int = Field(description="(member, app) accesses the change took back")
    revoked_tokens: int


class AppOut(BaseModel):
    project_id: int
    name: str
    project: str
    client_ids: list[str]
    users: int
    scopes: dict[str, list[str]] = Field(description="Scope class -> catalogue names the members granted")
    verified: bool
    access: str | None
    installed: bool
    internal: bool


class AppList(BaseModel):
    domain: str
    unconfigured: str
    apps: list[AppOut]


class MemberOut(BaseModel):
    email: str
    name: str
    role: str
    disabled: bool


class MemberList(BaseModel):
    domain: str
    members: list[MemberOut]


class RequestOut(BaseModel):
    id: int
    email: str
    app: str
    project_id: int
    reason: str
    status: str = Field(description="pending, approved, denied or lapsed")
    created_at: int
    expires_at: int
    decided_at: int | None
    decided_by: str
    answer: str


class RequestList(BaseModel):
    domain: str
    requests: list[RequestOut]


class DelegationOut(BaseModel):
    client_id: str
    client_email: str | None
    name: str
    project: str
    scopes: list[str]
    state: str
    created_at: int
    created_by: str


class DelegationList(BaseModel):
    domain: str
    delegations: list[DelegationOut]
