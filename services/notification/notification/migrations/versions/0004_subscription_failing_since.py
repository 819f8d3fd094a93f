"""A subscription is paused after failing continuously for a while, not after a count of failures.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "notification"


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("failing_since", sa.DateTime(timezone=True), comment="first failure since the last success"),
        schema=S,
    )
    op.add_column(
        "subscriptions",
        sa.Column("pause_warned_at", sa.DateTime(timezone=True), comment="when the owner was told it will pause"),
        schema=S,
    )
    # A subscription failing now has failed at least since its last failure.
    op.execute(
        f"UPDATE {S}.subscriptions SET failing_since = last_failure_at "
        "WHERE consecutive_failures > 0 AND last_failure_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("subscriptions", "pause_warned_at", schema=S)
    op.drop_column("subscriptions", "failing_since", schema=S)
