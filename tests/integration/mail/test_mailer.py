"""The mail thread of a server process against a real database and SMTP server.

# ISSUE-11 mail: a request that queued mail asks for prompt delivery, and gets it once its
transaction commits; a rolled-back one wakes nobody and sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consentry.domain.mail.mailer import start_mailer
from consentry.domain.mail.outbox import enqueue
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.storage.db import Database
from tests.support.smtp import SmtpServer, smtp_server


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


def test_mail_goes_out_as_soon_as_its_transaction_commits(db: Database, server: SmtpServer) -> None:
    # ISSUE-11 mail: wake() for prompt delivery; the interval alone would take minutes here
    mailer = start_mailer(db, SmtpConfig.parse(server.url()), 600, mail_from="consentry@example.com")
    try:
        with pytest.raises(RuntimeError), db.unit_of_work() as session:
            enqueue(session, ["gone@example.com"], "Rolled back", "b", reason="test:rollback")
            mailer.wake_after_commit(session)
            raise RuntimeError("the change failed")
        with db.unit_of_work() as session:
            message_id = enqueue(
                session, ["dana@example.com"], "Committed", "b", reason="test:commit"
            ).message_id
            mailer.wake_after_commit(session)
            assert server.received == []  # not before the commit
        [received] = server.wait_for(1, timeout=10)
        assert received.message_id == message_id
        assert mailer.running
    finally:
        mailer.stop()
    assert not mailer.running
    assert [m.message_id for m in server.received] == [message_id]
