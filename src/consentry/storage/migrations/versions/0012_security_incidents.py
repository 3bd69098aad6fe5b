"""security incidents (SEC-6)

Incidents a project reports to the platform's security contact (known or suspected unauthorized
access), their state as the platform tracks them, and the notes on each.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 01:21:06.121430
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "security_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("certainty", sa.String(length=10), nullable=False),
        sa.Column("detected_at", sa.BigInteger(), nullable=False),
        sa.Column("affected", sa.Text(), nullable=False),
        sa.Column("affected_users", sa.Integer(), nullable=True),
        sa.Column("containment", sa.Text(), nullable=False),
        sa.Column("statement", sa.String(length=10), nullable=False),
        sa.Column("statement_at", sa.BigInteger(), nullable=True),
        sa.Column("reported_by", sa.String(length=320), nullable=False),
        sa.Column("reported_at", sa.BigInteger(), nullable=False),
        sa.Column("security_contact", sa.String(length=320), nullable=False),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("closed_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_security_incidents_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incidents")),
    )
    with op.batch_alter_table("security_incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_incidents_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_security_incidents_state"), ["state"], unique=False)

    op.create_table(
        "incident_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["security_incidents.id"],
            name=op.f("fk_incident_notes_incident_id_security_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notes")),
    )
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_notes_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_notes_incident_id"))

    op.drop_table("incident_notes")
    with op.batch_alter_table("security_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_incidents_state"))
        batch_op.drop_index(batch_op.f("ix_security_incidents_project_id"))

    op.drop_table("security_incidents")
