"""Password reset by a mailed link (ACCT-1): ask for one, look at one, use one.

The request answers nothing about the address: whether an account uses it, is disabled, or was
throttled, the caller learns the same (the web runs :func:`request_reset` after its answer is
sent). The link is single-use and short-lived (domain/accounts/links.py). Using it checks the new
password *before* using the link up, so a refused password leaves the link usable; then it sets
the password, which signs the account out of every browser, voids the account's other reset
links, tells the apps (``sessions-revoked``) and mails the owner a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from consentry.domain.accounts import service
from consentry.domain.accounts.account_mail import RESET_THROTTLE, send_password_changed, send_reset_link
from consentry.domain.accounts.links import Links, Purpose
from consentry.domain.accounts.passkeys import list_passkeys
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events.emit import emit
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError
from consentry.storage.tables import User


def expired() -> DomainError:
    return DomainError(
        "expired", "This reset link has expired or was already used. Ask for a new one: each link works once."
    )


class Requested(StrEnum):
    """What became of a reset request; for the audit log and tests, never for the person asking."""

    SENT = "sent"
    NO_ACCOUNT = "no_account"
    DISABLED = "disabled"
    THROTTLED = "throttled"
    INVALID = "invalid"


def request_reset(
    session: Session, links: Links, hasher: Hasher, *, email: str, client: str, ttl: int, issuer: str
) -> Requested:
    """Mail a reset link if an enabled account uses ``email`` and neither the address nor the
    client has asked too often this hour. ``client`` is the requester's network address."""
    email = email.strip().lower()
    refused = RESET_THROTTLE.refusal(session, hasher, email=email, client=client)
    if refused:
        return Requested(refused)
    user = service.find_user(session, email)
    if user is None:
        return Requested.NO_ACCOUNT
    if user.disabled:
        return Requested.DISABLED
    issued = links.issue(session, Purpose.RESET, user.email, ttl=ttl, user_id=user.id)
    send_reset_link(session, user.email, issued.token, ttl, issuer)
    record(session, AuditTag.USER_RESET_REQUEST, data={"email": user.email}, channel=Channel.WEB)
    return Requested.SENT


@dataclass(frozen=True)
class ResetLink:
    """What the reset page shows of a good link: whose password it changes, until when."""

    email: str
    name: str
    expires_at: int


def _account(session: Session, user_id: int | None, email: str) -> User | None:
    """The link's account, if it still is the one the link was mailed to and may sign in."""
    user = service.get_user(session, user_id) if user_id is not None else None
    if user is None or user.disabled or user.email != email:
        return None
    return user


def look(session: Session, links: Links, token: str) -> ResetLink | None:
    """The link's account if the link is still good (unused, unexpired); nothing is used up."""
    facts = links.peek(session, Purpose.RESET, token)
    user = _account(session, facts.user_id, facts.email) if facts else None
    if facts is None or user is None:
        return None
    return ResetLink(user.email, user.name, facts.expires_at)


def complete_reset(session: Session, links: Links, *, token: str, password: str, issuer: str) -> User:
    """Set the new password with the link; raises ``expired`` or ``weak_password`` (link kept)."""
    facts = links.peek(session, Purpose.RESET, token)
    user = _account(session, facts.user_id, facts.email) if facts else None
    if facts is None or user is None:
        raise expired()
    service.check_password(password, user.email, user.name)  # refused: the link stays usable
    if links.redeem(session, Purpose.RESET, token) is None:  # another click won the race
        raise expired()
    _user, ended = service.set_password(session, user.email, password, actor=user.email, channel=Channel.WEB)
    voided = links.void(session, Purpose.RESET, email=user.email)
    emit(session, event="sessions-revoked", user_id=user.id, issuer=issuer)
    send_password_changed(session, user.email, issuer, [k.name for k in list_passkeys(session, user.id)])
    record(
        session,
        AuditTag.USER_RESET,
        actor=user.email,
        data={"email": user.email, "sessions_ended": ended, "links_voided": voided},
        channel=Channel.WEB,
    )
    return user
