"""Engine, session factory, and the unit of work: the only place that commits."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from consentry.storage import unstorable

_forbidden: ContextVar[bool] = ContextVar("consentry_database_forbidden", default=False)


class DatabaseForbidden(RuntimeError):
    """Code that must only read prefetched records (Authlib's hooks) reached for the database."""


class database_forbidden:
    """No unit of work and no statement in this span: see ``protocol/oauth2/exchange.py``.

    A class rather than ``@contextmanager``: every protocol request enters one, and a generator
    costs several times as much to enter and leave."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _forbidden.set(True)

    def __exit__(self, *_exc: object) -> None:
        _forbidden.reset(self._token)


def _refuse_if_forbidden(*_args: Any) -> None:
    if _forbidden.get():
        raise DatabaseForbidden("a protocol hook touched the database; prefetch what it reads instead")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys so several processes can share the file."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    unstorable.install(engine)
    event.listen(engine, "before_cursor_execute", _refuse_if_forbidden)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_WRITING = "consentry_sqlite_writing"
_write_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def _serialize_writers(engine: Engine, lock: threading.Lock) -> None:
    """One SQLite writer per process at a time, queued on a lock instead of SQLite's busy handler.

    SQLite allows one writer; a second one polls with sleeps (1, 2, 5 ... 100 ms). Under
    concurrent requests those sleeps dominated the code flow (p50 158 ms at 170 req/s, measured in
    bench/), while a lock wakes the next writer the moment the previous one is done. Processes
    still meet at SQLite's own lock; that is rare with one worker per core.
    """

    _write_locks[engine] = lock

    def before(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            begin_write(conn)

    def done(_dbapi_conn: Any, record: Any, *_args: Any) -> None:
        if record is not None and record.info.pop(_WRITING, False):
            lock.release()

    event.listen(engine, "before_cursor_execute", before)
    # After the commit or rollback, when the connection goes back to the pool.
    event.listen(engine.pool, "checkin", done)
    event.listen(engine.pool, "invalidate", done)


#: The lock under which the audit log's last link is read and the next one appended, held to the
#: end of the transaction, so writers in every process keep one linear chain. Without it two of
#: them can chain to the same link: READ COMMITTED on PostgreSQL, and on SQLite the read runs
#: before the driver's deferred BEGIN. PostgreSQL: an advisory lock (the key spells "consaudt").
#: SQLite: a write that changes nothing but takes the database's write lock first, so the read
#: that follows sees the last committed link and no other process can append until COMMIT.
AUDIT_APPEND_LOCK = {
    "postgresql": "SELECT pg_advisory_xact_lock(7165066974005126260)",
    "sqlite": "UPDATE audit_events SET id = id WHERE 0",
}


def begin_write(conn: Connection) -> None:
    """Take the process's SQLite write turn before a write (no-op elsewhere, or when already held).

    Statements through SQLAlchemy do this by themselves; raw-cursor writers call it.
    """
    lock = _write_locks.get(conn.engine)
    if lock is not None and not conn.info.get(_WRITING):
        lock.acquire()
        conn.info[_WRITING] = True


def end_write(conn: Connection) -> None:
    """Give the turn back after commit or rollback, for connections kept out of the pool."""
    lock = _write_locks.get(conn.engine)
    if lock is not None and conn.info.pop(_WRITING, False):
        lock.release()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        if self.engine.dialect.name == "sqlite":
            # Held from a connection's first write until it goes back to the pool (begin_write).
            _serialize_writers(self.engine, threading.Lock())

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error.

        Authlib's hooks never get one: they read what the protocol adapter prefetched
        (``protocol/oauth2/exchange.py``), and asking for a unit of work there raises.
        """
        _refuse_if_forbidden()
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
