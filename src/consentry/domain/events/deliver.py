"""Push the events that are due: claim them, sign and POST each, record each outcome at once.

The same guarantees as the mail sender (domain/mail/sender.py), for the same reasons:

- **Never two pushes of one event at once.** A run claims rows with one guarded UPDATE
  (``status = 'pending' AND next_attempt_at <= now AND claimed_until < now``, setting
  ``claimed_until`` to now + :data:`LEASE`) in its own short transaction, so any number of server
  processes may deliver from one database. A run stops :data:`LEASE_MARGIN` seconds before its
  lease ends and hands the rest back.
- **Nothing lost.** Rows are only updated. A failed attempt records ``attempts``, ``last_error``
  and a backoff (:func:`backoff`); a run that dies leaves its claims to lapse.
- **Acknowledged once recorded.** ``status = 'delivered'`` is committed right after the app's 202,
  before the next push. A crash in between can push that one SET again, with the same ``jti``,
  which receivers use to drop the duplicate (RFC 8935 §2.2 expects this).

An attempt is signed when it is made, with the current key, from the claims stored at queue time.
A rejection (HTTP 400) ends the event at once (``failed``); any other failure is retried, first
after :data:`BACKOFF_FIRST` seconds, doubling up to once an hour, and given up after
:data:`MAX_ATTEMPTS` attempts (about four days): ``failed``, ``last_error`` starting "gave up".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import func, select, update

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events.push import Pusher, PushResult
from consentry.domain.events.token import ALG, sign
from consentry.domain.events.types import short_name
from consentry.storage.db import Database
from consentry.storage.tables import Project, SecurityEvent
from consentry.storage.tables.base import now as clock

BACKOFF_FIRST = 30
BACKOFF_CAP = 3600
#: 30 s doubling to an hour, then hourly: the 100th attempt comes about four days after the first.
MAX_ATTEMPTS = 100
LEASE = 600
#: No new push this close to the end of the lease (one push takes at most the timeout, 60 s).
LEASE_MARGIN = 120
MAX_ERROR = 500  # the column's length
#: Called after each push with the event's jti and the error, or None when it was acknowledged.
OnResult = Callable[[str, str | None], None]


class SigningKeys(Protocol):
    """What delivery needs of the key manager (domain/keys/manager.py)."""

    def signing_key(self, alg: str) -> RSAKey | ECKey: ...


@dataclass(frozen=True)
class _Claimed:
    id: int
    jti: str
    project: str
    event_type: str
    claims: dict[str, Any]
    attempts: int
    endpoint: str


@dataclass
class EventReport:
    """What one run (or several, :meth:`add`) did; ``remaining`` counts events still pending."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    rejected: int = 0
    gave_up: int = 0
    released: int = 0
    remaining: int = 0
    #: (jti, error) for each failed attempt.
    failures: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: EventReport) -> None:
        for name in ("claimed", "delivered", "failed", "rejected", "gave_up", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.remaining = other.remaining
        self.failures.extend(other.failures)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failures"] = [{"jti": jti, "error": err} for jti, err in self.failures]
        return out


#: Seconds one turn of the mail thread may spend pushing events before mail gets its turn.
TURN_BUDGET = 30


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure: 30, 60, 120 ... at most an hour."""
    return min(BACKOFF_FIRST * 2 ** min(max(attempts, 1) - 1, 20), BACKOFF_CAP)


def deliver_due(
    db: Database,
    keys: SigningKeys,
    pusher: Pusher,
    *,
    limit: int = 50,
    now: Callable[[], int] = clock,
    on_result: OnResult | None = None,
) -> EventReport:
    """Push up to ``limit`` due events, one after the other."""
    claimed, lease = _claim(db, limit, now())
    report = EventReport(claimed=len(claimed))
    down: set[str] = set()
    for index, event in enumerate(claimed):
        if now() >= lease - LEASE_MARGIN:
            report.released += _release(db, claimed[index:], lease)
            break
        try:
            token = sign(event.claims, keys.signing_key(ALG))
        except Exception as err:  # no key loaded: ours to fix; the event waits like any failure
            result = PushResult("retry", None, f"could not sign: {type(err).__name__}: {err}")
        else:
            if event.endpoint in down:
                # One slow or dead endpoint must not hold up every other app's events.
                result = PushResult("retry", None, "not tried: this endpoint just failed")
            else:
                result = pusher.push(event.endpoint, token)
                if result.outcome == "retry":
                    down.add(event.endpoint)
        _record(db, event, lease, result, report, now())
        if on_result:
            on_result(event.jti, None if result.outcome == "delivered" else report.failures[-1][1])
    with db.unit_of_work() as session:
        report.remaining = _remaining(session)
    return report


def drain(
    db: Database,
    keys: SigningKeys,
    pusher: Pusher,
    *,
    batch: int = 50,
    now: Callable[[], int] = clock,
    on_result: OnResult | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> EventReport:
    """Run :func:`deliver_due` until nothing due is left or ``should_stop()``."""
    total = EventReport()
    while True:
        report = deliver_due(db, keys, pusher, limit=batch, now=now, on_result=on_result)
        total.add(report)
        if report.claimed < batch or should_stop():
            return total


def runner(
    db: Database, keys: SigningKeys, *, timeout: float, allow_private: bool
) -> Callable[[Callable[[], bool]], EventReport]:
    """What the mail thread calls each turn (domain/mail/mailer.py): drain the due events."""
    pusher = Pusher(timeout=timeout, allow_private=allow_private)

    def run(should_stop: Callable[[], bool]) -> EventReport:
        # A turn has a time budget: the mail that shares the thread waits at most this long.
        deadline = time.monotonic() + TURN_BUDGET
        return drain(db, keys, pusher, should_stop=lambda: should_stop() or time.monotonic() > deadline)

    return run


def _claim(db: Database, limit: int, at: int) -> tuple[list[_Claimed], int]:
    """Take up to ``limit`` due rows in one guarded UPDATE; returns them and the lease."""
    lease = at + LEASE
    due = (
        (SecurityEvent.status == "pending")
        & (SecurityEvent.next_attempt_at <= at)
        & (SecurityEvent.claimed_until < at)
    )
    oldest = (
        select(SecurityEvent.id)
        .where(due)
        .order_by(SecurityEvent.next_attempt_at, SecurityEvent.id)
        .limit(limit)
    )
    claim = (
        update(SecurityEvent)
        .where(SecurityEvent.id.in_(oldest.scalar_subquery()), due)
        .values(claimed_until=lease)
        .returning(SecurityEvent.id)
        .execution_options(synchronize_session=False)
    )
    with db.unit_of_work() as session:
        ids = list(session.scalars(claim))
        rows: list[Any] = []
        if ids:
            rows = list(
                session.execute(
                    select(SecurityEvent, Project.name, Project.events_endpoint)
                    .join(Project, Project.id == SecurityEvent.project_id)
                    .where(SecurityEvent.id.in_(ids))
                    .order_by(SecurityEvent.id)
                )
            )
        claimed = [
            _Claimed(r.id, r.jti, name, r.event_type, dict(r.claims or {}), r.attempts, endpoint or "")
            for r, name, endpoint in rows
        ]
    return claimed, lease


def _record(
    db: Database, event: _Claimed, lease: int, result: PushResult, report: EventReport, at: int
) -> None:
    """The outcome of one push, committed at once (only while the claim is still this run's)."""
    attempts = event.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claimed_until": 0, "last_error": _cut(result.detail)}
    gave_up = False
    if result.outcome == "delivered":
        values.update(status="delivered", delivered_at=at)
        report.delivered += 1
    elif result.outcome == "rejected":
        values.update(status="failed")
        report.rejected += 1
        gave_up = True
    elif attempts >= MAX_ATTEMPTS:
        values.update(status="failed", last_error=_cut(f"gave up after {attempts} attempts: {result.detail}"))
        report.gave_up += 1
        gave_up = True
    else:
        values.update(next_attempt_at=at + backoff(attempts))
    if result.outcome != "delivered":
        report.failed += 1
        report.failures.append((event.jti, values["last_error"]))
    with db.unit_of_work() as session:
        done = session.execute(
            update(SecurityEvent)
            .where(
                SecurityEvent.id == event.id,
                SecurityEvent.status == "pending",
                SecurityEvent.claimed_until == lease,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if gave_up and done.rowcount:  # type: ignore[attr-defined]
            record(
                session,
                AuditTag.SECURITY_EVENT_GIVE_UP,
                actor="events",
                channel=Channel.SYSTEM,
                data={
                    "project": event.project,
                    "jti": event.jti,
                    "event": short_name(event.event_type),
                    "error": values["last_error"],
                },
            )


def _release(db: Database, events: list[_Claimed], lease: int) -> int:
    """Hand unpushed events back untouched, due again at once for the next run."""
    with db.unit_of_work() as session:
        session.execute(
            update(SecurityEvent)
            .where(
                SecurityEvent.id.in_([e.id for e in events]),
                SecurityEvent.status == "pending",
                SecurityEvent.claimed_until == lease,
            )
            .values(claimed_until=0)
            .execution_options(synchronize_session=False)
        )
    return len(events)


def _remaining(session: Any) -> int:
    stmt = select(func.count(SecurityEvent.id)).where(SecurityEvent.status == "pending")
    return int(session.scalar(stmt) or 0)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR else f"{text[: MAX_ERROR - 1]}…"
