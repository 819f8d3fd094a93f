"""Indexes of optional columns hold only the rows that have a value.

A delivery names a subscription only when it is a webhook's, and an inbox item is addressed to a person or to a
role, never both: most rows held a NULL entry in one of these indexes that no query reads (every query asks for
one subscription, one person or some roles). An approval wrote seven such entries.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

S = "notification"
# (index, table, columns, the column that must have a value)
INDEXES = (
    ("ix_deliveries_subscription", "deliveries", ["subscription_id"], "subscription_id"),
    ("ix_inbox_items_role", "inbox_items", ["role", "created_at"], "role"),
    ("ix_inbox_items_user", "inbox_items", ["user_subject", "created_at"], "user_subject"),
)


def upgrade() -> None:
    for name, table, columns, required in INDEXES:
        op.drop_index(name, table_name=table, schema=S)
        op.create_index(name, table, columns, schema=S, postgresql_where=f"{required} IS NOT NULL")


def downgrade() -> None:
    for name, table, columns, _ in INDEXES:
        op.drop_index(name, table_name=table, schema=S)
        op.create_index(name, table, columns, schema=S)
