"""Closing one's own account (ACCT-6, DATA-4): tell the apps, delete everything, mail a receipt.

One service for the whole step, so the web page and any later channel do it alike, in the
caller's transaction: either the apps are told, the account and its data are gone and the
receipt is queued, or (refused, or anything failing) nothing happened at all.

Order matters: the RISC ``account-purged`` event is queued *before* the deletion, which takes
the grants that say which apps to tell (domain/events/emit.py); the event rows keep the user's
``sub`` and outlive the user (their ``user_id`` becomes NULL), so they are still pushed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consentry.domain.accounts import service
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events.emit import emit
from consentry.domain.mail.outbox import enqueue
from consentry.errors import Conflict, DomainError
from consentry.storage.tables import Client, ConsentGrant, Project, Token, User
from consentry.storage.tables.base import now


@dataclass(frozen=True)
class Preview:
    """What deleting the account would do, shown before the user confirms."""

    email: str
    #: Apps holding access (a grant or a live token): it is all taken back.
    apps: list[str]
    #: Projects the user is the only owner of: the deletion is refused until each has another.
    sole_owned: list[str]

    @property
    def blocked(self) -> bool:
        return bool(self.sole_owned)


@dataclass(frozen=True)
class Closed:
    """What closing the account did, for the goodbye page (the receipt mail says the same)."""

    email: str
    at: int
    apps: list[str]
    #: Apps told with ``account-purged`` (those the user shared their identity with that listen).
    told: list[str]
    sessions: int


def _apps_with_access(session: Session, user_id: int) -> list[str]:
    """Apps with a grant or an unrevoked token of the user (expired ones too: all are deleted)."""
    holding = or_(
        Client.id.in_(select(ConsentGrant.client_pk).where(ConsentGrant.user_id == user_id)),
        Client.id.in_(select(Token.client_pk).where(Token.user_id == user_id, Token.revoked_at.is_(None))),
    )
    rows = session.execute(
        select(Project.app_name, Project.name).join(Client, Client.project_id == Project.id).where(holding)
    )
    return sorted({app_name or name for app_name, name in rows}, key=str.casefold)


def preview(session: Session, user: User) -> Preview:
    return Preview(
        user.email, _apps_with_access(session, user.id), service.sole_owned_projects(session, user.id)
    )


def owner_problem(projects: list[str]) -> Conflict:
    """The refusal for a sole project owner: which projects, and what to do about each."""
    names = ", ".join(f"\u201c{p}\u201d" for p in projects)
    one = len(projects) == 1
    message = (
        f"You are the only owner of the project{'' if one else 's'} {names}. Before deleting your "
        f"account, add another owner to {'it' if one else 'each'} in the developer console, or "
        f"delete {'it' if one else 'them'} there."
    )
    return Conflict("owns_projects", message + " Your account was not deleted.")


def check_confirmation(email: str, typed: str) -> None:
    if " ".join((typed or "").split()).lower() != email:
        raise DomainError(
            "wrong_confirmation",
            f"To confirm, type your e-mail address exactly: {email}. Your account was not deleted.",
        )


def when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%-d %B %Y at %H:%M UTC")


def receipt(closed: Closed, issuer: str) -> tuple[str, str]:
    """The receipt mail's subject and body."""
    apps = ", ".join(closed.apps) if closed.apps else "none (no app had access to your account)"
    told = ", ".join(closed.told) if closed.told else "none (no app was set up to receive the notice)"
    body = (
        f"Your Consentry account {closed.email} was deleted on {when(closed.at)}, as you asked.\n\n"
        f"Apps whose access to your account was removed: {apps}.\n"
        f"These apps were told that your account was deleted, so they can delete what they hold "
        f"about you: {told}.\n\n"
        "Your mail, files, calendar, meetings and chat in the sample data services were deleted, "
        "and so were your app passwords, passkeys and two-step settings. You were signed out of "
        "every browser.\n\n"
        "This cannot be undone. If you did not ask for this, contact the people who run "
        f"{issuer}.\n"
    )
    return "Your Consentry account was deleted", body


def close_account(session: Session, user: User, *, confirmation: str, issuer: str) -> Closed:
    """Delete ``user`` at their own request, after they typed their e-mail address to confirm.

    Refused with ``wrong_confirmation`` or ``owns_projects`` (the only owner of a project, named,
    with what to do), changing nothing. Otherwise: ``account-purged`` queued for the apps the user
    shared their identity with, the account deleted with its tokens, grants, sessions, second
    factors, app passwords and sample data (accounts/service.py ``delete_user``), and a receipt
    queued to the address. The caller signs the browser out and must not use ``user`` again.
    """
    email = user.email
    check_confirmation(email, confirmation)
    seen = preview(session, user)
    if seen.blocked:
        raise owner_problem(seen.sole_owned)
    events = emit(session, event="account-purged", user_id=user.id, issuer=issuer)
    told_ids = {e.project_id for e in events}
    told = sorted(
        {p.app_name or p.name for p in session.scalars(select(Project).where(Project.id.in_(told_ids)))},
        key=str.casefold,
    )
    gone = service.delete_user(session, email, actor=email, channel=Channel.WEB)
    closed = Closed(email, now(), seen.apps, told, gone.sessions)
    subject, body = receipt(closed, issuer)
    enqueue(
        session,
        [email],
        subject,
        body,
        reason=AuditTag.USER_DELETE.value,
        data={"apps": closed.apps, "told": closed.told},
        issuer=issuer,
    )
    return closed
