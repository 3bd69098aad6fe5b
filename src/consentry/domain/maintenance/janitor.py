"""A background thread in each server process that purges dead rows every few minutes.

Operators then need no cron job (docs/maintenance.md). Every worker process runs one; they start at
random offsets and drift apart (jitter), and concurrent purges are harmless anyway (purge.py).
A failing purge is logged and retried at the next interval: the janitor never dies of it.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from consentry.domain.maintenance.purge import DEFAULT_BATCH, DEFAULT_GRACE, PurgeReport, purge
from consentry.storage.db import Database

log = logging.getLogger(__name__)

#: Each wait is the interval times a random factor in this range, so workers do not purge in step.
JITTER = (0.8, 1.2)
#: SQLite has one writer at a time, and a batch of token deletes holds the write lock for 0.1-0.2 ms
#: per row on a 1M-token table (random pages of the hash indexes): 1,000 rows keep the server's own
#: writes waiting 0.2 s at most, where 10,000 stall them for a second. PostgreSQL takes DEFAULT_BATCH.
SQLITE_BATCH = 1_000


class Janitor:
    """Handle on the janitor thread; :meth:`stop` ends it (also mid-purge, between batches)."""

    def __init__(self, run: Callable[[Callable[[], bool]], PurgeReport] | None, interval: int) -> None:
        self.interval = interval
        self.runs = 0
        self._run = run
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        if run is not None and interval > 0:
            self._thread = threading.Thread(target=self._loop, name="consentry-janitor", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (at most one batch, normally milliseconds)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("janitor still busy %.1f s after stop(); it is a daemon thread", timeout)

    def _loop(self) -> None:
        assert self._run is not None
        # The first purge comes after a random part of the interval: processes started together
        # (several workers, a fleet restarted at once) spread their purges out.
        delay = self.interval * random.uniform(0.5, 1.0)  # noqa: S311 - scheduling, not security
        while not self._stopping.wait(delay):
            try:
                report = self._run(self._stopping.is_set)
            except Exception:
                log.exception("janitor: purge failed; retrying in %d s", self.interval)
            else:
                self.runs += 1
                level = logging.INFO if report.deleted else logging.DEBUG
                log.log(
                    level,
                    "janitor: purged %d rows in %.2f s %s",
                    report.deleted,
                    report.seconds,
                    report.tables,
                )
            delay = self.interval * random.uniform(*JITTER)  # noqa: S311


def start_janitor(
    db: Database,
    interval: int,
    *,
    grace: int = DEFAULT_GRACE,
    batch: int | None = None,
    also: Callable[[], object] | None = None,
) -> Janitor:
    """Purge ``db`` every ``interval`` seconds in a daemon thread; ``interval`` 0 starts nothing.

    ``batch`` defaults to a size that suits the engine; ``also`` runs after each purge (the
    verification sweep: expiring requests, assessment reminders). Call ``.stop()`` on the result at shutdown.
    """
    if interval <= 0:
        return Janitor(None, 0)
    if batch is None:
        batch = SQLITE_BATCH if db.engine.dialect.name == "sqlite" else DEFAULT_BATCH

    def run(should_stop: Callable[[], bool]) -> PurgeReport:
        report = purge(db, grace=grace, batch=batch, should_stop=should_stop)
        if also is not None and not should_stop():
            also()  # time-driven rules (verification sweep); a failure is logged like a purge's
        return report

    return Janitor(run, interval)
