"""The outbox: a mail is a row written in the transaction of the change that causes it.

A mail about a change (a review decided, a deletion requested) then exists exactly when the change
does: both commit or both roll back, and a mail never announces a change that did not happen.
:func:`enqueue` only adds the row to the caller's session, it never commits (only the unit of work
does); ``sender.py`` delivers the rows later, and retries while the SMTP server is away.

Everything that could make a row undeliverable is refused here, in the caller's transaction, where
the caller can still answer with an error: no valid recipient, a subject that would inject headers.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.accounts.emails import is_email_address, shown
from consentry.errors import DomainError
from consentry.storage.tables.base import now
from consentry.storage.tables.outbox import OutboxMail

log = logging.getLogger(__name__)

State = Literal["pending", "sent", "failed", "all"]
STATES: tuple[State, ...] = ("pending", "sent", "failed", "all")
#: ``next_attempt_at`` of a mail the sender gave up on: never due again, and the row stays.
NEVER = 2**62
#: More than most SMTP servers take in one transaction (RFC 5321 §4.5.3.1.8 asks for 100).
MAX_RECIPIENTS = 100
MAX_SUBJECT = 300  # the column's length
MAX_REASON = 100  # the column's length
MAX_BODY = 1_000_000
#: A Message-ID domain we write as is; anything else (an IPv6 issuer, odd characters) -> "consentry".
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,98}[a-z0-9])?")


def enqueue(
    session: Session,
    recipients: list[str],
    subject: str,
    body: str,
    *,
    reason: str,
    data: dict[str, Any] | None = None,
    issuer: str | None = None,
) -> OutboxMail:
    """Add a mail to ``session``; it is sent only if the caller's transaction commits.

    Recipients are trimmed, lower-cased and deduplicated; invalid ones are dropped with a warning,
    and a mail left with none is refused (``invalid_email``). ``reason`` is the audit tag of the
    change, shown to operators; ``issuer`` names the Message-ID's domain.
    """
    addresses = normalize_recipients(recipients)
    subject = check_subject(subject)
    if "\x00" in body or len(body) > MAX_BODY:
        raise DomainError("invalid_request", f"a mail body holds at most {MAX_BODY:,} characters, no NUL")
    if not reason or len(reason) > MAX_REASON:
        raise DomainError("invalid_request", f"a mail needs a reason of 1 to {MAX_REASON} characters")
    at = now()
    mail = OutboxMail(
        message_id=new_message_id(issuer),
        recipients=addresses,
        subject=subject,
        body=body,
        reason=reason,
        data=dict(data or {}),
        created_at=at,
        attempts=0,
        next_attempt_at=at,
        claimed_until=0,
        sent_at=None,
        last_error="",
    )
    session.add(mail)
    return mail


def normalize_recipients(values: list[str]) -> list[str]:
    """Valid addresses, trimmed, lower-cased, first occurrence kept; at least one or refused."""
    if isinstance(values, str):  # a bare string would be iterated character by character
        values = [values]
    seen: dict[str, None] = {}
    dropped: list[str] = []
    for value in values:
        address = value.strip().lower() if isinstance(value, str) else ""
        if is_email_address(address):
            seen.setdefault(address, None)
        elif address:
            dropped.append(shown(address))
    if not seen:
        listed = ", ".join(dropped) or "(none)"
        raise DomainError("invalid_email", f"a mail needs at least one valid recipient: {listed}")
    if len(seen) > MAX_RECIPIENTS:
        raise DomainError("invalid_email", f"a mail goes to at most {MAX_RECIPIENTS} recipients")
    if dropped:
        log.warning("outbox: dropped invalid recipients %s", ", ".join(dropped))
    return list(seen)


def check_subject(subject: str) -> str:
    """Refuse a subject that could end its header line (CR, LF, any control character)."""
    if not isinstance(subject, str) or not subject.strip():
        raise DomainError("invalid_subject", "a mail needs a subject")
    if not subject.isprintable():  # CR, LF, tab, NUL, U+2028 ... would end or forge header lines
        raise DomainError("invalid_subject", "a mail subject cannot hold line breaks or control characters")
    if len(subject) > MAX_SUBJECT:
        raise DomainError("invalid_subject", f"a mail subject holds at most {MAX_SUBJECT} characters")
    return subject.strip()


def new_message_id(issuer: str | None = None) -> str:
    """``<random@host>``: unique, and the same on every resend so receivers can drop duplicates."""
    host = (urlsplit(issuer).hostname or "") if issuer else ""
    if not _HOST.fullmatch(host):
        host = "consentry"
    return f"<{secrets.token_hex(16)}@{host}>"


def state_of(mail: OutboxMail) -> State:
    if mail.sent_at is not None:
        return "sent"
    return "failed" if mail.next_attempt_at >= NEVER else "pending"


def pending(session: Session) -> list[OutboxMail]:
    """Mails still to deliver (due now or waiting out a backoff), oldest first."""
    stmt = select(OutboxMail).where(_state_filter("pending")).order_by(OutboxMail.id)
    return list(session.scalars(stmt))


def listing(session: Session, *, state: State = "all", limit: int = 50) -> list[OutboxMail]:
    """The newest ``limit`` mails in ``state``, newest first, for operators."""
    if state not in STATES:
        raise DomainError("invalid_request", f"state must be one of {', '.join(STATES)}")
    stmt = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(max(0, limit))
    if state != "all":
        stmt = stmt.where(_state_filter(state))
    return list(session.scalars(stmt))


def counts(session: Session) -> dict[str, int]:
    """How many mails are pending, sent and given up on."""
    return {
        state: int(session.scalar(select(func.count(OutboxMail.id)).where(_state_filter(state))) or 0)
        for state in ("pending", "sent", "failed")
    }


def describe(mail: OutboxMail) -> dict[str, Any]:
    """A mail for listings: everything but the body, which may hold a link meant for one person."""
    return {
        "message_id": mail.message_id,
        "state": state_of(mail),
        "recipients": list(mail.recipients),
        "subject": mail.subject,
        "reason": mail.reason,
        "created_at": mail.created_at,
        "attempts": mail.attempts,
        "next_attempt_at": None
        if mail.sent_at is not None or mail.next_attempt_at >= NEVER
        else mail.next_attempt_at,
        "sent_at": mail.sent_at,
        "last_error": mail.last_error,
    }


def _state_filter(state: State) -> Any:
    if state == "sent":
        return OutboxMail.sent_at.is_not(None)
    if state == "failed":
        return OutboxMail.sent_at.is_(None) & (OutboxMail.next_attempt_at >= NEVER)
    return OutboxMail.sent_at.is_(None) & (OutboxMail.next_attempt_at < NEVER)
