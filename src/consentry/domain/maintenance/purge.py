"""Delete dead rows in small transactions, so purging millions never stalls a running server.

Each batch is one short transaction that deletes at most ``batch`` rows picked through an index
(``DELETE ... WHERE pk IN (SELECT pk ... LIMIT n)``): no long lock, no huge transaction, and a crash
loses at most one batch of work. On PostgreSQL the batch skips rows another transaction holds
(``FOR UPDATE SKIP LOCKED``), so the janitors of several server processes never wait on each other;
on SQLite the batches of concurrent purges simply take turns. Deleting an already deleted row is a
no-op, so running purges side by side is harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from consentry.domain.maintenance.rules import RULES, TABLES, Cutoffs, Rule
from consentry.storage.db import Database
from consentry.storage.tables.base import now as epoch_now

#: Seconds a row is kept past its last possible use (and a revoked token past its revocation).
DEFAULT_GRACE = 3600
#: Rows per transaction: big enough to be fast, small enough to hold locks for milliseconds.
DEFAULT_BATCH = 10_000
MAX_BATCH = 1_000_000
#: SQLite page cache for a purge's connection (KiB), returned to the default afterwards.
SQLITE_PURGE_CACHE_KIB = 128 * 1024

#: Called after each batch with the table name and the rows it deleted (or counted).
OnBatch = Callable[[str, int], None]


@dataclass
class PurgeReport:
    """Rows deleted per table (or that would be, with ``dry_run``) and how long it took."""

    tables: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    seconds: float = 0.0
    dry_run: bool = False
    #: False when ``should_stop`` ended the purge early; the rest is left for the next run.
    complete: bool = True

    @property
    def deleted(self) -> int:
        return sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "tables": dict(self.tables), "seconds": round(self.seconds, 3)}


def purge(
    db: Database,
    *,
    grace: int = DEFAULT_GRACE,
    batch: int = DEFAULT_BATCH,
    dry_run: bool = False,
    now: int | None = None,
    on_batch: OnBatch | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PurgeReport:
    """Delete every dead row (see rules.py).

    ``now`` is for tests that need to be in the future; ``should_stop`` is checked between
    batches so that a server shutting down does not wait for a long purge to finish.
    """
    if grace < 0:
        raise ValueError("grace must be 0 or more seconds")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch must be between 1 and {MAX_BATCH:,} rows")
    cutoffs = Cutoffs(now=epoch_now() if now is None else now, grace=grace)
    stop = should_stop or (lambda: False)
    report = PurgeReport(dry_run=dry_run)
    started = time.perf_counter()
    try:
        for rule in RULES:
            if stop():
                report.complete = False
                break
            if dry_run:
                n = _count(db.engine, rule, cutoffs)
                report.tables[rule.table] += n
                if on_batch:
                    on_batch(rule.table, n)
                continue
            if not _delete(db.engine, rule, cutoffs, batch, report, on_batch, stop):
                report.complete = False
                break
    finally:
        report.seconds = time.perf_counter() - started
    return report


def _count(engine: Engine, rule: Rule, cutoffs: Cutoffs) -> int:
    query = select(func.count()).select_from(rule.model).where(rule.dead(cutoffs))
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def _delete(
    engine: Engine,
    rule: Rule,
    cutoffs: Cutoffs,
    batch: int,
    report: PurgeReport,
    on_batch: OnBatch | None,
    stop: Callable[[], bool],
) -> bool:
    """Delete one rule's rows batch by batch; False if stopped before the end."""
    key = rule.key
    doomed = select(key).where(rule.dead(cutoffs))
    if rule.order is not None:
        doomed = doomed.order_by(rule.order)
    doomed = doomed.limit(batch).with_for_update(skip_locked=True)
    statement = delete(key.table).where(key.in_(doomed.scalar_subquery()))
    with engine.connect() as conn, _sqlite_cache(conn):
        while True:
            with conn.begin():
                deleted = int(conn.execute(statement).rowcount or 0)
            report.tables[rule.table] += deleted
            if on_batch and deleted:
                on_batch(rule.table, deleted)
            # A short batch means nothing was left (or a concurrent purge took the rest).
            if deleted < batch:
                return True
            if stop():
                return False


@contextmanager
def _sqlite_cache(conn: Connection) -> Iterator[None]:
    """A bigger page cache while purging SQLite, then the connection's own again.

    Each deleted token touches random pages of its hash indexes; with SQLite's default 2 MB cache,
    a batch spills and rewrites dirty pages over and over (a third of the time on 1M tokens).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_PURGE_CACHE_KIB}")
    conn.commit()  # end the implicit transaction, so that each batch can begin its own
    try:
        yield
    finally:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")
        conn.commit()
