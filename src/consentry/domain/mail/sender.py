"""Deliver the outbox over SMTP: claim what is due, send it, record each outcome at once.

Guarantees, and what they rest on:

- **Never two senders on one mail at once.** A run claims rows with one guarded UPDATE (``sent_at IS
  NULL AND next_attempt_at <= now AND claimed_until < now``, setting ``claimed_until`` to now +
  :data:`LEASE`) in its own short transaction; a concurrent claim of the same row re-checks the guard
  and skips it (PostgreSQL re-evaluates it on the committed row, SQLite has one writer), so any number
  of processes may run senders on one database. A run stops sending :data:`LEASE_MARGIN` seconds
  before its lease ends and hands the rest back, so the lease never lapses mid-send.
- **Nothing lost.** Rows are only ever updated, never deleted. A failure records ``attempts``,
  ``last_error`` and a backoff (:func:`backoff`); a sender that dies mid-run leaves its claims to
  lapse, and the next run takes them.
- **Nothing sent twice to a server that acknowledged it.** ``sent_at`` is written in its own
  transaction right after the server's 250 for that message, before the next one goes out. A crash
  (or a lost database) between the 250 and that commit can resend *that one mail* once, with the same
  Message-ID, which receivers use to drop the duplicate; no other mail is affected (SMTP cannot do
  better: RFC 1047).

Failures come in two kinds. The server unreachable, TLS or login refused, the connection dropped:
every mail still claimed gets a failed attempt and waits out its backoff, and is retried for as long
as it takes (capped at one try an hour), because the fix is the operator's, not the mail's. A reply
refusing one mail (all recipients refused, the data refused): also retried with backoff, 5xx
included, since a relay refusing everything ("550 relaying denied", an unknown sender) is usually a
configuration mistake fixed later; after :data:`MAX_ATTEMPTS` attempts the sender gives up on that
mail: it stays in the table, ``state`` "failed", ``last_error`` starting "gave up". A mail some of
whose recipients were refused counts as sent (resending would duplicate it for the others); the
refusals are kept in ``last_error``.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consentry.domain.mail.outbox import NEVER
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.domain.mail.transport import (
    ConnectionFailure,
    build_message,
    connect,
    describe,
    ends_connection,
    envelope_sender,
    one_line,
    refused_text,
)
from consentry.storage.db import Database
from consentry.storage.tables import base
from consentry.storage.tables.outbox import OutboxMail

DEFAULT_MAIL_FROM = "consentry@localhost"
#: A mail refused this many times is given up on (connection failures never count towards it).
MAX_ATTEMPTS = 20
BACKOFF_FIRST = 30
BACKOFF_CAP = 3600
#: Seconds a run holds its claim; a crashed sender's mails wait this long for the next run.
LEASE = 600
#: A run sends no new mail this close to the end of its lease (a few SMTP round trips of timeout).
LEASE_MARGIN = 180
#: Called after each mail with its Message-ID and the error, or None when it was sent.
OnResult = Callable[[str, str | None], None]


@dataclass(frozen=True)
class _Claimed:
    """What a run needs of a claimed row, read in the claim's transaction."""

    id: int
    message_id: str
    recipients: list[str]
    subject: str
    body: str
    created_at: int
    attempts: int


@dataclass
class DeliveryReport:
    """What one run (or several, :meth:`add`) did; ``remaining`` counts mails still to deliver."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    released: int = 0
    remaining: int = 0
    #: Why the connection failed, when it did (every mail claimed then waits for the next run).
    smtp_error: str | None = None
    #: (Message-ID, error) for each failed attempt.
    failures: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "sent", "failed", "gave_up", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.remaining = other.remaining
        self.smtp_error = other.smtp_error or self.smtp_error
        self.failures.extend(other.failures)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failures"] = [{"message_id": mid, "error": err} for mid, err in self.failures]
        return out


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: 30, 60, 120 ... at most an hour."""
    return min(BACKOFF_FIRST * 2 ** min(max(attempts, 1) - 1, 20), BACKOFF_CAP)


def deliver_due(
    db: Database,
    config: SmtpConfig,
    *,
    mail_from: str,
    limit: int = 50,
    now: Callable[[], int] = base.now,
    on_result: OnResult | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` due mails over one SMTP connection (none is opened if nothing is due)."""
    sender = envelope_sender(mail_from)
    claimed, lease = _claim(db, limit, now())
    report = DeliveryReport(claimed=len(claimed))
    if claimed:
        _send(
            db,
            config,
            claimed,
            lease,
            report,
            mail_from=mail_from,
            sender=sender,
            now=now,
            on_result=on_result,
        )
    with db.unit_of_work() as session:
        report.remaining = _remaining(session)
    return report


def drain(
    db: Database,
    config: SmtpConfig,
    *,
    mail_from: str,
    batch: int = 50,
    now: Callable[[], int] = base.now,
    on_result: OnResult | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Run :func:`deliver_due` until nothing due is left, the server fails, or ``should_stop()``."""
    total = DeliveryReport()
    while True:
        report = deliver_due(db, config, mail_from=mail_from, limit=batch, now=now, on_result=on_result)
        total.add(report)
        if report.claimed < batch or report.smtp_error is not None or should_stop():
            return total


def _claim(db: Database, limit: int, at: int) -> tuple[list[_Claimed], int]:
    """Take up to ``limit`` due rows for this run, in one guarded UPDATE; returns them and the lease."""
    lease = at + LEASE
    due = (
        (OutboxMail.sent_at.is_(None)) & (OutboxMail.next_attempt_at <= at) & (OutboxMail.claimed_until < at)
    )
    oldest = select(OutboxMail.id).where(due).order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)
    claim = (
        update(OutboxMail)
        .where(OutboxMail.id.in_(oldest.scalar_subquery()), due)
        .values(claimed_until=lease)
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    )
    with db.unit_of_work() as session:
        ids = list(session.scalars(claim))
        rows = session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids)).order_by(OutboxMail.id))
        claimed = [
            _Claimed(r.id, r.message_id, list(r.recipients), r.subject, r.body, r.created_at, r.attempts)
            for r in (rows if ids else [])
        ]
    return claimed, lease


def _send(
    db: Database,
    config: SmtpConfig,
    claimed: list[_Claimed],
    lease: int,
    report: DeliveryReport,
    *,
    mail_from: str,
    sender: str,
    now: Callable[[], int],
    on_result: OnResult | None,
) -> None:
    try:
        smtp = connect(config)
    except ConnectionFailure as err:
        _connection_lost(db, claimed, lease, str(err), report, now(), on_result)
        return
    try:
        for index, mail in enumerate(claimed):
            if now() >= lease - LEASE_MARGIN:
                report.released += _release(db, claimed[index:], lease)
                return
            try:
                message = build_message(
                    mail_from=mail_from,
                    recipients=mail.recipients,
                    subject=mail.subject,
                    body=mail.body,
                    message_id=mail.message_id,
                    created_at=mail.created_at,
                )
                refused = smtp.send_message(message, from_addr=sender, to_addrs=mail.recipients)
            except Exception as err:
                if ends_connection(err):
                    _connection_lost(db, claimed[index:], lease, describe(err), report, now(), on_result)
                    return
                _failed(db, mail, lease, describe(err), report, now(), give_up=True)
                if on_result:
                    on_result(mail.message_id, report.failures[-1][1])
                continue
            _mark_sent(db, mail, refused_text(refused) if refused else "", now())
            report.sent += 1
            if on_result:
                on_result(mail.message_id, None)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _mark_sent(db: Database, mail: _Claimed, note: str, at: int) -> None:
    """Record the server's acknowledgement at once: this commit is what prevents a resend."""
    with db.unit_of_work() as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.sent_at.is_(None))
            .values(
                sent_at=at,
                claimed_until=0,
                attempts=OutboxMail.attempts + 1,
                last_error=one_line(f"sent; refused by the server: {note}") if note else "",
            )
            .execution_options(synchronize_session=False)
        )


def _failed(
    db: Database, mail: _Claimed, lease: int, error: str, report: DeliveryReport, at: int, *, give_up: bool
) -> None:
    """One failed attempt: backoff, or (for a refused mail at its last attempt) give up."""
    attempts = mail.attempts + 1
    next_at = at + backoff(attempts)
    if give_up and attempts >= MAX_ATTEMPTS:
        next_at, error = NEVER, one_line(f"gave up after {attempts} attempts: {error}")
        report.gave_up += 1
    with db.unit_of_work() as session:
        session.execute(
            update(OutboxMail)
            # Only while the claim is still this run's: after a lapse another run owns the row.
            .where(OutboxMail.id == mail.id, OutboxMail.sent_at.is_(None), OutboxMail.claimed_until == lease)
            .values(attempts=attempts, next_attempt_at=next_at, last_error=error, claimed_until=0)
            .execution_options(synchronize_session=False)
        )
    report.failed += 1
    report.failures.append((mail.message_id, error))


def _connection_lost(
    db: Database,
    mails: list[_Claimed],
    lease: int,
    error: str,
    report: DeliveryReport,
    at: int,
    on_result: OnResult | None,
) -> None:
    """The server is gone: every mail still claimed waits out its backoff (never given up on)."""
    report.smtp_error = error
    for mail in mails:
        _failed(db, mail, lease, error, report, at, give_up=False)
        if on_result:
            on_result(mail.message_id, error)


def _release(db: Database, mails: list[_Claimed], lease: int) -> int:
    """Hand unsent mails back untouched, due again at once for the next run."""
    with db.unit_of_work() as session:
        session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.id.in_([m.id for m in mails]),
                OutboxMail.sent_at.is_(None),
                OutboxMail.claimed_until == lease,
            )
            .values(claimed_until=0)
            .execution_options(synchronize_session=False)
        )
    return len(mails)


def _remaining(session: Session) -> int:
    stmt = select(func.count(OutboxMail.id)).where(
        OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at < NEVER
    )
    return int(session.scalar(stmt) or 0)
