"""organizations govern apps (issue 14)

What organization admins decide about third-party apps (per-app access and installation, the
policy for apps not configured, APIs only trusted apps reach, the refusal message), domain-wide
delegation to service accounts, members' access requests, and service accounts' keys.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 22:25:30.734601
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_access_requests_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_access_requests_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_requests_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index("ix_access_requests_org_status", ["org_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_requests_user_id"), ["user_id"], unique=False)

    op.create_table(
        "org_app_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("access", sa.String(length=10), nullable=False),
        sa.Column("installed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_org_app_access_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_org_app_access_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_app_access")),
        sa.UniqueConstraint("org_id", "project_id", name=op.f("uq_org_app_access_org_id")),
    )
    with op.batch_alter_table("org_app_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_app_access_org_id"), ["org_id"], unique=False)

    op.create_table(
        "org_delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["clients.id"],
            name=op.f("fk_org_delegations_client_pk_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_org_delegations_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_delegations")),
        sa.UniqueConstraint("org_id", "client_pk", name=op.f("uq_org_delegations_org_id")),
    )
    with op.batch_alter_table("org_delegations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_delegations_org_id"), ["org_id"], unique=False)

    op.create_table(
        "service_account_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("disabled_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["clients.id"],
            name=op.f("fk_service_account_keys_client_pk_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_account_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_service_account_keys_kid")),
    )
    with op.batch_alter_table("service_account_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_account_keys_client_pk"), ["client_pk"], unique=False)

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_email", sa.String(length=320), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_clients_service_email"), ["service_email"])

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unconfigured", sa.String(length=20), server_default="allow", nullable=False)
        )
        batch_op.add_column(sa.Column("restricted_apis", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("refusal_message", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("internal_approval", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("policy_version", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("policy_version")
        batch_op.drop_column("internal_approval")
        batch_op.drop_column("refusal_message")
        batch_op.drop_column("restricted_apis")
        batch_op.drop_column("unconfigured")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_clients_service_email"), type_="unique")
        batch_op.drop_column("service_email")

    with op.batch_alter_table("service_account_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_account_keys_client_pk"))

    op.drop_table("service_account_keys")
    with op.batch_alter_table("org_delegations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_delegations_org_id"))

    op.drop_table("org_delegations")
    with op.batch_alter_table("org_app_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_app_access_org_id"))

    op.drop_table("org_app_access")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_requests_user_id"))
        batch_op.drop_index("ix_access_requests_org_status")
        batch_op.drop_index(batch_op.f("ix_access_requests_expires_at"))

    op.drop_table("access_requests")
