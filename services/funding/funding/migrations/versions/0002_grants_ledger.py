"""Funding's projections of centers and grades, grants, budgets, the ledger (专账) and clawbacks.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "funding"


def upgrade() -> None:
    op.create_table(
        "centers",
        sa.Column("center_id", sa.Uuid, primary_key=True),
        sa.Column("code", sa.String(60)),
        sa.Column("name_zh", sa.String(200)),
        sa.Column("tier", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("jurisdiction", sa.String(40)),
        sa.Column("lead_unit_type", sa.String(40)),
        sa.Column("approved_on", sa.Date),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("center_id", name="pk_centers"),
        schema=SCHEMA,
    )
    op.create_index("ix_centers_district", "centers", ["district"], schema=SCHEMA)
    op.create_index("ix_centers_jurisdiction", "centers", ["jurisdiction"], schema=SCHEMA)

    op.create_table(
        "grades",
        sa.Column("center_id", sa.Uuid, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("grade", sa.String(20), nullable=False),
        sa.Column("evaluation_id", sa.Uuid, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("center_id", "year", "kind", name="pk_grades"),
        schema=SCHEMA,
    )

    op.create_table(
        "grants",
        sa.Column("grant_id", sa.Uuid, nullable=False),
        sa.Column("n", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("center_id", sa.Uuid, nullable=False),
        sa.Column("policy_code", sa.String(60), nullable=False),
        sa.Column("jurisdiction", sa.String(40), nullable=False),
        sa.Column("funding_year", sa.Integer, nullable=False),
        sa.Column("budget_year", sa.Integer, nullable=False),
        sa.Column("trigger", sa.String(40)),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("verified_investment_fen", sa.BigInteger),
        sa.Column("overlapping_grant_fen", sa.BigInteger),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("trace_id", sa.Uuid),
        sa.Column("trace", JSONB),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("calculated_at", sa.DateTime(timezone=True)),
        sa.Column("calculated_by", sa.String(200)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("disbursed_at", sa.DateTime(timezone=True)),
        sa.Column("disbursed_by", sa.String(200)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("grant_id", name="pk_grants"),
        sa.UniqueConstraint("n", name="uq_grants_n"),
        sa.CheckConstraint("funding_year >= 1", name="ck_grants_funding_year_positive"),
        sa.CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="ck_grants_amount_not_negative"),
        sa.CheckConstraint(
            "verified_investment_fen IS NULL OR verified_investment_fen >= 0", name="ck_grants_investment_not_negative"
        ),
        sa.CheckConstraint(
            "overlapping_grant_fen IS NULL OR overlapping_grant_fen >= 0", name="ck_grants_overlap_not_negative"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_grants_year",
        "grants",
        ["center_id", "policy_code", "funding_year"],
        unique=True,
        postgresql_where=sa.text("trigger IS NULL"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_grants_award",
        "grants",
        ["center_id", "policy_code", "trigger"],
        unique=True,
        postgresql_where=sa.text("trigger IS NOT NULL"),
        schema=SCHEMA,
    )
    op.create_index("ix_grants_center", "grants", ["center_id"], schema=SCHEMA)
    op.create_index("ix_grants_budget", "grants", ["jurisdiction", "budget_year", "status"], schema=SCHEMA)

    op.create_table(
        "budgets",
        sa.Column("jurisdiction", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("budget_fen", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("jurisdiction", "year", name="pk_budgets"),
        sa.CheckConstraint("budget_fen >= 0", name="ck_budgets_budget_not_negative"),
        schema=SCHEMA,
    )

    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.Uuid, nullable=False),
        sa.Column("n", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("center_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("grant_id", sa.Uuid),
        sa.Column("clawback_id", sa.Uuid),
        sa.Column("category", sa.String(40)),
        sa.Column("compliant", sa.Boolean),
        sa.Column("description", sa.Text),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("entry_id", name="pk_ledger_entries"),
        sa.UniqueConstraint("n", name="uq_ledger_entries_n"),
        sa.CheckConstraint("amount_fen > 0", name="ck_ledger_entries_amount_positive"),
        sa.CheckConstraint("kind IN ('disbursement', 'expenditure', 'repayment')", name="ck_ledger_entries_kind_known"),
        schema=SCHEMA,
    )
    op.create_index("ix_ledger_entries_center", "ledger_entries", ["center_id", "kind"], schema=SCHEMA)
    op.create_index(
        "uq_ledger_entries_disbursement",
        "ledger_entries",
        ["grant_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'disbursement'"),
        schema=SCHEMA,
    )

    op.create_table(
        "clawbacks",
        sa.Column("clawback_id", sa.Uuid, nullable=False),
        sa.Column("n", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("center_id", sa.Uuid, nullable=False),
        sa.Column("reason_event_id", sa.Uuid, nullable=False),
        sa.Column("reason_event_type", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("disbursed_fen", sa.BigInteger, nullable=False),
        sa.Column("compliant_spent_fen", sa.BigInteger, nullable=False),
        sa.Column("non_compliant_spent_fen", sa.BigInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("repaid_fen", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("repaid_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("clawback_id", name="pk_clawbacks"),
        sa.UniqueConstraint("n", name="uq_clawbacks_n"),
        sa.UniqueConstraint("center_id", name="uq_clawbacks_center_id"),
        sa.CheckConstraint(
            "amount_fen >= 0 AND repaid_fen >= 0 AND repaid_fen <= amount_fen", name="ck_clawbacks_amounts_coherent"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_clawbacks_status", "clawbacks", ["status"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("clawbacks", "ledger_entries", "budgets", "grants", "grades", "centers"):
        op.drop_table(table, schema=SCHEMA)
