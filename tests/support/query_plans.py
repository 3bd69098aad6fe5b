"""A statement's query plan as one line of text, on either engine, for tests that an index serves it."""

from __future__ import annotations

from sqlalchemy import Connection


def plan(conn: Connection, sql: str) -> str:
    if conn.dialect.name == "sqlite":
        return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    # An empty table is scanned whatever its indexes: ask PostgreSQL for the index itself.
    conn.exec_driver_sql("SET enable_seqscan = off")
    return " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
