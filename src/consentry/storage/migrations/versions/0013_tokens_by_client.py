"""an index on tokens.client_pk

Disabling or deleting a client, suspending a project and purging a deleted client find that client's
tokens. Without an index of their own SQLite scans the whole table for each, under its one write lock:
at 1M tokens, 0.2-0.3 s during which no token is issued (docs/maintenance.md). An issued token pays
about 2% more CPU on PostgreSQL for it (within this machine's noise; docs/maintenance.md).

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
