"""Creating one's own account with a verified e-mail address (ACCT-6, ``signup = "open"``).

Two steps, so an account always belongs to someone who reads its address: the address gets a
single-use link (domain/accounts/links.py), and the link's page creates the account. Asking
answers nothing about the address: a taken one is mailed "you already have an account" instead
of a link, so only its owner learns it is taken. Whether sign-up is open at all is the
operator's (settings.signup); the web checks it at both steps, since it may change in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consentry.domain.accounts import service
from consentry.domain.accounts.account_mail import SIGNUP_THROTTLE, send_signup_exists, send_signup_link
from consentry.domain.accounts.links import Links, Purpose
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError
from consentry.storage.tables import User

#: Longest display name accepted (the column holds 200).
MAX_NAME = 200


class Requested(StrEnum):
    """What became of a sign-up request; for the audit log and tests, never for the person asking."""

    SENT = "sent"
    EXISTS = "exists"
    DISABLED = "disabled"
    THROTTLED = "throttled"
    INVALID = "invalid"


def expired() -> DomainError:
    return DomainError("expired", "This link has expired or was already used. Start again to get a new one.")


def request_signup(
    session: Session, links: Links, hasher: Hasher, *, email: str, client: str, ttl: int, issuer: str
) -> Requested:
    """Mail a sign-up link, or "you already have an account" when one uses the address."""
    email = email.strip().lower()
    refused = SIGNUP_THROTTLE.refusal(session, hasher, email=email, client=client)
    if refused:
        return Requested(refused)
    user = service.find_user(session, email)
    if user is not None:
        if user.disabled:  # its owner cannot sign in or reset: a mail would only confuse
            return Requested.DISABLED
        send_signup_exists(session, email, issuer)
        return Requested.EXISTS
    issued = links.issue(session, Purpose.SIGNUP, email, ttl=ttl)
    send_signup_link(session, email, issued.token, ttl, issuer)
    record(session, AuditTag.USER_SIGNUP_REQUEST, data={"email": email}, channel=Channel.WEB)
    return Requested.SENT


@dataclass(frozen=True)
class SignupLink:
    email: str
    expires_at: int


def taken() -> DomainError:
    return DomainError("exists", "An account already uses this address: sign in, or reset its password.")


def look(session: Session, links: Links, token: str) -> SignupLink | None:
    """The address a still-good link verifies; nothing is used up."""
    facts = links.peek(session, Purpose.SIGNUP, token)
    return SignupLink(facts.email, facts.expires_at) if facts else None


def clean_name(name: str) -> str:
    """The display name as typed, trimmed; refused when empty, too long or not printable."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("invalid_name", "Type your name, as apps should show it.")
    if len(name) > MAX_NAME or not name.isprintable():
        raise DomainError("invalid_name", f"A name has at most {MAX_NAME} printable characters.")
    return name


def create_account(
    session: Session,
    links: Links,
    purpose: Purpose,
    token: str,
    *,
    email: str,
    name: str,
    password: str,
    org_domain: str | None,
    role: str,
    expired: Callable[[], DomainError],
) -> User:
    """The account a mailed link creates (a sign-up's, an invitation's). The name and password are
    checked before the link is used up, so a refusal (``invalid_name``, ``weak_password``) leaves
    it usable; ``exists`` when an account has the address, ``expired`` when the link went."""
    name = clean_name(name)
    service.check_password(password, email, name)
    if service.find_user(session, email) is not None:
        raise taken()
    if links.redeem(session, purpose, token) is None:
        raise expired()
    try:
        return service.add_user(session, email, password, name=name, org_domain=org_domain, role=role)
    except IntegrityError:  # another link for the address won a race; the caller rolls back
        raise taken() from None


def complete_signup(session: Session, links: Links, *, token: str, name: str, password: str) -> User:
    """Create the account the link verified; ``expired``, ``invalid_name``, ``weak_password`` or
    ``exists`` otherwise. Nothing is used up until the name and password are acceptable."""
    facts = links.peek(session, Purpose.SIGNUP, token)
    if facts is None:
        raise expired()
    user = create_account(
        session,
        links,
        Purpose.SIGNUP,
        token,
        email=facts.email,
        name=name,
        password=password,
        org_domain=None,
        role="user",
        expired=expired,
    )
    record(session, AuditTag.USER_SIGNUP, actor=user.email, data={"email": user.email}, channel=Channel.WEB)
    return user
