"""Organizations invite members by e-mail (ACCT-6): invite, list the pending, revoke, accept.

An invitation is a single-use mailed link (domain/accounts/links.py) carrying the organization and
the role; accepting it creates the account with the password the invitee chooses. An org admin
invites from the web; the operator from the CLI (``consentry user invite``). With
``signup = "closed"`` only the operator creates accounts, so web invitations are refused.

Pending invitations are named on the admin's page by an opaque *key*, a keyed hash of the stored
link hash: stable (the same key on every page load), useless for accepting (the link's secret
cannot be derived from it), and not the stored hash itself, so the page never shows a value from
the table of credentials.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts import service
from consentry.domain.accounts.account_mail import send_invitation, send_invited_but_registered
from consentry.domain.accounts.emails import is_email_address, shown
from consentry.domain.accounts.links import Issued, Links, Purpose
from consentry.domain.accounts.signup import create_account
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.ratelimit.limiter import Limiter
from consentry.domain.ratelimit.limits import Limit
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError, Forbidden
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables import AccountLink, Organization, User
from consentry.storage.tables.base import now

#: The roles an invitation may give (reviewers and operators are made by the operator, not invited).
ROLES = ("user", "admin")
#: Invitations an organization may send a day: enough to onboard a team, not to spam the world.
PER_ORG_PER_DAY = Limit("invite.org", 200, 24 * 3600)
#: Pending invitations listed on one page.
MAX_LISTED = 500
KEY_CHARS = 24


@dataclass(frozen=True)
class Invitation:
    """A sent invitation: the link's secret is here once, for the CLI's ``--show-link``."""

    email: str
    org_domain: str
    role: str
    token: str
    expires_at: int


@dataclass(frozen=True)
class Pending:
    key: str
    email: str
    role: str
    invited_by: str
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class Joining:
    """What the acceptance page shows of a still-good invitation."""

    email: str
    org_name: str
    org_domain: str
    role: str
    expires_at: int


@dataclass(frozen=True)
class Joined:
    user: User
    #: The organization asks two-step verification: the new member must set it up at sign-in.
    require_2sv: bool


def is_org_admin(user: User) -> bool:
    return user.role == "admin" and user.org_id is not None


def _key(hasher: Hasher, token_hash: str) -> str:
    return hasher.hash("invitation-key:" + token_hash)[:KEY_CHARS]


def invite(
    session: Session,
    links: Links,
    hasher: Hasher,
    *,
    inviter: User | None,
    email: str,
    org_domain: str,
    role: str,
    ttl: int,
    issuer: str,
    signup: str,
    mail: bool = True,
) -> Invitation:
    """Invite ``email`` into the organization with ``role``; mailed unless ``mail`` is False.

    ``inviter`` None is the operator (the CLI); a user must be an admin of that organization.
    An earlier pending invitation of the address to the same organization is replaced.
    """
    channel = Channel.CLI if inviter is None else Channel.WEB
    if inviter is not None and signup == "closed":
        raise Forbidden(
            "Accounts are created by the operator here (sign-up is closed): ask them to invite this person.",
            code="signup_closed",
        )
    org = service.find_org(session, org_domain)
    if org is None:
        raise DomainError("not_found", f"no organization {org_domain.strip().lower()}; add it first")
    if inviter is not None and not (is_org_admin(inviter) and inviter.org_id == org.id):
        raise Forbidden("Only an administrator of the organization can invite members.")
    email = email.strip().lower()
    if not is_email_address(email):
        raise DomainError("invalid_email", f"{shown(email)!r} is not an e-mail address")
    if role not in ROLES:
        raise DomainError("invalid_role", f"role must be one of {', '.join(ROLES)}")
    # Counted before the address is looked up: probing addresses spends the day's invitations.
    verdict = Limiter(hasher).hit(SqlRateCounters(session), PER_ORG_PER_DAY, str(org.id), now())
    if not verdict.allowed:
        raise DomainError(
            "limit", f"{org.domain} sent {PER_ORG_PER_DAY.max} invitations today; try again tomorrow"
        )
    existing = service.find_user(session, email)
    if existing is not None and (inviter is None or existing.org_id == org.id):
        # The operator may know; an admin may know who is already in their own organization.
        raise DomainError("exists", f"An account already uses {email}: it cannot be invited.")
    if existing is not None:
        # Anyone else's account: the admin sees "sent", the address's owner gets a mail instead,
        # so the form cannot tell an admin who has an account on the platform.
        send_invited_but_registered(session, email, issuer, org_name=org.name)
        record(
            session,
            AuditTag.ORG_INVITE,
            actor=inviter.email if inviter else "cli",
            data={"org": org.domain, "email": email, "role": role, "existing_account": True},
            channel=channel,
        )
        return Invitation(email, org.domain, role, "", now() + ttl)
    _void_earlier(session, org.id, email)
    issued: Issued = links.issue(
        session,
        Purpose.INVITE,
        email,
        ttl=ttl,
        org_id=org.id,
        role=role,
        invited_by=inviter.id if inviter else None,
    )
    if mail:
        who = inviter.name or inviter.email if inviter else ""
        send_invitation(session, email, issued.token, ttl, issuer, org_name=org.name, inviter=who)
    record(
        session,
        AuditTag.ORG_INVITE,
        actor=inviter.email if inviter else "cli",
        data={"org": org.domain, "email": email, "role": role, "mailed": mail},
        channel=channel,
    )
    return Invitation(email, org.domain, role, issued.token, issued.expires_at)


def _void_earlier(session: Session, org_id: int, email: str) -> None:
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.purpose == Purpose.INVITE.value,
            AccountLink.org_id == org_id,
            AccountLink.email == email,
            AccountLink.used_at.is_(None),
        )
        .values(used_at=now())
    )


def _pending_rows(session: Session, org_id: int) -> list[AccountLink]:
    return list(
        session.scalars(
            select(AccountLink)
            .where(
                AccountLink.purpose == Purpose.INVITE.value,
                AccountLink.org_id == org_id,
                AccountLink.used_at.is_(None),
                AccountLink.expires_at > now(),
            )
            .order_by(AccountLink.created_at.desc(), AccountLink.email)
            .limit(MAX_LISTED)
        )
    )


def pending(session: Session, hasher: Hasher, org_id: int) -> list[Pending]:
    """The organization's invitations not yet accepted, revoked or expired, newest first."""
    rows = _pending_rows(session, org_id)
    inviters = {
        u.id: u.email
        for u in session.scalars(
            select(User).where(User.id.in_({r.invited_by for r in rows if r.invited_by}))
        )
    }
    return [
        Pending(
            _key(hasher, r.token_hash),
            r.email,
            r.role,
            inviters.get(r.invited_by, "") if r.invited_by else "",
            r.created_at,
            r.expires_at,
        )
        for r in rows
    ]


def revoke(session: Session, hasher: Hasher, *, actor: User, key: str) -> Pending:
    """Void one pending invitation of the actor's organization (``not_found`` if none has ``key``)."""
    if not is_org_admin(actor):
        raise Forbidden("Only an administrator of the organization can revoke invitations.")
    assert actor.org_id is not None
    found = next(
        (
            r
            for r in _pending_rows(session, actor.org_id)
            if hmac.compare_digest(_key(hasher, r.token_hash), key)
        ),
        None,
    )
    if found is None:
        raise DomainError("not_found", "That invitation was already accepted, revoked or has expired.")
    done = session.execute(
        update(AccountLink)
        .where(AccountLink.token_hash == found.token_hash, AccountLink.used_at.is_(None))
        .values(used_at=now())
    )
    if int(done.rowcount or 0) != 1:  # type: ignore[attr-defined]
        raise DomainError("not_found", "That invitation was accepted or revoked a moment ago.")
    record(
        session,
        AuditTag.ORG_INVITE,
        actor=actor.email,
        data={"email": found.email, "revoked": True},
        channel=Channel.WEB,
    )
    return Pending(key, found.email, found.role, "", found.created_at, found.expires_at)


def expired() -> DomainError:
    return DomainError(
        "expired",
        "This invitation has expired, was revoked or was already used. "
        "Ask whoever invited you for a new one.",
    )


def look(session: Session, links: Links, token: str) -> Joining | None:
    """The organization a still-good invitation joins; nothing is used up."""
    facts = links.peek(session, Purpose.INVITE, token)
    org = session.get(Organization, facts.org_id) if facts and facts.org_id else None
    if facts is None or org is None:
        return None
    return Joining(facts.email, org.name, org.domain, facts.role, facts.expires_at)


def accept(session: Session, links: Links, *, token: str, name: str, password: str) -> Joined:
    """Create the member with the invitation's organization and role; ``expired``,
    ``invalid_name``, ``weak_password`` or ``exists`` otherwise (the link is kept until it works)."""
    joining = look(session, links, token)
    if joining is None:
        raise expired()
    user = create_account(
        session,
        links,
        Purpose.INVITE,
        token,
        email=joining.email,
        name=name,
        password=password,
        org_domain=joining.org_domain,
        role=joining.role,
        expired=expired,
    )
    org = service.find_org(session, joining.org_domain)
    record(
        session,
        AuditTag.ORG_JOIN,
        actor=user.email,
        data={"org": joining.org_domain, "email": user.email, "role": user.role},
        channel=Channel.WEB,
    )
    return Joined(user, bool(org and org.require_2sv))
