"""A client's tokens are found through an index, so revoking them or removing the client does not
scan the tokens table (on SQLite, under the one write lock every token issuance waits for)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support.query_plans import plan

REVOKE = "UPDATE tokens SET revoked_at = 1 WHERE client_pk = 7 AND revoked_at IS NULL"
CASCADE = "DELETE FROM tokens WHERE client_pk = 7"  # what removing client 7 does to its tokens


def test_a_clients_tokens_are_found_through_their_own_index(database_url: str) -> None:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            plans = [plan(conn, sql) for sql in (REVOKE, CASCADE)]
        wanted = (
            "USING INDEX ix_tokens_client (client_pk=?)"
            if engine.dialect.name == "sqlite"
            else "ix_tokens_client"
        )
        assert all(wanted in found for found in plans), plans
    finally:
        engine.dispose()
