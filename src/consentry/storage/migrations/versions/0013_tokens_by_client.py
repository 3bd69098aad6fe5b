"""an index on tokens.client_pk

Disabling or deleting a client, suspending a project and purging a deleted client find that client's
tokens. Without an index of their own SQLite scans the whole table for each, under its one write lock:
at 1M tokens, 0.2-0.3 s during which no token is issued (docs/maintenance.md). Measured on PostgreSQL,
the index costs an issued token nothing that shows (the backend's CPU per row of a client-credentials
batch: 76-81 us without it, 78-81 us with it).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tokens_client", "tokens", ["client_pk"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tokens_client", table_name="tokens")
