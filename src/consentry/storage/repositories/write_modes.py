"""How a batch talks to PostgreSQL: pipelined from BEGIN to COMMIT, or each statement its own
transaction. SQLite runs its statements in-process, so neither applies there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection


@contextmanager
def pipelined(conn: Connection) -> Iterator[bool]:
    """PostgreSQL's pipeline mode for the statements sent inside; nothing on SQLite (in-process)."""
    if conn.dialect.name != "postgresql":
        yield False
        return
    with conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
        yield True


@contextmanager
def autocommitted(conn: Connection) -> Iterator[None]:
    """PostgreSQL: every statement inside is its own transaction (for a batch that is one statement).

    The driver's own switch, set and reset around the batch, rather than an SQLAlchemy execution
    option, which would reconfigure the connection through the dialect each time; SQLAlchemy's
    BEGIN and COMMIT around it then send nothing (psycopg commits nothing while idle).
    """
    driver = conn.connection.driver_connection
    driver.autocommit = True  # type: ignore[union-attr]
    try:
        yield
    finally:
        driver.autocommit = False  # type: ignore[union-attr]


def autocommitting(conn: Connection) -> bool:
    """Whether each statement on ``conn`` commits by itself (inside :func:`autocommitted`)."""
    return conn.dialect.name == "postgresql" and bool(
        getattr(conn.connection.driver_connection, "autocommit", False)
    )
