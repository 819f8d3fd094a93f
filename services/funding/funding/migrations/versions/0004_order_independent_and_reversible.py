"""Grades keep their evaluation's revision; stopped grants remember their state; a clawback can be reversed;
the ledger is a hash chain per center.

A reinstated center (CenterReinstated) gets its grants back and its clawback reversed, so a center may be
clawed back again later: one clawback per center is now one live (not reversed) clawback per center.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from tic_shared.audit import AuditedTable, backfill

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "funding"
LEDGER_CONTENT = (
    "entry_id",
    "center_id",
    "kind",
    "amount_fen",
    "grant_id",
    "clawback_id",
    "category",
    "compliant",
    "description",
    "occurred_on",
    "recorded_by",
    "recorded_at",
)


def upgrade() -> None:
    op.add_column(
        "grades",
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1"), comment="the result's revision"),
        schema=S,
    )
    op.add_column("grants", sa.Column("stopped_from", sa.String(30), comment="the state a stop interrupted"), schema=S)
    op.add_column(
        "clawbacks",
        sa.Column("reversed_by_event_id", sa.Uuid, comment="the CenterReinstated that reversed it"),
        schema=S,
    )
    op.add_column("clawbacks", sa.Column("reversed_at", sa.DateTime(timezone=True)), schema=S)
    op.drop_constraint("uq_clawbacks_center_id", "clawbacks", schema=S)
    op.create_index(
        "uq_clawbacks_live_center",
        "clawbacks",
        ["center_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status <> 'reversed'"),
    )
    op.alter_column(
        "clawbacks",
        "center_id",
        comment="a center is clawed back once per ending; a reversed clawback makes room for a later one",
        schema=S,
    )
    op.alter_column("clawbacks", "status", comment="outstanding | repaid | nothing_due | reversed", schema=S)
    op.add_column("ledger_entries", sa.Column("prev_hash", sa.String(64)), schema=S)
    op.add_column("ledger_entries", sa.Column("hash", sa.String(64)), schema=S)
    ledger = sa.Table(
        "ledger_entries",
        sa.MetaData(schema=S),
        sa.Column("n", sa.BigInteger),
        sa.Column("entry_id", sa.Uuid),
        sa.Column("center_id", sa.Uuid),
        sa.Column("kind", sa.Text),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("grant_id", sa.Uuid),
        sa.Column("clawback_id", sa.Uuid),
        sa.Column("category", sa.Text),
        sa.Column("compliant", sa.Boolean),
        sa.Column("description", sa.Text),
        sa.Column("occurred_on", sa.Date),
        sa.Column("recorded_by", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True)),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
    )
    backfill(op.get_bind(), AuditedTable(ledger, chain="center_id", content=LEDGER_CONTENT, order="n"))
    op.alter_column("ledger_entries", "prev_hash", nullable=False, schema=S)
    op.alter_column("ledger_entries", "hash", nullable=False, schema=S)


def downgrade() -> None:
    op.drop_column("ledger_entries", "hash", schema=S)
    op.drop_column("ledger_entries", "prev_hash", schema=S)
    op.alter_column("clawbacks", "status", comment="outstanding | repaid", schema=S)
    op.alter_column("clawbacks", "center_id", comment="a center ends once, so it is clawed back once", schema=S)
    op.drop_index("uq_clawbacks_live_center", table_name="clawbacks", schema=S)
    op.create_unique_constraint("uq_clawbacks_center_id", "clawbacks", ["center_id"], schema=S)
    op.drop_column("clawbacks", "reversed_at", schema=S)
    op.drop_column("clawbacks", "reversed_by_event_id", schema=S)
    op.drop_column("grants", "stopped_from", schema=S)
    op.drop_column("grades", "revision", schema=S)
