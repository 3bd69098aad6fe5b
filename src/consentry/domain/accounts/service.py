"""Organizations and users: create, find, list, change password, disable, delete.

Sign-in itself lives in domain/accounts/signin.py. Every change leaves an audit event.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts.app_passwords import revoke_all
from consentry.domain.accounts.emails import is_email_address, shown
from consentry.domain.accounts.password_rules import check_new_password
from consentry.domain.accounts.passwords import hash_password
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.legacy import tokens as legacy_tokens
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import (
    AuthorizationCode,
    Client,
    ConsentGrant,
    DeviceCode,
    Interaction,
    Organization,
    Project,
    ProjectMember,
    SessionAccount,
    SigninStep,
    Token,
    TotpFactor,
    TrustedDevice,
    User,
)
from consentry.storage.tables.base import now

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ROLES = ("user", "admin", "reviewer", "operator")
MAX_LIST = 1000


def add_org(session: Session, domain: str, name: str | None = None) -> Organization:
    domain = domain.strip().lower()
    if not DOMAIN_RE.match(domain):
        raise DomainError("invalid_domain", f"{domain!r} is not a domain name")
    if session.scalar(select(Organization).where(Organization.domain == domain)):
        raise DomainError("exists", f"organization {domain} already exists")
    org = Organization(domain=domain, name=name or domain)
    session.add(org)
    session.flush()
    record(session, AuditTag.ORG_CREATE, data={"domain": domain}, channel=Channel.CLI)
    return org


def find_org(session: Session, domain: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.domain == domain.strip().lower()))


def add_user(
    session: Session,
    email: str,
    password: str,
    *,
    name: str = "",
    org_domain: str | None = None,
    role: str = "user",
) -> User:
    email = email.strip().lower()
    if not is_email_address(email):
        raise DomainError("invalid_email", f"{shown(email)!r} is not an email address")
    check_password(password, email, name)
    if role not in ROLES:
        raise DomainError("invalid_role", f"role must be one of {', '.join(ROLES)}")
    if find_user(session, email):
        raise DomainError("exists", f"user {email} already exists")
    org = None
    if org_domain:
        org = find_org(session, org_domain)
        if org is None:
            raise DomainError("not_found", f"no organization {org_domain}; add it first")
    user = User(
        sub=new_id(12),
        email=email,
        name=name or email.split("@")[0].replace(".", " ").title(),
        password_hash=hash_password(password),
        org_id=org.id if org else None,
        role=role,
    )
    session.add(user)
    session.flush()
    record(session, AuditTag.USER_CREATE, data={"email": email, "role": role}, channel=Channel.CLI)
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def check_password(password: str, email: str, name: str = "") -> None:
    """The rule for every password set for an account (ACCT-2): password_rules.py."""
    check_new_password(password, context=(email, name, "consentry"))


def require_user(session: Session, email: str) -> User:
    """The user with this email, or a ``not_found`` error."""
    user = find_user(session, email)
    if user is None:
        raise DomainError("not_found", f"no user {shown(email.strip().lower())}")
    return user


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    """What a list shows of a user; never the password hash."""

    email: str
    sub: str
    name: str
    org: str | None
    role: str
    disabled: bool
    created_at: int

    @classmethod
    def of(cls, user: User) -> UserRow:
        return cls(
            user.email, user.sub, user.name, user.hosted_domain, user.role, user.disabled, user.created_at
        )


@dataclass(frozen=True)
class ProjectRole:
    name: str
    role: str


@dataclass(frozen=True)
class UserSummary(UserRow):
    password_changed_at: int = 0
    projects: tuple[ProjectRole, ...] = field(default_factory=tuple)
    #: Apps the user granted at least one scope to (deleted apps left out).
    active_grants: int = 0


@dataclass(frozen=True)
class UserList:
    users: list[UserRow]
    #: More users matched than the limit let through.
    more: bool


def list_users(session: Session, *, org: str | None = None, limit: int = 100) -> UserList:
    """Users by email, optionally those of one organization; at most ``limit`` (1 to 1000)."""
    if not 1 <= limit <= MAX_LIST:
        raise DomainError("invalid_limit", f"the limit is between 1 and {MAX_LIST}")
    query = select(User).order_by(User.email).limit(limit + 1)
    if org is not None:
        found = find_org(session, org)
        if found is None:
            raise DomainError("not_found", f"no organization {shown(org.strip().lower())}")
        query = query.where(User.org_id == found.id)
    rows = list(session.scalars(query))
    return UserList([UserRow.of(u) for u in rows[:limit]], more=len(rows) > limit)


def user_summary(session: Session, email: str) -> UserSummary:
    """One user in full: organization, role, state, projects and how many apps hold a grant."""
    user = require_user(session, email)
    projects = session.execute(
        select(Project.name, ProjectMember.role)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user.id)
        .order_by(Project.name)
    )
    grants = session.scalars(
        select(ConsentGrant.scopes)
        .join(Client, Client.id == ConsentGrant.client_pk)
        .where(ConsentGrant.user_id == user.id, Client.deleted_at.is_(None))
    )
    return UserSummary(
        **asdict(UserRow.of(user)),
        password_changed_at=user.password_changed_at,
        projects=tuple(ProjectRole(name, role) for name, role in projects),
        active_grants=sum(1 for scopes in grants if scopes),
    )


# --- changing -------------------------------------------------------------------------------------


def set_password(
    session: Session, email: str, password: str, *, actor: str = "cli", channel: Channel = Channel.CLI
) -> tuple[User, int]:
    """Replace the user's password (argon2id; ``add_user``'s strength rule) and sign the user out of
    every browser, so whoever knew the old password loses the sessions it opened; sign-ins half
    done with the old password (a second step or a passkey ceremony waiting) are voided too. App
    passwords are revoked (audited: they stood in for the old password in apps that cannot do
    two-step), and with them ClientLogin tokens. Apps' other tokens stay: they were granted by
    consent, not by the password. Returns the user and the sessions ended."""
    user = require_user(session, email)
    check_password(password, user.email, user.name)
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    ended = session.execute(delete(SessionAccount).where(SessionAccount.user_id == user.id))
    sessions = int(ended.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(delete(SigninStep).where(SigninStep.user_id == user.id))
    # Authenticator-app set-ups never confirmed (made before set-ups were carried in the page).
    session.execute(
        delete(TotpFactor).where(TotpFactor.user_id == user.id, TotpFactor.confirmed_at.is_(None))
    )
    app_passwords = revoke_all(session, user.id, actor=actor, channel=channel)
    # ClientLogin's Auth tokens were got with the password itself: a new password ends them, as the
    # reference platform did (the only thing that did).
    clientlogin = legacy_tokens.revoke_for_user(session, user.id, "clientlogin")
    data = {
        "email": user.email,
        "sessions_ended": sessions,
        "app_passwords_revoked": app_passwords,
        "clientlogin_tokens_revoked": clientlogin,
    }
    record(session, AuditTag.USER_PASSWORD, actor=actor, data=data, channel=channel)
    return user, sessions


@dataclass(frozen=True)
class AccessEnded:
    """What disabling or deleting a user took away."""

    email: str
    #: Tokens revoked (disable) or deleted (delete).
    tokens: int = 0
    #: Browser sessions the user was signed out of.
    sessions: int = 0
    #: Consent grants deleted (delete only; disabling keeps them for when the user comes back).
    grants: int = 0
    #: False when the user was already disabled (the sweep runs again all the same).
    changed: bool = True


def _end_access(session: Session, user_id: int) -> tuple[int, int]:
    """Revoke every live token, sign the user out of every browser, void codes still in flight."""
    tokens = session.execute(
        update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None)).values(revoked_at=now())
    )
    sessions = session.execute(delete(SessionAccount).where(SessionAccount.user_id == user_id))
    session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.user_id == user_id, AuthorizationCode.used_at.is_(None)
        )
    )
    session.execute(
        update(DeviceCode)
        .where(DeviceCode.user_id == user_id, DeviceCode.status.in_(("pending", "approved")))
        .values(status="denied")
    )
    return int(tokens.rowcount or 0), int(sessions.rowcount or 0)  # type: ignore[attr-defined]


def disable_user(session: Session, email: str, *, actor: str = "cli") -> AccessEnded:
    """The user can no longer sign in; their tokens are revoked and their browser sessions end."""
    user = require_user(session, email)
    changed = not user.disabled
    user.disabled = True
    session.flush()
    tokens, sessions = _end_access(session, user.id)
    record(
        session,
        AuditTag.USER_DISABLE,
        actor=actor,
        channel=Channel.CLI,
        data={"email": user.email, "tokens_revoked": tokens, "sessions_ended": sessions},
    )
    return AccessEnded(user.email, tokens, sessions, changed=changed)


def enable_user(session: Session, email: str, *, actor: str = "cli") -> bool:
    """The user may sign in again (revoked tokens stay revoked); False if they were not disabled."""
    user = require_user(session, email)
    changed = user.disabled
    user.disabled = False
    record(session, AuditTag.USER_ENABLE, actor=actor, data={"email": user.email}, channel=Channel.CLI)
    return changed


def sole_owned_projects(session: Session, user_id: int) -> list[str]:
    """Projects whose only owner is this user: deleting the user would orphan them."""
    owned = select(ProjectMember.project_id).where(
        ProjectMember.user_id == user_id, ProjectMember.role == "owner"
    )
    co_owned = select(ProjectMember.project_id).where(
        ProjectMember.user_id != user_id, ProjectMember.role == "owner"
    )
    return list(
        session.scalars(
            select(Project.name)
            .where(Project.id.in_(owned), Project.id.not_in(co_owned))
            .order_by(Project.name)
        )
    )


def delete_user(
    session: Session, email: str, *, actor: str = "cli", channel: Channel = Channel.CLI
) -> AccessEnded:
    """Delete the user with their tokens, grants, sessions and data; refused while they own projects.

    Refused (``owns_projects``) if the user is the only owner of a project: its clients would be
    left without anyone to manage them. The user's sample data goes with the row (ON DELETE CASCADE).
    """
    user = require_user(session, email)
    orphans = sole_owned_projects(session, user.id)
    if orphans:
        names = ", ".join(repr(n) for n in orphans)
        raise DomainError(
            "owns_projects",
            f"{user.email} is the only owner of project(s) {names}; "
            "give each another owner or delete it first (the user was not deleted)",
        )
    tokens = session.scalar(select(func.count()).where(Token.user_id == user.id)) or 0
    sessions = session.scalar(select(func.count()).where(SessionAccount.user_id == user.id)) or 0
    grants = session.scalar(select(func.count()).where(ConsentGrant.user_id == user.id)) or 0
    # Explicit, not left to ON DELETE CASCADE alone: these are what the user could still act with.
    for table in (Token, ConsentGrant, SessionAccount, TrustedDevice, AuthorizationCode, DeviceCode):
        session.execute(delete(table).where(table.user_id == user.id))
    for other in (Interaction, ProjectMember):
        session.execute(delete(other).where(other.user_id == user.id))
    email, sub, user_id = user.email, user.sub, user.id
    session.expunge(user)
    session.execute(delete(User).where(User.id == user_id))
    record(
        session,
        AuditTag.USER_DELETE,
        actor=actor,
        channel=channel,
        data={"email": email, "sub": sub, "tokens": tokens, "grants": grants, "sessions": sessions},
    )
    return AccessEnded(email, tokens, sessions, grants)
