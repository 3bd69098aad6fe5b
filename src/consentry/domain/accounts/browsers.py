"""Where an account is signed in, and ending any of those sign-ins (ACCT-5).

A browser session (BrowserSession) may hold several accounts (SessionAccount, the account
chooser). What a user sees and ends is *their* account in a browser: ending it deletes that one
SessionAccount row, so other people signed in to the same browser stay signed in, and the
browser session itself (cookie, paused flows) lives on for them.

The id shown on the page is the SessionAccount's id: opaque enough, and every action checks that
the row belongs to the user acting (someone else's id is "not found", never a hint it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts.amr import Amr, decode
from consentry.domain.accounts.user_agents import describe, is_mobile
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events.emit import emit
from consentry.errors import NotFound
from consentry.storage.tables import BrowserSession, SessionAccount
from consentry.storage.tables.base import now

#: ``last_seen_at`` is refreshed at most this often (seconds): one write per browser per five
#: minutes, not one per page.
SEEN_EVERY = 300


@dataclass(frozen=True)
class SignedInBrowser:
    """One browser the account is signed in to, as the sessions page shows it."""

    id: int
    #: "Chrome on Linux", from the User-Agent it signed in with.
    device: str
    address: str
    signed_in_at: int
    last_seen_at: int
    #: How the account signed in there: "Password", "Password and code", "Passkey", ...
    how: str
    #: The browser this request came from.
    this_browser: bool
    #: The raw User-Agent, for the page's tooltip.
    user_agent: str = ""
    #: A phone (the page shows a phone rather than a computer).
    mobile: bool = False


def how_signed_in(stored_amr: str | None) -> str:
    """The RFC 8176 ``amr`` stored for the sign-in, for people."""
    amr = set(decode(stored_amr))
    pwd, otp, hwk = Amr.PWD.value in amr, Amr.OTP.value in amr, Amr.HWK.value in amr
    if pwd and otp:
        return "Password and code"
    if pwd and hwk:
        return "Password and security key"
    if hwk:
        return "Passkey"
    if pwd:
        return "Password"
    return "Other"


def signed_in_browsers(
    session: Session, user_id: int, current_hash: str, *, at: int | None = None
) -> list[SignedInBrowser]:
    """The user's live sign-ins (the browser session not expired), this browser first, then by
    last seen."""
    at = now() if at is None else at
    rows = session.execute(
        select(SessionAccount, BrowserSession)
        .join(BrowserSession, BrowserSession.id_hash == SessionAccount.session_hash)
        .where(SessionAccount.user_id == user_id, BrowserSession.expires_at > at)
    )
    found = [
        SignedInBrowser(
            id=account.id,
            device=describe(browser.user_agent),
            address=browser.address,
            signed_in_at=account.authenticated_at,
            last_seen_at=max(browser.last_seen_at, account.authenticated_at),
            how=how_signed_in(account.amr),
            this_browser=account.session_hash == current_hash,
            user_agent=browser.user_agent,
            mobile=is_mobile(browser.user_agent),
        )
        for account, browser in rows
    ]
    return sorted(found, key=lambda b: (not b.this_browser, -b.last_seen_at, -b.id))


def seen(session: Session, session_hash: str, address: str, *, at: int | None = None) -> bool:
    """Record that the browser was seen now, from ``address``, unless it was in the last five
    minutes. One conditional UPDATE: concurrent pages of the same browser write at most once."""
    at = now() if at is None else at
    result = session.execute(
        update(BrowserSession)
        .where(BrowserSession.id_hash == session_hash, BrowserSession.last_seen_at < at - SEEN_EVERY)
        .values(last_seen_at=at, address=address[:64])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Ended:
    #: The sign-in ended was this browser's own: the page sends the browser to sign in again.
    this_browser: bool
    device: str


def end(
    session: Session, user_id: int, browser_id: int, current_hash: str, *, actor: str, channel: Channel
) -> Ended:
    """End the user's sign-in ``browser_id`` (their SessionAccount row only).

    ``not_found`` when the id is not one of the user's live sign-ins, so an id guessed or taken
    from someone else changes nothing and reveals nothing. Apps are not told: a user tidying up
    their browsers is not a security event (see :func:`end_others`).
    """
    row = session.execute(
        select(SessionAccount, BrowserSession.user_agent)
        .join(BrowserSession, BrowserSession.id_hash == SessionAccount.session_hash)
        .where(SessionAccount.id == browser_id, SessionAccount.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound("session", "This sign-in is not one of yours, or it has already ended.")
    account, agent = row
    this_browser = account.session_hash == current_hash
    session.execute(
        delete(SessionAccount).where(SessionAccount.id == browser_id, SessionAccount.user_id == user_id)
    )
    device = describe(agent)
    record(
        session,
        AuditTag.USER_SESSION_END,
        actor=actor,
        data={"session": browser_id, "device": device, "this_browser": this_browser},
        channel=channel,
    )
    return Ended(this_browser, device)


def end_others(
    session: Session, user_id: int, current_hash: str, *, actor: str, channel: Channel, issuer: str
) -> int:
    """Sign the user out of every browser but this one; returns how many sign-ins ended.

    This is the "sign out everywhere" a user reaches for when they fear someone else is in their
    account, so the apps they shared their identity with are told with the RISC
    ``sessions-revoked`` event (DATA-4) and can end their own sessions too. Ending one browser
    (:func:`end`) does not tell them. The apps are told even when no other browser was signed in
    here: an intruder's sessions at the apps may outlive their sign-in here.
    """
    result = session.execute(
        delete(SessionAccount).where(
            SessionAccount.user_id == user_id, SessionAccount.session_hash != current_hash
        )
    )
    ended = int(result.rowcount or 0)  # type: ignore[attr-defined]
    emit(session, event="sessions-revoked", user_id=user_id, issuer=issuer)
    record(
        session,
        AuditTag.USER_SESSION_END,
        actor=actor,
        data={"others": True, "sessions_ended": ended},
        channel=channel,
    )
    return ended
