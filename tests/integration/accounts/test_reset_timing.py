"""The answer to a reset request does not wait for anything that depends on the address (ACCT-1).

Measured against a real server over a real socket. While the test holds the SQLite database's
write lock, a request whose answer needed the database (finding the account, counting the
throttles, issuing the link, queueing the mail) would wait for the lock; the answer comes at once,
for an account's address and an unknown one alike, and the work is done once the lock is let go
(web/pages/password_reset.py runs it after the answer is sent). So the answer's timing cannot tell
the two apart. SQLite only: the point is the server's shape, and its lock is easy to hold.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.accounts import mails, served
from tests.support.browserless import CSRF_RE, form_value
from tests.support.live import LiveServer
from tests.support.seed import Seeder

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
KNOWN, UNKNOWN = "known@example.org", "nobod@example.org"
#: How long the test holds the write lock; an answer that waited for the database takes at least this.
HOLD = 2.0
REQUEST = "user:password:reset-request"


@pytest.fixture
def live(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    with served(database_url, {"CONSENTRY_MAIL_INTERVAL": "0"}) as world:
        yield world


def test_the_answer_never_waits_for_the_address_dependent_work(live, database_url: str) -> None:  # ACCT-1
    server, seeder = live
    seeder.user(KNOWN)
    path = database_url.removeprefix("sqlite:///")
    with httpx.Client(base_url=server.url, timeout=HOLD * 10) as http:
        csrf = form_value(http.get("/password/forgot").text, CSRF_RE)
        lock = sqlite3.connect(path, isolation_level=None, timeout=10)
        answers: dict[str, list[httpx.Response]] = {KNOWN: [], UNKNOWN: []}
        took: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
        try:
            lock.execute("BEGIN IMMEDIATE")  # nobody else writes until COMMIT
            held_since = time.monotonic()
            for _ in range(3):
                for email in (KNOWN, UNKNOWN):
                    start = time.perf_counter()
                    try:
                        r = http.post(
                            "/password/forgot", data={"csrf": csrf, "email": email}, timeout=HOLD / 2
                        )
                    except httpx.TimeoutException:
                        pytest.fail(f"the answer for {email} waited for the database")
                    answers[email].append(r)
                    took[email].append(time.perf_counter() - start)
            answered_within = time.monotonic() - held_since
            assert mails(seeder, REQUEST) == []  # nothing could be written yet: the work waits ...
        finally:
            lock.execute("COMMIT")
            lock.close()
    # ... while every answer came at once, the same for both addresses.
    assert answered_within < HOLD / 2, took
    assert max(took[KNOWN] + took[UNKNOWN]) < HOLD / 2, took
    bodies = {r.text for rs in answers.values() for r in rs}
    assert len(bodies) == 1 and {r.status_code for rs in answers.values() for r in rs} == {200}
    print(
        f"median known {statistics.median(took[KNOWN]) * 1000:.1f} ms, unknown {statistics.median(took[UNKNOWN]) * 1000:.1f} ms"
    )
    deadline = time.monotonic() + 10
    while len(mails(seeder, REQUEST)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m.recipients for m in mails(seeder, REQUEST)] == [[KNOWN]] * 3  # done after the answers
