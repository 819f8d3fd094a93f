"""The delivery log as a hash chain per delivery.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from tic_shared.audit import AuditedTable, backfill

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "notification"
CONTENT = ("delivery_id", "attempt", "ok", "started_at", "latency_ms", "http_status", "error")


def upgrade() -> None:
    op.add_column("delivery_attempts", sa.Column("prev_hash", sa.String(64)), schema=S)
    op.add_column("delivery_attempts", sa.Column("hash", sa.String(64)), schema=S)
    # The table as this revision knows it (not the current model, which may move on).
    attempts = sa.Table(
        "delivery_attempts",
        sa.MetaData(schema=S),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("delivery_id", sa.Uuid),
        sa.Column("attempt", sa.Integer),
        sa.Column("ok", sa.Boolean),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("latency_ms", sa.Integer),
        sa.Column("http_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
    )
    backfill(op.get_bind(), AuditedTable(attempts, chain="delivery_id", content=CONTENT))
    op.alter_column("delivery_attempts", "prev_hash", nullable=False, schema=S)
    op.alter_column("delivery_attempts", "hash", nullable=False, schema=S)


def downgrade() -> None:
    op.drop_column("delivery_attempts", "hash", schema=S)
    op.drop_column("delivery_attempts", "prev_hash", schema=S)
