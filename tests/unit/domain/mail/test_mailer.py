"""The mail thread: runs on its interval and when woken, survives failures, stops on request.

# ISSUE-11 mail: "while the SMTP server is down mail waits and is retried" - the thread that retries
must outlive every failure, or mail would wait for ever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from consentry.domain.mail.mailer import Mailer, start_mailer
from consentry.domain.mail.sender import DeliveryReport
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.errors import DomainError


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_the_mailer_survives_exceptions_and_logs_one_line_each(caplog: pytest.LogCaptureFixture) -> None:
    # ISSUE-11 mail: a failing run is logged and retried, the thread never dies of it
    calls: list[int] = []

    def run(_should_stop: Callable[[], bool]) -> DeliveryReport:
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError("database unreachable\nsecond line of detail")
        return DeliveryReport(claimed=1, sent=1)

    caplog.set_level(logging.INFO, logger="consentry.domain.mail.mailer")
    mailer = Mailer(run, interval=0.02)
    try:
        assert wait_until(lambda: mailer.runs >= 2)
        assert mailer.running
    finally:
        mailer.stop()
    assert not mailer.running
    failures = [r for r in caplog.records if "delivery failed" in r.getMessage()]
    assert len(failures) == 2
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in failures)
    assert "RuntimeError: database unreachable" in failures[0].getMessage()


def test_wake_runs_at_once_instead_of_waiting_the_interval() -> None:  # ISSUE-11 mail: prompt delivery
    ran = threading.Event()

    def run(_should_stop: Callable[[], bool]) -> DeliveryReport:
        ran.set()
        return DeliveryReport()

    mailer = Mailer(run, interval=600)  # the first scheduled run is a minute away at the earliest
    try:
        assert not ran.wait(0.2)
        mailer.wake()
        assert ran.wait(5)
    finally:
        mailer.stop()


def test_stop_ends_a_sleeping_mailer_promptly() -> None:  # ISSUE-11 mail: shutdown never hangs
    mailer = Mailer(lambda _stop: DeliveryReport(), interval=600)
    started = time.monotonic()
    mailer.stop()
    assert not mailer.running and time.monotonic() - started < 2


def test_interval_zero_starts_no_thread() -> None:  # ISSUE-11 mail: deployments that run `outbox send`
    mailer = start_mailer(None, SmtpConfig.parse("smtp://relay"), 0)  # type: ignore[arg-type]
    assert not mailer.running
    mailer.wake()  # harmless
    mailer.stop()


def test_a_bad_sender_address_fails_at_start_up() -> None:  # ISSUE-11 mail: not once per run, in logs
    with pytest.raises(DomainError):
        start_mailer(None, SmtpConfig.parse("smtp://relay"), 10, mail_from="not an address")  # type: ignore[arg-type]
