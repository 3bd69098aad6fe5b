"""legacy protocols (issue 15)

OAuth 1.0a request tokens and AuthSub single-use tokens (legacy_requests), what a legacy access
token has on top of its tokens row (legacy_credentials), signed-request replay guard
(legacy_nonces), ClientLogin unlocks, the widget proxy's sealed tokens, and the legacy
registration facts of a client (sealed consumer secret, domain, certificate), and the picture of
a CAPTCHA fetched by URL (drawn once).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:41:07.790598
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legacy_nonces",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_legacy_nonces")),
    )
    with op.batch_alter_table("legacy_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legacy_nonces_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "clientlogin_unlocks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_clientlogin_unlocks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_clientlogin_unlocks")),
    )
    with op.batch_alter_table("clientlogin_unlocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clientlogin_unlocks_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "gadget_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("token_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"], ["clients.id"], name=op.f("fk_gadget_tokens_client_pk_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_gadget_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gadget_tokens")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_gadget_tokens_handle_hash")),
    )
    with op.batch_alter_table("gadget_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gadget_tokens_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gadget_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "legacy_requests",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=12), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("hd", sa.String(length=255), nullable=False),
        sa.Column("secure", sa.Boolean(), nullable=False),
        sa.Column("session", sa.Boolean(), nullable=False),
        sa.Column("verifier_hash", sa.String(length=64), nullable=True),
        sa.Column("user_code_hash", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["clients.id"],
            name=op.f("fk_legacy_requests_client_pk_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_legacy_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_legacy_requests")),
        sa.UniqueConstraint("user_code_hash", name=op.f("uq_legacy_requests_user_code_hash")),
    )
    with op.batch_alter_table("legacy_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legacy_requests_client_pk"), ["client_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_legacy_requests_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_legacy_requests_user_id"), ["user_id"], unique=False)

    op.create_table(
        "legacy_credentials",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=12), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("secure", sa.Boolean(), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["tokens.id"],
            name=op.f("fk_legacy_credentials_token_id_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_legacy_credentials")),
    )
    with op.batch_alter_table("captcha_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picture", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("legacy_domain", sa.String(length=255), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("certificate", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captcha_challenges", schema=None) as batch_op:
        batch_op.drop_column("picture")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("certificate")
        batch_op.drop_column("legacy_domain")
        batch_op.drop_column("secret_sealed")

    op.drop_table("legacy_credentials")
    with op.batch_alter_table("legacy_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legacy_requests_user_id"))
        batch_op.drop_index(batch_op.f("ix_legacy_requests_expires_at"))
        batch_op.drop_index(batch_op.f("ix_legacy_requests_client_pk"))

    op.drop_table("legacy_requests")
    with op.batch_alter_table("gadget_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gadget_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_gadget_tokens_expires_at"))

    op.drop_table("gadget_tokens")
    with op.batch_alter_table("clientlogin_unlocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clientlogin_unlocks_expires_at"))

    op.drop_table("clientlogin_unlocks")
    with op.batch_alter_table("legacy_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legacy_nonces_expires_at"))

    op.drop_table("legacy_nonces")
