"""A background thread in each server process that delivers the outbox every few seconds.

Operators then need no separate mail worker. Every server process runs one: the claims in
``sender.py`` keep them from sending the same mail, and their runs drift apart (jitter). A request
that has just queued mail calls :meth:`Mailer.wake_after_commit` for prompt delivery, without waiting
for the interval; waking before the commit would find nothing due. A failing run is logged (one line)
and retried at the next interval: the mailer never dies of it.

Each turn also pushes the security events that are due (domain/events/deliver.py), when
``start_mailer`` is given an ``events`` run: the same thread, the same claims-and-backoff shape,
and a failure of one never stops the other.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from consentry.domain.mail.sender import DEFAULT_MAIL_FROM, DeliveryReport, drain
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.domain.mail.transport import envelope_sender, one_line
from consentry.storage.db import Database

if TYPE_CHECKING:
    from consentry.domain.events.deliver import EventReport

log = logging.getLogger(__name__)

#: Each wait is the interval times a random factor in this range, so processes do not run in step.
JITTER = (0.8, 1.2)
Run = Callable[[Callable[[], bool]], DeliveryReport]
#: Pushes the due security events (domain/events/deliver.py ``runner``).
EventsRun = Callable[[Callable[[], bool]], "EventReport"]


class Mailer:
    """Handle on the mail thread: :meth:`wake` for a run now, :meth:`stop` at shutdown."""

    def __init__(self, run: Run | None, interval: float, events: EventsRun | None = None) -> None:
        self.interval = interval
        self.runs = 0
        self._run = run
        self._events = events
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if run is not None and interval > 0:
            self._thread = threading.Thread(target=self._loop, name="consentry-mailer", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Run as soon as the current run (if any) ends; a no-op when the mailer is off."""
        self._wake.set()

    def wake_after_commit(self, session: Session) -> None:
        """Wake once ``session`` commits (the mail it queued is then visible to the sender)."""

        def woken(_session: Any) -> None:
            self.wake()

        event.listen(session, "after_commit", woken, once=True)

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread after the mail in flight, and wait for it."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("mailer still busy %.1f s after stop(); it is a daemon thread", timeout)

    def _loop(self) -> None:
        assert self._run is not None
        # A random part of the interval first: processes started together spread out.
        delay = self.interval * random.uniform(0.1, 1.0)  # noqa: S311 - scheduling, not security
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                report = self._run(self._stopping.is_set)
            except Exception as err:
                log.warning(
                    "mailer: delivery failed (%s: %s); retrying in %g s",
                    type(err).__name__,
                    one_line(str(err)),
                    self.interval,
                )
            else:
                self.runs += 1
                _log(report)
            if self._events is not None and not self._stopping.is_set():
                self._push_events(self._events)
            delay = self.interval * random.uniform(*JITTER)  # noqa: S311

    def _push_events(self, events: EventsRun) -> None:
        try:
            report = events(self._stopping.is_set)
        except Exception as err:
            log.warning("security events: delivery failed (%s: %s)", type(err).__name__, one_line(str(err)))
            return
        for jti, error in report.failures:
            log.info("security events: %s not delivered: %s", jti, error)
        if report.delivered or report.rejected or report.gave_up:
            log.info(
                "security events: %d delivered, %d rejected, %d given up; %d wait",
                report.delivered,
                report.rejected,
                report.gave_up,
                report.remaining,
            )


def _log(report: DeliveryReport) -> None:
    """One line for a dead server, one per refused mail, one summary when anything went out."""
    if report.smtp_error is not None:
        log.warning(
            "mailer: SMTP server unavailable (%s); %d mails wait", report.smtp_error, report.remaining
        )
    else:
        for message_id, error in report.failures:
            log.warning("mailer: %s not delivered: %s", message_id, error)
    if report.sent:
        log.info("mailer: sent %d mails, %d wait", report.sent, report.remaining)


def start_mailer(
    db: Database,
    config: SmtpConfig,
    interval: float,
    *,
    mail_from: str = DEFAULT_MAIL_FROM,
    events: EventsRun | None = None,
) -> Mailer:
    """Deliver ``db``'s outbox (and, given ``events``, the due security events) every ``interval``
    seconds in a daemon thread; 0 starts nothing.

    Call ``.stop()`` on the result at shutdown.
    """
    envelope_sender(mail_from)  # a bad sender fails at start-up, not in every run
    if interval <= 0:
        return Mailer(None, 0)

    def run(should_stop: Callable[[], bool]) -> DeliveryReport:
        return drain(db, config, mail_from=mail_from, should_stop=should_stop)

    return Mailer(run, interval, events)
