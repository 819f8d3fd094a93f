"""An evaluation a reviewer records as not submitted; the history as a hash chain per evaluation.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tic_shared.audit import AuditedTable, backfill

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "evaluation"
CONTENT = ("evaluation_id", "action", "actor", "reason", "detail", "at")


def upgrade() -> None:
    op.add_column(
        "evaluations",
        sa.Column("not_submitted", JSONB, comment="a reviewer's record that no report came: reason, by, on"),
        schema=S,
    )
    op.add_column("history", sa.Column("prev_hash", sa.String(64)), schema=S)
    op.add_column("history", sa.Column("hash", sa.String(64)), schema=S)
    # The history table as this revision knows it (not the current model, which may move on).
    history = sa.Table(
        "history",
        sa.MetaData(schema=S),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("evaluation_id", sa.Uuid),
        sa.Column("action", sa.Text),
        sa.Column("actor", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("detail", JSONB),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
    )
    backfill(op.get_bind(), AuditedTable(history, chain="evaluation_id", content=CONTENT))
    op.alter_column("history", "prev_hash", nullable=False, schema=S)
    op.alter_column("history", "hash", nullable=False, schema=S)
    op.create_table_comment(
        "history",
        "append-only: every report, assignment, score, finalize and reopen; a hash chain per evaluation",
        schema=S,
    )


def downgrade() -> None:
    op.create_table_comment("history", "append-only: every report, assignment, score, finalize and reopen", schema=S)
    op.drop_column("history", "hash", schema=S)
    op.drop_column("history", "prev_hash", schema=S)
    op.drop_column("evaluations", "not_submitted", schema=S)
