"""every foreign key has an index

Deleting a user, a client, a project or an organization makes the database find the rows that refer
to it in every table with a foreign key to it (to cascade, to set NULL, or to refuse). Without an
index whose first column is that key, each such lookup scans the whole table; on SQLite under the
one write lock that every token issuance waits for. ``tests/unit/storage/test_foreign_keys_indexed.py``
keeps it so for every table added later.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column): the foreign keys that had no index of their own before this revision.
FOREIGN_KEYS = (
    ("access_requests", "project_id"),
    ("account_links", "invited_by"),
    ("account_links", "org_id"),
    ("app_reports", "client_pk"),
    ("app_reports", "user_id"),
    ("authorization_codes", "user_id"),
    ("chat_messages", "sender_id"),
    ("consent_receipts", "project_id"),
    ("device_codes", "client_pk"),
    ("device_codes", "user_id"),
    ("gadget_tokens", "client_pk"),
    ("interactions", "user_id"),
    ("org_app_access", "project_id"),
    ("org_delegations", "client_pk"),
    ("project_members", "user_id"),
    ("projects", "org_id"),
    ("session_accounts", "user_id"),
    ("unverified_passes", "user_id"),
)


def upgrade() -> None:
    for table, column in FOREIGN_KEYS:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(FOREIGN_KEYS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
