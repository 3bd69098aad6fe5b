"""The outbox delivered to a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

# ISSUE-11 mail: "A transactional outbox written in the same transaction as the change that causes
it, and a sender that delivers over SMTP (CONSENTRY_SMTP_URL, STARTTLS and auth supported); while
the SMTP server is down mail waits and is retried with backoff; nothing is lost, nothing is sent
twice to the server that acknowledged it. Tests read the mail from a real SMTP server (aiosmtpd)."

Time is a controlled clock passed to ``deliver_due``, so backoff is checked to the second without
sleeping; the mail itself goes over real sockets to a server that records what it accepted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from consentry.domain.mail import outbox
from consentry.domain.mail.outbox import NEVER, enqueue
from consentry.domain.mail.sender import LEASE, MAX_ATTEMPTS, DeliveryReport, deliver_due
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.errors import DomainError
from consentry.storage.db import Database
from consentry.storage.tables import OutboxMail
from consentry.storage.tables.base import now
from tests.support.smtp import SmtpServer, TlsFiles, make_tls_files, smtp_server

MAIL_FROM = "Consentry <consentry@auth.example.com>"
ISSUER = "https://auth.example.com"


class Clock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.t = now() + 1  # not before the rows' created_at, which the real clock stamps

    def __call__(self) -> int:
        return self.t

    def advance(self, seconds: int) -> None:
        self.t += seconds


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("smtp-tls"))


def queue(
    db: Database, n: int = 1, *, to: list[str] | None = None, subject: str = "Review decided"
) -> list[str]:
    """Queue ``n`` mails in one committed transaction; their Message-IDs."""
    with db.unit_of_work() as session:
        return [
            enqueue(
                session,
                to or [f"dev{i}@example.com"],
                f"{subject} #{i}",
                f"Hello,\nmail number {i}.\n",
                reason="project:review:approve",
                data={"n": i},
                issuer=ISSUER,
            ).message_id
            for i in range(n)
        ]


def rows(db: Database) -> dict[str, OutboxMail]:
    with db.unit_of_work() as session:
        return {m.message_id: m for m in session.scalars(select(OutboxMail))}


def deliver(db: Database, url: str, clock: Clock, **kwargs: object) -> DeliveryReport:
    return deliver_due(db, SmtpConfig.parse(url), mail_from=MAIL_FROM, now=clock, **kwargs)  # type: ignore[arg-type]


def test_mail_queued_in_a_rolled_back_transaction_is_never_sent(
    db: Database, server: SmtpServer, clock: Clock
) -> None:  # ISSUE-11 mail: written in the same transaction as the change that causes it
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        enqueue(session, ["gone@example.com"], "Rolled back", "never", reason="test:rollback")
        session.flush()  # the row reached the database, and still goes with the rollback
        raise RuntimeError("the change failed")
    [kept] = queue(db)
    assert list(rows(db)) == [kept]

    report = deliver(db, server.url(), clock)

    assert (report.sent, report.failed, report.remaining) == (1, 0, 0)
    assert [m.message_id for m in server.received] == [kept]
    assert all("gone@example.com" not in m.rcpt_tos for m in server.received)


def test_a_refused_mail_refuses_the_change_with_it(db: Database) -> None:  # ISSUE-11 mail: header injection
    with pytest.raises(DomainError) as raised, db.unit_of_work() as session:
        enqueue(session, ["ok@example.com"], "fine", "first mail, fine", reason="test:injection")
        enqueue(session, ["ok@example.com"], "Hi\r\nBcc: victim@example.com", "b", reason="test:injection")
    assert raised.value.code == "invalid_subject"
    assert rows(db) == {}  # the whole unit of work rolled back, the fine mail with it


def test_while_the_server_is_down_mail_waits_with_backoff_then_arrives_exactly_once(
    db: Database, clock: Clock
) -> None:  # ISSUE-11 mail: waits, retried with backoff, nothing lost, nothing sent twice
    with smtp_server(started=False) as down:
        ids = queue(db, 3)
        first = deliver(db, down.url(), clock)
        assert (first.claimed, first.sent, first.failed, first.remaining) == (3, 0, 3, 3)
        assert first.smtp_error is not None and "cannot connect" in first.smtp_error
        for mail in rows(db).values():
            assert (mail.attempts, mail.sent_at, mail.claimed_until) == (1, None, 0)
            assert mail.next_attempt_at == clock.t + 30
            assert mail.last_error.startswith(f"cannot connect to 127.0.0.1:{down.port}")

        # Within the backoff nothing is due: no attempt is made, none recorded.
        clock.advance(29)
        early = deliver(db, down.url(), clock)
        assert (early.claimed, early.failed, early.smtp_error) == (0, 0, None)
        assert {m.attempts for m in rows(db).values()} == {1}

        clock.advance(1)
        second = deliver(db, down.url(), clock)
        assert (second.claimed, second.failed) == (3, 3)
        assert {(m.attempts, m.next_attempt_at) for m in rows(db).values()} == {(2, clock.t + 60)}

        down.start()  # back, on the same address
        clock.advance(59)
        assert deliver(db, down.url(), clock).claimed == 0  # still backing off
        clock.advance(1)
        back = deliver(db, down.url(), clock)
        assert (back.sent, back.failed, back.remaining, back.smtp_error) == (3, 0, 0, None)

        again = deliver_due(db, SmtpConfig.parse(down.url()), mail_from=MAIL_FROM)  # the real clock
        assert (again.claimed, again.sent) == (0, 0)
        clock.advance(10 * LEASE)
        assert deliver(db, down.url(), clock).claimed == 0

        assert sorted(m.message_id for m in down.received) == sorted(ids)
        assert all(down.count(mid) == 1 for mid in ids)
        for mail in rows(db).values():
            assert mail.sent_at == clock.t - 10 * LEASE and mail.attempts == 3 and mail.last_error == ""
            assert outbox.state_of(mail) == "sent"


def test_the_message_id_received_is_the_one_stored(db: Database, server: SmtpServer, clock: Clock) -> None:
    # ISSUE-11 mail: a resend after a lost acknowledgement carries the same Message-ID
    [message_id] = queue(db, to=["Dana@Example.com", "lee@example.org", "dana@example.com"])
    deliver(db, server.url(), clock)
    [received] = server.received
    stored = rows(db)[message_id]
    assert received.message_id == stored.message_id == message_id
    assert message_id.endswith("@auth.example.com>")
    assert received.rcpt_tos == ["dana@example.com", "lee@example.org"]
    assert received.mail_from == "consentry@auth.example.com"
    assert received.message["Subject"] == "Review decided #0"
    assert received.message["From"] == MAIL_FROM
    assert received.message["Date"] is not None
    assert received.message.get_content().replace("\r\n", "\n") == "Hello,\nmail number 0.\n"
    assert not received.tls  # the plain test server offers no STARTTLS; opportunistic goes without


def test_two_concurrent_senders_deliver_each_mail_once(database_url: str, server: SmtpServer) -> None:
    # ISSUE-11 mail: two sender processes on one database never send the same mail
    first, second = Database(database_url), Database(database_url)  # two engines, as two processes
    try:
        ids = queue(first, 30)
        server.delay = 0.01  # both runs are still sending while the other claims
        start = threading.Barrier(2)
        reports: list[DeliveryReport] = []
        errors: list[BaseException] = []

        def run(database: Database) -> None:
            start.wait()
            try:
                reports.append(deliver_due(database, SmtpConfig.parse(server.url()), mail_from=MAIL_FROM))
            except BaseException as err:
                errors.append(err)

        threads = [threading.Thread(target=run, args=(d,)) for d in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert sum(r.sent for r in reports) == 30 and sum(r.claimed for r in reports) == 30
        assert len(server.received) == 30
        assert sorted(m.message_id for m in server.received) == sorted(ids)
    finally:
        first.dispose()
        second.dispose()


def test_starttls_and_login(db: Database, tls_files: TlsFiles, clock: Clock) -> None:
    # ISSUE-11 mail: STARTTLS and auth supported
    with smtp_server(tls=tls_files, users={"mailer@example.com": "p@ss:w/rd"}) as server:
        [message_id] = queue(db)
        url = server.url(user="mailer@example.com", password="p@ss:w/rd", cafile=str(tls_files.ca))
        report = deliver(db, url, clock)
        assert (report.sent, report.smtp_error) == (1, None)
        [received] = server.received
        assert received.message_id == message_id
        assert received.tls and received.login == "mailer@example.com"


def test_wrong_credentials_leave_the_mail_pending_with_a_clear_error(
    db: Database, tls_files: TlsFiles, clock: Clock
) -> None:  # ISSUE-11 mail: auth; nothing lost
    with smtp_server(tls=tls_files, users={"mailer": "right"}) as server:
        [message_id] = queue(db)
        report = deliver(db, server.url(user="mailer", password="wrong", cafile=str(tls_files.ca)), clock)
        assert (report.sent, report.failed) == (0, 1)
        mail = rows(db)[message_id]
        assert mail.last_error.startswith("login refused: 535")
        assert (mail.sent_at, mail.attempts, mail.claimed_until) == (None, 1, 0)
        assert outbox.state_of(mail) == "pending"
        assert server.received == []

        clock.advance(30)
        fixed = deliver(db, server.url(user="mailer", password="right", cafile=str(tls_files.ca)), clock)
        assert fixed.sent == 1 and server.count(message_id) == 1


def test_an_untrusted_certificate_is_refused_when_starttls_is_required(
    db: Database, tls_files: TlsFiles, clock: Clock
) -> None:  # ISSUE-11 mail: STARTTLS that anyone could intercept is no STARTTLS
    with smtp_server(tls=tls_files, users={"mailer": "right"}) as server:
        [message_id] = queue(db)
        report = deliver(db, server.url(user="mailer", password="right"), clock)  # system CAs only
        assert report.sent == 0 and report.smtp_error is not None
        assert "certificate" in rows(db)[message_id].last_error.lower()
        assert server.received == []


def test_a_server_that_demands_starttls_is_not_sent_plaintext(
    db: Database, tls_files: TlsFiles, clock: Clock
) -> None:  # ISSUE-11 mail: starttls=off is honoured, and the server's refusal recorded
    with smtp_server(tls=tls_files) as server:
        [message_id] = queue(db)
        report = deliver(db, server.url(starttls="off"), clock)
        assert report.sent == 0
        assert rows(db)[message_id].last_error.startswith("530")
        assert server.received == []


def test_implicit_tls(db: Database, tls_files: TlsFiles, clock: Clock) -> None:  # ISSUE-11 mail: smtps://
    with smtp_server(tls=tls_files, implicit_tls=True) as server:
        [message_id] = queue(db)
        report = deliver(db, server.url(cafile=str(tls_files.ca)), clock)
        assert report.sent == 1
        assert server.received[0].tls and server.received[0].message_id == message_id


def test_a_partly_refused_mail_counts_as_sent_and_is_not_resent(
    db: Database, server: SmtpServer, clock: Clock
) -> None:  # ISSUE-11 mail: nothing sent twice to the server that acknowledged it
    server.rcpt_replies["nobody@example.com"] = "550 5.1.1 no such user"
    [message_id] = queue(db, to=["dana@example.com", "nobody@example.com"])
    report = deliver(db, server.url(), clock)
    assert (report.sent, report.failed) == (1, 0)
    mail = rows(db)[message_id]
    assert mail.sent_at is not None
    assert mail.last_error == "sent; refused by the server: nobody@example.com: 550 5.1.1 no such user"
    clock.advance(10 * LEASE)
    assert deliver(db, server.url(), clock).claimed == 0
    assert server.count(message_id) == 1 and server.received[0].rcpt_tos == ["dana@example.com"]


def test_a_refused_mail_is_retried_then_given_up_on_and_kept(
    db: Database, server: SmtpServer, clock: Clock
) -> None:  # ISSUE-11 mail: a 5xx is recorded and retried, then given up on; never deleted
    server.rcpt_replies["nobody@example.com"] = "550 5.1.1 no such user"
    [refused] = queue(db, to=["nobody@example.com"])
    [fine] = queue(db)
    report = deliver(db, server.url(), clock)
    assert (report.sent, report.failed, report.gave_up, report.smtp_error) == (1, 1, 0, None)
    mail = rows(db)[refused]
    assert mail.last_error == "all recipients refused: nobody@example.com: 550 5.1.1 no such user"
    assert (mail.attempts, mail.next_attempt_at) == (1, clock.t + 30)
    assert server.count(fine) == 1  # one refused mail does not hold up the others

    with db.unit_of_work() as session:  # skip ahead to its last attempt
        session.execute(
            update(OutboxMail).where(OutboxMail.message_id == refused).values(attempts=MAX_ATTEMPTS - 1)
        )
    clock.advance(30)
    last = deliver(db, server.url(), clock)
    assert (last.failed, last.gave_up, last.remaining) == (1, 1, 0)
    mail = rows(db)[refused]
    assert mail.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts: all recipients refused")
    assert (mail.next_attempt_at, mail.sent_at, outbox.state_of(mail)) == (NEVER, None, "failed")
    clock.advance(100 * 3600)
    assert deliver(db, server.url(), clock).claimed == 0
    with db.unit_of_work() as session:
        assert [m.message_id for m in outbox.listing(session, state="failed")] == [refused]
        assert outbox.counts(session) == {"pending": 0, "sent": 1, "failed": 1}


def test_a_server_that_hangs_up_mid_run_leaves_every_unsent_mail_waiting(
    db: Database, server: SmtpServer, clock: Clock
) -> None:  # ISSUE-11 mail: nothing lost; a dropped connection is the server's fault, not the mail's
    server.rcpt_replies["busy@example.com"] = "421 4.3.2 shutting down"
    ids = queue(db, to=["busy@example.com"]) + queue(db, 2)
    report = deliver(db, server.url(), clock)
    assert (report.sent, report.failed, report.gave_up) == (0, 3, 0)
    assert report.smtp_error is not None and report.smtp_error.startswith("all recipients refused: busy@")
    assert {(m.attempts, m.next_attempt_at, m.sent_at) for m in rows(db).values()} == {
        (1, clock.t + 30, None)
    }

    del server.rcpt_replies["busy@example.com"]
    clock.advance(30)
    assert deliver(db, server.url(), clock).sent == 3
    assert all(server.count(mid) == 1 for mid in ids)


def test_a_claim_is_respected_until_its_lease_lapses(db: Database, server: SmtpServer, clock: Clock) -> None:
    # ISSUE-11 mail: a sender that died mid-run loses nothing; a live one is never doubled
    [message_id] = queue(db)
    with db.unit_of_work() as session:  # another sender holds it (and then dies)
        session.execute(update(OutboxMail).values(claimed_until=clock.t + LEASE))
    assert deliver(db, server.url(), clock).claimed == 0
    clock.advance(LEASE - 1)
    assert deliver(db, server.url(), clock).claimed == 0
    clock.advance(2)
    assert deliver(db, server.url(), clock).sent == 1
    assert server.count(message_id) == 1


def test_the_limit_bounds_one_run_and_the_oldest_go_first(
    db: Database, server: SmtpServer, clock: Clock
) -> None:
    # ISSUE-11 mail: one connection per run, a bounded batch
    ids = queue(db, 5)
    report = deliver(db, server.url(), clock, limit=2)
    assert (report.claimed, report.sent, report.remaining) == (2, 2, 3)
    assert [m.message_id for m in server.received] == ids[:2]
    with db.unit_of_work() as session:
        assert [m.message_id for m in outbox.pending(session)] == ids[2:]


def test_nothing_due_opens_no_connection(db: Database, clock: Clock) -> None:
    # ISSUE-11 mail: an idle outbox costs one query, not an SMTP session per process per interval
    with smtp_server(started=False) as down:  # a connection attempt would fail, and be reported
        report = deliver(db, down.url(), clock)
    assert (report.claimed, report.failed, report.smtp_error) == (0, 0, None)
