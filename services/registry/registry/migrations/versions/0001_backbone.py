"""The registry schema's event backbone: outbox, inbox, dead letters, idempotency keys.

Revision ID: 0001
Revises:
"""

from tic_shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables("registry")


def downgrade() -> None:
    drop_messaging_tables("registry")
