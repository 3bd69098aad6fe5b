"""What an organization's admins change: per-app access and installation, the policy for apps
not configured, restricted APIs, the refusal message, internal-app approval, and who is an admin
(issue 14, VERIFY-10, AUTH0-5).

Every change is one path (``_changed``): audited, ``policy_version`` bumped so every server
process reads the new rules on the next request, and ``enforce`` run in the same transaction so
grants and tokens the new rules refuse are taken back before the change commits. Only the
organization's own admins may change it (permissions.org_granted), or the operator through the CLI
(``user=None``). The policy gate reads what is written here (domain/orgs/policy_facts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.orgs.enforcement import enforce
from consentry.domain.permissions import Permission, org_granted
from consentry.domain.scopes.catalogue import APIS, Catalogue
from consentry.errors import Conflict, Forbidden, InvalidInput, NotFound
from consentry.storage.tables import Organization, OrgAppAccess, Project, User
from consentry.storage.tables.base import now

ACCESS = ("trusted", "limited", "blocked")
UNCONFIGURED = ("allow", "sign-in-only", "block")
#: The data APIs an org may reserve for trusted apps (sign-in is never restricted).
RESTRICTABLE = tuple(a for a in APIS if a != "sign-in")
MAX_MESSAGE = 500
ROLES = ("admin", "user")


@dataclass(frozen=True, slots=True)
class Changed:
    """What a change did, for the page, the API and the CLI to report."""

    domain: str
    #: The new values (only what this change set).
    values: dict[str, Any]
    #: Members' (member, app) accesses taken back, and tokens revoked, by enforcement.
    revoked_access: int
    revoked_tokens: int


@dataclass(frozen=True, slots=True)
class Member:
    email: str
    name: str
    role: str
    disabled: bool
    created_at: int

    @property
    def admin(self) -> bool:
        return self.role == "admin"


# --- who may ----------------------------------------------------------------------------------
def administered(session: Session, user: User | None, domain: str) -> Organization:
    """The organization ``domain`` if ``user`` administers it (None: the operator, via the CLI).

    Another organization's admin learns nothing (404, as for a domain that does not exist); a
    member of this organization who is not an admin is told so (403).
    """
    wanted = domain.strip().lower()[:253]
    org = session.scalar(select(Organization).where(Organization.domain == wanted))
    member = org is not None and user is not None and user.org_id == org.id
    if org is None or (user is not None and not member):
        tail = " that you administer" if user is not None else ""
        raise NotFound("organization", f"no organization {wanted!r}{tail}")
    if user is not None and Permission.ORG_ADMIN not in org_granted(user.role, member):
        raise Forbidden("Only the organization's administrators can do this.")
    return org


def own_org(session: Session, user: User) -> Organization:
    """The organization the signed-in ``user`` administers (the /admin pages)."""
    org = session.get(Organization, user.org_id) if user.org_id is not None else None
    if org is None or Permission.ORG_ADMIN not in org_granted(user.role, True):
        raise Forbidden("Only an administrator of an organization can open its admin console.")
    return org


# --- apps --------------------------------------------------------------------------------------
def set_access(
    session: Session,
    org: Organization,
    project_id: int,
    access: str | None,
    *,
    actor: str,
    channel: Channel,
    catalogue: Catalogue,
) -> Changed:
    """trusted | limited | blocked; None goes back to the policy for unconfigured apps.

    An installed app is trusted by definition: making it limited or blocked uninstalls it.
    """
    if access is not None and access not in ACCESS:
        raise InvalidInput("invalid_access", "Choose trusted, limited or blocked.")
    project = _project(session, project_id)
    row = _row(session, org, project_id)
    before = (row.access, row.installed) if row is not None else (None, False)
    if access is None:
        if row is not None:
            session.delete(row)
    else:
        row = row or _new_row(session, org, project_id)
        row.access, row.updated_at, row.updated_by = access, now(), actor
        if access != "trusted":
            row.installed = False
    values = {"access": access, "installed": bool(row is not None and access is not None and row.installed)}
    data = {"project_id": project_id, "app": project.app_name or project.name, "before": before[0]}
    return _changed(session, org, AuditTag.ORG_APP_ACCESS, {**data, **values}, actor, channel, catalogue)


def set_installed(
    session: Session,
    org: Organization,
    project_id: int,
    on: bool,
    *,
    actor: str,
    channel: Channel,
    catalogue: Catalogue,
) -> Changed:
    """Install for every member (trusted, and exempt from verification here: VERIFY-10), or not.

    Uninstalling keeps the app trusted: the admins chose that, and can change it separately.
    """
    project = _project(session, project_id)
    row = _row(session, org, project_id)
    if on:
        row = row or _new_row(session, org, project_id)
        row.access, row.installed = "trusted", True
    elif row is not None:
        row.installed = False
    if row is not None:
        row.updated_at, row.updated_by = now(), actor
    values = {"installed": on, "access": row.access if row is not None else None}
    data = {"project_id": project_id, "app": project.app_name or project.name, **values}
    return _changed(session, org, AuditTag.ORG_APP_INSTALL, data, actor, channel, catalogue)


# --- the organization's policy ------------------------------------------------------------------
def set_policy(
    session: Session,
    org: Organization,
    *,
    unconfigured: str | None = None,
    restricted_apis: list[str] | None = None,
    message: str | None = None,
    internal_approval: bool | None = None,
    actor: str,
    channel: Channel,
    catalogue: Catalogue,
) -> Changed:
    """Change any of the four; what is left None stays. Checked whole before anything is set;
    setting what is already set changes nothing (no audit event, no new policy version)."""
    values: dict[str, Any] = {}
    if unconfigured is not None:
        if unconfigured not in UNCONFIGURED:
            raise InvalidInput("invalid_policy", "Choose allow, sign-in-only or block for unconfigured apps.")
        values["unconfigured"] = unconfigured
    if restricted_apis is not None:
        wanted = [a.strip().lower() for a in restricted_apis if a.strip()]
        unknown = sorted(set(wanted) - set(RESTRICTABLE))
        if unknown:
            raise InvalidInput(
                "invalid_api",
                f"Unknown API {unknown[0][:40]!r}: restrict any of {', '.join(RESTRICTABLE)}.",
            )
        values["restricted_apis"] = [a for a in RESTRICTABLE if a in wanted]
    if message is not None:
        text = message.strip().replace("\r\n", "\n")
        if len(text) > MAX_MESSAGE:
            raise InvalidInput(
                "message_too_long", f"The message is {len(text)} characters; at most {MAX_MESSAGE}."
            )
        if any(not (ch.isprintable() or ch == "\n") for ch in text):
            raise InvalidInput("invalid_message", "Use ordinary letters, digits, punctuation and spaces.")
        values["refusal_message"] = text
    if internal_approval is not None:
        values["internal_approval"] = bool(internal_approval)
    # Only what differs is a change: the page posts every field, the audit names what moved.
    values = {k: v for k, v in values.items() if getattr(org, k) != v}
    if not values:
        return Changed(org.domain, {}, 0, 0)
    before = {k: getattr(org, k) for k in values}
    for key, value in values.items():
        setattr(org, key, value)
    data = {**values, "before": before}
    return _changed(session, org, AuditTag.ORG_POLICY, data, actor, channel, catalogue)


# --- members and roles --------------------------------------------------------------------------
def members(session: Session, org: Organization) -> list[Member]:
    """Admins first, then by address."""
    rows = session.scalars(select(User).where(User.org_id == org.id))
    found = [Member(u.email, u.name, u.role, u.disabled, u.created_at) for u in rows]
    return sorted(found, key=lambda m: (not m.admin, m.email))


def set_role(
    session: Session,
    org: Organization,
    email: str,
    role: str,
    *,
    actor: str,
    channel: Channel,
    catalogue: Catalogue,
) -> Changed:
    """Make a member an admin, or an admin a member; the organization never loses its last admin."""
    if role not in ROLES:
        raise InvalidInput("invalid_role", "Choose admin or user.")
    # The organization's row, locked: two admins demoting each other at once must not both win.
    session.scalar(select(Organization.id).where(Organization.id == org.id).with_for_update())
    address = email.strip().lower()[:320]
    user = session.scalar(select(User).where(User.email == address, User.org_id == org.id))
    if user is None:
        raise NotFound("member", f"{address!r} is not a member of {org.domain}.")
    if user.role not in ROLES:
        raise InvalidInput(
            "platform_role", f"{address} has the platform role {user.role!r}; the operator changes it."
        )
    if user.role == "admin" and role == "user" and _other_admins(session, org, user.id) == 0:
        raise Conflict(
            "last_admin", f"{address} is the last administrator of {org.domain}: name another first."
        )
    before, user.role = user.role, role
    data = {"email": address, "role": role, "before": before}
    return _changed(session, org, AuditTag.ORG_MEMBER_ROLE, data, actor, channel, catalogue)


# --- helpers ------------------------------------------------------------------------------------
def _changed(
    session: Session,
    org: Organization,
    tag: AuditTag,
    data: dict[str, Any],
    actor: str,
    channel: Channel,
    catalogue: Catalogue,
) -> Changed:
    # An atomic increment: concurrent changes each move the version on.
    org.policy_version = Organization.policy_version + 1
    session.flush()
    done = enforce(session, org.id, catalogue)
    revoked = {"revoked_access": len(done.revoked), "revoked_tokens": done.tokens}
    record(session, tag, actor=actor, data={"org": org.domain, **data, **revoked}, channel=channel)
    values = {k: v for k, v in data.items() if k not in ("before", "app")}
    return Changed(org.domain, values, len(done.revoked), done.tokens)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("app", "There is no such app.")
    return project


def _row(session: Session, org: Organization, project_id: int) -> OrgAppAccess | None:
    return session.scalar(
        select(OrgAppAccess).where(OrgAppAccess.org_id == org.id, OrgAppAccess.project_id == project_id)
    )


def _new_row(session: Session, org: Organization, project_id: int) -> OrgAppAccess:
    row = OrgAppAccess(org_id=org.id, project_id=project_id, access="trusted", installed=False)
    session.add(row)
    return row


def _other_admins(session: Session, org: Organization, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.org_id == org.id,
                User.role == "admin",
                User.id != user_id,
                User.disabled.is_(False),
            )
        )
        or 0
    )
