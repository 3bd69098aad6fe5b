"""The mail thread also pushes the due security events, each turn, whatever the mail does.

# DATA-4: events are delivered by the background loop every server process runs already; a
failing mail run does not stop the events, and a failing events run does not stop the mail.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from consentry.domain.events.deliver import EventReport
from consentry.domain.mail.mailer import Mailer
from consentry.domain.mail.sender import DeliveryReport


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_each_turn_pushes_events_even_when_the_mail_fails(caplog: pytest.LogCaptureFixture) -> None:
    # DATA-4: the SMTP server being down never holds security events back
    pushed: list[int] = []

    def mail(_should_stop: Callable[[], bool]) -> DeliveryReport:
        raise RuntimeError("smtp down")

    def events(_should_stop: Callable[[], bool]) -> EventReport:
        pushed.append(1)
        return EventReport(claimed=1, delivered=1)

    caplog.set_level(logging.INFO, logger="consentry.domain.mail.mailer")
    mailer = Mailer(mail, interval=0.02, events=events)
    try:
        assert wait_until(lambda: len(pushed) >= 3)
    finally:
        mailer.stop()
    assert any("security events: 1 delivered" in r.getMessage() for r in caplog.records)


def test_a_failing_events_run_is_logged_and_the_mail_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    # DATA-4: one line per failure, and the thread lives on
    def mail(_should_stop: Callable[[], bool]) -> DeliveryReport:
        return DeliveryReport()

    def events(_should_stop: Callable[[], bool]) -> EventReport:
        raise RuntimeError("database gone\nmore detail")

    caplog.set_level(logging.INFO, logger="consentry.domain.mail.mailer")
    mailer = Mailer(mail, interval=0.02, events=events)
    try:
        assert wait_until(lambda: mailer.runs >= 3)
        assert mailer.running
    finally:
        mailer.stop()
    failures = [
        r.getMessage() for r in caplog.records if "security events: delivery failed" in r.getMessage()
    ]
    assert failures and all("\n" not in m for m in failures)
    assert "RuntimeError: database gone" in failures[0]


def test_failed_pushes_are_logged_by_jti(caplog: pytest.LogCaptureFixture) -> None:  # DATA-4
    def events(_should_stop: Callable[[], bool]) -> EventReport:
        return EventReport(claimed=1, failed=1, remaining=1, failures=[("jti-1", "HTTP 503")])

    caplog.set_level(logging.INFO, logger="consentry.domain.mail.mailer")
    mailer = Mailer(lambda _s: DeliveryReport(), interval=0.02, events=events)
    try:
        assert wait_until(lambda: any("jti-1" in r.getMessage() for r in caplog.records))
    finally:
        mailer.stop()
    assert any(r.getMessage() == "security events: jti-1 not delivered: HTTP 503" for r in caplog.records)
