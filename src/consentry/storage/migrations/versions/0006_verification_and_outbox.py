"""app verification, the consent-screen configuration, and the mail outbox

Projects gain their consent-screen configuration (VERIFY-2) and approved scopes; clients a
deletion time (restorable for 30 days). New tables: domain proofs, review requests and their
messages, security assessments, and the outbox that mail waits in until an SMTP server takes it.
Existing projects get empty values (server defaults), so the upgrade needs no data step.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:19:55.745202
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("claimed_until", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mail")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_mail_message_id")),
    )
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_mail_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_mail_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "domain_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("challenge", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("verified_at", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_domain_proofs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_proofs")),
        sa.UniqueConstraint("project_id", "domain", name=op.f("uq_domain_proofs_project_id")),
    )
    with op.batch_alter_table("domain_proofs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_proofs_project_id"), ["project_id"], unique=False)

    op.create_table(
        "security_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("letter_date", sa.BigInteger(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("deletion_checked", sa.Boolean(), nullable=False),
        sa.Column("reminders_sent", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_security_assessments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_assessments")),
    )
    with op.batch_alter_table("security_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_assessments_project_id"), ["project_id"], unique=False)

    op.create_table(
        "verification_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("justifications", sa.JSON(), nullable=False),
        sa.Column("doc_links", sa.JSON(), nullable=False),
        sa.Column("video_url", sa.String(length=2000), nullable=False),
        sa.Column("app_type", sa.String(length=100), nullable=False),
        sa.Column("task_automation", sa.Boolean(), nullable=False),
        sa.Column("server_access", sa.Boolean(), nullable=False),
        sa.Column("brand", sa.JSON(), nullable=False),
        sa.Column("transfers", sa.Text(), nullable=False),
        sa.Column("human_access", sa.Text(), nullable=False),
        sa.Column("attested", sa.Boolean(), nullable=False),
        sa.Column("scan_report", sa.JSON(), nullable=True),
        sa.Column("prechecks", sa.JSON(), nullable=False),
        sa.Column("approved_scopes", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", sa.BigInteger(), nullable=True),
        sa.Column("waiting_since", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_verification_requests_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_requests")),
    )
    with op.batch_alter_table("verification_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_requests_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_verification_requests_state"), ["state"], unique=False)

    op.create_table(
        "review_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["verification_requests.id"],
            name=op.f("fk_review_messages_request_id_verification_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_messages")),
    )
    with op.batch_alter_table("review_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_messages_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("app_name", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("logo_png", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("support_email", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("home_page", sa.String(length=2000), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("privacy_policy", sa.String(length=2000), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("terms", sa.String(length=2000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("authorized_domains", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("developer_contacts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("brand_changed_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("approved_scopes", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("approved_scopes")
        batch_op.drop_column("brand_changed_at")
        batch_op.drop_column("developer_contacts")
        batch_op.drop_column("authorized_domains")
        batch_op.drop_column("terms")
        batch_op.drop_column("privacy_policy")
        batch_op.drop_column("home_page")
        batch_op.drop_column("support_email")
        batch_op.drop_column("logo_png")
        batch_op.drop_column("app_name")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("review_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_messages_request_id"))

    op.drop_table("review_messages")
    with op.batch_alter_table("verification_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_requests_state"))
        batch_op.drop_index(batch_op.f("ix_verification_requests_project_id"))

    op.drop_table("verification_requests")
    with op.batch_alter_table("security_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_assessments_project_id"))

    op.drop_table("security_assessments")
    with op.batch_alter_table("domain_proofs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_proofs_project_id"))

    op.drop_table("domain_proofs")
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_mail_sent_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_mail_next_attempt_at"))

    op.drop_table("outbox_mail")
