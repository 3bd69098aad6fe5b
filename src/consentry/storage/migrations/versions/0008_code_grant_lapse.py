"""authorization codes carry when their grant lapses

A code issued on a grant to an app in Testing carries the time that grant lapses, so the tokens
it is exchanged for never outlive it (VERIFY-11). Existing codes get NULL: no lapse.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grant_lapses_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("grant_lapses_at")
