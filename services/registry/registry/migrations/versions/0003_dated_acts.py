"""Dated acts, unique live names, reinstatement, and the tamper-evident history chain.

Each center remembers its latest dated act (every later act is dated on or after it) and the state it was ended
from (a reinstatement returns it there); the history rows carry the day of their act and a hash chain per center;
two live centers cannot share an official name.

Revision ID: 0003
Revises: 0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tic_shared.audit import AuditedTable, backfill

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "registry"
LIVE = "status IN ('building', 'operating')"
CONTENT = ("center_id", "at", "actor", "action", "on", "from_state", "to_state", "reason", "details", "event_ids")


def upgrade() -> None:
    columns: dict[str, list[sa.Column[Any]]] = {
        "centers": [
            sa.Column("last_act", sa.String(60), comment="the latest dated act on the record"),
            sa.Column("last_act_on", sa.Date(), comment="its day: no later act is dated before it"),
            sa.Column("ended_from", sa.String(40), comment="the state a delisting or cancellation ended"),
        ],
        "center_history": [
            sa.Column("on", sa.Date(), comment="the day the act happened"),
            sa.Column("prev_hash", sa.String(64)),
            sa.Column("hash", sa.String(64)),
        ],
    }
    for table, added in columns.items():
        for column in added:
            op.add_column(table, column, schema=S)
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE registry.center_history SET \"on\" = (at AT TIME ZONE 'Asia/Shanghai')::date"))
    bind.execute(
        sa.text(
            "UPDATE registry.centers SET last_act_on = GREATEST(approved_on, ended_on, notice_starts_on, tier_since,"
            " (decision->>'decided_on')::date, (review->>'reviewed_on')::date), last_act = 'recorded act'"
        )
    )
    bind.execute(sa.text("UPDATE registry.centers SET last_act = NULL WHERE last_act_on IS NULL"))
    _chain_existing_history(bind)
    op.alter_column("center_history", "on", nullable=False, schema=S)
    op.alter_column("center_history", "prev_hash", nullable=False, schema=S)
    op.alter_column("center_history", "hash", nullable=False, schema=S)
    duplicates = (
        bind.execute(
            sa.text(f"SELECT official_name_zh FROM registry.centers WHERE {LIVE} GROUP BY 1 HAVING count(*) > 1")
        )
        .scalars()
        .all()
    )
    if duplicates:
        raise RuntimeError(
            "live centers share an official name; give each its own domain before upgrading: " + ", ".join(duplicates)
        )
    op.create_index(
        "ux_centers_live_name_zh",
        "centers",
        ["official_name_zh"],
        unique=True,
        schema=S,
        postgresql_where=sa.text(LIVE),
    )
    op.create_index(
        "ux_centers_live_name_en",
        "centers",
        ["official_name_en"],
        unique=True,
        schema=S,
        postgresql_where=sa.text(LIVE),
    )


def _chain_existing_history(bind: sa.Connection) -> None:
    # The history table as this revision knows it (not the current model, which may move on).
    history = sa.Table(
        "center_history",
        sa.MetaData(schema=S),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("center_id", sa.Uuid),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("on", sa.Date),
        *(sa.Column(name, sa.Text) for name in ("actor", "action", "from_state", "to_state", "reason")),
        sa.Column("details", JSONB),
        sa.Column("event_ids", JSONB),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
    )
    backfill(bind, AuditedTable(history, chain="center_id", content=CONTENT))


def downgrade() -> None:
    op.drop_index("ux_centers_live_name_en", table_name="centers", schema=S)
    op.drop_index("ux_centers_live_name_zh", table_name="centers", schema=S)
    op.drop_column("center_history", "hash", schema=S)
    op.drop_column("center_history", "prev_hash", schema=S)
    op.drop_column("center_history", "on", schema=S)
    op.drop_column("centers", "ended_from", schema=S)
    op.drop_column("centers", "last_act_on", schema=S)
    op.drop_column("centers", "last_act", schema=S)
