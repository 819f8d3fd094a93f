"""Plans: the figures departments report for plan indicators, the bureau's decisions as a hash chain per
indicator, and each indicator's last judged status (so a turn to behind is announced once).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "evaluation"


def upgrade() -> None:
    op.create_table(
        "plan_reports",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("plan", sa.String(100), nullable=False),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column(
            "revision", sa.Integer, nullable=False, comment="1 for a year's first figure; each new report the next"
        ),
        sa.Column("value", sa.Numeric(24, 6), nullable=False),
        sa.Column("source", sa.Text, nullable=False, comment="where the figure comes from (a yearbook, a bulletin)"),
        sa.Column("note", sa.Text),
        sa.Column("correction_reason", sa.Text, comment="why an accepted figure is corrected"),
        sa.Column("department", sa.String(100), nullable=False, comment="the department that reported it"),
        sa.Column("reported_by", sa.String(200), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("status", sa.String(20), nullable=False, comment="reported | accepted | returned | superseded"),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("return_reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.UniqueConstraint("plan", "indicator", "year", "revision"),
        schema=S,
        comment="every figure ever reported for a plan indicator's year, each revision kept",
    )
    op.create_index("ix_plan_reports_indicator", "plan_reports", ["plan", "indicator", "year"], schema=S)
    op.create_table(
        "plan_history",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("chain", sa.String(210), nullable=False, comment="{plan}/{indicator}"),
        sa.Column("report_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.String(20), nullable=False, comment="reported | accepted | returned"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("detail", JSONB),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        schema=S,
        comment="append-only: every report, acceptance and return of a plan indicator; a hash chain per indicator",
    )
    op.create_index("ix_plan_history_chain", "plan_history", ["chain", "id"], schema=S)
    op.create_table(
        "plan_alerts",
        sa.Column("plan", sa.String(100), primary_key=True),
        sa.Column("indicator", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, comment="the status last judged"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
        comment="the last judged status of each indicator: TargetAtRisk goes out once, on the turn to behind",
    )


def downgrade() -> None:
    op.drop_table("plan_alerts", schema=S)
    op.drop_index("ix_plan_history_chain", "plan_history", schema=S)
    op.drop_table("plan_history", schema=S)
    op.drop_index("ix_plan_reports_indicator", "plan_reports", schema=S)
    op.drop_table("plan_reports", schema=S)
