"""The notification schema's event backbone and the log of events it received.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tic_shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables("notification")
    op.create_table(
        "received_events",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(100)),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="notification",
    )
    op.create_index("ix_received_events_subject", "received_events", ["subject"], schema="notification")


def downgrade() -> None:
    op.drop_table("received_events", schema="notification")
    drop_messaging_tables("notification")
