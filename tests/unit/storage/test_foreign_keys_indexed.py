"""Every foreign key is the first column of an index, so deleting what it refers to (a user, a
client, a project) finds the referring rows through it instead of scanning their table; on SQLite
that scan would hold the one write lock (migration 0014)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support.query_plans import plan


def _partial(index: Any) -> bool:
    return any(key.endswith("_where") for key in index.get("dialect_options", {}))


def _unindexed_foreign_keys(inspector: sa.Inspector) -> list[str]:
    missing = []
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        # A partial index does not serve the lookup of every key: only whole indexes count.
        leads = [tuple(ix["column_names"]) for ix in inspector.get_indexes(table) if not _partial(ix)]
        leads += [tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(table)]
        leads.append(tuple(inspector.get_pk_constraint(table)["constrained_columns"]))
        for fk in inspector.get_foreign_keys(table):
            columns = tuple(fk["constrained_columns"])
            if not any(lead[: len(columns)] == columns for lead in leads):
                missing.append(f"{table}.{','.join(columns)} -> {fk['referred_table']}")
    return missing


def test_every_foreign_key_leads_an_index(database_url: str) -> None:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        assert "users" in inspector.get_table_names()  # a migrated schema, not an empty one
        assert _unindexed_foreign_keys(inspector) == []
    finally:
        engine.dispose()


def test_removing_a_user_finds_their_messages_through_an_index(database_url: str) -> None:
    """The largest table of migration 0014's list, by the plan of the lookup a user's removal makes."""
    engine = sa.create_engine(database_url, poolclass=NullPool)
    sql = "DELETE FROM chat_messages WHERE sender_id = 7"
    try:
        with engine.connect() as conn:
            found = plan(conn, sql)
        assert "ix_chat_messages_sender_id" in found, found
    finally:
        engine.dispose()
