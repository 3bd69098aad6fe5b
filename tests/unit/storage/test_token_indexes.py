"""A client's tokens are found through an index, so revoking them or removing the client does not
scan the tokens table (on SQLite, under the one write lock every token issuance waits for)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

REVOKE = "UPDATE tokens SET revoked_at = 1 WHERE client_pk = 7 AND revoked_at IS NULL"
CASCADE = "DELETE FROM tokens WHERE client_pk = 7"  # what removing client 7 does to its tokens


def test_a_clients_tokens_are_found_through_their_own_index(database_url: str) -> None:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                plans = [
                    " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
                    for sql in (REVOKE, CASCADE)
                ]
                assert all("USING INDEX ix_tokens_client (client_pk=?)" in plan for plan in plans), plans
            else:  # an empty table is scanned whatever its indexes: ask for the index itself
                conn.exec_driver_sql("SET enable_seqscan = off")
                plans = [
                    " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
                    for sql in (REVOKE, CASCADE)
                ]
                assert all("ix_tokens_client" in plan for plan in plans), plans
    finally:
        engine.dispose()
