"""indexes for purging revoked tokens and expired browser sessions

Without them every purge (each server's janitor, every few minutes) reads the whole tokens table
to find revoked rows, and the whole browser_sessions table, both of which hold every live row.
The tokens index is partial: only revoked rows are in it, so it stays tiny and costs nothing when
a token is issued. On PostgreSQL both are built CONCURRENTLY, so upgrading a busy database does not
block token issuance while the index is built.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVOKED = sa.text("revoked_at IS NOT NULL")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_tokens_revoked",
                "tokens",
                ["revoked_at"],
                postgresql_where=REVOKED,
                postgresql_concurrently=True,
                if_not_exists=True,
            )
            op.create_index(
                "ix_browser_sessions_expires_at",
                "browser_sessions",
                ["expires_at"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        return
    op.create_index("ix_tokens_revoked", "tokens", ["revoked_at"], sqlite_where=REVOKED)
    op.create_index("ix_browser_sessions_expires_at", "browser_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_browser_sessions_expires_at", table_name="browser_sessions")
    op.drop_index("ix_tokens_revoked", table_name="tokens")
