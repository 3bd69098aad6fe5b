"""Group commit: the operations submitted while the event loop is busy share one transaction.

Why: a token endpoint that commits once per request spends most of its time committing and,
on SQLite, in writer-lock contention between threads. Here each request leaves its work in a
list and awaits it; once the loop has had a few quiet turns the whole list runs as one
transaction with set-at-a-time statements, and every caller gets its answer only after that
commit, so nothing is acknowledged that a crash could lose.

The statements run on the event loop's own thread: they are CPU work in the page cache, and
a worker thread running them fights the event loop for the GIL at every statement (measured: a
thread-per-engine version spent ~9 ms per batch waiting for the GIL; see bench/README.md). Only
the COMMIT, which waits for the disk, goes to a thread (``commit_in_thread``); meanwhile the loop
keeps serving requests, whose writes form the next batch. No library does this for a
synchronous SQLAlchemy engine under asyncio, hence this module.

A batch starts once ``QUIET_TURNS`` turns of the loop in a row have passed without adding to it
(``_settle``). Each batch costs the same fixed work whatever its size (BEGIN, the writes' re-checks,
COMMIT and its fsync, the hand-off to the thread and back), and under load the callers one commit
answers send their next requests a few turns later, their bodies read over several turns: starting
the batch at the first quiet turn splits them over more batches than needed. At low load a batch
starts a few turns after its first item: microseconds. Measured (bench/README.md, "Batches that
wait for a quiet turn" and "Five quiet turns, not one"): one quiet turn instead of none gave
client-credentials batches of 23 instead of 15 at c=32; five instead of one cost 8-15% less CPU per
client-credentials token on PostgreSQL and 12% less per code round trip.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from consentry.storage.db import end_write

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")
#: Runs one batch inside an open transaction; returns one result per item, in order.
Handler = Callable[[Connection, Sequence[Item]], Sequence[Any]]
#: Wraps a batch from BEGIN to COMMIT when both run in one place; it sees the batch, so it can
#: choose how the batch talks to the database (PostgreSQL: pipeline mode, or autocommit for a batch
#: that is one statement).
Around = Callable[[Connection, Sequence[Any]], AbstractContextManager[Any]]
#: A batch stops waiting for quiet turns after this many checks (one per turn), or at this many items.
SETTLE_TURNS = 16
SETTLE_ITEMS = 256
#: A batch starts after this many consecutive turns of the loop that added nothing to it.
QUIET_TURNS = 5


def _nothing(_conn: Connection, _items: Sequence[Any]) -> AbstractContextManager[Any]:
    return nullcontext()


class GroupCommit(Generic[Item, Result]):
    """Batches per event loop; holds one connection, released after ``idle`` seconds unused."""

    def __init__(
        self,
        engine: Engine,
        handler: Handler[Item],
        *,
        name: str,
        idle: float = 30.0,
        on_connect: Callable[[Connection], None] | None = None,
        commit_in_thread: bool = False,
        batch_in_thread: bool = False,
        around: Around = _nothing,
    ) -> None:
        self._engine = engine
        self._handler = handler
        self.name = name
        self._idle = idle
        self._on_connect = on_connect
        self._around = around
        self._conn: Connection | None = None
        self._last_used = 0.0
        #: Loops with an idle-release timer pending (a loop that ended with one pending is dropped).
        self._release_scheduled: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        #: Whether the COMMIT (or the whole batch) runs in the committer thread, made on first use
        #: so that a store closed at one lifespan's end serves the next one.
        self._in_thread = commit_in_thread or batch_in_thread
        self._committer: ThreadPoolExecutor | None = None
        #: The statements too (a networked database: the loop must not wait on round trips).
        self._batch_in_thread = batch_in_thread
        #: A commit is running in the committer thread; the connection is not ours meanwhile.
        self._committing = False
        #: Items submitted on each event loop and not yet run: the batch that is gathering.
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[Item, asyncio.Future[Result]]]] = {}
        self.batches = 0
        self.items = 0

    async def submit(self, item: Item) -> Result:
        """Queue ``item`` and wait until the transaction that carried it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        waiting = self._waiting.get(loop)
        if waiting is None:
            waiting = self._waiting[loop] = []
            loop.call_soon(self._settle, loop, 0, 0)
        waiting.append((item, future))
        return await future

    def close(self) -> None:
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None
        # A commit whose loop closed before its completion ran would otherwise hold every later
        # batch back, on whichever loop the next lifespan runs.
        self._committing = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _settle(self, loop: asyncio.AbstractEventLoop, seen: int, turns: int, quiet: int = 0) -> None:
        """Run the loop's batch once ``QUIET_TURNS`` turns in a row added nothing to it (``seen``
        items a turn ago, ``quiet`` such turns so far), or once it is big or old enough."""
        waiting = self._waiting.get(loop)
        if self._committing or waiting is None:
            return  # the running commit's completion settles (or, on another loop, runs) this batch
        quiet = quiet + 1 if seen == len(waiting) else 0
        if quiet < QUIET_TURNS and len(waiting) < SETTLE_ITEMS and turns < SETTLE_TURNS:
            loop.call_soon(self._settle, loop, len(waiting), turns + 1, quiet)
            return
        self._run(loop)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._committing or loop not in self._waiting:
            return  # the running commit's completion starts this batch
        batch = self._waiting.pop(loop)
        items = [item for item, _future in batch]
        if self._batch_in_thread:
            whole = loop.run_in_executor(self._executor(), self._whole_batch, items)
            self._committing = True
            whole.add_done_callback(lambda f: self._committed(loop, batch, *_outcome(f)))
            return
        try:
            conn = self._connection()
            if not self._in_thread:
                results: Sequence[Any] = self._committed_batch(conn, items)
                if self._conn is conn:  # not discarded after its commit
                    end_write(conn)
            else:
                with self._around(conn, items):
                    transaction = conn.begin()
                    results = self._handler(conn, items)
                done = loop.run_in_executor(self._executor(), transaction.commit)
                self._committing = True
                done.add_done_callback(lambda f: self._committed(loop, batch, results, _outcome(f)[1]))
                return
        except Exception as exc:
            self._failed(batch, exc)
            return
        try:
            self._deliver(loop, batch, results)
        except Exception as exc:  # never leave a caller waiting: a wrong result count fails the batch
            self._failed(batch, exc)

    def _executor(self) -> ThreadPoolExecutor:
        if self._committer is None:
            self._committer = ThreadPoolExecutor(1, thread_name_prefix=self.name)
        return self._committer

    def _whole_batch(self, items: list[Item]) -> Sequence[Any]:
        return self._committed_batch(self._connection(), items)

    def _committed_batch(self, conn: Connection, items: Sequence[Item]) -> Sequence[Any]:
        """BEGIN, the handler, COMMIT, all inside ``around``. Once COMMIT has succeeded the batch
        stands: a failure leaving ``around`` afterwards (a pipeline's last sync) only costs the
        connection, never the answers, or a caller would retry what was done (a refresh token
        presented again is reuse, and revokes its whole family)."""
        committed: Sequence[Any] | None = None
        try:
            with self._around(conn, items):
                with conn.begin():
                    results = self._handler(conn, items)
                committed = results
        except Exception:
            if committed is None:
                raise
            log.warning("%s: leaving a committed batch failed", self.name, exc_info=True)
            self._discard_connection()
        return committed

    def _committed(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[tuple[Item, asyncio.Future[Result]]],
        results: Sequence[Any],
        error: BaseException | None,
    ) -> None:
        self._committing = False
        if self._conn is not None:
            end_write(self._conn)
        try:
            if error is not None:
                self._failed(batch, error)
            else:
                self._deliver(loop, batch, results)
        except Exception as exc:  # never leave a caller waiting: a wrong result count fails the batch
            self._failed(batch, exc)
        # Every loop with a batch queued behind this commit gets its turn (tests run several loops).
        for waiting_loop in list(self._waiting):
            if waiting_loop is loop:
                self._settle(loop, 0, 0)
            elif not waiting_loop.is_closed():
                with suppress(RuntimeError):  # it closed since: its callers are gone
                    waiting_loop.call_soon_threadsafe(self._run, waiting_loop)

    def _failed(self, batch: list[tuple[Item, asyncio.Future[Result]]], exc: BaseException) -> None:
        log.error("%s: batch of %d failed: %r", self.name, len(batch), exc)
        self._discard_connection()
        for _item, future in batch:
            if not future.done():
                future.set_exception(exc)

    def _deliver(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[tuple[Item, asyncio.Future[Result]]],
        results: Sequence[Any],
    ) -> None:
        self.batches += 1
        self.items += len(batch)
        for (_item, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        self._last_used = time.monotonic()
        if loop not in self._release_scheduled:
            self._release_scheduled.add(loop)
            loop.call_later(self._idle, self._release_if_idle, loop)

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self._engine.connect()
            if self._on_connect is not None:
                self._on_connect(conn)
                conn.commit()
            self._conn = conn
        return self._conn

    def _discard_connection(self) -> None:
        if self._conn is not None:
            end_write(self._conn)
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # the connection is already broken; a fresh one comes next batch
                log.debug("%s: discarding a broken connection failed", self.name, exc_info=True)
            self._conn = None

    def _release_if_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give the connection back when unused, so idle apps hold no database connection."""
        quiet = time.monotonic() - self._last_used
        if quiet >= self._idle and not self._committing:
            self._release_scheduled.discard(loop)
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        else:
            loop.call_later(max(self._idle - quiet, 1.0), self._release_if_idle, loop)


def _outcome(done: asyncio.Future[Any]) -> tuple[Sequence[Any], BaseException | None]:
    """A thread's result or error; a cancelled one is an error too, so its callers are answered."""
    if done.cancelled():
        return [], RuntimeError("the batch was cancelled")
    error = done.exception()
    return ([] if error is not None else done.result()), error
