"""an index on authorization codes' nonce

The authorization endpoint checks, in its one batched lookup, whether a code already carried the
request's nonce (OpenID Connect replay check). Without an index that read scans every code.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_authorization_codes_nonce", "authorization_codes", ["nonce"])


def downgrade() -> None:
    op.drop_index("ix_authorization_codes_nonce", table_name="authorization_codes")
